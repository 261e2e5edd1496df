"""Dates, times and prices written the way people of each locale write them.

Inputs are ISO 8601 strings already in the business's local time (with offset), so
nothing here converts time zones: the wall clock in the string is what the client sees.
A small table instead of Babel keeps the Lambda package and cold start small.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.domain.config import WEEKDAYS
from chalicelib.domain.locales import MONTHS_EN, normalize

_WEEKDAYS = {
    "fi": ("ma", "ti", "ke", "to", "pe", "la", "su"),
    "sv": ("mån", "tis", "ons", "tors", "fre", "lör", "sön"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def _parse(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def format_time(iso: str | datetime, locale: str) -> str:
    """fi/sv '9.00', '14.00', en '09:00', '14:00'."""
    t = _parse(iso)
    return clock_text(t.hour, t.minute, locale)


def clock_text(hour: int, minute: int, locale: str) -> str:
    """A time of day as each language writes it, as the dashboard shows it too (Intl's
    short time): fi/sv '9.00' (no leading zero, Kielitoimisto's rule), en '09:00'."""
    if normalize(locale) == "en":
        return f"{hour:02d}:{minute:02d}"
    return f"{hour}.{minute:02d}"


def format_window(window: Mapping[str, Any], locale: str) -> str:
    """A time-of-day window ({"start": "HH:MM", "end": "HH:MM"}, "24:00" the day's end: a
    waitlist entry's) as format_time writes times, whole: fi 'klo 9.00–15.00', sv 'kl.
    9.00–15.00', en '09:00–15:00'; open at one end, said so ('klo 12.00 alkaen', 'från kl.
    12.00', 'from 12:00'; 'until 15:00'), not '12.00–24.00' of a salon that closes at 20."""
    (sh, sm), (eh, em) = ((int(p) for p in str(window[k]).split(":")) for k in ("start", "end"))
    start, end, loc = clock_text(sh, sm, locale), clock_text(eh, em, locale), normalize(locale)
    # Her weekdays, when she chose some ("ke, to klo 16.00–20.00"): not every day.
    days = [d for d in WEEKDAYS if d in (window.get("days") or ())]
    on = (
        ", ".join(_WEEKDAYS.get(loc, _WEEKDAYS["en"])[WEEKDAYS.index(d)] for d in days) + " "
        if 0 < len(days) < 7
        else ""
    )
    if (eh, em) == (24, 0) and (sh, sm) != (0, 0):
        return on + {"fi": f"klo{NBSP}{start} alkaen", "sv": f"från kl.{NBSP}{start}"}.get(loc, f"from {start}")
    if (sh, sm) == (0, 0) and (eh, em) != (24, 0):
        return on + {"fi": f"klo{NBSP}{end} asti", "sv": f"till kl.{NBSP}{end}"}.get(loc, f"until {end}")
    word = {"fi": "klo", "sv": "kl."}.get(loc)
    return on + (f"{word}{NBSP}{start}–{end}" if word else f"{start}–{end}")


def format_date_span(span: tuple[str, str], locale: str, short: bool = False) -> str:
    """Days from first to last (ISO dates): fi 'ti 8.12.2026 – to 10.12.2026', one day once
    ('ti 8.12.2026'); `short` (an SMS) without the year: 'ti 8.12.-to 10.12.'."""
    first, last = span
    write = format_day if short else format_date
    if first == last:
        return write(first, locale)
    return f"{write(first, locale)}{'-' if short else ' – '}{write(last, locale)}"


def format_date(iso: str | datetime, locale: str) -> str:
    """fi 'ti 24.11.2026', sv 'tis 24.11.2026', en 'Tue 24 Nov 2026': the day, then its year."""
    d = _parse(iso)
    return f"{format_day(d, locale)}{' ' if normalize(locale) == 'en' else ''}{d.year}"


def format_day(iso: str | datetime, locale: str) -> str:
    """Weekday, day and month without the year (an SMS about the near future).

    fi 'ti 24.11.', sv 'tis 24.11.', en 'Tue 24 Nov'.
    """
    loc = normalize(locale)
    d = _parse(iso)
    wd = _WEEKDAYS[loc][d.weekday()]
    if loc == "en":
        return f"{wd} {d.day} {MONTHS_EN[d.month - 1]}"
    return f"{wd} {d.day}.{d.month}."


def format_local(iso_local: str | datetime, locale: str) -> str:
    """Weekday, day, month and time without the year (messages are about the near future).

    fi 'ti 24.11. klo 14.00', sv 'tis 24.11. kl. 14.00', en 'Tue 24 Nov at 14:00'. The word
    and the time are joined by a no-break space (NBSP): 'klo' never ends a line with '14.00'
    on the next, on a phone or in an email. An SMS sends it as a plain space (GSM-7 kept).
    """
    loc = normalize(locale)
    d = _parse(iso_local)
    word = {"fi": "klo", "sv": "kl."}.get(loc, "at")
    return f"{format_day(d, loc)} {word}{NBSP}{format_time(d, loc)}"


# Between a number and its unit ('69,00 €', '50 %') and a word and the time it names
# ('klo 14.00'): never broken across lines.
NBSP = "\u00a0"


def with_counts(text: str, **values: object) -> str:
    """A sentence of the strings with its values filled in (str.format), each whole number
    joined to the word after it by a no-break space: '(24 hours before)', 'alle 24
    tunnin', '15 minuutin ajan', '24 timmar' never end a line with the number and put the
    unit on the next. The one way the cancellation policy's sentences are filled in
    (pages/views.py change_policy, services/payments/pay.py terms_text); an SMS sends the
    space as a plain one (notify/gsm.py to_gsm7: GSM-7 kept)."""
    counts = {k for k, v in values.items() if isinstance(v, int) and not isinstance(v, bool)}
    joined = re.sub(r"\{(\w+)\} (?=\w)", lambda m: m.group(0)[:-1] + NBSP if m.group(1) in counts else m.group(0), text)
    return joined.format(**values)


def format_price(cents: int, locale: str) -> str:
    """fi/sv '69,00 €', en '€69.00'; thousands grouped ('1 250,00 €', '€1,250.00'). The
    spaces are no-break spaces (NBSP): a price is never split across lines on a narrow
    phone. An SMS sends them as plain spaces (notify/gsm.py to_gsm7: GSM-7 kept)."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(int(cents)), 100)
    if normalize(locale) == "en":
        return f"{sign}€{euros:,}.{rest:02d}"
    # Finnish and Swedish group thousands with a space and use a decimal comma.
    grouped = f"{euros:,}".replace(",", NBSP)
    return f"{sign}{grouped},{rest:02d}{NBSP}€"


def format_service_price(cents: int, locale: str, max_cents: int | None = None, discount_cents: int = 0) -> str:
    """A service's price as she reads it, the one way of every page and message: a fixed
    price '69,00 €'; a price by the hair's length (Service.price_max_cents) its range
    '159,00 €–199,00 €' (no-break spaces: it breaks, if it must, after the dash only). `cents` is the lowest she pays (a booking's price_cents, after its
    discount); a booking of such a service with a discount reads 'alkaen 143,10 €' (sv
    'från', en 'from'): the desk sets the final price and takes the discount off it."""
    if max_cents is None or max_cents <= cents + discount_cents:
        return format_price(cents, locale)
    if discount_cents:
        word = {"fi": "alkaen", "sv": "från"}.get(normalize(locale), "from")
        return f"{word}{NBSP}{format_price(cents, locale)}"
    return f"{format_price(cents, locale)}–{format_price(max_cents, locale)}"


def format_price_of(item: Mapping[str, Any], locale: str) -> str:
    """format_service_price of a service's or a booking's view: its price_cents, and its
    price_max_cents and discount_cents where it has them."""
    return format_service_price(
        item["price_cents"], locale, item.get("price_max_cents"), item.get("discount_cents") or 0
    )


# The formatters every template reads, under one name each: the pages pass the locale
# (`start|when(locale)`), the messages take it from their context (notify/render.py).
TEMPLATE_FILTERS = {
    "when": format_local,
    "date": format_date,
    "day": format_day,
    "time": format_time,
    "window": format_window,
    "date_span": format_date_span,
    "day_span": lambda span, locale: format_date_span(span, locale, short=True),
    "price": format_price,
    "service_price": format_price_of,
}
