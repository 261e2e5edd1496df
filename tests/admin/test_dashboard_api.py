"""What the owner dashboard calls besides the registry: the KPIs of a period (kept
current by the kpi_sync job), a personal message to a client, the messages that failed
for good, and cancelling a visit at the front desk (a late cancellation)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.api.helpers import book, post, token_of
from tests.conftest import emails_to, sent_sms
from tests.history import after, at, past_visits, run_job, run_on_schedule

VISIT = "2026-11-25T12:00:00+02:00"


def sync(frozen_now):
    run_job("kpi_sync", frozen_now["now"] + timedelta(minutes=1))


def kpis(desk, period="2026-11"):
    status, body = desk.get(f"/kpis?period={period}")
    assert status == 200, body
    return body


# --- KPIs ------------------------------------------------------------------------------
def test_the_kpis_follow_bookings_visits_and_cancellations(client, desk, frozen_now):
    assert book(client, VISIT)[0] == 201
    _, cancelled = book(client, "2026-11-27T12:00:00+02:00")
    sync(frozen_now)
    k = kpis(desk)["kpis"]
    assert k["visits"]["value"] == 0 and k["cancellation_rate"] == {"value": 0.0, "numerator": 0, "denominator": 2}

    assert post(client, f"/api/v1/bookings/{token_of(cancelled['manage_url'])}/cancel", {})[0] == 200
    after(frozen_now, VISIT)
    sync(frozen_now)
    body = kpis(desk)
    k = body["kpis"]
    assert (k["visits"]["value"], k["revenue_cents"]["value"], k["new_clients"]["value"]) == (1, 6900, 1)
    assert k["cancellation_rate"]["value"] == 0.5 and k["late_cancellation_rate"]["value"] == 0.0
    assert k["average_spend_cents"]["value"] == 6900 and k["no_show_rate"]["value"] == 0.0
    assert k["retention_rate"]["value"] is None  # nobody visited in October
    assert body["period"] == "2026-11" and body["previous"] == "2026-10" and body["currency"] == "EUR"
    assert [m["month"] for m in body["trend"]][-2:] == ["2026-10", "2026-11"] and len(body["trend"]) == 12
    assert body["trend"][-1]["kpis"]["visits"] == 1 and body["trend"][0]["kpis"]["visits"] == 0
    # November read in November: its visits' 60 days to rebook (to 29 January) and the month
    # itself (its retention) are still open, so those figures are lower bounds, said so;
    # October's 90 days are open too, its month is over.
    open_now = body["counting_until"]
    assert open_now["kpis"]["rebooking_rate_60"] == "2027-01-29" and open_now["kpis"]["retention_rate"] == "2026-11-30"
    assert open_now["compared"]["rebooking_rate_90"] == "2027-01-29" and "retention_rate" not in open_now["compared"]
    assert kpis(desk, "2026-06")["counting_until"] == {"kpis": {}, "compared": {}}  # long closed


def test_a_quarter_and_a_year_count_the_same_visit_and_the_period_is_checked(client, desk, frozen_now):
    assert book(client, VISIT)[0] == 201
    after(frozen_now, VISIT)
    sync(frozen_now)
    for period in ("2026-Q4", "2026"):
        body = kpis(desk, period)
        assert body["kpis"]["visits"]["value"] == 1 and len(body["trend"]) == 12
        assert body["trend"][-1]["month"] == "2026-12"
    assert kpis(desk, "2026-Q4")["previous"] == "2026-Q3"
    assert kpis(desk)["period"] == "2026-11"  # no period: this month
    for bad in ("2026-13", "november", "2026-Q5", "26"):
        status, body = desk.get(f"/kpis?period={bad}")
        assert status == 422 and body["error"]["fields"] == {
            "period": "expected YYYY-MM, YYYY-Qn, YYYY, last7 or last30"
        }


def test_a_rating_shows_in_satisfaction_and_response_rate(client, aws, desk, frozen_now):
    from chalicelib.store.models import MessageItem

    assert book(client, VISIT)[0] == 201
    frozen_now["now"] = after(frozen_now, VISIT) + timedelta(hours=1)
    run_on_schedule("send_due", frozen_now["now"])  # the feedback request goes out 2 h after the visit
    [request] = [
        m for m in MessageItem.query(f"BIZ#{aws.id}", MessageItem.sk.startswith("MSG#")) if m.kind == "feedback_request"
    ]
    assert request.status == "sent"
    r = client.http.post(
        request.context["feedback_url"].split("example.test", 1)[1],
        body="rating=4",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 303  # saved, on to the thanks
    sync(frozen_now)
    k = kpis(desk)["kpis"]
    assert k["average_rating"]["value"] == 4.0 and k["response_rate"]["value"] == 1.0


# Where periods turn: the clock (5 minutes after the visit ends) pinned on the last and
# first day of a month and of a year, around local midnight when the UTC day is another,
# and on the Sundays when Helsinki's clocks go forward and back.
@pytest.mark.parametrize(
    ("start", "month", "neighbour"),
    [
        ("2026-12-31T22:00:00+02:00", "2026-12", "2027-01"),
        ("2027-01-01T00:00:00+02:00", "2027-01", "2026-12"),  # 22:00 UTC on 31 December
        ("2026-11-30T22:30:00+02:00", "2026-11", "2026-12"),
        ("2027-04-01T00:00:00+03:00", "2027-04", "2027-03"),  # a new quarter; 31 March in UTC
        ("2027-03-28T02:30:00+02:00", "2027-03", "2027-04"),  # ends 04:30 summer time
        ("2026-10-25T03:30:00+03:00", "2026-10", "2026-11"),  # ends 03:30 again, winter time
    ],
    ids=["last-of-year", "first-of-year", "last-of-month", "first-of-quarter", "dst-forward", "dst-back"],
)
def test_a_visit_counts_in_the_periods_of_its_local_day(aws, desk, frozen_now, start, month, neighbour):
    past_visits([start], clock=frozen_now)
    sync(frozen_now)
    assert desk.get("/kpis")[1]["period"] == month  # no period asked: this month, in Helsinki
    quarter = f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}"
    for period in (month, quarter, month[:4]):
        assert kpis(desk, period)["kpis"]["visits"]["value"] == 1, period
    assert kpis(desk, neighbour)["kpis"]["visits"]["value"] == 0


def test_the_front_desk_cancels_late_and_the_client_is_told(client, desk, frozen_now):
    _, booked = book(client, VISIT)
    frozen_now["now"] = at(VISIT) - timedelta(hours=3)  # inside the 24 h window: the client could not
    assert post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel", {})[0] == 409
    status, body = desk.post(f"/appointments/{booked['id']}/cancel", {"reason": "Flu"})
    assert status == 200 and body["status"] == "cancelled"
    assert any("peruttu" in m.lower() for m in emails_to("maija@example.com"))
    assert desk.post(f"/appointments/{booked['id']}/cancel", {})[0] == 200  # twice is harmless
    sync(frozen_now)
    k = kpis(desk)["kpis"]
    assert k["late_cancellation_rate"] == {"value": 1.0, "numerator": 1, "denominator": 1}
    # The time is free again.
    assert book(client, VISIT, name="Liisa", phone="040 999 8888", email="liisa@example.com")[0] == 201


def test_a_visit_that_took_place_cannot_be_cancelled(client, desk, frozen_now):
    _, booked = book(client, VISIT)
    after(frozen_now, VISIT)
    status, body = desk.post(f"/appointments/{booked['id']}/cancel", {})
    assert status == 409 and body["error"]["code"] == "booking_completed"
    assert desk.post(f"/appointments/{booked['id']}/cancel", {"reason": "x" * 501})[0] == 422


def test_an_owner_query_parameter_given_twice_is_400_naming_it(desk):
    status, body = desk.get("/kpis?period=2026-11&period=2026-12")
    assert status == 400 and body["error"]["code"] == "repeated_parameter", body
    assert body["error"]["fields"] == {"period": "given more than once"}
    assert desk.get("/kpis?period=2026-11")[0] == 200


# --- personal messages -----------------------------------------------------------------
def client_id(desk, name="Maija Meikäläinen"):
    return next(c["id"] for c in desk.get("/clients")[1]["clients"] if c["name"] == name)


def test_a_personal_message_goes_out_with_a_rebook_and_an_unsubscribe_link(client, desk):
    assert book(client, VISIT, consents={"marketing": True})[0] == 201
    before = len(emails_to("maija@example.com"))
    text = "Hei Maija! Meillä on uusia iltA-aikoja.\n\nTervetuloa <takaisin>!"
    status, body = desk.post(f"/clients/{client_id(desk)}/messages", {"text": text})
    assert status == 202 and body["message"]["channel"] == "email"
    sent_next_at = body["marketing"]["next_at"]  # the dialog opened again says it before she types
    sent_at = body["marketing"]["last_at"]  # her row's "last message" day, in the salon's time
    [mail] = emails_to("maija@example.com")[before:]
    assert "Meillä on uusia iltA-aikoja." in mail and "&lt;takaisin&gt;" in mail  # her words, escaped in HTML
    assert "/book/demo" in mail and "/u/" in mail and "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in mail
    # Marketing is capped: a second one within 14 days is refused, and says why.
    status, body = desk.post(f"/clients/{client_id(desk)}/messages", {"text": "Vielä yksi"})
    assert status == 409 and body["error"]["code"] == "capped"
    # From when the next may go (the business's 14 days), and her card says it before.
    assert body["error"]["next_at"].startswith("2026-12-0"), body
    _, card = desk.get(f"/clients/{client_id(desk)}")
    assert card["client"]["marketing"]["next_at"] == body["error"]["next_at"] == sent_next_at
    # ... and when she last got one (the list's row and her card say it before anyone calls).
    assert card["client"]["marketing"]["last_at"] == sent_at
    last_at = datetime.fromisoformat(sent_at)
    assert datetime.fromisoformat(sent_next_at) - last_at == timedelta(days=14)
    assert len(emails_to("maija@example.com")) == before + 1


def test_a_personal_message_is_previewed_as_she_would_get_it_and_nothing_goes(client, desk):
    assert book(client, VISIT, consents={"marketing": True})[0] == 201
    text = "Hei Maija! Meillä on uusia iltA-aikoja."
    before = len(emails_to("maija@example.com"))
    status, body = desk.post(f"/clients/{client_id(desk)}/messages/preview", {"text": text})
    assert status == 200 and body["preview"]["channel"] == "email", body
    shown = body["preview"]
    assert "Salon Aurora" in shown["subject"] and text in shown["text"]
    # Her links, their keys left out: a working unsubscribe or rebook link reaches only her.
    assert "/u/…" in shown["text"] and re.search(r"/book/demo\?\S*again=…", shown["text"]), shown["text"]
    assert len(emails_to("maija@example.com")) == before  # nothing went, and no cap is spent:
    assert desk.post(f"/clients/{client_id(desk)}/messages", {"text": text})[0] == 202
    [mail] = emails_to("maija@example.com")[before:]
    assert text in mail
    keys = set(re.findall(r"/u/([A-Za-z0-9._\-]{20,})", mail)) | set(re.findall(r"again=([A-Za-z0-9._\-]{20,})", mail))
    assert len(keys) == 2 and not any(k in shown["text"] for k in keys), keys
    _, trail = desk.get("/audit")
    assert "preview_personal_message" in {e["action"] for e in trail["entries"]}
    # Bad input as for sending; no one to preview for.
    assert desk.post(f"/clients/{client_id(desk)}/messages/preview", {"text": "  "})[0] == 422
    assert desk.post("/clients/nosuchclient/messages/preview", {"text": "Hei"})[0] == 404


def test_a_personal_text_message_is_previewed_with_its_links(client, desk):
    assert book(client, VISIT, email=None, consents={"marketing": True})[0] == 201
    before = len(sent_sms())
    status, body = desk.post(f"/clients/{client_id(desk)}/messages/preview", {"text": "Hei! Uusia aikoja."})
    assert status == 200 and body["preview"]["channel"] == "sms" and body["preview"]["subject"] is None, body
    assert body["preview"]["text"].startswith("Hei! Uusia aikoja.") and "/u/…" in body["preview"]["text"]
    assert len(sent_sms()) == before


def test_no_personal_message_without_marketing_consent_or_with_bad_input(client, desk):
    assert book(client, VISIT)[0] == 201  # no marketing consent
    status, body = desk.post(f"/clients/{client_id(desk)}/messages", {"text": "Tule käymään"})
    assert status == 409 and body["error"]["code"] == "no_consent"
    assert desk.post(f"/clients/{client_id(desk)}/messages", {"text": "   "})[0] == 422
    assert desk.post(f"/clients/{client_id(desk)}/messages", {"text": "x" * 1001})[0] == 422
    assert desk.post(f"/clients/{client_id(desk)}/messages", {"text": "Hei", "extra": 1})[0] == 422
    assert desk.post("/clients/nosuchclient/messages", {"text": "Hei"})[0] == 404


def test_a_personal_text_message_must_fit(client, desk):
    assert book(client, VISIT, email=None, consents={"marketing": True})[0] == 201
    status, body = desk.post(f"/clients/{client_id(desk)}/messages", {"text": "Pitkä viesti " * 30})
    assert status == 422 and body["error"]["fields"] == {"text": "too long for SMS"}  # past any link's room
    before = len(sent_sms())
    assert desk.post(f"/clients/{client_id(desk)}/messages", {"text": "Hei! Uusia aikoja."})[0] == 202
    [(_, sms)] = sent_sms()[before:]
    assert sms.startswith("Hei! Uusia aikoja.") and "/u/" in sms


def test_a_personal_text_message_never_loses_its_links(client, desk):
    # A walkthrough typed to the counter's 206 and her SMS read "…tulleet. He http://":
    # the links as they are for her leave less; the API measures them and says how much.
    import re

    assert book(client, VISIT, email=None, consents={"marketing": True})[0] == 201
    status, body = desk.post(f"/clients/{client_id(desk)}/messages", {"text": "a" * 206})
    assert status == 422, body
    said = re.fullmatch(r"at most (\d+) characters", body["error"]["fields"]["text"])
    assert said, body
    room = int(said.group(1))
    assert 100 < room < 206
    # Her card gives that room before she types (the sheet's counter counts against it).
    _, card = desk.get(f"/clients/{client_id(desk)}")
    assert card["client"]["marketing"]["sms_room"] == room
    before = len(sent_sms())
    words = ("Tervetuloa takaisin! " * 20)[:room]
    assert desk.post(f"/clients/{client_id(desk)}/messages", {"text": words})[0] == 202
    [(_, sms)] = sent_sms()[before:]
    assert sms.startswith(words.rstrip()) and re.search(r"https?://\S+/book/demo\S*", sms) and "/u/" in sms, sms


def test_the_dashboard_counts_a_personal_message_to_the_limits_the_api_takes():
    # The message sheet's counter (messagelimit.js) stops her where the API would refuse.
    from chalicelib.domain.registry import PersonalMessageIn
    from chalicelib.services.admin.messages import SMS_TEXT_UNITS

    js = (Path(__file__).parents[2] / "chalicelib/static/dashboard/messagelimit.js").read_text()
    assert f"export const SMS_UNITS = {SMS_TEXT_UNITS};" in js
    [text_max] = [m.max_length for m in PersonalMessageIn.model_fields["text"].metadata if hasattr(m, "max_length")]
    assert f"export const TEXT_MAX = {text_max};" in js


def test_a_long_personal_text_message_keeps_every_word_and_its_links(client, desk):
    # The API accepts two SMS segments; the renderer once cut the text to one and broke the link.
    from chalicelib.notify import gsm

    assert book(client, VISIT, email=None, consents={"marketing": True})[0] == 201
    text = "Hei Maija! Meillä vapautui huomiselle iltapäivälle aikoja, ja ajattelin sinua. Tervetuloa!"
    before = len(sent_sms())
    assert desk.post(f"/clients/{client_id(desk)}/messages", {"text": text})[0] == 202
    [(_, sms)] = sent_sms()[before:]
    assert gsm.gsm7_length(sms) > 160 and sms.startswith(text)
    assert re.search(r"https://book\.example\.test/book/demo\S*", sms) and re.search(r"/u/[A-Za-z0-9._-]+$", sms)


# --- messages that failed --------------------------------------------------------------
def test_messages_that_failed_for_good_are_listed_newest_first(client, desk, frozen_now):
    # moto treats numbers ending in 99 as opted out of SMS.
    assert book(client, VISIT, phone="+358401234599", email=None, name="Olli Optout")[0] == 201
    run_on_schedule("send_due", datetime.fromisoformat("2026-11-25T10:00:30+02:00"))
    status, body = desk.get("/messages/failed")
    assert status == 200
    failed = body["messages"]
    assert {(m["channel"], m["client_name"], m["error"]) for m in failed} == {("sms", "Olli Optout", "opted_out")}
    assert "confirmation" in {m["kind"] for m in failed}
    assert [m["failed_at"] for m in failed] == sorted((m["failed_at"] for m in failed), reverse=True)
    assert desk.get("/messages/failed?limit=zero")[0] == 422


def test_a_backlog_the_job_cannot_finish_in_time_waits_for_the_next_run(client, desk, frozen_now):
    from chalicelib.services import kpis as kpi_sync

    assert book(client, VISIT)[0] == 201
    later = frozen_now["now"] + timedelta(minutes=1)
    summary = kpi_sync.run(later, budget_seconds=0)
    assert summary["left_for_next_run"] and summary["synced"] == 0
    assert kpis(desk)["kpis"]["cancellation_rate"]["denominator"] == 0  # not counted yet
    assert kpi_sync.run(later)["synced"] == 1
    assert kpis(desk)["kpis"]["cancellation_rate"]["denominator"] == 1
    assert kpi_sync.run(later)["clients"] == 0  # the mark is gone


def test_a_mark_younger_than_a_few_seconds_waits_for_the_index_to_settle(client, desk, frozen_now):
    assert book(client, VISIT)[0] == 201
    assert run_job("kpi_sync", frozen_now["now"])["clients"] == 0
    assert run_job("kpi_sync", frozen_now["now"] + timedelta(seconds=11))["synced"] == 1
