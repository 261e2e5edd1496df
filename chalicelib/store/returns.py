"""The business's fitted return model: one small item per business, replaced by the
weekly refit (chalicelib/jobs/refit_returns.py), with how far the re-keying of its
clients to it has come (a big business's re-keying spans several runs)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.domain.returns import ReturnModel, Thresholds
from chalicelib.store import db, keys
from chalicelib.store.models import ReturnModelItem

ALL_REKEYED = "~"  # after every client id


def _item(business_id: str) -> ReturnModelItem | None:
    db.configure()
    try:
        return ReturnModelItem.get(keys.biz(business_id), keys.RETURNS_SK, consistent_read=True)
    except DoesNotExist:
        return None


def _model(item: ReturnModelItem, thresholds: Thresholds | None) -> ReturnModel | None:
    try:
        return ReturnModel.from_dict(item.model, thresholds)
    except (ValueError, TypeError, KeyError):
        return None  # a format this code no longer reads: refitted on the next run


def get(business_id: str, thresholds: Thresholds | None) -> ReturnModel | None:
    """The stored model with the business's configured thresholds (None: those fitted
    with it); None before the first fit."""
    item = _item(business_id)
    return _model(item, thresholds) if item else None


def get_with_progress(business_id: str, thresholds: Thresholds | None) -> tuple[ReturnModel | None, str, str | None]:
    """The stored model, the last client id re-keyed to it ("" none yet, ALL_REKEYED all)
    and the settings it was fitted and re-keyed for (save's; None: stored before they were kept)."""
    item = _item(business_id)
    if item is None:
        return None, "", None
    return _model(item, thresholds), item.rekeyed_until or "", item.settings


def save(business_id: str, model: ReturnModel, settings: str) -> None:
    """Replace the stored model, fitted for the business's retention `settings`; none of
    the clients is re-keyed to it yet."""
    db.configure()
    if model.fitted_at is None:
        raise ValueError("a stored model says when it was fitted")
    ReturnModelItem(
        keys.biz(business_id),
        keys.RETURNS_SK,
        business_id=business_id,
        model=model.to_dict(),
        fitted_at=model.fitted_at,
        clients=model.clients,
        rekeyed_until="",
        settings=settings,
    ).save()


def rekeyed(business_id: str, fitted_at: datetime, until: str) -> None:
    """Clients up to id `until` are re-keyed to the model fitted at `fitted_at` (nothing
    is written if another fit replaced it meanwhile)."""
    db.configure()
    try:
        ReturnModelItem(keys.biz(business_id), keys.RETURNS_SK).update(
            actions=[ReturnModelItem.rekeyed_until.set(until)], condition=ReturnModelItem.fitted_at == fitted_at
        )
    except UpdateError:
        pass
