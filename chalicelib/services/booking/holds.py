"""A new client's booking held until she confirms it (the business's
`limits.hold_unconfirmed`, chalicelib/domain/limits.py `hold_until`): her confirmation
link, and the job that frees the holds that ran out unconfirmed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock, links
from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.config import Business
from chalicelib.errors import Conflict, Gone, NotFound
from chalicelib.observability import logger
from chalicelib.services.booking.views import booking_view
from chalicelib.services.waitlist.refill import time_freed
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
    if appt.held and appt.hold_until is not None and appt.hold_until <= now:
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
    if not appt.held:
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


def run(now: datetime, simulated: bool = False) -> dict[str, int]:
    """The job: free every hold that ran out unconfirmed since the last run (index g4 by
    hour, consistent reads, a conditional cancellation each: a booking is freed once
    however many runs overlap, and never after its client confirmed it). No message
    goes to a client who never confirmed; the calendar and the feeds show it cancelled."""
    watermark = jobs.get_watermark(JOB) or now - FIRST_LOOKBACK
    since = (min(watermark, now - FIRST_LOOKBACK) if simulated else watermark) - OVERLAP
    summary = {"found": 0, "freed": 0}
    found = holds.run_out_between(since, now)
    by_business: dict[str, list[str]] = {}
    for a in found:
        by_business.setdefault(a.business_id, []).append(a.id)
    for business_id, ids in sorted(by_business.items()):
        b = businesses.get_by_id(business_id)
        for appt in bookings.get_appointments(business_id, ids):  # as the table has them now
            if not appt.held or appt.hold_until is None or appt.hold_until > now:
                continue
            summary["found"] += 1
            days = appt.days(b.config.tz) if b else []
            if holds.free(appt, days, now):
                summary["freed"] += 1
                if b is not None:
                    time_freed(b, appt.staff_id, appt.start, appt.occupied_until, now)
    if not simulated:
        jobs.set_watermark(JOB, now, now)
    logger().info("hold_expiry finished", extra=summary)
    return summary
