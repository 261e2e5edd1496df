"""POST /webhooks/stripe with events signed as Stripe signs them, about payments made on
localstripe: verified on the raw body, applied once, in any order."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from chalicelib.settings import get_settings
from tests.api.helpers import table_items
from tests.conftest import sent_emails
from tests.payments.conftest import authenticate_payment, set_up_card
from tests.payments.test_pay_flow import DEPOSIT, book_highlights, finish, status_of

SECRET = "whsec_rebook_local"


def sign(payload: bytes, secret: str = SECRET, at: int | None = None) -> str:
    at = at or int(time.time())
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def deliver(client, event: dict, signature: str | None = None):
    payload = json.dumps(event).encode()
    headers = {"Content-Type": "application/json"}
    headers["Stripe-Signature"] = signature if signature is not None else sign(payload)
    r = client.http.post("/webhooks/stripe", body=payload, headers=headers)
    return r.status_code, json.loads(r.body)


def event(event_id: str, kind: str, obj: dict) -> dict:
    return {"id": event_id, "object": "event", "type": kind, "created": int(time.time()), "data": {"object": obj}}


def intent(intent_id: str) -> dict:
    import stripe

    s = get_settings()
    sdk = stripe.StripeClient(s.stripe_secret_key or "", base_addresses={"api": s.stripe_api_base})
    return sdk.v1.payment_intents.retrieve(intent_id).to_dict()


def charged_awaiting_the_bank(client, ls):
    """A deposit charged with a 3-D Secure card and authenticated at the bank, not yet
    finished on the pay page: the webhook's case."""
    _, held = book_highlights(client)
    set_up_card(ls, held["payment"]["client_secret"], "4000002760003184")
    _, step = finish(client, held)
    authenticate_payment(ls, step["client_secret"])
    return held, intent(step["client_secret"].split("_secret_")[0])


def stripe_events():
    return [i for i in table_items() if i["pk"]["S"].startswith("STRIPE#")]


def sent_so_far() -> int:
    """Emails moto has sent, without handing the stream's records over first."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return len(ses_backends[DEFAULT_ACCOUNT_ID]["eu-north-1"].sent_messages)


def send_due(frozen_now):
    from tests.history import run_on_schedule

    run_on_schedule("send_due", frozen_now["now"])


def test_the_webhook_confirms_once_and_retries_change_nothing(pay_client, stripe_env, frozen_now):
    held, pi = charged_awaiting_the_bank(pay_client, stripe_env)
    assert pi["status"] == "succeeded" and pi["metadata"]["kind"] == "deposit"
    succeeded = event("evt_paid_1", "payment_intent.succeeded", pi)
    assert deliver(pay_client, succeeded) == (200, {"received": True, "applied": True})
    assert status_of(pay_client, held)["status"] == "booked"
    assert status_of(pay_client, held)["payment"]["paid_cents"] == DEPOSIT
    # The webhook sends nothing itself: its transaction released the parked confirmations,
    # and the outbox stream sends them (sent_emails hands the stream's records over).
    assert sent_so_far() == 0
    assert len(sent_emails()) == 1
    send_due(frozen_now)  # the sweeper finds nothing left to send
    assert sent_so_far() == 1
    assert deliver(pay_client, succeeded) == (200, {"received": True, "applied": False})  # a retry
    assert finish(pay_client, held)[1]["next"] == "done"  # the page comes second: nothing more
    send_due(frozen_now)
    assert len(sent_emails()) == 1 and len(stripe_events()) == 1


def test_the_page_first_then_the_webhook(pay_client, stripe_env, frozen_now):
    held, pi = charged_awaiting_the_bank(pay_client, stripe_env)
    assert finish(pay_client, held)[1]["next"] == "done"
    assert len(sent_emails()) == 1  # released by the page's call, sent by the outbox stream
    assert deliver(pay_client, event("evt_paid_2", "payment_intent.succeeded", pi))[1]["applied"] is True
    send_due(frozen_now)
    assert status_of(pay_client, held)["status"] == "booked" and len(sent_emails()) == 1


def test_a_bad_signature_is_400_and_records_nothing(pay_client, stripe_env):
    held, pi = charged_awaiting_the_bank(pay_client, stripe_env)
    succeeded = event("evt_forged", "payment_intent.succeeded", pi)
    payload = json.dumps(succeeded).encode()
    for signature in (sign(payload, "whsec_wrong"), "", "t=1,v1=00", sign(payload, at=int(time.time()) - 3600)):
        status, body = deliver(pay_client, succeeded, signature)
        assert status == 400 and body["error"]["code"] == "bad_signature"
    assert stripe_events() == []
    assert status_of(pay_client, held)["status"] == "pending_payment"


@pytest.mark.parametrize(
    "payload",
    [
        b'{"data":{"object":' + b"[" * 3000 + b"]" * 3000 + b"}}",  # deeper than the decoder goes
        json.dumps({"data": {"object": {"metadata": {"business_id": "x" * 2100}}}}).encode(),  # no key of ours
        json.dumps({"data": {"object": {"metadata": {"business_id": "Demo\n"}}}}).encode(),
    ],
    ids=["deep", "long-business-id", "odd-business-id"],
)
def test_an_unsigned_body_of_any_shape_is_a_bad_signature_not_a_fault(pay_client, stripe_env, payload):
    r = pay_client.http.post(
        "/webhooks/stripe", body=payload, headers={"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=a"}
    )
    assert r.status_code == 400 and json.loads(r.body)["error"]["code"] == "bad_signature"


def test_unknown_events_are_acknowledged_and_ignored(pay_client, stripe_env):
    held, pi = charged_awaiting_the_bank(pay_client, stripe_env)
    assert deliver(pay_client, event("evt_x", "charge.dispute.created", pi)) == (
        200,
        {"received": True, "applied": False},
    )
    assert status_of(pay_client, held)["status"] == "pending_payment"


def test_a_card_declined_at_setup_frees_nothing_by_webhook(pay_client, stripe_env, aws):
    """Stripe's word that her card failed at setup is not the end of her booking: the pay
    page offers her another card while the hold lasts (before 7 Dec 2026 this event freed
    the time at once, and the page's next card met a released booking)."""
    _, held = book_highlights(pay_client)
    setup = held["payment"]["client_secret"].split("_secret_")[0]
    meta = {"business_id": aws.id, "booking_id": held["id"]}
    obj = {"id": setup, "object": "setup_intent", "status": "requires_payment_method", "metadata": meta}
    assert deliver(pay_client, event("evt_setup_failed", "setup_intent.setup_failed", obj)) == (
        200,
        {"received": True, "applied": False},
    )
    assert status_of(pay_client, held)["status"] == "pending_payment"
    assert set_up_card(stripe_env, held["payment"]["client_secret"], "4242424242424242").ok
    assert finish(pay_client, held)[1]["next"] == "done"


def test_a_payment_event_after_the_hold_expired_refunds(pay_client, stripe_env, frozen_now):
    from datetime import timedelta

    from chalicelib.jobs.schedule import JOBS

    _, held = book_highlights(pay_client)
    set_up_card(stripe_env, held["payment"]["client_secret"], "4000002760003184")
    _, step = finish(pay_client, held)
    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    authenticate_payment(stripe_env, step["client_secret"])
    pi = intent(step["client_secret"].split("_secret_")[0])
    assert deliver(pay_client, event("evt_late", "payment_intent.succeeded", pi))[1]["applied"] is True
    view = status_of(pay_client, held)
    assert view["status"] == "cancelled" and view["payment"]["refunded_cents"] == DEPOSIT
    assert deliver(pay_client, event("evt_late_again", "payment_intent.succeeded", pi))[1]["applied"] is True
    assert status_of(pay_client, held)["payment"]["refunded_cents"] == DEPOSIT  # once


def test_a_signed_event_rebook_cannot_read_is_400_and_changes_nothing(pay_client, stripe_env, aws):
    _, held = book_highlights(pay_client)
    booking = held["id"]
    meta = {"business_id": aws.id, "booking_id": booking, "kind": "deposit"}
    paid = {"id": "pi_x", "object": "payment_intent", "status": "succeeded", "metadata": meta}
    unreadable = [
        event("evt_no_amount", "payment_intent.succeeded", paid),
        event("evt_text_amount", "payment_intent.succeeded", {**paid, "amount": "abc"}),
        event("evt_true_amount", "payment_intent.succeeded", {**paid, "amount": True}),
        event("evt_no_object_id", "payment_intent.succeeded", {**paid, "id": None, "amount": DEPOSIT}),
        {k: v for k, v in event("", "payment_intent.succeeded", {**paid, "amount": DEPOSIT}).items() if k != "id"},
        {k: v for k, v in event("evt_no_type", "", {**paid, "amount": DEPOSIT}).items() if k != "type"},
    ]
    for unread in unreadable:
        status, body = deliver(pay_client, unread)
        assert status == 400 and body["error"]["code"] == "malformed_event", (unread, body)
    assert stripe_events() == []
    assert status_of(pay_client, held)["status"] == "pending_payment"


def test_a_payment_that_is_not_the_bookings_does_not_confirm_it(pay_client, stripe_env, aws):
    _, held = book_highlights(pay_client)
    meta = {"business_id": aws.id, "booking_id": held["id"], "kind": "deposit"}
    paid = {"object": "payment_intent", "status": "succeeded", "currency": "eur", "metadata": meta}
    for n, obj in enumerate(
        [
            {**paid, "id": "pi_one_cent", "amount": 1},  # not what was asked
            {**paid, "id": "pi_in_sek", "amount": DEPOSIT, "currency": "sek"},
        ]
    ):
        assert deliver(pay_client, event(f"evt_not_ours_{n}", "payment_intent.succeeded", obj))[0] == 200
        view = status_of(pay_client, held)
        assert view["status"] == "pending_payment" and view["payment"]["paid_cents"] == 0


def test_another_payment_intent_than_the_one_charged_does_not_confirm(pay_client, stripe_env):
    # Charged by Rebook and waiting for the bank: another PaymentIntent of the same amount
    # is not hers; her own then confirms.
    held, pi = charged_awaiting_the_bank(pay_client, stripe_env)
    other = {**pi, "id": "pi_someone_elses"}
    assert deliver(pay_client, event("evt_other_intent", "payment_intent.succeeded", other))[0] == 200
    assert status_of(pay_client, held)["status"] == "pending_payment"
    assert deliver(pay_client, event("evt_hers", "payment_intent.succeeded", pi))[1]["applied"] is True
    view = status_of(pay_client, held)
    assert view["status"] == "booked" and view["payment"]["paid_cents"] == DEPOSIT
