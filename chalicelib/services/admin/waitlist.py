"""The owner's waitlist: who waits for what (the calendar shows the counts per day and
service), adding a client who asked at the desk or by phone, editing and removing an
entry, and who was offered which freed time and who took it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.domain.contacts import phone_display
from chalicelib.domain.timeutil import iso_local
from chalicelib.domain.waitlist import EntryStatus
from chalicelib.errors import NotFound
from chalicelib.services.admin.common import (
    audited,
    audited_after_commit,
    business_of,
    date_range,
    parse_date,
    today,
    valid_id,
)
from chalicelib.services.waitlist import join
from chalicelib.store import waitlist as store

# The most days one read of the waitlist spans, as for the other reports: a bounded query.
MAX_DAYS = 366


def owner_view(b, e) -> dict[str, Any]:
    view = join.entry_view(b, e)
    view.update(name=e.name, phone=e.phone, email=e.email, locale=e.locale, source=e.source)
    view["phone_display"] = phone_display(e.phone, b.config.home_country)  # as on her client card
    if e.booked_appointment:
        view["appointment_id"] = e.booked_appointment
    return view


def entries(p: Principal, params: dict[str, str]) -> dict[str, Any]:
    """Open entries (those still ahead), first to join first, and the counts per day and
    service from `from` to `to` (default: the next two weeks)."""
    b = business_of(p)
    params = params or {}
    first = parse_date(params.get("from"), "from", default=today(b))
    last = parse_date(params.get("to"), "to", default=first + timedelta(days=13))
    first, last = date_range(first, last, MAX_DAYS)
    found = [e for e in store.entries_of(b.id) if e.is_open(today(b))]
    counts = store.waiting_counts(b.id, first, last)
    audited(p, "read_waitlist", None)
    return {
        "entries": [owner_view(b, e) for e in sorted(found, key=lambda e: (e.created_at, e.id))],
        "waiting": [{"date": d.isoformat(), "service": s, "count": n} for (d, s), n in sorted(counts.items())],
    }


def add(p: Principal, body: object) -> dict[str, Any]:
    b = business_of(p)
    e = join.save(b, body, source="desk")
    audited_after_commit(p, "add_waitlist_entry", None, {"entry": e.id})
    return owner_view(b, e)


def _entry(b, entry_id: str):
    e = store.get_entry(b.id, valid_id(entry_id, "waitlist entry"))
    if e is None:
        raise NotFound("No such waitlist entry.")
    return e


def edit(p: Principal, entry_id: str, body: object) -> dict[str, Any]:
    b = business_of(p)
    old = _entry(b, entry_id)
    e = join.save(b, body, source=old.source, entry_id=old.id)
    audited_after_commit(p, "edit_waitlist_entry", None, {"entry": e.id})
    return owner_view(b, e)


def remove(p: Principal, entry_id: str) -> None:
    b = business_of(p)
    e = _entry(b, entry_id)
    if e.status == EntryStatus.OPEN.value:
        join.leave_entry(e)
    audited_after_commit(p, "remove_waitlist_entry", None, {"entry": e.id})


def offers(p: Principal, params: dict[str, str]) -> dict[str, Any]:
    """Who was offered which time from `from` to `to` (local dates), and who took it."""
    b = business_of(p)
    tz = b.config.tz
    params = params or {}
    first = parse_date(params.get("from"), "from", default=today(b))
    last = parse_date(params.get("to"), "to", default=first + timedelta(days=13))
    first, last = date_range(first, last, MAX_DAYS)
    since = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    until = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    found = store.offers_between(b.id, since, until)
    names = {e.id: e.name for e in store.entries_of(b.id)}
    audited(p, "read_waitlist_offers", None)
    return {
        "offers": [
            {
                "id": o.id,
                "entry_id": o.entry_id,
                "name": names.get(o.entry_id),
                "service": o.service_id,
                "staff": o.staff_id,
                "start": iso_local(o.start, tz),
                "offered_at": iso_local(o.created_at, tz),
                "expires_at": iso_local(o.expires_at, tz),
                "channel": o.channel,
                "status": o.status,
                "appointment_id": o.appointment_id,
            }
            for o in found
        ]
    }


def kpis(p: Principal, params: dict[str, str]) -> dict[str, Any]:
    """The waitlist's figures from `from` to `to` (local dates of the freed time; default
    the last 30 days): one Query of the day aggregates."""
    from chalicelib.domain.waitlist import refill_figures

    p.require("kpis")  # the business's figures (revenue) are the owner's
    b = business_of(p)
    params = params or {}
    last = parse_date(params.get("to"), "to", default=today(b))
    first = parse_date(params.get("from"), "from", default=last - timedelta(days=29))
    first, last = date_range(first, last, MAX_DAYS)
    days = store.refill_days(b.id, first, last).values()
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        **refill_figures(
            sum(d.freed_minutes for d in days),
            sum(d.refilled_minutes for d in days),
            sum(d.refills for d in days),
            sum(d.revenue_cents for d in days),
            [s for d in days for s in d.refill_seconds],
        ),
    }
