"""When a client who stopped visiting is erased automatically."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February in a common year
        return d.replace(year=d.year + years, day=28)


def erase_due(last_activity: datetime, years: int) -> date:
    """The day a client inactive since `last_activity` becomes due for erasure."""
    return add_years(last_activity.date(), years)


@dataclass(frozen=True)
class AuditEntry:
    """Who (user, role) read, changed, exported or erased which client's data, and when;
    `detail` names fields and ids, never their values."""

    business_id: str
    at: datetime
    actor: str
    role: str
    action: str
    client_id: str | None = None
    detail: dict[str, Any] | None = None
