"""Dated notes about a client, written by the owner or staff."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.ids import new_id
from chalicelib.store import db, keys
from chalicelib.store.models import NoteItem


def add_note(business_id: str, client_id: str, text: str, author: str, now: datetime) -> NoteItem:
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
        created_at=now,
        g2pk=keys.client_timeline(business_id, client_id),
        g2sk=f"NOTE#{keys.sortable_time(now)}#{note_id}",
    )
    item.save(condition=NoteItem.pk.does_not_exist())
    return item


def client_notes(business_id: str, client_id: str) -> list[NoteItem]:
    """Newest first."""
    db.configure()
    return list(
        NoteItem.query(keys.biz(business_id), NoteItem.sk.startswith(f"NOTE#{client_id}#"), scan_index_forward=False)
    )
