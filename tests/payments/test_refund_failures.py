"""A refund Stripe took and failed later (refund.failed; refund.updated or
charge.refund.updated with status failed or canceled), told by a signed webhook: the
money is hers again and not back — the booking's payment `refund_failed`, the owner's
list of failures and the alarm's metric — once per event, and the owner's own refund
settles it. Events about refunds that are not ours are acknowledged and change nothing."""

from __future__ import annotations

import pytest

from tests.admin.helpers import Desk
from tests.payments.test_fees import money_of, paid_booking, refunds_to_make
from tests.payments.test_owed_refunds import cancel_by_her, refunds_at_stripe
from tests.payments.test_pay_flow import DEPOSIT
from tests.payments.test_webhooks import deliver, event
from tests.webhooks.test_money_events import webhook_events

PART = 770


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


@pytest.fixture
def alarms(monkeypatch):
    """The outcomes counted on the message metrics (failed: the alarm's)."""
    from chalicelib.services.payments import fees

    counted: list[tuple[str, str, str]] = []
    monkeypatch.setattr(fees, "count_message", lambda *a: counted.append(a))
    return counted


def failed_alarms(counted: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The outcomes the alarm counts (an owner's refund made is counted `sent` too: it is
    made as an owed refund, fees.refund)."""
    return [c for c in counted if c[0] == "failed"]


def failed_at_stripe(refund: dict, status: str = "failed") -> dict:
    return {**refund, "status": status, "failure_reason": "expired_or_canceled_card"}


def failures_of(desk, booking) -> list[dict]:
    status, failed = desk.get("/messages/failed")
    assert status == 200, failed
    return [m for m in failed["messages"] if m["appointment_id"] == booking["id"]]


def test_an_owners_refund_that_fails_later_is_hers_again_until_the_owner_refunds_it(
    pay_client, stripe_env, aws, desk, alarms
):
    booking = paid_booking(pay_client, stripe_env)
    status, _ = desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": PART, "reason": "late start"})
    assert status == 200
    [refund] = refunds_at_stripe(stripe_env, aws, booking)
    assert refund["metadata"] == {"business_id": aws.id, "booking_id": booking["id"], "ref": f"n0-{PART}"}

    failed = event("evt_refund_failed_1", "refund.failed", failed_at_stripe(refund))
    assert deliver(pay_client, failed) == (200, {"received": True, "applied": True})
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refunded_cents"], owners["refund_failed_cents"]) == ("refund_failed", 0, PART)
    [item] = failures_of(desk, booking)
    assert item["kind"] == "refund_owed" and "expired_or_canceled_card" in item["error"]
    assert failed_alarms(alarms) == [("failed", "stripe", "refund_owed")]
    assert refunds_to_make(desk) == [(booking["id"], PART, "refund_failed")]  # on the owner's list, with its amount
    # Her card says the refund failed; the KPIs no longer count it as given back.
    _, visit = desk.get(f"/appointments/{booking['id']}")
    _, card = desk.get(f"/clients/{visit['client']['id']}")
    assert [(m["kind"], m["state"]) for m in card["payments"]] == [
        ("deposit", "succeeded"),
        (f"refund-n0-{PART}", "failed"),
    ]

    # The same event again, or Stripe's other word for it: nothing more.
    assert deliver(pay_client, failed) == (200, {"received": True, "applied": False})
    updated = event("evt_refund_failed_2", "charge.refund.updated", failed_at_stripe(refund))
    assert deliver(pay_client, updated) == (200, {"received": True, "applied": False})
    assert money_of(desk, booking)["refund_failed_cents"] == PART
    assert len(failures_of(desk, booking)) == 1 and len(failed_alarms(alarms)) == 1
    # The integrations heard of the refund, then once of its failure (with its amount).
    told = [(e["type"], e["data"]["amount_cents"]) for e in webhook_events(aws.id) if e["type"].startswith("payment.")]
    assert told.count(("payment.refunded", PART)) == 1 and told.count(("payment.refund_failed", PART)) == 1, told

    # The owner gives it back again: a new refund at Stripe (not the failed one's answer).
    status, again = desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": PART, "reason": "again"})
    assert status == 200, again
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refunded_cents"], owners["refund_failed_cents"]) == ("paid", PART, 0)
    assert [r["amount"] for r in refunds_at_stripe(stripe_env, aws, booking)] == [PART, PART]
    assert refunds_to_make(desk) == []


def test_a_cancellations_refund_canceled_at_stripe_is_the_owners_to_settle(
    pay_client, stripe_env, aws, desk, frozen_now, alarms
):
    booking = paid_booking(pay_client, stripe_env)
    assert cancel_by_her(pay_client, booking)[0] == 200
    assert money_of(desk, booking)["mark"] == "refunded"
    [refund] = refunds_at_stripe(stripe_env, aws, booking)

    canceled = event("evt_refund_canceled", "refund.updated", failed_at_stripe(refund, "canceled"))
    assert deliver(pay_client, canceled) == (200, {"received": True, "applied": True})
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refunded_cents"], owners["refund_failed_cents"]) == ("refund_failed", 0, DEPOSIT)
    [item] = failures_of(desk, booking)
    assert item["key"] == f"{booking['id']}#refund#cancel" and item["kind"] == "refund_owed"
    assert ("failed", "stripe", "refund_owed") in alarms
    assert refunds_to_make(desk) == [(booking["id"], DEPOSIT, "refund_failed")]

    status, refund_again = desk.post(f"/appointments/{booking['id']}/refund", {"reason": "canceled at Stripe"})
    assert status == 200 and refund_again["amount_cents"] == DEPOSIT
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refunded_cents"], owners["refund_failed_cents"]) == ("refunded", DEPOSIT, 0)
    assert refunds_to_make(desk) == []


def test_refund_events_that_change_nothing_are_acknowledged(pay_client, stripe_env, aws, desk, alarms):
    booking = paid_booking(pay_client, stripe_env)
    desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": PART, "reason": "late start"})
    [refund] = refunds_at_stripe(stripe_env, aws, booking)
    # A pending refund that went through: as recorded.
    done = event("evt_refund_done", "refund.updated", {**refund, "status": "succeeded"})
    assert deliver(pay_client, done)[0] == 200
    # A refund of a booking that is not ours.
    unknown = {**refund, "metadata": {"business_id": aws.id, "booking_id": "no-such-booking"}}
    assert deliver(pay_client, event("evt_refund_unknown", "refund.failed", failed_at_stripe(unknown))) == (
        200,
        {"received": True, "applied": False},
    )
    owners = money_of(desk, booking)
    assert (owners["refunded_cents"], owners["refund_failed_cents"]) == (PART, 0)
    assert failures_of(desk, booking) == [] and failed_alarms(alarms) == []


def test_settling_a_failed_refund_is_a_new_refund_even_when_the_figures_recur(pay_client, stripe_env, aws, desk):
    """A reviewer's: two refunds of 5,00 €, the first fails at Stripe; the refunded figure
    is back where it stood before the second, so a key made of the figures named the second
    refund again and the owner's settling refund was answered "made already" (with real
    Stripe: the old refund, nothing to her)."""
    booking = paid_booking(pay_client, stripe_env)
    path = f"/appointments/{booking['id']}/refund"
    from chalicelib.store import payments

    made = [desk.post(path, {"amount_cents": 500, "reason": "late start"}) for _ in range(2)]
    assert [status for status, _ in made] == [200, 200], made
    record = payments.get_money(aws.id, booking["id"], made[0][1]["kind"])  # the first of the two fails
    assert record is not None
    [first] = [r for r in refunds_at_stripe(stripe_env, aws, booking) if r["id"] == record.intent]
    assert deliver(pay_client, event("evt_refund_failed_5", "refund.failed", failed_at_stripe(first)))[1]["applied"]
    owners = money_of(desk, booking)
    assert (owners["refunded_cents"], owners["refund_failed_cents"]) == (500, 500)
    status, settled = desk.post(path, {"amount_cents": 500, "reason": "again"})
    assert status == 200, settled
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refunded_cents"], owners["refund_failed_cents"]) == ("paid", 1000, 0)
    assert len(refunds_at_stripe(stripe_env, aws, booking)) == 3  # each a refund of its own


def test_her_cancellation_after_a_failed_refund_gives_it_back_too(pay_client, stripe_env, aws, desk, frozen_now):
    """The failed 7,70 € is hers again, and her cancellation in the free window refunds all
    she paid: the failure is settled by it, not left on the owner's list."""
    booking = paid_booking(pay_client, stripe_env)
    assert desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": PART, "reason": "late start"})[0] == 200
    [refund] = refunds_at_stripe(stripe_env, aws, booking)
    assert deliver(pay_client, event("evt_refund_failed_6", "refund.failed", failed_at_stripe(refund)))[1]["applied"]
    assert refunds_to_make(desk) == [(booking["id"], PART, "refund_failed")]
    assert cancel_by_her(pay_client, booking)[0] == 200
    owners = money_of(desk, booking)
    assert (owners["refunded_cents"], owners["refund_failed_cents"]) == (DEPOSIT, 0), owners
    assert owners["mark"] != "refund_failed", owners
    # Off the owner's refunds to make, its pointer gone with the cancellation that settled it.
    from chalicelib.store import payments

    assert payments.refunds_due(aws.id) == [] and refunds_to_make(desk) == []


def test_a_failure_told_before_the_refund_is_recorded_is_applied_when_stripe_sends_it_again(
    pay_client, stripe_env, aws, desk, monkeypatch
):
    """A reviewer's: Stripe failed the refund and said so between making it and Rebook's
    write of it. Acknowledged then, the failure was lost and the refund recorded as made.
    Now Stripe is answered 503 (it sends the event again) and the later delivery applies."""
    from chalicelib.services.payments.stripe_account import Account

    booking = paid_booking(pay_client, stripe_env)
    real = Account.refund
    early: list[tuple[dict, tuple]] = []

    def refund_then_failed(self, booking_id, intent_id, amount_cents, ref, **kw):
        made = real(self, booking_id, intent_id, amount_cents, ref, **kw)
        if not early:  # Stripe fails it before Rebook has written it
            failed = event("evt_refund_early", "refund.failed", failed_at_stripe(made.to_dict()))
            early.append((failed, deliver(pay_client, failed)))
        return made

    monkeypatch.setattr(Account, "refund", refund_then_failed)
    assert desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": PART, "reason": "late start"})[0] == 200
    [(failed, answer)] = early
    assert answer[0] == 503 and answer[1]["error"]["code"] == "refund_not_recorded_yet", answer
    assert money_of(desk, booking)["refund_failed_cents"] == 0  # as recorded, until Stripe asks again
    assert deliver(pay_client, failed) == (200, {"received": True, "applied": True})
    owners = money_of(desk, booking)
    assert (owners["refunded_cents"], owners["refund_failed_cents"]) == (0, PART)


def test_a_failed_goodwill_refund_after_her_late_cancel_is_still_held_against_the_fee(
    pay_client, stripe_env, aws, desk, frozen_now
):
    """Cancelled late (deposit 47,70 € kept, late fee 79,50 €: 31,80 € more), the owner's
    goodwill refund of the deposit fails at Stripe: the salon still holds the 47,70 €, so the
    fee still takes only 31,80 € — never more held than the fee of her terms."""
    from datetime import UTC, datetime

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = datetime(2026, 11, 25, 6, tzinfo=UTC)  # 8:00 on the day: late
    assert desk.post(f"/appointments/{booking['id']}/cancel", {"by": "client", "notify": False})[0] == 200
    assert money_of(desk, booking)["chargeable_cents"] == {"late_cancel": 7950 - DEPOSIT}
    assert desk.post(f"/appointments/{booking['id']}/refund", {"reason": "goodwill"})[0] == 200
    [refund] = refunds_at_stripe(stripe_env, aws, booking)
    assert deliver(pay_client, event("evt_goodwill_failed", "refund.failed", failed_at_stripe(refund)))[0] == 200
    assert money_of(desk, booking)["chargeable_cents"] == {"late_cancel": 7950 - DEPOSIT}
    status, fee = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "late_cancel"})
    assert (status, fee["amount_cents"]) == (200, 7950 - DEPOSIT), fee
    pay = money_of(desk, booking)
    assert pay["paid_cents"] - pay["refunded_cents"] == 7950
