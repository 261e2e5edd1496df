"""Follow-ups: a client's goal, the actions agreed, the next step; due ones by index."""

from __future__ import annotations

from datetime import date, datetime

from pynamodb.exceptions import PutError

from chalicelib.store import db, keys
from chalicelib.store.models import FollowUpItem


class FollowUpChanged(Exception):
    """Someone else saved the follow-up in between."""


def _due_keys(item: FollowUpItem, due: date | None) -> tuple[str | None, str | None]:
    if due is None or item.status != "open":
        return None, None
    return keys.followups_due(item.business_id), f"{due.isoformat()}#{item.client_id}#{item.followup_id}"


def save(item: FollowUpItem, due: date | None, expected_updated_at: datetime | None) -> None:
    """Create (expected None) or replace the follow-up read at `expected_updated_at`."""
    db.configure()
    item.due = due.isoformat() if due else None
    item.g2pk = keys.client_timeline(item.business_id, item.client_id)
    item.g2sk = f"FUP#{item.followup_id}"
    item.g4pk, item.g4sk = _due_keys(item, due)
    condition = (
        FollowUpItem.pk.does_not_exist()
        if expected_updated_at is None
        else FollowUpItem.updated_at == expected_updated_at
    )
    try:
        item.save(condition=condition)
    except PutError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            raise FollowUpChanged() from e
        raise


def get(business_id: str, client_id: str, followup_id: str) -> FollowUpItem | None:
    db.configure()
    try:
        return FollowUpItem.get(keys.biz(business_id), keys.followup_sk(client_id, followup_id), consistent_read=True)
    except FollowUpItem.DoesNotExist:
        return None


def for_client(business_id: str, client_id: str) -> list[FollowUpItem]:
    db.configure()
    return list(FollowUpItem.query(keys.biz(business_id), FollowUpItem.sk.startswith(f"FUP#{client_id}#")))


def due_until(business_id: str, day: date, limit: int = 200) -> list[FollowUpItem]:
    """Open follow-ups due on or before `day`, earliest first: one Query on g4."""
    db.configure()
    return list(
        FollowUpItem.by_due.query(
            keys.followups_due(business_id), FollowUpItem.g4sk <= f"{day.isoformat()}#~", limit=limit
        )
    )
