"""Time off: a staff member's or the whole salon's blocks, once or weekly. They are
written on the day sheets, so online availability and every booking see them at once;
the answer lists the bookings a block covers, each with a proposed new time.

The clock is frozen at Mon 23 Nov 2026 10:00 Helsinki; Maija (the `booked` fixture)
sees Aino on Wed 25 Nov 12:00-13:00.
"""

from __future__ import annotations

from tests.api.helpers import booking_body, slots, table_items


def time_off_refs():
    """Every time-off entry on any day sheet: (sheet sk, ref)."""
    return sorted(
        (i["sk"]["S"], ref)
        for i in table_items()
        if i["pk"]["S"].startswith("SHEET#")
        for ref in (i.get("taken", {}).get("M") or {})
        if ref.startswith("o")
    )


def blocks_in_table():
    return [i for i in table_items() if i["sk"]["S"].startswith("TOFF#")]


def test_time_off_closes_online_slots_at_once_and_delete_opens_them_again(client, desk):
    assert "2026-11-25T14:00:00+02:00" in slots(client, day="2026-11-25", staff="aino")["aino"]
    status, body = desk.post(
        "/time-off", {"staff": "aino", "start": "2026-11-25T14:00", "end": "2026-11-25T16:00", "reason": "Dentist"}
    )
    assert status == 201, body
    assert body == {
        "id": body["id"],
        "staff": "aino",
        "whole_salon": False,
        "start": "2026-11-25T14:00:00+02:00",
        "end": "2026-11-25T16:00:00+02:00",
        "reason": "Dentist",
        "repeat": None,
        "covered": [],
    }
    free = slots(client, day="2026-11-25", staff="aino")["aino"]
    # 14:00-16:00 is gone, and so is 13:00 (its hour would run into the block).
    assert not {"2026-11-25T13:00:00+02:00", "2026-11-25T14:00:00+02:00", "2026-11-25T15:45:00+02:00"} & set(free)
    assert "2026-11-25T12:45:00+02:00" in free and "2026-11-25T16:00:00+02:00" in free
    # Sanna is not affected.
    assert "2026-11-25T14:00:00+02:00" in slots(client, day="2026-11-25", staff="sanna")["sanna"]
    # Nor can the desk book over it.
    status, err = desk.post("/bookings", booking_body("2026-11-25T14:30:00+02:00", email=None))
    assert status == 409 and err["error"]["code"] == "slot_taken", err

    # The calendar shows the block on Aino's row only; the list has it.
    _, cal = desk.get("/calendar?date=2026-11-25")
    rows = {s["id"]: s["time_off"] for s in cal["staff"]}
    assert rows["aino"] == [
        {
            "id": body["id"],
            "start": "2026-11-25T14:00:00+02:00",
            "end": "2026-11-25T16:00:00+02:00",
            "reason": "Dentist",
            "whole_salon": False,
        }
    ]
    assert rows["sanna"] == [] and rows["mikko"] == []
    token = cal["token"]
    _, listed = desk.get("/time-off?from=2026-11-23&to=2026-11-29")
    assert [(t["id"], t["occurrences"]) for t in listed["time_off"]] == [
        (body["id"], [{"start": "2026-11-25T14:00:00+02:00", "end": "2026-11-25T16:00:00+02:00"}])
    ]
    _, other_week = desk.get("/time-off?from=2026-11-30&to=2026-12-06")
    assert other_week["time_off"] == []

    status, gone = desk.delete(f"/time-off/{body['id']}")
    assert status == 204, gone
    assert "2026-11-25T14:00:00+02:00" in slots(client, day="2026-11-25", staff="aino")["aino"]
    _, changed = desk.get(f"/calendar/changes?since={token}")
    assert changed["changed"] is True
    _, cal = desk.get("/calendar?date=2026-11-25")
    assert all(s["time_off"] == [] for s in cal["staff"])
    assert time_off_refs() == [] and blocks_in_table() == []
    assert desk.delete(f"/time-off/{body['id']}")[0] == 404


def test_the_answer_lists_the_bookings_covered_with_a_free_time_for_each(client, desk, booked):
    # Maija 12:00 with Aino; another client 15:00 with Aino.
    status, anna = desk.post(
        "/bookings", booking_body("2026-11-25T15:00:00+02:00", name="Anna Aalto", phone="040 111 1111", email=None)
    )
    assert status == 201, anna
    status, body = desk.post(
        "/time-off", {"staff": "aino", "start": "2026-11-25T11:00:00+02:00", "end": "2026-11-25T20:00:00+02:00"}
    )
    assert status == 201, body
    covered = {c["id"]: c for c in body["covered"]}
    assert set(covered) == {booked["appointment"], anna["id"]}
    maija = covered[booked["appointment"]]
    assert maija["client"]["name"] == "Maija Meikäläinen" and maija["start"] == "2026-11-25T12:00:00+02:00"
    # Aino is off the rest of Wednesday: her first free start is Thursday 11:00; the next
    # proposal avoids that whole visit and its clean-up (11:00-12:10), not just its start:
    # 11:15 would overlap it, and the second move would find its time taken.
    assert maija["proposal"] == {"start": "2026-11-26T11:00:00+02:00", "staff": "aino"}
    assert covered[anna["id"]]["proposal"] == {"start": "2026-11-26T12:15:00+02:00", "staff": "aino"}
    # The bookings stay where they were: the desk decides.
    _, appt = desk.get(f"/appointments/{booked['appointment']}")
    assert appt["status"] == "booked"
    # Accepting both proposals, one after the other, moves both.
    for c in covered.values():
        status, moved = desk.post(f"/appointments/{c['id']}/reschedule", {"start": c["proposal"]["start"]})
        assert status == 200, moved


def test_a_booking_whose_clean_up_alone_meets_the_time_off_is_not_listed(client, desk, booked):
    """A staff member's walk: time off from 13:00 listed Maija's 12:00-13:00 cut (its 10
    minutes of clean-up after it run to 13:10), offering to cancel or move a visit she is
    gone from. Her visit is listed only once the block begins before she leaves."""
    status, body = desk.post(
        "/time-off", {"staff": "aino", "start": "2026-11-25T13:00:00+02:00", "end": "2026-11-25T14:00:00+02:00"}
    )
    assert status == 201 and body["covered"] == [], body
    status, body = desk.post(
        "/time-off", {"staff": "aino", "start": "2026-11-25T11:00:00+02:00", "end": "2026-11-25T12:05:00+02:00"}
    )
    assert status == 201 and [c["id"] for c in body["covered"]] == [booked["appointment"]], body


def test_the_same_time_off_twice_is_refused_naming_the_one_there(desk, staff_desk):
    """Aino's dentist entered by the owner, then again by Aino: the second is a 409 that
    names the first (its time and reason), and only one block is written. Another staff
    member's block, the whole salon's and a block that only touches hers are fine."""
    dentist = {"staff": "aino", "start": "2026-11-25T13:15", "end": "2026-11-25T17:00", "reason": "Hammaslääkäri"}
    status, first = desk.post("/time-off", dentist)
    assert status == 201, first
    refs = time_off_refs()
    for attempt in (dentist, dentist | {"start": "2026-11-25T16:00", "end": "2026-11-25T18:00", "reason": ""}):
        status, err = staff_desk.post("/time-off", attempt)
        assert status == 409, err
        assert err["error"]["code"] == "time_off_overlaps" and "start" in err["error"]["fields"], err
        assert err["error"]["overlaps"] == {
            "id": first["id"],
            "staff": "aino",
            "whole_salon": False,
            "start": "2026-11-25T13:15:00+02:00",
            "end": "2026-11-25T17:00:00+02:00",
            "reason": "Hammaslääkäri",
        }
    # A weekly block: its second Tuesday is taken as much as its first.
    weekly = {
        "staff": "aino",
        "start": "2026-11-24T08:00",
        "end": "2026-11-24T09:00",
        "repeat": {"weekly_until": "2026-12-31"},
    }
    status, tuesdays = desk.post("/time-off", weekly)
    assert status == 201, tuesdays
    status, err = staff_desk.post(
        "/time-off", {"staff": "aino", "start": "2026-12-01T08:30", "end": "2026-12-01T10:00"}
    )
    assert status == 409 and err["error"]["overlaps"]["start"] == "2026-12-01T08:00:00+02:00", err
    assert len(blocks_in_table()) == 2 and set(refs) <= set(time_off_refs())
    for fine in (
        {"staff": "aino", "start": "2026-11-25T17:00", "end": "2026-11-25T18:00"},  # right after
        {"staff": "sanna", "start": "2026-11-25T13:15", "end": "2026-11-25T17:00"},
        {"start": "2026-11-25T12:00", "end": "2026-11-25T14:00", "reason": "Koulutus"},
    ):
        status, body = desk.post("/time-off", fine)
        assert status == 201, (fine, body)
    # An edit may move a block over its own time, not onto another's.
    status, moved = desk.put(f"/time-off/{first['id']}", dentist | {"end": "2026-11-25T16:00"})
    assert status == 200, moved
    status, err = desk.put(f"/time-off/{moved['id']}", dentist | {"end": "2026-11-25T17:30"})
    assert status == 409 and err["error"]["overlaps"]["start"] == "2026-11-25T17:00:00+02:00", err


def test_whole_salon_time_off_is_on_every_staff_members_sheets(client, desk, booked):
    status, body = desk.post(
        "/time-off", {"start": "2026-11-25T00:00", "end": "2026-11-26T00:00", "reason": "Koulutuspäivä"}
    )
    assert status == 201, body
    assert body["staff"] is None and body["whole_salon"] is True
    assert slots(client, day="2026-11-25", service="blowdry") == {"aino": [], "mikko": [], "sanna": []}
    _, cal = desk.get("/calendar?date=2026-11-25")
    assert all([t["whole_salon"] for t in s["time_off"]] == [True] for s in cal["staff"])
    [covered] = body["covered"]
    # Aino's first free start after it; Thursday is hers from 11:00.
    assert covered["proposal"] == {"start": "2026-11-26T11:00:00+02:00", "staff": "aino"}


def test_weekly_time_off_keeps_its_wall_clock_time_across_dst_and_goes_in_chunks(client, desk):
    # Lunch for everyone every Monday 12:00-13:00 for a year: 52 weeks x 3 staff = 156
    # sheets, more than one transaction holds.
    status, body = desk.post(
        "/time-off",
        {
            "start": "2026-11-30T12:00",
            "end": "2026-11-30T13:00",
            "reason": "Lunch",
            "repeat": {"weekly_until": "2027-11-22"},
        },
    )
    assert status == 201, body
    assert body["repeat"] == {"weekly_until": "2027-11-22"}
    assert len(time_off_refs()) == 156
    _, listed = desk.get("/time-off?from=2027-03-22&to=2027-04-04")  # summer time from 28 March
    [block] = listed["time_off"]
    assert block["occurrences"] == [
        {"start": "2027-03-22T12:00:00+02:00", "end": "2027-03-22T13:00:00+02:00"},
        {"start": "2027-03-29T12:00:00+03:00", "end": "2027-03-29T13:00:00+03:00"},
    ]
    assert "2027-02-01T12:00:00+02:00" not in slots(client, day="2027-02-01", staff="sanna")["sanna"]
    status, _ = desk.delete(f"/time-off/{body['id']}")
    assert status == 204
    assert time_off_refs() == [] and blocks_in_table() == []


def test_a_block_that_cannot_be_written_whole_leaves_nothing(client, desk, monkeypatch):
    from chalicelib.store import timeoff
    from chalicelib.store.tx import Tx, TxFailed

    commits = {"n": 0}

    class FailingSecond(Tx):
        def commit(self):
            commits["n"] += 1
            if commits["n"] == 2:  # the second chunk: something else went wrong
                raise TxFailed({"sheet"}, False, cause=None)  # type: ignore[arg-type]  # no DynamoDB error behind it
            super().commit()

    monkeypatch.setattr(timeoff, "Tx", FailingSecond)
    monkeypatch.setattr(timeoff, "ATTEMPTS", 1)
    status, body = desk.post(
        "/time-off", {"start": "2026-11-30T12:00", "end": "2026-11-30T13:00", "repeat": {"weekly_until": "2027-11-22"}}
    )
    assert status == 409 and body["error"]["code"] == "calendar_busy", body
    assert commits["n"] >= 3  # the first chunk was written, then taken back
    assert time_off_refs() == [] and blocks_in_table() == []
    assert "2026-11-30T12:00:00+02:00" in slots(client, day="2026-11-30", staff="aino")["aino"]


def test_bad_time_off_is_refused_with_the_fields_to_fix(desk):
    ok: dict = {"staff": "aino", "start": "2026-11-25T14:00", "end": "2026-11-25T16:00"}
    bad: list[tuple[dict, str]] = [
        ({"staff": "nobody"}, "staff"),
        ({"end": "2026-11-25T13:00"}, "end"),
        ({"start": "2026-11-20T10:00", "end": "2026-11-20T12:00"}, "end"),  # in the past
        ({"start": "2028-01-01T10:00", "end": "2028-01-01T12:00"}, "start"),
        ({"end": "2027-01-25T16:00"}, "end"),  # over 31 days
        ({"start": "tomorrow"}, "start"),
        ({"start": 1400}, "start"),
        ({"start": "2027-03-28T03:30", "end": "2027-03-28T05:00"}, "start"),  # skipped by the clocks
        ({"repeat": {"weekly_until": "2026-11-01"}}, "repeat.weekly_until"),
        ({"repeat": {"weekly_until": "2029-01-01"}}, "repeat.weekly_until"),
        ({"repeat": {"weekly_until": "soon"}}, "repeat.weekly_until"),
        ({"repeat": {"daily": True}}, "repeat.daily"),
        ({"end": "2026-12-03T16:00", "repeat": {"weekly_until": "2026-12-31"}}, "end"),  # overlaps itself
        ({"reason": "x" * 201}, "reason"),
        ({"colour": "red"}, "colour"),
    ]
    for change, field in bad:
        status, body = desk.post("/time-off", ok | change)
        assert status == 422, (change, body)
        assert field in body["error"]["fields"], (change, body)
    status, body = desk.post("/time-off", [ok])
    assert status == 400
    for query, field in [
        ("from=2026-13-01", "from"),
        ("from=2026-11-25&to=2026-11-24", "to"),
        ("from=2026-01-01&to=2027-12-31", "to"),
    ]:
        status, body = desk.get(f"/time-off?{query}")
        assert status == 422 and field in body["error"]["fields"], (query, body)
    assert desk.delete("/time-off/NOT-AN-ID")[0] == 404
    assert blocks_in_table() == []
