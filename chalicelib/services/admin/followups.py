"""Follow-ups: what the client wants to achieve, what was agreed, who does what by when."""

from __future__ import annotations

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain.ids import new_id
from chalicelib.domain.registry import FollowUpIn
from chalicelib.domain.timeutil import iso_local
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.services.admin.common import audited, business_of, parse, parse_date, today, valid_id
from chalicelib.services.admin.registry import client_or_404
from chalicelib.store import clients, followups, keys
from chalicelib.store.businesses import Business
from chalicelib.store.models import FollowUpItem


def view(b: Business, f: FollowUpItem, client=None) -> dict:
    tz = b.config.tz
    out = {
        "id": f.followup_id,
        "client": {"id": f.client_id},
        "goal": f.goal,
        "actions": f.actions or [],
        "next_step": f.next_step,
        "status": f.status,
        "due": f.due,
        "created_at": iso_local(f.created_at, tz),
        "updated_at": iso_local(f.updated_at, tz),
        "created_by": f.created_by,
    }
    if client is not None:
        out["client"]["name"] = client.name
    return out


def _actions(b: Business, req: FollowUpIn) -> list[dict]:
    staff_ids = {m.id for m in b.config.staff}
    out = []
    for i, a in enumerate(req.actions):
        if a.staff and a.staff not in staff_ids:
            raise ValidationFailed(
                "An action names an unknown staff member.", fields={f"actions.{i}.staff": "unknown staff"}
            )
        out.append({"text": a.text, "due": a.due.isoformat() if a.due else None, "staff": a.staff, "done": a.done})
    return out


def create(p: Principal, client_id: str, body) -> tuple[int, dict]:
    b = business_of(p)
    req: FollowUpIn = parse(FollowUpIn, body, "follow-up")
    c = client_or_404(b, client_id)
    now = clock.now()
    followup_id = new_id()
    item = FollowUpItem(
        keys.biz(b.id),
        keys.followup_sk(c.client_id, followup_id),
        business_id=b.id,
        client_id=c.client_id,
        followup_id=followup_id,
        goal=req.goal,
        actions=_actions(b, req),
        next_step=req.next_step,
        status="closed" if req.closed else "open",
        created_at=now,
        updated_at=now,
        created_by=p.user_id,
    )
    followups.save(item, req.due(), None)
    audited(p, "add_followup", c.client_id, {"followup": item.followup_id})
    return 201, view(b, item)


def update(p: Principal, client_id: str, followup_id: str, body) -> dict:
    b = business_of(p)
    req: FollowUpIn = parse(FollowUpIn, body, "follow-up")
    c = client_or_404(b, client_id)
    f = followups.get(b.id, c.client_id, valid_id(followup_id, "follow-up"))
    if not f:
        raise NotFound("No such follow-up.")
    expected = f.updated_at
    f.goal, f.actions, f.next_step = req.goal, _actions(b, req), req.next_step
    f.status, f.updated_at = ("closed" if req.closed else "open"), clock.now()
    try:
        followups.save(f, req.due(), expected)
    except followups.FollowUpChanged:
        raise Conflict("The follow-up was changed meanwhile; reload and try again.", code="followup_changed") from None
    audited(p, "update_followup", c.client_id, {"followup": f.followup_id})
    return view(b, f)


def for_client(p: Principal, client_id: str) -> dict:
    b = business_of(p)
    c = client_or_404(b, client_id)
    audited(p, "read_followups", c.client_id)
    items = sorted(followups.for_client(b.id, c.client_id), key=lambda f: f.created_at, reverse=True)
    return {"follow_ups": [view(b, f) for f in items]}


def due(p: Principal, params: dict) -> dict:
    """Open follow-ups due on or before `until` (default today, local), earliest first."""
    b = business_of(p)
    until = parse_date((params or {}).get("until"), "until", default=today(b))
    items = followups.due_until(b.id, until)
    people = clients.get_clients(b.id, {f.client_id for f in items})
    audited(p, "read_followups_due", None, {"until": until.isoformat()})
    return {"until": until.isoformat(), "follow_ups": [view(b, f, people.get(f.client_id)) for f in items]}
