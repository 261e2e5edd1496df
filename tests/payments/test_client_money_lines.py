"""Her money on her manage page and her pay page (an outside tester's findings on a phone):
a fee given back read as a refund of her deposit ("47,70 € (palautettu 111,30 €)") and its
line vanished; statuses were raw codes ("Tila completed"); a fee's date doubled the full
stop ("ke 25.11.."); the pay page said only the deposit she paid, nothing of a fee or a
refund, and offered the free-cancellation terms for a visit checked out already."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.admin.helpers import Desk
from tests.api.test_pages import page
from tests.payments.test_fee_charged_message import manage_page
from tests.payments.test_fees import AFTER_THE_VISIT, money_of, paid_booking
from tests.payments.test_no_show_undone import mark, no_show_charged
from tests.payments.test_pay_flow import DEPOSIT

NB = "\u00a0"


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


def pay_page(client, booking, lang="fi"):
    from tests.api.helpers import token_of

    status, html = page(client, f"/pay/{token_of(booking['manage_url'])}?lang={lang}")
    assert status == 200
    return html


def said(html: str) -> str:
    """The page's words, tags dropped, spaces as one (no-break spaces kept)."""
    main = html.split("<main>", 1)[1] if "<main>" in html else html
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def no_double_stop(text: str) -> None:
    assert not re.search(r"\.\.(?!\.)", text.replace("...", "")), re.findall(r".{40}\.\..{10}", text)


def test_a_no_show_fee_given_back_is_its_own_line_not_a_refund_of_her_deposit(pay_client, stripe_env, desk, frozen_now):
    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    assert mark(desk, booking, "booked")[0] == 200  # undone after the visit: completed, the fee refunded
    assert money_of(desk, booking)["fees"] == {"no_show": "refunded"}
    for html in (manage_page(pay_client, booking, "fi"), pay_page(pay_client, booking, "fi")):
        text = said(html)
        assert f"Ennakkomaksu maksettu 47,70{NB}€" in text
        assert "(palautettu 111,30" not in text  # the deposit line: its own refunds only
        assert f"Saapumatta jättämisen maksu 111,30{NB}€ veloitettiin kortiltasi ke 25.11. ja palautettiin." in text
        no_double_stop(text)
    for html in (manage_page(pay_client, booking, "en"), pay_page(pay_client, booking, "en")):
        text = said(html)
        assert "Deposit paid €47.70" in text and "(refunded €111.30" not in text
        assert "No-show fee €111.30 charged to your card on Wed 25 Nov and refunded." in text
    sv = said(manage_page(pay_client, booking, "sv"))
    assert f"Avgift för uteblivet besök 111,30{NB}€ drogs från ditt kort ons 25.11. och har betalats tillbaka." in sv
    no_double_stop(sv)
    # The pay page: item by item, as the manage page says it, no gross total (159,00 € read
    # like a full-price charge).
    fi = said(pay_page(pay_client, booking, "fi"))
    assert "Maksoit tästä varauksesta" not in fi and "159,00" not in fi.split("Hinta", 1)[1].split("Ennakkomaksu")[1]
    assert "Sinulle on palautettu" not in fi


def test_a_no_show_fee_on_its_way_back_says_so(pay_client, stripe_env, desk, frozen_now, monkeypatch):
    from tests.payments.test_owed_refunds import stripe_unreachable

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    with stripe_unreachable(monkeypatch):
        assert mark(desk, booking, "booked")[0] == 200
    assert money_of(desk, booking)["fees"] == {"no_show": "refunding"}
    text = said(manage_page(pay_client, booking, "fi"))
    assert f"Ennakkomaksu maksettu 47,70{NB}€" in text and "palautetaan 111,30" not in text
    assert f"111,30{NB}€ veloitettiin kortiltasi ke 25.11. ja palautetaan kortillesi." in text
    en = said(pay_page(pay_client, booking, "en"))
    assert "No-show fee €111.30 charged to your card on Wed 25 Nov, on its way back to your card." in en
    assert "You paid" not in en and "€159.00" not in en.split("Deposit paid", 1)[1]


def test_a_late_cancel_fee_the_owner_refunded_is_not_the_deposits_refund(pay_client, stripe_env, desk, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = datetime(2026, 11, 25, 6, tzinfo=UTC)  # 8:00 on the day: past the free deadline
    assert desk.post(f"/appointments/{booking['id']}/cancel", {"by": "client", "notify": False})[0] == 200
    status, fee = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "late_cancel"})
    assert status == 200 and fee["state"] == "succeeded"
    late = 7950 - DEPOSIT  # 31,80 €
    charged = said(manage_page(pay_client, booking, "fi"))
    # Cancelled late, the fee charged: the top box says first that it was cancelled.
    assert f"Varaus on peruttu. Ennakkomaksua 47,70{NB}€ ei palauteta peruutusehtojen mukaan." in charged
    assert f"Myöhäisen peruutuksen maksu 31,80{NB}€ veloitettiin kortiltasi ke 25.11." in charged
    no_double_stop(charged)
    status, refund = desk.post(f"/appointments/{booking['id']}/refund", {"reason": "bus strike", "fee": "late_cancel"})
    assert status == 200 and refund["amount_cents"] == late, refund
    for lang, deposit, line in (
        ("fi", f"Ennakkomaksu maksettu 47,70{NB}€", f"Myöhäisen peruutuksen maksu 31,80{NB}€"),
        ("en", "Deposit paid €47.70", "Late-cancellation fee €31.80 charged to your card on Wed 25 Nov and refunded."),
    ):
        for html in (manage_page(pay_client, booking, lang), pay_page(pay_client, booking, lang)):
            text = said(html)
            assert deposit in text and "31,80" + NB + "€)" not in text and "€31.80)" not in text
            assert line in text
            no_double_stop(text)
    assert "ja palautettiin." in said(manage_page(pay_client, booking, "fi"))


@pytest.mark.parametrize(
    "status, words",
    [
        ("completed", {"fi": "Käynti toteutui", "sv": "Besöket genomfört", "en": "Visit completed"}),
        ("no_show", {"fi": "Et saapunut", "sv": "Du kom inte", "en": "You did not come"}),
        ("arrived", {"fi": "Saavuit", "sv": "Du har kommit", "en": "Arrived"}),
    ],
)
def test_her_visits_status_is_in_her_words(pay_client, stripe_env, desk, frozen_now, status, words):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    if status == "completed":
        assert mark(desk, booking, "arrived")[0] == 200
    assert mark(desk, booking, status)[0] == 200
    for lang, word in words.items():
        html = manage_page(pay_client, booking, lang)
        shown = re.search(r"<dd>([^<]*)</dd>\s*</dl>", html)  # the status: the last fact
        assert shown and shown[1] == word, lang
        assert f"<dd>{status}</dd>" not in html
        no_double_stop(said(html))


def test_every_status_has_her_words_in_every_language():
    from chalicelib.domain.booking import Status
    from chalicelib.pages.i18n import words

    for lang in ("fi", "sv", "en"):
        t = words(lang)
        for s in Status:
            assert t.get(f"status_{s.value}"), (lang, s.value)


def test_the_pay_page_after_a_no_show_fee_says_it_item_by_item(pay_client, stripe_env, desk, frozen_now):
    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    text = said(pay_page(pay_client, booking, "fi"))
    assert "Maksoit tästä varauksesta" not in text  # no gross total: the deposit and the fee each say theirs
    assert f"Ennakkomaksu maksettu 47,70{NB}€" in text
    assert f"Saapumatta jättämisen maksu 111,30{NB}€ veloitettiin kortiltasi ke 25.11." in text
    assert "palautettu" not in text and "palautettiin" not in text
    no_double_stop(text)
    manage = manage_page(pay_client, booking, "fi")
    assert "Et saapunut" in said(manage)
    # A visit marked no-show is not one to put in her calendar.
    assert "calendar.ics" not in manage and "Lisää kalenteriin" not in manage


def test_only_a_visit_still_to_come_offers_her_calendar(pay_client, stripe_env, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    before = manage_page(pay_client, booking, "fi")
    assert "Lisää kalenteriin" in before
    # Its deadlines kept on one line where they fit ("ti / 8.12. klo 10.00" broke).
    assert re.search(r'Maksuton peruutus <span class="keep">[^<]+ klo\u00a0[^<]+</span> asti', before), before
    assert re.search(r'\(peruminen tai siirto\) <span class="keep">[^<]+ klo\u00a0[^<]+</span> asti', before), before
    frozen_now["now"] = AFTER_THE_VISIT + timedelta(hours=1)
    assert "Lisää kalenteriin" not in manage_page(pay_client, booking, "fi")


def test_the_pay_page_after_a_partial_refund_says_what_came_back(pay_client, stripe_env, desk, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    status, refund = desk.post(f"/appointments/{booking['id']}/refund", {"amount_cents": 1770, "reason": "late start"})
    assert status == 200, refund
    frozen_now["now"] = AFTER_THE_VISIT
    assert mark(desk, booking, "arrived")[0] == 200
    assert mark(desk, booking, "completed")[0] == 200
    for html in (pay_page(pay_client, booking, "fi"), manage_page(pay_client, booking, "fi")):
        assert f"Ennakkomaksu maksettu 47,70{NB}€ (palautettu 17,70{NB}€)" in said(html)
    html = pay_page(pay_client, booking, "fi")
    assert f'<span class="keep">(palautettu 17,70{NB}€)</span>' in html  # not "(palautettu" over "17,70 €)"
    text = said(html)
    assert f"Maksoit tästä varauksesta 47,70{NB}€. Sinulle on palautettu 17,70{NB}€." in text
    en = said(pay_page(pay_client, booking, "en"))
    assert "You paid €47.70 for this booking. €17.70 has been refunded to you." in en


def test_a_visit_checked_out_while_still_booked_reads_as_visited(pay_client, stripe_env, desk, frozen_now):
    """A no-show marked during the visit and undone before its end leaves it booked; the
    desk checks it out: her pay page says she paid, not "booked" with its free-cancellation terms."""
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = datetime(2026, 11, 25, 10, 20, tzinfo=UTC)  # 12:20 in Helsinki: the visit under way
    assert mark(desk, booking, "no_show")[0] == 200
    status, undone = mark(desk, booking, "booked")
    assert status == 200 and undone["status"] == "booked", undone
    status, done = desk.post(f"/appointments/{booking['id']}/checkout", {"method": "cash"})
    assert status == 200, done
    html = pay_page(pay_client, booking, "fi")
    heading = re.search(r'<h1 id="pay-heading">([^<]*)</h1>', html)
    assert heading and heading[1] == "Maksettu", heading
    assert 'id="pay-terms"' not in html and "Maksuton peruutus" not in html
    assert "Varaus vahvistettu!" not in html
    text = said(html)
    assert "Maksoit tästä varauksesta" not in text and "Sinulle on palautettu" not in text
    assert "ja palautettiin." in text
    assert "Käynti toteutui, ja se on maksettu kassalla." in text
    no_double_stop(text)
    # Her manage page: the visit took place and is paid, nothing to call about.
    manage = manage_page(pay_client, booking, "fi")
    shown = re.search(r"<dd>([^<]*)</dd>\s*</dl>", manage)  # the status: the last fact
    assert shown and shown[1] == "Käynti toteutui", shown
    assert "Vahvistettu" not in manage and "Soita meille" not in manage
    assert "Käynti toteutui, ja se on maksettu kassalla." in said(manage)
    assert "Lisää kalenteriin" not in manage
    en = said(manage_page(pay_client, booking, "en"))
    assert "Your visit took place and was paid at the desk." in en and "Please call us" not in en


def test_a_booked_visit_whose_start_has_passed_reads_as_visited(pay_client, stripe_env, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT + timedelta(hours=1)
    html = pay_page(pay_client, booking, "en")
    assert 'id="pay-terms"' not in html and "Free cancellation" not in html
    assert "You paid €47.70 for this booking." in said(html)


def test_her_manage_pages_day_without_times_ends_in_one_full_stop(pay_client, stripe_env):
    """The reschedule step on her manage page: "Aino Virtanen ei ole töissä la 28.11.", once."""
    from tests.api.helpers import token_of

    booking = paid_booking(pay_client, stripe_env)
    for lang, day in (("fi", "la 28.11."), ("sv", "lör 28.11."), ("en", "Sat 28 Nov")):
        status, html = page(pay_client, f"/m/{token_of(booking['manage_url'])}?lang={lang}&date=2026-11-28")
        assert status == 200
        text = said(html)
        said_day = {
            "fi": "Aino Virtanen ei ole töissä",
            "sv": "Aino Virtanen arbetar inte",
            "en": "Aino Virtanen does not work on",
        }
        assert f"{said_day[lang]} {day}{'.' if lang == 'en' else ''} " in text, text
        no_double_stop(text)
