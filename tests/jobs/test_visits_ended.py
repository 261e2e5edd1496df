"""After the visit: the job completes visits nobody marked, keeps each client's visits,
spend and rhythm, catches up on runs that were missed, and the owner sees who is
slipping away — the most value at stake first.

The job runs when it would in AWS: every 5 minutes, so a run two hours after a visit
looks back two hours (tests/history.py `visit`), not to the last visit weeks before."""

from __future__ import annotations

import pytest

from tests.admin.helpers import Desk
from tests.api.helpers import book, post, token_of
from tests.history import at, booked_ahead, ran_on_schedule_until, run_job, run_on_schedule, visit

KALLE = {"name": "Kalle Kävijä", "phone": "040 765 4321", "email": "kalle@example.com"}


def run(now):
    return run_on_schedule("visits_ended", now)


@pytest.fixture
def desk(client, aws):
    return Desk(client, aws.id)


def only_client(desk):
    listed = desk.get("/clients")[1]["clients"]
    assert len(listed) == 1
    return listed[0]["id"]


def test_an_unmarked_visit_is_completed_and_counted(client, desk, frozen_now):
    body = visit(client, frozen_now, "2026-11-25T12:00:00+02:00")
    _, appt = desk.get(f"/appointments/{body['id']}")
    assert appt["status"] == "completed"
    stats = desk.get(f"/clients/{only_client(desk)}/stats")[1]
    assert (stats["visits"], stats["lifetime_spend_cents"]) == (1, 6900)
    assert run(frozen_now["now"])["completed"] == 0  # twice: nothing more


def test_runs_missed_for_most_of_a_day_are_caught_up(client, desk, frozen_now):
    maija = booked_ahead(client, frozen_now, "2026-11-25T12:00:00+02:00")
    kalle = booked_ahead(client, frozen_now, "2026-11-25T17:00:00+02:00", staff="mikko", service="mens-cut", **KALLE)
    ran_on_schedule_until("visits_ended", at("2026-11-25T11:00:00+02:00"))
    # No run for 22 hours (an outage, say): the next one goes through every hour since.
    summary = run_job("visits_ended", at("2026-11-26T09:00:00+02:00"))
    assert (summary["ended"], summary["completed"], summary["clients"]) == (2, 2, 2)
    assert [desk.get(f"/appointments/{b['id']}")[1]["status"] for b in (maija, kalle)] == ["completed"] * 2


def test_cancelled_and_no_show_visits_are_not_completed(client, desk, frozen_now):
    _, cancelled = book(client, "2026-11-25T12:00:00+02:00")
    post(client, f"/api/v1/bookings/{token_of(cancelled['manage_url'])}/cancel")
    _, missed = book(
        client,
        "2026-11-25T14:00:00+02:00",
        staff="mikko",
        service="mens-cut",
        name="Kalle",
        phone="040 765 4321",
        email="kalle@example.com",
    )
    frozen_now["now"] = at("2026-11-25T14:20:00+02:00")
    assert desk.post(f"/appointments/{missed['id']}/status", {"status": "no_show"})[0] == 200
    summary = run(at("2026-11-25T18:00:00+02:00"))
    assert summary["completed"] == 0
    assert desk.get(f"/appointments/{cancelled['id']}")[1]["status"] == "cancelled"
    assert desk.get(f"/appointments/{missed['id']}")[1]["status"] == "no_show"


def test_rhythm_and_the_slipping_list_by_the_return_model(client, desk, aws, frozen_now):
    # Maija comes every three weeks (Thursdays), five times.
    thursdays = ("2026-11-26", "2026-12-17", "2027-01-07", "2027-01-28", "2027-02-18")
    for day in thursdays:
        visit(client, frozen_now, f"{day}T12:00:00+02:00")
    # Kalle came once for a men's cut.
    visit(client, frozen_now, "2027-02-19T12:00:00+02:00", staff="mikko", service="mens-cut", **KALLE)

    def slipping(when):
        frozen_now["now"] = at(when)
        status, body = desk.get("/retention")
        assert status == 200
        return [(c["client"]["name"], c["status"]) for c in body["clients"]]

    # Expected back on 11 Mar (her rhythm). The demo salon's return model (its prior: no
    # fit yet; her five visits outweigh its six weeks) has her at risk from 12 Mar 07:06
    # and lapsed from 17 Mar 06:41.
    assert slipping("2027-03-11T12:00:00+02:00") == []
    assert slipping("2027-03-13T12:00:00+02:00") == [("Maija Meikäläinen", "at_risk")]
    assert slipping("2027-03-16T12:00:00+02:00") == [("Maija Meikäläinen", "at_risk")]
    # Kalle, one visit: lapsed once a men's cut's 28 days have passed (19 Mar; the salon's
    # six weeks would have had him lapse on 2 Apr). Maija has more to lose (her cut costs
    # more, and she is likelier gone): first.
    assert slipping("2027-03-19T11:00:00+02:00") == [("Maija Meikäläinen", "lapsed")]
    assert ("Kalle Kävijä", "lapsed") in slipping("2027-03-20T09:00:00+02:00")
    assert slipping("2027-04-03T12:00:00+02:00") == [("Maija Meikäläinen", "lapsed"), ("Kalle Kävijä", "lapsed")]
    _, body = desk.get("/retention?status=lapsed")
    assert body["thresholds"] == {  # told to the owner: the defaults until the first fit
        "at_risk_below": 0.8,
        "lapsed_below": 0.6,
        "regular_at_risk_below": None,
        "regular_lapsed_below": None,
        "source": "default",
        "window_days": 182.0,  # "back within 26 weeks"
    }
    maija, kalle_row = body["clients"]
    assert maija["rhythm_days"] == 21 and maija["visits"] == 5 and maija["spend_cents"] == 5 * 6900
    assert maija["last_service"]["id"] == "womens-cut" and maija["expected_visit"].startswith("2027-03-11")
    assert 0 <= maija["p_return"] < 0.5 and maija["value_at_risk_cents"] == pytest.approx(
        (1 - maija["p_return"]) * 6900, abs=4
    )
    assert maija["value_at_risk_cents"] > kalle_row["value_at_risk_cents"] > 0
    # Why, beside her status: silent longer than ever (she booked three days ahead, came
    # three weeks apart); Kalle's one visit gives no rhythm of his own: said so, with its day.
    assert maija["signals"] == [{"code": "no_contact", "params": {"days": 44, "longest_days": 18}}]
    assert [(s["code"], s["params"]["date"][:10]) for s in kalle_row["signals"]] == [("one_visit", "2027-02-19")]
    # Lapsed no sooner than he was expected (the list says both).
    assert kalle_row["expected_visit"].startswith("2027-03-19") and kalle_row["status_since"] == "2027-03-20"
    assert desk.get("/retention?status=gone")[0] == 422

    # A booking takes her off the list at once; "maintenance" takes Kalle off it.
    assert book(client, "2027-04-20T12:00:00+02:00")[0] == 201
    kalle = next(c["id"] for c in desk.get("/clients")[1]["clients"] if c["name"] == "Kalle Kävijä")
    assert desk.patch(f"/clients/{kalle}", {"relationship": "maintenance"})[0] == 200
    assert slipping("2027-04-03T13:00:00+02:00") == []


def test_the_owner_may_list_who_slipped_most_recently_first(client, desk, frozen_now):
    """The list puts the most value at stake first (issue 22): Maija, lapsed since 18 Mar,
    before Kalle, lapsed since 3 Apr. `order=recent` puts who turned at risk or lapsed
    most recently first, each with the day she did (`status_since`); a bad order is a 400."""
    for day in ("2026-11-26", "2026-12-17", "2027-01-07", "2027-01-28", "2027-02-18"):
        visit(client, frozen_now, f"{day}T12:00:00+02:00")
    # A men's cut comes back in 28 days (the demo's return interval): lapsed 28 days on.
    visit(client, frozen_now, "2027-03-05T12:00:00+02:00", staff="mikko", service="mens-cut", **KALLE)
    frozen_now["now"] = at("2027-04-03T12:00:00+02:00")

    def listed(query):
        status, body = desk.get(f"/retention{query}")
        assert status == 200, body
        return [(c["client"]["name"], c["status"], c["status_since"]) for c in body["clients"]]

    maija, kalle = ("Maija Meikäläinen", "lapsed", "2027-03-18"), ("Kalle Kävijä", "lapsed", "2027-04-03")
    assert listed("") == listed("?order=value") == [maija, kalle]
    assert listed("?order=recent") == [kalle, maija]
    assert listed("?order=recent&status=lapsed") == [kalle, maija]
    status, body = desk.get("/retention?order=newest")
    assert status == 400 and body["error"]["code"] == "bad_order" and "order" in body["error"]["fields"]


def test_a_run_stopped_by_its_budget_leaves_the_rest_for_the_next(client, desk, frozen_now):
    from chalicelib.jobs import visits_ended
    from chalicelib.store import jobs

    maija = booked_ahead(client, frozen_now, "2026-11-25T12:00:00+02:00")
    kalle = booked_ahead(client, frozen_now, "2026-11-25T17:00:00+02:00", staff="mikko", service="mens-cut", **KALLE)
    ran_on_schedule_until("visits_ended", at("2026-11-25T11:00:00+02:00"))
    first = visits_ended.run(at("2026-11-26T09:00:00+02:00"), budget_seconds=-1)  # out of time at once
    assert first["stopped_by_budget"] and first["ended"] == 0
    watermark = jobs.get_watermark(visits_ended.JOB)
    assert watermark is not None and watermark <= at("2026-11-25T12:00:00+02:00")  # not past Maija's visit
    second = visits_ended.run(at("2026-11-26T09:05:00+02:00"))
    assert (second["ended"], second["completed"]) == (2, 2)
    assert [desk.get(f"/appointments/{b['id']}")[1]["status"] for b in (maija, kalle)] == ["completed"] * 2
