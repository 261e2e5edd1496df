"""The owner's list of clients slipping away: at risk and lapsed by the business's return
model, the most value at stake first."""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain import rhythm
from chalicelib.domain.booking import Appointment
from chalicelib.domain.clients import MAINTENANCE, Client
from chalicelib.domain.config import Business
from chalicelib.domain.contacts import phone_display
from chalicelib.domain.csv_import import UNKNOWN as IMPORTED_SERVICE
from chalicelib.domain.returns import ReturnModel
from chalicelib.domain.timeutil import iso_local
from chalicelib.domain.visits import outcome
from chalicelib.errors import BadRequest, ValidationFailed
from chalicelib.services import marketing, returns
from chalicelib.services.admin.common import audited, business_of, today
from chalicelib.services.admin.standing import shown, warnings
from chalicelib.store import bookings, feedback, followups
from chalicelib.store import retention as store

STATUSES = ("at_risk", "lapsed")
# The list's orders (`order`): the value the business stands to lose, most first (the
# default, issue 22), or the day she turned at risk or lapsed (her status's), newest first:
# who is slipping now, before those long gone.
ORDERS = ("value", "recent")
# Open follow-ups due by today read for the list's warnings (the most overdue first).
FOLLOWUPS_READ = 1000
# Clients whose records the list reads at once.
READERS = 8


def slipping(p: Principal, params: dict[str, str]) -> dict[str, Any]:
    """At risk and lapsed as the business's return model says, ordered by the value the
    business stands to lose: (1 - P(she returns within half a year)) x her typical spend,
    or with `order=recent` by the day she turned into her status, newest first; each with
    her early warnings (why, in plain words); with the thresholds in use and where they
    come from."""
    b = business_of(p)
    wanted = (params or {}).get("status")
    if wanted and wanted not in STATUSES:
        raise ValidationFailed("'status' is at_risk or lapsed.", fields={"status": "expected at_risk or lapsed"})
    order = (params or {}).get("order") or ORDERS[0]
    if order not in ORDERS:
        raise BadRequest("'order' is value or recent.", code="bad_order", fields={"order": "expected value or recent"})
    now, tz = clock.now(), b.config.tz
    model = returns.model_for(b)
    # Her early warnings' overdue follow-ups: the business's open ones due by today, one
    # Query for the whole list rather than one per client.
    dues: dict[str, list[date | None]] = defaultdict(list)
    day = today(b)
    for f in followups.due_until(b.id, day, limit=FOLLOWUPS_READ):
        dues[f.client_id].append(f.due)
    listed = [row for row in judged(b, model, now, day) if not wanted or row[2] == wanted]
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        ratings = list(pool.map(lambda row: feedback.of_client(b.id, row[0].id), listed))
    out: list[dict[str, Any]] = []
    for (c, history, state, seen), rated in zip(listed, ratings, strict=True):
        last_visit, rhythm_days = c.last_visit_at, c.rhythm_days
        if last_visit is None or rhythm_days is None:  # none among the candidates (for mypy)
            continue
        p_return = seen.p_return(now, model.window_days)
        typical = c.spend_cents / c.visits if c.visits else 0.0
        last = max((a for a in history if a.start == c.last_visit_at), key=lambda a: a.start, default=None)
        service = b.config.service(last.service_id) if last else None
        # The day she turned into her status (her keyed at-risk or lapse day; one the model
        # in use has reached before it, thresholds changed since she was keyed, is today).
        since = min((c.lapsed_on if state == "lapsed" else c.at_risk_on) or day, day)
        out.append(
            {
                "client": {
                    "id": c.id,
                    "name": c.name,
                    "phone": c.phone,
                    "phone_display": phone_display(c.phone, b.config.home_country),  # as her card reads it
                    "email": c.email,
                    # A personal message needs her consent, and the cap's room (next_at: not yet).
                    "marketing": {
                        "granted": c.wants_marketing,
                        **marketing.cap_view(b, c, now),
                        # By SMS, her words' room beside her links: the dialog counts against it.
                        "sms_room": marketing.personal_sms_room(b, c, history, now),
                    },
                },
                "status": state,
                "status_since": since.isoformat(),
                "visits": c.visits,
                "spend_cents": c.spend_cents,
                "p_return": round(p_return, 3),
                "value_at_risk_cents": round((1.0 - p_return) * typical),
                "rhythm_days": c.rhythm_days,
                "signals": shown(c, warnings(b, c, history, now, dues[c.id], rated, state)),  # why, beside her status
                "last_visit": iso_local(last_visit, tz),
                "expected_visit": iso_local(rhythm.expected_next(last_visit, rhythm_days), tz),
                "last_service": {
                    "id": last.service_id,
                    "name": service.name.get(b.config.locale) if service else None,
                    "staff": last.staff_id,
                    # An imported visit of no service of the salon's: the file's words.
                    "note": last.note if last.service_id == IMPORTED_SERVICE else None,
                }
                if last
                else None,
            }
        )
    out.sort(key=lambda x: (-x["value_at_risk_cents"], -x["spend_cents"], x["client"]["name"]))
    if order == "recent":  # stable: the same day, the most value first
        out.sort(key=lambda x: x["status_since"], reverse=True)
    audited(p, "read_slipping_clients", None, {"count": len(out)})
    return {"clients": out, "thresholds": returns.thresholds_in_use(b, model)}


def judged(
    b: Business, model: ReturnModel, now: datetime, day: date
) -> list[tuple[Client, list[Appointment], str, returns.Seen]]:
    """Each client at risk or lapsed now, with her history, her status and how the model
    sees her: of those past their keyed at-risk day, judged again by the model in use (its
    thresholds may have changed since she was keyed). The list and its count alike."""
    candidates = [
        c
        for c in store.at_risk_since(b.id, day)
        if not c.is_erased and c.relationship != MAINTENANCE and c.last_visit_at and c.rhythm_days is not None
    ]
    # Each one's history read a few clients at a time: one after another, 500 clients'
    # reads took seconds (bench/retention_list.py).
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        histories = list(pool.map(lambda c: bookings.client_history(b.id, c.id), candidates))
    out = []
    for c, history in zip(candidates, histories, strict=True):
        booked = any(outcome(a, now) in ("upcoming", "in_progress") for a in history)
        seen = returns.seen(model, b.config, history, now)
        state = seen.status(now, booked)
        if state in STATUSES:
            out.append((c, history, state, seen))
    return out


def at_risk_count(b: Business, now: datetime, day: date) -> int:
    """How many clients the owner's list shows as at risk (not lapsed): the same judgement
    (the figures strip's at-risk and lapsed add up to the list's count)."""
    return sum(1 for row in judged(b, returns.model_for(b), now, day) if row[2] == "at_risk")
