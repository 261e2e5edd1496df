"""Signed, purpose-bound, expiring link tokens (HMAC-SHA256).

Compact on purpose: manage links travel in 160-character SMS. A token reads
`<purpose>.<business>.<subject>.<expiry base36>.<signature>`; the signature is
the first 128 bits of HMAC-SHA256 over everything before it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

PURPOSES = {
    "manage": "m",
    "feedback": "f",
    "unsubscribe": "u",
    "rebook": "r",
    "referral": "x",
    "calendar": "c",
    "card": "k",
    "hold": "h",
    "waitlist": "w",  # see or leave a waitlist entry
    "offer": "o",  # a waitlist offer: book it in one tap, or leave the list
}
_CODES = {v: k for k, v in PURPOSES.items()}
_PART = re.compile(r"^[a-z0-9-]{1,64}$")
# Expiry in base36 seconds: up to 8 digits (year 2059 is "zzzzzz"-ish; 8 digits reach far
# past any link's life); anything longer or later than this bound is malformed, never an
# overflow reading it.
_EXPIRY = re.compile(r"^[0-9a-z]{1,8}$")
_LATEST_EXPIRY = int(datetime(2200, 1, 1, tzinfo=UTC).timestamp())


class TokenError(ValueError):
    """Raised for forged, malformed, expired or other-purpose tokens."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # 'malformed' | 'bad_signature' | 'expired' | 'wrong_purpose'


@dataclass(frozen=True)
class LinkClaims:
    purpose: str
    business_id: str
    subject: str  # appointment id, client id, ...
    expires: datetime


def is_id_part(s: str) -> bool:
    """Whether `s` may be a business id or subject in a token."""
    return bool(_PART.match(s))


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def _sign(secret: str, payload: str) -> str:
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def make_token(secret: str, purpose: str, business_id: str, subject: str, expires: datetime) -> str:
    if not _PART.match(business_id) or not _PART.match(subject):
        raise ValueError("ids in tokens must be lower-case alphanumerics")
    payload = f"{PURPOSES[purpose]}.{business_id}.{subject}.{_b36(int(expires.timestamp()))}"
    return f"{payload}.{_sign(secret, payload)}"


def read_token(secret: str, token: str, purpose: str, now: datetime) -> LinkClaims:
    """Verify and decode; the purpose must match the one the caller serves."""
    if not isinstance(token, str) or len(token) > 200 or not token.isascii():
        raise TokenError("malformed")
    parts = token.split(".")
    if len(parts) != 5:
        raise TokenError("malformed")
    code, business_id, subject, exp36, sig = parts
    payload = ".".join(parts[:4])
    if not hmac.compare_digest(_sign(secret, payload), sig):
        raise TokenError("bad_signature")
    if _CODES.get(code) != purpose:
        raise TokenError("wrong_purpose")
    seconds = int(exp36, 36) if _EXPIRY.match(exp36) else None
    if seconds is None or seconds > _LATEST_EXPIRY:
        raise TokenError("malformed")
    expires = datetime.fromtimestamp(seconds, tz=UTC)
    if now >= expires:
        raise TokenError("expired")
    return LinkClaims(purpose, business_id, subject, expires)
