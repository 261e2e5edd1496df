"""The server-rendered pages a client reaches from a link: book, manage, cancel, move."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.api.helpers import book, count_by_prefix, get, table_items, token_of

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def page(client, path, headers=None):
    r = client.http.get(path, headers=headers or {})
    return r.status_code, r.body.decode()


def form_post(client, path, data):
    r = client.http.post(path, body=urlencode(data), headers=FORM)
    return r.status_code, r.body.decode(), r.headers


def test_booking_page_walks_service_time_details(client):
    status, html = page(client, "/book/demo", {"Accept-Language": "en-GB,en;q=0.8"})
    assert status == 200 and "Choose a service" in html and "Women&#39;s haircut" in html
    status, html = page(client, "/book/demo?service=womens-cut&date=2026-11-25&lang=fi")
    assert status == 200 and "Aino Virtanen" in html and ">11.00<" in html
    status, html = page(
        client, "/book/demo?service=womens-cut&date=2026-11-25&staff=aino&start=2026-11-25T11:00:00%2B02:00&lang=fi"
    )
    assert status == 200 and 'name="name"' in html and "ke 25.11. klo 11.00" in html


def test_booking_from_the_page_form(client):
    status, html, _ = form_post(
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
    assert status == 201 and "Your booking is confirmed" in html and "/m/" in html
    assert count_by_prefix(table_items(), "APPT#") == 1


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
    status, html, _ = form_post(client, "/book/demo", fields)
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


def test_manage_page_reschedule_by_post(client):
    _, booked = book(client, "2026-11-25T12:00:00+02:00")
    token = token_of(booked["manage_url"])
    status, _, _ = form_post(client, f"/m/{token}/reschedule", {"start": "2026-11-25T16:00:00+02:00"})
    assert status == 303
    assert get(client, f"/api/v1/bookings/{token}")[1]["start"] == "2026-11-25T16:00:00+02:00"


def test_bad_link_gets_a_clear_4xx_page(client):
    status, html = page(client, "/m/not-a-token", {"Accept-Language": "sv"})
    assert status == 404 and "Fel" in html
