"""What the front desk's calendar shows besides the bookings: the business's opening
hours and each staff member's working hours per local day (the gaps are her breaks),
the markers on a booking, and the token that says whether anything changed.

Wall-clock hours become UTC instants through zoneinfo per local date, so a day with a
DST switch has its real length (23 or 25 hours).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chalicelib.domain.availability import working_intervals
from chalicelib.domain.config import BusinessConfig, Staff
from chalicelib.domain.daysheet import DaySheet
from chalicelib.domain.timeutil import daterange, local_wall_to_utc

Span = tuple[datetime, datetime]  # [start, end) in UTC


def opening_intervals(cfg: BusinessConfig, day: date) -> list[Span]:
    """When the business is open on local date `day` (nothing on a closure)."""
    if cfg.closure_on(day) is not None:
        return []
    return [
        (local_wall_to_utc(day, i.start, cfg.tz), local_wall_to_utc(day, i.end, cfg.tz))
        for i in cfg.opening_hours.for_weekday(day.weekday())
    ]


def staff_hours(cfg: BusinessConfig, staff: Staff, day: date) -> list[Span]:
    """When `staff` works on `day` (her hours inside the business's, or her own on an
    exception day); the gaps between the intervals are her breaks."""
    return working_intervals(cfg, staff, day)


@dataclass(frozen=True)
class Markers:
    """The small signs on a booking in the calendar."""

    note: bool
    allergy: bool
    first_visit: bool
    deposit: bool = False  # money of the client's is held for it (a deposit or prepayment)
    held: bool = False  # a new client's booking waiting for her confirmation link
    paid: bool = False  # checked out at the desk

    def as_dict(self) -> dict[str, bool]:
        return {
            "note": self.note,
            "allergy": self.allergy,
            "first_visit": self.first_visit,
            "deposit": self.deposit,
            "held": self.held,
            "paid": self.paid,
        }


def is_first_visit(
    completed_visits: int, last_visit_at: datetime | None, start: datetime, first_visit_at: datetime | None = None
) -> bool:
    """No completed visit before this one, as the client's figures count them: none at
    all, or her first is this very visit (kept when a second one that day is completed
    after it). Figures kept before the first visit was (`first_visit_at` None): only
    this very visit counted."""
    if completed_visits == 0:
        return True
    if first_visit_at is not None:
        return first_visit_at >= start
    return completed_visits == 1 and last_visit_at is not None and last_visit_at >= start


# --- "changed since" ------------------------------------------------------------------
# Every write that changes what the calendar shows writes the day sheets of the staff
# and days it touches (a booking, a cancellation, a move, a visit mark, time off), and
# every such write moves the sheet's version. The versions of a range's sheets are its
# fingerprint: read again, compared, and nothing else.
_TOKEN = re.compile(r"^(\d{8})-(\d{8})-([0-9a-f]{16})$")
MAX_TOKEN_DAYS = 42


def fingerprint(sheets: Iterable[DaySheet]) -> str:
    parts = sorted(f"{s.day.isoformat()}#{s.staff_id}={s.version}" for s in sheets)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def make_token(first: date, last: date, sheets: Iterable[DaySheet]) -> str:
    """An opaque token for the local days [first, last] as the sheets were read."""
    return f"{first:%Y%m%d}-{last:%Y%m%d}-{fingerprint(sheets)}"


def read_token(token: str) -> tuple[date, date, str] | None:
    """(first, last, fingerprint) of a token this module made; None if it is not one."""
    found = _TOKEN.match(token or "")
    if not found:
        return None
    try:
        first = datetime.strptime(found.group(1), "%Y%m%d").date()
        last = datetime.strptime(found.group(2), "%Y%m%d").date()
    except ValueError:
        return None
    if last < first or (last - first) > timedelta(days=MAX_TOKEN_DAYS):
        return None
    return first, last, found.group(3)


def days_of(first: date, last: date) -> list[date]:
    return list(daterange(first, last))
