"""The scheduled jobs and how often they run: one list for Chalice, the local
scheduler and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


def _send_due(now: datetime, simulated: bool = False):
    from chalicelib.jobs import send_due

    return send_due.run(now, simulated=simulated)


def _erase_inactive(now: datetime, simulated: bool = False):
    from chalicelib.jobs import erase_inactive

    return erase_inactive.run(now, simulated=simulated)


def _visits_ended(now: datetime, simulated: bool = False):
    from chalicelib.jobs import visits_ended

    return visits_ended.run(now, simulated=simulated)


def _marketing(now: datetime, simulated: bool = False):
    from chalicelib.services import marketing

    return marketing.run(now)


def _kpi_sync(now: datetime, simulated: bool = False):
    from chalicelib.services import kpis

    return kpis.run(now)


@dataclass(frozen=True)
class Job:
    name: str
    every_minutes: int
    run: Callable[..., object]
    about: str


JOBS = {
    "send_due": Job(
        "send_due", 1, _send_due, "send due messages: reminders, retries of failed sends (the outbox sweeper)"
    ),
    "visits_ended": Job(
        "visits_ended", 5, _visits_ended, "complete visits that ended; update clients' visits, spend and rhythm"
    ),
    "kpi_sync": Job(
        "kpi_sync", 5, _kpi_sync, "bring the KPI aggregates in line with the clients whose history changed"
    ),
    "marketing": Job("marketing", 60, _marketing, "win-back and birthday messages, at each business's local morning"),
    "erase_inactive": Job(
        "erase_inactive",
        24 * 60,
        _erase_inactive,
        "erase clients inactive longer than their business keeps them (GDPR)",
    ),
}


def summary_of(result) -> dict:
    return result.as_dict() if hasattr(result, "as_dict") else dict(result)
