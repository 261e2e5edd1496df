"""History the browser tests need but cannot wait for in real time (a visit that took
place yesterday), written into the running stack's DynamoDB Local by the app's own
store code, and the signed links a client would have received for it."""

from __future__ import annotations

import itertools
import os
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_hours_back = itertools.count(24, 2)  # each seeded visit at its own past time


@contextmanager
def stack_env(stack):
    """This process talks to the stack's DynamoDB Local and signs links with its secret."""
    from tests.conftest import reset_caches

    saved = dict(os.environ)
    os.environ.update({k: v for k, v in stack.env.items() if k.startswith(("REBOOK_", "AWS_"))})
    reset_caches()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_caches()


def past_visit(stack, name: str, email: str) -> dict:
    """A completed visit a day or more ago, and the client's feedback, unsubscribe and
    card links."""
    from chalicelib import links
    from chalicelib.domain.booking import Appointment
    from chalicelib.domain.clients import BookedClient
    from chalicelib.domain.ids import new_id
    from chalicelib.store import bookings, businesses

    with stack_env(stack):
        b = businesses.get_by_slug("demo")
        now = datetime.now(UTC)
        start = (now - timedelta(hours=next(_hours_back))).replace(minute=0, second=0, microsecond=0)
        appt = Appointment(
            id=new_id(),
            business_id=b.id,
            client_id=new_id(),
            service_id="womens-cut",
            staff_id="aino",
            start=start,
            end=start + timedelta(hours=1),
            occupied_until=start + timedelta(hours=1),
            status="completed",
            price_cents=6900,
            locale="fi",
            created_at=start - timedelta(days=7),
            updated_at=start + timedelta(hours=1),
        )
        client = BookedClient(
            business_id=b.id,
            client_id=appt.client_id,
            is_new=True,
            name=name,
            phone=None,
            email=email,
            locale="fi",
            marketing_granted=True,
            consent_source="booking:web",
            link_phone=False,
            link_email=True,
        )
        bookings.create_booking(appt, client, [], None, appt.created_at)
        return {
            "appointment": appt.id,
            "client": appt.client_id,
            "feedback": links.feedback_url(links.feedback_token(b.id, appt.id, appt.end)),
            "unsubscribe": links.unsubscribe_url(links.unsubscribe_token(b.id, appt.client_id, now)),
            "card": links.card_url(links.card_token(b.id, appt.client_id, now)),
        }


def visit(
    stack,
    name: str,
    email: str | None,
    start: datetime,
    *,
    staff: str = "aino",
    service: str = "womens-cut",
    status: str = "completed",
    marketing: bool = True,
) -> dict:
    """An appointment at `start` written like past_visit's (today's or one long ago);
    for a completed visit the client's figures and rhythm are refreshed at once, as the
    visits_ended job does, so a visit weeks ago puts her on the at-risk or lapsed list."""
    from chalicelib.domain.booking import Appointment
    from chalicelib.domain.clients import BookedClient
    from chalicelib.domain.ids import new_id
    from chalicelib.services import retention
    from chalicelib.store import bookings, businesses

    with stack_env(stack):
        b = businesses.get_by_slug("demo")
        svc = b.config.service(service)
        end = start + timedelta(minutes=svc.duration_minutes)
        appt = Appointment(
            id=new_id(),
            business_id=b.id,
            client_id=new_id(),
            service_id=service,
            staff_id=staff,
            start=start,
            end=end,
            occupied_until=end,
            status=status,
            price_cents=svc.price_cents,
            locale="fi",
            created_at=start - timedelta(days=7),
            updated_at=start - timedelta(days=7),
        )
        client = BookedClient(
            business_id=b.id,
            client_id=appt.client_id,
            is_new=True,
            name=name,
            phone=None,
            email=email,
            locale="fi",
            marketing_granted=marketing,
            consent_source="booking:web",
            link_phone=False,
            link_email=bool(email),
        )
        bookings.create_booking(appt, client, [], None, appt.created_at)
        if status == "completed":
            retention.refresh_client(b.id, appt.client_id, datetime.now(UTC))
        return {"appointment": appt.id, "client": appt.client_id, "business": b.id}
