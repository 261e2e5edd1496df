"""API keys of integrations (a salon's website, its accounting, an automation tool).

A key is `rbk_<key id>_<secret>`: the id finds its record, the secret is compared by its
SHA-256 (a random 32-byte secret needs no slow hash: there is nothing to guess). The
key is shown once, when made; only the hash is kept. Each key has scopes, and each
owner route says which scope it needs (chalicelib/api/admin.py) or that no key may call
it at all (settings, exports, erasure, the audit trail, the keys themselves).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.ids import new_id
from chalicelib.domain.plaintext import OneLine

READ = "read"
WRITE_BOOKINGS = "write:bookings"
WRITE_CLIENTS = "write:clients"
SCOPES = (READ, WRITE_BOOKINGS, WRITE_CLIENTS)
PREFIX = "rbk_"
REQUESTS_PER_MINUTE = 120  # per key, in every stage; in AWS its usage plan throttles per second and day too
_SHAPE = re.compile(r"^rbk_([0-9a-z]{16})_([A-Za-z0-9_-]{43})$")


class ApiKeyIn(BaseModel):
    """The owner names a new key and picks its scopes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: OneLine = Field(min_length=1, max_length=80)
    scopes: list[Literal["read", "write:bookings", "write:clients"]] = Field(min_length=1, max_length=3)


@dataclass(frozen=True)
class ApiKey:
    business_id: str
    key_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    created_by: str
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    secret_sha256: str = field(default="", repr=False)
    gateway_key_id: str | None = None  # its API Gateway key (usage plan) in AWS

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def new_key() -> tuple[str, str, str]:
    """(key id, the whole key to show once, the secret's hash to keep)."""
    key_id, secret = new_id(16), secrets.token_urlsafe(32)
    return key_id, f"{PREFIX}{key_id}_{secret}", digest(secret)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_key(token: str) -> bool:
    return token.startswith(PREFIX)


def split(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a key in the right shape, else None."""
    m = _SHAPE.match(token)
    return (m.group(1), m.group(2)) if m else None


def matches(key: ApiKey, secret: str) -> bool:
    return hmac.compare_digest(key.secret_sha256, digest(secret))


def minute_of(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M")
