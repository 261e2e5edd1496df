"""Schemathesis fuzzes the public booking API against its contract (docs/openapi.yaml).

In process: the app on moto (the demo salon, the clock frozen) behind the stand-in for
API Gateway of tests/contract/gateway.py, called through WSGI. Per operation a bounded,
derandomized run (the same cases every time): the examples of the document, its
boundaries (coverage) and fuzzed values, valid and invalid. Checks: no 5xx, every status
code is documented, every answer conforms to its schema (errors to the error shape).

Real links are put into the document's examples (a booking's manage token for each
operation that takes one, a client's card token), so that the happy paths run too."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from tests.contract.fuzzing import document, fuzzed

MAX_EXAMPLES = 50


# The operations that take a link's token, each fed a real one (made by `live_links`)
# through a stand-in example that the test swaps before the call.
LINKS = {
    ("get", "/api/v1/bookings/{token}"): "manage-get",
    ("post", "/api/v1/bookings/{token}/cancel"): "manage-cancel",
    ("post", "/api/v1/bookings/{token}/reschedule"): "manage-reschedule",
    ("post", "/api/v1/bookings/{token}/payment"): "manage-pay",
    ("get", "/api/v1/cards/{token}"): "card",
}
STAND_IN = "live-link-"


def contract() -> dict:
    """The public JSON API only (the owner API and the link pages have runs of their own:
    test_owner_api_fuzz.py, test_link_pages_fuzz.py)."""
    doc = document()
    doc["paths"] = {
        p: ops for p, ops in doc["paths"].items() if p.startswith("/api/v1/") and not p.startswith("/api/v1/admin")
    }
    for (method, path), name in LINKS.items():
        op = doc["paths"][path][method]
        op["parameters"] = [
            {**doc["components"]["parameters"]["Token"], "example": STAND_IN + name}
            if p == {"$ref": "#/components/parameters/Token"}
            else p
            for p in op["parameters"]
        ]
    return doc


schema = fuzzed(contract(), MAX_EXAMPLES)


@pytest.fixture
def live_links(client, aws):
    """The app behind the stand-in API Gateway, and a real link for each stand-in: a
    booking of its own for each manage operation (one cancels, one moves), a card."""
    from chalicelib import clock, links
    from chalicelib.store import bookings
    from tests.api.helpers import book, token_of

    tokens = {}
    for name, start in (
        ("manage-get", "2026-11-25T12:00:00+02:00"),
        ("manage-cancel", "2026-11-25T14:00:00+02:00"),
        ("manage-reschedule", "2026-11-26T12:00:00+02:00"),
        ("manage-pay", "2026-11-26T15:00:00+02:00"),
    ):
        status, booked = book(client, start, staff="sanna")
        assert status == 201, booked
        tokens[STAND_IN + name] = token_of(booked["manage_url"])
    appointment = bookings.get_appointment(aws.id, booked["id"])
    assert appointment is not None
    tokens[STAND_IN + "card"] = links.card_token(aws.id, appointment.client_id, clock.now())
    return tokens


@schema.parametrize()
# One app and one table for all of an operation's cases, as on a live stage: what one
# case wrote (a booking, a cancellation) is there for the next.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
def test_the_public_api_keeps_its_contract_whatever_it_is_sent(case, live_links):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

    token = (case.path_parameters or {}).get("token")
    if token in live_links:
        case.path_parameters["token"] = live_links[token]
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, response_schema_conformance])
