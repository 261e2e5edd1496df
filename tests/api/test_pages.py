"""The server-rendered pages a client reaches from a link: book, manage, cancel, move."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from tests.api.helpers import BOOKING_VIEW, book, count_by_prefix, follow, get, open_link, post, table_items, token_of

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def page(client, path, headers=None):
    r = open_link(client, path, headers)
    return r.status_code, r.body.decode()


def form_post(client, path, data):
    r = client.http.post(path, body=urlencode(data), headers=FORM)
    return r.status_code, r.body.decode(), r.headers


def followed(client, headers):
    r = follow(client, headers)
    return r.status_code, r.body.decode()


def test_the_client_pages_ask_for_https_and_no_sniffing_and_only_the_widgets_are_framed(client):
    import re

    from tests.conftest import emails_to

    for path in ("/book/demo", "/book/demo/waitlist?service=womens-cut"):
        r = client.http.get(path)
        assert r.status_code == 200, path
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000"), path
        assert "frame-ancestors *" in r.headers["Content-Security-Policy"], path  # in a salon's own site
    # Her stamp card opens from a message only: no site may frame it (a tap under a decoy).
    assert book(client, "2026-11-25T12:00:00+02:00")[0] == 201
    [card] = re.findall(r"https?://[^/\s]+(/l/[A-Za-z0-9._-]+)", emails_to("maija@example.com")[0])[:1]
    r = open_link(client, card)
    assert r.status_code == 200 and "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def test_the_page_after_booking_says_where_the_confirmation_went_half_hidden(client, aws):
    """A client's walk: "Varaus vahvistettu!" and nothing of where its message went, so a
    mistyped address showed only as a confirmation that never came. The page says where,
    half hidden (whoever holds the link may read it), in her language; an SMS the salon
    does not send (a number of a country it does not text) is not claimed."""
    from tests.conftest import drain_outbox

    details = {**DETAILS, "lang": "fi", "phone": "040 123 4567", "email": "eeva@exmaple.com"}
    status, _, headers = form_post(client, "/book/demo", details)
    assert status == 303, headers
    html = followed(client, headers)[1]
    sent = re.search(r'<p id="sent-to">(.*?)</p>', html, re.S)
    assert sent, html
    assert sent[1] == (
        "Vahvistus lähti sähköpostiin e\u2022\u2022\u2022@exmaple.com ja tekstiviestinä numeroon, joka päättyy 67."
    )
    assert "eeva@" not in html and "4567" not in html
    # Once its plan is expanded into the outbox (conftest drain_outbox): the same, from the
    # messages themselves, in the language she switches to.
    drain_outbox()
    sv = follow(client, {**headers, "Location": headers["Location"].split("?")[0] + "?lang=sv"}).body.decode()
    assert "Bekräftelsen skickades till e-postadressen e\u2022\u2022\u2022@exmaple.com och som sms" in sv, sv

    abroad = {**details, "start": "2026-11-25T13:00:00+02:00", "phone": "+1 202 555 0143", "lang": "en"}
    abroad["email"] = "eeva@example.com"
    status, _, headers = form_post(client, "/book/demo", abroad)
    html = followed(client, headers)[1]
    assert re.search(r'<p id="sent-to">We sent the confirmation to e\u2022\u2022\u2022@example\.com\.</p>', html), html


def test_the_plan_expanded_between_the_pages_two_reads_still_says_where_it_went(client, aws, monkeypatch):
    """The page read the outbox (nothing yet), then the plan (expanded meanwhile by the
    sender: gone) and said nothing of where the confirmation went (a fresh make test's
    browser run caught it). A plan gone means its messages are there: read again."""

    from chalicelib.store import outbox
    from tests.conftest import drain_outbox

    details = {**DETAILS, "lang": "fi", "phone": "040 123 4567", "email": "eeva@example.com"}
    status, _, headers = form_post(client, "/book/demo", details)
    assert status == 303, headers
    read_plan = outbox.waiting_plan

    def expanded_meanwhile(business_id, appointment_id):
        drain_outbox()  # the sender expands it between the page's two reads
        return read_plan(business_id, appointment_id)

    real_get = outbox.get_messages
    calls = []

    def get_messages(business_id, wanted):
        calls.append(wanted)
        return {} if len(calls) == 1 else real_get(business_id, wanted)  # the first read: before it

    monkeypatch.setattr(outbox, "waiting_plan", expanded_meanwhile)
    monkeypatch.setattr(outbox, "get_messages", get_messages)
    html = followed(client, headers)[1]
    sent = re.search(r'<p id="sent-to">(.*?)</p>', html, re.S)
    assert sent and sent[1].startswith("Vahvistus lähti sähköpostiin e•••@example.com"), html
    assert len(calls) == 2  # read again, once


def test_a_swedish_number_typed_without_its_country_code_is_not_texted(client, aws):
    """A client's walk: "070-123 45 67" on a Finnish salon's page in Swedish is a valid
    Finnish service number (+358 70…, no mobile's), and her confirmation, its link to move
    or cancel the booking in it, was texted there. Only a mobile's number is texted: with
    an email she is booked and told by email alone; with the number alone she is asked
    for an email, on the field."""
    from tests.conftest import drain_outbox, sent_sms

    details = {**DETAILS, "lang": "sv", "phone": "070-123 45 67", "email": "anna@example.com"}
    status, _, headers = form_post(client, "/book/demo", details)
    assert status == 303, headers
    html = followed(client, headers)[1]
    assert '<p id="sent-to">Bekräftelsen skickades till e-postadressen a\u2022\u2022\u2022@example.com.</p>' in html
    drain_outbox()
    assert not [n for n, *_ in sent_sms() if n == "+358701234567"]

    alone = {**details, "start": "2026-11-25T13:00:00+02:00", "email": ""}
    status, html, _ = form_post(client, "/book/demo", alone)
    assert status == 422 and 'aria-invalid="true"' in _input(html, "phone"), html[:300]
    assert "Vi kan inte skicka sms till det här numret" in html


def test_an_address_one_slip_from_a_common_mail_domain_is_asked_about_before_booking(client, aws):
    """A client's walk: "anna.karin@gmial.com" was booked as typed, and her confirmation and
    its link went nowhere. The details step asks, one tap either way, booking nothing first."""
    typed = {**DETAILS, "lang": "fi", "phone": "040 123 4567", "email": "eeva@gmial.com"}
    status, html, _ = form_post(client, "/book/demo", typed)
    assert status == 200 and count_by_prefix(table_items(), "APPT#") == 0
    check = re.search(r'<div class="card" id="email-check" role="alert">(.*?)</div>', html, re.S)
    assert check, html
    assert "Tarkoititko eeva@gmail.com?" in check[1]
    assert 'name="email_use" value="eeva@gmail.com">Kyllä, käytä osoitetta eeva@gmail.com</button>' in check[1]
    assert 'name="email_checked" value="eeva@gmial.com">Ei, eeva@gmial.com on oikein</button>' in check[1]
    assert 'value="Eeva Esimerkki"' in _input(html, "name")  # what she typed, kept

    # "Yes": booked to the address she meant.
    [key] = re.findall(r'name="idempotency_key" value="([^"]+)"', html)
    status, _, headers = form_post(
        client, "/book/demo", {**typed, "idempotency_key": key, "email_use": "eeva@gmail.com"}
    )
    assert status == 303, headers
    booked = followed(client, headers)[1]
    assert "Vahvistus lähti sähköpostiin e\u2022\u2022\u2022@gmail.com" in booked

    # "No, it is right": booked as typed; a right address is never asked about.
    other = {**typed, "start": "2026-11-25T13:00:00+02:00", "phone": "040 765 4321", "email": "liisa@gmial.com"}
    status, _, headers = form_post(client, "/book/demo", {**other, "email_checked": "liisa@gmial.com"})
    assert status == 303
    assert "Vahvistus lähti sähköpostiin l\u2022\u2022\u2022@gmial.com" in followed(client, headers)[1]
    right = {**typed, "start": "2026-11-25T16:00:00+02:00", "phone": "040 888 8888", "email": "maija@gmail.com"}
    assert form_post(client, "/book/demo", right)[0] == 303


def test_the_booked_page_opened_again_after_a_cancellation_says_cancelled_not_confirmed(client):
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    before = client.http.get(f"/m/{token}/booked?lang=fi").body.decode()
    assert "Varaus vahvistettu" in before and "calendar.ics" in before
    assert post(client, f"/api/v1/bookings/{token}/cancel", {})[0] == 200
    after = client.http.get(f"/m/{token}/booked?lang=fi").body.decode()
    assert "Varaus vahvistettu" not in after and "calendar.ics" not in after and 'id="booked-mark"' not in after
    assert "Tila: Peruttu" in after and f"/m/{token}" in after  # what it is now, and its page
    # In any of her languages, at the same address (the frame of a salon's site kept).
    switch = re.findall(
        r'<nav class="lang"[^>]*>(.*?)</nav>', client.http.get(f"/m/{token}/booked?embed=1").body.decode(), re.S
    )
    assert switch and f'/m/{token}/booked?embed=1&amp;lang=sv"' in switch[0], switch


def test_booking_page_walks_service_time_details(client):
    status, html = page(client, "/book/demo", {"Accept-Language": "en-GB,en;q=0.8"})
    assert status == 200 and "Choose a service" in html and "Women&#39;s haircut" in html
    status, html = page(client, "/book/demo?service=womens-cut&date=2026-11-25&lang=fi")
    assert status == 200 and "Aino Virtanen" in html and ">11.00<" in html
    status, html = page(
        client, "/book/demo?service=womens-cut&date=2026-11-25&staff=aino&start=2026-11-25T11:00:00%2B02:00&lang=fi"
    )
    assert status == 200 and 'name="name"' in html and "ke 25.11. klo\u00a011.00" in html


@pytest.mark.parametrize(
    "start",
    [
        "banana",
        "2026-11-25T25:00:00%2B02:00",
        "2026-11-25T11:00:00 02:00",
        "2026-11-25T11:00",
        "9999-12-31T23:00:00%2B00:00",  # a fuzzer's: the calendar's end, overflowing in a zone
        "0001-01-01T00:30:00%2B02:00",
    ],
)
def test_a_mangled_time_in_a_booking_link_asks_her_to_choose_one(client, start):
    """A link cut short or mangled on its way (Instagram, a copy-paste; '+' read as a
    space): the page of times with a word on it, never a 500 or a form for no time."""
    status, html = page(client, f"/book/demo?service=womens-cut&date=2026-11-25&staff=aino&start={start}&lang=fi")
    assert status == 200, html[:300]
    assert "Linkin aika ei ole kelvollinen" in html and 'name="name"' not in html
    assert ">11.00<" in html  # the day's times to choose from


@pytest.mark.parametrize(
    "start",
    [
        "2026-11-20T11:00:00%2B02:00",  # gone (now is Mon 23.11. 10.00)
        "2026-11-23T09:00:00%2B02:00",  # earlier today
        "2026-11-25T11:07:00%2B02:00",  # off the grid
        "2027-06-02T11:00:00%2B03:00",  # past the booking horizon
        "2026-11-25T12:00:00%2B02:00",  # taken
    ],
)
def test_a_link_to_a_time_not_offered_shows_the_days_times_not_the_form(client, start):
    # Walk report #12: the whole form, with "starts in under 48 hours" for a past time,
    # and the refusal only after she had typed and sent it.
    book(client, "2026-11-25T12:00:00+02:00", staff="aino")
    status, html = page(client, f"/book/demo?service=womens-cut&staff=aino&start={start}&lang=fi")
    assert status == 200, html[:300]
    assert "Linkin aikaa ei voi varata" in html and 'name="name"' not in html and 'id="policy"' not in html
    assert 'class="slots"' in html  # the times to choose from


def test_a_link_to_an_offered_time_opens_its_own_day_and_the_form(client):
    status, html = page(client, "/book/demo?service=womens-cut&staff=aino&start=2026-11-27T11:00:00%2B02:00&lang=fi")
    assert status == 200 and 'name="name"' in html and "pe 27.11. klo\u00a011.00" in html
    assert "Linkin aikaa" not in html


def test_booking_from_the_page_form(client):
    status, html, headers = form_post(
        client,
        "/book/demo",
        {
            "service": "womens-cut",
            "staff": "aino",
            "start": "2026-11-25T11:00:00+02:00",
            "lang": "en",
            "name": "Eve Example",
            "phone": "040 123 4567",
            "email": "",
            "marketing": "yes",
        },
    )
    assert status == 303 and html == ""
    # Her confirmation at the visit's own address, the manage token in the cookie (link_pages.py).
    [token] = re.findall(r"^link=([\w.\-]+);", headers["Set-Cookie"])
    assert (
        headers["Location"] == f"/m/{'.'.join(token.split('.')[:3])}/booked?lang=en"
        and "HttpOnly" in headers["Set-Cookie"]
    )
    status, html = followed(client, headers)
    assert status == 200 and "Your booking is confirmed" in html and f"/m/{token}" in html
    assert page(client, headers["Location"])[0] == 403  # not hers elsewhere
    assert count_by_prefix(table_items(), "APPT#") == 1


def _form_key(html: str) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert match, "the booking form carries no idempotency key"
    return match.group(1)


def test_a_double_submit_or_a_reload_gets_the_same_booking_not_someone_else_booked(client):
    # Issue 17 (1): the second POST of one form used to say "someone booked this time".
    start = "2026-11-25T11:00:00+02:00"
    _, form_page = page(client, f"/book/demo?service=womens-cut&staff=aino&start={start.replace('+', '%2B')}&lang=en")
    fields = {
        "idempotency_key": _form_key(form_page),
        "service": "womens-cut",
        "staff": "aino",
        "start": start,
        "lang": "en",
        "name": "Eve Example",
        "phone": "040 123 4567",
        "email": "eve@example.com",
    }
    first = form_post(client, "/book/demo", fields)
    second = form_post(client, "/book/demo", fields)  # the double tap, or the browser resending the POST
    assert first[0] == second[0] == 303
    assert first[2]["Location"] == second[2]["Location"] and "/booked" in first[2]["Location"]
    assert count_by_prefix(table_items(), "APPT#") == 1
    for _ in range(2):  # the confirmation is a GET page: reloading it shows it again
        status, html = followed(client, first[2])
        assert status == 200 and "Your booking is confirmed" in html and "Eve" not in html.split("<main>")[0]
    # The form a page renders is new each time: another booking needs another key.
    other = start.replace("11:00", "13:00").replace("+", "%2B")  # hers is taken now: not offered again
    _, again = page(client, f"/book/demo?service=womens-cut&staff=aino&start={other}&lang=en")
    assert _form_key(again) != fields["idempotency_key"]


def test_booking_form_errors_are_shown_and_nothing_written(client):
    status, html, _ = form_post(
        client,
        "/book/demo",
        {
            "service": "womens-cut",
            "staff": "aino",
            "start": "2026-11-25T11:00:00+02:00",
            "lang": "en",
            "name": "Eve",
            "phone": "",
            "email": "",
        },
    )
    assert status == 422 and "phone number or an email" in html
    assert count_by_prefix(table_items(), "APPT#") == 0


def test_an_oversized_form_is_refused_whole_not_cut_short(client):
    # A form over the limit would once be cut at 16 KB and booked with what was left.
    fields = {
        "service": "womens-cut",
        "staff": "aino",
        "start": "2026-11-25T11:00:00+02:00",
        "lang": "en",
        "name": "Eve Example",
        "phone": "040 123 4567",
        "email": "",
        "note": "x" * 20000,
    }
    r = client.http.post("/book/demo", body=urlencode(fields), headers={**FORM, "Accept-Language": "en"})
    status, html = r.status_code, r.body.decode()
    assert status == 413 and "at most 16384 bytes" in html
    assert count_by_prefix(table_items(), "APPT#") == 0


def test_manage_page_get_changes_nothing_then_cancel_by_post(client):
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    for _ in range(3):  # a link scanner opening the page many times
        status, html = page(client, f"/m/{token}")
        assert status == 200 and "Peru varaus" in html
    assert get(client, f"/api/v1/bookings/{token}")[1]["status"] == "booked"
    status, _, headers = form_post(client, f"/m/{token}/cancel", {"reason": "", "lang": "fi"})
    assert status == 303 and headers["Location"].startswith(f"/m/{token}?done=cancelled")
    status, html = page(client, f"/m/{token}?done=cancelled")
    assert "Varaus on peruttu" in html and "/book/demo?service=womens-cut" in html


def test_the_manage_page_after_the_visit_leads_on_to_her_next(client, frozen_now):
    from tests.history import at, run_on_schedule

    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    run_on_schedule("visits_ended", "2026-11-25T13:15:00+02:00")
    frozen_now["now"] = at("2026-11-25T13:20:00+02:00")
    status, html = page(client, f"/m/{token}")
    assert status == 200 and "Käynti toteutui" in html, html
    assert "Varaa seuraava aikasi" in html and "/book/demo?service=womens-cut" in html


def test_manage_page_reschedule_by_post(client):
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    status, _, _ = form_post(client, f"/m/{token}/reschedule", {"start": "2026-11-25T16:00:00+02:00"})
    assert status == 303
    assert get(client, f"/api/v1/bookings/{token}")[1]["start"] == "2026-11-25T16:00:00+02:00"


def test_a_time_tapped_on_the_manage_page_is_asked_about_before_anything_moves(client):
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    status, html = page(client, f"/m/{token}?date=2026-11-25")
    assert status == 200 and 'name="start"' not in html  # the times are links, not posts
    status, html = page(client, f"/m/{token}?date=2026-11-25&start=2026-11-25T16:00:00%2B02:00")
    assert status == 200 and "Siirretäänkö varaus?" in html
    assert 'name="start" value="2026-11-25T16:00:00+02:00"' in html and 'aria-current="true"' in html
    assert get(client, f"/api/v1/bookings/{token}")[1]["start"] == "2026-11-25T12:00:00+02:00"  # nothing moved
    # A time that is not free (or not a time) asks nothing.
    status, html = page(client, f"/m/{token}?date=2026-11-25&start=2026-11-25T03:00:00%2B02:00")
    assert status == 200 and "Siirretäänkö varaus?" not in html


def test_she_can_move_her_booking_into_time_overlapping_its_own(client):
    # Half an hour later the same day: the time overlaps her own booking, which is hers to
    # move into (a new client is not offered it); her current time is not offered back.
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    _, html = page(client, f"/m/{token}?date=2026-11-25")
    assert ">12.30<" in html and ">12.15<" in html and ">11.30<" in html
    assert ">12.00<" not in html
    _, other = page(client, "/book/demo?service=womens-cut&date=2026-11-25&staff=aino&lang=fi")
    assert ">12.30<" not in other and ">11.30<" not in other
    status, _, _ = form_post(client, f"/m/{token}/reschedule", {"start": "2026-11-25T12:30:00+02:00"})
    assert status == 303
    assert get(client, f"/api/v1/bookings/{token}")[1]["start"] == "2026-11-25T12:30:00+02:00"
    # Its old time is free again where the new one does not cover it, and the new one is taken.
    _, other = page(client, "/book/demo?service=womens-cut&date=2026-11-25&staff=aino&lang=fi")
    assert ">11.00<" in other and ">12.00<" not in other and ">13.30<" not in other


def test_a_booking_made_with_anyone_moves_to_whoever_is_free_then(client):
    """A client's walk: booked with "anyone" she was given Aino, and her move offered only
    Aino's times. Her move offers anyone's (Sanna's 9.00, before Aino's day begins) and
    goes to whoever is free then; a booking with a chosen stylist keeps to her."""
    _, anyone = book(client, "2026-11-25T12:00:00+02:00", staff=None)
    token = token_of(anyone["manage_url"])
    given = get(client, f"/api/v1/bookings/{token}")[1]["staff"]["id"]
    other = {"aino": "sanna", "sanna": "aino"}[given]
    _, html = page(client, f"/m/{token}?date=2026-11-25")
    assert ">9.00<" in html or ">09.00<" in html, html  # Sanna works from 9, Aino from 11
    # Asked about a time, she reads that the stylist may change with it (a re-check walk).
    _, asked = page(client, f"/m/{token}?date=2026-11-25&start=2026-11-25T14:00:00%2B02:00")
    assert "uusi aika menee sille, joka on silloin vapaana" in asked, asked
    # Her stylist taken at 15.00: the move goes to the other one, free then.
    assert book(client, "2026-11-25T15:00:00+02:00", staff=given, name="B", phone="040 111 2222", email=None)[0] == 201
    status, _, _ = form_post(client, f"/m/{token}/reschedule", {"start": "2026-11-25T15:00:00+02:00"})
    assert status == 303
    moved = get(client, f"/api/v1/bookings/{token}")[1]
    assert (moved["start"], moved["staff"]["id"]) == ("2026-11-25T15:00:00+02:00", other), moved
    # Free at the new time, her own stylist is kept.
    status, _, _ = form_post(client, f"/m/{token}/reschedule", {"start": "2026-11-25T13:30:00+02:00"})
    assert status == 303 and get(client, f"/api/v1/bookings/{token}")[1]["staff"]["id"] == other
    # A stylist she chose: only hers.
    _, chosen = book(client, "2026-11-26T14:00:00+02:00", staff="aino", name="C", phone="040 111 3333", email=None)
    _, html = page(client, f"/m/{token_of(chosen['manage_url'])}?date=2026-11-25")
    assert ">9.00<" not in html and ">09.00<" not in html
    _, asked = page(client, f"/m/{token_of(chosen['manage_url'])}?date=2026-11-25&start=2026-11-25T16:30:00%2B02:00")
    assert "Siirretäänkö varaus?" in asked and "uusi aika menee sille" not in asked


@pytest.mark.parametrize("staff", ["import", "mikko"])  # an imported visit's unknown stylist; one who does not do it
def test_a_link_naming_a_stylist_who_does_not_do_the_service_shows_anyones_times(client, staff):
    status, html = page(client, f"/book/demo?service=womens-cut&date=2026-11-25&staff={staff}&lang=fi")
    assert status == 200 and "Tämä tekijä ei tee" not in html
    assert ">11.00<" in html  # a time of the day, anyone's
    assert f"staff={staff}" not in html  # the day and time links leave the stylist open


def test_the_manage_page_names_her_service_in_the_language_it_is_read_in(client):
    _, booked = book(client, "2026-11-25T12:00:00+02:00")  # booked in Finnish
    token = token_of(booked["manage_url"])
    _, html = page(client, f"/m/{token}?lang=en")
    assert "Women&#39;s haircut" in html or "Women's haircut" in html
    assert "Naisten hiustenleikkaus" not in html
    _, html = page(client, f"/m/{token}?lang=sv")
    assert "Damklippning" in html


def test_bad_link_gets_a_clear_4xx_page(client):
    status, html = page(client, "/m/not-a-token", {"Accept-Language": "sv"})
    assert status == 404 and "Fel" in html


DETAILS = {
    "service": "womens-cut",
    "staff": "aino",
    "start": "2026-11-25T11:00:00+02:00",
    "name": "Eeva Esimerkki",
    "note": "Pitkät hiukset",
    "marketing": "yes",
}


def _input(html: str, name: str) -> str:
    match = re.search(rf"<(?:input|textarea)[^>]*\bname=\"{name}\"[^>]*>", html)
    assert match, f"no input {name}"
    return match.group(0)


def test_form_errors_are_in_her_language_next_to_the_field_and_keep_what_she_typed(client):
    # Issue 17 (3): English messages, the field unmarked and the consent box unticked.
    status, html, _ = form_post(client, "/book/demo", {**DETAILS, "lang": "fi", "phone": "", "email": ""})
    assert status == 422
    assert "The booking has errors" not in html and "give a phone number" not in html
    assert "Tarkista merkityt kentät." in html
    assert 'id="phone-error">Anna puhelinnumero tai sähköposti (tai molemmat).' in html
    phone = _input(html, "phone")
    assert 'aria-invalid="true"' in phone and "phone-error" in phone
    assert 'value="Eeva Esimerkki"' in _input(html, "name") and "Pitkät hiukset" in html
    assert "aria-invalid" not in _input(html, "name")
    assert re.search(r'name="marketing" value="yes"\s*checked', html), "the consent she ticked is kept"
    assert 'id="policy"' in html, "the cancellation policy stays beside the form"

    status, html, _ = form_post(client, "/book/demo", {**DETAILS, "lang": "sv", "phone": "12", "email": "x@"})
    assert status == 422 and "not a valid" not in html
    assert (
        'id="phone-error">Kontrollera telefonnumret' in html and 'id="email-error">Kontrollera e-postadressen' in html
    )
    assert 'value="12"' in _input(html, "phone") and 'aria-invalid="true"' in _input(html, "email")
    # An example of the salon's own country, and how a number from abroad is written (a
    # client's walk: a British number refused with only a Finnish example).
    assert "t.ex. 041 2345678 (ett utländskt nummer med landsnummer, +44 …)." in html
    # A client's walk: the summary said only "check the marked fields"; each is now a link
    # to its field, in the form's order.
    summary = re.search(r'id="form-error">(.*?)</div>', html, re.S)
    assert summary and re.findall(r'<a href="#(\w+)">([^<]+)</a>', summary[1]) == [
        ("phone", "Telefon"),
        ("email", "E-post"),
    ], summary

    status, html, _ = form_post(
        client, "/book/demo", {**DETAILS, "lang": "fi", "staff": "mikko", "phone": "040 123 4567"}
    )
    assert status == 422 and "does not offer" not in html and "Tämä tekijä ei tee valittua palvelua" in html


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("", "Välj en tjänst som erbjuds här."),
        ("service=womens-cut", "Den här tiden kan inte bokas."),
        ("service=womens-cut&staff=aino", "Den här tiden kan inte bokas."),
        ("service=womens-cut&start=bogus", "Den här tiden kan inte bokas."),
        ("service=nosuch&start=bogus", "Välj en tjänst som erbjuds här."),
        (b"service=womens-cut&name=\xe4&start=\xff\xfe", "Den här tiden kan inte bokas."),  # not UTF-8
    ],
)
def test_a_form_with_no_time_it_can_book_asks_for_one_in_her_language_not_a_500(client, body, words):
    # Reviewer R1: the no-JavaScript form without a usable `start` answered 500 (the form
    # again, formatting the time it did not have).
    r = client.http.post("/book/demo", body=body, headers={**FORM, "Accept-Language": "sv"})
    status, html = r.status_code, r.body.decode()
    assert status == 422 and '<html lang="sv"' in html and words in html, (status, html[:300])
    assert 'name="name"' not in html or 'type="hidden"' in _input(html, "name")  # no form for no time
    if words.startswith("Den här tiden"):  # her service known: its times
        assert "Damklippning" in html and re.search(r"date=2026-11-2\d", html)
    assert count_by_prefix(table_items(), "APPT#") == 0


def test_a_form_sent_with_a_mangled_time_keeps_what_she_typed_through_the_times(client):
    typed = {**DETAILS, "lang": "fi", "phone": "040 123 4567", "start": "2026-11-25T11:00:00 02:00"}  # '+' lost
    status, html, _ = form_post(client, "/book/demo", typed)
    assert status == 422 and "Tätä aikaa ei voi varata. Valitse toinen aika." in html
    assert 'name="name" value="Eeva Esimerkki"' in html and 'name="phone" value="040 123 4567"' in html
    assert 'name="note" value="Pitkät hiukset"' in html and 'name="marketing" value="yes"' in html
    status, html, _ = form_post(client, "/book/demo", {**typed, "pick": "2026-11-25T12:15:00+02:00 aino"})
    assert status == 200 and "ke 25.11. klo\u00a012.15" in html and 'value="Eeva Esimerkki"' in _input(html, "name")
    assert count_by_prefix(table_items(), "APPT#") == 0


def test_a_form_sent_with_an_unknown_service_and_no_time_keeps_what_she_typed(client):
    # H2: the services came back with the error, and her name, phone and email were gone.
    typed = {**DETAILS, "lang": "fi", "service": "nosuch", "start": ""}
    typed.update(phone="040 123 4567", email="eeva@example.com")
    status, html, _ = form_post(client, "/book/demo", typed)
    assert status == 422 and "Valitse palvelu, jota täällä tarjotaan." in html
    assert 'name="name" value="Eeva Esimerkki"' in html and 'name="phone" value="040 123 4567"' in html
    assert 'name="email" value="eeva@example.com"' in html and 'name="marketing" value="yes"' in html
    addresses = " ".join(re.findall(r'(?:href|action)="([^"]*)"', html))
    assert "Eeva" not in addresses and "040" not in addresses and "eeva@" not in addresses
    # A service chosen is a button of her form: its times, her fields with them.
    assert "service=womens-cut" in _choose_buttons(html)
    status, html, _ = form_post(client, "/book/demo", {**typed, "choose": "service=womens-cut"})
    assert status == 200 and "Valitse palvelu" not in html and _pick_buttons(html)
    assert 'name="service" value="womens-cut"' in html and 'name="name" value="Eeva Esimerkki"' in html
    assert count_by_prefix(table_items(), "APPT#") == 0


def test_a_name_with_control_or_text_direction_characters_is_named_in_her_language(client):
    for lang, name, says in [
        ("fi", "Eeva\u2028Esimerkki", "Kirjoita nimesi yhdelle riville"),
        ("sv", "Eeva \u202eikkremise", "Ta bort osynliga tecken"),
        ("en", "Eeva\u0007", "Write your name on one line"),
    ]:
        typed = {**DETAILS, "lang": lang, "name": name, "phone": "040 123 4567"}
        status, html, _ = form_post(client, "/book/demo", typed)
        assert status == 422 and f'id="name-error">{says}' in html, html
        assert 'aria-invalid="true"' in _input(html, "name")
    assert count_by_prefix(table_items(), "APPT#") == 0


def test_a_number_the_salon_does_not_text_and_no_email_asks_for_an_email_before_booking(client):
    """Walk report (6 Dec, evening): a US number and no email was "Varaus vahvistettu!" and
    then nothing reached her — no confirmation, no reminder, no link to change it. Asked
    for an email on her phone's field, in her language, with what she typed kept; with an
    email the booking goes (by email only), and so does the public API's, by the same rule."""
    for lang, says in [("fi", "lähetämme vahvistuksen ja muistutuksen sinne"), ("en", "send the confirmation")]:
        typed = {**DETAILS, "lang": lang, "phone": "+1 212 555 0100", "email": ""}
        status, html, _ = form_post(client, "/book/demo", typed)
        assert status == 422 and re.search(r'id="phone-error">[^<]*' + re.escape(says), html), html
        assert 'aria-invalid="true"' in _input(html, "phone") and 'value="+1 212 555 0100"' in _input(html, "phone")
    assert count_by_prefix(table_items(), "APPT#") == 0
    status, answer = book(client, "2026-11-25T11:00:00+02:00", phone="+1 212 555 0100", email=None)
    assert status == 422 and list(answer["error"]["fields"]) == ["client.phone"], answer
    status, answer = book(client, "2026-11-25T11:00:00+02:00", phone="+1 212 555 0100", email="eeva@example.com")
    assert status == 201, answer


def test_another_language_chosen_on_the_details_step_keeps_what_she_typed(client):
    """Walk report (6 Dec, evening): SV tapped on the details step opened the step in
    Swedish with her name, phone, email and note gone. The languages there are buttons of
    her form: the same step in the language chosen, what she typed in it, nothing booked
    and nothing of hers in an address."""
    status, html = page(client, "/book/demo?service=womens-cut&staff=aino&start=2026-11-25T11:00:00%2B02:00&lang=fi")
    assert status == 200 and 'name="relang" value="sv"' in html and 'form="details"' in html
    typed = {**DETAILS, "lang": "fi", "phone": "040 123 4567", "email": "eeva@example.com", "relang": "sv"}
    status, html, _ = form_post(client, "/book/demo", typed)
    assert status == 200 and '<html lang="sv"' in html and "Dina uppgifter" in html, html
    for name, value in (("name", "Eeva Esimerkki"), ("phone", "040 123 4567"), ("email", "eeva@example.com")):
        assert f'value="{value}"' in _input(html, name), name
    assert ">Pitkät hiukset</textarea>" in html
    assert 'name="start" value="2026-11-25T11:00:00+02:00"' in html
    addresses = " ".join(re.findall(r'(?:href|action)="([^"]*)"', html))
    assert "Eeva" not in addresses and "040" not in addresses
    assert count_by_prefix(table_items(), "APPT#") == 0


def _pick_buttons(html: str) -> list[str]:
    return re.findall(r'<button type="submit" form="details" formnovalidate name="pick" value="([^"]+)"', html)


def test_a_nearest_time_chosen_after_losing_a_race_keeps_what_she_typed(client):
    # Walk report #6: the nearest times were links, and the form they opened was empty.
    book(client, "2026-11-25T11:00:00+02:00", staff="aino")  # someone else was quicker
    typed = {**DETAILS, "lang": "fi", "phone": "040 123 4567", "email": "eeva@example.com"}
    status, html, _ = form_post(client, "/book/demo", typed)
    assert status == 409 and "Joku ehti varata tämän ajan" in html
    picks = _pick_buttons(html)
    assert picks and 'id="details"' in html and 'href="/book/demo?' not in html.split("Lähimmät vapaat ajat")[1][:400]
    assert all("Eeva" not in p and "040" not in p for p in picks)  # nothing of hers in a value or address
    assert "2026-11-25T11:00:00+02:00 aino" not in picks and "2026-11-25T12:15:00+02:00 aino" in picks
    # A client's walk: the summary still named the lost time and "Vahvista varaus" sent it
    # again. It is struck and said taken, and only the times above book.
    assert re.search(r"<s>ke 25\.11\. klo\u00a011\.00</s> – varattu juuri ennen sinua", html), html
    assert '<button class="primary" type="submit">Vahvista varaus</button>' not in html

    status, html, _ = form_post(client, "/book/demo", {**typed, "pick": "2026-11-25T12:15:00+02:00 aino"})
    assert status == 200 and "Joku ehti" not in html
    assert "ke 25.11. klo\u00a012.15" in html and 'value="2026-11-25T12:15:00+02:00"' in html
    assert 'value="Eeva Esimerkki"' in _input(html, "name") and 'value="040 123 4567"' in _input(html, "phone")
    assert 'value="eeva@example.com"' in _input(html, "email") and ">Pitkät hiukset</textarea>" in html
    assert re.search(r'name="marketing" value="yes"\s*checked', html)
    assert count_by_prefix(table_items(), "APPT#") == 1  # choosing a time books nothing yet
    assert '<button class="primary" type="submit">Vahvista varaus</button>' in html  # this one she may book

    status, _, headers = form_post(client, "/book/demo", {**typed, "start": "2026-11-25T12:15:00+02:00"})
    assert status == 303 and "/booked" in headers["Location"]


def _choose_buttons(html: str) -> list[str]:
    return re.findall(r'<button[^>]* form="details" formnovalidate name="choose" value="([^"]*)"', html)


def test_losing_a_race_with_no_time_near_keeps_what_she_typed_through_the_times(client, aws):
    # The "just taken" page with no nearest time had only a link to the times: what she
    # typed (name, phone, email, note, consent) was gone.
    from tests.admin.helpers import Desk

    book(client, "2026-11-25T11:00:00+02:00", staff="aino")  # someone else was quicker
    status, body = Desk(client, aws.id).post(  # and Aino is away the rest of the week
        "/time-off", {"staff": "aino", "start": "2026-11-25T12:00", "end": "2026-12-03T00:00"}
    )
    assert status == 201, body
    typed = {**DETAILS, "lang": "fi", "phone": "040 123 4567", "email": "eeva@example.com"}
    status, html, _ = form_post(client, "/book/demo", typed)
    assert status == 409 and "Joku ehti varata tämän ajan" in html and not _pick_buttons(html)
    alert = html.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "Lähipäivinä ei ole vapaita aikoja" in alert and 'href="' not in alert  # no link that drops her fields
    assert _choose_buttons(alert) == ["date=2026-11-25"] and "Valitse toinen aika" in alert

    # Back to the times with her fields: every way on is a button of a form carrying them.
    status, html, _ = form_post(client, "/book/demo", {**typed, "choose": "date=2026-11-25"})
    assert status == 200 and 'name="name" value="Eeva Esimerkki"' in html
    assert 'name="phone" value="040 123 4567"' in html and 'name="marketing" value="yes"' in html
    addresses = " ".join(re.findall(r'(?:href|action)="([^"]*)"', html))
    assert "Eeva" not in addresses and "040" not in addresses and "eeva@" not in addresses
    assert "staff=" in _choose_buttons(html) and "staff=sanna" in _choose_buttons(html)  # first available, someone else
    assert any(c.startswith("date=2026-11-2") for c in _choose_buttons(html))  # another day
    # Anyone free: the day's times are buttons of her form too.
    status, html, _ = form_post(client, "/book/demo", {**typed, "choose": "staff="})
    picks = _pick_buttons(html)
    assert status == 200 and picks and all("aino" not in p for p in picks), picks
    status, html, _ = form_post(client, "/book/demo", {**typed, "staff": "", "pick": picks[0]})
    assert status == 200 and f'name="start" value="{picks[0].split()[0]}"' in html
    assert 'value="Eeva Esimerkki"' in _input(html, "name") and 'value="eeva@example.com"' in _input(html, "email")
    assert ">Pitkät hiukset</textarea>" in html and re.search(r'name="marketing" value="yes"\s*checked', html)
    assert count_by_prefix(table_items(), "APPT#") == 1  # choosing books nothing yet


def test_error_pages_are_in_her_language(client):
    status, html = page(client, "/book/nosuch", {"Accept-Language": "sv-FI"})
    assert status == 404 and "No business called" not in html and "Företaget hittades inte" in html
    status, html = page(client, "/m/not-a-token?lang=fi")
    assert status == 404 and "not valid" not in html and "Tämä linkki ei ole voimassa." in html
    assert "tel:" not in html and "/book/" not in html  # nobody's link: no salon to name


def test_a_link_cut_short_names_its_salon_and_leads_to_its_booking_page(client):
    """A client's walk: a link cut where an SMS wrapped it (or mistyped) was a dead end,
    "Error / This link is not valid". The salon whose link it looks like is named, with
    its phone and its booking page (public facts only: the token is not trusted)."""
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    for cut in (token[:-6], token.rsplit(".", 1)[0]):
        status, html = page(client, f"/m/{cut}?lang=fi")
        assert status == 404 and "Tämä linkki ei ole voimassa." in html, cut
        assert 'href="tel:+358912345678"' in html and "Salon Aurora" in html
        assert 'href="/book/demo?lang=fi">Varaa uusi aika</a>' in html
        assert "Aino Virtanen" not in html and "12.00" not in html  # nothing of the visit
    status, html = page(client, "/book/demo?service=nosuch&date=2026-11-25&lang=en")
    assert "Choose a service" in html  # an unknown service: back to the list, nothing English-only broken


def test_rating_a_visit_before_it_took_place_says_so_in_finnish(client):
    from chalicelib import links

    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    from chalicelib.store import businesses

    b = businesses.get_by_slug("demo")
    assert b is not None
    token = links.feedback_token(b.id, booked["id"], datetime(2026, 11, 25, 11, 0, tzinfo=UTC))
    status, html = page(client, f"/f/{token}?r=5&lang=fi")
    assert status == 409 and "has not taken place" not in html and "Käyntiä ei ole vielä ollut" in html


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_services_length_keeps_its_minutes_on_its_line(client):
    # At 360 px "Foil highlights (150" sat over "min)": a number and its unit keep
    # together (a no-break space), as a price's do.
    assert "150\u00a0min · " in page(client, "/book/demo?lang=sv")[1]
    assert "150\u00a0min · " in page(client, "/book/demo/waitlist?lang=en")[1]
    start = "2026-11-25T11:00:00%2B02:00"
    html = page(client, f"/book/demo?service=highlights&staff=sanna&start={start}&lang=en")[1]
    assert "Foil highlights (150\u00a0min)" in html


def test_favicon_and_robots_are_answered_not_refused(client):
    # Issue 17 (7): both answered 403 on the local stack, a console error on every page.
    assert client.http.get("/favicon.ico").status_code in (200, 204)
    r = client.http.get("/robots.txt")
    rules = r.body.decode().splitlines()
    assert r.status_code == 200 and "Allow: /book/" in rules
    # Addresses with a link's token in them are kept out; a visit's own address is not
    # (a crawler finds only a 403 there: test_a_message_link_opens_the_page_at_the_visits_own_address).
    assert "Disallow: /m/*.*.*.*." in rules and "Disallow: /f/*.*.*.*." in rules
    assert "Disallow: /m/" not in rules and "Disallow: /u/" in rules
    assert all(f"Disallow: /{page}/" in rules for page in "hulwo")  # the other link pages


def test_a_message_link_opens_the_page_at_the_visits_own_address(client):
    # Issue 17 (11): the link's token moves from the address bar into a cookie for the
    # visit's own address, where her page is served to her browser alone.
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    r = client.http.get(f"/m/{token}?lang=en&done=moved")
    address = "/m/" + ".".join(token.split(".")[:3])
    assert r.status_code == 303 and r.headers["Location"] == address + "?lang=en&done=moved"
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith(f"link={token}; Path={address}; Max-Age=") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and r.headers["X-Robots-Tag"] == "noindex"
    assert token not in r.headers["Location"]
    mine = client.http.get(r.headers["Location"], headers={"Cookie": f"link={token}"})
    html = mine.body.decode()
    assert mine.status_code == 200 and "Your booking was moved" in html and "Aino Virtanen" in html
    assert "noindex" not in html and "noindex" not in str(mine.headers)
    assert f'action="/m/{token}/cancel"' not in html and f'href="{address}?lang=en&amp;cancel=1#cancel"' in html
    # Without the cookie (a crawler, another device) or with another visit's: nothing of hers.
    _, other = book(client, "2026-11-25T15:00:00+02:00")
    theirs = f"link={token_of(other['manage_url'])}"
    for headers in ({}, {"Cookie": theirs}, {"Cookie": 'link="x;'}):
        status, html = page(client, address + "?lang=fi", headers)
        assert status == 403 and "Avaa tämä sivu viestisi" in html and "Aino Virtanen" not in html
        assert 'href="tel:+358912345678"' in html  # whom to call, from another device
        assert "<h1>Avaa linkki viestistäsi</h1>" in html  # what to do, not "Virhe" (a client's walk)
    # Hers found among other cookies of the domain, even malformed ones before it.
    mixed = f'consent={{"ads":false}}; {theirs}; _ga=GA1.2.3; link={token}'
    assert client.http.get(address, headers={"Cookie": mixed}).status_code == 200
    # An address of no business: the same 403, Rebook's.
    status, html = page(client, "/m/m.nosuchbiz.a1b2c3")
    assert status == 403 and "tel:" not in html
    # A feedback link the same way; a bad link answers at its own address, as before.
    r = client.http.get(f"/f/{token.replace('m.', 'f.', 1)}")
    assert r.status_code == 404 and "Set-Cookie" not in r.headers


def _lang_links(html: str) -> dict[str, str]:
    nav = re.search(r'<nav class="lang" aria-label="Language">(.*?)</nav>', html, re.S)
    assert nav, "no language switch"
    return {code: href.replace("&amp;", "&") for href, code in re.findall(r'<a href="([^"]+)"[^>]*>(\w\w)</a>', nav[1])}


def test_the_manage_and_waitlist_pages_switch_language_at_their_own_address(client):
    # Walk report #18: neither had the FI/SV/EN switch the booking and pay pages have.
    from tests.waitlist.helpers import join

    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    address = "/m/" + ".".join(token.split(".")[:3])
    status, html = page(client, f"/m/{token}?lang=fi&date=2026-11-26")
    assert status == 200 and "Varauksesi" in html
    switch = _lang_links(html)
    assert switch["SV"] == f"{address}?lang=sv&date=2026-11-26"  # the day she looks at; no secret in it
    assert all(token not in href for href in switch.values())
    r = client.http.get(switch["EN"], headers={"Cookie": f"link={token}"})  # her browser holds the cookie
    assert r.status_code == 200 and "Your booking" in r.body.decode()

    _, entry = join(client, first="2026-11-25", last="2026-11-26", name="Liisa", phone="040 765 4321", email=None)
    wtoken = token_of(entry["manage_url"])
    waddress = "/w/" + ".".join(wtoken.split(".")[:3])
    status, html = page(client, f"/w/{wtoken}?lang=fi")
    assert status == 200 and "<h1>Jono · " in html
    switch = _lang_links(html)
    assert switch["EN"] == f"{waddress}?lang=en" and all(wtoken not in href for href in switch.values())
    r = client.http.get(switch["EN"], headers={"Cookie": f"link={wtoken}"})
    assert r.status_code == 200 and "You are on the waitlist" in r.body.decode()


def test_the_small_things_a_client_reads(client):
    # Issue 17 (7): no raw zone name, the salon's phone a tel: link, the summary before
    # confirming says who and how much, and that a phone or an email is needed.
    html = page(client, "/book/demo?lang=fi")[1]
    assert "Europe/Helsinki" not in _text(html) and "paikallista aikaa (Helsinki)" in html
    assert 'href="tel:+358912345678"' in html
    start = "2026-11-25T11:00:00%2B02:00"
    html = page(client, f"/book/demo?service=womens-cut&staff=aino&start={start}&lang=fi")[1]
    summary = _text(html.split('id="summary"')[1].split("</div>")[0])
    assert "Aino Virtanen" in summary and "69,00 €" in summary and "60 min" in summary
    assert "Anna puhelinnumero tai sähköposti" in html
    html = page(client, f"/book/demo?service=womens-cut&start={start}&lang=fi")[1]
    assert "Ensimmäinen vapaa" in _text(html.split('id="summary"')[1].split("</div>")[0])


def test_manage_page_status_in_finnish_and_cancel_asks_first(client):
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    html = page(client, f"/m/{token}?lang=fi")[1]
    assert "<dt>Tila</dt>" in html and ">Status<" not in html
    assert f'action="/m/{token}/cancel"' not in html  # one tap does not cancel
    html = page(client, f"/m/{token}?lang=fi&cancel=1")[1]
    assert "Haluatko varmasti perua varauksen?" in html and f'action="/m/{token}/cancel"' in html
    assert "Kyllä, peru varaus" in html and "Ei, pidä varaus" in html
    assert get(client, f"/api/v1/bookings/{token}")[1]["status"] == "booked"


def test_too_late_page_has_the_phone_as_a_link(client, frozen_now):
    from tests.history import at

    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    frozen_now["now"] = at("2026-11-25T09:00:00+02:00")
    html = page(client, f"/m/{token_of(booked['manage_url'])}?lang=fi")[1]
    assert "ei voi enää muuttaa" in html and 'href="tel:+358912345678"' in html


def test_rating_page_says_one_star_and_has_no_stray_full_stop(client, frozen_now):
    from chalicelib import links
    from chalicelib.store import businesses
    from tests.history import at

    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    frozen_now["now"] = at("2026-11-25T15:00:00+02:00")
    b = businesses.get_by_slug("demo")
    assert b is not None
    token = links.feedback_token(b.id, booked["id"], datetime(2026, 11, 25, 11, 0, tzinfo=UTC))
    text = _text(page(client, f"/f/{token}?lang=fi")[1])
    assert "1 tähti" in text and "1 tähteä" not in text and "2 tähteä" in text
    assert "klo 12.00, Aino Virtanen." in text and not re.search(r"\d\. ·", text)


@pytest.fixture
def under_stage_path(client):
    """The app at API Gateway's own address (public_url ending in the stage, "/api"),
    the rest of the test's settings as they are."""
    from chalicelib.settings import get_settings

    settings = get_settings()
    kept = settings.public_url
    object.__setattr__(settings, "public_url", "https://abc.execute-api.eu-north-1.amazonaws.com/api")
    try:
        yield client
    finally:
        object.__setattr__(settings, "public_url", kept)


def test_under_api_gateways_stage_path_every_link_and_redirect_keeps_it(under_stage_path):
    # Served at API Gateway's own address (docs/deploy.md: before a custom domain), the
    # requests arrive without the stage; every address a page gives must carry it, or the
    # browser leaves the API (403 "Missing Authentication Token").
    client = under_stage_path
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    assert booked["manage_url"] == f"https://abc.execute-api.eu-north-1.amazonaws.com/api/m/{token}"
    r = client.http.get(f"/m/{token}?lang=fi")
    address = "/api/m/" + ".".join(token.split(".")[:3])
    assert r.headers["Location"] == address + "?lang=fi" and f"Path={address};" in r.headers["Set-Cookie"]

    def hers(query):  # as API Gateway hands it over: without the stage
        return client.http.get(address.removeprefix("/api") + query, headers={"Cookie": f"link={token}"}).body.decode()

    pages = {
        "manage": hers(""),
        "manage-cancel": hers("?cancel=1"),
        "book": page(client, "/book/demo?service=womens-cut&date=2026-11-25&lang=fi")[1],
        "details": page(client, "/book/demo?service=womens-cut&staff=aino&start=2026-11-25T11:00:00%2B02:00")[1],
    }
    for name, html in pages.items():
        own = re.findall(r'(?:href|action|src)="(/[^"]*)"', html)
        assert own and all(a.startswith("/api/") for a in own), (name, [a for a in own if not a.startswith("/api/")])
    status, _, headers = form_post(client, f"/m/{token}/cancel", {"reason": "", "lang": "fi"})
    assert status == 303 and headers["Location"].startswith(f"/api/m/{token}?done=cancelled")
    status, _, headers = form_post(
        client,
        "/book/demo",
        {
            "service": "womens-cut",
            "staff": "aino",
            "start": "2026-11-25T14:00:00+02:00",
            "name": "Eve",
            "phone": "040 765 4321",
        },
    )
    assert status == 303 and headers["Location"].startswith("/api/m/")


@pytest.mark.parametrize("template", ["booked.html", "manage.html", "hold.html", "pay.html"])
def test_every_page_about_her_booking_says_what_she_booked_and_her_discount(template):
    """The booked, manage, confirmation-link and pay pages show the same facts: the pay
    and confirmation pages once left out her stylist or the discount she was given."""
    from chalicelib.pages.i18n import words
    from chalicelib.pages.views import render

    page = {"booking": BOOKING_VIEW, "token": "t", "biz": {"name": "Demo"}, "pay": {}, "link": lambda **kw: "/x"}
    html = render(template, t=words("fi"), locale="fi", **page)  # `link`: the pay page's language switch
    facts = re.sub(r"\s+", " ", html[html.index("<dl>") : html.index("</dl>")])
    # A date-time and a price each kept on one line where it fits on a narrow phone.
    assert '<span class="keep">ke 25.11. klo 11.00</span>' in facts and '<span class="keep">62,10 €</span>' in facts
    facts = re.sub(r"</?span[^>]*>", "", facts)
    for shown in ("Naisten hiustenleikkaus", "Aino Virtanen", "ke 25.11. klo 11.00", "62,10 € (etu −6,90 €)"):
        assert shown in facts


def test_a_price_by_hair_length_is_shown_as_its_range_on_every_page_about_her_booking(client):
    """Hair colouring costs 129–169 € by the hair's length: the details step, her
    confirmation page, the manage page and the confirmation email once showed its lowest
    price alone, as if it were what she pays."""
    from tests.conftest import emails_to

    start = "2026-11-25T12:00:00+02:00"
    _, details = page(client, f"/book/demo?service=colour&staff=aino&start={start.replace('+', '%2B')}&lang=en")
    summary = _text(details[details.index('id="summary"') : details.index("</dl>")])
    assert "Price €129.00–€169.00" in summary
    status, booked = book(client, start, service="colour", email="range@example.com")
    assert status == 201, booked
    token = token_of(booked["manage_url"])
    for path, range_ in (
        (f"/m/{token}?lang=fi", "129,00 €–169,00 €"),
        (f"/m/{token}/booked?lang=en", "€129.00–€169.00"),
    ):
        status, html = page(client, path)
        assert status == 200 and range_ in _text(html[html.index("<dl>") : html.index("</dl>")]), path
    [email] = emails_to("range@example.com")
    assert "Hinta: 129,00\u00a0€–169,00\u00a0€" in email


def test_a_discounted_booking_of_a_price_range_reads_from_its_lowest_price():
    from chalicelib.notify.localtime import format_service_price

    assert format_service_price(6900, "fi") == "69,00\u00a0€"
    assert format_service_price(15900, "sv", 19900) == "159,00\u00a0€–199,00\u00a0€"
    assert format_service_price(14310, "fi", 19900, 1590) == "alkaen\u00a0143,10\u00a0€"
    assert format_service_price(14310, "en", 19900, 1590) == "from\u00a0€143.10"
    assert format_service_price(6210, "fi", 6900, 690) == "62,10\u00a0€"  # no range: the price she pays


def test_times_and_numbers_at_the_calendars_ends_are_bad_input_not_a_500(client):
    """A fuzzer's values (a reviewer's 500s): a time at year 9999 tapped from the "just
    taken" page, the waitlist form's day at the calendar's end, a payment terms version in
    superscript digits or 5 000 digits long."""
    status, html, _ = form_post(
        client, "/book/demo", {"service": "womens-cut", "pick": "9999-12-31T23:00:00+00:00 aino"}
    )
    assert status == 200 and "Linkin aika ei ole kelvollinen" in html, html[:300]
    status, html = page(client, "/book/demo/waitlist?service=womens-cut&date=9999-12-31&lang=fi")
    assert status == 200 and 'value="2026-11-23"' in html, html[:300]  # from today, as without a day
    for ticked in ("²", "9" * 5000):
        fields = {
            "service": "womens-cut",
            "start": "2026-11-25T11:00:00+02:00",
            "name": "Xy Z",
            "email": "x@example.com",
        }
        status, html, _ = form_post(client, "/book/demo", {**fields, "accept_terms": ticked})
        assert status == 303, (status, html[:300])  # booked (a service without terms: the tick is no matter)


def test_the_details_step_words_free_cancellation_and_online_changes_as_two_things(client, aws):
    """Highlights (a deposit) on Wed 25 Nov at 12:00, the booking rules' window 12 h: the
    terms say until when cancelling is free (24 h: Tue 12:00); the other box, titled for
    what it is, until when she may change it online herself (Wed 00:00), then to call."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store import businesses

    data = aws.config.model_dump(mode="json")
    data["rules"]["cancellation_window_hours"] = 12
    businesses.save_config(parse_business_config(data))
    businesses.clear_cache()
    _, html = page(client, "/book/demo?service=highlights&staff=aino&start=2026-11-25T12:00:00%2B02:00&lang=sv")
    policy = re.search(r'<p class="card" id="policy">(.*?)</p>', html, re.S)
    assert policy, html
    assert policy[1] == (
        "<strong>Ändringar på nätet</strong><br>Avboka eller flytta senast ons 25.11. kl.\u00a00.00"
        " (12\u00a0timmar före tiden); därefter ring salongen."
    )
    assert "Gratis avbokning till tis 24.11. kl.\u00a012.00." in html


def test_another_language_on_the_times_carrying_her_details_keeps_the_day_she_was_on(client):
    """A reviewer's find: after losing a race she went to Friday's times (buttons of her
    form); SV took her back to the first day. The language keeps her day, and her details."""

    def current_day(html: str) -> str:  # the days are buttons of her form here
        found = re.search(r'<button [^>]*aria-current="date"[^>]*>([^<]+)<', html)
        assert found, "no day is current"
        return found[1].strip()

    typed = {**DETAILS, "lang": "fi", "phone": "040 123 4567", "email": "eeva@example.com", "start": ""}
    status, html, _ = form_post(client, "/book/demo", {**typed, "choose": "date=2026-11-27"})
    assert status == 200 and current_day(html) == "pe 27.11.", html
    kept = dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html.split('id="details" hidden>')[1])
    )
    assert kept["date"] == "2026-11-27" and kept["name"] == "Eeva Esimerkki", kept
    status, html, _ = form_post(client, "/book/demo", {**kept, "relang": "sv"})
    assert status == 200 and '<html lang="sv"' in html and current_day(html) == "fre 27.11.", html
    assert 'name="name" value="Eeva Esimerkki"' in html
