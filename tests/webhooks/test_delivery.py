"""Webhooks end to end against a real receiver: the owner registers an endpoint, changes
go through the API and the jobs, the outbox stream and the sweeper deliver, and the
receiver verifies every delivery with `standardwebhooks`. Faults are injected at the
receiver (down, 500, slower than the timeout, 410, 429); time moves through the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.admin.helpers import Desk
from tests.api.helpers import book, post
from tests.conftest import drain_outbox, emails_to
from tests.webhooks.receiver import Receiver

OWNER = "omistaja@salonaurora.example"
pytestmark = pytest.mark.usefixtures("receiving_locally")  # before the Chalice client sets its stage's env


def drain() -> None:
    """Hand every new stream record to the trigger until nothing new comes (an event's
    fan-out writes its deliveries, which are new records themselves)."""
    for _ in range(5):
        if not drain_outbox():
            return


def sweep(frozen_now, after: timedelta = timedelta(0)):
    """Move the clock and run the sweeper once, as its every-minute schedule would
    (tests.history); what it did."""
    from tests.history import run_on_schedule

    frozen_now["now"] += after
    return run_on_schedule("send_due", frozen_now["now"])


def retry_due(hook, frozen_now, after: timedelta) -> None:
    """Move the clock by hours or days and hand each delivery due by then to the sender,
    as the sweeper does (its per-message code), without reading every hour in between."""
    from chalicelib.notify import dispatch

    frozen_now["now"] += after
    for d in deliveries(hook["business"], hook["endpoint"]):
        if d.status in ("pending", "sending") and d.due_at <= frozen_now["now"]:
            dispatch.send_once(d, frozen_now["now"])


def deliveries(business_id: str, endpoint_id: str):
    from chalicelib.store import webhooks

    return webhooks.delivery_log(business_id, endpoint_id, 100)


@pytest.fixture
def receiving_locally(env, monkeypatch):
    """The tests' receiver listens on 127.0.0.1: allowed (local stages only); a short timeout."""
    from chalicelib.settings import reset_settings

    monkeypatch.setenv("REBOOK_WEBHOOKS_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("REBOOK_WEBHOOK_TIMEOUT", "0.3")
    reset_settings()


@pytest.fixture
def hook(client, aws, frozen_now):
    """The demo salon's desk, a receiver, and an endpoint for the events below pointed at it."""
    desk = Desk(client, aws.id)
    secrets: list[str] = []
    receiver = Receiver(lambda: list(secrets), lambda: frozen_now["now"])
    status, body = desk.post(
        "/webhooks", {"url": receiver.url, "events": ["booking.created", "booking.cancelled", "client.created"]}
    )
    assert status == 201, body
    assert body["secret"].startswith("whsec_")
    secrets.append(body["secret"])
    drain()
    yield {"desk": desk, "receiver": receiver, "endpoint": body["id"], "secrets": secrets, "business": aws.id}
    if receiver.hold is not None:
        receiver.hold.set()
    receiver.stop()


def _book(client, start="2026-11-25T12:00:00+02:00", **kw):
    status, body = book(client, start, **kw)
    assert status == 201, body
    drain()
    return body


def test_a_booking_reaches_the_receiver_signed_once_with_ids_only(client, hook, frozen_now):
    r = hook["receiver"]
    body = _book(client)
    assert sorted(r.types()) == ["booking.created", "client.created"]
    assert r.rejected == []
    created = next(d for d in r.deliveries if d.payload["type"] == "booking.created")
    data = created.payload["data"]
    assert data["booking_id"] == body["id"]
    assert data["service_id"] == "womens-cut" and data["staff_id"] == "aino"
    flat = str(created.payload)
    for personal in ("Maija", "maija@example.com", "123 4567"):
        assert personal not in flat  # ids, not people
    assert created.timestamp == str(int(frozen_now["now"].timestamp()))
    # The stream handing the same records over again, and the sweeper after it: nothing twice.
    drain()
    sweep(frozen_now, timedelta(minutes=10))
    retry_due(hook, frozen_now, timedelta(days=2))
    assert len(r.deliveries) == 2
    log = deliveries(hook["business"], hook["endpoint"])
    assert {d.status for d in log} == {"sent"} and len(log) == 2


def test_events_not_wanted_are_not_sent_and_other_sources_emit_too(client, hook, frozen_now):
    r, desk = hook["receiver"], hook["desk"]
    body = _book(client)
    # The owner cancels at the desk: booking.cancelled (wanted); a visit mark is not wanted.
    status, answer = desk.post(f"/appointments/{body['id']}/cancel", {"reason": "Called in sick"})
    assert status == 200, answer
    drain()
    assert r.types().count("booking.cancelled") == 1
    cancelled = next(d for d in r.deliveries if d.payload["type"] == "booking.cancelled")
    assert "sick" not in str(cancelled.payload)  # the owner's free text stays home
    assert set(r.types()) == {"booking.created", "client.created", "booking.cancelled"}


def test_receiver_errors_are_retried_on_the_schedule_until_a_2xx_then_never_again(client, hook, frozen_now):
    r = hook["receiver"]
    r.answer = 500
    _book(client)
    assert len(r.deliveries) == 2  # the first attempts, both answered 500
    [d] = [d for d in deliveries(hook["business"], hook["endpoint"]) if d.context["event"]["type"] == "booking.created"]
    assert d.status == "pending" and d.last_error == "http_500" and d.attempts == 1
    assert timedelta(seconds=4) <= d.due_at - frozen_now["now"] <= timedelta(seconds=6)
    r.answer = 200
    sweep(frozen_now, timedelta(seconds=10))
    assert len(r.deliveries) == 4
    assert len(set(r.ids())) == 2  # the retry carries the same webhook-id: receivers dedupe on it
    retry_due(hook, frozen_now, timedelta(days=2))
    assert len(r.deliveries) == 4  # delivered: never again
    assert {d.status for d in deliveries(hook["business"], hook["endpoint"])} == {"sent"}


def test_receiver_down_then_back_loses_nothing(client, hook, frozen_now):
    r = hook["receiver"]
    r.stop()
    _book(client)
    log = deliveries(hook["business"], hook["endpoint"])
    assert {d.status for d in log} == {"pending"} and {d.last_error for d in log} == {"ConnectionRefusedError"}
    retry_due(hook, frozen_now, timedelta(seconds=10))  # still down: a second failure, due in ~5 min
    assert {d.attempts for d in deliveries(hook["business"], hook["endpoint"])} == {2}
    r.start()
    retry_due(hook, frozen_now, timedelta(minutes=6))
    assert sorted(r.types()) == ["booking.created", "client.created"]


def test_slower_than_the_timeout_is_retried(client, hook, frozen_now, monkeypatch):
    import threading

    from chalicelib.settings import reset_settings

    r = hook["receiver"]
    r.hold = threading.Event()
    _book(client)
    log = deliveries(hook["business"], hook["endpoint"])
    assert {d.last_error for d in log} == {"timeout"} and {d.status for d in log} == {"pending"}
    r.hold.set()
    r.hold = None
    # The receiver answers now: the retry's own timeout as in AWS, so that a busy machine's
    # slow answer is not taken for the receiver hanging again.
    monkeypatch.setenv("REBOOK_WEBHOOK_TIMEOUT", "5")
    reset_settings()
    retry_due(hook, frozen_now, timedelta(seconds=10))
    log = deliveries(hook["business"], hook["endpoint"])
    assert {d.status for d in log} == {"sent"} and {d.provider_id for d in log} == {"http_200"}


def _dripping_receiver(head: bytes, drip: bytes, seconds: float):
    """A receiver that reads the request, sends `head`, then one byte of `drip` every
    0.05 s for `seconds` (each byte well within any socket timeout); its port and a stop."""
    import socket
    import threading
    import time

    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def run():
        conn, _ = server.accept()
        try:
            conn.recv(65536)
            conn.sendall(head)
            until = time.monotonic() + seconds
            for byte in drip:
                if time.monotonic() > until or stop.wait(0.05):
                    break
                conn.sendall(bytes([byte]))
        except OSError:
            pass  # the sender hung up
        finally:
            conn.close()
            server.close()

    threading.Thread(target=run, daemon=True).start()
    return server.getsockname()[1], stop


@pytest.mark.parametrize(
    ("head", "drip"),
    [
        (b"", b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 1000),  # the status line and headers
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", b"a" * 1000),  # the body
    ],
    ids=["headers", "body"],
)
def test_a_receiver_dripping_its_answer_is_cut_off_at_the_timeout(head, drip):
    """REBOOK_WEBHOOK_TIMEOUT is what one attempt may take in all: a receiver answering a
    byte at a time (for 5 s here) holds it no longer than that (1 s), and it is a timeout,
    retried."""
    import time

    from chalicelib.domain import webhooks as rules
    from chalicelib.notify.webhooks import post

    port, stop = _dripping_receiver(head, drip, seconds=5)
    started = time.monotonic()
    try:
        answer = post(f"http://127.0.0.1:{port}/hook", b"{}", {}, timeout=1.0, allow_private=True)
    finally:
        stop.set()
    took = time.monotonic() - started
    assert 0.9 <= took < 2, f"one attempt took {took:.1f} s with a 1 s timeout"
    assert answer == rules.Response(None, error="timeout")
    assert rules.judge(answer, 0).outcome == "pending"


def test_a_name_server_that_does_not_answer_is_cut_off_at_the_timeout(monkeypatch):
    """The DNS lookup is inside the attempt's deadline too: a resolver hanging (for 5 s
    here) holds the attempt no longer than the timeout (1 s), and it is a timeout, retried."""
    import socket
    import threading
    import time

    from chalicelib.domain import webhooks as rules
    from chalicelib.notify.webhooks import post

    released = threading.Event()
    real = socket.getaddrinfo

    def slow_name_server(*args, **kwargs):
        released.wait(5)
        return real(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow_name_server)
    started = time.monotonic()
    try:
        answer = post("http://hooks.example.invalid/hook", b"{}", {}, timeout=1.0, allow_private=False)
    finally:
        released.set()
    took = time.monotonic() - started
    assert 0.9 <= took < 2, f"one attempt took {took:.1f} s with a 1 s timeout"
    assert answer == rules.Response(None, error="timeout")
    assert rules.judge(answer, 0).outcome == "pending"


def test_a_410_disables_the_endpoint_and_tells_the_owner(client, hook, frozen_now):
    r, desk = hook["receiver"], hook["desk"]
    r.answer = 410
    _book(client)
    status, ep = desk.get(f"/webhooks/{hook['endpoint']}")
    assert status == 200 and ep["enabled"] is False and ep["disabled_reason"] == "gone"
    assert {d.status for d in deliveries(hook["business"], hook["endpoint"])} == {"failed"}
    assert len(emails_to(OWNER, r.url.split("?")[0])) == 1  # told once, though two deliveries got 410
    seen = len(r.deliveries)
    _book(client, "2026-11-26T12:00:00+02:00", phone="040 765 4321", email="liisa@example.com")
    retry_due(hook, frozen_now, timedelta(days=2))
    assert len(r.deliveries) == seen  # a disabled endpoint gets nothing


def test_429_with_retry_after_slows_down(client, hook, frozen_now):
    r = hook["receiver"]
    r.answer = (429, {"Retry-After": "3600"})
    _book(client)
    for d in deliveries(hook["business"], hook["endpoint"]):
        assert d.status == "pending" and d.due_at - frozen_now["now"] >= timedelta(hours=1)
    retry_due(hook, frozen_now, timedelta(minutes=30))
    assert len(r.deliveries) == 2  # not before the hour
    retry_due(hook, frozen_now, timedelta(hours=3))
    assert len(r.deliveries) == 4


def test_a_2xx_with_a_retry_after_date_out_of_range_is_delivered_once(client, hook, frozen_now):
    """A receiver's absurd Retry-After (the year 99999999999) on a 200: the delivery is on
    record as sent, and no lease running out sends it again."""
    r = hook["receiver"]
    r.answer = (200, {"Retry-After": "Mon, 01 Jan 99999999999 00:00:00 GMT"})
    _book(client)
    for _ in range(3):
        sweep(frozen_now, timedelta(minutes=30))
    assert sorted(r.types()) == ["booking.created", "client.created"]
    log = deliveries(hook["business"], hook["endpoint"])
    assert [(d.status, d.attempts, d.last_error) for d in log] == [("sent", 1, None)] * 2


def test_a_fault_of_ours_in_an_attempt_is_on_record_and_retried_not_held(client, hook, frozen_now, monkeypatch):
    """post() never raises: whatever breaks while reading an answer is an attempt that
    failed (retried on the schedule), never a delivery left held and sent after each lease."""
    from chalicelib.domain import webhooks as rules

    def broken(value, now):
        raise RuntimeError("a bug")

    monkeypatch.setattr(rules, "parse_retry_after", broken)
    _book(client)
    log = deliveries(hook["business"], hook["endpoint"])
    assert [(d.status, d.attempts, d.last_error) for d in log] == [("pending", 1, "RuntimeError")] * 2


def test_retries_span_more_than_a_day_then_stop(client, hook, frozen_now):
    from chalicelib.domain.messages import MAX_ATTEMPTS

    r = hook["receiver"]
    r.answer = 503
    _book(client, phone=None)
    start = frozen_now["now"]
    for _ in range(MAX_ATTEMPTS + 2):
        pending = [d for d in deliveries(hook["business"], hook["endpoint"]) if d.status == "pending"]
        if not pending:
            break
        retry_due(hook, frozen_now, max(d.due_at for d in pending) - frozen_now["now"] + timedelta(seconds=1))
    log = deliveries(hook["business"], hook["endpoint"])
    assert {d.status for d in log} == {"failed"} and {d.attempts for d in log} == {MAX_ATTEMPTS}
    assert frozen_now["now"] - start >= timedelta(hours=24)
    assert r.rejected == [] and len(r.deliveries) == MAX_ATTEMPTS * len(log)  # every retry signed


def test_an_endpoint_failing_for_five_days_is_disabled(client, hook, frozen_now):
    from dataclasses import replace

    from chalicelib.store import webhooks

    e = webhooks.get_endpoint(hook["business"], hook["endpoint"])
    assert e is not None
    webhooks.save_endpoint(replace(e, failing_since=frozen_now["now"] - timedelta(days=5)), e.version)
    hook["receiver"].answer = 500
    _book(client)
    _, ep = hook["desk"].get(f"/webhooks/{hook['endpoint']}")
    assert ep["enabled"] is False and ep["disabled_reason"] == "failing"
    assert len(emails_to(OWNER, "5")) == 1
    assert len(emails_to(OWNER, "Webhook-osoite kytkettiin pois")) == 1  # the salon's language


def test_the_owners_email_of_an_endpoint_switched_off_is_in_her_language(client, hook, frozen_now):
    from dataclasses import replace

    from chalicelib.store import webhooks

    salon = hook["desk"].get("/settings")[1]["sections"]["salon"]
    assert hook["desk"].put("/settings/salon", {**salon, "owner_locale": "en"})[0] == 200
    e = webhooks.get_endpoint(hook["business"], hook["endpoint"])
    assert e is not None
    webhooks.save_endpoint(replace(e, failing_since=frozen_now["now"] - timedelta(days=5)), e.version)
    hook["receiver"].answer = 500
    _book(client)
    assert len(emails_to(OWNER, "A webhook endpoint was switched off")) == 1
    assert emails_to(OWNER, "Webhook-osoite") == []


def test_after_a_rotation_both_signatures_are_sent_for_a_day(client, hook, frozen_now):
    r, desk = hook["receiver"], hook["desk"]
    old = hook["secrets"][0]
    status, rotated = desk.post(f"/webhooks/{hook['endpoint']}/rotate-secret")
    assert status == 200 and rotated["secret"] != old and rotated["previous_secret_expires_at"]
    hook["secrets"].append(rotated["secret"])
    _book(client)
    assert all(len(d.signatures) == 2 and set(d.verified_with) == {old, rotated["secret"]} for d in r.deliveries)
    frozen_now["now"] += timedelta(hours=25)
    _book(client, "2026-11-27T12:00:00+02:00")
    last = r.deliveries[-1]
    assert len(last.signatures) == 1 and last.verified_with == [rotated["secret"]]


def test_replay_sends_the_same_event_again(client, hook, frozen_now):
    r, desk = hook["receiver"], hook["desk"]
    _book(client, phone=None)
    status, log = desk.get(f"/webhooks/{hook['endpoint']}/deliveries")
    assert status == 200 and len(log["deliveries"]) == 2
    first = next(d for d in log["deliveries"] if d["event_type"] == "booking.created")
    assert first["status"] == "sent" and first["response"] == "http_200"
    status, again = desk.post(f"/webhooks/{hook['endpoint']}/deliveries/{first['id']}/replay")
    assert status == 202, again
    drain()
    assert r.ids().count(first["event_id"]) == 2
    _, log = desk.get(f"/webhooks/{hook['endpoint']}/deliveries")
    assert len(log["deliveries"]) == 3


def test_export_lists_the_endpoints_and_erasure_tells_receivers(client, hook, frozen_now):
    r, desk = hook["receiver"], hook["desk"]
    status, _ = desk.patch(f"/webhooks/{hook['endpoint']}", {"events": ["booking.created", "client.erased"]})
    assert status == 200
    body = _book(client)
    client_id = next(d.payload["data"]["client_id"] for d in r.deliveries)
    status, export = desk.get(f"/clients/{client_id}/export")
    assert status == 200
    assert export["webhook_endpoints"] == [{"id": hook["endpoint"], "url": r.url}]
    assert not [m for m in export["messages"] if m.get("kind", "").startswith("webhook")]
    desk.post(f"/appointments/{body['id']}/cancel", {})
    status, answer = desk.delete(f"/clients/{client_id}")
    assert status == 200, answer
    drain()
    erased = [d for d in r.deliveries if d.payload["type"] == "client.erased"]
    assert len(erased) == 1 and erased[0].payload["data"] == {
        "client_id": client_id,
        "erased_at": erased[0].payload["data"]["erased_at"],
        "action": "erase",
    }


def test_no_delivery_to_private_addresses_without_the_setting(client, hook, frozen_now):
    from chalicelib.settings import get_settings

    settings = get_settings()
    object.__setattr__(settings, "webhooks_allow_private", False)  # as in AWS
    try:
        _book(client)
        status, body = hook["desk"].post(
            "/webhooks", {"url": "https://169.254.169.254/latest", "events": ["booking.created"]}
        )
    finally:
        object.__setattr__(settings, "webhooks_allow_private", True)
    assert hook["receiver"].deliveries == []
    assert {d.last_error for d in deliveries(hook["business"], hook["endpoint"])} == {"blocked_address"}
    assert status == 422 and "url" in body["error"]["fields"]


def test_booking_adds_no_database_request_for_its_webhook(client, hook):
    """The event rides in the booking's own transaction: the same requests as without it."""
    from tests.conftest import dynamodb_calls

    with dynamodb_calls() as calls:
        status, _ = post(
            client,
            "/api/v1/businesses/demo/bookings",
            {
                "service": "womens-cut",
                "staff": "aino",
                "start": "2026-11-25T12:00:00+02:00",
                "client": {"name": "A B", "email": "ab@example.com"},
            },
        )
    assert status == 201
    assert calls.count("TransactWriteItems") == 1
    assert "PutItem" not in calls and "UpdateItem" not in calls


def test_client_changes_say_which_fields_changed_never_their_values(client, hook, frozen_now):
    from chalicelib.store import marketing

    r, desk = hook["receiver"], hook["desk"]
    desk.patch(f"/webhooks/{hook['endpoint']}", {"events": ["client.created", "client.updated"]})
    _book(client, consents={"marketing": True})
    client_id = r.deliveries[0].payload["data"]["client_id"]
    status, _ = desk.patch(f"/clients/{client_id}", {"birthday": "--12-24", "allergies": "ammonia"})
    assert status == 200
    marketing.unsubscribe(hook["business"], client_id, frozen_now["now"], "link")  # from her email's link
    drain()
    updates = [d.payload["data"] for d in r.deliveries if d.payload["type"] == "client.updated"]
    assert updates == [
        {"client_id": client_id, "changed": ["allergies", "birthday"]},
        {"client_id": client_id, "changed": ["marketing_consent"]},
    ]
    assert "ammonia" not in str([d.payload for d in r.deliveries])


def test_a_receivers_retry_after_that_is_no_number_of_seconds_is_not_obeyed():
    """A receiver's header, not ours: superscript or Arabic-Indic digits, or a number of
    seconds beyond years, are no answer (the usual backoff), never a crash of the sender."""
    from chalicelib.domain.webhooks import parse_retry_after

    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert parse_retry_after("3600", now) == timedelta(hours=1)
    for odd in ("²", "١٢٠", "9" * 5000, "99999999999", "Mon, 01 Jan 99999999999 00:00:00 GMT"):
        assert parse_retry_after(odd, now) is None, odd
