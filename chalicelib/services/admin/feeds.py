"""Calendar subscriptions: a secret ICS URL for the business and for each staff member
that Google Calendar, Apple Calendar and Outlook poll. Built with icalendar (RFC 5545);
cancelled visits stay in the feed as STATUS:CANCELLED so subscribed calendars drop them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.clients import Client
from chalicelib.domain.config import Business
from chalicelib.errors import Conflict, NotFound
from chalicelib.services.admin.common import audited_after_commit, business_of
from chalicelib.settings import get_settings
from chalicelib.store import bookings, businesses, clients, daysheets, feeds

PAST, AHEAD = timedelta(days=60), timedelta(days=365)  # what a subscription shows


def calendars_showing(appts: Iterable[Appointment], now: datetime) -> set[str]:
    """The staff calendars whose feeds (and the business feed) show one of these visits
    now: what a change to the client's name, or her erasure, moves (daysheets' calendar
    versions, which the feeds' ETags cover), so that a polling calendar gets her new name."""
    return {a.staff_id for a in appts if now - PAST <= a.start < now + AHEAD}


def _feeds(b: Business) -> list[str]:
    return [feeds.BUSINESS_FEED] + [m.id for m in b.config.staff]


def feed_url(business_id: str, feed: str, secret: str) -> str:
    return f"{get_settings().public_url}/ics/{business_id}/{feed}/{secret}/calendar.ics"


def _listing(b: Business, secrets: dict) -> dict:
    names = {m.id: m.name for m in b.config.staff}
    return {
        "feeds": [
            {
                "feed": f,
                "name": names.get(f, b.config.name),
                "url": feed_url(b.id, f, s),
                "webcal": feed_url(b.id, f, s).replace("https://", "webcal://").replace("http://", "webcal://"),
            }
            for f, s in secrets.items()
        ]
    }


def list_feeds(p: Principal) -> dict:
    b = business_of(p)
    return _listing(b, feeds.secrets_for(b.id, _feeds(b)))


def rotate(p: Principal, feed: str) -> dict:
    p.require("settings")
    b = business_of(p)
    if feed not in _feeds(b):
        raise NotFound("No such calendar feed.")
    try:
        secret = feeds.rotate(b.id, feed)
    except feeds.FeedsChanged:
        raise Conflict("The feeds changed meanwhile; try again.", code="feeds_changed") from None
    audited_after_commit(p, "rotate_feed", None, {"feed": feed})
    return _listing(b, {feed: secret})


@dataclass(frozen=True)
class Feed:
    etag: str
    body: bytes | None  # None: the caller's copy (If-None-Match) is current


# Built feeds per container by (business, feed): calendar apps poll every 15 minutes, and
# a feed is rebuilt only when its ETag moved.
_built: dict[tuple[str, str], tuple[str, bytes]] = {}
_BUILT_MAX = 256


def etag_of(feed: str, config_version: int, calendar: dict[str, int], today: date) -> str:
    """What the feed shows changes only with its staff's calendar versions (every booking,
    move, cancellation and visit mark moves one, and so does a change to the name of a
    client in the feed, or her erasure: calendars_showing), the config (names, address)
    and the day (the window slides)."""
    parts = [feed, str(config_version), today.isoformat(), *(f"{s}:{v}" for s, v in sorted(calendar.items()))]
    return '"' + hashlib.sha256("|".join(parts).encode()).hexdigest()[:20] + '"'


def render(business_id: str, feed: str, secret: str, if_none_match: str | None = None) -> Feed:
    """The ICS body for a subscription URL, or only its ETag when the caller's copy is
    current; NotFound for anything but the current secret. An unchanged feed costs the
    secret's GetItem and one small read of the calendar version(s)."""
    config_version = feeds.config_version_if_allowed(business_id, feed, secret)
    if config_version is None:
        raise NotFound("No such calendar.")
    b = businesses.get_by_id(business_id)
    if not b or feed not in _feeds(b):
        raise NotFound("No such calendar.")
    now = clock.now()
    staff_id = None if feed == feeds.BUSINESS_FEED else feed
    etag = etag_of(
        feed, config_version, daysheets.calendar_versions(b.id, staff_id), now.astimezone(b.config.tz).date()
    )
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
        return Feed(etag, None)
    cached = _built.get((b.id, feed))
    if cached and cached[0] == etag:
        return Feed(etag, cached[1])
    if staff_id is None:
        appts = bookings.list_appointments(b.id, now - PAST, now + AHEAD)
    else:  # her appointments only, from her own calendar
        appts = bookings.list_staff_appointments(b.id, staff_id, now - PAST, now + AHEAD)
    people = clients.get_clients(b.id, {a.client_id for a in appts})
    # Built once per version: from the config as it is now, not as cached (the ETag says
    # the config's version it was read at).
    b = businesses.get_by_id(business_id, fresh=True) or b
    body = _calendar(b, feed, appts, people, now)
    if len(_built) >= _BUILT_MAX:
        _built.pop(next(iter(_built)))
    _built[(b.id, feed)] = (etag, body)
    return Feed(etag, body)


def _calendar(b: Business, feed: str, appts: list[Appointment], people: dict[str, Client], now: datetime) -> bytes:
    from icalendar import Calendar, Event

    from chalicelib.notify import ics

    cfg = b.config
    staff = {m.id: m.name for m in cfg.staff}
    cal = Calendar()
    cal.add("prodid", "-//Rebook//Calendar feed//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    title = cfg.name if feed == feeds.BUSINESS_FEED else f"{cfg.name} – {staff.get(feed, feed)}"
    cal.add("x-wr-calname", ics.text(title))
    cal.add("x-wr-timezone", cfg.timezone)
    cal.add("refresh-interval", timedelta(minutes=15), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT15M")
    for a in appts:
        service = cfg.service(a.service_id)
        client = people.get(a.client_id)
        who = client.name if client and not client.is_erased else ""
        what = service.name.get(cfg.locale) if service else a.service_id
        e = Event()
        e.add("uid", f"{a.id}@rebook")
        e.add("dtstamp", now)
        e.add("last-modified", a.updated_at)
        e.add("created", a.created_at)
        e.add("sequence", a.seq)
        e.add("dtstart", a.start)
        e.add("dtend", a.end)
        e.add("summary", ics.text(f"{what} – {who}" if who else what))
        if feed == feeds.BUSINESS_FEED:
            e.add("description", ics.text(staff.get(a.staff_id, a.staff_id)))
        if cfg.address:
            e.add("location", ics.text(cfg.address))
        # A held booking (waiting for its new client's confirmation link) is tentative.
        e.add("status", "CANCELLED" if a.status == Status.CANCELLED.value else "TENTATIVE" if a.held else "CONFIRMED")
        e.add("transp", "TRANSPARENT" if a.status == Status.CANCELLED.value else "OPAQUE")
        cal.add_component(e)
    return cal.to_ical()
