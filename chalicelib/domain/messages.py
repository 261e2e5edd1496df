"""Outgoing messages: who gets what, on which channel, when (a PlannedMessage), and
the message in the outbox as it is claimed, sent, retried, skipped or failed.

The outbox (chalicelib.notify.outbox and chalicelib.store.outbox) stores, claims and
sends them; the texts themselves live in the templates (chalicelib.notify.templates).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.clients import MAINTENANCE, Client
from chalicelib.domain.timeutil import iso_utc, parse_utc

MAX_ATTEMPTS = 8
# Kinds that are about one visit and must not go out for a cancelled or moved one.
VISIT_KINDS = frozenset({"reminder", "feedback_request"})
# Kinds about the client rather than one visit (services/message_plans.py to_client): by
# SMS they wait out the quiet hours, when planned and when sent.
CLIENT_KINDS = frozenset({"winback", "nudge", "birthday", "personal", "reward"})
# Of them, marketing: only with her consent (services/marketing.py), checked when queued
# and again when sent (`marketing_dropped`).
MARKETING_KINDS = frozenset({"winback", "nudge", "birthday", "personal"})
# Of those, the ones a booking or a visit answers (and maintenance ends).
RETENTION_KINDS = frozenset({"winback", "nudge"})
# Money news of the salon's doing (services/payments/notices.py): a fee charged to her
# card or asked for by a pay link (`payment_notice` `fee_open`), a fee given back. As the
# CLIENT_KINDS, by SMS it waits out the quiet hours, when planned and when sent
# (salon_money_news); a notice answering what she did herself (`late_refund`: her
# payment came after its hold ran out, and went back) goes at once.
SALON_MONEY_KINDS = frozenset({"fee_charged", "fee_refunded"})
SALON_MONEY_NOTICES = frozenset({"fee_open"})


class MessageStatus(str, Enum):
    PENDING = "pending"  # due at due_at
    SENDING = "sending"  # leased to a sender until lease_until
    SENT = "sent"
    FAILED = "failed"  # for good: the owner sees it
    SKIPPED = "skipped"  # not sent, and why (last_error)
    # Waits for its booking to be paid (a confirmation): not due, not in the due index.
    PARKED = "parked"


# One outbox item that carries a booking's messages (confirmations, reminders, feedback
# request, webhook event) as planned: its sender expands it into them (store/outbox.py).
BOOKING_PLAN = "booking_plan"

# Still to be sent: in the due index, claimable by the sweeper.
OPEN_STATUSES = (MessageStatus.PENDING.value, MessageStatus.SENDING.value)


@dataclass(frozen=True)
class PlannedMessage:
    key: str  # idempotency key: one message per (appointment, kind, channel, ...)
    kind: str
    channel: str  # "email" | "sms"
    recipient: str
    locale: str
    context: dict[str, Any]
    due_at: datetime
    business_id: str
    appointment_id: str | None = None
    appointment_seq: int | None = None
    client_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """One outgoing message on one channel, as the outbox keeps it."""

    business_id: str
    key: str
    kind: str
    channel: str
    recipient: str
    locale: str
    context: dict[str, Any]  # what the template needs, frozen when the message was planned
    status: str  # MessageStatus
    due_at: datetime
    created_at: datetime
    attempts: int = 0
    appointment_id: str | None = None
    appointment_seq: int | None = None
    client_id: str | None = None
    lease_until: datetime | None = None
    provider_id: str | None = None
    last_error: str | None = None
    sent_at: datetime | None = None


def queued(m: PlannedMessage, now: datetime, lease: timedelta | None = None) -> Message:
    """The outbox message of a planned one: pending until due, or — with `lease` —
    held by the request that sends it at once (the sweeper's after the lease); one
    planned for later (an SMS held past quiet hours) stays pending until then."""
    if m.due_at > now:
        lease = None
    due = now + lease if lease else m.due_at
    return Message(
        business_id=m.business_id,
        key=m.key,
        kind=m.kind,
        channel=m.channel,
        recipient=m.recipient,
        locale=m.locale,
        context=m.context,
        status=MessageStatus.SENDING.value if lease else MessageStatus.PENDING.value,
        due_at=due,
        created_at=now,
        appointment_id=m.appointment_id,
        appointment_seq=m.appointment_seq,
        client_id=m.client_id,
        lease_until=due if lease else None,
    )


@dataclass(frozen=True)
class Outcome:
    """What one send attempt came to."""

    status: str  # sent | pending (retry later) | failed (permanent)
    provider_id: str | None = None
    error: str | None = None


def after_attempt(m: Message, outcome: Outcome, now: datetime, backoff: Callable[[int], timedelta]) -> Message:
    """The message after one attempt: sent; due again after a backoff; or failed for
    good (a permanent error, or MAX_ATTEMPTS spent)."""
    attempts = m.attempts + 1
    if outcome.status == MessageStatus.SENT.value:
        return replace(
            m,
            attempts=attempts,
            lease_until=None,
            status=MessageStatus.SENT.value,
            provider_id=outcome.provider_id,
            sent_at=now,
            last_error=None,
        )
    if outcome.status == MessageStatus.PENDING.value and attempts < MAX_ATTEMPTS:
        return replace(
            m,
            attempts=attempts,
            lease_until=None,
            status=MessageStatus.PENDING.value,
            last_error=outcome.error,
            due_at=now + backoff(attempts),
        )
    return replace(
        m,
        attempts=attempts,
        lease_until=None,
        status=MessageStatus.FAILED.value,
        last_error=outcome.error or "too many attempts",
    )


@dataclass(frozen=True)
class VisitAsPlanned:
    """What must still hold of the visit a message is about when it is claimed (checked
    in the claim's own transaction): its start, one of `statuses`, and — for reminders —
    the client has not turned reminders off."""

    start: datetime
    statuses: frozenset[str]
    reminders_on: bool

    def holds_for(self, appt: Appointment | None) -> bool:
        """The visit as it is now still lets the message go (the claim's own condition,
        store/outbox.py): what the owner is told of a message still waiting."""
        return (
            appt is not None
            and appt.start == self.start
            and appt.status in self.statuses
            and not (self.reminders_on and appt.reminders_off)
        )


# A booking's own news held past the quiet hours (the desk's change at night: services/
# message_plans.py booking_event) carries the start it tells of.
HELD_NEWS_KINDS = frozenset({"confirmation", "rescheduled"})


def salon_money_news(kind: str, context: dict[str, Any]) -> bool:
    """Money news the salon's doing made (SALON_MONEY_KINDS, SALON_MONEY_NOTICES): by SMS
    it waits out the quiet hours, as a message about the client does."""
    return kind in SALON_MONEY_KINDS or (kind == "payment_notice" and context.get("notice") in SALON_MONEY_NOTICES)


@dataclass(frozen=True)
class FeeAsTold:
    """What a text about one of her fees tells: the fee's round (payments.fee_key) and the
    states of it on the booking's payment (payments.FeeState) in which the text is still
    true when sent (`true_in`), or not known yet (`settling`: the sender waits)."""

    key: str
    true_in: frozenset[str]
    settling: frozenset[str] = frozenset()


# By the text's kind (SALON_MONEY_KINDS, SALON_MONEY_NOTICES). A fee charged stays charged
# when the refund of it failed — the money is still the salon's, and she must hear it was
# taken; while the refund is under way (`refunding`: Stripe unreachable, tried again)
# its outcome decides, so the text waits for it.
FEE_AS_TOLD = {
    "fee_charged": (frozenset({"succeeded", "refund_failed"}), frozenset({"refunding"})),
    "fee_open": (frozenset({"open"}), frozenset()),
}


def fee_as_told(m: Message) -> FeeAsTold | None:
    """A text telling her of a fee (charged, or asked for by a pay link): what it tells
    (FeeAsTold), which the sender checks still holds when it sends it (notify/dispatch.py):
    a fee given back or waived, or paid, while her SMS waited out the quiet hours is not
    told as it was. None for any other message (a fee given back: refund_as_told), and
    for one planned before its round was stored: sent as before (its `fee_kind` alone
    could name another round's fee)."""
    told = FEE_AS_TOLD.get(str(m.context.get("notice")) if m.kind == "payment_notice" else m.kind)
    key = m.context.get("fee_key")
    return FeeAsTold(str(key), *told) if told and key else None


def refund_as_told(m: Message) -> str | None:
    """A text telling her a fee was given back (`fee_refunded`): the kind of the refund's
    money record (`refund-<ref>`), which the sender checks has not failed at Stripe since
    (a refund.failed webhook while her SMS waited out the quiet hours: the money is not
    coming back, and the fee's own text tells her it was charged). None for any other
    message, and for one planned before its ref was stored: sent as before."""
    ref = m.context.get("refund_ref") if m.kind == "fee_refunded" else None
    return f"refund-{ref}" if ref else None


def held_news_before(m: Message) -> datetime | None:
    """The desk's news of a booking (confirmation, move, cancellation) held past the quiet
    hours: the visit time its lead is counted to (`news_before_utc`, the earlier of a
    move's two times; an item held before it was stored: the start it tells of), so the
    sweeper can apply the salon's quiet hours as they are at send time
    (reminders.salon_change_sms_time). None for any other message."""
    if m.kind not in HELD_NEWS_KINDS | {"cancelled"} or m.channel != "sms" or "visit_start_utc" not in m.context:
        return None
    return parse_utc(m.context.get("news_before_utc") or m.context["visit_start_utc"])


def visit_as_planned(m: Message) -> VisitAsPlanned | None:
    """A reminder: the visit is still booked at the planned time. A feedback request:
    the visit at the planned time took place (not cancelled, not a no-show). A
    confirmation or move held past the quiet hours: the visit is still booked at the
    time it tells of (the desk did not move or cancel it again that night)."""
    if m.kind in HELD_NEWS_KINDS and "visit_start_utc" in m.context:
        return VisitAsPlanned(parse_utc(m.context["visit_start_utc"]), frozenset({Status.BOOKED.value}), False)
    if m.kind not in VISIT_KINDS:
        return None
    start = parse_utc(m.context["visit_start_utc"])
    if m.kind == "feedback_request":
        took_place = frozenset({Status.BOOKED.value, Status.ARRIVED.value, Status.COMPLETED.value})
        return VisitAsPlanned(start, took_place, reminders_on=False)
    return VisitAsPlanned(start, frozenset({Status.BOOKED.value}), reminders_on=True)


def client_as_queued(c: Client) -> dict[str, Any]:
    """What a marketing message keeps of her when it is queued (its context's
    `client_as_queued`), so the sender can tell whether she has booked or come since."""
    return {"bookings": c.bookings, "last_visit_at": iso_utc(c.last_visit_at) if c.last_visit_at else None}


def marketing_dropped(m: Message, c: Client | None) -> str | None:
    """Why a marketing message must not go to her now that it is sent (a retry, a
    message held past quiet hours), or None: she still consents and is not erased; and
    for a win-back or nudge, she is not in maintenance, has booked nothing since it was
    queued (a booking counts even if she cancelled it since: she answered) and had no
    visit since. Her client item as it is now is all it takes."""
    if c is None or c.is_erased:
        return "client_erased"
    if not c.wants_marketing:
        return "no_consent"
    if m.kind not in RETENTION_KINDS:
        return None
    if c.relationship == MAINTENANCE:
        return "maintenance"
    then = m.context.get("client_as_queued")
    if then is None:
        return None  # queued before it was kept
    if c.bookings > int(then["bookings"]):
        return "booked"
    last = then.get("last_visit_at")
    if c.last_visit_at is not None and (last is None or c.last_visit_at > parse_utc(last)):
        return "visited"
    return None


def booking_message_keys(appointment_id: str, kind: str, seq: int, channels: list[str]) -> dict[str, str]:
    """Keys for the messages one booking event sends, one per channel.

    A confirmation or cancellation happens once per booking; a booking may be moved
    several times, so reschedule messages carry the booking's change counter.
    """
    suffix = f"{kind}#{seq}" if kind == "rescheduled" else kind
    return {ch: f"{appointment_id}#{suffix}#{ch}" for ch in channels}


def plan_context(messages: Sequence[tuple[PlannedMessage, bool]], calendar: str | None) -> dict[str, Any]:
    """The context of a booking's plan: its messages (each with `parked` when it
    waits for a payment), their template contexts once each (a booking's messages share
    a few), and the staff member whose calendar version its expansion moves."""
    contexts: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    out = []
    for m, parked in messages:
        at = seen.get(id(m.context))
        if at is None:
            at = seen[id(m.context)] = len(contexts)
            contexts.append(_as_change_of(contexts[0], m.context) if contexts else m.context)
        entry: dict[str, Any] = {
            "key": m.key,
            "kind": m.kind,
            "channel": m.channel,
            "recipient": m.recipient,
            "locale": m.locale,
            "due_at": m.due_at.isoformat(),
            "context": at,
        }
        for name in ("appointment_id", "appointment_seq", "client_id"):
            if getattr(m, name) is not None:
                entry[name] = getattr(m, name)
        if parked:
            entry["parked"] = True
        out.append(entry)
    return {"messages": out, "contexts": contexts, "calendar": calendar}


def _as_change_of(base: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """A context stored as what it changes of the first (a booking's reminders and
    feedback request say what its confirmation says, and a little more)."""
    if not any(k in context and context[k] == v for k, v in base.items()):
        return context
    changed = {k: v for k, v in context.items() if k not in base or base[k] != v}
    return {"_base": 0, "_set": changed, "_drop": [k for k in base if k not in context]}


def _context_of(stored: dict[str, Any], first: dict[str, Any]) -> dict[str, Any]:
    if "_base" not in stored:
        return stored
    out = {k: v for k, v in first.items() if k not in stored["_drop"]}
    out.update(stored["_set"])
    return out


def planned_in(plan: Message) -> list[tuple[PlannedMessage, bool]]:
    """The messages a plan carries, and whether each is parked."""
    stored = plan.context.get("contexts", [])
    contexts = [_context_of(c, stored[0]) for c in stored]
    found = []
    for e in plan.context.get("messages", []):
        seq = e.get("appointment_seq")
        m = PlannedMessage(
            key=e["key"],
            kind=e["kind"],
            channel=e["channel"],
            recipient=e["recipient"],
            locale=e["locale"],
            context=contexts[e["context"]],
            due_at=datetime.fromisoformat(e["due_at"]),
            business_id=plan.business_id,
            appointment_id=e.get("appointment_id"),
            appointment_seq=int(seq) if seq is not None else None,
            client_id=e.get("client_id"),
        )
        found.append((m, bool(e.get("parked"))))
    return found
