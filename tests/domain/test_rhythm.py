"""Visit rhythm and relationship status (property-based where it matters)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.config import Retention as RetentionRules
from chalicelib.domain.rhythm import at_risk_from, lapsed_from, rhythm_days, status

RULES = RetentionRules()
T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def visits_every(days, n):
    return [T0 + timedelta(days=days * i) for i in range(n)]


def test_before_three_visits_the_service_interval_or_the_default_is_used():
    assert rhythm_days([], 28, RULES) == 28
    assert rhythm_days(visits_every(10, 2), 28, RULES) == 28  # two visits: not her own rhythm yet
    assert rhythm_days(visits_every(10, 2), None, RULES) == 42


def test_from_three_visits_the_median_interval():
    assert rhythm_days(visits_every(21, 3), 42, RULES) == 21
    # One long holiday gap does not move the median.
    v = visits_every(14, 5) + [T0 + timedelta(days=14 * 4 + 90)]
    assert rhythm_days(v, 42, RULES) == 14


@given(st.lists(st.integers(min_value=1, max_value=400), min_size=2, max_size=30), st.floats(1, 365))
def test_rhythm_lies_between_the_shortest_and_the_longest_gap(gaps, typical):
    visits = [T0]
    for g in gaps:
        visits.append(visits[-1] + timedelta(days=g))
    r = rhythm_days(visits, typical, RULES)
    assert min(gaps) <= r <= max(gaps)
    assert rhythm_days(list(reversed(visits)), typical, RULES) == r  # order does not matter


@given(st.floats(1, 200), st.integers(0, 1000))
def test_status_moves_active_then_at_risk_then_lapsed(rhythm, day):
    now = T0 + timedelta(days=day)
    s = status(now, T0, rhythm, False, RULES)
    if now <= at_risk_from(T0, rhythm, RULES):
        assert s == "active"
    elif now <= lapsed_from(T0, rhythm, RULES):
        assert s == "at_risk"
    else:
        assert s == "lapsed"
    assert status(now, T0, rhythm, True, RULES) == "active"  # something booked: never at risk
    assert status(now, T0, rhythm, False, RULES, maintenance=True) == "maintenance"


def test_the_thresholds_are_50_and_150_percent_of_the_rhythm_past_the_expected_visit():
    # Rhythm 4 weeks: expected on day 28, at risk after day 42, lapsed after day 70.
    assert status(T0 + timedelta(days=42), T0, 28, False, RULES) == "active"
    assert status(T0 + timedelta(days=42, seconds=1), T0, 28, False, RULES) == "at_risk"
    assert status(T0 + timedelta(days=70, seconds=1), T0, 28, False, RULES) == "lapsed"
    custom = RetentionRules(at_risk_after=0.25, lapsed_after=1.0)
    assert status(T0 + timedelta(days=36), T0, 28, False, custom) == "at_risk"
    assert status(T0 + timedelta(days=57), T0, 28, False, custom) == "lapsed"
