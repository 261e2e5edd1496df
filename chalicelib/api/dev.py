"""Local-only developer pages. app.py registers this blueprint only on the local stage
(it reads the mock AWS server, which exists only under `make run`).

    GET /dev/messages        emails and SMS the mock SES/SNS accepted, newest first
    GET /dev/messages.json   the same as JSON
    POST /dev/sign-in        {email, password} of a local account -> {"token": ...}: the owner
                             dashboard's sign-in on the local stack (Cognito's in AWS)
"""

from __future__ import annotations

import hmac
import json
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib.api.dev_messages import MessagesUnavailable, fetch_sent, render_page, render_unavailable
from chalicelib.api.http import Headers, handler, json_body
from chalicelib.errors import Unauthorized, ValidationFailed
from chalicelib.settings import get_settings

dev = Blueprint(__name__)

_HTML: Headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
_JSON: Headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}


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
    if error or sent is None:
        return Response(render_unavailable(error or "no messages"), status_code=503, headers=_HTML)
    return Response(render_page(sent, endpoint), status_code=200, headers=_HTML)


@dev.route("/dev/messages.json", methods=["GET"])
def messages_json() -> Response:
    sent, _, error = _sent()
    if error:
        return Response({"error": "mock_aws_unavailable", "message": error}, status_code=503, headers=_JSON)
    return Response(sent, status_code=200, headers=_JSON)


def accounts_file() -> Path | None:
    """The local accounts `make run` keeps beside its signing key: <data dir>/owners.json
    (scripts/local_stack.py writes it; the key is <data dir>/auth/)."""
    jwks = get_settings().auth_jwks_file
    return Path(jwks).resolve().parent.parent / "owners.json" if jwks else None


def _accounts() -> list[dict]:
    path = accounts_file()
    try:
        return json.loads(path.read_text(encoding="utf-8"))["accounts"] if path else []
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@dev.route("/dev/sign-in", methods=["POST"], content_types=["application/json"])
@handler
def sign_in():
    """A local account's email and password -> an ID token signed by the local key, the
    same kind `rebook_cli owner-token` prints (chalicelib/auth/local_keys.py)."""
    from chalicelib.auth.local_keys import issue_token
    from chalicelib.store import businesses

    body = json_body(dev.current_request)
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("email"), str)
        or not isinstance(body.get("password"), str)
    ):
        raise ValidationFailed("Send your email and password.", fields={"email": "required", "password": "required"})
    email, password = body["email"].strip().lower(), body["password"]
    found = None
    for account in _accounts():  # every account is compared, so timing tells nothing
        if _same(email, str(account.get("email", "")).lower()) & _same(password, str(account.get("password", ""))):
            found = account
    s = get_settings()
    business = businesses.get_by_slug(found["business"]) if found else None
    if not found or not business or not s.auth_jwks_file:
        raise Unauthorized("Wrong email or password.", code="invalid_credentials")
    token = issue_token(
        Path(s.auth_jwks_file).parent,
        business.id,
        found["role"],
        staff_id=found.get("staff"),
        issuer=s.auth_issuer,
        audience=s.auth_audience,
    )
    return {"token": token, "role": found["role"]}
