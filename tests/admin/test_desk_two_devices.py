"""Two devices at one desk (a walk: the owner's phone with a visit's card open, the
reception tablet acting on the same visit): the dashboard sends the visit's `version` as
If-Match with a move, a cancellation or a mark, and an Idempotency-Key per action. What
another device changed since is refused (409 visit_changed, the visit as it is now),
never done over it; the device's own second tap after a lost answer is answered as the
first time, not refused as changed by itself."""

from __future__ import annotations

from tests.admin.helpers import Desk
from tests.conftest import drain_outbox, sent_sms


def _visit(desk: Desk, appointment_id: str) -> dict:
    status, view = desk.get(f"/appointments/{appointment_id}")
    assert status == 200, view
    return view


def test_a_move_from_a_card_opened_before_the_tablets_move_is_refused_not_done_over_it(desk, staff_desk, booked):
    appt = booked["appointment"]
    phone = _visit(desk, appt)  # the phone's card: 12:00
    assert phone["version"] == "0.booked"
    status, moved = staff_desk.post(
        f"/appointments/{appt}/reschedule", {"start": "2026-11-25T15:00"}, headers={"If-Match": phone["version"]}
    )
    assert status == 200 and moved["start"] == "2026-11-25T15:00:00+02:00", moved
    assert moved["version"] != phone["version"]
    drain_outbox()
    told = len(sent_sms())
    status, body = desk.post(
        f"/appointments/{appt}/reschedule", {"start": "2026-11-25T16:00"}, headers={"If-Match": phone["version"]}
    )
    assert status == 409 and body["error"]["code"] == "visit_changed", body
    assert body["error"]["visit"]["start"] == "2026-11-25T15:00:00+02:00"
    assert _visit(desk, appt)["start"] == "2026-11-25T15:00:00+02:00"  # the tablet's move stands
    drain_outbox()
    assert len(sent_sms()) == told  # and she is told of no second move
    # With the version the refusal gave, the move is hers to make.
    status, moved = desk.post(
        f"/appointments/{appt}/reschedule",
        {"start": "2026-11-25T16:00"},
        headers={"If-Match": body["error"]["visit"]["version"]},
    )
    assert status == 200 and moved["start"] == "2026-11-25T16:00:00+02:00", moved


def test_a_cancellation_from_a_stale_card_is_refused_when_the_client_cancelled_meanwhile(desk, staff_desk, booked):
    """The phone said "cancelled, the client is told" of a cancellation that never
    happened: the tablet had recorded hers."""
    appt = booked["appointment"]
    phone = _visit(desk, appt)
    status, _ = staff_desk.post(f"/appointments/{appt}/cancel", {"by": "client", "reason": "Flunssa"})
    assert status == 200
    status, body = desk.post(
        f"/appointments/{appt}/cancel",
        {"by": "salon", "reason": "Mikko sairas"},
        headers={"If-Match": phone["version"], "Idempotency-Key": "cancel-phone-1"},
    )
    assert status == 409 and body["error"]["code"] == "visit_changed", body
    assert body["error"]["visit"]["status"] == "cancelled"
    assert _visit(desk, appt)["status"] == "cancelled"


def test_a_mark_on_a_visit_moved_elsewhere_is_refused(desk, staff_desk, booked, frozen_now):
    from tests.history import at

    appt = booked["appointment"]
    phone = _visit(desk, appt)
    assert staff_desk.post(f"/appointments/{appt}/reschedule", {"start": "2026-11-25T13:00"})[0] == 200
    frozen_now["now"] = at("2026-11-25T12:05:00+02:00")
    status, body = desk.post(
        f"/appointments/{appt}/status", {"status": "arrived"}, headers={"If-Match": phone["version"]}
    )
    assert status == 409 and body["error"]["code"] == "visit_changed", body


def test_her_own_second_tap_after_a_lost_answer_is_answered_as_the_first(desk, booked):
    appt = booked["appointment"]
    card = _visit(desk, appt)
    headers = {"If-Match": card["version"], "Idempotency-Key": "move-1"}
    first = desk.post(f"/appointments/{appt}/reschedule", {"start": "2026-11-25T15:00"}, headers=headers)
    again = desk.post(f"/appointments/{appt}/reschedule", {"start": "2026-11-25T15:00"}, headers=headers)
    assert first[0] == again[0] == 200, (first, again)
    assert again[1]["start"] == "2026-11-25T15:00:00+02:00" and again[1]["version"] == first[1]["version"]
    # Another user's replay of her key is not her answer.
    status, body = Desk(desk.client, desk.business_id, role="staff", staff_id="aino", user="aino").post(
        f"/appointments/{appt}/reschedule", {"start": "2026-11-25T15:00"}, headers=headers
    )
    assert status == 422 and body["error"]["code"] == "idempotency_key_reused", body


def test_without_if_match_an_integration_acts_as_before(desk, booked):
    appt = booked["appointment"]
    assert desk.post(f"/appointments/{appt}/reschedule", {"start": "2026-11-25T15:00"})[0] == 200
    assert desk.post(f"/appointments/{appt}/cancel", {"by": "client"})[0] == 200
    assert desk.post(f"/appointments/{appt}/cancel", {"by": "client"})[0] == 200  # twice: harmless, as documented


def test_if_match_reads_any_and_a_list_as_http_has_them(desk, staff_desk, booked):
    """RFC 9110 13.1.1: `*` matches any version of the visit, a list matches if any of
    its versions is the visit's (an integration that holds two it has seen)."""
    appt = booked["appointment"]
    first = _visit(desk, appt)["version"]
    status, moved = desk.post(
        f"/appointments/{appt}/reschedule", {"start": "2026-11-25T15:00"}, headers={"If-Match": "*"}
    )
    assert status == 200, moved
    status, moved = staff_desk.post(
        f"/appointments/{appt}/reschedule",
        {"start": "2026-11-25T16:00"},
        headers={"If-Match": f'"{first}", "{moved["version"]}"'},
    )
    assert status == 200 and moved["start"] == "2026-11-25T16:00:00+02:00", moved
    status, body = desk.post(
        f"/appointments/{appt}/reschedule",
        {"start": "2026-11-25T17:00"},
        headers={"If-Match": f'"{first}", "9.booked"'},
    )
    assert status == 409 and body["error"]["code"] == "visit_changed", body
