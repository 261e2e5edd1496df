"""What happened to a visit, and which marks the front desk may set when."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.availability import walk_in_start
from chalicelib.domain.booking import Appointment, Status

# "Arrived" may be marked a little before the start (an early client).
ARRIVAL_EARLIEST = timedelta(hours=1)


def outcome(a: Appointment, now: datetime) -> str:
    """upcoming | in_progress | completed | no_show | cancelled. After its end a booking
    counts as completed unless it was cancelled or marked a no-show."""
    if a.status in (Status.CANCELLED.value, Status.NO_SHOW.value, Status.COMPLETED.value):
        return a.status
    if now >= a.end:
        return Status.COMPLETED.value
    return "in_progress" if now >= a.start or a.status == Status.ARRIVED.value else "upcoming"


def mark_problem(a: Appointment, mark: str, now: datetime) -> tuple[str, str] | None:
    """Why `mark` cannot be set on this visit now, or None when it can: a reason for
    programs (cancelled, already_marked, not_started, checked_out; the dashboard says
    each in its own words) and the words for people."""
    if a.status == Status.CANCELLED.value:
        return "cancelled", "the booking was cancelled"
    if a.status == mark:
        return None  # idempotent
    if a.checkout is not None and mark in (Status.NO_SHOW.value, Status.BOOKED.value):
        # She paid at the desk, so she came: a no-show would charge its fee on top of what
        # she paid, an undo would leave a booking paid for that can be cancelled.
        return "checked_out", "the visit was checked out and paid at the desk"
    if mark == Status.BOOKED.value:
        return None  # undo a wrong mark
    if mark == Status.ARRIVED.value:
        if a.status != Status.BOOKED.value:
            return "already_marked", f"the visit is already marked {a.status.replace('_', '-')}"
        if now < a.start - ARRIVAL_EARLIEST:
            return "not_started", "the visit has not begun yet"
        return None
    if now < a.start:
        return "not_started", "the visit has not begun yet"
    if mark == Status.NO_SHOW.value and a.status == Status.COMPLETED.value and now < a.end:
        # Marked completed during the visit: its undo brings it back to booked, so a no-show
        # (which charges its fee) is not one stray tap beside "undo" on a completed visit.
        # After its end an undo leaves it completed (status_after_undo: the after-visit job
        # completes a visit nobody marked), so there the no-show corrects it directly.
        return "already_marked", "the visit is already marked completed; undo that mark first"
    return None  # no-show -> completed may be corrected; completed -> no-show after the end


def status_after_undo(a: Appointment, now: datetime) -> str:
    """What undoing a mark leaves: before the visit's end, booked again — or arrived, a
    done or no-show mark undone on a client the desk had marked arrived (she is in the
    chair); after it, a visit nobody marked took place (the after-visit job's rule), so
    completed."""
    if now >= a.end:
        return Status.COMPLETED.value
    if a.arrived_at is not None and a.status in (Status.COMPLETED.value, Status.NO_SHOW.value):
        return Status.ARRIVED.value
    return Status.BOOKED.value


def chair_free_from(a: Appointment, mark: str, now: datetime) -> datetime | None:
    """Marked done or a no-show while its time still runs: from when its staff member is
    free for someone else — from the 5-minute mark just passed, where a walk-in booked now
    starts (availability.walk_in_start), and for a visit done, after the service's buffer.
    None: its time stays as booked (not begun, already marked, or nothing left to give)."""
    if mark not in (Status.COMPLETED.value, Status.NO_SHOW.value):
        return None
    if a.status not in (Status.BOOKED.value, Status.ARRIVED.value) or now < a.start:
        return None
    free = max(a.start, walk_in_start(now))
    if mark == Status.COMPLETED.value:
        free += a.occupied_until - a.end  # her buffer: the chair cleaned, the next one prepared
    return free if free < a.occupied_until else None


def takes_time_back(a: Appointment, mark: str, now: datetime) -> bool:
    """Does this mark's undo give the visit back its booked time? Only a done or no-show
    mark undone while the time runs (after it there is nothing to hold)."""
    return (
        mark in (Status.BOOKED.value, Status.ARRIVED.value)
        and a.status in (Status.COMPLETED.value, Status.NO_SHOW.value)
        and now < a.occupied_until
    )
