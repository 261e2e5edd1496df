"""Sending one outbox message, exactly once, whoever hands it over.

Freed time rides the outbox too (an item written with the change that freed it): its
items are handed to the waitlist's refill (services/waitlist/refill.py `handle`). So
does a refund a cancellation owes (an item written with the cancellation), handed to
services/payments/fees.py `handle`.

Two callers hand messages here: the outbox stream (chalicelib/services/outbox_stream.py,
a message right after the transaction that wrote it) and the sweeper
(chalicelib/jobs/send_due.py: whatever is due, retries, anything the stream missed).
Either may hand the same message over twice, or both at once: only the caller whose
conditional claim succeeds sends, so nothing is sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain import feedback as feedback_rules
from chalicelib.domain import reminders as reminder_rules
from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.config import Business, QuietHours
from chalicelib.domain.messages import (
    BOOKING_PLAN,
    CLIENT_KINDS,
    MARKETING_KINDS,
    VISIT_KINDS,
    Message,
    MessageStatus,
    fee_as_told,
    held_news_before,
    marketing_dropped,
    refund_as_told,
    salon_money_news,
    visit_as_planned,
)
from chalicelib.domain.timeutil import parse_utc
from chalicelib.domain.webhooks import CHANNEL as WEBHOOK_CHANNEL
from chalicelib.notify import outbox
from chalicelib.observability import count_message, logger
from chalicelib.store import bookings, businesses, clients, payments
from chalicelib.store import outbox as store

# How long a sender holds a claimed message; if it dies mid-send, the sweeper takes
# the message again after this.
SEND_LEASE = timedelta(minutes=5)
# A text about a fee whose refund is still being made (messages.FEE_AS_TOLD `settling`)
# looks again this much later; the refund's own retries end within hours (outbox backoff).
FEE_SETTLING_RECHECK = timedelta(minutes=15)


@dataclass(frozen=True)
class Handled:
    """What came of handing a message over: sent, skipped, deferred, retry, failed,
    fanned_out (a webhook event turned into its deliveries), expanded (a booking's plan
    item turned into its messages, those due sent at once: `then`),
    taken (another sender won the claim) or held (another sender has it in hand right
    now, or got to it first: nothing to count); and why."""

    outcome: str
    reason: str | None = None
    # A booking's plan expanded: what came of the messages it sent at once.
    then: tuple[Handled, ...] = field(default=())


def claim_work(m: Message, now: datetime, lease: timedelta) -> tuple[Business, Message] | str:
    """An outbox item that is work rather than a message (freed time, an owed refund),
    claimed for its handler: (its business, the item as claimed), or what came instead
    in the sweeper's words — held (in another's hand), taken (another claimed it first),
    skipped (the business is gone)."""
    if m.status == MessageStatus.SENDING.value and m.lease_until and m.lease_until > now:
        return "held"
    result, claimed = store.claim(m, now, lease)
    if result != store.Claim.CLAIMED:
        return "taken"
    b = businesses.get_by_id(m.business_id)
    if b is None:
        store.skip(claimed, "business_gone", now)
        return "skipped"
    return b, claimed


def _send_rules(m: Message) -> tuple[QuietHours, ZoneInfo] | None:
    """Quiet hours and time zone the message was planned with; messages planned before
    they were stored with it fall back to the business's current config — as the salon's
    money news does on purpose (services/payments/notices.py: it stores none, so it obeys
    the quiet hours as the salon has them when it is sent, as the desk's held news does)."""
    context = m.context
    quiet, tz = context.get("quiet_hours"), (context.get("business") or {}).get("timezone")
    if quiet is not None and tz:
        return QuietHours(**quiet), ZoneInfo(tz)
    business = businesses.get_by_id(m.business_id)
    return (business.config.quiet_hours, business.config.tz) if business else None


def _fee_now(m: Message, fee_key: str) -> str | None:
    """The state of the fee round a text tells of (messages.fee_as_told), on the booking's
    payment as it is now (one read); None if the booking or the fee is gone."""
    appt = bookings.get_appointment(m.business_id, m.appointment_id) if m.appointment_id else None
    return appt.payment.fees.get(fee_key) if appt is not None and appt.payment is not None else None


def _refund_failed_since(m: Message, record_kind: str) -> bool:
    """Has the refund a `fee_refunded` text tells of failed at Stripe since it was made
    (messages.refund_as_told; its money record, one read)?"""
    refund = payments.get_money(m.business_id, m.appointment_id, record_kind) if m.appointment_id else None
    return refund is not None and refund.state == payments.REFUND_FAILED


def _skipped(m: Message, reason: str, now: datetime) -> Handled:
    if store.skip(m, reason, now):
        count_message("skipped", m.channel, m.kind)
        return Handled("skipped", reason)
    return Handled("held")  # someone else finished it first


def send_once(m: Message, now: datetime) -> Handled:
    """Send a due message if this caller wins its claim (a conditional write); record
    what came of it. A reminder or feedback request is re-checked against its visit, a
    marketing message against her consent and whether she has booked or come since."""
    kind, channel = m.kind, m.channel
    if kind == BOOKING_PLAN:
        return _expand(m, now)
    if channel == WEBHOOK_CHANNEL:  # an event to fan out, or one endpoint's copy
        from chalicelib.notify import webhooks

        return Handled(*webhooks.send_once(m, now))
    if channel == "waitlist":  # freed time to offer (services/waitlist/refill.py), not a message
        from chalicelib.services.waitlist import refill

        return Handled(refill.handle(m, now))
    if channel == "stripe":  # a refund owed, a fee let go to cancel (services/payments/fees.py): not messages
        from chalicelib.services.payments import fees

        return Handled(fees.handle(m, now))
    if m.status == MessageStatus.SENDING.value and m.lease_until and m.lease_until > now:
        return Handled("held")
    once_since = None
    if kind == "waitlist_offer" and parse_utc(m.context["offer_expires_utc"]) <= now:
        return _skipped(m, "offer_expired", now)  # its link could no longer book it
    if kind == "feedback_request":
        if now - m.due_at > feedback_rules.LATE_LIMIT:
            return _skipped(m, "too_late", now)
        days = int(m.context.get("feedback_every_days", 7))
        once_since = now - timedelta(days=days)
    elif kind in CLIENT_KINDS or salon_money_news(kind, m.context):
        if kind in MARKETING_KINDS:  # does it still hold of her? One read of her item.
            her = clients.get_client(m.business_id, m.client_id) if m.client_id else None
            if why := marketing_dropped(m, her):
                return _skipped(m, why, now)
        rules = _send_rules(m) if channel == "sms" else None
        if rules and reminder_rules.in_quiet_hours(now, *rules):  # a retry waits for their end
            if store.defer(m, reminder_rules.quiet_hours_over(now, *rules)):
                return Handled("deferred")
            return Handled("held")
        # A fee charged and given back, or asked for and waived or paid, while her SMS
        # waited out the quiet hours: she hears what is true now (the refund's own text),
        # not that; a refund still being made decides whether the charge's text is true.
        if (told := fee_as_told(m)) is not None and (state := _fee_now(m, told.key)) not in told.true_in:
            if state in told.settling:
                if store.defer(m, now + FEE_SETTLING_RECHECK):
                    return Handled("deferred")
                return Handled("held")
            return _skipped(m, "fee_changed", now)
        if (refund := refund_as_told(m)) is not None and _refund_failed_since(m, refund):
            return _skipped(m, "refund_failed", now)
    elif (news_before := held_news_before(m)) is not None:
        # The desk's change at night, held past the quiet hours: by the quiet hours the
        # salon has now (changed since, perhaps), still at once when her visit is near.
        b = businesses.get_by_id(m.business_id)
        at = reminder_rules.salon_change_sms_time(now, b.config.quiet_hours, b.config.tz, news_before) if b else now
        if at > now:
            if store.defer(m, at):
                return Handled("deferred")
            return Handled("held")
    elif kind in VISIT_KINDS:
        visit_start = parse_utc(m.context["visit_start_utc"])
        rules = _send_rules(m)
        decision = (
            reminder_rules.decide_at_send_time(channel, now, visit_start, *rules)
            if rules
            else reminder_rules.SendDecision("skip", reason="business_gone")
        )
        if decision.action == "skip":
            return _skipped(m, decision.reason or "skipped", now)
        if decision.action == "defer":
            if decision.at and store.defer(m, decision.at):
                return Handled("deferred")
            return Handled("held")
    result, claimed = store.claim(m, now, SEND_LEASE, visit=visit_as_planned(m), once_per_client_since=once_since)
    if result == store.Claim.TAKEN:
        return Handled("taken")
    if result == store.Claim.CAPPED:
        return _skipped(m, "recently_asked", now)
    if result == store.Claim.STALE:
        return _skipped(m, "appointment_changed", now)
    return _send_claimed(claimed, now)


def _told_of_changed_visit(m: Message) -> bool:
    """A confirmation tied to its visit as booked (its sequence number): the sender checks
    the visit has not changed since (_as_booked_now)."""
    return m.kind == "confirmation" and m.appointment_seq is not None and bool(m.appointment_id)


def _as_booked_now(m: Message, appt: Appointment | None) -> Message | str:
    """A confirmation as it is to be sent now, or why it is not sent.

    Its booking may have changed since it was planned: moved a second after it was made,
    before the outbox stream sent the confirmation (the move's own news leaves at once,
    with the move), or its hold confirmed before a retry. A client expects the last word
    she gets of her booking to be true, and every booking to get its confirmation: so it
    tells the booking as it is now (its time, its calendar version, whether it still waits
    for her confirmation) rather than being dropped for the move's news, which lacks what
    only a confirmation carries (a held booking's confirmation link, the price, her card).
    Cancelled or over meanwhile, it is not sent: the cancellation is her last word."""
    if appt is None or appt.seq == m.appointment_seq:
        return m
    if appt.status != Status.BOOKED.value:
        return "appointment_changed"
    b = businesses.get_by_id(m.business_id)
    if b is None:
        return "business_gone"
    from chalicelib.services.message_plans import confirmation_as_booked_now

    return replace(m, context=confirmation_as_booked_now(b, appt, m.context), appointment_seq=appt.seq)


def _send_claimed(claimed: Message, now: datetime) -> Handled:
    """Send a message this caller holds the lease on, and record what came of it; a
    confirmation as its booking is right before it leaves."""
    if _told_of_changed_visit(claimed):
        current = bookings.get_appointment(claimed.business_id, claimed.appointment_id or "")
        told = _as_booked_now(claimed, current)
        if isinstance(told, str):
            return _skipped(claimed, told, now)
        claimed = told
    kind, channel, m = claimed.kind, claimed.channel, claimed
    attempt = outbox.attempt(claimed, now)
    [done] = store.record_outcomes([(claimed, attempt)], now, outbox.backoff)
    if attempt.status == "sent" and kind in VISIT_KINDS and m.appointment_id:
        bookings.record_sent(m.business_id, m.appointment_id, m.client_id, kind, now)
    name = {"sent": "sent", "failed": "failed"}.get(attempt.status, "retry")
    if name == "retry" and done.status == MessageStatus.FAILED.value:
        name = "failed"  # out of attempts
    count_message(name, channel, kind)
    return Handled(name, attempt.error if name != "sent" else None)


def _expand(plan: Message, now: datetime) -> Handled:
    """A booking's plan becomes its messages (once: a conditional transaction that
    also holds its confirmations for this caller, who sends them at once: their stream
    records do not even reach the trigger). Its webhook event is fanned out from its own
    record (or by the sweeper), reminders wait for their time, parked confirmations for a
    payment; a confirmation whose send fails here is retried with backoff, or by the
    sweeper once its lease ends if this caller dies."""
    messages = store.expand_plan(plan, now, SEND_LEASE)
    if messages is None:
        return Handled("taken")
    then = []
    sending = [m for m in messages if m.status == MessageStatus.SENDING.value]
    for m in sending:
        try:
            # Each confirmation reads its booking as it is right before it leaves
            # (_as_booked_now): read once for the plan, a move or a cancellation made while
            # the email went out left the SMS telling the old time, after the cancellation.
            then.append(_send_claimed(m, now))
        except Exception:
            logger().exception("message failed after its plan was expanded", extra={"message_key": m.key})
            then.append(Handled("errors"))
    return Handled("expanded", then=tuple(then))
