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
from enum import Enum
from zoneinfo import ZoneInfo

from chalicelib.domain.config import Loyalty, Perk
from chalicelib.domain.digits import whole_number
from chalicelib.domain.locales import normalize

WELCOME = "welcome"


class RewardStatus(str, Enum):
    AVAILABLE = "available"
    REDEEMED = "redeemed"  # reserved by a booking (given back if it is cancelled)
    REVOKED = "revoked"  # withdrawn: the stamps that earned it no longer count


class RewardKind(str, Enum):
    LOYALTY = "loyalty"  # loy-<k>: the k-th full stamp card
    REFERRAL = "referral"  # ref-<referred client>: for the referrer, once the referred client visited
    WELCOME = "welcome"  # the referred new client's perk on her first booking


STATUSES = tuple(s.value for s in RewardStatus)


@dataclass(frozen=True)
class Reward:
    """A reward on a client's card: the perk as configured when it was issued."""

    business_id: str
    client_id: str
    id: str
    kind: str  # RewardKind
    perk: Perk
    status: str  # RewardStatus
    issued_at: datetime
    expires_on: date | None = None  # the last local day it can be booked with
    appointment_id: str | None = None  # the booking it was redeemed on
    changed_at: datetime | None = None

    def status_on(self, today: date) -> str:
        """Its status as the card shows it: an available reward past its day is expired."""
        if self.status == RewardStatus.AVAILABLE.value and not usable(self.status, self.expires_on, today):
            return "expired"
        return self.status


def new_reward(
    business_id: str, client_id: str, reward_id: str, kind: RewardKind, perk: Perk, now: datetime, expires: date | None
) -> Reward:
    return Reward(
        business_id=business_id,
        client_id=client_id,
        id=reward_id,
        kind=kind.value,
        perk=perk,
        status=RewardStatus.AVAILABLE.value,
        issued_at=now,
        expires_on=expires,
        changed_at=now,
    )


@dataclass(frozen=True)
class Referral:
    """A booking that came through a client's referral link: who referred, and the
    welcome perk the business offers a new client for it."""

    referrer_id: str
    welcome: Perk
    valid_days: int | None
    referrer_name: str = ""  # her own link under new contacts is no friend's (services/booking/book.py)


@dataclass(frozen=True)
class PerkUse:
    """The perk a booking is priced with: a reward from the client's card, or a
    referred new client's welcome perk (then `referred_by` is her referrer)."""

    perk: Perk
    reward_id: str
    referred_by: str | None = None


def perk_for_booking(reward: Reward | None, referral: Referral | None, is_new_client: bool) -> PerkUse | None:
    """A reward she redeems wins; else only a client new by phone and email earns the
    welcome perk (and her referrer anything)."""
    if reward is not None:
        return PerkUse(reward.perk, reward.id)
    if referral is not None and is_new_client:
        return PerkUse(referral.welcome, WELCOME, referred_by=referral.referrer_id)
    return None


def booking_price(price_cents: int, use: PerkUse | None) -> tuple[int, int]:
    """(price to pay, discount) of a booking of a service at `price_cents`."""
    return price_after(price_cents, use.perk) if use else (price_cents, 0)


def welcome_reward(
    business_id: str, client_id: str, appointment_id: str, referral: Referral, now: datetime, tz: ZoneInfo
) -> Reward:
    """The welcome perk of a referred new client, redeemed by the booking that creates it."""
    return Reward(
        business_id=business_id,
        client_id=client_id,
        id=WELCOME,
        kind=RewardKind.WELCOME.value,
        perk=referral.welcome,
        status=RewardStatus.REDEEMED.value,
        issued_at=now,
        expires_on=expires_on(now, referral.valid_days, tz),
        appointment_id=appointment_id,
        changed_at=now,
    )


def loyalty_reward_id(k: int) -> str:
    return f"loy-{k}"


def referral_reward_id(referred_client_id: str) -> str:
    # One per referred client: her first visit can reward the referrer only once.
    return f"ref-{referred_client_id}"


def loyalty_number(reward_id: str) -> int | None:
    return whole_number(reward_id[4:]) if reward_id.startswith("loy-") else None


def counted_visits(visit_starts: list[datetime], cfg: Loyalty, tz: ZoneInfo) -> int:
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
    """The perk in the client's words: the owner's description, else fi/sv '-50 %' /
    '-10,00 €', en '-50%' / '-€10.00' (English writes no space before % and € first)."""
    if perk.description:
        return perk.description.get(locale)
    english = normalize(locale) == "en"
    if perk.percent_off is not None:
        return f"-{perk.percent_off}{'' if english else ' '}%"
    amount = f"{(perk.amount_off_cents or 0) / 100:.2f}"
    if currency != "EUR":
        return f"-{amount if english else amount.replace('.', ',')} {currency}"
    return f"-€{amount}" if english else f"-{amount.replace('.', ',')} €"


def expires_on(issued_at: datetime, valid_days: int | None, tz: ZoneInfo) -> date | None:
    return (issued_at.astimezone(tz) + timedelta(days=valid_days)).date() if valid_days else None


def usable(status: str, expires: date | None, today: date) -> bool:
    return status == "available" and (expires is None or today <= expires)
