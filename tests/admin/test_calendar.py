"""The front desk: the calendar by day and week, phone bookings under the same
double-booking guarantee as the web, and marking visits arrived / completed / no-show.

The clock is frozen at Mon 23 Nov 2026 10:00 Helsinki; Maija (the `booked` fixture)
sees Aino on Wed 25 Nov 12:00-13:00.
"""

from __future__ import annotations

from tests.api.helpers import book, booking_body, post, token_of
from tests.history import at


def names_by_staff(cal: dict) -> dict:
    return {s["id"]: [(a["start"], a["client"]["name"]) for a in s["appointments"]] for s in cal["staff"]}


# --- the calendar --------------------------------------------------------------------
def test_week_is_monday_to_sunday_grouped_per_staff_with_client_names(client, desk):
    for start, staff, name, phone in [
        ("2026-11-23T14:00:00+02:00", "aino", "Anna Aalto", "040 111 1111"),  # Monday, same day
        ("2026-11-25T12:00:00+02:00", "aino", "Maija Meikäläinen", "040 123 4567"),
        ("2026-11-28T11:00:00+02:00", "sanna", "Satu Salo", "040 222 2222"),  # Saturday
        ("2026-11-30T10:00:00+02:00", "aino", "Noora Next", "040 333 3333"),  # next Monday
    ]:
        status, body = book(client, start, staff=staff, name=name, phone=phone, email=None)
        assert status == 201, body

    status, week = desk.get("/calendar?date=2026-11-26&view=week")  # a Thursday
    assert status == 200, week
    assert (week["view"], week["from"], week["to"]) == ("week", "2026-11-23", "2026-11-29")
    assert names_by_staff(week) == {
        "aino": [("2026-11-23T14:00:00+02:00", "Anna Aalto"), ("2026-11-25T12:00:00+02:00", "Maija Meikäläinen")],
        "mikko": [],
        "sanna": [("2026-11-28T11:00:00+02:00", "Satu Salo")],
    }

    # A day shows that day only; the default view is a day.
    _, day = desk.get("/calendar?date=2026-11-25")
    assert day["view"] == "day" and names_by_staff(day)["aino"] == [("2026-11-25T12:00:00+02:00", "Maija Meikäläinen")]
    assert names_by_staff(day)["sanna"] == []

    # One staff member's week.
    _, sanna = desk.get("/calendar?date=2026-11-29&view=week&staff=sanna")  # Sunday: still the same week
    assert [s["id"] for s in sanna["staff"]] == ["sanna"]
    assert names_by_staff(sanna)["sanna"] == [("2026-11-28T11:00:00+02:00", "Satu Salo")]

    # The next week starts on Monday 30th.
    _, nxt = desk.get("/calendar?date=2026-11-30&view=week&staff=aino")
    assert names_by_staff(nxt)["aino"] == [("2026-11-30T10:00:00+02:00", "Noora Next")]


def test_calendar_defaults_to_today_locally_and_refuses_bad_queries(client, desk, frozen_now):
    # 23:30 UTC on Monday is already Tuesday 01:30 in Helsinki: "today" is Tuesday.
    frozen_now["now"] = at("2026-11-24T01:30:00+02:00")
    status, cal = desk.get("/calendar")
    assert status == 200 and (cal["view"], cal["from"], cal["to"]) == ("day", "2026-11-24", "2026-11-24")
    assert [s["id"] for s in cal["staff"]] == ["aino", "mikko", "sanna"]

    for query in ["date=2026-13-01", "date=tomorrow", "date=2026-11-25&view=month", "date=2026-11-25&staff=nobody"]:
        status, body = desk.get("/calendar?" + query)
        assert status == 422, (query, body)
        assert body["error"]["fields"], query


# --- phone bookings ------------------------------------------------------------------
def test_phone_bookings_for_a_new_caller_and_for_an_existing_client(client, desk, booked):
    # A new caller, given by contact details: a new client, booked from the desk.
    status, body = desk.post(
        "/bookings", booking_body("2026-11-26T12:00:00+02:00", name="Pekka Puhelin", phone="050 987 6543", email=None)
    )
    assert status == 201, body
    assert body["start"] == "2026-11-26T12:00:00+02:00" and body["staff"]["id"] == "aino"
    _, appt = desk.get(f"/appointments/{body['id']}")
    assert appt["source"] == "phone" and appt["status"] == "booked"
    assert appt["client"]["name"] == "Pekka Puhelin" and appt["client"]["phone"] == "+358509876543"

    # Maija calls: she is picked by id, and no second Maija appears.
    status, body = desk.post(
        "/bookings",
        {
            "service": "womens-cut",
            "staff": "sanna",
            "start": "2026-12-02T10:00:00+02:00",
            "client_id": booked["client"],
        },
    )
    assert status == 201, body
    _, appt = desk.get(f"/appointments/{body['id']}")
    assert appt["client"]["id"] == booked["client"] and appt["source"] == "phone"
    _, listed = desk.get("/clients")
    assert sorted(c["name"] for c in listed["clients"]) == ["Maija Meikäläinen", "Pekka Puhelin"]
    _, history = desk.get(f"/clients/{booked['client']}/history")
    assert [a["start"] for a in history["appointments"]] == ["2026-12-02T10:00:00+02:00", "2026-11-25T12:00:00+02:00"]
    # A call about a time is not a new marketing consent: the log keeps the web one only.
    _, consents = desk.get(f"/clients/{booked['client']}/consents")
    assert [e["source"] for e in consents["log"]] == ["booking:web"]

    status, body = desk.post(
        "/bookings",
        {"service": "womens-cut", "staff": "sanna", "start": "2026-12-03T12:00:00+02:00", "client_id": "c0000000"},
    )
    assert status == 404


def test_phone_and_web_cannot_double_book_each_other(client, desk, booked):
    # Aino is held 12:00-13:10 by Maija's web booking: the desk cannot book over it.
    status, body = desk.post(
        "/bookings", booking_body("2026-11-25T12:30:00+02:00", name="Pekka Puhelin", phone="050 987 6543", email=None)
    )
    assert status == 409 and body["error"]["code"] == "slot_taken", body
    _, day = desk.get("/calendar?date=2026-11-25&staff=aino")
    assert [a["client"]["name"] for a in day["staff"][0]["appointments"]] == ["Maija Meikäläinen"]

    # ...and the web cannot book over a phone booking.
    status, phoned = desk.post(
        "/bookings",
        booking_body(
            "2026-11-25T12:00:00+02:00", staff="sanna", name="Pekka Puhelin", phone="050 987 6543", email=None
        ),
    )
    assert status == 201, phoned
    status, body = book(
        client, "2026-11-25T12:00:00+02:00", staff="sanna", name="Web Client", phone="040 999 8888", email=None
    )
    assert status == 409 and body["error"]["code"] == "slot_taken", body
    _, day = desk.get("/calendar?date=2026-11-25&staff=sanna")
    assert [a["client"]["name"] for a in day["staff"][0]["appointments"]] == ["Pekka Puhelin"]


def test_idempotency_key_replays_the_same_phone_booking(client, desk):
    body = booking_body("2026-11-26T12:00:00+02:00", name="Pekka Puhelin", phone="050 987 6543", email=None)
    headers = {"Idempotency-Key": "desk-call-42"}
    s1, first = desk.post("/bookings", body, headers=headers)
    s2, again = desk.post("/bookings", body, headers=headers)
    assert s1 == 201 and s2 == 201, (first, again)
    assert again["id"] == first["id"]
    _, day = desk.get("/calendar?date=2026-11-26")
    assert sum(len(s["appointments"]) for s in day["staff"]) == 1
    # Without the key a second identical request is a new booking attempt: the slot is taken.
    status, _ = desk.post("/bookings", body)
    assert status == 409


# --- marking visits ------------------------------------------------------------------
def mark(desk, appt_id, status):
    return desk.post(f"/appointments/{appt_id}/status", {"status": status})


def test_arrival_opens_an_hour_before_the_start(desk, booked, frozen_now):
    appt = booked["appointment"]
    status, body = mark(desk, appt, "arrived")  # Monday: two days early
    assert status == 409 and body["error"]["code"] == "invalid_mark"
    assert body["error"]["reason"] == "not_started"  # why, for programs (the dashboard's words)

    frozen_now["now"] = at("2026-11-25T10:59:00+02:00")
    status, body = mark(desk, appt, "arrived")
    assert status == 409 and body["error"]["code"] == "invalid_mark"

    frozen_now["now"] = at("2026-11-25T11:00:00+02:00")
    status, body = mark(desk, appt, "arrived")
    assert status == 200, body
    assert body["status"] == "arrived" and body["outcome"] == "in_progress"
    _, day = desk.get("/calendar?date=2026-11-25&staff=aino")
    assert day["staff"][0]["appointments"][0]["status"] == "arrived"

    # Completed / no-show only once the visit has begun.
    for not_yet in ("completed", "no_show"):
        status, body = mark(desk, appt, not_yet)
        assert status == 409 and body["error"]["code"] == "invalid_mark", not_yet
        assert body["error"]["reason"] == "not_started", not_yet
    frozen_now["now"] = at("2026-11-25T12:00:00+02:00")
    status, body = mark(desk, appt, "completed")
    assert status == 200 and body["status"] == "completed" and body["outcome"] == "completed"
    # Arrived cannot be set again on a finished visit.
    status, body = mark(desk, appt, "arrived")
    assert status == 409 and body["error"]["code"] == "invalid_mark"
    assert body["error"]["reason"] == "already_marked"


def test_no_show_counts_for_the_client_and_a_correction_takes_it_back(desk, booked, frozen_now):
    appt, who = booked["appointment"], booked["client"]
    frozen_now["now"] = at("2026-11-25T12:20:00+02:00")  # she did not come
    status, body = mark(desk, appt, "no_show")
    assert status == 200 and body["status"] == "no_show"
    frozen_now["now"] = at("2026-11-26T10:00:00+02:00")
    _, stats = desk.get(f"/clients/{who}/stats")
    assert stats["no_shows"] == 1 and stats["visits"] == 0 and stats["lifetime_spend_cents"] == 0
    # Marking it twice is harmless and does not count twice.
    status, _ = mark(desk, appt, "no_show")
    assert status == 200
    _, stats = desk.get(f"/clients/{who}/stats")
    assert stats["no_shows"] == 1

    # She had come after all: the desk corrects it.
    status, body = mark(desk, appt, "completed")
    assert status == 200 and body["status"] == "completed"
    _, stats = desk.get(f"/clients/{who}/stats")
    assert stats["no_shows"] == 0 and stats["visits"] == 1 and stats["lifetime_spend_cents"] == 6900


def test_cancelled_visits_invalid_marks_and_unknown_appointments(client, desk, booked, frozen_now):
    frozen_now["now"] = at("2026-11-25T12:30:00+02:00")
    for body in ({"status": "cancelled"}, {"status": "late"}, {}, {"status": "arrived", "extra": 1}):
        status, resp = desk.post(f"/appointments/{booked['appointment']}/status", body)
        assert status == 422, (body, resp)
    _, appt = desk.get(f"/appointments/{booked['appointment']}")
    assert appt["status"] == "booked"
    status, _ = mark(desk, "a0000000", "arrived")
    assert status == 404
    status, _ = desk.get("/appointments/a0000000")
    assert status == 404

    # A cancelled booking cannot be marked at all.
    frozen_now["now"] = at("2026-11-23T10:00:00+02:00")
    status, _ = post(client, f"/api/v1/bookings/{token_of(booked['booking']['manage_url'])}/cancel", {})
    assert status == 200
    frozen_now["now"] = at("2026-11-25T12:30:00+02:00")
    for mark_as in ("arrived", "completed", "no_show"):
        status, body = mark(desk, booked["appointment"], mark_as)
        assert status == 409 and body["error"]["code"] == "invalid_mark", mark_as
        assert body["error"]["reason"] == "cancelled", mark_as
    _, appt = desk.get(f"/appointments/{booked['appointment']}")
    assert appt["status"] == "cancelled" and appt["outcome"] == "cancelled"
