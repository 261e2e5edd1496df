"""When a client who stopped visiting is erased automatically."""

from __future__ import annotations

from datetime import date, datetime


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February in a common year
        return d.replace(year=d.year + years, day=28)


def erase_due(last_activity: datetime, years: int) -> date:
    """The day a client inactive since `last_activity` becomes due for erasure."""
    return add_years(last_activity.date(), years)
