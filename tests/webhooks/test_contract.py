"""The owner's webhook routes are in docs/openapi.yaml with their methods, and the event
types of the document are the code's."""

from __future__ import annotations

from tests.contract.fuzzing import document


def test_every_webhook_route_is_documented(env):
    from app import app

    routes = {
        (path, method.lower())
        for path, methods in app.routes.items()
        if path.startswith("/api/v1/admin/webhooks")
        for method in methods
    }
    documented = {
        (path, method)
        for path, ops in document()["paths"].items()
        if path.startswith("/api/v1/admin/webhooks")
        for method in ops
        if method != "parameters"
    }
    assert routes == documented


def test_the_documented_event_types_are_the_codes():
    from chalicelib.domain.webhooks import EVENT_TYPES

    assert document()["components"]["schemas"]["WebhookEventType"]["enum"] == list(EVENT_TYPES)
