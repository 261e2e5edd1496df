"""Every 5 minutes: visits that ended since the last run (index gsi3 END#<hour>#<shard>,
watermark for catch-up) are completed if nobody marked them, and their clients' visit
figures and rhythm keys are brought up to date."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from chalicelib.observability import logger
from chalicelib.services import retention
from chalicelib.store import jobs
from chalicelib.store import retention as store

JOB = "visits_ended"
FIRST_LOOKBACK = timedelta(hours=48)
OVERLAP = timedelta(minutes=10)  # the index is eventually consistent
BUDGET_SECONDS = 20.0  # of the Lambda's 30 s


def run(now: datetime, simulated: bool = False, budget_seconds: float = BUDGET_SECONDS) -> dict[str, int]:
    """An hour of the index at a time within the budget; a run the budget stops leaves
    the watermark at the hour it did not finish (what it did there is repeatable: the
    completion is conditional, a client's refresh recomputes her figures)."""
    started = time.monotonic()
    watermark = jobs.get_watermark(JOB) or now - FIRST_LOOKBACK
    since = (min(watermark, now - FIRST_LOOKBACK) if simulated else watermark) - OVERLAP
    summary = {"ended": 0, "completed": 0, "clients": 0, "stopped_by_budget": 0}
    position = now
    for hour, visits in store.ended_by_hour(since, now):
        if time.monotonic() - started > budget_seconds:
            summary["stopped_by_budget"] = 1
            position = hour
            break
        clients = set()
        for visit in visits:
            if visit.end > now:
                continue
            summary["ended"] += 1
            if visit.is_active and store.complete(visit, now):
                summary["completed"] += 1
            clients.add((visit.business_id, visit.client_id))
        for business_id, client_id in sorted(clients):
            retention.refresh_client(business_id, client_id, now)
        summary["clients"] += len(clients)
    if not simulated:
        jobs.set_watermark(JOB, position, now)
    logger().info("visits_ended finished", extra=summary)
    return summary
