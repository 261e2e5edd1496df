"""Joining the waitlist ("notify me"), seeing and leaving an entry from its link, and
the owner's add, edit and remove.

Bad input gets the booking's answers (the same codes and fields); a contact's second
entry for the same service over overlapping dates updates the first (same place in the
queue) — from the public join only when it gives the entry's very phone and email, and its
answer then holds no link: anyone may type her number, and the link goes to her contact;
more open entries per contact than `waitlist.entries_per_contact` is a 429.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib import clock, links
from chalicelib.domain import waitlist as rules
from chalicelib.domain.booking import Appointment
from chalicelib.domain.config import Business
from chalicelib.domain.contacts import first_name, phone_context
from chalicelib.domain.ids import new_id
from chalicelib.domain.messages import PlannedMessage
from chalicelib.domain.timeutil import iso_local
from chalicelib.domain.waitlist import Entry, EntryStatus, Window
from chalicelib.errors import Conflict, NotFound, TooManyRequests, ValidationFailed
from chalicelib.notify.localtime import format_window
from chalicelib.observability import logger
from chalicelib.services import message_plans
from chalicelib.services.booking.profile import business
from chalicelib.services.validation import parse
from chalicelib.store import businesses
from chalicelib.store import waitlist as store

ATTEMPTS = 5


def join(slug: str, body: object, source: str = "web") -> tuple[int, dict[str, Any]]:
    """POST /businesses/{slug}/waitlist: 201 with the entry and its manage link, which
    a message sends her too (`confirmation`); her entry updated: the link only by that
    message (`link_sent`: its channel, None when her confirmations of the day ran out)."""
    b = business(slug)
    entry, made = _save(b, body, source=source, confirm=True, public=True)
    if made:
        return 201, entry_view(b, entry, with_link=True)
    return 201, {**entry_view(b, entry), "link_sent": entry.confirmed_by}


def save(b: Business, body: object, *, source: str = "web", entry_id: str | None = None) -> Entry:
    """The owner's add or edit (`entry_id`): the entry written (_save)."""
    return _save(b, body, source=source, entry_id=entry_id)[0]


def _save(
    b: Business,
    body: object,
    *,
    source: str = "web",
    entry_id: str | None = None,
    confirm: bool = False,
    public: bool = False,
) -> tuple[Entry, bool]:
    """Validate and write an entry: new, the update of her overlapping one, or (the
    owner's edit) the entry `entry_id`; and whether it is new. `confirm`: with the message
    that tells her she is on the list (her own joining; the owner tells her himself).
    `public`: her overlapping entry is updated only by its own phone and email."""
    cfg, now = b.config, clock.now()
    context = {**rules.dates_context(cfg, now), **phone_context(cfg.home_country)}
    req: rules.WaitlistIn = parse(rules.WaitlistIn, body, "waitlist entry", context)
    if not cfg.waitlist.enabled:
        raise Conflict("This business does not keep a waitlist.", code="waitlist_off")
    service = cfg.service(req.service)
    if not service:
        raise ValidationFailed("Choose a service offered here.", fields={"service": "unknown service"})
    if req.staff and not cfg.does(req.staff, service.id):
        raise ValidationFailed(
            "That staff member does not offer this service.",
            fields={"staff": "unknown staff or does not offer the service"},
        )
    if not req.client.email and not message_plans.sms_to(b, req.client.phone):
        # Her only contact a number the business does not text (sms.countries): no offer
        # could ever reach her, and she would wait for nothing.
        raise ValidationFailed(
            "A free time could not be offered: this number cannot be texted from here; give an email address.",
            fields={"client.phone": "cannot be texted from here: give an email address"},
        )
    members = [m for m in cfg.staff_for(service.id) if not req.staff or m.id == req.staff]
    windows = [Window.of(w) for w in req.windows]
    if not rules.can_be_served(cfg, service, members, req.first, req.last, windows):
        why = (
            "the staff member chosen does not work on these days and times"
            if req.staff
            else "no one who does the service works on these days and times"
        )
        raise ValidationFailed(f"No time could ever be offered: {why}.", fields={"from": why})
    today = now.astimezone(cfg.tz).date()
    for attempt in range(ATTEMPTS):
        contacts = store.read_contacts(b.id, req.client.phone, req.client.email)
        mine = contacts.entries()
        open_ = {k: c for k, c in mine.items() if c.last >= today}
        same: store.ContactEntry | None
        closes, closes_contacts = None, store.Contacts()
        confirmed_by = None  # an owner's edit of her entry keeps how her link was sent
        old = None
        who: Entry | None = None  # her entry, whose name and contacts a public join keeps
        if entry_id is not None:
            old = store.get_entry(b.id, entry_id)
            if old is None or old.status != EntryStatus.OPEN.value:
                raise NotFound("This waitlist entry no longer exists.", key="entry_gone")
            same = mine.get(entry_id) or store.ContactEntry(old.id, old.service_id, old.first, old.last, old.created_at)
            confirmed_by = old.confirmed_by
            if old.service_id != service.id or (old.phone, old.email) != (req.client.phone, req.client.email):
                # Another service or contact: the old entry goes and the new one takes its
                # place, in the new one's transaction (a failure leaves the old one open).
                closes, same, confirmed_by = old, None, None
                theirs = store.read_contacts(b.id, old.phone, old.email)
                ours = {(c.kind, c.value) for c in contacts.of}
                closes_contacts = store.Contacts(tuple(c for c in theirs.of if (c.kind, c.value) not in ours))
        else:
            same = next(
                (
                    c
                    for c in open_.values()
                    if c.service_id == service.id and c.first <= req.last and req.first <= c.last
                ),
                None,
            )
            if same is not None and public:
                kept = _hers(b, same, req.client.phone, req.client.email)
                if kept is None:
                    same = None  # hers by one contact, with another she did not give: an entry of its own
                else:  # her name and contacts stay; both her contacts' lists get the new dates
                    who = kept
                    contacts = store.read_contacts(b.id, kept.phone, kept.email)
            if same is None and len(open_) >= cfg.waitlist.entries_per_contact:
                field = "client.phone" if req.client.phone else "client.email"
                raise TooManyRequests(
                    f"This contact is already waiting for {len(open_)} times; leave one of them first.",
                    code="too_many_entries",
                    fields={field: f"at most {cfg.waitlist.entries_per_contact} waitlist entries"},
                    retry_after=3600,
                )
        entry = Entry(
            id=same.entry_id if same else new_id(),
            business_id=b.id,
            service_id=service.id,
            staff_id=req.staff,
            first=req.first,
            last=req.last,
            windows=tuple(windows),
            name=who.name if who else req.client.name,
            phone=who.phone if who else req.client.phone,
            email=who.email if who else req.client.email,
            locale=req.client.locale or cfg.locale,
            created_at=same.created_at if same else now,
            updated_at=now,
            source=source,
            marketing=req.consents.marketing,
            confirmed_by=confirmed_by,
        )
        message = confirmation(b, entry, now) if confirm else None
        if message is not None:
            entry = replace(entry, confirmed_by=message.channel)
        try:
            # As many confirmations a day as she may keep entries open (SMS pumping).
            per_day = cfg.waitlist.entries_per_contact
            store.save_entry(entry, contacts, same, today, closes, closes_contacts, now, message, per_day, old)
        except store.MessagesCapped:
            confirm = False  # her confirmations of the day are used up: on the list all the same
            continue
        except store.EntryClosed:
            raise NotFound("This waitlist entry no longer exists.", key="entry_gone") from None
        except store.ContactChanged:
            from chalicelib.store.bookings import pause_before_retry

            pause_before_retry(attempt)
            continue
        return entry, same is None and old is None
    raise Conflict("Another change to this contact's waitlist is being made; please try again.", code="client_busy")


def _hers(b: Business, same: store.ContactEntry, phone: str | None, email: str | None) -> Entry | None:
    """The entry `same`, if every contact given is its own (she may leave one out): a
    public join that may update it. A stranger who typed her number beside his own
    address may not (anyone may type her number): nor take her entry's link or contacts."""
    e = store.get_entry(b.id, same.entry_id)
    if e is None or (phone and phone != e.phone) or (email and email != e.email):
        return None
    return e


JOINED = "waitlist_joined"


def confirmation(b: Business, e: Entry, now: datetime) -> PlannedMessage | None:
    """The message that tells her she is on the list, with her entry's link (where she
    sees it and leaves it, on any device): by email if she gave one, else by SMS to a
    number the business texts. Transactional, about her own request: no consent asked.
    Every save of hers sends one (new dates, a link valid as long), within a daily cap."""
    channel, recipient = ("email", e.email) if e.email else ("sms", message_plans.sms_to(b, e.phone))
    if not recipient:
        return None
    return PlannedMessage(
        key=f"{e.id}#joined#{new_id()}",  # each save of hers: a message of its own
        kind=JOINED,
        channel=channel,
        recipient=recipient,
        locale=e.locale,
        context=joined_context(b, e),
        due_at=now,
        business_id=b.id,
    )


def joined_context(b: Business, e: Entry) -> dict[str, Any]:
    cfg = b.config
    service, staff = cfg.service(e.service_id), cfg.staff_member(e.staff_id) if e.staff_id else None
    return {
        "business": message_plans.business_context(b),
        "client": {"name": e.name, "first_name": first_name(e.name)},
        "service": {"id": e.service_id, "name": service.name.get(e.locale) if service else e.service_id},
        "staff": {"id": e.staff_id, "name": staff.name if staff else None},
        "first_day": e.first.isoformat(),
        "last_day": e.last.isoformat(),
        "windows": [format_window(w.to_dict(), e.locale) for w in e.windows],  # rendered in e.locale
        "entry_url": links.waitlist_url(entry_token(e)),
    }


def entry_token(e: Entry) -> str:
    return links.waitlist_token(e.business_id, e.id, _valid_until(e))


def _valid_until(e: Entry) -> datetime:
    from datetime import UTC

    return datetime.combine(e.last + timedelta(days=2), datetime.min.time(), tzinfo=UTC)


def service_ref(b: Business, service_id: str, locale: str | None) -> dict[str, Any]:
    """An entry's service as its views name it: in her language (None: the business's)."""
    service = b.config.service(service_id)
    return {"id": service_id, "name": service.name.get(locale or b.config.locale) if service else service_id}


def entry_view(b: Business, e: Entry, with_link: bool = False, locale: str | None = None) -> dict[str, Any]:
    """The entry, its service named in `locale` (a page's language), else in hers."""
    cfg = b.config
    view: dict[str, Any] = {
        "id": e.id,
        "status": e.status if e.status != EntryStatus.OPEN.value or e.is_open(_today(b)) else "expired",
        "service": service_ref(b, e.service_id, locale or e.locale),
        "staff": e.staff_id,
        "from": e.first.isoformat(),
        "to": e.last.isoformat(),
        "windows": [w.to_dict() for w in e.windows],
        "created_at": iso_local(e.created_at, cfg.tz),
    }
    if with_link:
        view["manage_url"] = links.waitlist_url(entry_token(e))
    return view


def _today(b: Business) -> date:
    return clock.now().astimezone(b.config.tz).date()


def _from_token(token: str) -> tuple[Business, Entry]:
    claims = links.claims_or_4xx(token, "waitlist", clock.now())
    b = businesses.get_by_id(claims.business_id)
    e = store.get_entry(claims.business_id, claims.subject) if b else None
    if not b or not e:
        raise NotFound("This waitlist entry no longer exists.", key="entry_gone")
    return b, e


def business_of_token(token: str) -> tuple[Business, Entry]:
    return _from_token(token)


def get_entry(token: str) -> dict[str, Any]:
    b, e = _from_token(token)
    return entry_view(b, e)


def leave(token: str) -> dict[str, Any]:
    """POST from the entry's page (or an offer's): she leaves the list; again: the same."""
    b, e = _from_token(token)
    return entry_view(b, leave_entry(e))


def leave_entry(e: Entry) -> Entry:
    if e.status == EntryStatus.OPEN.value:
        store.close_entry(e, EntryStatus.LEFT.value, clock.now())
    return replace(e, status=EntryStatus.LEFT.value if e.status == EntryStatus.OPEN.value else e.status)


def booked_elsewhere(b: Business, appt: Appointment, waiting: store.Contacts) -> None:
    """She booked the service she waits for on a day of her entry (read with the booking,
    no extra request when she waits for nothing): that entry is closed, so no offer goes
    to her for time she no longer needs. Never raises: the booking has committed."""
    day = appt.start.astimezone(b.config.tz).date()
    for c in waiting.entries().values():
        if c.service_id != appt.service_id or not c.first <= day <= c.last:
            continue
        try:
            entry = store.get_entry(b.id, c.entry_id)
            if entry is not None and entry.status == EntryStatus.OPEN.value:
                store.close_entry(entry, EntryStatus.BOOKED.value, clock.now(), appt.id)
        except Exception:
            logger().exception("waitlist entry not closed", extra={"business_id": b.id, "entry_id": c.entry_id})
