"""Freed time is never lost (issue 21, points 2 and 3), on moto: the change that frees
time writes its freed stretch as an outbox item in its own transaction; the request
offers it right after the commit, and if it dies first or the refill fails, the outbox
sweeper (jobs/send_due.py) offers it later — once, however often it runs — and the
freed minutes are counted once. Now: Mon 23 Nov 2026 10:00 in Helsinki."""

from __future__ import annotations

from datetime import date, timedelta

from tests.api.helpers import book, get, post, token_of
from tests.conftest import FROZEN_NOW
from tests.history import run_job
from tests.waitlist.helpers import join, offer_links

WED_13 = "2026-11-25T13:00:00+02:00"
WED = date(2026, 11, 25)
LIISA = {"name": "Liisa Virtanen", "phone": "040 765 4321", "email": "liisa@example.com"}
LIISA_SMS = "+358407654321"


def _freed_minutes(business_id: str) -> int:
    from chalicelib.store import waitlist

    day = waitlist.refill_days(business_id, WED, WED).get(WED)
    return day.freed_minutes if day else 0


def _booked_and_waited_for(client):
    status, booked = book(client, WED_13)
    assert status == 201, booked
    assert join(client, first="2026-11-25", last="2026-11-25", **LIISA)[0] == 201
    return booked


def _cancel(client, booked) -> None:
    assert post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")[0] == 200


def _sweep_twice(frozen_now, after: timedelta) -> None:
    from chalicelib.store import jobs

    # The sweeper ran every minute until the test began (it looks back minutes, not 48 hours).
    if jobs.get_watermark("send_due") is None:
        jobs.set_watermark("send_due", FROZEN_NOW - timedelta(minutes=1), FROZEN_NOW - timedelta(minutes=1))
    frozen_now["now"] = FROZEN_NOW + after
    run_job("send_due", frozen_now["now"])
    run_job("send_due", frozen_now["now"])


def test_a_process_that_dies_after_the_cancellation_commits_loses_no_freed_time(client, aws, frozen_now, monkeypatch):
    from chalicelib.services.waitlist import refill

    booked = _booked_and_waited_for(client)
    # The process dies between the cancellation's commit and its refill.
    real = refill.offer_freed
    monkeypatch.setattr(refill, "offer_freed", lambda *a, **kw: refill.Refill())
    _cancel(client, booked)
    assert offer_links(LIISA_SMS) == [] and _freed_minutes(aws.id) == 0
    monkeypatch.setattr(refill, "offer_freed", real)
    _sweep_twice(frozen_now, timedelta(minutes=1))  # the request's lease still holds it
    assert offer_links(LIISA_SMS) == []
    _sweep_twice(frozen_now, refill.FREED_LEASE + timedelta(minutes=1))
    assert len(offer_links(LIISA_SMS)) == 1  # offered once, by the sweeper
    assert _freed_minutes(aws.id) == 70  # the cut and its buffer, counted once (two sweeps)


def test_a_refill_that_fails_after_the_commit_is_tried_again_by_the_sweeper(client, aws, frozen_now, monkeypatch):
    from chalicelib.services.waitlist import refill
    from chalicelib.store import outbox

    booked = _booked_and_waited_for(client)
    real = refill._time_freed

    def fails_once(*a, **kw):
        monkeypatch.setattr(refill, "_time_freed", real)
        raise ConnectionError("the database went away")

    monkeypatch.setattr(refill, "_time_freed", fails_once)
    _cancel(client, booked)  # the cancellation itself stands
    assert offer_links(LIISA_SMS) == [] and _freed_minutes(aws.id) == 0
    item = outbox.get_message(aws.id, f"freed#{booked['id']}#0")
    assert item is not None and item.status == "pending" and item.last_error == "ConnectionError"
    _sweep_twice(frozen_now, timedelta(minutes=3))  # after its backoff
    assert len(offer_links(LIISA_SMS)) == 1
    assert _freed_minutes(aws.id) == 70
    done = outbox.get_message(aws.id, f"freed#{booked['id']}#0")
    assert done is not None and done.status == "sent"


def test_a_freed_time_handed_over_twice_is_offered_once(client, aws, frozen_now, monkeypatch):
    """One after the other: moto's conditional writes are not atomic across threads, so
    two sweeps at the same moment are raced on DynamoDB Local, through the same claim
    (tests/integration/test_overlapping_job_runs.py)."""
    from chalicelib.services.waitlist import refill
    from chalicelib.store import outbox

    booked = _booked_and_waited_for(client)
    real = refill.offer_freed
    monkeypatch.setattr(refill, "offer_freed", lambda *a, **kw: refill.Refill())
    _cancel(client, booked)
    monkeypatch.setattr(refill, "offer_freed", real)
    item = outbox.get_message(aws.id, f"freed#{booked['id']}#0")
    assert item is not None
    later = frozen_now["now"] = FROZEN_NOW + refill.FREED_LEASE + timedelta(seconds=1)
    assert [refill.handle(item, later), refill.handle(item, later)] == ["sent", "taken"]
    assert refill.handle(item, later + timedelta(hours=1)) == "taken"  # handed over again: done
    assert len(offer_links(LIISA_SMS)) == 1 and _freed_minutes(aws.id) == 70


def test_a_move_writes_its_old_time_with_the_change_and_offers_it(client, aws):
    from chalicelib.store import outbox

    booked = _booked_and_waited_for(client)
    status, moved = post(
        client,
        f"/api/v1/bookings/{token_of(booked['manage_url'])}/reschedule",
        {"start": "2026-11-26T13:00:00+02:00"},
    )
    assert status == 200, moved
    item = outbox.get_message(aws.id, f"freed#{booked['id']}#0")
    assert item is not None and item.status == "sent" and item.kind == "time_freed"
    assert item.context["stretches"][0][:2] == ["aino", "2026-11-25T11:00:00Z"]
    assert len(offer_links(LIISA_SMS)) == 1


def test_an_edit_of_time_off_is_whole_even_if_the_request_dies_after_it(client, aws, frozen_now, monkeypatch):
    from chalicelib.services.waitlist import refill
    from tests.admin.helpers import Desk

    desk = Desk(client, aws.id)
    status, block = desk.post("/time-off", {"staff": "aino", "start": "2026-11-25T13:00", "end": "2026-11-25T15:00"})
    assert status == 201, block
    join(client, first="2026-11-25", last="2026-11-25", **LIISA)
    real = refill.offer_freed
    monkeypatch.setattr(refill, "offer_freed", lambda *a, **kw: refill.Refill())  # dies after the commit
    shorter = {"staff": "aino", "start": "2026-11-25T14:15", "end": "2026-11-25T15:00"}
    status, edited = desk.put(f"/time-off/{block['id']}", shorter)
    assert status == 200 and edited["id"] != block["id"]
    monkeypatch.setattr(refill, "offer_freed", real)
    # One block for the owner at once; the old one's time stays blocked until it is freed.
    _, listed = desk.get("/time-off?from=2026-11-25&to=2026-11-25")
    assert [t["id"] for t in listed["time_off"]] == [edited["id"]]
    assert desk.put(f"/time-off/{block['id']}", shorter)[0] == 404
    avail = "/api/v1/businesses/demo/availability?service=womens-cut&staff=aino&from=2026-11-25&to=2026-11-25"
    assert WED_13 not in get(client, avail)[1]["staff"][0]["slots"]
    assert offer_links(LIISA_SMS) == []
    _sweep_twice(frozen_now, refill.FREED_LEASE + timedelta(minutes=1))
    assert len(offer_links(LIISA_SMS)) == 1  # 13:00-14:15 offered once, by the sweeper
    _, listed = desk.get("/time-off?from=2026-11-25&to=2026-11-25")
    assert [t["id"] for t in listed["time_off"]] == [edited["id"]]
    assert _freed_minutes(aws.id) == 75
    assert WED_13 in get(client, avail)[1]["staff"][0]["slots"]


def test_added_hours_are_written_with_the_settings_and_offered_by_the_sweeper(client, aws, frozen_now, monkeypatch):
    from chalicelib.services.waitlist import refill
    from tests.admin.helpers import Desk

    desk = Desk(client, aws.id)
    join(client, first="2026-11-25", last="2026-11-25", staff="aino", **LIISA)
    staff = desk.get("/settings")[1]["sections"]["staff"]
    next(m for m in staff if m["id"] == "aino")["hours"]["wed"] = [["09:00", "20:00"]]
    real = refill.offer_freed
    monkeypatch.setattr(refill, "offer_freed", lambda *a, **kw: refill.Refill())  # dies after the commit
    assert desk.put("/settings/staff", staff)[0] == 200
    monkeypatch.setattr(refill, "offer_freed", real)
    assert offer_links(LIISA_SMS) == []
    _sweep_twice(frozen_now, refill.FREED_LEASE + timedelta(minutes=1))
    [link] = offer_links(LIISA_SMS)
    assert get(client, f"/api/v1/offers/{link}")[1]["start"] == "2026-11-25T09:00:00+02:00"
