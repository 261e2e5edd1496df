"""Time off: a block of a staff member's time (or the whole salon's) nobody can book,
once or every week until a date.

A block is written on the day sheets of every staff member and local day each of its
occurrences touches (chalicelib/domain/daysheet.py, refs `o<id>_<n>`), so availability
and the booking transaction see it like any booking. Occurrences repeat on the same
local wall-clock times: a weekly 12:00-13:00 lunch stays 12:00-13:00 across a DST switch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.availability import without
from chalicelib.domain.daysheet import Taken, days_touched, time_off_ref
from chalicelib.domain.plaintext import OneLine

MAX_LENGTH = timedelta(days=31)  # one occurrence
MAX_AHEAD = timedelta(days=366)
MAX_OCCURRENCES = 53  # a year of weeks
MAX_SHEET_WRITES = 2000  # staff x days over every occurrence


class RepeatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weekly_until: date


class TimeOffIn(BaseModel):
    """Body of POST /time-off; `start`/`end` are read in the business's zone by the service."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    staff: str | None = Field(default=None, min_length=1, max_length=40)
    start: str = Field(min_length=1, max_length=40)
    end: str = Field(min_length=1, max_length=40)
    reason: OneLine = Field(default="", max_length=200)
    repeat: RepeatIn | None = None


@dataclass(frozen=True)
class TimeOff:
    """One block of time off (its first occurrence; weekly until `weekly_until`).
    `staff_ids` are the sheets it is written on: one staff member, or every staff member
    of the salon when it was made (`staff_id` None)."""

    id: str
    business_id: str
    staff_id: str | None
    start: datetime
    end: datetime
    reason: str
    weekly_until: date | None
    staff_ids: tuple[str, ...]
    created_at: datetime

    @property
    def whole_salon(self) -> bool:
        return self.staff_id is None


@dataclass(frozen=True)
class Occurrence:
    n: int
    start: datetime
    end: datetime


def _shift_weeks(instant: datetime, weeks: int, tz: ZoneInfo) -> datetime:
    """The same local wall-clock time `weeks` weeks later (DST-proof); a time the clocks
    skip that day (03:30 when they go from 03:00 to 04:00) is the moment they skip to."""
    local = instant.astimezone(tz)
    wall = datetime(local.year, local.month, local.day, local.hour, local.minute, tzinfo=tz) + timedelta(weeks=weeks)
    wall = datetime(wall.year, wall.month, wall.day, wall.hour, wall.minute, tzinfo=tz)
    for minutes in range(MAX_GAP_MINUTES + 1):
        later = wall + timedelta(minutes=minutes)
        utc = later.astimezone(UTC)
        if utc.astimezone(tz).replace(tzinfo=None) == later.replace(tzinfo=None):  # a time that exists
            return utc
    return wall.astimezone(UTC)


MAX_GAP_MINUTES = 180  # the longest a zone's clocks have jumped ahead at once (hours, never days)


def occurrences(t: TimeOff, tz: ZoneInfo) -> list[Occurrence]:
    """Each occurrence, the first one numbered 0."""
    out = [Occurrence(0, t.start, t.end)]
    if t.weekly_until is None:
        return out
    for n in range(1, MAX_OCCURRENCES):
        start = _shift_weeks(t.start, n, tz)
        if start.astimezone(tz).date() > t.weekly_until:
            break
        end = _shift_weeks(t.end, n, tz)
        if end > start:  # else wholly in the hour the clocks skip that day: nothing to block
            out.append(Occurrence(n, start, end))
    return out


def uncovered(old: TimeOff, new: TimeOff, tz: ZoneInfo) -> list[tuple[str, datetime, datetime]]:
    """What `old` blocked and `new` (its replacement) does not: (staff id, start, end)."""
    spans = [(o.start, o.end) for o in occurrences(old, tz)]
    still = [(o.start, o.end) for o in occurrences(new, tz)]
    return [
        (staff, start, end)
        for staff in old.staff_ids
        for start, end in without(spans, still if staff in new.staff_ids else [])
    ]


def sheet_entries(t: TimeOff, tz: ZoneInfo) -> list[tuple[str, date, Taken]]:
    """(staff, local day, what is taken) for every sheet the block is written on."""
    return [
        (staff, day, Taken(time_off_ref(t.id, o.n), o.start, o.end))
        for o in occurrences(t, tz)
        for staff in t.staff_ids
        for day in days_touched(o.start, o.end, tz)
    ]


def problems(start: datetime, end: datetime, weekly_until: date | None, now: datetime, tz: ZoneInfo) -> dict[str, str]:
    """What is wrong with a block's times, by field; empty when nothing is."""
    out: dict[str, str] = {}
    if end <= start:
        out["end"] = "must be after the start"
    elif end - start > MAX_LENGTH:
        out["end"] = f"one block may last at most {MAX_LENGTH.days} days"
    if end <= now:
        out.setdefault("end", "is in the past")
    if start > now + MAX_AHEAD:
        out["start"] = "is more than a year ahead"
    if weekly_until is not None and end - start >= timedelta(weeks=1):
        out.setdefault("end", "a block that repeats weekly must be shorter than a week")
    if weekly_until is not None:
        first_day = start.astimezone(tz).date()
        if weekly_until < first_day:
            out["repeat.weekly_until"] = "is before the first occurrence"
        elif weekly_until > first_day + timedelta(weeks=MAX_OCCURRENCES - 1):
            out["repeat.weekly_until"] = f"repeat for at most {MAX_OCCURRENCES} weeks"
    return out


def overlaps(t: TimeOff, tz: ZoneInfo, lo: datetime, hi: datetime) -> bool:
    return any(o.start < hi and lo < o.end for o in occurrences(t, tz))


def same_time_off(new: TimeOff, existing: list[TimeOff], tz: ZoneInfo) -> tuple[TimeOff, Occurrence] | None:
    """The first block of `existing` that is the same staff member's (or, for a whole-salon
    block, the whole salon's) and overlaps an occurrence of `new`, with its occurrence:
    the same time off entered twice. Blocks only touching (one ends as the next starts)
    do not overlap; a staff member's own block under the salon's closure does not count."""
    mine = occurrences(new, tz)
    for t in sorted(existing, key=lambda x: (x.start, x.id)):
        if t.id == new.id or t.staff_id != new.staff_id:
            continue
        for o in occurrences(t, tz):
            if any(m.start < o.end and o.start < m.end for m in mine):
                return t, o
    return None
