"""Marketing messages (win-back, "time for your next visit", birthday, the owner's personal ones): found through
their indexes, written with the client's consent and cap checked in the same
transaction as the message, and unsubscribes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.domain.clients import Client, Consent
from chalicelib.domain.messages import Message, PlannedMessage
from chalicelib.domain.timeutil import iso_utc
from chalicelib.store import clients, db, keys, outbox
from chalicelib.store.models import ClientItem
from chalicelib.store.tx import Tx, TxFailed


class NotAllowed(Exception):
    """No consent any more, erased, capped, or the state moved on: nothing was written."""


class AlreadySent(Exception):
    """This exact message exists already (a repeated or concurrent run)."""


def lapsing_on(days: Iterable[date]) -> Iterator[Client]:
    """Clients whose win-back step is due on one of `days`, across businesses: g4 per
    day and shard."""
    buckets = [bucket for day in days for bucket in keys.day_buckets("LAPSE", day.isoformat())]
    for item in db.query_buckets(buckets, ClientItem.by_lapse_day.query):
        yield clients.to_client(item)


def birthdays_on(month_days: Iterable[str]) -> Iterator[Client]:
    """Clients with a birthday on one of `month_days` (MM-DD), across businesses: g5 per
    day and shard."""
    buckets = [bucket for md in month_days for bucket in keys.day_buckets("BDAY", md)]
    for item in db.query_buckets(buckets, ClientItem.by_birthday.query):
        yield clients.to_client(item)


def _send(
    c: Client,
    planned: PlannedMessage,
    now: datetime,
    cap_since: datetime,
    lease: timedelta,
    actions: list[Action],
    condition: Condition | None,
) -> list[Message]:
    """Put the message and update the client in one transaction, only if she still
    consents, is not erased, had no marketing since `cap_since` and `condition` holds."""
    tx = Tx(ClientItem)
    messages = outbox.queue(tx, [planned], now, lease)
    allowed = clients.consents_to_marketing() & (
        ClientItem.last_marketing_at.does_not_exist() | (ClientItem.last_marketing_at < cap_since)
    )
    if condition is not None:
        allowed &= condition
    tx.update(clients.item_key(c), [ClientItem.last_marketing_at.set(now), *actions], "client", condition=allowed)
    try:
        tx.commit()
    except TxFailed as err:
        if "message" in err.failed:
            raise AlreadySent() from err
        raise NotAllowed() from err
    return messages


def send_winback(
    c: Client,
    planned: PlannedMessage,
    now: datetime,
    cap_since: datetime,
    lease: timedelta,
    *,
    episode: str,
    sent_before: int,
    next_step: date | None,
) -> list[Message]:
    """Win-back message number `sent_before + 1` of the episode, recorded on the client
    (the KPIs credit her next booking to it) with her next step (None: the last one) and
    the last visit her absence began with — only if her episode, count and last visit are
    still what the job read."""
    n = sent_before + 1
    step = keys.lapse_keys(c.business_id, c.id, next_step.isoformat()) if next_step else None
    began = c.last_visit_at  # the absence's start: the same episode again if her return is undone
    actions = [
        ClientItem.winback_episode.set(episode),
        ClientItem.winback_visit.set(began) if began else ClientItem.winback_visit.remove(),
        ClientItem.winback_sent.set(n),
        ClientItem.winback_log.set((ClientItem.winback_log | []).append([iso_utc(now)])),
        *clients.kpi_changed(c.business_id, c.id, now),
        ClientItem.g4pk.set(step[0]) if step else ClientItem.g4pk.remove(),
        ClientItem.g4sk.set(step[1]) if step else ClientItem.g4sk.remove(),
    ]
    same_state = (
        (ClientItem.lapsed_on == episode)
        & ((ClientItem.last_visit_at == began) if began else ClientItem.last_visit_at.does_not_exist())
        & (
            ClientItem.winback_sent.does_not_exist()
            | (ClientItem.winback_episode != episode)
            | (ClientItem.winback_sent == sent_before)
        )
    )
    return _send(c, planned, now, cap_since, lease, actions, same_state)


def send_nudge(
    c: Client,
    planned: PlannedMessage,
    now: datetime,
    cap_since: datetime,
    lease: timedelta,
    *,
    last_visit: datetime,
) -> list[Message]:
    """ "Time for your next visit", once per last visit, recorded on the client (the KPIs
    credit her next booking to it) — only if her last visit is still the one the job read."""
    actions = [
        ClientItem.nudged_for.set(last_visit),
        ClientItem.nudge_log.set((ClientItem.nudge_log | []).append([iso_utc(now)])),
        *clients.kpi_changed(c.business_id, c.id, now),
    ]
    same_visit = (ClientItem.last_visit_at == last_visit) & (
        ClientItem.nudged_for.does_not_exist() | (ClientItem.nudged_for != last_visit)
    )
    return _send(c, planned, now, cap_since, lease, actions, same_visit)


def send_birthday(
    c: Client, planned: PlannedMessage, now: datetime, cap_since: datetime, lease: timedelta, *, year: int
) -> list[Message]:
    """This year's birthday greeting, once a year."""
    once_a_year = ClientItem.birthday_greeted.does_not_exist() | (ClientItem.birthday_greeted < year)
    return _send(c, planned, now, cap_since, lease, [ClientItem.birthday_greeted.set(year)], once_a_year)


def send_personal(
    c: Client, planned: PlannedMessage, now: datetime, cap_since: datetime, lease: timedelta
) -> list[Message]:
    """The owner's own words, under the same consent and cap as every marketing message."""
    return _send(c, planned, now, cap_since, lease, [], None)


def unsubscribe(business_id: str, client_id: str, now: datetime, source: str) -> None:
    """Withdraw marketing consent, recorded with time and source. Once: a second
    unsubscribe (a scanner, a double click) changes nothing (nor one never consented, or erased)."""
    _consent_changed(
        business_id,
        client_id,
        Consent(granted=False, at=now, source=source),
        [ClientItem.g4pk.remove(), ClientItem.g4sk.remove()],  # no win-back step due any more
        clients.consents_to_marketing(),
    )


def resubscribe(business_id: str, client_id: str, now: datetime, source: str) -> None:
    """Give marketing consent again (she changed her mind on the unsubscribe page),
    recorded with time and source as any consent. Once: consenting already, or erased,
    changes nothing."""
    _consent_changed(
        business_id,
        client_id,
        Consent(granted=True, at=now, source=source),
        [],
        clients.unerased() & ~clients.consents_to_marketing(),
    )


def _consent_changed(
    business_id: str, client_id: str, consent: Consent, more: list[Action], condition: Condition
) -> None:
    """Her consent as `consent` (and appended to her log) with its client.updated webhook
    event, if `condition` holds; else nothing is written."""
    from chalicelib.domain.webhooks import client_updated
    from chalicelib.store import webhooks

    tx = Tx(ClientItem)
    tx.update(
        ClientItem(keys.biz(business_id), keys.client_sk(client_id)),
        [*clients.consent_actions(clients.consent_map(consent)), *more],
        "client",
        condition=condition,
    )
    now = consent.at
    webhooks.emit(tx, business_id, [client_updated(client_id, ["marketing_consent"], now)], now, client_id)
    try:
        tx.commit()
    except TxFailed:
        pass  # the consent was already so, or she is erased: nothing to change
