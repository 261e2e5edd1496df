"""Confirmations leave after the request, from the table's stream (moto's), exactly once;
the sweeper sends what the stream missed."""

from __future__ import annotations

from moto.core import DEFAULT_ACCOUNT_ID

from tests.api.helpers import booking_body, post
from tests.conftest import drain_outbox, sent_emails, sent_sms
from tests.history import run_on_schedule

VISIT = "2026-11-25T12:00:00+02:00"


def sent_so_far() -> tuple[int, int]:
    """Emails and SMS moto has sent, without handing the stream on first."""
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    region = "eu-north-1"
    return (
        len(ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages),
        len(sns_backends[DEFAULT_ACCOUNT_ID][region].sms_messages),
    )


def confirmations(business, booked: dict):
    from chalicelib.domain.messages import booking_message_keys
    from chalicelib.store import outbox

    keys = booking_message_keys(booked["id"], "confirmation", 0, ["email", "sms"])
    return [m for key in keys.values() if (m := outbox.get_message(business.id, key)) is not None]


def plan_of(business, booked: dict):
    from chalicelib.store import outbox

    return outbox.waiting_plan(business.id, booked["id"])


def stream_records() -> list[dict]:
    """The stream's new records, read once (to hand over as often as a test likes)."""
    return stream_reader().read()


def stream_reader():
    """A reader of the stream from its start (each read hands on what is new since)."""
    from chalicelib.settings import get_settings
    from chalicelib.store.db import dynamodb_client
    from scripts.outbox_stream import reader_for_settings

    assert dynamodb_client().describe_table(TableName=get_settings().table_name)["Table"]["LatestStreamArn"]
    return reader_for_settings(start="TRIM_HORIZON")


def test_the_booking_answers_before_anything_is_sent_and_the_stream_sends_it(client, aws):
    status, booked = post(client, "/api/v1/businesses/demo/bookings", booking_body(VISIT))
    assert status == 201, booked
    assert sent_so_far() == (0, 0)  # the answer came at the cost of the writes alone
    # Its messages wait in one plan on its appointment (issue 19: a booking's items stay few).
    assert confirmations(aws, booked) == []
    plan = plan_of(aws, booked)
    assert plan.status == "pending"
    assert sorted(m["channel"] for m in plan.context["messages"] if m["kind"] == "confirmation") == ["email", "sms"]
    done = drain_outbox()
    assert done.get("expanded") == 1 and done.get("sent") == 2, done
    assert plan_of(aws, booked) is None
    assert sent_so_far() == (1, 1)
    assert {m.status for m in confirmations(aws, booked)} == {"sent"}


def test_a_record_delivered_twice_sends_once(client):
    from scripts.outbox_stream import deliver

    status, booked = post(client, "/api/v1/businesses/demo/bookings", booking_body(VISIT))
    assert status == 201
    reader = stream_reader()
    records = reader.read()
    assert deliver(records).get("sent") == 2
    again = deliver(records)  # Lambda retries a batch, or two invocations overlap
    assert again.get("sent") is None and again.get("taken") == 1, again  # its plan, expanded once
    # The records of the messages the plan became come next: its confirmations were
    # written held by the sender that expanded it, so they are not handed over at all.
    expanded = deliver(reader.read())
    assert expanded.get("sent") is None and expanded.get("taken") is None, expanded
    assert sent_so_far() == (1, 1)


def test_the_sweeper_sends_what_the_stream_missed(client, frozen_now):
    from datetime import timedelta

    from scripts.outbox_stream import deliver

    status, booked = post(client, "/api/v1/businesses/demo/bookings", booking_body(VISIT))
    assert status == 201
    records = stream_records()  # ... but never handed over: the trigger was down
    summary = run_on_schedule("send_due", frozen_now["now"] + timedelta(minutes=1))
    assert summary.sent == 2, summary.as_dict()
    assert sent_so_far() == (1, 1)
    late = deliver(records)  # the stream catches up: nothing twice
    assert late.get("sent") is None, late
    assert len(sent_emails()) == 1 and len(sent_sms()) == 1


def test_the_stream_leaves_other_writes_and_later_messages_alone(client):
    from scripts.outbox_stream import deliver

    status, _ = post(client, "/api/v1/businesses/demo/bookings", booking_body(VISIT, email=None))
    assert status == 201
    records = stream_records()
    # The appointment, the client, the day sheet ... are records too; only the
    # appointment's plan (SMS confirmation, reminder ...) counts: no message yet.
    assert len(records) > 3
    names = [r["dynamodb"]["NewImage"]["sk"]["S"] for r in records]
    assert not any(n.startswith("MSG#") for n in names)
    assert sum("plan" in r["dynamodb"]["NewImage"] for r in records) == 1
    done = deliver(records)
    # The SMS confirmation now; the reminder it planned waits for its time.
    assert done.get("expanded") == 1 and done.get("sent") == 1, done
    assert sent_so_far() == (0, 1)
    later = deliver(stream_records()[len(records) :])  # the plan's messages, as the stream hands them on
    assert later.get("later", 0) >= 1 and later.get("sent") is None, later


def test_a_released_parked_message_is_taken_but_not_a_retry_or_other_changes():
    """A held booking's confirmations are parked, then released once she paid: that
    MODIFY (pending, released_at set, never attempted) is handed on like a new message;
    a parked insert, a retry after a failed send, or a release without the mark is not."""
    from chalicelib.store.outbox import from_stream_image

    image = {
        "pk": {"S": "BIZ#b1"},
        "sk": {"S": "MSG#a1#confirmation#email"},
        "business_id": {"S": "b1"},
        "key": {"S": "a1#confirmation#email"},
        "kind": {"S": "confirmation"},
        "channel": {"S": "email"},
        "recipient": {"S": "maija@example.com"},
        "locale": {"S": "fi"},
        "status": {"S": "pending"},
        "attempts": {"N": "0"},
        "due_at": {"S": "2026-11-23T08:00:00.000000+0000"},
        "created_at": {"S": "2026-11-23T08:00:00.000000+0000"},
    }
    released = {**image, "released_at": {"S": "2026-11-23T08:05:00.000000+0000"}}
    assert from_stream_image("MODIFY", released) is not None
    assert from_stream_image("INSERT", image) is not None
    assert from_stream_image("MODIFY", image) is None  # pending again for another reason
    assert from_stream_image("MODIFY", {**released, "attempts": {"N": "1"}}) is None  # a retry: the sweeper's
    assert from_stream_image("INSERT", {**image, "status": {"S": "parked"}}) is None
    assert from_stream_image("REMOVE", released) is None
