"""Booking, moving, cancelling and marking at the front desk: the desk's start rules,
no message when the client is standing there, walk-ins, undoing a wrong mark, and the
same double-booking guarantee as online (a desk booking and an online booking racing
for one time: exactly one wins).

The clock is frozen at Mon 23 Nov 2026 10:00 Helsinki; Maija (the `booked` fixture)
sees Aino on Wed 25 Nov 12:00-13:00.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.api.helpers import book, booking_body, slots
from tests.conftest import emails_to, sent_emails, sent_sms
from tests.history import at, run_job, run_on_schedule


def sent_count():
    return len(sent_emails()) + len(sent_sms())


def outbox_kinds():
    from tests.api.helpers import table_items

    return sorted(i["kind"]["S"] for i in table_items() if i["sk"]["S"].startswith("MSG#") and "kind" in i)


# --- desk booking ------------------------------------------------------------------------
def test_a_desk_booking_over_an_existing_one_says_it_overlaps_and_when(client, desk):
    status, first = desk.post("/bookings", booking_body("2026-11-25T12:00:00+02:00", staff="aino", email=None))
    assert status == 201, first
    body = booking_body("2026-11-25T12:15:00+02:00", staff="aino", name="Toinen", phone="040 222 3333", email=None)
    status, err = desk.post("/bookings", body)
    assert status == 409 and err["error"]["code"] == "slot_taken", err
    assert err["error"]["reason"] == "overlaps"
    # Her time as the calendar keeps it: the hour's cut and its ten minutes' clearing up.
    assert err["error"]["overlaps"] == {
        "start": "2026-11-25T12:00:00+02:00",
        "end": "2026-11-25T13:10:00+02:00",
        "time_off": False,
    }
    # The public booking keeps its own words: somebody was quicker.
    status, err = book(client, "2026-11-25T12:00:00+02:00", staff="aino", name="Netti", phone="040 222 4444")
    assert status == 409 and "reason" not in err["error"], err


def test_desk_books_any_five_minute_mark_inside_working_hours_without_notice(desk):
    # 11:05 is off the online 15-minute grid; the desk may book it.
    status, body = desk.post("/bookings", booking_body("2026-11-25T11:05:00+02:00", email=None))
    assert status == 201, body
    assert body["start"] == "2026-11-25T11:05:00+02:00"
    # Half an hour from now: inside the online notice (2 h), fine at the desk. Local time
    # without an offset is read in the salon's zone.
    status, body = desk.post(
        "/bookings", booking_body("2026-11-23T10:30", name="Pekka Puhelin", phone="050 987 6543", email=None)
    )
    assert status == 201, body
    assert body["start"] == "2026-11-23T10:30:00+02:00"

    for start, why in [
        ("2026-11-25T10:00:00+02:00", "outside the staff member's working hours"),  # Aino starts at 11
        ("2026-11-25T19:30:00+02:00", "outside the staff member's working hours"),  # runs past 20:00
        ("2026-11-25T12:07:00+02:00", "5-minute mark"),
        ("2026-11-23T09:00:00+02:00", "in the past"),
        ("2027-12-01T10:00:00+02:00", "more than a year ahead"),
        ("2026-11-25T25:00", "ISO 8601"),
    ]:
        status, body = desk.post("/bookings", booking_body(start, name="X Y", phone="040 555 5555", email=None))
        assert status == 422, (start, body)
        assert why in body["error"]["fields"]["start"], (start, body)


def test_notify_false_queues_and_sends_no_confirmation(desk):
    before = sent_count()
    status, body = desk.post(
        "/bookings", booking_body("2026-11-25T15:00:00+02:00", email="quiet@example.com", notify=False)
    )
    assert status == 201, body
    assert sent_count() == before
    assert "confirmation" not in outbox_kinds()
    # By default the client is told, as online.
    status, body = desk.post(
        "/bookings",
        booking_body("2026-11-26T15:00:00+02:00", name="Anna Aalto", phone="040 111 1111", email="anna@example.com"),
    )
    assert status == 201, body
    assert emails_to("anna@example.com")
    for bad in ({"notify": "no"}, {"walk_in": 1}, {"notify": None}):
        status, body = desk.post("/bookings", booking_body("2026-11-26T16:00:00+02:00", **bad))
        assert status == 422 and set(body["error"]["fields"]) == set(bad), (bad, body)


def test_a_walk_in_starts_now_with_anyone_free(client, desk, frozen_now):
    frozen_now["now"] = at("2026-11-23T10:07:00+02:00")
    # Aino is busy at 10:00 (booked at the desk earlier); Sanna is free.
    status, body = desk.post("/bookings", booking_body("2026-11-23T10:00:00+02:00", name="A B", phone="040 444 4444"))
    assert status == 201, body
    walk_in = {
        "service": "womens-cut",
        "walk_in": True,
        "notify": False,
        "client": {"name": "Walk In", "phone": "040 777 7777"},
    }
    status, body = desk.post("/bookings", walk_in)
    assert status == 201, body
    assert body["start"] == "2026-11-23T10:05:00+02:00"  # rounded down to 5 minutes
    assert body["staff"]["id"] == "sanna"
    _, appt = desk.get(f"/appointments/{body['id']}")
    assert appt["source"] == "walk_in"
    # Nobody left who does the service now.
    status, body = desk.post("/bookings", {**walk_in, "client": {"name": "Late", "phone": "040 777 7778"}})
    assert status == 409 and body["error"]["code"] == "slot_taken", body
    # She waits for the next free time today: still a walk-in, at that time.
    status, body = desk.post("/bookings", {**walk_in, "start": "2026-11-23T11:15:00+02:00"})
    assert status == 201 and body["start"] == "2026-11-23T11:15:00+02:00", body
    _, appt = desk.get(f"/appointments/{body['id']}")
    assert appt["source"] == "walk_in"
    # Not another day, nor before now.
    for start in ("2026-11-24T11:00:00+02:00", "2026-11-23T09:30:00+02:00"):
        status, body = desk.post("/bookings", {**walk_in, "client": {"name": "Later"}, "start": start})
        assert status == 422 and body["error"]["fields"] == {"start": "a walk-in is later today"}, (start, body)


def _both_busy_at_ten(desk, frozen_now):
    """Aino and Sanna both cutting from 10:00 (an hour, then ten minutes' clearing up)."""
    frozen_now["now"] = at("2026-11-23T09:55:00+02:00")
    ids = []
    for staff, phone in (("aino", "040 444 4444"), ("sanna", "040 444 4445")):
        status, body = desk.post("/bookings", booking_body("2026-11-23T10:00:00+02:00", staff=staff, phone=phone))
        assert status == 201, body
        ids.append(body["id"])
    return ids


WALK_IN = {"service": "womens-cut", "walk_in": True, "notify": False, "client": {"name": "Walk In"}}


def test_a_visit_done_early_frees_its_stylist_for_a_walk_in_after_her_clearing_up(desk, frozen_now):
    aino_s, sanna_s = _both_busy_at_ten(desk, frozen_now)
    frozen_now["now"] = at("2026-11-23T10:32:00+02:00")
    assert desk.post(f"/appointments/{aino_s}/status", {"status": "completed"})[0] == 200
    # The desk's calendar says how long the visit still holds Aino (its grid offers the rest).
    _, cal = desk.get("/calendar?date=2026-11-23")
    held = {a["id"]: a.get("held_until") for m in cal["staff"] for a in m["appointments"]}
    assert held[aino_s] == "2026-11-23T10:40:00+02:00" and held[sanna_s] is None, held
    # Her ten minutes' clearing up after the 10:30 mark: nobody free for a walk-in yet.
    frozen_now["now"] = at("2026-11-23T10:38:00+02:00")
    status, body = desk.post("/bookings", WALK_IN)
    assert status == 409 and body["error"]["code"] == "slot_taken", body
    frozen_now["now"] = at("2026-11-23T10:41:00+02:00")
    status, body = desk.post("/bookings", WALK_IN)
    assert status == 201, body
    assert body["staff"]["id"] == "aino" and body["start"] == "2026-11-23T10:40:00+02:00"
    # The calendar still shows the visit as it was booked, done.
    _, done = desk.get(f"/appointments/{aino_s}")
    assert done["status"] == "completed" and done["end"] == "2026-11-23T11:00:00+02:00"
    # Aino's occupancy counts the visit until it freed her (10.00-10.40) and the walk-in
    # (an hour and its ten minutes): not both over the same 20 minutes.
    from tests.admin.test_kpi_rolling import sync

    sync(frozen_now)
    _, kpis = desk.get("/kpis?period=2026-11")
    aino = next(s for s in kpis["staff"] if s["staff"] == "aino")
    assert aino["booked_minutes"] == 40 + 70, aino


def test_a_done_mark_undone_takes_the_time_back(desk, frozen_now):
    from chalicelib.store.bookings import get_appointment

    aino_s, _ = _both_busy_at_ten(desk, frozen_now)
    frozen_now["now"] = at("2026-11-23T10:32:00+02:00")
    assert desk.post(f"/appointments/{aino_s}/status", {"status": "completed"})[0] == 200
    done = get_appointment(desk.business_id, aino_s)
    assert done is not None and done.held_until == at("2026-11-23T10:40:00+02:00"), done  # occupancy's end
    status, body = desk.post(f"/appointments/{aino_s}/status", {"status": "booked"})  # a wrong tap
    assert status == 200 and body["status"] == "booked", body
    again = get_appointment(desk.business_id, aino_s)
    assert again is not None and again.held_until is None  # held as booked again
    frozen_now["now"] = at("2026-11-23T10:41:00+02:00")
    status, body = desk.post("/bookings", WALK_IN)
    assert status == 409 and body["error"]["code"] == "slot_taken", body


def test_a_wrong_done_mark_undone_leaves_her_arrived_and_her_arrival_undone_leaves_her_booked(desk, frozen_now):
    aino_s, _ = _both_busy_at_ten(desk, frozen_now)
    frozen_now["now"] = at("2026-11-23T10:02:00+02:00")
    assert desk.post(f"/appointments/{aino_s}/status", {"status": "arrived"})[1]["status"] == "arrived"
    frozen_now["now"] = at("2026-11-23T10:20:00+02:00")
    assert desk.post(f"/appointments/{aino_s}/status", {"status": "completed"})[1]["status"] == "completed"
    # A wrong tap: she is in the chair, as the desk marked her.
    status, body = desk.post(f"/appointments/{aino_s}/status", {"status": "booked"})
    assert status == 200 and body["status"] == "arrived" and body["outcome"] == "in_progress", body
    _, stats = desk.get(f"/clients/{body['client']['id']}/stats")
    assert stats["visits"] == 0  # not a visit done any more
    # Her arrival itself undone: booked.
    status, body = desk.post(f"/appointments/{aino_s}/status", {"status": "booked"})
    assert status == 200 and body["status"] == "booked", body
    # Done again and undone: booked, as she was last marked.
    assert desk.post(f"/appointments/{aino_s}/status", {"status": "completed"})[0] == 200
    assert desk.post(f"/appointments/{aino_s}/status", {"status": "booked"})[1]["status"] == "booked"


def test_a_no_show_frees_the_chair_and_its_undo_waits_until_the_walk_in_is_moved(desk, frozen_now):
    aino_s, _ = _both_busy_at_ten(desk, frozen_now)
    frozen_now["now"] = at("2026-11-23T10:12:00+02:00")
    status, marked = desk.post(f"/appointments/{aino_s}/status", {"status": "no_show"})
    assert status == 200 and marked["held_until"] == "2026-11-23T10:10:00+02:00", marked
    frozen_now["now"] = at("2026-11-23T10:13:00+02:00")
    status, walk_in = desk.post("/bookings", WALK_IN)
    assert status == 201 and walk_in["staff"]["id"] == "aino", walk_in
    assert walk_in["start"] == "2026-11-23T10:10:00+02:00"
    # She comes in late after all: Aino cannot have both, so the undo says whose the time
    # is now (and nothing changes) until the walk-in is moved or cancelled.
    status, err = desk.post(f"/appointments/{aino_s}/status", {"status": "booked"})
    assert status == 409 and err["error"]["reason"] == "time_taken", err
    assert err["error"]["overlaps"] == {
        "start": "2026-11-23T10:10:00+02:00",
        "end": "2026-11-23T11:20:00+02:00",
    }
    assert desk.get(f"/appointments/{aino_s}")[1]["status"] == "no_show"
    assert desk.post(f"/appointments/{walk_in['id']}/cancel", {"notify": False})[0] == 200
    status, body = desk.post(f"/appointments/{aino_s}/status", {"status": "booked"})
    assert status == 200 and body["status"] == "booked" and "held_until" not in body, body
    # Her whole time is hers again: nobody else is booked into it, the cancelled walk-in's
    # time included.
    status, err = desk.post("/bookings", WALK_IN)
    assert status == 409 and err["error"]["code"] == "slot_taken", err


def serialized_transactions(monkeypatch):
    """DynamoDB runs each TransactWriteItems atomically; moto does not under threads (it
    checks, writes, and restores a copy of the whole table on failure, unlocked). One
    lock around its writes gives the test DynamoDB's atomicity, nothing more: the reads
    the booking makes before it writes still race."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("transact_write_items", "put_item", "update_item", "delete_item"):
        original = getattr(DynamoDBBackend, name)

        def locked(self, *a, _original=original, **kw):
            with lock:
                return _original(self, *a, **kw)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


def race_desk_and_web(owner, start, tag):
    """The desk and the web book `start` with Aino at the same moment; their outcomes."""
    from chalicelib.errors import RebookError
    from chalicelib.services.admin import calendar
    from chalicelib.services.booking import book as booking

    barrier, results = threading.Barrier(2), list[tuple[str, int, str | None]]()

    def attempt(who, fn):
        barrier.wait(timeout=10)
        try:
            results.append((who, fn()[0], None))
        except RebookError as e:
            results.append((who, e.status, e.code))

    desk_body = booking_body(start, name="Desk", phone=f"040 200 00{tag:02d}", email=None)
    web_body = booking_body(start, name="Web", phone=f"040 300 00{tag:02d}", email=None)
    threads = [
        threading.Thread(target=attempt, args=("desk", lambda: calendar.book_for_client(owner, desk_body, None))),
        threading.Thread(target=attempt, args=("web", lambda: booking.create_booking("demo", web_body))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_a_desk_booking_and_an_online_booking_racing_for_one_time_one_wins(aws, frozen_now, monkeypatch):
    """Threads against the moto table, through the use cases themselves (the Chalice test
    client keeps one current request per app, so it cannot be shared by threads)."""
    from chalicelib.auth.principal import Principal

    serialized_transactions(monkeypatch)
    owner = Principal(user_id="owner-1", business_id=aws.id, role="owner")
    starts = ["2026-11-25T12:00:00+02:00", "2026-11-26T14:00:00+02:00", "2026-11-27T11:00:00+02:00"]
    for tag, start in enumerate(starts):
        results = race_desk_and_web(owner, start, tag)
        assert sorted(r[1] for r in results) == [201, 409], results
        assert [r[2] for r in results if r[1] == 409] == ["slot_taken"], results
        assert len(slots_taken(aws.id, start[:10])) == 1


def slots_taken(business_id, day):
    from datetime import date

    from chalicelib.store import daysheets

    d = date.fromisoformat(day)
    return [t for s in daysheets.in_range(business_id, d, d, consistent=True) for t in s.taken if s.staff_id == "aino"]


# --- reschedule ---------------------------------------------------------------------------
def test_the_desk_moves_a_booking_by_its_rules_and_tells_the_client_unless_asked_not_to(client, desk, booked):
    appt = booked["appointment"]
    before = len(emails_to("maija@example.com"))
    status, body = desk.post(f"/appointments/{appt}/reschedule", {"start": "2026-11-25T14:05", "notify": False})
    assert status == 200, body
    assert body["start"] == "2026-11-25T14:05:00+02:00" and body["staff"]["id"] == "aino"
    assert len(emails_to("maija@example.com")) == before
    # The old time is free online again; the new one is not.
    free = slots(client, day="2026-11-25", staff="aino")["aino"]
    assert "2026-11-25T12:00:00+02:00" in free and "2026-11-25T14:00:00+02:00" not in free

    # To Sanna, told this time.
    status, body = desk.post(
        f"/appointments/{appt}/reschedule", {"start": "2026-11-27T10:00:00+02:00", "staff": "sanna"}
    )
    assert status == 200, body
    assert body["staff"]["id"] == "sanna" and body["start"] == "2026-11-27T10:00:00+02:00"
    assert len(emails_to("maija@example.com")) == before + 1

    # A clash: 409 slot_taken, nothing changed.
    status, other = book(
        client, "2026-11-27T13:00:00+02:00", staff="sanna", name="Anna Aalto", phone="040 111 1111", email=None
    )
    assert status == 201, other
    status, body = desk.post(f"/appointments/{appt}/reschedule", {"start": "2026-11-27T13:30:00+02:00"})
    assert status == 409 and body["error"]["code"] == "slot_taken", body
    _, now = desk.get(f"/appointments/{appt}")
    assert now["start"] == "2026-11-27T10:00:00+02:00" and now["staff"]["id"] == "sanna"

    for bad, field in [
        ({}, "start"),
        ({"start": "soon"}, "start"),
        ({"start": "2026-11-27T11:00:00+02:00", "staff": "nobody"}, "staff"),
        ({"start": "2026-11-27T11:00:00+02:00", "staff": "mikko"}, "staff"),  # no women's cuts
        ({"start": "2026-11-27T11:00:00+02:00", "notify": "yes"}, "notify"),
        ({"start": "2026-11-27T07:00:00+02:00"}, "start"),
    ]:
        status, body = desk.post(f"/appointments/{appt}/reschedule", bad)
        assert status == 422 and field in body["error"]["fields"], (bad, body)
    status, _ = desk.post("/appointments/a0000000/reschedule", {"start": "2026-11-26T10:00:00+02:00"})
    assert status == 404


# --- undoing a mark --------------------------------------------------------------------------
def kpi_no_shows(desk, frozen_now):
    run_job("kpi_sync", frozen_now["now"] + timedelta(minutes=1))
    _, body = desk.get("/kpis?period=2026-11")
    return body["kpis"]["no_show_rate"]["numerator"], body["kpis"]["visits"]["value"]


def test_a_wrong_no_show_is_undone_and_counts_nowhere(desk, booked, frozen_now):
    appt, who = booked["appointment"], booked["client"]
    frozen_now["now"] = at("2026-11-25T12:20:00+02:00")
    status, body = desk.post(f"/appointments/{appt}/status", {"status": "no_show"})
    assert status == 200 and body["status"] == "no_show"
    assert kpi_no_shows(desk, frozen_now) == (1, 0)

    # She was in the back room: undone during the visit -> booked again.
    status, body = desk.post(f"/appointments/{appt}/status", {"status": "booked"})
    assert status == 200 and body["status"] == "booked" and body["outcome"] == "in_progress", body
    _, stats = desk.get(f"/clients/{who}/stats")
    assert stats["no_shows"] == 0
    assert kpi_no_shows(desk, frozen_now) == (0, 0)

    # The after-visit job completes it as any unmarked visit.
    run_on_schedule("visits_ended", "2026-11-25T13:05:00+02:00")
    frozen_now["now"] = at("2026-11-25T13:10:00+02:00")
    _, appt_now = desk.get(f"/appointments/{appt}")
    assert appt_now["status"] == "completed"
    assert kpi_no_shows(desk, frozen_now) == (0, 1)


def test_an_undo_after_the_visit_leaves_it_completed_and_arrived_can_be_undone(desk, booked, frozen_now):
    appt, who = booked["appointment"], booked["client"]
    frozen_now["now"] = at("2026-11-25T12:20:00+02:00")
    assert desk.post(f"/appointments/{appt}/status", {"status": "no_show"})[0] == 200
    frozen_now["now"] = at("2026-11-25T15:00:00+02:00")  # long after its end; the job ran past it
    status, body = desk.post(f"/appointments/{appt}/status", {"status": "booked"})
    assert status == 200 and body["status"] == "completed", body
    _, stats = desk.get(f"/clients/{who}/stats")
    assert stats["no_shows"] == 0 and stats["visits"] == 1
    assert kpi_no_shows(desk, frozen_now) == (0, 1)


def test_arrived_is_undone_to_booked_and_cancelled_cannot_be_undone(client, desk, booked, frozen_now):
    appt = booked["appointment"]
    frozen_now["now"] = at("2026-11-25T11:30:00+02:00")
    assert desk.post(f"/appointments/{appt}/status", {"status": "arrived"})[0] == 200
    status, body = desk.post(f"/appointments/{appt}/status", {"status": "booked"})
    assert status == 200 and body["status"] == "booked" and body["outcome"] == "upcoming"
    assert desk.post(f"/appointments/{appt}/status", {"status": "booked"})[0] == 200  # harmless twice
    assert desk.post(f"/appointments/{appt}/cancel", {"notify": False})[0] == 200
    status, body = desk.post(f"/appointments/{appt}/status", {"status": "booked"})
    assert status == 409 and body["error"]["code"] == "invalid_mark"


# --- cancel with an invitation ---------------------------------------------------------------
def test_cancel_with_invite_sends_a_prefilled_booking_link(desk, booked):
    status, body = desk.post(f"/appointments/{booked['appointment']}/cancel", {"reason": "Aino is ill", "invite": True})
    assert status == 200 and body["status"] == "cancelled", body
    mail = emails_to("maija@example.com", "peru")[-1]  # Maija books in Finnish
    assert "Valitse uusi aika" in mail
    assert "/book/demo?service=womens-cut&staff=aino" in mail


def test_cancel_without_notify_sends_nothing_and_without_invite_no_link(client, desk, booked):
    before = sent_count()
    status, _ = desk.post(f"/appointments/{booked['appointment']}/cancel", {"notify": False})
    assert status == 200 and sent_count() == before

    status, other = book(client, "2026-11-26T12:00:00+02:00", name="Anna Aalto", phone=None, email="anna@example.com")
    assert status == 201
    _, cal = desk.get("/calendar?date=2026-11-26&staff=aino")
    anna = cal["staff"][0]["appointments"][0]["id"]
    status, _ = desk.post(f"/appointments/{anna}/cancel", {})
    assert status == 200
    mail = emails_to("anna@example.com", "peru")[-1]
    assert "/book/demo" not in mail and "Valitse uusi aika" not in mail
    for bad in ({"invite": "yes"}, {"notify": 0}, {"extra": 1}):
        status, body = desk.post(f"/appointments/{anna}/cancel", bad)
        assert status == 422, (bad, body)


def test_the_invitation_speaks_the_clients_language_by_email_and_sms(client, desk):
    for locale, words, phone in (
        ("fi", "Valitse uusi aika", "040 600 0001"),
        ("sv", "Välj en ny tid", "040 600 0002"),
        ("en", "Choose a new time", "040 600 0003"),
    ):
        email = f"{locale}@example.com"
        body = booking_body("2026-11-27T10:00:00+02:00", name=f"Kieli {locale}", phone=phone, email=email)
        body["client"]["locale"] = locale
        status, made = desk.post("/bookings", {**body, "notify": False})
        assert status == 201, made
        before = len(sent_sms())
        status, _ = desk.post(f"/appointments/{made['id']}/cancel", {"invite": True})
        assert status == 200
        mail = emails_to(email)[-1]
        assert words in mail and "/book/demo?service=womens-cut&staff=aino" in mail, (locale, mail)
        [(_, sms)] = sent_sms()[before:]
        assert "/book/demo?service=womens-cut&staff=aino" in sms, (locale, sms)


def test_a_walk_in_replayed_with_its_idempotency_key_is_the_same_booking(desk, frozen_now):
    frozen_now["now"] = at("2026-11-23T10:02:00+02:00")
    walk_in = {"service": "mens-cut", "walk_in": True, "client": {"name": "Walk In", "phone": "040 777 7777"}}
    headers = {"Idempotency-Key": "walk-in-1"}
    status, first = desk.post("/bookings", walk_in, headers=headers)
    assert status == 201, first
    frozen_now["now"] = at("2026-11-23T10:06:00+02:00")  # the retry comes in the next 5 minutes
    status, again = desk.post("/bookings", walk_in, headers=headers)
    assert status == 201 and again["id"] == first["id"], again
