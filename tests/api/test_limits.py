"""Calendar flooding and SMS pumping (issue 18, must-haves 2 and 3): the public API's
limits per contact and per client IP, 429 with Retry-After in the error shape, SMS only
to the business's countries and within the number's, the IP's and the business's
budget of the day."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.helpers import book, count_by_prefix, post, set_config, table_items, token_of
from tests.conftest import FROZEN_NOW, sent_emails, sent_sms

# Free times of the demo salon on Wed 25 Nov (Sanna works 09-17), two hours apart.
TIMES = [f"2026-11-25T{h:02d}:00:00+02:00" for h in (9, 11, 13, 15)]  # 60 min + 10 min buffer apart
PUBLIC_IP = "203.0.113.7"


def _set(aws, **changes):
    set_config(aws, **changes)


@pytest.fixture
def from_ip(monkeypatch):
    """Requests from a public address (the test client's is 127.0.0.1, never metered)."""
    from chalice.local import LambdaEventConverter

    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", PUBLIC_IP)
    return PUBLIC_IP


def _raw_book(client, start, **kw):
    import json

    from tests.api.helpers import booking_body

    r = client.http.post(
        "/api/v1/businesses/demo/bookings",
        body=json.dumps(booking_body(start, **kw)),
        headers={"Content-Type": "application/json"},
    )
    return r.status_code, json.loads(r.body), r.headers


# --- bookings per contact and per IP in the window ---------------------------------------------
def test_one_phone_books_at_most_the_limit_in_the_window_then_429_with_retry_after(client, aws, frozen_now):
    _set(aws, limits__bookings_per_contact=3)
    for t in TIMES[:3]:
        assert book(client, t, staff=None, email=None)[0] == 201
    status, body, headers = _raw_book(client, TIMES[3], staff=None, email=None)
    assert status == 429, body
    assert body == {"error": {"code": "rate_limited", "message": body["error"]["message"], "fields": {}}}
    assert "phone number" in body["error"]["message"]
    assert int(headers["Retry-After"]) == 24 * 3600  # when the first of the three leaves the window
    assert count_by_prefix(table_items(), "APPT#") == 3  # nothing of the fourth was written
    frozen_now["now"] = FROZEN_NOW + timedelta(hours=24, minutes=1)
    assert book(client, TIMES[3], staff=None, email=None)[0] == 201  # the window rolled on


def test_the_email_is_a_contact_of_its_own(client, aws):
    _set(aws, limits__bookings_per_contact=2)
    assert book(client, TIMES[0], staff=None, phone="0401111111", email="same@example.com")[0] == 201
    assert book(client, TIMES[1], staff=None, phone="0402222222", email="same@example.com")[0] == 201
    status, body = book(client, TIMES[2], staff=None, phone="0403333333", email="same@example.com")
    assert status == 429 and "email address" in body["error"]["message"]


def test_one_client_ip_books_at_most_its_limit_whatever_the_contacts(client, aws, from_ip):
    _set(aws, limits__bookings_per_ip=3)
    for i, t in enumerate(TIMES[:3]):
        assert book(client, t, staff=None, phone=f"04055500{i:02d}", email=f"c{i}@example.com")[0] == 201
    status, body = book(client, TIMES[3], staff=None, phone="0405550099", email="c99@example.com")
    assert status == 429 and "network" in body["error"]["message"]


def test_the_local_address_is_not_metered(client, aws):
    _set(aws, limits__bookings_per_ip=1)
    for i, t in enumerate(TIMES[:3]):
        assert book(client, t, staff=None, phone=f"04055500{i:02d}", email=f"c{i}@example.com")[0] == 201


def test_the_booking_page_says_so_in_the_client_s_language(client, aws):
    _set(aws, limits__bookings_per_contact=1)
    assert book(client, TIMES[0], staff=None)[0] == 201
    form = "service=womens-cut&start=2026-11-25T14%3A00%3A00%2B02%3A00&name=M&phone=040+123+4567&lang=fi"
    r = client.http.post("/book/demo", body=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    from chalicelib.pages.i18n import words

    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert words("fi")["too_many_bookings"] in r.body.decode()


def test_racing_requests_of_one_contact_cannot_pass_the_limit_together(client, aws, monkeypatch):
    """Two requests read the meter at the same version; the second one's transaction
    fails on it, reads again and is refused."""
    from chalicelib.store import bookings

    _set(aws, limits__bookings_per_contact=1)
    real = bookings.read_for_booking
    # Book once, then hand the next request the meter as it was before that booking.
    assert book(client, TIMES[0], staff=None)[0] == 201
    calls = {"n": 0}

    def replay_stale_once(business_id, phone, email, sheets, idem=None, meters=()):
        calls["n"] += 1
        read = real(business_id, phone, email, sheets, idem, meters)
        if calls["n"] == 1:
            from dataclasses import replace

            from chalicelib.domain.limits import Meter

            stale = [Meter(m.business_id, m.kind, m.subject) for m in read.meters]  # as before the first booking
            return replace(read, meters=stale)
        return read

    monkeypatch.setattr(bookings, "read_for_booking", replay_stale_once)
    status, body = book(client, TIMES[2], staff=None)
    assert status == 429, body
    assert calls["n"] == 2  # the transaction failed on the meter and the booking read again
    assert count_by_prefix(table_items(), "APPT#") == 1


def test_a_new_contact_is_counted_before_her_meter_is_written(client, aws, frozen_now):
    """A new contact's first booking is counted on her contact key until its plan's
    expansion writes her meter (a second later): a request in between is refused all the
    same, and the meter it was refused on is on the owner's list of suspected floods."""
    from chalicelib.domain import limits as rules
    from chalicelib.store import limits
    from tests.conftest import drain_outbox

    _set(aws, limits__bookings_per_contact=1)
    status, first, _ = _raw_book(client, TIMES[0], staff=None, email=None)  # not expanded yet
    assert status == 201, first
    subject = rules.subject_hash(aws.id, rules.PHONE, "+358401234567")
    assert limits.get(aws.id, rules.PHONE, subject) is None  # her key carries the entry
    status, body, _ = _raw_book(client, TIMES[2], staff=None, email=None)
    assert status == 429 and "phone number" in body["error"]["message"]
    assert count_by_prefix(table_items(), "APPT#") == 1
    [flagged] = limits.flagged(aws.id)
    assert flagged.subject == subject and list(flagged.entries) == [first["id"]] and flagged.refused == 1
    drain_outbox()  # the expansion finds her meter there already: it stays as it is
    meter = limits.get(aws.id, rules.PHONE, subject)
    assert meter is not None and list(meter.entries) == [first["id"]] and meter.refused == 1


# --- pending bookings per contact ---------------------------------------------------------------
def test_future_bookings_per_contact_are_limited_and_a_cancelled_one_no_longer_counts(client, aws):
    _set(aws, limits__pending_per_contact=2, limits__bookings_per_contact=10)
    _, first = book(client, TIMES[0], staff=None)
    assert book(client, TIMES[1], staff=None)[0] == 201
    status, body = book(client, TIMES[2], staff=None)
    assert status == 429 and "future bookings" in body["error"]["message"]
    post(client, f"/api/v1/bookings/{token_of(first['manage_url'])}/cancel")
    assert book(client, TIMES[2], staff=None)[0] == 201  # cancelled: read and not counted


# --- SMS ----------------------------------------------------------------------------------------
def test_sms_only_to_the_business_s_countries_and_email_still_goes(client):
    status, _ = book(client, TIMES[0], staff=None, phone="+12025550143", email="us@example.com")
    assert status == 201  # a US number: the booking works
    assert sent_sms() == []
    assert len(sent_emails()) == 1
    assert not [i for i in table_items() if i["sk"]["S"].startswith("MSG#") and i["sk"]["S"].endswith("#sms")]
    assert book(client, TIMES[1], staff=None, phone="+37251234567", email=None)[0] == 201  # Estonia
    assert len(sent_sms()) == 1


def test_the_countries_are_the_business_s_setting(client, aws):
    _set(aws, sms__countries=["SE"])
    assert book(client, TIMES[0], staff=None)[0] == 201  # a Finnish number
    assert sent_sms() == [] and len(sent_emails()) == 1


def test_sms_per_number_a_day_then_email_only(client, aws):
    _set(aws, sms__per_number_per_day=2)  # one booking asks for 2: confirmation and reminder
    assert book(client, TIMES[0], staff=None)[0] == 201
    assert len(sent_sms()) == 1
    assert book(client, TIMES[1], staff=None)[0] == 201  # booked, confirmed by email only
    assert len(sent_sms()) == 1 and len(sent_emails()) == 2


def test_sms_per_ip_a_day(client, aws, from_ip):
    _set(aws, sms__per_ip_per_day=2)
    assert book(client, TIMES[0], staff=None, phone="0405550001", email="a@example.com")[0] == 201
    assert book(client, TIMES[1], staff=None, phone="0405550002", email="b@example.com")[0] == 201
    assert len(sent_sms()) == 1 and len(sent_emails()) == 2


def test_the_daily_sms_budget_stops_sms_emits_the_alarm_metric_and_email_goes_on(client, aws, monkeypatch):
    from chalicelib import observability

    alarms = []
    monkeypatch.setattr(
        observability, "count_sms_budget_exhausted", lambda business, budget: alarms.append((business, budget))
    )
    from chalicelib.notify import outbox

    monkeypatch.setattr(outbox, "count_sms_budget_exhausted", observability.count_sms_budget_exhausted)
    _set(aws, sms__daily_budget=1)
    assert book(client, TIMES[0], staff=None, phone="0405550001", email="a@example.com")[0] == 201
    assert book(client, TIMES[1], staff=None, phone="0405550002", email="b@example.com")[0] == 201
    assert len(sent_sms()) == 1 and len(sent_emails()) == 2
    assert alarms == [(aws.id, 1)]
    failed = [i for i in table_items() if i["sk"]["S"].startswith("MSG#") and i.get("status", {}).get("S") == "failed"]
    assert [f["last_error"]["S"] for f in failed] == ["sms_budget"]  # shown to the owner


def test_the_budget_metric_is_one_series_without_dimensions_of_ours(capsys, monkeypatch):
    """(Deployed, Powertools adds `service`: tests/infra/test_stack.py checks the alarm
    watches that series.)"""
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    import json

    from chalicelib.observability import SMS_BUDGET_METRIC, count_sms_budget_exhausted

    count_sms_budget_exhausted("biz1", 300)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    emf = next(x for x in lines if "_aws" in x)
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Rebook"
    assert emf["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] == SMS_BUDGET_METRIC == "sms_budget_exhausted"
    assert emf["_aws"]["CloudWatchMetrics"][0]["Dimensions"] in ([[]], [])


def test_the_limits_are_validated_like_the_rest_of_the_config(aws):
    from pydantic import ValidationError

    from chalicelib.domain.config import format_validation_error, parse_business_config

    data = aws.config.model_dump(mode="json")
    data["sms"] = {"countries": ["FI", "XX"], "daily_budget": -1}
    data["limits"] = {"bookings_per_contact": 0}
    with pytest.raises(ValidationError) as e:
        parse_business_config(data)
    lines = "\n".join(format_validation_error(e.value))
    assert "sms.countries" in lines and "XX" in lines
    assert "sms.daily_budget" in lines and "limits.bookings_per_contact" in lines
    assert parse_business_config(aws.config.model_dump(mode="json")).sms.countries == ("FI", "SE", "NO", "DK", "EE")


def test_the_widget_on_another_site_can_read_retry_after(client, aws):
    _set(aws, limits__bookings_per_contact=1)
    assert book(client, TIMES[0], staff=None)[0] == 201
    _, _, headers = _raw_book(client, TIMES[1], staff=None)
    assert "Retry-After" in headers.get("Access-Control-Expose-Headers", "")
