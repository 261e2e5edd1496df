"""The scheduled jobs and how often they run: one list for Chalice, the local
scheduler and the CLI."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable


def _send_due(now: datetime, simulated: bool = False):
    from chalicelib.jobs import send_due

    return send_due.run(now, simulated=simulated)


@dataclass(frozen=True)
class Job:
    name: str
    every_minutes: int
    run: Callable[..., object]
    about: str


JOBS = {
    "send_due": Job("send_due", 1, _send_due,
                    "send due messages: reminders, retries of failed sends (the outbox sweeper)"),
}
