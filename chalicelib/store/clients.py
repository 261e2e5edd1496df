"""Clients: matched by normalized phone or email within a business (one profile each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.contacts import search_text
from chalicelib.store import db, keys, kpis
from chalicelib.store.models import ClientItem, ClientKeyItem, ConsentMap
from chalicelib.store.tx import Tx, TxFailed


class ClientRace(Exception):
    """Another request created or linked the same client contact at the same time; retry."""


@dataclass(frozen=True)
class ClientMatch:
    by_phone: str | None
    by_email: str | None

    @property
    def client_id(self) -> str | None:
        return self.by_phone or self.by_email


@dataclass(frozen=True)
class ClientWrite:
    """What the booking transaction does to the client's profile."""

    business_id: str
    client_id: str
    is_new: bool
    name: str
    phone: str | None
    email: str | None
    locale: str
    marketing_granted: bool
    consent_source: str
    link_phone: bool  # put a CKEY for the phone (new contact for this client)
    link_email: bool
    active_until: datetime | None = None  # the booked visit's end: the client's latest activity
    erase_on: str | None = None  # YYYY-MM-DD: due for automatic erasure if nothing happens
    referred_by: str | None = None  # a new client who came through another client's referral link


def find_client(business_id: str, phone: str | None, email: str | None) -> ClientMatch:
    """One BatchGetItem over the contact keys."""
    db.configure()
    wanted = []
    if phone:
        wanted.append((keys.biz(business_id), keys.client_key_sk("phone", phone)))
    if email:
        wanted.append((keys.biz(business_id), keys.client_key_sk("email", email)))
    found = {item.sk: item.client_id for item in ClientKeyItem.batch_get(wanted)} if wanted else {}
    return ClientMatch(
        by_phone=found.get(keys.client_key_sk("phone", phone)) if phone else None,
        by_email=found.get(keys.client_key_sk("email", email)) if email else None,
    )


def write_ops(tx: Tx, c: ClientWrite, now: datetime) -> None:
    pk = keys.biz(c.business_id)
    consent = ConsentMap(granted=True, at=now, source=c.consent_source) if c.marketing_granted else None
    erase = keys.erase_keys(c.business_id, c.client_id, c.erase_on) if c.erase_on else (None, None)
    kpi_pk, kpi_sk = kpis.change_keys(c.business_id, c.client_id, now)  # her counts change: sync them
    if c.is_new:
        item = ClientItem(
            pk,
            keys.client_sk(c.client_id),
            business_id=c.business_id,
            client_id=c.client_id,
            name=c.name,
            phone=c.phone,
            email=c.email,
            locale=c.locale,
            created_at=now,
            marketing=consent,
            consent_log=[consent] if consent else None,
            bookings=1,
            search=search_text(c.name, c.phone, c.email),
            last_activity=c.active_until or now,
            updated_at=now,
            g3pk=erase[0],
            g3sk=erase[1],
            referred_by=c.referred_by,
            g2pk=kpi_pk,
            g2sk=kpi_sk,
        )
        tx.put(item, "client", condition=ClientItem.pk.does_not_exist())
    else:
        actions = [ClientItem.bookings.add(1), ClientItem.g2pk.set(kpi_pk), ClientItem.g2sk.set(kpi_sk)]
        if c.active_until and c.erase_on:
            actions += [
                ClientItem.last_activity.set(c.active_until),
                ClientItem.g3pk.set(erase[0]),
                ClientItem.g3sk.set(erase[1]),
            ]
        if c.link_phone or c.link_email:
            # The search text gains the new contact; the profile's name stays the owner's.
            actions.append(ClientItem.search.set(search_text(c.name, c.phone, c.email)))
        if c.link_phone:
            actions.append(ClientItem.phone.set(c.phone))
        if c.link_email:
            actions.append(ClientItem.email.set(c.email))
        if consent:
            # Booking can grant marketing consent; only an unsubscribe withdraws it.
            actions += [
                ClientItem.marketing.set(consent),
                ClientItem.consent_log.set((ClientItem.consent_log | []).append([consent])),
            ]
        tx.update(ClientItem(pk, keys.client_sk(c.client_id)), actions, "client", condition=ClientItem.pk.exists())
    for kind, value, link in (("phone", c.phone, c.link_phone), ("email", c.email, c.link_email)):
        if value and (c.is_new or link):
            tx.put(
                ClientKeyItem(pk, keys.client_key_sk(kind, value), client_id=c.client_id),
                "client",
                condition=ClientKeyItem.pk.does_not_exist(),
            )


def get_client(business_id: str, client_id: str) -> ClientItem | None:
    db.configure()
    try:
        return ClientItem.get(keys.biz(business_id), keys.client_sk(client_id), consistent_read=True)
    except ClientItem.DoesNotExist:
        return None


# --- the owner's registry ------------------------------------------------------------
class ContactInUse(Exception):
    """Another client of the business already has this phone or email."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class ClientChanged(Exception):
    """The profile changed (or was erased) between read and write; read it again."""


def list_clients(business_id: str, needle: str | None, limit: int, cursor: dict | None):
    """A page of the business's clients, optionally those whose search text contains
    `needle`: one Query on the business's partition (never the table). Returns (items,
    the key to continue from or None)."""
    db.configure()
    condition = ClientItem.erased_at.does_not_exist()
    if needle:
        condition &= ClientItem.search.contains(needle)
    # One more than asked: a next page is promised only when it has something on it.
    items = list(
        ClientItem.query(
            keys.biz(business_id),
            ClientItem.sk.startswith("CLIENT#"),
            filter_condition=condition,
            limit=limit + 1,
            last_evaluated_key=cursor,
            page_size=max(limit + 1, 100),
        )
    )
    more = len(items) > limit
    items = items[:limit]
    return items, ({"pk": {"S": items[-1].pk}, "sk": {"S": items[-1].sk}} if more else None)


def update_profile(item: ClientItem, actions: list, contact_changes: dict, now: datetime) -> None:
    """Apply `actions` to the profile read as `item` (unchanged since: its updated_at),
    moving contact keys in the same transaction: {"phone": (old, new), ...}."""
    pk = keys.biz(item.business_id)
    tx = Tx(ClientItem)
    unchanged = ClientItem.erased_at.does_not_exist() & (
        ClientItem.updated_at == item.updated_at if item.updated_at else ClientItem.updated_at.does_not_exist()
    )
    tx.update(
        ClientItem(pk, item.sk),
        actions + [ClientItem.updated_at.set(now)],
        "client",
        condition=ClientItem.pk.exists() & unchanged,
    )
    for kind, (old, new) in contact_changes.items():
        if old:
            tx.delete(
                ClientKeyItem(pk, keys.client_key_sk(kind, old)),
                "old-" + kind,
                condition=ClientKeyItem.client_id == item.client_id,
            )
        if new:
            tx.put(
                ClientKeyItem(pk, keys.client_key_sk(kind, new), client_id=item.client_id),
                kind,
                condition=ClientKeyItem.pk.does_not_exist(),
            )
    try:
        tx.commit()
    except TxFailed as err:
        for kind in ("phone", "email"):
            if kind in err.failed:
                raise ContactInUse(kind) from err
        raise ClientChanged() from err


def get_clients(business_id: str, client_ids: set[str]) -> dict[str, ClientItem]:
    """Profiles by id, one BatchGetItem per 100."""
    db.configure()
    wanted = [(keys.biz(business_id), keys.client_sk(c)) for c in sorted(client_ids)]
    return {item.client_id: item for item in ClientItem.batch_get(wanted)} if wanted else {}


def all_clients(business_id: str):
    """Every unerased client of the business, streamed page by page (the CSV export):
    Query on the business's own partition, never the table."""
    db.configure()
    return ClientItem.query(
        keys.biz(business_id),
        ClientItem.sk.startswith("CLIENT#"),
        filter_condition=ClientItem.erased_at.does_not_exist(),
        page_size=500,
    )


def rekey(client: ClientItem, index: str, pair: tuple[str, str] | None) -> None:
    """Move the client in one of her sparse day indexes ("g3" erasure, "g4" lapse) to
    the key `pair`, or out of it (None)."""
    db.configure()
    pk, sk = getattr(ClientItem, f"{index}pk"), getattr(ClientItem, f"{index}sk")
    client.update(actions=[pk.set(pair[0]), sk.set(pair[1])] if pair else [pk.remove(), sk.remove()])
