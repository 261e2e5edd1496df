"""Deployed, each salon's Stripe keys are one Secrets Manager secret (moto's here,
REBOOK_STRIPE_SECRET_PREFIX set as the CDK app sets it), and a salon may take deposits
before its secret is stored (docs/deploy.md step 7b). A missing secret is a 503
payments_unavailable to the booking with nothing held, and a 400 bad_signature to the
webhook (nothing can verify it); a read that failed (throttled, access denied) a 503 to
both, so Stripe sends the event again. A failed read is kept a minute: a flood costs no
Secrets Manager calls. (First reported by an outside review: both answered 500.)"""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest

from tests.api.helpers import slots, table_items
from tests.payments.test_pay_flow import START, book_highlights
from tests.payments.test_webhooks import deliver, event, sign

PREFIX = "rebook/dev/stripe/"


@pytest.fixture
def in_aws(stripe_env, monkeypatch):
    """The keys from Secrets Manager only; the Stripe API still localstripe's."""
    from tests.conftest import reset_caches

    monkeypatch.setenv("REBOOK_STRIPE_SECRET_PREFIX", PREFIX)
    for k in ("REBOOK_STRIPE_SECRET_KEY", "REBOOK_STRIPE_PUBLISHABLE_KEY", "REBOOK_STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(k, raising=False)
    reset_caches()
    yield stripe_env


def store_secret(business_id: str) -> None:
    from chalicelib.services.payments.stripe_account import _secrets_client
    from scripts.localstripe_server import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET

    keys = {"secret_key": SECRET_KEY, "publishable_key": PUBLISHABLE_KEY, "webhook_secret": WEBHOOK_SECRET}
    _secrets_client().create_secret(Name=PREFIX + business_id, SecretString=json.dumps(keys))


@contextmanager
def secrets_manager(fault: str | None = None):
    """The GetSecretValue calls the app makes (each once, whatever botocore retries);
    with `fault`, every one answered with that error."""
    import botocore.endpoint
    from botocore.awsrequest import AWSResponse

    from chalicelib.services.payments.stripe_account import _secrets_client
    from tests.faults import _Raw

    calls: list[str] = []

    def count(params, **_):
        calls.append(params["SecretId"])

    def answer(request, **_):
        raw = json.dumps({"__type": fault, "message": "injected"}).encode()
        status = 400 if fault != "InternalServiceError" else 500
        return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(raw))

    events = _secrets_client().meta.events
    events.register("before-parameter-build.secrets-manager.GetSecretValue", count, unique_id="rebook-count")
    if fault:
        events.register_first("before-send.secrets-manager", answer, unique_id="rebook-fault")
    sleep = botocore.endpoint.time  # botocore's backoff between its retries: not slept here
    botocore.endpoint.time = type("NoSleep", (), {"sleep": staticmethod(lambda _: None), "time": sleep.time})
    try:
        yield calls
    finally:
        botocore.endpoint.time = sleep
        events.unregister("before-parameter-build.secrets-manager.GetSecretValue", unique_id="rebook-count")
        events.unregister("before-send.secrets-manager", unique_id="rebook-fault")


def paid_event(business_id: str) -> dict:
    meta = {"business_id": business_id, "booking_id": "x"}
    obj = {"id": "pi_1", "object": "payment_intent", "amount": 4770, "currency": "eur", "metadata": meta}
    return event("evt_1", "payment_intent.succeeded", obj)


def test_a_paid_booking_without_a_stored_secret_is_a_503_and_holds_nothing(in_aws, pay_client):
    before = len(table_items())
    status, body = book_highlights(pay_client)
    assert status == 503, body
    assert body["error"]["code"] == "payments_unavailable" and body["error"]["fields"] == {}
    assert len(table_items()) == before
    assert START in slots(pay_client, service="highlights")["aino"]


def test_a_paid_booking_with_its_secret_stored_is_held_with_its_keys(in_aws, pay_client, aws):
    from scripts.localstripe_server import PUBLISHABLE_KEY

    store_secret(aws.id)
    status, body = book_highlights(pay_client)
    assert status == 201 and body["status"] == "pending_payment", body
    assert body["payment"]["publishable_key"] == PUBLISHABLE_KEY
    assert START not in slots(pay_client, service="highlights")["aino"]


def test_the_webhook_of_a_salon_without_a_secret_is_a_bad_signature(in_aws, pay_client, aws):
    status, body = deliver(pay_client, paid_event(aws.id), signature="t=1,v1=00")
    assert (status, body["error"]["code"]) == (400, "bad_signature")


def test_the_webhook_is_verified_with_the_salons_stored_secret(in_aws, pay_client, aws):
    store_secret(aws.id)
    assert deliver(pay_client, paid_event(aws.id))[0] == 200  # signed with its webhook secret
    status, body = deliver(pay_client, paid_event(aws.id), signature=sign(b"{}"))
    assert (status, body["error"]["code"]) == (400, "bad_signature")


@pytest.mark.parametrize("fault", ["AccessDeniedException", "ThrottlingException", "InternalServiceError"])
def test_a_secret_that_could_not_be_read_is_a_503_and_stripe_is_asked_to_retry(in_aws, pay_client, aws, fault):
    store_secret(aws.id)
    before = len(table_items())
    with secrets_manager(fault):
        status, body = book_highlights(pay_client)
        assert (status, body["error"]["code"]) == (503, "payments_unavailable")
        r = pay_client.http.post(
            "/webhooks/stripe",
            body=json.dumps(paid_event(aws.id)),
            headers={"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=00"},
        )
    assert r.status_code == 503 and json.loads(r.body)["error"]["code"] == "payments_unavailable"
    assert r.headers.get("Retry-After")
    assert len(table_items()) == before


def test_a_failed_read_is_kept_a_minute_then_the_stored_secret_is_read(in_aws, pay_client, aws, monkeypatch):
    from chalicelib.services.payments import stripe_account

    at = {"now": 1000.0}
    monkeypatch.setattr(stripe_account, "time", type("Clock", (), {"monotonic": staticmethod(lambda: at["now"])}))
    with secrets_manager() as calls:
        for _ in range(20):  # a flood of unsigned events naming a salon without a secret
            assert deliver(pay_client, paid_event(aws.id), signature="t=1,v1=00")[0] == 400
        assert len(calls) == 1
        store_secret(aws.id)
        at["now"] += stripe_account.FAILED_READ_TTL_SECONDS - 1
        assert deliver(pay_client, paid_event(aws.id))[0] == 400  # still the failed read
        at["now"] += 2
        assert deliver(pay_client, paid_event(aws.id))[0] == 200
        assert len(calls) == 2


@pytest.mark.parametrize("empty", [None, "", "  "])
def test_a_secret_with_an_empty_key_is_a_503_like_no_secret(in_aws, pay_client, aws, empty):
    """A half-filled secret ("secret_key": null or ""): the booking is 503
    payments_unavailable with nothing held, not a 500."""
    from chalicelib.services.payments.stripe_account import _secrets_client

    _secrets_client().create_secret(
        Name=PREFIX + aws.id, SecretString=json.dumps({"secret_key": empty, "publishable_key": "pk_test_x"})
    )
    before = len(table_items())
    status, body = book_highlights(pay_client)
    assert (status, body["error"]["code"]) == (503, "payments_unavailable"), body
    assert len(table_items()) == before


def test_a_key_stripe_refuses_is_a_503_and_the_rotated_secret_is_read_at_once(in_aws, pay_client, aws):
    """The salon rotated her key; the old one, still cached, is refused by Stripe (401):
    that booking is 503 payments_unavailable (not a 500), and the next one reads the
    secret again and goes through, without waiting out the five-minute cache."""
    from chalicelib.services.payments.stripe_account import _secrets_client
    from scripts.localstripe_server import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET

    old = {"secret_key": "rk_revoked", "publishable_key": PUBLISHABLE_KEY, "webhook_secret": WEBHOOK_SECRET}
    _secrets_client().create_secret(Name=PREFIX + aws.id, SecretString=json.dumps(old))
    before = len(table_items())
    status, body = book_highlights(pay_client)
    assert (status, body["error"]["code"]) == (503, "payments_unavailable"), body
    assert len(table_items()) == before and START in slots(pay_client, service="highlights")["aino"]
    _secrets_client().put_secret_value(
        SecretId=PREFIX + aws.id, SecretString=json.dumps({**old, "secret_key": SECRET_KEY})
    )
    status, body = book_highlights(pay_client)
    assert status == 201 and body["status"] == "pending_payment", body
