"""Issue 17 (2): a message never offers a change that is already impossible. Booked on
Mon at 19:03 for Tue 09:30 with a 24 h window: the deadline (Mon 09:30) was past before
she booked, so she gets a short grace period (rules.change_grace_minutes, 15 in the
demo) and the messages say so; with no grace they offer no change at all. The 24 h
reminder, sent as the window closes, offers none either. The booking page shows the
policy and its deadline before she confirms."""

from __future__ import annotations

import quopri
from datetime import UTC, datetime, timedelta

from tests.api.helpers import book, get, token_of
from tests.conftest import sent_emails, sent_sms
from tests.history import at, run_on_schedule

START = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)  # Tue 09:30 Helsinki


def test_the_deadline_rule():
    from chalicelib.domain.booking import change_deadline, offers_change

    booked_early = START - timedelta(days=3)
    assert change_deadline(START, booked_early, 24, 15) == START - timedelta(hours=24)
    late = START - timedelta(hours=14, minutes=27)  # Mon 19:03
    assert change_deadline(START, late, 24, 15) == late + timedelta(minutes=15)
    assert change_deadline(START, late, 24, 0) == START - timedelta(hours=24)  # already past: no change online
    assert change_deadline(START, START - timedelta(minutes=5), 24, 15) == START  # never past the start
    # Just before the window: the grace runs past the window's start.
    assert change_deadline(START, START - timedelta(hours=24, minutes=5), 24, 15) == START - timedelta(
        hours=23, minutes=50
    )
    assert offers_change(START, START - timedelta(minutes=10)) and not offers_change(
        START, START - timedelta(minutes=9)
    )


def _last_email_text() -> str:
    raw = sent_emails()[-1].raw_data
    return quopri.decodestring(raw.encode()).decode("utf-8", "replace")


def test_booked_inside_the_window_the_confirmation_offers_the_grace_period_only(client, frozen_now):
    frozen_now["now"] = at("2026-11-23T19:03:00+02:00")
    status, booked = book(client, "2026-11-24T09:30:00+02:00", name="Maija Meikäläinen")
    assert status == 201 and booked["can_change"] is True
    assert booked["cancellable_until"] == "2026-11-23T19:18:00+02:00"
    text = _last_email_text()
    assert "ma 23.11. klo\u00a09.30" not in text  # the past deadline of the old rule
    assert "ma 23.11. klo\u00a019.18 asti" in text
    assert "ma 23.11. klo\u00a019.18" in text.split("BEGIN:VCALENDAR")[-1].replace("\r\n ", "")  # the .ics too
    # After the grace the link leads to a page that says so, and the API refuses.
    frozen_now["now"] = at("2026-11-23T19:20:00+02:00")
    token = token_of(booked["manage_url"])
    assert get(client, f"/api/v1/bookings/{token}")[1]["can_change"] is False


def test_with_no_grace_a_late_booking_is_never_offered_a_change(client, frozen_now, aws):
    from chalicelib.store.businesses import save_config
    from tests.conftest import demo_config

    cfg = demo_config()
    save_config(cfg.model_copy(update={"rules": cfg.rules.model_copy(update={"change_grace_minutes": 0})}))
    frozen_now["now"] = at("2026-11-23T19:03:00+02:00")
    status, booked = book(client, "2026-11-24T09:30:00+02:00")
    assert status == 201 and booked["can_change"] is False
    text = _last_email_text()
    assert "Siirrä tai peru varaus" not in text and "perua varauksesi" not in text
    assert "Varausta ei voi enää siirtää eikä perua verkossa" in text
    ics = text.split("BEGIN:VCALENDAR")[-1].replace("\r\n ", "")
    assert "Siirrä tai peru" not in ics and "Varauksesi" in ics
    sms = sent_sms()[-1][1]
    assert "Muuta/peru" not in sms and "Varaus: " in sms


def test_the_reminder_sent_as_the_window_closes_offers_no_change(client):
    assert book(client, "2026-11-25T12:00:00+02:00")[0] == 201  # booked Mon 10:00, window closes Tue 12:00
    first = _last_email_text()
    assert "ti 24.11. klo\u00a012.00 asti" in first  # the confirmation offers the change
    run_on_schedule("send_due", "2026-11-24T12:00:30+02:00")
    reminder = _last_email_text()
    assert "Muistutus" in reminder
    assert "asti" not in reminder and "Siirrä tai peru varaus" not in reminder
    assert "Varausta ei voi enää siirtää eikä perua verkossa" in reminder


def test_the_booking_page_shows_the_policy_and_its_deadline_before_confirming(client, frozen_now):
    q = "/book/demo?service=womens-cut&staff=aino&lang=fi&start="
    html = client.http.get(q + "2026-11-25T12:00:00%2B02:00").body.decode()
    assert (
        "Peruminen tai siirto ti 24.11. klo\u00a012.00 asti (24\u00a0tuntia ennen aikaa); sen jälkeen soita salongille."
        in html
    )
    frozen_now["now"] = at("2026-11-23T19:03:00+02:00")
    html = client.http.get(q + "2026-11-24T09:30:00%2B02:00").body.decode()
    assert "15\u00a0minuutin ajan" in html and "alle 24\u00a0tunnin" in html


def test_the_policy_never_puts_a_number_and_its_unit_on_two_lines(client):
    """On a 360 px phone "(24 / hours before)" broke across lines: a count and its unit
    word are joined by a no-break space in every language (notify/localtime.py
    with_counts), as a price and "klo 12.00" are."""
    q = "/book/demo?service=womens-cut&staff=aino&start=2026-11-25T12:00:00%2B02:00&lang="
    said = {
        "en": "Cancel or move it until Tue 24 Nov at\u00a012:00 (24\u00a0hours before); after that",
        "fi": "siirto ti 24.11. klo\u00a012.00 asti (24\u00a0tuntia ennen aikaa);",
        "sv": "senast tis 24.11. kl.\u00a012.00 (24\u00a0timmar före tiden);",
    }
    for lang, words in said.items():
        html = client.http.get(q + lang).body.decode()
        assert words in html, (lang, html.split("policy", 1)[-1][:400])
