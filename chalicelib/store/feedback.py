"""Ratings of visits, with the client's and the month's counters kept in step.

One transaction writes the rating, adjusts the client's rating sum and count and the
month's aggregate (so averages are read, never recomputed), and — the first time a
visit is rated low — puts the owner's alert into the outbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.expressions.update import Action

from chalicelib.domain import webhooks as events
from chalicelib.domain.booking import Appointment
from chalicelib.domain.feedback import Rating
from chalicelib.domain.messages import Message, PlannedMessage
from chalicelib.domain.timeutil import iso_utc
from chalicelib.store import clients, db, keys, kpis, outbox, webhooks
from chalicelib.store.models import AggregateItem, ClientItem, FeedbackItem
from chalicelib.store.tx import Tx, TxFailed

# What a month's ratings are counted in (docs/kpis.md).
RATING_COUNTERS = ("ratings_count", "ratings_sum", "low_ratings", *(f"stars_{n}" for n in range(1, 6)))


class FeedbackChanged(Exception):
    """Another submission for the same visit landed in between; read and try again."""


class AlertExists(Exception):
    """The visit's low-score alert was already sent once."""


def to_item(r: Rating) -> FeedbackItem:
    item = FeedbackItem(
        keys.biz(r.business_id),
        keys.feedback_sk(r.appointment_id),
        business_id=r.business_id,
        appointment_id=r.appointment_id,
        client_id=r.client_id,
        staff_id=r.staff_id,
        service_id=r.service_id,
        visit_start=r.visit_start,
        rating=r.rating,
        comment=r.comment,
        submitted_at=r.submitted_at,
        updated_at=r.updated_at,
        submissions=r.submissions,
    )
    item.g1pk, item.g1sk = keys.feedback_keys(r.business_id, r.appointment_id, r.visit_start)
    entry = f"{keys.TIMELINE_FEEDBACK}{r.appointment_id}"
    item.g2pk, item.g2sk = keys.timeline_keys(r.business_id, r.client_id, entry)
    return item


def to_rating(i: FeedbackItem) -> Rating:
    return Rating(
        business_id=i.business_id,
        appointment_id=i.appointment_id,
        client_id=i.client_id,
        staff_id=i.staff_id,
        service_id=i.service_id,
        visit_start=i.visit_start,
        rating=int(i.rating),
        comment=i.comment,
        submitted_at=i.submitted_at,
        updated_at=i.updated_at,
        submissions=int(i.submissions or 1),
    )


def get(business_id: str, appointment_id: str) -> Rating | None:
    db.configure()
    try:
        return to_rating(
            FeedbackItem.get(keys.biz(business_id), keys.feedback_sk(appointment_id), consistent_read=True)
        )
    except FeedbackItem.DoesNotExist:
        return None


def record(
    appt: Appointment,
    rating: int,
    comment: str | None,
    now: datetime,
    periods: tuple[str, ...],
    low: bool,
    previous: Rating | None,
    previous_low: bool,
    alert: PlannedMessage | None,
    alert_lease: timedelta | None,
) -> list[Message]:
    """Write the rating (unless another submission landed since `previous` was read),
    the client's and the periods' rating counters, and the owner's alert if any."""
    pk = keys.biz(appt.business_id)
    item = to_item(
        Rating(
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
            submissions=previous.submissions + 1 if previous else 1,
        )
    )
    tx = Tx(FeedbackItem)
    unchanged = FeedbackItem.pk.does_not_exist() if previous is None else FeedbackItem.updated_at == previous.updated_at
    tx.put(item, "feedback", condition=unchanged)
    old = previous.rating if previous else 0
    tx.update(
        ClientItem(pk, keys.client_sk(appt.client_id)),
        [ClientItem.rating_sum.add(rating - old), ClientItem.rating_count.add(0 if previous else 1)],
        "client",
        condition=clients.exists(),
    )
    agg: list[Action] = [
        AggregateItem.business_id.set(appt.business_id),
        AggregateItem.ratings_sum.add(rating - old),
    ]
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
    messages = outbox.queue(tx, [alert], now, alert_lease, role="alert") if alert is not None else []
    received = events.feedback_received(appt, rating, bool(comment), previous is None, now)
    webhooks.emit(tx, appt.business_id, [received], now, appt.client_id)
    try:
        tx.commit()
    except TxFailed as err:
        if "alert" in err.failed:
            raise AlertExists() from err
        raise FeedbackChanged() from err
    return messages


def of_client(business_id: str, client_id: str) -> list[Rating]:
    """Her ratings, every visit's: one Query on her timeline (g2)."""
    db.configure()
    found = FeedbackItem.by_client.query(
        keys.client_timeline(business_id, client_id), FeedbackItem.g2sk.startswith(keys.TIMELINE_FEEDBACK)
    )
    return [to_rating(f) for f in found]


def for_business(business_id: str, start: datetime, end: datetime) -> list[Rating]:
    """Ratings of visits that started in [start, end): one Query on g1."""
    db.configure()
    lo, hi = iso_utc(start), iso_utc(end)
    found = FeedbackItem.by_business_time.query(
        keys.business_feedback(business_id), FeedbackItem.g1sk.between(lo, hi + "~")
    )
    return [to_rating(f) for f in found if f.g1sk < hi]


def months(business_id: str, first: str, last: str) -> dict[str, dict[str, int]]:
    """The rating counters of each month from `first` to `last` (YYYY-MM) that has an
    aggregate, in order: one Query (the quarters and years that sort between are left out)."""
    db.configure()
    found = AggregateItem.query(
        keys.biz(business_id), AggregateItem.sk.between(keys.aggregate_sk(first), keys.aggregate_sk(last))
    )
    out = {}
    for a in found:
        period = keys.period_of(a.sk)
        if len(period) == len("yyyy-mm") and "-Q" not in period:  # not a quarter or a year
            out[period] = kpis.counters_of(a, RATING_COUNTERS)
    return out
