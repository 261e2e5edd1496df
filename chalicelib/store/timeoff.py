"""Time off in the table: the block under the business's partition (`TOFF#<id>`, in
gsi1 by the end of its last occurrence) and its occurrences as entries on the day sheets
of every staff member and local day they touch (chalicelib/domain/timeoff.py).

A block can touch more sheets than one transaction holds (100 items), so its sheets
are written in chunks, each conditioned on the versions it read (a booking racing for
the same sheet either commits first, and the time off is written over it and reported,
or reads the sheet again and finds the time taken). If a chunk cannot be written, the
chunks already written are taken back and the block is removed: nothing half-saved.

Editing or removing a block is crash-safe the same way freed time is: the change's
transaction (an edit's last chunk, with the new block complete) marks the old block
`ended` — gone for the owner at once — and writes a freed-time outbox item that takes
its entries off the sheets (`delete`, which can be run again) and offers the time it
freed (services/waitlist/refill.py); the request runs it right away, the outbox sweeper
if the request died first. Until then the old entries keep the time blocked, never open.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime

from chalicelib.domain.daysheet import DaySheet, Taken
from chalicelib.domain.messages import Message
from chalicelib.domain.timeoff import TimeOff
from chalicelib.observability import logger
from chalicelib.store import daysheets, db, keys, outbox
from chalicelib.store.bookings import pause_before_retry
from chalicelib.store.models import TimeOffItem
from chalicelib.store.tx import Tx, TxFailed

TX_LIMIT = 100  # items in one TransactWriteItems
ATTEMPTS = 5  # reads of a chunk's sheets before giving up


class TimeOffNotWritten(Exception):
    """A chunk of sheets kept changing (or failed); what was written was taken back."""


def to_item(t: TimeOff, last_end: datetime) -> TimeOffItem:
    item = TimeOffItem(
        keys.biz(t.business_id),
        keys.timeoff_sk(t.id),
        business_id=t.business_id,
        timeoff_id=t.id,
        staff_id=t.staff_id,
        staff_ids=list(t.staff_ids),
        start=t.start,
        end=t.end,
        reason=t.reason or None,
        weekly_until=t.weekly_until.isoformat() if t.weekly_until else None,
        created_at=t.created_at,
    )
    item.g1pk, item.g1sk = keys.time_off_keys(t.business_id, t.id, last_end)
    return item


def to_time_off(i: TimeOffItem) -> TimeOff:
    staff_ids = i.staff_ids if isinstance(i.staff_ids, list) else json.loads(i.staff_ids or "[]")
    return TimeOff(
        id=i.timeoff_id,
        business_id=i.business_id,
        staff_id=i.staff_id,
        start=i.start,
        end=i.end,
        reason=i.reason or "",
        weekly_until=date.fromisoformat(i.weekly_until) if i.weekly_until else None,
        staff_ids=tuple(str(s) for s in staff_ids),
        created_at=i.created_at,
    )


def get(business_id: str, timeoff_id: str, *, ended_too: bool = False) -> TimeOff | None:
    """A block; one an edit replaced or that is being removed is gone (unless `ended_too`:
    the freed-time item that finishes its removal)."""
    db.configure()
    try:
        item = TimeOffItem.get(keys.biz(business_id), keys.timeoff_sk(timeoff_id), consistent_read=True)
    except TimeOffItem.DoesNotExist:
        return None
    return to_time_off(item) if ended_too or not item.ended else None


def get_many(business_id: str, timeoff_ids: Iterable[str], *, ended_too: bool = True) -> dict[str, TimeOff]:
    """Blocks by id: one BatchGetItem per 100 (with `ended_too=False`, a block replaced or
    being removed is left out, as by `get`)."""
    db.configure()
    wanted = [(keys.biz(business_id), keys.timeoff_sk(t)) for t in sorted(set(timeoff_ids))]
    found = TimeOffItem.batch_get(wanted) if wanted else []
    return {i.timeoff_id: to_time_off(i) for i in found if ended_too or not i.ended}


def ending_after(business_id: str, since: datetime) -> list[TimeOff]:
    """Blocks whose last occurrence ends after `since` (the caller keeps those that
    start early enough): one Query on gsi1."""
    db.configure()
    found = TimeOffItem.by_business_time.query(
        keys.business_time_off(business_id), TimeOffItem.g1sk > keys.between(since, since)[0]
    )
    return [to_time_off(i) for i in found if not i.ended]


def _by_sheet(entries: Iterable[tuple[str, date, Taken]]) -> dict[tuple[str, date], list[Taken]]:
    grouped: dict[tuple[str, date], list[Taken]] = defaultdict(list)
    for staff, day, taken in entries:
        grouped[(staff, day)].append(taken)
    return dict(grouped)


def _chunks(pairs: Sequence[tuple[str, date]], first_room: int, last_extra: int = 0) -> list[list[tuple[str, date]]]:
    """Sheets per transaction: the first one also holds the block (or its deletion), the
    last one `last_extra` items more (what an edit commits with its last chunk)."""
    out: list[list[tuple[str, date]]] = []
    i, room = 0, first_room
    while i < len(pairs) or not out:
        out.append(list(pairs[i : i + room]))
        i, room = i + room, TX_LIMIT
    room = (first_room if len(out) == 1 else TX_LIMIT) - last_extra
    if len(out[-1]) > room:
        out[-1], overflow = out[-1][:room], out[-1][room:]
        out.append(overflow)
    return out


class BlockGone(Exception):
    """The block an edit replaces was edited or removed meanwhile."""


def _end(tx: Tx, t: TimeOff, why: str) -> None:
    """Mark the block ended inside `tx`, once (an edit replaced it, or it is removed)."""
    tx.update(
        TimeOffItem(keys.biz(t.business_id), keys.timeoff_sk(t.id)),
        [TimeOffItem.ended.set(why)],
        "ended",
        condition=TimeOffItem.pk.exists() & TimeOffItem.ended.does_not_exist(),
    )


def mark_removed(t: TimeOff, freed: Message) -> None:
    """The owner removes a block: in one transaction it is gone for her and `freed` (the
    outbox item that frees its sheets and offers its time) is written. BlockGone: it was
    removed or replaced meanwhile."""
    db.configure()
    tx = Tx(TimeOffItem)
    _end(tx, t, "removed")
    outbox.put(tx, [freed])
    try:
        tx.commit()
    except TxFailed as err:
        raise BlockGone() from err


def create(
    t: TimeOff,
    entries: Sequence[tuple[str, date, Taken]],
    last_end: datetime,
    replaces: TimeOff | None = None,
    freed: Message | None = None,
    vet: Callable[[list[DaySheet]], None] | None = None,
) -> list[DaySheet]:
    """Write the block and its entries (chalicelib/domain/timeoff.sheet_entries).
    Returns the sheets as they were before the block was written on them (what it
    covers is read from those). An edit: the block `replaces` is marked ended and
    `freed` (the outbox item that frees its sheets and offers the time it no longer
    covers) written in the transaction of the last chunk, so the edit happens whole or
    not at all (BlockGone: it was edited or removed meanwhile). `vet` sees each chunk's
    sheets as read for its transaction (conditioned on their versions, so what it finds
    there cannot change before the commit) and may refuse the block by raising: what
    was written is taken back."""
    db.configure()
    grouped = _by_sheet(entries)
    pairs = sorted(grouped)
    before: list[DaySheet] = []
    written: list[tuple[str, date]] = []
    extra = (replaces is not None) + (freed is not None)
    try:
        chunks = _chunks(pairs, TX_LIMIT - 1, extra)
        for n, chunk in enumerate(chunks):
            for attempt in range(ATTEMPTS):
                sheets = daysheets.read(t.business_id, chunk)
                if vet is not None:
                    vet([sheets.get(staff, day) for staff, day in chunk])
                tx = Tx(TimeOffItem)
                if n == 0:
                    tx.put(to_item(t, last_end), "timeoff", condition=TimeOffItem.pk.does_not_exist())
                for staff, day in chunk:
                    daysheets.take(tx, sheets.get(staff, day), *grouped[(staff, day)], in_feed=False)
                if n == len(chunks) - 1:
                    if replaces is not None:
                        _end(tx, replaces, f"replaced:{t.id}")
                    outbox.put(tx, [freed] if freed else [])
                try:
                    tx.commit()
                except TxFailed as err:
                    if "ended" in err.failed:
                        raise BlockGone() from err
                    if daysheets.SHEET in err.failed or err.conflict:
                        pause_before_retry(attempt)
                        continue
                    raise TimeOffNotWritten() from err
                before += [sheets.get(staff, day) for staff, day in chunk]
                written += chunk
                break
            else:
                raise TimeOffNotWritten()
    except Exception:
        if written:
            _take_back(t, grouped, written, delete_block=True)
        raise
    return before


def _take_back(
    t: TimeOff, grouped: dict[tuple[str, date], list[Taken]], written: list[tuple[str, date]], delete_block: bool
) -> None:
    """Compensate a block written in part: free its entries, remove the block."""
    try:
        for n, chunk in enumerate(_chunks(written, TX_LIMIT - 1)):
            tx = Tx(TimeOffItem)
            if n == 0 and delete_block:
                tx.delete(TimeOffItem(keys.biz(t.business_id), keys.timeoff_sk(t.id)), "timeoff")
            for staff, day in chunk:
                refs = [x.ref for x in grouped[(staff, day)]]
                daysheets.release(tx, t.business_id, staff, day, *refs, in_feed=False)
            if len(tx):
                tx.commit()
    except Exception:  # logged: DELETE /time-off/{id} finishes it
        logger().exception("time off not taken back", extra={"business_id": t.business_id, "time_off": t.id})


def delete(t: TimeOff, entries: Sequence[tuple[str, date, Taken]]) -> None:
    """Free every entry of the block still on a sheet, then remove the block. Running
    it again finishes an interrupted deletion."""
    db.configure()
    grouped = _by_sheet(entries)
    sheets = daysheets.read(t.business_id, grouped)
    held = []
    for (staff, day), takens in sorted(grouped.items()):
        on_sheet = {x.ref for x in sheets.get(staff, day).taken}
        refs = [x.ref for x in takens if x.ref in on_sheet]
        if refs:
            held.append((staff, day, refs))
    chunks = [held[i : i + TX_LIMIT] for i in range(0, len(held), TX_LIMIT)]
    for chunk in chunks:
        tx = Tx(TimeOffItem)
        for staff, day, refs in chunk:
            daysheets.release(tx, t.business_id, staff, day, *refs, in_feed=False)
        tx.commit()
    TimeOffItem(keys.biz(t.business_id), keys.timeoff_sk(t.id)).delete()
