"""The after-visit bookkeeping: visits that ended, auto-completion, and each client's
visit figures and rhythm keys."""

from __future__ import annotations

from datetime import date, datetime

from pynamodb.exceptions import UpdateError

from chalicelib.domain.timeutil import iso_utc
from chalicelib.store import db, keys
from chalicelib.store.models import AppointmentItem, ClientItem


def ended_between(since: datetime, until: datetime):
    """Visits (booked, arrived or completed) that ended in [since, until]: Query gsi3
    END#<hour>#<shard> per hour and shard — what is due, never the table."""
    db.configure()
    lo, hi = iso_utc(since), iso_utc(until) + "~"
    for bucket in keys.hour_buckets("END", since, until):
        yield from AppointmentItem.by_end.query(bucket, AppointmentItem.g3sk.between(lo, hi))


def complete(item: AppointmentItem, now: datetime) -> bool:
    """A visit that ended unmarked took place: booked/arrived -> completed."""
    try:
        item.update(
            actions=[AppointmentItem.status.set("completed"), AppointmentItem.updated_at.set(now)],
            condition=AppointmentItem.status.is_in("booked", "arrived"),
        )
    except UpdateError:
        return False
    return True


def set_client_figures(
    business_id: str,
    client_id: str,
    *,
    visits: int,
    spend_cents: int,
    stamps: int,
    last_visit: datetime | None,
    rhythm: float | None,
    at_risk_on: date | None,
    lapsed_on: date | None,
) -> ClientItem | None:
    """The client as she is after the update; None if she is gone or erased."""
    db.configure()
    actions = [ClientItem.visits.set(visits), ClientItem.spend_cents.set(spend_cents), ClientItem.stamps.set(stamps)]
    if last_visit and at_risk_on and lapsed_on:
        g1 = keys.risk_keys(business_id, client_id, at_risk_on.isoformat())
        g4 = keys.lapse_keys(business_id, client_id, lapsed_on.isoformat())
        actions += [
            ClientItem.last_visit_at.set(last_visit),
            ClientItem.rhythm_days.set(round(rhythm, 2)),
            ClientItem.at_risk_on.set(at_risk_on.isoformat()),
            ClientItem.lapsed_on.set(lapsed_on.isoformat()),
            ClientItem.g1pk.set(g1[0]),
            ClientItem.g1sk.set(g1[1]),
            ClientItem.g4pk.set(g4[0]),
            ClientItem.g4sk.set(g4[1]),
        ]
    item = ClientItem(keys.biz(business_id), keys.client_sk(client_id))
    try:
        item.update(actions=actions, condition=ClientItem.pk.exists() & ClientItem.erased_at.does_not_exist())
    except UpdateError:
        return None  # erased meanwhile: nothing to keep
    return item


def at_risk_since(business_id: str, day: date, limit: int = 500) -> list[ClientItem]:
    """Clients of the business whose at-risk day is on or before `day`: one Query on g1."""
    db.configure()
    return list(ClientItem.by_risk.query(f"RISK#{business_id}", ClientItem.g1sk <= f"{day.isoformat()}#~", limit=limit))
