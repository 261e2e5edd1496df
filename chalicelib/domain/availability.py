"""Free start times: opening hours x staff hours x existing bookings x booking rules.

All computation is on UTC instants; wall-clock hours are converted per local date
through zoneinfo, so days with a DST switch have the right number of real hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from chalicelib.domain.config import GRANULE_MINUTES, BusinessConfig, Interval, Service, Staff
from chalicelib.domain.timeutil import daterange, local_date, local_wall_to_utc

Busy = tuple[datetime, datetime]  # occupied [start, end) in UTC, buffer included


def _intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[tuple[int, int]]:
    out = []
    for x in a:
        for y in b:
            lo, hi = max(x.start, y.start), min(x.end, y.end)
            if lo < hi:
                out.append((lo, hi))
    return sorted(out)


def staff_hours_on(staff: Staff, day: date) -> Sequence[Interval]:
    if day in staff.days_off:
        return ()
    if day in staff.exceptions:
        return staff.exceptions[day]
    return staff.hours.for_weekday(day.weekday())


def business_closed(cfg: BusinessConfig, day: date) -> bool:
    """Is the business closed all of local date `day` (a closure, or a weekday with no
    opening hours that no staff member's exception opens)? Such a day is not offered."""
    if cfg.closure_on(day) is not None:
        return True
    return not cfg.opening_hours.for_weekday(day.weekday()) and not any(day in m.exceptions for m in cfg.staff)


def working_wall(cfg: BusinessConfig, staff: Staff, day: date) -> list[tuple[int, int]]:
    """When `staff` can serve clients on local date `day` (opening hours x her hours, her
    days off and exceptions; not her time off), as local minutes [start, end)."""
    if cfg.closure_on(day) is not None:
        return []
    business = cfg.opening_hours.for_weekday(day.weekday())
    # A staff exception on a date the business is normally closed (e.g. a Sunday
    # event) opens that date for that staff member only.
    if day in staff.exceptions and not business:
        business = staff.exceptions[day]
    return _intersect(business, staff_hours_on(staff, day))


def working_intervals(cfg: BusinessConfig, staff: Staff, day: date) -> list[tuple[datetime, datetime]]:
    """When `staff` can serve clients on local date `day`, as UTC instants."""
    tz = cfg.tz
    return [
        (local_wall_to_utc(day, lo, tz), local_wall_to_utc(day, hi, tz)) for lo, hi in working_wall(cfg, staff, day)
    ]


def candidate_starts(cfg: BusinessConfig, service: Service, staff: Staff, day: date, now: datetime) -> list[datetime]:
    """Start times the rules allow on `day`, ignoring other bookings."""
    rules = cfg.rules
    earliest = now + timedelta(minutes=rules.min_notice_minutes)
    latest = now + timedelta(days=rules.max_horizon_days)
    step = timedelta(minutes=rules.slot_step_minutes)
    duration = timedelta(minutes=service.duration_minutes)
    out = []
    for open_at, close_at in working_intervals(cfg, staff, day):
        t = open_at
        # The service must end by closing; its buffer may run past it (clean-up time).
        while t + duration <= close_at:
            if earliest <= t <= latest:
                out.append(t)
            t += step
    return out


def _sweep(candidates: Iterable[datetime], occupancy: timedelta, busy: Iterable[Busy]) -> list[datetime]:
    """The candidates (in order) whose [t, t + occupancy) overlaps no busy stretch: one
    pass over both sorted lists. A candidate overlaps when some stretch starts before its
    end and ends after its start; stretches that start before its end only grow in number
    as the candidates move on, so the latest end among them is all the sweep keeps."""
    occupied = sorted(busy)
    i, latest_end, free = 0, None, []
    for t in candidates:
        end = t + occupancy
        while i < len(occupied) and occupied[i][0] < end:
            latest_end = occupied[i][1] if latest_end is None else max(latest_end, occupied[i][1])
            i += 1
        if latest_end is None or latest_end <= t:
            free.append(t)
    return free


def free_starts(
    cfg: BusinessConfig, service: Service, staff: Staff, day: date, now: datetime, busy: Iterable[Busy]
) -> list[datetime]:
    occupancy = timedelta(minutes=service.occupancy_minutes)
    return _sweep(candidate_starts(cfg, service, staff, day, now), occupancy, busy)


def availability(
    cfg: BusinessConfig,
    service: Service,
    staff_members: Sequence[Staff],
    date_from: date,
    date_to: date,
    now: datetime,
    busy_by_staff: Mapping[str, Iterable[Busy]],
) -> dict[str, list[datetime]]:
    """Free start times per staff member over the inclusive local date range: each
    member's candidates of every day and her busy time, swept once together (linear in
    the days, not days x bookings)."""
    occupancy = timedelta(minutes=service.occupancy_minutes)
    result: dict[str, list[datetime]] = {}
    for member in staff_members:
        candidates = [
            t for day in daterange(date_from, date_to) for t in candidate_starts(cfg, service, member, day, now)
        ]
        result[member.id] = _sweep(sorted(candidates), occupancy, busy_by_staff.get(member.id, ()))
    return result


def is_allowed_start(cfg: BusinessConfig, service: Service, staff: Staff, start: datetime, now: datetime) -> bool:
    """True when the rules allow this start (hours, grid, notice, horizon); bookings aside."""
    # Compare in UTC: PEP 495 makes an ambiguous local time (the repeated autumn hour)
    # unequal to every instant in another zone.
    start = start.astimezone(UTC)
    return start in candidate_starts(cfg, service, staff, local_date(start, cfg.tz), now)


# At the desk the owner books by the hours, not by the online rules: a walk-in "now"
# (started a few minutes ago), any 5-minute mark, no notice, up to a year ahead.
DESK_GRACE = timedelta(minutes=15)
DESK_HORIZON = timedelta(days=366)


def is_allowed_desk_start(cfg: BusinessConfig, service: Service, staff: Staff, start: datetime, now: datetime) -> bool:
    """True when the owner may book `staff` at `start`: inside her working hours that
    day with the service ending by closing, on a 5-minute mark, not long past."""
    start = start.astimezone(UTC)
    if start.minute % GRANULE_MINUTES or start.second or start.microsecond:
        return False
    if not now - DESK_GRACE <= start <= now + DESK_HORIZON:
        return False
    end = start + timedelta(minutes=service.duration_minutes)
    return any(lo <= start and end <= hi for lo, hi in working_intervals(cfg, staff, local_date(start, cfg.tz)))


def walk_in_start(now: datetime) -> datetime:
    """A walk-in starts now, on the 5-minute mark just passed."""
    now = now.astimezone(UTC)
    return now.replace(minute=now.minute - now.minute % GRANULE_MINUTES, second=0, microsecond=0)


def desk_start_problem(cfg: BusinessConfig, start: datetime, now: datetime) -> str:
    if start < now - DESK_GRACE:
        return "is in the past"
    if start > now + DESK_HORIZON:
        return "is more than a year ahead"
    if start.astimezone(UTC).minute % GRANULE_MINUTES:
        return f"is not on a {GRANULE_MINUTES}-minute mark"
    return "is outside the staff member's working hours, or the service would run past closing"


def start_problem(cfg: BusinessConfig, start: datetime, now: datetime) -> str:
    """Why a start time that is not allowed is not, in words for the client."""
    rules = cfg.rules
    if start <= now:
        return "is in the past"
    if start < now + timedelta(minutes=rules.min_notice_minutes):
        return f"is too soon: book at least {rules.min_notice_minutes} minutes ahead"
    if start > now + timedelta(days=rules.max_horizon_days):
        return f"is too far ahead: book at most {rules.max_horizon_days} days ahead"
    return "is not a free start time (outside opening hours or off the time grid)"


def without(
    spans: Sequence[tuple[datetime, datetime]], taken: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """`spans` with every stretch of `taken` cut out."""
    out = list(spans)
    for lo, hi in taken:
        out = [piece for a, b in out for piece in ((a, min(b, lo)), (max(a, hi), b)) if piece[0] < piece[1]]
    return out


def added_working_time(old: BusinessConfig, new: BusinessConfig, now: datetime) -> list[tuple[str, datetime, datetime]]:
    """The working time `new` opens that `old` did not, from now to the booking horizon:
    (staff id, start, end) per staff member and local day (more opening or staff hours, a
    closure or day off taken back, a new staff member). The waitlist is offered it."""
    tz, horizon = new.tz, now + timedelta(days=new.rules.max_horizon_days)
    before = {m.id: m for m in old.staff}
    out = []
    for staff in new.staff:
        was = before.get(staff.id)
        for day in daterange(local_date(now, tz), local_date(horizon, tz)):
            opened = without(working_intervals(new, staff, day), working_intervals(old, was, day) if was else [])
            out += [(staff.id, max(a, now), min(b, horizon)) for a, b in opened if max(a, now) < min(b, horizon)]
    return out
