import re

import pytest
from conftest import LONG_NAMES, build_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.locales import LOCALES
from chalicelib.links import shorter_book_urls
from chalicelib.notify.gsm import gsm7_length, is_gsm7, to_gsm7
from chalicelib.notify.localtime import format_date, format_day, format_local, format_price, format_time
from chalicelib.notify.render import (
    MIN_BUSINESS_UNITS,
    MIN_BUSINESS_UNITS_WITH_GREETING,
    TEMPLATES_DIR,
    TWO_SEGMENT_KINDS,
    TWO_SEGMENT_UNITS,
    Rendered,
    _cut_name,
    render,
)

KINDS = ["confirmation", "rescheduled", "cancelled"]


def all_parts(r: Rendered) -> str:
    return "\n".join([r.subject, r.text, r.html, r.sms])


# --- confirmation ---------------------------------------------------------------


def test_finnish_confirmation_says_what_when_who_where_and_how_to_change(context):
    r = render("confirmation", "fi", context)
    assert "ti 24.11. klo 14.00" in r.subject  # a subject is one line, plain spaces
    for part in (r.text, r.html):
        assert "Maija" in part
        assert "ti 24.11. klo\u00a014.00–15.00" in part
        assert "Naisten hiustenleikkaus" in part
        assert "Aino" in part
        assert "69,00\u00a0€" in part
        assert "Fredrikinkatu 20, 00120 Helsinki" in part
        assert "http://127.0.0.1:8000/m/tok_abc123" in part
        assert "ma 23.11. klo\u00a014.00 asti" in part  # the cancellation deadline
    assert "vahvistettu" in r.subject.lower()
    assert "Hei Maija" in r.text


@pytest.mark.parametrize(
    "locale, why, cut",
    [
        (
            "fi",
            "Tervetuloetua ei käytetty: se on vain uusille asiakkaille, ja olet jo asiakkaamme.",
            "Etua ei käytetty: linkkiä ei voitu lukea",
        ),
        (
            "sv",
            "Välkomstförmånen användes inte: den gäller bara nya kunder, och du är redan kund hos oss.",
            "Förmånen användes inte: länken kunde inte läsas",
        ),
        (
            "en",
            "Welcome perk not applied: it is for new clients only, and you are already a client of ours.",
            "Perk not applied: the link could not be read",
        ),
    ],
)
def test_a_confirmation_at_the_services_price_says_why_her_links_perk_is_not_in_it(make_context, locale, why, cut):
    # A returning client through a friend's referral link: "Price 39,00 €" and no word why.
    r = render("confirmation", locale, make_context(perk_not_applied="not_new"))
    for part in (r.text, r.html):
        assert why in part, part
    assert re.search(r"\n\S+: 69,00\s€\n" + re.escape(why) + "\n", r.text.replace("€69.00", "69,00 €")), (
        r.text
    )  # under the price
    link = render("confirmation", locale, make_context(perk_not_applied="link"))
    assert cut in link.text and cut in link.html and why not in link.text
    plain = all_parts(render("confirmation", locale, make_context()))
    assert why not in plain and cut not in plain


def test_swedish_confirmation(context):
    r = render("confirmation", "sv", context)
    assert "bekräftad" in r.subject
    assert "Hej Maija" in r.text
    assert "tis 24.11. kl.\u00a014.00–15.00" in r.text
    assert "69,00\u00a0€" in r.text
    assert "fram till mån 23.11. kl.\u00a014.00" in r.text
    assert context["manage_url"] in r.text


def test_english_confirmation(context):
    r = render("confirmation", "en", context)
    assert r.subject == "Booking confirmed: Naisten hiustenleikkaus, Tue 24 Nov at 14:00"
    assert "Hi Maija" in r.text
    assert "Tue 24 Nov at\u00a014:00–15:00" in r.text
    assert "€69.00" in r.text
    assert "until Mon 23 Nov at\u00a014:00" in r.text
    assert context["manage_url"] in r.html


def test_without_deadline_phone_or_note_the_email_still_reads_well(make_context):
    ctx = make_context(cancellation_deadline=None, business={"phone": None}, note=None)
    r = render("confirmation", "fi", ctx)
    assert "Voit siirtää tai perua varauksesi tästä linkistä:" in r.text
    assert "asti" not in r.text
    assert "soita" not in r.text
    assert "None" not in all_parts(r)
    assert "\n\n\n" not in r.text


def test_optional_keys_may_be_missing_altogether(make_context):
    ctx = make_context()
    for key in ("note", "cancellation_deadline", "previous_start", "end"):
        del ctx[key]
    del ctx["business"]["phone"], ctx["business"]["sms_sender"], ctx["staff"]
    r = render("confirmation", "en", ctx)
    assert "Tue 24 Nov at\u00a014:00" in r.text
    assert "None" not in all_parts(r)


def test_note_is_shown(make_context):
    r = render("confirmation", "fi", make_context(note="Tule 5 min etuajassa"))
    assert "Tule 5 min etuajassa" in r.text and "Tule 5 min etuajassa" in r.html


def test_first_name_is_taken_from_full_name_when_missing(make_context):
    r = render("confirmation", "fi", make_context(client={"name": "Liisa Laine", "first_name": None}))
    assert r.text.startswith("Hei Liisa,")


@pytest.mark.parametrize(
    "locale, paid, free, never",
    [
        (
            "fi",
            "Ennakkomaksu maksettu",
            "Maksuton peruutus ma 23.11. klo\u00a010.15 asti",
            "Ennakkomaksua ei palauteta",
        ),
        (
            "sv",
            "Handpenning betald",
            "Gratis avbokning till mån 23.11. kl.\u00a010.15",
            "Handpenningen återbetalas inte",
        ),
        ("en", "Deposit paid", "Free cancellation until Mon 23 Nov at\u00a010:15", "The deposit is not refunded"),
    ],
)
@pytest.mark.parametrize("kind", ["confirmation", "rescheduled"])
def test_a_paid_booking_is_confirmed_with_what_she_paid_and_until_when_it_comes_back(
    make_context, locale, paid, free, never, kind
):
    # Moved, too (a client's walk: the moved booking's email dropped the deposit she paid
    # and the new free-cancellation deadline, which moves with the visit).
    deposit = {"kind": "deposit", "paid_cents": 4770, "free_until": "2026-11-23T10:15:00+02:00"}
    r = render(kind, locale, make_context(payment=deposit))
    for part in (r.text, r.html):
        assert paid in part and format_price(4770, locale) in part and free in part
    r = render(kind, locale, make_context(payment={**deposit, "free_until": None}))
    assert never in r.text and never in r.html and free not in r.text
    assert paid not in render(kind, locale, make_context()).text
    paragraphs = render(kind, locale, make_context(payment=deposit)).text.split("\n\n")
    assert any(p.startswith(free) for p in paragraphs), paragraphs  # the terms a paragraph of their own


@pytest.mark.parametrize(
    "locale, said, held",
    [
        ("fi", "Sitä ei ole vielä vahvistettu.", "Aika on varattu sinulle vain klo\u00a010.30 asti."),
        ("sv", "Den är inte bekräftad än.", "Tiden hålls för dig bara till 10.30."),
        ("en", "It is not confirmed yet.", "Your time is held for you only until 10:30."),
    ],
)
def test_the_plain_text_confirmation_keeps_its_paragraphs_apart(make_context, locale, said, held):
    # Walk at 360 px (its email's text part): "It is not confirmed yet.Your time is held
    # for you only until…" ran together on one line; the greeting's sentence ran into the
    # details, and the cancellation terms into the line that says until when to change.
    terms = {"kind": "deposit", "paid_cents": 4770, "terms": "Free cancellation until Monday."}
    held_ctx = make_context(confirm_url="https://x.test/h/tok", hold_until="2026-11-23T10:30:00+02:00")
    text = render("confirmation", locale, held_ctx).text
    assert f"{said}\n\n{held}" in text, text
    for ctx in (held_ctx, make_context(payment=terms)):
        paragraphs = render("confirmation", locale, ctx).text.split("\n\n")
        details = next(p for p in paragraphs if "Naisten hiustenleikkaus (60 min)" in p)
        assert details.splitlines()[0].endswith("Naisten hiustenleikkaus (60 min)"), details  # its own paragraph
    paragraphs = render("confirmation", locale, make_context(payment=terms)).text.split("\n\n")
    assert "Free cancellation until Monday." in paragraphs, paragraphs  # the terms a paragraph of their own


# --- rescheduled ----------------------------------------------------------------


@pytest.mark.parametrize(
    "locale, old, new",
    [
        ("fi", "ma 23.11. klo\u00a010.00", "ti 24.11. klo\u00a014.00"),
        ("sv", "mån 23.11. kl.\u00a010.00", "tis 24.11. kl.\u00a014.00"),
        ("en", "Mon 23 Nov at\u00a010:00", "Tue 24 Nov at\u00a014:00"),
    ],
)
def test_rescheduled_shows_old_and_new_time_and_manage_link(context, locale, old, new):
    r = render("rescheduled", locale, context)
    assert " ".join(new.split()) in r.subject
    for part in (r.text, r.html):
        assert old in part and new in part
        assert context["manage_url"] in part
    assert r.text.index(old) < r.text.index(new)
    assert to_gsm7(new) in r.sms and context["manage_url"] in r.sms


# --- cancelled ------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_cancelled_invites_to_book_again_and_has_no_manage_link(context, locale):
    r = render("cancelled", locale, context)
    for part in (r.text, r.html, r.sms):
        assert context["book_url"] in part
        assert "/m/" not in part
    assert " ".join(format_local(context["start"], locale).split()) in r.subject


def test_finnish_cancellation_wording(context):
    r = render("cancelled", "fi", context)
    assert "Varauksesi on peruttu" in r.subject
    assert "varauksesi on peruttu" in r.text
    assert "Peruttu aika: ti 24.11. klo\u00a014.00–15.00" in r.text


# --- locales, kinds, escaping ---------------------------------------------------


def test_unknown_locale_falls_back_to_finnish(context):
    assert render("confirmation", "de", context) == render("confirmation", "fi", context)


def test_regional_locale_tags_are_understood(context):
    assert render("confirmation", "sv-FI", context) == render("confirmation", "sv", context)


def test_unknown_kind_is_an_error(context):
    with pytest.raises(ValueError):
        render("no_such_kind", "fi", context)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", LOCALES)
def test_html_escapes_names_but_text_and_subject_do_not(make_context, kind, locale):
    ctx = make_context(
        client={"first_name": "<b>Eve</b>"}, service={"name": "Cut & Style"}, staff={"name": "Jo <script>"}
    )
    r = render(kind, locale, ctx)
    assert "&lt;b&gt;Eve&lt;/b&gt;" in r.html
    assert "<b>Eve</b>" not in r.html
    assert "<script>" not in r.html
    assert "Cut &amp; Style" in r.html
    assert "<b>Eve</b>" in r.text
    assert "Cut & Style" in r.text and "&amp;" not in r.text + r.subject + r.sms


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", LOCALES)
def test_html_is_a_complete_self_contained_document(context, kind, locale):
    html = render(kind, locale, context).html
    assert html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{locale}">' in html
    assert 'name="viewport"' in html
    assert "<link" not in html and "<img" not in html and "<script" not in html
    assert "Salon Aurora" in html


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", LOCALES)
def test_subject_is_one_line(context, kind, locale):
    subject = render(kind, locale, context).subject
    assert "\n" not in subject and subject == subject.strip() and subject


def test_no_subject_template_of_any_kind_or_language_starts_or_ends_with_a_space():
    subjects = sorted(TEMPLATES_DIR.glob("*/*.subject.txt"))
    assert len(subjects) >= 3 * 10
    for path in subjects:
        text = path.read_text(encoding="utf-8").removesuffix("\n")
        assert text == text.strip() and "\n" not in text, path


# --- SMS ------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_the_time_is_kept_whole_in_the_email_and_the_sms_stays_gsm7(context, locale):
    # 'klo' and '14.00' are joined by a no-break space where a line may break (the email);
    # the SMS sends a plain space: a no-break space is not GSM-7 and would make it UCS-2,
    # 70 characters a segment.
    r = render("confirmation", locale, context)
    when = format_local(context["start"], locale)
    word, _, time = when.rpartition("\u00a0")
    assert word and time and " " not in time and when in r.text and when in r.html
    assert "\u00a0" not in r.sms and f"{word} {time}" in r.sms
    assert is_gsm7(r.sms) and gsm7_length(r.sms) == len(r.sms) <= 160  # one segment, each character one unit


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", LOCALES)
def test_default_sms_keeps_everything_and_fits_one_segment(context, kind, locale):
    sms = render(kind, locale, context).sms
    assert is_gsm7(sms) and gsm7_length(sms) <= 160
    assert to_gsm7(format_local(context["start"], locale)) in sms
    assert "Maija" in sms and "Salon Aurora" in sms and "Aino" in sms
    link = context["book_url"] if kind == "cancelled" else context["manage_url"]
    assert sms.endswith(link)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", LOCALES)
def test_sms_with_long_realistic_names_fits_160_gsm7_units(long_context, kind, locale):
    sms = render(kind, locale, long_context).sms
    assert is_gsm7(sms)
    assert gsm7_length(sms) <= 160
    assert to_gsm7(format_local(long_context["start"], locale)) in sms
    link = long_context["book_url"] if kind == "cancelled" else long_context["manage_url"]
    assert sms.endswith(link)  # the link is never cut
    assert "Parturi" in sms  # the business stays recognisable


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", LOCALES)
def test_sms_never_shows_the_price(make_context, kind, locale):
    sms = render(kind, locale, make_context(service={"price_cents": 98765})).sms
    assert "€" not in sms and "987" not in sms


def test_shortening_drops_the_service_name_first(make_context):
    ctx = make_context(
        manage_url="https://varaa.rebook.fi/m/" + "x" * 40, service={"name": "Naisten hiustenleikkaus ja föönaus"}
    )
    sms = render("confirmation", "fi", ctx).sms
    assert "hiustenleikkaus" not in sms
    assert "Aino" in sms and "Salon Aurora" in sms and "Hei Maija!" in sms


@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
def test_from_a_bare_number_the_salons_name_stays_and_takes_a_second_segment(make_context, locale):
    """A waitlist offer with a link as long as a deployed one's: from the salon's sender
    name it fits one segment without naming the salon (her phone shows who it is from);
    without a sender name her phone shows a number, so the salon's name stays."""
    url = "https://varaa.rebook.fi/o/o.qaoow4d2.94946aa4342dd459cb65.ur8hla.O1XFdPBndCFGhnxigeQ" + "Kx3" * 4
    assert len(url) == 96
    offer = {"offer_url": url, "offer_expires": "2026-11-24T12:00:00+02:00"}
    named = render("waitlist_offer", locale, make_context(**offer)).sms
    assert gsm7_length(named) <= 160 and named.endswith(url)
    bare_number = render("waitlist_offer", locale, make_context(business={"sms_sender": None}, **offer)).sms
    assert "Salon Aurora" in bare_number and bare_number.endswith(url), bare_number
    assert 160 < gsm7_length(bare_number) <= TWO_SEGMENT_UNITS
    assert to_gsm7(format_local(make_context()["start"], locale)) in bare_number


def test_greeting_survives_a_moderately_long_link(make_context):
    ctx = make_context(**{**LONG_NAMES, "manage_url": "https://varaa.rebook.fi/m/" + "x" * 34})
    sms = render("confirmation", "fi", ctx).sms
    assert sms.startswith("Hei Maija-Liisa! Varaus vahvistettu: ti 24.11. klo 14.00, Parturi-Kampaamo")
    assert gsm7_length(sms) <= 160


@pytest.mark.parametrize("kind", ["rescheduled", "reminder"])
def test_shortening_is_deterministic_and_leaves_the_context_alone(long_context, kind):
    before = repr(long_context)
    assert {render(kind, "sv", long_context).sms for _ in range(5)} == {render(kind, "sv", long_context).sms}
    assert repr(long_context) == before


@pytest.mark.parametrize("kind", ["confirmation", "reminder"])
def test_sms_turns_non_gsm_characters_into_look_alikes(make_context, kind):
    ctx = make_context(client={"first_name": "Šárka"}, business={"name": "Studio “Õie”"})
    sms = render(kind, "fi", ctx).sms
    assert is_gsm7(sms)
    assert "Hei Sarka!" in sms and 'Studio "Oie"' in sms


names = st.text(min_size=1, max_size=80)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from([*KINDS, "reminder"]),
    locale=st.sampled_from(LOCALES),
    business=names,
    service=names,
    staff=names,
    first_name=names,
    url_len=st.integers(min_value=30, max_value=100),
    off=st.none() | st.just("http://127.0.0.1:8000/m/tok_abc123#reminders"),  # a reminder's footer link
)
def test_any_names_give_one_gsm7_segment_with_the_link_whole(
    kind, locale, business, service, staff, first_name, url_len, off
):
    url = ("https://varaa.rebook.fi/m/" + "A1b2-C3d4_" * 10)[:url_len]
    ctx = build_context(
        business={"name": business},
        service={"name": service},
        staff={"name": staff},
        client={"first_name": first_name},
        manage_url=url,
        book_url=url,
        reminders_off_url=off,
    )
    sms = render(kind, locale, ctx).sms
    assert is_gsm7(sms)
    assert gsm7_length(sms) <= 160
    assert sms.endswith(url)
    assert to_gsm7(format_local(ctx["start"], locale)) in sms


@settings(max_examples=300, deadline=None)
@given(
    name=st.text(alphabet="abcÄö -.&", min_size=1, max_size=40),
    units=st.integers(min_value=0, max_value=45),
    floor=st.sampled_from([MIN_BUSINESS_UNITS, MIN_BUSINESS_UNITS_WITH_GREETING]),
)
def test_a_business_name_is_whole_cut_where_a_word_ends_or_left_out(name, units, floor):
    # The late-fee SMS read "Salon Auro" / "Salon Au": a name cut inside a word.
    cut = _cut_name(name, units, floor)
    assert gsm7_length(cut) <= units
    rest = name[len(cut) :]
    assert cut in (name, "") or (name.startswith(cut) and re.match(r"[,.&/]*[ -]", rest) and len(cut) >= floor)


# A "book again" link as the product makes it (links.rebook_url): the local stack's host.
REBOOK_URL = "http://127.0.0.1:8200/book/demo?service=womens-cut&staff=sanna&again=r.mvfdrius.e6zflu7pwyj1.tw06s0._MW9k1JQ_VfQ-tovxtOgvQ"


@pytest.mark.parametrize(
    "locale, when, again",
    [
        ("fi", "to 10.12. klo 14.00", "Varaa uusi aika: "),
        ("sv", "tors 10.12. kl. 14.00", "Boka ny tid: "),
        ("en", "Thu 10 Dec at 14:00", "Book again: "),
    ],
)
def test_a_long_rebooking_link_never_cuts_the_cancelled_date(make_context, locale, when, again):
    # The tester's SMS read "Varaus peruttu: to 1" and then the link.
    ctx = make_context(start="2026-12-10T14:00:00+02:00", staff={"name": "Sanna Korhonen"}, book_url=REBOOK_URL)
    sms = render("cancelled", locale, ctx).sms
    assert gsm7_length(sms) <= 160
    assert f"{when}," in sms or f"{when}." in sms
    # The same service and stylist, her details typed again: a link that fits, whole.
    assert sms.endswith(again + "http://127.0.0.1:8200/book/demo?service=womens-cut&staff=sanna")


def test_a_rebooking_link_that_fits_no_way_is_left_out_and_the_date_stays(make_context):
    host = "https://" + "salon-" * 20 + "example.fi"
    sms = render("cancelled", "fi", make_context(book_url=f"{host}/book/{'x' * 40}?service=a&again=r.x")).sms
    assert sms == "Hei Maija! Varaus peruttu: ti 24.11. klo 14.00, Naisten hiustenleikkaus (Aino), Salon Aurora."


def test_the_salons_invitation_to_choose_a_new_time_keeps_its_link_and_the_date(make_context):
    host = "https://" + "salon-" * 20 + "example.fi"
    ctx = make_context(book_url=f"{host}/book/{'x' * 40}?service=a&again=r.x", invite=True)
    sms = render("cancelled", "fi", ctx).sms
    assert "ti 24.11. klo 14.00" in sms and sms.endswith(f"Valitse uusi aika: {ctx['book_url']}")  # two segments
    assert gsm7_length(sms) <= TWO_SEGMENT_UNITS


# Every kind's SMS with the product's links on a long host (API Gateway's own address is
# 60 characters with its stage): the facts are never cut, nor the link the message is
# for; a second segment only when they do not fit one.
TOKEN = "x.mvfdrius.qvaiqcqb4hqu.trblc0.KG1xB3cAsuy5qjwXN7_ouA"
RECEIPT = {
    "paid_cents": 4770,
    "at": "2026-11-24T15:00:00+02:00",
    "price_cents": 4770,
    "lines": [],
    "discount_cents": 0,
    "discount_percent": None,
    "total_cents": 4770,
    "deposit_cents": 0,
    "method": "card",
    "vat": [],
    "number": "R-1",
}
WHEN_KINDS = (
    "confirmation",
    "rescheduled",
    "cancelled",
    "reminder",
    "waitlist_offer",
    "feedback_alert",
    "fee_charged",
    "fee_refunded",
)


def _kind_case(kind: str, host: str, slug: str) -> tuple[dict, list[str]]:
    """The kind's own context on `host`, and the context keys of the links it must carry whole."""
    url = lambda page: f"{host}/{page}/{TOKEN}"  # noqa: E731
    rebook = f"{host}/book/{slug}?service=womens-cut&staff=aino&again=r.{TOKEN[2:]}"
    unsubscribe = {"unsubscribe_url": url("u"), "book_url": rebook}
    cases: dict[str, tuple[dict, list[str]]] = {
        "confirmation": ({"manage_url": url("m"), "book_url": rebook}, ["manage_url"]),
        "held": ({"confirm_url": url("h"), "hold_until": "2026-11-20T12:10:00+02:00"}, ["confirm_url"]),
        "rescheduled": ({"manage_url": url("m")}, ["manage_url"]),
        "reminder": ({"manage_url": url("m")}, ["manage_url"]),
        "cancelled": ({"book_url": rebook}, []),
        "waitlist_joined": (
            {"entry_url": url("w"), "first_day": "2026-11-25", "last_day": "2026-11-27", "windows": []},
            ["entry_url"],
        ),
        "waitlist_offer": ({"offer_url": url("o"), "offer_expires": "2026-11-24T12:00:00+02:00"}, ["offer_url"]),
        "feedback_request": ({"feedback_url": url("f"), "star_urls": [url("f")] * 5}, ["feedback_url"]),
        "feedback_alert": ({"rating": 2, "comment": None, "client": {"phone": "+358401234567", "email": None}}, []),
        "payment_notice": (
            {"notice": "fee_open", "amount_cents": 4770, "fee_kind": "no_show", "pay_url": url("pay")},
            ["pay_url"],
        ),
        "receipt": ({"receipt": RECEIPT, "business": {"code": None}}, []),
        "fee_charged": ({"amount_cents": 4770, "fee_kind": "no_show"}, []),
        "fee_refunded": ({"amount_cents": 4770, "fee_kind": "no_show"}, []),
        "reward": (
            {"reward": {"kind": "stamps", "description": "-50 %", "expires_on": None}, "card_url": url("l")},
            ["card_url"],
        ),
        "winback": (unsubscribe, ["unsubscribe_url"]),
        "nudge": (unsubscribe, ["unsubscribe_url"]),
        "birthday": ({**unsubscribe, "perk": "-20 % koodilla SYNTTARIT"}, ["unsubscribe_url"]),
        "personal": (
            {**unsubscribe, "text": "Hei! Olemme kaivanneet sinua, tervetuloa takaisin."},
            ["unsubscribe_url"],
        ),
        "webhook_disabled": (
            {"endpoint": {"url": f"{host}/hooks/rebook"}, "reason": "gone", "settings_url": url("d")},
            [],
        ),
    }
    return cases[kind]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(
        [k.name for k in TEMPLATES_DIR.iterdir() if k.is_dir() and not k.name.startswith("_")] + ["held"]
    ),
    locale=st.sampled_from(LOCALES),
    host_len=st.integers(min_value=10, max_value=70),
    slug=st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=40),
    business=names,
    service=names,
    staff=names,
    first_name=names,
)
def test_a_long_host_never_cuts_the_facts_or_the_link_of_any_kind(
    kind, locale, host_len, slug, business, service, staff, first_name
):
    host = "https://" + ("varaa.salonki-" * 6)[: host_len - 3] + ".fi"
    extra, whole = _kind_case(kind, host, slug)
    names = {"business": {"name": business}, "service": {"name": service}, "staff": {"name": staff}}
    ctx = build_context(**names, client={"first_name": first_name})
    for key, value in extra.items():
        ctx[key] = {**ctx[key], **value} if isinstance(ctx.get(key), dict) else value
    sms = render("confirmation" if kind == "held" else kind, locale, ctx).sms
    assert is_gsm7(sms)
    assert gsm7_length(sms) <= TWO_SEGMENT_UNITS
    if kind in (*WHEN_KINDS, "held"):
        assert to_gsm7(format_local(ctx["start"], locale)) in sms
    if kind == "held":
        assert format_time(ctx["hold_until"], locale) in sms
    if kind in ("payment_notice", "receipt", "fee_charged", "fee_refunded"):
        assert to_gsm7(format_price(4770, locale)) in sms
    if kind == "receipt":
        assert format_date(ctx["receipt"]["at"], locale) in sms
    if kind == "waitlist_joined":
        assert f"{format_day(ctx['first_day'], locale)}-{format_day(ctx['last_day'], locale)}" in sms
    for key in whole:
        assert ctx[key] in sms
    if kind in (
        "confirmation",
        "rescheduled",
        "reminder",
        "held",
        "waitlist_offer",
        "waitlist_joined",
        "feedback_request",
    ):
        assert sms.endswith(ctx[whole[0]])
    if kind == "cancelled":  # one segment: a shorter link, whole, or none
        assert gsm7_length(sms) <= 160
        link = sms.partition("http")[2]
        assert not link or "http" + link in [ctx["book_url"], *shorter_book_urls(ctx["book_url"])]
    if gsm7_length(sms) > 160 and kind not in TWO_SEGMENT_KINDS:  # only when the facts and the link fill one
        assert gsm7_length(render("confirmation" if kind == "held" else kind, locale, bare(ctx)).sms) > 160


def bare(ctx: dict) -> dict:
    """The context with every name gone: what an SMS keeps at the least."""
    gone = {"business": {"name": None}, "service": {"name": None}, "staff": {"name": None}}
    gone["client"] = {"first_name": None, "name": None}
    return ctx | {k: {**ctx[k], **v} for k, v in gone.items()}


@pytest.mark.parametrize("kind", ["confirmation", "reminder", "rescheduled"])
@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
def test_no_message_offers_a_change_past_its_deadline(kind, locale):
    # Issue 17 (2): sent at the deadline (the 24 h reminder of a 24 h window), or after it.
    from datetime import datetime

    from chalicelib.notify.localtime import format_local

    ctx = build_context()
    before = render(kind, locale, ctx, now=datetime.fromisoformat("2026-11-23T13:00:00+02:00"))
    at_deadline = render(kind, locale, ctx, now=datetime.fromisoformat("2026-11-23T14:00:00+02:00"))
    deadline = format_local(ctx["cancellation_deadline"], locale)
    assert deadline in before.text and deadline in before.html
    for part in (at_deadline.text, at_deadline.html, at_deadline.sms):
        assert deadline not in part and ctx["manage_url"] in part
        for offer in (
            "Siirrä tai peru",
            "Muuta/peru",
            "Flytta eller avboka",
            "Ändra/avboka",
            "Reschedule or cancel",
            "Change/cancel",
        ):
            assert offer not in part


@pytest.mark.parametrize(
    "locale, vat",
    [("fi", "ALV 25,5\u00a0%"), ("sv", "Moms 25,5\u00a0%"), ("en", "VAT 25.5%")],
)
def test_the_receipts_vat_line_shows_the_rate_in_the_email_too(make_context, locale, vat):
    # The HTML receipt read "ALV {{ v.percent|replace('.', ',') }} %": the rate was written
    # inside the label's string, where Jinja does not look.
    ctx = make_context(business={"code": None})
    ctx["receipt"] = RECEIPT | {
        "vat": [{"percent": "25.5", "net_cents": 14263, "vat_cents": 3637, "gross_cents": 17900}]
    }
    r = render("receipt", locale, ctx)
    assert vat in r.html and "{{" not in r.html
    assert vat.replace("\u00a0", " ") in r.text


@pytest.mark.parametrize(
    "locale, off",
    [("fi", "Alennus 10\u00a0%"), ("sv", "Rabatt 10\u00a0%"), ("en", "Discount 10%")],
)
def test_the_receipts_discount_writes_its_per_cent_as_its_vat_line_does(make_context, locale, off):
    # The English receipt read "Discount 10 %" above "VAT 25.5%"; in Finnish and Swedish the
    # HTML's "%" could wrap onto a line of its own at 360 px.
    ctx = make_context(business={"code": None})
    ctx["receipt"] = RECEIPT | {"discount_cents": 530, "discount_percent": 10, "total_cents": 4770}
    r = render("receipt", locale, ctx)
    assert off in r.html
    assert off.replace("\u00a0", " ") in r.text


@pytest.mark.parametrize("kind", ["confirmation", "reminder", "rescheduled"])
@pytest.mark.parametrize("locale", LOCALES)
def test_the_emails_service_length_keeps_its_minutes_on_its_line(context, kind, locale):
    # At 360 px the Swedish confirmation read "Slingor med folie (150" over "min)".
    html = render(kind, locale, context).html
    assert f"({context['service']['duration_minutes']}&nbsp;min)" in html


@pytest.mark.parametrize(("locale", "greeting"), [("fi", "Hei,"), ("sv", "Hej,"), ("en", "Hi,")])
@pytest.mark.parametrize("kind", ["winback", "nudge"])
def test_a_client_without_a_first_name_is_greeted_in_her_own_language(context, kind, locale, greeting):
    # A client's walk read the English and Swedish "we miss you" open with the Finnish "Hei".
    context = {**context, "client": {"name": "", "first_name": ""}, "unsubscribe_url": "https://x/u/t"}
    assert render(kind, locale, context).text.startswith(greeting + "\n")
