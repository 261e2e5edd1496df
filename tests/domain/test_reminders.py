"""When a visit's reminders go out, as a salon owner in Helsinki sees it.

Expected instants are written out by hand (UTC and local wall clock) rather than
recomputed with the code under test, so a DST mistake in the code cannot hide in
the test. Helsinki is EET (+02:00) in winter and EEST (+03:00) in summer; in 2026
the clocks go 03:00 -> 04:00 on 29 March and 04:00 -> 03:00 on 25 October.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.domain.config import DEFAULT_REMINDERS, QuietHours, ReminderRule
from chalicelib.domain.reminders import (
    PlannedReminder,
    SendDecision,
    decide_at_send_time,
    in_quiet_hours,
    nominal_time,
    plan,
)

HEL = ZoneInfo("Europe/Helsinki")
QUIET = QuietHours()  # 21:00-08:00 local
NO_QUIET = QuietHours(start="00:00", end="00:00")  # an empty window: never quiet
BOTH = {"email", "sms"}
# A moved SMS must still arrive at least this long before the visit (written out, not imported).
MIN_LEAD_AFTER_SHIFT = timedelta(minutes=30)

EMAIL_24H = ReminderRule(channel="email", hours_before=24)
SMS_2H = ReminderRule(channel="sms", hours_before=2)
EMAIL_D1 = ReminderRule(channel="email", day_before_at="18:00")


def z(y, mo, d, h, mi=0) -> datetime:
    """A UTC instant."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def wall(t: datetime) -> str:
    """Local wall clock with its offset, e.g. '2026-03-28T08:00+02:00'."""
    return t.astimezone(HEL).isoformat(timespec="minutes")


def by_rule(planned: list[PlannedReminder]) -> dict[str, PlannedReminder]:
    out = {p.rule_id: p for p in planned}
    assert len(out) == len(planned), "one entry per rule"
    return out


def plan_one(rule, visit, booked, quiet=QUIET, channels=BOTH) -> PlannedReminder:
    (p,) = plan([rule], quiet, HEL, visit, booked, channels)
    assert p.rule_id == rule.id and p.channel == rule.channel
    return p


# --- 1. DST matrix -----------------------------------------------------------------

# UTC offset (hours) of Helsinki during the daytime (after 04:00) of each date.
OFFSET = {
    date(2026, 3, 27): 2,
    date(2026, 3, 28): 2,
    date(2026, 3, 29): 3,
    date(2026, 3, 30): 3,
    date(2026, 10, 23): 3,
    date(2026, 10, 24): 3,
    date(2026, 10, 25): 2,
    date(2026, 10, 26): 2,
}
VISIT_DAYS = [
    date(2026, 3, 28),
    date(2026, 3, 29),
    date(2026, 3, 30),
    date(2026, 10, 24),
    date(2026, 10, 25),
    date(2026, 10, 26),
]
VISIT_HOURS = [9, 12, 18]
MATRIX = [(d, h) for d in VISIT_DAYS for h in VISIT_HOURS]


def _ids(case):
    d, h = case
    return f"{d.isoformat()}-{h:02d}00"


def _visit(d: date, h: int) -> datetime:
    return z(d.year, d.month, d.day, h - OFFSET[d])


def test_offset_table_matches_the_tz_database():
    # Guards the hand-written table above, nothing more.
    for d, off in OFFSET.items():
        assert datetime(d.year, d.month, d.day, 12, tzinfo=HEL).utcoffset() == timedelta(hours=off)


@pytest.mark.parametrize("case", MATRIX, ids=_ids)
def test_24h_email_is_24_real_hours_before(case):
    d, h = case
    visit = _visit(d, h)
    p = plan_one(EMAIL_24H, visit, visit - timedelta(days=10))
    assert p.skipped is None
    assert p.send_at == visit - timedelta(hours=24)
    prev = d - timedelta(days=1)
    local_hour = h - OFFSET[d] + OFFSET[prev]
    assert wall(p.send_at) == f"{prev.isoformat()}T{local_hour:02d}:00+{OFFSET[prev]:02d}:00"


@pytest.mark.parametrize(
    "visit_local, visit_utc, email_utc, email_local",
    [
        # Spring forward: 24 real hours before a visit on the switch day is an hour earlier on the wall.
        ("2026-03-29T09:00", z(2026, 3, 29, 6), z(2026, 3, 28, 6), "2026-03-28T08:00+02:00"),
        ("2026-03-29T12:00", z(2026, 3, 29, 9), z(2026, 3, 28, 9), "2026-03-28T11:00+02:00"),
        ("2026-03-29T18:00", z(2026, 3, 29, 15), z(2026, 3, 28, 15), "2026-03-28T17:00+02:00"),
        # Fall back: an hour later on the wall.
        ("2026-10-25T09:00", z(2026, 10, 25, 7), z(2026, 10, 24, 7), "2026-10-24T10:00+03:00"),
        ("2026-10-25T12:00", z(2026, 10, 25, 10), z(2026, 10, 24, 10), "2026-10-24T13:00+03:00"),
        ("2026-10-25T18:00", z(2026, 10, 25, 16), z(2026, 10, 24, 16), "2026-10-24T19:00+03:00"),
        # The day after the switch: both days on the same offset, same wall time.
        ("2026-03-30T09:00", z(2026, 3, 30, 6), z(2026, 3, 29, 6), "2026-03-29T09:00+03:00"),
        ("2026-10-26T09:00", z(2026, 10, 26, 7), z(2026, 10, 25, 7), "2026-10-25T09:00+02:00"),
    ],
)
def test_24h_email_on_switch_days_spelled_out(visit_local, visit_utc, email_utc, email_local):
    assert wall(visit_utc).startswith(visit_local)
    p = plan_one(EMAIL_24H, visit_utc, visit_utc - timedelta(days=3))
    assert p.send_at == email_utc
    assert wall(p.send_at) == email_local


@pytest.mark.parametrize("case", MATRIX, ids=_ids)
def test_day_before_1800_is_1800_local_on_the_previous_calendar_day(case):
    d, h = case
    visit = _visit(d, h)
    p = plan_one(EMAIL_D1, visit, visit - timedelta(days=10))
    prev = d - timedelta(days=1)
    assert p.skipped is None and p.send_at is not None
    assert wall(p.send_at) == f"{prev.isoformat()}T18:00+{OFFSET[prev]:02d}:00"
    assert p.send_at == z(prev.year, prev.month, prev.day, 18 - OFFSET[prev])


@pytest.mark.parametrize(
    "visit_day, d1_utc",
    [
        (date(2026, 3, 28), z(2026, 3, 27, 16)),  # winter evening
        (date(2026, 3, 29), z(2026, 3, 28, 16)),  # eve of the switch is still winter
        (date(2026, 3, 30), z(2026, 3, 29, 15)),  # switch day evening is summer
        (date(2026, 10, 24), z(2026, 10, 23, 15)),
        (date(2026, 10, 25), z(2026, 10, 24, 15)),  # eve of the switch is still summer
        (date(2026, 10, 26), z(2026, 10, 25, 16)),  # switch day evening is winter
    ],
)
@pytest.mark.parametrize("hour", VISIT_HOURS)
def test_day_before_1800_utc_values(visit_day, d1_utc, hour):
    visit = _visit(visit_day, hour)
    assert plan_one(EMAIL_D1, visit, visit - timedelta(days=5)).send_at == d1_utc


@pytest.mark.parametrize("case", MATRIX, ids=_ids)
def test_2h_sms_is_2_real_hours_before(case):
    d, h = case
    visit = _visit(d, h)
    p = plan_one(SMS_2H, visit, visit - timedelta(days=10), quiet=NO_QUIET)
    assert p.send_at == visit - timedelta(hours=2)
    assert wall(p.send_at) == f"{d.isoformat()}T{h - 2:02d}:00+{OFFSET[d]:02d}:00"


@pytest.mark.parametrize("case", MATRIX, ids=_ids)
def test_2h_sms_with_default_quiet_hours(case):
    d, h = case
    visit = _visit(d, h)
    p = plan_one(SMS_2H, visit, visit - timedelta(days=10))
    if h == 9:
        # 07:00 is quiet: moved to 08:00 the same morning, an hour before the visit.
        assert p.send_at == visit - timedelta(hours=1)
        assert wall(p.send_at) == f"{d.isoformat()}T08:00+{OFFSET[d]:02d}:00"
    else:
        assert p.send_at == visit - timedelta(hours=2)
        assert wall(p.send_at) == f"{d.isoformat()}T{h - 2:02d}:00+{OFFSET[d]:02d}:00"


@pytest.mark.parametrize(
    "visit, sms_utc, sms_local",
    [
        # Visit 05:00 EEST on the spring switch day: 2 real hours earlier is 02:00 EET (3 wall hours).
        (z(2026, 3, 29, 2), z(2026, 3, 29, 0), "2026-03-29T02:00+02:00"),
        # Visit 04:30 EET on the autumn switch day: 2 real hours earlier is the first 03:30 (EEST).
        (z(2026, 10, 25, 2, 30), z(2026, 10, 25, 0, 30), "2026-10-25T03:30+03:00"),
        # Visit 03:30 EET (the second 03:30): 2 real hours earlier is 02:30 EEST (1 wall hour).
        (z(2026, 10, 25, 1, 30), z(2026, 10, 24, 23, 30), "2026-10-25T02:30+03:00"),
    ],
)
def test_2h_sms_across_the_switch_itself(visit, sms_utc, sms_local):
    p = plan_one(SMS_2H, visit, visit - timedelta(days=1), quiet=NO_QUIET)
    assert p.send_at == sms_utc
    assert wall(p.send_at) == sms_local


def test_default_plan_on_spring_switch_day():
    # A noon visit on 29 March 2026 with the default rules: email 24 h before, SMS 2 h before.
    visit = z(2026, 3, 29, 9)  # 12:00 EEST
    got = by_rule(plan(DEFAULT_REMINDERS, QUIET, HEL, visit, z(2026, 3, 1, 10), BOTH))
    assert got == {
        "email-24h": PlannedReminder("email-24h", "email", z(2026, 3, 28, 9)),  # 11:00 EET
        "sms-2h": PlannedReminder("sms-2h", "sms", z(2026, 3, 29, 7)),  # 10:00 EEST
    }


@pytest.mark.parametrize(
    ("window_hours", "booked_hours_before", "email_hours_before"),
    [
        (24, 72, 26),  # the default plan: two hours before her changes close, so it offers them
        (25, 72, 27),  # a deadline an hour before it: the same two hours before that
        (23, 72, 25),  # ...or an hour after it
        (26, 72, 24),  # two hours or more away: at its own time
        (48, 72, 24),
        (24, 27, 24),  # booked only hours before it: at its own time, not beside the confirmation
    ],
)
def test_an_email_due_as_changes_close_goes_while_she_can_still_change(
    window_hours, booked_hours_before, email_hours_before
):
    """Two walks read every 24 h reminder say "can no longer be changed online": the
    default email went the moment the default 24 h window closed."""
    visit = z(2026, 11, 25, 10)
    deadline = visit - timedelta(hours=window_hours)
    booked = visit - timedelta(hours=booked_hours_before)
    got = by_rule(plan(DEFAULT_REMINDERS, QUIET, HEL, visit, booked, BOTH, deadline))
    assert got["email-24h"].send_at == visit - timedelta(hours=email_hours_before)
    assert got["sms-2h"].send_at == visit - timedelta(hours=2)  # far from the deadline: as it was


def test_nominal_time_day_before_for_a_visit_just_after_midnight():
    # 00:15 on 30 March (EEST) -> "the day before" is 29 March, the switch day, at 18:00 EEST.
    visit = z(2026, 3, 29, 21, 15)
    assert wall(visit) == "2026-03-30T00:15+03:00"
    assert nominal_time(EMAIL_D1, visit, HEL) == z(2026, 3, 29, 15)


# --- 2. Quiet hours ------------------------------------------------------------------


# Tuesday 24 November 2026, winter time (+02:00).
def nov(d, h, mi=0) -> datetime:
    return z(2026, 11, d, 0, mi) + timedelta(hours=h - 2)


@pytest.mark.parametrize(
    "local, quiet",
    [
        ((20, 59), False),
        ((21, 0), True),
        ((23, 59), True),
        ((0, 0), True),
        ((7, 59), True),
        ((8, 0), False),
        ((12, 0), False),
    ],
)
def test_quiet_hours_edges_in_local_time(local, quiet):
    assert in_quiet_hours(nov(24, *local), QUIET, HEL) is quiet


def test_visit_0820_booked_days_earlier_sms_moves_to_2059_the_evening_before():
    visit = nov(24, 8, 20)
    p = plan_one(SMS_2H, visit, nov(20, 12))
    # 06:20 is 9h21m after 20:59 and 1h40m before 08:00; 08:00 is only 20 min before the visit.
    assert p.skipped is None
    assert p.send_at == nov(23, 20, 59)
    assert wall(p.send_at) == "2026-11-23T20:59+02:00"


def test_visit_0820_booked_after_2059_the_evening_before_sms_is_skipped():
    visit = nov(24, 8, 20)
    got = by_rule(plan(DEFAULT_REMINDERS, QUIET, HEL, visit, nov(23, 22, 0), BOTH))
    assert got["sms-2h"] == PlannedReminder("sms-2h", "sms", None, "quiet_hours")
    assert got["email-24h"] == PlannedReminder("email-24h", "email", None, "booked_inside_lead_time")


@pytest.mark.parametrize(
    "booked, expected",
    [
        (nov(23, 20, 58), nov(23, 20, 59)),
        (nov(23, 20, 59), nov(23, 20, 59)),  # booked at that very minute: still fine
        (nov(23, 21, 0), None),
    ],
)
def test_move_back_to_2059_needs_the_booking_to_exist_by_then(booked, expected):
    p = plan_one(SMS_2H, nov(24, 8, 20), booked)
    assert p.send_at == expected
    assert p.skipped == (None if expected else "quiet_hours")


@pytest.mark.parametrize(
    "visit_local, expected_local",
    [
        ((9, 0), (24, 8, 0)),  # 07:00 -> 08:00, an hour before
        ((8, 30), (24, 8, 0)),  # 06:30 -> 08:00, exactly 30 min before: allowed
        ((8, 29), (23, 20, 59)),  # 06:29 -> 08:00 would be 29 min before: back to 20:59
        ((10, 0), (24, 8, 0)),  # 08:00 is not quiet: unchanged
        ((9, 59), (24, 8, 0)),  # 07:59 -> 08:00
        ((22, 59), (24, 20, 59)),  # 20:59 is not quiet: unchanged
        ((23, 0), (24, 20, 59)),  # 21:00 is quiet -> 20:59
        ((23, 30), (24, 20, 59)),  # 21:30 -> 20:59 (31 min earlier beats 10h30m later)
    ],
)
def test_sms_moves_to_the_nearest_allowed_time(visit_local, expected_local):
    p = plan_one(SMS_2H, nov(24, *visit_local), nov(10, 12))
    assert p.skipped is None
    assert p.send_at == nov(*expected_local)


@pytest.mark.parametrize(
    "visit_local, expected_local",
    [
        ((12, 0), (23, 20, 59)),  # nominal 02:00: 5h01m after 20:59, 6h before 08:00
        ((13, 0), (24, 8, 0)),  # nominal 03:00: 6h01m after 20:59, 5h before 08:00
    ],
)
def test_nearest_is_chosen_by_distance(visit_local, expected_local):
    rule = ReminderRule(channel="sms", hours_before=10)
    p = plan_one(rule, nov(24, *visit_local), nov(10, 12))
    assert p.send_at == nov(*expected_local)


def test_quiet_hours_do_not_touch_email():
    # A 24 h email that lands at 06:20 local goes out at 06:20.
    visit = nov(25, 6, 20)
    assert plan_one(EMAIL_24H, visit, nov(10, 12)).send_at == nov(24, 6, 20)


def test_custom_quiet_hours():
    quiet = QuietHours(start="22:00", end="07:00")
    assert plan_one(SMS_2H, nov(24, 9, 0), nov(10, 12), quiet=quiet).send_at == nov(24, 7, 0)
    assert plan_one(SMS_2H, nov(24, 8, 0), nov(10, 12), quiet=quiet).send_at == nov(24, 7, 0)
    # 05:00 -> 07:00 would be 30 min before a 07:30 visit: allowed.
    assert plan_one(SMS_2H, nov(24, 7, 30), nov(10, 12), quiet=quiet).send_at == nov(24, 7, 0)
    assert plan_one(SMS_2H, nov(24, 7, 25), nov(10, 12), quiet=quiet).send_at == nov(23, 21, 59)


class TestSpringSwitchNight:
    """Night of 28/29 March 2026: 21:00 EET = 19:00Z, 08:00 EEST = 05:00Z."""

    @pytest.mark.parametrize(
        "instant, quiet",
        [
            (z(2026, 3, 28, 18, 59), False),  # 20:59 EET
            (z(2026, 3, 28, 19, 0), True),  # 21:00 EET
            (z(2026, 3, 29, 0, 59), True),  # 02:59 EET
            (z(2026, 3, 29, 1, 0), True),  # 04:00 EEST
            (z(2026, 3, 29, 4, 59), True),  # 07:59 EEST
            (z(2026, 3, 29, 5, 0), False),  # 08:00 EEST
        ],
    )
    def test_quiet_hours_are_local(self, instant, quiet):
        assert in_quiet_hours(instant, QUIET, HEL) is quiet

    def test_sms_moves_to_0800_summer_time(self):
        visit = z(2026, 3, 29, 6)  # 09:00 EEST; nominal 04:00Z = 07:00 EEST
        p = plan_one(SMS_2H, visit, z(2026, 3, 20, 10))
        assert p.send_at == z(2026, 3, 29, 5)
        assert wall(p.send_at) == "2026-03-29T08:00+03:00"

    def test_visit_0820_moves_back_to_2059_winter_time(self):
        visit = z(2026, 3, 29, 5, 20)  # 08:20 EEST; nominal 06:20 EEST
        p = plan_one(SMS_2H, visit, z(2026, 3, 20, 10))
        assert p.send_at == z(2026, 3, 28, 18, 59)
        assert wall(p.send_at) == "2026-03-28T20:59+02:00"

    def test_visit_0820_booked_late_that_evening_is_skipped(self):
        visit = z(2026, 3, 29, 5, 20)
        p = plan_one(SMS_2H, visit, z(2026, 3, 28, 19, 30))  # 21:30 EET
        assert p == PlannedReminder("sms-2h", "sms", None, "quiet_hours")

    def test_distance_is_measured_in_real_time(self):
        # 10 h before 12:00 EEST (09:00Z) is 23:00Z = 01:00 EET: 4h01m after 20:59, 6 h before 08:00.
        rule = ReminderRule(channel="sms", hours_before=10)
        assert plan_one(rule, z(2026, 3, 29, 9), z(2026, 3, 20, 10)).send_at == z(2026, 3, 28, 18, 59)
        # 10 h before 14:00 EEST (11:00Z) is 01:00Z = 04:00 EEST: 6h01m after 20:59, 4 h before 08:00.
        assert plan_one(rule, z(2026, 3, 29, 11), z(2026, 3, 20, 10)).send_at == z(2026, 3, 29, 5)


class TestAutumnSwitchNight:
    """Night of 24/25 October 2026: 21:00 EEST = 18:00Z, 08:00 EET = 06:00Z."""

    @pytest.mark.parametrize(
        "instant, quiet",
        [
            (z(2026, 10, 24, 17, 59), False),  # 20:59 EEST
            (z(2026, 10, 24, 18, 0), True),  # 21:00 EEST
            (z(2026, 10, 25, 0, 30), True),  # first 03:30 (EEST)
            (z(2026, 10, 25, 1, 30), True),  # second 03:30 (EET)
            (z(2026, 10, 25, 5, 59), True),  # 07:59 EET
            (z(2026, 10, 25, 6, 0), False),  # 08:00 EET
        ],
    )
    def test_quiet_hours_are_local(self, instant, quiet):
        assert in_quiet_hours(instant, QUIET, HEL) is quiet

    def test_sms_moves_to_0800_winter_time(self):
        visit = z(2026, 10, 25, 7)  # 09:00 EET; nominal 05:00Z = 07:00 EET
        p = plan_one(SMS_2H, visit, z(2026, 10, 20, 10))
        assert p.send_at == z(2026, 10, 25, 6)
        assert wall(p.send_at) == "2026-10-25T08:00+02:00"

    def test_sms_in_the_repeated_hour_moves_back_to_2059_summer_time(self):
        visit = z(2026, 10, 25, 3, 30)  # 05:30 EET; nominal 01:30Z = the second 03:30
        p = plan_one(SMS_2H, visit, z(2026, 10, 20, 10))
        assert p.send_at == z(2026, 10, 24, 17, 59)
        assert wall(p.send_at) == "2026-10-24T20:59+03:00"


# --- 3. Properties -----------------------------------------------------------------

YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
MINUTES_2026 = 365 * 24 * 60


def _local_minutes(t: datetime) -> int:
    loc = t.astimezone(HEL)
    return loc.hour * 60 + loc.minute


def _quiet(t: datetime, quiet: QuietHours) -> bool:
    # Independent of the code under test: minutes of the local wall clock against the window.
    qs = int(quiet.start[:2]) * 60 + int(quiet.start[3:])
    qe = int(quiet.end[:2]) * 60 + int(quiet.end[3:])
    m = _local_minutes(t)
    if qs == qe:
        return False
    return (m >= qs or m < qe) if qs > qe else qs <= m < qe


def _nominal(rule: ReminderRule, visit: datetime) -> datetime:
    if rule.hours_before is not None:
        return visit - timedelta(hours=rule.hours_before)
    prev = visit.astimezone(HEL).date() - timedelta(days=1)
    assert rule.day_before_at, "a rule is either hours before or the day before at"
    hh, mm = map(int, rule.day_before_at.split(":"))
    return datetime.combine(prev, time(hh, mm), tzinfo=HEL).astimezone(UTC)


def _best_allowed(nominal, quiet, earliest, latest):
    """Brute force: the allowed minute nearest to `nominal` within [earliest, latest];
    on a tie the earlier one. None when there is none within a day."""
    for step in range(1, 24 * 60 + 1):
        for c in (nominal - timedelta(minutes=step), nominal + timedelta(minutes=step)):
            if earliest <= c <= latest and not _quiet(c, quiet):
                return c
    return None


instants_2026 = st.integers(0, MINUTES_2026 - 1).map(lambda m: YEAR_START + timedelta(minutes=m))
lead_minutes = st.integers(0, 14 * 24 * 60)
sms_rules = st.one_of(
    st.integers(1, 48).map(lambda h: ReminderRule(channel="sms", hours_before=h)),
    st.tuples(st.integers(0, 23), st.sampled_from(range(0, 60, 5))).map(
        lambda hm: ReminderRule(channel="sms", day_before_at=f"{hm[0]:02d}:{hm[1]:02d}")
    ),
)
email_rules = st.one_of(
    st.integers(1, 72).map(lambda h: ReminderRule(channel="email", hours_before=h)),
    st.tuples(st.integers(0, 23), st.sampled_from(range(0, 60, 5))).map(
        lambda hm: ReminderRule(channel="email", day_before_at=f"{hm[0]:02d}:{hm[1]:02d}")
    ),
)
# Quiet windows an owner would write: evening start, morning end (clear of the 03:00-04:00 DST hour).
quiet_windows = st.tuples(st.integers(19 * 12, 23 * 12 + 11), st.integers(5 * 12, 10 * 12)).map(
    lambda se: QuietHours(
        start=f"{se[0] // 12:02d}:{se[0] % 12 * 5:02d}", end=f"{se[1] // 12:02d}:{se[1] % 12 * 5:02d}"
    )
)


def _check_plan(rules, quiet, visit, booked):
    planned = plan(rules, quiet, HEL, visit, booked, BOTH)
    assert [(p.rule_id, p.channel) for p in planned] == [(r.id, r.channel) for r in rules]
    for rule, p in zip(rules, planned):
        nominal = _nominal(rule, visit)
        if nominal < booked:
            assert p == PlannedReminder(rule.id, rule.channel, None, "booked_inside_lead_time")
            continue
        if rule.channel == "email":
            assert p.skipped is None and p.send_at == nominal and p.send_at >= booked
            continue
        # SMS
        if not _quiet(nominal, quiet):
            assert p.skipped is None and p.send_at == nominal
            continue
        expected = _best_allowed(nominal, quiet, booked, visit - MIN_LEAD_AFTER_SHIFT)
        if p.send_at is None:
            assert p.skipped == "quiet_hours"
            assert expected is None, f"skipped but {wall(expected)} was allowed"
            continue
        assert p.skipped is None
        assert not _quiet(p.send_at, quiet), wall(p.send_at)
        assert booked <= p.send_at <= visit - MIN_LEAD_AFTER_SHIFT
        assert p.send_at < visit
        assert p.send_at == expected, (wall(p.send_at), wall(expected))


@settings(max_examples=600, deadline=None)
@given(visit=instants_2026, lead=lead_minutes)
def test_property_default_rules_and_quiet_hours(visit, lead):
    _check_plan(DEFAULT_REMINDERS, QUIET, visit, visit - timedelta(minutes=lead))


@settings(max_examples=400, deadline=None)
@given(
    visit=instants_2026,
    lead=lead_minutes,
    rules=st.lists(st.one_of(sms_rules, email_rules), min_size=1, max_size=4),
    quiet=quiet_windows,
)
def test_property_any_rules_and_owner_quiet_hours(visit, lead, rules, quiet):
    _check_plan(rules, quiet, visit, visit - timedelta(minutes=lead))


@settings(max_examples=300, deadline=None)
@given(
    day=st.sampled_from(
        [
            date(2026, 3, 28),
            date(2026, 3, 29),
            date(2026, 3, 30),
            date(2026, 10, 24),
            date(2026, 10, 25),
            date(2026, 10, 26),
        ]
    ),
    minute=st.integers(0, 24 * 60 - 1),
    lead=lead_minutes,
)
def test_property_around_dst_switches(day, minute, lead):
    visit = datetime.combine(day, time(), tzinfo=HEL).astimezone(UTC) + timedelta(minutes=minute)
    _check_plan(
        DEFAULT_REMINDERS + (EMAIL_D1, ReminderRule(channel="sms", day_before_at="18:00")),
        QUIET,
        visit,
        visit - timedelta(minutes=lead),
    )


# --- 4. Booked inside the lead time ---------------------------------------------------


def test_booked_20h_before_skips_the_24h_email_but_plans_the_2h_sms():
    visit = nov(24, 14)
    got = by_rule(plan(DEFAULT_REMINDERS, QUIET, HEL, visit, visit - timedelta(hours=20), BOTH))
    assert got["email-24h"] == PlannedReminder("email-24h", "email", None, "booked_inside_lead_time")
    assert got["sms-2h"] == PlannedReminder("sms-2h", "sms", nov(24, 12))


def test_booked_exactly_24h_before_still_gets_the_email():
    visit = nov(24, 14)
    p = plan_one(EMAIL_24H, visit, visit - timedelta(hours=24))
    assert p.send_at == nov(23, 14)


def test_booked_an_hour_before_gets_no_reminders():
    visit = nov(24, 14)
    got = plan(DEFAULT_REMINDERS, QUIET, HEL, visit, visit - timedelta(hours=1), BOTH)
    assert [(p.rule_id, p.send_at, p.skipped) for p in got] == [
        ("email-24h", None, "booked_inside_lead_time"),
        ("sms-2h", None, "booked_inside_lead_time"),
    ]


def test_booked_after_the_day_before_1800_skips_that_reminder():
    visit = nov(24, 10)
    assert plan_one(EMAIL_D1, visit, nov(23, 18, 1)).skipped == "booked_inside_lead_time"
    assert plan_one(EMAIL_D1, visit, nov(23, 17, 59)).send_at == nov(23, 18)


# --- 5. Channels ---------------------------------------------------------------------


def test_email_only_client_gets_no_sms():
    got = plan(DEFAULT_REMINDERS, QUIET, HEL, nov(24, 14), nov(10, 12), {"email"})
    assert [p.channel for p in got] == ["email"]
    assert got[0].send_at == nov(23, 14)


def test_sms_only_client_gets_no_email():
    got = plan(DEFAULT_REMINDERS, QUIET, HEL, nov(24, 14), nov(10, 12), {"sms"})
    assert [p.channel for p in got] == ["sms"]
    assert got[0].send_at == nov(24, 12)


def test_client_without_channels_gets_nothing():
    assert plan(DEFAULT_REMINDERS, QUIET, HEL, nov(24, 14), nov(10, 12), set()) == []


# --- 6. Decision at send time ----------------------------------------------------------


@pytest.mark.parametrize("channel", ["email", "sms"])
@pytest.mark.parametrize("late", [timedelta(0), timedelta(minutes=1), timedelta(days=1)])
def test_skip_once_the_visit_has_started(channel, late):
    visit = nov(24, 10)
    assert decide_at_send_time(channel, visit + late, visit, QUIET, HEL) == SendDecision("skip", reason="visit_started")


def test_sms_at_2300_defers_to_0800_for_a_morning_visit():
    d = decide_at_send_time("sms", nov(23, 23), nov(24, 10), QUIET, HEL)
    assert d == SendDecision("defer", at=nov(24, 8))
    assert d.at and wall(d.at) == "2026-11-24T08:00+02:00"


def test_sms_at_0750_for_an_0810_visit_is_skipped():
    assert decide_at_send_time("sms", nov(24, 7, 50), nov(24, 8, 10), QUIET, HEL) == SendDecision(
        "skip", reason="quiet_hours"
    )


def test_sms_at_0720_for_an_0830_visit_defers_to_0800():
    assert decide_at_send_time("sms", nov(24, 7, 20), nov(24, 8, 30), QUIET, HEL) == SendDecision(
        "defer", at=nov(24, 8)
    )


def test_email_at_2300_is_sent():
    assert decide_at_send_time("email", nov(23, 23), nov(24, 10), QUIET, HEL) == SendDecision("send")


def test_sms_outside_quiet_hours_is_sent():
    assert decide_at_send_time("sms", nov(24, 12), nov(24, 14), QUIET, HEL) == SendDecision("send")
    assert decide_at_send_time("sms", nov(24, 20, 59), nov(25, 10), QUIET, HEL) == SendDecision("send")


def test_sms_just_before_the_visit_outside_quiet_hours_is_still_sent():
    assert decide_at_send_time("sms", nov(24, 13, 59), nov(24, 14), QUIET, HEL) == SendDecision("send")


def test_decide_on_dst_switch_nights():
    # 23:00 EET on 28 March (21:00Z), visit 10:00 EEST on 29 March (07:00Z): defer to 08:00 EEST = 05:00Z.
    assert decide_at_send_time("sms", z(2026, 3, 28, 21), z(2026, 3, 29, 7), QUIET, HEL) == SendDecision(
        "defer", at=z(2026, 3, 29, 5)
    )
    # 23:00 EEST on 24 October (20:00Z), visit 10:00 EET on 25 October (08:00Z): 08:00 EET = 06:00Z.
    assert decide_at_send_time("sms", z(2026, 10, 24, 20), z(2026, 10, 25, 8), QUIET, HEL) == SendDecision(
        "defer", at=z(2026, 10, 25, 6)
    )


@settings(max_examples=400, deadline=None)
@given(now=instants_2026, ahead=st.integers(-600, 3 * 24 * 60), channel=st.sampled_from(["email", "sms"]))
def test_property_send_time_decision(now, ahead, channel):
    visit = now + timedelta(minutes=ahead)
    d = decide_at_send_time(channel, now, visit, QUIET, HEL)
    if now >= visit:
        assert d == SendDecision("skip", reason="visit_started")
    elif channel == "email" or not _quiet(now, QUIET):
        assert d == SendDecision("send")
    else:
        # Late SMS in quiet hours: the first allowed moment (08:00) if it is ≥30 min before the visit.
        end = _best_allowed(now, QUIET, now, visit - MIN_LEAD_AFTER_SHIFT)
        if end is None:
            assert d == SendDecision("skip", reason="quiet_hours")
        else:
            assert d.action == "defer" and d.at == end and d.at > now
            assert _local_minutes(d.at) == 8 * 60


# --- 7. Rule validation and ids --------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"channel": "email"},
        {"channel": "email", "hours_before": 24, "day_before_at": "18:00"},
        {"channel": "fax", "hours_before": 24},
        {"channel": "sms", "hours_before": 0},
        {"channel": "sms", "hours_before": 24 * 7 + 1},
        {"channel": "email", "day_before_at": "18:07"},
        {"channel": "email", "day_before_at": "6pm"},
        {"channel": "email", "hours_before": 24, "when": "soon"},
    ],
)
def test_rule_validation_rejects(kwargs):
    with pytest.raises(ValidationError):
        ReminderRule(**kwargs)


def test_rule_needs_exactly_one_timing_with_a_clear_message():
    for kwargs in ({"channel": "email"}, {"channel": "email", "hours_before": 24, "day_before_at": "18:00"}):
        with pytest.raises(ValidationError, match="either hours_before or day_before_at"):
            ReminderRule(**kwargs)


def test_rule_ids():
    assert EMAIL_24H.id == "email-24h"
    assert SMS_2H.id == "sms-2h"
    assert EMAIL_D1.id == "email-d1-1800"
    assert ReminderRule(channel="sms", day_before_at="09:30").id == "sms-d1-0930"
    assert [r.id for r in DEFAULT_REMINDERS] == ["email-24h", "sms-2h"]


def test_day_before_minutes():
    assert EMAIL_D1.day_before_minutes == 18 * 60
    assert EMAIL_24H.day_before_minutes is None


# --- quiet-hours edges inside the DST switch hour (regressions) ----------------------
HKI = ZoneInfo("Europe/Helsinki")


def test_quiet_hours_starting_in_the_spring_gap_never_plan_a_quiet_sms():
    from chalicelib.domain.reminders import in_quiet_hours, plan

    quiet = QuietHours(start="03:30", end="06:00")
    visit = datetime(2026, 3, 29, 4, 0, tzinfo=UTC)  # 07:00 local, just after the switch
    [p] = plan([ReminderRule(channel="sms", hours_before=2)], quiet, HKI, visit, visit - timedelta(days=3), {"sms"})
    assert p.send_at is not None and not in_quiet_hours(p.send_at, quiet, HKI)
    assert p.send_at.astimezone(HKI).strftime("%H:%M") == "06:00"  # nearer than 02:59 local


def test_quiet_hours_ending_in_the_repeated_autumn_hour_defer_rather_than_skip():
    from chalicelib.domain.reminders import decide_at_send_time

    quiet = QuietHours(start="21:00", end="03:30")
    now = datetime(2026, 10, 25, 1, 10, tzinfo=UTC)  # 03:10 local, the second time round
    decision = decide_at_send_time("sms", now, now + timedelta(hours=3), quiet, HKI)
    assert decision.action == "defer"
    assert decision.at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 03:30 local, second time


def test_quiet_hours_with_the_same_start_and_end_are_none_for_reminders_and_offers_alike():
    # The settings card says so: 08:00-08:00 is no quiet time (not a whole day of it).
    from chalicelib.domain import waitlist

    none = QuietHours(start="08:00", end="08:00")
    for hour in (0, 7, 8, 12, 23):
        assert in_quiet_hours(nov(24, hour, 30), none, HEL) is False
    assert waitlist.sms_send_time(nov(24, 3, 0), none, HEL, nov(24, 12, 0)) == nov(24, 3, 0)


def test_a_client_message_sms_waits_for_the_end_of_the_quiet_hours_across_the_switches():
    # Win-back, birthday, the owner's own words: no visit to arrive before, just morning.
    from chalicelib.domain.reminders import quiet_hours_over

    assert wall(quiet_hours_over(z(2027, 2, 20, 21, 30), QUIET, HEL)) == "2027-02-21T08:00+02:00"  # 23:30 local
    assert wall(quiet_hours_over(z(2027, 3, 28, 0, 30), QUIET, HEL)) == "2027-03-28T08:00+03:00"  # spring night
    assert wall(quiet_hours_over(z(2026, 10, 25, 0, 30), QUIET, HEL)) == "2026-10-25T08:00+02:00"  # autumn night
    day = datetime(2027, 2, 21, 10, 5, 17, tzinfo=UTC)
    assert quiet_hours_over(day, QUIET, HEL) == day  # 12:05 local: at once, to the second


def test_the_sms_of_a_salons_change_at_night_waits_for_the_morning_unless_the_visit_is_too_soon():
    # The desk cancels, moves or books at 23:10 local; quiet hours end at 08:00.
    from chalicelib.domain.reminders import salon_change_sms_time

    night = z(2026, 11, 23, 21, 10)  # Mon 23:10 local (+02:00)
    assert wall(salon_change_sms_time(night, QUIET, HEL, z(2026, 11, 25, 10))) == "2026-11-24T08:00+02:00"
    assert wall(salon_change_sms_time(night, QUIET, HEL, z(2026, 11, 24, 8))) == "2026-11-24T08:00+02:00"  # 10:00
    assert salon_change_sms_time(night, QUIET, HEL, z(2026, 11, 24, 7, 55)) == night  # 09:55: under 2 h after 08:00
    assert salon_change_sms_time(night, QUIET, HEL, z(2026, 11, 24, 5, 30)) == night  # 07:30: inside them
    day = z(2026, 11, 24, 12, 5)  # 14:05 local: not quiet, goes at once whatever the visit
    assert salon_change_sms_time(day, QUIET, HEL, z(2026, 11, 30, 10)) == day
    # The spring night: the quiet hours end at 08:00 summer time.
    spring = z(2027, 3, 27, 22, 30)  # 00:30 local, +02:00
    assert wall(salon_change_sms_time(spring, QUIET, HEL, z(2027, 3, 29, 9))) == "2027-03-28T08:00+03:00"
