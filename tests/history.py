"""Time and history for the tests, in one place.

- `at(iso)`: a wall time with its offset, as the clock gives it (UTC).
- `run_job(name, when)`: one run of a scheduled job at a moment.
- `past_visits(...)`: a client with these past visits, set directly
  (scripts/past_visits.py, which the demo salon of `make run` is seeded by too). For
  tests whose subject is what comes after (win-back, the stamp card, the registry).
- `run_on_schedule(name, when)`: a run of a job as its schedule would make it — the
  sweeps (send_due, visits_ended) have run at every earlier moment of their schedule
  too (`ran_on_schedule_until`): without, a test's first run walks 48 empty hours.
- `booked_ahead`, `after` and `visit`: a visit that happens through the public API
  and the real visits_ended job, for tests whose subject it is.

Apart from scripts/past_visits.py, the only test code that writes history behind the
API's back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# The past visits written straight into the store (one place for the tests and the demo).
from scripts.past_visits import BOOKED_AHEAD, JOB_DELAY, Visits, at, business, past_visits  # noqa: F401

HELSINKI = ZoneInfo("Europe/Helsinki")


def run_job(name: str, when: datetime | str) -> Any:
    from chalicelib.jobs.schedule import JOBS

    return JOBS[name].run(at(when) if isinstance(when, str) else when)


def booked_ahead(client, frozen_now: dict, start: str, **kw) -> dict:
    """Booked through the public API three days before `start`."""
    from tests.api.helpers import book

    frozen_now["now"] = at(start) - BOOKED_AHEAD
    status, body = book(client, start, **kw)
    assert status == 201, body
    return body


def after(frozen_now: dict, start: str) -> datetime:
    """Two hours after the visit at `start`, with the visits_ended job run then, on its
    schedule."""
    frozen_now["now"] = at(start) + timedelta(hours=2)
    run_on_schedule("visits_ended", frozen_now["now"])
    return frozen_now["now"]


def visit(client, frozen_now: dict, start: str, **kw) -> dict:
    """Booked three days ahead, and two hours past with the job run."""
    body = booked_ahead(client, frozen_now, start, **kw)
    after(frozen_now, start)
    return body


# The jobs that walk an index an hour x shard at a time (keys.hours_of_buckets), and
# their partitions' prefix in each index they walk (send_due: the due messages, and
# the bookings' plans still waiting).
SWEEPS = {"send_due": {"g3": "DUE#", "g6": "PLAN#"}, "visits_ended": {"g3": "END#"}}


def ran_on_schedule_until(job: str, when: datetime) -> datetime:
    """The sweep `job` (send_due runs every minute, visits_ended every 5) ran on its
    schedule up to `when`, or up to the first entry of its index it would have had to
    handle by then: its watermark moves there (never back), so the test's next real run
    looks back from it, not through every empty hour x shard since the last run (a first
    run's 48 hours: 784 Queries on moto or DynamoDB Local). The runs taken as done would
    have found nothing; one Scan of the sparse index, which a test may do, is the proof.
    Returns where the watermark now is."""
    from chalicelib.jobs import send_due, visits_ended
    from chalicelib.settings import get_settings
    from chalicelib.store import jobs
    from chalicelib.store.db import dynamodb_client
    from chalicelib.store.models import index_name

    sweep = {"send_due": send_due, "visits_ended": visits_ended}[job]
    watermark = jobs.get_watermark(job)
    if watermark is not None and when - watermark <= timedelta(hours=1):
        return watermark  # the next run reads an hour or two of partitions anyway
    # Where the real run would start looking: what it would not see stays unseen.
    since = (watermark or when - sweep.FIRST_LOOKBACK) - sweep.OVERLAP
    first, ddb = when, dynamodb_client()
    for g, prefix in SWEEPS[job].items():
        kwargs = {"TableName": get_settings().table_name, "IndexName": index_name(g)}
        while True:
            page = ddb.scan(**kwargs, ProjectionExpression=f"{g}pk, {g}sk")
            for entry in page["Items"]:
                if entry[f"{g}pk"]["S"].startswith(prefix):
                    due = datetime.fromisoformat(entry[f"{g}sk"]["S"].split("#")[0])
                    if due >= since:
                        first = min(first, due)
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    jobs.set_watermark(job, first, when)  # only ever forward
    return first if watermark is None else max(watermark, first)


def run_on_schedule(name: str, when: datetime | str) -> Any:
    """One run of a job at `when`, as its schedule would make it: a sweep has run at
    every earlier moment of its schedule too (ran_on_schedule_until). For a test whose
    subject is a missed schedule (an outage), run_job."""
    when = at(when) if isinstance(when, str) else when
    if name in SWEEPS:
        ran_on_schedule_until(name, when)
    return run_job(name, when)
