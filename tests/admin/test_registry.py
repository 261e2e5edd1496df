"""The client registry: listing and search, the profile and its edits, contact changes,
history, stats and notes.

The clock is frozen at Mon 23 Nov 2026 10:00 Helsinki; bookings are made in the future
and the clock is moved forward to let visits happen.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from urllib.parse import quote

from tests.admin.helpers import Desk
from tests.api.helpers import book, booking_body, post, set_config, token_of
from tests.history import at


def book_ok(client, start, **kw):
    status, body = book(client, start, **kw)
    assert status == 201, body
    return body


def client_id_of(desk, booking) -> str:
    _, appt = desk.get(f"/appointments/{booking['id']}")
    return appt["client"]["id"]


def three_clients(client, desk) -> dict:
    """Maija, Matti and Liisa, each with a booking on Wed 25 Nov; name -> client id."""
    people = {}
    for start, staff, name, phone, email in [
        ("2026-11-25T12:00:00+02:00", "aino", "Maija Meikäläinen", "040 123 4567", "maija@example.com"),
        ("2026-11-25T12:00:00+02:00", "sanna", "Matti Virtanen", "050 765 4321", "matti@example.com"),
        ("2026-11-25T14:00:00+02:00", "aino", "Liisa Lahtinen", "044 555 6666", "liisa@example.com"),
    ]:
        people[name] = client_id_of(desk, book_ok(client, start, staff=staff, name=name, phone=phone, email=email))
    return people


# --- listing and search --------------------------------------------------------------
def test_clients_are_listed_page_by_page_and_bad_paging_is_refused(client, desk):
    people = three_clients(client, desk)
    status, page1 = desk.get("/clients?limit=2")
    assert status == 200 and len(page1["clients"]) == 2 and page1["next_cursor"]
    status, page2 = desk.get(f"/clients?limit=2&cursor={page1['next_cursor']}")
    assert status == 200, page2
    assert len(page2["clients"]) == 1 and page2["next_cursor"] is None
    seen = [c["id"] for c in page1["clients"] + page2["clients"]]
    assert sorted(seen) == sorted(people.values())  # every client once, none twice
    _, everyone = desk.get("/clients")
    assert len(everyone["clients"]) == 3 and everyone["next_cursor"] is None
    # A page that holds exactly the rest promises no empty page after it.
    _, exact = desk.get("/clients?limit=3")
    assert len(exact["clients"]) == 3 and exact["next_cursor"] is None

    # A cursor pointing at another kind of item, or garbage, was not given out by the API.
    cursor = page1["next_cursor"]
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**decoded, "sk": "APPT#x"}).encode()).decode().rstrip("=")
    for bad in (forged, "bm90LWpzb24", "!!!", cursor[:-3] + "zzz"):
        status, body = desk.get(f"/clients?cursor={bad}")
        assert status == 400 and body["error"]["code"] == "invalid_cursor", (bad, body)
    for limit in ("0", "101", "-1", "ten"):
        status, body = desk.get(f"/clients?limit={limit}")
        assert status == 422 and "limit" in body["error"]["fields"], limit
    status, body = desk.get("/clients?limit=100")
    assert status == 200 and len(body["clients"]) == 3


def search(desk, q: str) -> list[str]:
    status, body = desk.get(f"/clients?q={quote(q)}")
    assert status == 200, (q, body)
    return [c["name"] for c in body["clients"]]


def test_search_by_name_phone_or_email_and_erased_clients_are_never_found(client, desk, frozen_now):
    people = three_clients(client, desk)
    # Names: case and accents do not matter.
    for q in ("maija meikalainen", "MEIKÄLÄINEN", "Meikalainen", "maija"):
        assert search(desk, q) == ["Maija Meikäläinen"], q
    assert search(desk, "virtanen") == ["Matti Virtanen"]
    assert search(desk, "nobody") == []
    # Phone numbers as people say them, national or international.
    for q in ("040 123 4567", "0401234567", "+358 40 123 4567", "+358401234567"):
        assert search(desk, q) == ["Maija Meikäläinen"], q
    for q in ("matti@example.com", "Matti@Example.COM"):
        assert search(desk, q) == ["Matti Virtanen"], q

    frozen_now["now"] = at("2026-11-26T10:00:00+02:00")  # visits over: erasure is allowed
    status, body = desk.delete(f"/clients/{people['Maija Meikäläinen']}")
    assert status == 200, body
    _, body = desk.get("/clients")
    assert sorted(c["name"] for c in body["clients"]) == ["Liisa Lahtinen", "Matti Virtanen"]
    for q in ("maija", "040 123 4567", "maija@example.com"):
        assert search(desk, q) == [], q
    status, _ = desk.get(f"/clients/{people['Maija Meikäläinen']}")
    assert status == 404


# --- the profile -----------------------------------------------------------------------
def test_owner_records_what_she_knows_about_the_client(desk, booked):
    cid = booked["client"]
    status, body = desk.get(f"/clients/{cid}")
    assert status == 200, body
    c = body["client"]
    assert (c["name"], c["phone"], c["email"]) == ("Maija Meikäläinen", "+358401234567", "maija@example.com")
    assert c["relationship"] == "active" and c["marketing"]["granted"] is True and c["tags"] == []
    assert body["stats"]["next_booking"] == "2026-11-25T12:00:00+02:00" and body["stats"]["visits"] == 0

    status, body = desk.patch(
        f"/clients/{cid}",
        {
            "birthday": "1992-02-29",
            "preferences": {"coffee": "oat latte", " shampoo ": " mild "},
            "allergies": "Ammonia",
            "important_notes": "Sensitive scalp",
            "tags": ["VIP", " vip", "Curly"],
            "relationship": "at_risk",
            "locale": "en",
        },
    )
    assert status == 200, body
    _, profile = desk.get(f"/clients/{cid}")
    c = profile["client"]
    assert c["birthday"] == "1992-02-29"
    assert c["preferences"] == {"coffee": "oat latte", "shampoo": "mild"}
    assert (c["allergies"], c["important_notes"]) == ("Ammonia", "Sensitive scalp")
    assert c["tags"] == ["curly", "vip"]  # lower-case, no duplicates
    assert c["relationship"] == "at_risk" and c["locale"] == "en"

    # A birthday without the year; only the fields sent change.
    status, body = desk.patch(f"/clients/{cid}", {"birthday": "--12-24"})
    assert status == 200 and body["client"]["birthday"] == "--12-24"
    # As the owner writes it at her desk: day first, the year optional.
    for typed, stored in (("14.3.1985", "1985-03-14"), ("24.12.", "--12-24"), ("24.12", "--12-24")):
        status, body = desk.patch(f"/clients/{cid}", {"birthday": typed})
        assert status == 200 and body["client"]["birthday"] == stored, typed
    assert body["client"]["allergies"] == "Ammonia" and body["client"]["tags"] == ["curly", "vip"]
    # null clears a field.
    status, body = desk.patch(f"/clients/{cid}", {"allergies": None, "tags": []})
    assert status == 200 and body["client"]["allergies"] is None and body["client"]["tags"] == []
    status, _ = desk.get("/clients/c0000000")
    assert status == 404


def test_invalid_profile_edits_are_422_and_change_nothing_and_one_contact_must_stay(desk, booked):
    cid = booked["client"]
    for body in (
        {"birthday": "1990-02-29"},
        {"birthday": "1990-13-01"},
        {"birthday": "31.2."},
        {"birthday": "12/24/1990"},
        {"relationship": "friend"},
        {"locale": "de"},
        {"favourite_colour": "blue"},
        {"phone": None, "email": None},
        {"phone": "12"},
        {"email": "not-an-email"},
        {"name": ""},
        {"marketing": "yes"},
    ):
        status, resp = desk.patch(f"/clients/{cid}", body)
        assert status == 422, (body, resp)
    # The tester's edit: a blank name was named only once the other errors were fixed.
    # Every field's error at once, hers (a contact to keep) with the body's.
    bad = {"name": None, "phone": "12", "birthday": "31.2.", "allergies": "x" * 2001}
    status, resp = desk.patch(f"/clients/{cid}", bad)
    assert status == 422 and set(resp["error"]["fields"]) == {"name", "phone", "birthday", "allergies"}, resp
    status, resp = desk.patch(f"/clients/{cid}", {"name": None, "phone": None, "email": None})
    assert status == 422 and set(resp["error"]["fields"]) == {"name", "phone", "email"}, resp
    _, profile = desk.get(f"/clients/{cid}")
    c = profile["client"]
    assert c["birthday"] is None and c["relationship"] == "active" and c["locale"] == "fi"
    assert (c["name"], c["phone"], c["email"]) == ("Maija Meikäläinen", "+358401234567", "maija@example.com")

    # One contact may go, as long as the other stays.
    status, body = desk.patch(f"/clients/{cid}", {"email": None})
    assert status == 200 and body["client"]["email"] is None and body["client"]["phone"] == "+358401234567"
    status, body = desk.patch(f"/clients/{cid}", {"phone": None})
    assert status == 422
    _, profile = desk.get(f"/clients/{cid}")
    assert profile["client"]["phone"] == "+358401234567"


def test_marketing_consent_changes_are_logged_with_time_and_who(client, aws, frozen_now):
    hanna = Desk(client, aws.id, user="hanna")
    booking = book_ok(client, "2026-11-25T12:00:00+02:00")  # no marketing consent when booking
    cid = client_id_of(hanna, booking)
    _, consents = hanna.get(f"/clients/{cid}/consents")
    assert consents["marketing"]["granted"] is False and consents["log"] == []

    status, body = hanna.patch(f"/clients/{cid}", {"marketing": True})  # she said yes at the desk
    assert status == 200, body
    frozen_now["now"] = at("2026-11-24T15:30:00+02:00")
    status, body = hanna.patch(f"/clients/{cid}", {"marketing": False})  # and changed her mind by phone
    assert status == 200, body

    _, consents = hanna.get(f"/clients/{cid}/consents")
    assert consents["marketing"] == {
        "granted": False,
        "at": "2026-11-24T15:30:00+02:00",
        "source": "owner:hanna",
        "next_at": None,
        "last_at": None,
    }
    assert consents["log"] == [
        {"granted": True, "at": "2026-11-23T10:00:00+02:00", "source": "owner:hanna"},
        {"granted": False, "at": "2026-11-24T15:30:00+02:00", "source": "owner:hanna"},
    ]


def test_a_new_phone_moves_the_client_with_it(client, desk, booked):
    cid = booked["client"]
    status, body = desk.patch(f"/clients/{cid}", {"phone": "050 111 2222", "email": "maija.m@example.com"})
    assert status == 200, body
    assert body["client"]["phone"] == "+358501112222" and body["client"]["email"] == "maija.m@example.com"

    # She books online with her new number: the same client, not a new one.
    new = book_ok(client, "2026-11-27T12:00:00+02:00", phone="050 111 2222", email=None)
    assert client_id_of(desk, new) == cid
    # ...and with her new email alone, too.
    new = book_ok(client, "2026-11-27T10:00:00+02:00", phone=None, email="Maija.M@example.com")
    assert client_id_of(desk, new) == cid
    _, listed = desk.get("/clients")
    assert [c["id"] for c in listed["clients"]] == [cid]
    # The search finds her by the new contacts, not by the old.
    _, body = desk.get("/clients?q=050%20111%202222")
    assert [c["id"] for c in body["clients"]] == [cid]
    _, body = desk.get("/clients?q=maija@example.com")
    assert body["clients"] == []
    # The old number is free again: whoever books with it is somebody else.
    other = book_ok(client, "2026-11-27T14:00:00+02:00", name="Uusi Omistaja", phone="040 123 4567", email=None)
    assert client_id_of(desk, other) != cid


def test_the_phone_is_shown_as_people_read_it_and_kept_in_e164_for_links(desk, booked, aws):
    """The client card, the client list and the appointment card show the number in the
    salon's own country's national form, another country's internationally; `phone`
    stays E.164 (the tel: and sms: links, the edit form)."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store import businesses

    cid, appt = booked["client"], booked["appointment"]

    def shown() -> set[tuple[str, str]]:
        _, profile = desk.get(f"/clients/{cid}")
        _, listed = desk.get("/clients")
        _, card = desk.get(f"/appointments/{appt}")
        return {(c["phone"], c["phone_display"]) for c in (profile["client"], *listed["clients"], card["client"])}

    assert shown() == {("+358401234567", "040 1234567")}  # Salon Aurora is in Finland
    assert desk.patch(f"/clients/{cid}", {"phone": "+46 70 123 45 67"})[0] == 200
    assert shown() == {("+46701234567", "+46 70 123 45 67")}
    # A salon in Sweden (its own number Swedish): hers is national there, a Finnish one not.
    data = aws.config.model_dump(mode="json")
    businesses.save_config(parse_business_config({**data, "phone": "+46 8 123 456 78"}))
    businesses.clear_cache()
    assert shown() == {("+46701234567", "070-123 45 67")}
    assert desk.patch(f"/clients/{cid}", {"phone": "+358 40 123 4567"})[0] == 200  # a national number is Swedish here
    assert shown() == {("+358401234567", "+358 40 1234567")}


def test_a_phone_another_client_has_is_409_and_nothing_changes(client, desk, booked):
    maija = booked["client"]
    matti = client_id_of(
        desk,
        book_ok(
            client,
            "2026-11-25T12:00:00+02:00",
            staff="sanna",
            name="Matti Virtanen",
            phone="050 765 4321",
            email="matti@example.com",
        ),
    )
    status, body = desk.patch(f"/clients/{maija}", {"phone": "050 765 4321", "allergies": "Latex"})
    assert status == 409 and body["error"]["code"] == "contact_in_use", body
    assert "phone" in body["error"]["fields"]
    _, profile = desk.get(f"/clients/{maija}")
    assert profile["client"]["phone"] == "+358401234567" and profile["client"]["allergies"] is None
    status, body = desk.patch(f"/clients/{maija}", {"email": "MATTI@example.com"})
    assert status == 409 and body["error"]["code"] == "contact_in_use"
    # Both numbers still lead to their own clients.
    again = book_ok(client, "2026-11-27T12:00:00+02:00", name="M", phone="050 765 4321", email=None)
    assert client_id_of(desk, again) == matti
    again = book_ok(client, "2026-11-27T14:00:00+02:00", name="M", phone="040 123 4567", email=None)
    assert client_id_of(desk, again) == maija


def test_a_save_without_if_match_that_loses_a_race_is_made_again_the_last_wins(desk, booked, monkeypatch):
    """Another save of her lands between this save's read and its write (an API key's
    script and the desk at once): without If-Match it is made again on her as she now is
    (docs/api.md: the last write wins), not a 409 asking to reload."""
    from chalicelib.domain.clients import ProfileUpdate
    from chalicelib.store import clients

    write, raced = clients.update_profile, list[bool]()

    def another_save_first(c, *args, **kw):
        if not raced:
            raced.append(True)
            write(c, ProfileUpdate(fields={"important_notes": "Sensitive scalp"}), *args[1:], **kw)
        return write(c, *args, **kw)

    monkeypatch.setattr(clients, "update_profile", another_save_first)
    path = f"/clients/{booked['client']}"
    status, body = desk.patch(path, {"tags": ["regular"]})
    assert status == 200, body
    _, now = desk.get(path)
    assert now["client"]["tags"] == ["regular"] and now["client"]["important_notes"] == "Sensitive scalp"


def test_a_stale_device_does_not_erase_an_allergy_another_device_added(desk, booked):
    """Both devices show her card with no allergies; the phone saves "Ammonia"; the tablet,
    on the card it showed, saves "Latex": refused with 409, and "Ammonia" stays. The clock
    does not move between the saves: each save still gets its own version."""
    path = f"/clients/{booked['client']}"
    _, seen = desk.get(path)
    shown = {"If-Match": str(seen["client"]["version"])}
    status, phone = desk.patch(path, {"allergies": "Ammonia"}, headers=shown)
    assert status == 200 and phone["client"]["version"] != seen["client"]["version"], phone
    status, tablet = desk.patch(path, {"allergies": "Latex"}, headers=shown)
    assert status == 409, tablet
    assert tablet["error"]["code"] == "client_changed" and tablet["error"]["version"] == phone["client"]["version"]
    _, now = desk.get(path)
    assert now["client"]["allergies"] == "Ammonia" and now["client"]["version"] == phone["client"]["version"]
    # Reloaded, the tablet's save goes through; without If-Match (an API key) a save goes as before.
    status, again = desk.patch(
        path, {"allergies": "Ammonia, latex"}, headers={"If-Match": f'"{now["client"]["version"]}"'}
    )
    assert status == 200 and again["client"]["allergies"] == "Ammonia, latex", again
    assert desk.patch(path, {"important_notes": "Sensitive scalp"})[0] == 200
    assert (
        desk.patch(path, {"allergies": "x"}, headers={"If-Match": "W/yesterday"})[1]["error"]["code"] == "bad_version"
    )


# --- history and stats -----------------------------------------------------------------
def test_history_lists_visits_newest_first_with_outcomes_and_messages(client, desk, booked, frozen_now):
    later = book_ok(client, "2026-11-27T12:00:00+02:00")
    frozen_now["now"] = at("2026-11-26T10:00:00+02:00")  # Wednesday's visit is over
    status, history = desk.get(f"/clients/{booked['client']}/history")
    assert status == 200, history
    assert [(a["id"], a["start"], a["outcome"]) for a in history["appointments"]] == [
        (later["id"], "2026-11-27T12:00:00+02:00", "upcoming"),
        (booked["appointment"], "2026-11-25T12:00:00+02:00", "completed"),
    ]
    sent = {(m["kind"], m["channel"], m["status"]) for m in history["messages"]}
    assert ("confirmation", "email", "sent") in sent and ("confirmation", "sms", "sent") in sent
    assert sum(1 for m in history["messages"] if m["kind"] == "confirmation") == 4  # two bookings x two channels


def test_a_cancelled_visits_reminder_and_feedback_request_are_shown_as_not_going(client, desk, booked):
    """Before the sender comes to them, her card says what it will do: they will not go."""
    path = f"/clients/{booked['client']}/history"
    waiting = {(m["kind"], m["status"]) for m in desk.get(path)[1]["messages"]}
    assert ("reminder", "pending") in waiting and ("feedback_request", "pending") in waiting
    # Each one waiting says when it goes: the reminders a day (two hours before her changes
    # close, 24 h before) and two hours before her visit.
    reminders = {(m["channel"], m["due_at"]) for m in desk.get(path)[1]["messages"] if m["kind"] == "reminder"}
    assert reminders == {("email", "2026-11-24T10:00:00+02:00"), ("sms", "2026-11-25T10:00:00+02:00")}, reminders
    assert all(m["due_at"] is None for m in desk.get(path)[1]["messages"] if m["status"] == "sent")
    status, _ = post(client, f"/api/v1/bookings/{token_of(booked['booking']['manage_url'])}/cancel", {})
    assert status == 200
    shown = [m for m in desk.get(path)[1]["messages"] if m["kind"] in ("reminder", "feedback_request")]
    assert shown and all((m["status"], m["error"]) == ("skipped", "appointment_changed") for m in shown), shown


def test_stats_after_a_season_of_visits(client, aws, desk, frozen_now):
    # Six visits booked online at one go: more than the default limit of bookings per
    # contact in 24 h (issue 18); a salon that sells such series raises it.
    set_config(aws, limits__bookings_per_contact=10)
    bookings = {}
    for label, start, service in [
        ("first", "2026-11-25T12:00:00+02:00", "womens-cut"),
        ("second", "2026-12-09T12:00:00+02:00", "colour"),  # 14 days later
        ("third", "2026-12-30T12:00:00+02:00", "womens-cut"),  # 21 days later
        ("missed", "2027-01-07T12:00:00+02:00", "womens-cut"),
        ("cancelled", "2027-01-14T12:00:00+02:00", "womens-cut"),
        ("next", "2027-01-20T12:00:00+02:00", "womens-cut"),
    ]:
        bookings[label] = book_ok(client, start, service=service)
    cid = client_id_of(desk, bookings["first"])
    _, stats = desk.get(f"/clients/{cid}/stats")
    assert stats["visits"] == 0 and stats["next_booking"] == "2026-11-25T12:00:00+02:00"

    status, _ = post(client, f"/api/v1/bookings/{token_of(bookings['cancelled']['manage_url'])}/cancel", {})
    assert status == 200
    frozen_now["now"] = at("2027-01-12T10:00:00+02:00")
    status, _ = desk.post(f"/appointments/{bookings['missed']['id']}/status", {"status": "no_show"})
    assert status == 200

    _, stats = desk.get(f"/clients/{cid}/stats")
    assert stats["visits"] == 3  # passed visits count as completed without being marked
    assert stats["average_interval_days"] == 17.5
    assert stats["last_visit"] == "2026-12-30T12:00:00+02:00"
    assert stats["next_booking"] == "2027-01-20T12:00:00+02:00"
    assert stats["lifetime_spend_cents"] == 6900 + 12900 + 6900
    assert stats["no_shows"] == 1 and stats["cancellations"] == 1
    _, profile = desk.get(f"/clients/{cid}")
    assert profile["stats"] == stats


# --- notes -----------------------------------------------------------------------------
def test_notes_are_listed_newest_first_with_their_author(client, aws, booked, frozen_now):
    hanna, aino = Desk(client, aws.id, user="hanna"), Desk(client, aws.id, role="staff", staff_id="aino", user="aino")
    cid = booked["client"]
    status, first = hanna.post(f"/clients/{cid}/notes", {"text": "Prefers mornings"})
    assert status == 201 and first["text"] == "Prefers mornings" and first["author"] == "hanna"
    frozen_now["now"] = at("2026-11-23T11:15:00+02:00")
    status, second = aino.post(f"/clients/{cid}/notes", {"text": "  Asked about balayage  "})
    assert status == 201 and second["text"] == "Asked about balayage"

    _, listed = hanna.get(f"/clients/{cid}/notes")
    assert [(n["text"], n["author"], n["created_at"]) for n in listed["notes"]] == [
        ("Asked about balayage", "aino", "2026-11-23T11:15:00+02:00"),
        ("Prefers mornings", "hanna", "2026-11-23T10:00:00+02:00"),
    ]
    # Who wrote it, as the card names her: the owner, or a staff member by her own name.
    assert [(n["author_role"], n["author_staff_id"]) for n in listed["notes"]] == [("staff", "aino"), ("owner", None)]
    for bad in ({"text": ""}, {"text": "   "}, {}, {"text": "x", "pinned": True}):
        status, _ = hanna.post(f"/clients/{cid}/notes", bad)
        assert status == 422, bad
    _, listed = hanna.get(f"/clients/{cid}/notes")
    assert len(listed["notes"]) == 2


def test_notes_written_in_the_same_second_keep_their_order(client, aws, booked, frozen_now):
    from datetime import timedelta

    desk = Desk(client, aws.id)
    cid = booked["client"]
    for i in range(5):
        frozen_now["now"] += timedelta(microseconds=1000)
        assert desk.post(f"/clients/{cid}/notes", {"text": f"note {i}"})[0] == 201
    _, listed = desk.get(f"/clients/{cid}/notes")
    assert [n["text"] for n in listed["notes"]] == [f"note {i}" for i in reversed(range(5))]


def test_a_note_sent_again_with_its_key_after_the_answer_was_lost_is_on_her_card_once(client, aws, booked, frozen_now):
    """A walk on a poor connection: the note was saved, its answer lost, she tapped Save
    again — and the card held it twice. With the same Idempotency-Key the second answer is
    the first note; another user's replay of that key is refused, and after her erasure
    the key tells nothing of her words."""
    desk = Desk(client, aws.id, user="hanna")
    cid = booked["client"]
    key = {"Idempotency-Key": "note-tap-1"}
    first = desk.post(f"/clients/{cid}/notes", {"text": "Allergic to ammonia"}, headers=key)
    frozen_now["now"] += timedelta(seconds=20)
    again = desk.post(f"/clients/{cid}/notes", {"text": "Allergic to ammonia"}, headers=key)
    assert first[0] == again[0] == 201 and again[1] == first[1], (first, again)
    _, listed = desk.get(f"/clients/{cid}/notes")
    assert [n["text"] for n in listed["notes"]] == ["Allergic to ammonia"]
    other = Desk(client, aws.id, user="aino", role="staff", staff_id="aino")
    status, body = other.post(f"/clients/{cid}/notes", {"text": "Allergic to ammonia"}, headers=key)
    assert status == 422 and body["error"]["code"] == "idempotency_key_reused", body
    frozen_now["now"] = at("2026-11-25T14:00:00+02:00")  # her visit is over: she may be erased
    assert desk.delete(f"/clients/{cid}")[0] == 200
    status, body = desk.post(f"/clients/{cid}/notes", {"text": "Allergic to ammonia"}, headers=key)
    assert status == 404 and "ammonia" not in json.dumps(body), body


def test_a_returning_client_can_opt_in_when_she_books_again(client, aws):
    """She first booked without marketing consent; the second booking grants it."""
    desk = Desk(client, aws.id)
    assert book(client, "2026-11-25T12:00:00+02:00")[0] == 201
    status, body = book(client, "2026-11-26T12:00:00+02:00", consents={"marketing": True})
    assert status == 201, body
    listed = desk.get("/clients")[1]["clients"]
    assert len(listed) == 1 and listed[0]["marketing"]["granted"] is True
    log = desk.get(f"/clients/{listed[0]['id']}/consents")[1]["log"]
    assert [(e["granted"], e["source"]) for e in log] == [(True, "booking:web")]


def test_a_save_retried_after_its_answer_was_lost_gets_the_first_answer_not_a_409(desk, booked):
    """The phone saves "Ammonia" with If-Match and an Idempotency-Key; the answer is lost
    on the way and the dashboard sends the same save again: it is answered as the first
    time (200, the version it made), not 409 client_changed for her own save, and saves
    nothing again. The same key with another body is a 422; a refused save frees its key."""
    path = f"/clients/{booked['client']}"
    _, seen = desk.get(path)
    save = {"If-Match": str(seen["client"]["version"]), "Idempotency-Key": "save-1"}
    status, first = desk.patch(path, {"allergies": "Ammonia"}, headers=save)
    assert status == 200, first
    status, again = desk.patch(path, {"allergies": "Ammonia"}, headers=save)
    assert (status, again) == (200, first)
    # Her profile is answered again from the registry, not kept in the key's record (an
    # erasure finds nothing of her there).
    from chalicelib.store.models import SaveKeyItem
    from chalicelib.store.saves import _key

    kept = SaveKeyItem.get(*_key(desk.business_id, "save-1"), consistent_read=True)
    assert "Ammonia" not in (kept.answer or "") and booked["client"] not in (kept.answer or "")
    _, now = desk.get(path)
    assert now["client"]["version"] == first["client"]["version"] and now["client"]["allergies"] == "Ammonia"
    status, other = desk.patch(path, {"allergies": "Latex"}, headers=save)
    assert status == 422 and other["error"]["code"] == "idempotency_key_reused", other
    assert other["error"]["fields"] == {"Idempotency-Key": "reused with another body"}
    # Without a key (an older client), the stale version is refused as before.
    status, stale = desk.patch(path, {"allergies": "Ammonia"}, headers={"If-Match": save["If-Match"]})
    assert status == 409 and stale["error"]["code"] == "client_changed", stale
    # A save refused (stale) with a key leaves the key free: fixed, it goes through with it.
    retry = {"If-Match": save["If-Match"], "Idempotency-Key": "save-2"}
    status, refused = desk.patch(path, {"allergies": "Latex"}, headers=retry)
    assert status == 409 and refused["error"]["code"] == "client_changed", refused
    status, fixed = desk.patch(
        path, {"allergies": "Latex"}, headers={**retry, "If-Match": str(now["client"]["version"])}
    )
    assert status == 200 and fixed["client"]["allergies"] == "Latex", fixed
    status, bad = desk.patch(path, {"allergies": "Latex"}, headers={**retry, "Idempotency-Key": "no spaces"})
    assert status == 400 and bad["error"]["fields"] == {"Idempotency-Key": "invalid"}, bad


def test_a_save_sent_again_while_the_first_still_runs_is_told_to_wait(desk, booked, frozen_now):
    """The first request holds its key while it saves: the same save meanwhile is 409
    save_in_progress with Retry-After, never a second save; a first request that died
    holding it is taken over once its lease has run out."""
    from datetime import timedelta

    from chalicelib.services.idempotency import request_hash
    from chalicelib.store import saves

    path = f"/clients/{booked['client']}"
    _, seen = desk.get(path)
    version = str(seen["client"]["version"])
    asked = {
        "by": f"local-owner-{desk.business_id}",
        "method": "PATCH",
        "path": "/api/v1/admin/clients/{client_id}",
        "params": {"client_id": booked["client"]},
        "body": {"allergies": "Ammonia"},
        "if_match": version,
    }
    assert saves.claim(desk.business_id, "save-1", request_hash(asked), frozen_now["now"]) is None  # it runs
    headers = {"If-Match": version, "Idempotency-Key": "save-1"}
    status, wait = desk.patch(path, {"allergies": "Ammonia"}, headers=headers)
    assert status == 409 and wait["error"]["code"] == "save_in_progress", wait
    _, still = desk.get(path)
    assert still["client"]["allergies"] is None
    frozen_now["now"] += saves.LEASE + timedelta(seconds=1)  # it died
    status, saved = desk.patch(path, {"allergies": "Ammonia"}, headers=headers)
    assert status == 200 and saved["client"]["allergies"] == "Ammonia", saved


def test_a_profile_save_whose_read_after_the_commit_fails_is_answered_from_what_it_wrote(desk, booked, monkeypatch):
    """The save lands, then the table cannot be read: she is told it saved (200 with the
    values and the version written), not a 500 that would have her make it again."""
    from chalicelib.store import clients

    path = f"/clients/{booked['client']}"
    real_update = clients.update_profile

    def update_then_reads_fail(*a, **kw):
        written = real_update(*a, **kw)

        def throttled(*a, **kw):
            raise RuntimeError("table throttled")

        monkeypatch.setattr(clients, "get_client", throttled)
        return written

    monkeypatch.setattr(clients, "update_profile", update_then_reads_fail)
    change = {"allergies": "Ammonia", "tags": ["VIP"], "preferences": {"coffee": "oat"}, "relationship": "at_risk"}
    status, saved = desk.patch(path, {**change, "marketing": False})
    assert status == 200, saved
    c = saved["client"]
    assert (c["allergies"], c["tags"], c["preferences"]) == ("Ammonia", ["vip"], {"coffee": "oat"})
    assert c["relationship"] == "at_risk"
    assert c["marketing"]["granted"] is False and c["name"] == "Maija Meikäläinen"
    monkeypatch.undo()
    _, stored = desk.get(path)
    assert stored["client"] == c  # what she was told is what is stored, version and all


def test_a_profile_edit_takes_text_by_the_bookings_rule_and_says_what_to_remove(desk, booked):
    """Her name as a booking takes it (domain/plaintext.py): no control characters, line
    separators, invisible or text-direction characters; nor in her tags, preferences and
    notes (which keep their line breaks). Nothing of it reaches the CSV export."""
    cid = booked["client"]
    one_line, invisible = "must be one line without control characters", "invisible or text-direction"
    for body, field, says in [
        ({"name": "Eve\u0000\u202eevil\u2028line"}, "name", one_line),
        ({"name": "Eve\u2028Line"}, "name", one_line),
        ({"name": "Eve\u202eevil"}, "name", invisible),
        ({"name": "\u200b\u200b"}, "name", invisible),
        ({"tags": ["vip\u202e"]}, "tags", invisible),
        ({"preferences": {"coffee": "black\u0007"}}, "preferences", one_line),
        ({"allergies": "Latex\u0000"}, "allergies", "control characters"),
        ({"important_notes": "Sensitive \u2066scalp"}, "important_notes", invisible),
    ]:
        status, resp = desk.patch(f"/clients/{cid}", body)
        assert status == 422 and says in resp["error"]["fields"][field], (body, resp)
    _, profile = desk.get(f"/clients/{cid}")
    assert profile["client"]["name"] == "Maija Meikäläinen"
    assert (
        "\u202e"
        not in desk.client.http.get(
            "/api/v1/admin/export/clients.csv", headers={"Authorization": f"Bearer {desk.token}"}
        ).body.decode()
    )
    # What a name may hold: letters of any script, an emoji family (its joiners), lines in notes.
    ok = {"name": "Maija 👩\u200d👩\u200d👧 Meikäläinen", "allergies": "Latex\nAmmonia\tstrong"}
    status, body = desk.patch(f"/clients/{cid}", ok)
    assert status == 200 and body["client"]["name"] == ok["name"], body


# --- her language ----------------------------------------------------------------------
def locale_of(desk, cid) -> str:
    return desk.get(f"/clients/{cid}")[1]["client"]["locale"]


def test_her_language_follows_the_page_she_books_on_herself_not_the_desk(client, desk):
    """Known in Finnish (imported clients all are), she books on the Swedish page: her
    win-back, nudges and greetings go in Swedish from then on. The desk booking her by
    her details, or someone booking with her email and a number she is not known by,
    changes nothing of it."""
    cid = client_id_of(desk, book_ok(client, "2026-11-25T12:00:00+02:00"))
    assert locale_of(desk, cid) == "fi"
    swedish = booking_body("2026-11-26T12:00:00+02:00")
    swedish["client"]["locale"] = "sv"
    status, body = post(client, "/api/v1/businesses/demo/bookings", swedish)
    assert status == 201, body
    assert locale_of(desk, cid) == "sv"

    status, body = desk.post("/bookings", booking_body("2026-11-27T12:00:00+02:00", email=None))
    assert status == 201, body
    assert client_id_of(desk, body) == cid and locale_of(desk, cid) == "sv"

    stranger = booking_body("2026-11-30T12:00:00+02:00", phone="045 999 8888")
    stranger["client"]["locale"] = "en"
    status, body = post(client, "/api/v1/businesses/demo/bookings", stranger)
    assert status == 201, body
    assert locale_of(desk, cid) == "sv"
