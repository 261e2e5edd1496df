"""Booking requests, the time a booking occupies, and when it can still be changed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.domain.booking import (
    DESK,
    Appointment,
    BookingIn,
    CancelIn,
    RescheduleIn,
    can_change,
    cancellation_deadline,
)
from chalicelib.domain.daysheet import DaySheet, Taken, busy_by_staff, days_touched, decode, encode, sheet_from


def body(**over):
    b = {
        "service": "womens-cut",
        "staff": "aino",
        "start": "2026-11-24T14:00:00+02:00",
        "client": {"name": "Anna Asiakas", "phone": "040 123 4567"},
    }
    b.update(over)
    return b


def client(**over):
    c = {"name": "Anna Asiakas", "phone": "040 123 4567"}
    c.update(over)
    return c


def error_locs(data, model=BookingIn) -> list[tuple]:
    with pytest.raises(ValidationError) as exc:
        model.model_validate(data)
    return [tuple(e["loc"]) for e in exc.value.errors()]


# --- BookingIn ------------------------------------------------------------------


def test_valid_booking_is_normalized():
    b = BookingIn.model_validate(
        body(
            client=client(email=" Anna@Example.FI ", locale="sv"),
            consents={"marketing": True},
            note="  Pitkät hiukset  ",
        )
    )
    assert b.start == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert b.start.utcoffset() == timedelta(0)
    assert b.client.phone == "+358401234567"
    assert b.client.email == "anna@example.fi"
    assert b.client.locale == "sv"
    assert b.consents.marketing is True
    assert b.note == "Pitkät hiukset"


def test_staff_is_optional_and_marketing_defaults_to_no():
    data = body()
    del data["staff"]
    b = BookingIn.model_validate(data)
    assert b.staff is None
    assert b.consents.marketing is False


@pytest.mark.parametrize(
    "start,utc",
    [
        ("2026-11-24T12:00:00Z", datetime(2026, 11, 24, 12, 0, tzinfo=UTC)),
        ("2026-11-24T14:00:00+02:00", datetime(2026, 11, 24, 12, 0, tzinfo=UTC)),
        ("2026-06-24T14:00:00+03:00", datetime(2026, 6, 24, 11, 0, tzinfo=UTC)),
    ],
)
def test_start_with_offset_is_read_as_the_right_instant(start, utc):
    assert BookingIn.model_validate(body(start=start)).start == utc


@pytest.mark.parametrize(
    "start",
    [
        "2026-11-24T14:00:00",  # naive: which time zone?
        "2026-11-24 14:00",
        "2026-11-24",
        "tomorrow at two",
        "",
        "2026-11-24T14:00:00+02:00" + " " * 40,
        1795000000,
        None,
    ],
)
def test_start_without_offset_or_not_a_time_is_rejected(start):
    assert ("start",) in error_locs(body(start=start))


def test_start_as_a_python_datetime_is_rejected_too():
    # Bodies come from JSON; a naive datetime object must not sneak past as local time.
    assert ("start",) in error_locs(body(start=datetime(2026, 11, 24, 14, 0)))


@pytest.mark.parametrize("field", ["price_cents", "status", "id", "business_id"])
def test_unknown_fields_are_rejected(field):
    assert (field,) in error_locs(body(**{field: 1}))


def test_unknown_client_and_consent_fields_are_rejected():
    assert ("client", "vip") in error_locs(body(client=client(vip=True)))
    assert ("consents", "sms") in error_locs(body(consents={"sms": True}))


@pytest.mark.parametrize(
    "contacts",
    [
        {},
        {"phone": ""},
        {"email": ""},
        {"phone": None, "email": None},
        {"phone": "", "email": ""},
    ],
)
def test_a_phone_or_an_email_is_required(contacts):
    c = {"name": "Anna Asiakas", **contacts}
    assert ("client",) in error_locs(body(client=c))


@pytest.mark.parametrize("contacts", [{}, {"phone": "", "email": None}])
def test_the_front_desk_may_book_a_name_alone(contacts):
    b = BookingIn.model_validate(body(client={"name": "Liisa", **contacts}), context=DESK)
    assert (b.client.name, b.client.phone, b.client.email) == ("Liisa", None, None)
    # Everything else is checked as online: the name, and a contact given.
    for bad in ({"name": ""}, {"name": "Liisa", "phone": "123"}):
        with pytest.raises(ValidationError):
            BookingIn.model_validate(body(client=bad), context=DESK)


def test_email_alone_is_enough():
    b = BookingIn.model_validate(body(client={"name": "Anna", "email": "anna@example.fi"}))
    assert b.client.phone is None
    assert b.client.email == "anna@example.fi"


@pytest.mark.parametrize("field,value", [("phone", "123"), ("email", "not-an-email")])
def test_invalid_contacts_are_rejected(field, value):
    assert ("client", field) in error_locs(body(client=client(**{field: value})))


@pytest.mark.parametrize("locale", ["de", "FI", "", "fi-FI"])
def test_bad_locale(locale):
    assert ("client", "locale") in error_locs(body(client=client(locale=locale)))


@pytest.mark.parametrize("locale", ["fi", "sv", "en", None])
def test_good_locale(locale):
    assert BookingIn.model_validate(body(client=client(locale=locale))).client.locale == locale


def test_note_length_limit():
    assert BookingIn.model_validate(body(note="x" * 500)).note == "x" * 500
    assert ("note",) in error_locs(body(note="x" * 501))


def test_name_length_limit_and_blank_name():
    assert BookingIn.model_validate(body(client=client(name="N" * 100))).client.name == "N" * 100
    assert ("client", "name") in error_locs(body(client=client(name="N" * 101)))
    assert ("client", "name") in error_locs(body(client=client(name="   ")))


def test_name_with_control_characters_is_rejected():
    assert ("client", "name") in error_locs(body(client=client(name="Anna\x00Asiakas")))
    assert ("client", "name") in error_locs(body(client=client(name="Anna\nAsiakas")))


def test_missing_required_parts():
    data = body()
    del data["client"]
    assert ("client",) in error_locs(data)
    data = body()
    del data["start"]
    assert ("start",) in error_locs(data)
    assert ("service",) in error_locs(body(service=""))


def test_marketing_consent_must_be_a_real_boolean():
    assert ("consents", "marketing") in error_locs(body(consents={"marketing": "yes"}))
    assert ("consents", "marketing") in error_locs(body(consents={"marketing": 1}))


def test_reschedule_and_cancel_bodies():
    assert RescheduleIn.model_validate({"start": "2026-11-25T10:00:00+02:00"}).start == datetime(
        2026, 11, 25, 8, 0, tzinfo=UTC
    )
    assert ("start",) in error_locs({"start": "2026-11-25T10:00:00"}, RescheduleIn)
    assert ("staff",) in error_locs({"start": "2026-11-25T10:00:00Z", "staff": "x"}, RescheduleIn)
    assert CancelIn.model_validate({}).reason is None
    assert ("reason",) in error_locs({"reason": "x" * 501}, CancelIn)


# --- day sheets -------------------------------------------------------------------
# chalicelib/domain/daysheet.py: what a booking writes on, and the clash check every
# booking, move and availability relies on.

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HELSINKI = ZoneInfo("Europe/Helsinki")


def sheet(*stretches, version=1):
    taken = tuple(Taken(ref, START + timedelta(minutes=a), START + timedelta(minutes=b)) for ref, a, b in stretches)
    return DaySheet("b1", "aino", date(2026, 11, 24), taken, version)


def test_overlapping_bookings_clash_and_touching_ones_do_not():
    s = sheet(("a1", 0, 70))  # 12:00-13:10, buffer included
    assert [t.ref for t in s.clashes(START + timedelta(minutes=65), START + timedelta(minutes=95))] == ["a1"]
    assert s.clashes(START + timedelta(minutes=70), START + timedelta(minutes=100)) == []
    assert s.clashes(START - timedelta(minutes=30), START) == []
    # A booking being moved does not clash with itself.
    assert s.clashes(START + timedelta(minutes=30), START + timedelta(minutes=90), ignore="a1") == []


@settings(max_examples=300, deadline=None)
@given(
    taken=st.lists(st.tuples(st.integers(0, 600), st.integers(5, 480)), max_size=8),
    start=st.integers(0, 600),
    length=st.integers(5, 480),
)
def test_a_clash_is_exactly_an_overlap(taken, start, length):
    s = sheet(*((f"a{i}", lo, lo + n) for i, (lo, n) in enumerate(taken)))
    clashes = {t.ref for t in s.clashes(START + timedelta(minutes=start), START + timedelta(minutes=start + length))}
    overlapping = {f"a{i}" for i, (lo, n) in enumerate(taken) if lo < start + length and start < lo + n}
    assert clashes == overlapping


@pytest.mark.parametrize(
    ("start", "minutes", "days"),
    [
        ("2026-11-24T10:00:00+02:00", 60, ["2026-11-24"]),
        ("2026-11-24T23:30:00+02:00", 30, ["2026-11-24"]),  # ends at midnight: one day
        ("2026-11-24T23:30:00+02:00", 60, ["2026-11-24", "2026-11-25"]),  # runs past it: two
        ("2026-11-24T09:00:00+02:00", 12 * 60, ["2026-11-24"]),  # a day-long course is one sheet
        ("2026-03-29T01:00:00+02:00", 180, ["2026-03-29"]),  # across the spring DST switch
        ("2026-10-25T02:30:00+03:00", 120, ["2026-10-25"]),  # across the autumn one
    ],
)
def test_the_days_a_booking_is_written_on(start, minutes, days):
    begin = datetime.fromisoformat(start)
    assert [d.isoformat() for d in days_touched(begin, begin + timedelta(minutes=minutes), HELSINKI)] == days


def test_the_sheet_form_round_trips_to_the_minute():
    a, b = START + timedelta(minutes=5), START + timedelta(hours=8, minutes=35)
    assert decode("a1", encode(a, b)) == Taken("a1", a, b)
    s = sheet_from("b1", "aino", date(2026, 11, 24), {"a2": encode(b, b + timedelta(hours=1)), "a1": encode(a, b)}, 3)
    assert [t.ref for t in s.taken] == ["a1", "a2"] and s.version == 3


def test_a_booking_past_midnight_counts_once_in_the_busy_time():
    long = Taken("a1", START, START + timedelta(hours=14))
    first = DaySheet("b1", "aino", date(2026, 11, 24), (long,), 1)
    second = DaySheet("b1", "aino", date(2026, 11, 25), (long,), 1)
    assert busy_by_staff([first, second]) == {"aino": [(long.start, long.end)]}


def test_appointment_days_and_activity():
    appt = Appointment(
        id="a1",
        business_id="b1",
        client_id="c1",
        service_id="womens-cut",
        staff_id="aino",
        start=START,
        end=START + timedelta(minutes=60),
        occupied_until=START + timedelta(minutes=70),
        status="booked",
        price_cents=6900,
        locale="fi",
        created_at=START,
        updated_at=START,
    )
    assert appt.days(HELSINKI) == [date(2026, 11, 24)]
    assert appt.is_active
    appt.status = "cancelled"
    assert not appt.is_active


# --- cancellation window ---------------------------------------------------------


def test_cancellation_deadline():
    assert cancellation_deadline(START, 24) == START - timedelta(hours=24)


@pytest.mark.parametrize(
    "before,allowed",
    [
        (timedelta(days=3), True),
        (timedelta(hours=24, seconds=1), True),
        (timedelta(hours=24), False),  # the window has begun
        (timedelta(hours=23, minutes=59), False),
        (timedelta(0), False),
        (-timedelta(hours=1), False),
    ],
)
def test_can_change_until_the_window_begins(before, allowed):
    assert can_change(START, START - before, 24) is allowed


def test_zero_window_allows_changes_until_the_start():
    assert can_change(START, START - timedelta(seconds=1), 0)
    assert not can_change(START, START, 0)
