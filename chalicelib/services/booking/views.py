"""A booking as the client sees it (the API's answer, the confirmation and manage pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import clock, links
from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.config import Business
from chalicelib.domain.timeutil import iso_local


def named_in(view: dict[str, Any], b: Business, locale: str) -> dict[str, Any]:
    """The view with her service named in the page's language (a page opened in another
    language than she booked in: the salon names its services in each), the top of its
    price range where its price depends on the hair's length (format_price_of), and how
    long the visit takes (its start to its end, in minutes). A booking's view, or a
    waitlist offer's (the same facts: the offer's page shows them as the booking's)."""
    service = b.config.service(view["service"]["id"])
    if service is None:
        return view
    named = {**view, "service": {**view["service"], "name": service.name.get(locale)}}
    named["price_max_cents"] = service.price_max_cents
    if view.get("start") and view.get("end"):
        length = datetime.fromisoformat(view["end"]) - datetime.fromisoformat(view["start"])
        named["duration_minutes"] = int(length.total_seconds() // 60)
    return named


def booking_view(b: Business, a: Appointment) -> dict[str, Any]:
    """The visit as its booker and its link's holder see it: nothing of the client's own
    (a link goes to whoever booked, and anyone may type her number)."""
    cfg, tz = b.config, b.config.tz
    service, staff = cfg.service(a.service_id), cfg.staff_member(a.staff_id)
    token = links.manage_token(b.id, a.id, a.end)
    deadline = a.change_deadline(cfg.rules.cancellation_window_hours, cfg.rules.change_grace_minutes)
    view: dict[str, Any] = {
        "id": a.id,
        "status": a.shown_status,
        "business": {"slug": cfg.slug, "name": cfg.name},
        "service": {"id": a.service_id, "name": service.name.get(a.locale) if service else a.service_id},
        "staff": {"id": a.staff_id, "name": staff.name if staff else a.staff_id},
        "start": iso_local(a.start, tz),
        "end": iso_local(a.end, tz),
        "timezone": cfg.timezone,
        "price_cents": a.price_cents,
        "discount_cents": a.discount_cents,
        "reward": a.reward_id,
        "locale": a.locale,
        "cancellable_until": iso_local(deadline, tz),
        "can_change": a.status == Status.BOOKED.value and clock.now() < deadline,
        "manage_url": links.manage_url(token),
        "reminders": a.reminders_go,
    }
    if a.perk_not_applied:  # booked at the service's price: why her link's perk is not on it
        view["perk_not_applied"] = a.perk_not_applied
    if a.held and a.hold_until is not None:
        # Held until she clicks the link sent to her email or phone; then freed.
        view["hold_until"] = iso_local(a.hold_until, tz)
    return view
