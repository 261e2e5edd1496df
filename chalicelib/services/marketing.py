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
from urllib.parse import parse_qs, urlsplit

from chalicelib import links
from chalicelib.domain import rhythm
from chalicelib.domain.booking import Appointment
from chalicelib.domain.clients import MAINTENANCE, Client
from chalicelib.domain.config import Business, _parse_hhmm
from chalicelib.domain.contacts import first_name
from chalicelib.domain.feedback import is_low
from chalicelib.domain.messages import Message, PlannedMessage, client_as_queued
from chalicelib.domain.timeutil import iso_local, sortable_utc
from chalicelib.domain.visits import outcome
from chalicelib.jobs.budget import BUDGET_SECONDS, Budget
from chalicelib.notify import gsm, outbox
from chalicelib.notify.render import TWO_SEGMENT_UNITS, render
from chalicelib.observability import logger
from chalicelib.services import message_plans, retention, returns
from chalicelib.store import bookings, businesses, clients, jobs
from chalicelib.store import feedback as feedback_store
from chalicelib.store import marketing as store
from chalicelib.store import retention as retention_store

LOOKBACK_DAYS = rhythm.WINBACK_LOOKBACK_DAYS  # lapse steps missed by an outage are still taken


def _morning_reached(b: Business, now: datetime) -> bool:
    local = now.astimezone(b.config.tz)
    return local.hour * 60 + local.minute >= _parse_hhmm(b.config.marketing.send_at)


def _closed_on(b: Business, day: date) -> bool:
    """The business is closed on local date `day` (one of its closures: Christmas, a summer
    break): "book now" waits for a day it is open (a walk: a win-back on Christmas Day)."""
    return b.config.closure_on(day) is not None


def _last_completed(history: Sequence[Appointment], now: datetime) -> Appointment | None:
    return max((a for a in history if outcome(a, now) == "completed"), key=lambda a: a.start, default=None)


def _last_visit(
    b: Business, c: Client, history: Sequence[Appointment], now: datetime, rated_low: bool | None = None
) -> tuple[Appointment | None, str, str | None]:
    """Her last completed visit, a "book again" link and the stylist it chooses: its
    service and staff chosen while the salon still offers them (an imported visit's may be
    unknown, a stylist may have left or stopped doing it) — the stylist not when she rated
    that visit low (a client's walk: "we miss you" with the stylist she had just given two
    stars) — her details filled in (links.rebook_url), the page in her language (a phone in
    another language would book her into it, and every message after). `rated_low`: known
    already (None: read here)."""
    last = _last_completed(history, now)
    service = b.config.service(last.service_id) if last else None
    staff = last.staff_id if last and service and b.config.does(last.staff_id, service.id) else None
    if staff and last and (_rated_low(b, last) if rated_low is None else rated_low):
        staff = None
    url = links.rebook_url(
        b.config.slug,
        b.id,
        c.id,
        now + links.REBOOK_VALID,
        service=service.id if service else None,
        staff=staff,
        lang=c.locale,
    )
    return last, url, staff


def _context(b: Business, c: Client, now: datetime, **extra: Any) -> dict[str, Any]:
    unsubscribe = links.unsubscribe_url(links.unsubscribe_token(b.id, c.id, now))
    return {
        "business": message_plans.business_context(b),
        "client": {"name": c.name, "first_name": first_name(c.name)},
        "unsubscribe_url": unsubscribe,
        # RFC 8058: mail clients offer "unsubscribe" and POST "List-Unsubscribe=One-Click" to it.
        "headers": {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        # Whether she booked or came since, when it is sent (notify/dispatch.py).
        "client_as_queued": client_as_queued(c),
        **extra,
    }


def cap_view(b: Business, c: Client, now: datetime) -> dict[str, str | None]:
    """Her marketing cap as the dashboard shows it (her row, her card, a send's answer):
    when the next marketing message may go (the owner's own words too; None: now), and
    when she last got one (a win-back, a nudge, the owner's own...)."""
    tz = b.config.tz
    nxt = c.next_marketing_at(b.config.marketing.min_days_between, now)
    return {
        "next_at": iso_local(nxt, tz) if nxt else None,
        "last_at": iso_local(c.last_marketing_at, tz) if c.last_marketing_at else None,
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
def _winback_days(now: datetime) -> list[date]:
    return [now.date() + timedelta(days=offset) for offset in range(-LOOKBACK_DAYS, 2)]  # local dates run ahead


def _winback_day(day: date, now: datetime, summary: dict[str, int], budget: Budget) -> None:
    """The win-back steps due on `day`; a client whose step was taken or stopped leaves
    the day's bucket, so a day read again goes on from the rest."""
    for c in store.lapsing_on([day]):
        _spend(budget)
        _winback_step(c, now, summary)


def _lapsed_now(b: Business, c: Client, history: Sequence[Appointment], now: datetime) -> bool:
    """Whether the business's model as it is now (its thresholds changed since her lapse
    day was keyed, or a refit moved them) calls her lapsed. If not, she is re-keyed to it
    (figures_of, as the refit does) and her step waits for the lapse day it gives."""
    model = returns.model_for(b)
    if returns.seen(model, b.config, history, now).status(now, has_future_booking=False) == "lapsed":
        return True
    f = retention.figures_of(b.config, [a for a in history if outcome(a, now) == "completed"], model)
    today = now.astimezone(b.config.tz).date()
    fresh = retention_store.set_client_figures(b.id, c.id, f, today)
    tomorrow = today + timedelta(days=1)
    step = max(f.lapsed_on or tomorrow, tomorrow)
    if fresh and fresh.winback_step_on != step:
        clients.schedule_winback(fresh, step)  # also the next step of a win-back begun (kept by the re-key)
    return False


def _winback_step(c: Client, now: datetime, summary: dict[str, int]) -> None:
    b = businesses.get_by_id(c.business_id)
    step_day = c.winback_step_on
    if not b or not step_day or not _morning_reached(b, now):
        return
    today = now.astimezone(b.config.tz).date()
    if today < step_day:
        return  # not yet this business's morning of that day
    if _closed_on(b, today) and (today - step_day).days < LOOKBACK_DAYS - 1:
        return  # its next open morning; sent on a closed one only before the look-back would lose it
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
    if not _lapsed_now(b, c, history, now):
        summary["winback_not_lapsed"] += 1  # never "we miss you" to one her card calls active or at risk
        return
    if sent and c.last_marketing_at and now - c.last_marketing_at < timedelta(days=cfg.winback_days_between):
        # Never closer together than winback_days_between, whatever moved the step.
        clients.schedule_winback(c, (c.last_marketing_at + timedelta(days=cfg.winback_days_between)).date())
        return
    last, book_url, chosen = _last_visit(b, c, history, now)
    service = b.config.service(last.service_id) if last else None
    staff = b.config.staff_member(chosen) if chosen else None
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


def _nudges_of(business_id: str, now: datetime, summary: dict[str, int], budget: Budget) -> None:
    """To active clients with marketing consent, around the day their next visit is
    expected, when nothing is booked: once per last visit, within the marketing cap."""
    b = businesses.get_by_id(business_id)
    if (
        b
        and b.config.marketing.next_visit_nudge
        and _morning_reached(b, now)
        and not _closed_on(b, now.astimezone(b.config.tz).date())
    ):
        _nudge_business(b, now, summary, budget)


def _nudge_due(b: Business, c: Client, local_today: date) -> bool:
    if not c.wants_marketing or c.relationship == MAINTENANCE or c.is_erased:
        return False
    if c.last_visit_at is None or c.rhythm_days is None or c.nudged_for == c.last_visit_at:
        return False
    expected = rhythm.expected_next(c.last_visit_at, c.rhythm_days).astimezone(b.config.tz).date()
    lead = timedelta(days=b.config.marketing.nudge_lead_days)
    return expected - lead <= local_today <= expected + timedelta(days=NUDGE_GRACE_DAYS)


def _rated_low(b: Business, visit: Appointment) -> bool:
    """Did she rate this visit at or below the business's low score?"""
    rated = feedback_store.get(b.id, visit.id)
    return rated is not None and is_low(rated.rating, b.config.feedback)


def _nudge_business(b: Business, now: datetime, summary: dict[str, int], budget: Budget) -> None:
    local_today = now.astimezone(b.config.tz).date()
    model = None
    for c in retention_store.not_at_risk_by(b.id, local_today):
        _spend(budget)
        if not _nudge_due(b, c, local_today):
            continue  # most of them, and cheap: passed over again when a stopped run goes on here
        history = bookings.client_history(b.id, c.id)
        if any(outcome(a, now) in ("upcoming", "in_progress") for a in history):
            summary["nudge_booked"] += 1  # she has booked: no nudge
            continue
        model = model or returns.model_for(b)
        if returns.seen(model, b.config, history, now).status(now, has_future_booking=False) != "active":
            continue  # not a nudge any more: the win-back's
        last = _last_completed(history, now)
        if last is None or c.last_visit_at is None:
            continue
        if _rated_low(b, last):
            # Unhappy with that visit (the owner was alerted): hers to reach out to, not a
            # cheerful "time for your next visit" with the same stylist pre-selected.
            summary["nudge_rated_low"] += 1
            continue
        _, book_url, _ = _last_visit(b, c, history, now, rated_low=False)  # her rating read above
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
    """Why a personal message could not go: no_contact | no_consent | capped | too_long
    (by SMS: `room`, the GSM-7 units her words may take beside the links)."""

    def __init__(self, reason: str, room: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.room = room


def sms_room(kind: str, locale: str, context: dict[str, Any], now: datetime) -> int:
    """The GSM-7 units the owner's `text` may take in a two-part SMS of `kind` beside its
    links as they are for this client (her rebook link and unsubscribe token): the
    message rendered around one character, measured. Longer words would cut the links
    (render keeps the last line whole, not the rebook link before it)."""
    around = gsm.gsm7_length(render(kind, locale, {**context, "text": "x"}, now).sms) - 1
    return TWO_SEGMENT_UNITS - around


def personal_sms_room(b: Business, c: Client, history: Sequence[Appointment], now: datetime) -> int | None:
    """The units her words may take in a personal message by SMS (her links as they would
    be now: the dialog counts against it), or None where it would go by email or nowhere."""
    if c.email or not c.phone:
        return None
    try:
        _, book_url, _ = _last_visit(b, c, history, now)
        return sms_room("personal", c.locale, _context(b, c, now, text="", book_url=book_url), now)
    except Exception:  # a hint for the counter: it must not fail a save that landed, nor the list
        logger().exception("sms room not measured", extra={"business_id": b.id, "client_id": c.id})
        return None  # the dialog counts against the usual room; the send measures again


def _personal_plan(
    b: Business, c: Client, text: str, now: datetime, key: str
) -> tuple[PlannedMessage, dict[str, Any], str | None]:
    """Her personal message planned (the send's and the preview's): the plan, its context
    and her rebook link as they are now; PersonalNotSent("no_contact") with no address."""
    _, book_url, _ = _last_visit(b, c, bookings.client_history(b.id, c.id), now)
    context = _context(b, c, now, text=text, book_url=book_url)
    planned = message_plans.to_client(b, c, key, "personal", context, now)
    if planned is None:
        raise PersonalNotSent("no_contact")
    return planned, context, book_url


def personal(b: Business, c: Client, text: str, now: datetime) -> list[Message]:
    """The owner's own words to a client slipping away, with a one-tap rebook link. It is
    marketing: only with consent, under the same cap as win-back, with an unsubscribe link."""
    if not c.wants_marketing:
        raise PersonalNotSent("no_consent")
    planned, context, _ = _personal_plan(b, c, text, now, f"{c.id}#personal#{sortable_utc(now)}")
    if planned.channel == "sms":
        room = sms_room("personal", c.locale, context, now)
        if gsm.gsm7_length(gsm.to_gsm7(text)) > room:
            raise PersonalNotSent("too_long", room)
    try:
        messages = store.send_personal(c, planned, now, _cap_since(b, now), outbox.IMMEDIATE_LEASE)
    except (store.NotAllowed, store.AlreadySent):
        raise PersonalNotSent("capped") from None
    return outbox.deliver(messages, now)  # as sent (or due for a retry): the owner sees which


def personal_preview(b: Business, c: Client, text: str, now: datetime) -> dict[str, Any]:
    """What personal() would send her now, as the sender renders it: the email's subject
    and text, or the SMS. Her links are shown with their keys left out: a working
    unsubscribe link (or a rebook link with her details) must reach no one but her. It
    sends nothing, and asks no consent or cap: the send does (and refuses an SMS too long
    for her links, where a preview shows what would go)."""
    planned, context, book_url = _personal_plan(b, c, text, now, f"{c.id}#preview")
    shown = render("personal", planned.locale, planned.context, now)
    keys = [context["unsubscribe_url"].rstrip("/").rpartition("/")[2]]
    keys += parse_qs(urlsplit(book_url).query).get("again", []) if book_url else []

    def hidden(words: str) -> str:
        for key in filter(None, keys):
            words = words.replace(key, "…")
        return words

    if planned.channel == "sms":
        return {"channel": "sms", "subject": None, "text": hidden(shown.sms)}
    return {"channel": "email", "subject": hidden(shown.subject), "text": hidden(shown.text)}


# --- birthdays -------------------------------------------------------------------------
def _greet_on(birthday: str, year: int) -> date:
    """This year's greeting day; 29 February is greeted on 28 February in common years."""
    month, day = int(birthday[-5:-3]), int(birthday[-2:])
    if (month, day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def _birthday_month_days(now: datetime) -> list[str]:
    found = []
    for offset in (-1, 0, 1):  # local dates run up to a day either side of UTC
        d = now.date() + timedelta(days=offset)
        found.append(d.strftime("%m-%d"))
        if d.month == 2 and d.day == 28 and not calendar.isleap(d.year):
            found.append("02-29")  # greeted on 28 February in common years
    return found


def _birthdays_on(month_day: str, now: datetime, summary: dict[str, int], budget: Budget) -> None:
    for c in store.birthdays_on([month_day]):
        _spend(budget)
        _birthday(c, now, summary)  # once a year: a client greeted is passed over


def _birthday(c: Client, now: datetime, summary: dict[str, int]) -> None:
    b = businesses.get_by_id(c.business_id)
    if not b or not b.config.marketing.birthday_greetings or not c.birthday or not _morning_reached(b, now):
        return
    local_day = now.astimezone(b.config.tz).date()
    if _greet_on(c.birthday, local_day.year) != local_day or c.birthday_greeted == local_day.year:
        return
    if not c.wants_marketing:
        return
    perk = b.config.marketing.birthday_perk
    context = _context(b, c, now, perk=perk.get(c.locale) if perk else None, book_url=links.book_url(b.config.slug))
    planned = message_plans.to_client(b, c, f"{c.id}#birthday#{local_day.year}", "birthday", context, now)
    if planned is None:
        return
    send = functools.partial(
        store.send_birthday, c, planned, now, _cap_since(b, now), outbox.IMMEDIATE_LEASE, year=local_day.year
    )
    _sent("birthday", summary, now, send)


# --- the hourly run ------------------------------------------------------------------------
JOB = "marketing"


class _OutOfTime(Exception):
    pass


def _spend(budget: Budget) -> None:
    if not budget.fits():
        raise _OutOfTime()


def _round(now: datetime) -> list[tuple[str, Callable[[datetime, dict[str, int], Budget], None]]]:
    """An hour's work in units, in a fixed order: win-back by day, nudges by business,
    birthdays by month-day. A unit is named so a later run can go on with it."""
    units: list[tuple[str, Callable[[datetime, dict[str, int], Budget], None]]] = []
    units += [(f"winback:{d.isoformat()}", functools.partial(_winback_day, d)) for d in _winback_days(now)]
    units += [(f"nudge:{b}", functools.partial(_nudges_of, b)) for b in businesses.all_ids()]
    units += [(f"birthday:{md}", functools.partial(_birthdays_on, md)) for md in _birthday_month_days(now)]
    return units


def run(now: datetime, simulated: bool = False, budget_seconds: float = BUDGET_SECONDS) -> dict[str, int]:
    """One run of the hour's round within the budget. A run the budget stops saves the
    unit it stopped in; the next run goes on from there (what the stopped unit already
    did is passed over: each message is sent once) and finishes the round before a new
    one starts, so every unit gets its turn however long the backlog."""
    summary = dict.fromkeys(
        (
            "winback_sent",
            "winback_not_allowed",
            "winback_stopped",
            "winback_not_lapsed",
            "nudge_sent",
            "nudge_not_allowed",
            "nudge_booked",
            "nudge_rated_low",
            "birthday_sent",
            "birthday_not_allowed",
            "units",
            "resumed",
            "stopped_by_budget",
        ),
        0,
    )
    budget = Budget(budget_seconds)
    units = _round(now)
    names = [name for name, _ in units]
    left = jobs.get_round(JOB)
    began, start = now, 0
    if left and left[1] in names:
        began, start = left[0], names.index(left[1])
        summary["resumed"] = 1
    for name, work in units[start:]:
        try:
            work(now, summary, budget)
        except _OutOfTime:
            summary["stopped_by_budget"] = 1
            if not simulated:
                jobs.set_round(JOB, began, name, now)
            break
        summary["units"] += 1
    else:
        if left and not simulated:
            jobs.set_round(JOB, began, None, now)  # the round is done: the next run starts a new one
    logger().info("marketing finished", extra=summary)
    return summary
