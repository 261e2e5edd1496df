"""Bookings held while the client pays, their money and the Stripe events applied.

A held booking is an appointment in status pending_payment on its day sheets (written
by store/bookings.create_booking like any booking), with a sparse g4 entry bucketed by
the hour its hold ends: the expiry job Queries those buckets, never Scans. Paying
confirms it and letting the hold run out frees its time, each in one conditional
transaction on `pending_payment`, so of the pay page, the webhook and the expiry job
exactly one wins. A Stripe event is applied once: its id is put with a condition in
the same transaction as what it changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.messages import Message, MessageStatus, PlannedMessage
from chalicelib.domain.payments import BookingPayment, MoneyRecord
from chalicelib.domain.timeutil import iso_utc
from chalicelib.store import bookings, clients, db, keys, outbox, rewards
from chalicelib.store.models import AppointmentItem, MessageItem, MoneyItem, StripeEventItem
from chalicelib.store.tx import Tx, TxFailed

EVENT_TTL = timedelta(days=30)


class NotHeld(Exception):
    """The booking is no longer held unpaid: paid, expired or cancelled meanwhile."""


class EventSeen(Exception):
    """This Stripe event was applied before."""


class MoneyExists(Exception):
    """A charge or refund of this booking and kind was recorded before."""


def _held() -> Condition:
    held: Condition = AppointmentItem.status == Status.PENDING_PAYMENT.value
    return held


def _conditional(err: PutError | UpdateError) -> bool:
    """Did the write fail on its condition (not on a fault of the database)?"""
    return err.cause_response_code == "ConditionalCheckFailedException"


def _event(tx: Tx, event: tuple[str, str] | None, now: datetime) -> None:
    if event is None:
        return
    event_id, event_type = event
    tx.put(
        StripeEventItem(
            keys.stripe_event_pk(event_id),
            keys.STRIPE_EVENT_SK,
            event_type=event_type,
            received_at=now,
            expires_at=now + EVENT_TTL,
        ),
        "event",
        condition=StripeEventItem.pk.does_not_exist(),
    )


def _money_item(m: MoneyRecord) -> MoneyItem:
    item = MoneyItem(
        keys.biz(m.business_id),
        keys.money_sk(m.appointment_id, m.kind),
        business_id=m.business_id,
        appointment_id=m.appointment_id,
        client_id=m.client_id,
        kind=m.kind,
        amount_cents=m.amount_cents,
        state=m.state,
        intent=m.intent,
        created_at=m.created_at,
        updated_at=m.created_at,
        note=m.note,
    )
    entry = f"{keys.TIMELINE_MONEY}{iso_utc(m.created_at)}#{m.appointment_id}#{m.kind}"
    item.g2pk, item.g2sk = keys.timeline_keys(m.business_id, m.client_id, entry)
    return item


def _to_money(i: MoneyItem) -> MoneyRecord:
    return MoneyRecord(
        business_id=i.business_id,
        appointment_id=i.appointment_id,
        client_id=i.client_id,
        kind=i.kind,
        amount_cents=int(i.amount_cents),
        state=i.state,
        created_at=i.created_at,
        intent=i.intent,
        note=i.note,
    )


def _commit(tx: Tx) -> None:
    try:
        tx.commit()
    except TxFailed as err:
        if "event" in err.failed:
            raise EventSeen() from err
        if "appointment" in err.failed:
            raise NotHeld() from err
        if "money" in err.failed:
            raise MoneyExists() from err
        if err.conflict:
            raise bookings.Contended() from err
        raise


# --- reading ----------------------------------------------------------------------------------
def booking_for_pay(
    business_id: str, appointment_id: str, message_keys: Sequence[str] = ()
) -> tuple[Appointment | None, list[Message]]:
    """The booking and its parked confirmations (by their keys): one BatchGetItem."""
    appt_key = (keys.biz(business_id), keys.appt_sk(appointment_id))
    msg_keys = [(keys.biz(business_id), keys.msg_sk(k)) for k in message_keys]
    found = db.batch_get([appt_key, *msg_keys], consistent=True)
    appt = bookings.to_appointment(AppointmentItem.from_raw_data(found[appt_key])) if appt_key in found else None
    parked = [
        m
        for m in (outbox.to_message(MessageItem.from_raw_data(found[k])) for k in msg_keys if k in found)
        if m.status == MessageStatus.PARKED.value
    ]
    return appt, parked


def holds_ending(since: datetime, until: datetime) -> list[Appointment]:
    """Bookings whose unpaid hold ends in [since, until): one Query per hour and shard."""
    db.configure()
    lo, hi = keys.between(since, until)
    out = []
    for bucket in keys.hour_buckets("HOLD", since, until):
        for item in AppointmentItem.by_hold.query(bucket, AppointmentItem.g4sk.between(lo, hi)):
            if item.status == Status.PENDING_PAYMENT.value and item.hold_until and item.hold_until < until:
                out.append(bookings.to_appointment(item))
    return out


def money_of_client(business_id: str, client_id: str) -> list[MoneyRecord]:
    """Every charge, fee and refund of a client, oldest first: one Query on g2."""
    db.configure()
    found = MoneyItem.by_client.query(
        keys.client_timeline(business_id, client_id), MoneyItem.g2sk.startswith(keys.TIMELINE_MONEY)
    )
    return [_to_money(i) for i in found]


def get_money(business_id: str, appointment_id: str, kind: str) -> MoneyRecord | None:
    db.configure()
    try:
        return _to_money(
            MoneyItem.get(keys.biz(business_id), keys.money_sk(appointment_id, kind), consistent_read=True)
        )
    except MoneyItem.DoesNotExist:
        return None


# --- writing ----------------------------------------------------------------------------------
def _release_parked(tx: Tx, parked: Sequence[Message], now: datetime, lease: timedelta | None) -> list[Message]:
    """The parked confirmations, due now: leased to the caller to send at once, or left
    to the outbox's sweeper (the webhook's way: it sends nothing itself)."""
    out = []
    for m in parked:
        status = MessageStatus.SENDING.value if lease else MessageStatus.PENDING.value
        due = now + lease if lease else now
        g3pk, g3sk = keys.due_keys(m.key, due)
        tx.update(
            MessageItem(keys.biz(m.business_id), keys.msg_sk(m.key)),
            [
                MessageItem.status.set(status),
                MessageItem.due_at.set(due),
                *([MessageItem.lease_until.set(due)] if lease else []),
                MessageItem.g3pk.set(g3pk),
                MessageItem.g3sk.set(g3sk),
            ],
            "message",
            condition=MessageItem.status == MessageStatus.PARKED.value,
        )
        out.append(replace(m, status=status, due_at=due, lease_until=due if lease else None))
    return out


def confirm_paid(
    appt: Appointment,
    payment: BookingPayment,
    money: MoneyRecord | None,
    parked: Sequence[Message],
    now: datetime,
    event: tuple[str, str] | None = None,
    lease: timedelta | None = None,
) -> list[Message]:
    """The held booking is paid (or its card saved): booked, off the holds index, on the
    index of visits ending, with its payment recorded and its parked confirmations due
    (leased to the caller with `lease`). NotHeld if it no longer was held; EventSeen for
    an event applied before."""
    item = bookings.to_item(appt)
    g3pk, g3sk = keys.end_keys(appt.id, appt.end)
    tx = Tx(AppointmentItem)
    tx.update(
        AppointmentItem(item.pk, item.sk),
        [
            AppointmentItem.status.set(Status.BOOKED.value),
            AppointmentItem.payment.set(payment.to_json()),
            AppointmentItem.updated_at.set(now),
            AppointmentItem.g3pk.set(g3pk),
            AppointmentItem.g3sk.set(g3sk),
            AppointmentItem.g4pk.remove(),
            AppointmentItem.g4sk.remove(),
        ],
        "appointment",
        condition=_held(),
    )
    if money is not None:
        tx.put(_money_item(money), "money", condition=MoneyItem.pk.does_not_exist())
    _event(tx, event, now)
    sent = _release_parked(tx, parked, now, lease)
    _commit(tx)
    return sent if lease else []


def record_intent(appt: Appointment, payment: BookingPayment, now: datetime) -> None:
    """The held booking's charge waits for the client's authentication: note its intent."""
    db.configure()
    try:
        AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id)).update(
            actions=[AppointmentItem.payment.set(payment.to_json()), AppointmentItem.updated_at.set(now)],
            condition=_held(),
        )
    except UpdateError as err:
        if not _conditional(err):
            raise
        raise NotHeld() from err


def release_hold(
    appt: Appointment,
    payment: BookingPayment,
    days: Sequence[date],
    now: datetime,
    reason: str,
    event: tuple[str, str] | None = None,
    parked: Sequence[Message] = (),
) -> None:
    """The hold ends unpaid (expired, declined): cancelled, its time freed at once, in one
    transaction conditioned on it still being held."""
    item = bookings.to_item(appt)
    tx = Tx(AppointmentItem)
    tx.update(
        AppointmentItem(item.pk, item.sk),
        [
            AppointmentItem.status.set(Status.CANCELLED.value),
            AppointmentItem.cancelled_at.set(now),
            AppointmentItem.cancel_reason.set(reason),
            AppointmentItem.payment.set(payment.to_json()),
            AppointmentItem.updated_at.set(now),
            AppointmentItem.seq.add(1),
            AppointmentItem.g4pk.remove(),
            AppointmentItem.g4sk.remove(),
        ],
        "appointment",
        condition=_held(),
    )
    bookings.free_time(tx, appt, days)
    clients.on_cancellation(tx, appt.business_id, appt.client_id, now)
    if appt.reward_id:
        rewards.give_back(tx, appt.business_id, appt.client_id, appt.reward_id, appt.id, now)
    for m in parked:  # never confirmed: its confirmation is never sent
        tx.update(
            MessageItem(keys.biz(m.business_id), keys.msg_sk(m.key)),
            [MessageItem.status.set(MessageStatus.SKIPPED.value), MessageItem.last_error.set(reason)],
            "parked",
            condition=MessageItem.status == MessageStatus.PARKED.value,
        )
    _event(tx, event, now)
    _commit(tx)


def record_money(
    money: MoneyRecord,
    now: datetime,
    payment: tuple[Appointment, BookingPayment] | None = None,
    event: tuple[str, str] | None = None,
    messages: Sequence[PlannedMessage] = (),
    lease: timedelta | None = None,
) -> list[Message]:
    """A charge, fee or refund, once per booking and kind (MoneyExists otherwise); with the
    booking's payment as it now stands and what the client is told (leased to the caller)."""
    tx = Tx(MoneyItem)
    tx.put(_money_item(money), "money", condition=MoneyItem.pk.does_not_exist())
    if payment is not None:
        appt, pay = payment
        tx.update(
            AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id)),
            [AppointmentItem.payment.set(pay.to_json()), AppointmentItem.updated_at.set(now)],
            "booking",
            condition=AppointmentItem.pk.exists(),
        )
    _event(tx, event, now)
    sent = outbox.queue(tx, messages, now, lease)
    _commit(tx)
    return sent


def set_payment(appt: Appointment, payment: BookingPayment, now: datetime) -> None:
    db.configure()
    AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id)).update(
        actions=[AppointmentItem.payment.set(payment.to_json()), AppointmentItem.updated_at.set(now)],
        condition=AppointmentItem.pk.exists(),
    )


def settle_money(money: MoneyRecord, state: str, now: datetime, note: str | None = None) -> bool:
    """An open fee is paid or waived: only from `open` (False if it was not open)."""
    db.configure()
    actions: list[Action] = [MoneyItem.state.set(state), MoneyItem.updated_at.set(now)]
    if note:
        actions.append(MoneyItem.note.set(note))
    try:
        MoneyItem(keys.biz(money.business_id), keys.money_sk(money.appointment_id, money.kind)).update(
            actions=actions, condition=MoneyItem.state == "open"
        )
    except UpdateError as err:
        if not _conditional(err):
            raise
        return False
    return True


def claim_event(event_id: str, event_type: str, now: datetime) -> bool:
    """Note an event that changes nothing here: False if it was seen before."""
    db.configure()
    try:
        StripeEventItem(
            keys.stripe_event_pk(event_id),
            keys.STRIPE_EVENT_SK,
            event_type=event_type,
            received_at=now,
            expires_at=now + EVENT_TTL,
        ).save(condition=StripeEventItem.pk.does_not_exist())
    except PutError as err:
        if not _conditional(err):
            raise
        return False
    return True
