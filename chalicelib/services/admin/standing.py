"""Where the client stands, for her card: her status by the business's return model,
the chance she is back within half a year, when her rhythm expects her, and the early
warnings (chalicelib/domain/signals.py) the owner has not dismissed; and the dismissal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain import rhythm
from chalicelib.domain import signals as rules
from chalicelib.domain.booking import Appointment
from chalicelib.domain.clients import MAINTENANCE, Client
from chalicelib.domain.config import Business
from chalicelib.domain.feedback import Rating
from chalicelib.domain.returns import REGULAR_VISITS, ReturnModel
from chalicelib.domain.timeutil import iso_local
from chalicelib.domain.visits import outcome
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.services import returns
from chalicelib.services.admin.common import audited_after_commit, business_of, today
from chalicelib.store import bookings, clients, feedback, followups

# Ratings read for "a falling rating": her latest few rated visits.
RATED_VISITS = rules.EARLIER_RATINGS + 1


def _ratings(history: Sequence[Appointment], rated: Sequence[Rating], now: datetime) -> list[tuple[datetime, int]]:
    done = {a.id for a in history if outcome(a, now) == "completed"}
    return sorted((r.visit_start, r.rating) for r in rated if r.appointment_id in done)[-RATED_VISITS:]


def status_of(b: Business, c: Client, history: Sequence[Appointment], now: datetime, model: ReturnModel) -> str:
    """Her status by the business's return model: active, at_risk, lapsed or maintenance."""
    booked = any(outcome(a, now) in ("upcoming", "in_progress") for a in history)
    return returns.seen(model, b.config, history, now).status(now, booked, maintenance=c.relationship == MAINTENANCE)


def warnings(
    b: Business,
    c: Client,
    history: Sequence[Appointment],
    now: datetime,
    dues: Sequence[date | None] | None = None,
    rated: Sequence[Rating] | None = None,
    status: str | None = None,
) -> list[rules.Signal]:
    """Her warnings. `dues` (her open follow-ups' due dates) and `rated` (her ratings) as
    the at-risk list read them for many clients at once; read here when None. `status`:
    hers by the return model, as the caller found it (the reason a single visit gives)."""
    if dues is None:
        dues = [f.due for f in followups.for_client(b.id, c.id)]
    if rated is None:
        rated = feedback.of_client(b.id, c.id)
    r = b.config.rules
    ratings = _ratings(history, rated, now)
    return rules.warnings(
        history, ratings, dues, now, today(b), r.cancellation_window_hours, status, r.change_grace_minutes, b.config.tz
    )


def shown(c: Client, found: Sequence[rules.Signal]) -> list[dict[str, Any]]:
    """Her warnings the owner has not dismissed, with the numbers the dashboard words."""
    return [{"code": s.code, "params": dict(s.params)} for s in rules.shown(found, c.signals_dismissed)]


def standing(b: Business, c: Client, history: Sequence[Appointment]) -> dict[str, Any]:
    now, tz = clock.now(), b.config.tz
    model = returns.model_for(b)
    status = status_of(b, c, history, now, model)
    seen = returns.seen(model, b.config, history, now)  # as status_of sees her
    expected = rhythm.expected_next(c.last_visit_at, c.rhythm_days) if c.last_visit_at and c.rhythm_days else None
    found = warnings(b, c, history, now, status=status)
    return {
        "status": status,
        # The chance her status is judged by, beside the chance she comes within the window:
        # a slow regular is still hers (active) though unlikely back within 26 weeks.
        "p_still_client": round(seen.p_still_client(now), 3) if seen.visits else None,
        "p_return": round(seen.p_return(now, model.window_days), 3) if seen.visits else None,
        "window_days": model.window_days,
        # The limits her status is judged by (a regular's own where the model has them): the
        # card says them beside her chances (an owner's walk: "65 %, at risk" unexplained).
        "limits": limits_for(model, seen),
        "expected_visit": iso_local(expected, tz) if expected else None,
        "signals": shown(c, found),
        # What she dismissed that still holds (the card offers to show it again).
        "dismissed": [
            {"code": s.code, "params": dict(s.params)} for s in found if rules.is_dismissed(s, c.signals_dismissed)
        ],
    }


def limits_for(model: ReturnModel, seen: returns.Seen) -> dict[str, float]:
    """The at-risk and lapsed thresholds of P(still a client) that apply to her."""
    t = model.thresholds
    regular = len(seen.visits) >= REGULAR_VISITS
    at_risk = t.regular_at_risk_below if regular and t.regular_at_risk_below is not None else t.at_risk_below
    lapsed = t.regular_lapsed_below if regular and t.regular_lapsed_below is not None else t.lapsed_below
    return {"at_risk_below": round(at_risk, 3), "lapsed_below": round(lapsed, 3)}


def dismiss(p: Principal, client_id: str, code: str, undo: bool = False) -> dict[str, Any]:
    """The owner dismisses one warning she has seen; it returns when its evidence changes,
    or when she undoes the dismissal (`undo`: shown again at once)."""
    from chalicelib.services.admin.registry import client_or_404

    p.require("warnings")
    b = business_of(p)
    if code not in rules.CODES:
        raise ValidationFailed("No such warning.", fields={"code": f"expected one of {', '.join(rules.CODES)}"})
    c = client_or_404(b, client_id)
    history, now = bookings.client_history(b.id, c.id), clock.now()
    if undo and code not in c.signals_dismissed:
        return standing(b, c, history)  # nothing dismissed: already shown (a second tap)
    status = status_of(b, c, history, now, returns.model_for(b))
    current = next((s for s in warnings(b, c, history, now, status=status) if s.code == code), None)
    if current is None and not undo:
        raise NotFound("She has no such warning now.")
    try:
        kept = clients.dismiss_signal(c, code, None if undo or current is None else current.key)
    except clients.ClientChanged:
        raise Conflict("The client was changed meanwhile; reload and try again.", code="client_changed") from None
    if kept is None:
        raise NotFound("No such client.")
    audited_after_commit(p, "restore_signal" if undo else "dismiss_signal", c.id, {"code": code})
    return standing(b, replace(c, signals_dismissed=kept), history)
