"""The waitlist on DynamoDB Local (issue 21, point 9): with 200 businesses and 20 000
waitlist entries, the DynamoDB items read per offer sent by the refill (counted from
botocore's parsed answers: Query counts, GetItem and BatchGetItem items) and the median
time from a cancellation to its first offer leaving the outbox (sent by the outbox
stream, scripts/outbox_stream.py, in a process of its own, as the local stack runs it).

    .venv/bin/python bench/waitlist.py [--businesses 200] [--entries 20000] [--cancels 20]

Starts its own DynamoDB Local, mock SES/SNS server and outbox stream; prints one
`bench:` line last.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.common import local_bench

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Mon 10:00 in Helsinki
COUNTING = threading.local()
ITEMS_READ = [0]


def count_items_read() -> None:
    """Items DynamoDB returned to reads made while COUNTING.on is set in this thread."""
    from chalicelib import aws

    def after(model, parsed, **_):
        if not getattr(COUNTING, "on", False):
            return
        if model.name in ("Query", "Scan"):
            ITEMS_READ[0] += int(parsed.get("Count", 0))
        elif model.name == "GetItem":
            ITEMS_READ[0] += 1 if parsed.get("Item") else 0
        elif model.name == "BatchGetItem":
            ITEMS_READ[0] += sum(len(v) for v in parsed.get("Responses", {}).values())

    aws.session().register("after-call.dynamodb", after)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--businesses", type=int, default=200)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--cancels", type=int, default=20)
    args = parser.parse_args()

    with local_bench(
        "rebook-bench-waitlist",
        count=count_items_read,
        mock_aws=True,
        salon=False,  # its own: the demo salon under many slugs
        env={"REBOOK_NOW": NOW.isoformat(), "POWERTOOLS_METRICS_DISABLED": "true"},
    ):
        from chalicelib import clock

        clock.now = lambda: NOW  # the bench's own process; the stream reads REBOOK_NOW
        started = time.monotonic()
        businesses = load(args.businesses, args.entries)
        print(
            f"loaded {args.businesses} businesses and {args.entries} waitlist entries "
            f"in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        # The outbox stream as `make run` runs it, from the end of the seeding's records
        # (a deployed stream's Lambda starts at LATEST too), never backing off when idle.
        stream = subprocess.Popen(
            [sys.executable, "-m", "scripts.outbox_stream", "--from-now", "--idle-interval", "0.1"],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
        )
        try:
            time.sleep(2)  # its first read of the shards (a bench start-up, not a test)
            # One cancellation first, not measured: the stream's and the API's first calls.
            cancel_and_offer(businesses[-1:], 1, wait=120)
            ITEMS_READ[0] = 0
            read, offers, delays = cancel_and_offer(businesses, args.cancels)
        finally:
            stream.terminate()
            stream.wait(timeout=10)
    per_offer = read / offers if offers else float("nan")
    median = statistics.median(delays) if delays else float("nan")
    print(f"cancellations: {len(delays)}, offers made: {offers}, items read by the refills: {read}")
    print(f"cancellation -> first offer sent: median {median:.2f} s, max {max(delays, default=0):.2f} s")
    print(f"bench: items_read_per_offer={per_offer:.2f} cancel_to_offer_s={median:.2f}")


def load(n_businesses: int, n_entries: int) -> list:
    """The demo salon n times over (its own slug each), and the entries spread over the
    businesses, their services and the next two weeks (1-3 days each, some with a staff
    member or a time window)."""
    import yaml

    from chalicelib.domain.config import parse_business_config
    from chalicelib.domain.waitlist import Entry, Window, WindowIn
    from chalicelib.store import waitlist as waitlist_store
    from chalicelib.store.businesses import save_config

    raw = yaml.safe_load((ROOT / "config/businesses/demo.yaml").read_text())
    businesses = []
    for i in range(n_businesses):
        business, _ = save_config(parse_business_config({**raw, "slug": f"bench-{i:03d}"}))
        businesses.append(business)
    rng = random.Random(21)
    entries = []
    for k in range(n_entries):
        b = businesses[k % len(businesses)]
        service = rng.choice(b.config.services)
        first = date(2026, 11, 24) + timedelta(days=rng.randrange(14))
        windows: tuple[Window, ...] = ()
        if rng.random() < 0.3:
            windows = (Window.of(WindowIn(days=("mon", "tue", "wed", "thu", "fri"), start="09:00", end="13:00")),)
        entries.append(
            Entry(
                id=f"w{k:07d}",
                business_id=b.id,
                service_id=service.id,
                staff_id=None,
                first=first,
                last=first + timedelta(days=rng.randrange(3)),
                windows=windows,
                name=f"Waiting {k}",
                # Never ending in 99: the mock SNS treats those numbers as opted out.
                phone=f"+3584{30000000 + k * 10 + 1}",
                email=None,
                locale="fi",
                created_at=NOW - timedelta(seconds=n_entries - k),
                updated_at=NOW,
            )
        )
    # Joining is the API's (tests/waitlist); the bench seeds the list in bulk.
    chunk = 500
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(
            pool.map(
                lambda i: waitlist_store.load_entries(entries[i : i + chunk], NOW.date()),
                range(0, len(entries), chunk),
            )
        )
    return businesses


def cancel_and_offer(businesses: list, cancels: int, wait: float = 30) -> tuple[int, int, list[float]]:
    """Book a women's cut with aino at a business and cancel it; count what the refill
    read and wait for its first offer to be sent by the outbox stream."""
    from chalicelib.services.booking import book, changes
    from chalicelib.services.waitlist import refill
    from chalicelib.store import bookings
    from chalicelib.store import outbox as messages

    made: list = []
    original = refill._time_freed

    def counted(*a, **kw):
        COUNTING.on = True
        try:
            done = original(*a, **kw)
        finally:
            COUNTING.on = False
        made.append(done)
        return done

    refill._time_freed = counted
    start_hour = 11 if wait <= 30 else 15  # the warm-up at a time of its own
    delays = []
    for i in range(cancels):
        b = businesses[i % len(businesses)]
        day = date(2026, 11, 25) + timedelta(days=i % 3)
        start = datetime.combine(day, datetime.min.time(), tzinfo=b.config.tz).replace(hour=start_hour)
        body = {
            "service": "womens-cut",
            "staff": "aino",
            "start": start.isoformat(),
            "client": {"name": f"Booked {i}", "email": f"booked{i}@example.com"},
        }
        status, answer = book.book(b, body, desk=True, notify=False)
        assert status == 201, answer
        appt = bookings.get_appointment(b.id, answer["id"])
        assert appt is not None
        before = len(made)
        t0 = time.monotonic()
        changes.cancel(b, appt, None, notify=False)
        offers = [o for done in made[before:] for o in done.offers]
        if not offers:
            continue
        keys = [f"{o.id}#offer#sms" for o in offers]
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if any((m := messages.get_message(b.id, k)) is not None and m.status == "sent" for k in keys):
                delays.append(time.monotonic() - t0)
                break
            time.sleep(0.02)
        else:
            found = [(k, m.status, m.last_error, m.due_at) for k in keys if (m := messages.get_message(b.id, k))]
            raise SystemExit(f"no offer of cancellation {i} sent within {wait:.0f} s: {found[:3]}")
    refill._time_freed = original
    return ITEMS_READ[0], sum(len(d.offers) for d in made), delays


if __name__ == "__main__":
    main()
