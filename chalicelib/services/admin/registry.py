"""The client registry: list and search, profile, history, stats, consents, notes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain.booking import Appointment
from chalicelib.domain.client_stats import client_stats
from chalicelib.domain.clients import Client, Consent, ProfileUpdate
from chalicelib.domain.config import Business
from chalicelib.domain.contacts import phone_context, phone_display, search_needle, sms_refusal
from chalicelib.domain.messages import Message, visit_as_planned
from chalicelib.domain.registry import ClientUpdate, Note, NoteIn
from chalicelib.domain.timeutil import iso_local
from chalicelib.domain.versions import version_of
from chalicelib.errors import BadRequest, Conflict, NotFound, ValidationFailed
from chalicelib.observability import logger
from chalicelib.services import marketing
from chalicelib.services.admin import feeds, standing
from chalicelib.services.admin.calendar import appointment_view
from chalicelib.services.admin.common import (
    SAVE_ATTEMPTS,
    audited,
    audited_after_commit,
    business_of,
    expect_version,
    page_limit,
    parse,
    valid_id,
)
from chalicelib.services.message_plans import sms_to, stopped_number
from chalicelib.store import bookings, client_data, clients, notes

MAX_PAGE = 100


def client_view(b: Business, c: Client) -> dict[str, Any]:
    tz = b.config.tz
    consent = c.marketing
    return {
        "id": c.id,
        "name": c.name,
        "phone": c.phone,  # E.164, for tel: and sms: links and the edit form
        "phone_display": phone_display(c.phone, b.config.home_country),  # as people read it
        "email": c.email,
        "locale": c.locale,
        "birthday": c.birthday,
        "preferences": dict(c.preferences),
        "allergies": c.allergies,
        "important_notes": c.important_notes,
        "tags": list(c.tags),
        "relationship": c.relationship or "active",
        "marketing": {
            **(
                {"granted": consent.granted, "at": iso_local(consent.at, tz), "source": consent.source}
                if consent
                else {"granted": False, "at": None, "source": None}
            ),
            **marketing.cap_view(b, c, clock.now()),
        },
        "reminders_off": c.reminders_off,
        # Her number replied STOP, as a send found: no SMS reaches her (reminders go by email,
        # if any). As kept here; her card asks SNS again (get_profile).
        "texts_stopped": c.texts_stopped,
        # Her last visit as the return figures keep it (None until they are known): with
        # her contact, what tells two clients of the same name apart at the desk.
        "last_visit_at": iso_local(c.last_visit_at, tz) if c.last_visit_at else None,
        "created_at": iso_local(c.created_at, tz),
        # For If-Match on PATCH: a device's save is refused once another device saved since.
        "version": version_of(c.updated_at),
    }


def client_or_404(b: Business, client_id: str) -> Client:
    c = clients.get_client(b.id, valid_id(client_id, "client"))
    if not c or c.is_erased:
        raise NotFound("No such client.")
    return c


def list_clients(p: Principal, params: dict[str, str]) -> dict[str, Any]:
    b = business_of(p)
    params = params or {}
    limit = page_limit(params, 25, MAX_PAGE)
    q = (params.get("q") or "").strip()
    if len(q) > 100:
        raise ValidationFailed("The search is at most 100 characters.", fields={"q": "at most 100 characters"})
    needle = search_needle(q) if q else None
    try:
        found, cursor = clients.list_clients(b.id, needle or None, limit, params.get("cursor"))
    except clients.BadCursor:
        raise BadRequest(
            "The cursor is not one this API gave out.", code="invalid_cursor", fields={"cursor": "invalid"}
        ) from None
    views = [client_view(b, c) for c in found]
    if not needle:
        audited(p, "list_clients", None, {"count": len(found)})
        return {"clients": views, "next_cursor": cursor}
    waiting = _on_the_waitlist(b, needle, found, views, first_page=not params.get("cursor"))
    audited(p, "search_clients", None, {"count": len(found), "waiting": len(waiting)})
    return {"clients": views, "waiting": waiting, "next_cursor": cursor}


WAITING_KEYS = 20  # search keys of waitlist entries one search reads
WAITING_SHOWN = 5


def _on_the_waitlist(
    b: Business, needle: str, found: list[Client], views: list[dict[str, Any]], first_page: bool
) -> list[dict[str, Any]]:
    """A search also finds who waits on the waitlist: each client found says which open
    entries her contacts have (`waiting` on her result), and, on the first page, the open
    entries the needle finds that are no found client's come apart (the owner's waitlist
    view of each). One BatchGetItem of the clients' contacts' lists; one Query of the
    entries' search keys and one BatchGetItem of the entries."""
    from chalicelib.services.admin.waitlist import owner_view
    from chalicelib.services.waitlist.join import service_ref
    from chalicelib.store import waitlist

    day = clock.now().astimezone(b.config.tz).date()
    theirs: set[str] = set()
    contacts = waitlist.read_contacts_of(b.id, [(c.phone, c.email) for c in found])
    for view, of in zip(views, contacts, strict=True):
        open_ = sorted((e for e in of.entries().values() if e.last >= day), key=lambda e: (e.created_at, e.entry_id))
        theirs.update(e.entry_id for e in open_)
        view["waiting"] = [
            {
                "entry_id": e.entry_id,
                "service": service_ref(b, e.service_id, None),
                "from": e.first.isoformat(),
                "to": e.last.isoformat(),
            }
            for e in open_
        ]
    if not first_page:
        return []
    contacts_found = {v for c in found for v in (c.phone, c.email) if v}
    apart = [
        e
        for e in waitlist.find_open(b.id, needle, day, WAITING_KEYS)
        if e.id not in theirs and not {e.phone, e.email} & contacts_found
    ]
    return [owner_view(b, e) for e in apart[:WAITING_SHOWN]]


def card_view(b: Business, c: Client, history: list[Appointment] | None = None) -> dict[str, Any]:
    """Her card's view of her (a read, or the answer to a save): as in the list, and by SMS
    her words' room beside her links, which the message dialog counts against."""
    view = client_view(b, c)
    if c.phone and not c.email and history is None:  # only then are her links measured
        history = bookings.client_history(b.id, c.id)
    view["marketing"]["sms_room"] = marketing.personal_sms_room(b, c, history or [], clock.now())
    return view


def get_profile(p: Principal, client_id: str) -> dict[str, Any]:
    b = business_of(p)
    c = client_or_404(b, client_id)
    audited(p, "read_client", c.id)
    from chalicelib.services.payments import fees
    from chalicelib.store import payments

    # Her deposits, fees and refunds, each with its state (open: a fee she still owes).
    money = [fees.money_view(m, b.config.tz) for m in payments.money_of_client(b.id, c.id)]
    history = bookings.client_history(b.id, c.id)
    # SNS asked again for a number marked STOP (only such a one): she may have sent START.
    still_stopped = c.texts_stopped and stopped_number(c) == c.phone
    return {
        "client": {**card_view(b, c, history), "texts_stopped": still_stopped},
        "stats": _stats(b, c, history),
        "standing": standing.standing(b, c, history),
        "payments": money,
    }


def _stats(b: Business, c: Client, history: list[Appointment] | None = None) -> dict[str, Any]:
    history = bookings.client_history(b.id, c.id) if history is None else history
    s = client_stats(history, clock.now(), c.rating_sum, c.rating_count)
    tz = b.config.tz
    return {
        "visits": s.visits,
        "average_interval_days": s.average_interval_days,
        "last_visit": iso_local(s.last_visit, tz) if s.last_visit else None,
        "next_booking": iso_local(s.next_booking, tz) if s.next_booking else None,
        "lifetime_spend_cents": s.lifetime_spend_cents,
        "no_shows": s.no_shows,
        "cancellations": s.cancellations,
        "average_rating": s.average_rating,
        "ratings": s.ratings,
    }


def get_stats(p: Principal, client_id: str) -> dict[str, Any]:
    b = business_of(p)
    c = client_or_404(b, client_id)
    audited(p, "read_client_stats", c.id)
    return _stats(b, c)


def get_history(p: Principal, client_id: str) -> dict[str, Any]:
    b = business_of(p)
    c = client_or_404(b, client_id)
    appts = sorted(bookings.client_history(b.id, c.id), key=lambda a: a.start, reverse=True)
    # Newest first by when each went (or is due to): a reminder planned weeks ago went today.
    msgs = sorted(client_data.messages(b.id, c.id), key=lambda m: m.sent_at or m.due_at, reverse=True)
    tz = b.config.tz
    audited(p, "read_client_history", c.id)
    visits = {a.id: a for a in appts}
    return {
        "appointments": [appointment_view(b, a) for a in appts],
        "messages": [_message_view(m, visits, tz) for m in msgs],
    }


def _message_view(m: Message, visits: dict[str, Appointment], tz: ZoneInfo) -> dict[str, Any]:
    """A message as her card lists it. One still waiting for a visit that no longer is as
    it told (cancelled, moved, missed) is shown as the sender will leave it: not sent."""
    status, error = m.status, m.last_error if m.status in ("failed", "skipped") else None
    plan = visit_as_planned(m) if m.status == "pending" and m.appointment_id else None
    if plan is not None and not plan.holds_for(visits.get(m.appointment_id or "")):
        status, error = "skipped", "appointment_changed"
    return {
        "kind": m.kind,
        "channel": m.channel,
        "status": status,
        "created_at": iso_local(m.created_at, tz),
        "sent_at": iso_local(m.sent_at, tz) if m.sent_at else None,
        # When one still waiting goes (a reminder the day before, an SMS after the quiet
        # hours): her card says that, not when it was planned.
        "due_at": iso_local(m.due_at, tz) if status == "pending" else None,
        "error": error,
    }


def get_consents(p: Principal, client_id: str) -> dict[str, Any]:
    b = business_of(p)
    c = client_or_404(b, client_id)
    tz = b.config.tz
    audited(p, "read_consents", c.id)
    return {
        "marketing": client_view(b, c)["marketing"],
        "log": [{"granted": e.granted, "at": iso_local(e.at, tz), "source": e.source} for e in c.consent_log],
        "reminders_off": c.reminders_off,
    }


_CLEARABLE = ("birthday", "preferences", "allergies", "important_notes", "tags")


CHANGED = "The client was changed meanwhile (on another device?). Reload her card and make your change again."


def update_profile(p: Principal, client_id: str, body: object, if_match: str | None = None) -> dict[str, Any]:
    """Change the fields sent; with `If-Match: <version>` (of the client as the caller
    showed her) only if nobody saved her since: 409 `client_changed` otherwise."""
    b = business_of(p)
    # Every field's error at once: the body's own and the stored client's (her contact).
    try:
        req: ClientUpdate | None = parse(ClientUpdate, body, "client update", phone_context(b.config.home_country))
        problems: dict[str, str] = {}
    except ValidationFailed as e:
        req, problems = None, dict(e.fields)
    raw = body if isinstance(body, dict) else {}  # parse refused anything else with a 400
    # Without If-Match the last save wins (docs/api.md): one that lost a race to another
    # save of her is made again on her as she now is; with it, the race is the caller's 409.
    for attempt in range(SAVE_ATTEMPTS):
        c = client_or_404(b, client_id)
        expect_version(if_match, version_of(c.updated_at), "GET /clients/{id}", "client_changed", CHANGED)
        written, sent = _save_profile(p, b, c, req, raw, dict(problems))
        if written is not None:
            break
        if if_match is not None or attempt == SAVE_ATTEMPTS - 1:
            raise Conflict(CHANGED, code="client_changed")
    assert written is not None  # the loop breaks only with it
    _repoint(b, c, written)
    audited_after_commit(p, "update_client", c.id, {"fields": sorted(sent)})
    # Answered from what was written: a read of her again could fail after the commit and
    # answer a save that landed with a 5xx (she would make it again).
    return {"client": card_view(b, written)}


def _save_profile(
    p: Principal, b: Business, c: Client, req: ClientUpdate | None, raw: dict, problems: dict[str, str]
) -> tuple[Client | None, set[str]]:
    """update_profile's one try on `c` as read: what was written (None: someone saved her
    since it was read) and the fields sent."""
    # A client who has a contact keeps one: clearing the last would lose the way to reach
    # her (and the key that finds her) by a slip of the form. One booked at the desk by
    # her name alone had none: her profile is edited as any other, a contact added later.
    kept = [raw.get(k) if k in raw else getattr(c, k) for k in ("phone", "email")]
    if (c.phone or c.email) and not any(v.strip() if isinstance(v, str) else v for v in kept):
        for k in ("phone", "email"):
            problems.setdefault(k, "phone or email required")
    if req is None or problems:
        raise ValidationFailed("The client update has errors; see 'fields'.", fields=problems)
    sent = req.model_fields_set
    now = clock.now()
    phone = req.phone if "phone" in sent else c.phone
    email = req.email if "email" in sent else c.email
    change = ProfileUpdate(
        fields=_changed_fields(req, c, phone, email),
        marketing=Consent(req.marketing, now, f"owner:{p.user_id}")
        if "marketing" in sent and req.marketing is not None
        else None,
    )
    calendars: set[str] = set()
    sheets: list[tuple[str, date]] = []
    if set(change.fields) & SHOWN_ON_CALENDAR:
        visits = bookings.client_starting_from(b.id, c.id, now - feeds.PAST)
        if change.fields.get("name", c.name) != c.name:  # the calendar feeds that show her name show the new one
            calendars = feeds.calendars_showing(visits, now)
        sheets = calendar_days_of(visits, now, b.config.tz)
    if not change:
        return c, sent
    try:
        return clients.update_profile(c, change, now, calendars, sheets), sent
    except clients.ContactInUse as e:
        raise Conflict(
            f"Another client already has this {e.kind}.",
            code="contact_in_use",
            fields={e.kind: "belongs to another client"},
        ) from None
    except clients.ClientChanged:
        return None, sent


def _repoint(b: Business, before: Client, after: Client) -> None:
    """Her new number or address gets what was still to be sent to the old one (the
    reminders planned when she booked); with none now, those are skipped. After the
    commit: a failure is logged, the profile stays saved."""
    changes = [
        (
            "sms",
            sms_to(b, before.phone),
            sms_to(b, after.phone),
            sms_refusal(after.phone, b.config.sms.countries) or "",
        ),
        ("email", before.email, after.email, "no_email"),
    ]
    for channel, old, new, why in changes:
        if old and old != new:
            try:
                client_data.repoint_messages(b.id, after.id, channel, old, new, why)
            except Exception as e:  # the profile is saved; her messages keep their old contact
                logger().warning("messages not repointed", extra={"client_id": after.id, "error": type(e).__name__})


# What the desk's calendar shows of her: her name, and the marks of an allergy or an
# important note. A change of one moves the day sheets of her visits, so every calendar
# open on them refreshes them (its 15-second look for changes reads the sheets' versions).
SHOWN_ON_CALENDAR = {"name", "allergies", "important_notes"}
CALENDAR_DAYS_TOUCHED = 30  # her nearest visits' days (from a week back): a transaction's budget


def calendar_days_of(visits: list[Appointment], now: datetime, tz: ZoneInfo) -> list[tuple[str, date]]:
    """The (staff, local day) sheets of her visits from a week back on, the nearest first."""
    days = {(a.staff_id, a.start.astimezone(tz).date()) for a in visits if a.start >= now - timedelta(days=7)}
    return sorted(days, key=lambda s: (s[1], s[0]))[:CALENDAR_DAYS_TOUCHED]


def saved_profile(p: Principal, client_id: str) -> dict[str, Any]:
    """What a save of her profile answers (update_profile): the profile as it stands now."""
    b = business_of(p)
    return {"client": card_view(b, client_or_404(b, client_id))}


def _changed_fields(req: ClientUpdate, c: Client, phone: str | None, email: str | None) -> dict[str, Any]:
    """The profile fields the request changes: a contact only when it differs, the
    clearable fields cleared (None) when sent empty."""
    sent = req.model_fields_set
    fields: dict[str, Any] = {}
    for kind, new, old in (("phone", phone, c.phone), ("email", email, c.email)):
        if new != old:
            fields[kind] = new or None
    if "name" in sent:
        fields["name"] = req.name
    if "locale" in sent and req.locale:
        fields["locale"] = req.locale
    for field in _CLEARABLE:
        if field in sent:
            value = getattr(req, field)
            fields[field] = value if value not in (None, "", [], {}) else None
    if "relationship" in sent:  # null clears it: the return model's word again
        fields["relationship"] = req.relationship or None
    return fields


def add_note(p: Principal, client_id: str, body: object) -> tuple[int, dict[str, Any]]:
    b = business_of(p)
    req: NoteIn = parse(NoteIn, body, "note")
    c = client_or_404(b, client_id)
    n = notes.add_note(b.id, c.id, req.text, p.user_id, clock.now(), p.role, p.staff_id)
    audited_after_commit(p, "add_note", c.id, {"note": n.id})
    return 201, _note_view(b, n)


def note_added(p: Principal, client_id: str, body: object) -> tuple[int, dict[str, Any]]:
    """The answer to a note's Idempotency-Key again (her second tap after the answer was
    lost): the newest note of hers with that text by the same user, as add_note answered
    it. Not kept with the key: her words must not outlive her erasure there."""
    b = business_of(p)
    req: NoteIn = parse(NoteIn, body, "note")
    c = client_or_404(b, client_id)
    for n in notes.client_notes(b.id, c.id):
        if n.text == req.text and n.author == p.user_id:
            return 201, _note_view(b, n)
    raise NotFound("The note is not there any more.")


def list_notes(p: Principal, client_id: str) -> dict[str, Any]:
    b = business_of(p)
    c = client_or_404(b, client_id)
    audited(p, "read_notes", c.id)
    return {"notes": [_note_view(b, n) for n in notes.client_notes(b.id, c.id)]}


def _note_view(b: Business, n: Note) -> dict[str, Any]:
    return {
        "id": n.id,
        "text": n.text,
        "author": n.author,
        "author_role": n.author_role,
        "author_staff_id": n.author_staff_id,
        "created_at": iso_local(n.created_at, b.config.tz),
    }
