"""The amounts a booking pays, is refunded or is charged: whole cents, never more than
the price, the same whatever the order of the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.domain.payments import (
    CancellationTerms,
    FeeKind,
    PaymentKind,
    PaymentPolicy,
    Payments,
    due_now_cents,
    fee_cents,
    free_until,
    needs_payment,
    payment_for,
    percent_of,
    refund_on_cancel_cents,
)

prices = st.integers(min_value=0, max_value=10_000_00)
percents = st.integers(min_value=0, max_value=100)


def test_the_demo_deposit_of_thirty_percent():
    assert due_now_cents(PaymentPolicy(kind=PaymentKind.DEPOSIT, deposit_percent=30), 15900) == 4770


def test_half_a_cent_rounds_up():
    assert percent_of(105, 50) == 53
    assert percent_of(101, 50) == 51
    assert percent_of(1, 50) == 1


@given(prices, st.integers(min_value=1, max_value=100))
def test_a_percentage_deposit_is_whole_cents_within_the_price(price, percent):
    due = due_now_cents(PaymentPolicy(kind=PaymentKind.DEPOSIT, deposit_percent=percent), price)
    assert isinstance(due, int) and 0 <= due <= price
    assert abs(due * 100 - price * percent) <= 50


@given(prices, st.integers(min_value=1, max_value=10_000_00))
def test_a_fixed_deposit_never_exceeds_the_price(price, fixed):
    assert due_now_cents(PaymentPolicy(kind=PaymentKind.DEPOSIT, deposit_cents=fixed), price) == min(fixed, price)


@given(prices)
def test_prepayment_is_the_price_and_card_on_file_charges_nothing_now(price):
    assert due_now_cents(PaymentPolicy(kind=PaymentKind.PREPAY), price) == price
    assert due_now_cents(PaymentPolicy(kind=PaymentKind.CARD_ON_FILE), price) == 0
    assert needs_payment(PaymentPolicy(kind=PaymentKind.CARD_ON_FILE), price)
    assert not needs_payment(PaymentPolicy(), price)


@given(prices, percents, percents, st.integers(min_value=0, max_value=10_000_00))
def test_a_fee_counts_what_was_paid_and_is_never_negative(price, late, no_show, paid):
    terms = CancellationTerms(late_cancel_fee_percent=late, no_show_fee_percent=no_show)
    for kind, percent in ((FeeKind.LATE_CANCEL, late), (FeeKind.NO_SHOW, no_show)):
        fee = fee_cents(terms, price, kind, paid)
        assert fee == max(0, percent_of(price, percent) - paid)
        assert 0 <= fee <= price


@given(
    st.integers(min_value=0, max_value=336),
    st.integers(min_value=-400, max_value=400),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    percents,
    st.sampled_from(["deposit", "prepay"]),
)
def test_cancelling_inside_the_free_window_refunds_everything_and_after_a_prepayment_above_the_late_fee(
    hours, minutes_before, paid, price, late, kind
):
    start = datetime(2026, 11, 25, 10, tzinfo=UTC)
    now = start - timedelta(hours=hours) + timedelta(minutes=minutes_before)
    terms = CancellationTerms(free_until_hours=hours, late_cancel_fee_percent=late)
    refund = refund_on_cancel_cents(terms, start, now, paid, price, kind)
    later = max(0, paid - percent_of(price, late)) if kind == "prepay" else 0
    assert refund == (paid if minutes_before < 0 else later)
    assert 0 <= refund <= paid


def test_a_late_cancellation_keeps_a_deposit_and_of_a_prepayment_only_the_late_fee():
    start = datetime(2026, 11, 25, 10, tzinfo=UTC)
    late = start - timedelta(hours=2)
    terms = CancellationTerms(free_until_hours=24, late_cancel_fee_percent=50)
    assert refund_on_cancel_cents(terms, start, late, 15900, 15900, "prepay") == 7950  # half back
    assert refund_on_cancel_cents(terms, start, late, 4770, 15900, "deposit") == 0  # a deposit is kept
    small_fee = CancellationTerms(free_until_hours=24, late_cancel_fee_percent=20)
    assert refund_on_cancel_cents(small_fee, start, late, 4770, 15900, "deposit") == 0  # whatever the fee
    no_fee = CancellationTerms(free_until_hours=24)
    assert refund_on_cancel_cents(no_fee, start, late, 15900, 15900, "prepay") == 15900


def test_a_booking_made_inside_the_free_window_is_free_to_cancel_for_its_grace_only():
    start = datetime(2026, 11, 23, 11, tzinfo=UTC)
    terms = CancellationTerms(free_until_hours=24)
    early, late = start - timedelta(days=3), start - timedelta(hours=3)
    assert free_until(start, terms, early, 15) == start - timedelta(hours=24)  # the ordinary deadline
    assert free_until(start, terms, late, 15) == late + timedelta(minutes=15)  # its grace
    assert free_until(start, terms, late, 0) <= late  # no grace: never free
    assert free_until(start, terms, start - timedelta(minutes=5), 15) == start  # never past the start
    paid = 4770
    price = 15900  # the deposit is 30 % of it, the late fee half of it
    assert refund_on_cancel_cents(terms, start, late + timedelta(minutes=14), paid, price, "deposit", late, 15) == paid
    assert refund_on_cancel_cents(terms, start, late + timedelta(minutes=15), paid, price, "deposit", late, 15) == 0
    assert refund_on_cancel_cents(terms, start, late + timedelta(minutes=1), paid, price, "deposit", late, 0) == 0


def test_a_deposit_needs_exactly_one_amount():
    with pytest.raises(ValidationError):
        PaymentPolicy(kind=PaymentKind.DEPOSIT)
    with pytest.raises(ValidationError):
        PaymentPolicy(kind=PaymentKind.DEPOSIT, deposit_cents=100, deposit_percent=10)
    with pytest.raises(ValidationError):
        PaymentPolicy(kind=PaymentKind.PREPAY, deposit_percent=10)


def test_a_booking_records_the_version_and_terms_it_accepted():
    payments = Payments(version=3, terms=CancellationTerms(free_until_hours=48, no_show_fee_percent=100))
    pay = payment_for(payments, PaymentPolicy(kind=PaymentKind.DEPOSIT, deposit_cents=2000), 6900)
    assert pay is not None
    assert (pay.kind, pay.due_cents, pay.policy_version) == ("deposit", 2000, 3)
    assert pay.accepted_terms() == payments.terms
    assert payment_for(payments, PaymentPolicy(kind=PaymentKind.DEPOSIT, deposit_percent=50), 0) is None


@given(
    total=st.integers(min_value=0, max_value=10_000_00),
    deposit=st.integers(min_value=0, max_value=10_000_00),
    rate=st.sampled_from(["25.5", "14", "10", "0"]),
)
def test_checkout_deducts_the_deposit_and_the_vat_adds_up_in_whole_cents(total, deposit, rate):
    from decimal import Decimal

    from chalicelib.domain.payments import checkout

    co = checkout(total, deposit, Decimal(rate))
    assert co.due_cents == max(0, total - deposit) and co.deposit_cents + co.due_cents == total
    [vat] = co.vat
    assert vat.net_cents + vat.vat_cents == vat.gross_cents == total
    # Half up, to the cent, of the VAT included in a VAT-inclusive price.
    exact = Decimal(total) * Decimal(rate) / (100 + Decimal(rate))
    assert abs(vat.vat_cents - exact) <= Decimal("0.5")


def test_the_vat_of_a_finnish_receipt():
    from decimal import Decimal

    from chalicelib.domain.payments import vat_in

    assert vat_in(15900, Decimal("25.5")).vat_cents == 3231  # 159,00 €: 32,31 € VAT, 126,69 € net
    assert vat_in(6900, Decimal("14")).vat_cents == 847
    assert vat_in(6900, Decimal("0")).vat_cents == 0


def test_a_refund_owed_is_on_its_way_back_not_kept_and_a_refused_one_is_the_owners():
    from dataclasses import replace

    from chalicelib.domain.payments import BookingPayment

    paid = BookingPayment(
        kind="deposit", due_cents=4770, policy_version=1, state="paid", intent="pi_1", paid_cents=4770
    )
    assert (paid.mark("booked"), paid.kept_cents, paid.refundable_cents) == ("paid", 4770, 4770)
    owed = replace(paid, refund_owed_cents=4770)  # cancelled, Stripe not reached yet
    assert (owed.mark("cancelled"), owed.kept_cents, owed.refundable_cents) == ("refund_pending", 0, 0)
    made = replace(owed, refund_owed_cents=0, refunded_cents=4770)
    assert (made.mark("cancelled"), made.kept_cents, made.refundable_cents) == ("refunded", 0, 0)
    refused = replace(paid, refund_failed_cents=4770)  # Stripe said no: still hers to get back
    assert (refused.mark("cancelled"), refused.refundable_cents) == ("refund_failed", 4770)
    assert refused.kept_cents == 4770  # still with the salon until settled: a fee counts it as paid
    assert replace(refused, fees={"no_show": "open"}).mark("cancelled") == "refund_failed"  # what needs her first
    # A no-show undone, its fee's refund failed, marked again: the failed refund is the new
    # round's fee, nothing for the owner to settle; the visit not a no-show, it is hers.
    again = replace(paid, paid_cents=15900, fees={"no_show": "refund_failed"}, fee_cents={"no_show": 11130})
    again = replace(again, refund_failed_cents=11130, fee_rounds={"no_show": 1})
    assert (again.mark("no_show"), again.refund_failed_due_cents("no_show"), again.kept_cents) == ("paid", 0, 15900)
    assert (again.mark("completed"), again.refund_failed_due_cents("completed")) == ("refund_failed", 11130)
    # Stored before these fields existed: read as nothing owed.
    old = {k: v for k, v in paid.to_json().items() if not k.startswith("refund_")}
    assert BookingPayment.from_json(old) == paid


def test_a_fee_key_from_outside_is_read_strictly():
    from chalicelib.domain.payments import MAX_FEE_ROUND, fee_key, parse_fee_key

    assert parse_fee_key("no_show") == ("no_show", 0)
    assert parse_fee_key(fee_key("late_cancel", 3)) == ("late_cancel", 3)
    assert parse_fee_key(f"no_show.r{MAX_FEE_ROUND}") == ("no_show", MAX_FEE_ROUND)
    odd = ["no_show.r\u00b2", "no_show.r\u0663", "no_show.r0", "no_show.r01", "no_show.1", "no_show.r", "deposit"]
    for key in [*odd, f"no_show.r{MAX_FEE_ROUND + 1}", "no_show.r1.r2", "no_show.r-1", "no_show.r 1"]:
        assert parse_fee_key(key) is None, key
