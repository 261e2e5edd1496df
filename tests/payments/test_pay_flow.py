"""A booking that takes a deposit, paid (or not) against localstripe: held while she
pays, booked once paid, another card after a decline, freed after the third declined card
or left unpaid."""

from __future__ import annotations

from datetime import timedelta

from tests.api.helpers import book, get, post, slots, token_of
from tests.conftest import emails_to, sent_emails
from tests.payments.conftest import authenticate_payment, set_up_card

START = "2026-11-25T12:00:00+02:00"
DEPOSIT = 4770  # 30 % of 159,00 €


def book_highlights(client, **kw):
    return book(client, START, service="highlights", staff="aino", accepted_payment_terms=1, **kw)


def finish(client, booking):
    return post(client, f"/api/v1/bookings/{token_of(booking['manage_url'])}/payment", {})


def decline_every_card(client, ls, booking) -> tuple[int, dict]:
    """Her every card declined (holds.CARD_TRIES of them, each on the SetupIntent the one
    before left her): the last finish's answer, the time released."""
    secret = booking["payment"]["client_secret"]
    while True:
        assert set_up_card(ls, secret, "4000000000000002").status_code == 402
        status, body = finish(client, booking)
        if body["error"]["code"] != "card_declined_try_another":
            return status, body
        secret = body["error"]["client_secret"]


def status_of(client, booking):
    status, view = get(client, f"/api/v1/bookings/{token_of(booking['manage_url'])}")
    assert status == 200, view
    return view


def test_profile_shows_each_services_payment_policy(pay_client):
    status, profile = get(pay_client, "/api/v1/businesses/demo")
    assert status == 200
    services = {s["id"]: s for s in profile["services"]}
    assert services["highlights"]["payment"] == {
        "kind": "deposit",
        "amount_cents": DEPOSIT,
        "free_until_hours": 24,
        "late_cancel_fee_percent": 50,
        "no_show_fee_percent": 100,
    }
    assert services["womens-cut"]["payment"]["kind"] == "none"
    assert profile["payments"]["version"] == 1


def test_a_deposit_needs_the_terms_ticked(pay_client):
    status, body = book(pay_client, START, service="highlights", staff="aino")
    assert status == 422 and body["error"]["code"] == "payment_terms_not_accepted"
    status, body = book(pay_client, START, service="highlights", staff="aino", accepted_payment_terms=7)
    assert status == 422
    assert START in slots(pay_client, service="highlights", day="2026-11-25")["aino"]


def test_the_terms_ticked_are_a_whole_number_as_sent(pay_client):
    """`true`, "1" or 1.0 is no tick of version 1 (the booking page converts its form's
    text itself: test_pay_page): a 422 on the field, nothing held."""
    for sent in (True, "1", 1.0):
        status, body = book(pay_client, START, service="highlights", staff="aino", accepted_payment_terms=sent)
        assert status == 422 and set(body["error"]["fields"]) == {"accepted_payment_terms"}, (sent, body)
    assert START in slots(pay_client, service="highlights", day="2026-11-25")["aino"]


def test_paying_the_deposit_with_a_plain_card_confirms_the_booking(pay_client, stripe_env):
    status, held = book_highlights(pay_client)
    assert status == 201, held
    assert held["status"] == "pending_payment"
    assert held["hold_until"] == "2026-11-23T10:10:00+02:00"
    assert held["payment"]["amount_cents"] == DEPOSIT
    assert held["payment"]["client_secret"].startswith("seti_")
    assert held["payment"]["publishable_key"].startswith("pk_test_")
    assert sent_emails() == []  # no confirmation while unpaid
    assert START not in slots(pay_client, service="highlights", day="2026-11-25")["aino"]  # held

    assert set_up_card(stripe_env, held["payment"]["client_secret"], "4242424242424242").ok
    status, done = finish(pay_client, held)
    assert (status, done["next"], done["status"]) == (200, "done", "booked")
    view = status_of(pay_client, held)
    assert view["status"] == "booked"
    assert len(sent_emails()) == 1  # the confirmation, once paid
    # Asking again changes nothing and sends nothing more.
    assert finish(pay_client, held)[1]["next"] == "done"
    assert len(sent_emails()) == 1


def test_the_confirmation_says_the_deposit_was_paid_and_until_when_it_comes_back(pay_client, stripe_env):
    # No receipt is sent for a deposit (only after the visit, at the desk): the
    # confirmation, which leaves once it is paid, is where she reads it.
    _, held = book_highlights(pay_client)
    set_up_card(stripe_env, held["payment"]["client_secret"], "4242424242424242")
    assert finish(pay_client, held)[1]["next"] == "done"
    [text] = emails_to("maija@example.com")
    assert "Ennakkomaksu maksettu: 47,70\u00a0€" in text
    from tests.payments.test_pay_page import TERMS_FI

    assert " ".join(TERMS_FI.split()) in " ".join(text.split())  # the pages' words, one sentence per case


def test_a_3d_secure_card_authenticates_and_pays(pay_client, stripe_env):
    _, held = book_highlights(pay_client)
    assert set_up_card(stripe_env, held["payment"]["client_secret"], "4000002760003184").json()["status"] == "succeeded"
    status, step = finish(pay_client, held)
    assert status == 200 and step["next"] == "authenticate" and step["client_secret"].startswith("pi_")
    assert status_of(pay_client, held)["status"] == "pending_payment"
    assert authenticate_payment(stripe_env, step["client_secret"]).json()["status"] == "succeeded"
    status, done = finish(pay_client, held)
    assert (status, done["next"]) == (200, "done")
    assert status_of(pay_client, held)["status"] == "booked"


def test_a_declined_card_keeps_the_time_for_another_card(pay_client, stripe_env, aws):
    """A decline is not the end of her booking: the time stays hers until the hold runs
    out, a new SetupIntent for another card (the same customer), and that card pays."""
    from chalicelib.services.payments.stripe_account import Account

    _, held = book_highlights(pay_client)
    first = held["payment"]["client_secret"]
    assert set_up_card(stripe_env, first, "4000000000000002").status_code == 402
    status, body = finish(pay_client, held)
    assert status == 402 and body["error"]["code"] == "card_declined_try_another", body
    assert body["error"]["hold_until"] == "2026-11-23T10:10:00+02:00" and body["error"]["tries_left"] == 2
    again = body["error"]["client_secret"]
    assert again.startswith("seti_") and again != first
    assert status_of(pay_client, held)["status"] == "pending_payment"
    assert START not in slots(pay_client, service="highlights", day="2026-11-25")["aino"]  # still hers
    # Asked again on the same decline: the same new card's setup, nothing more counted.
    status, body = finish(pay_client, held)
    assert status == 409 and body["error"]["code"] == "payment_pending", body

    assert set_up_card(stripe_env, again, "4242424242424242").ok
    status, done = finish(pay_client, held)
    assert (status, done["next"], done["status"]) == (200, "done", "booked")
    assert len(sent_emails()) == 1
    from chalicelib.store import bookings

    appt = bookings.get_appointment(aws.id, held["id"])
    setup = Account(aws.id).setup_intent(again.split("_secret_")[0])
    assert appt is not None and appt.payment is not None and appt.payment.customer == setup.customer
    assert appt.payment.declines == 1 and appt.payment.setup_intent == again.split("_secret_")[0]


def test_the_third_declined_card_frees_the_time(pay_client, stripe_env):
    from chalicelib.services.payments.holds import CARD_TRIES

    _, held = book_highlights(pay_client)
    secret, left = held["payment"]["client_secret"], []
    for _ in range(CARD_TRIES - 1):
        assert set_up_card(stripe_env, secret, "4000000000000002").status_code == 402
        status, body = finish(pay_client, held)
        assert (status, body["error"]["code"]) == (402, "card_declined_try_another")
        secret = body["error"]["client_secret"]
        left.append(body["error"]["tries_left"])
    assert CARD_TRIES == 3 and left == [2, 1]
    assert set_up_card(stripe_env, secret, "4000000000000002").status_code == 402
    status, body = finish(pay_client, held)
    assert status == 402 and body["error"]["code"] == "payment_declined"
    assert status_of(pay_client, held)["status"] == "cancelled"
    assert START in slots(pay_client, service="highlights", day="2026-11-25")["aino"]
    assert sent_emails() == []


def test_a_card_declined_as_the_hold_runs_out_frees_the_time(pay_client, stripe_env, frozen_now):
    _, held = book_highlights(pay_client)
    assert set_up_card(stripe_env, held["payment"]["client_secret"], "4000000000000002").status_code == 402
    frozen_now["now"] += timedelta(minutes=10)  # the hold's end: no time left to try another card
    status, body = finish(pay_client, held)
    assert status == 402 and body["error"]["code"] == "payment_declined"
    assert START in slots(pay_client, service="highlights", day="2026-11-25")["aino"]


def test_an_unpaid_hold_expires_and_frees_the_time(pay_client, aws, frozen_now):
    from chalicelib.jobs.schedule import JOBS
    from tests.webhooks.test_money_events import webhook_events

    _, held = book_highlights(pay_client)
    assert JOBS["hold_expiry"].run(frozen_now["now"] + timedelta(minutes=9)) == {
        "found": 0,
        "freed": 0,
        "paid": 0,
        "stopped_by_budget": 0,
    }
    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"]) == {"found": 1, "freed": 1, "paid": 0, "stopped_by_budget": 0}
    assert status_of(pay_client, held)["status"] == "cancelled"
    assert START in slots(pay_client, service="highlights", day="2026-11-25")["aino"]
    told = [e["type"] for e in webhook_events(aws.id) if e["type"].startswith(("booking", "pay"))]
    assert told == ["booking.cancelled", "booking.created"]  # the integrations hear it ended unpaid
    assert JOBS["hold_expiry"].run(frozen_now["now"]) == {
        "found": 0,
        "freed": 0,
        "paid": 0,
        "stopped_by_budget": 0,
    }  # once


def test_an_unpaid_hold_running_out_offers_its_time_to_the_waitlist(pay_client, aws, frozen_now):
    from chalicelib.jobs.schedule import JOBS
    from tests.waitlist.helpers import join, offer_links

    _, held = book_highlights(pay_client)
    status, _ = join(
        pay_client, service="highlights", first="2026-11-25", last="2026-11-25", phone="040 765 4321", email=None
    )
    assert status == 201
    assert offer_links("+358407654321") == []  # held while she pays: nothing to offer yet
    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    assert len(offer_links("+358407654321")) == 1  # the time the unpaid hold kept


def test_a_payment_after_the_hold_expired_is_refunded(pay_client, stripe_env, frozen_now):
    from chalicelib.jobs.schedule import JOBS

    _, held = book_highlights(pay_client)
    set_up_card(stripe_env, held["payment"]["client_secret"], "4000002760003184")
    _, step = finish(pay_client, held)  # the charge waits for her bank
    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    authenticate_payment(stripe_env, step["client_secret"])  # she authenticates too late
    status, after = finish(pay_client, held)
    assert (status, after["next"], after["refunded_cents"]) == (200, "refunded", DEPOSIT)
    assert status_of(pay_client, held)["status"] == "cancelled"
    assert finish(pay_client, held)[1]["refunded_cents"] == DEPOSIT  # refunded once
    told = emails_to("maija@example.com", "palautettiin kokonaan")
    assert len(told) == 1 and "47,70\u00a0€" in told[0]  # and she was told, once


def test_stripe_down_is_a_503_and_writes_nothing(pay_client, monkeypatch):
    from dataclasses import replace

    from chalicelib.services.payments import stripe_account
    from chalicelib.settings import get_settings
    from scripts.dynamodb_local import free_port
    from tests.api.helpers import table_items

    before = len(table_items())
    nobody = replace(get_settings(), stripe_api_base=f"http://127.0.0.1:{free_port()}")
    monkeypatch.setattr(stripe_account, "get_settings", lambda: nobody)
    monkeypatch.setattr(stripe_account, "_clients", {})
    status, body = book_highlights(pay_client)
    assert status == 503 and body["error"]["code"] == "payments_unavailable"
    assert len(table_items()) == before
    assert START in slots(pay_client, service="highlights", day="2026-11-25")["aino"]


def test_services_without_payment_book_as_before(pay_client):
    status, body = book(pay_client, START, service="womens-cut", staff="aino")
    assert status == 201 and body["status"] == "booked" and "payment" not in body


def test_one_job_ends_both_kinds_of_hold_asking_stripe_first(pay_client, aws, stripe_env, frozen_now):
    """Main's confirmation hold and the payment hold are one hold (hold_until + what it
    waits for), one HOLD# index entry and one job: a booking that pays waits for her
    payment only (no link to click); paid with the page closed and the webhook missed,
    the job finds the payment at Stripe and books it; the one waiting for her link is freed."""
    from chalicelib.jobs.schedule import JOBS
    from tests.api.helpers import set_config
    from tests.webhooks.test_money_events import webhook_events

    hold = {"enabled": True, "minutes": 10, "far_ahead_days": 2, "bulk_bookings": 3}
    set_config(aws, limits__hold_unconfirmed=hold)
    _, paying = book_highlights(pay_client)  # a new client, two days ahead
    assert paying["status"] == "pending_payment" and "hold_until" in paying
    status, waiting = book(pay_client, "2026-11-25T15:00:00+02:00", service="womens-cut", staff="aino")
    assert status == 201 and waiting["status"] == "awaiting_confirmation"
    assert len(emails_to("maija@example.com", "/h/")) == 1  # the link: the unpaid booking's only
    assert set_up_card(stripe_env, paying["payment"]["client_secret"], "4242424242424242").ok
    frozen_now["now"] += timedelta(minutes=11)  # both holds ran out; the pay page never called back
    assert JOBS["hold_expiry"].run(frozen_now["now"]) == {"found": 2, "freed": 1, "paid": 1, "stopped_by_budget": 0}
    assert status_of(pay_client, paying)["status"] == "booked"
    assert status_of(pay_client, paying)["payment"]["paid_cents"] == DEPOSIT
    assert status_of(pay_client, waiting)["status"] == "cancelled"
    paid = [e["data"] for e in webhook_events(aws.id) if e["type"] == "payment.succeeded"]
    assert [(d["kind"], d["amount_cents"]) for d in paid] == [("deposit", DEPOSIT)]
    assert JOBS["hold_expiry"].run(frozen_now["now"]) == {
        "found": 0,
        "freed": 0,
        "paid": 0,
        "stopped_by_budget": 0,
    }  # once
    # The paid booking's confirmation left through the outbox stream, once, with no link.
    mails = emails_to("maija@example.com")
    assert len(mails) == 2 and len([m for m in mails if "/h/" in m]) == 1


def test_a_hold_that_runs_out_withdraws_a_reward_the_stamps_no_longer_cover(pay_client, aws, frozen_now):
    """A deposit booking holds her reward while she pays; meanwhile the visit that earned it
    is corrected to a no-show; the hold runs out unpaid: the reward does not go back on a
    card whose stamps no longer cover it."""
    from chalicelib.jobs.schedule import JOBS
    from tests.admin.helpers import Desk
    from tests.history import past_visits
    from tests.loyalty.helpers import THURSDAYS, set_programme
    from tests.loyalty.test_stamps import card_token

    set_programme(loyalty={"stamps_for_reward": 3})
    desk = Desk(pay_client, aws.id)
    ids = past_visits(THURSDAYS[:3], clock=frozen_now).appointment_ids
    reward = {"id": "loy-1", "card": card_token()}
    status, held = book(
        pay_client, THURSDAYS[4], service="highlights", staff="aino", accepted_payment_terms=1, reward=reward
    )
    assert status in (201, 202) and held["status"] == "pending_payment", held
    assert desk.post(f"/appointments/{ids[-1]}/status", {"status": "no_show"})[0] == 200
    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    cid = next(c["id"] for c in desk.get("/clients")[1]["clients"] if c["name"] == "Maija Meikäläinen")
    card = desk.get(f"/clients/{cid}/loyalty")[1]
    assert card["stamps"] == 2 and [(r["id"], r["status"]) for r in card["rewards"]] == [("loy-1", "revoked")], card
