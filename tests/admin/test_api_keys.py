"""API keys for integrations: the owner makes one (shown once, kept hashed), names it and
picks its scopes; the key then calls the owner API next to the owner's token, only where
its scopes allow, each use audited and counted against its per-minute limit; revoked,
it stops at once.

The clock is frozen at Mon 23 Nov 2026 10:00 Helsinki.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.admin.helpers import call

ADMIN = "/api/v1/admin"


def make_key(desk, name="Website", scopes=("read",)):
    status, body = desk.post("/api-keys", {"name": name, "scopes": list(scopes)})
    assert status == 201, body
    return body


def with_key(client, method, path, key, body=None):
    return call(client, method, ADMIN + path, key, body)


def test_a_key_is_shown_once_and_only_its_hash_is_kept(client, desk):
    from chalicelib.domain.api_keys import split
    from chalicelib.store import api_keys

    made = make_key(desk, "Accounting", ["read", "write:clients"])
    assert made["key"].startswith("rbk_") and made["scopes"] == ["read", "write:clients"]
    stored = api_keys.get(made["id"])
    # The key's own parser (domain/api_keys.split): the secret may hold "_" itself.
    parts = split(made["key"])
    assert parts is not None and parts[0] == made["id"]
    secret = parts[1]
    assert stored is not None and secret not in repr(stored)
    assert secret not in stored.secret_sha256
    status, listed = desk.get("/api-keys")
    assert status == 200
    assert [(k["id"], k["name"], k["last_used_at"]) for k in listed["keys"]] == [(made["id"], "Accounting", None)]
    assert "key" not in listed["keys"][0] and "rbk_" not in str(listed)


def test_a_key_reads_the_owner_api_and_its_use_is_stamped_and_audited(client, desk, frozen_now):
    key = make_key(desk)["key"]
    frozen_now["now"] += timedelta(minutes=5)
    status, me = with_key(client, "GET", "/me", key)
    assert status == 200, me
    assert me["business"]["slug"] == "demo"
    status, clients = with_key(client, "GET", "/clients", key)
    assert status == 200, clients
    _, listed = desk.get("/api-keys")
    assert listed["keys"][0]["last_used_at"] == frozen_now["now"].isoformat()
    _, trail = desk.get("/audit")
    uses = [e for e in trail["entries"] if e["action"] == "api_key_use"]
    assert {u["detail"]["route"] for u in uses} == {ADMIN + "/me", ADMIN + "/clients"}
    assert all(u["actor"].startswith("api_key:") for u in uses)


def test_scopes_bound_what_a_key_may_do(client, desk, booked):
    reader = make_key(desk, "Reader", ["read"])["key"]
    writer = make_key(desk, "Clients", ["write:clients"])["key"]
    client_id = booked["client"]
    status, body = with_key(client, "PATCH", f"/clients/{client_id}", reader, {"tags": ["vip"]})
    assert (status, body["error"]["code"]) == (403, "insufficient_scope")
    status, body = with_key(client, "PATCH", f"/clients/{client_id}", writer, {"tags": ["vip"]})
    assert status == 200, body
    status, body = with_key(client, "GET", f"/clients/{client_id}", writer)
    assert (status, body["error"]["code"]) == (403, "insufficient_scope")
    # A message's preview is the dashboard's sheet: for neither key.
    for key in (reader, writer):
        status, body = with_key(client, "POST", f"/clients/{client_id}/messages/preview", key, {"text": "Hei"})
        assert (status, body["error"]["code"]) == (403, "not_for_api_keys")
    # Settings, exports, erasure and the keys themselves are the owner's sign-in only.
    for method, path in (("GET", "/export/clients.csv"), ("DELETE", f"/clients/{client_id}"), ("GET", "/api-keys")):
        status, body = with_key(client, method, path, reader)
        assert (status, body["error"]["code"]) == (403, "not_for_api_keys"), path


def test_a_revoked_or_forged_key_is_refused(client, desk):
    made = make_key(desk)
    assert with_key(client, "GET", "/me", made["key"])[0] == 200
    status, body = desk.delete(f"/api-keys/{made['id']}")
    assert status == 200 and body["revoked_at"], body
    assert with_key(client, "GET", "/me", made["key"])[0] in (401, 403)
    forged = made["key"][:-4] + "AAAA"
    assert with_key(client, "GET", "/me", forged)[0] in (401, 403)
    assert desk.delete("/api-keys/nosuchkey0000000")[0] == 404


def test_a_revoked_key_still_cached_by_the_gateway_is_refused_by_the_view(client, desk):
    """API Gateway caches the authorizer's answer per token for 5 minutes: the view
    checks the key again on each use."""
    from chalicelib import clock
    from chalicelib.auth.principal import Principal
    from chalicelib.errors import Unauthorized
    from chalicelib.services.admin import api_keys
    from chalicelib.store import api_keys as store

    made = make_key(desk)
    principal = api_keys.authenticate(made["key"])
    assert principal is not None and principal.scopes == ("read",)
    store.revoke(principal.business_id, made["id"], clock.now())
    again = Principal.from_context(principal.as_context())
    assert again == principal
    try:
        api_keys.admit(again, "read", "GET", "/api/v1/admin/me")
    except Unauthorized as e:
        assert e.code == "key_revoked"
    else:
        raise AssertionError("a revoked key was let through")


def test_a_revoked_key_gets_the_answers_the_api_guide_names(client, desk):
    """Deployed, once API Gateway's cached sign-in ran out, its authorizer refuses a
    revoked key itself (ACCESS_DENIED: 403 `forbidden` in the error shape, played here by
    the contract tests' stand-in with the stack's gateway responses); while it is cached,
    the view answers 401 `key_revoked` (above). docs/api.md says both."""
    import io
    import json
    from pathlib import Path

    from infra.api_edges import GATEWAY_ERRORS
    from tests.contract.gateway import ChaliceWSGI

    made = make_key(desk)
    assert desk.delete(f"/api-keys/{made['id']}")[0] == 200

    def app():
        from app import app as chalice_app

        return chalice_app

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": ADMIN + "/me",
        "HTTP_AUTHORIZATION": f"Bearer {made['key']}",
        "wsgi.input": io.BytesIO(b""),
    }
    status, _, body = ChaliceWSGI(app).handle(environ)
    denied_status, denied_code = GATEWAY_ERRORS["ACCESS_DENIED"][:2]
    assert (status, json.loads(body)["error"]["code"]) == (denied_status, denied_code) == (403, "forbidden")
    guide = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    revoked = next(line for line in guide.split("\n- ") if line.startswith("**Revoked**"))
    assert "**401** `key_revoked`" in revoked and f"**{denied_status}** `{denied_code}`" in revoked, revoked


def test_each_key_is_limited_per_minute(client, desk, frozen_now, monkeypatch):
    from chalicelib.domain import api_keys

    monkeypatch.setattr(api_keys, "REQUESTS_PER_MINUTE", 3)
    key = make_key(desk)["key"]
    other = make_key(desk, "Other")["key"]
    assert [with_key(client, "GET", "/me", key)[0] for _ in range(3)] == [200, 200, 200]
    status, body = with_key(client, "GET", "/me", key)
    assert (status, body["error"]["code"]) == (429, "rate_limited")
    assert with_key(client, "GET", "/me", other)[0] == 200  # per key, not per business
    frozen_now["now"] += timedelta(minutes=1)
    assert with_key(client, "GET", "/me", key)[0] == 200


def test_only_the_owner_makes_keys_and_bad_requests_say_why(client, desk, staff_desk):
    assert staff_desk.post("/api-keys", {"name": "x", "scopes": ["read"]})[0] == 403
    status, body = desk.post("/api-keys", {"name": "", "scopes": ["admin"]})
    assert status == 422 and {"name", "scopes.0"} <= set(body["error"]["fields"]), body


def test_a_key_of_one_business_sees_nothing_of_another(client, desk, other, booked):
    from tests.admin.helpers import Desk

    key = make_key(Desk(client, other.id))["key"]
    status, me = with_key(client, "GET", "/me", key)
    assert me["business"]["slug"] == "other-salon"
    assert with_key(client, "GET", f"/clients/{booked['client']}", key)[0] == 404


def _authorize(token: str) -> dict:
    """The authorizer's answer to API Gateway for `Authorization: Bearer <token>`."""
    from chalice.app import AuthRequest

    from chalicelib.api.admin import owner_auth

    arn = "arn:aws:execute-api:eu-north-1:123456789012:abc123/api/GET/api/v1/admin/me"
    answer = owner_auth.func(AuthRequest("TOKEN", f"Bearer {token}", arn))
    return answer.to_dict(AuthRequest("TOKEN", f"Bearer {token}", arn))


@pytest.fixture
def metered(env, monkeypatch):
    """The stage's usage plan and owners' key named, as the stack sets them (before the
    Chalice client sets its stage's environment)."""
    from chalicelib.auth import usage_plan
    from chalicelib.settings import reset_settings

    monkeypatch.setenv("REBOOK_KEY_USAGE_PLAN", "rebook-test-api-keys")
    monkeypatch.setenv("REBOOK_OWNER_USAGE_KEY", "rebook-test-signed-in-owners")
    monkeypatch.setattr(usage_plan, "_plan_ids", {})
    reset_settings()


def test_in_aws_each_key_is_metered_by_its_own_gateway_key_in_the_usage_plan(metered, client, desk):
    """API Gateway usage plans (moto's apigateway): a new key gets a gateway key in the
    stage's plan, the authorizer names it as the request's usage identifier (a signed-in
    owner: the owners' shared key), and revoking it deletes the gateway key."""
    from chalicelib import aws
    from chalicelib.settings import get_settings
    from tests.conftest import owner_token

    api = aws.client("apigateway", region=get_settings().region)
    api.create_usage_plan(name="rebook-other-api-keys")  # another stage's
    plan = api.create_usage_plan(name="rebook-test-api-keys", throttle={"rateLimit": 10.0, "burstLimit": 20})
    made = make_key(desk, "Accounting")
    [member] = api.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
    assert member["value"] == f"rebook-key-{made['id']}" and member["type"] == "API_KEY"
    # Tagged with its stage: the stage's role may delete only keys so tagged (infra/rebook_stack.py).
    assert api.get_api_key(apiKey=member["id"])["tags"] == {"rebook:stage": get_settings().stage}
    answer = _authorize(made["key"])
    assert answer["usageIdentifierKey"] == member["value"] and answer["context"]["key_id"] == made["id"]
    assert _authorize(owner_token(desk.business_id, "owner"))["usageIdentifierKey"] == "rebook-test-signed-in-owners"
    assert "usageIdentifierKey" not in _authorize("rbk_" + "x" * 16 + "_" + "y" * 43)  # refused: nothing to meter
    # Revoked: its gateway key is gone (and the key refused by the authorizer and the view).
    status, _ = desk.delete(f"/api-keys/{made['id']}")
    assert status == 200
    assert api.get_usage_plan_keys(usagePlanId=plan["id"])["items"] == []
    assert [k["id"] for k in api.get_api_keys()["items"]] == []
    assert _authorize(made["key"])["policyDocument"]["Statement"][0]["Resource"] == []


def test_without_a_usage_plan_no_gateway_key_is_made_and_the_app_meters_alone(client, desk):
    """Locally and in the tests (no REBOOK_KEY_USAGE_PLAN) API Gateway is never called: the
    in-app per-minute limit meters each key (test_each_key_is_limited_per_minute)."""
    from chalicelib import aws
    from chalicelib.settings import get_settings
    from chalicelib.store import api_keys

    made = make_key(desk)
    stored = api_keys.get(made["id"])
    assert stored is not None and stored.gateway_key_id is None
    assert "usageIdentifierKey" not in _authorize(made["key"])
    assert aws.client("apigateway", region=get_settings().region).get_api_keys()["items"] == []


def test_keys_made_at_once_never_pass_the_cap_and_a_revoked_one_frees_a_place(client, desk, monkeypatch):
    """An attacker's probe (6 Dec): 25 creations at once made 24 keys where 20 is the cap
    (each counted the list before any was written). Two creations that both read 19 active
    keys: one is made, the other is a 403 `too_many_keys`; a revocation frees a place."""
    import threading

    from chalicelib.services.admin import api_keys as service

    made = [desk.post("/api-keys", {"name": f"Key {i}", "scopes": ["read"]}) for i in range(19)]
    assert all(status == 201 for status, _ in made), made
    from chalicelib.store import keys
    from chalicelib.store.models import ApiKeyCountItem

    # As for a business whose keys were made before their count was kept: started from its list.
    ApiKeyCountItem(keys.biz(desk.business_id), keys.API_KEYS_COUNT_SK).delete()
    listed, add = service.store.of_business, service.store.add
    barrier, one_at_a_time = threading.Barrier(2), threading.Lock()

    def read_together(business_id):  # both read the list before either writes
        keys = listed(business_id)
        barrier.wait(timeout=10)
        return keys

    def serialized(*args):  # as DynamoDB runs two transactions on one item (moto does not)
        with one_at_a_time:
            return add(*args)

    monkeypatch.setattr(service.store, "of_business", read_together)
    monkeypatch.setattr(service.store, "add", serialized)
    answers: list[tuple[int, dict]] = []
    racers = [
        threading.Thread(
            target=lambda i=i: answers.append(desk.post("/api-keys", {"name": f"Racer {i}", "scopes": ["read"]}))
        )
        for i in range(2)
    ]
    for r in racers:
        r.start()
    for r in racers:
        r.join(timeout=30)
    monkeypatch.undo()
    assert sorted(status for status, _ in answers) == [201, 403], answers
    assert [a["error"]["code"] for s, a in answers if s == 403] == ["too_many_keys"]
    active = [k for k in desk.get("/api-keys")[1]["keys"] if not k["revoked_at"]]
    assert len(active) == 20
    assert desk.post("/api-keys", {"name": "One more", "scopes": ["read"]})[0] == 403
    assert desk.delete(f"/api-keys/{active[0]['id']}")[0] == 200
    assert desk.delete(f"/api-keys/{active[0]['id']}")[0] == 200  # twice: counted off once
    assert desk.post("/api-keys", {"name": "In its place", "scopes": ["read"]})[0] == 201
    assert desk.post("/api-keys", {"name": "One more", "scopes": ["read"]})[0] == 403
