"""Outgoing messages as the rules plan them: who gets what, on which channel, when.

The outbox (chalicelib.notify.outbox) stores, claims and sends them; the texts
themselves live in the templates (chalicelib.notify.templates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class PlannedMessage:
    key: str  # idempotency key: one message per (appointment, kind, channel, ...)
    kind: str
    channel: str  # "email" | "sms"
    recipient: str
    locale: str
    context: dict
    due_at: datetime
    business_id: str
    appointment_id: str | None = None
    appointment_seq: int | None = None
    client_id: str | None = None
    meta: dict = field(default_factory=dict)


def booking_message_keys(appointment_id: str, kind: str, seq: int, channels: list[str]) -> dict[str, str]:
    """Keys for the messages one booking event sends, one per channel.

    A confirmation or cancellation happens once per booking; a booking may be moved
    several times, so reschedule messages carry the booking's change counter.
    """
    suffix = f"{kind}#{seq}" if kind == "rescheduled" else kind
    return {ch: f"{appointment_id}#{suffix}#{ch}" for ch in channels}
