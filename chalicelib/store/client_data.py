"""Everything stored about one client, found through her keys and the client index
(gsi2) — for the GDPR export and for erasure. No Scan: one Query per item type."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, TypeVar

from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.domain.clients import Client
from chalicelib.domain.messages import BOOKING_PLAN, OPEN_STATUSES, Message, MessageStatus
from chalicelib.domain.timeutil import iso_utc
from chalicelib.domain.waitlist import Entry, EntryStatus, is_persons
from chalicelib.domain.webhooks import WEBHOOK_EVENT, client_erased
from chalicelib.store import clients, daysheets, db, imports, keys, outbox, search, waitlist, webhooks
from chalicelib.store.models import (
    AppointmentItem,
    ClientItem,
    ClientKeyItem,
    FeedbackItem,
    FollowUpItem,
    MessageItem,
    MoneyItem,
    NoteItem,
    RewardItem,
)
from chalicelib.store.tx import Tx, TxFailed

ERASED_NAME = "(erased)"
_M = TypeVar("_M", AppointmentItem, MessageItem, NoteItem, FollowUpItem, FeedbackItem, MoneyItem)


def _timeline(model: type[_M], business_id: str, client_id: str, prefix: str) -> Iterator[_M]:
    """One kind of item on the client's timeline (gsi2), by its sort-key prefix."""
    db.configure()
    return model.by_client.query(keys.client_timeline(business_id, client_id), model.g2sk.startswith(prefix))


def messages(business_id: str, client_id: str) -> list[Message]:
    """The messages about the client (her history as the owner sees it; webhook events
    are not messages to her, and a booking's plan is its messages before they are put
    in: seconds)."""
    found = _timeline(MessageItem, business_id, client_id, keys.TIMELINE_MESSAGES)
    return [outbox.to_message(m) for m in found if m.kind not in (WEBHOOK_EVENT, BOOKING_PLAN)]


def repoint_messages(business_id: str, client_id: str, channel: str, old: str, new: str | None, why: str) -> int:
    """Her messages still to be sent by `channel` to `old` (her reminders, planned when she
    booked) go to `new`, her contact now; with none (cleared, or a number not texted) they
    are skipped with `why`. One that went meanwhile is left as it went. How many moved."""
    moved = 0
    for m in _timeline(MessageItem, business_id, client_id, keys.TIMELINE_MESSAGES):
        # Pending only: one being sent this moment goes as it was claimed.
        if m.channel != channel or m.recipient != old or m.status != MessageStatus.PENDING.value:
            continue
        actions: list[Action] = (
            [MessageItem.recipient.set(new)]
            if new
            else [
                MessageItem.status.set(MessageStatus.SKIPPED.value),
                MessageItem.last_error.set(why),
                MessageItem.g3pk.remove(),
                MessageItem.g3sk.remove(),
            ]
        )
        try:
            m.update(actions=actions, condition=(MessageItem.status == m.status) & (MessageItem.recipient == old))
            moved += 1
        except UpdateError as e:
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise
    return moved


# --- export ---------------------------------------------------------------------------------
_INTERNAL = {"pk", "sk", "version", "search", "plan", "plan_tries"}  # table plumbing, not data about the client
_INDEX_KEY = re.compile(r"^g\d(pk|sk)$")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _plain(item: Model) -> dict[str, Any]:
    """An item's attributes as JSON-ready values, without the table's key plumbing."""
    out = {}
    for name, value in item.attribute_values.items():
        if name in _INTERNAL or _INDEX_KEY.match(name):
            continue
        plain = value.as_dict() if hasattr(value, "as_dict") else value
        if isinstance(plain, list):
            plain = [v.as_dict() if hasattr(v, "as_dict") else v for v in plain]
        out[name] = _jsonable(plain)
    return out


@dataclass(frozen=True)
class Export:
    """Every item about one client, as stored (right of access, portability)."""

    client: Client
    profile: dict[str, Any]
    appointments: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    follow_ups: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    rewards: list[dict[str, Any]]
    webhook_endpoints: list[dict[str, Any]]  # where webhooks about her went: [{id, url}]
    money: list[dict[str, Any]] = field(default_factory=list)  # charges, fees, refunds
    waitlist: list[dict[str, Any]] = field(default_factory=list)  # her entries (open, closed) her contacts' lists name


def export(business_id: str, client_id: str) -> Export | None:
    """Everything Rebook holds about the client; None if she is unknown or erased."""
    db.configure()
    try:
        profile = ClientItem.get(keys.biz(business_id), keys.client_sk(client_id), consistent_read=True)
    except ClientItem.DoesNotExist:
        return None
    client = clients.to_client(profile)
    if client.is_erased:
        return None
    b, c = business_id, client_id
    timeline = list(_timeline(MessageItem, b, c, keys.TIMELINE_MESSAGES))
    went_to: dict[str, str] = {}
    for m in timeline:
        if m.kind == WEBHOOK_EVENT and m.endpoints:
            went_to.update(m.endpoints)
    return Export(
        client=client,
        profile=_plain(profile),
        appointments=[_plain(a) for a in _timeline(AppointmentItem, b, c, keys.TIMELINE_APPOINTMENTS)],
        messages=[_plain(m) for m in timeline if m.kind != WEBHOOK_EVENT],
        webhook_endpoints=[{"id": k, "url": v} for k, v in sorted(went_to.items())],
        notes=[_plain(n) for n in _timeline(NoteItem, b, c, keys.TIMELINE_NOTES)],
        follow_ups=[_plain(f) for f in _timeline(FollowUpItem, b, c, keys.TIMELINE_FOLLOWUPS)],
        feedback=[_plain(f) for f in _timeline(FeedbackItem, b, c, keys.TIMELINE_FEEDBACK)],
        rewards=[
            _plain(r)
            for r in RewardItem.query(keys.biz(b), RewardItem.sk.startswith(keys.rewards_of(c)), consistent_read=True)
        ],
        money=[_plain(m) for m in _timeline(MoneyItem, b, c, keys.TIMELINE_MONEY)],
        waitlist=[waitlist.entry_to_dict(e) for e in _waitlist_entries(client)],
    )


# --- erasure --------------------------------------------------------------------------------
def _erase_message(m: MessageItem) -> None:
    """What a message said and to whom go; one still to be sent is never sent."""
    actions: list[Action] = [MessageItem.recipient.set("erased"), MessageItem.context.set({"erased": True})]
    if m.status in OPEN_STATUSES:
        # Never send to a person who asked to be forgotten.
        actions += [
            MessageItem.status.set(MessageStatus.SKIPPED.value),
            MessageItem.last_error.set("client_erased"),
            MessageItem.g3pk.remove(),
            MessageItem.g3sk.remove(),
        ]
    m.update(actions=actions)


def _erase_waitlist(client: Client, now: datetime) -> int:
    """Her waitlist entries (found by her phone's and email's lists, as the waitlist
    knows people: not by client id): an open one leaves the list, so no freed time is
    offered to her; each loses her name and contacts, as do its search keys and the
    messages it sent her (its joining confirmations, the offers made to it). Closed
    entries too: her lists keep them, marked closed, as long as their items are kept.
    Returns how many entries."""
    b = client.business_id
    n = 0
    listed = _listed(client)
    hers = [e for e in listed.values() if e is not None and _is_hers(e, client)]
    for found in hers:
        e = found
        if e.status == EntryStatus.OPEN.value and waitlist.close_entry(e, EntryStatus.LEFT.value, now):
            e = waitlist.get_entry(b, e.id) or e  # as closed: blanked below
        search.drop_entry_keys(e)
        # Offers of times on her days (UTC midnights a day either side: local days).
        since = datetime.combine(e.first - timedelta(days=1), time.min, tzinfo=UTC)
        offers = waitlist.offers_between(b, since, datetime.combine(e.last + timedelta(days=2), time.min, tzinfo=UTC))
        for prefix in [f"{e.id}#", *(f"{o.id}#" for o in offers if o.entry_id == e.id)]:
            for m in MessageItem.query(keys.biz(b), MessageItem.sk.startswith(keys.msg_sk(prefix))):
                _erase_message(m)
        waitlist.blank_entry(e, ERASED_NAME)
        n += 1
    # Her lists lose her entries, and those no one's any more (blanked by an erasure of
    # hers that stopped half-way, or expired); another person's entry stays on them.
    gone = [e.id for e in hers] + [i for i, e in listed.items() if e is None or not (e.phone or e.email)]
    waitlist.forget_contacts(b, waitlist.read_contacts(b, client.phone, client.email), gone)
    return n


def _listed(client: Client) -> dict[str, Entry | None]:
    """The waitlist entries, open and closed, that her phone's and email's lists name (the
    waitlist knows people by contact, not by client id), by id (None: its item is gone):
    one BatchGetItem, then one read per entry."""
    found = waitlist.read_contacts(client.business_id, client.phone, client.email)
    return {entry_id: waitlist.get_entry(client.business_id, entry_id) for entry_id in found.every()}


def _is_hers(e: Entry, client: Client) -> bool:
    """Whether a listed entry is hers (domain.waitlist.is_persons): not one another person
    made with her phone (her own name and email), nor one an edit moved off a mistyped
    contact. Her export and her erasure take only these."""
    return is_persons(e, client.name, client.phone, client.email)


def _waitlist_entries(client: Client) -> list[Entry]:
    """Her waitlist entries, open and closed."""
    return [e for e in _listed(client).values() if e is not None and _is_hers(e, client)]


def claim_erasure(client: Client, now: datetime) -> bool:
    """Mark an erasure under way, unless she was booked since `client` was read (her
    `bookings` count moved on): from here no booking lands on her (clients.bookable), so
    none is made between the caller's check for upcoming visits and the erasure. False:
    read her and check again."""
    db.configure()
    made = ClientItem.bookings == client.bookings
    if not client.bookings:
        made = made | ClientItem.bookings.does_not_exist()
    try:
        clients.item_key(client).update(actions=[ClientItem.erasing_at.set(now)], condition=clients.unerased() & made)
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def erase(client: Client, now: datetime, calendars: Collection[str] = ()) -> dict[str, int]:
    """Remove the client's personal data from every item that holds it; keep what the
    counts need (appointments' times, services, prices, statuses) under the bare id.
    Each step is idempotent, and the profile is blanked last, with the versions of the
    staff `calendars` whose feeds show her name (so that they drop it), so an interrupted
    erasure is finished by running it again. Returns how many items were touched."""
    db.configure()
    b, c = client.business_id, client.id
    pk = keys.biz(b)
    counts = {"contact_keys": 0, "appointments": 0, "messages": 0, "notes": 0, "followups": 0, "feedback": 0}
    counts["search_keys"] = search.erase(client)  # she can no longer be found by name or contact
    for kind, value in (("phone", client.phone), ("email", client.email)):
        if value:
            try:
                ClientKeyItem(pk, keys.client_key_sk(kind, value)).delete(condition=ClientKeyItem.client_id == c)
                counts["contact_keys"] += 1
            except DeleteError:
                pass  # already gone, or now another client's contact
    for a in _timeline(AppointmentItem, b, c, keys.TIMELINE_APPOINTMENTS):
        if a.note or a.cancel_reason or a.plan is not None:
            # A plan not yet expanded (seconds after a booking) goes too: never sent.
            a.update(
                actions=[
                    AppointmentItem.note.remove(),
                    AppointmentItem.cancel_reason.remove(),
                    AppointmentItem.plan.remove(),
                    AppointmentItem.g6pk.remove(),
                    AppointmentItem.g6sk.remove(),
                ]
            )
            counts["appointments"] += 1
    for m in _timeline(MessageItem, b, c, keys.TIMELINE_MESSAGES):
        if m.kind == WEBHOOK_EVENT:
            continue  # ids only; integrations must hear of her changes, then of her erasure
        _erase_message(m)
        counts["messages"] += 1
    counts["waitlist"] = _erase_waitlist(client, now)
    counts["imports"] = imports.forget_client(b, client.name, (client.phone, client.email), ERASED_NAME)
    for f in _timeline(FeedbackItem, b, c, keys.TIMELINE_FEEDBACK):
        if f.comment:  # the rating stays in the counts; her words go
            f.update(actions=[FeedbackItem.comment.remove()])
            counts["feedback"] += 1
    for money in _timeline(MoneyItem, b, c, keys.TIMELINE_MONEY):
        if money.note:  # the amounts stay in the books; the owner's words about her go
            money.update(actions=[MoneyItem.note.remove()])
    for n in _timeline(NoteItem, b, c, keys.TIMELINE_NOTES):
        n.delete()
        counts["notes"] += 1
    counts["imports"] += imports.forget_note_claims(b, c)  # what her imported notes' words were hashed into
    for fu in _timeline(FollowUpItem, b, c, keys.TIMELINE_FOLLOWUPS):
        fu.delete()
        counts["followups"] += 1
    # The profile is blanked last, in one transaction with the client.erased event.
    tx = Tx(ClientItem)
    tx.update(
        clients.item_key(client),
        [
            ClientItem.name.set(ERASED_NAME),
            ClientItem.phone.remove(),
            ClientItem.sms_stopped.remove(),
            ClientItem.email.remove(),
            ClientItem.birthday.remove(),
            ClientItem.preferences.remove(),
            ClientItem.allergies.remove(),
            ClientItem.important_notes.remove(),
            ClientItem.tags.remove(),
            ClientItem.search.remove(),
            ClientItem.marketing.remove(),
            ClientItem.consent_log.remove(),
            ClientItem.erased_at.set(now),
            ClientItem.updated_at.set(now),
            ClientItem.g3pk.remove(),
            ClientItem.g3sk.remove(),
            ClientItem.g1pk.remove(),
            ClientItem.g1sk.remove(),
            ClientItem.g4pk.remove(),
            ClientItem.g4sk.remove(),
            ClientItem.g5pk.remove(),
            ClientItem.g5sk.remove(),
        ],
        "client",
        # Erased once: another erasure running beside this one (two taps, two devices)
        # finished first, and told the webhooks; this one adds no second event.
        condition=ClientItem.erased_at.does_not_exist(),
    )
    for staff_id in sorted(calendars):
        daysheets.calendar_moved(tx, b, staff_id)
    webhooks.emit(tx, b, [client_erased(c, now)], now)
    try:
        tx.commit()
    except TxFailed as e:
        if "client" not in e.failed:
            raise
        raise AlreadyErased(c) from None
    return counts


class AlreadyErased(Exception):
    """Another erasure of her finished first (erase)."""


def due_for_erasure(day: str) -> Iterator[Client]:
    """Clients whose automatic-erasure date is `day`, across businesses: Query g3 per shard."""
    for item in db.query_buckets(keys.day_buckets("ERASE", day), ClientItem.by_erase_day.query):
        yield clients.to_client(item)
