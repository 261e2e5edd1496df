"""Reading another system's CSV export: encoding, delimiter, the suggested mapping, each
cell, rows of one person grouped, deterministic ids. Plain values only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain import csv_import as ci
from chalicelib.domain.contacts import fold

HKI = ZoneInfo("Europe/Helsinki")
TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    "text",
    [
        # A note that opens a quote and never closes it: the rows after it, to the end.
        'Nimi;Puhelin;Lisätiedot\nAnna;0401231701;Lyhyt\nBeata;0401231702;"Toivoo lyhyempää\n'
        "Cecilia;0401231703;Värjäys\nDoris;0401231704;\n",
        # ...or up to another stray quote, in a name: the rows between.
        'Nimi;Puhelin;Lisätiedot\nAnna;0401231701;Lyhyt\n"Beata;0401231702;\nCecilia;0401231703;V"\nD;0401231704;\n',
    ],
)
def test_a_quote_never_closed_is_refused_saying_its_line_not_read_over_the_rows_after_it(text):
    """An attacker's probe (and any salon's old system): the rows after a stray quote went
    into one client's note, the dry run said nothing, and their clients were never made."""
    with pytest.raises(ci.FileError, match='quotation mark \\("\\) opened on line 3') as refused:
        ci.read_table(text)
    assert (refused.value.code, refused.value.line) == ("unclosed_quote", 3)


def test_a_note_on_several_lines_is_one_cell():
    table = ci.read_table('Nimi;Puhelin;Lisätiedot\nAnna;0401231701;"Lyhyt tukka.\nEi värejä; ei kiharoita."\n')
    assert table.rows == ((3, ("Anna", "0401231701", "Lyhyt tukka.\nEi värejä; ei kiharoita.")),)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Nimi;Sähköposti\nÄijä;a@b.fi\n".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "Nimi;Sähköposti\n".encode(), "utf-8-sig"),
        ("Nimi;Sähköposti\nÄijä;a@b.fi\n".encode("cp1252"), "cp1252"),
        ("Nimi;Sähköposti\n".encode("utf-16"), "utf-16"),
    ],
)
def test_the_encoding_is_detected(data, encoding):
    text, found = ci.decode(data)
    assert found == encoding
    assert text.lstrip("\ufeff").startswith("Nimi;Sähköposti")


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("Nimi;Puhelin;Sähköposti", ";"),
        ("Name,Phone,Email", ","),
        ("Name\tPhone", "\t"),
        ('"Last, First";Phone', ";"),
        ("Name", ","),
    ],
)
def test_the_delimiter_is_sniffed(header, delimiter):
    assert ci.sniff_delimiter(header + "\nx\n") == delimiter


def test_rows_are_numbered_as_a_spreadsheet_shows_them():
    table = ci.read_table('Nimi;Puhelin\n\nMaija;0401234567\n"Liisa\nLaine";0401234568\n')
    assert table.headers == ("Nimi", "Puhelin")
    assert [n for n, _ in table.rows] == [3, 5]  # the blank line 2 skipped; a quoted line break counts
    with pytest.raises(ci.FileError, match="no clients"):
        ci.read_table("Nimi;Puhelin\n")
    with pytest.raises(ci.FileError, match="more than 2 rows"):
        ci.read_table("Nimi\na\nb\nc\n", max_rows=2)
    assert ci.read_table("Phone;Phone;\n1;2;3\n").headers == ("Phone", "Phone (2)", "column 3")
    with pytest.raises(ci.FileError, match="header row"):  # kept by the record, as stored
        ci.read_table(f"Nimi;{'ä' * (ci.MAX_HEADER_BYTES // 6)}\na;b\n")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["Nimi", "Puhelin", "Sähköposti", "Syntymäpäivä", "Lisätiedot"],
            {
                "Nimi": "name",
                "Puhelin": "phone",
                "Sähköposti": "email",
                "Syntymäpäivä": "birthday",
                "Lisätiedot": "notes",
            },
        ),
        (
            ["First name", "Last name", "Mobile Number", "Email", "Date of Birth", "Gender"],
            {
                "First name": "first_name",
                "Last name": "last_name",
                "Mobile Number": "phone",
                "Email": "email",
                "Date of Birth": "birthday",
                "Gender": "-",
            },
        ),
        (
            ["Namn", "Telefon", "E-post", "Födelsedag"],
            {"Namn": "name", "Telefon": "phone", "E-post": "email", "Födelsedag": "birthday"},
        ),
        (
            ["Client", "Service", "Team Member", "Scheduled Date", "Price", "Status", "Phone", "Mobile"],
            {
                "Client": "name",
                "Service": "service",
                "Team Member": "staff",
                "Scheduled Date": "visit_date",
                "Price": "price",
                "Status": "status",
                "Phone": "-",
                "Mobile": "phone",
            },
        ),
    ],
)
def test_the_mapping_is_suggested_from_fi_sv_en_headers(headers, expected):
    assert ci.suggest_mapping(headers) == expected


@pytest.mark.parametrize("header", ["Mobiili", "Matkapuhelinnumero", "Kännykkä", "Mobiilinumero", "Puhelin nro."])
def test_the_phone_column_is_found_by_the_names_finnish_exports_give_it(header):
    assert ci.suggest_mapping(["Nimi", header]) == {"Nimi": "name", header: "phone"}


def test_a_mapping_is_checked():
    headers = ["Nimi", "Puhelin"]
    assert ci.mapping_errors({"Nimi": "name", "Puhelin": "phone"}, headers) == {}
    assert "mapping.Osoite" in ci.mapping_errors({"Osoite": "name"}, headers)
    assert "mapping.Nimi" in ci.mapping_errors({"Nimi": "nickname", "Puhelin": "phone"}, headers)
    assert "mapping.Puhelin" in ci.mapping_errors({"Nimi": "phone", "Puhelin": "phone"}, headers)
    assert "name" in ci.mapping_errors({"Nimi": "-", "Puhelin": "phone"}, headers)["mapping"]
    assert "phone" in ci.mapping_errors({"Nimi": "name", "Puhelin": "-"}, headers)["mapping"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("040 123 4567", "+358401234567"),
        ("+358 40 123 4567", "+358401234567"),
        ("358401234567", "+358401234567"),  # a spreadsheet ate the '+'
        ("401234567", "+358401234567"),  # ...or the leading zero
        ("+46 70 123 45 67", "+46701234567"),
        ("040 123 4567 (koti)", "+358401234567"),  # a note in words beside it
        ("(040) 123 4567", "+358401234567"),  # the area code in brackets
    ],
)
def test_phones_as_exports_write_them(raw, expected):
    assert ci.parse_phone(raw) == expected


@pytest.mark.parametrize("raw", ["040 123 456a", "040 CALL ME", "koti"])
def test_a_phone_with_letters_outside_a_note_is_refused_not_another_number(raw):
    with pytest.raises(ValueError):
        ci.parse_phone(raw)


@pytest.mark.parametrize(
    ("raw", "day", "at"),
    [
        ("2026-03-14", date(2026, 3, 14), None),
        ("2026-03-14 10:30", date(2026, 3, 14), time(10, 30)),
        ("2026-03-14T10:30:00", date(2026, 3, 14), time(10, 30)),
        ("14.3.2026", date(2026, 3, 14), None),
        ("14.03.2026 klo 10.30", date(2026, 3, 14), time(10, 30)),
        ("14/03/2026 10:30", date(2026, 3, 14), time(10, 30)),
        ("14 Mar 2026", date(2026, 3, 14), None),
        ("Sat, 14 Mar 2026 10:30", date(2026, 3, 14), time(10, 30)),
        ("Mar 14, 2026", date(2026, 3, 14), None),
        ("14. maaliskuuta 2026", date(2026, 3, 14), None),
    ],
)
def test_dates_as_exports_write_them(raw, day, at):
    assert ci.parse_when(raw)[:2] == (day, at)


@pytest.mark.parametrize("raw", ["", "31.2.2026", "yesterday", "2026-13-01", "14 Foo 2026"])
def test_what_is_not_a_date(raw):
    with pytest.raises(ValueError):
        ci.parse_when(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1985-03-14", "1985-03-14"), ("14.3.1985", "1985-03-14"), ("14.3.", "--03-14"), ("--03-14", "--03-14")],
)
def test_birthdays(raw, expected):
    assert ci.parse_birthday_cell(raw) == expected


@pytest.mark.parametrize(
    ("raw", "cents"),
    [("45", 4500), ("45,50", 4550), ("45.5", 4550), ("45,00 €", 4500), ("€1,234.50", 123450), ("1 234,50", 123450)],
)
def test_prices(raw, cents):
    assert ci.parse_price(raw) == cents


@pytest.mark.parametrize("raw", ["-5", "free", "", "99999999"])
def test_what_is_not_a_price(raw):
    with pytest.raises(ValueError):
        ci.parse_price(raw)


HEADERS = ("Nimi", "Puhelin", "Sähköposti", "Käyntipäivä", "Tila")
MAPPING = {"Nimi": "name", "Puhelin": "phone", "Sähköposti": "email", "Käyntipäivä": "visit_date", "Tila": "status"}


def _row(n, *cells):
    return ci.parse_row(n, cells, ci.columns_of(HEADERS, MAPPING), HKI, TODAY)


def test_a_row_is_read_or_rejected_with_its_reason():
    row = _row(2, "  Maija   Meikäläinen ", "040 123 4567", "Maija@Example.com", "14.3.2026", "")
    assert row.name == "Maija Meikäläinen" and row.phone == "+358401234567" and row.email == "maija@example.com"
    assert row.visit.start == datetime(2026, 3, 14, 10, 0, tzinfo=UTC)  # no time: noon, Helsinki
    assert _row(3, "", "0401234567", "", "", "") == ci.Rejected(3, "no_name")
    alone = _row(4, "Liisa", "", "", "", "")  # a name alone: a client with no contact
    assert (alone.name, alone.phone, alone.email) == ("Liisa", None, None)
    assert _row(4, "", "", "", "", "").code == "no_name"  # still not nothing
    assert _row(5, "Liisa", "12", "", "", "").code == "bad_phone"
    assert _row(6, "Liisa", "", "liisa@", "", "").code == "bad_email"
    assert _row(7, "Liisa", "0401234567", "", "31.2.2026", "").code == "bad_date"
    booked_ahead = _row(8, "Liisa", "0401234567", "", "23.11.2026", "")  # today or later: she goes in, not the visit
    assert booked_ahead.phone == "+358401234567" and booked_ahead.visit is None
    assert booked_ahead.future == ci.FutureVisit(8, date(2026, 11, 23), None, name="Liisa")
    cancelled = _row(9, "Liisa", "0401234567", "", "1.11.2026", "Peruttu")
    assert cancelled.visit is None and cancelled.visit_skipped


def test_a_bad_phone_email_or_birthday_is_left_out_when_the_row_has_a_contact_that_works():
    headers = ("Nimi", "Puhelin", "Sähköposti", "Syntymäpäivä")
    columns = ci.columns_of(headers, ci.suggest_mapping(headers))

    def row(*cells):
        return ci.parse_row(2, cells, columns, HKI, TODAY)

    paivi = row("Päivi", "044 987 6543", "paivi@gmailcom", "31.02.1988")
    assert isinstance(paivi, ci.Row) and (paivi.phone, paivi.email, paivi.birthday) == ("+358449876543", None, None)
    assert paivi.left_out == (
        ci.LeftOut(2, "email", "paivi@gmailcom", "Päivi"),
        ci.LeftOut(2, "birthday", "31.02.1988", "Päivi"),
    )
    assert paivi.left_out[1].as_dict() == {
        "row": 2,
        "name": "Päivi",
        "field": "birthday",
        "code": "birthday_left_out",
        "params": {"value": "31.02.1988"},
    }
    kristina = row("Kristina", "040 12", "k@example.com", "")
    assert isinstance(kristina, ci.Row) and (kristina.phone, kristina.email) == (None, "k@example.com")
    assert [f.code for f in kristina.left_out] == ["phone_left_out"]
    alone = row("Kaj", "", "", "31.02.")  # a name alone goes in; her birthday is no date
    assert isinstance(alone, ci.Row) and [f.field for f in alone.left_out] == ["birthday"]
    # No phone nor email that works: the row is refused, as before.
    assert row("Ulla", "040 12", "", "") == ci.Rejected(2, "bad_phone", {"value": "040 12"}, "Ulla")
    assert row("Ulla", "040 12", "u@gmailcom", "").code == "bad_phone"
    assert row("Ulla", "", "u@gmailcom", "1.1.1970").code == "bad_email"
    assert "31.02.1988 är inget datum" in ci.reason_text("birthday_left_out", "sv", {"value": "31.02.1988"})
    # A number Excel wrote as a number: said so, and how to get it back (an owner's walk).
    for excel in ("3,58401E+11", "4.0123e+9"):
        refused = row("Greta", excel, "", "")
        assert refused == ci.Rejected(2, "excel_phone", {"value": excel}, "Greta"), refused
        said = ci.reason_text(refused.code, "sv", refused.params)
        assert said.startswith(f"Telefonnumret är ogiltigt: {excel}. Excel har gjort om det till ett tal"), said
    # ...but one whose every digit is still there goes in (an attacker's probe: refused
    # as "its last digits are lost" with all twelve of them in it).
    for whole in ("3,58401231102E+11", "3.58401231102e11"):
        assert ci.parse_phone(whole) == "+358401231102"
        greta = row("Greta", whole, "", "")
        assert isinstance(greta, ci.Row) and greta.phone == "+358401231102", greta


def test_a_name_and_notes_keep_the_text_rule_every_other_way_in_keeps():
    # A name that reads backwards (U+202E) is a spoof in every list, message and export;
    # an old system's stray control characters are no part of anyone's name.
    assert _row(2, "Imp\u202eRLO", "040 123 4567", "", "", "").name == "ImpRLO"
    assert _row(3, "Nel\u0085Name\u2028LS\u007fdel\u200b", "040 123 4567", "", "", "").name == "Nel Name LSdel"
    assert _row(4, "\u202e\u200b", "040 123 4567", "", "", "") == ci.Rejected(4, "no_name")  # nothing to see
    assert _row(5, "Zoë 👩\u200d🎤", "040 123 4567", "", "", "").name == "Zoë 👩\u200d🎤"  # a joiner is kept
    columns = ci.columns_of(
        ("Nimi", "Puhelin", "Muistiinpanot"), {"Nimi": "name", "Puhelin": "phone", "Muistiinpanot": "notes"}
    )
    row = ci.parse_row(6, ("Liisa", "0401234567", "bell\u0007 rlo\u202eX\nline two"), columns, HKI, TODAY)
    assert isinstance(row, ci.Row) and row.notes == "bell rloX\nline two"


def test_a_visit_booked_ahead_is_listed_with_its_day_time_and_names_not_imported():
    headers = ("Nimi", "Puhelin", "Käyntipäivä", "Palvelu", "Tekijä", "Hinta")
    columns = ci.columns_of(headers, ci.suggest_mapping(headers))
    row = ci.parse_row(
        7, ("Tuleva", "0402221111", "24.12.2026 klo 9.30", "Leikkaus", "Aino", "50 kr"), columns, HKI, TODAY
    )
    assert isinstance(row, ci.Row) and row.visit is None  # its price is not read: the visit is not imported
    assert row.future is not None and row.future.as_dict() == {
        "row": 7,
        "name": "Tuleva",
        "date": "2026-12-24",
        "time": "09:30",
        "service": "Leikkaus",
        "staff": "Aino",
    }
    past = ci.parse_row(8, ("Tuleva", "0402221111", "1.11.2026", "", "", ""), columns, HKI, TODAY)
    assert isinstance(past, ci.Row)
    group = ci.group_rows([row, past])[0]
    assert [v.start.date() for v in group.visits] == [date(2026, 11, 1)]
    many = [ci.FutureVisit(n, date(2026, 12, 24), None, "😀" * 40) for n in range(1000, 1, -1)]
    kept = ci.kept_future(many)
    assert kept[0]["row"] == 2 and len(kept) < ci.MAX_FUTURE_KEPT and ci.stored_size(kept) <= ci.MAX_FUTURE_BYTES


def test_names_matching_nothing_are_counted_once_each_and_listed_as_far_as_the_record_holds():
    known = {"aino": "aino"}.get
    names = ["Joku", None, "Aino", "JOKU", "Kalle", "", "jóku"]
    assert ci.unmatched(names, lambda n: known(fold(n))) == [
        {"name": "Joku", "rows": 3},
        {"name": "Kalle", "rows": 1},
    ]
    many = [{"name": "😀" * 40, "rows": 1}] * 1000
    kept = ci.kept_unmatched(many)
    assert 10 < len(kept) <= ci.MAX_UNMATCHED_KEPT and ci.stored_size(kept) <= ci.MAX_UNMATCHED_BYTES


def test_reasons_speak_the_owners_language():
    assert ci.reason_text("bad_phone", "sv", {"value": "12"}) == "Telefonnumret är ogiltigt: 12"
    assert ci.reason_text("no_contact", "fi").startswith("Ei puhelinnumeroa")  # older imports' summaries
    assert ci.reason_text("erased_no_contact", "fi").startswith("Tämänniminen asiakas")
    assert ci.reason_text("no_name", "de") == "The name is missing."
    # A day in the owner's words as the dashboard writes it, not ISO (stored ISO, written when shown).
    old = {"value": "2020-03-01", "years": 3}
    assert ci.reason_text("inactive_too_long", "sv", old).startswith("Senaste besöket 1.3.2020 är")
    assert ci.reason_text("inactive_too_long", "en", old).startswith("The last visit 1 Mar 2020 is")
    assert ci.reason_text("future_visit", "fi", {"value": "2026-12-24"}).startswith(
        "Käynti on tänään tai myöhemmin (24.12.2026)"
    )


def test_rows_sharing_a_phone_or_an_email_are_one_client():
    rows = [
        _row(2, "Maija", "0401234567", "", "1.10.2026", ""),
        _row(3, "Liisa", "0401111111", "liisa@example.com", "", ""),
        _row(4, "Maija M", "", "maija@example.com", "", ""),
        _row(5, "Maija", "0401234567", "maija@example.com", "2.10.2026", ""),  # joins 2 and 4
        _row(6, "Maija", "0401234567", "", "1.10.2026", ""),  # the same visit again
    ]
    groups = ci.group_rows(rows)
    assert [[r.number for r in g.rows] for g in groups] == [[2, 4, 5, 6], [3]]
    assert groups[0].phone == "+358401234567" and groups[0].email == "maija@example.com"
    assert len(groups[0].visits) == 2


def test_rows_of_a_name_alone_are_one_client_by_that_name_apart_from_those_with_contacts():
    rows = [
        _row(2, "Anna Aho", "", "", "1.9.2026", ""),
        _row(3, "Anna Aho", "0401234567", "", "", ""),  # someone with a phone: another client
        _row(4, "anna  AHO", "", "", "1.10.2026", ""),  # the same name, one row per visit
        _row(5, "Bea", "", "", "", ""),
    ]
    groups = ci.group_rows(rows)
    assert [[r.number for r in g.rows] for g in groups] == [[2, 4], [3], [5]]
    assert [g.contactless for g in groups] == [True, False, True]
    assert len(groups[0].visits) == 2


def test_ids_are_deterministic_and_look_like_ours():
    g = ci.group_rows([_row(2, "Maija", "0401234567", "", "", "")])[0]
    cid = ci.client_id_for("imp1", g, "biz1")
    assert cid == ci.client_id_for("imp1", g, "biz1") != ci.client_id_for("imp2", g, "biz1")
    # A name alone: the same id in every import of the business (imported again: merged).
    alone = ci.group_rows([_row(2, "Anna Aho", "", "", "", "")])[0]
    assert ci.client_id_for("imp1", alone, "biz1") == ci.client_id_for("imp2", alone, "biz1")
    assert ci.client_id_for("imp1", alone, "biz1") != ci.client_id_for("imp1", alone, "biz2")
    assert len(cid) == 12 and cid.isalnum() and cid.islower()
    v = ci.Visit(datetime(2026, 3, 14, 10, tzinfo=UTC), "Leikkaus")
    assert ci.visit_id_for(cid, v, "womens-cut") == ci.visit_id_for(cid, v, "womens-cut")


def test_a_chunk_round_trips_through_json():
    g = ci.group_rows([_row(2, "Maija", "0401234567", "m@example.com", "14.3.2026 10:00", "")])[0]
    back = ci.client_from_json(ci.group_to_json(g, "abc"))
    assert back.client_id == "abc" and back.rows == (2,) and back.visits == tuple(g.visits)


def test_a_notes_claim_on_her_card_is_of_her_and_its_words_not_of_the_import():
    """Two imports of one file (and a file fixed with other spaces or capitals) claim the
    same place on her card; another client's card, or other words, another place."""
    claim = ci.note_claim_for("c1", "Allergia: ammoniakki")
    assert ci.note_claim_for("c1", " allergia:  AMMONIAKKI ") == claim
    assert ci.note_claim_for("c2", "Allergia: ammoniakki") != claim
    assert ci.note_claim_for("c1", "Allergia: lateksi") != claim
    assert len(claim) == 24 and claim.isalnum()
