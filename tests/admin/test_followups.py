"""Follow-ups: the client's goal, the actions agreed (who does what by when) and the
next step; the due list the front desk works through each morning.

The clock is frozen at Mon 23 Nov 2026 10:00 Helsinki.
"""

from __future__ import annotations

from tests.admin.helpers import Desk
from tests.api.helpers import book
from tests.history import at


def action(text, due=None, staff=None, done=False):
    return {"text": text, "due": due, "staff": staff, "done": done}


def due_list(desk, until=None):
    status, body = desk.get("/follow-ups/due" + (f"?until={until}" if until else ""))
    assert status == 200, body
    return body


def test_a_follow_up_is_due_when_its_earliest_open_action_is(desk, booked):
    cid = booked["client"]
    plan = {
        "goal": "Grow her hair long and healthy",
        "next_step": "Trim in six weeks",
        "actions": [
            action("Send care instructions", "2026-11-24", "aino", done=True),  # already done: not what is due
            action("Call about the trim", "2026-12-10", "aino"),
            action("Order the oil she asked for", "2026-11-30", "sanna"),
        ],
    }
    status, fup = desk.post(f"/clients/{cid}/follow-ups", plan)
    assert status == 201, fup
    assert fup["due"] == "2026-11-30" and fup["status"] == "open"
    assert fup["goal"] == "Grow her hair long and healthy" and fup["next_step"] == "Trim in six weeks"
    assert [(a["text"], a["due"], a["staff"], a["done"]) for a in fup["actions"]] == [
        ("Send care instructions", "2026-11-24", "aino", True),
        ("Call about the trim", "2026-12-10", "aino", False),
        ("Order the oil she asked for", "2026-11-30", "sanna", False),
    ]
    assert [f["id"] for f in due_list(desk, "2026-11-29")["follow_ups"]] == []
    listed = due_list(desk, "2026-11-30")["follow_ups"]
    assert [(f["id"], f["due"], f["client"]["name"]) for f in listed] == [
        (fup["id"], "2026-11-30", "Maija Meikäläinen")
    ]

    # The oil was ordered: the follow-up is now due when the call is.
    plan["actions"][2]["done"] = True
    status, updated = desk.put(f"/clients/{cid}/follow-ups/{fup['id']}", plan)
    assert status == 200, updated
    assert updated["id"] == fup["id"] and updated["due"] == "2026-12-10"
    assert due_list(desk, "2026-12-09")["follow_ups"] == []
    assert [f["id"] for f in due_list(desk, "2026-12-10")["follow_ups"]] == [fup["id"]]

    # Closed: gone from the due list, but still on the client's file.
    status, closed = desk.put(f"/clients/{cid}/follow-ups/{fup['id']}", {**plan, "closed": True})
    assert status == 200 and closed["status"] == "closed"
    assert due_list(desk, "2027-12-31")["follow_ups"] == []
    _, mine = desk.get(f"/clients/{cid}/follow-ups")
    assert [(f["id"], f["status"]) for f in mine["follow_ups"]] == [(fup["id"], "closed")]


def test_due_list_is_earliest_first_with_client_names_and_defaults_to_today_locally(client, desk, booked, frozen_now):
    status, body = book(
        client, "2026-11-25T12:00:00+02:00", staff="sanna", name="Matti Virtanen", phone="050 765 4321", email=None
    )
    assert status == 201
    _, cal = desk.get("/calendar?date=2026-11-25&staff=sanna")
    matti, maija = cal["staff"][0]["appointments"][0]["client"]["id"], booked["client"]
    made = {}
    for who, due in [(maija, "2026-12-05"), (matti, "2026-11-28"), (maija, "2026-11-23"), (matti, "2026-11-24")]:
        status, fup = desk.post(
            f"/clients/{who}/follow-ups", {"goal": f"due {due}", "actions": [action("Call her", due, "aino")]}
        )
        assert status == 201, fup
        made[due] = fup["id"]
    # A follow-up with nothing left to do on a date is never due.
    status, _ = desk.post(f"/clients/{matti}/follow-ups", {"goal": "Someday", "actions": [action("Think")]})
    assert status == 201

    listed = due_list(desk, "2026-12-31")
    assert [(f["due"], f["client"]["name"]) for f in listed["follow_ups"]] == [
        ("2026-11-23", "Maija Meikäläinen"),
        ("2026-11-24", "Matti Virtanen"),
        ("2026-11-28", "Matti Virtanen"),
        ("2026-12-05", "Maija Meikäläinen"),
    ]

    # Without `until`: today (Monday 23rd) and anything overdue.
    today = due_list(desk)
    assert today["until"] == "2026-11-23" and [f["id"] for f in today["follow_ups"]] == [made["2026-11-23"]]
    # 23:30 UTC on Monday is already Tuesday in Helsinki: Tuesday's follow-up is due.
    frozen_now["now"] = at("2026-11-24T01:30:00+02:00")
    today = due_list(desk)
    assert today["until"] == "2026-11-24"
    assert [f["id"] for f in today["follow_ups"]] == [made["2026-11-23"], made["2026-11-24"]]

    _, mattis = desk.get(f"/clients/{matti}/follow-ups")
    assert sorted(f["goal"] for f in mattis["follow_ups"]) == ["Someday", "due 2026-11-24", "due 2026-11-28"]

    status, body = desk.get("/follow-ups/due?until=next-week")
    assert status == 422


def test_invalid_follow_ups_are_422(desk, booked):
    cid = booked["client"]
    for body in (
        {"goal": "x", "actions": [action("Call", "2026-12-01", "nobody")]},
        {"goal": "x", "actions": [action("Call", "2026-12-32", "aino")]},
        {"goal": "x", "actions": [action("Call", 0, "aino")]},  # not 1 January 1970
        {"goal": "x", "actions": [action("Call", "9999-12-31", "aino")]},
        {"goal": "x", "actions": [action("", "2026-12-01", "aino")]},
        {"goal": "x", "owner": "me"},
    ):
        status, resp = desk.post(f"/clients/{cid}/follow-ups", body)
        assert status == 422, (body, resp)
    status, resp = desk.post(
        f"/clients/{cid}/follow-ups", {"actions": [action("Call", "2026-12-01", "aino"), action("Mail", None, "ghost")]}
    )
    assert status == 422 and "actions.1.staff" in resp["error"]["fields"]
    _, mine = desk.get(f"/clients/{cid}/follow-ups")
    assert mine["follow_ups"] == []
    assert due_list(desk, "2027-01-01")["follow_ups"] == []

    # Replacing one with an unknown staff member changes nothing either.
    status, fup = desk.post(f"/clients/{cid}/follow-ups", {"actions": [action("Call", "2026-12-01", "aino")]})
    assert status == 201
    status, _ = desk.put(f"/clients/{cid}/follow-ups/{fup['id']}", {"actions": [action("Call", "2026-12-01", "ghost")]})
    assert status == 422
    _, mine = desk.get(f"/clients/{cid}/follow-ups")
    assert mine["follow_ups"][0]["actions"][0]["staff"] == "aino"
    status, _ = desk.put(f"/clients/{cid}/follow-ups/f0000000", {"goal": "x"})
    assert status == 404


def test_an_action_to_do_cannot_be_due_in_the_past_but_today_is_fine(desk, booked, frozen_now):
    cid = booked["client"]  # the clock: Monday 23 Nov 2026 in Helsinki
    status, resp = desk.post(f"/clients/{cid}/follow-ups", {"actions": [action("Call", "2026-11-01", "aino")]})
    assert status == 422 and resp["error"]["code"] == "validation_failed", resp
    assert resp["error"]["fields"] == {"actions.0.due": "is in the past"}
    assert desk.get(f"/clients/{cid}/follow-ups")[1]["follow_ups"] == []
    # Done in the past is a record, not a plan; today is still today.
    status, fup = desk.post(
        f"/clients/{cid}/follow-ups",
        {"actions": [action("Sent the care guide", "2026-11-20", done=True), action("Call", "2026-11-23", "aino")]},
    )
    assert status == 201, fup
    # The day after, the overdue call keeps its date and can be marked done; a new action
    # given a past day is refused.
    frozen_now["now"] = at("2026-11-24T10:00:00+02:00")
    plan = {"actions": [action("Sent the care guide", "2026-11-20", done=True), action("Call", "2026-11-23", "aino")]}
    status, _ = desk.put(f"/clients/{cid}/follow-ups/{fup['id']}", plan)
    assert status == 200
    plan["actions"].append(action("Mail", "2026-11-22"))
    status, resp = desk.put(f"/clients/{cid}/follow-ups/{fup['id']}", plan)
    assert status == 422 and resp["error"]["fields"] == {"actions.2.due": "is in the past"}
    plan["actions"][1]["done"] = True
    plan["actions"][2]["due"] = "2026-11-24"
    status, updated = desk.put(f"/clients/{cid}/follow-ups/{fup['id']}", plan)
    assert status == 200 and updated["due"] == "2026-11-24"


def test_maintenance_relationship_shows_in_the_profile(desk, booked):
    cid = booked["client"]
    status, body = desk.patch(f"/clients/{cid}", {"relationship": "maintenance"})
    assert status == 200 and body["client"]["relationship"] == "maintenance"
    _, profile = desk.get(f"/clients/{cid}")
    assert profile["client"]["relationship"] == "maintenance"
    assert profile["standing"]["status"] == "maintenance"
    _, listed = desk.get("/clients?q=maija")
    assert listed["clients"][0]["relationship"] == "maintenance"
    # Undone from her card: cleared, the return model's word again.
    status, body = desk.patch(f"/clients/{cid}", {"relationship": None})
    assert status == 200 and body["client"]["relationship"] == "active"
    _, profile = desk.get(f"/clients/{cid}")
    assert profile["standing"]["status"] != "maintenance"


def test_a_stale_device_does_not_overwrite_a_follow_up_another_device_saved(desk, booked):
    """Both devices show a follow-up; the phone marks its action done; the tablet, on the
    version it showed, adds a next step: refused with 409, and the phone's 'done' stays.
    The clock does not move between the saves: each save still gets its own version."""
    cid = booked["client"]
    status, fup = desk.post(
        f"/clients/{cid}/follow-ups", {"goal": "Grow hair out", "actions": [action("Trim ends", "2026-12-10")]}
    )
    assert status == 201, fup
    path, shown = f"/clients/{cid}/follow-ups/{fup['id']}", {"If-Match": str(fup["version"])}
    status, phone = desk.put(
        path, {"goal": "Grow hair out", "actions": [action("Trim ends", "2026-12-10", done=True)]}, headers=shown
    )
    assert status == 200 and phone["version"] != fup["version"], phone
    status, tablet = desk.put(
        path,
        {"goal": "Grow hair out", "actions": [action("Trim ends", "2026-12-10")], "next_step": "Call in January"},
        headers=shown,
    )
    assert status == 409, tablet
    assert tablet["error"]["code"] == "followup_changed" and tablet["error"]["version"] == phone["version"]
    _, mine = desk.get(f"/clients/{cid}/follow-ups")
    (now,) = mine["follow_ups"]
    assert now["actions"][0]["done"] is True and now["next_step"] is None and now["version"] == phone["version"]
    # Reloaded, the tablet's save goes through; without If-Match (an API key) a save goes as before.
    reloaded = {"goal": "Grow hair out", "actions": now["actions"], "next_step": "Call in January"}
    status, again = desk.put(path, reloaded, headers={"If-Match": f'"{now["version"]}"'})
    assert status == 200 and again["next_step"] == "Call in January", again
    assert desk.put(path, {"goal": "Another goal"})[0] == 200
    assert desk.put(path, {"goal": "x"}, headers={"If-Match": "yesterday"})[1]["error"]["code"] == "bad_version"


def test_a_save_without_if_match_that_loses_a_race_is_made_again(desk, booked, monkeypatch):
    """Another save of the follow-up lands between this one's read and its write: without
    If-Match the last write wins (docs/api.md), not a 409."""
    from chalicelib.store import followups

    cid = booked["client"]
    status, fup = desk.post(f"/clients/{cid}/follow-ups", {"goal": "Grow hair out"})
    assert status == 201, fup
    save, raced = followups.save, list[bool]()

    def lost_once(f, *args):
        if not raced:
            raced.append(True)
            raise followups.FollowUpChanged()
        return save(f, *args)

    monkeypatch.setattr(followups, "save", lost_once)
    status, body = desk.put(f"/clients/{cid}/follow-ups/{fup['id']}", {"goal": "Keep the length"})
    assert status == 200 and body["goal"] == "Keep the length", body
    assert raced == [True]


def test_a_follow_up_sent_again_with_its_key_after_the_answer_was_lost_is_made_once(
    client, aws, desk, booked, frozen_now
):
    """As a note (a walk on a poor connection): the same follow-up tapped again after its
    answer was lost is the one it made; another user's replay of the key is refused; after
    her erasure the key tells nothing of it."""
    cid = booked["client"]
    body = {"next_step": "Call about the colour", "actions": [action("Call about the colour", "2026-12-01")]}
    key = {"Idempotency-Key": "followup-tap-1"}
    first = desk.post(f"/clients/{cid}/follow-ups", body, headers=key)
    again = desk.post(f"/clients/{cid}/follow-ups", body, headers=key)
    assert first[0] == again[0] == 201 and again[1] == first[1], (first, again)
    assert len(desk.get(f"/clients/{cid}/follow-ups")[1]["follow_ups"]) == 1
    staff = Desk(client, aws.id, role="staff", staff_id="aino", user="aino")
    status, refused = staff.post(f"/clients/{cid}/follow-ups", body, headers=key)
    assert status == 422 and refused["error"]["code"] == "idempotency_key_reused", refused
    frozen_now["now"] = at("2026-11-25T14:00:00+02:00")  # her visit over: she may be erased
    assert desk.delete(f"/clients/{cid}")[0] == 200
    status, gone = desk.post(f"/clients/{cid}/follow-ups", body, headers=key)
    assert status == 404 and "colour" not in str(gone), gone
