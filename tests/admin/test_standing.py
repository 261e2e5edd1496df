"""Her card: status, chance of return, expected visit and early warnings with their
reasons; the owner dismisses a warning (audited) and it stays away until its evidence
changes."""

from __future__ import annotations

from datetime import timedelta

from tests.history import at, past_visits

MONTHLY = ["2026-06-01T12:00:00+03:00", "2026-07-01T12:00:00+03:00", "2026-08-03T12:00:00+03:00"]


def test_the_card_shows_her_standing_and_the_owner_dismisses_a_warning(client, desk, aws, frozen_now):
    from chalicelib.store import audit

    v = past_visits(MONTHLY, clock=frozen_now)
    past_visits(["2026-09-01T12:00:00+03:00"], status="no_show")
    frozen_now["now"] = at("2026-09-02T12:00:00+03:00")  # 30 days since her last visit
    status, card = desk.get(f"/clients/{v.client_id}")
    assert status == 200
    s = card["standing"]
    assert s["status"] == "active" and 0 < s["p_return"] <= 1 and s["expected_visit"].startswith("2026-09-0")
    assert s["window_days"] == 182  # "back within 26 weeks" on her card: the business's window
    assert [w["code"] for w in s["signals"]] == ["no_show"]
    assert s["signals"][0]["params"]["date"].startswith("2026-09-01")

    assert desk.post(f"/clients/{v.client_id}/signals/spacing_out/dismiss")[0] == 404  # she has none
    assert desk.post(f"/clients/{v.client_id}/signals/gone/dismiss")[0] == 422
    status, after = desk.post(f"/clients/{v.client_id}/signals/no_show/dismiss")
    assert status == 200 and after["signals"] == []
    assert desk.get(f"/clients/{v.client_id}")[1]["standing"]["signals"] == []
    entries = audit.month(aws.id, "2026-09", v.client_id)
    assert [(e.action, e.detail) for e in entries if e.action == "dismiss_signal"] == [
        ("dismiss_signal", {"code": "no_show"})
    ]
    # Not lost: her card lists it as dismissed, and the owner may show it again (audited).
    assert [w["code"] for w in after["dismissed"]] == ["no_show"]
    status, shown = desk.delete(f"/clients/{v.client_id}/signals/no_show/dismiss")
    assert status == 200 and [w["code"] for w in shown["signals"]] == ["no_show"] and shown["dismissed"] == []
    assert [w["code"] for w in desk.get(f"/clients/{v.client_id}")[1]["standing"]["signals"]] == ["no_show"]
    assert desk.delete(f"/clients/{v.client_id}/signals/no_show/dismiss")[0] == 200  # twice: as it is
    entries = audit.month(aws.id, "2026-09", v.client_id)
    assert [e.detail for e in entries if e.action == "restore_signal"] == [{"code": "no_show"}]
    assert desk.post(f"/clients/{v.client_id}/signals/no_show/dismiss")[0] == 200  # dismissed again

    # Another no-show is new evidence: the warning is back.
    past_visits(["2026-09-15T12:00:00+03:00"], status="no_show")
    frozen_now["now"] = at("2026-09-16T12:00:00+03:00")
    assert [w["code"] for w in desk.get(f"/clients/{v.client_id}")[1]["standing"]["signals"]] == ["no_show"]


def test_a_lapsed_client_card_says_lapsed(client, desk, frozen_now):
    v = past_visits(MONTHLY, clock=frozen_now)
    frozen_now["now"] = at("2026-08-03T12:00:00+03:00") + timedelta(days=200)
    s = desk.get(f"/clients/{v.client_id}")[1]["standing"]
    assert s["status"] == "lapsed" and s["p_return"] < 0.5


def test_the_card_shows_the_chance_her_status_is_judged_by(client, desk, frozen_now):
    # Beside "back within 26 weeks" the card shows the chance the owner's limits are set
    # against (still a client): overdue and shown active, it is at or above the at-risk
    # limit; lapsed, below the lapsed limit — never "active" beside a chance under her
    # limits with nothing to say why. (A new business: the default limits.)
    from chalicelib.domain.returns import Thresholds

    limits = Thresholds()
    v = past_visits(MONTHLY, clock=frozen_now)
    seen = []
    for days in (20, 45, 60, 90, 200):
        frozen_now["now"] = at("2026-08-03T12:00:00+03:00") + timedelta(days=days)
        s = desk.get(f"/clients/{v.client_id}")[1]["standing"]
        assert 0 <= s["p_still_client"] <= 1
        # The limits it is judged by come with it (the card says them in words).
        assert s["limits"] == {"at_risk_below": limits.at_risk_below, "lapsed_below": limits.lapsed_below}
        overdue = s["expected_visit"] < frozen_now["now"].isoformat()
        if s["status"] == "active" and overdue:
            assert s["p_still_client"] >= limits.at_risk_below
        seen.append((s["status"], s["p_still_client"]))
    assert seen[0][0] == "active" and seen[-1][0] == "lapsed"
    assert seen[-1][1] < limits.lapsed_below
    # More silence, never a better chance.
    chances = [c for _, c in seen]
    assert chances == sorted(chances, reverse=True) and chances[0] > chances[-1]


def test_a_client_lapsed_on_a_single_visit_is_told_why_on_her_card_and_in_the_list(client, desk, frozen_now):
    # Her one visit gives no rhythm of her own for the warnings to judge: her card and the
    # at-risk list say that, with the visit's day, instead of a bare "lapsed".
    v = past_visits(["2026-06-01T12:00:00+03:00"], clock=frozen_now)
    frozen_now["now"] = at("2026-06-01T12:00:00+03:00") + timedelta(days=300)
    s = desk.get(f"/clients/{v.client_id}")[1]["standing"]
    assert s["status"] == "lapsed"
    assert [(w["code"], w["params"]["date"][:10]) for w in s["signals"]] == [("one_visit", "2026-06-01")]
    [listed] = desk.get("/retention")[1]["clients"]
    assert listed["signals"] == s["signals"]
    # The owner has read it: dismissed, it stays away.
    status, after = desk.post(f"/clients/{v.client_id}/signals/one_visit/dismiss")
    assert status == 200 and after["status"] == "lapsed" and after["signals"] == []


def test_the_at_risk_list_shows_the_warnings_her_card_shows(client, desk, frozen_now):
    # The list reads her ratings and the business's due follow-ups for every client at
    # once; what it says must be what her card says.
    from chalicelib import links
    from chalicelib.services import feedback

    for start, stars in zip(MONTHLY + ["2026-09-01T12:00:00+03:00"], (5, 5, 5, 2), strict=True):
        [appt] = past_visits([start], clock=frozen_now).appointments
        feedback.submit(links.feedback_token(appt.business_id, appt.id, appt.end), {"rating": stars})
    plan = {"goal": "Pitkät hiukset", "actions": [{"text": "Soita", "due": "2026-10-01"}]}
    assert desk.post(f"/clients/{appt.client_id}/follow-ups", plan)[0] == 201
    frozen_now["now"] = at("2026-12-15T12:00:00+02:00")

    [listed] = desk.get("/retention")[1]["clients"]
    card = desk.get(f"/clients/{appt.client_id}")[1]["standing"]
    assert listed["status"] == card["status"] == "lapsed"
    assert listed["signals"] == card["signals"]
    assert {s["code"]: s["params"] for s in listed["signals"]} == {
        "falling_rating": {"now": 2, "was": 5.0},
        "followup_overdue": {"days": 75},
        "no_contact": {"days": 105, "longest_days": 30},  # 1 Jul to the booking of 3 Aug
    }


def test_two_dismissals_at_the_same_time_both_hold(client, desk, aws, frozen_now, monkeypatch):
    # Two devices (or two warnings tapped on the at-risk list): the second dismissal is
    # written while the first is between its read of the client and its write. Both
    # answer 200 and are audited; neither warning may come back on her card.
    from chalicelib.store import audit, bookings

    v = past_visits(MONTHLY, clock=frozen_now)
    past_visits(["2026-09-01T12:00:00+03:00"], status="no_show")
    frozen_now["now"] = at("2026-09-01T15:00:00+03:00")
    plan = {"goal": "Pitkät hiukset", "actions": [{"text": "Soita", "due": "2026-09-01"}]}
    assert desk.post(f"/clients/{v.client_id}/follow-ups", plan)[0] == 201
    frozen_now["now"] = at("2026-09-02T12:00:00+03:00")
    codes = [w["code"] for w in desk.get(f"/clients/{v.client_id}")[1]["standing"]["signals"]]
    assert {"no_show", "followup_overdue"} <= set(codes), codes

    real = bookings.client_history
    between: list[int | None] = []

    def history(business_id, client_id):
        if not between:
            between.append(None)  # once: the request below reads her history too
            between[0] = desk.post(f"/clients/{v.client_id}/signals/followup_overdue/dismiss")[0]
        return real(business_id, client_id)

    monkeypatch.setattr(bookings, "client_history", history)
    status, after = desk.post(f"/clients/{v.client_id}/signals/no_show/dismiss")
    monkeypatch.setattr(bookings, "client_history", real)
    assert between == [200] and status == 200

    shown = [w["code"] for w in desk.get(f"/clients/{v.client_id}")[1]["standing"]["signals"]]
    assert "followup_overdue" not in shown and "no_show" not in shown, shown
    assert [w["code"] for w in after["signals"]] == shown
    entries = audit.month(aws.id, "2026-09", v.client_id)
    assert sorted((e.detail or {})["code"] for e in entries if e.action == "dismiss_signal") == [
        "followup_overdue",
        "no_show",
    ]


def test_a_dismissal_that_keeps_meeting_another_says_reload(client, desk, aws, frozen_now, monkeypatch):
    # Every time it reads her dismissals again, another has just been written: after a
    # few rounds the owner is told to reload (409 client_changed), nothing half-written.
    from chalicelib.store import clients
    from chalicelib.store.models import ClientItem

    v = past_visits(MONTHLY, clock=frozen_now)
    past_visits(["2026-09-01T12:00:00+03:00"], status="no_show")
    frozen_now["now"] = at("2026-09-02T12:00:00+03:00")
    real = ClientItem.get
    rounds: list[str] = []

    def get(*args, **kwargs):  # each read of her (the request's, the retries') meets a new dismissal
        item = real(*args, **kwargs)
        rounds.append(str(len(rounds)))
        clients.item_key(clients.to_client(item)).update(actions=[ClientItem.signals_dismissed.set({"x": rounds[-1]})])
        return item

    monkeypatch.setattr(ClientItem, "get", get)
    status, body = desk.post(f"/clients/{v.client_id}/signals/no_show/dismiss")
    monkeypatch.setattr(ClientItem, "get", real)
    assert status == 409 and body["error"]["code"] == "client_changed"
    assert len(rounds) > clients.DISMISS_ATTEMPTS
    after = clients.get_client(aws.id, v.client_id)
    assert after is not None and after.signals_dismissed == {"x": rounds[-1]}  # the other write stands
    assert [w["code"] for w in desk.get(f"/clients/{v.client_id}")[1]["standing"]["signals"]] == ["no_show"]


def test_a_dismissal_whose_read_after_the_commit_fails_is_answered_as_made(client, desk, frozen_now, monkeypatch):
    # The dismissal is kept; her card is answered from what was written, not read again (a
    # read failing then was a 500 for a dismissal that had landed: she would tap again).
    from chalicelib.store import clients

    v = past_visits(MONTHLY, clock=frozen_now)
    past_visits(["2026-09-01T12:00:00+03:00"], status="no_show")
    frozen_now["now"] = at("2026-09-02T12:00:00+03:00")
    kept, read = clients.dismiss_signal, clients.get_client

    def then_reads_fail(*a, **kw):
        written = kept(*a, **kw)
        monkeypatch.setattr(clients, "get_client", lambda *a, **kw: (_ for _ in ()).throw(RuntimeError("throttled")))
        return written

    monkeypatch.setattr(clients, "dismiss_signal", then_reads_fail)
    status, after = desk.post(f"/clients/{v.client_id}/signals/no_show/dismiss")
    assert status == 200 and after["signals"] == []
    monkeypatch.setattr(clients, "get_client", read)  # (not undo(): the frozen clock is a patch too)
    assert desk.get(f"/clients/{v.client_id}")[1]["standing"]["signals"] == []


def test_the_list_and_her_card_give_the_room_a_text_message_to_her_has(client, desk, frozen_now):
    # A walkthrough: the sheet counted "205/206" for a client with only a phone, then the
    # API refused anything over 99 (her rebook and unsubscribe links take the rest). The
    # list and her card give her room as the API measures it; the sheet counts against it.
    v = past_visits(["2026-06-01T12:00:00+03:00"], email=None, clock=frozen_now)
    frozen_now["now"] = at("2026-06-01T12:00:00+03:00") + timedelta(days=300)
    [listed] = desk.get("/retention")[1]["clients"]
    room = listed["client"]["marketing"]["sms_room"]
    assert isinstance(room, int) and 0 < room < 206, room
    assert desk.get(f"/clients/{v.client_id}")[1]["client"]["marketing"]["sms_room"] == room
    status, body = desk.post(f"/clients/{v.client_id}/messages", {"text": "a" * (room + 1)})
    assert status == 422 and body["error"]["fields"] == {"text": f"at most {room} characters"}, body
    assert desk.post(f"/clients/{v.client_id}/messages", {"text": "a" * room})[0] == 202
    # With an email it goes by email: no SMS room to count against.
    w = past_visits(
        ["2026-06-02T12:00:00+03:00"], name="Liisa Virtanen", phone="040 765 4321", email="liisa@example.com"
    )
    assert desk.get(f"/clients/{w.client_id}")[1]["client"]["marketing"]["sms_room"] is None
