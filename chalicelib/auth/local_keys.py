"""The local signing key: `make run` and the CLI issue owner tokens with it, the app
verifies them through the same JWKS code path as Cognito's in AWS. Never deployed."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

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
    pem, jwks = ensure_key(directory)
    kid = json.loads(jwks.read_text())["keys"][0]["kid"]
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
    return jwt.encode(claims, pem.read_bytes(), algorithm="RS256", headers={"kid": kid})
