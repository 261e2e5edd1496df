"""Glue between Chalice and the core: JSON bodies in, errors out in one shape."""

from __future__ import annotations

import functools
import json

from chalice import Response

from chalicelib.errors import BadRequest, PayloadTooLarge, RebookError
from chalicelib.observability import logger

MAX_BODY_BYTES = 16 * 1024
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False), status_code=status, headers={**JSON_HEADERS, **(headers or {})}
    )


def error_response(err: RebookError) -> Response:
    return json_response(err.to_body(), err.status)


def raw_body(request) -> bytes:
    """The request's body as sent, refused whole (413) when over the limit: a JSON body
    and a form are bounded the same way, and neither is ever cut short."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body may be at most {MAX_BODY_BYTES} bytes.")
    return raw


def json_body(request):
    """The request's JSON body; {} when empty. Bad JSON is a 400, not a 500."""
    raw = raw_body(request)
    if not raw.strip():
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadRequest(f"The body is not valid JSON: {e}", code="invalid_json") from None


def handler(fn):
    """Run a view, turning RebookError into its 4xx and anything else into a logged 500."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except RebookError as err:
            return error_response(err)
        except Exception:
            logger().exception("unhandled error", extra={"view": fn.__name__})
            return json_response(
                {"error": {"code": "internal", "message": "Something went wrong on our side.", "fields": {}}}, 500
            )
        if isinstance(result, Response):
            return result
        status, body = result if isinstance(result, tuple) else (200, result)
        return json_response(body, status)

    return wrapper
