"""Time and history for the tests, in one place.

- `at(iso)`: a wall time with its offset, as the clock gives it (UTC).
- `run_job(name, when)`: one run of a scheduled job at a moment.
- `past_visits(...)`: a client with these past visits, set directly. Her appointments
  are written as completed through the store, and after each one her profile (visits,
  spend, rhythm, at-risk and lapse days, stamp card) is brought up to date by the very
  service the visits_ended job calls, `services.retention.refresh_client`. For tests
  whose subject is what comes after (win-back, the stamp card, the registry): replaying
  weeks of bookings and job runs to get there cost thousands of queries a test.
- `run_on_schedule(name, when)`: a run of a job as its schedule would make it — the
  sweeps (send_due, visits_ended) have run at every earlier moment of their schedule
  too (`ran_on_schedule_until`): without, a test's first run walks 48 empty hours.
- `booked_ahead`, `after` and `visit`: a visit that happens through the public API
  and the real visits_ended job, for tests whose subject it is.

The only test code that writes history behind the API's back; the store functions it
uses are named here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")
BOOKED_AHEAD = timedelta(days=3)  # when a past visit was booked, before its start
JOB_DELAY = timedelta(minutes=5)  # visits_ended runs every 5 minutes


def at(iso: str) -> datetime:
    """A wall time with its offset ("2026-11-25T12:00:00+02:00"), in UTC as the clock gives it."""
    return datetime.fromisoformat(iso).astimezone(UTC)


def business(slug: str = "demo"):
    """The business at `slug`, which the test's fixtures loaded."""
    from chalicelib.store import businesses

    found = businesses.get_by_slug(slug)
    assert found is not None, f"no business {slug!r}: is the fixture that loads it in use?"
    return found


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


@dataclass(frozen=True)
class Visits:
    business_id: str
    client_id: str
    appointments: tuple  # chalicelib.domain.booking.Appointment, oldest first

    @property
    def appointment_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.appointments)


def past_visits(
    starts: Iterable[datetime | str],
    *,
    slug: str = "demo",
    name: str = "Maija Meikäläinen",
    phone: str | None = "040 123 4567",
    email: str | None = "maija@example.com",
    service: str = "womens-cut",
    staff: str = "aino",
    marketing: bool = True,
    locale: str = "fi",
    status: str = "completed",
    clock: dict | None = None,
) -> Visits:
    """Her visits at `starts`, each booked three days ahead and completed, and her profile
    as visits_ended leaves it a few minutes after each one. She is found by phone or
    email like a booking finds her, or is new; with neither she is new once and then
    picked by her id, as the desk books a client with no contact. A frozen `clock` moves
    on to then.
    (`status="booked"`: one nobody has marked yet, and no profile update.)"""
    from chalicelib.domain.booking import Appointment
    from chalicelib.domain.clients import BookedClient
    from chalicelib.domain.contacts import normalize_email, normalize_phone
    from chalicelib.domain.ids import new_id
    from chalicelib.domain.privacy import erase_due
    from chalicelib.services import retention
    from chalicelib.store import bookings, clients

    b = business(slug)
    cfg = b.config
    svc = cfg.service(service)
    assert svc is not None, f"no service {service!r}"
    phone = normalize_phone(phone) if phone else None
    email = normalize_email(email) if email else None
    client_id, done = None, []
    for when in starts:
        start = at(when) if isinstance(when, str) else when
        end = start + timedelta(minutes=svc.duration_minutes)
        match = clients.find_client(b.id, phone, email)
        if client_id and not (phone or email):  # nothing finds her: the desk picks her by her id
            match = replace(match, chosen=client_id)
        appt = Appointment(
            id=new_id(),
            business_id=b.id,
            client_id=match.client_id or new_id(),
            service_id=svc.id,
            staff_id=staff,
            start=start,
            end=end,
            occupied_until=start + timedelta(minutes=svc.occupancy_minutes),
            status=status,
            price_cents=svc.price_cents,
            locale=locale,
            created_at=start - BOOKED_AHEAD,
            updated_at=end if status == "completed" else start - BOOKED_AHEAD,
        )
        contact = BookedClient(
            business_id=b.id,
            client_id=appt.client_id,
            is_new=match.client_id is None,
            name=name,
            phone=phone,
            email=email,
            locale=locale,
            marketing_granted=marketing,
            consent_source="booking:web",
            link_phone=bool(phone) and match.by_phone is None and match.client_id is not None,
            link_email=bool(email) and match.by_email is None and match.client_id is not None,
            active_until=appt.end,
            erase_on=erase_due(appt.end, cfg.privacy.erase_inactive_after_years),
        )
        bookings.create_booking(appt, appt.days(cfg.tz), None, contact, [], None, appt.created_at)
        if status == "completed":
            retention.refresh_client(b.id, appt.client_id, appt.end + JOB_DELAY)
        client_id = appt.client_id
        done.append(appt)
    assert client_id, "no visits given"
    if clock is not None:
        clock["now"] = done[-1].end + JOB_DELAY
    return Visits(b.id, client_id, tuple(done))


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
