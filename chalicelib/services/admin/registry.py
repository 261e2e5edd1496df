"""The client registry: list and search, profile, history, stats, consents, notes."""

from __future__ import annotations

import base64
import json
import re

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain.client_stats import client_stats
from chalicelib.domain.contacts import search_needle, search_text
from chalicelib.domain.registry import ClientUpdate, NoteIn
from chalicelib.domain.timeutil import iso_local
from chalicelib.errors import BadRequest, Conflict, NotFound, ValidationFailed
from chalicelib.services.admin.calendar import appointment_view
from chalicelib.services.admin.common import audited, business_of, parse, valid_id
from chalicelib.store import bookings, client_data, clients, keys, notes
from chalicelib.store.businesses import Business
from chalicelib.store.models import ClientItem, ConsentMap

MAX_PAGE = 100
_CURSOR_SK = re.compile(r"^CLIENT#[a-z0-9]{1,40}$")


def client_view(b: Business, c: ClientItem) -> dict:
    tz = b.config.tz
    consent = c.marketing
    return {
        "id": c.client_id,
        "name": c.name,
        "phone": c.phone,
        "email": c.email,
        "locale": c.locale,
        "birthday": c.birthday,
        "preferences": c.preferences or {},
        "allergies": c.allergies,
        "important_notes": c.important_notes,
        "tags": c.tags or [],
        "relationship": c.relationship or "active",
        "marketing": {"granted": consent.granted, "at": iso_local(consent.at, tz), "source": consent.source}
        if consent
        else {"granted": False, "at": None, "source": None},
        "reminders_off": bool(c.reminders_off),
        "created_at": iso_local(c.created_at, tz),
    }


def client_or_404(b: Business, client_id: str) -> ClientItem:
    c = clients.get_client(b.id, valid_id(client_id, "client"))
    if not c or c.erased_at:
        raise NotFound("No such client.")
    return c


def _cursor_in(raw: str | None, business_id: str) -> dict | None:
    if not raw:
        return None
    try:
        sk = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["sk"]
    except (ValueError, KeyError, TypeError):
        sk = None
    if not isinstance(sk, str) or not _CURSOR_SK.match(sk):
        raise BadRequest(
            "The cursor is not one this API gave out.", code="invalid_cursor", fields={"cursor": "invalid"}
        )
    # Only the position travels; the partition is always the caller's own business.
    return {"pk": {"S": keys.biz(business_id)}, "sk": {"S": sk}}


def _cursor_out(last_key: dict | None) -> str | None:
    if not last_key:
        return None
    sk = last_key["sk"]["S"]
    return base64.urlsafe_b64encode(json.dumps({"sk": sk}).encode()).decode().rstrip("=")


def list_clients(p: Principal, params: dict) -> dict:
    b = business_of(p)
    params = params or {}
    try:
        limit = int(params.get("limit") or 25)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"'limit' is 1-{MAX_PAGE}.", fields={"limit": f"expected 1-{MAX_PAGE}"})
    q = (params.get("q") or "").strip()
    if len(q) > 100:
        raise ValidationFailed("The search is at most 100 characters.", fields={"q": "too long"})
    needle = search_needle(q) if q else None
    items, last = clients.list_clients(b.id, needle or None, limit, _cursor_in(params.get("cursor"), b.id))
    audited(p, "search_clients" if q else "list_clients", None, {"count": len(items)})
    return {"clients": [client_view(b, c) for c in items], "next_cursor": _cursor_out(last)}


def get_profile(p: Principal, client_id: str) -> dict:
    b = business_of(p)
    c = client_or_404(b, client_id)
    audited(p, "read_client", c.client_id)
    return {"client": client_view(b, c), "stats": _stats(b, c)}


def _stats(b: Business, c: ClientItem) -> dict:
    history = bookings.client_history(b.id, c.client_id)
    s = client_stats(history, clock.now(), int(c.rating_sum or 0), int(c.rating_count or 0))
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


def get_stats(p: Principal, client_id: str) -> dict:
    b = business_of(p)
    c = client_or_404(b, client_id)
    audited(p, "read_client_stats", c.client_id)
    return _stats(b, c)


def get_history(p: Principal, client_id: str) -> dict:
    b = business_of(p)
    c = client_or_404(b, client_id)
    appts = sorted(bookings.client_history(b.id, c.client_id), key=lambda a: a.start, reverse=True)
    msgs = sorted(client_data.messages(b.id, c.client_id), key=lambda m: m.created_at, reverse=True)
    tz = b.config.tz
    audited(p, "read_client_history", c.client_id)
    return {
        "appointments": [appointment_view(b, a) for a in appts],
        "messages": [
            {
                "kind": m.kind,
                "channel": m.channel,
                "status": m.status,
                "created_at": iso_local(m.created_at, tz),
                "sent_at": iso_local(m.sent_at, tz) if m.sent_at else None,
                "error": m.last_error if m.status in ("failed", "skipped") else None,
            }
            for m in msgs
        ],
    }


def get_consents(p: Principal, client_id: str) -> dict:
    b = business_of(p)
    c = client_or_404(b, client_id)
    tz = b.config.tz
    audited(p, "read_consents", c.client_id)
    return {
        "marketing": client_view(b, c)["marketing"],
        "log": [{"granted": e.granted, "at": iso_local(e.at, tz), "source": e.source} for e in c.consent_log or []],
        "reminders_off": bool(c.reminders_off),
    }


_CLEARABLE = ("birthday", "preferences", "allergies", "important_notes", "tags")


def update_profile(p: Principal, client_id: str, body) -> dict:
    b = business_of(p)
    req: ClientUpdate = parse(ClientUpdate, body, "client update")
    c = client_or_404(b, client_id)
    sent = req.model_fields_set
    if "name" in sent and not req.name:
        raise ValidationFailed("A client needs a name.", fields={"name": "required"})
    now = clock.now()
    phone = req.phone if "phone" in sent else c.phone
    email = req.email if "email" in sent else c.email
    if not (phone or email):
        raise ValidationFailed(
            "Keep a phone number or an email address.",
            fields={"phone": "phone or email required", "email": "phone or email required"},
        )
    actions, contacts = [], {}
    for kind, new, old in (("phone", phone, c.phone), ("email", email, c.email)):
        if new != old:
            contacts[kind] = (old, new)
            actions.append(getattr(ClientItem, kind).set(new) if new else getattr(ClientItem, kind).remove())
    name = req.name if "name" in sent else c.name
    if "name" in sent:
        actions.append(ClientItem.name.set(name))
    if "name" in sent or contacts:
        actions.append(ClientItem.search.set(search_text(name, phone, email)))
    if "locale" in sent and req.locale:
        actions.append(ClientItem.locale.set(req.locale))
    for field in _CLEARABLE:
        if field in sent:
            value, attr = getattr(req, field), getattr(ClientItem, field)
            actions.append(attr.set(value) if value not in (None, "", [], {}) else attr.remove())
    if "birthday" in sent:
        if req.birthday:
            g5pk, g5sk = keys.birthday_keys(b.id, c.client_id, req.birthday[-5:])
            actions += [ClientItem.g5pk.set(g5pk), ClientItem.g5sk.set(g5sk)]
        else:
            actions += [ClientItem.g5pk.remove(), ClientItem.g5sk.remove()]
    if "relationship" in sent and req.relationship:
        actions += [ClientItem.relationship.set(req.relationship), ClientItem.relationship_at.set(now)]
    if "marketing" in sent and req.marketing is not None:
        consent = ConsentMap(granted=req.marketing, at=now, source=f"owner:{p.user_id}")
        actions += [
            ClientItem.marketing.set(consent),
            ClientItem.consent_log.set((ClientItem.consent_log | []).append([consent])),
        ]
    if actions:
        try:
            clients.update_profile(c, actions, contacts, now)
        except clients.ContactInUse as e:
            raise Conflict(
                f"Another client already has this {e.kind}.",
                code="contact_in_use",
                fields={e.kind: "belongs to another client"},
            ) from None
        except clients.ClientChanged:
            raise Conflict("The client was changed meanwhile; reload and try again.", code="client_changed") from None
    audited(p, "update_client", c.client_id, {"fields": sorted(sent)})
    return {"client": client_view(b, client_or_404(b, c.client_id))}


def add_note(p: Principal, client_id: str, body) -> tuple[int, dict]:
    b = business_of(p)
    req: NoteIn = parse(NoteIn, body, "note")
    c = client_or_404(b, client_id)
    n = notes.add_note(b.id, c.client_id, req.text, p.user_id, clock.now())
    audited(p, "add_note", c.client_id, {"note": n.note_id})
    return 201, _note_view(b, n)


def list_notes(p: Principal, client_id: str) -> dict:
    b = business_of(p)
    c = client_or_404(b, client_id)
    audited(p, "read_notes", c.client_id)
    return {"notes": [_note_view(b, n) for n in notes.client_notes(b.id, c.client_id)]}


def _note_view(b: Business, n) -> dict:
    return {"id": n.note_id, "text": n.text, "author": n.author, "created_at": iso_local(n.created_at, b.config.tz)}
