"""The owner's refunds of one deposit at the same moment (two devices, a double submit
with an edited amount): each is reserved on the booking's payment before Stripe is asked
(services/payments/fees.py refund), so whatever Stripe gives back is what Rebook records,
and never more than was paid. The other requests are injected at the worst moments: while
a refund is being made at Stripe, and between a write that lost and its next attempt."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest

from tests.admin.helpers import Desk
from tests.payments.test_fees import money_of, paid_booking
from tests.payments.test_owed_refunds import refunds_at_stripe, sweep
from tests.payments.test_pay_flow import DEPOSIT


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


def refund_path(booking) -> str:
    return f"/appointments/{booking['id']}/refund"


def stripe_and_rebook_agree(stripe_env, aws, desk, booking) -> int:
    """What Stripe gave back is what the owner's card says went back, refund for refund,
    never more than was paid. The sum."""
    at_stripe = refunds_at_stripe(stripe_env, aws, booking)
    owners = money_of(desk, booking)
    _, visit = desk.get(f"/appointments/{booking['id']}")
    _, card = desk.get(f"/clients/{visit['client']['id']}")
    recorded = sorted(m["amount_cents"] for m in card["payments"] if m["kind"].startswith("refund-"))
    assert sorted(r["amount"] for r in at_stripe) == recorded, (at_stripe, card["payments"])
    assert owners["refunded_cents"] == sum(recorded) <= DEPOSIT, owners
    assert owners["refund_pending_cents"] == 0, owners
    return sum(recorded)


@contextmanager
def two_at_the_worst_moments(monkeypatch, meanwhile):
    """`meanwhile(1001)` while the request's refund is being made at Stripe (before it is
    written), and `meanwhile(1002)` when its write has lost and it reads the booking again
    (before its next attempt): the worst moments for a refund the request holds."""
    from chalicelib.services.payments.stripe_account import Account
    from chalicelib.store import bookings

    real_refund, real_read = Account.refund, bookings.get_appointment
    at_stripe, next_read, armed = [1001], [1002], [False]

    def refund(self, *args, **kw):
        made = real_refund(self, *args, **kw)
        if at_stripe:
            meanwhile(at_stripe.pop())
            armed[0] = True
        return made

    def get_appointment(*args, **kw):
        read = real_read(*args, **kw)
        if armed[0] and next_read:
            armed[0] = False
            meanwhile(next_read.pop())
        return read

    with monkeypatch.context() as m:
        m.setattr(Account, "refund", refund)
        m.setattr(bookings, "get_appointment", get_appointment)
        yield


@pytest.mark.parametrize("third", ["refund", "desk_cancel"])
def test_refunds_at_the_same_moment_are_each_made_once_and_recorded(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch, third
):
    """While the first refund is at Stripe a second is made, and between its write losing
    and its next attempt a third — another refund, or the desk cancelling with all she paid
    given back: the first is still recorded — never made at Stripe and forgotten (before
    5 Dec 2026 it answered 409 booking_changed, and asked again it was made at Stripe a
    second time under a new key; the desk's cancel left part of the deposit "held")."""
    booking = paid_booking(pay_client, stripe_env)
    answers: list[tuple[int, dict]] = []

    def another(amount: int) -> None:
        if amount == 1002 and third == "desk_cancel":
            cancel = {"refund": True, "notify": False, "by": "salon"}
            answers.append(desk.post(f"/appointments/{booking['id']}/cancel", cancel))
            return
        answers.append(desk.post(refund_path(booking), {"amount_cents": amount, "reason": f"part {amount}"}))

    with two_at_the_worst_moments(monkeypatch, another):
        first = desk.post(refund_path(booking), {"amount_cents": 1000, "reason": "part 1000"})
    assert [a[0] for a in answers] == [200, 200], answers
    # The first is made and recorded although its write lost twice: every part went back
    # once, at Stripe and on the card alike.
    assert first[0] == 200 and first[1]["state"] == "succeeded", first
    assert stripe_and_rebook_agree(stripe_env, aws, desk, booking) == (3003 if third == "refund" else DEPOSIT)


def test_a_refund_made_while_another_is_at_stripe_never_gives_back_more_than_was_paid(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """3000 and 3001 of a 4770 deposit at the same moment: the second is checked against
    what the first left, refused (422, nothing asked of Stripe), and the card and Stripe
    agree on 3000."""
    from chalicelib.services.payments.stripe_account import Account

    booking = paid_booking(pay_client, stripe_env)
    real = Account.refund
    inner: list[tuple[int, dict]] = []
    once = [True]

    def refund(self, *args, **kw):
        made = real(self, *args, **kw)
        if once.pop() if once else False:  # the first refund is made at Stripe; the second is asked now
            inner.append(desk.post(refund_path(booking), {"amount_cents": 3001, "reason": "double submit"}))
        return made

    with monkeypatch.context() as m:
        m.setattr(Account, "refund", refund)
        status, body = desk.post(refund_path(booking), {"amount_cents": 3000, "reason": "goodwill"})
    [(inner_status, inner_body)] = inner
    assert (status, inner_status) == (200, 422), (body, inner_body)
    assert inner_body["error"]["fields"] == {"amount_cents": f"1..{DEPOSIT - 3000}"}, inner_body
    assert stripe_and_rebook_agree(stripe_env, aws, desk, booking) == 3000
    assert money_of(desk, booking)["mark"] == "paid"


def test_a_refund_stripe_did_not_answer_is_owed_and_asked_again_refunds_once(
    pay_client, stripe_env, aws, desk, frozen_now, swept, monkeypatch
):
    """Stripe not answering (it may have made the refund): the refund stays owed — the
    card says it is on its way — and the owner asking again is the same refund, not a
    second one; the sweeper makes it once, under the same key."""
    from tests.payments.test_owed_refunds import connection_error, stripe_answers_refunds_with

    booking = paid_booking(pay_client, stripe_env)
    body = {"amount_cents": 1000, "reason": "late start"}
    with stripe_answers_refunds_with(monkeypatch, aws.id, connection_error()) as asked:
        status, first = desk.post(refund_path(booking), body)
        again = desk.post(refund_path(booking), body)
    assert (status, first["state"], first["amount_cents"]) == (200, "pending", 1000), first
    assert (again[0], again[1]["error"]["code"]) == (409, "refund_in_progress"), again
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refund_pending_cents"], owners["refunded_cents"]) == ("refund_pending", 1000, 0)
    assert [a["options"]["idempotency_key"] for a in asked] == [f"{booking['id']}:refund:n0-1000"]
    sweep(frozen_now, timedelta(minutes=3))
    sweep(frozen_now, timedelta(minutes=10))
    assert stripe_and_rebook_agree(stripe_env, aws, desk, booking) == 1000
    assert money_of(desk, booking)["mark"] == "paid"


def test_the_owners_words_on_a_refund_go_when_she_is_erased(pay_client, stripe_env, aws, desk, frozen_now):
    """The owner's reason rides on the refund's reservation (its outbox item) only until the
    refund is recorded: then it is on the record alone, which erasing her clears."""
    from tests.api.helpers import table_items
    from tests.payments.test_fees import AFTER_THE_VISIT

    booking = paid_booking(pay_client, stripe_env)
    words = "Maija hated the colour"
    assert desk.post(refund_path(booking), {"amount_cents": 1000, "reason": words})[0] == 200
    assert any(words in str(item) for item in table_items())  # on her card until then
    frozen_now["now"] = AFTER_THE_VISIT + timedelta(days=1)
    _, visit = desk.get(f"/appointments/{booking['id']}")
    status, body = desk.delete(f"/clients/{visit['client']['id']}")
    assert status == 200, body
    assert [(i["pk"]["S"], i["sk"]["S"]) for i in table_items() if words in str(i)] == []


def test_a_fee_refund_and_deposit_refunds_at_the_same_moment_all_land_once(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """The owner gives back the no-show fee; while Stripe makes it a refund of the deposit is
    made, and between its write losing and its next attempt another: the fee's refund is
    still recorded, and each refund stays within what was paid for it — the deposit's
    against the deposit, the fee's against the fee (before 5 Dec 2026 the fee's refund was
    made at Stripe first and, its write lost twice, answered 409 booking_changed: money back
    at Stripe, the desk still showing the fee kept)."""
    from tests.payments.test_no_show_undone import FEE, fee_refunds_at_stripe, no_show_charged

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    answers: list[tuple[int, dict]] = []

    def deposit_refund(amount: int) -> None:
        answers.append(desk.post(refund_path(booking), {"amount_cents": amount, "reason": f"part {amount}"}))

    with two_at_the_worst_moments(monkeypatch, deposit_refund):
        status, fee = desk.post(refund_path(booking), {"fee": "no_show", "reason": "she came after all"})
    assert [a[0] for a in answers] == [200, 200], answers
    assert (status, fee.get("kind"), fee.get("state"), fee.get("amount_cents")) == (
        200,
        "refund-fee-no_show",
        "succeeded",
        FEE,
    ), fee
    # The rest of the deposit is all a refund of it may still give back; the fee goes back once.
    status, rest = desk.post(refund_path(booking), {"reason": "the rest"})
    assert (status, rest.get("amount_cents")) == (200, DEPOSIT - 2003), rest
    again = desk.post(refund_path(booking), {"fee": "no_show", "reason": "again"})
    assert (again[0], again[1]["error"]["code"]) == (409, "nothing_to_refund"), again
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking)] == [FEE]
    assert sorted(r["amount"] for r in refunds_at_stripe(stripe_env, aws, booking)) == [1001, 1002, DEPOSIT - 2003]
    owners = money_of(desk, booking)
    assert owners["fees"] == {"no_show": "refunded"}, owners
    assert (owners["refunded_cents"], owners["refund_pending_cents"]) == (DEPOSIT + FEE, 0), owners
    _, visit = desk.get(f"/appointments/{booking['id']}")
    _, card = desk.get(f"/clients/{visit['client']['id']}")
    recorded = sorted(m["amount_cents"] for m in card["payments"] if m["kind"].startswith("refund-"))
    assert recorded == sorted([1001, 1002, DEPOSIT - 2003, FEE]), card["payments"]


def test_a_fee_refund_the_sweeper_failed_for_good_is_asked_anew_when_she_tries_again(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """Stripe not answering her refund of the fee, it is owed (200, state pending) and the
    sweeper's; Stripe refusing it there, it fails for good (the fee `refund_failed`). Her
    settling refund owed and failed for good the same way moves her next ref on too: asked
    again, it is a new refund — never 409 refund_in_progress on the failed one's item."""
    import stripe

    from chalicelib.store import jobs
    from tests.history import run_job
    from tests.payments.test_fees import AFTER_THE_VISIT
    from tests.payments.test_no_show_undone import FEE, fee_refunds_at_stripe, no_show_charged
    from tests.payments.test_owed_refunds import connection_error, stripe_answers_refunds_with

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    jobs.set_watermark("send_due", AFTER_THE_VISIT - timedelta(minutes=1), AFTER_THE_VISIT - timedelta(minutes=1))
    body = {"fee": "no_show", "reason": "goodwill"}
    refused = stripe.InvalidRequestError("refused", param=None, code="charge_disputed", http_status=400)
    for minutes, ref in ((3, "fee-no_show"), (30, "fee-no_show-n1")):
        with stripe_answers_refunds_with(monkeypatch, aws.id, connection_error()):
            status, owed = desk.post(refund_path(booking), body)
        assert (status, owed.get("kind"), owed.get("state")) == (200, f"refund-{ref}", "pending"), owed
        assert money_of(desk, booking)["mark"] == "refund_pending"
        with stripe_answers_refunds_with(monkeypatch, aws.id, refused):
            frozen_now["now"] = AFTER_THE_VISIT + timedelta(minutes=minutes)
            run_job("send_due", frozen_now["now"])
        assert money_of(desk, booking)["fees"] == {"no_show": "refund_failed"}
    status, made = desk.post(refund_path(booking), body)
    assert (status, made.get("kind"), made.get("state")) == (200, "refund-fee-no_show-n2", "succeeded"), made
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking)] == [FEE]
    owners = money_of(desk, booking)
    assert (owners["fees"], owners["refund_failed_cents"], owners["refund_pending_cents"]) == (
        {"no_show": "refunded"},
        0,
        0,
    ), owners


def test_a_refund_asked_again_with_its_key_after_the_answer_was_lost_is_made_once(
    pay_client, stripe_env, aws, desk, frozen_now
):
    """A walk on a poor connection: the refund reached the server, its answer was lost, she
    tapped again — and two refunds were made at Stripe. The dashboard sends the same
    Idempotency-Key with the same refund: the second answer is the first's, nothing more
    goes back; another amount with that key is refused, and a new key is a new refund."""
    booking = paid_booking(pay_client, stripe_env)
    asked = {"amount_cents": 500, "reason": "Goodwill"}
    key = {"Idempotency-Key": "refund-tap-1"}
    first = desk.post(refund_path(booking), asked, headers=key)
    again = desk.post(refund_path(booking), asked, headers=key)
    assert first[0] == again[0] == 200, (first, again)
    assert again[1] == {**first[1], "note": None}  # the same refund; the key keeps no reason
    assert money_of(desk, booking)["refunded_cents"] == 500
    status, body = desk.post(refund_path(booking), {**asked, "amount_cents": 700}, headers=key)
    assert status == 422 and body["error"]["code"] == "idempotency_key_reused", body
    assert desk.post(refund_path(booking), asked, headers={"Idempotency-Key": "refund-tap-2"})[0] == 200
    assert stripe_and_rebook_agree(stripe_env, aws, desk, booking) == 1000


def test_a_refund_that_failed_part_way_is_never_made_again_under_its_key(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """A probe: the refund was made and recorded, its answer failed (a 500: a timeout, a
    throttled write); the same key a minute later — the lease of a save that failed —
    made it again, and again with a new key after the dashboard forgot its key on 409
    save_in_progress. Now a refund under a key runs once: after a failure whose outcome is
    not known the key answers 409 outcome_unknown, for good; and the key keeps no reason."""
    from chalicelib.services.payments import fees

    booking = paid_booking(pay_client, stripe_env)
    real, failed = fees.money_view, [True]

    def fails_once(*args, **kw):
        if failed and failed.pop():
            raise RuntimeError("the answer's write timed out")
        return real(*args, **kw)

    monkeypatch.setattr(fees, "money_view", fails_once)
    asked = {"amount_cents": 1000, "reason": "Maija reacted to the dye, 040 123 4567"}
    key = {"Idempotency-Key": "refund-fails"}
    assert desk.post(refund_path(booking), asked, headers=key)[0] == 500
    assert money_of(desk, booking)["refunded_cents"] == 1000  # made before the answer failed
    for later in (timedelta(seconds=5), timedelta(seconds=61), timedelta(hours=2)):
        frozen_now["now"] += later
        status, body = desk.post(refund_path(booking), asked, headers=key)
        assert status == 409 and body["error"]["code"] == "outcome_unknown", body
    assert stripe_and_rebook_agree(stripe_env, aws, desk, booking) == 1000
    # A refund answered keeps its answer under its key without the owner's reason.
    status, made = desk.post(refund_path(booking), {**asked, "amount_cents": 500}, headers={"Idempotency-Key": "r2"})
    assert status == 200 and made["note"] == asked["reason"]
    status, again = desk.post(refund_path(booking), {**asked, "amount_cents": 500}, headers={"Idempotency-Key": "r2"})
    assert status == 200 and again["kind"] == made["kind"] and again["note"] is None


def test_a_refund_whose_request_died_is_not_made_again_when_its_lease_runs_out(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """A request that died holding its key (the Lambda timed out after Stripe refunded:
    nothing recorded on the key): after its lease the key is not taken over for a refund,
    as it is for a settings save."""
    from chalicelib.services.payments import fees
    from chalicelib.store import saves

    booking = paid_booking(pay_client, stripe_env)
    real_view, real_done = fees.money_view, saves.done

    def dies(*args, **kw):
        monkeypatch.setattr(saves, "done", lambda *a, **k: None)  # it dies: nothing more is written
        raise RuntimeError("the Lambda timed out")

    monkeypatch.setattr(fees, "money_view", dies)
    asked = {"amount_cents": 1000, "reason": "Goodwill"}
    key = {"Idempotency-Key": "refund-died"}
    assert desk.post(refund_path(booking), asked, headers=key)[0] == 500
    monkeypatch.setattr(fees, "money_view", real_view)
    monkeypatch.setattr(saves, "done", real_done)
    status, body = desk.post(refund_path(booking), asked, headers=key)
    assert status == 409 and body["error"]["code"] == "save_in_progress", body  # its lease still runs
    frozen_now["now"] += timedelta(seconds=61)
    status, body = desk.post(refund_path(booking), asked, headers=key)
    assert status == 409 and body["error"]["code"] == "outcome_unknown", body
    assert stripe_and_rebook_agree(stripe_env, aws, desk, booking) == 1000
