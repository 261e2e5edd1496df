"""Follow-ups: what the client wants to achieve, what was agreed, who does what by when."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain.clients import Client
from chalicelib.domain.config import Business
from chalicelib.domain.ids import id_for_key, new_id
from chalicelib.domain.registry import FollowUp, FollowUpAction, FollowUpIn
from chalicelib.domain.timeutil import iso_local
from chalicelib.domain.versions import stamp_after, version_of
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.services.admin.common import (
    SAVE_ATTEMPTS,
    audited,
    audited_after_commit,
    business_of,
    expect_version,
    parse,
    parse_date,
    today,
    valid_id,
)
from chalicelib.services.admin.registry import client_or_404
from chalicelib.store import clients, followups


def view(b: Business, f: FollowUp, client: Client | None = None) -> dict[str, Any]:
    tz = b.config.tz
    due = f.due
    out: dict[str, Any] = {
        "id": f.id,
        "client": {"id": f.client_id},
        "goal": f.goal,
        "actions": [
            {"text": a.text, "due": a.due.isoformat() if a.due else None, "staff": a.staff, "done": a.done}
            for a in f.actions
        ],
        "next_step": f.next_step,
        "status": f.status,
        "due": due.isoformat() if due else None,
        "created_at": iso_local(f.created_at, tz),
        "updated_at": iso_local(f.updated_at, tz),
        "created_by": f.created_by,
        # For If-Match on PUT: a device's save is refused once another device saved since.
        "version": version_of(f.updated_at),
    }
    if client is not None:
        out["client"]["name"] = client.name
    return out


def _actions(b: Business, req: FollowUpIn, before: tuple[FollowUpAction, ...] = ()) -> tuple[FollowUpAction, ...]:
    staff_ids = {m.id for m in b.config.staff}
    for i, a in enumerate(req.actions):
        if a.staff and a.staff not in staff_ids:
            raise ValidationFailed(
                "An action names an unknown staff member.", fields={f"actions.{i}.staff": "unknown staff"}
            )
    # An action still to do is due today or later (local); a due date it already had stays
    # as it was, so an overdue action can still be edited or marked done.
    first_day, had = today(b), {a.due for a in before}
    past = {
        f"actions.{i}.due": "is in the past"
        for i, a in enumerate(req.actions)
        if a.due and a.due < first_day and not a.done and a.due not in had
    }
    if past:
        raise ValidationFailed("An action's due date is in the past.", fields=past)
    return tuple(FollowUpAction(text=a.text, due=a.due, staff=a.staff, done=a.done) for a in req.actions)


def _keyed_id(business_id: str, idempotency_key: str) -> str:
    return id_for_key(business_id, f"followup|{idempotency_key}")


def create(
    p: Principal, client_id: str, body: object, idempotency_key: str | None = None
) -> tuple[int, dict[str, Any]]:
    """A new follow-up; with an Idempotency-Key its id is the key's (created_again finds it)."""
    b = business_of(p)
    req: FollowUpIn = parse(FollowUpIn, body, "follow-up")
    c = client_or_404(b, client_id)
    now = clock.now()
    f = FollowUp(
        business_id=b.id,
        client_id=c.id,
        id=_keyed_id(b.id, idempotency_key) if idempotency_key else new_id(),
        status="closed" if req.closed else "open",
        created_at=now,
        updated_at=now,
        created_by=p.user_id,
        goal=req.goal,
        actions=_actions(b, req),
        next_step=req.next_step,
    )
    followups.save(f, None)
    audited_after_commit(p, "add_followup", c.id, {"followup": f.id})
    return 201, view(b, f)


def created_again(p: Principal, client_id: str, idempotency_key: str) -> tuple[int, dict[str, Any]]:
    """The answer to a follow-up's Idempotency-Key again (her second tap after the answer
    was lost): the follow-up it made, as it is now. Not kept with the key: her words must
    not outlive her erasure there."""
    b = business_of(p)
    c = client_or_404(b, client_id)
    f = followups.get(b.id, c.id, _keyed_id(b.id, idempotency_key))
    if f is None:
        raise NotFound("The follow-up is not there any more.")
    return 201, view(b, f)


CHANGED = "The follow-up was changed meanwhile (on another device?). Reload it and make your change again."


def update(p: Principal, client_id: str, followup_id: str, body: object, if_match: str | None = None) -> dict[str, Any]:
    """Replace the follow-up; with `If-Match: <version>` (of the follow-up as the caller
    showed it) only if nobody saved it since: 409 `followup_changed` otherwise."""
    b = business_of(p)
    req: FollowUpIn = parse(FollowUpIn, body, "follow-up")
    c = client_or_404(b, client_id)
    # Without If-Match the last save wins (docs/api.md): one that lost a race is made again
    # on the follow-up as it now is; with it, the race is the caller's 409.
    for attempt in range(SAVE_ATTEMPTS):
        f = followups.get(b.id, c.id, valid_id(followup_id, "follow-up"))
        if not f:
            raise NotFound("No such follow-up.")
        expect_version(if_match, version_of(f.updated_at), "GET /clients/{id}/follow-ups", "followup_changed", CHANGED)
        changed = replace(
            f,
            goal=req.goal,
            actions=_actions(b, req, f.actions),
            next_step=req.next_step,
            status="closed" if req.closed else "open",
            updated_at=stamp_after(clock.now(), f.updated_at),
        )
        try:
            followups.save(changed, f.updated_at)
            break
        except followups.FollowUpChanged:
            if if_match is not None or attempt == SAVE_ATTEMPTS - 1:
                raise Conflict(CHANGED, code="followup_changed") from None
    assert f is not None  # the loop ends only with it saved
    audited_after_commit(p, "update_followup", c.id, {"followup": f.id})
    return view(b, changed)


def current(p: Principal, client_id: str, followup_id: str) -> dict[str, Any]:
    """The follow-up as it stands now (what a save of it answers)."""
    b = business_of(p)
    c = client_or_404(b, client_id)
    f = followups.get(b.id, c.id, valid_id(followup_id, "follow-up"))
    if not f:
        raise NotFound("No such follow-up.")
    return view(b, f)


def for_client(p: Principal, client_id: str) -> dict[str, Any]:
    b = business_of(p)
    c = client_or_404(b, client_id)
    audited(p, "read_followups", c.id)
    items = sorted(followups.for_client(b.id, c.id), key=lambda f: f.created_at, reverse=True)
    return {"follow_ups": [view(b, f) for f in items]}


def due(p: Principal, params: dict[str, str]) -> dict[str, Any]:
    """Open follow-ups due on or before `until` (default today, local), earliest first."""
    b = business_of(p)
    until = parse_date((params or {}).get("until"), "until", default=today(b))
    items = followups.due_until(b.id, until)
    people = clients.get_clients(b.id, {f.client_id for f in items})
    audited(p, "read_followups_due", None, {"until": until.isoformat()})
    return {"until": until.isoformat(), "follow_ups": [view(b, f, people.get(f.client_id)) for f in items]}
