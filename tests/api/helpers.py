"""Small helpers for driving the public API through Chalice's test client."""

from __future__ import annotations

import json
import os

JSON = {"Content-Type": "application/json"}
# A booking as the pages about it get it (services/booking/views.booking_view): the demo's
# longest service name, a discount, held for her confirmation.
BOOKING_VIEW = {
    "business": {"slug": "demo", "name": "Salon Aurora"},
    "service": {"id": "womens-cut", "name": "Naisten hiustenleikkaus"},
    "staff": {"id": "aino", "name": "Aino Virtanen"},
    "start": "2026-11-25T11:00:00+02:00",
    "price_cents": 6210,
    "discount_cents": 690,
    "status": "awaiting_confirmation",
    "hold_until": "2026-11-20T10:30:00+02:00",
    "manage_url": "/m/t",
    "can_change": False,
}


def get(client, path):
    r = client.http.get(path)
    return r.status_code, json.loads(r.body) if r.body else None


def post(client, path, body=None, headers=None, raw=None):
    data = raw if raw is not None else json.dumps(body if body is not None else {})
    r = client.http.post(path, body=data, headers={**JSON, **(headers or {})})
    return r.status_code, json.loads(r.body) if r.body else None


def slots(client, service="womens-cut", day="2026-11-25", staff=None, to=None):
    q = f"/api/v1/businesses/demo/availability?service={service}&from={day}&to={to or day}"
    if staff:
        q += f"&staff={staff}"
    status, body = get(client, q)
    assert status == 200, body
    return {s["id"]: s["slots"] for s in body["staff"]}


def booking_body(
    start,
    service="womens-cut",
    staff="aino",
    name="Maija Meikäläinen",
    phone="040 123 4567",
    email="maija@example.com",
    **extra,
):
    client = {"name": name}
    if phone:
        client["phone"] = phone
    if email:
        client["email"] = email
    body = {"service": service, "start": start, "client": client}
    if staff:
        body["staff"] = staff
    body.update(extra)
    return body


def book(client, start, **kw):
    """POST a booking; then, as Lambda's outbox stream would right after it, send its
    confirmations (tests/conftest.py drain_outbox)."""
    from tests.conftest import drain_outbox

    headers = kw.pop("headers", None)
    answer = post(client, "/api/v1/businesses/demo/bookings", booking_body(start, **kw), headers=headers)
    drain_outbox()
    return answer


def open_link(client, path, headers=None):
    """GET a page as a browser opens it: a message link's redirect to the visit's own
    address is followed with the cookie it sets (chalicelib/api/link_pages.py)."""
    r = client.http.get(path, headers=headers or {})
    return follow(client, r.headers, headers) if r.status_code == 303 and "Set-Cookie" in r.headers else r


def follow(client, response_headers, headers=None):
    """A redirect as a browser follows it, with the cookie it sets (and its own `headers`)."""
    set_cookie = response_headers.get("Set-Cookie")
    cookie = {"Cookie": set_cookie.split(";")[0]} if set_cookie else {}
    return client.http.get(response_headers["Location"], headers={**(headers or {}), **cookie})


def token_of(manage_url: str) -> str:
    return manage_url.rsplit("/", 1)[1]


def table_items(table=None):
    """Every item in the table (tests may Scan; the app never does): moto's, or
    DynamoDB Local's in the integration suite."""
    from chalicelib.store.db import dynamodb_client

    ddb = dynamodb_client()  # the app's own: moto's, or DynamoDB Local's per the settings
    items, kwargs = [], {"TableName": table or os.environ.get("REBOOK_TABLE", "rebook-test")}
    while True:
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def taken_on_sheets(items) -> dict[tuple[str, str], tuple[str, str]]:
    """Every entry on the staff's day sheets: (sheet sk, ref) -> (start, end) as UTC ISO."""
    from datetime import UTC, datetime

    out = {}
    for i in items:
        if i["pk"]["S"].startswith("SHEET#"):
            for ref, v in i.get("taken", {}).get("M", {}).items():
                lo, hi = (datetime.fromtimestamp(int(m) * 60, UTC).isoformat() for m in v["S"].split("-"))
                out[(i["sk"]["S"], ref)] = (lo, hi)
    return out


def count_by_prefix(items, prefix):
    return sum(1 for i in items if i["pk"]["S"].startswith(prefix) or i["sk"]["S"].startswith(prefix))


def set_config(business, **changes):
    """Save the business with some config settings changed, `section__key=value` (as PUT
    /admin/business would), and forget the cached config."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store import businesses

    data = business.config.model_dump(mode="json")
    for path, value in changes.items():
        section, _, key = path.partition("__")
        data.setdefault(section, {})[key] = value
    businesses.save_config(parse_business_config(data))
    businesses.clear_cache()
