"""The Idempotency-Key of an owner's save (a PUT or PATCH that checks a version): one
item per business and key, `IDEM#<biz>#<key>` / `SAVE` (TTL 24 h).

`claim` puts it `running` with the request's hash and a lease, conditionally: of two
requests with one key exactly one runs the save. The one that ran records the answer
(`done`), or lets the key go if the save was refused (`release`: the caller may fix
and try again with it). A request whose key is taken learns what was there: the first
answer, or that it is still running. A request that died or failed (a 5xx) while running leaves its
claim, which the next one with the key takes over once the lease has run out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.store import db, keys
from chalicelib.store.models import SaveKeyItem

KEPT = timedelta(hours=24)
LEASE = timedelta(seconds=60)  # a save's longest run (the Lambda timeout is 30 s)
RUNNING, DONE = "running", "done"


@dataclass(frozen=True)
class Claimed:
    """The key as another request left it: its request's hash and, once answered, the answer."""

    request_hash: str
    answer: Any | None
    running: bool


def _key(business_id: str, key: str) -> tuple[str, str]:
    return keys.idem_pk(business_id, key), keys.SAVE_SK


# What a key gives when its first request's outcome is not known (it failed or died part
# way) and the request may not run twice (a refund): never run again under that key.
UNKNOWN = {"outcome_unknown": True}


def claim(business_id: str, key: str, request_hash: str, now: datetime, take_over: bool = True) -> Claimed | None:
    """Take the key for this request (None), or what holds it (Claimed). A claim whose
    request died (its lease ran out) is taken over, unless not `take_over`: then it is
    answered UNKNOWN (a refund must not be made again on a guess)."""
    db.configure()
    pk, sk = _key(business_id, key)
    item = SaveKeyItem(pk, sk, request_hash=request_hash, state=RUNNING, lease_until=now + LEASE, expires_at=now + KEPT)
    free = SaveKeyItem.pk.does_not_exist()
    for _ in range(2):
        try:
            item.save(
                condition=free | ((SaveKeyItem.state == RUNNING) & (SaveKeyItem.lease_until < now))
                if take_over
                else free
            )
            return None
        except PutError as err:
            if err.cause_response_code != "ConditionalCheckFailedException":
                raise
        try:
            there = SaveKeyItem.get(pk, sk, consistent_read=True)
        except SaveKeyItem.DoesNotExist:
            continue  # let go meanwhile: claim it again
        running = there.state == RUNNING
        if running and not take_over and there.lease_until < now:
            return Claimed(there.request_hash, UNKNOWN, False)
        return Claimed(there.request_hash, json.loads(there.answer) if there.answer else None, running)
    raise RuntimeError("save key neither free nor held")  # pragma: no cover - a release raced twice


def done(business_id: str, key: str, answer: Any, now: datetime) -> None:
    """The save committed: its answer is what the key gives from now on."""
    db.configure()
    SaveKeyItem(
        *_key(business_id, key),
        request_hash="",
        state=DONE,
        lease_until=now,
        expires_at=now + KEPT,
    ).update(
        actions=[
            SaveKeyItem.state.set(DONE),
            SaveKeyItem.answer.set(json.dumps(answer, separators=(",", ":"))),
        ]
    )


def release(business_id: str, key: str, request_hash: str) -> None:
    """The save was refused (a 4xx): nothing was saved, the key is free again."""
    db.configure()
    try:
        SaveKeyItem(*_key(business_id, key)).delete(
            condition=(SaveKeyItem.state == RUNNING) & (SaveKeyItem.request_hash == request_hash)
        )
    except DeleteError as err:
        if err.cause_response_code != "ConditionalCheckFailedException":
            raise
