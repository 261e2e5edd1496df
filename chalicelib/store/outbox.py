"""Outbox items: recording send results (and, later, claiming due messages)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

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


# --- the sweeper's side: find what is due, claim it, defer or skip it ---------------
def due_messages(since: datetime, until: datetime):
    """Messages due in [since, until] across all businesses: Query gsi3 per hour and shard."""
    db.configure()
    lo, hi = iso_utc(since), iso_utc(until) + "~"
    for bucket in keys.hour_buckets("DUE", since, until):
        yield from MessageItem.by_due.query(bucket, MessageItem.g3sk.between(lo, hi))


class Claim:
    CLAIMED, TAKEN, STALE, CAPPED = "claimed", "taken", "stale", "capped"


def claim(
    item: MessageItem,
    now: datetime,
    lease: timedelta,
    appointment_check=None,
    once_per_client_since: datetime | None = None,
) -> str:
    """Take the lease on a due message with a conditional write, so that of two job
    runs only one sends it. With `appointment_check` (model, hash, range, condition) the
    same transaction re-reads the appointment: a cancelled or moved visit is 'stale'.
    With `once_per_client_since`, the client must have had no message of this kind since
    then (other than this one, on a retry): otherwise 'capped'."""
    from chalicelib.store.tx import Tx, TxFailed

    until = now + lease
    g3pk, g3sk = keys.due_keys(item.key, until)  # if we die mid-send, due again after the lease
    tx = Tx(MessageItem)
    claimable = (MessageItem.status == "pending") | (
        (MessageItem.status == "sending") & (MessageItem.lease_until < now)
    )
    tx.update(
        MessageItem(item.pk, item.sk),
        [
            MessageItem.status.set("sending"),
            MessageItem.lease_until.set(until),
            MessageItem.due_at.set(until),
            MessageItem.g3pk.set(g3pk),
            MessageItem.g3sk.set(g3sk),
        ],
        "message",
        condition=claimable & (MessageItem.due_at == item.due_at),
    )
    if appointment_check:
        model, hash_key, range_key, condition = appointment_check
        tx.check(model, hash_key, range_key, condition, "appointment")
    if once_per_client_since is not None and item.client_id:
        from chalicelib.store.models import ClientItem

        last, key = ClientItem.last_feedback_request_at, ClientItem.last_feedback_request_key
        tx.update(
            ClientItem(keys.biz(item.business_id), keys.client_sk(item.client_id)),
            [last.set(now), key.set(item.key)],
            "client",
            condition=ClientItem.pk.exists()
            & ClientItem.erased_at.does_not_exist()
            & (last.does_not_exist() | (last < once_per_client_since) | (key == item.key)),
        )
    try:
        tx.commit()
    except TxFailed as err:
        if "message" in err.failed or err.conflict:
            return Claim.TAKEN
        if "appointment" in err.failed:
            return Claim.STALE
        if "client" in err.failed:
            return Claim.CAPPED
        raise
    item.status, item.lease_until, item.due_at, item.g3pk, item.g3sk = "sending", until, until, g3pk, g3sk
    return Claim.CLAIMED


def skip(item: MessageItem, reason: str, now: datetime) -> bool:
    """Record that a message will not be sent (and why); it leaves the due index."""
    db.configure()
    try:
        item.update(
            actions=[
                MessageItem.status.set("skipped"),
                MessageItem.last_error.set(reason),
                MessageItem.g3pk.remove(),
                MessageItem.g3sk.remove(),
                MessageItem.sent_at.set(now),
            ],
            condition=MessageItem.status.is_in("pending", "sending"),
        )
    except UpdateError:
        return False
    return True


def defer(item: MessageItem, at: datetime) -> bool:
    """Move a pending message to a later time (e.g. out of SMS quiet hours)."""
    db.configure()
    g3pk, g3sk = keys.due_keys(item.key, at)
    try:
        item.update(
            actions=[MessageItem.due_at.set(at), MessageItem.g3pk.set(g3pk), MessageItem.g3sk.set(g3sk)],
            condition=(MessageItem.status == "pending") & (MessageItem.due_at == item.due_at),
        )
    except UpdateError:
        return False
    return True


def failed_messages(business_id: str, limit: int) -> list[MessageItem]:
    """The business's messages that failed permanently, newest first: one Query on g1."""
    db.configure()
    return list(MessageItem.failed_by_business.query(f"MSGFAIL#{business_id}", scan_index_forward=False, limit=limit))
