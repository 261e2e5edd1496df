"""Booking cost on DynamoDB Local: DynamoDB requests per booking and per availability
query (counted from botocore events), the median latency of POST bookings as a ratio
to one raw single-item TransactWriteItems on the same DynamoDB Local, timed next to
each booking (interleaved, so both see the same machine), and the time from the 201 to
the confirmations leaving the outbox (sent by the outbox stream: scripts/outbox_stream.py
reading DynamoDB Local's stream in a process of its own, as the local stack runs it).

    .venv/bin/python bench/booking.py [--bookings 40] [--warmup 20] [--short-lived-jvm]

Measured bookings follow `--warmup` untimed ones (the same requests), so both Python and
DynamoDB Local's JVM are past their first-request compilation; DynamoDB Local runs with
the JVM's defaults, as a long-lived server (`--short-lived-jvm`: the tests' client-compiler
settings, scripts/dynamodb_local.py, under which a multi-item transaction costs relatively
more). Starts its own DynamoDB Local, mock SES/SNS server and outbox stream; prints one
`bench:` line last.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from bench.common import local_bench

ROOT = Path(__file__).resolve().parents[1]


CALLS: Counter = Counter()
SECONDS: Counter = Counter()
CALLS_TOTAL: Counter = Counter()
_started: dict = {}


def count_dynamodb_requests() -> None:
    """Count every DynamoDB API call, via botocore's before-call event on the process's
    one session (chalicelib/aws.py), which PynamoDB's connection and the store share."""
    from chalicelib import aws

    session = aws.session()
    session.register("before-call.dynamodb", _before)
    session.register("after-call.dynamodb", _after)


def _before(model, **_):
    if threading.current_thread() is threading.main_thread():  # the request's, not a helper's
        CALLS.update([model.name])
        _started[model.name] = time.perf_counter()


def _after(model, **_):
    if threading.current_thread() is threading.main_thread():
        SECONDS[model.name] += time.perf_counter() - _started.pop(model.name, time.perf_counter())


def raw_write(raw, i: int | str, table: str = "rebook-bench") -> float:
    """One single-item conditional TransactWriteItems: the floor a booking is compared to."""
    t0 = time.perf_counter()
    raw.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": table,
                    "Item": {"pk": {"S": f"RAW#{i}"}, "sk": {"S": "RAW"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
    )
    return time.perf_counter() - t0


def wait_until_sent(business_id: str, appointment_id: str, channels: list[str], since: float) -> float:
    """Seconds from `since` (the 201) until every confirmation has left the outbox."""
    from chalicelib.domain.messages import booking_message_keys
    from chalicelib.store import outbox

    keys = booking_message_keys(appointment_id, "confirmation", 0, channels)
    deadline = since + 30
    waiting = set(keys.values())
    while waiting:
        waiting = {k for k in waiting if (m := outbox.get_message(business_id, k)) is None or m.status != "sent"}
        if waiting and time.perf_counter() > deadline:
            raise SystemExit(f"confirmations {sorted(waiting)} not sent 30 s after the 201")
        if waiting:
            time.sleep(0.005)
    return time.perf_counter() - since


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--short-lived-jvm", action="store_true")
    args = parser.parse_args()

    with local_bench(
        "rebook-bench",
        count=count_dynamodb_requests,
        mock_aws=True,
        long_lived=not args.short_lived_jvm,
        env={"POWERTOOLS_METRICS_DISABLED": "true"},
    ) as bench:
        import boto3

        raw = boto3.client("dynamodb", endpoint_url=bench.ddb.endpoint, region_name="eu-north-1")
        # As `make run` starts it (its default poll interval), its output out of the way;
        # it never backs off between bookings (--idle-interval): the figure is the
        # pipeline's, not the local stand-in's idle polling.
        stream = subprocess.Popen(
            [sys.executable, "-m", "scripts.outbox_stream", "--idle-interval", "0.1"],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
        )
        try:
            booked = run_bookings(bench.client, args.bookings, bench.business.id, raw, args.warmup)
        finally:
            stream.terminate()
            stream.wait(timeout=10)
    report(*booked)


def run_bookings(client, count: int, business_id: str, raw, warmup: int = 0) -> tuple:
    """`warmup` bookings through `client` (the Chalice test client), then `count` more, each
    with a raw write timed just before it and its confirmations waited for after it; only
    the last `count` are reported."""
    from datetime import date, timedelta

    booking_latency: list[float] = []
    raw_latency: list[float] = []
    confirmation: list[float] = []
    booking_calls: list[dict[str, int]] = []
    availability_calls: list[int] = []
    SECONDS.clear()
    with client:
        day = date.today() + timedelta(days=3)
        client.http.get(f"/api/v1/businesses/demo/availability?service=mens-cut&from={day}&to={day}")  # warm
        raw_write(raw, -1)  # warm
        phone = 1000000
        while len(booking_latency) < warmup + count:
            CALLS.clear()
            r = client.http.get(f"/api/v1/businesses/demo/availability?service=mens-cut&from={day}&to={day}")
            availability_calls.append(sum(CALLS.values()))
            free = [(s["id"], t) for s in json.loads(r.body)["staff"] for t in s["slots"]]
            if not free:
                day += timedelta(days=1)
                continue
            staff, start = free[0]
            phone += 1
            body = {
                "service": "mens-cut",
                "staff": staff,
                "start": start,
                "client": {"name": "Bench Client", "phone": f"+35840{phone}", "email": f"c{phone}@example.com"},
            }
            raw_latency.append(raw_write(raw, len(raw_latency)))
            CALLS.clear()
            t0 = time.perf_counter()
            r = client.http.post(
                "/api/v1/businesses/demo/bookings",
                body=json.dumps(body),
                headers={"Content-Type": "application/json"},
            )
            answered = time.perf_counter()
            assert r.status_code == 201, r.body
            booking_latency.append(answered - t0)
            booking_calls.append(dict(CALLS))
            CALLS_TOTAL.update(CALLS)
            confirmation.append(wait_until_sent(business_id, json.loads(r.body)["id"], ["email", "sms"], answered))
            if len(booking_latency) == warmup:  # the per-call times are the measured bookings'
                SECONDS.clear()
                CALLS_TOTAL.clear()
    measured = slice(warmup, None)
    return (
        booking_latency[measured],
        raw_latency[measured],
        confirmation[measured],
        booking_calls[measured],
        availability_calls[measured],
    )


def report(booking_latency, raw_latency, confirmation, booking_calls, availability_calls) -> None:
    per_booking = statistics.mean(sum(c.values()) for c in booking_calls)
    per_availability = statistics.mean(availability_calls)
    ratio = statistics.median(booking_latency) / statistics.median(raw_latency)
    print(
        f"bookings measured: {len(booking_latency)} (email + SMS confirmation each, sent by the outbox "
        "stream from DynamoDB Local's stream to the mock SES/SNS over HTTP)"
    )
    print(f"DynamoDB calls of one booking: {booking_calls[-1]}")
    print(
        f"median POST booking: {statistics.median(booking_latency) * 1000:.1f} ms; "
        f"median raw TransactWriteItems (timed before each booking): {statistics.median(raw_latency) * 1000:.1f} ms"
    )
    print(
        "DynamoDB time per call: "
        + ", ".join(f"{op} {SECONDS[op] / CALLS_TOTAL[op] * 1000:.1f} ms" for op in sorted(CALLS_TOTAL))
    )
    print(
        f"201 -> confirmations sent: median {statistics.median(confirmation):.2f} s, "
        f"max {max(confirmation):.2f} s (the outbox stream polls every 0.1 s)"
    )
    print(
        f"bench: ddb_requests_per_booking={per_booking:g} ddb_requests_per_availability={per_availability:g} "
        f"booking_latency_ratio={ratio:.2f} confirmation_s={statistics.median(confirmation):.2f}"
    )


if __name__ == "__main__":
    main()
