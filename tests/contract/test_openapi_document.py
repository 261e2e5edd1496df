"""docs/openapi.yaml against the code: a valid OpenAPI 3.1 document; every JSON route of
the app under /api/v1 (public, owner, the document's own) in it with its methods and
nothing else; the request bodies with the fields, required fields and limits of the
models the app parses them with; the success status each owner view answers; who may
call each owner operation (the API key scope of chalicelib/api/admin.py); the error
shape as the app and API Gateway write it, on every 4xx. A route, a field, a limit, a
status or a scope changed in the code without the document fails here; a status the
code answers that the document does not list fails the fuzz runs."""

from __future__ import annotations

import json

import pytest

from tests.contract.fuzzing import document


def test_the_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate

    doc = document()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_api_route_of_the_app_is_in_the_document_and_nothing_else(env):
    from app import app

    routes = {
        (path, method.lower())
        for path, methods in app.routes.items()
        if path.startswith(("/api/v1/", "/webhooks/", *LINK_PAGES))
        for method in methods
    }
    documented = {(path, method) for path, ops in document()["paths"].items() for method in ops}
    assert routes - documented == set(), "routes missing from docs/openapi.yaml"
    assert documented - routes == set(), "documented routes the app does not have"


# The pages of the links in clients' messages: manage, hold, feedback, unsubscribe, card.
LINK_PAGES = ("/m/", "/h/", "/f/", "/u/", "/l/")


def _operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method, op


def test_operation_ids_are_unique_and_every_operation_has_a_tag_and_a_summary():
    doc = document()
    ops = list(_operations(doc))
    assert {t for _, _, op in ops for t in op["tags"]} == {t["name"] for t in doc["tags"]}
    ids = [op["operationId"] for _, _, op in ops]
    assert len(ids) == len(set(ids))
    for path, method, op in ops:
        assert op.get("summary") and op.get("tags"), (method, path)


def test_who_may_call_each_owner_operation_is_what_the_code_lets_in(env):
    """The owner's JWT everywhere; an API key only where the route names a scope, and
    with that scope; the public operations need nothing."""
    from app import app  # noqa: F401 (registers the routes)
    from chalicelib.api.admin import SCOPES

    for path, method, op in _operations(document()):
        if not path.startswith("/api/v1/admin"):
            assert op.get("security") == [], (method, path)
            continue
        scope = SCOPES[(path, method)]
        expected: list[dict[str, list[str]]] = [{"ownerJwt": []}]
        if scope:
            expected.append({"apiKey": [scope]})
        assert op["security"] == expected, (method, path)


def _success_status_in_code(view) -> int:
    """What the view answers when all goes well: `return 201, ...`, a Response's
    status_code, or a status its use case returns with the body (as messages.send_personal)."""
    import inspect
    import re

    source = inspect.getsource(inspect.unwrap(view))
    found = re.findall(r"return (\d{3}),|status_code=(\d{3})", source)
    codes = {int(a or b) for a, b in found}
    return codes.pop() if len(codes) == 1 else 200


ANSWERED_BY_THE_USE_CASE = {
    # Views that pass on the status their use case decides (checked by the fuzz's happy paths).
    ("post", "/api/v1/admin/clients/{client_id}/messages"): 202,
    ("post", "/api/v1/admin/imports"): 201,
    ("post", "/api/v1/admin/imports/{import_id}/run"): (200, 202),  # 200: done already
    ("post", "/api/v1/admin/clients/{client_id}/follow-ups"): 201,
    ("post", "/api/v1/admin/clients/{client_id}/notes"): 201,
    ("post", "/api/v1/admin/bookings"): 201,
    ("post", "/api/v1/admin/webhooks"): 201,
    ("post", "/api/v1/admin/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay"): 202,
}


def test_each_owner_operation_documents_the_success_status_its_view_answers(env):
    from app import app

    doc = document()
    for path, methods in app.routes.items():
        if not path.startswith("/api/v1/admin"):
            continue
        for method, entry in methods.items():
            op = doc["paths"][path][method.lower()]
            documented = [int(s) for s in op["responses"] if s.startswith("2")]
            expected = ANSWERED_BY_THE_USE_CASE.get((method.lower(), path)) or _success_status_in_code(
                entry.view_function
            )
            assert documented == list(expected if isinstance(expected, tuple) else [expected]), (method, path)


def test_every_4xx_is_in_the_error_shape_and_the_usual_refusals_are_listed():
    doc = document()
    for path, method, op in _operations(doc):
        statuses = set(op["responses"])
        page = path.startswith(LINK_PAGES)
        for status, response in op["responses"].items():
            if status.startswith("4"):
                name = response["$ref"].rsplit("/", 1)[1]
                response = doc["components"]["responses"][name]
                if page and name == "PageError":  # the error page, in the client's language
                    assert set(response["content"]) == {"text/html"}
                    continue
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        assert "429" in statuses, (method, path)
        if "{" in path or path.startswith("/api/v1/admin"):
            assert "404" in statuses, (method, path)
        if path.startswith("/api/v1/admin"):
            assert {"401", "403"} <= statuses, (method, path)
        if "requestBody" in op:
            assert {"400", "413", "415"} <= statuses, (method, path)
            if "application/json" in op["requestBody"]["content"]:
                assert "422" in statuses, (method, path)


def test_every_operation_lists_its_503_with_retry_after():
    """Any route may answer 503 (the database throttling or failing; Stripe or a salon's
    keys for the operations that pay: chalicelib/api/http.py, pages.py): in the error
    shape, or the error page on a link's page, each with Retry-After."""
    doc = document()
    shared = doc["components"]["responses"]
    for path, method, op in _operations(doc):
        assert "503" in op["responses"], (method, path)
        name = op["responses"]["503"]["$ref"].rsplit("/", 1)[1]
        assert name == ("PageError" if path.startswith(LINK_PAGES) else "Unavailable"), (method, path)
        assert "Retry-After" in shared[name]["headers"], name
    assert shared["Unavailable"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def _resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = doc["components"]["schemas"][name]
    return schema


def _model_schema(model) -> dict:
    """pydantic's JSON schema of the model, with its nested models inlined."""
    raw = model.model_json_schema()
    defs = raw.pop("$defs", {})

    def inline(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"].rsplit("/", 1)[1]])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(raw)


def _object_of(schema: dict) -> dict | None:
    """The object schema inside an Optional (anyOf [object, null]) or the schema itself."""
    if schema.get("type") == "object" or (isinstance(schema.get("type"), list) and "object" in schema["type"]):
        return schema
    for option in schema.get("anyOf", []):
        if option.get("type") == "object":
            return option
    return None


LIMITS = ("minLength", "maxLength", "pattern")


def _compare(doc: dict, ours: dict, theirs: dict, where: str) -> None:
    ours = _resolve(doc, ours)
    assert set(ours["properties"]) == set(theirs["properties"]), where
    assert set(ours.get("required", [])) == set(theirs.get("required", [])), where
    assert ours.get("additionalProperties") is False and theirs.get("additionalProperties") is False, where
    for name, mine in ours["properties"].items():
        model = theirs["properties"][name]
        nested = _object_of(model)
        if nested is not None and "properties" in nested:
            mine = next(o for o in [mine, *mine.get("anyOf", [])] if "properties" in _resolve(doc, o))
            _compare(doc, mine, nested, f"{where}.{name}")
            continue
        mine = _resolve(doc, mine)
        options = [model, *model.get("anyOf", [])]
        documented = [mine, *mine.get("anyOf", [])]
        for limit in LIMITS:
            found = {o[limit] for o in options if limit in o}
            said = {o[limit] for o in documented if limit in o}
            assert said == found, f"{where}.{name}: {limit} {said} vs {found}"


ADMIN = "/api/v1/admin"


@pytest.mark.parametrize(
    ("method", "path", "model"),
    [
        ("post", "/api/v1/businesses/{slug}/bookings", "chalicelib.domain.booking:BookingIn"),
        ("post", "/api/v1/bookings/{token}/cancel", "chalicelib.domain.booking:CancelIn"),
        ("post", "/api/v1/bookings/{token}/reschedule", "chalicelib.domain.booking:RescheduleIn"),
        ("post", ADMIN + "/appointments/{appointment_id}/status", "chalicelib.domain.registry:VisitMark"),
        ("post", ADMIN + "/appointments/{appointment_id}/cancel", "chalicelib.domain.booking:DeskCancelIn"),
        ("post", ADMIN + "/appointments/{appointment_id}/reschedule", "chalicelib.domain.booking:DeskRescheduleIn"),
        ("post", ADMIN + "/time-off", "chalicelib.domain.timeoff:TimeOffIn"),
        ("patch", ADMIN + "/clients/{client_id}", "chalicelib.domain.registry:ClientUpdate"),
        ("post", ADMIN + "/clients/{client_id}/notes", "chalicelib.domain.registry:NoteIn"),
        ("post", ADMIN + "/clients/{client_id}/messages", "chalicelib.domain.registry:PersonalMessageIn"),
        ("post", ADMIN + "/clients/{client_id}/messages/preview", "chalicelib.domain.registry:PersonalMessageIn"),
        ("post", ADMIN + "/clients/{client_id}/follow-ups", "chalicelib.domain.registry:FollowUpIn"),
        ("put", ADMIN + "/clients/{client_id}/follow-ups/{followup_id}", "chalicelib.domain.registry:FollowUpIn"),
        ("post", ADMIN + "/clients/{client_id}/loyalty/adjustments", "chalicelib.domain.registry:StampAdjustIn"),
        ("post", ADMIN + "/api-keys", "chalicelib.domain.api_keys:ApiKeyIn"),
        ("post", ADMIN + "/appointments/{appointment_id}/fees", "chalicelib.services.admin.money:FeeIn"),
        ("post", ADMIN + "/appointments/{appointment_id}/fees/{kind}/waive", "chalicelib.services.admin.money:WaiveIn"),
        ("post", ADMIN + "/appointments/{appointment_id}/refund", "chalicelib.services.admin.money:RefundIn"),
        ("post", ADMIN + "/appointments/{appointment_id}/checkout", "chalicelib.services.payments.checkout:CheckoutIn"),
        ("post", ADMIN + "/imports", "chalicelib.services.admin.imports:ImportIn"),
        ("post", "/api/v1/businesses/{slug}/waitlist", "chalicelib.domain.waitlist:WaitlistIn"),
        ("post", "/api/v1/offers/{token}/book", "chalicelib.domain.waitlist:OfferBookIn"),
        ("post", ADMIN + "/webhooks", "chalicelib.domain.webhooks:EndpointIn"),
        ("patch", ADMIN + "/webhooks/{endpoint_id}", "chalicelib.domain.webhooks:EndpointPatch"),
    ],
)
def test_each_request_body_has_the_fields_and_limits_of_its_model(method, path, model):
    import importlib

    module, name = model.split(":")
    doc = document()
    body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    _compare(doc, body, _model_schema(getattr(importlib.import_module(module), name)), name)


def test_the_desk_booking_body_is_the_public_one_plus_the_desk_options():
    from chalicelib.domain.booking import BookingIn, DeskOptions

    desk = document()["components"]["schemas"]["DeskBookingIn"]["properties"]
    assert set(desk) == set(BookingIn.model_fields) | set(DeskOptions.model_fields) | {"client_id"}


def test_the_error_shape_is_what_the_app_and_api_gateway_answer():
    import jsonschema

    from chalicelib.errors import Conflict, ValidationFailed
    from infra.api_edges import gateway_responses

    error = document()["components"]["schemas"]["Error"]
    bodies = [
        ValidationFailed("The booking has errors; see 'fields'.", fields={"client.email": "invalid"}).to_body(),
        Conflict(
            "Too late.", code="cancellation_window_passed", details={"deadline": "2026-11-25T10:00:00+02:00"}
        ).to_body(),
    ]
    bodies += [
        json.loads(r["ResponseTemplates"]["application/json"].replace("$context.requestId", "c0ffee"))
        for r in gateway_responses().values()
    ]
    for body in bodies:
        jsonschema.validate(body, error)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"Code": "UnsupportedMediaType", "Message": "..."}, error)  # Chalice's own
