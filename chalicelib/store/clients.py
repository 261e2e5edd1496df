"""Clients: matched by normalized phone or email within a business (one profile each)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.store import db, keys
from chalicelib.store.models import ClientItem, ClientKeyItem, ConsentMap
from chalicelib.store.tx import Tx


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
    if c.is_new:
        item = ClientItem(pk, keys.client_sk(c.client_id), business_id=c.business_id, client_id=c.client_id,
                          name=c.name, phone=c.phone, email=c.email, locale=c.locale, created_at=now,
                          marketing=consent, consent_log=[consent] if consent else None, bookings=1)
        tx.put(item, "client", condition=ClientItem.pk.does_not_exist())
    else:
        actions = [ClientItem.bookings.add(1)]
        if c.link_phone:
            actions.append(ClientItem.phone.set(c.phone))
        if c.link_email:
            actions.append(ClientItem.email.set(c.email))
        if consent:
            # Booking can grant marketing consent; only an unsubscribe withdraws it.
            actions += [ClientItem.marketing.set(consent),
                        ClientItem.consent_log.set(ClientItem.consent_log.append([consent]))]
        tx.update(ClientItem(pk, keys.client_sk(c.client_id)), actions, "client",
                  condition=ClientItem.pk.exists())
    for kind, value, link in (("phone", c.phone, c.link_phone), ("email", c.email, c.link_email)):
        if value and (c.is_new or link):
            tx.put(ClientKeyItem(pk, keys.client_key_sk(kind, value), client_id=c.client_id), "client",
                   condition=ClientKeyItem.pk.does_not_exist())



def get_client(business_id: str, client_id: str) -> ClientItem | None:
    db.configure()
    try:
        return ClientItem.get(keys.biz(business_id), keys.client_sk(client_id), consistent_read=True)
    except ClientItem.DoesNotExist:
        return None
