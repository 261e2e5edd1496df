"""Products and a discount at the desk's checkout: a 24,90 € shampoo sold with the visit,
10 % off for a regular or 5 € off, off the visit and its products together; the deposit
paid before still comes off, a staff member's card-on-file charge stays the visit's, bad
lines are a 422 on their field, and a card charge asked again is the same charge."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import stripe

from chalicelib.domain import payments as rules
from tests.admin.helpers import Desk
from tests.api.helpers import book
from tests.conftest import emails_to
from tests.payments.test_checkout import charged_at_checkout, checkout, desk_strings_say
from tests.payments.test_checkout_retries import stripe_keeping_charge_keys
from tests.payments.test_fees import AFTER_THE_VISIT, paid_booking
from tests.payments.test_pay_flow import DEPOSIT


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


SHAMPOO = {"name": "Shampoo 250 ml", "amount_cents": 2490}


def test_a_product_and_ten_percent_off_with_the_deposit_deducted_and_on_her_receipt(
    pay_client, stripe_env, desk, frozen_now
):
    booking = paid_booking(pay_client, stripe_env)  # highlights 159,00 €, a 47,70 € deposit paid
    frozen_now["now"] = AFTER_THE_VISIT
    status, done = checkout(desk, booking, method="card", lines=[SHAMPOO], discount={"percent": 10}, receipt=True)
    assert status == 200, done
    # 159,00 + 24,90 = 183,90 €; 10 % off it is 18,39 €: 165,51 €, less the deposit 47,70 €.
    assert done["price_cents"] == 15900
    assert done["lines"] == [{**SHAMPOO, "quantity": 1, "total_cents": 2490}]
    assert (done["discount_cents"], done["total_cents"]) == (1839, 16551)
    assert (done["deposit_cents"], done["paid_cents"]) == (DEPOSIT, 16551 - DEPOSIT)
    assert done["vat"] == [{"percent": "25.5", "net_cents": 13188, "vat_cents": 3363, "gross_cents": 16551}]
    [receipt] = emails_to("maija@example.com", "Kuitti")
    for shown in ("Shampoo 250 ml", "24,90\u00a0€", "Alennus 10 %", "−18,39\u00a0€", "165,51\u00a0€", "117,81\u00a0€"):
        assert shown in receipt, shown


def test_five_euros_off_two_products_paid_in_cash_and_counted_as_the_visits_revenue(pay_client, aws, desk, frozen_now):
    from tests.history import at, run_job

    frozen_now["now"] = at("2026-11-23T10:07:00+02:00")
    status, walk_in = desk.post("/bookings", {"service": "mens-cut", "walk_in": True, "client": {"name": "Pekka"}})
    assert status == 201, walk_in
    assert desk.post(f"/appointments/{walk_in['id']}/status", {"status": "arrived"})[0] == 200
    body = {"lines": [{**SHAMPOO, "quantity": 2}], "discount": {"amount_cents": 500}}
    status, done = checkout(desk, walk_in, method="cash", **body)
    assert status == 200, done
    # 42,00 + 2 × 24,90 = 91,80 €, 5,00 € off: 86,80 € in cash.
    assert (done["total_cents"], done["discount_cents"], done["paid_cents"]) == (8680, 500, 8680)
    assert desk.post(f"/appointments/{walk_in['id']}/status", {"status": "completed"})[0] == 200
    run_job("kpi_sync", frozen_now["now"] + timedelta(minutes=1))
    # Revenue is what the desk took: the visit and its products, after the discount.
    assert desk.get("/kpis?period=2026-11")[1]["kpis"]["revenue_cents"]["value"] == 8680
    client_id = desk.get(f"/appointments/{walk_in['id']}")[1]["client"]["id"]
    assert desk.get(f"/clients/{client_id}/stats")[1]["lifetime_spend_cents"] == 8680


def test_the_products_and_discount_stay_with_the_visit_and_an_older_checkout_reads_as_before(
    pay_client, stripe_env, desk, aws, frozen_now
):
    """Reloaded, the visit still says what she bought and what came off (not her receipt
    alone); a checkout stored before they were kept reads as it did."""
    from chalicelib.store import keys
    from chalicelib.store import payments as money_store
    from chalicelib.store.models import AppointmentItem
    from tests.admin.test_csv_export import rows

    booking = paid_booking(pay_client, stripe_env)  # highlights 159,00 €, a 47,70 € deposit paid
    frozen_now["now"] = AFTER_THE_VISIT
    status, done = checkout(desk, booking, method="card", lines=[SHAMPOO], discount={"percent": 10})
    assert status == 200, done
    status, appt = desk.get(f"/appointments/{booking['id']}")
    assert status == 200, appt
    co = appt["checkout"]
    assert co["lines"] == [{**SHAMPOO, "quantity": 1, "total_cents": 2490}], co
    assert (co["discount_cents"], co["discount_percent"], co["total_cents"]) == (1839, 10, 16551), co
    assert (co["method"], co["paid_cents"]) == ("card", 16551 - DEPOSIT), co
    # The money record has them too (written in the same transaction).
    record = money_store.get_money(aws.id, booking["id"], "checkout")
    assert record is not None
    assert (record.lines, record.discount_cents) == ((rules.ProductLine("Shampoo 250 ml", 2490),), 1839)
    status, body = desk.get("/export/appointments.csv?from=2026-11-01&to=2026-11-30")
    assert status == 200
    [row] = [r for r in rows(body) if r["id"] == booking["id"]]
    assert (row["checkout_products"], row["checkout_discount_cents"]) == ("1 × Shampoo 250 ml à 2490", "1839"), row
    # As a checkout was stored before its products were kept: method, paid and when alone.
    old = {"method": "cash", "paid_cents": 11130, "at": "2026-11-25T13:30:00+00:00"}
    AppointmentItem(keys.biz(aws.id), keys.appt_sk(booking["id"])).update(actions=[AppointmentItem.checkout.set(old)])
    status, appt = desk.get(f"/appointments/{booking['id']}")
    assert status == 200, appt
    assert appt["checkout"] == {
        "method": "cash",
        "paid_cents": 11130,
        "at": "2026-11-25T15:30:00+02:00",
        "total_cents": 15900,  # the booked price, as revenue counts it
        "lines": [],
        "discount_cents": 0,
        "discount_percent": None,
    }, appt
    [row] = [
        r
        for r in rows(desk.get("/export/appointments.csv?from=2026-11-01&to=2026-11-30")[1])
        if r["id"] == booking["id"]
    ]
    assert (row["checkout_total_cents"], row["checkout_products"], row["checkout_discount_cents"]) == ("15900", "", "0")


def test_staff_take_products_by_terminal_or_cash_and_the_owner_charges_them_to_the_card(
    pay_client, stripe_env, aws, desk, frozen_now
):
    booking = paid_booking(pay_client, stripe_env)  # card saved, 47,70 € deposit
    frozen_now["now"] = AFTER_THE_VISIT
    staff = Desk(pay_client, aws.id, role="staff", staff_id="aino")
    # A shampoo on her saved card, even 20 % off and under the visit's price: the owner's.
    status, body = checkout(staff, booking, method="card_on_file", lines=[SHAMPOO], discount={"percent": 20})
    assert status == 403, body
    assert (body["error"]["code"], body["error"]["reason"]) == ("owner_only", "card_products"), body
    assert desk_strings_say("err_owner_only_card_products")
    # Products bringing it above the visit's price: it is the products she is told of
    # (the visit alone is hers to charge), not a price limit the visit is within.
    status, body = checkout(staff, booking, method="card_on_file", lines=[{**SHAMPOO, "quantity": 40}])
    assert status == 403 and body["error"]["reason"] == "card_products", body
    # Above the visit's price stays the owner's too, a discount or not.
    status, body = checkout(staff, booking, method="card_on_file", price_cents=25000, discount={"amount_cents": 500})
    assert status == 403 and body["error"]["reason"] == "card_above_price", body
    assert charged_at_checkout(aws.id, booking) is None  # her card was not touched
    # The owner charges the visit and the shampoo to it.
    status, done = checkout(desk, booking, method="card_on_file", lines=[SHAMPOO])
    assert status == 200, done
    assert charged_at_checkout(aws.id, booking) == 15900 + 2490 - DEPOSIT


def test_staff_sell_a_product_for_cash_and_charge_the_card_a_discounted_visit(pay_client, stripe_env, aws, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    status, cut = book(pay_client, "2026-11-25T12:00:00+02:00", service="mens-cut", staff="mikko")
    assert status == 201, cut
    frozen_now["now"] = AFTER_THE_VISIT
    staff = Desk(pay_client, aws.id, role="staff", staff_id="aino")
    status, done = checkout(staff, cut, method="cash", lines=[SHAMPOO], discount={"percent": 10})
    assert status == 200 and done["paid_cents"] == 6021, done  # (42,00 + 24,90) less 6,69 €
    status, done = checkout(staff, booking, method="card_on_file", discount={"amount_cents": 1000})
    assert status == 200, done
    assert charged_at_checkout(aws.id, booking) == 15900 - 1000 - DEPOSIT


def test_bad_lines_and_discounts_are_refused_on_their_field_and_nothing_is_recorded(
    pay_client, stripe_env, desk, frozen_now
):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    bad: list[tuple[dict[str, Any], str]] = [
        ({"lines": [{"name": " ", "amount_cents": 2490}]}, "lines.0.name"),
        ({"lines": [{"name": "x" * 61, "amount_cents": 2490}]}, "lines.0.name"),
        ({"lines": [{"name": "Shampoo", "amount_cents": -1}]}, "lines.0.amount_cents"),
        ({"lines": [{"name": "Shampoo", "amount_cents": 2490, "quantity": 0}]}, "lines.0.quantity"),
        ({"lines": [SHAMPOO] * 21}, "lines"),
        # The visit and its products above 10 000,00 € together (Stripe's limit is far, but a limit).
        ({"lines": [{"name": "Hiustenkuivain", "amount_cents": 1_000_000, "quantity": 2}]}, "lines"),
        ({"discount": {"percent": 101}}, "discount.percent"),
        ({"discount": {"percent": 10, "amount_cents": 500}}, "discount"),
        ({"discount": {}}, "discount"),
        # More off than the visit and the shampoo come to (183,90 €): never below zero.
        ({"lines": [SHAMPOO], "discount": {"amount_cents": 18391}}, "discount.amount_cents"),
        # Below the 47,70 € deposit kept: what she overpaid is refunded first.
        ({"discount": {"percent": 80}}, "discount"),
    ]
    for body, field in bad:
        status, answer = checkout(desk, booking, method="cash", **body)
        assert status == 422, (body, answer)
        assert answer["error"]["code"] == "validation_failed" and field in answer["error"]["fields"], (body, answer)
    assert desk.get(f"/appointments/{booking['id']}")[1]["checkout"] is None


def test_a_card_charge_with_products_asked_again_is_the_same_charge(
    pay_client, stripe_env, desk, aws, frozen_now, monkeypatch
):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    body = {"method": "card_on_file", "lines": [SHAMPOO], "discount": {"amount_cents": 500}}
    due = 15900 + 2490 - 500 - DEPOSIT
    with stripe_keeping_charge_keys(monkeypatch, aws.id) as at:
        at.fail_next, at.taken = stripe.APIConnectionError("the answer was lost (injected)"), True
        status, answer = checkout(desk, booking, **body)
        assert status == 503, answer  # charged at Stripe; the desk never heard
        # Another discount now could take both from her card: refused, Stripe not asked.
        status, answer = checkout(desk, booking, **{**body, "discount": {"percent": 10}})
        assert status == 409 and answer["error"]["charge_cents"] == due, answer
        assert len(at.asked) == 1
        # The same lines and discount again: the same key, Stripe's first answer, recorded once.
        status, done = checkout(desk, booking, **body)
        assert status == 200 and done["paid_cents"] == due, done
        assert len(at.made) == 1 and at.asked[0] == at.asked[-1]
    assert charged_at_checkout(aws.id, booking) == due


def test_the_discount_is_shared_between_the_visits_and_the_products_vat():
    co = rules.checkout(
        10000,
        0,
        Decimal("14"),
        (rules.ProductLine("Shampoo", 2490, 2),),
        rules.Discount(amount_cents=1000),
        Decimal("25.5"),
    )
    assert (co.subtotal_cents, co.discount_cents, co.total_cents) == (14980, 1000, 13980)
    assert [(v.percent, v.gross_cents) for v in co.vat] == [(Decimal("14"), 9333), (Decimal("25.5"), 4647)]
    assert rules.checkout(500, 0, Decimal("14"), discount=rules.Discount(amount_cents=900)).total_cents == 0


def test_a_product_name_with_a_line_break_or_control_character_is_refused_and_markup_stays_text(
    pay_client, stripe_env, desk, frozen_now
):
    """A name is one line of her receipt: a line break in it would write a line of its own
    there ('Paid now: 0,00 €'), as a client's name may not; markup is shown as text."""
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    for name in ("Shampoo\nMaksettu nyt: 0,00 €", "Sham\rpoo", "Sham\tpoo", "Sham\x00poo", "Shampoo\x1b[2J"):
        status, answer = checkout(desk, booking, method="cash", lines=[{"name": name, "amount_cents": 2490}])
        assert status == 422, (name, answer)
        assert "lines.0.name" in answer["error"]["fields"], (name, answer)
    assert desk.get(f"/appointments/{booking['id']}")[1]["checkout"] is None
    name = "Öljy <b>ÄÅ</b> ✨"
    status, done = checkout(desk, booking, method="cash", lines=[{"name": name, "amount_cents": 990}], receipt=True)
    assert status == 200 and done["lines"][0]["name"] == name, done
    [receipt] = emails_to("maija@example.com", "Kuitti")
    assert "Öljy &lt;b&gt;ÄÅ&lt;/b&gt; ✨" in receipt and "<b>ÄÅ</b>" not in receipt.split("<html", 1)[-1]


def test_a_rate_the_sale_has_nothing_at_is_no_vat_line_on_her_receipt():
    # The visit given free (price 0,00 €) and a shampoo sold: only the products' rate.
    free_visit = rules.checkout(0, 0, Decimal("14"), (rules.ProductLine("Shampoo", 2490),), None, Decimal("25.5"))
    assert [(v.percent, v.gross_cents) for v in free_visit.vat] == [(Decimal("25.5"), 2490)]
    # All of it off: one line of nothing at the visit's rate, not one per rate.
    all_off = rules.checkout(
        4200, 0, Decimal("14"), (rules.ProductLine("Shampoo", 2490),), rules.Discount(percent=100), Decimal("25.5")
    )
    assert all_off.total_cents == 0
    assert [(v.percent, v.gross_cents) for v in all_off.vat] == [(Decimal("14"), 0)]
    # Nothing sold but the visit: its one line, as before.
    assert [v.gross_cents for v in rules.checkout(4200, 0, Decimal("14")).vat] == [4200]


def test_a_sale_without_a_vat_rate_states_no_vat():
    """A business outside Finland that set no rate (BusinessConfig.vat_percent None): no
    VAT line, not even one of nothing; a service's own rate is still stated for the visit."""
    shampoo = (rules.ProductLine("Shampoo", 2490),)
    assert rules.checkout(8000, 0, None, shampoo).vat == ()
    assert rules.checkout(0, 0, None).vat == ()
    visit_only = rules.checkout(8000, 0, Decimal("23"), shampoo, None, None)
    assert [(v.percent, v.gross_cents) for v in visit_only.vat] == [(Decimal("23"), 8000)]
