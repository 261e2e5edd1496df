"""A day sent in a request body: the text "YYYY-MM-DD" only (pydantic alone would also
take the number 0 as 1 January 1970), and a day a business can mean."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

from chalicelib.domain.timeutil import FIRST_DAY, LAST_DAY, within_days_kept


def _text(v: object) -> object:
    if not isinstance(v, str) or len(v) != 10:
        raise ValueError("expected YYYY-MM-DD")
    return v


def _kept(d: date) -> date:
    if not within_days_kept(d):
        raise ValueError(f"a day from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}")
    return d


IsoDay = Annotated[date, BeforeValidator(_text), AfterValidator(_kept)]
