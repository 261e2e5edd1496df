"""Messages the owner sees and sends: the ones that failed for good, and a personal
message to a client (the dashboard's one-click action for clients slipping away)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain.clients import Client
from chalicelib.domain.config import Business
from chalicelib.domain.messages import MessageStatus
from chalicelib.domain.registry import PersonalMessageIn
from chalicelib.domain.timeutil import iso_local
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.notify import gsm
from chalicelib.notify.render import TWO_SEGMENT_UNITS
from chalicelib.services import marketing
from chalicelib.services.admin.common import audited, audited_after_commit, business_of, page_limit, parse, valid_id
from chalicelib.store import clients
from chalicelib.store import outbox as store

# A personal message by SMS (a client with a phone and no email) must fit two segments
# together with the rebook and unsubscribe links; the dashboard counts to the same limit
# (chalicelib/static/dashboard/messagelimit.js SMS_UNITS). Links longer than the 100 units
# kept for them leave less: marketing.personal measures hers and says how much (422).
SMS_TEXT_UNITS = TWO_SEGMENT_UNITS - 100

_WHY = {
    "no_consent": "The client has not agreed to marketing messages (or has unsubscribed).",
    "no_contact": "The client has no email address or phone number.",
    "capped": "The client got a marketing message recently; the business's limit allows no more yet.",
}


def failed(p: Principal, params: dict[str, str]) -> dict[str, Any]:
    """Messages that failed permanently, newest first."""
    b = business_of(p)
    limit = page_limit(params, 50, 200)
    items = store.failed_messages(b.id, limit)
    people = clients.get_clients(b.id, {m.client_id for m in items if m.client_id})
    audited(p, "read_failed_messages", None, {"count": len(items)})
    return {
        "messages": [
            {
                "key": m.key,
                "kind": m.kind,
                "channel": m.channel,
                "client_id": m.client_id,
                "client_name": people[m.client_id].name if m.client_id in people else None,
                "appointment_id": m.appointment_id,
                "failed_at": iso_local(m.sent_at or m.created_at, b.config.tz),
                "attempts": m.attempts,
                "error": m.last_error,
            }
            for m in items
        ]
    }


def _addressee(p: Principal, client_id: str, body: object) -> tuple[Business, Client, PersonalMessageIn]:
    b = business_of(p)
    req: PersonalMessageIn = parse(PersonalMessageIn, body, "message")
    c = clients.get_client(b.id, valid_id(client_id, "client"))
    if not c or c.is_erased:
        raise NotFound("No such client.")
    return b, c, req


def preview_personal(p: Principal, client_id: str, body: object) -> dict[str, Any]:
    """The personal message as she would get it (the sheet's preview); nothing is sent."""
    b, c, req = _addressee(p, client_id, body)
    try:
        shown = marketing.personal_preview(b, c, req.text, clock.now())
    except marketing.PersonalNotSent as e:
        raise Conflict(_WHY[e.reason], code=e.reason) from None
    audited(p, "preview_personal_message", c.id, {"channel": shown["channel"]})
    return {"preview": shown}


def send_personal(p: Principal, client_id: str, body: object) -> tuple[int, dict[str, Any]]:
    b, c, req = _addressee(p, client_id, body)
    if not c.email and c.phone and gsm.gsm7_length(gsm.to_gsm7(req.text)) > SMS_TEXT_UNITS:
        # By SMS it must fit two messages together with the rebook and unsubscribe links.
        raise ValidationFailed(
            "Too long for a text message; keep it under about 200 characters.", fields={"text": "too long for SMS"}
        )
    now = clock.now()
    try:
        [message] = marketing.personal(b, c, req.text, now)
    except marketing.PersonalNotSent as e:
        if e.reason == "too_long":  # her links as they are leave less room than the usual
            raise ValidationFailed(
                f"Too long for a text message with its links: at most {e.room} characters.",
                fields={"text": f"at most {e.room} characters"},
            ) from None
        details = {}
        if e.reason == "capped" and (at := c.next_marketing_at(b.config.marketing.min_days_between, now)):
            details["next_at"] = iso_local(at, b.config.tz)  # the sheet says when it may go
        raise Conflict(_WHY[e.reason], code=e.reason, details=details or None) from None
    audited_after_commit(p, "send_personal_message", c.id, {"channel": message.channel})
    out = {"key": message.key, "channel": message.channel, "status": message.status}
    if message.status == MessageStatus.PENDING.value and not message.attempts:
        out["due_at"] = iso_local(message.due_at, b.config.tz)  # an SMS held until the quiet hours end
    # Her cap from this message on, as her card says it: the dialog opened again knows it.
    return 202, {"message": out, "marketing": marketing.cap_view(b, replace(c, last_marketing_at=now), now)}
