""" "Time for your next visit": a nudge to an active client with marketing consent a few
days before her rhythm expects her, naming her usual service and staff with a pre-filled
booking link; only when nothing is booked; within the marketing cap; once per visit;
per business on/off and lead time; counted in the KPIs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.admin.helpers import Desk
from tests.api.helpers import book
from tests.conftest import emails_to
from tests.history import at, business, past_visits, run_job

# Every four weeks, last on Tue 27 Oct: expected back on 24 Nov; with three days' lead
# the nudge goes on the morning of 21 Nov (the return model has her active until 26 Nov).
FOUR_WEEKLY = (
    "2026-07-07T12:00:00+03:00",
    "2026-08-04T12:00:00+03:00",
    "2026-09-01T12:00:00+03:00",
    "2026-09-29T12:00:00+03:00",
    "2026-10-27T12:00:00+02:00",
)
NUDGE_MORNING = "2026-11-21T10:05:00+02:00"


def nudging(on: bool = True, lead: int = 3, closures: tuple[str, ...] | list[str] = ()) -> None:
    from chalicelib.store.businesses import save_config
    from tests.conftest import demo_config

    cfg = demo_config()
    data = cfg.model_dump(mode="json")
    data["marketing"] |= {"next_visit_nudge": on, "nudge_lead_days": lead}
    data["closures"] = [*data["closures"], *({"date": d, "name": "Suljettu"} for d in closures)]
    save_config(type(cfg).model_validate(data))


def nudges():
    return emails_to("", "seuraavan käyntisi aika on käsillä")  # to anyone


@pytest.fixture
def maija(aws, frozen_now):
    return past_visits(FOUR_WEEKLY, clock=frozen_now)


def test_the_nudge_names_her_service_and_staff_once_and_its_booking_counts(client, aws, maija, frozen_now):
    nudging()
    assert run_job("marketing", "2026-11-20T10:05:00+02:00")["nudge_sent"] == 0  # four days before: not yet
    assert run_job("marketing", "2026-11-21T09:55:00+02:00")["nudge_sent"] == 0  # before the morning
    assert run_job("marketing", NUDGE_MORNING)["nudge_sent"] == 1
    [text] = nudges()
    assert "Naisten hiustenleikkaus" in text and "Aino Virtanen" in text
    assert "/book/demo?service=womens-cut&staff=aino" in text and "/u/" in text
    assert run_job("marketing", "2026-11-22T10:05:00+02:00")["nudge_sent"] == 0  # once per visit

    # She books four days later: a booking of the nudge, and its revenue once she comes.
    frozen_now["now"] = at("2026-11-25T09:00:00+02:00")
    assert book(client, "2026-12-01T12:00:00+02:00")[0] == 201
    run_job("kpi_sync", frozen_now["now"] + timedelta(minutes=1))
    status, kpis = Desk(client, aws.id).get("/kpis?period=2026-11")
    assert status == 200
    assert (kpis["kpis"]["nudges_sent"]["value"], kpis["kpis"]["nudge_bookings"]["value"]) == (1, 1)


def test_her_nudge_opened_again_after_booking_says_she_has_booked(client, aws, maija, frozen_now):
    """An owner's walk: Tiina booked from her nudge, opened it again and booked the same
    visit a second time, nothing said of the first. The page from her own link names her
    next visit (its time and service; changing it is her confirmation's link's)."""
    import html
    import re

    nudging()
    assert run_job("marketing", NUDGE_MORNING)["nudge_sent"] == 1
    [text] = nudges()
    [link] = re.findall(r"https?://[^/\s]+(/book/demo\?[^\s\"<>]+)", text.replace("=\n", ""))[:1]
    link = html.unescape(link)
    page = client.http.get(link).body.decode()
    assert 'id="booked-ahead"' not in page  # nothing booked yet
    assert book(client, "2026-12-01T12:00:00+02:00")[0] == 201
    page = client.http.get(link).body.decode()
    ahead = re.search(r'<p class="card" id="booked-ahead" role="status">(.*?)</p>', page, re.S)
    assert ahead, page
    words = re.sub(r"<[^>]+>", "", ahead[1])
    assert words == (
        "Maija, sinulla on jo varaus: Naisten hiustenleikkaus ti 1.12. klo\u00a012.00."
        " Voit siirtää tai perua sen vahvistusviestisi linkistä."
    ), words
    assert "/m/" not in ahead[1]  # no way to change it from a link that only fills her details in


def test_off_unless_the_business_turns_it_on_and_its_lead_time(aws, maija, frozen_now):
    assert run_job("marketing", NUDGE_MORNING)["nudge_sent"] == 0
    nudging(lead=1)
    assert run_job("marketing", NUDGE_MORNING)["nudge_sent"] == 0  # a day's lead: on 23 Nov
    assert run_job("marketing", "2026-11-23T10:05:00+02:00")["nudge_sent"] == 1


def test_no_nudge_after_a_visit_she_rated_low(aws, maija, frozen_now):
    """An owner's walk: a client who gave her last visit 2/5 (the owner was alerted) got
    "time for your next visit" five days later, the same stylist pre-selected. Hers to
    call; a good rating of it keeps the nudge."""
    from chalicelib import links
    from chalicelib.services import feedback

    nudging()
    last = maija.appointments[-1]
    token = links.feedback_token(aws.id, last.id, last.end)
    feedback.submit(token, {"rating": 2, "comment": "Odotin liian kauan."})
    summary = run_job("marketing", NUDGE_MORNING)
    assert (summary["nudge_sent"], summary["nudge_rated_low"]) == (0, 1)
    assert nudges() == []
    feedback.submit(token, {"rating": 5})  # she changed her mind (the last submission counts)
    assert run_job("marketing", "2026-11-22T10:05:00+02:00")["nudge_sent"] == 1


def test_no_consent_no_nudge(aws, frozen_now):
    past_visits(FOUR_WEEKLY, marketing=False, clock=frozen_now)
    nudging()
    assert run_job("marketing", NUDGE_MORNING)["nudge_sent"] == 0
    assert nudges() == []


def test_nothing_goes_once_she_has_booked(client, aws, maija, frozen_now):
    nudging()
    frozen_now["now"] = at("2026-11-18T09:00:00+02:00")
    assert book(client, "2026-11-26T12:00:00+02:00")[0] == 201
    summary = run_job("marketing", NUDGE_MORNING)
    assert (summary["nudge_sent"], summary["nudge_booked"]) == (0, 1)
    assert nudges() == []


def test_the_marketing_cap_holds_the_nudge(aws, maija, frozen_now):
    from chalicelib.services import marketing
    from chalicelib.store import clients

    nudging()
    b = business()
    frozen_now["now"] = at("2026-11-15T12:00:00+02:00")  # six days before: inside the 14-day cap
    c = clients.get_client(b.id, maija.client_id)
    assert c is not None
    marketing.personal(b, c, "Tervetuloa taas!", frozen_now["now"])
    summary = run_job("marketing", NUDGE_MORNING)
    assert (summary["nudge_sent"], summary["nudge_not_allowed"]) == (0, 1)
    assert nudges() == []


def test_no_nudge_goes_on_a_day_the_salon_is_closed(client, aws, maija, frozen_now):
    """A walk: "book now" on Christmas Day. On a closure the nudge waits for the next open
    morning (it goes over several days around her expected one)."""
    nudging(closures=["2026-11-21"])
    assert run_job("marketing", NUDGE_MORNING)["nudge_sent"] == 0
    assert run_job("marketing", "2026-11-22T10:05:00+02:00")["nudge_sent"] == 1
