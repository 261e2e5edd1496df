"""Glue between Chalice and the core: JSON bodies in, errors out in one shape."""

from __future__ import annotations

import functools
import json
import re

from chalice import Response

from chalicelib.errors import BadRequest, PayloadTooLarge, RebookError
from chalicelib.observability import logger

MAX_BODY_BYTES = 16 * 1024
MAX_JSON_DEPTH = 16  # our deepest body nests 4 levels; a parser must never recurse on a stranger's say-so
# Chalice types headers as dict[str, str | list[str]] (invariant): annotate ours so.
Headers = dict[str, str | list[str]]
JSON_HEADERS: Headers = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}
# The HTML pages ask the browser for HTTPS only for a year (the deployed stages are HTTPS
# only; a browser ignores it over the local stack's plain HTTP).
HSTS = "max-age=31536000; includeSubDomains"


def json_response(body, status: int = 200, headers: Headers | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False), status_code=status, headers={**JSON_HEADERS, **(headers or {})}
    )


def error_response(err: RebookError) -> Response:
    """The error in the documented shape; a 429 or 503 says when to try again."""
    headers: Headers = {"Retry-After": str(err.retry_after)} if err.retry_after is not None else {}
    return json_response(err.to_body(), err.status, headers)


def raw_body(request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request's body as sent, refused whole (413) when over the limit: a JSON body
    and a form are bounded the same way, and neither is ever cut short. One route (the
    CSV import) allows a larger body."""
    raw = request.raw_body or b""
    if len(raw) > limit:
        size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
        raise PayloadTooLarge(f"The body may be at most {size}.")
    return raw


def _too_deep(text: str, limit: int) -> bool:
    """Does the JSON text nest arrays and objects deeper than `limit`? A linear scan that
    skips strings, so it never recurses; run only when the text has enough brackets."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def parse_json(raw: bytes, max_depth: int = MAX_JSON_DEPTH):
    """Every JSON body from outside goes through here: bounded in size (raw_body) and in
    depth, and anything that is not JSON is a 400, never a 500."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadRequest(f"The body is not valid JSON: {e}", code="invalid_json") from None
    if text.count("[") + text.count("{") > max_depth and _too_deep(text, max_depth):
        raise BadRequest(f"The body nests deeper than {max_depth} levels.", code="invalid_json")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise BadRequest(f"The body is not valid JSON: {e}", code="invalid_json") from None
    except ValueError:  # an integer of over 4 300 digits (CPython's limit): no one's number
        raise BadRequest("The body holds a number too long to be one.", code="invalid_json") from None


def json_body(request, limit: int = MAX_BODY_BYTES):
    """The request's JSON body; None when empty."""
    raw = raw_body(request, limit)
    if not raw.strip():
        return None
    return parse_json(raw)


def query_params(request) -> dict[str, str]:
    """The request's query parameters, each given once: a repeated one (`?period=2026-11&
    period=2026-12`) is a 400 naming it, not its last value taken unsaid."""
    params = request.query_params
    if not params:
        return {}
    repeated = sorted(k for k in params if len(params.getlist(k)) > 1)
    if repeated:
        raise BadRequest(
            f"Give each query parameter once: {', '.join(repeated)}.",
            code="repeated_parameter",
            fields=dict.fromkeys(repeated, "given more than once"),
        )
    return dict(params)


def in_error_shape(response: Response) -> Response:
    """Chalice answers some requests itself before any view runs (415 for another
    Content-Type, 405 for another method, its own 500): those get the documented
    `{"error": {"code", "message", "fields"}}` shape too. Used as the app's middleware."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or set(body) != {"Code", "Message"}:
        return response
    code = re.sub(r"(?<!^)(?=[A-Z])", "_", str(body["Code"])).lower().removesuffix("_error")
    if response.status_code >= 500:
        code, message = "internal", "Something went wrong on our side."
    else:
        message = str(body["Message"])
    headers: Headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
    return json_response({"error": {"code": code, "message": message, "fields": {}}}, response.status_code, headers)


def handler(fn):
    """Run a view, turning RebookError into its 4xx (or 429/503), a fault of the database
    into a 503 with Retry-After (chalicelib/store/faults.py), and anything else into a
    logged 500."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except RebookError as err:
            if err.status >= 500:
                logger().warning("unavailable", extra={"view": fn.__name__, "code": err.code})
            return error_response(err)
        except Exception as e:
            from chalicelib.store.faults import unavailable_for

            busy = unavailable_for(e)
            if busy is not None:
                logger().warning("database unavailable", extra={"view": fn.__name__, "error": type(e).__name__})
                return error_response(busy)
            logger().exception("unhandled error", extra={"view": fn.__name__})
            return json_response(
                {"error": {"code": "internal", "message": "Something went wrong on our side.", "fields": {}}}, 500
            )
        if isinstance(result, Response):
            return result
        status, body = result if isinstance(result, tuple) else (200, result)
        return json_response(body, status)

    return wrapper
