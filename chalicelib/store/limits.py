"""Meters of the public API's limits (chalicelib/domain/limits.py) and the business's
daily SMS budget, in the table.

A booking reads its meters in the BatchGetItem it already makes (store/bookings.py:
`read_for_booking`) and counts itself on them inside its own transaction, each write
conditioned on the version read — as on the day sheets. So the count and the booking
cannot disagree (a booking that fails leaves no count, a count never exists without its
booking), racing requests of one contact or IP cannot slip past a limit together (one
commits, the others read again and see it), and the cost is what a booking already
pays: no extra request, 1-3 more small items in the transaction.

The SMS budget is one conditional UpdateItem per SMS (`ADD n 1` while `n < budget`) at
send time, where every SMS of the business passes, whatever caused it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.domain.limits import Entry, Meter
from chalicelib.store import db, keys
from chalicelib.store.models import MeterItem, SmsDayItem
from chalicelib.store.tx import Tx

METER = "meter"  # the role of meter writes in a booking's transaction (TxFailed.failed)
SMS_DAY_RETENTION = timedelta(days=3)


def key_of(business_id: str, kind: str, subject: str) -> tuple[str, str]:
    return keys.limits_pk(business_id), keys.meter_sk(kind, subject)


def to_meter(business_id: str, kind: str, subject: str, item: MeterItem | None) -> Meter:
    if item is None:
        return Meter(business_id, kind, subject)
    raw: dict[str, Any] = dict(item.e.as_dict()) if item.e else {}  # type: ignore[no-untyped-call]
    return Meter(
        business_id,
        kind,
        subject,
        int(item.v or 0),
        {appt: Entry.decode(str(v)) for appt, v in raw.items()},
        item.flagged_at,
        int(item.refused or 0),
    )


def meters_from_raw(
    business_id: str, wanted: Sequence[tuple[str, str]], found: Mapping[tuple[str, str], dict[str, Any]]
) -> list[Meter]:
    """The meters of (kind, subject) pairs from a BatchGetItem's raw items (absent: new)."""
    out = []
    for kind, subject in wanted:
        raw = found.get(key_of(business_id, kind, subject))
        out.append(to_meter(business_id, kind, subject, MeterItem.from_raw_data(raw) if raw else None))
    return out


def count(tx: Tx, meter: Meter, appointment_id: str, entry: Entry, now: datetime, window: timedelta) -> None:
    """Count a booking on the meter as it was read, inside the booking's transaction; the
    transaction fails (role "meter") if anyone counted on it since. Entries no rule looks
    at any more are dropped in the same write."""
    pk, sk = key_of(meter.business_id, meter.kind, meter.subject)
    expires = meter.expires(now, window, [entry])
    if meter.version == 0:
        item = MeterItem(pk, sk, e={appointment_id: entry.encode()}, v=1, kind=meter.kind)
        item.expires_at = expires
        tx.put(item, METER, condition=MeterItem.pk.does_not_exist())
        return
    actions: list[Any] = [
        MeterItem.e[appointment_id].set(entry.encode()),
        MeterItem.v.add(1),
        MeterItem.expires_at.set(expires),
    ]
    actions += [MeterItem.e[old].remove() for old in meter.stale(now, window)]
    tx.update(MeterItem(pk, sk), actions, METER, condition=MeterItem.v == meter.version)


def flag(meter: Meter, now: datetime) -> None:
    """A limit refused the subject: mark the meter a suspected flood (the owner's list).
    Best effort: a refusal is answered whether or not the mark could be written."""
    if meter.version == 0:
        return
    db.configure()
    pk, sk = key_of(meter.business_id, meter.kind, meter.subject)
    try:
        MeterItem(pk, sk).update(
            actions=[MeterItem.flagged_at.set(now), MeterItem.refused.add(1)], condition=MeterItem.pk.exists()
        )
    except UpdateError:
        pass  # expired meanwhile (or throttled): nothing to show, the 429 stands


def get(business_id: str, kind: str, subject: str) -> Meter | None:
    db.configure()
    pk, sk = key_of(business_id, kind, subject)
    try:
        return to_meter(business_id, kind, subject, MeterItem.get(pk, sk, consistent_read=True))
    except MeterItem.DoesNotExist:
        return None


def flagged(business_id: str) -> list[Meter]:
    """The business's meters a limit refused (suspected floods): one Query of its small,
    TTL-kept limits partition."""
    db.configure()
    found = MeterItem.query(
        keys.limits_pk(business_id),
        MeterItem.sk.startswith(keys.METER_PREFIX),
        filter_condition=MeterItem.flagged_at.exists(),
    )
    out = []
    for item in found:
        kind, _, subject = item.sk.removeprefix(keys.METER_PREFIX).partition("#")
        out.append(to_meter(business_id, kind, subject, item))
    return out


def unflag(meter: Meter) -> None:
    """The owner dealt with it: off the list of suspected floods (the counts stay)."""
    db.configure()
    pk, sk = key_of(meter.business_id, meter.kind, meter.subject)
    try:
        MeterItem(pk, sk).update(
            actions=[MeterItem.flagged_at.remove(), MeterItem.refused.remove()], condition=MeterItem.pk.exists()
        )
    except UpdateError:
        pass


def take_sms(business_id: str, day: date, budget: int, now: datetime) -> bool:
    """Count one SMS of the business on its local `day` if the budget allows; False when
    the day's budget is spent (nothing counted)."""
    db.configure()
    item = SmsDayItem(keys.limits_pk(business_id), keys.sms_day_sk(day))
    try:
        item.update(
            actions=[SmsDayItem.n.add(1), SmsDayItem.expires_at.set(now + SMS_DAY_RETENTION)],
            condition=SmsDayItem.n.does_not_exist() | (SmsDayItem.n < budget),
        )
    except UpdateError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
