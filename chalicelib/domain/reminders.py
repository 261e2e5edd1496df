"""When each reminder of a visit goes out: lead times, "the day before at HH:MM",
SMS quiet hours in the business's time zone, and what to do when a job runs late.

Pure functions on UTC instants; wall-clock rules go through zoneinfo, so DST days
come out right.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.config import QuietHours, ReminderRule
from chalicelib.domain.timeutil import local_wall_to_utc

# A reminder moved out of quiet hours must still arrive this long before the visit.
MIN_LEAD_AFTER_SHIFT = timedelta(minutes=30)
# The news of a change the salon made (the desk books, moves or cancels her visit) is
# held past the quiet hours only while it still reaches her this long before the visit:
# time to read it before she sets off (the default SMS reminder's lead).
CHANGE_NEWS_LEAD = timedelta(hours=2)
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class PlannedReminder:
    rule_id: str
    channel: str
    send_at: datetime | None  # None when skipped
    skipped: str | None = None  # why: booked_inside_lead_time | quiet_hours | visit_started


def nominal_time(rule: ReminderRule, start: datetime, tz: ZoneInfo) -> datetime:
    if rule.hours_before is not None:
        return start - timedelta(hours=rule.hours_before)
    day_before = start.astimezone(tz).date() - timedelta(days=1)
    return local_wall_to_utc(day_before, rule.day_before_minutes or 0, tz)


def _minutes(t: datetime, tz: ZoneInfo) -> int:
    local = t.astimezone(tz)
    return local.hour * 60 + local.minute


def in_quiet_hours(t: datetime, quiet: QuietHours, tz: ZoneInfo) -> bool:
    m, qs, qe = _minutes(t, tz), quiet.start_minutes, quiet.end_minutes
    if qs == qe:
        return False
    return (m >= qs or m < qe) if qs > qe else (qs <= m < qe)


def quiet_hours_over(t: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime:
    """When an SMS that may not wait for a visit's start (a win-back, a birthday greeting,
    the owner's own words) may go: `t` outside quiet hours, else the first whole minute
    after them. Stepped in UTC, so DST nights come out right; quiet hours never cover the
    whole day (domain/config.py QuietHours), so the end comes within a day."""
    if not in_quiet_hours(t, quiet, tz):
        return t
    at = t.replace(second=0, microsecond=0)
    for _ in range(24 * 60 + 1):
        at += _MINUTE
        if not in_quiet_hours(at, quiet, tz):
            return at
    return at


def salon_change_sms_time(now: datetime, quiet: QuietHours, tz: ZoneInfo, visit_start: datetime) -> datetime:
    """When the SMS telling her of a change the salon made at `now` may go: at the end of
    the quiet hours (quiet_hours_over, the rule every held SMS waits by) — or now, when
    that would leave her less than CHANGE_NEWS_LEAD before `visit_start` (the earlier of
    her visit's times: a moved visit's old one too), so that she never misses the news.
    A change she made herself answers her at once (services/message_plans.py)."""
    later = quiet_hours_over(now, quiet, tz)
    return later if later + CHANGE_NEWS_LEAD <= visit_start else now


def allowed_sms_time(
    t: datetime, quiet: QuietHours, tz: ZoneInfo, earliest: datetime, visit_start: datetime
) -> datetime | None:
    """`t` if it is outside quiet hours, else the nearest allowed moment — just before
    the quiet period or at its end — that is not before `earliest` and at least 30
    minutes before the visit; None when there is no such moment.

    Searches minute by minute outwards from `t` (at most a day each way): plain, and
    right on DST nights, when a quiet-hours edge may not exist or may occur twice."""
    if not in_quiet_hours(t, quiet, tz):
        return t
    latest = visit_start - MIN_LEAD_AFTER_SHIFT
    for k in range(1, 24 * 60 + 1):
        for candidate in (t - k * _MINUTE, t + k * _MINUTE):
            if earliest <= candidate <= latest and not in_quiet_hours(candidate, quiet, tz):
                return candidate
        if t - k * _MINUTE < earliest and t + k * _MINUTE > latest:
            return None
    return None


# A reminder due as her time to change the booking online runs out (the default plan: an
# email 24 h before, changes until 24 h before) goes this long before it instead, so that it
# can still offer the change ("can no longer be changed online" was all it ever said).
BEFORE_CHANGES_CLOSE = timedelta(hours=2)


def send_time(nominal: datetime, change_deadline: datetime | None) -> datetime:
    """When a reminder due at `nominal` goes: then, or BEFORE_CHANGES_CLOSE before the
    change deadline when it would fall within that much of it either way."""
    if change_deadline is not None and abs(nominal - change_deadline) < BEFORE_CHANGES_CLOSE:
        return change_deadline - BEFORE_CHANGES_CLOSE
    return nominal


def plan(
    rules: Iterable[ReminderRule],
    quiet: QuietHours,
    tz: ZoneInfo,
    visit_start: datetime,
    booked_at: datetime,
    channels: set[str],
    change_deadline: datetime | None = None,
) -> list[PlannedReminder]:
    """The reminders of one visit on the channels the client has (`change_deadline`: until
    when she may change it online, send_time)."""
    out = []
    for rule in rules:
        if rule.channel not in channels:
            continue
        at = nominal_time(rule, visit_start, tz)
        if at < booked_at:
            # Booked inside this reminder's lead time: no "see you tomorrow" an hour before.
            out.append(PlannedReminder(rule.id, rule.channel, None, "booked_inside_lead_time"))
            continue
        if (early := send_time(at, change_deadline)) >= booked_at + BEFORE_CHANGES_CLOSE:
            at = early  # else booked only hours before it: at its own time, not beside the confirmation
        if rule.channel == "sms":
            allowed = allowed_sms_time(at, quiet, tz, booked_at, visit_start)
            if allowed is None:
                out.append(PlannedReminder(rule.id, rule.channel, None, "quiet_hours"))
                continue
            at = allowed
        out.append(PlannedReminder(rule.id, rule.channel, at))
    return out


@dataclass(frozen=True)
class SendDecision:
    action: str  # send | defer | skip
    at: datetime | None = None
    reason: str | None = None


def decide_at_send_time(
    channel: str, now: datetime, visit_start: datetime, quiet: QuietHours, tz: ZoneInfo
) -> SendDecision:
    """A due reminder, possibly late (catch-up after an outage): send, move, or skip."""
    if now >= visit_start:
        return SendDecision("skip", reason="visit_started")
    if channel == "sms" and in_quiet_hours(now, quiet, tz):
        later = allowed_sms_time(now, quiet, tz, now, visit_start)
        if later is None or later <= now:
            return SendDecision("skip", reason="quiet_hours")
        return SendDecision("defer", at=later)
    return SendDecision("send")
