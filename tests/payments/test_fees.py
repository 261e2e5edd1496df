"""The card on file at work: a no-show fee charged off-session once, an open fee the
owner waives, a deposit refunded inside the free window, the owner's partial refund."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.admin.helpers import Desk
from tests.api.helpers import book, post, token_of
from tests.conftest import emails_to
from tests.payments.conftest import set_up_card
from tests.payments.test_pay_flow import DEPOSIT, book_highlights, finish, status_of

PRICE = 15900
AFTER_THE_VISIT = datetime(2026, 11, 25, 13, 30, tzinfo=UTC)  # 15:30 in Helsinki
# Each fee kind's current round (`payment.fee_keys`) before any undo gave a fee back.
FIRST_ROUND = {"no_show": "no_show", "late_cancel": "late_cancel"}


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


def paid_booking(client, ls, card="4242424242424242"):
    _, held = book_highlights(client)
    set_up_card(ls, held["payment"]["client_secret"], card)
    _, step = finish(client, held)
    if step["next"] == "authenticate":
        from tests.payments.conftest import authenticate_payment

        authenticate_payment(ls, step["client_secret"])
        finish(client, held)
    return held


def book_colour_paid_by(client, aws, kind, **kw):
    """The colour (129,00 €) paid by `kind` (card_on_file, prepay), booked for Wed 12:00
    (`kw`: her details, as booking_body takes them)."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store import businesses
    from tests.api.helpers import book

    data = aws.config.model_dump(mode="json")
    for s in data["services"]:
        if s["id"] == "colour":
            s["payment"] = {"kind": kind}
    businesses.save_config(parse_business_config(data))
    businesses.clear_cache()
    return book(client, "2026-11-25T12:00:00+02:00", service="colour", staff="aino", accepted_payment_terms=1, **kw)


def cancelled_late_with_card_on_file(client, ls, aws, desk, frozen_now):
    """The colour booked with her card on file (no deposit), cancelled for her at the desk
    at 8:00 on the day (`by` client: past the free deadline): its late fee is chargeable."""
    from tests.payments.conftest import set_up_card
    from tests.payments.test_pay_flow import finish

    status, held = book_colour_paid_by(client, aws, "card_on_file")
    assert status == 201, held
    set_up_card(ls, held["payment"]["client_secret"], "4242424242424242")
    assert finish(client, held)[1]["next"] == "done"
    frozen_now["now"] = datetime(2026, 11, 25, 6, tzinfo=UTC)
    assert desk.post(f"/appointments/{held['id']}/cancel", {"by": "client", "notify": False})[0] == 200
    return held


def money_of(desk, booking):
    status, view = desk.get(f"/appointments/{booking['id']}")
    assert status == 200, view
    return view["payment"]


def refunds_to_make(desk) -> list[tuple[str, int, str]]:
    """The owner's list of refunds to make (GET /refunds/due): visit, amount, mark."""
    status, listed = desk.get("/refunds/due")
    assert status == 200, listed
    return [(r["appointment_id"], r["held_cents"], r["mark"]) for r in listed["refunds"]]


def test_a_no_show_is_charged_once_to_the_card_on_file(pay_client, stripe_env, desk, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    # What her no-show would charge, before it is marked: the desk's "No-show" asks first, naming it.
    assert money_of(desk, booking)["no_show_fee_cents"] == PRICE - DEPOSIT
    status, marked = desk.post(f"/appointments/{booking['id']}/status", {"status": "no_show"})
    assert status == 200 and marked["payment"]["fees"] == {"no_show": "succeeded"}  # the desk's card shows it
    assert money_of(desk, booking) == {
        "mark": "paid",
        "kind": "deposit",
        "paid_cents": PRICE,  # the deposit and the rest of the 100 % no-show fee
        "refunded_cents": 0,
        "refund_pending_cents": 0,
        "refund_failed_cents": 0,
        "fees_kept": [],
        "fees": {"no_show": "succeeded"},
        "fee_cents": {"no_show": PRICE - DEPOSIT},
        "chargeable_cents": {},  # the 50 % late fee is less than the 159,00 € kept
        "no_show_fee_cents": 0,  # charged: marked again, nothing more
        "card_saved": True,
        "fee_keys": FIRST_ROUND,
        "pay_urls": {},
    }
    # Marked again, or charged by hand: never a second charge (an undone mark gives it
    # back: tests/payments/test_no_show_undone.py).
    assert desk.post(f"/appointments/{booking['id']}/status", {"status": "no_show"})[0] == 200
    status, fee = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "no_show"})
    assert status == 200 and fee["amount_cents"] == PRICE - DEPOSIT and fee["state"] == "succeeded"
    assert money_of(desk, booking)["paid_cents"] == PRICE
    # A refund goes back on the deposit's payment: a fee collected is not refundable there.
    status, body = desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": DEPOSIT + 1, "reason": "x"})
    assert status == 422 and body["error"]["fields"] == {"amount_cents": f"1..{DEPOSIT}"}
    # The owner's key figures count it (issue 20, 9): the deposit, the fee, the no-show.
    from datetime import timedelta

    from tests.history import run_job

    run_job("kpi_sync", frozen_now["now"] + timedelta(minutes=1))  # after the sync's settling time
    status, kpis = desk.get("/kpis?period=2026-11")
    assert status == 200, kpis
    f = {k: v["value"] for k, v in kpis["kpis"].items()}
    assert (f["deposits_taken"], f["deposits_taken_cents"]) == (1, DEPOSIT)
    assert (f["fees_charged_cents"], f["fees_collected_cents"], f["refunds_cents"]) == (PRICE - DEPOSIT,) * 2 + (0,)
    assert (f["no_show_rate_protected"], f["no_show_rate_unprotected"]) == (1.0, None)


def test_a_fee_the_bank_wants_authenticated_is_open_until_waived(pay_client, stripe_env, desk, frozen_now):
    booking = paid_booking(pay_client, stripe_env, card="4000002760003184")
    frozen_now["now"] = AFTER_THE_VISIT
    # Not marked no-show, not cancelled: no fee's event happened, none is offered.
    assert money_of(desk, booking)["chargeable_cents"] == {}
    desk.post(f"/appointments/{booking['id']}/status", {"status": "no_show"})
    owners = money_of(desk, booking)
    assert owners["mark"] == "fee_owed" and owners["fee_cents"] == {"no_show": PRICE - DEPOSIT}
    status, fee = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "no_show"})
    assert fee["state"] == "open" and fee["pay_url"].startswith("https://book.example.test/pay/")
    # The owner's card has the pay link to pass on; a staff member's sees the fee, not the link.
    assert owners["pay_urls"] == {"no_show": fee["pay_url"]}
    staff = money_of(Desk(pay_client, desk.business_id, role="staff", staff_id="aino"), booking)
    assert staff["fee_cents"] == {"no_show": PRICE - DEPOSIT} and "pay_urls" not in staff
    asked = emails_to("maija@example.com", "Vahvista maksu")  # her pay link, once (she books in Finnish)
    assert len(asked) == 1 and fee["pay_url"] in asked[0] and "111,30\u00a0€" in asked[0]
    status, body = desk.post(f"/appointments/{booking['id']}/fees/no_show/waive", {})
    assert status == 422  # a waiver needs its reason
    status, waived = desk.post(f"/appointments/{booking['id']}/fees/no_show/waive", {"reason": "flu, doctor's note"})
    assert status == 200 and waived["state"] == "waived" and waived["note"] == "flu, doctor's note"
    assert money_of(desk, booking)["mark"] == "paid"
    status, audit = desk.get("/audit?month=2026-11")
    assert "waive_fee" in {e["action"] for e in audit["entries"]}


def test_cancelled_inside_the_free_window_the_deposit_goes_back(pay_client, stripe_env):
    booking = paid_booking(pay_client, stripe_env)
    status, view = post(pay_client, f"/api/v1/bookings/{token_of(booking['manage_url'])}/cancel", {})
    assert status == 200 and view["status"] == "cancelled"
    assert view["payment"]["refunded_cents"] == DEPOSIT
    assert status_of(pay_client, booking)["payment"]["refunded_cents"] == DEPOSIT


def test_a_refund_of_a_booking_that_paid_nothing_says_nothing_was_paid(pay_client, stripe_env, desk):
    status, booked = book(pay_client, "2026-11-25T12:00:00+02:00")  # a cut: nothing paid ahead
    assert status == 201, booked
    for body in ({"reason": "x"}, {"amount_cents": 100, "reason": "x"}):
        status, answer = desk.post(f"/appointments/{booked['id']}/refund", body)
        assert (status, answer["error"]["code"]) == (409, "nothing_to_refund"), answer


def test_the_owner_refunds_part_of_a_deposit(pay_client, stripe_env, desk):
    booking = paid_booking(pay_client, stripe_env)
    status, body = desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": DEPOSIT + 1, "reason": "x"})
    assert status == 422
    status, refund = desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": 1000, "reason": "late start"})
    assert status == 200 and refund["amount_cents"] == 1000
    assert money_of(desk, booking)["refunded_cents"] == 1000


def test_charges_and_refunds_are_on_her_card_and_in_her_export(pay_client, stripe_env, desk, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": 770, "reason": "colour not as agreed"})
    _, visit = desk.get(f"/appointments/{booking['id']}")
    status, card = desk.get(f"/clients/{visit['client']['id']}")
    assert status == 200
    assert [(m["kind"], m["amount_cents"], m["state"]) for m in card["payments"]] == [
        ("deposit", DEPOSIT, "succeeded"),
        ("refund-n0-770", 770, "succeeded"),
    ]
    status, export = desk.get(f"/clients/{card['client']['id']}/export")
    assert status == 200
    assert sorted(m["amount_cents"] for m in export["payments"]) == [770, DEPOSIT]


def test_a_card_on_file_charges_nothing_until_a_late_cancellation(pay_client, stripe_env, desk, aws, frozen_now):
    """A service with a card on file: the card is saved at booking, the booking confirmed
    with nothing charged; once she cancels late (she phoned two hours before), the owner
    charges the 50 % late-cancellation fee off-session — not before: a fee is charged
    for its event only."""
    status, held = book_colour_paid_by(pay_client, aws, "card_on_file")
    assert status == 201 and held["status"] == "pending_payment" and held["payment"]["amount_cents"] == 0
    set_up_card(stripe_env, held["payment"]["client_secret"], "4242424242424242")
    assert finish(pay_client, held)[1]["next"] == "done"
    assert money_of(desk, held) == {
        "mark": "card_on_file",
        "kind": "card_on_file",
        "paid_cents": 0,
        "refunded_cents": 0,
        "refund_pending_cents": 0,
        "refund_failed_cents": 0,
        "fees_kept": [],
        "fees": {},
        "fee_cents": {},
        "chargeable_cents": {},  # booked: neither cancelled late nor a no-show, nothing to charge
        "no_show_fee_cents": 12900,  # what her no-show would charge (the 100 % fee of 129,00 €: asked first)
        "card_saved": True,  # the checkout may charge it too
        "fee_keys": FIRST_ROUND,
        "pay_urls": {},
    }
    for kind, reason in (("late_cancel", "not_cancelled"), ("no_show", "not_no_show")):
        status, body = desk.post(f"/appointments/{held['id']}/fees", {"kind": kind})
        assert status == 409 and (body["error"]["code"], body["error"]["reason"]) == ("no_fee", reason), body
    assert fee_intents(held) == []
    frozen_now["now"] = datetime(2026, 11, 25, 8, tzinfo=UTC)  # two hours before: past the free deadline
    status, _ = desk.post(f"/appointments/{held['id']}/cancel", {"by": "client", "notify": False})
    assert status == 200
    assert money_of(desk, held)["chargeable_cents"] == {"late_cancel": 6450}  # what POST /fees would charge now
    status, fee = desk.post(f"/appointments/{held['id']}/fees", {"kind": "late_cancel"})
    assert status == 200 and (fee["amount_cents"], fee["state"]) == (6450, "succeeded")  # 50 % of 129,00 €
    assert desk.post(f"/appointments/{held['id']}/fees", {"kind": "late_cancel"})[1]["amount_cents"] == 6450  # once
    assert money_of(desk, held)["paid_cents"] == 6450
    assert money_of(desk, held)["chargeable_cents"] == {}
    assert desk.post(f"/appointments/{held['id']}/fees", {"kind": "no_show"})[0] == 409  # cancelled: no no-show
    assert [(i["metadata"]["kind"], i["amount"]) for i in fee_intents(held)] == [("late_cancel", 6450)]


def test_the_salons_own_cancellation_has_no_late_fee_for_her(pay_client, stripe_env, desk, aws, frozen_now):
    """The stylist is ill and the salon cancels, late, a visit whose card is on file: no
    fee is offered on the owner's card (she neither cancelled nor failed to come), and
    none can be charged."""
    status, held = book_colour_paid_by(pay_client, aws, "card_on_file")
    assert status == 201
    set_up_card(stripe_env, held["payment"]["client_secret"], "4242424242424242")
    assert finish(pay_client, held)[1]["next"] == "done"
    frozen_now["now"] = datetime(2026, 11, 25, 8, tzinfo=UTC)  # inside the late window
    status, _ = desk.post(f"/appointments/{held['id']}/cancel", {"by": "salon", "notify": False})
    assert status == 200
    assert money_of(desk, held)["chargeable_cents"] == {}  # no late_cancel, and no no-show either
    status, body = desk.post(f"/appointments/{held['id']}/fees", {"kind": "late_cancel"})
    assert status == 409 and body["error"]["code"] == "salon_cancelled", body
    assert body["error"]["reason"] == "salon_cancelled"
    status, body = desk.post(f"/appointments/{held['id']}/fees", {"kind": "no_show"})
    assert status == 409 and (body["error"]["code"], body["error"]["reason"]) == ("no_fee", "not_no_show"), body
    assert money_of(desk, held)["paid_cents"] == 0
    assert fee_intents(held) == []


def fee_intents(booking):
    """The fees' PaymentIntents Stripe (localstripe) holds for the booking."""
    import stripe

    from chalicelib.settings import get_settings

    s = get_settings()
    sdk = stripe.StripeClient(s.stripe_secret_key or "", base_addresses={"api": s.stripe_api_base})
    # Every page: the session's Stripe holds more than one page of intents by now.
    found = [i.to_dict() for i in sdk.v1.payment_intents.list({"limit": 100}).auto_paging_iter()]
    return [
        i
        for i in found
        if i["metadata"].get("booking_id") == booking["id"]
        and i["metadata"].get("kind", "").split(".")[0] in ("late_cancel", "no_show")  # each round (fee_key)
    ]


def calendar_money(desk, booking):
    """The visit's payment as GET /calendar shows it (the owner's dashboard reads it)."""
    status, cal = desk.get("/calendar?date=2026-11-25&view=day")
    assert status == 200, cal
    [a] = [a for member in cal["staff"] for a in member["appointments"] if a["id"] == booking["id"]]
    return a["payment"]


def test_cancelled_in_time_by_her_link_no_fee_can_be_charged(pay_client, stripe_env, desk, frozen_now):
    """Maija cancelled two days before by her manage link, in time: her deposit went back
    and neither fee is hers to pay — not offered, and refused if asked for."""
    booking = paid_booking(pay_client, stripe_env)
    status, view = post(pay_client, f"/api/v1/bookings/{token_of(booking['manage_url'])}/cancel", {})
    assert status == 200 and view["payment"]["refunded_cents"] == DEPOSIT
    assert money_of(desk, booking)["chargeable_cents"] == {}
    assert calendar_money(desk, booking)["chargeable_cents"] == {}
    frozen_now["now"] = AFTER_THE_VISIT
    for kind, reason in (("late_cancel", "cancelled_in_time"), ("no_show", "not_no_show")):
        status, body = desk.post(f"/appointments/{booking['id']}/fees", {"kind": kind})
        assert status == 409 and (body["error"]["code"], body["error"]["reason"]) == ("no_fee", reason), body
    owners = money_of(desk, booking)
    assert (owners["paid_cents"], owners["fees"], owners["chargeable_cents"]) == (DEPOSIT, {}, {})
    assert fee_intents(booking) == []


def test_cancelled_late_for_her_at_the_desk_the_late_fee_is_charged_once(pay_client, stripe_env, desk, frozen_now):
    """She phoned on the morning of the visit and the desk cancelled it for her (`by`
    client): a late cancellation of hers. Her deposit is kept, and the rest of the 50 %
    late fee is chargeable, once; a no-show fee is not."""
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = datetime(2026, 11, 25, 6, tzinfo=UTC)  # 8:00 on the day: past the free deadline
    status, view = desk.post(f"/appointments/{booking['id']}/cancel", {"by": "client", "notify": False})
    assert status == 200
    # The answer itself carries what the desk's status line says (dashboard cardwords.js
    # cancelledText): the deposit kept, the late fee chargeable.
    paid = view["payment"]
    assert (paid["kind"], paid["paid_cents"], paid["refunded_cents"], paid["refund_pending_cents"]) == (
        "deposit",
        DEPOSIT,
        0,
        0,
    )
    assert paid["chargeable_cents"] == {"late_cancel": 7950 - DEPOSIT}
    assert money_of(desk, booking)["chargeable_cents"] == {"late_cancel": 7950 - DEPOSIT}
    assert calendar_money(desk, booking)["chargeable_cents"] == {"late_cancel": 7950 - DEPOSIT}
    status, body = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "no_show"})
    assert status == 409 and body["error"]["reason"] == "not_no_show", body
    status, fee = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "late_cancel"})
    assert status == 200 and (fee["amount_cents"], fee["state"]) == (7950 - DEPOSIT, "succeeded")
    assert (
        desk.post(f"/appointments/{booking['id']}/fees", {"kind": "late_cancel"})[1]["amount_cents"] == 7950 - DEPOSIT
    )
    owners = money_of(desk, booking)
    assert (owners["paid_cents"], owners["chargeable_cents"]) == (7950, {})
    assert [(i["metadata"]["kind"], i["amount"]) for i in fee_intents(booking)] == [("late_cancel", 7950 - DEPOSIT)]


def test_she_pays_an_open_fee_through_her_link(pay_client, stripe_env, desk, frozen_now):
    import re

    from tests.api.test_pages import page
    from tests.payments.conftest import authenticate_payment
    from tests.payments.test_webhooks import deliver, event, intent

    booking = paid_booking(pay_client, stripe_env, card="4000002760003184")
    frozen_now["now"] = AFTER_THE_VISIT
    _, fee = desk.post(f"/appointments/{booking['id']}/status", {"status": "no_show"})
    _, fee = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "no_show"})
    status, html = page(pay_client, fee["pay_url"].removeprefix("https://book.example.test") + "&lang=en")
    assert status == 200 and "confirm the fee of €111.30" in html
    found = re.search(r'data-secret="(pi_[^"]+)"', html)
    assert found, "the fee's pay page carries no client secret"
    secret = found.group(1)
    assert authenticate_payment(stripe_env, secret).json()["status"] == "succeeded"  # confirmCardPayment
    hers = intent(secret.split("_secret_")[0])
    paid = event("evt_fee_paid", "payment_intent.succeeded", hers)
    # Another PaymentIntent naming the fee, or hers for a cent: the fee stays open.
    for n, obj in enumerate([{**hers, "id": "pi_someone_elses"}, {**hers, "amount": 1}]):
        not_hers = event(f"evt_not_hers_{n}", "payment_intent.succeeded", obj)
        assert deliver(pay_client, not_hers)[0] == 200
        assert money_of(desk, booking)["fees"] == {"no_show": "open"}
    assert deliver(pay_client, paid)[1]["applied"] is True
    assert money_of(desk, booking)["fees"] == {"no_show": "succeeded"}
    assert money_of(desk, booking)["paid_cents"] == PRICE
    assert deliver(pay_client, paid)[1]["applied"] is False  # once
    _, html = page(pay_client, fee["pay_url"].removeprefix("https://book.example.test") + "&lang=en")
    assert "There is nothing to pay on this link any more." in html


def test_the_calendar_marks_held_and_paid_bookings(pay_client, stripe_env, desk):
    from tests.api.helpers import book

    paid = paid_booking(pay_client, stripe_env)
    status, held = book(
        pay_client, "2026-11-26T12:00:00+02:00", service="highlights", staff="aino", accepted_payment_terms=1
    )
    assert status == 201, held
    status, cal = desk.get("/calendar?date=2026-11-25&view=week")
    assert status == 200, cal
    marks = {
        a["id"]: (a["status"], a["payment"]["mark"], a["markers"]["deposit"])
        for member in cal["staff"]
        for a in member["appointments"]
    }
    assert marks[paid["id"]] == ("booked", "paid", True)
    assert marks[held["id"]] == ("pending_payment", "held", False)


def test_the_desk_is_told_what_her_cancelling_now_would_do_with_her_money(pay_client, stripe_env, desk, frozen_now):
    """A walk: the desk's "she cancelled" said the deposit kept and the fee only after the
    owner confirmed. The booked visit's payment carries it first: in time all comes back;
    late the deposit is kept and the rest of the 50 % fee may be charged."""
    booking = paid_booking(pay_client, stripe_env)
    in_time = {"kind": "deposit", "paid_cents": DEPOSIT, "back_cents": DEPOSIT, "earlier_cents": 0, "fee_cents": 0}
    assert money_of(desk, booking)["if_client_cancels"] == in_time
    frozen_now["now"] = datetime(2026, 11, 25, 6, tzinfo=UTC)  # 8:00 on the day: past the free deadline
    late = {**in_time, "back_cents": 0, "fee_cents": 7950 - DEPOSIT}
    assert money_of(desk, booking)["if_client_cancels"] == late
    assert calendar_money(desk, booking)["if_client_cancels"] == late
    status, view = desk.post(f"/appointments/{booking['id']}/cancel", {"by": "client", "notify": False})
    assert status == 200 and "if_client_cancels" not in view["payment"]  # cancelled: what it did
    assert view["payment"]["chargeable_cents"] == {"late_cancel": late["fee_cents"]}  # as said before


def test_the_owners_refund_after_a_late_cancellation_is_not_charged_back_as_a_bigger_fee(
    pay_client, stripe_env, desk, frozen_now
):
    """A walk: her late cancellation's message named a 31,80 € fee; the owner gave 20 € of
    the kept deposit back, and the fee then offered and charged was 51,80 € (it counts
    what the salon keeps). Her refund is goodwill: no fee is offered or charged after it,
    as the desk's card already showed none."""
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = datetime(2026, 11, 25, 6, tzinfo=UTC)  # 8:00 on the day: past the free deadline
    assert desk.post(f"/appointments/{booking['id']}/cancel", {"by": "client", "notify": False})[0] == 200
    assert money_of(desk, booking)["chargeable_cents"] == {"late_cancel": 7950 - DEPOSIT}
    status, refund = desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": 2000, "reason": "goodwill"})
    assert status == 200 and refund["amount_cents"] == 2000, refund
    assert money_of(desk, booking)["chargeable_cents"] == {}
    assert calendar_money(desk, booking)["chargeable_cents"] == {}
    status, body = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "late_cancel"})
    assert status == 409 and (body["error"]["code"], body["error"]["reason"]) == ("no_fee", "deposit_given_back")
    assert fee_intents(booking) == []


def _late_paid_booking(client, ls):
    # Booked Mon 10:00 for 13:00 the same day: free to cancel until 10:15, as the pages say.
    from tests.api.helpers import book

    _, held = book(client, "2026-11-23T13:00:00+02:00", service="highlights", staff="aino", accepted_payment_terms=1)
    set_up_card(ls, held["payment"]["client_secret"], "4242424242424242")
    assert finish(client, held)[1]["next"] == "done"
    return held


def test_cancelled_late_at_the_desk_giving_all_back_has_no_late_fee(pay_client, stripe_env, desk, frozen_now):
    """She phoned on the morning of the visit and the desk cancelled it for her giving her
    deposit back (`refund: true`): the salon let the cancellation's cost go. Her email and
    her page name no fee, the owner is offered none, and asked for, it is refused."""
    from tests.api.test_pages import page
    from tests.conftest import drain_outbox

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = datetime(2026, 11, 25, 6, tzinfo=UTC)  # 8:00 on the day: past the free deadline
    status, body = desk.post(f"/appointments/{booking['id']}/cancel", {"by": "client", "refund": True})
    assert status == 200, body
    drain_outbox()
    [mail] = emails_to("maija@example.com", "peruttu")
    assert "47,70" in mail and "veloittaa" not in mail, mail
    assert money_of(desk, booking)["chargeable_cents"] == {}
    assert calendar_money(desk, booking)["chargeable_cents"] == {}
    _, html = page(pay_client, f"/m/{token_of(booking['manage_url'])}?lang=en")
    assert "€47.70" in html and "charge" not in html, html
    status, body = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "late_cancel"})
    assert status == 409 and (body["error"]["code"], body["error"]["reason"]) == ("no_fee", "refunded_on_cancel")
    assert fee_intents(booking) == []


def test_a_late_booking_cancelled_within_its_grace_gets_the_deposit_back(pay_client, stripe_env, frozen_now):
    from datetime import timedelta

    held = _late_paid_booking(pay_client, stripe_env)
    frozen_now["now"] += timedelta(minutes=14)
    status, view = post(pay_client, f"/api/v1/bookings/{token_of(held['manage_url'])}/cancel", {})
    assert status == 200 and view["status"] == "cancelled"
    assert view["payment"]["refunded_cents"] == DEPOSIT


def test_a_late_booking_cancelled_after_its_grace_keeps_the_deposit(pay_client, stripe_env, desk, frozen_now):
    from datetime import timedelta

    held = _late_paid_booking(pay_client, stripe_env)
    frozen_now["now"] += timedelta(minutes=16)
    assert post(pay_client, f"/api/v1/bookings/{token_of(held['manage_url'])}/cancel", {})[0] == 409  # by phone only
    status, _ = desk.post(f"/appointments/{held['id']}/cancel", {"notify": False})
    assert status == 200
    assert money_of(desk, held)["refunded_cents"] == 0


def test_a_prepaid_visit_cancelled_late_keeps_only_the_late_fee(pay_client, stripe_env, desk, aws, frozen_now):
    """The colour (129,00 €) paid in full when booking; cancelled at the desk after the free
    deadline: the 50 % late-cancellation fee is kept and the rest goes back by itself, as
    her terms said (a deposit stays kept: the test above)."""
    from datetime import timedelta

    from tests.api.test_pages import page

    status, held = book_colour_paid_by(pay_client, aws, "prepay")
    assert status == 201 and held["payment"]["amount_cents"] == 12900
    _, html = page(pay_client, held["payment"]["pay_url"].removeprefix("https://book.example.test") + "?lang=en")
    assert "If you cancel later, €64.50 of the €129.00 you paid is kept (50% of the booked price" in html
    set_up_card(stripe_env, held["payment"]["client_secret"], "4242424242424242")
    assert finish(pay_client, held)[1]["next"] == "done"
    frozen_now["now"] = datetime(2026, 11, 25, 8, tzinfo=UTC)  # two hours before: past the free deadline
    status, _ = desk.post(f"/appointments/{held['id']}/cancel", {"notify": False})
    assert status == 200
    assert money_of(desk, held)["refunded_cents"] == 6450
    frozen_now["now"] += timedelta(minutes=1)
    assert desk.post(f"/appointments/{held['id']}/cancel", {"notify": False})[0] == 200  # again: nothing more back
    assert money_of(desk, held)["refunded_cents"] == 6450


def test_a_kept_deposit_stays_kept_when_her_pay_page_is_called_again(pay_client, stripe_env, desk, frozen_now):
    """Paid in time and cancelled late, the deposit is kept: calling the pay page's step
    again (her manage link opens it) is not a payment that came after its hold ran out,
    and gives nothing back."""
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = datetime(2026, 11, 25, 6, tzinfo=UTC)  # 8:00 on the day: past the free deadline
    status, view = desk.post(f"/appointments/{booking['id']}/cancel", {"reason": "Asiakas soitti"})
    assert status == 200 and view["payment"]["refunded_cents"] == 0
    status, step = finish(pay_client, booking)
    assert status == 200 and step["next"] != "refunded", step
    assert money_of(desk, booking)["refunded_cents"] == 0
    assert money_of(desk, booking)["mark"] == "paid"


def test_payment_terms_changed_in_the_settings_raise_their_version(pay_client, stripe_env, desk, frozen_now):
    """The owner raises the late-cancellation fee and the highlights' deposit in the
    settings, not knowing about versions: the save raises `payments.version` by one, so
    Maija, who booked before, keeps the terms she accepted (her late fee is 50 %), and
    Liisa, booking after, accepts the new ones (50 % deposit, 100 % late fee). A save
    that changes nothing about payments leaves the version; one that does raises it again."""
    from tests.api.helpers import book, get

    def version():
        return get(pay_client, "/api/v1/businesses/demo")[1]["payments"]["version"]

    before = paid_booking(pay_client, stripe_env)
    config = desk.get("/business")[1]["config"]
    config["payments"]["terms"]["late_cancel_fee_percent"] = 100
    [highlights] = [s for s in config["services"] if s["id"] == "highlights"]
    highlights["payment"] = {"kind": "deposit", "deposit_cents": None, "deposit_percent": 50}
    status, saved = desk.put("/business", {"config": config})
    assert status == 200, saved
    assert saved["config"]["payments"]["version"] == 2 and version() == 2

    later = "2026-11-25T16:00:00+02:00"
    status, body = book(pay_client, later, service="highlights", staff="aino", accepted_payment_terms=1)
    assert status == 422 and body["error"]["code"] == "payment_terms_not_accepted", body
    status, after = book(pay_client, later, service="highlights", staff="aino", accepted_payment_terms=2)
    assert status == 201 and after["payment"]["amount_cents"] == 7950, after  # 50 % of 159,00 €
    set_up_card(stripe_env, after["payment"]["client_secret"], "4242424242424242")
    assert finish(pay_client, after)[1]["next"] == "done"

    services = desk.get("/settings")[1]["sections"]["services"]
    services[0] = {**services[0], "price_cents": 7500}  # the women's cut: no payment terms
    assert desk.put("/settings/services", services)[0] == 200
    assert version() == 2
    [highlights] = [s for s in services if s["id"] == "highlights"]
    highlights["payment"] = {"kind": "prepay", "deposit_cents": None, "deposit_percent": None}
    status, body = desk.put("/settings/services", services)
    assert status == 200, body
    assert version() == 3

    frozen_now["now"] = datetime(2026, 11, 25, 6, tzinfo=UTC)  # 8:00 on the day: both cancelled late
    for booking in (before, after):
        assert desk.post(f"/appointments/{booking['id']}/cancel", {"by": "client", "notify": False})[0] == 200
    assert money_of(desk, before)["chargeable_cents"] == {"late_cancel": 7950 - DEPOSIT}  # her 50 %
    assert money_of(desk, after)["chargeable_cents"] == {"late_cancel": PRICE - 7950}  # the new 100 %


def test_a_deposit_set_on_the_services_card_is_asked_of_the_next_booking(pay_client, stripe_env, desk):
    """The owner changes the highlights' 30 % deposit to a fixed 40,00 € on the settings'
    Services card (PUT /settings/services, the section as GET shows it). A deposit above the
    price (159,00 €) is refused at the service's payment, nothing saved; 40,00 € is saved,
    the payment terms' version rises (she knows nothing of versions), and the next booking
    of the highlights accepts the new version and pays 40,00 € to hold its time."""
    from tests.api.helpers import book, get
    from tests.payments.test_pay_flow import START

    def version():
        return get(pay_client, "/api/v1/businesses/demo")[1]["payments"]["version"]

    before = version()
    services = desk.get("/settings")[1]["sections"]["services"]
    i = next(k for k, s in enumerate(services) if s["id"] == "highlights")
    services[i]["payment"] = {"kind": "deposit", "deposit_cents": PRICE + 1, "deposit_percent": None}
    status, body = desk.put("/settings/services", services)
    assert status == 422, body
    assert body["error"]["fields"] == {f"{i}.payment": "the deposit may be at most the price"}, body
    assert version() == before

    services[i]["payment"]["deposit_cents"] = 4000
    status, body = desk.put("/settings/services", services)
    assert status == 200, body
    assert body["value"][i]["payment"] == {"kind": "deposit", "deposit_cents": 4000, "deposit_percent": None}
    assert version() == before + 1

    status, held = book(pay_client, START, service="highlights", staff="aino", accepted_payment_terms=before)
    assert status == 422 and held["error"]["code"] == "payment_terms_not_accepted", held
    status, held = book(pay_client, START, service="highlights", staff="aino", accepted_payment_terms=before + 1)
    assert status == 201 and held["payment"]["amount_cents"] == 4000, held
