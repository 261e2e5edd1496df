"""A booking on the web with a known client's phone or email and a contact she is not known
by. Anyone may type her number: the booking is hers in the owner's book (the same person,
most likely), but what is hers alone — her stamp card's link, a "book again" that fills in
her name and contacts, the contacts on her profile — stays out of the booker's reach."""

from __future__ import annotations

from tests.admin.helpers import Desk
from tests.api.helpers import book, open_link, post, token_of
from tests.conftest import emails_to, sent_sms

MAIJA = {"name": "Maija Meikäläinen", "phone": "040 123 4567", "email": "maija@example.com"}


def book_ok(client, start, **kw) -> dict:
    status, body = book(client, start, **kw)
    assert status == 201, body
    return body


def client_of(desk: Desk, booking: dict) -> dict:
    _, appt = desk.get(f"/appointments/{booking['id']}")
    _, profile = desk.get(f"/clients/{appt['client']['id']}")
    return profile["client"]


def test_her_number_and_a_strangers_email_get_no_link_to_her_card_or_her_details(client, desk):
    mine = book_ok(client, "2026-11-25T12:00:00+02:00", **MAIJA)
    [hers] = emails_to("maija@example.com")
    assert "/l/" in hers  # her own booking: her stamp card's link

    theirs = book_ok(
        client, "2026-11-26T12:00:00+02:00", name="Joku Muu", phone=MAIJA["phone"], email="stranger@example.com"
    )
    assert client_of(desk, theirs)["id"] == client_of(desk, mine)["id"]  # her number: hers in the book
    [mail] = emails_to("stranger@example.com")
    assert "/l/" not in mail, "her stamp card's link went to an address she is not known by"

    # Cancelled from its link, the page's "book again" does not fill in her details (her
    # own cancelled booking's does).
    for booking, is_hers in ((mine, True), (theirs, False)):
        token = token_of(booking["manage_url"])
        assert post(client, f"/api/v1/bookings/{token}/cancel", {})[0] == 200
        page = open_link(client, f"/m/{token}")
        html = page.body.decode()
        assert page.status_code == 200 and "/book/demo?service=womens-cut" in html
        assert ("again=" in html) is is_hers, html

    # Her profile kept her own contacts.
    profile = client_of(desk, mine)
    assert (profile["phone"], profile["email"]) == ("+358401234567", "maija@example.com")


def test_her_email_and_a_new_number_do_not_replace_her_number(client, desk):
    mine = book_ok(client, "2026-11-25T12:00:00+02:00", **MAIJA)
    theirs = book_ok(client, "2026-11-26T12:00:00+02:00", name="Joku Muu", phone="044 987 6543", email=MAIJA["email"])
    cid = client_of(desk, mine)["id"]
    assert client_of(desk, theirs)["id"] == cid
    profile = client_of(desk, mine)
    assert (profile["name"], profile["phone"]) == ("Maija Meikäläinen", "+358401234567")
    # The new number is not hers: the owner's search does not lead from it to her, and a
    # booking with it alone is somebody else's.
    _, found = desk.get("/clients?q=044%20987%206543")
    assert cid not in [c["id"] for c in found["clients"]]
    alone = book_ok(client, "2026-11-27T12:00:00+02:00", name="Joku Muu", phone="044 987 6543", email=None)
    assert client_of(desk, alone)["id"] != cid
    # The booking's own messages still go where its booker asked (his number, her email).
    assert any(to == "+358449876543" for to, *_ in sent_sms())


def test_the_desk_still_gives_a_client_her_new_number(client, desk):
    mine = book_ok(client, "2026-11-25T12:00:00+02:00", **MAIJA)
    cid = client_of(desk, mine)["id"]
    body = {
        "service": "womens-cut",
        "staff": "aino",
        "start": "2026-11-27T14:00:00+02:00",
        "client": {"name": MAIJA["name"], "phone": "050 111 2222", "email": MAIJA["email"]},
    }
    status, booked = desk.post("/bookings", body)
    assert status == 201, booked
    assert client_of(desk, booked)["id"] == cid
    assert client_of(desk, mine)["phone"] == "+358501112222"  # the owner typed it: hers
