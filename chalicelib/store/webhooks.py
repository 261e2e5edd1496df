"""Webhook endpoints and the outbox items that carry events to them.

An event rides in the transaction of the change it reports: `emit` adds ONE outbox
item (kind webhook_event, pending, due now) holding every event of that change, so the
booking path makes no extra DynamoDB request. The sender claims it like any message and
`fan_out` turns it, in one transaction, into one delivery item per endpoint that wants
each event (kind webhook_delivery, keyed by event and endpoint: exactly once), which the
outbox stream and the sweeper then send, retry and record like any message. Each
delivery is on its endpoint's log (g1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.domain.config import BusinessConfig
from chalicelib.domain.messages import Message, MessageStatus, PlannedMessage, queued
from chalicelib.domain.timeutil import iso_utc, parse_utc
from chalicelib.domain.webhooks import (
    CHANNEL,
    EVENTS_PER_ITEM,
    NOTHING_SENT_KEPT,
    WEBHOOK_DELIVERY,
    WEBHOOK_EVENT,
    Endpoint,
    Event,
    Secret,
    with_currency,
)
from chalicelib.store import db, keys, outbox
from chalicelib.store.models import MessageItem, WebhookEndpointItem
from chalicelib.store.tx import Tx, TxFailed

_PENDING = MessageStatus.PENDING.value


class EndpointChanged(Exception):
    """The endpoint moved on (or went) since it was read."""


# --- endpoints ----------------------------------------------------------------------------
def _to_endpoint(i: WebhookEndpointItem) -> Endpoint:
    return Endpoint(
        business_id=i.pk.removeprefix("BIZ#"),
        id=i.sk.removeprefix(keys.WEBHOOK_PREFIX),
        url=i.url,
        events=tuple(str(e) for e in i.events or ()),
        enabled=bool(i.enabled),
        secrets=tuple(
            Secret(s["value"], parse_utc(s["expires_at"]) if s.get("expires_at") else None) for s in i.secrets or []
        ),
        created_at=i.created_at,
        updated_at=i.updated_at,
        description=i.description or "",
        failing_since=i.failing_since,
        disabled_reason=i.disabled_reason,
        version=int(i.v or 0),
    )


def _to_item(e: Endpoint) -> WebhookEndpointItem:
    return WebhookEndpointItem(
        keys.biz(e.business_id),
        keys.webhook_sk(e.id),
        url=e.url,
        events=list(e.events),
        enabled=e.enabled,
        secrets=[{"value": s.value, "expires_at": iso_utc(s.expires_at) if s.expires_at else None} for s in e.secrets],
        description=e.description or None,
        created_at=e.created_at,
        updated_at=e.updated_at,
        failing_since=e.failing_since,
        disabled_reason=e.disabled_reason,
        v=e.version,
    )


def endpoints(business_id: str) -> list[Endpoint]:
    """The business's endpoints: one Query."""
    db.configure()
    found = WebhookEndpointItem.query(
        keys.biz(business_id), WebhookEndpointItem.sk.startswith(keys.WEBHOOK_PREFIX), consistent_read=True
    )
    return [_to_endpoint(i) for i in found]


def get_endpoint(business_id: str, endpoint_id: str) -> Endpoint | None:
    db.configure()
    try:
        return _to_endpoint(
            WebhookEndpointItem.get(keys.biz(business_id), keys.webhook_sk(endpoint_id), consistent_read=True)
        )
    except WebhookEndpointItem.DoesNotExist:
        return None


def save_endpoint(e: Endpoint, read_version: int | None) -> Endpoint:
    """Write the endpoint: new (`read_version` None) or over the version read."""
    db.configure()
    saved = replace(e, version=0 if read_version is None else read_version + 1)
    condition = (
        WebhookEndpointItem.pk.does_not_exist() if read_version is None else WebhookEndpointItem.v == read_version
    )
    try:
        _to_item(saved).save(condition=condition)
    except PutError as err:
        raise EndpointChanged() from err
    return saved


def delete_endpoint(business_id: str, endpoint_id: str) -> bool:
    db.configure()
    try:
        WebhookEndpointItem(keys.biz(business_id), keys.webhook_sk(endpoint_id)).delete(
            condition=WebhookEndpointItem.pk.exists()
        )
    except DeleteError:
        return False
    return True


def note_failure(e: Endpoint, now: datetime) -> datetime:
    """Remember since when the endpoint fails (the first failure after a success); that time."""
    db.configure()
    item = WebhookEndpointItem(keys.biz(e.business_id), keys.webhook_sk(e.id))
    try:
        item.update(
            actions=[WebhookEndpointItem.failing_since.set(WebhookEndpointItem.failing_since | now)],
            condition=WebhookEndpointItem.pk.exists(),
        )
    except UpdateError:
        return now  # deleted meanwhile
    return item.failing_since or now


def note_success(e: Endpoint) -> None:
    """It answers again: no longer failing (a write only when it was)."""
    if e.failing_since is None:
        return
    db.configure()
    try:
        WebhookEndpointItem(keys.biz(e.business_id), keys.webhook_sk(e.id)).update(
            actions=[WebhookEndpointItem.failing_since.remove()],
            condition=WebhookEndpointItem.failing_since.exists(),
        )
    except UpdateError:
        pass


def disable(e: Endpoint, reason: str, now: datetime, alert: PlannedMessage | None) -> bool:
    """Switch the endpoint off (if still on) and, in the same transaction, put the
    owner's email in the outbox: only the caller that switched it off tells her."""
    tx = Tx(WebhookEndpointItem)
    tx.update(
        WebhookEndpointItem(keys.biz(e.business_id), keys.webhook_sk(e.id)),
        [
            WebhookEndpointItem.enabled.set(False),
            WebhookEndpointItem.disabled_reason.set(reason),
            WebhookEndpointItem.updated_at.set(now),
            WebhookEndpointItem.v.add(1),
        ],
        "endpoint",
        condition=WebhookEndpointItem.enabled == True,  # noqa: E712 (a DynamoDB condition)
    )
    if alert is not None:
        outbox.queue(tx, [alert], now, role="alert")
    try:
        tx.commit()
    except TxFailed:
        return False
    return True


# --- events -------------------------------------------------------------------------------
def event_planned(
    business_id: str, events: Sequence[Event | None], now: datetime, client_id: str | None = None
) -> PlannedMessage:
    """A change's events (at most EVENTS_PER_ITEM) as one planned outbox message: what
    `emit` puts, or what a booking's plan carries (store/outbox.expand_plan); the
    amounts in the business's currency either way."""
    found = priced(business_id, [e for e in events if e is not None])
    return PlannedMessage(
        key=f"wh#{found[0].id}",
        kind=WEBHOOK_EVENT,
        channel=CHANNEL,
        recipient="endpoints",
        locale="en",
        context={"events": [e.as_dict() for e in found]},
        due_at=now,
        business_id=business_id,
        client_id=client_id,  # on her timeline: the GDPR export lists where it went
    )


def _event_message(business_id: str, events: Sequence[Event], now: datetime, client_id: str | None) -> Message:
    return queued(event_planned(business_id, events, now, client_id), now)


def emit(tx: Tx, business_id: str, events: Sequence[Event | None], now: datetime, client_id: str | None = None) -> None:
    """Put the change's events into the outbox inside its transaction `tx`: one item (a
    bulk change such as an import's: one per EVENTS_PER_ITEM events, so that each fans
    out in one transaction)."""
    found = [e for e in events if e is not None]
    for i in range(0, len(found), EVENTS_PER_ITEM):
        m = _event_message(business_id, found[i : i + EVENTS_PER_ITEM], now, client_id)
        tx.put(outbox.to_item(m), "webhook-event", condition=MessageItem.pk.does_not_exist())


def priced(business_id: str, events: Sequence[Event]) -> list[Event]:
    """The events, those with an amount carrying the business's currency: every event
    item's events go through here before they are written."""
    if not any("price_cents" in e.data or "amount_cents" in e.data for e in events):
        return list(events)
    currency = _currency(business_id)
    return [with_currency(e, currency) for e in events]


def _currency(business_id: str) -> str:
    """The business's currency, from the container's cache of its configuration (the
    change that emits money read it moments ago: no extra request on its path)."""
    from chalicelib.store import businesses

    b = businesses.get_by_id(business_id)
    return b.config.currency if b is not None else BusinessConfig.model_fields["currency"].default


def events_of(m: Message) -> list[Event]:
    return [Event.from_dict(d) for d in m.context.get("events", [])]


def delivery_key(event_id: str, endpoint_id: str) -> str:
    return f"wh#{event_id}#{endpoint_id}"


def _delivery(
    business_id: str, event: Event, endpoint_id: str, key: str, now: datetime, lease: timedelta | None = None
) -> Message:
    return queued(
        PlannedMessage(
            key=key,
            kind=WEBHOOK_DELIVERY,
            channel=CHANNEL,
            recipient=endpoint_id,
            locale="en",
            context={"event": event.as_dict()},
            due_at=now,
            business_id=business_id,
        ),
        now,
        lease,
    )


def _deliveries(m: Message, to: Sequence[Endpoint], now: datetime, lease: timedelta) -> list[Message]:
    return [
        _delivery(m.business_id, ev, e.id, delivery_key(ev.id, e.id), now, lease)
        for ev in events_of(m)
        for e in to
        if e.wants(ev.type)
    ]


TX_ITEMS = 100  # DynamoDB's most actions in one transaction


def fan_out_all(
    ms: Sequence[Message], to: Sequence[Endpoint], now: datetime, lease: timedelta
) -> list[list[Message] | None]:
    """Several pending event items of one business (a stream batch's) fanned out as
    `fan_out` does each, as few transactions as fit (each all or nothing, every event item
    in it conditioned on being pending as read): a busy business's events cost one
    transaction per ~50 deliveries, not one each. A transaction that another sender
    got in the way of is redone one event item at a time, so each item is fanned out once.
    Each item's deliveries, None for an item another sender fanned out first."""
    out: list[list[Message] | None] = []
    chunk: list[tuple[Message, list[Message]]] = []

    def flush() -> None:
        if not chunk:
            return
        if len(chunk) == 1:
            out.append(fan_out(chunk[0][0], to, now, lease, chunk[0][1]))
        else:
            tx = Tx(MessageItem)
            for m, deliveries in chunk:
                _fan_out_into(tx, m, to, deliveries, now)
            try:
                tx.commit()
                out.extend(deliveries for _, deliveries in chunk)
            except TxFailed:
                out.extend(fan_out(m, to, now, lease, deliveries) for m, deliveries in chunk)
        chunk.clear()

    size = 0
    for m in ms:
        deliveries = _deliveries(m, to, now, lease)
        if size + 1 + len(deliveries) > TX_ITEMS:
            flush()
            size = 0
        chunk.append((m, deliveries))
        size += 1 + len(deliveries)
    flush()
    return out


def fan_out(
    m: Message, to: Sequence[Endpoint], now: datetime, lease: timedelta, deliveries: list[Message] | None = None
) -> list[Message] | None:
    """The pending event item `m` becomes one delivery per endpoint that wants each of
    its events, in one transaction with the event marked done (the endpoints recorded on
    it) on the condition that it is still pending as read: no claim is needed, the
    transaction is all or nothing. The deliveries are written held by the caller for
    `lease` (it sends them at once; the sweeper after the lease if it could not). None if
    another sender did it first."""
    deliveries = _deliveries(m, to, now, lease) if deliveries is None else deliveries
    tx = Tx(MessageItem)
    _fan_out_into(tx, m, to, deliveries, now)
    try:
        tx.commit()
    except TxFailed:
        return None
    return deliveries


def _fan_out_into(tx: Tx, m: Message, to: Sequence[Endpoint], deliveries: Sequence[Message], now: datetime) -> None:
    """The event item marked done (on the condition it is still pending as read) and its
    deliveries put, in `tx`."""
    went_to = {e.id: e.url for e in to if any(d.recipient == e.id for d in deliveries)}
    actions: list[Action] = [
        MessageItem.status.set(MessageStatus.SENT.value),
        MessageItem.sent_at.set(now),
        MessageItem.attempts.add(1),
        MessageItem.endpoints.set(went_to),
        MessageItem.g3pk.remove(),
        MessageItem.g3sk.remove(),
    ]
    if not went_to:  # kept only while it says where a client's data went (the GDPR export)
        actions.append(MessageItem.expires_at.set(now + NOTHING_SENT_KEPT))
    tx.update(
        MessageItem(keys.biz(m.business_id), keys.msg_sk(m.key)),
        actions,
        "event",
        condition=(MessageItem.status == _PENDING) & (MessageItem.due_at == m.due_at),
    )
    for d in deliveries:
        tx.put(outbox.to_item(d), "delivery", condition=MessageItem.pk.does_not_exist())


# --- deliveries ---------------------------------------------------------------------------
def delivery_log(business_id: str, endpoint_id: str, limit: int) -> list[Message]:
    """The endpoint's deliveries, newest first: one Query on g1."""
    db.configure()
    found = MessageItem.failed_by_business.query(
        keys.delivery_log(business_id, endpoint_id), scan_index_forward=False, limit=limit
    )
    return [outbox.to_message(i) for i in found]


def replay(d: Message, now: datetime) -> Message:
    """A new delivery of the same event (the same webhook-id) to the same endpoint."""
    key = f"{d.key.split('#r')[0]}#r{int(now.timestamp() * 1000)}"
    again = _delivery(d.business_id, Event.from_dict(d.context["event"]), d.recipient, key, now)
    tx = Tx(MessageItem)
    tx.put(outbox.to_item(again), "delivery", condition=MessageItem.pk.does_not_exist())
    tx.commit()
    return again
