"""No SMS from the salon in the middle of the night: when the desk books, moves or
cancels a visit inside the quiet hours (21:00-08:00 in the demo salon), its SMS waits
for their end (domain/reminders.py salon_change_sms_time) — unless her visit, or a
moved visit's old time, comes less than two hours after them: then it goes at once, or
she misses the news. Email goes at once. Her own change at night is answered at once:
she is awake and waiting for it — a cancellation she phoned in (the desk's `by: client`)
too; only the salon's (`by: salon`) waits.

The clock is set directly (the `frozen_now` fixture); Maija (the `booked` fixture) has
booked Wed 25 Nov 2026 12:00 with Aino at Mon 23 Nov 10:00."""

from __future__ import annotations

from tests.api.helpers import booking_body, post, token_of
from tests.conftest import emails_to, sent_sms
from tests.history import at, business, run_on_schedule

MAIJA = "+358401234567"
NIGHT = "2026-11-23T23:10:00+02:00"  # Monday night, inside the quiet hours
MORNING = "2026-11-24T08:00:00+02:00"  # when they end


def texts_to(before: int, phone: str = MAIJA) -> list[str]:
    return [text for to, text in sent_sms()[before:] if to == phone]


def held_until_morning(before: int, phone: str = MAIJA) -> str:
    """The SMS held through the night: nothing at 07:59, the one text at 08:00."""
    run_on_schedule("send_due", "2026-11-24T07:59:00+02:00")
    assert texts_to(before, phone) == [], "the salon's SMS went out inside the quiet hours"
    run_on_schedule("send_due", MORNING)
    [text] = texts_to(before, phone)
    return text


def test_the_owner_cancels_at_night_the_email_goes_now_the_sms_in_the_morning(desk, booked, frozen_now):
    frozen_now["now"] = at(NIGHT)
    mails, before = len(emails_to("maija@example.com", "peru")), len(sent_sms())
    status, body = desk.post(f"/appointments/{booked['appointment']}/cancel", {"by": "salon"})
    assert status == 200 and body["status"] == "cancelled", body
    assert body["sms_at"] == MORNING, body  # the owner can tell her when she hears of it
    assert len(emails_to("maija@example.com", "peru")) == mails + 1  # the email at once
    assert texts_to(before) == []  # not at 23:10
    assert "Jouduimme perumaan varauksesi" in held_until_morning(before)


def test_she_cancels_herself_at_night_and_gets_her_sms_at_once(client, booked, frozen_now):
    frozen_now["now"] = at("2026-11-23T23:30:00+02:00")
    before = len(sent_sms())
    status, body = post(client, f"/api/v1/bookings/{token_of(booked['booking']['manage_url'])}/cancel")
    assert status == 200, body
    [text] = texts_to(before)
    assert "peru" in text.lower()


def test_she_phones_at_night_to_cancel_and_the_desks_cancellation_texts_her_at_once(desk, booked, frozen_now):
    """The desk enters her own cancellation (`by: client`: she phoned and asked): the
    SMS confirms what she just asked for, at once, and the desk is not told of a morning
    SMS (no `sms_at`, so the dashboard's status line names no time)."""
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    status, body = desk.post(f"/appointments/{booked['appointment']}/cancel", {"by": "client"})
    assert status == 200 and body["status"] == "cancelled", body
    assert "sms_at" not in body, body
    [text] = texts_to(before)
    assert "peru" in text.lower() and "Jouduimme" not in text, text
    run_on_schedule("send_due", MORNING)
    assert len(texts_to(before)) == 1  # nothing more in the morning


def early_hours(frozen_now):
    """Aino works from 07:00 on Tuesdays (and the salon opens then)."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store import businesses

    data = business().config.model_dump(mode="json")
    data["opening_hours"]["tue"] = ["07:00", "18:00"]
    [aino] = [s for s in data["staff"] if s["id"] == "aino"]
    aino["hours"]["tue"] = ["07:00", "17:00"]
    businesses.save_config(parse_business_config(data))
    businesses.clear_cache()


def test_the_owner_moves_a_visit_to_early_tomorrow_at_night_and_the_sms_goes_now(desk, booked, frozen_now):
    early_hours(frozen_now)
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    start = "2026-11-24T07:30:00+02:00"  # before the quiet hours end: she must know tonight
    status, body = desk.post(f"/appointments/{booked['appointment']}/reschedule", {"start": start})
    assert status == 200 and "sms_at" not in body, body  # nothing held to tell of
    [text] = texts_to(before)
    assert "7.30" in text, text


def test_a_move_at_night_waits_for_the_morning_unless_her_old_time_is_early(client, desk, frozen_now):
    # Booked online in the day: Tuesday 09:00, an hour after the quiet hours end.
    status, early = desk.post("/bookings", booking_body("2026-11-24T09:00:00+02:00", email=None))
    assert status == 201, early
    status, late = desk.post(
        "/bookings", booking_body("2026-11-26T15:00:00+02:00", name="Anna Aalto", phone="040 111 1111", email=None)
    )
    assert status == 201, late
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    # Her visit moved from early tomorrow to next week: she must not come in the morning.
    status, body = desk.post(f"/appointments/{early['id']}/reschedule", {"start": "2026-11-30T10:00:00+02:00"})
    assert status == 200, body
    assert len(texts_to(before)) == 1
    # Anna's from Thursday to Friday: nothing to miss, it waits for the morning.
    anna = "+358401111111"
    before = len(sent_sms())
    status, body = desk.post(f"/appointments/{late['id']}/reschedule", {"start": "2026-11-27T10:00:00+02:00"})
    assert status == 200 and body["sms_at"] == MORNING, body
    assert texts_to(before, anna) == []
    held_until_morning(before, anna)


def test_a_booking_made_at_the_desk_at_night_confirms_by_email_now_by_sms_in_the_morning(desk, frozen_now):
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    status, body = desk.post(
        "/bookings",
        booking_body("2026-11-26T15:00:00+02:00", name="Anna Aalto", phone="040 111 1111", email="anna@example.com"),
    )
    assert status == 201 and body["sms_at"] == MORNING, body
    assert emails_to("anna@example.com")
    assert texts_to(before, "+358401111111") == []
    held_until_morning(before, "+358401111111")


def test_a_held_sms_the_desk_changed_again_that_night_is_not_sent_in_the_morning(desk, frozen_now):
    # Booked in the day: Anna on Thursday 15:00.
    anna = "+358401111111"
    status, visit = desk.post(
        "/bookings", booking_body("2026-11-26T15:00:00+02:00", name="Anna Aalto", phone="040 111 1111", email=None)
    )
    assert status == 201, visit
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    # Moved to Friday 10:00 at 23:10, then to Friday 14:00 at 23:20: both texts held.
    assert desk.post(f"/appointments/{visit['id']}/reschedule", {"start": "2026-11-27T10:00:00+02:00"})[0] == 200
    frozen_now["now"] = at("2026-11-23T23:20:00+02:00")
    assert desk.post(f"/appointments/{visit['id']}/reschedule", {"start": "2026-11-27T14:00:00+02:00"})[0] == 200
    # And a visit booked for her at 23:30, cancelled at 23:35.
    frozen_now["now"] = at("2026-11-23T23:30:00+02:00")
    status, late = desk.post(
        "/bookings", booking_body("2026-11-30T15:00:00+02:00", name="Anna Aalto", phone="040 111 1111", email=None)
    )
    assert status == 201, late
    frozen_now["now"] = at("2026-11-23T23:35:00+02:00")
    assert desk.post(f"/appointments/{late['id']}/cancel", {"by": "salon"})[0] == 200
    assert texts_to(before, anna) == []
    # In the morning she reads what still holds: Friday at 14:00 (not the 10:00 of the
    # first move), and the cancellation (not the booking it cancelled).
    run_on_schedule("send_due", MORNING)
    # (Told apart by the day they name: the move's text offers a way to cancel too.)
    texts = texts_to(before, anna)
    assert len(texts) == 2, texts
    [moved] = [text for text in texts if "27.11." in text]
    [cancelled] = [text for text in texts if "30.11." in text]
    assert "14.00" in moved and "10.00" not in moved, moved
    assert "perumaan" in cancelled.lower(), cancelled


def test_the_desks_answer_names_no_sms_time_by_day_or_when_none_is_sent(desk, booked, frozen_now):
    # In the day her SMS goes at once: nothing to tell the owner.
    status, body = desk.post(
        "/bookings", booking_body("2026-11-26T15:00:00+02:00", name="Anna Aalto", phone="040 111 1111", email=None)
    )
    assert status == 201 and "sms_at" not in body, body
    frozen_now["now"] = at(NIGHT)
    # At night, but she is not told (notify false), or has no number to text.
    status, body = desk.post(f"/appointments/{body['id']}/cancel", {"notify": False})
    assert status == 200 and "sms_at" not in body, body
    status, body = desk.post(
        "/bookings", booking_body("2026-11-26T15:00:00+02:00", name="Ella Email", phone=None, email="ella@example.com")
    )
    assert status == 201 and "sms_at" not in body, body


def test_the_desks_answer_names_no_sms_time_for_a_number_that_opted_out(desk, frozen_now):
    """A number that replied STOP is never texted (the send fails `opted_out`): the desk
    is not told her SMS goes at 08:00. (moto's SNS: a number ending in 99 opted out.)"""
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    status, body = desk.post(
        "/bookings",
        booking_body("2026-11-26T15:00:00+02:00", name="Anna Aalto", phone="040 111 1199", email="anna@example.com"),
    )
    assert status == 201 and "sms_at" not in body, body
    assert emails_to("anna@example.com")  # she hears of it by email, at once
    run_on_schedule("send_due", MORNING)
    assert texts_to(before, "+358401111199") == []


def test_the_desk_booking_stands_when_the_opt_out_list_cannot_be_read(desk, frozen_now, monkeypatch):
    """SNS not answering the opt-out question: the booking is made and the morning named
    (the send asks again), not a 5xx for a booking already saved."""
    from chalicelib.notify import channels

    def unreachable(phone):
        raise channels.SendError("sns:Throttling", throttled=True)

    monkeypatch.setattr(channels, "is_opted_out", unreachable)
    frozen_now["now"] = at(NIGHT)
    status, body = desk.post(
        "/bookings", booking_body("2026-11-26T15:00:00+02:00", name="Anna Aalto", phone="040 111 1111", email=None)
    )
    assert status == 201 and body["sms_at"] == MORNING, body


def test_a_held_sms_obeys_the_quiet_hours_as_the_salon_has_them_in_the_morning(desk, booked, frozen_now):
    """The desk cancels at 23:10 (the SMS held to 08:00); at 23:20 the owner moves the end
    of her quiet hours to 10:00. The held SMS waits for 10:00, the quiet hours as now set
    (her visit on Wednesday is far enough away)."""
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    assert desk.post(f"/appointments/{booked['appointment']}/cancel", {"by": "salon"})[0] == 200
    frozen_now["now"] = at("2026-11-23T23:20:00+02:00")
    marketing = desk.get("/settings")[1]["sections"]["marketing"]
    later = {**marketing, "quiet_hours": {"start": "21:00", "end": "10:00"}}
    assert desk.put("/settings/marketing", later)[0] == 200
    run_on_schedule("send_due", MORNING)
    run_on_schedule("send_due", "2026-11-24T09:59:00+02:00")
    assert texts_to(before) == [], "the salon's SMS went out inside its quiet hours as now set"
    run_on_schedule("send_due", "2026-11-24T10:00:00+02:00")
    [text] = texts_to(before)
    assert "Jouduimme perumaan varauksesi" in text


def test_a_held_sms_still_goes_in_the_morning_when_later_quiet_hours_would_leave_her_too_little_time(desk, frozen_now):
    """Booked at the desk at 23:10 for Tuesday 10:30 (the SMS held to 08:00); then the
    quiet hours are moved to end at 09:00. Waiting for 09:00 would leave her less than
    two hours before the visit: the SMS goes at 08:00 as held."""
    frozen_now["now"] = at(NIGHT)
    before = len(sent_sms())
    body = booking_body("2026-11-24T10:30:00+02:00", name="Anna Aalto", phone="040 111 1111", email=None)
    assert desk.post("/bookings", body)[0] == 201
    frozen_now["now"] = at("2026-11-23T23:20:00+02:00")
    marketing = desk.get("/settings")[1]["sections"]["marketing"]
    assert desk.put("/settings/marketing", {**marketing, "quiet_hours": {"start": "21:00", "end": "09:00"}})[0] == 200
    held_until_morning(before, "+358401111111")
