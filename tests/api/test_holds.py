"""A new client's booking far ahead or in bulk is held only until she clicks the
confirmation link sent to her (issue 18, must-have 2: `limits.hold_unconfirmed`, off by
default); unconfirmed, the hold_expiry job frees the time, once, with no message."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.api.helpers import book, follow, get, open_link, post, set_config, token_of
from tests.conftest import FROZEN_NOW, emails_to, sent_emails, sent_sms
from tests.history import past_visits, run_job

# Now: Mon 23 Nov 2026 10:00 in Helsinki. Wed 25 Nov is two days and more ahead.
FAR = "2026-11-25T13:00:00+02:00"
NEAR = ["2026-11-25T09:00:00+02:00", "2026-11-25T11:00:00+02:00", "2026-11-25T13:00:00+02:00"]
HOLD_ON = {"enabled": True, "minutes": 30, "far_ahead_days": 2, "bulk_bookings": 3}


@pytest.fixture
def desk(client, aws):
    from tests.admin.helpers import Desk

    return Desk(client, aws.id)


def _hold(aws, **changes):
    set_config(aws, limits__hold_unconfirmed={**HOLD_ON, **changes})


def _confirm_token(email: str = "maija@example.com") -> str:
    """The confirmation link's token, from the last SMS; the email carries it too."""
    found = re.findall(r"/h/([A-Za-z0-9._-]+)", sent_sms()[-1][1])
    assert found, "no confirmation link in the SMS"
    assert any(found[-1] in text.replace("=\n", "") for text in emails_to(email, "/h/")), "not in the email"
    return found[-1]


def _held_items():
    from tests.api.helpers import table_items

    return [i for i in table_items() if i.get("g4pk", {}).get("S", "").startswith("HOLD#")]


def test_off_by_default_a_new_clients_far_booking_is_booked_as_ever(client, aws):
    from chalicelib.domain.config import Limits

    assert Limits().hold_unconfirmed.enabled is False
    status, body = book(client, FAR)
    assert status == 201 and body["status"] == "booked" and "hold_until" not in body
    assert not _held_items()
    assert emails_to("maija@example.com", "/h/") == []


def test_a_new_clients_far_booking_is_held_until_she_clicks_the_link(client, aws, frozen_now):
    _hold(aws)
    status, body = book(client, FAR)
    assert status == 201, body
    assert body["status"] == "awaiting_confirmation"
    assert body["hold_until"] == "2026-11-23T10:30:00+02:00"  # 30 minutes from now
    # The time is taken like any booking's: nobody else gets it meanwhile.
    status, taken = book(client, FAR, name="Other", phone="0409998877", email="other@example.com")
    assert status == 409 and taken["error"]["code"] == "slot_taken"
    # The link is only in her message (never in the answer: clicking it proves the contact).
    token = _confirm_token()
    assert token not in str(body)
    assert "booking.ics" not in emails_to("maija@example.com", "/h/")[-1]  # no invitation before she confirms
    # The booking page tells her plainly what she must do, and by when.
    page = client.http.get(f"/m/{token_of(body['manage_url'])}/booked?lang=en").body.decode()
    assert "Click the confirmation link we sent to your email or phone" in page and "30 minutes" in page
    assert (  # and where it went, half hidden (a mistyped address shows now)
        '<p id="sent-to">We sent the confirmation link to m\u2022\u2022\u2022@example.com'
        " and by text message to the number ending in 67.</p>"
    ) in page
    assert get(client, "/api/v1/bookings/" + token_of(body["manage_url"]))[1]["status"] == "awaiting_confirmation"
    # The link's page changes nothing; its button POSTs. It is served at the booking's own
    # address, the link's token in a cookie (out of the address bar).
    link = client.http.get(f"/h/{token}?lang=en")
    address = "/h/" + ".".join(token.split(".")[:3])
    assert link.status_code == 303 and link.headers["Location"] == f"{address}?lang=en"
    assert f"Path={address};" in link.headers["Set-Cookie"]
    page = follow(client, link.headers).body.decode()
    assert 'method="post"' in page and "Confirm my booking" in page and f'action="/h/{token}"' in page
    assert client.http.get(address).status_code == 403  # another device
    assert get(client, "/api/v1/bookings/" + token_of(body["manage_url"]))[1]["status"] == "awaiting_confirmation"
    # Confirmed: an ordinary booking; again: the same answer (idempotent).
    status, confirmed = post(client, f"/api/v1/bookings/{token}/confirm")
    assert status == 200 and confirmed["status"] == "booked" and "hold_until" not in confirmed
    assert post(client, f"/api/v1/bookings/{token}/confirm") == (200, confirmed)
    # The page's button too (a form POST, then her booking's page says it is confirmed).
    r = client.http.post(f"/h/{token}", body="lang=en", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 303 and "/m/" in r.headers["Location"] and "done=confirmed" in r.headers["Location"]
    manage_page = open_link(client, r.headers["Location"].split("example.test", 1)[-1]).body.decode()
    assert "Your booking is confirmed." in manage_page or "Thank you! Your booking is confirmed." in manage_page
    assert not _held_items()
    # The job at and after the hold's end leaves a confirmed booking alone.
    frozen_now["now"] = FROZEN_NOW + timedelta(hours=1)
    assert run_job("hold_expiry", frozen_now["now"])["freed"] == 0
    assert get(client, "/api/v1/bookings/" + token_of(body["manage_url"]))[1]["status"] == "booked"


def test_a_held_booking_moved_before_its_confirmation_left_still_gets_the_link(client, aws):
    """Moved a second after booking, before the outbox stream sent its confirmation: the
    confirmation still carries the only link that keeps her booking, and tells the new time."""
    from tests.api.helpers import booking_body

    _hold(aws)
    status, body = post(client, "/api/v1/businesses/demo/bookings", booking_body(FAR))
    assert status == 201 and body["status"] == "awaiting_confirmation", body
    status, moved = post(
        client, f"/api/v1/bookings/{token_of(body['manage_url'])}/reschedule", {"start": "2026-11-25T15:00:00+02:00"}
    )
    assert status == 200, moved
    last = sent_sms()[-1][1]
    assert "/h/" in last and "klo 15.00" in last and "klo 13.00" not in last, last
    status, confirmed = post(client, f"/api/v1/bookings/{_confirm_token()}/confirm")
    assert status == 200 and confirmed["status"] == "booked" and confirmed["start"] == "2026-11-25T15:00:00+02:00"


def test_the_owner_sees_a_held_booking_marked_on_the_calendar_and_tentative_in_the_feed(client, aws, desk):
    from icalendar import Calendar

    _hold(aws)
    _, body = book(client, FAR)
    _, cal = desk.get("/calendar?date=2026-11-25")
    appts = [a for m in cal["staff"] for a in m["appointments"]]
    assert [(a["markers"]["held"], a["hold_until"]) for a in appts] == [(True, "2026-11-23T10:30:00+02:00")]
    feed = next(f["url"] for f in desk.get("/calendar-feeds")[1]["feeds"] if f["feed"] == "business")

    def event():
        raw = client.http.get(feed.split("example.test", 1)[-1]).body
        [ev] = Calendar.from_ical(raw).walk("VEVENT")
        return str(ev["STATUS"]), int(ev.get("SEQUENCE", 0))

    held_status, held_seq = event()
    assert held_status == "TENTATIVE"
    assert post(client, f"/api/v1/bookings/{_confirm_token()}/confirm")[0] == 200
    status, seq = event()
    assert status == "CONFIRMED" and seq > held_seq  # subscribed calendars take the update
    _, cal = desk.get("/calendar?date=2026-11-25")
    assert [a["markers"]["held"] for m in cal["staff"] for a in m["appointments"]] == [False]


def test_a_returning_client_is_never_held(client, aws, frozen_now):
    past_visits(["2026-10-01T10:00:00+03:00"], clock=frozen_now)
    _hold(aws)
    status, body = book(client, FAR)
    assert status == 201 and body["status"] == "booked"
    assert not _held_items()


def test_a_near_booking_of_a_new_client_is_not_held_but_her_third_to_come_is(client, aws):
    _hold(aws, far_ahead_days=30)
    answers = [book(client, t, staff=None) for t in NEAR]
    assert [a[1].get("status", a) for a in answers] == ["booked", "booked", "awaiting_confirmation"]
    assert len(_held_items()) == 1


def test_an_unconfirmed_hold_frees_the_time_once_and_silently(client, aws, frozen_now):
    _hold(aws)
    status, body = book(client, FAR)
    token = _confirm_token()
    messages = len(sent_emails()), len(sent_sms())
    frozen_now["now"] = FROZEN_NOW + timedelta(minutes=29)
    assert run_job("hold_expiry", frozen_now["now"])["freed"] == 0  # not yet
    frozen_now["now"] = FROZEN_NOW + timedelta(minutes=31)
    # Confirming after the hold ran out (the job not run yet) is too late.
    status, late = post(client, f"/api/v1/bookings/{token}/confirm")
    assert status == 410 and late == {
        "error": {"code": "hold_expired", "message": late["error"]["message"], "fields": {}}
    }
    assert run_job("hold_expiry", frozen_now["now"]) == {"found": 1, "freed": 1, "paid": 0, "stopped_by_budget": 0}
    assert run_job("hold_expiry", frozen_now["now"]) == {
        "found": 0,
        "freed": 0,
        "paid": 0,
        "stopped_by_budget": 0,
    }  # twice
    assert (len(sent_emails()), len(sent_sms())) == messages  # no cancellation to her
    from tests.payments.test_client_money import _cancellations

    assert _cancellations(aws.id, body) == 0  # never a booking: not her cancellation on her card
    assert get(client, "/api/v1/bookings/" + token_of(body["manage_url"]))[1]["status"] == "cancelled"
    assert post(client, f"/api/v1/bookings/{token}/confirm")[0] == 410
    page = open_link(client, f"/h/{token}?lang=en")
    assert page.status_code == 410 and "not confirmed in time" in page.body.decode()
    assert not _held_items()
    # The time is free again: someone else books it.
    status, other = book(client, FAR, name="Other", phone="0409998877", email="other@example.com")
    assert status == 201 and other["status"] == "awaiting_confirmation"  # she is new too


def test_two_runs_at_once_free_a_hold_exactly_once(client, aws, frozen_now, monkeypatch):
    """Both runs find the hold; only one cancellation can commit (the other's condition
    fails): the client's and the meters' counts move once."""
    from chalicelib.store import holds

    _hold(aws)
    book(client, FAR)
    frozen_now["now"] = FROZEN_NOW + timedelta(minutes=31)
    found = holds.run_out_between(FROZEN_NOW, frozen_now["now"])
    assert len(found) == 1
    outcomes = []
    real_free = holds.free

    def racing_free(appt, days, now, freed=None):
        # The other run frees it first (with the same freed-time item), between this
        # run's read and its write.
        outcomes.append(real_free(appt, days, now, freed))
        return real_free(appt, days, now, freed)

    monkeypatch.setattr(holds, "free", racing_free)
    assert run_job("hold_expiry", frozen_now["now"]) == {"found": 1, "freed": 0, "paid": 0, "stopped_by_budget": 0}
    assert outcomes == [True]


def test_a_run_stopped_by_its_budget_leaves_the_later_hours_holds_for_the_next(client, aws, frozen_now):
    from chalicelib.services.booking import holds

    _hold(aws)
    assert book(client, FAR)[1]["status"] == "awaiting_confirmation"  # runs out at 10:30
    frozen_now["now"] = FROZEN_NOW + timedelta(hours=1)
    other = {"name": "Other", "phone": "0409998877", "email": "other@example.com"}
    assert book(client, "2026-11-25T15:00:00+02:00", **other)[1]["status"] == "awaiting_confirmation"  # 11:30
    later = FROZEN_NOW + timedelta(hours=2)
    assert holds.run(later, budget_seconds=-1) == {"found": 1, "freed": 1, "paid": 0, "stopped_by_budget": 1}
    assert len(_held_items()) == 1
    assert holds.run(later) == {"found": 1, "freed": 1, "paid": 0, "stopped_by_budget": 0}
    assert not _held_items()


@pytest.mark.parametrize(
    "token",
    ["nonsense", "h.x.y.zz.sig", "a" * 300],
)
def test_a_bad_confirmation_token_is_a_4xx_in_the_error_shape(client, aws, token):
    status, body = post(client, f"/api/v1/bookings/{token}/confirm")
    assert status == 404, body
    assert set(body["error"]) >= {"code", "message", "fields"} and body["error"]["code"].startswith("token_")


def test_a_manage_token_does_not_confirm(client, aws):
    _hold(aws)
    _, body = book(client, FAR)
    status, err = post(client, f"/api/v1/bookings/{token_of(body['manage_url'])}/confirm")
    assert status == 404 and err["error"]["code"] == "token_wrong_purpose"
    assert len(_held_items()) == 1


def test_the_setting_is_validated_like_the_rest(aws):
    from pydantic import ValidationError

    from chalicelib.domain.config import parse_business_config

    data = aws.config.model_dump(mode="json")
    data["limits"] = {"hold_unconfirmed": {"enabled": True, "minutes": 1}}
    with pytest.raises(ValidationError) as e:
        parse_business_config(data)
    assert "hold_unconfirmed.minutes" in str(e.value)
