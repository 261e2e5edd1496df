"""The owner's client search: search-key items, one per way a client is found (her
folded name from each word on, phone digits international and national, email), in
the business's own `FIND#<biz>` partition. A search is one Query `begins_with(<needle>)`
and one BatchGetItem of the clients it names: it reads what it finds, never the whole
client partition.

Moved inside the transaction of an owner's edit of her name or contacts; put right
after the write that creates her or links a contact (a booking: after its commit, so
its transaction stays within its item budget; an import's batch; a merge) and removed
by her erasure; `index_business` writes them for clients from before.

Open waitlist entries have keys of their own, of the same tokens, in `FINDW#<biz>`: the
desk finds someone who waits but never visited. They are put before the entry's write
and removed after it leaves the list (TTL: two days after its last day), so a key may
outlive what it says; a search reads the entries it names and keeps those open and still
found by the needle (store/waitlist.find_open).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import DeleteError

from chalicelib.domain.clients import Client
from chalicelib.domain.contacts import search_prefix, search_tokens
from chalicelib.store import db, keys
from chalicelib.store.models import ClientItem, SearchKeyItem, WaitSearchKeyItem
from chalicelib.store.tx import Tx

if TYPE_CHECKING:
    from chalicelib.domain.waitlist import Entry


class BadCursor(Exception):
    """A cursor this API did not give out."""


def _item(business_id: str, client_id: str, token: str) -> SearchKeyItem:
    return SearchKeyItem(keys.search_pk(business_id), keys.search_sk(token, client_id), client_id=client_id)


def tokens_of(name: str | None, phone: str | None, email: str | None) -> frozenset[str]:
    return search_tokens(name, phone, email)


def put_keys(tx: Tx, business_id: str, client_id: str, tokens: Iterable[str]) -> None:
    """Search keys in a transaction (an owner's edit of her name or contacts)."""
    for token in sorted(tokens):
        tx.put(_item(business_id, client_id, token), "search")


def move_keys(tx: Tx, business_id: str, client_id: str, old: frozenset[str], new: frozenset[str]) -> None:
    """Her search keys after a change of name or contacts, in the change's transaction."""
    for token in sorted(old - new):
        tx.delete(SearchKeyItem(keys.search_pk(business_id), keys.search_sk(token, client_id)), "search")
    put_keys(tx, business_id, client_id, new - old)


def put_now(business_id: str, tokens: Mapping[str, Iterable[str]]) -> None:
    """Search keys written on their own (an import's batch, a merge, the migration),
    each client id's tokens, 25 to a request: a key says only "look at this client", so
    one written before its client is harmless."""
    db.configure()
    with SearchKeyItem.batch_write() as batch:
        for client_id, theirs in tokens.items():
            for token in theirs:
                batch.save(_item(business_id, client_id, token))


def erase(client: Client) -> int:
    """Remove every search key of the client (GDPR erasure): those her profile says she
    has. Idempotent."""
    db.configure()
    removed = 0
    for token in tokens_of(client.name, client.phone, client.email):
        try:
            SearchKeyItem(keys.search_pk(client.business_id), keys.search_sk(token, client.id)).delete(
                condition=SearchKeyItem.pk.exists()
            )
            removed += 1
        except DeleteError:
            pass  # already gone
    return removed


def _cursor_in(cursor: str | None, business_id: str) -> dict[str, dict[str, str]] | None:
    if not cursor:
        return None
    try:
        sk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["find"]
        assert isinstance(sk, str)
    except Exception:
        raise BadCursor() from None
    return {"pk": {"S": keys.search_pk(business_id)}, "sk": {"S": sk}}


def _cursor_out(sk: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"find": sk}).encode()).decode().rstrip("=")


def find(business_id: str, needle: str, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
    """Ids of the clients found by `needle` (in the form search_text stores), a page at a
    time: one Query of the search keys that start with it. The cursor of the next page
    (None: the last). BadCursor for a cursor this function did not give out."""
    db.configure()
    found = SearchKeyItem.query(
        keys.search_pk(business_id),
        SearchKeyItem.sk.startswith(search_prefix(needle)),
        limit=limit + 1,
        last_evaluated_key=_cursor_in(cursor, business_id),
        page_size=limit + 1,
    )
    ids: list[str] = []
    last_sk = None
    more = False
    for item in found:
        if len(ids) == limit:
            more = True
            break
        last_sk = item.sk
        if item.client_id not in ids:  # found twice (two of her tokens start so): once
            ids.append(item.client_id)
    return ids, (_cursor_out(last_sk) if more and last_sk else None)


def index_business(business_id: str) -> int:
    """Write the search keys of every unerased client of the business (clients from
    before the search keys existed): one Query of its clients, batched writes.
    Repeatable; returns how many clients it indexed."""
    db.configure()
    found = {
        item.sk.removeprefix(keys.CLIENT_PREFIX): tokens_of(item.name, item.phone, item.email)
        for item in ClientItem.query(
            keys.biz(business_id),
            ClientItem.sk.startswith(keys.CLIENT_PREFIX),
            filter_condition=ClientItem.erased_at.does_not_exist(),
            page_size=500,
        )
    }
    put_now(business_id, found)
    return len(found)


# --- waitlist entries ------------------------------------------------------------------------
def _entry_key(e: Entry, token: str) -> WaitSearchKeyItem:
    item = WaitSearchKeyItem(keys.wait_search_pk(e.business_id), keys.search_sk(token, e.id), entry_id=e.id)
    item.expires_at = datetime.combine(e.last + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    return item


def put_entry_keys(entries: Iterable[Entry]) -> None:
    """The search keys of waitlist entries, written on their own before the entries are
    (a key of an entry never written, or since renamed, is passed over when read)."""
    db.configure()
    with WaitSearchKeyItem.batch_write() as batch:
        for e in entries:
            for token in sorted(tokens_of(e.name, e.phone, e.email)):
                batch.save(_entry_key(e, token))


def drop_entry_keys(e: Entry, now: Entry | None = None) -> None:
    """An entry left the list, or (`now`) was saved with another name or contacts: the
    search keys it has no more go (idempotent; the TTL takes any missed)."""
    db.configure()
    gone = tokens_of(e.name, e.phone, e.email)
    if now is not None:
        gone -= tokens_of(now.name, now.phone, now.email)
    with WaitSearchKeyItem.batch_write() as batch:
        for token in sorted(gone):
            batch.delete(WaitSearchKeyItem(keys.wait_search_pk(e.business_id), keys.search_sk(token, e.id)))


def find_entries(business_id: str, needle: str, limit: int) -> list[str]:
    """Ids of the waitlist entries whose keys start with `needle` (search_text's form),
    at most `limit` keys read: one Query of the business's own FINDW# partition."""
    db.configure()
    ids: list[str] = []
    for item in WaitSearchKeyItem.query(
        keys.wait_search_pk(business_id),
        WaitSearchKeyItem.sk.startswith(search_prefix(needle)),
        limit=limit,
        page_size=limit,
    ):
        if item.entry_id not in ids:
            ids.append(item.entry_id)
    return ids


def entry_found_by(e: Entry, needle: str) -> bool:
    """Whether the entry as it is now is found by `needle` (its keys may be older)."""
    prefix = search_prefix(needle)
    return any(t.startswith(prefix) for t in tokens_of(e.name, e.phone, e.email))
