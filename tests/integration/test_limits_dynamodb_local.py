"""The limits' meters on AWS's own engine (DynamoDB Local): counted in the booking's
transaction on the version read (a meter's first put and its later conditional updates,
stale entries dropped), and 8 racing requests of one phone cannot pass a limit of 2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.conftest import race

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TIMES = [f"2026-11-25T{h:02d}:00:00+02:00" for h in (9, 11, 13, 15)]
PHONE = "0409998877"


def _limit(n: int) -> None:
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store import businesses

    b = businesses.get_by_slug("demo")
    assert b is not None
    data = b.config.model_dump(mode="json")
    data["limits"] = {"bookings_per_contact": n}
    businesses.save_config(parse_business_config(data))
    businesses.clear_cache()


def _body(start: str, i: int = 0) -> dict:
    return {"service": "womens-cut", "staff": "sanna", "start": start, "client": {"name": f"F {i}", "phone": PHONE}}


def test_meters_count_in_the_transaction_and_roll_with_the_window(real_stack, monkeypatch):
    from chalicelib import clock
    from chalicelib.errors import TooManyRequests
    from chalicelib.services.booking import book

    _limit(2)
    now = {"t": NOW}
    monkeypatch.setattr(clock, "now", lambda: now["t"])
    assert book.create_booking("demo", _body(TIMES[0]))[0] == 201  # the meter's first put
    assert book.create_booking("demo", _body(TIMES[1]))[0] == 201  # a conditional update
    with pytest.raises(TooManyRequests) as refused:
        book.create_booking("demo", _body(TIMES[2]))
    assert refused.value.retry_after == 24 * 3600
    now["t"] = NOW + timedelta(hours=25)  # the window rolled on; the first entries still to come
    assert book.create_booking("demo", _body(TIMES[2]))[0] == 201


def _racer(i, barrier):
    from chalicelib import clock
    from chalicelib.errors import RebookError
    from chalicelib.services.booking import book
    from chalicelib.store import db

    clock.now = lambda: NOW
    db._configured_for = None
    db.configure()
    barrier.wait(timeout=120)
    try:
        return book.create_booking("demo", _body(TIMES[i % 4], i))[0]
    except RebookError as e:
        return e.status


def test_racing_requests_of_one_phone_book_at_most_the_limit(real_stack):
    import app  # noqa: F401 - loaded once here, not in each child
    from chalicelib.store import db

    _limit(2)
    db._configured_for = None
    statuses = race(_racer, 8)
    assert statuses.count(201) <= 2, statuses
    assert statuses.count(201) >= 1, statuses
    assert set(statuses) <= {201, 409, 429}, statuses
