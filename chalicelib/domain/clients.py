"""A client of a business as the rules see her: her profile and consents, the counts her
history keeps, and where her retention messages stand. chalicelib/store/clients.py
reads and writes her; nothing here knows how."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

# The profile fields the owner may change or clear (chalicelib/domain/registry.py ClientUpdate).
PROFILE_FIELDS = (
    "name",
    "phone",
    "email",
    "locale",
    "birthday",
    "preferences",
    "allergies",
    "important_notes",
    "tags",
    "relationship",
)
MAINTENANCE = "maintenance"  # a relationship that takes her out of win-back and the at-risk list


@dataclass(frozen=True)
class Consent:
    """Marketing consent given or withdrawn, when and through what (`booking:web`, `owner:<user>`...)."""

    granted: bool
    at: datetime
    source: str


@dataclass(frozen=True)
class Client:
    """One client's profile and counters (an erased client keeps only her id and counts)."""

    business_id: str
    id: str
    name: str
    locale: str
    created_at: datetime
    phone: str | None = None
    email: str | None = None
    marketing: Consent | None = None
    consent_log: tuple[Consent, ...] = ()
    bookings: int = 0
    cancellations: int = 0
    no_shows: int = 0
    reminders_off: bool = False
    # The number a send found had replied STOP (SNS's opt-out list): no SMS reaches it.
    sms_stopped: str | None = None
    # What the owner knows about her.
    birthday: str | None = None  # YYYY-MM-DD or --MM-DD (year unknown)
    preferences: Mapping[str, str] = field(default_factory=dict)
    allergies: str | None = None
    important_notes: str | None = None
    tags: tuple[str, ...] = ()
    relationship: str | None = None  # active | at_risk | lapsed | maintenance
    relationship_at: datetime | None = None
    rating_sum: int = 0
    rating_count: int = 0
    last_feedback_request_at: datetime | None = None
    last_feedback_request_key: str | None = None
    last_activity: datetime | None = None
    updated_at: datetime | None = None
    erased_at: datetime | None = None
    # Marketing: the cap, the win-back episode (its lapse day), the messages sent in it,
    # the day its next step is due, and the year of the last birthday greeting.
    last_marketing_at: datetime | None = None
    winback_episode: str | None = None
    winback_sent: int = 0
    winback_step_on: date | None = None
    winback_log: tuple[datetime, ...] = ()  # when win-back messages were sent (the KPIs credit bookings to them)
    nudged_for: datetime | None = None  # the last visit a "time for your next visit" nudge was for
    nudge_log: tuple[datetime, ...] = ()  # when nudges were sent (the KPIs credit bookings to them)
    birthday_greeted: int = 0
    # Her visits as the after-visit job last counted them (chalicelib/domain/rhythm.py).
    visits: int = 0
    spend_cents: int = 0
    last_visit_at: datetime | None = None
    first_visit_at: datetime | None = None
    rhythm_days: float | None = None
    at_risk_on: date | None = None
    lapsed_on: date | None = None
    # Loyalty: visits that earned a stamp, the owner's adjustments, who referred her.
    stamps: int = 0
    stamp_adjust: int = 0
    referred_by: str | None = None
    # KPIs: what her history last added to each period, its version, and when a change
    # to it was marked for the sync (None: nothing to sync).
    kpi: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    kpi_v: int = 0
    kpi_marked_at: datetime | None = None
    # Early warnings the owner dismissed: code -> the key it rested on (domain/signals.py).
    signals_dismissed: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def texts_stopped(self) -> bool:
        """Her number, as it is now, replied STOP as a send found (SNS may have let it in
        again since: services/message_plans.py stopped_number asks)."""
        return bool(self.phone) and self.sms_stopped == self.phone

    @property
    def wants_marketing(self) -> bool:
        """She consents to marketing messages and has not been erased."""
        return bool(self.marketing and self.marketing.granted) and not self.is_erased

    def next_marketing_at(self, min_days_between: int, now: datetime) -> datetime | None:
        """When the business's cap (one marketing message in `min_days_between` days) lets
        the next one go to her — the owner's own words too —, or None: it may go now."""
        if self.last_marketing_at is None:
            return None
        at = self.last_marketing_at + timedelta(days=min_days_between)
        return at if at > now else None


@dataclass(frozen=True)
class ClientMatch:
    """Who a booking's phone and email already belong to, if anyone; `chosen`: the client
    the front desk picked (by her id: a client with no contact is found by nothing else)."""

    by_phone: str | None
    by_email: str | None
    chosen: str | None = None

    @property
    def client_id(self) -> str | None:
        return self.chosen or self.by_phone or self.by_email


@dataclass(frozen=True)
class BookedClient:
    """What a booking records about its client: a new profile, or what changes on hers."""

    business_id: str
    client_id: str
    is_new: bool
    name: str
    phone: str | None
    email: str | None
    locale: str
    marketing_granted: bool
    consent_source: str
    link_phone: bool  # the phone is new for this client: it becomes hers
    link_email: bool
    active_until: datetime | None = None  # the booked visit's end: the client's latest activity
    erase_on: date | None = None  # due for automatic erasure if nothing happens before
    referred_by: str | None = None  # a new client who came through another client's referral link
    # She booked on a page in a language she chose: her messages follow it from now on
    # (an imported client is Finnish until she books in Swedish).
    locale_chosen: bool = False


def booked_client(
    business_id: str,
    client_id: str,
    match: ClientMatch,
    name: str,
    phone: str | None,
    email: str | None,
    locale: str,
    marketing: bool,
    source: str,
    *,
    active_until: datetime,
    erase_on: date,
    referred_by: str | None,
    vouched: bool = True,
    locale_chosen: bool = False,
) -> BookedClient:
    """A new client gets both contacts. A known client gains a phone no one has, or an
    email no one has when her phone did not find her either, only where the business
    typed them (`vouched`: the desk, its API keys): a booking on the web proves no one's
    identity, and a stranger who typed her email and his own number would otherwise
    take her messages (foreign_contact)."""
    known = match.client_id is not None
    linked = known and vouched
    return BookedClient(
        business_id=business_id,
        client_id=client_id,
        is_new=not known,
        name=name,
        phone=phone,
        email=email,
        locale=locale,
        marketing_granted=marketing,
        consent_source=f"booking:{source}",
        link_phone=bool(phone) and match.by_phone is None and linked,
        link_email=bool(email) and match.by_email is None and match.by_phone is None and linked,
        active_until=active_until,
        erase_on=erase_on,
        referred_by=referred_by,
        locale_chosen=locale_chosen,
    )


def foreign_contact(match: ClientMatch, phone: str | None, email: str | None) -> bool:
    """A web booking found to be a known client's by one contact, given with another she
    is not known by (a new number, someone else's): who typed it may not be she."""
    her = match.client_id
    if her is None or match.chosen is not None:
        return False
    return bool(phone and match.by_phone != her) or bool(email and match.by_email != her)


@dataclass(frozen=True)
class ProfileUpdate:
    """What the owner changes on a profile: each field in `fields` (PROFILE_FIELDS) is
    set to its value, or cleared when the value is None; a consent given or withdrawn."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    marketing: Consent | None = None

    def __bool__(self) -> bool:
        return bool(self.fields) or self.marketing is not None

    def applied_to(self, c: Client, now: datetime, updated_at: datetime) -> Client:
        """`c` as this change writes her (store/clients.py update_profile), so a save can
        answer with what it wrote without reading her again."""
        values: dict[str, Any] = {}
        for name, value in self.fields.items():
            if name == "tags":
                values[name] = tuple(value or ())
            elif name == "preferences":
                values[name] = dict(value or {})
            else:
                values[name] = value
        if "relationship" in self.fields:
            values["relationship_at"] = now
        if self.marketing is not None:
            values["marketing"] = self.marketing
            values["consent_log"] = (*c.consent_log, self.marketing)
        return replace(c, **values, updated_at=updated_at)
