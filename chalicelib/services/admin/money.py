"""The owner's say over a booking's money: charge a fee to the card on file, waive an
open fee (with a reason), refund all or part of a deposit (with a reason), and the list of
refunds she is to make (visits the salon cancelled that still hold what the client paid,
refunds Stripe failed).
Audited."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain.booking import Appointment
from chalicelib.domain.payments import FEE_KEY_PATTERN, BookingPayment, FeeKind
from chalicelib.domain.plaintext import Notes
from chalicelib.domain.timeutil import iso_local
from chalicelib.errors import Conflict
from chalicelib.services.admin.common import audited, audited_after_commit, business_of
from chalicelib.services.payments import fees
from chalicelib.services.validation import parse
from chalicelib.store import clients
from chalicelib.store import payments as money_store


class FeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: FeeKind


class WaiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: Notes = Field(min_length=1, max_length=500)


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    amount_cents: StrictInt | None = Field(default=None, ge=1, le=10_000_00)  # None: all that is kept
    reason: Notes = Field(min_length=1, max_length=500)
    # A fee collected, refunded whole on its own payment: its key as the payment's `fees`
    # names it (late_cancel, no_show, a later round no_show.r1, …); none: the deposit or
    # prepayment.
    fee: str | None = Field(default=None, pattern=FEE_KEY_PATTERN)  # read strictly: parse_fee_key


def _booking(p: Principal, appointment_id: str) -> tuple[Any, Any]:
    from chalicelib.services.admin.calendar import _appointment

    b = business_of(p)
    return b, _appointment(b, appointment_id)


def charge_fee(p: Principal, appointment_id: str, body: object) -> dict[str, Any]:
    p.require("money")
    req: FeeIn = parse(FeeIn, body, "fee")
    b, a = _booking(p, appointment_id)
    from chalicelib.services.admin.calendar import held_fee_sms

    # A fee whose event did not happen (no no-show, no late cancellation of hers) is
    # refused there: 409 no_fee with its reason (salon_cancelled for the salon's own).
    now = clock.now()
    money = fees.charge_fee(b, a, req.kind, now)
    if money is None:
        raise Conflict(
            "No fee to charge: no card on file, no such fee in the terms, or the deposit covers it.", code="no_fee"
        )
    audited_after_commit(
        p, "charge_fee", a.client_id, {"appointment": a.id, "kind": req.kind.value, "state": money.state}
    )
    view = fees.money_view(money, b.config.tz)
    if money.state == "open":
        view["pay_url"] = fees.fee_pay_url(b, a, money.kind)
    # Charged at night: the SMS telling her waits for the morning, and the answer says when.
    view.update(held_fee_sms(b, clients.get_client(b.id, a.client_id), money, now))
    return view


def waive_fee(p: Principal, appointment_id: str, kind: str, body: object) -> dict[str, Any]:
    p.require("money")
    req: WaiveIn = parse(WaiveIn, body, "waiver")
    b, a = _booking(p, appointment_id)
    money = fees.waive_fee(b, a, kind, req.reason, clock.now())
    audited_after_commit(p, "waive_fee", a.client_id, {"appointment": a.id, "kind": kind})
    return fees.money_view(money, b.config.tz)


def refund(p: Principal, appointment_id: str, body: object) -> dict[str, Any]:
    p.require("money")
    req: RefundIn = parse(RefundIn, body, "refund")
    b, a = _booking(p, appointment_id)
    now = clock.now()
    money = fees.refund(b, a, req.amount_cents, now, req.reason, fee=req.fee)
    if money is None:
        raise Conflict("This refund was made already.", code="refund_made")
    what = {"appointment": a.id, "amount_cents": money.amount_cents}
    audited_after_commit(p, "refund", a.client_id, {**what, "fee": req.fee} if req.fee else what)
    view = fees.money_view(money, b.config.tz)
    if req.fee:  # a fee given back at night: the SMS telling her waits for the morning, and the answer says when
        from chalicelib.services.admin.calendar import held_fee_sms

        view.update(held_fee_sms(b, clients.get_client(b.id, a.client_id), money, now))
    return view


def checkout(p: Principal, appointment_id: str, body: object) -> dict[str, Any]:
    """The desk records the rest of a visit as paid, the deposit deducted (staff may:
    checking out is the desk's work; charging fees and refunding are the owner's, and so
    is charging her saved card more than the visit's price: staff_card_limit)."""
    from chalicelib.services.payments import checkout as desk

    req: desk.CheckoutIn = parse(desk.CheckoutIn, body, "checkout")
    b, a = _booking(p, appointment_id)
    limit = None if p.can("money") else desk.staff_card_limit(b, a)
    money, co, sent = desk.settle(b, a, req, clock.now(), card_limit=limit)
    audited_after_commit(
        p, "checkout", a.client_id, {"appointment": a.id, "method": money.method, "amount_cents": money.amount_cents}
    )
    return {**desk.view(b, money, co), "receipt_sent": sent}


def refunds_due(p: Principal) -> dict[str, Any]:
    """What the owner is to give back herself, oldest first: visits the salon cancelled (a
    staff member, a time off, an integration) that still hold what the client paid, and
    refunds Stripe failed (her card expired) of any visit; she refunds each from its
    appointment card (`POST /appointments/{id}/refund`, which settles a failed one).
    `held_cents`: what she owes (BookingPayment.owner_owes_cents); `mark`: `refund_failed`
    once a refund of it failed at Stripe, else `refund_due` (`refund_pending` while part of
    it is on its way back and the rest held). One all on its way back (Stripe not answering
    yet) is not listed unless that refund fails. A read: it changes nothing (the payment's
    writes keep the list, store/payments.py)."""
    p.require("money")
    b = business_of(p)
    rows: list[tuple[Appointment, BookingPayment, int]] = []
    for a in money_store.refunds_due(b.id):
        pay = a.payment
        if pay is not None and (owed := pay.owner_owes_cents(a.status, a.cancelled_by_salon)):
            rows.append((a, pay, owed))
    rows.sort(key=lambda row: row[0].cancelled_at or row[0].start)  # the longest waiting first
    people = clients.get_clients(b.id, {a.client_id for a, _, _ in rows})
    audited(p, "read_refunds_due", None, {"count": len(rows)})
    tz = b.config.tz
    return {
        "refunds": [
            {
                "appointment_id": a.id,
                "client_id": a.client_id,
                "client_name": people[a.client_id].name if a.client_id in people else None,
                "service": a.service_id,
                "staff": a.staff_id,
                "start": iso_local(a.start, tz),
                "cancelled_at": iso_local(a.cancelled_at, tz) if a.cancelled_at else None,
                "cancel_reason": a.cancel_reason,
                "held_cents": owed,
                "mark": pay.mark(a.status, a.cancelled_by_salon),
            }
            for a, pay, owed in rows
        ]
    }
