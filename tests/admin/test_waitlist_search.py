"""The desk's client search finds people on the waitlist too: someone who phoned and was
put on the list but never visited is found by her name, phone or email as a result of
its own (the entry, not a client card); a client who also waits is found once, her
result saying what she waits for. Now: Mon 23 Nov 2026 in Helsinki."""

from __future__ import annotations

from urllib.parse import quote

from tests.admin.test_registry import three_clients
from tests.api.helpers import table_items
from tests.waitlist.helpers import entry_body, join


def search(desk, q: str) -> dict:
    status, body = desk.get(f"/clients?q={quote(q)}")
    assert status == 200, (q, body)
    return body


def waiting_names(desk, q: str) -> list[str]:
    return [e["name"] for e in search(desk, q)["waiting"]]


def test_someone_only_on_the_waitlist_is_found_by_name_phone_and_email(client, desk, monkeypatch):
    status, added = desk.post(
        "/waitlist", entry_body(name="Helmi Jonottaja", phone="040 987 6543", email="helmi@example.com")
    )
    assert status == 201, added
    from chalicelib.store.models import WaitlistEntryItem

    def no_partition_reads(*a, **kw):
        raise AssertionError("the search read the business's waitlist")

    monkeypatch.setattr(WaitlistEntryItem, "query", no_partition_reads)
    body = search(desk, "helmi")
    assert body["clients"] == []  # she is no client
    [found] = body["waiting"]
    assert found["id"] == added["id"] and found["name"] == "Helmi Jonottaja"
    assert found["service"]["id"] == "womens-cut"
    assert (found["from"], found["to"]) == ("2026-11-25", "2026-11-27")
    assert found["phone_display"] == "040 9876543"
    assert waiting_names(desk, "jonot") == ["Helmi Jonottaja"]  # the surname's start
    assert waiting_names(desk, "040 987") == ["Helmi Jonottaja"]
    assert waiting_names(desk, "+35840987") == ["Helmi Jonottaja"]
    assert waiting_names(desk, "helmi@") == ["Helmi Jonottaja"]
    assert waiting_names(desk, "elmi") == []  # from the start of a word, as for clients


def test_she_is_no_longer_found_once_she_left_the_list_or_was_renamed(client, desk):
    _, added = desk.post("/waitlist", entry_body(name="Helmi Jonottaja", phone="040 987 6543", email=None))
    renamed = entry_body(name="Helmi Virta", phone="040 987 6543", email=None)
    status, edited = desk.put(f"/waitlist/{added['id']}", renamed)
    assert status == 200 and edited["id"] == added["id"], edited
    assert waiting_names(desk, "virta") == ["Helmi Virta"]
    assert waiting_names(desk, "jonottaja") == []  # her old name's key says nothing now
    assert waiting_names(desk, "helmi") == ["Helmi Virta"]  # once, though keys of both names start so
    assert desk.delete(f"/waitlist/{added['id']}")[0] == 204
    assert waiting_names(desk, "helmi") == [] and waiting_names(desk, "040 987") == []
    assert not [i for i in table_items() if i["pk"]["S"].startswith("FINDW#") and added["id"] in i["sk"]["S"]]


def test_a_client_who_waits_is_found_once_and_her_result_says_what_she_waits_for(client, desk):
    people = three_clients(client, desk)
    status, entry = join(client, name="Maija M", phone="040 123 4567", email="maija@example.com")  # her contacts
    assert status == 201, entry
    for q in ("maija", "040 123", "maija@"):
        body = search(desk, q)
        assert body["waiting"] == [], q  # not a second result
        [maija] = [c for c in body["clients"] if c["id"] == people["Maija Meikäläinen"]]
        assert [(w["entry_id"], w["service"]["id"], w["from"], w["to"]) for w in maija["waiting"]] == [
            (entry["id"], "womens-cut", "2026-11-25", "2026-11-27")
        ]
    matti = [c for c in search(desk, "matti")["clients"]]
    assert [c["waiting"] for c in matti] == [[]]


def test_another_business_waitlist_is_not_searched(client, desk, other):
    from tests.api.helpers import post

    status, _ = post(client, "/api/v1/businesses/other-salon/waitlist", entry_body(name="Helmi Muualla"))
    assert status == 201
    assert search(desk, "helmi")["waiting"] == []


def test_entries_from_before_the_keys_are_found_after_the_migration(client, desk, aws, frozen_now):
    from chalicelib.store import waitlist
    from chalicelib.store.models import WaitSearchKeyItem

    _, added = desk.post("/waitlist", entry_body(name="Helmi Jonottaja", phone="040 987 6543", email=None))
    for item in WaitSearchKeyItem.query(f"FINDW#{aws.id}"):  # as written before they existed
        item.delete()
    assert waiting_names(desk, "helmi") == []
    today = frozen_now["now"].date()
    assert waitlist.index_search(aws.id, today) == 1
    assert [e["id"] for e in search(desk, "helmi")["waiting"]] == [added["id"]]
