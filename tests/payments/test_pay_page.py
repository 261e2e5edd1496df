"""The booking page shows the deposit and the terms before she books, with a tick; booking
leads to Rebook's pay page, which loads Stripe.js from the configured base."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.api.test_pages import form_post, page

START = "2026-11-25T12:00:00+02:00"
FIELDS = {
    "service": "highlights",
    "staff": "aino",
    "start": START,
    "lang": "en",
    "name": "Eve Example",
    "phone": "040 123 4567",
    "email": "eve@example.com",
}


# The demo's terms (free until 24 h before, then 50 % for a late cancellation, 100 % for a
# no-show) with a deposit of 30 % of foil highlights' lowest price, 159 €: what the code
# does (services/payments/fees.py), one sentence per case.
TERMS_EN = (
    "Free cancellation until Tue 24 Nov at\u00a012:00. If you cancel later, the deposit of €47.70 is not refunded"
    " and the salon may also charge €31.80 to your card: in all 50% of the booked price, €159.00."
    " If you do not come, the deposit of €47.70 is not refunded and €111.30 more is charged to your card:"
    " in all 100% of the booked price, €159.00."
)
TERMS_FI = (
    "Maksuton peruutus ti 24.11. klo\u00a012.00 asti. Jos perut myöhemmin, ennakkomaksua 47,70\u00a0€ ei palauteta,"
    " ja salonki voi lisäksi veloittaa kortiltasi 31,80\u00a0€: yhteensä 50\u00a0% varauksen hinnasta 159,00\u00a0€."
    " Jos et saavu paikalle, ennakkomaksua 47,70\u00a0€ ei palauteta, ja kortiltasi veloitetaan lisäksi 111,30\u00a0€:"
    " yhteensä 100\u00a0% varauksen hinnasta 159,00\u00a0€."
)


def test_the_booking_page_shows_the_deposit_and_terms_in_euros_and_local_time(pay_client):
    status, html = page(
        pay_client, f"/book/demo?service=highlights&staff=aino&start={START.replace('+', '%2B')}&lang=en"
    )
    assert status == 200
    assert "A deposit of €47.70 is paid when booking." in html
    assert TERMS_EN in html
    assert 'name="accept_terms" value="1" required' in html
    status, plain = page(
        pay_client, f"/book/demo?service=womens-cut&staff=aino&start={START.replace('+', '%2B')}&lang=en"
    )
    assert "accept_terms" not in plain


def test_booking_without_the_tick_is_refused_and_with_it_leads_to_the_pay_page(pay_client, stripe_env):
    status, html, _ = form_post(pay_client, "/book/demo", FIELDS)
    assert status == 422 and "Please accept the payment and cancellation terms" in html
    status, _, headers = form_post(pay_client, "/book/demo", {**FIELDS, "accept_terms": "1"})
    assert status == 303 and headers["Location"].startswith("/pay/")
    status, pay = page(pay_client, headers["Location"])
    assert status == 200
    assert f'<script src="{stripe_env.js_url}"></script>' in pay
    assert "€47.70" in pay
    # On one line, its full stop with it (a client's walk: "kl. 13.27" over a lone ".").
    assert 'The time is held for you until <span class="keep">Mon 23 Nov at\u00a010:10.</span>' in pay
    assert "Times are local time (Helsinki)." in pay  # whose clock, for a phone in another zone
    assert 'data-secret="seti_' in pay and 'data-key="pk_test_' in pay


# Booked on Mon 23 Nov at 10:00 for 13:00 the same day: the 24 h free window had closed
# before she booked. Every page says the one deadline there is: the 15 minutes' grace
# after booking (rules.change_grace_minutes), the policy card's words too.
LATE = "2026-11-23T13:00:00+02:00"
LATE_FIELDS = {**FIELDS, "start": LATE, "accept_terms": "1"}
PAST_DEADLINE = "Sun 22 Nov at\u00a013:00"


def _terms(html: str) -> str:
    return html.split('id="pay-terms">', 1)[1].split("</p>", 1)[0]


def test_a_late_booking_is_told_the_free_cancellation_it_really_has_on_every_page(pay_client, stripe_env):
    from tests.payments.conftest import set_up_card

    _, details = page(pay_client, f"/book/demo?service=highlights&staff=aino&start={LATE.replace('+', '%2B')}&lang=en")
    assert "online changes (cancel or move) for 15\u00a0minutes after booking" in details
    assert "Free cancellation for 15\u00a0minutes after booking. If you cancel later, the deposit of €47.70" in details
    assert PAST_DEADLINE not in details

    status, _, headers = form_post(pay_client, "/book/demo", LATE_FIELDS)
    assert status == 303, _
    _, pay = page(pay_client, headers["Location"])
    assert _terms(pay).startswith(
        "Free cancellation until Mon 23 Nov at\u00a010:15. If you cancel later, the deposit of"
    )

    secret = pay.split('data-secret="', 1)[1].split('"', 1)[0]
    set_up_card(stripe_env, secret, "4242424242424242")
    token = headers["Location"].split("/pay/", 1)[1].split("?", 1)[0]
    assert pay_client.http.post(f"/api/v1/bookings/{token}/payment", body="{}").status_code == 200
    _, paid = page(pay_client, headers["Location"])  # the page after paying, reloaded
    assert "Your booking is confirmed!" in paid
    assert _terms(paid).startswith("Free cancellation until Mon 23 Nov at\u00a010:15.")


def test_with_no_grace_a_late_booking_is_told_plainly_that_cancelling_is_not_free(pay_client, stripe_env, aws):
    from chalicelib.store.businesses import save_config
    from tests.conftest import demo_config

    cfg = demo_config()
    save_config(cfg.model_copy(update={"rules": cfg.rules.model_copy(update={"change_grace_minutes": 0})}))
    _, details = page(pay_client, f"/book/demo?service=highlights&staff=aino&start={LATE.replace('+', '%2B')}&lang=fi")
    assert (
        "Aika alkaa alle 24\u00a0tunnin päästä, joten peruutus ei ole maksuton. Jos perut, ennakkomaksua 47,70\u00a0€"
        in details
    )
    assert "Maksuton peruutus" not in details
    status, _, headers = form_post(pay_client, "/book/demo", {**LATE_FIELDS, "lang": "sv"})
    _, pay = page(pay_client, headers["Location"])
    # The number and its unit on one line ("24 timmar"), as the date's "kl." and its time.
    assert _terms(pay).startswith(
        "Tiden börjar om mindre än 24\u00a0timmar, så avbokning är inte gratis. Om du avbokar"
    )
    assert '<dt>Tid</dt><dd><span class="keep">mån 23.11. kl.\u00a013.00</span></dd>' in pay


def test_after_paying_the_page_says_the_deposit_was_paid_not_deposit_now(pay_client, stripe_env):
    from tests.payments.conftest import set_up_card

    _, _, headers = form_post(pay_client, "/book/demo", {**FIELDS, "accept_terms": "1"})
    _, pay = page(pay_client, headers["Location"])
    assert 'id="pay-amount-label">Deposit\u00a0now</dt><dd id="pay-amount">€47.70</dd>' in pay
    assert 'data-paid="Deposit paid"' in pay  # what the script says once she has paid
    set_up_card(stripe_env, pay.split('data-secret="', 1)[1].split('"', 1)[0], "4242424242424242")
    token = headers["Location"].split("/pay/", 1)[1].split("?", 1)[0]
    assert pay_client.http.post(f"/api/v1/bookings/{token}/payment", body="{}").status_code == 200
    _, paid = page(pay_client, headers["Location"])
    assert 'id="pay-amount-label">Deposit paid</dt><dd id="pay-amount">€47.70</dd>' in paid
    assert "Deposit\u00a0now" not in paid


def test_the_pay_page_shows_the_price_range_and_the_deposit_of_its_lowest_price(pay_client, stripe_env):
    # Foil highlights cost 159–199 € by the hair's length; the deposit is 30 % of 159 €.
    _, _, headers = form_post(pay_client, "/book/demo", {**FIELDS, "accept_terms": "1"})
    _, pay = page(pay_client, headers["Location"])
    assert '<dt>Price</dt><dd><span class="keep">€159.00–€199.00</span></dd>' in pay
    assert 'id="pay-amount">€47.70</dd>' in pay


def test_the_deposit_terms_say_one_thing_per_case_on_the_details_step_and_the_pay_page(pay_client, stripe_env):
    """The terms once read "Later: 50 % of the price" beside "the deposit is not refunded",
    two rules for one case: what happens is that the deposit is kept and the rest of the
    fee, if any, charged to her card."""
    path = f"/book/demo?service=highlights&staff=aino&start={START.replace('+', '%2B')}"
    _, fi = page(pay_client, path + "&lang=fi")
    assert TERMS_FI in fi
    _, _, headers = form_post(pay_client, "/book/demo", {**FIELDS, "accept_terms": "1"})
    _, pay = page(pay_client, headers["Location"])
    assert _terms(pay) == TERMS_EN
    for two_rules in ("of the price;", "Later:", "no-show:"):
        assert two_rules not in pay


def test_a_reward_on_a_deposit_service_is_in_the_terms_she_ticks_as_on_the_pay_page_and_the_charge(
    pay_client, stripe_env, frozen_now
):
    """A client's walk: her stamp card's -50 % on foil highlights (159–199 €, a 30 % deposit).
    The details step's terms said a deposit of 47,70 € and fees of 159,00 € (the price
    without the reward) while the pay page and the charge took 23,85 € of 79,50 €: the
    terms she ticks are now the ones applied, computed in one place."""
    from datetime import timedelta
    from urllib.parse import urlencode

    from chalicelib import links
    from tests.history import at, past_visits
    from tests.loyalty.helpers import THURSDAYS, set_programme

    set_programme(loyalty={"stamps_for_reward": 3})
    v = past_visits(THURSDAYS[:3], clock=frozen_now)  # a full card: loy-1 is hers
    frozen_now["now"] = at(THURSDAYS[4]) - timedelta(days=3)
    card = links.card_token(v.business_id, v.client_id, frozen_now["now"])
    link = {"service": "highlights", "staff": "aino", "start": THURSDAYS[4], "lang": "fi"}
    _, details = page(pay_client, "/book/demo?" + urlencode({**link, "card": card, "reward": "loy-1"}))
    summary = details.split('id="summary"', 1)[1].split("</dl>", 1)[0]
    assert re.search(r"alkaen\s79,50\s€.{0,80}\(etu −79,50\s€\)", summary), summary
    ticked = details.split('id="payment-terms">', 1)[1].split("</div>", 1)[0]
    assert "ennakkomaksu 23,85\u00a0€" in ticked and "79,50\u00a0€" in ticked, ticked
    assert "47,70" not in ticked and "159,00" not in ticked
    form = {**link, "card": card, "reward": "loy-1", "name": "Maija Meikäläinen", "email": "maija@example.com"}
    status, _, headers = form_post(pay_client, "/book/demo", {**form, "accept_terms": "1"})
    assert status == 303 and headers["Location"].startswith("/pay/"), _
    _, pay = page(pay_client, headers["Location"])
    assert 'id="pay-amount">23,85\u00a0€</dd>' in pay  # what the card is charged
    assert _terms(pay) in ticked  # word for word the terms she ticked


def _full_prices_terms_asked(pay_client, form: dict, said: str, perks_deposit: str) -> tuple[str, str]:
    """Her submit with her perk's terms ticked, refused before anything is held: the step
    again saying why, with the full price's terms (a 47,70 € deposit) to tick anew. The
    page and its terms."""
    status, again, _ = form_post(pay_client, "/book/demo", form)
    assert status == 409, again
    assert said in again
    terms = again.split('id="payment-terms">', 1)[1].split("</div>", 1)[0]
    assert "ennakkomaksu 47,70\u00a0€" in terms and perks_deposit not in terms, terms
    assert "checked" not in terms and "terms_perk" not in terms
    return again, terms


def test_a_client_the_salon_knows_ticks_the_full_prices_terms_before_a_deposit_not_the_perks(
    pay_client, stripe_env, frozen_now
):
    """A client's walk: a friend's link on foil highlights, the details step's terms worked
    out with the welcome perk (-10 %); she is a client already, so the perk is not hers.
    She was charged the full price's deposit under the terms she ticked for the perk's: now
    nothing is held, the step comes back with the full price's terms to tick, and what she
    ticks then is what she pays."""
    from datetime import timedelta
    from urllib.parse import urlencode

    from chalicelib import links
    from tests.history import at, past_visits
    from tests.loyalty.helpers import THURSDAYS, set_programme

    set_programme(referrals={"enabled": True})
    friend = past_visits(THURSDAYS[:1], clock=frozen_now, name="Sanna Ystävä", email="sanna@example.com", phone=None)
    past_visits(THURSDAYS[1:2], clock=frozen_now)  # Maija, known to the salon
    frozen_now["now"] = at(THURSDAYS[4]) - timedelta(days=3)
    ref = links.referral_token(friend.business_id, friend.client_id, frozen_now["now"])
    link = {"service": "highlights", "staff": "aino", "start": THURSDAYS[4], "lang": "fi"}
    _, details = page(pay_client, "/book/demo?" + urlencode({**link, "ref": ref}))
    ticked = details.split('id="payment-terms">', 1)[1].split("</div>", 1)[0]
    assert "ennakkomaksu 42,93\u00a0€" in ticked, ticked  # 30 % of 143,10 €: the perk's
    assert '<input type="hidden" name="terms_perk" value="1">' in ticked  # ...and says so when sent
    form = {**link, "ref": ref, "name": "Maija Meikäläinen", "email": "maija@example.com", "accept_terms": "1"}
    form["terms_perk"] = "1"
    again, terms = _full_prices_terms_asked(
        pay_client, form, "Ystävän suosittelema etu on uusille asiakkaille", "42,93"
    )
    assert 'name="ref"' not in again
    form = {k: v for k, v in form.items() if k not in ("ref", "terms_perk")}
    status, _, headers = form_post(pay_client, "/book/demo", form)
    assert status == 303 and headers["Location"].startswith("/pay/"), _
    _, pay = page(pay_client, headers["Location"])
    assert 'id="pay-amount">47,70\u00a0€</dd>' in pay
    assert _terms(pay) in terms


def test_a_reward_used_up_after_she_saw_its_terms_holds_nothing_until_she_ticks_the_full_prices(
    pay_client, stripe_env, frozen_now
):
    """An attacker's probe: the stamp card's reward on foil highlights, its terms ticked
    (a 23,85 € deposit of 79,50 €), the reward used on another booking meanwhile; the
    submit held the full price's 47,70 € and its fees of up to 159 € under the terms she
    ticked. Now nothing is held: the step comes back saying her reward is gone, with the
    full price's terms to tick, and what she ticks then is what she pays."""
    from datetime import timedelta
    from urllib.parse import urlencode

    from chalicelib import links
    from tests.history import at, past_visits
    from tests.loyalty.helpers import THURSDAYS, set_programme

    set_programme(loyalty={"stamps_for_reward": 3})
    v = past_visits(THURSDAYS[:3], clock=frozen_now)  # a full card: loy-1 is hers
    frozen_now["now"] = at(THURSDAYS[4]) - timedelta(days=3)
    card = links.card_token(v.business_id, v.client_id, frozen_now["now"])
    link = {"service": "highlights", "staff": "aino", "start": THURSDAYS[4], "lang": "fi", "card": card}
    _, details = page(pay_client, "/book/demo?" + urlencode({**link, "reward": "loy-1"}))
    ticked = details.split('id="payment-terms">', 1)[1].split("</div>", 1)[0]
    assert "ennakkomaksu 23,85\u00a0€" in ticked and 'name="terms_perk" value="1"' in ticked, ticked
    # Meanwhile the reward goes on another booking of hers (another tab, the desk).
    other = {**link, "reward": "loy-1", "start": THURSDAYS[5], "name": "Maija Meikäläinen"}
    status, _, headers = form_post(
        pay_client, "/book/demo", {**other, "email": "maija@example.com", "accept_terms": "1"}
    )
    assert status == 303, _
    form = {**link, "reward": "loy-1", "name": "Maija Meikäläinen", "email": "maija@example.com"}
    form |= {"accept_terms": "1", "terms_perk": "1"}
    _, terms = _full_prices_terms_asked(pay_client, form, "Linkkisi etua ei voi enää antaa", "23,85")
    status, _, headers = form_post(pay_client, "/book/demo", {k: v for k, v in form.items() if k != "terms_perk"})
    assert status == 303 and headers["Location"].startswith("/pay/"), _
    _, pay = page(pay_client, headers["Location"])
    assert 'id="pay-amount">47,70\u00a0€</dd>' in pay
    assert _terms(pay) in terms


def test_a_form_error_keeps_every_box_she_ticked(pay_client):
    # A bad phone re-renders the form: her ticks stay ("remember me" is never sent: page.js
    # ticks it again from what the submit saved on this device).
    form = {**FIELDS, "lang": "fi", "phone": "12", "accept_terms": "1", "marketing": "yes"}
    status, html, _ = form_post(pay_client, "/book/demo", form)
    assert status == 422
    assert re.search(r'name="accept_terms" value="1" required\s*checked', html)
    assert re.search(r'name="marketing" value="yes"\s*checked', html)
    # Unticked, they stay unticked.
    status, html, _ = form_post(pay_client, "/book/demo", {**FIELDS, "phone": "12"})
    assert status == 422 and not re.search(r'name="accept_terms"[^>]*checked', html)


def _switch(html: str) -> dict[str, str]:
    """The language switch's links on a page: {"FI": its address, ...}."""
    nav = html.split('<nav class="lang" aria-label="Language">', 1)[1].split("</nav>", 1)[0]
    return {code: href.replace("&amp;", "&") for href, code in re.findall(r'<a href="([^"]+)"[^>]*>(\w\w)</a>', nav)}


def test_the_pay_page_switches_language_and_she_still_pays_there(pay_client, stripe_env):
    from tests.payments.conftest import set_up_card

    _, _, headers = form_post(pay_client, "/book/demo", {**FIELDS, "accept_terms": "1"})
    _, en = page(pay_client, headers["Location"])
    token = headers["Location"].split("/pay/", 1)[1].split("?", 1)[0]
    assert _switch(en) == {code: f"/pay/{token}?lang={code.lower()}" for code in ("FI", "SV", "EN")}
    assert re.search(r'aria-current="true">EN</a>', en)
    r = pay_client.http.get(_switch(en)["SV"])
    sv = r.body.decode()
    assert r.status_code == 200 and '<html lang="sv">' in sv and re.search(r'aria-current="true">SV</a>', sv)
    assert '<h1 id="pay-heading">Betala för att bekräfta bokningen</h1>' in sv
    assert 'id="pay-amount-label">Handpenning\u00a0nu</dt><dd id="pay-amount">47,70\u00a0€</dd>' in sv
    assert _terms(sv).startswith("Gratis avbokning till tis 24.11. kl.\u00a012.00. Om du avbokar senare")
    assert "Betala och bekräfta</button>" in sv and "Pay to confirm" not in sv
    # Still hers alone: never stored, and its address (the token) sent on to nobody.
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["X-Content-Type-Options"] == "nosniff" and "max-age" in r.headers["Strict-Transport-Security"]
    # The same hold and the same card setup: paying on the Swedish page books her.
    secret = sv.split('data-secret="', 1)[1].split('"', 1)[0]
    assert secret == en.split('data-secret="', 1)[1].split('"', 1)[0]
    set_up_card(stripe_env, secret, "4242424242424242")
    assert pay_client.http.post(f"/api/v1/bookings/{token}/payment", body="{}").status_code == 200
    _, paid = page(pay_client, _switch(en)["SV"])
    assert '<h1 id="pay-heading">Bokningen är bekräftad!</h1>' in paid and "Handpenning betald" in paid


def test_a_fee_links_language_switch_stays_on_the_fee(pay_client, stripe_env):
    _, _, headers = form_post(pay_client, "/book/demo", {**FIELDS, "accept_terms": "1"})
    token = headers["Location"].split("/pay/", 1)[1].split("?", 1)[0]
    _, fi = page(pay_client, f"/pay/{token}?fee=no_show&lang=fi")
    assert _switch(fi)["EN"] == f"/pay/{token}?fee=no_show&lang=en"
    _, en = page(pay_client, _switch(fi)["EN"])
    assert '<h1 id="pay-heading">Confirm the payment</h1>' in en
    assert "There is nothing to pay on this link any more." in en


# --- her pay link after the hold: paid, visited, cancelled, or released -------------------------
def _pay_path(booking: dict) -> str:
    from tests.api.helpers import token_of

    return f"/pay/{token_of(booking['manage_url'])}"


def _said(html: str) -> tuple[str, str]:
    heading = re.search(r'<h1 id="pay-heading">([^<]*)</h1>', html)
    result = re.search(r'<p id="pay-result" role="status">([^<]*)</p>', html)
    assert heading and result, html
    return heading[1], result[1]


def test_a_paid_booking_visited_says_it_was_paid_with_her_manage_link(pay_client, stripe_env, aws, frozen_now):
    from tests.admin.helpers import Desk
    from tests.payments.test_fees import AFTER_THE_VISIT, paid_booking

    booking = paid_booking(pay_client, stripe_env)
    _, html = page(pay_client, _pay_path(booking) + "?lang=fi")
    assert _said(html) == ("Varaus vahvistettu!", "Maksettu – varauksesi on vahvistettu.")
    assert f'href="{booking["manage_url"]}"' in html
    frozen_now["now"] = AFTER_THE_VISIT
    desk = Desk(pay_client, aws.id)
    assert desk.post(f"/appointments/{booking['id']}/status", {"status": "arrived"})[0] == 200
    assert desk.post(f"/appointments/{booking['id']}/status", {"status": "completed"})[0] == 200
    for lang, said in (
        ("fi", ("Maksettu", "Maksoit tästä varauksesta 47,70\u00a0€.")),
        ("en", ("Paid", "You paid €47.70 for this booking.")),
    ):
        _, html = page(pay_client, _pay_path(booking) + f"?lang={lang}")
        assert _said(html) == said
        assert f'<a class="go" href="{booking["manage_url"]}">' in html
        for wrong in ("vapautettiin", "raukesi", "released", "ran out", "Varaa uusi aika", "Book again"):
            assert wrong not in html.split("<main>", 1)[1], (lang, wrong)


def test_a_paid_booking_cancelled_later_says_cancelled_and_what_was_refunded(pay_client, stripe_env):
    from tests.payments.test_fees import paid_booking
    from tests.payments.test_owed_refunds import cancel_by_her

    booking = paid_booking(pay_client, stripe_env)
    status, view = cancel_by_her(pay_client, booking)
    assert status == 200 and view["status"] == "cancelled", view
    _, html = page(pay_client, _pay_path(booking) + "?lang=fi")
    heading, result = _said(html)
    assert heading == "Varaus peruttu"
    assert result.startswith("Varaus on peruttu. Ennakkomaksusi 47,70\u00a0€ palautetaan kortillesi"), result
    assert "palautettu 47,70\u00a0€" in html  # the facts: paid, and refunded
    assert f'<a class="go" href="{booking["manage_url"]}">' in html
    assert "vapautettiin" not in html.split("<main>", 1)[1] and "raukesi" not in html
    _, html = page(pay_client, _pay_path(booking) + "?lang=sv")
    heading, result = _said(html)
    assert heading == "Bokningen avbokad"
    assert result.startswith("Bokningen är avbokad. Din handpenning på 47,70\u00a0€ betalas tillbaka"), result


def test_only_a_hold_that_ran_out_unpaid_says_the_time_was_released(pay_client, stripe_env, frozen_now):
    from datetime import timedelta

    from chalicelib.jobs.schedule import JOBS
    from tests.payments.test_pay_flow import book_highlights

    _, held = book_highlights(pay_client)
    frozen_now["now"] += timedelta(minutes=11)
    assert JOBS["hold_expiry"].run(frozen_now["now"])["freed"] == 1
    _, html = page(pay_client, _pay_path(held) + "?lang=fi")
    assert _said(html) == ("Aika vapautettiin", "Varaus raukesi ja aika vapautettiin.")
    _, html = page(pay_client, _pay_path(held) + "?lang=en")
    assert _said(html) == ("The time was released", "The hold ran out and the time was released.")


def test_a_declined_card_asks_for_another_on_reload_and_the_last_says_declined(pay_client, stripe_env):
    from tests.payments.conftest import set_up_card
    from tests.payments.test_pay_flow import book_highlights, decline_every_card, finish

    _, held = book_highlights(pay_client)
    set_up_card(stripe_env, held["payment"]["client_secret"], "4000000000000002")
    status, body = finish(pay_client, held)
    assert status == 402
    # Reloaded after a decline: still hers, the form on the new card's setup, and why.
    _, html = page(pay_client, _pay_path(held) + "?lang=fi")
    assert f'data-secret="{body["error"]["client_secret"]}"' in html
    error = re.search(r'<p id="pay-error" class="error" role="alert">([^<]*)</p>', html)
    assert error and error[1] == "Kortti hylättiin. Kokeile toista korttia: aika on yhä varattu sinulle.", html
    assert 'id="pay-hold"' in html and '<h1 id="pay-heading">Aika vapautettiin' not in html
    # The second declined: the page says the next card is the last she may try.
    set_up_card(stripe_env, body["error"]["client_secret"], "4000000000000002")
    status, body = finish(pay_client, held)
    _, html = page(pay_client, _pay_path(held) + "?lang=fi")
    error = re.search(r'<p id="pay-error" class="error" role="alert">([^<]*)</p>', html)
    assert error and error[1] == "Kortti hylättiin. Kokeile vielä yhtä korttia: jos sekin hylätään, aika vapautetaan."
    held["payment"]["client_secret"] = body["error"]["client_secret"]
    assert decline_every_card(pay_client, stripe_env, held)[1]["error"]["code"] == "payment_declined"
    _, html = page(pay_client, _pay_path(held) + "?lang=fi")
    assert _said(html) == (
        "Aika vapautettiin",
        "Kortti hylättiin ja aika vapautettiin. Varaa uudelleen toisella kortilla.",
    )
    assert "raukesi" not in html
    _, html = page(pay_client, _pay_path(held) + "?lang=en")
    assert _said(html)[1].startswith("The card was declined and the time was released.")


def test_a_fee_link_with_an_odd_round_is_a_page_with_nothing_to_pay(pay_client, stripe_env):
    """A fee's round read strictly (ASCII digits, a sane bound): '²' or '①' is no such
    fee — the page says there is nothing to pay, never a 500."""
    _, _, headers = form_post(pay_client, "/book/demo", {**FIELDS, "accept_terms": "1"})
    token = headers["Location"].split("/pay/", 1)[1].split("?", 1)[0]
    for fee in ("no_show.r%C2%B2", "no_show.r%E2%91%A0", "late_cancel.r%C2%B3", "no_show.r01", "no_show.r1000"):
        r = pay_client.http.get(f"/pay/{token}?fee={fee}&lang=en")
        assert r.status_code == 200, (fee, r.body[:200])


@pytest.mark.parametrize(
    ("lang", "invalid", "expired"),
    [
        ("fi", "Tämä linkki ei ole voimassa.", "Tämä linkki on vanhentunut."),
        ("sv", "Den här länken är inte giltig.", "Den här länken har gått ut."),
        ("en", "This link is not valid.", "This link has expired."),
    ],
)
def test_a_bad_or_expired_pay_link_says_so_in_her_language_as_every_link_page(pay_client, lang, invalid, expired):
    # Reviewer R1: the pay page's error was always <html lang="fi"> and "Something went wrong".
    from chalicelib import links

    old = links.manage_token("abc123", "def456", datetime(2026, 1, 1, tzinfo=UTC))
    for token, words in (("not-a-token", invalid), (old, expired)):
        status, html = page(pay_client, f"/pay/{token}", {"Accept-Language": lang})
        assert status == 404 and f'<html lang="{lang}"' in html and words in html, (token, status, html[:400])
        assert (status, html) == page(pay_client, f"/m/{token}", {"Accept-Language": lang})  # the same page
    status, html = page(pay_client, "/pay/not-a-token?lang=sv", {"Accept-Language": "en"})  # ?lang= first
    assert '<html lang="sv"' in html and "Den här länken är inte giltig." in html


def test_booked_in_the_widgets_frame_the_pay_page_knows_it_and_its_links_leave_or_stay_so(pay_client, stripe_env):
    """A walk through the widget: a deposit paid in its frame, "Manage booking" opened in
    the frame and hit the page for a link without its cookie (a third party's there); after
    three declined cards, "Book a new time" booked in the frame and then said the same."""
    from urllib.parse import parse_qs, urlsplit

    status, _, headers = form_post(pay_client, "/book/demo", {**FIELDS, "accept_terms": "1", "embed": "1"})
    assert status == 303 and parse_qs(urlsplit(headers["Location"]).query)["embed"] == ["1"], headers
    _, pay = page(pay_client, headers["Location"])
    manage = re.findall(r'<a class="go" href="[^"]*/m/[^"]*"([^>]*)>', pay)
    assert manage and all('target="_blank"' in extra for extra in manage), manage  # a tab of its own
    again = re.search(r'id="pay-again"[^>]*><a class="button" href="([^"]+)"', pay)
    assert again and "embed=1" in again[1].replace("&amp;", "&"), again  # the frame's booking page
    switch = re.findall(r'<a href="(/pay/[^"]+)"[^>]*>(?:FI|SV)</a>', pay)
    assert switch and all("embed=1" in href for href in switch), switch  # so in another language too
    # Outside the frame, as before: her booking's page in the same tab.
    _, _, headers = form_post(
        pay_client, "/book/demo", {**FIELDS, "start": "2026-11-25T15:00:00+02:00", "accept_terms": "1"}
    )
    _, pay = page(pay_client, headers["Location"])
    assert "embed" not in headers["Location"] and 'target="_blank"' not in pay
