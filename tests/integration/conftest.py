"""Real components for the integration suite: DynamoDB Local and the mock AWS server,
started by the project's own launchers once per session; a fresh table per test."""

from __future__ import annotations

import itertools

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
