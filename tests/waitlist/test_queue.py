"""Queue mode (issue 21, points 2, 3 and 8): freed time goes to one entry at a time in
the order they joined, each holding it `hold_minutes`; when a hold runs out untaken the
`waitlist_queue` job offers it to the next, once however often it runs. An entry that
booked elsewhere first is not offered. Now: Mon 23 Nov 2026 10:00 in Helsinki."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.api.helpers import get, post, set_config
from tests.conftest import FROZEN_NOW
from tests.history import run_job
from tests.waitlist.helpers import join, offer_links

START = datetime.fromisoformat("2026-11-25T13:00:00+02:00")
FIRST, SECOND = "+358407654321", "+358408888888"


def _links(phone):
    return offer_links(phone)


def test_one_at_a_time_in_queue_order_each_with_a_hold(client, aws, frozen_now):
    from chalicelib.services.waitlist.refill import time_freed
    from chalicelib.store import businesses

    set_config(aws, waitlist__mode="queue", waitlist__hold_minutes=15)
    b = businesses.get_by_id(aws.id)
    assert b is not None
    join(client, first="2026-11-25", last="2026-11-25", name="First", phone="040 765 4321", email=None)
    frozen_now["now"] = FROZEN_NOW + timedelta(seconds=1)
    join(client, first="2026-11-25", last="2026-11-25", name="Second", phone="040 888 8888", email=None)

    done = time_freed(b, "aino", START, START + timedelta(minutes=70))
    assert done.matched == 2 and done.offered == 1
    [first] = _links(FIRST)
    assert _links(SECOND) == []
    assert get(client, f"/api/v1/offers/{first}")[1]["expires_at"] == "2026-11-23T10:15:01+02:00"
    # Freed again meanwhile (the hook is called twice): the first still holds it.
    assert time_freed(b, "aino", START, START + timedelta(minutes=70)).offered == 0

    frozen_now["now"] = FROZEN_NOW + timedelta(minutes=10)
    assert run_job("waitlist_queue", frozen_now["now"]) == {"run_out": 0, "offered": 0}
    frozen_now["now"] = FROZEN_NOW + timedelta(minutes=16)
    assert run_job("waitlist_queue", frozen_now["now"]) == {"run_out": 1, "offered": 1}
    assert run_job("waitlist_queue", frozen_now["now"]) == {"run_out": 0, "offered": 0}  # twice: nothing more
    [second] = _links(SECOND)
    status, gone = post(client, f"/api/v1/offers/{first}/book")
    assert status == 410  # her hold ran out with her link
    status, booked = post(client, f"/api/v1/offers/{second}/book")
    assert status == 201 and booked["start"] == "2026-11-25T13:00:00+02:00"


def test_an_entry_that_booked_elsewhere_first_is_not_offered(client, aws):
    from chalicelib.services.waitlist.refill import time_freed
    from tests.api.helpers import book

    _, entry = join(client, first="2026-11-25", last="2026-11-25", name="Liisa", phone="040 765 4321", email=None)
    # She found a time herself on the booking page: her entry for that day and service closes.
    assert book(client, "2026-11-25T16:00:00+02:00", name="Liisa", phone="040 765 4321", email=None)[0] == 201
    done = time_freed(aws, "aino", START, START + timedelta(minutes=70))
    assert done.offered == 0 and _links(FIRST) == []
    from tests.api.helpers import token_of

    assert get(client, f"/api/v1/waitlist/{token_of(entry['manage_url'])}")[1]["status"] == "booked"
