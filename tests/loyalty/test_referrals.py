"""Referrals: each client's personal link; a new client who books through it gets the
welcome perk on that booking, and when her first visit is completed the referrer gets
her reward, once; self-referral and a returning client posing as new earn nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from tests.admin.helpers import Desk
from tests.api.helpers import book, get, post, token_of
from tests.conftest import emails_to
from tests.history import after, at, booked_ahead, run_job, visit
from tests.loyalty.helpers import THURSDAYS, set_programme

MAIJA = "maija@example.com"
LIISA = {"name": "Liisa Laine", "phone": "040 555 1212", "email": "liisa@example.com"}


@pytest.fixture
def desk(client, aws):
    return Desk(client, aws.id)


@pytest.fixture
def referral(client, desk, frozen_now):
    """Maija has visited; her referral link, as her card page shows it."""
    visit(client, frozen_now, THURSDAYS[0])
    [confirmation] = emails_to(MAIJA, "/l/")
    found = re.search(r"/l/([A-Za-z0-9._\-]+)", confirmation)
    assert found, "no card link"
    card = found.group(1)
    url = get(client, f"/api/v1/cards/{card}")[1]["card"]["referral"]["url"]
    return parse_qs(urlparse(url).query)["ref"][0]


def clients_by_name(desk):
    return {c["name"]: c["id"] for c in desk.get("/clients")[1]["clients"]}


def rewards(desk, name):
    return desk.get(f"/clients/{clients_by_name(desk)[name]}/loyalty")[1]["rewards"]


def test_a_friend_gets_the_welcome_perk_and_maija_her_reward_after_the_first_visit(client, desk, referral, frozen_now):
    body = booked_ahead(client, frozen_now, THURSDAYS[1], referral=referral, **LIISA)
    assert (body["price_cents"], body["discount_cents"], body["reward"]) == (6210, 690, "welcome")
    assert [(r["id"], r["status"]) for r in rewards(desk, "Liisa Laine")] == [("welcome", "redeemed")]
    assert rewards(desk, "Maija Meikäläinen") == []  # not before Liisa's visit
    after(frozen_now, THURSDAYS[1])
    [reward] = rewards(desk, "Maija Meikäläinen")
    assert (reward["kind"], reward["status"]) == ("referral", "available")
    assert reward["description"] == "-20 % kiitokseksi suosittelusta"
    [thanks] = emails_to(MAIJA, "Kiitos suosittelusta")
    assert "Liisa" not in thanks  # the referrer is not told who her friend is
    # Liisa's later visits reward nobody again.
    visit(client, frozen_now, THURSDAYS[2], **LIISA)
    run_job("visits_ended", frozen_now["now"] + timedelta(hours=1))
    assert len(rewards(desk, "Maija Meikäläinen")) == 1 and len(emails_to(MAIJA, "Kiitos suosittelusta")) == 1


def test_the_booking_form_says_the_welcome_perk_is_a_new_clients(client, referral):
    from urllib.parse import urlencode

    link = {"service": "womens-cut", "staff": "aino", "start": THURSDAYS[4], "lang": "fi", "ref": referral}
    html = client.http.get("/book/demo?" + urlencode(link)).body.decode()
    assert re.search(r"62,10\s€.{0,80}\(etu −6,90\s€\)", html)  # 10 % off 69,00 €
    assert re.search(r'id="perk">-10 % ensimmäisestä käynnistä \(uudelle asiakkaalle\)', html)


def test_self_referral_earns_nothing(client, desk, referral, frozen_now):
    body = booked_ahead(client, frozen_now, THURSDAYS[1], referral=referral)
    assert body["price_cents"] == 6900 and body["reward"] is None
    after(frozen_now, THURSDAYS[1])
    assert rewards(desk, "Maija Meikäläinen") == []


def test_her_own_link_under_a_new_phone_and_email_earns_nothing(client, desk, referral, frozen_now):
    """An attacker's probe: Maija's own referral link, her own name, a new phone and email:
    the friend's 10 % on it, then her own 20 % for having referred herself."""
    herself = {"name": "maija  MEIKÄLÄINEN", "phone": "040 777 0101", "email": "toinen.maija@example.com"}
    body = booked_ahead(client, frozen_now, THURSDAYS[1], referral=referral, **herself)
    assert body["price_cents"] == 6900 and body["reward"] is None, body
    after(frozen_now, THURSDAYS[1])
    assert rewards(desk, "Maija Meikäläinen") == []


@pytest.mark.parametrize("same", ["phone", "email"])
def test_a_returning_client_posing_as_new_earns_nothing(client, desk, referral, frozen_now, same):
    visit(client, frozen_now, THURSDAYS[1], **LIISA)  # Liisa is already a client
    posing = {**LIISA, "name": "L. Laine", "phone": "040 777 0000", "email": "new.liisa@example.com", same: LIISA[same]}
    body = booked_ahead(client, frozen_now, THURSDAYS[2], referral=referral, **posing)
    assert body["price_cents"] == 6900 and body["reward"] is None
    after(frozen_now, THURSDAYS[2])
    assert rewards(desk, "Maija Meikäläinen") == []


def test_a_cancelled_first_booking_rewards_nobody_and_keeps_the_perk_for_later(client, desk, referral, frozen_now):
    body = booked_ahead(client, frozen_now, THURSDAYS[1], referral=referral, **LIISA)
    assert post(client, f"/api/v1/bookings/{token_of(body['manage_url'])}/cancel", {})[0] == 200
    assert [(r["id"], r["status"]) for r in rewards(desk, "Liisa Laine")] == [("welcome", "available")]
    after(frozen_now, THURSDAYS[1])
    assert rewards(desk, "Maija Meikäläinen") == []


def test_a_no_show_first_visit_rewards_nobody(client, desk, referral, frozen_now):
    body = booked_ahead(client, frozen_now, THURSDAYS[1], referral=referral, **LIISA)
    frozen_now["now"] = at(THURSDAYS[1]) + timedelta(minutes=30)
    assert desk.post(f"/appointments/{body['id']}/status", {"status": "no_show"})[0] == 200
    after(frozen_now, THURSDAYS[1])
    assert rewards(desk, "Maija Meikäläinen") == []


def test_a_forged_referral_link_is_refused_and_books_nothing(client, desk, referral, frozen_now):
    frozen_now["now"] = at(THURSDAYS[1]) - timedelta(days=3)
    status, body = book(client, THURSDAYS[1], referral=referral[:-2] + "xx", **LIISA)
    assert status == 422 and body["error"]["fields"]["referral"] == "not valid"
    assert "Liisa Laine" not in clients_by_name(desk)


def test_no_perk_when_the_business_stopped_referrals(client, desk, referral, frozen_now):
    set_programme(referrals={"enabled": False})
    body = booked_ahead(client, frozen_now, THURSDAYS[1], referral=referral, **LIISA)
    assert body["price_cents"] == 6900 and body["reward"] is None


def test_her_rewards_are_in_her_export(client, desk, referral, frozen_now):
    booked_ahead(client, frozen_now, THURSDAYS[1], referral=referral, **LIISA)
    data = desk.get(f"/clients/{clients_by_name(desk)['Liisa Laine']}/export")[1]
    assert [(r["reward_id"], r["status"], r["perk"]["percent_off"]) for r in data["rewards"]] == [
        ("welcome", "redeemed", 10)
    ]


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _book_on_the_page(client, link: dict, details: dict):
    """The details step of `link` (a GET), then its form posted with her `details`: the step's
    html, and the page after booking (or the form again, with its status)."""
    from urllib.parse import urlencode

    from tests.api.helpers import follow

    step = client.http.get("/book/demo?" + urlencode(link)).body.decode()
    form = {**{k: v for k, v in link.items() if k != "date"}, **details}
    r = client.http.post("/book/demo", body=urlencode(form), headers=FORM)
    after = follow(client, r.headers).body.decode() if r.status_code == 303 else r.body.decode()
    return step, r.status_code, after


def test_a_returning_client_is_told_the_welcome_perk_is_a_new_clients_and_why_it_was_not_applied(
    client, desk, referral, frozen_now
):
    """Helena's walk: a friend's link promised her -10 %, she is already a client; the page
    after booking and her confirmation said "Price 39,00 €" with no word why."""
    visit(client, frozen_now, THURSDAYS[1], **LIISA)  # Liisa is already a client
    frozen_now["now"] = at(THURSDAYS[2]) - timedelta(days=3)
    link = {"service": "womens-cut", "staff": "aino", "start": THURSDAYS[2], "lang": "fi", "ref": referral}
    step, status, booked = _book_on_the_page(client, link, LIISA)
    assert 'id="perk-new-only">Tervetuloetu on vain uudelle asiakkaalle: jos olet asioinut salongissa ennenkin' in step
    assert status == 303, booked
    facts = booked.split('id="perk-not-applied">', 1)[1].split("</dd>", 1)[0]
    assert facts.startswith("Tervetuloetua ei käytetty: se on vain uusille asiakkaille, ja olet jo salongin asiakas.")
    assert re.search(r"<dt>Hinta</dt><dd>(<span[^>]*>)?69,00\s€", booked)
    confirmation = emails_to(LIISA["email"], "Hinta")[-1]  # this booking's (her visit's came first)
    assert "to 10.12. klo" in confirmation
    assert "Tervetuloetua ei käytetty: se on vain uusille asiakkaille, ja olet jo asiakkaamme." in confirmation
    # A new client's booking says nothing of it.
    assert all("Tervetuloetua ei" not in m for m in emails_to(MAIJA))


@pytest.mark.parametrize(
    "lang, said, after",
    [
        (
            "en",
            "This invitation link could not be read: it may have been cut short",
            "Perk not applied: the link could not be read",
        ),
        ("fi", "Kutsulinkkiä ei voitu lukea: se on voinut katketa", "Etua ei käytetty: linkkiä ei voitu lukea"),
        (
            "sv",
            "Inbjudningslänken kunde inte läsas: den kan ha klippts av",
            "Förmånen användes inte: länken kunde inte läsas",
        ),
    ],
)
def test_a_referral_link_cut_short_is_said_on_arrival_and_books_at_the_services_price(
    client, desk, referral, frozen_now, lang, said, after
):
    """A client's walk: a referral link cut short by an SMS refused every booking with 422
    "The referral link is not valid.", its `ref` kept in the form and in "← Back": no way
    to book at all. Now she is told on arrival and books at the service's price."""
    from urllib.parse import urlencode

    frozen_now["now"] = at(THURSDAYS[1]) - timedelta(days=3)
    cut = referral[: len(referral) - 6]
    times = client.http.get(
        "/book/demo?"
        + urlencode({"ref": cut, "service": "womens-cut", "staff": "aino", "date": THURSDAYS[1][:10], "lang": lang})
    ).body.decode()
    assert f'id="perk-trouble" role="status">{said}' in times
    link = {"ref": cut, "service": "womens-cut", "staff": "aino", "start": THURSDAYS[1], "lang": lang}
    step, status, booked = _book_on_the_page(client, link, LIISA)
    assert said in step and 'id="perk"' not in step
    assert status == 303, booked
    assert f'id="perk-not-applied">{after}' in booked and re.search(r"69[,.]00", booked)
    assert [(r["id"], r["status"]) for r in rewards(desk, "Liisa Laine")] == []  # no perk, and nobody referred


@pytest.mark.parametrize(
    "lang, said",
    [
        ("en", "A friend invited you: 10% off the first visit (for a new client)."),
        ("fi", "Ystäväsi kutsui sinut: -10 % ensimmäisestä käynnistä (uudelle asiakkaalle)."),
    ],
)
def test_a_friends_invitation_says_its_perk_from_the_first_step(client, referral, lang, said):
    """A client's walk: the page a referral link opens said nothing of the invitation or
    its -10 % until the details step; now the services and the times say it, and a link
    cut short says instead that it could not be read."""
    from urllib.parse import urlencode

    for step in ({}, {"service": "womens-cut"}):
        html = client.http.get("/book/demo?" + urlencode({**step, "ref": referral, "lang": lang})).body.decode()
        assert f'<p class="card" id="perk-arrival">{said}</p>' in html, html
    cut = client.http.get("/book/demo?" + urlencode({"ref": referral[:-6], "lang": lang})).body.decode()
    assert 'id="perk-arrival"' not in cut and 'id="perk-trouble"' in cut


def test_her_welcome_perk_is_on_her_booking_until_the_visit_then_used(client, desk, referral, frozen_now):
    """A client's walk: the friend's card read "-10 % ... Used" the moment she booked,
    before her visit; it says the booking it is on until then."""
    booked_ahead(client, frozen_now, THURSDAYS[1], referral=referral, **LIISA)
    [confirmation] = [m for m in emails_to(LIISA["email"], "/l/")]
    found = re.search(r"/l/([A-Za-z0-9._\-]+)", confirmation)
    assert found, "no card link"
    card = client.http.get(f"/l/{found.group(1)}?lang=en")
    if card.status_code == 303:  # the card's own address, the token in a cookie
        from tests.api.helpers import follow

        card = follow(client, card.headers)
    html = card.body.decode()
    assert "10% off the first visit" in html, html
    assert re.search(r'On your booking, <span class="keep">Thu \d{1,2} Dec at.12:00</span>', html), html
    assert ">Used<" not in html
    after(frozen_now, THURSDAYS[1])
    html = get(client, f"/api/v1/cards/{found.group(1)}")[1]["card"]["rewards"]
    assert [(r["status"], r.get("on_booking")) for r in html] == [("redeemed", None)]
