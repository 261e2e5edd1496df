"""Messages leave right after the transaction that wrote them, outside the request.

A booking writes its confirmations into the outbox in its own transaction and answers
at once; the table's stream hands each new pending message to this function (the Lambda
trigger in app.py; on the local stack scripts/outbox_stream.py reads DynamoDB Local's
stream and calls the same trigger), which sends it exactly once (notify/dispatch.py:
claim with a conditional write). A record delivered twice, a message the sweeper got
to first, or one not due yet (a reminder written with its booking) sends nothing here;
whatever is not sent stays due for the sweeper (jobs/send_due.py), the safety net.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from chalicelib.domain.messages import Message
from chalicelib.domain.webhooks import WEBHOOK_EVENT
from chalicelib.notify import dispatch, webhooks
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store import outbox as store


def new_messages(records: Iterable[tuple[str, dict[str, Any] | None]]) -> list[Message]:
    """The new pending messages among stream records given as (event name, NEW_IMAGE)."""
    found = (store.from_stream_image(name, image) for name, image in records)
    return [m for m in found if m is not None]


def send_new(records: Iterable[tuple[str, dict[str, Any] | None]], now: datetime) -> dict[str, int]:
    """Send the new messages of a batch of stream records that are due; what came of them.
    Up to REBOOK_SEND_WORKERS at once (webhook receivers and SES are waited on).

    Never raises for one message: the batch would be retried whole (and the others with
    it); a message that hit an error is still pending, and the sweeper sends it.
    """
    outcomes: Counter[str] = Counter()
    due = []
    for m in new_messages(records):
        if m.due_at > now:
            outcomes["later"] += 1  # a reminder written with its booking: the sweeper's
        else:
            due.append(m)

    def one(m: Message) -> list[str]:
        try:
            handled = dispatch.send_once(m, now)
        except Exception:
            logger().exception("message failed in outbox stream", extra={"message_key": m.key})
            return ["errors"]
        return [h.outcome for h in (handled, *handled.then)]  # a booking's plan: its messages too

    # Webhook events together: their fan-outs share transactions and their first
    # attempts' outcomes one write (notify/webhooks.py send_events).
    events = [m for m in due if m.kind == WEBHOOK_EVENT]
    due = [m for m in due if m.kind != WEBHOOK_EVENT]
    if events:
        try:
            outcomes.update(webhooks.send_events(events, now))
        except Exception:
            logger().exception("webhook events failed in outbox stream", extra={"messages": len(events)})
            outcomes["errors"] += len(events)

    workers = min(get_settings().send_workers, len(due))
    if workers <= 1:
        for m in due:
            outcomes.update(one(m))
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for done in pool.map(one, due):
                outcomes.update(done)
    return dict(outcomes)
