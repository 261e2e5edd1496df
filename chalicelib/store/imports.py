"""CSV imports: the upload's record and its chunks, the running imports the job works
through, and the writes an import makes (new clients with their contact keys, what a
merge adds to an existing client, the imported past visits and notes).

Every write is repeatable: ids are derived from the import and the row
(chalicelib/domain/csv_import.py), a new client and her contact keys are one
conditional transaction, a note goes in one with its claim on her card (her id and its
words, whatever import writes it), and a chunk counts once because recording it is
conditioned on the number of chunks done. A job that crashed mid-chunk simply does the
chunk again; two imports of one file running at once write each note once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib.domain import webhooks as events
from chalicelib.domain.booking import Appointment
from chalicelib.domain.contacts import fold, search_text
from chalicelib.domain.csv_import import (
    ChunkResult,
    ImportRecord,
    Merge,
    NewClient,
    Status,
    kept_rejected,
    note_claim_for,
)
from chalicelib.domain.webhooks import EVENTS_PER_ITEM
from chalicelib.settings import get_settings
from chalicelib.store import bookings, clients, db, keys, search, webhooks
from chalicelib.store.models import (
    AppointmentItem,
    ClientItem,
    ClientKeyItem,
    ImportChunkItem,
    ImportItem,
    NoteClaimItem,
    NoteItem,
)
from chalicelib.store.tx import Tx, TxFailed

T = TypeVar("T")
R = TypeVar("R")
# Uploaded rows hold personal data: a preview nobody runs is gone after this, and the
# chunks of a finished import are deleted at once.
CHUNK_TTL = timedelta(days=3)
# A finished import's record (its rejected rows quote the bad values) is kept this long.
RECORD_TTL = timedelta(days=30)
TX_ITEMS = 99  # DynamoDB allows 100 items in one transaction (webhook events included)


class ImportTaken(Exception):
    """Someone else recorded this chunk (or finished the import) meanwhile."""


# --- the record ----------------------------------------------------------------------------
def _record(i: ImportItem) -> ImportRecord:
    return ImportRecord(
        business_id=i.business_id,
        id=i.import_id,
        status=i.status,
        created_at=i.created_at,
        created_by=i.created_by,
        file=dict(i.file or {}),
        dry_run=dict(i.dry_run or {}),
        total_rows=int(i.total_rows),
        chunks=int(i.chunks),
        chunks_done=int(i.chunks_done or 0),
        done_rows=int(i.done_rows or 0),
        created=int(i.created or 0),
        contactless=int(i.contactless or 0),
        merged=int(i.merged or 0),
        visits=int(i.visits or 0),
        notes=int(i.notes or 0),
        rejected=tuple(i.rejected or ()),
        rejected_total=int(i.rejected_total or 0),
        started_at=i.started_at,
        finished_at=i.finished_at,
        lease_until=i.lease_until,
        failures=int(i.failures or 0),
    )


def _key(business_id: str, import_id: str) -> ImportItem:
    return ImportItem(keys.biz(business_id), keys.import_sk(import_id))


def save_preview(rec: ImportRecord, chunks: Sequence[Sequence[Mapping[str, Any]]], now: datetime) -> None:
    """The chunks, then the record that points at them (chunks without a record expire)."""
    db.configure()
    pk = keys.biz(rec.business_id)
    with ImportChunkItem.batch_write() as batch:
        for n, chunk in enumerate(chunks):
            batch.save(
                ImportChunkItem(
                    pk,
                    keys.import_chunk_sk(rec.id, n),
                    business_id=rec.business_id,
                    import_id=rec.id,
                    clients=list(chunk),
                    expires_at=now + CHUNK_TTL,
                )
            )
    ImportItem(
        pk,
        keys.import_sk(rec.id),
        business_id=rec.business_id,
        import_id=rec.id,
        status=rec.status,
        created_at=rec.created_at,
        created_by=rec.created_by,
        updated_at=now,
        file=dict(rec.file),
        dry_run=dict(rec.dry_run),
        total_rows=rec.total_rows,
        chunks=rec.chunks,
        chunks_done=0,
        done_rows=rec.done_rows,
        rejected=[dict(r) for r in rec.rejected],
        rejected_total=rec.rejected_total,
        expires_at=now + CHUNK_TTL,
    ).save(condition=ImportItem.pk.does_not_exist())


def get(business_id: str, import_id: str) -> ImportRecord | None:
    db.configure()
    try:
        return _record(ImportItem.get(keys.biz(business_id), keys.import_sk(import_id), consistent_read=True))
    except ImportItem.DoesNotExist:
        return None


def start(business_id: str, import_id: str, now: datetime) -> bool:
    """previewed -> running (and on the job's list); False if it was not previewed."""
    db.configure()
    g4pk, g4sk = keys.running_import_keys(business_id, import_id, now)
    try:
        _key(business_id, import_id).update(
            actions=[
                ImportItem.status.set(Status.RUNNING),
                ImportItem.started_at.set(now),
                ImportItem.updated_at.set(now),
                ImportItem.g4pk.set(g4pk),
                ImportItem.g4sk.set(g4sk),
                ImportItem.expires_at.remove(),
            ],
            condition=ImportItem.status == Status.PREVIEWED,
        )
    except UpdateError:
        return False
    return True


def claim(business_id: str, import_id: str, now: datetime, lease: timedelta) -> ImportRecord | None:
    """Work on a running import until now + lease, unless someone else does: the import
    as it is then, or None."""
    db.configure()
    item = _key(business_id, import_id)
    free = ImportItem.lease_until.does_not_exist() | (ImportItem.lease_until < now)
    try:
        item.update(
            actions=[ImportItem.lease_until.set(now + lease)],
            condition=(ImportItem.status == Status.RUNNING) & free,
        )
    except UpdateError:
        return None
    return _record(item)


def release(rec: ImportRecord) -> None:
    db.configure()
    try:
        _key(rec.business_id, rec.id).update(
            actions=[ImportItem.lease_until.remove()], condition=ImportItem.pk.exists()
        )
    except UpdateError:
        pass


def chunk(business_id: str, import_id: str, n: int) -> list[Mapping[str, Any]]:
    db.configure()
    try:
        item = ImportChunkItem.get(keys.biz(business_id), keys.import_chunk_sk(import_id, n), consistent_read=True)
    except ImportChunkItem.DoesNotExist:
        return []
    return list(item.clients or [])


def record_chunk(rec: ImportRecord, n: int, result: ChunkResult, now: datetime) -> ImportRecord:
    """Count chunk `n` done, once (ImportTaken if it was counted already); the last one
    finishes the import and takes it off the job's list."""
    db.configure()
    rejected = kept_rejected(rec.rejected, result.rejected)
    last = n + 1 >= rec.chunks
    actions: list[Action] = [
        ImportItem.chunks_done.set(n + 1),
        ImportItem.done_rows.add(result.rows),
        ImportItem.created.add(result.created),
        ImportItem.contactless.add(result.contactless),
        ImportItem.merged.add(result.merged),
        ImportItem.visits.add(result.visits),
        ImportItem.notes.add(result.notes),
        ImportItem.rejected.set(rejected),
        ImportItem.rejected_total.add(len(result.rejected)),
        ImportItem.updated_at.set(now),
    ]
    if last:
        actions += _done(now)
    item = _key(rec.business_id, rec.id)
    try:
        item.update(actions=actions, condition=(ImportItem.status == Status.RUNNING) & (ImportItem.chunks_done == n))
    except UpdateError as e:
        raise ImportTaken() from e
    return _record(item)


def _done(now: datetime) -> list[Action]:
    return [
        ImportItem.status.set(Status.DONE),
        ImportItem.finished_at.set(now),
        ImportItem.g4pk.remove(),
        ImportItem.g4sk.remove(),
        ImportItem.lease_until.remove(),
        ImportItem.expires_at.set(now + RECORD_TTL),
    ]


def finish_empty(rec: ImportRecord, now: datetime) -> ImportRecord:
    """A running import with no chunk left to do and none to count (every row was rejected
    by the dry run: no chunk at all) is done; ImportTaken if it is not running any more."""
    db.configure()
    item = _key(rec.business_id, rec.id)
    try:
        item.update(
            actions=[*_done(now), ImportItem.updated_at.set(now)],
            condition=(ImportItem.status == Status.RUNNING) & (ImportItem.chunks_done >= rec.chunks),
        )
    except UpdateError as e:
        raise ImportTaken() from e
    return _record(item)


def count_failure(rec: ImportRecord, now: datetime, give_up_after: int) -> ImportRecord:
    """A chunk attempt raised: counted; after `give_up_after` of them the import fails
    (and leaves the job's list) rather than being retried forever."""
    db.configure()
    item = _key(rec.business_id, rec.id)
    actions: list[Action] = [ImportItem.failures.add(1), ImportItem.lease_until.remove()]
    if rec.failures + 1 >= give_up_after:
        actions += [
            ImportItem.status.set(Status.FAILED),
            ImportItem.finished_at.set(now),
            ImportItem.g4pk.remove(),
            ImportItem.g4sk.remove(),
            ImportItem.expires_at.set(now + RECORD_TTL),
        ]
    item.update(actions=actions)
    return _record(item)


def running(limit: int = 50) -> list[tuple[str, str]]:
    """(business id, import id) of the imports running, oldest first: one Query on g4."""
    db.configure()
    found = ImportItem.by_running.query(keys.RUNNING_IMPORTS, limit=limit)
    return [(i.business_id, i.import_id) for i in found]


def delete_chunks(business_id: str, import_id: str, chunks: int) -> None:
    db.configure()
    pk = keys.biz(business_id)
    with ImportChunkItem.batch_write() as batch:
        for n in range(chunks):
            batch.delete(ImportChunkItem(pk, keys.import_chunk_sk(import_id, n)))


# --- who is who ------------------------------------------------------------------------------
# From this many contacts on, reading all of the business's contact keys (a Query of
# its partition, ~10 000 keys a request) costs less than asking for each (100 a request).
QUERY_CONTACTS_FROM = 1000


def contact_owners(business_id: str, contacts: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(kind, normalized value) -> the client id that contact belongs to, for those that
    belong to someone; read consistently. A whole file's contacts: the business's contact
    keys by Query, if it has no more than a few times as many as asked (else, and for a
    chunk's few, BatchGetItem)."""
    wanted_contacts = list(dict.fromkeys(contacts))
    if len(wanted_contacts) >= QUERY_CONTACTS_FROM:
        every = _all_contact_keys(business_id, limit=4 * len(wanted_contacts))
        if every is not None:
            return {c: every[c] for c in wanted_contacts if c in every}
    pk = keys.biz(business_id)
    wanted = {(pk, keys.client_key_sk(kind, value)): (kind, value) for kind, value in wanted_contacts}
    found = db.batch_get(list(wanted), consistent=True)
    return {wanted[k]: ClientKeyItem.from_raw_data(raw).client_id for k, raw in found.items()}


def _all_contact_keys(business_id: str, limit: int) -> dict[tuple[str, str], str] | None:
    """Every contact key of the business, or None if it has more than `limit` (a Query
    of its own partition, never the table)."""
    db.configure()
    out: dict[tuple[str, str], str] = {}
    for item in ClientKeyItem.query(
        keys.biz(business_id),
        ClientKeyItem.sk.startswith(keys.CLIENT_KEY_PREFIX),
        consistent_read=True,
        limit=limit + 1,
    ):
        out[keys.client_key_of(item.sk)] = item.client_id
        if len(out) > limit:
            return None
    return out


def notes_of(business_id: str, client_ids: Iterable[str]) -> dict[str, list[tuple[str, str, datetime]]]:
    """The notes on these clients' cards, whoever wrote them: client id -> [(note id,
    text, written at)], read consistently (a Query of each card's notes, a few at a time),
    so that an import adds no note a card has already."""
    db.configure()
    pk = keys.biz(business_id)

    def read(client_id: str) -> tuple[str, list[tuple[str, str, datetime]]]:
        found = NoteItem.query(
            pk,
            NoteItem.sk.startswith(keys.notes_of(client_id)),
            consistent_read=True,
            attributes_to_get=["note_id", "text", "created_at"],
        )
        return client_id, [(i.note_id, i.text, i.created_at) for i in found]

    return dict(_in_parallel(read, sorted(set(client_ids))))


def existing_appointments(business_id: str, appointment_ids: Iterable[str]) -> dict[str, str | None]:
    """Which of these appointments exist already: id -> the import that wrote it (None:
    not an import)."""
    pk = keys.biz(business_id)
    wanted = {(pk, keys.appt_sk(a)): a for a in appointment_ids}
    found = db.batch_get(list(wanted), consistent=True)
    return {wanted[k]: AppointmentItem.from_raw_data(raw).import_id for k, raw in found.items()}


# --- writing --------------------------------------------------------------------------------
def _new_client_items(c: NewClient, now: datetime) -> tuple[ClientItem, list[ClientKeyItem]]:
    pk = keys.biz(c.business_id)
    item = clients.new_profile(
        c,
        now,
        birthday=c.birthday,
        last_activity=c.last_activity,
        visits=c.visits,
        spend_cents=c.spend_cents,
        stamps=c.stamps,
    )
    item.g3pk, item.g3sk = keys.erase_keys(c.business_id, c.client_id, c.erase_on.isoformat())
    if c.birthday:
        item.g5pk, item.g5sk = keys.birthday_keys(c.business_id, c.client_id, c.birthday[-5:])
    if c.visits and c.last_visit and c.rhythm is not None and c.at_risk_on and c.lapsed_on:
        item.last_visit_at = c.last_visit
        item.rhythm_days = round(c.rhythm, 2)
        item.at_risk_on = c.at_risk_on.isoformat()
        item.lapsed_on = c.lapsed_on.isoformat()
        item.g1pk, item.g1sk = keys.risk_keys(c.business_id, c.client_id, c.at_risk_on.isoformat())
        item.g4pk, item.g4sk = keys.lapse_keys(c.business_id, c.client_id, c.lapsed_on.isoformat())
        # Her visits count in the KPIs: the sync recounts her.
        item.g2pk, item.g2sk = keys.kpi_change_keys(c.business_id, c.client_id, now)
    contact_keys = [
        ClientKeyItem(pk, keys.client_key_sk(kind, value), client_id=c.client_id)
        for kind, value in (("phone", c.phone), ("email", c.email))
        if value
    ]
    return item, contact_keys


def _create(batch: Sequence[NewClient], now: datetime) -> None:
    tx = Tx(ClientItem)
    for c in batch:
        item, contact_keys = _new_client_items(c, now)
        tx.put(item, "client", condition=ClientItem.pk.does_not_exist())
        for k in contact_keys:
            tx.put(k, "contact", condition=ClientKeyItem.pk.does_not_exist())
    if batch:
        created = [events.client_created(c.business_id, c.client_id, "import", now) for c in batch]
        webhooks.emit(tx, batch[0].business_id, created, now, batch[0].client_id if len(batch) == 1 else None)
    tx.commit()
    if batch:  # written beside the transaction: its size is the contacts' to keep
        search.put_now(batch[0].business_id, {c.client_id: search.tokens_of(c.name, c.phone, c.email) for c in batch})


def create_clients(new: Sequence[NewClient], now: datetime) -> set[str]:
    """Create the clients with their contact keys, several to a transaction. A contact
    someone took meanwhile (a booking, say) fails that client alone: the ids of those
    not created are returned, for the caller to merge them instead."""
    db.configure()
    failed: set[str] = set()
    batches: list[list[NewClient]] = [[]]
    for c in new:
        size = 1 + bool(c.phone) + bool(c.email)
        items = sum(1 + bool(x.phone) + bool(x.email) for x in batches[-1]) + size
        if items + -(-(len(batches[-1]) + 1) // EVENTS_PER_ITEM) > TX_ITEMS:  # and its webhook events
            batches.append([])
        batches[-1].append(c)

    def create(batch: list[NewClient]) -> set[str]:
        try:
            _create(batch, now)
        except TxFailed:
            out = set()
            for c in batch:  # one by one, to find who cannot be created
                try:
                    _create([c], now)
                except TxFailed:
                    out.add(c.client_id)
            return out
        return set()

    for result in _in_parallel(create, [b for b in batches if b]):
        failed |= result
    return failed


def _in_parallel(fn: Callable[[T], R], work: Sequence[T]) -> list[R]:
    """fn over the work, REBOOK_IMPORT_WORKERS at a time (the process's one DynamoDB
    client is thread-safe; moto's in-memory tables are not, so the tests run one)."""
    workers = min(get_settings().import_workers, len(work))
    if workers <= 1:
        return [fn(w) for w in work]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, work))


def merge(m: Merge, now: datetime) -> bool:
    """Add to an existing client what the import knows and she lacks, in one transaction
    with the contact keys it links; a contact taken meanwhile is left out. False if she
    was erased or is gone."""
    db.configure()
    pk = keys.biz(m.business_id)
    add_phone, add_email = m.add_phone, m.add_email
    for _ in range(3):
        actions: list[Action] = [ClientItem.updated_at.set(now)]
        if add_phone:
            actions.append(ClientItem.phone.set(add_phone))
        if add_email:
            actions.append(ClientItem.email.set(add_email))
        if add_phone or add_email:
            actions.append(ClientItem.search.set(search_text(m.name, add_phone or m.phone, add_email or m.email)))
        if m.birthday:
            g5 = keys.birthday_keys(m.business_id, m.client_id, m.birthday[-5:])
            actions += [ClientItem.birthday.set(m.birthday), ClientItem.g5pk.set(g5[0]), ClientItem.g5sk.set(g5[1])]
        if m.last_activity and m.erase_on:
            g3 = keys.erase_keys(m.business_id, m.client_id, m.erase_on.isoformat())
            actions += [
                ClientItem.last_activity.set(m.last_activity),
                ClientItem.g3pk.set(g3[0]),
                ClientItem.g3sk.set(g3[1]),
            ]
        tx = Tx(ClientItem)
        tx.update(ClientItem(pk, keys.client_sk(m.client_id)), actions, "client", condition=clients.unerased())
        changed = [n for n, v in (("phone", add_phone), ("email", add_email), ("birthday", m.birthday)) if v]
        if changed:
            webhooks.emit(tx, m.business_id, [events.client_updated(m.client_id, changed, now)], now, m.client_id)
        for kind, value in (("phone", add_phone), ("email", add_email)):
            if value:
                tx.put(
                    ClientKeyItem(pk, keys.client_key_sk(kind, value), client_id=m.client_id),
                    kind,
                    condition=ClientKeyItem.pk.does_not_exist() | (ClientKeyItem.client_id == m.client_id),
                )
        try:
            tx.commit()
        except TxFailed as err:
            if "client" in err.failed:
                return False
            add_phone = None if "phone" in err.failed else add_phone
            add_email = None if "email" in err.failed else add_email
            continue
        if add_phone or add_email:  # found by the contacts she gained too
            search.put_now(m.business_id, {m.client_id: search.tokens_of(None, add_phone, add_email)})
        return True
    return False


def put_visits(visits: Sequence[Appointment], import_id: str) -> None:
    """Imported past visits (ids derived from client and visit: writing one again
    changes nothing), marked with the import that wrote them. Completed, so in no index
    of visits still to come (no reminder, no feedback request)."""
    db.configure()

    def write(part: Sequence[Appointment]) -> None:
        with AppointmentItem.batch_write() as batch:
            for a in part:
                item = bookings.to_item(a)
                item.import_id = import_id
                batch.save(item)

    size = 25 * 2  # two BatchWriteItem requests a worker at a time
    _in_parallel(write, [visits[i : i + size] for i in range(0, len(visits), size)])


Note = tuple[str, str, str, str, datetime]  # business id, client id, note id, text, at
NOTES_PER_TX = TX_ITEMS // 2  # a note and its claim


def put_notes(notes: Sequence[Note], import_id: str) -> int:
    """(business id, client id, note id, text, at) as notes by "import" (ids derived from
    client and text), each in one transaction with its claim on her card (her id and the
    note's words: csv_import.note_claim_for), put only if no import has claimed those
    words for her: two imports of one file running at the same moment, or a chunk done
    again, put a note on her card once, whoever comes first. Returns how many of them
    are this import's on her card: put now, or by an earlier attempt at its chunk (the
    claim names the import); one another import claimed is neither put nor counted."""
    db.configure()
    wanted: dict[tuple[str, str, str], Note] = {}
    for n in notes:  # one claim once (two items on one key would fail the transaction)
        wanted.setdefault((n[0], n[1], note_claim_for(n[1], n[3])), n)
    work = list(wanted.items())
    parts = [work[i : i + NOTES_PER_TX] for i in range(0, len(work), NOTES_PER_TX)]
    return sum(_in_parallel(lambda part: _put_claimed(part, import_id), parts))


def _put_claimed(notes: Sequence[tuple[tuple[str, str, str], Note]], import_id: str, rounds: int = 3) -> int:
    """The notes with their claims in one transaction; when some were claimed already,
    those are read (whose: this import's count) and the rest put again."""
    tx = Tx(NoteItem)
    for (business_id, client_id, claim), (_, _, note_id, text, at) in notes:
        pk = keys.biz(business_id)
        claimed = NoteClaimItem(
            pk, keys.note_claim_sk(client_id, claim), client_id=client_id, note_id=note_id, import_id=import_id
        )
        tx.put(claimed, "claim", condition=NoteClaimItem.pk.does_not_exist())
        item = NoteItem(
            pk,
            keys.note_sk(client_id, at, note_id),
            business_id=business_id,
            client_id=client_id,
            note_id=note_id,
            text=text,
            author="import",
            author_role="import",
            created_at=at,
        )
        entry = f"{keys.TIMELINE_NOTES}{keys.sortable_time(at)}#{note_id}"
        item.g2pk, item.g2sk = keys.timeline_keys(business_id, client_id, entry)
        tx.put(item, "note")
    try:
        tx.commit()
        return len(notes)
    except TxFailed as err:
        if "claim" not in err.failed or rounds <= 1:
            raise
    pairs = [(keys.biz(b), keys.note_claim_sk(c, claim)) for (b, c, claim), _ in notes]
    found = db.batch_get(pairs, consistent=True)
    by = {k: NoteClaimItem.from_raw_data(raw).import_id for k, raw in found.items()}
    ours = sum(1 for k in pairs if by.get(k) == import_id)
    rest = [n for k, n in zip(pairs, notes, strict=True) if k not in by]
    return ours + (_put_claimed(rest, import_id, rounds - 1) if rest else 0)


def forget_note_claims(business_id: str, client_id: str) -> int:
    """Her erasure takes her imported notes' claims too (what her notes' words were
    hashed into): how many."""
    db.configure()
    found = NoteClaimItem.query(keys.biz(business_id), NoteClaimItem.sk.startswith(keys.note_claims_of(client_id)))
    gone = 0
    for item in found:
        item.delete()
        gone += 1
    return gone


# --- an erased client ---------------------------------------------------------------------
def forget_client(business_id: str, name: str, contacts: Iterable[str | None], erased_name: str) -> int:
    """Her erasure reaches the imports: the rows of the dry runs and results that name her
    (as the file wrote her name: every row of that name) lose the name and the values they
    quote, and a chunk not yet run no longer holds her, by her phone or email or, with
    neither, her name (a run after the erasure would make her again: her contacts are no
    one's by then). Returns how many items changed."""
    db.configure()
    changed = 0
    named, hers = fold(name), {c for c in contacts if c}

    def is_hers(entry: Mapping[str, Any]) -> bool:
        given = {entry.get("phone"), entry.get("email")} - {None}
        return bool(given & hers) if given else fold(entry.get("name") or "") == named

    # The imports' records only (a chunk has no status): its chunks, up to 400 KB each, are
    # read below by their import's count, not sent twice.
    records = ImportItem.query(
        keys.biz(business_id), ImportItem.sk.startswith(keys.import_sk("")), filter_condition=ImportItem.status.exists()
    )
    for item in records:
        dry_run, rejected = _unnamed(item.dry_run, named, erased_name), _unnamed(item.rejected, named, erased_name)
        if (dry_run, rejected) != (item.dry_run, item.rejected):
            item.update(actions=[ImportItem.dry_run.set(dry_run), ImportItem.rejected.set(rejected)])
            changed += 1
        for n in range(int(item.chunks or 0)):
            found = chunk(business_id, item.import_id, n)
            kept = [c for c in found if not is_hers(c)]
            if len(kept) != len(found):
                ImportChunkItem(keys.biz(business_id), keys.import_chunk_sk(item.import_id, n)).update(
                    actions=[ImportChunkItem.clients.set(kept)], condition=ImportChunkItem.pk.exists()
                )
                changed += 1
    return changed


def _unnamed(value: Any, named: str, erased_name: str) -> Any:
    """`value` (a record's JSON) with each entry naming `named` left with the row alone."""
    if isinstance(value, list):
        return [_unnamed(v, named, erased_name) for v in value]
    if not isinstance(value, dict):
        return value
    if isinstance(value.get("name"), str) and fold(value["name"]) == named:
        return {**value, "name": erased_name, "params": _quoted_out(value.get("params") or {})}
    return {k: _unnamed(v, named, erased_name) for k, v in value.items()}


def _quoted_out(params: Mapping[str, Any]) -> dict[str, Any]:
    """A row's reason's values with what it quoted of the file left out (its numbers kept):
    "… is not a valid email address"."""
    return {k: "…" if isinstance(v, str) else v for k, v in params.items()}
