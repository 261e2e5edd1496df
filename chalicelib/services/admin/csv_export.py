"""CSV exports for the owner: every client, and the appointments of a period — for a
spreadsheet or the accountant. Owner role only; audited."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import timedelta

from chalicelib.auth.principal import Principal
from chalicelib.domain.payments import ProductLine
from chalicelib.domain.timeutil import iso_local, local_wall_to_utc
from chalicelib.services.admin.common import audited, business_of, date_range, parse_date, today
from chalicelib.store import bookings, clients

MAX_DAYS = 400
CLIENT_COLUMNS = [
    "id",
    "name",
    "phone",
    "email",
    "locale",
    "created_at",
    "relationship",
    "visits",
    "spend_cents",
    "last_visit",
    "no_shows",
    "cancellations",
    "marketing_consent",
    "birthday",
    "tags",
    "stamps",
]
APPOINTMENT_COLUMNS = [
    "id",
    "start",
    "end",
    "status",
    "service",
    "staff",
    "client_id",
    "client_name",
    "price_cents",
    "discount_cents",
    "reward",
    "source",
    "created_at",
    "cancelled_at",
    "reschedules",
    # Checked out at the desk: what the visit came to (the desk may set the final price),
    # how the rest was paid and when; empty until then. Last, so older sheets keep their columns.
    "checkout_total_cents",
    "checkout_method",
    "checked_out_at",
    # The products sold with it ("2 × Shampoo 250 ml à 2490", " | " between them) and the
    # discount off the visit and its products, in cents (none and 0 for a checkout stored
    # before they were kept).
    "checkout_products",
    "checkout_discount_cents",
]


# Where a spreadsheet may start a cell inside ours: at its start, and after any character
# one splits a line at — ';' (Excel in Finland and Sweden, docs/import.md), ',', a tab — or
# a line break; spaces before a formula character do not stop it.
# A quote may open the part too: 'b;"=1+1' split at ';' is a quoted cell "=1+1".
_FORMULA_START = re.compile(r"(^|[;,\t\r\n])([ \"]*)(?=[=+\-@])")


def _products(lines: Sequence[ProductLine]) -> str:
    """A checkout's product lines in one cell: "2 × Shampoo 250 ml à 2490 | 1 × Wax à 1590"."""
    return " | ".join(f"{line.quantity} × {line.name} à {line.amount_cents}" for line in lines)


def _safe(value) -> str:
    """A cell no spreadsheet will run as a formula (CSV injection, as OWASP advises): a
    single quote before a formula character (= + - @) that starts the cell or a part of
    it a spreadsheet may read as a cell of its own ("Maija;=HYPERLINK(...)" read by a
    Finnish Excel), and before a tab or carriage return that starts it. "Anna-Liisa"
    stays as it is: a '-' inside a word starts nothing."""
    text = "" if value is None else str(value)
    if text[:1] in ("\t", "\r"):
        text = "'" + text
    return _FORMULA_START.sub(r"\1\2'", text)


def _csv(columns: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_safe(row.get(c)) for c in columns])
    return "\ufeff" + out.getvalue()  # the BOM makes Excel read UTF-8 (ä, ö, å)


def clients_csv(p: Principal) -> tuple[str, str]:
    p.require("export")
    b = business_of(p)
    tz = b.config.tz
    rows = (
        {
            "id": c.id,
            "name": c.name,
            "phone": c.phone,
            "email": c.email,
            "locale": c.locale,
            "created_at": iso_local(c.created_at, tz),
            "relationship": c.relationship or "active",
            "visits": c.visits,
            "spend_cents": c.spend_cents,
            "last_visit": iso_local(c.last_visit_at, tz) if c.last_visit_at else None,
            "no_shows": c.no_shows,
            "cancellations": c.cancellations,
            "marketing_consent": "yes" if c.marketing and c.marketing.granted else "no",
            "birthday": c.birthday,
            "tags": " ".join(c.tags),
            "stamps": c.stamps + c.stamp_adjust,
        }
        for c in clients.all_clients(b.id)
    )
    body = _csv(CLIENT_COLUMNS, rows)
    audited(p, "export_clients_csv", None)
    return f"{b.config.slug}-clients.csv", body


def appointments_csv(p: Principal, params: dict) -> tuple[str, str]:
    p.require("export")
    b = business_of(p)
    tz = b.config.tz
    first = parse_date(params.get("from"), "from", today(b).replace(day=1))
    last = parse_date(params.get("to"), "to", today(b))
    first, last = date_range(first, last, MAX_DAYS + 1)
    start, end = local_wall_to_utc(first, 0, tz), local_wall_to_utc(last + timedelta(days=1), 0, tz)
    appts = bookings.list_appointments(b.id, start, end)
    names = {cid: c.name for cid, c in clients.get_clients(b.id, {a.client_id for a in appts}).items()}
    cfg = b.config
    services = {s.id: s.name.get(cfg.locale) for s in cfg.services}
    staff = {m.id: m.name for m in cfg.staff}
    rows = (
        {
            "id": a.id,
            "start": iso_local(a.start, tz),
            "end": iso_local(a.end, tz),
            "status": a.status,
            "service": services.get(a.service_id, a.service_id),
            "staff": staff.get(a.staff_id, a.staff_id),
            "client_id": a.client_id,
            "client_name": names.get(a.client_id),
            "price_cents": a.price_cents,
            "discount_cents": a.discount_cents,
            "reward": a.reward_id,
            "source": a.source,
            "created_at": iso_local(a.created_at, tz),
            "cancelled_at": iso_local(a.cancelled_at, tz) if a.cancelled_at else None,
            "reschedules": a.reschedules,
            "checkout_total_cents": a.came_to_cents if a.checkout else None,
            "checkout_method": a.checkout.method if a.checkout else None,
            "checked_out_at": iso_local(a.checkout.at, tz) if a.checkout else None,
            "checkout_products": _products(a.checkout.lines) if a.checkout else None,
            "checkout_discount_cents": a.checkout.discount_cents if a.checkout else None,
        }
        for a in appts
    )
    body = _csv(APPOINTMENT_COLUMNS, rows)
    audited(p, "export_appointments_csv", None, {"from": first.isoformat(), "to": last.isoformat()})
    return f"{cfg.slug}-appointments-{first.isoformat()}-{last.isoformat()}.csv", body
