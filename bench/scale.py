"""Rebook at the scale of a real deployment, on DynamoDB Local (issue 19 point 6): many
businesses (1–15 staff, 200–20 000 clients each, log-uniform), a busy morning
(availability, bookings, the outbox sweeper every simulated minute sending reminders,
feedback requests and the bookings' confirmations, the KPI sync, win-back), and per request type the median and
p99 latency as ratios to one raw single-item TransactWriteItems (timed next to each
request, medians), the DynamoDB items read, and the busiest partition key's share of the
morning's writes (the table's keys, and the indexes' keys the writes set).

    .venv/bin/python bench/scale.py [--businesses 1000] [--client-share 0.005] [--requests 1500]
    .venv/bin/python bench/scale.py --quick      # 20 businesses, 300 requests: a minute or two

The client counts are drawn at full size and loaded at `--client-share` of it (the
default loads 0.5 % — 1 000 businesses are ~4.3 million clients at full size, hours of
DynamoDB Local writes on 2 cores); the reads this bench measures are per request and do not grow
with a business's clients (that is issue 19's point), so the share changes the load
time, not the figures. Not part of `make test`; starts its own DynamoDB Local; prints
one `bench:` line last.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import random
import re
import statistics
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.booking import raw_write
from bench.common import local_bench

ROOT = Path(__file__).resolve().parents[1]
TABLE = "rebook-bench-scale"
# A Tuesday morning, 11:15 in Helsinki (10:15 in Stockholm and Berlin: every salon's
# marketing morning has begun): the API's clock stands here (REBOOK_NOW); the jobs are
# run at the minutes of the morning after it.
NOW = datetime(2027, 3, 2, 9, 15, tzinfo=UTC)
TIMEZONES = ("Europe/Helsinki", "Europe/Stockholm", "Europe/Berlin")
WEIGHTS = {"availability": 0.6, "booking": 0.4}  # of the public requests
SWEEP_EVERY = 50  # public requests between two sweeper runs (a minute of a busy morning)


# --- what the morning costs ------------------------------------------------------------------
class Meter:
    """Items read by every DynamoDB response, and the partition keys every write touches
    (while `writes_on`), from botocore's events on the process's one session."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items = 0
        self.writes_on = False
        self.table_keys: Counter = Counter()
        self.index_keys: Counter = Counter()

    def after_call(self, parsed, model, **_) -> None:
        n = 0
        if "Items" in parsed:
            n = len(parsed["Items"])
        elif "Item" in parsed:
            n = 1
        elif model.name == "BatchGetItem":
            n = sum(len(v) for v in parsed.get("Responses", {}).values())
        with self.lock:
            self.items += n

    def before_call(self, params, model, **_) -> None:
        if not self.writes_on:
            return
        found: list[tuple[str, str]] = []  # (table | index, partition key)
        name = model.name
        if name in ("PutItem", "UpdateItem", "DeleteItem"):
            found += _write_keys(name, params)
        elif name == "TransactWriteItems":
            for op in params.get("TransactItems", []):
                for kind, body in op.items():
                    if kind != "ConditionCheck":
                        found += _write_keys({"Put": "PutItem", "Update": "UpdateItem"}.get(kind, "DeleteItem"), body)
        elif name == "BatchWriteItem":
            for requests in params.get("RequestItems", {}).values():
                for r in requests:
                    if "PutRequest" in r:
                        found += _write_keys("PutItem", r["PutRequest"])
                    else:
                        found += _write_keys("DeleteItem", r["DeleteRequest"])
        with self.lock:
            for where, key in found:
                (self.table_keys if where == "table" else self.index_keys)[key] += 1


_SET = re.compile(r"(#\w+)\s*=\s*(:\w+)")


def _write_keys(name: str, body: dict) -> list[tuple[str, str]]:
    """The table's partition key a write touches and the index partition keys it sets."""
    out = []
    item = body.get("Item") or body.get("Key") or {}
    if "pk" in item:
        out.append(("table", item["pk"]["S"]))
    if name == "PutItem":
        out += [("index", f"{a}={v['S']}") for a, v in item.items() if re.fullmatch(r"g\dpk", a)]
    elif name == "UpdateItem":
        names, values = body.get("ExpressionAttributeNames", {}), body.get("ExpressionAttributeValues", {})
        for ref, val in _SET.findall(body.get("UpdateExpression", "")):
            attr = names.get(ref, "")
            if re.fullmatch(r"g\dpk", attr) and "S" in values.get(val, {}):
                out.append(("index", f"{attr}={values[val]['S']}"))
    return out


METER = Meter()


def hook() -> None:
    from chalicelib import aws

    aws.session().register("after-call.dynamodb", METER.after_call)
    # The API's own parameters (before-call sees the serialized request instead).
    aws.session().register("before-parameter-build.dynamodb", METER.before_call)


# --- loading the deployment --------------------------------------------------------------
def salon_config(i: int, staff: int) -> dict:
    import yaml

    data = yaml.safe_load((ROOT / "config/businesses/demo.yaml").read_text())
    hours = {d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
    services = [s["id"] for s in data["services"]]
    data.update(
        slug=f"scale-{i:04d}",
        name=f"Salon {i:04d}",
        timezone=TIMEZONES[i % len(TIMEZONES)],
        closures=[],
        opening_hours=hours,
        staff=[{"id": f"s{n:02d}", "name": f"Stylist {n}", "services": services, "hours": hours} for n in range(staff)],
    )
    return data


def make_businesses(count: int, rng: random.Random) -> list[tuple[Any, int]]:
    """(business, its clients at full size): 1–15 staff, 200–20 000 clients, log-uniform."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store.businesses import save_config

    def one(i: int):
        r = random.Random(i)
        staff = max(1, min(15, round(math.exp(r.uniform(0, math.log(15))))))
        clients = round(math.exp(r.uniform(math.log(200), math.log(20000))))
        business, _ = save_config(parse_business_config(salon_config(i, staff)))
        return business, clients

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


def load_business(business, clients: int, seed: int) -> tuple[int, int]:
    """Its clients (profile and phone key, some lapsing today for the win-back), today's
    appointments with the reminders due this morning, yesterday's with their feedback
    requests. Returns (items written, messages)."""
    from chalicelib.domain.booking import Appointment
    from chalicelib.domain.messages import queued
    from chalicelib.domain.timeutil import local_wall_to_utc
    from chalicelib.services import message_plans
    from chalicelib.store import bookings, db, keys, outbox
    from chalicelib.store.models import AppointmentItem, ClientItem, ClientKeyItem, MessageItem

    db.configure()
    rng = random.Random(seed)
    cfg = business.config
    written = messages = 0
    with ClientItem.batch_write() as batch:
        for n in range(clients):
            cid = f"c{seed:04d}x{n:06d}"
            phone = f"+3584{seed:04d}{n:05d}"
            item = ClientItem(
                keys.biz(business.id),
                keys.client_sk(cid),
                business_id=business.id,
                client_id=cid,
                name=f"Client {n}",
                phone=phone,
                locale="fi",
                created_at=NOW - timedelta(days=400),
                updated_at=NOW - timedelta(days=400),
                bookings=rng.randrange(1, 12),
                last_activity=NOW - timedelta(days=rng.randrange(1, 300)),
            )
            if rng.random() < 0.01:  # a win-back step due today
                item.g4pk, item.g4sk = keys.lapse_keys(business.id, cid, NOW.date().isoformat())
            batch.save(item)
            batch.save(ClientKeyItem(keys.biz(business.id), keys.client_key_sk("phone", phone), client_id=cid))
            written += 2
    staff = [s.id for s in cfg.staff]
    today, yesterday = NOW.date(), NOW.date() - timedelta(days=1)
    with AppointmentItem.batch_write() as appts, MessageItem.batch_write() as msgs:
        # Per staff member: visits today from 11:00 to 17:00 (their 2-hour SMS reminders
        # fall due through the morning) and tomorrow (24-hour emails), and yesterday
        # afternoon's (feedback requests due since last evening).
        plan = [(today, 11 * 60 + 90 * k, "booked") for k in range(4)]
        plan += [(today + timedelta(days=1), 11 * 60, "booked"), (yesterday, 16 * 60, "completed")]
        for k, (day, minute, status) in enumerate(plan * len(staff)):
            service = rng.choice(cfg.services)
            start = local_wall_to_utc(day, minute, cfg.tz)
            end = start + timedelta(minutes=service.duration_minutes)
            n = rng.randrange(max(1, clients))
            appt = Appointment(
                id=f"a{seed:04d}x{k:04d}",
                business_id=business.id,
                client_id=f"c{seed:04d}x{n:06d}",
                service_id=service.id,
                staff_id=staff[k % len(staff)],
                start=start,
                end=end,
                occupied_until=end + timedelta(minutes=service.buffer_minutes),
                status=status,
                price_cents=service.price_cents,
                locale="fi",
                created_at=start - timedelta(days=5),
                updated_at=start - timedelta(days=5),
            )
            booked_at = start - timedelta(days=5)
            phone, email = f"+3584{seed:04d}{n:05d}", f"c{seed}x{n}@example.com"
            planned = message_plans.reminders(business, appt, f"Client {n}", phone, email, booked_at)
            planned += message_plans.feedback_request(business, appt, f"Client {n}", phone, email)
            appts.save(bookings.to_item(appt))
            for m in planned:
                msgs.save(outbox.to_item(queued(m, booked_at)))
            written += 1 + len(planned)
            messages += len(planned)
    return written, messages


# --- the morning ---------------------------------------------------------------------------
class Timings:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.raw: dict[str, list[float]] = defaultdict(list)
        self.items: dict[str, list[int]] = defaultdict(list)
        self.per: dict[str, list[float]] = defaultdict(list)  # items read per unit of work (jobs)

    def timed(self, kind: str, raw_write, fn):
        self.raw[kind].append(raw_write())
        before = METER.items
        t0 = time.perf_counter()
        result = fn()
        self.latency[kind].append(time.perf_counter() - t0)
        self.items[kind].append(METER.items - before)
        return result


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


def morning(businesses: list, requests: int, rng: random.Random, raw_write, t: Timings) -> Counter:
    import json

    from chalice.test import Client

    from app import app
    from chalicelib.jobs import send_due
    from chalicelib.services import kpis, marketing

    outcomes: Counter = Counter()
    phones: Counter = Counter()
    with Client(app) as client:

        def free_slots(b, service: str, day: date) -> list[tuple[str, str]]:
            url = f"/api/v1/businesses/{b.config.slug}/availability?service={service}&from={day}&to={day}"
            r = client.http.get(url)
            assert r.status_code == 200, r.body
            return [(s["id"], slot) for s in json.loads(r.body)["staff"] for slot in s["slots"]]

        # What fell due before the morning (yesterday's feedback requests, early
        # reminders): the sweeper's first run after the load, timed on its own.
        t.timed("send_due_catch_up", raw_write, lambda: send_due.run(NOW))
        b0 = businesses[0][0]
        free_slots(b0, b0.config.services[0].id, NOW.date() + timedelta(days=1))  # warm
        raw_write()
        for i in range(requests):
            b, clients = rng.choice(businesses)
            service = rng.choice(b.config.services).id
            day = NOW.date() + timedelta(days=rng.randrange(1, 15))
            if rng.random() < WEIGHTS["availability"]:
                t.timed("availability", raw_write, lambda b=b, s=service, d=day: free_slots(b, s, d))
            else:
                free = free_slots(b, service, day)
                if not free:
                    outcomes["booking_no_time"] += 1
                    continue
                staff, start = rng.choice(free)
                seed = businesses.index((b, clients))
                if rng.random() < 0.5:  # a returning client: her phone is known
                    n = rng.randrange(max(1, int(clients * SHARE[0])))
                    phone, name = f"+3584{seed:04d}{n:05d}", f"Client {n}"
                else:
                    phones[b.id] += 1
                    phone, name = f"+3585{seed:04d}{phones[b.id]:05d}", f"New Client {phones[b.id]}"
                body = {"service": service, "staff": staff, "start": start, "client": {"name": name, "phone": phone}}
                r = t.timed(
                    "booking",
                    raw_write,
                    lambda b=b, body=body: client.http.post(
                        f"/api/v1/businesses/{b.config.slug}/bookings",
                        body=json.dumps(body),
                        headers={"Content-Type": "application/json"},
                    ),
                )
                outcomes[f"booking_{r.status_code}"] += 1
            if (i + 1) % SWEEP_EVERY == 0:  # a minute of the morning has passed
                at = NOW + timedelta(minutes=(i + 1) // SWEEP_EVERY)
                summary = t.timed("send_due_run", raw_write, lambda at=at: send_due.run(at))
                t.per["send_due_run"].append(t.items["send_due_run"][-1] / max(1, summary.due))
                outcomes["messages_sent"] += summary.sent
        later = NOW + timedelta(minutes=requests // SWEEP_EVERY + 5)
        done = t.timed("kpi_sync_run", raw_write, lambda: kpis.run(later))  # the marks the bookings left
        outcomes["kpi_clients_synced"] += int(done["clients"])
        won = t.timed("marketing_run", raw_write, lambda: marketing.run(later))
        outcomes["winback_sent"] += won["winback_sent"]
        outcomes["winback_stopped"] += won["winback_stopped"]
    return outcomes


SHARE = [0.005]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--businesses", type=int, default=1000)
    parser.add_argument("--client-share", type=float, default=0.005, help="share of each business's clients loaded")
    parser.add_argument("--requests", type=int, default=1500, help="public requests of the morning")
    parser.add_argument("--threads", type=int, default=4, help="loading threads")
    parser.add_argument("--quick", action="store_true", help="20 businesses, 300 requests")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    if args.quick:
        args.businesses, args.requests = 20, 300
    SHARE[0] = args.client_share
    rng = random.Random(args.seed)
    started = time.perf_counter()

    with local_bench(
        TABLE,
        count=hook,
        salon=False,  # its own businesses, many
        env={"REBOOK_NOW": NOW.isoformat(), "POWERTOOLS_METRICS_DISABLED": "true"},
    ) as bench:
        import boto3

        from bench.reminders import fake_send, stub_provider

        stub_provider(fake_send)  # the providers are not what this measures
        businesses = make_businesses(args.businesses, rng)
        full = sum(c for _, c in businesses)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            loaded = list(
                pool.map(
                    lambda ib: load_business(ib[1][0], max(1, int(ib[1][1] * args.client_share)), ib[0]),
                    enumerate(businesses),
                )
            )
        load_s = time.perf_counter() - t0
        items, messages = sum(w for w, _ in loaded), sum(m for _, m in loaded)
        staff = Counter(len(b.config.staff) for b, _ in businesses)
        print(
            f"loaded {len(businesses)} businesses (staff 1-15: {sum(staff.values())} salons, "
            f"{sum(k * v for k, v in staff.items())} staff), clients {full} at full size, "
            f"{int(full * args.client_share)} loaded ({args.client_share:.1%}), {items} items, "
            f"{messages} reminders and feedback requests, in {load_s:.0f} s"
        )
        raw = boto3.client("dynamodb", endpoint_url=bench.ddb.endpoint, region_name="eu-north-1")
        n = iter(range(10**9))

        def raw_floor() -> float:  # the booking bench's raw write, each on a key of its own
            return raw_write(raw, next(n), TABLE)

        timings = Timings()
        METER.writes_on = True
        # Powertools prints a metric line per message sent (single_metric ignores
        # POWERTOOLS_METRICS_DISABLED): kept out of the report.
        with contextlib.redirect_stdout(io.StringIO()):
            outcomes = morning(businesses, args.requests, rng, raw_floor, timings)
        METER.writes_on = False
    report(timings, outcomes, time.perf_counter() - started)


def report(t: Timings, outcomes: Counter, seconds: float) -> None:
    print(f"the morning: {dict(sorted(outcomes.items()))}")
    fields = []
    for kind in ("availability", "booking", "send_due_catch_up", "send_due_run", "kpi_sync_run", "marketing_run"):
        if not t.latency[kind]:
            continue
        raw = statistics.median(t.raw[kind])
        med, top = statistics.median(t.latency[kind]) / raw, p99(t.latency[kind]) / raw
        items = statistics.median(t.items[kind])
        extra = f", items read per due message {statistics.median(t.per[kind]):.2f}" if t.per[kind] else ""
        print(
            f"{kind}: {len(t.latency[kind])} timed, median {statistics.median(t.latency[kind]) * 1000:.1f} ms, "
            f"p99 {p99(t.latency[kind]) * 1000:.1f} ms, raw write {raw * 1000:.1f} ms, "
            f"items read median {items:g} max {max(t.items[kind])}{extra}"
        )
        fields += [f"{kind}_p50_ratio={med:.2f}", f"{kind}_p99_ratio={top:.2f}", f"{kind}_items={items:g}"]
    writes = sum(METER.table_keys.values())
    key, hot = METER.table_keys.most_common(1)[0] if writes else ("-", 0)
    index_writes = sum(METER.index_keys.values())
    ikey, ihot = METER.index_keys.most_common(1)[0] if index_writes else ("-", 0)
    print(
        f"writes: {writes} to the table, busiest key {key} ({hot}); {index_writes} index keys set, busiest {ikey} ({ihot})"
    )
    print(f"total {seconds:.0f} s")
    fields += [
        f"hot_key_write_share={hot / max(1, writes):.3f}",
        f"hot_index_key_write_share={ihot / max(1, index_writes):.3f}",
    ]
    print("bench: " + " ".join(fields))


if __name__ == "__main__":
    main()
