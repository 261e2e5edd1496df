"""Limits of the public booking API per contact and per client IP (calendar flooding,
SMS pumping): pure rules over "meters".

A meter counts what one subject — a phone number, an email address or a client IP of
one business — did through the public API: an entry per booking it made, with when it
was made, when the visit starts and how many SMS the request asked for. The meter is
read with the booking's other reads and written in the booking's own transaction on
the version read (chalicelib/store/limits.py), so a limit holds exactly however many
requests race. Subjects are kept as salted hashes, never as the contact or address.

- bookings per contact / per IP in a rolling window (`Limits.window_hours`): entries
  made in the last window;
- pending bookings per contact: entries whose visit is still to come — an upper bound
  (a cancelled or moved booking keeps its entry), so only when it reaches the limit
  are the bookings themselves read to count those still booked;
- SMS per number / per IP a day: the SMS of the entries made in the last 24 hours.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

PHONE, EMAIL, IP = "phone", "email", "ip"
CONTACT_KINDS = (PHONE, EMAIL)
SMS_DAY = timedelta(hours=24)
# Retry-After of a limit on pending bookings: they clear as visits happen or are
# cancelled, not at a known moment; an hour is an honest "later".
PENDING_RETRY_AFTER = 3600


def subject_hash(business_id: str, kind: str, value: str) -> str:
    """The meter's name for a subject: salted with the business (no correlation across
    businesses), no personal data in the table's keys."""
    return hashlib.sha256(f"{business_id}|{kind}|{value}".encode()).hexdigest()[:32]


def _minute(t: datetime) -> int:
    return int(t.timestamp() // 60)


def _at(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


@dataclass(frozen=True)
class Entry:
    made: datetime  # when the booking was made
    start: datetime  # when the visit starts
    sms: int = 0  # SMS the request asked for (confirmation, reminders)

    def encode(self) -> str:
        return f"{_minute(self.made)}-{_minute(self.start)}-{self.sms}"

    @classmethod
    def decode(cls, raw: str) -> Entry:
        made, start, sms = (int(x) for x in raw.split("-"))
        return cls(_at(made), _at(start), sms)


@dataclass(frozen=True)
class Meter:
    """One subject's meter as read; `version` 0: nothing was counted yet."""

    business_id: str
    kind: str
    subject: str  # subject_hash
    version: int = 0
    entries: Mapping[str, Entry] = field(default_factory=dict)  # appointment id -> entry
    flagged_at: datetime | None = None  # a limit refused it: a suspected flood
    refused: int = 0

    def made_since(self, since: datetime) -> list[str]:
        return [a for a, e in self.entries.items() if e.made >= since]

    def to_come(self, now: datetime) -> list[str]:
        return [a for a, e in self.entries.items() if e.start > now]

    def sms_since(self, since: datetime) -> int:
        return sum(e.sms for e in self.entries.values() if e.made >= since)

    def stale(self, now: datetime, window: timedelta) -> list[str]:
        """Entries no rule looks at any more: out of every window, visit begun."""
        keep = now - max(window, SMS_DAY)
        return [a for a, e in self.entries.items() if e.made < keep and e.start <= now]

    def expires(self, now: datetime, window: timedelta, more: Iterable[Entry] = ()) -> datetime:
        """When the meter may go (TTL): after its last entry left every window and its
        last visit began, and a day more."""
        every = [*self.entries.values(), *more]
        last = max([now, *(e.made + max(window, SMS_DAY) for e in every), *(e.start for e in every)])
        return last + timedelta(days=1)


@dataclass(frozen=True)
class Refusal:
    """A limit reached: which, for which subject, and when to try again."""

    limit: str  # bookings_per_contact | bookings_per_ip | pending_per_contact
    kind: str
    subject: str
    retry_after: int  # seconds


def _retry_after_window(meter: Meter, now: datetime, window: timedelta, limit: int) -> int:
    """Seconds until enough entries leave the window for one more booking."""
    made = sorted(e.made for e in meter.entries.values() if e.made >= now - window)
    oldest_to_leave = made[len(made) - limit] if len(made) >= limit else now
    return max(1, math.ceil((oldest_to_leave + window - now).total_seconds()))


def window_refusal(
    meters: Iterable[Meter], now: datetime, window: timedelta, per_contact: int, per_ip: int
) -> Refusal | None:
    """The first rolling-window limit this booking would break, if any."""
    for m in meters:
        limit = per_ip if m.kind == IP else per_contact
        if len(m.made_since(now - window)) >= limit:
            name = "bookings_per_ip" if m.kind == IP else "bookings_per_contact"
            return Refusal(name, m.kind, m.subject, _retry_after_window(m, now, window, limit))
    return None


def pending_candidates(meters: Iterable[Meter], now: datetime, limit: int) -> dict[str, list[str]]:
    """Per contact meter at its limit of bookings to come (by the upper bound): the
    appointments to read to count those still booked. Empty: no need to read any."""
    return {m.subject: m.to_come(now) for m in meters if m.kind in CONTACT_KINDS and len(m.to_come(now)) >= limit}


def pending_refusal(meter: Meter, still_booked: int, limit: int) -> Refusal | None:
    if still_booked >= limit:
        return Refusal("pending_per_contact", meter.kind, meter.subject, PENDING_RETRY_AFTER)
    return None


def sms_within_limits(meters: Iterable[Meter], now: datetime, per_number: int, per_ip: int) -> bool:
    """May this request's SMS go: has neither the number nor the client IP had its SMS
    of the last 24 hours? (Over it, the booking still works; email goes on.)"""
    for m in meters:
        if m.kind == PHONE and m.sms_since(now - SMS_DAY) >= per_number:
            return False
        if m.kind == IP and m.sms_since(now - SMS_DAY) >= per_ip:
            return False
    return True


def hold_until(
    *,
    enabled: bool,
    minutes: int,
    far_ahead_days: int,
    bulk_bookings: int,
    new_client: bool,
    start: datetime,
    to_come: int,
    now: datetime,
) -> datetime | None:
    """Until when a public booking holds its time unconfirmed, or None (held as usual).

    Only a new client's booking — no visit of hers took place and she never confirmed a
    hold by her link — and only one far ahead (the
    start `far_ahead_days` or more away) or in bulk (`to_come`: the contact's bookings
    still to come before this one, so this is the `bulk_bookings`-th or later). Never
    past the visit's start."""
    if not enabled or not new_client:
        return None
    far = start - now >= timedelta(days=far_ahead_days)
    bulk = to_come + 1 >= bulk_bookings
    if not (far or bulk):
        return None
    return min(now + timedelta(minutes=minutes), start)


def contact_to_come(meters: Iterable[Meter], now: datetime) -> int:
    """The most bookings still to come of the request's phone or email (an upper bound:
    cancelled ones keep their entries)."""
    return max((len(m.to_come(now)) for m in meters if m.kind in CONTACT_KINDS), default=0)
