"""Freed time offered to the waitlist.

Every change that frees time — a cancellation (client, owner, an unconfirmed hold or an
unpaid payment hold running out), a move (its old time), removed or shortened time off,
added working hours, the queue passing a run-out hold on — writes the freed stretches
as one outbox item in its own transaction (`freed`), held by its request, which offers
them right after the commit (`offer_freed`); if it dies first or the refill fails, the
outbox sweeper hands the item here later (`handle`, through notify/dispatch.py). So freed
time is never lost, and however often an item is handled, or twice at once, the offers
are made once (their ids) and its freed minutes counted once (with the item marked done:
store/waitlist.py `freed_done`).

One stretch (`time_freed`, `_time_freed`): it reads the staff member's day sheets as
they are now (the time may be taken again already), the entries waiting for each of her
services that fits the free gap around it on those days (one Query each:
chalicelib/store/waitlist.py), and offers each match the best start that fits her, which
may use that free gap as long as the visit overlaps the freed stretch
(chalicelib/domain/waitlist.py offer_starts). Each offer is put
once with its message in one transaction (the outbox stream sends it right away, the
sweeper if it cannot).

Mode `all` (the default) offers every match at once, the first to book wins; mode
`queue` offers the first in the queue, holding it `hold_minutes`; the `waitlist_queue`
job passes a run-out hold on to the next (`run`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib import clock, links
from chalicelib.domain import waitlist as rules
from chalicelib.domain.config import Business, Staff
from chalicelib.domain.contacts import first_name
from chalicelib.domain.daysheet import busy_by_staff, days_touched
from chalicelib.domain.messages import Message, MessageStatus, Outcome, PlannedMessage, queued
from chalicelib.domain.timeutil import iso_local, iso_utc, local_wall_to_utc, parse_utc
from chalicelib.domain.waitlist import Entry, Offer
from chalicelib.observability import logger
from chalicelib.services import message_plans
from chalicelib.store import businesses, daysheets, jobs
from chalicelib.store import waitlist as store

KIND = "waitlist_offer"
# An offer SMS must leave her this long to tap before the time's minimum notice.
REACT = timedelta(minutes=10)


@dataclass
class Refill:
    """What one freed time came to (for logs, the job's summary and the tests)."""

    matched: int = 0
    offered: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    offers: list[Offer] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def time_freed(
    b: Business,
    staff_id: str,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    *,
    freed_at: datetime | None = None,
) -> Refill:
    """Offer the freed stretch [start, end) of `staff_id`'s time to the waitlist. Never
    raises: the change that freed the time has committed; a failure here is logged.
    `freed_at`: when it was freed, if before now (the queue passing it on): the freed
    minutes were counted then, and the time to refill counts from then."""
    now = now or clock.now()
    try:
        if freed_at is None and end > now:
            minutes = int((end - max(start, now)).total_seconds() // 60)
            store.count_freed(b.id, start.astimezone(b.config.tz).date(), minutes)
        return _time_freed(b, staff_id, start, end, now, freed_at or now)
    except Exception:
        logger().exception("waitlist refill failed", extra={"business_id": b.id, "staff_id": staff_id})
        return Refill()


# --- freed time, durably: an outbox item written with the change ----------------------------
CHANNEL = "waitlist"  # outbox items that are not messages: the refill handles them
FREED = "time_freed"
# How long the request that freed the time holds its item (it offers the time right after
# its commit); if it dies first, the sweeper takes the item over after this.
FREED_LEASE = timedelta(minutes=2)
Stretch = tuple[str, datetime, datetime]


def freed(
    b: Business,
    key: str,
    stretches: Sequence[Stretch],
    now: datetime,
    *,
    many: bool = False,
    remove_time_off: str | None = None,
    freed_at: datetime | None = None,
    unpaid_offer: tuple[str, str] | None = None,
) -> Message | None:
    """The outbox item of time a change frees, to be written in the change's own
    transaction, held by the request (`offer_freed` right after the commit; the sweeper
    after FREED_LEASE if it never gets there). `key`: what freed it, once (an
    appointment and its seq, a block of time off, a config version). `many`: stretches of
    time off or added hours, counted and offered on the days someone waits only (one
    Query). `remove_time_off`: the block the change replaced, removed from its sheets
    first (time off edited or removed: services/admin/time_off.py). `freed_at`: freed
    before (the queue passing a run-out hold on): its minutes were counted then, and the
    time to refill counts from then. `unpaid_offer`: (offer, appointment) of a booking from
    a waitlist offer whose payment hold ended unpaid: her entry is opened again first
    (services/waitlist/offers.py unpaid), even with the waitlist turned off since.
    None: nothing to do."""
    if remove_time_off is None and unpaid_offer is None and (not stretches or not b.config.waitlist.enabled):
        return None
    planned = PlannedMessage(
        key=f"freed#{key}",
        kind=FREED,
        channel=CHANNEL,
        recipient=b.id,
        locale=b.config.locale,
        context={
            "stretches": [[s, iso_utc(a), iso_utc(z)] for s, a, z in stretches],
            "many": many,
            "remove_time_off": remove_time_off,
            "freed_at": iso_utc(freed_at) if freed_at else None,
            "unpaid_offer": list(unpaid_offer) if unpaid_offer else None,
        },
        due_at=now,
        business_id=b.id,
    )
    return queued(planned, now, FREED_LEASE)


def offer_freed(b: Business, m: Message | None, now: datetime) -> Refill:
    """Right after the change's commit, by the request that holds `m`: offer its time.
    Never raises (the change has committed): on a failure the item is due again for the
    sweeper after a backoff, or after its lease if even that cannot be written."""
    if m is None:
        return Refill()
    try:
        return _run_freed(b, m, now)
    except Exception as e:
        logger().exception("waitlist refill failed", extra={"business_id": b.id, "message_key": m.key})
        _retry_later(m, now, e)
        return Refill()


def handle(m: Message, now: datetime) -> str:
    """The sweeper's (or the stream's) turn at a freed-time item: claimed with the
    outbox's conditional write (of two runs one gets it), then offered as the request
    would have. What came of it, in the sweeper's words."""
    from chalicelib.notify.dispatch import claim_work

    work = claim_work(m, now, FREED_LEASE)
    if isinstance(work, str):
        return work
    b, claimed = work
    try:
        _run_freed(b, claimed, now)
    except Exception as e:
        logger().exception("waitlist refill failed", extra={"business_id": b.id, "message_key": m.key})
        _retry_later(claimed, now, e)
        return "retry"
    return "sent"


def _retry_later(m: Message, now: datetime, e: Exception) -> None:
    from chalicelib.notify.outbox import backoff
    from chalicelib.store import outbox

    try:
        outbox.record_outcomes([(m, Outcome(MessageStatus.PENDING.value, error=type(e).__name__))], now, backoff)
    except Exception:
        logger().exception("freed time not put off", extra={"message_key": m.key})


def _stretches(m: Message) -> list[Stretch]:
    return [(s, parse_utc(a), parse_utc(z)) for s, a, z in m.context.get("stretches") or []]


def _run_freed(b: Business, m: Message, now: datetime) -> Refill:
    """Remove the replaced block (if any), offer every stretch, then count the freed
    minutes and mark the item done in one transaction. Raises on a failure (the item is
    tried again: offers are made once by their ids, the minutes counted once)."""
    done = Refill()
    unpaid = m.context.get("unpaid_offer")
    earlier = m.context.get("freed_at")
    freed_at, tz = parse_utc(earlier) if earlier else m.created_at, b.config.tz
    as_of = freed_at  # the freeing the offers' ids are of (rules.offer_id)
    if unpaid:  # first: her entry open again, the offer marked so the time goes to the next
        from chalicelib.services.waitlist.offers import unpaid as reopen

        reopen(b, str(unpaid[0]), str(unpaid[1]), now)
        # Offered as of the freeing she took it from: its id keeps the time from going back
        # to her (nor again to those it was offered to then).
        taken = store.get_offer(b.id, str(unpaid[0]))
        as_of = _freed_at(taken) if taken is not None else as_of
    block = m.context.get("remove_time_off")
    if block:
        from chalicelib.services.admin.time_off import remove_replaced

        remove_replaced(b, str(block))
    stretches = _stretches(m) if b.config.waitlist.enabled else []
    if stretches and m.context.get("many"):
        first = min(s for _, s, _ in stretches).astimezone(tz).date()
        last = max(e for _, _, e in stretches).astimezone(tz).date()
        waiting = {d for d, _ in store.waiting_counts(b.id, first, last)}
        stretches = [x for x in stretches if waiting.intersection(days_touched(x[1], x[2], tz))]
    minutes: dict[date, int] = {}
    for staff_id, start, end in stretches:
        if end > freed_at and not earlier:  # minutes still ahead when freed, on the day it starts
            day = start.astimezone(tz).date()
            minutes[day] = minutes.get(day, 0) + int((end - max(start, freed_at)).total_seconds() // 60)
        one = _time_freed(b, staff_id, start, end, now, freed_at, as_of)
        done.matched, done.offered = done.matched + one.matched, done.offered + one.offered
        done.offers += one.offers
        for reason, n in one.skipped.items():
            done.skipped[reason] = done.skipped.get(reason, 0) + n
    store.freed_done(m, minutes, now)
    return done


def _time_freed(
    b: Business,
    staff_id: str,
    start: datetime,
    end: datetime,
    now: datetime,
    freed_at: datetime,
    as_of: datetime | None = None,
) -> Refill:
    """`freed_at`: when the time was freed (the time to refill counts from then); `as_of`:
    the freeing whose offers these are (their ids: rules.offer_id), `freed_at` unless an
    unpaid booking from an offer gave it back."""
    as_of = as_of or freed_at
    cfg = b.config
    done = Refill()
    staff = cfg.staff_member(staff_id)
    if not cfg.waitlist.enabled or staff is None or end <= now:
        return done
    days = days_touched(start, end, cfg.tz)
    sheets = daysheets.read(b.id, [(staff.id, d) for d in days])
    busy = busy_by_staff(sheets.get(staff.id, d) for d in days).get(staff.id, [])
    if cfg.waitlist.mode == "queue":
        # Time held for the first in the queue of an earlier freeing is hers alone while
        # held, though not on the sheet: one Query of the business's offers on those days.
        since = local_wall_to_utc(days[0], 0, cfg.tz) - timedelta(days=1)
        until = local_wall_to_utc(days[-1] + timedelta(days=1), 0, cfg.tz)
        busy = busy + rules.held_busy(cfg, staff.id, store.offers_between(b.id, since, until), now)
    # Only services that fit the free gap around the freed stretch are looked up: a
    # freed haircut is not read against everyone waiting for a colour.
    gap = rules.free_gap((start, end), busy)
    entries: list[Entry] = []
    for service_id in staff.services:
        service = cfg.service(service_id)
        if service is None or timedelta(minutes=service.occupancy_minutes) > gap:
            continue
        for day in days:
            entries += [e for e in store.waiting_on(b.id, service_id, day) if e.staff_id in (None, staff.id)]
    unique = {e.id: e for e in entries}.values()
    # A start she could still book after reading the offer: its notice after REACT.
    found = rules.matches(cfg, staff, (start, end), busy, now + REACT, unique)
    done.matched = len(found)
    queue = cfg.waitlist.mode == "queue"
    for entry, offered_start in found:
        result = _offer(b, staff, entry, offered_start, (start, end), now, done, freed_at, as_of)
        if queue and result == store.OfferResult.MADE:
            break  # one at a time; the job passes it on when her hold runs out
        if queue and result == store.OfferResult.EXISTS and _still_held(b, entry, staff, offered_start, as_of, now):
            break  # the one holding it still may take it
    logger().info(
        "waitlist refill",
        extra={"business_id": b.id, "matched": done.matched, "offered": done.offered, "skipped": done.skipped},
    )
    return done


def _freed_at(offer: Offer) -> datetime:
    """When the time an offer offers was freed."""
    return parse_utc(str(offer.extra["freed_at"])) if offer.extra.get("freed_at") else offer.created_at


def _still_held(b: Business, entry: Entry, staff: Staff, start: datetime, as_of: datetime, now: datetime) -> bool:
    existing = store.get_offer(b.id, rules.offer_id(entry.id, staff.id, start, as_of))
    return existing is not None and rules.held(existing, now)


def _offer(
    b: Business,
    staff: Staff,
    entry: Entry,
    start: datetime,
    freed: tuple[datetime, datetime],
    now: datetime,
    done: Refill,
    freed_at: datetime,
    as_of: datetime,
) -> str:
    cfg = b.config
    service = cfg.service(entry.service_id)
    assert service is not None  # matches() offers only services offered here
    deadline = rules.offer_deadline(cfg, start)
    channel, recipient, send_at = _channel(b, entry, now, deadline)
    if channel is None or recipient is None or send_at is None:
        done.skip("quiet_hours" if channel is None and entry.phone else "no_channel")
        return "skipped"
    expires = deadline
    mode = cfg.waitlist.mode
    if mode == "queue":
        expires = min(deadline, send_at + timedelta(minutes=cfg.waitlist.hold_minutes))
    offer = Offer(
        id=rules.offer_id(entry.id, staff.id, start, as_of),
        business_id=b.id,
        entry_id=entry.id,
        service_id=service.id,
        staff_id=staff.id,
        start=start,
        end=start + timedelta(minutes=service.duration_minutes),
        freed_start=freed[0],
        freed_end=freed[1],
        created_at=now,
        expires_at=expires,
        mode=mode,
        channel=channel,
        price_cents=service.price_cents,
        extra={"freed_at": iso_utc(freed_at)},
    )
    message = PlannedMessage(
        key=f"{offer.id}#offer#{channel}",
        kind=KIND,
        channel=channel,
        recipient=recipient,
        locale=entry.locale,
        context=offer_context(b, entry, offer),
        due_at=send_at,
        business_id=b.id,
    )
    day = send_at.astimezone(cfg.tz).date()
    result, _ = store.make_offer(offer, entry, [message], day, cfg.waitlist.offers_per_day, now)
    if result == store.OfferResult.MADE:
        done.offered += 1
        done.offers.append(offer)
    else:
        done.skip(result)
    return result


def _channel(
    b: Business, entry: Entry, now: datetime, deadline: datetime
) -> tuple[str | None, str | None, datetime | None]:
    """SMS if she gave a number the business texts, sent now or when the quiet hours end
    (if she still has time to book it then); else email, now."""
    cfg = b.config
    phone = message_plans.sms_to(b, entry.phone)
    if phone:
        at = rules.sms_send_time(now, cfg.quiet_hours, cfg.tz, deadline - REACT)
        if at is not None:
            return "sms", phone, at
    if entry.email and now < deadline:
        return "email", entry.email, now
    return None, None, None


def offer_context(b: Business, entry: Entry, offer: Offer) -> dict[str, Any]:
    cfg = b.config
    service, staff = cfg.service(offer.service_id), cfg.staff_member(offer.staff_id)
    token = links.offer_token(b.id, offer.id, offer.expires_at)
    return {
        "business": message_plans.business_context(b),
        "client": {"name": entry.name, "first_name": first_name(entry.name)},
        "service": {
            "id": offer.service_id,
            "name": service.name.get(entry.locale) if service else offer.service_id,
            "duration_minutes": service.duration_minutes if service else None,
            "price_cents": offer.price_cents,
        },
        "staff": {"id": offer.staff_id, "name": staff.name if staff else ""},
        "start": iso_local(offer.start, cfg.tz),
        "end": iso_local(offer.end, cfg.tz),
        # A service that takes payment: what confirming it asks (the booking page's terms).
        "payment": _payment(b, offer),
        "offer_url": links.offer_url(token),
        "offer_expires": iso_local(offer.expires_at, cfg.tz),
        # The sender skips an offer whose link ran out before it could leave.
        "offer_expires_utc": iso_utc(offer.expires_at),
    }


def _payment(b: Business, offer: Offer) -> dict[str, Any] | None:
    """What booking the offer asks of her before it is hers (a deposit, the whole price,
    a card saved), as its pay page will: None when it books at once."""
    from chalicelib.services.booking.pricing import payment_of

    service = b.config.service(offer.service_id)
    if service is None:
        return None
    pay = payment_of(b, service, offer.price_cents)
    return {"kind": pay.kind, "amount_cents": pay.due_cents} if pay else None


# --- queue mode: the job --------------------------------------------------------------------
JOB = "waitlist_queue"
FIRST_LOOKBACK = timedelta(hours=2)
OVERLAP = timedelta(minutes=10)


def run(now: datetime, simulated: bool = False) -> dict[str, int]:
    """Every queue-mode offer whose hold ran out untaken: its time goes to the next in
    the queue (index g4 by hour; `pass_on` is conditional, so of two runs one passes it)."""
    watermark = jobs.get_watermark(JOB) or now - FIRST_LOOKBACK
    since = (min(watermark, now - FIRST_LOOKBACK) if simulated else watermark) - OVERLAP
    summary = {"run_out": 0, "offered": 0}
    for offer in store.holds_run_out(since, now):
        if offer.expires_at > now or offer.status != rules.OfferStatus.OPEN.value:
            continue
        b = businesses.get_by_id(offer.business_id)
        freed_at = _freed_at(offer)
        stretch = [(offer.staff_id, offer.freed_start, offer.freed_end)]
        # The pass and the item that offers the time to the next are one transaction: a
        # run that dies between them leaves the item to the sweeper.
        item = freed(b, f"pass#{offer.id}", stretch, now, freed_at=freed_at) if b else None
        if not store.pass_on(offer, item):
            continue
        summary["run_out"] += 1
        if b is not None:
            summary["offered"] += offer_freed(b, item, now).offered
    if not simulated:
        jobs.set_watermark(JOB, now, now)
    logger().info("waitlist_queue finished", extra=summary)
    return summary
