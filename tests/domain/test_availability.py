"""Free start times as a salon owner and a client see them.

Configs are built through parse_business_config (the same path a YAML file takes),
times are asserted as local wall-clock strings and as UTC instants.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.availability import (
    added_working_time,
    availability,
    candidate_starts,
    free_starts,
    is_allowed_start,
    working_intervals,
)
from chalicelib.domain.config import parse_business_config
from chalicelib.domain.timeutil import iso_local

HEL = ZoneInfo("Europe/Helsinki")
DEMO = Path(__file__).resolve().parents[2] / "config" / "businesses" / "demo.yaml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Long before every date used below, with a horizon that reaches all of 2026.
EARLY = datetime(2026, 1, 1, tzinfo=UTC)


def make_config(
    *, opening=None, staff_hours=None, staff_extra=None, closures=(), rules=None, duration=60, buffer=0, extra_staff=()
):
    """One service ('cut'), one staff member ('anna'); every day 09-18 unless told."""
    opening = opening if opening is not None else {d: ["09:00", "18:00"] for d in DAYS}
    staff_hours = staff_hours if staff_hours is not None else {d: ["09:00", "18:00"] for d in DAYS}
    anna = {"id": "anna", "name": "Anna", "services": ["cut"], "hours": staff_hours}
    anna.update(staff_extra or {})
    data = {
        "slug": "test-salon",
        "name": "Test Salon",
        "timezone": "Europe/Helsinki",
        "owner_email": "owner@salon.example",
        "address": "Testikatu 1, Helsinki",
        "opening_hours": opening,
        "closures": list(closures),
        "rules": {
            "min_notice_minutes": 0,
            "max_horizon_days": 366,
            "slot_step_minutes": 15,
            "cancellation_window_hours": 24,
            **(rules or {}),
        },
        "services": [
            {
                "id": "cut",
                "name": "Leikkaus",
                "duration_minutes": duration,
                "price_cents": 5000,
                "buffer_minutes": buffer,
            }
        ],
        "staff": [anna, *extra_staff],
    }
    return parse_business_config(data)


def demo_config():
    return parse_business_config(yaml.safe_load(DEMO.read_text(encoding="utf-8")))


def slots(cfg, day, now=EARLY, busy=(), service="cut", staff="anna"):
    return free_starts(cfg, cfg.service(service), cfg.staff_member(staff), day, now, list(busy))


def hhmm(instants, tz=HEL):
    return [t.astimezone(tz).strftime("%H:%M") for t in instants]


def wall(day: date, hm: str, tz=HEL) -> datetime:
    """A local wall time that exists exactly once, as a UTC instant."""
    h, m = map(int, hm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=tz).astimezone(UTC)


def grid(start: str, last: str, step: int = 15) -> list[str]:
    h, m = map(int, start.split(":"))
    lh, lm = map(int, last.split(":"))
    out, t = [], h * 60 + m
    while t <= lh * 60 + lm:
        out.append(f"{t // 60:02d}:{t % 60:02d}")
        t += step
    return out


MON = date(2026, 6, 1)  # an ordinary Monday, no DST switch nearby
TUE = date(2026, 6, 2)
SUN = date(2026, 6, 7)


# --- hours: business x staff, days off, exceptions, closures ----------------------


def test_slots_are_business_hours_intersected_with_staff_hours():
    cfg = make_config(
        opening={"mon": ["09:00", "18:00"]}, staff_hours={"mon": [["07:00", "12:00"], ["13:00", "20:00"]]}
    )
    # 07:00-09:00 and 18:00-20:00 are outside business hours; 12:00-13:00 is lunch.
    assert hhmm(slots(cfg, MON)) == grid("09:00", "11:00") + grid("13:00", "17:00")


def test_day_the_business_is_closed_has_no_slots_even_if_staff_works():
    cfg = make_config(opening={"mon": ["09:00", "18:00"]})  # staff works every day
    assert slots(cfg, MON)
    assert slots(cfg, TUE) == []
    assert slots(cfg, SUN) == []


def test_day_the_staff_member_does_not_work_has_no_slots():
    cfg = make_config(staff_hours={"mon": ["09:00", "18:00"]})  # business open every day
    assert slots(cfg, MON)
    assert slots(cfg, TUE) == []


def test_staff_day_off_removes_that_date_only():
    cfg = make_config(staff_extra={"days_off": [MON.isoformat()]})
    assert slots(cfg, MON) == []
    assert hhmm(slots(cfg, MON + timedelta(days=7))) == grid("09:00", "17:00")
    assert hhmm(slots(cfg, TUE)) == grid("09:00", "17:00")


def test_exception_replaces_weekly_hours_on_that_date():
    cfg = make_config(staff_extra={"exceptions": {MON.isoformat(): [["12:00", "14:00"]]}})
    assert hhmm(slots(cfg, MON)) == grid("12:00", "13:00")
    # The week after is back to normal.
    assert hhmm(slots(cfg, MON + timedelta(days=7))) == grid("09:00", "17:00")


def test_exception_with_no_intervals_means_not_working():
    cfg = make_config(staff_extra={"exceptions": {MON.isoformat(): []}})
    assert slots(cfg, MON) == []
    assert slots(cfg, TUE)


def test_exception_is_still_clipped_to_business_hours_on_an_open_day():
    cfg = make_config(staff_extra={"exceptions": {MON.isoformat(): [["07:00", "12:00"]]}})
    assert hhmm(slots(cfg, MON)) == grid("09:00", "11:00")


def test_exception_opens_a_staff_members_normal_day_off():
    # Anna never works Tuesdays, but works this one Tuesday 10-14.
    cfg = make_config(
        staff_hours={"mon": ["09:00", "18:00"]}, staff_extra={"exceptions": {TUE.isoformat(): [["10:00", "14:00"]]}}
    )
    assert slots(cfg, TUE + timedelta(days=7)) == []
    assert hhmm(slots(cfg, TUE)) == grid("10:00", "13:00")


def test_exception_opens_a_day_the_business_is_normally_closed_for_that_staff_only():
    opening = {d: ["09:00", "18:00"] for d in DAYS[:6]}  # closed Sundays
    ville = {"id": "ville", "name": "Ville", "services": ["cut"], "hours": {d: ["09:00", "18:00"] for d in DAYS}}
    cfg = make_config(
        opening=opening, extra_staff=[ville], staff_extra={"exceptions": {SUN.isoformat(): [["10:00", "14:00"]]}}
    )
    assert hhmm(slots(cfg, SUN)) == grid("10:00", "13:00")
    assert slots(cfg, SUN, staff="ville") == []
    assert slots(cfg, SUN + timedelta(days=7)) == []  # only that Sunday


def test_day_off_wins_over_an_exception_on_the_same_date():
    cfg = make_config(
        staff_extra={"days_off": [MON.isoformat()], "exceptions": {MON.isoformat(): [["10:00", "14:00"]]}}
    )
    assert slots(cfg, MON) == []


def test_closure_closes_the_day_for_everyone_even_with_an_exception():
    cfg = make_config(closures=[MON.isoformat()], staff_extra={"exceptions": {MON.isoformat(): [["10:00", "14:00"]]}})
    assert slots(cfg, MON) == []
    assert working_intervals(cfg, cfg.staff_member("anna"), MON) == []
    assert slots(cfg, TUE)


def test_demo_salon_week():
    cfg = demo_config()
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 10:00 in Helsinki
    wed = date(2026, 11, 25)
    # Aino works Wed 11-20 (salon open 9-20): a 60-min women's cut can start 11:00..19:00.
    assert hhmm(slots(cfg, wed, now, service="womens-cut", staff="aino")) == grid("11:00", "19:00")
    # Sanna works Wed 9-17.
    assert hhmm(slots(cfg, wed, now, service="womens-cut", staff="sanna")) == grid("09:00", "16:00")
    # Sundays are closed.
    assert slots(cfg, date(2026, 11, 29), now, service="womens-cut", staff="aino") == []
    # Mikko's exception on Wed 23 Dec: 10-14, so a 30-min men's cut can start until 13:30.
    assert hhmm(slots(cfg, date(2026, 12, 23), now, service="mens-cut", staff="mikko")) == grid("10:00", "13:30")
    # Christmas Eve is a closure.
    for member in ("aino", "mikko"):
        assert slots(cfg, date(2026, 12, 24), now, service="mens-cut", staff=member) == []
    # Aino's day off on 31 Dec; Sanna (Thu 12-20) still works.
    assert slots(cfg, date(2026, 12, 31), now, service="womens-cut", staff="aino") == []
    assert hhmm(slots(cfg, date(2026, 12, 31), now, service="womens-cut", staff="sanna")) == grid("12:00", "19:00")
    # Mikko does not offer women's cuts, so he is not listed for it.
    assert [m.id for m in cfg.staff_for("womens-cut")] == ["aino", "sanna"]


# --- service must end by closing; buffer; busy intervals ------------------------


def test_service_must_end_by_closing_time():
    cfg = make_config(duration=60)
    assert hhmm(slots(cfg, MON))[-1] == "17:00"
    cfg = make_config(duration=90)
    assert hhmm(slots(cfg, MON))[-1] == "16:30"


def test_buffer_may_run_past_closing():
    # 60 min + 30 min clean-up: the 17:00 slot ends 18:00 and cleans up until 18:30.
    cfg = make_config(duration=60, buffer=30)
    assert hhmm(slots(cfg, MON))[-1] == "17:00"
    assert hhmm(slots(cfg, MON)) == grid("09:00", "17:00")


def test_service_longer_than_the_open_interval_has_no_slots():
    cfg = make_config(opening={"mon": ["09:00", "10:00"]}, duration=90)
    assert slots(cfg, MON) == []


def test_busy_interval_blocks_every_overlapping_slot_including_buffer():
    cfg = make_config(duration=60, buffer=10, rules={"slot_step_minutes": 5})
    # Someone booked 11:00-12:00 with 10 min buffer: occupied 11:00-12:10.
    busy = [(wall(MON, "11:00"), wall(MON, "12:10"))]
    free = hhmm(slots(cfg, MON, busy=busy))
    # Our own 70-minute occupancy must end by 11:00: last start before is 09:50.
    assert "09:50" in free
    assert "09:55" not in free
    for blocked in grid("09:55", "12:05", 5):
        assert blocked not in free
    # Right after the other booking's buffer is free again.
    assert "12:10" in free
    assert free == grid("09:00", "09:50", 5) + grid("12:10", "17:00", 5)


def test_bookings_may_touch_busy_intervals_on_the_default_grid():
    cfg = make_config(duration=60, buffer=15)  # occupies 75 minutes
    busy = [(wall(MON, "10:15"), wall(MON, "11:30"))]
    free = hhmm(slots(cfg, MON, busy=busy))
    # 09:00 occupies 09:00-10:15 and ends exactly when the other booking starts.
    assert free[0] == "09:00"
    assert free[1] == "11:30"  # right after the other booking's buffer
    for blocked in ("09:15", "10:00", "10:15", "11:00", "11:15"):
        assert blocked not in free


def test_busy_of_another_staff_member_does_not_block():
    ville = {"id": "ville", "name": "Ville", "services": ["cut"], "hours": {d: ["09:00", "18:00"] for d in DAYS}}
    cfg = make_config(extra_staff=[ville])
    busy = {"ville": [(wall(MON, "09:00"), wall(MON, "18:00"))]}
    result = availability(cfg, cfg.service("cut"), cfg.staff_for("cut"), MON, MON, EARLY, busy)
    assert hhmm(result["anna"]) == grid("09:00", "17:00")
    assert result["ville"] == []


def test_availability_over_a_date_range_concatenates_days_in_order():
    cfg = make_config(opening={"mon": ["09:00", "11:00"], "wed": ["09:00", "10:00"]})
    result = availability(cfg, cfg.service("cut"), [cfg.staff_member("anna")], MON, MON + timedelta(days=2), EARLY, {})
    got = [iso_local(t, HEL) for t in result["anna"]]
    assert got == [
        "2026-06-01T09:00:00+03:00",
        "2026-06-01T09:15:00+03:00",
        "2026-06-01T09:30:00+03:00",
        "2026-06-01T09:45:00+03:00",
        "2026-06-01T10:00:00+03:00",
        "2026-06-03T09:00:00+03:00",
    ]


# --- min notice, horizon, grid -------------------------------------------------


def test_min_notice_hides_slots_too_soon():
    cfg = make_config(rules={"min_notice_minutes": 120})
    now = wall(MON, "08:00")
    assert hhmm(slots(cfg, MON, now=now))[0] == "10:00"  # exactly 2 h notice is fine
    now = wall(MON, "08:01")
    assert hhmm(slots(cfg, MON, now=now))[0] == "10:15"
    now = wall(MON, "16:00")
    assert slots(cfg, MON, now=now) == []  # 18:00 earliest, last start 17:00


def test_past_slots_are_never_offered_even_without_notice():
    cfg = make_config(rules={"min_notice_minutes": 0})
    now = wall(MON, "12:05")
    assert hhmm(slots(cfg, MON, now=now)) == grid("12:15", "17:00")
    assert slots(cfg, MON - timedelta(days=1), now=now) == []


def test_max_horizon_limits_how_far_ahead_clients_can_book():
    cfg = make_config(rules={"max_horizon_days": 7})
    now = wall(MON, "10:00")
    assert hhmm(slots(cfg, MON + timedelta(days=7), now=now)) == grid("09:00", "10:00")
    assert slots(cfg, MON + timedelta(days=8), now=now) == []
    assert hhmm(slots(cfg, MON + timedelta(days=6), now=now)) == grid("09:00", "17:00")


@pytest.mark.parametrize("step", [5, 15, 20, 30, 45, 60])
def test_slots_sit_on_the_step_grid_from_opening(step):
    cfg = make_config(rules={"slot_step_minutes": step})
    got = slots(cfg, MON)
    open_at = wall(MON, "09:00")
    assert got[0] == open_at
    assert all((t - open_at) % timedelta(minutes=step) == timedelta(0) for t in got)
    assert all(b - a == timedelta(minutes=step) for a, b in zip(got, got[1:]))
    # Every grid time whose service ends by 18:00 is there.
    assert len(got) == (8 * 60) // step + 1


def test_grid_restarts_at_each_opening_interval():
    cfg = make_config(opening={"mon": [["09:00", "12:00"], ["13:10", "16:00"]]}, rules={"slot_step_minutes": 30})
    assert hhmm(slots(cfg, MON)) == ["09:00", "09:30", "10:00", "10:30", "11:00", "13:10", "13:40", "14:10", "14:40"]


# --- DST: Europe/Helsinki ------------------------------------------------------

SPRING = date(2026, 3, 29)  # 03:00 EET -> 04:00 EEST
AUTUMN = date(2026, 10, 25)  # 04:00 EEST -> 03:00 EET


def _dst_matrix():
    cases = []
    for offset in (-2, -1, 0, 1, 2):
        d = SPRING + timedelta(days=offset)
        cases.append((d, "+02:00" if d < SPRING else "+03:00"))
    for offset in (-2, -1, 0, 1, 2):
        d = AUTUMN + timedelta(days=offset)
        cases.append((d, "+03:00" if d < AUTUMN else "+02:00"))
    return cases


@pytest.mark.parametrize("day,offset", _dst_matrix(), ids=lambda v: str(v))
def test_dst_days_keep_wall_clock_hours_and_offsets(day, offset):
    cfg = make_config(duration=60)
    got = slots(cfg, day)
    local = [iso_local(t, HEL) for t in got]
    expected = [f"{day.isoformat()}T{hm}:00{offset}" for hm in grid("09:00", "17:00")]
    assert local == expected
    # Same number of slots as on any normal day.
    assert len(got) == len(slots(cfg, MON))


@pytest.mark.parametrize(
    "local_day,utc_iso",
    [
        (date(2026, 3, 28), "2026-03-28T07:00:00+00:00"),
        (date(2026, 3, 29), "2026-03-29T06:00:00+00:00"),
        (date(2026, 3, 30), "2026-03-30T06:00:00+00:00"),
        (date(2026, 10, 24), "2026-10-24T06:00:00+00:00"),
        (date(2026, 10, 25), "2026-10-25T07:00:00+00:00"),
        (date(2026, 10, 26), "2026-10-26T07:00:00+00:00"),
    ],
)
def test_dst_first_slot_is_the_right_utc_instant(local_day, utc_iso):
    cfg = make_config()
    first = slots(cfg, local_day)[0]
    assert first.utcoffset() == timedelta(0)
    assert first == datetime.fromisoformat(utc_iso)
    assert first.isoformat() == utc_iso


def _all_day_config():
    return make_config(
        opening={d: ["00:00", "24:00"] for d in DAYS}, staff_hours={d: ["00:00", "24:00"] for d in DAYS}, duration=15
    )


@pytest.mark.parametrize(
    "day,hours",
    [
        (SPRING - timedelta(days=1), 24),
        (SPRING, 23),
        (SPRING + timedelta(days=1), 24),
        (AUTUMN - timedelta(days=1), 24),
        (AUTUMN, 25),
        (AUTUMN + timedelta(days=1), 24),
    ],
)
def test_24h_business_has_the_real_number_of_hours(day, hours):
    cfg = _all_day_config()
    got = slots(cfg, day)
    assert len(got) == hours * 4
    assert len(set(got)) == len(got)
    assert all(b - a == timedelta(minutes=15) for a, b in zip(got, got[1:]))
    # First slot is local midnight, last 23:45 local, all on this local date.
    assert got[0].astimezone(HEL).strftime("%H:%M") == "00:00"
    assert got[-1].astimezone(HEL).strftime("%H:%M") == "23:45"
    assert {t.astimezone(HEL).date() for t in got} == {day}


def test_24h_spring_forward_skips_the_nonexistent_hour():
    got = slots(_all_day_config(), SPRING)
    local = [iso_local(t, HEL) for t in got]
    assert not [s for s in local if "T03:" in s]
    assert "2026-03-29T02:45:00+02:00" in local
    i = local.index("2026-03-29T02:45:00+02:00")
    assert local[i + 1] == "2026-03-29T04:00:00+03:00"
    assert got[i + 1] - got[i] == timedelta(minutes=15)
    assert got[i + 1] == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_24h_fall_back_offers_the_repeated_hour_once_per_real_instant():
    got = slots(_all_day_config(), AUTUMN)
    local = [iso_local(t, HEL) for t in got]
    assert len(set(local)) == len(local)
    three = [s for s in local if "T03:" in s]
    assert three == [f"2026-10-25T03:{m}:00+03:00" for m in ("00", "15", "30", "45")] + [
        f"2026-10-25T03:{m}:00+02:00" for m in ("00", "15", "30", "45")
    ]
    first = got[local.index("2026-10-25T03:00:00+03:00")]
    second = got[local.index("2026-10-25T03:00:00+02:00")]
    assert first == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    assert second == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    assert second - first == timedelta(hours=1)


def test_opening_time_inside_the_dst_switch_hour():
    # Documented in local_wall_to_utc: a wall time in the spring gap means the instant it
    # would have been without the gap (03:30 -> 04:30 EEST); an ambiguous one in autumn
    # is its first occurrence (03:30 EEST).
    cfg = make_config(
        opening={d: ["00:00", "24:00"] for d in DAYS}, staff_hours={d: ["03:30", "06:00"] for d in DAYS}, duration=15
    )
    spring = [iso_local(t, HEL) for t in slots(cfg, SPRING)]
    assert spring[0] == "2026-03-29T04:30:00+03:00"
    assert len(spring) == 6  # 04:30-06:00 EEST
    autumn = [iso_local(t, HEL) for t in slots(cfg, AUTUMN)]
    assert autumn[0] == "2026-10-25T03:30:00+03:00"
    assert len(autumn) == 14  # 03:30 EEST - 06:00 EET is 3.5 real hours
    assert len(set(autumn)) == 14


def test_24h_dst_day_with_a_two_hour_service_ends_by_midnight():
    cfg = make_config(
        opening={d: ["00:00", "24:00"] for d in DAYS},
        staff_hours={d: ["00:00", "24:00"] for d in DAYS},
        duration=120,
        rules={"slot_step_minutes": 60},
    )
    for day, n in ((SPRING, 22), (AUTUMN, 24), (MON, 23)):
        got = slots(cfg, day)
        assert len(got) == n
        assert got[-1].astimezone(HEL).strftime("%H:%M") == "22:00"


# --- is_allowed_start -----------------------------------------------------------


def _allowed(cfg, start, now):
    return is_allowed_start(cfg, cfg.service("cut"), cfg.staff_member("anna"), start, now)


def test_is_allowed_start_accepts_every_offered_slot():
    cfg = make_config(rules={"min_notice_minutes": 120, "max_horizon_days": 30})
    now = wall(MON, "08:00")
    for day in (MON, TUE, MON + timedelta(days=6)):
        offered = slots(cfg, day, now=now)
        assert offered
        assert all(_allowed(cfg, t, now) for t in offered)


def test_is_allowed_start_accepts_an_offered_slot_written_with_a_fixed_offset():
    cfg = make_config()
    start = datetime.fromisoformat("2026-06-01T10:00:00+03:00")
    assert _allowed(cfg, start, EARLY)


@pytest.mark.parametrize(
    "label,start,now",
    [
        ("off grid", "2026-06-01T10:05:00+03:00", "2026-06-01T06:00:00+03:00"),
        ("seconds off grid", "2026-06-01T10:00:30+03:00", "2026-06-01T06:00:00+03:00"),
        ("before opening", "2026-06-01T08:45:00+03:00", "2026-05-31T06:00:00+03:00"),
        ("service runs past closing", "2026-06-01T17:15:00+03:00", "2026-05-31T06:00:00+03:00"),
        ("business closed", "2026-06-02T10:00:00+03:00", "2026-05-31T06:00:00+03:00"),
        ("in the past", "2026-06-01T10:00:00+03:00", "2026-06-01T11:00:00+03:00"),
        ("too soon", "2026-06-01T10:00:00+03:00", "2026-06-01T08:15:00+03:00"),
        ("too far", "2026-07-06T10:00:00+03:00", "2026-06-01T08:00:00+03:00"),
    ],
)
def test_is_allowed_start_rejects(label, start, now):
    cfg = make_config(opening={"mon": ["09:00", "18:00"]}, rules={"min_notice_minutes": 120, "max_horizon_days": 30})
    assert not _allowed(cfg, datetime.fromisoformat(start), datetime.fromisoformat(now))


def test_is_allowed_start_boundaries_are_inclusive():
    cfg = make_config(rules={"min_notice_minutes": 120, "max_horizon_days": 30})
    start = wall(MON, "10:00")
    assert _allowed(cfg, start, start - timedelta(minutes=120))
    assert not _allowed(cfg, start, start - timedelta(minutes=119))
    assert _allowed(cfg, start, start - timedelta(days=30))
    assert not _allowed(cfg, start, start - timedelta(days=30, seconds=1))


def test_is_allowed_start_on_dst_days():
    cfg = _all_day_config()
    for t in slots(cfg, SPRING) + slots(cfg, AUTUMN):
        assert _allowed(cfg, t, EARLY)
    # Both real instants of the repeated 03:15 are allowed.
    assert _allowed(cfg, datetime.fromisoformat("2026-10-25T03:15:00+03:00"), EARLY)
    assert _allowed(cfg, datetime.fromisoformat("2026-10-25T03:15:00+02:00"), EARLY)


# --- property: free slots == candidates minus overlaps ---------------------------

_PROP_CFG = make_config(duration=45, buffer=10, rules={"slot_step_minutes": 15})
_DAY_START = wall(MON, "00:00")


@st.composite
def busy_intervals(draw):
    n = draw(st.integers(min_value=0, max_value=8))
    out = []
    for _ in range(n):
        start = draw(st.integers(min_value=-180, max_value=26 * 60))  # minutes after local midnight
        length = draw(st.integers(min_value=1, max_value=240))
        s = _DAY_START + timedelta(minutes=start)
        out.append((s, s + timedelta(minutes=length)))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(busy=busy_intervals())
def test_free_slots_are_exactly_the_candidates_that_do_not_overlap_busy(busy):
    cfg = _PROP_CFG
    service, staff = cfg.service("cut"), cfg.staff_member("anna")
    occupancy = timedelta(minutes=service.occupancy_minutes)
    candidates = candidate_starts(cfg, service, staff, MON, EARLY)
    free = free_starts(cfg, service, staff, MON, EARLY, busy)

    def overlaps(t):
        return any(t < b_end and b_start < t + occupancy for b_start, b_end in busy)

    for t in free:
        assert not overlaps(t), f"{t} overlaps a busy interval"
    assert free == [t for t in candidates if not overlaps(t)]


@given(
    starts=st.lists(st.integers(0, 600), max_size=40),
    busy=st.lists(st.tuples(st.integers(0, 700), st.integers(1, 240)), max_size=30),
    occupancy=st.integers(5, 300),
)
def test_the_sorted_sweep_frees_exactly_the_starts_no_busy_time_overlaps(starts, busy, occupancy):
    """One pass over candidates and busy time, against the definition (any overlap)."""
    from chalicelib.domain.availability import _sweep

    t0 = datetime(2026, 11, 23, 7, tzinfo=UTC)
    minute = timedelta(minutes=1)
    candidates = sorted({t0 + s * minute for s in starts})
    stretches = [(t0 + s * minute, t0 + (s + n) * minute) for s, n in busy]
    length = occupancy * minute
    expected = [t for t in candidates if not any(b < t + length and t < e for b, e in stretches)]
    assert _sweep(candidates, length, stretches) == expected


def _changed(cfg, **fields):
    return parse_business_config({**cfg.model_dump(mode="json"), **fields})


def test_added_working_time_is_the_newly_open_time_per_staff_and_day_up_to_the_horizon():
    old = demo_config()
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Mon 10:00 in Helsinki
    assert added_working_time(old, old, now) == []
    # Sanna's Wednesdays end at 19:00, not 17:00: two hours more every Wednesday.
    staff = old.model_dump(mode="json")["staff"]
    assert staff[2]["id"] == "sanna"
    staff[2]["hours"]["wed"] = [["09:00", "19:00"]]
    added = added_working_time(old, _changed(old, staff=staff), now)
    spans = {(s, a.astimezone(HEL).strftime("%a %H:%M"), b.astimezone(HEL).strftime("%H:%M")) for s, a, b in added}
    assert spans == {("sanna", "Wed 17:00", "19:00")}
    # Every Wednesday within the 90-day horizon but Epiphany (closed): 12, none past it.
    assert len(added) == 12 and all(now < a and b <= now + timedelta(days=90) for _, a, b in added)
    # Christmas Eve (a Thursday) no longer closed: each staff member's Thursday hours.
    closures = [c.date.isoformat() for c in old.closures if c.date != date(2026, 12, 24)]
    reopened = added_working_time(old, _changed(old, closures=closures), now)
    assert sorted((s, hhmm([a])[0], hhmm([b])[0]) for s, a, b in reopened) == [
        ("aino", "11:00", "20:00"),
        ("mikko", "10:00", "18:00"),
        ("sanna", "12:00", "20:00"),
    ]
    assert {a.astimezone(HEL).date() for _, a, _ in reopened} == {date(2026, 12, 24)}
