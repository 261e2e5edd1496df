"""docs/openapi.yaml against the code: a valid OpenAPI 3.1 document; every public JSON
route of the app in it with its methods and nothing else; the request bodies with the
fields, required fields and limits of the models the app parses them with; the error
shape as the app and API Gateway write it. A route, a field or a limit changed in the
code without the document fails here."""

from __future__ import annotations

import json

import pytest

from tests.contract.test_public_api_fuzz import document


def test_the_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate

    doc = document()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_public_route_of_the_app_is_in_the_document_and_nothing_else(env):
    from app import app

    routes = {
        (path, method.lower())
        for path, methods in app.routes.items()
        if path.startswith("/api/v1/") and not path.startswith("/api/v1/admin")
        for method in methods
    }
    documented = {
        (path, method)
        for path, ops in document()["paths"].items()
        if not path.startswith("/api/v1/admin")  # the owner API's routes: checked with it (issue 23)
        for method in ops
        if method != "parameters"
    }
    assert routes == documented


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
            _compare(doc, mine, nested, f"{where}.{name}")
            continue
        mine = _resolve(doc, mine)
        options = [model, *model.get("anyOf", [])]
        for limit in LIMITS:
            found = {o[limit] for o in options if limit in o}
            if found:
                assert mine.get(limit) in found, f"{where}.{name}: {limit} {mine.get(limit)} vs {found}"


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/api/v1/businesses/{slug}/bookings", "BookingIn"),
        ("/api/v1/bookings/{token}/cancel", "CancelIn"),
        ("/api/v1/bookings/{token}/reschedule", "RescheduleIn"),
    ],
)
def test_each_request_body_has_the_fields_and_limits_of_its_model(path, model):
    from chalicelib.domain import booking

    doc = document()
    body = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    _compare(doc, body, _model_schema(getattr(booking, model)), model)


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
