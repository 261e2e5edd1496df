"""A waitlist offer of a service that takes a deposit books as a public booking of it does,
against localstripe: the terms on the offer's page before the tap, the time held while she
pays on the pay page, booked once paid; left unpaid, the hold runs out and the time is free
(and offered to the list) again. Before, the tap booked foil highlights straight to
"booked" with no deposit, no card and no terms: the salon's no-show protection skipped on
exactly the prime-time slot a waitlist refills."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.admin.helpers import Desk
from tests.api.helpers import get, post, slots, token_of
from tests.api.test_pages import form_post, page
from tests.conftest import emails_to
from tests.payments.conftest import set_up_card
from tests.payments.test_pay_flow import DEPOSIT, START, book_highlights, finish, status_of
from tests.payments.test_pay_page import TERMS_FI
from tests.waitlist.helpers import join, offer_links

LIISA = "+358407654321"


def _offered_highlights(pay_client, frozen_now) -> str:
    """Maija's deposit hold on foil highlights runs out unpaid; Liisa, waiting for that
    day, is offered its time: her offer link."""
    from chalicelib.jobs.schedule import JOBS

    status, held = book_highlights(pay_client)
    assert status == 201 and held["status"] == "pending_payment", held
    status, _ = join(
        pay_client,
        service="highlights",
        first="2026-11-25",
        last="2026-11-25",
        name="Liisa Virtanen",
        phone="040 765 4321",
        email="liisa@example.com",
    )
    assert status == 201
    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    [link] = offer_links(LIISA)
    assert get(pay_client, f"/api/v1/offers/{link}")[1]["start"] == START
    return link


def test_an_offer_of_a_deposit_service_is_held_until_paid_and_then_booked(pay_client, stripe_env, frozen_now):
    link = _offered_highlights(pay_client, frozen_now)
    # Without the terms ticked: refused as the booking page refuses it, and still hers to take.
    status, body = post(pay_client, f"/api/v1/offers/{link}/book", {})
    assert status == 422 and body["error"]["code"] == "payment_terms_not_accepted", body
    assert body["error"]["fields"] == {"accepted_payment_terms": "must be 1, the version shown"}
    for sent in (True, "1", 1.0):  # no tick: a whole number as sent
        status, body = post(pay_client, f"/api/v1/offers/{link}/book", {"accepted_payment_terms": sent})
        assert status == 422 and set(body["error"]["fields"]) == {"accepted_payment_terms"}, (sent, body)
    assert get(pay_client, f"/api/v1/offers/{link}")[1]["status"] == "open"
    assert START in slots(pay_client, service="highlights", day="2026-11-25")["aino"]

    status, held = post(pay_client, f"/api/v1/offers/{link}/book", {"accepted_payment_terms": 1})
    assert status == 201, held
    assert held["status"] == "pending_payment" and held["start"] == START
    assert held["payment"]["kind"] == "deposit" and held["payment"]["amount_cents"] == DEPOSIT
    assert held["payment"]["client_secret"].startswith("seti_") and "/pay/" in held["payment"]["pay_url"]
    assert emails_to("liisa@example.com", "Ennakkomaksu maksettu") == []  # no confirmation while unpaid
    assert START not in slots(pay_client, service="highlights", day="2026-11-25")["aino"]  # held for her
    # Tapped again: the same held booking, its pay page with it.
    again = post(pay_client, f"/api/v1/offers/{link}/book", {"accepted_payment_terms": 1})
    assert again[0] == 201 and again[1]["id"] == held["id"] and again[1]["payment"]["pay_url"]

    assert set_up_card(stripe_env, held["payment"]["client_secret"], "4242424242424242").ok
    status, done = finish(pay_client, held)
    assert (status, done["next"], done["status"]) == (200, "done", "booked")
    assert status_of(pay_client, held)["status"] == "booked"
    [text] = emails_to("liisa@example.com", "Ennakkomaksu maksettu")
    assert "47,70\u00a0€" in text


def test_the_offer_page_shows_the_deposit_and_terms_and_its_tap_leads_to_the_pay_page(
    pay_client, stripe_env, frozen_now
):
    link = _offered_highlights(pay_client, frozen_now)
    status, html = page(pay_client, f"/o/{link}?lang=fi")
    assert status == 200
    assert "Varattaessa maksetaan ennakkomaksu 47,70\u00a0€." in html, html
    assert " ".join(TERMS_FI.split()) in " ".join(html.split())
    assert 'name="accept_terms" value="1" required' in html

    status, refused, _ = form_post(pay_client, f"/o/{link}/book", {"lang": "fi"})
    assert status == 422 and "Hyväksy maksu- ja peruutusehdot ennen varaamista." in refused
    assert 'id="payment-terms"' in refused  # the terms to tick again, above the same button
    assert get(pay_client, f"/api/v1/offers/{link}")[1]["status"] == "open"

    status, _, headers = form_post(pay_client, f"/o/{link}/book", {"lang": "fi", "accept_terms": "1"})
    assert status == 303 and headers["Location"].startswith("/pay/"), headers
    status, pay = page(pay_client, headers["Location"])
    assert status == 200 and f'<script src="{stripe_env.js_url}"></script>' in pay
    token = headers["Location"].split("/pay/", 1)[1].split("?")[0]
    assert get(pay_client, f"/api/v1/bookings/{token}")[1]["status"] == "pending_payment"

    # Back on the offer's page while she pays: held for her until the hold's end, confirmed by
    # paying through the pay link (not "you booked a time from the waitlist": it is not booked yet).
    offer = get(pay_client, f"/api/v1/offers/{link}")[1]
    assert offer["booking"]["status"] == "pending_payment", offer
    assert offer["booking"]["pay_url"].endswith(f"/pay/{token}")
    pay_link = f'href="{offer["booking"]["pay_url"]}?lang='
    until = {"fi": "ma 23.11. klo 10.21", "sv": "mån 23.11. kl. 10.21", "en": "Mon 23 Nov at 10:21"}
    says = {
        "fi": ("Aika on varattu sinulle {time} asti. Vahvistat sen maksamalla.", "Maksa ja vahvista", "Varasit ajan"),
        "sv": (
            "Tiden hålls åt dig till {time}. Du bekräftar den genom att betala.",
            "Betala och bekräfta",
            "Du bokade",
        ),
        "en": ("The time is held for you until {time}. You confirm it by paying.", "Pay and confirm", "You booked"),
    }
    for lang, (held, pay_words, booked) in says.items():
        status, html = page(pay_client, f"/o/{link}?lang={lang}")
        text = " ".join(re.sub(r"<[^>]+>", "", html).split())
        assert status == 200 and held.format(time=until[lang]) in text, text
        assert f'{pay_link}{lang}">{pay_words}</a>' in html and booked not in text
    # Her waitlist entry's page says the same, not that she booked.
    from chalicelib.services.waitlist.join import entry_token
    from chalicelib.store import businesses
    from chalicelib.store import waitlist as entries

    demo = businesses.get_by_slug("demo")
    assert demo is not None
    entry = entries.get_entry(demo.id, offer["entry"]["id"])
    assert entry is not None
    status, html = page(pay_client, f"/w/{entry_token(entry)}?lang=fi")
    text = " ".join(re.sub(r"<[^>]+>", "", html).split())
    assert status == 200 and says["fi"][0].format(time=until["fi"]) in text, text
    assert f'{pay_link}fi">Maksa ja vahvista</a>' in html and "Varasit ajan" not in text


def _tapped_with_kaisa_waiting(pay_client, frozen_now):
    """Liisa taps her offer of highlights (held for its deposit) with Kaisa Next waiting for
    the same day after her: (link, held)."""
    link = _offered_highlights(pay_client, frozen_now)
    join(
        pay_client,
        service="highlights",
        first="2026-11-25",
        last="2026-11-25",
        name="Kaisa Next",
        phone="040 888 8888",
        email=None,
    )
    status, held = post(pay_client, f"/api/v1/offers/{link}/book", {"accepted_payment_terms": 1})
    assert status == 201 and held["status"] == "pending_payment", held
    return link, held


def test_an_unpaid_offer_hold_runs_out_and_frees_the_time_for_the_list(pay_client, frozen_now):
    from chalicelib.jobs.schedule import JOBS

    link, held = _tapped_with_kaisa_waiting(pay_client, frozen_now)
    assert START not in slots(pay_client, service="highlights", day="2026-11-25")["aino"]
    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    assert get(pay_client, f"/api/v1/bookings/{token_of(held['manage_url'])}")[1]["status"] == "cancelled"
    assert START in slots(pay_client, service="highlights", day="2026-11-25")["aino"]  # free again
    assert len(offer_links("+358408888888")) == 1  # and offered to the next on the list


def test_an_offer_of_a_service_without_payment_books_at_once(pay_client, frozen_now):
    from tests.api.helpers import book

    status, booked = book(pay_client, "2026-11-25T13:00:00+02:00")
    assert status == 201 and booked["status"] == "booked"
    join(pay_client, first="2026-11-25", last="2026-11-25", name="Liisa", phone="040 765 4321", email=None)
    post(pay_client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")
    [link] = offer_links(LIISA)
    assert "accept_terms" not in page(pay_client, f"/o/{link}?lang=fi")[1]
    status, mine = post(pay_client, f"/api/v1/offers/{link}/book")
    assert status == 201 and mine["status"] == "booked" and "payment" not in mine


def _refills(pay_client, aws) -> dict:
    from tests.admin.helpers import Desk

    status, figures = Desk(pay_client, aws.id).get("/waitlist/kpis?from=2026-11-25&to=2026-11-25")
    assert status == 200, figures
    return figures


def test_an_offer_held_for_its_deposit_counts_as_refilled_only_once_paid(pay_client, stripe_env, frozen_now, aws):
    """Before, the tap counted the refill at once: the key figures (and the desk's waitlist
    figures) showed a refill and its revenue for a deposit never paid."""
    link = _offered_highlights(pay_client, frozen_now)
    status, held = post(pay_client, f"/api/v1/offers/{link}/book", {"accepted_payment_terms": 1})
    assert status == 201 and held["status"] == "pending_payment", held
    figures = _refills(pay_client, aws)
    assert (figures["refills"], figures["refilled_minutes"], figures["revenue_recovered_cents"]) == (0, 0, 0)
    assert figures["median_seconds_to_refill"] is None

    frozen_now["now"] += timedelta(minutes=3)
    assert set_up_card(stripe_env, held["payment"]["client_secret"], "4242424242424242").ok
    assert finish(pay_client, held)[1]["status"] == "booked"
    assert finish(pay_client, held)[1]["status"] == "booked"  # the page asks again: counted once
    figures = _refills(pay_client, aws)
    assert figures["refills"] == 1 and figures["refilled_minutes"] > 0
    assert figures["revenue_recovered_cents"] == held["price_cents"]
    assert figures["median_seconds_to_refill"] == 3 * 60  # freed when Maija's hold ran out, refilled once paid


def test_an_offer_hold_that_runs_out_unpaid_is_no_refill(pay_client, frozen_now, aws):
    from chalicelib.jobs.schedule import JOBS

    link = _offered_highlights(pay_client, frozen_now)
    status, held = post(pay_client, f"/api/v1/offers/{link}/book", {"accepted_payment_terms": 1})
    assert status == 201 and held["status"] == "pending_payment", held
    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    figures = _refills(pay_client, aws)
    assert (figures["refills"], figures["refilled_minutes"], figures["revenue_recovered_cents"]) == (0, 0, 0)
    assert figures["freed_minutes"] > 0  # freed twice, refilled never


def test_her_entry_is_open_again_when_the_offer_hold_runs_out_unpaid(pay_client, frozen_now, aws):
    """Before, her entry closed at the tap and stayed closed when she never paid: off the
    list she still wanted to be on, offered nothing more."""
    from chalicelib.jobs.schedule import JOBS
    from tests.admin.helpers import Desk
    from tests.api.helpers import book

    desk = Desk(pay_client, aws.id)
    link, held = _tapped_with_kaisa_waiting(pay_client, frozen_now)
    assert get(pay_client, f"/api/v1/offers/{link}")[1]["entry"]["status"] == "booked"  # she took it
    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1

    offer = get(pay_client, f"/api/v1/offers/{link}")[1]
    assert offer["entry"]["status"] == "open" and offer["status"] == "unpaid", offer
    _, listed = desk.get("/waitlist")
    assert sorted(e["name"] for e in listed["entries"]) == ["Kaisa Next", "Liisa Virtanen"]
    _, counts = desk.get("/waitlist?from=2026-11-25&to=2026-11-25")
    assert counts["waiting"] == [{"date": "2026-11-25", "service": "highlights", "count": 2}]
    _, offers = desk.get("/waitlist/offers?from=2026-11-25&to=2026-11-25")
    assert {o["name"]: o["status"] for o in offers["offers"]} == {"Liisa Virtanen": "unpaid", "Kaisa Next": "open"}
    # The time went to the next on the list, not back to her; her old link books nothing.
    assert len(offer_links(LIISA)) == 1 and len(offer_links("+358408888888")) == 1
    status, html = page(pay_client, f"/o/{link}?lang=fi")
    assert status == 200 and "joten aika tarjottiin jonossa seuraavalle. Olet yhä jonossa" in html, html
    assert "accept_terms" not in html
    status, body = post(pay_client, f"/api/v1/offers/{link}/book", {"accepted_payment_terms": 1})
    assert status == 410 and body["error"]["code"] == "offer_expired", body
    # Still on the list: the next freed time that fits is offered to her again.
    status, other = book(
        pay_client,
        "2026-11-25T15:00:00+02:00",
        service="highlights",
        staff="aino",
        accepted_payment_terms=1,
        name="Three",
        phone="040 333 3333",
        email="three@example.com",
    )
    assert status == 201 and other["status"] == "pending_payment", other
    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    assert len(offer_links(LIISA)) == 2


def test_an_entry_whose_days_passed_stays_closed_when_its_offer_hold_ends_unpaid(pay_client, frozen_now, aws):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from chalicelib.jobs.schedule import JOBS
    from tests.admin.helpers import Desk

    link = _offered_highlights(pay_client, frozen_now)
    status, held = post(pay_client, f"/api/v1/offers/{link}/book", {"accepted_payment_terms": 1})
    assert status == 201 and held["status"] == "pending_payment", held
    # The job ends the hold only after her last day (it was down): nothing to wait for.
    frozen_now["now"] = datetime(2026, 11, 26, 8, 0, tzinfo=ZoneInfo("Europe/Helsinki"))
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    from chalicelib.store import waitlist

    [entry] = waitlist.entries_of(aws.id)
    assert entry.status == "booked" and not waitlist.waiting_on(aws.id, "highlights", entry.last)  # not reopened
    _, offers = Desk(pay_client, aws.id).get("/waitlist/offers?from=2026-11-25&to=2026-11-25")
    assert [o["status"] for o in offers["offers"]] == ["unpaid"]
    assert Desk(pay_client, aws.id).get("/waitlist")[1]["entries"] == []


def test_the_offer_of_a_deposit_service_says_the_deposit_asked_not_one_tap(pay_client, frozen_now):
    """Before, the offer said "book it in one tap" and nothing of the 47,70 € the tap leads
    to paying: she found out on the pay page."""
    from chalicelib.jobs.schedule import JOBS
    from tests import conftest

    status, held = book_highlights(pay_client)
    assert status == 201 and held["status"] == "pending_payment", held
    join(pay_client, service="highlights", first="2026-11-25", last="2026-11-25", name="Liisa", phone="040 765 4321")
    join(
        pay_client,
        service="highlights",
        first="2026-11-25",
        last="2026-11-25",
        name="Kate",
        phone=None,
        email="kate@example.com",
        locale="en",
    )
    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    assert len(offer_links(LIISA)) == 1
    [sms] = [text for number, text, *_ in conftest.sent_sms() if number == LIISA and "/o/" in text]
    assert "Ennakko 47,70 €" in sms, sms
    [email] = emails_to("kate@example.com", "A time came free")
    assert "A deposit of €47.70 is asked to confirm the booking" in email, email
    assert "one tap" not in email


def test_her_entry_opens_again_when_the_database_failed_right_after_the_hold_ended(
    pay_client, frozen_now, aws, monkeypatch
):
    """Before, her entry was opened again in a transaction of its own after the release's: the
    database gone between the two (a crash, a timeout) left her off the list for good — the
    retried freed time offered the time to the next on the list, and her entry stayed closed."""
    from chalicelib.jobs.schedule import JOBS
    from chalicelib.store import holds
    from tests.faults import UNREACHABLE, dynamodb_faults

    link, held = _tapped_with_kaisa_waiting(pay_client, frozen_now)
    frozen_now["now"] += timedelta(minutes=11)

    down = {"now": False}
    release = holds.release

    def release_then_down(*args, **kwargs):
        release(*args, **kwargs)
        down["now"] = True  # the release committed; nothing after it reaches the database

    def answers():
        while True:
            yield UNREACHABLE if down["now"] else None

    monkeypatch.setattr(holds, "release", release_then_down)
    operations = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchGetItem", "BatchWriteItem")
    with dynamodb_faults({op: answers() for op in (*operations, "TransactWriteItems", "TransactGetItems")}):
        try:
            JOBS["hold_expiry"].run(frozen_now["now"])
        except Exception:
            pass  # the job's own bookkeeping failed too
    monkeypatch.setattr(holds, "release", release)
    assert down["now"]
    assert get(pay_client, f"/api/v1/bookings/{token_of(held['manage_url'])}")[1]["status"] == "cancelled"

    # The database is back: the sweeper's next run after the freed time's lease does the rest.
    frozen_now["now"] += timedelta(minutes=3)
    JOBS["send_due"].run(frozen_now["now"])
    offer = get(pay_client, f"/api/v1/offers/{link}")[1]
    assert offer["entry"]["status"] == "open" and offer["status"] == "unpaid", offer
    assert len(offer_links("+358408888888")) == 1 and len(offer_links(LIISA)) == 1
    JOBS["send_due"].run(frozen_now["now"] + timedelta(minutes=5))  # run again: nothing twice
    assert len(offer_links("+358408888888")) == 1 and len(offer_links(LIISA)) == 1
    _, listed = Desk(pay_client, aws.id).get("/waitlist")
    assert sorted(e["name"] for e in listed["entries"]) == ["Kaisa Next", "Liisa Virtanen"]


def _paid_as_her_hold_ran_out(pay_client, stripe_env, frozen_now, aws, monkeypatch):
    """Her offer's deposit asked with 3-D Secure; the hold_expiry job releases the hold
    (Stripe: not paid yet), then her bank says yes. The next read of the hold (the
    webhook's or the pay page's) answers as it was before the release, as if that read had
    come just before it: (link, held, step)."""
    from chalicelib.jobs.schedule import JOBS
    from chalicelib.services.payments import holds
    from chalicelib.store import businesses
    from tests.payments.conftest import authenticate_payment

    link = _offered_highlights(pay_client, frozen_now)
    status, held = post(pay_client, f"/api/v1/offers/{link}/book", {"accepted_payment_terms": 1})
    assert status == 201 and held["status"] == "pending_payment", held
    assert set_up_card(stripe_env, held["payment"]["client_secret"], "4000002760003184").ok  # 3-D Secure
    _, step = finish(pay_client, held)
    assert step["next"] == "authenticate", step
    b = businesses.get_by_id(aws.id)
    assert b is not None
    as_read = holds.read(b, held["id"])  # still held

    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1  # Stripe said: not paid yet
    authenticate_payment(stripe_env, step["client_secret"])  # and then it was
    reads = iter([as_read])
    real_read = holds.read
    monkeypatch.setattr(holds, "read", lambda b, appointment_id: next(reads, None) or real_read(b, appointment_id))
    return link, held, step


def test_a_payment_whose_webhook_read_the_hold_just_before_it_ran_out_is_refunded(
    pay_client, stripe_env, frozen_now, aws, monkeypatch
):
    """Before, the webhook of a payment that went through as the hold_expiry job released the
    hold (the webhook read it held, the job's release committed first) failed to confirm it
    and stopped there: her 47,70 € taken, no booking, no refund — she was back on the list
    instead, having paid for the time that went to the next."""
    from tests.payments.test_webhooks import deliver, event, intent

    link, held, step = _paid_as_her_hold_ran_out(pay_client, stripe_env, frozen_now, aws, monkeypatch)
    pi = intent(step["client_secret"].split("_secret_")[0])
    assert deliver(pay_client, event("evt_raced", "payment_intent.succeeded", pi))[0] == 200
    monkeypatch.undo()

    view = status_of(pay_client, held)
    assert view["status"] == "cancelled" and view["payment"]["refunded_cents"] == DEPOSIT, view
    offer = get(pay_client, f"/api/v1/offers/{link}")[1]
    assert offer["status"] == "unpaid" and offer["entry"]["status"] == "open", offer
    assert _refills(pay_client, aws)["refills"] == 0


def test_the_pay_page_that_read_the_hold_just_before_it_ran_out_does_not_say_booked(
    pay_client, stripe_env, frozen_now, aws, monkeypatch
):
    """Before, the pay page whose charge went through as the hold_expiry job released the
    hold answered "done", status "booked": she left believing she had the time, which had
    gone to the next on the list."""
    _, held, _ = _paid_as_her_hold_ran_out(pay_client, stripe_env, frozen_now, aws, monkeypatch)
    status, done = finish(pay_client, held)
    monkeypatch.undo()
    assert status == 200 and (done["status"], done["next"]) == ("cancelled", "refunded"), done
    assert done["refunded_cents"] == DEPOSIT
    assert status_of(pay_client, held)["payment"]["refunded_cents"] == DEPOSIT


def test_her_entry_opens_again_when_her_lists_changed_under_every_try(pay_client, frozen_now, aws, monkeypatch):
    """Before, three tries at the reopen that each found her contacts' lists changed since
    read gave up for good: her entry closed, the offer still 'taken' (her link answering with
    the cancelled booking), the freed time done with."""
    from chalicelib.jobs.schedule import JOBS
    from chalicelib.store import waitlist

    link = _offered_highlights(pay_client, frozen_now)
    stale = waitlist.read_contacts(aws.id, LIISA, "liisa@example.com")  # before the tap writes them
    status, held = post(pay_client, f"/api/v1/offers/{link}/book", {"accepted_payment_terms": 1})
    assert status == 201 and held["status"] == "pending_payment", held
    frozen_now["now"] += timedelta(minutes=11)
    monkeypatch.setattr(waitlist, "read_contacts", lambda *args, **kwargs: stale)  # written between read and write
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    monkeypatch.undo()
    assert get(pay_client, f"/api/v1/offers/{link}")[1]["entry"]["status"] == "booked"  # not yet

    frozen_now["now"] += timedelta(minutes=3)
    JOBS["send_due"].run(frozen_now["now"])  # tried again
    offer = get(pay_client, f"/api/v1/offers/{link}")[1]
    assert offer["entry"]["status"] == "open" and offer["status"] == "unpaid", offer
