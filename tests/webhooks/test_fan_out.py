"""A bulk change's events (an import's client.created) are split over event items so
that each fans out in one transaction, even to the most endpoints a business may have (10)."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain import webhooks as rules

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_the_largest_fan_out_fits_one_transaction():
    assert 1 + rules.EVENTS_PER_ITEM * rules.MAX_ENDPOINTS <= 100  # DynamoDB's limit


def test_twenty_events_are_split_and_each_item_fans_out_once(aws):
    from chalicelib.store import outbox, webhooks
    from chalicelib.store.models import MessageItem
    from chalicelib.store.tx import Tx

    for n in range(2):
        webhooks.save_endpoint(
            rules.Endpoint(
                aws.id,
                f"ep{n}",
                f"https://hooks{n}.example.com/",
                ("client.created",),
                True,
                (rules.Secret(rules.new_secret()),),
                NOW,
                NOW,
            ),
            None,
        )
    tx = Tx(MessageItem)
    webhooks.emit(tx, aws.id, [rules.client_created(aws.id, f"c{n}", "import", NOW) for n in range(20)], NOW)
    assert len(tx) == 3  # 9 + 9 + 2 events
    tx.commit()
    items = [m for page in outbox.due_pages(NOW, NOW) for m in page.messages if m.kind == rules.WEBHOOK_EVENT]
    assert sorted(len(m.context["events"]) for m in items) == [2, 9, 9]
    endpoints = webhooks.endpoints(aws.id)
    made = [webhooks.fan_out(m, endpoints, NOW, rules.SCHEDULE[0]) for m in items]
    assert sorted(len(d or []) for d in made) == [4, 18, 18]
    assert all(webhooks.fan_out(m, endpoints, NOW, rules.SCHEDULE[0]) is None for m in items)  # once only
    assert [len(webhooks.delivery_log(aws.id, f"ep{n}", 100)) for n in range(2)] == [20, 20]


def test_a_batch_of_events_fans_out_in_few_transactions_and_each_item_once(aws, monkeypatch):
    """The stream's batch: many event items of one business share transactions (at most
    100 actions each: 10 here, to keep moto quick); an item another sender fanned out
    first is left alone, the others are fanned out all the same, nothing twice."""
    from chalicelib.store import outbox, webhooks
    from chalicelib.store.models import MessageItem
    from chalicelib.store.tx import Tx
    from tests.conftest import dynamodb_calls

    webhooks.save_endpoint(
        rules.Endpoint(
            aws.id, "ep0", "https://hooks.example.com/", ("client.created",), True, (rules.Secret("whsec_x"),), NOW, NOW
        ),
        None,
    )
    monkeypatch.setattr(webhooks, "TX_ITEMS", 10)
    for n in range(12):
        tx = Tx(MessageItem)
        webhooks.emit(tx, aws.id, [rules.client_created(aws.id, f"c{n}", "web", NOW)], NOW)
        tx.commit()
    items = [m for page in outbox.due_pages(NOW, NOW) for m in page.messages if m.kind == rules.WEBHOOK_EVENT]
    assert len(items) == 12
    endpoints = webhooks.endpoints(aws.id)
    assert webhooks.fan_out(items[11], endpoints, NOW, rules.SCHEDULE[0])  # another sender got there first
    with dynamodb_calls() as calls:
        made = webhooks.fan_out_all(items, endpoints, NOW, rules.SCHEDULE[0])
    assert made[11] is None and all(len(d or []) == 1 for d in made[:11])
    # Items 0-4 (10 actions) in one transaction, 5-9 in another; 10-11 in a third, which
    # met item 11 and was redone item by item.
    assert calls == ["TransactWriteItems"] * (1 + 1 + 1 + 2)
    assert len(webhooks.delivery_log(aws.id, "ep0", 100)) == 12
    assert all(d is None for d in webhooks.fan_out_all(items, endpoints, NOW, rules.SCHEDULE[0]))  # once only
    assert len(webhooks.delivery_log(aws.id, "ep0", 100)) == 12
