"""What money costs in DynamoDB: requests per booking with a deposit (the booking, then
the pay page's call after the card is set up) against the same booking without
payment, and per Stripe webhook event. On DynamoDB Local, with localstripe as Stripe.

    .venv/bin/python bench/payments.py [--bookings 10]

Starts its own DynamoDB Local, mock SES/SNS server and localstripe; prints one `bench:`
line last. Targets (issue 20): at most 2 more requests than a booking without payment,
at most 3 per webhook event.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import statistics
import time
from datetime import date, timedelta

import requests

from bench.booking import CALLS, count_dynamodb_requests
from bench.common import local_bench
from scripts.dynamodb_local import free_port
from scripts.localstripe_server import PUBLISHABLE_KEY, WEBHOOK_SECRET, LocalStripe

JSON = {"Content-Type": "application/json"}


def _calls() -> int:
    return sum(CALLS.values())


def set_up_card(ls: LocalStripe, secret: str, number: str) -> None:
    """What Stripe.js's confirmCardSetup sends (and the 3-D Secure step, completed)."""
    seti = secret.split("_secret_", maxsplit=1)[0]
    card = {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    body = {"key": PUBLISHABLE_KEY, "use_stripe_sdk": True, "client_secret": secret}
    r = requests.post(
        f"{ls.url}/v1/setup_intents/{seti}/confirm",
        data=json.dumps({**body, "payment_method_data": {"type": "card", "card": card}}),
        timeout=10,
    )
    if r.json().get("status") == "requires_action":
        requests.post(f"{ls.url}/v1/setup_intents/{seti}/confirm", data=json.dumps(body), timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=10)
    args = parser.parse_args()

    with (
        LocalStripe(free_port()) as ls,
        local_bench(
            "rebook-bench",
            count=count_dynamodb_requests,
            mock_aws=True,
            env={"POWERTOOLS_METRICS_DISABLED": "true", **ls.env()},
        ) as bench,
    ):
        plain, paid, webhook, early = run(ls, bench.client, args.bookings)
    print(f"bookings measured: {args.bookings} of each (email + SMS confirmation each)")
    print(f"DynamoDB requests: booking without payment {plain:g}, with a deposit {paid:g} (booking + pay call)")
    print(f"  paid before the outbox stream expanded the booking's plan (within a second): {early:g}")
    print(f"DynamoDB requests per payment_intent.succeeded webhook event: {webhook:g}")
    print(
        f"bench: ddb_requests_per_paid_booking={paid:g} ddb_requests_per_webhook={webhook:g} "
        f"ddb_requests_per_paid_booking_before_expansion={early:g}"
    )


def run(ls: LocalStripe, client, n: int) -> tuple[float, float, float, int]:
    import stripe

    sdk = stripe.StripeClient(ls.env()["REBOOK_STRIPE_SECRET_KEY"], base_addresses={"api": ls.url})
    plain: list[int] = []
    paid: list[int] = []
    first_paid: list[int] = []
    hooks: list[int] = []
    phone = 2000000
    with client:

        def free(service: str, day: date) -> list[tuple[str, str]]:
            q = f"/api/v1/businesses/demo/availability?service={service}&from={day}&to={day}"
            return [(s["id"], t) for s in json.loads(client.http.get(q).body)["staff"] for t in s["slots"]]

        def post(path: str, body: dict) -> tuple[int, dict]:
            r = client.http.post(path, body=json.dumps(body), headers=JSON)
            return r.status_code, json.loads(r.body)

        def book(service: str, day: date, **extra) -> dict:
            nonlocal phone
            while not (slots := free(service, day)):
                day += timedelta(days=1)
            staff, start = slots[0]
            phone += 1
            client_in = {"name": "Bench Client", "phone": f"+35840{phone}", "email": f"c{phone}@example.com"}
            CALLS.clear()
            status, view = post(
                "/api/v1/businesses/demo/bookings",
                {"service": service, "staff": staff, "start": start, "client": client_in, **extra},
            )
            assert status == 201, view
            return view

        day = date.today() + timedelta(days=3)
        free("mens-cut", day)  # warm: the business's config is cached from here on
        for _ in range(n):
            book("mens-cut", day)
            plain.append(_calls())
            held = book("highlights", day, accepted_payment_terms=1)
            booking = _calls()
            set_up_card(ls, held["payment"]["client_secret"], "4242424242424242")
            # While she types her card, the outbox stream expands the booking's plan (its
            # Lambda's requests, not the booking's); the first booking of the run is paid
            # before that, the worst case (she paid within a second of booking).
            if plain[1:]:
                expand_plan(held["id"])
            CALLS.clear()
            status, done = post(f"/api/v1/bookings/{held['manage_url'].rsplit('/', 1)[1]}/payment", {})
            assert status == 200 and done["next"] == "done", done
            (paid if plain[1:] else first_paid).append(booking + _calls())

            # The webhook's case: a charge that waited for 3-D Secure, finished at the bank.
            held = book("highlights", day, accepted_payment_terms=1)
            set_up_card(ls, held["payment"]["client_secret"], "4000002760003184")
            _, step = post(f"/api/v1/bookings/{held['manage_url'].rsplit('/', 1)[1]}/payment", {})
            secret = step["client_secret"]
            requests.post(
                f"{ls.url}/v1/payment_intents/{secret.split('_secret_')[0]}/_authenticate?success=true",
                data=json.dumps({"key": PUBLISHABLE_KEY, "client_secret": secret}),
                timeout=10,
            )
            intent = sdk.v1.payment_intents.retrieve(secret.split("_secret_")[0]).to_dict()
            event = {
                "id": f"evt_bench_{phone}",
                "object": "event",
                "type": "payment_intent.succeeded",
                "created": int(time.time()),
                "data": {"object": intent},
            }
            payload = json.dumps(event).encode()
            at = int(time.time())
            mac = hmac.new(WEBHOOK_SECRET.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
            CALLS.clear()
            r = client.http.post(
                "/webhooks/stripe", body=payload, headers={**JSON, "Stripe-Signature": f"t={at},v1={mac}"}
            )
            assert r.status_code == 200 and json.loads(r.body)["applied"], r.body
            hooks.append(_calls())
    return statistics.mean(plain), statistics.mean(paid), statistics.mean(hooks), first_paid[0]


def expand_plan(appointment_id: str) -> None:
    """What the outbox stream's trigger does with a new booking's plan."""
    from chalicelib.store import businesses, outbox

    b = businesses.get_by_slug("demo")
    assert b is not None
    plan = outbox.waiting_plan(b.id, appointment_id)
    assert plan is not None, "no plan"
    outbox.expand_plan(plan)


if __name__ == "__main__":
    main()
