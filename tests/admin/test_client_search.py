"""The owner's client search through its search keys: found by the start of any word of
her name, of her phone number (as people say it) and of her email, without reading the
business's client partition; the keys follow a change of contacts, leave with her
erasure, and are written for clients from before by the migration."""

from __future__ import annotations

from urllib.parse import quote

from tests.admin.test_registry import book_ok, three_clients
from tests.api.helpers import table_items
from tests.history import at


def found(desk, q: str) -> list[str]:
    status, body = desk.get(f"/clients?q={quote(q)}")
    assert status == 200, (q, body)
    return sorted(c["name"] for c in body["clients"])


def search_keys(client_id: str) -> list[str]:
    return [
        i["sk"]["S"] for i in table_items() if i["pk"]["S"].startswith("FIND#") and i["sk"]["S"].endswith(client_id)
    ]


def test_found_by_the_start_of_a_name_a_number_or_an_email_without_reading_the_partition(client, desk, monkeypatch):
    three_clients(client, desk)
    from chalicelib.store.models import ClientItem

    def no_partition_reads(*a, **kw):
        raise AssertionError("the search read the client partition")

    monkeypatch.setattr(ClientItem, "query", no_partition_reads)
    assert found(desk, "mei") == ["Maija Meikäläinen"]  # the surname's start
    assert found(desk, "ma") == ["Maija Meikäläinen", "Matti Virtanen"]  # first names
    assert found(desk, "maija m") == ["Maija Meikäläinen"]
    assert found(desk, "040 123") == ["Maija Meikäläinen"]  # national digits
    assert found(desk, "+35850") == ["Matti Virtanen"]  # international
    assert found(desk, "liisa@") == ["Liisa Lahtinen"]
    assert found(desk, "ija") == []  # a prefix search: not inside a word


def test_a_hyphenated_name_is_found_from_each_of_its_parts(client, desk):
    """'Lena' finds Anna-Lena Söderström (an owner's walk found her only by 'anna-lena'),
    as typed with the hyphen or a space too; still from the start of a word only."""
    book_ok(
        client, "2026-11-25T12:00:00+02:00", name="Anna-Lena Söderström", phone="040 111 2222", email="al@example.com"
    )
    for q in ("lena", "Lena S", "anna-lena", "anna lena", "söderström"):
        assert found(desk, q) == ["Anna-Lena Söderström"], q
    assert found(desk, "ena") == []


def test_a_page_of_search_results_goes_on_with_its_cursor(client, desk):
    three_clients(client, desk)
    status, first = desk.get("/clients?q=ma&limit=1")
    assert status == 200 and len(first["clients"]) == 1 and first["next_cursor"]
    status, second = desk.get(f"/clients?q=ma&limit=1&cursor={first['next_cursor']}")
    assert status == 200 and second["next_cursor"] is None
    names = {first["clients"][0]["name"], second["clients"][0]["name"]}
    assert names == {"Maija Meikäläinen", "Matti Virtanen"}
    status, body = desk.get("/clients?q=ma&cursor=bm90LWpzb24")
    assert status == 400 and body["error"]["code"] == "invalid_cursor"


def test_a_search_too_long_names_its_limit(desk):
    # The dashboard says the limit in words of its own (i18n.js fieldText reads the number).
    status, body = desk.get("/clients?q=" + "a" * 101)
    assert status == 422 and body["error"]["fields"] == {"q": "at most 100 characters"}


def test_erasure_removes_every_search_key(client, desk, frozen_now):
    people = three_clients(client, desk)
    maija = people["Maija Meikäläinen"]
    assert len(search_keys(maija)) >= 4  # name, surname, two phone forms, email
    frozen_now["now"] = at("2026-11-26T10:00:00+02:00")  # visits over: erasure is allowed
    status, body = desk.delete(f"/clients/{maija}")
    assert status == 200, body
    assert search_keys(maija) == []
    assert found(desk, "mei") == [] and found(desk, "maija@example.com") == []


def test_clients_from_before_the_search_keys_are_found_after_the_migration(client, desk, aws):
    from chalicelib.store import search
    from chalicelib.store.models import SearchKeyItem

    people = three_clients(client, desk)
    for item in SearchKeyItem.query(f"FIND#{aws.id}"):  # as written before they existed
        item.delete()
    assert found(desk, "virtanen") == []
    assert search.index_business(aws.id) == 3
    assert found(desk, "virtanen") == ["Matti Virtanen"]
    assert search_keys(people["Matti Virtanen"])


def _written(transaction: dict) -> list[str]:
    """The sort keys a TransactWriteItems request writes."""
    return [(op.get("Key") or op["Item"])["sk"]["S"] for each in transaction["TransactItems"] for op in each.values()]


def test_a_client_is_found_as_soon_as_her_first_booking_is_made_and_her_keys_ride_beside_it(client, desk):
    from tests.faults import dynamodb_faults

    with dynamodb_faults({}) as f:
        new = {"name": "Noora Uusi-Kivelä", "phone": "045 111 2222", "email": "noora@example.com"}
        book_ok(client, "2026-11-25T12:00:00+02:00", **new)
    transactions = [_written(t) for t in f.calls["TransactWriteItems"]]
    # The booking, then its plan's expansion (which takes the plan off the appointment).
    booking, expansion = [t for t in transactions if any(sk.startswith("APPT#") for sk in t)]
    assert any(sk.startswith("CLIENT#") for sk in booking)  # she is new: created in it
    # Her search keys (name words, two phone forms, email) are not in the booking's
    # transaction: its items do not grow with her name and contacts (issue 19). Its plan
    # puts them when its sender expands it, right after.
    assert not [sk for sk in booking if sk.startswith(("n:", "p:", "e:"))]
    assert [sk for sk in expansion if sk.startswith("n:")]
    assert found(desk, "uusi-kiv") == found(desk, "045 111") == found(desk, "noora@") == ["Noora Uusi-Kivelä"]


def test_a_result_says_her_last_visit_once_it_is_known(client, desk, aws):
    """Two clients of the same name told apart at the desk: each result carries her last
    visit (in the business's time) once the return figures know it, else null."""
    from datetime import UTC, datetime

    from chalicelib.store import db, keys
    from chalicelib.store.models import ClientItem

    people = three_clients(client, desk)
    db.configure()
    item = ClientItem(keys.biz(aws.id), keys.client_sk(people["Maija Meikäläinen"]))
    item.update(actions=[ClientItem.last_visit_at.set(datetime(2026, 10, 2, 9, 30, tzinfo=UTC))])
    status, body = desk.get("/clients?q=ma")
    assert status == 200, body
    last = {c["name"]: c["last_visit_at"] for c in body["clients"]}
    assert last == {"Maija Meikäläinen": "2026-10-02T12:30:00+03:00", "Matti Virtanen": None}


def test_a_client_of_one_visit_has_her_last_visit_in_the_results_too(client, desk, frozen_now):
    """Her last visit is not her rhythm's (that needs visits to space): one visit, marked
    at the desk or completed unmarked by the after-visit job, is shown as well."""
    from tests.history import run_on_schedule

    people = three_clients(client, desk)  # each booked once, on Wed 25 Nov
    _, history = desk.get(f"/clients/{people['Maija Meikäläinen']}/history")
    frozen_now["now"] = at("2026-11-25T13:30:00+02:00")
    marked = desk.post(f"/appointments/{history['appointments'][0]['id']}/status", {"status": "completed"})
    assert marked[0] == 200, marked
    last = {c["name"]: c["last_visit_at"] for c in desk.get("/clients?q=ma")[1]["clients"]}
    assert last == {"Maija Meikäläinen": "2026-11-25T12:00:00+02:00", "Matti Virtanen": None}  # his is unmarked
    run_on_schedule("visits_ended", at("2026-11-25T16:00:00+02:00"))
    last = {c["name"]: c["last_visit_at"] for c in desk.get("/clients?q=ma")[1]["clients"]}
    assert last == {"Maija Meikäläinen": "2026-11-25T12:00:00+02:00", "Matti Virtanen": "2026-11-25T12:00:00+02:00"}


def test_her_only_visit_undone_leaves_no_last_visit_in_the_results(client, desk, frozen_now):
    """Marked completed by mistake and put back: she has had no visit, and the desk's
    results say none (not the day of a visit that did not happen)."""
    people = three_clients(client, desk)
    _, history = desk.get(f"/clients/{people['Maija Meikäläinen']}/history")
    appt = history["appointments"][0]["id"]
    frozen_now["now"] = at("2026-11-25T12:30:00+02:00")
    assert desk.post(f"/appointments/{appt}/status", {"status": "completed"})[0] == 200
    assert desk.get("/clients?q=mei")[1]["clients"][0]["last_visit_at"] == "2026-11-25T12:00:00+02:00"
    assert desk.post(f"/appointments/{appt}/status", {"status": "booked"})[0] == 200
    assert desk.get("/clients?q=mei")[1]["clients"][0]["last_visit_at"] is None
    # Her visit done after all: back again.
    frozen_now["now"] = at("2026-11-25T13:30:00+02:00")
    assert desk.post(f"/appointments/{appt}/status", {"status": "completed"})[0] == 200
    assert desk.get("/clients?q=mei")[1]["clients"][0]["last_visit_at"] == "2026-11-25T12:00:00+02:00"
