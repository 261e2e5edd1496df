"""Calendar subscriptions: a secret ICS URL for the business and for each staff member
that Google / Apple / Outlook calendars poll. The feed follows bookings as they are made,
moved and cancelled; the URL can be rotated when it leaks.

The clock is frozen at Mon 23 Nov 2026 10:00 Helsinki.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from tests.api.helpers import book, post, token_of

PUBLIC = "https://book.example.test"


def feed_urls(desk) -> dict:
    status, body = desk.get("/calendar-feeds")
    assert status == 200, body
    return {f["feed"]: f["url"] for f in body["feeds"]}


def fetch(client, url):
    assert url.startswith(PUBLIC + "/"), url
    return client.http.get(url.removeprefix(PUBLIC))


def events(client, url) -> dict:
    """The feed's VEVENTs by UID."""
    r = fetch(client, url)
    assert r.status_code == 200, r.body
    assert r.headers["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.body)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def desk_business(urls) -> str:
    return urls["business"].removeprefix(PUBLIC + "/ics/").split("/")[0]


def utc(y, mo, d, h, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def test_there_is_a_feed_for_the_business_and_each_staff_member(desk):
    urls = feed_urls(desk)
    assert set(urls) == {"business", "aino", "mikko", "sanna"}
    assert len(set(urls.values())) == 4
    assert all(u.startswith(PUBLIC + "/ics/") for u in urls.values())
    assert feed_urls(desk) == urls  # stable: subscribed calendars keep working


def test_the_feed_follows_a_booking_through_reschedule_and_cancel(client, desk, booked):
    url = feed_urls(desk)["business"]
    uid = f"{booked['appointment']}@rebook"
    ev = events(client, url)[uid]
    assert str(ev["STATUS"]) == "CONFIRMED"
    assert ev.decoded("DTSTART") == utc(2026, 11, 25, 10)  # 12:00 in Helsinki
    assert ev["DTSTART"].to_ical() == b"20261125T100000Z"  # written in UTC, no TZID to resolve
    assert ev.decoded("DTEND") == utc(2026, 11, 25, 11)
    assert "Naisten hiustenleikkaus" in str(ev["SUMMARY"]) and "Maija Meikäläinen" in str(ev["SUMMARY"])
    first_seq = int(ev.get("SEQUENCE", 0))

    token = token_of(booked["booking"]["manage_url"])
    status, moved = post(client, f"/api/v1/bookings/{token}/reschedule", {"start": "2026-11-26T15:00:00+02:00"})
    assert status == 200, moved
    found = events(client, url)
    assert list(found) == [uid]  # the same event moved; no duplicate left behind
    ev = found[uid]
    assert ev.decoded("DTSTART") == utc(2026, 11, 26, 13) and str(ev["STATUS"]) == "CONFIRMED"
    moved_seq = int(ev["SEQUENCE"])
    assert moved_seq > first_seq  # calendars take the update only with a higher SEQUENCE

    status, _ = post(client, f"/api/v1/bookings/{token}/cancel", {})
    assert status == 200
    ev = events(client, url)[uid]  # stays in the feed so subscribers remove it
    assert str(ev["STATUS"]) == "CANCELLED" and int(ev["SEQUENCE"]) > moved_seq


def test_a_staff_feed_shows_only_that_staff_members_bookings(client, desk, booked):
    status, sanna = book(
        client, "2026-11-25T12:00:00+02:00", staff="sanna", name="Satu Salo", phone="040 222 2222", email=None
    )
    assert status == 201, sanna
    urls = feed_urls(desk)
    maija_uid, satu_uid = f"{booked['appointment']}@rebook", f"{sanna['id']}@rebook"
    assert set(events(client, urls["aino"])) == {maija_uid}
    assert set(events(client, urls["sanna"])) == {satu_uid}
    assert events(client, urls["mikko"]) == {}
    assert set(events(client, urls["business"])) == {maija_uid, satu_uid}


def test_a_backslash_n_in_a_name_stays_as_typed_in_the_feed(client, desk):
    # "\\N" is an iCalendar line break: the feed once turned a typed one into a new line.
    name = "Maija \\N; Meikäläinen, Jr"
    assert book(client, "2026-11-25T12:00:00+02:00", name=name)[0] == 201
    [event] = events(client, feed_urls(desk)["business"]).values()
    assert str(event["SUMMARY"]).endswith(name)
    assert b"\\\\N" in fetch(client, feed_urls(desk)["business"]).body


def test_wrong_secrets_and_rotation(client, desk, booked):
    urls = feed_urls(desk)
    aino = urls["aino"]
    secret = aino.split("/")[-2]
    for bad in (
        aino.replace(secret, secret[:-1] + ("A" if secret[-1] != "A" else "B")),
        aino.replace(secret, "x"),
        aino.replace("/aino/", "/sanna/"),  # another feed's name with Aino's secret
        aino.replace("/aino/", "/nobody/"),
        aino.replace(f"/ics/{desk_business(urls)}/", "/ics/otherbiz/"),
        aino.replace(f"/ics/{desk_business(urls)}/", f"/ics/{'x' * 2100}/"),  # longer than any key
    ):
        assert fetch(client, bad).status_code == 404, bad

    status, body = desk.post("/calendar-feeds/aino/rotate")
    assert status == 200, body
    new = {f["feed"]: f["url"] for f in body["feeds"]}["aino"]
    assert new != aino
    assert fetch(client, aino).status_code == 404  # the leaked URL stops working at once
    assert f"{booked['appointment']}@rebook" in events(client, new)
    assert feed_urls(desk)["aino"] == new
    # The other feeds are untouched.
    assert fetch(client, urls["business"]).status_code == 200 and feed_urls(desk)["sanna"] == urls["sanna"]

    status, body = desk.post("/calendar-feeds/nobody/rotate")
    assert status == 404


@pytest.fixture
def no_calendar_reads(monkeypatch):
    """Fails the test if the feed reads appointments or clients (switch on with .on())."""
    from chalicelib.store import bookings, clients

    class Guard:
        def on(self):
            def refuse(*a, **kw):
                raise AssertionError("an unchanged feed read the calendar")

            for module, name in (
                (bookings, "list_appointments"),
                (bookings, "list_staff_appointments"),
                (clients, "get_clients"),
            ):
                monkeypatch.setattr(module, name, refuse)

        def off(self):
            monkeypatch.undo()

    return Guard()


def test_an_unchanged_feed_answers_304_and_a_booking_changes_it(client, desk, booked, no_calendar_reads):
    urls = {f: u.removeprefix(PUBLIC) for f, u in feed_urls(desk).items() if f in ("aino", "business")}
    tags = {}
    for feed, url in urls.items():
        first = client.http.get(url)
        assert first.status_code == 200 and first.headers["ETag"]
        tags[feed] = first.headers["ETag"]
    assert tags["aino"] != tags["business"]
    no_calendar_reads.on()
    for feed, url in urls.items():
        again = client.http.get(url, headers={"If-None-Match": tags[feed]})
        assert again.status_code == 304 and not again.body and again.headers["ETag"] == tags[feed]
        # Polled again without the tag: the feed built before is served, not rebuilt.
        assert client.http.get(url).status_code == 200
    no_calendar_reads.off()

    status, _ = book(client, "2026-11-25T15:00:00+02:00", staff="aino", name="Uusi Asiakas", phone="040 333 3333")
    assert status == 201
    for feed, url in urls.items():
        r = client.http.get(url, headers={"If-None-Match": tags[feed]})
        assert r.status_code == 200 and r.headers["ETag"] != tags[feed]
        assert len(Calendar.from_ical(r.body).walk("VEVENT")) == 2


def test_a_booking_of_another_staff_member_leaves_her_feed_unchanged(client, desk, booked):
    urls = feed_urls(desk)
    aino = urls["aino"].removeprefix(PUBLIC)
    etag = client.http.get(aino).headers["ETag"]
    status, _ = book(client, "2026-11-25T12:00:00+02:00", staff="sanna", name="Satu Salo", phone="040 222 2222")
    assert status == 201
    assert client.http.get(aino, headers={"If-None-Match": etag}).status_code == 304
    business = urls["business"].removeprefix(PUBLIC)
    assert len(Calendar.from_ical(client.http.get(business).body).walk("VEVENT")) == 2


def test_a_staff_feed_of_bookings_made_before_staff_calendars_after_the_migration(client, desk, booked, aws):
    from chalicelib.store import bookings, keys
    from chalicelib.store.models import AppointmentItem

    # As written before staff calendars existed: not on any staff member's calendar.
    AppointmentItem(keys.biz(aws.id), keys.appt_sk(booked["appointment"])).update(
        actions=[AppointmentItem.g5pk.remove(), AppointmentItem.g5sk.remove()]
    )
    url = feed_urls(desk)["aino"]
    assert events(client, url) == {}
    assert bookings.index_staff_calendars(aws.id) == 1
    assert bookings.index_staff_calendars(aws.id) == 0  # repeatable
    assert set(events(client, url)) == {f"{booked['appointment']}@rebook"}


def test_an_erased_client_leaves_the_feeds_even_for_a_calendar_polling_with_its_etag(client, desk, booked, frozen_now):
    """GDPR erasure: the next poll of every feed that showed her visit gets the feed again
    (200, not 304), and her name is gone from it."""
    from datetime import timedelta

    uid = f"{booked['appointment']}@rebook"
    frozen_now["now"] += timedelta(days=2, hours=6)  # Wed 25 Nov, after her 12:00 visit
    status, body = desk.post(f"/appointments/{booked['appointment']}/status", {"status": "completed"})
    assert status == 200, body
    urls = {f: u for f, u in feed_urls(desk).items() if f in ("business", "aino")}
    tags = {}
    for feed, url in urls.items():
        assert "Meikäläinen" in str(events(client, url)[uid]["SUMMARY"])
        tags[feed] = fetch(client, url).headers["ETag"]
    status, body = desk.delete(f"/clients/{booked['client']}")
    assert status == 200, body
    for feed, url in urls.items():
        again = client.http.get(url.removeprefix(PUBLIC), headers={"If-None-Match": tags[feed]})
        assert again.status_code == 200, feed
        summary = str(Calendar.from_ical(again.body).walk("VEVENT")[0]["SUMMARY"])
        assert summary == "Naisten hiustenleikkaus", (feed, summary)


def test_a_renamed_client_is_renamed_in_the_feeds_that_show_her_only(client, desk, booked):
    """The owner corrects a name: the feeds that show her visit give the new name at the
    next poll; a staff member's feed without her visits stays as it was (304)."""
    status, _ = book(
        client,
        "2026-11-25T12:00:00+02:00",
        staff="sanna",
        name="Satu Salo",
        phone="040 222 2222",
        email="satu@example.com",
    )
    assert status == 201
    urls = {f: u for f, u in feed_urls(desk).items() if f in ("business", "aino", "sanna")}
    tags = {feed: fetch(client, url).headers["ETag"] for feed, url in urls.items()}
    status, body = desk.patch(f"/clients/{booked['client']}", {"name": "Maija Virtanen"})
    assert status == 200, body
    uid = f"{booked['appointment']}@rebook"
    for feed in ("business", "aino"):
        again = client.http.get(urls[feed].removeprefix(PUBLIC), headers={"If-None-Match": tags[feed]})
        assert again.status_code == 200, feed
        summaries = {str(e["UID"]): str(e["SUMMARY"]) for e in Calendar.from_ical(again.body).walk("VEVENT")}
        assert summaries[uid] == "Naisten hiustenleikkaus – Maija Virtanen", feed
    sanna = client.http.get(urls["sanna"].removeprefix(PUBLIC), headers={"If-None-Match": tags["sanna"]})
    assert sanna.status_code == 304
