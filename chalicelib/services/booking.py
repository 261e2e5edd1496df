"""The public booking use cases: profile, availability, book, view, cancel, reschedule.

Framework-free: handlers pass plain values in and get (status, body) back, so the
same code serves Chalice, the CLI and the tests.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
from datetime import date, datetime, timedelta

from chalicelib import clock, links
from chalicelib.domain import availability as avail
from chalicelib.domain import loyalty as loyalty_rules
from chalicelib.domain.booking import (
    Appointment,
    BookingIn,
    CancelIn,
    RescheduleIn,
    Status,
    can_change,
    cancellation_deadline,
)
from chalicelib.domain.config import Perk
from chalicelib.domain.ids import new_id
from chalicelib.domain.privacy import erase_due
from chalicelib.domain.timeutil import iso_local
from chalicelib.errors import BadRequest, Conflict, NotFound, SlotTaken, ValidationFailed
from chalicelib.notify import outbox
from chalicelib.services import loyalty, message_plans
from chalicelib.services.validation import parse
from chalicelib.store import bookings as store
from chalicelib.store import businesses, clients
from chalicelib.store import loyalty as loyalty_store
from chalicelib.store.businesses import Business

MAX_RANGE_DAYS = 31
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def _business(slug: str) -> Business:
    business = businesses.get_by_slug(slug) if re.match(r"^[a-z0-9-]{1,40}$", slug or "") else None
    if not business:
        raise NotFound(f"No business called '{slug}'.")
    return business


# --- profile -----------------------------------------------------------------------
def public_profile(slug: str) -> dict:
    b = _business(slug)
    c = b.config
    return {
        "slug": c.slug,
        "name": c.name,
        "timezone": c.timezone,
        "locale": c.locale,
        "currency": c.currency,
        "address": c.address,
        "phone": c.phone,
        "website": c.website,
        "review_link": c.review_link,
        "opening_hours": c.opening_hours.model_dump(mode="json"),
        "closures": [d.isoformat() for d in c.closures],
        "rules": c.rules.model_dump(mode="json"),
        "services": [
            {
                "id": s.id,
                "name": s.name.model_dump(exclude_none=True),
                "description": s.description.model_dump(exclude_none=True) if s.description else None,
                "duration_minutes": s.duration_minutes,
                "price_cents": s.price_cents,
                "staff": [m.id for m in c.staff_for(s.id)],
            }
            for s in c.services
        ],
        "staff": [
            {
                "id": m.id,
                "name": m.name,
                "title": m.title.model_dump(exclude_none=True) if m.title else None,
                "services": list(m.services),
            }
            for m in c.staff
        ],
        "booking_url": links.book_url(c.slug),
    }


# --- availability ------------------------------------------------------------------
def _parse_date(value: str | None, name: str) -> date:
    if not value:
        raise ValidationFailed(f"'{name}' is required (YYYY-MM-DD).", fields={name: "required"})
    try:
        return date.fromisoformat(value) if len(value) == 10 else _bad_date(name)
    except ValueError:
        _bad_date(name)


def _bad_date(name: str):
    raise ValidationFailed(f"'{name}' must be a date like 2026-11-24.", fields={name: "expected YYYY-MM-DD"})


def get_availability(slug: str, params: dict) -> dict:
    b = _business(slug)
    cfg = b.config
    unknown = set(params) - {"service", "from", "to", "staff"}
    if unknown:
        raise ValidationFailed("Unknown query parameters.", fields=dict.fromkeys(unknown, "unknown parameter"))
    service = cfg.service(params.get("service") or "")
    if not service:
        raise ValidationFailed("Choose a service offered here.", fields={"service": "unknown service"})
    date_from, date_to = _parse_date(params.get("from"), "from"), _parse_date(params.get("to"), "to")
    if date_to < date_from:
        raise ValidationFailed("'to' is before 'from'.", fields={"to": "must not be before 'from'"})
    if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(
            f"Ask for at most {MAX_RANGE_DAYS} days at a time.", fields={"to": f"range over {MAX_RANGE_DAYS} days"}
        )
    members = cfg.staff_for(service.id)
    if params.get("staff"):
        members = [m for m in members if m.id == params["staff"]]
        if not members:
            raise ValidationFailed(
                "That staff member does not offer this service.",
                fields={"staff": "unknown staff or does not offer the service"},
            )
    now = clock.now()
    tz = cfg.tz
    # Bookings that could overlap the range: those starting up to the longest
    # occupancy before its first local midnight.
    start_utc = datetime(date_from.year, date_from.month, date_from.day, tzinfo=tz) - timedelta(hours=6)
    end_utc = datetime(date_to.year, date_to.month, date_to.day, tzinfo=tz) + timedelta(days=1, hours=1)
    busy: dict[str, list] = {}
    for a in store.list_appointments(b.id, start_utc, end_utc):
        if a.is_active:
            busy.setdefault(a.staff_id, []).append((a.start, a.occupied_until))
    free = avail.availability(cfg, service, members, date_from, date_to, now, busy)
    return {
        "business": cfg.slug,
        "service": service.id,
        "timezone": cfg.timezone,
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "duration_minutes": service.duration_minutes,
        "staff": [{"id": m.id, "name": m.name, "slots": [iso_local(t, tz) for t in free[m.id]]} for m in members],
    }


def nearest_free(slug: str, service_id: str, staff_id: str | None, start_iso: str, limit: int = 6) -> list[dict]:
    """The free start times nearest to one that was just taken: that day first, else
    the first of the next six days with any (what the "just taken" page offers)."""
    from chalicelib.domain.timeutil import parse_instant

    b = _business(slug)
    try:
        wanted = parse_instant(start_iso)
    except ValueError:
        return []
    day = wanted.astimezone(b.config.tz).date()
    for offset in range(7):
        d = day + timedelta(days=offset)
        query = {"service": service_id, "from": d.isoformat(), "to": d.isoformat()}
        if staff_id:
            query["staff"] = staff_id
        try:
            free = get_availability(slug, query)
        except ValidationFailed:
            return []
        options = sorted((abs(parse_instant(s) - wanted), s, m["id"]) for m in free["staff"] for s in m["slots"])
        if options:
            seen, out = set(), []
            for _, s, staff in options:
                if s not in seen:
                    seen.add(s)
                    out.append({"start": s, "staff": staff, "day_differs": offset > 0})
            return sorted(out[:limit], key=lambda o: o["start"])
    return []


# --- booking -----------------------------------------------------------------------
def _start_problem(cfg, service, start: datetime, now: datetime) -> str:
    rules = cfg.rules
    if start <= now:
        return "is in the past"
    if start < now + timedelta(minutes=rules.min_notice_minutes):
        return f"is too soon: book at least {rules.min_notice_minutes} minutes ahead"
    if start > now + timedelta(days=rules.max_horizon_days):
        return f"is too far ahead: book at most {rules.max_horizon_days} days ahead"
    return "is not a free start time (outside opening hours or off the time grid)"


def _body_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def booking_view(b: Business, a: Appointment, *, client_name: str | None = None) -> dict:
    cfg, tz = b.config, b.config.tz
    service, staff = cfg.service(a.service_id), cfg.staff_member(a.staff_id)
    token = links.manage_token(b.id, a.id, a.end)
    deadline = cancellation_deadline(a.start, cfg.rules.cancellation_window_hours)
    view = {
        "id": a.id,
        "status": a.status,
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
        "can_change": a.status == Status.BOOKED.value
        and can_change(a.start, clock.now(), cfg.rules.cancellation_window_hours),
        "manage_url": links.manage_url(token),
        "reminders": not a.reminders_off,
    }
    if client_name is not None:
        view["client"] = {"name": client_name}
    return view


def create_booking(slug: str, body, idempotency_key: str | None = None, source: str = "web") -> tuple[int, dict]:
    return book(_business(slug), body, idempotency_key, source)


def book(b: Business, body, idempotency_key: str | None = None, source: str = "web") -> tuple[int, dict]:
    """A booking by the public rules, from the web or the front desk (`source`)."""
    cfg = b.config
    if idempotency_key is not None and not _IDEMPOTENCY_KEY.match(idempotency_key):
        raise BadRequest(
            "Idempotency-Key must be 1-128 characters of letters, digits and . _ : -",
            fields={"Idempotency-Key": "invalid"},
        )
    req: BookingIn = parse(BookingIn, body, "booking")
    service = cfg.service(req.service)
    if not service:
        raise ValidationFailed("Choose a service offered here.", fields={"service": "unknown service"})
    eligible = cfg.staff_for(service.id)
    if req.staff:
        eligible = [m for m in eligible if m.id == req.staff]
        if not eligible:
            raise ValidationFailed(
                "That staff member does not offer this service.",
                fields={"staff": "unknown staff or does not offer the service"},
            )
    now = clock.now()
    candidates = [m for m in eligible if avail.is_allowed_start(cfg, service, m, req.start, now)]
    if not candidates:
        raise ValidationFailed(
            f"The start time {_start_problem(cfg, service, req.start, now)}.",
            fields={"start": _start_problem(cfg, service, req.start, now)},
        )
    random.shuffle(candidates)  # "anyone": spread bookings instead of filling one calendar first
    idem = (idempotency_key, _body_hash(body)) if idempotency_key else None
    locale = req.client.locale or cfg.locale
    reward_owner = loyalty.reward_owner(b, req.reward, source, now) if req.reward else None
    referrer = loyalty.referrer_of(b, req.referral, now)
    today = now.astimezone(cfg.tz).date()

    last_error: Exception | None = None
    for member in candidates:
        for _ in range(3):  # a concurrent request may create the same new client
            match = clients.find_client(b.id, req.client.phone, req.client.email)
            perk, reward_id, welcome, referred_by = None, None, None, None
            if req.reward:
                reward = loyalty.reward_to_redeem(b, req.reward, reward_owner, match.client_id)
                perk, reward_id = Perk.model_validate(reward.perk), reward.reward_id
            elif referrer and match.client_id is None:
                # Only a client new by phone and email earns the perk (or her referrer anything).
                perk, reward_id, referred_by = cfg.referrals.welcome_perk, loyalty_rules.WELCOME, referrer
            price, discount = loyalty_rules.price_after(service.price_cents, perk) if perk else (service.price_cents, 0)
            appt = Appointment(
                id=new_id(),
                business_id=b.id,
                client_id=match.client_id or new_id(),
                service_id=service.id,
                staff_id=member.id,
                start=req.start,
                end=req.start + timedelta(minutes=service.duration_minutes),
                occupied_until=req.start + timedelta(minutes=service.occupancy_minutes),
                status=Status.BOOKED.value,
                price_cents=price,
                locale=locale,
                note=req.note,
                source=source,
                created_at=now,
                updated_at=now,
                reward_id=reward_id,
                discount_cents=discount,
            )
            if referred_by:
                welcome = loyalty_store.new_reward(
                    b.id,
                    appt.client_id,
                    loyalty_rules.WELCOME,
                    "welcome",
                    perk.model_dump(mode="json"),
                    now,
                    loyalty_rules.expires_on(now, cfg.referrals.reward_valid_days, cfg.tz),
                    status="redeemed",
                    appointment_id=appt.id,
                )
            client = clients.ClientWrite(
                business_id=b.id,
                client_id=appt.client_id,
                is_new=match.client_id is None,
                name=req.client.name,
                phone=req.client.phone,
                email=req.client.email,
                locale=locale,
                marketing_granted=req.consents.marketing,
                consent_source=f"booking:{source}",
                link_phone=bool(req.client.phone) and match.by_phone is None and match.client_id is not None,
                link_email=bool(req.client.email)
                and match.by_email is None
                and match.by_phone is None
                and match.client_id is not None,
                active_until=appt.end,
                referred_by=referred_by,
                erase_on=erase_due(appt.end, cfg.privacy.erase_inactive_after_years).isoformat(),
            )
            messages = message_plans.booking_event(
                b, appt, "confirmation", req.client.name, req.client.phone, req.client.email, now
            )
            reminders = message_plans.reminders(b, appt, req.client.name, req.client.phone, req.client.email, now)
            reminders += message_plans.feedback_request(b, appt, req.client.name, req.client.phone, req.client.email)
            try:
                items = store.transact_with_retry(
                    functools.partial(
                        store.create_booking,
                        appt,
                        client,
                        messages,
                        idem,
                        now,
                        lease=outbox.IMMEDIATE_LEASE,
                        later=reminders,
                        welcome=welcome,
                        redeem_until=today.isoformat(),
                    )
                )
            except store.RewardGone:
                raise loyalty.RewardUnavailable() from None
            except clients.ClientRace as e:
                last_error = e
                continue
            except store.IdempotentReplay as replay:
                return _replay(b, replay, idem)
            except SlotTaken as e:
                last_error = e
                break
            outbox.deliver(items, now)
            return 201, booking_view(b, appt)
    if isinstance(last_error, clients.ClientRace):
        raise Conflict("Another booking for the same client is being made; please try again.", code="client_busy")
    raise SlotTaken("That time was just taken. Please choose another time.", fields={"start": "no longer free"})


def _replay(b: Business, replay, idem) -> tuple[int, dict]:
    if replay.body_hash != idem[1]:
        raise ValidationFailed(
            "This Idempotency-Key was already used for a different booking.",
            code="idempotency_key_reused",
            fields={"Idempotency-Key": "reused with another body"},
        )
    appt = store.get_appointment(b.id, replay.appointment_id)
    return 201, booking_view(b, appt)


# --- manage links ------------------------------------------------------------------
def _from_token(token: str) -> tuple[Business, Appointment]:
    claims = links.claims_or_4xx(token, "manage", clock.now())
    b = businesses.get_by_id(claims.business_id)
    appt = store.get_appointment(claims.business_id, claims.subject) if b else None
    if not b or not appt:
        raise NotFound("This booking no longer exists.")
    return b, appt


def get_booking(token: str) -> dict:
    b, appt = _from_token(token)
    client = clients.get_client(b.id, appt.client_id)
    return booking_view(b, appt, client_name=client.name if client else None)


def booking_ics(token: str) -> bytes:
    """The booking as a calendar file ("add to calendar" on the confirmation page)."""
    from chalicelib.notify import ics

    b, appt = _from_token(token)
    client = clients.get_client(b.id, appt.client_id)
    context = message_plans.booking_context(b, appt, client.name if client else "")
    cancelled = appt.status == Status.CANCELLED.value
    return ics.build_ics(
        context,
        method="PUBLISH",
        sequence=appt.seq,
        status="CANCELLED" if cancelled else "CONFIRMED",
        locale=appt.locale,
    )


def _ensure_changeable(b: Business, appt: Appointment, verb: str) -> None:
    if appt.status != Status.BOOKED.value:
        raise Conflict(
            f"This booking is {appt.status.replace('_', ' ')} and cannot be {verb}.", code=f"booking_{appt.status}"
        )
    if not can_change(appt.start, clock.now(), b.config.rules.cancellation_window_hours):
        deadline = cancellation_deadline(appt.start, b.config.rules.cancellation_window_hours)
        phone = f" Please call {b.config.phone}." if b.config.phone else ""
        raise Conflict(
            f"Bookings can be {verb} online until {iso_local(deadline, b.config.tz)}.{phone}",
            code="cancellation_window_passed",
            details={"deadline": iso_local(deadline, b.config.tz)},
        )


def cancel_booking(token: str, body) -> dict:
    b, appt = _from_token(token)
    req: CancelIn = parse(CancelIn, body if body is not None else {}, "cancellation")
    if appt.status == Status.CANCELLED.value:
        return booking_view(b, appt)  # cancelling twice is harmless
    _ensure_changeable(b, appt, "cancelled")
    return booking_view(b, cancel(b, appt, req.reason))


def cancel(b: Business, appt: Appointment, reason: str | None) -> Appointment:
    """Cancel a booked visit, free its time and tell the client. The client's link
    checks the cancellation window first; the front desk may cancel later (a late
    cancellation, which the KPIs count)."""
    now = clock.now()
    client = clients.get_client(b.id, appt.client_id)
    cancelled = _copy(
        appt, status=Status.CANCELLED.value, seq=appt.seq + 1, cancelled_at=now, cancel_reason=reason, updated_at=now
    )
    messages = (
        message_plans.booking_event(b, cancelled, "cancelled", client.name, client.phone, client.email, now)
        if client
        else []
    )
    try:
        items = store.transact_with_retry(
            lambda: store.cancel_booking(appt, now, reason, messages, lease=outbox.IMMEDIATE_LEASE)
        )
    except store.StaleAppointment:
        raise Conflict("This booking was changed meanwhile; reload and try again.", code="booking_changed") from None
    outbox.deliver(items, now)
    return cancelled


def reschedule_booking(token: str, body) -> dict:
    b, appt = _from_token(token)
    req: RescheduleIn = parse(RescheduleIn, body, "new time")
    _ensure_changeable(b, appt, "moved")
    cfg, now = b.config, clock.now()
    service, staff = cfg.service(appt.service_id), cfg.staff_member(appt.staff_id)
    if not service or not staff or service.id not in staff.services:
        raise Conflict(
            "This booking's service is no longer offered online; please contact the business.",
            code="service_unavailable",
        )
    if req.start == appt.start:
        return booking_view(b, appt)
    if not avail.is_allowed_start(cfg, service, staff, req.start, now):
        problem = _start_problem(cfg, service, req.start, now)
        raise ValidationFailed(f"The new start time {problem}.", fields={"start": problem})
    moved = _copy(
        appt,
        start=req.start,
        end=req.start + timedelta(minutes=service.duration_minutes),
        occupied_until=req.start + timedelta(minutes=service.occupancy_minutes),
        seq=appt.seq + 1,
        reschedules=appt.reschedules + 1,
        updated_at=now,
    )
    client = clients.get_client(b.id, appt.client_id)
    messages = (
        message_plans.booking_event(
            b, moved, "rescheduled", client.name, client.phone, client.email, now, previous_start=appt.start
        )
        if client
        else []
    )
    reminders = (
        message_plans.reminders(b, moved, client.name, client.phone, client.email, now)
        + message_plans.feedback_request(b, moved, client.name, client.phone, client.email)
        if client
        else []
    )
    try:
        items = store.transact_with_retry(
            lambda: store.reschedule_booking(appt, moved, now, messages, lease=outbox.IMMEDIATE_LEASE, later=reminders)
        )
    except store.StaleAppointment:
        raise Conflict("This booking was changed meanwhile; reload and try again.", code="booking_changed") from None
    except SlotTaken:
        raise SlotTaken(
            "That time was just taken. Your booking was not changed.", fields={"start": "no longer free"}
        ) from None
    outbox.deliver(items, now)
    return booking_view(b, moved)


def _copy(appt: Appointment, **changes) -> Appointment:
    from dataclasses import replace

    return replace(appt, **changes)


def set_reminders(token: str, enabled: bool) -> dict:
    """The client's choice from the manage link; the sweeper checks it before sending."""
    b, appt = _from_token(token)
    if appt.status != Status.BOOKED.value:
        raise Conflict(f"This booking is {appt.status.replace('_', ' ')}.", code=f"booking_{appt.status}")
    store.set_reminders_off(appt, not enabled, clock.now())
    return booking_view(b, _copy(appt, reminders_off=not enabled))
