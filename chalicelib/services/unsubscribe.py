"""Unsubscribing from marketing: the page a message's link opens (reads only) and the
POST that withdraws consent — from that page, or straight from the mail client
(RFC 8058 one-click) — and, from the same page, consent given again by her who changed
her mind."""

from __future__ import annotations

from typing import Any

from chalicelib import clock, links
from chalicelib.domain.clients import Client
from chalicelib.domain.config import Business
from chalicelib.errors import Gone, NotFound
from chalicelib.store import businesses, clients
from chalicelib.store import marketing as store


def _target(token: str) -> tuple[Business, Client]:
    claims = links.claims_or_4xx(token, "unsubscribe", clock.now(), expired=Gone)
    b = businesses.get_by_id(claims.business_id)
    client = clients.get_client(claims.business_id, claims.subject) if b else None
    if not b or not client or client.is_erased:
        raise NotFound("We have no data about you any more.", code="client_gone")
    return b, client


def page(token: str) -> dict[str, Any]:
    b, client = _target(token)
    return _view(b, client, subscribed=client.wants_marketing)


def _view(b: Business, client: Client, subscribed: bool) -> dict[str, Any]:
    return {
        "business": {"name": b.config.name, "slug": b.config.slug},
        "locale": client.locale,
        "subscribed": subscribed,
    }


def unsubscribe(token: str, one_click: bool) -> dict[str, Any]:
    b, client = _target(token)
    store.unsubscribe(b.id, client.id, clock.now(), "one_click" if one_click else "unsubscribe_page")
    return _view(b, client, subscribed=False)


def resubscribe(token: str) -> dict[str, Any]:
    b, client = _target(token)
    store.resubscribe(b.id, client.id, clock.now(), "resubscribe_page")
    return _view(b, client, subscribed=True)
