"""The owner's say over a booking's money: charge a fee to the card on file, waive an
open fee (with a reason), refund all or part of a deposit (with a reason). Audited."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain.payments import FEE_KEY_PATTERN, FeeKind
from chalicelib.errors import Conflict
from chalicelib.services.admin.common import audited_after_commit, business_of
from chalicelib.services.payments import fees
from chalicelib.services.validation import parse
from chalicelib.store import clients


class FeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: FeeKind


class WaiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str = Field(min_length=1, max_length=500)


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    amount_cents: StrictInt | None = Field(default=None, ge=1, le=10_000_00)  # None: all that is kept
    reason: str = Field(min_length=1, max_length=500)
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
