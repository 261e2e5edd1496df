"""An owner's refund and a cancellation on the same booking at the same moment: each
writes the booking's payment from its own read, and neither loses the other's change
(a write conditioned on the payment's revision; the second reads again and writes once
more: store/payments.py fresh_payment). The second write is injected between the first's
read and its write."""

from __future__ import annotations

import pytest

from tests.admin.helpers import Desk
from tests.payments.test_fees import money_of, paid_booking
from tests.payments.test_owed_refunds import refunds_at_stripe
from tests.payments.test_pay_flow import DEPOSIT

PART = 1000


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


def test_a_cancellation_between_the_owners_refund_and_its_write_keeps_both(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    from chalicelib.domain.booking import BY_SALON
    from chalicelib.services.booking import changes
    from chalicelib.services.payments import fees
    from chalicelib.services.payments.stripe_account import Account
    from chalicelib.store import bookings, businesses

    booking = paid_booking(pay_client, stripe_env)
    real = Account.refund
    meanwhile: list[str] = []

    def refund_then_cancelled(self, booking_id, intent_id, amount_cents, ref):
        made = real(self, booking_id, intent_id, amount_cents, ref)
        if not meanwhile:  # the owner's refund is made; before it is written, the booking is cancelled
            meanwhile.append(ref)
            b = businesses.get_by_id(aws.id)
            appt = bookings.get_appointment(aws.id, booking["id"])
            assert b is not None and appt is not None
            with monkeypatch.context() as m:
                m.setattr(fees, "make_owed", lambda *a, **kw: None)  # owed, made later by the sweeper
                changes.cancel(b, appt, "salon closed", by=BY_SALON)
        return made

    monkeypatch.setattr(Account, "refund", refund_then_cancelled)
    status, refund = desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": PART, "reason": "late start"})
    assert status == 200, refund
    assert meanwhile == [f"n0-{PART}"]
    owners = money_of(desk, booking)
    # The owner's refund and what the cancellation owes are both on the payment.
    assert (owners["refunded_cents"], owners["refund_pending_cents"]) == (PART, DEPOSIT)
    appt = bookings.get_appointment(aws.id, booking["id"])
    assert appt is not None and appt.status == "cancelled" and appt.payment_rev == 3  # paid, owed, refunded


def test_an_owners_refund_between_the_cancellations_read_and_its_write_keeps_both(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    from chalicelib import clock
    from chalicelib.services.payments import fees
    from chalicelib.store import bookings, businesses

    booking = paid_booking(pay_client, stripe_env)
    real = bookings.cancel_booking
    meanwhile: list[int] = []

    def refunded_first(appt, *args, **kw):
        if not meanwhile:  # the cancellation read the booking; the owner refunds part before it writes
            b = businesses.get_by_id(aws.id)
            fresh = bookings.get_appointment(aws.id, appt.id)
            assert b is not None and fresh is not None
            made = fees.refund(b, fresh, PART, clock.now(), "late start")
            meanwhile.append(made.amount_cents if made else 0)
        return real(appt, *args, **kw)

    monkeypatch.setattr(bookings, "cancel_booking", refunded_first)
    status, view = desk.post(f"/appointments/{booking['id']}/cancel", {"reason": "Asiakas soitti"})
    assert status == 200, view
    assert meanwhile == [PART]
    # The cancellation read again and gave back the rest, not the whole deposit once more.
    assert sorted(r["amount"] for r in refunds_at_stripe(stripe_env, aws, booking)) == sorted([PART, DEPOSIT - PART])
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refunded_cents"], owners["refund_pending_cents"]) == ("refunded", DEPOSIT, 0)
