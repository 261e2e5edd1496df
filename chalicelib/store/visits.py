"""Marking a visit arrived, completed or a no-show (the front desk's calendar)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from pynamodb.expressions.update import Action

from chalicelib.domain import webhooks as events
from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.daysheet import Taken
from chalicelib.domain.messages import Message
from chalicelib.domain.payments import BookingPayment, MoneyRecord
from chalicelib.store import clients, daysheets, keys, webhooks
from chalicelib.store.bookings import StaleAppointment
from chalicelib.store.models import AppointmentItem
from chalicelib.store.tx import Tx, TxFailed


def mark(
    appt: Appointment,
    status: str,
    now: datetime,
    days: Sequence[date] = (),
    payment: tuple[BookingPayment, Message | None] | None = None,
    waived: tuple[MoneyRecord, str] | None = None,
    held: tuple[Taken, Mapping[date, int] | None] | None = None,
) -> None:
    """Set the visit's status if it is unchanged since read; keep the client's no-show
    count and the visits-ended index (no feedback request for a no-show) in step, and
    move the versions of the day sheets that hold it (`days`), so a dashboard asking
    "changed since?" sees the mark. `payment`: the booking's payment as the mark (a
    no-show's undo) changes it, written from the payment as read — its fee given back, owed
    from this commit on with the outbox item that makes the refund, and its round over
    (services/payments/fees.py owed_on_no_show_undone). `held`: its time on the sheets
    as the mark leaves it — shorter for a visit done early, back to as booked for that
    mark's undo (then conditioned on the sheets' versions as read). `waived`: the no-show's fee still
    open (its record as read, and the waiver's note), waived by the undo in the same
    transaction — only from `open` (paid meanwhile: StaleAppointment) — while `payment`
    says it waived and its round over (fees.waived_on_no_show_undone)."""
    from chalicelib.store import outbox, payments

    actions: list[Action] = [
        AppointmentItem.status.set(status),
        AppointmentItem.updated_at.set(now),
        AppointmentItem.seq.add(1),
    ]
    if status == Status.ARRIVED.value and appt.arrived_at is None:
        actions.append(AppointmentItem.arrived_at.set(now))
    elif status == Status.BOOKED.value and appt.arrived_at is not None:
        actions.append(AppointmentItem.arrived_at.remove())  # her arrival undone
    if held is not None:  # its time on the sheets, on the visit too (the occupancy counts it)
        shorter = held[0].end < appt.occupied_until
        actions.append(AppointmentItem.held_until.set(held[0].end) if shorter else AppointmentItem.held_until.remove())
    if status == Status.NO_SHOW.value:
        actions += [AppointmentItem.g3pk.remove(), AppointmentItem.g3sk.remove()]
    else:
        g3pk, g3sk = keys.end_keys(appt.id, appt.end)
        actions += [AppointmentItem.g3pk.set(g3pk), AppointmentItem.g3sk.set(g3sk)]
    condition = (AppointmentItem.status == appt.status) & (AppointmentItem.seq == appt.seq)
    if status in (Status.NO_SHOW.value, Status.BOOKED.value):
        # Not on a visit checked out at the desk meanwhile (a checkout leaves `seq` alone):
        # she paid, so she came — a no-show would charge its fee on top (domain/visits.py);
        # nor while her card may be paying it (a checkout charge's outcome unknown).
        condition &= AppointmentItem.checkout.does_not_exist() & AppointmentItem.checkout_charging.does_not_exist()
    if payment is not None:
        actions += payments.payment_set(payment[0])
    if payment is not None or appt.status == Status.NO_SHOW.value:
        # An undo is written from the payment as read: a no-show fee recorded since (its
        # charge was in flight) fails it (409 appointment_changed), and the undo asked
        # again finds the fee and gives it back.
        condition &= payments.payment_as_read(appt)
    tx = Tx(AppointmentItem)
    tx.update(
        AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id)),
        actions,
        "appointment",
        condition=condition,
    )
    for day in days:
        if held is None:
            daysheets.touch(tx, appt.business_id, appt.staff_id, day)
        else:
            versions = held[1]
            version = None if versions is None else versions[day]
            daysheets.retime(tx, appt.business_id, appt.staff_id, day, held[0], version)
    delta = int(status == Status.NO_SHOW.value) - int(appt.status == Status.NO_SHOW.value)
    if delta:
        clients.on_no_show_change(tx, appt.business_id, appt.client_id, delta)
    marked = replace(appt, status=status, seq=appt.seq + 1, updated_at=now)
    webhooks.emit(tx, appt.business_id, [events.visit_marked(marked, status, now)], now, appt.client_id)
    if appt.payment is not None:  # a mark may keep a fee whose refund failed: not the owner's to give back then
        payments.keep_refund_due(tx, appt, payment[0] if payment is not None else appt.payment, now, status)
    if waived is not None:
        payments.settle_in(tx, waived[0], "waived", now, waived[1], "open")
    if payment is not None and payment[1] is not None:
        # (Her KPI counts follow the mark: services/admin/calendar.py refreshes her.)
        outbox.put(tx, [payment[1]], role="refund")
    try:
        tx.commit()
    except TxFailed as err:
        raise StaleAppointment() from err
