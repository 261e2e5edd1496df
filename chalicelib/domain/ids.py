"""Short random ids: lower-case alphanumerics, safe in URLs, keys and SMS links."""

import hashlib
import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_id(length: int = 12) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def id_for_key(scope: str, key: str, length: int = 12) -> str:
    """The same id every time for a caller's key within a scope (a booking's
    Idempotency-Key within its business): what two requests with that key both write,
    so that only one of them can. Same alphabet and length as new_id."""
    n = int.from_bytes(hashlib.sha256(f"{scope}|{key}".encode()).digest(), "big")
    out = []
    for _ in range(length):
        n, r = divmod(n, len(_ALPHABET))
        out.append(_ALPHABET[r])
    return "".join(out)
