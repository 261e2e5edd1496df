"""An id from outside reaches DynamoDB only if it could be one of ours: DynamoDB (Local,
as AWS) refuses a key over 2 KB with an error, which moto does not, so these run on the
real thing. Each is a plain 4xx, never a 500."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration

LONG = "x" * 2100  # over DynamoDB's 2 048 bytes for a partition key


def test_ids_longer_than_any_key_name_nothing(real_stack):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        # A calendar feed's business (no sign-in: anyone can ask).
        assert client.http.get(f"/ics/{LONG}/business/x/calendar.ics").status_code == 404
        # Stripe's webhook, unsigned, naming a business in its metadata.
        body = json.dumps({"data": {"object": {"metadata": {"business_id": LONG}}}}).encode()
        r = client.http.post(
            "/webhooks/stripe", body=body, headers={"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=a"}
        )
        assert r.status_code == 400 and json.loads(r.body)["error"]["code"] == "bad_signature"
        # A booking page's and the public API's business, by its slug.
        assert client.http.get(f"/book/{LONG}").status_code == 404
        r = client.http.get(f"/api/v1/businesses/{LONG}/availability?service=womens-cut&from=2026-11-30&to=2026-11-30")
        assert r.status_code == 404, r.body
