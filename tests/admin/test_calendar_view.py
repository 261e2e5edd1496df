"""The calendar the front desk runs her day from: opening and working hours per day,
time off, `now`, markers on each booking, and "changed since?" for a polling dashboard.

The clock is frozen at Mon 23 Nov 2026 10:00 Helsinki.
"""

from __future__ import annotations

import yaml

from tests.admin.helpers import Desk
from tests.api.helpers import book, booking_body
from tests.conftest import DEMO
from tests.history import at


def staff_of(cal, staff_id):
    return next(s for s in cal["staff"] if s["id"] == staff_id)


def test_a_day_has_opening_hours_working_hours_now_and_a_token(desk):
    status, cal = desk.get("/calendar?date=2026-11-25")  # a Wednesday
    assert status == 200, cal
    assert cal["now"] == "2026-11-23T10:00:00+02:00"
    assert isinstance(cal["token"], str) and cal["token"]
    assert cal["days"] == [
        {
            "date": "2026-11-25",
            "open": [{"start": "2026-11-25T09:00:00+02:00", "end": "2026-11-25T20:00:00+02:00"}],
            "closed": False,
            "closure": None,
            "waiting": {},
        }
    ]
    aino = staff_of(cal, "aino")
    assert aino["hours"] == [
        {
            "date": "2026-11-25",
            "intervals": [{"start": "2026-11-25T11:00:00+02:00", "end": "2026-11-25T20:00:00+02:00"}],
        }
    ]
    assert aino["time_off"] == [] and aino["appointments"] == []

    # A week: seven days; Sunday and a closure are closed; a day off has no hours.
    _, week = desk.get("/calendar?date=2026-12-31&view=week")  # Thu 31 Dec: Aino's day off
    assert [d["date"] for d in week["days"]][0] == "2026-12-28"
    closed = {d["date"]: d["closed"] for d in week["days"]}
    assert closed["2027-01-01"] and closed["2027-01-03"] and not closed["2026-12-31"]
    hours = {h["date"]: h["intervals"] for h in staff_of(week, "aino")["hours"]}
    assert hours["2026-12-31"] == [] and hours["2027-01-01"] == [] and hours["2026-12-30"]


def test_breaks_are_the_gaps_between_working_intervals(client, aws):
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store.businesses import clear_cache, save_config

    data = yaml.safe_load(DEMO.read_text())
    data["staff"][0]["hours"]["wed"] = [["09:00", "12:00"], ["12:30", "17:00"]]
    save_config(parse_business_config(data))
    clear_cache()
    _, cal = Desk(client, aws.id).get("/calendar?date=2026-11-25&staff=aino")
    assert staff_of(cal, "aino")["hours"][0]["intervals"] == [
        {"start": "2026-11-25T09:00:00+02:00", "end": "2026-11-25T12:00:00+02:00"},
        {"start": "2026-11-25T12:30:00+02:00", "end": "2026-11-25T17:00:00+02:00"},
    ]


def test_markers_note_allergy_first_visit_and_no_deposit(client, desk, booked, frozen_now):
    # Maija's booking carries a note; she has no visit yet.
    _, cal = desk.get("/calendar?date=2026-11-25&staff=aino")
    appt = staff_of(cal, "aino")["appointments"][0]
    assert appt["markers"] == {
        "note": True,
        "allergy": False,
        "first_visit": True,
        "deposit": False,
        "held": False,
        "paid": False,
    }
    # The women's cut's 10-minute buffer holds the chair after the end: the desk sees it.
    assert (appt["start"], appt["end"], appt["occupied_until"]) == (
        "2026-11-25T12:00:00+02:00",
        "2026-11-25T13:00:00+02:00",
        "2026-11-25T13:10:00+02:00",
    )

    status, _ = desk.patch(f"/clients/{booked['client']}", {"allergies": "Ammonia"})
    assert status == 200
    # A second booking without a note, by another client.
    status, body = book(client, "2026-11-25T15:00:00+02:00", name="Anna Aalto", phone="040 111 1111", email=None)
    assert status == 201, body
    _, cal = desk.get("/calendar?date=2026-11-25&staff=aino")
    by_start = {a["start"]: a["markers"] for a in staff_of(cal, "aino")["appointments"]}
    assert by_start["2026-11-25T12:00:00+02:00"]["allergy"] is True
    assert by_start["2026-11-25T15:00:00+02:00"] == {
        "note": False,
        "allergy": False,
        "first_visit": True,
        "deposit": False,
        "held": False,
        "paid": False,
    }

    # After her visit, Maija's next booking is no longer a first visit; the visit itself was.
    frozen_now["now"] = at("2026-11-25T12:30:00+02:00")
    status, _ = desk.post(f"/appointments/{booked['appointment']}/status", {"status": "completed"})
    assert status == 200
    status, nxt = book(client, "2026-12-09T15:00:00+02:00")
    assert status == 201, nxt
    _, cal = desk.get("/calendar?date=2026-11-25&staff=aino")
    maija = next(a for a in staff_of(cal, "aino")["appointments"] if a["id"] == booked["appointment"])
    assert maija["markers"]["first_visit"] is True
    _, cal = desk.get("/calendar?date=2026-12-09&staff=aino")
    assert staff_of(cal, "aino")["appointments"][0]["markers"]["first_visit"] is False


def test_the_first_visit_mark_stays_on_her_first_visit_when_a_second_that_day_is_done(client, desk, booked, frozen_now):
    """A front-desk walk: Maija's cut at 12 and her blow-dry at 16 the same day; once the
    second was completed too, the "first visit" mark left the first (her figures then
    counted two visits). It stays on the 12 o'clock visit, and only there."""
    status, later = book(client, "2026-11-25T16:00:00+02:00", service="blowdry")
    assert status == 201, later
    _, cal = desk.get("/calendar?date=2026-11-25")
    ids = {a["start"]: a["id"] for m in cal["staff"] for a in m["appointments"]}
    frozen_now["now"] = at("2026-11-25T17:00:00+02:00")
    for start in ("2026-11-25T12:00:00+02:00", "2026-11-25T16:00:00+02:00"):
        status, _ = desk.post(f"/appointments/{ids[start]}/status", {"status": "completed"})
        assert status == 200
    _, cal = desk.get("/calendar?date=2026-11-25")
    marks = {a["start"]: a["markers"]["first_visit"] for m in cal["staff"] for a in m["appointments"]}
    assert marks == {"2026-11-25T12:00:00+02:00": True, "2026-11-25T16:00:00+02:00": False}, marks


def dst_config(aws):
    """The demo salon open on Sundays 01:00-06:00, through the night the clocks change."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store.businesses import clear_cache, save_config

    data = yaml.safe_load(DEMO.read_text())
    data["opening_hours"]["sun"] = ["01:00", "06:00"]
    data["staff"][0]["hours"]["sun"] = ["01:00", "06:00"]
    data["rules"]["min_notice_minutes"] = 0
    save_config(parse_business_config(data))
    clear_cache()


def test_spring_forward_day_is_23_hours_and_its_hours_are_real(client, aws, frozen_now):
    dst_config(aws)
    frozen_now["now"] = at("2026-03-28T12:00:00+02:00")
    desk = Desk(client, aws.id)
    status, body = desk.post("/bookings", booking_body("2026-03-29T04:00:00", name="Kevät Aamu", email=None))
    assert status == 201, body
    assert body["start"] == "2026-03-29T04:00:00+03:00"  # local time after the switch
    frozen_now["now"] = at("2026-03-29T04:30:00+03:00")
    status, cal = desk.get("/calendar?date=2026-03-29")
    assert status == 200, cal
    assert cal["now"] == "2026-03-29T04:30:00+03:00"
    # 01:00 is still winter time; 06:00 already summer time: 4 real hours.
    assert cal["days"][0]["open"] == [{"start": "2026-03-29T01:00:00+02:00", "end": "2026-03-29T06:00:00+03:00"}]
    assert staff_of(cal, "aino")["hours"][0]["intervals"] == cal["days"][0]["open"]
    assert [a["start"] for a in staff_of(cal, "aino")["appointments"]] == ["2026-03-29T04:00:00+03:00"]
    # A local time the clocks skip is refused, not guessed.
    status, body = desk.post("/bookings", booking_body("2026-03-29T03:30:00", name="Ei Ole", email=None))
    assert status == 422 and "start" in body["error"]["fields"], body


def test_fall_back_day_is_25_hours_and_the_repeated_hour_is_shown_with_its_offset(client, aws, frozen_now):
    dst_config(aws)
    frozen_now["now"] = at("2026-10-24T12:00:00+03:00")
    desk = Desk(client, aws.id)
    # 03:30 happens twice: first in summer time (+03:00), then in winter time (+02:00).
    for start, phone in (("2026-10-25T03:00:00+03:00", "040 100 0001"), ("2026-10-25T03:00:00+02:00", "040 100 0002")):
        status, body = desk.post(
            "/bookings", booking_body(start, service="mens-cut", name="Syksy", phone=phone, email=None)
        )
        assert status == 201, body
    status, cal = desk.get("/calendar?date=2026-10-25")
    assert status == 200, cal
    assert cal["days"][0]["open"] == [{"start": "2026-10-25T01:00:00+03:00", "end": "2026-10-25T06:00:00+02:00"}]
    assert [a["start"] for a in staff_of(cal, "aino")["appointments"]] == [
        "2026-10-25T03:00:00+03:00",
        "2026-10-25T03:00:00+02:00",
    ]
    # The day before and after show none of them.
    _, before = desk.get("/calendar?date=2026-10-24")
    _, after = desk.get("/calendar?date=2026-10-26")
    assert staff_of(before, "aino")["appointments"] == [] and staff_of(after, "aino")["appointments"] == []


# --- changed since ---------------------------------------------------------------------
def changed(desk, token):
    status, body = desk.get(f"/calendar/changes?since={token}")
    assert status == 200, body
    return body["changed"], body["token"]


def test_an_allergy_or_a_name_given_on_her_card_changes_the_calendars_that_show_her_visits(client, desk, booked):
    """A staff member's walk (6 Dec, evening): an allergy added on the client card never
    reached the calendar open on another phone (nor on hers) until a full reload — its
    look for changes read only the day sheets. What the calendar shows of her (her name,
    the allergy and important-note marks) now moves the sheets of her visits; another
    change of her profile (a tag) does not."""
    _, cal = desk.get("/calendar?date=2026-11-23&view=week")
    token = cal["token"]
    _, other_week = desk.get("/calendar?date=2026-12-07&view=week")
    assert desk.patch(f"/clients/{booked['client']}", {"tags": ["vip"]})[0] == 200
    assert changed(desk, token) == (False, token)
    assert desk.patch(f"/clients/{booked['client']}", {"allergies": "Ammoniakki"})[0] == 200
    is_changed, token = changed(desk, token)
    assert is_changed
    _, cal = desk.get("/calendar?date=2026-11-25&staff=aino")
    assert staff_of(cal, "aino")["appointments"][0]["markers"]["allergy"] is True
    assert changed(desk, other_week["token"]) == (False, other_week["token"])  # no visit of hers there
    assert desk.patch(f"/clients/{booked['client']}", {"name": "Maija Virtanen"})[0] == 200
    assert changed(desk, token)[0]


def test_changes_follow_bookings_marks_cancellations_and_moves(client, desk, booked, frozen_now):
    _, cal = desk.get("/calendar?date=2026-11-23&view=week")
    token = cal["token"]
    assert changed(desk, token) == (False, token)

    # A booking another week does not change this week.
    status, _ = book(client, "2026-12-02T12:00:00+02:00", name="Anna Aalto", phone="040 111 1111", email=None)
    assert status == 201
    assert changed(desk, token) == (False, token)

    # A booking this week does; the new token is quiet until the next change.
    status, _ = book(client, "2026-11-26T12:00:00+02:00", name="Anna Aalto", phone="040 111 1111", email=None)
    assert status == 201
    is_changed, token = changed(desk, token)
    assert is_changed
    assert changed(desk, token) == (False, token)
    _, cal = desk.get("/calendar?date=2026-11-23&view=week")
    assert cal["token"] == token

    # A visit marked.
    frozen_now["now"] = at("2026-11-25T11:30:00+02:00")
    status, _ = desk.post(f"/appointments/{booked['appointment']}/status", {"status": "arrived"})
    assert status == 200
    is_changed, token = changed(desk, token)
    assert is_changed
    # Undone.
    status, _ = desk.post(f"/appointments/{booked['appointment']}/status", {"status": "booked"})
    assert status == 200
    is_changed, token = changed(desk, token)
    assert is_changed
    # Moved, then cancelled.
    frozen_now["now"] = at("2026-11-23T10:00:00+02:00")
    status, body = desk.post(f"/appointments/{booked['appointment']}/reschedule", {"start": "2026-11-27T12:00"})
    assert status == 200, body
    is_changed, token = changed(desk, token)
    assert is_changed
    status, _ = desk.post(f"/appointments/{booked['appointment']}/cancel", {"notify": False})
    assert status == 200
    is_changed, token = changed(desk, token)
    assert is_changed and changed(desk, token) == (False, token)


def test_changes_refuses_what_is_not_a_token(desk):
    for bad in (
        "",
        "abc",
        "20261123-20261122-0123456789abcdef",
        "20261301-20261302-0123456789abcdef",
        "20260101-20261231-0123456789abcdef",
    ):
        status, body = desk.get(f"/calendar/changes?since={bad}")
        assert status == 422, (bad, body)
        assert body["error"]["fields"] == {"since": "expected the calendar's token"}


def test_the_calendar_does_not_trust_a_lagging_index_over_the_sheets(desk, booked, monkeypatch):
    from chalicelib.store import bookings

    real = bookings.list_appointments
    old = {a.id: a for a in real(*_week(desk))}  # the index as it is before the cancellation

    # A booking the index does not show yet: read by key from its sheet.
    monkeypatch.setattr(bookings, "list_appointments", lambda *a: [])
    _, cal = desk.get("/calendar?date=2026-11-25&staff=aino")
    assert [a["id"] for a in staff_of(cal, "aino")["appointments"]] == [booked["appointment"]]

    # Cancelled, but the index still says booked: the sheet no longer holds it.
    monkeypatch.setattr(bookings, "list_appointments", real)
    assert desk.post(f"/appointments/{booked['appointment']}/cancel", {"notify": False})[0] == 200
    monkeypatch.setattr(bookings, "list_appointments", lambda *a: list(old.values()))
    _, cal = desk.get("/calendar?date=2026-11-25&staff=aino")
    assert [a["status"] for a in staff_of(cal, "aino")["appointments"]] == ["cancelled"]


def _week(desk):
    from datetime import UTC, datetime

    from tests.history import business

    return business().id, datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
