"""Occupancy and revenue per staff member (docs/kpis.md, "Per staff member").

Occupancy = booked minutes / working minutes over the local days of a period:

* working minutes: the staff member's hours inside the business's opening hours on each
  day, from the configuration (weekly hours, her days off and dated exceptions, the
  salon's closures) — the same intervals availability offers — less the time off given
  (blocks of [start, end) in UTC; overlapping blocks count once);
* booked minutes: the time her kept bookings hold, counted on the day they start: the
  service and its buffer, whatever the outcome (a no-show held the time too); cancelled
  bookings hold nothing. They come from the KPI counters (`booked_minutes`).

A staff member with no working minutes in the period has no occupancy (null), whatever
she had booked. Bookings outside her hours (or a buffer running past closing) can take
the rate over 1; it is not capped, so the owner sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from chalicelib.domain.availability import working_intervals
from chalicelib.domain.config import BusinessConfig, Staff
from chalicelib.domain.csv_import import UNKNOWN as IMPORTED_STAFF
from chalicelib.domain.timeutil import daterange

Block = tuple[datetime, datetime]  # [start, end) in UTC


def _merged(blocks: Iterable[Block]) -> list[Block]:
    out: list[Block] = []
    for lo, hi in sorted(b for b in blocks if b[1] > b[0]):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _minutes(lo: datetime, hi: datetime) -> int:
    return max(0, int((hi - lo).total_seconds() // 60))


def working_minutes(cfg: BusinessConfig, staff: Staff, first: date, last: date, time_off: Iterable[Block] = ()) -> int:
    """Her working minutes on the local days first..last, time off taken out. Real
    minutes: the intervals are UTC instants, so a DST switch inside working hours
    changes them (it does not at a salon's usual hours, the switches being at night)."""
    off = _merged(time_off)
    total = 0
    for day in daterange(first, last):
        for lo, hi in working_intervals(cfg, staff, day):
            taken = sum(_minutes(max(lo, a), min(hi, b)) for a, b in off if a < hi and lo < b)
            total += _minutes(lo, hi) - taken
    return total


def rate(booked: int, working: int) -> float | None:
    return round(booked / working, 4) if working else None


def per_staff(
    cfg: BusinessConfig,
    first: date,
    last: date,
    counters: Mapping[str, Mapping[str, int]],
    time_off: Mapping[str, Sequence[Block]] | None = None,
) -> list[dict[str, Any]]:
    """Occupancy, visits and revenue of each staff member over first..last: everyone in
    the configuration (in its order), then anyone no longer in it who has counters in
    the period (her working minutes are unknown: 0; no name, `not_in_team` says why:
    `removed` from the configuration, or `imported` visits whose staff matched no one). `counters` maps a staff id to her
    counters (chalicelib/domain/kpis.py STAFF_COUNTERS) summed over the period."""
    out = []
    known = {s.id for s in cfg.staff}
    for s in cfg.staff:
        c = counters.get(s.id, {})
        working = working_minutes(cfg, s, first, last, (time_off or {}).get(s.id, ()))
        out.append(_entry(s.id, s.name, c, working))
    for staff_id in sorted(set(counters) - known):
        # No name to show: the dashboard words "imported, staff unknown" or "former staff"
        # (a raw id — "import" — read as a member of staff called so).
        gone = "imported" if staff_id == IMPORTED_STAFF else "removed"
        out.append({**_entry(staff_id, None, counters[staff_id], 0), "not_in_team": gone})
    return out


def _entry(staff_id: str, name: str | None, c: Mapping[str, int], working: int) -> dict[str, Any]:
    booked = int(c.get("booked_minutes", 0))
    return {
        "staff": staff_id,
        "name": name,
        "booked_minutes": booked,
        "working_minutes": working,
        "rate": rate(booked, working),
        "bookings": int(c.get("booked", 0)),
        "visits": int(c.get("completed", 0)),
        "no_shows": int(c.get("no_show", 0)),
        "revenue_cents": int(c.get("revenue_cents", 0)),
    }
