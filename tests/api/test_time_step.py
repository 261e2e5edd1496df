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
    free = re.findall(r'<a (?![^>]*class="full")[^>]*>([^<]+)</a>', strip)
    # Full (a link, struck through, to the day that says so) or nobody works (text).
    none = re.findall(r'<(?:a [^>]*class="full"|span class="none)[^>]*>([^<]+)<', strip)
    return [d.strip() for d in free], [d.strip() for d in none]


def test_opens_on_the_first_day_with_a_free_time(client, frozen_now):
    frozen_now["now"] = at("2026-11-23T19:30:00+02:00")  # Monday evening: nothing left today
    html = html_of(client, "/book/demo?service=womens-cut&lang=fi")
    assert current_day(html) == "ti 24.11."  # a chip without its year: more of them on a phone
    assert "Ei vapaita aikoja tänä päivänä" not in html
    free, none = day_chips(html)
    assert "ma 23.11." in none and "ti 24.11." in free


def test_days_without_times_are_marked_and_closed_days_left_out(client):
    html = html_of(client, "/book/demo?service=womens-cut&staff=aino&lang=fi")
    free, none = day_chips(html)
    assert "la 28.11." in none  # open, but Aino does not work on Saturdays
    assert not any(d.startswith("su ") for d in free + none)  # closed on Sundays
    html = html_of(client, "/book/demo?service=womens-cut&lang=fi&date=2026-12-23")
    free, none = day_chips(html)
    assert "ke 23.12." in free + none
    for closed in ("to 24.12.", "pe 25.12.", "la 26.12."):
        assert closed not in free + none
    assert "la 2.1.2027" in free + none  # where the strip crosses into the next year, its year


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
    assert "pe 19.2." in seen or "pe 19.2.2027" in seen  # 88 days ahead (Mon 23.11 + 90 days is a Sunday: closed)
    assert len(seen) == len(set(seen)) and len(seen) > 70


def test_anyone_is_one_merged_list_of_times(client):
    html = html_of(client, "/book/demo?service=womens-cut&date=2026-11-25&lang=fi")
    assert "Ensimmäinen vapaa" in html
    assert html.count('class="slots"') == 1 and "<h2>Aino Virtanen</h2>" not in html
    times = re.findall(r'<a href="[^"]*start=[^"]*">(\d\d\.\d\d)</a>', html.split('class="slots"')[1])
    assert times and len(times) == len(set(times)) == len(sorted(times))
    links = re.findall(r'<a href="([^"]*start=[^"]*)"', html.split('class="slots"')[1])
    assert not any("staff=" in link for link in links)  # whoever is free then


def test_a_day_without_times_is_named_and_the_strip_lands_on_the_chosen_day(client, frozen_now):
    frozen_now["now"] = at("2026-11-23T19:30:00+02:00")  # Monday evening: nothing left today
    html = html_of(client, "/book/demo?service=womens-cut&staff=aino&lang=fi&date=2026-11-23")
    assert current_day(html) == "ma 23.11."
    assert "Ei vapaita aikoja ma 23.11." in html and "tänä päivänä" not in html
    # Every day of the strip is an anchor its links land on (no JavaScript needed).
    assert re.search(r'<a id="day-2026-11-23" class="full" aria-current="date" href="[^"]*#day-2026-11-23"', html)
    assert re.search(r'<a id="day-2026-11-24" href="[^"]*date=2026-11-24[^"]*#day-2026-11-24"', html)
    assert 'id="notify-me"' in html  # fully booked: she may wait for a time
    html = html_of(client, "/book/demo?service=womens-cut&staff=aino&lang=sv&date=2026-11-23")
    assert "Inga lediga tider mån 23.11." in html


def test_a_day_the_staff_member_does_not_work_says_so_and_offers_no_waitlist(client):
    # The tester's walk: Sanna has no Tuesday hours; "no free times" read as fully booked,
    # and "notify me" made an entry no time could ever be offered to.
    html = html_of(client, "/book/demo?service=womens-cut&staff=sanna&lang=fi&date=2026-11-24")
    assert current_day(html) == "ti 24.11."  # a chip without its year: more of them on a phone
    assert "Sanna Korhonen ei ole töissä ti 24.11." in html and "Ei vapaita aikoja" not in html
    assert 'ti 24.11.<span class="sr-only"> – ei töissä</span>' in html
    assert 'id="notify-me"' not in html and "/waitlist?" not in html
    assert "Seuraava vapaa päivä: ke 25.11.2026" in html
    html = html_of(client, "/book/demo?service=womens-cut&staff=sanna&lang=en&date=2026-11-24")
    assert "Sanna Korhonen does not work on Tue 24 Nov." in html
    # Anyone: Aino works on Tuesdays, so it is a day of the service.
    html = html_of(client, "/book/demo?service=womens-cut&lang=fi&date=2026-11-24")
    assert "ei töissä" not in html and 'id="notify-me"' in html
