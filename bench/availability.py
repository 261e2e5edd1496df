"""Availability cost on DynamoDB Local: GET availability for 31 days of a 15-staff salon
(9 bookings per staff member per working day, on the day sheets as the booking path
leaves them) through the app, as a ratio to one raw single-item TransactWriteItems timed
interleaved in the same process (each request next to a raw write; medians), and the
DynamoDB items the request reads (counted from the responses botocore parses).

    .venv/bin/python bench/availability.py [--runs 15]

Starts its own DynamoDB Local; prints one `bench:` line last.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.booking import raw_write
from bench.common import ITEMS_READ, count_items_read, local_bench

ROOT = Path(__file__).resolve().parents[1]
TABLE = "rebook-bench-availability"
STAFF, DAYS, PER_DAY = 15, 31, 9
FIRST = date(2027, 3, 1)  # a Monday; the clock stands the evening before
NOW = datetime(2027, 2, 28, 18, tzinfo=UTC)


def salon() -> dict:
    """The demo salon with 15 staff members who all cut hair, open every day but Sunday."""
    import yaml

    raw = yaml.safe_load((ROOT / "config/businesses/demo.yaml").read_text())
    raw["closures"] = []
    hours = {d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
    raw["opening_hours"] = hours
    raw["staff"] = [
        {"id": f"s{n:02d}", "name": f"Stylist {n}", "services": [s["id"] for s in raw["services"]], "hours": hours}
        for n in range(STAFF)
    ]
    return raw


def fill_sheets(business_id: str, tz) -> int:
    """Nine 45-minute bookings a day for every staff member, written as day sheets."""
    from chalicelib.domain.daysheet import appointment_ref, encode
    from chalicelib.store import daysheets
    from chalicelib.store.models import DaySheetItem

    written = 0
    with DaySheetItem.batch_write() as batch:
        for d in range(DAYS):
            day = FIRST + timedelta(days=d)
            if day.weekday() == 6:
                continue
            for s in range(STAFF):
                taken = {}
                for b in range(PER_DAY):
                    start = datetime(day.year, day.month, day.day, 9, tzinfo=tz) + timedelta(minutes=60 * b + 5 * s)
                    taken[appointment_ref(f"b{d}-{s}-{b}")] = encode(start, start + timedelta(minutes=45))
                pk, sk = daysheets.key_of(business_id, f"s{s:02d}", day)
                batch.save(DaySheetItem(pk, sk, taken=taken, v=PER_DAY))
                written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    with local_bench(
        TABLE,
        count=count_items_read,
        salon=False,  # its own: 15 staff
        env={"REBOOK_NOW": NOW.isoformat(), "POWERTOOLS_METRICS_DISABLED": "true"},
    ) as bench:
        import boto3

        from chalicelib.domain.config import parse_business_config
        from chalicelib.store.businesses import save_config

        business, _ = save_config(parse_business_config(salon()))
        sheets = fill_sheets(business.id, business.config.tz)
        raw = boto3.client("dynamodb", endpoint_url=bench.ddb.endpoint, region_name="eu-north-1")
        last = FIRST + timedelta(days=DAYS - 1)
        url = f"/api/v1/businesses/demo/availability?service=mens-cut&from={FIRST}&to={last}"

        latencies, raws, reads = [], [], []
        with bench.client as client:
            client.http.get(url)  # warm: the config cache, the index
            raw_write(raw, -1, TABLE)
            for i in range(args.runs):
                raws.append(raw_write(raw, i, TABLE))
                ITEMS_READ.update(n=0, requests=0)
                t0 = time.perf_counter()
                r = client.http.get(url)
                latencies.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.body
                reads.append((ITEMS_READ["n"], ITEMS_READ["requests"]))
        body = json.loads(r.body)
    slots = sum(len(m["slots"]) for m in body["staff"])
    items, requests = max(reads)
    ratio = statistics.median(latencies) / statistics.median(raws)
    print(
        f"salon: {STAFF} staff, {DAYS} days from {FIRST}, {PER_DAY} bookings per staff per working day ({sheets} sheets)"
    )
    print(f"free start times offered: {slots}; {requests} DynamoDB requests, {items} items read per availability")
    print(
        f"median availability: {statistics.median(latencies) * 1000:.1f} ms; "
        f"median raw TransactWriteItems (interleaved): {statistics.median(raws) * 1000:.1f} ms; {args.runs} runs"
    )
    print(f"bench: availability_31d_15staff_ratio={ratio:.2f} items_read={items}")


if __name__ == "__main__":
    main()
