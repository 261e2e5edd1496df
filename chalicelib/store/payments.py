"""A booking's money (charges, fees, refunds) and the Stripe events applied.

A charge, fee or refund is written once per booking and kind (a conditional put). A
Stripe event is applied once: its id is put with a condition in the same transaction as
what it changes. A refund a cancellation owes is an outbox item written with the
cancellation (store/bookings.py cancel_booking); what came of making it is written here,
by whoever holds that item. (The hold of a booking that pays, and its ending:
store/holds.py.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.domain import webhooks as events
from chalicelib.domain.booking import Appointment
from chalicelib.domain.messages import Message, MessageStatus, PlannedMessage
from chalicelib.domain.payments import BookingPayment, CheckedOut, MoneyRecord, ProductLine
from chalicelib.domain.timeutil import iso_utc
from chalicelib.store import bookings, clients, daysheets, db, keys, outbox, webhooks
from chalicelib.store.models import AppointmentItem, MessageItem, MoneyItem, RefundDueItem, StripeEventItem
from chalicelib.store.tx import Tx, TxFailed

T = TypeVar("T")

EVENT_TTL = timedelta(days=30)
REFUND_FAILED = "failed"  # a refund record's state once Stripe failed it (its webhook event)
OWED_REFUND_KEPT = timedelta(days=30)  # the outbox item of an owed refund, once made
REFUNDS_DUE_READ = 200  # the owner's refunds to make, read at once


class EventSeen(Exception):
    """This Stripe event was applied before."""


class MoneyExists(Exception):
    """A charge or refund of this booking and kind was recorded before."""


def _conditional(err: PutError | UpdateError) -> bool:
    """Did the write fail on its condition (not on a fault of the database)?"""
    return err.cause_response_code == "ConditionalCheckFailedException"


def put_event(tx: Tx, event: tuple[str, str] | None, now: datetime) -> None:
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


def money_item(m: MoneyRecord) -> MoneyItem:
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
        method=m.method,
        total_cents=m.total_cents,
        lines=[line.to_json() for line in m.lines] or None,
        discount_cents=m.discount_cents or None,
        discount_percent=m.discount_percent,
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
        method=i.method,
        total_cents=int(i.total_cents) if i.total_cents is not None else None,
        lines=ProductLine.all_from_json(i.lines),
        discount_cents=int(i.discount_cents or 0),
        discount_percent=int(i.discount_percent) if i.discount_percent is not None else None,
    )


def commit(tx: Tx, done_if: frozenset[str] = frozenset()) -> bool:
    """Commit a transaction of the booking's money. False when a condition of `done_if`
    failed (the change was made before: a replay); else EventSeen, MoneyExists,
    PaymentChanged (the payment was written since it was read) or Contended."""
    try:
        tx.commit()
    except TxFailed as err:
        if err.failed & done_if:
            return False
        if "event" in err.failed:
            raise EventSeen() from err
        if "money" in err.failed:
            raise MoneyExists() from err
        if "booking" in err.failed:
            raise PaymentChanged() from err
        if err.conflict:
            raise bookings.Contended() from err
        raise
    return True


# --- reading ----------------------------------------------------------------------------------
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


def refunds_of(business_id: str, appointment_id: str) -> list[MoneyRecord]:
    """The booking's refund records, made or failed (one Query: a booking has a few at most)."""
    db.configure()
    found = MoneyItem.query(
        keys.biz(business_id),
        MoneyItem.sk.startswith(keys.money_sk(appointment_id, "refund-")),
        consistent_read=True,
    )
    return [_to_money(i) for i in found]


def refund_of(business_id: str, appointment_id: str, stripe_id: str) -> MoneyRecord | None:
    """The booking's refund that Stripe knows as `stripe_id`, or None: not one of ours."""
    return next((m for m in refunds_of(business_id, appointment_id) if m.intent == stripe_id), None)


# --- writing ----------------------------------------------------------------------------------
def record_money(
    money: MoneyRecord,
    now: datetime,
    payment: tuple[Appointment, BookingPayment] | None = None,
    event: tuple[str, str] | None = None,
    messages: Sequence[PlannedMessage] = (),
    lease: timedelta | None = None,
    *,
    as_read: bool = False,
    owed: Message | None = None,
) -> list[Message]:
    """A charge, fee or refund, once per booking and kind (MoneyExists otherwise); with the
    booking's payment as it now stands and what the client is told (leased to the caller).
    `as_read`: only while the visit's status is still the one `payment`'s appointment was
    read with (PaymentChanged otherwise: a no-show fee's record is not written on a visit
    undone meanwhile as if it stood). `owed`: the outbox item of a refund the record owes
    at once, or that cancels at Stripe an open fee's PaymentIntent let go (held by the
    caller: services/payments/fees.py make_owed)."""
    tx = Tx(MoneyItem)
    tx.put(money_item(money), "money", condition=MoneyItem.pk.does_not_exist())
    if payment is not None:
        appt, pay = payment
        _payment_update(tx, appt, pay, now, same_status=as_read)
        clients.on_change(tx, appt.business_id, appt.client_id, now)  # her KPI money counts
    put_event(tx, event, now)
    if owed is not None:
        outbox.put(tx, [owed], role="refund")
    sent = outbox.queue(tx, messages, now, lease)
    # payment.succeeded / payment.refunded / fee.charged, in the same transaction
    webhooks.emit(tx, money.business_id, [events.money_recorded(money, now)], now, money.client_id)
    commit(tx)
    return sent


# --- the booking's payment: written from a read, never over another writer's change ----------
# The payment is one JSON attribute of the appointment, so a write sets all of it: two
# writers from the same read (the owner's refund and her cancellation owing one, a
# refund failing at Stripe) would each drop the other's change. Every write of it bumps
# `payment_rev`, and a write from a read is conditioned on the revision read: the
# second writer gets PaymentChanged, reads again and writes once more (fresh_payment).
class PaymentChanged(Exception):
    """The booking's payment was written by someone else since it was read."""


def payment_set(pay: BookingPayment) -> list[Action]:
    """The actions of any write of a booking's payment: it, and its revision bumped."""
    return [AppointmentItem.payment.set(pay.to_json()), AppointmentItem.payment_rev.add(1)]


def payment_as_read(appt: Appointment) -> Condition:
    """Condition: the booking's payment is still the revision `appt` was read at."""
    if appt.payment_rev:
        same: Condition = AppointmentItem.payment_rev == appt.payment_rev
        return same
    return AppointmentItem.payment_rev.does_not_exist()


def fresh_payment(appt: Appointment, write: Callable[[Appointment], T], attempts: int = 2) -> T:
    """`write(appt)`, which writes the booking's payment as `appt` read it; if another
    writer changed it meanwhile (PaymentChanged), read the booking again and write once
    more from that read — up to `attempts` writes in all. The last PaymentChanged is the
    caller's (a busy booking)."""
    for _ in range(attempts - 1):
        try:
            return write(appt)
        except PaymentChanged:
            fresh = bookings.get_appointment(appt.business_id, appt.id)
            if fresh is None:
                raise
            appt = fresh
    return write(appt)


def _payment_update(
    tx: Tx, appt: Appointment, pay: BookingPayment, now: datetime, *, same_status: bool = False
) -> None:
    """The booking's payment as it now stands, from `appt`'s read of it (PaymentChanged
    from commit when someone wrote it since; `same_status`: or marked since)."""
    condition = AppointmentItem.pk.exists() & payment_as_read(appt)
    if same_status:
        condition &= AppointmentItem.status == appt.status
    tx.update(
        AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id)),
        [*payment_set(pay), AppointmentItem.updated_at.set(now)],
        "booking",
        condition=condition,
    )
    keep_refund_due(tx, appt, pay, now)


def _still_held(m: Message) -> Condition:
    """The caller still holds this outbox item (its lease as claimed or written)."""
    held: Condition = (MessageItem.status == MessageStatus.SENDING.value) & (MessageItem.lease_until == m.lease_until)
    return held


def owed_refund_made(
    money: MoneyRecord | None,
    appt: Appointment,
    payment: BookingPayment,
    held: Message,
    now: datetime,
    messages: Sequence[PlannedMessage] = (),
    lease: timedelta | None = None,
) -> list[Message] | None:
    """The refund a cancellation (or a no-show undone) owed, made: its record (once per
    booking and kind; None: Stripe had nothing left to give back, another refund took it
    all), the booking's payment as it now stands (refunded, no longer owed),
    the outbox item that owed it done and what the client is told of it (a fee given
    back: leased to the caller), in one transaction conditioned on the caller still
    holding that item. The messages written; None: another caller holds the item now, or
    recorded the refund first (then nothing is written, her message neither)."""
    tx = Tx(MoneyItem)
    if money is not None:
        tx.put(money_item(money), "money", condition=MoneyItem.pk.does_not_exist())
    _payment_update(tx, appt, payment, now)
    clients.on_change(tx, appt.business_id, appt.client_id, now)  # her KPI money counts
    _owed_item_done(tx, held, money.intent if money is not None else None, now)
    sent = outbox.queue(tx, messages, now, lease)
    if money is not None:
        webhooks.emit(tx, money.business_id, [events.money_recorded(money, now)], now, money.client_id)
    return sent if commit(tx, done_if=frozenset({"held", "money"})) else None


def owed_refund_found(money: MoneyRecord, held: Message, now: datetime) -> bool:
    """The refund an outbox item owes, found recorded already (`money`, its record: the
    same ref, so the same Stripe key and refund, recorded by whoever wrote it first, who
    settled what was owed): the item done, nothing else written, conditioned on the
    caller still holding it. False: another caller holds it now."""
    tx = Tx(MessageItem)
    _owed_item_done(tx, held, money.intent, now)
    return commit(tx, done_if=frozenset({"held"}))


def without_reason(context: dict[str, Any]) -> dict[str, Any]:
    """An owed refund's item context without its `reason` (the owner's words)."""
    return {k: v for k, v in context.items() if k != "reason"}


def _owed_item_done(tx: Tx, held: Message, refund_id: str | None, now: datetime) -> None:
    """The outbox item of an owed refund, made (`refund_id`: Stripe's): sent, out of the
    due index, kept a while — without its reason (the owner's words, for its record's
    note: they stay only there, which erasing her removes)."""
    tx.update(
        MessageItem(keys.biz(held.business_id), keys.msg_sk(held.key)),
        [
            MessageItem.context.set(without_reason(held.context)),
            MessageItem.status.set(MessageStatus.SENT.value),
            MessageItem.sent_at.set(now),
            MessageItem.attempts.add(1),
            MessageItem.provider_id.set(refund_id or ""),
            MessageItem.lease_until.remove(),
            MessageItem.last_error.remove(),
            MessageItem.g3pk.remove(),
            MessageItem.g3sk.remove(),
            MessageItem.expires_at.set(now + OWED_REFUND_KEPT),
        ],
        "held",
        condition=_still_held(held),
    )


def refund_failed(
    money: MoneyRecord,
    appt: Appointment,
    payment: BookingPayment,
    failed: Message,
    event: tuple[str, str],
    now: datetime,
) -> bool:
    """A refund Stripe took and failed later (its webhook event): its record `failed`
    (only from `succeeded`), the booking's payment as it now stands (the amount no longer
    refunded but failed: PaymentChanged if written since `appt` read it), `failed` — its
    outbox item failed for good, on the owner's list of failures —, the Stripe event and
    the payment.refund_failed webhook event, in one transaction. False: the event was
    applied before, or the refund had failed already."""
    tx = Tx(MoneyItem)
    tx.update(
        MoneyItem(keys.biz(money.business_id), keys.money_sk(money.appointment_id, money.kind)),
        [MoneyItem.state.set(REFUND_FAILED), MoneyItem.updated_at.set(now)],
        "money",
        condition=MoneyItem.state == "succeeded",
    )
    _payment_update(tx, appt, payment, now)
    clients.on_change(tx, appt.business_id, appt.client_id, now)  # her KPI money counts
    tx.put(outbox.to_item(failed, failed_at=now), "failed")  # over the item that owed it, if one did
    put_event(tx, event, now)
    webhooks.emit(tx, money.business_id, [events.refund_failed(money, now)], now, money.client_id)
    return commit(tx, done_if=frozenset({"event", "money"}))


def record_checkout(
    money: MoneyRecord,
    appt: Appointment,
    now: datetime,
    days: Sequence[date] = (),
    messages: Sequence[PlannedMessage] = (),
    lease: timedelta | None = None,
    charging: str | None = None,
) -> list[Message]:
    """A visit checked out at the desk, once (MoneyExists otherwise): its money record and,
    on the appointment, that it was (`checkout`: how, what was paid, when), so whoever
    reads the visit next sees it paid; the versions of its day sheets (`days`) move, so a
    dashboard asking "changed since?" reads it again; with her receipt (leased to the
    caller) and the payment.succeeded webhook event. Only on the appointment as `appt`
    read it — its status and `seq` unchanged: a no-show marked or a cancellation made
    meanwhile (another device) moved them — and its payment too (payment_as_read: a refund
    of the deposit meanwhile would be deducted as kept), and its card charge noted as this
    checkout's (`charging`, the key it charged under) or none: a card charge of another
    device's, its outcome unknown, would otherwise stay at Stripe beside this record. Else
    bookings.StaleAppointment, nothing written."""
    tx = Tx(MoneyItem)
    tx.put(money_item(money), "money", condition=MoneyItem.pk.does_not_exist())
    as_read = (AppointmentItem.status == appt.status) & (AppointmentItem.seq == appt.seq) & payment_as_read(appt)
    as_read &= (
        AppointmentItem.checkout_charging == charging
        if charging is not None
        else AppointmentItem.checkout_charging.does_not_exist()
    )
    _checked_out(tx, appt, money, now, days, condition=as_read)
    clients.on_change(tx, appt.business_id, appt.client_id, now)  # what it came to: her KPI counts
    sent = outbox.queue(tx, messages, now, lease)
    webhooks.emit(tx, money.business_id, [events.money_recorded(money, now)], now, money.client_id)
    try:
        commit(tx)
    except TxFailed as err:
        if "checkout" in err.failed:
            raise bookings.StaleAppointment() from err
        raise
    return sent


def owe_refund(
    held: Message, payment: tuple[Appointment, BookingPayment] | None = None, now: datetime | None = None
) -> bool:
    """The outbox item of a refund owed (held by the caller, who makes it right after:
    services/payments/fees.py make_owed; the sweeper if Stripe cannot be reached), put
    once; with `payment`, the booking's payment with it owed (`refund_owed_cents`), from
    that read (PaymentChanged if written since): the owner's refund reserved before Stripe
    is asked. False: it was put before (the same refund owed already)."""
    tx = Tx(MessageItem)
    outbox.put(tx, [held], role="refund")
    if payment is not None and now is not None:
        _payment_update(tx, payment[0], payment[1], now)
    return commit(tx, done_if=frozenset({"refund"}))


class ChargeUnsettled(Exception):
    """An earlier card-on-file checkout charge of the visit, at another amount, whose outcome
    is not known (Stripe did not answer): asking at a new amount could charge her twice."""

    def __init__(self, amount_cents: int):
        super().__init__(amount_cents)
        self.amount_cents = amount_cents


def charging_cents(key: str) -> int:
    """The amount of a card-on-file checkout charge's key (`s<seq>p<payment_rev>:<amount>`)."""
    return int(key.rpartition(":")[2])


def start_card_checkout(appt: Appointment, key: str) -> str:
    """Before a card-on-file checkout asks Stripe to charge her: `key` (`s<seq>p<payment_rev>:<amount>`,
    the charge's idempotency key) noted on the appointment, so an attempt whose answer is
    lost is not forgotten. An earlier attempt's key still there (its outcome unknown): at
    the same amount, that key — the same charge, which Stripe answers with; at another,
    ChargeUnsettled. The key the charge is asked with. Gone: bookings.StaleAppointment."""
    db.configure()
    item = AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id))
    for _ in range(2):
        try:
            item.update(
                [AppointmentItem.checkout_charging.set(key)],
                condition=AppointmentItem.pk.exists() & AppointmentItem.checkout_charging.does_not_exist(),
            )
            return key
        except UpdateError as err:
            if not _conditional(err):
                raise
        try:
            found = AppointmentItem.get(item.pk, item.sk, consistent_read=True)
        except AppointmentItem.DoesNotExist:
            raise bookings.StaleAppointment() from None
        earlier = found.checkout_charging
        if earlier is not None:
            if charging_cents(earlier) == charging_cents(key):
                return str(earlier)
            raise ChargeUnsettled(charging_cents(earlier))
    raise bookings.Contended()


def card_checkout_settled(appt: Appointment, key: str) -> None:
    """The card-on-file checkout charge asked under `key` has a known outcome (declined, her
    bank wants her, given back): its note goes, unless another attempt's stands now."""
    db.configure()
    try:
        AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id)).update(
            [AppointmentItem.checkout_charging.remove()], condition=AppointmentItem.checkout_charging == key
        )
    except UpdateError as err:
        if not _conditional(err):
            raise


def remember_checkout(appt: Appointment, money: MoneyRecord, now: datetime, days: Sequence[date] = ()) -> bool:
    """A visit checked out before appointments said so (its money record alone): its
    appointment says it now, unless it does already (False then)."""
    tx = Tx(AppointmentItem)
    _checked_out(
        tx, appt, money, now, days, condition=AppointmentItem.pk.exists() & AppointmentItem.checkout.does_not_exist()
    )
    clients.on_change(tx, appt.business_id, appt.client_id, now)
    try:
        tx.commit()
    except TxFailed as err:
        if "checkout" in err.failed:
            return False
        raise
    return True


def owed_refund_not_made(
    done: Message,
    held: Message,
    now: datetime,
    payment: tuple[Appointment, BookingPayment] | None = None,
    *,
    same_status: bool = False,
) -> bool:
    """An owed refund not made this time: its outbox item as the attempt left it (due
    again after a backoff, or failed for good: then on the owner's list of failures) and,
    given `payment`, the booking's payment as it now stands (the amount no longer owed but
    failed), in one transaction conditioned on the caller still holding the item
    (`same_status`: and on the visit's status as read, for a payment that follows it).
    False: another caller holds it now."""
    tx = Tx(MessageItem)
    tx.put(outbox.to_item(done, failed_at=now), "held", condition=_still_held(held))
    if payment is not None:
        _payment_update(tx, payment[0], payment[1], now, same_status=same_status)
    return commit(tx, done_if=frozenset({"held"}))


def _checked_out(
    tx: Tx, appt: Appointment, money: MoneyRecord, now: datetime, days: Sequence[date], condition: Condition
) -> None:
    tx.update(
        AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id)),
        [
            AppointmentItem.checkout.set(CheckedOut.of(money).to_json()),
            AppointmentItem.checkout_charging.remove(),  # its charge's outcome: recorded
            AppointmentItem.updated_at.set(now),
        ],
        "checkout",
        condition=condition,
    )
    for day in days:
        daysheets.touch(tx, appt.business_id, appt.staff_id, day)


def settle_in(tx: Tx, money: MoneyRecord, state: str, now: datetime, note: str | None, was: str) -> None:
    """The fee's record from state `was` to `state` (its condition, role `money`), with its
    webhook event, inside `tx` (an undo's mark waives its open fee: store/visits.py mark)."""
    actions: list[Action] = [MoneyItem.state.set(state), MoneyItem.updated_at.set(now)]
    if note:
        actions.append(MoneyItem.note.set(note))
    tx.update(
        MoneyItem(keys.biz(money.business_id), keys.money_sk(money.appointment_id, money.kind)),
        actions,
        "money",
        condition=MoneyItem.state == was,
    )
    settled = replace(money, state=state, created_at=now)
    webhooks.emit(tx, money.business_id, [events.money_recorded(settled, now)], now, money.client_id)


def settle_money(money: MoneyRecord, state: str, now: datetime, note: str | None = None) -> bool:
    """An open fee is paid or waived: only from `open` (False if it was not open); paid,
    with its fee.charged webhook event in the same transaction."""
    tx = Tx(MoneyItem)
    settle_in(tx, money, state, now, note, "open")
    try:
        tx.commit()
    except TxFailed as err:
        if "money" in err.failed:
            return False
        raise
    return True


def give_fee_intent(money: MoneyRecord, intent_id: str, now: datetime) -> bool:
    """An open fee her saved card could not pay gets the PaymentIntent of her pay link
    (Account.fee_link_intent): only while open and without one. False: paid, let go or
    given one meanwhile (nothing written)."""
    db.configure()
    try:
        MoneyItem(keys.biz(money.business_id), keys.money_sk(money.appointment_id, money.kind)).update(
            actions=[MoneyItem.intent.set(intent_id), MoneyItem.updated_at.set(now)],
            condition=(MoneyItem.state == "open") & MoneyItem.intent.does_not_exist(),
        )
    except UpdateError as e:
        if _conditional(e):
            return False
        raise
    return True


def open_fee_paid(
    money: MoneyRecord, appt: Appointment, payment: BookingPayment, event: tuple[str, str], now: datetime
) -> bool:
    """An open fee she paid (Stripe's event), in one transaction: its record `succeeded`
    (only from `open`: MoneyExists otherwise — let go meanwhile, or paid through another
    event) with its fee.charged webhook event, the booking's payment with it paid (from
    that read: PaymentChanged if written since), her KPI counts and the event. False:
    this event was applied before (nothing written)."""
    tx = Tx(MoneyItem)
    settle_in(tx, money, "succeeded", now, None, "open")
    _payment_update(tx, appt, payment, now)
    clients.on_change(tx, appt.business_id, appt.client_id, now)  # her KPI money counts
    put_event(tx, event, now)
    return commit(tx, done_if=frozenset({"event"}))


def waive_open_fee(
    money: MoneyRecord,
    note: str,
    payment: tuple[Appointment, BookingPayment] | None,
    owed: Message | None,
    now: datetime,
) -> bool:
    """The owner's waiver of an open fee, in one transaction: its record `waived` with her
    reason (only from `open`) and its webhook event, the booking's payment saying so (from
    that read: PaymentChanged if written since) and `owed`, the outbox item that cancels its
    PaymentIntent at Stripe (held by the caller: services/payments/fees.py cancel_let_go) —
    as an undo's mark waives it (store/visits.py mark). False: the fee is not open any more
    (paid or waived meanwhile): nothing written."""
    tx = Tx(MoneyItem)
    if owed is not None:
        outbox.put(tx, [owed], role="refund")
    settle_in(tx, money, "waived", now, note, "open")
    if payment is not None:
        _payment_update(tx, payment[0], payment[1], now)
        clients.on_change(tx, payment[0].business_id, payment[0].client_id, now)
    return commit(tx, done_if=frozenset({"money", "refund"}))


def waived_fee_paid(
    money: MoneyRecord,
    appt: Appointment,
    payment: BookingPayment,
    owed: Message,
    event: tuple[str, str],
    now: datetime,
) -> bool:
    """A fee let go (`waived`) that she paid anyway (Stripe's event): its record paid, only
    from `waived` (its waiver's reason kept); the booking's payment with the money in and
    owed back; the outbox item that makes the refund (held by the caller:
    services/payments/fees.py make_owed); and the event — in one transaction. False: this
    event, or that payment, was applied before. PaymentChanged as any payment write."""
    tx = Tx(MoneyItem)
    settle_in(tx, money, "succeeded", now, None, "waived")
    _payment_update(tx, appt, payment, now)
    clients.on_change(tx, appt.business_id, appt.client_id, now)  # her KPI money counts
    put_event(tx, event, now)
    outbox.put(tx, [owed], role="refund")
    return commit(tx, done_if=frozenset({"event", "money", "refund"}))


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


# --- the owner's refunds to make ---------------------------------------------------------
# What the owner is to give back herself (BookingPayment.owner_owes_cents): a visit the
# salon cancelled without giving her money back (a staff member may not move money), or a
# refund Stripe failed. A pointer to the visit is kept in step by every write of its
# payment or status that can change it (_payment_update: the owner's refund reserved and
# made, a refund failed, a fee's; the cancellation; a mark), in the same transaction:
# there while the owner owes anything, gone once she does not.
def keep_refund_due(
    tx: Tx,
    appt: Appointment,
    pay: BookingPayment,
    now: datetime,
    status: str | None = None,
    salon: bool | None = None,
) -> None:
    """`appt` as read, `pay` its payment as this write leaves it (with `status`, and
    `salon`: cancelled by the salon, when the write changes them)."""
    after = pay.owner_owes_cents(status or appt.status, appt.cancelled_by_salon if salon is None else salon)
    before = appt.payment.owner_owes_cents(appt.status, appt.cancelled_by_salon) if appt.payment is not None else 0
    if after:
        put_refund_due(tx, appt, now)  # again while owed: the pointer mends itself
    elif before:
        tx.delete(RefundDueItem(keys.biz(appt.business_id), keys.refund_due_sk(appt.id)), "refund_due")


def put_refund_due(tx: Tx, appt: Appointment, at: datetime) -> None:
    """`at`: when what the owner owes last changed."""
    g1pk, g1sk = keys.refund_due_keys(appt.business_id, appt.id, at)
    item = RefundDueItem(
        keys.biz(appt.business_id),
        keys.refund_due_sk(appt.id),
        appointment_id=appt.id,
        created_at=at,
        g1pk=g1pk,
        g1sk=g1sk,
    )
    tx.put(item, "refund_due")


def refunds_due(business_id: str, limit: int = REFUNDS_DUE_READ) -> list[Appointment]:
    """The appointments the business's pointers name, as they are now."""
    db.configure()
    ids = [i.appointment_id for i in RefundDueItem.by_business.query(keys.refunds_due(business_id), limit=limit)]
    found = {a.id: a for a in bookings.get_appointments(business_id, ids)} if ids else {}
    return [found[i] for i in ids if i in found]


def index_refunds_due(business_id: str) -> int:
    """Put on the owner's list what she owed before the list existed (a salon's
    cancellation holding her money, a refund Stripe failed): one Query of the business
    calendar, one put per such visit not listed yet. A one-off migration (`rebook_cli
    index-refunds-due`); repeatable."""
    db.configure()
    listed = {i.appointment_id for i in RefundDueItem.by_business.query(keys.refunds_due(business_id))}
    done = 0
    for item in AppointmentItem.by_business_time.query(keys.business_calendar(business_id)):
        if item.appointment_id in listed or not item.payment:
            continue
        a = bookings.to_appointment(item)
        if a.payment is None or not a.payment.owner_owes_cents(a.status, a.cancelled_by_salon):
            continue
        tx = Tx(RefundDueItem)
        put_refund_due(tx, a, a.cancelled_at or a.updated_at)
        tx.commit()
        done += 1
    return done
