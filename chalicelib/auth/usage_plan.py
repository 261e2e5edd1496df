"""Per-key rate limits in AWS: API Gateway usage plans.

The REST API takes its API keys from the authorizer (`apiKeySource: AUTHORIZER`, set by
the stack: infra/api_edges.py), and every owner route requires one. The authorizer
names the key of each request (`usageIdentifierKey`): an integration's own gateway key,
made here when the owner makes the Rebook key and put in the stage's key usage plan
(its throttle and daily quota: infra/cdk.json), deleted when she revokes it; an owner
or staff member signed in: the owners' key of the stack (its own plan, the stage's
throttle). A request over its plan is answered 429 by API Gateway before any of our
code runs.

The gateway key's value is not a secret: clients never send it (the gateway takes the
authorizer's word, not an `x-api-key` header), so it is derived from the key's id.

Locally and in the tests no plan is configured (REBOOK_KEY_USAGE_PLAN unset): nothing
here is called, and the in-app per-minute limit (services/admin/api_keys.py) meters
each key, as it also does in AWS.
"""

from __future__ import annotations

import threading
from typing import Any

from chalicelib import aws
from chalicelib.settings import get_settings

VALUE_PREFIX = "rebook-key-"  # + the key id: 27 characters (API Gateway wants at least 20)
# Every gateway key made here carries its stage in this tag: the functions' role may make
# keys only with it and delete only keys that have it (infra/rebook_stack.py _key_permissions).
STAGE_TAG = "rebook:stage"

_lock = threading.Lock()
_plan_ids: dict[str, str] = {}


def enabled() -> bool:
    return get_settings().key_usage_plan is not None


def identifier(key_id: str) -> str:
    """The usage identifier (the gateway key's value) of an integration's key."""
    return VALUE_PREFIX + key_id


def _client() -> Any:
    return aws.client("apigateway", region=get_settings().region)


def _plan_id(name: str) -> str:
    """The usage plan's id by its name (the stack names it; its id cannot be handed to
    the functions without a dependency cycle): looked up once per container."""
    with _lock:
        found = _plan_ids.get(name)
    if found:
        return found
    for page in _client().get_paginator("get_usage_plans").paginate():
        for plan in page.get("items", []):
            if plan.get("name") == name:
                with _lock:
                    _plan_ids[name] = plan["id"]
                return str(plan["id"])
    raise LookupError(f"no usage plan named {name}")


def add_key(business_id: str, key_id: str) -> str:
    """Make the key's gateway key and put it in the plan; its gateway id."""
    settings = get_settings()
    assert settings.key_usage_plan is not None
    api = _client()
    made = api.create_api_key(
        name=f"rebook-{settings.stage}-{key_id}",
        description=f"Rebook API key {key_id} of business {business_id}",
        enabled=True,
        value=identifier(key_id),
        tags={STAGE_TAG: settings.stage},
    )
    try:
        api.create_usage_plan_key(usagePlanId=_plan_id(settings.key_usage_plan), keyId=made["id"], keyType="API_KEY")
    except Exception:
        remove_key(made["id"])
        raise
    return str(made["id"])


def remove_key(gateway_key_id: str) -> None:
    """Take the gateway key out of the plan and delete it; gone already is fine."""
    settings = get_settings()
    api = _client()
    if settings.key_usage_plan is not None:
        try:
            api.delete_usage_plan_key(usagePlanId=_plan_id(settings.key_usage_plan), keyId=gateway_key_id)
        except api.exceptions.NotFoundException:
            pass
    try:
        api.delete_api_key(apiKey=gateway_key_id)
    except api.exceptions.NotFoundException:
        pass
