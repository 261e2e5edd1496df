"""No double booking, ever: many clients race for one slot against a real DynamoDB Local.

Each request runs in its own process, as Lambda runs each request in its own
container; they start together behind a barrier.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tests.api.helpers import taken_on_sheets
from tests.integration.conftest import race

pytestmark = pytest.mark.integration

RACERS = 32
SLOT = "2026-11-25T12:00:00+02:00"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _book(i, barrier):
    from chalice.test import Client

    from app import app
    from chalicelib import clock
    from chalicelib.store import db

    clock.now = lambda: NOW
    db._configured_for = None  # fresh connections in this process
    db.configure()
    body = {
        "service": "womens-cut",
        "staff": "aino",
        "start": SLOT,
        "client": {"name": f"Racer {i}", "phone": f"+35840{1000000 + i}"},
    }
    with Client(app) as c:
        barrier.wait(timeout=120)  # 32 processes on two busy cores; a racer that fails breaks it at once
        r = c.http.post(
            "/api/v1/businesses/demo/bookings", body=json.dumps(body), headers={"Content-Type": "application/json"}
        )
    return r.status_code, json.loads(r.body)


def _scan(table, endpoint):
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="eu-north-1")
    items, kwargs = [], {"TableName": table, "ConsistentRead": True}
    while True:
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_racing_requests_book_the_slot_exactly_once(real_stack, dynamodb_local):
    import os

    import app  # noqa: F401 - loaded once here, not in each of the 32 children before the barrier
    from chalicelib.store import db

    db._configured_for = None  # no open connections are inherited by the children
    outcomes = race(_book, RACERS)

    statuses = sorted(s for s, _ in outcomes)
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == RACERS - 1, statuses
    assert all(b["error"]["code"] == "slot_taken" for s, b in outcomes if s == 409)

    items = _scan(os.environ["REBOOK_TABLE"], dynamodb_local.endpoint)
    kinds = [i["sk"]["S"].split("#")[0] for i in items] + [i["pk"]["S"].split("#")[0] for i in items]
    assert sum(1 for i in items if i["sk"]["S"].startswith("APPT#")) == 1
    assert sum(1 for i in items if i["sk"]["S"].startswith("CLIENT#")) == 1  # losers left no profile
    assert sum(1 for i in items if i["sk"]["S"].startswith("CKEY#")) == 1
    winner = next(b for s, b in outcomes if s == 201)
    assert (
        taken_on_sheets(items)
        == {  # 60 min + 10 min buffer, once, on Aino's day sheet
            (f"{winner['start'][:10]}#{winner['staff']['id']}", f"a{winner['id']}"): (
                datetime.fromisoformat(winner["start"]).astimezone(UTC).isoformat(),
                (datetime.fromisoformat(winner["start"]) + timedelta(minutes=70)).astimezone(UTC).isoformat(),
            )
        }
    )
    # The winner's messages ride as the plan on its appointment (nothing expands it here).
    [appt] = [i for i in items if i["sk"]["S"] == f"APPT#{winner['id']}"]
    messages = [m["key"] for m in json.loads(appt["plan"]["S"])["messages"]]
    assert sum("#confirmation#" in m for m in messages) == 1  # one SMS confirmation
    assert sum("#reminder-sms-2h#" in m for m in messages) == 1  # and its reminder, planned once
    assert "IDEM" not in kinds


def _desk_or_web(i, barrier):
    """Even racers book at the front desk (the desk's rules, no confirmation), odd ones
    online, all for the same time with Aino."""
    from chalicelib import clock
    from chalicelib.auth.principal import Principal
    from chalicelib.errors import RebookError
    from chalicelib.services.admin import calendar
    from chalicelib.services.booking import book
    from chalicelib.store import businesses, db

    clock.now = lambda: NOW
    db._configured_for = None
    db.configure()
    b = businesses.get_by_slug("demo")
    body = {
        "service": "womens-cut",
        "staff": "aino",
        "start": SLOT,
        "client": {"name": f"Racer {i}", "phone": f"+35840{2000000 + i}"},
    }
    barrier.wait(timeout=120)
    try:
        if i % 2 == 0:
            assert b is not None
            owner = Principal(user_id=f"desk-{i}", business_id=b.id, role="owner")
            status, view = calendar.book_for_client(owner, {**body, "notify": False}, None)
        else:
            status, view = book.create_booking("demo", body)
    except RebookError as e:
        return ("desk" if i % 2 == 0 else "web", e.status, e.code)
    return ("desk" if i % 2 == 0 else "web", status, view["id"])


def test_desk_and_online_racing_for_one_time_book_it_once(real_stack, dynamodb_local):
    import os

    import app  # noqa: F401 - loaded once here, not in each child
    from chalicelib.store import db

    db._configured_for = None
    outcomes = race(_desk_or_web, 8)
    statuses = sorted(s for _, s, _ in outcomes)
    assert statuses == [201] + [409] * 7, outcomes
    assert {code for _, s, code in outcomes if s == 409} == {"slot_taken"}, outcomes
    items = _scan(os.environ["REBOOK_TABLE"], dynamodb_local.endpoint)
    assert sum(1 for i in items if i["sk"]["S"].startswith("APPT#")) == 1
    assert len(taken_on_sheets(items)) == 1


def test_the_same_time_off_sent_twice_at_once_is_stored_once(real_stack, dynamodb_local, monkeypatch):
    """Aino's dentist saved twice at the same moment (a double tap on two phones): both
    requests read her day sheet before either writes (a barrier holds each at its first
    read); one block is stored, the other request is the 409 that names it. Two threads
    through the use case, on DynamoDB Local's own transactions."""
    import os
    import threading

    from chalicelib import clock
    from chalicelib.auth.principal import Principal
    from chalicelib.errors import RebookError
    from chalicelib.services.admin import time_off
    from chalicelib.store import daysheets

    monkeypatch.setattr(clock, "now", lambda: NOW)
    barrier, first_read, read = threading.Barrier(2), threading.local(), daysheets.read

    def read_together(*a, **kw):
        sheets = read(*a, **kw)
        if not getattr(first_read, "done", False):
            first_read.done = True
            barrier.wait(timeout=30)
        return sheets

    monkeypatch.setattr(daysheets, "read", read_together)
    owner = Principal(user_id="owner-1", business_id=real_stack.id, role="owner")
    dentist = {"staff": "aino", "start": "2026-11-25T14:00", "end": "2026-11-25T16:00", "reason": "Dentist"}
    outcomes: list[tuple[int, object]] = []

    def save():
        try:
            outcomes.append((201, time_off.create(owner, dentist)["id"]))
        except RebookError as e:
            outcomes.append((e.status, e.code))

    threads = [threading.Thread(target=save) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(s for s, _ in outcomes) == [201, 409], outcomes
    assert [c for s, c in outcomes if s == 409] == ["time_off_overlaps"], outcomes
    items = _scan(os.environ["REBOOK_TABLE"], dynamodb_local.endpoint)
    assert [i["timeoff_id"]["S"] for i in items if i["sk"]["S"].startswith("TOFF#")] == [
        c for s, c in outcomes if s == 201
    ]
    [stored] = [c for s, c in outcomes if s == 201]
    assert {ref for (_, ref) in taken_on_sheets(items)} == {f"o{stored}_0"}  # on her sheet once
