"""Payments against localstripe, a real (fake) Stripe server in its own process: the
official SDK talks to it over HTTP, the tests pay as Stripe.js would. No SDK mocks."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests

from scripts.dynamodb_local import free_port
from scripts.localstripe_server import PUBLISHABLE_KEY, LocalStripe

# A cancellation SMS's longest facts (a salon, client, service and stylist as long as real
# ones get): its money sentences must still fit one GSM-7 segment with them.
LONG_FACTS = {
    "business": {"name": "Parturi-Kampaamo Hiusateljee Kaunotar"},
    "client": {"name": "Maija-Liisa Meikäläinen", "first_name": "Maija-Liisa"},
    "service": {"name": "Raidat folioilla ja leikkaus"},
    "staff": {"name": "Aino Virtanen"},
    "start": "2026-11-25T12:00:00+02:00",
    "book_url": "https://book.example.test/book/parturi?service=highlights&staff=aino&again=r.abcdefghijklmnop",
}


@pytest.fixture(scope="session")
def localstripe():
    server = LocalStripe(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def stripe_env(monkeypatch, env, localstripe):
    from tests.conftest import reset_caches

    for k, v in localstripe.env().items():
        monkeypatch.setenv(k, v)
    reset_caches()
    # Each test's table is new, so its Stripe objects start empty too: localstripe pickles
    # its whole store to disk at every write, and a worker's hundreds of tests' customers,
    # intents and events made each request cost more (19 -> 3.5 CPU-s of localstripe's
    # over tests/payments, 97 -> 78 s at -n 0).
    requests.delete(f"{localstripe.url}/_config/data", timeout=10).raise_for_status()
    yield localstripe


@pytest.fixture
def swept(frozen_now):
    """The sweeper ran every minute until the test began (it looks back minutes, not 48 hours)."""
    from chalicelib.store import jobs
    from tests.conftest import FROZEN_NOW

    jobs.set_watermark("send_due", FROZEN_NOW - timedelta(minutes=1), FROZEN_NOW - timedelta(minutes=1))


@pytest.fixture
def pay_client(stripe_env, aws, frozen_now):
    from chalice.test import Client

    from app import app

    with Client(app) as c:
        yield c


def _post(url: str, body: dict) -> requests.Response:
    # As the Stripe.js stand-in sends it: JSON, the publishable key in the body.
    return requests.post(url, data=json.dumps({"key": PUBLISHABLE_KEY, **body}), timeout=10)


def set_up_card(ls: LocalStripe, client_secret: str, number: str, authenticate: bool = True) -> requests.Response:
    """What confirmCardSetup does with a Card Element: the card to the SetupIntent, and a
    completed (or failed) 3-D Secure step when the bank asks for one."""
    seti = client_secret.split("_secret_", maxsplit=1)[0]
    card = {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    r = _post(
        f"{ls.url}/v1/setup_intents/{seti}/confirm",
        {"use_stripe_sdk": True, "client_secret": client_secret, "payment_method_data": {"type": "card", "card": card}},
    )
    if r.ok and r.json()["status"] == "requires_action":
        step = "confirm" if authenticate else "cancel"
        r = _post(f"{ls.url}/v1/setup_intents/{seti}/{step}", {"use_stripe_sdk": True, "client_secret": client_secret})
    return r


def authenticate_payment(ls: LocalStripe, client_secret: str, success: bool = True) -> requests.Response:
    """What confirmCardPayment does for a charge waiting for 3-D Secure."""
    pi = client_secret.split("_secret_", maxsplit=1)[0]
    return _post(
        f"{ls.url}/v1/payment_intents/{pi}/_authenticate?success={'true' if success else 'false'}",
        {"client_secret": client_secret},
    )
