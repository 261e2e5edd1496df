"""The payment events: a booking's money that went through tells the integrations, in the
money's own transaction (payment.refunded, fee.charged, payment.succeeded); money still
open or waived tells nothing, and a fee paid later tells once."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain import webhooks as rules
from chalicelib.domain.payments import MoneyRecord

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def webhook_events(business_id: str) -> list[dict]:
    """Every webhook event the business's changes made (fanned out already or not), by type."""
    from chalicelib.store import keys, outbox, webhooks
    from chalicelib.store.models import MessageItem

    items = [
        outbox.to_message(i)
        for i in MessageItem.query(keys.biz(business_id), MessageItem.sk.startswith(keys.msg_sk("")))
    ]
    events = [e.as_dict() for m in items if m.kind == rules.WEBHOOK_EVENT for e in webhooks.events_of(m)]
    return sorted(events, key=lambda e: e["type"])


def _money(business_id: str, kind: str, state: str, cents: int) -> MoneyRecord:
    return MoneyRecord(business_id, "a0000001", "c0000001", kind, cents, state, NOW)


def test_money_that_went_through_is_told_once_by_its_kind_and_open_or_waived_money_is_not(aws):
    from chalicelib.store import payments

    payments.record_money(_money(aws.id, "refund-0-1500", "succeeded", 1500), NOW)
    payments.record_money(_money(aws.id, "deposit", "succeeded", 2000), NOW)
    payments.record_money(_money(aws.id, "no_show", "open", 3250), NOW)  # her bank asks her first
    payments.record_money(_money(aws.id, "late_cancel", "open", 1000), NOW)
    assert [(e["type"], e["data"]["kind"], e["data"]["amount_cents"]) for e in webhook_events(aws.id)] == [
        ("payment.refunded", "refund", 1500),
        ("payment.succeeded", "deposit", 2000),
    ]
    assert payments.settle_money(_money(aws.id, "no_show", "open", 3250), "succeeded", NOW)
    assert payments.settle_money(_money(aws.id, "late_cancel", "open", 1000), "waived", NOW)
    assert not payments.settle_money(_money(aws.id, "no_show", "open", 3250), "succeeded", NOW)  # once
    told = webhook_events(aws.id)
    assert [(e["type"], e["data"]["kind"]) for e in told] == [
        ("fee.charged", "no_show"),
        ("payment.refunded", "refund"),
        ("payment.succeeded", "deposit"),
    ]
    base = {"booking_id", "client_id", "kind", "amount_cents", "currency"}
    assert [set(e["data"]) - base for e in told] == [{"fee_key"}, set(), set()]  # the fee's round: no_show
    assert {e["data"]["currency"] for e in told} == {aws.config.currency}  # the business's, as it is charged


def test_amounts_carry_the_business_currency_and_other_events_none(aws, monkeypatch):
    """Each event with an amount says its currency: the business's configuration's (read
    from the cache the change itself used), never a constant."""
    from dataclasses import replace

    from chalicelib.domain.booking import Appointment
    from chalicelib.store import businesses, webhooks
    from chalicelib.store.models import MessageItem
    from chalicelib.store.tx import Tx

    # A currency only a future configuration would allow: whatever is configured is told.
    crowns = replace(aws, config=aws.config.model_copy(update={"currency": "SEK"}))
    monkeypatch.setattr(businesses, "get_by_id", lambda business_id, fresh=False: crowns)
    appt = Appointment(
        "a0000002", aws.id, "c0000001", "womens-cut", "aino", NOW, NOW, NOW, "booked", 6500, "fi", NOW, NOW
    )
    tx = Tx(MessageItem)
    made = [
        rules.booking_created(appt, NOW),
        rules.money_recorded(_money(aws.id, "deposit", "succeeded", 2000), NOW),
        rules.client_created(aws.id, "c0000001", "web", NOW),
    ]
    webhooks.emit(tx, aws.id, made, NOW)
    tx.commit()
    told = {e["type"]: e["data"] for e in webhook_events(aws.id)}
    assert told["booking.created"]["currency"] == "SEK" and told["booking.created"]["price_cents"] == 6500
    assert told["payment.succeeded"]["currency"] == "SEK"
    assert "currency" not in told["client.created"]


def money_event_schema() -> dict:
    """docs/openapi.yaml's WebhookMoneyEventData, for jsonschema (no $refs in it)."""
    from tests.contract.fuzzing import document

    return document()["components"]["schemas"]["WebhookMoneyEventData"]


def test_a_fee_refund_says_which_fee_and_a_deposit_refund_says_none(aws):
    """payment.refunded names the fee it gave back (the owner's refund of it, settling one
    that failed, a no-show undone), as the schema documents; a deposit's refund names none."""
    import jsonschema

    from chalicelib.store import payments

    payments.record_money(_money(aws.id, "refund-fee-no_show", "succeeded", 11130), NOW)
    payments.record_money(_money(aws.id, "refund-fee-late_cancel-n2", "succeeded", 2385), NOW)
    payments.record_money(_money(aws.id, "refund-cancel", "succeeded", 4770), NOW)
    payments.record_money(_money(aws.id, "no_show", "succeeded", 11130), NOW)
    told = webhook_events(aws.id)
    refunds = sorted((e["data"]["amount_cents"], e["data"].get("fee")) for e in told if e["type"] == "payment.refunded")
    assert refunds == [(2385, "late_cancel"), (4770, None), (11130, "no_show")]
    for e in told:
        jsonschema.validate(e["data"], money_event_schema())


def test_each_round_of_a_fee_is_told_apart_by_its_key(aws):
    """A no-show undone (its fee given back) and marked again is charged anew: fee.charged
    and payment.refunded say which round (`fee_key`, as the owner's API, her records and
    the pay link name it), with the fee's kind as before."""
    import jsonschema

    from chalicelib.store import payments

    payments.record_money(_money(aws.id, "no_show", "succeeded", 11130), NOW)
    payments.record_money(_money(aws.id, "refund-fee-no_show", "succeeded", 11130), NOW)
    payments.record_money(_money(aws.id, "no_show.r1", "succeeded", 11130), NOW)
    payments.record_money(_money(aws.id, "refund-fee-no_show.r1-n2", "succeeded", 11130), NOW)
    told = webhook_events(aws.id)
    assert sorted((e["type"], e["data"]["kind"], e["data"].get("fee"), e["data"]["fee_key"]) for e in told) == [
        ("fee.charged", "no_show", None, "no_show"),
        ("fee.charged", "no_show", None, "no_show.r1"),
        ("payment.refunded", "refund", "no_show", "no_show"),
        ("payment.refunded", "refund", "no_show", "no_show.r1"),
    ]
    for e in told:
        jsonschema.validate(e["data"], money_event_schema())
