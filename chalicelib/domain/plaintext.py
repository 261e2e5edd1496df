"""Text a person typed that others read on a line of its own — a client's name (her
messages, the calendar, the CSV export), a closed day's name, a line of a receipt — and
the longer notes about her: one rule for what such text may not hold.

Refused: the control characters (C0, DEL, C1) and the Unicode line and paragraph
separators — a line break writes a line of its own into a message, a CSV cell or a
header — and the format characters (Unicode category Cf) but the two joiners: the
zero-width joiner joins an emoji sequence (a family, a flag-like pair), the non-joiner
shapes the letters of a Persian name. The others are invisible (zero-width space,
byte-order mark, direction marks) or turn the text that follows around (U+202E, the
isolates U+2066-2069): shown, such a name is nothing, or other words than were typed.
"""

from __future__ import annotations

import re
import unicodedata

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Notes keep their lines (and tabs): the rest of CONTROL still refused.
CONTROL_IN_NOTES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
JOINERS = "\u200c\u200d"
ONE_LINE = "must be one line without control characters"
INVISIBLE = "must not hold invisible or text-direction characters"


def _format_character(c: str) -> bool:
    return unicodedata.category(c) == "Cf"


def problem(v: str, *, lines: bool = False) -> str | None:
    """What is wrong with `v` (`ONE_LINE`, `INVISIBLE`, or None: nothing); `lines`: text
    of several lines (a note), where line breaks and tabs are kept."""
    if (CONTROL_IN_NOTES if lines else CONTROL).search(v):
        return ONE_LINE if not lines else "must not contain control characters"
    seen = "".join(c for c in v if not _format_character(c)).strip()
    if any(_format_character(c) and c not in JOINERS for c in v) or (v.strip() and not seen):
        return INVISIBLE
    return None


def one_line(v: str) -> str:
    """`v` as it was sent, or a ValueError saying what it may not hold (pydantic's 422 on
    its field: the dashboard's err_one_line / err_invisible)."""
    wrong = problem(v)
    if wrong:
        raise ValueError(wrong)
    return v


def notes(v: str) -> str:
    """Text of several lines (allergies, important notes), by the same rule but its lines."""
    wrong = problem(v, lines=True)
    if wrong:
        raise ValueError(wrong)
    return v


def notes_if_any(v: str | None) -> str | None:
    """`notes` of an optional field (a booking's note, a cancellation's reason, her allergies)."""
    return notes(v) if v is not None else None
