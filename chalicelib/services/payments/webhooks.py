"""POST /webhooks/stripe: Stripe's word on a payment, applied once.

The signature is checked on the raw body with Stripe's tolerance (the SDK's
construct_event) before anything is read or written; the secret is the business's own
(each salon has its own Stripe account), found from the event's metadata — a wrong
guess only fails the check. A bad signature is a 400 with nothing recorded.

Each event is applied at most once: its id is put with a condition in the same
transaction as the change it makes (store/payments.py). Events may come in any order
and more than once; every change is conditioned on the booking's state, so a late or
repeated event changes nothing. Unknown types are acknowledged and ignored, and so is an
event about a refund that is not one of ours (logged).
"""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from chalicelib import clock
from chalicelib.domain.booking import PAYMENT_DECLINED, Status
from chalicelib.domain.payments import PayState
from chalicelib.errors import BadRequest
from chalicelib.observability import logger
from chalicelib.services.payments import fees, holds
from chalicelib.services.payments.stripe_account import REFUND_GONE, NotConfigured, keys_for
from chalicelib.store import businesses
from chalicelib.store import payments as store

# A refund that failed after Stripe took it: refund.failed (newer API versions), or
# refund.updated / charge.refund.updated with its status failed or canceled (fees.refund_failed).
REFUND_EVENTS = ("refund.failed", "refund.updated", "charge.refund.updated")
HANDLED = ("payment_intent.succeeded", "setup_intent.succeeded", "setup_intent.setup_failed", *REFUND_EVENTS)


def _bad_signature() -> BadRequest:
    return BadRequest("The Stripe signature is not valid.", code="bad_signature")


def _secret(business_id: str) -> str | None:
    """The signing secret of the business's webhook endpoint (None: none configured, so
    nothing can be verified: a 400 bad_signature). Its secret could not be read for now
    (Secrets Manager throttling or failing, access denied): PaymentsUnavailable goes up
    as a 503, so Stripe sends the event again later instead of it being refused as
    forged (stripe_account.NO_SECRET says which failure is which, and why)."""
    try:
        return keys_for(business_id).webhook_secret
    except NotConfigured:
        return None


def receive(raw: bytes, signature: str | None) -> dict[str, Any]:
    import stripe

    try:
        unverified = json.loads(raw)
        meta = unverified["data"]["object"].get("metadata") or {}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise _bad_signature() from None
    business_id = meta.get("business_id") if isinstance(meta, dict) else None
    b = businesses.get_by_id(business_id) if isinstance(business_id, str) and business_id else None
    secret = _secret(b.id if b else "")
    if not secret or not signature:
        raise _bad_signature()
    try:
        event = stripe.Webhook.construct_event(raw, signature, secret)
    except (stripe.SignatureVerificationError, ValueError):
        raise _bad_signature() from None
    if event.type not in HANDLED or b is None:
        if event.type in REFUND_EVENTS:  # a refund not made by Rebook (no business of ours on it)
            logger().warning("stripe refund event for no refund of ours", extra={"event_type": event.type})
        return {"received": True, "applied": False}
    applied = _apply(b, event.id, event.type, unverified["data"]["object"])  # verified now
    logger().info("stripe event", extra={"event_type": event.type, "applied": applied})
    return {"received": True, "applied": applied}


def _apply(b: Any, event_id: str, event_type: str, obj: dict[str, Any]) -> bool:
    now = clock.now()
    meta = obj.get("metadata") or {}
    booking_id = meta.get("booking_id")
    appt, parked = holds.read(b, booking_id) if isinstance(booking_id, str) and booking_id else (None, [])
    tag = (event_id, event_type)
    if appt is None or appt.payment is None:
        if event_type in REFUND_EVENTS:  # acknowledged: Stripe asking again would change nothing
            logger().warning("stripe refund event for no booking of ours", extra={"event_type": event_type})
            store.claim_event(event_id, event_type, now)
            return False
        return store.claim_event(event_id, event_type, now)
    if event_type in REFUND_EVENTS:
        if event_type != "refund.failed" and obj.get("status") not in REFUND_GONE:
            return store.claim_event(event_id, event_type, now)  # pending → succeeded: as recorded
        return fees.refund_failed(b, appt, obj, tag, now)
    pay = appt.payment
    held = appt.status == Status.PENDING_PAYMENT.value
    if event_type == "payment_intent.succeeded":
        kind = meta.get("kind")
        if kind not in holds.CHARGED_KINDS:  # a fee she confirmed through her pay link
            # Let go meanwhile (waived, its no-show undone): recorded and given back.
            back = fees.give_back_waived_fee(b, appt, kind, obj["id"], tag, now) if isinstance(kind, str) else None
            if back is not None:  # False: applied before
                return back
            if not store.claim_event(event_id, event_type, now):
                return False
            if isinstance(kind, str):
                fees.settle_paid_fee(b, appt, kind, now)
            return True
        if held:
            paid = replace(pay, intent=obj["id"], state=PayState.PAID.value, paid_cents=int(obj["amount"]))
            return holds.confirm_from_event(b, appt, parked, paid, now, tag)
        if appt.status == Status.CANCELLED.value and not pay.refunded_cents and pay.state != PayState.PAID.value:
            # Paid after the hold ran out: refunded (once), and the event noted.
            holds.refund_late_payment(
                b, appt, SimpleNamespace(id=obj["id"], status=obj["status"], amount=obj["amount"]), now
            )
        return store.claim_event(event_id, event_type, now)
    if event_type == "setup_intent.succeeded" and held and pay.kind not in holds.CHARGED_KINDS:
        saved = replace(pay, payment_method=obj.get("payment_method"), state=PayState.CARD_SAVED.value)
        return holds.confirm_from_event(b, appt, parked, saved, now, tag)
    if event_type == "setup_intent.setup_failed" and held:
        return holds.release(
            b, appt, replace(pay, state=PayState.DECLINED.value), now, PAYMENT_DECLINED, tag, parked=parked
        )
    return store.claim_event(event_id, event_type, now)
