"""The client's journey through the public API: find a time, book, view, move, cancel."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

from tests.api.helpers import (
    book,
    booking_body,
    count_by_prefix,
    get,
    post,
    slots,
    table_items,
    taken_on_sheets,
    token_of,
)
from tests.conftest import sent_emails, sent_sms


def test_profile_lists_services_and_staff(client):
    status, body = get(client, "/api/v1/businesses/demo")
    assert status == 200
    assert body["name"] == "Salon Aurora" and body["timezone"] == "Europe/Helsinki"
    assert len(body["services"]) >= 5 and len(body["staff"]) == 3
    cut = next(s for s in body["services"] if s["id"] == "womens-cut")
    assert cut["name"]["fi"] == "Naisten hiustenleikkaus" and cut["price_cents"] == 6900
    assert "owner_email" not in body  # the owner's contact is not public


def test_unknown_business_is_404(client):
    status, body = get(client, "/api/v1/businesses/nope")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_availability_is_local_time_with_offset_per_staff(client):
    free = slots(client, day="2026-11-25")  # a Wednesday
    assert set(free) == {"aino", "sanna"}  # Mikko does not do women's cuts
    assert free["aino"][0] == "2026-11-25T11:00:00+02:00"  # Aino starts at 11 on Wednesdays
    assert free["sanna"][0] == "2026-11-25T09:00:00+02:00"
    assert free["sanna"][-1] == "2026-11-25T16:00:00+02:00"  # 60 min must end by 17:00


def test_booking_confirms_and_removes_the_slot(client, aws):
    start = "2026-11-25T12:00:00+02:00"
    status, body = book(client, start)
    assert status == 201, body
    assert body["status"] == "booked"
    assert body["start"] == start and body["end"] == "2026-11-25T13:00:00+02:00"
    assert body["manage_url"].startswith("https://book.example.test/m/")
    free = slots(client, staff="aino")["aino"]
    # Aino starts at 11:00; a 60-min cut with its 10-min buffer from 11:00 would run
    # into 12:00, and the 12:00 booking holds her until 13:10.
    assert free[0] == "2026-11-25T13:15:00+02:00"


def test_confirmation_email_and_sms_are_sent(client):
    status, body = book(client, "2026-11-25T12:00:00+02:00")
    assert status == 201
    emails, sms = sent_emails(), sent_sms()
    assert len(emails) == 1 and len(sms) == 1
    raw = emails[0].raw_data
    assert set(emails[0].destinations) == {"maija@example.com"}
    assert "text/calendar" in raw and 'filename="booking.ics"' in raw
    import email
    from email import policy

    parsed = email.message_from_string(raw, policy=policy.default)
    plain = parsed.get_body(preferencelist=("plain",))
    assert plain is not None, "no text part"
    text = plain.get_content()
    assert token_of(body["manage_url"]) in text and "ke 25.11. klo\u00a012.00" in text
    phone, text = sms[0][0], sms[0][1]
    assert phone == "+358401234567"
    assert token_of(body["manage_url"]) in text
    assert "ke 25.11. klo 12.00" in text  # the SMS: a plain space (GSM-7)


def test_only_the_channels_the_client_gave(client):
    status, _ = book(client, "2026-11-25T12:00:00+02:00", email=None)
    assert status == 201
    assert len(sent_emails()) == 0 and len(sent_sms()) == 1


def test_overlapping_booking_of_same_staff_is_409(client):
    assert book(client, "2026-11-25T12:00:00+02:00")[0] == 201
    # A 30-minute booking starting inside the first one's buffer.
    status, body = book(
        client,
        "2026-11-25T13:00:00+02:00",
        service="mens-cut",
        name="Other Person",
        phone="040 765 4321",
        email="other@example.com",
    )
    assert status == 409 and body["error"]["code"] == "slot_taken"


def test_any_staff_books_whoever_is_free(client):
    first = book(client, "2026-11-25T12:00:00+02:00", staff=None)
    second = book(client, "2026-11-25T12:00:00+02:00", staff=None, name="B", phone="040 111 2222", email=None)
    third = book(client, "2026-11-25T12:00:00+02:00", staff=None, name="C", phone="040 333 4444", email=None)
    assert first[0] == 201 and second[0] == 201
    assert {first[1]["staff"]["id"], second[1]["staff"]["id"]} == {"aino", "sanna"}
    assert third[0] == 409


def test_returning_client_keeps_one_profile(client, aws):
    book(client, "2026-11-25T12:00:00+02:00", phone="040 123 4567", email="Maija@Example.com")
    book(client, "2026-11-26T12:00:00+02:00", phone="+358401234567", email=None)
    book(client, "2026-11-27T12:00:00+02:00", phone=None, email="MAIJA@example.com")
    items = table_items()
    assert count_by_prefix(items, "CLIENT#") == 1
    from chalicelib.store.bookings import client_history

    client_item = next(i for i in items if i["sk"]["S"].startswith("CLIENT#"))
    history = client_history(aws.id, client_item["client_id"]["S"])
    assert len(history) == 3 and int(client_item["bookings"]["N"]) == 3


def test_idempotency_key_returns_the_same_booking(client):
    headers = {"Idempotency-Key": "abc-123"}
    first = book(client, "2026-11-25T12:00:00+02:00", headers=headers)
    again = book(client, "2026-11-25T12:00:00+02:00", headers=headers)
    assert first[0] == again[0] == 201
    assert first[1]["id"] == again[1]["id"] and first[1]["manage_url"] == again[1]["manage_url"]
    assert count_by_prefix(table_items(), "APPT#") == 1
    assert len(sent_sms()) == 1  # no second confirmation
    other = book(client, "2026-11-25T14:00:00+02:00", headers=headers)
    assert other[0] == 422 and other[1]["error"]["code"] == "idempotency_key_reused"


def test_view_by_manage_token(client):
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    status, body = get(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}")
    assert status == 200
    assert body["id"] == booked["id"]
    # Nothing of hers: whoever typed her number holds the link too (her name behind a number).
    assert "client" not in body and "Maija" not in json.dumps(body)
    assert body["can_change"] is True and body["cancellable_until"] == "2026-11-24T12:00:00+02:00"


def test_cancel_frees_the_time_and_invites_to_book_again(client):
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    status, body = post(client, f"/api/v1/bookings/{token}/cancel", {"reason": "flu"})
    assert status == 200 and body["status"] == "cancelled"
    assert "2026-11-25T12:00:00+02:00" in slots(client, staff="aino")["aino"]
    assert taken_on_sheets(table_items()) == {}  # nothing left on her day sheet
    cancel_sms = sent_sms()[-1][1]
    assert "/book/demo" in cancel_sms and token not in cancel_sms
    # Cancelling again changes nothing and sends nothing more.
    before = len(sent_sms())
    assert post(client, f"/api/v1/bookings/{token}/cancel")[0] == 200
    assert len(sent_sms()) == before


def test_a_double_tap_on_cancel_answers_both_taps_with_the_cancellation(client, monkeypatch):
    """The second tap read the booking still booked, before the first one's cancellation
    landed: it is told the booking is cancelled (200), not "changed meanwhile, reload and
    try again"; one message goes."""
    from chalicelib.services.booking import manage

    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    stale = manage._from_token(token)  # what the second tap read
    assert post(client, f"/api/v1/bookings/{token}/cancel")[0] == 200
    before = len(sent_sms())
    monkeypatch.setattr(manage, "_from_token", lambda t: stale)
    status, body = post(client, f"/api/v1/bookings/{token}/cancel")
    assert (status, body.get("status")) == (200, "cancelled"), body
    assert len(sent_sms()) == before


def test_a_cancelled_booking_says_no_reminders_will_go(client):
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    assert booked["reminders"] is True
    token = token_of(booked["manage_url"])
    status, body = post(client, f"/api/v1/bookings/{token}/cancel", {"reason": "flu"})
    assert (status, body["status"], body["reminders"]) == (200, "cancelled", False)
    assert get(client, f"/api/v1/bookings/{token}")[1]["reminders"] is False  # and when looked at again


def test_cancel_inside_the_window_is_409(client, frozen_now):
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    frozen_now["now"] += timedelta(days=1, hours=3)  # Tue 13:00 local, 23 h before
    status, body = post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")
    assert status == 409 and body["error"]["code"] == "cancellation_window_passed"
    assert "2026-11-24T12:00:00+02:00" in body["error"]["message"]


def test_reschedule_moves_atomically(client):
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    status, moved = post(client, f"/api/v1/bookings/{token}/reschedule", {"start": "2026-11-25T15:00:00+02:00"})
    assert status == 200, moved
    assert moved["start"] == "2026-11-25T15:00:00+02:00" and moved["id"] == booked["id"]
    free = slots(client, staff="aino")["aino"]
    assert "2026-11-25T12:00:00+02:00" in free and "2026-11-25T15:00:00+02:00" not in free
    assert "ke 25.11. klo 15.00" in sent_sms()[-1][1]


def test_reschedule_onto_a_taken_time_keeps_the_old_one(client):
    _, mine = book(client, "2026-11-25T12:00:00+02:00")
    assert book(client, "2026-11-25T15:00:00+02:00", name="B", phone="040 111 2222", email=None)[0] == 201
    status, body = post(
        client, f"/api/v1/bookings/{token_of(mine['manage_url'])}/reschedule", {"start": "2026-11-25T15:30:00+02:00"}
    )
    assert status == 409 and body["error"]["code"] == "slot_taken"
    _, still = get(client, f"/api/v1/bookings/{token_of(mine['manage_url'])}")
    assert still["start"] == "2026-11-25T12:00:00+02:00" and still["status"] == "booked"
    assert "2026-11-25T12:00:00+02:00" not in slots(client, staff="aino")["aino"]


def test_reschedule_overlapping_its_own_time(client):
    _, mine = book(client, "2026-11-25T12:00:00+02:00")
    status, body = post(
        client, f"/api/v1/bookings/{token_of(mine['manage_url'])}/reschedule", {"start": "2026-11-25T12:30:00+02:00"}
    )
    assert status == 200, body
    # Exactly the new time (60 min + 10 min buffer) on her day sheet, nothing of the old left behind.
    assert taken_on_sheets(table_items()) == {
        ("2026-11-25#aino", f"a{mine['id']}"): ("2026-11-25T10:30:00+00:00", "2026-11-25T11:40:00+00:00")
    }


def test_cors_is_open_for_the_widget(client):
    r = client.http.get("/api/v1/businesses/demo")
    assert r.headers.get("Access-Control-Allow-Origin") == "*"
    assert "Idempotency-Key" in r.headers.get("Access-Control-Allow-Headers", "")


def test_availability_and_booking_across_the_spring_dst_switch(client, frozen_now):
    from datetime import datetime

    frozen_now["now"] = datetime(2026, 3, 25, 8, 0, tzinfo=UTC)
    free = slots(client, service="mens-cut", day="2026-03-28", to="2026-03-31", staff="mikko")["mikko"]
    assert "2026-03-28T10:00:00+02:00" in free  # Saturday, still winter time
    assert "2026-03-31T10:00:00+03:00" in free  # Tuesday, summer time
    status, body = book(client, "2026-03-31T10:00:00+03:00", service="mens-cut", staff="mikko")
    assert status == 201 and body["start"] == "2026-03-31T10:00:00+03:00"
    # The same wall-clock time written with the winter offset is 11:00 local: a different slot.
    status, body = book(
        client,
        "2026-03-31T10:00:00+02:00",
        service="mens-cut",
        staff="mikko",
        name="Other",
        phone="040 999 8888",
        email=None,
    )
    assert status == 201 and body["start"] == "2026-03-31T11:00:00+03:00"


def test_a_bookings_idempotency_key_is_bound_to_its_caller(client, aws):
    from tests.admin.helpers import Desk, call
    from tests.api.helpers import booking_body

    owner, staff = Desk(client, aws.id), Desk(client, aws.id, role="staff", staff_id="aino")
    body = booking_body("2026-11-26T12:00:00+02:00", name="Pekka Puhelin", phone="050 987 6543", email=None)
    key = {"Idempotency-Key": "desk-call-7"}
    status, made = owner.post("/bookings", body, headers=key)
    assert status == 201, made
    # Anyone else with the desk's key and body gets no booking of hers (nor its manage link).
    status, public = post(client, "/api/v1/businesses/demo/bookings", body, headers=key)
    assert status == 422 and public["error"]["code"] == "idempotency_key_reused", public
    assert "manage_url" not in public["error"] and "manage_url" not in public
    assert public["error"]["fields"] == {"Idempotency-Key": "reused with another body"}
    assert staff.post("/bookings", body, headers=key)[1]["error"]["code"] == "idempotency_key_reused"
    status, made_key = owner.post("/api-keys", {"name": "Site", "scopes": ["read", "write:bookings"]})
    assert status == 201, made_key
    status, by_key = call(client, "POST", "/api/v1/admin/bookings", made_key["key"], body, headers=key)
    assert status == 422 and by_key["error"]["code"] == "idempotency_key_reused", by_key
    # Her own replay still gets her booking; a public key stays the public caller's.
    status, again = owner.post("/bookings", body, headers=key)
    assert status == 201 and again["id"] == made["id"]
    public_key = {"Idempotency-Key": "web-9"}
    first = book(client, "2026-11-25T12:00:00+02:00", headers=public_key)
    assert book(client, "2026-11-25T12:00:00+02:00", headers=public_key)[1]["id"] == first[1]["id"]
    web_body = booking_body("2026-11-25T12:00:00+02:00")
    assert owner.post("/bookings", web_body, headers=public_key)[1]["error"]["code"] == "idempotency_key_reused"
    assert count_by_prefix(table_items(), "APPT#") == 2


def _text_of(message) -> str:
    import email
    from email import policy

    parsed = email.message_from_string(message.raw_data, policy=policy.default)
    plain = parsed.get_body(preferencelist=("plain",))
    assert plain is not None, "no text part"
    return plain.get_content()


def _calendar_of(message) -> str:
    import email
    from email import policy

    parsed = email.message_from_string(message.raw_data, policy=policy.default)
    [ics] = [p for p in parsed.iter_attachments() if p.get_filename() == "booking.ics"]
    return str(ics.get_content())


def test_moved_a_second_after_booking_her_last_messages_tell_the_new_time(client):
    """She books, and moves it before the outbox stream has sent the confirmation (its
    plan still waits on the booking): the moved news leaves at once with the move, the
    confirmation after it; neither may tell her the old time last."""
    status, booked = post(client, "/api/v1/businesses/demo/bookings", booking_body("2026-11-25T12:00:00+02:00"))
    assert status == 201, booked
    token = token_of(booked["manage_url"])
    status, moved = post(client, f"/api/v1/bookings/{token}/reschedule", {"start": "2026-11-25T15:00:00+02:00"})
    assert status == 200, moved
    emails, sms = sent_emails(), sent_sms()  # drains the outbox: the booking's plan now
    last_email, last_sms = _text_of(emails[-1]), sms[-1][1]
    assert "klo\u00a015.00" in last_email and "klo\u00a012.00" not in last_email, last_email
    assert "klo 15.00" in last_sms and "klo 12.00" not in last_sms, last_sms
    # The confirmation went, as the booking is now: with its manage link and a calendar
    # invitation of the visit's current version (a calendar that took the move keeps it).
    assert len(emails) == 2 and len(sms) == 2
    now_token = token_of(moved["manage_url"])  # signed with the visit's new end
    assert now_token in last_email and now_token in last_sms
    assert "SEQUENCE:1\r\n" in _calendar_of(emails[-1]) and "DTSTART:20261125T130000Z" in _calendar_of(emails[-1])


def test_cancelled_a_second_after_booking_no_confirmation_follows(client):
    """Cancelled before its confirmation left: the cancellation is her last word, not a
    confirmation of a booking that no longer stands."""
    status, booked = post(client, "/api/v1/businesses/demo/bookings", booking_body("2026-11-25T12:00:00+02:00"))
    assert status == 201, booked
    status, body = post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")
    assert status == 200, body
    emails, sms = sent_emails(), sent_sms()
    assert len(emails) == 1 and len(sms) == 1  # the cancellation's only
    assert "peru" in sms[-1][1].lower() or "cancel" in sms[-1][1].lower(), sms[-1][1]


def test_cancelled_while_her_confirmation_email_leaves_no_sms_tells_her_it_is_booked(client, monkeypatch):
    """A probe on the real stack: booked, moved twice and cancelled a moment apart; the
    confirmation's email and SMS were checked against one read of the booking, taken while
    it was still at its first move, so the SMS said "confirmed, 10.00" after the
    cancellation. Each confirmation reads the booking right before it leaves."""
    from chalicelib.notify import channels

    status, booked = post(client, "/api/v1/businesses/demo/bookings", booking_body("2026-11-25T12:00:00+02:00"))
    assert status == 201, booked
    token = token_of(booked["manage_url"])
    real, cancelled, armed = channels.send_email, [], [True]

    def email_then_she_cancels(raw, **kw):
        sent = real(raw, **kw)
        if armed and armed.pop():  # while the confirmation's email leaves, she cancels
            cancelled.append(post(client, f"/api/v1/bookings/{token}/cancel", {})[0])
        return sent

    monkeypatch.setattr(channels, "send_email", email_then_she_cancels)
    texts = [text for _, text in sent_sms()]  # drains the outbox: the booking's plan now
    assert cancelled == [200]
    assert texts and "peru" in texts[-1].lower(), texts  # her last SMS: the cancellation
    assert not any("vahvistettu" in t.lower() for t in texts), texts
