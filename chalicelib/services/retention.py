"""After a visit: the client's visits, spend, rhythm (chalicelib/domain/rhythm.py) and
the days she would become at risk and lapsed (the return model, services/returns.py), kept on her profile and in the indexes
the owner's list and the win-back job read; then her stamp card is settled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain import loyalty as loyalty_rules
from chalicelib.domain import rhythm as rules
from chalicelib.domain.booking import Appointment
from chalicelib.domain.config import BusinessConfig
from chalicelib.domain.returns import TURN_LIMIT_DAYS, ReturnModel
from chalicelib.domain.visits import outcome
from chalicelib.services import loyalty, returns
from chalicelib.store import bookings, businesses, kpis
from chalicelib.store import retention as store


def figures_of(cfg: BusinessConfig, done: Sequence[Appointment], model: ReturnModel) -> rules.VisitFigures:
    """Her figures from her completed visits (any order): what refresh_client keeps on
    her profile, and what an imported new client starts with. Her rhythm says when her
    next visit is expected; the business's return model when she turns at risk and
    lapsed if nothing changes (the days the owner's list and win-back read)."""
    done = sorted(done, key=lambda a: a.start)
    stamps = loyalty_rules.counted_visits([a.start for a in done if a.earns_stamp], cfg.loyalty, cfg.tz)
    if not done:
        return rules.VisitFigures(visits=0, spend_cents=0, stamps=0)
    last = done[-1]
    # Until her own rhythm is known she is expected where the model starts her from: her
    # service's return interval, else the business's typical gap (fitted to its clients;
    # before the first fit, the owner's default_return_days).
    seen = returns.seen_from(model, cfg, done)
    # Just after her last visit: every visit counts, the silence is yet to come.
    at_risk, lapsed = seen.turns(last.start + timedelta(seconds=1))
    never = last.start + timedelta(days=TURN_LIMIT_DAYS)  # not within the model's horizon
    return rules.VisitFigures(
        visits=len(done),
        spend_cents=sum(a.came_to_cents for a in done),
        stamps=stamps,
        last_visit=last.start,
        first_visit=done[0].start,
        rhythm=seen.rhythm_days,
        at_risk_on=_day_from(at_risk or never, cfg.tz),
        lapsed_on=_day_from(lapsed or never, cfg.tz),
    )


def _day_from(moment: datetime, tz: ZoneInfo) -> date:
    """The first local day she is in that state all day (the morning runs read days)."""
    local = moment.astimezone(tz)
    return local.date() if local.time() == time() else local.date() + timedelta(days=1)


def refresh_client(business_id: str, client_id: str, now: datetime, announce: bool = True) -> None:
    """Bring her figures in line with her history and settle her stamp card; with
    `announce` False (an import) a reward her stamps earn is issued without a message."""
    b = businesses.get_by_id(business_id)
    if not b:
        return
    kpis.mark_changed(business_id, client_id, now)  # a visit's outcome moved her KPI counts
    history = bookings.client_history(business_id, client_id)
    model = returns.model_for(b)
    f = figures_of(b.config, [a for a in history if outcome(a, now) == "completed"], model)
    client = store.set_client_figures(business_id, client_id, f, now.astimezone(b.config.tz).date())
    if client:
        loyalty.settle(b, client, now, announce=announce)
