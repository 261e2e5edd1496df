"""Which messages a booking event sends, and what their templates are told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import links
from chalicelib.domain import feedback as feedback_rules
from chalicelib.domain import reminders as reminder_rules
from chalicelib.domain.booking import Appointment
from chalicelib.domain.clients import Client
from chalicelib.domain.config import Business
from chalicelib.domain.contacts import first_name, sms_allowed
from chalicelib.domain.messages import PlannedMessage, booking_message_keys
from chalicelib.domain.timeutil import iso_local, iso_utc


def sms_to(b: Business, phone: str | None) -> str | None:
    """The number to text, if the business texts numbers of its country (SMS pumping:
    `sms.countries`, default the Nordic countries and Estonia, and the business file's
    own phone's country); otherwise None, and the message goes by email where there is one."""
    return phone if phone and sms_allowed(phone, b.config.sms.countries) else None


def business_context(b: Business) -> dict[str, Any]:
    """What every message says about the business (and the SMS sender it goes from)."""
    cfg = b.config
    return {
        "name": cfg.name,
        "address": cfg.address,
        "phone": cfg.phone,
        "slug": cfg.slug,
        "timezone": cfg.timezone,
        "sms_sender": cfg.sms_sender,
        "sender_name": cfg.sender_name or cfg.name,
        # Her reply ("I'm running late") reaches the salon: the sending address has no inbox.
        "reply_to": cfg.owner_email,
        # The sender counts every SMS against it without reading the config (notify/outbox.py).
        "sms_daily_budget": cfg.sms.daily_budget,
    }


def booking_context(
    b: Business, appt: Appointment, client_name: str, previous_start: datetime | None = None
) -> dict[str, Any]:
    cfg, tz = b.config, b.config.tz
    service, staff = cfg.service(appt.service_id), cfg.staff_member(appt.staff_id)
    return {
        "business": business_context(b),
        "client": {"name": client_name, "first_name": first_name(client_name)},
        "service": {
            "id": appt.service_id,
            "name": service.name.get(appt.locale) if service else appt.service_id,
            "duration_minutes": service.duration_minutes if service else None,
            "price_cents": appt.price_cents,
            # The top of its range, where the price depends on the hair's length: the
            # message shows the range (notify/localtime.py format_price_of).
            "price_max_cents": service.price_max_cents if service else None,
            "discount_cents": appt.discount_cents,
        },
        "staff": {"id": appt.staff_id, "name": staff.name if staff else ""},
        # Why the perk of her link is not in the price (domain/booking.py PerkNotApplied).
        "perk_not_applied": appt.perk_not_applied,
        "start": iso_local(appt.start, tz),
        "end": iso_local(appt.end, tz),
        "previous_start": iso_local(previous_start, tz) if previous_start else None,
        "manage_url": links.manage_url(links.manage_token(b.id, appt.id, appt.end)),
        # "Book again": the same service and stylist (not one the salon cancelled for:
        # Appointment.rebook_staff), her details filled in from the token.
        "book_url": rebook_link(
            b, appt, appt.end + links.REBOOK_VALID, service=appt.service_id, staff=appt.rebook_staff
        ),
        "appointment_id": appt.id,
        "sequence": appt.seq,
        # Until when she may change it online; each message offers that only while it
        # is ahead when the message is sent (chalicelib/notify/render.py).
        "cancellation_deadline": iso_local(
            appt.change_deadline(cfg.rules.cancellation_window_hours, cfg.rules.change_grace_minutes), tz
        ),
        "note": appt.note,
        "payment": paid_context(b, appt),
        "card_url": card_link(b, appt),
    }


def card_link(b: Business, appt: Appointment) -> str | None:
    """Her stamp card, rewards and referral link, where the business runs them (not for a
    booking made with a contact she is not known by: its booker is not hers to show)."""
    cfg = b.config
    if not (cfg.loyalty.enabled or cfg.referrals.enabled) or appt.foreign_contact:
        return None
    return links.card_url(links.card_token(b.id, appt.client_id, appt.end))


def rebook_link(b: Business, appt: Appointment, expires: datetime, **prefill: str | None) -> str:
    """ "Book again" from one of her visits: the booking page with `prefill` chosen and her
    details filled in (a rebook token), or without them for a visit booked with a contact
    she is not known by (Appointment.foreign_contact: her details are not its booker's to see)."""
    if appt.foreign_contact:
        return links.book_url(b.config.slug, **prefill)
    return links.rebook_url(b.config.slug, b.id, appt.client_id, expires, **prefill)


def paid_context(b: Business, appt: Appointment) -> dict[str, Any] | None:
    """What she paid when booking (a deposit or the whole price), until when cancelling
    gives it back (None: never; domain/payments.py free_until) and the terms' words, as
    the pages say them. Made
    with the booking while it is held: its confirmation leaves only once it is paid."""
    from chalicelib.domain import payments as rules

    pay = appt.payment
    if pay is None or pay.kind not in (rules.PaymentKind.DEPOSIT.value, rules.PaymentKind.PREPAY.value):
        return None
    from chalicelib.pages.i18n import words
    from chalicelib.services.payments.pay import terms_text

    grace = b.config.rules.change_grace_minutes
    free = rules.free_until(appt.start, pay.accepted_terms(), appt.created_at, grace)
    return {
        "kind": pay.kind,
        "paid_cents": pay.due_cents,
        "free_until": iso_local(free, b.config.tz) if free > appt.created_at else None,
        # The terms as the pay page says them, in her language: free until when, then
        # what a late cancellation and a no-show cost (services/payments/pay.py).
        "terms": terms_text(
            words(appt.locale),
            pay.terms,
            appt.start,
            b.config.tz,
            appt.locale,
            grace,
            booked_at=appt.created_at,
            kind=pay.kind,
            price_cents=appt.price_cents,
            paid_cents=pay.due_cents,
        ),
    }


def quiet_hours_end(b: Business, now: datetime) -> datetime:
    """When an SMS that waits out the business's quiet hours (a message about the client,
    the salon's money news) goes if planned at `now`: now, or their end
    (reminders.quiet_hours_over)."""
    cfg = b.config
    return reminder_rules.quiet_hours_over(now, cfg.quiet_hours, cfg.tz)


def to_client(
    b: Business, c: Client, key: str, kind: str, context: dict[str, Any], now: datetime
) -> PlannedMessage | None:
    """A message about the client rather than one visit: by email, else by SMS — which
    waits for the end of the quiet hours (the sender holds it again if a retry falls in
    them: notify/dispatch.py, with the quiet hours it was planned with)."""
    channel, recipient = ("email", c.email) if c.email else ("sms", sms_to(b, c.phone))
    if not recipient:
        return None
    due_at = now
    if channel == "sms":
        due_at = quiet_hours_end(b, now)
        context = {**context, "quiet_hours": b.config.quiet_hours.model_dump()}
    return PlannedMessage(
        key=key,
        kind=kind,
        channel=channel,
        recipient=recipient,
        locale=c.locale,
        context=context,
        due_at=due_at,
        business_id=b.id,
        client_id=c.id,
    )


def about_visit(
    appt: Appointment, key: str, kind: str, channel: str, recipient: str, context: dict[str, Any], due_at: datetime
) -> PlannedMessage:
    """A message about one visit, to its client in the visit's language: tied to the visit
    as booked (its sequence number), so the sender skips it once the visit changed."""
    return PlannedMessage(
        key=key,
        kind=kind,
        channel=channel,
        recipient=recipient,
        locale=appt.locale,
        context=context,
        due_at=due_at,
        business_id=appt.business_id,
        appointment_id=appt.id,
        appointment_seq=appt.seq,
        client_id=appt.client_id,
    )


def salon_sms_time(b: Business, appt: Appointment, now: datetime, previous_start: datetime | None = None) -> datetime:
    """When the SMS of a change the desk made at `now` to `appt` (moved from
    `previous_start`) goes: at the end of the quiet hours, or now when her visit (or its
    old time) comes too soon after them (reminders.salon_change_sms_time)."""
    cfg = b.config
    visit = min(appt.start, previous_start) if previous_start else appt.start
    return reminder_rules.salon_change_sms_time(now, cfg.quiet_hours, cfg.tz, visit)


def held_salon_sms(
    b: Business, appt: Appointment, phone: str | None, now: datetime, previous_start: datetime | None = None
) -> datetime | None:
    """When the desk's SMS of a change made at `now` goes, if it waits out the quiet
    hours (booking_event `by_salon`); None when it goes at once or there is none (no
    number, or one the business does not text, or one that replied STOP: its send fails
    `opted_out`, so no time is promised). The desk's answer says it, so the owner knows
    when her client hears of it."""
    number = sms_to(b, phone)
    if not number:
        return None
    return held_sms_at(number, salon_sms_time(b, appt, now, previous_start), now)


def held_sms_at(number: str | None, at: datetime, now: datetime) -> datetime | None:
    """`at`, when an SMS to `number` planned for `at` is held past `now`; None when it
    goes at once or none goes (no number, or one that replied STOP: its send fails
    `opted_out`, so no time is promised)."""
    if not number or at <= now:
        return None
    from chalicelib.notify import channels

    try:
        # The same check the outbox makes before it texts (notify/outbox.py).
        if channels.is_opted_out(number):
            return None
    except channels.SendError:
        pass  # SNS unreachable now: the booking is made, and the send asks again
    return at


def stopped_number(c: Client | None) -> str | None:
    """Her number that replied STOP, as a send found (store/clients.py mark_texts_stopped)
    and SNS still says: one question to SNS, only for a client marked so; the mark goes
    when the number is texted again (she sent START, or the salon opted it back in). SNS
    not answering: as marked."""
    if c is None or not c.sms_stopped or c.is_erased:
        return None
    from chalicelib.notify import channels
    from chalicelib.store import clients

    try:
        if channels.is_opted_out(c.sms_stopped):
            return c.sms_stopped
    except channels.SendError:
        return c.sms_stopped
    clients.mark_texts_stopped(c.business_id, c.id, c.sms_stopped, stopped=False)
    return None


def hold_context(b: Business, appt: Appointment) -> dict[str, Any]:
    """What a confirmation adds of a booking held until she confirms it: the only
    confirmation link, and until when; nothing for any other booking."""
    if not (appt.awaiting_confirmation and appt.hold_until is not None):
        return {}
    return {
        "confirm_url": links.hold_url(links.hold_token(b.id, appt.id, appt.end)),
        "hold_until": iso_local(appt.hold_until, b.config.tz),
    }


def confirmation_as_booked_now(b: Business, appt: Appointment, planned: dict[str, Any]) -> dict[str, Any]:
    """The context of a confirmation planned as `planned`, told of the booking as it is
    now (moved, or its hold confirmed, since it was planned: notify/dispatch.py): her name
    as she booked, the rest from `appt`; what the sender was told when it was planned (the
    quiet hours, the held SMS's visit time) kept."""
    context = booking_context(b, appt, (planned.get("client") or {}).get("name") or "")
    context.update(hold_context(b, appt))
    kept = ("quiet_hours", "visit_start_utc", "news_before_utc")
    return {**context, **{k: planned[k] for k in kept if k in planned}}


def booking_event(
    b: Business,
    appt: Appointment,
    kind: str,
    client_name: str,
    phone: str | None,
    email: str | None,
    now: datetime,
    previous_start: datetime | None = None,
    invite: bool | None = None,
    base: dict[str, Any] | None = None,
    by_salon: bool = False,
) -> list[PlannedMessage]:
    """One message per channel the client gave: email and/or SMS. `invite` (a
    cancellation by the salon): True asks her to choose a new time with the booking link
    pre-filled (same service and staff member); False leaves the link out. `base`: the
    booking's context, made once for all its messages. `by_salon`: the desk made the
    change, not she: its SMS waits for the end of the quiet hours unless her visit (or a
    moved visit's old time) comes too soon after them (reminders.salon_change_sms_time);
    her own change is answered at once, and email always goes at once."""
    recipients = {ch: to for ch, to in (("email", email), ("sms", sms_to(b, phone))) if to}
    if not recipients:
        return []
    due = dict.fromkeys(recipients, now)
    visit = min(appt.start, previous_start) if previous_start else appt.start
    if by_salon and "sms" in recipients:
        due["sms"] = salon_sms_time(b, appt, now, previous_start)
    context = dict(base) if base is not None else booking_context(b, appt, client_name, previous_start)
    if kind == "confirmation":
        context.update(hold_context(b, appt))
    if invite is not None:
        context["invite"] = invite
        if not invite:
            context["book_url"] = None
    contexts = dict.fromkeys(recipients, context)
    if due.get("sms", now) > now:
        # Held for the morning: sent only if the visit still stands as it says (not moved
        # again or cancelled that night: domain/messages.py visit_as_planned).
        # The quiet hours are applied again at send time, as the salon has them then
        # (notify/dispatch.py, domain/messages.py held_news_before): `news_before_utc`
        # is the visit time the rule's lead counts to.
        contexts["sms"] = {**context, "visit_start_utc": iso_utc(appt.start), "news_before_utc": iso_utc(visit)}
    keys = booking_message_keys(appt.id, kind, appt.seq, list(recipients))
    return [about_visit(appt, keys[ch], kind, ch, to, contexts[ch], due[ch]) for ch, to in recipients.items()]


def reminder_key(appt: Appointment, rule_id: str, channel: str) -> str:
    # The visit's start is in the key: a moved booking gets reminders for its new time.
    return f"{appt.id}#reminder-{rule_id}#{appt.start.strftime('%Y%m%dT%H%MZ')}#{channel}"


def reminders(
    b: Business,
    appt: Appointment,
    client_name: str,
    phone: str | None,
    email: str | None,
    now: datetime,
    base: dict[str, Any] | None = None,
) -> list[PlannedMessage]:
    """The visit's reminders by the business's plan, on the channels the client gave."""
    if appt.reminders_off:
        return []
    cfg = b.config
    recipients = {ch: to for ch, to in (("email", email), ("sms", sms_to(b, phone))) if to}
    deadline = appt.change_deadline(cfg.rules.cancellation_window_hours, cfg.rules.change_grace_minutes)
    planned = reminder_rules.plan(cfg.reminders, cfg.quiet_hours, cfg.tz, appt.start, now, set(recipients), deadline)
    if not any(p.send_at for p in planned):
        return []
    context = dict(base) if base is not None else booking_context(b, appt, client_name)
    context["reminders_off_url"] = context["manage_url"] + "#reminders"
    context["visit_start_utc"] = iso_utc(appt.start)
    # The plan was made with these; the sweeper re-applies them to a late send without
    # reading the business config (its cost stays one read per due message).
    context["quiet_hours"] = cfg.quiet_hours.model_dump()
    return [
        about_visit(
            appt,
            reminder_key(appt, p.rule_id, p.channel),
            "reminder",
            p.channel,
            recipients[p.channel],
            context,
            p.send_at,
        )
        for p in planned
        if p.send_at
    ]


def feedback_key(appt: Appointment) -> str:
    # One request per visit; the start is in the key so a moved visit gets its own.
    return f"{appt.id}#feedback#{appt.start.strftime('%Y%m%dT%H%MZ')}"


def feedback_request(
    b: Business,
    appt: Appointment,
    client_name: str,
    phone: str | None,
    email: str | None,
    base: dict[str, Any] | None = None,
) -> list[PlannedMessage]:
    """The request for a rating after the visit: email with five one-click star links,
    or an SMS with one link when there is no email. Planned with the booking; the sweeper
    sends it only if the visit took place (not cancelled, not a no-show, not moved)."""
    channel, recipient = ("email", email) if email else ("sms", sms_to(b, phone))
    if not recipient:
        return []
    context = dict(base) if base is not None else booking_context(b, appt, client_name)
    token = links.feedback_token(b.id, appt.id, appt.end)
    context.update(
        visit_start_utc=iso_utc(appt.start),
        feedback_url=links.feedback_url(token),
        star_urls=[links.feedback_url(token, r) for r in range(1, 6)],
        review_link=b.config.review_link,
        feedback_every_days=b.config.feedback.min_days_between,
    )
    due = feedback_rules.request_time(appt.end, b.config.feedback, b.config.tz)
    return [about_visit(appt, feedback_key(appt), "feedback_request", channel, recipient, context, due)]
