"""Daily: erase clients who have been inactive longer than their business keeps them
(`privacy.erase_inactive_after_years`). Clients are found by the day they become due
(index gsi3, ERASE#<day>#<shard>), so the job reads what is due, not the table; after
an outage it works through every day it missed (watermark), within its time budget:
a day it did not finish is where the next run starts (the day's index is itself the
queue: an erased or postponed client leaves it)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from chalicelib.jobs.budget import BUDGET_SECONDS, Budget
from chalicelib.services.admin import gdpr
from chalicelib.store import jobs

JOB = "erase_inactive"
MAX_CATCH_UP_DAYS = 60


def run(now: datetime, simulated: bool = False, budget_seconds: float = BUDGET_SECONDS) -> dict:
    today = now.astimezone(UTC).date()
    watermark = jobs.get_watermark(JOB)
    # After an outage, every missed day (bounded); the very first run looks back as far.
    first = (
        watermark.date() + timedelta(days=1)
        if watermark and not simulated
        else today - timedelta(days=0 if simulated else MAX_CATCH_UP_DAYS)
    )
    first = max(first, today - timedelta(days=MAX_CATCH_UP_DAYS))
    total = {"days": 0, "due": 0, "erased": 0, "postponed": 0, "stopped_by_budget": 0}
    budget = Budget(budget_seconds)
    day = first
    while day <= today:
        for k, v in gdpr.erase_inactive(day, now, budget).items():
            total[k] += v
        if total["stopped_by_budget"]:
            break  # the watermark stays before this day: the next run starts with it
        total["days"] += 1
        if not simulated:
            jobs.set_watermark(JOB, datetime.combine(day, time(), tzinfo=UTC), now)
        day += timedelta(days=1)
    return total
