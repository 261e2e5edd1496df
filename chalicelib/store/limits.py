"""Meters of the public API's limits (chalicelib/domain/limits.py) and the business's
daily SMS budget, in the table.

A booking reads its meters in the BatchGetItem it already makes (store/bookings.py:
`read_for_booking`) and counts itself on them inside its own transaction, each write
conditioned on the version read — as on the day sheets. So the count and the booking
cannot disagree (a booking that fails leaves no count, a count never exists without its
booking), racing requests of one contact or IP cannot slip past a limit together (one
commits, the others read again and see it), and the cost is what a booking already
pays: no extra request, 1-3 more small items in the transaction.

A contact's first booking (no meter item yet, and the booking puts the contact's key:
a new client, a newly linked contact) writes no meter item: its entry rides on the
contact key it puts anyway (ClientKeyItem `m`), which is `attribute_not_exists`, so
racing first bookings of one contact still meet on one item (one commits, the others
read again). A booking that finds the key's entry and no meter reads it as the meter
(version 0: the meter it writes is `attribute_not_exists` and holds that entry too).
The booking's plan carries the first meter, and its expansion, seconds later and off the
request path, puts it (`attribute_not_exists`: a booking or a refusal that put it
first put the key's entry with it), so the meter outlives the key (an erasure, a
changed contact) as before. Two items fewer in a new client's booking.

The SMS budget is one conditional UpdateItem per SMS (`ADD n 1` while `n < budget`) at
send time, where every SMS of the business passes, whatever caused it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.domain.limits import CONTACT_KINDS, Entry, Meter
from chalicelib.domain.timeutil import iso_utc, parse_utc
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
    business_id: str,
    wanted: Sequence[tuple[str, str]],
    found: Mapping[tuple[str, str], dict[str, Any]],
    on_keys: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Meter]:
    """The meters of (kind, subject) pairs from a BatchGetItem's raw items (absent: new);
    `on_keys`, per contact kind, the entry its contact key carries: the meter of a
    contact whose meter item is not written yet (version 0 with that entry)."""
    out = []
    for kind, subject in wanted:
        raw = found.get(key_of(business_id, kind, subject))
        if raw:
            out.append(to_meter(business_id, kind, subject, MeterItem.from_raw_data(raw)))
            continue
        seeded = (on_keys or {}).get(kind) or {}
        entries = {appt: Entry.decode(str(v)) for appt, v in seeded.items()}
        out.append(Meter(business_id, kind, subject, 0, entries))
    return out


def first_on_key(meter: Meter, keys_put: frozenset[str]) -> bool:
    """Does a booking count on this meter by the contact key it puts (a contact with no
    meter and no entry yet, whose key the booking puts) instead of writing the meter?"""
    return meter.version == 0 and not meter.entries and meter.kind in CONTACT_KINDS and meter.kind in keys_put


def first_meter(meter: Meter, appointment_id: str, entry: Entry, now: datetime, window: timedelta) -> dict[str, Any]:
    """The meter a contact's first booking puts later (its plan carries it: put_first)."""
    return {
        "kind": meter.kind,
        "subject": meter.subject,
        "e": {appointment_id: entry.encode()},
        "expires": iso_utc(meter.expires(now, window, [entry])),
    }


def put_first(business_id: str, first: Sequence[Mapping[str, Any]]) -> None:
    """Put the meters of a contact's first booking (first_meter) where none exists yet;
    one that exists was put with the contact key's entry already. Best effort: until it is
    put, the contact key carries the entry."""
    db.configure()
    for m in first:
        pk, sk = key_of(business_id, m["kind"], m["subject"])
        item = MeterItem(pk, sk, e=dict(m["e"]), v=1, kind=m["kind"])
        item.expires_at = parse_utc(m["expires"])
        try:
            item.save(condition=MeterItem.pk.does_not_exist())
        except PutError:
            pass  # there already (or throttled): the key's entry stays counted either way


def count(tx: Tx, meter: Meter, appointment_id: str, entry: Entry, now: datetime, window: timedelta) -> None:
    """Count a booking on the meter as it was read, inside the booking's transaction; the
    transaction fails (role "meter") if anyone counted on it since. Entries no rule looks
    at any more are dropped in the same write."""
    pk, sk = key_of(meter.business_id, meter.kind, meter.subject)
    expires = meter.expires(now, window, [entry])
    if meter.version == 0:  # with the entry its contact key carries, if any
        stale = set(meter.stale(now, window))
        kept = {appt: e.encode() for appt, e in meter.entries.items() if appt not in stale}
        item = MeterItem(pk, sk, e={**kept, appointment_id: entry.encode()}, v=1, kind=meter.kind)
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


def flag(meter: Meter, now: datetime, window: timedelta = timedelta(hours=24)) -> None:
    """A limit refused the subject: mark the meter a suspected flood (the owner's list).
    Best effort: a refusal is answered whether or not the mark could be written."""
    if meter.version == 0:
        if not meter.entries:
            return
        # Counted by its contact key only so far: put its meter first, to mark it.
        entries = {appt: e.encode() for appt, e in meter.entries.items()}
        put_first(
            meter.business_id,
            [
                {
                    "kind": meter.kind,
                    "subject": meter.subject,
                    "e": entries,
                    "expires": iso_utc(meter.expires(now, window)),
                }
            ],
        )
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
