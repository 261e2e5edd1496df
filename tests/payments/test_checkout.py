"""Checkout at the desk (issue 20, 5): the rest of a visit paid by card on file (through
Stripe: localstripe), the salon's terminal, cash, a gift card or otherwise, the deposit
deducted, once per visit; an email receipt with the business's details and the VAT."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.admin.helpers import Desk
from tests.api.helpers import book, set_config
from tests.conftest import emails_to
from tests.payments.test_fees import AFTER_THE_VISIT, paid_booking
from tests.payments.test_pay_flow import DEPOSIT

BEFORE_THE_VISIT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


# A checkout's products and discount (GET /appointments/{id}'s `checkout`): none sold.
NOTHING_SOLD = {"lines": [], "discount_cents": 0, "discount_percent": None}


def checkout(desk, booking, **body):
    return desk.post(f"/appointments/{booking['id']}/checkout", body)


def test_the_rest_is_paid_at_the_desk_with_the_deposit_deducted_and_a_receipt(
    pay_client, stripe_env, desk, aws, frozen_now
):
    set_config(aws, payments__business_code="1234567-8")
    booking = paid_booking(pay_client, stripe_env)  # highlights, 159,00 €, a 47,70 € deposit paid
    frozen_now["now"] = AFTER_THE_VISIT
    # Her hair was long: the desk sets the final price (the booking said "from").
    status, done = checkout(desk, booking, method="cash", price_cents=17900, receipt=True)
    assert status == 200, done
    assert (done["total_cents"], done["deposit_cents"], done["paid_cents"]) == (17900, DEPOSIT, 17900 - DEPOSIT)
    # Prices include VAT: 25,5 % of 179,00 € is 36,37 € (half up), 142,63 € net.
    assert done["vat"] == [{"percent": "25.5", "net_cents": 14263, "vat_cents": 3637, "gross_cents": 17900}]
    assert done["method"] == "cash" and done["receipt_sent"] is True
    [receipt] = emails_to("maija@example.com", "Kuitti")
    for shown in (
        "179,00\u00a0€",
        "−47,70\u00a0€",
        "131,30\u00a0€ (käteinen)",
        "ALV 25,5 %: 36,37\u00a0€",
        "Y-tunnus 1234567-8",
    ):
        assert shown in receipt, shown
    # Once per visit: a second checkout is refused and sends nothing.
    status, again = checkout(desk, booking, method="card")
    assert status == 409 and again["error"]["code"] == "checked_out"
    assert len(emails_to("maija@example.com", "Kuitti")) == 1
    # On her card, with the rest of her money.
    client_id = desk.get(f"/appointments/{booking['id']}")[1]["client"]["id"]
    status, card = desk.get(f"/clients/{client_id}")
    assert status == 200, card
    assert [(m["kind"], m["amount_cents"]) for m in card["payments"]][-1] == ("checkout", 17900 - DEPOSIT)


def test_the_card_on_file_pays_the_rest_through_stripe(pay_client, stripe_env, desk, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    status, done = checkout(desk, booking, method="card_on_file")
    assert status == 200, done
    assert done["paid_cents"] == 15900 - DEPOSIT and done["receipt_sent"] is False
    # Charged at Stripe (off-session, to the card she saved when booking), recorded with its id.
    from chalicelib.store import payments
    from tests.payments.test_webhooks import intent

    record = payments.get_money(desk.business_id, booking["id"], "checkout")
    assert record is not None and record.method == "card_on_file" and record.intent
    charged = intent(record.intent)
    assert (charged["status"], charged["amount"], charged["metadata"]["kind"]) == (
        "succeeded",
        15900 - DEPOSIT,
        "checkout",
    )


def test_without_a_deposit_at_the_services_vat_and_only_once_the_visit_began(pay_client, aws, desk, frozen_now):
    set_config(aws, payments__vat_percent="14")
    status, booking = book(pay_client, "2026-11-25T12:00:00+02:00", service="womens-cut", staff="aino")
    assert status == 201, booking
    frozen_now["now"] = BEFORE_THE_VISIT
    status, early = checkout(desk, booking, method="gift_card")
    assert status == 409 and early["error"]["code"] == "visit_not_started"
    assert "payment" not in desk.get(f"/appointments/{booking['id']}")[1]  # no card saved: none offered
    frozen_now["now"] = AFTER_THE_VISIT
    status, bad = checkout(desk, booking, method="bitcoin")
    assert status == 422 and "method" in bad["error"]["fields"]
    status, card = checkout(desk, booking, method="card_on_file")
    assert status == 409 and card["error"]["code"] == "no_card_on_file"  # nothing saved when she booked
    status, done = checkout(desk, booking, method="gift_card")
    assert status == 200, done
    assert (done["deposit_cents"], done["paid_cents"]) == (0, 6900)
    assert done["vat"] == [{"percent": "14", "net_cents": 6053, "vat_cents": 847, "gross_cents": 6900}]


def moved_to_dublin(business, **payments):
    """The demo business as an Irish physiotherapist's: Dublin's time zone, English, an Irish
    phone, and no VAT rate in its file unless `payments` gives one."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store import businesses

    data = business.config.model_dump(mode="json")
    data.update(timezone="Europe/Dublin", locale="en", phone="+353 1 234 5678")
    data["payments"] = {**data["payments"], "vat_percent": None, **payments}
    businesses.save_config(parse_business_config(data, typed=True))
    businesses.clear_cache()


def test_a_business_outside_finland_without_a_vat_rate_prints_none_on_her_receipt(pay_client, aws, desk, frozen_now):
    """An Irish clinic's receipts once said "VAT 25.5%: €16.25 (net €63.75, gross €80.00)":
    Finland's rate, which the clinic never chose. Without a rate of its own, none is stated."""
    moved_to_dublin(aws)
    status, booking = book(
        pay_client, "2026-11-25T12:00:00+00:00", service="womens-cut", staff="aino", phone="087 123 4567"
    )
    assert status == 201, booking
    frozen_now["now"] = AFTER_THE_VISIT
    shampoo = [{"name": "Shampoo", "amount_cents": 1100}]
    status, done = checkout(desk, booking, method="card", price_cents=8000, lines=shampoo, receipt=True)
    assert status == 200 and done["total_cents"] == 9100, done
    assert done["vat"] == []
    [receipt] = emails_to("maija@example.com", "Receipt")
    assert "Paid now:" in receipt and "Shampoo" in receipt
    assert "VAT" not in receipt and "25.5" not in receipt and "net " not in receipt, receipt


def test_a_vat_rate_the_business_set_is_on_its_receipt_wherever_it_is(pay_client, aws, desk, frozen_now):
    moved_to_dublin(aws, vat_percent="23")
    status, booking = book(
        pay_client, "2026-11-25T12:00:00+00:00", service="womens-cut", staff="aino", phone="087 123 4567"
    )
    assert status == 201, booking
    frozen_now["now"] = AFTER_THE_VISIT
    status, done = checkout(desk, booking, method="cash", price_cents=8000, receipt=True)
    assert status == 200, done
    # 23 % of 80,00 € VAT included: 14,96 € (half up), 65,04 € net.
    assert done["vat"] == [{"percent": "23", "net_cents": 6504, "vat_cents": 1496, "gross_cents": 8000}]
    [receipt] = emails_to("maija@example.com", "Receipt")
    assert "VAT 23%" in receipt and "25.5" not in receipt


def test_she_arrived_early_and_is_checked_out_before_her_time(pay_client, desk, frozen_now):
    # The tester's visit: marked arrived, no "Kassa" until its start time.
    status, booking = book(pay_client, "2026-11-25T12:00:00+02:00", service="womens-cut", staff="aino")
    assert status == 201, booking
    frozen_now["now"] = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # 11.30, her visit at 12.00
    assert desk.post(f"/appointments/{booking['id']}/status", {"status": "arrived"})[0] == 200
    status, done = checkout(desk, booking, method="cash")
    assert status == 200 and done["paid_cents"] == 6900, done


def test_the_desk_is_told_whether_a_card_is_saved(pay_client, stripe_env, desk, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    status, appt = desk.get(f"/appointments/{booking['id']}")
    assert status == 200 and appt["payment"]["card_saved"] is True, appt


def visit_on_calendar(desk, booking, day="2026-11-25"):
    status, cal = desk.get(f"/calendar?date={day}")
    assert status == 200, cal
    [seen] = [a for s in cal["staff"] for a in s["appointments"] if a["id"] == booking["id"]]
    return seen, cal["token"]


def test_the_visit_says_it_was_checked_out_wherever_the_desk_reads_it(pay_client, stripe_env, desk, frozen_now):
    """After a reload, on another device, for another staff member: the appointment itself
    says it was checked out (how, what was paid at the desk, when), in its own GET and in
    the day's calendar with a "paid" marker; a dashboard asking "changed since?" hears of it;
    a second checkout is still refused and changes nothing."""
    booking = paid_booking(pay_client, stripe_env)  # 159,00 €, a 47,70 € deposit paid
    frozen_now["now"] = AFTER_THE_VISIT
    before, token = visit_on_calendar(desk, booking)
    assert before["checkout"] is None and before["markers"]["paid"] is False
    assert desk.get(f"/appointments/{booking['id']}")[1]["checkout"] is None

    status, done = checkout(desk, booking, method="card")
    assert status == 200, done
    paid = {"method": "card", "paid_cents": 15900 - DEPOSIT, "at": "2026-11-25T15:30:00+02:00", "total_cents": 15900}
    paid.update(NOTHING_SOLD)
    status, appt = desk.get(f"/appointments/{booking['id']}")
    assert status == 200 and appt["checkout"] == paid
    status, changes = desk.get(f"/calendar/changes?since={token}")
    assert status == 200 and changes["changed"] is True
    seen, _ = visit_on_calendar(desk, booking)
    assert seen["checkout"] == paid and seen["markers"]["paid"] is True

    status, again = checkout(desk, booking, method="cash")
    assert status == 409 and again["error"]["code"] == "checked_out"
    assert desk.get(f"/appointments/{booking['id']}")[1]["checkout"] == paid


def test_a_visit_checked_out_before_appointments_said_so_says_so_after_the_second_try(
    pay_client, aws, desk, frozen_now
):
    """Checked out before this release, a visit has its money record only: its card still
    offers checkout, and the 409 of that second try writes it onto the appointment."""
    from chalicelib.domain.payments import MoneyRecord
    from chalicelib.store import payments

    status, booking = book(pay_client, "2026-11-25T12:00:00+02:00", service="womens-cut", staff="aino")
    assert status == 201, booking
    frozen_now["now"] = AFTER_THE_VISIT
    old = MoneyRecord(aws.id, booking["id"], "-", "checkout", 6900, "succeeded", AFTER_THE_VISIT, method="cash")
    payments.record_money(old, AFTER_THE_VISIT)  # as checkout wrote it before
    assert desk.get(f"/appointments/{booking['id']}")[1]["checkout"] is None

    status, again = checkout(desk, booking, method="card")
    assert status == 409 and again["error"]["code"] == "checked_out"
    # What the visit came to: the booked price (none in the record), nothing sold with it.
    paid = {"method": "cash", "paid_cents": 6900, "at": "2026-11-25T15:30:00+02:00", "total_cents": 6900}
    paid.update(NOTHING_SOLD)
    assert desk.get(f"/appointments/{booking['id']}")[1]["checkout"] == paid
    seen, _ = visit_on_calendar(desk, booking)
    assert seen["markers"]["paid"] is True


def test_the_price_the_desk_set_is_what_the_visit_came_to_in_the_figures(pay_client, aws, desk, frozen_now):
    """A longer cut at 45,50 € where 42,00 € was booked (an outside walkthrough found the
    KPIs and her spend kept the booked price): the revenue of the month, of the last
    seven days and the stylist's, and her lifetime spend, count what the desk took."""
    from tests.history import at, run_job

    frozen_now["now"] = at("2026-11-23T10:07:00+02:00")
    status, walk_in = desk.post("/bookings", {"service": "mens-cut", "walk_in": True, "client": {"name": "Pekka"}})
    assert status == 201, walk_in
    assert desk.post(f"/appointments/{walk_in['id']}/status", {"status": "arrived"})[0] == 200
    assert desk.post(f"/appointments/{walk_in['id']}/status", {"status": "completed"})[0] == 200
    run_job("kpi_sync", frozen_now["now"] + timedelta(minutes=1))  # counted at the price booked
    assert desk.get("/kpis?period=2026-11")[1]["kpis"]["revenue_cents"]["value"] == 4200
    frozen_now["now"] += timedelta(minutes=2)
    status, done = checkout(desk, walk_in, method="cash", price_cents=4550)
    assert status == 200 and done["total_cents"] == 4550, done
    run_job("kpi_sync", frozen_now["now"] + timedelta(minutes=1))  # the checkout marked her again
    for period in ("2026-11", "last7"):
        _, kpis = desk.get(f"/kpis?period={period}")
        assert kpis["kpis"]["revenue_cents"]["value"] == 4550, (period, kpis["kpis"]["revenue_cents"])
    _, month = desk.get("/kpis?period=2026-11")
    assert [(s["staff"], s["revenue_cents"]) for s in month["staff"] if s["visits"]] == [("aino", 4550)]
    client_id = desk.get(f"/appointments/{walk_in['id']}")[1]["client"]["id"]
    _, stats = desk.get(f"/clients/{client_id}/stats")
    assert stats["lifetime_spend_cents"] == 4550, stats


def test_a_visit_paid_at_the_desk_is_not_marked_a_no_show_undone_moved_or_cancelled(
    pay_client, stripe_env, desk, frozen_now
):
    """Checked out by card on file, the visit took place: a cancellation would have
    refunded her deposit as well, a later no-show mark would have charged its fee on top
    of what she paid, an undo would have left a paid booking. Each is refused and charges,
    refunds and changes nothing; marking it completed still works."""
    from chalicelib.store import payments

    booking = paid_booking(pay_client, stripe_env)  # a no-show fee beyond the deposit in its terms
    frozen_now["now"] = AFTER_THE_VISIT
    assert checkout(desk, booking, method="card_on_file")[0] == 200
    path = f"/appointments/{booking['id']}"
    status, body = desk.post(f"{path}/cancel", {"by": "client"})
    assert status == 409 and body["error"]["code"] == "checked_out", body
    status, body = desk.post(f"{path}/reschedule", {"start": "2026-11-27T12:00:00+02:00"})
    assert status == 409 and body["error"]["code"] == "checked_out", body
    status, body = desk.post(f"{path}/status", {"status": "completed"})
    assert status == 200 and body["status"] == "completed", body
    for mark in ("no_show", "booked"):
        status, body = desk.post(f"{path}/status", {"status": mark})
        assert status == 409 and body["error"]["code"] == "invalid_mark", (mark, body)
        assert body["error"]["reason"] == "checked_out", mark
    assert payments.get_money(desk.business_id, booking["id"], "no_show") is None
    _, appt = desk.get(path)
    assert appt["status"] == "completed" and appt["payment"]["refunded_cents"] == 0, appt


def test_the_appointments_export_says_what_a_checked_out_visit_came_to(pay_client, aws, desk, frozen_now):
    """The accountant's sheet: the booked price, and once checked out what the desk took."""
    from tests.admin.test_csv_export import rows

    status, booking = book(pay_client, "2026-11-25T12:00:00+02:00", service="womens-cut", staff="aino")
    assert status == 201, booking
    status, later = book(pay_client, "2026-11-26T12:00:00+02:00", service="womens-cut", staff="aino")
    assert status == 201, later
    frozen_now["now"] = AFTER_THE_VISIT
    assert checkout(desk, booking, method="cash", price_cents=7450)[0] == 200
    status, body = desk.get("/export/appointments.csv?from=2026-11-01&to=2026-11-30")
    assert status == 200
    sheet = {r["id"]: r for r in rows(body)}
    paid, unpaid = sheet[booking["id"]], sheet[later["id"]]
    assert (paid["price_cents"], paid["checkout_total_cents"], paid["checkout_method"]) == ("6900", "7450", "cash")
    assert paid["checked_out_at"] == "2026-11-25T15:30:00+02:00"
    assert (unpaid["checkout_total_cents"], unpaid["checkout_method"], unpaid["checked_out_at"]) == ("", "", "")


def test_a_price_below_the_deposit_kept_is_refused_until_the_difference_is_refunded(
    pay_client, stripe_env, desk, frozen_now
):
    """Kirsi paid a 47,70 € deposit and the visit came to 30,00 €: the 17,70 € she paid
    above it must not vanish into the checkout. Refused, with the least price (the
    deposit kept), and nothing recorded; refunded the difference, the checkout at that
    price works and her receipt says the deposit kept."""
    booking = paid_booking(pay_client, stripe_env)  # highlights, 159,00 €, a 47,70 € deposit paid
    frozen_now["now"] = AFTER_THE_VISIT
    status, body = checkout(desk, booking, method="cash", price_cents=3000, receipt=True)
    assert status == 422, body
    assert body["error"]["fields"] == {
        "price_cents": f"greater than or equal to {DEPOSIT} (the deposit kept; refund the difference first)"
    }
    assert "refund the difference first" in body["error"]["message"]
    visit = desk.get(f"/appointments/{booking['id']}")[1]
    assert visit["checkout"] is None
    assert emails_to("maija@example.com", "Kuitti") == []
    client_id = visit["client"]["id"]
    assert "checkout" not in [m["kind"] for m in desk.get(f"/clients/{client_id}")[1]["payments"]]
    # The owner gives back what she paid above the price, then checks out at it.
    status, refund = desk.post(
        f"/appointments/{booking['id']}/refund", {"amount_cents": DEPOSIT - 3000, "reason": "short hair"}
    )
    assert status == 200, refund
    status, done = checkout(desk, booking, method="cash", price_cents=3000, receipt=True)
    assert status == 200, done
    assert (done["total_cents"], done["deposit_cents"], done["paid_cents"]) == (3000, 3000, 0)
    [receipt] = emails_to("maija@example.com", "Kuitti")
    for shown in (
        "Hinta: 30,00\u00a0€",
        "Ennakkomaksu (maksettu varatessa): −30,00\u00a0€",
        "Maksettu nyt: 0,00\u00a0€",
    ):
        assert shown in receipt, shown  # the deposit kept (47,70 € less the 17,70 € refunded)
    assert desk.get(f"/appointments/{booking['id']}")[1]["checkout"]["paid_cents"] == 0


def test_a_price_at_the_deposit_kept_is_checked_out(pay_client, stripe_env, desk, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    status, done = checkout(desk, booking, method="cash", price_cents=DEPOSIT)
    assert status == 200, done
    assert (done["total_cents"], done["deposit_cents"], done["paid_cents"]) == (DEPOSIT, DEPOSIT, 0)


def charged_at_checkout(business_id, booking):
    """What Stripe charged her card for the visit's checkout, in cents (None: nothing)."""
    from chalicelib.store import payments
    from tests.payments.test_webhooks import intent

    record = payments.get_money(business_id, booking["id"], "checkout")
    return intent(record.intent)["amount"] if record is not None and record.intent else None


def test_staff_charge_the_card_on_file_up_to_the_visits_price_and_no_more(pay_client, stripe_env, aws, frozen_now):
    """Charging by hand is the owner's (`money`): staff may not charge fees, nor charge her
    saved card off-session at a price they choose. Up to the visit's price — the top of
    the highlights' range by hair length, 199,00 € — is the desk's; above it, the owner's."""
    booking = paid_booking(pay_client, stripe_env)  # highlights 159,00–199,00 €, 47,70 € deposit, card saved
    frozen_now["now"] = AFTER_THE_VISIT
    staff = Desk(pay_client, aws.id, role="staff", staff_id="aino")
    status, body = checkout(staff, booking, method="card_on_file", price_cents=1_000_000)
    assert status == 403, body
    assert body["error"]["code"] == "owner_only" and body["error"]["reason"] == "card_above_price", body
    assert body["error"]["limit_cents"] == 19900
    assert charged_at_checkout(aws.id, booking) is None  # her card was not touched
    assert desk_strings_say("err_owner_only_card_above_price")
    # Just above the range: still the owner's.
    assert checkout(staff, booking, method="card_on_file", price_cents=19901)[0] == 403
    # The top of the range is the desk's.
    status, done = checkout(staff, booking, method="card_on_file", price_cents=19900)
    assert status == 200, done
    assert charged_at_checkout(aws.id, booking) == 19900 - DEPOSIT


def test_the_owner_charges_the_card_on_file_above_the_price_and_staff_take_cash(
    pay_client, stripe_env, aws, desk, frozen_now
):
    """Above the visit's price her saved card is the owner's to charge; cash or the salon's
    own terminal move no stored card, so staff record them at the price the desk sets."""
    booking = paid_booking(pay_client, stripe_env)
    status, cut = book(pay_client, "2026-11-25T12:00:00+02:00", service="mens-cut", staff="mikko")
    assert status == 201, cut
    frozen_now["now"] = AFTER_THE_VISIT
    status, done = checkout(desk, booking, method="card_on_file", price_cents=25000)
    assert status == 200, done
    assert charged_at_checkout(aws.id, booking) == 25000 - DEPOSIT
    staff = Desk(pay_client, aws.id, role="staff", staff_id="aino")
    status, done = checkout(staff, cut, method="cash", price_cents=25000)
    assert status == 200 and done["paid_cents"] == 25000, done  # a 42,00 € cut, 250,00 € in cash


def desk_strings_say(key):
    """The dashboard has words for it in each language (Finnish first)."""
    import json
    from pathlib import Path

    catalogues = Path(__file__).parents[2] / "chalicelib" / "strings"
    return all(
        json.loads((catalogues / f"{lang}.json").read_text())["dashboard"].get(key) for lang in ("fi", "sv", "en")
    )
