"""Who gets a reminder of a day's visits, when and by which channel — or why not: the
desk's "who is reminded tomorrow?". A read of what the outbox holds for each visit, and
where it holds nothing, the reminder rules (domain/reminders.py) say why."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain import reminders as reminder_rules
from chalicelib.domain.booking import Appointment
from chalicelib.domain.clients import Client
from chalicelib.domain.config import Business
from chalicelib.domain.contacts import sms_refusal
from chalicelib.domain.messages import OPEN_STATUSES, Message, MessageStatus, planned_in, queued
from chalicelib.domain.timeutil import iso_local
from chalicelib.services.admin.calendar import appointments_on
from chalicelib.services.admin.common import audited, business_of, parse_date, today
from chalicelib.services.message_plans import reminder_key, sms_to, stopped_number
from chalicelib.store import clients, daysheets
from chalicelib.store import outbox as store


def day_reminders(p: Principal, params: dict[str, str]) -> dict[str, Any]:
    """The reminders of the visits of `date` (default tomorrow, local), visit by visit:
    one line per rule of the business's reminder plan."""
    b = business_of(p)
    tz = b.config.tz
    day = parse_date((params or {}).get("date"), "date", default=today(b) + timedelta(days=1))
    sheets = daysheets.in_range(b.id, day, day, consistent=True)
    visits = [a for a in appointments_on(b, sheets, day, day + timedelta(days=1)) if a.is_active]
    people = clients.get_clients(b.id, {a.client_id for a in visits})
    found = store.get_messages(
        b.id, [reminder_key(a, rule.id, rule.channel) for a in visits for rule in b.config.reminders]
    )
    found.update(_not_expanded(b, visits, found))
    # Numbers that replied STOP: asked of SNS only for clients a send found so.
    stopped = {n for c in people.values() if (n := stopped_number(c))}
    audited(p, "read_reminders", None, {"date": day.isoformat()})
    return {
        "date": day.isoformat(),
        "timezone": b.config.timezone,
        "visits": [
            {
                "appointment_id": a.id,
                "start": iso_local(a.start, tz),
                "status": a.status,
                "staff": {
                    "id": a.staff_id,
                    "name": (m.name if (m := b.config.staff_member(a.staff_id)) else a.staff_id),
                },
                "client": {
                    "id": a.client_id,
                    "name": c.name if (c := people.get(a.client_id)) and not c.is_erased else None,
                },
                "reminders": _reminders(b, a, people.get(a.client_id), found, stopped),
            }
            for a in visits
        ],
    }


def _not_expanded(b: Business, visits: list[Appointment], found: dict[str, Message]) -> dict[str, Message]:
    """The reminders of visits whose plan is still on the appointment (its expansion into
    the outbox has not happened yet: a moment after the booking or its move, longer when
    the outbox stream failed and the sweeper does it), as the outbox will hold them. Read
    only for visits missing a reminder the outbox would hold (one BatchGetItem)."""
    wanted = {a.id: {reminder_key(a, r.id, r.channel) for r in b.config.reminders} - set(found) for a in visits}
    plans = store.waiting_plans(b.id, [i for i, keys in wanted.items() if keys])
    now = clock.now()
    return {
        m.key: queued(m, now)
        for appointment_id, plan in plans.items()
        for m, _parked in planned_in(plan)
        if m.key in wanted[appointment_id]
    }


def _reminders(
    b: Business, a: Appointment, c: Client | None, found: dict[str, Message], stopped: Collection[str] = ()
) -> list[dict[str, Any]]:
    """One line per rule; `stopped`: numbers that replied STOP (an SMS still planned for
    one fails `opted_out` when its time comes: none reaches her, and the line says so now)."""
    cfg, tz = b.config, b.config.tz
    contact = {"email": c.email if c else None, "sms": sms_to(b, c.phone) if c else None}
    # Why a rule has no message: the booking's plan made again, at the moment it was made as
    # near as the visit tells (booked, or its last change for a moved one).
    booked_at = a.updated_at if a.reschedules else a.created_at
    planned = {
        r.rule_id: r
        for r in reminder_rules.plan(
            cfg.reminders,
            cfg.quiet_hours,
            tz,
            a.start,
            booked_at,
            {ch for ch, to in contact.items() if to},
            a.change_deadline(cfg.rules.cancellation_window_hours, cfg.rules.change_grace_minutes),
        )
    }
    out = []
    for rule in cfg.reminders:
        line: dict[str, Any] = {"rule": rule.id, "channel": rule.channel, "status": "none", "at": None, "reason": None}
        nominal = reminder_rules.nominal_time(rule, a.start, tz)
        m = found.get(reminder_key(a, rule.id, rule.channel))
        if a.reminders_off and (m is None or m.status in OPEN_STATUSES):
            # Turned off after booking: the sender skips what was planned (store/outbox.py claim).
            line["reason"] = "reminders_off"
        elif (
            rule.channel == "sms"
            and (m.recipient if m else contact["sms"]) in stopped
            and (m is None or m.status in OPEN_STATUSES)
        ):
            line["reason"] = "opted_out"
        elif m is not None:
            at = m.sent_at if m.sent_at and m.status == MessageStatus.SENT.value else m.due_at
            line.update(status=m.status, at=iso_local(at, tz), reason=m.last_error)
            moved = rule.channel == "sms" and reminder_rules.in_quiet_hours(nominal, cfg.quiet_hours, tz)
            if m.status in OPEN_STATUSES and moved:  # the SMS waits for the quiet hours' end
                line.update(reason="quiet_hours_moved", planned_for=iso_local(nominal, tz))
        elif c is None or c.is_erased:
            line["reason"] = "no_client"
        elif not contact[rule.channel]:
            line["reason"] = "no_email" if rule.channel == "email" else sms_refusal(c.phone, cfg.sms.countries)
        elif rule.channel == "sms" and a.sms_limited and not a.reschedules:
            # The number's or the IP's SMS of the day left her SMS out (a move plans them again).
            line["reason"] = "sms_limit"
        elif (plan := planned.get(rule.id)) is not None and plan.skipped:
            line.update(reason=plan.skipped, planned_for=iso_local(nominal, tz))
        else:
            line["reason"] = "not_planned"
        out.append(line)
    return out
