"""The owner uploads the same client file twice (two dry runs) and starts both: the two
runs work at the same moment (two requests, or the `imports` job and a request). A
security tester's probe found (1) each note of the file twice on the card ("Allergia:
ammoniakki" twice; the second run counted `notes: 2`): the runs read her notes before
either wrote them, and a note's key held its import's time, so each wrote its own;
(2) a client with a name alone in both files refused by one run as `contact_in_use`
("the phone number or email belongs to another client") though she has neither: the
other run had made her between this run's look and its write.

A note of an import now claims its place on her card by her id and its words
(csv_import.note_claim_for) in the transaction that writes it: whichever run comes
second finds it there and neither writes nor counts it. A client of a name alone made
meanwhile by another run is hers: the rows merge into her.

Each test runs import A directly (the job's `work`) and import B at a chosen moment
inside A's chunk, so the interleaving is the same every time."""

from __future__ import annotations

from datetime import timedelta

from tests.admin.test_imports import HEADER, clients_of, preview

ROWS = [
    "Rerun Yksi;040 777 1111;;;1.9.2026 10:00;Naisten hiustenleikkaus;69,00;Aino;Allergia: ammoniakki",
    "Rerun Kaksi;;;;1.10.2026 10:00;Naisten hiustenleikkaus;69,00;Aino;Maksaa käteisellä",
]
FILE = {"csv": "\n".join([HEADER, *ROWS]), "stamps": False}


def _two_previews(desk, frozen_now):
    """The same file uploaded twice, a minute apart, both started (neither worked on yet)."""
    from chalicelib import clock
    from chalicelib.store import imports as store

    a = preview(desk, FILE)
    frozen_now["now"] += timedelta(minutes=1)
    b = preview(desk, FILE)
    for body in (a, b):
        assert (body["dry_run"]["create"], body["dry_run"]["notes"]) == (2, 2)
        assert store.start(desk.business_id, body["id"], clock.now())
    return a["id"], b["id"]


def _work(desk, import_id: str) -> None:
    from chalicelib.services.admin import imports
    from chalicelib.store import businesses

    b = businesses.get_by_id(desk.business_id)
    assert b is not None
    imports.work(b, import_id, 5.0)


def _a_with_b_inside(desk, monkeypatch, a: str, b: str, at: str, then=None) -> None:
    """Import A worked, import B worked from start to end (then `then`) at A's first call
    of the store's `at`: the interleaving each test names."""
    from chalicelib.store import imports as store

    real = getattr(store, at)
    interleaved: list[str] = []

    def b_first(*args):
        if not interleaved:
            interleaved.append(b)
            _work(desk, b)
            if then:
                then()
        return real(*args)

    monkeypatch.setattr(store, at, b_first)
    _work(desk, a)
    assert interleaved


def _notes(desk, client_id: str) -> list[str]:
    status, body = desk.get(f"/clients/{client_id}/notes")
    assert status == 200, body
    return sorted(n["text"] for n in body["notes"])


def _cards(desk) -> dict[str, list[str]]:
    everyone = clients_of(desk)
    assert sorted(everyone) == ["Rerun Kaksi", "Rerun Yksi"]  # one client each
    return {name: _notes(desk, c["id"]) for name, c in everyone.items()}


def _done(desk, import_id: str) -> dict:
    _, body = desk.get(f"/imports/{import_id}")
    assert body["status"] == "done", body
    return body


def test_two_runs_of_one_file_at_once_put_each_note_on_her_card_once(desk, frozen_now, monkeypatch):
    """B runs from start to end while A has made the clients and read their cards but
    not written the notes yet: both found no note on the cards."""
    a, b = _two_previews(desk, frozen_now)
    _a_with_b_inside(desk, monkeypatch, a, b, "put_visits")
    assert _cards(desk) == {"Rerun Yksi": ["Allergia: ammoniakki"], "Rerun Kaksi": ["Maksaa käteisellä"]}
    first, second = _done(desk, a), _done(desk, b)
    # Each note counted once, by the run that put it on her card.
    assert first["notes"] + second["notes"] == 2
    assert (first["created"], first["rejected_total"]) == (2, 0)
    assert (second["created"], second["merged"], second["rejected_total"]) == (0, 2, 0)
    _, stats = desk.get(f"/clients/{clients_of(desk)['Rerun Yksi']['id']}/stats")
    assert stats["visits"] == 1

    # A third upload of the file, run alone afterwards, adds nothing.
    frozen_now["now"] += timedelta(hours=1)
    third = preview(desk, FILE)
    assert (third["dry_run"]["create"], third["dry_run"]["notes"], third["dry_run"]["visits"]) == (0, 0, 0)
    desk.post(f"/imports/{third['id']}/run")
    assert _done(desk, third["id"])["notes"] == 0
    assert _cards(desk) == {"Rerun Yksi": ["Allergia: ammoniakki"], "Rerun Kaksi": ["Maksaa käteisellä"]}


def test_a_client_of_a_name_alone_made_by_the_other_run_meanwhile_is_merged_not_refused(desk, frozen_now, monkeypatch):
    """B runs from start to end after A looked for a client of the name (none yet) and
    before A makes her: A's write finds her made, by B. She has no contact to be
    another client's: her rows merge into her."""
    a, b = _two_previews(desk, frozen_now)
    _a_with_b_inside(desk, monkeypatch, a, b, "create_clients")
    first, second = _done(desk, b), _done(desk, a)  # B made them, A came second
    assert (first["created"], first["contactless"], first["notes"], first["rejected_total"]) == (2, 1, 2, 0)
    assert first["visits"] == 2
    assert [r["code"] for r in second["rejected"]] == []
    assert (second["created"], second["merged"], second["notes"], second["rejected_total"]) == (0, 2, 0, 0)
    assert _cards(desk) == {"Rerun Yksi": ["Allergia: ammoniakki"], "Rerun Kaksi": ["Maksaa käteisellä"]}


def test_a_client_of_a_name_alone_made_and_erased_meanwhile_is_refused_as_erased(desk, frozen_now, monkeypatch):
    """Made by B and erased by the owner between A's look and A's write: A's rows of her
    are refused for what happened (a client of this name with no contact was erased), not
    as a contact of another client's."""
    a, b = _two_previews(desk, frozen_now)

    def erased() -> None:
        status, body = desk.delete(f"/clients/{clients_of(desk)['Rerun Kaksi']['id']}")
        assert status == 200, body

    _a_with_b_inside(desk, monkeypatch, a, b, "create_clients", then=erased)
    done = _done(desk, a)
    assert [(r["row"], r["name"], r["code"]) for r in done["rejected"]] == [(3, "Rerun Kaksi", "erased_no_contact")]
    assert "Rerun Kaksi" not in clients_of(desk)


def test_a_chunk_done_again_after_the_other_run_counts_the_notes_it_put_once(desk, frozen_now, monkeypatch):
    """A wrote its chunk (clients, visits, notes) and crashed before counting it; B ran
    to the end; A's chunk done again finds the notes it put there itself: counted once,
    by A, and none written twice."""
    from chalicelib.services.admin import imports
    from chalicelib.store import imports as store

    a, b = _two_previews(desk, frozen_now)
    real = store.record_chunk
    crashed: list[int] = []

    def crash_once(rec, n, result, now):
        if rec.id == a and not crashed:
            crashed.append(n)
            raise RuntimeError("the Lambda ran out of time")
        return real(rec, n, result, now)

    monkeypatch.setattr(store, "record_chunk", crash_once)
    _work(desk, a)
    assert crashed
    _work(desk, b)
    frozen_now["now"] += imports.LEASE  # the crashed worker's lease ran out
    _work(desk, a)
    first, second = _done(desk, a), _done(desk, b)
    assert (first["notes"], first["visits"], first["rejected_total"]) == (2, 2, 0)
    # (Her client of a name alone, made by A's first attempt, is counted merged by the second.)
    assert first["created"] + first["merged"] == 2
    assert (second["created"], second["merged"], second["notes"], second["visits"]) == (0, 2, 0, 0)
    assert _cards(desk) == {"Rerun Yksi": ["Allergia: ammoniakki"], "Rerun Kaksi": ["Maksaa käteisellä"]}


def test_her_erasure_takes_the_claims_of_her_imported_notes_too(desk):
    """A note's claim is of her id and the note's words: gone with her notes."""
    from tests.api.helpers import table_items

    body = preview(desk, FILE)
    desk.post(f"/imports/{body['id']}/run")
    yksi = clients_of(desk)["Rerun Yksi"]["id"]
    assert sum(1 for i in table_items() if i["sk"]["S"].startswith("INOTE#")) == 2
    status, erased = desk.delete(f"/clients/{yksi}")
    assert status == 200 and erased["items"]["notes"] == 1 and erased["items"]["imports"] == 1, erased
    left = [i for i in table_items() if i["sk"]["S"].startswith("INOTE#")]
    assert len(left) == 1 and yksi not in str(left)  # Rerun Kaksi's stays hers


def test_the_run_reads_the_clients_it_merges_into_consistently(desk, frozen_now, monkeypatch):
    """DynamoDB's plain read may miss a client made a moment ago by the other run (moto
    never does): the run asks for the profiles it decides by with every write before it."""
    from chalicelib.store.models import ClientItem

    a, b = _two_previews(desk, frozen_now)
    _work(desk, a)
    real = ClientItem.batch_get.__func__  # type: ignore[attr-defined]
    asked: list[bool | None] = []

    def recorded(cls, items, consistent_read=None, attributes_to_get=None):
        asked.append(consistent_read)
        return real(cls, items, consistent_read=consistent_read, attributes_to_get=attributes_to_get)

    monkeypatch.setattr(ClientItem, "batch_get", classmethod(recorded))
    _work(desk, b)
    assert _done(desk, b)["merged"] == 2
    assert asked and all(asked), asked  # her of a name alone, and the profiles merged into
