"""The owner sees suspected floods (contacts and client IPs a limit refused) and releases
their times in one action: cancelled without a message, audited (issue 18)."""

from __future__ import annotations

from tests.api.helpers import book, slots, table_items
from tests.api.test_limits import TIMES, _set
from tests.conftest import sent_emails, sent_sms


def _flood(client, aws, n=3):
    _set(aws, limits__bookings_per_contact=n - 1)
    for t in TIMES[: n - 1]:
        assert book(client, t, staff="sanna", phone="0409998877", email=None)[0] == 201
    status, body = book(client, TIMES[n - 1], staff="sanna", phone="0409998877", email=None)
    assert status == 429, body


def test_the_owner_sees_a_refused_contact_with_the_times_it_holds(client, aws, desk, staff_desk):
    _flood(client, aws)
    status, body = desk.get("/floods")
    assert status == 200, body
    [flood] = body["floods"]
    assert flood["kind"] == "phone" and flood["refused"] == 1 and flood["bookings_made"] == 2
    assert [h["start"] for h in flood["holding"]] == TIMES[:2]
    assert "0409998877" not in str(body) and "+358409998877" not in str(body)  # a hash, not the number
    assert staff_desk.get("/floods")[0] == 403


def test_release_cancels_the_flood_s_bookings_silently_and_audits_each(client, aws, desk):
    _flood(client, aws)
    [flood] = desk.get("/floods")[1]["floods"]
    emails, sms = len(sent_emails()), len(sent_sms())
    status, body = desk.post(f"/floods/{flood['id']}/release")
    assert status == 200, body
    assert len(body["released"]) == 2 and body["kept"] == []
    assert len(sent_emails()) == emails and len(sent_sms()) == sms  # nobody is told
    assert not [i for i in table_items() if "#cancelled#" in i["sk"]["S"]]
    free = slots(client, staff="sanna")["sanna"]
    assert TIMES[0] in free and TIMES[1] in free  # the times are free again
    _, audit = desk.get("/audit?month=2026-11")
    released = [e for e in audit["entries"] if e["action"] == "release_flood"]
    assert len(released) == 2
    assert desk.get("/floods")[1]["floods"] == []  # dealt with
    assert desk.post(f"/floods/{flood['id']}/release")[1]["released"] == []  # again: nothing left


def test_release_of_an_unknown_or_malformed_flood(client, aws, desk):
    assert desk.post("/floods/ip." + "0" * 32 + "/release")[0] == 404
    status, body = desk.post("/floods/nope/release")
    assert status == 422 and body["error"]["fields"] == {"id": "invalid"}
