"""Dated notes about a client, written by the owner or staff."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.ids import new_id
from chalicelib.domain.registry import Note
from chalicelib.store import db, keys
from chalicelib.store.models import NoteItem


def to_note(i: NoteItem) -> Note:
    return Note(
        business_id=i.business_id,
        client_id=i.client_id,
        id=i.note_id,
        text=i.text,
        author=i.author,
        created_at=i.created_at,
        author_role=i.author_role,
        author_staff_id=i.author_staff_id,
    )


def add_note(
    business_id: str,
    client_id: str,
    text: str,
    author: str,
    now: datetime,
    role: str | None = None,
    staff_id: str | None = None,
) -> Note:
    db.configure()
    note_id = new_id()
    item = NoteItem(
        keys.biz(business_id),
        keys.note_sk(client_id, now, note_id),
        business_id=business_id,
        client_id=client_id,
        note_id=note_id,
        text=text,
        author=author,
        author_role=role,
        author_staff_id=staff_id,
        created_at=now,
    )
    entry = f"{keys.TIMELINE_NOTES}{keys.sortable_time(now)}#{note_id}"
    item.g2pk, item.g2sk = keys.timeline_keys(business_id, client_id, entry)
    item.save(condition=NoteItem.pk.does_not_exist())
    return to_note(item)


def client_notes(business_id: str, client_id: str) -> list[Note]:
    """Newest first."""
    db.configure()
    found = NoteItem.query(
        keys.biz(business_id), NoteItem.sk.startswith(keys.notes_of(client_id)), scan_index_forward=False
    )
    return [to_note(i) for i in found]
