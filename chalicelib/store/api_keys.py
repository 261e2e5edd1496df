"""Integrations' API keys (chalicelib/domain/api_keys.py): one item per key, found by
the key's id when it is used, listed per business on g1. Each use is one conditional
UpdateItem that counts the request in the key's current minute and stamps `last_used_at`,
refused if the key is revoked or over its limit."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.domain.api_keys import ApiKey, minute_of
from chalicelib.store import db, keys
from chalicelib.store.models import ApiKeyItem

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


def add(key: ApiKey) -> None:
    db.configure()
    g1pk, g1sk = keys.api_key_keys(key.business_id, key.key_id, key.created_at)
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
    ).save(condition=ApiKeyItem.pk.does_not_exist())


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
        try:
            item.update(
                actions=[ApiKeyItem.revoked_at.set(now)],
                condition=ApiKeyItem.revoked_at.does_not_exist(),
            )
        except UpdateError:
            item.refresh(consistent_read=True)
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
