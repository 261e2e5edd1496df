"""The app behind a stand-in for API Gateway, as a WSGI application, so that tools that
speak WSGI (Schemathesis) can call it in process: Chalice's own local gateway routes the
request and runs the app (the same as Chalice's test client), and what API Gateway would
answer itself (no such route, a refused sign-in) is answered with the Gateway Responses
the CDK app deploys (infra/api_edges.py), not with Chalice's local imitation of API
Gateway's defaults."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, unquote

from infra.api_edges import GATEWAY_ERROR_HEADERS, GATEWAY_ERRORS

MAX_BODY = 10 * 1024 * 1024  # API Gateway's own limit on a request (REQUEST_TOO_LARGE)


def gateway_error(kind: str, request_id: str = "local") -> tuple[int, dict[str, str], bytes]:
    status, code, message, retry_after = GATEWAY_ERRORS[kind]
    body = {"error": {"code": code, "message": message, "fields": {}, "request_id": request_id}}
    headers = {"Content-Type": "application/json", **GATEWAY_ERROR_HEADERS}
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return status or 400, headers, json.dumps(body).encode()


def _route_path(environ: dict[str, Any]) -> str:
    """The path for Chalice's router: API Gateway matches a route on the path as sent and
    hands the app each path parameter decoded. Chalice's local router splits the path on
    "/" and cuts it at "?" and "#" whatever their encoding, and urllib drops a tab or a
    line break from it (a client id "%0D" would leave "/clients/" and match the list's
    route), so each segment is decoded but for those (and "%"), which stay encoded, as in
    the segment sent."""
    raw = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))).split("?")[0]
    segments = []
    for segment in raw.split("/"):
        text = unquote(segment, errors="replace")
        for ch in "%/?#\t\r\n":
            text = text.replace(ch, quote(ch, safe=""))
        segments.append(text)
    return "/".join(segments)


class ChaliceWSGI:
    """A WSGI application around a Chalice app's local gateway (chalice.local). The app
    comes from `load` at the first request: importing it reads the settings, which the
    tests' fixtures set first."""

    def __init__(self, load: Callable[[], Any], stage: str = "dev") -> None:
        self._load, self._stage = load, stage
        self._gateway: Any = None

    @property
    def gateway(self) -> Any:
        if self._gateway is None:
            from chalice.config import Config
            from chalice.local import LocalGateway

            self._gateway = LocalGateway(self._load(), Config(chalice_stage=self._stage))
        return self._gateway

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        status, headers, body = self.handle(environ)
        reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        start_response(f"{status} {reason}", list(headers.items()))
        return [body]

    def handle(self, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        from chalice.local import LocalGatewayException

        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY:
            return gateway_error("REQUEST_TOO_LARGE")
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").title()] = environ[key]
        path = _route_path(environ)
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        try:
            response = self.gateway.handle_request(
                method=environ["REQUEST_METHOD"].upper(), path=path, headers=headers, body=body
            )
        except LocalGatewayException as e:
            # No route (API Gateway: MISSING_AUTHENTICATION_TOKEN) or the authorizer said no.
            kind = {401: "UNAUTHORIZED", 403: "MISSING_AUTHENTICATION_TOKEN"}.get(e.CODE, "DEFAULT_4XX")
            if e.CODE == 403 and b"Missing Authentication Token" not in (e.body or b""):
                kind = "ACCESS_DENIED"
            return gateway_error(kind)
        out = {k: v for k, v in response["headers"].items() if isinstance(v, str)}
        raw = response.get("body") or ""
        if response.get("isBase64Encoded"):
            data = base64.b64decode(raw)
        else:
            data = raw if isinstance(raw, bytes) else raw.encode()
        return int(response["statusCode"]), out, data
