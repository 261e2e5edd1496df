"""Marketing messages (win-back, birthday): found through their indexes, written with
the client's cap and consent checked in the same transaction, and unsubscribes."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.messages import PlannedMessage
from chalicelib.store import db, keys
from chalicelib.store.bookings import message_item
from chalicelib.store.clients import rekey
from chalicelib.store.models import ClientItem, ConsentMap, MessageItem
from chalicelib.store.tx import Tx, TxFailed


class NotAllowed(Exception):
    """No consent any more, erased, capped, or the state moved on: nothing was written."""


class AlreadySent(Exception):
    """This exact message exists already (a repeated or concurrent run)."""


def lapsing_on(day: str):
    """Clients whose win-back step is due on `day`, across businesses: g4 per shard."""
    db.configure()
    for bucket in keys.day_buckets("LAPSE", day):
        yield from ClientItem.by_lapse_day.query(bucket)


def birthdays_on(month_day: str):
    """Clients with a birthday on MM-DD, across businesses: g5 per shard."""
    db.configure()
    for bucket in keys.day_buckets("BDAY", month_day):
        yield from ClientItem.by_birthday.query(bucket)


def send(
    client: ClientItem, planned: PlannedMessage, now: datetime, cap_since: datetime, actions: list, condition, lease
) -> list[MessageItem]:
    """Put the message and update the client in one transaction, only if she still
    consents, is not erased, had no marketing since `cap_since` and `condition` holds."""
    tx = Tx(ClientItem)
    item = message_item(planned, now, claimed_for=lease)
    tx.put(item, "message", condition=MessageItem.pk.does_not_exist())
    allowed = (
        ClientItem.pk.exists()
        & ClientItem.erased_at.does_not_exist()
        & (ClientItem.marketing.granted == True)  # noqa: E712 (a DynamoDB condition)
        & (ClientItem.last_marketing_at.does_not_exist() | (ClientItem.last_marketing_at < cap_since))
    )
    if condition is not None:
        allowed &= condition
    tx.update(
        ClientItem(client.pk, client.sk), [ClientItem.last_marketing_at.set(now)] + actions, "client", condition=allowed
    )
    try:
        tx.commit()
    except TxFailed as err:
        if "message" in err.failed:
            raise AlreadySent() from err
        raise NotAllowed() from err
    return [item]


def move_lapse_step(client: ClientItem, day: str | None) -> None:
    """The client's next win-back step (None: the episode is over)."""
    rekey(client, "g4", keys.lapse_keys(client.business_id, client.client_id, day) if day else None)


def unsubscribe(business_id: str, client_id: str, now: datetime, source: str) -> None:
    """Withdraw marketing consent, recorded with time and source. Once: a second
    unsubscribe (a scanner, a double click) changes nothing."""
    from pynamodb.exceptions import UpdateError

    db.configure()
    consent = ConsentMap(granted=False, at=now, source=source)
    try:
        ClientItem(keys.biz(business_id), keys.client_sk(client_id)).update(
            actions=[
                ClientItem.marketing.set(consent),
                ClientItem.consent_log.set((ClientItem.consent_log | []).append([consent])),
                ClientItem.g4pk.remove(),
                ClientItem.g4sk.remove(),
            ],
            condition=ClientItem.pk.exists()
            & ClientItem.erased_at.does_not_exist()
            & (ClientItem.marketing.granted == True),  # noqa: E712 (a DynamoDB condition)
        )
    except UpdateError:
        pass  # already unsubscribed, never consented, or erased: nothing to withdraw
