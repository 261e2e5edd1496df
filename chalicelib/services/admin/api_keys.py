"""The owner's API keys for integrations: made (shown once), listed, revoked; and each
use of a key checked (scope, revocation, its per-minute limit) and audited."""

from __future__ import annotations

from chalicelib import clock
from chalicelib.auth import usage_plan
from chalicelib.auth.principal import Principal
from chalicelib.domain import api_keys as rules
from chalicelib.domain.api_keys import ApiKey, ApiKeyIn
from chalicelib.errors import Forbidden, NotFound, TooManyRequests, Unauthorized
from chalicelib.observability import logger
from chalicelib.services.admin.common import audited, audited_after_commit, parse, valid_id
from chalicelib.store import api_keys as store

MAX_KEYS = 20  # active keys per business


def _view(k: ApiKey) -> dict:
    return {
        "id": k.key_id,
        "name": k.name,
        "scopes": list(k.scopes),
        "created_at": k.created_at.isoformat(),
        "created_by": k.created_by,
        "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
        "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
    }


def _owner(p: Principal) -> None:
    p.require("settings")  # making keys is the owner's (and never a key's: the route is JWT-only)


def list_keys(p: Principal) -> dict:
    _owner(p)
    return {"keys": [_view(k) for k in store.of_business(p.business_id)]}


def create(p: Principal, body) -> dict:
    _owner(p)
    wanted = parse(ApiKeyIn, body, "API key")
    active = sum(1 for k in store.of_business(p.business_id) if k.active)
    if active >= MAX_KEYS:
        raise _too_many()
    key_id, secret_key, digest = rules.new_key()
    # In AWS its gateway key first (the usage plan meters it), undone if the key is not kept.
    gateway_key = usage_plan.add_key(p.business_id, key_id) if usage_plan.enabled() else None
    key = ApiKey(
        business_id=p.business_id,
        key_id=key_id,
        name=wanted.name,
        scopes=tuple(s for s in rules.SCOPES if s in wanted.scopes),
        created_at=clock.now(),
        created_by=p.user_id,
        secret_sha256=digest,
        gateway_key_id=gateway_key,
    )
    try:
        # Counted in its own transaction: two made at once cannot pass the cap together.
        store.add(key, MAX_KEYS, active)
    except Exception as e:
        if gateway_key:
            usage_plan.remove_key(gateway_key)
        if isinstance(e, store.TooManyKeys):
            raise _too_many() from None
        raise
    audited_after_commit(p, "api_key_create", None, {"key": key_id, "scopes": list(key.scopes)})
    # The only time the key is ever shown.
    return {**_view(key), "key": secret_key}


def _too_many() -> Forbidden:
    return Forbidden(f"At most {MAX_KEYS} active API keys; revoke one first.", code="too_many_keys")


def revoke(p: Principal, key_id: str) -> dict:
    _owner(p)
    key = store.revoke(p.business_id, valid_id(key_id, "API key"), clock.now())
    if key is None:
        raise NotFound("No such API key.")
    if key.gateway_key_id:
        # Revoked is revoked (the view refuses it on every use); the gateway key's
        # removal is tidiness, retried by revoking again if it failed.
        try:
            usage_plan.remove_key(key.gateway_key_id)
        except Exception:
            logger().exception("gateway key not removed", extra={"key": key.key_id})
    audited_after_commit(p, "api_key_revoke", None, {"key": key_id})
    return _view(key)


def authenticate(token: str) -> Principal | None:
    """The principal of an integration's key (for the authorizer), None if it is not a
    live key of ours."""
    found = sign_in(token)
    return found[0] if found else None


def sign_in(token: str) -> tuple[Principal, str | None] | None:
    """The key's principal and the usage identifier API Gateway meters it by (its own
    gateway key's; None where it has none: locally, or a key made before usage plans)."""
    parts = rules.split(token)
    if parts is None:
        return None
    key = store.get(parts[0])
    if key is None or not key.active or not rules.matches(key, parts[1]):
        return None
    principal = Principal(
        user_id=f"api_key:{key.key_id}",
        business_id=key.business_id,
        role="owner",
        key_id=key.key_id,
        scopes=key.scopes,
    )
    return principal, usage_plan.identifier(key.key_id) if key.gateway_key_id else None


def admit(p: Principal, scope: str | None, method: str, path: str) -> None:
    """A key's request: the route must take keys and the key have its scope; then the use
    is counted against the key's limit (refused if revoked since the authorizer cached
    it) and audited."""
    if p.key_id is None:
        return
    if scope is None:
        raise Forbidden("API keys cannot use this route; sign in as the owner.", code="not_for_api_keys")
    if scope not in p.scopes:
        raise Forbidden(f"This API key lacks the scope '{scope}'.", code="insufficient_scope")
    outcome = store.use(p.key_id, clock.now(), rules.REQUESTS_PER_MINUTE)
    if outcome == "revoked":
        raise Unauthorized("This API key has been revoked.", code="key_revoked")
    if outcome == "limited":
        raise TooManyRequests(
            f"At most {rules.REQUESTS_PER_MINUTE} requests a minute per API key.",
            code="rate_limited",
            retry_after=60 - clock.now().second,
        )
    audited(p, "api_key_use", None, {"key": p.key_id, "method": method, "route": path})
