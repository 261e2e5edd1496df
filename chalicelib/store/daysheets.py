"""Day sheets in the table (chalicelib/domain/daysheet.py says what they are).

Reading: the sheets a booking needs come in the same BatchGetItem as its client's
contact keys (`bookings.read_for_booking`); availability reads a date range of the
business's sheets with one Query. Writing: `take` adds taken time inside the caller's
transaction, conditioned on the version it read; `release` removes it, unconditioned
(freeing time never clashes), and still moves the version so that a booking which
read the sheet before the release reads it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.domain.daysheet import DaySheet, SheetKey, Sheets, Taken, encode, sheet_from
from chalicelib.store import db, keys
from chalicelib.store.models import DaySheetItem
from chalicelib.store.tx import Tx

SHEET_RETENTION = timedelta(days=35)  # a sheet expires (TTL) a few weeks after its day
SHEET = "sheet"  # the role of sheet writes in a transaction (TxFailed.failed)


def to_sheet(item: DaySheetItem) -> DaySheet:
    day, _, staff_id = item.sk.partition("#")
    business_id = item.pk.removeprefix(keys.sheets_pk(""))
    entries: dict[str, Any] = dict(item.taken.as_dict()) if item.taken else {}  # type: ignore[no-untyped-call]
    return sheet_from(business_id, staff_id, date.fromisoformat(day), entries, int(item.v or 0))


def key_of(business_id: str, staff_id: str, day: date) -> tuple[str, str]:
    return keys.sheets_pk(business_id), keys.sheet_sk(day, staff_id)


def sheets_from_items(business_id: str, items: Iterable[DaySheetItem]) -> Sheets:
    found = {}
    for item in items:
        sheet = to_sheet(item)
        found[SheetKey(sheet.staff_id, sheet.day)] = sheet
    return Sheets(business_id, found)


def read(business_id: str, wanted: Iterable[tuple[str, date]]) -> Sheets:
    """The sheets of these (staff, day) pairs, read consistently: one BatchGetItem."""
    db.configure()
    pairs = sorted(set(wanted))
    items = DaySheetItem.batch_get([key_of(business_id, s, d) for s, d in pairs], consistent_read=True)
    return sheets_from_items(business_id, items)


def in_range(business_id: str, first: date, last: date, consistent: bool = False) -> list[DaySheet]:
    """Every staff member's sheets from `first` to `last` (local dates): one Query (more
    pages only past 1 MB), projected to the key and what is taken, parsed straight from
    the wire format: availability reads a month of a 15-staff salon (~450 sheets) with it."""
    db.configure()
    client = db.dynamodb_client()
    request: dict[str, Any] = {
        "TableName": DaySheetItem.Meta.table_name,
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :lo AND :hi",
        "ExpressionAttributeValues": {
            ":pk": {"S": keys.sheets_pk(business_id)},
            ":lo": {"S": keys.sheet_sk(first, "")},
            ":hi": {"S": keys.sheet_sk(last, "~")},
        },
        "ProjectionExpression": "sk, taken, v",
        "ConsistentRead": consistent,
    }
    sheets = []
    while True:
        page = client.query(**request)
        for raw in page.get("Items", []):
            day, _, staff_id = raw["sk"]["S"].partition("#")
            entries = {ref: value["S"] for ref, value in raw.get("taken", {}).get("M", {}).items()}
            version = int(raw["v"]["N"]) if "v" in raw else 0
            sheets.append(sheet_from(business_id, staff_id, date.fromisoformat(day), entries, version))
        if "LastEvaluatedKey" not in page:
            return sheets
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def calendar_moved(tx: Tx, business_id: str, staff_id: str) -> None:
    """Move the staff member's calendar version in the transaction that writes her sheet:
    every change her calendar shows writes a sheet, so the version says "changed" exactly
    when her calendar feed would differ (its ETag; the business feed's is all of them)."""
    if tx.first_time(f"cal:{business_id}:{staff_id}"):
        tx.update(
            DaySheetItem(keys.sheets_pk(business_id), keys.calendar_version_sk(staff_id)),
            [DaySheetItem.v.add(1)],
            "calendar",
        )


def calendar_changed(business_id: str, staff_id: str) -> None:
    """Move a calendar's version outside any change of the sheets (a migration)."""
    db.configure()
    DaySheetItem(keys.sheets_pk(business_id), keys.calendar_version_sk(staff_id)).update(
        actions=[DaySheetItem.v.add(1)]
    )


def calendar_versions(business_id: str, staff_id: str | None = None) -> dict[str, int]:
    """Calendar versions by staff member: one GetItem for one of them, else one Query of
    the business's (a handful of small items). A calendar never written is at 0."""
    db.configure()
    pk = keys.sheets_pk(business_id)
    if staff_id is not None:
        try:
            item = DaySheetItem.get(pk, keys.calendar_version_sk(staff_id), attributes_to_get=["sk", "v"])
        except DaySheetItem.DoesNotExist:
            return {staff_id: 0}
        return {staff_id: int(item.v or 0)}
    found = DaySheetItem.query(
        pk, DaySheetItem.sk.startswith(keys.CALENDAR_VERSION_PREFIX), attributes_to_get=["sk", "v"]
    )
    return {i.sk.removeprefix(keys.CALENDAR_VERSION_PREFIX): int(i.v or 0) for i in found}


def take(
    tx: Tx, sheet: DaySheet, taken: Taken, *more: Taken, in_feed: bool = True, calendar_later: bool = False
) -> None:
    """Write `taken` (and `more`) on the sheet as it was read: the transaction fails (role
    "sheet") if anyone wrote on the sheet since, and the caller reads it again. Time off
    (`in_feed` False) is not in the calendar feeds: it leaves their version alone; a new
    booking (`calendar_later`) has its plan's expansion move it (store/outbox.expand_plan)."""
    pk, sk = key_of(sheet.business_id, sheet.staff_id, sheet.day)
    expires = datetime.combine(sheet.day, datetime.min.time()) + SHEET_RETENTION
    every = (taken, *more)
    if in_feed and not calendar_later:
        calendar_moved(tx, sheet.business_id, sheet.staff_id)
    if sheet.version == 0:
        item = DaySheetItem(pk, sk, taken={t.ref: encode(t.start, t.end) for t in every}, v=1)
        item.expires_at = expires.replace(tzinfo=taken.start.tzinfo)
        tx.put(item, SHEET, condition=DaySheetItem.pk.does_not_exist())
        return
    tx.update(
        DaySheetItem(pk, sk),
        [*(DaySheetItem.taken[t.ref].set(encode(t.start, t.end)) for t in every), DaySheetItem.v.add(1)],
        SHEET,
        condition=DaySheetItem.v == sheet.version,
    )


def touch(tx: Tx, business_id: str, staff_id: str, day: date) -> None:
    """Move the sheet's version without changing what is taken: a change the calendar
    shows (a visit marked) that takes no time. Never fails; a sheet nobody wrote yet
    starts empty, as `take` expects."""
    pk, sk = key_of(business_id, staff_id, day)
    expires = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + SHEET_RETENTION
    calendar_moved(tx, business_id, staff_id)
    tx.update(
        DaySheetItem(pk, sk),
        [
            DaySheetItem.taken.set(DaySheetItem.taken | {}),
            DaySheetItem.expires_at.set(DaySheetItem.expires_at | expires),
            DaySheetItem.v.add(1),
        ],
        "sheet-touch",
    )


def retime(tx: Tx, business_id: str, staff_id: str, day: date, taken: Taken, version: int | None = None) -> None:
    """Change how long `taken` (already on the sheet) holds its time: shorter, for a visit
    done early (freeing never clashes: no condition but that it is still there), or back
    to what was booked, for that mark's undo (`version`: the sheet as read, so nothing
    written on it since is overlapped; the transaction fails, role "sheet", otherwise)."""
    pk, sk = key_of(business_id, staff_id, day)
    calendar_moved(tx, business_id, staff_id)
    held = DaySheetItem.taken[taken.ref].exists()
    tx.update(
        DaySheetItem(pk, sk),
        [DaySheetItem.taken[taken.ref].set(encode(taken.start, taken.end)), DaySheetItem.v.add(1)],
        SHEET,
        condition=held if version is None else held & (DaySheetItem.v == version),
    )


def release(tx: Tx, business_id: str, staff_id: str, day: date, ref: str, *more: str, in_feed: bool = True) -> None:
    """Free what `ref` (and `more`) took on the sheet. A sheet is never missing under a
    booking it holds; the condition only keeps a stray release from writing a sheet of
    its own."""
    pk, sk = key_of(business_id, staff_id, day)
    if in_feed:
        calendar_moved(tx, business_id, staff_id)
    tx.update(
        DaySheetItem(pk, sk),
        [*(DaySheetItem.taken[r].remove() for r in (ref, *more)), DaySheetItem.v.add(1)],
        "sheet-release",
        condition=DaySheetItem.taken.exists(),
    )
