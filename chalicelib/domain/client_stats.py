"""A client's figures, from her appointments: visits, rhythm, spend, no-shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import mean

from chalicelib.domain.booking import Appointment
from chalicelib.domain.visits import outcome


@dataclass(frozen=True)
class ClientStats:
    visits: int
    average_interval_days: float | None  # between consecutive completed visits
    last_visit: datetime | None
    next_booking: datetime | None
    lifetime_spend_cents: int
    no_shows: int
    cancellations: int
    average_rating: float | None
    ratings: int


def client_stats(
    appointments: list[Appointment], now: datetime, rating_sum: int = 0, rating_count: int = 0
) -> ClientStats:
    outcomes = [(a, outcome(a, now)) for a in appointments]
    done = sorted((a for a, o in outcomes if o == "completed"), key=lambda a: a.start)
    upcoming = sorted((a.start for a, o in outcomes if o == "upcoming"))
    gaps = [(b.start - a.start).total_seconds() / 86400 for a, b in zip(done, done[1:])]
    return ClientStats(
        visits=len(done),
        average_interval_days=round(mean(gaps), 1) if gaps else None,
        last_visit=done[-1].start if done else None,
        next_booking=upcoming[0] if upcoming else None,
        lifetime_spend_cents=sum(a.came_to_cents for a in done),
        no_shows=sum(1 for _, o in outcomes if o == "no_show"),
        # A hold that ended unconfirmed or unpaid never was a booking, and the salon's
        # cancellation was not hers: neither is her cancellation.
        cancellations=sum(
            1 for a, o in outcomes if o == "cancelled" and not a.never_booked and not a.cancelled_by_salon
        ),
        average_rating=round(rating_sum / rating_count, 2) if rating_count else None,
        ratings=rating_count,
    )
