"""Local-only developer pages. app.py registers this blueprint only on the local stage
(it reads the mock AWS server, which exists only under `make run`).

    GET /dev/messages        emails and SMS the mock SES/SNS accepted, newest first
    GET /dev/messages.json   the same as JSON
"""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.dev_messages import MessagesUnavailable, fetch_sent, render_page, render_unavailable
from chalicelib.settings import get_settings

dev = Blueprint(__name__)

_HTML = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
_JSON = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def _sent() -> tuple[dict | None, str, str | None]:
    """(sent messages or None, endpoint, error message)."""
    endpoint = get_settings().aws_endpoint
    if not endpoint:
        return None, "", "REBOOK_AWS_ENDPOINT is not set, so there is no mock AWS server to read."
    try:
        return fetch_sent(endpoint), endpoint, None
    except MessagesUnavailable as exc:
        return None, endpoint, str(exc)


@dev.route("/dev/messages", methods=["GET"])
def messages_page() -> Response:
    sent, endpoint, error = _sent()
    if error:
        return Response(render_unavailable(error), status_code=503, headers=_HTML)
    return Response(render_page(sent, endpoint), status_code=200, headers=_HTML)


@dev.route("/dev/messages.json", methods=["GET"])
def messages_json() -> Response:
    sent, _, error = _sent()
    if error:
        return Response({"error": "mock_aws_unavailable", "message": error}, status_code=503,
                        headers=_JSON)
    return Response(sent, status_code=200, headers=_JSON)
