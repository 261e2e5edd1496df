"""A waitlist offer's link: see the offered time, book it in one tap, or leave the list.

Booking goes through the booking's own transaction (chalicelib/services/booking/book.py),
so of ten people tapping the same offered time exactly one gets it; the others hear
"just taken — you are still on the list" and, where there is one, the next free time
that fits their entry. A service that takes payment (a deposit, prepayment or card on
file) books as a public booking of it does: the terms shown on the offer's page and
ticked, the time held while she pays on the pay page (services/payments/holds.py), and
an unpaid hold released back to the waitlist when it runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock, links
from chalicelib.domain import waitlist as rules
from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.config import Business
from chalicelib.domain.daysheet import busy_by_staff, days_touched
from chalicelib.domain.timeutil import iso_local
from chalicelib.domain.waitlist import Entry, EntryStatus, Offer, OfferBookIn, OfferStatus
from chalicelib.errors import Conflict, Gone, NotFound, ValidationFailed
from chalicelib.observability import logger
from chalicelib.services.validation import parse
from chalicelib.store import businesses, daysheets
from chalicelib.store import waitlist as store


def _from_token(token: str) -> tuple[Business, Offer, Entry]:
    claims = links.claims_or_4xx(token, "offer", clock.now(), expired=Gone)
    b = businesses.get_by_id(claims.business_id)
    offer = store.get_offer(claims.business_id, claims.subject) if b else None
    entry = store.get_entry(claims.business_id, offer.entry_id) if b and offer else None
    if not b or not offer or not entry:
        raise NotFound("This offer no longer exists.", key="offer_gone")
    return b, offer, entry


def offer_view(b: Business, offer: Offer, entry: Entry) -> dict[str, Any]:
    cfg = b.config
    service, staff = cfg.service(offer.service_id), cfg.staff_member(offer.staff_id)
    return {
        "id": offer.id,
        "status": offer.status,
        "service": {"id": offer.service_id, "name": service.name.get(entry.locale) if service else offer.service_id},
        "staff": {"id": offer.staff_id, "name": staff.name if staff else ""},
        "start": iso_local(offer.start, cfg.tz),
        "end": iso_local(offer.end, cfg.tz),
        "expires_at": iso_local(offer.expires_at, cfg.tz),
        "entry": {"id": entry.id, "status": entry.status},
        "business": {"slug": cfg.slug, "name": cfg.name},
    }


def get_offer(token: str) -> dict[str, Any]:
    """The offer; while the booking her tap made waits for its payment, with `booking`:
    until when the time is held for her and the pay page that confirms it; once it is
    booked, with `booked`: its own page (opened again from the offer's message, she finds
    her booking); that booking since cancelled, `booked_cancelled`; still open but its time
    taken by another, `taken_meanwhile`."""
    b, offer, entry = _from_token(token)
    view = offer_view(b, offer, entry)
    appt = _her_booking(b, entry) if offer.status == OfferStatus.TAKEN.value else None  # hers, not another
    held = _held(b, appt)
    if held is not None:
        view["booking"] = held
    elif appt is not None and appt.status != Status.CANCELLED.value:
        view["booked"] = {"manage_url": links.manage_url(links.manage_token(b.id, appt.id, appt.end))}
    elif appt is not None:
        view["booked_cancelled"] = True  # not "you booked" alone: the time is no longer hers
    elif entry.status == EntryStatus.OPEN.value and (
        offer.status == OfferStatus.LOST.value
        or (offer.status == OfferStatus.OPEN.value and _taken_meanwhile(b, offer))
    ):
        view["taken_meanwhile"] = True  # another on the list (or online) was first: said at once
    return view


def _taken_meanwhile(b: Business, offer: Offer) -> bool:
    """Is the offered time no longer free on its stylist's day sheets (one read)?"""
    cfg = b.config
    service = cfg.service(offer.service_id)
    end = offer.start + timedelta(minutes=service.occupancy_minutes) if service else offer.end
    days = days_touched(offer.start, end, cfg.tz)
    sheets = daysheets.read(b.id, [(offer.staff_id, d) for d in days])
    return bool(sheets.clashes(offer.staff_id, days, offer.start, end))


def _her_booking(b: Business, entry: Entry) -> Appointment | None:
    """The booking her entry was closed by (one more read, of a closed entry's only)."""
    if not entry.booked_appointment:
        return None
    from chalicelib.store import bookings

    return bookings.get_appointment(b.id, entry.booked_appointment)


def held_for_payment(b: Business, entry: Entry) -> dict[str, Any] | None:
    """The booking her offer's tap made, while it is held for its payment: until when and
    its pay page (the offer's page and her entry's say so)."""
    return _held(b, _her_booking(b, entry))


def _held(b: Business, appt: Appointment | None) -> dict[str, Any] | None:
    from chalicelib.services.payments import holds as payment_holds

    if appt is None or appt.status != Status.PENDING_PAYMENT.value:
        return None
    shown = payment_holds.with_payment(b, appt, {}, for_stripe_js=False)
    if "hold_until" not in shown:
        return None
    return {
        "id": appt.id,
        "status": appt.status,
        "hold_until": shown["hold_until"],
        "pay_url": shown["payment"]["pay_url"],
    }


def book(token: str, body: object = None) -> tuple[int, dict[str, Any]]:
    """POST: book the offered time for her. 201 with the booking; 409 `offer_taken` (with
    the next free time that fits her entry, if any) when someone was quicker; 410 when
    the offer ran out. A service that takes payment goes as a public booking of it does:
    422 `payment_terms_not_accepted` without the terms' version ticked (`body`), else held
    while she pays (`pending_payment`, its pay page in `payment.pay_url`)."""
    from chalicelib.services.booking import book as booking
    from chalicelib.services.payments import holds as payment_holds

    req: OfferBookIn = parse(OfferBookIn, {} if body is None else body, "booking")
    b, offer, entry = _from_token(token)
    now = clock.now()
    if offer.status == OfferStatus.TAKEN.value and entry.booked_appointment:
        from chalicelib.services.booking.views import booking_view
        from chalicelib.store import bookings

        appt = bookings.get_appointment(b.id, entry.booked_appointment)
        if appt is not None:  # tapped twice: the booking she has (its pay page while held)
            return 201, payment_holds.with_payment(b, appt, booking_view(b, appt))
    if entry.status != EntryStatus.OPEN.value:
        raise Conflict("You are no longer on the waitlist for this.", code="entry_closed")
    if offer.expires_at <= now or offer.status == OfferStatus.UNPAID.value:  # unpaid: the time went to the list
        raise Gone("This offer has expired.", code="offer_expired")
    booking_body: dict[str, Any] = {
        "service": offer.service_id,
        "staff": offer.staff_id,
        "start": offer.start.isoformat(),
        "client": {
            k: v
            for k, v in {"name": entry.name, "phone": entry.phone, "email": entry.email, "locale": entry.locale}.items()
            if v
        },
        "consents": {"marketing": entry.marketing},
    }
    if req.accepted_payment_terms is not None:
        booking_body["accepted_payment_terms"] = req.accepted_payment_terms
    try:
        # The link proves the contact: no hold for her confirmation, by the online rules
        # (notice, hours), in the booking's own transaction. The service's payment terms
        # hold as on a public booking: a deposit keeps the time while she pays.
        # Keyed by the offer: a double tap's second request, racing the first, gets the
        # same booking back (the booking's idempotency), not "that time was just taken".
        status, answer = booking.book(
            b, booking_body, f"offer.{offer.id}", "waitlist", pays=True, waitlist_offer=offer.id, caller="offer"
        )
    except ValidationFailed as err:
        if "start" not in err.fields:
            raise
        raise _lost(b, offer, entry, now) from None
    except Conflict as err:
        if err.code != "slot_taken":
            raise
        raise _lost(b, offer, entry, now) from None
    first = store.set_offer_status(offer, OfferStatus.TAKEN.value, now, answer["id"])
    store.close_entry(entry, EntryStatus.BOOKED.value, now, answer["id"])
    if first and answer.get("status") != Status.PENDING_PAYMENT.value:  # a double tap's other request counts it
        # Booked at once: refilled now. A booking held for its deposit is a refill only once
        # paid (services/payments/holds.py counts it in the paying transaction).
        price = int(answer.get("price_cents") or offer.price_cents)
        store.count_refill(b.id, rules.refill_of(offer, price, b.config.tz, now))
    logger().info("waitlist offer taken", extra={"business_id": b.id, "offer_id": offer.id})
    return status, answer


def unpaid(b: Business, offer_id: str, appointment_id: str, now: datetime) -> bool:
    """A booking (`appointment_id`) from an offer, held for its payment, ended unpaid (the
    hold ran out, the card was declined; services/payments/holds.py release): the offer is
    marked unpaid and her entry is open again — she still wants a time — unless its days
    have passed (store/waitlist.py unpaid_offer). Done by the release's freed-time item
    (services/waitlist/refill.py), before its time is offered: a fault between the
    release and this leaves the item due, and it is done again; done before, it does
    nothing (the offer is no longer taken). The offer's id keeps the time from going back
    to her. True when her entry opened again; raises on a failure (the item is retried)."""
    offer = store.get_offer(b.id, offer_id)
    if offer is None or offer.appointment_id != appointment_id or offer.status != OfferStatus.TAKEN.value:
        return False
    entry = store.get_entry(b.id, offer.entry_id)
    if entry is not None and entry.booked_appointment != appointment_id:
        entry = None  # closed otherwise since: the offer alone is marked
    today = now.astimezone(b.config.tz).date()
    reopened = store.unpaid_offer(offer, entry, today, now, b.config.waitlist.entries_per_contact)
    logger().info("waitlist offer unpaid", extra={"business_id": b.id, "offer_id": offer.id, "reopened": reopened})
    return reopened


def next_after_taken(token: str) -> dict[str, Any]:
    """What the offer's page says once its time went to someone else: the next free time
    that suits her (None if none), as the refused booking said it."""
    b, _, entry = _from_token(token)
    return {"next": next_free_time(b, entry, clock.now())}


def _lost(b: Business, offer: Offer, entry: Entry, now: datetime) -> Conflict:
    """Her tap came after someone else booked the time: the offer is `lost` (the owner's
    list said "expired" once it ran out, as though she had let it go), and she hears so."""
    if offer.status == OfferStatus.OPEN.value:
        store.set_offer_status(offer, OfferStatus.LOST.value, now)
    return Conflict(
        "That time was just taken — you are still on the list.",
        code="offer_taken",
        details={"next": next_free_time(b, entry, now)},
        key="offer_taken",
    )


def next_free_time(b: Business, entry: Entry, now: datetime) -> dict[str, str] | None:
    """The first free time that fits the entry (any of its staff), from today on: the
    day sheets of her dates (one Query)."""
    cfg = b.config
    service = cfg.service(entry.service_id)
    if service is None:
        return None
    today = now.astimezone(cfg.tz).date()
    first, last = max(entry.first, today), entry.last
    if last < first:
        return None
    sheets = daysheets.in_range(b.id, first, last, consistent=True)
    busy = busy_by_staff(sheets)
    best: tuple[Any, str] | None = None
    for staff in cfg.staff_for(service.id):
        if entry.staff_id not in (None, staff.id):
            continue
        freed = (
            datetime.combine(first, datetime.min.time(), tzinfo=cfg.tz),
            datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=cfg.tz),
        )
        starts = rules.offer_starts(cfg, service, staff, freed, busy.get(staff.id, []), now, entry)
        if starts and (best is None or starts[0] < best[0]):
            best = (starts[0], staff.id)
    if best is None:
        return None
    return {"start": iso_local(best[0], cfg.tz), "staff": best[1]}


def leave(token: str) -> dict[str, Any]:
    """POST: she leaves the list from the offer (again: the same)."""
    from chalicelib.services.waitlist.join import leave_entry

    b, offer, entry = _from_token(token)
    return offer_view(b, offer, leave_entry(entry))
