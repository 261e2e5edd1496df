import pytest

from chalicelib.domain.locales import normalize as normalize_locale
from chalicelib.notify.localtime import (
    format_date,
    format_day,
    format_local,
    format_price,
    format_time,
)

START = "2026-11-24T14:00:00+02:00"  # a Tuesday


@pytest.mark.parametrize(
    "locale, expected",
    [
        ("fi", "ti 24.11. klo\u00a014.00"),
        ("sv", "tis 24.11. kl.\u00a014.00"),
        ("en", "Tue 24 Nov at\u00a014:00"),
    ],
)
def test_format_local(locale, expected):
    assert format_local(START, locale) == expected


@pytest.mark.parametrize("locale, expected", [("fi", "14.00"), ("sv", "14.00"), ("en", "14:00")])
def test_format_time(locale, expected):
    assert format_time(START, locale) == expected


@pytest.mark.parametrize(
    "locale, expected",
    [
        ("fi", "ti 24.11.2026"),
        ("sv", "tis 24.11.2026"),
        ("en", "Tue 24 Nov 2026"),
    ],
)
def test_format_date(locale, expected):
    assert format_date(START, locale) == expected


@pytest.mark.parametrize("locale, expected", [("fi", "ti 24.11."), ("sv", "tis 24.11."), ("en", "Tue 24 Nov")])
def test_format_day(locale, expected):
    assert format_day(START, locale) == expected
    assert format_day("2026-11-24", locale) == expected  # a date alone too


@pytest.mark.parametrize(
    "locale, weekdays",
    [
        ("fi", ["ma", "ti", "ke", "to", "pe", "la", "su"]),
        ("sv", ["mån", "tis", "ons", "tors", "fre", "lör", "sön"]),
        ("en", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
    ],
)
def test_weekday_abbreviations_over_a_week(locale, weekdays):
    # 2026-11-23 is a Monday.
    days = [format_date(f"2026-11-{23 + i}T09:05:00+02:00", locale).split()[0] for i in range(7)]
    assert days == weekdays


def test_the_wall_clock_in_the_string_is_kept_not_converted():
    # The string is already local time; a summer-time offset must not shift the hour.
    assert format_local("2026-07-03T09:05:00+03:00", "fi") == "pe 3.7. klo\u00a09.05"
    assert format_local("2026-07-03T09:05:00+03:00", "en") == "Fri 3 Jul at\u00a009:05"


def test_single_digit_days_and_months_are_not_padded():
    assert format_local("2027-01-01T08:30:00+02:00", "sv") == "fre 1.1. kl.\u00a08.30"


@pytest.mark.parametrize(
    "cents, locale, expected",
    [
        (6900, "fi", "69,00\u00a0€"),
        (6900, "sv", "69,00\u00a0€"),
        (6900, "en", "€69.00"),
        (4550, "fi", "45,50\u00a0€"),
        (5, "en", "€0.05"),
        (125000, "fi", "1\u00a0250,00\u00a0€"),
        (125000, "en", "€1,250.00"),
    ],
)
def test_format_price(cents, locale, expected):
    assert format_price(cents, locale) == expected


@pytest.mark.parametrize(
    "given, expected",
    [
        ("fi", "fi"),
        ("sv-FI", "sv"),
        ("sv_FI", "sv"),
        ("EN", "en"),
        ("en-GB", "en"),
        ("de", "fi"),
        ("", "fi"),
        (None, "fi"),
    ],
)
def test_normalize_locale_falls_back_to_finnish(given, expected):
    assert normalize_locale(given) == expected


def test_unknown_locale_formats_as_finnish():
    assert format_local(START, "de") == "ti 24.11. klo\u00a014.00"


def test_a_price_or_a_range_never_breaks_inside_a_price_but_an_sms_keeps_gsm7():
    from chalicelib.notify import gsm
    from chalicelib.notify.localtime import format_service_price

    shown = format_service_price(15900, "fi", 19900)
    assert shown == "159,00\u00a0€–199,00\u00a0€" and " " not in shown  # breaks after the dash, if at all
    assert " " not in format_service_price(125000, "sv") and " " not in format_service_price(14310, "fi", 19900, 1590)
    # An SMS sends them as plain spaces: GSM-7, one segment's 160 units.
    assert gsm.to_gsm7(shown) == "159,00 €-199,00 €" and gsm.gsm7_length(gsm.to_gsm7(shown)) == 19


@pytest.mark.parametrize(
    "start, end, fi, sv, en",
    [
        ("16:00", "20:00", "klo 16.00–20.00", "kl. 16.00–20.00", "16:00–20:00"),
        # Open at one end (a salon that closes at 20 read "12.00–24.00": a client's walk).
        ("12:00", "24:00", "klo 12.00 alkaen", "från kl. 12.00", "from 12:00"),
        ("00:00", "15:30", "klo 15.30 asti", "till kl. 15.30", "until 15:30"),
    ],
)
def test_a_waitlist_window_is_said_whole_and_an_open_end_as_open(start, end, fi, sv, en):
    from chalicelib.notify.localtime import format_window

    said = {loc: format_window({"start": start, "end": end}, loc).replace("\u00a0", " ") for loc in ("fi", "sv", "en")}
    assert said == {"fi": fi, "sv": sv, "en": en}
    # Her weekdays with it, in the week's order, when she chose some (not every day).
    days = {"days": ["thu", "wed"], "start": start, "end": end}
    on = {loc: format_window(days, loc).replace("\u00a0", " ") for loc in ("fi", "sv", "en")}
    assert on == {"fi": f"ke, to {fi}", "sv": f"ons, tors {sv}", "en": f"Wed, Thu {en}"}
    every = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert format_window({"days": every, "start": start, "end": end}, "en") == en
