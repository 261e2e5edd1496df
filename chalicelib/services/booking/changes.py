"""Changing a booking, from the client's link or at the front desk: cancel it, move it
(to another time, or to someone else). The link checks its own rules first
(chalicelib/services/booking/manage.py); the desk may change a booking late."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.domain import availability as avail
from chalicelib.domain.booking import BY_CLIENT, BY_SALON, Appointment, Status
from chalicelib.domain.config import Business, Service, Staff
from chalicelib.domain.daysheet import appointment_ref, days_touched
from chalicelib.errors import Conflict, SlotTaken, ValidationFailed
from chalicelib.notify import outbox
from chalicelib.services import message_plans
from chalicelib.services.waitlist import refill
from chalicelib.store import bookings, clients, daysheets

ATTEMPTS = 5  # reads of the day sheets before a busy calendar is reported


def _changed_meanwhile() -> Conflict:
    return Conflict("This booking was changed meanwhile; reload and try again.", code="booking_changed")


def cancel_money(
    appt: Appointment, back_cents: int, earlier_cents: int = 0, fee_cents: int = 0
) -> dict[str, Any] | None:
    """What she paid when booking (a deposit or the whole price), what her cancellation
    gives back of it (back_cents: what comes back now, not counting what was refunded
    before), what the owner refunded before it (earlier_cents) and what the salon may
    still charge her card for cancelling late (fee_cents: fees.late_fee_if_cancelled).
    Nothing paid when booking (a card on file): only that fee (paid_cents 0), or None."""
    from chalicelib.domain import payments as rules

    pay = appt.payment
    if pay is None:
        return None
    if pay.kind not in (rules.PaymentKind.DEPOSIT.value, rules.PaymentKind.PREPAY.value) or pay.paid_cents <= 0:
        if fee_cents <= 0:
            return None
        return {"kind": pay.kind, "paid_cents": 0, "back_cents": 0, "earlier_cents": 0, "fee_cents": fee_cents}
    return {
        "kind": pay.kind,
        "paid_cents": pay.due_cents,
        "back_cents": back_cents,
        "earlier_cents": earlier_cents,
        "fee_cents": fee_cents,
    }


def money_if_cancelled(
    b: Business, appt: Appointment, now: datetime, give_back: bool = False, by: str = BY_CLIENT
) -> dict[str, Any] | None:
    """cancel_money of a visit cancelled at `now`, by her link or at the desk: what
    cancelling gives back now (fees.refund_on_cancel, which the cancellation then owes and
    refunds; `give_back`, the desk's: all still held), what was refunded already (the
    owner's refund) and, cancelled late by her (`by`), the fee the salon may still charge
    her card under the terms she accepted (none when the desk gives all back: fees.fee_refusal,
    the same rule as the owner's calendar and POST /fees). The manage
    page and the cancellation message say them (chalicelib/pages/views.py money_words)."""
    from chalicelib.services.payments import fees

    refunded = appt.payment.deposit_refunded_cents if appt.payment else 0  # not a fee's refund
    back = fees.refund_on_cancel(b, appt, now, give_back)
    fee = 0 if by == BY_SALON else fees.late_fee_if_cancelled(b, appt, now, back, give_back)
    return cancel_money(appt, back, refunded, fee)


def money_of_cancelled(b: Business, appt: Appointment) -> dict[str, Any] | None:
    """cancel_money of a visit already cancelled: what its cancellation gave back (its
    refund's record `refund-cancel`; not made yet, what is owed or failed of it) and what
    the owner refunded apart from it."""
    from chalicelib.services.payments import fees

    pay = appt.payment
    if pay is None:
        return None
    fee = fees.late_fee_if_cancelled(b, appt, clock.now())
    if cancel_money(appt, 0) is None:  # nothing paid when booking: at most the fee to say
        return cancel_money(appt, 0, 0, fee)
    made = fees.refund_made(b, appt.id, fees.CANCEL_REF)
    if made is not None:
        back = made.amount_cents
        earlier = pay.deposit_refunded_cents - (made.amount_cents if made.state == "succeeded" else 0)
    else:  # owed (Stripe unreachable) or refused: the cancellation's only refund
        back = pay.deposit_owed_cents + pay.deposit_failed_cents
        earlier = pay.deposit_refunded_cents
    return cancel_money(appt, back, max(0, earlier), fee)


def cancel(
    b: Business,
    appt: Appointment,
    reason: str | None,
    *,
    notify: bool = True,
    invite: bool | None = None,
    by: str = BY_CLIENT,
    give_back: bool = False,
) -> Appointment:
    """Cancel a booked visit, free its time and (unless the desk says not to) tell the
    client; `invite` (the desk) asks her to choose a new time, or leaves the booking link
    out. A cancellation inside the window is a late one, which the KPIs count. `by`: who
    cancels; the salon's (BY_SALON) is not counted as hers, and its message says the
    salon had to cancel, and is sorry. Whoever
    cancels, the message says what happens to what she paid (money_if_cancelled: what
    goes back, or that it is kept); nothing of money when she paid nothing. What goes
    back is owed from the cancellation's own commit (fees.owed_on_cancel) and refunded
    right after it; if Stripe cannot be reached, the outbox sweeper refunds it later, so
    what the message promises is never lost. `give_back` (the desk, the salon cancelling):
    all she paid that is still held goes back with the cancellation, whatever the terms
    keep, and the message says it comes back now (the owner's earlier refunds apart).
    The salon's cancellation (BY_SALON) is the salon's change: its SMS waits out the quiet
    hours (message_plans.booking_event `by_salon`); hers — by her link, or at the desk when
    she phoned and asked — answers her at once. The booking as it then stands."""
    return _cancel(b, appt, reason, notify=notify, invite=invite, by=by, give_back=give_back, again=False)


def _cancel(
    b: Business,
    appt: Appointment,
    reason: str | None,
    *,
    notify: bool,
    invite: bool | None,
    by: str,
    give_back: bool,
    again: bool,
) -> Appointment:
    """cancel, from `appt` as read; `again`: the second read, after her payment changed
    between the first read and the write (the owner refunded meanwhile)."""
    from chalicelib.services.payments import fees

    now = clock.now()
    client = clients.get_client(b.id, appt.client_id)
    cancelled = replace(
        appt,
        status=Status.CANCELLED.value,
        seq=appt.seq + 1,
        cancelled_at=now,
        cancel_reason=reason,
        cancelled_by=by,
        cancel_gave_back=give_back,
        updated_at=now,
    )
    base = None
    money = money_if_cancelled(b, appt, now, give_back, by) if client and notify else None
    if client and notify:
        base = message_plans.booking_context(b, cancelled, client.name)
        if money is not None:
            base["refund_cents"] = money["back_cents"]  # what comes back now
            base["refunded_before_cents"] = money["earlier_cents"]  # the owner's refund before it
            base["late_fee_cents"] = money["fee_cents"]  # what the salon may still charge her card
        if by == BY_SALON:
            base["by_salon"] = True
    messages = (
        message_plans.booking_event(
            b,
            cancelled,
            "cancelled",
            client.name,
            client.phone,
            client.email,
            now,
            invite=invite,
            base=base,
            by_salon=by == BY_SALON,
        )
        if client and notify
        else []
    )
    # Its freed time, recorded in the cancellation's own transaction: offered right after
    # the commit, or by the sweeper if this process never gets there.
    freed = refill.freed(b, f"{appt.id}#{appt.seq}", [(appt.staff_id, appt.start, appt.occupied_until)], now)
    # What goes back of what she paid: owed from the commit on, held by this request.
    owed = fees.owed_on_cancel(b, appt, now, give_back)
    try:
        sent = bookings.transact_with_retry(
            lambda: bookings.cancel_booking(
                appt,
                appt.days(b.config.tz),
                now,
                reason,
                messages,
                lease=outbox.IMMEDIATE_LEASE,
                freed=freed,
                refund=owed,
                by=by,
                gave_back=give_back,
            )
        )
    except bookings.StaleAppointment:
        fresh = bookings.get_appointment(b.id, appt.id) if owed is not None and not again else None
        if fresh is None or (fresh.status, fresh.seq) != (appt.status, appt.seq):
            raise _changed_meanwhile() from None
        # Only her payment changed since the read (an owner's refund, say): what goes back,
        # and what the message says of it, from the payment as it now stands.
        return _cancel(b, fresh, reason, notify=notify, invite=invite, by=by, give_back=give_back, again=True)
    outbox.deliver(sent, now)
    refill.offer_freed(b, freed, now)
    if appt.reward_id:  # back on her card: kept only if her stamps still cover it
        from chalicelib.services import loyalty

        loyalty.after_give_back(b, appt, now)
    if owed is not None:
        cancelled = replace(cancelled, payment=owed[0])
        if fees.make_owed(b, owed[1], now) is not None:
            cancelled = bookings.get_appointment(b.id, appt.id) or cancelled
    return cancelled


def _anyone_free(b: Business, appt: Appointment, service: Service, start: datetime, now: datetime) -> Staff | None:
    """She booked "anyone": who of those doing the service can take the visit at `start` by
    the public rules and their day sheets (her own stylist first; the move's transaction
    checks again), or None."""
    cfg = b.config
    members = sorted(cfg.staff_for(service.id), key=lambda m: m.id != appt.staff_id)
    members = [m for m in members if avail.is_allowed_start(cfg, service, m, start, now)]
    if not members:
        return None
    end = start + timedelta(minutes=service.occupancy_minutes)
    days = days_touched(start, end, cfg.tz)
    sheets = daysheets.read(b.id, [(m.id, d) for m in members for d in days])
    ref = appointment_ref(appt.id)
    return next((m for m in members if not sheets.clashes(m.id, days, start, end, ignore=ref)), None)


def move(
    b: Business, appt: Appointment, start_at: datetime, staff_id: str | None = None, *, desk: bool, notify: bool = True
) -> Appointment:
    """Move a booked visit to `start_at` (and to `staff_id`): the new time is taken and
    the old one freed in one transaction, or nothing changes. Online the public rules
    apply; at the desk the staff member's hours do (`desk`), and its SMS is the salon's:
    it waits out the quiet hours (message_plans.booking_event `by_salon`)."""
    cfg, now = b.config, clock.now()
    service = cfg.service(appt.service_id)
    staff = cfg.staff_member(staff_id or appt.staff_id)
    if staff_id and (not staff or not service or service.id not in staff.services):
        raise ValidationFailed(
            "That staff member does not offer this service.",
            fields={"staff": "unknown staff or does not offer the service"},
        )
    if not service or not staff or service.id not in staff.services:
        raise Conflict(
            "This booking's service is no longer offered online; please contact the business.",
            code="service_unavailable",
        )
    if staff_id is None and appt.any_staff and not desk:
        staff = _anyone_free(b, appt, service, start_at, now) or staff
    if start_at == appt.start and staff.id == appt.staff_id:
        return appt
    allowed = avail.is_allowed_desk_start if desk else avail.is_allowed_start
    if not allowed(cfg, service, staff, start_at, now):
        problem = (avail.desk_start_problem if desk else avail.start_problem)(cfg, start_at, now)
        raise ValidationFailed(f"The new start time {problem}.", fields={"start": problem})
    moved = appt.moved_to(start_at, service, now, staff_id=staff.id)
    client = clients.get_client(b.id, appt.client_id)
    messages, reminders = [], []
    if client:
        if notify:
            messages = message_plans.booking_event(
                b,
                moved,
                "rescheduled",
                client.name,
                client.phone,
                client.email,
                now,
                previous_start=appt.start,
                by_salon=desk,
            )
        reminders = message_plans.reminders(
            b, moved, client.name, client.phone, client.email, now
        ) + message_plans.feedback_request(b, moved, client.name, client.phone, client.email)
    old_days, new_days = appt.days(cfg.tz), moved.days(cfg.tz)
    freed = refill.freed(b, f"{appt.id}#{appt.seq}", [(appt.staff_id, appt.start, appt.occupied_until)], now)
    for attempt in range(ATTEMPTS):
        sheets = daysheets.read(b.id, [(moved.staff_id, d) for d in new_days])
        if sheets.clashes(moved.staff_id, new_days, moved.start, moved.occupied_until, ignore=appointment_ref(appt.id)):
            raise SlotTaken(
                "That time was just taken. The booking was not changed.", fields={"start": "no longer free"}
            )
        try:
            sent = bookings.transact_with_retry(
                functools.partial(
                    bookings.reschedule_booking,
                    appt,
                    old_days,
                    moved,
                    new_days,
                    sheets,
                    now,
                    messages,
                    lease=outbox.IMMEDIATE_LEASE,
                    later=reminders,
                    freed=freed,
                )
            )
        except bookings.SheetChanged:
            bookings.pause_before_retry(attempt)
            continue
        except bookings.StaleAppointment:
            raise _changed_meanwhile() from None
        outbox.deliver(sent, now)
        refill.offer_freed(b, freed, now)  # its old time
        return moved
    raise Conflict("The calendar is busy right now; please try again.", code="calendar_busy")
