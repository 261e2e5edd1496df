"""The owner's webhook endpoints: register, change, switch on and off, rotate the
secret, read an endpoint's delivery log and replay a delivery (docs/webhooks.md)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain import webhooks as rules
from chalicelib.domain.ids import new_id
from chalicelib.domain.messages import Message
from chalicelib.domain.timeutil import iso_utc
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.services.admin.common import audited_after_commit, business_of, page_limit, parse, valid_id
from chalicelib.settings import get_settings
from chalicelib.store import outbox, webhooks

_DELIVERY_ID = re.compile(r"^msg_[a-z0-9]{1,40}\.[a-z0-9]{1,40}(\.r[0-9]{1,16})?$")


def _view(e: rules.Endpoint, reveal: bool = False) -> dict[str, Any]:
    now = clock.now()
    current = e.secrets[0].value if e.secrets else ""
    view: dict[str, Any] = {
        "id": e.id,
        "url": e.url,
        "events": list(e.events),
        "enabled": e.enabled,
        "description": e.description,
        "disabled_reason": e.disabled_reason,
        "failing_since": iso_utc(e.failing_since) if e.failing_since else None,
        "created_at": iso_utc(e.created_at),
        "updated_at": iso_utc(e.updated_at),
        # The secret is shown to the owner (she pastes it into the receiver); lists show its end only.
        "secret": current if reveal else f"whsec_…{current[-4:]}",
        "previous_secret_expires_at": next(
            (iso_utc(s.expires_at) for s in e.secrets[1:] if s.expires_at and s.expires_at > now), None
        ),
    }
    return view


def _checked_url(url: str) -> str:
    problem = rules.url_problem(url, get_settings().webhooks_allow_private)
    if problem:
        raise ValidationFailed(f"The endpoint URL cannot be used: {problem}.", fields={"url": problem})
    return url


def _endpoint(p: Principal, endpoint_id: str) -> rules.Endpoint:
    e = webhooks.get_endpoint(p.business_id, valid_id(endpoint_id, "webhook endpoint"))
    if e is None:
        raise NotFound("No such webhook endpoint.")
    return e


def list_endpoints(p: Principal) -> dict[str, Any]:
    p.require("settings")
    b = business_of(p)
    return {"webhooks": [_view(e) for e in webhooks.endpoints(b.id)], "event_types": list(rules.EVENT_TYPES)}


def create(p: Principal, body: object) -> tuple[int, dict[str, Any]]:
    p.require("settings")
    b = business_of(p)
    req: rules.EndpointIn = parse(rules.EndpointIn, body, "webhook endpoint")
    if len(webhooks.endpoints(b.id)) >= rules.MAX_ENDPOINTS:
        raise Conflict(f"A business has at most {rules.MAX_ENDPOINTS} webhook endpoints.", code="too_many_endpoints")
    now = clock.now()
    e = rules.Endpoint(
        business_id=b.id,
        id=new_id(),
        url=_checked_url(req.url),
        events=tuple(dict.fromkeys(req.events)),
        enabled=req.enabled,
        secrets=(rules.Secret(rules.new_secret()),),
        created_at=now,
        updated_at=now,
        description=req.description,
    )
    saved = webhooks.save_endpoint(e, None)
    audited_after_commit(p, "create_webhook", None, {"endpoint": e.id})
    return 201, _view(saved, reveal=True)


def get(p: Principal, endpoint_id: str) -> dict[str, Any]:
    p.require("settings")
    return _view(_endpoint(p, endpoint_id), reveal=True)


def _save(p: Principal, before: rules.Endpoint, after: rules.Endpoint, action: str) -> rules.Endpoint:
    try:
        saved = webhooks.save_endpoint(after, before.version)
    except webhooks.EndpointChanged:
        raise Conflict("The endpoint was changed meanwhile; reload and try again.", code="changed") from None
    audited_after_commit(p, action, None, {"endpoint": before.id})
    return saved


def update(p: Principal, endpoint_id: str, body: object) -> dict[str, Any]:
    p.require("settings")
    e = _endpoint(p, endpoint_id)
    req: rules.EndpointPatch = parse(rules.EndpointPatch, body, "webhook endpoint")
    changed = replace(e, updated_at=clock.now())
    if req.url is not None:
        changed = replace(changed, url=_checked_url(req.url))
    if req.events is not None:
        changed = replace(changed, events=tuple(dict.fromkeys(req.events)))
    if req.description is not None:
        changed = replace(changed, description=req.description)
    if req.enabled is not None:
        changed = replace(changed, enabled=req.enabled, failing_since=None, disabled_reason=None)
        if not req.enabled:
            changed = replace(changed, disabled_reason="owner")
    return _view(_save(p, e, changed, "update_webhook"))


def delete(p: Principal, endpoint_id: str) -> None:
    """Gone at once: its pending deliveries fail (endpoint_deleted) at their next attempt."""
    p.require("settings")
    e = _endpoint(p, endpoint_id)
    webhooks.delete_endpoint(e.business_id, e.id)
    audited_after_commit(p, "delete_webhook", None, {"endpoint": e.id})


def rotate_secret(p: Principal, endpoint_id: str) -> dict[str, Any]:
    """A new secret; the old one keeps signing (both signatures sent) for a day."""
    p.require("settings")
    e = _endpoint(p, endpoint_id)
    now = clock.now()
    saved = _save(p, e, replace(e, secrets=rules.rotated(e.secrets, now), updated_at=now), "rotate_webhook_secret")
    return _view(saved, reveal=True)


def _delivery_view(d: Message) -> dict[str, Any]:
    event = d.context.get("event") or {}
    return {
        "id": d.key.removeprefix("wh#").replace("#", "."),
        "event_id": event.get("id"),
        "event_type": event.get("type"),
        "status": d.status,
        "attempts": d.attempts,
        "response": d.provider_id,
        "error": d.last_error,
        "created_at": iso_utc(d.created_at),
        "delivered_at": iso_utc(d.sent_at) if d.sent_at and d.status == "sent" else None,
        "next_attempt_at": iso_utc(d.due_at) if d.status in ("pending", "sending") else None,
    }


def deliveries(p: Principal, endpoint_id: str, params: dict[str, str]) -> dict[str, Any]:
    p.require("settings")
    e = _endpoint(p, endpoint_id)
    limit = page_limit(params, 50, 200)
    return {"deliveries": [_delivery_view(d) for d in webhooks.delivery_log(e.business_id, e.id, limit)]}


def replay(p: Principal, endpoint_id: str, delivery_id: str) -> tuple[int, dict[str, Any]]:
    """Send a delivery again (the same event and webhook-id), now."""
    p.require("settings")
    e = _endpoint(p, endpoint_id)
    key = "wh#" + delivery_id.replace(".", "#")
    d = outbox.get_message(e.business_id, key) if _DELIVERY_ID.match(delivery_id) else None
    if d is None or d.kind != rules.WEBHOOK_DELIVERY or d.recipient != e.id:
        raise NotFound("No such delivery.")
    if not e.enabled:
        raise Conflict("Switch the endpoint on before replaying to it.", code="endpoint_disabled")
    again = webhooks.replay(d, clock.now())
    audited_after_commit(p, "replay_webhook", None, {"endpoint": e.id, "event": again.context["event"]["id"]})
    return 202, _delivery_view(again)
