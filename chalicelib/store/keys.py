"""Key formats of the single table, in one place (see docs/data-model.md)."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

from chalicelib.domain.timeutil import iso_utc

# Time-bucketed indexes are split into shards so that thousands of businesses
# sharing one hour never pile onto one GSI partition.
DUE_SHARDS = 8


def biz(business_id: str) -> str:
    return f"BIZ#{business_id}"


def client_sk(client_id: str) -> str:
    return f"CLIENT#{client_id}"


def client_key_sk(kind: str, value: str) -> str:
    return f"CKEY#{kind.upper()}#{value}"


def appt_sk(appointment_id: str) -> str:
    return f"APPT#{appointment_id}"


def msg_sk(key: str) -> str:
    return f"MSG#{key}"


def reward_sk(client_id: str, reward_id: str) -> str:
    return f"REWARD#{client_id}#{reward_id}"


def lock_pk(business_id: str, staff_id: str, granule: datetime) -> str:
    return f"LOCK#{business_id}#{staff_id}#{granule.strftime('%Y-%m-%dT%H:%MZ')}"


def idem_pk(business_id: str, key: str) -> str:
    return f"IDEM#{business_id}#{key}"


def business_calendar(business_id: str) -> str:
    return f"APPTS#{business_id}"


def client_timeline(business_id: str, client_id: str) -> str:
    return f"CLIENT#{business_id}#{client_id}"


def shard_of(text: str, shards: int = DUE_SHARDS) -> int:
    return zlib.crc32(text.encode()) % shards


def hour_bucket(prefix: str, instant: datetime, shard: int) -> str:
    return f"{prefix}#{instant.strftime('%Y-%m-%dT%H')}#{shard}"


def hour_buckets(prefix: str, since: datetime, until: datetime):
    """Every partition of a time-bucketed index from the hour of `since` to `until`:
    what a job Queries, one per hour and shard, instead of scanning."""
    hour = since.replace(minute=0, second=0, microsecond=0)
    while hour <= until:
        for shard in range(DUE_SHARDS):
            yield hour_bucket(prefix, hour, shard)
        hour += timedelta(hours=1)


def day_buckets(prefix: str, day: str):
    """Every shard of a day-bucketed index (ERASE, LAPSE, BDAY) for one day."""
    return [day_bucket(prefix, day, shard) for shard in range(DUE_SHARDS)]


def due_keys(message_key: str, due_at: datetime) -> tuple[str, str]:
    """g3 keys of a message that still has to be sent: hour bucket + shard."""
    return hour_bucket("DUE", due_at, shard_of(message_key)), f"{iso_utc(due_at)}#{message_key}"


def end_keys(appointment_id: str, end: datetime) -> tuple[str, str]:
    """g3 keys of a booked visit, by the hour it ends (feedback, auto-completion)."""
    return hour_bucket("END", end, shard_of(appointment_id)), f"{iso_utc(end)}#{appointment_id}"


def day_bucket(prefix: str, day: str, shard: int) -> str:
    return f"{prefix}#{day}#{shard}"


def erase_keys(business_id: str, client_id: str, day: str) -> tuple[str, str]:
    """g3 keys of a client: the day she becomes due for automatic erasure."""
    return day_bucket("ERASE", day, shard_of(client_id)), f"{business_id}#{client_id}"


def birthday_keys(business_id: str, client_id: str, month_day: str) -> tuple[str, str]:
    """g5 keys of a client with a birthday, by MM-DD (issue 6's greetings)."""
    return day_bucket("BDAY", month_day, shard_of(client_id)), f"{business_id}#{client_id}"


def sortable_time(instant: datetime) -> str:
    """UTC to the microsecond: items written in the same second still sort in order."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def note_sk(client_id: str, created: datetime, note_id: str) -> str:
    return f"NOTE#{client_id}#{sortable_time(created)}#{note_id}"


def followup_sk(client_id: str, followup_id: str) -> str:
    return f"FUP#{client_id}#{followup_id}"


def followups_due(business_id: str) -> str:
    return f"FUPDUE#{business_id}"


def audit_pk(business_id: str, month: str) -> str:
    return f"AUDIT#{business_id}#{month}"


def feedback_sk(appointment_id: str) -> str:
    return f"FB#{appointment_id}"


def business_feedback(business_id: str) -> str:
    return f"FB#{business_id}"


def aggregate_sk(month: str) -> str:
    return f"AGG#{month}"


def risk_keys(business_id: str, client_id: str, at_risk_on: str) -> tuple[str, str]:
    """g1 keys of a client: the owner's list of clients at risk from a day on."""
    return f"RISK#{business_id}", f"{at_risk_on}#{client_id}"


def lapse_keys(business_id: str, client_id: str, lapsed_on: str) -> tuple[str, str]:
    """g4 keys of a client: the day she lapses, across businesses (win-back)."""
    return day_bucket("LAPSE", lapsed_on, shard_of(client_id)), f"{business_id}#{client_id}"
