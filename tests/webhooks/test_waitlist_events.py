"""The waitlist's events against a real receiver: joining (and updating an entry), an
offer of freed time, booking it and leaving the list each reach the integrations once,
signed, from the change's own transaction, with ids and no person in them."""

from __future__ import annotations

import pytest

from tests import conftest
from tests.admin.helpers import Desk
from tests.api.helpers import book, post, token_of
from tests.waitlist.helpers import entry_body, join, offer_links
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import drain, receiving_locally  # noqa: F401 (a fixture)

WAITLIST_EVENTS = ["waitlist.joined", "waitlist.offered", "waitlist.booked", "waitlist.left"]
LIISA = {"name": "Liisa Virtanen", "phone": "040 765 4321", "email": "liisa@example.com"}
pytestmark = pytest.mark.usefixtures("receiving_locally")


def _deliver(business_id: str, now) -> None:
    """Hand the business's new event items to the sender, as the outbox stream's trigger
    does right after each change (moto's stream goes stale after a cancelled transaction,
    and the refill cancels some: this reads the outbox itself). A booking's plan
    first: its expansion writes the booking's event item."""
    from chalicelib.domain.webhooks import WEBHOOK_EVENT
    from chalicelib.notify import dispatch
    from chalicelib.store import keys, outbox
    from chalicelib.store.models import AppointmentItem, MessageItem

    for appt in AppointmentItem.query(keys.biz(business_id), AppointmentItem.sk.startswith(keys.appt_sk(""))):
        if (plan := outbox.plan_of(appt)) is not None:
            dispatch.send_once(plan, now)
    for item in MessageItem.query(keys.biz(business_id), MessageItem.sk.startswith(keys.msg_sk(""))):
        m = outbox.to_message(item)
        if m.kind == WEBHOOK_EVENT and m.status == "pending":
            dispatch.send_once(m, now)


def _drain_afresh() -> None:
    """moto rolls its stream back with a cancelled transaction (an offer refused as made
    before): read the stream afresh (handing records over again sends nothing twice)."""
    conftest._stream_readers.clear()
    drain()


@pytest.fixture
def listening(client, aws, frozen_now):
    desk = Desk(client, aws.id)
    secrets: list[str] = []
    receiver = Receiver(lambda: list(secrets), lambda: frozen_now["now"])
    status, body = desk.post("/webhooks", {"url": receiver.url, "events": [*WAITLIST_EVENTS, "booking.created"]})
    assert status == 201, body
    secrets.append(body["secret"])
    drain()
    yield receiver, desk, lambda: _deliver(aws.id, frozen_now["now"])
    receiver.stop()


def _of(r: Receiver, kind: str) -> list[dict]:
    return [d.payload["data"] for d in r.deliveries if d.payload["type"] == kind]


def test_joining_an_offer_booking_it_and_leaving_are_told_once_with_ids_only(client, aws, listening):
    from chalicelib.services.waitlist.refill import time_freed
    from chalicelib.store import bookings

    r, desk, deliver = listening
    status, booked = book(client, "2026-11-25T13:00:00+02:00")
    assert status == 201, booked
    status, waiting = join(client, first="2026-11-25", last="2026-11-25", **LIISA)
    assert status == 201, waiting
    windows = [{"days": ["wed"], "start": "12:00", "end": "18:00"}]
    status, again = join(client, first="2026-11-25", last="2026-11-26", windows=windows, **LIISA)
    assert status == 201 and again["id"] == waiting["id"]  # her overlapping entry, updated
    deliver()
    assert sorted(_of(r, "waitlist.joined"), key=lambda d: d["updated"]) == [
        {
            "entry_id": waiting["id"],
            "service_id": "womens-cut",
            "staff_id": None,
            "from": "2026-11-25",
            "to": "2026-11-25",
            "windows": [],
            "source": "web",
            "updated": False,
        },
        {
            "entry_id": waiting["id"],
            "service_id": "womens-cut",
            "staff_id": None,
            "from": "2026-11-25",
            "to": "2026-11-26",
            "windows": windows,
            "source": "web",
            "updated": True,
        },
    ]
    # The booking is cancelled: its time is offered to her.
    assert post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")[0] == 200
    [link] = offer_links("+358407654321")
    deliver()
    [offered] = _of(r, "waitlist.offered")
    assert offered["entry_id"] == waiting["id"] and offered["staff_id"] == "aino"
    assert offered["start"] == "2026-11-25T11:00:00Z" and offered["channel"] == "sms" and offered["mode"] == "all"
    # She books it in one tap: waitlist.booked names the booking, whose booking.created has the rest.
    status, mine = post(client, f"/api/v1/offers/{link}/book")
    assert status == 201, mine
    deliver()
    assert _of(r, "waitlist.booked") == [
        {"entry_id": waiting["id"], "service_id": "womens-cut", "booking_id": mine["id"]}
    ]
    assert mine["id"] in [d["booking_id"] for d in _of(r, "booking.created")]
    # Another leaves from her link; the owner removes a third.
    status, other = join(client, first="2026-11-27", last="2026-11-27", name="Other", phone="040 888 8888", email=None)
    assert post(client, f"/api/v1/waitlist/{token_of(other['manage_url'])}/leave")[0] == 200
    status, phoned = desk.post("/waitlist", entry_body(name="Phoned In", phone="040 333 3333", email=None))
    assert status == 201, phoned
    assert desk.delete(f"/waitlist/{phoned['id']}")[0] == 204
    deliver()
    assert sorted(_of(r, "waitlist.left"), key=lambda d: d["entry_id"] == phoned["id"]) == [
        {"entry_id": other["id"], "service_id": "womens-cut"},
        {"entry_id": phoned["id"], "service_id": "womens-cut"},
    ]
    assert {d["entry_id"]: d["source"] for d in _of(r, "waitlist.joined")}[phoned["id"]] == "desk"
    # Once each: the same time freed again offers nothing new, leaving again changes
    # nothing, and the items handed over again send nothing twice.
    seen = len(r.deliveries)
    appt = bookings.get_appointment(aws.id, booked["id"])
    assert appt is not None
    assert time_freed(aws, "aino", appt.start, appt.occupied_until).offered == 0
    assert post(client, f"/api/v1/waitlist/{token_of(other['manage_url'])}/leave")[0] == 200
    deliver()
    _drain_afresh()
    assert len(r.deliveries) == seen and len(set(r.ids())) == seen and r.rejected == []
    flat = str([d.payload for d in r.deliveries])
    # (whole numbers: three digits alone turn up in random hex ids, "f888493f...")
    for personal in ("Liisa", "liisa@example.com", "765 4321", "7654321", "Phoned", "888 8888", "8888888"):
        assert personal not in flat  # ids, never the people waiting


def test_an_entry_closed_by_a_booking_made_elsewhere_is_told_as_booked(client, listening):
    r, _, deliver = listening
    status, waiting = join(client, first="2026-11-25", last="2026-11-26", **LIISA)
    assert status == 201, waiting
    status, mine = book(client, "2026-11-26T13:00:00+02:00", **LIISA)
    assert status == 201, mine
    deliver()
    assert _of(r, "waitlist.booked") == [
        {"entry_id": waiting["id"], "service_id": "womens-cut", "booking_id": mine["id"]}
    ]
