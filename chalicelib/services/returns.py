"""The business's return model (chalicelib/domain/returns.py) in use: the stored fit
with the thresholds fitted to the business's past (or those it configured), or the
prior while it has none; the weekly refit from every client's completed visits, after
which each client's at-risk and lapse days (the keys the owner's list and the win-back
job read) are those of the new model."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain import returns as rules
from chalicelib.domain import rhythm
from chalicelib.domain.booking import Appointment
from chalicelib.domain.config import Business, BusinessConfig, Service
from chalicelib.domain.visits import outcome
from chalicelib.store import bookings
from chalicelib.store import retention as figures_store
from chalicelib.store import returns as store

# The visits a fit looks at: a client not seen in this long has long since been lost.
HISTORY_YEARS = 5


def thresholds(cfg: BusinessConfig) -> rules.Thresholds | None:
    """The thresholds the business configured; None: those fitted to its own past."""
    r = cfg.retention
    if r.at_risk_below is None or r.lapsed_below is None:
        return None
    return rules.Thresholds(at_risk_below=r.at_risk_below, lapsed_below=r.lapsed_below)


def prior(cfg: BusinessConfig) -> rules.Prior:
    """What a business with little history is assumed to look like: the typical return
    interval it was configured with, the rest the defaults of domain/returns.py."""
    return rules.Prior(typical_gap_days=float(cfg.retention.default_return_days))


def window_days(cfg: BusinessConfig) -> float:
    """The window the business asks "will she be back?" over (its configuration)."""
    return float(cfg.retention.return_window_days)


def prior_model(cfg: BusinessConfig) -> rules.ReturnModel:
    return rules.ReturnModel(prior(cfg).params(), thresholds(cfg) or rules.Thresholds(), window_days=window_days(cfg))


def model_for(b: Business) -> rules.ReturnModel:
    """The business's fitted model, or its prior before the first weekly fit."""
    return store.get(b.id, thresholds(b.config)) or prior_model(b.config)


def for_service(model: rules.ReturnModel, service: Service | None) -> rules.ReturnModel:
    """The model as it sees a client whose last visit was `service`: her rhythm starts
    from the return interval the owner set for it, else from the business's; a client's
    own gaps take over from either."""
    return model.centred_on(service.return_interval_days if service else None)


@dataclass(frozen=True)
class Seen:
    """A client as the owner's screens and the jobs judge her: the business's model
    centred on her last service (for_service), her completed visits, and her rhythm
    (domain/rhythm.py: when her next visit is expected; until she has three visits,
    where the model starts her). Never at risk or lapsed before her rhythm expects her:
    the list says both, and a client "lapsed" before the day it expected her is a
    contradiction the owner cannot act on."""

    model: rules.ReturnModel
    visits: list[datetime]
    rhythm_days: float | None

    @property
    def expected(self) -> datetime | None:
        if not self.visits or self.rhythm_days is None:
            return None
        return rhythm.expected_next(self.visits[-1], self.rhythm_days)

    def status(self, now: datetime, has_future_booking: bool, maintenance: bool = False) -> str:
        state = self.model.status(self.visits, now, has_future_booking, maintenance)
        expected = self.expected
        if state in ("at_risk", "lapsed") and expected is not None and now <= expected:
            return "active"
        return state

    def turns(self, as_of: datetime) -> tuple[datetime | None, datetime | None]:
        """When she turns at risk and lapsed if nothing changes (ReturnModel.turns), not
        before her expected visit."""
        at_risk, lapsed = self.model.turns(self.visits, as_of)
        expected = self.expected
        if expected is None:
            return at_risk, lapsed
        return (max(at_risk, expected) if at_risk else None), (max(lapsed, expected) if lapsed else None)

    def p_return(self, now: datetime, within_days: float) -> float:
        return self.model.p_return(self.visits, now, within_days)

    def p_still_client(self, now: datetime) -> float:
        return self.model.p_still_client(self.visits, now)


def seen_from(model: rules.ReturnModel, cfg: BusinessConfig, done: Sequence[Appointment]) -> Seen:
    """Seen from her completed visits (any order)."""
    done = sorted(done, key=lambda a: a.start)
    if not done:
        return Seen(model, [], None)
    centred = for_service(model, cfg.service(done[-1].service_id))
    starts = [a.start for a in done]
    return Seen(centred, starts, rhythm.rhythm_days(starts, centred.typical_gap_days, cfg.retention))


def seen(model: rules.ReturnModel, cfg: BusinessConfig, history: Sequence[Appointment], now: datetime) -> Seen:
    """Seen from her history as of `now` (its completed visits)."""
    return seen_from(model, cfg, [a for a in history if outcome(a, now) == "completed"])


def thresholds_in_use(b: Business, model: rules.ReturnModel) -> dict[str, Any]:
    """What the owner is told about when a client counts as at risk or lapsed: the
    thresholds of `model` (model_for's) and where they come from: `own` (configured),
    `fitted` (to the business's past) or `default` (before its first fit)."""
    t = model.thresholds
    source = "own" if thresholds(b.config) is not None else "fitted" if model.fitted_at else "default"
    return {
        "at_risk_below": round(t.at_risk_below, 3),
        "lapsed_below": round(t.lapsed_below, 3),
        "regular_at_risk_below": None if t.regular_at_risk_below is None else round(t.regular_at_risk_below, 3),
        "regular_lapsed_below": None if t.regular_lapsed_below is None else round(t.regular_lapsed_below, 3),
        "source": source,
        "window_days": model.window_days,
    }


def settings_of(cfg: BusinessConfig) -> str:
    """The retention settings a stored fit and its clients' days are for: a change of any
    of them (window, thresholds, default return days, a service's return interval, where
    its clients' rhythm starts) is fitted for and re-keyed by the next hourly run, not a
    week later."""
    intervals = {s.id: s.return_interval_days for s in cfg.services if s.return_interval_days}
    return json.dumps({**cfg.retention.model_dump(mode="json"), "return_intervals": intervals}, sort_keys=True)


def week_of(now: datetime) -> datetime:
    """The fit's moment: Monday 00:00 UTC of this week, so that every run in one week
    fits the same visits to the same numbers."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def completed_visits(b: Business, now: datetime) -> dict[str, list[Appointment]]:
    """Every client's completed visits of the last HISTORY_YEARS, oldest first: one
    paged Query on the business calendar."""
    found = bookings.list_appointments(b.id, now - timedelta(days=365 * HISTORY_YEARS), now)
    by_client: dict[str, list[Appointment]] = defaultdict(list)
    for a in found:
        if a.client_id and outcome(a, now) == "completed":
            by_client[a.client_id].append(a)
    for visits in by_client.values():
        visits.sort(key=lambda a: a.start)
    return by_client


def refit(b: Business, now: datetime, deadline: float | None = None, fit_reserve: float = 0.0) -> dict[str, Any]:
    """Fit this week's model (unless this week's is stored already) and move every
    client's at-risk and lapse days to it, in client id order, until `deadline`
    (time.monotonic()); the next run goes on where this one stopped. A fit is not
    begun with less than `fit_reserve` seconds left. Run again when all is done, it
    changes nothing."""
    from chalicelib.services import retention  # its figures use this module's models

    as_of, window, settings = week_of(now), window_days(b.config), settings_of(b.config)
    model, done_until, fitted_for = store.get_with_progress(b.id, thresholds(b.config))
    # A retention setting the owner changed is fitted for and re-keyed at the next run.
    current = model is not None and model.fitted_at == as_of and fitted_for == settings
    if model is not None and current and done_until == store.ALL_REKEYED:
        return {"fitted": False, "clients": model.clients, "rekeyed": 0, "left_for_next_run": False}
    fitted = not current
    if fitted and fit_reserve and deadline is not None and time.monotonic() + fit_reserve > deadline:
        return {"fitted": False, "clients": model.clients if model else 0, "rekeyed": 0, "left_for_next_run": True}
    visits = completed_visits(b, now)  # the fit counts those before as_of; her figures, all
    if model is None or fitted:
        histories, centre = [[a.start for a in v] for v in visits.values()], prior(b.config)
        # Stored with the thresholds fitted to the business's past (two more fits, half a
        # year and a year back), used unless it configures its own; stored either way, so
        # that removing its own takes effect at once, not a week later.
        model = rules.fit(histories, as_of, centre, window_days=window)
        store.save(b.id, model, settings)
        if (configured := thresholds(b.config)) is not None:
            model = model.with_thresholds(configured)
        done_until = ""
    rekeyed, last = 0, done_until
    today = now.astimezone(b.config.tz).date()  # a lapse day keyed behind the win-back job's days: her step today
    for client_id in sorted(c for c in visits if c > done_until):
        if deadline is not None and time.monotonic() > deadline:
            store.rekeyed(b.id, as_of, last)
            return {"fitted": fitted, "clients": model.clients, "rekeyed": rekeyed, "left_for_next_run": True}
        f = retention.figures_of(b.config, visits[client_id], model)
        if figures_store.set_client_figures(b.id, client_id, f, today):
            rekeyed += 1
        last = client_id
    store.rekeyed(b.id, as_of, store.ALL_REKEYED)
    return {"fitted": fitted, "clients": model.clients, "rekeyed": rekeyed, "left_for_next_run": False}
