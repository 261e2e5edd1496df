"""Loyalty stamps, rewards and referral perks: the rules, free of storage.

A client's stamps are derived, never incremented: the completed visits since the card
started plus the owner's adjustments. Every `stamps_for_reward` stamps earn reward
number k (id `loy-<k>`), so settling the card again after any change — a visit
completed, a no-show corrected, an adjustment — issues or withdraws exactly the
difference, and running it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chalicelib.domain.config import Loyalty, Perk

WELCOME = "welcome"
STATUSES = ("available", "redeemed", "revoked")


def loyalty_reward_id(k: int) -> str:
    return f"loy-{k}"


def referral_reward_id(referred_client_id: str) -> str:
    # One per referred client: her first visit can reward the referrer only once.
    return f"ref-{referred_client_id}"


def loyalty_number(reward_id: str) -> int | None:
    if reward_id.startswith("loy-") and reward_id[4:].isdigit():
        return int(reward_id[4:])
    return None


def counted_visits(visit_starts: list[datetime], cfg: Loyalty, tz) -> int:
    """Completed visits that earn a stamp: those on or after the day the card started."""
    if cfg.counts_from is None:
        return len(visit_starts)
    return sum(1 for s in visit_starts if s.astimezone(tz).date() >= cfg.counts_from)


@dataclass(frozen=True)
class Card:
    stamps: int  # on the current card, 0 .. stamps_for_reward - 1
    stamps_for_reward: int
    rewards_earned: int  # in all, since the card started

    @property
    def to_next(self) -> int:
        return self.stamps_for_reward - self.stamps


def card(visits: int, adjustment: int, stamps_for_reward: int) -> Card:
    total = max(0, visits + adjustment)
    return Card(
        stamps=total % stamps_for_reward, stamps_for_reward=stamps_for_reward, rewards_earned=total // stamps_for_reward
    )


def settlement(earned: int, issued: dict[int, str]) -> tuple[list[int], list[int]]:
    """(numbers to issue, numbers to withdraw) so that rewards 1..earned exist.

    `issued` maps each loyalty reward number ever written to its status. A reward
    already redeemed is never withdrawn (the visit took place); a withdrawn one is not
    issued again under the same number, so the client's next earned reward gets the
    next free number."""
    live = {k for k, status in issued.items() if status != "revoked"}
    withdraw = sorted((k for k in live if issued[k] == "available"), reverse=True)[: max(0, len(live) - earned)]
    missing = max(0, earned - len(live))
    start = max(issued, default=0) + 1
    return list(range(start, start + missing)), withdraw


def price_after(price_cents: int, perk: Perk) -> tuple[int, int]:
    """(price to pay, discount) of a visit with the perk, never below zero."""
    if perk.percent_off is not None:
        discount = (price_cents * perk.percent_off + 50) // 100
    else:
        discount = min(price_cents, perk.amount_off_cents or 0)
    return price_cents - discount, discount


def describe(perk: Perk, locale: str, currency: str = "EUR") -> str:
    """The perk in the client's words: the owner's description, else '-50 %' / '-10,00 €'."""
    if perk.description:
        return perk.description.get(locale)
    if perk.percent_off is not None:
        return f"-{perk.percent_off} %"
    amount = f"{perk.amount_off_cents / 100:.2f}"
    return f"-{amount.replace('.', ',') if locale in ('fi', 'sv') else amount} {'€' if currency == 'EUR' else currency}"


def expires_on(issued_at: datetime, valid_days: int | None, tz) -> date | None:
    return (issued_at.astimezone(tz) + timedelta(days=valid_days)).date() if valid_days else None


def usable(status: str, expires: date | None, today: date) -> bool:
    return status == "available" and (expires is None or today <= expires)
