"""The front desk: the calendar by day or week per staff member, phone bookings, and
marking visits arrived, completed or no-show."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain import calendar as rules
from chalicelib.domain.availability import walk_in_start
from chalicelib.domain.booking import Appointment, DeskCancelIn, DeskOptions, DeskRescheduleIn, Status
from chalicelib.domain.clients import Client
from chalicelib.domain.config import Business, Closure
from chalicelib.domain.contacts import phone_display
from chalicelib.domain.daysheet import DaySheet, Taken, appointment_ref
from chalicelib.domain.registry import VisitMark
from chalicelib.domain.timeutil import iso_local, local_wall_to_utc
from chalicelib.domain.visits import chair_free_from, mark_problem, outcome, status_after_undo, takes_time_back
from chalicelib.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.observability import logger
from chalicelib.services import message_plans, retention
from chalicelib.services.admin.common import (
    audited,
    audited_after_commit,
    business_of,
    if_match_tags,
    instant_of,
    parse,
    parse_date,
    today,
    valid_id,
)
from chalicelib.services.booking import book, changes
from chalicelib.store import bookings as store
from chalicelib.store import clients, daysheets, visits, waitlist
from chalicelib.store import timeoff as timeoff_store

if TYPE_CHECKING:
    from chalicelib.domain.payments import MoneyRecord


def checkout_view(a: Appointment, tz: ZoneInfo) -> dict[str, Any]:
    """A visit's checkout as the owner API shows it: how the rest was paid, what was paid at
    the desk and when, what the visit came to (the booked price for a checkout stored before
    that was kept), the products sold with it and the discount (none stored before them)."""
    co = a.checkout
    assert co is not None
    return {
        "method": co.method,
        "paid_cents": co.paid_cents,
        "at": iso_local(co.at, tz),
        "total_cents": a.came_to_cents,
        "lines": [line.view() for line in co.lines],
        "discount_cents": co.discount_cents,
        "discount_percent": co.discount_percent,
    }


def visit_version(a: Appointment) -> str:
    """The visit as the desk acts on it: its time and staff member (`seq`, up with each
    move) and its status (cancelled, arrived, done, a no-show)."""
    return f"{a.seq}.{a.status}"


def expect_visit(b: Business, a: Appointment, if_match: str | None) -> None:
    """`If-Match: <version>` on a desk action (a move, a cancellation, a mark): 409
    `visit_changed` with the visit as it is now if another device moved, cancelled or
    marked it since the caller read it (a phone's open card, a tablet's move: the phone's
    move had silently undone the tablet's, its cancellation said done of the client's
    own). No If-Match, no check: API keys and older clients act as before."""
    tags = if_match_tags(if_match)
    if tags is not None and visit_version(a) not in tags:
        raise Conflict(
            "This visit was changed on another device meanwhile; here it is as it is now.",
            code="visit_changed",
            details={
                "visit": {
                    "version": visit_version(a),
                    "status": a.status,
                    "start": iso_local(a.start, b.config.tz),
                    "staff": a.staff_id,
                }
            },
        )


def appointment_view(
    b: Business, a: Appointment, client: Client | None = None, *, money: bool = False
) -> dict[str, Any]:
    """The owner API's view of an appointment; `money` (the caller may charge, waive and
    refund) adds the pay links of open fees."""
    cfg, tz = b.config, b.config.tz
    service, staff = cfg.service(a.service_id), cfg.staff_member(a.staff_id)
    view: dict[str, Any] = {
        "id": a.id,
        # What a desk action sends back as If-Match (visit_version): moved, cancelled or
        # marked on another device since, the action is refused, never done over it.
        "version": visit_version(a),
        "status": a.status,
        "outcome": outcome(a, clock.now()),
        "start": iso_local(a.start, tz),
        "end": iso_local(a.end, tz),
        # False: an imported visit whose file gave only its day (its start is that day's noon).
        "time_known": a.time_known,
        # The service's buffer after the end: nobody can be booked there (the sheets hold it).
        "occupied_until": iso_local(a.occupied_until, tz),
        # When the desk marked her arrived (kept through a done mark): she came.
        "arrived_at": iso_local(a.arrived_at, tz) if a.arrived_at else None,
        "service": {"id": a.service_id, "name": service.name.get(cfg.locale) if service else a.service_id},
        "staff": {"id": a.staff_id, "name": staff.name if staff else a.staff_id},
        "price_cents": a.price_cents,
        # A stamp-card (or welcome) reward redeemed on this visit: price_cents is after it.
        "discount_cents": a.discount_cents,
        "reward": a.reward_id,
        "source": a.source,
        "note": a.note,
        "client": {"id": a.client_id},
        # Held until the client confirms it by her link, or pays; freed after it if not.
        "hold_until": iso_local(a.hold_until, tz) if a.held and a.hold_until else None,
        # Checked out at the desk (POST /appointments/{id}/checkout): how, what was paid then,
        # what the visit came to with the products sold and the discount off them.
        "checkout": checkout_view(a, tz) if a.checkout else None,
    }
    if a.payment is not None:  # paid, held, fee owed... (chalicelib/domain/payments.py)
        view["payment"] = payment_view(b, a, money)
    if client is not None:
        view["client"].update(
            name=client.name,
            phone=client.phone,
            phone_display=phone_display(client.phone, cfg.home_country),
            email=client.email,
            allergies=client.allergies,
            important_notes=client.important_notes,
        )
    return view


def payment_view(b: Business, a: Appointment, money: bool = False) -> dict[str, Any]:
    """What the visit's money is: what she paid (deposit or prepayment, fees collected),
    what was refunded, each fee's state and amount, and what charging a fee not yet
    charged would take now (`chargeable_cents`, as POST /fees computes it: only a fee
    whose event happened — a no-show marked, her own late cancellation; fees.fee_refusal
    — the fee of the accepted terms less what is kept; only with a card on file). A
    read: nothing here decides or moves money."""
    from chalicelib.domain import payments as money_rules
    from chalicelib.services.payments import fees

    pay = a.payment
    assert pay is not None
    chargeable: dict[str, int] = {}
    for kind in money_rules.FeeKind:
        cents = fees.chargeable_cents(b, a, kind)
        if cents > 0:
            chargeable[kind.value] = cents
    # What marking her a no-show now would charge (the owner's mark: the desk asks first,
    # naming it); 0 when it charges nothing (no card, no fee in her terms, covered, charged
    # before, or a visit that cannot be marked no-show).
    no_show = 0
    if (
        pay.card_saved
        and a.checkout is None
        and a.status in (Status.BOOKED.value, Status.ARRIVED.value, Status.COMPLETED.value)
        and pay.fee_state(money_rules.FeeKind.NO_SHOW.value) is None
    ):
        no_show = money_rules.fee_cents(
            pay.accepted_terms(), a.price_cents, money_rules.FeeKind.NO_SHOW, pay.kept_cents
        )
    view: dict[str, Any] = {
        "mark": pay.mark(a.status, a.cancelled_by_salon),
        "kind": pay.kind,
        "paid_cents": pay.paid_cents,
        "refunded_cents": pay.refunded_cents,
        # Owed back by her cancellation and not refunded yet: on its way (the sweeper
        # makes it), never money kept; failed: Stripe refused it, the owner settles it.
        "refund_pending_cents": pay.refund_owed_cents,
        "refund_failed_cents": pay.refund_failed_due_cents(a.status),
        # Fees whose refund failed and that the no-show marked again keeps as its own fee:
        # nothing to retry (domain/payments.py failed_refunds_kept).
        "fees_kept": pay.failed_refunds_kept(a.status),
        # Each round of a fee by its key (domain/payments.py fee_key: `no_show`, then
        # `no_show.r1` charged anew after an undo), the name its records, pay link,
        # waiver, refund and webhooks use.
        "fees": pay.fees,
        "fee_cents": {k: pay.fee_cents.get(k, 0) for k in pay.fees},
        # Each kind's current round, the one a charge, a no-show mark and its undo act on.
        "fee_keys": {kind.value: pay.fee_key(kind.value) for kind in money_rules.FeeKind},
        "chargeable_cents": chargeable,
        "no_show_fee_cents": max(0, no_show),
        # A card saved at booking: the checkout may charge it ("card_on_file").
        "card_saved": pay.card_saved,
    }
    if a.status == Status.BOOKED.value:
        # What her cancelling now would give back, keep and let the salon charge (the
        # desk's "she cancelled" says it before the owner confirms; a walk: only after).
        preview = changes.money_if_cancelled(b, a, clock.now())
        if preview is not None:  # nothing paid and no fee: nothing to say
            view["if_client_cancels"] = preview
    if money:
        view["pay_urls"] = {k: fees.fee_pay_url(b, a, k) for k, state in pay.fees.items() if state == "open"}
    return view


def calendar(p: Principal, params: dict[str, str]) -> dict[str, Any]:
    """The day or the week (Mon-Sun) around `date`, per staff member: opening and
    working hours, time off and appointments with their markers, and a token for
    GET /calendar/changes."""
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
    days = rules.days_of(first, last - timedelta(days=1))
    # The sheets first: the token says "as of these versions", and anything written after
    # this read moves a version, so the next poll reports it.
    sheets = daysheets.in_range(b.id, days[0], days[-1], consistent=True)
    wanted = {m.id for m in staff}
    appts = [
        a for a in appointments_on(b, [s for s in sheets if s.staff_id in wanted], first, last) if a.staff_id in wanted
    ]
    people = clients.get_clients(b.id, {a.client_id for a in appts})
    # How long each still holds its staff member's time: less than booked once done early.
    held = {t.appointment_id: t.end for sheet in sheets for t in sheet.taken if t.appointment_id}
    blocks = _time_off_by_staff(b, sheets, wanted)
    waiting = waitlist.waiting_counts(b.id, days[0], days[-1])  # one Query: "3 waiting for Tuesday"
    now = clock.now()
    audited(p, "read_calendar", None, {"from": first.isoformat(), "view": view})
    tz = cfg.tz

    def span(lo: datetime, hi: datetime) -> dict[str, str]:
        return {"start": iso_local(lo, tz), "end": iso_local(hi, tz)}

    return {
        "view": view,
        "from": first.isoformat(),
        "to": days[-1].isoformat(),
        "timezone": cfg.timezone,
        "now": iso_local(now, tz),
        "token": rules.make_token(days[0], days[-1], sheets),
        "days": [
            {
                "date": d.isoformat(),
                "open": [span(lo, hi) for lo, hi in rules.opening_intervals(cfg, d)],
                "closed": not rules.opening_intervals(cfg, d),
                # A closed day the owner set, with her name for it ("Juhannus") if she gave one.
                "closure": closure_view(cfg.closure_on(d)),
                "waiting": {s: n for (day, s), n in sorted(waiting.items()) if day == d},
            }
            for d in days
        ],
        "staff": [
            {
                "id": m.id,
                "name": m.name,
                "hours": [
                    {"date": d.isoformat(), "intervals": [span(lo, hi) for lo, hi in rules.staff_hours(cfg, m, d)]}
                    for d in days
                ],
                "time_off": blocks.get(m.id, []),
                "appointments": [
                    calendar_view(b, a, people.get(a.client_id), money=p.can("money"), held_until=held.get(a.id))
                    for a in appts
                    if a.staff_id == m.id
                ],
            }
            for m in staff
        ],
    }


def closure_view(c: Closure | None) -> dict[str, str | None] | None:
    return {"name": c.name} if c is not None else None


def calendar_view(
    b: Business, a: Appointment, client: Client | None, *, money: bool = False, held_until: datetime | None = None
) -> dict[str, Any]:
    """The appointment in the calendar; `held_until`, the end of its time on the day sheet:
    given when a visit done early or a no-show gave the rest back (a walk-in may take it)."""
    view = appointment_view(b, a, client, money=money)
    if held_until is not None and held_until < a.occupied_until:
        view["held_until"] = iso_local(held_until, b.config.tz)
    view["markers"] = rules.Markers(
        note=bool(a.note),
        allergy=bool(client and client.allergies),
        first_visit=bool(
            client and rules.is_first_visit(client.visits, client.last_visit_at, a.start, client.first_visit_at)
        ),
        deposit=bool(a.payment and a.payment.kept_cents > 0),
        held=a.awaiting_confirmation,
        paid=a.checkout is not None,
    ).as_dict()
    return view


def appointments_on(b: Business, sheets: list[DaySheet], first: date, last: date) -> list[Appointment]:
    """The appointments starting in the range (one Query on the calendar index), checked
    against the sheets (read consistently, before): a booking a sheet holds that the index
    does not show yet (it lags the table by a moment, or it began the evening before),
    and one the index shows as active at a time its sheet no longer holds (just
    cancelled or moved), are read by key — and left out when moved out of the range."""
    tz = b.config.tz
    lo, hi = local_wall_to_utc(first, 0, tz), local_wall_to_utc(last, 0, tz)
    found = {a.id: a for a in store.list_appointments(b.id, lo, hi)}
    held = {(s.staff_id, s.day): {t.ref: t for t in s.taken} for s in sheets}
    on_sheets = {t.appointment_id for refs in held.values() for t in refs.values() if t.appointment_id}
    stale = on_sheets - set(found)
    for a in found.values():
        refs = held.get((a.staff_id, a.start.astimezone(tz).date()))
        if a.is_active and refs is not None:
            on_sheet = refs.get(appointment_ref(a.id))
            if on_sheet is None or on_sheet.start != a.start:
                stale.add(a.id)
    for appointment_id in sorted(i for i in stale if i):
        fresh = store.get_appointment(b.id, appointment_id)
        if fresh is not None and (lo <= fresh.start < hi or fresh.id in on_sheets):
            found[fresh.id] = fresh
        elif fresh is not None:  # moved to a day outside the range: the index had not caught up
            found.pop(fresh.id, None)
    return sorted(found.values(), key=lambda a: (a.start, a.id))


def _time_off_by_staff(b: Business, sheets: list[DaySheet], wanted: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Each staff member's blocks of time off on these sheets (one per occurrence), with
    the block's reason: one BatchGetItem for the blocks."""
    tz = b.config.tz
    seen: dict[str, dict[str, Taken]] = {}
    for s in sheets:
        if s.staff_id in wanted:
            for t in s.taken:
                if t.is_time_off:
                    seen.setdefault(s.staff_id, {})[t.ref] = t
    blocks = timeoff_store.get_many(
        b.id, {t.time_off_id for found in seen.values() for t in found.values() if t.time_off_id}
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for staff_id, found in seen.items():
        for t in sorted(found.values(), key=lambda t: (t.start, t.ref)):
            block = blocks.get(t.time_off_id or "")
            out.setdefault(staff_id, []).append(
                {
                    "id": t.time_off_id,
                    "start": iso_local(t.start, tz),
                    "end": iso_local(t.end, tz),
                    "reason": block.reason if block else "",
                    "whole_salon": block.whole_salon if block else False,
                }
            )
    return out


def calendar_changes(p: Principal, params: dict[str, str]) -> dict[str, Any]:
    """Has anything the calendar shows changed since `since` (a calendar's token)? One
    Query of the range's day sheets, nothing else."""
    b = business_of(p)
    read = rules.read_token((params or {}).get("since") or "")
    if read is None:
        raise ValidationFailed(
            "'since' must be the token of a calendar.", fields={"since": "expected the calendar's token"}
        )
    first, last, fingerprint = read
    sheets = daysheets.in_range(b.id, first, last)
    token = rules.make_token(first, last, sheets)
    return {"changed": rules.fingerprint(sheets) != fingerprint, "token": token}


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
    return appointment_view(b, a, client, money=p.can("money"))


def book_for_client(p: Principal, body: object, idempotency_key: str | None) -> tuple[int, dict[str, Any]]:
    """A booking at the front desk, under the same double-booking guarantee as online:
    the client by contact details, by her name alone (a new client with no contact,
    found by nothing but her id: no message can go to her, `notify` is moot) or as an
    existing `client_id` (with or without a contact); the desk's start rules (any
    5-minute mark inside the staff member's working hours); `notify` false sends no
    confirmation; `walk_in` starts now (rounded down to 5 minutes), or at a `start` later
    today, with anyone free."""
    b = business_of(p)
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object describing the booking.", code="invalid_json")
    as_sent, body = body, dict(body)
    options: DeskOptions = parse(DeskOptions, {k: body.pop(k) for k in ("notify", "walk_in") if k in body}, "booking")
    if options.walk_in and "start" in body:
        # She waits at the desk for the next free time today: still a walk-in (the KPIs'
        # source), at that time.
        start, now = instant_of(body["start"], "start", b), clock.now()
        if start < walk_in_start(now) or start.astimezone(b.config.tz).date() != today(b):
            raise ValidationFailed(
                "A walk-in starts now or later today: leave 'start' out, or give a time later today.",
                fields={"start": "a walk-in is later today"},
            )
        body["start"] = iso_local(start, b.config.tz)
    elif options.walk_in:
        body["start"] = iso_local(walk_in_start(clock.now()), b.config.tz)
    elif isinstance(body.get("start"), str):
        body["start"] = iso_local(instant_of(body["start"], "start", b), b.config.tz)
    client: Client | None = None
    if "client_id" in body:
        if "client" in body:  # which one: the booking would silently go to one of them
            raise ValidationFailed(
                "Give either 'client_id' (a client of hers) or 'client' (her details), not both.",
                fields={"client": "not with client_id"},
            )
        if not isinstance(body["client_id"], str):
            raise ValidationFailed("'client_id' is a client's id.", fields={"client_id": "expected a client id"})
        client = clients.get_client(b.id, valid_id(body.pop("client_id"), "client"))
        if not client or client.is_erased:
            raise NotFound("No such client.")
        # Her profile's name and contacts: her messages go there (none when she has no
        # contact); she is booked by her id, whatever her contacts find.
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
    source = "walk_in" if options.walk_in else "phone"
    status, view = book.book(
        b,
        body,
        idempotency_key,
        source=source,
        desk=True,
        notify=options.notify,
        as_sent=as_sent,
        client_id=client.id if client else None,
        caller=p.user_id,
    )
    appt = store.get_appointment(b.id, view["id"])
    audited_after_commit(p, "book_for_client", appt.client_id if appt else None, {"appointment": view["id"]})
    if appt and options.notify and message_plans.salon_sms_time(b, appt, appt.created_at) > appt.created_at:
        view.update(held_sms(b, appt, clients.get_client(b.id, appt.client_id), appt.created_at))
    return status, view


def reschedule(p: Principal, appointment_id: str, body: object, if_match: str | None = None) -> dict[str, Any]:
    """The desk moves a booking (to another time and/or staff member) by the desk's
    rules; the old time is freed only if the new one was taken. 409 slot_taken; 409
    visit_changed if If-Match is not the visit's version now (expect_visit)."""
    b = business_of(p)
    req: DeskRescheduleIn = parse(DeskRescheduleIn, body, "reschedule")
    start = instant_of(req.start, "start", b)
    a = _appointment(b, appointment_id)
    expect_visit(b, a, if_match)
    if a.status != Status.BOOKED.value:
        raise Conflict(f"This visit is {a.status.replace('_', ' ')} and cannot be moved.", code=f"booking_{a.status}")
    _not_paid_at_the_desk(a)
    moved = changes.move(b, a, start, req.staff, desk=True, notify=req.notify)
    client = clients.get_client(b.id, a.client_id)
    view = appointment_view(b, moved, client)
    if moved is not a:
        audited_after_commit(p, "reschedule_visit", a.client_id, {"appointment": a.id})
        if req.notify:
            view.update(held_sms(b, moved, client, moved.updated_at, a.start))
    return view


def held_sms(
    b: Business, a: Appointment, client: Client | None, at: datetime, previous_start: datetime | None = None
) -> dict[str, str]:
    """The desk's answer to a booking, move or cancellation made at `at`: `sms_at`, when
    its SMS to her waits out the quiet hours (message_plans.held_salon_sms), so the owner
    can tell her when she hears of it; nothing when it goes at once or there is none."""
    due = message_plans.held_salon_sms(b, a, client.phone if client else None, at, previous_start)
    return {"sms_at": iso_local(due, b.config.tz)} if due else {}


def held_fee_sms(b: Business, client: Client | None, fee: MoneyRecord | None, now: datetime) -> dict[str, str]:
    """The desk's answer to a fee it charged (a no-show's, or POST .../fees): `sms_at`,
    when the SMS telling her of it waits out the quiet hours (notices.fee_sms_at), as
    held_sms says of a booking; nothing when it goes at once or none goes (by email)."""
    from chalicelib.services.payments import notices

    due = notices.fee_sms_at(b, client, fee, now) if fee is not None else None
    return {"sms_at": iso_local(due, b.config.tz)} if due else {}


def _not_paid_at_the_desk(a: Appointment) -> None:
    """A visit checked out at the desk took place and is paid: it is not moved or
    cancelled (a cancellation would refund her deposit on top); nor while her card may be
    paying it (a checkout charge whose outcome is unknown: checkout.not_while_charging)."""
    from chalicelib.services.payments import checkout

    if a.checkout is not None:
        raise Conflict("This visit is paid already.", code="checked_out")
    checkout.not_while_charging(a)


def mark_visit(p: Principal, appointment_id: str, body: object, if_match: str | None = None) -> dict[str, Any]:
    """Arrived, completed, no-show, or booked: the undo of a wrong mark (after the
    visit's end an unmarked visit took place, so the undo leaves it completed)."""
    b = business_of(p)
    req: VisitMark = parse(VisitMark, body, "visit mark")
    a = _appointment(b, appointment_id)
    expect_visit(b, a, if_match)
    now = clock.now()
    problem = mark_problem(a, req.status, now)
    if problem:
        reason, words = problem
        raise Conflict(
            f"Cannot mark this visit {req.status.replace('_', '-')}: {words}.",
            code="invalid_mark",
            details={"reason": reason},
        )
    status = status_after_undo(a, now) if req.status == Status.BOOKED.value else req.status
    fee: MoneyRecord | None = None  # a no-show's fee charged with the mark, or its refund with the undo
    held: tuple[Taken, dict[date, int] | None] | None = None  # its time as the mark leaves it
    if a.status != status:
        from chalicelib.domain.payments import FeeKind, FeeState
        from chalicelib.services.payments import checkout, fees

        if req.status in (Status.NO_SHOW.value, Status.BOOKED.value):
            checkout.not_while_charging(a)  # as a visit checked out is (mark_problem)

        # A no-show undone or corrected: the fee she paid for it goes back, owed from the
        # mark's own commit and refunded right after it (the sweeper's if Stripe cannot
        # be reached); an open one is waived in the mark's own commit.
        undone = a.status == Status.NO_SHOW.value
        owed = fees.owed_on_no_show_undone(b, a, now) if undone else None
        waived = fees.waived_on_no_show_undone(b, a, now) if undone and owed is None else None
        fee_open = (
            undone and a.payment is not None and a.payment.fee_state(FeeKind.NO_SHOW.value) == FeeState.OPEN.value
        )
        if owed is not None or fee_open:
            # The fee's refund or waiver is the owner's, from her desk.
            _money_is_the_owners(p, "Undoing this no-show gives its fee back", "no_show_fee")
        # The undo ends the fee's round only when it gives the fee back itself (owed or
        # waived above): marked a no-show again, she is charged anew. A fee the owner
        # refunded or waived before keeps its round: marked again, her decision stands.
        payment = owed if waived is None else waived[0]
        try:
            days, was = a.days(b.config.tz), a.status
            held = _time_held_after(b, a, status, now, days)
            visits.mark(a, status, now, days, payment=payment, waived=waived[1] if waived else None, held=held)
        except store.StaleAppointment:
            raise Conflict(
                "The appointment changed meanwhile; reload and try again.", code="appointment_changed"
            ) from None
        # The fee's refund made (given back at night: her SMS of it in the morning), or its
        # PaymentIntent cancelled.
        made = fees.make_owed(b, payment[1], now) if payment is not None else None
        if made == "sent" and owed is not None:
            fee = fees.refund_made(b, a.id, owed[1].context["ref"])
        a = _appointment(b, a.id)
        # A key's or a staff member's no-show charges no fee: the owner charges it from
        # the visit's card (its `chargeable_cents`).
        if status == Status.NO_SHOW.value and _moves_money(p):
            fee = _no_show_fee(b, a, now)
            if fee is not None:
                a = _appointment(b, a.id)  # the answer shows the fee charged (or open)
        if status != Status.ARRIVED.value or was in (Status.COMPLETED.value, Status.NO_SHOW.value):
            # Visits, rhythm, the stamp card and the KPI counts follow the mark (or its
            # undo, arrived again included) now, not at the next job run.
            retention.refresh_client(b.id, a.client_id, now)
    audited_after_commit(p, "mark_visit", a.client_id, {"appointment": a.id, "status": req.status})
    client = clients.get_client(b.id, a.client_id)
    view = appointment_view(b, a, client, money=p.can("money"))
    view.update(held_fee_sms(b, client, fee, now))  # the fee's (or its refund's) SMS, at night: in the morning
    if held is not None and held[1] is None:  # the rest of its time given back: from when
        view["held_until"] = iso_local(held[0].end, b.config.tz)
    return view


def _time_held_after(
    b: Business, a: Appointment, status: str, now: datetime, days: list[date]
) -> tuple[Taken, dict[date, int] | None] | None:
    """Its time on the day sheets after this mark: done or a no-show while it runs, the
    rest is free for a walk-in (domain/visits.chair_free_from); that mark undone, all of it
    back as booked — refused (409) while anything was booked into the freed time. None:
    unchanged."""
    free, back = chair_free_from(a, status, now), takes_time_back(a, status, now)
    if free is None and not back:
        return None
    ref = appointment_ref(a.id)
    read = daysheets.read(b.id, [(a.staff_id, d) for d in days])
    sheets = [read.get(a.staff_id, d) for d in days]
    on = [t for s in sheets for t in s.taken if t.ref == ref]
    if len(on) != len(days):
        return None  # not on its sheets (written before them): nothing to give or take back
    if free is not None:
        return (Taken(ref, a.start, free), None) if free < on[0].end else None
    clashes = sorted(
        (t for s in sheets for t in s.clashes(a.start, a.occupied_until, ignore=ref)), key=lambda t: t.start
    )
    if clashes:
        # Booked into meanwhile (a walk-in): both cannot have her. Held back only in part,
        # the visit would lose the rest for good once that booking went.
        taken = clashes[0]
        raise Conflict(
            "Cannot undo this mark: its time was booked meanwhile; move or cancel that booking first.",
            code="invalid_mark",
            details={
                "reason": "time_taken",
                "overlaps": {"start": iso_local(taken.start, b.config.tz), "end": iso_local(taken.end, b.config.tz)},
            },
        )
    whole = Taken(ref, a.start, a.occupied_until)
    return (whole, {s.day: s.version for s in sheets}) if on[0].end < a.occupied_until else None


def _moves_money(p: Principal) -> bool:
    """May this caller's visit mark or cancellation charge or give back money? The owner
    signed in: not an integration's key, nor a staff member (a booking's money is the
    owner's, "money"; the money routes refuse keys)."""
    return p.key_id is None and p.can("money")


def _money_is_the_owners(p: Principal, what: str, reason: str) -> None:
    """`what` moves money, which only the owner signed in may (_moves_money): 403
    `not_for_api_keys` for an integration's key, `owner_only` (`reason`) for staff."""
    if _moves_money(p):
        return
    if p.key_id is not None:
        raise Forbidden(f"{what}; an API key cannot: the owner does it at her desk.", code="not_for_api_keys")
    raise Forbidden(f"{what}; only the business owner can.", code="owner_only", details={"reason": reason})


def _no_show_fee(b: Business, a: Appointment, now: datetime) -> MoneyRecord | None:
    """A no-show with a card on file: its fee, charged once (the owner sees it open if
    the bank asks the client to authenticate). Stripe down: the owner charges it later.
    The fee's record when one was asked for."""
    from chalicelib.domain.payments import FeeKind
    from chalicelib.errors import RebookError
    from chalicelib.services.payments import fees

    if a.payment is None:
        return None
    try:
        return fees.charge_fee(b, a, FeeKind.NO_SHOW, now)
    except RebookError:
        logger().warning("no-show fee not charged", extra={"appointment_id": a.id})
        return None


def cancel_visit(p: Principal, appointment_id: str, body: object, if_match: str | None = None) -> dict[str, Any]:
    """The front desk cancels a booking (the client called, or the salon must: `by`): no
    cancellation window; the client is told unless `notify` is false, and `invite` asks
    her to choose a new time through a pre-filled booking link (by default when the
    salon cancels). The salon's cancellation is not counted as hers, and its SMS may wait
    out the quiet hours (`sms_at`); hers, phoned in, is answered at once."""
    b = business_of(p)
    req: DeskCancelIn = parse(DeskCancelIn, body if body is not None else {}, "cancellation")
    if req.refund:  # giving back all she paid, whatever her terms keep, is the owner's
        _money_is_the_owners(p, "Cancelling with the deposit given back moves money", "refund")
    a = _appointment(b, appointment_id)
    expect_visit(b, a, if_match)  # cancelled (or moved) on another device: not "cancelled" again
    cancelled_now = False  # by the salon, and the client told: her SMS may wait out the quiet hours
    if a.status == Status.CANCELLED.value:
        from chalicelib.services.payments import fees

        if req.refund and a.payment is not None and a.payment.refundable_cents > 0:
            # Cancelled already (a staff member's salon cancellation, her own late one) and
            # still holding her money: giving it back is the owner's refund, with its amount
            # and reason — never a 200 that refunds nothing (a double tap of a cancellation
            # that gave it all back finds nothing refundable: 200, as before).
            raise Conflict(
                "This booking is already cancelled; give back what she paid with the refund"
                f" (POST /appointments/{a.id}/refund).",
                code="booking_cancelled",
                details={"reason": "refund"},
            )
        a = fees.finish_owed(b, a, clock.now())  # a refund still owed, made now if it is due
    else:
        if a.status != Status.BOOKED.value:
            raise Conflict(
                f"This visit is {a.status.replace('_', ' ')} and cannot be cancelled.", code=f"booking_{a.status}"
            )
        _not_paid_at_the_desk(a)
        # What goes back of what she paid is owed from the cancellation on and refunded
        # right after it (or by the sweeper, if Stripe cannot be reached).
        a = changes.cancel(b, a, req.reason, notify=req.notify, invite=req.invites, by=req.by, give_back=req.refund)
        audited_after_commit(p, "cancel_visit", a.client_id, {"appointment": a.id, "by": req.by, "refund": req.refund})
        cancelled_now = req.notify and a.cancelled_by_salon  # hers (she phoned): told at once
    client = clients.get_client(b.id, a.client_id)
    view = appointment_view(b, a, client, money=p.can("money"))
    if cancelled_now and a.cancelled_at:
        view.update(held_sms(b, a, client, a.cancelled_at))
    return view
