"""A client who types their number or email differently is still one client."""

from __future__ import annotations

import pytest

from chalicelib.domain.contacts import (
    first_name,
    home_country,
    normalize_email,
    normalize_phone,
    phone_display,
    same_name,
)


@pytest.mark.parametrize(
    "raw",
    [
        "040 123 4567",
        "+358401234567",
        "0401234567",
        "+358 40 123 4567",
        "040-123 4567",
        "(040) 123 4567",
        "00358 40 123 4567",
        "  040 123 4567  ",
    ],
)
def test_finnish_mobile_numbers_in_any_format_are_one_number(raw):
    assert normalize_phone(raw) == "+358401234567"


@pytest.mark.parametrize(
    "raw", ["040 123 456a", "+358 40 CALL ME", "040 123 4567 ext 2", "040 123 4567 x2", "O40 1234567"]
)
def test_a_number_with_letters_is_a_typo_not_another_number(raw):
    """phonenumbers reads letters as a keypad's or drops one: "040 123 456a" would be
    +35840123456, texted as hers. Refused, so she is asked to check it."""
    with pytest.raises(ValueError, match="not a phone number"):
        normalize_phone(raw)


def test_finnish_landline_and_foreign_numbers():
    assert normalize_phone("09 1234 5678") == "+358912345678"
    assert normalize_phone("+46 70 123 45 67") == "+46701234567"


@pytest.mark.parametrize(
    "e164,home,shown",
    [
        ("+358401234567", "FI", "040 1234567"),  # the salon's own country: as it is read there
        ("+358912345678", "FI", "09 12345678"),
        ("+46701234567", "FI", "+46 70 123 45 67"),  # another country: internationally
        ("+358401234567", "SE", "+358 40 1234567"),
        ("+46701234567", "SE", "070-123 45 67"),
        ("+3580", "FI", "+3580"),  # not a number: as stored
        (None, "FI", None),
    ],
)
def test_a_number_is_shown_as_people_read_it(e164, home, shown):
    assert phone_display(e164, home) == shown


def test_the_business_country_is_its_own_phones_else_finland():
    assert home_country("+46 8 123 456 78") == "SE"
    assert home_country("+358 9 1234 5678") == "FI"
    assert home_country("09 1234 5678") == "FI"  # no country code: the default region
    assert home_country(None) == "FI"
    # No phone: the time zone's country (a Stockholm salon's file without one).
    assert home_country(None, "Europe/Stockholm") == "SE" and home_country(None, "Europe/Dublin") == "IE"
    assert home_country("+358 9 1234 5678", "Europe/Stockholm") == "FI"  # its phone says more
    assert home_country(None, "Etc/UTC") == "FI"  # a zone of no country
    # An old name through its link (a probe: a Kyiv salon's "Europe/Kiev" read as Finland);
    # Åland's numbers are Finland's (shown "040 1234567", not "+358 40…").
    assert home_country(None, "Europe/Kiev") == "UA" and home_country(None, "US/Eastern") == "US"
    assert home_country(None, "Europe/Mariehamn") == "FI"


def test_region_decides_how_a_local_number_is_read():
    assert normalize_phone("070 123 45 67", region="SE") == "+46701234567"


@pytest.mark.parametrize(
    "raw",
    [
        "123",
        "040 123",
        "+358 40",
        "0401234567890123",
        "abc",
        "puhelin",
        "+1 555 0100",
        "",
        "   ",
        "0" * 41,
        None,
        401234567,
    ],
)
def test_invalid_numbers_raise_value_error(raw):
    with pytest.raises(ValueError):
        normalize_phone(raw)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("Matti.Meikalainen@Example.FI", "matti.meikalainen@example.fi"),
        ("MATTI@EXAMPLE.FI", "matti@example.fi"),
        ("  matti@example.fi ", "matti@example.fi"),
        ("Matti@Esimerkki-Äijä.fi", "matti@esimerkki-äijä.fi"),  # a domain in any script (IDNA)
    ],
)
def test_emails_are_lower_cased(raw, expected):
    assert normalize_email(raw) == expected


def test_an_address_with_letters_beyond_ascii_before_the_at_sign_is_refused():
    # No sender offers SMTPUTF8: taken, it could never be written to (notify/mime.py).
    with pytest.raises(ValueError):
        normalize_email("Äijä@Esimerkki.fi")


def test_same_email_typed_differently_is_the_same_client():
    variants = {"Anna.K@Salon.FI", "anna.k@salon.fi", " ANNA.K@SALON.FI "}
    assert len({normalize_email(v) for v in variants}) == 1


@pytest.mark.parametrize(
    "raw",
    [
        "not-an-email",
        "matti@",
        "@example.fi",
        "matti meikalainen@example.fi",
        "matti@localhost",
        "matti@example..fi",
        "matti@@example.fi",
        "",
        "   ",
        "a" * 250 + "@x.fi",
        None,
        42,
    ],
)
def test_invalid_emails_raise_value_error(raw):
    with pytest.raises(ValueError):
        normalize_email(raw)


@pytest.mark.parametrize("full,first", [("Anna Korhonen", "Anna"), ("  Anna  ", "Anna"), ("", ""), (None, "")])
def test_first_name(full, first):
    assert first_name(full) == first


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Maija Meikäläinen", "maija", True),
        ("Maija Meikäläinen", "MEIKALAINEN Maija", True),
        ("Anna-Liisa Virtanen", "Anna-Liisa", True),
        ("Maija Meikäläinen", "", True),  # an empty name says nothing
        ("Liisa Virtanen", "Maija Virtanen", False),  # one family, two people
        ("Anna-Liisa Virtanen", "Liisa Virtanen", False),
        ("Maija Virtanen", "Virtanen Liisa", False),  # her daughter, surname first
        ("Virtanen Maija", "Virtanen Liisa", False),  # both surname first (a CSV import's order)
        ("Maija Virtanen", "Maija Sofia Virtanen", True),
        ("Maija Virtanen", "Maija V.", True),
        ("Maija Virtanen", "Liisa V", False),
    ],
)
def test_two_names_are_one_persons_when_the_words_of_one_are_words_of_the_other(a, b, same):
    assert same_name(a, b) is same and same_name(b, a) is same
