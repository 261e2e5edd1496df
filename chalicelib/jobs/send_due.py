"""The outbox sweeper: every message that is due — reminders, retries, confirmations
the outbox stream missed or could not send — is found through the due index (no Scan), claimed with a
conditional write, re-checked against its appointment, and sent (one message at a
time: chalicelib/notify/dispatch.py, the same code the outbox stream sends with).

Runs every minute. Two runs at once, or a run repeated after a crash, send nothing
twice: only the run whose claim succeeds sends. A run that starts after an outage
looks back to where the last complete run got (the watermark), so nothing due in
between is missed; reminders whose visit has begun are recorded as skipped.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.messages import Message
from chalicelib.notify import dispatch, outbox
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store import jobs
from chalicelib.store import outbox as store
from chalicelib.store.faults import unavailable_for

JOB = "send_due"
FIRST_LOOKBACK = timedelta(hours=48)  # the very first run, before any watermark
# The due index is eventually consistent; re-reading a few minutes behind the
# watermark catches items that appeared late (already-handled ones are not due any more).
OVERLAP = timedelta(minutes=5)
# The job's Lambda has 30 s; what a run does not reach stays due for the next one.
BUDGET_SECONDS = 20.0
PAGE_SIZE = 100  # messages read, and handed to the senders, at a time


@dataclass
class Summary:
    due: int = 0
    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    retry: int = 0
    failed: int = 0
    taken: int = 0  # claimed by another run
    fanned_out: int = 0  # webhook events turned into one delivery per endpoint
    expanded: int = 0  # bookings' plans turned into their messages
    errors: int = 0
    stopped_by_budget: bool = False
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, outcome: str, reason: str | None = None) -> None:
        with self._lock:  # worker threads report concurrently
            setattr(self, outcome, getattr(self, outcome) + 1)
            if reason:
                self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}


def process(m: Message, now: datetime, summary: Summary) -> None:
    handled = dispatch.send_once(m, now)
    for h in (handled, *handled.then):  # a plan's messages sent at once count too
        if h.outcome != "held":
            summary.add(h.outcome, h.reason)


def run(
    now: datetime,
    workers: int | None = None,
    simulated: bool = False,
    budget_seconds: float = BUDGET_SECONDS,
    page_size: int = PAGE_SIZE,
) -> Summary:
    """One sweep, a page at a time, for at most `budget_seconds`: a backlog (an outage,
    the 08:00 SMS of every business) is never in memory at once and never runs the
    Lambda past its timeout; what the budget leaves is due for the next run, which starts
    at the hour this one stopped in. `simulated` (the CLI's --now) leaves the watermark
    alone, so trying a future moment never makes the real schedule skip what is due."""
    started = time.monotonic()
    watermark = jobs.get_watermark(JOB) or now - FIRST_LOOKBACK
    since = (min(watermark, now - FIRST_LOOKBACK) if simulated else watermark) - OVERLAP
    summary = Summary()
    position = now  # where the next run must look back to
    slowest_page, pages = 0.0, 0
    # Sending waits on SES/SNS; a bounded pool keeps many requests in flight.
    workers = workers or get_settings().send_workers
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for page in store.due_pages(since, now, page_size):
            # Stop before a page that might not fit in what is left of the budget (the
            # first page always runs: every run makes progress).
            if pages and time.monotonic() - started + slowest_page > budget_seconds:
                summary.stopped_by_budget = True
                position = min(position, page.hour)
                break
            t0 = time.monotonic()
            due = [m for m in page.messages if m.due_at <= now]
            summary.due += len(due)
            stuck = [m for m, ok in zip(due, pool.map(lambda m: _safe(m, now, summary), due)) if not ok]
            # A message that hit an unexpected error and could not even be put off is
            # still due where it was: the next run must look back to it.
            position = min([position, *(m.due_at for m in stuck)])
            slowest_page, pages = max(slowest_page, time.monotonic() - t0), pages + 1
    if not simulated:
        jobs.set_watermark(JOB, position, now)
    summary.seconds = round(time.monotonic() - started, 3)
    logger().info("send_due finished", extra=summary.as_dict())
    return summary


def _safe(m: Message, now: datetime, summary: Summary) -> bool:
    """Handle one message; False only if it hit an error and stays due where it was."""
    try:
        process(m, now, summary)
        return True
    except Exception as e:
        logger().exception("message failed in sweeper", extra={"message_key": m.key})
        summary.add("errors")
        if unavailable_for(e) is not None:
            return False  # the database is busy: due where it was, for the next run
        # One bad message must not stop the others, nor hold back the watermark: it is
        # retried with backoff like a failed send (and fails for good after as many tries).
        try:
            store.put_off(m, now, f"error: {type(e).__name__}", outbox.backoff)
        except Exception:
            logger().exception("could not put off a message", extra={"message_key": m.key})
            return False
        return True
