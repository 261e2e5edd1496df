"""One botocore session and one client per service per process (chalicelib/aws.py):
created lazily and once even when threads race, shared by every PynamoDB model, fresh
in a forked child, and — in the tests — still isolated by each moto mock."""

from __future__ import annotations

import multiprocessing as mp
import subprocess
import sys
import threading

import pytest
from moto import mock_aws

from chalicelib import aws as shared
from tests.conftest import ROOT

REGION = "eu-north-1"


@pytest.fixture(autouse=True)
def fresh_clients():
    # The clients made here with other configs must not serve the tests after these.
    yield
    shared.reset()


def test_importing_creates_nothing():
    code = "import sys, chalicelib.aws; print('botocore' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_one_client_per_service_region_and_endpoint(env):
    ses = shared.client("ses", region=REGION)
    assert shared.client("ses", region=REGION) is ses
    assert shared.client("sns", region=REGION) is not ses
    assert shared.client("ses", region="eu-west-1") is not ses
    local = shared.client("ses", region=REGION, endpoint_url="http://127.0.0.1:9")
    assert local is not ses and local.meta.endpoint_url == "http://127.0.0.1:9"
    assert shared.session() is shared.session()


def test_threads_racing_for_a_client_get_the_same_one(env, monkeypatch):
    shared.reset()
    created = []
    real = shared.session().create_client

    def counting(*a, **kw):
        created.append(a[0])
        return real(*a, **kw)

    monkeypatch.setattr(shared.session(), "create_client", counting)
    start, got = threading.Barrier(16), []

    def take():
        start.wait()
        got.append(shared.client("sns", region=REGION))

    threads = [threading.Thread(target=take) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert created == ["sns"] and len({id(c) for c in got}) == 1


def test_every_model_uses_the_one_dynamodb_client(aws):
    from chalicelib.store import db, models

    client = db.dynamodb_client()
    assert client is shared.client("dynamodb", region=REGION)
    # PynamoDB's own connection would create a session and client per model.
    assert all(m._get_connection().connection.client is client for m in models.ALL_MODELS)


def test_no_call_asks_for_its_consumed_capacity(aws):
    """PynamoDB would add ReturnConsumedCapacity=TOTAL to every request (it costs
    DynamoDB Local a booking's transaction ~2.5 ms); nothing reads it, so none is asked."""
    import json

    from chalicelib.store import db, models

    sent: list[dict] = []

    def keep(request, **_):
        sent.append(json.loads(request.body))

    client = db.dynamodb_client()
    client.meta.events.register("before-send.dynamodb", keep)
    try:
        item = models.ClientKeyItem("BIZ#x", "CKEY#PHONE#+358401", client_id="c1")
        item.save()
        models.ClientKeyItem.get("BIZ#x", "CKEY#PHONE#+358401", consistent_read=True)
        list(models.ClientKeyItem.batch_get([("BIZ#x", "CKEY#PHONE#+358401")]))
    finally:
        client.meta.events.unregister("before-send.dynamodb", keep)
    assert len(sent) >= 3 and not [body for body in sent if "ReturnConsumedCapacity" in body]


def test_clients_made_once_reach_each_mock_with_its_own_data(env):
    from chalicelib.notify import channels
    from chalicelib.store import db

    with mock_aws():
        db.create_table()
        ses = channels._client("ses")
        ses.verify_email_identity(EmailAddress="a@rebook.local")
        assert db.dynamodb_client().list_tables()["TableNames"] == ["rebook-test"]
    with mock_aws():  # a new mock: the same clients, an empty account
        assert channels._client("ses") is ses
        assert db.dynamodb_client().list_tables()["TableNames"] == []
        assert ses.list_identities()["Identities"] == []
        db.create_table()
        assert db.dynamodb_client().list_tables()["TableNames"] == ["rebook-test"]


def _child(out):
    out.put(len(shared._clients))


@pytest.mark.skipif(sys.platform == "win32", reason="fork")
def test_a_forked_child_makes_its_own_clients(env):
    shared.client("sns", region=REGION)
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    p = ctx.Process(target=_child, args=(out,))
    p.start()
    assert out.get(timeout=60) == 0  # no client inherited: no shared sockets
    p.join(timeout=30)
    assert shared._clients  # the parent keeps its own
