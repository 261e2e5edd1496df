"""The feedback request (email with five one-click stars, or one SMS link) and the
owner's low-score alert, in fi, sv and en."""

from __future__ import annotations

import pytest

from chalicelib.domain.locales import LOCALES
from chalicelib.notify.gsm import gsm7_length, is_gsm7
from chalicelib.notify.render import render
from tests.notify.conftest import LONG_NAMES, build_context

# A feedback token is as long as a manage token; the page URL carries it.
FB_URL = "https://varaa.rebook.fi/f/" + "f.b123xyz9.a1b2c3d4e5f6.tqll80.YvWAN2FAx24GgiGgt_V82g"


def feedback_context(**overrides):
    return build_context(feedback_url=FB_URL, star_urls=[f"{FB_URL}?r={n}" for n in range(1, 6)], **overrides)


@pytest.mark.parametrize("locale", LOCALES)
def test_email_has_five_one_click_star_links(locale):
    r = render("feedback_request", locale, feedback_context())
    for n in range(1, 6):
        assert f'href="{FB_URL}?r={n}"' in r.html
        assert f"{FB_URL}?r={n}" in r.text
    assert "Maija" in r.text and "Naisten hiustenleikkaus" in r.text and "Salon Aurora" in r.subject
    assert "€" not in r.text  # no promotions in a transactional message


@pytest.mark.parametrize("locale", LOCALES)
def test_sms_with_long_realistic_names_fits_160_gsm7_units_and_keeps_the_link(locale):
    sms = render("feedback_request", locale, feedback_context(**LONG_NAMES)).sms
    assert is_gsm7(sms) and gsm7_length(sms) <= 160, (len(sms), sms)
    assert sms.endswith(FB_URL)
    assert "Parturi" in sms or "Kaunotar" in sms


@pytest.mark.parametrize("locale", LOCALES)
def test_owner_alert_has_the_rating_the_comment_the_visit_and_the_contact(locale):
    ctx = build_context(
        rating=2,
        comment="Waited 40 minutes <b>",
        client={"name": "Maija Meikäläinen", "phone": "+358401234567", "email": "maija@example.com"},
    )
    r = render("feedback_alert", locale, ctx)
    assert "2/5" in r.subject and "Maija Meikäläinen" in r.subject
    for part in (r.text, r.html):
        assert "+358401234567" in part and "maija@example.com" in part and "Naisten hiustenleikkaus" in part
    assert "Waited 40 minutes <b>" in r.text and "Waited 40 minutes &lt;b&gt;" in r.html
