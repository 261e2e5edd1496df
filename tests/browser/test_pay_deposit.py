"""Deposits paid on Rebook's pay page through the Card Element (localstripe's stand-in
for Stripe.js), against the stack's own localstripe (issue 20, 8): a plain card, a card
whose bank asks for 3-D Secure at setup and at the charge, a declined card and another, a hold left
to run out, and a no-show fee charged off-session to the card on file."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import datetime, timedelta

from playwright.sync_api import expect

from tests.api.helpers import token_of
from tests.browser.conftest import DESKTOP, PIN, check_client_page, check_page, new_context
from tests.browser.seed import someone, stack_env
from tests.browser.test_client_pages import fill_details
from tests.browser.test_dashboard import accounts, post_json
from tests.payments.conftest import authenticate_payment, set_up_card

PLAIN, THREE_D_SECURE, DECLINED = "4242424242424242", "4000002760003184", "4000000000000002"


def hold_a_time(page, stack, who: str) -> tuple[str, str, str]:
    """Highlights with Sanna (a 30 % deposit) at the first free time three days ahead,
    the terms ticked, on to the pay page: (her email, that day's page, the time's link)."""
    page.goto(f"{stack.api}/book/demo?service=highlights&staff=sanna")
    days = page.locator("nav.days a:not(.full)")  # days with a free time (a full one opens too)
    label = days.nth(3).inner_text()
    days.nth(3).click()
    page.locator("nav.days a[aria-current=date]", has_text=label).wait_for()
    day_url, slot = page.url, page.locator(".slots a").first
    href = slot.get_attribute("href")
    slot.click()
    page.get_by_text("Varattaessa maksetaan ennakkomaksu 47,70 €.").wait_for()
    name, email, phone = someone(who)
    fill_details(page, name, email, phone, marketing=False)
    page.get_by_label("Hyväksyn maksu- ja peruutusehdot").check()
    page.get_by_role("button", name="Vahvista varaus").click()
    page.get_by_role("heading", name="Maksa vahvistaaksesi varauksen").wait_for()
    assert "/pay/" in page.url and stack.emails_to(email, wait=0) == []  # not confirmed yet
    return email, day_url, href


def enter_card(page, number: str, year: str = "30", button: str = "Maksa ja vahvista") -> None:
    for field, value in (("number", number), ("exp_month", "12"), ("exp_year", year), ("cvc", "123")):
        page.locator(f"#card-element input[placeholder={field}]").fill(value)
    page.get_by_role("button", name=button).click()


def time_is_free(page, day_url: str, href: str) -> None:
    page.goto(day_url)
    expect(page.locator(f'.slots a[href="{href}"]')).to_have_count(1)


def terms_shown(page, shown: bool) -> None:
    """The deposit due and the cancellation terms: hers to read while the time is held, gone
    once it is released (nothing left to pay, no terms she still holds)."""
    main = page.locator("main")
    for words in ("Ennakkomaksu", "47,70 €", "Maksuton peruutus"):
        if shown:
            expect(main).to_contain_text(words, use_inner_text=True)
        else:
            expect(main).not_to_contain_text(words, use_inner_text=True)


def test_pay_a_deposit_with_a_plain_card(page, stack):
    email, _, _ = hold_a_time(page, stack, "plain")
    check_client_page(page, "pay")
    pay = page.get_by_role("button", name="Maksa ja vahvista")
    assert pay.bounding_box()["height"] >= 44  # a thumb's target, as the other pages' buttons
    enter_card(page, PLAIN)
    page.get_by_text("Maksettu – varauksesi on vahvistettu.").wait_for()
    # Paid, the page says so first and leads on to her calendar and her booking's page.
    expect(page.get_by_role("heading", level=1)).to_have_text("Varaus vahvistettu!")
    expect(page.get_by_role("link", name="Lisää kalenteriin")).to_be_visible()
    expect(page.locator("#pay-amount-label")).to_have_text("Ennakkomaksu maksettu")  # no longer "...nyt"
    page.reload()  # the server's word, not the script's: booked
    expect(page.locator("#pay-result")).to_have_text("Maksettu – varauksesi on vahvistettu.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Varaus vahvistettu!")
    expect(page.locator("#pay-amount-label")).to_have_text("Ennakkomaksu maksettu")
    expect(page.locator("#pay-amount")).to_have_text("47,70 €")
    page.get_by_role("link", name="Hallitse varausta").click()
    page.get_by_role("heading", name="Varauksesi · Salon Aurora").wait_for()  # her booking's own page
    assert len(stack.emails_to(email)) == 1  # the confirmation, once paid


def test_back_from_the_pay_page_the_form_says_she_booked_that_time_already(page, stack):
    """Anyone's time held for her deposit, then back on its form (another stylist may be
    free then too): it says she started booking it on this device, held until when while
    she pays, not yet booked (a client's walk: "you just booked this time" of a booking
    never paid), and leads to her pay page, where a second tap of "confirm" would hold a
    second time. Once the hold has run out, the time is free again: nothing is said."""
    page.goto(f"{stack.api}/book/demo?service=highlights")
    page.locator("nav.days a:not(.full)").nth(3).click()
    page.locator(".slots a").first.click()
    page.get_by_text("Varattaessa maksetaan ennakkomaksu 47,70 €.").wait_for()
    name, email, phone = someone("twice")
    fill_details(page, name, email, phone, marketing=False)
    page.get_by_label("Hyväksyn maksu- ja peruutusehdot").check()
    page.get_by_role("button", name="Vahvista varaus").click()
    page.get_by_role("heading", name="Maksa vahvistaaksesi varauksen").wait_for()
    pay_url = page.url
    page.go_back()
    note = page.locator("#booked-here")
    expect(note).to_be_visible()
    expect(note).to_contain_text(
        re.compile(r"Aloitit tämän ajan varaamisen tällä laitteella: se on pidossa sinulle klo\u00a0\d{1,2}\.\d\d asti")
    )
    expect(note).to_contain_text("Varausta ei ole vielä vahvistettu.")
    expect(note).not_to_contain_text("Varasit")
    note.get_by_role("link", name="Jatka maksamaan").click()
    page.get_by_role("heading", name="Maksa vahvistaaksesi varauksen").wait_for()
    assert page.url == pay_url
    page.go_back()
    expect(note).to_be_visible()
    page.clock.set_fixed_time(datetime.fromisoformat(PIN) + timedelta(hours=2))  # her hold has run out
    page.reload()  # waits for its load: page.js (deferred) has run
    expect(page.locator("#form-error")).to_be_visible()  # "the time cannot be booked": held still, on the server
    expect(note).to_be_hidden()


def test_she_reads_the_pay_page_in_swedish_and_pays_there(page, stack):
    email, _, _ = hold_a_time(page, stack, "svenska")  # booked in Finnish
    with page.expect_request(lambda r: "/pay/" in r.url and "lang=sv" in r.url) as switched:
        page.get_by_role("navigation", name="Language").get_by_role("link", name="SV").click()
    assert "referer" not in switched.value.all_headers()  # the page's address (her token) goes nowhere
    expect(page.get_by_role("heading", level=1)).to_have_text("Betala för att bekräfta bokningen")
    assert page.locator("html").get_attribute("lang") == "sv"
    expect(page.get_by_role("link", name="SV")).to_have_attribute("aria-current", "true")
    expect(page.locator("#pay-amount-label")).to_have_text("Handpenning nu")
    expect(page.locator("main")).to_contain_text("Gratis avbokning till", use_inner_text=True)
    check_client_page(page, "pay-sv")
    enter_card(page, PLAIN, button="Betala och bekräfta")  # the same hold, paid on the Swedish page
    page.get_by_text("Betalt – din bokning är bekräftad.").wait_for()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bokningen är bekräftad!")
    expect(page.locator("#pay-amount-label")).to_have_text("Handpenning betald")
    assert len(stack.emails_to(email)) == 1  # the confirmation, once paid


def test_card_details_typed_wrong_are_said_in_stripes_words_and_she_tries_again(page, stack):
    # The expiry year as four digits: Stripe refuses the card's details, the time stays hers.
    email, _, _ = hold_a_time(page, stack, "typo")
    enter_card(page, PLAIN, year="2030")
    error = page.locator("#pay-error")
    expect(error).to_have_text("Tarkista kortin tiedot: numero, voimassaolo (KK/VV) ja turvakoodi.")  # not a shrug
    expect(page.get_by_role("button", name="Maksa ja vahvista")).to_be_enabled()
    enter_card(page, PLAIN)
    page.get_by_text("Maksettu – varauksesi on vahvistettu.").wait_for()


def test_pay_a_deposit_with_a_3d_secure_card(page, stack):
    email, _, _ = hold_a_time(page, stack, "deposit")
    enter_card(page, THREE_D_SECURE)
    page.get_by_role("button", name="Complete authentication").click()  # the bank's 3-D Secure, at setup
    page.get_by_role("button", name="Complete authentication").click()  # ...and for the charge
    page.get_by_text("Maksettu – varauksesi on vahvistettu.").wait_for()
    assert len(stack.emails_to(email)) == 1  # the confirmation, once paid
    check_page(page, "deposit-paid")


def test_a_lost_connection_while_paying_lets_her_try_again(page, stack):
    """The page's call to Rebook after the card is lost (the phone's network): she is told
    something went wrong, the button works again, and the second try books, once."""
    email, _, _ = hold_a_time(page, stack, "network")
    lost: list[str] = []

    def drop_first(route):
        if not lost:
            lost.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/api/v1/bookings/*/payment", drop_first)
    enter_card(page, PLAIN)
    expect(page.locator("#pay-error")).to_be_visible()
    pay = page.get_by_role("button", name="Maksa ja vahvista")
    expect(pay).to_be_enabled()
    pay.click()
    page.get_by_text("Maksettu – varauksesi on vahvistettu.").wait_for()
    assert lost and len(stack.emails_to(email)) == 1  # booked once, one confirmation


def test_a_declined_card_keeps_the_time_and_another_card_pays(page, stack):
    """A client's walk: her card declined, the time was gone at once, offered to the
    waitlist before she could try another. Now it stays hers while the hold lasts."""
    email, _, _ = hold_a_time(page, stack, "another")
    enter_card(page, DECLINED)
    expect(page.locator("#pay-error")).to_have_text(
        "Kortti hylättiin. Kokeile toista korttia: aika on yhä varattu sinulle."
    )
    expect(page.locator("#pay-hold")).to_be_visible()  # still "held for you until ..."
    terms_shown(page, True)
    check_page(page, "deposit-declined-try-another")
    # While the next card is checked (her bank's 3-D Secure too), the decline no longer
    # shows (a walk: "Kortti hylättiin" stayed above the bank's check of the new card).
    held: list = []
    holding = [True]

    def hold(route) -> None:  # Rebook's answer waits while the page is looked at
        held.append(route) if holding[0] else route.continue_()

    page.route("**/api/v1/bookings/*/payment", hold)
    enter_card(page, PLAIN)
    page.wait_for_function("() => document.getElementById('pay-button').disabled")
    expect(page.locator("#pay-error")).to_be_hidden()
    holding[0] = False
    for route in held:
        route.continue_()
    page.get_by_text("Maksettu – varauksesi on vahvistettu.").wait_for()
    expect(page.get_by_role("heading", level=1)).to_have_text("Varaus vahvistettu!")
    expect(page.get_by_role("heading", level=1)).to_be_in_viewport()  # not left above the card form
    assert len(stack.emails_to(email)) == 1


def test_the_last_declined_card_frees_the_time(page, stack):
    from chalicelib.services.payments.holds import CARD_TRIES

    email, day_url, href = hold_a_time(page, stack, "declined")
    expect(page.locator(f'.slots a[href="{href}"]')).to_have_count(0)
    terms_shown(page, True)
    error = page.locator("#pay-error")
    said = []
    for _ in range(CARD_TRIES - 1):
        enter_card(page, DECLINED)
        expect(error).to_contain_text("Kortti hylättiin. Kokeile")
        expect(page.get_by_role("button", name="Maksa ja vahvista")).to_be_enabled()
        said.append(error.inner_text())
        page.evaluate("document.getElementById('pay-error').textContent = ''")  # the next answer's own words
    # The last card she may try is said to be the last (the time went with no warning).
    assert said == [
        "Kortti hylättiin. Kokeile toista korttia: aika on yhä varattu sinulle.",
        "Kortti hylättiin. Kokeile vielä yhtä korttia: jos sekin hylätään, aika vapautetaan.",
    ]
    enter_card(page, DECLINED)
    expect(error).to_have_text("Kortti hylättiin ja aika vapautettiin. Varaa uudelleen toisella kortilla.")
    # Nothing left to pay on (the button gone, not a dead one), and a way to book anew.
    expect(page.get_by_role("button", name="Maksa ja vahvista")).to_be_hidden()
    expect(page.get_by_text("Kortti", exact=True)).to_be_hidden()
    expect(page.locator("#pay-hold")).to_be_hidden()  # no longer "held for you until ..."
    terms_shown(page, False)  # what she booked stays, with the way to book it anew
    expect(page.get_by_text("Raidat folioilla")).to_be_visible()
    check_page(page, "deposit-declined")
    page.get_by_role("link", name="Varaa uusi aika").click()
    expect(page.locator("nav.days a").first).to_be_visible()  # the booking page, her service and stylist
    assert "service=highlights" in page.url and "staff=sanna" in page.url
    time_is_free(page, day_url, href)
    assert stack.emails_to(email, wait=0) == []


def test_an_unpaid_hold_runs_out_and_frees_the_time(page, stack):
    from chalicelib import clock
    from chalicelib.jobs.schedule import JOBS

    _, day_url, href = hold_a_time(page, stack, "hold")
    pay_url = page.url
    page.goto("about:blank")  # she leaves without paying
    with stack_env(stack):
        moment = stack.now + timedelta(minutes=11)  # the hold is 10 minutes
        assert clock.travel_to(moment)  # the whole stack's clock, past the hold
        try:
            JOBS["hold_expiry"].run(moment)
            page.goto(pay_url)
            expect(page.locator("#pay-result")).to_have_text("Varaus raukesi ja aika vapautettiin.")
            expect(page.locator("#pay-form")).to_have_count(0)
            expect(page.get_by_role("link", name="Varaa uusi aika")).to_be_visible()
            terms_shown(page, False)
            time_is_free(page, day_url, href)
        finally:
            clock.travel_to(None)


def test_a_pay_page_left_open_past_its_hold_says_the_time_went_before_she_types_her_card(page, stack):
    """A walk: the page still said "held until …" with its card form after the hold ran
    out; she learned it only after typing her card."""
    from chalicelib import clock
    from chalicelib.jobs.schedule import JOBS

    hold_a_time(page, stack, "left-open")
    expect(page.locator("#pay-hold")).to_be_visible()
    with stack_env(stack):
        moment = stack.now + timedelta(minutes=11)  # the hold is 10 minutes
        assert clock.travel_to(moment)
        try:
            JOBS["hold_expiry"].run(moment)
            page.clock.fast_forward("11:00")  # the page's own clock reaches the hold's end
            expect(page.locator("#pay-result")).to_have_text("Varaus raukesi ja aika vapautettiin.")
            expect(page.locator("#pay-button")).to_be_hidden()
            expect(page.locator("#pay-hold")).to_be_hidden()
            expect(page.get_by_role("link", name="Varaa uusi aika")).to_be_visible()
        finally:
            clock.travel_to(None)


def paid_deposit_today(
    stack, who: str, card: str = PLAIN, phone: str | None = None, days_ahead: int = 0
) -> tuple[str, str, datetime]:
    """Highlights at the first free time today (whoever has one: the stack is shared with
    other modules), its deposit paid with a card that stays on file for the fees (plain,
    or one whose bank asks for 3-D Secure: authenticated for the deposit, so a fee charged
    later off-session stays open; the API as the pay page calls it; the browser paths are
    above): (her name, the staff member, the visit's start). `days_ahead`: a later day's
    first free time instead (a test that moves the clock to the visit, when today is full)."""
    day = (stack.now.date() + timedelta(days=days_ahead)).isoformat()
    url = f"{stack.api}/api/v1/businesses/demo/availability?service=highlights&from={day}&to={day}"
    with urllib.request.urlopen(url, timeout=10) as r:
        free = [(m["slots"][0], m["id"]) for m in json.load(r)["staff"] if m["slots"]]
    assert free, f"nobody has time for highlights on {day}"
    start, staff = min(free)
    name, email, _ = someone(who)
    body = {
        "service": "highlights",
        "staff": staff,
        "start": start,
        "client": {"name": name, "email": email, "locale": "fi", **({"phone": phone} if phone else {})},
        "accepted_payment_terms": 1,
    }
    status, held = post_json(f"{stack.api}/api/v1/businesses/demo/bookings", body)
    assert status == 201 and held["status"] == "pending_payment", held
    assert set_up_card(stack.local.stripe, held["payment"]["client_secret"], card).ok
    pay = f"{stack.api}/api/v1/bookings/{token_of(held['manage_url'])}/payment"
    status, done = post_json(pay, {})
    if card != PLAIN and done.get("next") == "authenticate":  # her bank's 3-D Secure, for the deposit
        assert authenticate_payment(stack.local.stripe, done["client_secret"]).ok
        status, done = post_json(pay, {})
    assert (status, done["next"]) == (200, "done"), done
    return name, staff, datetime.fromisoformat(start)


def test_a_no_show_fee_is_charged_off_session_from_the_front_desk(browser, stack):
    from chalicelib import clock

    who, staff, start = paid_deposit_today(stack, "noshow")
    context = new_context(browser, viewport=DESKTOP)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        account = accounts(stack)["owner"]
        page.goto(f"{stack.api}/admin")
        form = page.locator("#sign-in-form")
        form.get_by_label("Sähköposti").fill(account["email"])
        form.get_by_label("Salasana", exact=True).fill(account["password"])
        form.get_by_role("button", name="Kirjaudu", exact=True).click()
        with stack_env(stack):
            assert clock.travel_to(start + timedelta(minutes=30))  # she never came
            page.clock.set_fixed_time(start + timedelta(minutes=30))  # the desk's clock too: it offers the mark
            try:
                page.locator(f"#calendar .col[data-staff={staff}] .appt", has_text=who).click()
                card = page.get_by_role("dialog", name=who)
                card.get_by_role("button", name="Ei saapunut", exact=True).click()
                # It charges her card: asked first, naming the fee (test_desk_money.py).
                card.get_by_role("button", name="Kyllä, merkitse ja veloita 111,30 €").click()
                expect(card.locator(".tag[data-status]")).to_have_text("Ei saapunut")
                # The rest of the 100 % no-show fee, off-session, to the card she paid the deposit with.
                expect(card.locator("[data-fee=no_show]")).to_have_text(
                    "Saapumatta jättämisen maksu 111,30 €: veloitettu kortilta"
                )
            finally:
                clock.travel_to(None)
        check_page(page, "no-show-fee-charged")
    finally:
        context.close()


def test_a_fee_her_bank_wants_confirmed_is_paid_on_the_page_her_link_opens(page, stack):
    """The no-show fee charged off-session to a card whose bank asks for 3-D Secure stays
    open, and she is sent a link: it opens the pay page naming the fee, she confirms with
    her bank there, and the front desk sees the fee paid (Stripe's webhook). The link
    opened again has nothing left to pay."""
    from chalicelib import clock
    from tests.browser.conftest import admin, token_of

    who, _, start = paid_deposit_today(stack, "maksulinkki", card=THREE_D_SECURE, days_ahead=2)  # today fills up
    with stack_env(stack):
        assert clock.travel_to(start + timedelta(minutes=30))  # she never came
    token = token_of(stack, "owner")  # signed in then (the day's cached token ran out by then)
    try:
        _, cal = admin(stack, "GET", f"/calendar?date={start.date().isoformat()}", token=token)
        appt = next(a["id"] for m in cal["staff"] for a in m["appointments"] if a["client"]["name"] == who)
        assert admin(stack, "POST", f"/appointments/{appt}/status", {"status": "no_show"}, token=token)[0] == 200
        status, fee = admin(stack, "POST", f"/appointments/{appt}/fees", {"kind": "no_show"}, token=token)
        assert status == 200 and fee["state"] == "open", fee
        page.goto(fee["pay_url"])
        expect(page.get_by_role("heading", level=1)).to_have_text("Vahvista maksu")
        expect(page.locator("#fee-name")).to_have_text("Saapumatta jättämisen maksu")  # what it is for
        expect(page.locator("#fee-form")).to_contain_text("111,30 €")
        expect(page.locator("#card-element")).to_have_count(0)  # her card on file: only her bank's yes
        check_client_page(page, "fee-pay")
        page.get_by_role("button", name="Vahvista maksu").click()
        page.get_by_role("button", name="Complete authentication").click()  # the bank's 3-D Secure
        expect(page.locator("#pay-result")).to_have_text("Kiitos – maksu on maksettu.")
        expect(page.locator("#fee-form")).to_be_hidden()

        def paid() -> bool:
            _, view = admin(stack, "GET", f"/appointments/{appt}", token=token)
            return view["payment"]["fees"] == {"no_show": "succeeded"}

        deadline = datetime.now() + timedelta(seconds=15)
        while not paid():  # the webhook's way back from localstripe
            assert datetime.now() < deadline, "the fee paid on the page never reached the desk"
            page.wait_for_timeout(100)
        page.goto(fee["pay_url"])
        expect(page.locator("#pay-result")).to_have_text("Tällä linkillä ei ole enää maksettavaa.")
    finally:
        with stack_env(stack):
            clock.travel_to(None)
