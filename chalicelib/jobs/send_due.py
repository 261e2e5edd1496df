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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.messages import Message
from chalicelib.notify import dispatch
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store import jobs
from chalicelib.store import outbox as store

JOB = "send_due"
FIRST_LOOKBACK = timedelta(hours=48)  # the very first run, before any watermark
# The due index is eventually consistent; re-reading a few minutes behind the
# watermark catches items that appeared late (already-handled ones are not due any more).
OVERLAP = timedelta(minutes=5)


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
    errors: int = 0
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
    if handled.outcome != "held":
        summary.add(handled.outcome, handled.reason)


def run(now: datetime, workers: int | None = None, simulated: bool = False) -> Summary:
    """One sweep. `simulated` (the CLI's --now) leaves the watermark alone, so trying
    a future moment never makes the real schedule skip what is due before it."""
    watermark = jobs.get_watermark(JOB) or now - FIRST_LOOKBACK
    since = (min(watermark, now - FIRST_LOOKBACK) if simulated else watermark) - OVERLAP
    summary = Summary()
    due = [m for m in store.due_messages(since, now) if m.due_at <= now]
    summary.due = len(due)
    # Sending waits on SES/SNS; a bounded pool keeps many requests in flight.
    workers = workers or get_settings().send_workers
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        failed = [m for m, ok in zip(due, pool.map(lambda m: _safe(m, now, summary), due)) if not ok]
    # A message that hit an unexpected error is still due where it was: the next run
    # must look back to it, so the watermark stops there.
    if not simulated:
        jobs.set_watermark(JOB, min([m.due_at for m in failed] + [now]), now)
    logger().info("send_due finished", extra=summary.as_dict())
    return summary


def _safe(m: Message, now: datetime, summary: Summary) -> bool:
    try:
        process(m, now, summary)
        return True
    except Exception:
        # One bad message must not stop the others.
        logger().exception("message failed in sweeper", extra={"message_key": m.key})
        summary.add("errors")
        return False
