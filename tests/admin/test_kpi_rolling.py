"""Rolling KPI periods (the last 7 and 30 days against the days before), occupancy and
revenue per staff member, and the dashboard's summary (docs/kpis.md).

Every figure here is computed by hand from the demo salon's configuration; the clock is
the frozen one, moved to the day each test is about, so nothing depends on the day the
tests run. The demo's hours (opening hours x staff hours, minutes a day):

    aino   Mon 480, Tue 480, Wed 540, Thu 540, Fri 420
    mikko  Tue-Fri 480 each, Sat 360
    sanna  Mon 540, Wed 480, Thu 480, Fri 540, Sat 360

Women's cut: 60 min + 10 min buffer = 70 booked minutes, 69.00 €; men's cut 30 + 5 = 35
minutes, 42.00 €.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.history import at, past_visits, run_job

WEEK_MINUTES = {"aino": 2460, "mikko": 2280, "sanna": 2400}  # any 7 days in a row, no closures


def sync(frozen_now):
    """Until nobody is left marked: on a busy machine one run's budget may end first."""
    for _ in range(5):
        if not run_job("kpi_sync", frozen_now["now"] + timedelta(minutes=1))["left_for_next_run"]:
            return
    raise AssertionError("kpi_sync still had clients left after 5 runs")


def get(desk, path):
    status, body = desk.get(path)
    assert status == 200, body
    return body


def person(n: int) -> dict:
    return {"name": f"Asiakas {n}", "phone": f"040 555 {n:04d}", "email": f"asiakas{n}@example.com"}


def rate(frozen_now, visits, stars: int) -> None:
    """The client rates her visit through the rating page's use case."""
    from chalicelib import links
    from chalicelib.services import feedback

    [appt] = visits.appointments
    feedback.submit(links.feedback_token(appt.business_id, appt.id, appt.end), {"rating": stars})


def staff(body, staff_id):
    return next(s for s in body["staff"] if s["staff"] == staff_id)


# --- the 1st of the month ------------------------------------------------------------------
def test_on_the_first_of_the_month_the_last_days_still_show_yesterdays_visit(aws, desk, frozen_now):
    # Issue 16.9: a visit rated on 30 November was nowhere on 1 December's "this month".
    visit = past_visits(["2026-11-30T10:00:00+02:00"], **person(1), staff="aino")
    frozen_now["now"] = at("2026-11-30T15:00:00+02:00")
    rate(frozen_now, visit, 4)
    frozen_now["now"] = at("2026-12-01T09:00:00+02:00")
    sync(frozen_now)

    month = get(desk, "/kpis")
    assert month["period"] == "2026-12" and month["kpis"]["visits"]["value"] == 0  # this month: nothing yet
    assert month["range"] == {"from": "2026-12-01", "to": "2026-12-31"}

    for period, first in (("last7", "2026-11-25"), ("last30", "2026-11-02")):
        body = get(desk, f"/kpis?period={period}")
        k = body["kpis"]
        assert body["range"] == {"from": first, "to": "2026-12-01"}, period
        assert (k["visits"]["value"], k["revenue_cents"]["value"], k["average_rating"]["value"]) == (1, 6900, 4.0)
        assert k["new_clients"]["value"] == 1 and k["response_rate"]["denominator"] == 0  # no request was sent
        # Distinct clients do not add up over days: not given for a rolling period.
        assert k["retention_rate"] == {"value": None, "numerator": None, "denominator": None}
        assert body["compared"]["visits"]["value"] == 0
        days = {d["day"]: d["kpis"] for d in body["trend"]}
        assert len(days) == int(period[4:]) and body["trend"][-1]["day"] == "2026-12-01"
        assert days["2026-11-30"]["visits"] == 1 and days["2026-11-30"]["average_rating"] == 4.0
        assert days["2026-12-01"]["visits"] == 0
    week = get(desk, "/kpis?period=last7")
    assert week["previous"] == "2026-11-18/2026-11-24"
    assert week["previous_range"] == {"from": "2026-11-18", "to": "2026-11-24"}
    aino = staff(week, "aino")
    # 25 Nov (Wed) .. 1 Dec (Tue): 540 + 540 + 420 + 0 + 0 + 480 + 480 minutes.
    assert (aino["booked_minutes"], aino["working_minutes"], aino["rate"]) == (70, 2460, round(70 / 2460, 4))
    assert (aino["visits"], aino["revenue_cents"], aino["bookings"]) == (1, 6900, 1)
    assert aino["compared"]["booked_minutes"] == 0 and aino["compared"]["working_minutes"] == 2460


# --- a week against the week before --------------------------------------------------------
def a_fortnight(frozen_now):
    """Wed 25 Nov 2026, 18:00. This week (19-25 Nov): a completed women's cut with aino
    on Monday, a men's cut with mikko on Tuesday the client missed (no-show), a booking
    with sanna cancelled. The week before (12-18 Nov): a completed men's cut with mikko.
    The week before that (11 Nov): a completed women's cut, in neither week."""
    past_visits(["2026-11-23T10:00:00+02:00"], **person(1), staff="aino")
    past_visits(["2026-11-24T10:00:00+02:00"], **person(2), staff="mikko", service="mens-cut", status="no_show")
    past_visits(["2026-11-25T10:00:00+02:00"], **person(3), staff="sanna", status="cancelled")
    past_visits(["2026-11-17T10:00:00+02:00"], **person(4), staff="mikko", service="mens-cut")
    past_visits(["2026-11-11T10:00:00+02:00"], **person(5), staff="aino")
    frozen_now["now"] = at("2026-11-25T18:00:00+02:00")
    sync(frozen_now)


def test_the_last_seven_days_against_the_seven_before(aws, desk, frozen_now):
    a_fortnight(frozen_now)
    body = get(desk, "/kpis?period=last7")
    k, before = body["kpis"], body["compared"]
    assert body["range"] == {"from": "2026-11-19", "to": "2026-11-25"}
    assert (k["visits"]["value"], k["revenue_cents"]["value"]) == (1, 6900)
    assert k["no_show_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert k["cancellation_rate"] == {"value": 0.3333, "numerator": 1, "denominator": 3}
    assert (before["visits"]["value"], before["revenue_cents"]["value"]) == (1, 4200)
    assert before["no_show_rate"] == {"value": 0.0, "numerator": 0, "denominator": 1}

    aino, mikko, sanna = (staff(body, s) for s in ("aino", "mikko", "sanna"))
    assert [s["staff"] for s in body["staff"]] == ["aino", "mikko", "sanna"]  # the configuration's order
    assert (aino["booked_minutes"], aino["working_minutes"], aino["revenue_cents"]) == (70, 2460, 6900)
    # A no-show held the time: booked, no visit, no revenue.
    assert (mikko["booked_minutes"], mikko["visits"], mikko["no_shows"], mikko["revenue_cents"]) == (35, 0, 1, 0)
    assert mikko["rate"] == round(35 / 2280, 4)
    # A cancelled booking holds nothing.
    assert (sanna["booked_minutes"], sanna["bookings"], sanna["working_minutes"], sanna["rate"]) == (0, 0, 2400, 0.0)
    assert mikko["compared"] == {
        **mikko["compared"],
        "booked_minutes": 35,
        "working_minutes": 2280,
        "visits": 1,
        "revenue_cents": 4200,
    }

    month = get(desk, "/kpis?period=last30")  # 27 Oct - 25 Nov: all five
    assert month["kpis"]["visits"]["value"] == 3 and month["kpis"]["revenue_cents"]["value"] == 6900 + 4200 + 6900
    assert month["compared"]["visits"]["value"] == 0


def test_the_calendar_periods_carry_staff_and_the_previous_periods_figures(aws, desk, frozen_now):
    a_fortnight(frozen_now)
    body = get(desk, "/kpis?period=2026-11")
    assert body["kpis"]["visits"]["value"] == 3 and body["compared"]["visits"]["value"] == 0
    assert body["range"] == {"from": "2026-11-01", "to": "2026-11-30"}
    aino = staff(body, "aino")
    # November 2026: Mondays 2, 9, 16, 23, 30 (5 x 480), then 4 each of Tue (480),
    # Wed (540), Thu (540) and Fri (420).
    assert aino["working_minutes"] == 5 * 480 + 4 * 480 + 4 * 540 + 4 * 540 + 4 * 420
    assert (aino["booked_minutes"], aino["visits"], aino["revenue_cents"]) == (140, 2, 13800)
    year = get(desk, "/kpis?period=2026")
    assert staff(year, "mikko")["revenue_cents"] == 4200 and staff(year, "mikko")["no_shows"] == 1
    assert year["previous_range"] == {"from": "2025-01-01", "to": "2025-12-31"}


def test_a_staff_member_with_no_hours_has_no_occupancy(aws, desk, frozen_now):
    from chalicelib.domain.config import WeeklyHours
    from chalicelib.store import businesses
    from tests.history import business

    cfg = business().config
    businesses.save_config(
        cfg.model_copy(
            update={
                "staff": tuple(
                    s.model_copy(update={"hours": WeeklyHours()}) if s.id == "sanna" else s for s in cfg.staff
                )
            }
        )
    )
    businesses.clear_cache()
    past_visits(["2026-11-23T10:00:00+02:00"], **person(1), staff="sanna")  # booked at the desk all the same
    frozen_now["now"] = at("2026-11-25T18:00:00+02:00")
    sync(frozen_now)
    for path in ("/kpis?period=last7", "/kpis?period=2026-11"):
        sanna = staff(get(desk, path), "sanna")
        assert (sanna["booked_minutes"], sanna["working_minutes"], sanna["rate"]) == (70, 0, None), path
        assert sanna["revenue_cents"] == 6900
    summary = get(desk, "/kpis/summary")
    assert {"staff": "sanna", "name": "Sanna Korhonen", "booked_minutes": 70, "working_minutes": 0, "rate": None} in (
        summary["occupancy"]
    )


def test_visits_of_no_one_in_the_team_are_not_listed_as_staff_named_by_an_id(aws, desk, frozen_now):
    # An imported visit whose staff matched no one is kept under "import"; a former
    # member's visits under her id. Neither is a member of staff called so: the report's
    # rows say why they have no name, the summary's occupancy (of the team's hours) leaves
    # them out.
    past_visits(["2026-11-23T10:00:00+02:00"], **person(1), staff="import")
    past_visits(["2026-11-24T10:00:00+02:00"], **person(2), staff="leena")
    frozen_now["now"] = at("2026-11-25T18:00:00+02:00")
    sync(frozen_now)
    for path in ("/kpis?period=last7", "/kpis?period=2026-11"):
        imported, former = staff(get(desk, path), "import"), staff(get(desk, path), "leena")
        assert (imported["name"], imported["not_in_team"], imported["revenue_cents"]) == (None, "imported", 6900)
        assert (former["name"], former["not_in_team"]) == (None, "removed"), path
        assert all("not_in_team" not in s for s in get(desk, path)["staff"] if s["staff"] in ("aino", "mikko"))
    listed = {o["staff"] for o in get(desk, "/kpis/summary")["occupancy"]}
    assert listed == {s.id for s in aws.config.staff}


# --- the summary -------------------------------------------------------------------------
def test_the_summary_of_the_four_figures_an_owner_checks_most(aws, desk, frozen_now):
    a_fortnight(frozen_now)
    # At risk: a regular every eight weeks, last seen 62 days ago (the demo salon's return
    # model, its prior: at risk from 17 Nov, lapsed from 29 Nov).
    eight_weekly = (
        "2025-12-18T10:00:00+02:00",
        "2026-02-12T10:00:00+02:00",
        "2026-04-09T10:00:00+03:00",
        "2026-06-04T10:00:00+03:00",
        "2026-07-30T10:00:00+03:00",
        "2026-09-24T10:00:00+03:00",
    )
    past_visits(eight_weekly, **person(6), staff="aino")
    # ... but one of the same age who has booked again is not,
    back = past_visits([d.replace("T10:", "T12:") for d in eight_weekly], **person(7), staff="aino")
    past_visits(["2026-12-02T12:00:00+02:00"], **person(7), staff="aino", status="booked")
    # ... nor one who lapsed long ago.
    past_visits(["2026-07-01T10:00:00+03:00"], **person(8), staff="sanna")
    frozen_now["now"] = at("2026-11-25T18:00:00+02:00")
    sync(frozen_now)

    s = get(desk, "/kpis/summary")
    assert s["period"] == {"from": "2026-11-19", "to": "2026-11-25"} and s["currency"] == "EUR"
    assert (s["bookings_week"], s["revenue_week_cents"]) == (2, 6900)  # the cancelled one is not a booking
    # No-shows over 30 days (27 Oct - 25 Nov): 1 of 4 due (three completed, one missed).
    assert s["no_show_rate"] == 0.25 and s["no_show"]["period"] == {"from": "2026-10-27", "to": "2026-11-25"}
    assert (s["no_show"]["numerator"], s["no_show"]["denominator"]) == (1, 4)
    assert s["at_risk"] == 1
    listed = get(desk, "/retention")["clients"]
    assert s["at_risk"] == sum(c["status"] == "at_risk" for c in listed)
    assert back.client_id not in {c["client"]["id"] for c in listed}
    occupancy = {o["staff"]: o for o in s["occupancy"]}
    assert occupancy["aino"] == {
        "staff": "aino",
        "name": "Aino Virtanen",
        "booked_minutes": 70,
        "working_minutes": 2460,
        "rate": round(70 / 2460, 4),
    }
    c = s["compared"]
    assert c["period"] == {"from": "2026-11-12", "to": "2026-11-18"}
    assert (c["bookings_week"], c["revenue_week_cents"]) == (1, 4200)
    assert c["no_show_rate"] is None and c["no_show"]["period"] == {"from": "2026-09-27", "to": "2026-10-26"}
    assert {o["staff"]: o["booked_minutes"] for o in c["occupancy"]} == {"aino": 0, "mikko": 35, "sanna": 0}


def test_a_salon_with_years_of_lapsed_clients_still_lists_and_counts_the_one_slipping_now(
    aws, desk, frozen_now, monkeypatch
):
    # The list reads at most so many clients past their at-risk day (here 2, in AWS 500):
    # those who turned at risk most recently, not the ones who lapsed years ago.
    from chalicelib.store import retention

    monkeypatch.setattr(retention, "RISK_LIST_MOST", 2)
    for n, day in enumerate(("2024-03-01", "2024-06-01", "2025-01-15")):
        past_visits([f"{day}T10:00:00+02:00"], **person(20 + n), staff="sanna")
    # At risk, as in the summary's test: every eight weeks, last seen 62 days ago.
    eight_weekly = ("2026-02-12", "2026-04-09", "2026-06-04", "2026-07-30", "2026-09-24")
    past_visits(
        ["2025-12-18T10:00:00+02:00", *(f"{d}T10:00:00+03:00" for d in eight_weekly)], **person(6), staff="aino"
    )
    frozen_now["now"] = at("2026-11-25T18:00:00+02:00")

    listed = {c["client"]["name"]: c["status"] for c in get(desk, "/retention")["clients"]}
    assert listed == {"Asiakas 6": "at_risk", "Asiakas 22": "lapsed"}
    assert get(desk, "/kpis/summary")["at_risk"] == 1


def test_the_summary_and_the_rolling_periods_are_the_owners(client, aws, frozen_now):
    from tests.admin.helpers import Desk

    staff_desk = Desk(client, aws.id, role="staff", staff_id="aino")
    for path in ("/kpis/summary", "/kpis?period=last7"):
        assert staff_desk.get(path)[0] == 403


@pytest.mark.parametrize("bad", ["last8", "last", "LAST7", "2026-11-01"])
def test_other_periods_are_refused(desk, bad):
    status, body = desk.get(f"/kpis?period={bad}")
    assert status == 422 and body["error"]["fields"] == {"period": "expected YYYY-MM, YYYY-Qn, YYYY, last7 or last30"}


def test_the_aggregate_keys_keep_each_read_to_its_own_range():
    from datetime import date

    from chalicelib.store import keys

    for period in ("2026-11", "2026-Q4", "2026", "2026-11-25", "2026-11@aino", "2026@aino", "2026-11-25@aino"):
        assert keys.period_of(keys.aggregate_sk(period)) == period
    assert keys.aggregate_sk("2026-11-25") == "AGD#2026-11-25"
    assert keys.aggregate_sk("2026-11-25@aino") == "AGD#2026-11-25#aino"
    assert keys.aggregate_sk("2026-Q4@aino") == "AGS#2026-Q4#aino"
    # The month Query (AGG#2025-11 .. AGG#2026-11) holds no day or staff item ...
    lo, hi = keys.aggregate_sk("2025-11"), keys.aggregate_sk("2026-11")
    assert not any(lo <= keys.aggregate_sk(p) <= hi for p in ("2026-03-01", "2026-03@aino", "2026-03-01@aino"))
    # ... and the day Query holds every day and staff day of its range, and no other.
    lo, hi = keys.day_aggregates(date(2026, 11, 1), date(2026, 11, 30))
    inside = ("2026-11-01", "2026-11-30", "2026-11-30@aino", "2026-11-01@zz-99")
    outside = ("2026-10-31@aino", "2026-12-01", "2026-11", "2026-11@aino")
    assert all(lo <= keys.aggregate_sk(p) <= hi for p in inside)
    assert not any(lo <= keys.aggregate_sk(p) <= hi for p in outside)


def test_a_recount_fills_the_days_of_history_counted_before_they_existed(aws, desk, frozen_now):
    """What `rebook_cli kpi-recount` does after this release: clients whose profiles were
    synced before days and staff members were counted get them, and the months stay."""
    from chalicelib.domain import kpis as rules
    from chalicelib.store import keys
    from chalicelib.store import kpis as store
    from chalicelib.store.models import AggregateItem, ClientItem

    visit = past_visits(["2026-11-23T10:00:00+02:00"], **person(1), staff="aino")
    frozen_now["now"] = at("2026-11-25T18:00:00+02:00")
    sync(frozen_now)
    # As before the release: no day or staff counters, on the profile or in the table.
    item = ClientItem.get(keys.biz(aws.id), keys.client_sk(visit.client_id))
    item.update(actions=[ClientItem.kpi.set({p: c for p, c in item.kpi.items() if rules.valid_period(p)})])
    for a in AggregateItem.query(keys.biz(aws.id), AggregateItem.sk.startswith("AG")):
        if not a.sk.startswith(keys.AGGREGATE_PREFIX):
            a.delete()
    assert get(desk, "/kpis?period=last7")["kpis"]["visits"]["value"] == 0

    assert store.mark_all(aws.id, frozen_now["now"]) == 1
    sync(frozen_now)
    week = get(desk, "/kpis?period=last7")
    assert week["kpis"]["visits"]["value"] == 1 and staff(week, "aino")["booked_minutes"] == 70
    assert get(desk, "/kpis?period=2026-11")["kpis"]["visits"]["value"] == 1  # not counted twice


def test_time_off_comes_out_of_the_working_minutes(aws, desk, frozen_now, monkeypatch):
    """Occupancy's working minutes less the front desk's time off (issue 16.4), by hand:
    Aino off Wed 25 Nov 14-16 and 15-17 (overlapping, as blocks saved before the API
    refused the same staff member's overlaps may: 14-17 counts once, 180 min) and
    Thu 26 Nov 19:30-21 (her hours end at 20: 30 min); the whole salon off Fridays 12-13
    until 4 Dec (60 min each on 27 Nov; 4 Dec is outside the week)."""
    for block in (
        {"staff": "aino", "start": "2026-11-25T14:00", "end": "2026-11-25T16:00", "reason": "Dentist"},
        {"staff": "aino", "start": "2026-11-25T15:00", "end": "2026-11-25T17:00"},
        {"staff": "aino", "start": "2026-11-26T19:30", "end": "2026-11-26T21:00"},
        {"start": "2026-11-27T12:00", "end": "2026-11-27T13:00", "repeat": {"weekly_until": "2026-12-04"}},
    ):
        with monkeypatch.context() as m:
            m.setattr("chalicelib.services.admin.time_off._not_twice", lambda *a, **k: None)
            status, body = desk.post("/time-off", block)
        assert status == 201, body
    frozen_now["now"] = at("2026-11-27T18:00:00+02:00")

    week = get(desk, "/kpis?period=last7")  # 21-27 Nov
    assert {s["staff"]: s["working_minutes"] for s in week["staff"]} == {
        "aino": WEEK_MINUTES["aino"] - 180 - 30 - 60,
        "mikko": WEEK_MINUTES["mikko"] - 60,
        "sanna": WEEK_MINUTES["sanna"] - 60,
    }
    assert {s["staff"]: s["compared"]["working_minutes"] for s in week["staff"]} == WEEK_MINUTES  # 14-20 Nov
    summary = get(desk, "/kpis/summary")
    assert {o["staff"]: o["working_minutes"] for o in summary["occupancy"]}["aino"] == 2460 - 270
    november = staff(get(desk, "/kpis?period=2026-11"), "aino")
    assert november["working_minutes"] == 5 * 480 + 4 * 480 + 4 * 540 + 4 * 540 + 4 * 420 - 270
    # The weekly block's second Friday (4 Dec 12-13) is December's: an hour less than her plain hours.
    from chalicelib.domain import occupancy
    from tests.conftest import demo_config

    cfg = demo_config()
    mikko = cfg.staff_member("mikko")
    assert mikko is not None
    plain = occupancy.working_minutes(cfg, mikko, date(2026, 12, 1), date(2026, 12, 31))
    assert staff(get(desk, "/kpis?period=2026-12"), "mikko")["working_minutes"] == plain - 60


def test_the_summarys_at_risk_and_the_lists_agree_when_the_thresholds_moved_since_she_was_keyed(aws, desk, frozen_now):
    # Keyed at risk by the prior's thresholds (at risk from 17 Nov, lapsed from 29 Nov);
    # then the owner sets her own, under which the same client has lapsed already: both
    # the list and the summary's count judge her by the thresholds in use.
    from tests.api.helpers import set_config

    eight_weekly = ("2026-02-12", "2026-04-09", "2026-06-04", "2026-07-30", "2026-09-24")
    past_visits(
        ["2025-12-18T10:00:00+02:00", *(f"{d}T10:00:00+03:00" for d in eight_weekly)], **person(6), staff="aino"
    )
    frozen_now["now"] = at("2026-11-25T18:00:00+02:00")
    assert get(desk, "/kpis/summary")["at_risk"] == 1
    set_config(aws, retention__at_risk_below=0.95, retention__lapsed_below=0.9)
    listed = get(desk, "/retention")["clients"]
    assert [c["status"] for c in listed] == ["lapsed"]
    assert get(desk, "/kpis/summary")["at_risk"] == 0


def test_the_figures_say_they_are_catching_up_until_the_sync_has_counted_every_change(aws, desk, frozen_now):
    """A walk at closing time: the week showed 2 visits, then 6 after the next sync, with
    nothing on the screen saying the day's last visits were still being counted."""
    visit = past_visits(["2026-11-30T10:00:00+02:00"], **person(1), staff="aino")
    frozen_now["now"] = at("2026-11-30T15:00:00+02:00")
    rate(frozen_now, visit, 5)  # a change the figures have not counted yet
    body = get(desk, "/kpis?period=last7")
    assert body["catching_up"] is True
    sync(frozen_now)
    body = get(desk, "/kpis?period=last7")
    assert body["catching_up"] is False and body["kpis"]["visits"]["value"] == 1
    assert get(desk, "/kpis?period=2026-11")["catching_up"] is False
