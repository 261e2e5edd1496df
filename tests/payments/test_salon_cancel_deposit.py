"""The salon cancels a paid booking late (the stylist is ill: the time-off sheet's "Peru ja
kutsu uuteen aikaan", or the card's "Salonki perui") and does not give the deposit back in
the same step — a staff member may not move money, or the owner unticked it: her
late-cancellation terms are about HER cancellations, so nothing is "kept under the
cancellation terms". The deposit stays with the salon for the owner to refund: her
messages and page say the salon will contact her about refunding it, and the owner's view
marks it `refund_due` until she does."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.admin.helpers import Desk
from tests.api.helpers import token_of
from tests.api.test_pages import page
from tests.conftest import emails_to, sent_sms
from tests.payments.conftest import LONG_FACTS
from tests.payments.test_fees import money_of, paid_booking

PAST_THE_FREE_DEADLINE = datetime(2026, 11, 25, 6, tzinfo=UTC)  # 8:00 on the day of the visit (no quiet hours)
TERMS = ("ei palauteta", "peruutusehtojen", "återbetalas inte", "avbokningsvillkoren", "not refunded", "terms say")


def test_a_staff_members_salon_cancellation_keeps_nothing_under_her_terms(pay_client, stripe_env, aws, frozen_now):
    booking = paid_booking(pay_client, stripe_env)  # highlights with Aino, 47,70 € deposit, Wed 25.11 12:00
    frozen_now["now"] = PAST_THE_FREE_DEADLINE
    staff = Desk(pay_client, aws.id, role="staff", staff_id="aino")
    body = {"by": "salon", "reason": "Sairas", "invite": True}  # the time-off sheet's, for staff: no refund
    status, view = staff.post(f"/appointments/{booking['id']}/cancel", body)
    assert status == 200 and view["status"] == "cancelled", view

    [mail] = emails_to("maija@example.com", "Jouduimme")
    assert not [w for w in TERMS if w in mail], mail
    assert re.search(r"ennakkomaksuasi 47,70.€ ei pidätetä: salonki on yhteydessä sinuun sen palauttamisesta", mail)
    [sms] = [m[1] for m in sent_sms() if "Jouduimme perumaan" in m[1]]
    assert not [w for w in TERMS if w in sms], sms
    assert re.search(r"Salonki on yhteydessä ennakkomaksusi 47,70.€ palauttamisesta\.", sms), sms
    _, html = page(pay_client, f"/m/{token_of(booking['manage_url'])}?done=cancelled&lang=fi")
    assert re.search(r"ennakkomaksuasi 47,70.€ ei pidätetä: salonki on yhteydessä sinuun", html), html

    # The owner sees the deposit is hers to give back, and giving it back settles it.
    owner = Desk(pay_client, aws.id)
    money = money_of(owner, booking)
    assert (money["mark"], money["refunded_cents"], money["refund_pending_cents"]) == ("refund_due", 0, 0), money
    status, _ = owner.post(f"/appointments/{booking['id']}/refund", {"reason": "Salonki perui"})
    assert status == 200
    assert money_of(owner, booking)["mark"] == "refunded"


def test_the_owners_salon_cancellation_with_refund_gives_it_all_back(pay_client, stripe_env, aws, frozen_now):
    """What the time-off sheet sends for the owner: the deposit back with the cancellation."""
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = PAST_THE_FREE_DEADLINE
    owner = Desk(pay_client, aws.id)
    body = {"by": "salon", "reason": "Sairas", "invite": True, "refund": True}
    status, view = owner.post(f"/appointments/{booking['id']}/cancel", body)
    assert status == 200 and view["status"] == "cancelled", view
    money = money_of(owner, booking)
    assert money["refunded_cents"] + money["refund_pending_cents"] == 4770 and money["mark"] != "refund_due", money
    [mail] = emails_to("maija@example.com", "Jouduimme")
    assert re.search(r"Ennakkomaksusi 47,70.€ palautetaan kortillesi", mail) and "ei palauteta" not in mail, mail


def test_the_owners_cancel_with_refund_of_a_booking_staff_cancelled_points_her_to_the_refund(
    pay_client, stripe_env, aws, frozen_now
):
    """A staff member cancelled as the salon (the deposit `refund_due`); the owner's cancel
    with refund on her stale card is no 200 that refunds nothing: 409 booking_cancelled
    (reason `refund`), nothing moved, and her refund gives it back. A double tap of her own
    cancellation with refund, all of it on its way back, is still 200."""
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = PAST_THE_FREE_DEADLINE
    staff = Desk(pay_client, aws.id, role="staff", staff_id="aino")
    assert staff.post(f"/appointments/{booking['id']}/cancel", {"by": "salon", "reason": "Sairas"})[0] == 200
    owner = Desk(pay_client, aws.id)
    body = {"by": "salon", "reason": "Sairas", "refund": True}
    status, refused = owner.post(f"/appointments/{booking['id']}/cancel", body)
    assert status == 409 and refused["error"]["code"] == "booking_cancelled", refused
    assert refused["error"]["reason"] == "refund", refused  # the dashboard: err_booking_cancelled_refund
    money = money_of(owner, booking)
    assert (money["mark"], money["refunded_cents"], money["refund_pending_cents"]) == ("refund_due", 0, 0), money
    status, _ = owner.post(f"/appointments/{booking['id']}/refund", {"reason": "Sairas"})
    assert status == 200
    assert (money_of(owner, booking)["mark"], money_of(owner, booking)["refunded_cents"]) == ("refunded", 4770)
    # Nothing left to give back: the same cancel is the cancelled booking, as before.
    status, view = owner.post(f"/appointments/{booking['id']}/cancel", body)
    assert status == 200 and view["status"] == "cancelled", view


def test_the_owners_list_of_refunds_to_make_holds_what_the_salon_cancelled_until_she_gives_it_back(
    pay_client, stripe_env, aws, frozen_now
):
    """A staff member's salon cancellation leaves the deposit with the salon: it is on the
    owner's list of refunds to make (GET /refunds/due, the dashboard's "To refund"), with
    the client, the visit and what is held, until all of it is given back — a part refunded
    leaves the rest listed. Staff do not see the list (money is the owner's)."""
    booking = paid_booking(pay_client, stripe_env)  # highlights with Aino, 47,70 €, Wed 25.11 12:00
    owner = Desk(pay_client, aws.id)
    assert owner.get("/refunds/due") == (200, {"refunds": []})
    frozen_now["now"] = PAST_THE_FREE_DEADLINE
    staff = Desk(pay_client, aws.id, role="staff", staff_id="aino")
    assert staff.post(f"/appointments/{booking['id']}/cancel", {"by": "salon", "reason": "Sairas"})[0] == 200

    status, listed = owner.get("/refunds/due")
    assert status == 200, listed
    [row] = listed["refunds"]
    assert row == {
        "appointment_id": booking["id"],
        "client_id": row["client_id"],
        "client_name": "Maija Meikäläinen",
        "service": "highlights",
        "staff": "aino",
        "start": "2026-11-25T12:00:00+02:00",
        "cancelled_at": "2026-11-25T08:00:00+02:00",
        "cancel_reason": "Sairas",
        "held_cents": 4770,
        "mark": "refund_due",
    }, row
    status, refused = staff.get("/refunds/due")
    assert status == 403 and refused["error"]["code"] == "owner_only", refused

    assert owner.post(f"/appointments/{booking['id']}/refund", {"reason": "Osa", "amount_cents": 2000})[0] == 200
    assert [r["held_cents"] for r in owner.get("/refunds/due")[1]["refunds"]] == [2770]
    assert owner.post(f"/appointments/{booking['id']}/refund", {"reason": "Loput"})[0] == 200
    # Its pointer went with the refund that gave the rest back (a GET changes nothing).
    from chalicelib.store import payments

    assert payments.refunds_due(aws.id) == []
    assert owner.get("/refunds/due") == (200, {"refunds": []})


def test_the_owners_refund_that_fails_later_at_stripe_puts_it_back_on_her_list(pay_client, stripe_env, aws, frozen_now):
    """Given back by the owner, off the list; Stripe then fails that refund (her card
    expired): the money is with the salon again, and back on the list as "Refund failed"
    until the owner's next refund goes through."""
    from tests.payments.test_owed_refunds import refunds_at_stripe
    from tests.payments.test_refund_failures import failed_at_stripe
    from tests.payments.test_webhooks import deliver, event

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = PAST_THE_FREE_DEADLINE
    staff = Desk(pay_client, aws.id, role="staff", staff_id="aino")
    assert staff.post(f"/appointments/{booking['id']}/cancel", {"by": "salon", "reason": "Sairas"})[0] == 200
    owner = Desk(pay_client, aws.id)
    assert owner.post(f"/appointments/{booking['id']}/refund", {"reason": "Salonki perui"})[0] == 200
    assert owner.get("/refunds/due") == (200, {"refunds": []})
    [refund] = refunds_at_stripe(stripe_env, aws, booking)
    assert deliver(pay_client, event("evt_owed_refund_failed", "refund.failed", failed_at_stripe(refund)))[0] == 200
    [row] = owner.get("/refunds/due")[1]["refunds"]
    assert (row["appointment_id"], row["held_cents"], row["mark"]) == (booking["id"], 4770, "refund_failed"), row
    assert owner.post(f"/appointments/{booking['id']}/refund", {"reason": "Uudelleen"})[0] == 200
    assert owner.get("/refunds/due") == (200, {"refunds": []})


def test_a_salon_cancellation_from_before_the_list_is_put_on_it_by_the_migration(
    pay_client, stripe_env, aws, frozen_now
):
    """A visit a staff member cancelled before the owner's list existed (no pointer) is
    listed after `rebook_cli index-refunds-due`; run again, nothing more."""
    from chalicelib.store import keys, payments
    from chalicelib.store.models import RefundDueItem

    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = PAST_THE_FREE_DEADLINE
    staff = Desk(pay_client, aws.id, role="staff", staff_id="aino")
    assert staff.post(f"/appointments/{booking['id']}/cancel", {"by": "salon", "reason": "Sairas"})[0] == 200
    RefundDueItem(keys.biz(aws.id), keys.refund_due_sk(booking["id"])).delete()  # as cancelled before
    owner = Desk(pay_client, aws.id)
    assert owner.get("/refunds/due") == (200, {"refunds": []})
    assert payments.index_refunds_due(aws.id) == 1
    assert [r["appointment_id"] for r in owner.get("/refunds/due")[1]["refunds"]] == [booking["id"]]
    assert payments.index_refunds_due(aws.id) == 0  # repeatable


def test_what_goes_back_by_itself_or_is_hers_to_keep_is_not_on_the_owners_list(pay_client, stripe_env, aws, frozen_now):
    """A client's own late cancellation (she phoned: her terms keep the deposit), and the
    owner's salon cancellation that gives it all back, leave the owner nothing to refund."""
    kept = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = PAST_THE_FREE_DEADLINE
    owner = Desk(pay_client, aws.id)
    assert owner.post(f"/appointments/{kept['id']}/cancel", {"by": "client", "reason": "Flunssa"})[0] == 200
    assert money_of(owner, kept)["mark"] == "paid"  # kept under her terms, not the owner's to give back
    assert owner.get("/refunds/due") == (200, {"refunds": []})
    given_back = paid_booking(pay_client, stripe_env)  # her freed time, booked again
    body = {"by": "salon", "reason": "Sairas", "refund": True}
    assert owner.post(f"/appointments/{given_back['id']}/cancel", body)[0] == 200
    assert owner.get("/refunds/due") == (200, {"refunds": []})


@pytest.mark.parametrize(
    ("payment", "back", "earlier", "says"),
    [
        (
            {"kind": "deposit", "paid_cents": 4770},
            0,
            0,
            {
                "fi": ("ennakkomaksuasi 47,70 € ei pidätetä: salonki on yhteydessä", "ennakkomaksusi 47,70 €"),
                "sv": ("behålls inte din handpenning på 47,70 €: salongen kontaktar dig", "handpenningen 47,70 €"),
                "en": ("your deposit of €47.70 is not kept: the salon will contact you", "your deposit of €47.70"),
            },
        ),
        (
            {"kind": "deposit", "paid_cents": 4770},
            0,
            2000,
            {
                "fi": ("loppua 27,70 € ei pidätetä: salonki on yhteydessä", "27,70 €"),
                "sv": ("behålls inte resten, 27,70 €: salongen kontaktar dig", "27,70 €"),
                "en": ("the rest, €27.70, is not kept: the salon will contact you", "€27.70"),
            },
        ),
        (
            {"kind": "prepay", "paid_cents": 12900},
            6450,
            0,
            {
                "fi": ("Loppua 64,50 € ei pidätetä, koska salonki perui ajan: salonki on yhteydessä", "64,50 €"),
                "sv": ("Resten, 64,50 €, behålls inte eftersom salongen avbokade: salongen kontaktar", "64,50 €"),
                "en": ("The rest, €64.50, is not kept, as the salon cancelled: the salon will contact", "€64.50"),
            },
        ),
    ],
    ids=["deposit", "part_refunded_before", "prepay_part_back"],
)
def test_what_the_salon_holds_is_never_called_kept_under_the_terms(payment, back, earlier, says):
    """Her email, SMS and page in fi, sv and en when the salon cancelled and holds money of hers."""
    from chalicelib.notify.render import render
    from chalicelib.pages.i18n import words
    from chalicelib.pages.views import money_words

    context = {
        "business": {"name": "Salon Demo"},
        "client": {"name": "Maija Meikäläinen", "first_name": "Maija"},
        "start": "2026-11-25T12:00:00+02:00",
        "payment": payment,
        "refund_cents": back,
        "refunded_before_cents": earlier,
        "by_salon": True,
    }
    money = {"kind": payment["kind"], "paid_cents": payment["paid_cents"], "back_cents": back, "earlier_cents": earlier}
    for loc, (said, in_sms) in says.items():
        done = render("cancelled", loc, context)
        page_says = money_words(money, words(loc), loc, True, salon=True) or ""
        for part in (done.text, done.html, page_says):
            flat = part.replace("\u00a0", " ")
            assert said.lower() in flat.lower(), (loc, part)
            assert not [w for w in TERMS if w in flat], (loc, part)
        sms = done.sms.replace("\u00a0", " ")
        assert in_sms in sms and not [w for w in TERMS if w in sms], (loc, sms)


def test_what_the_salon_holds_fits_her_sms_with_long_names():
    """The held deposit's words in one GSM-7 segment however long the names (the facts and
    the money sentence kept whole, as every cancellation SMS keeps them)."""
    from chalicelib.notify.gsm import gsm7_length
    from chalicelib.notify.render import render

    context = {
        **LONG_FACTS,
        # From its sender name (from a bare number the name stays, two segments: tests/notify/test_render.py).
        "business": {"name": "Parturi-Kampaamo Hiusateljee Kaunotar", "sms_sender": "Kaunotar"},
        "by_salon": True,
    }
    cases = ((("deposit", 12345), 0, 0, "123"), (("deposit", 12345), 0, 9075, "32"), (("prepay", 12345), 6000, 0, "63"))
    for loc in ("fi", "sv", "en"):
        for (kind, paid), back, earlier, rest in cases:
            money = {
                "payment": {"kind": kind, "paid_cents": paid},
                "refund_cents": back,
                "refunded_before_cents": earlier,
            }
            sms = render("cancelled", loc, {**context, **money}).sms
            assert gsm7_length(sms) <= 160 and re.search(rf"{rest}[,.]45|{rest}[,.]70", sms), (loc, sms)
