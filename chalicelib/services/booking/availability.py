"""Free start times: of a service over a few days, and the nearest to one just taken."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, NoReturn

from chalicelib import clock
from chalicelib.domain import availability as avail
from chalicelib.domain.daysheet import appointment_ref, busy_by_staff
from chalicelib.domain.timeutil import iso_local, local_date, parse_instant
from chalicelib.errors import ValidationFailed
from chalicelib.services.booking.profile import business
from chalicelib.services.validation import within_days_we_keep
from chalicelib.store import daysheets

MAX_RANGE_DAYS = 31
PAGE_DAYS = 14  # days the booking page's time step shows at once


def _bad_date(name: str) -> NoReturn:
    raise ValidationFailed(f"'{name}' must be a date like 2026-11-24.", fields={name: "expected YYYY-MM-DD"})


def _parse_date(value: str | None, name: str) -> date:
    if not value:
        raise ValidationFailed(f"'{name}' is required (YYYY-MM-DD).", fields={name: "required"})
    if len(value) != 10:
        _bad_date(name)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        _bad_date(name)
    return within_days_we_keep(day, name)


def get_availability(slug: str, params: dict[str, str], moving: str | None = None) -> dict[str, Any]:
    """Free start times; `moving`: the id of a booking being moved, whose own time counts free."""
    b = business(slug)
    cfg = b.config
    unknown = set(params) - {"service", "from", "to", "staff"}
    if unknown:
        raise ValidationFailed("Unknown query parameters.", fields=dict.fromkeys(unknown, "unknown parameter"))
    service = cfg.service(params.get("service") or "")
    if not service:
        raise ValidationFailed("Choose a service offered here.", fields={"service": "unknown service"})
    date_from, date_to = _parse_date(params.get("from"), "from"), _parse_date(params.get("to"), "to")
    if date_to < date_from:
        raise ValidationFailed("'to' is before 'from'.", fields={"to": "must not be before 'from'"})
    if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(
            f"Ask for at most {MAX_RANGE_DAYS} days at a time.", fields={"to": f"range over {MAX_RANGE_DAYS} days"}
        )
    members = cfg.staff_for(service.id)
    if params.get("staff"):
        members = [m for m in members if m.id == params["staff"]]
        if not members:
            raise ValidationFailed(
                "That staff member does not offer this service.",
                fields={"staff": "unknown staff or does not offer the service"},
            )
    now = clock.now()
    tz = cfg.tz
    # The day sheets say what is taken (bookings and time off); the day after the range
    # too, for a buffer that would run past midnight. One Query.
    sheets = daysheets.in_range(b.id, date_from, date_to + timedelta(days=1))
    busy = busy_by_staff(sheets, ignore=appointment_ref(moving) if moving else None)
    free = avail.availability(cfg, service, members, date_from, date_to, now, busy)
    return {
        "business": cfg.slug,
        "service": service.id,
        "timezone": cfg.timezone,
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "duration_minutes": service.duration_minutes,
        "staff": [{"id": m.id, "name": m.name, "slots": [iso_local(t, tz) for t in free[m.id]]} for m in members],
    }


def nearest_free(
    slug: str, service_id: str, staff_id: str | None, start_iso: str, limit: int = 6
) -> list[dict[str, Any]]:
    """The free start times nearest to one that was just taken: that day first, else
    the first of the next six days with any (what the "just taken" page offers)."""
    b = business(slug)
    try:
        wanted = parse_instant(start_iso)
    except ValueError:
        return []
    day = wanted.astimezone(b.config.tz).date()
    for offset in range(7):
        d = day + timedelta(days=offset)
        query = {"service": service_id, "from": d.isoformat(), "to": d.isoformat()}
        if staff_id:
            query["staff"] = staff_id
        try:
            free = get_availability(slug, query)
        except ValidationFailed:
            return []
        options = sorted((abs(parse_instant(s) - wanted), s, m["id"]) for m in free["staff"] for s in m["slots"])
        if options:
            seen, out = set(), []
            for _, s, staff in options:
                if s not in seen:
                    seen.add(s)
                    out.append({"start": s, "staff": staff, "day_differs": offset > 0})
            return sorted(out[:limit], key=lambda o: o["start"])
    return []


def time_step(
    slug: str,
    service_id: str,
    staff_id: str | None,
    wanted: date | None = None,
    page_from: date | None = None,
    moving: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The booking page's time step: a page of PAGE_DAYS days (closed days left out,
    days the staff member asked for, or everyone doing the service, does not work marked
    `off`), each with its free times — one merged list when anyone will do ("first available":
    a time is offered once, whoever is free then) — and the day shown: `wanted`, else
    the first day of the page with a free time. With neither `wanted` nor `page_from`
    the step opens on the first page with a free time, up to the booking horizon.
    One availability Query per page read. `moving`: (id, start) of a booking being moved
    (the manage page): a time overlapping its own is free to move to, its own start is
    not offered."""
    b = business(slug)
    cfg = b.config
    today = local_date(clock.now(), cfg.tz)
    last = today + timedelta(days=cfg.rules.max_horizon_days)
    members = [m for m in cfg.staff_for(service_id) if not staff_id or m.id == staff_id]
    chosen = cfg.staff_member(staff_id) if staff_id else None

    def clamp(d: date) -> date:
        return min(max(d, today), last)

    def page_of(d: date) -> date:
        return today + timedelta(days=((clamp(d) - today).days // PAGE_DAYS) * PAGE_DAYS)

    def read(start: date) -> list[dict[str, Any]]:
        end = min(start + timedelta(days=PAGE_DAYS - 1), last)
        query = {"service": service_id, "from": start.isoformat(), "to": end.isoformat()}
        if staff_id:
            query["staff"] = staff_id
        free = get_availability(slug, query, moving=moving[0] if moving else None)
        by_day: dict[str, dict[str, str]] = {}
        for member in free["staff"]:
            for s in member["slots"]:
                if moving and s == moving[1]:
                    continue
                # Anyone: a time once, whoever is free then (the booking picks among them).
                by_day.setdefault(s[:10], {}).setdefault(s, member["id"] if staff_id else "")
        days = []
        for i in range((end - start).days + 1):
            d = start + timedelta(days=i)
            if avail.business_closed(cfg, d):
                continue
            slots = by_day.get(d.isoformat(), {})
            days.append(
                {
                    "date": d,
                    "slots": [{"start": s, "staff": who} for s, who in sorted(slots.items())],
                    # No one asked for works that day (her weekday off): not "fully booked".
                    "off": not slots and not any(avail.working_intervals(cfg, m, d) for m in members),
                }
            )
        return days

    if wanted is not None or page_from is not None:
        start = page_of(wanted or page_from or today)
        days = read(start)
    else:
        start = today
        days = read(start)
        while not any(d["slots"] for d in days) and start + timedelta(days=PAGE_DAYS) <= last:
            start += timedelta(days=PAGE_DAYS)
            days = read(start)
        if not any(d["slots"] for d in days):
            start = today
            days = read(start)
    shown = next((d for d in days if wanted and d["date"] == wanted), None)
    shown = shown or next((d for d in days if d["slots"]), None) or (days[0] if days else None)
    following = next((d["date"] for d in days if d["slots"] and shown and d["date"] > shown["date"]), None)
    return {
        "days": days,
        "day": shown["date"] if shown else clamp(wanted or today),
        "off": bool(shown and shown["off"]),  # the day shown is one no one asked for works
        "who": chosen.name if chosen else None,
        "slots": shown["slots"] if shown else [],
        "next_free": following,
        "prev_page": start - timedelta(days=PAGE_DAYS) if start > today else None,
        "next_page": start + timedelta(days=PAGE_DAYS) if start + timedelta(days=PAGE_DAYS) <= last else None,
    }
