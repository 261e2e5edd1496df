"""A business's public profile: what the booking widget and pages show before a booking."""

from __future__ import annotations

import re
import time
from typing import Any

from chalicelib import clock, links
from chalicelib.domain import payments as rules
from chalicelib.domain.config import Business, Service
from chalicelib.domain.payments import Payments
from chalicelib.errors import NotFound
from chalicelib.store import businesses

_SLUG = re.compile(r"^[a-z0-9-]{1,40}$")


def business(slug: str) -> Business:
    """The business with this public slug, or 404."""
    found = businesses.get_by_slug(slug) if _SLUG.match(slug or "") else None
    if not found:
        raise NotFound(f"No business called '{slug}'.", key="no_business")
    return found


def public_profile(slug: str) -> dict[str, Any]:
    c = business(slug).config
    return {
        "slug": c.slug,
        "name": c.name,
        "timezone": c.timezone,
        "locale": c.locale,
        "currency": c.currency,
        "address": c.address,
        "phone": c.phone,
        "website": c.website,
        "review_link": c.review_link,
        "opening_hours": c.opening_hours.model_dump(mode="json"),
        "closures": [d.date.isoformat() for d in c.closures],  # the dates only: their names are the owner's
        "rules": c.rules.model_dump(mode="json"),
        "services": [
            {
                "id": s.id,
                "name": s.name.model_dump(exclude_none=True),
                "description": s.description.model_dump(exclude_none=True) if s.description else None,
                "duration_minutes": s.duration_minutes,
                # Her clearing up after it: the desk's walk-in sheet asks for the two together.
                "buffer_minutes": s.buffer_minutes,
                "price_cents": s.price_cents,
                "staff": [m.id for m in c.staff_for(s.id)],
                "payment": payment_of(c.payments, s),
            }
            for s in c.services
        ],
        "staff": [
            {
                "id": m.id,
                "name": m.name,
                "title": m.title.model_dump(exclude_none=True) if m.title else None,
                "services": list(m.services),
            }
            for m in c.staff
        ],
        "booking_url": links.book_url(c.slug),
        "payments": {"version": c.payments.version, "hold_minutes": c.payments.hold_minutes},
    }


def payment_of(p: Payments, s: Service) -> dict[str, Any]:
    """What booking the service pays or secures, and the fee terms (cents, %)."""
    policy = rules.policy_of(p, s.payment)
    return {
        "kind": policy.kind.value,
        "amount_cents": rules.due_now_cents(policy, s.price_cents),
        **p.terms.model_dump(),
    }


RATING_CACHE_SECONDS = 300
_ratings: dict[str, tuple[float, dict[str, Any] | None]] = {}


def rating(b: Business) -> dict[str, Any] | None:
    """The salon's rating on its booking page: the average and count of its clients'
    ratings of visits this year and last year, read from the business's year aggregates
    (one BatchGetItem, kept five minutes per process; never a scan of the feedback).
    None when the owner hides it or fewer than `shop.rating_min_count` clients rated."""
    shop = b.config.shop
    if not shop.show_rating:
        return None
    hit = _ratings.get(b.id)
    if hit and hit[0] > time.monotonic():
        found = hit[1]
    else:
        from chalicelib.store import kpis

        year = clock.now().astimezone(b.config.tz).year
        periods = kpis.periods(b.id, [str(year), str(year - 1)])
        count = sum(p.get("ratings_count", 0) for p in periods.values())
        total = sum(p.get("ratings_sum", 0) for p in periods.values())
        found = {"count": count, "average": round(total / count, 1)} if count else None
        _ratings[b.id] = (time.monotonic() + RATING_CACHE_SECONDS, found)
    return found if found and found["count"] >= shop.rating_min_count else None


def clear_ratings() -> None:
    _ratings.clear()
