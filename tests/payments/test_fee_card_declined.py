"""A fee her saved card cannot pay — declined off-session, or the card or its customer
gone at Stripe (deleted in the salon's Stripe dashboard) — is open: the no-show is
marked all the same (never a 5xx), she gets her pay link, and the link lets her pay it
with a card there (a PaymentIntent of its own, made once when she opens it), which the
webhook settles. The desk's checkout on a gone card is a 402, as a decline is."""

from __future__ import annotations

import re

import pytest
import requests

from scripts.localstripe_server import SECRET_KEY
from tests.admin.helpers import Desk
from tests.api.test_pages import page
from tests.payments.test_fees import AFTER_THE_VISIT, PRICE, money_of, paid_booking
from tests.payments.test_pay_flow import DEPOSIT
from tests.payments.test_webhooks import deliver, event, intent

FEE = PRICE - DEPOSIT


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


def her_card_declines(monkeypatch, business_id: str) -> None:
    """Stripe declines the off-session charge of her saved card (insufficient funds)."""
    import stripe

    from chalicelib.services.payments.stripe_account import Account

    def declined(*_, **__):
        raise stripe.CardError("Your card has insufficient funds.", None, "card_declined", http_status=402)

    monkeypatch.setattr(Account(business_id).client.v1.payment_intents, "create", declined)


def her_customer_deleted(ls, aws, booking) -> None:
    """The salon deleted her customer (and with it her card) in its Stripe dashboard."""
    from chalicelib.store import bookings

    appt = bookings.get_appointment(aws.id, booking["id"])
    assert appt is not None and appt.payment is not None and appt.payment.customer
    r = requests.delete(f"{ls.url}/v1/customers/{appt.payment.customer}", auth=(SECRET_KEY, ""), timeout=10)
    r.raise_for_status()


def pays_on_her_link(pay_client, ls, pay_url: str) -> dict:
    """She opens her link, pays with a card there (what confirmCardPayment does), and
    Stripe's event comes: the PaymentIntent as Stripe has it then."""
    path = pay_url.removeprefix("https://book.example.test") + "&lang=en"
    status, html = page(pay_client, path)
    assert status == 200 and "confirm the fee of €111.30" in html, html
    found = re.search(r'data-secret="(pi_[^"]+)"', html)
    assert found, "her pay link has no payment to confirm"
    secret = found.group(1)
    again = re.search(r'data-secret="(pi_[^"]+)"', page(pay_client, path)[1])
    assert again and again.group(1) == secret, "the link made a second payment on a second visit"
    assert 'id="card-element"' in html, "her link asks for no card to pay with"
    # Her card confirmed on the PaymentIntent (Stripe.js's confirmCardPayment with a card
    # element, which localstripe's stand-in does not model: its REST call instead).
    card = {
        f"card[{k}]": v
        for k, v in {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}.items()
    }
    auth = (SECRET_KEY, "")
    pm = requests.post(f"{ls.url}/v1/payment_methods", data={"type": "card", **card}, auth=auth, timeout=10)
    pm.raise_for_status()
    pi = secret.split("_secret_")[0]
    given = requests.post(
        f"{ls.url}/v1/payment_intents/{pi}", data={"payment_method": pm.json()["id"]}, auth=auth, timeout=10
    )
    assert given.ok, given.text
    r = requests.post(f"{ls.url}/v1/payment_intents/{pi}/confirm", auth=auth, timeout=10)
    assert r.ok and r.json()["status"] == "succeeded", r.text
    paid = intent(pi)
    assert deliver(pay_client, event(f"evt_paid_{pi}", "payment_intent.succeeded", paid)) == (
        200,
        {"received": True, "applied": True},
    )
    return paid


def test_a_fee_her_saved_card_declines_is_paid_on_her_link(pay_client, stripe_env, aws, desk, frozen_now, monkeypatch):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    with monkeypatch.context() as m:
        her_card_declines(m, aws.id)
        status, marked = desk.post(f"/appointments/{booking['id']}/status", {"status": "no_show"})
    assert status == 200 and marked["status"] == "no_show" and marked["payment"]["fees"] == {"no_show": "open"}, marked
    link = money_of(desk, booking)["pay_urls"]["no_show"]
    paid = pays_on_her_link(pay_client, stripe_env, link)
    assert paid["amount"] == FEE and paid["metadata"]["kind"] == "no_show"
    owners = money_of(desk, booking)
    assert (owners["fees"], owners["paid_cents"]) == ({"no_show": "succeeded"}, PRICE), owners
    # Paid: the link now says there is nothing to pay.
    status, html = page(pay_client, link.removeprefix("https://book.example.test") + "&lang=en")
    assert status == 200 and "There is nothing to pay on this link any more." in html


@pytest.fixture
def card_gone(pay_client, stripe_env, aws, frozen_now) -> dict:
    """Her booking paid with a saved card, her customer since deleted at Stripe; after the visit."""
    booking = paid_booking(pay_client, stripe_env)
    her_customer_deleted(stripe_env, aws, booking)
    frozen_now["now"] = AFTER_THE_VISIT
    return booking


def test_a_no_show_whose_saved_card_is_gone_at_stripe_is_marked_and_her_link_takes_the_fee(
    pay_client, stripe_env, desk, card_gone
):
    booking = card_gone
    status, marked = desk.post(f"/appointments/{booking['id']}/status", {"status": "no_show"})
    assert status == 200 and marked["status"] == "no_show" and marked["payment"]["fees"] == {"no_show": "open"}, marked
    pays_on_her_link(pay_client, stripe_env, money_of(desk, booking)["pay_urls"]["no_show"])
    assert money_of(desk, booking)["fees"] == {"no_show": "succeeded"}


def test_the_desk_checkout_on_a_card_gone_at_stripe_is_declined_not_a_fault(desk, card_gone):
    status, body = desk.post(f"/appointments/{card_gone['id']}/checkout", {"method": "card_on_file"})
    assert status == 402 and body["error"]["code"] == "payment_declined", body
    assert "another way" in body["error"]["message"], body
