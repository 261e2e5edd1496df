"""An open fee (her bank asked her to authenticate: a pay link) let go — waived by the
owner, or its no-show mark undone — has its PaymentIntent cancelled at Stripe right after
the waiver commits (the sweeper's if Stripe cannot be reached), so her bank app or a pay
page she still had open cannot take it. Paid at her bank as it was let go (before the
cancel reached Stripe): Stripe took money the salon is not owed. The webhook records it
and gives it back by itself (an owed refund, made at once, the sweeper's if Stripe cannot
be reached), once — the cancel gives nothing back —, she is told it went back, and the
owner's view shows it; the pay link of a fee let go asks nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.admin.helpers import Desk
from tests.api.test_pages import page
from tests.payments.conftest import authenticate_payment
from tests.payments.test_fee_refunded_message import refunded_mails
from tests.payments.test_fees import PRICE, money_of
from tests.payments.test_no_show_undone import FEE, fee_refunds_at_stripe, mark, no_show_charged
from tests.payments.test_pay_flow import DEPOSIT
from tests.payments.test_webhooks import deliver, event, intent

NOTHING_TO_PAY = "There is nothing to pay on this link any more."


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


def open_fee(pay_client, stripe_env, aws, desk, frozen_now) -> tuple[dict, str, str]:
    """A no-show whose fee her bank asked her to confirm: the booking, her pay link and
    the fee's client secret (the pay page she opened before it was let go)."""
    from chalicelib.store import payments

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now, card="4000002760003184")
    view = money_of(desk, booking)
    assert view["fees"] == {"no_show": "open"}, view
    fee = payments.get_money(aws.id, booking["id"], "no_show")
    assert fee is not None and fee.intent
    return booking, view["pay_urls"]["no_show"], intent(fee.intent)["client_secret"]


def paid_at_her_bank(stripe_env, secret: str) -> None:
    """Her bank's step, done as the fee is let go: before its cancel reaches Stripe."""
    assert authenticate_payment(stripe_env, secret).json()["status"] == "succeeded"


def paid_anyway(pay_client, secret: str, event_id: str) -> dict:
    """Stripe's word that she paid it (the webhook), after the fee was let go."""
    paid = event(event_id, "payment_intent.succeeded", intent(secret.split("_secret_", maxsplit=1)[0]))
    status, body = deliver(pay_client, paid)
    assert status == 200, body
    return paid


def cancel_of(aws, booking, fee: str = "no_show"):
    """The outbox item that cancels the fee's PaymentIntent at Stripe."""
    from chalicelib.services.payments import fees
    from chalicelib.store import outbox

    return outbox.get_message(aws.id, fees.let_go_key(booking["id"], fee))


def assert_given_back(pay_client, stripe_env, aws, desk, booking, paid: dict) -> None:
    from chalicelib.store import payments

    view = money_of(desk, booking)
    assert view["fees"] == {"no_show": "refunded"}, view  # the owner's view: paid, and given back
    assert (view["paid_cents"], view["refunded_cents"], view["refund_pending_cents"]) == (PRICE, FEE, 0), view
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking)] == [FEE]  # back at Stripe
    [back] = payments.refunds_of(aws.id, booking["id"])
    assert (back.kind, back.amount_cents) == ("refund-fee-no_show", FEE)
    [mail] = refunded_mails()  # she is told it went back
    assert "111,30\u00a0€" in mail
    # Stripe sends the event again: nothing more is recorded, refunded or told.
    assert deliver(pay_client, paid)[1]["applied"] is False
    assert len(fee_refunds_at_stripe(stripe_env, aws, booking)) == 1 and len(refunded_mails()) == 1
    assert money_of(desk, booking)["paid_cents"] - DEPOSIT == FEE


def test_a_fee_the_owner_waived_and_she_paid_anyway_is_given_back(pay_client, stripe_env, aws, desk, frozen_now):
    booking, link, secret = open_fee(pay_client, stripe_env, aws, desk, frozen_now)
    paid_at_her_bank(stripe_env, secret)
    status, waived = desk.post(f"/appointments/{booking['id']}/fees/no_show/waive", {"reason": "first time"})
    assert status == 200 and waived["state"] == "waived", waived
    # Paid already: nothing to cancel at Stripe, the webhook gives it back.
    cancel = cancel_of(aws, booking)
    assert cancel is not None and (cancel.status, cancel.last_error) == ("skipped", "paid_before_cancel"), cancel
    status, html = page(pay_client, link.removeprefix("https://book.example.test") + "&lang=en")
    assert status == 200 and NOTHING_TO_PAY in html and "data-secret" not in html  # the link asks nothing
    paid = paid_anyway(pay_client, secret, "evt_waived_paid")
    assert_given_back(pay_client, stripe_env, aws, desk, booking, paid)


def test_a_fee_whose_no_show_was_undone_and_she_paid_anyway_is_given_back(
    pay_client, stripe_env, aws, desk, frozen_now
):
    booking, link, secret = open_fee(pay_client, stripe_env, aws, desk, frozen_now)
    paid_at_her_bank(stripe_env, secret)
    status, undone = mark(desk, booking, "booked")  # its round ends: the open fee is waived
    assert status == 200 and undone["payment"]["fees"] == {"no_show": "waived"}, undone
    assert cancel_of(aws, booking).status == "skipped"
    _, html = page(pay_client, link.removeprefix("https://book.example.test") + "&lang=en")
    assert NOTHING_TO_PAY in html and "data-secret" not in html
    paid = paid_anyway(pay_client, secret, "evt_undone_paid")
    assert_given_back(pay_client, stripe_env, aws, desk, booking, paid)


def test_a_waived_fee_paid_while_stripe_is_unreachable_is_given_back_by_the_sweeper(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    from chalicelib.store import jobs
    from tests.history import run_job
    from tests.payments.test_fees import AFTER_THE_VISIT
    from tests.payments.test_owed_refunds import stripe_unreachable

    booking, _, secret = open_fee(pay_client, stripe_env, aws, desk, frozen_now)
    paid_at_her_bank(stripe_env, secret)
    assert desk.post(f"/appointments/{booking['id']}/fees/no_show/waive", {"reason": "first time"})[0] == 200
    jobs.set_watermark("send_due", AFTER_THE_VISIT - timedelta(minutes=1), AFTER_THE_VISIT - timedelta(minutes=1))
    paid = event("evt_waived_paid_offline", "payment_intent.succeeded", intent(secret.split("_secret_", maxsplit=1)[0]))
    with stripe_unreachable(monkeypatch):
        status, body = deliver(pay_client, paid)
    assert status == 200 and body["applied"] is True, body  # recorded: the money is hers, on its way back
    view = money_of(desk, booking)
    assert (view["mark"], view["fees"], view["refund_pending_cents"]) == (
        "refund_pending",
        {"no_show": "refunding"},
        FEE,
    )
    assert fee_refunds_at_stripe(stripe_env, aws, booking) == [] and refunded_mails() == []
    frozen_now["now"] = AFTER_THE_VISIT + timedelta(minutes=3)  # Stripe is back: the sweeper makes it, once
    run_job("send_due", frozen_now["now"])
    assert_given_back(pay_client, stripe_env, aws, desk, booking, paid)


@pytest.mark.parametrize("lands", ["after_the_waiver", "before_the_waiver"])
def test_paid_as_the_owner_waives_it_the_money_goes_back_once_or_stays_the_fee(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch, lands
):
    """Her payment's event lands as the owner waives the fee — the waiver is one write (the
    fee's record, the booking's payment, the cancel's item): right after it, before its
    cancel reaches Stripe, the money is given back once; between the waiver's read and its
    write, the waiver finds the fee paid and changes nothing (409 fee_changed): the fee
    stands paid, nothing lost, nothing given back."""
    from chalicelib.services.payments import fees
    from chalicelib.store import payments

    booking, _, secret = open_fee(pay_client, stripe_env, aws, desk, frozen_now)
    assert authenticate_payment(stripe_env, secret).json()["status"] == "succeeded"
    paid = event("evt_paid_as_waived", "payment_intent.succeeded", intent(secret.split("_secret_", maxsplit=1)[0]))
    real = fees.store.waive_open_fee

    def paid_meanwhile(*args, **kw):
        if lands == "before_the_waiver":
            assert deliver(pay_client, paid)[1]["applied"] is True
            return real(*args, **kw)
        written = real(*args, **kw)
        assert deliver(pay_client, paid)[1]["applied"] is True
        return written

    with monkeypatch.context() as m:
        m.setattr(fees.store, "waive_open_fee", paid_meanwhile)
        status, body = desk.post(f"/appointments/{booking['id']}/fees/no_show/waive", {"reason": "first time"})
    if lands == "after_the_waiver":
        assert status == 200, body
        assert_given_back(pay_client, stripe_env, aws, desk, booking, paid)
        return
    assert (status, body["error"]["code"]) == (409, "fee_changed"), body
    view = money_of(desk, booking)
    assert (view["fees"], view["paid_cents"], view["refunded_cents"], view["mark"]) == (
        {"no_show": "succeeded"},
        PRICE,
        0,
        "paid",
    ), view
    assert payments.refunds_of(aws.id, booking["id"]) == [] and cancel_of(aws, booking) is None


def test_an_owners_waiver_whose_request_dies_after_its_write_leaves_nothing_owed(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """The waiver's request dies right after its first write to the database (a timeout):
    the fee is waived on the booking's payment too — the calendar shows no fee owed, no pay
    link, her pay link asks nothing — and the sweeper cancels its PaymentIntent once the
    request's hold on it ends (before 5 Dec 2026 the payment was a second write: the fee
    stayed `open` there, `fee_owed` and a pay link for a fee waived)."""
    from chalicelib.store import jobs, payments
    from chalicelib.store.tx import Tx
    from tests.history import run_job
    from tests.payments.test_fees import AFTER_THE_VISIT

    booking, link, _ = open_fee(pay_client, stripe_env, aws, desk, frozen_now)
    jobs.set_watermark("send_due", AFTER_THE_VISIT - timedelta(minutes=1), AFTER_THE_VISIT - timedelta(minutes=1))
    real = Tx.commit

    def commit_then_die(self):
        real(self)
        raise RuntimeError("the request died after its first write")

    with monkeypatch.context() as m:
        m.setattr(Tx, "commit", commit_then_die)
        status, _ = desk.post(f"/appointments/{booking['id']}/fees/no_show/waive", {"reason": "first time"})
    assert status == 500
    view = money_of(desk, booking)
    assert (view["fees"], view["mark"], view["pay_urls"]) == ({"no_show": "waived"}, "paid", {}), view
    _, html = page(pay_client, link.removeprefix("https://book.example.test") + "&lang=en")
    assert NOTHING_TO_PAY in html and "data-secret" not in html
    frozen_now["now"] = AFTER_THE_VISIT + timedelta(minutes=3)  # the request's hold ended: the sweeper's
    run_job("send_due", frozen_now["now"])
    fee = payments.get_money(aws.id, booking["id"], "no_show")
    assert fee is not None and fee.state == "waived" and fee.intent
    assert intent(fee.intent)["status"] == "canceled"


def let_go(desk, booking, how: str) -> None:
    if how == "waived":
        status, body = desk.post(f"/appointments/{booking['id']}/fees/no_show/waive", {"reason": "first time"})
        assert status == 200 and body["state"] == "waived", body
    else:
        status, body = mark(desk, booking, "booked")
        assert status == 200 and body["payment"]["fees"] == {"no_show": "waived"}, body


@pytest.mark.parametrize("how", ["waived", "undone"])
def test_a_fee_let_go_is_cancelled_at_stripe_so_her_bank_cannot_take_it(
    pay_client, stripe_env, aws, desk, frozen_now, how
):
    from chalicelib.store import payments

    booking, _, secret = open_fee(pay_client, stripe_env, aws, desk, frozen_now)
    let_go(desk, booking, how)
    fee = payments.get_money(aws.id, booking["id"], "no_show")
    assert fee is not None and fee.intent
    assert intent(fee.intent)["status"] == "canceled"
    assert not authenticate_payment(stripe_env, secret).ok  # her bank's step now takes nothing
    assert intent(fee.intent)["status"] == "canceled"
    cancel = cancel_of(aws, booking)
    assert cancel is not None and (cancel.status, cancel.provider_id) == ("sent", fee.intent), cancel
    view = money_of(desk, booking)
    assert (view["fees"], view["paid_cents"], view["refunded_cents"]) == ({"no_show": "waived"}, DEPOSIT, 0)
    assert payments.refunds_of(aws.id, booking["id"]) == []  # nothing taken, nothing given back


@pytest.mark.parametrize("how", ["waived", "undone"])
def test_a_fee_let_go_while_stripe_is_unreachable_is_cancelled_by_the_sweeper(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch, how
):
    from chalicelib.store import jobs, payments
    from tests.history import run_job
    from tests.payments.test_fees import AFTER_THE_VISIT
    from tests.payments.test_owed_refunds import stripe_unreachable

    booking, _, secret = open_fee(pay_client, stripe_env, aws, desk, frozen_now)
    jobs.set_watermark("send_due", AFTER_THE_VISIT - timedelta(minutes=1), AFTER_THE_VISIT - timedelta(minutes=1))
    with stripe_unreachable(monkeypatch):
        let_go(desk, booking, how)  # the waiver stands: a 200, the fee waived
    fee = payments.get_money(aws.id, booking["id"], "no_show")
    assert fee is not None and fee.state == "waived" and fee.intent
    assert intent(fee.intent)["status"] == "requires_action"
    cancel = cancel_of(aws, booking)
    assert cancel is not None and (cancel.status, cancel.last_error) == ("pending", "payments_unavailable"), cancel
    frozen_now["now"] = AFTER_THE_VISIT + timedelta(minutes=3)  # Stripe is back: the sweeper cancels it
    run_job("send_due", frozen_now["now"])
    assert intent(fee.intent)["status"] == "canceled"
    assert cancel_of(aws, booking).status == "sent"
    assert not authenticate_payment(stripe_env, secret).ok
    assert money_of(desk, booking)["fees"] == {"no_show": "waived"}


def test_a_fee_left_open_by_an_undo_while_it_was_charged_is_cancelled_at_stripe(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """The no-show is undone while Stripe charges its fee and her bank asks her to confirm
    it: the fee is recorded waived (its round over) and its PaymentIntent cancelled."""
    from chalicelib.store import payments
    from tests.payments.test_fees import AFTER_THE_VISIT, paid_booking
    from tests.payments.test_no_show_undone import _undone_while_charging

    booking = paid_booking(pay_client, stripe_env, card="4000002760003184")
    frozen_now["now"] = AFTER_THE_VISIT
    undone = _undone_while_charging(monkeypatch, desk, booking)
    assert mark(desk, booking, "no_show")[0] == 200
    assert undone[0][0] == 200, undone
    fee = payments.get_money(aws.id, booking["id"], "no_show")
    assert fee is not None and fee.state == "waived" and fee.intent, fee
    assert intent(fee.intent)["status"] == "canceled"
    assert cancel_of(aws, booking).status == "sent"
    assert money_of(desk, booking)["fees"] == {"no_show": "waived"}


@pytest.mark.parametrize("let_go", ["owner_waiver", "undo"])
def test_a_fee_let_go_while_her_payments_event_applies_is_given_back(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch, let_go
):
    """The owner's waiver (or the no-show's undo) commits while Stripe's event for the fee
    she paid is applied — after it found the fee open, before its write: the write finds
    the fee let go and gives the money back, once (before 5 Dec 2026 the event was claimed
    and nothing written: Stripe held her money, the owner's view said waived)."""
    from chalicelib.services.payments import fees

    booking, _, secret = open_fee(pay_client, stripe_env, aws, desk, frozen_now)
    paid_at_her_bank(stripe_env, secret)
    real = fees.its_payment
    let_go_answers: list[tuple[int, dict]] = []

    def found_open_then_let_go(*args, **kw):
        mine = real(*args, **kw)
        if not let_go_answers:  # the event found the fee open: the waiver lands now
            path, body = f"/appointments/{booking['id']}/fees/no_show/waive", {"reason": "first time"}
            let_go_answers.append(mark(desk, booking, "booked") if let_go == "undo" else desk.post(path, body))
        return mine

    paid = event(f"evt_let_go_as_paid_{let_go}", "payment_intent.succeeded", intent(secret.split("_secret_")[0]))
    with monkeypatch.context() as m:
        m.setattr(fees, "its_payment", found_open_then_let_go)
        status, body = deliver(pay_client, paid)
    assert [s for s, _ in let_go_answers] == [200], let_go_answers
    assert (status, body["applied"]) == (200, True), body
    cancel = cancel_of(aws, booking)
    assert (cancel.status, cancel.last_error) == ("skipped", "paid_before_cancel"), cancel
    assert_given_back(pay_client, stripe_env, aws, desk, booking, paid)


def test_a_no_show_undone_as_her_fees_payment_is_written_keeps_no_fee(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """The no-show is undone as Stripe's event for its fee is written (before 5 Dec 2026 the
    fee's record and the booking's payment were two writes: an undo between them changed
    no money, and the fee stayed charged on a visit no longer a no-show). The fee is given
    back, once."""
    from chalicelib.store import payments

    booking, _, secret = open_fee(pay_client, stripe_env, aws, desk, frozen_now)
    paid_at_her_bank(stripe_env, secret)
    real = payments.fresh_payment
    undos: list[tuple[int, dict]] = []

    def undone_meanwhile(*args, **kw):
        if not undos:
            for _ in range(2):  # a 409 (changed meanwhile): she taps again
                undos.append(mark(desk, booking, "booked"))
                if undos[-1][0] == 200:
                    break
        return real(*args, **kw)

    paid = event("evt_undone_as_written", "payment_intent.succeeded", intent(secret.split("_secret_")[0]))
    with monkeypatch.context() as m:
        m.setattr(payments, "fresh_payment", undone_meanwhile)
        status, body = deliver(pay_client, paid)
    assert undos[-1][0] == 200 and status == 200, (undos, body)
    _, visit = desk.get(f"/appointments/{booking['id']}")
    assert visit["status"] != "no_show", visit  # undone: the visit is over, so completed
    assert_given_back(pay_client, stripe_env, aws, desk, booking, paid)


def _fee_state(aws, booking) -> str | None:
    from chalicelib.store import payments

    fee = payments.get_money(aws.id, booking["id"], "no_show")
    return fee.state if fee is not None else None


def _settled_for_good(pay_client, aws, desk, booking, paid, refunded: int = 0) -> None:
    """Stripe sends the event again: the fee is paid, on its record and the booking's
    payment alike — no fee owed, no pay link — and sent once more, nothing changes."""

    again = deliver(pay_client, paid)
    assert again == (200, {"received": True, "applied": True}), again
    assert _fee_state(aws, booking) == "succeeded"
    view = money_of(desk, booking)
    assert (view["fees"], view["paid_cents"], view["refunded_cents"]) == ({"no_show": "succeeded"}, PRICE, refunded)
    assert not view.get("pay_urls"), view
    assert deliver(pay_client, paid)[1]["applied"] is False
    assert money_of(desk, booking)["paid_cents"] == PRICE


def test_her_fee_paid_while_the_booking_is_busy_is_settled_when_stripe_sends_it_again(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """Stripe's event for her fee finds the booking's payment written by others at every
    try (the owner refunding parts of the deposit): a 503, nothing written, the event not
    claimed — Stripe's retry settles it (before 5 Dec 2026 the fee's record was written
    paid and the event claimed first: the payment owed the fee for good, a pay link
    offered, a 500 and then `applied: false`)."""
    from chalicelib.store import payments

    booking, _, secret = open_fee(pay_client, stripe_env, aws, desk, frozen_now)
    paid_at_her_bank(stripe_env, secret)
    real, refunds = payments.fresh_payment, []
    inside: list[bool] = []

    def busy(appt, write, *args, **kw):
        if inside:  # the refund's own writes
            return real(appt, write, *args, **kw)

        def another_writer_first(a):
            inside.append(True)
            refunds.append(desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": 100, "reason": "part"}))
            inside.clear()
            return write(a)

        return real(appt, another_writer_first, *args, **kw)

    paid = event("evt_paid_while_busy", "payment_intent.succeeded", intent(secret.split("_secret_")[0]))
    with monkeypatch.context() as m:
        m.setattr(payments, "fresh_payment", busy)
        status, body = deliver(pay_client, paid)
    assert refunds and all(s == 200 for s, _ in refunds), refunds
    assert _fee_state(aws, booking) == "open"  # nothing written
    assert (status, body["error"]["code"]) == (503, "booking_busy"), body
    _settled_for_good(pay_client, aws, desk, booking, paid, refunded=100 * len(refunds))


def test_her_fee_paid_as_the_request_dies_is_settled_when_stripe_sends_it_again(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """The webhook's request dies as it writes her fee paid (a timeout, a database fault):
    nothing is written, the event not claimed either — Stripe's retry settles it (before
    5 Dec 2026 the event was claimed first: the fee stayed open for good though Stripe
    took it)."""
    from chalicelib.store import payments

    booking, _, secret = open_fee(pay_client, stripe_env, aws, desk, frozen_now)
    paid_at_her_bank(stripe_env, secret)

    def dies(*args, **kw):
        raise RuntimeError("the request died as it wrote the fee")

    paid = event("evt_paid_request_died", "payment_intent.succeeded", intent(secret.split("_secret_")[0]))
    with monkeypatch.context() as m:
        m.setattr(payments, "settle_in", dies)
        status, _ = deliver(pay_client, paid)
    assert status == 500
    assert _fee_state(aws, booking) == "open"
    _settled_for_good(pay_client, aws, desk, booking, paid)
