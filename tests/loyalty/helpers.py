"""Visits that happen: book ahead, let the visit end, run the after-visit job."""

from __future__ import annotations

import quopri
from datetime import UTC, datetime, timedelta

from tests.api.helpers import book
from tests.conftest import sent_emails

# Thursdays at noon in Helsinki, a week apart.
THURSDAYS = tuple(
    f"{d}T12:00:00+02:00"
    for d in ("2026-11-26", "2026-12-03", "2026-12-10", "2026-12-17", "2027-01-07", "2027-01-14", "2027-01-21")
)


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC)


def run_job(name: str, when: datetime) -> dict:
    from chalicelib.jobs.schedule import JOBS

    return JOBS[name].run(when)


def booked_ahead(client, frozen_now, start: str, **kw) -> dict:
    frozen_now["now"] = at(start) - timedelta(days=3)
    status, body = book(client, start, **kw)
    assert status == 201, body
    return body


def after(frozen_now, start: str) -> datetime:
    """Two hours after the visit, with the after-visit job run."""
    frozen_now["now"] = at(start) + timedelta(hours=2)
    run_job("visits_ended", frozen_now["now"])
    return frozen_now["now"]


def visit(client, frozen_now, start: str, **kw) -> dict:
    body = booked_ahead(client, frozen_now, start, **kw)
    after(frozen_now, start)
    return body


def emails_to(address: str, containing: str = "") -> list[str]:
    out = []
    for m in sent_emails():
        if address in str(m.destinations):
            text = quopri.decodestring(m.raw_data.encode()).decode("utf-8", "replace")
            if containing in text:
                out.append(text)
    return out


def set_programme(**changes) -> None:
    """Change the demo business's loyalty / referrals settings."""
    from chalicelib.store import businesses

    cfg = businesses.get_by_slug("demo").config
    update = {k: getattr(cfg, k).model_copy(update=v) for k, v in changes.items()}
    businesses.save_config(cfg.model_copy(update=update))
