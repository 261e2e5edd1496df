"""The API's contract for those who integrate with it: the OpenAPI document as JSON at
GET /api/v1/openapi.json, and a readable reference rendered from the same document at
/docs/api (server-side with Jinja2: no CDN, no script)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalice import Blueprint, CORSConfig, Response

from chalicelib.api.http import HSTS, handler
from chalicelib.settings import get_settings

# docs/openapi.yaml is the one source: the deployment package carries it at the same
# place next to app.py (infra/lean_package.py adds it).
DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete")

reference = Blueprint(__name__)
CORS = CORSConfig(allow_origin="*", max_age=600)


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    import yaml

    # libyaml's parser where the wheel has it: ten times faster than PyYAML's own.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loaded: dict[str, Any] = yaml.load(DOCUMENT.read_text(encoding="utf-8"), Loader=loader)
    return loaded


def served_document(public_url: str) -> dict[str, Any]:
    """The document as a deployment serves it: its server is the deployment's own base,
    `public_url` (the domain's root with a custom domain, API Gateway's address with its
    stage path `/api` without one: docs/deploy.md §2b), so that a client generated from
    GET /api/v1/openapi.json calls `<public_url>/api/v1/...` wherever it is served."""
    return {**document(), "servers": [{"url": public_url}]}


@lru_cache(maxsize=4)
def _document_json(public_url: str) -> str:
    return json.dumps(served_document(public_url), ensure_ascii=False)


@reference.route("/api/v1/openapi.json", methods=["GET"], cors=CORS)
@handler
def openapi_json():
    return Response(
        body=_document_json(get_settings().public_url),
        status_code=200,
        headers={"Content-Type": "application/json; charset=utf-8", "Cache-Control": "public, max-age=300"},
    )


def _schema_name(schema: dict | None) -> str | None:
    ref = (schema or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else None


def _resolve(doc: dict, node: dict) -> dict:
    """A `$ref` to one of the document's components, followed."""
    while isinstance(node, dict) and "$ref" in node:
        _, _, kind, name = node["$ref"].split("/")
        node = doc["components"][kind][name]
    return node


def _type_of(schema: dict) -> str:
    """A short human-readable type: `string (date)`, `array of Booking`, `string | null`."""
    name = _schema_name(schema)
    if name:
        return name
    if "anyOf" in schema or "oneOf" in schema:
        return " | ".join(_type_of(s) for s in schema.get("anyOf") or schema.get("oneOf") or [])
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    if "array" in kinds and isinstance(schema.get("items"), dict):
        kinds = [f"array of {_type_of(schema['items'])}" if k == "array" else k for k in kinds]
    text = " | ".join(str(k) for k in kinds)
    if schema.get("format"):
        text += f" ({schema['format']})"
    if schema.get("enum"):
        text += ": " + ", ".join(str(v) for v in schema["enum"])
    return text


def _limits(schema: dict) -> str:
    found = [f"{k} {schema[k]}" for k in ("minLength", "maxLength", "minimum", "maximum", "maxItems") if k in schema]
    return ", ".join(found)


def _fields(schema: dict) -> list[dict]:
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": _type_of(prop),
            "required": name in required,
            "limits": _limits(prop),
            "description": prop.get("description", ""),
        }
        for name, prop in (schema.get("properties") or {}).items()
    ]


def _operations(doc: dict) -> dict[str, list[dict]]:
    """The operations by tag, in the document's order."""
    by_tag: dict[str, list[dict]] = {}
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            body: dict[str, dict] = (op.get("requestBody") or {}).get("content", {})
            body_type, body_schema = next(iter(body.items()), (None, {}))
            by_tag.setdefault((op.get("tags") or ["Public"])[0], []).append(
                {
                    "id": op.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "security": [
                        (scheme, scopes)
                        for s in op.get("security", doc.get("security", []))
                        for scheme, scopes in s.items()
                    ],
                    "parameters": [
                        {**p, "type": _type_of(p.get("schema", {}))}
                        for p in (_resolve(doc, q) for q in op.get("parameters", []))
                    ],
                    "body": {
                        "type": body_type,
                        "required": (op.get("requestBody") or {}).get("required", False),
                        "schema": _schema_name(body_schema.get("schema")) or _type_of(body_schema.get("schema") or {}),
                    }
                    if body_type
                    else None,
                    "responses": [
                        {
                            "status": status,
                            "description": _resolve(doc, r).get("description", ""),
                            "schema": next(
                                (
                                    _schema_name(c.get("schema")) or _type_of(c.get("schema") or {})
                                    for c in (_resolve(doc, r).get("content") or {}).values()
                                ),
                                None,
                            ),
                        }
                        for status, r in op.get("responses", {}).items()
                    ],
                }
            )
    return by_tag


@lru_cache(maxsize=1)
def reference_page() -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("chalicelib.pages", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    doc = document()
    schemas = {
        name: {"fields": _fields(s), "type": _type_of(s), "description": s.get("description", "")}
        for name, s in doc["components"]["schemas"].items()
    }
    from chalicelib import links

    return env.get_template("api_reference.html").render(
        root=links.root(),
        info=doc["info"],
        tags=_operations(doc),
        schemes=doc["components"].get("securitySchemes", {}),
        schemas=schemas,
    )


@reference.route("/docs/api", methods=["GET"])
@handler
def api_reference():
    return Response(
        body=reference_page(),
        status_code=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "public, max-age=300",
            # Static and escaped, its one <style> inline: nothing else to load, run or frame it.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Strict-Transport-Security": HSTS,
        },
    )
