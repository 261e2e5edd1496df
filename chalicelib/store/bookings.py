"""Appointments, day sheets, clients-on-booking and idempotency: the booking transactions.

Exclusivity is enforced by DynamoDB itself: a booking is written on the day sheet of
each local day it touches (chalicelib/store/daysheets.py) in the same
TransactWriteItems as the appointment, conditioned on the sheet's version as the
booking read it, so of two overlapping bookings exactly one commits however the
requests race; the other reads the sheet again and finds the time taken.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NoReturn, TypeVar
from zoneinfo import ZoneInfo

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.domain import webhooks as events
from chalicelib.domain.booking import BY_SALON, Appointment, Status
from chalicelib.domain.clients import BookedClient, ClientMatch
from chalicelib.domain.daysheet import Sheets, Taken, appointment_ref
from chalicelib.domain.ids import id_for_key
from chalicelib.domain.limits import Entry, Meter
from chalicelib.domain.loyalty import Reward
from chalicelib.domain.messages import Message, PlannedMessage
from chalicelib.domain.payments import BookingPayment, CheckedOut
from chalicelib.domain.timeutil import iso_utc
from chalicelib.store import clients, daysheets, db, keys, limits, outbox, rewards, waitlist, webhooks
from chalicelib.store.models import AppointmentItem, ClientKeyItem, DaySheetItem, IdempotencyItem
from chalicelib.store.tx import Tx, TxFailed

T = TypeVar("T")


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


class SheetChanged(Exception):
    """A day sheet the change read was written on meanwhile: read it again and retry."""


class MeterChanged(SheetChanged):
    """A limit's meter (store/limits.py) was counted on meanwhile: read it again and retry."""


# --- appointments ------------------------------------------------------------------
def appointment_id_for(business_id: str, idempotency_key: str) -> str:
    """The id of the booking a request with this Idempotency-Key makes: the appointment
    is the key's record (put with attribute_not_exists, it also says "this key was used"),
    so a keyed booking needs no item of its own for it."""
    return id_for_key(business_id, idempotency_key)


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
        sms_limited=a.sms_limited or None,
        foreign_contact=a.foreign_contact or None,
        reward_id=a.reward_id,
        discount_cents=a.discount_cents or None,
        perk_not_applied=a.perk_not_applied,
        reminded=a.reminded or None,
        feedback_requested=a.feedback_requested or None,
        no_stamp=(not a.earns_stamp) or None,
        no_time=(not a.time_known) or None,
        hold_until=a.hold_until,
        hold_for=a.hold_for,
        hold_confirmed_at=a.hold_confirmed_at,
        payment=a.payment.to_json() if a.payment else None,
        payment_rev=a.payment_rev or None,
        checkout=a.checkout.to_json() if a.checkout else None,
        waitlist_offer=a.waitlist_offer,
        any_staff=a.any_staff or None,
    )
    item.g1pk, item.g1sk = keys.calendar_keys(a.business_id, a.id, a.start)
    item.g5pk, item.g5sk = keys.staff_calendar_keys(a.business_id, a.staff_id, a.id, a.start)
    entry = f"{keys.TIMELINE_APPOINTMENTS}{iso_utc(a.start)}#{a.id}"
    item.g2pk, item.g2sk = keys.timeline_keys(a.business_id, a.client_id, entry)
    if a.is_active:
        item.g3pk, item.g3sk = keys.end_keys(a.id, a.end)
    if a.held and a.hold_until is not None:  # one entry, whatever the hold waits for
        item.g4pk, item.g4sk = keys.hold_keys(a.id, a.hold_until)
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
        cancelled_by=i.cancelled_by,
        cancel_gave_back=bool(i.gave_back),
        reminders_off=bool(i.reminders_off),
        sms_limited=bool(i.sms_limited),
        foreign_contact=bool(i.foreign_contact),
        reward_id=i.reward_id,
        discount_cents=int(discount or 0),
        perk_not_applied=i.perk_not_applied,
        reminded=bool(i.reminded),
        feedback_requested=bool(i.feedback_requested),
        earns_stamp=not i.no_stamp,
        time_known=not i.no_time,
        hold_until=i.hold_until,
        hold_for=i.hold_for,
        hold_confirmed_at=i.hold_confirmed_at,
        payment=BookingPayment.from_json(i.payment) if i.payment else None,
        payment_rev=int(i.payment_rev or 0),
        checkout=CheckedOut.from_json(i.checkout) if i.checkout else None,
        checkout_charging=i.checkout_charging,
        waitlist_offer=i.waitlist_offer,
        arrived_at=i.arrived_at,
        held_until=i.held_until,
        any_staff=bool(i.any_staff),
    )


def get_appointments(business_id: str, appointment_ids: Sequence[str]) -> list[Appointment]:
    """Appointments by id (those that exist), read consistently: BatchGetItem."""
    db.configure()
    wanted = [(keys.biz(business_id), keys.appt_sk(a)) for a in dict.fromkeys(appointment_ids)]
    return [to_appointment(i) for i in AppointmentItem.batch_get(wanted, consistent_read=True)]


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


def list_staff_appointments(
    business_id: str, staff_id: str, start_from: datetime, start_to: datetime
) -> list[Appointment]:
    """One staff member's appointments starting in [start_from, start_to): one Query on
    g5, which holds only hers (a staff member's feed never reads the business's)."""
    db.configure()
    lo, hi = iso_utc(start_from), iso_utc(start_to)
    items = AppointmentItem.by_staff_time.query(
        keys.staff_calendar(business_id, staff_id), AppointmentItem.g5sk.between(lo, hi + "~")
    )
    return [to_appointment(i) for i in items if (i.g5sk or "") < hi]


def index_staff_calendars(business_id: str) -> int:
    """Put every appointment of the business written before the staff calendars existed
    on its staff member's calendar (g5): one Query of the business calendar and one
    update per appointment not there yet. A one-off migration (`rebook_cli
    index-staff-calendars`); repeatable."""
    db.configure()
    done, staff = 0, set()
    for item in AppointmentItem.by_business_time.query(keys.business_calendar(business_id)):
        want = keys.staff_calendar_keys(business_id, item.staff_id, item.appointment_id, item.start)
        if (item.g5pk, item.g5sk) == want:
            continue
        try:
            AppointmentItem(item.pk, item.sk).update(
                actions=[AppointmentItem.g5pk.set(want[0]), AppointmentItem.g5sk.set(want[1])],
                condition=(AppointmentItem.staff_id == item.staff_id) & (AppointmentItem.start == item.start),
            )
            done += 1
            staff.add(item.staff_id)
        except UpdateError:
            pass  # moved meanwhile: the move wrote its keys
    for staff_id in sorted(staff):  # the feeds built (and cached by calendar apps) before are stale
        daysheets.calendar_changed(business_id, staff_id)
    return done


@dataclass(frozen=True)
class BookingRead:
    """What a booking reads before it writes: who the client is, the day sheets it may
    write on, and the booking an earlier request with the same Idempotency-Key made."""

    client: ClientMatch
    sheets: Sheets
    replay: IdempotentReplay | None = None
    meters: list[Meter] = field(default_factory=list)
    # Her waitlist entries (read in the same BatchGetItem): a booking of a service she
    # waits for closes that entry (chalicelib/services/waitlist/join.py booked_elsewhere).
    waiting: waitlist.Contacts = field(default_factory=waitlist.Contacts)


def read_for_booking(
    business_id: str,
    phone: str | None,
    email: str | None,
    sheets: Sequence[tuple[str, date]],
    idempotency: tuple[str, str] | None = None,
    meters: Sequence[tuple[str, str]] = (),
) -> BookingRead:
    """The client's contact keys, the day sheets, the idempotency record and the limits'
    meters of (kind, subject) pairs: one BatchGetItem, read consistently."""
    contact = [(kind, value) for kind, value in (("phone", phone), ("email", email)) if value]
    contact_keys = {kind: (keys.biz(business_id), keys.client_key_sk(kind, value)) for kind, value in contact}
    sheet_keys = [daysheets.key_of(business_id, staff, day) for staff, day in sorted(set(sheets))]
    # A keyed request's appointment has the key's id: found, it is the replay. (The
    # records of before, IDEM#, are read too until their TTL has removed them.)
    idem_keys = (
        [
            (keys.biz(business_id), keys.appt_sk(appointment_id_for(business_id, idempotency[0]))),
            (keys.idem_pk(business_id, idempotency[0]), keys.IDEM_SK),
        ]
        if idempotency
        else []
    )
    meter_keys = [limits.key_of(business_id, kind, subject) for kind, subject in meters]
    waiting_keys = waitlist.contact_keys(business_id, phone, email)
    found = db.batch_get(
        [*contact_keys.values(), *sheet_keys, *idem_keys, *meter_keys, *waiting_keys.values()],
        consistent=True,
    )

    # The contact keys found, each parsed once.
    key_items = {kind: ClientKeyItem.from_raw_data(raw) for kind, k in contact_keys.items() if (raw := found.get(k))}

    def client_of(kind: str) -> str | None:
        key = key_items.get(kind)
        return key.client_id if key else None

    # A contact's first booking counted on its key (store/limits.py): its meter until put.
    on_keys = {kind: key.m.as_dict() for kind, key in key_items.items() if key.m}  # type: ignore[no-untyped-call]

    replay = None
    if idem_keys and idem_keys[0] in found:
        made = AppointmentItem.from_raw_data(found[idem_keys[0]])
        replay = IdempotentReplay(made.appointment_id, made.idem_hash or "")
    elif idem_keys and idem_keys[1] in found:
        stored = IdempotencyItem.from_raw_data(found[idem_keys[1]])
        replay = IdempotentReplay(stored.appointment_id, stored.body_hash)
    return BookingRead(
        client=ClientMatch(by_phone=client_of("phone"), by_email=client_of("email")),
        sheets=daysheets.sheets_from_items(
            business_id, [DaySheetItem.from_raw_data(found[k]) for k in sheet_keys if k in found]
        ),
        replay=replay,
        meters=limits.meters_from_raw(business_id, list(meters), found, on_keys),
        waiting=waitlist.contacts_from(waiting_keys, found),
    )


def pause_before_retry(attempt: int) -> None:
    """A short, jittered wait before a change reads again, so racers spread out."""
    time.sleep(random.uniform(0, 0.01 * (2**attempt)))


def _take_time(tx: Tx, appt: Appointment, days: Sequence[date], sheets: Sheets, calendar_later: bool = False) -> None:
    taken = Taken(appointment_ref(appt.id), appt.start, appt.occupied_until)
    for day in days:
        daysheets.take(tx, sheets.get(appt.staff_id, day), taken, calendar_later=calendar_later)


def _free_time(tx: Tx, appt: Appointment, days: Sequence[date]) -> None:
    for day in days:
        daysheets.release(tx, appt.business_id, appt.staff_id, day, appointment_ref(appt.id))


def free_time(tx: Tx, appt: Appointment, days: Sequence[date]) -> None:
    """Take the booking off its day sheets inside `tx` (a hold that ends unpaid)."""
    _free_time(tx, appt, days)


def create_booking(
    appt: Appointment,
    days: Sequence[date],
    sheets: Sheets | None,
    client: BookedClient,
    messages: Sequence[PlannedMessage],
    idempotency: tuple[str, str] | None,
    now: datetime,
    later: Sequence[PlannedMessage] = (),
    welcome: Reward | None = None,
    today: date | None = None,
    meters: Sequence[Meter] = (),
    meter_entry: Entry | None = None,
    meter_window: timedelta = timedelta(hours=24),
    parked: Sequence[PlannedMessage] = (),
) -> None:
    """Write the booking on the day sheets of `days` as `sheets` read them (None: read
    them here), with the client and its plan (its confirmations `messages`, the
    `later` reminders and feedback request, the `parked` confirmations of a booking held
    while she pays, its webhook event), in one transaction; with the reward it redeems
    (`appt.reward_id`, valid on the local day `today`) or the welcome perk of a referred
    new client."""
    if sheets is None:
        sheets = daysheets.read(appt.business_id, [(appt.staff_id, d) for d in days])
    tx = Tx(AppointmentItem)
    if welcome is not None:
        rewards.welcome(tx, welcome)
    elif appt.reward_id:
        rewards.redeem(tx, appt.business_id, appt.client_id, appt.reward_id, appt.id, today or now.date(), now)
    _take_time(tx, appt, days, sheets, calendar_later=True)  # the plan's expansion moves her calendar
    key_entries: dict[str, dict[str, str]] = {}
    first_meters = []
    if meter_entry is not None:  # counted on the limits' meters as they were read
        keys_put = clients.keys_put_on_booking(client)
        for meter in meters:
            if limits.first_on_key(meter, keys_put):  # on the contact key it puts; the plan puts the meter
                key_entries[meter.kind] = {appt.id: meter_entry.encode()}
                first_meters.append(limits.first_meter(meter, appt.id, meter_entry, now, meter_window))
            else:
                limits.count(tx, meter, appt.id, meter_entry, now, meter_window)
    found_by = clients.on_booking(tx, client, now, key_entries)
    # Every message it plans — the confirmations (parked while she pays), the reminders,
    # the feedback request and its webhook event — its calendar version and a new
    # contact's first meter: one plan on the appointment item, expanded by its sender
    # right after the commit (store/outbox.py put_plan).
    new_client = events.client_created(appt.business_id, appt.client_id, appt.source, now) if client.is_new else None
    event = webhooks.event_planned(
        appt.business_id, [events.booking_created(appt, now), new_client], now, appt.client_id
    )
    planned = [*((m, False) for m in (*messages, *later)), *((m, True) for m in parked), (event, False)]
    item = to_item(appt)
    if idempotency:  # its id is the key's (appointment_id_for): the record of the key
        item.idem_hash = idempotency[1]
    outbox.put_plan(item, planned, now, calendar=appt.staff_id, search_tokens=found_by, meters=first_meters)
    tx.put(item, "appointment", condition=AppointmentItem.pk.does_not_exist())
    try:
        tx.commit()
    except TxFailed as err:
        if "appointment" in err.failed and idempotency:  # the same key, committed first
            made = AppointmentItem.get(keys.biz(appt.business_id), keys.appt_sk(appt.id), consistent_read=True)
            raise IdempotentReplay(made.appointment_id, made.idem_hash or "") from err
        if daysheets.SHEET in err.failed:
            raise SheetChanged() from err
        if limits.METER in err.failed:
            raise MeterChanged() from err
        if "client" in err.failed:
            raise clients.ClientRace() from err
        if "reward" in err.failed:
            raise RewardGone() from err
        if err.conflict:
            raise Contended() from err
        raise


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
    """Condition: the appointment is still booked and unchanged since it was read, and not
    checked out at the desk meanwhile (a checkout leaves `seq` alone; a visit paid at the
    desk took place: never moved or cancelled), nor being charged for it (a card-on-file
    checkout charge asked of Stripe, its outcome unknown)."""
    unchanged: Condition = (
        (AppointmentItem.status == Status.BOOKED.value)
        & (AppointmentItem.seq == appt.seq)
        & AppointmentItem.checkout.does_not_exist()
        & AppointmentItem.checkout_charging.does_not_exist()
    )
    return unchanged


def _key(appt: Appointment) -> AppointmentItem:
    return AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id))


def cancel_booking(
    appt: Appointment,
    days: Sequence[date],
    now: datetime,
    reason: str | None,
    messages: Sequence[PlannedMessage],
    lease: timedelta | None = None,
    *,
    only_if_hold_ran_out: bool = False,
    freed: Message | None = None,
    refund: tuple[BookingPayment, Message] | None = None,
    by: str | None = None,
    gave_back: bool = False,
) -> list[Message]:
    """Cancel and free the time, atomically, with the cancellation messages and `freed`,
    the outbox item of its freed time for the waitlist (services/waitlist/refill.py).
    `refund`: what the cancellation gives back of what she paid, owed from this commit
    on — the booking's payment with it owed, and the outbox item that makes the refund
    (services/payments/fees.py owed_on_cancel). `only_if_hold_ran_out`: only while its
    hold is unconfirmed and past (the hold expiry; a confirmation that got there first
    wins, StaleAppointment). `by`: who cancelled (BY_CLIENT, BY_SALON); the salon's
    cancellation is not counted as hers. `gave_back`: the desk gave all she paid back with
    it (Appointment.cancel_gave_back: no late fee). What the owner is then to give back
    herself (the salon's cancellation holding her money) goes on her list of refunds to
    make (store/payments.py keep_refund_due)."""
    tx = Tx(AppointmentItem)
    actions: list[Action] = [
        AppointmentItem.status.set(Status.CANCELLED.value),
        AppointmentItem.cancelled_at.set(now),
        AppointmentItem.updated_at.set(now),
        AppointmentItem.seq.add(1),
        AppointmentItem.g3pk.remove(),
        AppointmentItem.g3sk.remove(),
        AppointmentItem.g4pk.remove(),
        AppointmentItem.g4sk.remove(),
    ]
    if reason:
        actions.append(AppointmentItem.cancel_reason.set(reason))
    if by:
        actions.append(AppointmentItem.cancelled_by.set(by))
    if gave_back:
        actions.append(AppointmentItem.gave_back.set(True))
    from chalicelib.store import payments  # it builds on this module

    condition = _unchanged(appt)
    if refund is not None:
        # Owed from the payment as read: an owner's refund committed since is not overwritten
        # (StaleAppointment; the caller reads again: services/booking/changes.py cancel).
        actions.extend(payments.payment_set(refund[0]))
        condition &= payments.payment_as_read(appt)
    if only_if_hold_ran_out:
        condition &= AppointmentItem.g4pk.exists() & (AppointmentItem.hold_until <= now)
    tx.update(_key(appt), actions, "appointment", condition=condition)
    _free_time(tx, appt, days)
    # Never confirmed, never a booking; or the salon cancelled it: not a cancellation of hers.
    if only_if_hold_ran_out or by == BY_SALON:
        clients.on_change(tx, appt.business_id, appt.client_id, now)
    else:
        clients.on_cancellation(tx, appt.business_id, appt.client_id, now)
    if appt.reward_id:  # the reward goes back on her card
        rewards.give_back(tx, appt.business_id, appt.client_id, appt.reward_id, appt.id, now)
    sent = outbox.queue(tx, messages, now, lease)
    cancelled = events.booking_cancelled(appt, now, by_hold_expiry=only_if_hold_ran_out)
    webhooks.emit(tx, appt.business_id, [cancelled], now, appt.client_id)
    outbox.put(tx, [freed] if freed else [])
    outbox.put(tx, [refund[1]] if refund else [], role="refund")
    if appt.payment is not None:
        paid = refund[0] if refund is not None else appt.payment
        payments.keep_refund_due(tx, appt, paid, now, Status.CANCELLED.value, by == BY_SALON)
    _commit_change(tx)
    return sent


def reschedule_booking(
    appt: Appointment,
    old_days: Sequence[date],
    moved: Appointment,
    new_days: Sequence[date],
    sheets: Sheets,
    now: datetime,
    messages: Sequence[PlannedMessage],
    lease: timedelta | None = None,
    later: Sequence[PlannedMessage] = (),
    freed: Message | None = None,
) -> list[Message]:
    """Move a booking: take the new time on the sheets as read and free the old one (with
    `freed`, the outbox item of the old time for the waitlist), in one transaction. If anyone wrote on those sheets meanwhile, nothing changes
    (SheetChanged: read again) and the old time stays held. The move may change staff.
    `later`, the reminders and feedback request of the new time, are keyed by it: a visit
    moved back to a time it had finds those of that time still there, and they stand
    (the claim checks the visit is at their time again)."""
    for attempt in range(2):
        tx = _reschedule_tx(appt, old_days, moved, new_days, sheets, now, later, freed)
        sent = outbox.queue(tx, messages, now, lease)
        try:
            tx.commit()
            return sent
        except TxFailed as err:
            if err.failed != {"later"} or attempt:
                _failed_change(err)
            there = outbox.planned_keys(appt.business_id, [m.key for m in later])
            later = [m for m in later if m.key not in there]
    raise AssertionError("unreachable")  # the second attempt returns or raises


def _reschedule_tx(
    appt: Appointment,
    old_days: Sequence[date],
    moved: Appointment,
    new_days: Sequence[date],
    sheets: Sheets,
    now: datetime,
    later: Sequence[PlannedMessage],
    freed: Message | None,
) -> Tx:
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
            AppointmentItem.g5pk.set(moved_item.g5pk),
            AppointmentItem.g5sk.set(moved_item.g5sk),
            AppointmentItem.g2sk.set(moved_item.g2sk),
            AppointmentItem.g3pk.set(moved_item.g3pk),
            AppointmentItem.g3sk.set(moved_item.g3sk),
            AppointmentItem.staff_id.set(moved.staff_id),
        ],
        "appointment",
        condition=_unchanged(appt),
    )
    _take_time(tx, moved, new_days, sheets)
    same_sheet = moved.staff_id == appt.staff_id
    _free_time(tx, appt, [d for d in old_days if not (same_sheet and d in new_days)])
    clients.on_change(tx, appt.business_id, appt.client_id, now)
    outbox.queue(tx, later, now, role="later")
    webhooks.emit(tx, appt.business_id, [events.booking_rescheduled(appt, moved, now)], now, appt.client_id)
    outbox.put(tx, [freed] if freed else [])
    return tx


def _commit_change(tx: Tx) -> None:
    try:
        tx.commit()
    except TxFailed as err:
        _failed_change(err)


def _failed_change(err: TxFailed) -> NoReturn:
    """What a change's transaction failing means to its caller."""
    if err.failed & {"appointment", "client", "sheet-release", "reward-release"}:
        raise StaleAppointment() from err
    if daysheets.SHEET in err.failed:
        raise SheetChanged() from err
    if "message" in err.failed:
        raise StaleAppointment() from err
    if err.conflict:
        raise Contended() from err
    raise err


def client_history(business_id: str, client_id: str) -> list[Appointment]:
    """A client's appointments, oldest first: one Query on g2."""
    db.configure()
    found = AppointmentItem.by_client.query(
        keys.client_timeline(business_id, client_id), AppointmentItem.g2sk.startswith(keys.TIMELINE_APPOINTMENTS)
    )
    return [to_appointment(i) for i in found]


def client_starting_from(business_id: str, client_id: str, since: datetime) -> list[Appointment]:
    """A client's appointments that start at or after `since` (any status), oldest first:
    one Query on g2 that reads only those (her timeline sorts by start)."""
    db.configure()
    lo = f"{keys.TIMELINE_APPOINTMENTS}{iso_utc(since)}"
    found = AppointmentItem.by_client.query(
        keys.client_timeline(business_id, client_id),
        AppointmentItem.g2sk.between(lo, f"{keys.TIMELINE_APPOINTMENTS}~"),
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


def put_on_day_sheets(business_id: str, tz: ZoneInfo, since: datetime, until: datetime) -> int:
    """Make sure every booked visit starting in [since, until) is on its day sheets
    (idempotent): for data written before the sheets existed. Returns how many visits
    were added. A maintenance step (`rebook_cli load-business` runs it), not a request path."""
    added = 0
    for appt in list_appointments(business_id, since, until):
        if not appt.is_active:
            continue
        days = appt.days(tz)
        for attempt in range(5):
            sheets = daysheets.read(business_id, [(appt.staff_id, d) for d in days])
            ref = appointment_ref(appt.id)
            if all(any(t.ref == ref for t in sheets.get(appt.staff_id, d).taken) for d in days):
                break
            tx = Tx(DaySheetItem)
            _take_time(tx, appt, days, sheets)
            try:
                tx.commit()
            except TxFailed:
                pause_before_retry(attempt)
                continue
            added += 1
            break
    return added
