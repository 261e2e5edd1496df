"""The local signing key: `make run` and the CLI issue owner tokens with it, the app
verifies them through the same JWKS code path as Cognito's in AWS. Never deployed."""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib import clock

LOCAL_ISSUER = "rebook-local"
LOCAL_AUDIENCE = "rebook-local"


def ensure_key(directory: Path) -> tuple[Path, Path]:
    """(private key PEM, public JWKS) under `directory`, created on first use."""
    directory.mkdir(parents=True, exist_ok=True)
    pem, jwks = directory / "owner-signing-key.pem", directory / "jwks.json"
    if not pem.exists() or not jwks.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        pem.chmod(0o600)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        public.update({"kid": uuid.uuid4().hex[:16], "use": "sig", "alg": "RS256"})
        jwks.write_text(json.dumps({"keys": [public]}))
    return pem, jwks


@lru_cache(maxsize=8)
def _signing_key(pem: Path, modified_ns: int) -> tuple[Any, str]:
    """The private key and its kid, loaded once per key file (loading an RSA key checks
    it, tens of milliseconds: a CLI or test issuing many tokens paid it every time)."""
    kid = json.loads((pem.parent / "jwks.json").read_text())["keys"][0]["kid"]
    return serialization.load_pem_private_key(pem.read_bytes(), password=None), kid


def issue_token(
    directory: Path,
    business_id: str,
    role: str = "owner",
    *,
    user: str | None = None,
    staff_id: str | None = None,
    hours: float = 12,
    now: float | None = None,
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    pem, _ = ensure_key(directory)
    key, kid = _signing_key(pem, pem.stat().st_mtime_ns)
    now = int(now if now is not None else clock.now().timestamp())
    claims = {
        "sub": user or f"local-{role}-{business_id}",
        "iss": issuer or LOCAL_ISSUER,
        "aud": audience or LOCAL_AUDIENCE,
        "iat": now,
        "exp": now + int(hours * 3600),
        "token_use": "id",
        "custom:business_id": business_id,
        "custom:role": role,
    }
    if staff_id:
        claims["custom:staff_id"] = staff_id
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
