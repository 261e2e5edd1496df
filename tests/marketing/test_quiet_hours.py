"""Quiet hours hold every SMS about a client — win-back, nudge, birthday, reward, the
owner's personal message — until they end, in the business's time zone (docs/owner-api.md:
"no SMS in between, of any kind"). Email goes at once."""

from __future__ import annotations

from tests.admin.helpers import Desk
from tests.conftest import sent_emails, sent_sms
from tests.history import at, past_visits, run_job

TUESDAYS = ("2026-12-22T12:00:00+02:00", "2027-01-12T12:00:00+02:00", "2027-02-02T12:00:00+02:00")


def texts_to_maija(before):
    return [text for phone, text in sent_sms()[before:] if phone == "+358401234567"]


def test_a_winback_sms_run_at_a_send_time_in_the_quiet_hours_goes_when_they_end(client, aws, frozen_now):
    desk = Desk(client, aws.id)
    past_visits(TUESDAYS, email=None, clock=frozen_now)
    status, current = desk.get("/settings")
    assert status == 200
    section = current["sections"]["marketing"]
    assert section["quiet_hours"] == {"start": "21:00", "end": "08:00"}
    section["marketing"]["send_at"] = "22:00"  # allowed: the run holds the SMS (docs/retention.md)
    status, body = desk.put("/settings/marketing", section)
    assert status == 200, body
    before = len(sent_sms())
    assert run_job("marketing", "2027-03-01T22:05:00+02:00")["winback_sent"] == 1  # written, held
    for moment in ("2027-03-01T22:10:00+02:00", "2027-03-02T03:00:00+02:00", "2027-03-02T07:59:00+02:00"):
        run_job("send_due", moment)
        assert texts_to_maija(before) == [], f"a win-back SMS went out at {moment}, inside quiet hours"
    run_job("send_due", "2027-03-02T08:00:00+02:00")
    [text] = texts_to_maija(before)
    assert "/book/demo?" in text and "/u/" in text


def test_a_personal_sms_at_night_says_when_it_goes_and_goes_then(client, aws, frozen_now):
    desk = Desk(client, aws.id)
    v = past_visits(TUESDAYS, email=None, clock=frozen_now)
    frozen_now["now"] = at("2027-02-20T23:30:00+02:00")
    before = len(sent_sms())
    status, body = desk.post(f"/clients/{v.client_id}/messages", {"text": "Hei! Tervetuloa taas."})
    assert status == 202, body
    assert body["message"]["channel"] == "sms" and body["message"]["status"] == "pending"
    assert body["message"]["due_at"] == "2027-02-21T08:00:00+02:00"  # the owner is told when
    run_job("send_due", "2027-02-21T07:55:00+02:00")
    assert texts_to_maija(before) == []
    run_job("send_due", "2027-02-21T08:00:00+02:00")
    [text] = texts_to_maija(before)
    assert "Tervetuloa taas." in text


def test_a_personal_email_at_night_goes_at_once(client, aws, frozen_now):
    desk = Desk(client, aws.id)
    v = past_visits(TUESDAYS, clock=frozen_now)  # she has an email: no quiet hours for it
    frozen_now["now"] = at("2027-02-20T23:30:00+02:00")
    before = len(sent_emails())
    status, body = desk.post(f"/clients/{v.client_id}/messages", {"text": "Hei! Tervetuloa taas."})
    assert status == 202, body
    assert body["message"] == {"key": body["message"]["key"], "channel": "email", "status": "sent"}
    assert len(sent_emails()) == before + 1


def test_a_personal_sms_retried_into_the_quiet_hours_waits_for_their_end(client, aws, frozen_now, monkeypatch):
    from chalicelib.notify import channels

    desk = Desk(client, aws.id)
    v = past_visits(TUESDAYS, email=None, clock=frozen_now)
    real = channels.send_sms
    failing = {"on": True}

    def throttled(*a, **kw):
        if failing["on"]:
            raise channels.SendError("sns:Throttling", throttled=True)
        return real(*a, **kw)

    monkeypatch.setattr(channels, "send_sms", throttled)
    frozen_now["now"] = at("2027-02-20T20:58:00+02:00")  # two minutes before the quiet hours
    before = len(sent_sms())
    status, body = desk.post(f"/clients/{v.client_id}/messages", {"text": "Hei! Tervetuloa taas."})
    assert status == 202 and body["message"]["status"] == "pending", body  # throttled: to be retried
    failing["on"] = False
    for moment in ("2027-02-20T21:05:00+02:00", "2027-02-21T02:00:00+02:00", "2027-02-21T07:59:00+02:00"):
        run_job("send_due", moment)
        assert texts_to_maija(before) == [], f"the retried SMS went out at {moment}, inside quiet hours"
    run_job("send_due", "2027-02-21T08:00:00+02:00")
    assert len(texts_to_maija(before)) == 1


def test_a_reward_announced_by_sms_at_night_goes_in_the_morning(client, aws, frozen_now):
    from tests.loyalty.helpers import set_programme

    set_programme(loyalty={"stamps_for_reward": 3})
    desk = Desk(client, aws.id)
    v = past_visits(TUESDAYS[:2], email=None, clock=frozen_now)
    frozen_now["now"] = at("2027-01-20T22:30:00+02:00")  # the owner's evening at the card
    before = len(sent_sms())
    status, card = desk.post(
        f"/clients/{v.client_id}/loyalty/adjustments", {"stamps": 1, "reason": "Visit at the fair"}
    )
    assert status == 201 and card["rewards"][0]["id"] == "loy-1", card
    assert texts_to_maija(before) == [], "the reward's SMS went out at 22:30, inside quiet hours"
    run_job("send_due", "2027-01-21T07:59:00+02:00")
    assert texts_to_maija(before) == []
    run_job("send_due", "2027-01-21T08:00:00+02:00")
    assert len(texts_to_maija(before)) == 1
