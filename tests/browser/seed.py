"""History the browser tests need but cannot wait for (a visit earlier today, clients
who came months ago), written into the running stack's DynamoDB Local by
tests/history.py on the stack's own pinned clock, and the signed links a client would
have received for it; and a day and a business of its own for a test on a stack it
shares (pinned_day)."""

from __future__ import annotations

import itertools
import json
import os
import secrets
from contextlib import contextmanager
from datetime import datetime, timedelta

from tests.history import past_visits

# Clients are matched by their phone or email, and the stack may be shared by the test
# processes (xdist's workers) and their modules: each process numbers its own people,
# its worker's number in their phone and email, so two tests never book as one client.
_people = itertools.count(1)
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


def someone(prefix: str = "asiakas") -> tuple[str, str, str]:
    """A new client's (name, email, phone), unlike any other test's."""
    n = next(_people)
    tag = f"{n}" if not _WORKER else f"{_WORKER}-{n}"  # her name ends in it, her email too
    return f"{prefix.capitalize()} {tag}", f"{prefix}{tag}@example.com", f"040 7{_WORKER:02d}{n:04d}"


@contextmanager
def stack_env(stack):
    """This process talks to the stack's DynamoDB Local, signs links with its secret and
    reads its clock (REBOOK_NOW)."""
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


def pinned_day(stack, now: str, slug: str):
    """The running `stack` moved to `now` with a business of its own there: the demo
    salon's configuration at `slug`, and an owner account for it in the stack's
    owners.json (what POST /dev/sign-in reads on each request). What a test seeds and
    changes on it meets no other business's data, and each process of the stack reads
    it fresh: nothing the stack cached for another business is of this one.

    The clock is the whole stack's (chalicelib/clock.py, as `rebook_cli run-job --now`
    moves it) and stays stopped there. Moved back, it starts none of the stack's
    scheduled jobs (each next runs at its last run + its interval, which a moment
    earlier has not reached), so the stack works on this day as one started on it would,
    and only what the test runs itself happens; moved forward, every job would run at
    once, catching up on all the time skipped, while the test seeds."""
    from chalicelib import clock
    from chalicelib.store.businesses import save_config
    from tests.browser.conftest import Stack
    from tests.conftest import demo_config

    moment = datetime.fromisoformat(now)
    with stack_env(stack):
        assert moment <= clock.now(), f"{now} is after the stack's clock: its scheduled jobs would all run"
        assert clock.travel_to(moment)
        _, created = save_config(demo_config().model_copy(update={"slug": slug}))
        assert created, f"business {slug!r} exists already"
    path = stack.local.local_dir / "owners.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["accounts"].append(
        {"email": f"omistaja@{slug}.example", "password": secrets.token_urlsafe(12), "business": slug, "role": "owner"}
    )
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return Stack(stack.local, now=now, business=slug)


def past_visit(stack, name: str, email: str) -> dict:
    """A completed visit a few hours ago, on the stack's pinned day, and the client's
    feedback, unsubscribe and card links."""
    from chalicelib import clock, links

    with stack_env(stack):
        now = clock.now()
        start = (now - timedelta(minutes=next(stack.minutes_back))).replace(second=0, microsecond=0)
        assert start.astimezone(stack.now.tzinfo).date() == stack.now.date(), "past visits reach the day before"
        v = past_visits([start], slug=stack.business, name=name, phone=None, email=email)
        [appt] = v.appointments
        return {
            "appointment": appt.id,
            "client": v.client_id,
            "feedback": links.feedback_url(links.feedback_token(v.business_id, appt.id, appt.end)),
            "unsubscribe": links.unsubscribe_url(links.unsubscribe_token(v.business_id, v.client_id, now)),
            "card": links.card_url(links.card_token(v.business_id, v.client_id, now)),
            # What a win-back or feedback message links to (services/marketing.py).
            "book_again": links.rebook_url(
                stack.business,
                v.business_id,
                v.client_id,
                now + links.REBOOK_VALID,
                service=appt.service_id,
                staff=appt.staff_id,
            ),
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
    every_days: int = 0,
    visits: int = 1,
    phone: str | None = None,
) -> dict:
    """An appointment at `start` (today's, or one long ago) and `visits` - 1 more before
    it, `every_days` apart: completed ones leave her profile as the visits_ended job
    would, so a visit weeks ago puts her on the at-risk or lapsed list."""
    with stack_env(stack):
        v = past_visits(
            [start - timedelta(days=every_days * n) for n in range(visits - 1, -1, -1)],
            slug=stack.business,
            name=name,
            phone=phone,
            email=email,
            staff=staff,
            service=service,
            status=status,
            marketing=marketing,
        )
        return {"appointment": v.appointment_ids[-1], "client": v.client_id, "business": v.business_id}
