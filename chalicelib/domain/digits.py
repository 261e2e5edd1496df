"""Whole numbers that arrive as text (a header, a form field, an id's tail): ASCII digits
only. `str.isdigit()` also takes "²" or "١", which `int()` then refuses, and `int()`
refuses a run of over 4 300 digits: either would be a 500 where bad input wants a 4xx."""

from __future__ import annotations


def whole_number(text: object, most_digits: int = 18) -> int | None:
    """`text` as a whole number when it is 1..most_digits ASCII digits, else None."""
    if not isinstance(text, str) or not 0 < len(text) <= most_digits:
        return None
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text)
