"""What the client's manage link does: show the booking (and its .ics), cancel it,
move it, turn its reminders off, each within the business's cancellation window."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib import clock, links
from chalicelib.domain.booking import Appointment, CancelIn, RescheduleIn, Status
from chalicelib.domain.config import Business
from chalicelib.domain.contacts import email_hint, phone_ending
from chalicelib.domain.messages import MessageStatus, booking_message_keys, planned_in, queued
from chalicelib.domain.timeutil import iso_local
from chalicelib.errors import Conflict, NotFound
from chalicelib.services import message_plans
from chalicelib.services.booking import changes
from chalicelib.services.booking.changes import money_if_cancelled, money_of_cancelled
from chalicelib.services.booking.views import booking_view
from chalicelib.services.payments import holds
from chalicelib.services.validation import parse
from chalicelib.store import bookings, businesses, clients, outbox


def _from_token(token: str) -> tuple[Business, Appointment]:
    claims = links.claims_or_4xx(token, "manage", clock.now())
    b = businesses.get_by_id(claims.business_id)
    appt = bookings.get_appointment(claims.business_id, claims.subject) if b else None
    if not b or not appt:
        raise NotFound("This booking no longer exists.", key="booking_gone")
    return b, appt


def book_again_url(token: str, *, same_day: bool = False, lang: str | None = None, embed: bool = False) -> str:
    """After a cancellation: the booking page on the same service and stylist (not when the
    salon cancelled: Appointment.rebook_staff), her details filled in (a rebook token,
    links.rebook_url); `same_day` opens it on the booking's day (a hold the card did not
    pay: she books the same visit anew)."""
    b, appt = _from_token(token)
    return message_plans.rebook_link(
        b,
        appt,
        clock.now() + links.REBOOK_VALID,
        service=appt.service_id,
        staff=appt.rebook_staff,
        date=appt.start.astimezone(b.config.tz).date().isoformat() if same_day else None,
        lang=lang,
        embed="1" if embed else None,  # booked again in the widget's frame: shown in it
    )


def _money_on_cancel(b: Business, appt: Appointment) -> dict[str, Any] | None:
    """The manage page's words on her money: cancelled, what its cancellation gave back
    (back_cents) and what was refunded apart from it (earlier_cents); not yet, what
    cancelling now would give back (the same rules as payments/fees.py owed_on_cancel, and
    as the cancellation message says) and what the owner refunded already."""
    if appt.status == Status.CANCELLED.value:  # refunded, or still owed to her (on its way)
        return money_of_cancelled(b, appt)
    return money_if_cancelled(b, appt, clock.now())


def get_booking(token: str, *, money: bool = False, sent: bool = False) -> dict[str, Any]:
    """The booking's view; `money` (the manage page) adds `money_on_cancel`, from the same
    read, `cancelled_by_salon` (the page says so, and is sorry), `money_facts` and
    `any_staff` (booked with "anyone": her move's times are everyone's); `sent` (the page
    after booking) `sent_to`, where its confirmation went (confirmation_went_to)."""
    b, appt = _from_token(token)
    view = booking_view(b, appt)
    view = holds.with_payment(b, appt, view, for_stripe_js=False)
    if sent:
        view["sent_to"] = confirmation_went_to(b, appt)
    if money:
        view["money_on_cancel"] = _money_on_cancel(b, appt)
        view["cancelled_by_salon"] = appt.cancelled_by_salon
        view["money_facts"] = money_facts(b, appt)
        view["checked_out"] = appt.checkout is not None
        view["free_until"] = free_until_of(b, appt)
        view["any_staff"] = appt.any_staff  # booked with "anyone": moved to anyone free
        # Where she looks for her stamps after booking (a client's walk: only the
        # confirmation's small link led there).
        view["card_url"] = message_plans.card_link(b, appt)
    return view


def confirmation_went_to(b: Business, appt: Appointment) -> dict[str, str]:
    """Where the booking's confirmation went ({"email": "m•••@example.com", "sms": "67"}),
    for the page after booking to say, half hidden (whoever holds the link may read it):
    the outbox's messages, or before its plan is expanded (a moment after booking) the plan's.
    A message the sender skipped or gave up on went nowhere."""
    wanted = booking_message_keys(appt.id, "confirmation", appt.seq, ["email", "sms"])
    found = outbox.get_messages(b.id, list(wanted.values()))
    if not found:
        plan = outbox.waiting_plan(b.id, appt.id)
        if plan is not None:
            found = {m.key: queued(m, clock.now()) for m, _parked in planned_in(plan)}
        else:  # expanded between the two reads (one transaction: its messages are there now)
            found = outbox.get_messages(b.id, list(wanted.values()))
    gone = (MessageStatus.FAILED.value, MessageStatus.SKIPPED.value)
    to = {ch: m.recipient for ch, key in wanted.items() if (m := found.get(key)) and m.status not in gone}
    return {ch: email_hint(r) if ch == "email" else phone_ending(r) for ch, r in to.items()}


def free_until_of(b: Business, appt: Appointment) -> str | None:
    """Until when cancelling costs her nothing under the terms she accepted (local time;
    rules.free_until, the grace after a late booking included: what her cancellation
    gives back and whether the salon may charge a fee go by it); None for a booking that
    took no payment nor card (no terms). Apart from the online deadline (the booking
    rules' cancellation window: until when she may cancel or move it herself)."""
    from chalicelib.domain import payments as rules

    pay = appt.payment
    if pay is None:
        return None
    grace = b.config.rules.change_grace_minutes
    return iso_local(rules.free_until(appt.start, pay.accepted_terms(), appt.created_at, grace), b.config.tz)


def money_facts(b: Business, appt: Appointment) -> dict[str, Any] | None:
    """Her money on this booking as her manage page and her pay page both say it: what
    its deposit or prepayment took and what of it came back or is on its way back (its
    own refunds only: a fee given back is not the deposit's), each fee charged to her card
    with its state, and what she paid in all (fees included) and got back in all."""
    pay = appt.payment
    if pay is None:
        return None
    return {
        "kind": pay.kind,
        "deposit_cents": pay.deposit_cents,
        "deposit_refunded_cents": pay.deposit_refunded_cents,
        "deposit_owed_cents": pay.deposit_owed_cents + pay.deposit_failed_cents,
        "fees": _fees_charged(b, appt),
        "paid_cents": pay.paid_cents,
        "refunded_cents": pay.refunded_cents,
        "owed_cents": pay.refund_owed_cents + pay.refund_failed_due_cents(appt.status),
    }


def _fees_charged(b: Business, appt: Appointment) -> list[dict[str, Any]]:
    """The fees charged to her saved card for this visit (late cancellation, no-show): the
    kind, the amount, when, and its state: `charged` (paid; a refund of it that failed is
    still the salon's to settle: not back yet), `refunding` (given back, on its way) or
    `refunded` (the fee's record: one read per fee the booking says was charged, so none
    for almost every booking). Open or waived fees are not charged."""
    from chalicelib.domain.payments import FEE_TAKEN, FeeState, fee_kind_of
    from chalicelib.store import payments as money_store

    pay = appt.payment
    if pay is None:
        return []
    shown = {FeeState.REFUNDING.value: "refunding", FeeState.REFUNDED.value: "refunded"}
    charged = []
    for kind in sorted(k for k, state in pay.fees.items() if state in FEE_TAKEN):
        m = money_store.get_money(b.id, appt.id, kind)
        if m is not None and m.state == "succeeded":
            charged.append(
                {
                    "kind": fee_kind_of(kind),  # each round: one given back by an undo, then charged anew
                    "amount_cents": m.amount_cents,
                    "at": iso_local(m.created_at, b.config.tz),
                    "state": shown.get(pay.fees[kind], "charged"),
                }
            )
    return charged


def booking_ics(token: str) -> bytes:
    """The booking as a calendar file ("add to calendar" on the confirmation page)."""
    from chalicelib.notify import ics

    b, appt = _from_token(token)
    client = clients.get_client(b.id, appt.client_id)
    context = message_plans.booking_context(b, appt, client.name if client else "")
    cancelled = appt.status == Status.CANCELLED.value
    return ics.build_ics(
        context,
        method="PUBLISH",
        sequence=appt.seq,
        status="CANCELLED" if cancelled else "TENTATIVE" if appt.held else "CONFIRMED",
        locale=appt.locale,
    )


def _ensure_changeable(b: Business, appt: Appointment, verb: str) -> None:
    if appt.status != Status.BOOKED.value:
        raise Conflict(
            f"This booking is {appt.status.replace('_', ' ')} and cannot be {verb}.", code=f"booking_{appt.status}"
        )
    rules = b.config.rules
    deadline = appt.change_deadline(rules.cancellation_window_hours, rules.change_grace_minutes)
    if clock.now() >= deadline:
        phone = f" Please call {b.config.phone}." if b.config.phone else ""
        raise Conflict(
            f"Bookings can be {verb} online until {iso_local(deadline, b.config.tz)}.{phone}",
            code="cancellation_window_passed",
            details={"deadline": iso_local(deadline, b.config.tz)},
        )


def cancel_booking(token: str, body: object) -> dict[str, Any]:
    b, appt = _from_token(token)
    req: CancelIn = parse(CancelIn, body if body is not None else {}, "cancellation")
    from chalicelib.services.payments import fees

    if appt.status == Status.CANCELLED.value:  # cancelling twice is harmless
        # A refund still owed (Stripe was unreachable) is made now if it is due.
        appt = fees.finish_owed(b, appt, clock.now())
        return holds.with_payment(b, appt, booking_view(b, appt), for_stripe_js=False)
    _ensure_changeable(b, appt, "cancelled")
    # The message says what goes back of what she paid (changes.money_if_cancelled); the
    # cancellation owes it from its commit and refunds it (or the sweeper does, later).
    try:
        cancelled = changes.cancel(b, appt, req.reason)
    except Conflict as err:
        now_is = bookings.get_appointment(b.id, appt.id) if err.code == "booking_changed" else None
        if now_is is None or now_is.status != Status.CANCELLED.value:
            raise
        cancelled = now_is  # a double tap: the other tap cancelled it, as cancelling twice
    return holds.with_payment(b, cancelled, booking_view(b, cancelled), for_stripe_js=False)


def reschedule_booking(token: str, body: object) -> dict[str, Any]:
    b, appt = _from_token(token)
    req: RescheduleIn = parse(RescheduleIn, body, "new time")
    _ensure_changeable(b, appt, "moved")
    return booking_view(b, changes.move(b, appt, req.start, desk=False))


def set_reminders(token: str, enabled: bool) -> dict[str, Any]:
    """The client's choice from the manage link; the sweeper checks it before sending."""
    b, appt = _from_token(token)
    if appt.status != Status.BOOKED.value:
        raise Conflict(f"This booking is {appt.status.replace('_', ' ')}.", code=f"booking_{appt.status}")
    bookings.set_reminders_off(appt, not enabled, clock.now())
    return booking_view(b, replace(appt, reminders_off=not enabled))
