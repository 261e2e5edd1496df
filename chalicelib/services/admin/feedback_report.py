"""The owner's view of feedback: the ratings of a period (one Query on the business's
feedback index) and the monthly figures (maintained aggregates, never recomputed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.domain.timeutil import iso_local, local_wall_to_utc
from chalicelib.services.admin.common import audited, business_of, date_range, parse_date, today
from chalicelib.store import clients
from chalicelib.store import feedback as store

MAX_DAYS = 366


def report(p: Principal, params: dict[str, str]) -> dict[str, Any]:
    b = business_of(p)
    params = params or {}
    to = parse_date(params.get("to"), "to", default=today(b))
    start = parse_date(params.get("from"), "from", default=to - timedelta(days=29))
    start, to = date_range(start, to, MAX_DAYS)
    tz = b.config.tz
    items = store.for_business(b.id, local_wall_to_utc(start, 0, tz), local_wall_to_utc(to + timedelta(days=1), 0, tz))
    people = clients.get_clients(b.id, {f.client_id for f in items})
    months = store.months(b.id, start.strftime("%Y-%m"), to.strftime("%Y-%m"))
    audited(p, "read_feedback", None, {"from": start.isoformat(), "to": to.isoformat()})
    count = len(items)
    return {
        "from": start.isoformat(),
        "to": to.isoformat(),
        "count": count,
        "average": round(sum(f.rating for f in items) / count, 2) if count else None,
        "low": sum(1 for f in items if f.rating <= b.config.feedback.low_score),
        "ratings": [
            {
                "appointment": f.appointment_id,
                "visit_start": iso_local(f.visit_start, tz),
                "rating": f.rating,
                "comment": f.comment,
                "staff": f.staff_id,
                "service": f.service_id,
                "client": {"id": f.client_id, "name": people[f.client_id].name if f.client_id in people else None},
            }
            for f in sorted(items, key=lambda f: f.visit_start, reverse=True)
        ],
        "months": [
            {
                "month": month,
                "count": m.get("ratings_count", 0),
                "average": round(m.get("ratings_sum", 0) / m["ratings_count"], 2) if m.get("ratings_count") else None,
                "low": m.get("low_ratings", 0),
                "stars": {str(n): m.get(f"stars_{n}", 0) for n in range(1, 6)},
            }
            for month, m in months.items()
        ],
    }
