"""Every 5 minutes: visits that ended since the last run (index gsi3 END#<hour>#<shard>,
watermark for catch-up) are completed if nobody marked them, and their clients' visit
figures and rhythm keys are brought up to date."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.observability import logger
from chalicelib.services import retention
from chalicelib.store import jobs
from chalicelib.store import retention as store

JOB = "visits_ended"
FIRST_LOOKBACK = timedelta(hours=48)
OVERLAP = timedelta(minutes=10)  # the index is eventually consistent


def run(now: datetime, simulated: bool = False) -> dict[str, int]:
    watermark = jobs.get_watermark(JOB) or now - FIRST_LOOKBACK
    since = (min(watermark, now - FIRST_LOOKBACK) if simulated else watermark) - OVERLAP
    summary = {"ended": 0, "completed": 0, "clients": 0}
    clients = set()
    for visit in store.ended_between(since, now):
        if visit.end > now:
            continue
        summary["ended"] += 1
        if visit.is_active and store.complete(visit, now):
            summary["completed"] += 1
        clients.add((visit.business_id, visit.client_id))
    for business_id, client_id in sorted(clients):
        retention.refresh_client(business_id, client_id, now)
    summary["clients"] = len(clients)
    if not simulated:
        jobs.set_watermark(JOB, now, now)
    logger().info("visits_ended finished", extra=summary)
    return summary
