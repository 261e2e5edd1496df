"""Keeping the KPI aggregates current: the sync of clients whose history changed
(the `kpi_sync` job), and one client's re-count (chalicelib/domain/kpis.py)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.domain import kpis as rules
from chalicelib.domain.clients import Client
from chalicelib.domain.config import Business
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store import bookings, businesses
from chalicelib.store import kpis as store

# Marks younger than this wait for the next run: the client's history is read through
# an eventually consistent index, which may not show the write that marked her yet.
SETTLE = timedelta(seconds=10)
# The job's Lambda has 30 s; a backlog (a first sync of imported history) carries over:
# whoever is not reached stays marked for the next run.
BUDGET_SECONDS = 20.0
PAGE = 50  # clients of one business synced per round


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
        grace_minutes=b.config.rules.change_grace_minutes,
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


def run(
    now: datetime,
    budget_seconds: float = BUDGET_SECONDS,
    page: int = PAGE,
    workers: int | None = None,
    max_rounds: int | None = None,
) -> dict[str, Any]:
    """One sync, fair between businesses: in rounds, each business with marked clients
    gets one page of them per round (an import of 20 000 clients takes a page like a
    salon with one booking does), the businesses of a round in parallel. Stops starting
    pages when the budget is spent; whoever is not reached stays marked, and the next
    run goes on from there (the marks are the position)."""
    summary: dict[str, Any] = {
        "clients": 0,
        "synced": 0,
        "changed_again": 0,
        "businesses": 0,
        "rounds": 0,
        "left_for_next_run": False,
    }
    deadline = time.monotonic() + budget_seconds
    until = now - SETTLE
    store.move_legacy_marks(limit=1000)
    waiting = store.businesses_marked(until)
    summary["businesses"] = len(waiting)
    lock = threading.Lock()
    slowest = [0.0]  # the longest one client's sync took in this run

    def one_page(business_id: str) -> bool:
        """Sync a page of the business's marked clients; True if it has more."""
        b = businesses.get_by_id(business_id)
        if b is None:
            return False  # the business is gone: nothing to count
        marked = store.changed_of(business_id, until, page)
        for client in marked:
            # Stop before a client who might not fit in what is left of the budget.
            if time.monotonic() + slowest[0] > deadline:
                return True
            t0 = time.monotonic()
            outcome = "synced" if sync_client(b, client, now) else "changed_again"
            with lock:
                slowest[0] = max(slowest[0], time.monotonic() - t0)
                summary["clients"] += 1
                summary[outcome] += 1
        return len(marked) == page

    with ThreadPoolExecutor(max_workers=max(1, workers or get_settings().kpi_workers)) as pool:
        while waiting:
            if summary["rounds"] == max_rounds or time.monotonic() + slowest[0] > deadline:
                summary["left_for_next_run"] = True
                break
            summary["rounds"] += 1
            more = list(pool.map(one_page, waiting))
            waiting = [business_id for business_id, left in zip(waiting, more) if left]
    summary["left_for_next_run"] = summary["left_for_next_run"] or bool(waiting)
    logger().info("kpi_sync finished", extra=summary)
    return summary
