"""Appointments, slot locks, clients-on-booking and idempotency: the booking transactions.

Exclusivity is enforced by DynamoDB itself: every 5-minute granule a booking
occupies is a lock item put with attribute_not_exists(pk) in the same
TransactWriteItems as the appointment, so of two overlapping bookings exactly one
commits, however the requests race.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from chalicelib.domain.booking import Appointment
from chalicelib.domain.messages import PlannedMessage
from chalicelib.domain.timeutil import iso_utc
from chalicelib.errors import SlotTaken
from chalicelib.store import clients, db, keys, kpis
from chalicelib.store.models import (
    AppointmentItem,
    ClientItem,
    IdempotencyItem,
    MessageItem,
    RewardItem,
    SlotLockItem,
)
from chalicelib.store.tx import Tx, TxFailed

LOCK_RETENTION = timedelta(days=7)  # lock items expire (TTL) a week after their time
IDEMPOTENCY_TTL = timedelta(hours=24)


class IdempotentReplay(Exception):
    """The Idempotency-Key was used before; carries what the first request did."""

    def __init__(self, appointment_id: str, body_hash: str):
        super().__init__(appointment_id)
        self.appointment_id = appointment_id
        self.body_hash = body_hash


class Contended(Exception):
    """DynamoDB reported a transaction conflict; the caller may retry."""


class RewardGone(Exception):
    """The reward to redeem was used, withdrawn or expired meanwhile."""


class StaleAppointment(Exception):
    """The appointment changed since it was read (cancelled or moved concurrently)."""


# --- appointments ------------------------------------------------------------------
def _to_item(a: Appointment) -> AppointmentItem:
    item = AppointmentItem(
        keys.biz(a.business_id),
        keys.appt_sk(a.id),
        business_id=a.business_id,
        appointment_id=a.id,
        client_id=a.client_id,
        service_id=a.service_id,
        staff_id=a.staff_id,
        start=a.start,
        end=a.end,
        occupied_until=a.occupied_until,
        status=a.status,
        price_cents=a.price_cents,
        locale=a.locale,
        note=a.note,
        source=a.source,
        created_at=a.created_at,
        updated_at=a.updated_at,
        seq=a.seq,
        reschedules=a.reschedules,
        reminders_off=a.reminders_off,
        reward_id=a.reward_id,
        discount_cents=a.discount_cents or None,
        reminded=a.reminded or None,
        feedback_requested=a.feedback_requested or None,
        g1pk=keys.business_calendar(a.business_id),
        g1sk=f"{iso_utc(a.start)}#{a.id}",
        g2pk=keys.client_timeline(a.business_id, a.client_id),
        g2sk=f"APPT#{iso_utc(a.start)}#{a.id}",
    )
    if a.is_active:
        item.g3pk, item.g3sk = keys.end_keys(a.id, a.end)
    return item


def _from_item(i: AppointmentItem) -> Appointment:
    return Appointment(
        id=i.appointment_id,
        business_id=i.business_id,
        client_id=i.client_id,
        service_id=i.service_id,
        staff_id=i.staff_id,
        start=i.start,
        end=i.end,
        occupied_until=i.occupied_until,
        status=i.status,
        price_cents=int(i.price_cents),
        locale=i.locale,
        created_at=i.created_at,
        updated_at=i.updated_at,
        note=i.note,
        source=i.source,
        seq=int(i.seq or 0),
        reschedules=int(i.reschedules or 0),
        cancelled_at=i.cancelled_at,
        cancel_reason=i.cancel_reason,
        reminders_off=bool(i.reminders_off),
        reward_id=i.reward_id,
        discount_cents=int(i.discount_cents or 0),
        reminded=bool(i.reminded),
        feedback_requested=bool(i.feedback_requested),
    )


def get_appointment(business_id: str, appointment_id: str) -> Appointment | None:
    db.configure()
    try:
        return _from_item(
            AppointmentItem.get(keys.biz(business_id), keys.appt_sk(appointment_id), consistent_read=True)
        )
    except AppointmentItem.DoesNotExist:
        return None


def list_appointments(business_id: str, start_from: datetime, start_to: datetime) -> list[Appointment]:
    """Appointments of a business starting in [start_from, start_to): one Query on g1."""
    db.configure()
    lo, hi = iso_utc(start_from), iso_utc(start_to)
    items = AppointmentItem.by_business_time.query(
        keys.business_calendar(business_id), AppointmentItem.g1sk.between(lo, hi + "~")
    )
    return [_from_item(i) for i in items if i.g1sk < hi]


def _lock(a: Appointment, granule: datetime) -> SlotLockItem:
    return SlotLockItem(
        keys.lock_pk(a.business_id, a.staff_id, granule),
        "LOCK",
        appointment_id=a.id,
        expires_at=granule + LOCK_RETENTION,
    )


def message_item(m: PlannedMessage, now: datetime, *, claimed_for: timedelta | None = None) -> MessageItem:
    """The outbox item of a planned message; `claimed_for` leases it to the caller."""
    due = now + claimed_for if claimed_for else m.due_at
    g3pk, g3sk = keys.due_keys(m.key, due)
    return MessageItem(
        keys.biz(m.business_id),
        keys.msg_sk(m.key),
        business_id=m.business_id,
        key=m.key,
        kind=m.kind,
        channel=m.channel,
        recipient=m.recipient,
        appointment_id=m.appointment_id,
        appointment_seq=m.appointment_seq,
        client_id=m.client_id,
        locale=m.locale,
        context=m.context,
        status="sending" if claimed_for else "pending",
        attempts=0,
        due_at=due,
        lease_until=due if claimed_for else None,
        created_at=now,
        g3pk=g3pk,
        g3sk=g3sk,
        g2pk=keys.client_timeline(m.business_id, m.client_id) if m.client_id else None,
        g2sk=f"MSG#{iso_utc(now)}#{m.key}" if m.client_id else None,
    )


def _put_messages(tx: Tx, messages: list[PlannedMessage], now: datetime, lease: timedelta | None) -> list[MessageItem]:
    items = [message_item(m, now, claimed_for=lease) for m in messages]
    for item in items:
        tx.put(item, "message", condition=MessageItem.pk.does_not_exist())
    return items


def create_booking(
    appt: Appointment,
    client: clients.ClientWrite,
    messages: list[PlannedMessage],
    idempotency: tuple[str, str] | None,
    now: datetime,
    lease: timedelta | None = None,
    later: list[PlannedMessage] = (),
    welcome: RewardItem | None = None,
    redeem_until: str | None = None,
) -> list[MessageItem]:
    """Write the booking, its locks, the client and its confirmations in one transaction,
    with the reward it redeems (`appt.reward_id`, valid on the local day `redeem_until`)
    or the welcome perk of a referred new client."""
    tx = Tx(AppointmentItem)
    if welcome is not None:
        tx.put(welcome, "reward", condition=RewardItem.pk.does_not_exist())
    elif appt.reward_id:
        tx.update(
            RewardItem(keys.biz(appt.business_id), keys.reward_sk(appt.client_id, appt.reward_id)),
            [RewardItem.status.set("redeemed"), RewardItem.appointment_id.set(appt.id), RewardItem.changed_at.set(now)],
            "reward",
            condition=(RewardItem.status == "available")
            & (RewardItem.expires_on.does_not_exist() | (RewardItem.expires_on >= redeem_until)),
        )
    tx.put(_to_item(appt), "appointment", condition=AppointmentItem.pk.does_not_exist())
    for g in appt.occupancy_granules():
        tx.put(_lock(appt, g), "lock", condition=SlotLockItem.pk.does_not_exist())
    if idempotency:
        key, body_hash = idempotency
        tx.put(
            IdempotencyItem(
                keys.idem_pk(appt.business_id, key),
                "IDEM",
                body_hash=body_hash,
                appointment_id=appt.id,
                expires_at=now + IDEMPOTENCY_TTL,
            ),
            "idempotency",
            condition=IdempotencyItem.pk.does_not_exist(),
        )
    clients.write_ops(tx, client, now)
    items = _put_messages(tx, messages, now, lease)
    _put_messages(tx, list(later), now, None)  # reminders: pending until due
    try:
        tx.commit()
    except TxFailed as err:
        if "idempotency" in err.failed and idempotency:
            stored = IdempotencyItem.get(keys.idem_pk(appt.business_id, idempotency[0]), "IDEM", consistent_read=True)
            raise IdempotentReplay(stored.appointment_id, stored.body_hash) from err
        if "lock" in err.failed:
            raise SlotTaken("That time was just taken. Please choose another time.") from err
        if "client" in err.failed:
            raise clients.ClientRace() from err
        if "reward" in err.failed:
            raise RewardGone() from err
        if err.conflict:
            raise Contended() from err
        raise
    return items


def transact_with_retry(fn, attempts: int = 4):
    """Run a transaction, retrying DynamoDB's TransactionConflict with a short backoff."""
    for attempt in range(attempts):
        try:
            return fn()
        except Contended:
            if attempt == attempts - 1:
                raise
            time.sleep(0.02 * (2**attempt))
    raise AssertionError("unreachable")  # the last attempt returns or raises


def _appointment_changed(appt: Appointment):
    """Condition: the appointment is still booked and unchanged since it was read."""
    return (AppointmentItem.status == "booked") & (AppointmentItem.seq == appt.seq)


def cancel_booking(
    appt: Appointment, now: datetime, reason: str | None, messages: list[PlannedMessage], lease: timedelta | None = None
) -> list[MessageItem]:
    """Cancel and free the time, atomically, with the cancellation messages."""
    tx = Tx(AppointmentItem)
    actions = [
        AppointmentItem.status.set("cancelled"),
        AppointmentItem.cancelled_at.set(now),
        AppointmentItem.updated_at.set(now),
        AppointmentItem.seq.add(1),
        AppointmentItem.g3pk.remove(),
        AppointmentItem.g3sk.remove(),
    ]
    if reason:
        actions.append(AppointmentItem.cancel_reason.set(reason))
    tx.update(
        AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id)),
        actions,
        "appointment",
        condition=_appointment_changed(appt),
    )
    for g in appt.occupancy_granules():
        tx.delete(
            _lock(appt, g),
            "lock",
            condition=SlotLockItem.pk.does_not_exist() | (SlotLockItem.appointment_id == appt.id),
        )
    tx.update(
        ClientItem(keys.biz(appt.business_id), keys.client_sk(appt.client_id)),
        [ClientItem.cancellations.add(1)] + kpis.changed_actions(appt.business_id, appt.client_id, now),
        "client",
        condition=ClientItem.pk.exists(),
    )
    if appt.reward_id:  # the reward goes back on her card
        tx.update(
            RewardItem(keys.biz(appt.business_id), keys.reward_sk(appt.client_id, appt.reward_id)),
            [RewardItem.status.set("available"), RewardItem.appointment_id.remove(), RewardItem.changed_at.set(now)],
            "reward-release",
            condition=RewardItem.appointment_id == appt.id,
        )
    items = _put_messages(tx, messages, now, lease)
    _commit_change(tx)
    return items


def reschedule_booking(
    appt: Appointment,
    moved: Appointment,
    now: datetime,
    messages: list[PlannedMessage],
    lease: timedelta | None = None,
    later: list[PlannedMessage] = (),
) -> list[MessageItem]:
    """Move a booking: take the new time and free the old one in one transaction.

    If any granule of the new time is held by another booking, nothing changes and
    the old time stays held.
    """
    old, new = set(appt.occupancy_granules()), set(moved.occupancy_granules())
    moved_item = _to_item(moved)
    tx = Tx(AppointmentItem)
    tx.update(
        AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id)),
        [
            AppointmentItem.start.set(moved.start),
            AppointmentItem.end.set(moved.end),
            AppointmentItem.occupied_until.set(moved.occupied_until),
            AppointmentItem.updated_at.set(now),
            AppointmentItem.seq.add(1),
            AppointmentItem.reschedules.add(1),
            AppointmentItem.g1sk.set(moved_item.g1sk),
            AppointmentItem.g2sk.set(moved_item.g2sk),
            AppointmentItem.g3pk.set(moved_item.g3pk),
            AppointmentItem.g3sk.set(moved_item.g3sk),
        ],
        "appointment",
        condition=_appointment_changed(appt),
    )
    for g in sorted(new):
        tx.put(
            _lock(moved, g),
            "lock",
            condition=SlotLockItem.pk.does_not_exist() | (SlotLockItem.appointment_id == appt.id),
        )
    for g in sorted(old - new):
        tx.delete(
            _lock(appt, g),
            "old-lock",
            condition=SlotLockItem.pk.does_not_exist() | (SlotLockItem.appointment_id == appt.id),
        )
    tx.update(
        ClientItem(keys.biz(appt.business_id), keys.client_sk(appt.client_id)),
        kpis.changed_actions(appt.business_id, appt.client_id, now),
        "client",
        condition=ClientItem.pk.exists(),
    )
    items = _put_messages(tx, messages, now, lease)
    _put_messages(tx, list(later), now, None)
    _commit_change(tx)
    return items


def _commit_change(tx: Tx) -> None:
    try:
        tx.commit()
    except TxFailed as err:
        if err.failed & {"appointment", "client", "old-lock", "reward-release"}:
            raise StaleAppointment() from err
        if "lock" in err.failed:
            raise SlotTaken("That time was just taken. Please choose another time.") from err
        if "message" in err.failed:
            raise StaleAppointment() from err
        if err.conflict:
            raise Contended() from err
        raise


def client_history(business_id: str, client_id: str) -> list[Appointment]:
    """A client's appointments, oldest first: one Query on g2."""
    from chalicelib.store.client_data import appointments

    return [_from_item(i) for i in appointments(business_id, client_id)]


def set_reminders_off(appt: Appointment, off: bool, now: datetime) -> None:
    db.configure()
    AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id)).update(
        actions=[AppointmentItem.reminders_off.set(off), AppointmentItem.updated_at.set(now)],
        condition=AppointmentItem.pk.exists(),
    )


def record_sent(business_id: str, appointment_id: str, client_id: str | None, kind: str, now: datetime) -> None:
    """A reminder or feedback request of the visit went out: flag the visit (the KPIs
    compare reminded with unreminded visits, and count the requests feedback answers).
    A feedback request follows the visit's outcome, so it also marks the client."""
    db.configure()
    flag = AppointmentItem.reminded if kind == "reminder" else AppointmentItem.feedback_requested
    tx = Tx(AppointmentItem)
    tx.update(
        AppointmentItem(keys.biz(business_id), keys.appt_sk(appointment_id)),
        [flag.set(True)],
        "appointment",
        condition=AppointmentItem.pk.exists(),
    )
    if kind == "feedback_request" and client_id:
        tx.update(
            ClientItem(keys.biz(business_id), keys.client_sk(client_id)),
            kpis.changed_actions(business_id, client_id, now),
            "client",
            condition=ClientItem.pk.exists(),
        )
    try:
        tx.commit()
    except TxFailed:
        pass  # the visit or the client is gone: nothing left to count
