"""Held bookings: a booking whose time is hers only once she confirms it by the link sent
to her (a new client's, Limits.hold_unconfirmed: booked with a `hold_until`) or once she
pays (a service that takes payment: pending_payment with a `hold_until`). What the hold
waits for is the appointment's `hold_for`; either way it has one sparse g4 entry,
HOLD#<hour>#<shard> by the hour the hold runs out, which the hold_expiry job Queries
(never a Scan), and which every ending of the hold removes.

Each ending is one transaction conditioned on the hold still being there, so of the
link, the pay page, the webhook and the expiry job (or two runs of it) exactly one wins:
a confirmation hold is confirmed (confirm) or freed once past (free, the cancellation of
store/bookings.py); a payment hold is booked when paid (paid), with its confirmations
parked in the outbox released to the outbox stream, or cancelled unpaid (release).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib.domain import webhooks as events
from chalicelib.domain.booking import HOLD_RAN_OUT, Appointment, Status
from chalicelib.domain.messages import Message, MessageStatus
from chalicelib.domain.payments import BookingPayment, MoneyRecord
from chalicelib.domain.waitlist import RefillCount
from chalicelib.store import bookings, clients, daysheets, db, keys, outbox, payments, rewards, waitlist, webhooks
from chalicelib.store.models import AppointmentItem, MessageItem, MoneyItem
from chalicelib.store.tx import Tx, TxFailed

UNCONFIRMED = HOLD_RAN_OUT  # the cancel_reason of a confirmation hold that ran out


class HoldGone(Exception):
    """The hold ran out, or the booking changed (cancelled, confirmed, paid) meanwhile."""


# --- both ----------------------------------------------------------------------------------------
def run_out_between(since: datetime, until: datetime) -> list[Appointment]:
    """Bookings whose hold (of either kind) runs out in [since, until] and still waits
    (the index lags the table a moment: each ending is conditioned on the item)."""
    return [a for _, found in run_out_by_hour(since, until) for a in found]


def run_out_by_hour(since: datetime, until: datetime) -> Iterator[tuple[datetime, list[Appointment]]]:
    """The same, an hour of the index at a time (oldest first), read lazily: a job that
    stops between hours knows every hour before was done."""
    lo, hi = keys.between(since, until)
    found_by_hour = db.query_by_hour(
        keys.hours_of_buckets("HOLD", since, until),
        lambda bucket: AppointmentItem.by_hold.query(bucket, AppointmentItem.g4sk.between(lo, hi)),
    )
    for hour, found in found_by_hour:
        yield hour, [bookings.to_appointment(item) for item in found]


def _commit(tx: Tx) -> None:
    try:
        tx.commit()
    except TxFailed as err:
        if "event" in err.failed:
            raise payments.EventSeen() from err
        if "appointment" in err.failed:
            raise HoldGone() from err
        if "money" in err.failed:
            raise payments.MoneyExists() from err
        if err.conflict:
            raise bookings.Contended() from err
        raise


# --- waiting for her confirmation -------------------------------------------------------------
def confirm(appt: Appointment, days: Sequence[date], now: datetime) -> None:
    """The client clicked her link: the booking holds its time like any other. Only
    while it is booked and its hold is still ahead (HoldGone otherwise); the day
    sheets' versions move, so the calendar's "changed since?" shows it."""
    tx = Tx(AppointmentItem)
    tx.update(
        AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id)),
        [
            AppointmentItem.hold_confirmed_at.set(now),
            AppointmentItem.seq.add(1),  # the feeds' SEQUENCE: calendars take TENTATIVE -> CONFIRMED
            AppointmentItem.g4pk.remove(),
            AppointmentItem.g4sk.remove(),
            AppointmentItem.updated_at.set(now),
        ],
        "appointment",
        condition=(AppointmentItem.status == Status.BOOKED.value)
        & AppointmentItem.g4pk.exists()
        & (AppointmentItem.hold_until > now),
    )
    for day in days:
        daysheets.touch(tx, appt.business_id, appt.staff_id, day)
    try:
        tx.commit()
    except TxFailed as err:
        if "appointment" in err.failed:
            raise HoldGone() from err
        raise


def free(appt: Appointment, days: Sequence[date], now: datetime, freed: Message | None = None) -> bool:
    """Cancel a booking whose confirmation hold ran out unconfirmed, freeing its time,
    with no message (she never confirmed the contact) but `freed`, its freed time's
    outbox item. False: confirmed, changed or freed meanwhile (by another run), nothing done."""
    try:
        bookings.transact_with_retry(
            lambda: bookings.cancel_booking(appt, days, now, UNCONFIRMED, [], only_if_hold_ran_out=True, freed=freed)
        )
    except bookings.StaleAppointment:
        return False
    return True


# --- waiting for her payment ------------------------------------------------------------------
def _unpaid() -> Condition:
    unpaid: Condition = AppointmentItem.status == Status.PENDING_PAYMENT.value
    return unpaid


def for_pay(
    business_id: str, appointment_id: str, message_keys: Sequence[str] = ()
) -> tuple[Appointment | None, list[Message]]:
    """The booking and its parked confirmations (by their keys): one BatchGetItem. If
    the booking's plan is still there (its sender has not got to it yet: she paid within
    a second of booking), it is expanded first, so that its parked confirmations exist to
    be released or dropped: one transaction more."""
    appt_key = (keys.biz(business_id), keys.appt_sk(appointment_id))
    msg_keys = [(keys.biz(business_id), keys.msg_sk(k)) for k in message_keys]
    # A plan written before plans rode on their appointment: an outbox item of its own.
    item_key = (keys.biz(business_id), keys.msg_sk(outbox.plan_key(appointment_id)))
    found = db.batch_get([appt_key, *msg_keys, item_key], consistent=True)
    messages = [outbox.to_message(MessageItem.from_raw_data(found[k])) for k in msg_keys if k in found]
    plan = outbox.plan_of(AppointmentItem.from_raw_data(found[appt_key])) if appt_key in found else None
    if plan is None and item_key in found:
        plan = outbox.to_message(MessageItem.from_raw_data(found[item_key]))
    if plan is not None:
        expanded = outbox.expand_plan(plan, just_read=True)
        if expanded is None:  # its sender got there first: its messages as written
            found = db.batch_get([appt_key, *msg_keys], consistent=True)
            messages = [outbox.to_message(MessageItem.from_raw_data(found[k])) for k in msg_keys if k in found]
        else:
            wanted = set(message_keys)
            messages = [m for m in expanded if m.key in wanted]
    appt = bookings.to_appointment(AppointmentItem.from_raw_data(found[appt_key])) if appt_key in found else None
    return appt, [m for m in messages if m.status == MessageStatus.PARKED.value]


def paid(
    appt: Appointment,
    payment: BookingPayment,
    money: MoneyRecord | None,
    parked: Sequence[Message],
    now: datetime,
    event: tuple[str, str] | None = None,
    refill: RefillCount | None = None,
) -> None:
    """The held booking is paid (or its card saved): booked, off the holds index, on the
    index of visits ending, with its payment recorded and its parked confirmations
    released to the outbox stream; `refill`, a waitlist offer's booking, counted on the
    waitlist's figures in the same transaction (once). HoldGone if it no longer was held;
    EventSeen for an event applied before."""
    item = bookings.to_item(appt)
    g3pk, g3sk = keys.end_keys(appt.id, appt.end)
    tx = Tx(AppointmentItem)
    tx.update(
        AppointmentItem(item.pk, item.sk),
        [
            AppointmentItem.status.set(Status.BOOKED.value),
            *payments.payment_set(payment),
            AppointmentItem.updated_at.set(now),
            AppointmentItem.g3pk.set(g3pk),
            AppointmentItem.g3sk.set(g3sk),
            AppointmentItem.g4pk.remove(),
            AppointmentItem.g4sk.remove(),
        ],
        "appointment",
        condition=_unpaid(),
    )
    if money is not None:
        tx.put(payments.money_item(money), "money", condition=MoneyItem.pk.does_not_exist())
    clients.on_change(tx, appt.business_id, appt.client_id, now)  # a deposit taken: her KPI counts
    payments.put_event(tx, event, now)
    outbox.release_parked(tx, parked, now)
    if refill is not None:
        waitlist.count_refill(appt.business_id, refill, tx)
    if money is not None:  # payment.succeeded (a card only saved sends none)
        webhooks.emit(tx, appt.business_id, [events.money_recorded(money, now)], now, appt.client_id)
    _commit(tx)


def note_intent(appt: Appointment, payment: BookingPayment, now: datetime) -> None:
    """The held booking's charge waits for the client's authentication: note its intent."""
    _held_payment(appt, payment, now, _unpaid())


def another_card(appt: Appointment, payment: BookingPayment, now: datetime) -> None:
    """The held booking's card was declined: its payment starts again with another
    SetupIntent, if it is still held and its payment still as `appt` read it (two calls
    on one decline replace it once). HoldGone otherwise."""
    _held_payment(appt, payment, now, _unpaid() & payments.payment_as_read(appt))


def _held_payment(appt: Appointment, payment: BookingPayment, now: datetime, condition: Condition) -> None:
    """The held booking's payment written on `condition`; HoldGone if it fails."""
    db.configure()
    try:
        AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id)).update(
            actions=[*payments.payment_set(payment), AppointmentItem.updated_at.set(now)],
            condition=condition,
        )
    except UpdateError as err:
        if err.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise HoldGone() from err


def release(
    appt: Appointment,
    payment: BookingPayment,
    days: Sequence[date],
    now: datetime,
    reason: str,
    event: tuple[str, str] | None = None,
    parked: Sequence[Message] = (),
    freed: Message | None = None,
) -> None:
    """The hold ends unpaid (ran out, declined): cancelled, its time freed at once (with
    `freed`, its outbox item for the waitlist), its parked confirmations never sent, in
    one transaction conditioned on it still being held unpaid."""
    item = bookings.to_item(appt)
    tx = Tx(AppointmentItem)
    tx.update(
        AppointmentItem(item.pk, item.sk),
        [
            AppointmentItem.status.set(Status.CANCELLED.value),
            AppointmentItem.cancelled_at.set(now),
            AppointmentItem.cancel_reason.set(reason),
            *payments.payment_set(payment),
            AppointmentItem.updated_at.set(now),
            AppointmentItem.seq.add(1),
            AppointmentItem.g4pk.remove(),
            AppointmentItem.g4sk.remove(),
        ],
        "appointment",
        condition=_unpaid(),
    )
    bookings.free_time(tx, appt, days)
    # Never a booking: not a cancellation of hers (her card's count), only her KPIs change.
    clients.on_change(tx, appt.business_id, appt.client_id, now)
    if appt.reward_id:
        rewards.give_back(tx, appt.business_id, appt.client_id, appt.reward_id, appt.id, now)
    outbox.drop_parked(tx, parked, reason)
    payments.put_event(tx, event, now)
    # Its booking.created went out when it was held: tell its end too.
    webhooks.emit(tx, appt.business_id, [events.booking_cancelled(appt, now, by_hold_expiry=True)], now, appt.client_id)
    outbox.put(tx, [freed] if freed else [])
    _commit(tx)
