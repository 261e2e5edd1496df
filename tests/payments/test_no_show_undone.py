"""A no-show marked by mistake: she came after all. Undoing the mark (or correcting it
to completed) gives the no-show fee she paid back to her card, at Stripe, once — owed
from the correction's own commit, so the sweeper makes it when Stripe cannot be reached
— and waives a fee still open. Her payment, her card, the checkout and the KPIs follow."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from tests.admin.helpers import Desk
from tests.history import run_job
from tests.payments.test_fees import AFTER_THE_VISIT, PRICE, money_of, paid_booking, refunds_to_make
from tests.payments.test_owed_refunds import refunds_at_stripe, stripe_unreachable
from tests.payments.test_pay_flow import DEPOSIT

FEE = PRICE - DEPOSIT  # the 100 % no-show fee less the deposit kept: 111,30 €


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


def shows_the_fee_refunded(desk, booking) -> dict:
    """The owner's view of her money (returned): the no-show fee refunded in full, nothing
    still on its way back, the visit's mark `paid` (her deposit)."""
    owners = money_of(desk, booking)
    assert (owners["fees"], owners["refunded_cents"], owners["refund_pending_cents"], owners["mark"]) == (
        {"no_show": "refunded"},
        FEE,
        0,
        "paid",
    )
    return owners


def fee_refunds_at_stripe(ls, aws, booking, kind="no_show") -> list[dict]:
    """The refunds localstripe holds for the fee's own payment."""
    from chalicelib.store import payments
    from scripts.localstripe_server import SECRET_KEY

    fee = payments.get_money(aws.id, booking["id"], kind)
    assert fee is not None and fee.intent
    r = requests.get(f"{ls.url}/v1/refunds", params={"payment_intent": fee.intent}, auth=(SECRET_KEY, ""), timeout=10)
    r.raise_for_status()
    return r.json()["data"]


def mark(desk, booking, status):
    return desk.post(f"/appointments/{booking['id']}/status", {"status": status})


def no_show_charged(pay_client, stripe_env, desk, frozen_now, card="4242424242424242"):
    booking = paid_booking(pay_client, stripe_env, card=card)
    frozen_now["now"] = AFTER_THE_VISIT
    status, marked = mark(desk, booking, "no_show")
    assert status == 200, marked
    return booking


def undone_during_the_owners_refund(
    monkeypatch, desk, booking, *, owed: bool, before_reserved: bool = False
) -> tuple[list[str], list[dict]]:
    """Stripe makes the first refund asked (the owner's refund of the fee, reserved before:
    the fee `refunding`) and, before it is written, the desk undoes the no-show — or
    (`before_reserved`) the desk's undo commits between the owner's read and her
    reservation: its refund owed to the sweeper (`owed`) or made and written at once. The
    refs Stripe was asked with, and the undo's answer."""
    from chalicelib.services.payments import fees
    from chalicelib.services.payments.stripe_account import Account

    real, real_owe = Account.refund, fees.store.owe_refund
    calls: list[str] = []
    undone: list[dict] = []

    def undo() -> None:
        with monkeypatch.context() as m:
            if owed:
                m.setattr(fees, "make_owed", lambda *a, **kw: None)  # owed: the sweeper's to make
            status, body = mark(desk, booking, "booked")
            assert status == 200, body
            undone.append(body)

    def refund_then_undone(self, *args, **kw):
        calls.append(args[3])  # booking, intent, amount, ref
        made = real(self, *args, **kw)
        if len(calls) == 1 and not before_reserved:
            undo()
        return made

    def undone_then_reserved(*args, **kw):
        if not undone:
            undo()
        return real_owe(*args, **kw)

    monkeypatch.setattr(Account, "refund", refund_then_undone)
    if before_reserved:
        monkeypatch.setattr(fees.store, "owe_refund", undone_then_reserved)
    return calls, undone


def test_an_undone_no_show_refunds_its_fee_once(pay_client, stripe_env, aws, desk, frozen_now):
    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    assert money_of(desk, booking)["fees"] == {"no_show": "succeeded"}
    status, undone = mark(desk, booking, "booked")  # after the visit's end: completed
    assert status == 200, undone
    # The desk's answer says the fee went back.
    assert undone["status"] == "completed"
    assert undone["payment"]["fees"] == {"no_show": "refunded"}
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking)] == [FEE]
    assert refunds_at_stripe(stripe_env, aws, booking) == []  # the deposit stays
    owners = money_of(desk, booking)
    assert owners == {
        "mark": "paid",
        "kind": "deposit",
        "paid_cents": PRICE,
        "refunded_cents": FEE,
        "refund_pending_cents": 0,
        "refund_failed_cents": 0,
        "fees_kept": [],
        "fees": {"no_show": "refunded"},
        "fee_cents": {"no_show": FEE},
        "chargeable_cents": {},  # booked again: no fee's event has happened (and the no-show's is given back)
        "no_show_fee_cents": FEE,  # marked again, a new no-show: its fee is charged anew (docs/payments.md)
        "card_saved": True,
        "fee_keys": {"no_show": "no_show.r1", "late_cancel": "late_cancel"},  # undone: its round ended
        "pay_urls": {},
    }
    # Undone twice, marked completed: nothing more moves (marked a no-show again, she would
    # be charged anew: test_a_no_show_marked_again_after_its_undo_is_charged_anew).
    for again in ("booked", "completed"):
        assert mark(desk, booking, again)[0] == 200
    assert len(fee_refunds_at_stripe(stripe_env, aws, booking)) == 1
    assert money_of(desk, booking)["refunded_cents"] == FEE
    # The deposit is still the deposit: refundable up to it, and the checkout deducts it.
    status, body = desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": DEPOSIT + 1, "reason": "x"})
    assert status == 422 and body["error"]["fields"] == {"amount_cents": f"1..{DEPOSIT}"}
    status, done = desk.post(f"/appointments/{booking['id']}/checkout", {"method": "card_on_file"})
    assert status == 200, done
    assert done["paid_cents"] == PRICE - DEPOSIT
    # Her card lists the fee and its refund; her spend is the visit's price.
    _, visit = desk.get(f"/appointments/{booking['id']}")
    status, card = desk.get(f"/clients/{visit['client']['id']}")
    assert status == 200, card
    assert sorted((m["kind"], m["amount_cents"], m["state"]) for m in card["payments"]) == [
        ("checkout", PRICE - DEPOSIT, "succeeded"),
        ("deposit", DEPOSIT, "succeeded"),
        ("no_show", FEE, "succeeded"),
        ("refund-fee-no_show", FEE, "succeeded"),
    ]
    assert card["stats"]["lifetime_spend_cents"] == PRICE
    assert card["stats"]["no_shows"] == 0
    # The key figures count no fee and no refund of the deposit; the visit's revenue once.
    run_job("kpi_sync", frozen_now["now"] + timedelta(minutes=1))
    status, kpis = desk.get("/kpis?period=2026-11")
    assert status == 200, kpis
    f = {k: v["value"] for k, v in kpis["kpis"].items()}
    assert (f["deposits_taken"], f["deposits_taken_cents"]) == (1, DEPOSIT)
    assert (f["fees_charged_cents"], f["fees_collected_cents"], f["refunds_cents"]) == (0, 0, 0)
    assert f["revenue_cents"] == PRICE


def test_a_no_show_corrected_to_completed_refunds_its_fee(pay_client, stripe_env, aws, desk, frozen_now):
    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    status, done = mark(desk, booking, "completed")
    assert status == 200 and done["payment"]["fees"] == {"no_show": "refunded"}
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking)] == [FEE]
    # Stripe's idempotency key is the booking's and the fee's.
    from chalicelib.store import payments

    [refund] = [m for m in payments.refunds_of(aws.id, booking["id"])]
    assert (refund.kind, refund.amount_cents, refund.note) == ("refund-fee-no_show", FEE, "the no-show mark was undone")


def test_an_undone_no_show_with_stripe_unreachable_is_refunded_by_the_sweeper(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    from chalicelib.store import jobs

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    jobs.set_watermark("send_due", AFTER_THE_VISIT - timedelta(minutes=1), AFTER_THE_VISIT - timedelta(minutes=1))
    with stripe_unreachable(monkeypatch):
        status, undone = mark(desk, booking, "booked")
    # The correction happened; the fee is on its way back, not kept.
    assert status == 200, undone
    assert undone["status"] == "completed"
    pay = undone["payment"]
    assert (pay["mark"], pay["fees"], pay["refund_pending_cents"]) == ("refund_pending", {"no_show": "refunding"}, FEE)
    assert fee_refunds_at_stripe(stripe_env, aws, booking) == []
    # Stripe is back: the sweeper makes it, once.
    frozen_now["now"] = AFTER_THE_VISIT + timedelta(minutes=3)
    run_job("send_due", frozen_now["now"])
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["fees"], owners["refunded_cents"], owners["refund_pending_cents"]) == (
        "paid",
        {"no_show": "refunded"},
        FEE,
        0,
    )
    frozen_now["now"] = AFTER_THE_VISIT + timedelta(minutes=30)
    run_job("send_due", frozen_now["now"])
    assert mark(desk, booking, "booked")[0] == 200
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking)] == [FEE]


def test_a_no_show_marked_again_after_its_undo_is_charged_anew(pay_client, stripe_env, aws, desk, frozen_now):
    """Marked a no-show (fee charged), undone (fee given back), marked a no-show again: the
    second no-show charges its fee anew — a round of its own (its record, its Stripe key
    `<booking>:no_show.r1`), the first round still shown as given back. Asked again (the
    desk's retry, POST /fees) it is that round's fee, never a third charge; undone again, it
    goes back too."""
    from chalicelib.store import payments
    from tests.payments.test_fees import fee_intents

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    assert mark(desk, booking, "booked")[0] == 200
    status, again = mark(desk, booking, "no_show")
    assert status == 200, again
    assert again["payment"]["fees"] == {"no_show": "refunded", "no_show.r1": "succeeded"}
    assert again["payment"]["fee_cents"] == {"no_show": FEE, "no_show.r1": FEE}
    assert again["payment"]["mark"] == "paid" and again["payment"]["no_show_fee_cents"] == 0
    # Retried: the mark (no change) and the owner's charge by hand answer the same fee.
    assert mark(desk, booking, "no_show")[0] == 200
    status, fee = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "no_show"})
    assert status == 200 and (fee["kind"], fee["amount_cents"], fee["state"]) == ("no_show.r1", FEE, "succeeded")
    intents = fee_intents(booking)
    assert sorted((i["metadata"]["kind"], i["amount"], i["status"]) for i in intents) == [
        ("no_show", FEE, "succeeded"),
        ("no_show.r1", FEE, "succeeded"),
    ]
    first, second = (payments.get_money(aws.id, booking["id"], k) for k in ("no_show", "no_show.r1"))
    assert first is not None and second is not None and first.intent != second.intent
    owners = money_of(desk, booking)
    assert (owners["paid_cents"], owners["refunded_cents"], owners["refund_pending_cents"]) == (PRICE + FEE, FEE, 0)
    # Her pages list both: the first given back, the second charged.
    from chalicelib.services.booking import manage
    from chalicelib.store import bookings

    appt = bookings.get_appointment(aws.id, booking["id"])
    facts = manage.money_facts(aws, appt) if appt is not None else None
    assert facts is not None
    assert [(f["kind"], f["amount_cents"], f["state"]) for f in facts["fees"]] == [
        ("no_show", FEE, "refunded"),
        ("no_show", FEE, "charged"),
    ]
    # Undone again: the second fee goes back on its own payment, once; the first stays back.
    status, undone = mark(desk, booking, "booked")
    assert status == 200 and undone["payment"]["fees"] == {"no_show": "refunded", "no_show.r1": "refunded"}
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking)] == [FEE]
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking, "no_show.r1")] == [FEE]
    owners = money_of(desk, booking)
    assert (owners["paid_cents"], owners["refunded_cents"], owners["mark"]) == (PRICE + FEE, 2 * FEE, "paid")
    _, visit = desk.get(f"/appointments/{booking['id']}")
    _, card = desk.get(f"/clients/{visit['client']['id']}")
    assert sorted((m["kind"], m["amount_cents"]) for m in card["payments"]) == [
        ("deposit", DEPOSIT),
        ("no_show", FEE),
        ("no_show.r1", FEE),
        ("refund-fee-no_show", FEE),
        ("refund-fee-no_show.r1", FEE),
    ]
    # The key figures: both fees given back, neither charged nor collected.
    run_job("kpi_sync", frozen_now["now"] + timedelta(minutes=1))
    _, kpis = desk.get("/kpis?period=2026-11")
    f = {k: v["value"] for k, v in kpis["kpis"].items()}
    assert (f["fees_charged_cents"], f["fees_collected_cents"], f["deposits_taken_cents"]) == (0, 0, DEPOSIT)


def test_an_undone_no_show_waives_its_open_fee(pay_client, stripe_env, aws, desk, frozen_now):
    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now, card="4000002760003184")
    assert money_of(desk, booking)["fees"] == {"no_show": "open"}
    status, undone = mark(desk, booking, "booked")
    assert status == 200, undone
    assert undone["payment"]["fees"] == {"no_show": "waived"} and undone["payment"]["mark"] == "paid"
    assert undone["payment"]["pay_urls"] == {}
    from chalicelib.store import payments

    fee = payments.get_money(aws.id, booking["id"], "no_show")
    assert fee is not None and (fee.state, fee.note) == ("waived", "the no-show mark was undone")
    assert payments.refunds_of(aws.id, booking["id"]) == []


def test_an_undo_that_dies_after_its_commit_has_waived_the_open_fee_and_ended_its_round(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """The undo's request dies right after the mark's transaction (a timeout, the
    database gone): the open fee is waived and its round over in that same commit, so her
    pay link asks nothing and the no-show marked again is charged in a round of its own —
    never the old round's open fee left standing on a visit that is not a no-show."""
    from chalicelib.store import bookings, payments, visits

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now, card="4000002760003184")
    real = visits.mark

    def mark_then_die(*args, **kw):
        real(*args, **kw)
        raise RuntimeError("the request died after the mark's commit")

    monkeypatch.setattr(visits, "mark", mark_then_die)
    status, _ = mark(desk, booking, "booked")
    assert status == 500
    monkeypatch.setattr(visits, "mark", real)
    appt = bookings.get_appointment(aws.id, booking["id"])
    assert appt is not None and appt.status == "completed" and appt.payment is not None
    assert (appt.payment.fees, appt.payment.fee_rounds) == ({"no_show": "waived"}, {"no_show": 1})
    fee = payments.get_money(aws.id, booking["id"], "no_show")
    assert fee is not None and (fee.state, fee.note) == ("waived", "the no-show mark was undone")
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["pay_urls"], owners["fee_keys"]["no_show"]) == ("paid", {}, "no_show.r1")
    status, again = mark(desk, booking, "no_show")  # she really did not come: a round of its own
    assert status == 200 and again["payment"]["fees"] == {"no_show": "waived", "no_show.r1": "open"}, again


def test_each_round_goes_by_one_name_in_the_view_its_pay_link_and_its_waiver(
    pay_client, stripe_env, aws, desk, frozen_now
):
    """An open fee undone (waived) and the no-show marked again: the new round's fee is open
    under its key — the owner's view, her pay link and the waiver all say `no_show.r1`, the
    name its money record and its Stripe metadata carry — and waiving it by that name works."""
    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now, card="4000002760003184")
    assert mark(desk, booking, "booked")[0] == 200  # the undo waives the open fee: its round ends
    status, again = mark(desk, booking, "no_show")
    assert status == 200, again
    pay = again["payment"]
    assert pay["fees"] == {"no_show": "waived", "no_show.r1": "open"}
    assert pay["fee_cents"] == {"no_show": FEE, "no_show.r1": FEE}
    assert pay["fee_keys"] == {"no_show": "no_show.r1", "late_cancel": "late_cancel"}
    assert list(pay["pay_urls"]) == ["no_show.r1"] and pay["pay_urls"]["no_show.r1"].endswith("?fee=no_show.r1")
    _, visit = desk.get(f"/appointments/{booking['id']}")
    _, card = desk.get(f"/clients/{visit['client']['id']}")
    assert {m["kind"] for m in card["payments"]} >= set(pay["fees"])  # her records: the same names
    status, nothing = desk.post(f"/appointments/{booking['id']}/fees/no_show.1/waive", {"reason": "x"})
    assert status == 409 and nothing["error"]["code"] == "no_open_fee"
    status, waived = desk.post(f"/appointments/{booking['id']}/fees/no_show.r1/waive", {"reason": "let it go"})
    assert status == 200 and (waived["kind"], waived["state"]) == ("no_show.r1", "waived"), waived
    assert money_of(desk, booking)["fees"] == {"no_show": "waived", "no_show.r1": "waived"}


def test_the_owners_own_refund_survives_an_undo_and_a_new_mark(pay_client, stripe_env, aws, desk, frozen_now):
    """The owner refunded the no-show's fee as goodwill; a staff member undoes the no-show
    (nothing to give back) and the owner marks it again: her refund stands, nothing is
    charged a second time, and charging by hand is still refused (given back)."""
    from tests.payments.test_fees import fee_intents

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    status, _ = desk.post(f"/appointments/{booking['id']}/refund", {"fee": "no_show", "reason": "goodwill"})
    assert status == 200
    staff = Desk(pay_client, aws.id, role="staff", staff_id="aino")
    assert mark(staff, booking, "booked")[0] == 200
    status, again = mark(desk, booking, "no_show")
    assert status == 200 and again["payment"]["fees"] == {"no_show": "refunded"}, again["payment"]
    assert again["payment"]["fee_keys"]["no_show"] == "no_show"
    status, refused = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "no_show"})
    assert status == 409 and refused["error"]["reason"] == "given_back"
    assert [(i["metadata"]["kind"], i["status"]) for i in fee_intents(booking)] == [("no_show", "succeeded")]


def test_the_owners_own_waiver_survives_a_mis_click_and_a_new_mark(pay_client, stripe_env, aws, desk, frozen_now):
    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now, card="4000002760003184")
    status, _ = desk.post(f"/appointments/{booking['id']}/fees/no_show/waive", {"reason": "let it go"})
    assert status == 200
    assert mark(desk, booking, "completed")[0] == 200  # a mis-click
    status, again = mark(desk, booking, "no_show")  # put right
    assert status == 200, again
    assert again["payment"]["fees"] == {"no_show": "waived"} and again["payment"]["pay_urls"] == {}
    from tests.payments.test_fees import fee_intents

    assert len(fee_intents(booking)) == 1  # no new charge asked of her bank


def test_a_no_show_marked_again_after_its_undos_refund_failed_charges_nothing_more(
    pay_client, stripe_env, aws, desk, frozen_now
):
    """The undo gave the fee back, Stripe failed that refund: the money is still with the
    salon. Marked a no-show again, it is the new round's fee: nothing more is charged, and
    the owner has no failed refund to retry. Settled all the same, the fee is hers to
    charge again — never more held than the fee of her terms."""
    from tests.payments.test_fees import fee_intents
    from tests.payments.test_refund_failures import failed_at_stripe
    from tests.payments.test_webhooks import deliver, event

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    assert mark(desk, booking, "booked")[0] == 200
    [refund] = fee_refunds_at_stripe(stripe_env, aws, booking)
    assert deliver(pay_client, event("evt_undo_refund_failed", "refund.failed", failed_at_stripe(refund)))[0] == 200
    assert money_of(desk, booking)["mark"] == "refund_failed"  # she came after all: hers to get back
    [(listed, _, _)] = refunds_to_make(desk)  # on the owner's refunds to make
    assert listed == booking["id"]
    status, again = mark(desk, booking, "no_show")  # she really did not come
    assert status == 200, again
    from chalicelib.store import payments  # the fee is the salon's again: off the list, its pointer gone

    assert refunds_to_make(desk) == [] and payments.refunds_due(aws.id) == []
    pay = again["payment"]
    assert (pay["mark"], pay["refund_failed_cents"], pay["chargeable_cents"]) == ("paid", 0, {})
    assert pay["fees_kept"] == ["no_show"]  # the card says the first round kept: nothing to retry
    assert pay["paid_cents"] - pay["refunded_cents"] == DEPOSIT + FEE  # the no-show fee of her terms, no more
    assert len([i for i in fee_intents(booking) if i["status"] == "succeeded"]) == 1  # no new charge
    status, settled = desk.post(f"/appointments/{booking['id']}/refund", {"fee": "no_show", "reason": "settle"})
    assert status == 200 and settled["kind"].startswith("refund-fee-no_show-n"), settled
    owners = money_of(desk, booking)
    assert (owners["refund_failed_cents"], owners["chargeable_cents"], owners["fees_kept"]) == (0, {"no_show": FEE}, [])


def _undone_while_charging(monkeypatch, desk, booking) -> list:
    """Stripe charges the fee asked next and, before its record is written, the desk undoes
    the no-show (the owner's second tap). The undo's answer."""
    from chalicelib.services.payments.stripe_account import Account

    real = Account.charge_card_on_file
    undone: list = []

    def charge_then_undo(self, *a, **kw):
        made = real(self, *a, **kw)
        if not undone:
            undone.append(mark(desk, booking, "booked"))
        return made

    monkeypatch.setattr(Account, "charge_card_on_file", charge_then_undo)
    return undone


@pytest.mark.parametrize("earlier_round", [False, True])
def test_a_no_show_undone_while_its_fee_is_charged_gives_the_fee_back(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch, earlier_round
):
    """The no-show is undone while Stripe charges its fee (the first round's, or a round
    after an undo): the charge Stripe made is recorded and owed back in the same write —
    never a fee kept on a visit that is not a no-show — and its round is over."""
    from tests.payments.test_fees import fee_intents

    if earlier_round:
        booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
        assert mark(desk, booking, "booked")[0] == 200  # the first round given back
    else:
        booking = paid_booking(pay_client, stripe_env)
        frozen_now["now"] = AFTER_THE_VISIT
    key = "no_show.r1" if earlier_round else "no_show"
    undone = _undone_while_charging(monkeypatch, desk, booking)
    assert mark(desk, booking, "no_show")[0] == 200
    assert undone[0][0] == 200, undone
    _, visit = desk.get(f"/appointments/{booking['id']}")
    assert visit["status"] == "completed" and visit["payment"]["fees"][key] == "refunded", visit["payment"]
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking, key)] == [FEE]
    owners = money_of(desk, booking)
    assert owners["paid_cents"] - owners["refunded_cents"] == DEPOSIT  # no fee kept
    assert owners["fee_keys"]["no_show"] == ("no_show.r2" if earlier_round else "no_show.r1")
    charged = [i for i in fee_intents(booking) if i["status"] == "succeeded"]
    assert len(charged) == (2 if earlier_round else 1)


def test_an_undo_written_after_the_fee_it_did_not_see_is_refused_then_gives_it_back(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """The undo read the visit before a fee was recorded (the owner's charge by hand, in
    another tab): written, it would leave the fee kept on a visit that is not a no-show —
    so it is refused (409 appointment_changed), and asked again it gives the fee back."""
    from chalicelib.services.payments import fees

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    staff = Desk(pay_client, aws.id, role="staff", staff_id="aino")
    assert mark(staff, booking, "no_show")[0] == 200  # staff: no fee charged
    real = fees.owed_on_no_show_undone
    charged: list = []

    def charge_first(b, appt, now):
        if not charged:
            charged.append(desk.post(f"/appointments/{booking['id']}/fees", {"kind": "no_show"}))
        return real(b, appt, now)

    monkeypatch.setattr(fees, "owed_on_no_show_undone", charge_first)
    status, refused = mark(desk, booking, "booked")
    assert charged[0][0] == 200 and charged[0][1]["state"] == "succeeded"
    assert status == 409 and refused["error"]["code"] == "appointment_changed"
    status, undone = mark(desk, booking, "booked")
    assert status == 200 and undone["payment"]["fees"] == {"no_show": "refunded"}, undone["payment"]


def test_the_owner_refunds_a_collected_late_cancel_fee(pay_client, stripe_env, aws, desk, frozen_now):
    from tests.payments.test_fees import cancelled_late_with_card_on_file

    held = cancelled_late_with_card_on_file(pay_client, stripe_env, aws, desk, frozen_now)
    status, fee = desk.post(f"/appointments/{held['id']}/fees", {"kind": "late_cancel"})
    assert status == 200 and fee["amount_cents"] == 6450
    # The deposit's refund has nothing to give back; the fee's does, whole.
    status, body = desk.post(f"/appointments/{held['id']}/refund", {"reason": "x", "amount_cents": 100})
    assert status == 409 and body["error"]["code"] == "nothing_to_refund"
    status, body = desk.post(
        f"/appointments/{held['id']}/refund", {"reason": "x", "fee": "late_cancel", "amount_cents": 100}
    )
    assert status == 422, body
    status, body = desk.post(f"/appointments/{held['id']}/refund", {"reason": "x", "fee": "no_show"})
    assert status == 409 and body["error"]["code"] == "nothing_to_refund"
    status, refund = desk.post(f"/appointments/{held['id']}/refund", {"reason": "bus strike", "fee": "late_cancel"})
    assert status == 200, refund
    assert (refund["kind"], refund["amount_cents"]) == ("refund-fee-late_cancel", 6450)
    status, again = desk.post(f"/appointments/{held['id']}/refund", {"reason": "bus strike", "fee": "late_cancel"})
    assert status == 409, again
    status, charged = desk.post(f"/appointments/{held['id']}/fees", {"kind": "late_cancel"})
    assert status == 409 and charged["error"]["reason"] == "given_back", charged  # not "succeeded" again
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, held, "late_cancel")] == [6450]
    owners = money_of(desk, held)
    assert (owners["fees"], owners["paid_cents"], owners["refunded_cents"], owners["mark"]) == (
        {"late_cancel": "refunded"},
        6450,
        6450,
        "refunded",
    )
    status, audit = desk.get("/audit?month=2026-11")
    assert any(
        e["action"] == "refund" and (e.get("detail") or {}).get("fee") == "late_cancel" for e in audit["entries"]
    )


def test_the_owners_fee_refund_and_the_undo_at_the_same_moment_refund_it_once(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """The owner refunds the fee; Stripe makes it, and before her write the desk undoes the
    no-show: the undo reads the fee `refunding` (her refund reserved), owes nothing more,
    and her refund is recorded once — no second count, no call to Stripe on every sweep."""
    from chalicelib.services.payments import fees
    from chalicelib.store import jobs, outbox

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    jobs.set_watermark("send_due", AFTER_THE_VISIT - timedelta(minutes=1), AFTER_THE_VISIT - timedelta(minutes=1))
    calls, _ = undone_during_the_owners_refund(monkeypatch, desk, booking, owed=True)
    status, refund = desk.post(f"/appointments/{booking['id']}/refund", {"reason": "x", "fee": "no_show"})
    assert status == 200, refund
    assert (refund["kind"], refund["amount_cents"]) == ("refund-fee-no_show", FEE)
    owners = shows_the_fee_refunded(desk, booking)
    # The sweeper, for a day: the owed item ends at once, and Stripe is not asked again.
    for minutes in (3, 30, *range(60, 25 * 60, 60)):
        frozen_now["now"] = AFTER_THE_VISIT + timedelta(minutes=minutes)
        run_job("send_due", frozen_now["now"])
    assert calls == ["fee-no_show"]
    m = outbox.get_message(aws.id, fees.owed_refund_key(booking["id"], "fee-no_show"))
    assert m is not None and m.status == "sent", m
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking)] == [FEE]
    assert money_of(desk, booking) == owners
    # The deposit is still the deposit's to refund.
    status, body = desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": DEPOSIT + 1, "reason": "x"})
    assert status == 422 and body["error"]["fields"] == {"amount_cents": f"1..{DEPOSIT}"}


def test_settling_a_refused_fee_refund_is_a_new_refund_not_the_refused_key(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """The undo's refund of the fee refused for good (no record of it): the owner's refund
    that settles it has a key of its own — Stripe replays a refused request's answer to
    the same key for 24 hours."""
    import stripe

    from chalicelib.services.payments.stripe_account import Account
    from tests.payments.test_owed_refunds import stripe_answers_refunds_with

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    real = Account.refund
    refs: list[str] = []

    def spy(self, *args, **kw):
        refs.append(args[3])  # booking, intent, amount, ref
        return real(self, *args, **kw)

    monkeypatch.setattr(Account, "refund", spy)
    refused = stripe.InvalidRequestError("refused", param=None, code="charge_disputed", http_status=400)
    with stripe_answers_refunds_with(monkeypatch, aws.id, refused):
        status, undone = mark(desk, booking, "booked")
        assert status == 200, undone
    assert undone["payment"]["fees"] == {"no_show": "refund_failed"}, undone["payment"]
    status, refund = desk.post(f"/appointments/{booking['id']}/refund", {"reason": "settle", "fee": "no_show"})
    assert status == 200, refund
    assert refs == ["fee-no_show", "fee-no_show-n1"]
    assert (refund["kind"], refund["amount_cents"]) == ("refund-fee-no_show-n1", FEE)
    owners = money_of(desk, booking)
    assert (owners["fees"], owners["refunded_cents"], owners["refund_failed_cents"], owners["mark"]) == (
        {"no_show": "refunded"},
        FEE,
        0,
        "paid",
    )
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking)] == [FEE]


def settled_after_a_refusal(desk, booking, body: dict, at, second_tap: str = "refund_refused") -> tuple[dict, dict]:
    """The owner's settling refund, refused by Stripe at once (tapped twice: the same
    attempt; the second tap answered `second_tap`), then tried again once Stripe takes it
    (tapped twice again). The answers of the second try: the first tap's and the second's."""
    path = f"/appointments/{booking['id']}/refund"
    at.refusing, taps = True, []
    at.meanwhile.append(lambda: taps.append(desk.post(path, body)))
    status, refused = desk.post(path, body)
    assert status == 409 and refused["error"]["code"] == "refund_refused", refused
    assert taps[0][0] == 409 and taps[0][1]["error"]["code"] == second_tap, taps
    at.refusing = False  # the dispute is over: Stripe would take it now
    at.meanwhile.append(lambda: taps.append(desk.post(path, body)))
    status, first = desk.post(path, body)
    assert len(taps) == 2
    return {"status": status, **first}, {"status": taps[1][0], **taps[1][1]}


def test_the_owners_fee_refund_refused_at_once_is_asked_anew_when_she_tries_again(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """Her settling refund refused at once leaves no record: tried again, it is a new
    request to Stripe (a refused key's answer is replayed for 24 hours), and a double tap
    of one attempt is still one refund."""
    from tests.payments.test_owed_refunds import stripe_keeping_refund_keys

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    with stripe_keeping_refund_keys(monkeypatch, aws.id) as at:
        at.refusing = True
        status, undone = mark(desk, booking, "booked")
        assert status == 200 and undone["payment"]["fees"] == {"no_show": "refund_failed"}, undone
        # The second tap of each attempt finds it reserved (the fee `refunding`): Stripe is
        # asked once per attempt (fees.refund_fee, reserved first as a deposit's refund is).
        outer, inner = settled_after_a_refusal(
            desk, booking, {"reason": "settle", "fee": "no_show"}, at, "refund_in_progress"
        )
    assert (outer["status"], outer.get("kind"), outer.get("amount_cents")) == (200, "refund-fee-no_show-n2", FEE), outer
    assert (inner["status"], inner["error"]["code"]) == (409, "refund_in_progress")
    key = f"{booking['id']}:refund:fee-no_show"
    assert at.asked == [key, f"{key}-n1", f"{key}-n2"]
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking)] == [FEE]
    owners = money_of(desk, booking)
    assert (owners["fees"], owners["refunded_cents"], owners["refund_failed_cents"]) == (
        {"no_show": "refunded"},
        FEE,
        0,
    )


def test_a_no_show_undone_after_the_owners_fee_refund_was_refused_gives_the_fee_back(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """The owner's refund of the fee refused by Stripe at once (a dispute) leaves its item
    under `fee-no_show`; the no-show undone later (a mistake) still goes through and gives
    the fee back under a ref of its own — never 409 on every try."""
    from tests.payments.test_owed_refunds import stripe_keeping_refund_keys

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    with stripe_keeping_refund_keys(monkeypatch, aws.id) as at:
        at.refusing = True
        status, refused = desk.post(f"/appointments/{booking['id']}/refund", {"reason": "goodwill", "fee": "no_show"})
        assert status == 409 and refused["error"]["code"] == "refund_refused", refused
        at.refusing = False  # the dispute is over
        status, undone = mark(desk, booking, "booked")
        assert status == 200, undone
    assert undone["payment"]["fees"] == {"no_show": "refunded"}, undone["payment"]
    key = f"{booking['id']}:refund:fee-no_show"
    assert at.asked == [key, f"{key}-n2"]  # the refusal counts: past it
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking)] == [FEE]
    shows_the_fee_refunded(desk, booking)
    # Marked a no-show again, her new round is charged anew.
    status, again = mark(desk, booking, "no_show")
    assert status == 200 and again["payment"]["fees"] == {"no_show": "refunded", "no_show.r1": "succeeded"}, again


def test_a_no_show_undone_while_stripe_refuses_the_owners_fee_refund_leaves_the_fee_owed_back(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """The owner refunds the fee (the fee `refunding`); while Stripe is asked the desk
    undoes the no-show (nothing more to give back: hers is on its way); Stripe refuses hers
    at once. The fee is not kept on a visit that is no longer a no-show: it ends as an
    undo's own refund refused does — `refund_failed`, on her list of failures, the alarm —
    and she settles it with a refund of her own; marked a no-show again, a new round."""
    from chalicelib.services.payments import fees
    from tests.payments.test_owed_refunds import stripe_keeping_refund_keys
    from tests.payments.test_refund_failures import failed_alarms, failures_of

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    alarms: list[tuple] = []
    undo: list = []
    monkeypatch.setattr(fees, "count_message", lambda *a: alarms.append(a))
    with stripe_keeping_refund_keys(monkeypatch, aws.id) as at:
        at.refusing = True
        at.meanwhile.append(lambda: undo.append(mark(desk, booking, "booked")))
        status, refused = desk.post(f"/appointments/{booking['id']}/refund", {"reason": "goodwill", "fee": "no_show"})
        assert status == 409 and refused["error"]["code"] == "refund_refused", refused
        at.refusing = False
    [(status, undone)] = undo
    assert status == 200 and undone["payment"]["fees"] == {"no_show": "refunding"}, undone
    _, visit = desk.get(f"/appointments/{booking['id']}")
    owners = visit["payment"]
    assert (visit["status"], owners["fees"], owners["refund_failed_cents"], owners["refund_pending_cents"]) == (
        "completed",
        {"no_show": "refund_failed"},
        FEE,
        0,
    )
    assert owners["mark"] == "refund_failed"
    [item] = failures_of(desk, booking)
    assert item["kind"] == "refund_owed" and "charge_disputed" in item["error"], item
    assert failed_alarms(alarms) == [("failed", "stripe", "refund_owed")]
    # She settles it: a new refund at Stripe, given back once.
    status, settled = desk.post(f"/appointments/{booking['id']}/refund", {"reason": "settle", "fee": "no_show"})
    assert status == 200 and settled["kind"].startswith("refund-fee-no_show-n"), settled
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking)] == [FEE]
    owners = money_of(desk, booking)
    assert (owners["fees"], owners["refund_failed_cents"], owners["mark"]) == ({"no_show": "refunded"}, 0, "paid")
    # The undo's round is over: marked a no-show again, she is charged anew.
    status, again = mark(desk, booking, "no_show")
    assert status == 200 and again["payment"]["fees"] == {"no_show": "refunded", "no_show.r1": "succeeded"}, again


def test_the_owners_deposit_refund_refused_at_once_is_asked_anew_when_she_tries_again(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    from tests.payments.test_owed_refunds import cancel_by_her, stripe_keeping_refund_keys

    booking = paid_booking(pay_client, stripe_env)
    with stripe_keeping_refund_keys(monkeypatch, aws.id) as at:
        at.refusing = True
        assert cancel_by_her(pay_client, booking)[0] == 200
        assert money_of(desk, booking)["mark"] == "refund_failed"
        # The second tap of each attempt finds it reserved (owed, being made): Stripe is
        # asked once per attempt (fees.refund).
        outer, inner = settled_after_a_refusal(desk, booking, {"reason": "settle"}, at, "refund_in_progress")
    assert (outer["status"], outer.get("kind"), outer.get("amount_cents")) == (200, f"refund-n1-{DEPOSIT}", DEPOSIT), (
        outer
    )
    assert (inner["status"], inner["error"]["code"]) == (409, "refund_in_progress")
    key = f"{booking['id']}:refund"
    assert at.asked == [f"{key}:cancel", f"{key}:n0-{DEPOSIT}", f"{key}:n1-{DEPOSIT}"]
    assert [r["amount"] for r in refunds_at_stripe(stripe_env, aws, booking)] == [DEPOSIT]
    owners = money_of(desk, booking)
    assert (owners["mark"], owners["refunded_cents"], owners["refund_failed_cents"]) == ("refunded", DEPOSIT, 0)


def test_the_undos_refund_written_first_leaves_the_owners_refund_made_already(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """The other order: the undo's owed refund (the same ref, so the same Stripe key) is
    made and written between the owner's read and her reservation; hers finds its item and
    its record (409 refund_made), asks Stripe nothing, and nothing is counted twice."""
    from chalicelib.services.payments import fees
    from chalicelib.store import outbox

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    calls, undone = undone_during_the_owners_refund(monkeypatch, desk, booking, owed=False, before_reserved=True)
    status, body = desk.post(f"/appointments/{booking['id']}/refund", {"reason": "x", "fee": "no_show"})
    assert undone[0]["payment"]["fees"] == {"no_show": "refunded"}, undone
    assert status == 409 and body["error"]["code"] == "refund_made", body
    # The undo's refund alone was asked of Stripe.
    assert calls == ["fee-no_show"]
    assert [r["amount"] for r in fee_refunds_at_stripe(stripe_env, aws, booking)] == [FEE]
    shows_the_fee_refunded(desk, booking)
    m = outbox.get_message(aws.id, fees.owed_refund_key(booking["id"], "fee-no_show"))
    assert m is not None and m.status == "sent", m


def test_the_integrations_hear_which_fee_an_undo_and_the_owners_refund_gave_back(
    pay_client, stripe_env, aws, desk, frozen_now
):
    """payment.refunded of a fee names it (`fee`), so a receiver tells a no-show fee given
    back from the deposit; the deposit's own refund names none."""
    from tests.webhooks.test_money_events import webhook_events

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    assert mark(desk, booking, "booked")[0] == 200  # the no-show fee goes back
    status, _ = desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": 1000, "reason": "x"})
    assert status == 200
    told = [e["data"] for e in webhook_events(aws.id) if e["type"] == "payment.refunded"]
    assert sorted((d["booking_id"], d["amount_cents"], d.get("fee")) for d in told) == [
        (booking["id"], 1000, None),
        (booking["id"], FEE, "no_show"),
    ]


def test_a_crafted_fee_key_is_no_such_fee_for_the_waiver_and_the_refund(pay_client, stripe_env, aws, desk, frozen_now):
    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    for fee in ("no_show.r\u00b2", "no_show.r01", "no_show.r1000", "bogus"):
        status, refused = desk.post(f"/appointments/{booking['id']}/fees/{fee}/waive", {"reason": "x"})
        assert status == 409 and refused["error"]["code"] == "no_open_fee", (fee, refused)
        status, refused = desk.post(f"/appointments/{booking['id']}/refund", {"fee": fee, "reason": "x"})
        assert status == 422 and "fee" in refused["error"]["fields"], (fee, refused)
    status, nothing = desk.post(f"/appointments/{booking['id']}/refund", {"fee": "no_show.r1", "reason": "x"})
    assert status == 409 and nothing["error"]["code"] == "nothing_to_refund"
