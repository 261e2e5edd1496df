"""Win-back, "time for your next visit" and birthday messages, run hourly and acting for each business at its own
local morning (`marketing.send_at`). Marketing only to clients with consent, never to
the unsubscribed or to clients in maintenance, at most one marketing message per
client per `marketing.min_days_between` days, each through the outbox with an
unsubscribe link (and RFC 8058 one-click headers on email)."""

from __future__ import annotations

import calendar
import functools
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib import links
from chalicelib.domain import rhythm
from chalicelib.domain.booking import Appointment
from chalicelib.domain.clients import MAINTENANCE, Client
from chalicelib.domain.config import Business, _parse_hhmm
from chalicelib.domain.contacts import first_name
from chalicelib.domain.messages import Message
from chalicelib.domain.timeutil import sortable_utc
from chalicelib.domain.visits import outcome
from chalicelib.notify import outbox
from chalicelib.services import message_plans, returns
from chalicelib.store import bookings, businesses, clients
from chalicelib.store import marketing as store
from chalicelib.store import retention as retention_store

LOOKBACK_DAYS = 7  # lapse steps missed by an outage are still taken


def _morning_reached(b: Business, now: datetime) -> bool:
    local = now.astimezone(b.config.tz)
    return local.hour * 60 + local.minute >= _parse_hhmm(b.config.marketing.send_at)


def _last_visit(
    b: Business, c: Client, history: Sequence[Appointment], now: datetime
) -> tuple[Appointment | None, str]:
    """Her last completed visit and a "book again" link: its service and staff chosen,
    her details filled in (links.rebook_url)."""
    last = max((a for a in history if outcome(a, now) == "completed"), key=lambda a: a.start, default=None)
    return last, links.rebook_url(
        b.config.slug,
        b.id,
        c.id,
        now + links.REBOOK_VALID,
        service=last.service_id if last else None,
        staff=last.staff_id if last else None,
    )


def _context(b: Business, c: Client, now: datetime, **extra: Any) -> dict[str, Any]:
    unsubscribe = links.unsubscribe_url(links.unsubscribe_token(b.id, c.id, now))
    return {
        "business": message_plans.business_context(b),
        "client": {"name": c.name, "first_name": first_name(c.name)},
        "unsubscribe_url": unsubscribe,
        # RFC 8058: mail clients offer "unsubscribe" and POST "List-Unsubscribe=One-Click" to it.
        "headers": {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        **extra,
    }


def _cap_since(b: Business, now: datetime) -> datetime:
    """At most one marketing message per client in this many days."""
    return now - timedelta(days=b.config.marketing.min_days_between)


def _sent(kind: str, summary: dict[str, int], now: datetime, send: Callable[[], list[Message]]) -> bool:
    """Send through `send` (one of store.send_*), deliver, and count what came of it."""
    try:
        messages = send()
    except store.AlreadySent:
        return False
    except store.NotAllowed:
        summary[f"{kind}_not_allowed"] += 1
        return False
    outbox.deliver(messages, now)
    summary[f"{kind}_sent"] += 1
    return True


# --- win-back --------------------------------------------------------------------------
def winback(now: datetime, summary: dict[str, int]) -> None:
    today = now.date()
    for offset in range(-LOOKBACK_DAYS, 2):  # local dates run up to a day ahead of UTC
        for c in store.lapsing_on(today + timedelta(days=offset)):
            _winback_step(c, now, summary)


def _winback_step(c: Client, now: datetime, summary: dict[str, int]) -> None:
    b = businesses.get_by_id(c.business_id)
    step_day = c.winback_step_on
    if not b or not step_day or not _morning_reached(b, now) or now.astimezone(b.config.tz).date() < step_day:
        return  # not yet this business's morning of that day
    cfg = b.config.marketing
    episode = c.lapsed_on.isoformat() if c.lapsed_on else None
    sent = c.winback_sent if c.winback_episode == episode else 0
    eligible = (
        c.wants_marketing
        and c.relationship != MAINTENANCE
        and sent < cfg.winback_messages
        and c.last_visit_at is not None
        and episode is not None
    )
    history = bookings.client_history(b.id, c.id) if eligible else []
    if eligible and any(outcome(a, now) in ("upcoming", "in_progress") for a in history):
        eligible = False  # she booked: the sequence stops
    if not eligible or episode is None:
        clients.schedule_winback(c, None)
        summary["winback_stopped"] += 1
        return
    if sent and c.last_marketing_at and now - c.last_marketing_at < timedelta(days=cfg.winback_days_between):
        # Never closer together than winback_days_between, whatever moved the step.
        clients.schedule_winback(c, (c.last_marketing_at + timedelta(days=cfg.winback_days_between)).date())
        return
    last, book_url = _last_visit(b, c, history, now)
    service = b.config.service(last.service_id) if last else None
    staff = b.config.staff_member(last.staff_id) if last else None
    n = sent + 1
    context = _context(
        b,
        c,
        now,
        service={"id": last.service_id if last else None, "name": service.name.get(c.locale) if service else None},
        staff={"name": staff.name if staff else None},
        step=n,
        book_url=book_url,
    )
    planned = message_plans.to_client(b, c, f"{c.id}#winback#{episode}#{n}", "winback", context, now)
    if planned is None:
        clients.schedule_winback(c, None)
        return
    next_step = now.astimezone(b.config.tz).date() + timedelta(days=cfg.winback_days_between)
    send = functools.partial(
        store.send_winback,
        c,
        planned,
        now,
        _cap_since(b, now),
        outbox.IMMEDIATE_LEASE,
        episode=episode,
        sent_before=sent,
        next_step=next_step if n < cfg.winback_messages else None,
    )
    if not _sent("winback", summary, now, send):
        # Capped by other marketing (or the state moved on): try again when the cap allows.
        local_today = now.astimezone(b.config.tz).date()
        cap_lifts = (
            ((c.last_marketing_at or now) + timedelta(days=b.config.marketing.min_days_between))
            .astimezone(b.config.tz)
            .date()
        )
        retry = cap_lifts if cap_lifts >= local_today else local_today + timedelta(days=1)
        fresh = clients.get_client(c.business_id, c.id)
        if fresh and fresh.lapsed_on == c.lapsed_on and fresh.winback_sent == sent:
            clients.schedule_winback(fresh, retry)


# --- "time for your next visit" --------------------------------------------------------
# A nudge goes from `nudge_lead_days` before the day her rhythm expects her until this
# many days after it (a missed morning is caught up; later it would be a win-back).
NUDGE_GRACE_DAYS = 7


def nudges(now: datetime, summary: dict[str, int]) -> None:
    """To active clients with marketing consent, around the day their next visit is
    expected, when nothing is booked: once per last visit, within the marketing cap."""
    for business_id in businesses.all_ids():
        b = businesses.get_by_id(business_id)
        if b and b.config.marketing.next_visit_nudge and _morning_reached(b, now):
            _nudge_business(b, now, summary)


def _nudge_due(b: Business, c: Client, local_today: date) -> bool:
    if not c.wants_marketing or c.relationship == MAINTENANCE or c.is_erased:
        return False
    if c.last_visit_at is None or c.rhythm_days is None or c.nudged_for == c.last_visit_at:
        return False
    expected = rhythm.expected_next(c.last_visit_at, c.rhythm_days).astimezone(b.config.tz).date()
    lead = timedelta(days=b.config.marketing.nudge_lead_days)
    return expected - lead <= local_today <= expected + timedelta(days=NUDGE_GRACE_DAYS)


def _nudge_business(b: Business, now: datetime, summary: dict[str, int]) -> None:
    local_today = now.astimezone(b.config.tz).date()
    model = None
    for c in retention_store.not_at_risk_by(b.id, local_today):
        if not _nudge_due(b, c, local_today):
            continue
        history = bookings.client_history(b.id, c.id)
        if any(outcome(a, now) in ("upcoming", "in_progress") for a in history):
            summary["nudge_booked"] += 1  # she has booked: no nudge
            continue
        model = model or returns.model_for(b)
        if model.status(returns.visit_starts(history, now), now, has_future_booking=False) != "active":
            continue  # not a nudge any more: the win-back's
        last, book_url = _last_visit(b, c, history, now)
        if last is None or c.last_visit_at is None:
            continue
        service = b.config.service(last.service_id)
        staff = b.config.staff_member(last.staff_id)
        context = _context(
            b,
            c,
            now,
            service={"id": last.service_id, "name": service.name.get(c.locale) if service else None},
            staff={"name": staff.name if staff else None},
            book_url=book_url,
        )
        key = f"{c.id}#nudge#{sortable_utc(c.last_visit_at)}"
        planned = message_plans.to_client(b, c, key, "nudge", context, now)
        if planned is None:
            continue
        send = functools.partial(
            store.send_nudge,
            c,
            planned,
            now,
            _cap_since(b, now),
            outbox.IMMEDIATE_LEASE,
            last_visit=c.last_visit_at,
        )
        _sent("nudge", summary, now, send)


# --- personal messages ---------------------------------------------------------------
class PersonalNotSent(Exception):
    """Why a personal message could not go: no_contact | no_consent | capped."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def personal(b: Business, c: Client, text: str, now: datetime) -> list[Message]:
    """The owner's own words to a client slipping away, with a one-tap rebook link. It is
    marketing: only with consent, under the same cap as win-back, with an unsubscribe link."""
    if not c.wants_marketing:
        raise PersonalNotSent("no_consent")
    _, book_url = _last_visit(b, c, bookings.client_history(b.id, c.id), now)
    context = _context(b, c, now, text=text, book_url=book_url)
    planned = message_plans.to_client(b, c, f"{c.id}#personal#{sortable_utc(now)}", "personal", context, now)
    if planned is None:
        raise PersonalNotSent("no_contact")
    try:
        messages = store.send_personal(c, planned, now, _cap_since(b, now), outbox.IMMEDIATE_LEASE)
    except (store.NotAllowed, store.AlreadySent):
        raise PersonalNotSent("capped") from None
    return outbox.deliver(messages, now)  # as sent (or due for a retry): the owner sees which


# --- birthdays -------------------------------------------------------------------------
def _greet_on(birthday: str, year: int) -> date:
    """This year's greeting day; 29 February is greeted on 28 February in common years."""
    month, day = int(birthday[-5:-3]), int(birthday[-2:])
    if (month, day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def birthdays(now: datetime, summary: dict[str, int]) -> None:
    seen = set()
    for offset in (-1, 0, 1):
        d = now.date() + timedelta(days=offset)
        month_days = [d.strftime("%m-%d")]
        if d.month == 2 and d.day == 28 and not calendar.isleap(d.year):
            month_days.append("02-29")
        for md in month_days:
            for c in store.birthdays_on(md):
                if (c.business_id, c.id) not in seen:
                    seen.add((c.business_id, c.id))
                    _birthday(c, now, summary)


def _birthday(c: Client, now: datetime, summary: dict[str, int]) -> None:
    b = businesses.get_by_id(c.business_id)
    if not b or not b.config.marketing.birthday_greetings or not c.birthday or not _morning_reached(b, now):
        return
    local_day = now.astimezone(b.config.tz).date()
    if _greet_on(c.birthday, local_day.year) != local_day or c.birthday_greeted == local_day.year:
        return
    if not c.wants_marketing:
        return
    context = _context(b, c, now, perk=b.config.marketing.birthday_perk, book_url=links.book_url(b.config.slug))
    planned = message_plans.to_client(b, c, f"{c.id}#birthday#{local_day.year}", "birthday", context, now)
    if planned is None:
        return
    send = functools.partial(
        store.send_birthday, c, planned, now, _cap_since(b, now), outbox.IMMEDIATE_LEASE, year=local_day.year
    )
    _sent("birthday", summary, now, send)


def run(now: datetime) -> dict[str, int]:
    summary = dict.fromkeys(
        (
            "winback_sent",
            "winback_not_allowed",
            "winback_stopped",
            "nudge_sent",
            "nudge_not_allowed",
            "nudge_booked",
            "birthday_sent",
            "birthday_not_allowed",
        ),
        0,
    )
    winback(now, summary)
    nudges(now, summary)
    birthdays(now, summary)
    return summary
