"""Calendar subscriptions: a secret ICS URL for the business and for each staff member
that Google Calendar, Apple Calendar and Outlook poll. Built with icalendar (RFC 5545);
cancelled visits stay in the feed as STATUS:CANCELLED so subscribed calendars drop them."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.clients import Client
from chalicelib.domain.config import Business
from chalicelib.errors import Conflict, NotFound
from chalicelib.services.admin.common import audited, business_of
from chalicelib.settings import get_settings
from chalicelib.store import bookings, businesses, clients, feeds

PAST, AHEAD = timedelta(days=60), timedelta(days=365)  # what a subscription shows


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
    audited(p, "rotate_feed", None, {"feed": feed})
    return _listing(b, {feed: secret})


def render(business_id: str, feed: str, secret: str) -> bytes:
    """The ICS body for a subscription URL; NotFound for anything but the current secret."""
    if not feeds.check(business_id, feed, secret):
        raise NotFound("No such calendar.")
    b = businesses.get_by_id(business_id)
    if not b or feed not in _feeds(b):
        raise NotFound("No such calendar.")
    now = clock.now()
    appts = [
        a
        for a in bookings.list_appointments(b.id, now - PAST, now + AHEAD)
        if feed in (feeds.BUSINESS_FEED, a.staff_id)
    ]
    people = clients.get_clients(b.id, {a.client_id for a in appts})
    return _calendar(b, feed, appts, people, now)


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
