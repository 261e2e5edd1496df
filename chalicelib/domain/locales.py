"""The languages Rebook speaks, and how a request's language is chosen: one list and one
negotiation for the messages, the client pages, the dashboard and the validators."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

LOCALES: tuple[str, ...] = ("fi", "sv", "en")
DEFAULT_LOCALE = "fi"  # the first market is Finland
# English writes a month in words ("1 Mar 2020"): 1.3. reads either way round there.
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def checked(tag: str) -> str:
    """A language given as input (a client's, a business's): exactly one we speak."""
    if tag not in LOCALES:
        raise ValueError(f"must be one of {', '.join(LOCALES)}")
    return tag


# The field type of a language given as input, in every model that takes one.
Locale = Annotated[str, AfterValidator(checked)]


def supported(tag: str | None) -> str | None:
    """'fi', 'sv-FI', 'EN_gb' -> 'fi', 'sv', 'en'; a language we do not speak -> None."""
    lang = (tag or "").strip().replace("_", "-").split("-")[0].lower()
    return lang if lang in LOCALES else None


def normalize(tag: str | None) -> str:
    """A stored or configured locale as one we speak; anything else -> the default."""
    return supported(tag) or DEFAULT_LOCALE


def negotiate(requested: str | None, accept_language: str | None, default: str | None) -> str:
    """What a page speaks: ?lang= wins, then the browser's Accept-Language in the order
    the browser sent it (q-values are in that order in practice), then the business's
    own language, then Finnish."""
    chosen = supported(requested)
    if chosen:
        return chosen
    for part in (accept_language or "").split(","):
        chosen = supported(part.split(";")[0])
        if chosen:
            return chosen
    return normalize(default)
