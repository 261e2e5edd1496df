"""Importing clients (and their past visits) from another system's CSV export: the
file's encoding and delimiter, a suggested mapping of its columns, each row read and
checked, rows of one person grouped into one client, and the plan the dry run shows.

Pure: the service (chalicelib/services/admin/imports.py) reads what exists and writes;
docs/import.md says in the owner's words what happens to each row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain import plaintext
from chalicelib.domain.config import BusinessConfig
from chalicelib.domain.contacts import DEFAULT_REGION, fold, normalize_email, normalize_phone
from chalicelib.domain.locales import MONTHS_EN
from chalicelib.domain.privacy import erase_due
from chalicelib.domain.registry import parse_birthday

MAX_ROWS = 20_000
MAX_CELL = 2_000  # characters kept of a notes cell
# The header row as stored (stored_size): the record keeps it twice (the columns, the
# mapping's keys) in DynamoDB's 400 KB an item, next to two lists of rejected rows.
MAX_HEADER_BYTES = 30_000
IGNORE = "-"
FIELDS = (
    "name",
    "first_name",
    "last_name",
    "phone",
    "email",
    "birthday",
    "notes",
    "visit_date",
    "service",
    "price",
    "staff",
    "status",
)
# A visit whose file gives no time of day is put at this local time.
VISIT_TIME_UNKNOWN = time(12, 0)
DEFAULT_VISIT_MINUTES = 60
# The service and staff id of an imported visit whose service or staff member the
# configuration does not know (the file's name for it is kept in the visit's note).
UNKNOWN = "import"
# A number as Excel writes a long one it read as a number: "3,58401E+11", "4.0123E+9".
EXCEL_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?[eE]\+?\d+$")
MAX_PRICE_CENTS = 10_000_00
# Visits of one client in one import. A client's rows travel to the run as one entry of
# a chunk item (a DynamoDB item holds 400 KB); a visit takes some 110-200 bytes there, so
# 1 000 keep her well inside a chunk (CHUNK_BYTES). That is 20 years of a visit every week;
# more is a file of one name or one shared phone on every row: the owner splits it.
MAX_VISITS_PER_CLIENT = 1_000

# Header names as the exports and spreadsheets write them (folded: lower case, no
# accents, punctuation as spaces), best first for each field.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "nimi",
        "asiakas",
        "asiakkaan nimi",
        "koko nimi",
        "namn",
        "kund",
        "kundens namn",
        "fullstandigt namn",
        "name",
        "full name",
        "client",
        "client name",
        "customer",
        "customer name",
    ),
    "first_name": ("etunimi", "fornamn", "first name", "firstname", "given name"),
    "last_name": ("sukunimi", "efternamn", "last name", "lastname", "surname", "family name"),
    "phone": (
        "matkapuhelin",
        "matkapuhelinnumero",
        "mobiili",
        "mobiilinumero",
        "kannykka",
        "puhelin",
        "puhelinnumero",
        "puhelin nro",
        "gsm",
        "puh",
        "mobil",
        "mobilnummer",
        "mobiltelefon",
        "telefon",
        "telefonnummer",
        "mobile",
        "mobile number",
        "mobile phone",
        "phone",
        "phone number",
        "telephone",
        "tel",
        "cell",
    ),
    "email": (
        "sahkoposti",
        "sahkopostiosoite",
        "e post",
        "epost",
        "e postadress",
        "mejl",
        "email",
        "e mail",
        "email address",
        "e mail address",
    ),
    "birthday": (
        "syntymapaiva",
        "syntymaaika",
        "syntymapvm",
        "fodelsedag",
        "fodelsedatum",
        "birthday",
        "date of birth",
        "birth date",
        "birthdate",
        "dob",
    ),
    "notes": (
        "muistiinpanot",
        "lisatiedot",
        "huomiot",
        "huomautukset",
        "kommentti",
        "anteckningar",
        "kommentar",
        "notes",
        "note",
        "client notes",
        "comments",
        "comment",
    ),
    "visit_date": (
        "kayntipaiva",
        "kaynti",
        "varausaika",
        "varauksen aika",
        "aika",
        "paivamaara",
        "pvm",
        "viimeisin kaynti",
        "besoksdatum",
        "datum",
        "tid",
        "senaste besok",
        "visit date",
        "appointment date",
        "scheduled date",
        "start time",
        "date",
        "last visit",
        "last appointment",
    ),
    "service": ("palvelu", "palvelun nimi", "tjanst", "behandling", "service", "service name", "treatment"),
    "price": ("hinta", "summa", "pris", "belopp", "price", "amount", "total", "total price"),
    "staff": (
        "tyontekija",
        "tekija",
        "kampaaja",
        "henkilokunta",
        "personal",
        "anstalld",
        "frisor",
        "staff",
        "staff member",
        "team member",
        "employee",
        "stylist",
    ),
    "status": ("tila", "status", "appointment status"),
}
# A visit whose status says it did not take place is not imported (the client still is).
NOT_VISITED = (
    "peruttu",
    "peruutettu",
    "ei saapunut",
    "ei tullut",
    "avbokad",
    "avbokat",
    "installd",
    "uteblev",
    "cancelled",
    "canceled",
    "no show",
    "noshow",
    "did not show",
)

# Why a row was rejected, in the owner's language ({...}: the row's own details).
REASONS: dict[str, dict[str, str]] = {
    "no_name": {
        "fi": "Nimi puuttuu.",
        "sv": "Namn saknas.",
        "en": "The name is missing.",
    },
    # Imports before name-only rows were taken said this (their summaries are kept 30 days).
    "no_contact": {
        "fi": "Ei puhelinnumeroa eikä sähköpostia: asiakas tarvitsee jommankumman.",
        "sv": "Varken telefonnummer eller e-post: kunden behöver det ena.",
        "en": "No phone number or email: a client needs one of them.",
    },
    "erased_no_contact": {
        "fi": "Tämänniminen asiakas ilman yhteystietoja on poistettu: lisää puhelinnumero tai sähköposti.",
        "sv": "En kund med detta namn utan kontaktuppgifter har raderats: lägg till telefonnummer eller e-post.",
        "en": "A client of this name with no contact was erased: add a phone number or email.",
    },
    "bad_phone": {
        "fi": "Puhelinnumero ei kelpaa: {value}",
        "sv": "Telefonnumret är ogiltigt: {value}",
        "en": "The phone number is not valid: {value}",
    },
    # Excel opened the file and wrote the number as a number ("3,58401E+11"): its last
    # digits are gone, and only a new export with the column as text brings them back.
    "excel_phone": {
        "fi": "Puhelinnumero ei kelpaa: {value}. Excel on muuttanut sen luvuksi, ja numeron loppu on kadonnut: "
        "muotoile sarake tekstiksi ja vie tiedosto uudelleen.",
        "sv": "Telefonnumret är ogiltigt: {value}. Excel har gjort om det till ett tal och slutet av numret har "
        "gått förlorat: formatera kolumnen som text och exportera filen igen.",
        "en": "The phone number is not valid: {value}. Excel turned it into a number and its last digits are lost: "
        "format the column as text and export the file again.",
    },
    "bad_email": {
        "fi": "Sähköpostiosoite ei kelpaa: {value}",
        "sv": "E-postadressen är ogiltig: {value}",
        "en": "The email address is not valid: {value}",
    },
    "bad_birthday": {
        "fi": "Syntymäpäivä ei kelpaa: {value} (esim. 14.3.1985 tai 1985-03-14)",
        "sv": "Födelsedagen är ogiltig: {value} (t.ex. 14.3.1985 eller 1985-03-14)",
        "en": "The birthday is not valid: {value} (e.g. 14.3.1985 or 1985-03-14)",
    },
    "bad_date": {
        "fi": "Käynnin päivämäärä ei kelpaa: {value} (esim. 14.3.2026 10:00)",
        "sv": "Besöksdatumet är ogiltigt: {value} (t.ex. 14.3.2026 10:00)",
        "en": "The visit date is not valid: {value} (e.g. 14.3.2026 10:00)",
    },
    # Imports before 5 Dec 2026 rejected a row of a visit booked ahead (their summaries are
    # kept 30 days); now her row goes in and the dry run lists the visit (FutureVisit).
    "future_visit": {
        "fi": "Käynti on tänään tai myöhemmin ({value}): vain menneet käynnit tuodaan.",
        "sv": "Besöket är i dag eller senare ({value}): bara tidigare besök importeras.",
        "en": "The visit is today or later ({value}): only past visits are imported.",
    },
    "bad_price": {
        "fi": "Hinta ei kelpaa: {value}",
        "sv": "Priset är ogiltigt: {value}",
        "en": "The price is not valid: {value}",
    },
    "too_long": {
        "fi": "Nimi on liian pitkä (enintään 100 merkkiä).",
        "sv": "Namnet är för långt (högst 100 tecken).",
        "en": "The name is too long (at most 100 characters).",
    },
    "contact_in_use": {
        "fi": "Puhelinnumero tai sähköposti on jo toisella asiakkaalla, jota ei voitu yhdistää.",
        "sv": "Telefonnumret eller e-posten tillhör redan en annan kund som inte kunde slås ihop.",
        "en": "The phone number or email belongs to another client it could not be merged with.",
    },
    "inactive_too_long": {
        "fi": "Viimeisin käynti {value} on yli {years} vuoden takaa: asiakastiedot poistettaisiin heti (tietosuoja-asetus).",
        "sv": "Senaste besöket {value} är över {years} år sedan: uppgifterna skulle raderas direkt (dataskydd).",
        "en": "The last visit {value} is over {years} years ago: the client would be erased at once (privacy setting).",
    },
    # A row that goes in without one of its fields (LeftOut): the value is not valid, the
    # client is imported all the same (she has a phone or an email that works).
    "birthday_left_out": {
        "fi": "Tuotu ilman syntymäpäivää: {value} ei ole päivämäärä (esim. 14.3.1985 tai 1985-03-14).",
        "sv": "Importerad utan födelsedag: {value} är inget datum (t.ex. 14.3.1985 eller 1985-03-14).",
        "en": "Imported without the birthday: {value} is not a date (e.g. 14.3.1985 or 1985-03-14).",
    },
    "email_left_out": {
        "fi": "Tuotu ilman sähköpostiosoitetta: {value} ei ole kelvollinen sähköpostiosoite.",
        "sv": "Importerad utan e-postadress: {value} är ingen giltig e-postadress.",
        "en": "Imported without the email address: {value} is not a valid email address.",
    },
    "phone_left_out": {
        "fi": "Tuotu ilman puhelinnumeroa: {value} ei ole kelvollinen numero.",
        "sv": "Importerad utan telefonnummer: {value} är inget giltigt nummer.",
        "en": "Imported without the phone number: {value} is not a valid number.",
    },
    # Rows of one client (same phone, email, or name with neither) too many for one import.
    "too_many_visits": {
        "fi": "Tällä asiakkaalla on tiedostossa {count} käyntiä; yksi tuonti ottaa enintään {max} käyntiä asiakasta kohden: jaa hänen rivinsä useaan tiedostoon ja tuo ne peräkkäin.",
        "sv": "Kunden har {count} besök i filen; en import tar högst {max} besök per kund: dela hennes rader i flera filer och importera dem efter varandra.",
        "en": "This client has {count} visits in the file; one import takes at most {max} visits per client: split her rows into several files and import them one after the other.",
    },
    "client_too_big": {
        "fi": "Tämän asiakkaan rivit ovat liian suuret yhteen tuontiin (käynnit, muistiinpanot ja nimet yli {kb} kt): jaa hänen rivinsä useaan tiedostoon ja tuo ne peräkkäin.",
        "sv": "Kundens rader är för stora för en import (besök, anteckningar och namn över {kb} kB): dela hennes rader i flera filer och importera dem efter varandra.",
        "en": "This client's rows are too big for one import (her visits, notes and names take over {kb} KB): split her rows into several files and import them one after the other.",
    },
}


# Reasons whose {value} is a day, stored ISO: written as the owner's file and dashboard
# write a day when shown ("1.3.2020"; "1 Mar 2020" in English), not "2020-03-01".
DAY_VALUES = ("inactive_too_long", "future_visit")


def day_text(value: str, locale: str) -> str:
    """An ISO day as the dashboard writes it in `locale` (i18n.js day()); anything else as it is."""
    try:
        d = date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
    except ValueError:
        d = None
    if d is None:
        return value
    return f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}" if locale == "en" else f"{d.day}.{d.month}.{d.year}"


def reason_text(code: str, locale: str, params: Mapping[str, Any] | None = None) -> str:
    texts = REASONS.get(code) or {"en": code}
    lang = locale if locale in texts else "en"
    template = texts.get(lang) or code
    values = dict(params or {})
    if code in DAY_VALUES and isinstance(values.get("value"), str):
        values["value"] = day_text(values["value"], lang)
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template


# --- the file ----------------------------------------------------------------------------
class FileError(ValueError):
    """The file as a whole cannot be read (the message says why; `code` for the owner
    API's error, `line` where in the file, when one line is to blame)."""

    def __init__(self, message: str, code: str = "bad_file", line: int | None = None) -> None:
        super().__init__(message)
        self.code, self.line = code, line


def decode(data: bytes) -> tuple[str, str]:
    """The text of an uploaded file and the encoding it was in: a byte-order mark
    decides (UTF-8, UTF-16 as Excel's "Unicode text"), then UTF-8 if the bytes are
    valid UTF-8, else Windows-1252 (Excel's "CSV" on a Finnish or Swedish Windows)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(text: str) -> str:
    """';' (Excel in Finland and Sweden), ',' or a tab: the one that splits the header
    line (outside quotes) into the most columns; ',' when nothing splits it."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    best, most = ",", 1
    for candidate in (";", ",", "\t"):
        try:
            columns = len(next(csv.reader([header], delimiter=candidate)))
        except (csv.Error, StopIteration):
            continue
        if columns > most:
            best, most = candidate, columns
    return best


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (row number as a spreadsheet shows it, cells)
    delimiter: str


def read_table(text: str, delimiter: str | None = None, max_rows: int = MAX_ROWS) -> Table:
    """The header and the rows (blank rows skipped). Row numbers count the header as
    row 1, as a spreadsheet shows them. FileError for no header, no rows, too many rows
    or broken quoting."""
    text = text.lstrip("\ufeff")
    delim = delimiter or sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=False)
    headers: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[str, ...]]] = []
    last_line = 0
    try:
        for record in reader:
            first_line, last_line = last_line + 1, reader.line_num
            cells = tuple(c.strip() for c in record)
            if not any(cells):
                continue
            if headers is None:
                headers = _unique_headers(cells)
                if stored_size(headers) > MAX_HEADER_BYTES:
                    raise FileError("The first row is too long for column names; is it the header row?")
                continue
            if last_line > first_line and _holds_rows(record, delim, len(headers)):
                raise FileError(
                    f'A quotation mark (") opened on line {first_line} is never closed, so the lines after it'
                    f" up to line {last_line} would be read into one cell. Remove the stray quotation mark"
                    " or close it, and upload the file again.",
                    code="unclosed_quote",
                    line=first_line,
                )
            rows.append((reader.line_num, cells))
            if len(rows) > max_rows:
                raise FileError(
                    f"The file has more than {max_rows} rows; split it into smaller files.", code="too_many_rows"
                )
    except csv.Error as e:
        raise FileError(f"Line {reader.line_num} cannot be read: {e}.") from None
    if headers is None:
        raise FileError("The file is empty.")
    if not rows:
        raise FileError("The file has a header row but no clients under it.")
    return Table(headers, tuple(rows), delim)


def _holds_rows(record: Sequence[str], delimiter: str, columns: int) -> bool:
    """A cell that spans lines of which one splits into a whole row of its own: a quote
    opened in a note ("Toivoo lyhyempää) and never closed reads the rows after it into
    that cell, where a note written on several lines holds lines of words."""
    if columns < 2:
        return False
    for cell in record:
        for line in cell.splitlines()[1:]:
            if len(next(csv.reader([line], delimiter=delimiter), [])) == columns:
                return True
    return False


def _unique_headers(cells: Sequence[str]) -> tuple[str, ...]:
    """Header names as written, made unique (a second "Phone" is "Phone (2)"), a blank
    one named by its position."""
    seen: dict[str, int] = {}
    out = []
    for n, cell in enumerate(cells, 1):
        name = cell or f"column {n}"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return tuple(out)


def _header_key(header: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(header)).split())


def suggest_mapping(headers: Iterable[str]) -> dict[str, str]:
    """Each column -> the field its header names (fi/sv/en), or IGNORE. A field goes to
    the column whose header is its best-ranked name; first and last name only when no
    column holds the whole name."""
    headers = list(headers)
    ranks: list[tuple[int, int, str, str]] = []  # (rank, position, header, field)
    for pos, header in enumerate(headers):
        key = _header_key(header)
        for fld, names in SYNONYMS.items():
            if key in names:
                ranks.append((names.index(key), pos, header, fld))
    mapping = dict.fromkeys(headers, IGNORE)
    taken: set[str] = set()
    for _, _, header, fld in sorted(ranks):
        if fld in taken or mapping[header] != IGNORE:
            continue
        mapping[header] = fld
        taken.add(fld)
    if "name" in taken:
        for header, fld in mapping.items():
            if fld in ("first_name", "last_name"):
                mapping[header] = IGNORE
    return mapping


def mapping_errors(mapping: Mapping[str, Any], headers: Sequence[str]) -> dict[str, str]:
    """What is wrong with a mapping, keyed "mapping.<column>" (or "mapping")."""
    errors: dict[str, str] = {}
    used: dict[str, str] = {}
    for column, fld in mapping.items():
        if column not in headers:
            errors[f"mapping.{column}"] = "no such column in the file"
        elif not isinstance(fld, str) or (fld not in FIELDS and fld != IGNORE):
            errors[f"mapping.{column}"] = f"must be one of {', '.join(FIELDS)} or '-'"
        elif fld != IGNORE and fld in used:
            errors[f"mapping.{column}"] = f"'{fld}' is already the column '{used[fld]}'"
        elif fld != IGNORE:
            used[fld] = column
    if not errors:
        if not ({"name", "first_name", "last_name"} & set(used)):
            errors["mapping"] = "choose the column with the client's name (or first and last name)"
        elif not ({"phone", "email"} & set(used)):
            errors["mapping"] = "choose the column with the phone number or the email address"
    return errors


# --- one row -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Visit:
    start: datetime  # UTC
    service: str | None = None  # as the file names it
    staff: str | None = None
    price_cents: int | None = None
    time_known: bool = True


@dataclass(frozen=True)
class Row:
    number: int
    name: str
    phone: str | None
    email: str | None
    birthday: str | None = None
    notes: str | None = None
    visit: Visit | None = None
    visit_skipped: bool = False  # its status says the visit did not take place
    future: FutureVisit | None = None  # a visit today or later: not imported, listed
    left_out: tuple[LeftOut, ...] = ()  # fields not valid, the row imported without them


@dataclass(frozen=True)
class LeftOut:
    """A field of a row that goes in without it, its value not valid: a birthday that is
    not a date, or a phone or an email when the row has the other one that works. The
    client is imported; the dry run and the result list the row apart from the rejected
    ones, naming the field and the value."""

    row: int
    field: str  # birthday | email | phone
    value: str  # as the file writes it (_short)
    name: str | None = None  # the client's, as the row writes it

    @property
    def code(self) -> str:
        return f"{self.field}_left_out"

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "name": _short(self.name) if self.name else None,
            "field": self.field,
            "code": self.code,
            "params": {"value": self.value},
        }


@dataclass(frozen=True)
class FutureVisit:
    """A visit on the import's day or later: only past visits are imported, so it is left
    out (her row still is imported) and the dry run lists it for the owner to book at the
    desk. The day and time as the business's wall clock; names as the file writes them."""

    row: int
    day: date
    at: time | None  # None: the file gives no time of day
    service: str | None = None
    staff: str | None = None
    name: str | None = None  # the client's, as the row writes it (the list says who to book)

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "name": _short(self.name) if self.name else None,
            "date": self.day.isoformat(),
            "time": self.at.strftime("%H:%M") if self.at else None,
            "service": _short(self.service) if self.service else None,
            "staff": _short(self.staff) if self.staff else None,
        }


@dataclass(frozen=True)
class Rejected:
    row: int
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    name: str | None = None  # the client's, as the row writes it (none when it has no name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "name": _short(self.name) if self.name else None,
            "code": self.code,
            "params": dict(self.params),
        }


def columns_of(headers: Sequence[str], mapping: Mapping[str, str]) -> dict[str, int]:
    """Field -> the position of its column, from a (checked) mapping."""
    return {fld: pos for pos, header in enumerate(headers) if (fld := mapping.get(header, IGNORE)) != IGNORE}


def _short(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "..."


# "040 123 4567 (koti)": a note in words an export keeps with the number ("(040)" is its area code).
_NOTE_ON_NUMBER = re.compile(r"\([^()]*[^\W\d_][^()]*\)")


def parse_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """A phone as the exports write it: any format normalize_phone takes (a national one
    in the business's country, `region`), or the digits with the country code but without
    the '+' (a spreadsheet drops it); a note in brackets beside it ("(koti)") left out.
    Letters elsewhere are a typo, refused (normalize_phone)."""
    raw = " ".join(_NOTE_ON_NUMBER.sub(" ", raw).split()) or raw
    raw = _whole_excel_number(raw) or raw
    try:
        return normalize_phone(raw, region)
    except ValueError:
        digits = "".join(ch for ch in raw if ch.isdigit())
        if raw.strip().startswith("00") or len(digits) < 10:
            raise
        return normalize_phone("+" + digits)


def _whole_excel_number(raw: str) -> str | None:
    """The digits of a number Excel wrote in its own notation, when every one of them is
    there ("3,58401231102E+11": 358401231102); None when it dropped some ("3,58401E+11",
    the owner is told to format the column as text: excel_phone) or it is no such number."""
    if not EXCEL_NUMBER.match(raw.strip()):
        return None
    mantissa, exponent = re.split(r"[eE]\+?", raw.strip())
    whole, _, fraction = mantissa.replace(",", ".").partition(".")
    digits = whole + fraction
    return digits if len(digits) == int(exponent) + 1 else None


# A file has the same phone or email on many rows (one row per visit): read each once.
_phone = lru_cache(maxsize=65536)(parse_phone)
_email = lru_cache(maxsize=65536)(normalize_email)

_MONTHS = {
    m: n
    for n, names in enumerate(
        (
            ("jan", "january", "tammi", "tammikuu"),
            ("feb", "february", "helmi", "helmikuu"),
            ("mar", "march", "mars", "maalis", "maaliskuu"),
            ("apr", "april", "huhti", "huhtikuu"),
            ("may", "maj", "touko", "toukokuu"),
            ("jun", "june", "juni", "kesa", "kesakuu"),
            ("jul", "july", "juli", "heina", "heinakuu"),
            ("aug", "august", "augusti", "elo", "elokuu"),
            ("sep", "sept", "september", "syys", "syyskuu"),
            ("oct", "october", "okt", "oktober", "loka", "lokakuu"),
            ("nov", "november", "marras", "marraskuu"),
            ("dec", "december", "joulu", "joulukuu"),
        ),
        1,
    )
    for m in names
}
_TIME = r"(?:[ t,]+(?:klo\s*|kl\.?\s*|at\s*)?(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:\.\d+)?)?)?"
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + r"\s*(z|[+-]\d{2}:?\d{2})?$")
_DMY = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})" + _TIME + r"$")
_NAMED = re.compile(r"^(?:[a-z]+,?\s+)?(\d{1,2})\.?\s+([a-z]+)\.?,?\s+(\d{4})" + _TIME + r"$")
_NAMED_US = re.compile(r"^(?:[a-z]+,?\s+)?([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})" + _TIME + r"$")


def parse_when(raw: str) -> tuple[date, time | None, str | None]:
    """A date, with its time of day and UTC offset when written: 2026-03-14, 2026-03-14
    10:00[:00][+02:00], 14.3.2026 [klo] 10.00, 14/03/2026 10:00 (day first), 14 Mar 2026,
    Mar 14, 2026 10:00, 14. maaliskuuta 2026. ValueError otherwise."""
    text = fold(raw).replace("\u00a0", " ").strip()
    text = re.sub(r"(ta|kuuta)\b", "", text)  # "maaliskuuta" -> "maalis"
    for pattern, order in ((_ISO, "ymd"), (_DMY, "dmy"), (_NAMED, "dMy"), (_NAMED_US, "Mdy")):
        m = pattern.match(text)
        if not m:
            continue
        g = m.groups()
        parts = dict(zip(order, g[:3], strict=True))
        if "M" in parts:
            month = _MONTHS.get(parts["M"])
            if month is None:
                raise ValueError("unknown month")
            parts["m"] = str(month)
        day = date(int(parts["y"]), int(parts["m"]), int(parts["d"]))
        at = time(int(g[3]), int(g[4]), int(g[5] or 0)) if g[3] is not None else None
        offset = g[6] if pattern is _ISO else None
        return day, at, offset
    raise ValueError("not a date")


def parse_birthday_cell(raw: str) -> str:
    """'1985-03-14', '14.3.1985', '14.3.' (year unknown), '--03-14', '14 Mar 1985' ->
    'YYYY-MM-DD' or '--MM-DD'."""
    text = raw.strip()
    try:
        return parse_birthday(text)  # the forms an owner types in the dashboard too
    except ValueError:
        pass
    day, _, _ = parse_when(text)
    return parse_birthday(day.isoformat())


def parse_price(raw: str) -> int:
    """'45', '45,50', '45.50 €', '€1,234.50', '1 234,50', 'EUR 45' -> cents."""
    text = re.sub(r"(?i)eur|€|\s|\u00a0", "", raw)
    if not re.match(r"^\d[\d.,]*$", text):
        raise ValueError("not a price")
    last = max(text.rfind(","), text.rfind("."))
    if last >= 0 and len(text) - last - 1 in (1, 2):
        whole, frac = text[:last], text[last + 1 :]
    else:
        whole, frac = text, ""
    whole = whole.replace(",", "").replace(".", "")
    cents = int(whole or "0") * 100 + int((frac + "00")[:2])
    if cents > MAX_PRICE_CENTS:
        raise ValueError("too large")
    return cents


def _visit_start(raw: str, tz: ZoneInfo) -> tuple[datetime, bool]:
    day, at, offset = parse_when(raw)
    if offset:
        stamp = f"{day.isoformat()}T{(at or VISIT_TIME_UNKNOWN).isoformat()}{'+00:00' if offset == 'z' else offset}"
        return datetime.fromisoformat(stamp).astimezone(UTC), True
    local = datetime.combine(day, at or VISIT_TIME_UNKNOWN, tzinfo=tz)
    return local.astimezone(UTC), at is not None


def parse_row(
    number: int,
    cells: Sequence[str],
    columns: Mapping[str, int],
    tz: ZoneInfo,
    today: date,
    region: str = DEFAULT_REGION,
) -> Row | Rejected:
    """One row read with the mapping (columns_of): a Row, or why it is rejected (the
    first problem). `region`: the business's country, its phone numbers' national form."""

    def get(fld: str) -> str:
        pos = columns.get(fld)
        return cells[pos].strip() if pos is not None and pos < len(cells) else ""

    # Text by the rule every other way in keeps (domain/plaintext.py), made so rather than
    # refused: an old system's export may hold a stray control or text-direction character,
    # and the row is worth more than it (a name that reads backwards is a spoof, though).
    name = " ".join(get("name").split()) or " ".join(f"{get('first_name')} {get('last_name')}".split())
    name = " ".join(plaintext.without_refused(name).split())
    if not name:
        return Rejected(number, "no_name")
    if len(name) > 100:
        return Rejected(number, "too_long", name=name)
    # A name alone is a client with no contact, as the front desk books one (ClientIn in
    # the context DESK): she is sent nothing and found by her name.
    # A phone or an email that is not valid is left out when the other one works (the row
    # goes in, the owner is told: LeftOut); with neither that works the row is refused.
    raw_phone, raw_email = get("phone"), get("email")
    phone = email = None
    left_out: list[LeftOut] = []
    bad: list[Rejected] = []
    if raw_phone:
        try:
            phone = _phone(raw_phone, region)
        except ValueError:
            code = "excel_phone" if EXCEL_NUMBER.match(raw_phone.strip()) else "bad_phone"
            bad.append(Rejected(number, code, {"value": _short(raw_phone)}, name))
            left_out.append(LeftOut(number, "phone", _short(raw_phone), name))
    if raw_email:
        try:
            email = _email(raw_email)
        except ValueError:
            bad.append(Rejected(number, "bad_email", {"value": _short(raw_email)}, name))
            left_out.append(LeftOut(number, "email", _short(raw_email), name))
    if bad and phone is None and email is None:
        return bad[0]
    birthday = None
    if get("birthday"):
        try:
            birthday = parse_birthday_cell(get("birthday"))
        except ValueError:
            left_out.append(LeftOut(number, "birthday", _short(get("birthday")), name))
    visit, skipped, future = None, False, None
    if get("visit_date"):
        if fold(get("status")) in NOT_VISITED:
            skipped = True
        else:
            try:
                start, time_known = _visit_start(get("visit_date"), tz)
            except ValueError:
                return Rejected(number, "bad_date", {"value": _short(get("visit_date"))}, name)
            local = start.astimezone(tz)
            if local.date() >= today:  # booked ahead: she is imported, the visit listed to book
                at = local.time().replace(second=0, microsecond=0) if time_known else None
                future = FutureVisit(number, local.date(), at, get("service") or None, get("staff") or None, name)
            else:
                price = None
                if get("price"):
                    try:
                        price = parse_price(get("price"))
                    except ValueError:
                        return Rejected(number, "bad_price", {"value": _short(get("price"))}, name)
                visit = Visit(start, get("service") or None, get("staff") or None, price, time_known)
    notes = plaintext.without_refused(get("notes"), lines=True)[:MAX_CELL].strip() or None
    return Row(number, name, phone, email, birthday, notes, visit, skipped, future, tuple(left_out))


# --- rows of one person, grouped ----------------------------------------------------------------
@dataclass
class Group:
    """One client-to-be: every row with the same phone or email as another in the group."""

    rows: list[Row]

    @property
    def first(self) -> Row:
        return self.rows[0]

    @property
    def phone(self) -> str | None:
        return next((r.phone for r in self.rows if r.phone), None)

    @property
    def email(self) -> str | None:
        return next((r.email for r in self.rows if r.email), None)

    @property
    def contactless(self) -> bool:
        """Rows of a name with no phone nor email: a client with no contact."""
        return self.phone is None and self.email is None

    @property
    def visits(self) -> list[Visit]:
        """Its visits, oldest first; the same visit written twice counts once."""
        seen: dict[tuple[datetime, str], Visit] = {}
        for r in self.rows:
            if r.visit:
                seen.setdefault((r.visit.start, fold(r.visit.service or "")), r.visit)
        return sorted(seen.values(), key=lambda v: v.start)

    @property
    def booked_ahead(self) -> bool:
        """A row of hers is a visit today or later (FutureVisit): she is a client now."""
        return any(r.future for r in self.rows)


def group_rows(rows: Sequence[Row]) -> list[Group]:
    """Rows that share a phone or an email (directly or through other rows) are one
    client, and rows with neither of the same name; groups in the order of their first row."""
    parent = list(range(len(rows)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, r in enumerate(rows):
        # Rows with no contact are one client by the same name (one row per visit).
        alone = None if r.phone or r.email else f"n:{fold(r.name)}"
        for contact in (f"p:{r.phone}" if r.phone else None, f"e:{r.email}" if r.email else None, alone):
            if contact is None:
                continue
            if contact in owner:
                a, b = root(owner[contact]), root(i)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                owner[contact] = i
    groups: dict[int, list[Row]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(root(i), []).append(r)
    return [Group(members) for _, members in sorted(groups.items())]


def stable_id(*parts: str, length: int = 12) -> str:
    """A deterministic id in the alphabet of chalicelib.domain.ids: a re-run of a chunk
    writes the same client, visit and note ids, so it never duplicates them."""
    digest = int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:16], "big")
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    for _ in range(length):
        digest, k = divmod(digest, 36)
        out.append(alphabet[k])
    return "".join(out)


def client_id_for(import_id: str, group: Group, business_id: str) -> str:
    """A new client's id: of the import and her first row; with no contact, of her name
    alone, the same in every import of the business (nothing else tells her again:
    importing the file again merges into her, not a second client of the name)."""
    if group.contactless:
        return stable_id("import-client-name", business_id, fold(group.first.name))
    return stable_id("import-client", import_id, str(group.first.number))


def visit_id_for(client_id: str, visit: Visit, service_id: str) -> str:
    """The same visit of the same client is one appointment, in this import or a later
    one of the same file."""
    return stable_id("import-visit", client_id, visit.start.isoformat(), service_id, fold(visit.service or ""))


def note_id_for(client_id: str, text: str) -> str:
    return stable_id("import-note", client_id, text)


def note_key(text: str) -> str:
    """A note as an import compares it with the notes on her card: its words, spaces and
    letter case aside. A note of the file whose key her card has already (whoever wrote
    it, this import or an earlier one) is not added again."""
    return " ".join(text.split()).casefold()


def note_claim_for(client_id: str, text: str) -> str:
    """Where an import's note claims its place on her card: of her id and the note's
    words (note_key), not of the import nor its time, so two imports of one file running
    at the same moment, or a chunk done again, put the note on her card once, whichever
    comes first (store/imports.py put_notes). Longer than an id: a claim that two
    different notes shared would keep the second off her card."""
    return stable_id("import-note-claim", client_id, note_key(text), length=24)


def distinct_notes(texts: Iterable[str]) -> list[str]:
    """Each note once (note_key), as first written, in order."""
    out: dict[str, str] = {}
    for text in texts:
        out.setdefault(note_key(text), text)
    return list(out.values())


def inactive_too_long(group: Group | ImportedClient, years: int, today: date) -> date | None:
    """The local day of her last visit, when it is so long ago that a new client would be
    due for automatic erasure already; never for one booked ahead (a visit of hers in the
    file is today or later): she is a client now, however long ago her last visit was.
    The dry run and the run ask the same."""
    visits = group.visits
    if not visits or group.booked_ahead:
        return None
    last = visits[-1].start
    return last.date() if erase_due(last, years) <= today else None


# --- the business's names for services and staff ------------------------------------------------
class Names:
    """The business's services and staff by the names a file may use: a service by its id
    or its name in any language, a staff member by id, full name or first name (case
    and accents ignored)."""

    def __init__(self, cfg: BusinessConfig) -> None:
        self._services: dict[str, str] = {}
        for s in cfg.services:
            for n in (s.id, s.name.fi, s.name.sv, s.name.en):
                if n:
                    self._services.setdefault(fold(n), s.id)
        self._staff: dict[str, str] = {}
        for m in cfg.staff:
            for n in (m.id, m.name, m.name.split(" ")[0]):
                self._staff.setdefault(fold(n), m.id)

    def service(self, raw: str | None) -> str | None:
        return self._services.get(fold(raw)) if raw else None

    def staff(self, raw: str | None) -> str | None:
        return self._staff.get(fold(raw)) if raw else None


def unmatched(raws: Iterable[str | None], known: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """The file's names (of services, or of staff) that `known` matches to none of the
    business's: each name once, as first written (case and accents ignored, as matching
    ignores them), with how many `rows` name it; most rows first. Its visits are kept
    under UNKNOWN, the name in their note."""
    found: dict[str, dict[str, Any]] = {}
    for raw in raws:
        if raw and known(raw) is None:
            found.setdefault(fold(raw), {"name": _short(raw), "rows": 0})["rows"] += 1
    return sorted(found.values(), key=lambda e: (-e["rows"], fold(e["name"])))


def kept_unmatched(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The unmatched names the dry run lists, as far as MAX_UNMATCHED_KEPT and
    MAX_UNMATCHED_BYTES as stored; it counts them all."""
    return kept_within((), entries, MAX_UNMATCHED_KEPT, MAX_UNMATCHED_BYTES)


def match_service(cfg: BusinessConfig, raw: str | None) -> str | None:
    return Names(cfg).service(raw)


def match_staff(cfg: BusinessConfig, raw: str | None) -> str | None:
    return Names(cfg).staff(raw)


# --- serialised for the chunks ---------------------------------------------------------------
def group_to_json(group: Group, client_id: str) -> dict[str, Any]:
    return {
        "cid": client_id,
        "rows": [r.number for r in group.rows],
        "name": group.first.name,
        "phone": group.phone,
        "email": group.email,
        "birthday": next((r.birthday for r in group.rows if r.birthday), None),
        "notes": distinct_notes(r.notes for r in group.rows if r.notes),
        "visits": [
            {
                "start": v.start.isoformat(),
                "service": v.service,
                "staff": v.staff,
                "price": v.price_cents,
                "time": v.time_known,
            }
            for v in group.visits
        ],
        "ahead": group.booked_ahead,
    }


@dataclass(frozen=True)
class ImportedClient:
    """A group as a chunk stores it and the job reads it back."""

    client_id: str  # the id she gets if she is new
    rows: tuple[int, ...]
    name: str
    phone: str | None
    email: str | None
    birthday: str | None
    notes: tuple[str, ...]
    visits: tuple[Visit, ...]
    booked_ahead: bool = False  # a visit of hers in the file is today or later (Group.booked_ahead)

    @property
    def contactless(self) -> bool:
        return self.phone is None and self.email is None


def client_from_json(data: Mapping[str, Any]) -> ImportedClient:
    return ImportedClient(
        client_id=str(data["cid"]),
        rows=tuple(int(n) for n in data["rows"]),
        name=str(data["name"]),
        phone=data.get("phone"),
        email=data.get("email"),
        birthday=data.get("birthday"),
        notes=tuple(str(n) for n in data.get("notes") or ()),
        visits=tuple(
            Visit(
                start=datetime.fromisoformat(v["start"]),
                service=v.get("service"),
                staff=v.get("staff"),
                price_cents=v.get("price"),
                time_known=bool(v.get("time", True)),
            )
            for v in data.get("visits") or ()
        ),
        booked_ahead=bool(data.get("ahead")),
    )


def visit_minutes(cfg: BusinessConfig, service_id: str | None) -> int:
    service = cfg.service(service_id) if service_id else None
    return service.duration_minutes if service else DEFAULT_VISIT_MINUTES


def visit_end(cfg: BusinessConfig, visit: Visit, service_id: str | None) -> datetime:
    return visit.start + timedelta(minutes=visit_minutes(cfg, service_id))


# --- what the store keeps and writes ------------------------------------------------------
class Status:
    PREVIEWED = "previewed"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


MAX_REJECTED_KEPT = 500  # rejected rows listed; the total is counted beyond
# ... and at most this many bytes of them as stored (stored_size): the record item holds
# the list twice (the dry run's and the run's) in DynamoDB's 400 KB, and a row quotes its
# bad value (40 characters, an emoji 12 bytes as stored).
MAX_REJECTED_BYTES = 100_000
# Visits booked ahead (today or later) the dry run lists for the owner to book at the
# desk: the record holds the list once, next to the rejected rows'.
MAX_FUTURE_KEPT = 500
MAX_FUTURE_BYTES = 40_000
# Service and staff names of the file that match none of the business's, each list.
MAX_UNMATCHED_KEPT = 100
MAX_UNMATCHED_BYTES = 15_000
# Rows that go in without a field (LeftOut), listed in the dry run: the record holds it once.
MAX_LEFT_OUT_KEPT = 500
MAX_LEFT_OUT_BYTES = 30_000


def stored_size(value: Any) -> int:
    """Bytes of `value` as the store writes it, which is what DynamoDB's 400 KB an item
    counts: the record's and the chunks' JSON attributes are pynamodb's JSONAttribute,
    json.dumps with its defaults. Its ensure_ascii writes "ä" as \\u00e4 (6 bytes) and an
    emoji as two of them (12), so characters or UTF-8 bytes undercount Finnish text."""
    return len(json.dumps(value).encode())


def kept_within(
    kept: Iterable[Mapping[str, Any]], more: Iterable[Mapping[str, Any]], count: int, size_bytes: int
) -> list[dict[str, Any]]:
    """A list the record keeps: the entries kept so far, then more of them while they
    number at most `count` and take at most `size_bytes` as stored (stored_size)."""
    out = [dict(r) for r in kept]
    size = stored_size(out)
    for entry in more:
        if len(out) >= count:
            break
        size += stored_size(entry) + 2  # ", " between entries
        if size > size_bytes:
            break
        out.append(dict(entry))
    return out


def kept_rejected(kept: Iterable[Mapping[str, Any]], more: Iterable[Rejected]) -> list[dict[str, Any]]:
    """The rejected rows the record lists: those kept so far, then more of them while
    they number at most MAX_REJECTED_KEPT and take at most MAX_REJECTED_BYTES as stored."""
    return kept_within(kept, (r.as_dict() for r in more), MAX_REJECTED_KEPT, MAX_REJECTED_BYTES)


def kept_left_out(fields: Iterable[LeftOut]) -> list[dict[str, Any]]:
    """The rows that go in without a field the dry run lists (LeftOut.as_dict), by row, as
    far as MAX_LEFT_OUT_KEPT and MAX_LEFT_OUT_BYTES as stored; it counts them all."""
    entries = (f.as_dict() for f in sorted(fields, key=lambda f: f.row))
    return kept_within((), entries, MAX_LEFT_OUT_KEPT, MAX_LEFT_OUT_BYTES)


def kept_future(visits: Iterable[FutureVisit]) -> list[dict[str, Any]]:
    """The future visits the dry run lists (FutureVisit.as_dict), by row, as far as
    MAX_FUTURE_KEPT and MAX_FUTURE_BYTES as stored; the dry run counts them all."""
    entries = (v.as_dict() for v in sorted(visits, key=lambda v: v.row))
    return kept_within((), entries, MAX_FUTURE_KEPT, MAX_FUTURE_BYTES)


@dataclass(frozen=True)
class ImportRecord:
    """One upload: what the file was, what the dry run counted, and how far the run is."""

    business_id: str
    id: str
    status: str
    created_at: datetime
    created_by: str
    file: Mapping[str, Any]  # encoding, delimiter, columns, mapping, stamps
    dry_run: Mapping[str, Any]
    total_rows: int  # data rows in the file
    chunks: int
    chunks_done: int = 0
    done_rows: int = 0  # rows processed, the rejected ones included
    created: int = 0
    merged: int = 0
    visits: int = 0
    contactless: int = 0  # of those created, clients with no contact (a name alone)
    notes: int = 0  # notes added to cards (none that a card had already: note_key)
    rejected: tuple[Mapping[str, Any], ...] = ()  # Rejected.as_dict(), the first MAX_REJECTED_KEPT
    rejected_total: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    lease_until: datetime | None = None
    failures: int = 0

    @property
    def stamps(self) -> bool:
        return bool(self.file.get("stamps"))


@dataclass(frozen=True)
class ChunkResult:
    created: int = 0
    merged: int = 0
    visits: int = 0
    contactless: int = 0  # of those created, clients with no contact
    notes: int = 0  # notes added to cards
    rows: int = 0  # rows of the chunk, rejected ones included
    rejected: tuple[Rejected, ...] = ()


@dataclass(frozen=True)
class NewClient:
    """A client an import creates, with the figures of her imported visits."""

    business_id: str
    client_id: str
    name: str
    phone: str | None
    email: str | None
    locale: str
    birthday: str | None
    last_activity: datetime
    erase_on: date
    visits: int = 0
    spend_cents: int = 0
    stamps: int = 0
    last_visit: datetime | None = None
    rhythm: float | None = None
    at_risk_on: date | None = None
    lapsed_on: date | None = None


@dataclass(frozen=True)
class Merge:
    """What an import adds to a client who exists: contacts she lacks (and nobody else
    has), a birthday she lacks, her latest activity if the import's is later."""

    business_id: str
    client_id: str
    name: str  # hers, as stored: the search text keeps it
    phone: str | None  # hers, as stored
    email: str | None
    add_phone: str | None  # the file's, when she has none and nobody else has it
    add_email: str | None
    birthday: str | None  # set only when she has none
    last_activity: datetime | None  # set only when later than hers
    erase_on: date | None
