"""GDPR: export everything about a client, erase a client so that no trace of her
name, phone or email is left anywhere in the table, erase the long inactive
automatically, and keep an audit trail of who touched client data."""

from __future__ import annotations

from datetime import timedelta

from tests.api.helpers import book, booking_body, post, table_items, token_of
from tests.conftest import sent_emails, sent_sms
from tests.history import at, run_on_schedule

# Everything that identifies Maija, in every form it could be stored in.
TRACES = ("Maija", "maija", "Meik", "meik", "401234567", "ammonia", "Prefers the quiet chair", "Wants to grow her hair")


def _enrich(desk, client_id):
    assert (
        desk.patch(
            f"/clients/{client_id}",
            {"birthday": "1992-02-29", "allergies": "ammonia", "preferences": {"music": "none"}},
        )[0]
        == 200
    )
    assert desk.post(f"/clients/{client_id}/notes", {"text": "Prefers the quiet chair"})[0] == 201
    assert (
        desk.post(
            f"/clients/{client_id}/follow-ups",
            {"goal": "Wants to grow her hair", "actions": [{"text": "Trim", "due": "2027-01-10"}]},
        )[0]
        == 201
    )


def test_export_has_everything_about_the_client(desk, booked):
    _enrich(desk, booked["client"])
    status, data = desk.get(f"/clients/{booked['client']}/export")
    assert status == 200
    assert data["profile"]["name"] == "Maija Meikäläinen" and data["profile"]["birthday"] == "1992-02-29"
    assert data["profile"]["phone"] == "+358401234567" and data["profile"]["email"] == "maija@example.com"
    assert [a["appointment_id"] for a in data["appointments"]] == [booked["appointment"]]
    assert data["appointments"][0]["note"] == "Allergic to ammonia"
    kinds = sorted(m["kind"] for m in data["messages"])
    assert kinds == ["confirmation", "confirmation", "feedback_request", "reminder", "reminder"]
    assert data["notes"][0]["text"] == "Prefers the quiet chair"
    assert data["follow_ups"][0]["goal"] == "Wants to grow her hair"
    assert data["consents"][0]["granted"] is True and data["consents"][0]["source"] == "booking:web"
    assert "search" not in data["profile"] and "g2pk" not in data["appointments"][0]


def test_erase_leaves_no_trace_anywhere_in_the_table(client, desk, booked, frozen_now):
    from chalicelib.store import clients

    _enrich(desk, booked["client"])
    # Her number replied STOP (a send found it so): kept on her profile, erased with it.
    clients.mark_texts_stopped(desk.business_id, booked["client"], "+358401234567", stopped=True)
    # An upcoming visit blocks erasure: nobody could be told about a booked time.
    status, body = desk.delete(f"/clients/{booked['client']}")
    assert status == 409 and body["error"]["appointments"] == [booked["appointment"]]
    frozen_now["now"] = at("2026-11-26T10:00:00+02:00")  # the visit is over
    run_on_schedule("send_due", frozen_now["now"])  # reminders were sent (or skipped) meanwhile
    status, body = desk.delete(f"/clients/{booked['client']}")
    assert status == 200, body
    assert body["items"]["notes"] == 1 and body["items"]["followups"] == 1 and body["items"]["contact_keys"] == 2

    items = table_items()
    assert items, "the table was read"
    for item in items:
        text = str(item)
        for trace in TRACES:
            assert trace not in text, f"{trace!r} survived in {item['pk']} / {item['sk']}"
    # The counts stay, anonymous: the visit, its price and status are still there.
    appts = [i for i in items if i["sk"]["S"].startswith("APPT#")]
    assert len(appts) == 1 and appts[0]["price_cents"]["N"] == "6900"
    # The client is gone from the registry.
    assert desk.get(f"/clients/{booked['client']}")[0] == 404
    assert desk.get("/clients")[1]["clients"] == []
    # Booking again with the same phone creates a new client, not the erased one.
    frozen_now["now"] = at("2026-11-26T10:00:00+02:00")
    status, _ = book(client, "2026-11-27T12:00:00+02:00")
    assert status == 201
    listed = desk.get("/clients")[1]["clients"]
    assert len(listed) == 1 and listed[0]["id"] != booked["client"]


def test_a_booking_made_while_her_erasure_is_checked_is_not_left_on_an_erased_client(
    client, desk, booked, frozen_now, monkeypatch
):
    """An attacker's probe: six bookings with her phone raced against her erasure; the
    erasure had found nothing ahead, three bookings landed, and she was erased with them
    (a visit booked on "(erased)", its reminders never sent). A booking made after the
    check is seen by the claim: the erasure is refused with it listed, as before any."""
    from chalicelib.services.admin import gdpr

    frozen_now["now"] = at("2026-11-26T10:00:00+02:00")  # her visit is over: nothing ahead
    read = gdpr.bookings.client_history
    made: list[str] = []

    def booked_meanwhile(business_id, client_id):
        history = read(business_id, client_id)
        if not made:  # her booking commits just after the check read her visits
            status, body = book(client, "2026-11-27T12:00:00+02:00")
            assert status == 201, body
            made.append(body["id"])
        return history

    monkeypatch.setattr(gdpr.bookings, "client_history", booked_meanwhile)
    status, body = desk.delete(f"/clients/{booked['client']}")
    assert status == 409 and body["error"]["appointments"] == made, body
    monkeypatch.setattr(gdpr.bookings, "client_history", read)
    status, seen = desk.get(f"/appointments/{made[0]}")
    assert status == 200 and seen["client"]["id"] == booked["client"] and seen["client"]["name"] == "Maija Meikäläinen"


def test_no_booking_lands_on_a_client_while_she_is_being_erased(client, desk, booked, frozen_now):
    """Her erasure claimed (store/client_data.py claim_erasure), not yet finished: a
    booking with her phone does not go on her; once she is erased it makes a new client."""
    from chalicelib.domain import clients as domain
    from chalicelib.store import client_data, clients

    frozen_now["now"] = at("2026-11-26T10:00:00+02:00")
    her = clients.get_client(desk.business_id, booked["client"])
    assert isinstance(her, domain.Client) and client_data.claim_erasure(her, frozen_now["now"])
    status, body = book(client, "2026-11-27T12:00:00+02:00")
    assert status == 409 and body["error"]["code"] == "client_busy", body
    assert desk.delete(f"/clients/{booked['client']}")[0] == 200
    status, body = book(client, "2026-11-27T12:00:00+02:00")
    assert status == 201, body
    assert desk.get(f"/appointments/{body['id']}")[1]["client"]["id"] != booked["client"]


def test_two_erasures_at_once_tell_the_webhooks_once(client, desk, booked, frozen_now):
    """An attacker's probe: three DELETEs at once all erased her, each with its audit entry
    and its client.erased event. The one that finishes second adds neither."""
    import pytest

    from chalicelib.store import client_data, clients

    frozen_now["now"] = at("2026-11-26T10:00:00+02:00")
    her = clients.get_client(desk.business_id, booked["client"])  # read by both before either finished
    assert her is not None and client_data.claim_erasure(her, frozen_now["now"])
    client_data.erase(her, frozen_now["now"])
    with pytest.raises(client_data.AlreadyErased):
        client_data.erase(her, frozen_now["now"])
    events = [i for i in table_items() if "client.erased" in str(i)]
    assert len(events) == 1, events


def test_erasure_cancels_messages_that_were_still_to_be_sent(client, aws, desk, booked, frozen_now):
    from chalicelib.store import client_data

    # Cancel the upcoming visit, then erase at once: pending reminders must never go out.
    post(client, f"/api/v1/bookings/{token_of(booked['booking']['manage_url'])}/cancel")
    assert desk.delete(f"/clients/{booked['client']}")[0] == 200
    messages = client_data.messages(aws.id, booked["client"])
    reminders = [m for m in messages if m.kind == "reminder"]
    assert reminders and all(m.status == "skipped" and m.recipient == "erased" for m in reminders)
    assert run_on_schedule("send_due", at("2026-11-25T10:30:00+02:00")).sent == 0


def test_erasure_seconds_after_a_booking_takes_its_plan_too(client, aws, desk, frozen_now):
    """Booked and cancelled, then erased before the outbox stream got to the booking's
    plan (its messages, on the appointment): the plan goes with her, and no run ever
    sends what it carried."""
    from chalicelib.store import outbox

    status, booked = post(
        client, "/api/v1/businesses/demo/bookings", booking_body("2026-11-25T12:00:00+02:00")
    )  # no drain: the stream is behind
    assert status == 201, booked
    assert outbox.waiting_plan(aws.id, booked["id"]) is not None
    assert post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")[0] == 200
    told = (len(sent_emails()), len(sent_sms()))  # "cancelled", sent by the cancellation itself
    client_id = desk.get(f"/appointments/{booked['id']}")[1]["client"]["id"]
    assert desk.delete(f"/clients/{client_id}")[0] == 200
    assert outbox.waiting_plan(aws.id, booked["id"]) is None
    for item in table_items():
        for trace in TRACES:
            assert trace not in str(item), f"{trace!r} survived in {item['pk']} / {item['sk']}"
    done = run_on_schedule("send_due", at("2026-11-25T10:30:00+02:00"))
    assert done.expanded == 0 and done.sent == 0 and (len(sent_emails()), len(sent_sms())) == told


def test_inactive_clients_are_erased_by_the_daily_job(client, desk, aws, booked, frozen_now):
    from chalicelib.jobs.schedule import JOBS

    job = JOBS["erase_inactive"].run
    # Maija's last visit ends 25 Nov 2026 13:00; the demo keeps clients 3 years.
    # Kalle books too, and comes back a year later, so he stays.
    assert (
        book(client, "2026-11-26T12:00:00+02:00", name="Kalle Kävijä", phone="040 765 4321", email="kalle@example.com")[
            0
        ]
        == 201
    )
    frozen_now["now"] = at("2027-11-22T10:00:00+02:00")
    assert (
        book(client, "2027-11-24T12:00:00+02:00", name="Kalle Kävijä", phone="040 765 4321", email="kalle@example.com")[
            0
        ]
        == 201
    )

    assert job(at("2029-11-24T03:00:00+02:00"))["erased"] == 0  # a day early: nothing
    summary = job(at("2029-11-25T03:00:00+02:00"))
    assert summary["erased"] == 1, summary
    assert desk.get(f"/clients/{booked['client']}")[0] == 404
    names = [c["name"] for c in desk.get("/clients")[1]["clients"]]
    assert names == ["Kalle Kävijä"]
    # Run again (or twice at once): nothing more happens.
    assert job(at("2029-11-25T04:00:00+02:00"))["erased"] == 0
    # A year later Kalle's turn comes, after the days the job did not run are caught up.
    summary = job(at("2030-11-27T03:00:00+02:00"))
    assert summary["erased"] == 1 and desk.get("/clients")[1]["clients"] == []
    _, trail = desk.get("/audit?month=2030-11")
    assert [e["actor"] for e in trail["entries"] if e["action"] == "erase_client"] == ["system:erase_inactive"]


def test_an_erasure_run_stopped_by_its_budget_leaves_the_rest_of_its_day_for_the_next(client, desk, booked):
    from chalicelib.jobs import erase_inactive
    from chalicelib.store import jobs

    jobs.set_watermark(erase_inactive.JOB, at("2029-11-24T02:00:00+02:00"), at("2029-11-24T03:00:00+02:00"))
    kalle = {"name": "Kalle Kävijä", "phone": "040 765 4321", "email": "kalle@example.com"}
    assert book(client, "2026-11-25T15:00:00+02:00", **kalle)[0] == 201  # due the same day as Maija
    first = erase_inactive.run(at("2029-11-26T03:00:00+02:00"), budget_seconds=-1)  # out of time after one
    assert (first["erased"], first["stopped_by_budget"]) == (1, 1)
    assert len(desk.get("/clients")[1]["clients"]) == 1
    second = erase_inactive.run(at("2029-11-27T03:00:00+02:00"))  # starts again with the unfinished day
    assert (second["erased"], second["stopped_by_budget"]) == (1, 0)
    assert desk.get("/clients")[1]["clients"] == []


def test_audit_trail_records_who_read_changed_exported_and_erased(desk, staff_desk, booked, frozen_now):
    cid = booked["client"]
    steps = [
        lambda: staff_desk.get(f"/clients/{cid}"),
        lambda: staff_desk.patch(f"/clients/{cid}", {"allergies": "latex"}),
        lambda: desk.get(f"/clients/{cid}/export"),
        lambda: desk.delete(f"/clients/{cid}"),
    ]
    frozen_now["now"] = at("2026-11-26T10:00:00+02:00")  # after the visit, so she can be erased
    for step in steps:
        frozen_now["now"] += timedelta(minutes=1)
        assert step()[0] == 200
    status, trail = desk.get(f"/audit?month=2026-11&client={cid}")
    assert status == 200
    seen = [(e["role"], e["action"]) for e in reversed(trail["entries"])]
    assert seen == [
        ("staff", "read_client"),
        ("staff", "update_client"),
        ("owner", "export_client"),
        ("owner", "erase_client"),
    ]
    update = next(e for e in trail["entries"] if e["action"] == "update_client")
    assert update["detail"] == {"fields": ["allergies"]}  # field names, never the values
    assert "latex" not in str(trail)
    assert desk.get("/audit?month=2026-13")[0] == 422


def test_erasure_takes_her_off_the_waitlist_and_out_of_its_messages(client, desk, booked, frozen_now):
    """She also waits for a time on Thursday and was offered one: erased, she is off the
    list (no freed time is offered to her again), found by no search, and neither her
    entry nor the messages the waitlist sent her keep her name or contacts."""
    from tests.waitlist.helpers import join, offer_links

    status, waiting = join(client, first="2026-11-26", last="2026-11-27")  # Maija's name, phone and email
    assert status == 201, waiting
    status, liisa = book(client, "2026-11-26T13:00:00+02:00", name="Liisa Virtanen", phone="040 765 4321", email=None)
    assert status == 201, liisa
    assert post(client, f"/api/v1/bookings/{token_of(liisa['manage_url'])}/cancel")[0] == 200
    [offer] = offer_links("+358401234567")  # the freed time, texted to her
    frozen_now["now"] = at("2026-11-26T10:00:00+02:00")  # her own visit is over
    run_on_schedule("send_due", frozen_now["now"])
    assert [e["name"] for e in desk.get("/waitlist")[1]["entries"]] == ["Maija Meikäläinen"]
    status, data = desk.get(f"/clients/{booked['client']}/export")  # her export has her entry
    assert [(w["id"], w["first"], w["last"], w["status"]) for w in data["waitlist"]] == [
        (waiting["id"], "2026-11-26", "2026-11-27", "open")
    ]

    status, body = desk.delete(f"/clients/{booked['client']}")
    assert status == 200, body
    assert body["items"]["waitlist"] == 1
    assert [e for e in desk.get("/waitlist")[1]["entries"] if e["status"] == "open"] == []
    assert desk.get("/clients?q=maija")[1]["waiting"] == []
    assert desk.get("/clients?q=040 123")[1]["waiting"] == []
    assert post(client, f"/api/v1/offers/{offer}/book")[0] != 201  # the offer made before is hers no more
    for item in table_items():
        text = str(item)
        for trace in TRACES:
            assert trace not in text, f"{trace!r} survived in {item['pk']} / {item['sk']}"


def test_erasure_blanks_her_waitlist_entries_closed_before_it(client, desk, booked, frozen_now):
    """Three of her entries closed before the erasure — one she booked from an offer, one
    she left by her link, one the desk removed — are hers all the same: erased, none of
    them, their messages (joining confirmations, the offer) nor the offers list keep her
    name, phone or email."""
    from tests.waitlist.helpers import join, offer_links

    status, offered = join(client, first="2026-11-26", last="2026-11-27")
    assert status == 201, offered
    status, left = join(client, first="2026-11-30", last="2026-12-01")
    assert status == 201, left
    status, removed = join(client, first="2026-12-02", last="2026-12-03")
    assert status == 201, removed
    status, liisa = book(client, "2026-11-26T13:00:00+02:00", name="Liisa Virtanen", phone="040 765 4321", email=None)
    assert status == 201, liisa
    assert post(client, f"/api/v1/bookings/{token_of(liisa['manage_url'])}/cancel")[0] == 200
    [offer] = offer_links("+358401234567")
    assert post(client, f"/api/v1/offers/{offer}/book")[0] == 201  # booked from the offer: closed
    assert post(client, f"/api/v1/waitlist/{token_of(left['manage_url'])}/leave")[1]["status"] == "left"
    assert desk.delete(f"/waitlist/{removed['id']}")[0] in (200, 204)
    frozen_now["now"] = at("2026-11-27T10:00:00+02:00")  # her visits are over
    run_on_schedule("send_due", frozen_now["now"])
    assert [o["name"] for o in desk.get("/waitlist/offers?from=2026-11-23&to=2026-11-30")[1]["offers"]] == [
        "Maija Meikäläinen"
    ]
    status, data = desk.get(f"/clients/{booked['client']}/export")  # her export has them all
    assert sorted((w["id"], w["status"]) for w in data["waitlist"]) == sorted(
        [(offered["id"], "booked"), (left["id"], "left"), (removed["id"], "left")]
    )

    status, body = desk.delete(f"/clients/{booked['client']}")
    assert status == 200, body
    assert body["items"]["waitlist"] == 3
    status, offers = desk.get("/waitlist/offers?from=2026-11-23&to=2026-11-30")
    assert status == 200 and [o["name"] for o in offers["offers"]] == ["(erased)"]
    assert {e["name"] for e in desk.get("/waitlist")[1]["entries"]} <= {"(erased)"}
    assert desk.get("/clients?q=maija")[1]["waiting"] == []
    left_over = sorted(
        (item["pk"]["S"], item["sk"]["S"], trace) for item in table_items() for trace in TRACES if trace in str(item)
    )
    assert left_over == []


def _liisa_and_a_phone_typo_corrected(client, desk):
    """Liisa booked with her phone; the desk then put Maria on the waitlist with Liisa's
    number by mistake and corrected it to Maria's own. Returns Liisa's client id and the
    entry's id before and after the correction (a move to another contact: a new id)."""
    from tests.waitlist.helpers import entry_body

    status, booking = book(client, "2026-11-25T12:00:00+02:00", name="Liisa Owner", phone="040 555 5555", email=None)
    assert status == 201, booking
    status, added = desk.post(
        "/waitlist", entry_body(name="Maria Other", phone="040 555 5555", email="maria@example.com")
    )
    assert status == 201, added
    fixed = entry_body(name="Maria Other", phone="040 666 6666", email="maria@example.com")
    status, edited = desk.put(f"/waitlist/{added['id']}", fixed)
    assert status == 200, edited
    _, found = desk.get("/clients?q=Liisa")
    [liisa] = [c for c in found["clients"] if c["name"] == "Liisa Owner"]
    return liisa["id"], added["id"], edited["id"]


def test_an_entry_moved_off_a_mistyped_phone_is_not_in_that_phones_clients_export(client, desk):
    liisa, _, _ = _liisa_and_a_phone_typo_corrected(client, desk)
    status, data = desk.get(f"/clients/{liisa}/export")
    assert status == 200, data
    assert data["waitlist"] == []
    assert "Maria" not in str(data) and "maria@example.com" not in str(data)


def test_erasing_the_client_of_a_mistyped_phone_leaves_the_entry_moved_off_it(client, desk, aws, frozen_now):
    from chalicelib.store import waitlist

    liisa, before, after = _liisa_and_a_phone_typo_corrected(client, desk)
    frozen_now["now"] = at("2026-11-26T10:00:00+02:00")  # Liisa's visit is over
    status, body = desk.delete(f"/clients/{liisa}")
    assert status == 200, body
    assert body["items"]["waitlist"] == 0
    assert [(e["name"], e["status"]) for e in desk.get("/waitlist")[1]["entries"] if e["status"] == "open"] == [
        ("Maria Other", "open")
    ]
    for entry_id in (before, after):  # the entry as moved, and as it was before: Maria's, untouched
        e = waitlist.get_entry(aws.id, entry_id)
        assert e is not None and (e.name, e.email) == ("Maria Other", "maria@example.com")


def test_export_and_erasure_take_only_entries_whose_contacts_are_hers(client, desk, aws, booked, frozen_now):
    """A contact's list naming an entry that is not hers (written so before an edit's
    move left the old contact's list): neither her export nor her erasure takes it."""
    from chalicelib.store import keys, waitlist
    from chalicelib.store.models import WaitContactItem
    from tests.waitlist.helpers import entry_body

    status, other = desk.post(
        "/waitlist", entry_body(name="Maria Other", phone="040 666 6666", email="maria@example.com")
    )
    assert status == 201, other
    stray = waitlist.get_entry(aws.id, other["id"])
    assert stray is not None
    WaitContactItem(
        keys.biz(aws.id),
        keys.wait_contact_sk("phone", "+358401234567"),
        e={stray.id: waitlist._contact_value(stray, closed=True)},
        v=1,
    ).save()
    assert stray.id in waitlist.read_contacts(aws.id, "+358401234567", None).every()
    status, data = desk.get(f"/clients/{booked['client']}/export")
    assert status == 200 and data["waitlist"] == []
    frozen_now["now"] = at("2026-11-26T10:00:00+02:00")  # her visit is over
    status, body = desk.delete(f"/clients/{booked['client']}")
    assert status == 200 and body["items"]["waitlist"] == 0
    kept = waitlist.get_entry(aws.id, stray.id)
    assert kept is not None and (kept.name, kept.status) == ("Maria Other", "open")


def test_export_and_erasure_leave_another_persons_entry_made_with_her_phone(client, desk, aws, booked, frozen_now):
    """Her daughter joins the waitlist twice with her mother's phone but her own name
    (once with her own email, once with none); Maija waits herself too. Maija's export
    has only her own entry (none of her daughter's name, email or dates), and erasing
    Maija blanks her own entry but leaves her daughter's open, on the phone's list."""
    from chalicelib.store import waitlist
    from tests.waitlist.helpers import join

    status, own = join(client, first="2026-11-30", last="2026-12-01")  # Maija's name, phone and email
    assert status == 201, own
    status, liisa = join(
        client, first="2026-11-26", last="2026-11-27", name="Liisa Virtanen", email="liisa@example.net"
    )
    assert status == 201, liisa
    status, kid = join(client, first="2026-12-02", last="2026-12-03", name="Liisa Meikäläinen", email=None)
    assert status == 201, kid

    status, data = desk.get(f"/clients/{booked['client']}/export")
    assert status == 200, data
    assert [(w["id"], w["name"], w["first"], w["status"]) for w in data["waitlist"]] == [
        (own["id"], "Maija Meikäläinen", "2026-11-30", "open")
    ]
    assert "Liisa" not in str(data) and "liisa@example.net" not in str(data)

    frozen_now["now"] = at("2026-11-25T14:00:00+02:00")  # her visit is over
    status, body = desk.delete(f"/clients/{booked['client']}")
    assert status == 200, body
    assert body["items"]["waitlist"] == 1
    mine = waitlist.get_entry(aws.id, own["id"])
    assert mine is not None and (mine.name, mine.phone, mine.email, mine.status) == ("(erased)", None, None, "left")
    waiting = desk.get("/waitlist")[1]["entries"]
    assert sorted((e["name"], e["status"]) for e in waiting if e["status"] == "open") == [
        ("Liisa Meikäläinen", "open"),
        ("Liisa Virtanen", "open"),
    ]
    assert set(waitlist.read_contacts(aws.id, "+358401234567", None).entries()) == {liisa["id"], kid["id"]}
    assert desk.get("/clients?q=liisa")[1]["waiting"] != []  # the desk still finds her daughter waiting


def test_export_and_erasure_leave_her_daughters_entry_written_surname_first(client, desk, aws, booked, frozen_now):
    """Her daughter joins with her mother's phone as "Meikäläinen Liisa" (the family name
    first, as Finnish forms often ask): the name shares Maija's surname only, so it is
    not hers — not in her export, and left open when she is erased."""
    from chalicelib.store import waitlist
    from tests.waitlist.helpers import join

    status, kid = join(client, first="2026-12-02", last="2026-12-03", name="Meikäläinen Liisa", email=None)
    assert status == 201, kid
    status, data = desk.get(f"/clients/{booked['client']}/export")
    assert status == 200, data
    assert data["waitlist"] == [] and "Liisa" not in str(data)
    frozen_now["now"] = at("2026-11-25T14:00:00+02:00")  # her visit is over
    status, body = desk.delete(f"/clients/{booked['client']}")
    assert status == 200 and body["items"]["waitlist"] == 0, body
    kept = waitlist.get_entry(aws.id, kid["id"])
    assert kept is not None and (kept.name, kept.status) == ("Meikäläinen Liisa", "open")
