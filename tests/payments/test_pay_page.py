"""The booking page shows the deposit and the terms before she books, with a tick; booking
leads to Rebook's pay page, which loads Stripe.js from the configured base."""

from __future__ import annotations

from tests.api.test_pages import form_post, page

START = "2026-11-25T12:00:00+02:00"
FIELDS = {
    "service": "highlights",
    "staff": "aino",
    "start": START,
    "lang": "en",
    "name": "Eve Example",
    "phone": "040 123 4567",
    "email": "eve@example.com",
}


def test_the_booking_page_shows_the_deposit_and_terms_in_euros_and_local_time(pay_client):
    status, html = page(
        pay_client, f"/book/demo?service=highlights&staff=aino&start={START.replace('+', '%2B')}&lang=en"
    )
    assert status == 200
    assert "A deposit of €47.70 is paid when booking." in html
    assert "Free cancellation until Tue 24 Nov at 12:00. Later: 50 % of the price; no-show: 100 % of the price." in html
    assert 'name="accept_terms" value="1" required' in html
    status, plain = page(
        pay_client, f"/book/demo?service=womens-cut&staff=aino&start={START.replace('+', '%2B')}&lang=en"
    )
    assert "accept_terms" not in plain


def test_booking_without_the_tick_is_refused_and_with_it_leads_to_the_pay_page(pay_client, stripe_env):
    status, html, _ = form_post(pay_client, "/book/demo", FIELDS)
    assert status == 422 and "Please accept the payment and cancellation terms" in html
    status, _, headers = form_post(pay_client, "/book/demo", {**FIELDS, "accept_terms": "1"})
    assert status == 303 and headers["Location"].startswith("/pay/")
    status, pay = page(pay_client, headers["Location"])
    assert status == 200
    assert f'<script src="{stripe_env.js_url}"></script>' in pay
    assert "€47.70" in pay and "The time is held for you until Mon 23 Nov at 10:10." in pay
    assert 'data-secret="seti_' in pay and 'data-key="pk_test_' in pay
