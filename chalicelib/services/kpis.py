"""Keeping the KPI aggregates current: the sync of clients whose history changed
(the `kpi_sync` job), and one client's re-count (chalicelib/domain/kpis.py)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.domain import kpis as rules
from chalicelib.domain.clients import Client
from chalicelib.domain.config import Business
from chalicelib.observability import logger
from chalicelib.store import bookings, businesses
from chalicelib.store import kpis as store

# Marks younger than this wait for the next run: the client's history is read through
# an eventually consistent index, which may not show the write that marked her yet.
SETTLE = timedelta(seconds=10)
# The job's Lambda has 30 s; a backlog (a first sync of imported history) carries over:
# whoever is not reached stays marked for the next run.
BUDGET_SECONDS = 20.0


def days_from(b: Business, now: datetime) -> date:
    """The first day whose counters a sync keeps up to date (rules.DAY_HORIZON_DAYS)."""
    return now.astimezone(b.config.tz).date() - timedelta(days=rules.DAY_HORIZON_DAYS)


def client_counts(b: Business, client: Client, first_day: date | None = None) -> rules.Counts:
    history = bookings.client_history(b.id, client.id)
    return rules.contribution(
        history,
        list(client.winback_log),
        b.config.tz,
        b.config.rules.cancellation_window_hours,
        first_day,
        nudges=list(client.nudge_log),
    )


def sync_client(b: Business, client: Client, now: datetime | None = None) -> bool:
    """Bring the aggregates in line with the client's history. False if she changed
    again meanwhile (she stays marked, and the next run counts her).

    Days older than the horizon are left as they are on both sides: what she added to
    them is dropped from her profile and nothing is taken from them, so every recent
    day's counters stay the sum of what the clients' profiles say they added."""
    first_day = days_from(b, now or clock.now())
    new = client_counts(b, client, first_day)
    old = rules.without_days_before(client.kpi, first_day)
    try:
        store.apply(client, new, rules.delta(old, new))
    except store.Changed:
        return False
    return True


def run(now: datetime, budget_seconds: float = BUDGET_SECONDS) -> dict[str, Any]:
    summary: dict[str, Any] = {"clients": 0, "synced": 0, "changed_again": 0, "left_for_next_run": False}
    cache: dict[str, Business | None] = {}
    deadline = time.monotonic() + budget_seconds
    for client in store.changed_before(now - SETTLE):
        if time.monotonic() > deadline:
            summary["left_for_next_run"] = True
            break
        summary["clients"] += 1
        if client.business_id not in cache:
            cache[client.business_id] = businesses.get_by_id(client.business_id)
        b = cache[client.business_id]
        if b is None:
            continue
        if sync_client(b, client, now):
            summary["synced"] += 1
        else:
            summary["changed_again"] += 1
    logger().info("kpi_sync finished", extra=summary)
    return summary
