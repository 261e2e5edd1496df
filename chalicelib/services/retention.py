"""After a visit: the client's visits, spend, rhythm and the days she would become at
risk and lapsed (chalicelib/domain/rhythm.py), kept on her profile and in the indexes
the owner's list and the win-back job read; then her stamp card is settled."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain import loyalty as loyalty_rules
from chalicelib.domain import rhythm as rules
from chalicelib.domain.visits import outcome
from chalicelib.services import loyalty
from chalicelib.store import bookings, businesses, kpis
from chalicelib.store import retention as store


def refresh_client(business_id: str, client_id: str, now: datetime) -> None:
    b = businesses.get_by_id(business_id)
    if not b:
        return
    kpis.mark_changed(business_id, client_id, now)  # a visit's outcome moved her KPI counts
    history = bookings.client_history(business_id, client_id)
    done = sorted((a for a in history if outcome(a, now) == "completed"), key=lambda a: a.start)
    cfg, r = b.config, b.config.retention
    stamps = loyalty_rules.counted_visits([a.start for a in done], cfg.loyalty, cfg.tz)
    if not done:
        client = store.set_client_figures(
            business_id,
            client_id,
            visits=0,
            spend_cents=0,
            stamps=0,
            last_visit=None,
            rhythm=None,
            at_risk_on=None,
            lapsed_on=None,
        )
    else:
        last = done[-1]
        service = cfg.service(last.service_id)
        rhythm = rules.rhythm_days([a.start for a in done], service.return_interval_days if service else None, r)
        client = store.set_client_figures(
            business_id,
            client_id,
            visits=len(done),
            spend_cents=sum(a.price_cents for a in done),
            stamps=stamps,
            last_visit=last.start,
            rhythm=rhythm,
            at_risk_on=rules.at_risk_from(last.start, rhythm, r).astimezone(cfg.tz).date(),
            lapsed_on=rules.lapsed_from(last.start, rhythm, r).astimezone(cfg.tz).date(),
        )
    if client:
        loyalty.settle(b, client, now)
