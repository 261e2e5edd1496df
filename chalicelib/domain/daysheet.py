"""A staff member's day sheet: what of her time is taken on one local day.

Every booking (its buffer included) and every block of time off is written on the day
sheet of each local day it touches, in the same transaction as the booking itself. A
booking is written only if the sheets it read are still at the version it read them
at (an optimistic lock), so of two overlapping bookings exactly one commits however
the requests race: the other finds the sheet changed, reads it again and sees the
time taken. A booking touches one sheet (two if it runs past midnight) whatever its
length, so a day-long course costs what a haircut costs.

Availability reads the sheets of the days asked for, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# What took the time: a booking, or a block of time off (one entry per occurrence).
APPOINTMENT = "a"
TIME_OFF = "o"


def appointment_ref(appointment_id: str) -> str:
    return f"{APPOINTMENT}{appointment_id}"


def time_off_ref(time_off_id: str, occurrence: int) -> str:
    return f"{TIME_OFF}{time_off_id}_{occurrence}"


@dataclass(frozen=True)
class Taken:
    """One stretch of taken time, [start, end) in UTC."""

    ref: str
    start: datetime
    end: datetime

    @property
    def is_time_off(self) -> bool:
        return self.ref.startswith(TIME_OFF)

    @property
    def appointment_id(self) -> str | None:
        return self.ref[len(APPOINTMENT) :] if self.ref.startswith(APPOINTMENT) else None

    @property
    def time_off_id(self) -> str | None:
        return self.ref[len(TIME_OFF) :].split("_")[0] if self.is_time_off else None


@dataclass(frozen=True)
class DaySheet:
    """The sheet as read; `version` 0 means nobody has written on it yet."""

    business_id: str
    staff_id: str
    day: date
    taken: tuple[Taken, ...] = ()
    version: int = 0

    def clashes(self, start: datetime, end: datetime, ignore: str | None = None) -> list[Taken]:
        """What on the sheet overlaps [start, end), apart from `ignore` (the booking being moved)."""
        return [t for t in self.taken if t.ref != ignore and t.start < end and start < t.end]


@dataclass(frozen=True)
class SheetKey:
    staff_id: str
    day: date


@dataclass
class Sheets:
    """The sheets a change read, by (staff, day); a sheet never written reads as empty."""

    business_id: str
    found: dict[SheetKey, DaySheet] = field(default_factory=dict)

    def get(self, staff_id: str, day: date) -> DaySheet:
        return self.found.get(SheetKey(staff_id, day)) or DaySheet(self.business_id, staff_id, day)

    def clashes(
        self, staff_id: str, days: Iterable[date], start: datetime, end: datetime, ignore: str | None = None
    ) -> list[Taken]:
        return [t for d in days for t in self.get(staff_id, d).clashes(start, end, ignore)]


def days_touched(start: datetime, end: datetime, tz: ZoneInfo) -> list[date]:
    """The local dates an interval [start, end) touches (one, or more past midnight)."""
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date() if end > start else first
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def busy_by_staff(sheets: Iterable[DaySheet], ignore: str | None = None) -> dict[str, list[tuple[datetime, datetime]]]:
    """Taken time per staff member, each stretch once (a booking past midnight is on two
    sheets), apart from `ignore` (the booking being moved: its own time is hers to move into)."""
    seen: dict[str, dict[str, tuple[datetime, datetime]]] = {}
    for sheet in sheets:
        for t in sheet.taken:
            if t.ref == ignore:
                continue
            seen.setdefault(sheet.staff_id, {})[t.ref] = (t.start, t.end)
    return {staff: sorted(stretches.values()) for staff, stretches in seen.items()}


# --- the sheet's compact form in the table --------------------------------------------
def encode(start: datetime, end: datetime) -> str:
    """'<start>-<end>' in whole UTC minutes since the epoch: short, and exact to the minute."""
    return f"{int(start.timestamp()) // 60}-{int(end.timestamp()) // 60}"


def decode(ref: str, value: str) -> Taken:
    lo, hi = value.split("-")
    return Taken(ref, datetime.fromtimestamp(int(lo) * 60, UTC), datetime.fromtimestamp(int(hi) * 60, UTC))


def sheet_from(business_id: str, staff_id: str, day: date, entries: Mapping[str, str], version: int) -> DaySheet:
    taken = tuple(sorted((decode(ref, v) for ref, v in entries.items()), key=lambda t: (t.start, t.ref)))
    return DaySheet(business_id, staff_id, day, taken, version)
