"""Ratings of visits, with the client's and the month's counters kept in step.

One transaction writes the rating, adjusts the client's rating sum and count and the
month's aggregate (so averages are read, never recomputed), and — the first time a
visit is rated low — puts the owner's alert into the outbox.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.messages import PlannedMessage
from chalicelib.domain.timeutil import iso_utc
from chalicelib.store import db, keys
from chalicelib.store.bookings import message_item
from chalicelib.store.models import AggregateItem, ClientItem, FeedbackItem, MessageItem
from chalicelib.store.tx import Tx, TxFailed


class FeedbackChanged(Exception):
    """Another submission for the same visit landed in between; read and try again."""


class AlertExists(Exception):
    """The visit's low-score alert was already sent once."""


def get(business_id: str, appointment_id: str) -> FeedbackItem | None:
    db.configure()
    try:
        return FeedbackItem.get(keys.biz(business_id), keys.feedback_sk(appointment_id), consistent_read=True)
    except FeedbackItem.DoesNotExist:
        return None


def record(
    appt,
    rating: int,
    comment: str | None,
    now: datetime,
    periods: tuple[str, ...],
    low: bool,
    previous: FeedbackItem | None,
    previous_low: bool,
    alert: PlannedMessage | None,
    alert_lease,
) -> list[MessageItem]:
    pk = keys.biz(appt.business_id)
    item = FeedbackItem(
        pk,
        keys.feedback_sk(appt.id),
        business_id=appt.business_id,
        appointment_id=appt.id,
        client_id=appt.client_id,
        staff_id=appt.staff_id,
        service_id=appt.service_id,
        visit_start=appt.start,
        rating=rating,
        comment=comment,
        submitted_at=previous.submitted_at if previous else now,
        updated_at=now,
        submissions=int(previous.submissions or 1) + 1 if previous else 1,
        g1pk=keys.business_feedback(appt.business_id),
        g1sk=f"{iso_utc(appt.start)}#{appt.id}",
        g2pk=keys.client_timeline(appt.business_id, appt.client_id),
        g2sk=f"FB#{appt.id}",
    )
    tx = Tx(FeedbackItem)
    unchanged = FeedbackItem.pk.does_not_exist() if previous is None else FeedbackItem.updated_at == previous.updated_at
    tx.put(item, "feedback", condition=unchanged)
    old = int(previous.rating) if previous else 0
    tx.update(
        ClientItem(pk, keys.client_sk(appt.client_id)),
        [ClientItem.rating_sum.add(rating - old), ClientItem.rating_count.add(0 if previous else 1)],
        "client",
        condition=ClientItem.pk.exists(),
    )
    agg = [AggregateItem.business_id.set(appt.business_id), AggregateItem.ratings_sum.add(rating - old)]
    if previous is None:
        agg.append(AggregateItem.ratings_count.add(1))
    if low != previous_low:
        agg.append(AggregateItem.low_ratings.add(1 if low else -1))
    if old != rating:
        agg.append(getattr(AggregateItem, f"stars_{rating}").add(1))
        if old:
            agg.append(getattr(AggregateItem, f"stars_{old}").add(-1))
    for period in periods:  # the visit's month, quarter and year
        tx.update(AggregateItem(pk, keys.aggregate_sk(period)), agg, "aggregate")
    messages = []
    if alert is not None:
        messages = [message_item(alert, now, claimed_for=alert_lease)]
        tx.put(messages[0], "alert", condition=MessageItem.pk.does_not_exist())
    try:
        tx.commit()
    except TxFailed as err:
        if "alert" in err.failed:
            raise AlertExists() from err
        raise FeedbackChanged() from err
    return messages


def for_business(business_id: str, start: datetime, end: datetime) -> list[FeedbackItem]:
    """Ratings of visits that started in [start, end): one Query on g1."""
    db.configure()
    lo, hi = iso_utc(start), iso_utc(end)
    return [
        f
        for f in FeedbackItem.by_business_time.query(
            keys.business_feedback(business_id), FeedbackItem.g1sk.between(lo, hi + "~")
        )
        if f.g1sk < hi
    ]


def months(business_id: str, first: str, last: str) -> list[AggregateItem]:
    """The monthly aggregates from `first` to `last` (YYYY-MM), one Query (the quarters
    and years that sort between them are left out)."""
    db.configure()
    found = AggregateItem.query(
        keys.biz(business_id), AggregateItem.sk.between(keys.aggregate_sk(first), keys.aggregate_sk(last))
    )
    return [a for a in found if len(a.sk) == len(keys.aggregate_sk("yyyy-mm")) and "-Q" not in a.sk]
