"""A booking's transaction holds at most BOOKING_ITEMS items whatever the case (issue 19):
a new or returning client, email and SMS, a webhook endpoint listening, a deposit held
while she pays, a long service, an Idempotency-Key and the limits' meters of a public
request. Every transaction committed is counted (chalicelib/store/tx.py `committed`)."""

from __future__ import annotations

import pytest

from tests.api.helpers import booking_body, set_config
from tests.conftest import drain_outbox, sent_emails, sent_sms
from tests.payments.conftest import localstripe, stripe_env  # noqa: F401 (fixtures)

BOOKING_ITEMS = 10  # docs/data-model.md "The booking transaction"
IP = "203.0.113.7"  # a public client IP: its meter is counted too


def _booked(body, key: str | None = "k1", **kw):
    """Book through the public use case (with an Idempotency-Key and a client IP), and
    return the roles of the booking's transaction."""
    from chalicelib.services.booking import book
    from chalicelib.store import tx

    with tx.committed() as seen:
        status, view = book.create_booking("demo", body, idempotency_key=key, client_ip=IP, **kw)
    assert status == 201, view
    [booking] = [roles for roles in seen if "appointment" in roles]
    return view, booking


def _listening(business_id: str) -> None:
    from datetime import UTC, datetime

    from chalicelib.domain import webhooks as rules
    from chalicelib.store import webhooks

    at = datetime(2026, 11, 1, tzinfo=UTC)
    secret = (rules.Secret(rules.new_secret()),)
    endpoint = rules.Endpoint(business_id, "ep1", "https://hooks.example.com/", (), True, secret, at, at)
    webhooks.save_endpoint(endpoint, None)


def test_a_new_clients_booking_with_email_sms_and_every_meter_is_within_the_budget(aws, frozen_now):
    from chalicelib.store import bookings, outbox

    _listening(aws.id)
    view, roles = _booked(booking_body("2026-11-25T12:00:00+02:00"))
    assert len(roles) <= BOOKING_ITEMS, roles
    # A new profile with both contact keys (each carrying its contact's first meter
    # entry), the meter of her IP — and no outbox item: all she will get rides on the
    # appointment as its plan. The Idempotency-Key names the appointment.
    assert roles.count("client") == 3 and roles.count("meter") == 1 and "idempotency" not in roles
    assert view["id"] == bookings.appointment_id_for(aws.id, "k1")
    assert roles.count("message") == 0 and "calendar" not in roles and "webhook-event" not in roles
    plan = outbox.waiting_plan(aws.id, view["id"])
    assert plan is not None and plan.status == "pending"
    kinds = sorted(m["kind"] for m in plan.context["messages"])
    assert kinds == ["confirmation", "confirmation", "feedback_request", "reminder", "reminder", "webhook_event"]

    # Its sender expands it once: the confirmations go, the rest waits for its time.
    emails, texts = len(sent_emails()), len(sent_sms())
    assert drain_outbox() == {}  # sent_emails() drained it already
    assert outbox.waiting_plan(aws.id, view["id"]) is None
    assert (emails, texts) == (1, 1)
    for key in (f"{view['id']}#confirmation#email", f"{view['id']}#confirmation#sms"):
        sent = outbox.get_message(aws.id, key)
        assert sent is not None and sent.status == "sent"
    # The expansion put her phone's and email's meters, with this booking on them.
    from chalicelib.domain import limits as rules
    from chalicelib.store import limits

    body = booking_body("2026-11-25T12:00:00+02:00")["client"]
    for kind in (rules.PHONE, rules.EMAIL, rules.IP):
        value = {rules.PHONE: "+358401234567", rules.EMAIL: body["email"], rules.IP: IP}[kind]
        meter = limits.get(aws.id, kind, rules.subject_hash(aws.id, kind, value))
        assert meter is not None and list(meter.entries) == [view["id"]], kind


def test_a_returning_clients_booking_is_within_the_budget(aws, frozen_now):
    _booked(booking_body("2026-11-25T12:00:00+02:00"), key="k1")
    drain_outbox()
    _, roles = _booked(booking_body("2026-11-26T14:00:00+02:00"), key="k2")
    assert len(roles) <= BOOKING_ITEMS, roles
    assert roles.count("client") == 1  # her counters; her keys are there already


def test_a_long_service_is_as_many_items_as_a_short_one(aws, frozen_now):
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store import businesses

    data = aws.config.model_dump(mode="json")
    for s in data["services"]:
        if s["id"] == "colour":
            s["duration_minutes"] = 7 * 60  # 7 h + 15 min buffer: the whole of Sanna's Wednesday
    businesses.save_config(parse_business_config(data))
    businesses.clear_cache()
    _, short = _booked(booking_body("2026-11-25T12:00:00+02:00", staff="aino"), key="k1")
    body = booking_body("2026-11-25T09:00:00+02:00", service="colour", staff="sanna", phone="040 765 4321")
    _, long = _booked({**body, "client": {**body["client"], "email": "other@example.com"}}, key="k2")
    assert len(long) == len(short) <= BOOKING_ITEMS


@pytest.mark.usefixtures("stripe_env")
def test_a_booking_held_for_its_deposit_is_within_the_budget(aws, frozen_now):
    from chalicelib.store import outbox

    body = booking_body("2026-11-25T12:00:00+02:00", service="highlights", staff="aino", accepted_payment_terms=1)
    view, roles = _booked(body)
    assert view["status"] == "pending_payment"
    assert len(roles) <= BOOKING_ITEMS, roles
    # Its confirmations ride in the plan, parked until she pays: none is sent now.
    drain_outbox()
    assert len(sent_emails()) == 0 and len(sent_sms()) == 0
    parked = outbox.get_message(aws.id, f"{view['id']}#confirmation#email")
    assert parked is not None and parked.status == "parked"


def test_a_booking_held_for_a_new_clients_confirmation_is_within_the_budget(aws, frozen_now):
    set_config(aws, limits__hold_unconfirmed={"enabled": True, "minutes": 30, "far_ahead_days": 1})
    view, roles = _booked(booking_body("2026-11-25T12:00:00+02:00"))
    assert view["status"] == "awaiting_confirmation"
    assert len(roles) <= BOOKING_ITEMS, roles
