"""Business KPIs: what one client adds to the counters of each period, and the figures
read from those counters. docs/kpis.md defines every figure in words, as a formula and
with a worked example; this module is that document in code.

A period is a month (2026-11), a quarter (2026-Q4) or a year (2026) of the business's
local calendar. A visit counts in the period of its (local) start; a win-back message
in the period it was sent. Counts of distinct clients (visitors, new, retained) are kept
per period because they do not add up across months.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.booking import Appointment, Status

REBOOK_WINDOWS = (30, 60, 90)  # days after a visit in which the next booking was made
BEFORE_LEAVING = timedelta(hours=1)  # the next booking made by then counts as "before she left"
WINBACK_WINDOW = timedelta(days=30)  # a booking this soon after a win-back message is its conversion

# What the contribution of a client counts, per period (AggregateItem has one number each).
COUNTERS = (
    "appointments",
    "cancelled",
    "late_cancelled",
    "completed",
    "no_show",
    "revenue_cents",
    "reminded_due",
    "reminded_no_show",
    "unreminded_due",
    "unreminded_no_show",
    "feedback_requested",
    *(f"rebooked_{n}" for n in REBOOK_WINDOWS),
    "rebooked_before_leaving",
    "visitors",
    "new_clients",
    "retained",
    "winback_messages",
    "winback_conversions",
    "winback_revenue_cents",
)
# Kept by the feedback transaction, not by the contribution.
RATING_COUNTERS = ("ratings_sum", "ratings_count")

Counts = dict[str, dict[str, int]]  # period -> counter -> value

_PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")


def periods_of(day: date) -> tuple[str, str, str]:
    """The month, quarter and year a local day belongs to."""
    return f"{day:%Y-%m}", f"{day.year}-Q{(day.month - 1) // 3 + 1}", f"{day.year}"


def valid_period(text: str) -> bool:
    return bool(_PERIOD.match(text or ""))


def _parts(period: str) -> tuple[str, str | None, str | None]:
    """(year, month, quarter) of a period; ValueError if it is not one."""
    found = _PERIOD.match(period)
    if not found:
        raise ValueError(f"not a period: {period!r}")
    year, month, quarter = found.groups()
    return year, month, quarter


def previous_period(period: str) -> str:
    year, month, quarter = _parts(period)
    y = int(year)
    if month:
        m = int(month) - 1
        return f"{y - 1}-12" if m == 0 else f"{y}-{m:02d}"
    if quarter:
        q = int(quarter) - 1
        return f"{y - 1}-Q4" if q == 0 else f"{y}-Q{q}"
    return str(y - 1)


def last_month_of(period: str) -> str:
    year, month, quarter = _parts(period)
    if month:
        return period
    return f"{year}-{int(quarter) * 3:02d}" if quarter else f"{year}-12"


def months_back(last_month: str, count: int) -> list[str]:
    """`count` months ending with `last_month`, oldest first."""
    y, m = int(last_month[:4]), int(last_month[5:7])
    out = []
    for _ in range(count):
        out.append(f"{y}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def contribution(
    appointments: Iterable[Appointment], winbacks: Iterable[datetime], tz: ZoneInfo, late_cancel_hours: int
) -> Counts:
    """Everything one client adds to the business's period counters, from her whole
    history: her appointments (any status) and the times win-back messages were sent
    to her. Booked visits whose outcome is not settled yet count only as appointments."""
    appts = list(appointments)
    counts: dict[str, Counter[str]] = defaultdict(Counter)

    def add(instant: datetime, name: str, n: int = 1) -> None:
        for p in periods_of(instant.astimezone(tz).date()):
            counts[p][name] += n

    kept = [a for a in appts if a.status != Status.CANCELLED.value]
    done = sorted((a for a in appts if a.status == Status.COMPLETED.value), key=lambda a: a.start)
    for a in appts:
        add(a.start, "appointments")
        if a.status == Status.CANCELLED.value:
            add(a.start, "cancelled")
            if a.cancelled_at and a.cancelled_at > a.start - timedelta(hours=late_cancel_hours):
                add(a.start, "late_cancelled")
        elif a.status in (Status.COMPLETED.value, Status.NO_SHOW.value):
            group = "reminded" if a.reminded else "unreminded"
            add(a.start, f"{group}_due")
            if a.status == Status.NO_SHOW.value:
                add(a.start, "no_show")
                add(a.start, f"{group}_no_show")
    for a in done:
        add(a.start, "completed")
        add(a.start, "revenue_cents", a.price_cents)
        if a.feedback_requested:
            add(a.start, "feedback_requested")
        # The bookings that follow this visit (any made before it, too: she already had one).
        made = [b.created_at for b in kept if b.start > a.start and b.id != a.id]
        for n in REBOOK_WINDOWS:
            if any(t <= a.end + timedelta(days=n) for t in made):
                add(a.start, f"rebooked_{n}")
        if any(t <= a.end + BEFORE_LEAVING for t in made):
            add(a.start, "rebooked_before_leaving")
    visited = {p for a in done for p in periods_of(a.start.astimezone(tz).date())}
    for p in visited:
        counts[p]["visitors"] += 1
        if previous_period(p) in visited:
            counts[p]["retained"] += 1
    if done:
        add(done[0].start, "new_clients")
    _winbacks(sorted(winbacks), kept, add)
    return {p: {k: v for k, v in c.items() if v} for p, c in counts.items() if any(c.values())}


def _winbacks(sent: list[datetime], kept: list[Appointment], add: Callable[..., None]) -> None:
    """Each booking made within WINBACK_WINDOW after a win-back message is credited to
    the latest such message; a message with a credited booking is a conversion, and the
    completed visits of those bookings are its revenue."""
    credited: dict[datetime, list[Appointment]] = defaultdict(list)
    for b in kept:
        before = [s for s in sent if s < b.created_at <= s + WINBACK_WINDOW]
        if before:
            credited[max(before)].append(b)
    for s in sent:
        add(s, "winback_messages")
        if credited[s]:
            add(s, "winback_conversions")
            revenue = sum(b.price_cents for b in credited[s] if b.status == Status.COMPLETED.value)
            if revenue:
                add(s, "winback_revenue_cents", revenue)


def delta(old: Counts, new: Counts) -> Counts:
    """What to add to each period's counters to go from `old` to `new`."""
    out: Counts = {}
    for p in set(old) | set(new):
        o, n = old.get(p, {}), new.get(p, {})
        d = {k: n.get(k, 0) - o.get(k, 0) for k in set(o) | set(n)}
        d = {k: v for k, v in d.items() if v}
        if d:
            out[p] = d
    return out


# One figure: its value and what it was computed from (a count has no denominator).
Figure = dict[str, int | float | None]


def _ratio(numerator: int, denominator: int, digits: int = 4) -> Figure:
    value = round(numerator / denominator, digits) if denominator else None
    return {
        "value": int(value) if value is not None and digits == 0 else value,
        "numerator": numerator,
        "denominator": denominator,
    }


def _count(n: int) -> Figure:
    return {"value": n, "numerator": n, "denominator": None}


def figures(c: Mapping[str, int], previous: Mapping[str, int]) -> dict[str, Figure]:
    """The KPIs of a period from its counters and its previous period's (the
    retention rate's denominator). Rates are fractions; money is in cents."""

    def g(name: str, src: Mapping[str, int] = c) -> int:
        return int(src.get(name) or 0)

    visitors, completed = g("visitors"), g("completed")
    due = completed + g("no_show")
    return {
        "visits": _count(completed),
        "revenue_cents": _count(g("revenue_cents")),
        "retention_rate": _ratio(g("retained"), g("visitors", previous)),
        **{f"rebooking_rate_{n}": _ratio(g(f"rebooked_{n}"), completed) for n in REBOOK_WINDOWS},
        "rebooked_before_leaving_rate": _ratio(g("rebooked_before_leaving"), completed),
        "new_clients": _count(g("new_clients")),
        "returning_clients": _count(visitors - g("new_clients")),
        "average_spend_cents": _ratio(g("revenue_cents"), visitors, digits=0),
        "visit_frequency": _ratio(completed, visitors),
        "no_show_rate": _ratio(g("no_show"), due),
        "cancellation_rate": _ratio(g("cancelled"), g("appointments")),
        "late_cancellation_rate": _ratio(g("late_cancelled"), g("appointments")),
        "average_rating": _ratio(g("ratings_sum"), g("ratings_count"), digits=2),
        "response_rate": _ratio(g("ratings_count"), g("feedback_requested")),
        "winback_messages": _count(g("winback_messages")),
        "winback_conversions": _count(g("winback_conversions")),
        "winback_conversion_rate": _ratio(g("winback_conversions"), g("winback_messages")),
        "winback_revenue_cents": _count(g("winback_revenue_cents")),
        "no_show_rate_reminded": _ratio(g("reminded_no_show"), g("reminded_due")),
        "no_show_rate_not_reminded": _ratio(g("unreminded_no_show"), g("unreminded_due")),
    }
