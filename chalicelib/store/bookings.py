"""Appointments, slot locks, clients-on-booking and idempotency: the booking transactions.

Exclusivity is enforced by DynamoDB itself: every 5-minute granule a booking
occupies is a lock item put with attribute_not_exists(pk) in the same
TransactWriteItems as the appointment, so of two overlapping bookings exactly one
commits, however the requests race.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import TypeVar

from pynamodb.expressions.condition import Condition

from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.clients import BookedClient
from chalicelib.domain.loyalty import Reward
from chalicelib.domain.messages import Message, PlannedMessage
from chalicelib.domain.timeutil import iso_utc
from chalicelib.errors import SlotTaken
from chalicelib.store import clients, db, keys, outbox, rewards
from chalicelib.store.models import AppointmentItem, IdempotencyItem, SlotLockItem
from chalicelib.store.tx import Tx, TxFailed

T = TypeVar("T")
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
def to_item(a: Appointment) -> AppointmentItem:
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
    )
    item.g1pk, item.g1sk = keys.calendar_keys(a.business_id, a.id, a.start)
    entry = f"{keys.TIMELINE_APPOINTMENTS}{iso_utc(a.start)}#{a.id}"
    item.g2pk, item.g2sk = keys.timeline_keys(a.business_id, a.client_id, entry)
    if a.is_active:
        item.g3pk, item.g3sk = keys.end_keys(a.id, a.end)
    return item


def to_appointment(i: AppointmentItem) -> Appointment:
    discount: float | None = i.discount_cents
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
        discount_cents=int(discount or 0),
        reminded=bool(i.reminded),
        feedback_requested=bool(i.feedback_requested),
    )


def get_appointment(business_id: str, appointment_id: str) -> Appointment | None:
    db.configure()
    try:
        return to_appointment(
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
    return [to_appointment(i) for i in items if i.g1sk < hi]


def _lock(a: Appointment, granule: datetime) -> SlotLockItem:
    return SlotLockItem(
        keys.lock_pk(a.business_id, a.staff_id, granule),
        keys.LOCK_SK,
        appointment_id=a.id,
        expires_at=granule + LOCK_RETENTION,
    )


def create_booking(
    appt: Appointment,
    client: BookedClient,
    messages: Sequence[PlannedMessage],
    idempotency: tuple[str, str] | None,
    now: datetime,
    lease: timedelta | None = None,
    later: Sequence[PlannedMessage] = (),
    welcome: Reward | None = None,
    today: date | None = None,
) -> list[Message]:
    """Write the booking, its locks, the client and its confirmations in one transaction,
    with the reward it redeems (`appt.reward_id`, valid on the local day `today`) or
    the welcome perk of a referred new client. The confirmations, leased to the caller."""
    tx = Tx(AppointmentItem)
    if welcome is not None:
        rewards.welcome(tx, welcome)
    elif appt.reward_id:
        rewards.redeem(tx, appt.business_id, appt.client_id, appt.reward_id, appt.id, today or now.date(), now)
    tx.put(to_item(appt), "appointment", condition=AppointmentItem.pk.does_not_exist())
    for g in appt.occupancy_granules():
        tx.put(_lock(appt, g), "lock", condition=SlotLockItem.pk.does_not_exist())
    if idempotency:
        key, body_hash = idempotency
        tx.put(
            IdempotencyItem(
                keys.idem_pk(appt.business_id, key),
                keys.IDEM_SK,
                body_hash=body_hash,
                appointment_id=appt.id,
                expires_at=now + IDEMPOTENCY_TTL,
            ),
            "idempotency",
            condition=IdempotencyItem.pk.does_not_exist(),
        )
    clients.on_booking(tx, client, now)
    sent = outbox.queue(tx, messages, now, lease)
    outbox.queue(tx, later, now)  # reminders: pending until due
    try:
        tx.commit()
    except TxFailed as err:
        if "idempotency" in err.failed and idempotency:
            stored = IdempotencyItem.get(
                keys.idem_pk(appt.business_id, idempotency[0]), keys.IDEM_SK, consistent_read=True
            )
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
    return sent


def transact_with_retry(fn: Callable[[], T], attempts: int = 4) -> T:
    """Run a transaction, retrying DynamoDB's TransactionConflict with a short backoff."""
    for attempt in range(attempts):
        try:
            return fn()
        except Contended:
            if attempt == attempts - 1:
                raise
            time.sleep(0.02 * (2**attempt))
    raise AssertionError("unreachable")  # the last attempt returns or raises


def _unchanged(appt: Appointment) -> Condition:
    """Condition: the appointment is still booked and unchanged since it was read."""
    unchanged: Condition = (AppointmentItem.status == Status.BOOKED.value) & (AppointmentItem.seq == appt.seq)
    return unchanged


def _lock_is_ours(appt: Appointment) -> Condition:
    ours: Condition = SlotLockItem.pk.does_not_exist() | (SlotLockItem.appointment_id == appt.id)
    return ours


def _key(appt: Appointment) -> AppointmentItem:
    return AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id))


def cancel_booking(
    appt: Appointment,
    now: datetime,
    reason: str | None,
    messages: Sequence[PlannedMessage],
    lease: timedelta | None = None,
) -> list[Message]:
    """Cancel and free the time, atomically, with the cancellation messages."""
    tx = Tx(AppointmentItem)
    actions = [
        AppointmentItem.status.set(Status.CANCELLED.value),
        AppointmentItem.cancelled_at.set(now),
        AppointmentItem.updated_at.set(now),
        AppointmentItem.seq.add(1),
        AppointmentItem.g3pk.remove(),
        AppointmentItem.g3sk.remove(),
    ]
    if reason:
        actions.append(AppointmentItem.cancel_reason.set(reason))
    tx.update(_key(appt), actions, "appointment", condition=_unchanged(appt))
    for g in appt.occupancy_granules():
        tx.delete(_lock(appt, g), "lock", condition=_lock_is_ours(appt))
    clients.on_cancellation(tx, appt.business_id, appt.client_id, now)
    if appt.reward_id:  # the reward goes back on her card
        rewards.give_back(tx, appt.business_id, appt.client_id, appt.reward_id, appt.id, now)
    sent = outbox.queue(tx, messages, now, lease)
    _commit_change(tx)
    return sent


def reschedule_booking(
    appt: Appointment,
    moved: Appointment,
    now: datetime,
    messages: Sequence[PlannedMessage],
    lease: timedelta | None = None,
    later: Sequence[PlannedMessage] = (),
) -> list[Message]:
    """Move a booking: take the new time and free the old one in one transaction.

    If any granule of the new time is held by another booking, nothing changes and
    the old time stays held.
    """
    old, new = set(appt.occupancy_granules()), set(moved.occupancy_granules())
    moved_item = to_item(moved)
    tx = Tx(AppointmentItem)
    tx.update(
        _key(appt),
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
        condition=_unchanged(appt),
    )
    for g in sorted(new):
        tx.put(_lock(moved, g), "lock", condition=_lock_is_ours(appt))
    for g in sorted(old - new):
        tx.delete(_lock(appt, g), "old-lock", condition=_lock_is_ours(appt))
    clients.on_change(tx, appt.business_id, appt.client_id, now)
    sent = outbox.queue(tx, messages, now, lease)
    outbox.queue(tx, later, now)
    _commit_change(tx)
    return sent


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
    db.configure()
    found = AppointmentItem.by_client.query(
        keys.client_timeline(business_id, client_id), AppointmentItem.g2sk.startswith(keys.TIMELINE_APPOINTMENTS)
    )
    return [to_appointment(i) for i in found]


def set_reminders_off(appt: Appointment, off: bool, now: datetime) -> None:
    db.configure()
    _key(appt).update(
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
        clients.on_change(tx, business_id, client_id, now)
    try:
        tx.commit()
    except TxFailed:
        pass  # the visit or the client is gone: nothing left to count
