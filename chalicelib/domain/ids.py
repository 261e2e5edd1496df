"""Short random ids: lower-case alphanumerics, safe in URLs, keys and SMS links."""

import hashlib
import re
import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
# Random bytes below this map evenly onto the alphabet (7 x 36); the rest are skipped.
_EVEN = 256 - 256 % len(_ALPHABET)


# What any id of ours can look like (new_id's and id_for_key's, up to the longest in use):
# anything else names nothing, and is answered so before it reaches a key (DynamoDB
# refuses a key over 2 KB with an error, not an empty answer).
_ID = re.compile(r"[a-z0-9]{1,40}")


def could_be_id(value: object) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def new_id(length: int = 12) -> str:
    """Each character uniform over the alphabet, from the OS's CSPRNG: one read of random
    bytes per id (secrets.choice per character costs a read each, 4 ids per booking)."""
    out: list[str] = []
    while len(out) < length:
        out.extend(_ALPHABET[b % len(_ALPHABET)] for b in secrets.token_bytes(2 * length) if b < _EVEN)
    return "".join(out[:length])


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
