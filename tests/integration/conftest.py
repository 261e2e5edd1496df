"""Real components for the integration suite: DynamoDB Local and the mock AWS server,
started by the project's own launchers once per session; a fresh table per test."""

from __future__ import annotations

import itertools
import multiprocessing as mp
import queue
import time
import traceback

import pytest

from scripts.dynamodb_local import DynamoDBLocal
from scripts.mock_aws import MockAws, verify_sender
from tests.conftest import TEST_ENV, load_demo, reset_caches

_tables = itertools.count()


@pytest.fixture(scope="session")
def dynamodb_local():
    with DynamoDBLocal() as server:
        yield server


@pytest.fixture(scope="session")
def mock_aws_server():
    with MockAws() as server:
        verify_sender(server.endpoint, "rebook.local")
        yield server


@pytest.fixture
def real_stack(monkeypatch, dynamodb_local, mock_aws_server):
    """Settings pointing at DynamoDB Local (a new table) and the mock SES/SNS server."""
    env = {
        **TEST_ENV,
        "REBOOK_DYNAMODB_ENDPOINT": dynamodb_local.endpoint,
        "REBOOK_AWS_ENDPOINT": mock_aws_server.endpoint,
        "REBOOK_TABLE": f"rebook-it-{next(_tables)}",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    reset_caches()
    from chalicelib.store.db import create_table

    create_table()
    business = load_demo()
    yield business
    reset_caches()


def _racer(target, i, barrier, results):
    try:
        results.put((i, None, target(i, barrier)))
    except BaseException:
        barrier.abort()  # the others stop waiting for it: BrokenBarrierError at once
        results.put((i, traceback.format_exc(), None))


def race(target, n: int, timeout: float = 180) -> list:
    """Run target(i, barrier) in n forked processes — each its own "Lambda container" —
    that call barrier.wait() to start together; their results, in order of arrival.

    A process that fails reports its exception (and breaks the barrier for the others),
    so the test fails at once with the cause; one that dies without a word fails it as
    soon as it is gone. Never a wait on results that cannot come."""
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_racer, args=(target, i, barrier, results)) for i in range(n)]
    for p in procs:
        p.start()
    outcomes: list = []
    errors: dict = {}
    deadline = time.monotonic() + timeout
    try:
        while len(outcomes) + len(errors) < n and time.monotonic() < deadline:
            try:
                i, error, value = results.get(timeout=0.5)
            except queue.Empty:
                dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
                if dead and results.empty():
                    if errors:
                        break
                    pytest.fail(f"{len(dead)} racing process(es) died without reporting: exit codes {dead}")
                continue
            if error:
                errors[i] = error
                deadline = min(deadline, time.monotonic() + 10)  # a moment for the others' reports
            else:
                outcomes.append(value)
        if errors:
            # The cause first: the others only saw the barrier it broke.
            causes = {i: e for i, e in errors.items() if "BrokenBarrierError" not in e} or errors
            pytest.fail("\n".join(f"racing process {i} failed:\n{e}" for i, e in sorted(causes.items())))
        if len(outcomes) < n:
            pytest.fail(f"only {len(outcomes)} of {n} racing processes reported within {timeout:.0f} s")
    finally:
        done_by = time.monotonic() + 30
        for p in procs:
            p.join(timeout=max(0.1, done_by - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join()
    return outcomes
