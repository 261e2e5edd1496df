"""CSV import of clients and their past visits: POST /imports (dry run), POST
/imports/{id}/run (first chunks in the request, the rest by the `imports` job), GET
/imports/{id}; merges, visits that count, no messages, repeatable chunks, bad input."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from tests.conftest import sent_emails, sent_sms

HEADER = "Nimi;Puhelin;Sähköposti;Syntymäpäivä;Käyntipäivä;Palvelu;Hinta;Työntekijä;Lisätiedot"
ROWS = [
    "Liisa Laine;040 111 1111;liisa@example.com;14.3.1985;1.9.2026 10:00;Naisten hiustenleikkaus;69,00;Aino;Pitkät hiukset",
    "Liisa Laine;040 111 1111;;;1.10.2026 10:00;Naisten hiustenleikkaus;69,00;Aino;",
    "Liisa Laine;040 111 1111;;;5.11.2026;Permanentti;120;Kalle;",
    "Maija M;;maija@example.com;2.2.1990;15.10.2026;Miesten hiustenleikkaus;;;",
    "Pekka Puro;0402222222;;;;;;;",
    "Virhe;12;;;;;;;",
    ";0403333333;;;;;;;",
    "Tuleva;0404444444;;;1.12.2026;;;;",
    "Vanha;0405555555;;;1.1.2020;;;;",
]
FILE = "\n".join([HEADER, *ROWS]) + "\n"


def cp1252(text: str = FILE) -> dict:
    return {"csv_base64": base64.b64encode(text.encode("cp1252")).decode()}


def preview(desk, body, **kw):
    status, answer = desk.post("/imports", body, **kw)
    assert status == 201, answer
    return answer


def clients_of(desk):
    status, body = desk.get("/clients?limit=100")
    assert status == 200
    return {c["name"]: c for c in body["clients"]}


def test_the_dry_run_counts_and_changes_nothing(desk, booked):
    before = clients_of(desk)
    body = preview(desk, {**cp1252(), "stamps": True}, headers={"Accept-Language": "sv-FI"})
    assert body["status"] == "previewed" and body["encoding"] == "cp1252" and body["delimiter"] == ";"
    assert body["columns"] == HEADER.split(";")
    assert body["mapping"] == {
        "Nimi": "name",
        "Puhelin": "phone",
        "Sähköposti": "email",
        "Syntymäpäivä": "birthday",
        "Käyntipäivä": "visit_date",
        "Palvelu": "service",
        "Hinta": "price",
        "Työntekijä": "staff",
        "Lisätiedot": "notes",
    }
    dry = body["dry_run"]
    # Liisa (3 rows), Pekka and Tuleva are new; Liisa's 2nd and 3rd rows and Maija (an existing client) merge.
    assert (dry["create"], dry["merge"], dry["visits"]) == (3, 3, 4)
    assert [(r["row"], r["code"]) for r in dry["rejected"]] == [
        (7, "bad_phone"),
        (8, "no_name"),
        (10, "inactive_too_long"),
    ]
    assert dry["rejected"][0]["reason"] == "Telefonnumret är ogiltigt: 12"  # the owner's language
    # Tuleva's visit is booked ahead: she goes in, the visit is listed to book at the desk.
    assert dry["future_visits"] == [
        {"row": 9, "name": "Tuleva", "date": "2026-12-01", "time": None, "service": None, "staff": None}
    ]
    assert dry["future_visits_total"] == 1
    assert body["total_rows"] == 9 and body["done_rows"] == 3
    assert clients_of(desk) == before


def test_run_imports_clients_visits_and_merges_like_the_dry_run(desk, booked):
    emails, sms = len(sent_emails()), len(sent_sms())
    body = preview(desk, {**cp1252(), "stamps": True})
    status, run = desk.post(f"/imports/{body['id']}/run")
    assert status == 202, run
    assert run["status"] == "done"  # a small file is done within the request
    status, done = desk.get(f"/imports/{body['id']}")
    assert status == 200
    assert (done["created"], done["merged"], done["visits"]) == (3, 3, 4)
    assert done["done_rows"] == done["total_rows"] == 9
    assert [r["row"] for r in done["rejected"]] == [7, 8, 10] and done["rejected_total"] == 3
    assert [v["row"] for v in done["dry_run"]["future_visits"]] == [9]  # the result still lists it

    everyone = clients_of(desk)
    assert set(everyone) == {"Maija Meikäläinen", "Liisa Laine", "Pekka Puro", "Tuleva"}
    _, liisa = desk.get(f"/clients/{everyone['Liisa Laine']['id']}")
    c = liisa["client"]
    assert c["phone"] == "+358401111111" and c["email"] == "liisa@example.com" and c["birthday"] == "1985-03-14"
    _, stats = desk.get(f"/clients/{c['id']}/stats")
    assert stats["visits"] == 3 and stats["lifetime_spend_cents"] == 6900 + 6900 + 12000
    _, history = desk.get(f"/clients/{c['id']}/history")
    visits = sorted(history["appointments"], key=lambda a: a["start"])
    assert [a["source"] for a in visits] == ["import"] * 3
    assert visits[0]["service"]["id"] == "womens-cut" and visits[0]["staff"]["id"] == "aino"
    assert visits[0]["start"] == "2026-09-01T10:00:00+03:00"
    assert visits[2]["service"]["id"] == "import" and visits[2]["note"] == "Permanentti · Kalle"
    assert visits[2]["start"] == "2026-11-05T12:00:00+02:00"  # no time in the file: noon
    assert [a["time_known"] for a in visits] == [True, True, False]  # said so: not read as when she came
    _, notes = desk.get(f"/clients/{c['id']}/notes")
    assert [(n["text"], n["author"], n["author_role"]) for n in notes["notes"]] == [
        ("Pitkät hiukset", "import", "import")
    ]

    # Maija existed: she keeps her name and gains the visit and the birthday she lacked.
    _, maija = desk.get(f"/clients/{booked['client']}")
    assert maija["client"]["name"] == "Maija Meikäläinen" and maija["client"]["birthday"] == "1990-02-02"
    _, stats = desk.get(f"/clients/{booked['client']}/stats")
    assert stats["visits"] == 1
    # Nothing was sent to anyone.
    assert (len(sent_emails()), len(sent_sms())) == (emails, sms)


def test_imported_visits_count_in_the_rhythm_the_kpis_and_no_message_goes_out(desk, frozen_now):
    from tests.history import run_on_schedule

    rows = [f"Riitta;0406666666;;;{d}.{m}.2026;Naisten hiustenleikkaus;;;" for d, m in ((5, 6), (3, 7), (31, 7))]
    body = preview(desk, {"csv": "\n".join([HEADER, *rows]), "stamps": False})
    assert desk.post(f"/imports/{body['id']}/run")[0] == 202
    riitta = clients_of(desk)["Riitta"]
    _, profile = desk.get(f"/clients/{riitta['id']}")
    emails, sms = len(sent_emails()), len(sent_sms())
    # Her own rhythm (28 days from three visits) makes her lapsed by now: on the owner's list...
    status, slipping = desk.get("/retention?status=lapsed")
    assert status == 200 and [c["client"]["id"] for c in slipping["clients"]] == [riitta["id"]]
    # ...but an imported client has given no marketing consent: the list says so (the
    # dashboard offers her phone instead of a message), no win-back, nothing at all.
    marketing = slipping["clients"][0]["client"]["marketing"]
    assert (marketing["granted"], marketing["next_at"], marketing["last_at"]) == (False, None, None)
    # Her phone for the call the dashboard offers, as her card reads it and as tel: takes it.
    assert slipping["clients"][0]["client"]["phone_display"] == "040 6666666"
    assert slipping["clients"][0]["client"]["phone"] == "+358406666666"
    frozen_now["now"] += timedelta(minutes=1)  # the KPI sync leaves marks of the last seconds
    for job in ("send_due", "visits_ended", "kpi_sync", "marketing", "imports"):
        run_on_schedule(job, frozen_now["now"])
    assert (len(sent_emails()), len(sent_sms())) == (emails, sms)
    _, kpis = desk.get("/kpis?period=2026-07")
    assert kpis["kpis"]["visits"]["value"] == 2 and kpis["kpis"]["revenue_cents"]["value"] == 2 * 6900
    _, card = desk.get(f"/clients/{riitta['id']}/loyalty")
    assert card["stamps"] == 0  # imported with "stamps": false
    assert profile["client"]["id"] == riitta["id"]


def test_stamps_from_imported_visits_earn_a_reward_silently(desk, frozen_now):
    rows = [f"Sini;0407777777;;;{d}.{m}.2026;Föönaus ja muotoilu;;;" for m in (6, 7, 8, 9, 10) for d in (2, 16)]
    rows.append("Sini;0407777777;;;1.11.2026;Föönaus ja muotoilu;;;")
    emails = len(sent_emails())
    body = preview(desk, {"csv": "\n".join([HEADER, *rows]), "stamps": True})
    assert body["dry_run"]["visits"] == 11
    desk.post(f"/imports/{body['id']}/run")
    sini = clients_of(desk)["Sini"]
    _, card = desk.get(f"/clients/{sini['id']}/loyalty")
    assert card["stamps"] == 1 and card["visits_counted"] == 11
    assert [r["status"] for r in card["rewards"]] == ["available"]
    assert len(sent_emails()) == emails and not [m for m in sent_sms() if "+358407777777" in str(m)]


NAME_ONLY = [
    "Kaisa Käteinen;;;;1.9.2026 10:00;Naisten hiustenleikkaus;69,00;Aino;Maksaa käteisellä",
    "kaisa  käteinen;;;;1.10.2026 10:00;Naisten hiustenleikkaus;69,00;Aino;",  # one row per visit
    ";;;;1.10.2026;;;;",  # no name: still nobody
    "Pekka Puro;0402222222;;;;;;;",
]


def test_a_row_with_a_name_alone_is_a_client_with_no_contact_told_nothing(desk):
    emails, sms = len(sent_emails()), len(sent_sms())
    body = preview(desk, {"csv": "\n".join([HEADER, *NAME_ONLY]), "stamps": False})
    dry = body["dry_run"]
    assert (dry["create"], dry["contactless"], dry["merge"], dry["visits"]) == (2, 1, 1, 2)
    assert [(r["row"], r["code"]) for r in dry["rejected"]] == [(4, "no_name")]
    assert desk.post(f"/imports/{body['id']}/run")[0] == 202
    _, done = desk.get(f"/imports/{body['id']}")
    assert (done["created"], done["contactless"], done["merged"], done["visits"]) == (2, 1, 1, 2)
    kaisa = clients_of(desk)["Kaisa Käteinen"]
    assert (kaisa["phone"], kaisa["email"]) == (None, None)
    _, stats = desk.get(f"/clients/{kaisa['id']}/stats")
    assert stats["visits"] == 2
    status, found = desk.get("/clients?q=kaisa")  # the desk finds her by her name
    assert status == 200 and [c["id"] for c in found["clients"]] == [kaisa["id"]]
    assert (len(sent_emails()), len(sent_sms())) == (emails, sms)

    # The same file again: she is recognised by her name alone, not made twice.
    again = preview(desk, {"csv": "\n".join([HEADER, *NAME_ONLY]), "stamps": False})
    assert (again["dry_run"]["create"], again["dry_run"]["contactless"], again["dry_run"]["visits"]) == (0, 0, 0)
    desk.post(f"/imports/{again['id']}/run")
    _, done = desk.get(f"/imports/{again['id']}")
    assert (done["created"], done["contactless"], done["merged"], done["visits"]) == (0, 0, 3, 0)
    assert [c["name"] for c in clients_of(desk).values()].count("Kaisa Käteinen") == 1


def test_the_same_file_twice_merges_into_the_first_import(desk, booked):
    first = preview(desk, cp1252())
    desk.post(f"/imports/{first['id']}/run")
    again = preview(desk, cp1252())
    assert (again["dry_run"]["create"], again["dry_run"]["visits"]) == (0, 0)
    assert again["dry_run"]["merge"] == 6
    desk.post(f"/imports/{again['id']}/run")
    _, done = desk.get(f"/imports/{again['id']}")
    assert (done["created"], done["merged"], done["visits"]) == (0, 6, 0)
    liisa = clients_of(desk)["Liisa Laine"]
    _, stats = desk.get(f"/clients/{liisa['id']}/stats")
    assert stats["visits"] == 3


def _many(n: int) -> str:
    rows = [f"Asiakas {i};+35840{1000000 + i};a{i}@example.com;;1.{1 + i % 10}.2026;;;;" for i in range(n)]
    return "\n".join([HEADER, *rows])


def test_a_big_file_runs_in_chunks_the_request_first_then_the_job(desk, frozen_now, monkeypatch):
    from chalicelib.services.admin import imports
    from tests.api.helpers import count_by_prefix, table_items
    from tests.history import run_job

    monkeypatch.setattr(imports, "CHUNK_CLIENTS", 10)
    monkeypatch.setattr(imports, "RUN_REQUEST_SECONDS", 0.0)  # the request does one chunk only
    body = preview(desk, {"csv": _many(35)})
    assert body["dry_run"]["create"] == 35
    status, run = desk.post(f"/imports/{body['id']}/run")
    assert status == 202 and run["status"] == "running" and run["done_rows"] == 10
    assert desk.get(f"/imports/{body['id']}")[1]["done_rows"] == 10
    run_job("imports", frozen_now["now"])
    status, done = desk.get(f"/imports/{body['id']}")
    assert done["status"] == "done" and done["created"] == 35 and done["visits"] == 35
    items = table_items()
    assert not [i for i in items if i["sk"]["S"].startswith(f"IMPORT#{body['id']}#")]  # chunks deleted
    assert count_by_prefix(items, "CLIENT#") == 35


def test_a_chunk_done_twice_duplicates_nobody(desk, frozen_now, monkeypatch):
    """The job crashed after writing a chunk, before counting it: the next run does it
    again and the clients, visits and counts come out the same."""
    from chalicelib.services.admin import imports
    from chalicelib.store import imports as store
    from tests.api.helpers import count_by_prefix, table_items
    from tests.history import run_job

    monkeypatch.setattr(imports, "CHUNK_CLIENTS", 10)
    real = store.record_chunk
    crashed: list = []

    def crash_once(rec, n, result, now):
        if n == 1 and not crashed:
            crashed.append(n)
            raise RuntimeError("the Lambda ran out of time")
        return real(rec, n, result, now)

    monkeypatch.setattr(store, "record_chunk", crash_once)
    body = preview(desk, {"csv": _many(25)})
    desk.post(f"/imports/{body['id']}/run")
    assert crashed and desk.get(f"/imports/{body['id']}")[1]["status"] == "running"
    frozen_now["now"] = frozen_now["now"] + imports.LEASE  # the crashed worker's lease ran out
    run_job("imports", frozen_now["now"])
    _, done = desk.get(f"/imports/{body['id']}")
    assert (done["status"], done["created"], done["visits"], done["done_rows"]) == ("done", 25, 25, 25)
    items = table_items()
    assert count_by_prefix(items, "CLIENT#") == 25
    assert sum(1 for i in items if i["sk"]["S"].startswith("APPT#")) == 25
    assert sum(1 for i in items if i["sk"]["S"].startswith("CKEY#")) == 50


def test_a_contact_taken_between_preview_and_run_is_merged(client, desk):
    from tests.api.helpers import book

    body = preview(desk, {"csv": "Nimi;Puhelin;Käyntipäivä\nLiisa;040 111 1111;1.10.2026\n"})
    assert body["dry_run"]["create"] == 1
    status, _ = book(client, "2026-11-26T12:00:00+02:00", name="Liisa L", phone="040 111 1111", email=None)
    assert status == 201
    desk.post(f"/imports/{body['id']}/run")
    _, done = desk.get(f"/imports/{body['id']}")
    assert (done["created"], done["merged"], done["visits"]) == (0, 1, 1)
    assert list(clients_of(desk)) == ["Liisa L"]


def test_run_and_get_are_the_owners_and_her_business_only(client, desk, staff_desk, other):
    from tests.admin.helpers import Desk

    body = preview(desk, {"csv": "Name,Email\nAnna,anna@example.com\n"})
    assert staff_desk.post("/imports", {"csv": "Name,Email\nA,a@example.com\n"})[0] == 403
    assert staff_desk.get(f"/imports/{body['id']}")[0] == 403
    theirs = Desk(client, other.id)
    assert theirs.get(f"/imports/{body['id']}")[0] == 404
    assert theirs.post(f"/imports/{body['id']}/run")[0] == 404
    assert desk.get("/imports/nosuchimport")[0] == 404
    assert desk.get("/imports/..%2F")[0] == 404
    assert desk.post(f"/imports/{body['id']}/run")[0] == 202
    status, again = desk.post(f"/imports/{body['id']}/run")
    assert status == 200 and again["status"] == "done" and again["created"] == 1


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"csv": "Nimi;Puhelin\n"}, 422, "bad_file", "csv"),
        ({"csv": ""}, 422, "validation_failed", "csv"),
        ({"csv_base64": "%%%"}, 422, "validation_failed", "csv_base64"),
        ({"csv": "a", "csv_base64": "YQ=="}, 422, "validation_failed", "body"),
        ({"csv": "Nimi;Puhelin\nA;1\n", "stamps": "yes"}, 422, "validation_failed", "stamps"),
        ({"csv": "Nimi;Puhelin\nA;1\n", "mapping": {"Osoite": "name"}}, 422, "bad_mapping", "mapping.Osoite"),
        ({"csv": "Nimi;Puhelin\nA;1\n", "mapping": {"Nimi": "nick"}}, 422, "bad_mapping", "mapping.Nimi"),
        ({"csv": "Color;Size\nred;XL\n"}, 422, "bad_mapping", "mapping"),
        ({"csv": 'Nimi;Puhelin\n"A;1\n'}, 201, None, None),  # an unclosed quote reads to the end: rows, not a 500
        ({"csv": 'Nimi;Puhelin\n"A;1\nB;2\n'}, 422, "unclosed_quote", "csv"),  # ...over rows of their own: said
        ([1, 2], 400, "invalid_json", None),
    ],
)
def test_bad_uploads_are_4xx_in_the_error_shape(desk, body, status, code, field):
    got, answer = desk.post("/imports", body)
    assert got == status, answer
    if code:
        assert answer["error"]["code"] == code
    if field:
        assert field in answer["error"]["fields"], answer


def test_a_bad_mapping_answer_carries_the_columns_and_the_suggestion(desk):
    status, body = desk.post("/imports", {"csv": "Color;Puhelin\nred;0401234567\n"})
    assert status == 422
    assert body["error"]["columns"] == ["Color", "Puhelin"]
    assert body["error"]["mapping"] == {"Color": "-", "Puhelin": "phone"}
    status, body = desk.post(
        "/imports", {"csv": "Color;Puhelin\nred;0401234567\n", "mapping": {"Color": "name", "Puhelin": "phone"}}
    )
    assert status == 201 and body["dry_run"]["create"] == 1


def test_too_big_is_413_and_too_many_rows_422(desk, monkeypatch):
    from chalicelib.domain import csv_import

    status, body = desk.post("/imports", {"csv": "x" * (5 * 1024 * 1024 + 1)})
    assert status == 413 and body["error"]["code"] == "payload_too_large" and "5 MB" in body["error"]["message"]
    monkeypatch.setattr(csv_import, "MAX_ROWS", 3)
    status, body = desk.post("/imports", {"csv": _many(4)})
    assert status == 422 and body["error"]["code"] == "too_many_rows" and "split" in body["error"]["message"]
    # A settings or booking body stays bounded at 16 KB.
    assert desk.put("/settings/rules", {"x": "y" * 20_000})[0] == 413


@pytest.mark.parametrize("query_from", [1, 10**6])
def test_contacts_are_found_by_query_or_by_key_alike(desk, booked, monkeypatch, query_from):
    """A big file reads the business's contact keys with one Query; a small one asks for
    each key: the dry run is the same."""
    from chalicelib.store import imports as store

    monkeypatch.setattr(store, "QUERY_CONTACTS_FROM", query_from)
    dry = preview(desk, cp1252())["dry_run"]
    assert (dry["create"], dry["merge"], dry["visits"]) == (3, 3, 4)


def test_a_chunk_that_keeps_failing_fails_the_import(desk, frozen_now, monkeypatch):
    from chalicelib.services.admin import imports
    from tests.history import run_job

    def broken(*_args, **_kw):
        raise RuntimeError("a bug")

    monkeypatch.setattr(imports, "process_chunk", broken)
    body = preview(desk, {"csv": _many(3)})
    status, run = desk.post(f"/imports/{body['id']}/run")
    assert status == 202 and run["status"] == "running"  # the request's attempt failed: the job retries
    for _ in range(imports.GIVE_UP_AFTER - 1):
        run_job("imports", frozen_now["now"])
    _, state = desk.get(f"/imports/{body['id']}")
    assert state["status"] == "failed" and state["created"] == 0
    status, answer = desk.post(f"/imports/{body['id']}/run")
    assert status == 409 and answer["error"]["code"] == "import_failed"
    from tests.api.helpers import table_items

    # Off the job's list: the next run does not see it.
    assert run_job("imports", frozen_now["now"])["imports"] == 0
    assert not [i for i in table_items() if i["sk"]["S"].startswith("CLIENT#")]


def test_a_name_alone_whose_client_was_erased_is_not_brought_back_without_a_contact(desk):
    first = preview(desk, {"csv": "\n".join([HEADER, NAME_ONLY[0]]), "stamps": False})
    desk.post(f"/imports/{first['id']}/run")
    kaisa = clients_of(desk)["Kaisa Käteinen"]
    status, body = desk.delete(f"/clients/{kaisa['id']}")
    assert status == 200, body
    again = preview(desk, {"csv": "\n".join([HEADER, NAME_ONLY[0]]), "stamps": False})
    assert again["dry_run"]["create"] == 0
    assert [(r["row"], r["code"]) for r in again["dry_run"]["rejected"]] == [(2, "erased_no_contact")]
    assert "Kaisa Käteinen" not in clients_of(desk)


def test_an_erased_client_leaves_the_imports_too_and_one_not_yet_run_does_not_bring_her_back(desk):
    """An attacker's probe: after her erasure the import's record still listed her name
    and the address it left out (kept 30 days), and a file previewed before it, run after
    it, made her again with her allergy note."""
    from tests.api.helpers import table_items

    zed = "Zed Zetterberg;040 999 1234;zed@gmailcom;;1.9.2026 10:00;Naisten hiustenleikkaus;69,00;Aino;"
    first = preview(desk, {"csv": "\n".join([HEADER, zed, ROWS[0]]), "stamps": False})
    assert [w["name"] for w in first["dry_run"]["warnings"]] == ["Zed Zetterberg"]
    desk.post(f"/imports/{first['id']}/run")
    later = zed.replace("zed@gmailcom", "") + "Allergia: lateksi"
    pending = preview(desk, {"csv": "\n".join([HEADER, later]), "stamps": False})
    assert pending["dry_run"]["merge"] == 1
    status, body = desk.delete(f"/clients/{clients_of(desk)['Zed Zetterberg']['id']}")
    assert status == 200 and body["items"]["imports"] == 2, body
    for item in table_items():
        for trace in ("Zetterberg", "zed@gmailcom", "lateksi"):
            assert trace not in str(item), f"{trace!r} survived in {item['pk']} / {item['sk']}"
    _, record = desk.get(f"/imports/{first['id']}")
    [warned] = record["dry_run"]["warnings"]
    assert (warned["row"], warned["name"]) == (2, "(erased)")
    assert warned["reason"] == "Tuotu ilman sähköpostiosoitetta: … ei ole kelvollinen sähköpostiosoite.", warned
    status, done = desk.post(f"/imports/{pending['id']}/run")
    assert status in (200, 202) and done["created"] == 0 and done["merged"] == 0, done
    assert "Zed Zetterberg" not in clients_of(desk) and "Liisa Laine" in clients_of(desk)


def test_a_file_whose_every_row_is_rejected_runs_to_done(desk):
    """No row goes in, so the dry run stores no chunk: the run finishes at once (it stayed
    `running` for ever, and on the job's list) and reports the rejected rows."""
    from chalicelib.store import imports as store

    body = preview(desk, {"csv": "\n".join([HEADER, "Virhe;12;;;;;;;", ";0403333333;;;;;;;"])})
    assert body["dry_run"]["create"] == 0 and body["dry_run"]["rejected_total"] == 2
    status, done = desk.post(f"/imports/{body['id']}/run")
    assert status == 202 and done["status"] == "done" and done["done_rows"] == 2 and done["rejected_total"] == 2
    assert not store.running()
    status, again = desk.post(f"/imports/{body['id']}/run")
    assert status == 200 and again["status"] == "done"


BOOKED_AHEAD = [
    "Tuleva Käynti;040 222 1111;tuleva@example.com;;24.12.2026;Naisten hiustenleikkaus;69;Aino;",
    "Riikka Rinne;040 555 1111;;;1.10.2026 10:00;Naisten hiustenleikkaus;69,00;Aino;",
    "Riikka Rinne;040 555 1111;;;23.11.2026 klo 15.30;Föönaus ja muotoilu;50 kr;Kalle;",  # today: ahead too
]


def test_a_client_booked_ahead_is_imported_and_her_visits_ahead_listed_to_book_at_the_desk(desk):
    """A salon moving over has clients whose only row is a booking to come (24.12.): she
    was rejected whole ("future_visit"). Now she goes in with her contacts, the visit is
    left out, and the dry run and the result list it: row, day, time, service, staff."""
    body = preview(desk, {"csv": "\n".join([HEADER, *BOOKED_AHEAD]), "stamps": False})
    dry = body["dry_run"]
    assert (dry["create"], dry["merge"], dry["visits"], dry["rejected_total"]) == (2, 1, 1, 0)
    assert dry["future_visits"] == [
        {
            "row": 2,
            "name": "Tuleva Käynti",
            "date": "2026-12-24",
            "time": None,
            "service": "Naisten hiustenleikkaus",
            "staff": "Aino",
        },
        {
            "row": 4,
            "name": "Riikka Rinne",
            "date": "2026-11-23",
            "time": "15:30",
            "service": "Föönaus ja muotoilu",
            "staff": "Kalle",
        },
    ]
    assert dry["future_visits_total"] == 2
    status, done = desk.post(f"/imports/{body['id']}/run")
    assert status == 202 and done["status"] == "done" and done["rejected_total"] == 0
    assert (done["created"], done["visits"]) == (2, 1)
    assert [v["row"] for v in done["dry_run"]["future_visits"]] == [2, 4]
    everyone = clients_of(desk)
    tuleva = everyone["Tuleva Käynti"]
    assert (tuleva["phone"], tuleva["email"]) == ("+358402221111", "tuleva@example.com")
    _, history = desk.get(f"/clients/{tuleva['id']}/history")
    assert history["appointments"] == []  # nothing booked for her: the owner books it at the desk
    _, card = desk.get(f"/clients/{tuleva['id']}")
    assert card["client"]["marketing"]["granted"] is False  # no consent, as every imported client
    _, history = desk.get(f"/clients/{everyone['Riikka Rinne']['id']}/history")
    assert [a["start"] for a in history["appointments"]] == ["2026-10-01T10:00:00+03:00"]  # her past visit


def test_the_at_risk_list_names_an_imported_visits_service_in_the_files_words(desk):
    """Her last visit imported under a service the salon does not have ("Slingor"): the
    at-risk list says what she had, as her card does (it said only "Imported visit")."""
    rows = [f"Kristina;0407777777;;;{d}.{m}.2026;Slingor;;;" for d, m in ((5, 6), (3, 7), (31, 7))]
    body = preview(desk, {"csv": "\n".join([HEADER, *rows]), "stamps": False})
    assert desk.post(f"/imports/{body['id']}/run")[0] == 202
    status, slipping = desk.get("/retention")
    assert status == 200, slipping
    [her] = [c for c in slipping["clients"] if c["client"]["name"] == "Kristina"]
    assert her["last_service"]["id"] == "import" and "Slingor" in her["last_service"]["note"], her["last_service"]


def test_the_dry_run_names_the_services_and_staff_that_match_nothing_once_with_their_rows(desk, booked):
    """A service or staff name the settings do not know ("Tuntematon palvelu", "Joku")
    was kept under a placeholder without a word: the dry run lists each name once, as
    first written, with how many rows name it, most first; a name that matches is not."""
    rows = [
        "Maija Meikäläinen;040 123 4567;;;2.11.2026;Tuntematon palvelu;69;Joku;",
        "Liisa Laine;040 111 1111;;;1.10.2026;tuntematon PALVELU;69;Aino;",  # the same name, matched as names are
        "Liisa Laine;040 111 1111;;;1.9.2026;Permanentti;120;joku;",
        "Pekka Puro;0402222222;;;3.11.2026;Naisten hiustenleikkaus;;Kalle;",
        "Virhe;12;;;1.9.2026;Rejected row;;Nobody;",  # a rejected row's names are not counted
        "Tuleva;0404444444;;;1.12.2026;Ahead;;Later;",  # nor those of a visit booked ahead
    ]
    body = preview(desk, {"csv": "\n".join([HEADER, *rows]), "stamps": False})
    dry = body["dry_run"]
    assert dry["unknown_services"] == [{"name": "Tuntematon palvelu", "rows": 2}, {"name": "Permanentti", "rows": 1}]
    assert dry["unknown_staff"] == [{"name": "Joku", "rows": 2}, {"name": "Kalle", "rows": 1}]
    assert (dry["unknown_services_total"], dry["unknown_staff_total"]) == (2, 2)
    assert dry["visits"] == 4  # kept all the same, under the placeholder


def test_a_client_gone_for_years_but_booked_ahead_is_imported_in_the_dry_run_and_the_run_alike(desk):
    """Her last visit (1.1.2020) is older than the business keeps an inactive client (3
    years), but the file has her booked for 10.12.2026: she is a client now. She was
    rejected as inactive_too_long and her booking not listed; now she goes in with her
    past visit and her visit ahead is listed like the others, in the dry run and the run."""
    rows = [
        "Palaava;0407777777;;;1.1.2020;Naisten hiustenleikkaus;69;Aino;",
        "Palaava;0407777777;;;10.12.2026 14:00;Naisten hiustenleikkaus;69;Aino;",
        "Vanha;0405555555;;;1.1.2020;;;;",  # gone for years with nothing ahead: still not imported
    ]
    body = preview(desk, {"csv": "\n".join([HEADER, *rows]), "stamps": False})
    dry = body["dry_run"]
    assert [(r["row"], r["code"]) for r in dry["rejected"]] == [(4, "inactive_too_long")]
    assert (dry["create"], dry["merge"], dry["visits"]) == (1, 1, 1)
    assert dry["future_visits"] == [
        {
            "row": 3,
            "name": "Palaava",
            "date": "2026-12-10",
            "time": "14:00",
            "service": "Naisten hiustenleikkaus",
            "staff": "Aino",
        }
    ]
    status, done = desk.post(f"/imports/{body['id']}/run")
    assert status == 202 and done["status"] == "done"
    assert (done["created"], done["merged"], done["visits"]) == (1, 1, 1)
    assert [(r["row"], r["code"]) for r in done["rejected"]] == [(4, "inactive_too_long")]
    assert [v["row"] for v in done["dry_run"]["future_visits"]] == [3]
    everyone = clients_of(desk)
    assert "Palaava" in everyone and "Vanha" not in everyone
    _, history = desk.get(f"/clients/{everyone['Palaava']['id']}/history")
    assert [a["start"][:10] for a in history["appointments"]] == ["2020-01-01"]  # her past visit; the one ahead to book


def test_a_client_imported_for_her_booking_ahead_is_kept_the_privacy_years_from_the_import(desk, frozen_now):
    """Her last visit (2020) would have made her due for erasure in 2023, a day the daily
    job never reads again: she would be kept for ever, her booking or not. Her booking
    ahead is her activity as of the import: she is due three years from it."""
    from chalicelib.store import clients
    from tests.history import business, run_job

    rows = ["Palaava;0407777777;;;1.1.2020;;;;", "Palaava;0407777777;;;10.12.2026;;;;"]
    body = preview(desk, {"csv": "\n".join([HEADER, *rows]), "stamps": False})
    assert desk.post(f"/imports/{body['id']}/run")[0] == 202
    c = clients.get_client(business().id, clients_of(desk)["Palaava"]["id"])
    assert c and c.last_activity and c.last_activity.date() == frozen_now["now"].date()
    gone = frozen_now["now"] + timedelta(days=3 * 366)
    frozen_now["now"] += timedelta(days=3 * 365 - 1)
    run_job("erase_inactive", frozen_now["now"])
    assert "Palaava" in clients_of(desk)  # not yet: three years after the import
    frozen_now["now"] = gone
    run_job("erase_inactive", gone)
    assert "Palaava" not in clients_of(desk)  # nothing happened since: erased as any inactive client
