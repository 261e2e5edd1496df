"""The stamp card's arithmetic: settling is exact and idempotent whatever happened
before, redeemed rewards are never taken back, and perks never make a price negative."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import loyalty as rules
from chalicelib.domain.config import Loyalty, Perk

HELSINKI = ZoneInfo("Europe/Helsinki")


def apply(issued: dict[int, str], earned: int) -> dict[int, str]:
    to_issue, to_withdraw = rules.settlement(earned, issued)
    after = dict(issued)
    for k in to_issue:
        assert k not in after, "a number is never reused"
        after[k] = "available"
    for k in to_withdraw:
        assert after[k] == "available", "only unused rewards are withdrawn"
        after[k] = "revoked"
    return after


histories = st.dictionaries(st.integers(1, 12), st.sampled_from(rules.STATUSES), max_size=12)


@given(histories, st.integers(0, 15))
def test_settling_leaves_exactly_the_earned_rewards_when_it_can(issued, earned):
    after = apply(issued, earned)
    live = [k for k, s in after.items() if s != "revoked"]
    redeemed = sum(1 for s in after.values() if s == "redeemed")
    assert len(live) == max(earned, redeemed)  # more only when used rewards cannot be undone
    assert all(after[k] == issued[k] for k in issued if issued[k] == "redeemed")


@given(histories, st.integers(0, 15))
def test_settling_twice_changes_nothing(issued, earned):
    once = apply(issued, earned)
    assert rules.settlement(earned, once) == ([], [])


@given(st.integers(0, 200), st.integers(-60, 60), st.integers(2, 50))
def test_card_counts_visits_plus_adjustments(visits, adjustment, n):
    card = rules.card(visits, adjustment, n)
    total = max(0, visits + adjustment)
    assert card.rewards_earned * n + card.stamps == total
    assert 0 <= card.stamps < n and card.to_next == n - card.stamps


def test_the_tenth_visit_earns_the_reward():
    assert rules.card(9, 0, 10).rewards_earned == 0 and rules.card(9, 0, 10).to_next == 1
    assert rules.card(10, 0, 10).rewards_earned == 1 and rules.card(10, 0, 10).stamps == 0


@given(st.integers(0, 1_000_000), st.integers(1, 100))
def test_percent_off_never_goes_below_zero(price, percent):
    pay, discount = rules.price_after(price, Perk(percent_off=percent))
    assert pay + discount == price and 0 <= pay <= price


def test_amount_off_is_capped_at_the_price():
    assert rules.price_after(6900, Perk(amount_off_cents=1000)) == (5900, 1000)
    assert rules.price_after(500, Perk(amount_off_cents=1000)) == (0, 500)
    assert rules.price_after(6900, Perk(percent_off=50)) == (3450, 3450)


def test_a_perk_is_a_percentage_or_an_amount_not_both():
    with pytest.raises(ValueError):
        Perk(percent_off=10, amount_off_cents=500)
    with pytest.raises(ValueError):
        Perk()


def test_visits_before_the_card_started_earn_nothing():
    cfg = Loyalty(enabled=True, counts_from=date(2026, 12, 1))
    starts = [
        datetime(2026, 11, 30, 22, 30, tzinfo=UTC),  # 1 Dec 00:30 in Helsinki
        datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
    ]
    assert rules.counted_visits(starts, cfg, HELSINKI) == 1
    assert rules.counted_visits(starts, Loyalty(enabled=True), HELSINKI) == 2


def test_descriptions_default_to_the_discount_in_the_clients_words():
    assert rules.describe(Perk(percent_off=20), "fi") == "-20 %"
    assert rules.describe(Perk(amount_off_cents=1050), "fi") == "-10,50 €"
    assert rules.describe(Perk(amount_off_cents=1050), "en") == "-10.50 €"
    assert rules.describe(Perk(percent_off=10, description={"fi": "Kymppi pois", "en": "Ten off"}), "en") == "Ten off"


def test_rewards_expire_at_the_end_of_their_last_local_day():
    issued = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 24 Nov in Helsinki
    last = rules.expires_on(issued, 30, HELSINKI)
    assert last == date(2026, 12, 24)
    assert rules.usable("available", last, date(2026, 12, 24))
    assert not rules.usable("available", last, date(2026, 12, 25))
    assert not rules.usable("redeemed", None, date(2026, 12, 1))
