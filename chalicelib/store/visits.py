"""Marking a visit arrived, completed or a no-show (the front desk's calendar)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from chalicelib.domain import webhooks as events
from chalicelib.domain.booking import Appointment, Status
from chalicelib.store import clients, daysheets, keys, webhooks
from chalicelib.store.bookings import StaleAppointment
from chalicelib.store.models import AppointmentItem
from chalicelib.store.tx import Tx, TxFailed


def mark(appt: Appointment, status: str, now: datetime, days: Sequence[date] = ()) -> None:
    """Set the visit's status if it is unchanged since read; keep the client's no-show
    count and the visits-ended index (no feedback request for a no-show) in step, and
    move the versions of the day sheets that hold it (`days`), so a dashboard asking
    "changed since?" sees the mark."""
    actions = [AppointmentItem.status.set(status), AppointmentItem.updated_at.set(now), AppointmentItem.seq.add(1)]
    if status == Status.NO_SHOW.value:
        actions += [AppointmentItem.g3pk.remove(), AppointmentItem.g3sk.remove()]
    else:
        g3pk, g3sk = keys.end_keys(appt.id, appt.end)
        actions += [AppointmentItem.g3pk.set(g3pk), AppointmentItem.g3sk.set(g3sk)]
    tx = Tx(AppointmentItem)
    tx.update(
        AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id)),
        actions,
        "appointment",
        condition=(AppointmentItem.status == appt.status) & (AppointmentItem.seq == appt.seq),
    )
    for day in days:
        daysheets.touch(tx, appt.business_id, appt.staff_id, day)
    delta = int(status == Status.NO_SHOW.value) - int(appt.status == Status.NO_SHOW.value)
    if delta:
        clients.on_no_show_change(tx, appt.business_id, appt.client_id, delta)
    marked = replace(appt, status=status, seq=appt.seq + 1, updated_at=now)
    webhooks.emit(tx, appt.business_id, [events.visit_marked(marked, status, now)], now, appt.client_id)
    try:
        tx.commit()
    except TxFailed as err:
        raise StaleAppointment() from err
