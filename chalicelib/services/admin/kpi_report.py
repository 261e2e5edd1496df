"""The owner's KPIs for a period, with a monthly trend: read from the period
aggregates (at most ~20 items, whatever the number of appointments), never recounted."""

from __future__ import annotations

from chalicelib.auth.principal import Principal
from chalicelib.domain import kpis as rules
from chalicelib.errors import ValidationFailed
from chalicelib.services.admin.common import audited, business_of, today
from chalicelib.store import kpis as store

TREND_MONTHS = 12


def report(p: Principal, params: dict) -> dict:
    p.require("kpis")
    b = business_of(p)
    period = (params or {}).get("period") or f"{today(b):%Y-%m}"
    if not rules.valid_period(period):
        raise ValidationFailed(
            "'period' is a month (2026-11), a quarter (2026-Q4) or a year (2026).",
            fields={"period": "expected YYYY-MM, YYYY-Qn or YYYY"},
        )
    previous = rules.previous_period(period)
    # The trend's months and the one before them (its first retention rate) in one Query;
    # the period and its previous one, if that range did not bring them, in one batch.
    months = rules.months_back(rules.last_month_of(period), TREND_MONTHS + 1)
    counts = store.month_range(b.id, months[0], months[-1])
    missing = [x for x in (period, previous) if x not in counts]
    if missing:
        counts.update(store.periods(b.id, missing))
    empty: dict = {}
    audited(p, "read_kpis", None, {"period": period})
    return {
        "period": period,
        "previous": previous,
        "currency": b.config.currency,
        "kpis": rules.figures(counts.get(period, empty), counts.get(previous, empty)),
        "trend": [
            {
                "month": m,
                "kpis": {
                    k: v["value"]
                    for k, v in rules.figures(counts.get(m, empty), counts.get(rules.previous_period(m), empty)).items()
                },
            }
            for m in months[1:]
        ],
    }
