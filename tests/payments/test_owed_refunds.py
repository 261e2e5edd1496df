"""A refund her cancellation promises is never lost: it is owed from the cancellation's
own commit, made right after it, and — when Stripe cannot be reached then — made by the
outbox sweeper once it can, exactly once. A refusal for good is the owner's to see."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import pytest
import requests

from tests.admin.helpers import Desk
from tests.api.helpers import post, token_of
from tests.conftest import FROZEN_NOW, emails_to
from tests.history import run_job
from tests.payments.test_fees import money_of, paid_booking, refunds_to_make
from tests.payments.test_pay_flow import DEPOSIT, status_of


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


@contextmanager
def stripe_unreachable(monkeypatch):
    """Nothing answers at Stripe's address (the SDK's requests fail to connect)."""
    from chalicelib.services.payments import stripe_account
    from chalicelib.settings import get_settings
    from scripts.dynamodb_local import free_port

    nobody = replace(get_settings(), stripe_api_base=f"http://127.0.0.1:{free_port()}")
    with monkeypatch.context() as m:
        m.setattr(stripe_account, "get_settings", lambda: nobody)
        m.setattr(stripe_account, "_clients", {})
        yield


@contextmanager
def stripe_answers_refunds_with(monkeypatch, business_id: str, error: Exception):
    """The SDK's refund call raises `error` (Stripe's own answer, or a connection error)."""
    from chalicelib.services.payments.stripe_account import Account

    calls: list[dict] = []

    def refused(*_, **kw):
        calls.append(kw)
        raise error

    with monkeypatch.context() as m:
        m.setattr(Account(business_id).client.v1.refunds, "create", refused)
        yield calls


@contextmanager
def stripe_keeping_refund_keys(monkeypatch, business_id: str):
    """Stripe's idempotency, which localstripe leaves out: a refund's key asked again gets
    the first answer — the refund made, or the refusal (for 24 hours). While `refusing` is
    set, Stripe refuses the refunds of new keys (the payment disputed, say). `asked`: the
    keys in order; `meanwhile`: called once, after the next answer (a double tap)."""
    from types import SimpleNamespace

    import stripe

    from chalicelib.services.payments.stripe_account import Account

    refunds = Account(business_id).client.v1.refunds
    real = refunds.create
    answers: dict[str, object] = {}
    at = SimpleNamespace(refusing=False, asked=[], meanwhile=[])

    def create(*args, params, options, **kw):
        key = options["idempotency_key"]
        at.asked.append(key)
        if key not in answers:
            answers[key] = (
                stripe.InvalidRequestError(
                    "Charge has been charged back.", None, code="charge_disputed", http_status=400
                )
                if at.refusing
                else real(*args, params=params, options=options, **kw)
            )
        while at.meanwhile:
            at.meanwhile.pop()()
        answer = answers[key]
        if isinstance(answer, Exception):
            raise answer
        return answer

    with monkeypatch.context() as m:
        m.setattr(refunds, "create", create)
        yield at


def connection_error() -> Exception:
    import stripe

    return stripe.APIConnectionError("Could not connect to Stripe (injected)")


def refunds_at_stripe(ls, aws, booking) -> list[dict]:
    """The refunds localstripe holds for the booking's payment."""
    from chalicelib.store import bookings
    from scripts.localstripe_server import SECRET_KEY

    appt = bookings.get_appointment(aws.id, booking["id"])
    assert appt is not None and appt.payment is not None
    intent = appt.payment.intent
    r = requests.get(f"{ls.url}/v1/refunds", params={"payment_intent": intent}, auth=(SECRET_KEY, ""), timeout=10)
    r.raise_for_status()
    return r.json()["data"]


def sweep(frozen_now, after: timedelta):
    frozen_now["now"] = FROZEN_NOW + after
    return run_job("send_due", frozen_now["now"])


def cancel_by_her(client, booking):
    return post(client, f"/api/v1/bookings/{token_of(booking['manage_url'])}/cancel", {})


def test_her_cancel_with_stripe_unreachable_succeeds_and_the_sweeper_refunds_once(
    pay_client, stripe_env, aws, desk, frozen_now, swept, monkeypatch
):
    booking = paid_booking(pay_client, stripe_env)
    with stripe_unreachable(monkeypatch):
        status, view = cancel_by_her(pay_client, booking)
    # The cancellation happened, and she reads that her deposit is on its way back.
    assert status == 200, view
    assert view["status"] == "cancelled"
    assert (view["payment"]["refunded_cents"], view["payment"]["refund_pending_cents"]) == (0, DEPOSIT)
    [mail] = emails_to("maija@example.com", "peruttu")
    assert "palautetaan kortillesi" in mail
    # The owner's card: owed back, not kept.
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refund_pending_cents"], owners["refunded_cents"]) == ("refund_pending", DEPOSIT, 0)
    assert refunds_at_stripe(stripe_env, aws, booking) == []

    # Stripe is back: the sweeper's next run makes the refund, and a run after it nothing.
    sweep(frozen_now, timedelta(minutes=3))
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refund_pending_cents"], owners["refunded_cents"]) == ("refunded", 0, DEPOSIT)
    sweep(frozen_now, timedelta(minutes=30))
    assert [r["amount"] for r in refunds_at_stripe(stripe_env, aws, booking)] == [DEPOSIT]
    assert status_of(pay_client, booking)["payment"]["refunded_cents"] == DEPOSIT
    # Cancelling again is still harmless: nothing more goes back.
    status, again = cancel_by_her(pay_client, booking)
    assert status == 200 and again["payment"]["refunded_cents"] == DEPOSIT
    assert len(refunds_at_stripe(stripe_env, aws, booking)) == 1
    # Her card lists the refund once, with the reason it went back.
    _, visit = desk.get(f"/appointments/{booking['id']}")
    status, card = desk.get(f"/clients/{visit['client']['id']}")
    assert status == 200, card
    assert [(m["kind"], m["amount_cents"]) for m in card["payments"]] == [
        ("deposit", DEPOSIT),
        ("refund-cancel", DEPOSIT),
    ]


def test_the_desks_cancel_with_stripe_failing_is_refunded_by_the_sweeper_once(
    pay_client, stripe_env, aws, desk, frozen_now, swept, monkeypatch
):
    booking = paid_booking(pay_client, stripe_env)
    with stripe_answers_refunds_with(monkeypatch, aws.id, connection_error()) as calls:
        status, view = desk.post(f"/appointments/{booking['id']}/cancel", {"reason": "Asiakas soitti"})
    assert calls, "the refund was asked for right after the cancellation"
    assert status == 200, view
    assert view["status"] == "cancelled"
    assert (view["payment"]["mark"], view["payment"]["refund_pending_cents"]) == ("refund_pending", DEPOSIT)
    [mail] = emails_to("maija@example.com", "peruttu")
    assert "palautetaan kortillesi" in mail
    # A run while Stripe still fails: owed as before, tried again later.
    with stripe_answers_refunds_with(monkeypatch, aws.id, connection_error()) as calls:
        sweep(frozen_now, timedelta(minutes=3))
    assert len(calls) == 1
    assert money_of(desk, booking)["mark"] == "refund_pending"

    sweep(frozen_now, timedelta(minutes=10))
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refund_pending_cents"], owners["refunded_cents"]) == ("refunded", 0, DEPOSIT)
    sweep(frozen_now, timedelta(minutes=60))
    assert [r["amount"] for r in refunds_at_stripe(stripe_env, aws, booking)] == [DEPOSIT]
    assert money_of(desk, booking)["refunded_cents"] == DEPOSIT


def test_her_cancel_again_makes_an_owed_refund_once_it_is_due(
    pay_client, stripe_env, aws, desk, frozen_now, swept, monkeypatch
):
    booking = paid_booking(pay_client, stripe_env)
    with stripe_unreachable(monkeypatch):
        assert cancel_by_her(pay_client, booking)[0] == 200
        # Tapped again at once, Stripe still down: the backoff is left to run (no attempt spent).
        status, again = cancel_by_her(pay_client, booking)
    assert status == 200 and again["payment"]["refund_pending_cents"] == DEPOSIT
    frozen_now["now"] = FROZEN_NOW + timedelta(minutes=3)
    status, again = cancel_by_her(pay_client, booking)
    assert status == 200, again
    assert (again["payment"]["refunded_cents"], again["payment"]["refund_pending_cents"]) == (DEPOSIT, 0)
    sweep(frozen_now, timedelta(minutes=5))  # the sweeper finds nothing left to do
    assert len(refunds_at_stripe(stripe_env, aws, booking)) == 1


def test_a_process_that_dies_after_the_cancellation_commits_loses_no_refund(
    pay_client, stripe_env, aws, desk, frozen_now, swept, monkeypatch
):
    from chalicelib.services.payments import fees

    booking = paid_booking(pay_client, stripe_env)
    with monkeypatch.context() as m:
        m.setattr(fees, "make_owed", lambda *a, **kw: None)  # it dies between the commit and the refund
        assert cancel_by_her(pay_client, booking)[0] == 200
    assert money_of(desk, booking)["mark"] == "refund_pending"
    sweep(frozen_now, timedelta(minutes=1))  # the request's hold on it has not run out yet
    assert money_of(desk, booking)["mark"] == "refund_pending"
    sweep(frozen_now, timedelta(minutes=3))
    assert money_of(desk, booking)["refunded_cents"] == DEPOSIT
    assert len(refunds_at_stripe(stripe_env, aws, booking)) == 1


def test_a_refund_stripe_refuses_for_good_is_the_owners_to_see_and_settle(
    pay_client, stripe_env, aws, desk, frozen_now, swept, monkeypatch
):
    import stripe

    refused = stripe.InvalidRequestError(
        "Charge ch_x has been charged back.", param=None, code="charge_disputed", http_status=400
    )
    booking = paid_booking(pay_client, stripe_env)
    with stripe_answers_refunds_with(monkeypatch, aws.id, refused) as calls:
        status, view = cancel_by_her(pay_client, booking)
        assert status == 200 and view["status"] == "cancelled"
        # Not tried again: a refusal is not Stripe being down.
        sweep(frozen_now, timedelta(minutes=10))
        sweep(frozen_now, timedelta(hours=5))
    assert len(calls) == 1
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refund_failed_cents"], owners["refund_pending_cents"]) == (
        "refund_failed",
        DEPOSIT,
        0,
    )
    status, failed = desk.get("/messages/failed")
    assert status == 200
    [item] = [m for m in failed["messages"] if m["appointment_id"] == booking["id"]]
    assert item["kind"] == "refund_owed" and "charge_disputed" in item["error"]
    assert refunds_to_make(desk) == [(booking["id"], DEPOSIT, "refund_failed")]  # hers to give back now
    # The owner gives it back herself (here Stripe takes it): the card no longer asks her to.
    status, refund = desk.post(f"/appointments/{booking['id']}/refund", {"reason": "refused by Stripe, again"})
    assert status == 200 and refund["amount_cents"] == DEPOSIT
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refund_failed_cents"], owners["refunded_cents"]) == ("refunded", 0, DEPOSIT)
    assert refunds_to_make(desk) == []


def test_an_owed_refund_stripe_never_takes_fails_after_the_outboxs_attempts(
    pay_client, stripe_env, aws, desk, frozen_now, swept, monkeypatch
):
    """Stripe unreachable for hours: tried with the outbox's backoff, then failed for good
    and shown to the owner, never tried forever."""
    from chalicelib.domain.messages import MAX_ATTEMPTS

    booking = paid_booking(pay_client, stripe_env)
    with stripe_answers_refunds_with(monkeypatch, aws.id, connection_error()) as calls:
        assert cancel_by_her(pay_client, booking)[0] == 200
        for hour in range(1, 12):
            sweep(frozen_now, timedelta(hours=hour))
    assert len(calls) == MAX_ATTEMPTS
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refund_failed_cents"]) == ("refund_failed", DEPOSIT)
    status, failed = desk.get("/messages/failed")
    assert [m["kind"] for m in failed["messages"] if m["appointment_id"] == booking["id"]] == ["refund_owed"]


def test_a_stripe_that_hangs_is_given_up_on_in_time_and_the_refund_is_owed(
    pay_client, stripe_env, aws, frozen_now, swept, monkeypatch
):
    """Stripe takes her connection and never answers: the SDK gives up after its timeout
    (10 s in AWS, inside API Gateway's 29 s; shortened here), and her cancel still
    answers, the refund owed — not a 504 after a cancellation that happened."""
    import socket
    import time

    from chalicelib.services.payments import stripe_account
    from chalicelib.settings import get_settings

    booking = paid_booking(pay_client, stripe_env)
    with socket.socket() as silent, monkeypatch.context() as m:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections wait in the backlog: taken, never answered
        hanging = replace(get_settings(), stripe_api_base=f"http://127.0.0.1:{silent.getsockname()[1]}")
        m.setattr(stripe_account, "get_settings", lambda: hanging)
        m.setattr(stripe_account, "_clients", {})
        m.setattr(stripe_account, "STRIPE_TIMEOUT_SECONDS", 0.5)
        began = time.monotonic()
        status, view = cancel_by_her(pay_client, booking)
        took = time.monotonic() - began
    assert status == 200 and view["payment"]["refund_pending_cents"] == DEPOSIT, view
    assert took < 10, took  # two tries of half a second and the retry's pause, not 80 s each
    sweep(frozen_now, timedelta(minutes=3))  # Stripe answers again: made once
    assert [r["amount"] for r in refunds_at_stripe(stripe_env, aws, booking)] == [DEPOSIT]
