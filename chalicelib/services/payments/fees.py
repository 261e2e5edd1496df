"""Fees charged to the card on file, refunds, and the owner's say over both.

A no-show marked by the owner, or a late cancellation the owner charges, becomes one
off-session PaymentIntent (a merchant-initiated transaction) per booking and kind — and
round: a no-show undone gives its fee back and ends its round, so marked again it is
charged anew (domain/payments.py fee_key) —: the Stripe idempotency key is booking + the
round's key, and the record of it a conditional put. If the
bank asks the client to authenticate, the fee stays open and she gets a pay link; the
owner may waive it (audited, with a reason). A fee charged at once is told to her in the
record's own transaction, once (notices.fee_charged). Cancelled inside the free window, the
deposit goes back by itself — owed from the cancellation's own commit, so a refund the
cancellation message promises is made even when Stripe cannot be reached at that moment
(owed_on_cancel below); the owner may refund all or part (audited).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib import links
from chalicelib.domain import payments as rules
from chalicelib.domain.booking import BY_CLIENT, Appointment, Status
from chalicelib.domain.config import Business
from chalicelib.domain.messages import Message, MessageStatus, Outcome, PlannedMessage, after_attempt, queued
from chalicelib.domain.payments import BookingPayment, FeeKind, FeeState, MoneyRecord, fee_of_refund, fee_refund_ref
from chalicelib.errors import Conflict, Unavailable, ValidationFailed
from chalicelib.notify.outbox import IMMEDIATE_LEASE, backoff, deliver
from chalicelib.observability import count_message, logger
from chalicelib.services.payments import notices
from chalicelib.services.payments.stripe_account import Account, PaymentDeclined, PaymentsUnavailable, RefundRefused
from chalicelib.store import bookings
from chalicelib.store import outbox as outbox_store
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


# Why a fee's event did not happen (fee_refusal): the reason POST /fees gives with its 409.
NOT_NO_SHOW = "not_no_show"  # a no-show fee on a visit not marked no-show
NOT_CANCELLED = "not_cancelled"  # a late-cancellation fee on a visit not cancelled
NEVER_BOOKED = "never_booked"  # its hold ended unconfirmed or unpaid: never a booking
SALON_CANCELLED = "salon_cancelled"  # the salon cancelled it: not hers to pay for
CANCELLED_IN_TIME = "cancelled_in_time"  # she cancelled before the free deadline of her terms
GIVEN_BACK = "given_back"  # charged once and given back (a no-show undone, the owner's refund)
GAVE_BACK_ON_CANCEL = "refunded_on_cancel"  # the desk cancelled giving all she paid back
DEPOSIT_GIVEN_BACK = "deposit_given_back"  # the owner gave back of the deposit her late cancellation kept


def fee_refusal(b: Business, appt: Appointment, kind: FeeKind) -> str | None:
    """Why the fee of `kind` is not the client's to pay (a reason above), or None: its
    event happened. A no-show fee only for a visit marked no-show; a late-cancellation
    fee only for a booking she cancelled (by her link, or the desk for her: `by`
    client) at or after the free deadline of the terms she accepted — the deadline that
    decides what her cancellation gives back (rules.free_until, the grace after a late
    booking included) — and not one the desk cancelled giving all she paid back
    (`cancel_gave_back`: the salon let its cost go). A fee given back while its event stands (the owner's refund) is
    not charged again; an undo of its event (a no-show mark undone) ends its round, and
    the event happening again is charged in a round of its own (rules.fee_key)."""
    if appt.payment is not None and appt.payment.fee_state(kind.value) in (
        FeeState.REFUNDING.value,
        FeeState.REFUNDED.value,
    ):
        return GIVEN_BACK
    if kind == FeeKind.NO_SHOW:
        return None if appt.status == Status.NO_SHOW.value else NOT_NO_SHOW
    if appt.status != Status.CANCELLED.value:
        return NOT_CANCELLED
    if appt.never_booked:
        return NEVER_BOOKED
    if appt.cancelled_by_salon:
        return SALON_CANCELLED
    if appt.cancel_gave_back:
        return GAVE_BACK_ON_CANCEL
    pay = appt.payment
    terms = pay.accepted_terms() if pay is not None else rules.CancellationTerms()
    deadline = rules.free_until(appt.start, terms, appt.created_at, b.config.rules.change_grace_minutes)
    if appt.cancelled_at is None or appt.cancelled_at < deadline:
        return CANCELLED_IN_TIME
    # The owner's refund of what her late cancellation kept is goodwill: the fee counts
    # what the salon keeps, so charged after it, the fee would take the refund back and
    # more than her message named (a walk: 31,80 € named, 51,80 € asked of her).
    if pay is not None and pay.deposit_refunded_cents + pay.deposit_owed_cents > rules.late_cancel_refund_cents(
        terms, pay.deposit_cents, appt.price_cents, pay.kind
    ):
        return DEPOSIT_GIVEN_BACK
    return None


def chargeable_cents(b: Business, appt: Appointment, kind: FeeKind, kept_cents: int | None = None) -> int:
    """What charging the fee of `kind` to her saved card would take now (charge_fee's
    amount): the fee of the terms she accepted less what the salon keeps of her money
    (`kept_cents`, else the payment's); 0 when nothing can be charged — no card on file,
    the fee charged (or waived) already, or its event did not happen (fee_refusal). The
    owner's calendar shows it (admin/calendar.py chargeable_cents); her pages and the
    cancellation message say it as what the salon may still charge (late_fee_if_cancelled)."""
    pay = appt.payment
    if pay is None or not pay.card_saved or pay.fee_state(kind.value) is not None:
        return 0
    if fee_refusal(b, appt, kind) is not None:
        return 0
    kept = pay.kept_cents if kept_cents is None else kept_cents
    return rules.fee_cents(pay.accepted_terms(), appt.price_cents, kind, kept)


def late_fee_if_cancelled(
    b: Business, appt: Appointment, now: datetime, back_cents: int = 0, give_back: bool = False
) -> int:
    """What the salon may still charge her card for a late cancellation if she cancels
    `appt` at `now` (by her link, or the desk for her; `give_back`: the desk giving all
    back) and gets `back_cents` back: the amount its calendar then offers to charge
    (chargeable_cents). A visit already cancelled: what it offers now."""
    pay = appt.payment
    if pay is None:
        return 0
    if appt.status == Status.CANCELLED.value:
        return chargeable_cents(b, appt, FeeKind.LATE_CANCEL)
    cancelled = replace(
        appt, status=Status.CANCELLED.value, cancelled_at=now, cancelled_by=BY_CLIENT, cancel_gave_back=give_back
    )
    return chargeable_cents(b, cancelled, FeeKind.LATE_CANCEL, pay.kept_cents - back_cents)


def charge_fee(b: Business, appt: Appointment, kind: FeeKind, now: datetime) -> MoneyRecord | None:
    """The fee of the terms the client accepted, charged off-session once. None: nothing
    to charge (no card on file, no fee in the terms, or the deposit covers it). A fee
    whose event did not happen (fee_refusal) is refused: Conflict, nothing charged."""
    why = fee_refusal(b, appt, kind)
    if why is not None:
        raise Conflict(_REFUSALS[why], code=why if why == SALON_CANCELLED else "no_fee", details={"reason": why})
    pay = appt.payment
    if pay is None or not pay.payment_method or not pay.customer:
        return None
    key = pay.fee_key(kind.value)  # the round: a fee given back by an undo is charged anew
    found = store.get_money(b.id, appt.id, key)
    if found is not None:  # once per booking and round of the kind
        return found
    amount = rules.fee_cents(pay.accepted_terms(), appt.price_cents, kind, pay.kept_cents)
    if amount <= 0:
        return None
    state = "succeeded"
    try:
        intent = Account(b.id).charge_card_on_file(appt, pay, key, amount, b.config.currency)
        intent_id = intent.id
        if intent.status != "succeeded":
            state = "open"  # the bank asks her to authenticate: a pay link
    except PaymentDeclined:
        intent_id, state = None, "open"
    money = MoneyRecord(
        business_id=b.id,
        appointment_id=appt.id,
        client_id=appt.client_id,
        kind=key,
        amount_cents=amount,
        state=state,
        created_at=now,
        intent=intent_id,
    )
    # Her bank wants her to confirm: she gets the pay link by email and SMS. Charged: she
    # is told so (email, else SMS), once: the message is written with the fee's record.
    told = (
        notices.plan(b, appt, "fee_open", amount, now, key, fee_pay_url(b, appt, key))
        if state == "open"
        else notices.fee_charged(b, appt, key, amount, now)
    )

    # What was recorded: the charge, or — its no-show undone while Stripe charged it — the
    # charge given back (owed, held here) or, open, waived.
    recorded: list[MoneyRecord] = [money]
    owed: list[Message] = []

    def charged(a: Appointment) -> list[Message]:
        p = a.payment or pay
        fees = {**p.fees, key: state}
        fee_cents = {**p.fee_cents, key: amount}
        paid = p.paid_cents + (amount if state == "succeeded" else 0)
        after = replace(p, fees=fees, fee_cents=fee_cents, paid_cents=paid)
        if kind != FeeKind.NO_SHOW or a.status == Status.NO_SHOW.value:
            # Written only while the visit is as read: a no-show undone meanwhile fails it,
            # and the fresh read takes the branch below.
            recorded[:], owed[:] = [money], []
            payment = (a, after)
            return store.record_money(money, now, payment=payment, messages=told, lease=IMMEDIATE_LEASE, as_read=True)
        # The no-show was undone while Stripe charged its fee: never a fee kept on a visit
        # that is not a no-show. Recorded (Stripe made it) and given back in the same
        # transaction, as the undo gives back a fee it finds (owed_on_no_show_undone; open:
        # waived, as waived_on_no_show_undone does) — the undo gave it back, so its round ends.
        if state == "succeeded" and intent_id:
            planned = _owed_message(b, a, fee_refund_ref(key), amount, intent_id, NO_SHOW_UNDONE, now)
            held = queued(planned, now, OWED_LEASE)
            back = replace(
                after,
                fees={**fees, key: FeeState.REFUNDING.value},
                refund_owed_cents=after.refund_owed_cents + amount,
            )
            recorded[:], owed[:] = [money], [held]
            payment = (a, back.next_fee_round(kind.value))
            return store.record_money(money, now, payment=payment, owed=held, as_read=True)
        waived = replace(money, state=FeeState.WAIVED.value, note=NO_SHOW_UNDONE)
        let_go = replace(after, fees={**fees, key: FeeState.WAIVED.value}).next_fee_round(kind.value)
        cancel = cancel_let_go(b, a, money, now)
        recorded[:], owed[:] = [waived], [cancel] if cancel is not None else []
        return store.record_money(waived, now, payment=(a, let_go), as_read=True, owed=cancel)

    try:
        sent = store.fresh_payment(appt, charged)
    except store.MoneyExists:
        return store.get_money(b.id, appt.id, key)
    deliver(sent, now)
    for m in owed:
        make_owed(b, m, now)
    done = recorded[0]
    logger().info(
        "fee charged", extra={"appointment_id": appt.id, "kind": key, "state": done.state, "owed": bool(owed)}
    )
    return done


_REFUSALS = {
    NOT_NO_SHOW: "No fee to charge: the visit is not marked no-show.",
    NOT_CANCELLED: "No fee to charge: the visit is not cancelled, and a late-cancellation fee is only for a late cancellation.",
    NEVER_BOOKED: "No fee to charge: the booking was never confirmed.",
    SALON_CANCELLED: "The salon cancelled this visit: there is no late-cancellation fee to charge.",
    CANCELLED_IN_TIME: "No fee to charge: the client cancelled in time, before the free deadline of her terms.",
    GIVEN_BACK: "No fee to charge: this fee was charged once and given back to her.",
    GAVE_BACK_ON_CANCEL: "No fee to charge: the visit was cancelled with everything she paid given back.",
    DEPOSIT_GIVEN_BACK: "No fee to charge: the salon gave back of the deposit her late cancellation kept.",
}


def fee_pay_url(b: Business, appt: Appointment, kind: str) -> str:
    return links.pay_url(links.manage_token(b.id, appt.id, appt.end)) + f"?fee={kind}"


def waive_fee(b: Business, appt: Appointment, kind: str, reason: str, now: datetime) -> MoneyRecord:
    """Let an open fee go: the round its key names (`no_show`, `no_show.r1`: rules.fee_key,
    as the owner's API shows it), and its PaymentIntent cancelled at Stripe right after
    (cancel_let_go: owed from the waiver's commit, the sweeper's if Stripe cannot be
    reached) — the fee's record, the booking's payment and that item in one transaction
    (store.waive_open_fee). The owner's waiver keeps the fee's round (an undo's waiver ends
    it, in the undo's own transaction: waived_on_no_show_undone)."""
    parsed = rules.parse_fee_key(kind)  # read strictly: anything else is no such fee
    if parsed is None:
        raise Conflict("There is no open fee of this kind to waive.", code="no_open_fee")
    found = store.get_money(b.id, appt.id, kind)
    if found is None or found.state != "open":
        raise Conflict("There is no open fee of this kind to waive.", code="no_open_fee")
    cancel = cancel_let_go(b, appt, found, now)  # its PaymentIntent, cancelled at Stripe after the commit

    def waived(a: Appointment) -> bool:
        # One write: the fee's record (only from `open`: paid meanwhile, nothing is written
        # and her payment stands), the booking's payment saying so, and the cancel's item —
        # a request dying after it never leaves the payment `open` (fee_owed, a pay link).
        p = a.payment
        after = (a, replace(p, fees={**p.fees, kind: FeeState.WAIVED.value})) if p is not None else None
        return store.waive_open_fee(found, reason, after, cancel, now)

    try:
        written = store.fresh_payment(appt, waived)
    except store.PaymentChanged:  # a busy booking: nothing written
        raise Conflict("The booking was changed meanwhile; reload and try again.", code="booking_changed") from None
    if not written:
        raise Conflict("The fee changed meanwhile; reload and try again.", code="fee_changed")
    make_owed(b, cancel, now)
    return replace(found, state="waived", note=reason)


def _refund_kind(ref: str) -> str:
    return f"refund-{ref}"


def _refund_record(
    appt: Appointment, ref: str, amount: int, stripe_id: str, note: str | None, now: datetime
) -> MoneyRecord:
    """A refund Stripe made, as its money record (kind `refund-<ref>`: once per booking and ref)."""
    return MoneyRecord(
        business_id=appt.business_id,
        appointment_id=appt.id,
        client_id=appt.client_id,
        kind=_refund_kind(ref),
        amount_cents=amount,
        state="succeeded",
        created_at=now,
        intent=stripe_id,
        note=note,
    )


def refund(
    b: Business,
    appt: Appointment,
    amount_cents: int | None,
    now: datetime,
    reason: str | None = None,
    fee: str | None = None,
) -> MoneyRecord | None:
    """Give back `amount_cents` (None: all not yet refunded) of the deposit or prepayment;
    with `fee` (a fee's key: rules.fee_key), that fee collected, whole, on its own payment
    (refund_fee)."""
    if fee is not None:
        return refund_fee(b, appt, fee, amount_cents, now, reason)
    pay = appt.payment
    if pay is None or not pay.intent or pay.refundable_cents <= 0:
        if amount_cents is None and pay is not None and pay.deposit_owed_cents:  # all of it, on its way back
            raise _in_progress()
        if amount_cents is None and pay is not None and pay.refunded_cents > 0:
            return None  # all of it given back already (the caller's refund_made)
        raise Conflict("Nothing was paid for this booking that could be refunded.", code="nothing_to_refund")
    amount = pay.refundable_cents if amount_cents is None else amount_cents
    _refundable(pay, amount, amount_cents)

    def owed(p: BookingPayment) -> BookingPayment:
        _refundable(p, amount, amount_cents)
        return replace(p, refund_owed_cents=p.refund_owed_cents + amount)

    return _reserved_then_made(b, appt, _new_refund_ref(b, appt, amount), amount, pay.intent, reason, now, owed)


def _reserved_then_made(
    b: Business,
    appt: Appointment,
    ref: str,
    amount: int,
    intent: str,
    reason: str | None,
    now: datetime,
    owed: Callable[[BookingPayment], BookingPayment],
    context: dict[str, Any] | None = None,
) -> MoneyRecord | None:
    """The owner's refund under `ref` (of the deposit: refund; of a fee: refund_fee), reserved
    first: owed on the booking's payment (`owed`: the payment as read with it owed, raising
    her 4xx when it no longer fits — checked again on every attempt, each from a fresh
    read), with the outbox item that makes it (`context`: more for that item), in one write
    conditioned on the payment as read — so two refunds at the same moment never give back
    more than was paid, and a refund made at Stripe is never left unrecorded: made right
    after (make_owed), by the sweeper if Stripe cannot be reached or the request dies.
    Its record; state `pending` while owed; None: made already (its record exists)."""
    planned = _owed_message(b, appt, ref, amount, intent, reason or "", now)
    if context:
        planned = replace(planned, context={**planned.context, **context})
    held = queued(planned, now, OWED_LEASE)
    pay = appt.payment

    def reserved(a: Appointment) -> bool:
        p = a.payment or pay
        assert p is not None  # the caller read a payment
        return store.owe_refund(held, (a, owed(p)), now)

    try:
        written = store.fresh_payment(appt, reserved, attempts=BUSY_ATTEMPTS)
    except store.PaymentChanged:  # a busy booking: nothing was reserved, nothing asked of Stripe
        raise Conflict("The booking was changed meanwhile; reload and try again.", code="booking_changed") from None
    if not written:  # the same refund asked twice (a double tap): one refund, already under way
        if refund_made(b, appt.id, ref) is not None:
            return None
        raise _in_progress()
    made = make_owed(b, held, now, owners=True)  # refused by Stripe at once: her 409, nothing owed
    found = refund_made(b, appt.id, ref) if made == "sent" else None
    if made == "sent" and found is None:
        return None  # Stripe had nothing left to give back (another refund took it)
    # Not made yet (Stripe unreachable, its write lost to a busy booking): owed, on its way.
    return found or replace(_refund_record(appt, ref, amount, "", reason, now), state=PENDING, intent=None)


def _in_progress() -> Conflict:
    """The owner's refund asked again while it is reserved and being made (a double tap)."""
    return Conflict("This refund is being made already; reload to see it.", code="refund_in_progress")


BUSY_ATTEMPTS = 4  # writes of a busy booking's payment, each from a fresh read (fresh_payment)
PENDING = "pending"  # the owner's refund owed and not made yet: what her answer's `state` says


def _refundable(pay: BookingPayment, amount: int, asked: int | None) -> None:
    """A refund of `amount` fits in what `pay` can still give back (refundable_cents:
    neither refunded nor owed back), else a 422 naming what can (`asked`: the owner's
    amount; None, all of it — then what is left changed under her: a 409)."""
    most = pay.refundable_cents
    if 0 < amount <= most:
        return
    if most <= 0:
        raise Conflict("Nothing was paid for this booking that could be refunded.", code="nothing_to_refund")
    if asked is None:
        raise Conflict("The booking was changed meanwhile; reload and try again.", code="booking_changed")
    raise ValidationFailed(f"A refund is 1 to {most} cents.", fields={"amount_cents": f"1..{most}"})


def refund_fee(
    b: Business, appt: Appointment, kind: str, amount_cents: int | None, now: datetime, reason: str | None
) -> MoneyRecord | None:
    """The owner gives back a fee collected (a late-cancellation or no-show fee: the round
    its key names, `no_show`, `no_show.r1`, …: rules.fee_key), whole, on the fee's own
    PaymentIntent. Reserved before Stripe is asked, as her refund of the deposit is
    (_reserved_then_made: the fee `refunding` and owed, with its outbox item, in one write),
    then made and recorded as `refund-fee-<key>`, the fee `refunded` on the booking's
    payment (Stripe unreachable: owed, the sweeper's under the same key: state `pending`).
    A refund of it that failed at Stripe (the owner's, or an undo's: a round before the
    current one) is settled the same way, with a ref of its own (`fee-<key>-n<attempt>`,
    attempt 1 and up: never the failed refund's key). None: made already (its record exists)."""
    pay = appt.payment
    most = pay.fee_refundable_cents(kind) if pay is not None else 0
    found = store.get_money(b.id, appt.id, kind)
    if pay is None or not most or found is None or not found.intent:
        raise _fee_not_refundable(pay, kind)
    if amount_cents is not None and amount_cents != most:
        raise ValidationFailed(
            f"A fee is refunded whole: {most} cents.", fields={"amount_cents": f"{most} (the fee) or none"}
        )
    was = pay.fees[kind]
    ref = _fee_ref(b, appt, kind)

    def owed(p: BookingPayment) -> BookingPayment:
        # The fee `refunding`, its amount owed (a refund of it that failed: owed again, no
        # longer failed), as an undo's refund of it is (owed_on_no_show_undone): a refund of
        # the deposit at the same moment is checked against the deposit alone.
        if p.fees.get(kind) != was or p.fee_refundable_cents(kind) != most:
            raise _fee_not_refundable(p, kind)
        failed = p.refund_failed_cents - (most if was == FeeState.REFUND_FAILED.value else 0)
        return replace(
            p,
            fees={**p.fees, kind: FeeState.REFUNDING.value},
            refund_owed_cents=p.refund_owed_cents + most,
            refund_failed_cents=max(0, failed),
        )

    # Reserved first and made as an owed refund is, the way her refund of the deposit is:
    # her `fee_refunded` message is written with the refund's record (make_owed).
    return _reserved_then_made(b, appt, ref, most, found.intent, reason, now, owed, {FEE_WAS: was})


def _fee_ref(b: Business, appt: Appointment, kind: str) -> str:
    """The ref of a refund of the fee `kind` asked now — the owner's (refund_fee) or an
    undo's (owed_on_no_show_undone), the same for both from the same read, so the two asked
    at the same moment are one refund at Stripe (_made_before). `fee-<key>` the first time;
    settling a refund of it that failed, or after one of the booking's refunds Stripe
    refused at once, a ref never used before (refused for good it left no record, Stripe
    replays a refused key's answer for 24 h, and a refused refund's outbox item stays under
    its ref): `fee-<key>-n<attempt>`, attempts counted from 1 past every refund the booking
    has recorded or Stripe refused."""
    pay = appt.payment
    again = pay is not None and (pay.fees.get(kind) == FeeState.REFUND_FAILED.value or pay.refunds_refused > 0)
    return fee_refund_ref(kind, _owner_refund_count(b, appt) + 1 if again else 0)


def _fee_not_refundable(pay: BookingPayment | None, kind: str) -> Conflict:
    """The fee `kind` is not there to refund: on its way back (her own refund of it reserved
    — a double tap —, or an undo's): 409 refund_in_progress; else nothing_to_refund."""
    if pay is not None and pay.fees.get(kind) == FeeState.REFUNDING.value:
        return _in_progress()
    return Conflict("No fee of this kind was collected that could be refunded.", code="nothing_to_refund")


FEE_WAS = "fee_was"  # the owner's refund of a fee: its state before (refused at once, it is again)


def _new_refund_ref(b: Business, appt: Appointment, amount: int) -> str:
    """The owner's refund's ref (its record `refund-<ref>` and its Stripe idempotency key):
    how many refunds the booking has had, and the amount. Asked twice before either is
    recorded (a double tap; a retry while it is owed) it is the same refund, reserved once
    (its owed item: refund) and made once; any refund recorded since, made or failed, or
    refused by Stripe (at once, or for good without a record), moves it on, so a new refund is never answered with an old one (a booking's
    refunded figures recur once a refund fails at Stripe, so they cannot name one)."""
    return f"n{_owner_refund_count(b, appt)}-{amount}"


def _of_owner(ref: str) -> bool:
    """Is `ref` an owner's refund of the deposit's (_new_refund_ref), or of a fee's with a
    ref of its own (_fee_ref: `fee-<key>-n<attempt>`, hers or an undo's after a refusal)?
    Failed for good it leaves no record: the refusal counts (refunds_refused), so the next
    refund's ref moves on."""
    return re.fullmatch(r"n[0-9]+-[0-9]+|fee-[a-z_.0-9]+-n[0-9]+", ref) is not None


def _owner_refund_count(b: Business, appt: Appointment) -> int:
    """How many refunds the booking has had: recorded (made, or failed later at Stripe), and
    the owner's that Stripe refused at once or for good (`refunds_refused`: no record, and
    Stripe answers a refused key with its refusal for 24 hours, so each one moves the count
    on and her next attempt is asked anew)."""
    refused = appt.payment.refunds_refused if appt.payment is not None else 0
    return len(store.refunds_of(b.id, appt.id)) + refused


def refund_on_cancel(b: Business, appt: Appointment, now: datetime, give_back: bool = False) -> int:
    """What her cancelling at `now` gives back of what she paid (the cancellation owes it:
    owed_on_cancel; the manage page and the cancellation message say it): everything until the free
    deadline, later what the accepted terms give back (rules.refund_on_cancel_cents);
    `give_back` (the desk's, when the salon cancels): everything still held. The salon's
    cancellation without it (a staff member's: money is the owner's) gives back by itself
    only what her terms would, yet keeps nothing under them: the rest is held for the owner
    to refund (the payment's mark `refund_due`), and her message says the salon will
    contact her about it (templates/_refund)."""
    pay = appt.payment
    if pay is None or pay.refundable_cents <= 0:
        return 0
    if give_back:
        return pay.refundable_cents
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


# --- the refund a cancellation owes: recorded with it, made right after, never lost --------------
# Cancelled: until the free deadline (the grace after a late booking included) what she
# paid goes back by itself; later a deposit is kept, and of a prepayment what is above the
# late-cancellation fee of the accepted terms goes back (rules.refund_on_cancel_cents).
# The cancellation's own transaction records what goes back as owed (the booking's
# payment, `refund_owed_cents`) with an outbox item that makes the refund, held by the
# request (owed_on_cancel); the request makes it right after the commit (make_owed). If
# Stripe cannot be reached, the item is due again after the outbox's backoff and the
# sweeper makes it (dispatch hands it to `handle`); if Stripe refuses it for good, or it
# is still not made after the outbox's attempts, it is failed: on the owner's list of
# failures, `refund_failed` on the visit's card, the alarm on failures for good.
CHANNEL = "stripe"  # outbox items that are not messages: a refund to make
OWED_REFUND = "refund_owed"
CANCEL_REF = "cancel"  # one cancellation per booking: its refund's record and Stripe key
OWED_LEASE = IMMEDIATE_LEASE  # the request's hold on the item; the sweeper's after it


CHECKOUT_REF = "checkout"  # a card-on-file checkout charged and not recorded: `checkout-<intent>`
CHECKOUT_LOST = "checked out while the visit changed: charged, not recorded"


def checkout_ref(intent_id: str) -> str:
    """The ref of the refund of a card-on-file checkout's charge (once per charge)."""
    return f"{CHECKOUT_REF}-{intent_id}"


def _of_checkout(ref: str) -> bool:
    return ref.startswith(f"{CHECKOUT_REF}-")


def give_back_checkout(b: Business, appt: Appointment, intent_id: str, amount: int, now: datetime) -> str | None:
    """A card-on-file checkout charged at Stripe whose record lost to another change of the
    visit (a no-show marked, a cancellation, another checkout: services/payments/checkout.py):
    the charge goes back at once, the same way a cancellation's refund does — an owed
    refund item (ref `checkout-<intent>`, the charge's own PaymentIntent) put first, made
    right after (make_owed), the sweeper's if Stripe cannot be reached, failed for good on
    the owner's list of failures. The booking's payment is not touched: the checkout's charge
    never counted in it. What came of it (make_owed), None if owed already."""
    planned = _owed_message(b, appt, checkout_ref(intent_id), amount, intent_id, CHECKOUT_LOST, now)
    held = queued(planned, now, OWED_LEASE)
    if not store.owe_refund(held):
        return None
    logger().warning("checkout charge owed back", extra={"appointment_id": appt.id, "amount_cents": amount})
    return make_owed(b, held, now)


def owed_refund_key(appointment_id: str, ref: str = CANCEL_REF) -> str:
    return f"{appointment_id}#refund#{ref}"


def _owed_message(
    b: Business, appt: Appointment, ref: str, amount: int, intent: str, why: str, now: datetime
) -> PlannedMessage:
    """The outbox item of a refund owed to her (kind `refund_owed`, channel `stripe`)."""
    return PlannedMessage(
        key=owed_refund_key(appt.id, ref),
        kind=OWED_REFUND,
        channel=CHANNEL,
        recipient=appt.id,
        locale=b.config.locale,
        # Not on her timeline (no client_id): erasing her must not stop her refund.
        context={"amount_cents": amount, "ref": ref, "intent": intent, "reason": why},
        due_at=now,
        business_id=b.id,
        appointment_id=appt.id,
    )


def owed_on_cancel(
    b: Business, appt: Appointment, now: datetime, give_back: bool = False
) -> tuple[BookingPayment, Message] | None:
    """What cancelling `appt` at `now` gives back, as the cancellation's transaction
    writes it: the booking's payment with the amount owed, and the outbox item that makes
    the refund (held by the caller: make_owed right after the commit). None: nothing goes
    back (no payment, or the terms keep it). `give_back`: all still held (refund_on_cancel)."""
    pay = appt.payment
    back = refund_on_cancel(b, appt, now, give_back)
    if pay is None or not back or not pay.intent:
        return None
    grace = b.config.rules.change_grace_minutes
    free = now < rules.free_until(appt.start, pay.accepted_terms(), appt.created_at, grace)
    why = (
        "cancelled at the desk: given back"
        if give_back
        else "cancelled inside the free window"
        if free
        else "cancelled late: prepaid above the late-cancellation fee"
    )
    planned = _owed_message(b, appt, CANCEL_REF, back, pay.intent, why, now)
    return replace(pay, refund_owed_cents=pay.refund_owed_cents + back), queued(planned, now, OWED_LEASE)


NO_SHOW_UNDONE = "the no-show mark was undone"


def owed_on_no_show_undone(b: Business, appt: Appointment, now: datetime) -> tuple[BookingPayment, Message] | None:
    """A no-show mark undone or corrected (booked, arrived, completed): the no-show fee
    she paid goes back, as the correction's transaction writes it — the fee `refunding`,
    its amount owed (`refund_owed_cents`), and the outbox item that makes the refund on
    the fee's own PaymentIntent (ref `fee-<key>`, as the owner's refund at the same moment
    has it: _fee_ref), held by the caller (make_owed right after the commit; the sweeper if
    Stripe cannot be reached).
    None: no fee of it was collected (an open one is waived instead: waived_on_no_show_undone)."""
    pay = appt.payment
    if pay is None:
        return None
    kind = pay.fee_key(FeeKind.NO_SHOW.value)
    if pay.fees.get(kind) != FeeState.SUCCEEDED.value:
        return None
    found = store.get_money(b.id, appt.id, kind)
    if found is None or not found.intent or found.state != "succeeded":
        return None
    amount = pay.fee_cents.get(kind, found.amount_cents)
    # A ref of its own after a refusal: the owner's refund of it that Stripe refused left
    # its item under `fee-<key>` (_fee_ref).
    planned = _owed_message(b, appt, _fee_ref(b, appt, kind), amount, found.intent, NO_SHOW_UNDONE, now)
    owed = replace(
        pay, fees={**pay.fees, kind: FeeState.REFUNDING.value}, refund_owed_cents=pay.refund_owed_cents + amount
    )
    # Its round is over: marked a no-show again, she is charged anew (rules.fee_key).
    return owed.next_fee_round(FeeKind.NO_SHOW.value), queued(planned, now, OWED_LEASE)


def waived_on_no_show_undone(
    b: Business, appt: Appointment, now: datetime
) -> tuple[tuple[BookingPayment, Message | None], tuple[MoneyRecord, str]] | None:
    """A no-show mark undone or corrected: its fee still open (her bank asked her to
    authenticate) is waived, so her pay link asks nothing more — as the correction's own
    transaction writes it (store/visits.py mark): the booking's payment with the fee
    `waived` and its round over (marked a no-show again, she is charged anew), and the
    fee's record with the waiver's note, waived only from `open`, and the outbox item that
    cancels its PaymentIntent at Stripe, held by the caller (make_owed right after the
    commit: cancel_let_go) — store/visits.py mark's `payment` and `waived`. None: no open
    fee (one collected is given back instead: owed_on_no_show_undone)."""
    pay = appt.payment
    if pay is None:
        return None
    kind = pay.fee_key(FeeKind.NO_SHOW.value)
    if pay.fees.get(kind) != FeeState.OPEN.value:
        return None
    found = store.get_money(b.id, appt.id, kind)
    if found is None or found.state != FeeState.OPEN.value:
        return None
    let_go = replace(pay, fees={**pay.fees, kind: FeeState.WAIVED.value})
    cancel = cancel_let_go(b, appt, found, now)
    return (let_go.next_fee_round(FeeKind.NO_SHOW.value), cancel), (found, NO_SHOW_UNDONE)


def make_owed(b: Business, m: Message | None, now: datetime, *, owners: bool = False) -> str | None:
    """Right after the cancellation's commit, by the request that holds `m`: make the
    refund (or, an item of a fee let go, cancel its PaymentIntent: cancel_let_go). Never raises (the cancellation happened): whatever fails is the sweeper's to
    finish, after a backoff, or after the item's lease if even that could not be written.
    What came of it (sent, retry, failed), None if nothing was owed or it broke.
    `owners`: the owner's own refund, reserved by her request (refund): refused by Stripe
    at once, it is no longer owed and RefundRefused is hers (409), not a failure to settle."""
    if m is None:
        return None
    try:
        return _make_owed(b, m, now, owners=owners)
    except RefundRefused:  # the owner's refund only (_make_owed): released, her 409
        raise
    except Exception:
        logger().exception("owed refund not made", extra={"appointment_id": m.appointment_id})
        return None


def refund_made(b: Business, appointment_id: str, ref: str) -> MoneyRecord | None:
    """The record of the booking's refund under `ref` (kind `refund-<ref>`: the same ref is
    the same Stripe key); None while it is not made (owed, or never asked)."""
    return store.get_money(b.id, appointment_id, _refund_kind(ref))


def handle(m: Message, now: datetime) -> str:
    """The sweeper's (or a repeated cancel's) turn at an owed refund: claimed with the
    outbox's conditional write (of two callers one gets it), then made. What came of it,
    in the sweeper's words."""
    from chalicelib.notify.dispatch import claim_work

    work = claim_work(m, now, OWED_LEASE)
    if isinstance(work, str):
        return work
    b, claimed = work
    try:
        return _make_owed(b, claimed, now)
    except Exception as e:  # the database, say: again after a backoff, as a failed send
        logger().exception("owed refund not made", extra={"appointment_id": m.appointment_id})
        if claimed.kind == CANCEL_LET_GO:
            return _cancel_tried(claimed, Outcome(MessageStatus.PENDING.value, error=type(e).__name__), now)
        appt = bookings.get_appointment(b.id, m.appointment_id or "")
        return _not_made(appt, claimed, Outcome(MessageStatus.PENDING.value, error=type(e).__name__), now)


def finish_owed(b: Business, appt: Appointment, now: datetime) -> Appointment:
    """A cancelled booking whose refund is still owed, cancelled again (her link, the
    desk): the refund is made now if its item is due (a backoff running is left to run:
    a client tapping again must not spend its attempts). The booking as it then stands."""
    if appt.payment is None or not appt.payment.refund_owed_cents:
        return appt
    m = outbox_store.get_message(b.id, owed_refund_key(appt.id))
    open_ = m is not None and m.status in (MessageStatus.PENDING.value, MessageStatus.SENDING.value)
    if m is None or not open_ or m.due_at > now or handle(m, now) in ("held", "taken"):
        return appt
    return bookings.get_appointment(b.id, appt.id) or appt


def _make_owed(b: Business, m: Message, now: datetime, *, owners: bool = False) -> str:
    """Make the refund `m` owes (the caller holds it) and record what came of it; an item
    of a fee let go: cancel its PaymentIntent (_cancel_let_go). `owners`: make_owed's."""
    if m.kind == CANCEL_LET_GO:
        return _cancel_let_go(b, m, now)
    appt = bookings.get_appointment(b.id, m.appointment_id or "")
    if appt is None or appt.payment is None:
        outbox_store.skip(m, "booking_gone", now)
        return "skipped"
    amount, ref = int(m.context["amount_cents"]), str(m.context["ref"])
    if _made_before(b, appt, m, ref, now):
        return "sent"
    try:
        made = _refund_what_is_left(b, appt, str(m.context["intent"]), amount, ref)
    except PaymentsUnavailable as e:  # Stripe down, throttling, the network: again later
        return _not_made(appt, m, Outcome(MessageStatus.PENDING.value, error=e.code), now)
    except RefundRefused as e:  # asking again changes nothing: the owner's to settle
        why = f"{e.code}: {e.details.get('stripe_code')}"
        if owners:  # her own refund, refused as she asked it: not owed any more, her 409
            _refused_at_once(appt, m, why, now)
            raise
        return _not_made(appt, m, Outcome(MessageStatus.FAILED.value, error=why), now)
    # What went back now: all that was owed, or what Stripe still had of it (the rest went
    # back by another refund — the owner's at the same moment — which records itself).
    back = int(made.amount) if made is not None else 0
    money = _refund_record(appt, ref, back, made.id, m.context.get("reason"), now) if made is not None else None
    pay = appt.payment

    fee = fee_of_refund(ref)
    # A fee given back: she is told, once per refund, in the transaction that records it.
    told = notices.fee_refunded(b, appt, fee, ref, back, now) if fee and back else []
    sent: list[Message] = []

    def made_(a: Appointment) -> bool:
        p = a.payment or pay
        # A checkout's charge given back: it never counted in the booking's payment.
        paid = (
            p
            if _of_checkout(ref)
            else replace(
                p,
                refunded_cents=p.refunded_cents + back,
                refund_owed_cents=max(0, p.refund_owed_cents - amount),
                # As the owner's own refund does: what goes back settles a refund that failed
                # (a fee's refund gives back the fee, and settles nothing else).
                refund_failed_cents=p.refund_failed_cents - (0 if fee else min(back, p.deposit_failed_cents)),
            )
        )
        if fee:
            paid = replace(paid, fees={**p.fees, fee: FeeState.REFUNDED.value})
        written = store.owed_refund_made(money, a, paid, m, now, messages=told, lease=IMMEDIATE_LEASE)
        sent[:] = written or []
        return written is not None

    if not store.fresh_payment(appt, made_, attempts=BUSY_ATTEMPTS):  # another holds the item, or recorded it first
        return "sent" if _made_before(b, appt, m, ref, now) else "taken"
    deliver(sent, now)
    count_message("sent", m.channel, m.kind)
    logger().info("owed refund made", extra={"appointment_id": appt.id, "amount_cents": back, "owed_cents": amount})
    return "sent"


# --- a fee let go: its PaymentIntent cancelled at Stripe, never lost -----------------------------
# An open fee (her bank asked her to authenticate: a pay link) waived by the owner, or let go
# by an undo of its no-show, would otherwise stay payable at Stripe: her bank app or a pay
# page she still had open could take the money (given back by itself then:
# give_back_waived_fee — charged and refunded for nothing). The waiver's own transaction
# puts an outbox item (kind `intent_cancel`, channel `stripe`, `<booking>#cancel#<fee key>`)
# held by the request, which cancels the PaymentIntent right after the commit (make_owed);
# Stripe unreachable, the sweeper does it after the outbox's backoff (handle), failed for
# good after its attempts (on the owner's list of failures). Paid before the cancel reached
# Stripe (`succeeded`, `processing`), the cancel ends (`skipped`, paid_before_cancel) and
# the webhook's give_back_waived_fee gives it back — the cancel never refunds anything
# itself, so the two never give it back twice.
CANCEL_LET_GO = "intent_cancel"
PAID_BEFORE_CANCEL = ("succeeded", "processing")  # Stripe's statuses of an intent she paid


def let_go_key(appointment_id: str, fee: str) -> str:
    return f"{appointment_id}#cancel#{fee}"


def cancel_let_go(b: Business, appt: Appointment, money: MoneyRecord, now: datetime) -> Message | None:
    """The outbox item that cancels at Stripe the PaymentIntent of the open fee `money` let
    go, put by the waiver's own transaction and held by its request (make_owed right after
    the commit). None: the fee has no PaymentIntent (declined at once)."""
    if not money.intent:
        return None
    planned = PlannedMessage(
        key=let_go_key(appt.id, money.kind),
        kind=CANCEL_LET_GO,
        channel=CHANNEL,
        recipient=appt.id,
        locale=b.config.locale,
        context={"intent": money.intent, "fee": money.kind},  # not on her timeline, as an owed refund
        due_at=now,
        business_id=b.id,
        appointment_id=appt.id,
    )
    return queued(planned, now, OWED_LEASE)


def _cancel_let_go(b: Business, m: Message, now: datetime) -> str:
    """Cancel the PaymentIntent of the fee let go that `m` names (the caller holds `m`) and
    record what came of it, in the sweeper's words."""
    intent, fee = str(m.context["intent"]), str(m.context["fee"])
    try:
        status = Account(b.id).cancel_intent(m.appointment_id or "", intent, fee)
    except PaymentsUnavailable as e:  # Stripe down, throttling, the network: again later
        return _cancel_tried(m, Outcome(MessageStatus.PENDING.value, error=e.code), now)
    if status in PAID_BEFORE_CANCEL:  # the webhook gives it back (give_back_waived_fee)
        if not outbox_store.skip(m, "paid_before_cancel", now):
            return "taken"
        count_message("skipped", m.channel, m.kind)
        logger().warning("fee let go was paid before its cancel", extra={"appointment_id": m.appointment_id})
        return "skipped"
    if status == "canceled":
        return _cancel_tried(m, Outcome(MessageStatus.SENT.value, provider_id=intent), now)
    return _cancel_tried(m, Outcome(MessageStatus.PENDING.value, error=f"not_cancelled: {status}"), now)


def _cancel_tried(m: Message, outcome: Outcome, now: datetime) -> str:
    """What came of one attempt at a fee's cancel: done, due again after a backoff, or
    failed for good (out of attempts: the owner's list of failures, the alarm)."""
    [done] = outbox_store.record_outcomes([(m, outcome)], now, backoff)
    name = {MessageStatus.SENT.value: "sent", MessageStatus.FAILED.value: "failed"}.get(done.status, "retry")
    count_message(name, m.channel, m.kind)
    logger().info(
        "fee let go: its payment cancelled" if name == "sent" else "fee let go: its payment not cancelled",
        extra={"appointment_id": m.appointment_id, "outcome": name, "error": outcome.error},
    )
    return name


def _refund_what_is_left(b: Business, appt: Appointment, intent: str, amount: int, ref: str) -> Any | None:
    """The refund of `amount` owed under `ref`, as Stripe can make it: read first what it
    holds of the payment's refunds (Account.refund_room). One made under `ref` already (an
    answer lost, a refund of the same ref by the owner) is that refund, not asked again;
    otherwise what is owed, or only what Stripe can still give back when another refund took
    the rest meanwhile (the owner's, made at Stripe as the cancellation committed) — nothing
    at all (None) when that took everything. The idempotency key is the ref's while the
    amount is the one owed, so every attempt at it is one refund; a smaller amount is a
    request of its own (`<ref>-<amount>`: Stripe refuses a key asked again with another
    amount), the same for every attempt that finds Stripe as it is. Refused by Stripe, it
    reads Stripe again: a refund that took the rest between the read and the refund is
    settled the same way, not failed; Stripe as it was, the refusal stands."""
    account = Account(b.id)
    # Refunds Stripe's webhook said failed give nothing back, whatever a slower list says.
    gone = frozenset(r.intent for r in store.refunds_of(b.id, appt.id) if r.state == "failed" and r.intent)
    room = account.refund_room(intent, ref, gone)
    while room.made is None:
        back = min(amount, room.left_cents)
        if back <= 0:
            return None
        try:
            return account.refund(appt.id, intent, back, ref, key=ref if back == amount else f"{ref}-{back}")
        except RefundRefused:
            again = account.refund_room(intent, ref, gone)
            if again.made is None and again.left_cents >= back:  # Stripe as it was: refused for good
                raise
            room = again  # less left than asked: each turn asks less, so this ends
    return room.made


def _refused_at_once(appt: Appointment, m: Message, why: str, now: datetime) -> None:
    """The owner's refund `m` reserved (refund), refused by Stripe as she asked it: no longer
    owed, its item ended (skipped, Stripe's code) and the refusal counted on the booking's
    payment (`refunds_refused`: her next attempt has a key of its own — Stripe answers a
    refused key with its refusal for 24 hours), in one write conditioned on still holding
    the item. A busy booking: the item is left to the sweeper, which fails it for good.
    A no-show fee's refund whose no-show was undone while Stripe was asked (the undo found
    the fee `refunding`: it gave nothing back itself and left the fee's round) is not put
    back as kept on a visit that is no longer a no-show: it ends as an undo's own refund
    refused does (_not_made) — the item failed (the owner's list of failures, the alarm),
    the fee `refund_failed` and its round over — written only while the visit's status is
    as read."""
    amount = int(m.context["amount_cents"])
    words = store.without_reason(m.context)  # her words were for the record: there is none
    done = replace(
        m,
        context=words,
        status=MessageStatus.SKIPPED.value,
        attempts=m.attempts + 1,
        lease_until=None,
        last_error=why,
        sent_at=now,
    )
    failed_item = replace(after_attempt(m, Outcome(MessageStatus.FAILED.value, error=why), now, backoff), context=words)
    ended = [done]

    def released(a: Appointment) -> bool:
        p = a.payment
        ended[:] = [done]
        if p is None:
            return store.owed_refund_not_made(done, m, now)
        left = replace(p, refund_owed_cents=max(0, p.refund_owed_cents - amount), refunds_refused=p.refunds_refused + 1)
        fee, was = fee_of_refund(str(m.context.get("ref", ""))), m.context.get(FEE_WAS)
        if fee and was and _no_show_undone_meanwhile(a, fee, str(was)):
            failed = left.refund_failed_cents + amount
            left = replace(left, fees={**p.fees, fee: FeeState.REFUND_FAILED.value}, refund_failed_cents=failed)
            ended[:] = [failed_item]
            left = left.next_fee_round(FeeKind.NO_SHOW.value)
        elif fee and was:  # a fee's (refund_fee): as it was before she asked (its failed refund failed still)
            failed = left.refund_failed_cents + (amount if was == FeeState.REFUND_FAILED.value else 0)
            left = replace(left, fees={**p.fees, fee: str(was)}, refund_failed_cents=failed)
        return store.owed_refund_not_made(ended[0], m, now, (a, left), same_status=True)

    try:
        store.fresh_payment(appt, released, attempts=BUSY_ATTEMPTS)
    except store.PaymentChanged:
        logger().warning("refused refund not released", extra={"appointment_id": appt.id})
        return
    if ended[0] is failed_item:
        count_message("failed", m.channel, m.kind)  # the alarm on failures for good
        logger().warning("refused fee refund of a no-show undone: failed", extra={"appointment_id": appt.id})


def _no_show_undone_meanwhile(a: Appointment, fee: str, was: str) -> bool:
    """Was the no-show whose fee (its key) the owner's refund gave back undone while Stripe
    was asked: the current round's fee, collected before she asked, on a visit that is no
    longer a no-show?"""
    p = a.payment
    return (
        p is not None
        and was == FeeState.SUCCEEDED.value
        and fee == p.fee_key(FeeKind.NO_SHOW.value)
        and a.status != Status.NO_SHOW.value
    )


def _made_before(b: Business, appt: Appointment, m: Message, ref: str, now: datetime) -> bool:
    """The refund `m` owes is recorded already (`refund-<ref>`): the same ref is the same
    Stripe key, so the same refund — the owner's refund of a fee made as the no-show was
    undone, say, whose write settled what was owed. Nothing is settled twice and Stripe
    is not asked again: the item ends (done). True if it did."""
    found = refund_made(b, appt.id, ref)
    if found is None or not store.owed_refund_found(found, m, now):
        return False
    count_message("sent", m.channel, m.kind)
    logger().info("owed refund made before", extra={"appointment_id": appt.id, "ref": ref})
    return True


def _not_made(appt: Appointment | None, m: Message, outcome: Outcome, now: datetime) -> str:
    """The refund not made this time: due again after a backoff, or failed for good (a
    refusal, or out of attempts) — then the booking's payment says so (owed → failed)."""
    done = after_attempt(m, outcome, now, backoff)
    amount = int(m.context["amount_cents"])

    def failed(a: Appointment | None) -> bool:
        payment = None
        checkout = _of_checkout(str(m.context.get("ref", "")))  # not in the payment: on the failures list only
        if done.status == MessageStatus.FAILED.value and a is not None and a.payment is not None and not checkout:
            owed = max(0, a.payment.refund_owed_cents - amount)
            failed_cents = a.payment.refund_failed_cents + amount
            p = replace(a.payment, refund_owed_cents=owed, refund_failed_cents=failed_cents)
            if fee := fee_of_refund(str(m.context.get("ref", ""))):
                p = replace(p, fees={**p.fees, fee: FeeState.REFUND_FAILED.value})
            if _of_owner(str(m.context.get("ref", ""))):  # no record: her next refund's key moves on
                p = replace(p, refunds_refused=p.refunds_refused + 1)
            payment = (a, p)
        return store.owed_refund_not_made(done, m, now, payment)

    if not (store.fresh_payment(appt, failed) if appt is not None else failed(None)):
        return "taken"
    outcome_name = "failed" if done.status == MessageStatus.FAILED.value else "retry"
    count_message(outcome_name, m.channel, m.kind)  # failed: the alarm on failures for good
    logger().warning(
        "owed refund not made",
        extra={"appointment_id": m.appointment_id, "outcome": outcome_name, "error": outcome.error},
    )
    return outcome_name


class RefundNotRecordedYet(Unavailable):
    """A refund event that came before Rebook recorded the refund (503: Stripe retries)."""

    retry_after = 60


# --- a refund Stripe took and failed later --------------------------------------------------------
# A refund Stripe creates may be `pending` and fail later (the card closed, say): Stripe
# says so by webhook (refund.failed; refund.updated / charge.refund.updated with status
# failed or canceled). Its money is hers again and not back: the same state as a refund
# Stripe refused for good (refund_failed_cents, the owner's list of failures, the alarm),
# and the owner settles it the same way, with her own refund (stripe_account.REFUND_GONE:
# the statuses that give nothing back).


def refund_failed(
    b: Business, appt: Appointment, refund: dict[str, Any], event: tuple[str, str], now: datetime
) -> bool:
    """Stripe's word that the booking's refund `refund` (its object in the event) failed:
    applied once (the event, and the record only from `succeeded`). False: not one of ours,
    applied before, or it failed already."""
    money = store.refund_of(b.id, appt.id, str(refund.get("id")))
    if money is None:
        # Made by Rebook (its metadata names this booking) and not recorded yet: its write
        # is a moment behind Stripe (or the sweeper's, after a backoff). Acknowledged now,
        # the failure would be lost and the refund recorded as made: Stripe is asked to
        # send it again (it retries a non-2xx for days), not claimed.
        logger().warning("stripe refund event before its refund is recorded", extra={"appointment_id": appt.id})
        raise RefundNotRecordedYet(
            "This refund is not recorded yet; send the event again later.", code="refund_not_recorded_yet"
        )
    if appt.payment is None or money.state != "succeeded":
        store.claim_event(*event, now)
        return False
    pay, amount, ref = appt.payment, money.amount_cents, money.kind.removeprefix("refund-")
    why = f"refund_failed: {refund.get('failure_reason') or refund.get('status')}"
    m = _owed_message(b, appt, ref, amount, pay.intent or "", money.note or "", now)
    failed = after_attempt(queued(m, now), Outcome(MessageStatus.FAILED.value, error=why), now, backoff)

    def undone(a: Appointment) -> bool:
        p = a.payment or pay
        # A checkout's charge given back never counted in the payment: its failure is on
        # the owner's list of failures only (settled at Stripe, not from the deposit).
        back = (
            p
            if _of_checkout(ref)
            else replace(
                p, refunded_cents=max(0, p.refunded_cents - amount), refund_failed_cents=p.refund_failed_cents + amount
            )
        )
        if fee := fee_of_refund(ref):
            back = replace(back, fees={**p.fees, fee: FeeState.REFUND_FAILED.value})
        return store.refund_failed(money, a, back, failed, event, now)

    if not store.fresh_payment(appt, undone):
        return False
    count_message("failed", CHANNEL, OWED_REFUND)  # the alarm on failures for good
    logger().warning("refund failed at stripe", extra={"appointment_id": appt.id, "amount_cents": amount, "error": why})
    return True


PAID_AFTER_WAIVED = "paid after it was let go: given back"


def its_payment(appt: Appointment, fee: MoneyRecord, intent_id: str, amount_paid: int) -> bool:
    """Stripe's word on a fee's payment is about this fee only if it names the fee's own
    PaymentIntent, for the fee's amount; another (logged, ids only) changes nothing."""
    if fee.intent == intent_id and fee.amount_cents == amount_paid:
        return True
    logger().warning(
        "stripe payment not the fee's: not applied",
        extra={"appointment_id": appt.id, "kind": fee.kind, "intent": intent_id, "recorded_intent": fee.intent},
    )
    return False


def give_back_waived_fee(
    b: Business,
    appt: Appointment,
    found: MoneyRecord | None,
    intent_id: str,
    amount_paid: int,
    event: tuple[str, str],
    now: datetime,
) -> bool | None:
    """A fee let go — waived by the owner, or its round ended by an undo of its no-show
    (waived_on_no_show_undone) — that she paid anyway (her bank's step, or the pay page she still
    had open: Stripe's webhook): the salon is not owed it, so it is given back, as the
    undo gives back a fee she paid (owed_on_no_show_undone). Its record paid (the waiver's
    reason kept), the booking's payment with the money in, the fee `refunding` and owed
    back, the outbox item that makes the refund on the payment Stripe took (ref
    `fee-<key>`) and the event, in one transaction; the refund made right after
    (make_owed: her `fee_refunded` message with its record; the sweeper's if Stripe cannot
    be reached). `found`: the fee's record as the caller read it. None: the fee is not one
    let go (open: settle_paid_fee); False: this event or this payment was applied before."""
    pay = appt.payment
    if found is None or pay is None or found.state != FeeState.WAIVED.value:
        return None
    kind = found.kind
    if not its_payment(appt, found, intent_id, amount_paid):
        return None  # not the fee's: settle_paid_fee leaves it too
    amount = found.amount_cents
    planned = _owed_message(b, appt, fee_refund_ref(kind), amount, intent_id, PAID_AFTER_WAIVED, now)
    held = queued(planned, now, OWED_LEASE)

    def owed(a: Appointment) -> bool:
        p = a.payment or pay
        back = replace(
            p,
            fees={**p.fees, kind: FeeState.REFUNDING.value},
            fee_cents={**p.fee_cents, kind: amount},
            paid_cents=p.paid_cents + amount,
            refund_owed_cents=p.refund_owed_cents + amount,
        )
        return store.waived_fee_paid(found, a, back, held, event, now)

    if not store.fresh_payment(appt, owed):
        return False
    logger().warning("waived fee paid: owed back", extra={"appointment_id": appt.id, "kind": kind})
    make_owed(b, held, now)
    return True


class FeeNotSettledYet(Unavailable):
    """A fee's payment Stripe took that Rebook could not write yet (the booking's payment
    written by others at every try): 503, nothing written and the event not claimed, so
    Stripe sends it again and it applies then."""

    retry_after = 60


def settle_paid_fee(
    b: Business,
    appt: Appointment,
    kind: str,
    intent_id: str,
    amount_paid: int,
    event: tuple[str, str],
    now: datetime,
) -> bool:
    """Stripe's word that she paid the fee `kind` (the webhook), applied once. A fee let go
    is given back (give_back_waived_fee). An open one is paid, if it is the fee's own
    PaymentIntent for its amount (its_payment): its record `succeeded` (only from `open`),
    the booking's payment with it paid (from the payment as read) and the event, in one
    transaction (store.open_fee_paid) — a request dying, or a waiver or an undo landing,
    never leaves the record paid beside a payment that owes it, nor the event claimed with
    nothing written. Let go meanwhile (the record no longer `open`): read again and given
    back. The booking's payment written by others at every try (BUSY_ATTEMPTS fresh reads):
    FeeNotSettledYet (503), nothing written, so Stripe's retry applies it. False: this
    event was applied before; any other payment is claimed and changes nothing."""
    try:
        return _settle_paid_fee(b, appt, kind, intent_id, amount_paid, event, now)
    except (store.PaymentChanged, bookings.Contended):
        logger().warning("fee payment not written: booking busy", extra={"appointment_id": appt.id, "kind": kind})
        raise FeeNotSettledYet("The booking is busy; send the event again later.", code="booking_busy") from None


def _settle_paid_fee(
    b: Business,
    appt: Appointment,
    kind: str,
    intent_id: str,
    amount_paid: int,
    event: tuple[str, str],
    now: datetime,
    *,
    again: bool = True,
) -> bool:
    found = store.get_money(b.id, appt.id, kind)  # read once: let go, or open
    back = give_back_waived_fee(b, appt, found, intent_id, amount_paid, event, now)
    if back is not None:  # False: applied before
        return back
    pay = appt.payment
    if found is None or pay is None or found.state != FeeState.OPEN.value:
        return store.claim_event(*event, now)  # paid before (another event), or given back: as it is
    if not its_payment(appt, found, intent_id, amount_paid):
        return store.claim_event(*event, now)

    def paid(a: Appointment) -> bool:
        p = a.payment or pay
        settled = replace(
            p, fees={**p.fees, kind: FeeState.SUCCEEDED.value}, paid_cents=p.paid_cents + found.amount_cents
        )
        return store.open_fee_paid(found, a, settled, event, now)

    try:
        return store.fresh_payment(appt, paid, attempts=BUSY_ATTEMPTS)
    except store.MoneyExists:
        # Not open any more: let go meanwhile (the owner's waiver, its no-show undone) — given
        # back from a fresh read — or paid through another event (claimed, as it is).
        fresh = bookings.get_appointment(b.id, appt.id) if again else None
        if fresh is None:
            return store.claim_event(*event, now)
        return _settle_paid_fee(b, fresh, kind, intent_id, amount_paid, event, now, again=False)
