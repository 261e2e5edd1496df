"""Key formats of the single table, in one place (see docs/data-model.md).

Table keys are `pk`/`sk`; index keys `gNpk`/`gNsk`. Every function here returns one
key, or the (pk, sk) pair an item carries in one index. Sparse index keys are None
when the item is out of that index.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from chalicelib.domain.timeutil import iso_utc, sortable_utc

# Time-bucketed indexes are split into shards so that thousands of businesses
# sharing one hour never pile onto one GSI partition.
DUE_SHARDS = 8

IndexKeys = tuple[str, str]

SLUG_SK = "SLUG"
CONFIG_SK = "CONFIG"
LOADED_SK = "LOADED"  # the config as its business file last set it
RETURNS_SK = "RETURNS"
EVERY_BUSINESS = "BUSINESSES"
IDEM_SK = "IDEM"
SAVE_SK = "SAVE"  # an owner save's Idempotency-Key, under idem_pk
JOB_SK = "STATE"
CLIENT_PREFIX = "CLIENT#"


# --- table keys ---------------------------------------------------------------------
def biz(business_id: str) -> str:
    return f"BIZ#{business_id}"


def slug_pk(slug: str) -> str:
    return f"SLUG#{slug}"


def job_pk(job: str) -> str:
    return f"JOB#{job}"


def client_sk(client_id: str) -> str:
    return f"{CLIENT_PREFIX}{client_id}"


CLIENT_KEY_PREFIX = "CKEY#"


def client_key_sk(kind: str, value: str) -> str:
    return f"{CLIENT_KEY_PREFIX}{kind.upper()}#{value}"


def client_key_of(sk: str) -> tuple[str, str]:
    """(kind, value) of a client key's sort key: 'CKEY#PHONE#+358...' -> ('phone', '+358...')."""
    kind, value = sk.removeprefix(CLIENT_KEY_PREFIX).split("#", 1)
    return kind.lower(), value


def search_pk(business_id: str) -> str:
    return f"FIND#{business_id}"


def search_sk(token: str, client_id: str) -> str:
    return f"{token}#{client_id}"


def wait_search_pk(business_id: str) -> str:
    """The search keys of the business's waitlist entries (her sort keys: search_sk)."""
    return f"FINDW#{business_id}"


def appt_sk(appointment_id: str) -> str:
    return f"APPT#{appointment_id}"


def msg_sk(key: str) -> str:
    return f"MSG#{key}"


WEBHOOK_PREFIX = "WHEP#"


def webhook_sk(endpoint_id: str) -> str:
    return f"{WEBHOOK_PREFIX}{endpoint_id}"


def reward_sk(client_id: str, reward_id: str) -> str:
    return f"REWARD#{client_id}#{reward_id}"


def rewards_of(client_id: str) -> str:
    """The sort-key prefix of a client's rewards."""
    return f"REWARD#{client_id}#"


def sheets_pk(business_id: str) -> str:
    return f"SHEET#{business_id}"


def sheet_sk(day: date, staff_id: str) -> str:
    return f"{day.isoformat()}#{staff_id}"


def limits_pk(business_id: str) -> str:
    """The business's meters (domain/limits.py) and its SMS days: one small partition."""
    return f"LIMIT#{business_id}"


METER_PREFIX = "M#"


def meter_sk(kind: str, subject: str) -> str:
    return f"{METER_PREFIX}{kind}#{subject}"


def sms_day_sk(day: date) -> str:
    return f"SMSDAY#{day.isoformat()}"


def idem_pk(business_id: str, key: str) -> str:
    return f"IDEM#{business_id}#{key}"


def note_sk(client_id: str, created: datetime, note_id: str) -> str:
    return f"NOTE#{client_id}#{sortable_time(created)}#{note_id}"


def notes_of(client_id: str) -> str:
    return f"NOTE#{client_id}#"


def note_claim_sk(client_id: str, claim: str) -> str:
    """An imported note's claim on her card (csv_import.note_claim_for); `INOTE#`, not
    `NOTE#`: never read as one of her notes."""
    return f"INOTE#{client_id}#{claim}"


def note_claims_of(client_id: str) -> str:
    return f"INOTE#{client_id}#"


def followup_sk(client_id: str, followup_id: str) -> str:
    return f"FUP#{client_id}#{followup_id}"


def followups_of(client_id: str) -> str:
    return f"FUP#{client_id}#"


def audit_pk(business_id: str, month: str) -> str:
    return f"AUDIT#{business_id}#{month}"


def audit_sk(at: datetime, entry_id: str) -> str:
    return f"{sortable_time(at)}#{entry_id}"


def feedback_sk(appointment_id: str) -> str:
    return f"FB#{appointment_id}"


def import_sk(import_id: str) -> str:
    return f"IMPORT#{import_id}"


def import_chunk_sk(import_id: str, n: int) -> str:
    return f"IMPORT#{import_id}#{n:04d}"


RUNNING_IMPORTS = "IMPORTS"


def running_import_keys(business_id: str, import_id: str, started: datetime) -> IndexKeys:
    """g4 keys of an import while it runs: the imports job's list (a handful at a time)."""
    return RUNNING_IMPORTS, f"{sortable_time(started)}#{business_id}#{import_id}"


API_KEY_SK = "APIKEY"
API_KEYS_COUNT_SK = "APIKEYS"  # BIZ#<id> / APIKEYS: the business's active keys counted


def api_key_pk(key_id: str) -> str:
    return f"APIKEY#{key_id}"


def business_api_keys(business_id: str) -> str:
    return f"APIKEYS#{business_id}"


def api_key_keys(business_id: str, key_id: str, created: datetime) -> IndexKeys:
    """g1 keys of an API key: the business's keys, oldest first."""
    return business_api_keys(business_id), f"{sortable_time(created)}#{key_id}"


# KPI aggregates (chalicelib/domain/kpis.py names the periods). Three prefixes, so that
# each read is one range of the business's partition and no range holds another's items:
#   AGG#2026-11, AGG#2026-Q4, AGG#2026      the business's month, quarter and year
#   AGD#2026-11-25, AGD#2026-11-25#aino     a day: the business's, each staff member's
#   AGS#2026-11#aino (-Q4, year too)        a staff member's month, quarter and year
AGGREGATE_PREFIX = "AGG#"
DAY_AGGREGATE_PREFIX = "AGD#"
STAFF_AGGREGATE_PREFIX = "AGS#"
_STAFF = "@"  # chalicelib.domain.kpis.STAFF_SEP


def _is_day(period: str) -> bool:
    return len(period) == 10 and period[4] == "-" and period[7] == "-"


def aggregate_sk(period: str) -> str:
    base, sep, staff = period.partition(_STAFF)
    if _is_day(base):
        return f"{DAY_AGGREGATE_PREFIX}{base}#{staff}" if sep else f"{DAY_AGGREGATE_PREFIX}{base}"
    if sep:
        return f"{STAFF_AGGREGATE_PREFIX}{base}#{staff}"
    return f"{AGGREGATE_PREFIX}{period}"


def period_of(aggregate_sk: str) -> str:
    """The period an aggregate's sort key names (the inverse of aggregate_sk)."""
    for prefix in (DAY_AGGREGATE_PREFIX, STAFF_AGGREGATE_PREFIX):
        if aggregate_sk.startswith(prefix):
            base, sep, staff = aggregate_sk.removeprefix(prefix).partition("#")
            return f"{base}{_STAFF}{staff}" if sep else base
    return aggregate_sk.removeprefix(AGGREGATE_PREFIX)


def day_aggregates(first: date, last: date) -> tuple[str, str]:
    """Sort-key bounds of the day aggregates (the business's and its staff's) first..last."""
    return f"{DAY_AGGREGATE_PREFIX}{first.isoformat()}", f"{DAY_AGGREGATE_PREFIX}{last.isoformat()}#~"


def staff_aggregates_of(period: str) -> str:
    """Sort-key prefix of every staff member's aggregate of a month, quarter or year."""
    return f"{STAFF_AGGREGATE_PREFIX}{period}#"


# --- shards and buckets ---------------------------------------------------------------
def shard_of(text: str, shards: int = DUE_SHARDS) -> int:
    return zlib.crc32(text.encode()) % shards


def hour_bucket(prefix: str, instant: datetime, shard: int) -> str:
    """The partition of `instant`'s UTC hour (an instant with another offset is the same hour)."""
    return f"{prefix}#{instant.astimezone(UTC).strftime('%Y-%m-%dT%H')}#{shard}"


def hour_buckets(prefix: str, since: datetime, until: datetime, shards: int = DUE_SHARDS) -> Iterator[str]:
    """Every partition of a time-bucketed index from the hour of `since` to `until`:
    what a job Queries, one per hour and shard, instead of scanning."""
    for _, buckets in hours_of_buckets(prefix, since, until, shards):
        yield from buckets


def hours_of_buckets(
    prefix: str, since: datetime, until: datetime, shards: int = DUE_SHARDS
) -> Iterator[tuple[datetime, list[str]]]:
    """The hours from the hour of `since` to `until`, each with its partitions (oldest
    hour first): a job that stops mid-way knows every hour before is done."""
    hour = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)  # UTC hours, as hour_bucket
    while hour <= until:
        yield hour, [hour_bucket(prefix, hour, shard) for shard in range(shards)]
        hour += timedelta(hours=1)


def day_bucket(prefix: str, day: str, shard: int) -> str:
    return f"{prefix}#{day}#{shard}"


def day_buckets(prefix: str, day: str) -> list[str]:
    """Every shard of a day-bucketed index (ERASE, LAPSE, BDAY) for one day."""
    return [day_bucket(prefix, day, shard) for shard in range(DUE_SHARDS)]


def day_of_bucket(bucket: str) -> str:
    """The day of a day-bucketed partition key (LAPSE#<day>#<shard> -> <day>)."""
    return bucket.split("#")[1]


def sortable_time(instant: datetime) -> str:
    """UTC to the microsecond: items written in the same second still sort in order."""
    return sortable_utc(instant)


def parse_sortable_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def between(since: datetime, until: datetime) -> tuple[str, str]:
    """The sort-key bounds of index entries whose time is in [since, until] (entries
    are `<iso utc>#<id>`: '~' sorts after '#' and every id character)."""
    return iso_utc(since), iso_utc(until) + "~"


# --- index keys ----------------------------------------------------------------------
def business_calendar(business_id: str) -> str:
    return f"APPTS#{business_id}"


def calendar_keys(business_id: str, appointment_id: str, start: datetime) -> IndexKeys:
    """g1 keys of an appointment: the business calendar by start time."""
    return business_calendar(business_id), f"{iso_utc(start)}#{appointment_id}"


def staff_calendar(business_id: str, staff_id: str) -> str:
    return f"STAFFCAL#{business_id}#{staff_id}"


def staff_calendar_keys(business_id: str, staff_id: str, appointment_id: str, start: datetime) -> IndexKeys:
    """g4 keys of an appointment: its staff member's calendar by start time (her feed)."""
    return staff_calendar(business_id, staff_id), f"{iso_utc(start)}#{appointment_id}"


CALENDAR_VERSION_PREFIX = "CAL#"


def calendar_version_sk(staff_id: str) -> str:
    """In the sheets' partition, after every day (digits sort before letters)."""
    return f"{CALENDAR_VERSION_PREFIX}{staff_id}"


def timeoff_sk(timeoff_id: str) -> str:
    return f"TOFF#{timeoff_id}"


def business_time_off(business_id: str) -> str:
    return f"TOFF#{business_id}"


def time_off_keys(business_id: str, timeoff_id: str, last_end: datetime) -> IndexKeys:
    """g1 keys of a block of time off: the business's time off by the end of its last
    occurrence, so "time off that touches [t1, t2)" is one Query from t1 on."""
    return business_time_off(business_id), f"{iso_utc(last_end)}#{timeoff_id}"


def client_timeline(business_id: str, client_id: str) -> str:
    return f"CLIENT#{business_id}#{client_id}"


# Sort-key prefixes of the client's timeline (g2), one per kind of item on it.
TIMELINE_APPOINTMENTS = "APPT#"
TIMELINE_MESSAGES = "MSG#"
TIMELINE_NOTES = "NOTE#"
TIMELINE_FOLLOWUPS = "FUP#"
TIMELINE_FEEDBACK = "FB#"
TIMELINE_REWARDS = "REWARD#"


def timeline_keys(business_id: str, client_id: str, entry: str) -> IndexKeys:
    """g2 keys of an item on a client's timeline (`entry` starts with a TIMELINE_ prefix)."""
    return client_timeline(business_id, client_id), entry


# Due messages are spread by business as well as by time: a business's messages of an
# hour fall on BUSINESS_SPREAD neighbouring shards out of MESSAGE_SHARDS, chosen by its
# id, so 08:00 (every deferred SMS of every business) is MESSAGE_SHARDS keys, not 8, and
# one business's burst is never on one key. The first DUE_SHARDS shards are where the
# old scheme put messages (by message id alone), so the sweeper, which queries every
# shard of an hour, still finds messages written before the change.
MESSAGE_SHARDS = 16
BUSINESS_SPREAD = 4


def message_shard(business_id: str, message_key: str) -> int:
    return (shard_of(business_id, MESSAGE_SHARDS) + shard_of(message_key, BUSINESS_SPREAD)) % MESSAGE_SHARDS


def due_keys(business_id: str, message_key: str, due_at: datetime) -> IndexKeys:
    """g3 keys of a message that still has to be sent: hour bucket + shard."""
    shard = message_shard(business_id, message_key)
    return hour_bucket("DUE", due_at, shard), f"{iso_utc(due_at)}#{message_key}"


def due_hours(since: datetime, until: datetime) -> Iterator[tuple[datetime, list[str]]]:
    """The due index's partitions from `since` to `until`, hour by hour."""
    return hours_of_buckets("DUE", since, until, MESSAGE_SHARDS)


# A booking's plan waits on its appointment (g6) for the seconds until its sender
# expands it: few writes a key, so a few shards by business are enough.
PLAN_SHARDS = 4


def plan_due_keys(business_id: str, appointment_id: str, due_at: datetime) -> IndexKeys:
    """g6 keys of an appointment whose plan is not expanded yet: hour bucket + shard."""
    return hour_bucket("PLAN", due_at, shard_of(business_id, PLAN_SHARDS)), f"{iso_utc(due_at)}#{appointment_id}"


def outbox_hours(since: datetime, until: datetime) -> Iterator[tuple[datetime, list[str]]]:
    """What the sweeper reads, hour by hour: the due messages' partitions and the
    waiting plans' (PLAN# buckets)."""
    plans = hours_of_buckets("PLAN", since, until, PLAN_SHARDS)
    for (hour, due), (_, waiting) in zip(due_hours(since, until), plans, strict=True):
        yield hour, [*due, *waiting]


def end_keys(appointment_id: str, end: datetime) -> IndexKeys:
    """g3 keys of a booked visit, by the hour it ends (feedback, auto-completion)."""
    return hour_bucket("END", end, shard_of(appointment_id)), f"{iso_utc(end)}#{appointment_id}"


def hold_keys(appointment_id: str, hold_until: datetime) -> IndexKeys:
    """g4 keys of a held booking, by the hour its hold runs out (the hold_expiry job;
    sparse: gone once confirmed, paid or freed), whatever the hold waits for."""
    return hour_bucket("HOLD", hold_until, shard_of(appointment_id)), f"{iso_utc(hold_until)}#{appointment_id}"


def stripe_event_pk(event_id: str) -> str:
    return f"STRIPE#{event_id}"


STRIPE_EVENT_SK = "EVENT"
TIMELINE_MONEY = "MONEY#"


def money_sk(appointment_id: str, kind: str) -> str:
    return f"MONEY#{appointment_id}#{kind}"


def refund_due_sk(appointment_id: str) -> str:
    return f"OWED#{appointment_id}"


def refunds_due(business_id: str) -> str:
    return f"OWED#{business_id}"


def refund_due_keys(business_id: str, appointment_id: str, at: datetime) -> IndexKeys:
    """g1 keys of a refund the owner is to make: the business's, by when what she owes last
    changed."""
    return refunds_due(business_id), f"{sortable_time(at)}#{appointment_id}"


def failed_messages(business_id: str) -> str:
    return f"MSGFAIL#{business_id}"


def failed_keys(business_id: str, message_key: str, failed_at: datetime) -> IndexKeys:
    """g1 keys of a message that failed for good: the owner's list, by time."""
    return failed_messages(business_id), f"{iso_utc(failed_at)}#{message_key}"


def delivery_log(business_id: str, endpoint_id: str) -> str:
    return f"WHLOG#{business_id}#{endpoint_id}"


def delivery_log_keys(business_id: str, endpoint_id: str, created_at: datetime, message_key: str) -> IndexKeys:
    """g1 keys of a webhook delivery: its endpoint's log, newest last."""
    return delivery_log(business_id, endpoint_id), f"{iso_utc(created_at)}#{message_key}"


def erase_keys(business_id: str, client_id: str, day: str) -> IndexKeys:
    """g3 keys of a client: the day she becomes due for automatic erasure."""
    return day_bucket("ERASE", day, shard_of(client_id)), f"{business_id}#{client_id}"


def birthday_keys(business_id: str, client_id: str, month_day: str) -> IndexKeys:
    """g5 keys of a client with a birthday, by MM-DD (issue 6's greetings)."""
    return day_bucket("BDAY", month_day, shard_of(client_id)), f"{business_id}#{client_id}"


def at_risk_list(business_id: str) -> str:
    return f"RISK#{business_id}"


def risk_keys(business_id: str, client_id: str, at_risk_on: str) -> IndexKeys:
    """g1 keys of a client: the owner's list of clients at risk from a day on."""
    return at_risk_list(business_id), f"{at_risk_on}#{client_id}"


def up_to_day(day: date) -> str:
    """The upper sort-key bound of entries `<day>#...` on or before `day`."""
    return f"{day.isoformat()}#~"


def lapse_keys(business_id: str, client_id: str, lapsed_on: str) -> IndexKeys:
    """g4 keys of a client: the day she lapses, across businesses (win-back)."""
    return day_bucket("LAPSE", lapsed_on, shard_of(client_id)), f"{business_id}#{client_id}"


def lapse_from(day: str) -> str:
    """The lowest g4pk of the lapse index on `day`: a key at or above it is that day or later."""
    return f"LAPSE#{day}#"


def followups_due(business_id: str) -> str:
    return f"FUPDUE#{business_id}"


def followup_due_keys(business_id: str, client_id: str, followup_id: str, due: date) -> IndexKeys:
    """g4 keys of an open follow-up: the business's follow-ups by due date."""
    return followups_due(business_id), f"{due.isoformat()}#{client_id}#{followup_id}"


def business_feedback(business_id: str) -> str:
    return f"FB#{business_id}"


def feedback_keys(business_id: str, appointment_id: str, visit_start: datetime) -> IndexKeys:
    """g1 keys of a rating: the business's feedback by visit start."""
    return business_feedback(business_id), f"{iso_utc(visit_start)}#{appointment_id}"


# KPI marks: a partition per group of businesses (KPI_SHARDS of them, by business id),
# the business first in the sort key, so the sync finds each business's marks as one
# range and serves the businesses in turn; one business's import never sits in front
# of another's marks. Before this the marks were `KPI#<0-7>` by client id with the time
# first (LEGACY_KPI_SHARDS); the sync moves any such mark it finds to the new keys.
KPI_SHARDS = 32
LEGACY_KPI_SHARDS = DUE_SHARDS


def kpi_changes(shard: int) -> str:
    return f"KPIB#{shard}"


def legacy_kpi_changes(shard: int) -> str:
    return f"KPI#{shard}"


def kpi_change_keys(business_id: str, client_id: str, changed_at: datetime) -> IndexKeys:
    """g2 keys of a client whose KPI contribution changed at `changed_at` (sparse)."""
    shard = shard_of(business_id, KPI_SHARDS)
    return kpi_changes(shard), f"{business_id}#{sortable_time(changed_at)}#{client_id}"


def legacy_kpi_mark(business_id: str, client_id: str, changed_at: datetime) -> str:
    return f"{sortable_time(changed_at)}#{business_id}#{client_id}"


def kpi_marks_of(business_id: str, until: datetime) -> tuple[str, str]:
    """Sort-key bounds of a business's KPI marks made before `until`."""
    return f"{business_id}#", f"{business_id}#{sortable_time(until)}"


def after_business(business_id: str) -> str:
    """A sort key past every mark of the business (its id, '#', then times)."""
    return f"{business_id}#~"


def _legacy_mark(g2sk: str) -> bool:
    return len(g2sk) > 10 and g2sk[4] == "-" and g2sk[10] == "T"


def kpi_changed_at(g2sk: str) -> datetime:
    """When a client's KPI change was marked, from its g2 sort key (either scheme)."""
    if _legacy_mark(g2sk):
        return parse_sortable_time(g2sk.split("#", 1)[0])
    return parse_sortable_time(g2sk.split("#")[1])


def kpi_mark_business(g2sk: str) -> str:
    return g2sk.split("#")[1] if _legacy_mark(g2sk) else g2sk.split("#", maxsplit=1)[0]


# --- the waitlist (chalicelib/domain/waitlist.py) --------------------------------------
def wait_sk(entry_id: str) -> str:
    return f"WAIT#{entry_id}"


WAIT_PREFIX = "WAIT#"


def wait_day_pk(business_id: str, service_id: str, day: date) -> str:
    """The partition of a business's entries for one service on one local day: what a
    freed time Queries (its cost grows with the entries of that day, not the list)."""
    return f"WAITQ#{business_id}#{service_id}#{day.isoformat()}"


def wait_day_sk(created: datetime, entry_id: str) -> str:
    """Queue order: first to join first."""
    return f"{sortable_time(created)}#{entry_id}"


def waiting_per_day(business_id: str) -> str:
    return f"WAITDAY#{business_id}"


def waiting_keys(business_id: str, day: date, service_id: str, entry_id: str) -> IndexKeys:
    """g1 keys of an entry's day item: the owner's calendar counts ("3 waiting for
    Tuesday") over a range of days, one Query."""
    return waiting_per_day(business_id), f"{day.isoformat()}#{service_id}#{entry_id}"


def wait_contact_sk(kind: str, value: str) -> str:
    """The contact's entries (duplicates, the per-contact limit): hashed, no contact in the key."""
    import hashlib

    return "WAITC#" + hashlib.sha256(f"{kind}#{value}".encode()).hexdigest()[:32]


def offer_sk(offer_id: str) -> str:
    return f"OFFER#{offer_id}"


def business_offers(business_id: str) -> str:
    return f"OFFERS#{business_id}"


def offer_keys(business_id: str, offer_id: str, start: datetime) -> IndexKeys:
    """g1 keys of an offer: the business's offers by the time offered (the owner sees
    who was offered what, and who took it)."""
    return business_offers(business_id), f"{iso_utc(start)}#{offer_id}"


def offer_count_sk(contact: str, day: date, what: str = "WAITN") -> str:
    """A contact's waitlist offers of one local day (the daily cap); `what` "WAITJ": her
    joining confirmations of the day (their own cap)."""
    import hashlib

    return f"{what}#{hashlib.sha256(contact.encode()).hexdigest()[:32]}#{day.isoformat()}"


def offer_hold_keys(business_id: str, offer_id: str, expires: datetime) -> IndexKeys:
    """g4 keys of a queue-mode offer while it holds its time, by the hour the hold runs
    out (the waitlist job passes the time on to the next in the queue; sparse)."""
    return hour_bucket("OFFHOLD", expires, shard_of(offer_id)), f"{iso_utc(expires)}#{business_id}#{offer_id}"
