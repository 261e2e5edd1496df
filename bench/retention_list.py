"""The owner's at-risk list on DynamoDB Local: a salon with `--clients` regulars past
their at-risk day (six visits eight weeks apart, each booked three days ahead and rated,
the last 60 to 400 days ago; every fifth with a follow-up), their figures brought current
as the visits_ended job leaves them, then GET /api/v1/admin/retention through the app:
the DynamoDB requests and items it reads and its median latency, with the list's
readers and, interleaved, with one. The list reads each client's history and each listed
one's ratings (her early warnings), and the business's due follow-ups once.

    .venv/bin/python bench/retention_list.py [--clients 500] [--runs 7]

Starts its own DynamoDB Local; prints one `bench:` line last.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.common import ITEMS_READ, count_items_read, local_bench

NOW = datetime(2027, 3, 1, 10, tzinfo=UTC)
VISITS = 6
EVERY = timedelta(days=56)


def generate(business, clients: int, rng: random.Random) -> None:
    """Each client's visits, ratings and follow-ups written straight to the table."""
    from chalicelib.domain.booking import Appointment
    from chalicelib.domain.feedback import Rating
    from chalicelib.domain.registry import FollowUp, FollowUpAction
    from chalicelib.store import keys
    from chalicelib.store.bookings import to_item
    from chalicelib.store.feedback import to_item as feedback_item
    from chalicelib.store.followups import to_item as followup_item
    from chalicelib.store.models import AppointmentItem, ClientItem

    cfg = business.config
    service = cfg.services[0]
    staff = cfg.staff_for(service.id)[0].id
    with AppointmentItem.batch_write() as batch:
        for n in range(clients):
            client_id = f"c{n:06d}"
            last = NOW - timedelta(days=rng.randint(60, 400), hours=rng.randint(0, 8))
            batch.save(
                ClientItem(
                    keys.biz(business.id),
                    keys.client_sk(client_id),
                    business_id=business.id,
                    client_id=client_id,
                    name=f"Client {n}",
                    locale="fi",
                    created_at=last - VISITS * EVERY,
                )
            )
            for k in range(VISITS):
                start = last - (VISITS - 1 - k) * EVERY
                made = start - timedelta(days=3)
                appt_id = f"a{n:06d}{k}"
                batch.save(
                    to_item(
                        Appointment(
                            id=appt_id,
                            business_id=business.id,
                            client_id=client_id,
                            service_id=service.id,
                            staff_id=staff,
                            start=start,
                            end=start + timedelta(minutes=service.duration_minutes),
                            occupied_until=start + timedelta(minutes=service.occupancy_minutes),
                            status="completed",
                            price_cents=service.price_cents,
                            locale="fi",
                            created_at=made,
                            updated_at=made,
                            feedback_requested=True,
                        )
                    )
                )
                batch.save(
                    feedback_item(
                        Rating(
                            business.id,
                            appt_id,
                            client_id,
                            staff,
                            service.id,
                            start,
                            rng.choice((3, 4, 5, 5)),
                            None,
                            start + timedelta(hours=3),
                            start + timedelta(hours=3),
                        )
                    )
                )
            if n % 5 == 0:  # a follow-up, its call due a month after her last visit
                action = FollowUpAction("Soita", due=(last + timedelta(days=30)).date())
                batch.save(
                    followup_item(
                        FollowUp(business.id, client_id, f"f{n}", "open", last, last, "owner", actions=(action,))
                    )
                )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with local_bench(
        "rebook-bench-retention",
        count=count_items_read,
        owner=True,
        env={"POWERTOOLS_METRICS_DISABLED": "true", "REBOOK_NOW": NOW.isoformat()},
    ) as bench:
        from chalicelib.services.retention import refresh_client

        business = bench.business
        t0 = time.perf_counter()
        generate(business, args.clients, random.Random(500))
        for n in range(args.clients):
            refresh_client(business.id, f"c{n:06d}", NOW, announce=False)
        written = time.perf_counter() - t0

        headers = bench.headers
        from chalicelib.services.admin import retention_list

        pooled = retention_list.READERS
        latencies: list[float] = []
        one_by_one: list[float] = []
        reads: list[tuple[int, int]] = []
        with bench.client as client:
            client.http.get("/api/v1/admin/retention", headers=headers)  # warm: config cache, keys, model
            # The list's readers against one reader (as it read before the warnings), interleaved.
            for _ in range(args.runs):
                for readers, times in ((1, one_by_one), (pooled, latencies)):
                    retention_list.READERS = readers
                    ITEMS_READ.update(n=0, requests=0)
                    t0 = time.perf_counter()
                    r = client.http.get("/api/v1/admin/retention", headers=headers)
                    times.append(time.perf_counter() - t0)
                    assert r.status_code == 200, r.body
                    reads.append((ITEMS_READ["n"], ITEMS_READ["requests"]))
        body = json.loads(r.body)
    listed = body["clients"]
    warned = sum(1 for c in listed if c["signals"])
    items, requests = max(reads)
    print(f"{args.clients} clients past their at-risk day, written and brought current in {written:.1f} s")
    print(
        f"GET /retention: {len(listed)} listed ({warned} with a warning), {requests} DynamoDB requests, {items} items"
    )
    print(f"latency per run (s), {pooled} readers: {' '.join(f'{x:.2f}' for x in latencies)}")
    print(f"latency per run (s), 1 reader:  {' '.join(f'{x:.2f}' for x in one_by_one)}")
    print(
        f"bench: retention_listed={len(listed)} retention_requests={requests} retention_items_read={items} "
        f"retention_latency_ms={statistics.median(latencies) * 1000:.0f} "
        f"retention_latency_one_reader_ms={statistics.median(one_by_one) * 1000:.0f}"
    )


if __name__ == "__main__":
    main()
