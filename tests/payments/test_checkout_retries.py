"""A card-on-file checkout asked again: at the same price it is the same charge (Stripe's
idempotency key `<booking>:checkout:s<seq>p<payment_rev>:<amount>`), at another price a new one — but
never while an earlier attempt's outcome is unknown (its answer lost), which could charge
her twice; and Stripe's `idempotency_error` is a 409 the desk can read, never a 500."""

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import stripe

from tests.admin.helpers import Desk
from tests.payments.test_checkout import charged_at_checkout
from tests.payments.test_fees import AFTER_THE_VISIT, paid_booking
from tests.payments.test_pay_flow import DEPOSIT


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


@contextmanager
def stripe_keeping_charge_keys(monkeypatch, business_id: str):
    """Stripe's idempotency, which localstripe leaves out: a charge's key asked again gets
    its first answer. `fail_next`: the next new key's answer instead (an exception raised
    after Stripe took the request when `taken`: the answer lost on the way back). `asked`:
    the keys in order; `made`: the PaymentIntents Stripe created."""
    from chalicelib.services.payments.stripe_account import Account

    intents = Account(business_id).client.v1.payment_intents
    real = intents.create
    answers: dict[str, object] = {}
    at = SimpleNamespace(fail_next=None, taken=False, asked=[], made=[])

    def create(*args, params, options, **kw):
        key = options["idempotency_key"]
        at.asked.append(key)
        if key not in answers:
            if at.fail_next is not None and not at.taken:
                answers[key] = at.fail_next
            else:
                made = real(*args, params=params, options=options, **kw)
                at.made.append(made)
                answers[key] = made
            if at.fail_next is not None:
                lost, at.fail_next = at.fail_next, None
                if at.taken:
                    raise lost  # charged at Stripe; the answer never came back
        answer = answers[key]
        if isinstance(answer, Exception):
            raise answer
        return answer

    with monkeypatch.context() as m:
        m.setattr(intents, "create", create)
        yield at


def checkout(desk, booking, **body):
    return desk.post(f"/appointments/{booking['id']}/checkout", {"method": "card_on_file", **body})


def test_stripes_idempotency_error_is_a_409_the_desk_can_read(
    pay_client, stripe_env, desk, aws, frozen_now, monkeypatch
):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT

    def stripe_says(*a, **kw):
        raise stripe.IdempotencyError(
            "Keys for idempotent requests can only be used with the same parameters they were first used with.",
            http_status=400,
            code="idempotency_key_in_use",
        )

    from chalicelib.services.payments.stripe_account import Account

    monkeypatch.setattr(Account(aws.id).client.v1.payment_intents, "create", stripe_says)
    status, body = checkout(desk, booking, price_cents=17900)
    assert status == 409, body
    assert body["error"]["code"] == "charge_conflict", body
    assert desk.get(f"/appointments/{booking['id']}")[1]["checkout"] is None


def test_an_answer_lost_at_stripe_then_another_price_is_refused_and_the_same_price_settles_it(
    pay_client, stripe_env, desk, aws, frozen_now, monkeypatch
):
    booking = paid_booking(pay_client, stripe_env)  # highlights 159,00 €, 47,70 € deposit
    frozen_now["now"] = AFTER_THE_VISIT
    with stripe_keeping_charge_keys(monkeypatch, aws.id) as at:
        at.fail_next, at.taken = stripe.APIConnectionError("the answer was lost (injected)"), True
        status, body = checkout(desk, booking)
        assert status == 503, body  # Stripe charged 111,30 €; the desk never heard
        assert [i.amount for i in at.made] == [15900 - DEPOSIT]
        # The desk corrects the price: a new charge now could take both from her card.
        status, body = checkout(desk, booking, price_cents=17900)
        assert status == 409, body
        assert (body["error"]["code"], body["error"]["charge_cents"]) == ("checkout_charge_unknown", 15900 - DEPOSIT)
        assert len(at.asked) == 1  # Stripe was not asked
        # Nor is she asked to pay it another way (cash, the salon's terminal) meanwhile.
        status, body = desk.post(f"/appointments/{booking['id']}/checkout", {"method": "cash"})
        assert status == 409 and body["error"]["code"] == "checkout_charge_unknown", body
        # The earlier price again: the same key, Stripe's first answer, recorded once.
        status, done = checkout(desk, booking, price_cents=15900)
        assert status == 200, done
        assert len(at.made) == 1 and at.asked[0] == at.asked[-1]
    assert charged_at_checkout(aws.id, booking) == 15900 - DEPOSIT


def test_a_declined_card_then_another_price_is_a_new_charge(pay_client, stripe_env, desk, aws, frozen_now, monkeypatch):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    with stripe_keeping_charge_keys(monkeypatch, aws.id) as at:
        at.fail_next = stripe.CardError("Your card was declined.", None, "card_declined", http_status=402)
        assert checkout(desk, booking)[0] == 402  # nothing charged: its outcome is known
        status, done = checkout(desk, booking, price_cents=17900)
        assert status == 200, done
        assert len(set(at.asked)) == 2 and [i.amount for i in at.made] == [17900 - DEPOSIT]
    assert charged_at_checkout(aws.id, booking) == 17900 - DEPOSIT


@pytest.mark.parametrize("change", ["no_show", "cancel"])
def test_an_answer_lost_at_stripe_then_a_no_show_or_cancellation_is_refused_until_it_is_settled(
    pay_client, stripe_env, desk, aws, frozen_now, monkeypatch, change
):
    """Her card may have paid the checkout (Stripe's answer lost): marking her a no-show
    would charge its fee on top, a cancellation give her deposit back on top, and the
    checkout's charge would stay at Stripe, never recorded nor given back. Both are
    refused (409 checkout_charge_unknown) until a checkout at that price settles it."""
    from chalicelib.store import payments

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    with stripe_keeping_charge_keys(monkeypatch, aws.id) as at:
        at.fail_next, at.taken = stripe.APIConnectionError("the answer was lost (injected)"), True
        assert checkout(desk, booking)[0] == 503  # Stripe charged 111,30 €; the desk never heard
        if change == "no_show":
            status, body = desk.post(f"/appointments/{booking['id']}/status", {"status": "no_show"})
        else:
            status, body = desk.post(f"/appointments/{booking['id']}/cancel", {"by": "salon", "notify": False})
        assert status == 409, body
        assert (body["error"]["code"], body["error"]["charge_cents"]) == ("checkout_charge_unknown", 15900 - DEPOSIT)
        visit = desk.get(f"/appointments/{booking['id']}")[1]
        assert visit["status"] == "booked" and visit["payment"]["refund_pending_cents"] == 0
        assert payments.get_money(aws.id, booking["id"], "no_show") is None  # no fee on top
        status, done = checkout(desk, booking)  # the same price settles it: recorded once
        assert status == 200, done
        assert len(at.made) == 1
    assert charged_at_checkout(aws.id, booking) == 15900 - DEPOSIT


def test_cash_recorded_while_a_card_charge_is_unknown_is_refused(
    pay_client, stripe_env, desk, aws, frozen_now, monkeypatch
):
    """The tablet records cash (it read the visit before), while the phone's card checkout
    charged her and lost Stripe's answer: recording the cash would leave that charge at
    Stripe, never recorded nor given back (the visit checked out, the phone could not
    settle it). The cash is refused (409); the card at that price settles it, once."""
    from chalicelib.auth.principal import Principal
    from chalicelib.errors import RebookError
    from chalicelib.services.admin import money
    from chalicelib.services.payments import checkout as co

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    phone = Principal(user_id="u2", business_id=aws.id, role="owner")
    real = co.store.record_checkout
    with stripe_keeping_charge_keys(monkeypatch, aws.id) as at:

        def the_phone_charges_first(*a, **kw):
            monkeypatch.setattr(co.store, "record_checkout", real)
            at.fail_next, at.taken = stripe.APIConnectionError("the answer was lost (injected)"), True
            try:
                money.checkout(phone, booking["id"], {"method": "card_on_file"})
            except RebookError as e:
                assert e.status == 503
            return real(*a, **kw)

        monkeypatch.setattr(co.store, "record_checkout", the_phone_charges_first)
        status, body = desk.post(f"/appointments/{booking['id']}/checkout", {"method": "cash"})
        assert status == 409, body
        assert desk.get(f"/appointments/{booking['id']}")[1]["checkout"] is None
        status, done = checkout(desk, booking)
        assert status == 200, done
        assert len(at.made) == 1
    assert charged_at_checkout(aws.id, booking) == 15900 - DEPOSIT
