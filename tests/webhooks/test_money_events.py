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
    assert all(set(e["data"]) == {"booking_id", "client_id", "kind", "amount_cents"} for e in told)  # ids only
