"""Words of the client pages in fi, sv and en.

The words live in one catalogue shared with the owner dashboard:
chalicelib/strings/<locale>.json, a section per audience ("pages" here; "dashboard" and
"kpi" for /admin, which fetches them from /admin/strings/<locale>.json). This module
keeps the pages' API: STRINGS[locale] and words(locale)."""

from __future__ import annotations

import json
from pathlib import Path

from chalicelib.domain.locales import LOCALES

CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "strings"


def catalogue(locale: str) -> dict:
    """The whole catalogue of a locale: {"pages": {...}, "dashboard": {...}, "kpi": {...}}."""
    if locale not in LOCALES:
        raise KeyError(locale)
    return _CATALOGUES[locale]


def _load() -> dict[str, dict]:
    return {loc: json.loads((CATALOGUE_DIR / f"{loc}.json").read_text(encoding="utf-8")) for loc in LOCALES}


_CATALOGUES = _load()
STRINGS: dict[str, dict[str, str]] = {loc: _CATALOGUES[loc]["pages"] for loc in LOCALES}


def words(locale: str) -> dict:
    return STRINGS.get(locale, STRINGS["fi"])
