"""Issue 17 (6): the booking page's time step opens on the first day with a free time,
marks the days without any, leaves closed days out, reaches the whole booking horizon
a page at a time, and "anyone" is one merged list of times ("first available")."""

from __future__ import annotations

import re

from tests.history import at


def html_of(client, path: str) -> str:
    r = client.http.get(path)
    assert r.status_code == 200, r.body
    return r.body.decode()


def current_day(html: str) -> str:
    match = re.search(r'<(?:a|span)[^>]*aria-current="date"[^>]*>([^<]+)<', html)
    assert match, "no day is current"
    return match.group(1).strip()


def day_chips(html: str) -> tuple[list[str], list[str]]:
    """(days with times, days marked as without) in the day strip."""
    strip = html.split('class="days"')[1].split("</nav>", maxsplit=1)[0]
    free = re.findall(r"<a [^>]*>([^<]+)</a>", strip)
    none = re.findall(r'<span class="none"[^>]*>([^<]+)<', strip)
    return [d.strip() for d in free], [d.strip() for d in none]


def test_opens_on_the_first_day_with_a_free_time(client, frozen_now):
    frozen_now["now"] = at("2026-11-23T19:30:00+02:00")  # Monday evening: nothing left today
    html = html_of(client, "/book/demo?service=womens-cut&lang=fi")
    assert current_day(html) == "ti 24.11.2026"
    assert "Ei vapaita aikoja tänä päivänä" not in html
    free, none = day_chips(html)
    assert "ma 23.11.2026" in none and "ti 24.11.2026" in free


def test_days_without_times_are_marked_and_closed_days_left_out(client):
    html = html_of(client, "/book/demo?service=womens-cut&staff=aino&lang=fi")
    free, none = day_chips(html)
    assert "la 28.11.2026" in none  # open, but Aino does not work on Saturdays
    assert not any(d.startswith("su ") for d in free + none)  # closed on Sundays
    html = html_of(client, "/book/demo?service=womens-cut&lang=fi&date=2026-12-23")
    free, none = day_chips(html)
    assert "ke 23.12.2026" in free + none
    for closed in ("to 24.12.2026", "pe 25.12.2026", "la 26.12.2026"):
        assert closed not in free + none


def test_the_whole_horizon_can_be_reached_page_by_page(client):
    path, seen = "/book/demo?service=mens-cut&lang=fi", []
    for _ in range(10):
        html = html_of(client, path)
        free, none = day_chips(html)
        seen += free + none
        later = re.search(r'<a href="([^"]+)">Myöhemmät päivät', html)
        if not later:
            break
        path = later.group(1).replace("&amp;", "&")
    assert "pe 19.2.2027" in seen  # 88 days ahead (Mon 23.11 + 90 days is a Sunday: closed)
    assert len(seen) == len(set(seen)) and len(seen) > 70


def test_anyone_is_one_merged_list_of_times(client):
    html = html_of(client, "/book/demo?service=womens-cut&date=2026-11-25&lang=fi")
    assert "Ensimmäinen vapaa" in html
    assert html.count('class="slots"') == 1 and "<h2>Aino Virtanen</h2>" not in html
    times = re.findall(r'<a href="[^"]*start=[^"]*">(\d\d\.\d\d)</a>', html.split('class="slots"')[1])
    assert times and len(times) == len(set(times)) == len(sorted(times))
    links = re.findall(r'<a href="([^"]*start=[^"]*)"', html.split('class="slots"')[1])
    assert not any("staff=" in link for link in links)  # whoever is free then


def test_a_day_without_times_is_named_and_the_strip_lands_on_the_chosen_day(client):
    html = html_of(client, "/book/demo?service=womens-cut&staff=aino&lang=fi&date=2026-11-28")
    assert current_day(html) == "la 28.11.2026"
    assert "Ei vapaita aikoja la 28.11." in html and "tänä päivänä" not in html
    # Every day of the strip is an anchor its links land on (no JavaScript needed).
    assert '<span class="none" id="day-2026-11-28" aria-current="date"' in html
    assert re.search(r'<a id="day-2026-11-27" href="[^"]*date=2026-11-27[^"]*#day-2026-11-27"', html)
    html = html_of(client, "/book/demo?service=womens-cut&staff=aino&lang=sv&date=2026-11-28")
    assert "Inga lediga tider lör 28.11." in html
