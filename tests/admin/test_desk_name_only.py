"""A client booked at the front desk by her name alone: the walk-in who pays cash and
gives no phone or email. She is a client like any other (calendar, card, registry and
search, marks, checkout, KPIs, GDPR) except that nothing can be sent to her and nothing
finds her but her id; the public booking keeps asking for a contact.

The clock is frozen at Mon 23 Nov 2026 10:00 Helsinki.
"""

from __future__ import annotations

from datetime import timedelta

from tests.api.helpers import book, booking_body, table_items
from tests.conftest import drain_outbox, sent_emails, sent_sms
from tests.history import at, run_job, run_on_schedule

LIISA = {"name": "Liisa"}


def sent_count():
    return len(sent_emails()) + len(sent_sms())


def messages_to_clients():
    """Outbox items meant for a person (email or SMS), whatever their state."""
    return [
        i
        for i in table_items()
        if i["sk"]["S"].startswith("MSG#") and i.get("channel", {}).get("S") in ("email", "sms")
    ]


def contact_keys():
    return [i["sk"]["S"] for i in table_items() if i["sk"]["S"].startswith("CKEY#")]


def named(desk, q):
    """The registry's search, once the bookings' plans are expanded (their search keys:
    the outbox stream does it right after a booking, as Lambda would)."""
    drain_outbox()
    status, found = desk.get(f"/clients?q={q}")
    assert status == 200, found
    return found["clients"]


def test_a_walk_in_with_a_name_only_is_booked_shown_marked_and_paid_and_told_nothing(desk, frozen_now):
    frozen_now["now"] = at("2026-11-23T10:07:00+02:00")
    # "notify" is left at its default (true): with nobody to tell it is simply moot.
    status, body = desk.post("/bookings", {"service": "mens-cut", "walk_in": True, "client": LIISA})
    assert status == 201, body
    assert body["start"] == "2026-11-23T10:05:00+02:00"

    # Her appointment card and the day's calendar.
    status, appt = desk.get(f"/appointments/{body['id']}")
    assert status == 200, appt
    assert appt["source"] == "walk_in" and appt["status"] == "booked"
    assert appt["client"]["name"] == "Liisa" and appt["client"]["phone"] is None and appt["client"]["email"] is None
    _, day = desk.get("/calendar?date=2026-11-23")
    assert [a["client"]["name"] for m in day["staff"] for a in m["appointments"]] == ["Liisa"]

    # A client of the registry, found by her name, with no contact.
    [liisa] = named(desk, "liisa")
    assert liisa["id"] == appt["client"]["id"] and (liisa["phone"], liisa["email"]) == (None, None)
    status, card = desk.get(f"/clients/{liisa['id']}")
    assert status == 200 and card["client"]["name"] == "Liisa" and card["client"]["phone_display"] is None, card

    # Nothing to send her, and no contact key written for a contact she has not got.
    assert sent_count() == 0 and messages_to_clients() == []
    assert contact_keys() == []

    # Marked at the desk, paid in cash (a receipt asked for: no email to send it to).
    assert desk.post(f"/appointments/{body['id']}/status", {"status": "arrived"})[0] == 200
    frozen_now["now"] = at("2026-11-23T10:40:00+02:00")
    status, marked = desk.post(f"/appointments/{body['id']}/status", {"status": "completed"})
    assert status == 200 and marked["status"] == "completed", marked
    status, paid = desk.post(f"/appointments/{body['id']}/checkout", {"method": "cash", "receipt": True})
    assert status == 200 and paid["method"] == "cash" and paid["receipt_sent"] is False, paid

    # The jobs after the visit and the KPIs count her like anyone; still nothing sent.
    run_on_schedule("visits_ended", "2026-11-23T10:45:00+02:00")
    frozen_now["now"] = at("2026-11-23T13:00:00+02:00")
    run_on_schedule("send_due", frozen_now["now"])
    run_job("kpi_sync", frozen_now["now"] + timedelta(minutes=1))
    _, kpis = desk.get("/kpis?period=2026-11")
    assert kpis["kpis"]["visits"]["value"] == 1, kpis
    _, stats = desk.get(f"/clients/{liisa['id']}/stats")
    assert stats["visits"] == 1 and stats["lifetime_spend_cents"] > 0, stats
    assert sent_count() == 0 and messages_to_clients() == []


def test_each_name_only_booking_is_a_new_client_unless_the_desk_picks_her(desk):
    status, first = desk.post(
        "/bookings", booking_body("2026-11-25T12:00:00+02:00", name="Liisa", phone=None, email=None)
    )
    assert status == 201, first
    status, second = desk.post(
        "/bookings", booking_body("2026-11-26T12:00:00+02:00", name="Liisa", phone=None, email=None, notify=False)
    )
    assert status == 201, second
    # Nothing tells two Liisas apart: two clients.
    ids = {desk.get(f"/appointments/{b['id']}")[1]["client"]["id"] for b in (first, second)}
    assert len(ids) == 2
    assert {c["id"] for c in named(desk, "liisa")} == ids

    # Picked from the search, she is booked by her id: no third Liisa.
    liisa = desk.get(f"/appointments/{first['id']}")[1]["client"]["id"]
    status, again = desk.post(
        "/bookings",
        {"service": "womens-cut", "staff": "sanna", "start": "2026-12-02T10:00:00+02:00", "client_id": liisa},
    )
    assert status == 201, again
    assert desk.get(f"/appointments/{again['id']}")[1]["client"]["id"] == liisa
    assert len(named(desk, "liisa")) == 2
    # Her id and someone's details at once, or an id that is no id: which client is meant is
    # asked (422 on the field), not guessed.
    body = {"service": "womens-cut", "staff": "sanna", "start": "2026-12-02T12:00:00+02:00"}
    for wrong, field in (
        ({"client_id": liisa, "client": {"name": "Pekka", "phone": "040 765 4321"}}, "client"),
        ({"client_id": 5}, "client_id"),
        ({"client_id": None}, "client_id"),
    ):
        status, refused = desk.post("/bookings", {**body, **wrong})
        assert (status, list(refused["error"]["fields"])) == (422, [field]), refused
    _, history = desk.get(f"/clients/{liisa}/history")
    assert [a["start"] for a in history["appointments"]] == ["2026-12-02T10:00:00+02:00", "2026-11-25T12:00:00+02:00"]
    assert history["messages"] == []
    assert sent_count() == 0 and messages_to_clients() == [] and contact_keys() == []


def test_her_phone_is_added_later_on_her_card_and_then_finds_her(client, desk, booked):
    status, made = desk.post(
        "/bookings", booking_body("2026-11-26T12:00:00+02:00", name="Liisa", phone=None, email=None)
    )
    assert status == 201, made
    liisa = desk.get(f"/appointments/{made['id']}")[1]["client"]["id"]
    # Her profile is edited as anyone's, with no contact to keep.
    status, body = desk.patch(f"/clients/{liisa}", {"allergies": "Latex", "name": "Liisa Lahtinen"})
    assert status == 200 and body["client"]["allergies"] == "Latex" and body["client"]["phone"] is None, body
    # Maija's phone is Maija's.
    status, body = desk.patch(f"/clients/{liisa}", {"phone": "040 123 4567"})
    assert status == 409 and body["error"]["code"] == "contact_in_use", body
    assert body["error"]["fields"] == {"phone": "belongs to another client"}
    status, body = desk.patch(f"/clients/{liisa}", {"phone": "040 765 4321"})
    assert status == 200 and body["client"]["phone"] == "+358407654321", body
    # Now her phone finds her: searching, and booking online with it (no second Liisa).
    assert [c["id"] for c in named(desk, "0407654321")] == [liisa]
    status, online = book(client, "2026-11-27T12:00:00+02:00", name="Liisa L", phone="040 765 4321", email=None)
    assert status == 201, online
    assert [c["id"] for c in named(desk, "liisa")] == [liisa]
    assert any("+358407654321" in str(to) for to, _ in sent_sms()), "her confirmation went to her new phone"
    # Once she has a contact she keeps one: a slip of the form does not lose it.
    status, body = desk.patch(f"/clients/{liisa}", {"phone": None})
    assert status == 422 and set(body["error"]["fields"]) == {"phone", "email"}, body


def test_the_public_booking_still_needs_a_phone_or_an_email(client, desk):
    status, body = book(client, "2026-11-25T12:00:00+02:00", name="Liisa", phone=None, email=None)
    assert status == 422 and body["error"]["code"] == "validation_failed", body
    assert "phone number or an email" in body["error"]["fields"]["client"]
    assert desk.get("/clients")[1]["clients"] == []


def test_a_name_only_client_is_exported_and_erased(desk, frozen_now):
    status, made = desk.post(
        "/bookings", booking_body("2026-11-23T11:00:00+02:00", name="Liisa Lahtinen", phone=None, email=None)
    )
    assert status == 201, made
    liisa = desk.get(f"/appointments/{made['id']}")[1]["client"]["id"]
    status, data = desk.get(f"/clients/{liisa}/export")
    assert status == 200, data
    assert data["profile"]["name"] == "Liisa Lahtinen" and data["profile"].get("phone") is None
    assert [a["appointment_id"] for a in data["appointments"]] == [made["id"]] and data["messages"] == []

    frozen_now["now"] = at("2026-11-23T13:00:00+02:00")  # the visit is over
    status, body = desk.delete(f"/clients/{liisa}")
    assert status == 200, body
    assert body["items"]["contact_keys"] == 0
    for item in table_items():
        assert "Lahtinen" not in str(item) and "lahtinen" not in str(item), (item["pk"], item["sk"])
    assert desk.get(f"/clients/{liisa}")[0] == 404
