"""Freed time offered to the waitlist (issue 21, points 2, 3 and 6), on moto: a
cancellation, a move and an unconfirmed hold running out each offer the freed time to
the matching entries, once however often; the offer SMS fits 160 GSM-7 characters in
every language with long names; the link books in one tap through the booking's own
transaction; the loser hears she is still on the list. Now: Mon 23 Nov 2026 10:00 in
Helsinki."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.api.helpers import book, get, post, set_config, table_items, token_of
from tests.conftest import FROZEN_NOW, drain_outbox, sent_sms
from tests.waitlist.helpers import join, offer_links

WED_13 = "2026-11-25T13:00:00+02:00"
LIISA = {"name": "Liisa Virtanen", "phone": "040 765 4321", "email": "liisa@example.com"}


def _offer_links(phone: str = "+358407654321") -> list[str]:
    return offer_links(phone)


def _booked_and_waited_for(client, **entry):
    status, booked = book(client, WED_13)
    assert status == 201, booked
    status, waiting = join(client, first="2026-11-25", last="2026-11-25", **{**LIISA, **entry})
    assert status == 201, waiting
    return booked, waiting


def test_a_cancellation_offers_the_freed_time_and_one_tap_books_it(client, aws):
    booked, waiting = _booked_and_waited_for(client)
    assert _offer_links() == []  # nothing freed yet
    assert post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")[0] == 200
    [link] = _offer_links()
    [(_, text, *_)] = [m for m in sent_sms() if m[0] == "+358407654321"]
    assert "ke 25.11. klo 13.00" in text or "25.11." in text
    status, offer = get(client, f"/api/v1/offers/{link}")
    assert status == 200 and offer["start"] == WED_13 and offer["staff"]["id"] == "aino"
    status, mine = post(client, f"/api/v1/offers/{link}/book")
    assert status == 201, mine
    assert mine["start"] == WED_13 and mine["staff"]["id"] == "aino" and mine["status"] == "booked"
    # The entry is closed: she is not offered this again, and her link says so.
    assert get(client, f"/api/v1/waitlist/{token_of(waiting['manage_url'])}")[1]["status"] == "booked"
    assert post(client, f"/api/v1/offers/{link}/book") == (201, mine)  # tapped twice: the same booking
    assert get(client, f"/api/v1/offers/{link}")[1]["status"] == "taken"


@pytest.mark.parametrize("anyone", ["", "  "])
def test_an_entry_sent_with_staff_blank_waits_for_anyone_and_is_offered_the_freed_time(client, aws, anyone):
    booked, waiting = _booked_and_waited_for(client, staff=anyone)
    assert waiting["staff"] is None  # anyone, as the page's choice
    assert post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")[0] == 200
    assert len(_offer_links()) == 1


def test_a_double_tap_on_an_offer_books_once_and_both_taps_answer_with_her_booking(client, aws, monkeypatch):
    """The second tap read the offer still open, before the first one's booking landed:
    it gets her booking back (201), not "that time was just taken — you are still on the
    list"; the refill is counted once."""
    from chalicelib.services.waitlist import offers

    booked, _ = _booked_and_waited_for(client)
    assert post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")[0] == 200
    [link] = _offer_links()
    stale = offers._from_token(link)  # what the second tap read: the offer open
    status, first = post(client, f"/api/v1/offers/{link}/book")
    assert status == 201, first
    monkeypatch.setattr(offers, "_from_token", lambda token: stale)
    status, second = post(client, f"/api/v1/offers/{link}/book")
    assert (status, second["id"]) == (201, first["id"]), second
    refills = [int(i["waitlist_refills"]["N"]) for i in table_items() if "waitlist_refills" in i]
    assert refills == [1]


def test_the_freed_time_is_offered_once_however_often_it_is_freed_or_the_job_runs(client, aws):
    from chalicelib.services.waitlist.refill import time_freed
    from chalicelib.store import bookings

    booked, _ = _booked_and_waited_for(client)
    post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")
    appt = bookings.get_appointment(aws.id, booked["id"])
    assert appt is not None
    again = time_freed(aws, "aino", appt.start, appt.occupied_until)
    assert again.matched == 1 and again.offered == 0 and again.skipped == {"exists": 1}
    assert len(_offer_links()) == 1


def test_a_time_taken_and_freed_again_is_offered_again(client, aws, frozen_now):
    """A re-check's find: the offer's id was the entry, stylist and start alone, so once
    someone else had booked the freed time and cancelled it in turn, Liisa (still waiting)
    heard nothing, and the time went unfilled. Each freeing is offered (one freeing once:
    test_the_freed_time_is_offered_once_however_often_it_is_freed_or_the_job_runs)."""
    booked, _ = _booked_and_waited_for(client)
    post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")
    [first] = _offer_links()
    frozen_now["now"] += timedelta(minutes=20)
    status, other = book(client, WED_13, name="Other Person", phone="040 888 8888", email="other@example.com")
    assert status == 201, other  # taken from the booking page, not from her offer
    frozen_now["now"] += timedelta(minutes=20)
    post(client, f"/api/v1/bookings/{token_of(other['manage_url'])}/cancel")
    drain_outbox()
    links = _offer_links()
    assert len(links) == 2 and links[0] == first, links
    assert post(client, f"/api/v1/offers/{links[1]}/book")[0] == 201


def test_only_entries_the_time_fits_are_offered(client, aws):
    from chalicelib.services.waitlist.refill import time_freed
    from chalicelib.store import bookings

    status, booked = book(client, WED_13)
    # Taken until 12:55 and from 14:15: the freed gap is 12:55-14:15, too short for
    # highlights (150 + 15 min), which the free time around it may be used for.
    assert book(client, "2026-11-25T11:45:00+02:00", name="Before", phone="040 555 5556", email=None)[0] == 201
    assert book(client, "2026-11-25T14:15:00+02:00", name="Next", phone="040 555 5555", email=None)[0] == 201
    fits = join(client, first="2026-11-25", last="2026-11-25", **LIISA)[1]
    join(client, first="2026-11-26", last="2026-11-27", name="Wrong Day", phone="040 111 1111", email=None)
    join(client, first="2026-11-25", last="2026-11-25", staff="sanna", name="Wrong Staff", phone="040 222 2222")
    join(client, first="2026-11-25", last="2026-11-25", service="highlights", name="Too Long", phone="040 333 3333")
    join(
        client,
        first="2026-11-25",
        last="2026-11-25",
        windows=[{"days": ["wed"], "start": "16:00", "end": "20:00"}],
        name="Wrong Hours",
        phone="040 444 4444",
    )
    post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")
    appt = bookings.get_appointment(aws.id, booked["id"])
    assert appt is not None
    again = time_freed(aws, "aino", appt.start, appt.occupied_until)
    assert again.matched == 1  # Liisa alone; her offer was made by the cancellation
    numbers = {m[0] for m in sent_sms() if "/o/" in m[1]}  # offers (each joining was confirmed by SMS too)
    assert "+358407654321" in numbers
    assert not numbers & {"+358401111111", "+358402222222", "+358403333333", "+358404444444"}
    assert fits["status"] == "open"


def test_a_move_offers_its_old_time(client, aws):
    booked, _ = _booked_and_waited_for(client)
    status, moved = post(
        client,
        f"/api/v1/bookings/{token_of(booked['manage_url'])}/reschedule",
        {"start": "2026-11-26T13:00:00+02:00"},
    )
    assert status == 200, moved
    assert len(_offer_links()) == 1


def test_an_unconfirmed_hold_running_out_offers_its_time(client, aws, frozen_now):
    from tests.history import run_job

    set_config(aws, limits__hold_unconfirmed={"enabled": True, "minutes": 30, "far_ahead_days": 2, "bulk_bookings": 3})
    status, held = book(client, WED_13)
    assert held["status"] == "awaiting_confirmation"
    join(client, first="2026-11-25", last="2026-11-25", **LIISA)
    frozen_now["now"] = FROZEN_NOW + timedelta(minutes=31)
    assert run_job("hold_expiry", frozen_now["now"])["freed"] == 1
    assert len(_offer_links()) == 1


def test_the_loser_of_an_offered_time_is_still_on_the_list_and_hears_the_next_free_time(client, aws):
    from chalicelib.store import waitlist

    booked, _ = _booked_and_waited_for(client)
    _, other = join(client, first="2026-11-25", last="2026-11-25", name="Other Person", phone="040 888 8888")
    post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")
    [liisa] = _offer_links()
    [others] = _offer_links("+358408888888")
    assert post(client, f"/api/v1/offers/{others}/book")[0] == 201
    status, lost = post(client, f"/api/v1/offers/{liisa}/book")
    assert status == 409 and lost["error"]["code"] == "offer_taken"
    assert "still on the list" in lost["error"]["message"]
    assert lost["error"]["next"]["start"].startswith("2026-11-25T")  # the day has other free times
    assert [e.name for e in waitlist.waiting_on(aws.id, "womens-cut", datetime(2026, 11, 25).date())] == [
        "Liisa Virtanen"
    ]


def test_no_offer_for_a_time_inside_the_minimum_notice(client, aws, frozen_now):
    from chalicelib.services.waitlist.refill import time_freed

    join(client, first="2026-11-23", last="2026-11-23", **LIISA)
    start = datetime.fromisoformat("2026-11-23T11:00:00+02:00")  # an hour ahead; notice is 2 h
    done = time_freed(aws, "aino", start, start + timedelta(hours=2))
    # 12:00 is exactly 2 h ahead, no time left to tap: the first start with time is 12:15.
    assert [o.start for o in done.offers] == [datetime.fromisoformat("2026-11-23T12:15:00+02:00")]
    assert [o.expires_at for o in done.offers] == [datetime.fromisoformat("2026-11-23T10:15:00+02:00")]


def test_a_client_gets_at_most_n_offers_a_day(client, aws):
    from chalicelib.services.waitlist.refill import time_freed
    from chalicelib.store import businesses

    set_config(aws, waitlist__offers_per_day=2)
    b = businesses.get_by_id(aws.id)
    assert b is not None
    join(client, first="2026-11-25", last="2026-11-25", **LIISA)
    offered = 0
    for hour in (10, 12, 14):
        start = datetime.fromisoformat(f"2026-11-25T{hour}:00:00+02:00")
        offered += time_freed(b, "aino", start, start + timedelta(minutes=70)).offered
    assert offered == 2
    assert len(_offer_links()) == 2


@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
def test_the_offer_sms_fits_one_segment_with_long_names(locale):
    from chalicelib.notify import gsm, render

    url = "https://book.example.test/o/o.abcdefghijkl.0123456789abcdef0123.zzzzzz.ABCDEFGHIJKLMNOPQRSTUV"
    context: dict[str, object] = {
        "business": {
            "name": "Kauneushoitola ja Parturi-Kampaamo Aurinkoinen Iltapäivä Oy",
            "timezone": "Europe/Helsinki",
            # From its sender name (from a bare number the name stays, two segments: tests/notify/test_render.py).
            "sms_sender": "Aurinkoinen",
        },
        "client": {"name": "Maria-Kristiina Johanna Vähä-Kangasniemi"},
        "service": {"name": "Hiusten värjäys ja raidat pitkiin hiuksiin, sis. leikkauksen"},
        "staff": {"name": "Anna-Liisa Kuusimäki-Heikkilä"},
        "start": "2026-11-25T13:00:00+02:00",
        "end": "2026-11-25T14:00:00+02:00",
        "offer_url": url,
        "offer_expires": "2026-11-25T11:00:00+02:00",
    }
    sms = render.render("waitlist_offer", locale, context).sms
    assert gsm.gsm7_length(sms) <= gsm.SMS_UNITS, sms
    assert sms.endswith(url)  # the link whole: book or leave from its page
    assert "13" in sms


@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
def test_a_typical_offer_with_a_deposit_is_one_sms_segment_with_every_fact(locale):
    """A 20-character salon, a 15-character service, its day and time, a 40-character link
    and a 25,00 € deposit: one 160-unit GSM-7 segment with all of it (the deposit's line
    made the Finnish and the English too long, and the service's name was dropped)."""
    from chalicelib.notify import gsm, render
    from chalicelib.notify.localtime import format_local, format_price

    url = "https://varaa.example.fi/o/" + "x" * 13
    salon, service, start = "Kauneushoitola Aurin", "Raidat folioill", "2026-11-25T13:00:00+02:00"
    assert (len(salon), len(service), len(url)) == (20, 15, 40)
    context: dict[str, object] = {
        "business": {"name": salon, "timezone": "Europe/Helsinki"},
        "client": {"name": None},
        "service": {"name": service},
        "staff": {"name": None},
        "start": start,
        "end": "2026-11-25T14:00:00+02:00",
        "offer_url": url,
        "offer_expires": "2026-11-25T11:00:00+02:00",
        "payment": {"kind": "deposit", "amount_cents": 2500},
    }
    sms = render.render("waitlist_offer", locale, context).sms
    assert gsm.is_gsm7(sms) and gsm.gsm7_length(sms) <= gsm.SMS_UNITS, (gsm.gsm7_length(sms), sms)
    for fact in (salon, service, format_local(start, locale), format_price(2500, locale)):
        assert gsm.to_gsm7(fact) in sms, (fact, sms)
    assert sms.endswith(url)


OFFER_PAYMENT_WORDS = {
    ("fi", "deposit"): ("Ajan vahvistamiseksi pyydetään ennakkomaksu 47,70\u00a0€.", "Ennakko 47,70 €."),
    ("fi", "prepay"): (
        "Ajan vahvistamiseksi pyydetään koko hinta, 47,70\u00a0€, etukäteen.",
        "Maksu etukäteen 47,70 €.",
    ),
    ("fi", "card_on_file"): ("pyydetään kortin tallennus; nyt ei veloiteta mitään.", "Vaatii kortin."),
    ("sv", "deposit"): ("En handpenning på 47,70\u00a0€ tas ut för att bekräfta bokningen.", "Handpenning 47,70 €."),
    ("sv", "prepay"): ("Hela priset, 47,70\u00a0€, betalas i förväg", "Förskott 47,70 €."),
    ("sv", "card_on_file"): ("Ett kort sparas för att bekräfta bokningen; inget debiteras nu.", "Kort krävs."),
    ("en", "deposit"): ("A deposit of €47.70 is asked to confirm the booking.", "Deposit €47.70."),
    ("en", "prepay"): ("The full price, €47.70, is paid in advance to confirm the booking.", "Prepayment €47.70."),
    ("en", "card_on_file"): ("A card is saved to confirm the booking; nothing is charged now.", "Card required."),
}
ONE_TAP = {"fi": "yhdellä napautuksella", "sv": "med ett tryck", "en": "in one tap"}


@pytest.mark.parametrize(("locale", "kind"), sorted(OFFER_PAYMENT_WORDS))
def test_the_offer_of_a_service_that_takes_payment_says_what_confirming_it_asks(locale, kind):
    """Before, every offer said "book it in one tap", deposit or not: the 47,70 € came as a
    surprise on the pay page. The SMS keeps the facts and the link whole (two segments
    when they must)."""
    from chalicelib.notify import gsm, render

    url = "https://book.example.test/o/o.abcdefghijkl.0123456789abcdef0123.zzzzzz.ABCDEFGHIJKLMNOPQRSTUV"
    context: dict[str, object] = {
        "business": {"name": "Kauneushoitola Aurinkoinen Iltapäivä Oy", "timezone": "Europe/Helsinki"},
        "client": {"name": "Maria-Kristiina Vähä-Kangasniemi"},
        "service": {"name": "Raidat folioilla"},
        "staff": {"name": "Aino"},
        "start": "2026-11-25T13:00:00+02:00",
        "end": "2026-11-25T15:30:00+02:00",
        "offer_url": url,
        "offer_expires": "2026-11-25T11:00:00+02:00",
        "payment": {"kind": kind, "amount_cents": 4770},
    }
    said, short = OFFER_PAYMENT_WORDS[(locale, kind)]
    done = render.render("waitlist_offer", locale, context)
    assert said in done.text and said in done.html.replace("&nbsp;", "\u00a0"), done.text
    assert ONE_TAP[locale] not in done.text
    assert gsm.to_gsm7(short) in done.sms and done.sms.endswith(url), done.sms
    assert gsm.gsm7_length(done.sms) <= 2 * 153
    without = render.render("waitlist_offer", locale, {**context, "payment": None})
    assert ONE_TAP[locale] in without.text and gsm.to_gsm7(short) not in without.sms


def test_an_expired_offer_is_not_sent_and_its_link_is_gone(client, aws, frozen_now):
    from chalicelib.services.waitlist.refill import time_freed

    join(client, first="2026-11-25", last="2026-11-25", **LIISA)
    start = datetime.fromisoformat("2026-11-25T13:00:00+02:00")
    [offer] = time_freed(aws, "aino", start, start + timedelta(minutes=70)).offers
    from chalicelib import links
    from chalicelib.store import outbox

    frozen_now["now"] = offer.expires_at + timedelta(minutes=1)
    drain_outbox()
    assert _offer_links() == []
    message = outbox.get_message(aws.id, f"{offer.id}#offer#sms")
    assert message is not None
    assert (message.status, message.last_error) == ("skipped", "offer_expired")
    status, body = get(client, f"/api/v1/offers/{links.offer_token(aws.id, offer.id, offer.expires_at)}")
    assert status == 410 and body["error"]["code"] == "token_expired"


def test_removed_time_off_is_offered_on_the_days_someone_waits(client, aws):
    from tests.admin.helpers import Desk

    desk = Desk(client, aws.id)
    status, block = desk.post("/time-off", {"staff": "aino", "start": "2026-11-25T13:00", "end": "2026-11-25T15:00"})
    assert status == 201, block
    join(client, first="2026-11-25", last="2026-11-25", **LIISA)
    assert desk.delete(f"/time-off/{block['id']}")[0] == 204
    [link] = _offer_links()
    assert get(client, f"/api/v1/offers/{link}")[1]["start"] == WED_13


def test_added_working_hours_are_offered_on_the_days_someone_waits(client, aws):
    from tests.admin.helpers import Desk

    desk = Desk(client, aws.id)
    join(client, first="2026-11-25", last="2026-11-25", staff="aino", **LIISA)
    status, body = desk.get("/settings")
    staff = body["sections"]["staff"]
    aino = next(m for m in staff if m["id"] == "aino")
    assert aino["hours"]["wed"] == [["11:00", "20:00"]]
    aino["hours"]["wed"] = [["09:00", "20:00"]]  # Wednesdays now open at nine
    assert desk.put("/settings/staff", staff)[0] == 200
    [link] = _offer_links()
    assert get(client, f"/api/v1/offers/{link}")[1]["start"] == "2026-11-25T09:00:00+02:00"
    # Saved again unchanged: nothing new opened, nothing offered again.
    assert desk.put("/settings/staff", staff)[0] == 200
    assert len(_offer_links()) == 1


def test_shortened_time_off_offers_the_time_it_no_longer_covers(client, aws):
    from tests.admin.helpers import Desk

    desk = Desk(client, aws.id)
    status, block = desk.post("/time-off", {"staff": "aino", "start": "2026-11-25T13:00", "end": "2026-11-25T17:00"})
    assert status == 201, block
    join(client, first="2026-11-25", last="2026-11-25", staff="aino", **LIISA)
    status, edited = desk.put(
        f"/time-off/{block['id']}", {"staff": "aino", "start": "2026-11-25T15:00", "end": "2026-11-25T17:00"}
    )
    assert status == 200, edited
    assert edited["start"] == "2026-11-25T15:00:00+02:00"
    [link] = _offer_links()
    assert get(client, f"/api/v1/offers/{link}")[1]["start"] == WED_13  # 13-15 is free again
    # The old block is gone, the new one still holds 15-17.
    blocks = desk.get("/time-off?from=2026-11-25&to=2026-11-25")[1]["time_off"]
    assert [(x["id"], x["start"]) for x in blocks] == [(edited["id"], "2026-11-25T15:00:00+02:00")]
