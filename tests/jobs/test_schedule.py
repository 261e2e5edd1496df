"""The job schedule is written once (chalicelib/jobs/schedule.py): the app registers one
schedule per job from it, and the local scheduler runs each job on the same rhythm."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.jobs.schedule import JOBS, Job


def test_the_app_registers_exactly_the_jobs_on_their_schedules(env):
    import app

    registered = {
        e.name: (e.schedule_expression.to_string(), e.handler_string)
        for e in app.app.event_sources
        if hasattr(e, "schedule_expression")
    }
    assert registered == {
        "send_due": ("rate(1 minute)", "app.send_due"),
        "visits_ended": ("rate(5 minutes)", "app.visits_ended"),
        "kpi_sync": ("rate(5 minutes)", "app.kpi_sync"),
        "hold_expiry": ("rate(1 minute)", "app.hold_expiry"),
        "imports": ("rate(1 minute)", "app.imports"),
        "marketing": ("rate(1 hour)", "app.marketing"),
        "refit_returns": ("rate(1 hour)", "app.refit_returns"),
        "waitlist_queue": ("rate(1 minute)", "app.waitlist_queue"),
        "erase_inactive": ("cron(15 2 * * ? *)", "app.erase_inactive"),
    }
    assert set(registered) == set(JOBS)
    # ... and the outbox stream's trigger beside them.
    [stream] = [e for e in app.app.event_sources if not hasattr(e, "schedule_expression")]
    assert stream.handler_string == "app.send_from_outbox"


def test_a_job_every_n_minutes_is_due_n_minutes_after_its_last_run():
    job, now = JOBS["visits_ended"], datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert job.next_run(None, now) == now  # at start: at once
    assert job.next_run(now - timedelta(minutes=3), now) == now + timedelta(minutes=2)


@pytest.mark.parametrize(
    ("last", "now", "due"),
    [
        (None, "2026-12-01T10:00", "2026-12-01T10:00"),  # never ran: catch up at once
        ("2026-12-01T02:15", "2026-12-01T10:00", "2026-12-02T02:15"),  # ran today: tomorrow
        ("2026-11-30T02:15", "2026-12-01T02:14", "2026-12-01T02:15"),  # a minute before today's slot
        ("2026-11-30T02:15", "2026-12-01T02:16", "2026-12-01T02:16"),  # missed today's slot: now
        ("2026-12-31T02:15", "2026-12-31T23:59", "2027-01-01T02:15"),  # over the year's end
    ],
)
def test_a_daily_job_runs_once_a_day_at_its_time(last, now, due):
    job = JOBS["erase_inactive"]

    def t(s):
        return datetime.fromisoformat(s).replace(tzinfo=UTC)

    assert job.next_run(t(last) if last else None, t(now)) == t(due)


def test_a_time_of_day_only_for_daily_jobs():
    with pytest.raises(ValueError, match="daily"):
        Job("x", 60, lambda now: None, "x", at="02:15")


def queries_of(job: str, now: datetime) -> tuple[int, Any]:
    """The DynamoDB Queries a job's run makes, and what it returns."""
    from tests.conftest import dynamodb_calls

    with dynamodb_calls() as calls:
        result = JOBS[job].run(now)
    return calls.count("Query"), result


def test_the_jobs_start_where_a_table_made_by_the_cli_begins(env, frozen_now):
    """`rebook_cli create-table` (what `make run` does first): the jobs' first runs on the
    new table begin at its making, not 48 hours or 60 days back through partitions that
    cannot hold anything. A table made otherwise (a deployment's) keeps the look-back."""
    from moto import mock_aws

    from chalicelib.store import jobs, keys
    from chalicelib.store.db import create_table
    from scripts import rebook_cli

    now = frozen_now["now"]
    with mock_aws():
        rebook_cli.cmd_create_table(None)
        new = {job: queries_of(job, now) for job in ("send_due", "visits_ended", "erase_inactive")}
    with mock_aws():
        create_table()
        assert jobs.get_watermark("send_due") is None  # its first run looks back 48 hours
    # The hour of `now` and the one before (the overlap), every shard (the due messages'
    # and the waiting plans'): no more.
    assert (
        new["send_due"][0] <= 2 * (keys.MESSAGE_SHARDS + keys.PLAN_SHARDS)
        and new["visits_ended"][0] <= 2 * keys.DUE_SHARDS
    ), new
    assert new["erase_inactive"][1]["days"] == 1, new  # today's, still to do
