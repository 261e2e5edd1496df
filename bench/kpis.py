"""KPI read cost on DynamoDB Local: a business with a year of 20 000 appointments
(2 000 clients, completed visits, no-shows, cancellations early and late, reminders,
win-back messages), its aggregates brought current by the kpi_sync job, then
GET /api/v1/admin/kpis?period=2026 (a year with its 12-month trend) through the app:
the DynamoDB items that request reads (counted from the responses botocore parses) and
its median latency. The sync runs as scheduled (each run within its budget) until no
client is left marked; the runs it took are printed.

    .venv/bin/python bench/kpis.py [--appointments 20000] [--clients 2000]

Starts its own DynamoDB Local; prints one `bench:` line last.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.common import ITEMS_READ, count_items_read, local_bench


def generate(business, appointments: int, clients: int, rng: random.Random) -> None:
    """A year of history written straight to the table (as the booking path would leave
    it), every client marked for the KPI sync."""
    from chalicelib.domain.booking import Appointment
    from chalicelib.store import keys
    from chalicelib.store.bookings import to_item
    from chalicelib.store.models import AppointmentItem, ClientItem

    cfg = business.config
    services = list(cfg.services)
    year_start = datetime(2026, 1, 1, 7, tzinfo=UTC)
    written = 0
    with AppointmentItem.batch_write() as batch:
        for n in range(clients):
            client_id = f"c{n:06d}"
            created = year_start - timedelta(days=rng.randint(0, 400))
            winbacks = [
                (year_start + timedelta(days=rng.randint(0, 364))).strftime("%Y-%m-%dT%H:%M:%SZ")
                for _ in range(rng.choice((0, 0, 0, 1, 2)))
            ]
            pk, sk = keys.kpi_change_keys(business.id, client_id, year_start)
            batch.save(
                ClientItem(
                    keys.biz(business.id),
                    keys.client_sk(client_id),
                    business_id=business.id,
                    client_id=client_id,
                    name=f"Client {n}",
                    locale="fi",
                    created_at=created,
                    winback_log=winbacks or None,
                    g2pk=pk,
                    g2sk=sk,
                )
            )
            share = appointments // clients + (1 if n < appointments % clients else 0)
            for _ in range(share):
                service = rng.choice(services)
                start = year_start + timedelta(days=rng.randint(0, 364), hours=rng.randint(0, 9))
                roll = rng.random()
                status = "completed" if roll < 0.8 else "no_show" if roll < 0.86 else "cancelled"
                made = start - timedelta(days=rng.randint(0, 40), hours=rng.randint(1, 9))
                cancelled_at = start - timedelta(hours=rng.choice((2, 10, 48, 200))) if status == "cancelled" else None
                a = Appointment(
                    id=f"a{written:07d}",
                    business_id=business.id,
                    client_id=client_id,
                    service_id=service.id,
                    staff_id=cfg.staff_for(service.id)[0].id,
                    start=start,
                    end=start + timedelta(minutes=service.duration_minutes),
                    occupied_until=start + timedelta(minutes=service.occupancy_minutes),
                    status=status,
                    price_cents=service.price_cents,
                    locale="fi",
                    created_at=made,
                    updated_at=made,
                    cancelled_at=cancelled_at,
                    reminded=rng.random() < 0.7,
                    feedback_requested=status == "completed",
                )
                item = to_item(a)
                item.cancelled_at = cancelled_at  # set by the cancellation's own update, not the booking
                batch.save(item)
                written += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appointments", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    with local_bench(
        "rebook-bench-kpis", count=count_items_read, owner=True, env={"POWERTOOLS_METRICS_DISABLED": "true"}
    ) as bench:
        from chalicelib.services import kpis

        business = bench.business
        t0 = time.perf_counter()
        generate(business, args.appointments, args.clients, random.Random(20000))
        written = time.perf_counter() - t0
        # The sync runs (every 5 minutes, a 20 s budget each) until nothing is left marked.
        t0 = time.perf_counter()
        runs, synced_clients, longest = 0, 0, 0.0
        while True:
            t1 = time.perf_counter()
            summary = kpis.run(datetime(2027, 1, 10, tzinfo=UTC) + timedelta(minutes=5 * runs))
            longest = max(longest, time.perf_counter() - t1)
            runs += 1
            synced_clients += summary["synced"]
            print(f"kpi_sync run {runs}: {summary}", flush=True)
            if not summary["left_for_next_run"]:
                break
            assert runs < 50, "the backlog does not drain"
        synced = time.perf_counter() - t0
        assert synced_clients == args.clients, (synced_clients, args.clients)

        headers = bench.headers
        latencies, reads = [], []
        with bench.client as client:
            client.http.get("/api/v1/admin/kpis?period=2026", headers=headers)  # warm: config cache, keys
            for _ in range(args.runs):
                ITEMS_READ.update(n=0, requests=0)
                t0 = time.perf_counter()
                r = client.http.get("/api/v1/admin/kpis?period=2026", headers=headers)
                latencies.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.body
                reads.append((ITEMS_READ["n"], ITEMS_READ["requests"]))
        import json

        body = json.loads(r.body)
    k = body["kpis"]
    print(
        f"history: {args.appointments} appointments of {args.clients} clients in 2026, written in "
        f"{written:.1f} s; kpi_sync of every client: {synced:.1f} s in {runs} runs (longest {longest:.1f} s, "
        f"budget {kpis.BUDGET_SECONDS:.0f} s)"
    )
    print(
        f"2026: visits {k['visits']['value']}, visitors {k['average_spend_cents']['denominator']}, "
        f"no-show rate {k['no_show_rate']['value']}, late-cancellation rate {k['late_cancellation_rate']['value']}, "
        f"win-back messages {k['winback_messages']['value']}; trend months: {len(body['trend'])}"
    )
    items, requests = max(reads)
    print(
        f"GET /kpis?period=2026: {requests} DynamoDB requests, {items} items read "
        f"(audit trail write included in requests); median of {args.runs}"
    )
    print(
        f"bench: kpi_items_read_year={items} kpi_latency_ms={statistics.median(latencies) * 1000:.1f} "
        f"kpi_sync_runs={runs}"
    )


if __name__ == "__main__":
    main()
