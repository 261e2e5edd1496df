"""The KPI aggregates: which clients changed, what each one last added to the period
counters (kept on her profile), and the transactions that move the counters.

Every write that changes what a client counts (a booking, a cancellation, a move, a
visit's outcome, a win-back message, a feedback request) marks her in the sparse index
g2 KPIB#<shard> inside the write it already does (chalicelib/store/clients.py
kpi_changed); the KPI sync job re-reads her history, and applies the difference to
the AGG# items in one transaction conditioned on the version of what she had added
before. Nothing ever reads every appointment.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from pynamodb.exceptions import UpdateError

from chalicelib.domain.clients import Client
from chalicelib.domain.kpis import COUNTERS, RATING_COUNTERS, STAFF_COUNTERS, STAFF_SEP, Counts
from chalicelib.store import clients, db, keys
from chalicelib.store.models import AggregateItem, ClientItem
from chalicelib.store.tx import Tx, TxFailed

TX_LIMIT = 100  # items in one DynamoDB transaction
KPI_COUNTERS = tuple(dict.fromkeys((*COUNTERS, *RATING_COUNTERS, *STAFF_COUNTERS)))


class Changed(Exception):
    """The client changed again (or another sync ran) meanwhile: sync her next time."""


def mark_changed(business_id: str, client_id: str, now: datetime) -> None:
    """Mark a client for the next sync, where no transaction on her profile is at hand."""
    db.configure()
    try:
        ClientItem(keys.biz(business_id), keys.client_sk(client_id)).update(
            actions=clients.kpi_changed(business_id, client_id, now), condition=clients.exists()
        )
    except UpdateError:
        pass  # no such client: nothing to count


def mark_all(business_id: str, now: datetime) -> int:
    """Mark every client of the business (erased ones too: their visits still count) for
    the next syncs, which recount them: after a change of what a contribution counts
    (the day and staff counters were added so). An operator's command, never a request:
    one Query of the business's clients, one write each."""
    db.configure()
    marked = 0
    for item in ClientItem.query(keys.biz(business_id), ClientItem.sk.startswith(keys.CLIENT_PREFIX), page_size=500):
        mark_changed(business_id, item.sk.removeprefix(keys.CLIENT_PREFIX), now)
        marked += 1
    return marked


def businesses_marked(until: datetime) -> list[str]:
    """The businesses with clients marked before `until` (the index is eventually
    consistent, so the job leaves the last seconds' marks for its next run): per shard,
    one Query of one item per business found and one that finds no more, the shards
    several at a time (db.query_buckets). Bounded by the businesses with work, never by
    their marks."""

    def marked_in(partition: str) -> Iterator[str]:
        after: str | None = None
        while True:
            condition = ClientItem.g2sk > after if after else None
            hit = next(iter(ClientItem.by_kpi_change.query(partition, condition, limit=1)), None)
            if hit is None or hit.g2sk is None:
                return
            business_id = keys.kpi_mark_business(hit.g2sk)
            if hit.g2sk < keys.kpi_marks_of(business_id, until)[1]:
                yield business_id
            after = keys.after_business(business_id)

    return list(db.query_buckets([keys.kpi_changes(shard) for shard in range(keys.KPI_SHARDS)], marked_in))


def changed_of(business_id: str, until: datetime, limit: int) -> list[Client]:
    """Up to `limit` of the business's clients marked before `until`, oldest mark first."""
    db.configure()
    shard = keys.shard_of(business_id, keys.KPI_SHARDS)
    lo, hi = keys.kpi_marks_of(business_id, until)
    found = ClientItem.by_kpi_change.query(keys.kpi_changes(shard), ClientItem.g2sk.between(lo, hi), limit=limit)
    return [clients.to_client(i) for i in found]


def catching_up(business_id: str, until: datetime) -> bool:
    """Has the business a client whose change the figures have not counted yet (marked
    before `until`, the sync not past her)? One Query of one item."""
    return bool(changed_of(business_id, until, 1))


def move_legacy_marks(limit: int) -> int:
    """Marks of the old scheme (`KPI#<0-7>`, time first) moved to their business's keys,
    keeping the time, each only if unchanged meanwhile: existing data needs no other
    migration. Up to `limit` per call; 8 empty Queries once there are none."""
    db.configure()
    moved = 0
    for shard in range(keys.LEGACY_KPI_SHARDS):
        for item in ClientItem.by_kpi_change.query(keys.legacy_kpi_changes(shard), limit=limit - moved):
            if item.g2sk is None:
                continue
            business_id = keys.kpi_mark_business(item.g2sk)
            client_id = item.sk.removeprefix(keys.CLIENT_PREFIX)
            pk, sk = keys.kpi_change_keys(business_id, client_id, keys.kpi_changed_at(item.g2sk))
            try:
                ClientItem(item.pk, item.sk).update(
                    actions=[ClientItem.g2pk.set(pk), ClientItem.g2sk.set(sk)], condition=ClientItem.g2sk == item.g2sk
                )
                moved += 1
            except UpdateError:
                pass  # marked again (new keys) or synced meanwhile
            if moved >= limit:
                return moved
    return moved


def apply(client: Client, new: Counts, deltas: Counts) -> None:
    """Add `deltas` to the period counters and record `new` as what the client adds, in
    transactions of at most TX_LIMIT items, each conditioned on the version the previous
    one left (so two syncs of one client never both count). The mark is removed with the
    last one, and only if nobody marked her again meanwhile. What her profile says she
    added to a period in neither `new` nor `deltas` (a day past the horizon) is dropped."""
    pk = keys.biz(client.business_id)
    stored = {p: dict(c) for p, c in client.kpi.items() if p in new or p in deltas}
    version = client.kpi_v
    periods = sorted(deltas)
    chunk = TX_LIMIT - 1
    batches = [periods[i : i + chunk] for i in range(0, len(periods), chunk)] or [[]]
    for n, batch in enumerate(batches):
        last = n == len(batches) - 1
        for p in batch:
            if p in new:
                stored[p] = new[p]
            else:
                stored.pop(p, None)
        tx = Tx(ClientItem)
        for p in batch:
            tx.update(
                AggregateItem(pk, keys.aggregate_sk(p)),
                [AggregateItem.business_id.set(client.business_id)]
                + [getattr(AggregateItem, k).add(v) for k, v in sorted(deltas[p].items())],
                "aggregate",
            )
        same = ClientItem.kpi_v.does_not_exist() if version == 0 else ClientItem.kpi_v == version
        actions = [ClientItem.kpi.set(stored), ClientItem.kpi_v.set(version + 1)]
        if last:
            marked = client.kpi_marked_at
            if marked:  # her mark as read, in the new scheme or (not yet moved) the old one
                same &= ClientItem.g2sk.is_in(
                    keys.kpi_change_keys(client.business_id, client.id, marked)[1],
                    keys.legacy_kpi_mark(client.business_id, client.id, marked),
                )
            else:
                same &= ClientItem.g2sk.does_not_exist()
            actions += [ClientItem.g2pk.remove(), ClientItem.g2sk.remove()]
        tx.update(clients.item_key(client), actions, "client", condition=ClientItem.pk.exists() & same)
        try:
            tx.commit()
        except TxFailed as err:
            raise Changed() from err
        version += 1


def periods(business_id: str, wanted: list[str]) -> dict[str, dict[str, int]]:
    """The counters of the given periods (absent periods count nothing): one BatchGetItem."""
    db.configure()
    found = AggregateItem.batch_get([(keys.biz(business_id), keys.aggregate_sk(p)) for p in wanted])
    return {keys.period_of(a.sk): counters_of(a) for a in found}


def month_range(business_id: str, first: str, last: str) -> dict[str, dict[str, int]]:
    """The period counters from month `first` to `last` (YYYY-MM): one Query, which
    also returns the few quarter and year items that sort in between."""
    db.configure()
    found = AggregateItem.query(
        keys.biz(business_id), AggregateItem.sk.between(keys.aggregate_sk(first), keys.aggregate_sk(last))
    )
    return {keys.period_of(a.sk): counters_of(a) for a in found}


def days(business_id: str, first: date, last: date) -> dict[str, dict[str, int]]:
    """The day counters from `first` to `last`, the business's (keyed 2026-11-25) and
    each staff member's (2026-11-25@aino): one Query (the rolling periods read 60 days
    at most: 60 x (1 + staff members who worked) small items, in one or two pages)."""
    db.configure()
    lo, hi = keys.day_aggregates(first, last)
    found = AggregateItem.query(keys.biz(business_id), AggregateItem.sk.between(lo, hi))
    return {keys.period_of(a.sk): counters_of(a) for a in found}


def staff_of(business_id: str, period: str) -> dict[str, dict[str, int]]:
    """Each staff member's counters of a month, quarter or year, by staff id: one Query."""
    db.configure()
    found = AggregateItem.query(keys.biz(business_id), AggregateItem.sk.startswith(keys.staff_aggregates_of(period)))
    out = {}
    for a in found:
        _, _, staff_id = keys.period_of(a.sk).partition(STAFF_SEP)
        out[staff_id] = counters_of(a, STAFF_COUNTERS)
    return out


def counters_of(a: AggregateItem, names: tuple[str, ...] = KPI_COUNTERS) -> dict[str, int]:
    """The aggregate's counters by name; those it never counted are left out."""
    return {k: int(getattr(a, k)) for k in names if getattr(a, k, None)}
