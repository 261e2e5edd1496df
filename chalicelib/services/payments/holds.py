"""Bookings that pay: the hold while the client pays, and what ends it.

A booking whose service takes payment is written like any other (same transaction, same
day sheets) but as `pending_payment` with a hold of a few minutes. Before the write, the
client's card is set up with Stripe (a customer and a SetupIntent, keyed by the booking:
a retry makes no second one); Stripe down gives a 503 and nothing is written.

On the pay page the client authenticates her card once (confirmCardSetup, 3-D Secure
when her bank asks); the page then asks Rebook to finish, and Rebook asks Stripe itself:
a deposit or prepayment is charged with the card just saved (the amount is the
server's), a card on file is only kept. Paying confirms the booking; a decline leaves the
time hers for another card (a new SetupIntent) until the third, which frees it at once;
an unpaid hold runs out by itself (the hold_expiry job, which asks Stripe
first: `expire`). The webhook (services/payments/webhooks.py) confirms too, whichever
comes first, once: every ending is one transaction conditioned on the booking still
being held (store/holds.py). The confirmations wait parked in the outbox and are
released in the paying transaction: the outbox stream sends them, once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from chalicelib import clock, links
from chalicelib.domain import payments as rules
from chalicelib.domain.booking import PAYMENT_DECLINED, PAYMENT_EXPIRED, Appointment, BookingIn, HoldFor, Status
from chalicelib.domain.config import Business
from chalicelib.domain.messages import Message, booking_message_keys
from chalicelib.domain.payments import BookingPayment, MoneyRecord, PayState
from chalicelib.domain.timeutil import iso_local
from chalicelib.domain.waitlist import RefillCount
from chalicelib.errors import Conflict, ValidationFailed
from chalicelib.notify import outbox
from chalicelib.observability import logger
from chalicelib.services.payments.stripe_account import Account, PaymentDeclined
from chalicelib.settings import get_settings
from chalicelib.store import holds as store
from chalicelib.store import payments

CHARGED_KINDS = (rules.PaymentKind.DEPOSIT.value, rules.PaymentKind.PREPAY.value)


def payment_needed(b: Business, pay: BookingPayment | None, req: BookingIn) -> BookingPayment | None:
    """What the new booking must pay or secure (`pay`, its Quote's: services/booking/pricing.py,
    from the server's price after any perk), after checking the client ticked the terms of
    the current version."""
    cfg = b.config
    if pay is None:
        return None
    if req.accepted_payment_terms != cfg.payments.version:
        raise ValidationFailed(
            "Please accept the payment and cancellation terms shown before booking.",
            code="payment_terms_not_accepted",
            fields={"accepted_payment_terms": f"must be {cfg.payments.version}, the version shown"},
            key="payment_terms_not_accepted",
        )
    return pay


def hold(
    b: Business, appt: Appointment, pay: BookingPayment, idempotency_key: str | None, now: datetime
) -> tuple[Appointment, str]:
    """The booking as a hold, with its card set up at Stripe: the appointment to write and
    the client secret of its SetupIntent."""
    # A repeated request (same Idempotency-Key) reuses the Stripe objects of the first.
    ref = f"{b.id}:{idempotency_key}" if idempotency_key else appt.id
    customer, setup, secret = Account(b.id).start_card_setup(ref, appt.id, appt.client_id)
    held = replace(
        appt,
        status=Status.PENDING_PAYMENT.value,
        hold_until=rules.hold_until(now, b.config.payments),
        hold_for=HoldFor.PAYMENT.value,
        payment=replace(pay, customer=customer, setup_intent=setup),
    )
    return held, secret


def with_payment(
    b: Business, appt: Appointment, view: dict[str, Any], secret: str | None = None, *, for_stripe_js: bool = True
) -> dict[str, Any]:
    """The booking's view with the payment as it stands and, while it is held, the pay
    page's address and (`for_stripe_js`) what Stripe.js needs."""
    pay = appt.payment
    if pay is None:
        return view
    view["payment"] = {
        "kind": pay.kind,
        "amount_cents": pay.due_cents,
        "state": pay.state,
        "paid_cents": pay.paid_cents,
        "refunded_cents": pay.refunded_cents,
        # Owed back to her and not refunded yet (Stripe could not be reached): on its way.
        "refund_pending_cents": pay.refund_owed_cents + pay.refund_failed_due_cents(appt.status),
        "policy_version": pay.policy_version,
        "terms": pay.terms,
    }
    if appt.status == Status.PENDING_PAYMENT.value and appt.hold_until:
        view["hold_until"] = iso_local(appt.hold_until, b.config.tz)
        view["payment"]["pay_url"] = links.pay_url(links.manage_token(b.id, appt.id, appt.end))
        if not for_stripe_js:
            return view
        account = Account(b.id)
        if secret is None and pay.setup_intent:
            secret = account.setup_intent(pay.setup_intent).client_secret
        view["payment"].update(
            client_secret=secret, publishable_key=account.keys.publishable_key, js_url=get_settings().stripe_js_url
        )
    return view


# --- ending a hold ------------------------------------------------------------------------------
def read(b: Business, appointment_id: str) -> tuple[Appointment | None, list[Message]]:
    """The booking and its parked confirmations: one read."""
    return store.for_pay(b.id, appointment_id, CONFIRMATION_KEYS(appointment_id))


def CONFIRMATION_KEYS(appointment_id: str) -> list[str]:
    return list(booking_message_keys(appointment_id, "confirmation", 0, ["email", "sms"]).values())


def finish(
    b: Business, appt: Appointment, now: datetime | None = None, parked: list[Message] | None = None
) -> dict[str, Any]:
    """The pay page's call after Stripe.js: ask Stripe how the payment stands and end
    the hold accordingly. Returns what the page does next: done (booked), or authenticate
    the charge (requires_action, with its client secret)."""
    now = now or clock.now()
    if parked is None:
        fresh, parked = read(b, appt.id)
        appt = fresh or appt
    pay = appt.payment
    cancelled = appt.status == Status.CANCELLED.value
    if pay is not None and cancelled and pay.intent and not pay.refunded_cents and pay.state != PayState.PAID.value:
        # Her bank let the charge through after the hold ran out: it all goes back. (A
        # booking paid in time and cancelled later is not this: the terms say what goes back.)
        intent = Account(b.id).payment_intent(pay.intent)
        refund_late_payment(b, appt, intent, now)
    if pay is None or appt.status != Status.PENDING_PAYMENT.value:
        return _after(b, appt)
    account = Account(b.id)
    if pay.intent:  # the charge was made and waited for the bank's authentication
        intent = account.payment_intent(pay.intent)
        return _on_intent(b, appt, pay, intent, now, parked)
    setup = account.setup_intent(pay.setup_intent) if pay.setup_intent else None
    if setup is None or setup.status in ("requires_payment_method", "requires_action", "requires_confirmation"):
        if setup is not None and getattr(setup, "last_setup_error", None):
            return _declined(b, appt, pay, now, parked)
        raise Conflict("The payment is not finished yet.", code="payment_pending", key="payment_pending")
    if setup.status != "succeeded":  # canceled: declined or authentication failed
        return _declined(b, appt, pay, now, parked)
    pay = replace(pay, payment_method=setup.payment_method)
    if pay.kind not in CHARGED_KINDS:
        # Not confirmed here: the webhook was first (booked), or the hold ended meanwhile.
        return _after(
            b, appt, booked=_confirm(b, appt, replace(pay, state=PayState.CARD_SAVED.value), None, now, parked)
        )
    try:
        intent = account.charge(
            appt.id,
            pay.kind,
            pay.due_cents,
            b.config.currency,
            pay.customer or "",
            pay.payment_method or "",
            appt.client_id,
            off_session=False,
        )
    except PaymentDeclined:
        _declined(b, appt, pay, now, parked)
        raise
    return _on_intent(b, appt, replace(pay, intent=intent.id), intent, now, parked)


def _on_intent(
    b: Business, appt: Appointment, pay: BookingPayment, intent: Any, now: datetime, parked: list[Message]
) -> dict[str, Any]:
    if intent.status == "succeeded":
        paid = replace(pay, intent=intent.id, state=PayState.PAID.value, paid_cents=int(intent.amount))
        # Not confirmed here: the webhook was first (booked), or the hold ended meanwhile
        # (the charge refunded): the page says what the booking is now.
        return _after(b, appt, booked=_confirm(b, appt, paid, _charge_record(appt, paid, now), now, parked))
    if intent.status == "requires_action":
        store.note_intent(appt, pay, now)
        return {"status": appt.status, "next": "authenticate", "client_secret": intent.client_secret}
    if intent.status in ("requires_payment_method", "canceled"):
        return _declined(b, appt, pay, now, parked)
    raise Conflict("The payment is not finished yet.", code="payment_pending", key="payment_pending")


def _charge_record(appt: Appointment, pay: BookingPayment, now: datetime) -> MoneyRecord:
    return MoneyRecord(
        business_id=appt.business_id,
        appointment_id=appt.id,
        client_id=appt.client_id,
        kind=pay.kind,
        amount_cents=pay.paid_cents,
        state="succeeded",
        created_at=now,
        intent=pay.intent,
    )


def _confirm(
    b: Business,
    appt: Appointment,
    pay: BookingPayment,
    money: MoneyRecord | None,
    now: datetime,
    parked: list[Message],
    event: tuple[str, str] | None = None,
) -> bool:
    """Booked, in one transaction conditioned on it still being held, its parked
    confirmations released to the outbox stream (which sends them, once). False if it was
    no longer held (or the event was applied before): a charge that went through as its
    hold was released (read held by the webhook or the page, released by the hold_expiry
    job in between) is refunded, as a payment after the hold's end is."""
    try:
        store.paid(appt, pay, money, parked, now, event, _refill(b, appt, now))
    except store.HoldGone:
        if money is not None and pay.intent:
            fresh, _ = read(b, appt.id)
            if fresh is not None and fresh.status == Status.CANCELLED.value:
                paid = SimpleNamespace(id=pay.intent, status="succeeded", amount=money.amount_cents)
                refund_late_payment(b, fresh, paid, now)
        return False
    except (payments.EventSeen, payments.MoneyExists):
        return False
    logger().info("booking paid", extra={"appointment_id": appt.id, "kind": pay.kind})
    return True


def _refill(b: Business, appt: Appointment, now: datetime) -> RefillCount | None:
    """A booking from a waitlist offer, paid now: the offer's refill (docs/kpis.md), which
    the paying transaction counts; until paid it is none."""
    from chalicelib.domain.waitlist import refill_of
    from chalicelib.store import waitlist

    offer = waitlist.get_offer(b.id, appt.waitlist_offer) if appt.waitlist_offer else None
    return refill_of(offer, appt.price_cents, b.config.tz, now) if offer else None


def confirm_from_event(
    b: Business, appt: Appointment, parked: list[Message], pay: BookingPayment, now: datetime, event: tuple[str, str]
) -> bool:
    """The webhook's confirmation, with the booking and parked messages it read."""
    money = _charge_record(appt, pay, now) if pay.kind in CHARGED_KINDS else None
    return _confirm(b, appt, pay, money, now, parked, event)


# A declined card leaves the time hers to try another card, while the hold lasts, until
# this many have been declined: the last frees it at once (a stolen cards' tester gets a
# few tries per hold, not a free run of them).
CARD_TRIES = 3


def _declined(
    b: Business, appt: Appointment, pay: BookingPayment, now: datetime, parked: list[Message]
) -> dict[str, Any]:
    """The card was declined: the time stays hers for another card (a 402 with the new
    card's client secret), or, the last try or the hold over, no booking and the time free
    again at once."""
    tries = pay.declines + 1
    if tries < CARD_TRIES and appt.hold_until is not None and now < appt.hold_until:
        secret = _another_card(b, appt, replace(pay, declines=tries), now)
        if secret is not None:
            raise PaymentDeclined(
                "The card was declined. The time is still held: pay with another card (client_secret).",
                code="card_declined_try_another",
                details={
                    "client_secret": secret,
                    "hold_until": iso_local(appt.hold_until, b.config.tz),
                    "tries_left": CARD_TRIES - tries,
                },
                key="card_declined_try_another",
            )
    release(b, appt, replace(pay, state=PayState.DECLINED.value, declines=tries), now, PAYMENT_DECLINED, parked=parked)
    raise PaymentDeclined(
        "The card was declined and the time was released. Please book again with another card.",
        key="payment_declined",
    )


def _another_card(b: Business, appt: Appointment, pay: BookingPayment, now: datetime) -> str | None:
    """A new SetupIntent for the held booking (its customer's; keyed by the try, so a
    repeated call makes no second one), written in place of the declined one: its client
    secret. If another call on the same decline wrote first, that one's; None if the hold
    ended meanwhile."""
    account = Account(b.id)
    _, setup, secret = account.start_card_setup(f"{appt.id}:card{pay.declines}", appt.id, appt.client_id, pay.customer)
    try:
        store.another_card(appt, replace(pay, setup_intent=setup, payment_method=None, intent=None), now)
    except store.HoldGone:
        fresh, _ = read(b, appt.id)
        now_pay = fresh.payment if fresh is not None else None
        if fresh is None or fresh.status != Status.PENDING_PAYMENT.value or now_pay is None or not now_pay.setup_intent:
            return None
        return str(account.setup_intent(now_pay.setup_intent).client_secret)
    logger().info("card declined, another asked for", extra={"appointment_id": appt.id, "declines": pay.declines})
    return str(secret)


def release(
    b: Business,
    appt: Appointment,
    pay: BookingPayment,
    now: datetime,
    reason: str,
    event: tuple[str, str] | None = None,
    parked: list[Message] | None = None,
) -> bool:
    # Every way an unpaid hold ends (declined, ran out, a late webhook) frees the time here,
    # recorded in the release's own transaction (it ends a hold once: the key is the booking's).
    from chalicelib.services.waitlist import refill

    # Booked from a waitlist offer: her entry is opened again by the same item, before its
    # time is offered (done again if anything fails after this commit).
    unpaid = (appt.waitlist_offer, appt.id) if appt.waitlist_offer else None
    freed = refill.freed(
        b, f"{appt.id}#unpaid", [(appt.staff_id, appt.start, appt.occupied_until)], now, unpaid_offer=unpaid
    )
    try:
        store.release(appt, pay, appt.days(b.config.tz), now, reason, event, parked or [], freed)
    except (store.HoldGone, payments.EventSeen):
        return False
    logger().info("hold released", extra={"appointment_id": appt.id, "reason": reason})
    refill.offer_freed(b, freed, now)
    if appt.reward_id:  # back on her card: kept only if her stamps still cover it
        from chalicelib.services import loyalty

        loyalty.after_give_back(b, appt, now)
    return True


def _after(b: Business, appt: Appointment, booked: bool = False) -> dict[str, Any]:
    """What the page shows once the hold has ended one way or another."""
    from chalicelib.store import bookings

    if booked:
        return {"status": Status.BOOKED.value, "next": "done"}
    fresh = bookings.get_appointment(appt.business_id, appt.id) or appt
    if fresh.status == Status.CANCELLED.value and fresh.payment and fresh.payment.refunded_cents:
        return {"status": fresh.status, "next": "refunded", "refunded_cents": fresh.payment.refunded_cents}
    if fresh.status == Status.CANCELLED.value:
        return {"status": fresh.status, "next": "expired"}
    return {"status": fresh.status, "next": "done"}


def refund_late_payment(b: Business, appt: Appointment, intent: Any, now: datetime) -> bool:
    """A payment that went through after its hold ran out: all of it goes back, once
    (the refund's idempotency key and the conditional record), and the client is told."""
    pay = appt.payment
    if pay is None or intent.status != "succeeded" or pay.refunded_cents:
        return False
    amount = int(intent.amount)
    refund = Account(b.id).refund(appt.id, intent.id, amount, "late")
    money = MoneyRecord(
        business_id=appt.business_id,
        appointment_id=appt.id,
        client_id=appt.client_id,
        kind="refund-late",
        amount_cents=amount,
        state="succeeded",
        created_at=now,
        intent=refund.id,
        note="paid after the hold expired",
    )
    from chalicelib.services.payments import notices

    told = notices.plan(b, appt, "late_refund", amount, now)  # and she is told so

    def refunded(a: Appointment) -> list[Message]:
        back = replace(a.payment or pay, intent=intent.id, paid_cents=amount, refunded_cents=amount)
        return payments.record_money(money, now, payment=(a, back), messages=told, lease=outbox.IMMEDIATE_LEASE)

    try:
        sent = payments.fresh_payment(appt, refunded)
    except payments.MoneyExists:
        return False
    outbox.deliver(sent, now)
    logger().info("late payment refunded", extra={"appointment_id": appt.id})
    return True


def expire(b: Business, appt: Appointment, now: datetime) -> str | None:
    """A payment hold that ran out (the hold_expiry job): settled with Stripe's own word
    first — a payment that went through confirms the booking (a missed webhook) — and
    otherwise released, its time freed. "confirmed", "expired", or None: it had ended
    meanwhile (another run, the pay page, the webhook)."""
    fresh, parked = read(b, appt.id)
    if fresh is None or fresh.status != Status.PENDING_PAYMENT.value or fresh.payment is None:
        return None
    try:
        outcome = finish(b, fresh, now, parked)
    except (PaymentDeclined, Conflict):
        outcome = None
    except Exception:  # Stripe unreachable: the hold still ends on time
        logger().exception("hold reconcile failed", extra={"appointment_id": appt.id})
        outcome = None
    if outcome and outcome.get("next") == "done":
        return "confirmed"
    fresh, parked = read(b, appt.id)
    if fresh is None or fresh.status != Status.PENDING_PAYMENT.value or fresh.payment is None:
        return None
    expired = replace(fresh.payment, state=PayState.EXPIRED.value)
    return "expired" if release(b, fresh, expired, now, PAYMENT_EXPIRED, parked=parked) else None
