"""The owner's KPIs, read from the aggregates, never recounted (docs/kpis.md).

* a month, quarter or year with its 12-month trend: one Query (and one BatchGetItem
  for a quarter or a year), one Query for the staff members' counters, one for the
  time off that comes out of their working minutes (every report with staff has it);
* a rolling period (the last 7 or 30 days, today included) compared with the same
  number of days before it, with a daily trend: one Query over the day aggregates;
* the summary the dashboard opens with: one Query over 60 days of day aggregates, one
  Query of the clients past their at-risk day and one small Query for each of those
  whose profile says at risk (her appointments from yesterday on).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain import kpis as rules
from chalicelib.domain import occupancy
from chalicelib.domain import timeoff as timeoff_rules
from chalicelib.domain.config import Business
from chalicelib.domain.timeutil import local_wall_to_utc
from chalicelib.errors import ValidationFailed
from chalicelib.services.admin.common import audited, business_of, today
from chalicelib.services.admin.retention_list import at_risk_count
from chalicelib.store import kpis as store
from chalicelib.store import timeoff as timeoff_store

TREND_MONTHS = 12
PERIOD_HELP = "expected YYYY-MM, YYYY-Qn, YYYY, last7 or last30"
SUMMARY_DAYS = 7  # bookings, revenue and occupancy: the last 7 days, compared with the 7 before
NO_SHOW_DAYS = 30  # the no-show rate: the last 30 days, compared with the 30 before


def report(p: Principal, params: dict) -> dict:
    p.require("kpis")
    b = business_of(p)
    period = (params or {}).get("period") or f"{today(b):%Y-%m}"
    if period in rules.ROLLING:
        out = _rolling(b, period)
    elif rules.valid_period(period):
        out = _calendar(b, period)
    else:
        raise ValidationFailed(
            "'period' is a month (2026-11), a quarter (2026-Q4), a year (2026), or the last 7 or 30 days"
            " (last7, last30).",
            fields={"period": PERIOD_HELP},
        )
    # A visit ended, a booking changed: counted by the next sync (every 5 minutes). Said,
    # so that the day's figures read as catching up, not as wrong (a walk at closing time).
    out["catching_up"] = store.catching_up(b.id, clock.now())
    audited(p, "read_kpis", None, {"period": period})
    return out


def time_off(b: Business, first: date, last: date) -> dict[str, list[occupancy.Block]]:
    """Each staff member's time off touching the local days first..last, as [start, end)
    blocks in UTC (occupancy takes it out of her working minutes): one Query of the
    business's blocks by the end of their last occurrence, each weekly block's
    occurrences in the range; a whole-salon block counts for everyone it was written for."""
    tz = b.config.tz
    lo, hi = local_wall_to_utc(first, 0, tz), local_wall_to_utc(last + timedelta(days=1), 0, tz)
    out: dict[str, list[occupancy.Block]] = defaultdict(list)
    for t in timeoff_store.ending_after(b.id, lo):
        for o in timeoff_rules.occurrences(t, tz):
            if o.start < hi and lo < o.end:
                for staff_id in t.staff_ids:
                    out[staff_id].append((o.start, o.end))
    return dict(out)


def _days(first: date, last: date) -> dict[str, str]:
    return {"from": first.isoformat(), "to": last.isoformat()}


def _calendar(b: Business, period: str) -> dict[str, Any]:
    previous = rules.previous_period(period)
    before = rules.previous_period(previous)  # the previous period's retention rate
    # The trend's months and the one before them (its first retention rate) in one Query;
    # the period and the two before it, if that range did not bring them, in one batch.
    months = rules.months_back(rules.last_month_of(period), TREND_MONTHS + 1)
    counts = store.month_range(b.id, months[0], months[-1])
    missing = [x for x in (period, previous, before) if x not in counts]
    if missing:
        counts.update(store.periods(b.id, missing))
    empty: dict = {}
    first, last = rules.calendar_range(period)
    day = today(b)  # what is still counting on it
    return {
        "period": period,
        "previous": previous,
        "range": _days(first, last),
        "previous_range": _days(*rules.calendar_range(previous)),
        "currency": b.config.currency,
        "kpis": rules.figures(counts.get(period, empty), counts.get(previous, empty)),
        "compared": rules.figures(counts.get(previous, empty), counts.get(before, empty)),
        # Figures that can still grow (their windows after the period are open): lower bounds.
        "counting_until": {
            "kpis": rules.counting_until(last, day),
            "compared": rules.counting_until(rules.calendar_range(previous)[1], day),
        },
        "staff": occupancy.per_staff(b.config, first, last, store.staff_of(b.id, period), time_off(b, first, last)),
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


def _rolling(b: Business, period: str) -> dict[str, Any]:
    d = today(b)
    first, last = rules.window(period, d)
    prev_first, prev_last = rules.previous_window(period, d)
    counts = store.days(b.id, prev_first, last)  # both windows: one Query
    now, now_staff = rules.sum_days(counts, first, last)
    before, before_staff = rules.sum_days(counts, prev_first, prev_last)
    off = time_off(b, prev_first, last)  # both windows: one Query
    staff = occupancy.per_staff(b.config, first, last, now_staff, off)
    compared = {s["staff"]: s for s in occupancy.per_staff(b.config, prev_first, prev_last, before_staff, off)}
    for s in staff:
        s["compared"] = compared.get(s["staff"])
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return {
        "period": period,
        "previous": f"{prev_first.isoformat()}/{prev_last.isoformat()}",
        "range": _days(first, last),
        "previous_range": _days(prev_first, prev_last),
        "currency": b.config.currency,
        "kpis": rules.figures(now, {}, distinct=False),
        "compared": rules.figures(before, {}, distinct=False),
        # Figures that can still grow (their windows after the period are open): lower bounds.
        "counting_until": {"kpis": rules.counting_until(last, d), "compared": rules.counting_until(prev_last, d)},
        "staff": staff,
        "trend": [
            {
                "day": x.isoformat(),
                "kpis": {k: v["value"] for k, v in rules.figures(rules.sum_days(counts, x, x)[0], {}, False).items()},
            }
            for x in days
        ],
    }


def summary(p: Principal) -> dict[str, Any]:
    """The four figures an owner checks most (the front desk contract, "KPIs")."""
    p.require("kpis")
    b = business_of(p)
    d = today(b)
    week = (d - timedelta(days=SUMMARY_DAYS - 1), d)
    week_before = (week[0] - timedelta(days=SUMMARY_DAYS), week[0] - timedelta(days=1))
    month = (d - timedelta(days=NO_SHOW_DAYS - 1), d)
    month_before = (month[0] - timedelta(days=NO_SHOW_DAYS), month[0] - timedelta(days=1))
    counts = store.days(b.id, month_before[0], d)  # 60 days, both comparisons: one Query
    off = time_off(b, week_before[0], d)  # both weeks: one Query

    def figures(w: tuple[date, date], m: tuple[date, date]) -> dict[str, Any]:
        total, staff = rules.sum_days(counts, *w)
        no_show = rules.figures(rules.sum_days(counts, *m)[0], {}, distinct=False)["no_show_rate"]
        return {
            "period": _days(*w),
            "bookings_week": int(total.get("appointments", 0)) - int(total.get("cancelled", 0)),
            "revenue_week_cents": int(total.get("revenue_cents", 0)),
            "no_show_rate": no_show["value"],
            "no_show": {**no_show, "period": _days(*m)},
            "occupancy": [
                {k: s[k] for k in ("staff", "name", "booked_minutes", "working_minutes", "rate")}
                for s in occupancy.per_staff(b.config, *w, staff, off)
                if "not_in_team" not in s  # occupancy is of the team's working hours
            ],
        }

    out = figures(week, month)
    out["at_risk"] = at_risk_count(b, clock.now(), d)
    out["currency"] = b.config.currency
    out["compared"] = figures(week_before, month_before)
    audited(p, "read_kpis", None, {"period": "summary"})
    return out
