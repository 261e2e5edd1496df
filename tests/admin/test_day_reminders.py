"""The desk's "who gets a reminder tomorrow?": each visit of a day with its reminders —
when each goes, by which channel, what came of it — or why there is none.

The clock is frozen at Mon 23 Nov 2026 10:00 Helsinki; the demo salon reminds by email
24 h before and by SMS 2 h before, no SMS 21:00-08:00.
"""

from __future__ import annotations

from tests.api.helpers import book, booking_body, post
from tests.conftest import drain_outbox
from tests.history import at, run_job


def by_client(answer):
    return {v["client"]["name"]: {r["channel"]: r for r in v["reminders"]} for v in answer["visits"]}


def conforms(answer):
    """The answer is what docs/openapi.yaml says it is."""
    import jsonschema

    from tests.contract.fuzzing import document

    jsonschema.validate(answer, document()["components"]["schemas"]["DayRemindersOut"])


def line(status, at, reason=None, **more):
    return {"status": status, "at": at, "reason": reason, **more}


def test_tomorrow_says_who_is_reminded_when_and_how_and_who_is_not_and_why(client, desk, staff_desk, other):
    from chalicelib.store import bookings

    # Maija, booked a day ahead: an email 24 h before, an SMS 2 h before.
    assert book(client, "2026-11-24T12:00:00+02:00")[0] == 201
    # Pekka at 09:00: booked inside the email's 24 h; the 07:00 SMS waits for 08:00.
    assert (
        book(client, "2026-11-24T09:00:00+02:00", name="Pekka Puu", phone="040 765 4321", email="pekka@example.com")[0]
        == 201
    )
    # Sari gave only her email, and then turned her reminders off.
    status, sari = book(client, "2026-11-24T14:00:00+02:00", name="Sari Salo", phone=None, email="sari@example.com")
    assert status == 201, sari
    # Liisa was booked at the desk by her name alone.
    status, liisa = desk.post(
        "/bookings",
        {"service": "mens-cut", "staff": "aino", "start": "2026-11-24T16:00:00+02:00", "client": {"name": "Liisa"}},
    )
    assert status == 201, liisa
    # Another business's client tomorrow: never on this list.
    status, _ = post(
        client,
        "/api/v1/businesses/other-salon/bookings",
        booking_body("2026-11-24T13:00:00+02:00", name="Toisen Asiakas"),
    )
    assert status == 201
    drain_outbox()
    appt = next(
        a
        for a in bookings.list_appointments(
            desk.business_id, at("2026-11-24T00:00:00+02:00"), at("2026-11-25T00:00:00+02:00")
        )
        if a.start.hour == 12
    )
    assert appt.start == at("2026-11-24T14:00:00+02:00")
    bookings.set_reminders_off(appt, True, appt.created_at)

    status, answer = desk.get("/reminders")  # tomorrow by default
    assert status == 200, answer
    assert answer["date"] == "2026-11-24" and answer["timezone"] == "Europe/Helsinki"
    conforms(answer)
    assert [(v["start"], v["client"]["name"]) for v in answer["visits"]] == [
        ("2026-11-24T09:00:00+02:00", "Pekka Puu"),
        ("2026-11-24T12:00:00+02:00", "Maija Meikäläinen"),
        ("2026-11-24T14:00:00+02:00", "Sari Salo"),
        ("2026-11-24T16:00:00+02:00", "Liisa"),
    ]
    seen = {
        name: {ch: {k: r[k] for k in r if k not in ("rule", "channel")} for ch, r in lines.items()}
        for name, lines in by_client(answer).items()
    }
    assert seen == {
        "Maija Meikäläinen": {
            "email": line("pending", "2026-11-23T12:00:00+02:00"),
            "sms": line("pending", "2026-11-24T10:00:00+02:00"),
        },
        "Pekka Puu": {
            "email": line("none", None, "booked_inside_lead_time", planned_for="2026-11-23T09:00:00+02:00"),
            "sms": line(
                "pending", "2026-11-24T08:00:00+02:00", "quiet_hours_moved", planned_for="2026-11-24T07:00:00+02:00"
            ),
        },
        "Sari Salo": {"email": line("none", None, "reminders_off"), "sms": line("none", None, "reminders_off")},
        "Liisa": {"email": line("none", None, "no_email"), "sms": line("none", None, "no_phone")},
    }

    # Once the email has gone, the list says so; staff, who run the calendar, see it too.
    run_job("send_due", "2026-11-23T12:01:00+02:00")
    status, answer = staff_desk.get("/reminders?date=2026-11-24")
    assert status == 200, answer
    maija = by_client(answer)["Maija Meikäläinen"]
    assert (maija["email"]["status"], maija["sms"]["status"]) == ("sent", "pending")

    # The other business sees its own client only.
    from tests.admin.helpers import Desk

    _, theirs = Desk(client, other.id).get("/reminders?date=2026-11-24")
    assert [v["client"]["name"] for v in theirs["visits"]] == ["Toisen Asiakas"]


def test_a_day_that_is_not_a_date_is_refused_in_the_error_shape(desk):
    for bad in ("2026-13-01", "tomorrow", "24.11.2026"):
        status, body = desk.get(f"/reminders?date={bad}")
        assert status == 422, body
        assert body["error"]["code"] == "validation_failed" and body["error"]["fields"] == {
            "date": "expected YYYY-MM-DD"
        }
    # A date, but not one a business can mean (the dashboard's date field lets her type it).
    status, body = desk.get("/reminders?date=0001-01-01")
    assert status == 422 and body["error"]["fields"] == {"date": "out of range"}, body


def test_a_visit_moved_to_another_day_is_not_listed_on_its_old_day(client, desk, monkeypatch):
    """Before, a visit moved to another day while the calendar index still showed it on its
    old day was read again by key and listed on the old day's sheet with its new start: the
    desk saw Wednesday's visit (and its reminders) among Tuesday's."""
    from chalicelib.store import bookings

    status, maija = book(client, "2026-11-24T12:00:00+02:00")
    assert status == 201, maija
    real = bookings.list_appointments
    old = real(desk.business_id, at("2026-11-24T00:00:00+02:00"), at("2026-11-25T00:00:00+02:00"))
    assert [a.id for a in old] == [maija["id"]]
    status, moved = desk.post(
        f"/appointments/{maija['id']}/reschedule", {"start": "2026-11-25T12:00:00+02:00", "notify": False}
    )
    assert status == 200, moved
    monkeypatch.setattr(bookings, "list_appointments", lambda *a: list(old))  # the index lags the move

    status, answer = desk.get("/reminders?date=2026-11-24")
    assert status == 200 and answer["visits"] == [], answer
    monkeypatch.setattr(bookings, "list_appointments", real)
    status, answer = desk.get("/reminders?date=2026-11-25")
    assert [v["start"] for v in answer["visits"]] == ["2026-11-25T12:00:00+02:00"], answer


def test_a_visit_whose_plan_is_not_expanded_yet_shows_the_reminders_it_planned(client, desk):
    """Before, a booking whose plan was still on its appointment (the expansion right after
    the booking failed; the sweeper does it later) showed no reminder on either rule and
    "the reminder settings changed after the booking": untrue, both were on their way."""
    from chalicelib.store import outbox
    from tests.faults import dynamodb_faults

    # The booking's transaction goes through; its expansion's (right after it) fails.
    with dynamodb_faults({"TransactWriteItems": [None, *["InternalServerError"] * 100]}):
        status, maija = book(client, "2026-11-24T12:00:00+02:00")
    assert status == 201, maija
    assert outbox.waiting_plan(desk.business_id, maija["id"]) is not None  # not expanded
    expected = {
        "email": line("pending", "2026-11-23T12:00:00+02:00"),
        "sms": line("pending", "2026-11-24T10:00:00+02:00"),
    }

    def seen():
        status, answer = desk.get("/reminders?date=2026-11-24")
        assert status == 200, answer
        conforms(answer)
        [lines] = by_client(answer).values()
        return {ch: {k: r[k] for k in r if k not in ("rule", "channel")} for ch, r in lines.items()}

    assert seen() == expected  # read from the plan on the appointment
    run_job("send_due", "2026-11-23T10:05:00+02:00")  # the sweeper expands it
    assert outbox.waiting_plan(desk.business_id, maija["id"]) is None
    assert seen() == expected  # the same, from the outbox


def test_an_sms_reminder_dropped_by_the_sms_limit_says_so(client, desk, aws):
    """Before, a public booking whose SMS were dropped by the number's SMS of the day
    (services/booking/book.py) showed "the reminder settings changed after the booking":
    untrue, the settings never changed; the SMS limit left her SMS reminder out."""
    from tests.api.helpers import set_config

    set_config(aws, sms__per_number_per_day=2)  # one booking asks for 2: confirmation and reminder
    assert book(client, "2026-11-24T12:00:00+02:00")[0] == 201
    assert book(client, "2026-11-24T15:00:00+02:00")[0] == 201  # the same phone: no SMS left today
    drain_outbox()

    status, answer = desk.get("/reminders?date=2026-11-24")
    assert status == 200, answer
    conforms(answer)
    [first, second] = [{r["channel"]: r for r in v["reminders"]} for v in answer["visits"]]
    assert (first["sms"]["status"], first["sms"]["reason"]) == ("pending", None)
    assert (second["sms"]["status"], second["sms"]["reason"]) == ("none", "sms_limit")
    assert second["email"]["status"] == "pending"


def test_a_number_that_replied_stop_is_shown_as_not_texted_until_sns_texts_it_again(client, desk, monkeypatch):
    """Olli's number replied STOP (moto's SNS: a number ending in 99 opted out). His
    confirmation SMS fails `opted_out`, and from then on the desk sees it before the next
    SMS fails too: his card says no text reaches him (his email does), tomorrow's list has
    no SMS reminder for him and says why, his email reminder stands. Once SNS texts the
    number again (he sent START), the card and the list are as for anyone."""
    from chalicelib.notify import channels

    status, booked = book(
        client, "2026-11-24T12:00:00+02:00", name="Olli Optout", phone="040 123 4599", email="olli@example.com"
    )
    assert status == 201, booked
    drain_outbox()
    status, found = desk.get("/clients?q=Olli")
    assert status == 200 and len(found["clients"]) == 1, found
    olli = found["clients"][0]
    assert olli["texts_stopped"] is True, olli

    status, answer = desk.get("/reminders")
    assert status == 200, answer
    conforms(answer)
    lines = by_client(answer)["Olli Optout"]
    assert lines["sms"] == line("none", None, "opted_out", rule=lines["sms"]["rule"], channel="sms")
    assert lines["email"]["status"] == "pending" and lines["email"]["reason"] is None

    monkeypatch.setattr(channels, "is_opted_out", lambda phone: False)  # START: SNS texts it again
    status, card = desk.get(f"/clients/{olli['id']}")
    assert status == 200 and card["client"]["texts_stopped"] is False, card
    lines = by_client(desk.get("/reminders")[1])["Olli Optout"]
    assert lines["sms"]["status"] == "pending" and lines["sms"]["reason"] is None, lines


def test_her_new_number_and_address_get_the_reminders_planned_for_the_old_ones(client, desk):
    """Olli's number replied STOP; at the desk he gives another, and a new address: his
    card no longer says he is not texted, and tomorrow's reminders planned when he booked
    go to the new number and address (they went to the old ones: the SMS failed
    `opted_out`, the email to an address he no longer reads)."""
    from tests.conftest import sent_emails, sent_sms
    from tests.history import run_on_schedule

    status, booked = book(
        client, "2026-11-24T12:00:00+02:00", name="Olli Optout", phone="040 123 4599", email="olli@example.com"
    )
    assert status == 201, booked
    drain_outbox()
    olli = desk.get("/clients?q=Olli")[1]["clients"][0]
    assert olli["texts_stopped"] is True
    status, changed = desk.patch(f"/clients/{olli['id']}", {"phone": "040 123 4567", "email": "olli@work.example"})
    assert status == 200 and changed["client"]["texts_stopped"] is False, changed
    from chalicelib.store import clients

    him = clients.get_client(desk.business_id, olli["id"])
    assert him is not None and him.sms_stopped is None  # the old number left with him
    lines = by_client(desk.get("/reminders")[1])["Olli Optout"]
    assert (lines["sms"]["status"], lines["sms"]["reason"]) == ("pending", None), lines
    run_on_schedule("send_due", at("2026-11-24T10:05:00+02:00"))  # both reminders are due
    assert [t for n, t in sent_sms() if n == "+358401234567"], sent_sms()
    assert not [t for n, t in sent_sms() if n == "+358401234599"]
    to = [str(m.destinations) for m in sent_emails()]
    assert sum("olli@work.example" in d for d in to) == 1 and sum("olli@example.com" in d for d in to) == 1, to
    lines = by_client(desk.get("/reminders?date=2026-11-24")[1])["Olli Optout"]
    assert lines["sms"]["status"] == lines["email"]["status"] == "sent", lines


def test_a_number_cleared_at_the_desk_gets_no_reminder_and_the_list_says_why(client, desk):
    status, booked = book(
        client, "2026-11-24T12:00:00+02:00", name="Pekka Puu", phone="040 765 4321", email="pekka@example.com"
    )
    assert status == 201, booked
    drain_outbox()
    pekka = desk.get("/clients?q=Pekka")[1]["clients"][0]
    assert desk.patch(f"/clients/{pekka['id']}", {"phone": None})[0] == 200
    lines = by_client(desk.get("/reminders")[1])["Pekka Puu"]
    assert (lines["sms"]["status"], lines["sms"]["reason"]) == ("skipped", "no_phone"), lines
    assert lines["email"]["status"] == "pending"


def test_a_landline_given_at_the_desk_gets_no_text_and_the_list_says_why(client, desk):
    """A text to a landline (or a service number) reaches nobody, or someone else: her SMS
    reminder is skipped and the list says the number is not a mobile's, not its country."""
    status, booked = book(
        client, "2026-11-24T12:00:00+02:00", name="Pekka Puu", phone="040 765 4321", email="pekka@example.com"
    )
    assert status == 201, booked
    drain_outbox()
    pekka = desk.get("/clients?q=Pekka")[1]["clients"][0]
    assert desk.patch(f"/clients/{pekka['id']}", {"phone": "09 1234 5678"})[0] == 200
    lines = by_client(desk.get("/reminders")[1])["Pekka Puu"]
    assert (lines["sms"]["status"], lines["sms"]["reason"]) == ("skipped", "not_mobile"), lines
    assert lines["email"]["status"] == "pending"
