"""Business configuration: the business, its services, staff and booking rules.

Validated with pydantic so that a config file with mistakes is rejected with a
list of precise, human-readable errors before anything is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from chalicelib.domain import plaintext
from chalicelib.domain.locales import Locale
from chalicelib.domain.payments import FINNISH_VAT_PERCENT, PaymentPolicy, Payments, VatPercent
from chalicelib.domain.plaintext import TypedLine, TypedLines

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Every duration, buffer, step and opening time sits on a 5-minute grid: the calendar
# draws it, and the desk books on it.
GRANULE_MINUTES = 5
# A booking is written on the day sheet of each day it touches, whatever its length
# (chalicelib/domain/daysheet.py): a day-long course is as cheap as a haircut.
MAX_OCCUPANCY_MINUTES = 12 * 60
MAX_REMINDER_RULES = 4

_ID = r"^[a-z0-9][a-z0-9-]{0,39}$"
_HHMM = re.compile(r"([01]?\d|2[0-4]):([0-5]\d)", re.ASCII)  # fullmatch: "09:00\n" is not a time, "١٦:٠٠" neither

Id = Annotated[str, Field(pattern=_ID)]


def in_finland(timezone: str | None, phone: str | None) -> bool:
    """Is the business in Finland: its time zone Finland's (contacts.zone_country: Åland's
    reads as Finland's, whose VAT rates it keeps too), or its own phone's country Finland?
    A business with neither is not: DEFAULT_REGION, the region a number typed without its
    country code is read in, is no proof of where it is."""
    from chalicelib.domain.contacts import phone_country, zone_country

    return zone_country(timezone) == "FI" or (bool(phone) and phone_country(phone) == "FI")


def _not_a_number(v: object) -> object:
    # Pydantic reads a number as a timestamp (0 is 1970-01-01): a day is written as one.
    if isinstance(v, (int, float)):
        raise ValueError("expected a date, YYYY-MM-DD")
    return v


# A day of the settings (a closure, a day off, where stamps count from): an ISO date.
Day = Annotated[date, BeforeValidator(_not_a_number)]


def _parse_hhmm(value: str) -> int:
    """'09:30' -> minutes after midnight; '24:00' allowed as end of day."""
    m = _HHMM.fullmatch(value)
    if not m:
        raise ValueError(f"'{value}' is not a time like 09:30")
    minutes = int(m.group(1)) * 60 + int(m.group(2))
    if minutes > 24 * 60:
        raise ValueError(f"'{value}' is past midnight")
    if minutes % GRANULE_MINUTES:
        raise ValueError(f"'{value}' must be on a {GRANULE_MINUTES}-minute boundary")
    return minutes


def _parse_moment(value: str) -> int:
    """A moment of the day ('10:00' to send at): '24:00' ends a day but is none (a
    sending time of 24:00 would never come)."""
    minutes = _parse_hhmm(value)
    if minutes == 24 * 60:
        raise ValueError(f"'{value}' is the end of the day; a time of day is 00:00-23:59")
    return minutes


class Interval(BaseModel):
    """Opening interval in local wall-clock minutes after midnight."""

    model_config = ConfigDict(frozen=True)
    start: int
    end: int

    @classmethod
    def parse(cls, pair: object) -> Interval:
        if isinstance(pair, Interval):
            return pair
        if isinstance(pair, dict):
            pair = (pair.get("start"), pair.get("end"))
        if isinstance(pair, str) and "-" in pair:
            pair = pair.split("-", 1)
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError('an interval is written as ["09:00", "17:00"] or "09:00-17:00"')
        start, end = (_parse_hhmm(str(p).strip()) for p in pair)
        if end <= start:
            raise ValueError(f"interval {pair[0]}-{pair[1]} ends before it starts")
        return cls(start=start, end=end)

    def label(self) -> str:
        return "-".join(self._hhmm())

    def _hhmm(self) -> list[str]:
        return [f"{m // 60:02d}:{m % 60:02d}" for m in (self.start, self.end)]

    @model_serializer
    def _serialize(self) -> list[str]:
        # Stored and served the way owners write it: ["09:00", "17:00"].
        return self._hhmm()


def _https_url(v: str | None) -> str | None:
    if v is not None and not re.match(r"^https://[^\s]+$", v):
        raise ValueError("must be an https:// URL")
    return v


def _parse_intervals(value: object) -> tuple[Interval, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise ValueError("expected a list of intervals")
    if any(isinstance(v, int) and not isinstance(v, bool) for v in value):
        # YAML reads an unquoted 10:00 as the number 600.
        raise ValueError('write times in quotes, e.g. ["10:00", "16:00"]')
    # A single pair written flat: ["09:00", "17:00"]
    if len(value) == 2 and all(isinstance(v, str) and ":" in v and "-" not in v for v in value):
        value = [value]
    out = sorted((Interval.parse(v) for v in value), key=lambda i: i.start)
    for a, b in zip(out, out[1:]):
        if b.start < a.end:
            raise ValueError(f"intervals {a.label()} and {b.label()} overlap")
    return tuple(out)


class WeeklyHours(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    mon: tuple[Interval, ...] = ()
    tue: tuple[Interval, ...] = ()
    wed: tuple[Interval, ...] = ()
    thu: tuple[Interval, ...] = ()
    fri: tuple[Interval, ...] = ()
    sat: tuple[Interval, ...] = ()
    sun: tuple[Interval, ...] = ()

    @field_validator(*WEEKDAYS, mode="before")
    @classmethod
    def _intervals(cls, v: object) -> tuple[Interval, ...]:
        return _parse_intervals(v)

    def for_weekday(self, weekday: int) -> tuple[Interval, ...]:
        hours: tuple[Interval, ...] = getattr(self, WEEKDAYS[weekday])
        return hours


class LocalizedText(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    fi: TypedLine = Field(min_length=1, max_length=120)
    sv: TypedLine | None = Field(default=None, max_length=120)
    en: TypedLine | None = Field(default=None, max_length=120)

    def get(self, locale: str) -> str:
        return getattr(self, locale, None) or self.en or self.fi

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, v: object) -> object:
        return {"fi": v} if isinstance(v, str) else v


class LocalizedParagraph(LocalizedText):
    """A few sentences in each language (the booking page's introduction)."""

    fi: TypedLines = Field(min_length=1, max_length=600)
    sv: TypedLines | None = Field(default=None, max_length=600)
    en: TypedLines | None = Field(default=None, max_length=600)


class LocalizedPerk(LocalizedText):
    """A perk told in a marketing message, in each client's language (a plain string, as
    configurations before 7 Dec 2026 had it, is the Finnish one)."""

    fi: TypedLine = Field(min_length=1, max_length=200)
    sv: TypedLine | None = Field(default=None, max_length=200)
    en: TypedLine | None = Field(default=None, max_length=200)


# An image of the business's own set (chalicelib/static/img/manifest.json locally, the
# media bucket in AWS): a name, never a URL, so each is served sized and cached.
ImageName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")]


class Service(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Id
    name: LocalizedText
    # How the booking page and the dashboard group services ("Hair", "Colour"...).
    category: LocalizedText | None = None
    description: LocalizedText | None = None
    duration_minutes: StrictInt = Field(ge=GRANULE_MINUTES, le=MAX_OCCUPANCY_MINUTES)
    price_cents: StrictInt = Field(ge=0, le=10_000_00)
    # Where the price depends on the hair's length or the stylist: the page shows
    # "69–89 €"; the booking records price_cents (the "from") for the desk to adjust.
    price_max_cents: StrictInt | None = Field(default=None, ge=0, le=10_000_00)
    buffer_minutes: StrictInt = Field(default=0, ge=0, le=120)
    # How often clients typically come back for this service (retention rhythm).
    return_interval_days: StrictInt | None = Field(default=None, ge=1, le=730)
    # What a booking of it pays or secures up front; None: the business's policy.
    payment: PaymentPolicy | None = None
    # The VAT rate in its price (%); None: the business's (BusinessConfig.vat_percent).
    vat_percent: VatPercent | None = None

    @field_validator("payment")
    @classmethod
    def _deposit_in_price(cls, v: PaymentPolicy | None, info: ValidationInfo) -> PaymentPolicy | None:
        # On the payment's own path: the service's card marks its deposit box.
        price = info.data.get("price_cents")
        if v is not None and v.deposit_cents is not None and price is not None and v.deposit_cents > price:
            raise ValueError("the deposit may be at most the price")
        return v

    @model_validator(mode="after")
    def _grid(self) -> Self:
        if self.price_max_cents is not None and self.price_max_cents < self.price_cents:
            raise ValueError("price_max_cents must be at least price_cents")
        for name in ("duration_minutes", "buffer_minutes"):
            if getattr(self, name) % GRANULE_MINUTES:
                raise ValueError(f"{name} must be a multiple of {GRANULE_MINUTES}")
        if self.duration_minutes + self.buffer_minutes > MAX_OCCUPANCY_MINUTES:
            raise ValueError(f"duration plus buffer may be at most {MAX_OCCUPANCY_MINUTES} minutes")
        return self

    @property
    def occupancy_minutes(self) -> int:
        return self.duration_minutes + self.buffer_minutes


class Staff(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Id
    name: TypedLine = Field(min_length=1, max_length=80)
    title: LocalizedText | None = None
    photo_url: str | None = Field(default=None, max_length=500)
    photo: ImageName | None = None  # of the business's images; shown before photo_url
    services: tuple[Id, ...] = Field(min_length=1)
    hours: WeeklyHours
    days_off: tuple[Day, ...] = ()
    # A date's own hours, replacing the weekly ones; an empty list means not working.
    exceptions: dict[date, tuple[Interval, ...]] = Field(default_factory=dict)

    @field_validator("exceptions", mode="before")
    @classmethod
    def _exceptions(cls, v: object) -> object:
        if v is None:
            return {}
        if not isinstance(v, dict):
            raise ValueError("exceptions map a date to a list of intervals")
        return {k: _parse_intervals(iv) for k, iv in v.items()}

    @field_validator("photo_url")
    @classmethod
    def _photo(cls, v: str | None) -> str | None:
        return _https_url(v)


class ShopWindow(BaseModel):
    """What the booking page shows before the services: the cover and logo, a short
    introduction, the map link, and the salon's rating once enough clients have rated."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    intro: LocalizedParagraph | None = None
    cover: ImageName | None = None
    logo: ImageName | None = None
    # A map of the address; by default an OpenStreetMap search for it (a plain link).
    map_url: str | None = Field(default=None, max_length=500)
    show_rating: StrictBool = True
    # Below this many ratings an average means little (one unhappy client is "1.0").
    rating_min_count: StrictInt = Field(default=5, ge=1, le=1000)

    @field_validator("map_url")
    @classmethod
    def _map(cls, v: str | None) -> str | None:
        return _https_url(v)


class BookingRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    min_notice_minutes: StrictInt = Field(default=120, ge=0, le=60 * 24 * 14)
    max_horizon_days: StrictInt = Field(default=90, ge=1, le=366)
    slot_step_minutes: StrictInt = Field(default=15, ge=GRANULE_MINUTES, le=240)
    cancellation_window_hours: StrictInt = Field(default=24, ge=0, le=24 * 14)
    # A booking made inside the window may be changed online this long after it was
    # made (0: not at all); chalicelib/domain/booking.py change_deadline.
    change_grace_minutes: StrictInt = Field(default=15, ge=0, le=24 * 60)

    @field_validator("slot_step_minutes")
    @classmethod
    def _step(cls, v: int) -> int:
        if v % GRANULE_MINUTES:
            raise ValueError(f"must be a multiple of {GRANULE_MINUTES}")
        return v


class ReminderRule(BaseModel):
    """When a reminder goes out: a lead time, or the day before at a local time."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    channel: str
    hours_before: StrictInt | None = Field(default=None, ge=1, le=24 * 7)
    day_before_at: str | None = None

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        if v not in ("email", "sms"):
            raise ValueError("must be email or sms")
        return v

    @field_validator("day_before_at")
    @classmethod
    def _at(cls, v: str | None) -> str | None:
        if v is not None:
            _parse_moment(v)
        return v

    @model_validator(mode="after")
    def _one_timing(self) -> Self:
        if (self.hours_before is None) == (self.day_before_at is None):
            raise ValueError("give either hours_before or day_before_at")
        return self

    @property
    def id(self) -> str:
        when = f"{self.hours_before}h" if self.hours_before else f"d1-{(self.day_before_at or '').replace(':', '')}"
        return f"{self.channel}-{when}"

    @property
    def day_before_minutes(self) -> int | None:
        return _parse_hhmm(self.day_before_at) if self.day_before_at else None


class QuietHours(BaseModel):
    """No SMS between start and end, local time (the window may wrap past midnight)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    start: str = "21:00"
    end: str = "08:00"

    @field_validator("start")
    @classmethod
    def _start(cls, v: str) -> str:
        _parse_moment(v)
        return v

    @field_validator("end")
    @classmethod
    def _end(cls, v: str, info: ValidationInfo) -> str:
        end, start = _parse_hhmm(v), info.data.get("start")
        if start is not None and _parse_hhmm(start) == 0 and end == 24 * 60:
            # Every SMS held for ever (reminders, waitlist offers): surely not meant.
            raise ValueError("quiet hours cannot cover the whole day")
        return v

    @property
    def start_minutes(self) -> int:
        return _parse_hhmm(self.start)

    @property
    def end_minutes(self) -> int:
        return _parse_hhmm(self.end)


DEFAULT_REMINDERS = (ReminderRule(channel="email", hours_before=24), ReminderRule(channel="sms", hours_before=2))


class FeedbackSettings(BaseModel):
    """When the feedback request goes out, and what counts as a low score."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    delay_hours: StrictFloat = Field(default=2, ge=0, le=72)  # after the visit ends
    day_start: str = "09:00"  # requests go out in these local hours only
    day_end: str = "20:00"
    low_score: StrictInt = Field(default=3, ge=1, le=4)  # at or below: the owner is alerted
    min_days_between: StrictInt = Field(default=7, ge=0, le=90)  # per client

    @field_validator("day_start")
    @classmethod
    def _start(cls, v: str) -> str:
        _parse_moment(v)
        return v

    @field_validator("day_end")
    @classmethod
    def _window(cls, v: str, info: ValidationInfo) -> str:
        # On day_end's own path: the settings card marks the field to fix.
        end, start = _parse_hhmm(v), info.data.get("day_start")
        if start is not None and _parse_hhmm(start) >= end:
            raise ValueError("day_start must be before day_end")
        return v


class Retention(BaseModel):
    """When a client whose visits stopped counts as at risk or lapsed.

    The status comes from the business's fitted return model (chalicelib/domain/returns.py):
    once her expected visit has passed, at risk when P(she is still a client) drops below
    `at_risk_below`, lapsed below `lapsed_below`. Left out (None), both are fitted to
    the business's own past by the weekly refit (returns.validate(): the best F1 of
    "lapsed" on earlier half-years), 0.8 and 0.6 until it has one. The rhythm rule's multiples
    (`at_risk_after`, `lapsed_after`: x her rhythm past the expected visit) are kept for
    the comparison in bench/lapse.py only; `default_return_days` is the rhythm assumed
    before she has three visits and the prior's typical gap for a business with little
    history; `return_window_days` the window "will she come back?" is asked over."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    at_risk_after: StrictFloat = Field(default=0.5, gt=0, le=5)
    lapsed_after: StrictFloat = Field(default=1.5, gt=0, le=10)
    default_return_days: StrictInt = Field(default=42, ge=1, le=730)
    # "Will she be back?" is asked over this window, and a lapse is fitted as no visit in
    # it: half a year for a salon; a business whose clients come yearly sets a year or more.
    return_window_days: StrictInt = Field(default=182, ge=28, le=730)
    at_risk_below: StrictFloat | None = Field(default=None, gt=0, lt=1)
    lapsed_below: StrictFloat | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.lapsed_after <= self.at_risk_after:
            raise ValueError("lapsed_after must be greater than at_risk_after")
        if (self.at_risk_below is None) != (self.lapsed_below is None):
            raise ValueError("set both at_risk_below and lapsed_below, or neither (fitted to your own past)")
        if self.lapsed_below is not None and self.at_risk_below is not None and self.lapsed_below > self.at_risk_below:
            raise ValueError("lapsed_below must be at most at_risk_below")
        return self


class Marketing(BaseModel):
    """Win-back and birthday messages: when they go, how often, and the perk."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    min_days_between: StrictInt = Field(default=14, ge=0, le=180)  # any marketing to one client
    send_at: str = "10:00"  # local time of the daily marketing run
    winback_messages: StrictInt = Field(default=2, ge=0, le=5)  # per lapse episode
    winback_days_between: StrictInt = Field(default=21, ge=1, le=365)
    birthday_greetings: StrictBool = True
    birthday_perk: LocalizedPerk | None = None  # e.g. {"fi": "-20 % koodilla SYNTTARIT", "sv": ...}
    # "Time for your next visit": to active clients, this many days before her next
    # visit is expected (her rhythm), when nothing is booked.
    next_visit_nudge: StrictBool = False
    nudge_lead_days: StrictInt = Field(default=3, ge=0, le=30)

    @field_validator("send_at")
    @classmethod
    def _time(cls, v: str) -> str:
        _parse_moment(v)
        return v


class Perk(BaseModel):
    """A discount on one visit: a percentage or a fixed amount off the service's price,
    described to the client in her language."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    percent_off: StrictInt | None = Field(default=None, ge=1, le=100)
    amount_off_cents: StrictInt | None = Field(default=None, ge=1, le=1_000_000)
    description: LocalizedText | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.percent_off is None) == (self.amount_off_cents is None):
            raise ValueError("give exactly one of percent_off or amount_off_cents")
        return self


class Loyalty(BaseModel):
    """Stamp card: a stamp per completed visit; every `stamps_for_reward` stamps earn
    the reward. Visits before `counts_from` (the day the card started) earn nothing."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    enabled: StrictBool = False
    stamps_for_reward: StrictInt = Field(default=10, ge=2, le=50)
    reward: Perk = Perk(percent_off=50)
    reward_valid_days: StrictInt | None = Field(default=365, ge=7, le=3650)
    counts_from: Day | None = None


class Referrals(BaseModel):
    """A client's personal link: a new client who books through it gets the welcome perk
    on that booking; when her first visit is completed, the referrer gets her reward."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    enabled: StrictBool = False
    referrer_reward: Perk = Perk(percent_off=20)
    welcome_perk: Perk = Perk(percent_off=10)
    reward_valid_days: StrictInt | None = Field(default=365, ge=7, le=3650)


class Privacy(BaseModel):
    """How long a client who no longer visits is kept before automatic erasure."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    erase_inactive_after_years: StrictInt = Field(default=3, ge=1, le=10)


class HoldUnconfirmed(BaseModel):
    """A new client's public booking far ahead or in bulk holds its time only `minutes`
    until she clicks the confirmation link sent to her (chalicelib/domain/limits.py
    `hold_until`); unconfirmed, the time is freed. Off by default."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    enabled: StrictBool = False
    minutes: StrictInt = Field(default=30, ge=5, le=24 * 60)
    far_ahead_days: StrictInt = Field(default=14, ge=1, le=730)  # a visit starting this many days ahead or more
    bulk_bookings: StrictInt = Field(default=3, ge=2, le=100)  # this contact's n-th booking still to come, or more


class Limits(BaseModel):
    """What the public booking API lets one contact (phone, email) or one client IP do
    (chalicelib/domain/limits.py): bookings in a rolling window, and future bookings
    still to come per contact. Over a limit: 429 with Retry-After."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    window_hours: StrictInt = Field(default=24, ge=1, le=24 * 7)
    bookings_per_contact: StrictInt = Field(default=5, ge=1, le=100)  # per phone, per email, in the window
    bookings_per_ip: StrictInt = Field(default=20, ge=1, le=1000)  # per client IP, in the window
    pending_per_contact: StrictInt = Field(default=8, ge=1, le=100)  # booked and still to come
    hold_unconfirmed: HoldUnconfirmed = HoldUnconfirmed()


DEFAULT_SMS_COUNTRIES = ("FI", "SE", "NO", "DK", "EE")


class SmsRules(BaseModel):
    """Who may be texted, and how much (SMS pumping): only numbers of these countries
    (others still get email), a few SMS per number and per client IP a day from the
    public API, and a daily budget of the business's SMS (then SMS stop, email goes on,
    and the `sms_budget_exhausted` metric fires)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    countries: tuple[str, ...] = Field(default=DEFAULT_SMS_COUNTRIES, max_length=50)
    per_number_per_day: StrictInt = Field(default=4, ge=0, le=100)
    per_ip_per_day: StrictInt = Field(default=10, ge=0, le=1000)
    daily_budget: StrictInt = Field(default=300, ge=0, le=100_000)

    @field_validator("countries", mode="before")
    @classmethod
    def _yaml_norway(cls, v: object) -> object:
        if isinstance(v, (list, tuple)) and any(isinstance(c, bool) for c in v):
            raise ValueError(
                'write the country codes in quotes: YAML reads a bare NO (Norway) as false, e.g. ["FI", "NO"]'
            )
        return v

    @field_validator("countries")
    @classmethod
    def _countries(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        import phonenumbers

        unknown = [c for c in v if c not in phonenumbers.SUPPORTED_REGIONS]
        if unknown:
            raise ValueError(f"not ISO 3166 country codes with phone numbers: {', '.join(unknown)}")
        return tuple(dict.fromkeys(v))


class WaitlistRules(BaseModel):
    """The waitlist (chalicelib/domain/waitlist.py): freed time is offered to every
    matching entry at once (the first to book wins), or in `queue` mode to one at a time
    in the order they joined, each holding it `hold_minutes` before the next is offered."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    enabled: StrictBool = True
    mode: Literal["all", "queue"] = "all"
    hold_minutes: StrictInt = Field(default=15, ge=5, le=24 * 60)
    offers_per_day: StrictInt = Field(default=3, ge=1, le=20)  # per client (her contact), local day
    entries_per_contact: StrictInt = Field(default=3, ge=1, le=20)  # open entries per phone or email


CLOSURE_NAME_MAX = 40


class Closure(BaseModel):
    """A day the business is closed, with the owner's own short name for it ("Juhannus",
    "Koulutuspäivä"), which the desk's calendar shows; never shown to clients. Read from a
    bare date too (business files and configs stored before days had names)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    date: Day
    name: str | None = Field(default=None, max_length=CLOSURE_NAME_MAX)

    @model_validator(mode="before")
    @classmethod
    def _from_date(cls, v: object) -> object:
        return {"date": v} if isinstance(v, (str, dt.date)) else v

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: object) -> object:
        if isinstance(v, str):
            wrong = plaintext.problem(v)  # one line, nothing invisible (domain/plaintext.py)
            if wrong == plaintext.ONE_LINE:
                raise ValueError("a closed day's name is one line without control characters")
            if wrong:
                raise ValueError("a closed day's name must not hold invisible or text-direction characters")
            return v.strip() or None  # an empty box: no name
        return v


def _one_per_day(closures: tuple[Closure, ...]) -> tuple[Closure, ...]:
    """Sorted by date, each date once: a day listed again is the same closure (its name
    from where it has one); with two different names it is a mistake."""
    out: dict[dt.date, Closure] = {}
    for c in closures:
        seen = out.setdefault(c.date, c)
        if seen.name and c.name and seen.name != c.name:
            raise ValueError(f"{c.date.isoformat()} is listed twice with different names")
        if c.name and not seen.name:
            out[c.date] = c
    return tuple(sorted(out.values(), key=lambda c: c.date))


class BusinessConfig(BaseModel):
    """Everything an owner configures; stored as one item and cached by the API."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    slug: str
    name: TypedLine = Field(min_length=1, max_length=100)
    timezone: str
    locale: Locale = "fi"
    currency: str = "EUR"
    owner_email: str
    # The language of what goes to owner_email (a low rating, a webhook turned off): hers,
    # which may not be her clients' (a Swedish-speaking owner of a Finnish salon). None:
    # the salon's own, `locale`.
    owner_locale: Locale | None = None
    phone: str | None = None
    address: TypedLine = Field(min_length=1, max_length=200)
    review_link: str | None = None
    website: str | None = None
    # The name emails come from ("Salon Aurora <bookings@...>"); the business's name when unset.
    sender_name: str | None = Field(default=None, min_length=1, max_length=60)
    # Alphanumeric SMS sender ID: 1-11 characters, at least one letter.
    sms_sender: str | None = Field(default=None, pattern=r"^[A-Za-z0-9 ]{1,11}$")
    opening_hours: WeeklyHours
    closures: tuple[Closure, ...] = ()  # sorted by date, each date once
    shop: ShopWindow = ShopWindow()
    rules: BookingRules = BookingRules()
    # At most 4: each is planned on each channel in the booking's own transaction.
    reminders: tuple[ReminderRule, ...] = Field(default=DEFAULT_REMINDERS, max_length=MAX_REMINDER_RULES)
    quiet_hours: QuietHours = QuietHours()
    privacy: Privacy = Privacy()
    retention: Retention = Retention()
    marketing: Marketing = Marketing()
    loyalty: Loyalty = Loyalty()
    referrals: Referrals = Referrals()
    feedback: FeedbackSettings = FeedbackSettings()
    limits: Limits = Limits()
    sms: SmsRules = SmsRules()
    payments: Payments = Payments()
    waitlist: WaitlistRules = WaitlistRules()
    services: tuple[Service, ...] = Field(min_length=1)
    staff: tuple[Staff, ...] = Field(min_length=1)

    @property
    def owner_language(self) -> str:
        """The language of the salon's own alerts to owner_email."""
        return self.owner_locale or self.locale

    @field_validator("closures")
    @classmethod
    def _closure_list(cls, v: tuple[Closure, ...]) -> tuple[Closure, ...]:
        return _one_per_day(v)

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not re.match(r"^[a-z0-9][a-z0-9-]{1,39}$", v):
            raise ValueError("use 2-40 lower-case letters, digits and dashes, e.g. salon-aurora")
        return v

    @field_validator("sms_sender")
    @classmethod
    def _sender(cls, v: str | None) -> str | None:
        if v is not None and not re.search(r"[A-Za-z]", v):
            raise ValueError("an SMS sender ID needs at least one letter")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        # Checked against the tz database's list: ZoneInfo() alone accepts odd paths
        # and raises OS errors for folder names such as "Europe".
        if v not in _time_zones():
            raise ValueError(f"'{v}' is not an IANA time zone such as Europe/Helsinki")
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if v != "EUR":
            raise ValueError("only EUR is supported")
        return v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None, info: ValidationInfo) -> str | None:
        # Its country is the business's own (contacts.home_country): a client's number
        # typed without a country code is read in it. Typed without one (or mistyped), a
        # Stockholm salon's "08-123 456 78" would be read as Finland's, and every client's.
        v = (v.strip() or None) if v is not None else None  # an empty box: none
        if v is None or not (info.context or {}).get(plaintext.TYPED):
            return v
        from chalicelib.domain.contacts import normalize_phone

        if not v.startswith("+"):
            raise ValueError("write it with its country code, e.g. +358 9 1234 5678")
        normalize_phone(v)  # a ValueError says it is not a phone number
        return v

    @field_validator("payments")
    @classmethod
    def _vat(cls, v: Payments, info: ValidationInfo) -> Payments:
        # Finland's 25.5 % at a business outside Finland can only be the old default every
        # stored configuration was written with (no other country has that rate): read as
        # none chosen, so her receipts state no tax the business never chose. Typed now (a
        # business file, a settings save), it is refused rather than quietly dropped.
        if v.vat_percent != FINNISH_VAT_PERCENT or "timezone" not in info.data:
            return v
        if in_finland(info.data["timezone"], info.data.get("phone")):
            return v
        if (info.context or {}).get(plaintext.TYPED):
            raise ValueError(
                "vat_percent 25.5 is Finland's general VAT rate and this business is not in Finland "
                "(its time zone and phone): give its own country's rate, or none for no VAT on its receipts"
            )
        return v.model_copy(update={"vat_percent": None})

    @field_validator("owner_email")
    @classmethod
    def _owner_email(cls, v: str) -> str:
        from chalicelib.domain.contacts import normalize_email

        return normalize_email(v)

    @field_validator("review_link", "website")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return _https_url(v)

    @field_validator("sender_name")
    @classmethod
    def _sender_name(cls, v: str | None) -> str | None:
        # It goes into an email header: no line breaks, quotes or angle brackets.
        if v is not None and (not v.strip() or re.search(r'[\x00-\x1f"<>\\]', v)):
            raise ValueError("use letters, digits, spaces and simple punctuation")
        return v.strip() if v is not None else None

    @model_validator(mode="before")
    @classmethod
    def _texts_its_own_country(cls, data: Any) -> Any:
        # A business file that lists no SMS countries texts the default ones and its own
        # phone's country (a walk: a Dublin clinic's Irish clients got no SMS until an
        # operator added IE). Only then: a configuration once saved names its list, so the
        # owner's phone field (the Salon card) cannot widen the operator's guard against
        # SMS pumping (a probe: a phone in Nigeria opened +234 to texts).
        if not isinstance(data, dict):
            return data
        sms = data.get("sms")
        if sms is not None and (not isinstance(sms, dict) or "countries" in sms):
            return data
        from chalicelib.domain.contacts import normalize_phone, phone_country

        try:
            own = phone_country(normalize_phone(data["phone"])) if isinstance(data.get("phone"), str) else None
        except ValueError:
            return data  # refused at its own field
        if own is None or own in DEFAULT_SMS_COUNTRIES:
            return data
        return {**data, "sms": {**(sms or {}), "countries": [*DEFAULT_SMS_COUNTRIES, own]}}

    @model_validator(mode="after")
    def _references(self) -> Self:
        service_ids = [s.id for s in self.services]
        dup = {i for i in service_ids if service_ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate service ids: {', '.join(sorted(dup))}")
        staff_ids = [s.id for s in self.staff]
        dup = {i for i in staff_ids if staff_ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate staff ids: {', '.join(sorted(dup))}")
        for member in self.staff:
            unknown = [s for s in member.services if s not in service_ids]
            if unknown:
                raise ValueError(f"staff '{member.id}' offers unknown services: {', '.join(unknown)}")
        unserved = [s for s in service_ids if not any(s in m.services for m in self.staff)]
        if unserved:
            raise ValueError(f"no staff member offers: {', '.join(unserved)}")
        return self

    # --- lookups used by the rules -------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def home_country(self) -> str:
        """The business's own country (its phone's, else its time zone's, else Finland's):
        the one whose numbers are typed and shown without a country code."""
        from chalicelib.domain.contacts import home_country

        return home_country(self.phone, self.timezone)

    @property
    def vat_percent(self) -> Decimal | None:
        """The VAT rate (%) in the business's prices (a service may have its own): the one
        it set (payments.vat_percent), else Finland's general rate for a business in
        Finland (in_finland); None for any other, whose receipts then state no VAT."""
        if self.payments.vat_percent is not None:
            return self.payments.vat_percent
        return FINNISH_VAT_PERCENT if in_finland(self.timezone, self.phone) else None

    def closure_on(self, day: date) -> Closure | None:
        """The business's closure on local date `day`, if it is closed that day (a scan of a
        short list, as `day in closures` was: always the model's own, even after a copy)."""
        return next((c for c in self.closures if c.date == day), None)

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def staff_member(self, staff_id: str) -> Staff | None:
        return next((s for s in self.staff if s.id == staff_id), None)

    def staff_for(self, service_id: str) -> list[Staff]:
        return [m for m in self.staff if service_id in m.services]

    def does(self, staff_id: str, service_id: str) -> bool:
        """Whether the staff member is still here and does the service."""
        return any(m.id == staff_id for m in self.staff_for(service_id))


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def format_validation_error(err: ValidationError) -> list[str]:
    """Turn pydantic's errors into lines like 'staff[1].hours.mon: ... '."""
    lines = []
    errors = err.errors()
    failed_paths = {tuple(e["loc"][:1]) for e in errors if len(e["loc"]) > 1}
    for e in errors:
        # "at least 1 item" after an item failed is noise: the item's own error says it.
        if e["type"] == "too_short" and tuple(e["loc"]) in failed_paths:
            continue
        loc = ""
        for part in e["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        msg = e["msg"].removeprefix("Value error, ")
        lines.append(f"{loc or '(top level)'}: {msg}")
    return lines


@dataclass(frozen=True)
class Business:
    """A business as Rebook serves it: its id (which never changes, unlike its slug) and
    its validated configuration."""

    id: str
    config: BusinessConfig


def parse_business_config(data: Mapping[str, Any], typed: bool = False) -> BusinessConfig:
    """Validate raw config data; raises pydantic.ValidationError. `typed`: it comes from
    the owner now (settings, a business file), and its names and texts must keep the rule
    of typed text (domain/plaintext.py); a stored configuration is read as it was kept."""
    return BusinessConfig.model_validate(data, context={plaintext.TYPED: True} if typed else None)


def payment_terms(config: BusinessConfig) -> dict[str, Any]:
    """What a client accepts with `payments.version` (docs/payments.md): the business's
    payment policy and cancellation terms, and each service's own policy."""
    return {
        "policy": config.payments.policy.model_dump(mode="json"),
        "terms": config.payments.terms.model_dump(mode="json"),
        "services": {s.id: s.payment.model_dump(mode="json") for s in config.services if s.payment is not None},
    }


def with_terms_version(old: BusinessConfig, new: BusinessConfig) -> BusinessConfig:
    """`new` as a settings save stores it: when the terms a client accepts changed, under a
    `payments.version` above every one before (the owner need not know about versions; a
    booking keeps the version and terms it accepted, a new one accepts the new version).
    The version never goes down: a lower one would name again terms it named before."""
    before = old.payments.version
    floor = before + 1 if payment_terms(old) != payment_terms(new) else before
    if new.payments.version >= floor:
        return new
    return new.model_copy(update={"payments": new.payments.model_copy(update={"version": floor})})
