"""The day and staff counters behind the rolling periods, and occupancy (docs/kpis.md):
hand-computed small cases, the turn of a month, a DST week, a staff member with no hours."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import kpis, occupancy
from chalicelib.domain.config import WeeklyHours
from tests.conftest import demo_config
from tests.domain.test_kpi_rules import HEL, histories, local, sends, total, visit


def member(staff_id):
    return demo_config().staff_member(staff_id)


# --- periods ---------------------------------------------------------------------------
def test_a_rolling_period_is_the_last_n_local_days_today_included():
    first_of_december = date(2026, 12, 1)
    assert kpis.window("last7", first_of_december) == (date(2026, 11, 25), date(2026, 12, 1))
    assert kpis.previous_window("last7", first_of_december) == (date(2026, 11, 18), date(2026, 11, 24))
    assert kpis.window("last30", first_of_december) == (date(2026, 11, 2), date(2026, 12, 1))
    assert kpis.previous_window("last30", first_of_december) == (date(2026, 10, 3), date(2026, 11, 1))
    # Over the night the clocks go back (25 Oct 2026) a week is still seven local days.
    assert kpis.window("last7", date(2026, 10, 28)) == (date(2026, 10, 22), date(2026, 10, 28))


def test_the_days_of_a_calendar_period():
    assert kpis.calendar_range("2026-11") == (date(2026, 11, 1), date(2026, 11, 30))
    assert kpis.calendar_range("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert kpis.calendar_range("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert kpis.calendar_range("2027") == (date(2027, 1, 1), date(2027, 12, 31))


# --- what a client adds to days and to staff members --------------------------------------
def test_a_visit_counts_on_its_local_day_and_for_its_staff_member():
    c = kpis.contribution(
        [
            visit("a", "2026-11-30T23:30"),  # 21:30 UTC: still the 30th in Helsinki
            visit("a", "2026-12-01T10:00", status="no_show", minutes=30),
            visit("a", "2026-12-02T10:00", status="cancelled", cancelled_at="2026-11-29T10:00"),
        ],
        [],
        HEL,
        24,
    )
    assert c["2026-11-30"] == {
        "appointments": 1,
        "completed": 1,
        "revenue_cents": 5000,
        "unreminded_due": 1,
        "new_clients": 1,
        **{f"rebooked_{n}": 1 for n in kpis.REBOOK_WINDOWS},
        "rebooked_before_leaving": 1,
    }
    assert "visitors" not in c["2026-11-30"] and c["2026-11"]["visitors"] == 1  # days keep no distinct clients
    assert c["2026-11-30@aino"] == {"booked": 1, "booked_minutes": 60, "completed": 1, "revenue_cents": 5000}
    # A no-show held her time; a cancelled booking holds nothing.
    assert c["2026-12-01@aino"] == {"booked": 1, "booked_minutes": 30, "no_show": 1}
    assert "2026-12-02@aino" not in c and c["2026-12-02"]["cancelled"] == 1
    assert c["2026-12@aino"]["booked_minutes"] == 30 and c["2026@aino"]["booked_minutes"] == 90
    assert c["2026-Q4@aino"]["revenue_cents"] == 5000


def test_a_dst_week_counts_each_visit_on_its_own_local_day():
    # 25 Oct 2026: 04:00 summer time becomes 03:00 winter time.
    history = [
        visit("d", "2026-10-24T23:30"),  # 20:30 UTC on the 24th
        datetime_visit("d", datetime(2026, 10, 25, 3, 30, fold=0, tzinfo=HEL)),  # the first 03:30 (00:30 UTC)
        datetime_visit("d", datetime(2026, 10, 25, 3, 30, fold=1, tzinfo=HEL)),  # the second 03:30 (01:30 UTC)
        visit("d", "2026-10-25T23:30"),  # 21:30 UTC on the 25th
        visit("d", "2026-10-26T00:30"),  # 22:30 UTC on the 25th, Monday locally
    ]
    c = kpis.contribution(history, [], HEL, 24)
    days = {p: v["completed"] for p, v in c.items() if kpis.is_day(p)}
    assert days == {"2026-10-24": 1, "2026-10-25": 3, "2026-10-26": 1}
    week, staff = kpis.sum_days(c, date(2026, 10, 20), date(2026, 10, 26))
    assert week["completed"] == 5 and staff["aino"]["booked_minutes"] == 5 * 60


def datetime_visit(client, start):
    a = visit(client, "2026-01-01T00:00")
    s = start.astimezone(UTC)
    return a.__class__(
        **{**a.__dict__, "start": s, "end": s + timedelta(hours=1), "occupied_until": s + timedelta(hours=1)}
    )


def test_the_days_add_up_to_the_rolling_period_and_per_staff():
    c = total(
        kpis.contribution([visit("a", "2026-11-24T10:00", price=4000)], [], HEL, 24),
        kpis.contribution([visit("b", "2026-11-30T10:00", status="no_show")], [], HEL, 24),
        kpis.contribution([visit("c", "2026-12-01T10:00", status="booked")], [], HEL, 24),
    )
    week, staff = kpis.sum_days(c, date(2026, 11, 25), date(2026, 12, 1))
    assert (week["appointments"], week.get("completed", 0), week["no_show"]) == (2, 0, 1)
    assert staff == {"aino": {"booked": 2, "booked_minutes": 120, "no_show": 1}}
    f = kpis.figures(week, {}, distinct=False)
    assert f["no_show_rate"]["value"] == 1.0 and f["visits"]["value"] == 0
    for name in kpis.DISTINCT_FIGURES:
        assert f[name] == kpis.UNKNOWN
    assert kpis.figures(week, {})["returning_clients"]["value"] == 0  # a calendar period keeps them


def test_a_profile_keeps_only_the_recent_days():
    history = [visit("a", "2026-08-01T10:00"), visit("a", "2026-11-20T10:00")]
    first = date(2026, 11, 25) - timedelta(days=kpis.DAY_HORIZON_DAYS)  # 16 Sep
    c = kpis.contribution(history, [], HEL, 24, days_from=first)
    assert "2026-08-01" not in c and "2026-08-01@aino" not in c and "2026-11-20@aino" in c
    assert c["2026-08"]["completed"] == 1 and c["2026-08@aino"]["completed"] == 1  # months stay
    full = kpis.contribution(history, [], HEL, 24)
    assert kpis.without_days_before(full, first) == c


@settings(max_examples=100, deadline=None)
@given(histories, histories, sends, st.integers(0, 500))
def test_the_recent_days_stay_the_sum_of_what_the_profiles_say(before, after, winbacks, horizon):
    """A sync at a later horizon drops older days from the profile and moves none of
    them; every day from the horizon on ends as the new contribution says."""
    first = date(2026, 1, 1) + timedelta(days=horizon)
    old = kpis.contribution(before, winbacks, HEL, 24, days_from=first - timedelta(days=30))
    new = kpis.contribution(after, winbacks, HEL, 24, days_from=first)
    kept = kpis.without_days_before(old, first)
    moved = total(kept, kpis.delta(kept, new))
    assert {p: +c for p, c in moved.items() if +c} == {p: Counter(c) for p, c in new.items()}
    touched = [kpis.split_staff(p)[0] for p in kpis.delta(kept, new)]
    assert all(p >= first.isoformat() for p in touched if kpis.is_day(p))


# --- occupancy --------------------------------------------------------------------------
def test_working_minutes_follow_the_hours_days_off_exceptions_and_closures():
    cfg = demo_config()
    week = (date(2026, 11, 23), date(2026, 11, 29))  # Mon-Sun
    assert occupancy.working_minutes(cfg, member("aino"), *week) == 480 + 480 + 540 + 540 + 420
    assert occupancy.working_minutes(cfg, member("mikko"), *week) == 4 * 480 + 360
    assert occupancy.working_minutes(cfg, member("sanna"), *week) == 540 + 480 + 480 + 540 + 360
    # Mikko's exception on Wed 23 Dec (10-14), the salon closed on Christmas Eve (Thu 24th),
    # Aino's day off on New Year's Eve (Thu 31st).
    assert occupancy.working_minutes(cfg, member("mikko"), date(2026, 12, 23), date(2026, 12, 24)) == 240
    assert occupancy.working_minutes(cfg, member("aino"), date(2026, 12, 31), date(2026, 12, 31)) == 0


def test_time_off_is_taken_out_once_however_it_overlaps():
    cfg = demo_config()
    monday = date(2026, 11, 23)  # aino 09:00-17:00
    off = [
        (local("2026-11-23T08:00"), local("2026-11-23T10:00")),  # 60 minutes of it inside her hours
        (local("2026-11-23T09:30"), local("2026-11-23T11:00")),  # overlaps the first: 60 more
        (local("2026-11-23T16:30"), local("2026-11-23T19:00")),  # 30 minutes inside
    ]
    assert occupancy.working_minutes(cfg, member("aino"), monday, monday, off) == 480 - 120 - 30
    rows = occupancy.per_staff(cfg, monday, monday, {"aino": {"booked_minutes": 165}}, {"aino": off})
    assert rows[0] == {
        "staff": "aino",
        "name": "Aino Virtanen",
        "booked_minutes": 165,
        "working_minutes": 330,
        "rate": 0.5,
        "bookings": 0,
        "visits": 0,
        "no_shows": 0,
        "revenue_cents": 0,
    }


def test_a_dst_night_has_its_real_minutes():
    # A night shift 00:00-06:00 on Sundays: 7 real hours when the clocks go back, 5 when forward.
    night = WeeklyHours(sun=(("00:00", "06:00"),))
    cfg = demo_config().model_copy(update={"opening_hours": night})
    owl = member("aino").model_copy(update={"hours": night})
    assert occupancy.working_minutes(cfg, owl, date(2026, 10, 25), date(2026, 10, 25)) == 420
    assert occupancy.working_minutes(cfg, owl, date(2027, 3, 28), date(2027, 3, 28)) == 300
    assert occupancy.working_minutes(cfg, owl, date(2026, 11, 1), date(2026, 11, 1)) == 360
    # The salon's own DST week: daytime hours are the same as any week's.
    assert occupancy.working_minutes(demo_config(), member("aino"), date(2026, 10, 19), date(2026, 10, 25)) == 2460


def test_a_staff_member_with_no_hours_has_no_rate_and_one_who_left_is_listed():
    cfg = demo_config()
    idle = cfg.model_copy(
        update={
            "staff": tuple(s.model_copy(update={"hours": WeeklyHours()}) if s.id == "sanna" else s for s in cfg.staff)
        }
    )
    rows = occupancy.per_staff(
        idle,
        date(2026, 11, 23),
        date(2026, 11, 29),
        {"sanna": {"booked_minutes": 70, "completed": 1, "revenue_cents": 6900}, "left": {"booked_minutes": 35}},
    )
    by_id = {r["staff"]: r for r in rows}
    assert (by_id["sanna"]["working_minutes"], by_id["sanna"]["rate"], by_id["sanna"]["revenue_cents"]) == (
        0,
        None,
        6900,
    )
    assert [r["staff"] for r in rows] == ["aino", "mikko", "sanna", "left"]
    assert by_id["left"]["rate"] is None and by_id["aino"]["rate"] == 0.0
