"""Win-back and birthday messages, run hourly and acting for each business at its own
local morning (`marketing.send_at`). Marketing only to clients with consent, never to
the unsubscribed or to clients in maintenance, at most one marketing message per
client per `marketing.min_days_between` days, each through the outbox with an
unsubscribe link (and RFC 8058 one-click headers on email)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from chalicelib import links
from chalicelib.domain.config import _parse_hhmm
from chalicelib.domain.contacts import first_name
from chalicelib.domain.visits import outcome
from chalicelib.notify import outbox
from chalicelib.services import message_plans
from chalicelib.store import bookings, businesses, keys, kpis
from chalicelib.store import marketing as store
from chalicelib.store.models import ClientItem

LOOKBACK_DAYS = 7  # lapse steps missed by an outage are still taken


def _morning_reached(b, now: datetime) -> bool:
    local = now.astimezone(b.config.tz)
    return local.hour * 60 + local.minute >= _parse_hhmm(b.config.marketing.send_at)


def _last_visit(b, history, now: datetime):
    """Her last completed visit and a booking link pre-filled with its service and staff."""
    last = max((a for a in history if outcome(a, now) == "completed"), key=lambda a: a.start, default=None)
    return last, links.book_url(
        b.config.slug, service=last.service_id if last else None, staff=last.staff_id if last else None
    )


def _context(b, c: ClientItem, now: datetime, **extra) -> dict:
    unsubscribe = links.unsubscribe_url(links.unsubscribe_token(b.id, c.client_id, now))
    return {
        "business": message_plans.business_context(b),
        "client": {"name": c.name, "first_name": first_name(c.name)},
        "unsubscribe_url": unsubscribe,
        # RFC 8058: mail clients offer "unsubscribe" and POST "List-Unsubscribe=One-Click" to it.
        "headers": {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        **extra,
    }


def _send(b, c, planned, now, actions, condition, summary, kind) -> bool:
    cap_since = now - timedelta(days=b.config.marketing.min_days_between)
    try:
        items = store.send(c, planned, now, cap_since, actions, condition, outbox.IMMEDIATE_LEASE)
    except store.AlreadySent:
        return False
    except store.NotAllowed:
        summary[f"{kind}_not_allowed"] += 1
        return False
    outbox.deliver(items, now)
    summary[f"{kind}_sent"] += 1
    return True


# --- win-back --------------------------------------------------------------------------
def winback(now: datetime, summary: dict) -> None:
    today = now.date()
    for offset in range(-LOOKBACK_DAYS, 2):  # local dates run up to a day ahead of UTC
        for c in store.lapsing_on((today + timedelta(days=offset)).isoformat()):
            _winback_step(c, now, summary)


def _winback_step(c: ClientItem, now: datetime, summary: dict) -> None:
    b = businesses.get_by_id(c.business_id)
    step_day = c.g4sk and c.g4pk.split("#")[1]
    if (
        not b
        or not step_day
        or not _morning_reached(b, now)
        or now.astimezone(b.config.tz).date().isoformat() < step_day
    ):
        return  # not yet this business's morning of that day
    cfg = b.config.marketing
    episode = c.lapsed_on
    sent = int(c.winback_sent or 0) if c.winback_episode == episode else 0
    eligible = (
        c.marketing
        and c.marketing.granted
        and not c.erased_at
        and c.relationship != "maintenance"
        and sent < cfg.winback_messages
        and c.last_visit_at
    )
    history = bookings.client_history(b.id, c.client_id) if eligible else []
    if eligible and any(outcome(a, now) in ("upcoming", "in_progress") for a in history):
        eligible = False  # she booked: the sequence stops
    if not eligible:
        store.move_lapse_step(c, None)
        summary["winback_stopped"] += 1
        return
    if sent and c.last_marketing_at and now - c.last_marketing_at < timedelta(days=cfg.winback_days_between):
        # Never closer together than winback_days_between, whatever moved the step.
        store.move_lapse_step(c, (c.last_marketing_at + timedelta(days=cfg.winback_days_between)).date().isoformat())
        return
    last, book_url = _last_visit(b, history, now)
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
    planned = message_plans.to_client(b, c, f"{c.client_id}#winback#{episode}#{n}", "winback", context, now)
    if planned is None:
        store.move_lapse_step(c, None)
        return
    next_day = (now.astimezone(b.config.tz).date() + timedelta(days=cfg.winback_days_between)).isoformat()
    g4 = n < cfg.winback_messages
    g4pk, g4sk = keys.lapse_keys(b.id, c.client_id, next_day) if g4 else (None, None)
    # The KPIs credit her next booking to this message (win-back conversions).
    actions = [
        ClientItem.winback_episode.set(episode),
        ClientItem.winback_sent.set(n),
        *kpis.winback_sent_actions(now),
        *kpis.changed_actions(b.id, c.client_id, now),
        ClientItem.g4pk.set(g4pk) if g4 else ClientItem.g4pk.remove(),
        ClientItem.g4sk.set(g4sk) if g4 else ClientItem.g4sk.remove(),
    ]
    same_state = (ClientItem.lapsed_on == episode) & (
        ClientItem.winback_sent.does_not_exist()
        | (ClientItem.winback_episode != episode)
        | (ClientItem.winback_sent == sent)
    )
    if not _send(b, c, planned, now, actions, same_state, summary, "winback"):
        # Capped by other marketing (or the state moved on): try again when the cap allows.
        local_today = now.astimezone(b.config.tz).date()
        cap_lifts = (
            ((c.last_marketing_at or now) + timedelta(days=b.config.marketing.min_days_between))
            .astimezone(b.config.tz)
            .date()
        )
        retry = cap_lifts if cap_lifts >= local_today else local_today + timedelta(days=1)
        fresh = ClientItem.get(c.pk, c.sk, consistent_read=True)
        if fresh.lapsed_on == episode and int(fresh.winback_sent or 0) == sent:
            store.move_lapse_step(fresh, retry.isoformat())


# --- personal messages ---------------------------------------------------------------
class PersonalNotSent(Exception):
    """Why a personal message could not go: no_contact | no_consent | capped."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def personal(b, c: ClientItem, text: str, now: datetime) -> list:
    """The owner's own words to a client slipping away, with a one-tap rebook link. It is
    marketing: only with consent, under the same cap as win-back, with an unsubscribe link."""
    if not (c.marketing and c.marketing.granted) or c.erased_at:
        raise PersonalNotSent("no_consent")
    _, book_url = _last_visit(b, bookings.client_history(b.id, c.client_id), now)
    context = _context(b, c, now, text=text, book_url=book_url)
    planned = message_plans.to_client(
        b, c, f"{c.client_id}#personal#{keys.sortable_time(now)}", "personal", context, now
    )
    if planned is None:
        raise PersonalNotSent("no_contact")
    cap_since = now - timedelta(days=b.config.marketing.min_days_between)
    try:
        items = store.send(c, planned, now, cap_since, [], None, outbox.IMMEDIATE_LEASE)
    except (store.NotAllowed, store.AlreadySent):
        raise PersonalNotSent("capped") from None
    outbox.deliver(items, now)
    return items


# --- birthdays -------------------------------------------------------------------------
def _greet_on(birthday: str, year: int) -> date:
    """This year's greeting day; 29 February is greeted on 28 February in common years."""
    month, day = int(birthday[-5:-3]), int(birthday[-2:])
    if (month, day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def birthdays(now: datetime, summary: dict) -> None:
    seen = set()
    for offset in (-1, 0, 1):
        d = now.date() + timedelta(days=offset)
        month_days = [d.strftime("%m-%d")]
        if d.month == 2 and d.day == 28 and not calendar.isleap(d.year):
            month_days.append("02-29")
        for md in month_days:
            for c in store.birthdays_on(md):
                if (c.business_id, c.client_id) not in seen:
                    seen.add((c.business_id, c.client_id))
                    _birthday(c, now, summary)


def _birthday(c: ClientItem, now: datetime, summary: dict) -> None:
    b = businesses.get_by_id(c.business_id)
    if not b or not b.config.marketing.birthday_greetings or not c.birthday or not _morning_reached(b, now):
        return
    local_day = now.astimezone(b.config.tz).date()
    if _greet_on(c.birthday, local_day.year) != local_day or int(c.birthday_greeted or 0) == local_day.year:
        return
    if not (c.marketing and c.marketing.granted) or c.erased_at:
        return
    context = _context(b, c, now, perk=b.config.marketing.birthday_perk, book_url=links.book_url(b.config.slug))
    planned = message_plans.to_client(b, c, f"{c.client_id}#birthday#{local_day.year}", "birthday", context, now)
    if planned is None:
        return
    once_a_year = ClientItem.birthday_greeted.does_not_exist() | (ClientItem.birthday_greeted < local_day.year)
    _send(b, c, planned, now, [ClientItem.birthday_greeted.set(local_day.year)], once_a_year, summary, "birthday")


def run(now: datetime) -> dict:
    summary = dict.fromkeys(
        ("winback_sent", "winback_not_allowed", "winback_stopped", "birthday_sent", "birthday_not_allowed"), 0
    )
    winback(now, summary)
    birthdays(now, summary)
    return summary
