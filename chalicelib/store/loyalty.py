"""Rewards on the client's card: issued with their announcement in one transaction,
reserved by the booking that redeems them and given back when it is cancelled."""

from __future__ import annotations

from datetime import date, datetime

from pynamodb.exceptions import UpdateError

from chalicelib.domain.messages import PlannedMessage
from chalicelib.store import db, keys
from chalicelib.store.bookings import message_item
from chalicelib.store.models import ClientItem, MessageItem, RewardItem
from chalicelib.store.tx import Tx, TxFailed


def new_reward(
    business_id: str,
    client_id: str,
    reward_id: str,
    kind: str,
    perk: dict,
    now: datetime,
    expires: date | None,
    *,
    status: str = "available",
    appointment_id: str | None = None,
) -> RewardItem:
    return RewardItem(
        keys.biz(business_id),
        keys.reward_sk(client_id, reward_id),
        business_id=business_id,
        client_id=client_id,
        reward_id=reward_id,
        kind=kind,
        perk=perk,
        status=status,
        issued_at=now,
        expires_on=expires.isoformat() if expires else None,
        appointment_id=appointment_id,
        changed_at=now,
        g2pk=keys.client_timeline(business_id, client_id),
        g2sk=f"REWARD#{reward_id}",
    )


def rewards_of(business_id: str, client_id: str) -> list[RewardItem]:
    """Every reward the client has had, in id order: one Query."""
    db.configure()
    return list(
        RewardItem.query(keys.biz(business_id), RewardItem.sk.startswith(f"REWARD#{client_id}#"), consistent_read=True)
    )


def get_reward(business_id: str, client_id: str, reward_id: str) -> RewardItem | None:
    db.configure()
    try:
        return RewardItem.get(keys.biz(business_id), keys.reward_sk(client_id, reward_id), consistent_read=True)
    except RewardItem.DoesNotExist:
        return None


def issue(reward: RewardItem, announcement: PlannedMessage | None, now: datetime, lease) -> list[MessageItem] | None:
    """Put the reward and its announcement together, once, only while the client exists
    unerased. The messages to deliver; None if nothing was written (issued before)."""
    db.configure()
    tx = Tx(RewardItem)
    tx.put(reward, "reward", condition=RewardItem.pk.does_not_exist())
    tx.check(
        ClientItem,
        reward.pk,
        keys.client_sk(reward.client_id),
        ClientItem.pk.exists() & ClientItem.erased_at.does_not_exist(),
        "client",
    )
    items = []
    if announcement:
        items = [message_item(announcement, now, claimed_for=lease)]
        tx.put(items[0], "message", condition=MessageItem.pk.does_not_exist())
    try:
        tx.commit()
    except TxFailed:
        return None  # issued already (a repeated run) or the client is gone
    return items


def withdraw(reward: RewardItem, now: datetime) -> bool:
    """Withdraw a reward nobody has used yet (its visit turned out a no-show)."""
    db.configure()
    try:
        reward.update(
            actions=[RewardItem.status.set("revoked"), RewardItem.changed_at.set(now)],
            condition=RewardItem.status == "available",
        )
    except UpdateError:
        return False
    return True


def adjust_stamps(business_id: str, client_id: str, delta: int, now: datetime) -> ClientItem | None:
    """Add the owner's adjustment; the client as it is after it (None if erased or gone)."""
    db.configure()
    item = ClientItem(keys.biz(business_id), keys.client_sk(client_id))
    try:
        item.update(
            actions=[ClientItem.stamp_adjust.add(delta), ClientItem.updated_at.set(now)],
            condition=ClientItem.pk.exists() & ClientItem.erased_at.does_not_exist(),
        )
    except UpdateError:
        return None
    return item
