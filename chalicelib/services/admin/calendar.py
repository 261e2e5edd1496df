"""The front desk: the calendar by day or week per staff member, phone bookings, and
marking visits arrived, completed or no-show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain.booking import Appointment, CancelIn, Status
from chalicelib.domain.clients import Client
from chalicelib.domain.config import Business
from chalicelib.domain.registry import VisitMark
from chalicelib.domain.timeutil import iso_local, local_wall_to_utc
from chalicelib.domain.visits import mark_problem, outcome
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.services import retention
from chalicelib.services.admin.common import audited, business_of, parse, parse_date, today, valid_id
from chalicelib.services.booking import book, changes
from chalicelib.store import bookings as store
from chalicelib.store import clients, visits


def appointment_view(b: Business, a: Appointment, client: Client | None = None) -> dict[str, Any]:
    cfg, tz = b.config, b.config.tz
    service, staff = cfg.service(a.service_id), cfg.staff_member(a.staff_id)
    view: dict[str, Any] = {
        "id": a.id,
        "status": a.status,
        "outcome": outcome(a, clock.now()),
        "start": iso_local(a.start, tz),
        "end": iso_local(a.end, tz),
        "service": {"id": a.service_id, "name": service.name.get(cfg.locale) if service else a.service_id},
        "staff": {"id": a.staff_id, "name": staff.name if staff else a.staff_id},
        "price_cents": a.price_cents,
        "source": a.source,
        "note": a.note,
        "client": {"id": a.client_id},
    }
    if client is not None:
        view["client"].update(
            name=client.name,
            phone=client.phone,
            email=client.email,
            allergies=client.allergies,
            important_notes=client.important_notes,
        )
    return view


def calendar(p: Principal, params: dict[str, str]) -> dict[str, Any]:
    """Appointments of a day or of the week (Mon-Sun) around `date`, per staff member."""
    b = business_of(p)
    cfg = b.config
    params = params or {}
    day = parse_date(params.get("date"), "date", default=today(b))
    view = params.get("view") or "day"
    if view not in ("day", "week"):
        raise ValidationFailed("'view' is day or week.", fields={"view": "expected day or week"})
    first = day - timedelta(days=day.weekday()) if view == "week" else day
    last = first + timedelta(days=7 if view == "week" else 1)
    staff = [m for m in cfg.staff if not params.get("staff") or m.id == params["staff"]]
    if params.get("staff") and not staff:
        raise ValidationFailed("No such staff member.", fields={"staff": "unknown staff"})
    appts = store.list_appointments(b.id, local_wall_to_utc(first, 0, cfg.tz), local_wall_to_utc(last, 0, cfg.tz))
    wanted = {m.id for m in staff}
    appts = [a for a in appts if a.staff_id in wanted]
    people = clients.get_clients(b.id, {a.client_id for a in appts})
    audited(p, "read_calendar", None, {"from": first.isoformat(), "view": view})
    return {
        "view": view,
        "from": first.isoformat(),
        "to": (last - timedelta(days=1)).isoformat(),
        "timezone": cfg.timezone,
        "staff": [
            {
                "id": m.id,
                "name": m.name,
                "appointments": [appointment_view(b, a, people.get(a.client_id)) for a in appts if a.staff_id == m.id],
            }
            for m in staff
        ],
    }


def _appointment(b: Business, appointment_id: str) -> Appointment:
    a = store.get_appointment(b.id, valid_id(appointment_id, "appointment"))
    if not a:
        raise NotFound("No such appointment.")
    return a


def get_appointment(p: Principal, appointment_id: str) -> dict[str, Any]:
    b = business_of(p)
    a = _appointment(b, appointment_id)
    client = clients.get_client(b.id, a.client_id)
    audited(p, "read_appointment", a.client_id, {"appointment": a.id})
    return appointment_view(b, a, client)


def book_for_client(p: Principal, body: object, idempotency_key: str | None) -> tuple[int, dict[str, Any]]:
    """A phone booking: the public booking rules and the same double-booking guarantee;
    the client is given by contact details or as an existing `client_id`."""
    b = business_of(p)
    if isinstance(body, dict) and "client_id" in body:
        body = dict(body)
        client = clients.get_client(b.id, valid_id(body.pop("client_id"), "client"))
        if not client or client.is_erased:
            raise NotFound("No such client.")
        if not (client.phone or client.email):
            raise ValidationFailed(
                "The client has no phone or email to confirm the booking to.",
                fields={"client_id": "no contact details"},
            )
        body["client"] = {
            k: v
            for k, v in {
                "name": client.name,
                "phone": client.phone,
                "email": client.email,
                "locale": client.locale,
            }.items()
            if v
        }
        # A booking can grant marketing consent, never withdraw it; a phone call about a
        # time is not a new consent, so by default nothing is recorded.
        body.setdefault("consents", {"marketing": False})
    status, view = book.book(b, body, idempotency_key, source="phone")
    appt = store.get_appointment(b.id, view["id"])
    audited(p, "book_for_client", appt.client_id if appt else None, {"appointment": view["id"]})
    return status, view


def mark_visit(p: Principal, appointment_id: str, body: object) -> dict[str, Any]:
    b = business_of(p)
    req: VisitMark = parse(VisitMark, body, "visit mark")
    a = _appointment(b, appointment_id)
    problem = mark_problem(a, req.status, clock.now())
    if problem:
        raise Conflict(f"Cannot mark this visit {req.status.replace('_', '-')}: {problem}.", code="invalid_mark")
    if a.status != req.status:
        try:
            visits.mark(a, req.status, clock.now())
        except store.StaleAppointment:
            raise Conflict(
                "The appointment changed meanwhile; reload and try again.", code="appointment_changed"
            ) from None
        a = _appointment(b, a.id)
        if req.status != "arrived":
            # Visits, rhythm and the stamp card follow the mark now, not at the next job run.
            retention.refresh_client(b.id, a.client_id, clock.now())
    audited(p, "mark_visit", a.client_id, {"appointment": a.id, "status": req.status})
    return appointment_view(b, a, clients.get_client(b.id, a.client_id))


def cancel_visit(p: Principal, appointment_id: str, body: object) -> dict[str, Any]:
    """The front desk cancels a booking (the client called): no cancellation window,
    the client is told as when she cancels herself."""
    b = business_of(p)
    req: CancelIn = parse(CancelIn, body if body is not None else {}, "cancellation")
    a = _appointment(b, appointment_id)
    if a.status != Status.CANCELLED.value:
        if a.status != Status.BOOKED.value:
            raise Conflict(
                f"This visit is {a.status.replace('_', ' ')} and cannot be cancelled.", code=f"booking_{a.status}"
            )
        a = changes.cancel(b, a, req.reason)
        audited(p, "cancel_visit", a.client_id, {"appointment": a.id})
    return appointment_view(b, a, clients.get_client(b.id, a.client_id))
