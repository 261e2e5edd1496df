"""The message that tells her a fee charged to her card was given back: which visit, which
fee, how much, back to the card it was charged to (a few days at her bank), and the
salon's phone; its SMS in one segment."""

from __future__ import annotations

import pytest

from chalicelib.notify.gsm import gsm7_length, is_gsm7, to_gsm7
from chalicelib.notify.localtime import format_local, format_price
from chalicelib.notify.render import render
from tests.notify.conftest import LONG_NAMES, build_context

FEE = {"amount_cents": 11130, "fee_kind": "no_show"}
WORDS = {
    # the fee's names; the card it was charged to; a few days at her bank
    "fi": ("Saapumatta jättämisen maksu", "Myöhäisen peruutuksen maksu", "kortille, jolta se veloitettiin", "päivän"),
    "sv": ("Avgift för uteblivet besök", "Avgift för sen avbokning", "kortet den drogs från", "några dagar"),
    "en": ("No-show fee", "Late-cancellation fee", "the card it was charged to", "a few days"),
}
SMS_CARD = {"fi": "palautettu samalle kortille", "sv": "återbetald till samma kort", "en": "refunded to the card"}


@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
@pytest.mark.parametrize("fee_kind", ["no_show", "late_cancel"])
def test_the_email_names_the_visit_the_fee_the_amount_the_card_and_the_phone(locale, fee_kind):
    ctx = build_context(amount_cents=11130, fee_kind=fee_kind)
    msg = render("fee_refunded", locale, ctx)
    name = WORDS[locale][0 if fee_kind == "no_show" else 1]
    price, when = format_price(11130, locale), format_local(ctx["start"], locale)
    assert name in msg.subject and " ".join(price.split()) in msg.subject  # a subject is one line, plain spaces
    for part in (msg.text, msg.html):
        assert name in part and price in part and when in part
        assert ctx["service"]["name"] in part and ctx["business"]["phone"] in part
        assert WORDS[locale][2] in part and WORDS[locale][3] in part
    assert "unsubscribe" not in msg.text.lower()  # a transactional message


@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
@pytest.mark.parametrize("fee_kind", ["no_show", "late_cancel"])
@pytest.mark.parametrize("names", [{}, LONG_NAMES], ids=["short", "long"])
def test_the_sms_fits_one_segment_with_the_facts_and_the_phone_whole(locale, fee_kind, names):
    ctx = build_context(**names, amount_cents=11130, fee_kind=fee_kind)
    sms = render("fee_refunded", locale, ctx).sms
    assert is_gsm7(sms) and gsm7_length(sms) <= 160
    assert WORDS[locale][0 if fee_kind == "no_show" else 1] in sms and SMS_CARD[locale] in sms
    assert to_gsm7(format_price(11130, locale)) in sms and to_gsm7(format_local(ctx["start"], locale)) in sms
    assert sms.endswith(ctx["business"]["phone"])


def test_without_a_phone_the_sms_ends_with_the_facts():
    ctx = build_context(business={"phone": None}, **FEE)
    sms = render("fee_refunded", "fi", ctx).sms
    assert sms.endswith("Salon Aurora.") and "Kysyttävää" not in sms
