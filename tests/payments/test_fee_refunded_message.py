"""She is told when a fee charged to her card is given back (an outside tester's finding:
the desk undid a no-show, or the owner refunded a fee, and she heard nothing though she
was told of the charge): one `fee_refunded` message, email else SMS, written in the
transaction that records the refund, once per booking and refund ref — a retry, or the
undo and the owner's refund seeing the same refund, tells her once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.notify.gsm import gsm7_length
from tests.admin.helpers import Desk
from tests.conftest import emails_to, sent_sms
from tests.history import run_job
from tests.payments.conftest import set_up_card
from tests.payments.test_fees import AFTER_THE_VISIT, cancelled_late_with_card_on_file, money_of
from tests.payments.test_no_show_undone import mark, no_show_charged, undone_during_the_owners_refund
from tests.payments.test_pay_flow import book_highlights, finish

REFUNDED_FI = "palautimme saapumatta jättämisen maksun"
LATE_REFUNDED_FI = "palautimme myöhäisen peruutuksen maksun"


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


def refunded_mails(what=REFUNDED_FI):
    return emails_to("maija@example.com", what)


def test_an_undone_no_show_tells_her_the_fee_went_back_once(pay_client, stripe_env, aws, desk, frozen_now):
    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    assert refunded_mails() == []
    status, undone = mark(desk, booking, "booked")
    assert status == 200 and undone["payment"]["fees"] == {"no_show": "refunded"}, undone
    [mail] = refunded_mails()  # she booked in Finnish
    assert "111,30\u00a0€" in mail and "ke 25.11. klo\u00a012.00" in mail  # the amount and the visit, Helsinki time
    assert "kortille, jolta se veloitettiin" in mail and "muutaman päivän" in mail  # back to her card, a few days
    if aws.config.phone:
        assert aws.config.phone in mail
    assert not [m for m in sent_sms() if "palautettu" in m[1]]  # email, else SMS: not both
    # Undone again, corrected, the owner's refund asked for again: nothing more is told.
    for again in ("booked", "completed"):
        assert mark(desk, booking, again)[0] == 200
    assert desk.post(f"/appointments/{booking['id']}/refund", {"reason": "x", "fee": "no_show"})[0] == 409
    assert len(refunded_mails()) == 1


def test_the_owners_refund_of_a_late_cancel_fee_tells_her_once(pay_client, stripe_env, aws, desk, frozen_now):
    held = cancelled_late_with_card_on_file(pay_client, stripe_env, aws, desk, frozen_now)
    status, fee = desk.post(f"/appointments/{held['id']}/fees", {"kind": "late_cancel"})
    assert status == 200 and fee["state"] == "succeeded"
    assert refunded_mails(LATE_REFUNDED_FI) == []
    status, refund = desk.post(f"/appointments/{held['id']}/refund", {"reason": "bus strike", "fee": "late_cancel"})
    assert status == 200, refund
    [mail] = refunded_mails(LATE_REFUNDED_FI)
    assert "64,50\u00a0€" in mail and "ke 25.11. klo\u00a012.00" in mail
    status, again = desk.post(f"/appointments/{held['id']}/refund", {"reason": "bus strike", "fee": "late_cancel"})
    assert status == 409, again
    assert len(refunded_mails(LATE_REFUNDED_FI)) == 1


def test_a_client_with_only_a_phone_gets_one_sms(pay_client, stripe_env, desk, frozen_now):
    _, held = book_highlights(pay_client, email=None)
    set_up_card(stripe_env, held["payment"]["client_secret"], "4242424242424242")
    assert finish(pay_client, held)[1]["next"] == "done"
    frozen_now["now"] = AFTER_THE_VISIT
    assert mark(desk, held, "no_show")[0] == 200
    assert mark(desk, held, "booked")[0] == 200
    [sms] = [m[1] for m in sent_sms() if "palautettu" in m[1]]
    assert gsm7_length(sms) <= 160, sms
    assert "Saapumatta jättämisen maksu 111,30 € palautettu samalle kortille" in sms
    assert "ke 25.11. klo 12.00" in sms
    assert mark(desk, held, "booked")[0] == 200
    assert len([m for m in sent_sms() if "palautettu" in m[1]]) == 1


def test_a_deposit_refund_tells_nothing_of_a_fee(pay_client, stripe_env, desk, frozen_now):
    from tests.payments.test_fees import paid_booking

    booking = paid_booking(pay_client, stripe_env)
    status, refund = desk.post(f"/appointments/{booking['id']}/refund", {"reason": "x", "amount_cents": 100})
    assert status == 200, refund
    assert emails_to("maija@example.com", "palautimme") == []


def test_the_undo_and_the_owners_refund_racing_tell_her_once(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """The owner's refund is made at Stripe; before it is written the desk undoes the
    no-show, finding it reserved (the fee `refunding`): her write tells her, once, and the
    sweeper tells nothing more."""
    from chalicelib.store import jobs

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    jobs.set_watermark("send_due", AFTER_THE_VISIT - timedelta(minutes=1), AFTER_THE_VISIT - timedelta(minutes=1))
    calls, _ = undone_during_the_owners_refund(monkeypatch, desk, booking, owed=True)
    status, refund = desk.post(f"/appointments/{booking['id']}/refund", {"reason": "x", "fee": "no_show"})
    assert status == 200, refund
    for minutes in (3, 30, 90):
        frozen_now["now"] = AFTER_THE_VISIT + timedelta(minutes=minutes)
        run_job("send_due", frozen_now["now"])
    assert calls == ["fee-no_show"]
    assert len(refunded_mails()) == 1
    assert money_of(desk, booking)["fees"] == {"no_show": "refunded"}


def test_the_undos_refund_written_first_tells_her_once(pay_client, stripe_env, aws, desk, frozen_now, monkeypatch):
    """The other order: the undo's refund (the same ref) is made and written, telling her,
    before the owner's is reserved; hers finds it recorded (409) and tells nothing."""

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    calls, _ = undone_during_the_owners_refund(monkeypatch, desk, booking, owed=False, before_reserved=True)
    status, body = desk.post(f"/appointments/{booking['id']}/refund", {"reason": "x", "fee": "no_show"})
    assert status == 409 and body["error"]["code"] == "refund_made", body
    assert calls == ["fee-no_show"]  # the undo's: one refund
    assert len(refunded_mails()) == 1


def test_an_undo_refunded_by_the_sweeper_tells_her_then_once(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    from chalicelib.store import jobs
    from tests.payments.test_owed_refunds import stripe_unreachable

    booking = no_show_charged(pay_client, stripe_env, desk, frozen_now)
    jobs.set_watermark("send_due", AFTER_THE_VISIT - timedelta(minutes=1), AFTER_THE_VISIT - timedelta(minutes=1))
    with stripe_unreachable(monkeypatch):
        assert mark(desk, booking, "booked")[0] == 200
    assert refunded_mails() == []  # owed, not made: nothing to tell yet
    for minutes in (3, 30, 90):
        frozen_now["now"] = AFTER_THE_VISIT + timedelta(minutes=minutes)
        run_job("send_due", frozen_now["now"])
    assert money_of(desk, booking)["fees"] == {"no_show": "refunded"}
    assert len(refunded_mails()) == 1
