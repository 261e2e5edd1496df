"""The outbox: every outgoing message is an item first, and is sent from there.

A message is written (keyed by its idempotency key, conditionally) in the same
transaction as the change that causes it. The request that wrote it holds a short
lease and sends at once; whatever it could not send stays due in the `g3` index,
where the sweeper (issue 3) finds it for retries with backoff.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from chalicelib.domain.messages import Message, MessageStatus, Outcome, after_attempt
from chalicelib.observability import count_sms_budget_exhausted, logger
from chalicelib.settings import get_settings

# The lease a request takes on the messages it sends itself; after it the sweeper
# may pick them up.
IMMEDIATE_LEASE = timedelta(minutes=2)
BASE_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=2)


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with jitter: 1, 2, 4 ... minutes, capped at 2 hours."""
    base = min(BASE_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)
    return base * (0.8 + 0.4 * random.random())


def compose_and_send(
    kind: str, channel: str, recipient: str, locale: str, context: dict, now: datetime | None = None
) -> str:
    """Render a message as sent at `now` and hand it to its channel; returns the
    provider's message id."""
    from chalicelib.notify import channels, render

    rendered = render.render(kind, locale, context, now)
    if channel == "sms":
        if channels.is_opted_out(recipient):
            # The number replied STOP to SNS: never text it, and say so to the owner.
            raise channels.SendError("opted_out", permanent=True)
        sender = (context.get("business") or {}).get("sms_sender")
        return channels.send_sms(recipient, rendered.sms, sender_id=sender)
    from chalicelib.notify import ics, mime

    attachments = []
    # A held booking's message carries no calendar invitation: unconfirmed, its time is
    # freed without a cancellation, which would leave the event in her calendar.
    if kind in ("confirmation", "rescheduled", "cancelled") and not context.get("confirm_url"):
        cancelled = kind == "cancelled"
        calendar = ics.build_ics(
            context,
            method="CANCEL" if cancelled else "REQUEST",
            sequence=int(context.get("sequence") or 0),
            status="CANCELLED" if cancelled else "CONFIRMED",
            locale=locale,
            organizer=get_settings().email_from,
            attendee=recipient,
            now=now,
        )
        attachments.append(("booking.ics", f"text/calendar; method={'CANCEL' if cancelled else 'REQUEST'}", calendar))
    about = context.get("business") or {}
    business = about.get("sender_name") or about.get("name") or "Rebook"
    sender = f"{business} <{get_settings().email_from}>"
    raw = mime.build_email(
        sender=sender,
        reply_to=about.get("reply_to") or None,
        to=recipient,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        attachments=attachments,
        headers=context.get("headers") or None,
    )
    settings = get_settings()
    return channels.send_email(
        raw, source=settings.email_from, to=recipient, configuration_set=settings.ses_configuration_set
    )


def _within_sms_budget(message: Message) -> bool:
    """Count the SMS against its business's budget of the (local) day; False when the
    day's budget is spent: then SMS stop, email goes on, and the alarm metric fires.
    The budget and time zone come with the message (its business context), so the
    sweeper still reads nothing but the message; older messages ask the config."""
    from zoneinfo import ZoneInfo

    from chalicelib import clock
    from chalicelib.store import businesses, limits

    context = message.context.get("business") or {}
    budget, tz = context.get("sms_daily_budget"), context.get("timezone")
    if budget is None or not tz:
        business = businesses.get_by_id(message.business_id)
        if business is None:
            return True  # nothing to hold it against; the send decides
        budget, tz = business.config.sms.daily_budget, business.config.timezone
    now = clock.now()
    if limits.take_sms(message.business_id, now.astimezone(ZoneInfo(tz)).date(), int(budget), now):
        return True
    count_sms_budget_exhausted(message.business_id, int(budget))
    return False


def attempt(message: Message, now: datetime | None = None) -> Outcome:
    """Send one message once, as at `now`, and classify the result (never raises). An SMS
    over the business's daily budget fails for good (`sms_budget`), visible to the owner."""
    if message.channel == "sms":
        try:
            if not _within_sms_budget(message):
                return Outcome("failed", error="sms_budget")
        except Exception as e:  # the budget could not be read or counted: try again later
            logger().warning("sms budget check failed", extra={"message_key": message.key, "error": type(e).__name__})
            return Outcome("pending", error="sms_budget_unavailable")
    try:
        provider_id = compose_and_send(
            message.kind, message.channel, message.recipient, message.locale, message.context, now
        )
    except Exception as e:
        if getattr(e, "permanent", False):
            return Outcome("failed", error=getattr(e, "reason", type(e).__name__))
        # Throttling, an outage or a bug must not lose the message: retry later.
        logger().warning("send failed", extra={"message_key": message.key, "error": type(e).__name__})
        return Outcome("pending", error=getattr(e, "reason", None) or type(e).__name__)
    return Outcome("sent", provider_id=provider_id)


def _due_later(m: Message, now: datetime) -> bool:
    return m.status == MessageStatus.PENDING.value and m.due_at > now


def deliver(messages: list[Message], now: datetime) -> list[Message]:
    """Send messages this process holds the lease on, then record all results at once;
    the messages as recorded (sent, due for a retry, failed). One it does not hold (due
    later: an SMS held past quiet hours) comes back as it is, for the sweeper.

    Never raises: the change that caused the messages has already committed, and a
    message whose result could not be recorded is picked up when its lease ends.
    """
    from chalicelib.store import outbox as store

    results = [(m, attempt(m, now)) for m in messages if not _due_later(m, now)]
    try:
        done = store.record_outcomes(results, now, backoff)
    except Exception:
        logger().exception("could not record outcomes", extra={"messages": len(results)})
        done = [after_attempt(m, outcome, now, backoff) for m, outcome in results]
    recorded = {m.key: m for m in done}
    return [recorded.get(m.key, m) for m in messages]
