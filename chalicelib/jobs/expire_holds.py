"""Every minute: bookings held unpaid whose hold has run out (index g4
HOLD#<hour>#<shard>, never a Scan) are settled with Stripe's own word first — a payment
that went through confirms the booking (a missed webhook) — and otherwise released,
their time freed. Running twice, or at once, ends each hold once (store/payments.py)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.observability import logger
from chalicelib.services.payments import holds

JOB = "expire_holds"


def run(now: datetime, simulated: bool = False) -> dict[str, int]:
    summary = holds.sweep(now)
    logger().info("expire_holds finished", extra=summary)
    return summary
