"""Normalizing client contacts so one person keeps one profile per business."""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from typing import Annotated, NamedTuple

from pydantic import AfterValidator, Field, ValidationInfo

DEFAULT_REGION = "FI"
# phonenumbers and email_validator are imported where a number or an address is read,
# not with the module: a booking with only an email never loads phonenumbers, and
# whatever imports this module for its types loads neither (the cold start).


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """Return E.164 ('+358401234567'); raise ValueError for anything that is not a real number."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 40:
        raise ValueError("phone number is missing or too long")
    if any(c.isalpha() for c in raw):
        # phonenumbers reads letters as a keypad's ("CALL ME") or drops one ("040 123 456a"
        # is +35840123456): another number than hers, texted. A typo is said instead.
        raise ValueError("not a phone number")
    import phonenumbers

    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_country(e164: str | None) -> str | None:
    """The ISO 3166 country of a number (phonenumbers' region), or None."""
    return _phone_facts(e164).country if e164 else None


def home_country(business_phone: str | None, timezone: str | None = None) -> str:
    """The business's own country, whose numbers it reads in their national form: its own
    phone's country, else its time zone's (a Stockholm salon whose file gave no phone read
    its clients' "070 123 45 67" as Finnish numbers), else DEFAULT_REGION (the region a
    number typed without a country code is read in)."""
    return phone_country(business_phone) or zone_country(timezone) or DEFAULT_REGION


# A country whose numbers are another's plan: Åland's are Finland's (+358 40…), shown
# and typed as Finland's.
SAME_NUMBERS = {"AX": "FI"}


def zone_country(timezone: str | None) -> str | None:
    """The ISO 3166 country of an IANA time zone (tzdata's zone.tab; an old name such as
    Europe/Kiev through its link to Europe/Kyiv), or None (UTC, Etc/GMT+3)."""
    if not timezone:
        return None
    # Its own row first (Europe/Stockholm has one, SE, though tzdata links it to Berlin's
    # rules); the links, a read of all of tzdata, only for a name with none.
    countries = _zone_countries()
    country = countries.get(timezone) or countries.get(_zone_links().get(timezone, ""))
    return SAME_NUMBERS.get(country, country) if country else None


def _tzdata(name: str) -> str:
    """A table of the tzdata package (requirements.txt), or "" without it: no zone's country
    is then known, and a business without a phone reads numbers as DEFAULT_REGION's."""
    from pathlib import Path

    try:
        import tzdata

        return (Path(tzdata.__file__).parent / "zoneinfo" / name).read_text(encoding="utf-8")
    except (ImportError, OSError):
        return ""


@cache
def _zone_countries() -> dict[str, str]:
    rows = (line.split("\t") for line in _tzdata("zone.tab").splitlines() if line and not line.startswith("#"))
    return {row[2]: row[0] for row in rows if len(row) >= 3}


@cache
def _zone_links() -> dict[str, str]:
    """Old names to the zones they link to (tzdata.zi's "L <zone> <old name>" lines)."""
    words = (line.split() for line in _tzdata("tzdata.zi").splitlines() if line.startswith("L "))
    return {w[2]: w[1] for w in words if len(w) == 3}


def example_number(home: str = DEFAULT_REGION) -> str:
    """A mobile number of `home` as its people write it (a form's example: "040 1234567"
    for Finland, "070 123 45 67" for Sweden), from phonenumbers' own examples."""
    import phonenumbers

    number = phonenumbers.example_number_for_type(home, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def phone_display(e164: str | None, home: str = DEFAULT_REGION) -> str | None:
    """A stored number as people read it: national for one of `home` ("040 1234567"),
    international otherwise ("+46 70 123 45 67"); as stored if it does not parse."""
    if not e164:
        return None
    facts = _phone_facts(e164)
    if facts.country is None:
        return e164
    return facts.national if facts.country == home else facts.international


def email_hint(email: str) -> str:
    """Her address as a page may show it to whoever holds its link: its first letter and
    its domain ("m•••@example.com"), where a typo is most often seen."""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}\u2022\u2022\u2022@{domain}"


def phone_ending(e164: str) -> str:
    """The last two digits of a number: enough for her to know it is hers."""
    return e164[-2:]


class _PhoneFacts(NamedTuple):
    country: str | None  # ISO 3166, None if it does not parse or belongs to no country
    digits: str  # the digits of its national form
    national: str  # "040 1234567"
    international: str  # "+358 40 1234567"
    mobile: bool = False  # a mobile's number (or one that may be: the US, Canada): a text reaches it


# A booking asks about its one number several times (each message's SMS, the search
# tokens); phonenumbers parses it in ~0.1 ms each time: it is parsed once per number.
@lru_cache(maxsize=1024)
def _phone_facts(phone: str) -> _PhoneFacts:
    """What is known of a number; (None, "", "", "") if it does not parse."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return _PhoneFacts(None, "", "", "")
    region = phonenumbers.region_code_for_number(parsed)
    kind = phonenumbers.number_type(parsed)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return _PhoneFacts(
        region if region and region != "ZZ" else None,
        "".join(ch for ch in national if ch.isdigit()),
        national,
        international,
        kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE),
    )


def sms_refusal(e164: str | None, countries: tuple[str, ...] | list[str]) -> str | None:
    """Why no SMS may go to this number (`sms_allowed`): no_phone, not_mobile (a landline's,
    a service number) or sms_country (outside the business's `countries`); None: it may."""
    if not e164:
        return "no_phone"
    facts = _phone_facts(e164)
    if facts.country not in set(countries):
        return "sms_country"
    return None if facts.mobile else "not_mobile"


def sms_allowed(e164: str | None, countries: tuple[str, ...] | list[str]) -> bool:
    """May an SMS go to this number: a mobile's, of one of the countries the business
    allows? Not a landline's nor a company's service number (a client's walk: a Swedish
    "070-123 45 67" typed on a Finnish salon's page is a valid Finnish service number,
    +358 70…, and its texts, the booking's link in them, went there)."""
    return sms_refusal(e164, countries) is None


def normalize_email(raw: str) -> str:
    """Validate syntax (no DNS lookups on the request path) and lower-case the whole address."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 254:
        raise ValueError("email address is missing or too long")
    from email_validator import EmailNotValidError, validate_email

    try:
        # No SMTPUTF8: the sender (notify/mime.py) writes ASCII headers, so "müller@" could
        # be taken and then never reached; a domain in any script is fine (IDNA).
        info = validate_email(raw.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as e:
        raise ValueError(str(e)) from None
    return info.normalized.lower()


# The mail domains most clients of a Nordic salon use: a domain one slip from one of them
# is most likely it, mistyped ("gmial.com"), and her confirmation would never reach her.
COMMON_MAIL_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "hotmail.com",
    "hotmail.fi",
    "hotmail.se",
    "hotmail.co.uk",
    "outlook.com",
    "outlook.fi",
    "live.com",
    "live.fi",
    "live.se",
    "msn.com",
    "yahoo.com",
    "yahoo.se",
    "icloud.com",
    "me.com",
    "luukku.com",
    "suomi24.fi",
    "kolumbus.fi",
    "elisanet.fi",
    "saunalahti.fi",
    "welho.com",
    "telia.com",
    "gmx.com",
    "protonmail.com",
    "proton.me",
)


def _one_slip(a: str, b: str) -> bool:
    """Are `a` and `b` one slip of a finger apart: a letter missing, added or changed, or
    two neighbours swapped (Damerau's distance 1)?"""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def meant_address(email: str) -> str | None:
    """The address she most likely meant, when its domain is one slip from exactly one
    common mail domain and is not one itself ("anna@gmial.com" -> "anna@gmail.com");
    None otherwise (her own company's domain is hers to know)."""
    local, _, domain = email.rpartition("@")
    d = domain.lower()
    if not local or d in COMMON_MAIL_DOMAINS:
        return None
    near = [c for c in COMMON_MAIL_DOMAINS if _one_slip(d, c)]
    return f"{local}@{near[0]}" if len(near) == 1 else None


def first_name(full_name: str) -> str:
    return (full_name or "").strip().split(" ")[0]


def same_name(a: str | None, b: str | None) -> bool:
    """Whether two names can be one person's: every word of one is a word of the other
    (an initial, "M" or "M.", the start of one), case, accents and order aside ("Maija",
    "Maija M" and "Meikäläinen Maija" are Maija Meikäläinen's; "Liisa Virtanen" and
    "Virtanen Liisa", written surname first, are not Maija Virtanen's: a family shares its
    surname). An empty name says nothing."""
    wa, wb = fold(a or "").split(), fold(b or "").split()
    return not wa or not wb or _words_in(wa, wb) or _words_in(wb, wa)


def _words_in(words: list[str], other: list[str]) -> bool:
    def found(word: str) -> bool:
        initial = word.rstrip(".")
        return word in other or (len(initial) == 1 and any(w.startswith(initial) for w in other))

    return all(found(w) for w in words)


def search_text(name: str | None, phone: str | None, email: str | None) -> str:
    """What the owner's client search matches against: the name folded (case and
    accents), the phone's digits in international and national form, the email."""
    parts = [fold(name or "")]
    if phone:
        parts.append(phone.lstrip("+"))
        parts.append(_phone_facts(phone).digits)
    if email:
        parts.append(email.lower())
    return " ".join(p for p in parts if p)


MAX_TOKEN = 100  # characters of a search token (and of a search)
NAME_TOKENS = 4  # "anna maria virtanen" is found from "anna", "maria" and "virtanen"


# A search looks in one kind of token, told by the needle: digits -> phones, an "@" ->
# emails, anything else -> names (so "ma" lists Maija once, not again for her email).
NAME, PHONE, EMAIL = "n:", "p:", "e:"


def search_tokens(name: str | None, phone: str | None, email: str | None) -> frozenset[str]:
    """What the owner's search finds a client by, each matched from its start: her folded
    name from each of its first words on ("maija meikalainen", "meikalainen"; a
    hyphenated name's parts count as words too), her
    phone's digits in international and national form, her lower-cased email."""
    folded = fold(name or "").replace("#", " ")
    tokens: set[str] = set()
    # "Anna-Lena Söderström" is found from "anna-lena" as typed and from "lena" too: each
    # part of a hyphenated name starts a token of its own.
    for words in {tuple(folded.split()), tuple(folded.replace("-", " ").split())}:
        tokens.update(NAME + " ".join(words[i:]) for i in range(min(len(words), NAME_TOKENS)))
    if phone:
        tokens.update(PHONE + p for p in search_text(None, phone, None).split() if p)
    if email:
        tokens.add(EMAIL + email.lower().replace("#", " "))
    return frozenset(t[:MAX_TOKEN] for t in tokens)


def search_prefix(needle: str) -> str:
    """The start of the tokens a needle (search_needle's form) matches."""
    kind = PHONE if needle.isdigit() else EMAIL if "@" in needle else NAME
    return (kind + needle.replace("#", " "))[:MAX_TOKEN]


def fold(text: str) -> str:
    """'Äijälä' -> 'aijala': searching ignores case and accents."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def search_needle(query: str) -> str:
    """A search query in the form search_text stores: digits only when it is a number."""
    q = query.strip()
    if q and all(ch.isdigit() or ch in "+ -()" for ch in q):
        return "".join(ch for ch in q if ch.isdigit())
    return fold(q)


# The validation context key of the region a number without its country code is read in:
# the business's own country (phone_context), not always Finland's — a Stockholm salon's
# client typing "070 123 45 67" means +46 70…, and read as +358 70… her SMS would go to
# someone else.
PHONE_REGION = "phone_region"


def phone_context(home: str) -> dict[str, str]:
    """The validation context that reads numbers as the business's own country (`home`:
    BusinessConfig.home_country) does."""
    return {PHONE_REGION: home}


def _phone(v: str | None, info: ValidationInfo) -> str | None:
    if not v:
        return None
    return normalize_phone(v, (info.context or {}).get(PHONE_REGION) or DEFAULT_REGION)


# Contact fields as clients and owners send them: normalized, or None when left empty.
Phone = Annotated[Annotated[str, Field(max_length=40)] | None, AfterValidator(_phone)]
Email = Annotated[
    Annotated[str, Field(max_length=254)] | None, AfterValidator(lambda v: normalize_email(v) if v else None)
]
