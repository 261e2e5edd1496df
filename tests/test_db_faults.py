"""Faults of DynamoDB on every write path (issue 18, must-have 5): throttling
(ProvisionedThroughputExceeded, ThrottlingException, RequestLimitExceeded), a cancelled
transaction's TransactionConflict or ThrottlingError, and InternalServerError. Retried
with backoff and jitter where that is safe; otherwise a 503 `unavailable` with
Retry-After in the error shape, and nothing half written. Injected by tests/faults.py
in botocore's send step, inside its retry loop."""

from __future__ import annotations

import json

import pytest

from tests.admin.helpers import Desk
from tests.api.helpers import book, count_by_prefix, get, post, slots, table_items, taken_on_sheets, token_of
from tests.conftest import sent_emails
from tests.faults import UNPROCESSED, UNREACHABLE, always, cancelled, dynamodb_faults
from tests.history import at, ran_on_schedule_until

VISIT = "2026-11-25T12:00:00+02:00"


def _is_unavailable(status, body, headers=None):
    assert status == 503, body
    assert body["error"]["code"] == "unavailable" and body["error"]["fields"] == {}
    assert set(body["error"]) == {"code", "message", "fields"}


def _raw_post(client, path, body):
    r = client.http.post(path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    return r.status_code, json.loads(r.body), r.headers


# --- booking --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]
)
def test_a_throttled_booking_is_retried_with_one_client_token_and_books_once(client, code):
    with dynamodb_faults({"TransactWriteItems": [code, code]}) as f:
        status, body = book(client, VISIT)
    assert status == 201, body
    sent = f.calls["TransactWriteItems"]
    assert len(sent) >= 3 and f.injected["TransactWriteItems"] == 2
    tokens = {c.get("ClientRequestToken") for c in sent[:3]}
    # botocore's retries of one transaction carry its token: DynamoDB applies it once.
    assert len(tokens) == 1 and None not in tokens
    assert f.pauses and all(p >= 0 for p in f.pauses)  # backoff, jittered
    assert count_by_prefix(table_items(), "APPT#") == 1


def test_an_internal_server_error_is_retried_as_the_same_transaction(client):
    with dynamodb_faults({"TransactWriteItems": ["InternalServerError"]}) as f:
        status, body = book(client, VISIT)
    assert status == 201, body
    first, second = f.calls["TransactWriteItems"][:2]
    assert first["ClientRequestToken"] == second["ClientRequestToken"]
    assert count_by_prefix(table_items(), "APPT#") == 1


@pytest.mark.parametrize("reason", ["ThrottlingError", "TransactionConflict"])
def test_a_transaction_cancelled_for_a_passing_reason_is_tried_again(client, reason):
    with dynamodb_faults({"TransactWriteItems": [cancelled(reason)] * 3}) as f:
        status, body = book(client, VISIT)
    assert status == 201, body
    tokens = [c["ClientRequestToken"] for c in f.calls["TransactWriteItems"]]
    assert len(set(tokens)) == len(tokens)  # a cancelled attempt wrote nothing: a new transaction
    assert count_by_prefix(table_items(), "APPT#") == 1


@pytest.mark.parametrize(
    "fault",
    ["ThrottlingException", "InternalServerError", cancelled("ThrottlingError"), cancelled("TransactionConflict")],
)
def test_a_booking_that_keeps_failing_is_503_with_retry_after_and_writes_nothing(client, fault):
    before = table_items()
    with dynamodb_faults({"TransactWriteItems": always(fault)}):
        status, body, headers = _raw_post(
            client,
            "/api/v1/businesses/demo/bookings",
            {
                "service": "womens-cut",
                "staff": "aino",
                "start": VISIT,
                "client": {"name": "M", "email": "m@example.com"},
            },
        )
    _is_unavailable(status, body)
    assert int(headers["Retry-After"]) >= 1
    assert table_items() == before  # no appointment, client, key, message or sheet entry
    assert VISIT in slots(client)["aino"]
    assert sent_emails() == []


def test_a_throttled_read_before_the_booking_is_503_too(client):
    with dynamodb_faults({"BatchGetItem": always("ProvisionedThroughputExceededException")}):
        status, body = book(client, VISIT)
    _is_unavailable(status, body)
    assert count_by_prefix(table_items(), "APPT#") == 0


def test_a_batch_read_throttled_in_part_asks_again_after_a_pause(client):
    with dynamodb_faults({"BatchGetItem": [UNPROCESSED, UNPROCESSED]}) as f:
        status, body = book(client, VISIT)
    assert status == 201, body
    assert len(f.pauses) >= 2
    with dynamodb_faults({"BatchGetItem": always(UNPROCESSED)}):
        status, body = book(client, "2026-11-25T14:00:00+02:00")
    _is_unavailable(status, body)  # not a tight loop for ever


def test_a_database_that_cannot_be_reached_is_503_not_500(client):
    # PynamoDB wraps botocore's connection error (its `.cause`, linked as __context__).
    down = {op: always(UNREACHABLE) for op in ("GetItem", "Query", "BatchGetItem")}
    with dynamodb_faults(down):
        r = client.http.get("/api/v1/businesses/demo/availability?service=womens-cut&from=2026-11-25&to=2026-11-25")
        page = client.http.get("/book/demo?service=womens-cut&date=2026-11-25&lang=en")
    _is_unavailable(r.status_code, json.loads(r.body))
    assert page.status_code == 503 and int(page.headers["Retry-After"]) >= 1


def test_the_booking_page_says_try_again_in_the_client_s_language(client):
    form = "service=womens-cut&staff=aino&start=2026-11-25T12%3A00%3A00%2B02%3A00&name=M&email=m%40example.com&lang=sv"
    with dynamodb_faults({"TransactWriteItems": always("ThrottlingException")}):
        r = client.http.post("/book/demo", body=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 503 and int(r.headers["Retry-After"]) >= 1
    from chalicelib.pages.i18n import words

    assert words("sv")["busy_try_again"] in r.body.decode()


# --- cancel and reschedule through the client's link ------------------------------------
def test_a_cancellation_that_keeps_being_throttled_changes_nothing(client):
    _, booked = book(client, VISIT)
    token = token_of(booked["manage_url"])
    before = table_items()
    with dynamodb_faults({"TransactWriteItems": always("ThrottlingException")}):
        status, body = post(client, f"/api/v1/bookings/{token}/cancel")
    _is_unavailable(status, body)
    assert table_items() == before
    assert get(client, f"/api/v1/bookings/{token}")[1]["status"] == "booked"
    with dynamodb_faults({"TransactWriteItems": [cancelled("TransactionConflict")]}):
        status, body = post(client, f"/api/v1/bookings/{token}/cancel")
    assert status == 200 and body["status"] == "cancelled"
    assert taken_on_sheets(table_items()) == {}


def test_a_move_whose_transaction_was_throttled_moves_once(client):
    _, booked = book(client, VISIT)
    token = token_of(booked["manage_url"])
    with dynamodb_faults({"TransactWriteItems": [cancelled("ThrottlingError"), "ThrottlingException"]}):
        status, body = post(client, f"/api/v1/bookings/{token}/reschedule", {"start": "2026-11-25T14:00:00+02:00"})
    assert status == 200, body
    assert body["start"] == "2026-11-25T14:00:00+02:00"
    sheets = taken_on_sheets(table_items())
    assert len(sheets) == 1  # the new time only: the old one freed in the same transaction


def test_a_move_that_keeps_failing_is_503_and_the_old_time_stays(client):
    _, booked = book(client, VISIT)
    token = token_of(booked["manage_url"])
    before = table_items()
    with dynamodb_faults({"TransactWriteItems": always("InternalServerError")}):
        status, body = post(client, f"/api/v1/bookings/{token}/reschedule", {"start": "2026-11-25T14:00:00+02:00"})
    _is_unavailable(status, body)
    assert table_items() == before


# --- the front desk ---------------------------------------------------------------------------
def test_a_desk_booking_that_keeps_being_throttled_is_503_in_the_error_shape(client, aws):
    desk = Desk(client, aws.id)
    body = {"service": "womens-cut", "staff": "aino", "start": VISIT, "client": {"name": "Desk", "phone": "0401112222"}}
    with dynamodb_faults({"TransactWriteItems": always("RequestLimitExceeded")}):
        status, answer = desk.post("/bookings", body)
    _is_unavailable(status, answer)
    assert count_by_prefix(table_items(), "APPT#") == 0
    with dynamodb_faults({"TransactWriteItems": [cancelled("TransactionConflict")]}):
        status, answer = desk.post("/bookings", body)
    assert status == 201, answer


def test_a_desk_cancellation_retried_after_a_conflict(client, aws):
    desk = Desk(client, aws.id)
    _, booked = book(client, VISIT)
    _, cal = desk.get("/calendar?date=2026-11-25")
    appt = cal["staff"][0]["appointments"][0]["id"]
    with dynamodb_faults({"TransactWriteItems": [cancelled("TransactionConflict"), "ThrottlingException"]}):
        status, body = desk.post(f"/appointments/{appt}/cancel", {"notify": False})
    assert status == 200 and body["status"] == "cancelled", body


# --- the outbox and the jobs ------------------------------------------------------------------
def test_a_sweep_whose_claims_are_throttled_sends_nothing_and_leaves_the_reminder_due(client):
    from chalicelib.jobs import send_due

    assert book(client, VISIT)[0] == 201
    base = len(sent_emails())
    ran_on_schedule_until("send_due", at("2026-11-24T12:00:30+02:00"))
    with dynamodb_faults({"TransactWriteItems": always("ThrottlingException")}):
        summary = send_due.run(at("2026-11-24T12:00:30+02:00"))
    assert summary.sent == 0 and summary.errors == 1
    assert len(sent_emails()) == base
    summary = send_due.run(at("2026-11-24T12:01:30+02:00"))  # the next minute's run
    assert summary.sent == 1 and len(sent_emails()) == base + 1
    assert send_due.run(at("2026-11-24T12:02:30+02:00")).sent == 0  # once


def test_a_sweep_claim_that_met_a_conflict_is_retried_at_once(client):
    from chalicelib.jobs import send_due

    assert book(client, VISIT)[0] == 201
    base = len(sent_emails())
    ran_on_schedule_until("send_due", at("2026-11-24T12:00:30+02:00"))
    with dynamodb_faults({"TransactWriteItems": [cancelled("TransactionConflict")]}):
        summary = send_due.run(at("2026-11-24T12:00:30+02:00"))
    assert summary.sent == 1 and len(sent_emails()) == base + 1


def test_recording_a_send_that_is_throttled_loses_neither_the_booking_nor_the_message(client):
    with dynamodb_faults(
        {
            "PutItem": always("ProvisionedThroughputExceededException"),
            "BatchWriteItem": always("ProvisionedThroughputExceededException"),
        }
    ):
        status, body = book(client, VISIT)
    assert status == 201, body
    messages = [i for i in table_items() if i["sk"]["S"].startswith("MSG#") and "#confirmation#" in i["sk"]["S"]]
    # Sent, but the result could not be written: still leased and in the due index, so the
    # sweeper finds it after the lease — never lost.
    assert messages and all("g3pk" in m for m in messages)


def test_the_after_visit_job_retries_a_conflicted_transaction(client):
    from chalicelib.jobs import visits_ended

    _, booked = book(client, VISIT)
    ran_on_schedule_until("visits_ended", at("2026-11-25T14:00:00+02:00"))
    with dynamodb_faults({"TransactWriteItems": [cancelled("TransactionConflict")] * 2}):
        visits_ended.run(at("2026-11-25T14:00:00+02:00"))
    _, view = get(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}")
    assert view["status"] == "completed", view
