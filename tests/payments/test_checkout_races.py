"""Two devices at the desk: one checks the visit out with the card on file while the other
marks it a no-show (its fee charged) or cancels it. The checkout is recorded only on the
visit as it read it; charged meanwhile, its charge goes back to her card at once (an owed
refund: the sweeper's if Stripe cannot be reached), and the desk hears why (409)."""

from __future__ import annotations

from contextlib import contextmanager

import requests

from tests.admin.helpers import Desk
from tests.history import run_job
from tests.payments.test_fees import AFTER_THE_VISIT, paid_booking
from tests.payments.test_pay_flow import DEPOSIT

DUE = 15900 - DEPOSIT  # highlights 159,00 €, the 47,70 € deposit deducted


@contextmanager
def the_other_device_first(monkeypatch, aws, change, at="start_card_checkout"):
    """`change(other_device)` lands between the checkout's read and its write: by default
    before its Stripe charge is noted and asked (once it is, a no-show mark or a
    cancellation waits for its outcome: test_a_change_while_the_card_is_charged_waits_for_it),
    which the visit's own changes (the hourly job's completion) do not wait for: `at`
    "record_checkout", after the charge."""
    from chalicelib.auth.principal import Principal
    from chalicelib.services.payments import checkout as co

    real = getattr(co.store, at)
    other_device = Principal(user_id="u2", business_id=aws.id, role="owner")

    def meanwhile(*a, **kw):
        change(other_device)
        return real(*a, **kw)

    with monkeypatch.context() as m:
        m.setattr(co.store, at, meanwhile)
        yield


def checkout_refunds(ls, aws, booking) -> list[tuple[int, int, str]]:
    """The checkout charges given back: (charged, refunded at Stripe, the record's state)."""
    from chalicelib.store import payments
    from scripts.localstripe_server import SECRET_KEY
    from tests.payments.test_webhooks import intent

    found = []
    for m in payments.refunds_of(aws.id, booking["id"]):
        if not m.kind.startswith("refund-checkout-"):
            continue
        pi = m.kind.removeprefix("refund-checkout-")
        r = requests.get(f"{ls.url}/v1/refunds", params={"payment_intent": pi}, auth=(SECRET_KEY, ""), timeout=10)
        r.raise_for_status()
        found.append((intent(pi)["amount"], sum(x["amount"] for x in r.json()["data"]), m.state))
    return found


def assert_not_checked_out(desk, aws, booking, status, body):
    from chalicelib.store import payments

    assert status == 409, body
    assert (body["error"]["code"], body["error"]["reason"]) == ("appointment_changed", "checkout_refunded"), body
    assert payments.get_money(aws.id, booking["id"], "checkout") is None
    visit = desk.get(f"/appointments/{booking['id']}")[1]
    assert visit["checkout"] is None
    return visit


def test_a_no_show_marked_meanwhile_stops_the_checkout_and_gives_its_charge_back(
    pay_client, stripe_env, aws, frozen_now, monkeypatch
):
    from chalicelib.services.admin import calendar
    from chalicelib.store import payments

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    desk = Desk(pay_client, aws.id)
    with the_other_device_first(
        monkeypatch, aws, lambda other: calendar.mark_visit(other, booking["id"], {"status": "no_show"})
    ):
        status, body = desk.post(f"/appointments/{booking['id']}/checkout", {"method": "card_on_file"})
    visit = assert_not_checked_out(desk, aws, booking, status, body)
    assert visit["status"] == "no_show"
    fee = payments.get_money(aws.id, booking["id"], "no_show")
    assert fee is not None and fee.state == "succeeded"  # the fee is what she pays
    assert checkout_refunds(stripe_env, aws, booking) == [(DUE, DUE, "succeeded")]  # the checkout's charge: back


def test_a_cancellation_meanwhile_stops_the_checkout_and_gives_its_charge_back(
    pay_client, stripe_env, aws, frozen_now, monkeypatch
):
    from chalicelib.services.admin import calendar

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    desk = Desk(pay_client, aws.id)
    with the_other_device_first(
        monkeypatch,
        aws,
        lambda other: calendar.cancel_visit(other, booking["id"], {"by": "salon", "notify": False}),
    ):
        status, body = desk.post(f"/appointments/{booking['id']}/checkout", {"method": "card_on_file"})
    visit = assert_not_checked_out(desk, aws, booking, status, body)
    assert visit["status"] == "cancelled"
    assert checkout_refunds(stripe_env, aws, booking) == [(DUE, DUE, "succeeded")]


def test_a_change_while_the_card_is_charged_waits_for_it(pay_client, stripe_env, aws, frozen_now, monkeypatch):
    """A no-show mark or a cancellation read before the card checkout noted its charge and
    written while Stripe is asked: refused (409), not a fee or a refund beside a charge
    that then stays at Stripe; the checkout is recorded, nothing given back."""
    from chalicelib.errors import Conflict
    from chalicelib.services.admin import calendar
    from chalicelib.store import bookings, payments, visits

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    desk = Desk(pay_client, aws.id)
    read_before = bookings.get_appointment(aws.id, booking["id"])
    assert read_before is not None
    refused: list[object] = []

    def written_while_charged(other):
        for change in (
            lambda: visits.mark(read_before, "no_show", frozen_now["now"]),
            lambda: bookings.cancel_booking(read_before, [], frozen_now["now"], None, []),
        ):
            try:
                change()
            except bookings.StaleAppointment:
                refused.append(True)
        try:  # and read now, the desk is told why
            calendar.mark_visit(other, booking["id"], {"status": "no_show"})
        except Conflict as e:
            refused.append(e.code)

    with the_other_device_first(monkeypatch, aws, written_while_charged, at="record_checkout"):
        status, body = desk.post(f"/appointments/{booking['id']}/checkout", {"method": "card_on_file"})
    assert refused == [True, True, "checkout_charge_unknown"]
    assert status == 200, body
    visit = desk.get(f"/appointments/{booking['id']}")[1]
    assert visit["status"] == "booked" and visit["checkout"]["method"] == "card_on_file"
    assert payments.get_money(aws.id, booking["id"], "no_show") is None
    assert checkout_refunds(stripe_env, aws, booking) == []


def test_a_refund_of_the_deposit_meanwhile_is_not_deducted_again(pay_client, stripe_env, aws, frozen_now, monkeypatch):
    """The owner gives 20,00 € of the deposit back while the desk's checkout, which read all
    of it kept, is on its way: that checkout would deduct the whole deposit and take 20,00 €
    too little. It is not recorded (409, its charge back); asked again, it deducts only
    what is kept, so the visit's price is paid whole."""
    from chalicelib.services.admin import money
    from chalicelib.store import payments

    part = 2000
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    desk = Desk(pay_client, aws.id)

    def the_owner_refunds(other):
        money.refund(other, booking["id"], {"amount_cents": part, "reason": "late start"})

    with the_other_device_first(monkeypatch, aws, the_owner_refunds):
        status, body = desk.post(f"/appointments/{booking['id']}/checkout", {"method": "card_on_file"})
    assert_not_checked_out(desk, aws, booking, status, body)
    assert checkout_refunds(stripe_env, aws, booking) == [(DUE, DUE, "succeeded")]
    status, done = desk.post(f"/appointments/{booking['id']}/checkout", {"method": "card_on_file"})
    assert status == 200, done
    assert (done["deposit_cents"], done["paid_cents"]) == (DEPOSIT - part, DUE + part)
    recorded = payments.get_money(aws.id, booking["id"], "checkout")
    assert recorded is not None and recorded.amount_cents == DUE + part


def test_a_refused_refund_meanwhile_then_the_checkout_asked_again_charges_anew(
    pay_client, stripe_env, aws, frozen_now, monkeypatch
):
    """The owner's refund that Stripe refuses at once lands while the desk's card checkout
    is on its way: the booking's payment moved (the refusal counted), the deposit kept did
    not. That checkout's charge goes back (409); asked again at the same price, it is a new
    charge that stays, not the given-back one recorded as paid (the same key answered by
    Stripe with the refunded charge: she would have paid nothing)."""
    from chalicelib.errors import RebookError
    from chalicelib.services.admin import money
    from chalicelib.services.payments import stripe_account
    from chalicelib.store import payments
    from tests.payments.test_checkout_retries import stripe_keeping_charge_keys

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    desk = Desk(pay_client, aws.id)

    def refused(*a, **kw):
        raise stripe_account.RefundRefused("The charge is disputed (injected).")

    def the_owners_refund_refused(other):
        with monkeypatch.context() as m:
            m.setattr(stripe_account.Account, "refund", refused)
            try:
                money.refund(other, booking["id"], {"amount_cents": 2000, "reason": "late start"})
            except RebookError as e:
                assert e.code == "refund_refused"

    with stripe_keeping_charge_keys(monkeypatch, aws.id) as stripe:
        with the_other_device_first(monkeypatch, aws, the_owners_refund_refused):
            status, body = desk.post(f"/appointments/{booking['id']}/checkout", {"method": "card_on_file"})
        assert_not_checked_out(desk, aws, booking, status, body)
        status, body = desk.post(f"/appointments/{booking['id']}/checkout", {"method": "card_on_file"})
    assert status == 200, body
    assert len(set(stripe.asked)) == 2 and len(stripe.made) == 2, stripe.asked  # a new charge
    recorded = payments.get_money(aws.id, booking["id"], "checkout")
    assert recorded is not None and recorded.intent == stripe.made[1].id
    assert checkout_refunds(stripe_env, aws, booking) == [(DUE, DUE, "succeeded")]  # only the first went back


def test_stripe_unreachable_for_the_refund_the_sweeper_gives_the_charge_back_once(
    pay_client, stripe_env, aws, frozen_now, monkeypatch
):
    from datetime import timedelta

    from chalicelib.services.admin import calendar
    from chalicelib.services.payments import stripe_account

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    desk = Desk(pay_client, aws.id)
    real_refund = stripe_account.Account.refund_room

    def no_stripe(*a, **kw):
        raise stripe_account.PaymentsUnavailable("down (injected)")

    def cancel_then_stripe_goes_down(other):
        calendar.cancel_visit(other, booking["id"], {"by": "salon", "notify": False})
        monkeypatch.setattr(stripe_account.Account, "refund_room", no_stripe)

    with the_other_device_first(monkeypatch, aws, cancel_then_stripe_goes_down):
        status, body = desk.post(f"/appointments/{booking['id']}/checkout", {"method": "card_on_file"})
    assert_not_checked_out(desk, aws, booking, status, body)
    assert checkout_refunds(stripe_env, aws, booking) == []  # owed, not made yet
    monkeypatch.setattr(stripe_account.Account, "refund_room", real_refund)
    # Until the sweeper comes, after the outbox's backoff (its due time: wait for it, as the job would).
    for hours in (1, 6, 24):
        frozen_now["now"] = AFTER_THE_VISIT + timedelta(hours=hours)
        run_job("send_due", frozen_now["now"])
        if checkout_refunds(stripe_env, aws, booking):
            break
    assert checkout_refunds(stripe_env, aws, booking) == [(DUE, DUE, "succeeded")]
    run_job("send_due", frozen_now["now"] + timedelta(days=1))  # once: another run gives nothing more
    assert checkout_refunds(stripe_env, aws, booking) == [(DUE, DUE, "succeeded")]


def checked_out_meanwhile(monkeypatch, module, name, aws, booking):
    """The desk's checkout (cash) lands between `module.name`'s caller's read and its write."""
    from chalicelib.auth.principal import Principal
    from chalicelib.services.admin import money

    real = getattr(module, name)
    desk_device = Principal(user_id="u3", business_id=aws.id, role="staff", staff_id="aino")

    def meanwhile(*a, **kw):
        monkeypatch.setattr(module, name, real)
        money.checkout(desk_device, booking["id"], {"method": "cash"})
        return real(*a, **kw)

    monkeypatch.setattr(module, name, meanwhile)


def test_a_checkout_landing_during_a_no_show_mark_stops_the_mark_and_its_fee(
    pay_client, stripe_env, aws, frozen_now, monkeypatch
):
    from chalicelib.store import payments, visits

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    desk = Desk(pay_client, aws.id)
    checked_out_meanwhile(monkeypatch, visits, "mark", aws, booking)
    status, body = desk.post(f"/appointments/{booking['id']}/status", {"status": "no_show"})
    assert status == 409 and body["error"]["code"] == "appointment_changed", body
    visit = desk.get(f"/appointments/{booking['id']}")[1]
    assert visit["status"] != "no_show" and visit["checkout"]["method"] == "cash"
    assert payments.get_money(aws.id, booking["id"], "no_show") is None  # no fee on top of what she paid


def test_a_checkout_landing_during_a_cancellation_stops_the_cancellation(
    pay_client, stripe_env, aws, frozen_now, monkeypatch
):
    from chalicelib.store import bookings

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    desk = Desk(pay_client, aws.id)
    checked_out_meanwhile(monkeypatch, bookings, "cancel_booking", aws, booking)
    status, body = desk.post(f"/appointments/{booking['id']}/cancel", {"by": "salon", "notify": False})
    assert status == 409, body
    visit = desk.get(f"/appointments/{booking['id']}")[1]
    assert visit["status"] == "booked" and visit["checkout"]["method"] == "cash"
    assert visit["payment"]["refund_pending_cents"] == 0  # nothing given back of a paid visit


def test_the_checkout_charges_refund_failing_later_leaves_the_deposit_alone_and_is_the_owners_to_settle(
    pay_client, stripe_env, aws, frozen_now, monkeypatch
):
    """Stripe fails the refund of the checkout's charge later (her card closed): the owner
    sees it on the list of failures; the booking's deposit figures, which never held that
    charge, stay as they were."""
    from chalicelib.services.admin import calendar
    from tests.payments.test_fees import money_of
    from tests.payments.test_owed_refunds import refunds_at_stripe
    from tests.payments.test_refund_failures import failed_at_stripe, failures_of
    from tests.payments.test_webhooks import deliver, event

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    desk = Desk(pay_client, aws.id)
    with the_other_device_first(
        monkeypatch, aws, lambda other: calendar.cancel_visit(other, booking["id"], {"by": "client", "notify": False})
    ):
        assert desk.post(f"/appointments/{booking['id']}/checkout", {"method": "card_on_file"})[0] == 409
    before = money_of(desk, booking)
    deposit_refunds = {r["id"] for r in refunds_at_stripe(stripe_env, aws, booking)}
    from chalicelib.store import payments

    [back] = [m for m in payments.refunds_of(aws.id, booking["id"]) if m.kind.startswith("refund-checkout-")]
    assert back.intent not in deposit_refunds
    refund = {
        "id": back.intent,
        "object": "refund",
        "amount": DUE,
        "metadata": {"business_id": aws.id, "booking_id": booking["id"], "ref": back.kind.removeprefix("refund-")},
    }
    assert deliver(pay_client, event("evt_checkout_refund_failed", "refund.failed", failed_at_stripe(refund)))[0] == 200
    after = money_of(desk, booking)
    assert {k: after[k] for k in ("mark", "refunded_cents", "refund_failed_cents")} == {
        k: before[k] for k in ("mark", "refunded_cents", "refund_failed_cents")
    }
    assert [m["kind"] for m in failures_of(desk, booking)] == ["refund_owed"]


def test_the_visit_completed_by_the_job_meanwhile_a_checkout_asked_again_charges_anew_and_keeps_it(
    pay_client, stripe_env, aws, frozen_now, monkeypatch
):
    """The hourly job completes the ended visit between a card checkout's read and its
    write: that checkout's charge goes back (409). Asked again, the desk's checkout is a
    new charge that stays charged, not the given-back one recorded as paid (its key asked
    again, Stripe answers with the refunded charge: she would have paid nothing)."""
    from chalicelib.store import bookings, payments, retention
    from tests.payments.test_checkout_retries import stripe_keeping_charge_keys

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    desk = Desk(pay_client, aws.id)

    def the_job_completes_it(_other):
        appt = bookings.get_appointment(aws.id, booking["id"])
        assert appt is not None and retention.complete(appt, frozen_now["now"])

    with stripe_keeping_charge_keys(monkeypatch, aws.id) as stripe:
        with the_other_device_first(monkeypatch, aws, the_job_completes_it, at="record_checkout"):
            status, body = desk.post(f"/appointments/{booking['id']}/checkout", {"method": "card_on_file"})
        assert_not_checked_out(desk, aws, booking, status, body)
        assert checkout_refunds(stripe_env, aws, booking) == [(DUE, DUE, "succeeded")]
        status, body = desk.post(f"/appointments/{booking['id']}/checkout", {"method": "card_on_file"})
    assert status == 200, body
    assert len(set(stripe.asked)) == 2 and len(stripe.made) == 2, stripe.asked  # a new charge, not the given-back one
    recorded = payments.get_money(aws.id, booking["id"], "checkout")
    assert recorded is not None and recorded.intent == stripe.made[1].id
    assert checkout_refunds(stripe_env, aws, booking) == [(DUE, DUE, "succeeded")]  # only the first went back
