"""The scheduled jobs and when they run, written once: app.py registers one Chalice
schedule per job from this list (and so the CDK app deploys one function and one
EventBridge rule each), the local scheduler of `make run` and the CLI's run-job read it
too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any


def _send_due(now: datetime, simulated: bool = False) -> Any:
    from chalicelib.jobs import send_due

    return send_due.run(now, simulated=simulated)


def _erase_inactive(now: datetime, simulated: bool = False) -> Any:
    from chalicelib.jobs import erase_inactive

    return erase_inactive.run(now, simulated=simulated)


def _visits_ended(now: datetime, simulated: bool = False) -> Any:
    from chalicelib.jobs import visits_ended

    return visits_ended.run(now, simulated=simulated)


def _hold_expiry(now: datetime, simulated: bool = False) -> Any:
    from chalicelib.services.booking import holds

    return holds.run(now, simulated=simulated)


def _waitlist_queue(now: datetime, simulated: bool = False) -> Any:
    from chalicelib.services.waitlist import refill

    return refill.run(now, simulated=simulated)


def _marketing(now: datetime, simulated: bool = False) -> Any:
    from chalicelib.services import marketing

    return marketing.run(now, simulated=simulated)


def _kpi_sync(now: datetime, simulated: bool = False) -> Any:
    from chalicelib.services import kpis

    return kpis.run(now)


def _imports(now: datetime, simulated: bool = False) -> Any:
    from chalicelib.services.admin import imports

    return imports.run_job(now)


def _refit_returns(now: datetime, simulated: bool = False) -> Any:
    from chalicelib.jobs import refit_returns

    return refit_returns.run(now, simulated=simulated)


@dataclass(frozen=True)
class Job:
    """A job runs every `every_minutes`; a daily one (`every_minutes` = 1440) at the UTC
    time `at` (HH:MM), when it disturbs nobody."""

    name: str
    every_minutes: int
    run: Callable[..., Any]
    about: str
    at: str | None = None

    def __post_init__(self) -> None:
        if self.at is not None and self.every_minutes != 24 * 60:
            raise ValueError(f"{self.name}: a time of day only for a daily job")

    def next_run(self, last: datetime | None, now: datetime) -> datetime:
        """When the job is due next, given when it last ran (the local scheduler's rule;
        EventBridge keeps the same rhythm in AWS)."""
        if self.at is None:
            return now if last is None else last + timedelta(minutes=self.every_minutes)
        hour, minute = (int(p) for p in self.at.split(":"))
        today = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        slot = today if now >= today else today - timedelta(days=1)
        return now if last is None or last < slot else slot + timedelta(days=1)

    def describe(self) -> str:
        if self.at is not None:
            return f"{self.name} daily at {self.at} UTC"
        return f"{self.name} every {self.every_minutes} min"


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
    "hold_expiry": Job(
        "hold_expiry",
        1,
        _hold_expiry,
        "end the holds that ran out: a new client's booking not confirmed in time is freed; an unpaid one is"
        " reconciled with Stripe first (paid: booked), else freed",
    ),
    "waitlist_queue": Job(
        "waitlist_queue",
        1,
        _waitlist_queue,
        "waitlist in queue mode: a freed time whose offer was not taken in its hold goes to the next in the queue",
    ),
    "imports": Job("imports", 1, _imports, "CSV imports of clients: the next chunks of each running import"),
    "marketing": Job("marketing", 60, _marketing, "win-back and birthday messages, at each business's local morning"),
    "refit_returns": Job(
        "refit_returns",
        60,
        _refit_returns,
        "weekly: refit each business's return model to its visits and move clients' at-risk and lapse days to it"
        " (hourly runs finish a big business and otherwise do nothing)",
    ),
    "erase_inactive": Job(
        "erase_inactive",
        24 * 60,
        _erase_inactive,
        "erase clients inactive longer than their business keeps them (GDPR)",
        at="02:15",
    ),
}


def summary_of(result: Any) -> dict[str, Any]:
    return result.as_dict() if hasattr(result, "as_dict") else dict(result)


def start_on_a_new_table(now: datetime) -> None:
    """A table made just now holds nothing that was due before it: the jobs that catch up
    from a watermark start here instead of their first runs looking back through empty
    partitions (send_due and visits_ended 48 hours of hour partitions, erase_inactive 60
    days: some 1 750 Queries, what the local stack's first minute spent). What the CLI
    does when it makes a table."""
    from chalicelib.jobs import erase_inactive, send_due, visits_ended
    from chalicelib.services.booking import holds
    from chalicelib.services.waitlist import refill
    from chalicelib.store import jobs

    for job in (send_due.JOB, visits_ended.JOB, holds.JOB, refill.JOB):
        jobs.set_watermark(job, now, now)
    # erase_inactive's watermark is the last day it finished: today is still to do.
    yesterday = now.astimezone(UTC).date() - timedelta(days=1)
    jobs.set_watermark(erase_inactive.JOB, datetime.combine(yesterday, time(), tzinfo=UTC), now)
