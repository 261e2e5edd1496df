"""Held bookings: a new client's booking held until she confirms it (the business's
`limits.hold_unconfirmed`, chalicelib/domain/limits.py `hold_until`) and her
confirmation link; and the one job that ends every hold that ran out, whatever it
waited for (a booking held while she pays: services/payments/holds.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock, links
from chalicelib.domain.booking import Appointment, HoldFor, Status
from chalicelib.domain.config import Business
from chalicelib.errors import Conflict, Gone, NotFound
from chalicelib.jobs.budget import BUDGET_SECONDS, Budget
from chalicelib.observability import logger
from chalicelib.services.booking.views import booking_view
from chalicelib.services.waitlist import refill
from chalicelib.store import bookings, businesses, holds, jobs

JOB = "hold_expiry"
# Holds exist only since the job does (it runs every minute); after that its watermark
# says where to go on from, however long it was stopped.
FIRST_LOOKBACK = timedelta(hours=2)
OVERLAP = timedelta(minutes=10)  # the index lags the table a moment


def _from_token(token: str) -> tuple[Business, Appointment]:
    claims = links.claims_or_4xx(token, "hold", clock.now(), expired=Gone)
    b = businesses.get_by_id(claims.business_id)
    appt = bookings.get_appointment(claims.business_id, claims.subject) if b else None
    if not b or not appt:
        raise NotFound("This booking no longer exists.", key="booking_gone")
    return b, appt


def _not_confirmable(appt: Appointment, now: datetime) -> Exception | None:
    """Why the booking cannot be confirmed (None: it can, or already is)."""
    if appt.status == Status.CANCELLED.value and appt.cancel_reason == holds.UNCONFIRMED:
        return _ran_out()
    if appt.status != Status.BOOKED.value:
        return Conflict(f"This booking is {appt.status.replace('_', ' ')}.", code=f"booking_{appt.status}")
    if appt.awaiting_confirmation and appt.hold_until is not None and appt.hold_until <= now:
        return _ran_out()
    return None


def _ran_out() -> Gone:
    return Gone(
        "This booking was not confirmed in time and its time was released. Please book again.",
        code="hold_expired",
    )


def booking(token: str) -> dict[str, Any]:
    """What the confirmation link's page shows (reading it changes nothing)."""
    b, appt = _from_token(token)
    problem = _not_confirmable(appt, clock.now())
    if problem is not None:
        raise problem
    return booking_view(b, appt)


def confirm(token: str) -> dict[str, Any]:
    """POST of the link: the time is hers like any booking's. Again: the same answer."""
    b, appt = _from_token(token)
    now = clock.now()
    problem = _not_confirmable(appt, now)
    if problem is not None:
        raise problem
    if not appt.awaiting_confirmation:
        return booking_view(b, appt)  # confirmed before (or never held)
    try:
        holds.confirm(appt, appt.days(b.config.tz), now)
    except holds.HoldGone:
        again = bookings.get_appointment(b.id, appt.id)
        problem = _not_confirmable(again, now) if again else _ran_out()
        if problem is not None:
            raise problem from None
        assert again is not None
        return booking_view(b, again)
    logger().info("booking hold confirmed", extra={"business_id": b.id, "appointment_id": appt.id})
    return booking_view(b, replace(appt, hold_confirmed_at=now, seq=appt.seq + 1))


def run(now: datetime, simulated: bool = False, budget_seconds: float = BUDGET_SECONDS) -> dict[str, int]:
    """The job: end every hold that ran out since the last run (index g4 by hour,
    consistent reads, a conditional ending each: a booking's hold ends once however many
    runs overlap, and never after its client confirmed or paid). A hold for her
    confirmation is freed with no message (she never confirmed the contact; the calendar
    and the feeds show it cancelled); a hold for her payment asks Stripe first (a missed
    webhook: paid, booked) and is otherwise released, its time freed.
    An hour of the index at a time within the budget: a run it stops leaves the
    watermark at the hour it did not finish (ending again is a no-op)."""
    from chalicelib.services.payments import holds as payment_holds

    watermark = jobs.get_watermark(JOB) or now - FIRST_LOOKBACK
    since = (min(watermark, now - FIRST_LOOKBACK) if simulated else watermark) - OVERLAP
    summary = {"found": 0, "freed": 0, "paid": 0, "stopped_by_budget": 0}
    budget, position = Budget(budget_seconds), now
    for hour, found in holds.run_out_by_hour(since, now):
        if found and not budget.fits():  # an hour with nothing to end costs its Queries only
            summary["stopped_by_budget"], position = 1, hour
            break
        by_business: dict[str, list[str]] = {}
        for a in found:
            by_business.setdefault(a.business_id, []).append(a.id)
        for business_id, ids in sorted(by_business.items()):
            b = businesses.get_by_id(business_id)
            for appt in bookings.get_appointments(business_id, ids):  # as the table has them now
                if not appt.held or appt.hold_until is None or appt.hold_until > now:
                    continue
                summary["found"] += 1
                if appt.waits_for == HoldFor.PAYMENT.value:
                    outcome = payment_holds.expire(b, appt, now) if b else None
                    summary["paid" if outcome == "confirmed" else "freed"] += outcome is not None
                    continue  # a released payment hold offers its time itself
                days = appt.days(b.config.tz) if b else []
                stretch = [(appt.staff_id, appt.start, appt.occupied_until)]
                freed = refill.freed(b, f"{appt.id}#{appt.seq}", stretch, now) if b else None
                if holds.free(appt, days, now, freed):
                    summary["freed"] += 1
                    if b is not None:
                        refill.offer_freed(b, freed, now)
    if not simulated:
        jobs.set_watermark(JOB, position, now)
    logger().info("hold_expiry finished", extra=summary)
    return summary
