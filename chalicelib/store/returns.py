"""The business's fitted return model: one small item per business, replaced by the
weekly refit (chalicelib/jobs/refit_returns.py)."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.returns import ReturnModel, Thresholds
from chalicelib.store import db, keys
from chalicelib.store.models import ReturnModelItem


def get(business_id: str, thresholds: Thresholds) -> ReturnModel | None:
    """The stored model with the business's own thresholds; None before the first fit
    (or in a format this code no longer reads)."""
    db.configure()
    try:
        item = ReturnModelItem.get(keys.biz(business_id), keys.RETURNS_SK)
    except DoesNotExist:
        return None
    try:
        return ReturnModel.from_dict(item.model, thresholds)
    except (ValueError, TypeError, KeyError):
        return None


def save(business_id: str, model: ReturnModel) -> None:
    """Replace the stored model (a refit of the same week writes the same numbers)."""
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
    ).save()
