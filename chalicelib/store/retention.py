"""The after-visit bookkeeping: visits that ended, auto-completion, and each client's
visit figures and rhythm keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.domain import webhooks as events
from chalicelib.domain.booking import ACTIVE_STATUSES, Appointment, Status
from chalicelib.domain.clients import Client
from chalicelib.domain.rhythm import VisitFigures, winback_reach
from chalicelib.store import bookings, clients, db, keys, webhooks
from chalicelib.store.models import AppointmentItem, ClientItem
from chalicelib.store.tx import Tx, TxFailed


def ended_by_hour(since: datetime, until: datetime) -> Iterator[tuple[datetime, list[Appointment]]]:
    """Visits that ended in [since, until], an hour of the index at a time (oldest first),
    read lazily: a job that stops between hours knows every hour before was done."""
    db.configure()
    lo, hi = keys.between(since, until)
    found_by_hour = db.query_by_hour(
        keys.hours_of_buckets("END", since, until),
        lambda bucket: AppointmentItem.by_end.query(bucket, AppointmentItem.g3sk.between(lo, hi)),
    )
    for hour, found in found_by_hour:
        yield hour, [bookings.to_appointment(item) for item in found]


def complete(appt: Appointment, now: datetime) -> bool:
    """A visit that ended unmarked took place: booked/arrived -> completed (with its
    visit.completed webhook event in the same transaction). Its `seq` moves as a desk's
    mark moves it: a card checkout read before and refused by it (its charge given back)
    is asked again under a new key, never answered with the charge given back."""
    tx = Tx(AppointmentItem)
    tx.update(
        AppointmentItem(keys.biz(appt.business_id), keys.appt_sk(appt.id)),
        [
            AppointmentItem.status.set(Status.COMPLETED.value),
            AppointmentItem.updated_at.set(now),
            AppointmentItem.seq.add(1),
        ],
        "appointment",
        condition=AppointmentItem.status.is_in(*sorted(ACTIVE_STATUSES)),
    )
    done = replace(appt, status=Status.COMPLETED.value, seq=appt.seq + 1, updated_at=now)
    webhooks.emit(tx, appt.business_id, [events.visit_marked(done, Status.COMPLETED.value, now)], now, appt.client_id)
    try:
        tx.commit()
    except TxFailed:
        return False
    return True


def _winback_begun(last_visit: datetime) -> Condition:
    """Her win-back has begun since `last_visit`, her last visit still: a message of the
    episode went out (its episode is her lapse day, marketing.send_winback). Her lapse day
    and the day of her next step (g4) are then the episode's own, until her next visit.
    (`winback_visit`, the last visit the episode's absence began with, is kept since 5 Dec
    2026; an episode begun before it is known by her lapse day.)"""
    begun: Condition = (
        (ClientItem.last_visit_at == last_visit)
        & ((ClientItem.winback_visit == last_visit) | (ClientItem.winback_episode == ClientItem.lapsed_on))
        & (ClientItem.winback_sent > 0)
    )
    return begun


def _return_undone(last_visit: datetime) -> Condition:
    """The visit after her win-back's absence was undone (its Valmis corrected to a
    no-show, or marked back): `last_visit`, her last visit again, is the one the episode's
    absence began with. It is the same absence: the same episode, not a new series."""
    undone: Condition = (
        (ClientItem.winback_visit == last_visit)
        & (ClientItem.last_visit_at.does_not_exist() | (ClientItem.last_visit_at != last_visit))
        & (ClientItem.winback_sent > 0)
    )
    return undone


def set_client_figures(business_id: str, client_id: str, f: VisitFigures, today: date) -> Client | None:
    """The client as she is after the update; None if she is gone or erased. A client
    whose win-back has begun since her last visit keeps her lapse day and next step (the
    weekly refit must not move the episode under the win-back job).

    A lapse day before the days the win-back job reads (`winback_reach` of `today`, the
    business's day) keeps her step on `today` when it was still to be read (keyed at or
    after those days: her thresholds were tightened, a refit moved her day back), so her
    win-back of the episode is not lost; her lapse day (the episode) is the day as it is.
    A step read already or ended (she lapsed long ago, had no consent, was keyed by an
    import) stays behind: a tightening brings nobody back into the job twice.

    A client whose return after her win-back was undone is in that absence again: her lapse
    day is the episode's again and her step is keyed on `today`, where the job sends the
    episode's next message (when it is due) or ends it; never a new series."""
    db.configure()
    actions: list[Action] = [
        ClientItem.visits.set(f.visits),
        ClientItem.spend_cents.set(f.spend_cents),
        ClientItem.stamps.set(f.stamps),
    ]
    lapse: list[Action] = []
    last_visit, rhythm, at_risk_on, lapsed_on = f.last_visit, f.rhythm, f.at_risk_on, f.lapsed_on
    if last_visit and rhythm is not None and at_risk_on and lapsed_on:
        g1 = keys.risk_keys(business_id, client_id, at_risk_on.isoformat())
        g4 = keys.lapse_keys(business_id, client_id, lapsed_on.isoformat())
        actions += [
            ClientItem.last_visit_at.set(last_visit),
            *([ClientItem.first_visit_at.set(f.first_visit)] if f.first_visit else []),
            ClientItem.rhythm_days.set(round(rhythm, 2)),
            ClientItem.at_risk_on.set(at_risk_on.isoformat()),
            ClientItem.g1pk.set(g1[0]),
            ClientItem.g1sk.set(g1[1]),
        ]
        lapse = [
            ClientItem.lapsed_on.set(lapsed_on.isoformat()),
            ClientItem.g4pk.set(g4[0]),
            ClientItem.g4sk.set(g4[1]),
        ]
    elif not f.visits:
        # Her only visit undone (marked back to booked, or a no-show): no last visit to
        # show at the desk, no rhythm, on neither the at-risk nor the lapse index.
        actions += [
            ClientItem.last_visit_at.remove(),
            ClientItem.first_visit_at.remove(),
            ClientItem.rhythm_days.remove(),
            ClientItem.at_risk_on.remove(),
            ClientItem.lapsed_on.remove(),
            ClientItem.g1pk.remove(),
            ClientItem.g1sk.remove(),
            ClientItem.g4pk.remove(),
            ClientItem.g4sk.remove(),
        ]
    item = ClientItem(keys.biz(business_id), keys.client_sk(client_id))
    if lapse and last_visit and lapsed_on:
        free = clients.unerased() & ~_winback_begun(last_visit) & ~_return_undone(last_visit)
        reach = winback_reach(today)
        if lapsed_on < reach:
            pending = ClientItem.g4pk >= keys.lapse_from(reach.isoformat())
            try:
                item.update(actions=actions + lapse, condition=free & ~pending)
                return clients.to_client(item)
            except UpdateError:
                pass  # her step was still to be read (or begun, or she was erased): on today
            g4 = keys.lapse_keys(business_id, client_id, today.isoformat())
            lapse = [lapse[0], ClientItem.g4pk.set(g4[0]), ClientItem.g4sk.set(g4[1])]
        try:
            item.update(actions=actions + lapse, condition=free)
            return clients.to_client(item)
        except UpdateError:
            pass  # her win-back has begun, her return after it was undone, or she was erased
        today_key = keys.lapse_keys(business_id, client_id, today.isoformat())
        episode: list[Action] = [ClientItem.lapsed_on.set(ClientItem.winback_episode)]
        episode += [ClientItem.g4pk.set(today_key[0]), ClientItem.g4sk.set(today_key[1])]
        try:
            item.update(actions=actions + episode, condition=clients.unerased() & _return_undone(last_visit))
            return clients.to_client(item)
        except UpdateError:
            pass  # her win-back has begun (or she was erased): the rest of her figures
    try:
        item.update(actions=actions, condition=clients.unerased())
    except UpdateError:
        return None  # erased meanwhile: nothing to keep
    return clients.to_client(item)


# The owner's list reads at most this many clients past their at-risk day.
RISK_LIST_MOST = 500


def at_risk_since(business_id: str, day: date) -> list[Client]:
    """Clients of the business whose at-risk day is on or before `day`, the most recent
    first (those slipping now, not those who lapsed years ago, when a salon has more
    than RISK_LIST_MOST): one Query on g1."""
    db.configure()
    found = ClientItem.by_risk.query(
        keys.at_risk_list(business_id),
        ClientItem.g1sk <= keys.up_to_day(day),
        scan_index_forward=False,
        limit=RISK_LIST_MOST,
    )
    return [clients.to_client(i) for i in found]


def not_at_risk_by(business_id: str, day: date) -> Iterator[Client]:
    """Clients of the business with visits whose at-risk day is after `day` (the nudge's
    candidates): one paged Query on g1."""
    db.configure()
    for i in ClientItem.by_risk.query(keys.at_risk_list(business_id), ClientItem.g1sk > keys.up_to_day(day)):
        yield clients.to_client(i)
