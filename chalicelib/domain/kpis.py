"""Business KPIs: what one client adds to the counters of each period, and the figures
read from those counters. docs/kpis.md defines every figure in words, as a formula and
with a worked example; this module is that document in code.

A period is a month (2026-11), a quarter (2026-Q4) or a year (2026) of the business's
local calendar, or one local day (2026-11-25) — the days are what the rolling periods
(the last 7 and the last 30 days, each compared with the same number of days before)
add up. A visit counts in the period of its (local) start; a win-back message in the
period it was sent. Counts of distinct clients (visitors, retained) are kept per month,
quarter and year because they do not add up across months; days do not keep them, so
the rolling periods leave out the figures made of them.

Each period also has counters per staff member (`<period>@<staff>`): the minutes her
kept bookings hold, her visits and their revenue (occupancy and revenue per staff).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.timeutil import FIRST_DAY, LAST_DAY

REBOOK_WINDOWS = (30, 60, 90)  # days after a visit in which the next booking was made
BEFORE_LEAVING = timedelta(hours=1)  # the next booking made by then counts as "before she left"
WINBACK_WINDOW = timedelta(days=30)  # a booking this soon after a win-back message is its conversion
NUDGE_WINDOW = timedelta(days=14)  # a booking this soon after a "time for your next visit" nudge is its booking

# What the contribution of a client counts, per period (AggregateItem has one number each).
COUNTERS = (
    "appointments",
    "cancelled",
    "late_cancelled",
    "salon_cancelled",
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
    "nudge_messages",
    "nudge_bookings",
    "nudge_revenue_cents",
    # Money (docs/payments.md), in the period of the visit: deposits and prepayments
    # taken, fees charged (collected or still open) and collected, refunds; and the
    # no-shows of visits with and without a deposit or card on file behind them.
    "deposits",
    "deposit_cents",
    "fees_charged_cents",
    "fees_collected_cents",
    "refunds_cents",
    "protected_due",
    "protected_no_show",
)
# Kept by the feedback transaction, not by the contribution.
RATING_COUNTERS = ("ratings_sum", "ratings_count")
# Counts of distinct clients: kept per month, quarter and year, not per day.
DISTINCT_COUNTERS = ("visitors", "retained")
# What each staff member's own counters (`<period>@<staff>`) count.
# Their names are the business's where they mean the same; `booked` is her kept bookings.
STAFF_COUNTERS = ("booked", "booked_minutes", "completed", "no_show", "revenue_cents")

# Rolling periods: the last N local days, today included, compared with the N days before.
ROLLING = {"last7": 7, "last30": 30}
# A client's contribution to days before this many days ago is no longer kept up to date
# (her profile keeps only recent days): the rolling periods reach back 2 x 30 days.
DAY_HORIZON_DAYS = 70
STAFF_SEP = "@"

Counts = dict[str, dict[str, int]]  # period -> counter -> value

_PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def periods_of(day: date) -> tuple[str, str, str, str]:
    """The month, quarter and year a local day belongs to, and the day itself."""
    return f"{day:%Y-%m}", f"{day.year}-Q{(day.month - 1) // 3 + 1}", f"{day.year}", day.isoformat()


def valid_period(text: str) -> bool:
    """A calendar period: a month, a quarter or a year (not a day, not a rolling one), of a
    year a business can mean (its trend reaches a year back, its range to the next)."""
    found = _PERIOD.match(text or "")
    return found is not None and FIRST_DAY.year <= int(found.group(1)) <= LAST_DAY.year


def is_day(period: str) -> bool:
    return bool(_DAY.match(period))


def staff_period(period: str, staff_id: str) -> str:
    """The key of one staff member's counters in a period: 2026-11@aino, 2026-11-25@aino."""
    return f"{period}{STAFF_SEP}{staff_id}"


def split_staff(period: str) -> tuple[str, str | None]:
    """(period, staff id) of a staff member's counters; (period, None) of the business's."""
    base, sep, staff = period.partition(STAFF_SEP)
    return base, (staff if sep else None)


def window(period: str, today: date) -> tuple[date, date]:
    """The local days of a rolling period (`last7`, `last30`): N days ending today."""
    n = ROLLING[period]
    return today - timedelta(days=n - 1), today


def previous_window(period: str, today: date) -> tuple[date, date]:
    """The N days before a rolling period's N days."""
    first, _ = window(period, today)
    return first - timedelta(days=ROLLING[period]), first - timedelta(days=1)


def calendar_range(period: str) -> tuple[date, date]:
    """The first and last local day of a month, quarter or year."""
    year, month, quarter = _parts(period)
    y = int(year)
    if month:
        first_month = last_month = int(month)
    elif quarter:
        first_month, last_month = int(quarter) * 3 - 2, int(quarter) * 3
    else:
        first_month, last_month = 1, 12
    after = date(y + 1, 1, 1) if last_month == 12 else date(y, last_month + 1, 1)
    return date(y, first_month, 1), after - timedelta(days=1)


def sum_days(counts: Mapping[str, Mapping[str, int]], first: date, last: date) -> tuple[dict[str, int], Counts]:
    """The business's counters and each staff member's, added up over the local days
    first..last from day items (`counts` maps a day, or a day@staff, to its counters)."""
    total: Counter[str] = Counter()
    staff: dict[str, Counter[str]] = defaultdict(Counter)
    lo, hi = first.isoformat(), last.isoformat()
    for key, counters in counts.items():
        day, member = split_staff(key)
        if not (is_day(day) and lo <= day <= hi):
            continue
        (staff[member] if member else total).update(counters)
    return dict(total), {m: dict(c) for m, c in staff.items()}


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
    appointments: Iterable[Appointment],
    winbacks: Iterable[datetime],
    tz: ZoneInfo,
    late_cancel_hours: int,
    days_from: date | None = None,
    nudges: Iterable[datetime] = (),
    grace_minutes: int = 0,
) -> Counts:
    """Everything one client adds to the business's period counters, from her whole
    history: her appointments (any status) and the times win-back messages were sent
    to her. Booked visits whose outcome is not settled yet count only as appointments.
    Days before `days_from` are left out (see DAY_HORIZON_DAYS); months, quarters and
    years are always counted."""
    # A hold that ran out unconfirmed or unpaid, or a declined card, never was a booking.
    appts = [a for a in appointments if not a.never_booked]
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    first_day = days_from.isoformat() if days_from else ""

    def periods(instant: datetime) -> list[str]:
        *calendar, day = periods_of(instant.astimezone(tz).date())
        return [*calendar, day] if day >= first_day else calendar

    def add(instant: datetime, name: str, n: int = 1) -> None:
        for p in periods(instant):
            counts[p][name] += n

    def add_staff(a: Appointment, name: str, n: int = 1) -> None:
        for p in periods(a.start):
            counts[staff_period(p, a.staff_id)][name] += n

    kept = [a for a in appts if a.status != Status.CANCELLED.value]
    done = sorted((a for a in appts if a.status == Status.COMPLETED.value), key=lambda a: a.start)
    for a in appts:
        add(a.start, "appointments")
        if a.status != Status.CANCELLED.value:
            # The time the booking holds (its buffer included), whatever its outcome — one
            # done early only until it freed her (a walk-in may fill the rest).
            add_staff(a, "booked")
            add_staff(a, "booked_minutes", int((a.time_held_until - a.start).total_seconds() // 60))
        if a.cancelled_by_salon:  # not her cancellation: counted apart
            add(a.start, "salon_cancelled")
        elif a.status == Status.CANCELLED.value:
            add(a.start, "cancelled")
            if a.cancelled_late(late_cancel_hours, grace_minutes):
                add(a.start, "late_cancelled")
        elif a.status in (Status.COMPLETED.value, Status.NO_SHOW.value):
            group = "reminded" if a.reminded else "unreminded"
            # With a deposit or a card on file behind it (those without: the rest of due).
            protected = a.payment is not None and a.payment.protected
            add(a.start, f"{group}_due")
            if protected:
                add(a.start, "protected_due")
            if a.status == Status.NO_SHOW.value:
                add(a.start, "no_show")
                add(a.start, f"{group}_no_show")
                if protected:
                    add(a.start, "protected_no_show")
                add_staff(a, "no_show")
        _money(a, add)
    for a in done:
        add(a.start, "completed")
        add(a.start, "revenue_cents", a.came_to_cents)
        add_staff(a, "completed")
        add_staff(a, "revenue_cents", a.came_to_cents)
        if a.feedback_requested:
            add(a.start, "feedback_requested")
        # The bookings that follow this visit (any made before it, too: she already had one).
        made = [b.created_at for b in kept if b.start > a.start and b.id != a.id]
        for n in REBOOK_WINDOWS:
            if any(t <= a.end + timedelta(days=n) for t in made):
                add(a.start, f"rebooked_{n}")
        if any(t <= a.end + BEFORE_LEAVING for t in made):
            add(a.start, "rebooked_before_leaving")
    visited = {p for a in done for p in periods_of(a.start.astimezone(tz).date())[:3]}
    for p in visited:
        counts[p]["visitors"] += 1
        if previous_period(p) in visited:
            counts[p]["retained"] += 1
    # A client whose first known visit came from her old system (an import's visits) was
    # the salon's before Rebook: a returning client, never a new one (an owner's walk:
    # November's "new clients" were three regulars of years imported with a last visit).
    if done and done[0].source != "import":
        add(done[0].start, "new_clients")
    _winbacks(sorted(winbacks), kept, add)
    _nudges(sorted(nudges), kept, add)
    return {p: {k: v for k, v in c.items() if v} for p, c in counts.items() if any(c.values())}


def _money(a: Appointment, add: Callable[..., None]) -> None:
    """What a booking's payment adds: its deposit or prepayment (what it took, refunded
    or not), its fees charged (not waived) and collected, its refunds."""
    pay = a.payment
    if pay is None or a.status == Status.PENDING_PAYMENT.value:
        return
    if deposit := pay.deposit_cents:
        add(a.start, "deposits")
        add(a.start, "deposit_cents", deposit)
    # A fee given back (a no-show mark undone, the owner's refund) is neither charged nor
    # collected (a refund Stripe failed is still the salon's money); refunds count what
    # went back of deposits and prepayments.
    charged = pay.fees_in("open", "succeeded", "refund_failed")
    collected = pay.fees_collected_cents
    if charged:
        add(a.start, "fees_charged_cents", charged)
    if collected:
        add(a.start, "fees_collected_cents", collected)
    if refunded := pay.deposit_refunded_cents:
        add(a.start, "refunds_cents", refunded)


def without_days_before(counts: Mapping[str, Mapping[str, int]], first: date) -> Counts:
    """`counts` without the days (and staff days) before `first`: what a contribution
    computed with days_from=first is compared with."""
    lo = first.isoformat()
    return {p: dict(c) for p, c in counts.items() if not (is_day(split_staff(p)[0]) and split_staff(p)[0] < lo)}


def _credited(sent: list[datetime], kept: list[Appointment], window: timedelta) -> dict[datetime, list[Appointment]]:
    """Each booking made within `window` after a message, credited to the latest such
    message."""
    credited: dict[datetime, list[Appointment]] = defaultdict(list)
    for b in kept:
        before = [s for s in sent if s < b.created_at <= s + window]
        if before:
            credited[max(before)].append(b)
    return credited


def _completed_revenue(bookings: list[Appointment]) -> int:
    return sum(b.came_to_cents for b in bookings if b.status == Status.COMPLETED.value)


def _winbacks(sent: list[datetime], kept: list[Appointment], add: Callable[..., None]) -> None:
    """A win-back message with a credited booking (WINBACK_WINDOW) is a conversion, and
    the completed visits of those bookings are its revenue."""
    credited = _credited(sent, kept, WINBACK_WINDOW)
    for s in sent:
        add(s, "winback_messages")
        if credited[s]:
            add(s, "winback_conversions")
            if revenue := _completed_revenue(credited[s]):
                add(s, "winback_revenue_cents", revenue)


def _nudges(sent: list[datetime], kept: list[Appointment], add: Callable[..., None]) -> None:
    """A nudge's bookings (NUDGE_WINDOW), counted in the nudge's period; the completed
    visits of those bookings are its revenue."""
    credited = _credited(sent, kept, NUDGE_WINDOW)
    for s in sent:
        add(s, "nudge_messages")
        if credited[s]:
            add(s, "nudge_bookings", len(credited[s]))
            if revenue := _completed_revenue(credited[s]):
                add(s, "nudge_revenue_cents", revenue)


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


# Figures counted over a window after each event of the period (a rebooking within 60 days
# of a visit, a booking within 30 days of a win-back message), and the retention rate (her
# visit any day of the period counts): until that many days after the period's last day
# they are counted so far, and mostly grow — said so, not read as a fall. (A booking
# cancelled later leaves them too; the revenue of a win-back or a nudge waits for its visits,
# which have no such end, so it is not listed.)
OPEN_DAYS = {
    **{f"rebooking_rate_{n}": n for n in REBOOK_WINDOWS},
    "rebooked_before_leaving_rate": 1,
    "retention_rate": 0,
    **dict.fromkeys(("winback_conversions", "winback_conversion_rate"), WINBACK_WINDOW.days),
    "nudge_bookings": NUDGE_WINDOW.days,
}


def counting_until(last: date, today: date) -> dict[str, str]:
    """The figures of a period ending on `last` that can still grow on `today`, each with
    the last day its windows are open."""
    out = {}
    for key, days in OPEN_DAYS.items():
        closes = last + timedelta(days=days)
        if closes >= today:
            out[key] = closes.isoformat()
    return out


# A figure the period cannot give (distinct clients over a rolling period).
UNKNOWN: Figure = {"value": None, "numerator": None, "denominator": None}
# Figures made of counts of distinct clients, which days cannot add up.
DISTINCT_FIGURES = ("retention_rate", "returning_clients", "average_spend_cents", "visit_frequency")


def figures(c: Mapping[str, int], previous: Mapping[str, int], distinct: bool = True) -> dict[str, Figure]:
    """The KPIs of a period from its counters and its previous period's (the
    retention rate's denominator). Rates are fractions; money is in cents. Without
    `distinct` (a rolling period, added up from days) the figures made of counts of
    distinct clients are UNKNOWN."""
    out = _figures(c, previous)
    if not distinct:
        out.update({k: dict(UNKNOWN) for k in DISTINCT_FIGURES})
    return out


def _figures(c: Mapping[str, int], previous: Mapping[str, int]) -> dict[str, Figure]:

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
        "salon_cancellation_rate": _ratio(g("salon_cancelled"), g("appointments")),
        "average_rating": _ratio(g("ratings_sum"), g("ratings_count"), digits=2),
        "response_rate": _ratio(g("ratings_count"), g("feedback_requested")),
        "winback_messages": _count(g("winback_messages")),
        "winback_conversions": _count(g("winback_conversions")),
        "winback_conversion_rate": _ratio(g("winback_conversions"), g("winback_messages")),
        "winback_revenue_cents": _count(g("winback_revenue_cents")),
        "nudges_sent": _count(g("nudge_messages")),
        "nudge_bookings": _count(g("nudge_bookings")),
        "nudge_revenue_cents": _count(g("nudge_revenue_cents")),
        "no_show_rate_reminded": _ratio(g("reminded_no_show"), g("reminded_due")),
        "no_show_rate_not_reminded": _ratio(g("unreminded_no_show"), g("unreminded_due")),
        "revenue_per_visit_cents": _ratio(g("revenue_cents"), completed, digits=0),
        "deposits_taken": _count(g("deposits")),
        "deposits_taken_cents": _count(g("deposit_cents")),
        "fees_charged_cents": _count(g("fees_charged_cents")),
        "fees_collected_cents": _count(g("fees_collected_cents")),
        "refunds_cents": _count(g("refunds_cents")),
        "no_show_rate_protected": _ratio(g("protected_no_show"), g("protected_due")),
        "no_show_rate_unprotected": _ratio(g("no_show") - g("protected_no_show"), due - g("protected_due")),
    }
