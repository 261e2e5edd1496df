"""Outbound webhooks (Standard Webhooks): what an integration hears about, what each
event carries, and the rules of delivering it — pure values, no I/O.

An event is built from the change it reports and written into the outbox in that
change's own transaction (one outbox item carries every event of the change); the
sender fans it out to the business's endpoints and delivers each copy, signed, with
retries (chalicelib/notify/webhooks.py). docs/webhooks.md documents every payload.

Payloads carry ids and what an integration needs to act (times, statuses, service and
staff ids, prices), never names, phones, emails or free text: an integration that
needs the person reads the owner API with its own credentials.
"""

from __future__ import annotations

import base64
import ipaddress
import random
import re
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from chalicelib.domain.booking import Appointment
from chalicelib.domain.digits import whole_number
from chalicelib.domain.ids import new_id
from chalicelib.domain.payments import FeeKind, MoneyRecord, fee_kind_of, fee_of_refund
from chalicelib.domain.plaintext import OneLine
from chalicelib.domain.timeutil import iso_utc
from chalicelib.domain.waitlist import Entry, EntryStatus, Offer

EVENT_TYPES = (
    "booking.created",
    "booking.rescheduled",
    "booking.cancelled",
    "visit.arrived",
    "visit.completed",
    "visit.no_show",
    "feedback.received",
    "client.created",
    "client.updated",
    "client.erased",
    "payment.succeeded",
    "payment.refunded",
    "payment.refund_failed",
    "fee.charged",
    "waitlist.joined",
    "waitlist.offered",
    "waitlist.booked",
    "waitlist.left",
)
# Outbox kinds (channel "webhook"): the events of one change, and one event's copy
# for one endpoint.
CHANNEL = "webhook"
WEBHOOK_EVENT = "webhook_event"
WEBHOOK_DELIVERY = "webhook_delivery"
DELIVERY_LOG_KEPT = timedelta(days=30)  # a delivery's log entry (TTL); the retries end long before
NOTHING_SENT_KEPT = timedelta(days=1)  # an event no endpoint wanted: gone soon after (TTL)
MAX_ENDPOINTS = 10  # per business: a fan-out is one transaction (≤ 100 items) ...
EVENTS_PER_ITEM = 9  # ... of the event item and ≤ 9 × 10 deliveries
SECRET_PREFIX = "whsec_"
ROTATION_OVERLAP = timedelta(hours=24)  # both signatures go out this long after a rotation
DISABLE_AFTER = timedelta(days=5)  # an endpoint failing this long is switched off
# After attempt n (1..7) the next one waits SCHEDULE[n - 1] (± 10 % jitter); the 8th
# attempt (chalicelib.domain.messages.MAX_ATTEMPTS) is the last: ~27.5 h in all.
SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
SLOW_DOWN = frozenset({429, 502, 503, 504})  # the receiver is overloaded: wait longer
MAX_RETRY_AFTER = timedelta(hours=24)


# --- endpoints ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Secret:
    value: str  # whsec_<base64>
    expires_at: datetime | None = None  # a rotated-out secret signs until then


@dataclass(frozen=True)
class Endpoint:
    business_id: str
    id: str
    url: str
    events: tuple[str, ...]
    enabled: bool
    secrets: tuple[Secret, ...]
    created_at: datetime
    updated_at: datetime
    description: str = ""
    failing_since: datetime | None = None
    disabled_reason: str | None = None  # gone (410) | failing (5 days) | owner
    version: int = 0

    def wants(self, event_type: str) -> bool:
        return self.enabled and event_type in self.events

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets a delivery at `now` is signed with: the current one and, during
        a rotation's overlap, the previous one too."""
        return [s.value for s in self.secrets if s.expires_at is None or s.expires_at > now]


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def rotated(secrets_: Sequence[Secret], now: datetime) -> tuple[Secret, ...]:
    """A new current secret; the current one keeps signing for ROTATION_OVERLAP."""
    kept = [
        Secret(s.value, s.expires_at or now + ROTATION_OVERLAP)
        for s in secrets_
        if s.expires_at is None or s.expires_at > now
    ]
    return (Secret(new_secret()), *kept)


# A host name: dot-separated labels of letters, digits, hyphens (punycode too) and the
# underscores some services' names have.
_HOST = re.compile(r"(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def url_problem(url: str, allow_private: bool) -> str | None:
    """Why `url` cannot be an endpoint (None: it can). HTTPS only, unless private
    addresses are allowed (the local stack and the tests); no credentials in it; a
    literal private, loopback or link-local address is refused here already (a name
    is checked when it is resolved, at each delivery)."""
    if not isinstance(url, str) or len(url) > 2000:
        return "expected an https URL of at most 2000 characters"
    # No spaces or control characters anywhere (a line break in it would be a header of
    # the request), no characters beyond ASCII (an IDN host is sent as its punycode).
    if not url.isascii() or re.search(r"[\x00-\x20\x7f]", url):
        return "no spaces, line breaks or characters beyond ASCII in the URL"
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        return "expected an https URL"
    if parts.username or parts.password:
        return "no credentials in the URL"
    try:
        port = parts.port
    except ValueError:
        return "bad port"
    if port == 0:
        return "bad port"
    if not _HOST.fullmatch(parts.hostname) and not _is_address(parts.hostname):
        return "expected an https URL"
    if not allow_private:
        host = parts.hostname.rstrip(".")  # "localhost." and "169.254.169.254." are the same hosts
        if host == "localhost" or host.endswith(".localhost"):
            return "not a public address"
        address = _literal_address(host)
        if address is not None and not is_public(address):
            return "not a public address"
    return None


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host written as one means, in any form a resolver takes: dotted,
    shortened ("127.1") or one number ("2130706433"), as inet_aton reads them; None: a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}", host, re.IGNORECASE):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


_TEREDO = ipaddress.IPv6Network("2001::/32")


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """The SSRF guard's rule: only globally routable unicast addresses. An IPv6 address
    that leads to an IPv4 one is judged by that one (IPv4-mapped, and 6to4:
    2002:7f00:1:: is 127.0.0.1); a Teredo tunnel's (2001::/32) never is, nor a site-local
    one (fec0::/10: deprecated, yet routed inside some networks, and never global)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _TEREDO or address.is_site_local:
            return False
        address = address.ipv4_mapped or address.sixtofour or address
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


# --- events -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    """One event as receivers get it: {"type", "timestamp", "data"}; `id` is the
    webhook-id header (the same for every retry and replay: receivers dedupe on it)."""

    type: str
    timestamp: datetime
    data: dict[str, Any]
    id: str = field(default_factory=lambda: "msg_" + new_id(20))

    def payload(self) -> dict[str, Any]:
        return {"type": self.type, "timestamp": iso_utc(self.timestamp), "data": self.data}

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, **self.payload()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Event:
        from chalicelib.domain.timeutil import parse_utc

        return cls(type=d["type"], timestamp=parse_utc(d["timestamp"]), data=dict(d["data"]), id=d["id"])


def _booking_data(a: Appointment) -> dict[str, Any]:
    return {
        "booking_id": a.id,
        "client_id": a.client_id,
        "service_id": a.service_id,
        "staff_id": a.staff_id,
        "start": iso_utc(a.start),
        "end": iso_utc(a.end),
        "status": a.status,
        "price_cents": a.price_cents,
        "source": a.source,
    }


def booking_created(a: Appointment, now: datetime) -> Event:
    return Event("booking.created", now, _booking_data(a))


def booking_rescheduled(before: Appointment, after: Appointment, now: datetime) -> Event:
    data = _booking_data(after)
    data.update(previous_start=iso_utc(before.start), previous_staff_id=before.staff_id)
    return Event("booking.rescheduled", now, data)


def booking_cancelled(a: Appointment, now: datetime, by_hold_expiry: bool = False) -> Event:
    data = _booking_data(a)
    data.update(status="cancelled", unconfirmed_hold=by_hold_expiry)
    return Event("booking.cancelled", now, data)


VISIT_EVENTS = {"arrived": "visit.arrived", "completed": "visit.completed", "no_show": "visit.no_show"}


def visit_marked(a: Appointment, status: str, now: datetime) -> Event | None:
    """visit.arrived / completed / no_show; None for a mark that is none of these (an undo)."""
    kind = VISIT_EVENTS.get(status)
    if kind is None:
        return None
    data = _booking_data(a)
    data["status"] = status
    return Event(kind, now, data)


def feedback_received(a: Appointment, rating: int, has_comment: bool, first: bool, now: datetime) -> Event:
    return Event(
        "feedback.received",
        now,
        {
            "booking_id": a.id,
            "client_id": a.client_id,
            "service_id": a.service_id,
            "staff_id": a.staff_id,
            "rating": rating,
            "has_comment": has_comment,  # the words stay in Rebook
            "updated": not first,
        },
    )


def client_created(business_id: str, client_id: str, source: str, now: datetime) -> Event:
    return Event("client.created", now, {"client_id": client_id, "source": source})


def client_updated(client_id: str, fields: Sequence[str], now: datetime) -> Event:
    return Event("client.updated", now, {"client_id": client_id, "changed": sorted(fields)})


def client_erased(client_id: str, now: datetime) -> Event:
    """Tells receivers to erase whatever they keep about the client."""
    return Event("client.erased", now, {"client_id": client_id, "erased_at": iso_utc(now), "action": "erase"})


# --- the waitlist -------------------------------------------------------------------------
def _entry_data(e: Entry) -> dict[str, Any]:
    return {
        "entry_id": e.id,
        "service_id": e.service_id,
        "staff_id": e.staff_id,  # None: anyone
        "from": e.first.isoformat(),  # her local dates, both included
        "to": e.last.isoformat(),
        "windows": [w.to_dict() for w in e.windows],
        "source": e.source,
    }


def waitlist_joined(e: Entry, updated: bool, now: datetime) -> Event:
    """An entry written: new, or `updated` (her second entry for the same service over
    overlapping dates, or the owner's edit: the same id, the same place in the queue)."""
    return Event("waitlist.joined", now, {**_entry_data(e), "updated": updated})


def waitlist_offered(o: Offer, now: datetime) -> Event:
    return Event(
        "waitlist.offered",
        now,
        {
            "offer_id": o.id,
            "entry_id": o.entry_id,
            "service_id": o.service_id,
            "staff_id": o.staff_id,
            "start": iso_utc(o.start),
            "end": iso_utc(o.end),
            "expires_at": iso_utc(o.expires_at),
            "mode": o.mode,
            "channel": o.channel,
        },
    )


def waitlist_closed(e: Entry, status: str, now: datetime, appointment_id: str | None) -> Event:
    """The entry left the list: waitlist.booked (from an offer or a booking made
    elsewhere; `booking_id` is the booking's) or waitlist.left (she left, or the owner
    removed her)."""
    data = {"entry_id": e.id, "service_id": e.service_id}
    if status == EntryStatus.BOOKED.value:
        return Event("waitlist.booked", now, {**data, "booking_id": appointment_id})
    return Event("waitlist.left", now, data)


def with_currency(event: Event, currency: str) -> Event:
    """The event with the currency of its amounts (`price_cents`, `amount_cents`): the
    business's (its configuration), as its payments are charged; others as they are."""
    if "price_cents" not in event.data and "amount_cents" not in event.data:
        return event
    return replace(event, data={**event.data, "currency": currency})


# --- delivery -----------------------------------------------------------------------------
def backoff(attempts: int) -> timedelta:
    """The wait after `attempts` failed attempts: SCHEDULE with ± 10 % jitter."""
    base = SCHEDULE[min(max(attempts, 1), len(SCHEDULE)) - 1]
    return base * (0.9 + 0.2 * random.random())


@dataclass(frozen=True)
class Response:
    """What one HTTP attempt came to: a status code, or an error before any (timeout,
    refused, blocked address)."""

    status: int | None
    retry_after: timedelta | None = None
    error: str | None = None


@dataclass(frozen=True)
class Verdict:
    outcome: str  # sent | pending (retry) | failed
    error: str | None
    wait: timedelta | None = None  # at least this long before the next attempt
    disable: bool = False  # the receiver said 410 Gone


def judge(r: Response, attempts_before: int) -> Verdict:
    """2xx is delivered; 410 disables the endpoint; 429/502/503/504 and Retry-After
    slow the retries down; anything else is retried on the schedule."""
    if r.status is None:
        return Verdict("pending", r.error or "no_response")
    code = f"http_{r.status}"
    if 200 <= r.status < 300:
        return Verdict("sent", None)
    if r.status == 410:
        return Verdict("failed", code, disable=True)
    wait = None
    if r.status in SLOW_DOWN or r.retry_after is not None:
        slow = backoff(attempts_before + 1) * 2
        wait = max(slow, min(r.retry_after or timedelta(0), MAX_RETRY_AFTER))
    return Verdict("pending", code, wait)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as seconds or an HTTP date; None for anything else (a receiver's
    header: a date out of range is no answer, never a crash of the sender)."""
    if not value:
        return None
    value = value.strip()
    seconds = whole_number(value, 9)  # a receiver's header: more than years is no answer
    if seconds is not None:
        return timedelta(seconds=seconds)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return max(when - now, timedelta(0)) if when.tzinfo else None


def should_disable(failing_since: datetime | None, now: datetime) -> bool:
    return failing_since is not None and now - failing_since >= DISABLE_AFTER


FEE_KINDS = frozenset(k.value for k in FeeKind)


def money_recorded(money: MoneyRecord, now: datetime) -> Event | None:
    """A booking's money that went through (a MoneyRecord whose state is succeeded):
    payment.refunded for a refund, fee.charged for a late-cancellation or no-show fee,
    payment.succeeded for the rest (a deposit, a prepayment, a checkout); None for money
    still open (the bank asks her to authenticate) or waived."""
    if money.state != "succeeded":
        return None
    kind = money.kind
    if kind.startswith("refund"):
        return Event("payment.refunded", now, _refund_data(money))
    fee = fee_kind_of(kind) in FEE_KINDS
    event = "fee.charged" if fee else "payment.succeeded"
    # A fee's kind, whichever round of it, and the round's own key (fee_key: `no_show`, then
    # `no_show.r1` charged anew after an undo), as the owner's API and her records name it.
    data: dict[str, Any] = {"booking_id": money.appointment_id, "client_id": money.client_id, "kind": fee_kind_of(kind)}
    if fee:
        data["fee_key"] = kind
    data["amount_cents"] = money.amount_cents
    if money.total_cents is not None:
        data["total_cents"] = money.total_cents
    return Event(event, now, data)


def refund_failed(money: MoneyRecord, now: datetime) -> Event:
    """A refund told before as payment.refunded that Stripe failed later: the amount is
    not back with her (an integration that counted it refunded takes it back)."""
    return Event("payment.refund_failed", now, _refund_data(money))


def _refund_data(money: MoneyRecord) -> dict[str, Any]:
    """A refund's payload: kind `refund`, and `fee` (late_cancel, no_show) with `fee_key`
    (the round it gave back: `no_show`, `no_show.r1`, …) when it gave back a fee rather
    than the deposit or prepayment (its ref: fee_of_refund)."""
    data: dict[str, Any] = {"booking_id": money.appointment_id, "client_id": money.client_id, "kind": "refund"}
    data["amount_cents"] = money.amount_cents
    if fee := fee_of_refund(money.kind.removeprefix("refund-")):
        data["fee"] = fee_kind_of(fee)
        data["fee_key"] = fee
    return data


# --- the owner's requests -----------------------------------------------------------------
class EndpointIn(BaseModel):
    """A new endpoint (POST /api/v1/admin/webhooks)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    url: str = Field(min_length=8, max_length=2000)
    events: list[Literal[EVENT_TYPES]] = Field(min_length=1)  # type: ignore[valid-type]
    enabled: StrictBool = True
    description: OneLine = Field(default="", max_length=200)


class EndpointPatch(BaseModel):
    """What the owner changes on an endpoint (PATCH): only the fields sent."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    url: str | None = Field(default=None, min_length=8, max_length=2000)
    events: list[Literal[EVENT_TYPES]] | None = Field(default=None, min_length=1)  # type: ignore[valid-type]
    enabled: StrictBool | None = None
    description: OneLine | None = Field(default=None, max_length=200)
