"""Issue 17 (4): every email fits a 320 px screen. Each message kind is rendered in each
language with long, real-looking names and links, opened in Chromium at 320 px, and
must not scroll sideways (the feedback request's five star buttons once made it 532 px
wide)."""

from __future__ import annotations

import pytest

from chalicelib.domain.locales import LOCALES
from tests.notify.conftest import LONG_NAMES, build_context

URL = "https://varaa.rebook.fi/f/" + "f.b123xyz9.a1b2c3d4e5f6.tqll80.YvWAN2FAx24GgiGgt_V82g"
KINDS = (
    "confirmation",
    "reminder",
    "rescheduled",
    "cancelled",
    "feedback_request",
    "feedback_alert",
    "winback",
    "birthday",
    "reward",
    "personal",
)


def context(kind: str) -> dict:
    ctx = build_context(
        **LONG_NAMES,
        unsubscribe_url=URL,
        feedback_url=URL,
        star_urls=[f"{URL}?r={n}" for n in range(1, 6)],
        perk="-20 % syntymäpäiväkuukautena koodilla SYNTTARIT",
        card_url=URL,
        note="Pitkät, paksut hiukset; allergia: ammoniakki",
        rating=2,
        comment="Odotin neljäkymmentä minuuttia eikä kukaan pahoitellut",
        text="Hei! Huomasin, että edellisestä käynnistäsi on jo aikaa. Tervetuloa taas!",
        reward={
            "id": "loy-1",
            "kind": "loyalty",
            "description": "-50 % seuraavasta käynnistä",
            "expires_on": "2027-11-30",
        },
    )
    ctx["client"].update(phone="+358401234567", email="maija-liisa.virtanen-hamalainen@example.com")
    return ctx


@pytest.fixture(scope="module")
def narrow(browser):
    context_ = browser.new_context(viewport={"width": 320, "height": 640})
    page = context_.new_page()
    yield page
    context_.close()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_email_fits_320_px(narrow, kind, locale):
    from chalicelib.notify.render import render

    html = render(kind, locale, context(kind)).html
    narrow.set_content(html)
    width = narrow.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{kind}/{locale} is {width} px wide at 320 px"


def test_the_feedback_stars_wrap_instead_of_widening_the_email(narrow):
    from chalicelib.notify.render import render

    narrow.set_content(render("feedback_request", "fi", context("feedback_request")).html)
    tops = narrow.evaluate("[...document.querySelectorAll('a[href*=\"?r=\"]')].map(a => a.getBoundingClientRect().top)")
    assert len(tops) == 5 and tops[4] > tops[0]  # on more than one line
    labels = narrow.evaluate(
        "[...document.querySelectorAll('a[href*=\"?r=\"]')].map(a => a.getAttribute('aria-label'))"
    )
    assert labels[0] == "1 tähti" and labels[1] == "2 tähteä"
