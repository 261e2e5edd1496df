"""Reminder sweeper cost on DynamoDB Local.

1. Item reads per due message of one `send_due` run, on a table holding 10 000 and on
   one holding 100 000 appointments (200 businesses, 60 days, their reminders pending
   in the due index gsi3 exactly as the booking path writes them). The cost should
   grow with what is due, not with the table. The job watermark is set 5 minutes before
   `now`; the job itself looks back another 5 minutes (send_due.OVERLAP).
2. Send throughput of the job's bounded thread pool (REBOOK_SEND_WORKERS) against the
   same send loop run sequentially (one worker), with a provider stub that takes 50 ms.
3. A backlog: 10 000 messages fell due during a 2-hour outage (the watermark is 2 hours
   old). The job runs every minute until nothing is due; each run is bounded by its
   budget (send_due.BUDGET_SECONDS) and pages through what is due. Every message must
   be sent exactly once (provider calls are counted per recipient and channel).

    .venv/bin/python bench/reminders.py [--quick]

Starts its own in-memory DynamoDB Local; providers are stubbed (no network). Items read
are counted from botocore's after-call events: Query -> Count, GetItem -> 1 if an Item
came back, BatchGetItem -> items in Responses. Prints one `bench:` line last.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import os
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import local_bench

ROOT = Path(__file__).resolve().parents[1]

# Before anything imports Powertools: no JSON log line per job run. (The EMF metric line
# per message ignores POWERTOOLS_METRICS_DISABLED; quiet_run captures it.)
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")


BUSINESSES = 200
DAYS = 60
# Mon 12 Jan 2026 00:00 UTC: the 60 days of visits (13 Jan .. 13 Mar) contain no DST change.
BASE = datetime(2026, 1, 12, tzinfo=UTC)
# The measured run: Wed 11 Feb 2026 08:05 UTC = 10:05 Helsinki, 09:05 Stockholm/Berlin,
# an ordinary weekday morning (SMS not in quiet hours anywhere).
MEASURE_AT = datetime(2026, 2, 11, 8, 5, tzinfo=UTC)
WINDOW = timedelta(minutes=5)  # the watermark is set this far before `now`
TIMEZONES = ("Europe/Helsinki", "Europe/Stockholm", "Europe/Berlin")
CANCELLED_SHARE = 0.05  # cancelled visits whose reminders are still pending (the sweeper skips them)


# --- counting DynamoDB requests and items read -----------------------------------------
class Meter:
    """Requests per operation and items read per kind, counted only while `on`."""

    def __init__(self):
        self.lock = threading.Lock()
        self.on = False
        self.calls: Counter = Counter()
        self.items: Counter = Counter()  # query | watermark | config | get_other | batch_get
        self.config_keys: Counter = Counter()  # business id -> config GetItems
        self.first: dict = {}  # operation -> perf_counter of its first response
        self.last: dict = {}

    def reset(self):
        with self.lock:
            self.calls.clear()
            self.items.clear()
            self.config_keys.clear()
            self.first.clear()
            self.last.clear()

    def after_call(self, parsed=None, model=None, **_):
        if not self.on or model is None:
            return
        op = model.name
        parsed = parsed or {}
        with self.lock:
            self.calls[op] += 1
            self.last[op] = time.perf_counter()
            self.first.setdefault(op, self.last[op])
            if op == "Query":
                self.items["query"] += int(parsed.get("Count", 0))
            elif op == "Scan":
                self.items["scan"] += int(parsed.get("Count", 0))
            elif op == "GetItem":
                item = parsed.get("Item")
                if item:
                    pk, sk = item["pk"]["S"], item["sk"]["S"]
                    if sk == "CONFIG":
                        self.items["config"] += 1
                        self.config_keys[pk] += 1
                    elif pk.startswith("JOB#"):
                        self.items["watermark"] += 1
                    else:
                        self.items["get_other"] += 1
            elif op == "BatchGetItem":
                self.items["batch_get"] += sum(len(v) for v in parsed.get("Responses", {}).values())
            elif op == "TransactGetItems":
                self.items["transact_get"] += sum(1 for r in parsed.get("Responses", []) if r.get("Item"))

    @property
    def items_read(self) -> int:
        return sum(self.items.values())


METER = Meter()


def count_dynamodb_requests() -> None:
    """The hook on the process's one botocore session (chalicelib/aws.py), which every
    thread's client comes from; registered before any client is made."""
    from chalicelib import aws

    aws.session().register("after-call.dynamodb", METER.after_call)


# --- tables and businesses -------------------------------------------------------------
def fresh_table(name: str) -> None:
    from chalicelib import settings
    from chalicelib.store import businesses, db

    os.environ["REBOOK_TABLE"] = name
    settings.reset_settings()
    db._configured_for = None
    db.create_table()
    businesses.clear_cache()


def drop_table(name: str) -> None:
    from chalicelib.store import db

    db.dynamodb_client().delete_table(TableName=name)


def demo_config() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "config/businesses/demo.yaml").read_text())


def make_businesses(count: int) -> list:
    """`count` businesses from the demo salon with their own slug, name and time zone."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store.businesses import save_config

    base = demo_config()
    out = []
    for i in range(count):
        data = dict(base, slug=f"bench-salon-{i:03d}", name=f"Salon {i:03d}", timezone=TIMEZONES[i % len(TIMEZONES)])
        business, _ = save_config(parse_business_config(data))
        out.append(business)
    return out


# --- appointments and their reminders, as the booking path writes them ------------------
def make_booking(rng: random.Random, business, n: int, start: datetime, booked_at: datetime, status: str = "booked"):
    """One appointment and its reminder messages (PlannedMessage list), like a booking."""
    from chalicelib.domain.booking import Appointment
    from chalicelib.services import message_plans

    cfg = business.config
    service = rng.choice(cfg.services)
    staff = rng.choice(cfg.staff_for(service.id))
    end = start + timedelta(minutes=service.duration_minutes)
    appt = Appointment(
        id=f"a{n:07d}{rng.randrange(36**4):04x}",
        business_id=business.id,
        client_id=f"c{n:07d}",
        service_id=service.id,
        staff_id=staff.id,
        start=start,
        end=end,
        occupied_until=end + timedelta(minutes=service.buffer_minutes),
        status="booked",
        price_cents=service.price_cents,
        locale=rng.choice(("fi", "fi", "sv", "en")),
        created_at=booked_at,
        updated_at=booked_at,
    )
    r = rng.random()
    phone = f"+35840{n:07d}" if r >= 0.07 else None  # 90 % both channels, 7 % email, 3 % SMS
    email = f"client{n}@example.com" if r < 0.07 or r >= 0.10 else None
    planned = message_plans.reminders(business, appt, f"Client {n}", phone, email, booked_at)
    if status != "booked":  # cancelled later: the reminders stay pending, the job must skip them
        appt = dataclasses.replace(
            appt,
            status=status,
            seq=1,
            cancelled_at=booked_at + timedelta(hours=1),
            updated_at=booked_at + timedelta(hours=1),
        )
    return appt, planned


def visit_start(rng: random.Random, business) -> datetime:
    """A visit inside the 60 days: Mon-Sat, 09:00-17:45 local, on the 15-minute grid."""
    from chalicelib.domain.timeutil import local_wall_to_utc

    while True:
        day = (BASE + timedelta(days=1 + rng.randrange(DAYS))).date()
        if day.weekday() != 6:
            break
    return local_wall_to_utc(day, 9 * 60 + 15 * rng.randrange(36), business.config.tz)


def write_chunk(business_list: list, first: int, count: int, seed: int) -> tuple[int, int]:
    """Generate and BatchWrite appointments first..first+count and their reminders."""
    from chalicelib.domain.messages import queued
    from chalicelib.store import bookings, db, outbox
    from chalicelib.store.models import AppointmentItem, MessageItem

    db.configure()
    rng = random.Random(seed)
    messages = 0
    with AppointmentItem.batch_write() as appts, MessageItem.batch_write() as msgs:
        for n in range(first, first + count):
            business = business_list[n % len(business_list)]
            start = visit_start(rng, business)
            booked_at = start - timedelta(days=rng.uniform(2, 30))
            booked_at = booked_at.replace(microsecond=0)
            status = "cancelled" if rng.random() < CANCELLED_SHARE else "booked"
            appt, planned = make_booking(rng, business, n, start, booked_at, status)
            appts.save(bookings.to_item(appt))
            for m in planned:
                msgs.save(outbox.to_item(queued(m, booked_at)))
            messages += len(planned)
    return count, messages


def load(business_list: list, appointments: int, threads: int, chunk: int = 2500) -> tuple[int, float]:
    t0 = time.perf_counter()
    jobs = [(first, min(chunk, appointments - first)) for first in range(0, appointments, chunk)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        done = list(pool.map(lambda j: write_chunk(business_list, j[0], j[1], seed=j[0]), jobs))
    return sum(m for _, m in done), time.perf_counter() - t0


# --- provider stubs --------------------------------------------------------------------
_ids = iter(range(10**12))
_ids_lock = threading.Lock()


def fake_send(kind, channel, recipient, locale, context, now=None) -> str:
    with _ids_lock:
        return f"fake-{next(_ids)}"


def slow_send(kind, channel, recipient, locale, context, now=None) -> str:
    time.sleep(0.05)  # provider latency (SES/SNS round trip)
    return fake_send(kind, channel, recipient, locale, context)


def stub_provider(fn) -> None:
    from chalicelib.notify import outbox

    outbox.compose_and_send = fn


def quiet_run(now: datetime, **kw):
    """send_due.run with the EMF metric line it prints per message (Powertools'
    single_metric ignores POWERTOOLS_METRICS_DISABLED) captured instead of shown."""
    from chalicelib.jobs import send_due

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        return send_due.run(now, **kw)


# --- part 1: items read per due message ---------------------------------------------------
def measure_reads(size: int, threads: int) -> dict:
    from chalicelib.jobs import send_due
    from chalicelib.store import businesses, jobs

    table = f"rebook-bench-reminders-{size}"
    fresh_table(table)
    t0 = time.perf_counter()
    business_list = make_businesses(BUSINESSES)
    t_biz = time.perf_counter() - t0
    messages, t_load = load(business_list, size, threads)
    print(
        f"[{size}] loaded {BUSINESSES} business configs in {t_biz:.1f} s; {size} appointments + "
        f"{messages} reminder messages in {t_load:.1f} s "
        f"({(size + messages) / t_load:.0f} items/s, {threads} threads)",
        flush=True,
    )

    now = MEASURE_AT
    jobs.set_watermark(send_due.JOB, now - WINDOW, now)
    stub_provider(fake_send)
    businesses.clear_cache()
    METER.reset()
    METER.on = True
    t0 = time.perf_counter()
    summary = quiet_run(now)
    elapsed = time.perf_counter() - t0
    METER.on = False

    due = summary.due
    items, calls = dict(METER.items), dict(METER.calls)
    read = METER.items_read
    config_reads = METER.items.get("config", 0)
    distinct_biz = len(METER.config_keys)
    per_due = read / due if due else float("nan")
    per_due_wo_config = (read - config_reads) / due if due else float("nan")
    print(
        f"[{size}] run at {now:%Y-%m-%d %H:%MZ} (watermark -{WINDOW}, job overlap -{send_due.OVERLAP}): "
        f"{elapsed:.2f} s; summary { {k: v for k, v in summary.as_dict().items() if v} }"
    )
    print(f"[{size}] DynamoDB requests: {calls}")
    print(
        f"[{size}] items read: {read} = {items}; config GetItems {config_reads} for {distinct_biz} distinct businesses"
    )
    print(
        f"[{size}] due={due} items_read_per_due={per_due:.2f} "
        f"(without business-config reads {per_due_wo_config:.2f}; "
        f"config reads per due {config_reads / due if due else float('nan'):.2f})",
        flush=True,
    )
    drop_table(table)
    return {"per_due": per_due, "due": due, "read": read}


# --- part 2: send throughput ------------------------------------------------------------
def write_due_reminders(table: str, count: int, now: datetime, seed: int, due_seconds: tuple[int, int]) -> int:
    """A fresh table with `count` reminders, one per recipient and channel, for visits later
    today; each fell due `due_seconds` (a range) before `now`, as if its send time had passed."""
    from chalicelib.domain.messages import queued
    from chalicelib.store import bookings, outbox
    from chalicelib.store.models import AppointmentItem, MessageItem

    fresh_table(table)
    business_list = make_businesses(20)
    rng = random.Random(seed)
    made = n = 0
    with AppointmentItem.batch_write() as appts, MessageItem.batch_write() as msgs:
        while made < count:
            business = business_list[n % len(business_list)]
            start = now + timedelta(hours=3, minutes=15 * rng.randrange(16))
            booked_at = (now - timedelta(days=rng.uniform(2, 20))).replace(microsecond=0)
            appt, planned = make_booking(rng, business, n, start, booked_at)
            n += 1
            appts.save(bookings.to_item(appt))
            for m in planned[: count - made]:
                due = (now - timedelta(seconds=rng.randrange(*due_seconds))).replace(microsecond=0)
                msgs.save(outbox.to_item(queued(dataclasses.replace(m, due_at=due), booked_at)))
                made += 1
    return made


def timed_run(table: str, count: int, now: datetime, workers: int | None):
    from chalicelib.jobs import send_due
    from chalicelib.store import businesses, jobs

    made = write_due_reminders(table, count, now, seed=7, due_seconds=(30, 540))  # in the job's window
    jobs.set_watermark(send_due.JOB, now - WINDOW, now)
    businesses.clear_cache()
    stub_provider(slow_send)
    METER.reset()
    METER.on = True
    t0, cpu0 = time.perf_counter(), time.process_time()
    summary = quiet_run(now, workers=workers)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    METER.on = False
    assert summary.sent == made, (summary.as_dict(), made)
    ms = lambda t: (t - t0) * 1000  # noqa: E731
    print(
        f"[send] workers={workers}: {made} sent in {elapsed:.2f} s (this process's CPU {cpu:.2f} s; "
        f"due-index queries done at {ms(METER.last['Query']):.0f} ms, first claim at "
        f"{ms(METER.first['TransactWriteItems']):.0f} ms, last outcome written at "
        f"{ms(METER.last['PutItem']):.0f} ms); DynamoDB requests {dict(METER.calls)}; "
        f"config GetItems {METER.items.get('config', 0)} for {len(METER.config_keys)} businesses",
        flush=True,
    )
    drop_table(table)
    return summary.sent, elapsed


def measure_send(count: int) -> float:
    from chalicelib.settings import get_settings

    now = MEASURE_AT
    # Warm up DynamoDB Local's JIT on the same paths (not measured).
    timed_run("rebook-bench-send-warm", min(count, 50), now, workers=None)

    # DynamoDB Local on two cores is noisy under 16 concurrent clients: median of three runs.
    pool_runs = sorted(timed_run(f"rebook-bench-send-pool-{i}", count, now, workers=None)[1] for i in range(3))
    sent_pool, t_pool = count, pool_runs[1]
    sent_one, t_one = timed_run("rebook-bench-send-one", count, now, workers=1)
    t0 = time.perf_counter()
    for i in range(count):  # the plain baseline: the same stub, one message after another
        slow_send("reminder", "email", f"x{i}@example.com", "fi", {})
    t_loop = time.perf_counter() - t0

    rate_pool, rate_one, rate_loop = sent_pool / t_pool, sent_one / t_one, count / t_loop
    workers = get_settings().send_workers
    print(
        f"[send] {count} due reminders, provider stub 50 ms: job ({workers} workers, median of "
        f"{', '.join(f'{t:.2f}' for t in pool_runs)} s) {t_pool:.2f} s = "
        f"{rate_pool:.1f}/s; job with workers=1 {t_one:.2f} s = {rate_one:.1f}/s; "
        f"plain sequential loop {t_loop:.2f} s = {rate_loop:.1f}/s"
    )
    ideal = -(-count // workers) * 0.05
    print(f"[send] floor for {workers} workers x 50 ms: {ideal:.2f} s (at most {t_loop / ideal:.1f}x the loop)")
    # The plain sequential send loop is the job's own loop run with one worker: the same
    # claim, send and record per message, one after another. The provider-only loop
    # (no database at all) is printed too; on this machine DynamoDB Local shares the two
    # cores with the job, which caps the pool long before the provider does.
    print(
        f"[send] speedup vs the sequential send loop {rate_pool / rate_one:.2f}x; "
        f"vs a provider-only loop with no database {rate_pool / rate_loop:.2f}x",
        flush=True,
    )
    return rate_pool / rate_one


# --- part 3: a backlog after an outage ------------------------------------------------------
SENT_TO: Counter = Counter()


def counting_send(kind, channel, recipient, locale, context, now=None) -> str:
    with _ids_lock:
        SENT_TO[(channel, recipient)] += 1
    time.sleep(0.01)  # a fast provider: the database is what the runs spend their time on
    return fake_send(kind, channel, recipient, locale, context)


def measure_backlog(count: int) -> tuple[int, float]:
    from chalicelib.jobs import send_due
    from chalicelib.store import businesses, jobs

    now = MEASURE_AT
    t0 = time.perf_counter()
    # Due over the 2 hours of the outage.
    made = write_due_reminders("rebook-bench-backlog", count, now, seed=11, due_seconds=(60, 7200))
    print(
        f"[backlog] {made} messages due over the 2 hours before {now:%H:%MZ}, written in {time.perf_counter() - t0:.1f} s"
    )
    jobs.set_watermark(send_due.JOB, now - timedelta(hours=2), now)
    businesses.clear_cache()
    stub_provider(counting_send)
    SENT_TO.clear()
    runs, longest, sent, moment = 0, 0.0, 0, now
    while True:
        t0 = time.perf_counter()
        summary = quiet_run(moment)
        took = time.perf_counter() - t0
        runs += 1
        longest = max(longest, took)
        sent += summary.sent
        print(
            f"[backlog] run {runs} at {moment:%H:%M}: due {summary.due}, sent {summary.sent}, "
            f"stopped by budget {summary.stopped_by_budget}, {took:.1f} s",
            flush=True,
        )
        if not summary.stopped_by_budget and summary.due == 0:
            break
        moment += timedelta(minutes=1)
        assert runs < 100, "the backlog does not drain"
    twice = sum(1 for n in SENT_TO.values() if n > 1)
    assert sent == made and len(SENT_TO) == made and twice == 0, (sent, made, len(SENT_TO), twice)
    print(
        f"[backlog] {made} sent in {runs} runs (the last one found nothing), longest run {longest:.1f} s "
        f"against a budget of {send_due.BUDGET_SECONDS:.0f} s; sent twice: {twice}"
    )
    drop_table("rebook-bench-backlog")
    return runs, longest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 000 / 10 000 appointments, 100 sends")
    parser.add_argument("--small", type=int, help="appointments of the small table (default 10 000)")
    parser.add_argument("--large", type=int, help="appointments of the large table (default 100 000)")
    parser.add_argument("--send", type=int, help="due messages of the throughput part (default 300)")
    parser.add_argument("--backlog", type=int, help="messages of the backlog part (default 10 000)")
    parser.add_argument("--backlog-only", action="store_true", help="only part 3 (the backlog)")
    parser.add_argument("--threads", type=int, default=4, help="loader threads (default 4)")
    args = parser.parse_args()
    small = args.small or (1_000 if args.quick else 10_000)
    large = args.large or (10_000 if args.quick else 100_000)
    send = args.send or (100 if args.quick else 300)
    backlog = args.backlog or (2_000 if args.quick else 10_000)

    started = time.perf_counter()
    with local_bench(None, count=count_dynamodb_requests):  # each part makes its own table (fresh_table)
        os.environ.pop("REBOOK_AWS_ENDPOINT", None)
        if args.backlog_only:
            backlog_runs, max_run = measure_backlog(backlog)
            print(f"bench: backlog_runs={backlog_runs} max_run_s={max_run:.1f}")
            return
        small_result = measure_reads(small, args.threads)
        large_result = measure_reads(large, args.threads)
        speedup = measure_send(send)
        backlog_runs, max_run = measure_backlog(backlog)
    print(f"total {time.perf_counter() - started:.0f} s")
    # Fixed names (the sizes measured are printed above; --quick uses smaller ones).
    print(
        f"bench: items_read_per_due_10k={small_result['per_due']:.2f} "
        f"items_read_per_due_100k={large_result['per_due']:.2f} send_speedup={speedup:.2f} "
        f"backlog_runs={backlog_runs} max_run_s={max_run:.1f}"
    )


if __name__ == "__main__":
    main()
