"""The "reminder" kind: a reminder of an upcoming visit by email or SMS."""

import re

import pytest
from conftest import LONG_NAMES, LONG_URL, build_context

from chalicelib.domain.locales import LOCALES
from chalicelib.notify.gsm import gsm7_length, is_gsm7, to_gsm7
from chalicelib.notify.localtime import format_local
from chalicelib.notify.render import Rendered, render

OFF_URL = "http://127.0.0.1:8000/m/tok_abc123#reminders"

# Reminders are transactional: nothing that sells. Whole words where a short stem
# could hide inside an ordinary word (e.g. "ale" in Finnish).
PROMO_SUBSTRINGS = [
    "tarjous",
    "tarjou",
    "alennus",
    "kampanja",
    "erbjudande",
    "rabatt",
    "kampanj",
    "offer",
    "discount",
    "promo",
    "coupon",
    "kupon",
    "voucher",
    "lahjakort",
    "presentkort",
    "-%",
    "% off",
]
PROMO_WORDS = [r"\bale\b", r"\brea\b", r"\bsale\b", r"\bdeal\b", r"\bbonus\b"]


def reminder_context(**overrides) -> dict:
    return build_context(**{"reminders_off_url": OFF_URL, **overrides})


def all_parts(r: Rendered) -> str:
    return "\n".join([r.subject, r.text, r.html, r.sms])


@pytest.fixture
def context() -> dict:
    return reminder_context()


@pytest.fixture
def long_context() -> dict:
    return reminder_context(**LONG_NAMES)


# --- content ----------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_renders_all_parts(context, locale):
    r = render("reminder", locale, context)
    assert r.subject and r.text.strip() and r.html.strip() and r.sms
    assert "\n" not in r.subject and r.subject == r.subject.strip()
    when = format_local(context["start"], locale)
    for part in (r.text, r.html):
        assert when in part  # 'klo' and the time joined by a no-break space
    # A subject is one line with plain spaces; an SMS is GSM-7 (a plain space).
    assert " ".join(when.split()) in r.subject and to_gsm7(when) in r.sms
    assert "None" not in all_parts(r)


def test_finnish_reminder_is_personal_and_says_what_when_who_where(context):
    r = render("reminder", "fi", context)
    assert r.subject == "Muistutus: Naisten hiustenleikkaus, ti 24.11. klo 14.00"  # one line, plain spaces
    assert r.text.startswith("Hei Maija,\n")
    assert "ti 24.11. klo\u00a014.00" in r.text
    assert "Aika: ti 24.11. klo\u00a014.00–15.00" in r.text
    for part in (r.text, r.html):
        assert "Maija" in part
        assert "ti 24.11. klo\u00a014.00–15.00" in part
        assert "Naisten hiustenleikkaus" in part
        assert "Aino" in part
        assert "Salon Aurora" in part
        assert "Fredrikinkatu 20, 00120 Helsinki" in part
        assert context["manage_url"] in part
        assert "ma 23.11. klo\u00a014.00 asti" in part  # the cancellation deadline
    assert "muistutamme tulevasta ajastasi" in r.text


@pytest.mark.parametrize(
    "locale, greeting, subject, when, deadline",
    [
        (
            "sv",
            "Hej Maija,",
            "Påminnelse: Naisten hiustenleikkaus, tis 24.11. kl. 14.00",  # a subject: plain spaces
            "tis 24.11. kl.\u00a014.00–15.00",
            "fram till mån 23.11. kl.\u00a014.00",
        ),
        (
            "en",
            "Hi Maija,",
            "Reminder: Naisten hiustenleikkaus, Tue 24 Nov at 14:00",
            "Tue 24 Nov at\u00a014:00–15:00",
            "until Mon 23 Nov at\u00a014:00",
        ),
    ],
)
def test_swedish_and_english_reminders(context, locale, greeting, subject, when, deadline):
    r = render("reminder", locale, context)
    assert r.subject == subject
    assert r.text.startswith(greeting + "\n")
    for part in (r.text, r.html):
        assert when in part
        assert deadline in part
        assert "Aino" in part and "Fredrikinkatu 20, 00120 Helsinki" in part
        assert context["manage_url"] in part


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("which", ["context", "long_context"])
def test_manage_link_is_in_every_channel(request, locale, which):
    ctx = request.getfixturevalue(which)
    r = render("reminder", locale, ctx)
    for part in (r.text, r.html, r.sms):
        assert ctx["manage_url"] in part
    assert r.sms.endswith(ctx["manage_url"])


@pytest.mark.parametrize(
    "locale, line",
    [
        ("fi", f"Etkö halua muistutuksia? Poista ne käytöstä: {OFF_URL}"),
        ("sv", f"Vill du inte få påminnelser? Stäng av dem här: {OFF_URL}"),
        ("en", f"Don't want reminders? Turn them off: {OFF_URL}"),
    ],
)
def test_email_footer_links_to_turning_reminders_off(context, locale, line):
    r = render("reminder", locale, context)
    assert r.text.rstrip().endswith(line)
    assert f'href="{OFF_URL}"' in r.html
    assert OFF_URL not in r.sms  # the SMS has room for one link only: the manage link


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("missing", ["none", "absent"])
def test_without_reminders_off_url_there_is_no_footer(make_context, locale, missing):
    ctx = make_context(reminders_off_url=None)
    if missing == "absent":
        del ctx["reminders_off_url"]
    r = render("reminder", locale, ctx)
    assert "#reminders" not in all_parts(r)
    assert "muistutuksia?" not in r.text + r.html
    assert "påminnelser?" not in r.text + r.html
    assert "reminders?" not in r.text + r.html
    assert "None" not in all_parts(r)
    assert r.text.rstrip().endswith("Salon Aurora")


def test_without_deadline_phone_or_note_the_email_still_reads_well(make_context):
    ctx = make_context(reminders_off_url=None, cancellation_deadline=None, business={"phone": None})
    r = render("reminder", "fi", ctx)
    assert "voit siirtää tai perua varauksesi tästä linkistä:" in r.text
    assert "asti" not in r.text + r.html
    assert "soita" not in r.text
    assert "None" not in all_parts(r)
    assert "\n\n\n" not in r.text


def test_note_is_shown(context):
    context["note"] = "Tule 5 min etuajassa"
    r = render("reminder", "fi", context)
    assert "Lisätiedot: Tule 5 min etuajassa" in r.text and "Tule 5 min etuajassa" in r.html


@pytest.mark.parametrize("locale", LOCALES)
def test_optional_keys_may_be_missing_altogether(make_context, locale):
    ctx = make_context()
    for key in ("note", "cancellation_deadline", "previous_start", "end", "book_url"):
        del ctx[key]
    del ctx["business"]["phone"], ctx["business"]["address"], ctx["staff"], ctx["service"]
    r = render("reminder", locale, ctx)
    assert format_local(ctx["start"], locale) in r.text
    assert ctx["manage_url"] in r.sms
    assert "None" not in all_parts(r)


@pytest.mark.parametrize("locale", LOCALES)
def test_without_manage_url_nothing_dangles(context, locale):
    context["manage_url"] = context["reminders_off_url"] = None
    r = render("reminder", locale, context)
    assert "None" not in all_parts(r)
    assert "/m/" not in all_parts(r)
    for label in ("Muuta/peru", "Ändra/avboka", "Change/cancel", "linkistä", "via länken", "this link"):
        assert label not in r.sms + r.text
    assert "\n" not in r.sms  # no empty link line left behind


def test_first_name_is_taken_from_full_name_when_missing(make_context):
    r = render("reminder", "fi", make_context(client={"name": "Liisa Laine", "first_name": None}))
    assert r.text.startswith("Hei Liisa,")
    assert r.sms.startswith("Hei Liisa! ")


def test_unknown_locale_falls_back_to_finnish(context):
    assert render("reminder", "de", context) == render("reminder", "fi", context)
    assert render("reminder", "sv-FI", context) == render("reminder", "sv", context)


# --- no marketing -----------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("which", ["context", "long_context"])
def test_reminders_contain_no_promotions(request, locale, which):
    everything = all_parts(render("reminder", locale, request.getfixturevalue(which))).lower()
    for word in PROMO_SUBSTRINGS:
        assert word not in everything, word
    for pattern in PROMO_WORDS:
        assert not re.search(pattern, everything), pattern
    assert "/book/" not in everything  # no "book again" pitch


# --- HTML -------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_html_escapes_names_but_text_and_subject_do_not(make_context, locale):
    ctx = make_context(
        client={"first_name": "<b>Eve</b>"},
        service={"name": "Cut & Style"},
        staff={"name": "Jo <script>"},
        reminders_off_url="https://x.fi/off?a=1&b=2",
    )
    r = render("reminder", locale, ctx)
    assert "&lt;b&gt;Eve&lt;/b&gt;" in r.html
    assert "<b>Eve</b>" not in r.html
    assert "<script>" not in r.html
    assert "Cut &amp; Style" in r.html
    assert 'href="https://x.fi/off?a=1&amp;b=2"' in r.html
    assert "<b>Eve</b>" in r.text
    assert "Cut & Style" in r.text and "https://x.fi/off?a=1&b=2" in r.text
    assert "&amp;" not in r.text + r.subject + r.sms


@pytest.mark.parametrize("locale", LOCALES)
def test_html_is_a_complete_self_contained_document(context, locale):
    html = render("reminder", locale, context).html
    assert html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{locale}">' in html
    assert 'name="viewport"' in html
    assert "<link" not in html and "<img" not in html and "<script" not in html


# --- SMS --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "locale, expected",
    [
        (
            "fi",
            "Hei Maija! Muistutus: Naisten hiustenleikkaus ti 24.11. klo 14.00, Aino, Salon Aurora.\n"
            "Muuta/peru: http://127.0.0.1:8000/m/tok_abc123",
        ),
        (
            "sv",
            "Hej Maija! Påminnelse: Naisten hiustenleikkaus tis 24.11. kl. 14.00, Aino, Salon Aurora.\n"
            "Ändra/avboka: http://127.0.0.1:8000/m/tok_abc123",
        ),
        (
            "en",
            "Hi Maija! Reminder: Naisten hiustenleikkaus, Tue 24 Nov at 14:00 with Aino, Salon Aurora.\n"
            "Change/cancel: http://127.0.0.1:8000/m/tok_abc123",
        ),
    ],
)
def test_default_sms_keeps_everything_and_fits_one_segment(context, locale, expected):
    sms = render("reminder", locale, context).sms
    assert sms == expected
    assert is_gsm7(sms) and gsm7_length(sms) <= 160


@pytest.mark.parametrize("locale", LOCALES)
def test_sms_with_long_realistic_names_fits_160_gsm7_units(long_context, locale):
    assert len(long_context["manage_url"]) == 90
    sms = render("reminder", locale, long_context).sms
    assert is_gsm7(sms)
    assert gsm7_length(sms) <= 160
    assert to_gsm7(format_local(long_context["start"], locale)) in sms
    assert sms.endswith(LONG_URL)  # the link is never cut
    assert "Parturi" in sms  # the business stays recognisable


@pytest.mark.parametrize("locale", LOCALES)
def test_sms_never_shows_price_address_or_opt_out_link(make_context, locale):
    sms = render("reminder", locale, make_context(service={"price_cents": 98765}, reminders_off_url=OFF_URL)).sms
    assert "€" not in sms and "987" not in sms
    assert "Fredrikinkatu" not in sms
    assert "#reminders" not in sms


def test_shortening_drops_the_service_name_first(make_context):
    ctx = make_context(
        manage_url="https://varaa.rebook.fi/m/" + "x" * 55, service={"name": "Naisten hiustenleikkaus ja föönaus"}
    )
    sms = render("reminder", "fi", ctx).sms
    assert gsm7_length(sms) <= 160
    assert "hiustenleikkaus" not in sms
    assert "Aino" in sms and "Salon Aurora" in sms and sms.startswith("Hei Maija! Muistutus: ti 24.11. klo 14.00")
