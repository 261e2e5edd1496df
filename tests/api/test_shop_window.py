"""The booking page as the salon's shop window (issue 17, 9) and "book again" links that
fill in her details from a signed token (issue 17, 10)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.history import business, past_visits

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def page(client, path, headers=None):
    r = client.http.get(path, headers=headers or {})
    return r.status_code, r.body.decode()


def test_the_shop_window_shows_what_a_client_decides_on(client):
    status, html = page(client, "/book/demo?lang=en")
    assert status == 200
    # Cover and logo: sized files, no layout shift (width/height), the cover not lazy
    # (it is the first thing seen), the staff photos lazy (below the fold).
    cover = re.search(r'<img class="cover"[^>]*>', html)
    assert cover and 'width="576" height="192"' in cover[0] and "loading" not in cover[0]
    assert re.search(r'srcset="/static/img/demo-cover-480\.\w+\.webp 480w, [^"]+ 960w, [^"]+ 1440w"', cover[0])
    assert 'class="logo"' in html
    assert "A hair salon in Kamppi since 2012." in html
    # Services in their categories, with descriptions and a from-to price where it varies.
    cuts, colour = html.index("<h3>Cuts</h3>"), html.index("<h3>Colour</h3>")
    assert cuts < html.index("Women&#39;s haircut") < colour < html.index("Hair colouring")
    assert "Permanent colour for roots or full length; priced by hair length." in html
    assert "€129.00–€169.00" in html or "129,00 €–169,00 €" in html
    # Staff with photo and title.
    team = html[html.index("Our team") :]
    assert "Sanna Korhonen" in team and "Colour specialist" in team
    assert re.search(r'<img src="/static/img/demo-sanna-64\.\w+\.webp"[^>]*loading="lazy"', team)
    # Opening hours in her words, days with the same hours joined; the map is a plain link.
    assert "<dt>Mon–Tue</dt><dd>09:00–18:00</dd>" in html and "<dt>Sun</dt><dd>closed</dd>" in html
    assert 'href="https://www.openstreetmap.org/search?query=Fredrikinkatu%2020%2C%2000120%20Helsinki"' in html
    assert 'href="tel:+358912345678"' in html
    assert "<script" not in html.replace('<script src="/static/page.js" defer></script>', "")  # no map script
    # No rating before anyone has rated.
    assert "client ratings" not in html


def test_opening_hours_and_categories_in_finnish_and_swedish(client):
    _, fi = page(client, "/book/demo?lang=fi")
    assert "<dt>ma–ti</dt><dd>9.00–18.00</dd>" in fi and "<dt>su</dt><dd>suljettu</dd>" in fi
    assert "<h3>Värit</h3>" in fi and "Parturi-kampaaja" in fi and "Aukioloajat" in fi
    _, sv = page(client, "/book/demo?lang=sv")
    assert "<dt>mån–tis</dt><dd>9.00–18.00</dd>" in sv and "<dt>sön</dt><dd>stängt</dd>" in sv
    assert "<h3>Färg</h3>" in sv and "Färgspecialist" in sv and "Öppettider" in sv


def test_services_with_no_category_come_last_under_a_heading_of_their_own(client):
    """An owner's walk: a new service saved without a category was listed, headless, under
    the category before it ("Styling"). Where others have categories it comes last, under
    "Other services"; where none has one, no heading at all."""
    from chalicelib.store import businesses

    cfg = business().config
    colour = cfg.services[2]
    businesses.save_config(
        cfg.model_copy(
            update={
                "services": tuple(s.model_copy(update={"category": None}) if s is colour else s for s in cfg.services)
            }
        )
    )
    businesses.clear_cache()
    for lang, other in (("fi", "Muut palvelut"), ("sv", "Övriga tjänster"), ("en", "Other services")):
        _, html = page(client, f"/book/demo?lang={lang}")
        headings = re.findall(r"<h3>([^<]*)</h3>", html)
        assert other in headings and headings.index(other) > max(
            headings.index(h) for h in headings if h in ("Leikkaukset", "Värit", "Muotoilu", "Klippning", "Cuts")
        ), headings
        assert html.index(f"<h3>{other}</h3>") < html.index(colour.name.get(lang).replace("'", "&#39;"))
    businesses.save_config(
        cfg.model_copy(update={"services": tuple(s.model_copy(update={"category": None}) for s in cfg.services)})
    )
    businesses.clear_cache()
    _, html = page(client, "/book/demo?lang=fi")
    assert "Muut palvelut" not in html and "<h3>Leikkaukset</h3>" not in html


def _service_item(html: str, name: str) -> str:
    """The service list's entry of a service, by its name as the page writes it."""
    items = re.findall(r"<li><a [^>]*><strong>(.*?)</strong>(.*?)</a></li>", html, re.S)
    return next(rest for strong, rest in items if strong == name)


def test_the_service_list_says_what_booking_a_service_takes_before_a_time_is_picked(client, aws):
    """Foil highlights take a 30 % deposit of 159,00 €: the list says 47,70 € under it, the
    amount the details step asks for; a service without a payment says nothing of money.
    The business's own policy speaks for the services without one of their own."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store import businesses

    _, fi = page(client, "/book/demo?lang=fi")
    assert '<span class="pay">Ennakkomaksu 47,70\u00a0€ varattaessa</span>' in _service_item(fi, "Raidat folioilla")
    assert 'class="pay"' not in _service_item(fi, "Naisten hiustenleikkaus")
    _, details = page(client, "/book/demo?service=highlights&staff=aino&start=2026-11-25T12:00:00%2B02:00&lang=fi")
    assert "Varattaessa maksetaan ennakkomaksu 47,70\u00a0€." in details
    _, sv = page(client, "/book/demo?lang=sv")
    assert "Handpenning 47,70\u00a0€ vid bokningen" in _service_item(sv, "Slingor med folie")

    data = aws.config.model_dump(mode="json")
    data["payments"]["policy"] = {"kind": "card_on_file"}
    businesses.save_config(parse_business_config(data))
    businesses.clear_cache()
    _, en = page(client, "/book/demo?lang=en")
    assert '<span class="pay">Card saved when booking, nothing charged now</span>' in _service_item(
        en, "Men&#39;s haircut"
    )
    assert "Deposit €47.70 when booking" in _service_item(en, "Foil highlights")  # its own policy
    data["payments"]["policy"] = {"kind": "prepay"}
    businesses.save_config(parse_business_config(data))
    businesses.clear_cache()
    _, fi = page(client, "/book/demo?lang=fi")
    assert "Koko hinta 42,00\u00a0€ maksetaan varattaessa" in _service_item(fi, "Miesten hiustenleikkaus")


def test_the_images_are_served_with_a_years_cache_and_only_from_the_set(client):
    _, html = page(client, "/book/demo")
    found = re.search(r'<img class="cover" src="([^"]+)"', html)
    assert found
    src = found[1]
    r = client.http.get(src, headers={"Accept": "image/avif,image/webp,*/*"})  # as a browser asks
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/webp"
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert r.body[:4] == b"RIFF" and r.body[8:12] == b"WEBP"
    for name in ("manifest.json", "..%2Fpage.js", "demo-cover.webp"):
        missing = client.http.get(f"/static/img/{name}")
        assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("application/json")
        assert json.loads(missing.body)["error"]["code"] == "image_not_found", missing.body


def rate(client, visit, stars: int):
    from chalicelib import links

    token = links.feedback_token(visit.business_id, visit.appointments[0].id, visit.appointments[0].end)
    r = client.http.post(f"/f/{token}", body=urlencode({"rating": stars, "lang": "fi"}), headers=FORM)
    assert r.status_code == 303 and "sent=1" in r.headers["Location"], r.body[:300]  # saved: on to the thanks


def test_the_rating_shows_once_five_clients_have_rated(client, frozen_now):
    from chalicelib.services.booking import profile

    visits = [
        past_visits(["2026-11-20T10:00:00+02:00"], name=f"Asiakas {n}", phone=None, email=f"r{n}@example.com")
        for n in range(5)
    ]
    for v, stars in zip(visits[:4], (5, 5, 4, 5)):
        rate(client, v, stars)
    profile.clear_ratings()
    _, html = page(client, "/book/demo?lang=en")
    assert "client ratings" not in html  # four are too few to mean something
    rate(client, visits[4], 4)
    profile.clear_ratings()
    _, html = page(client, "/book/demo?lang=en")
    assert "4.6 / 5 stars from 5 client ratings" in html
    _, fi = page(client, "/book/demo?lang=fi")
    assert "4,6 / 5 tähteä, 5 arviota asiakkailta" in fi


def test_the_rating_is_read_from_the_aggregates_and_kept_a_while(client, frozen_now, monkeypatch):
    from chalicelib.store import kpis

    reads = []
    real = kpis.periods

    def counted(*a):
        reads.append(a)
        return real(*a)

    monkeypatch.setattr(kpis, "periods", counted)
    for _ in range(3):
        page(client, "/book/demo")
    assert len(reads) == 1 and reads[0][1] == ["2026", "2025"]  # this year and last, one BatchGetItem


def test_the_owner_can_hide_the_rating_or_ask_for_more(client):
    from chalicelib.domain.config import ShopWindow

    assert ShopWindow().rating_min_count == 5 and ShopWindow().show_rating
    with pytest.raises(ValueError):
        ShopWindow(rating_min_count=0)
    with pytest.raises(ValueError):
        ShopWindow(map_url="http://maps.example/x")


def test_a_book_again_link_carries_a_token_not_her_details(client):
    from chalicelib.services import message_plans

    b = business()
    [visit] = past_visits(["2026-11-20T10:00:00+02:00"], name="Anna Asiakas", email="anna@example.com").appointments
    url = message_plans.booking_context(b, visit, "Anna Asiakas")["book_url"]
    query = parse_qs(urlsplit(url).query)
    assert query["service"] == ["womens-cut"] and query["staff"] == ["aino"] and query["again"][0].startswith("r.")
    assert "anna" not in url.lower() and "040" not in url and "358" not in url


def test_the_book_again_page_fills_in_her_details(client, frozen_now):
    from chalicelib import links

    v = past_visits(["2026-11-20T10:00:00+02:00"], name="Anna Asiakas", email="anna@example.com")
    again = links.rebook_token(v.business_id, v.client_id, frozen_now["now"] + timedelta(days=30))
    details = "/book/demo?service=womens-cut&staff=aino&start=2026-11-27T10:00:00%2B02:00&lang=fi&again=" + again
    _, html = page(client, details)
    # Her phone as she writes it, not as it is stored ("+358401234567": a client's walk).
    assert 'value="Anna Asiakas"' in html and 'value="040 1234567"' in html and 'value="anna@example.com"' in html
    assert "Tervetuloa takaisin, Anna!" in html
    # Sent as it came, it is her number: the booking is hers.
    from tests.api.test_pages import form_post

    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    fields |= {"name": "Anna Asiakas", "phone": "040 1234567", "email": "anna@example.com"}
    status, _, headers = form_post(client, "/book/demo", fields)
    assert status == 303, _
    from chalicelib.store import bookings

    [ahead] = [a for a in bookings.client_history(v.business_id, v.client_id) if a.id != v.appointments[0].id]
    assert ahead.start.isoformat() == "2026-11-27T08:00:00+00:00"
    # Another purpose's token, a forged one, an expired one, or one of another business: the plain form.
    manage = links.manage_token(v.business_id, v.appointments[0].id, v.appointments[0].end)
    expired = links.rebook_token(v.business_id, v.client_id, frozen_now["now"] - timedelta(minutes=1))
    other = links.rebook_token("another-business", v.client_id, frozen_now["now"] + timedelta(days=30))
    for bad in (manage, again[:-2] + "xx", expired, other):
        status, html = page(client, details.split("&again=")[0] + "&again=" + bad)
        assert status == 200 and "Anna Asiakas" not in html and "Tervetuloa takaisin" not in html


def test_her_details_are_remembered_only_by_her_own_tick(client):
    _, html = page(client, "/book/demo?service=womens-cut&staff=aino&start=2026-11-27T10:00:00%2B02:00&lang=en")
    box = re.search(r'<input type="checkbox" id="remember"[^>]*>', html)
    assert box and "checked" not in box[0] and "name=" not in box[0]  # never sent, never pre-ticked
    assert "Remember my details on this device" in html and "Forget my details on this device" in html
