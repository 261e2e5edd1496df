"""Joining the waitlist (issue 21, points 1 and 7): 201 with a manage link; bad input
answered like a booking's, nothing half-written; a second entry of the same contact for
the same service over overlapping dates updates the first; a contact's entries are
capped. Now: Mon 23 Nov 2026 10:00 in Helsinki."""

from __future__ import annotations

import pytest

from tests.api.helpers import get, post, table_items, token_of
from tests.waitlist.helpers import WAITLIST, entry_body, join


def _waitlist_items():
    prefixes = ("WAIT#", "WAITC#")
    return [i for i in table_items() if i["sk"]["S"].startswith(prefixes) or i["pk"]["S"].startswith("WAITQ#")]


def test_joining_answers_201_with_a_link_to_see_and_leave_the_entry(client):
    status, body = join(client, windows=[{"days": ["wed", "thu"], "start": "16:00", "end": "20:00"}])
    assert status == 201, body
    assert body["status"] == "open" and body["from"] == "2026-11-25" and body["to"] == "2026-11-27"
    assert body["windows"] == [{"days": ["wed", "thu"], "start": "16:00", "end": "20:00"}]
    token = token_of(body["manage_url"])
    assert "/w/" in body["manage_url"]
    status, seen = get(client, f"/api/v1/waitlist/{token}")
    assert status == 200 and seen["id"] == body["id"] and "manage_url" not in seen
    status, left = post(client, f"/api/v1/waitlist/{token}/leave")
    assert status == 200 and left["status"] == "left"
    assert post(client, f"/api/v1/waitlist/{token}/leave")[1]["status"] == "left"  # twice: the same
    # Left: no day item waits any more.
    assert not [i for i in _waitlist_items() if i["pk"]["S"].startswith("WAITQ#")]


def test_an_entry_is_found_by_business_service_and_day(client, aws):
    from datetime import date

    from chalicelib.store import waitlist

    join(client, first="2026-11-25", last="2026-11-26")
    assert [e.name for e in waitlist.waiting_on(aws.id, "womens-cut", date(2026, 11, 26))] == ["Maija Meikäläinen"]
    assert waitlist.waiting_on(aws.id, "womens-cut", date(2026, 11, 27)) == []
    assert waitlist.waiting_on(aws.id, "colour", date(2026, 11, 26)) == []
    counts = waitlist.waiting_counts(aws.id, date(2026, 11, 23), date(2026, 11, 30))
    assert counts == {(date(2026, 11, 25), "womens-cut"): 1, (date(2026, 11, 26), "womens-cut"): 1}


def test_the_calendar_counts_an_entry_on_the_days_of_her_windows_only(client, aws):
    from datetime import date

    from chalicelib.store import waitlist

    # Wednesdays and Thursdays after four, Wednesday 25th to Saturday 28th.
    windows = [{"days": ["wed", "thu"], "start": "16:00", "end": "20:00"}]
    assert join(client, first="2026-11-25", last="2026-11-28", windows=windows)[0] == 201
    counts = waitlist.waiting_counts(aws.id, date(2026, 11, 23), date(2026, 11, 30))
    assert counts == {(date(2026, 11, 25), "womens-cut"): 1, (date(2026, 11, 26), "womens-cut"): 1}


@pytest.mark.parametrize(
    "changes, status, field",
    [
        ({"service": "nails"}, 422, "service"),
        ({"staff": "mikko"}, 422, "staff"),  # does not do women's cuts
        ({"staff": "nobody"}, 422, "staff"),
        ({"first": "2026-11-20", "last": "2026-11-22"}, 422, "to"),
        ({"first": "2026-11-20", "last": "2026-11-25"}, 422, "from"),
        ({"first": "2027-03-01", "last": "2027-03-02"}, 422, "from"),  # past the 90-day horizon
        ({"first": "2027-02-15", "last": "2027-02-25"}, 422, "to"),
        ({"first": "2026-11-27", "last": "2026-11-25"}, 422, "to"),
        ({"first": "2026-11-25", "last": "2026-12-31"}, 422, "to"),  # over 31 days
        ({"first": "25.11.2026"}, 422, "from"),
        ({"phone": None, "email": None}, 422, "client"),
        ({"phone": "12"}, 422, "client.phone"),
        ({"email": "not-an-email"}, 422, "client.email"),
        # A number the salon does not text (sms.countries), and no email: nothing could reach her.
        ({"phone": "+1 202 555 0143", "email": None}, 422, "client.phone"),
        ({"locale": "de"}, 422, "client.locale"),
        ({"windows": [{"days": ["mon"], "start": "18:00", "end": "16:00"}]}, 422, "windows.0.end"),
        ({"windows": [{"days": ["someday"]}]}, 422, "windows.0.days"),
        # No time could ever be offered: Sanna has no Tuesday hours; she ends at 18.00 on
        # Mondays; a 15-minute window is shorter than the service; no one cuts after 20.00.
        ({"staff": "sanna", "first": "2026-11-24", "last": "2026-11-24"}, 422, "from"),
        ({"staff": "sanna", "windows": [{"days": ["mon"], "start": "18:00", "end": "20:00"}]}, 422, "from"),
        ({"staff": "aino", "windows": [{"start": "16:00", "end": "16:15"}]}, 422, "from"),
        ({"windows": [{"start": "20:00", "end": "24:00"}]}, 422, "from"),
    ],
)
def test_bad_input_is_a_clear_4xx_naming_the_field_and_writes_nothing(client, changes, status, field):
    code, body = join(client, **changes)
    assert code == status, body
    assert set(body["error"]) >= {"code", "message", "fields"}
    assert any(k == field or k.startswith(field) for k in body["error"]["fields"]), body
    assert _waitlist_items() == []


def test_not_json_and_unknown_fields_are_refused_like_a_bookings(client):
    assert post(client, WAITLIST, raw="nope")[0] == 400
    status, body = post(client, WAITLIST, {**entry_body(), "extra": 1})
    assert status == 422 and "extra" in body["error"]["fields"]
    assert post(client, "/api/v1/businesses/nowhere/waitlist", entry_body())[0] == 404
    assert _waitlist_items() == []


def test_a_second_entry_for_the_same_service_over_overlapping_dates_updates_the_first(client, aws):
    from datetime import date

    from chalicelib.store import waitlist

    _, first = join(client, first="2026-11-25", last="2026-11-27")
    _, again = join(client, first="2026-11-26", last="2026-11-30", phone=None)  # by her email alone
    assert again["id"] == first["id"]
    # Its link went to her by email, not in the answer (anyone may type her address).
    assert "manage_url" not in again and again["link_sent"] == "email"
    [entry] = waitlist.entries_of(aws.id)
    assert (entry.first, entry.last) == (date(2026, 11, 26), date(2026, 11, 30))
    assert (entry.phone, entry.email) == ("+358401234567", "maija@example.com")  # her number kept
    assert waitlist.waiting_on(aws.id, "womens-cut", date(2026, 11, 25)) == []  # the day it no longer covers
    assert len(waitlist.waiting_on(aws.id, "womens-cut", date(2026, 11, 30))) == 1
    _, other = join(client, service="colour")
    assert other["id"] != first["id"]  # another service: another entry


def test_one_contact_may_wait_for_a_few_things_at_a_time(client, aws):
    for service in ("womens-cut", "colour", "highlights"):
        assert join(client, service=service)[0] == 201
    status, body = join(client, service="blowdry")
    assert status == 429 and body["error"]["code"] == "too_many_entries"
    assert "client.phone" in body["error"]["fields"]
    assert len([i for i in _waitlist_items() if i["sk"]["S"].startswith("WAIT#")]) == 3
    # Another person is not held back by her entries.
    assert join(client, service="blowdry", phone="040 765 4321", email="liisa@example.com")[0] == 201


def test_a_forged_or_other_purpose_link_is_a_404(client):
    _, body = join(client)
    token = token_of(body["manage_url"])
    assert get(client, f"/api/v1/waitlist/{token[:-2]}xx")[0] == 404
    assert get(client, f"/api/v1/offers/{token}")[0] == 404


def test_joining_sends_her_the_link_to_her_entry_by_email_else_by_sms(client):
    # The page said "keep this link" and she had no way back but a cookie: the link comes
    # in a message, transactional (no marketing consent asked), naming the salon.
    from tests.api.helpers import open_link
    from tests.conftest import emails_to, sent_sms

    status, body = join(client, service="colour", first="2026-11-25", last="2026-11-27")
    [email] = emails_to("maija@example.com")
    assert "olet jonossa (Salon Aurora): Hiusten värjäys, ke 25.11.2026 – pe 27.11.2026." in email
    assert body["manage_url"] in email
    assert sent_sms() == []  # one message: by email, as she gave one
    page = open_link(client, f"/w/{token_of(body['manage_url'])}?lang=fi").body.decode()
    assert "Jono · Salon Aurora" in page and "Lähetimme tämän sivun linkin sähköpostiisi" in page

    status, body = join(client, name="Liisa", phone="040 765 4321", email=None)
    [(number, sms, *_)] = sent_sms()
    assert number == "+358407654321"
    assert sms == "Olet jonossa: ke 25.11.-pe 27.11., Salon Aurora. Näytä tai poistu jonosta:\n" + body["manage_url"]
    assert (
        "Lähetimme tämän sivun linkin tekstiviestinä"
        in open_link(client, f"/w/{token_of(body['manage_url'])}").body.decode()
    )


def test_a_contacts_joining_confirmations_are_capped_a_day_and_she_joins_all_the_same(client):
    # Anyone can type a number: no more confirmations a day than entries she may keep (3).
    from tests.api.helpers import open_link
    from tests.conftest import sent_sms

    status, first = join(client, name="Liisa", phone="040 765 4321", email=None)
    assert status == 201 and first["manage_url"]
    for _ in range(2):
        status, body = join(client, name="Liisa", phone="040 765 4321", email=None)  # the same entry, updated
        assert status == 201 and body["id"] == first["id"] and body["link_sent"] == "sms", body
    status, body = join(client, name="Liisa", phone="040 765 4321", email=None)
    assert status == 201 and body["status"] == "open" and body["link_sent"] is None  # no fourth message
    assert len(sent_sms()) == 3
    page = open_link(client, f"/w/{token_of(first['manage_url'])}").body.decode()
    assert "Tallenna tämä sivu kirjanmerkiksi" in page and "Lähetimme" not in page


def test_an_entry_the_owner_adds_sends_nothing(client, aws):
    # She phoned: the salon tells her itself; the offers come as ever.
    from tests.admin.helpers import Desk
    from tests.conftest import sent_emails, sent_sms

    status, _ = Desk(client, aws.id).post("/waitlist", entry_body(name="Phoned In"))
    assert status == 201 and sent_emails() == [] and sent_sms() == []


def test_an_entry_a_time_could_be_offered_to_is_taken_on_any_working_day(client):
    # Sanna works on Wednesdays: a Tuesday-to-Wednesday entry waits for her Wednesday.
    status, body = join(client, staff="sanna", first="2026-11-24", last="2026-11-25")
    assert status == 201, body
    # Anyone: Aino works on Tuesdays.
    status, body = join(client, first="2026-11-24", last="2026-11-24", phone="040 765 4321", email=None)
    assert status == 201, body


def test_a_stranger_with_her_number_gets_an_entry_of_his_own_and_not_hers(client, aws):
    """Anyone may type her number: beside his own address it neither rewrites her entry
    (her name, address, dates and times stay) nor hands him its link."""
    from datetime import date

    from chalicelib.store import waitlist

    windows = [{"days": ["mon", "tue"], "start": "09:00", "end": "12:00"}]
    _, hers = join(client, first="2026-11-23", last="2026-11-28", windows=windows)
    status, theirs = join(
        client, first="2026-11-27", last="2026-11-29", name="Joku Muu", phone="040 123 4567", email="x@example.com"
    )
    assert status == 201 and theirs["id"] != hers["id"], theirs
    assert token_of(theirs["manage_url"]) != token_of(hers["manage_url"])
    entries = {e.id: e for e in waitlist.entries_of(aws.id)}
    mine = entries[hers["id"]]
    assert (mine.name, mine.email, mine.first, mine.last) == (
        "Maija Meikäläinen",
        "maija@example.com",
        date(2026, 11, 23),
        date(2026, 11, 28),
    )
    assert [w.to_dict() for w in mine.windows] == windows
    assert entries[theirs["id"]].email == "x@example.com"
    # Her own link still shows her entry as she made it.
    assert get(client, f"/api/v1/waitlist/{token_of(hers['manage_url'])}")[1]["windows"] == windows
