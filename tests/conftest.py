"""Shared fixtures: an in-process AWS (moto) with the table and the demo business,
a frozen clock, and Chalice's test client."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "config" / "businesses" / "demo.yaml"
# Monday 23 Nov 2026, 10:00 in Helsinki.
FROZEN_NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)

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
}


def reset_caches():
    from chalicelib.settings import reset_settings
    from chalicelib.store import businesses, db

    reset_settings()
    businesses.clear_cache()
    db._configured_for = None
    try:
        from chalicelib.notify import channels

        channels.reset_clients()
    except (ImportError, AttributeError):
        pass


@pytest.fixture
def env(monkeypatch):
    for k, v in TEST_ENV.items():
        monkeypatch.setenv(k, v)
    reset_caches()
    yield
    reset_caches()


@pytest.fixture
def frozen_now(monkeypatch):
    from chalicelib import clock

    state = {"now": FROZEN_NOW}
    monkeypatch.setattr(clock, "now", lambda: state["now"])
    return state


def load_demo():
    import yaml

    from chalicelib.domain.config import parse_business_config
    from chalicelib.store.businesses import save_config

    business, _ = save_config(parse_business_config(yaml.safe_load(DEMO.read_text())))
    return business


@pytest.fixture
def aws(env):
    """moto in process: the table, a verified sender domain and the demo business."""
    from moto import mock_aws

    with mock_aws():
        import boto3

        from chalicelib.store.db import create_table

        create_table()
        boto3.client("ses", region_name="eu-north-1").verify_domain_identity(Domain="rebook.local")
        yield load_demo()


@pytest.fixture
def client(aws, frozen_now):
    from chalice.test import Client

    from app import app

    with Client(app) as c:
        yield c


def sent_emails():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID]["eu-north-1"].sent_messages


def sent_sms():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return list(sns_backends[DEFAULT_ACCOUNT_ID]["eu-north-1"].sms_messages.values())
