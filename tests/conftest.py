"""Shared fixtures: an in-process AWS (moto) with the table and the demo business,
a frozen clock, and Chalice's test client."""

from __future__ import annotations

import itertools
import os
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

# Imported before any botocore client exists, so that every client carries moto's
# send hook: the clients live for the whole run (chalicelib/aws.py) and each test's
# mock_aws() switches them to that test's fresh in-memory backend.
import moto  # noqa: F401
import pytest

from tests import fast_moto

fast_moto.apply()

# --- pytest-xdist (pyproject: -n auto) ---------------------------------------------
# Handed out first, longest first, so none of them is left running alone at the end of
# the run; the rest keep their order.
LONG_FIRST = (
    "tests/integration/test_kpi_aggregates.py",  # 31 played-through days and a recount
    "tests/browser/",  # the local stack and Chromium; the pinned days' stack
    "tests/infra/",  # cdk synth and cfn-lint, once for the module
    "tests/contract/test_public_api_fuzz.py",  # Schemathesis: 50 cases and more per operation
    "tests/contract/test_owner_api_fuzz.py",  # Schemathesis: every owner operation on one stage
    "tests/integration/",
)
# Tests that share a started component run on one worker, so that it starts once: the
# browser tests' session stack, the pinned days' stack, the CDK synth, the local tools'
# mock server. Every other test is a unit of its own. The first prefix that matches wins.
SHARED = {
    # Every pinned day ("[pin-...]") on one stack of its own, apart from the session stack's.
    "tests/browser/test_dashboard.py::test_the_periods_follow_the_pinned_day[": "browser-pins",
    "tests/browser/test_frontdesk.py": "browser-frontdesk",  # a stack of its own
    "tests/browser/test_settings_ui.py": "browser-settings",  # a stack of its own
    "tests/browser/": "browser",
    "tests/infra/": "cdk-synth",
    # The tests on the session's DynamoDB Local and mock SES/SNS server (tests/integration/
    # conftest.py): started once, not once on each worker that meets one of them.
    "tests/integration/test_kpi_aggregates.py": "dynamodb-local",
    "tests/integration/test_no_double_booking.py": "dynamodb-local",
    "tests/integration/test_limits_dynamodb_local.py": "dynamodb-local",
    "tests/integration/test_waitlist_race.py": "dynamodb-local",
    "tests/integration/test_keys_from_outside.py": "dynamodb-local",
    "tests/integration/test_overlapping_job_runs.py": "dynamodb-local",
    "tests/integration/test_local_stack_load.py": "stack-load",  # the module's one stack
    "tests/contract/test_owner_api_fuzz.py": "owner-fuzz",  # one stage for all its operations
    "tests/contract/test_link_pages_fuzz.py": "link-fuzz",  # the same
    "tests/test_local_tools.py": "local-tools",
}


def work_unit(nodeid: str) -> str:
    """The tests xdist must give to one worker together (what they share)."""
    return next((unit for prefix, unit in SHARED.items() if nodeid.startswith(prefix)), nodeid)


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: a worker more than the cores. The browser, DynamoDB Local and CDK tests
    spend much of their time waiting on other processes (Chromium, the stack, the JVM,
    node), and a third worker fills that: 471 s with two workers, 423 s with three, on
    an idle 2-core machine (the whole suite, one run each)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return cores + 1


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    # pytest 9 ignores the nodeid suffix xdist's own xdist_group marker relies on, so
    # the units come from the nodeids here; in collection order (--no-loadscope-reorder).
    from xdist.scheduler import LoadScopeScheduling

    class SharedComponentScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return SharedComponentScheduling(config, log)


def pytest_collection_modifyitems(items):
    # Schemathesis names each operation's test "test_x[GET /path]" but, under pytest 9,
    # leaves the operation out of its node id: xdist keys its work by node id and ran one
    # operation of eight. The id gets its name back, so each runs (and is counted).
    from _pytest.nodeid import coerce_node_id

    for item in items:
        if item.name.endswith("]") and not item.nodeid.endswith("]"):
            item._id = coerce_node_id(f"{item.nodeid.rpartition('::')[0]}::{item.name}")
    rank = {p: i for i, p in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: next((rank[p] for p in LONG_FIRST if item.nodeid.startswith(p)), len(LONG_FIRST)))


ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "config" / "businesses" / "demo.yaml"
# Monday 23 Nov 2026, 10:00 in Helsinki.
FROZEN_NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

TEST_ENV = {
    "REBOOK_STAGE": "test",
    "REBOOK_TABLE": "rebook-test",
    "REBOOK_LINK_SECRET": "test-secret-please-ignore",
    "REBOOK_PUBLIC_URL": "https://book.example.test",
    "REBOOK_EMAIL_FROM": "bookings@rebook.local",
    "REBOOK_DYNAMODB_ENDPOINT": "",
    "REBOOK_AWS_ENDPOINT": "",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-north-1",
    "AWS_REGION": "eu-north-1",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "REBOOK_AUTH_ISSUER": "rebook-test",
    "REBOOK_AUTH_AUDIENCE": "rebook-test-client",
    # moto's in-memory DynamoDB is not thread-safe (it deep-copies items while another
    # thread writes them); the parallel sender and kpi_sync's businesses at once run on
    # DynamoDB Local (bench/reminders.py; bench/scale.py: a thousand businesses).
    "REBOOK_SEND_WORKERS": "1",
    "REBOOK_IMPORT_WORKERS": "1",
    "REBOOK_KPI_WORKERS": "1",
    # The test stage honours a pinned clock: a test that does not freeze its own still
    # runs on the same day whenever it runs.
    "REBOOK_NOW": FROZEN_NOW.isoformat(),
}
# One signing key for the whole run (RSA generation is slow); its JWKS file is read by
# the same verifier as Cognito's JWKS URL in AWS.
AUTH_DIR = None


def auth_dir() -> Path:
    global AUTH_DIR
    if AUTH_DIR is None:
        import atexit
        import shutil
        import tempfile

        from chalicelib.auth.local_keys import ensure_key

        AUTH_DIR = Path(tempfile.mkdtemp(prefix="rebook-auth-"))
        atexit.register(shutil.rmtree, AUTH_DIR, ignore_errors=True)  # each worker's own
        ensure_key(AUTH_DIR)
    return AUTH_DIR


@cache
def dev_app():
    """An app of the local-only dev blueprint alone, one per process. Its module is
    loaded afresh for it: Chalice registers a blueprint's routes with their methods only
    once (a second app gets every route as GET), and app.py on a local stage may have
    registered `dev` already; a blueprint also reads its request through the app it was
    registered with last."""
    import importlib.util

    from chalice import Chalice

    spec = importlib.util.find_spec("chalicelib.api.dev")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = Chalice(app_name="dev-test")
    app.register_blueprint(module.dev)
    return app


def owner_token(business_id: str, role: str = "owner", **kw) -> str:
    from chalicelib.auth.local_keys import issue_token

    kw.setdefault("issuer", "rebook-test")
    kw.setdefault("audience", "rebook-test-client")
    return issue_token(auth_dir(), business_id, role, **kw)


def reset_caches():
    """Forget what was read from the environment. The botocore clients stay: they are
    per (service, region, endpoint), and moto isolates each test's data."""
    from chalicelib.settings import reset_settings
    from chalicelib.store import businesses, db

    reset_settings()
    businesses.clear_cache()
    db._configured_for = None
    from chalicelib.auth import jwt_verify

    jwt_verify.reset()
    from chalicelib.services.booking import profile

    profile.clear_ratings()
    from chalicelib.services.admin import feeds

    feeds._built.clear()  # by (business, feed): every moto test's demo salon has one id
    from chalicelib.services.payments import stripe_account

    stripe_account.forget_keys()  # the keys read from (moto's) Secrets Manager, and failed reads


@pytest.fixture(autouse=True)
def _one_environ():
    """Chalice's test client swaps os.environ for a copy during each request and puts back
    what it found: two requests in threads at once (the racers' tests) can leave a copy in
    place, the test's environment then leaking into every later test of the worker (a fresh
    clone's run met REBOOK_DYNAMODB_ENDPOINT="" and Powertools' `service` there). Put back."""
    real = os.environ
    yield
    if os.environ is not real:
        os.environ = real  # noqa: B003 (the real mapping back, as Chalice does)


def set_env(monkeypatch) -> None:
    for k, v in TEST_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("REBOOK_AUTH_JWKS_FILE", str(auth_dir() / "jwks.json"))
    reset_caches()


@pytest.fixture
def env(monkeypatch):
    set_env(monkeypatch)
    yield
    reset_caches()


def freeze_clock(monkeypatch) -> dict:
    from chalicelib import clock

    state = {"now": FROZEN_NOW}
    monkeypatch.setattr(clock, "now", lambda: state["now"])
    return state


@pytest.fixture
def frozen_now(monkeypatch):
    return freeze_clock(monkeypatch)


@cache
def demo_config():
    """The demo salon's configuration, parsed once per process."""
    import yaml

    from chalicelib.domain.config import parse_business_config

    return parse_business_config(yaml.safe_load(DEMO.read_text()))


def load_demo():
    from chalicelib.store.businesses import save_config

    business, _ = save_config(demo_config())
    return business


@pytest.fixture
def aws(env):
    """moto in process: the table, a verified sender domain and the demo business."""
    with moto_stage() as business:
        yield business


@contextmanager
def moto_stage():
    from moto import mock_aws

    with mock_aws(), one_partition_at_a_time():
        from chalicelib.notify import channels

        business = staged_table()
        channels._client("ses").verify_domain_identity(Domain="rebook.local")
        yield business


# The table as create_table() and load_demo() leave it, per (table, region): a worker's
# first test makes it through the API, every later one gets a copy of it in moto's
# backend (the same items, indexes and stream records; a stream of its own). Through
# botocore and moto's request handling the two cost 20-25 ms a test, the copy 0.3 ms.
_staged: dict[tuple[str, str], tuple[Any, Any]] = {}
_stream_labels = itertools.count()


def staged_table():
    import copy

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.settings import get_settings
    from chalicelib.store.db import configure, create_table

    settings = get_settings()
    configure(settings)  # the models bound to this stage's client, as create_table() leaves them
    key = (settings.table_name, settings.region)
    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings.region].tables
    if key not in _staged:
        create_table()
        business = load_demo()
        _staged[key] = (copy.deepcopy(tables[settings.table_name]), business)
    table, business = _staged[key]
    fresh = tables[settings.table_name] = copy.deepcopy(table)
    # Its own stream ARN: tests read the stream by ARN (drain_outbox), from the start.
    fresh.latest_stream_label = f"{fresh.latest_stream_label}.{next(_stream_labels):06d}"
    return business


@contextmanager
def dynamodb_calls():
    """The DynamoDB operations made inside the block, in order, from any thread: the
    process's one DynamoDB client (chalicelib/aws.py) serves the store and PynamoDB."""
    from chalicelib.store.db import dynamodb_client

    calls: list[str] = []

    def before(model, **_):
        calls.append(model.name)

    events = dynamodb_client().meta.events
    events.register("before-call.dynamodb", before)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", before)


@contextmanager
def one_partition_at_a_time():
    """The jobs' partition reads (store/db.py _ReadAhead) one in flight and two ahead
    while moto answers: it answers in this process, under the GIL, so eight Queries at
    once only contend for it (the jobs' and outbox tests: 15 % less CPU, 2 pairs). The
    read-ahead itself still runs; DynamoDB Local and the stacks keep eight in flight."""
    from chalicelib.store import db

    def new_pool() -> None:  # the next reader makes one of the size set
        if db._pool is not None:
            db._pool.shutdown(wait=True)
        db._forget_pool()

    kept = db.BUCKETS_IN_FLIGHT, db.BUCKETS_AHEAD
    db.BUCKETS_IN_FLIGHT, db.BUCKETS_AHEAD = 1, 2
    new_pool()
    try:
        yield
    finally:
        db.BUCKETS_IN_FLIGHT, db.BUCKETS_AHEAD = kept
        new_pool()


@pytest.fixture
def client(aws, frozen_now):
    from chalice.test import Client

    from app import app

    with Client(app) as c:
        yield c


_stream_readers: dict[str, object] = {}


def drain_outbox() -> dict:
    """Hand the table's new stream records to the outbox stream's trigger, as Lambda
    would right after the request (moto keeps the stream; each test's table is new, so
    each has a reader of its own). What the trigger did with them."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.settings import get_settings
    from scripts.outbox_stream import StreamReader, deliver, reader_for_settings

    settings = get_settings()
    # The stream's ARN as DescribeTable gives it, read from moto's table itself: asked
    # through botocore and moto at every drain, it was a request more each time.
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings.region].tables[settings.table_name]
    arn = f"{table.table_arn}/stream/{table.latest_stream_label}"
    reader = _stream_readers.get(arn)
    if not isinstance(reader, StreamReader):
        reader = _stream_readers[arn] = reader_for_settings(start="TRIM_HORIZON")
        reader.arn = arn
    return deliver(reader.read())


def sent_emails():
    """The emails moto's SES sent, once the outbox stream has sent what is new."""
    drain_outbox()
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID]["eu-north-1"].sent_messages


def sent_sms():
    drain_outbox()
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return list(sns_backends[DEFAULT_ACCOUNT_ID]["eu-north-1"].sms_messages.values())


def emails_to(address: str, containing: str = "") -> list[str]:
    """The decoded text of every email moto's SES sent to `address` (that contains `containing`)."""
    import quopri

    out = []
    for m in sent_emails():
        if address in str(m.destinations):
            text = quopri.decodestring(m.raw_data.encode()).decode("utf-8", "replace")
            if containing in text:
                out.append(text)
    return out
