"""Rewards on the client's card: issued with their announcement in one transaction,
redeemed by the booking that uses them and given back when it is cancelled. Ids are
deterministic (chalicelib/domain/loyalty.py), so issuing twice writes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pynamodb.exceptions import UpdateError

from chalicelib.domain.config import Perk
from chalicelib.domain.loyalty import Reward, RewardStatus
from chalicelib.domain.messages import Message, PlannedMessage
from chalicelib.store import clients, db, keys, outbox
from chalicelib.store.models import ClientItem, RewardItem
from chalicelib.store.tx import Tx, TxFailed

_AVAILABLE = RewardStatus.AVAILABLE.value


# --- item <-> Reward ----------------------------------------------------------------------
def to_item(r: Reward) -> RewardItem:
    item = RewardItem(
        keys.biz(r.business_id),
        keys.reward_sk(r.client_id, r.id),
        business_id=r.business_id,
        client_id=r.client_id,
        reward_id=r.id,
        kind=r.kind,
        perk=r.perk.model_dump(mode="json"),
        status=r.status,
        issued_at=r.issued_at,
        expires_on=r.expires_on.isoformat() if r.expires_on else None,
        appointment_id=r.appointment_id,
        changed_at=r.changed_at,
    )
    item.g2pk, item.g2sk = keys.timeline_keys(r.business_id, r.client_id, f"{keys.TIMELINE_REWARDS}{r.id}")
    return item


def to_reward(i: RewardItem) -> Reward:
    expires: str | None = i.expires_on
    return Reward(
        business_id=i.business_id,
        client_id=i.client_id,
        id=i.reward_id,
        kind=i.kind,
        perk=Perk.model_validate(i.perk),
        status=i.status,
        issued_at=i.issued_at,
        expires_on=date.fromisoformat(expires) if expires else None,
        appointment_id=i.appointment_id,
        changed_at=i.changed_at,
    )


def _key(business_id: str, client_id: str, reward_id: str) -> RewardItem:
    return RewardItem(keys.biz(business_id), keys.reward_sk(client_id, reward_id))


# --- reading --------------------------------------------------------------------------------
def of_client(business_id: str, client_id: str) -> list[Reward]:
    """Every reward the client has had, in id order: one Query."""
    db.configure()
    found = RewardItem.query(
        keys.biz(business_id), RewardItem.sk.startswith(keys.rewards_of(client_id)), consistent_read=True
    )
    return [to_reward(i) for i in found]


def get(business_id: str, client_id: str, reward_id: str) -> Reward | None:
    db.configure()
    try:
        return to_reward(
            RewardItem.get(keys.biz(business_id), keys.reward_sk(client_id, reward_id), consistent_read=True)
        )
    except RewardItem.DoesNotExist:
        return None


# --- issuing and withdrawing ----------------------------------------------------------------
def issue(reward: Reward, announcement: PlannedMessage | None, now: datetime, lease: timedelta) -> list[Message] | None:
    """Put the reward and its announcement together, once, only while the client exists
    unerased. The messages to deliver; None if nothing was written (issued before)."""
    db.configure()
    tx = Tx(RewardItem)
    tx.put(to_item(reward), "reward", condition=RewardItem.pk.does_not_exist())
    tx.check(ClientItem, keys.biz(reward.business_id), keys.client_sk(reward.client_id), clients.unerased(), "client")
    messages = outbox.queue(tx, [announcement], now, lease) if announcement else []
    try:
        tx.commit()
    except TxFailed:
        return None  # issued already (a repeated run) or the client is gone
    return messages


def withdraw(reward: Reward, now: datetime) -> bool:
    """Withdraw a reward nobody has used yet (the visits that earned it no longer count)."""
    db.configure()
    try:
        _key(reward.business_id, reward.client_id, reward.id).update(
            actions=[RewardItem.status.set(RewardStatus.REVOKED.value), RewardItem.changed_at.set(now)],
            condition=RewardItem.status == _AVAILABLE,
        )
    except UpdateError:
        return False
    return True


# --- inside a booking's transaction ---------------------------------------------------------
def redeem(
    tx: Tx, business_id: str, client_id: str, reward_id: str, appointment_id: str, today: date, now: datetime
) -> None:
    """Reserve the reward for the booking: only if it is still available and valid on
    the local day `today`."""
    tx.update(
        _key(business_id, client_id, reward_id),
        [
            RewardItem.status.set(RewardStatus.REDEEMED.value),
            RewardItem.appointment_id.set(appointment_id),
            RewardItem.changed_at.set(now),
        ],
        "reward",
        condition=(RewardItem.status == _AVAILABLE)
        & (RewardItem.expires_on.does_not_exist() | (RewardItem.expires_on >= today.isoformat())),
    )


def welcome(tx: Tx, reward: Reward) -> None:
    """A referred new client's welcome perk, redeemed by the booking that creates it (once)."""
    tx.put(to_item(reward), "reward", condition=RewardItem.pk.does_not_exist())


def give_back(tx: Tx, business_id: str, client_id: str, reward_id: str, appointment_id: str, now: datetime) -> None:
    """The reward a cancelled booking had reserved goes back on her card."""
    tx.update(
        _key(business_id, client_id, reward_id),
        [RewardItem.status.set(_AVAILABLE), RewardItem.appointment_id.remove(), RewardItem.changed_at.set(now)],
        "reward-release",
        condition=RewardItem.appointment_id == appointment_id,
    )
