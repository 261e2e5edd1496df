"""Importing clients and their past visits from a CSV export (Timma, Fresha, Reservio,
a spreadsheet): the upload and its dry run, the run in chunks, its progress.

POST /imports reads the file, suggests a mapping of its columns, reads every row,
groups rows of one person, compares them with the clients the business has and stores
the clients-to-be in chunks; nothing is imported yet. POST /imports/{id}/run starts the
run: the request does the first chunks within a few seconds, the `imports` job does the
rest every minute, each run within its time budget, so no request or job run comes near
30 seconds. Every write can be repeated (ids derived from the import and the rows), so a
run that crashed mid-chunk does the chunk again without duplicating anyone.

An import sends no message to anyone: imported clients have no marketing consent, their
visits are completed (no reminders, no feedback requests) and a stamp-card reward their
visits earn is issued without the announcement.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain import csv_import as rules
from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.clients import Client
from chalicelib.domain.config import Business
from chalicelib.domain.ids import new_id
from chalicelib.domain.locales import negotiate
from chalicelib.domain.privacy import erase_due
from chalicelib.domain.returns import ReturnModel
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.observability import logger
from chalicelib.services import loyalty, retention, returns
from chalicelib.services.admin.common import audited_after_commit, business_of, parse, valid_id
from chalicelib.store import businesses, clients
from chalicelib.store import imports as store

MAX_BODY_BYTES = 5 * 1024 * 1024  # the JSON body of POST /imports (Lambda takes 6 MB)
CHUNK_CLIENTS = 100
CHUNK_BYTES = 150_000  # of a chunk's JSON as stored (rules.stored_size); a DynamoDB item holds 400 KB
LEASE = timedelta(seconds=60)  # who works on an import; a crashed worker's lease runs out
RUN_REQUEST_SECONDS = 4.0  # the run request does chunks for this long, then leaves them to the job
JOB_SECONDS = 20.0  # the job's Lambda has 30 s
GIVE_UP_AFTER = 5  # chunk attempts that raised before the import is marked failed


class ImportIn(BaseModel):
    """Body of POST /imports: the file as text (`csv`) or as its bytes in base64
    (`csv_base64`, when the encoding is to be detected), the mapping if the owner chose
    one, and whether imported visits earn stamps."""

    model_config = ConfigDict(extra="forbid")
    csv: str | None = Field(default=None, min_length=1)
    csv_base64: str | None = Field(default=None, min_length=1)
    mapping: dict[str, str] | None = None
    stamps: StrictBool = False

    @model_validator(mode="after")
    def _one_file(self) -> ImportIn:
        if (self.csv is None) == (self.csv_base64 is None):
            raise ValueError("send the file as 'csv' (text) or 'csv_base64' (its bytes), one of them")
        return self


def _locale(b: Business, accept_language: str | None) -> str:
    return negotiate(None, accept_language, b.config.locale)


def _today(b: Business, now: datetime) -> date:
    return now.astimezone(b.config.tz).date()


def _rejected_view(entries: Sequence[Mapping[str, Any]], locale: str) -> list[dict[str, Any]]:
    """Rows listed (rejected, or imported without a field: then with its `field`), each
    with the reason in the owner's language."""
    return [
        {
            "row": e["row"],
            "name": e.get("name"),  # the row's client as the file names her (none before 7 Dec 2026)
            **({"field": e["field"]} if "field" in e else {}),
            "code": e["code"],
            "reason": rules.reason_text(e["code"], locale, e.get("params")),
        }
        for e in entries
    ]


def view(rec: rules.ImportRecord, locale: str) -> dict[str, Any]:
    # Listed since 5 Dec 2026 (warnings: 7 Dec): an older dry run has none of them.
    since = ("future_visits", "unknown_services", "unknown_staff", "warnings")
    dry = {**{k: [] for k in since}, **{f"{k}_total": 0 for k in since}, **rec.dry_run}
    dry["rejected"] = _rejected_view(dry.get("rejected") or [], locale)
    dry["warnings"] = _rejected_view(dry.get("warnings") or [], locale)
    return {
        "id": rec.id,
        "status": rec.status,
        "created_at": rec.created_at.isoformat(),
        "started_at": rec.started_at.isoformat() if rec.started_at else None,
        "finished_at": rec.finished_at.isoformat() if rec.finished_at else None,
        "encoding": rec.file.get("encoding"),
        "delimiter": rec.file.get("delimiter"),
        "columns": rec.file.get("columns"),
        "mapping": rec.file.get("mapping"),
        "stamps": rec.stamps,
        "total_rows": rec.total_rows,
        "done_rows": rec.done_rows,
        "created": rec.created,
        "contactless": rec.contactless,  # of those created, clients with no contact
        "merged": rec.merged,
        "visits": rec.visits,
        "notes": rec.notes,  # added to cards (0 for imports before 7 Dec 2026, which did not count them)
        "rejected": _rejected_view(rec.rejected, locale),
        "rejected_total": rec.rejected_total,
        "dry_run": dry,
    }


# --- the upload and its dry run ------------------------------------------------------------
def _file_text(req: ImportIn) -> tuple[str, str]:
    if req.csv is not None:
        return req.csv, "utf-8"
    try:
        data = base64.b64decode(req.csv_base64 or "", validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("'csv_base64' is not base64.", fields={"csv_base64": "not base64"}) from None
    return rules.decode(data)


def preview(p: Principal, body: Any, accept_language: str | None = None) -> tuple[int, dict[str, Any]]:
    p.require("import")
    b = business_of(p)
    req: ImportIn = parse(ImportIn, body, "import")
    text, encoding = _file_text(req)
    field = "csv" if req.csv is not None else "csv_base64"
    try:
        table = rules.read_table(text, max_rows=rules.MAX_ROWS)
    except rules.FileError as e:
        details = {"line": e.line} if e.line is not None else None
        raise ValidationFailed(str(e), code=e.code, fields={field: str(e)}, details=details) from None
    mapping = req.mapping if req.mapping is not None else rules.suggest_mapping(table.headers)
    problems = rules.mapping_errors(mapping, table.headers)
    if problems:
        raise ValidationFailed(
            "Choose which column holds what; see 'fields'.",
            code="bad_mapping",
            fields=problems,
            details={"columns": list(table.headers), "mapping": mapping},
        )
    mapping = {h: mapping.get(h, rules.IGNORE) for h in table.headers}
    now = clock.now()
    import_id = new_id(12)
    rec, chunks = _plan(b, p, import_id, table, mapping, encoding, req.stamps, now)
    store.save_preview(rec, chunks, now)
    audited_after_commit(p, "import_preview", None, {"import": import_id, "rows": rec.total_rows})
    logger().info("import previewed", extra={"import": import_id, "rows": rec.total_rows, "chunks": rec.chunks})
    return 201, view(rec, _locale(b, accept_language))


def _plan(
    b: Business,
    p: Principal,
    import_id: str,
    table: rules.Table,
    mapping: Mapping[str, str],
    encoding: str,
    stamps: bool,
    now: datetime,
) -> tuple[rules.ImportRecord, list[list[dict[str, Any]]]]:
    """Every row read, grouped, compared with the clients who exist: the dry run and the
    chunks the run will work through."""
    cfg, today = b.config, _today(b, now)
    rejected: list[rules.Rejected] = []
    rows: list[rules.Row] = []
    skipped_visits = 0
    columns = rules.columns_of(table.headers, mapping)
    for number, cells in table.rows:
        parsed = rules.parse_row(number, cells, columns, cfg.tz, today, cfg.home_country)
        if isinstance(parsed, rules.Rejected):
            rejected.append(parsed)
        else:
            rows.append(parsed)
            skipped_visits += parsed.visit_skipped
    groups = rules.group_rows(rows)
    owners = store.contact_owners(b.id, _contacts(groups))
    ids = [rules.client_id_for(import_id, g, b.id) for g in groups]
    named = _named_clients(b, [ids[i] for i, g in enumerate(groups) if g.contactless])
    names = rules.Names(cfg)
    create = merge = contactless = 0
    merge_visits: dict[str, Appointment] = {}
    new_visits = new_notes = 0
    merge_notes: list[tuple[str, list[str]]] = []  # (the client who exists, the file's notes for her)
    future: list[rules.FutureVisit] = []  # of the rows that go in: visits booked ahead, to book at the desk
    left_out: list[rules.LeftOut] = []  # of the rows that go in: fields not valid, left out
    kept_visits: list[rules.Visit] = []  # of the rows that go in, a visit a row
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    years = cfg.privacy.erase_inactive_after_years
    for i, g in enumerate(groups):
        cid = ids[i]
        target = _target(owners, g.phone, g.email)
        if g.contactless and cid in named:  # a name alone imported before: hers
            if named[cid].is_erased:
                rejected += [rules.Rejected(r.number, "erased_no_contact", name=r.name) for r in g.rows]
                continue
            target = cid
        if target is None:
            last = rules.inactive_too_long(g, years, today)
            if last:
                rejected += [
                    rules.Rejected(r.number, "inactive_too_long", {"value": last.isoformat(), "years": years}, r.name)
                    for r in g.rows
                ]
                continue
        entry = rules.group_to_json(g, cid)
        entry_size = rules.stored_size(entry)
        too_big = _too_big(entry, entry_size)
        if too_big:
            rejected += [rules.Rejected(r.number, *too_big, r.name) for r in g.rows]
            continue
        if target is None:
            create += 1
            contactless += g.contactless
            merge += len(g.rows) - 1
            new_visits += len(g.visits)
            new_notes += len(entry["notes"])
        else:
            merge += len(g.rows)
            merge_notes.append((target, entry["notes"]))
            for v in g.visits:
                a = _appointment(b, names, target, v, stamps)
                merge_visits[a.id] = a
        future += [r.future for r in g.rows if r.future]
        left_out += [f for r in g.rows for f in r.left_out]
        kept_visits += [r.visit for r in g.rows if r.visit]
        if chunks[-1] and (len(chunks[-1]) >= CHUNK_CLIENTS or size + entry_size > CHUNK_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(entry)
        size += entry_size + 2  # the chunk is their list: ", " between entries
    existing = store.existing_appointments(b.id, merge_visits) if merge_visits else {}
    targets = {t for t, texts in merge_notes if texts}
    had = store.notes_of(b.id, targets) if targets else {}
    seen = {t: {rules.note_key(text) for _, text, _ in had.get(t, ())} for t in targets}
    for target, texts in merge_notes:
        for text in texts:
            if rules.note_key(text) not in seen[target]:
                seen[target].add(rules.note_key(text))
                new_notes += 1
    rejected.sort(key=lambda r: r.row)
    chunks = [c for c in chunks if c]
    listed = rules.kept_rejected((), rejected)
    # Names the settings do not know: their visits go in under UNKNOWN; she fixes the file or accepts.
    unknown_services = rules.unmatched((v.service for v in kept_visits), names.service)
    unknown_staff = rules.unmatched((v.staff for v in kept_visits), names.staff)
    dry_run = {
        "create": create,
        "contactless": contactless,
        "merge": merge,
        "visits": new_visits + len(set(merge_visits) - set(existing)),
        "visits_skipped": skipped_visits,
        "notes": new_notes,
        "future_visits": rules.kept_future(future),
        "future_visits_total": len(future),
        "unknown_services": rules.kept_unmatched(unknown_services),
        "unknown_services_total": len(unknown_services),
        "unknown_staff": rules.kept_unmatched(unknown_staff),
        "unknown_staff_total": len(unknown_staff),
        "rejected": listed,
        "rejected_total": len(rejected),
        # Rows that go in without a field (not valid), apart from the rejected ones.
        "warnings": rules.kept_left_out(left_out),
        "warnings_total": len(left_out),
    }
    rec = rules.ImportRecord(
        business_id=b.id,
        id=import_id,
        status=rules.Status.PREVIEWED,
        created_at=now,
        created_by=p.user_id,
        file={
            "encoding": encoding,
            "delimiter": table.delimiter,
            "columns": list(table.headers),
            "mapping": dict(mapping),
            "stamps": stamps,
        },
        dry_run=dry_run,
        total_rows=len(table.rows),
        chunks=len(chunks),
        done_rows=len(rejected),  # rejected by the preview: done with
        rejected=tuple(listed),
        rejected_total=len(rejected),
    )
    return rec, chunks


def _too_big(entry: Mapping[str, Any], size: int) -> tuple[str, dict[str, Any]] | None:
    """Why one client's rows cannot go in one import, if they cannot: she is one entry of
    one chunk item, which DynamoDB caps at 400 KB (a 500 at the upload, before this). A
    file of one name or one shared phone on thousands of rows is refused by its rows,
    with a reason that says how to split it, and the rest of the file goes in. `size` is
    her entry's bytes as the chunk stores it (rules.stored_size)."""
    visits = len(entry["visits"])
    if visits > rules.MAX_VISITS_PER_CLIENT:
        return "too_many_visits", {"count": visits, "max": rules.MAX_VISITS_PER_CLIENT}
    # Long notes or names (a cell is not capped by length): her entry as stored, where
    # "ä" takes 6 bytes and an emoji 12.
    if size > CHUNK_BYTES:
        return "client_too_big", {"kb": CHUNK_BYTES // 1000}
    return None


def _contacts(groups: Sequence[Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for g in groups:
        if g.phone:
            out.append(("phone", g.phone))
        if g.email:
            out.append(("email", g.email))
    return out


def _named_clients(b: Business, client_ids: Sequence[str]) -> dict[str, Client]:
    """The clients with no contact an import made before under these ids (a name alone
    gets the same id in every import): one BatchGetItem per 100, read consistently (one
    made a moment ago by another import running at the same time is found)."""
    return clients.get_clients(b.id, set(client_ids), consistent=True) if client_ids else {}


def _target(owners: Mapping[tuple[str, str], str], phone: str | None, email: str | None) -> str | None:
    """The existing client a group merges into: hers whose phone it has, else whose email."""
    return (owners.get(("phone", phone)) if phone else None) or (owners.get(("email", email)) if email else None)


def _appointment(b: Business, names: rules.Names, client_id: str, v: rules.Visit, stamps: bool) -> Appointment:
    """An imported past visit as a completed appointment (source "import")."""
    cfg = b.config
    service_id = names.service(v.service)
    staff_id = names.staff(v.staff)
    service = cfg.service(service_id) if service_id else None
    end = rules.visit_end(cfg, v, service_id)
    unknown = [x for x, known in ((v.service, service_id), (v.staff, staff_id)) if x and not known]
    sid = service_id or rules.UNKNOWN
    return Appointment(
        id=rules.visit_id_for(client_id, v, sid),
        business_id=b.id,
        client_id=client_id,
        service_id=sid,
        staff_id=staff_id or rules.UNKNOWN,
        start=v.start,
        end=end,
        occupied_until=end,
        status=Status.COMPLETED.value,
        price_cents=v.price_cents if v.price_cents is not None else (service.price_cents if service else 0),
        locale=cfg.locale,
        # The export does not say when it was booked: at the latest when it took place.
        created_at=v.start,
        updated_at=end,
        note=" · ".join(unknown)[:500] or None,
        source="import",
        earns_stamp=stamps,
        time_known=v.time_known,
    )


# --- the run -------------------------------------------------------------------------------------
def _owned(p: Principal, import_id: str) -> rules.ImportRecord:
    valid_id(import_id, "import")
    rec = store.get(p.business_id, import_id)
    if not rec:
        raise NotFound("No such import.")
    return rec


def get(p: Principal, import_id: str, accept_language: str | None = None) -> dict[str, Any]:
    p.require("import")
    b = business_of(p)
    return view(_owned(p, import_id), _locale(b, accept_language))


def run(p: Principal, import_id: str, accept_language: str | None = None) -> tuple[int, dict[str, Any]]:
    """Start the import and do its first chunks now; the job does the rest. Asked again
    while it runs (the dashboard does, while it shows the progress), it continues for a
    few seconds more; once done, it only answers how it went."""
    p.require("import")
    b = business_of(p)
    rec = _owned(p, import_id)
    if rec.status == rules.Status.PREVIEWED:
        now = clock.now()
        if store.start(b.id, rec.id, now):
            audited_after_commit(p, "import_run", None, {"import": rec.id, "rows": rec.total_rows})
    elif rec.status == rules.Status.DONE:
        return 200, view(rec, _locale(b, accept_language))  # asked again: nothing left to do
    elif rec.status != rules.Status.RUNNING:
        raise Conflict(
            "This import stopped on an error and cannot continue; upload the file again.", code="import_failed"
        )
    work(b, rec.id, RUN_REQUEST_SECONDS)
    return 202, view(store.get(b.id, rec.id) or rec, _locale(b, accept_language))


def work(b: Business, import_id: str, budget_seconds: float) -> dict[str, int]:
    """Claim the import and do its chunks in order until the budget is spent (the chunk
    under way is finished); the next worker carries on where this one stopped."""
    deadline = time.monotonic() + budget_seconds
    done = {"chunks": 0}
    rec = store.claim(b.id, import_id, clock.now(), LEASE)
    if rec is None:
        return done
    try:
        # At least one chunk per call (the run request's first), then while the budget lasts.
        while (
            rec.status == rules.Status.RUNNING
            and rec.chunks_done < rec.chunks
            and (done["chunks"] == 0 or time.monotonic() < deadline)
        ):
            n = rec.chunks_done
            now = clock.now()
            try:
                result = process_chunk(b, rec, n, now)
                rec = store.record_chunk(rec, n, result, now)
            except store.ImportTaken:
                return done
            except Exception:
                logger().exception("import chunk failed", extra={"import": import_id, "chunk": n})
                store.count_failure(rec, now, GIVE_UP_AFTER)
                return done
            done["chunks"] += 1
        if rec.status == rules.Status.RUNNING and rec.chunks == 0:
            # Every row was rejected by the dry run: no chunk to do, and none to finish it.
            try:
                rec = store.finish_empty(rec, clock.now())
            except store.ImportTaken:
                return done
        if rec.status == rules.Status.DONE:
            store.delete_chunks(b.id, rec.id, rec.chunks)
            logger().info(
                "import done", extra={"import": rec.id, "clients_created": rec.created, "visits_added": rec.visits}
            )
    finally:
        if rec.status == rules.Status.RUNNING:
            store.release(rec)
    return done


def run_job(now: datetime, budget_seconds: float = JOB_SECONDS) -> dict[str, Any]:
    """The `imports` job (every minute): the running imports, oldest first, within the budget."""
    deadline = time.monotonic() + budget_seconds
    summary: dict[str, Any] = {"imports": 0, "chunks": 0, "left_for_next_run": False}
    for business_id, import_id in store.running():
        left = deadline - time.monotonic()
        if left <= 0:
            summary["left_for_next_run"] = True
            break
        b = businesses.get_by_id(business_id)
        if b is None:
            continue
        summary["imports"] += 1
        summary["chunks"] += work(b, import_id, left)["chunks"]
    logger().info("imports job finished", extra=summary)
    return summary


def _new_client(
    b: Business, names: rules.Names, c: rules.ImportedClient, stamps: bool, now: datetime, model: ReturnModel
) -> rules.NewClient:
    cfg = b.config
    appts = [_appointment(b, names, c.client_id, v, stamps) for v in c.visits]
    f = retention.figures_of(cfg, appts, model)
    last_activity = max((a.end for a in appts), default=now) if appts else now
    if c.booked_ahead:  # her visit booked ahead is activity as of now: not due for erasure for years
        last_activity = max(last_activity, now)
    return rules.NewClient(
        business_id=b.id,
        client_id=c.client_id,
        name=c.name,
        phone=c.phone,
        email=c.email,
        locale=cfg.locale,
        birthday=c.birthday,
        last_activity=last_activity,
        erase_on=erase_due(last_activity, cfg.privacy.erase_inactive_after_years),
        visits=f.visits,
        spend_cents=f.spend_cents,
        stamps=f.stamps,
        last_visit=f.last_visit,
        rhythm=f.rhythm,
        at_risk_on=f.at_risk_on,
        lapsed_on=f.lapsed_on,
    )


def _as_client(n: rules.NewClient) -> Client:
    """A new client as the stamp card's settlement sees her."""
    return Client(
        business_id=n.business_id,
        id=n.client_id,
        name=n.name,
        locale=n.locale,
        created_at=n.last_activity,
        phone=n.phone,
        email=n.email,
        visits=n.visits,
        stamps=n.stamps,
    )


def _not_merged(c: rules.ImportedClient) -> str:
    """Why a client's rows are refused when the client they merge into was erased: a
    name alone merges only into the client of her name with no contact (she was erased,
    say so); rows with a contact, into whoever has it."""
    return "erased_no_contact" if c.contactless else "contact_in_use"


def process_chunk(b: Business, rec: rules.ImportRecord, n: int, now: datetime) -> rules.ChunkResult:
    """Import chunk `n`: who is new and who exists is decided now (a client may have
    booked since the preview); every write is repeatable."""
    cfg, today = b.config, _today(b, now)
    years = cfg.privacy.erase_inactive_after_years
    items = [rules.client_from_json(d) for d in store.chunk(b.id, rec.id, n)]
    groups_by_id = {c.client_id: c for c in items}
    owners = store.contact_owners(b.id, _contacts(items))
    rejected: list[rules.Rejected] = []
    new: list[rules.ImportedClient] = []
    earlier: list[rules.ImportedClient] = []  # created by an earlier attempt at this chunk
    merges: list[tuple[rules.ImportedClient, str]] = []
    named = _named_clients(b, [c.client_id for c in items if c.contactless])
    for c in items:
        target = _target(owners, c.phone, c.email)
        if c.contactless and c.client_id in named:  # a name alone imported before (or by an earlier attempt)
            if named[c.client_id].is_erased:
                rejected += [rules.Rejected(r, "erased_no_contact", name=c.name) for r in c.rows]
            else:
                merges.append((c, c.client_id))
        elif target == c.client_id:
            earlier.append(c)
        elif target is not None:
            merges.append((c, target))
        else:
            last = rules.inactive_too_long(c, years, today)
            if last:
                rejected += [
                    rules.Rejected(r, "inactive_too_long", {"value": last.isoformat(), "years": years}, c.name)
                    for r in c.rows
                ]
            else:
                new.append(c)
    names = rules.Names(cfg)
    model = returns.model_for(b)
    profiles = {c.client_id: _new_client(b, names, c, rec.stamps, now, model) for c in new}
    failed = store.create_clients(list(profiles.values()), now)
    if failed:  # a contact was taken meanwhile (a booking): merge into whoever has it
        again = store.contact_owners(b.id, _contacts([groups_by_id[i] for i in failed]))
        for cid in sorted(failed):
            c = groups_by_id[cid]
            target = _target(again, c.phone, c.email)
            if target and target != cid:
                merges.append((c, target))
            elif c.contactless:
                # A name alone has the same id in every import (rules.client_id_for): another
                # import of her running at the same moment made her since this chunk looked.
                # She is hers, as she would be had she been there: merged into.
                merges.append((c, cid))
            else:
                rejected += [rules.Rejected(r, "contact_in_use", name=c.name) for r in c.rows]
            profiles.pop(cid)
            new.remove(c)
    created = [*new, *earlier]
    # Consistently: a client made a moment ago (by a booking, or another import) is read.
    existing_profiles = clients.get_clients(b.id, {t for _, t in merges}, consistent=True)
    visits: dict[str, Appointment] = {}
    notes: list[store.Note] = []
    refresh: set[str] = set()
    merged_ok: list[rules.ImportedClient] = []
    for c in created:
        for v in c.visits:
            a = _appointment(b, names, c.client_id, v, rec.stamps)
            visits[a.id] = a
        notes += [(b.id, c.client_id, rules.note_id_for(c.client_id, t), t, rec.created_at) for t in c.notes]
    # A note of the file is added to a card that has none of its words yet (rules.note_key):
    # importing the file again, or a fixed one, adds none twice. One an earlier attempt at
    # this chunk wrote (its id and this import's time) is not another's: it is put again,
    # found claimed by this import and counted. Two imports running at once both find
    # none on her card: the claim each note is put with lets the first one in alone.
    had = store.notes_of(b.id, {t for c, t in merges if c.notes})
    seen = {
        t: {
            rules.note_key(text)
            for nid, text, at in found
            if not (nid == rules.note_id_for(t, text) and at == rec.created_at)
        }
        for t, found in had.items()
    }
    for c, target in merges:
        p = existing_profiles.get(target)
        if p is None or p.is_erased:
            rejected += [rules.Rejected(r, _not_merged(c), name=c.name) for r in c.rows]
            continue
        appts = [_appointment(b, names, target, v, rec.stamps) for v in c.visits]
        last_end = max((a.end for a in appts), default=None)
        later = last_end is not None and (p.last_activity is None or last_end > p.last_activity)
        merge = rules.Merge(
            business_id=b.id,
            client_id=target,
            name=p.name,
            phone=p.phone,
            email=p.email,
            add_phone=c.phone if c.phone and not p.phone and ("phone", c.phone) not in owners else None,
            add_email=c.email if c.email and not p.email and ("email", c.email) not in owners else None,
            birthday=c.birthday if c.birthday and not p.birthday else None,
            last_activity=last_end if later else None,
            erase_on=erase_due(last_end, years) if later and last_end else None,
        )
        if not store.merge(merge, now):  # erased (or gone) since she was read
            rejected += [rules.Rejected(r, _not_merged(c), name=c.name) for r in c.rows]
            continue
        merged_ok.append(c)
        for a in appts:
            visits[a.id] = a
            refresh.add(target)
        for text in c.notes:
            key = rules.note_key(text)
            if key not in seen.setdefault(target, set()):
                seen[target].add(key)
                notes.append((b.id, target, rules.note_id_for(target, text), text, rec.created_at))
    # Visits this import writes, counted the same when a chunk is done again: those not
    # there yet and those an earlier attempt of this same import wrote.
    # A client created just now has no visits yet: only the others' are looked up.
    just_created = {c.client_id for c in new}
    existing = store.existing_appointments(b.id, [i for i, a in visits.items() if a.client_id not in just_created])
    fresh = set(visits) - set(existing)
    ours_visits = fresh | {a for a, by in existing.items() if by == rec.id}
    store.put_visits([visits[i] for i in sorted(fresh)], rec.id)
    notes_added = store.put_notes(notes, rec.id) if notes else 0
    # Her figures from her whole history (the visits she had and the imported ones); no messages.
    for client_id in sorted(refresh):
        retention.refresh_client(b.id, client_id, now, announce=False)
    if cfg.loyalty.enabled and rec.stamps:
        for profile in profiles.values():
            if profile.stamps >= cfg.loyalty.stamps_for_reward:
                loyalty.settle(b, _as_client(profile), now, announce=False)
    rows = sum(len(c.rows) for c in items)
    ok_rows = sum(len(c.rows) for c in [*created, *merged_ok])
    return rules.ChunkResult(
        created=len(created),
        contactless=sum(1 for c in new if c.contactless),
        merged=ok_rows - len(created),
        visits=len(ours_visits),
        notes=notes_added,
        rows=rows,
        rejected=tuple(sorted(rejected, key=lambda r: r.row)),
    )
