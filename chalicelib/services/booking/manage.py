"""What the client's manage link does: show the booking (and its .ics), cancel it,
move it, turn its reminders off. The front desk cancels through `cancel` too."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib import clock, links
from chalicelib.domain import availability as avail
from chalicelib.domain.booking import Appointment, CancelIn, RescheduleIn, Status, can_change, cancellation_deadline
from chalicelib.domain.config import Business
from chalicelib.domain.timeutil import iso_local
from chalicelib.errors import Conflict, NotFound, SlotTaken, ValidationFailed
from chalicelib.notify import outbox
from chalicelib.services import message_plans
from chalicelib.services.booking.views import booking_view
from chalicelib.services.validation import parse
from chalicelib.store import bookings, businesses, clients


def _from_token(token: str) -> tuple[Business, Appointment]:
    claims = links.claims_or_4xx(token, "manage", clock.now())
    b = businesses.get_by_id(claims.business_id)
    appt = bookings.get_appointment(claims.business_id, claims.subject) if b else None
    if not b or not appt:
        raise NotFound("This booking no longer exists.")
    return b, appt


def get_booking(token: str) -> dict[str, Any]:
    b, appt = _from_token(token)
    client = clients.get_client(b.id, appt.client_id)
    return booking_view(b, appt, client_name=client.name if client else None)


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
        status="CANCELLED" if cancelled else "CONFIRMED",
        locale=appt.locale,
    )


def _ensure_changeable(b: Business, appt: Appointment, verb: str) -> None:
    if appt.status != Status.BOOKED.value:
        raise Conflict(
            f"This booking is {appt.status.replace('_', ' ')} and cannot be {verb}.", code=f"booking_{appt.status}"
        )
    if not can_change(appt.start, clock.now(), b.config.rules.cancellation_window_hours):
        deadline = cancellation_deadline(appt.start, b.config.rules.cancellation_window_hours)
        phone = f" Please call {b.config.phone}." if b.config.phone else ""
        raise Conflict(
            f"Bookings can be {verb} online until {iso_local(deadline, b.config.tz)}.{phone}",
            code="cancellation_window_passed",
            details={"deadline": iso_local(deadline, b.config.tz)},
        )


def cancel_booking(token: str, body: object) -> dict[str, Any]:
    b, appt = _from_token(token)
    req: CancelIn = parse(CancelIn, body if body is not None else {}, "cancellation")
    if appt.status == Status.CANCELLED.value:
        return booking_view(b, appt)  # cancelling twice is harmless
    _ensure_changeable(b, appt, "cancelled")
    return booking_view(b, cancel(b, appt, req.reason))


def cancel(b: Business, appt: Appointment, reason: str | None) -> Appointment:
    """Cancel a booked visit, free its time and tell the client. The client's link
    checks the cancellation window first; the front desk may cancel later (a late
    cancellation, which the KPIs count)."""
    now = clock.now()
    client = clients.get_client(b.id, appt.client_id)
    cancelled = replace(
        appt, status=Status.CANCELLED.value, seq=appt.seq + 1, cancelled_at=now, cancel_reason=reason, updated_at=now
    )
    messages = (
        message_plans.booking_event(b, cancelled, "cancelled", client.name, client.phone, client.email, now)
        if client
        else []
    )
    try:
        sent = bookings.transact_with_retry(
            lambda: bookings.cancel_booking(appt, now, reason, messages, lease=outbox.IMMEDIATE_LEASE)
        )
    except bookings.StaleAppointment:
        raise Conflict("This booking was changed meanwhile; reload and try again.", code="booking_changed") from None
    outbox.deliver(sent, now)
    return cancelled


def reschedule_booking(token: str, body: object) -> dict[str, Any]:
    b, appt = _from_token(token)
    req: RescheduleIn = parse(RescheduleIn, body, "new time")
    _ensure_changeable(b, appt, "moved")
    cfg, now = b.config, clock.now()
    service, staff = cfg.service(appt.service_id), cfg.staff_member(appt.staff_id)
    if not service or not staff or service.id not in staff.services:
        raise Conflict(
            "This booking's service is no longer offered online; please contact the business.",
            code="service_unavailable",
        )
    if req.start == appt.start:
        return booking_view(b, appt)
    if not avail.is_allowed_start(cfg, service, staff, req.start, now):
        problem = avail.start_problem(cfg, req.start, now)
        raise ValidationFailed(f"The new start time {problem}.", fields={"start": problem})
    moved = appt.moved_to(req.start, service, now)
    client = clients.get_client(b.id, appt.client_id)
    messages = (
        message_plans.booking_event(
            b, moved, "rescheduled", client.name, client.phone, client.email, now, previous_start=appt.start
        )
        if client
        else []
    )
    reminders = (
        message_plans.reminders(b, moved, client.name, client.phone, client.email, now)
        + message_plans.feedback_request(b, moved, client.name, client.phone, client.email)
        if client
        else []
    )
    try:
        sent = bookings.transact_with_retry(
            lambda: bookings.reschedule_booking(
                appt, moved, now, messages, lease=outbox.IMMEDIATE_LEASE, later=reminders
            )
        )
    except bookings.StaleAppointment:
        raise Conflict("This booking was changed meanwhile; reload and try again.", code="booking_changed") from None
    except SlotTaken:
        raise SlotTaken(
            "That time was just taken. Your booking was not changed.", fields={"start": "no longer free"}
        ) from None
    outbox.deliver(sent, now)
    return booking_view(b, moved)


def set_reminders(token: str, enabled: bool) -> dict[str, Any]:
    """The client's choice from the manage link; the sweeper checks it before sending."""
    b, appt = _from_token(token)
    if appt.status != Status.BOOKED.value:
        raise Conflict(f"This booking is {appt.status.replace('_', ' ')}.", code=f"booking_{appt.status}")
    bookings.set_reminders_off(appt, not enabled, clock.now())
    return booking_view(b, replace(appt, reminders_off=not enabled))
