"""Local-only developer pages. app.py registers this blueprint only on the local stage
(it reads the mock AWS server, which exists only under `make run`).

    GET /dev/messages        emails and SMS the mock SES/SNS accepted, newest first
    GET /dev/messages.json   the same as JSON
    POST /dev/sign-in        {email, password} of a local account -> {"token": ...}: the owner
                             dashboard's sign-in on the local stack (Cognito's in AWS)
    POST /dev/forgot-password {email, lang}: a six-digit code by email to a local account
                             (Cognito's ForgotPassword in AWS); the same answer for any address
    POST /dev/reset-password {email, code, password}: a new password with that code
                             (Cognito's ConfirmForgotPassword)
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import secrets
import tempfile
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from chalice import Blueprint, Response

from chalicelib import clock
from chalicelib.api.dev_messages import MessagesUnavailable, fetch_sent, render_page, render_unavailable
from chalicelib.api.http import Headers, handler, json_body
from chalicelib.domain.locales import LOCALES
from chalicelib.errors import BadRequest, TooManyRequests, Unauthorized, ValidationFailed
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


def _read(path: Path | None, key: str, empty: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))[key] if path else empty
    except (OSError, ValueError, KeyError, TypeError):
        return empty


def _accounts() -> list[dict]:
    return list(_read(accounts_file(), "accounts", []))


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


# --- a forgotten password, as Cognito's ForgotPassword and ConfirmForgotPassword do it ------
RESET_MINUTES = 60  # Cognito's codes are good for an hour too
RESET_TRIES = 5  # wrong codes before the code is spent and a new one must be asked for
# Codes one address may be sent in an hour (Cognito limits it too): with the tries, at most
# 25 guesses at a six-digit code an hour, and no flood of mail to her.
RESET_CODES_PER_HOUR = 5
RESETS_KEPT = 1000  # addresses with a code at once (asked for any address, known or not)
# The user pool's policy (infra/rebook_stack.py): a length, no mix of character kinds.
MIN_PASSWORD = 12


def _resets_file() -> Path | None:
    path = accounts_file()
    return path.with_name("password-resets.json") if path else None


def _write(path: Path, data: dict) -> None:
    """Whole or not at all, readable by its owner only (the passwords are in it)."""
    fd, part = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    with os.fdopen(fd, "w", encoding="utf-8") as f:  # mkstemp's file: 0600
        f.write(json.dumps(data, indent=2) + "\n")
    os.replace(part, path)


# The local server answers in threads: a code's tries and the accounts file are read,
# changed and written under one lock, so parallel guesses each spend a try.
_FILES = threading.Lock()


def _digest(email: str, code: str) -> str:
    return hashlib.sha256(f"{email}\n{code}".encode()).hexdigest()


def _still_good(reset: object) -> bool:
    try:
        return isinstance(reset, dict) and datetime.fromisoformat(reset["until"]) >= clock.now()
    except (KeyError, TypeError, ValueError):
        return False


def _email_of(body: object) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("email"), str) or not body["email"].strip():
        raise ValidationFailed("Send your email.", fields={"email": "required"})
    return body["email"].strip().lower()


@dev.route("/dev/forgot-password", methods=["POST"], content_types=["application/json"])
@handler
def forgot_password():
    """A code by email to the local account with that address, good for an hour; the
    answer is the same whether or not there is one (the user pool's
    prevent_user_existence_errors), so the form tells nobody who has an account."""
    from chalicelib.notify.channels import send_email
    from chalicelib.notify.mime import build_email
    from chalicelib.pages.i18n import catalogue

    body = json_body(dev.current_request)
    email = _email_of(body)
    lang = str(body["lang"]) if isinstance(body, dict) and body.get("lang") in LOCALES else "fi"
    account = next((a for a in _accounts() if str(a.get("email", "")).lower() == email), None)
    path = _resets_file()
    if not path:
        return {"sent": True}
    # An address with no account gets a code too, one nobody is sent: a wrong guess is
    # then "not valid" for any address, as Cognito answers (prevent_user_existence_errors).
    code = f"{secrets.randbelow(10**6):06d}"
    now = clock.now()
    until = now + timedelta(minutes=RESET_MINUTES)
    with _FILES:
        resets = {k: v for k, v in dict(_read(path, "resets", {})).items() if _still_good(v)}  # no pile-up
        asked = [at for at in (resets.get(email) or {}).get("asked", []) if at > (now - timedelta(hours=1)).isoformat()]
        if len(asked) >= RESET_CODES_PER_HOUR or (email not in resets and len(resets) >= RESETS_KEPT):
            raise TooManyRequests(
                "Too many codes asked for; try again in an hour.", code="too_many_codes", retry_after=3600
            )
        resets[email] = {
            "code": _digest(email, code),
            "until": until.isoformat(),
            "tries": RESET_TRIES,
            "asked": [*asked, now.isoformat()],  # kept while it is: a spent code's too
        }
        _write(path, {"resets": resets})
    if account:
        words = catalogue(lang)["dashboard"]
        text = words["reset_mail_text"].format(code=code, minutes=RESET_MINUTES)
        sender = get_settings().email_from
        raw = build_email(
            sender=sender,
            to=account["email"],
            subject=words["reset_mail_subject"],
            text=text + "\n",
            html="".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line),
        )
        send_email(raw, source=sender, to=account["email"])
    return {"sent": True}


@dev.route("/dev/reset-password", methods=["POST"], content_types=["application/json"])
@handler
def reset_password():
    """The emailed code and a new password: the account's password is the new one."""
    body = json_body(dev.current_request)
    email = _email_of(body)
    assert isinstance(body, dict)  # _email_of refused anything else
    code, password = body.get("code"), body.get("password")
    if not isinstance(code, str) or not code.strip():
        raise ValidationFailed("Send the code from the email.", fields={"code": "required"})
    if isinstance(password, str) and password != password.strip():  # as Cognito refuses it
        raise ValidationFailed(
            "The password cannot begin or end with a space.", code="password_spaces", fields={"password": "spaces"}
        )
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            f"The password must be at least {MIN_PASSWORD} characters.",
            code="password_rules",
            fields={"password": "too_short"},
        )
    path, accounts_path = _resets_file(), accounts_file()
    if not path or not accounts_path:
        raise BadRequest("That code has expired. Ask for a new one.", code="expired_code")
    with _FILES:
        resets = dict(_read(path, "resets", {}))
        wanted = resets.get(email)
        if not isinstance(wanted, dict) or not _still_good(wanted) or not wanted.get("code"):
            raise BadRequest("That code has expired. Ask for a new one.", code="expired_code")
        accounts = _accounts()
        mine = [a for a in accounts if str(a.get("email", "")).lower() == email]
        if not mine or not _same(_digest(email, code.strip()), str(wanted["code"])):
            wanted["tries"] = int(wanted["tries"]) - 1  # no account: no code matches hers
            if wanted["tries"] <= 0:
                wanted["code"] = None  # spent; the codes asked this hour still count
            _write(path, {"resets": resets})
            raise BadRequest("That code is not valid.", code="bad_code")
        for account in mine:
            account["password"] = password
        _write(accounts_path, {"accounts": accounts})
        del resets[email]
        _write(path, {"resets": resets})
    return {"reset": True}
