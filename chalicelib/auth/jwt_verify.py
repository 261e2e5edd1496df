"""Verify an owner's JWT: RS256 signature against the JWKS, issuer, audience, expiry.

One code path everywhere; only where the public keys come from differs. In AWS the
JWKS is the Cognito user pool's (REBOOK_AUTH_JWKS_URL =
`https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json`) and the
tokens are Cognito ID tokens; locally and in tests it is a JWKS file
(REBOOK_AUTH_JWKS_FILE) written by `rebook_cli owner-token` next to its private key.

Claims: `sub`, `custom:business_id`, `custom:role` (owner | staff), optional
`custom:staff_id`; Cognito ID tokens also carry `token_use: id`.
"""

from __future__ import annotations

import os
import threading

from chalicelib import clock
from chalicelib.auth.principal import ROLES, Principal
from chalicelib.settings import get_settings

LEEWAY_SECONDS = 30
_clients: dict = {}  # JWKS URL -> jwt.PyJWKClient
_lock = threading.Lock()


class InvalidToken(Exception):
    """The token is missing, malformed, expired, forged or for someone else."""


_files: dict = {}  # JWKS file -> (mtime, jwt.PyJWKSet)


def _signing_key(token: str, url: str | None, path: str | None):
    import jwt

    if url:
        with _lock:
            if url not in _clients:
                # Keys are cached per container; an unknown kid refetches (key rotation).
                _clients[url] = jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)
            client = _clients[url]
        return client.get_signing_key_from_jwt(token).key
    if not path:
        raise jwt.InvalidKeyError("no JWKS configured")
    mtime = os.stat(path).st_mtime
    with _lock:
        if path not in _files or _files[path][0] != mtime:
            with open(path, encoding="utf-8") as f:
                _files[path] = (mtime, jwt.PyJWKSet.from_json(f.read()))
        keyset = _files[path][1]
    kid = jwt.get_unverified_header(token).get("kid")
    for key in keyset.keys:
        if key.key_id == kid:
            return key.key
    raise jwt.InvalidKeyError("unknown key id")


def reset() -> None:
    with _lock:
        _clients.clear()
        _files.clear()


def _check_times(claims: dict) -> None:
    import jwt

    now = clock.now().timestamp()
    if float(claims["exp"]) < now - LEEWAY_SECONDS:
        raise jwt.ExpiredSignatureError("expired")
    if float(claims.get("nbf", claims["iat"])) > now + LEEWAY_SECONDS:
        raise jwt.ImmatureSignatureError("not yet valid")


def verify(token: str) -> Principal:
    # PyJWT pulls in `cryptography`: imported on the first owner request, not at cold
    # start of every public route and scheduled job.
    import jwt

    s = get_settings()
    if not ((s.auth_jwks_url or s.auth_jwks_file) and s.auth_issuer and s.auth_audience):
        # Refuse everything rather than accept anything.
        raise InvalidToken("owner authentication is not configured")
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    try:
        key = _signing_key(token, s.auth_jwks_url, s.auth_jwks_file)
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=s.auth_audience,
            issuer=s.auth_issuer,
            # Times are checked below against the one clock (chalicelib/clock.py).
            options={
                "require": ["exp", "iat", "sub", "iss", "aud"],
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
        _check_times(claims)
    except (jwt.PyJWTError, ValueError, TypeError, OSError) as e:
        raise InvalidToken(type(e).__name__) from None
    if claims.get("token_use", "id") != "id":
        raise InvalidToken("not an ID token")
    role, business_id = claims.get("custom:role"), claims.get("custom:business_id")
    if role not in ROLES or not business_id:
        raise InvalidToken("no business or role")
    return Principal(
        user_id=str(claims["sub"]),
        business_id=str(business_id),
        role=role,
        staff_id=claims.get("custom:staff_id") or None,
    )
