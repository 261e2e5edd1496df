"""Follow-ups: a client's goal, the actions agreed, the next step; due ones by index."""

from __future__ import annotations

from datetime import date, datetime

from pynamodb.exceptions import PutError

from chalicelib.domain.registry import FollowUp, FollowUpAction
from chalicelib.store import db, keys
from chalicelib.store.models import FollowUpItem


class FollowUpChanged(Exception):
    """Someone else saved the follow-up in between."""


def to_item(f: FollowUp) -> FollowUpItem:
    due = f.due
    item = FollowUpItem(
        keys.biz(f.business_id),
        keys.followup_sk(f.client_id, f.id),
        business_id=f.business_id,
        client_id=f.client_id,
        followup_id=f.id,
        goal=f.goal,
        actions=[
            {"text": a.text, "due": a.due.isoformat() if a.due else None, "staff": a.staff, "done": a.done}
            for a in f.actions
        ],
        next_step=f.next_step,
        status=f.status,
        due=due.isoformat() if due else None,
        created_at=f.created_at,
        updated_at=f.updated_at,
        created_by=f.created_by,
    )
    item.g2pk, item.g2sk = keys.timeline_keys(f.business_id, f.client_id, f"{keys.TIMELINE_FOLLOWUPS}{f.id}")
    if due is not None:  # in the due index while open and due
        item.g4pk, item.g4sk = keys.followup_due_keys(f.business_id, f.client_id, f.id, due)
    return item


def to_followup(i: FollowUpItem) -> FollowUp:
    return FollowUp(
        business_id=i.business_id,
        client_id=i.client_id,
        id=i.followup_id,
        status=i.status,
        created_at=i.created_at,
        updated_at=i.updated_at,
        created_by=i.created_by,
        goal=i.goal,
        actions=tuple(
            FollowUpAction(
                text=a["text"],
                due=date.fromisoformat(a["due"]) if a.get("due") else None,
                staff=a.get("staff"),
                done=bool(a.get("done")),
            )
            for a in i.actions or []
        ),
        next_step=i.next_step,
    )


def save(f: FollowUp, expected_updated_at: datetime | None) -> None:
    """Create (expected None) or replace the follow-up read at `expected_updated_at`."""
    db.configure()
    condition = (
        FollowUpItem.pk.does_not_exist()
        if expected_updated_at is None
        else FollowUpItem.updated_at == expected_updated_at
    )
    try:
        to_item(f).save(condition=condition)
    except PutError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            raise FollowUpChanged() from e
        raise


def get(business_id: str, client_id: str, followup_id: str) -> FollowUp | None:
    db.configure()
    try:
        item = FollowUpItem.get(keys.biz(business_id), keys.followup_sk(client_id, followup_id), consistent_read=True)
    except FollowUpItem.DoesNotExist:
        return None
    return to_followup(item)


def for_client(business_id: str, client_id: str) -> list[FollowUp]:
    db.configure()
    found = FollowUpItem.query(keys.biz(business_id), FollowUpItem.sk.startswith(keys.followups_of(client_id)))
    return [to_followup(i) for i in found]


def due_until(business_id: str, day: date, limit: int = 200) -> list[FollowUp]:
    """Open follow-ups due on or before `day`, earliest first: one Query on g4."""
    db.configure()
    found = FollowUpItem.by_due.query(
        keys.followups_due(business_id), FollowUpItem.g4sk <= keys.up_to_day(day), limit=limit
    )
    return [to_followup(i) for i in found]
