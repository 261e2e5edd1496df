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
    # English writes the per cent sign without a space and the euro sign first.
    assert rules.describe(Perk(percent_off=20), "en") == "-20%"
    assert rules.describe(Perk(amount_off_cents=1050), "en") == "-€10.50"
    assert rules.describe(Perk(amount_off_cents=1050), "sv", "SEK") == "-10,50 SEK"
    assert rules.describe(Perk(percent_off=10, description={"fi": "Kymppi pois", "en": "Ten off"}), "en") == "Ten off"


def test_rewards_expire_at_the_end_of_their_last_local_day():
    issued = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 24 Nov in Helsinki
    last = rules.expires_on(issued, 30, HELSINKI)
    assert last == date(2026, 12, 24)
    assert rules.usable("available", last, date(2026, 12, 24))
    assert not rules.usable("available", last, date(2026, 12, 25))
    assert not rules.usable("redeemed", None, date(2026, 12, 1))


# --- a booking's price and perk ------------------------------------------------------------
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
HALF = Perk(percent_off=50)
TEN_OFF = Perk(amount_off_cents=1000)


def reward(perk: Perk = HALF, status: str = "available", expires: date | None = None) -> rules.Reward:
    return rules.Reward("b", "c", "loy-1", "loyalty", perk, status, NOW, expires_on=expires)


def test_a_redeemed_reward_prices_the_booking_even_when_she_came_through_a_referral():
    use = rules.perk_for_booking(reward(), rules.Referral("friend", TEN_OFF, 30), is_new_client=True)
    assert use == rules.PerkUse(HALF, "loy-1")
    assert rules.booking_price(6900, use) == (3450, 3450)


def test_only_a_client_new_by_phone_and_email_gets_the_welcome_perk():
    referral = rules.Referral("friend", TEN_OFF, 30)
    use = rules.perk_for_booking(None, referral, is_new_client=True)
    assert use == rules.PerkUse(TEN_OFF, rules.WELCOME, referred_by="friend")
    assert rules.booking_price(6900, use) == (5900, 1000)
    assert rules.perk_for_booking(None, referral, is_new_client=False) is None
    assert rules.booking_price(6900, None) == (6900, 0)


def test_the_welcome_reward_is_redeemed_by_the_booking_that_creates_it():
    r = rules.welcome_reward("b", "new", "appt", rules.Referral("friend", TEN_OFF, 30), NOW, HELSINKI)
    assert (r.id, r.kind, r.status, r.appointment_id) == (rules.WELCOME, "welcome", "redeemed", "appt")
    assert r.expires_on == date(2026, 12, 23)


def test_an_available_reward_past_its_last_day_shows_as_expired():
    r = reward(expires=date(2026, 11, 30))
    assert r.status_on(date(2026, 11, 30)) == "available"
    assert r.status_on(date(2026, 12, 1)) == "expired"
    assert reward(status="redeemed", expires=date(2026, 11, 1)).status_on(date(2026, 12, 1)) == "redeemed"
