"""An owner's refund and a cancellation on the same booking at the same moment: each
writes the booking's payment from its own read, and neither loses the other's change
(a write conditioned on the payment's revision; the second reads again and writes once
more: store/payments.py fresh_payment). The second write is injected between the first's
read and its write."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
import requests

from tests.admin.helpers import Desk
from tests.payments.test_fees import money_of, paid_booking
from tests.payments.test_owed_refunds import refunds_at_stripe, sweep
from tests.payments.test_pay_flow import DEPOSIT

PART = 1000


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


def test_a_cancellation_between_the_owners_refund_and_its_write_keeps_both(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    from chalicelib.domain.booking import BY_SALON
    from chalicelib.services.booking import changes
    from chalicelib.services.payments import fees
    from chalicelib.services.payments.stripe_account import Account
    from chalicelib.store import bookings, businesses

    booking = paid_booking(pay_client, stripe_env)
    real = Account.refund
    meanwhile: list[str] = []

    def refund_then_cancelled(self, booking_id, intent_id, amount_cents, ref, **kw):
        made = real(self, booking_id, intent_id, amount_cents, ref, **kw)
        if not meanwhile:  # the owner's refund is made; before it is written, the booking is cancelled
            meanwhile.append(ref)
            b = businesses.get_by_id(aws.id)
            appt = bookings.get_appointment(aws.id, booking["id"])
            assert b is not None and appt is not None
            with monkeypatch.context() as m:
                m.setattr(fees, "make_owed", lambda *a, **kw: None)  # owed, made later by the sweeper
                changes.cancel(b, appt, "salon closed", by=BY_SALON)
        return made

    monkeypatch.setattr(Account, "refund", refund_then_cancelled)
    status, refund = desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": PART, "reason": "late start"})
    assert status == 200, refund
    assert meanwhile == [f"n0-{PART}"]
    owners = money_of(desk, booking)
    # The owner's refund and what the cancellation owes are both on the payment: the
    # cancellation read her refund reserved (owed), so it owes only the rest.
    assert (owners["refunded_cents"], owners["refund_pending_cents"]) == (PART, DEPOSIT - PART)
    appt = bookings.get_appointment(aws.id, booking["id"])
    assert appt is not None and appt.status == "cancelled" and appt.payment_rev == 4  # paid, reserved, owed, refunded


def test_an_owners_refund_between_the_cancellations_read_and_its_write_keeps_both(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    from chalicelib import clock
    from chalicelib.services.payments import fees
    from chalicelib.store import bookings, businesses

    booking = paid_booking(pay_client, stripe_env)
    real = bookings.cancel_booking
    meanwhile: list[int] = []

    def refunded_first(appt, *args, **kw):
        if not meanwhile:  # the cancellation read the booking; the owner refunds part before it writes
            b = businesses.get_by_id(aws.id)
            fresh = bookings.get_appointment(aws.id, appt.id)
            assert b is not None and fresh is not None
            made = fees.refund(b, fresh, PART, clock.now(), "late start")
            meanwhile.append(made.amount_cents if made else 0)
        return real(appt, *args, **kw)

    monkeypatch.setattr(bookings, "cancel_booking", refunded_first)
    status, view = desk.post(f"/appointments/{booking['id']}/cancel", {"reason": "Asiakas soitti"})
    assert status == 200, view
    assert meanwhile == [PART]
    # The cancellation read again and gave back the rest, not the whole deposit once more.
    assert sorted(r["amount"] for r in refunds_at_stripe(stripe_env, aws, booking)) == sorted([PART, DEPOSIT - PART])
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refunded_cents"], owners["refund_pending_cents"]) == ("refunded", DEPOSIT, 0)


@contextmanager
def stripe_refuses_more_than_is_left(monkeypatch, ls, business_id: str):
    """As Stripe does (localstripe refunds any amount): a refund of more than the payment
    has left is refused — `charge_already_refunded` when nothing is left."""
    import stripe

    from chalicelib.services.payments.stripe_account import Account
    from scripts.localstripe_server import SECRET_KEY

    refunds = Account(business_id).client.v1.refunds
    real = refunds.create
    refused: list[int] = []

    def create(*args, params, **kw):
        intent = params["payment_intent"]
        got = requests.get(f"{ls.url}/v1/payment_intents/{intent}", auth=(SECRET_KEY, ""), timeout=10).json()
        listed = requests.get(
            f"{ls.url}/v1/refunds", params={"payment_intent": intent}, auth=(SECRET_KEY, ""), timeout=10
        ).json()
        left = got["amount"] - sum(r["amount"] for r in listed["data"])
        if params["amount"] > left:
            refused.append(params["amount"])
            code = "charge_already_refunded" if left <= 0 else "amount_too_large"
            raise stripe.InvalidRequestError(
                "Refund amount is greater than what is left.", "amount", code=code, http_status=400
            )
        return real(*args, params=params, **kw)

    with monkeypatch.context() as m:
        m.setattr(refunds, "create", create)
        yield refused


def cancelled_during_the_owners_refund(monkeypatch, aws, desk, booking, amount: int | None, *, by_request: bool):
    """The owner refunds `amount` (None: all of it); Stripe makes it, and before her write
    the client cancels: the cancellation commits first and owes the whole deposit (it read
    no refund). `by_request`: the cancelling request makes the owed refund right after its
    commit (before the owner's write); else the sweeper does, after it. The owner's answer."""
    from chalicelib.services.booking import changes
    from chalicelib.services.payments import fees
    from chalicelib.services.payments.stripe_account import Account
    from chalicelib.store import bookings, businesses

    real = Account.refund
    meanwhile: list[str] = []

    def refund_then_cancelled(self, *args, **kw):
        made = real(self, *args, **kw)
        if not meanwhile:  # the owner's refund is made at Stripe; before it is written, she cancels
            meanwhile.append(made.id)
            b = businesses.get_by_id(aws.id)
            appt = bookings.get_appointment(aws.id, booking["id"])
            assert b is not None and appt is not None
            with monkeypatch.context() as m:
                if not by_request:
                    m.setattr(fees, "make_owed", lambda *a, **kw: None)  # owed, made later by the sweeper
                changes.cancel(b, appt, None)
        return made

    body = {"reason": "late start"} | ({"amount_cents": amount} if amount is not None else {})
    with monkeypatch.context() as m:
        m.setattr(Account, "refund", refund_then_cancelled)
        status, refund = desk.post(f"/appointments/{booking['id']}/refund", body)
    assert status == 200, refund
    assert len(meanwhile) == 1
    return refund


@pytest.mark.parametrize("by_request", [False, True], ids=["sweeper", "request"])
def test_her_cancellation_committed_during_the_owners_part_refund_gives_back_only_the_rest(
    pay_client, stripe_env, aws, desk, frozen_now, swept, monkeypatch, by_request
):
    booking = paid_booking(pay_client, stripe_env)
    with stripe_refuses_more_than_is_left(monkeypatch, stripe_env, aws.id) as refused:
        cancelled_during_the_owners_refund(monkeypatch, aws, desk, booking, PART, by_request=by_request)
        sweep(frozen_now, timedelta(minutes=3))
        sweep(frozen_now, timedelta(minutes=30))
    assert refused == []
    # At Stripe: the owner's part and the rest, once each — the deposit, never more.
    assert sorted(r["amount"] for r in refunds_at_stripe(stripe_env, aws, booking)) == sorted([PART, DEPOSIT - PART])
    # The card says all of it went back, nothing owed, nothing failed.
    all_back(desk, booking)
    # By whom: the owner's refund and the cancellation's, each its own amount.
    _, visit = desk.get(f"/appointments/{booking['id']}")
    _, card = desk.get(f"/clients/{visit['client']['id']}")
    assert sorted((m["kind"], m["amount_cents"], m["note"]) for m in card["payments"] if m["kind"] != "deposit") == [
        ("refund-cancel", DEPOSIT - PART, "cancelled inside the free window"),
        (f"refund-n0-{PART}", PART, "late start"),
    ]
    _, failed = desk.get("/messages/failed")
    assert [m for m in failed["messages"] if m["appointment_id"] == booking["id"]] == []


def all_back(desk, booking) -> None:
    """The owner's card says the whole deposit went back: nothing owed, nothing failed."""
    owners = money_of(desk, booking)
    assert (
        owners["mark"],
        owners["refunded_cents"],
        owners["refund_pending_cents"],
        owners["refund_failed_cents"],
    ) == (
        "refunded",
        DEPOSIT,
        0,
        0,
    )


def test_her_cancellation_committed_during_the_owners_whole_refund_asks_stripe_for_nothing_more(
    pay_client, stripe_env, aws, desk, frozen_now, swept, monkeypatch
):
    booking = paid_booking(pay_client, stripe_env)
    with stripe_refuses_more_than_is_left(monkeypatch, stripe_env, aws.id) as refused:
        refund = cancelled_during_the_owners_refund(monkeypatch, aws, desk, booking, None, by_request=False)
        assert refund["amount_cents"] == DEPOSIT
        # The cancellation read the owner's refund reserved: nothing more is owed.
        assert money_of(desk, booking)["refund_pending_cents"] == 0
        sweep(frozen_now, timedelta(minutes=3))
    assert refused == []  # not "already refunded": Stripe was read first
    assert [r["amount"] for r in refunds_at_stripe(stripe_env, aws, booking)] == [DEPOSIT]
    all_back(desk, booking)
    _, visit = desk.get(f"/appointments/{booking['id']}")
    _, card = desk.get(f"/clients/{visit['client']['id']}")
    assert [(m["kind"], m["amount_cents"]) for m in card["payments"]] == [
        ("deposit", DEPOSIT),
        (f"refund-n0-{DEPOSIT}", DEPOSIT),
    ]
    _, failed = desk.get("/messages/failed")
    assert [m for m in failed["messages"] if m["appointment_id"] == booking["id"]] == []


def test_the_rest_asked_again_after_stripe_failed_is_the_same_request(
    pay_client, stripe_env, aws, desk, frozen_now, swept, monkeypatch
):
    """What is left to give back is its own Stripe request (the whole deposit's key would be
    refused with another amount), and every attempt at it carries the same key: a refund
    made whose answer was lost is not made twice. (The owner's own refunds are reserved
    before Stripe is asked, so a cancellation never owes what they give back: the part
    taken here is a refund Rebook did not make — Stripe's dashboard, say.)"""
    from chalicelib.services.payments.stripe_account import Account
    from chalicelib.store import bookings
    from tests.payments.test_owed_refunds import cancel_by_her, connection_error, stripe_answers_refunds_with

    booking = paid_booking(pay_client, stripe_env)
    appt = bookings.get_appointment(aws.id, booking["id"])
    assert appt is not None and appt.payment is not None and appt.payment.intent
    Account(aws.id).refund(booking["id"], appt.payment.intent, PART, "dashboard")
    with stripe_answers_refunds_with(monkeypatch, aws.id, connection_error()) as failed:
        assert cancel_by_her(pay_client, booking)[0] == 200
    assert money_of(desk, booking)["mark"] == "refund_pending"
    refunds = Account(aws.id).client.v1.refunds
    real, asked = refunds.create, []

    def create(*args, **kw):
        asked.append(kw)
        return real(*args, **kw)

    with monkeypatch.context() as m:
        m.setattr(refunds, "create", create)
        sweep(frozen_now, timedelta(minutes=10))
        sweep(frozen_now, timedelta(minutes=60))
    [first], [second] = failed, asked
    rest = f"{booking['id']}:refund:cancel-{DEPOSIT - PART}"
    assert (first["options"]["idempotency_key"], first["params"]["amount"]) == (rest, DEPOSIT - PART)
    assert (second["options"]["idempotency_key"], second["params"]["amount"]) == (rest, DEPOSIT - PART)
    assert money_of(desk, booking)["refunded_cents"] == DEPOSIT - PART  # what Rebook gave back
