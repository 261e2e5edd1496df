"""Two runs of the sweeper at the same moment, in two processes, against DynamoDB Local
and the mock SES/SNS server: every reminder goes out exactly once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.history import ran_on_schedule_until, run_on_schedule
from tests.integration.conftest import race

pytestmark = pytest.mark.integration

BOOKED_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
RUN_AT = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)  # 10:30 local: 24 h emails and 2 h SMS due
VISITS = [f"2026-11-25T{h}:00:00+02:00" for h in ("11", "13", "15", "17", "19")] + [
    f"2026-11-25T{h}:00:00+02:00" for h in ("12", "14", "16")
]


def _slowly(send):
    """A provider that takes 50 ms to answer."""
    import time

    def slow(*a, **kw):
        time.sleep(0.05)
        return send(*a, **kw)

    return slow


def _sweep(i, barrier):

    from chalicelib.jobs import send_due
    from chalicelib.notify import channels
    from chalicelib.store import db

    # A slow provider keeps both runs busy at the same time.
    for name in ("send_email", "send_sms"):
        real = getattr(channels, name)
        setattr(channels, name, _slowly(real))
    db._configured_for = None
    db.configure()
    barrier.wait(timeout=60)
    # Each run gets time to finish what it claims (a fresh process's first sends are slow
    # on a busy machine); stopping by budget is tests/jobs/test_backlogs.py's subject.
    return send_due.run(RUN_AT, budget_seconds=300).as_dict()


def test_two_simultaneous_runs_send_each_reminder_once(real_stack, mock_aws_server, monkeypatch):
    from chalice.test import Client

    from app import app
    from chalicelib import clock
    from chalicelib.api.dev_messages import fetch_sent
    from chalicelib.store import db

    monkeypatch.setattr(clock, "now", lambda: BOOKED_AT)
    with Client(app) as c:
        for i, start in enumerate(VISITS):
            staff = "aino" if start[11:13] in ("11", "13", "15", "17", "19") else "sanna"
            body = {
                "service": "womens-cut",
                "staff": staff,
                "start": start,
                "client": {"name": f"Client {i}", "phone": f"+3584077700{i:02d}", "email": f"client{i}@example.com"},
            }
            r = c.http.post(
                "/api/v1/businesses/demo/bookings", body=json.dumps(body), headers={"Content-Type": "application/json"}
            )
            assert r.status_code == 201, r.body
    # Right after the bookings their plan items are expanded (by the outbox stream; here
    # by the sweeper, as when the stream is down): the confirmations go, the reminders wait.
    assert run_on_schedule("send_due", BOOKED_AT).expanded == len(VISITS)
    before = fetch_sent(mock_aws_server.endpoint)
    sent_before = len(before["emails"]) + len(before["sms"])

    # The schedule's runs until the first reminder had nothing to do; the two racers
    # go on from there (not through the 24 empty hours before it).
    ran_on_schedule_until("send_due", RUN_AT)
    db._configured_for = None
    summaries = race(_sweep, 2)

    after = fetch_sent(mock_aws_server.endpoint)
    new_emails = after["emails"][len(before["emails"]) :]
    new_sms = after["sms"][len(before["sms"]) :]
    # Each visit: one 24 h email; the 2 h SMS is due only for the 11:00 and 12:00 visits.
    assert sorted(e["to"][0] for e in new_emails) == sorted(f"client{i}@example.com" for i in range(len(VISITS)))
    assert len(new_sms) == 2 and len({s["to"] for s in new_sms}) == 2
    assert sum(s["sent"] for s in summaries) == len(new_emails) + len(new_sms)
    # The runs really did overlap: one lost a claim to the other, or (paging through the
    # due index, each finds what the other claimed already gone from its page) they
    # shared the messages between them.
    assert sum(s["taken"] for s in summaries) >= 1 or all(s["sent"] for s in summaries), summaries
    assert len(after["emails"]) + len(after["sms"]) == sent_before + len(VISITS) + 2
