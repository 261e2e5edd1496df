"""The waitlist against a real DynamoDB Local (issue 21, points 3 and 8): two refills of
one freed time at the same moment offer it once to each of ten waiting clients; the ten
tap at once and exactly one gets the time, the nine others hear it was just taken and
stay on the list. Each racer is its own process, as Lambda runs each request in its
own container."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.conftest import race

pytestmark = pytest.mark.integration

RACERS = 10
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
FREED = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # Wed 13:00 in Helsinki


def _fresh_process():
    from chalicelib import clock
    from chalicelib.store import db

    clock.now = lambda: NOW
    db._configured_for = None  # fresh connections in this process
    db.configure()


def _refill(i, barrier):
    from chalicelib.services.waitlist.refill import time_freed
    from chalicelib.store import businesses

    _fresh_process()
    b = businesses.get_by_slug("demo")
    assert b is not None
    barrier.wait(timeout=120)
    done = time_freed(b, "aino", FREED, FREED + timedelta(minutes=70), NOW)
    return [o.id for o in done.offers]


def _tap(tokens):
    def tap(i, barrier):
        from chalice.test import Client

        from app import app

        _fresh_process()
        with Client(app) as c:
            barrier.wait(timeout=120)
            r = c.http.post(f"/api/v1/offers/{tokens[i]}/book", body="", headers={"Content-Type": "application/json"})
        return r.status_code, json.loads(r.body)

    return tap


def test_ten_clients_tap_one_offered_time_and_exactly_one_gets_it(real_stack):
    import app  # noqa: F401 - loaded once here, not in each child before the barrier
    from chalicelib import clock, links
    from chalicelib.services.waitlist import join
    from chalicelib.store import bookings, db
    from chalicelib.store import waitlist as store

    b = real_stack
    real_now = clock.now
    clock.now = lambda: NOW
    try:
        for i in range(RACERS):
            join.save(
                b,
                {
                    "service": "womens-cut",
                    "from": "2026-11-25",
                    "to": "2026-11-25",
                    "client": {"name": f"Waiter {i}", "phone": f"+35840{2000000 + i}", "locale": "en"},
                },
            )
    finally:
        clock.now = real_now

    db._configured_for = None  # no open connections are inherited by the children
    offered = race(_refill, 2)  # the hook called twice at the same moment
    ids = [o for run in offered for o in run]
    assert len(ids) == RACERS and len(set(ids)) == RACERS, offered  # each offered once, between them

    offers = [store.get_offer(b.id, o) for o in ids]
    tokens = [links.offer_token(b.id, o.id, o.expires_at) for o in offers if o]
    db._configured_for = None
    outcomes = race(_tap(tokens), RACERS)
    statuses = sorted(s for s, _ in outcomes)
    assert statuses == [201] + [409] * (RACERS - 1), outcomes
    assert all(body["error"]["code"] == "offer_taken" for s, body in outcomes if s == 409)
    assert all("still on the list" in body["error"]["message"] for s, body in outcomes if s == 409)

    booked = [a for a in bookings.list_appointments(b.id, FREED, FREED + timedelta(hours=2)) if a.is_active]
    assert len(booked) == 1 and booked[0].source == "waitlist"
    from datetime import date

    assert len(store.waiting_on(b.id, "womens-cut", date(2026, 11, 25))) == RACERS - 1  # the others still wait
