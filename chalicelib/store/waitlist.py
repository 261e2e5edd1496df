"""The waitlist's items: entries, their day items (what a freed time Queries), the
contact's list of entries, offers and the daily offer counts.

Joining writes the entry, one day item per day of its range (at most 31) and the
contact items in one transaction, conditioned on the contact items' versions as read:
two racing joins of one contact cannot both pass the per-contact limit or make two
entries where one should be updated. An offer is put once (its id is derived from
entry, staff and start) in one transaction with its messages and the contact's count
of the day, and only while the entry is open.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.domain import webhooks as events
from chalicelib.domain.messages import Message, MessageStatus, PlannedMessage
from chalicelib.domain.waitlist import Entry, EntryStatus, Offer, OfferStatus, RefillCount, Window
from chalicelib.store import db, faults, keys, outbox, search, webhooks
from chalicelib.store.models import (
    AggregateItem,
    MessageItem,
    OfferCountItem,
    OfferItem,
    WaitContactItem,
    WaitDayItem,
    WaitlistEntryItem,
)
from chalicelib.store.tx import Tx, TxFailed

ENTRY_KEEP = timedelta(days=30)  # an entry's item after its last day (the owner's history)
OFFER_KEEP = timedelta(days=30)


class ContactChanged(Exception):
    """The contact's entries were written meanwhile: read them again and retry."""


class EntryClosed(Exception):
    """The entry an edit replaces left the list meanwhile (booked, left, removed)."""


class MessagesCapped(Exception):
    """Her joining confirmations of the day are used up: save the entry without one."""


# --- entry <-> item ------------------------------------------------------------------------
def _iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).isoformat() if t else None


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def entry_to_dict(e: Entry) -> dict[str, Any]:
    d = asdict(e)
    d.update(
        first=e.first.isoformat(),
        last=e.last.isoformat(),
        windows=[w.to_dict() for w in e.windows],
        created_at=_iso(e.created_at),
        updated_at=_iso(e.updated_at),
    )
    return d


def entry_from_dict(d: dict[str, Any]) -> Entry:
    return Entry(
        id=d["id"],
        business_id=d["business_id"],
        service_id=d["service_id"],
        staff_id=d.get("staff_id"),
        first=date.fromisoformat(d["first"]),
        last=date.fromisoformat(d["last"]),
        windows=tuple(Window.from_dict(w) for w in d.get("windows") or ()),
        name=d["name"],
        phone=d.get("phone"),
        email=d.get("email"),
        locale=d["locale"],
        created_at=_parse(d["created_at"]),
        updated_at=_parse(d["updated_at"]),
        status=d.get("status", EntryStatus.OPEN.value),
        source=d.get("source", "web"),
        marketing=bool(d.get("marketing")),
        booked_appointment=d.get("booked_appointment"),
        confirmed_by=d.get("confirmed_by"),
        moved_to=d.get("moved_to"),
    )


def _expiry(day: date, keep: timedelta) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + keep


def _entry_item(e: Entry) -> WaitlistEntryItem:
    return WaitlistEntryItem(
        keys.biz(e.business_id),
        keys.wait_sk(e.id),
        entry=entry_to_dict(e),
        status=e.status,
        expires_at=_expiry(e.last, ENTRY_KEEP),
    )


def _day_item(e: Entry, day: date) -> WaitDayItem:
    item = WaitDayItem(
        keys.wait_day_pk(e.business_id, e.service_id, day),
        keys.wait_day_sk(e.created_at, e.id),
        entry=entry_to_dict(e),
        expires_at=_expiry(day, timedelta(days=2)),
    )
    item.g1pk, item.g1sk = keys.waiting_keys(e.business_id, day, e.service_id, e.id)
    return item


CLOSED_MARK = "closed"  # the last field of a closed entry's value in her contact's list


def _contact_value(e: Entry, closed: bool = False) -> str:
    value = f"{e.service_id}|{e.first.isoformat()}|{e.last.isoformat()}|{keys.sortable_time(e.created_at)}"
    return f"{value}|{CLOSED_MARK}" if closed else value


# --- the contact's entries -------------------------------------------------------------------
@dataclass(frozen=True)
class ContactEntry:
    entry_id: str
    service_id: str
    first: date
    last: date
    created_at: datetime
    closed: bool = False

    def value(self) -> str:
        value = f"{self.service_id}|{self.first}|{self.last}|{keys.sortable_time(self.created_at)}"
        return f"{value}|{CLOSED_MARK}" if self.closed else value


@dataclass(frozen=True)
class Contact:
    """One contact's (phone or email) entries as read, and the version read: `entries`
    the open ones (duplicates, the per-contact limit, offers), `closed` those that left
    the list and are still kept (what erasure blanks with the open ones)."""

    kind: str
    value: str
    entries: tuple[ContactEntry, ...] = ()
    version: int = 0
    closed: tuple[ContactEntry, ...] = ()


@dataclass(frozen=True)
class Contacts:
    of: tuple[Contact, ...] = field(default_factory=tuple)

    def entries(self) -> dict[str, ContactEntry]:
        """The open entries of her contacts."""
        return {c.entry_id: c for contact in self.of for c in contact.entries}

    def every(self) -> dict[str, ContactEntry]:
        """Every entry of her contacts still kept, open or closed (GDPR export, erasure)."""
        out = {c.entry_id: c for contact in self.of for c in contact.closed}
        out.update(self.entries())
        return out


def _contact_entry(entry_id: str, raw: str) -> ContactEntry:
    service, first, last, created, *mark = raw.split("|")
    return ContactEntry(
        entry_id,
        service,
        date.fromisoformat(first),
        date.fromisoformat(last),
        keys.parse_sortable_time(created),
        closed=mark == [CLOSED_MARK],
    )


def contact_keys(business_id: str, phone: str | None, email: str | None) -> dict[tuple[str, str], tuple[str, str]]:
    """The table keys of her contacts' entry lists, by (kind, value)."""
    wanted = [(k, v) for k, v in (("phone", phone), ("email", email)) if v]
    return {kv: (keys.biz(business_id), keys.wait_contact_sk(*kv)) for kv in wanted}


def contacts_from(key_of: dict[tuple[str, str], tuple[str, str]], found: dict[tuple[str, str], Any]) -> Contacts:
    """Her contacts' entry lists out of a BatchGetItem's answer."""
    out = []
    for (kind, value), key in key_of.items():
        raw = found.get(key)
        if raw is None:
            out.append(Contact(kind, value))
            continue
        item = WaitContactItem.from_raw_data(raw)
        e = dict(item.e.as_dict()) if item.e else {}  # type: ignore[no-untyped-call]
        every = [_contact_entry(k, str(v)) for k, v in sorted(e.items())]
        out.append(
            Contact(
                kind,
                value,
                tuple(x for x in every if not x.closed),
                int(item.v or 0),
                tuple(x for x in every if x.closed),
            )
        )
    return Contacts(tuple(out))


def read_contacts(business_id: str, phone: str | None, email: str | None) -> Contacts:
    """The entries of her phone and her email: one BatchGetItem, read consistently."""
    db.configure()
    key_of = contact_keys(business_id, phone, email)
    return contacts_from(key_of, db.batch_get(list(key_of.values()), consistent=True))


def _write_contacts(
    tx: Tx,
    business_id: str,
    contacts: Contacts,
    entry: Entry | None,
    drop: Sequence[str],
    keep_after: date,
    gone: Sequence[str] = (),
) -> None:
    """Each contact's map with `entry` in it (None: only `drop`ped or `gone`), on the
    version read. An entry `drop`ped (it left the list) or past its last day is kept
    marked closed until its item's TTL (erasure finds it by her contact), then pruned.
    An entry `gone` leaves the map entirely (an edit moved it off this contact: it was
    never this contact's, and her export or erasure must not find it)."""
    from dataclasses import replace as _replace

    for c in contacts.of:
        pk, sk = keys.biz(business_id), keys.wait_contact_sk(c.kind, c.value)
        current = [
            x if x.last >= keep_after and x.entry_id not in drop else _replace(x, closed=True)
            for x in (*c.closed, *c.entries)
            if x.entry_id not in gone
        ]
        kept = [x for x in current if x.last + ENTRY_KEEP >= keep_after]
        values = {x.entry_id: x.value() for x in kept}
        if entry is not None:
            values[entry.id] = _contact_value(entry)
        last = max(([entry.last] if entry else []) + [x.last for x in kept], default=keep_after)
        item = WaitContactItem(pk, sk, e=values, v=c.version + 1, expires_at=_expiry(last, ENTRY_KEEP))
        condition = WaitContactItem.pk.does_not_exist() if c.version == 0 else WaitContactItem.v == c.version
        tx.put(item, "contact", condition=condition)


def read_contacts_of(business_id: str, people: Sequence[tuple[str | None, str | None]]) -> list[Contacts]:
    """The entries of each (phone, email) in `people` (the clients a search found): one
    BatchGetItem of all their contacts' lists, not read consistently."""
    db.configure()
    key_ofs = [contact_keys(business_id, phone, email) for phone, email in people]
    wanted = [key for key_of in key_ofs for key in key_of.values()]
    found = db.batch_get(wanted) if wanted else {}
    return [contacts_from(key_of, found) for key_of in key_ofs]


# --- writing entries ---------------------------------------------------------------------------
def _leave(tx: Tx, closed: Entry, role: str = "entry") -> None:
    """Inside `tx`: the entry as closed (only if it was still open) and its day items gone."""
    tx.put(_entry_item(closed), role, condition=WaitlistEntryItem.status == EntryStatus.OPEN.value)
    for day in closed.days():
        tx.delete(
            WaitDayItem(
                keys.wait_day_pk(closed.business_id, closed.service_id, day),
                keys.wait_day_sk(closed.created_at, closed.id),
            ),
            "day",
        )


def save_entry(
    entry: Entry,
    contacts: Contacts,
    replaces: ContactEntry | None,
    today: date,
    closes: Entry | None = None,
    closes_contacts: Contacts = Contacts(),
    now: datetime | None = None,
    confirmation: PlannedMessage | None = None,
    per_day: int = 0,
    was: Entry | None = None,
) -> None:
    """Write a new entry, or `entry` over the one it `replaces` (same id, same place in
    the queue), with its day items and the contact's list, in one transaction. `closes`:
    the owner's edit moved the entry to another service or contact — the old entry leaves
    the list (its day items go; `closes_contacts`, its contacts' lists as read that are not
    `contacts`, drop it entirely — it was never theirs —, while `contacts` it keeps mark it
    closed) in the same transaction: all of it or nothing. `confirmation`:
    the message with her link, counted on her joining confirmations of the day (at most
    `per_day`: MessagesCapped when they are used up). `was`: the entry as read before an
    edit of it (its search keys of a former name or contact go after)."""
    tx = Tx(WaitlistEntryItem)
    tx.put(_entry_item(entry), "entry")
    if confirmation is not None:
        outbox.queue(tx, [confirmation], now or entry.updated_at)
        _count_message(tx, entry, today, per_day, "WAITJ")
    dropped: tuple[str, ...] = ()
    if closes is not None:
        from dataclasses import replace as _replace

        left = _replace(closes, status=EntryStatus.LEFT.value, updated_at=now or entry.updated_at, moved_to=entry.id)
        _leave(tx, left, "closed")
        dropped = (closes.id,)
        # The contacts it moved off: it leaves their lists entirely (a mistyped phone was
        # another person's); the contacts it keeps mark it closed below.
        _write_contacts(tx, entry.business_id, closes_contacts, None, (), today, gone=dropped)
    days = set(entry.days())
    if replaces is not None:
        old = replaces.first
        while old <= replaces.last:
            if old not in days:
                tx.delete(
                    WaitDayItem(
                        keys.wait_day_pk(entry.business_id, replaces.service_id, old),
                        keys.wait_day_sk(replaces.created_at, entry.id),
                    ),
                    "day",
                )
            old += timedelta(days=1)
    for day in sorted(days):
        if day >= today:
            tx.put(_day_item(entry, day), "day")
    _write_contacts(tx, entry.business_id, contacts, entry, dropped, today)
    happened = [events.waitlist_joined(entry, replaces is not None, entry.updated_at)]
    if closes is not None:  # the edit moved her to another service or contact: the old entry left
        happened.insert(0, events.waitlist_closed(closes, EntryStatus.LEFT.value, entry.updated_at, None))
    webhooks.emit(tx, entry.business_id, happened, entry.updated_at)
    search.put_entry_keys([entry])  # before: she is never on the list yet unfound
    try:
        tx.commit()
    except TxFailed as err:
        if "count" in err.failed:
            raise MessagesCapped() from err
        if "contact" in err.failed or err.conflict:
            raise ContactChanged() from err
        if "closed" in err.failed:
            raise EntryClosed() from err
        raise
    if closes is not None:
        search.drop_entry_keys(closes)
    if was is not None and was.id == entry.id:
        search.drop_entry_keys(was, entry)


def _count_message(tx: Tx, entry: Entry, day: date, per_day: int, what: str = "WAITN") -> None:
    """Inside `tx`: one more waitlist message (`what`: WAITN an offer, WAITJ a joining
    confirmation) to her contact on `day`, if under `per_day`."""
    tx.update(
        OfferCountItem(keys.biz(entry.business_id), keys.offer_count_sk(entry.contact, day, what)),
        [OfferCountItem.n.add(1), OfferCountItem.expires_at.set(_expiry(day, timedelta(days=2)))],
        "count",
        condition=OfferCountItem.n.does_not_exist() | (OfferCountItem.n < per_day),
    )


def close_entry(entry: Entry, status: str, now: datetime, appointment_id: str | None = None) -> bool:
    """The entry leaves the list (booked, left or removed): its day items go, the
    contacts' lists keep it marked closed (no longer open for duplicates, the limit or
    offers; found by erasure until its TTL). False when it was closed already."""
    from dataclasses import replace

    db.configure()
    closed = replace(entry, status=status, updated_at=now, booked_appointment=appointment_id)
    tx = Tx(WaitlistEntryItem)
    _leave(tx, closed)
    for kind, value in (("phone", entry.phone), ("email", entry.email)):
        if value:
            tx.update(
                WaitContactItem(keys.biz(entry.business_id), keys.wait_contact_sk(kind, value)),
                [WaitContactItem.e[entry.id].set(_contact_value(entry, closed=True)), WaitContactItem.v.add(1)],
                "contact",
                condition=WaitContactItem.pk.exists(),
            )
    webhooks.emit(tx, entry.business_id, [events.waitlist_closed(entry, status, now, appointment_id)], now)
    try:
        tx.commit()
    except TxFailed as err:
        if "entry" in err.failed:
            return False
        if "contact" in err.failed:  # a contact has no list (seeded entries): start one
            if not _close_without_contacts(closed, entry):
                return False
        else:
            raise
    search.drop_entry_keys(entry)
    return True


def _close_without_contacts(closed: Entry, entry: Entry, attempts: int = 3) -> bool:
    """Close `entry` where a contact of hers has no list (entries seeded without one):
    the lists there are (read now) mark it closed and a missing one is put with it alone,
    conditioned on the versions read; a list written meanwhile is read again. Only when
    they keep changing does the entry close without them. False when it was closed already."""
    for attempt in range(attempts + 1):
        tx = Tx(WaitlistEntryItem)
        _leave(tx, closed)
        if attempt < attempts:
            _mark_in_lists(tx, entry)
        webhooks.emit(
            tx,
            entry.business_id,
            [events.waitlist_closed(entry, closed.status, closed.updated_at, closed.booked_appointment)],
            closed.updated_at,
        )
        try:
            tx.commit()
        except TxFailed as err:
            if "entry" in err.failed or attempt == attempts:
                return False
            continue
        return True
    return False


def _mark_in_lists(tx: Tx, entry: Entry, closed: bool = True, contacts: Contacts | None = None) -> None:
    """Inside `tx`: her contacts' lists (`contacts`, else read now) with `entry` marked
    closed (`closed` False: open again), each on the version read."""
    mark = ContactEntry(entry.id, entry.service_id, entry.first, entry.last, entry.created_at, closed=closed)
    if contacts is None:
        contacts = read_contacts(entry.business_id, entry.phone, entry.email)
    for c in contacts.of:
        listed = [x for x in (*c.closed, *c.entries) if x.entry_id != entry.id]
        item = WaitContactItem(
            keys.biz(entry.business_id),
            keys.wait_contact_sk(c.kind, c.value),
            e={**{x.entry_id: x.value() for x in listed}, entry.id: mark.value()},
            v=c.version + 1,
            expires_at=_expiry(max([entry.last, *(x.last for x in listed)]), ENTRY_KEEP),
        )
        condition = WaitContactItem.pk.does_not_exist() if c.version == 0 else WaitContactItem.v == c.version
        tx.put(item, "contact", condition=condition)


def unpaid_offer(offer: Offer, entry: Entry | None, today: date, now: datetime, limit: int, attempts: int = 3) -> bool:
    """The booking `offer` was taken with, held for its payment, ended unpaid: the offer is
    marked unpaid and `entry` (closed as booked with it) is open again — same id, same place
    in the queue, its day items from `today`, her contacts' lists marking it open — in one
    transaction conditioned on the offer still taken and the entry still booked. The entry
    stays closed when its days have passed, when she joined again for the service over its
    dates meanwhile (that entry stands) or when a contact of hers has `limit` open entries.
    True when the entry was opened again. DatabaseBusy when her lists changed under every
    try: nothing written, for its caller to try again later (the freed time's item)."""
    from dataclasses import replace

    db.configure()
    for _ in range(attempts):
        tx = Tx(OfferItem)
        tx.put(
            _offer_item(replace(offer, status=OfferStatus.UNPAID.value)),
            "offer",
            condition=OfferItem.status == OfferStatus.TAKEN.value,
        )
        reopened = _reopen(tx, entry, today, now, limit) if entry is not None else None
        if reopened is not None:
            search.put_entry_keys([reopened])  # before: she is never on the list yet unfound
        try:
            tx.commit()
        except TxFailed as err:
            if "offer" in err.failed or "entry" in err.failed:
                return False  # done before (or the entry changed meanwhile)
            if "contact" in err.failed or err.conflict:
                continue  # her list was written meanwhile: read it again
            raise
        return reopened is not None
    raise faults.DatabaseBusy("transaction", "contact")


def _reopen(tx: Tx, entry: Entry, today: date, now: datetime, limit: int) -> Entry | None:
    """Inside `tx`: `entry`, closed as booked, open again (None: it stays closed)."""
    from dataclasses import replace

    if entry.status != EntryStatus.BOOKED.value or entry.last < today:
        return None
    contacts = read_contacts(entry.business_id, entry.phone, entry.email)
    for c in contacts.of:
        others = [x for x in c.entries if x.entry_id != entry.id and x.last >= today]
        if len(others) >= limit or any(
            x.service_id == entry.service_id and x.first <= entry.last and entry.first <= x.last for x in others
        ):
            return None
    reopened = replace(entry, status=EntryStatus.OPEN.value, updated_at=now, booked_appointment=None)
    tx.put(_entry_item(reopened), "entry", condition=WaitlistEntryItem.status == EntryStatus.BOOKED.value)
    for day in reopened.days():
        if day >= today:
            tx.put(_day_item(reopened, day), "day")
    _mark_in_lists(tx, reopened, closed=False, contacts=contacts)
    webhooks.emit(tx, entry.business_id, [events.waitlist_joined(reopened, True, now)], now)
    return reopened


# --- erasure (store/client_data.py) ----------------------------------------------------------
def blank_entry(e: Entry, erased_name: str) -> None:
    """The entry's item without her name and contacts (GDPR erasure); the rest, which
    the waitlist's figures read, stays."""
    from dataclasses import replace

    db.configure()
    blank = replace(e, name=erased_name, phone=None, email=None)
    WaitlistEntryItem(keys.biz(e.business_id), keys.wait_sk(e.id)).update(
        actions=[WaitlistEntryItem.entry.set(entry_to_dict(blank))]
    )


def forget_contacts(business_id: str, contacts: Contacts, hers: Collection[str]) -> None:
    """Her entries (`hers`) leave her phone's and email's entry lists (GDPR erasure); a
    list that names no one else's entry goes. Another person's entry made with her
    contact (a daughter with her mother's number) stays on it: still counted for the
    contact's limit and duplicates, and closed as usual when it leaves the list."""
    db.configure()
    for c in contacts.of:
        item = WaitContactItem(keys.biz(business_id), keys.wait_contact_sk(c.kind, c.value))
        named = {x.entry_id for x in (*c.entries, *c.closed)}
        if not named - set(hers):
            try:
                item.delete(condition=WaitContactItem.v == c.version if c.version else None)
                continue
            except DeleteError as err:
                if err.cause_response_code != "ConditionalCheckFailedException":
                    raise
            # Written meanwhile (a join with her contact): take out only hers.
        gone = [WaitContactItem.e[entry_id].remove() for entry_id in sorted(set(hers) & named)]
        if not gone:
            continue
        try:
            item.update(actions=[*gone, WaitContactItem.v.add(1)], condition=WaitContactItem.pk.exists())
        except UpdateError as err:
            if err.cause_response_code != "ConditionalCheckFailedException":
                raise  # else: no list (gone meanwhile), nothing to take out


# --- reading entries ------------------------------------------------------------------------------
def get_entry(business_id: str, entry_id: str) -> Entry | None:
    db.configure()
    try:
        item = WaitlistEntryItem.get(keys.biz(business_id), keys.wait_sk(entry_id), consistent_read=True)
    except WaitlistEntryItem.DoesNotExist:
        return None
    return entry_from_dict(dict(item.entry))


def find_open(business_id: str, needle: str, today: date, limit: int) -> list[Entry]:
    """The open entries the desk's client search finds by `needle` (search_text's form),
    first to join first: one Query of their search keys (at most `limit` read) and one
    BatchGetItem of the entries they name; a key older than its entry's last change is
    passed over."""
    ids = search.find_entries(business_id, needle, limit)
    if not ids:
        return []
    found = db.batch_get([(keys.biz(business_id), keys.wait_sk(i)) for i in ids])
    out = []
    for raw in found.values():
        e = entry_from_dict(dict(WaitlistEntryItem.from_raw_data(raw).entry))
        if e.is_open(today) and search.entry_found_by(e, needle):
            out.append(e)
    return sorted(out, key=lambda e: (e.created_at, e.id))


def index_search(business_id: str, today: date) -> int:
    """Write the search keys of the business's open entries (those from before the keys
    existed): one Query of its WAIT# range, a migration's read, never a request's.
    Repeatable; returns how many entries it indexed."""
    open_ = [e for e in entries_of(business_id) if e.is_open(today)]
    search.put_entry_keys(open_)
    return len(open_)


def index_closed(business_id: str, today: date, attempts: int = 3) -> int:
    """Mark on her contacts' lists the business's kept entries that are no longer open
    and that the lists do not name (closed, or pruned when their days passed, before the
    lists kept them), so that erasure finds them: one Query of its WAIT# range, a
    migration's read, never a request's; each list written once, on the version read.
    Repeatable; returns how many entries it marked. An entry an edit moved to another
    contact is marked only on the contacts the entry it moved to keeps (the others were
    never its contact's: a mistyped phone), and nowhere when that entry is gone."""
    kept = entries_of(business_id)
    by_id = {e.id: e for e in kept}
    by_contact: dict[tuple[str, str], list[Entry]] = {}
    for e in kept:
        if e.is_open(today):
            continue
        successor = by_id.get(e.moved_to) if e.moved_to else None
        for kind, value in (("phone", e.phone), ("email", e.email)):
            if not value:
                continue
            if e.moved_to and (successor is None or value not in (successor.phone, successor.email)):
                continue
            by_contact.setdefault((kind, value), []).append(e)
    marked: set[str] = set()
    for (kind, value), entries in by_contact.items():
        for _ in range(attempts):
            phone, email = (value, None) if kind == "phone" else (None, value)
            [c] = read_contacts(business_id, phone, email).of
            listed = [*c.closed, *c.entries]
            missing = [e for e in entries if e.id not in {x.entry_id for x in listed}]
            if not missing:
                break
            tx = Tx(WaitContactItem)
            tx.put(
                WaitContactItem(
                    keys.biz(business_id),
                    keys.wait_contact_sk(kind, value),
                    e={x.entry_id: x.value() for x in listed} | {e.id: _contact_value(e, closed=True) for e in missing},
                    v=c.version + 1,
                    expires_at=_expiry(max([*(x.last for x in listed), *(e.last for e in missing)]), ENTRY_KEEP),
                ),
                "contact",
                condition=WaitContactItem.pk.does_not_exist() if c.version == 0 else WaitContactItem.v == c.version,
            )
            try:
                tx.commit()
            except TxFailed:
                continue  # the list was written meanwhile: read it again
            marked.update(e.id for e in missing)
            break
    return len(marked)


def waiting_on(business_id: str, service_id: str, day: date) -> list[Entry]:
    """The open entries for a service on a local day, in queue order: one Query that reads
    only them."""
    db.configure()
    found = WaitDayItem.query(keys.wait_day_pk(business_id, service_id, day))
    return [entry_from_dict(dict(i.entry)) for i in found]


def entries_of(business_id: str) -> list[Entry]:
    """Every entry of the business still kept (open and recent), for the owner's list:
    one Query of its partition's WAIT# range."""
    db.configure()
    found = WaitlistEntryItem.query(keys.biz(business_id), WaitlistEntryItem.sk.startswith(keys.WAIT_PREFIX))
    return [entry_from_dict(dict(i.entry)) for i in found]


def waiting_counts(business_id: str, first: date, last: date) -> dict[tuple[date, str], int]:
    """How many wait for each (local day, service) from `first` to `last`: one Query on g1;
    an entry counts on the days of her windows only (each of her dates has an item)."""
    db.configure()
    lo, hi = first.isoformat(), f"{last.isoformat()}#~"
    counts: dict[tuple[date, str], int] = {}
    for item in WaitDayItem.by_day.query(keys.waiting_per_day(business_id), WaitDayItem.g1sk.between(lo, hi)):
        day, service, _ = (item.g1sk or "").split("#", 2)
        on = date.fromisoformat(day)
        if entry_from_dict(item.entry).waits_on(on):
            counts[(on, service)] = counts.get((on, service), 0) + 1
    return counts


# --- offers ------------------------------------------------------------------------------------------
def offer_to_dict(o: Offer) -> dict[str, Any]:
    d = asdict(o)
    for k in ("start", "end", "freed_start", "freed_end", "created_at", "expires_at", "taken_at"):
        d[k] = _iso(getattr(o, k))
    return d


def offer_from_dict(d: dict[str, Any]) -> Offer:
    times = {
        k: _parse(d[k]) if d.get(k) else None
        for k in ("start", "end", "freed_start", "freed_end", "created_at", "expires_at", "taken_at")
    }
    return Offer(
        id=d["id"],
        business_id=d["business_id"],
        entry_id=d["entry_id"],
        service_id=d["service_id"],
        staff_id=d["staff_id"],
        start=times["start"],  # type: ignore[arg-type]
        end=times["end"],  # type: ignore[arg-type]
        freed_start=times["freed_start"],  # type: ignore[arg-type]
        freed_end=times["freed_end"],  # type: ignore[arg-type]
        created_at=times["created_at"],  # type: ignore[arg-type]
        expires_at=times["expires_at"],  # type: ignore[arg-type]
        mode=d.get("mode", "all"),
        status=d.get("status", OfferStatus.OPEN.value),
        channel=d.get("channel"),
        appointment_id=d.get("appointment_id"),
        taken_at=times["taken_at"],
        price_cents=int(d.get("price_cents") or 0),
        extra=dict(d.get("extra") or {}),
    )


def _offer_item(o: Offer) -> OfferItem:
    item = OfferItem(
        keys.biz(o.business_id),
        keys.offer_sk(o.id),
        offer=offer_to_dict(o),
        status=o.status,
        expires_at=o.start + OFFER_KEEP,
    )
    item.g1pk, item.g1sk = keys.offer_keys(o.business_id, o.id, o.start)
    if o.mode == "queue" and o.status == OfferStatus.OPEN.value:
        item.g4pk, item.g4sk = keys.offer_hold_keys(o.business_id, o.id, o.expires_at)
    return item


class OfferResult:
    MADE = "made"
    EXISTS = "exists"  # offered before (the job ran twice)
    CAPPED = "capped"  # she had her offers of the day
    CLOSED = "closed"  # the entry left the list meanwhile


def make_offer(
    offer: Offer, entry: Entry, messages: Sequence[PlannedMessage], day: date, per_day: int, now: datetime
) -> tuple[str, list[Message]]:
    """Put the offer, its messages and her count of the day in one transaction, once."""
    db.configure()
    tx = Tx(OfferItem)
    tx.put(_offer_item(offer), "offer", condition=OfferItem.pk.does_not_exist())
    tx.check(
        WaitlistEntryItem,
        keys.biz(entry.business_id),
        keys.wait_sk(entry.id),
        WaitlistEntryItem.status == EntryStatus.OPEN.value,
        "entry",
    )
    _count_message(tx, entry, day, per_day)
    sent = outbox.queue(tx, messages, now)
    webhooks.emit(tx, entry.business_id, [events.waitlist_offered(offer, now)], now)
    try:
        tx.commit()
    except TxFailed as err:
        if "offer" in err.failed or "message" in err.failed:
            return OfferResult.EXISTS, []
        if "entry" in err.failed:
            return OfferResult.CLOSED, []
        if "count" in err.failed:
            return OfferResult.CAPPED, []
        if err.conflict:
            return OfferResult.EXISTS, []
        raise
    return OfferResult.MADE, sent


def get_offer(business_id: str, offer_id: str) -> Offer | None:
    db.configure()
    try:
        item = OfferItem.get(keys.biz(business_id), keys.offer_sk(offer_id), consistent_read=True)
    except OfferItem.DoesNotExist:
        return None
    return offer_from_dict(dict(item.offer))


def set_offer_status(offer: Offer, status: str, now: datetime, appointment_id: str | None = None) -> bool:
    """An open offer taken (she booked it) or lost; it leaves the hold index. False when
    it was no longer open."""
    from dataclasses import replace

    db.configure()
    done = replace(offer, status=status, taken_at=now, appointment_id=appointment_id)
    try:
        _offer_item(done).save(condition=OfferItem.status == OfferStatus.OPEN.value)
    except Exception as err:
        if "ConditionalCheckFailed" in str(err):
            return False
        raise
    return True


def holds_run_out(since: datetime, until: datetime) -> list[Offer]:
    """Queue-mode offers whose hold ran out in [since, until]: Query gsi4 per hour and shard."""
    db.configure()
    lo, hi = keys.between(since, until)
    out = []
    for bucket in keys.hour_buckets("OFFHOLD", since, until):
        for item in OfferItem.by_hold.query(bucket, OfferItem.g4sk.between(lo, hi)):
            out.append(offer_from_dict(dict(item.offer)))
    return out


def pass_on(offer: Offer, freed: Message | None = None) -> bool:
    """Take a run-out queue offer out of the hold index, once: True for the one caller
    that did (it offers the time to the next in the queue). With `freed`, the outbox item
    that offers it to the next, in the same transaction: the pass is never lost."""
    db.configure()
    if freed is not None:
        tx = Tx(OfferItem)
        tx.update(
            OfferItem(keys.biz(offer.business_id), keys.offer_sk(offer.id)),
            [OfferItem.g4pk.remove(), OfferItem.g4sk.remove()],
            "offer",
            condition=OfferItem.g4pk.exists(),
        )
        outbox.put(tx, [freed])
        try:
            tx.commit()
        except TxFailed as err:
            if "offer" in err.failed or "message" in err.failed or err.conflict:
                return False
            raise
        return True
    try:
        OfferItem(keys.biz(offer.business_id), keys.offer_sk(offer.id)).update(
            actions=[OfferItem.g4pk.remove(), OfferItem.g4sk.remove()],
            condition=OfferItem.g4pk.exists(),
        )
    except Exception as err:
        if "ConditionalCheckFailed" in str(err):
            return False
        raise
    return True


def offers_between(business_id: str, since: datetime, until: datetime) -> list[Offer]:
    """The business's offers of times in [since, until): one Query on g1."""
    db.configure()
    lo, hi = keys.between(since, until)
    found = OfferItem.by_business.query(keys.business_offers(business_id), OfferItem.g1sk.between(lo, hi))
    return [offer_from_dict(dict(i.offer)) for i in found]


# --- the waitlist's KPIs (docs/kpis.md) ----------------------------------------------------------
def count_freed(business_id: str, day: date, minutes: int) -> None:
    """Freed minutes ahead, on the business's day aggregate of the freed time's day."""
    db.configure()
    AggregateItem(keys.biz(business_id), keys.aggregate_sk(day.isoformat())).update(
        actions=[AggregateItem.waitlist_freed_minutes.add(minutes)]
    )


FREED_DAYS_PER_TX = 98  # a transaction's 100 items: the item, its days' aggregates


def freed_done(m: Message, minutes_by_day: dict[date, int], now: datetime) -> bool:
    """A freed-time outbox item (services/waitlist/refill.py) done: its freed minutes
    counted on their days' aggregates and the item marked sent, in one transaction
    conditioned on the caller still holding it (its lease as claimed). More days than one
    transaction holds go in chunks before it, each moving the item's `counted_chunks` on,
    so a run taken over after a crash counts only the chunks not counted yet. False:
    another caller holds it now (it finishes it); nothing is counted twice."""
    db.configure()
    days = [(d, n) for d, n in sorted(minutes_by_day.items()) if n > 0]
    chunks = [days[i : i + FREED_DAYS_PER_TX] for i in range(0, len(days), FREED_DAYS_PER_TX)] or [[]]
    item = MessageItem(keys.biz(m.business_id), keys.msg_sk(m.key))
    held = (MessageItem.status == MessageStatus.SENDING.value) & (MessageItem.lease_until == m.lease_until)
    for n, chunk in enumerate(chunks):
        last = n == len(chunks) - 1
        tx = Tx(MessageItem)
        actions: list[Action] = [MessageItem.counted_chunks.set(n + 1)]
        if last:
            actions += [
                MessageItem.status.set(MessageStatus.SENT.value),
                MessageItem.sent_at.set(now),
                MessageItem.attempts.add(1),
                MessageItem.lease_until.remove(),
                MessageItem.g3pk.remove(),
                MessageItem.g3sk.remove(),
                MessageItem.expires_at.set(now + OFFER_KEEP),
            ]
        not_counted = MessageItem.counted_chunks.does_not_exist() | (MessageItem.counted_chunks <= n)
        tx.update(item, actions, "message", condition=held & not_counted)
        for day, minutes in chunk:
            tx.update(
                AggregateItem(keys.biz(m.business_id), keys.aggregate_sk(day.isoformat())),
                [AggregateItem.waitlist_freed_minutes.add(minutes)],
                "aggregate",
            )
        try:
            tx.commit()
        except TxFailed:
            if last or not _counted_before(item, m, n):
                return False
    return True


def _counted_before(item: MessageItem, m: Message, chunk: int) -> bool:
    """Whether the chunk failed only because a run before this one counted it (go on)."""
    try:
        found = MessageItem.get(item.pk, item.sk, consistent_read=True)
    except MessageItem.DoesNotExist:
        return False
    return found.lease_until == m.lease_until and int(found.counted_chunks or 0) > chunk


def count_refill(business_id: str, refill: RefillCount, tx: Tx | None = None) -> None:
    """A freed time booked again through an offer, on its day's aggregate (inside `tx`:
    counted in that transaction, e.g. the one that books a held offer paid)."""
    db.configure()
    item = AggregateItem(keys.biz(business_id), keys.aggregate_sk(refill.day.isoformat()))
    actions: list[Action] = [
        AggregateItem.waitlist_refilled_minutes.add(refill.minutes),
        AggregateItem.waitlist_refills.add(1),
        AggregateItem.waitlist_revenue_cents.add(refill.revenue_cents),
        AggregateItem.waitlist_refill_seconds.set(
            (AggregateItem.waitlist_refill_seconds | []).append([max(0, refill.seconds)])
        ),
    ]
    if tx is not None:
        tx.update(item, actions, "aggregate")
    else:
        item.update(actions=actions)


@dataclass(frozen=True)
class RefillDay:
    freed_minutes: int
    refilled_minutes: int
    refills: int
    revenue_cents: int
    refill_seconds: tuple[int, ...]


def refill_days(business_id: str, first: date, last: date) -> dict[date, RefillDay]:
    """The waitlist's counters of each day from `first` to `last`: one Query of the day
    aggregates (the business's own, not its staff members')."""
    db.configure()
    lo, hi = keys.day_aggregates(first, last)
    out = {}
    for a in AggregateItem.query(keys.biz(business_id), AggregateItem.sk.between(lo, hi)):
        period = keys.period_of(a.sk)
        if "@" in period or (a.waitlist_freed_minutes is None and a.waitlist_refills is None):
            continue
        out[date.fromisoformat(period)] = RefillDay(
            int(a.waitlist_freed_minutes or 0),
            int(a.waitlist_refilled_minutes or 0),
            int(a.waitlist_refills or 0),
            int(a.waitlist_revenue_cents or 0),
            tuple(int(float(str(x))) for x in (a.waitlist_refill_seconds or [])),
        )
    return out


def load_entries(entries: Sequence[Entry], today: date) -> None:
    """Write many open entries and their day items at once (BatchWriteItem; no contact
    lists): seeding a bench or a demo, never a request path."""
    db.configure()
    search.put_entry_keys(entries)
    with WaitlistEntryItem.batch_write() as batch:
        for e in entries:
            batch.save(_entry_item(e))
            for day in e.days():
                if day >= today:
                    batch.save(_day_item(e, day))
