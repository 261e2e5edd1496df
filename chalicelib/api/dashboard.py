"""The owner dashboard: one HTML page (behind the owner sign-in) and its same-origin
script and stylesheet. Everything it shows comes from the owner API under
/api/v1/admin/ with the signed-in user's token; this blueprint serves only files and
tells the page how to sign in (docs/dashboard.md).

    GET /admin                      the page (fi/sv/en; the script picks and remembers)
    GET /admin/config.json          how to sign in: Cognito (AWS) or the local stack's /dev/sign-in
    GET /admin/strings/{lang}.json  the dashboard's words, from the catalogue the pages share
    GET /static/dashboard/{name}.js the page's ES modules (an allow-list: the files shipped)
    GET /static/dashboard.css       its stylesheet (the client pages' colours)
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib.api.http import HSTS, Headers
from chalicelib.domain.locales import negotiate
from chalicelib.pages.i18n import LOCALES, catalogue
from chalicelib.settings import get_settings

dashboard = Blueprint(__name__)

_STATIC = Path(__file__).resolve().parent.parent / "static"
_TEMPLATE = Path(__file__).resolve().parent.parent / "pages" / "templates" / "dashboard.html"
_MODULES_DIR = _STATIC / "dashboard"
# The allow-list of modules: the files shipped with the code, nothing a path can reach.
MODULES = frozenset(p.name for p in _MODULES_DIR.glob("*.js") if re.fullmatch(r"[a-z][a-z0-9-]*\.js", p.name))
_ISSUER_REGION = re.compile(r"^https://cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/")


def auth_config() -> dict:
    """How the page signs in. In AWS: Cognito's USER_PASSWORD_AUTH against the app
    client whose id is the tokens' audience; on the local stack: POST /dev/sign-in."""
    s = get_settings()
    if s.is_local:
        return {"auth": "local"}
    # The app client id is the audience the API already checks (REBOOK_AUTH_AUDIENCE);
    # the region is the user pool's (from the issuer URL), else the Lambda's own.
    client_id = s.auth_audience
    match = _ISSUER_REGION.match(s.auth_issuer or "")
    region = match.group(1) if match else s.region
    if not client_id:
        return {"auth": "none"}
    return {"auth": "cognito", "region": region, "client_id": client_id}


def _csp(config: dict) -> str:
    connect = "'self'"
    if config.get("auth") == "cognito":
        connect += f" https://cognito-idp.{config['region']}.amazonaws.com"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


@functools.lru_cache(maxsize=4)
def _static(name: str) -> tuple[str, str]:
    """(text, short content hash for cache busting)."""
    text = (_STATIC / name).read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode()).hexdigest()[:12]


@functools.lru_cache(maxsize=1)
def _template() -> str:
    return _TEMPLATE.read_text(encoding="utf-8")


def _preloads() -> str:
    # Every module fetched at once instead of import by import (no build step bundles them).
    return "\n".join(
        f'<link rel="modulepreload" href="static/dashboard/{name}">' for name in sorted(MODULES) if name != "main.js"
    )


def render_page(accept_language: str | None) -> str:
    """The page's HTML: no data in it, only the language to start with (the script may
    switch to the one the user chose before) and the asset versions."""
    return (
        _template()
        .replace("{{ lang }}", negotiate(None, accept_language, None))
        .replace("{{ module_preloads }}", _preloads())
        .replace("{{ css_version }}", _static("dashboard.css")[1])
    )


@dashboard.route("/admin", methods=["GET"])
def page():
    config = auth_config()
    headers: Headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "Content-Security-Policy": _csp(config),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Strict-Transport-Security": HSTS,
    }
    return Response(
        body=render_page(dashboard.current_request.headers.get("accept-language")), status_code=200, headers=headers
    )


@dashboard.route("/admin/config.json", methods=["GET"])
def config_json():
    return Response(
        body=json.dumps(auth_config()),
        status_code=200,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
    )


def _asset(name: str, content_type: str) -> Response:
    return Response(
        body=_static(name)[0],
        status_code=200,
        headers={
            "Content-Type": content_type,
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _not_found(what: str) -> Response:
    return Response(
        body=json.dumps({"error": {"code": "not_found", "message": f"No such {what}.", "fields": {}}}),
        status_code=404,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
    )


def _revalidated(body: str, content_type: str) -> Response:
    """A file whose URL does not change with its content (an ES module is imported by its
    name): the browser keeps it but asks each time (ETag), so a deploy is seen at once."""
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
    headers: Headers = {"Cache-Control": "no-cache", "ETag": etag, "X-Content-Type-Options": "nosniff"}
    asked = dashboard.current_request.headers.get("if-none-match") or ""
    if etag in [t.strip() for t in asked.split(",")]:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=body, status_code=200, headers={**headers, "Content-Type": content_type})


@functools.lru_cache(maxsize=64)
def _module(name: str) -> str:
    return (_MODULES_DIR / name).read_text(encoding="utf-8")


@dashboard.route("/static/dashboard/{name}", methods=["GET"])
def module(name):
    if name not in MODULES:
        return _not_found("file")
    return _revalidated(_module(name), "text/javascript; charset=utf-8")


@functools.lru_cache(maxsize=4)
def _strings(locale: str) -> str:
    words = catalogue(locale)
    return json.dumps({"locale": locale, "dashboard": words["dashboard"], "kpi": words["kpi"]}, ensure_ascii=False)


@dashboard.route("/admin/strings/{name}", methods=["GET"])
def strings(name):
    locale = name.removesuffix(".json")
    if not name.endswith(".json") or locale not in LOCALES:
        return _not_found("language")
    return _revalidated(_strings(locale), "application/json; charset=utf-8")


@dashboard.route("/static/dashboard.css", methods=["GET"])
def stylesheet():
    return _asset("dashboard.css", "text/css; charset=utf-8")
