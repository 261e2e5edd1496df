"""Sample message contexts shared by the notify tests."""

from __future__ import annotations

import copy

import pytest

BASE_CONTEXT = {
    "business": {
        "name": "Salon Aurora",
        "address": "Fredrikinkatu 20, 00120 Helsinki",
        "phone": "+358 9 1234567",
        "slug": "demo",
        "timezone": "Europe/Helsinki",
        "sms_sender": "Aurora",
    },
    "client": {"name": "Maija Meikäläinen", "first_name": "Maija"},
    "service": {"name": "Naisten hiustenleikkaus", "duration_minutes": 60, "price_cents": 6900},
    "staff": {"name": "Aino"},
    "start": "2026-11-24T14:00:00+02:00",
    "end": "2026-11-24T15:00:00+02:00",
    "previous_start": "2026-11-23T10:00:00+02:00",
    "manage_url": "http://127.0.0.1:8000/m/tok_abc123",
    "book_url": "http://127.0.0.1:8000/book/demo",
    "appointment_id": "abc123",
    "cancellation_deadline": "2026-11-23T14:00:00+02:00",
    "note": None,
}

# Long but real-looking names, and a manage link as long as signed tokens make them.
LONG_URL = "https://varaa.rebook.fi/m/" + "eyJhIjoiYjEyMyIsInAiOiJtYW5hZ2UifQ.Xk3_9fQ-pLmN8sT2vW4yZ6bC1dE5gH7jK0"[:64]
assert len(LONG_URL) == 90
LONG_NAMES = {
    "business": {"name": "Parturi-Kampaamo Hiusateljee Kaunotar", "sms_sender": "Kaunotar"},
    "client": {"name": "Maija-Liisa Virtanen-Hämäläinen", "first_name": "Maija-Liisa"},
    "service": {"name": "Naisten hiustenleikkaus ja föönaus"},
    "staff": {"name": "Anna-Kaisa"},
    "manage_url": LONG_URL,
    "book_url": "https://varaa.rebook.fi/book/parturi-kampaamo-hiusateljee-kaunotar",
}


@pytest.fixture(autouse=True)
def sent_before_the_deadline(monkeypatch):
    """The sample messages are rendered as sent on Fri 20 Nov, well before the sample's
    change deadline (Mon 23 Nov 14:00): they offer the change. A message sent past its
    deadline offers none (tests/api/test_change_deadline.py)."""
    from datetime import datetime

    from chalicelib import clock

    monkeypatch.setattr(clock, "now", lambda: datetime.fromisoformat("2026-11-20T12:00:00+02:00"))


def build_context(**overrides) -> dict:
    """A fresh context; dict overrides of business/client/service/staff are merged."""
    ctx: dict = copy.deepcopy(BASE_CONTEXT)
    for key, value in copy.deepcopy(overrides).items():
        if isinstance(value, dict) and isinstance(ctx.get(key), dict):
            ctx[key].update(value)
        else:
            ctx[key] = value
    return ctx


@pytest.fixture(scope="session")
def make_context():
    return build_context


@pytest.fixture
def context() -> dict:
    return build_context()


@pytest.fixture
def long_context() -> dict:
    return build_context(**LONG_NAMES)
