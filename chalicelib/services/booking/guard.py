"""The public booking's limits (calendar flooding, SMS pumping), applied to what the
booking already read: its meters come in the same BatchGetItem as its client and day
sheets, and it counts itself on them in its own transaction (chalicelib/store/limits.py).
The rules are chalicelib/domain/limits.py; the settings `limits` and `sms` of the
business config (docs/owner-api.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from chalicelib.domain import limits as rules
from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.clients import ClientMatch
from chalicelib.domain.config import Business
from chalicelib.domain.messages import PlannedMessage
from chalicelib.errors import TooManyRequests
from chalicelib.observability import logger
from chalicelib.store import bookings
from chalicelib.store import limits as meters_store

_WHO = {rules.PHONE: "this phone number", rules.EMAIL: "this email address", rules.IP: "this network"}


def window(b: Business) -> timedelta:
    return timedelta(hours=b.config.limits.window_hours)


def _metered_ip(client_ip: str | None) -> str | None:
    """The client IP to meter: not the machine's own (the local stack and the tests all
    come from 127.0.0.1; API Gateway never reports a loopback address)."""
    import ipaddress

    try:
        return None if not client_ip or ipaddress.ip_address(client_ip).is_loopback else client_ip
    except ValueError:
        return None


def subjects(b: Business, phone: str | None, email: str | None, client_ip: str | None) -> list[tuple[str, str]]:
    """The meters a public booking is counted on: its phone, its email, its client IP."""
    pairs = [(rules.PHONE, phone), (rules.EMAIL, email), (rules.IP, _metered_ip(client_ip))]
    return [(kind, rules.subject_hash(b.id, kind, value)) for kind, value in pairs if value]


def check(b: Business, meters: Sequence[rules.Meter], now: datetime) -> None:
    """Raise 429 (TooManyRequests, Retry-After) if the booking would break a limit; the
    meter that refused it is flagged for the owner as a suspected flood."""
    cfg = b.config.limits
    refusal = rules.window_refusal(meters, now, window(b), cfg.bookings_per_contact, cfg.bookings_per_ip)
    if refusal is None:
        for subject, candidates in rules.pending_candidates(meters, now, cfg.pending_per_contact).items():
            meter = next(m for m in meters if m.subject == subject)
            still = [
                a
                for a in bookings.get_appointments(b.id, candidates)
                if a.status == Status.BOOKED.value and a.start > now
            ]
            refusal = rules.pending_refusal(meter, len(still), cfg.pending_per_contact)
            if refusal is not None:
                break
    if refusal is None:
        return
    meter = next(m for m in meters if m.subject == refusal.subject)
    meters_store.flag(meter, now, window(b))
    # Ids only: the business, which limit, which kind of subject (never the contact or IP).
    logger().warning(
        "booking refused by a limit", extra={"business_id": b.id, "limit": refusal.limit, "subject_kind": meter.kind}
    )
    what = "future bookings" if refusal.limit == "pending_per_contact" else "bookings in a short time"
    raise TooManyRequests(
        f"Too many {what} from {_WHO[meter.kind]}. Please try again later or call the business.",
        retry_after=refusal.retry_after,
    )


def sms_allowed(b: Business, meters: Sequence[rules.Meter], now: datetime) -> bool:
    """May this public request's SMS go (the number's and the IP's SMS of the day)?"""
    sms = b.config.sms
    return rules.sms_within_limits(meters, now, sms.per_number_per_day, sms.per_ip_per_day)


def entry(appt: Appointment, now: datetime, planned: Sequence[PlannedMessage]) -> rules.Entry:
    """What the booking adds to its meters: when, for when, and how many SMS it asked for."""
    return rules.Entry(made=now, start=appt.start, sms=sum(1 for m in planned if m.channel == "sms"))


def hold_until(
    b: Business, match: ClientMatch, meters: Sequence[rules.Meter], start: datetime, now: datetime
) -> datetime | None:
    """Until when this public booking holds its time unconfirmed (the business's
    `limits.hold_unconfirmed`), or None. A client in the registry is still new while no
    visit of hers took place and she never confirmed a hold by her link (her history is
    read only then: the setting on and the booking far ahead or in bulk)."""
    hold = b.config.limits.hold_unconfirmed

    def until(new_client: bool) -> datetime | None:
        return rules.hold_until(
            enabled=hold.enabled,
            minutes=hold.minutes,
            far_ahead_days=hold.far_ahead_days,
            bulk_bookings=hold.bulk_bookings,
            new_client=new_client,
            start=start,
            to_come=rules.contact_to_come(meters, now),
            now=now,
        )

    if until(True) is None or match.client_id is None:
        return until(True)
    history = bookings.client_history(b.id, match.client_id)
    return until(not any(a.vouches_for_client for a in history))
