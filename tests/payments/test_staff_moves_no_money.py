"""A staff member moves no money (a booking's money is the owner's, docs/dashboard.md), not
through a visit mark either, as an API key does not (test_key_moves_no_money.py): a
reviewer's staff "Ei saapunut" charged the client's card 111,30 € and "Kumoa" refunded it."""

from __future__ import annotations

import pytest

from tests.admin.helpers import Desk
from tests.payments.test_fees import AFTER_THE_VISIT, money_of, paid_booking
from tests.payments.test_no_show_undone import FEE, fee_refunds_at_stripe, no_show_charged


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


@pytest.fixture
def staff(pay_client, aws):
    return Desk(pay_client, aws.id, role="staff", staff_id="aino")


def test_a_staff_no_show_charges_no_fee_the_owner_charges_it(pay_client, stripe_env, aws, desk, staff, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    status, body = staff.post(f"/appointments/{booking['id']}/status", {"status": "no_show"})
    assert status == 200 and body["status"] == "no_show", body
    assert body["payment"]["fees"] == {} and body["payment"]["chargeable_cents"] == {"no_show": FEE}, body
    from chalicelib.store import payments

    assert payments.get_money(aws.id, booking["id"], "no_show") is None  # nothing charged at Stripe
    status, fee = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "no_show"})
    assert status == 200 and (fee["state"], fee["amount_cents"]) == ("succeeded", FEE), fee
    # Her no-show without a fee taken is the staff's to undo (the owner's fee is hers to give back).
    assert money_of(desk, booking)["fees"] == {"no_show": "succeeded"}


@pytest.mark.parametrize("again", ["booked", "completed"])
def test_a_staff_undo_of_a_no_show_with_its_fee_taken_is_refused_and_refunds_nothing(
    pay_client, stripe_env, aws, desk, staff, frozen_now, again
):
    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    status, body = staff.post(f"/appointments/{booking['id']}/status", {"status": again})
    assert status == 403, body
    assert (body["error"]["code"], body["error"]["reason"]) == ("owner_only", "no_show_fee"), body
    assert fee_refunds_at_stripe(stripe_env, aws, booking) == []
    assert money_of(desk, booking)["fees"] == {"no_show": "succeeded"}
    assert desk.get(f"/appointments/{booking['id']}")[1]["status"] == "no_show"


def test_a_staff_undo_of_a_no_show_without_a_fee_is_hers(pay_client, stripe_env, aws, staff, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    assert staff.post(f"/appointments/{booking['id']}/status", {"status": "no_show"})[0] == 200
    status, body = staff.post(f"/appointments/{booking['id']}/status", {"status": "booked"})
    assert status == 200 and body["status"] == "completed", body
    assert body["payment"]["fees"] == {}
