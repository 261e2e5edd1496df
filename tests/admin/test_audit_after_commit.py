"""A change that has committed is answered as made even when its audit entry cannot be
written afterwards (the failure is logged): a 500 would have her make it again."""

from __future__ import annotations

import json

import pytest

from tests.admin.test_authorization import WAITING


def _feed_url(desk, feed):
    return next(f["url"] for f in desk.get("/calendar-feeds")[1]["feeds"] if f["feed"] == feed)


# (method, path, body, the status it answers, what a read afterwards shows of the change)
WRITES = [
    (
        "POST",
        "/clients/{client}/notes",
        {"text": "Prefers mornings"},
        201,
        lambda desk, ids, _: "Prefers mornings" in json.dumps(desk.get(f"/clients/{ids['client']}/notes")[1]),
    ),
    (
        "POST",
        "/clients/{client}/follow-ups",
        {"goal": "Healthier hair"},
        201,
        lambda desk, ids, _: "Healthier hair" in json.dumps(desk.get(f"/clients/{ids['client']}/follow-ups")[1]),
    ),
    (
        "POST",
        "/clients/{client}/loyalty/adjustments",
        {"stamps": 3, "reason": "Paid visit at the fair"},
        201,
        lambda desk, ids, answer: desk.get(f"/clients/{ids['client']}/loyalty")[1] == answer,
    ),
    (
        "POST",
        "/api-keys",
        {"name": "Website", "scopes": ["read"]},
        201,
        lambda desk, ids, answer: answer["id"] in json.dumps(desk.get("/api-keys")[1]),
    ),
    (
        "POST",
        "/calendar-feeds/aino/rotate",
        None,
        200,
        lambda desk, ids, answer: _feed_url(desk, "aino") in json.dumps(answer),
    ),
    (
        "POST",
        "/waitlist",
        WAITING,
        201,
        lambda desk, ids, answer: answer["id"] in json.dumps(desk.get("/waitlist?from=2026-11-25&to=2026-11-26")[1]),
    ),
    (
        "POST",
        "/webhooks",
        {"url": "https://hooks.example.com/rebook", "events": ["client.erased"]},
        201,
        lambda desk, ids, answer: answer["id"] in json.dumps(desk.get("/webhooks")[1]),
    ),
    (
        "POST",
        "/time-off",
        {"staff": "sanna", "start": "2026-12-02T10:00", "end": "2026-12-02T11:00"},
        201,
        lambda desk, ids, answer: answer["id"] in json.dumps(desk.get("/time-off?from=2026-12-02&to=2026-12-02")[1]),
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "expected", "landed"), WRITES, ids=[w[1] for w in WRITES])
def test_a_write_whose_audit_fails_after_the_commit_is_answered_as_made(
    desk, booked, monkeypatch, method, path, body, expected, landed
):
    from chalicelib.store import audit

    def throttled(*a, **kw):
        raise RuntimeError("audit table throttled")

    from chalicelib.services.admin import common

    monkeypatch.setattr(audit, "record", throttled)
    lost: list[int] = []  # the AuditLost alarm's series (docs/deploy.md)
    monkeypatch.setattr(common, "count_audit_lost", lambda: lost.append(1))
    status, answer = getattr(desk, method.lower())(path.format(client=booked["client"]), body)
    assert status == expected, answer
    assert lost == [1], "the hole in the audit trail is counted for the alarm"
    monkeypatch.undo()
    assert landed(desk, booked, answer), answer
