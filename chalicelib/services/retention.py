"""After a visit: the client's visits, spend, rhythm and the days she would become at
risk and lapsed (chalicelib/domain/rhythm.py), kept on her profile and in the indexes
the owner's list and the win-back job read; then her stamp card is settled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chalicelib.domain import loyalty as loyalty_rules
from chalicelib.domain import rhythm as rules
from chalicelib.domain.booking import Appointment
from chalicelib.domain.config import BusinessConfig
from chalicelib.domain.visits import outcome
from chalicelib.services import loyalty
from chalicelib.store import bookings, businesses, kpis
from chalicelib.store import retention as store


def figures_of(cfg: BusinessConfig, done: Sequence[Appointment]) -> rules.VisitFigures:
    """Her figures from her completed visits (any order): what refresh_client keeps on
    her profile, and what an imported new client starts with."""
    done = sorted(done, key=lambda a: a.start)
    stamps = loyalty_rules.counted_visits([a.start for a in done if a.earns_stamp], cfg.loyalty, cfg.tz)
    if not done:
        return rules.VisitFigures(visits=0, spend_cents=0, stamps=0)
    r, last = cfg.retention, done[-1]
    service = cfg.service(last.service_id)
    rhythm = rules.rhythm_days([a.start for a in done], service.return_interval_days if service else None, r)
    return rules.VisitFigures(
        visits=len(done),
        spend_cents=sum(a.price_cents for a in done),
        stamps=stamps,
        last_visit=last.start,
        rhythm=rhythm,
        at_risk_on=rules.at_risk_from(last.start, rhythm, r).astimezone(cfg.tz).date(),
        lapsed_on=rules.lapsed_from(last.start, rhythm, r).astimezone(cfg.tz).date(),
    )


def refresh_client(business_id: str, client_id: str, now: datetime, announce: bool = True) -> None:
    """Bring her figures in line with her history and settle her stamp card; with
    `announce` False (an import) a reward her stamps earn is issued without a message."""
    b = businesses.get_by_id(business_id)
    if not b:
        return
    kpis.mark_changed(business_id, client_id, now)  # a visit's outcome moved her KPI counts
    history = bookings.client_history(business_id, client_id)
    f = figures_of(b.config, [a for a in history if outcome(a, now) == "completed"])
    client = store.set_client_figures(business_id, client_id, f)
    if client:
        loyalty.settle(b, client, now, announce=announce)
