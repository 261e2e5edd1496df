"""Reminders through the scheduled sweeper: on time, exactly once, never for a cancelled
or moved visit, quiet hours respected, catch-up after an outage, retries after faults."""

from __future__ import annotations

import quopri
import random
from datetime import datetime, timedelta

from tests.api.helpers import book, post, token_of
from tests.conftest import sent_emails, sent_sms
from tests.history import at, run_job, run_on_schedule

# Wed 25 Nov 2026 12:00 Helsinki = 10:00Z; booked on Mon 23 Nov 10:00 local (frozen clock).
VISIT = "2026-11-25T12:00:00+02:00"


def run(when: str | datetime):
    """A run of the sweeper, which has also run every minute before (tests.history)."""
    return run_on_schedule("send_due", when)


def run_missing_the_schedule(when: str | datetime):
    """A run after the schedule missed runs (an outage): it looks back to the last run."""
    return run_job("send_due", when)


def reminder_sms():
    return [text for _, text in sent_sms() if "Muistutus" in text or "muistutus" in text.lower()]


def reminder_emails():
    return [m for m in sent_emails() if "Muistutus" in m.raw_data or "muistutus" in m.raw_data.lower()]


def test_reminders_go_out_on_time_and_once(client):
    assert book(client, VISIT)[0] == 201  # email + SMS confirmation
    base_email, base_sms = len(sent_emails()), len(sent_sms())
    # The 24 h email goes two hours before her changes close (24 h before, the demo's
    # window): two walks read "can no longer be changed online" in every one of them.
    run("2026-11-24T09:59:00+02:00")  # a minute before it
    assert len(sent_emails()) == base_email
    s = run("2026-11-24T10:00:30+02:00")
    assert s.sent == 1 and len(sent_emails()) == base_email + 1
    text = quopri.decodestring(sent_emails()[-1].raw_data.encode()).decode("utf-8", "replace")
    assert "voit siirtää tai perua varauksesi ti 24.11. klo\u00a012.00 asti" in text, text
    run("2026-11-24T12:05:00+02:00")  # ran again: nothing new
    assert len(sent_emails()) == base_email + 1
    run("2026-11-25T09:59:00+02:00")
    assert len(sent_sms()) == base_sms
    s = run("2026-11-25T10:00:10+02:00")  # 2 h before
    assert s.sent == 1 and len(sent_sms()) == base_sms + 1
    assert "ke 25.11. klo 12.00" in sent_sms()[-1][1]
    run("2026-11-25T10:30:00+02:00")
    assert len(sent_sms()) == base_sms + 1


def test_booking_inside_the_lead_time_skips_that_reminder(client, frozen_now):
    frozen_now["now"] = at("2026-11-24T16:00:00+02:00")  # 20 h before the visit
    assert book(client, VISIT)[0] == 201
    base_email = len(sent_emails())
    s = run("2026-11-25T10:00:10+02:00")
    assert s.sent == 1  # only the 2 h SMS
    assert len(sent_emails()) == base_email


def test_cancelled_visit_gets_no_reminder(client):
    _, booked = book(client, VISIT)
    post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")
    base_email, base_sms = len(sent_emails()), len(sent_sms())
    s1 = run("2026-11-24T12:01:00+02:00")
    s2 = run("2026-11-25T10:01:00+02:00")
    assert (s1.sent, s2.sent) == (0, 0) and s1.skipped + s2.skipped == 2
    assert (len(sent_emails()), len(sent_sms())) == (base_email, base_sms)


def test_rescheduled_visit_is_reminded_for_its_new_time_only(client):
    _, booked = book(client, VISIT)
    status, _ = post(
        client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/reschedule", {"start": "2026-11-26T15:00:00+02:00"}
    )
    assert status == 200
    base_sms = len(sent_sms())
    s = run("2026-11-25T10:01:00+02:00")  # the old 2 h reminder
    assert s.sent == 0 and s.reasons.get("appointment_changed") == 2  # the old email and SMS
    s = run("2026-11-26T13:00:30+02:00")
    assert s.sent >= 1
    assert "to 26.11. klo 15.00" in sent_sms()[-1][1] and len(sent_sms()) == base_sms + 1


def test_a_visit_moved_away_and_back_is_reminded_once_for_its_time(client):
    # A mis-tap undone: 12.00 → 16.00 → 12.00. The reminders planned for 12.00 are still
    # there and stand again (the move used to fail on them: "booking changed").
    _, booked = book(client, VISIT)
    move = f"/api/v1/bookings/{token_of(booked['manage_url'])}/reschedule"
    assert post(client, move, {"start": "2026-11-25T16:00:00+02:00"})[0] == 200
    status, back = post(client, move, {"start": VISIT})
    assert status == 200 and back["start"] == VISIT
    base_email, base_sms = len(reminder_emails()), len(reminder_sms())
    run("2026-11-24T12:00:30+02:00")  # 24 h before 12.00
    run("2026-11-25T10:00:10+02:00")  # 2 h before
    run("2026-11-25T14:00:30+02:00")  # 2 h before 16.00: nothing (the visit is not there)
    assert len(reminder_emails()) == base_email + 1
    assert len(reminder_sms()) == base_sms + 1 and "ke 25.11. klo 12.00" in reminder_sms()[-1]


def test_sms_never_in_quiet_hours(client):
    # A 09:00 visit: the 2 h SMS would be 07:00, inside quiet hours 21-08; it moves to 08:00.
    assert book(client, "2026-11-25T09:00:00+02:00", staff="sanna")[0] == 201
    base = len(sent_sms())
    run("2026-11-25T07:30:00+02:00")
    assert len(sent_sms()) == base
    run("2026-11-25T08:00:30+02:00")
    assert len(sent_sms()) == base + 1


def test_catch_up_after_an_outage(client):
    book(client, VISIT)
    run("2026-11-23T10:01:00+02:00")  # the job ran right after the booking...
    # ...and then not for two days. The visit began: both reminders are skipped.
    s = run_missing_the_schedule("2026-11-25T12:30:00+02:00")
    assert s.sent == 0 and s.skipped == 2 and s.reasons.get("visit_started") == 2


def test_catch_up_sends_what_is_still_useful(client):
    book(client, VISIT)
    # The first run ever looks back 48 hours: the 24 h reminder is late, the visit has
    # not begun: both go.
    s = run_missing_the_schedule("2026-11-25T10:30:00+02:00")
    assert s.sent == 2


def test_late_sms_in_quiet_hours_waits_for_morning(client):
    book(client, "2026-11-25T10:00:00+02:00", staff="sanna")
    # The 2 h SMS is due at 08:00. A run at 07:55 does nothing, and at 08:00 it goes.
    assert run("2026-11-25T07:55:00+02:00").sent == 1  # only the (late) 24 h email
    assert run("2026-11-25T08:01:00+02:00").sent == 1


def test_sweeper_sends_without_reading_the_business_config(client, monkeypatch):
    from chalicelib.store import businesses

    book(client, "2026-11-25T10:00:00+02:00", staff="sanna")
    run("2026-11-24T10:01:00+02:00")  # the 24 h email goes; the 08:00 SMS remains

    def no_config_reads(*_):
        raise AssertionError("the sweeper read the business config")

    monkeypatch.setattr(businesses, "get_by_id", no_config_reads)
    base = len(sent_sms())
    assert run("2026-11-25T08:00:30+02:00").sent == 1 and len(sent_sms()) == base + 1


def test_reminders_off_from_the_manage_link(client):
    _, booked = book(client, VISIT)
    token = token_of(booked["manage_url"])
    r = client.http.post(
        f"/m/{token}/reminders", body="reminders=off", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 303
    s = run("2026-11-25T10:30:00+02:00")
    assert s.sent == 0 and s.skipped == 2


def test_reminders_are_turned_off_from_the_manage_page_after_online_changes_closed(client, frozen_now):
    """The day-before reminder's "turn reminders off" link comes after the 24 h in which
    she may still change the booking online: its page keeps the switch all the same."""
    from tests.api.helpers import open_link

    _, booked = book(client, VISIT)
    token = token_of(booked["manage_url"])
    frozen_now["now"] = at("2026-11-24T13:00:00+02:00")  # 23 h before: no more changes online
    html = open_link(client, f"/m/{token}?lang=en").body.decode()
    assert "can no longer be changed online" in html and 'id="reminders"' in html
    assert 'name="reminders" value="off"' in html
    r = client.http.post(
        f"/m/{token}/reminders", body="reminders=off", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 303
    assert run("2026-11-25T10:30:00+02:00").sent == 0  # the 2-hour reminders stay unsent


def test_opted_out_number_gets_no_sms_and_the_failure_is_recorded(client, aws):
    # moto treats numbers ending in 99 as opted out.
    _, booked = book(client, VISIT, phone="+358401234599", email=None)
    assert run("2026-11-25T10:00:30+02:00").failed == 1
    from chalicelib.store.models import MessageItem

    failed = list(MessageItem.failed_by_business.query(f"MSGFAIL#{aws.id}"))
    assert {m.last_error for m in failed} == {"opted_out"}
    assert not [t for p, t in sent_sms() if p == "+358401234599"]


def test_faults_are_retried_until_everything_is_sent_once(client, monkeypatch):
    """SES and SNS fail 30 % of calls: everything still goes out, nothing twice."""
    from chalicelib.notify import channels

    real_email, real_sms = channels.send_email, channels.send_sms
    rng = random.Random(7)

    def flaky(real):
        def call(*a, **kw):
            if rng.random() < 0.3:
                raise channels.SendError("Throttling", throttled=True)
            return real(*a, **kw)

        return call

    monkeypatch.setattr(channels, "send_email", flaky(real_email))
    monkeypatch.setattr(channels, "send_sms", flaky(real_sms))
    visits = [f"2026-11-25T{h}:00:00+02:00" for h in ("11", "13", "15", "17", "19")]
    for i, v in enumerate(visits):
        status, _ = book(
            client, v, staff="aino", name=f"Client {i}", phone=f"+35840555000{i}", email=f"c{i}@example.com"
        )
        assert status == 201
    moment = at("2026-11-24T10:00:00+02:00")
    while moment < at("2026-11-25T10:55:00+02:00"):  # the sweeper every 15 minutes, retrying with backoff
        run(moment)
        moment += timedelta(minutes=15)
    emails = [m.destinations[0] for m in sent_emails()]  # raw emails: a list of recipients
    # Each client: one confirmation and one 24 h reminder email, exactly.
    for i in range(5):
        assert emails.count(f"c{i}@example.com") == 2, emails
    texts = [t for _, t in sent_sms()]
    assert len(texts) == len(set(texts))  # no SMS went out twice
