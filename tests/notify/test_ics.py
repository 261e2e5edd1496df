from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from chalicelib.notify.ics import build_ics

HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def parse(data: bytes):
    cal = Calendar.from_ical(data)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return cal, events[0]


def test_request_round_trips_with_every_field(context):
    data = build_ics(context, now=NOW)
    cal, ev = parse(data)
    assert str(cal["PRODID"]) == "-//Rebook//Booking//EN"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(ev["UID"]) == "abc123@rebook"
    assert ev.decoded("DTSTAMP") == NOW
    assert ev.decoded("DTSTART") == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert ev.decoded("DTEND") == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
    assert str(ev["SUMMARY"]) == "Naisten hiustenleikkaus – Salon Aurora"
    assert str(ev["LOCATION"]) == "Fredrikinkatu 20, 00120 Helsinki"
    assert "Aino" in str(ev["DESCRIPTION"])
    assert context["manage_url"] in str(ev["DESCRIPTION"])
    assert int(ev["SEQUENCE"]) == 0
    assert str(ev["STATUS"]) == "CONFIRMED"
    assert str(ev["URL"]) == context["manage_url"]


def test_times_are_written_in_utc(context):
    text = build_ics(context).decode()
    assert "DTSTART:20261124T120000Z" in text
    assert "DTEND:20261124T130000Z" in text
    assert "VTIMEZONE" not in text


def test_lines_are_crlf_and_folded(context):
    data = build_ics(context)
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))


@pytest.mark.parametrize(
    "local, utc",
    [
        # Summer time starts 2026-03-29 at 03:00 local (+02:00 -> +03:00).
        (datetime(2026, 3, 28, 10, 0), datetime(2026, 3, 28, 8, 0)),
        (datetime(2026, 3, 29, 2, 30), datetime(2026, 3, 29, 0, 30)),
        (datetime(2026, 3, 29, 10, 0), datetime(2026, 3, 29, 7, 0)),
        # Summer time ends 2026-10-25 at 04:00 local (+03:00 -> +02:00).
        (datetime(2026, 10, 24, 10, 0), datetime(2026, 10, 24, 7, 0)),
        (datetime(2026, 10, 25, 10, 0), datetime(2026, 10, 25, 8, 0)),
    ],
)
def test_utc_times_are_right_across_dst_switches(make_context, local, utc):
    start = local.replace(tzinfo=HELSINKI)
    ctx = make_context(start=start.isoformat(), end=(start.replace(hour=start.hour + 1)).isoformat())
    _, ev = parse(build_ics(ctx))
    assert ev.decoded("DTSTART") == utc.replace(tzinfo=UTC)
    assert ev.decoded("DTEND") == utc.replace(hour=utc.hour + 1, tzinfo=UTC)


def test_offset_strings_from_the_business_are_used_as_given(make_context):
    ctx = make_context(start="2026-03-29T10:00:00+03:00", end="2026-03-29T11:00:00+03:00")
    assert "DTSTART:20260329T070000Z" in build_ics(ctx).decode()


def test_naive_times_are_read_in_the_business_time_zone(make_context):
    ctx = make_context(start="2026-10-25T10:00:00", end="2026-10-25T11:00:00")
    _, ev = parse(build_ics(ctx))
    assert ev.decoded("DTSTART") == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)


def test_cancel_removes_the_same_event(context):
    cal, ev = parse(build_ics(context, method="CANCEL", sequence=3, status="CANCELLED"))
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(ev["STATUS"]) == "CANCELLED"
    assert str(ev["UID"]) == "abc123@rebook"
    assert int(ev["SEQUENCE"]) == 3
    # A cancelled booking has nothing left to manage.
    assert "URL" not in ev
    assert context["manage_url"] not in str(ev.get("DESCRIPTION", ""))


def test_update_keeps_uid_and_raises_sequence(context, make_context):
    _, first = parse(build_ics(context, sequence=0))
    moved = make_context(start="2026-11-25T09:00:00+02:00", end="2026-11-25T10:00:00+02:00")
    _, second = parse(build_ics(moved, sequence=1))
    assert str(first["UID"]) == str(second["UID"])
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])


@pytest.mark.parametrize("locale, label", [("fi", "Tekijä: Aino"), ("sv", "Hos: Aino"), ("en", "With: Aino")])
def test_description_language_follows_the_locale(context, locale, label):
    _, ev = parse(build_ics(context, locale=locale))
    assert label in str(ev["DESCRIPTION"])


def test_organizer_is_added_when_given(context):
    _, ev = parse(build_ics(context, organizer="bookings@rebook.local"))
    assert str(ev["ORGANIZER"]).lower() == "mailto:bookings@rebook.local"
    assert ev["ORGANIZER"].params["CN"] == "Salon Aurora"


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_request_and_cancel_name_the_client_as_attendee(context, method):
    # RFC 5546 §3.2.2/§3.2.5: a REQUEST and a CANCEL need an ATTENDEE, or some mail
    # clients do not treat the file as an update or a cancellation.
    ctx = {**context, "client": {"name": "Maija Meikäläinen"}}
    _, ev = parse(build_ics(ctx, method=method, organizer="bookings@rebook.local", attendee="maija@example.com"))
    attendee = ev["ATTENDEE"]
    assert str(attendee).lower() == "mailto:maija@example.com"
    assert attendee.params["CN"] == "Maija Meikäläinen" and attendee.params["PARTSTAT"] == "ACCEPTED"
    assert attendee.params["RSVP"] == "FALSE"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\\N;,\n")))
def test_any_text_comes_back_as_typed(make_context, name):
    # A literal backslash-N in a name once became a line break (the library unescaped it).
    # Byte-order marks are the one thing dropped (a lone one was read back as nothing).
    typed = name or "x"
    shown = typed.replace("\ufeff", "")
    assume(shown)
    ctx = make_context(business={"name": typed, "address": typed})
    _, ev = parse(build_ics(ctx))
    assert str(ev["LOCATION"]) == shown
    assert str(ev["SUMMARY"]).endswith(shown)


def test_a_byte_order_mark_in_a_name_is_dropped(make_context):
    ctx = make_context(business={"name": "\ufeffSalon\ufeff", "address": "\ufeff"})
    _, ev = parse(build_ics(ctx))
    assert str(ev["SUMMARY"]).endswith("Salon") and "\ufeff" not in str(ev["SUMMARY"])


def test_text_with_special_characters_survives(make_context):
    ctx = make_context(business={"name": "Kampaamo; Äijä, & Co", "address": "Katu 1; B, Turku"})
    _, ev = parse(build_ics(ctx))
    assert str(ev["SUMMARY"]) == "Naisten hiustenleikkaus – Kampaamo; Äijä, & Co"
    assert str(ev["LOCATION"]) == "Katu 1; B, Turku"
