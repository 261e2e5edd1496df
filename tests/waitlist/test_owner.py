"""The owner's waitlist (issue 21, points 1 and 5): the calendar says how many wait for
each day and service; the owner adds, edits and removes entries; she sees who was
offered which freed time and who took it. Now: Mon 23 Nov 2026 10:00 in Helsinki."""

from __future__ import annotations

import pytest

from tests.api.helpers import book, post
from tests.waitlist.helpers import entry_body, join, offer_links


@pytest.fixture
def desk(client, aws):
    from tests.admin.helpers import Desk

    return Desk(client, aws.id)


def test_the_calendar_counts_who_waits_for_each_day_and_service(client, desk):
    join(client, first="2026-11-24", last="2026-11-25")
    join(client, first="2026-11-25", last="2026-11-25", name="B", phone="040 111 1111", email=None)
    join(client, first="2026-11-25", last="2026-11-25", service="colour", name="C", phone="040 222 2222", email=None)
    status, cal = desk.get("/calendar?date=2026-11-25&view=week")
    assert status == 200, cal
    waiting = {d["date"]: d["waiting"] for d in cal["days"]}
    assert waiting["2026-11-24"] == {"womens-cut": 1}
    assert waiting["2026-11-25"] == {"colour": 1, "womens-cut": 2}
    assert waiting["2026-11-26"] == {}


def test_the_owner_adds_edits_and_removes_entries(client, desk, aws):
    status, added = desk.post("/waitlist", entry_body(name="Phoned In", phone="040 333 3333", email=None))
    assert status == 201 and added["source"] == "desk" and added["name"] == "Phoned In"
    assert (added["phone"], added["phone_display"]) == ("+358403333333", "040 3333333")  # as she reads it
    status, bad = desk.post("/waitlist", entry_body(service="nails"))
    assert status == 422 and "service" in bad["error"]["fields"]
    # Sanna has no Tuesday hours: a Tuesday-only entry for her could never be offered.
    status, bad = desk.post("/waitlist", entry_body(staff="sanna", first="2026-11-24", last="2026-11-24"))
    assert status == 422 and list(bad["error"]["fields"]) == ["from"], bad
    body = entry_body(name="Phoned In", phone="040 333 3333", email=None, first="2026-11-26", last="2026-11-28")
    status, edited = desk.put(f"/waitlist/{added['id']}", body)
    assert status == 200 and edited["id"] == added["id"] and edited["from"] == "2026-11-26"
    _, listed = desk.get("/waitlist?from=2026-11-23&to=2026-11-30")
    assert [e["id"] for e in listed["entries"]] == [added["id"]]
    assert {w["date"] for w in listed["waiting"]} == {"2026-11-26", "2026-11-27", "2026-11-28"}
    assert desk.delete(f"/waitlist/{added['id']}")[0] == 204
    _, listed = desk.get("/waitlist")
    assert listed["entries"] == [] and listed["waiting"] == []
    assert desk.delete("/waitlist/nosuchentry")[0] == 404


def test_an_edit_to_another_contact_and_service_is_all_or_nothing(client, desk, aws, monkeypatch):
    from chalicelib.store import waitlist

    _, added = desk.post("/waitlist", entry_body(name="Phoned In", phone="040 333 3333", email=None))
    moved = entry_body(service="colour", name="Phoned In", phone="040 444 4444", email=None)
    real = waitlist.save_entry

    def dies(*a, **kw):  # the process dies before the new entry's write
        raise ConnectionError("gone")

    monkeypatch.setattr(waitlist, "save_entry", dies)
    assert desk.put(f"/waitlist/{added['id']}", moved)[0] == 500
    _, listed = desk.get("/waitlist?from=2026-11-23&to=2026-11-30")
    assert [(e["id"], e["status"]) for e in listed["entries"]] == [(added["id"], "open")]  # still waiting
    assert len(waitlist.read_contacts(aws.id, "+358403333333", None).entries()) == 1
    monkeypatch.setattr(waitlist, "save_entry", real)
    status, edited = desk.put(f"/waitlist/{added['id']}", moved)
    assert status == 200 and edited["id"] != added["id"] and edited["service"]["id"] == "colour"
    _, listed = desk.get("/waitlist?from=2026-11-23&to=2026-11-30")
    assert [e["id"] for e in listed["entries"]] == [edited["id"]]
    old = waitlist.get_entry(aws.id, added["id"])
    assert old is not None and old.status == "left"
    assert {w["service"] for w in listed["waiting"]} == {"colour"}
    assert waitlist.read_contacts(aws.id, "+358403333333", None).entries() == {}
    assert waitlist.read_contacts(aws.id, "+358403333333", None).every() == {}  # moved off it: gone, not kept
    assert list(waitlist.read_contacts(aws.id, "+358404444444", None).entries()) == [edited["id"]]


def test_the_owner_sees_who_was_offered_what_and_who_took_it(client, desk):
    _, booked = book(client, "2026-11-25T13:00:00+02:00")
    join(client, first="2026-11-25", last="2026-11-25", name="Liisa", phone="040 765 4321", email=None)
    join(client, first="2026-11-25", last="2026-11-25", name="Other", phone="040 888 8888", email=None)
    # The owner cancels at the desk: the freed time goes to the waitlist as any cancellation's.
    assert desk.post(f"/appointments/{booked['id']}/cancel", {"notify": False})[0] == 200
    [link] = offer_links("+358408888888")
    assert post(client, f"/api/v1/offers/{link}/book")[0] == 201
    _, offers = desk.get("/waitlist/offers?from=2026-11-25&to=2026-11-25")
    assert sorted((o["name"], o["status"]) for o in offers["offers"]) == [("Liisa", "open"), ("Other", "taken")]
    taken = next(o for o in offers["offers"] if o["status"] == "taken")
    assert taken["appointment_id"] and taken["start"] == "2026-11-25T13:00:00+02:00"


def test_the_waitlists_figures_freed_and_refilled_minutes_rate_revenue_and_time_to_refill(client, desk, frozen_now):
    from datetime import timedelta

    from tests.conftest import FROZEN_NOW

    _, first = book(client, "2026-11-25T13:00:00+02:00")
    _, second = book(client, "2026-11-26T13:00:00+02:00", name="Two", phone="040 121 2121", email=None)
    join(client, first="2026-11-25", last="2026-11-25", name="Liisa", phone="040 765 4321", email=None)
    for booked in (first, second):  # 2 x 70 minutes freed (the cut and its buffer)
        assert desk.post(f"/appointments/{booked['id']}/cancel", {"notify": False})[0] == 200
    [link] = offer_links("+358407654321")
    frozen_now["now"] = FROZEN_NOW + timedelta(minutes=12)
    assert post(client, f"/api/v1/offers/{link}/book")[0] == 201
    status, figures = desk.get("/waitlist/kpis?from=2026-11-25&to=2026-11-30")
    assert status == 200, figures
    assert figures["freed_minutes"] == 140 and figures["refilled_minutes"] == 60
    assert figures["refill_rate"] == round(60 / 140, 4) and figures["refills"] == 1
    assert figures["revenue_recovered_cents"] == 6900
    assert figures["median_seconds_to_refill"] == 12 * 60
    assert desk.get("/waitlist/kpis")[1]["freed_minutes"] == 0  # the last 30 days up to today: none freed yet
