"""A client's visit rhythm: when her next visit is expected.

Rhythm: the median interval between completed visits once there are at least three
(two intervals); before that, the service's typical return interval or the business
default. Expected next visit = last completed visit + rhythm.

Where the relationship stands (active, at risk, lapsed) comes from the business's
return model (chalicelib/domain/returns.py). The rhythm rule it replaced — at risk once
the expected visit has passed by more than `at_risk_after` x rhythm, lapsed past
`lapsed_after` x rhythm — stays below as `status()` for bench/lapse.py's comparison only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from chalicelib.domain.config import Retention as RetentionRules

MIN_VISITS_FOR_OWN_RHYTHM = 3
# The win-back job reads the step days (the lapse index) of the last week: a missed run is caught up.
WINBACK_LOOKBACK_DAYS = 7


def winback_reach(today: date) -> date:
    """The oldest step day the win-back job still reads on `today`. A lapse day re-keyed
    before it (her thresholds tightened, a refit moved it back) would never be read: her
    step is keyed on `today` instead (store/retention.py set_client_figures)."""
    return today - timedelta(days=WINBACK_LOOKBACK_DAYS)


@dataclass(frozen=True)
class VisitFigures:
    """What a client's completed visits add up to on her profile."""

    visits: int
    spend_cents: int
    stamps: int  # visits that earn a stamp (chalicelib/domain/loyalty.py counted_visits)
    last_visit: datetime | None = None
    first_visit: datetime | None = None  # the desk's "first visit" mark stays on it
    rhythm: float | None = None
    at_risk_on: date | None = None
    lapsed_on: date | None = None


def rhythm_days(visits: list[datetime], typical_days: float | None, rules: RetentionRules) -> float:
    """The client's own median interval once she has 3 visits, else the typical one."""
    visits = sorted(visits)
    if len(visits) >= MIN_VISITS_FOR_OWN_RHYTHM:
        gaps = [(b - a).total_seconds() / 86400 for a, b in zip(visits, visits[1:])]
        own = median(g for g in gaps if g > 0) if any(g > 0 for g in gaps) else None
        if own:
            return own
    return float(typical_days or rules.default_return_days)


def expected_next(last_visit: datetime, rhythm: float) -> datetime:
    return last_visit + timedelta(days=rhythm)


def at_risk_from(last_visit: datetime, rhythm: float, rules: RetentionRules) -> datetime:
    return expected_next(last_visit, rhythm) + timedelta(days=rhythm * rules.at_risk_after)


def lapsed_from(last_visit: datetime, rhythm: float, rules: RetentionRules) -> datetime:
    return expected_next(last_visit, rhythm) + timedelta(days=rhythm * rules.lapsed_after)


def status(
    now: datetime,
    last_visit: datetime | None,
    rhythm: float,
    has_future_booking: bool,
    rules: RetentionRules,
    maintenance: bool = False,
) -> str:
    """active | at_risk | lapsed | maintenance."""
    if maintenance:
        return "maintenance"
    if has_future_booking or last_visit is None:
        return "active"
    if now > lapsed_from(last_visit, rhythm, rules):
        return "lapsed"
    if now > at_risk_from(last_visit, rhythm, rules):
        return "at_risk"
    return "active"
