"""The outbox's rules, free of storage: a planned message entering the outbox, what one
send attempt leaves, and what a reminder or feedback request needs of its visit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chalicelib.domain.messages import (
    MAX_ATTEMPTS,
    FeeAsTold,
    Message,
    Outcome,
    PlannedMessage,
    after_attempt,
    fee_as_told,
    plan_context,
    planned_in,
    queued,
    refund_as_told,
    visit_as_planned,
)

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
PLANNED = PlannedMessage("a1#reminder-email-24h#x#email", "reminder", "email", "m@example.com", "fi", {}, DUE, "b")


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=attempts)


def test_a_planned_message_waits_until_due_unless_the_request_sends_it_at_once():
    waiting = queued(PLANNED, NOW)
    assert (waiting.status, waiting.due_at, waiting.lease_until, waiting.created_at) == ("pending", DUE, None, NOW)
    leased = queued(replace(PLANNED, due_at=NOW), NOW, timedelta(minutes=2))
    assert leased.status == "sending"
    assert leased.due_at == leased.lease_until == NOW + timedelta(minutes=2)  # the sweeper's after the lease
    # Planned for later (an SMS held past the quiet hours): not held to send at once.
    later = queued(PLANNED, NOW, timedelta(minutes=2))
    assert (later.status, later.due_at, later.lease_until) == ("pending", DUE, None)


def test_an_attempt_sends_retries_with_backoff_or_fails_for_good():
    m = queued(replace(PLANNED, due_at=NOW), NOW, timedelta(minutes=2))  # held by the request that sends it
    sent = after_attempt(m, Outcome("sent", provider_id="p-1"), NOW, backoff)
    assert (sent.status, sent.provider_id, sent.sent_at, sent.attempts, sent.lease_until) == (
        "sent",
        "p-1",
        NOW,
        1,
        None,
    )
    retry = after_attempt(m, Outcome("pending", error="Throttling"), NOW, backoff)
    assert (retry.status, retry.due_at, retry.last_error) == ("pending", NOW + timedelta(minutes=1), "Throttling")
    failed = after_attempt(m, Outcome("failed", error="opted_out"), NOW, backoff)
    assert (failed.status, failed.last_error) == ("failed", "opted_out")


def test_the_last_attempt_that_could_be_retried_fails_for_good():
    m: Message = replace(queued(PLANNED, NOW), attempts=MAX_ATTEMPTS - 1)
    done = after_attempt(m, Outcome("pending", error=None), NOW, backoff)
    assert (done.status, done.last_error, done.attempts) == ("failed", "too many attempts", MAX_ATTEMPTS)


def test_a_reminder_needs_its_visit_still_booked_at_the_time_and_reminders_on():
    context = {"visit_start_utc": "2026-11-25T12:00:00Z"}
    reminder = replace(queued(PLANNED, NOW), context=context)
    check = visit_as_planned(reminder)
    assert check is not None
    assert (check.start, check.statuses, check.reminders_on) == (
        datetime(2026, 11, 25, 12, tzinfo=UTC),
        frozenset({"booked"}),
        True,
    )
    feedback = visit_as_planned(replace(reminder, kind="feedback_request"))
    assert feedback is not None
    assert feedback.statuses == frozenset({"booked", "arrived", "completed"}) and not feedback.reminders_on
    # A confirmation sent at once is not checked; one the desk held past the quiet hours
    # carries the start it tells of, and goes only while she is booked then.
    assert visit_as_planned(replace(reminder, kind="confirmation", context={})) is None
    held = visit_as_planned(replace(reminder, kind="rescheduled"))
    assert held is not None and not held.reminders_on
    assert (held.start, held.statuses) == (datetime(2026, 11, 25, 12, tzinfo=UTC), frozenset({"booked"}))
    assert visit_as_planned(replace(reminder, kind="cancelled")) is None


def test_a_booking_plan_gives_back_every_message_it_carries_each_context_whole():
    confirmation = {"business": {"name": "Aurora"}, "start": "12:00", "note": "long hair", "manage_url": "m"}
    reminder = {**confirmation, "visit_start_utc": "2026-11-25T10:00:00Z"}
    reminder.pop("note")  # what a later message leaves out is left out again
    feedback = {**confirmation, "start": "moved?", "star_urls": ["1", "2"]}
    event = {"events": [{"type": "booking.created"}]}
    messages = [
        (replace(PLANNED, key="c#email", kind="confirmation", context=confirmation, due_at=NOW), False),
        (replace(PLANNED, key="c#sms", kind="confirmation", channel="sms", context=confirmation, due_at=NOW), True),
        (replace(PLANNED, context=reminder, appointment_id="a1", appointment_seq=0, client_id="c1"), False),
        (replace(PLANNED, key="f", kind="feedback_request", context=feedback), False),
        (replace(PLANNED, key="wh#1", kind="webhook_event", channel="webhook", context=event, due_at=NOW), False),
    ]
    stored = plan_context(messages, "aino")
    assert len(stored["contexts"]) == 4  # the two confirmations share one
    plan = queued(replace(PLANNED, key="a1#plan", kind="booking_plan", context=stored, due_at=NOW), NOW)
    assert planned_in(plan) == messages


def test_a_marketing_message_is_dropped_when_it_no_longer_holds_of_her_at_send_time():
    from chalicelib.domain.clients import Client, Consent
    from chalicelib.domain.messages import client_as_queued, marketing_dropped

    last = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
    her = Client(
        "b", "c1", "Maija", "fi", NOW, marketing=Consent(True, NOW, "booking:web"), bookings=3, last_visit_at=last
    )

    def message(kind: str, then: Client | None = her) -> Message:
        context = {"client_as_queued": client_as_queued(then)} if then else {}
        return replace(queued(replace(PLANNED, kind=kind, context=context), NOW), client_id="c1")

    assert marketing_dropped(message("winback"), her) is None  # nothing changed: it goes
    assert marketing_dropped(message("winback"), None) == "client_erased"
    assert marketing_dropped(message("birthday"), replace(her, erased_at=NOW)) == "client_erased"
    assert (
        marketing_dropped(message("personal"), replace(her, marketing=Consent(False, NOW, "one_click"))) == "no_consent"
    )
    assert marketing_dropped(message("nudge"), replace(her, relationship="maintenance")) == "maintenance"
    assert marketing_dropped(message("winback"), replace(her, bookings=4)) == "booked"
    assert marketing_dropped(message("nudge"), replace(her, last_visit_at=last + timedelta(days=30))) == "visited"
    # The owner's words and a birthday greeting are not answered by a booking, nor ended by maintenance.
    moved_on = replace(her, bookings=4, relationship="maintenance")
    assert marketing_dropped(message("personal"), moved_on) is None
    assert marketing_dropped(message("birthday"), moved_on) is None
    # Queued before the sender kept what she was then: consent still counts.
    assert marketing_dropped(message("winback", then=None), replace(her, bookings=4)) is None


def test_a_fee_text_is_checked_against_its_own_round_of_the_fee():
    """A fee's text names the round it tells of (`fee_key`) and the states in which what it
    tells holds: the sender sends it only while the fee is so (notify/dispatch.py). A fee
    charged whose refund failed is still charged (the money is the salon's: she must
    hear it), one being given back waits for the refund's outcome. One planned before the
    round was stored names only the fee's kind — maybe another round's — and is not
    checked."""
    charged = replace(
        queued(PLANNED, NOW), kind="fee_charged", context={"fee_kind": "no_show", "fee_key": "no_show.r1"}
    )
    told = fee_as_told(charged)
    assert told is not None and told.key == "no_show.r1"
    assert (told.true_in, told.settling) == ({"succeeded", "refund_failed"}, {"refunding"})
    pay_link = replace(charged, kind="payment_notice", context={**charged.context, "notice": "fee_open"})
    assert fee_as_told(pay_link) == FeeAsTold("no_show.r1", frozenset({"open"}))
    assert fee_as_told(replace(charged, context={"fee_kind": "no_show"})) is None
    assert fee_as_told(replace(charged, kind="fee_refunded")) is None
    assert fee_as_told(replace(pay_link, context={**pay_link.context, "notice": "late_refund"})) is None


def test_a_fee_given_back_is_checked_against_its_refund():
    """A fee's refund text names its refund (`refund_ref`): the sender skips it if Stripe
    failed that refund since. One planned before the ref was stored is sent as before."""
    given_back = replace(
        queued(PLANNED, NOW), kind="fee_refunded", context={"fee_kind": "no_show", "refund_ref": "fee-no_show-n1"}
    )
    assert refund_as_told(given_back) == "refund-fee-no_show-n1"
    assert refund_as_told(replace(given_back, context={"fee_kind": "no_show"})) is None
    assert refund_as_told(replace(given_back, kind="fee_charged")) is None
