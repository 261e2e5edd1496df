"""An integration's key moves no money (the money routes refuse keys): not through a visit
mark either (a reviewer's: a write:bookings key's undo of a no-show refunded its fee)."""

from __future__ import annotations

import pytest

from tests.admin.helpers import Desk, call
from tests.payments.test_fees import AFTER_THE_VISIT, money_of, paid_booking
from tests.payments.test_no_show_undone import fee_refunds_at_stripe, no_show_charged


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


def bookings_key(desk) -> str:
    status, made = desk.post("/api-keys", {"name": "Website", "scopes": ["write:bookings"]})
    assert status == 201, made
    return made["key"]


def test_a_keys_undo_of_a_no_show_with_its_fee_taken_is_refused_and_refunds_nothing(
    pay_client, stripe_env, aws, desk, frozen_now
):
    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    status, body = call(
        pay_client,
        "POST",
        f"/api/v1/admin/appointments/{booking['id']}/status",
        bookings_key(desk),
        {"status": "booked"},
    )
    assert status == 403 and body["error"]["code"] == "not_for_api_keys", body
    assert fee_refunds_at_stripe(stripe_env, aws, booking) == []
    owners = money_of(desk, booking)
    assert owners["fees"] == {"no_show": "succeeded"}
    assert desk.get(f"/appointments/{booking['id']}")[1]["status"] == "no_show"


def test_a_keys_no_show_charges_no_fee_the_owner_charges_it(pay_client, stripe_env, aws, desk, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    status, body = call(
        pay_client,
        "POST",
        f"/api/v1/admin/appointments/{booking['id']}/status",
        bookings_key(desk),
        {"status": "no_show"},
    )
    assert status == 200 and body["status"] == "no_show", body
    owners = money_of(desk, booking)
    assert owners["fees"] == {} and "no_show" in owners["chargeable_cents"], owners
    status, fee = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "no_show"})
    assert status == 200 and fee["state"] == "succeeded", fee


def test_a_keys_cancellation_gives_back_nothing_beyond_her_terms(pay_client, stripe_env, aws, desk):
    """A write:bookings key may cancel, but `refund: true` (all she paid back, whatever her
    terms keep) is the owner's, as the refund route is: 403, nothing cancelled or refunded."""
    booking = paid_booking(pay_client, stripe_env)
    status, body = call(
        pay_client,
        "POST",
        f"/api/v1/admin/appointments/{booking['id']}/cancel",
        bookings_key(desk),
        {"by": "salon", "refund": True, "notify": False},
    )
    assert status == 403 and body["error"]["code"] == "not_for_api_keys", body
    assert money_of(desk, booking)["refunded_cents"] == 0
    assert desk.get(f"/appointments/{booking['id']}")[1]["status"] == "booked"
