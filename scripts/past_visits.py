"""A client's past visits written straight into the store, as the visits_ended job would
have left them: her appointments completed (or missed), and after each one her profile
(visits, spend, rhythm, at-risk and lapse days, stamp card) brought up to date by the
very service that job calls, `services.retention.refresh_client`. For the tests whose
subject is what comes after (tests/history.py), and for the lived-in demo salon `make run`
starts with (scripts/demo_history.py): replaying weeks of bookings and job runs to get
there costs thousands of queries.

The only code that writes history behind the API's back; the store functions it uses are
named here and nowhere else."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

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
