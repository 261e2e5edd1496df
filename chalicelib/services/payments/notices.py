"""What the client is told about money after the booking: a fee her bank wants her to
confirm (with the pay link), a payment refunded because it came after the hold ran out.
Transactional messages through the outbox, once each (keyed by booking and notice)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.booking import Appointment
from chalicelib.domain.config import Business
from chalicelib.domain.messages import PlannedMessage
from chalicelib.services import message_plans
from chalicelib.store import clients


def plan(
    b: Business,
    appt: Appointment,
    notice: str,
    amount_cents: int,
    now: datetime,
    fee_kind: str | None = None,
    pay_url: str | None = None,
) -> list[PlannedMessage]:
    client = clients.get_client(b.id, appt.client_id)
    if client is None or client.is_erased:
        return []
    context = message_plans.booking_context(b, appt, client.name)
    context.update(notice=notice, amount_cents=amount_cents, fee_kind=fee_kind, pay_url=pay_url)
    to = {ch: r for ch, r in (("email", client.email), ("sms", message_plans.sms_to(b, client.phone))) if r}
    return [
        message_plans.about_visit(
            appt, f"{appt.id}#payment-{notice}-{fee_kind or 'late'}#{ch}", "payment_notice", ch, recipient, context, now
        )
        for ch, recipient in to.items()
    ]
