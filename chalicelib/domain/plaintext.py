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
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, ValidationInfo

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


def without_refused(v: str, *, lines: bool = False) -> str:
    """`v` with what the rule refuses taken out: shown back to someone whose text was
    refused, to check and send again (she cannot see an invisible character to remove it)."""
    v = (CONTROL_IN_NOTES if lines else CONTROL).sub("", v)
    return "".join(c for c in v if not _format_character(c) or c in JOINERS)


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


# An input's field by the rule: a line of it (a name, a reason), or notes of several lines.
OneLine = Annotated[str, AfterValidator(one_line)]
Notes = Annotated[str, AfterValidator(notes)]

# The validation context's key saying that the text comes from a person now (the owner's
# settings, a business file loaded), not from storage: a configuration stored before a
# rule was kept stays readable, and what is typed from now on keeps it.
TYPED = "typed"


def _when_typed(check: Callable[[str], str]) -> AfterValidator:
    def checked(v: str, info: ValidationInfo) -> str:
        return check(v) if (info.context or {}).get(TYPED) else v

    return AfterValidator(checked)


# A name or a short text of the owner's configuration (a service's, a staff member's, the
# business's own): one line, nothing invisible, when typed.
TypedLine = Annotated[str, _when_typed(one_line)]
# A few sentences of it (the booking page's introduction): its lines kept.
TypedLines = Annotated[str, _when_typed(notes)]
