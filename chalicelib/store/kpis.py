"""The KPI aggregates: which clients changed, what each one last added to the period
counters (kept on her profile), and the transactions that move the counters.

Every write that changes what a client counts (a booking, a cancellation, a move, a
visit's outcome, a win-back message, a feedback request) marks her in the sparse index
g2 KPI#<shard> inside the write it already does (chalicelib/store/clients.py
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


def changed_before(until: datetime) -> Iterator[Client]:
    """Clients marked before `until` (the index is eventually consistent, so the job
    leaves the last seconds' marks for its next run): one Query per shard."""
    db.configure()
    bound = keys.sortable_time(until)
    for shard in range(keys.KPI_SHARDS):
        for item in ClientItem.by_kpi_change.query(keys.kpi_changes(shard), ClientItem.g2sk < bound):
            yield clients.to_client(item)


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
            mark = keys.kpi_change_keys(client.business_id, client.id, marked)[1] if marked else None
            same &= ClientItem.g2sk == mark if mark else ClientItem.g2sk.does_not_exist()
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
