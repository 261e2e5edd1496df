"""What the client is told about money after the booking: a fee her bank wants her to
confirm (with the pay link), a fee charged to the card she saved and given back, a
payment refunded because it came after the hold ran out. Transactional messages through the outbox, once
each (keyed by booking and notice)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.booking import Appointment
from chalicelib.domain.clients import Client
from chalicelib.domain.config import Business
from chalicelib.domain.messages import PlannedMessage, salon_money_news
from chalicelib.domain.payments import MoneyRecord, fee_kind_of
from chalicelib.services import message_plans
from chalicelib.store import clients


def plan(
    b: Business,
    appt: Appointment,
    notice: str,
    amount_cents: int,
    now: datetime,
    fee_kind: str | None = None,
    pay_url: str | None = None,
) -> list[PlannedMessage]:
    client = clients.get_client(b.id, appt.client_id)
    if client is None or client.is_erased:
        return []
    context = message_plans.booking_context(b, appt, client.name)
    # `fee_kind` is a fee's round (fee_key): once per round in the key, its kind in the words.
    shown = fee_kind_of(fee_kind) if fee_kind else fee_kind
    context.update(notice=notice, amount_cents=amount_cents, fee_kind=shown, fee_key=fee_kind, pay_url=pay_url)
    to = {ch: r for ch, r in (("email", client.email), ("sms", message_plans.sms_to(b, client.phone))) if r}
    return [
        _planned(
            b, appt, f"{appt.id}#payment-{notice}-{fee_kind or 'late'}#{ch}", "payment_notice", ch, to[ch], context, now
        )
        for ch in to
    ]


def _planned(
    b: Business,
    appt: Appointment,
    key: str,
    kind: str,
    channel: str,
    recipient: str,
    context: dict[str, Any],
    now: datetime,
) -> PlannedMessage:
    """One notice: at once — but by SMS, the salon's money news (a fee charged or asked
    for, a fee given back: messages.salon_money_news) waits out the quiet hours, as every
    SMS the salon's doing sends her does (message_plans.quiet_hours_end); email goes at
    once. A notice answering what she did herself goes at once. No quiet hours are stored
    with it: when sent, it obeys them as the salon has them then (notify/dispatch.py
    _send_rules), as the desk's held news does."""
    due_at = now
    if channel == "sms" and salon_money_news(kind, context):
        due_at = message_plans.quiet_hours_end(b, now)
    return message_plans.about_visit(appt, key, kind, channel, recipient, context, due_at)


FEE_CHARGED = "fee_charged"


def fee_charged_key(appointment_id: str, fee_kind: str) -> str:
    """One "fee charged" message per booking and fee round (fee_key), whichever channel it went by."""
    return f"{appointment_id}#{FEE_CHARGED}-{fee_kind}"


def fee_charged(
    b: Business, appt: Appointment, fee_kind: str, amount_cents: int, now: datetime
) -> list[PlannedMessage]:
    """A fee charged off-session to the card she saved: which visit, which fee, how much,
    under the terms she accepted, and the salon's phone. By email, else by SMS (as her
    receipt-like messages go: one message, not both); transactional, so neither consent
    nor a cap applies. Planned in the fee's own transaction (fees.charge_fee)."""
    return _about_fee(b, appt, FEE_CHARGED, fee_charged_key(appt.id, fee_kind), fee_kind, amount_cents, now)


def _about_fee(
    b: Business,
    appt: Appointment,
    kind: str,
    key: str,
    fee_kind: str,
    amount_cents: int,
    now: datetime,
    refund_ref: str | None = None,
) -> list[PlannedMessage]:
    """A message about one of her fees: by email, else by SMS (one, not both); none for an
    erased client or one Rebook cannot reach. `refund_ref`: the refund a fee given back
    was given back by."""
    client = clients.get_client(b.id, appt.client_id)
    if client is None or client.is_erased:
        return []
    channel, recipient = _fee_channel(b, client)
    if not recipient:
        return []
    context = message_plans.booking_context(b, appt, client.name)
    # Its round too (`fee_key`): the sender checks the fee is still as told (messages.fee_as_told).
    context.update(amount_cents=amount_cents, fee_kind=fee_kind_of(fee_kind), fee_key=fee_kind)
    if refund_ref:  # the sender checks it has not failed since (messages.refund_as_told)
        context["refund_ref"] = refund_ref
    return [_planned(b, appt, key, kind, channel, recipient, context, now)]


def _fee_channel(b: Business, client: Client) -> tuple[str, str | None]:
    """How she is told of one of her fees: by email, else by SMS (one, not both)."""
    return ("email", client.email) if client.email else ("sms", message_plans.sms_to(b, client.phone))


def fee_sms_at(b: Business, client: Client | None, fee: MoneyRecord, now: datetime) -> datetime | None:
    """When the SMS telling her of a fee the desk charged, or gave back (`fee`: the fee's
    record, or its refund's, made at its `created_at`), goes, if it waits out the quiet
    hours (_planned): the pay link of an open fee goes by SMS beside email (plan), a fee
    charged or given back by SMS only when she has no email (fee_charged, fee_refunded;
    a refund still `pending` has told her nothing yet). None when it goes at once or none goes (no number, a country
    the business does not text, a number that replied STOP). The desk's answer says it
    (`sms_at`), so the owner knows when her client hears of it."""
    if client is None or client.is_erased or fee.state not in ("open", "succeeded"):
        return None
    channel, number = ("sms", message_plans.sms_to(b, client.phone)) if fee.state == "open" else _fee_channel(b, client)
    if channel != "sms":
        return None
    return message_plans.held_sms_at(number, message_plans.quiet_hours_end(b, fee.created_at), now)


FEE_REFUNDED = "fee_refunded"


def fee_refunded_key(appointment_id: str, ref: str) -> str:
    """One "fee refunded" message per booking and refund ref (`fee-<kind>`, or
    `fee-<kind>-n<attempt>` settling one that failed): the same ref is the same Stripe
    refund, so the undo's owed refund and the owner's, seeing the same one, tell her once."""
    return f"{appointment_id}#{FEE_REFUNDED}-{ref}"


def fee_refunded(
    b: Business, appt: Appointment, fee_kind: str, ref: str, amount_cents: int, now: datetime
) -> list[PlannedMessage]:
    """A fee charged to her card given back (a no-show mark undone, or the owner's refund
    of it): which visit, which fee, how much, back to the card it was charged to (a few
    days at her bank), and the salon's phone. By email, else by SMS, as fee_charged;
    transactional. Planned in the refund record's own transaction (fees.refund_fee,
    fees._make_owed). Not for a deposit (the cancellation message tells that)."""
    return _about_fee(b, appt, FEE_REFUNDED, fee_refunded_key(appt.id, ref), fee_kind, amount_cents, now, ref)
