"""Time off at the front desk: a staff member's (or the whole salon's) blocks, once or
weekly. Writing one puts it on the day sheets, so online availability and every booking
see it at once; the answer lists the bookings it covers, each with a proposed new time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain import timeoff as rules
from chalicelib.domain.booking import Appointment
from chalicelib.domain.config import Business
from chalicelib.domain.daysheet import DaySheet, SheetKey
from chalicelib.domain.ids import new_id
from chalicelib.domain.messages import Message
from chalicelib.domain.timeutil import iso_local, local_wall_to_utc, parse_instant
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.services.admin.calendar import appointment_view
from chalicelib.services.admin.common import (
    audited_after_commit,
    business_of,
    date_range,
    instant_of,
    parse,
    parse_date,
    today,
    valid_id,
)
from chalicelib.services.booking import availability
from chalicelib.services.waitlist import refill
from chalicelib.store import bookings, clients
from chalicelib.store import timeoff as store

PROPOSAL_DAYS = 14  # a covered booking's new time is looked for this many days ahead
MAX_LIST_DAYS = 366


def block_view(b: Business, t: rules.TimeOff) -> dict[str, Any]:
    tz = b.config.tz
    return {
        "id": t.id,
        "staff": t.staff_id,
        "whole_salon": t.whole_salon,
        "start": iso_local(t.start, tz),
        "end": iso_local(t.end, tz),
        "reason": t.reason,
        "repeat": {"weekly_until": t.weekly_until.isoformat()} if t.weekly_until else None,
    }


def _block(b: Business, body: object, now: datetime) -> rules.TimeOff:
    """A block from the request body (POST /time-off, PUT /time-off/{id}), validated."""
    cfg, tz = b.config, b.config.tz
    req: rules.TimeOffIn = parse(rules.TimeOffIn, body, "time off")
    if req.staff is not None and not cfg.staff_member(req.staff):
        raise ValidationFailed("No such staff member.", fields={"staff": "unknown staff"})
    start, end = instant_of(req.start, "start", b), instant_of(req.end, "end", b)
    weekly_until = req.repeat.weekly_until if req.repeat else None
    problems = rules.problems(start, end, weekly_until, now, tz)
    if problems:
        raise ValidationFailed("The time off has errors; see 'fields'.", fields=problems)
    return rules.TimeOff(
        id=new_id(),
        business_id=b.id,
        staff_id=req.staff,
        start=start,
        end=end,
        reason=req.reason,
        weekly_until=weekly_until,
        staff_ids=(req.staff,) if req.staff else tuple(m.id for m in cfg.staff),
        created_at=now,
    )


def _written(
    p: Principal,
    b: Business,
    t: rules.TimeOff,
    action: str,
    replaces: rules.TimeOff | None = None,
    freed: Message | None = None,
) -> dict[str, Any]:
    """Write the block on its sheets (an edit: in place of `replaces`, with its freed
    time's outbox item); the answer lists the bookings it covers."""
    tz = b.config.tz
    entries = rules.sheet_entries(t, tz)
    if len({(s, d) for s, d, _ in entries}) > rules.MAX_SHEET_WRITES:
        raise ValidationFailed(
            "The time off touches too many days; split it up.", fields={"repeat.weekly_until": "too many days"}
        )
    try:
        before = store.create(
            t,
            entries,
            rules.occurrences(t, tz)[-1].end,
            replaces,
            freed,
            vet=lambda sheets: _not_twice(b, t, replaces, sheets),
        )
    except store.TimeOffNotWritten:
        raise Conflict("The calendar is busy right now; please try again.", code="calendar_busy") from None
    except store.BlockGone:
        raise NotFound("No such time off.") from None
    covered = _covered(b, before, entries)
    audited_after_commit(p, action, None, {"time_off": t.id, "covered": len(covered)})
    people = clients.get_clients(b.id, {a.client_id for a in covered})
    used: list[tuple[str, datetime, datetime]] = []
    return {
        **block_view(b, t),
        "covered": [
            {**appointment_view(b, a, people.get(a.client_id)), "proposal": _proposal(b, a, used)} for a in covered
        ],
    }


def _not_twice(b: Business, t: rules.TimeOff, replaces: rules.TimeOff | None, sheets: list[DaySheet]) -> None:
    """409 time_off_overlaps: the staff member (or the whole salon) has a block over this
    time already (the same time off entered twice, by the owner and by the staff member):
    the answer names it, so she can edit that one instead. Asked of the sheets the block
    is about to be written on, as read for its transaction, which is conditioned on their
    versions: a block already there is on them, and one written by a request racing this
    one fails the transaction, whose retry reads it there. Two identical requests at once
    store one block. One BatchGetItem of the blocks on those sheets, if any."""
    tz = b.config.tz
    skip = {t.id, replaces.id if replaces else ""}
    ids = {x.time_off_id for s in sheets for x in s.taken if x.time_off_id and x.time_off_id not in skip}
    others = list(store.get_many(b.id, ids, ended_too=False).values()) if ids else []
    found = rules.same_time_off(t, others, tz)
    if found is None:
        return
    old, o = found
    raise Conflict(
        "This time off overlaps time off already there; edit or remove that one instead.",
        code="time_off_overlaps",
        fields={"start": "overlaps existing time off"},
        details={
            "overlaps": {
                "id": old.id,
                "staff": old.staff_id,
                "whole_salon": old.whole_salon,
                "start": iso_local(o.start, tz),
                "end": iso_local(o.end, tz),
                "reason": old.reason,
            }
        },
    )


def create(p: Principal, body: object) -> dict[str, Any]:
    b = business_of(p)
    t = _block(b, body, clock.now())
    return _written(p, b, t, "add_time_off")


def edit(p: Principal, time_off_id: str, body: object) -> dict[str, Any]:
    """Replace a block with the one in the body (the same shape as POST; it gets a new
    id). One change: the new block's (last) transaction also marks the old one replaced
    and writes the freed-time outbox item that takes the old one off its sheets and
    offers the time it covered and the new one does not — right after, or by the sweeper
    if this request dies first. The time is never open in between, and never both lost."""
    b = business_of(p)
    old = store.get(b.id, valid_id(time_off_id, "time off"))
    if old is None:
        raise NotFound("No such time off.")
    now = clock.now()
    new = _block(b, body, now)
    freed = refill.freed(
        b,
        f"timeoff#{old.id}",
        _ahead(b, rules.uncovered(old, new, b.config.tz), now),
        now,
        many=True,
        remove_time_off=old.id,
    )
    answer = _written(p, b, new, "edit_time_off", replaces=old, freed=freed)
    audited_after_commit(p, "delete_time_off", None, {"time_off": old.id, "replaced_by": new.id})
    refill.offer_freed(b, freed, now)
    return answer


def remove_replaced(b: Business, time_off_id: str) -> None:
    """Take a block that was replaced or removed off its sheets and out of the table
    (the freed-time item's first step; again: nothing more to do)."""
    t = store.get(b.id, time_off_id, ended_too=True)
    if t is not None:
        store.delete(t, rules.sheet_entries(t, b.config.tz))


def _covered(b: Business, before: list[DaySheet], entries: list[tuple[str, date, Any]]) -> list[Appointment]:
    """The bookings the block was written over, as the sheets held them, whose client is
    there during it: one whose clean-up time alone (the service's buffer after it) meets
    the block is not listed (a staff member's walk: a 15-16 visit listed under time off
    from 16)."""
    sheets = {SheetKey(s.staff_id, s.day): s for s in before}
    ids = set()
    for staff, day, taken in entries:
        sheet = sheets.get(SheetKey(staff, day))
        if sheet:
            ids |= {c.appointment_id for c in sheet.clashes(taken.start, taken.end) if c.appointment_id}
    found = [a for a in (bookings.get_appointment(b.id, i) for i in sorted(ids)) if a and a.is_active]
    blocks = [(staff, taken.start, taken.end) for staff, _, taken in entries]
    found = [a for a in found if any(s == a.staff_id and t0 < a.end and a.start < t1 for s, t0, t1 in blocks)]
    return sorted(found, key=lambda a: (a.start, a.id))


def _proposal(b: Business, a: Appointment, used: list[tuple[str, datetime, datetime]]) -> dict[str, str] | None:
    """The first free start for the same service, with the same staff member, else with
    anyone, within PROPOSAL_DAYS (by the online availability, which already leaves the
    time off out); not one whose time (clean-up included) overlaps one proposed to another
    covered booking already (`used`: staff, start, end): the desk may accept every proposal,
    one after the other, and each move must find its time free."""
    service = b.config.service(a.service_id)
    occupies = timedelta(minutes=service.occupancy_minutes) if service else a.occupied_until - a.start
    first = max(a.start.astimezone(b.config.tz).date(), today(b))
    query = {
        "service": a.service_id,
        "from": first.isoformat(),
        "to": (first + timedelta(days=PROPOSAL_DAYS - 1)).isoformat(),
    }
    for staff in (a.staff_id, None):
        try:
            free = availability.get_availability(b.config.slug, {**query, **({"staff": staff} if staff else {})})
        except ValidationFailed:
            continue  # the staff member no longer offers the service
        options = sorted((parse_instant(s), s, m["id"]) for m in free["staff"] for s in m["slots"])
        for at, start, staff_id in options:
            until = at + occupies
            if not any(s == staff_id and at < t1 and t0 < until for s, t0, t1 in used):
                used.append((staff_id, at, until))
                return {"start": start, "staff": staff_id}
    return None


def list_blocks(p: Principal, params: dict[str, str]) -> dict[str, Any]:
    """The blocks that touch the local days [from, to] (default: today and 30 days on),
    each with its occurrences in the range."""
    b = business_of(p)
    tz = b.config.tz
    params = params or {}
    first = parse_date(params.get("from"), "from", default=today(b))
    last = parse_date(params.get("to"), "to", default=first + timedelta(days=30))
    first, last = date_range(first, last, MAX_LIST_DAYS)
    lo, hi = local_wall_to_utc(first, 0, tz), local_wall_to_utc(last + timedelta(days=1), 0, tz)
    found = [t for t in store.ending_after(b.id, lo) if rules.overlaps(t, tz, lo, hi)]

    def span(x: datetime, y: datetime) -> dict[str, str]:
        return {"start": iso_local(x, tz), "end": iso_local(y, tz)}

    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "time_off": [
            {
                **block_view(b, t),
                "occurrences": [span(o.start, o.end) for o in rules.occurrences(t, tz) if o.start < hi and lo < o.end],
            }
            for t in sorted(found, key=lambda t: (t.start, t.id))
        ],
    }


def delete(p: Principal, time_off_id: str) -> None:
    """Free the block's time on every sheet and remove it; the time is bookable at once."""
    b = business_of(p)
    t = store.get(b.id, valid_id(time_off_id, "time off"))
    if t is None:
        raise NotFound("No such time off.")
    now = clock.now()
    # Removed time off is freed time: the waitlist hears of each occurrence still ahead.
    # Gone for the owner at once, with the item that frees its sheets and offers its time
    # (right after, or by the sweeper if this request dies first).
    stretches = [(s, o.start, o.end) for o in rules.occurrences(t, b.config.tz) for s in t.staff_ids]
    freed = refill.freed(b, f"timeoff#{t.id}", _ahead(b, stretches, now), now, many=True, remove_time_off=t.id)
    assert freed is not None  # it removes the block
    try:
        store.mark_removed(t, freed)
    except store.BlockGone:
        raise NotFound("No such time off.") from None
    audited_after_commit(p, "delete_time_off", None, {"time_off": t.id})
    refill.offer_freed(b, freed, now)


def _ahead(b: Business, stretches: list[tuple[str, datetime, datetime]], now: datetime) -> list[refill.Stretch]:
    """The stretches no longer blocked that the waitlist may be offered: now to the horizon."""
    horizon = now + timedelta(days=b.config.rules.max_horizon_days)
    return [(staff, max(start, now), end) for staff, start, end in stretches if end > now and start < horizon]
