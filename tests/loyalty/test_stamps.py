"""Stamp card: a stamp per completed visit, the reward issued and announced when the
card is full, shown on her card page, redeemed by choosing it when booking, given back
when that booking is cancelled; no stamps for cancelled or no-show visits; the owner's
corrections with a reason, audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.admin.helpers import Desk
from tests.api.helpers import book, follow, get, post, token_of
from tests.conftest import emails_to
from tests.history import after, at, booked_ahead, business, past_visits, run_job, visit
from tests.loyalty.helpers import THURSDAYS, set_programme

MAIJA = "maija@example.com"


@pytest.fixture
def desk(client, aws):
    set_programme(loyalty={"stamps_for_reward": 3})
    return Desk(client, aws.id)


def client_id(desk, name="Maija Meikäläinen"):
    return next(c["id"] for c in desk.get("/clients")[1]["clients"] if c["name"] == name)


def card_token(address=MAIJA) -> str:
    [first, *_] = [m for m in emails_to(address, "/l/")]
    found = re.search(r"/l/([A-Za-z0-9._\-]+)", first)
    assert found, "no card link"
    return found.group(1)


def test_the_third_visit_fills_the_card_and_the_reward_is_announced_once(client, desk, frozen_now):
    past_visits(THURSDAYS[:2], clock=frozen_now)
    card = desk.get(f"/clients/{client_id(desk)}/loyalty")[1]
    assert (card["stamps"], card["to_next"], card["rewards"]) == (2, 1, [])
    visit(client, frozen_now, THURSDAYS[2])
    card = desk.get(f"/clients/{client_id(desk)}/loyalty")[1]
    assert card["stamps"] == 0 and card["visits_counted"] == 3
    [reward] = card["rewards"]
    assert (reward["id"], reward["kind"], reward["status"]) == ("loy-1", "loyalty", "available")
    assert reward["description"] == "-50 % seuraavasta käynnistä"
    [announcement] = emails_to(MAIJA, "Etusi odottaa")
    assert "-50 % seuraavasta käynnistä" in announcement and "reward=loy-1" in announcement
    run_job("visits_ended", frozen_now["now"] + timedelta(hours=1))  # a repeated run
    assert len(desk.get(f"/clients/{client_id(desk)}/loyalty")[1]["rewards"]) == 1
    assert len(emails_to(MAIJA, "Etusi odottaa")) == 1


def test_cancelled_and_no_show_visits_earn_no_stamp(client, desk, frozen_now):
    past_visits(THURSDAYS[:1], clock=frozen_now)
    cancelled = booked_ahead(client, frozen_now, THURSDAYS[1])
    assert post(client, f"/api/v1/bookings/{token_of(cancelled['manage_url'])}/cancel", {})[0] == 200
    missed = booked_ahead(client, frozen_now, THURSDAYS[2])
    frozen_now["now"] = at(THURSDAYS[2]) + timedelta(minutes=30)
    assert desk.post(f"/appointments/{missed['id']}/status", {"status": "no_show"})[0] == 200
    after(frozen_now, THURSDAYS[2])
    card = desk.get(f"/clients/{client_id(desk)}/loyalty")[1]
    assert (card["stamps"], card["rewards"]) == (1, [])


def test_a_visit_corrected_to_no_show_takes_back_an_unused_reward(client, desk, frozen_now):
    last = past_visits(THURSDAYS[:3], clock=frozen_now).appointment_ids[-1]
    assert desk.post(f"/appointments/{last}/status", {"status": "no_show"})[0] == 200
    card = desk.get(f"/clients/{client_id(desk)}/loyalty")[1]
    assert card["stamps"] == 2 and [r["status"] for r in card["rewards"]] == ["revoked"]
    # Corrected back: the stamp returns and a reward is issued again, not two.
    assert desk.post(f"/appointments/{last}/status", {"status": "completed"})[0] == 200
    card = desk.get(f"/clients/{client_id(desk)}/loyalty")[1]
    assert [(r["id"], r["status"]) for r in card["rewards"]] == [("loy-1", "revoked"), ("loy-2", "available")]


def full_card(frozen_now):
    """Three visits: a full card, its reward announced with her card link."""
    past_visits(THURSDAYS[:3], clock=frozen_now)
    return card_token()


def test_redeeming_halves_the_price_once_and_cancelling_gives_it_back(client, desk, frozen_now):
    token = full_card(frozen_now)
    use = {"id": "loy-1", "card": token}
    status, body = book(client, THURSDAYS[4], reward=use)
    assert status == 201, body
    assert (body["price_cents"], body["discount_cents"], body["reward"]) == (3450, 3450, "loy-1")
    status, again = book(client, THURSDAYS[5], reward=use)
    assert status == 409 and again["error"]["code"] == "reward_unavailable"
    assert post(client, f"/api/v1/bookings/{token_of(body['manage_url'])}/cancel", {})[0] == 200
    assert get(client, f"/api/v1/cards/{token}")[1]["card"]["rewards"][0]["status"] == "available"
    status, rebooked = book(client, THURSDAYS[5], reward=use)
    assert status == 201 and rebooked["price_cents"] == 3450
    # The redeemed visit earns its stamp like any other.
    after(frozen_now, THURSDAYS[5])
    assert desk.get(f"/clients/{client_id(desk)}/loyalty")[1]["stamps"] == 1


def test_a_reward_the_stamps_no_longer_cover_is_withdrawn_when_its_booking_is_cancelled(client, desk, frozen_now):
    """Her reward is reserved on a booking when the visit that earned it is corrected to a
    no-show (kept: it is in use); the booking is then cancelled: the reward does not go
    back on a card whose stamps no longer cover it, and cannot be booked again."""
    ids = past_visits(THURSDAYS[:3], clock=frozen_now).appointment_ids
    token = card_token()
    use = {"id": "loy-1", "card": token}
    status, booking = book(client, THURSDAYS[4], reward=use)
    assert status == 201 and booking["discount_cents"] == 3450, booking
    assert desk.post(f"/appointments/{ids[-1]}/status", {"status": "no_show"})[0] == 200
    card = desk.get(f"/clients/{client_id(desk)}/loyalty")[1]
    assert card["stamps"] == 2 and [(r["id"], r["status"]) for r in card["rewards"]] == [("loy-1", "redeemed")]
    assert post(client, f"/api/v1/bookings/{token_of(booking['manage_url'])}/cancel", {})[0] == 200
    card = desk.get(f"/clients/{client_id(desk)}/loyalty")[1]
    assert card["stamps"] == 2 and [(r["id"], r["status"]) for r in card["rewards"]] == [("loy-1", "revoked")]
    assert get(client, f"/api/v1/cards/{token}")[1]["card"]["rewards"] == []  # her card page offers nothing
    status, again = book(client, THURSDAYS[5], reward=use)
    assert status == 409 and again["error"]["code"] == "reward_unavailable", again
    # Her third visit again: the card fills once more and a new reward is hers.
    visit(client, frozen_now, THURSDAYS[6])
    card = desk.get(f"/clients/{client_id(desk)}/loyalty")[1]
    assert [(r["id"], r["status"]) for r in card["rewards"]] == [("loy-1", "revoked"), ("loy-2", "available")]


def test_the_booking_form_says_the_rewards_price_before_she_books(client, desk, frozen_now):
    """From her card's "book with the reward" link, the details step shows what she will
    pay (the service's 69,00 € halved), not the full price the confirmation then undercuts."""
    from urllib.parse import urlencode

    token = full_card(frozen_now)
    link = {"service": "womens-cut", "staff": "aino", "start": THURSDAYS[4], "lang": "fi"}
    html = client.http.get("/book/demo?" + urlencode({**link, "card": token, "reward": "loy-1"})).body.decode()
    assert 'name="name"' in html  # the details step
    assert re.search(r"34,50\s€.{0,80}\(etu −34,50\s€\)", html), html[html.find('id="summary"') :][:900]
    assert "-50 % seuraavasta käynnistä" in html
    # Her card's link proves who she is: her details are filled in, as "book again" does.
    assert 'value="Maija Meikäläinen"' in html and 'value="maija@example.com"' in html
    # Without the reward, or with a link that gives none, the price is the service's.
    for extra in ({}, {"card": token, "reward": "loy-9"}, {"card": token[:-2] + "xx", "reward": "loy-1"}):
        plain = client.http.get("/book/demo?" + urlencode({**link, **extra})).body.decode()
        assert 'id="perk"' not in plain and "69,00" in plain, extra


def test_a_reward_is_only_hers(client, desk, frozen_now):
    token = full_card(frozen_now)
    frozen_now["now"] = at(THURSDAYS[4]) - timedelta(days=3)
    status, body = book(
        client,
        THURSDAYS[4],
        reward={"id": "loy-1", "card": token},
        name="Liisa",
        phone="040 999 8888",
        email="liisa@example.com",
    )
    assert status == 422 and body["error"]["fields"]["reward"] == "belongs to another client"
    status, body = book(client, THURSDAYS[4], reward={"id": "loy-1"})
    assert status == 422 and "reward.card" in body["error"]["fields"]
    status, body = book(client, THURSDAYS[4], reward={"id": "loy-1", "card": token[:-2] + "xx"})
    assert status == 422 and body["error"]["fields"]["reward.card"] == "not valid"
    status, body = book(client, THURSDAYS[4], reward={"id": "loy-9", "card": token})
    assert status == 422 and body["error"]["fields"]["reward"] == "unknown reward"
    # Nothing of it was booked: the time is still free.
    assert book(client, THURSDAYS[4])[0] == 201


def test_an_expired_reward_cannot_be_booked(client, desk, frozen_now):
    set_programme(loyalty={"stamps_for_reward": 3, "reward_valid_days": 30})
    token = full_card(frozen_now)
    frozen_now["now"] = at(THURSDAYS[2]) + timedelta(days=31)
    status, body = book(client, "2027-01-21T12:00:00+02:00", reward={"id": "loy-1", "card": token})
    assert status == 409 and body["error"]["code"] == "reward_unavailable"
    assert get(client, f"/api/v1/cards/{token}")[1]["card"]["rewards"][0]["status"] == "expired"


def test_the_card_page_shows_stamps_rewards_and_a_booking_link(client, desk, frozen_now):
    token = full_card(frozen_now)
    past_visits(THURSDAYS[4:5], clock=frozen_now)
    link = client.http.get(f"/l/{token}", headers={"Accept-Language": "en"})
    # The link's token moves to a cookie of the card's own address: out of the address bar.
    address = "/l/" + ".".join(token.split(".")[:3])
    assert link.status_code == 303 and link.headers["Location"] == address
    assert f"Path={address};" in link.headers["Set-Cookie"] and "HttpOnly" in link.headers["Set-Cookie"]
    r = follow(client, link.headers, {"Accept-Language": "en"})
    assert r.status_code == 200
    page = r.body.decode()
    elsewhere = client.http.get(address, headers={"Accept-Language": "en"})  # another device: no cookie
    assert elsewhere.status_code == 403 and "1/3 stamps" not in elsewhere.body.decode()
    assert "Open this page from the link in your message" in elsewhere.body.decode()
    assert business().config.name in elsewhere.body.decode()  # whom to call
    assert "1/3 stamps" in page and "50% off your next visit" in page
    # Until when, as the page's other dates are written ("Wed 23 Dec 2026"), not 2026-12-23.
    assert re.search(r"valid until [A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4}", page), page
    assert re.search(r'href="https://book.example.test/book/demo\?card=k\.[^"&]+&amp;reward=loy-1"', page)
    assert "Refer a friend" in page and "ref=" in page
    assert client.http.get(f"/l/{token[:-3]}abc").status_code == 404
    assert get(client, f"/api/v1/cards/{token}x")[0] == 404


@pytest.mark.parametrize(
    "lang, said",
    [
        ("en", "2/3 stamps. 1 more visit and you get: 50% off your next visit"),
        ("fi", "2/3 leimaa. Vielä 1 käynti, niin saat: -50 % seuraavasta käynnistä"),
        ("sv", "2/3 stämplar. 1 besök till, så får du: -50 % på nästa besök"),
    ],
)
def test_one_visit_from_the_reward_the_card_says_one_visit(client, desk, frozen_now, lang, said):
    # "1 more visits" (en), "vielä 1 käyntiä" (fi): a number and its noun that do not agree.
    from chalicelib import links

    v = past_visits(THURSDAYS[:2], clock=frozen_now)
    token = links.card_token(v.business_id, v.client_id, frozen_now["now"])
    link = client.http.get(f"/l/{token}?lang={lang}")
    page = follow(client, link.headers).body.decode()
    assert said in page


def test_the_card_page_switches_language_at_its_own_address(client, desk, frozen_now):
    # Walk in Swedish: the card opened in the phone's language (Finnish) with no FI/SV/EN
    # switch, where every other page of hers has one; a Swedish speaker was stuck there.
    from tests.api.test_pages import _lang_links

    token = full_card(frozen_now)
    link = client.http.get(f"/l/{token}", headers={"Accept-Language": "fi"})
    address = link.headers["Location"]
    page = follow(client, link.headers, {"Accept-Language": "fi"}).body.decode()
    switch = _lang_links(page)
    assert switch["SV"] == f"{address}?lang=sv" and all(token not in href for href in switch.values())
    cookie = {"Cookie": link.headers["Set-Cookie"].split(";")[0]}
    sv = client.http.get(switch["SV"], headers={**cookie, "Accept-Language": "fi"}).body.decode()
    assert '<html lang="sv">' in sv and "Stämpelkort" in sv


def test_the_booking_page_carries_the_reward_to_the_booking(client, desk, frozen_now):
    token = full_card(frozen_now)
    frozen_now["now"] = at(THURSDAYS[4]) - timedelta(days=3)
    page = client.http.get(
        f"/book/demo?card={token}&reward=loy-1&service=womens-cut&staff=aino&start=2027-01-07T12:00:00%2B02:00"
    ).body.decode()
    assert 'name="reward" value="loy-1"' in page and f'name="card" value="{token}"' in page
    form = {
        "service": "womens-cut",
        "staff": "aino",
        "start": "2027-01-07T12:00:00+02:00",
        "name": "Maija",
        "phone": "040 123 4567",
        "reward": "loy-1",
        "card": token,
        "lang": "en",
    }
    from urllib.parse import urlencode

    r = client.http.post(
        "/book/demo", body=urlencode(form), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 303  # redirect after POST to the confirmation page
    assert "(reward −" in follow(client, r.headers).body.decode()


def test_owner_adjusts_with_a_reason_and_it_is_audited(client, desk, aws, frozen_now):
    past_visits(THURSDAYS[:1], clock=frozen_now)
    cid = client_id(desk)
    status, card = desk.post(f"/clients/{cid}/loyalty/adjustments", {"stamps": 2, "reason": "Visits at the fair"})
    assert status == 201 and card["adjustment"] == 2 and card["rewards"][0]["id"] == "loy-1"
    assert len(emails_to(MAIJA, "Etusi odottaa")) == 1  # the reward is announced at once
    status, body = desk.post(f"/clients/{cid}/loyalty/adjustments", {"stamps": 0, "reason": "nothing"})
    assert status == 422 and "stamps" in body["error"]["fields"]
    status, body = desk.post(f"/clients/{cid}/loyalty/adjustments", {"stamps": -1})
    assert status == 422 and "reason" in body["error"]["fields"]
    staff = Desk(client, aws.id, role="staff", staff_id="aino")
    assert staff.post(f"/clients/{cid}/loyalty/adjustments", {"stamps": 1, "reason": "Kind"})[0] == 403
    entries = [e for e in desk.get("/audit")[1]["entries"] if e["action"] == "adjust_stamps"]
    assert [(e["client"], e["detail"]) for e in entries] == [(cid, {"stamps": 2, "reason": "Visits at the fair"})]
    # Taking stamps back below a reward withdraws it while it is unused.
    status, card = desk.post(f"/clients/{cid}/loyalty/adjustments", {"stamps": -2, "reason": "Entered twice"})
    assert card["stamps"] == 1 and card["rewards"][0]["status"] == "revoked"


def test_no_card_when_the_business_has_none(client, aws, frozen_now):
    set_programme(loyalty={"enabled": False}, referrals={"enabled": False})
    desk = Desk(client, aws.id)
    past_visits(THURSDAYS[:2], clock=frozen_now)
    visit(client, frozen_now, THURSDAYS[2])  # booked: its confirmation is sent
    assert desk.get(f"/clients/{client_id(desk)}/loyalty")[1] == {"loyalty": False, "referrals": False, "rewards": []}
    assert emails_to(MAIJA, "Aikasi on vahvistettu") and emails_to(MAIJA, "/l/") == []  # no card link in it
    status, body = desk.post(f"/clients/{client_id(desk)}/loyalty/adjustments", {"stamps": 1, "reason": "Kind"})
    assert status == 409 and body["error"]["code"] == "loyalty_off"


@pytest.mark.parametrize(
    "spoilt, said, after",
    [
        ("card", "This reward link could not be read", "Perk not applied: the link could not be read"),
        ("reward", "This reward link could not be read", "Perk not applied: the link could not be read"),
        (
            "used",
            "perk is no longer valid (used or expired)",
            "Perk not applied: the link&#39;s perk is no longer valid",
        ),
    ],
)
def test_a_reward_link_cut_short_or_used_is_said_on_arrival_and_books_at_the_services_price(
    client, desk, frozen_now, spoilt, said, after
):
    """Her stamp card's reward link cut short (its card token, or the reward's id), or its
    reward used already: the booking was refused (422, 409) again and again with the link
    kept in the form. Now the page says so on arrival and books at the service's price."""
    from urllib.parse import urlencode

    token = full_card(frozen_now)
    frozen_now["now"] = at(THURSDAYS[4]) - timedelta(days=3)
    perk = {"card": token[:-5], "reward": "loy-1"} if spoilt == "card" else {"card": token, "reward": "loy-1"}
    if spoilt == "reward":
        perk["reward"] = "loy-"
    if spoilt == "used":
        assert book(client, THURSDAYS[5], reward={"id": "loy-1", "card": token})[0] == 201
    link = {**perk, "service": "womens-cut", "staff": "aino", "start": THURSDAYS[4], "lang": "en"}
    step = client.http.get("/book/demo?" + urlencode(link)).body.decode()
    assert said in step.split('id="perk-trouble" role="status">', 1)[1][:120] and 'id="perk"' not in step
    form = {**link, "name": "Maija Meikäläinen", "phone": "040 123 4567"}
    r = client.http.post(
        "/book/demo", body=urlencode(form), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 303, r.body.decode()
    booked = follow(client, r.headers).body.decode()
    assert f'id="perk-not-applied">{after}' in booked and "€69.00" in booked


def test_her_bookings_page_leads_to_her_stamp_card(client, desk):
    """Her stamps are where she looks after booking: her booking's own page links to her
    card (only the confirmation's small link did); the link opens the card she earns on.
    A booking made with a contact she is not known by shows none."""
    status, booked = book(client, "2026-11-25T12:00:00+02:00")
    assert status == 201, booked
    page = get_page(client, booked["manage_url"])
    found = re.search(r'<a class="go" id="card-link" href="[^"]*(/l/[^"]+)">Leimakorttisi, etusi', page)
    assert found, page
    card = client.http.get(found.group(1).replace("&amp;", "&"))
    assert card.status_code in (200, 303), card.body
    assert card_token() in found.group(1)  # the confirmation's card, the same one
    status, stranger = book(client, "2026-11-26T12:00:00+02:00", phone="045 999 8888")  # her email, another number
    assert status == 201, stranger
    assert 'id="card-link"' not in get_page(client, stranger["manage_url"])


def get_page(client, manage_url: str) -> str:
    from tests.api.helpers import open_link

    return open_link(client, manage_url.replace("https://book.example.test", "") + "?lang=fi").body.decode()
