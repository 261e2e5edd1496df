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

A signed event Rebook cannot read (no event id or type, a handled object without its id, a
payment without a whole-number amount) is a 400 `malformed_event`, nothing recorded.
A payment_intent.succeeded for a held booking confirms it only if it is the
booking's own payment: its PaymentIntent the one the hold recorded (when it recorded
one), its amount and currency the ones asked. Any other is recorded (applied once),
logged and does not confirm the booking: Rebook gives back only payments it asked for
(docs/payments.md, "Each salon's own money"). A fee's payment the same (fees.its_payment).
"""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from chalicelib import clock
from chalicelib.domain.booking import Status
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
# A card declined at setup ("setup_intent.setup_failed") is not one: it frees nothing, as
# the pay page offers her another card while the hold lasts (holds.CARD_TRIES), and a hold
# she leaves runs out by itself (the hold_expiry job).
HANDLED = ("payment_intent.succeeded", "setup_intent.succeeded", *REFUND_EVENTS)


def _bad_signature() -> BadRequest:
    return BadRequest("The Stripe signature is not valid.", code="bad_signature")


def _malformed(what: str) -> BadRequest:
    return BadRequest(f"The Stripe event cannot be read: {what}.", code="malformed_event", fields={"event": what})


def _readable(event_type: str, unverified: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The event's id and object, checked before anything is applied (a 400 otherwise)."""
    event_id = unverified.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise _malformed("no event id")
    obj = unverified["data"]["object"]
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not obj["id"]:
        raise _malformed("no object id")
    if event_type == "payment_intent.succeeded":
        amount = obj.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise _malformed("amount is not a whole number of cents")
    return event_id, obj


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
    # RecursionError: nested deeper than the decoder goes (read before the signature is).
    except (ValueError, RecursionError, KeyError, TypeError, AttributeError):
        raise _bad_signature() from None
    business_id = meta.get("business_id") if isinstance(meta, dict) else None
    b = businesses.get_by_id(business_id) if isinstance(business_id, str) and business_id else None
    secret = _secret(b.id if b else "")
    if not secret or not signature:
        raise _bad_signature()
    try:
        stripe.Webhook.construct_event(raw, signature, secret)
    except (stripe.SignatureVerificationError, ValueError):
        raise _bad_signature() from None
    event_type = unverified.get("type")  # verified now (as the SDK's event, which has no .type without one)
    if not isinstance(event_type, str) or not event_type:
        raise _malformed("no event type")
    if event_type not in HANDLED or b is None:
        if event_type in REFUND_EVENTS:  # a refund not made by Rebook (no business of ours on it)
            logger().warning("stripe refund event for no refund of ours", extra={"event_type": event_type})
        return {"received": True, "applied": False}
    event_id, obj = _readable(event_type, unverified)
    applied = _apply(b, event_id, event_type, obj)
    logger().info("stripe event", extra={"event_type": event_type, "applied": applied})
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
            # Paid, in one write with the event; let go (waived, its no-show undone), even
            # as this applies: recorded and given back.
            if not isinstance(kind, str):
                return store.claim_event(event_id, event_type, now)
            return fees.settle_paid_fee(b, appt, kind, obj["id"], obj["amount"], tag, now)
        late = appt.status == Status.CANCELLED.value and not pay.refunded_cents and pay.state != PayState.PAID.value
        if (held or late) and not _the_bookings_payment(b, pay, obj):
            # Not the payment Rebook asked for: neither confirms nor is given back.
            logger().warning(
                "stripe payment not the booking's: not applied",
                extra={"appointment_id": appt.id, "intent": obj["id"], "recorded_intent": pay.intent},
            )
            return store.claim_event(event_id, event_type, now)
        if held:
            paid = replace(pay, intent=obj["id"], state=PayState.PAID.value, paid_cents=obj["amount"])
            return holds.confirm_from_event(b, appt, parked, paid, now, tag)
        if late:
            # Paid after the hold ran out: refunded (once), and the event noted.
            paid_late = SimpleNamespace(id=obj["id"], status=obj.get("status", "succeeded"), amount=obj["amount"])
            holds.refund_late_payment(b, appt, paid_late, now)
        return store.claim_event(event_id, event_type, now)
    if event_type == "setup_intent.succeeded" and held and pay.kind not in holds.CHARGED_KINDS:
        saved = replace(pay, payment_method=obj.get("payment_method"), state=PayState.CARD_SAVED.value)
        return holds.confirm_from_event(b, appt, parked, saved, now, tag)
    return store.claim_event(event_id, event_type, now)


def _the_bookings_payment(b: Any, pay: Any, obj: dict[str, Any]) -> bool:
    """The PaymentIntent the hold recorded (if it recorded one yet: the webhook may come
    before the pay page's call has), for the amount and currency Rebook asked."""
    if pay.intent and obj["id"] != pay.intent:
        return False
    currency = obj.get("currency")
    if currency is not None and str(currency).lower() != str(b.config.currency).lower():
        return False
    return bool(obj["amount"] == pay.due_cents)
