"""GSM 03.38 (GSM-7): what fits in one SMS segment of 160 units.

One character outside the GSM-7 alphabet switches the whole SMS to UCS-2, where a
segment holds only 70 characters, so texts go through `to_gsm7` before they are sent.
"""

from __future__ import annotations

import unicodedata

# The default alphabet, in code-point order (0x1B, the escape to the extension
# table, is left out).
BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# Extension table: each is sent as ESC + char, so it costs two units.
EXTENSION = frozenset("\f^{}\\[~]|€")

SMS_UNITS = 160

# Look-alikes for characters people (and word processors) type that GSM-7 lacks.
_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "`": "'",
    "´": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "«": '"',
    "»": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "-",
    "·": ".",
    "\u00a0": " ",
    "\u2007": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\t": " ",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\ufeff": "",
    "\u00ad": "",
    "ç": "Ç",  # GSM-7 has only the capital; phones show it fine in names
    "œ": "oe",
    "Œ": "OE",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "Th",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ı": "i",
}


def is_gsm7(text: str) -> bool:
    return all(c in BASIC or c in EXTENSION for c in text)


def char_units(c: str) -> int:
    if c in BASIC:
        return 1
    if c in EXTENSION:
        return 2
    raise ValueError(f"not a GSM-7 character: U+{ord(c):04X}")


def gsm7_length(text: str) -> int:
    """Units the text takes in GSM-7; extension characters count 2.

    Raises ValueError for a character outside GSM-7 (run `to_gsm7` first).
    """
    return sum(char_units(c) for c in text)


def _replace(c: str) -> str:
    if c in BASIC or c in EXTENSION:
        return c
    if c in _REPLACEMENTS:
        return _REPLACEMENTS[c]
    # Accented letters (š, ž, õ, á, ...): drop the accent if the base letter is GSM-7.
    base = "".join(ch for ch in unicodedata.normalize("NFKD", c) if not unicodedata.combining(ch))
    if base and is_gsm7(base):
        return base
    return "?"


def to_gsm7(text: str) -> str:
    """The text with every non-GSM-7 character replaced by a look-alike (or '?')."""
    return "".join(_replace(c) for c in text)


def truncate_gsm7(text: str, units: int) -> str:
    """The longest prefix of a GSM-7 text that takes at most `units` units."""
    used = 0
    for i, c in enumerate(text):
        used += char_units(c)
        if used > units:
            return text[:i]
    return text
