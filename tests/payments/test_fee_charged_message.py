"""She is told when a fee is charged to the card she saved (an outside tester's finding:
a no-show fee charged off-session sent her nothing): one message, email else SMS, once
per booking and fee kind, written with the fee's record; her manage page shows it."""

from __future__ import annotations

import pytest

from chalicelib.notify.gsm import gsm7_length
from tests.admin.helpers import Desk
from tests.api.helpers import token_of
from tests.api.test_pages import page
from tests.conftest import emails_to, sent_sms
from tests.payments.conftest import set_up_card
from tests.payments.test_fees import (
    AFTER_THE_VISIT,
    PRICE,
    cancelled_late_with_card_on_file,
    money_of,
    paid_booking,
)
from tests.payments.test_pay_flow import DEPOSIT, book_highlights, finish

CHARGED_FI = "veloitimme saapumatta jättämisen maksun"
FEE = PRICE - DEPOSIT  # 111,30 €: the 100 % no-show fee less the deposit kept


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


def no_show(desk, booking):
    status, marked = desk.post(f"/appointments/{booking['id']}/status", {"status": "no_show"})
    assert status == 200, marked
    return marked


def manage_page(client, booking, lang="fi"):
    status, html = page(client, f"/m/{token_of(booking['manage_url'])}?lang={lang}")
    assert status == 200
    return html


def test_a_no_show_fee_charged_tells_her_once_by_email(pay_client, stripe_env, desk, aws, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    frozen_now["now"] = AFTER_THE_VISIT
    assert no_show(desk, booking)["payment"]["fees"] == {"no_show": "succeeded"}
    [mail] = emails_to("maija@example.com", CHARGED_FI)  # she booked in Finnish
    assert "111,30\u00a0€" in mail and "ke 25.11. klo\u00a012.00" in mail  # the amount and the visit, Helsinki time
    assert "kortilta, jonka tallensit varatessasi" in mail and "hyväksyit" in mail  # her saved card, her terms
    if aws.config.phone:
        assert aws.config.phone in mail
    assert not [m for m in sent_sms() if "Saapumatta" in m[1]]  # email, else SMS: not both
    # Charged again by hand: the same fee, told once.
    status, fee = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "no_show"})
    assert status == 200 and fee["kind"] == "no_show", fee
    assert len(emails_to("maija@example.com", CHARGED_FI)) == 1
    # Undone (given back) and marked again: a new no-show, its fee charged anew and told
    # anew — once: charged again by hand, it is that round's fee.
    assert desk.post(f"/appointments/{booking['id']}/status", {"status": "booked"})[0] == 200
    assert no_show(desk, booking)["payment"]["fees"] == {"no_show": "refunded", "no_show.r1": "succeeded"}
    status, fee = desk.post(f"/appointments/{booking['id']}/fees", {"kind": "no_show"})
    assert status == 200 and fee["kind"] == "no_show.r1", fee
    assert len(emails_to("maija@example.com", CHARGED_FI)) == 2


def test_a_client_with_only_a_phone_gets_one_sms(pay_client, stripe_env, desk, frozen_now):
    _, held = book_highlights(pay_client, email=None)
    set_up_card(stripe_env, held["payment"]["client_secret"], "4242424242424242")
    assert finish(pay_client, held)[1]["next"] == "done"
    frozen_now["now"] = AFTER_THE_VISIT
    no_show(desk, held)
    [sms] = [m[1] for m in sent_sms() if "Saapumatta" in m[1]]
    assert gsm7_length(sms) <= 160, sms
    assert "Saapumatta jättämisen maksu 111,30 € veloitettu tallennetulta kortiltasi" in sms
    assert "ke 25.11. klo 12.00" in sms
    desk.post(f"/appointments/{held['id']}/fees", {"kind": "no_show"})
    assert len([m for m in sent_sms() if "Saapumatta" in m[1]]) == 1


def test_a_late_cancellation_fee_charged_is_told_too(pay_client, stripe_env, desk, aws, frozen_now):
    held = cancelled_late_with_card_on_file(pay_client, stripe_env, aws, desk, frozen_now)
    status, fee = desk.post(f"/appointments/{held['id']}/fees", {"kind": "late_cancel"})
    assert status == 200 and fee["state"] == "succeeded"
    [mail] = emails_to("maija@example.com", "veloitimme myöhäisen peruutuksen maksun")
    assert "64,50\u00a0€" in mail and "ke 25.11. klo\u00a012.00" in mail


def test_her_manage_page_shows_the_fee_charged(pay_client, stripe_env, desk, frozen_now):
    booking = paid_booking(pay_client, stripe_env)
    assert "No-show fee" not in manage_page(pay_client, booking, "en")
    frozen_now["now"] = AFTER_THE_VISIT
    no_show(desk, booking)
    assert "No-show fee €111.30 charged to your card on Wed 25 Nov." in manage_page(pay_client, booking, "en")
    fi = manage_page(pay_client, booking, "fi")
    assert "Saapumatta jättämisen maksu 111,30\u00a0€ veloitettiin kortiltasi ke 25.11." in fi
    assert money_of(desk, booking)["fee_cents"] == {"no_show": FEE}


def test_a_fee_still_open_or_waived_sends_no_charged_message(pay_client, stripe_env, desk, frozen_now):
    booking = paid_booking(pay_client, stripe_env, card="4000002760003184")  # her bank wants her to confirm
    frozen_now["now"] = AFTER_THE_VISIT
    assert no_show(desk, booking)["payment"]["fees"] == {"no_show": "open"}
    assert len(emails_to("maija@example.com", "Vahvista maksu")) == 1  # the pay link, as before
    status, _ = desk.post(f"/appointments/{booking['id']}/fees/no_show/waive", {"reason": "flu"})
    assert status == 200
    assert emails_to("maija@example.com", CHARGED_FI) == []
    assert not [m for m in sent_sms() if "veloitettu" in m[1]]
    assert "No-show fee" not in manage_page(pay_client, booking, "en")
