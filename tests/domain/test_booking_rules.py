"""Booking requests, the time a booking occupies, and when it can still be changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from chalicelib.domain.booking import (
    Appointment,
    BookingIn,
    CancelIn,
    RescheduleIn,
    can_change,
    cancellation_deadline,
    granules,
)


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


# --- granules ---------------------------------------------------------------------

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_granules_cover_service_and_buffer_in_5_minute_steps():
    g = granules(START, 70)
    assert len(g) == 14
    assert g[0] == START
    assert g[-1] == START + timedelta(minutes=65)
    assert all(b - a == timedelta(minutes=5) for a, b in zip(g, g[1:]))


@pytest.mark.parametrize("minutes,count", [(0, 0), (1, 1), (5, 1), (6, 2), (240, 48)])
def test_partial_granules_round_up(minutes, count):
    assert len(granules(START, minutes)) == count


def test_overlapping_bookings_share_a_granule_and_touching_ones_do_not():
    first = set(granules(START, 70))  # 12:00-13:10
    assert first & set(granules(START + timedelta(minutes=65), 30))
    assert not first & set(granules(START + timedelta(minutes=70), 30))


def test_appointment_occupancy_granules():
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
    assert appt.occupancy_granules() == granules(START, 70)
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
