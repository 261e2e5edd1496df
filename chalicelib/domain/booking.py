"""Booking rules: what a booking request must contain, what occupies a staff member's
time, and when a booking may still be cancelled or moved."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Annotated, Final, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from chalicelib.domain import plaintext
from chalicelib.domain.config import Service
from chalicelib.domain.contacts import Email, Phone
from chalicelib.domain.daysheet import days_touched
from chalicelib.domain.locales import Locale
from chalicelib.domain.payments import BookingPayment, CheckedOut
from chalicelib.domain.timeutil import parse_instant


class Status(str, Enum):
    BOOKED = "booked"
    PENDING_PAYMENT = "pending_payment"  # holds its time while the client pays
    ARRIVED = "arrived"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = {Status.BOOKED.value, Status.ARRIVED.value}


class PerkNotApplied(str, Enum):
    """Why the perk a booking came with (a referral link's welcome perk, her stamp card's
    reward) was not applied: it was booked at the service's price, and says why."""

    NOT_NEW = "not_new"  # a referral's welcome perk, and she is already the salon's client
    LINK = "link"  # the link could not be read (cut short by an SMS or a copy, mangled)
    GONE = "gone"  # the link's perk is no longer valid (used, expired, referrals ended)


class HoldFor(str, Enum):
    """What a held booking waits for before its time is hers for good (else it is freed
    when the hold runs out: the hold_expiry job)."""

    CONFIRMATION = "confirmation"  # a new client's click on the link sent to her
    PAYMENT = "payment"  # her deposit, prepayment or card on file (status pending_payment)


# Why a held booking was cancelled when its hold ended without her confirmation or
# payment: it never became a booking (the KPIs leave it out).
HOLD_RAN_OUT = "unconfirmed"
PAYMENT_EXPIRED = "payment_expired"
PAYMENT_DECLINED = "payment_declined"
HOLD_ENDINGS = frozenset({HOLD_RAN_OUT, PAYMENT_EXPIRED, PAYMENT_DECLINED})

# Who cancelled a visit (the appointment's `cancelled_by`): she did (by her link, or she
# phoned and the desk cancelled it for her), or the salon had to (the stylist is ill). A
# salon's cancellation is never counted against her: not in her cancellations, not in
# the early warnings, not as the KPIs' cancellation.
BY_CLIENT: Final = "client"
BY_SALON: Final = "salon"

# How a booked visit whose hold waits for the client's confirmation link is shown (the
# API's and the pages' `status`); stored, it is booked with a `hold_until`.
AWAITING_CONFIRMATION = "awaiting_confirmation"


def _instant(v: object) -> datetime:
    if not isinstance(v, str):
        raise ValueError("expected an ISO 8601 time with offset")
    return parse_instant(v)


# A time the client sends: ISO 8601 text with an offset, kept as a UTC instant.
Instant = Annotated[datetime, BeforeValidator(_instant)]


# A name shown on a line of its own (her messages, a receipt, the calendar, the CSV
# export): domain/plaintext.py says what it may not hold.
one_line = plaintext.one_line


# The validation context of a booking made at the front desk (`parse(..., context=DESK)`):
# there a client may be booked by her name alone (ClientIn).
DESK = {"desk": True}


class ClientIn(BaseModel):
    """Who a booking is for. Online she gives a phone or an email (or both): her
    confirmation and reminders go there, and she is known by it next time. The front desk
    (validation context DESK) may book a name alone — the walk-in who pays cash and gives
    no contact: a new client with no contact, told nothing."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=100)
    phone: Phone = None
    email: Email = None
    locale: Locale | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return one_line(v)

    @model_validator(mode="after")
    def _contact(self, info: ValidationInfo) -> Self:
        if not self.phone and not self.email and not (info.context or {}).get("desk"):
            raise ValueError("give a phone number or an email address (or both)")
        return self


class ConsentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    marketing: StrictBool = False


class RewardUse(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")
    card: str | None = Field(default=None, max_length=200)


# The version of the business's payment terms a client ticked (the profile's
# `payments.version`): a whole JSON number as sent — `true`, "1" or 1.0 is no tick (a 422
# on the field), as money inputs are (StrictInt). The booking page's form sends it as
# text and converts it itself (pages/views.py book_submit: digits.whole_number).
TermsVersion = Annotated[StrictInt, Field(ge=1, le=1_000_000)]


class BookingIn(BaseModel):
    """Body of POST /businesses/{slug}/bookings."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    service: str = Field(min_length=1, max_length=40)
    staff: str | None = Field(default=None, max_length=40)
    start: Instant
    client: ClientIn
    consents: ConsentsIn = ConsentsIn()
    note: str | None = Field(default=None, max_length=500)
    # A reward to redeem: its id and the client's card link token (the front desk may
    # leave the token out). A referral link's token, when the client came through one.
    reward: RewardUse | None = None
    referral: str | None = Field(default=None, max_length=200)
    # The version of the business's payment policy and terms the client saw and ticked
    # (the profile's `payments.version`): required when the service takes payment.
    accepted_payment_terms: TermsVersion | None = None

    @field_validator("note")
    @classmethod
    def _note(cls, v: str | None) -> str | None:
        return plaintext.notes_if_any(v)  # its lines kept, nothing invisible or control


class RescheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: Instant


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str | None = Field(default=None, max_length=500)

    @field_validator("reason")
    @classmethod
    def _why(cls, v: str | None) -> str | None:
        return plaintext.notes_if_any(v)  # as typed, shown to the desk: a note's rule


class DeskOptions(BaseModel):
    """What the front desk adds to a booking body: whether the client is told, and a
    walk-in (starting now)."""

    model_config = ConfigDict(extra="forbid")
    notify: StrictBool = True
    walk_in: StrictBool = False


class DeskRescheduleIn(BaseModel):
    """POST /admin/appointments/{id}/reschedule; `start` is read in the business's zone."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    start: str = Field(min_length=1, max_length=40)
    staff: str | None = Field(default=None, min_length=1, max_length=40)
    notify: StrictBool = True


class DeskCancelIn(BaseModel):
    """POST /admin/appointments/{id}/cancel: `by` who cancels (she phoned, or the salon
    must); `invite` puts a booking link for the same service and staff member in the
    cancellation message (by default only when the salon cancels); `refund` (the owner's:
    money) gives back all she paid that is still held, as the cancellation's own refund,
    so that its message says what comes back now and what came back before."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str | None = Field(default=None, max_length=500)
    notify: StrictBool = True
    invite: StrictBool | None = None
    by: Literal["client", "salon"] = BY_CLIENT
    refund: StrictBool = False

    @field_validator("reason")
    @classmethod
    def _why(cls, v: str | None) -> str | None:
        return plaintext.notes_if_any(v)  # her cancellation message may say it

    @property
    def invites(self) -> bool:
        return self.invite if self.invite is not None else self.by == BY_SALON


def cancellation_deadline(start: datetime, window_hours: int) -> datetime:
    """When the cancellation window begins."""
    return start - timedelta(hours=window_hours)


# A message offers a change only when at least this much of the time to change is left
# when it is sent: "change until 19:18" read at 19:15 is no offer.
OFFER_MIN_LEAD = timedelta(minutes=10)


def change_deadline(start: datetime, booked_at: datetime, window_hours: int, grace_minutes: int) -> datetime:
    """Until when the client may cancel or move her booking online.

    Normally until the cancellation window begins. A booking made inside the window (or
    just before it) may still be changed for `grace_minutes` after it was made — a typo
    in the day is fixed at once — and never after its start. With no grace such a
    booking cannot be changed online at all: its deadline is already past."""
    deadline = cancellation_deadline(start, window_hours)
    grace = booked_at + timedelta(minutes=grace_minutes)
    if grace_minutes and grace > deadline:
        return min(grace, start)
    return deadline


def can_change(
    start: datetime, now: datetime, window_hours: int, booked_at: datetime | None = None, grace_minutes: int = 0
) -> bool:
    """May the client cancel or move the booking online now? (change_deadline)"""
    return now < change_deadline(start, booked_at or start, window_hours, grace_minutes if booked_at else 0)


def offers_change(deadline: datetime, now: datetime) -> bool:
    """Does a message sent (or a page shown) at `now` offer to change the booking?"""
    return deadline - now >= OFFER_MIN_LEAD


@dataclass
class Appointment:
    """One booking, as the rules see it (UTC instants)."""

    id: str
    business_id: str
    client_id: str
    service_id: str
    staff_id: str
    start: datetime
    end: datetime
    occupied_until: datetime
    status: str
    price_cents: int
    locale: str
    created_at: datetime
    updated_at: datetime
    note: str | None = None
    source: str = "web"
    seq: int = 0
    reschedules: int = 0
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    cancelled_by: str | None = None  # BY_SALON, BY_CLIENT; None: hers (stored before it was)
    # Cancelled at the desk giving back all she paid (`refund: true`), whatever her terms
    # keep: the salon let the cancellation's cost go, so no late fee is hers to pay.
    cancel_gave_back: bool = False
    reminders_off: bool = False
    # A public booking whose SMS the number's or the IP's SMS of the day left out (its
    # confirmation and reminders go by email only): the desk's reminder list says why.
    sms_limited: bool = False
    # Booked on the web under a known client's phone or email alongside a contact she is not
    # known by (clients.foreign_contact): anyone may type her number, so its messages, its
    # manage page and its feedback page carry no link to her card or to her details.
    foreign_contact: bool = False
    reward_id: str | None = None  # a reward redeemed on this visit; price_cents is after it
    discount_cents: int = 0
    # Why a perk her booking came with was not applied (PerkNotApplied): said on the page
    # after booking, her confirmation and her booking's pages, never silently full price.
    perk_not_applied: str | None = None
    reminded: bool = False  # a reminder of it was sent (the KPIs compare no-shows)
    feedback_requested: bool = False
    # False for a past visit imported without stamps (POST /imports with "stamps": false).
    earns_stamp: bool = True
    # False for a past visit imported from a file that gave only its day: placed at
    # csv_import.VISIT_TIME_UNKNOWN, a time nobody should read as when she came.
    time_known: bool = True
    # One hold at most: the booking's time is held only until `hold_until`, waiting for
    # `hold_for` (HoldFor): a new client's confirmation by the link sent to her
    # (Limits.hold_unconfirmed; booked, `hold_confirmed_at` once she did: a contact that
    # proved itself), or her payment (pending_payment until paid; domain/payments.py).
    hold_until: datetime | None = None
    hold_for: str | None = None
    hold_confirmed_at: datetime | None = None
    payment: BookingPayment | None = None  # what it pays or secures
    # Bumped by every write of `payment`: a write of it from a read is conditioned on it
    # (store/payments.py), so two writers never lose each other's change.
    payment_rev: int = 0
    checkout: CheckedOut | None = None  # checked out at the desk: how, what was paid, when
    # A card-on-file checkout charge asked of Stripe whose outcome is not known yet: its key
    # `s<seq>p<payment_rev>:<amount>` (store/payments.py start_card_checkout).
    checkout_charging: str | None = None
    # The waitlist offer it was booked from (source `waitlist`): paid, it counts as the
    # offer's refill; its hold run out unpaid, the entry is open again (docs/waitlist.md).
    waitlist_offer: str | None = None
    # When the desk marked her arrived: kept through a done or no-show mark, so that mark's
    # undo during the visit leaves her arrived (she is in the chair), not merely booked.
    arrived_at: datetime | None = None
    # Marked done or a no-show while its time ran: its staff member's time held only until
    # then (the day sheets say the same), the rest free; None: held as booked.
    held_until: datetime | None = None
    # Booked with "anyone will do" (no stylist chosen): moved online, it goes to whoever is
    # free at the new time (her own stylist first), not only to the one she was given.
    any_staff: bool = False

    @property
    def time_held_until(self) -> datetime:
        """The end of the time it holds her: its buffer's end, or earlier when done early."""
        return min(self.occupied_until, self.held_until) if self.held_until else self.occupied_until

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def reminders_go(self) -> bool:
        """Will her reminders go: on (she can turn them off), and the visit still booked, or
        being paid (they go once it is). A cancelled, completed or no-show visit gets none:
        the sender reminds only a booked one (domain/messages.py visit_as_planned)."""
        return not self.reminders_off and self.status in (Status.BOOKED.value, Status.PENDING_PAYMENT.value)

    @property
    def came_to_cents(self) -> int:
        """What the visit came to: the total the desk checked out (it may set the final
        price), else its booked price — what revenue and her spend count."""
        if self.checkout is not None and self.checkout.total_cents is not None:
            return self.checkout.total_cents
        return self.price_cents

    @property
    def waits_for(self) -> str | None:
        """What its hold still waits for (a HoldFor value), or None: not held, or no more.
        (A hold stored before `hold_for` was is a confirmation's.)"""
        if self.hold_until is None:
            return None
        if self.status == Status.PENDING_PAYMENT.value:
            return HoldFor.PAYMENT.value
        if self.status == Status.BOOKED.value and self.hold_confirmed_at is None and self.hold_for != HoldFor.PAYMENT:
            return HoldFor.CONFIRMATION.value
        return None

    @property
    def held(self) -> bool:
        """Its time held only until `hold_until`, for the client's confirmation or payment."""
        return self.waits_for is not None

    @property
    def awaiting_confirmation(self) -> bool:
        """Booked, its time held only until the client confirms it by her link."""
        return self.waits_for == HoldFor.CONFIRMATION.value

    @property
    def vouches_for_client(self) -> bool:
        """Does this booking show its client is no stranger (not new, for the holds)?
        A visit that took place, or a hold she confirmed by her link."""
        return self.status in (Status.ARRIVED.value, Status.COMPLETED.value) or self.hold_confirmed_at is not None

    @property
    def never_booked(self) -> bool:
        """Cancelled when its hold ended unconfirmed or unpaid: it never was a booking."""
        return self.status == Status.CANCELLED.value and self.cancel_reason in HOLD_ENDINGS

    @property
    def cancelled_by_salon(self) -> bool:
        """Cancelled by the salon, not by her: never counted against her."""
        return self.status == Status.CANCELLED.value and self.cancelled_by == BY_SALON

    @property
    def rebook_staff(self) -> str | None:
        """The stylist a "book again" link chooses for her: hers, unless the salon cancelled
        (the stylist may be ill: she chooses, anyone free by default)."""
        return None if self.cancelled_by_salon else self.staff_id

    @property
    def shown_status(self) -> str:
        return AWAITING_CONFIRMATION if self.awaiting_confirmation else self.status

    def moved_to(self, start: datetime, service: Service, now: datetime, staff_id: str | None = None) -> Appointment:
        """The same booking at another time, or with someone else (its messages' keys
        follow `seq`)."""
        return replace(
            self,
            staff_id=staff_id or self.staff_id,
            start=start,
            end=start + timedelta(minutes=service.duration_minutes),
            occupied_until=start + timedelta(minutes=service.occupancy_minutes),
            seq=self.seq + 1,
            reschedules=self.reschedules + 1,
            updated_at=now,
        )

    def change_deadline(self, window_hours: int, grace_minutes: int) -> datetime:
        """Until when she may cancel or move it online (change_deadline)."""
        return change_deadline(self.start, self.created_at, window_hours, grace_minutes)

    def cancelled_late(self, window_hours: int, grace_minutes: int) -> bool:
        """Cancelled once she could no longer cancel free (change_deadline): one made in
        the grace after booking inside the window was free, and is not late."""
        return (
            self.status == Status.CANCELLED.value
            and self.cancelled_at is not None
            and self.cancelled_at > self.change_deadline(window_hours, grace_minutes)
        )

    def days(self, tz: ZoneInfo) -> list[date]:
        """The local days whose sheets hold its time (chalicelib/domain/daysheet.py)."""
        return days_touched(self.start, self.occupied_until, tz)
