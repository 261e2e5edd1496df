"""What she is told of her money when a booking the owner refunded part of first is
cancelled: what comes back now (the cancellation's own refund, fees.refund_on_cancel) and
what was refunded earlier — never the whole deposit again, and never "kept" when all of
it went back before."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.admin.helpers import Desk
from tests.api.helpers import token_of
from tests.api.test_pages import form_post, page
from tests.conftest import emails_to, sent_sms
from tests.payments.conftest import LONG_FACTS
from tests.payments.test_fees import money_of, paid_booking
from tests.payments.test_owed_refunds import cancel_by_her

NBSP = "\u00a0"


def refunded_first(pay_client, aws, booking, *amounts: int) -> Desk:
    desk = Desk(pay_client, aws.id)
    for cents in amounts:
        status, body = desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": cents, "reason": "x"})
        assert status == 200, body
    return desk


def test_her_cancellation_after_a_partial_refund_names_what_comes_back_now(pay_client, stripe_env, aws):
    booking = paid_booking(pay_client, stripe_env)  # 47,70 € deposit, inside the free window
    desk = refunded_first(pay_client, aws, booking, 1000, 500)
    token = token_of(booking["manage_url"])

    _, html = page(pay_client, f"/m/{token}?lang=fi&cancel=1")
    said = re.search(r'<p id="money">([^<]*)</p>', html)
    assert said, html
    assert said[1] == (
        f"Maksustasi 47,70{NBSP}€ on jo palautettu 15,00{NBSP}€. Jos perut nyt, kortillesi palautetaan 32,70{NBSP}€."
    )
    _, html = page(pay_client, f"/m/{token}?lang=en&cancel=1")
    assert "€15.00 of your payment of €47.70 was refunded earlier. If you cancel now, €32.70 will be refunded" in html

    status, _, _ = form_post(pay_client, f"/m/{token}/cancel", {"reason": "", "lang": "fi"})
    assert status == 303
    money = money_of(desk, booking)
    assert money["refunded_cents"] == 4770  # 15,00 € before, 32,70 € by the cancellation

    _, html = page(pay_client, f"/m/{token}?done=cancelled&lang=fi")
    assert "47,70\u00a0€ palautetaan" not in html
    assert re.search(
        r"Maksustasi 47,70.€ palautettiin aiemmin 15,00.€, ja nyt kortillesi palautetaan 32,70.€; se näkyy", html
    )
    _, html = page(pay_client, f"/m/{token}?done=cancelled&lang=sv")
    assert re.search(r"Av din betalning på 47,70.€ betalades 15,00.€ tillbaka tidigare, och nu betalas 32,70.€", html)

    [mail] = emails_to("maija@example.com", "peruttu")
    assert "Ennakkomaksusi 47,70" not in mail
    assert re.search(r"Maksustasi 47,70.€ palautettiin aiemmin 15,00.€, ja nyt kortillesi palautetaan 32,70.€", mail)
    [sms] = [m[1] for m in sent_sms() if "peruttu" in m[1]]
    assert re.search(r"Kortillesi palautetaan nyt 32,70.€ \(jo palautettu 15,00.€\)\.", sms), sms


def test_her_cancellation_via_the_api_tells_the_same(pay_client, stripe_env, aws):
    booking = paid_booking(pay_client, stripe_env)
    refunded_first(pay_client, aws, booking, 1000, 500)
    status, view = cancel_by_her(pay_client, booking)
    assert status == 200 and view["status"] == "cancelled", view
    [mail] = emails_to("maija@example.com", "peruttu")
    assert re.search(r"palautettiin aiemmin 15,00.€, ja nyt kortillesi palautetaan 32,70.€", mail)


def test_the_salons_cancellation_after_a_partial_refund_names_the_rest(pay_client, stripe_env, aws):
    booking = paid_booking(pay_client, stripe_env)
    desk = refunded_first(pay_client, aws, booking, 2000)
    status, view = desk.post(f"/appointments/{booking['id']}/cancel", {"reason": "Kampaaja sairastui", "by": "salon"})
    assert status == 200 and view["status"] == "cancelled", view
    assert money_of(desk, booking)["refunded_cents"] == 4770
    [mail] = emails_to("maija@example.com", "peruttu")
    assert "Ennakkomaksusi 47,70" not in mail
    assert re.search(r"palautettiin aiemmin 20,00.€, ja nyt kortillesi palautetaan 27,70.€", mail)
    [sms] = [m[1] for m in sent_sms() if "Jouduimme perumaan" in m[1]]
    assert "47,70" not in sms
    assert re.search(r"Kortillesi palautetaan nyt 27,70.€ \(jo palautettu 20,00.€\)\.", sms), sms


THE_MORNING_OF_IT = datetime(2026, 11, 25, 6, tzinfo=UTC)  # 8:00 on the day: past the free deadline


@pytest.mark.parametrize(
    ("before", "mail_says", "sms_says"),
    [
        (
            (),
            r"Ennakkomaksusi 47,70.€ palautetaan kortillesi; se näkyy",
            r"Ennakkomaksu 47,70.€ palautetaan kortillesi\.",
        ),
        (
            (2000,),
            r"Maksustasi 47,70.€ palautettiin aiemmin 20,00.€, ja nyt kortillesi palautetaan 27,70.€; se näkyy",
            r"Kortillesi palautetaan nyt 27,70.€ \(jo palautettu 20,00.€\)\.",
        ),
        (
            (4770,),
            r"Maksusi 47,70.€ on jo palautettu kortillesi kokonaan\.",
            r"Maksu 47,70.€ on jo palautettu kokonaan\.",
        ),
    ],
    ids=["nothing_before", "part_before", "all_before"],
)
def test_the_salon_cancels_and_gives_back_the_rest_in_the_same_step(
    pay_client, stripe_env, aws, frozen_now, before, mail_says, sms_says
):
    # The desk's "give the deposit back (the salon cancels)" refunded first and cancelled
    # after: the message said it was "already refunded in full" — also of the 47,70 € that
    # went back with the cancellation itself. Late, too, where her own terms keep it.
    booking = paid_booking(pay_client, stripe_env)
    desk = refunded_first(pay_client, aws, booking, *before)
    frozen_now["now"] = THE_MORNING_OF_IT
    body = {"reason": "Kampaaja sairastui", "by": "salon", "refund": True}
    status, view = desk.post(f"/appointments/{booking['id']}/cancel", body)
    assert status == 200 and view["status"] == "cancelled", view
    assert money_of(desk, booking)["refunded_cents"] == 4770  # all of it back, in any case
    [mail] = emails_to("maija@example.com", "peruttu")
    assert re.search(mail_says, mail) and "ei palauteta" not in mail, mail
    [sms] = [m[1] for m in sent_sms() if "Jouduimme perumaan" in m[1]]
    assert re.search(sms_says, sms) and "ei palauteta" not in sms, sms
    _, html = page(pay_client, f"/m/{token_of(booking['manage_url'])}?done=cancelled&lang=fi")
    assert re.search(mail_says.split(";")[0], html), html  # her manage page says the same


@pytest.mark.parametrize(
    ("back", "earlier", "says"),
    [
        (
            4770,
            0,
            {"sv": "Din handpenning på 47,70 € betalas tillbaka", "en": "Your deposit of €47.70 will be refunded"},
        ),
        (
            2770,
            2000,
            {
                "sv": "Av din betalning på 47,70 € betalades 20,00 € tillbaka tidigare, och nu betalas 27,70 €",
                "en": "€20.00 of your payment of €47.70 was refunded earlier; €27.70 is refunded to your card now",
            },
        ),
        (0, 4770, {"sv": "har redan betalats tillbaka till ditt kort i sin helhet", "en": "already been refunded"}),
    ],
    ids=["nothing_before", "part_before", "all_before"],
)
def test_the_salons_give_back_in_swedish_and_english(back, earlier, says):
    """The money of the salon's give-back (above, in Finnish) as the sv and en messages say it."""
    from chalicelib.notify.render import render

    context = {
        "business": {"name": "Salon Demo"},
        "client": {"name": "Maija Meikäläinen", "first_name": "Maija"},
        "start": "2026-11-25T12:00:00+02:00",
        "payment": {"kind": "deposit", "paid_cents": 4770},
        "refund_cents": back,
        "refunded_before_cents": earlier,
        "by_salon": True,
    }
    for loc, said in says.items():
        done = render("cancelled", loc, context)
        assert said in done.text.replace(NBSP, " "), (loc, done.text)
        assert "not refunded" not in done.text and "återbetalas inte" not in done.text
        assert re.search(r"27[,.]70|47[,.]70", done.sms), (loc, done.sms)


def test_giving_back_on_cancelling_is_the_owners(pay_client, stripe_env, aws):
    from tests.payments.test_checkout import desk_strings_say

    booking = paid_booking(pay_client, stripe_env)
    staff = Desk(pay_client, aws.id, role="staff", staff_id="aino")
    status, body = staff.post(f"/appointments/{booking['id']}/cancel", {"by": "salon", "refund": True})
    assert status == 403 and (body["error"]["code"], body["error"]["reason"]) == ("owner_only", "refund"), body
    assert money_of(Desk(pay_client, aws.id), booking)["refunded_cents"] == 0
    assert desk_strings_say("err_owner_only_refund")  # the dashboard says why, in her language


def test_all_refunded_before_the_cancellation_is_not_called_kept(pay_client, stripe_env, aws):
    booking = paid_booking(pay_client, stripe_env)
    desk = refunded_first(pay_client, aws, booking, 4770)
    token = token_of(booking["manage_url"])
    _, html = page(pay_client, f"/m/{token}?lang=fi&cancel=1")
    assert f"Maksusi 47,70{NBSP}€ on jo palautettu kortillesi kokonaan." in html
    assert "ei palauteta" not in html.split("<main>", 1)[1].split('id="money"', 1)[1].split("</p>", 1)[0]
    status, view = desk.post(f"/appointments/{booking['id']}/cancel", {"reason": "Kampaaja sairastui", "by": "salon"})
    assert status == 200, view
    [mail] = emails_to("maija@example.com", "peruttu")
    assert re.search(r"Maksusi 47,70.€ on jo palautettu kortillesi kokonaan\.", mail)
    assert "ei palauteta" not in mail
    [sms] = [m[1] for m in sent_sms() if "Jouduimme perumaan" in m[1]]
    assert "Maksu 47,70 € on jo palautettu kokonaan." in sms and "ei palauteta" not in sms
    _, html = page(pay_client, f"/m/{token}?done=cancelled&lang=fi")
    assert f"Maksusi 47,70{NBSP}€ on jo palautettu kortillesi kokonaan." in html


def test_the_words_in_every_case():
    from chalicelib.notify.render import render
    from chalicelib.pages.i18n import words
    from chalicelib.pages.views import money_words

    late = {"kind": "deposit", "paid_cents": 4770, "back_cents": 0, "earlier_cents": 1500}
    for loc, rest in (("fi", "loppua 32,70"), ("sv", "resten, 32,70"), ("en", "the rest, €32.70")):
        said = money_words(late, words(loc), loc, True)
        assert said and rest in said.replace(NBSP, " ") and "15" in said, said
    context = {
        "business": {"name": "Salon Demo"},
        "client": {"name": "Maija Meikäläinen"},
        "start": "2026-11-25T12:00:00+02:00",
        "payment": {"kind": "deposit", "paid_cents": 4770},
        "refund_cents": 3270,
        "refunded_before_cents": 1500,
    }
    for loc in ("fi", "sv", "en"):
        done = render("cancelled", loc, context)
        for part in (done.text, done.html, done.sms):
            assert re.search(r"32[,.]70", part) and re.search(r"15[,.]00", part), (loc, part)
            assert "47,70 € palaut" not in part


def test_the_cancellation_sms_with_an_earlier_refund_keeps_to_one_segment():
    from chalicelib.notify.gsm import gsm7_length
    from chalicelib.notify.render import render

    context = {
        **LONG_FACTS,
        # From its sender name (from a bare number the name stays, two segments: tests/notify/test_render.py).
        "business": {"name": "Parturi-Kampaamo Hiusateljee Kaunotar", "sms_sender": "Kaunotar"},
        "payment": {"kind": "deposit", "paid_cents": 12345},
        "by_salon": True,
    }
    for loc in ("fi", "sv", "en"):
        for back, earlier in ((3270, 9075), (0, 9075), (0, 12345)):
            sms = render("cancelled", loc, {**context, "refund_cents": back, "refunded_before_cents": earlier}).sms
            assert gsm7_length(sms) <= 160, (loc, sms)
            assert re.search(r"90[,.]75|123[,.]45", sms), (loc, sms)  # the money sentence is kept whole


def test_a_late_cancellation_sms_names_the_fee_the_salon_may_charge_in_one_segment():
    """Cancelled late with her card saved: the SMS says the late-cancellation fee the salon
    may charge (its amount, as the email does) — alone with a card on file, after the
    deposit kept when she paid one — in one GSM-7 segment however long the names; a
    deposit kept and no fee more: the deposit alone."""
    from chalicelib.notify.gsm import gsm7_length
    from chalicelib.notify.render import render

    context = {
        **LONG_FACTS,
    }
    deposit_kept = {"payment": {"kind": "deposit", "paid_cents": 12345}, "refund_cents": 0}
    says = {
        "fi": (
            r"Myöhäisestä perumisesta voidaan veloittaa 64,50 €\.",
            r"Ennakkomaksu 123,45 € ei palaudu\. Myöhäisestä",
        ),
        "sv": (r"För sen avbokning kan 64,50 € debiteras\.", r"Handpenningen 123,45 € återbetalas inte\. För sen"),
        "en": (
            r"A late-cancellation fee of €64\.50 may be charged\.",
            r"The €123\.45 deposit is not refunded\. A late",
        ),
    }
    for loc, (card_only, kept) in says.items():
        sms = render("cancelled", loc, {**context, "late_fee_cents": 6450}).sms
        assert gsm7_length(sms) <= 160 and re.search(card_only, sms), (loc, sms)
        sms = render("cancelled", loc, {**context, **deposit_kept, "late_fee_cents": 3180}).sms
        assert gsm7_length(sms) <= 160, (loc, sms)
        assert re.search(rf"{kept}[^.]*31[,.]80", sms), (loc, sms)
        sms = render("cancelled", loc, {**context, **deposit_kept}).sms
        assert gsm7_length(sms) <= 160 and re.search(r"123[,.]45", sms), (loc, sms)
        assert "64" not in sms and "31" not in sms and not re.search("late|perumisesta|sen avbokning", sms), (loc, sms)


@pytest.mark.parametrize("name", ["Salon Aurora", "Parturi-Kampaamo Kaunotar", "Parturi-Kampaamo Hiusateljee Kaunotar"])
@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
def test_a_late_cancellation_sms_never_cuts_the_salons_name_inside_a_word(name, locale):
    """The demo salon's late cancellation, deposit kept and a late fee: one segment, what
    is kept and what may be charged, and the salon's name whole (the demo's) or cut where
    a word ends - never "Salon Auro" / "Salon Au"."""
    from chalicelib.notify.gsm import gsm7_length
    from chalicelib.notify.render import render

    context = {
        "business": {"name": name},
        "client": {"name": "Sofia Lind", "first_name": "Sofia"},
        "service": {"name": "Damklippning"},
        "staff": {"name": "Sanna Korhonen"},
        "start": "2026-11-27T12:00:00+02:00",
        "book_url": "http://127.0.0.1:8230/book/demo?service=womens-cut&staff=sanna&again=r.mtg6q85p.rjatxa6yywyb.tvbyk0.3_QOVFOrY_IqRuWSOd2jUQ",
        "payment": {"kind": "deposit", "paid_cents": 1500},
        "refund_cents": 0,
        "late_fee_cents": 1950,
    }
    sms = render("cancelled", locale, context).sms
    assert gsm7_length(sms) <= 160, sms
    assert re.search(r"15[,.]00", sms) and re.search(r"19[,.]50", sms), sms
    shown = sms.splitlines()[0].rpartition(", ")[2].removesuffix(".")
    assert shown == name or (name.startswith(shown) and name[len(shown)] in " -"), sms
    if name == "Salon Aurora":
        assert shown == name, sms
