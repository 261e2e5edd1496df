"""When the feedback request goes out: two hours after the visit, in daytime hours of
the business's own time zone — also across the DST switches."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.config import FeedbackSettings
from chalicelib.domain.feedback import request_time

HEL = ZoneInfo("Europe/Helsinki")
RULES = FeedbackSettings()


def local(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=HEL)


@pytest.mark.parametrize(
    "visit_end,expected",
    [
        ("2026-11-25 13:00", "2026-11-25 15:00"),  # plain: two hours later
        ("2026-11-25 17:59", "2026-11-25 19:59"),  # just inside the window
        ("2026-11-25 18:00", "2026-11-26 09:00"),  # 20:00 is outside: next morning
        ("2026-11-25 23:30", "2026-11-26 09:00"),  # late visit: next morning
        ("2026-11-25 05:00", "2026-11-25 09:00"),  # early visit: the same morning
        # Spring forward (29 Mar 2026, 03:00 -> 04:00): 09:00 local is 06:00Z, not 07:00Z.
        ("2026-03-28 19:00", "2026-03-29 09:00"),
        # Fall back (25 Oct 2026, 04:00 -> 03:00): the night is an hour longer.
        ("2026-10-24 22:00", "2026-10-25 09:00"),
        ("2026-10-25 01:30", "2026-10-25 09:00"),
    ],
)
def test_request_time_in_helsinki(visit_end, expected):
    got = request_time(local(visit_end).astimezone(UTC), RULES, HEL)
    assert got.astimezone(HEL).replace(tzinfo=None) == datetime.fromisoformat(expected)


def test_dst_morning_is_the_right_utc_instant():
    got = request_time(local("2026-03-28 19:00").astimezone(UTC), RULES, HEL)
    assert got == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_the_window_is_in_the_business_time_zone():
    # 17:00 UTC is 19:00 in Helsinki but 18:00 in Stockholm: +2 h lands outside the
    # window in Helsinki only.
    end = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)
    assert request_time(end, RULES, HEL).astimezone(HEL).hour == 9
    assert request_time(end, RULES, ZoneInfo("Europe/Stockholm")) == datetime(2026, 11, 25, 18, 30, tzinfo=UTC)


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(["Europe/Helsinki", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]),
)
def test_always_in_daytime_never_before_the_delay(end, tz_name):
    tz = ZoneInfo(tz_name)
    got = request_time(end, RULES, tz)
    assert (got - end).total_seconds() >= RULES.delay_hours * 3600 - 1
    t = got.astimezone(tz)
    assert 9 * 60 <= t.hour * 60 + t.minute < 20 * 60
    assert (got - end).total_seconds() <= (2 + 24) * 3600  # at most the next morning
