"""No SMS about money from the salon in the middle of the night: a fee charged to her
card (a no-show, a late cancellation), a fee her bank wants her to confirm (the pay
link) or a fee given back by the owner at 23:30 texts her when the quiet hours end
(21:00-08:00 in the demo salon), as the salon's other texts do; email goes at once.

Maija's highlights are booked for Wed 25 Nov 2026 12:00 (tests/payments/test_pay_flow.py)."""

from __future__ import annotations

import pytest

from tests.admin.helpers import Desk
from tests.conftest import emails_to, sent_sms
from tests.history import at, run_on_schedule
from tests.payments.conftest import set_up_card
from tests.payments.test_fees import book_colour_paid_by, paid_booking
from tests.payments.test_pay_flow import book_highlights, finish

MAIJA = "+358401234567"
NIGHT = "2026-11-25T23:30:00+02:00"  # the evening of her visit, inside the quiet hours
MORNING = "2026-11-26T08:00:00+02:00"  # when they end


@pytest.fixture
def desk(pay_client, aws):
    return Desk(pay_client, aws.id)


def texts_to_her(before: int) -> list[str]:
    return [text for to, text in sent_sms()[before:] if to == MAIJA]


def held_until_morning(before: int) -> str:
    """Nothing at 23:30 nor at 07:59; the one text at 08:00."""
    assert texts_to_her(before) == [], "the salon's SMS went out inside the quiet hours"
    run_on_schedule("send_due", "2026-11-26T07:59:00+02:00")
    assert texts_to_her(before) == [], "the salon's SMS went out inside the quiet hours"
    run_on_schedule("send_due", MORNING)
    [text] = texts_to_her(before)
    return text


def her_card_saved(pay_client, stripe_env, card="4242424242424242", **kw):
    _, held = book_highlights(pay_client, **kw)
    set_up_card(stripe_env, held["payment"]["client_secret"], card)
    assert finish(pay_client, held)[1]["next"] == "done"
    return held


def test_a_no_show_fee_charged_at_night_texts_her_in_the_morning(pay_client, stripe_env, desk, frozen_now):
    held = her_card_saved(pay_client, stripe_env, email=None)  # a phone only: the fee is told by SMS
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    status, marked = desk.post(f"/appointments/{held['id']}/status", {"status": "no_show"})
    assert status == 200 and marked["payment"]["fees"] == {"no_show": "succeeded"}, marked
    assert marked["sms_at"] == MORNING, marked  # the owner can tell her when she hears of it
    assert "Saapumatta jättämisen maksu 111,30 € veloitettu" in held_until_morning(before)


def test_a_fee_told_by_email_names_no_sms_time(pay_client, stripe_env, desk, frozen_now):
    """Her fee is told by email when she gave one: no SMS to wait for, no time named."""
    held = her_card_saved(pay_client, stripe_env)
    frozen_now["now"] = at(NIGHT)
    status, marked = desk.post(f"/appointments/{held['id']}/status", {"status": "no_show"})
    assert status == 200 and marked["payment"]["fees"] == {"no_show": "succeeded"}, marked
    assert "sms_at" not in marked, marked


def test_a_fee_charged_by_day_names_no_sms_time(pay_client, stripe_env, desk, frozen_now):
    held = her_card_saved(pay_client, stripe_env, email=None)
    frozen_now["now"] = at("2026-11-25T15:30:00+02:00")  # her SMS goes at once
    status, marked = desk.post(f"/appointments/{held['id']}/status", {"status": "no_show"})
    assert status == 200 and marked["payment"]["fees"] == {"no_show": "succeeded"}, marked
    assert "sms_at" not in marked, marked


def test_a_held_fee_sms_obeys_the_quiet_hours_as_the_salon_has_them_in_the_morning(
    pay_client, stripe_env, desk, frozen_now
):
    """The no-show marked at 23:30 (its SMS held to 08:00); at 23:40 the owner moves the
    end of her quiet hours to 10:00. The held SMS waits for 10:00, as the desk's held
    news does (tests/admin/test_desk_night_sms.py)."""
    held = her_card_saved(pay_client, stripe_env, email=None)
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    assert desk.post(f"/appointments/{held['id']}/status", {"status": "no_show"})[0] == 200
    frozen_now["now"] = at("2026-11-25T23:40:00+02:00")
    marketing = desk.get("/settings")[1]["sections"]["marketing"]
    assert desk.put("/settings/marketing", {**marketing, "quiet_hours": {"start": "21:00", "end": "10:00"}})[0] == 200
    run_on_schedule("send_due", MORNING)
    run_on_schedule("send_due", "2026-11-26T09:59:00+02:00")
    assert texts_to_her(before) == [], "the salon's SMS went out inside its quiet hours as now set"
    run_on_schedule("send_due", "2026-11-26T10:00:00+02:00")
    [text] = texts_to_her(before)
    assert "Saapumatta jättämisen maksu 111,30 € veloitettu" in text


def test_a_fee_sms_retried_into_the_quiet_hours_waits_for_their_end(
    pay_client, stripe_env, desk, frozen_now, monkeypatch
):
    """Charged at 20:58, its SMS throttled: the retry, due inside the quiet hours, is held
    again when it is sent — as every SMS of the salon is (notify/dispatch.py)."""
    from chalicelib.notify import channels
    from tests.history import run_job

    held = her_card_saved(pay_client, stripe_env, email=None)
    real, failing = channels.send_sms, {"on": True}

    def throttled(*a, **kw):
        if failing["on"]:
            raise channels.SendError("sns:Throttling", throttled=True)
        return real(*a, **kw)

    monkeypatch.setattr(channels, "send_sms", throttled)
    frozen_now["now"] = at("2026-11-25T20:58:00+02:00")  # two minutes before the quiet hours
    before = len(sent_sms())
    assert desk.post(f"/appointments/{held['id']}/status", {"status": "no_show"})[0] == 200
    failing["on"] = False

    def fee_texts() -> list[str]:  # (her booking's confirmation, held up too, apart)
        return [text for text in texts_to_her(before) if "111,30 € veloitettu" in text]

    for moment in ("2026-11-25T21:05:00+02:00", "2026-11-26T02:00:00+02:00", "2026-11-26T07:59:00+02:00"):
        run_job("send_due", moment)
        assert fee_texts() == [], f"the retried SMS went out at {moment}, inside quiet hours"
    run_job("send_due", MORNING)
    assert len(fee_texts()) == 1


def test_the_owners_refund_of_a_fee_at_night_texts_her_in_the_morning(pay_client, stripe_env, desk, frozen_now):
    held = her_card_saved(pay_client, stripe_env, email=None)
    frozen_now["now"] = at("2026-11-25T15:30:00+02:00")  # marked by day: told at once
    before = len(sent_sms())
    assert desk.post(f"/appointments/{held['id']}/status", {"status": "no_show"})[0] == 200
    assert len(texts_to_her(before)) == 1
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    status, refund = desk.post(f"/appointments/{held['id']}/refund", {"reason": "flu", "fee": "no_show"})
    assert status == 200 and refund["sms_at"] == MORNING, refund  # the owner knows when she hears of it
    assert "111,30 € palautettu" in held_until_morning(before)


def test_a_late_cancellation_fee_charged_at_night_texts_her_in_the_morning(
    pay_client, stripe_env, aws, desk, frozen_now
):
    status, held = book_colour_paid_by(pay_client, aws, "card_on_file", email=None)
    assert status == 201, held
    set_up_card(stripe_env, held["payment"]["client_secret"], "4242424242424242")
    assert finish(pay_client, held)[1]["next"] == "done"
    frozen_now["now"] = at("2026-11-25T08:00:00+02:00")  # she phoned on the day: late
    assert desk.post(f"/appointments/{held['id']}/cancel", {"by": "client", "notify": False})[0] == 200
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    status, fee = desk.post(f"/appointments/{held['id']}/fees", {"kind": "late_cancel"})
    assert status == 200 and fee["state"] == "succeeded" and fee["sms_at"] == MORNING, fee
    assert "Myöhäisen peruutuksen maksu 64,50 € veloitettu" in held_until_morning(before)


def test_a_fee_her_bank_asks_her_to_confirm_at_night_emails_now_and_texts_in_the_morning(
    pay_client, stripe_env, desk, frozen_now
):
    held = paid_booking(pay_client, stripe_env, card="4000002760003184")  # her bank wants her to confirm
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    status, marked = desk.post(f"/appointments/{held['id']}/status", {"status": "no_show"})
    assert status == 200 and marked["payment"]["fees"] == {"no_show": "open"}, marked
    assert marked["sms_at"] == MORNING, marked  # her pay link by SMS beside the email
    assert len(emails_to("maija@example.com", "Vahvista maksu")) == 1  # the email at once
    assert held_until_morning(before).startswith("Vahvista saapumatta jättämisen maksu 111,30 €")


def test_her_own_payment_after_its_hold_ran_out_is_answered_at_once_at_night(pay_client, stripe_env, frozen_now):
    """Not the salon's doing: she paid at 23:26, after her hold ran out; the SMS saying
    it went back answers her at once."""
    from datetime import timedelta

    from chalicelib.jobs.schedule import JOBS
    from tests.payments.conftest import authenticate_payment

    frozen_now["now"] = at("2026-11-23T23:15:00+02:00")
    _, held = book_highlights(pay_client)
    set_up_card(stripe_env, held["payment"]["client_secret"], "4000002760003184")
    _, step = finish(pay_client, held)  # the charge waits for her bank
    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    before = len(sent_sms())
    authenticate_payment(stripe_env, step["client_secret"])  # she authenticates too late
    assert finish(pay_client, held)[1]["next"] == "refunded"
    [text] = texts_to_her(before)
    assert "palautettiin kokonaan" in text, text


def the_fee_text(aws, held: dict, key: str):
    """Her fee's text in the outbox (notices: fee_charged_key; the pay link's, by SMS)."""
    from chalicelib.store import outbox

    return outbox.get_message(aws.id, key.format(id=held["id"]))


def test_a_fee_charged_at_night_and_refunded_before_morning_texts_her_only_the_refund(
    pay_client, stripe_env, aws, desk, frozen_now
):
    """Marked a no-show at 23:30 (her SMS held to 08:00), refunded by the owner at 23:45:
    at 08:00 she hears the fee went back, never that it was charged; the charge's text is
    skipped (`fee_changed`). The refund's answer says when she hears of it (`sms_at`)."""
    held = her_card_saved(pay_client, stripe_env, email=None)
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    status, marked = desk.post(f"/appointments/{held['id']}/status", {"status": "no_show"})
    assert status == 200 and marked["sms_at"] == MORNING, marked
    frozen_now["now"] = at("2026-11-25T23:45:00+02:00")
    status, refund = desk.post(f"/appointments/{held['id']}/refund", {"reason": "flu", "fee": "no_show"})
    assert status == 200 and refund["state"] == "succeeded", refund
    assert refund["sms_at"] == MORNING, refund  # the refund's SMS waits too, and the owner is told when
    text = held_until_morning(before)
    assert "111,30 € palautettu" in text and "veloitettu" not in text, text
    told = the_fee_text(aws, held, "{id}#fee_charged-no_show")
    assert (told.status, told.last_error) == ("skipped", "fee_changed"), told


def fee_asked_for_at_night(pay_client, stripe_env, desk, frozen_now) -> tuple[dict, int]:
    """A no-show marked at 23:30 whose fee her bank wants her to confirm (its pay link by
    email at once, by SMS at 08:00): the booking, and how many SMS went before."""
    held = paid_booking(pay_client, stripe_env, card="4000002760003184")
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    status, marked = desk.post(f"/appointments/{held['id']}/status", {"status": "no_show"})
    assert status == 200 and marked["payment"]["fees"] == {"no_show": "open"}, marked
    return held, before


def test_a_pay_link_texted_at_night_for_a_fee_waived_before_morning_is_not_sent(
    pay_client, stripe_env, aws, desk, frozen_now
):
    """Her bank wanted her to confirm the no-show fee at 23:30 (the pay link by email at
    once, by SMS at 08:00); the owner waived it at 23:45: no SMS at 08:00 asks her to pay it."""
    held, before = fee_asked_for_at_night(pay_client, stripe_env, desk, frozen_now)
    frozen_now["now"] = at("2026-11-25T23:45:00+02:00")
    status, waived = desk.post(f"/appointments/{held['id']}/fees/no_show/waive", {"reason": "flu"})
    assert status == 200 and waived["state"] == "waived", waived
    run_on_schedule("send_due", MORNING)
    assert texts_to_her(before) == [], "the pay link of a fee waived went out"
    told = the_fee_text(aws, held, "{id}#payment-fee_open-no_show#sms")
    assert (told.status, told.last_error) == ("skipped", "fee_changed"), told


def test_a_no_show_undone_at_night_texts_her_the_fee_given_back_in_the_morning(
    pay_client, stripe_env, aws, desk, frozen_now
):
    """Marked a no-show at 23:30 by mistake and undone at 23:45: the fee goes back at
    once, and at 08:00 she hears only that (the charge's text skipped); the undo's answer
    says when (`sms_at`)."""
    held = her_card_saved(pay_client, stripe_env, email=None)
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    assert desk.post(f"/appointments/{held['id']}/status", {"status": "no_show"})[0] == 200
    frozen_now["now"] = at("2026-11-25T23:45:00+02:00")
    status, undone = desk.post(f"/appointments/{held['id']}/status", {"status": "booked"})
    assert status == 200 and undone["payment"]["fees"] == {"no_show": "refunded"}, undone
    assert undone["sms_at"] == MORNING, undone
    text = held_until_morning(before)
    assert "111,30 € palautettu" in text and "veloitettu" not in text, text


def test_a_pay_link_texted_at_night_for_a_fee_she_paid_before_morning_is_not_sent(
    pay_client, stripe_env, aws, desk, frozen_now
):
    """Her bank wanted her to confirm the no-show fee at 23:30; she paid it from the
    email's link at 23:50: no SMS at 08:00 asks her to pay it again."""
    from chalicelib.store import payments
    from tests.payments.test_fee_paid_after_waived import paid_anyway, paid_at_her_bank
    from tests.payments.test_webhooks import intent

    held, before = fee_asked_for_at_night(pay_client, stripe_env, desk, frozen_now)
    frozen_now["now"] = at("2026-11-25T23:50:00+02:00")
    fee = payments.get_money(aws.id, held["id"], "no_show")
    assert fee is not None and fee.intent
    secret = intent(fee.intent)["client_secret"]
    paid_at_her_bank(stripe_env, secret)
    paid_anyway(pay_client, secret, "evt_fee_paid_at_night")
    paid = payments.get_money(aws.id, held["id"], "no_show")
    assert paid is not None and paid.state == "succeeded", paid
    run_on_schedule("send_due", MORNING)
    assert [t for t in texts_to_her(before) if t.startswith("Vahvista")] == [], "the pay link of a fee paid went out"
    told = the_fee_text(aws, held, "{id}#payment-fee_open-no_show#sms")
    assert (told.status, told.last_error) == ("skipped", "fee_changed"), told


def test_a_fee_charged_at_night_whose_refund_stripe_refuses_texts_her_the_charge_in_the_morning(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """Marked a no-show at 23:30 and undone at 23:45, but Stripe refuses to give the fee
    back (the payment disputed): the money stays with the salon (the owner's to settle), so
    at 08:00 she still hears it was charged — not nothing, and not that it went back."""
    import stripe

    from tests.payments.test_owed_refunds import stripe_answers_refunds_with

    held = her_card_saved(pay_client, stripe_env, email=None)
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    assert desk.post(f"/appointments/{held['id']}/status", {"status": "no_show"})[0] == 200
    frozen_now["now"] = at("2026-11-25T23:45:00+02:00")
    refused = stripe.InvalidRequestError("refused", param=None, code="charge_disputed", http_status=400)
    with stripe_answers_refunds_with(monkeypatch, aws.id, refused):
        status, undone = desk.post(f"/appointments/{held['id']}/status", {"status": "booked"})
    assert status == 200 and undone["payment"]["fees"] == {"no_show": "refund_failed"}, undone
    text = held_until_morning(before)
    assert "Saapumatta jättämisen maksu 111,30 € veloitettu" in text and "palautettu" not in text, text
    assert the_fee_text(aws, held, "{id}#fee_charged-no_show").status == "sent"


def test_a_fee_refund_that_fails_at_stripe_before_morning_is_not_texted_as_made(
    pay_client, stripe_env, aws, desk, frozen_now
):
    """Charged at 23:30, refunded by the owner at 23:45 (Stripe took the refund), failed
    at Stripe at 01:00 (its webhook): at 08:00 she hears the fee was charged, and no text
    tells her of a refund that is not coming."""
    from tests.payments.test_no_show_undone import fee_refunds_at_stripe
    from tests.payments.test_refund_failures import failed_at_stripe
    from tests.payments.test_webhooks import deliver, event

    held = her_card_saved(pay_client, stripe_env, email=None)
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    assert desk.post(f"/appointments/{held['id']}/status", {"status": "no_show"})[0] == 200
    frozen_now["now"] = at("2026-11-25T23:45:00+02:00")
    status, refund = desk.post(f"/appointments/{held['id']}/refund", {"reason": "flu", "fee": "no_show"})
    assert status == 200 and refund["state"] == "succeeded", refund
    frozen_now["now"] = at("2026-11-26T01:00:00+02:00")
    [made] = fee_refunds_at_stripe(stripe_env, aws, held)
    failed = event("evt_fee_refund_failed_at_night", "refund.failed", failed_at_stripe(made))
    assert deliver(pay_client, failed) == (200, {"received": True, "applied": True})
    text = held_until_morning(before)
    assert "Saapumatta jättämisen maksu 111,30 € veloitettu" in text and "palautettu" not in text, text
    told = the_fee_text(aws, held, "{id}#fee_refunded-fee-no_show")
    assert (told.status, told.last_error) == ("skipped", "refund_failed"), told


def test_a_fee_charged_at_night_waits_while_its_refund_is_still_being_made(
    pay_client, stripe_env, aws, desk, frozen_now, monkeypatch
):
    """Charged at 23:30, undone at 23:45 while Stripe cannot be reached (the refund owed,
    tried again later): at 08:00 Stripe is still away and nobody knows yet whether the fee
    goes back, so no text says either; once the refund is made she hears only that."""
    from tests.payments.test_owed_refunds import connection_error, stripe_answers_refunds_with

    held = her_card_saved(pay_client, stripe_env, email=None)
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    assert desk.post(f"/appointments/{held['id']}/status", {"status": "no_show"})[0] == 200
    frozen_now["now"] = at("2026-11-25T23:45:00+02:00")
    with stripe_answers_refunds_with(monkeypatch, aws.id, connection_error()):
        status, undone = desk.post(f"/appointments/{held['id']}/status", {"status": "booked"})
        assert status == 200 and undone["payment"]["fees"] == {"no_show": "refunding"}, undone
        run_on_schedule("send_due", MORNING)  # the refund tried again, Stripe still away
    assert texts_to_her(before) == [], "a text went out before the refund's outcome was known"
    waiting = the_fee_text(aws, held, "{id}#fee_charged-no_show")
    assert waiting.status == "pending" and waiting.due_at > at(MORNING), waiting
    run_on_schedule("send_due", "2026-11-26T09:00:00+02:00")  # Stripe back: the refund made
    # (the charge's text, if that sweep met it before the refund, looks again 15 minutes on)
    run_on_schedule("send_due", "2026-11-26T09:15:00+02:00")
    [text] = texts_to_her(before)
    assert "111,30 € palautettu" in text and "veloitettu" not in text, text
    told = the_fee_text(aws, held, "{id}#fee_charged-no_show")
    assert (told.status, told.last_error) == ("skipped", "fee_changed"), told
