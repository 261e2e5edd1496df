"""Time-zone math. Instants are UTC; wall-clock rules go through zoneinfo here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# The days a business can mean when it asks about a date (a visit, a report, a range):
# far from the calendar's own ends, so a day or a week added, or a time zone applied, fits.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)


def local_wall_to_utc(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """Wall-clock minutes after local midnight on `day` -> UTC instant.

    A wall time inside the spring-forward gap resolves to the instant it would have
    been without the gap (e.g. 03:30 -> 04:30 EEST); an ambiguous one in the autumn
    takes its first occurrence.
    """
    wall = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minutes)
    # datetime + timedelta keeps wall-clock arithmetic; re-attach tz to resolve offset.
    wall = datetime(wall.year, wall.month, wall.day, wall.hour, wall.minute, tzinfo=tz)
    return wall.astimezone(UTC)


def to_local(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz)


def iso_local(instant: datetime, tz: ZoneInfo) -> str:
    """ISO 8601 with the local offset, e.g. 2026-11-24T14:00:00+02:00."""
    return instant.astimezone(tz).isoformat(timespec="seconds")


def iso_utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sortable_utc(instant: datetime) -> str:
    """UTC to the microsecond: what is written in the same second still sorts in order."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _iso(value: object, not_text: str) -> datetime:
    """An ISO 8601 date-time as typed, bounded in length; "Z" read as UTC."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(not_text)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise ValueError("expected an ISO 8601 time such as 2026-11-24T14:00:00+02:00") from None


def within_days_kept(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def parse_instant(value: str) -> datetime:
    """Parse an ISO 8601 timestamp that carries an offset (or Z); naive times are rejected,
    and so are times off FIRST_DAY..LAST_DAY (at year 1 or 9999 moving it to UTC, to a
    salon's zone or a week on would overflow: bad input, never a 500)."""
    parsed = _iso(value, "expected an ISO 8601 time with offset")
    if parsed.tzinfo is None:
        raise ValueError("the time must carry its UTC offset, e.g. +02:00")
    if not within_days_kept(parsed.date()):
        raise ValueError(f"the time must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}")
    return parsed.astimezone(UTC)


def parse_utc(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def daterange(start: date, end: date) -> Iterator[date]:
    """Inclusive range of dates."""
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def parse_local_or_instant(value: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 time with an offset, or a local wall-clock time without one (read in
    `tz`). A wall time that does not exist (the spring-forward gap) is refused; one that
    happens twice (the autumn hour) is its first occurrence."""
    parsed = _iso(value, "expected an ISO 8601 time")
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    wall = parsed.replace(tzinfo=tz, fold=0)
    instant = wall.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != parsed:
        raise ValueError("this local time does not exist (the clocks skip it)")
    return instant
