"""The outbox's items: putting messages in with the change that causes them, finding
what is due, claiming it, and recording what came of each send.

A message is in the due index (g3) exactly while it is pending or being sent, and in
its business's list of failures (g1) once it failed for good; both follow from its
status, so the mapper sets them and no caller ever names them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.domain.messages import (
    BOOKING_PLAN,
    OPEN_STATUSES,
    Message,
    MessageStatus,
    Outcome,
    PlannedMessage,
    VisitAsPlanned,
    after_attempt,
    plan_context,
    planned_in,
    queued,
)
from chalicelib.domain.timeutil import iso_utc, parse_utc
from chalicelib.domain.webhooks import DELIVERY_LOG_KEPT, WEBHOOK_DELIVERY
from chalicelib.observability import logger
from chalicelib.store import clients, daysheets, db, keys, limits, search
from chalicelib.store.models import AppointmentItem, ClientItem, MessageItem
from chalicelib.store.tx import Tx, TxFailed

_PENDING, _SENDING = MessageStatus.PENDING.value, MessageStatus.SENDING.value


# --- item <-> Message ---------------------------------------------------------------------
def to_item(m: Message, failed_at: datetime | None = None) -> MessageItem:
    """The whole item of a message; `failed_at` puts a failed one on the owner's list."""
    item = MessageItem(
        keys.biz(m.business_id),
        keys.msg_sk(m.key),
        business_id=m.business_id,
        key=m.key,
        kind=m.kind,
        channel=m.channel,
        recipient=m.recipient,
        appointment_id=m.appointment_id,
        appointment_seq=m.appointment_seq,
        client_id=m.client_id,
        locale=m.locale,
        context=m.context,
        status=m.status,
        attempts=m.attempts,
        due_at=m.due_at,
        lease_until=m.lease_until,
        provider_id=m.provider_id,
        last_error=m.last_error,
        created_at=m.created_at,
        sent_at=m.sent_at,
    )
    if m.client_id:
        entry = f"{keys.TIMELINE_MESSAGES}{iso_utc(m.created_at)}#{m.key}"
        item.g2pk, item.g2sk = keys.timeline_keys(m.business_id, m.client_id, entry)
    if m.status in OPEN_STATUSES:
        item.g3pk, item.g3sk = keys.due_keys(m.business_id, m.key, m.due_at)
    if m.kind == WEBHOOK_DELIVERY:  # on its endpoint's log whatever its status, never on the owner's failures
        item.g1pk, item.g1sk = keys.delivery_log_keys(m.business_id, m.recipient, m.created_at, m.key)
        item.expires_at = m.created_at + DELIVERY_LOG_KEPT
    elif m.status == MessageStatus.FAILED.value and failed_at is not None:
        item.g1pk, item.g1sk = keys.failed_keys(m.business_id, m.key, failed_at)
    return item


def to_message(i: MessageItem) -> Message:
    seq: float | None = i.appointment_seq
    return Message(
        business_id=i.business_id,
        key=i.key,
        kind=i.kind,
        channel=i.channel,
        recipient=i.recipient,
        locale=i.locale,
        context=dict(i.context or {}),
        status=i.status,
        due_at=i.due_at,
        created_at=i.created_at,
        attempts=int(i.attempts or 0),
        appointment_id=i.appointment_id,
        appointment_seq=int(seq) if seq is not None else None,
        client_id=i.client_id,
        lease_until=i.lease_until,
        provider_id=i.provider_id,
        last_error=i.last_error,
        sent_at=i.sent_at,
    )


def queue(
    tx: Tx,
    planned: Sequence[PlannedMessage],
    now: datetime,
    lease: timedelta | None = None,
    role: str = "message",
    parked: bool = False,
) -> list[Message]:
    """Put planned messages into the outbox inside `tx`, each at most once (its key
    must be new); with `lease`, held by the caller to send at once; `parked`, kept
    unsent until released (a held booking's confirmation: release_parked)."""
    messages = [queued(m, now, lease) for m in planned]
    if parked:
        messages = [replace(m, status=MessageStatus.PARKED.value) for m in messages]
    for m in messages:
        tx.put(to_item(m), role, condition=MessageItem.pk.does_not_exist())
    return messages


def put(tx: Tx, messages: Sequence[Message], role: str = "message") -> None:
    """Put outbox items built by the caller (already `queued`) inside `tx`, each at most
    once: freed time the change's own request processes at once (services/waitlist/refill.py)."""
    for m in messages:
        tx.put(to_item(m), role, condition=MessageItem.pk.does_not_exist())


# --- a booking's plan: carried by its appointment ------------------------------------------
# A booking's transaction writes every message it plans (the confirmations, parked or
# not, the reminders, the feedback request, its webhook event) as one plan on its
# appointment item instead of one outbox item each, so its items do not grow with the
# plan (issue 19: at most 10), and no item of its own (each item of a transaction costs
# about a third of a whole single-item write on DynamoDB Local). The plan is due at once:
# the outbox stream gets the appointment's INSERT right after the commit (the sweeper,
# from the plan's g6 entry, if it cannot) and expands it (expand_plan) in one transaction that takes the
# plan off the appointment on the condition that it is still there, so its messages are
# put exactly once; they are then sent like any other message (claimed one by one).
# Plans written before carried an outbox item of their own (`MSG#<id>#plan`, recipient
# "outbox"); the same code expands those.
ON_APPOINTMENT = "appointment"  # the recipient of a plan carried by its appointment


def _on_appointment(m: Message) -> bool:
    return m.kind == BOOKING_PLAN and m.recipient == ON_APPOINTMENT


def plan_key(appointment_id: str) -> str:
    return f"{appointment_id}#plan"


def put_plan(
    appointment: AppointmentItem,
    messages: Sequence[tuple[PlannedMessage, bool]],
    now: datetime,
    calendar: str | None = None,
    search_tokens: Iterable[str] = (),
    meters: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Give a booking's appointment item (before its transaction puts it) its plan:
    `messages` (each with whether it is parked until a payment); `calendar`, the staff
    member whose calendar version the expansion moves (her feeds' ETag: seconds after the
    booking, not in it); `search_tokens`, the search keys the client gains (a new
    client's, a newly linked contact's), put by the expansion: neither is a request of the
    booking's own; `meters`, the meters of a new contact the booking counted on her
    contact keys (store/limits.py first_meter), put by the expansion too."""
    context = plan_context(messages, calendar)
    if search_tokens:
        context["search"] = sorted(search_tokens)
    if meters:
        context["meters"] = [dict(m) for m in meters]
    appointment.plan = context
    appointment.g6pk, appointment.g6sk = keys.plan_due_keys(appointment.business_id, appointment.appointment_id, now)


def plan_of(appointment: AppointmentItem) -> Message | None:
    """The plan an appointment item still carries, as the message its sender handles."""
    if appointment.plan is None:
        return None
    created = appointment.created_at
    due = parse_utc(appointment.g6sk.split("#", 1)[0]) if appointment.g6sk else created
    return Message(
        business_id=appointment.business_id,
        key=plan_key(appointment.appointment_id),
        kind=BOOKING_PLAN,
        channel="plan",
        recipient=ON_APPOINTMENT,
        locale="en",
        context=dict(appointment.plan),
        status=_PENDING,
        due_at=due,
        created_at=created,
        attempts=int(appointment.plan_tries or 0),
        appointment_id=appointment.appointment_id,
        client_id=appointment.client_id,
    )


def _plan_on(business_id: str, appointment_id: str) -> Message | None:
    """The plan still on the appointment (a consistent read)."""
    db.configure()
    try:
        item = AppointmentItem.get(keys.biz(business_id), keys.appt_sk(appointment_id), consistent_read=True)
    except AppointmentItem.DoesNotExist:
        return None
    return plan_of(item)


def waiting_plans(business_id: str, appointment_ids: Iterable[str]) -> dict[str, Message]:
    """The plans still on these appointments (not expanded yet), by appointment id: one
    consistent BatchGetItem (100 keys a request)."""
    wanted = sorted(set(appointment_ids))
    if not wanted:
        return {}
    db.configure()
    items = AppointmentItem.batch_get([(keys.biz(business_id), keys.appt_sk(i)) for i in wanted], consistent_read=True)
    return {i.appointment_id: plan for i in items if (plan := plan_of(i)) is not None}


def waiting_plan(business_id: str, appointment_id: str) -> Message | None:
    """A booking's plan if it is still waiting to be expanded, on its appointment or
    (written before) an item of its own."""
    return _plan_on(business_id, appointment_id) or get_message(business_id, plan_key(appointment_id))


def _still_there(plan: Message) -> bool:
    """One read where the plan lives: is it still waiting?"""
    if _on_appointment(plan):
        return _plan_on(plan.business_id, plan.appointment_id or "") is not None
    return get_message(plan.business_id, plan.key) is not None


def _take_plan(tx: Tx, plan: Message) -> None:
    """Inside the expansion: the plan off its appointment (or its own item deleted), on
    the condition that it is still there as read."""
    if not _on_appointment(plan):
        tx.delete(
            MessageItem(keys.biz(plan.business_id), keys.msg_sk(plan.key)),
            "plan",
            condition=(MessageItem.status == _PENDING) & (MessageItem.due_at == plan.due_at),
        )
        return
    tx.update(
        AppointmentItem(keys.biz(plan.business_id), keys.appt_sk(plan.appointment_id or "")),
        [
            AppointmentItem.plan.remove(),
            AppointmentItem.plan_tries.remove(),
            AppointmentItem.g6pk.remove(),
            AppointmentItem.g6sk.remove(),
        ],
        "plan",
        condition=AppointmentItem.plan.exists(),
    )


def expand_plan(
    plan: Message, now: datetime | None = None, lease: timedelta | None = None, *, just_read: bool = False
) -> list[Message] | None:
    """The plan becomes its messages (pending, or parked until paid) in one transaction
    that takes it off its appointment on the condition that it is still there, and moves
    the calendar version it names. With `lease`, the email and SMS due at `now` (its
    confirmations) are written held by the caller, who sends them at once (the sweeper
    after the lease if it could not), as a webhook fan-out writes its deliveries: the
    transaction is their claim. None if another sender expanded it first (read first: a
    record handed over twice costs a read, not a cancelled transaction's writes;
    `just_read`: the caller read it consistently a moment ago)."""
    if not just_read and not _still_there(plan):
        return None

    def written(m: PlannedMessage, parked: bool) -> Message:
        message = queued(m, plan.created_at)
        if parked:
            return replace(message, status=MessageStatus.PARKED.value)
        if lease is not None and now is not None and m.due_at <= now and m.channel in ("email", "sms"):
            return replace(message, status=_SENDING, lease_until=now + lease, due_at=now + lease)
        return message

    messages = [written(m, parked) for m, parked in planned_in(plan)]
    tx = Tx(MessageItem)
    _take_plan(tx, plan)
    for m in messages:
        tx.put(to_item(m), "message", condition=MessageItem.pk.does_not_exist())
    staff_id = plan.context.get("calendar")
    if staff_id:
        daysheets.calendar_moved(tx, plan.business_id, staff_id)
    if plan.context.get("search") and plan.client_id:  # a key only says "look at this client"
        search.put_keys(tx, plan.business_id, plan.client_id, plan.context["search"])
    try:
        tx.commit()
    except TxFailed as err:
        if "plan" in err.failed or err.conflict:
            return None
        raise
    if plan.context.get("meters"):  # after the commit: the contact keys carry them until then
        limits.put_first(plan.business_id, plan.context["meters"])
    return messages


# --- the outbox stream ----------------------------------------------------------------------
# The table's stream (NEW_IMAGE) hands every new message to its sender right after the
# transaction that wrote it. What the stream trigger needs: a message just put in, still
# pending (a message the request sends itself is written `sending`), or a parked one just
# released, never tried yet (a held booking's confirmation once she paid: release_parked).
# The deployed event source mapping filters with these patterns (infra/rebook_stack.py),
# so the function is not even invoked for the table's other writes; from_stream_image
# checks the same.
_NEW_MESSAGE = {"sk": {"S": [{"prefix": keys.msg_sk("")}]}, "status": {"S": [_PENDING]}}
_NEW_PLAN = {"sk": {"S": [{"prefix": keys.appt_sk("")}]}, "plan": {"S": [{"exists": True}]}}
STREAM_FILTERS = (
    {"eventName": ["INSERT"], "dynamodb": {"NewImage": _NEW_MESSAGE}},
    {"eventName": ["INSERT"], "dynamodb": {"NewImage": _NEW_PLAN}},  # a new booking's plan
    {
        "eventName": ["MODIFY"],
        "dynamodb": {"NewImage": {**_NEW_MESSAGE, "released_at": {"S": [{"exists": True}]}, "attempts": {"N": ["0"]}}},
    },
)


def from_stream_image(event_name: str, image: dict[str, Any] | None) -> Message | None:
    """The new (or just released) pending message of a stream record (its NEW_IMAGE, in
    DynamoDB's JSON), or a new booking's plan; None for any other record."""
    if event_name not in ("INSERT", "MODIFY") or not image:
        return None
    sk, status = image.get("sk", {}).get("S", ""), image.get("status", {}).get("S")
    if sk.startswith(keys.appt_sk("")):
        return plan_of(AppointmentItem.from_raw_data(image)) if event_name == "INSERT" and "plan" in image else None
    if not sk.startswith(keys.msg_sk("")) or status != _PENDING:
        return None
    if event_name == "MODIFY" and ("released_at" not in image or image.get("attempts", {}).get("N", "0") != "0"):
        return None
    return to_message(MessageItem.from_raw_data(image))


def release_parked(tx: Tx, parked: Sequence[Message], now: datetime) -> None:
    """Parked messages (a held booking's confirmations), due now, inside `tx`: the outbox
    stream sends them right after it commits, the sweeper if it cannot; each only from
    `parked`, so a release is done once."""
    for m in parked:
        g3pk, g3sk = keys.due_keys(m.business_id, m.key, now)
        tx.update(
            MessageItem(keys.biz(m.business_id), keys.msg_sk(m.key)),
            [
                MessageItem.status.set(_PENDING),
                MessageItem.due_at.set(now),
                MessageItem.released_at.set(now),
                MessageItem.g3pk.set(g3pk),
                MessageItem.g3sk.set(g3sk),
            ],
            "message",
            condition=MessageItem.status == MessageStatus.PARKED.value,
        )


def drop_parked(tx: Tx, parked: Sequence[Message], reason: str) -> None:
    """Parked messages never to be sent (the held booking was not confirmed), inside `tx`."""
    for m in parked:
        tx.update(
            MessageItem(keys.biz(m.business_id), keys.msg_sk(m.key)),
            [MessageItem.status.set(MessageStatus.SKIPPED.value), MessageItem.last_error.set(reason)],
            "parked",
            condition=MessageItem.status == MessageStatus.PARKED.value,
        )


# --- reading --------------------------------------------------------------------------------
def get_message(business_id: str, key: str) -> Message | None:
    db.configure()
    try:
        return to_message(MessageItem.get(keys.biz(business_id), keys.msg_sk(key), consistent_read=True))
    except MessageItem.DoesNotExist:
        return None


def planned_keys(business_id: str, wanted: Sequence[str]) -> set[str]:
    """Which of these message keys are in the outbox already (one BatchGetItem)."""
    if not wanted:
        return set()
    db.configure()
    items = MessageItem.batch_get([(keys.biz(business_id), keys.msg_sk(k)) for k in wanted], consistent_read=True)
    return {i.key for i in items}


def get_messages(business_id: str, wanted: Sequence[str]) -> dict[str, Message]:
    """Those of these message keys in the outbox, by key (BatchGetItem, 100 keys a request)."""
    if not wanted:
        return {}
    db.configure()
    items = MessageItem.batch_get([(keys.biz(business_id), keys.msg_sk(k)) for k in wanted], consistent_read=True)
    return {m.key: m for m in map(to_message, items)}


@dataclass(frozen=True)
class DuePage:
    """Some of the messages due in one hour's partitions; `hour` is where a sweep that
    stops before this page must start again (every hour before it was read to the end)."""

    hour: datetime
    messages: list[Message]


def due_pages(since: datetime, until: datetime, page_size: int = 100) -> Iterator[DuePage]:
    """Messages due in [since, until] across all businesses, and bookings' plans still
    waiting, a page at a time, oldest hour first: Query gsi3 (and gsi6) per hour and
    shard (several at once, through hours with nothing due without a wait at each:
    db.query_by_hour), read lazily (one hour of a backlog is in memory at a time, and a
    few partitions read ahead; never the whole)."""
    db.configure()
    lo, hi = keys.between(since, until)

    def query(bucket: str) -> Iterable[MessageItem | AppointmentItem]:
        if bucket.startswith("PLAN#"):
            return AppointmentItem.by_plan_due.query(bucket, AppointmentItem.g6sk.between(lo, hi), page_size=page_size)
        return MessageItem.by_due.query(bucket, MessageItem.g3sk.between(lo, hi), page_size=page_size)

    found_by_hour = db.query_by_hour(
        keys.outbox_hours(since, until),
        query,
        writes_ahead=True,  # sending may put messages due by `until` into a later hour
    )
    for hour, found in found_by_hour:
        messages = [m for m in map(_due_of, found) if m is not None]
        for first in range(0, len(messages), page_size):
            yield DuePage(hour, messages[first : first + page_size])


def _due_of(item: MessageItem | AppointmentItem) -> Message | None:
    return plan_of(item) if isinstance(item, AppointmentItem) else to_message(item)


def failed_messages(business_id: str, limit: int) -> list[Message]:
    """The business's messages that failed permanently, newest first: one Query on g1."""
    db.configure()
    found = MessageItem.failed_by_business.query(
        keys.failed_messages(business_id), scan_index_forward=False, limit=limit
    )
    return [to_message(i) for i in found]


# --- the sender's side: claim, skip, defer, record ------------------------------------------
class Claim(str, Enum):
    CLAIMED = "claimed"
    TAKEN = "taken"  # another run holds it (or sent it)
    STALE = "stale"  # its visit was cancelled or moved
    CAPPED = "capped"  # the client had one of these too recently


def _visit_condition(visit: VisitAsPlanned) -> Condition:
    condition: Condition = AppointmentItem.status.is_in(*sorted(visit.statuses)) & (
        AppointmentItem.start == visit.start
    )
    if visit.reminders_on:
        condition &= AppointmentItem.reminders_off != True  # noqa: E712 (a DynamoDB condition)
    return condition


def claim(
    m: Message,
    now: datetime,
    lease: timedelta,
    visit: VisitAsPlanned | None = None,
    once_per_client_since: datetime | None = None,
) -> tuple[Claim, Message]:
    """Take the lease on a due message with a conditional write, so that of two job
    runs only one sends it; returns what came of it and the message as claimed. With
    `visit`, the same transaction re-reads the appointment: a cancelled or moved visit
    is STALE. With `once_per_client_since`, the client must have had no message of this
    kind since then (other than this one, on a retry): otherwise CAPPED."""
    until = now + lease
    claimed = replace(m, status=_SENDING, lease_until=until, due_at=until)
    item = to_item(claimed)  # if we die mid-send, due again after the lease
    claimable = (MessageItem.status == _PENDING) | ((MessageItem.status == _SENDING) & (MessageItem.lease_until < now))
    actions: list[Action] = [
        MessageItem.status.set(_SENDING),
        MessageItem.lease_until.set(until),
        MessageItem.due_at.set(until),
        MessageItem.g3pk.set(item.g3pk),
        MessageItem.g3sk.set(item.g3sk),
    ]
    condition = claimable & (MessageItem.due_at == m.due_at)
    if (visit is None or not m.appointment_id) and (once_per_client_since is None or not m.client_id):
        # The message alone: one conditional UpdateItem (half a transaction's cost).
        db.configure()
        try:
            MessageItem(item.pk, item.sk).update(actions=actions, condition=condition)
        except UpdateError:
            return Claim.TAKEN, m
        return Claim.CLAIMED, claimed
    tx = Tx(MessageItem)
    tx.update(MessageItem(item.pk, item.sk), actions, "message", condition=condition)
    if visit is not None and m.appointment_id:
        tx.check(
            AppointmentItem,
            keys.biz(m.business_id),
            keys.appt_sk(m.appointment_id),
            _visit_condition(visit),
            "appointment",
        )
    if once_per_client_since is not None and m.client_id:
        last, key = ClientItem.last_feedback_request_at, ClientItem.last_feedback_request_key
        tx.update(
            ClientItem(keys.biz(m.business_id), keys.client_sk(m.client_id)),
            [last.set(now), key.set(m.key)],
            "client",
            condition=clients.unerased() & (last.does_not_exist() | (last < once_per_client_since) | (key == m.key)),
        )
    try:
        tx.commit()
    except TxFailed as err:
        if "message" in err.failed or err.conflict:
            return Claim.TAKEN, m
        if "appointment" in err.failed:
            return Claim.STALE, m
        if "client" in err.failed:
            return Claim.CAPPED, m
        raise
    return Claim.CLAIMED, claimed


def skip(m: Message, reason: str, now: datetime) -> bool:
    """Record that a message will not be sent (and why); it leaves the due index."""
    db.configure()
    try:
        to_item(m).update(
            actions=[
                MessageItem.status.set(MessageStatus.SKIPPED.value),
                MessageItem.last_error.set(reason),
                MessageItem.g3pk.remove(),
                MessageItem.g3sk.remove(),
                MessageItem.sent_at.set(now),
            ],
            condition=MessageItem.status.is_in(*OPEN_STATUSES),
        )
    except UpdateError:
        return False
    return True


def defer(m: Message, at: datetime) -> bool:
    """Move a pending message to a later time (e.g. out of SMS quiet hours)."""
    db.configure()
    g3pk, g3sk = keys.due_keys(m.business_id, m.key, at)
    try:
        to_item(m).update(
            actions=[MessageItem.due_at.set(at), MessageItem.g3pk.set(g3pk), MessageItem.g3sk.set(g3sk)],
            condition=(MessageItem.status == _PENDING) & (MessageItem.due_at == m.due_at),
        )
    except UpdateError:
        return False
    return True


def put_off(m: Message, now: datetime, error: str, backoff: Callable[[int], timedelta]) -> bool:
    """A message the sweeper could not handle (an unexpected error, not a send result):
    counted as an attempt and due again after a backoff (failed for good once out of
    attempts), so that it never holds back the sweep of everyone else's messages. Only
    if it is still as read; one claimed meanwhile comes back when its lease ends."""
    db.configure()
    done = after_attempt(m, Outcome(_PENDING, error=error), now, backoff)
    if _on_appointment(m):
        return _put_off_plan(m, done)
    try:
        to_item(done, failed_at=now).save(condition=(MessageItem.status == m.status) & (MessageItem.due_at == m.due_at))
    except PutError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _put_off_plan(plan: Message, done: Message) -> bool:
    """A plan whose expansion failed: due again later on its appointment's g6 entry; off
    the index (still on the appointment, for the logs to tell) once out of attempts."""
    again = done.status == _PENDING
    g6pk, g6sk = keys.plan_due_keys(plan.business_id, plan.appointment_id or "", done.due_at)
    actions: list[Action] = [AppointmentItem.plan_tries.set(done.attempts)]
    actions += (
        [AppointmentItem.g6pk.set(g6pk), AppointmentItem.g6sk.set(g6sk)]
        if again
        else [AppointmentItem.g6pk.remove(), AppointmentItem.g6sk.remove()]
    )
    try:
        AppointmentItem(keys.biz(plan.business_id), keys.appt_sk(plan.appointment_id or "")).update(
            actions=actions, condition=AppointmentItem.plan.exists()
        )
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def record_outcomes(
    results: Sequence[tuple[Message, Outcome]],
    now: datetime,
    backoff: Callable[[int], timedelta] | Sequence[Callable[[int], timedelta]],
) -> list[Message]:
    """Write what came of each send in one request (the caller holds the lease on
    them): sent, due again after a backoff (one for all, or one per result), or failed
    for good. The messages as written."""
    if not results:
        return []
    db.configure()
    waits = list(backoff) if isinstance(backoff, Sequence) else [backoff] * len(results)
    done = [after_attempt(m, outcome, now, wait) for (m, outcome), wait in zip(results, waits, strict=True)]
    items = [to_item(m, failed_at=now) for m in done]
    if len(items) == 1:
        items[0].save()
    else:
        with MessageItem.batch_write() as batch:
            for item in items:
                batch.save(item)
    _texts_stopped(done)
    return done


def _texts_stopped(done: Sequence[Message]) -> None:
    """An SMS that failed because her number replied STOP: kept on her profile, so the
    desk sees she is not texted before the next reminder fails too."""
    for m in done:
        stopped = m.channel == "sms" and m.status == MessageStatus.FAILED.value and m.last_error == "opted_out"
        if stopped and m.client_id:
            try:
                clients.mark_texts_stopped(m.business_id, m.client_id, m.recipient, stopped=True)
            except Exception as e:  # what the send did is recorded; this is the desk's hint
                logger().warning("texts stopped not kept", extra={"message_key": m.key, "error": type(e).__name__})
