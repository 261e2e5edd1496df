"""Businesses: config by slug (cached per process) and saving a validated config."""

from __future__ import annotations

import time
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import clock
from chalicelib.domain.config import Business, BusinessConfig, parse_business_config
from chalicelib.domain.ids import could_be_id, new_id
from chalicelib.domain.messages import Message
from chalicelib.settings import get_settings
from chalicelib.store import db, keys, outbox
from chalicelib.store.models import BusinessItem, LoadedConfigItem, SlugItem
from chalicelib.store.tx import Tx, TxFailed

_cache: dict[str, tuple[float, Business | None]] = {}


class ConfigChanged(Exception):
    """The configuration was saved by someone else since it was read (its version moved)."""


def clear_cache() -> None:
    _cache.clear()


def _load(business_id: str) -> Business | None:
    try:
        item = BusinessItem.get(keys.biz(business_id), keys.CONFIG_SK)
    except DoesNotExist:
        return None
    return Business(item.business_id, parse_business_config(item.config))


def get_by_slug(slug: str) -> Business | None:
    """Business by its public slug; cached for REBOOK_CONFIG_CACHE_SECONDS."""
    db.configure()
    now = time.monotonic()
    hit = _cache.get(f"slug:{slug}")
    if hit and hit[0] > now:
        return hit[1]
    try:
        business_id = SlugItem.get(keys.slug_pk(slug), keys.SLUG_SK).business_id
    except DoesNotExist:
        business = None
    else:
        business = _load(business_id)
    _remember(business, now, slug=slug)
    return business


def get_by_id(business_id: str, fresh: bool = False) -> Business | None:
    """The business by id, from the container's cache unless `fresh` (read now, and cached);
    None for an id that cannot be one (from outside: a webhook's metadata, a feed's URL)."""
    if not could_be_id(business_id):
        return None
    db.configure()
    now = time.monotonic()
    hit = _cache.get(f"id:{business_id}")
    if hit and hit[0] > now and not fresh:
        return hit[1]
    business = _load(business_id)
    _remember(business, now, business_id=business_id)
    return business


def _remember(business: Business | None, now: float, slug: str | None = None, business_id: str | None = None) -> None:
    # Unknown slugs are cached briefly too, so probing them costs no reads.
    ttl = get_settings().config_cache_seconds
    expires = now + (ttl if business else min(ttl, 5))
    if business:
        _cache[f"slug:{business.config.slug}"] = (expires, business)
        _cache[f"id:{business.id}"] = (expires, business)
    elif slug:
        _cache[f"slug:{slug}"] = (expires, None)
    elif business_id:
        _cache[f"id:{business_id}"] = (expires, None)


def save_config(config: BusinessConfig, version: int | None = None) -> tuple[Business, bool]:
    """Create or update the business with this slug from a business file (load-business);
    returns (business, created). What the file set is kept beside it (last_loaded). With
    `version` (read_for_change's), an existing business is saved only if it is still at it
    (ConfigChanged otherwise)."""
    db.configure()
    try:
        business_id = SlugItem.get(keys.slug_pk(config.slug), keys.SLUG_SK, consistent_read=True).business_id
        item = BusinessItem.get(keys.biz(business_id), keys.CONFIG_SK, consistent_read=True)
        created = False
        if version is not None and int(item.version or 0) != version:
            raise ConfigChanged()
    except DoesNotExist:
        business_id = new_id(8)
        item = BusinessItem(keys.biz(business_id), keys.CONFIG_SK, business_id=business_id)
        created = True
    item.slug = config.slug
    item.config = config.model_dump(mode="json")
    item.updated_at = clock.now()
    item.g1pk, item.g1sk = keys.EVERY_BUSINESS, business_id
    loaded = LoadedConfigItem(keys.biz(business_id), keys.LOADED_SK, config=item.config, loaded_at=item.updated_at)
    try:
        with TransactWrite(connection=BusinessItem._get_connection().connection) as tx:
            if created:
                slug = SlugItem(keys.slug_pk(config.slug), keys.SLUG_SK, business_id=business_id)
                tx.save(slug, condition=SlugItem.pk.does_not_exist())
            tx.save(item)  # conditioned on the version read: a settings save meanwhile fails it
            tx.save(loaded)
    except TransactWriteError as e:
        if created:
            raise RuntimeError(f"slug '{config.slug}' was taken concurrently; try again") from e
        raise ConfigChanged() from e
    clear_cache()
    return Business(business_id, config), created


def last_loaded(business_id: str) -> dict[str, Any] | None:
    """The config (JSON) as a business file last set it, or None: never loaded from one
    since load-business kept it (8 Dec 2026)."""
    db.configure()
    try:
        return dict(LoadedConfigItem.get(keys.biz(business_id), keys.LOADED_SK, consistent_read=True).config)
    except DoesNotExist:
        return None


def read_for_change(business_id: str) -> tuple[Business, int] | None:
    """The business as stored now (not the cached copy) and the version of its config,
    for a change that must not overwrite someone else's."""
    db.configure()
    try:
        item = BusinessItem.get(keys.biz(business_id), keys.CONFIG_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return Business(item.business_id, parse_business_config(item.config)), int(item.version or 0)


def replace_config(
    business_id: str, config: BusinessConfig, version: int, freed: Message | None = None
) -> tuple[Business, int]:
    """Save the config of an existing business only if its version is still `version`
    (ConfigChanged otherwise); the business and its new version. The slug stays. With
    `freed` (the working time the save opens, for the waitlist: services/waitlist/refill.py),
    the config and that outbox item in one transaction."""
    db.configure()
    try:
        item = BusinessItem.get(keys.biz(business_id), keys.CONFIG_SK, consistent_read=True)
    except DoesNotExist:
        raise ConfigChanged() from None
    if int(item.version or 0) != version or item.slug != config.slug:
        raise ConfigChanged()
    item.config = config.model_dump(mode="json")
    item.updated_at = clock.now()
    if freed is not None:
        tx = Tx(BusinessItem)
        tx.put(item, "config")  # PynamoDB conditions it on the version read and moves it on
        outbox.put(tx, [freed])
        try:
            tx.commit()
        except TxFailed as e:
            raise ConfigChanged() from e
        clear_cache()
        return Business(business_id, config), int(item.version or 0)
    try:
        item.save()  # PynamoDB conditions the put on the version read and moves it on
    except PutError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            raise ConfigChanged() from e
        raise
    clear_cache()
    return Business(business_id, config), int(item.version or 0)


def all_ids() -> list[str]:
    """Every business's id: one Query on g1 (a business is listed once its config is saved)."""
    db.configure()
    return [i.business_id for i in BusinessItem.every_business.query(keys.EVERY_BUSINESS)]
