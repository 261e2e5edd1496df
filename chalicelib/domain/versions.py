"""The version of a record edited on several devices (a client's profile, a follow-up):
its `updated_at` as a whole number, for `If-Match`. A device sends the version it showed;
the write is refused if the record moved on since, so one device never silently
overwrites what another saved. Each write moves `updated_at` forward by at least a
microsecond, so two writes never share a version, even within one clock tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TICK = timedelta(microseconds=1)


def version_of(updated_at: datetime | None) -> int:
    """Microseconds since 1970 of the last write; 0 for a record never changed since it
    was made without an `updated_at`."""
    return 0 if updated_at is None else (updated_at - _EPOCH) // _TICK


def stamp_after(now: datetime, previous: datetime | None) -> datetime:
    """The `updated_at` of a write over `previous`: now, or just after `previous` when the
    clock has not moved past it (a coarse or frozen clock, two quick saves)."""
    return now if previous is None or now > previous else previous + _TICK
