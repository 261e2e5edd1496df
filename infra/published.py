"""Published versions and a `live` alias for every function, and SnapStart on the ones a
person waits on (the API and its authorizer) where the runtime has it: applied to the SAM template `chalice package` writes, before the
CDK app includes it (infra/rebook_stack.py), as plain data (no CDK import).

SAM publishes a version on each deploy and points the alias at it (AutoPublishAlias);
the schedules and the outbox stream's event source mapping then invoke the alias. API
Gateway's integrations and the authorizer are in the API's OpenAPI body, which
Chalice writes against the functions' ARNs: `api_on_aliases` gives the body and the
permissions that point at the aliases instead, which the stack sets as property
overrides (the alias resources exist only after SAM's transform, so the template the
CDK includes cannot name them: CfnInclude checks every reference). SnapStart applies to published
versions only, and to Python from 3.12 on: the functions run on python3.12 whatever
Python synthesizes (infra/lambda_python.py); with an older runtime it would stay off.
SnapStart bills each function's snapshot cache by the GB-second for as long as a version is
active (a month of a 1 GB function: about $3.96): the scheduled jobs and the outbox stream,
whose cold start nobody waits on, do without it.
"""

from __future__ import annotations

from typing import Any

ALIAS = "live"
SNAPSTART_FROM = (3, 12)
# What the API's body and permissions call on: the API handler and the authorizer.
INVOKED_BY_API = ("APIHandler", "OwnerAuth")


def snapstart_applies(runtime: str) -> bool:
    """True for a Python runtime SnapStart supports ("python3.12" and later)."""
    if not runtime.startswith("python3."):
        return False
    return (3, int(runtime.removeprefix("python3."))) >= SNAPSTART_FROM


def alias_id(function: str) -> str:
    """The logical id SAM gives a function's AutoPublishAlias."""
    return f"{function}Alias{ALIAS}"


def _to_aliases(value: Any) -> Any:
    """Every `${Function.Arn}` of a function API Gateway invokes, as its alias."""
    if isinstance(value, str):
        for name in INVOKED_BY_API:
            value = value.replace(f"${{{name}.Arn}}", f"${{{alias_id(name)}}}")
        return value
    if isinstance(value, list):
        return [_to_aliases(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_aliases(v) for k, v in value.items()}
    return value


def publish_versions(template: dict[str, Any]) -> dict[str, Any]:
    """The SAM template with versions, aliases and (where it applies) SnapStart."""
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        props["AutoPublishAlias"] = ALIAS
        if name in INVOKED_BY_API and snapstart_applies(props.get("Runtime", "")):
            props["SnapStart"] = {"ApplyOn": "PublishedVersions"}
    return template


def api_on_aliases(template: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(resource, property, value) overrides that put API Gateway on the aliases: the
    API's body, and the permissions to invoke the API handler and the authorizer."""
    resources = template["Resources"]
    overrides: list[tuple[str, str, Any]] = []
    if "RestAPI" in resources:
        body = _to_aliases(resources["RestAPI"]["Properties"]["DefinitionBody"])
        overrides.append(("RestAPI", "DefinitionBody", body))
    for name in INVOKED_BY_API:
        if f"{name}InvokePermission" in resources:
            overrides.append((f"{name}InvokePermission", "FunctionName", {"Ref": alias_id(name)}))
    return overrides
