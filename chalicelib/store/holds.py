"""Bookings held until their client confirms them (Limits.hold_unconfirmed): the
confirmation, and the holds that ran out, found through index g4 by the hour they run
out (HOLD#<hour>#<shard>, never a Scan). Freeing one is the cancellation of
store/bookings.py conditioned on the hold still being there and past, so a
confirmation and the expiry, or two runs of the expiry job, can never both win."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime

from chalicelib.domain.booking import Appointment, Status
from chalicelib.store import bookings, daysheets, db, keys
from chalicelib.store.models import AppointmentItem
from chalicelib.store.tx import Tx, TxFailed

UNCONFIRMED = "unconfirmed"  # the cancel_reason of a hold that ran out


class HoldGone(Exception):
    """The hold ran out, or the booking changed (cancelled, confirmed) meanwhile."""


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


def run_out_between(since: datetime, until: datetime) -> list[Appointment]:
    """Bookings whose hold runs out in [since, until] and still waits (the index lags
    the table a moment: the freeing itself is conditioned on the item)."""
    return [a for _, found in run_out_by_hour(since, until) for a in found]


def run_out_by_hour(since: datetime, until: datetime) -> Iterator[tuple[datetime, list[Appointment]]]:
    """The same, an hour of the index at a time (oldest first), read lazily: a job that
    stops between hours knows every hour before was done."""
    db.configure()
    lo, hi = keys.between(since, until)
    for hour, buckets in keys.hours_of_buckets("HOLD", since, until):
        yield (
            hour,
            [
                bookings.to_appointment(item)
                for bucket in buckets
                for item in AppointmentItem.by_hold.query(bucket, AppointmentItem.g4sk.between(lo, hi))
            ],
        )


def free(appt: Appointment, days: Sequence[date], now: datetime) -> bool:
    """Cancel a booking whose hold ran out unconfirmed, freeing its time, with no
    message (she never confirmed the contact). False: confirmed, changed or freed
    meanwhile (by another run), nothing done."""
    try:
        bookings.transact_with_retry(
            lambda: bookings.cancel_booking(appt, days, now, UNCONFIRMED, [], only_if_hold_ran_out=True)
        )
    except bookings.StaleAppointment:
        return False
    return True
