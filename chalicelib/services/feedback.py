"""The client's rating of a visit: the page a star link opens (reads only), the
submission (records, last one wins), and the owner's alert on a low score."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib import clock, links
from chalicelib.domain import kpis as kpi_rules
from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.config import Business
from chalicelib.domain.feedback import RatingIn, is_low
from chalicelib.domain.messages import PlannedMessage
from chalicelib.domain.timeutil import iso_local
from chalicelib.errors import Conflict, Gone, NotFound, ValidationFailed
from chalicelib.notify import outbox
from chalicelib.services import message_plans
from chalicelib.services.validation import fields_from
from chalicelib.store import bookings, businesses, clients
from chalicelib.store import feedback as store

NOT_RATEABLE = (Status.CANCELLED.value, Status.NO_SHOW.value)


def _visit(token: str) -> tuple[Business, Appointment]:
    claims = links.claims_or_4xx(token, "feedback", clock.now(), expired=Gone)
    b = businesses.get_by_id(claims.business_id)
    appt = bookings.get_appointment(claims.business_id, claims.subject) if b else None
    if not b or not appt:
        raise NotFound("This visit no longer exists.", key="visit_gone")
    if appt.status in NOT_RATEABLE:
        raise Conflict(
            "This visit cannot be rated: it was cancelled or missed.", code="visit_not_rateable", key="visit_missed"
        )
    if clock.now() < appt.start:
        raise Conflict("This visit has not taken place yet.", code="visit_not_rateable", key="visit_not_yet")
    return b, appt


def as_booked(locale: str) -> str:
    """The page in the language she booked in."""
    return locale


def _visit_view(b: Business, appt: Appointment, locale: Callable[[str], str]) -> dict[str, Any]:
    """The visit as the page shows it, in the language `locale` chooses given the one she
    booked in (the page's switch: her service's name follows it)."""
    cfg = b.config
    service, staff = cfg.service(appt.service_id), cfg.staff_member(appt.staff_id)
    shown = locale(appt.locale)
    return {
        "service": service.name.get(shown) if service else appt.service_id,
        "staff": staff.name if staff else "",
        "start": iso_local(appt.start, cfg.tz),
        "business": {"name": cfg.name, "slug": cfg.slug, "timezone": cfg.timezone},
        "locale": shown,
    }


def page(token: str, selected: str | None, locale: Callable[[str], str] = as_booked) -> dict[str, Any]:
    """What the star link opens. Records nothing: link scanners open every link."""
    b, appt = _visit(token)
    previous = store.get(b.id, appt.id)
    try:
        chosen = int(selected) if selected else None
    except ValueError:
        chosen = None
    if chosen is not None and not 1 <= chosen <= 5:
        chosen = None
    return {
        "visit": _visit_view(b, appt, locale),
        "selected": chosen or (previous.rating if previous else None),
        "previous": previous.rating if previous else None,
        "comment": previous.comment if previous else "",
    }


def submit(token: str, body: dict[str, Any], locale: Callable[[str], str] = as_booked) -> dict[str, Any]:
    """Record the rating (POST from the page, its form's text converted: RatingIn).
    Re-submitting updates it."""
    b, appt = _visit(token)
    from pydantic import ValidationError

    try:
        req = RatingIn.model_validate(body)
    except ValidationError as e:
        raise ValidationFailed("Choose 1 to 5 stars.", fields=fields_from(e)) from None
    rules = b.config.feedback
    now = clock.now()
    periods = kpi_rules.periods_of(appt.start.astimezone(b.config.tz).date())
    low = is_low(req.rating, rules)
    alerted = False  # the owner's alert of this visit exists (another window's rating made it)
    for _ in range(4):
        previous = store.get(b.id, appt.id)
        previous_low = previous is not None and is_low(previous.rating, rules)
        alert = _alert(b, appt, req, now) if low and not previous_low and not alerted else None
        try:
            messages = store.record(
                appt, req.rating, req.comment, now, periods, low, previous, previous_low, alert, outbox.IMMEDIATE_LEASE
            )
        except store.AlertExists:
            # Two ratings at once (a double tap, two windows): the other one is saved and
            # alerted; this one is saved over it as a change, read afresh.
            alerted = True
            continue
        except store.FeedbackChanged:
            continue
        outbox.deliver(messages, now)
        break
    else:
        raise Conflict("Your rating is being saved from another window; please try again.", code="busy")
    return _thanks(b, appt, req.rating, locale, now)


def thanks(token: str, locale: Callable[[str], str] = as_booked) -> dict[str, Any] | None:
    """The thanks for the rating she sent (the page her form's POST leads back to, at the
    visit's own address); None: no rating of this visit yet."""
    b, appt = _visit(token)
    previous = store.get(b.id, appt.id)
    return _thanks(b, appt, previous.rating, locale, clock.now()) if previous else None


def _thanks(b: Business, appt: Appointment, rating: int, locale: Callable[[str], str], now: datetime) -> dict[str, Any]:
    return {
        "visit": _visit_view(b, appt, locale),
        "rating": rating,
        # A low score went to the owner (the alert): she reads that it did.
        "told": is_low(rating, b.config.feedback),
        "review_link": b.config.review_link,
        # Book again: the same service and stylist, her details filled in (a rebook token).
        "book_next": message_plans.rebook_link(
            b, appt, now + links.REBOOK_VALID, service=appt.service_id, staff=appt.staff_id
        ),
    }


def _alert(b: Business, appt: Appointment, req: RatingIn, now: datetime) -> PlannedMessage:
    """The owner's email about a low score: the rating, the comment, the visit and
    how to reach the client."""
    client = clients.get_client(b.id, appt.client_id)
    name = client.name if client else ""
    context = message_plans.booking_context(b, appt, name)
    service = b.config.service(appt.service_id)
    if service is not None:  # in the owner's language, the alert's, not the client's
        context["service"] = {**context["service"], "name": service.name.get(b.config.owner_language)}
    context.update(
        rating=req.rating,
        comment=req.comment,
        client={"name": name, "phone": client.phone if client else None, "email": client.email if client else None},
    )
    return PlannedMessage(
        key=f"{appt.id}#feedback-alert",
        kind="feedback_alert",
        channel="email",
        recipient=b.config.owner_email,
        locale=b.config.owner_language,
        context=context,
        due_at=now,
        business_id=b.id,
        appointment_id=appt.id,
        appointment_seq=appt.seq,
        client_id=appt.client_id,
    )  # on her timeline, so erasure finds it
