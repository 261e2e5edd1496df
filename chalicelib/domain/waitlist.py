"""The waitlist: who wants which service when, and which freed time fits whom.

An entry asks for a service (with one staff member or anyone) on local dates
`first`..`last`, optionally only inside time-of-day windows ("Tue after 16:00"). When
time frees up, the offered start is a free start time by the booking rules (hours,
grid, minimum notice, horizon) whose whole occupancy (buffer included) is free on her
sheet — so it may use the free time around the freed stretch, back to what is taken (or
her time off, or her hours) before it and on to what is taken after it — whose visit
overlaps the freed stretch, and that lies inside one of her windows (`offer_starts`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from chalicelib.domain import availability as avail
from chalicelib.domain.booking import ClientIn, ConsentsIn, TermsVersion
from chalicelib.domain.config import WEEKDAYS, BusinessConfig, QuietHours, Service, Staff
from chalicelib.domain.contacts import same_name
from chalicelib.domain.daysheet import days_touched
from chalicelib.domain.isoday import IsoDay
from chalicelib.domain.reminders import quiet_hours_over  # one rule for every SMS
from chalicelib.domain.timeutil import daterange, parse_utc

# An entry's dates span at most this many days (as availability's range): its day
# index items are written in one transaction with it (chalicelib/store/waitlist.py).
MAX_DAYS = 31
MAX_WINDOWS = 7


class EntryStatus(str, Enum):
    OPEN = "open"
    BOOKED = "booked"  # she took an offer
    LEFT = "left"  # she left the list, or the owner removed her


class OfferStatus(str, Enum):
    OPEN = "open"
    TAKEN = "taken"  # she booked it
    LOST = "lost"  # someone else booked the time first
    # She booked it held for its payment and never paid (the hold ran out, the card was
    # declined): the time went back to the list, her entry is open again (docs/waitlist.md).
    UNPAID = "unpaid"


def _hhmm(v: str) -> int:
    digits = v[:2] + v[3:]
    if len(v) != 5 or v[2] != ":" or not (digits.isascii() and digits.isdigit()):  # not "²2" nor "١٦"
        raise ValueError("expected HH:MM")
    h, m = int(v[:2]), int(v[3:])
    if h > 24 or m > 59 or (h == 24 and m):
        raise ValueError("expected HH:MM")
    return h * 60 + m


class WindowIn(BaseModel):
    """A time-of-day window on some weekdays: {days: ["tue"], start: "16:00", end: "20:00"}."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    days: tuple[str, ...] = Field(default=WEEKDAYS, min_length=1, max_length=7)
    start: str = "00:00"
    end: str = Field(default="24:00", validate_default=True)  # its order check runs on the default too

    @field_validator("days")
    @classmethod
    def _days(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        days = tuple(d.strip().lower() for d in v)
        bad = [d for d in days if d not in WEEKDAYS]
        if bad:
            raise ValueError(f"days are {', '.join(WEEKDAYS)}")
        return tuple(sorted(set(days), key=WEEKDAYS.index))

    @field_validator("start", "end")
    @classmethod
    def _time(cls, v: str) -> str:
        _hhmm(v)
        return v

    @field_validator("end")
    @classmethod
    def _order(cls, v: str, info: ValidationInfo) -> str:
        # On `end`, so that a 422 names the input to fix (windows.0.end), not the window.
        start = info.data.get("start")
        if start is not None and _hhmm(start) >= _hhmm(v):
            raise ValueError("must be after start")
        return v


class WaitlistIn(BaseModel):
    """Body of POST /businesses/{slug}/waitlist (and of the owner's entries)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)
    service: str = Field(min_length=1, max_length=40)
    staff: str | None = Field(default=None, max_length=40)
    first: IsoDay = Field(alias="from")
    last: IsoDay = Field(alias="to")
    windows: tuple[WindowIn, ...] = Field(default=(), max_length=MAX_WINDOWS)
    client: ClientIn
    consents: ConsentsIn = ConsentsIn()

    @field_validator("staff")
    @classmethod
    def _anyone(cls, v: str | None) -> str | None:
        # "" (whitespace stripped) is the page's "anyone": stored as such, or the entry
        # would wait for a staff member called "" and never be offered a time.
        return v or None

    # The business's days (validation context `dates_context`): each date in them, told
    # apart from the other errors of the body and with them, each in its own words.
    @field_validator("first")
    @classmethod
    def _first(cls, v: date, info: ValidationInfo) -> date:
        return _within_business_days(v, info)

    @field_validator("last")
    @classmethod
    def _range(cls, v: date, info: ValidationInfo) -> date:
        # On `to`, so that a 422 names the input to fix, not the whole body.
        first = info.data.get("first")
        if first is not None and v < first:
            raise ValueError("must not be before 'from'")
        _within_business_days(v, info)
        if first is not None and (v - first).days + 1 > MAX_DAYS:
            raise ValueError(f"a range of at most {MAX_DAYS} days")
        return v


class OfferBookIn(BaseModel):
    """Body of POST /offers/{token}/book (none is as empty): a service that takes payment
    needs the version of the payment terms she saw ticked, as a booking from the page does."""

    model_config = ConfigDict(extra="forbid")
    accepted_payment_terms: TermsVersion | None = None


def dates_context(cfg: BusinessConfig, now: datetime) -> dict[str, object]:
    """The validation context of an entry of this business now: its today and the last day
    of its booking horizon, in its time zone."""
    return {
        "today": now.astimezone(cfg.tz).date(),
        "horizon": (now + timedelta(days=cfg.rules.max_horizon_days)).astimezone(cfg.tz).date(),
        "horizon_days": cfg.rules.max_horizon_days,
    }


def _within_business_days(v: date, info: ValidationInfo) -> date:
    ctx = info.context or {}
    if "today" in ctx and v < ctx["today"]:
        raise ValueError("is in the past")
    if "horizon" in ctx and v > ctx["horizon"]:
        raise ValueError(f"is too far ahead: at most {ctx['horizon_days']} days ahead")
    return v


@dataclass(frozen=True)
class Window:
    """Weekdays (0 = Monday) and local minutes [start, end)."""

    weekdays: frozenset[int]
    start: int
    end: int

    @classmethod
    def of(cls, w: WindowIn) -> Window:
        return cls(frozenset(WEEKDAYS.index(d) for d in w.days), _hhmm(w.start), _hhmm(w.end))

    def to_dict(self) -> dict[str, object]:
        return {
            "days": [WEEKDAYS[d] for d in sorted(self.weekdays)],
            "start": f"{self.start // 60:02d}:{self.start % 60:02d}",
            "end": f"{self.end // 60:02d}:{self.end % 60:02d}",
        }

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> Window:
        return cls.of(WindowIn.model_validate(d))


@dataclass(frozen=True)
class Entry:
    id: str
    business_id: str
    service_id: str
    staff_id: str | None
    first: date
    last: date
    windows: tuple[Window, ...]
    name: str
    phone: str | None
    email: str | None
    locale: str
    created_at: datetime
    updated_at: datetime
    status: str = EntryStatus.OPEN.value
    source: str = "web"
    marketing: bool = False
    booked_appointment: str | None = None
    # How the message with her entry's link went when she joined: email, sms, or None
    # (none: no contact the business reaches, or her waitlist messages of the day used up).
    confirmed_by: str | None = None
    # The entry an owner's edit moved this one to (another service or contact): it left
    # the list then, and the contacts it moved off never name it (docs/data-model.md).
    moved_to: str | None = None

    @property
    def contact(self) -> str:
        """The contact her daily message cap (offers, the joining confirmation) counts on:
        her phone, else her email."""
        return self.phone or self.email or ""

    def is_open(self, today: date) -> bool:
        return self.status == EntryStatus.OPEN.value and self.last >= today

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def waits_on(self, day: date) -> bool:
        """Is `day` one she could be offered a time on: among her dates, and a weekday of
        one of her windows if she gave any ("Wednesdays and Thursdays after four")."""
        return self.first <= day <= self.last and (
            not self.windows or any(day.weekday() in w.weekdays for w in self.windows)
        )

    def overlaps(self, first: date, last: date) -> bool:
        return self.first <= last and first <= self.last


@dataclass(frozen=True)
class Offer:
    """A freed time offered to one entry: `start` with `staff_id`, open until `expires_at`."""

    id: str
    business_id: str
    entry_id: str
    service_id: str
    staff_id: str
    start: datetime
    end: datetime  # the service's end (its buffer after it)
    freed_start: datetime  # the freed stretch the offer came from (queue mode offers it on)
    freed_end: datetime
    created_at: datetime
    expires_at: datetime
    mode: str = "all"
    status: str = OfferStatus.OPEN.value
    channel: str | None = None
    appointment_id: str | None = None
    taken_at: datetime | None = None
    price_cents: int = 0
    extra: dict[str, object] = field(default_factory=dict)


def is_persons(entry: Entry, name: str | None, phone: str | None, email: str | None) -> bool:
    """Whether the entry is the person's with this name, phone and email (the GDPR export
    and erasure of a client; the waitlist knows people by contact, and anyone can join
    with any number): its phone or email is hers, and nothing in it names another
    person — its name is hers (contacts.same_name), or its email is hers and its phone
    is none, hers, or one she never gave (she has none on file). Her phone with another's
    name (a daughter joining with her mother's number) is not hers, with or without an
    email of its own; nor is her email with another's name and phone."""
    email_hers = bool(email and entry.email and entry.email.casefold() == email.casefold())
    phone_hers = bool(phone and entry.phone == phone)
    if not (email_hers or phone_hers):
        return False
    if same_name(entry.name, name):
        return True
    return email_hers and (phone_hers or not (phone and entry.phone))


def offer_id(entry_id: str, staff_id: str, start: datetime, freed_at: datetime) -> str:
    """The same entry offered the same time from the same freeing is the same offer (the
    key of its item, so a job running twice offers it once); freed again later, the time
    was taken in between (an offered start's visit overlaps what its freeing freed, and was
    free when offered: `offer_starts`), and she hears of it again. Short enough for an SMS
    link."""
    raw = f"{entry_id}|{staff_id}|{start.timestamp():.0f}|{freed_at.timestamp():.0f}".encode()
    return hashlib.sha256(raw).hexdigest()[:20]


def fits_windows(entry: Entry, start: datetime, end: datetime, tz: ZoneInfo) -> bool:
    """Does the visit [start, end) lie on her dates and inside one of her windows?"""
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    day = local_start.date()
    if not entry.first <= day <= entry.last:
        return False
    if not entry.windows:
        return True
    if local_end.date() != day:
        return False  # windows are within a day
    s = local_start.hour * 60 + local_start.minute
    e = local_end.hour * 60 + local_end.minute
    return any(day.weekday() in w.weekdays and w.start <= s and e <= w.end for w in entry.windows)


Busy = tuple[datetime, datetime]


def held(offer: Offer, now: datetime) -> bool:
    """A queue-mode offer still holding its time for her alone (`hold_minutes`)."""
    return offer.status == OfferStatus.OPEN.value and offer.mode == "queue" and offer.expires_at > now


def held_busy(cfg: BusinessConfig, staff_id: str, offers: Iterable[Offer], now: datetime) -> list[Busy]:
    """The time `staff_id`'s held queue offers keep for their clients (their service's
    whole occupancy, buffer included): not free for another's offer while held, though not
    on her sheet. The free time around a freed stretch (`offer_starts`) may reach into
    time freed just before and held for the first in the queue."""
    out: list[Busy] = []
    for o in offers:
        if o.staff_id != staff_id or not held(o, now):
            continue
        service = cfg.service(o.service_id)
        occupancy = timedelta(minutes=service.occupancy_minutes) if service is not None else o.end - o.start
        out.append((o.start, o.start + max(occupancy, o.end - o.start)))
    return out


def offer_starts(
    cfg: BusinessConfig,
    service: Service,
    staff: Staff,
    freed: tuple[datetime, datetime],
    busy: Iterable[Busy],
    now: datetime,
    entry: Entry,
) -> list[datetime]:
    """Every start the entry could be offered for the freed stretch, best first: a free
    start by the booking rules (its whole occupancy free on the sheet, so it may use the
    free time before and after the stretch: several cancellations side by side make room
    for a longer service), on a day the stretch touches, whose visit overlaps `freed` (a
    refill fills what was freed, not time that was free anyway), and inside her dates and
    windows. Those starting inside `freed` come first, in time order (a freed 13:00 is
    offered as 13:00); then those starting before it, latest first (the visit covering
    the most of the freed time, the free time before it left in one piece)."""
    if entry.staff_id not in (None, staff.id) or service.id != entry.service_id:
        return []
    if service.id not in staff.services:
        return []
    busy = list(busy)
    duration = timedelta(minutes=service.duration_minutes)
    inside: set[datetime] = set()
    before: set[datetime] = set()
    for day in days_touched(freed[0], freed[1], cfg.tz):
        for t in avail.free_starts(cfg, service, staff, day, now, busy):
            if not (t < freed[1] and freed[0] < t + duration) or not fits_windows(entry, t, t + duration, cfg.tz):
                continue
            (inside if t >= freed[0] else before).add(t)
    return sorted(inside) + sorted(before, reverse=True)


def matches(
    cfg: BusinessConfig,
    staff: Staff,
    freed: tuple[datetime, datetime],
    busy: Sequence[Busy],
    now: datetime,
    entries: Iterable[Entry],
) -> list[tuple[Entry, datetime]]:
    """Each open entry with the best start it can be offered (`offer_starts`' first), in
    queue order (first to join first)."""
    today = now.astimezone(cfg.tz).date()
    out = []
    for entry in sorted(entries, key=lambda e: (e.created_at, e.id)):
        service = cfg.service(entry.service_id)
        if not service or not entry.is_open(today):
            continue
        starts = offer_starts(cfg, service, staff, freed, busy, now, entry)
        if starts:
            out.append((entry, starts[0]))
    return out


def sms_send_time(now: datetime, quiet: QuietHours, tz: ZoneInfo, latest: datetime) -> datetime | None:
    """When an offer SMS may go: now, or the first minute after the quiet hours (the one
    rule every client SMS waits by, reminders.quiet_hours_over); None when that is after
    `latest` (it could not be taken in time: the offer is skipped)."""
    t = quiet_hours_over(now, quiet, tz)
    return t if t <= latest else None


def offer_deadline(cfg: BusinessConfig, start: datetime) -> datetime:
    """The last moment an offered start can be booked online (its minimum notice)."""
    return start - timedelta(minutes=cfg.rules.min_notice_minutes)


def can_be_served(
    cfg: BusinessConfig, service: Service, members: Sequence[Staff], first: date, last: date, windows: Sequence[Window]
) -> bool:
    """Could an entry ever be offered a time: does one of `members` (the staff member she
    chose, else everyone who does the service) work, by the opening hours and her hours,
    long enough for the service on one of the days `first`..`last` inside one of the
    windows? Time off is not counted: it may be taken back. At most MAX_DAYS x staff."""
    need = service.duration_minutes
    for day in daterange(first, last):
        for member in members:
            for lo, hi in avail.working_wall(cfg, member, day):
                spans = (
                    [(lo, hi)]
                    if not windows
                    else [(max(lo, w.start), min(hi, w.end)) for w in windows if day.weekday() in w.weekdays]
                )
                if any(end - start >= need for start, end in spans):
                    return True
    return False


@dataclass(frozen=True)
class RefillCount:
    """One booking through an offer, as the waitlist's figures count it (docs/kpis.md): on
    the local day of the offered time, its minutes (the service's, no buffer), its price
    and the seconds from the freeing to the refill."""

    day: date
    minutes: int
    revenue_cents: int
    seconds: int


def refill_of(offer: Offer, price_cents: int, tz: ZoneInfo, now: datetime) -> RefillCount:
    """The refill of `offer` booked (or, held for its deposit, paid) at `now` for
    `price_cents`: timed from when its time was first freed (queue mode: not the later offer)."""
    freed_at = parse_utc(str(offer.extra["freed_at"])) if offer.extra.get("freed_at") else offer.created_at
    return RefillCount(
        offer.start.astimezone(tz).date(),
        int((offer.end - offer.start).total_seconds() // 60),
        price_cents,
        max(0, int((now - freed_at).total_seconds())),
    )


def refill_figures(
    freed_minutes: int, refilled_minutes: int, refills: int, revenue_cents: int, refill_seconds: Sequence[int]
) -> dict[str, int | float | None]:
    """The waitlist's KPIs of a period (docs/kpis.md "Waitlist"): freed and refilled
    minutes, the refill rate (refilled / freed, None when nothing was freed), the revenue
    recovered and the median time from freeing to booking again (None without refills)."""
    ordered = sorted(refill_seconds)
    n = len(ordered)
    median = None if not n else (ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2)
    return {
        "freed_minutes": freed_minutes,
        "refilled_minutes": refilled_minutes,
        "refill_rate": round(min(refilled_minutes / freed_minutes, 1.0), 4) if freed_minutes else None,
        "refills": refills,
        "revenue_recovered_cents": revenue_cents,
        "median_seconds_to_refill": median,
    }


def free_gap(freed: tuple[datetime, datetime], busy: Iterable[Busy]) -> timedelta:
    """How long the free time around a freed stretch is: from the end of what is taken
    before it to the start of what is taken after it (capped at a day: hours bound it
    anyway). Zero when the stretch is taken again already."""
    start, end = freed
    lo, hi = start - timedelta(hours=24), end + timedelta(hours=24)
    for b_start, b_end in busy:
        if b_start < end and start < b_end:
            return timedelta(0)
        if b_end <= start:
            lo = max(lo, b_end)
        if b_start >= end:
            hi = min(hi, b_start)
    return hi - lo
