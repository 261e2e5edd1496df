"""What API Gateway itself answers and records, as plain data (no CDK import): the stack
(infra/rebook_stack.py) puts it on the API, and the contract tests answer the same way
when they play API Gateway in front of the app (tests/contract/gateway.py)."""

from __future__ import annotations

import json

# What API Gateway answers itself, before or instead of the app (no route, no token, a
# refused token, throttling, the WAF, a body over its limit, a timeout), in the same
# `{"error": {"code", "message", "fields"}}` shape as every answer of the app: type ->
# (status, code, message, Retry-After seconds). A status of None keeps API Gateway's own
# (DEFAULT_4XX / DEFAULT_5XX cover the types not listed, with their own statuses).
GATEWAY_ERRORS: dict[str, tuple[int | None, str, str, int | None]] = {
    "UNAUTHORIZED": (401, "unauthorized", "Sign in as the business owner or staff.", None),
    "ACCESS_DENIED": (403, "forbidden", "This sign-in is not valid for this request.", None),
    "EXPIRED_TOKEN": (401, "unauthorized", "The sign-in has expired; sign in again.", None),
    "INVALID_SIGNATURE": (403, "forbidden", "This request is not signed correctly.", None),
    "INVALID_API_KEY": (403, "forbidden", "This API key is not valid.", None),
    # A REST API answers a path or method it does not have with this (403 by default).
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "There is no such address in this API.", None),
    "RESOURCE_NOT_FOUND": (404, "not_found", "There is no such address in this API.", None),
    "THROTTLED": (429, "throttled", "Too many requests; please try again in a moment.", 1),
    "QUOTA_EXCEEDED": (429, "quota_exceeded", "This API key has used up its quota for now.", 60),
    # The WAF's only rule is the per-IP rate rule (prod): a block is a rate limit.
    "WAF_FILTERED": (429, "throttled", "Too many requests from this address; please try again later.", 60),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", "The request is too large.", None),
    "UNSUPPORTED_MEDIA_TYPE": (415, "unsupported_media_type", "This Content-Type is not accepted here.", None),
    "BAD_REQUEST_BODY": (400, "bad_request", "The request body is not valid.", None),
    "BAD_REQUEST_PARAMETERS": (400, "bad_request", "The request's parameters are not valid.", None),
    "INTEGRATION_TIMEOUT": (504, "timeout", "That took too long on our side; please try again.", None),
    "INTEGRATION_FAILURE": (502, "internal", "Something went wrong on our side.", None),
    "AUTHORIZER_FAILURE": (500, "internal", "Something went wrong on our side.", None),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, "internal", "Something went wrong on our side.", None),
    "API_CONFIGURATION_ERROR": (500, "internal", "Something went wrong on our side.", None),
    "DEFAULT_4XX": (None, "bad_request", "The request was not accepted.", None),
    "DEFAULT_5XX": (None, "internal", "Something went wrong on our side.", None),
}
# Headers on every gateway error: the public API is open CORS (chalicelib/api/public.py),
# and a browser must be able to read its errors too; errors are never cached.
GATEWAY_ERROR_HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}
# One JSON line per request in the access log: who (source IP; the owner's user id when
# signed in), what (method, route template, the path as sent), the outcome (status, the
# gateway's own error type, e.g. THROTTLED or UNAUTHORIZED) and how long it took. No
# bodies, no query strings, no headers (a user agent is the caller's free text: it
# could forge fields of the line), so no personal data. The path
# holds a link's token when the route has one (that is how "who opened this link" is
# answered, docs/deploy.md): the log group is readable by operators only.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "time": "$context.requestTimeEpoch",
    "ip": "$context.identity.sourceIp",
    "method": "$context.httpMethod",
    "route": "$context.resourcePath",
    "path": "$context.path",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "errorType": "$context.error.responseType",
    "principal": "$context.authorizer.principalId",
    "wafStatus": "$context.waf.status",
}
# Numbers API Gateway always knows stay numbers in the JSON line (Logs Insights compares
# them as such); the others are "-" when there is no value (no integration ran, say), so
# they stay strings to keep the line valid JSON.
ACCESS_LOG_NUMBERS = {"time", "status", "latencyMs"}


def access_log_format() -> str:
    fields = [f'"{k}":{v}' if k in ACCESS_LOG_NUMBERS else f'"{k}":"{v}"' for k, v in ACCESS_LOG_FORMAT.items()]
    return "{" + ",".join(fields) + "}"


def gateway_responses() -> dict[str, dict]:
    """The `GatewayResponses` of the API (SAM's property): each a JSON body in our shape,
    the request id added so that a client's report finds its access log line."""
    responses = {}
    for kind, (status, code, message, retry_after) in GATEWAY_ERRORS.items():
        body = json.dumps(
            {"error": {"code": code, "message": message, "fields": {}, "request_id": "$context.requestId"}}
        )
        headers = {k: f"'{v}'" for k, v in GATEWAY_ERROR_HEADERS.items()}
        if retry_after:
            headers["Retry-After"] = f"'{retry_after}'"
        response: dict = {"ResponseTemplates": {"application/json": body}, "ResponseParameters": {"Headers": headers}}
        if status:
            response["StatusCode"] = str(status)
        responses[kind] = response
    return responses


# --- per-key rate limits (API Gateway usage plans) ----------------------------------------
AUTHORIZER = "owner_auth"  # chalicelib/api/admin.py's authorizer, as Chalice names it in the body
API_KEY_SCHEME = {"type": "apiKey", "name": "x-api-key", "in": "header"}


def keys_from_authorizer(body: dict) -> dict:
    """The API's OpenAPI body with every route behind the owner authorizer requiring an API
    key, and the key taken from the authorizer's answer (`usageIdentifierKey`), never from
    a header: each request is metered on the usage plan of the key the authorizer names
    (chalicelib/auth/usage_plan.py)."""
    out = {**body, "x-amazon-apigateway-api-key-source": "AUTHORIZER"}
    out["securityDefinitions"] = {**body.get("securityDefinitions", {}), "api_key": API_KEY_SCHEME}
    paths: dict[str, dict] = {}
    for path, ops in body.get("paths", {}).items():
        paths[path] = {}
        for method, op in ops.items():
            security = op.get("security", []) if isinstance(op, dict) else []
            metered = any(AUTHORIZER in s for s in security) and not any("api_key" in s for s in security)
            paths[path][method] = {**op, "security": [*security, {"api_key": []}]} if metered else op
    out["paths"] = paths
    return out
