"""Fees charged to the card on file, refunds, and the owner's say over both.

A no-show marked by the owner, or a late cancellation the owner charges, becomes one
off-session PaymentIntent (a merchant-initiated transaction) per booking and kind: the
Stripe idempotency key is booking + kind, and the record of it a conditional put. If the
bank asks the client to authenticate, the fee stays open and she gets a pay link; the
owner may waive it (audited, with a reason). Cancelled inside the free window, the
deposit goes back by itself; the owner may refund all or part (audited).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib import links
from chalicelib.domain import payments as rules
from chalicelib.domain.booking import Appointment
from chalicelib.domain.config import Business
from chalicelib.domain.payments import FeeKind, MoneyRecord
from chalicelib.errors import Conflict, ValidationFailed
from chalicelib.notify.outbox import IMMEDIATE_LEASE, deliver
from chalicelib.observability import logger
from chalicelib.services.payments import notices
from chalicelib.services.payments.stripe_account import Account, PaymentDeclined
from chalicelib.store import payments as store


def money_view(m: MoneyRecord, tz: Any) -> dict[str, Any]:
    from chalicelib.domain.timeutil import iso_local

    return {
        "appointment_id": m.appointment_id,
        "kind": m.kind,
        "amount_cents": m.amount_cents,
        "state": m.state,
        "at": iso_local(m.created_at, tz),
        "note": m.note,
    }


def charge_fee(b: Business, appt: Appointment, kind: FeeKind, now: datetime) -> MoneyRecord | None:
    """The fee of the terms the client accepted, charged off-session once. None: nothing
    to charge (no card on file, no fee in the terms, or the deposit covers it)."""
    pay = appt.payment
    if pay is None or not pay.payment_method or not pay.customer:
        return None
    found = store.get_money(b.id, appt.id, kind.value)
    if found is not None:  # once per booking and kind
        return found
    amount = rules.fee_cents(pay.accepted_terms(), appt.price_cents, kind, pay.kept_cents)
    if amount <= 0:
        return None
    state = "succeeded"
    try:
        intent = Account(b.id).charge(
            appt.id,
            kind.value,
            amount,
            b.config.currency,
            pay.customer,
            pay.payment_method,
            appt.client_id,
            off_session=True,
        )
        intent_id = intent.id
        if intent.status != "succeeded":
            state = "open"  # the bank asks her to authenticate: a pay link
    except PaymentDeclined:
        intent_id, state = None, "open"
    money = MoneyRecord(
        business_id=b.id,
        appointment_id=appt.id,
        client_id=appt.client_id,
        kind=kind.value,
        amount_cents=amount,
        state=state,
        created_at=now,
        intent=intent_id,
    )
    fees = {**pay.fees, kind.value: state}
    fee_cents = {**pay.fee_cents, kind.value: amount}
    paid = pay.paid_cents + (amount if state == "succeeded" else 0)
    # Her bank wants her to confirm: she gets the pay link by email and SMS.
    told = (
        notices.plan(b, appt, "fee_open", amount, now, kind.value, fee_pay_url(b, appt, kind.value))
        if state == "open"
        else []
    )
    try:
        sent = store.record_money(
            money,
            now,
            payment=(appt, replace(pay, fees=fees, fee_cents=fee_cents, paid_cents=paid)),
            messages=told,
            lease=IMMEDIATE_LEASE,
        )
    except store.MoneyExists:
        return store.get_money(b.id, appt.id, kind.value)
    deliver(sent, now)
    logger().info("fee charged", extra={"appointment_id": appt.id, "kind": kind.value, "state": state})
    return money


def fee_pay_url(b: Business, appt: Appointment, kind: str) -> str:
    return links.pay_url(links.manage_token(b.id, appt.id, appt.end)) + f"?fee={kind}"


def waive_fee(b: Business, appt: Appointment, kind: str, reason: str, now: datetime) -> MoneyRecord:
    found = store.get_money(b.id, appt.id, kind)
    if found is None or found.state != "open":
        raise Conflict("There is no open fee of this kind to waive.", code="no_open_fee")
    if not store.settle_money(found, "waived", now, reason):
        raise Conflict("The fee changed meanwhile; reload and try again.", code="fee_changed")
    if appt.payment is not None:
        store.set_payment(appt, replace(appt.payment, fees={**appt.payment.fees, kind: "waived"}), now)
    return replace(found, state="waived", note=reason)


def refund(
    b: Business, appt: Appointment, amount_cents: int | None, now: datetime, reason: str | None = None
) -> MoneyRecord | None:
    """Give back `amount_cents` (None: all not yet refunded) of the deposit or prepayment."""
    pay = appt.payment
    if pay is None or not pay.intent or pay.refundable_cents <= 0:
        if amount_cents is None:
            return None
        raise Conflict("Nothing was paid for this booking that could be refunded.", code="nothing_to_refund")
    most = pay.refundable_cents
    amount = most if amount_cents is None else amount_cents
    if not 0 < amount <= most:
        raise ValidationFailed(f"A refund is 1 to {most} cents.", fields={"amount_cents": f"1..{most}"})
    ref = f"{pay.refunded_cents}-{amount}"  # the same refund asked twice is made once
    made = Account(b.id).refund(appt.id, pay.intent, amount, ref)
    money = MoneyRecord(
        business_id=b.id,
        appointment_id=appt.id,
        client_id=appt.client_id,
        kind=f"refund-{ref}",
        amount_cents=amount,
        state="succeeded",
        created_at=now,
        intent=made.id,
        note=reason,
    )
    try:
        store.record_money(money, now, payment=(appt, replace(pay, refunded_cents=pay.refunded_cents + amount)))
    except store.MoneyExists:
        return None
    return money


def refund_on_cancel(b: Business, appt: Appointment, now: datetime) -> int:
    """What her cancelling at `now` gives back of what she paid (after_cancellation does
    it; the manage page and the cancellation message say it): everything until the free
    deadline, later what the accepted terms give back (rules.refund_on_cancel_cents)."""
    pay = appt.payment
    if pay is None or pay.refundable_cents <= 0:
        return 0
    return rules.refund_on_cancel_cents(
        pay.accepted_terms(),
        appt.start,
        now,
        pay.refundable_cents,
        appt.price_cents,
        pay.kind,
        appt.created_at,
        b.config.rules.change_grace_minutes,
    )


def after_cancellation(b: Business, appt: Appointment, now: datetime) -> MoneyRecord | None:
    """Cancelled: until the free deadline (the grace after a late booking included) what
    she paid goes back by itself; later a deposit is kept, and of a prepayment what is
    above the late-cancellation fee of the accepted terms goes back (rules.refund_on_cancel_cents)."""
    pay = appt.payment
    back = refund_on_cancel(b, appt, now)
    if pay is None or not back:
        return None
    grace = b.config.rules.change_grace_minutes
    free = now < rules.free_until(appt.start, pay.accepted_terms(), appt.created_at, grace)
    why = "cancelled inside the free window" if free else "cancelled late: prepaid above the late-cancellation fee"
    return refund(b, appt, back, now, why)


def settle_paid_fee(b: Business, appt: Appointment, kind: str, now: datetime) -> bool:
    """An open fee she confirmed with her bank (Stripe's word, the webhook): paid, once."""
    found = store.get_money(b.id, appt.id, kind)
    if found is None or appt.payment is None or not store.settle_money(found, "succeeded", now):
        return False
    pay = appt.payment
    store.set_payment(
        appt, replace(pay, fees={**pay.fees, kind: "succeeded"}, paid_cents=pay.paid_cents + found.amount_cents), now
    )
    return True
