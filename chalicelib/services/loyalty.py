"""The stamp card and referrals: settling a client's card after her visits change,
announcing rewards, redeeming them in bookings, and the card as the client and the
owner see it. Rules in chalicelib/domain/loyalty.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib import clock, links
from chalicelib.domain import loyalty as rules
from chalicelib.domain.booking import Appointment, RewardUse, Status
from chalicelib.domain.clients import Client
from chalicelib.domain.config import Business, Perk
from chalicelib.domain.contacts import first_name
from chalicelib.domain.timeutil import iso_local
from chalicelib.domain.tokens import TokenError
from chalicelib.errors import Conflict, Gone, NotFound, ValidationFailed
from chalicelib.notify import outbox
from chalicelib.services import message_plans
from chalicelib.store import bookings, businesses, clients, rewards


# --- settling the card ---------------------------------------------------------------------
def settle(b: Business, c: Client, now: datetime, announce: bool = True) -> dict[str, int]:
    """Issue the rewards her stamps have earned and withdraw unused ones they no longer
    cover; reward her referrer once her first visit is completed. Idempotent. With
    `announce` False (an import of past visits) rewards are issued without a message."""
    done = {"issued": 0, "withdrawn": 0, "referral": 0}
    if c.is_erased:
        return done
    cfg = b.config.loyalty
    if cfg.enabled:
        earned = rules.card(c.stamps, c.stamp_adjust, cfg.stamps_for_reward).rewards_earned
        card = rewards.of_client(b.id, c.id)
        issued = {n: r.status for r in card if (n := rules.loyalty_number(r.id))}
        to_issue, to_withdraw = rules.settlement(earned, issued)
        for k in to_issue:
            done["issued"] += _issue(
                b,
                c,
                rules.loyalty_reward_id(k),
                rules.RewardKind.LOYALTY,
                cfg.reward,
                cfg.reward_valid_days,
                now,
                announce,
            )
        by_number = {rules.loyalty_number(r.id): r for r in card}
        done["withdrawn"] = sum(rewards.withdraw(by_number[k], now) for k in to_withdraw)
    refs = b.config.referrals
    if refs.enabled and c.referred_by and c.visits >= 1:
        reward_id = rules.referral_reward_id(c.id)
        if not rewards.get(b.id, c.referred_by, reward_id):
            referrer = clients.get_client(b.id, c.referred_by)
            if referrer and not referrer.is_erased:
                done["referral"] = _issue(
                    b,
                    referrer,
                    reward_id,
                    rules.RewardKind.REFERRAL,
                    refs.referrer_reward,
                    refs.reward_valid_days,
                    now,
                    announce,
                )
    return done


def after_give_back(b: Business, appt: Appointment, now: datetime) -> None:
    """A cancelled booking (or a hold that ended unpaid) put its loyalty reward back on her
    card: the card is settled, so a reward her stamps no longer cover — the visit that
    earned it corrected to a no-show while the reward was reserved — is withdrawn instead
    of offered again. (Should this process die before it, her card's next settlement
    withdraws it.)"""
    if not appt.reward_id or rules.loyalty_number(appt.reward_id) is None:
        return
    c = clients.get_client(b.id, appt.client_id)
    if c is not None:
        settle(b, c, now)


def _issue(
    b: Business,
    c: Client,
    reward_id: str,
    kind: rules.RewardKind,
    perk: Perk,
    valid_days: int | None,
    now: datetime,
    announce: bool = True,
) -> int:
    expires = rules.expires_on(now, valid_days, b.config.tz)
    reward = rules.new_reward(b.id, c.id, reward_id, kind, perk, now, expires)
    if not announce:
        return 0 if rewards.issue(reward, None, now, outbox.IMMEDIATE_LEASE) is None else 1
    card = links.card_token(b.id, c.id, now)
    context = {
        "business": message_plans.business_context(b),
        "client": {"name": c.name, "first_name": first_name(c.name)},
        "reward": {
            "id": reward_id,
            "kind": kind.value,
            "description": rules.describe(perk, c.locale, b.config.currency),
            "expires_on": expires.isoformat() if expires else None,
        },
        "card_url": links.card_url(card),
        "book_url": links.book_url(b.config.slug, card=card, reward=reward_id),
    }
    planned = message_plans.to_client(b, c, f"{c.id}#reward#{reward_id}", "reward", context, now)
    messages = rewards.issue(reward, planned, now, outbox.IMMEDIATE_LEASE)
    if messages is None:
        return 0
    outbox.deliver(messages, now)
    return 1


# --- redeeming when booking ----------------------------------------------------------------
def reward_owner(b: Business, use: RewardUse, source: str, now: datetime) -> str | None:
    """The client a reward in a booking request belongs to, by her card link (the
    front desk may book one without it: None, the booking's client then)."""
    if not use.card:
        if source not in ("phone", "walk_in"):  # the front desk
            raise ValidationFailed("Choose a reward from your loyalty card link.", fields={"reward.card": "required"})
        return None
    try:
        claims = links.read(use.card, "card", now)
    except TokenError:
        raise ValidationFailed("The loyalty card link is not valid.", fields={"reward.card": "not valid"}) from None
    if claims.business_id != b.id:
        raise ValidationFailed("The loyalty card link is for another business.", fields={"reward.card": "not valid"})
    return claims.subject


def reward_to_redeem(b: Business, use: RewardUse, owner: str | None, client_id: str | None) -> rules.Reward:
    """The reward, checked to be the booking client's own. Whether it is still usable
    is checked by the booking's transaction (after its Idempotency-Key, so a retried
    request gets its booking back instead of 'already used')."""
    if not client_id or (owner and owner != client_id):
        raise ValidationFailed(
            "This reward belongs to another client: book with the phone number or email you have booked with before.",
            fields={"reward": "belongs to another client"},
        )
    reward = rewards.get(b.id, client_id, use.id)
    if not reward:
        raise ValidationFailed("There is no such reward on this card.", fields={"reward": "unknown reward"})
    return reward


class RewardUnavailable(Conflict):
    def __init__(self) -> None:
        super().__init__("This reward has already been used or has expired.", code="reward_unavailable")


def referral_of(b: Business, token: str | None, now: datetime) -> rules.Referral | None:
    """The referral behind a referral link, if the business runs referrals and the
    referrer is still a client; a link that is not valid is refused, an expired one
    earns nothing."""
    refs = b.config.referrals
    if not token or not refs.enabled:
        return None
    try:
        claims = links.read(token, "referral", now)
    except TokenError as e:
        if e.reason == "expired":
            return None
        raise ValidationFailed("The referral link is not valid.", fields={"referral": "not valid"}) from None
    if claims.business_id != b.id:
        raise ValidationFailed("The referral link is for another business.", fields={"referral": "not valid"})
    referrer = clients.get_client(b.id, claims.subject)
    if not referrer or referrer.is_erased:
        return None
    return rules.Referral(referrer.id, refs.welcome_perk, refs.reward_valid_days, referrer.name)


# --- the card as people see it -----------------------------------------------------------
def client_card(token: str, choose_locale: Callable[[str], str] = lambda default: default) -> dict[str, Any]:
    """What the card link shows its holder (the client the message went to), in the
    locale `choose_locale` picks given hers."""
    now = clock.now()
    claims = links.claims_or_4xx(token, "card", now, expired=Gone)
    b = businesses.get_by_id(claims.business_id)
    c = clients.get_client(claims.business_id, claims.subject) if b else None
    if not b or not c or c.is_erased:
        raise NotFound("We have no data about you any more.", code="client_gone")
    locale = choose_locale(c.locale)
    return {
        "business": {"name": b.config.name, "slug": b.config.slug},
        "locale": locale,
        "card": card_view(b, c, now, for_client=True, locale=locale),
    }


def _booked_ahead(b: Business, mine: list[rules.Reward], now: datetime) -> dict[str, datetime]:
    """The starts of the bookings still ahead her rewards were used on, by booking: such a
    reward is on that booking, not "used" yet (a client's walk: her welcome perk read
    "Used" before the visit)."""
    used_on = [r.appointment_id for r in mine if r.appointment_id and r.status == rules.RewardStatus.REDEEMED.value]
    if not used_on:  # no read for a card with none
        return {}
    return {
        a.id: a.start
        for a in bookings.get_appointments(b.id, used_on)
        if a.status in (Status.BOOKED.value, Status.PENDING_PAYMENT.value) and a.start > now
    }


def card_view(b: Business, c: Client, now: datetime, *, for_client: bool, locale: str | None = None) -> dict[str, Any]:
    """Stamps, rewards and (for the client) her referral link and booking links."""
    cfg, refs, tz = b.config.loyalty, b.config.referrals, b.config.tz
    locale, currency = locale or c.locale, b.config.currency
    today = now.astimezone(tz).date()
    view: dict[str, Any] = {"loyalty": cfg.enabled, "referrals": refs.enabled}
    if cfg.enabled:
        card = rules.card(c.stamps, c.stamp_adjust, cfg.stamps_for_reward)
        view.update(
            stamps=card.stamps,
            stamps_for_reward=card.stamps_for_reward,
            to_next=card.to_next,
            reward=rules.describe(cfg.reward, locale, currency),
        )
        if not for_client:
            view.update(visits_counted=c.stamps, adjustment=c.stamp_adjust)
    card_token = links.card_token(b.id, c.id, now) if for_client else None
    view["rewards"] = []
    mine = rewards.of_client(b.id, c.id)
    ahead = _booked_ahead(b, mine, now) if for_client else {}
    for r in mine:
        status = r.status_on(today)
        if status == rules.RewardStatus.REVOKED.value and for_client:
            continue
        entry = {
            "id": r.id,
            "kind": r.kind,
            "status": status,
            "expires_on": r.expires_on.isoformat() if r.expires_on else None,
            "description": rules.describe(r.perk, locale, currency),
            # What it takes off (one of the two): the desk shows the price with it.
            "percent_off": r.perk.percent_off,
            "amount_off_cents": r.perk.amount_off_cents,
            "issued_at": r.issued_at.isoformat(),
            "appointment_id": r.appointment_id,
        }
        if for_client and status == rules.RewardStatus.AVAILABLE.value:
            entry["book_url"] = links.book_url(b.config.slug, card=card_token, reward=r.id)
        if r.appointment_id in ahead:
            entry["on_booking"] = iso_local(ahead[r.appointment_id], tz)
        view["rewards"].append(entry)
    if refs.enabled and for_client:
        view["referral"] = {
            "url": links.book_url(b.config.slug, ref=links.referral_token(b.id, c.id, now)),
            "welcome": rules.describe(refs.welcome_perk, locale, currency),
            "reward": rules.describe(refs.referrer_reward, locale, currency),
        }
    if c.referred_by and not for_client:
        view["referred_by"] = c.referred_by
    return view
