"""Suspected floods for the owner: the phones, emails and client IPs a limit of the public
booking refused (chalicelib/services/booking/guard.py), with the bookings they made that
still hold time, and the release of those times in one action — every such booking
cancelled without a message to anyone, each cancellation audited."""

from __future__ import annotations

import re
from typing import Any

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.config import Business
from chalicelib.domain.limits import Meter
from chalicelib.domain.timeutil import iso_local
from chalicelib.errors import NotFound, RebookError, ValidationFailed
from chalicelib.services.admin.common import audited, audited_after_commit, business_of
from chalicelib.services.booking import changes
from chalicelib.store import bookings, clients
from chalicelib.store import limits as meters

_FLOOD_ID = re.compile(r"^(phone|email|ip)\.([0-9a-f]{32})$")
RELEASE_REASON = "Released by the salon: suspected fake bookings"


def _id(m: Meter) -> str:
    return f"{m.kind}.{m.subject}"


def _holding(b: Business, m: Meter) -> list[Appointment]:
    """The meter's bookings that are still booked and still to come, soonest first."""
    now = clock.now()
    found = bookings.get_appointments(b.id, list(m.entries))
    return sorted((a for a in found if a.status == Status.BOOKED.value and a.end > now), key=lambda a: a.start)


def _view(b: Business, m: Meter) -> dict[str, Any]:
    holding = _holding(b, m)
    names = clients.get_clients(b.id, {a.client_id for a in holding})
    return {
        "id": _id(m),
        # What kind of subject; never the contact or address (the meter keeps only a hash).
        "kind": m.kind,
        "refused": m.refused,
        "flagged_at": iso_local(m.flagged_at, b.config.tz) if m.flagged_at else None,
        "bookings_made": len(m.entries),
        "holding": [
            {
                "id": a.id,
                "start": iso_local(a.start, b.config.tz),
                "service": a.service_id,
                "staff": a.staff_id,
                "client": {"id": a.client_id, "name": names[a.client_id].name if a.client_id in names else None},
                "source": a.source,
            }
            for a in holding
        ],
    }


def list_floods(p: Principal) -> dict[str, Any]:
    """GET /admin/floods: the suspected floods, most refused first."""
    p.require("settings")
    b = business_of(p)
    found = sorted(meters.flagged(b.id), key=lambda m: (-m.refused, m.kind))
    audited(p, "read_floods", None, {"count": len(found)})
    return {"floods": [_view(b, m) for m in found]}


def release(p: Principal, flood_id: str) -> dict[str, Any]:
    """POST /admin/floods/{id}/release: cancel every booking of the flood that still holds
    time, telling nobody; each cancellation is audited; the flood leaves the list."""
    p.require("settings")
    b = business_of(p)
    match = _FLOOD_ID.match(flood_id or "")
    if not match:
        raise ValidationFailed("Not a flood's id.", fields={"id": "invalid"})
    m = meters.get(b.id, match.group(1), match.group(2))
    if m is None:
        raise NotFound("No such flood (it may have expired).")
    released, kept = [], []
    for a in _holding(b, m):
        try:
            changes.cancel(b, a, RELEASE_REASON, notify=False)
        except RebookError as e:  # changed meanwhile (moved, marked): left as it is
            kept.append({"id": a.id, "code": e.code})
            continue
        released.append(a.id)
        audited_after_commit(p, "release_flood", a.client_id, {"appointment": a.id, "flood": m.kind})
    meters.unflag(m)
    return {"id": _id(m), "released": released, "kept": kept}
