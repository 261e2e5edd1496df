"""The "add to calendar" attachment (RFC 5545 / iTIP RFC 5546) for a booking.

The UID is stable per appointment and SEQUENCE grows with each change, so calendar
apps update (or, with METHOD:CANCEL, remove) the event they already have instead of
adding a second one. Times are written in UTC: the offsets in the context already
say which instant is meant, and UTC needs no VTIMEZONE block.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from chalicelib import clock
from chalicelib.domain.booking import offers_change
from chalicelib.domain.locales import normalize as normalize_locale
from chalicelib.notify.localtime import format_local

PRODID = "-//Rebook//Booking//EN"

_LABELS = {
    "fi": {"staff": "Tekijä", "manage": "Siirrä tai peru", "view": "Varauksesi", "cancelled": "Varaus on peruttu."},
    "sv": {
        "staff": "Hos",
        "manage": "Flytta eller avboka",
        "view": "Din bokning",
        "cancelled": "Bokningen har avbokats.",
    },
    "en": {
        "staff": "With",
        "manage": "Reschedule or cancel",
        "view": "Your booking",
        "cancelled": "The booking has been cancelled.",
    },
}


def _instant(value: str | datetime, tz_name: str | None) -> datetime:
    """An ISO string (or datetime) as an aware UTC datetime; naive means business-local."""
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if dt.tzinfo is None:
        from zoneinfo import ZoneInfo

        dt = dt.replace(tzinfo=ZoneInfo(tz_name or "Europe/Helsinki"))
    return dt.astimezone(UTC)


@lru_cache(maxsize=1)
def _text_type() -> type:
    from icalendar import vText

    class Text(vText):
        def to_ical(self) -> bytes:
            s = str(self).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
            return s.encode(self.encoding)  # type: ignore[attr-defined]  # set by vText.__new__

    return Text


def text(value: str) -> Any:
    """An iCalendar TEXT value escaped as RFC 5545 §3.3.11 says, backslash first. The
    library turns a literal `\\N` (in a client's name, say) into a line break before it
    escapes; this keeps what was typed. A byte-order mark (U+FEFF) is dropped: it has no
    meaning inside text, and calendar parsers drop one at the start of a value anyway."""
    return _text_type()(value.replace("\ufeff", ""))


def build_ics(
    context: dict,
    *,
    method: str = "REQUEST",
    sequence: int = 0,
    status: str = "CONFIRMED",
    locale: str | None = None,
    organizer: str | None = None,
    attendee: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """One VEVENT in a VCALENDAR, as bytes ready to attach.

    `locale` picks the language of DESCRIPTION (default: context["locale"], else fi);
    `organizer` (an email address) adds ORGANIZER, which some calendar apps want
    before they offer to update an event; `attendee` (the client's email) adds her as
    ATTENDEE, which RFC 5546 requires of a REQUEST or CANCEL; `now` fixes DTSTAMP.
    """
    from icalendar import Calendar, Event, vCalAddress, vText

    business = context.get("business") or {}
    service = context.get("service") or {}
    staff = context.get("staff") or {}
    tz_name = business.get("timezone")
    loc = normalize_locale(locale or context.get("locale"))
    labels = _LABELS[loc]
    cancelled = method.upper() == "CANCEL" or status.upper() == "CANCELLED"
    manage_url = None if cancelled else context.get("manage_url")
    deadline = context.get("cancellation_deadline")
    # Past its deadline the booking cannot be changed online: the event offers no change.
    can_change = not deadline or offers_change(datetime.fromisoformat(deadline), now or clock.now())

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method.upper())

    event = Event()
    event.add("uid", f"{context['appointment_id']}@rebook")
    event.add("dtstamp", (now or clock.now()).astimezone(UTC))
    event.add("dtstart", _instant(context["start"], tz_name))
    if context.get("end"):
        event.add("dtend", _instant(context["end"], tz_name))
    summary = " – ".join(p for p in (service.get("name"), business.get("name")) if p)
    event.add("summary", text(summary or "Booking"))
    if business.get("address"):
        event.add("location", text(business["address"]))
    lines = []
    if cancelled:
        lines.append(labels["cancelled"])
    if staff.get("name"):
        lines.append(f"{labels['staff']}: {staff['name']}")
    if manage_url and can_change:
        until = f" ({format_local(deadline, loc)})" if deadline else ""
        lines.append(f"{labels['manage']}{until}: {manage_url}")
    elif manage_url:
        lines.append(f"{labels['view']}: {manage_url}")
    if lines:
        event.add("description", text("\n".join(lines)))
    event.add("sequence", int(sequence))
    event.add("status", status.upper())
    if manage_url:
        event.add("url", manage_url)
    if organizer:
        address = vCalAddress(f"mailto:{organizer}")
        if business.get("name"):
            address.params["cn"] = vText(business["name"])
        event.add("organizer", address, encode=False)
    if attendee:
        # She booked it herself: accepted, no reply asked for (iTIP needs an ATTENDEE).
        who = vCalAddress(f"mailto:{attendee}")
        who.params.update({"role": "REQ-PARTICIPANT", "partstat": "ACCEPTED", "rsvp": "FALSE"})
        name = (context.get("client") or {}).get("name")
        if name:
            who.params["cn"] = vText(name)
        event.add("attendee", who, encode=False)
    cal.add_component(event)
    return cal.to_ical()
