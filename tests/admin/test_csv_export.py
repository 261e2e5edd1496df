"""CSV exports: every client and the appointments of a period, readable by a
spreadsheet (UTF-8 with BOM), safe from formula injection, owner only, audited,
and never another business's rows."""

from __future__ import annotations

import csv
import io

from tests.api.helpers import book


def rows(body: bytes) -> list[dict]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_clients_csv_has_every_client_and_neutralizes_formulas(client, desk, other):
    book(client, "2026-11-25T12:00:00+02:00", name="Äijä Öhman", phone="040 111 2222", email="a@example.com")
    book(client, "2026-11-25T14:00:00+02:00", name='=HYPERLINK("http://x")', phone="040 333 4444", email=None)
    status, body = desk.get("/export/clients.csv")
    assert status == 200
    listed = {r["name"]: r for r in rows(body)}
    assert set(listed) == {"Äijä Öhman", '\'=HYPERLINK("http://x")'}
    assert listed["Äijä Öhman"]["phone"] == "'+358401112222" and listed["Äijä Öhman"]["marketing_consent"] == "no"
    entries = [e["action"] for e in desk.get("/audit")[1]["entries"]]
    assert "export_clients_csv" in entries


def test_no_cell_is_a_formula_however_a_spreadsheet_splits_the_lines(client, desk):
    # A public booker chooses her name: a Finnish or Swedish Excel splits a .csv at ';'
    # (docs/import.md), so a formula after a ';' (or ',', a tab, a line break) inside a
    # name would start a cell of its own. Ordinary names, hyphens and all, stay as they are.
    evil = 'Maija;=HYPERLINK("https://evil.example/login")'
    for at, name, phone in (
        ("2026-11-25T12:00:00+02:00", evil, "040 111 2222"),
        ("2026-11-25T14:00:00+02:00", "Anna-Liisa Virtanen-Korhonen", "040 333 4444"),
        ("2026-11-25T16:00:00+02:00", "Tiina, -2+3", "040 555 6666"),
        ("2026-11-26T12:00:00+02:00", 'b;"=1+1;', "040 777 8888"),  # a quoted cell of its own
    ):
        assert book(client, at, name=name, phone=phone, email=None)[0] == 201
    for path in ("/export/clients.csv", "/export/appointments.csv?from=2026-11-01&to=2026-11-30"):
        status, body = desk.get(path)
        assert status == 200
        text = body.decode("utf-8")[1:]
        for delimiter in (";", ",", "\t"):
            cells = [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]
            formulas = [c for c in cells if c.lstrip(' "')[:1] in ("=", "+", "-", "@")]
            assert not formulas, f"read split at {delimiter!r}, these cells are formulas: {formulas}"
        names = {r.get("name") or r["client_name"] for r in rows(body)}
        assert names == {
            'Maija;\'=HYPERLINK("https://evil.example/login")',
            "Anna-Liisa Virtanen-Korhonen",
            "Tiina, '-2+3",
            "b;\"'=1+1;",
        }


def test_appointments_csv_for_a_period(client, desk):
    book(client, "2026-11-25T12:00:00+02:00")
    book(client, "2026-12-02T12:00:00+02:00", name="Kalle", phone="040 555 6666", email=None)
    status, body = desk.get("/export/appointments.csv?from=2026-11-01&to=2026-11-30")
    assert status == 200
    [row] = rows(body)
    assert (row["start"], row["service"], row["staff"], row["price_cents"], row["status"]) == (
        "2026-11-25T12:00:00+02:00",
        "Naisten hiustenleikkaus",
        "Aino Virtanen",
        "6900",
        "booked",
    )
    assert row["client_name"] == "Maija Meikäläinen"
    assert len(rows(desk.get("/export/appointments.csv?from=2026-11-01&to=2026-12-31")[1])) == 2
    status, bad = desk.get("/export/appointments.csv?from=2026-12-01&to=2026-11-01")
    assert status == 422 and bad["error"]["fields"]["to"] == "out of range"
    assert desk.get("/export/appointments.csv?from=yesterday")[0] == 422
