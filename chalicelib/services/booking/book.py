"""Booking a time: from the booking widget and pages, or at the front desk by phone.

Of two requests for overlapping times exactly one commits: the appointment, its
place on the staff member's day sheet (written on the version the request read), the
client, the confirmations and any reward it redeems are one conditional transaction
(chalicelib/store/bookings.py); a request that finds the sheet changed reads it
again. Prices and perks follow chalicelib/domain/loyalty.py.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.domain import availability as avail
from chalicelib.domain import loyalty as perks
from chalicelib.domain.booking import DESK, Appointment, BookingIn, HoldFor, PerkNotApplied, Status
from chalicelib.domain.clients import BookedClient, ClientMatch, booked_client, foreign_contact
from chalicelib.domain.config import Business, BusinessConfig, Service, Staff
from chalicelib.domain.contacts import fold, phone_context
from chalicelib.domain.daysheet import Taken, days_touched
from chalicelib.domain.ids import new_id
from chalicelib.domain.messages import PlannedMessage
from chalicelib.domain.privacy import erase_due
from chalicelib.domain.timeutil import iso_local
from chalicelib.errors import Conflict, NotFound, RebookError, SlotTaken, ValidationFailed
from chalicelib.services import idempotency, loyalty, message_plans
from chalicelib.services.booking import guard
from chalicelib.services.booking.pricing import Quote, quote
from chalicelib.services.booking.profile import business
from chalicelib.services.booking.views import booking_view
from chalicelib.services.payments import holds as payment_holds
from chalicelib.services.validation import parse
from chalicelib.services.waitlist.join import booked_elsewhere
from chalicelib.store import bookings, clients

# Reads of the sheets and the client before giving up: another booking of the same
# staff member's day, or of the same new client, may commit between read and write.
ATTEMPTS = 5


def create_booking(
    slug: str,
    body: object,
    idempotency_key: str | None = None,
    source: str = "web",
    client_ip: str | None = None,
    perk_dropped: PerkNotApplied | None = None,
    terms_with_perk: bool = False,
) -> tuple[int, dict[str, Any]]:
    """A booking from the public API or the booking page: within the business's limits
    per contact and per client IP (chalicelib/services/booking/guard.py). `perk_dropped`:
    the booking page left out her link's perk, for this reason (pages/views.py book_submit);
    `terms_with_perk`: the payment terms she ticked there were worked out with her link's
    perk (book: refused, never charged more, when the perk is not hers)."""
    return book(
        business(slug),
        body,
        idempotency_key,
        source,
        public=True,
        client_ip=client_ip,
        perk_dropped=perk_dropped,
        terms_with_perk=terms_with_perk,
    )


def book(
    b: Business,
    body: object,
    idempotency_key: str | None = None,
    source: str = "web",
    *,
    desk: bool = False,
    notify: bool = True,
    as_sent: object = None,
    public: bool = False,
    client_ip: str | None = None,
    client_id: str | None = None,
    pays: bool = False,
    waitlist_offer: str | None = None,
    caller: str | None = None,
    perk_dropped: PerkNotApplied | None = None,
    terms_with_perk: bool = False,
) -> tuple[int, dict[str, Any]]:
    """A booking from the web (the public rules) or the front desk (`desk`: the staff
    member's hours, chalicelib/domain/availability.is_allowed_desk_start; a client may
    be given by her name alone, then a new client with no contact who is told nothing);
    `notify` False sends no confirmation (the client is standing at the desk). An
    Idempotency-Key is checked against the body `as_sent` by the caller when it filled
    in `body` (a walk-in's start is the time of the request, not of its replay).
    `public`: the limits per contact and client IP apply, and the request's SMS count
    against them. `client_id`: the known client the desk picked (`body`'s client is her
    profile's name and contacts). A service's payment terms apply (`payment_needed`: the
    terms ticked, the booking held while she pays) when `public`, or `pays` (a waitlist
    offer's tap: the link proves her contact, the salon's deposit still holds the time);
    `waitlist_offer`, that offer's id, kept on the appointment (paid, it is the offer's refill).
    `caller`: the desk's signed-in user or API key, bound to its Idempotency-Key
    (idempotency.booking_hash); None, an anonymous caller. `perk_dropped`: why the caller
    left out the perk of her link (the booking page: a link it could not read), said on
    the booking as a perk it did not apply (_not_applied)."""
    idempotency.check_key(idempotency_key)
    context = {**(DESK if desk else {}), **phone_context(b.config.home_country)}
    req: BookingIn = parse(BookingIn, body, "booking", context=context)
    if public and not req.client.email and not message_plans.sms_to(b, req.client.phone):
        # Her only contact a number the business does not text (sms.countries): her
        # confirmation, reminders and manage link could reach her by nothing.
        raise ValidationFailed(
            "No confirmation could reach you: this number cannot be texted from here; give an email address.",
            fields={"client.phone": "no confirmation can reach it (cannot be texted from here): give an email address"},
        )
    now = clock.now()
    service = _service(b.config, req)
    staff = _staff_by_the_rules(b.config, service, req, now, desk=desk)
    offer = _offer(b, req, source, now)
    idem = (
        (idempotency_key, idempotency.booking_hash(body if as_sent is None else as_sent, caller))
        if idempotency_key
        else None
    )
    end = req.start + timedelta(minutes=service.occupancy_minutes)
    days = days_touched(req.start, end, b.config.tz)
    subjects = guard.subjects(b, req.client.phone, req.client.email, client_ip) if public else []
    last_error: Exception | None = None
    for attempt in range(ATTEMPTS):
        read = bookings.read_for_booking(
            b.id, req.client.phone, req.client.email, [(m.id, d) for m in staff for d in days], idem, subjects
        )
        if read.replay is not None:
            return 201, _replay(b, read.replay, idem)
        member = next((m for m in staff if not read.sheets.clashes(m.id, days, req.start, end)), None)
        if member is None and desk and attempt == 0:
            # At the desk the calendar is in front of her: the time overlaps what is there.
            raise _overlaps(b, [t for m in staff for t in read.sheets.clashes(m.id, days, req.start, end)])
        if member is None:
            raise _not_booked(None)  # taken by someone else: by everyone free at that time
        if public:
            guard.check(b, read.meters, now)  # 429 over a limit
        if client_id is not None:
            read = replace(read, client=replace(read.client, chosen=client_id))
        try:
            appt, secret = _commit(
                b,
                req,
                service,
                member,
                read,
                days,
                offer,
                idem,
                source,
                now,
                notify,
                public,
                pays or public,
                waitlist_offer,
                desk=desk,
                perk_dropped=perk_dropped,
                terms_with_perk=terms_with_perk,
            )
        except (clients.ClientRace, bookings.SheetChanged) as e:
            last_error = e
            bookings.pause_before_retry(attempt)
            continue
        except bookings.IdempotentReplay as replay:
            return 201, _replay(b, replay, idem)
        # The confirmations are in the outbox, pending: the outbox stream sends them
        # right after this answer (services/outbox_stream.py), the sweeper if it cannot;
        # a booking held while she pays parks them until it is paid.
        if source != "waitlist":
            booked_elsewhere(b, appt, read.waiting)
        return 201, payment_holds.with_payment(b, appt, booking_view(b, appt), secret)
    raise _not_booked(last_error)


# --- the steps --------------------------------------------------------------------------------
def _service(cfg: BusinessConfig, req: BookingIn) -> Service:
    service = cfg.service(req.service)
    if not service:
        raise ValidationFailed("Choose a service offered here.", fields={"service": "unknown service"})
    return service


def _staff_by_the_rules(
    cfg: BusinessConfig, service: Service, req: BookingIn, now: datetime, desk: bool = False
) -> list[Staff]:
    """Who could take the booking at its start by the hours and rules (their day sheets
    aside), in random order: "anyone" spreads bookings instead of filling one calendar
    first."""
    eligible = cfg.staff_for(service.id)
    if req.staff:
        eligible = [m for m in eligible if m.id == req.staff]
        if not eligible:
            raise ValidationFailed(
                "That staff member does not offer this service.",
                fields={"staff": "unknown staff or does not offer the service"},
            )
    allowed = avail.is_allowed_desk_start if desk else avail.is_allowed_start
    free = [m for m in eligible if allowed(cfg, service, m, req.start, now)]
    if not free:
        problem = (avail.desk_start_problem if desk else avail.start_problem)(cfg, req.start, now)
        raise ValidationFailed(f"The start time {problem}.", fields={"start": problem})
    random.shuffle(free)
    return free


@dataclass(frozen=True)
class _Offer:
    """The perks a request brings, checked once: the owner of the card a reward is
    redeemed from (None at the front desk: the booking's client), and the referral."""

    reward_owner: str | None
    referral: perks.Referral | None


def _offer(b: Business, req: BookingIn, source: str, now: datetime) -> _Offer:
    return _Offer(
        reward_owner=loyalty.reward_owner(b, req.reward, source, now) if req.reward else None,
        referral=loyalty.referral_of(b, req.referral, now),
    )


def _commit(
    b: Business,
    req: BookingIn,
    service: Service,
    member: Staff,
    read: bookings.BookingRead,
    days: list[date],
    offer: _Offer,
    idem: tuple[str, str] | None,
    source: str,
    now: datetime,
    notify: bool = True,
    public: bool = False,
    pays: bool = False,
    waitlist_offer: str | None = None,
    desk: bool = False,
    perk_dropped: PerkNotApplied | None = None,
    terms_with_perk: bool = False,
) -> tuple[Appointment, str | None]:
    """One try at one staff member's time as it was read: who the client is, what she
    pays, and the booking's one transaction (counted on the limits' meters when
    `public`; held while she pays when `pays` and the service takes payment). The appointment (its confirmations wait in the outbox, pending) and, when
    it is held while the client pays, the client secret Stripe.js needs."""
    match = read.client
    use = _perk(b, req, offer, match)
    priced = quote(b, service, use)
    appt = replace(
        _appointment(b, req, service, member, match, use, priced, source, now, idem),
        waitlist_offer=waitlist_offer,
        foreign_contact=not desk and foreign_contact(match, req.client.phone, req.client.email),
        perk_not_applied=_not_applied(req, offer, use, perk_dropped),
    )
    pay = payment_holds.payment_needed(b, priced.payment, req) if pays else None
    if pay is not None and terms_with_perk and use is None:
        # The terms she ticked were her perk's, and she gets none: a client the salon knows
        # gets no welcome perk, and a reward used or a link gone meanwhile gives nothing. She
        # accepts the full price's terms first, never charged more than she ticked.
        if offer.referral is not None:
            raise Conflict(
                "The welcome perk is for new clients: accept the payment terms at the full price first.",
                key="perk_not_new_terms",
            )
        raise Conflict(
            "The perk of the link can no longer be given: accept the payment terms at the full price first.",
            key="perk_gone_terms",
        )
    secret = None
    if pay is not None:  # held while she pays: no confirmation until it is paid
        appt, secret = payment_holds.hold(b, appt, pay, idem[0] if idem else None, now)
    elif public:  # a new client's booking far ahead or in bulk: held until she confirms
        until = guard.hold_until(b, match, read.meters, appt.start, now)
        appt = replace(appt, hold_until=until, hold_for=HoldFor.CONFIRMATION.value if until else None)
    client = _client(b, req, appt, match, use, source, vouched=desk)
    welcome = (
        perks.welcome_reward(b.id, appt.client_id, appt.id, offer.referral, now, b.config.tz)
        if use and use.referred_by and offer.referral
        else None
    )
    # SMS only within the number's and the IP's SMS of the day (public requests); the
    # business's allowed countries apply to every SMS (services/message_plans.py).
    sms_ok = not public or guard.sms_allowed(b, read.meters, now)
    if not sms_ok and req.client.phone:
        appt = replace(appt, sms_limited=True)
    confirmations, later = _messages(b, appt, req, now, sms=sms_ok, by_salon=desk)
    parked = confirmations if pay is not None else []  # sent once paid (services/payments/holds.py)
    if not notify or pay is not None:
        confirmations = []
    entry = guard.entry(appt, now, [*confirmations, *parked, *later]) if public else None
    try:
        bookings.transact_with_retry(
            functools.partial(
                bookings.create_booking,
                appt,
                days,
                read.sheets,
                client,
                confirmations,
                idem,
                now,
                later=later,
                welcome=welcome,
                today=now.astimezone(b.config.tz).date(),
                meters=read.meters,
                meter_entry=entry,
                meter_window=guard.window(b),
                parked=parked,
            )
        )
    except bookings.RewardGone:
        raise loyalty.RewardUnavailable() from None
    return appt, secret


def _perk(b: Business, req: BookingIn, offer: _Offer, match: ClientMatch) -> perks.PerkUse | None:
    reward = loyalty.reward_to_redeem(b, req.reward, offer.reward_owner, match.client_id) if req.reward else None
    # Her own referral link with a new phone and email is still her (an attacker's probe:
    # the welcome perk, then the referrer's reward for herself): a friend has another name.
    herself = offer.referral is not None and fold(offer.referral.referrer_name) == fold(req.client.name)
    return perks.perk_for_booking(reward, offer.referral, is_new_client=match.client_id is None and not herself)


def _not_applied(
    req: BookingIn, offer: _Offer, use: perks.PerkUse | None, dropped: PerkNotApplied | None
) -> str | None:
    """Why the perk the booking came with is not on it (None: it is, or it came with none):
    a referral's welcome perk and a client the salon knows (by phone or email), a referral
    link that no longer gives one (expired, the referrer gone, referrals ended), or what
    the caller dropped (`dropped`)."""
    if use is not None:
        return None
    if offer.referral is not None:
        return PerkNotApplied.NOT_NEW.value
    if dropped is not None:
        return dropped.value
    return PerkNotApplied.GONE.value if req.referral else None


def _appointment(
    b: Business,
    req: BookingIn,
    service: Service,
    member: Staff,
    match: ClientMatch,
    use: perks.PerkUse | None,
    priced: Quote,
    source: str,
    now: datetime,
    idem: tuple[str, str] | None = None,
) -> Appointment:
    return Appointment(
        # A keyed request's id comes from its key: the appointment is the key's record.
        id=bookings.appointment_id_for(b.id, idem[0]) if idem else new_id(),
        business_id=b.id,
        client_id=match.client_id or new_id(),
        service_id=service.id,
        staff_id=member.id,
        start=req.start,
        end=req.start + timedelta(minutes=service.duration_minutes),
        occupied_until=req.start + timedelta(minutes=service.occupancy_minutes),
        status=Status.BOOKED.value,
        price_cents=priced.price_cents,
        locale=req.client.locale or b.config.locale,
        note=req.note,
        source=source,
        created_at=now,
        updated_at=now,
        reward_id=use.reward_id if use else None,
        discount_cents=priced.discount_cents,
        any_staff=not req.staff,
    )


def _client(
    b: Business,
    req: BookingIn,
    appt: Appointment,
    match: ClientMatch,
    use: perks.PerkUse | None,
    source: str,
    vouched: bool,
) -> BookedClient:
    return booked_client(
        b.id,
        appt.client_id,
        match,
        req.client.name,
        req.client.phone,
        req.client.email,
        appt.locale,
        req.consents.marketing,
        source,
        active_until=appt.end,
        erase_on=erase_due(appt.end, b.config.privacy.erase_inactive_after_years),
        referred_by=use.referred_by if use else None,
        vouched=vouched,
        # Her own booking on a page in the language she reads (not the desk's, nor one
        # made with a contact she is not known by: who typed it may not be she).
        locale_chosen=not vouched and not appt.foreign_contact and req.client.locale is not None,
    )


def _messages(
    b: Business, appt: Appointment, req: BookingIn, now: datetime, sms: bool = True, by_salon: bool = False
) -> tuple[list[PlannedMessage], list[PlannedMessage]]:
    """The confirmations, sent at once (an SMS of the desk's booking, after the quiet
    hours: `by_salon`); the reminders and feedback request, later. `sms` False: none by
    SMS (email still goes)."""
    c = req.client
    phone = c.phone if sms else None
    base = message_plans.booking_context(b, appt, c.name)  # its links signed once for all
    confirmations = message_plans.booking_event(
        b, appt, "confirmation", c.name, phone, c.email, now, base=base, by_salon=by_salon
    )
    later = message_plans.reminders(b, appt, c.name, phone, c.email, now, base=base)
    later += message_plans.feedback_request(b, appt, c.name, phone, c.email, base=base)
    return confirmations, later


def _replay(b: Business, replay: bookings.IdempotentReplay, idem: tuple[str, str] | None) -> dict[str, Any]:
    """The booking a repeated Idempotency-Key made, if the body is the same."""
    if idem is None or replay.body_hash != idem[1]:
        raise idempotency.reused()
    appt = bookings.get_appointment(b.id, replay.appointment_id)
    if appt is None:
        raise NotFound("This booking no longer exists.", key="booking_gone")
    return payment_holds.with_payment(b, appt, booking_view(b, appt))


def _overlaps(b: Business, clashes: list[Taken]) -> SlotTaken:
    """A desk booking over what the calendar already has (a booking, time off): 409
    slot_taken refined by `reason: overlaps`, with the first stretch it overlaps."""
    first = min(clashes, key=lambda t: t.start)
    tz = b.config.tz
    return SlotTaken(
        "The time overlaps an existing booking or time off. Please choose another time.",
        fields={"start": "overlaps an existing booking"},
        details={
            "reason": "overlaps",
            "overlaps": {
                "start": iso_local(first.start, tz),
                "end": iso_local(first.end, tz),
                "time_off": first.is_time_off,
            },
        },
    )


def _not_booked(last_error: Exception | None) -> RebookError:
    if isinstance(last_error, clients.ClientRace):
        return Conflict("Another booking for the same client is being made; please try again.", code="client_busy")
    if isinstance(last_error, bookings.SheetChanged):
        return Conflict("The calendar is busy right now; please try again.", code="calendar_busy")
    return SlotTaken("That time was just taken. Please choose another time.", fields={"start": "no longer free"})
