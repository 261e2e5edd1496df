"""Outbox items: recording send results (and, later, claiming due messages)."""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.timeutil import iso_utc
from chalicelib.store import db, keys
from chalicelib.store.models import MessageItem

MAX_ATTEMPTS = 8


def _apply(item: MessageItem, outcome, now: datetime, backoff) -> MessageItem:
    item.attempts = int(item.attempts or 0) + 1
    item.lease_until = None
    if outcome.status == "sent":
        item.status, item.provider_id, item.sent_at, item.last_error = "sent", outcome.provider_id, now, None
        item.g3pk = item.g3sk = None  # leaves the due index: nothing more to do
    elif outcome.status == "pending" and item.attempts < MAX_ATTEMPTS:
        item.status, item.last_error = "pending", outcome.error
        item.due_at = now + backoff(item.attempts)
        item.g3pk, item.g3sk = keys.due_keys(item.key, item.due_at)
    else:
        item.status = "failed"
        item.last_error = outcome.error or "too many attempts"
        item.g3pk = item.g3sk = None
        # Visible to the owner: permanent failures of a business, newest last.
        item.g1pk, item.g1sk = f"MSGFAIL#{item.business_id}", f"{iso_utc(now)}#{item.key}"
    return item


def record_outcomes(results: list, now: datetime, backoff) -> None:
    """Write every result in one BatchWriteItem (the caller holds the lease on them)."""
    if not results:
        return
    db.configure()
    items = [_apply(item, outcome, now, backoff) for item, outcome in results]
    if len(items) == 1:
        items[0].save()
        return
    with MessageItem.batch_write() as batch:
        for item in items:
            batch.save(item)


def get_message(business_id: str, key: str) -> MessageItem | None:
    db.configure()
    try:
        return MessageItem.get(keys.biz(business_id), keys.msg_sk(key), consistent_read=True)
    except MessageItem.DoesNotExist:
        return None
