"""Money and counts are whole numbers as sent: a JSON true, "100" or 100.0 where the API
takes integer cents (or a percentage, a quantity, minutes, days, a limit of the settings)
is a 422 on that field, never read as 1, 100 or 100 cents (pydantic's StrictInt; the
dashboard says err_number for it)."""

from __future__ import annotations

import pytest

NOT_WHOLE = [True, "100", 100.0]


def _put_section(desk, name, change):
    status, shown = desk.get("/settings")
    assert status == 200, shown
    return desk.put(f"/settings/{name}", change(shown["sections"][name]))


def _first_service(services, value):
    return [{**services[0], "price_cents": value}, *services[1:]]


ROUTES = {
    "refund": (
        lambda d, v: d.post("/appointments/a1b2c3d4e5f6/refund", {"amount_cents": v, "reason": "x"}),
        "amount_cents",
    ),
    "checkout price": (
        lambda d, v: d.post("/appointments/a1b2c3d4e5f6/checkout", {"method": "cash", "price_cents": v}),
        "price_cents",
    ),
    "checkout line": (
        lambda d, v: d.post(
            "/appointments/a1b2c3d4e5f6/checkout",
            {"method": "cash", "lines": [{"name": "Shampoo", "amount_cents": v}]},
        ),
        "lines.0.amount_cents",
    ),
    "checkout quantity": (
        lambda d, v: d.post(
            "/appointments/a1b2c3d4e5f6/checkout",
            {"method": "cash", "lines": [{"name": "Shampoo", "amount_cents": 1500, "quantity": v}]},
        ),
        "lines.0.quantity",
    ),
    "checkout discount": (
        lambda d, v: d.post("/appointments/a1b2c3d4e5f6/checkout", {"method": "cash", "discount": {"amount_cents": v}}),
        "discount.amount_cents",
    ),
    "terms": (
        lambda d, v: _put_section(d, "terms", lambda t: {**t, "late_cancel_fee_percent": v}),
        "late_cancel_fee_percent",
    ),
    "policy": (
        lambda d, v: _put_section(
            d, "policy", lambda _: {"kind": "deposit", "deposit_cents": v, "deposit_percent": None}
        ),
        "deposit_cents",
    ),
    "service price": (lambda d, v: _put_section(d, "services", lambda s: _first_service(s, v)), "price_cents"),
    "service duration": (
        lambda d, v: _put_section(d, "services", lambda s: [{**s[0], "duration_minutes": v}, *s[1:]]),
        "duration_minutes",
    ),
    "booking rules": (
        lambda d, v: _put_section(d, "rules", lambda r: {**r, "max_horizon_days": v}),
        "max_horizon_days",
    ),
}


@pytest.mark.parametrize("value", NOT_WHOLE, ids=["true", "text", "float"])
@pytest.mark.parametrize("route", list(ROUTES))
def test_money_and_counts_that_are_no_whole_number_are_a_422_on_their_field(desk, route, value):
    send, field = ROUTES[route]
    status, answer = send(desk, value)
    assert status == 422, answer
    assert answer["error"]["code"] == "validation_failed" and answer["error"]["message"]
    said = {k: v for k, v in answer["error"]["fields"].items() if k == field or k.endswith("." + field)}
    assert said and all("valid integer" in v for v in said.values()), answer
