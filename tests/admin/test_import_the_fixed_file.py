"""A new salon owner imports her client list, fixes the rows the import refused and imports
the fixed file, as the dry run told her (a walk with the Swedish dashboard on a phone).
Every client merged the second time had each note of the file twice: the note's key held
the import's time. A note of the file is added once to a card: not when her card has a
note of the same text already, whoever wrote it (spaces and letter case aside)."""

from __future__ import annotations

from datetime import timedelta

from tests.admin.test_imports import clients_of, preview

HEADER = "Förnamn;Efternamn;Mobil;E-post;Födelsedag;Senaste besök;Tjänst;Frisör;Pris;Anteckningar"
EXPORT = [
    "Anna-Lena;Söderström;040 123 4567;anna-lena.soderstrom@gmail.com;14.03.1985;12.10.2026;Damklippning;Sanna;69,00 €;Allergisk mot ammoniak",
    "Märta;Öhman;0452345678;marta.ohman@gmail.com;30.06.1990;21.08.2026;Slingor;Aino;145,00 €;Vill ha tid på förmiddagen",
    "Ulla;Häggblom;;;;10.07.2026;Föning;;45,00 €;Betalar kontant",
    "Kristina;Ström;040 12;;12.12.1995;02.10.2026;Damklippning;Sanna;69,00 €;Ny kund",
]
# Kristina's phone fixed; Märta's note written again with other spaces and capitals.
FIXED = [
    EXPORT[0],
    "Märta;Öhman;0452345678;marta.ohman@gmail.com;30.06.1990;21.08.2026;Slingor;Aino;145,00 €;vill ha tid  på FÖRMIDDAGEN ",
    EXPORT[2],
    "Kristina;Ström;040 123 4560;;12.12.1995;02.10.2026;Damklippning;Sanna;69,00 €;Ny kund",
]


def _csv(rows: list[str]) -> dict:
    return {"csv": "\n".join([HEADER, *rows]), "stamps": False}


def _notes(desk, client_id: str) -> list[str]:
    status, body = desk.get(f"/clients/{client_id}/notes")
    assert status == 200, body
    return sorted(n["text"] for n in body["notes"])


def test_importing_the_fixed_file_adds_no_note_twice_and_the_dry_run_says_so(desk, frozen_now):
    first = preview(desk, _csv(EXPORT))
    assert first["dry_run"]["notes"] == 3  # Kristina's row is refused (her phone)
    assert desk.post(f"/imports/{first['id']}/run")[0] == 202
    _, done = desk.get(f"/imports/{first['id']}")
    assert done["notes"] == 3
    everyone = clients_of(desk)
    anna = everyone["Anna-Lena Söderström"]["id"]
    # She writes the same words on Ulla's card herself before the second import.
    assert desk.post(f"/clients/{everyone['Ulla Häggblom']['id']}/notes", {"text": "Betalar kontant"})[0] == 201

    frozen_now["now"] += timedelta(hours=1)  # the fixed file, an hour later
    again = preview(desk, _csv(FIXED))
    dry = again["dry_run"]
    assert (dry["create"], dry["merge"], dry["visits"], dry["notes"]) == (1, 3, 1, 1)  # Kristina's note only
    assert desk.post(f"/imports/{again['id']}/run")[0] == 202
    _, done = desk.get(f"/imports/{again['id']}")
    assert (done["created"], done["merged"], done["visits"], done["notes"]) == (1, 3, 1, 1)

    everyone = clients_of(desk)
    assert _notes(desk, anna) == ["Allergisk mot ammoniak"]
    assert _notes(desk, everyone["Märta Öhman"]["id"]) == ["Vill ha tid på förmiddagen"]
    assert _notes(desk, everyone["Ulla Häggblom"]["id"]) == ["Betalar kontant"] * 2  # hers and the first import's
    assert _notes(desk, everyone["Kristina Ström"]["id"]) == ["Ny kund"]

    # The same file a third time: nothing to add, and the dry run promises nothing.
    frozen_now["now"] += timedelta(hours=1)
    third = preview(desk, _csv(FIXED))
    assert (third["dry_run"]["create"], third["dry_run"]["visits"], third["dry_run"]["notes"]) == (0, 0, 0)
    desk.post(f"/imports/{third['id']}/run")
    assert _notes(desk, anna) == ["Allergisk mot ammoniak"]


def test_a_note_of_two_rows_that_merge_into_one_card_is_added_once(desk, frozen_now):
    """Two rows of hers that the file does not tie together (one has her phone, the other
    her email, each with the note) both merge into her card: the note goes in once, and
    rows of one client (a row per visit) that repeat it give it once, as before."""
    first = preview(desk, _csv(["Anna-Lena;Söderström;040 123 4567;anna@example.com;;;;;;"]))
    desk.post(f"/imports/{first['id']}/run")
    anna = clients_of(desk)["Anna-Lena Söderström"]["id"]
    frozen_now["now"] += timedelta(days=1)
    rows = [
        "Anna-Lena;Söderström;040 123 4567;;;12.10.2026;;;;Allergisk mot ammoniak",
        "Anna-Lena;Söderström;040 123 4567;;;12.09.2026;;;;Allergisk mot ammoniak",
        "Anna L;S;;anna@example.com;;;;;;ALLERGISK mot ammoniak",
    ]
    body = preview(desk, _csv(rows))
    assert (body["dry_run"]["merge"], body["dry_run"]["notes"]) == (3, 1)
    desk.post(f"/imports/{body['id']}/run")
    _, done = desk.get(f"/imports/{body['id']}")
    assert done["notes"] == 1
    assert _notes(desk, anna) == ["Allergisk mot ammoniak"]


def test_a_chunk_of_merges_done_again_counts_its_notes_once_and_writes_none_twice(desk, frozen_now, monkeypatch):
    """The run crashed after writing a chunk's notes, before counting it: done again, the
    notes it wrote are its own (their id and the import's time), counted, not doubled."""
    from chalicelib.services.admin import imports
    from chalicelib.store import imports as store
    from tests.history import run_job

    first = preview(desk, _csv(["Anna-Lena;Söderström;040 123 4567;;;;;;;"]))
    desk.post(f"/imports/{first['id']}/run")
    anna = clients_of(desk)["Anna-Lena Söderström"]["id"]
    frozen_now["now"] += timedelta(hours=1)
    real = store.record_chunk
    crashed: list[int] = []

    def crash_once(rec, n, result, now):
        if not crashed:
            crashed.append(n)
            raise RuntimeError("the Lambda ran out of time")
        return real(rec, n, result, now)

    monkeypatch.setattr(store, "record_chunk", crash_once)
    body = preview(desk, _csv([EXPORT[0]]))
    assert body["dry_run"]["notes"] == 1
    desk.post(f"/imports/{body['id']}/run")
    assert crashed and _notes(desk, anna) == ["Allergisk mot ammoniak"]
    frozen_now["now"] += imports.LEASE
    run_job("imports", frozen_now["now"])
    _, done = desk.get(f"/imports/{body['id']}")
    assert (done["status"], done["merged"], done["notes"]) == ("done", 1, 1)
    assert _notes(desk, anna) == ["Allergisk mot ammoniak"]


def test_the_rows_listed_say_whose_they_are(desk):
    """'Rad 12: 15.12.2026 · Herrklippning · Mikko' (Mikko is the hairdresser) and 'Rad 10:
    Telefonnumret är ogiltigt: 040 12' said no client: each listed row names her as the
    file does, in the dry run and the result."""
    rows = [
        "Kristina;Ström;040 12;;12.12.1995;02.10.2026;Damklippning;Sanna;69,00 €;",
        "Matti;Virtanen;+358 (0)40 765 4321;;08.08.1968;15.12.2026;Herrklippning;Mikko;39,00 €;Bokad",
        "Eeva;Heikkilä;0401234568;;01.01.1960;01.03.2020;Damklippning;Sanna;55,00 €;",
        ";;0401234569;;;;;;;",
    ]
    body = preview(desk, _csv(rows), headers={"Accept-Language": "sv-FI"})
    dry = body["dry_run"]
    assert [(r["row"], r["name"], r["code"]) for r in dry["rejected"]] == [
        (2, "Kristina Ström", "bad_phone"),
        (4, "Eeva Heikkilä", "inactive_too_long"),
        (5, None, "no_name"),
    ]
    assert [(v["row"], v["name"], v["staff"]) for v in dry["future_visits"]] == [(3, "Matti Virtanen", "Mikko")]
    status, done = desk.post(f"/imports/{body['id']}/run")
    assert status == 202 and done["status"] == "done"
    assert [(r["row"], r["name"]) for r in done["rejected"]] == [(2, "Kristina Ström"), (4, "Eeva Heikkilä"), (5, None)]
    assert [v["name"] for v in done["dry_run"]["future_visits"]] == ["Matti Virtanen"]


WARNED = [
    "Jörgen;Sjöholm;09 123 4567 (hem);;31.02.1988;20.09.2026;Herrklippning;Mikko;39,00 €;",
    "Päivi;Mäkinen;044 987 6543;paivi.makinen@gmailcom;05.05.1972;28.11.2026;Damklippning;Sanna;69,00 €;",
    "Kristina;Ström;040 12;kristina.strom@gmail.com;12.12.1995;02.10.2026;Damklippning;Sanna;69,00 €;",
    "Ulla;Häggblom;040 12;;;10.07.2026;Föning;;45,00 €;",  # no contact that works: refused as before
    "Kaj;Mörk;;kaj.mork@gmailcom;;;;;;",
]


def test_a_bad_birthday_email_or_phone_leaves_out_that_field_not_the_client(desk):
    """Jörgen's birthday 31.02 and Päivi's email typo refused each client whole, though
    each had a phone that works. Now the client goes in without that one field, and the
    row is listed apart from the rejected ones, naming the field and the value, in the
    owner's language; a row with no phone nor email that works is still refused."""
    body = preview(desk, _csv(WARNED), headers={"Accept-Language": "sv-FI"})
    dry = body["dry_run"]
    assert (dry["create"], dry["rejected_total"], dry["warnings_total"]) == (3, 2, 3)
    assert [(r["row"], r["name"], r["code"]) for r in dry["rejected"]] == [
        (5, "Ulla Häggblom", "bad_phone"),
        (6, "Kaj Mörk", "bad_email"),
    ]
    assert [(w["row"], w["name"], w["field"], w["code"], w["reason"]) for w in dry["warnings"]] == [
        (
            2,
            "Jörgen Sjöholm",
            "birthday",
            "birthday_left_out",
            "Importerad utan födelsedag: 31.02.1988 är inget datum (t.ex. 14.3.1985 eller 1985-03-14).",
        ),
        (
            3,
            "Päivi Mäkinen",
            "email",
            "email_left_out",
            "Importerad utan e-postadress: paivi.makinen@gmailcom är ingen giltig e-postadress.",
        ),
        (
            4,
            "Kristina Ström",
            "phone",
            "phone_left_out",
            "Importerad utan telefonnummer: 040 12 är inget giltigt nummer.",
        ),
    ]
    status, done = desk.post(f"/imports/{body['id']}/run", headers={"Accept-Language": "en"})
    assert status == 202 and done["status"] == "done"
    assert (done["created"], done["rejected_total"]) == (3, 2)
    assert done["dry_run"]["warnings"][0]["reason"] == (
        "Imported without the birthday: 31.02.1988 is not a date (e.g. 14.3.1985 or 1985-03-14)."
    )
    _, fi = desk.get(f"/imports/{body['id']}", headers={"Accept-Language": "fi"})
    assert fi["dry_run"]["warnings"][1]["reason"] == (
        "Tuotu ilman sähköpostiosoitetta: paivi.makinen@gmailcom ei ole kelvollinen sähköpostiosoite."
    )
    everyone = clients_of(desk)
    jorgen, paivi, kristina = everyone["Jörgen Sjöholm"], everyone["Päivi Mäkinen"], everyone["Kristina Ström"]
    assert (jorgen["phone"], jorgen.get("birthday")) == ("+35891234567", None)
    assert (paivi["phone"], paivi["email"]) == ("+358449876543", None)
    assert (kristina["phone"], kristina["email"]) == (None, "kristina.strom@gmail.com")
    assert "Ulla Häggblom" not in everyone and "Kaj Mörk" not in everyone


def test_a_date_in_a_reason_is_written_as_the_file_and_the_screen_write_it(desk):
    """'Senaste besöket 2020-03-01 …' on a screen and from a file that write 1.3.2020."""
    rows = ["Eeva;Heikkilä;0401234568;;01.01.1960;01.03.2020;Damklippning;Sanna;55,00 €;"]
    body = preview(desk, _csv(rows), headers={"Accept-Language": "sv-FI"})
    assert body["dry_run"]["rejected"][0]["reason"].startswith("Senaste besöket 1.3.2020 är över 3 år sedan")
    _, fi = desk.get(f"/imports/{body['id']}", headers={"Accept-Language": "fi"})
    assert fi["dry_run"]["rejected"][0]["reason"].startswith("Viimeisin käynti 1.3.2020 on yli 3 vuoden takaa")
    _, en = desk.get(f"/imports/{body['id']}", headers={"Accept-Language": "en"})
    assert en["dry_run"]["rejected"][0]["reason"].startswith("The last visit 1 Mar 2020 is over 3 years ago")
