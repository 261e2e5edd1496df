"""Webhooks on DynamoDB Local: what a webhook adds to a booking, and how fast deliveries go.

1. DynamoDB requests of POST booking (counted from botocore events on the request's
   thread), the same bookings made before and after the business registers an endpoint:
   the event rides in the booking's own transaction, so the target is 0 added requests.
2. Deliveries per second to a receiver that takes 50 ms per request (stdlib http.server
   in a thread, verifying each delivery with `standardwebhooks`): bookings are made with
   the stream left unread, then the outbox stream's trigger is handed the stream as the
   local stack does (scripts/outbox_stream.py: batches of up to 100 records; `--batch 10`
   as Lambda's event source mapping, app.py) until every event has been fanned out and delivered; timed from the first read
   to the last delivery received.

    .venv/bin/python bench/webhooks.py [--bookings 20] [--deliveries 200] [--batch 100]

Starts its own DynamoDB Local and mock SES/SNS server; prints one `bench:` line last.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.common import local_bench

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

CALLS: Counter = Counter()
RECEIVER_MS = 50


def count_dynamodb_requests() -> None:
    from chalicelib import aws

    def before(model, **_):
        if threading.current_thread() is threading.main_thread():  # the request's own
            CALLS.update([model.name])

    aws.session().register("before-call.dynamodb", before)


class RequestTimes:
    """DynamoDB requests of every thread by operation: how many, and their summed time
    in flight (where the deliveries' time goes)."""

    def __init__(self) -> None:
        import botocore.client

        self.seen: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        self._real = real = botocore.client.BaseClient._make_api_call
        times = self

        def timed(client, operation, params):
            if client.meta.service_model.service_name != "dynamodb":
                return real(client, operation, params)
            t = time.perf_counter()
            try:
                return real(client, operation, params)
            finally:
                with times._lock:
                    n, secs = times.seen.get(operation, (0, 0.0))
                    times.seen[operation] = (n + 1, secs + time.perf_counter() - t)

        botocore.client.BaseClient._make_api_call = timed

    def stop(self) -> None:
        import botocore.client

        botocore.client.BaseClient._make_api_call = self._real


def time_dynamodb_requests() -> RequestTimes:
    return RequestTimes()


class Receiver:
    """Answers 200 after RECEIVER_MS; counts deliveries whose signature verifies."""

    def __init__(self) -> None:
        self.secret = ""
        self.verified = 0
        self.rejected = 0
        self.last = 0.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                from standardwebhooks import Webhook, WebhookVerificationError

                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(RECEIVER_MS / 1000)  # the integration's own work
                try:
                    Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                    ok = True
                except WebhookVerificationError:
                    ok = False
                with receiver.lock:
                    receiver.verified += ok
                    receiver.rejected += not ok
                    receiver.last = time.perf_counter()
                self.send_response(200 if ok else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            # The listen backlog is set when the server binds: an integration's server
            # takes more than the 5 pending connections of http.server's default (a
            # burst of parallel first attempts would be refused and left to retries).
            request_queue_size = 128
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def booking_body(day, staff: str, start: str, n: int) -> dict:
    return {
        "service": "mens-cut",
        "staff": staff,
        "start": start,
        "client": {"name": "Bench Client", "phone": f"+35840{1000000 + n}", "email": f"c{n}@example.com"},
    }


def book(client, day_box: list, n: int) -> dict[str, int]:
    """One booking at the first free time from day_box[0] on; its DynamoDB requests."""
    from datetime import timedelta

    while True:
        day = day_box[0]
        r = client.http.get(f"/api/v1/businesses/demo/availability?service=mens-cut&from={day}&to={day}")
        free = [(s["id"], t) for s in json.loads(r.body)["staff"] for t in s["slots"]]
        if free:
            break
        day_box[0] = day + timedelta(days=1)
    staff, start = free[0]
    CALLS.clear()
    r = client.http.post(
        "/api/v1/businesses/demo/bookings",
        body=json.dumps(booking_body(day, staff, start, n)),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.body
    return dict(CALLS)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=20, help="bookings measured without and with an endpoint")
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument(
        "--batch", type=int, default=100, help="stream records per trigger call (the local reader's 100; Lambda's 10)"
    )
    args = parser.parse_args()
    import scripts.outbox_stream

    scripts.outbox_stream.BATCH = args.batch

    receiver = Receiver()
    with local_bench(
        "rebook-bench-webhooks",
        count=count_dynamodb_requests,
        mock_aws=True,
        env={"REBOOK_WEBHOOKS_ALLOW_PRIVATE": "1"},  # the receiver is on 127.0.0.1
    ) as bench:
        from datetime import date, timedelta

        business = bench.business
        with bench.client as client:
            day_box = [date.today() + timedelta(days=3)]
            book(client, day_box, 0)  # warm
            without = [sum(book(client, day_box, n).values()) for n in range(1, args.bookings + 1)]
            register(business.id, receiver)
            with_hook = [sum(book(client, day_box, n).values()) for n in range(1001, 1001 + args.bookings)]
            added = statistics.mean(with_hook) - statistics.mean(without)
            print(
                f"DynamoDB requests per booking: {statistics.mean(without):g} without an endpoint, "
                f"{statistics.mean(with_hook):g} with one (events: booking.created, client.created)"
            )
        rate, elapsed, delivered = deliveries_per_second(business.id, receiver, args.deliveries)
    print(
        f"deliveries: {delivered} verified ({receiver.rejected} rejected) in {elapsed:.2f} s to a receiver taking "
        f"{RECEIVER_MS} ms, fanned out and delivered by the outbox stream's trigger (batches of {args.batch})"
    )
    print(f"bench: ddb_requests_added_per_booking={added:g} deliveries_per_s={rate:.1f}")


def register(business_id: str, receiver: Receiver) -> None:
    from chalicelib import clock
    from chalicelib.domain import webhooks as rules
    from chalicelib.domain.ids import new_id
    from chalicelib.store import webhooks

    now = clock.now()
    e = rules.Endpoint(
        business_id=business_id,
        id=new_id(),
        url=receiver.url,
        events=("booking.created",),
        enabled=True,
        secrets=(rules.Secret(rules.new_secret()),),
        created_at=now,
        updated_at=now,
    )
    webhooks.save_endpoint(e, None)
    receiver.secret = e.secrets[0].value


def deliveries_per_second(business_id: str, receiver: Receiver, count: int) -> tuple[float, float, int]:
    """`count` booking.created events put into the outbox as a booking's transaction puts
    them (no confirmations beside them: only webhooks are timed), then the stream read."""
    from chalicelib import clock
    from chalicelib.domain.booking import Appointment
    from chalicelib.domain.webhooks import booking_created
    from chalicelib.store import webhooks
    from chalicelib.store.models import MessageItem
    from chalicelib.store.tx import Tx
    from scripts.outbox_stream import deliver, reader_for_settings

    reader = reader_for_settings(start="LATEST")
    reader.read()  # from here on
    now = clock.now()
    for n in range(count):
        appt = Appointment(
            id=f"bench{n:06d}",
            business_id=business_id,
            client_id=f"client{n:06d}",
            service_id="mens-cut",
            staff_id="aino",
            start=now,
            end=now,
            occupied_until=now,
            status="booked",
            price_cents=3000,
            locale="fi",
            created_at=now,
            updated_at=now,
        )
        tx = Tx(MessageItem)
        webhooks.emit(tx, business_id, [booking_created(appt, now)], now)
        tx.commit()
    already = receiver.verified
    requests = time_dynamodb_requests()
    t0 = time.perf_counter()
    deadline = t0 + 300
    spent: dict[str, float] = defaultdict(float)
    while receiver.verified - already < count:
        t = time.perf_counter()
        records = reader.read()
        spent["read"] += time.perf_counter() - t
        if records:
            t = time.perf_counter()
            out = deliver(records)
            spent["deliver"] += time.perf_counter() - t
            spent["batches"] += 1
            spent["records"] += len(records)
            for k, v in out.items():
                spent[k] += v
        elif time.perf_counter() > deadline:
            from chalicelib.store import webhooks as endpoints

            [e] = endpoints.endpoints(business_id)
            log = Counter((d.status, d.last_error) for d in endpoints.delivery_log(business_id, e.id, 1000))
            raise SystemExit(
                f"only {receiver.verified - already} of {count} deliveries after 300 s (the stream gives no retries: "
                f"deliveries by status and last error {dict(log)})"
            )
        else:
            time.sleep(0.01)
    elapsed = receiver.last - t0
    requests.stop()
    print(
        "outbox stream (seconds reading / in the trigger, records, outcomes):",
        {k: round(v, 2) for k, v in spent.items()},
    )
    print(
        "DynamoDB requests while delivering (count, summed seconds in flight):",
        {op: (n, round(secs, 2)) for op, (n, secs) in sorted(requests.seen.items())},
    )
    return count / elapsed, elapsed, receiver.verified - already


if __name__ == "__main__":
    main()
