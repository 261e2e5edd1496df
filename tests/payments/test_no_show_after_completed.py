"""A reviewer's card at the desk: "Ei saapunut" offered on a visit marked Valmis, right
beside "Kumoa merkintä" — one stray tap from charging her 111,30 €. During the visit a
completed mark is undone first (back to booked), then she may be marked a no-show; after
its end an undo leaves it completed (the after-visit rule), so the no-show corrects it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.admin.helpers import Desk
from tests.payments.test_fees import AFTER_THE_VISIT, money_of, paid_booking
from tests.payments.test_no_show_undone import FEE


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


def mark(desk, booking, status):
    return desk.post(f"/appointments/{booking['id']}/status", {"status": status})


def test_a_visit_marked_completed_is_undone_before_it_is_marked_a_no_show(pay_client, stripe_env, desk, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = datetime.fromisoformat(booking["start"]) + timedelta(minutes=20)  # during the visit
    assert mark(desk, booking, "completed")[0] == 200
    status, body = mark(desk, booking, "no_show")
    assert status == 409, body
    assert (body["error"]["code"], body["error"]["reason"]) == ("invalid_mark", "already_marked"), body
    assert money_of(desk, booking)["fees"] == {}  # nothing charged
    assert desk.get(f"/appointments/{booking['id']}")[1]["status"] == "completed"
    # Undone first (back to booked), then the no-show charges its fee.
    status, undone = mark(desk, booking, "booked")
    assert status == 200 and undone["status"] == "booked", undone
    status, body = mark(desk, booking, "no_show")
    assert status == 200 and body["payment"]["fees"] == {"no_show": "succeeded"}, body
    assert body["payment"]["fee_cents"] == {"no_show": FEE}


def test_after_the_visit_a_completed_mark_is_corrected_to_a_no_show(pay_client, stripe_env, desk, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    assert mark(desk, booking, "completed")[0] == 200
    assert mark(desk, booking, "booked")[1]["status"] == "completed"  # an undo after the end leaves it completed
    status, body = mark(desk, booking, "no_show")
    assert status == 200 and body["payment"]["fees"] == {"no_show": "succeeded"}, body
