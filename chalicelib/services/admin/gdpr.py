"""GDPR: export one client's data, erase a client, erase clients inactive for years,
and read the audit trail."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain.privacy import erase_due
from chalicelib.domain.timeutil import iso_utc
from chalicelib.domain.visits import outcome
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.jobs.budget import Budget
from chalicelib.observability import logger
from chalicelib.services.admin import feeds
from chalicelib.services.admin.common import audited, audited_after_commit, business_of, valid_id
from chalicelib.services.admin.registry import client_or_404
from chalicelib.store import audit, bookings, businesses, client_data, clients

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def export(p: Principal, client_id: str) -> dict[str, Any]:
    """Everything Rebook holds about the client (right of access, Art. 15 / portability, Art. 20)."""
    p.require("export")
    b = business_of(p)
    found = client_data.export(b.id, valid_id(client_id, "client"))
    if found is None:
        raise NotFound("No such client.")
    c = found.client
    data = {
        "format": "rebook-client-export/1",
        "exported_at": iso_utc(clock.now()),
        "business": {"name": b.config.name, "slug": b.config.slug},
        "profile": found.profile,
        "appointments": found.appointments,
        "messages": found.messages,
        "notes": found.notes,
        "follow_ups": found.follow_ups,
        "feedback": found.feedback,
        "rewards": found.rewards,
        # Where webhooks about her went (ids only; docs/webhooks.md): receivers to ask too.
        "webhook_endpoints": found.webhook_endpoints,
        "payments": found.money,
        "waitlist": found.waitlist,  # her entries, by her phone and email
        "consents": [{"granted": e.granted, "at": iso_utc(e.at), "source": e.source} for e in c.consent_log],
    }
    audited(p, "export_client", c.id)
    return data


ERASE_TRIES = 3


def erase(p: Principal, client_id: str) -> dict[str, Any]:
    """Right to erasure (Art. 17). Upcoming visits must be cancelled first: erasing
    would otherwise leave a booked time nobody can be told about."""
    p.require("erase")
    b = business_of(p)
    now = clock.now()
    # Checked, then claimed unless she was booked meanwhile (then checked again): a booking
    # made while she is erased would be a visit nobody can be told about.
    for _ in range(ERASE_TRIES):
        c = client_or_404(b, client_id)
        history = bookings.client_history(b.id, c.id)
        upcoming = [a for a in history if outcome(a, now) in ("upcoming", "in_progress")]
        if upcoming:
            raise Conflict(
                "The client has upcoming bookings; cancel them before erasing the client.",
                code="has_upcoming_bookings",
                details={"appointments": [a.id for a in upcoming]},
            )
        if client_data.claim_erasure(c, now):
            break
    else:
        raise Conflict("The client is being booked right now; try again.", code="client_busy")
    try:
        counts = client_data.erase(c, now, feeds.calendars_showing(history, now))
    except client_data.AlreadyErased:  # a second tap's erasure: hers did it, and is audited
        return {"erased": c.id, "items": {}}
    audited_after_commit(p, "erase_client", c.id, counts)
    return {"erased": c.id, "items": counts}


def audit_trail(p: Principal, params: dict[str, str]) -> dict[str, Any]:
    p.require("audit")
    b = business_of(p)
    params = params or {}
    month = params.get("month") or clock.now().astimezone(b.config.tz).strftime("%Y-%m")
    if not _MONTH.match(month):
        raise ValidationFailed("'month' looks like 2026-11.", fields={"month": "expected YYYY-MM"})
    client_id = params.get("client") or None
    entries = audit.month(b.id, month, client_id)
    return {
        "month": month,
        "entries": [
            {
                "at": iso_utc(e.at),
                "actor": e.actor,
                "role": e.role,
                "action": e.action,
                "client": e.client_id,
                "detail": e.detail,
            }
            for e in entries
        ],
    }


def erase_inactive(day: date, now: datetime, budget: Budget | None = None) -> dict[str, int]:
    """The daily job's work for one day: clients whose erasure date is `day` and who are
    still inactive by their business's current rule are erased; the others move to their
    new date. Within `budget`: a client it stops before stays in the day's index (an
    erased or postponed one leaves it), so the same day read again goes on from there."""
    summary = {"due": 0, "erased": 0, "postponed": 0, "stopped_by_budget": 0}
    for c in client_data.due_for_erasure(day.isoformat()):
        if budget is not None and not budget.fits():
            summary["stopped_by_budget"] = 1
            break
        summary["due"] += 1
        b = businesses.get_by_id(c.business_id)
        if not b or c.is_erased:
            continue
        history = bookings.client_history(b.id, c.id)
        last = max([a.end for a in history] + [c.last_activity or c.created_at, c.created_at])
        due = erase_due(last, b.config.privacy.erase_inactive_after_years)
        if due > day:  # she was active since (an upcoming visit's end counts too): later
            clients.schedule_erasure(c, due)
            summary["postponed"] += 1
            continue
        if not client_data.claim_erasure(c, now):  # booked since she was read: her new date is set
            summary["postponed"] += 1
            continue
        try:
            counts = client_data.erase(c, now, feeds.calendars_showing(history, now))
        except client_data.AlreadyErased:  # the owner erased her meanwhile
            continue
        audit.record(
            b.id, "system:erase_inactive", "system", "erase_client", c.id, now, {"reason": "inactive", **counts}
        )
        summary["erased"] += 1
    logger().info("erase_inactive finished", extra=summary)
    return summary
