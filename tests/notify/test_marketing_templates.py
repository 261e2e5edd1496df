"""Win-back, "time for your next visit" and birthday messages in fi, sv and en: personal, with the rebook link and
an unsubscribe link in every part, and links never cut in an SMS."""

from __future__ import annotations

import pytest

from chalicelib.notify.render import render
from tests.notify.conftest import LONG_NAMES, build_context

UNSUB = "https://varaa.rebook.fi/u/u.b123xyz9.c1b2c3d4e5f6.w0ll80.YvWAN2FAx24GgiGgt_V82g"
BOOK = "https://varaa.rebook.fi/book/demo?service=womens-cut&staff=aino"


def ctx(**kw):
    return build_context(**{"unsubscribe_url": UNSUB, "book_url": BOOK, "perk": "-20 % koodilla SYNTTARIT", **kw})


@pytest.mark.parametrize("kind", ["winback", "nudge", "birthday"])
@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
def test_every_part_has_the_links_and_the_name(kind, locale):
    r = render(kind, locale, ctx())
    for part in (r.text, r.html):
        assert UNSUB in part.replace("&amp;", "&") and BOOK in part.replace("&amp;", "&")
        assert "Maija" in part
    assert "Salon Aurora" in r.subject
    assert UNSUB in r.sms


@pytest.mark.parametrize("kind", ["winback", "nudge", "birthday"])
@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
def test_sms_links_survive_long_names(kind, locale):
    sms = render(kind, locale, ctx(**{k: v for k, v in LONG_NAMES.items() if k != "book_url"})).sms
    assert sms.endswith(UNSUB)
    if kind in ("winback", "nudge"):
        assert BOOK in sms
    from chalicelib.notify.gsm import gsm7_length

    assert gsm7_length(sms) <= 306  # two segments at most


def test_winback_names_the_last_service():
    r = render("winback", "fi", ctx(service={"name": "Naisten hiustenleikkaus"}, staff={"name": "Aino"}))
    assert "Naisten hiustenleikkaus" in r.text and "Aino" in r.text


@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
def test_the_nudge_names_her_usual_service_and_staff_in_every_part(locale):
    r = render("nudge", locale, ctx(service={"name": "Naisten hiustenleikkaus"}, staff={"name": "Aino"}))
    for part in (r.text, r.html, r.sms):
        assert "Naisten hiustenleikkaus" in part and "Aino" in part
