"""What the client reads of her money on the pages about her booking: the deposit she
paid, what happens to it when she cancels, the way to book anew after her every card was declined."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.api.helpers import token_of
from tests.api.test_pages import form_post, page
from tests.payments.test_fees import paid_booking


def test_the_manage_page_shows_the_deposit_paid_and_opens_the_move_on_the_bookings_day(pay_client, stripe_env):
    held = paid_booking(pay_client, stripe_env)  # Wed 25 Nov at 12:00; today is Mon 23 Nov
    token = token_of(held["manage_url"])
    status, html = page(pay_client, f"/m/{token}?lang=fi")
    assert status == 200
    assert "<dt>Ennakkomaksu maksettu</dt><dd>47,70" in html
    assert re.search(r'aria-current="date"[^>]*>ke 25\.11\.<', html), "the move opens on the booking's day"
    # Another day she chose, or a page of days, is still hers to choose.
    _, html = page(pay_client, f"/m/{token}?lang=fi&date=2026-11-26")
    assert re.search(r'aria-current="date"[^>]*>to 26\.11\.<', html)


def test_cancelling_inside_the_free_window_says_the_deposit_comes_back_where_she_reads_it(pay_client, stripe_env):
    from tests.conftest import emails_to, sent_sms

    held = paid_booking(pay_client, stripe_env)
    token = token_of(held["manage_url"])
    # Asked first: what happens to the money.
    _, html = page(pay_client, f"/m/{token}?lang=fi&cancel=1")
    assert '<p id="money">Jos perut nyt, ennakkomaksusi 47,70' in html
    status, _, headers = form_post(pay_client, f"/m/{token}/cancel", {"reason": "", "lang": "fi"})
    assert status == 303
    _, html = page(pay_client, f"/m/{token}?done=cancelled&lang=fi")
    assert re.search(
        r"Varaus on peruttu\. Ennakkomaksusi 47,70.€ palautetaan kortillesi; se näkyy tililläsi muutamassa päivässä\.",
        html,
    )
    assert re.search(r"palautettu 47,70.€", html)  # the facts: paid, and refunded
    [mail] = emails_to("maija@example.com", "peruttu")
    assert re.search(r"Ennakkomaksusi 47,70.€ palautetaan kortillesi; se näkyy tililläsi", mail)
    [sms] = [m for m in sent_sms() if "peruttu" in m[1]]
    # The money sentence and the link each on a line of its own (was "kortillesi.Varaa").
    assert re.search(r"Ennakkomaksu 47,70 € palautetaan kortillesi\.\nVaraa uusi aika: ", sms[1]), sms[1]
    assert "25.11." in sms[1]


def test_a_cancellation_that_keeps_the_deposit_says_so():
    from chalicelib.notify.render import render

    context = {
        "business": {"name": "Salon Demo"},
        "client": {"name": "Maija Meikäläinen"},
        "service": {"name": "Raidat"},
        "staff": {"name": "Aino"},
        "start": "2026-11-25T12:00:00+02:00",
        "payment": {"kind": "deposit", "paid_cents": 4770},
        "refund_cents": 0,
    }
    done = render("cancelled", "fi", context)
    assert re.search(r"Ennakkomaksua 47,70.€ ei palauteta peruutusehtojen mukaan\.", done.text)
    assert re.search(r"Ennakkomaksua 47,70.€ ei palauteta peruutusehtojen mukaan\.", done.html)
    assert "Ennakkomaksu 47,70 € ei palaudu." in done.sms
    # Nothing paid when booking (refund_cents None): nothing said of money.
    plain = render("cancelled", "fi", {**context, "refund_cents": None})
    assert "palaute" not in plain.text and "palaute" not in plain.sms


def test_the_page_says_what_a_late_cancellation_keeps():
    from chalicelib.pages.i18n import words
    from chalicelib.pages.views import money_words

    t = words("fi")
    deposit = {"kind": "deposit", "paid_cents": 4770, "back_cents": 0}
    assert money_words(deposit, t, "fi", False) == "Jos perut nyt, ennakkomaksuasi 47,70\u00a0€ ei palauteta."
    prepay = {"kind": "prepay", "paid_cents": 12900, "back_cents": 6450}
    said = money_words(prepay, t, "fi", True)
    assert said and said.startswith("Maksustasi 129,00\u00a0€ palautetaan kortillesi 64,50\u00a0€;")
    assert money_words(None, t, "fi", True) is None


def test_the_desks_cancellation_says_what_happens_to_her_money(pay_client, stripe_env, aws, frozen_now):
    """She phones the salon instead of using her link: the desk's cancellation message says
    what happens to her deposit in the same words her own cancellation's would (the same
    rule: what was refunded and what cancelling gives back) — back inside the free window;
    kept after it; when the owner gave it back first, that it was refunded already."""
    from datetime import UTC, datetime

    from tests.admin.helpers import Desk
    from tests.api.helpers import book
    from tests.conftest import emails_to, sent_sms
    from tests.payments.conftest import set_up_card
    from tests.payments.test_pay_flow import finish

    desk = Desk(pay_client, aws.id)

    def paid(start: str, who: str, phone: str) -> dict:
        status, held = book(
            pay_client,
            start,
            service="highlights",
            staff="aino",
            accepted_payment_terms=1,
            name=f"{who.capitalize()} Asiakas",
            phone=phone,
            email=f"{who}@example.com",
        )
        assert status == 201, held
        set_up_card(stripe_env, held["payment"]["client_secret"], "4242424242424242")
        assert finish(pay_client, held)[1]["next"] == "done"
        return held

    def told(held: dict, who: str, e164: str) -> tuple[str, str]:
        status, view = desk.post(f"/appointments/{held['id']}/cancel", {"reason": "Asiakas soitti"})
        assert status == 200 and view["status"] == "cancelled", view
        [mail] = emails_to(f"{who}@example.com", "peruttu")
        [sms] = [m[1] for m in sent_sms() if m[0] == e164 and "peruttu" in m[1]]
        return mail, sms

    early = paid_booking(pay_client, stripe_env)  # Maija, Wed 25 Nov at 12:00; today is Mon 23 Nov
    late = paid("2026-11-26T12:00:00+02:00", "ville", "040 222 3333")
    given = paid("2026-11-27T12:00:00+02:00", "sini", "040 444 5555")

    mail, sms = told(early, "maija", "+358401234567")
    assert re.search(r"Ennakkomaksusi 47,70.€ palautetaan kortillesi; se näkyy tililläsi", mail)
    assert re.search(r"Ennakkomaksu 47,70 € palautetaan kortillesi\.", sms), sms
    assert desk.get(f"/appointments/{early['id']}")[1]["payment"]["refunded_cents"] == 4770  # as it says

    frozen_now["now"] = datetime(2026, 11, 26, 6, tzinfo=UTC)  # 8:00 on Thursday: past Ville's free deadline
    mail, sms = told(late, "ville", "+358402223333")
    assert re.search(r"Ennakkomaksua 47,70.€ ei palauteta peruutusehtojen mukaan\.", mail)
    assert "Ennakkomaksu 47,70 € ei palaudu." in sms
    assert desk.get(f"/appointments/{late['id']}")[1]["payment"]["refunded_cents"] == 0

    # The salon cancels Sini's visit, late too, and gives the deposit back first.
    assert desk.post(f"/appointments/{given['id']}/refund", {"reason": "Kampaaja sairastui"})[0] == 200
    mail, sms = told(given, "sini", "+358404445555")
    # All of it went back before the cancellation: said so, not promised again nor called kept.
    assert re.search(r"Maksusi 47,70.€ on jo palautettu kortillesi kokonaan\.", mail)
    assert re.search(r"Maksu 47,70 € on jo palautettu kokonaan\.", sms), sms
    assert desk.get(f"/appointments/{given['id']}")[1]["payment"]["refunded_cents"] == 4770


# The pay page of the demo's highlights with Aino, Wed 25 Nov at 12:00, read in Finnish: the
# deposit due and the first words of its terms.
HELD_MONEY = 'Ennakkomaksu\u00a0nyt</dt><dd id="pay-amount">47,70\u00a0€</dd>'
HELD_TERMS = "Maksuton peruutus ti 24.11. klo\u00a012.00 asti."


def released_says_only_what_she_booked(html: str) -> None:
    """The time released (a declined card, a hold that ran out): what she booked and a way
    to book it anew, not the deposit she no longer pays nor the terms she no longer holds."""
    html = html.split("<main>", 1)[1]  # what she reads (the layout's style names a label too)
    assert (
        "<dd>Raidat folioilla (150\u00a0min)</dd>" in html
        and '<dd><span class="keep">ke 25.11. klo\u00a012.00</span></dd>' in html
    )
    assert "Varaa uusi aika</a>" in html
    for gone in ("Ennakkomaksu", "47,70", "Maksuton peruutus", "Jos perut", "Jos et saavu"):
        assert gone not in html, gone


def test_a_declined_card_leads_to_the_same_visit_anew_not_to_pay(pay_client, stripe_env):
    from tests.payments.test_pay_flow import book_highlights, decline_every_card

    _, held = book_highlights(pay_client)
    pay_path = held["payment"]["pay_url"].removeprefix("https://book.example.test")
    _, html = page(pay_client, pay_path + "?lang=fi")
    assert '<h1 id="pay-heading">Maksa vahvistaaksesi varauksen</h1>' in html  # held: she pays
    assert 'data-released="Aika vapautettiin"' in html  # the script's heading once freed
    assert HELD_MONEY in html and HELD_TERMS in html  # unpaid, the deposit and its terms are hers to read
    assert decline_every_card(pay_client, stripe_env, held)[0] == 402
    _, html = page(pay_client, pay_path + "?lang=fi")
    assert '<h1 id="pay-heading">Aika vapautettiin</h1>' in html and "Maksa vahvistaaksesi" not in html
    released_says_only_what_she_booked(html)
    [again] = re.findall(r'<a class="button" href="([^"]+)">Varaa uusi aika</a>', html)
    again = again.replace("&amp;", "&")
    for part in ("/book/demo?", "service=highlights", "staff=aino", "date=2026-11-25", "again=", "lang=fi"):
        assert part in again, again
    # The link fills in her details on the same service, stylist and day.
    _, form = page(pay_client, again.removeprefix("https://book.example.test"))
    assert re.search(r'aria-current="date"[^>]*>ke 25\.11\.<', form)


def test_a_hold_that_ran_out_shows_what_she_booked_and_the_way_anew_not_its_terms(pay_client, stripe_env, frozen_now):
    from datetime import timedelta

    from chalicelib.jobs.schedule import JOBS
    from tests.payments.test_pay_flow import book_highlights

    _, held = book_highlights(pay_client)
    pay_path = held["payment"]["pay_url"].removeprefix("https://book.example.test")
    frozen_now["now"] += timedelta(minutes=11)  # left unpaid: the hold (10 minutes) runs out
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    _, html = page(pay_client, pay_path + "?lang=fi")
    assert '<h1 id="pay-heading">Aika vapautettiin</h1>' in html
    released_says_only_what_she_booked(html)


def _cancellations(business_id: str, booking: dict) -> int:
    """Her cancellations as the store counts them and as her client card shows them
    (domain/client_stats.py, from her appointments): the same number, or the test fails."""
    from chalicelib.domain.client_stats import client_stats
    from chalicelib.store import bookings, clients

    appt = bookings.get_appointment(business_id, booking["id"])
    assert appt is not None
    found = clients.get_client(business_id, appt.client_id)
    assert found is not None
    shown = client_stats(bookings.client_history(business_id, appt.client_id), appt.created_at).cancellations
    assert shown == found.cancellations, (shown, found.cancellations)
    return found.cancellations


def test_a_hold_that_ended_unpaid_is_not_counted_as_her_cancellation(pay_client, stripe_env, aws, frozen_now):
    from datetime import timedelta

    from chalicelib.jobs.schedule import JOBS
    from tests.api.helpers import post
    from tests.payments.test_pay_flow import book_highlights, decline_every_card

    _, declined = book_highlights(pay_client)  # every card declined: the time freed
    assert decline_every_card(pay_client, stripe_env, declined)[0] == 402
    assert _cancellations(aws.id, declined) == 0
    _, ran_out = book_highlights(pay_client)  # left unpaid: the hold runs out
    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    assert _cancellations(aws.id, ran_out) == 0
    # Her own cancellation of a booking counts, once.
    booked = paid_booking(pay_client, stripe_env)
    assert post(pay_client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel", {})[0] == 200
    assert _cancellations(aws.id, booked) == 1


TUESDAY_EVENING = datetime(2026, 11, 24, 18, tzinfo=UTC)  # 20:00 local: 16 h before Wed 12:00


def paid_with_online_changes_until_midnight(pay_client, stripe_env, aws) -> dict:
    """Maija's highlights, Wed 25 Nov 12:00 (47,70 € deposit paid, card saved): free to
    cancel until Tue 12:00 (her terms: 24 h), online changes until Wed 00:00 (the booking
    rules' window set to 12 h)."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store import businesses

    data = aws.config.model_dump(mode="json")
    data["rules"]["cancellation_window_hours"] = 12
    businesses.save_config(parse_business_config(data))
    businesses.clear_cache()
    return paid_booking(pay_client, stripe_env)


def test_a_late_cancellation_says_what_the_salon_may_still_charge_her_card(pay_client, stripe_env, aws, frozen_now):
    """Cancelled after the free deadline (Tue 12:00, 24 h) but while online changes are
    still open (12 h before): the confirm step, the page after and the email say the deposit
    is kept AND the late-cancellation fee the salon may still charge her saved card: the
    amount the owner's calendar then offers to charge."""
    from tests.admin.helpers import Desk
    from tests.conftest import emails_to, sent_sms

    held = paid_with_online_changes_until_midnight(pay_client, stripe_env, aws)
    token = token_of(held["manage_url"])
    frozen_now["now"] = TUESDAY_EVENING
    _, html = page(pay_client, f"/m/{token}?lang=fi&cancel=1")
    asked = re.search(r'<p id="money">([^<]*)</p>', html)
    assert asked, html
    assert "ennakkomaksuasi 47,70\u00a0€ ei palauteta" in asked[1]
    fee = re.search(r"Salonki voi lisäksi veloittaa kortiltasi ([\d,]+)\u00a0€", asked[1])
    assert fee, asked[1]

    status, _, _ = form_post(pay_client, f"/m/{token}/cancel", {"reason": "", "lang": "fi"})
    assert status == 303
    desk = Desk(pay_client, aws.id)
    chargeable = desk.get(f"/appointments/{held['id']}")[1]["payment"]["chargeable_cents"]["late_cancel"]
    assert fee[1] == f"{chargeable // 100},{chargeable % 100:02d}"  # the owner's amount, to the cent

    _, html = page(pay_client, f"/m/{token}?done=cancelled&lang=sv")
    assert re.search(rf"Salongen kan dessutom debitera ditt kort {fee[1]}.€", html), html
    [mail] = emails_to("maija@example.com", "peruttu")
    assert re.search(r"Ennakkomaksua 47,70.€ ei palauteta peruutusehtojen mukaan\.", mail)
    assert re.search(rf"Salonki voi lisäksi veloittaa kortiltasi {fee[1]}.€", mail), mail
    [sms] = [m[1] for m in sent_sms() if "peruttu" in m[1]]  # her SMS names both
    assert re.search(rf"Ennakkomaksu 47,70.€ ei palaudu\. Myöhäisestä perumisesta voidaan veloittaa {fee[1]}.€", sms)


def test_the_manage_page_says_until_when_cancelling_is_free_apart_from_the_online_deadline(
    pay_client, stripe_env, aws, frozen_now
):
    """Two deadlines, each said for what it is: free cancellation (her terms) until Tue
    12:00, then that it has ended; online changes until Wed 00:00, then call the salon."""
    held = paid_with_online_changes_until_midnight(pay_client, stripe_env, aws)
    token = token_of(held["manage_url"])
    _, html = page(pay_client, f"/m/{token}?lang=fi")  # Mon 10:00
    assert '<p id="free-until">Maksuton peruutus <span class="keep">ti 24.11. klo\u00a012.00</span> asti.</p>' in html
    assert re.search(
        r'id="change-until">Muutokset verkossa \(peruminen tai siirto\) <span class="keep">ke 25\.11\. klo.0\.00</span> asti; sen jälkeen soita salongille\.',
        html,
    ), html
    frozen_now["now"] = TUESDAY_EVENING
    _, html = page(pay_client, f"/m/{token}?lang=en")
    said = re.search(r'<p id="free-until">(.*?)</p>', html)
    assert said and re.sub("<[^>]+>", "", said[1]) == (
        "Free cancellation ended Tue 24 Nov at\u00a012:00; if you cancel now, the cancellation terms you accepted apply."
    ), said
    assert "Online changes (cancel or move) until" in html
    # Past the online deadline too (Wed 01:00): "call the salon", and what cancelling costs
    # her now, still said (a client's walk: "call us" alone, when deciding whether to call).
    frozen_now["now"] = datetime(2026, 11, 24, 23, tzinfo=UTC)
    _, html = page(pay_client, f"/m/{token}?lang=en")
    assert "Online changes (cancel or move) until" not in html and 'class="phone"' in html
    said = re.search(r'<p id="free-until">(.*?)</p>', html)
    assert said and re.sub("<[^>]+>", "", said[1]).startswith("Free cancellation ended Tue 24 Nov at\u00a012:00;"), html
    # ...in money, not only "the terms you accepted": the deposit kept and the fee she may
    # be charged, as the confirm step says it online (a client's walk).
    costs = re.search(r'<p id="money">(.*?)</p>', html)
    assert costs and costs[1].startswith("If you cancel now, your deposit of"), html
    assert "is not refunded" in costs[1] and "The salon may also charge" in costs[1], costs[1]
    # After "call us", not before it: there it read as though she could cancel on the page.
    assert html.index('id="too-late"') < html.index('id="money"'), html


def test_a_late_cancellation_with_a_card_on_file_says_the_fee_she_may_be_charged(
    pay_client, stripe_env, aws, frozen_now
):
    """Nothing paid when booking, her card saved (the colour, 129,00 €; terms 24 h / 50 %):
    cancelled late online, the confirm step, the page after and the email say the salon may
    charge 64,50 € to her card (they said nothing of money at all)."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store import businesses
    from tests.api.helpers import book
    from tests.conftest import emails_to, sent_sms
    from tests.payments.conftest import set_up_card
    from tests.payments.test_pay_flow import finish

    data = aws.config.model_dump(mode="json")
    data["rules"]["cancellation_window_hours"] = 12
    for s in data["services"]:
        if s["id"] == "colour":
            s["payment"] = {"kind": "card_on_file"}
    businesses.save_config(parse_business_config(data))
    businesses.clear_cache()
    status, held = book(
        pay_client, "2026-11-25T12:00:00+02:00", service="colour", staff="aino", accepted_payment_terms=1
    )
    assert status == 201, held
    set_up_card(stripe_env, held["payment"]["client_secret"], "4242424242424242")
    assert finish(pay_client, held)[1]["next"] == "done"
    token = token_of(held["manage_url"])
    frozen_now["now"] = TUESDAY_EVENING
    _, html = page(pay_client, f"/m/{token}?lang=en&cancel=1")
    assert (
        '<p id="money">If you cancel now, the salon may charge €64.50 to your card: the late-cancellation fee of the'
        " terms you accepted.</p>"
    ) in html
    status, _, _ = form_post(pay_client, f"/m/{token}/cancel", {"reason": "", "lang": "fi"})
    assert status == 303
    _, html = page(pay_client, f"/m/{token}?done=cancelled&lang=fi")
    assert re.search(r"Salonki voi veloittaa kortiltasi 64,50.€: hyväksymiesi peruutusehtojen", html), html
    [mail] = emails_to("maija@example.com", "peruttu")
    assert re.search(r"Salonki voi veloittaa kortiltasi 64,50.€: hyväksymiesi peruutusehtojen", mail), mail
    # Her SMS too (it said nothing of money: the fee is all there is to say).
    [sms] = [m[1] for m in sent_sms() if "peruttu" in m[1]]
    assert re.search(r"Myöhäisestä perumisesta voidaan veloittaa 64,50.€\.", sms), sms
