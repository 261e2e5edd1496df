"""Secrets of the calendar subscription URLs (one for the business, one per staff member)."""

from __future__ import annotations

import hmac
import secrets

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.domain.ids import could_be_id
from chalicelib.store import db, keys
from chalicelib.store.models import BusinessItem

BUSINESS_FEED = "business"


class FeedsChanged(Exception):
    """The business item changed while the secrets were being written; try again."""


def _item(business_id: str) -> BusinessItem | None:
    if not could_be_id(business_id):  # a feed URL's, from outside
        return None
    db.configure()
    try:
        return BusinessItem.get(keys.biz(business_id), keys.CONFIG_SK, consistent_read=True)
    except DoesNotExist:
        return None


def secrets_for(business_id: str, feeds: list[str]) -> dict[str, str]:
    """The secret of each feed, created on first use."""
    item = _item(business_id)
    if item is None:
        return {}
    current = dict(item.feed_secrets or {})
    missing = [f for f in feeds if f not in current]
    if missing:
        current.update({f: secrets.token_urlsafe(24) for f in missing})
        _write(item, current)
    return {f: current[f] for f in feeds}


def rotate(business_id: str, feed: str) -> str:
    """A new secret: the old URL stops working at once."""
    item = _item(business_id)
    if item is None:
        raise FeedsChanged()  # the business is gone
    current = dict(item.feed_secrets or {})
    secret = secrets.token_urlsafe(24)
    current[feed] = secret
    _write(item, current)
    return secret


def _write(item: BusinessItem, secrets_map: dict[str, str]) -> None:
    try:
        item.update(actions=[BusinessItem.feed_secrets.set(secrets_map)])  # version-checked
    except UpdateError as e:
        raise FeedsChanged() from e


def check(business_id: str, feed: str, secret: str) -> bool:
    """Constant-time comparison against the current secret (read, not cached)."""
    return config_version_if_allowed(business_id, feed, secret) is not None


def config_version_if_allowed(business_id: str, feed: str, secret: str) -> int | None:
    """The version of the business's config if `secret` is the feed's current one (a
    constant-time comparison; read, not cached), else None: one GetItem says both
    whether the URL still works and whether what the feed shows of the config changed."""
    item = _item(business_id)
    expected: str | None = (item.feed_secrets or {}).get(feed) if item else None
    if not (item and expected and hmac.compare_digest(str(expected).encode(), (secret or "").encode())):
        return None
    return int(item.version or 0)
