"""PynamoDB models of Rebook's single table. docs/data-model.md explains every key.

One table, overloaded keys `pk`/`sk`, and five overloaded global secondary indexes
(`g1`..`g5`, each with `gNpk`/`gNsk`). Only this package knows this layout.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

INDEXES = ("g1", "g2", "g3", "g4", "g5", "g6")  # attribute prefixes; the index of "g1" is "gsi1"


def index_name(prefix: str) -> str:
    return prefix.replace("g", "gsi", 1)


def _index(name: str) -> GlobalSecondaryIndex[Any]:
    """A fresh GSI class per model: PynamoDB binds an index class to one model. Every
    index projects ALL (items are small; a second read per hit would cost more)."""

    class Meta:
        index_name = globals()["index_name"](name)
        projection = AllProjection()

    attrs = {
        "Meta": Meta,
        f"{name}pk": UnicodeAttribute(hash_key=True),
        f"{name}sk": UnicodeAttribute(range_key=True),
    }
    index: GlobalSecondaryIndex[Any] = type(f"{name.upper()}Index", (GlobalSecondaryIndex,), attrs)()
    return index


class Base(Model):
    class Meta:
        table_name = "rebook"  # set by store.db.configure()
        region = "eu-north-1"
        host: str | None = None  # DynamoDB Local's endpoint, when not in AWS

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = TTLAttribute(null=True)


# --- businesses --------------------------------------------------------------------
class SlugItem(Base):
    """SLUG#<slug> / SLUG -> the business id (slugs are public and may change)."""

    business_id = UnicodeAttribute()


class BusinessItem(Base):
    """BIZ#<id> / CONFIG: the whole validated BusinessConfig as JSON.

    g1: BUSINESSES / <id>  every business, for the weekly jobs that act per business
    """

    business_id = UnicodeAttribute()
    slug = UnicodeAttribute()
    config = JSONAttribute()
    feed_secrets = JSONAttribute(null=True)  # calendar feeds: {"business" | staff id: secret}
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()
    g1pk = UnicodeAttribute(null=True)
    g1sk = UnicodeAttribute(null=True)
    every_business: GlobalSecondaryIndex[BusinessItem] = _index("g1")


class LoadedConfigItem(Base):
    """BIZ#<id> / LOADED: the config as a business file last set it (load-business), so
    that loading the next file can tell what the owner changed since (on the settings
    screen, through the API) from what the file changes, and not undo hers unasked."""

    config = JSONAttribute()
    loaded_at = UTCDateTimeAttribute()


class ReturnModelItem(Base):
    """BIZ#<id> / RETURNS: the business's fitted return model (chalicelib/domain/returns.py
    ReturnModel.to_dict: a dozen numbers), refitted weekly and when the business's
    retention settings change."""

    business_id = UnicodeAttribute()
    model = JSONAttribute()
    fitted_at = UTCDateTimeAttribute()
    clients = NumberAttribute(default=0)
    rekeyed_until = UnicodeAttribute(null=True)  # the last client id re-keyed to it; "~" when all are
    settings = UnicodeAttribute(null=True)  # the retention settings it was fitted and re-keyed for


# --- clients -----------------------------------------------------------------------
class ClientKeyItem(Base):
    """BIZ#<id> / CKEY#PHONE#<e164> or CKEY#EMAIL#<email> -> client id (uniqueness).
    `m`: put by a public booking of a contact that had no meter yet, that booking's
    meter entry (appointment id -> '<made>-<start>-<sms>', as MeterItem `e`): its meter
    while the meter item is not written (store/limits.py "A contact's first booking")."""

    client_id = UnicodeAttribute()
    m = MapAttribute[str, Any](null=True)  # type: ignore[no-untyped-call]  # PynamoDB's MapAttribute.__init__ is untyped


class ConsentMap(MapAttribute[str, Any]):
    granted = BooleanAttribute()
    at = UTCDateTimeAttribute()
    source = UnicodeAttribute()


class ClientItem(Base):
    """BIZ#<id> / CLIENT#<client id>: the profile and counters of one client."""

    business_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    name = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    locale = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    marketing = ConsentMap(null=True)  # type: ignore[no-untyped-call]  # PynamoDB's MapAttribute.__init__ is untyped
    consent_log = ListAttribute(of=ConsentMap, null=True)
    bookings = NumberAttribute(default=0)
    cancellations = NumberAttribute(default=0)
    no_shows = NumberAttribute(default=0)
    reminders_off = BooleanAttribute(default=False)
    # The number (E.164) a send found had replied STOP to SNS: the desk is told no SMS
    # reaches it (message_plans.stopped_number); gone when SNS texts it again, or erased.
    sms_stopped = UnicodeAttribute(null=True)
    # Her first completed visit (the desk marks it, whatever came after it that day).
    first_visit_at = UTCDateTimeAttribute(null=True)
    # The registry: what the owner knows about the client.
    birthday = UnicodeAttribute(null=True)  # YYYY-MM-DD or --MM-DD (year unknown)
    preferences = JSONAttribute(null=True)  # {"favourite massage oil": "almond", ...}
    allergies = UnicodeAttribute(null=True)
    important_notes = UnicodeAttribute(null=True)
    tags = JSONAttribute(null=True)  # ["vip", ...]
    relationship = UnicodeAttribute(null=True)  # active | at_risk | lapsed | maintenance
    relationship_at = UTCDateTimeAttribute(null=True)
    search = UnicodeAttribute(null=True)  # folded name, phone digits and email, for the owner's search
    rating_sum = NumberAttribute(default=0)
    rating_count = NumberAttribute(default=0)
    last_feedback_request_at = UTCDateTimeAttribute(null=True)  # at most one request per N days
    last_feedback_request_key = UnicodeAttribute(null=True)
    last_activity = UTCDateTimeAttribute(null=True)  # latest booking, visit or profile change
    updated_at = UTCDateTimeAttribute(null=True)
    erased_at = UTCDateTimeAttribute(null=True)
    # An erasure under way since then (store/client_data.py claim_erasure): no booking lands
    # on her meanwhile; one left by an erasure that died lapses after ERASING_HOLDS.
    erasing_at = UTCDateTimeAttribute(null=True)
    # Marketing: the cap, the win-back episode (its lapse day), the last visit its absence
    # began with and messages sent in it, the year of the last birthday greeting.
    last_marketing_at = UTCDateTimeAttribute(null=True)
    winback_episode = UnicodeAttribute(null=True)
    winback_visit = UTCDateTimeAttribute(null=True)
    winback_sent = NumberAttribute(null=True)
    birthday_greeted = NumberAttribute(null=True)
    signals_dismissed = JSONAttribute(null=True)  # {code: key}: early warnings the owner dismissed
    # Kept current by the after-visit job (chalicelib/jobs/visits_ended.py).
    visits = NumberAttribute(null=True)
    spend_cents = NumberAttribute(null=True)
    last_visit_at = UTCDateTimeAttribute(null=True)
    rhythm_days = NumberAttribute(null=True)
    at_risk_on = UnicodeAttribute(null=True)  # local date
    lapsed_on = UnicodeAttribute(null=True)
    # Loyalty (chalicelib/domain/loyalty.py): visits that earned a stamp, the owner's
    # adjustments, and who referred her (the referrer's client id).
    stamps = NumberAttribute(null=True)
    stamp_adjust = NumberAttribute(null=True)
    referred_by = UnicodeAttribute(null=True)
    # KPIs (chalicelib/domain/kpis.py): when win-back messages were sent (ISO UTC), what
    # her history last added to the period aggregates, and its version (the sync's lock).
    winback_log = ListAttribute(of=UnicodeAttribute, null=True)
    # "Time for your next visit": the last visit the nudge was for, and when nudges went.
    nudged_for = UTCDateTimeAttribute(null=True)
    nudge_log = ListAttribute(of=UnicodeAttribute, null=True)
    kpi = JSONAttribute(null=True)
    kpi_v = NumberAttribute(null=True)
    # g1: RISK#<biz> / <at risk on>#<client>: the owner's at-risk and lapsed list, sparse.
    g1pk = UnicodeAttribute(null=True)
    g1sk = UnicodeAttribute(null=True)
    by_risk: GlobalSecondaryIndex[ClientItem] = _index("g1")
    # g3: ERASE#<yyyy-mm-dd>#<shard> / <biz>#<client>: when the client becomes due for
    # automatic erasure (last activity + the business's retention period), sparse.
    g3pk = UnicodeAttribute(null=True)
    g3sk = UnicodeAttribute(null=True)
    by_erase_day: GlobalSecondaryIndex[ClientItem] = _index("g3")
    # g2: KPI#<shard> / <changed at>#<biz>#<client>: her KPI contribution needs a sync, sparse.
    g2pk = UnicodeAttribute(null=True)
    g2sk = UnicodeAttribute(null=True)
    by_kpi_change: GlobalSecondaryIndex[ClientItem] = _index("g2")
    # Retention indexes (issue 6): lapse day and birthday, sparse.
    g4pk = UnicodeAttribute(null=True)
    g4sk = UnicodeAttribute(null=True)
    g5pk = UnicodeAttribute(null=True)
    g5sk = UnicodeAttribute(null=True)
    by_lapse_day: GlobalSecondaryIndex[ClientItem] = _index("g4")
    by_birthday: GlobalSecondaryIndex[ClientItem] = _index("g5")


# --- appointments ------------------------------------------------------------------
class AppointmentItem(Base):
    """BIZ#<id> / APPT#<appointment id>.

    g1: APPTS#<biz> / <start utc>#<id>       the business calendar, availability
    g2: CLIENT#<biz>#<client> / APPT#<start>  the client's history
    g3: END#<yyyy-mm-ddThh>#<shard> / <end>   visits ending (sparse while booked)
    g4: HOLD#<yyyy-mm-ddThh>#<shard> / <hold_until>#<id>  held bookings by when their hold
        runs out, whatever it waits for (sparse while held)
    g5: STAFFCAL#<biz>#<staff> / <start>#<id>  a staff member's calendar (her feed)
    g6: PLAN#<yyyy-mm-ddThh>#<shard> / <due>#<id>  its plan not yet expanded (sparse:
        seconds after the booking; the sweeper's safety net, store/outbox.py)
    """

    business_id = UnicodeAttribute()
    appointment_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    service_id = UnicodeAttribute()
    staff_id = UnicodeAttribute()
    start = UTCDateTimeAttribute()
    end = UTCDateTimeAttribute()
    occupied_until = UTCDateTimeAttribute()  # end + buffer
    status = UnicodeAttribute()
    price_cents = NumberAttribute()
    locale = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    source = UnicodeAttribute(default="web")
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    cancelled_at = UTCDateTimeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)  # "salon" or "client" (domain/booking.py BY_*)
    gave_back = BooleanAttribute(null=True)  # cancelled giving all she paid back: no late fee
    reschedules = NumberAttribute(default=0)
    reminders_off = BooleanAttribute(default=False)
    sms_limited = BooleanAttribute(null=True)  # its SMS left out by the SMS of the day
    foreign_contact = BooleanAttribute(null=True)  # domain/booking.py Appointment.foreign_contact
    reward_id = UnicodeAttribute(null=True)  # a reward redeemed on this visit
    discount_cents = NumberAttribute(null=True)  # price_cents is what the client pays
    perk_not_applied = UnicodeAttribute(null=True)  # domain/booking.py Appointment.perk_not_applied
    reminded = BooleanAttribute(null=True)  # a reminder of this visit was sent
    feedback_requested = BooleanAttribute(null=True)  # a feedback request was sent
    no_stamp = BooleanAttribute(null=True)  # an imported past visit that earns no stamp
    no_time = BooleanAttribute(null=True)  # an imported past visit whose file gave only its day
    import_id = UnicodeAttribute(null=True)  # the CSV import that wrote this past visit
    seq = NumberAttribute(default=0)  # bumps on every change; message keys use it
    hold_until = UTCDateTimeAttribute(null=True)  # held until then (or freed)
    hold_for = UnicodeAttribute(null=True)  # what for: domain.booking.HoldFor (none: confirmation)
    hold_confirmed_at = UTCDateTimeAttribute(null=True)  # she confirmed it by her link
    payment = JSONAttribute(null=True)  # domain.payments.BookingPayment (Stripe ids, no card data)
    payment_rev = NumberAttribute(null=True)  # bumped by every write of `payment` (store/payments.py)
    checkout = JSONAttribute(null=True)  # domain.payments.CheckedOut: checked out at the desk (method, paid, when)
    # A card-on-file checkout's charge asked of Stripe, its outcome not known yet: its key
    # `s<seq>p<payment_rev>:<amount>` (store/payments.py start_card_checkout).
    checkout_charging = UnicodeAttribute(null=True)
    waitlist_offer = UnicodeAttribute(null=True)  # the waitlist offer it was booked from
    arrived_at = UTCDateTimeAttribute(null=True)  # marked arrived (domain/booking.py Appointment.arrived_at)
    held_until = UTCDateTimeAttribute(null=True)  # done early: its time held only so long (Appointment.held_until)
    any_staff = BooleanAttribute(null=True)  # booked with "anyone" (Appointment.any_staff)
    # The body hash of the Idempotency-Key request that made it (its id comes from the key).
    idem_hash = UnicodeAttribute(null=True)
    # Its plan (the messages it makes, store/outbox.py put_plan) until expanded, and the
    # expansion's tries when one failed.
    plan = JSONAttribute(null=True)
    plan_tries = NumberAttribute(null=True)
    g1pk = UnicodeAttribute(null=True)
    g1sk = UnicodeAttribute(null=True)
    g2pk = UnicodeAttribute(null=True)
    g2sk = UnicodeAttribute(null=True)
    g3pk = UnicodeAttribute(null=True)
    g3sk = UnicodeAttribute(null=True)
    g4pk = UnicodeAttribute(null=True)
    g4sk = UnicodeAttribute(null=True)
    g5pk = UnicodeAttribute(null=True)
    g5sk = UnicodeAttribute(null=True)
    g6pk = UnicodeAttribute(null=True)
    g6sk = UnicodeAttribute(null=True)
    by_business_time: GlobalSecondaryIndex[AppointmentItem] = _index("g1")
    by_client: GlobalSecondaryIndex[AppointmentItem] = _index("g2")
    by_end: GlobalSecondaryIndex[AppointmentItem] = _index("g3")
    by_hold: GlobalSecondaryIndex[AppointmentItem] = _index("g4")
    by_staff_time: GlobalSecondaryIndex[AppointmentItem] = _index("g5")
    by_plan_due: GlobalSecondaryIndex[AppointmentItem] = _index("g6")


class DaySheetItem(Base):
    """SHEET#<biz> / <yyyy-mm-dd>#<staff>: a staff member's taken time on one local day
    (chalicelib/domain/daysheet.py). `taken` maps a booking or a block of time off to
    '<start>-<end>' in UTC epoch minutes; `v` counts the writes, and every write that
    adds taken time is conditioned on the `v` it read, so two overlapping bookings can
    never both commit. A business's sheets share one partition: a month of them for all
    staff is one Query.

    SHEET#<biz> / CAL#<staff>, the same class: a staff member's calendar version, `v`
    moved by every transaction that writes one of her sheets (her calendar feed's ETag)."""

    taken = MapAttribute[str, Any](default=dict)  # type: ignore[no-untyped-call]  # PynamoDB's MapAttribute.__init__ is untyped
    v = NumberAttribute(default=0)


class MeterItem(Base):
    """LIMIT#<biz> / M#<phone|email|ip>#<subject hash>: what one contact or client IP did
    through the public API (chalicelib/domain/limits.py). `e` maps an appointment id to
    '<made>-<start>-<sms>' (UTC epoch minutes, SMS asked for); `v` counts the writes, each
    conditioned on the `v` read, in the booking's own transaction. `flagged_at` and
    `refused`: a limit refused it (a suspected flood, listed for the owner). TTL: a day
    after its last entry stops counting."""

    e = MapAttribute[str, Any](default=dict)  # type: ignore[no-untyped-call]  # PynamoDB's MapAttribute.__init__ is untyped
    v = NumberAttribute(default=0)
    kind = UnicodeAttribute(null=True)
    flagged_at = UTCDateTimeAttribute(null=True)
    refused = NumberAttribute(null=True)


class SmsDayItem(Base):
    """LIMIT#<biz> / SMSDAY#<local date>: the business's SMS of one day, against its
    budget (one conditional ADD per SMS). TTL a few days."""

    n = NumberAttribute(default=0)


class TimeOffItem(Base):
    """BIZ#<id> / TOFF#<time off id>: a block of time off (chalicelib/domain/timeoff.py);
    its occurrences are entries on the day sheets (`o<id>_<n>`).

    g1: TOFF#<biz> / <last occurrence's end UTC>#<id>   a business's time off in a range
    """

    business_id = UnicodeAttribute()
    timeoff_id = UnicodeAttribute()
    staff_id = UnicodeAttribute(null=True)  # None: the whole salon
    staff_ids = JSONAttribute()  # the staff whose sheets hold it
    start = UTCDateTimeAttribute()
    end = UTCDateTimeAttribute()
    reason = UnicodeAttribute(null=True)
    weekly_until = UnicodeAttribute(null=True)  # YYYY-MM-DD
    created_at = UTCDateTimeAttribute()
    # Set when an edit replaced it or it is being removed: gone for the owner at once,
    # its sheets freed by the freed-time outbox item written with that (store/timeoff.py).
    ended = UnicodeAttribute(null=True)
    g1pk = UnicodeAttribute(null=True)
    g1sk = UnicodeAttribute(null=True)
    by_business_time: GlobalSecondaryIndex[TimeOffItem] = _index("g1")


class IdempotencyItem(Base):
    """IDEM#<biz>#<key> / IDEM: the Idempotency-Key of a booking request (TTL 24 h).
    No longer written (a keyed booking's id comes from its key); read until the last
    ones expire."""

    body_hash = UnicodeAttribute()
    appointment_id = UnicodeAttribute()


class SaveKeyItem(Base):
    """IDEM#<biz>#<key> / SAVE: the Idempotency-Key of an owner's save (PUT or PATCH,
    store/saves.py; TTL 24 h): the request's hash, `running` until it is answered (its
    lease: a retry meanwhile is told to wait), then `done` with the answer as sent."""

    request_hash = UnicodeAttribute()
    state = UnicodeAttribute()
    lease_until = UTCDateTimeAttribute()
    answer = UnicodeAttribute(null=True)


class StripeEventItem(Base):
    """STRIPE#<event id> / EVENT: a Stripe webhook event applied (TTL 30 days)."""

    event_type = UnicodeAttribute()
    received_at = UTCDateTimeAttribute()


class MoneyItem(Base):
    """BIZ#<id> / MONEY#<appointment id>#<kind>: one charge, fee or refund of a booking,
    written once per booking and kind (a conditional put).

    g2: CLIENT#<biz>#<client> / MONEY#<at>#<appointment>#<kind>  the client's card, GDPR export
    """

    business_id = UnicodeAttribute()
    appointment_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # deposit | prepay | no_show | late_cancel | refund-... | checkout
    amount_cents = NumberAttribute()
    state = UnicodeAttribute()  # succeeded | open | waived | failed (a refund Stripe failed later)
    intent = UnicodeAttribute(null=True)  # the Stripe PaymentIntent or Refund id
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    note = UnicodeAttribute(null=True)  # a waiver's or refund's reason (the owner's words)
    method = UnicodeAttribute(null=True)  # a checkout's: card_on_file | card | cash | gift_card | other
    total_cents = NumberAttribute(null=True)  # a checkout's: the visit's final price
    # A checkout's products sold with the visit ([{name, amount_cents, quantity}]) and the
    # discount off the two; none in a checkout stored before they were kept.
    lines = JSONAttribute(null=True)
    discount_cents = NumberAttribute(null=True)
    discount_percent = NumberAttribute(null=True)
    g2pk = UnicodeAttribute(null=True)
    g2sk = UnicodeAttribute(null=True)
    by_client: GlobalSecondaryIndex[MoneyItem] = _index("g2")


class RefundDueItem(Base):
    """BIZ#<id> / OWED#<appointment id>: the owner is to give the client money back herself
    (BookingPayment.owner_owes_cents): the salon cancelled her visit (a staff member, a time
    off, an integration: not the owner giving it back) and still holds what she paid, or a
    refund of it failed at Stripe. Kept in step in the same transaction as every write that
    can change that (store/payments.py keep_refund_due): there while the owner owes anything,
    deleted once she does not. A pointer, not the money's record: the owner's list reads the
    appointment; it carries no word of hers.

    g1: OWED#<biz> / <last changed utc>#<appointment>  the owner's refunds to make
    """

    appointment_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    g1pk = UnicodeAttribute(null=True)
    g1sk = UnicodeAttribute(null=True)
    by_business: GlobalSecondaryIndex[RefundDueItem] = _index("g1")


# --- outbox ------------------------------------------------------------------------
class MessageItem(Base):
    """BIZ#<id> / MSG#<idempotency key>: one outgoing message on one channel.

    g2: CLIENT#<biz>#<client> / MSG#<created>  the client's messages (export, erase)
    g3: DUE#<yyyy-mm-ddThh>#<shard> / <due>#<key>  sparse: present while the message
        still has to be sent or retried; removed once it is sent or fails for good.
    g1: MSGFAIL#<biz> / <time>#<key>            sparse: permanent failures, for the owner
        WHLOG#<biz>#<endpoint> / <created>#<key>  a webhook delivery: its endpoint's log
    """

    business_id = UnicodeAttribute()
    key = UnicodeAttribute()
    kind = UnicodeAttribute()  # confirmation | rescheduled | cancelled | reminder | ...
    channel = UnicodeAttribute()  # email | sms
    recipient = UnicodeAttribute()
    appointment_id = UnicodeAttribute(null=True)
    appointment_seq = NumberAttribute(null=True)
    client_id = UnicodeAttribute(null=True)
    locale = UnicodeAttribute()
    context = JSONAttribute()  # what the template needs, frozen when the message was planned
    status = UnicodeAttribute()  # pending | sending | sent | failed | skipped
    attempts = NumberAttribute(default=0)
    due_at = UTCDateTimeAttribute()
    lease_until = UTCDateTimeAttribute(null=True)
    provider_id = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)
    # A webhook event once fanned out: {endpoint id: url} of the endpoints it went to
    # (the GDPR export lists them; erasure leaves this, it holds no personal data).
    endpoints = JSONAttribute(null=True)
    released_at = UTCDateTimeAttribute(null=True)  # a parked message released (the outbox stream sends it)
    # Freed time (services/waitlist/refill.py): the chunks of its KPI days counted so far.
    counted_chunks = NumberAttribute(null=True)
    g1pk = UnicodeAttribute(null=True)
    g1sk = UnicodeAttribute(null=True)
    g2pk = UnicodeAttribute(null=True)
    g2sk = UnicodeAttribute(null=True)
    g3pk = UnicodeAttribute(null=True)
    g3sk = UnicodeAttribute(null=True)
    failed_by_business: GlobalSecondaryIndex[MessageItem] = _index("g1")
    by_client: GlobalSecondaryIndex[MessageItem] = _index("g2")
    by_due: GlobalSecondaryIndex[MessageItem] = _index("g3")


ALL_MODELS: tuple[type[Base], ...] = (
    SlugItem,
    BusinessItem,
    ClientKeyItem,
    ClientItem,
    AppointmentItem,
    DaySheetItem,
    IdempotencyItem,
    MessageItem,
)


class JobStateItem(Base):
    """JOB#<name> / STATE: how far a scheduled job has fully processed its window; for a
    job that works in rounds (marketing), `watermark` is when the round began and
    `position` the unit of work its budget stopped it before."""

    watermark = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    position = UnicodeAttribute(null=True)


# --- the owner's registry ----------------------------------------------------------
class NoteItem(Base):
    """BIZ#<id> / NOTE#<client>#<time>#<id>: a dated note about a client.

    g2: CLIENT#<biz>#<client> / NOTE#<time>#<id>  the client's timeline (export, erase)
    """

    business_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    note_id = UnicodeAttribute()
    text = UnicodeAttribute()
    author = UnicodeAttribute()  # the user's id, or "import"
    author_role = UnicodeAttribute(null=True)  # owner | staff | import; notes before Dec 2026 have none
    author_staff_id = UnicodeAttribute(null=True)  # a staff member's, so the card can name her
    created_at = UTCDateTimeAttribute()
    g2pk = UnicodeAttribute(null=True)
    g2sk = UnicodeAttribute(null=True)
    by_client: GlobalSecondaryIndex[NoteItem] = _index("g2")


class NoteClaimItem(Base):
    """BIZ#<id> / INOTE#<client>#<claim>: a note of a CSV import on the client's card, by
    her id and the note's words (csv_import.note_claim_for). Put with attribute_not_exists
    in the transaction that puts the note: two imports running at once, or a chunk done
    again, put it once. `import_id`: the import that put it (its chunk done again counts
    it as its own). Deleted with her notes by her erasure."""

    client_id = UnicodeAttribute()
    note_id = UnicodeAttribute()
    import_id = UnicodeAttribute()


class FollowUpItem(Base):
    """BIZ#<id> / FUP#<client>#<id>: what the client wants to achieve and what was agreed.

    g2: CLIENT#<biz>#<client> / FUP#<id>       the client's timeline (export, erase)
    g4: FUPDUE#<biz> / <due date>#<client>#<id>  sparse while open: follow-ups due
    """

    business_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    followup_id = UnicodeAttribute()
    goal = UnicodeAttribute(null=True)
    actions = JSONAttribute(null=True)  # [{id, text, due, staff_id, done}]
    next_step = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # open | closed
    due = UnicodeAttribute(null=True)  # earliest open action's due date (YYYY-MM-DD)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    g2pk = UnicodeAttribute(null=True)
    g2sk = UnicodeAttribute(null=True)
    g4pk = UnicodeAttribute(null=True)
    g4sk = UnicodeAttribute(null=True)
    by_client: GlobalSecondaryIndex[FollowUpItem] = _index("g2")
    by_due: GlobalSecondaryIndex[FollowUpItem] = _index("g4")


class AuditItem(Base):
    """AUDIT#<biz>#<yyyy-mm> / <time>#<id>: who read, changed, exported or erased client data."""

    business_id = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    role = UnicodeAttribute()
    action = UnicodeAttribute()  # read | update | export | erase | ...
    client_id = UnicodeAttribute(null=True)
    detail = JSONAttribute(null=True)  # field names, never their values


# --- feedback and aggregates -----------------------------------------------------------
class FeedbackItem(Base):
    """BIZ#<id> / FB#<appointment>: the rating of one visit (the last submission wins).

    g1: FB#<biz> / <visit start utc>#<appt>     feedback of a business in a period
    g2: CLIENT#<biz>#<client> / FB#<appt>       the client's timeline (export, erase)
    """

    business_id = UnicodeAttribute()
    appointment_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    staff_id = UnicodeAttribute()
    service_id = UnicodeAttribute()
    visit_start = UTCDateTimeAttribute()
    rating = NumberAttribute()
    comment = UnicodeAttribute(null=True)
    submitted_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    submissions = NumberAttribute(default=1)
    g1pk = UnicodeAttribute(null=True)
    g1sk = UnicodeAttribute(null=True)
    g2pk = UnicodeAttribute(null=True)
    g2sk = UnicodeAttribute(null=True)
    by_business_time: GlobalSecondaryIndex[FeedbackItem] = _index("g1")
    by_client: GlobalSecondaryIndex[FeedbackItem] = _index("g2")


class AggregateItem(Base):
    """BIZ#<id> / AGG#<period>: counters of one month (2026-11), quarter (2026-Q4) or
    year (2026) of the business's local calendar; AGD#<day>: of one local day (no
    counts of distinct clients); AGD#<day>#<staff> and AGS#<period>#<staff>: one staff
    member's (STAFF_COUNTERS) — see chalicelib/store/keys.py. Ratings are added by the
    feedback transaction; the rest are the sum of every client's contribution
    (chalicelib/domain/kpis.py COUNTERS), kept by the KPI sync."""

    business_id = UnicodeAttribute(null=True)
    appointments = NumberAttribute(null=True)
    cancelled = NumberAttribute(null=True)
    late_cancelled = NumberAttribute(null=True)
    salon_cancelled = NumberAttribute(null=True)
    completed = NumberAttribute(null=True)
    no_show = NumberAttribute(null=True)
    revenue_cents = NumberAttribute(null=True)
    reminded_due = NumberAttribute(null=True)
    reminded_no_show = NumberAttribute(null=True)
    unreminded_due = NumberAttribute(null=True)
    unreminded_no_show = NumberAttribute(null=True)
    feedback_requested = NumberAttribute(null=True)
    rebooked_30 = NumberAttribute(null=True)
    rebooked_60 = NumberAttribute(null=True)
    rebooked_90 = NumberAttribute(null=True)
    rebooked_before_leaving = NumberAttribute(null=True)
    visitors = NumberAttribute(null=True)
    new_clients = NumberAttribute(null=True)
    retained = NumberAttribute(null=True)
    winback_messages = NumberAttribute(null=True)
    winback_conversions = NumberAttribute(null=True)
    winback_revenue_cents = NumberAttribute(null=True)
    nudge_messages = NumberAttribute(null=True)
    nudge_bookings = NumberAttribute(null=True)
    nudge_revenue_cents = NumberAttribute(null=True)
    deposits = NumberAttribute(null=True)
    deposit_cents = NumberAttribute(null=True)
    fees_charged_cents = NumberAttribute(null=True)
    fees_collected_cents = NumberAttribute(null=True)
    refunds_cents = NumberAttribute(null=True)
    protected_due = NumberAttribute(null=True)
    protected_no_show = NumberAttribute(null=True)
    ratings_sum = NumberAttribute(null=True)
    ratings_count = NumberAttribute(null=True)
    low_ratings = NumberAttribute(null=True)
    stars_1 = NumberAttribute(null=True)
    stars_2 = NumberAttribute(null=True)
    stars_3 = NumberAttribute(null=True)
    stars_4 = NumberAttribute(null=True)
    stars_5 = NumberAttribute(null=True)
    # A staff member's: her kept bookings and the minutes they hold (occupancy).
    booked = NumberAttribute(null=True)
    booked_minutes = NumberAttribute(null=True)
    # The waitlist's, on the business's day items (AGD#<day>; docs/kpis.md "Waitlist"):
    # minutes freed ahead, minutes booked again through offers, those bookings, their
    # revenue, and the seconds from freeing to booking of each (for the median).
    waitlist_freed_minutes = NumberAttribute(null=True)
    waitlist_refilled_minutes = NumberAttribute(null=True)
    waitlist_refills = NumberAttribute(null=True)
    waitlist_revenue_cents = NumberAttribute(null=True)
    waitlist_refill_seconds = ListAttribute(of=NumberAttribute, null=True)


class RewardItem(Base):
    """BIZ#<id> / REWARD#<client>#<reward id>: a loyalty reward, a referral reward or a
    welcome perk (chalicelib/domain/loyalty.py names the ids).

    g2: CLIENT#<biz>#<client> / REWARD#<reward id>   the client's timeline (export)
    """

    business_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    reward_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # loyalty | referral | welcome
    perk = JSONAttribute()  # the Perk as configured when it was issued
    status = UnicodeAttribute()  # available | redeemed | revoked
    issued_at = UTCDateTimeAttribute()
    expires_on = UnicodeAttribute(null=True)  # local date, last day it can be booked with
    appointment_id = UnicodeAttribute(null=True)  # the booking it was redeemed on
    changed_at = UTCDateTimeAttribute(null=True)
    g2pk = UnicodeAttribute(null=True)
    g2sk = UnicodeAttribute(null=True)
    by_client: GlobalSecondaryIndex[RewardItem] = _index("g2")


# --- CSV imports ---------------------------------------------------------------------
class ImportItem(Base):
    """BIZ#<id> / IMPORT#<import id>: one upload of clients, its dry run and its progress.

    g4: IMPORTS / <started at>#<biz>#<import id>   sparse while running: the job's list
    """

    business_id = UnicodeAttribute()
    import_id = UnicodeAttribute()
    status = UnicodeAttribute()  # previewed | running | done | failed
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    started_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    file = JSONAttribute()  # encoding, delimiter, columns, mapping, stamps
    dry_run = JSONAttribute()  # what the preview counted
    total_rows = NumberAttribute()
    chunks = NumberAttribute()
    chunks_done = NumberAttribute(default=0)
    done_rows = NumberAttribute(default=0)
    created = NumberAttribute(default=0)
    contactless = NumberAttribute(null=True)  # of those created, clients with no contact
    merged = NumberAttribute(default=0)
    visits = NumberAttribute(default=0)
    notes = NumberAttribute(null=True)  # notes added to cards (none before 7 Dec 2026)
    rejected = JSONAttribute(null=True)  # [{row, code, params}], the first few hundred
    rejected_total = NumberAttribute(default=0)
    failures = NumberAttribute(null=True)  # chunk attempts that raised
    lease_until = UTCDateTimeAttribute(null=True)  # whoever works on it until then
    g4pk = UnicodeAttribute(null=True)
    g4sk = UnicodeAttribute(null=True)
    by_running: GlobalSecondaryIndex[ImportItem] = _index("g4")


class ImportChunkItem(Base):
    """BIZ#<id> / IMPORT#<import id>#<nnnn>: the clients of one chunk of an upload, as
    read from the file (TTL: a few days; deleted when the import is done)."""

    business_id = UnicodeAttribute()
    import_id = UnicodeAttribute()
    clients = JSONAttribute()  # [csv_import.group_to_json(...)]


class WebhookEndpointItem(Base):
    """BIZ#<id> / WHEP#<endpoint>: where a business's integration hears about changes
    (docs/webhooks.md): URL, events wanted, on or off, its signing secrets (the current
    one and, for a day after a rotation, the previous one), since when it fails."""

    url = UnicodeAttribute()
    events = ListAttribute(of=UnicodeAttribute)
    enabled = BooleanAttribute()
    secrets = JSONAttribute()  # [{"value": "whsec_...", "expires_at": iso | null}]
    description = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    failing_since = UTCDateTimeAttribute(null=True)
    disabled_reason = UnicodeAttribute(null=True)
    v = NumberAttribute(default=0)  # optimistic locking of the owner's edits


# --- integrations ------------------------------------------------------------------------
class ApiKeyItem(Base):
    """APIKEY#<key id> / APIKEY: an integration's key (the secret's SHA-256 only), found by
    the id the key itself carries; its per-minute request count rides on the same item.

    g1: APIKEYS#<biz> / <created>#<key id>  the business's keys, for the owner's list
    """

    business_id = UnicodeAttribute()
    key_id = UnicodeAttribute()
    name = UnicodeAttribute()
    scopes = ListAttribute(of=UnicodeAttribute)
    secret_sha256 = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    last_used_at = UTCDateTimeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    window = UnicodeAttribute(null=True)  # the minute being counted (YYYY-MM-DDTHH:MM, UTC)
    used = NumberAttribute(null=True)  # requests in that minute
    gateway_key = UnicodeAttribute(null=True)  # its API Gateway key's id (AWS: the usage plan)
    g1pk = UnicodeAttribute(null=True)
    g1sk = UnicodeAttribute(null=True)
    by_business: GlobalSecondaryIndex[ApiKeyItem] = _index("g1")


class ApiKeyCountItem(Base):
    """BIZ#<id> / APIKEYS: how many of the business's API keys are active, against its
    cap: a conditional ADD in the transaction that makes a key (so racing creations
    cannot pass the cap together), one taken off with a revocation. Missing until the
    first key made after it existed: then counted from the business's list."""

    active = NumberAttribute(null=True)


ALL_MODELS = ALL_MODELS + (
    WebhookEndpointItem,
    ApiKeyCountItem,
    MeterItem,
    SmsDayItem,
    JobStateItem,
    NoteItem,
    NoteClaimItem,
    FollowUpItem,
    AuditItem,
    FeedbackItem,
    AggregateItem,
    RewardItem,
    ImportItem,
    ImportChunkItem,
    ReturnModelItem,
    ApiKeyItem,
    SaveKeyItem,
    RefundDueItem,
)


class SearchKeyItem(Base):
    """FIND#<biz> / <token>#<client>: one way the owner's search finds a client (her
    folded name from each word on, phone digits, email; chalicelib/domain/contacts.py
    search_tokens). Written and removed with every change of her name or contacts, and
    by her erasure; a search is one Query `begins_with(<needle>)`."""

    client_id = UnicodeAttribute()


class WaitSearchKeyItem(Base):
    """FINDW#<biz> / <token>#<entry>: one way the owner's search finds someone on the
    waitlist (the client search's tokens of the entry's name and contacts). Put before
    the entry's write, removed after it leaves the list, TTL two days after its last day;
    a search reads the entries it names and shows only those open and still matching."""

    entry_id = UnicodeAttribute()


ALL_MODELS = ALL_MODELS + (SearchKeyItem, WaitSearchKeyItem)


# --- the waitlist --------------------------------------------------------------------
class WaitlistEntryItem(Base):
    """BIZ#<id> / WAIT#<entry id>: one client waiting for a service (chalicelib/domain/
    waitlist.py Entry): dates, windows, her name and contacts, status. TTL a month after
    its last day. Its day items are what matching reads."""

    entry = JSONAttribute()  # the Entry as stored_entry() writes it
    status = UnicodeAttribute()
    v = NumberAttribute(default=0)


class WaitDayItem(Base):
    """WAITQ#<biz>#<service>#<day> / <created>#<entry>: an open entry on one of its days,
    with everything matching needs (a copy of the entry), so a freed time reads one item
    per matching entry. TTL the day after.

    g1: WAITDAY#<biz> / <day>#<service>#<entry>   the calendar's counts per day and service
    """

    entry = JSONAttribute()
    g1pk = UnicodeAttribute(null=True)
    g1sk = UnicodeAttribute(null=True)
    by_day: GlobalSecondaryIndex[WaitDayItem] = _index("g1")


class WaitContactItem(Base):
    """BIZ#<id> / WAITC#<hash of phone or email>: the contact's entries, `e` maps entry id
    to '<service>|<first>|<last>|<joined>' (open: duplicates and the per-contact limit),
    '...|closed' for one that left the list or whose days passed, kept until its item's
    TTL (GDPR erasure finds it); `v` counts the writes, each conditioned on the `v` read."""

    e = MapAttribute[str, Any](default=dict)  # type: ignore[no-untyped-call]  # PynamoDB's MapAttribute.__init__ is untyped
    v = NumberAttribute(default=0)


class OfferItem(Base):
    """BIZ#<id> / OFFER#<offer id>: a freed time offered to one entry (put once: the id
    is derived from entry, staff and start). TTL a month after the time.

    g1: OFFERS#<biz> / <start utc>#<offer>   the business's offers by the time offered
    g4: OFFHOLD#<yyyy-mm-ddThh>#<shard> / <expires>#<biz>#<offer>  queue mode, sparse while held
    """

    offer = JSONAttribute()
    status = UnicodeAttribute()
    g1pk = UnicodeAttribute(null=True)
    g1sk = UnicodeAttribute(null=True)
    g4pk = UnicodeAttribute(null=True)
    g4sk = UnicodeAttribute(null=True)
    by_business: GlobalSecondaryIndex[OfferItem] = _index("g1")
    by_hold: GlobalSecondaryIndex[OfferItem] = _index("g4")


class OfferCountItem(Base):
    """BIZ#<id> / WAITN#<hash of contact>#<local day>: `n` offers the contact got that
    day, against `waitlist.offers_per_day` (a conditional ADD in the offer's transaction);
    WAITJ#...: her joining confirmations that day, against `waitlist.entries_per_contact`
    (in the entry's transaction). TTL two days."""

    n = NumberAttribute(default=0)


ALL_MODELS = ALL_MODELS + (WaitlistEntryItem, WaitDayItem, WaitContactItem, OfferItem, OfferCountItem)
