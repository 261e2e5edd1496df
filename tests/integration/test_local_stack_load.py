"""`make run` under load: 50 clients race for one time against the real local stack
(scripts/local_stack.py: DynamoDB Local, the mock AWS server and the API server), each
on a connection of its own opened at the same moment. Exactly one books it, the other
49 hear 409, and no connection is reset or refused on the way (issue 18: `chalice
local`'s listen backlog of 5 reset 4 of 20)."""

from __future__ import annotations

import http.client
import json
import threading

import pytest

pytestmark = pytest.mark.integration

CLIENTS = 50
PIN = "2026-11-23T10:00:00+02:00"  # Monday morning in Helsinki
SLOT = "2026-11-25T12:00:00+02:00"  # Wednesday noon: Aino works


@pytest.fixture(scope="module")
def stack():
    from scripts.local_stack import scratch_stack

    with scratch_stack("rebook-load-", PIN, timeout=120) as local:
        yield local


def _post(port: int, i: int, barrier: threading.Barrier) -> tuple[int, dict] | BaseException:
    body = json.dumps(
        {
            "service": "womens-cut",
            "staff": "aino",
            "start": SLOT,
            "client": {"name": f"Racer {i}", "email": f"racer{i}@example.com"},
        }
    )
    barrier.wait(timeout=60)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/api/v1/businesses/demo/bookings", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    except BaseException as e:  # a reset, a refused connection, a timeout: the test reports it
        return e
    finally:
        conn.close()


def test_fifty_concurrent_clients_book_one_time_once_with_no_reset(stack):
    barrier = threading.Barrier(CLIENTS)
    results: list = [None] * CLIENTS

    def run(i: int) -> None:
        results[i] = _post(stack.port, i, barrier)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)

    failures = [r for r in results if not isinstance(r, tuple)]
    assert not failures, f"{len(failures)} of {CLIENTS} requests failed: {failures[:5]}"
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1, statuses
    others = [(status, body) for status, body in results if status not in (201, 409)]
    assert not others, others[:3]
    assert statuses.count(409) == CLIENTS - 1, statuses
    assert {body["error"]["code"] for status, body in results if status == 409} == {"slot_taken"}


def test_the_confirmation_leaves_within_seconds_from_the_stream(stack):
    """The local stack sends as the deployed one does: after the 201, from DynamoDB Local's
    stream (scripts/outbox_stream.py), within seconds and not in the request."""
    import time

    from scripts.mock_aws import get_sent_raw

    def confirmations() -> list[dict]:
        return [e for e in get_sent_raw(stack.aws.endpoint)["emails"] if "streamed@example.com" in e["destinations"]]

    body = {
        "service": "womens-cut",
        "staff": "aino",
        "start": "2026-11-25T15:00:00+02:00",
        "client": {"name": "Streamed Client", "email": "streamed@example.com"},
    }
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)
    conn.request("POST", "/api/v1/businesses/demo/bookings", json.dumps(body), {"Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 201, response.read()
    answered = time.monotonic()
    conn.close()
    deadline = answered + 10
    while not confirmations():
        assert time.monotonic() < deadline, "no confirmation from the outbox stream 10 s after the 201"
        time.sleep(0.05)
    assert len(confirmations()) == 1
