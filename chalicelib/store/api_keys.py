"""Integrations' API keys (chalicelib/domain/api_keys.py): one item per key, found by
the key's id when it is used, listed per business on g1. Each use is one conditional
UpdateItem that counts the request in the key's current minute and stamps `last_used_at`,
refused if the key is revoked or over its limit."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib.domain.api_keys import ApiKey, minute_of
from chalicelib.store import db, keys
from chalicelib.store.models import ApiKeyCountItem, ApiKeyItem
from chalicelib.store.tx import Tx, TxFailed

Use = Literal["ok", "revoked", "limited"]


def _to_key(i: ApiKeyItem) -> ApiKey:
    return ApiKey(
        business_id=i.business_id,
        key_id=i.key_id,
        name=i.name,
        scopes=tuple(str(s) for s in i.scopes or ()),
        created_at=i.created_at,
        created_by=i.created_by,
        last_used_at=i.last_used_at,
        revoked_at=i.revoked_at,
        secret_sha256=i.secret_sha256,
        gateway_key_id=i.gateway_key,
    )


def _item(key_id: str) -> ApiKeyItem | None:
    db.configure()
    try:
        return ApiKeyItem.get(keys.api_key_pk(key_id), keys.API_KEY_SK, consistent_read=True)
    except DoesNotExist:
        return None


class TooManyKeys(Exception):
    """The business has its cap of active keys (another creation may just have taken the last)."""


def _count(business_id: str) -> ApiKeyCountItem:
    return ApiKeyCountItem(keys.biz(business_id), keys.API_KEYS_COUNT_SK)


def add(key: ApiKey, cap: int, active_now: int) -> None:
    """The key, counted against the business's `cap` of active keys in the same
    transaction: racing creations cannot pass it together. `active_now`: the active keys
    as listed, the count's start where it is not kept yet. TooManyKeys at the cap."""
    db.configure()
    g1pk, g1sk = keys.api_key_keys(key.business_id, key.key_id, key.created_at)
    tx = Tx(ApiKeyItem)
    tx.put(
        ApiKeyItem(
            keys.api_key_pk(key.key_id),
            keys.API_KEY_SK,
            business_id=key.business_id,
            key_id=key.key_id,
            name=key.name,
            scopes=list(key.scopes),
            secret_sha256=key.secret_sha256,
            created_at=key.created_at,
            created_by=key.created_by,
            gateway_key=key.gateway_key_id,
            g1pk=g1pk,
            g1sk=g1sk,
        ),
        "key",
        condition=ApiKeyItem.pk.does_not_exist(),
    )
    count = ApiKeyCountItem.active
    below: Condition = count < cap
    if active_now < cap:  # no count kept yet: the list's is where it starts
        below = below | count.does_not_exist()
    tx.update(_count(key.business_id), [count.set((count | active_now) + 1)], "count", condition=below)
    try:
        tx.commit()
    except TxFailed as e:
        if "count" in e.failed:
            raise TooManyKeys from None
        raise


def get(key_id: str) -> ApiKey | None:
    item = _item(key_id)
    return _to_key(item) if item else None


def of_business(business_id: str) -> list[ApiKey]:
    """Oldest first, revoked ones included (they show when they were revoked)."""
    db.configure()
    return [_to_key(i) for i in ApiKeyItem.by_business.query(keys.business_api_keys(business_id))]


def revoke(business_id: str, key_id: str, now: datetime) -> ApiKey | None:
    """The key revoked (revoking twice keeps the first time); None if no such key of this business."""
    item = _item(key_id)
    if item is None or item.business_id != business_id:
        return None
    if item.revoked_at is None:
        # Revoked, and taken off the business's count in the same transaction; a count not
        # kept yet (no key made since it existed) is counted from the list when it is.
        revoked, count = [ApiKeyItem.revoked_at.set(now)], ApiKeyCountItem.active
        tx = Tx(ApiKeyItem)
        tx.update(item, revoked, "key", condition=ApiKeyItem.revoked_at.does_not_exist())
        tx.update(_count(business_id), [count.add(-1)], "count", condition=count > 0)
        try:
            tx.commit()
            item.revoked_at = now
        except TxFailed as e:
            if "key" not in e.failed:  # no count kept: the key alone
                try:
                    item.update(actions=revoked, condition=ApiKeyItem.revoked_at.does_not_exist())
                except UpdateError:
                    pass
            item.refresh(consistent_read=True)  # revoked by another request meanwhile, or now
    return _to_key(item)


def use(key_id: str, now: datetime, per_minute: int) -> Use:
    """Count one request of the key in this minute and stamp its last use, in one write."""
    db.configure()
    minute = minute_of(now)
    item = ApiKeyItem(keys.api_key_pk(key_id), keys.API_KEY_SK)
    live = ApiKeyItem.pk.exists() & ApiKeyItem.revoked_at.does_not_exist()
    try:
        item.update(
            actions=[ApiKeyItem.used.add(1), ApiKeyItem.last_used_at.set(now)],
            condition=live & (ApiKeyItem.window == minute) & (ApiKeyItem.used < per_minute),
        )
        return "ok"
    except UpdateError:
        pass
    try:  # a new minute (or the key's first use): start counting afresh
        item.update(
            actions=[ApiKeyItem.window.set(minute), ApiKeyItem.used.set(1), ApiKeyItem.last_used_at.set(now)],
            condition=live & (ApiKeyItem.window.does_not_exist() | (ApiKeyItem.window != minute)),
        )
        return "ok"
    except UpdateError:
        pass
    current = _item(key_id)
    return "revoked" if current is None or current.revoked_at is not None else "limited"
