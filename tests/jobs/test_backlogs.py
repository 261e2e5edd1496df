"""Jobs that drain any backlog: the outbox sweeper pages through what is due within a
time budget and the next run resumes where it stopped; a message that breaks the
sweeper is retried later without holding everyone else back; the KPI sync serves
businesses in turn, so one business's import does not delay another's figures."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests.history import at

NOW = at("2026-11-25T10:00:00+02:00")


@pytest.fixture
def provider(monkeypatch):
    """Every send, by recipient (the provider is a stub: these tests are about the job)."""
    from chalicelib.notify import outbox

    sent: Counter = Counter()

    def send(kind, channel, recipient, locale, context, now=None):
        sent[recipient] += 1
        return f"id-{recipient}-{sent[recipient]}"

    monkeypatch.setattr(outbox, "compose_and_send", send)
    return sent


def due_messages(business_id: str, count: int, due=NOW - timedelta(minutes=30)):
    """`count` pending email messages due half an hour ago, one per recipient."""
    from chalicelib.domain.messages import PlannedMessage
    from chalicelib.store import outbox
    from chalicelib.store.models import MessageItem
    from chalicelib.store.tx import Tx

    for n in range(count):
        tx = Tx(MessageItem)
        planned = PlannedMessage(
            key=f"note-{business_id}-{n}",
            kind="notice",
            channel="email",
            recipient=f"r{n}@example.com",
            locale="fi",
            context={},
            due_at=due,
            business_id=business_id,
        )
        outbox.queue(tx, [planned], due - timedelta(days=1))
        tx.commit()


def sweep(now=NOW, **kw):
    from chalicelib.jobs import send_due

    return send_due.run(now, **kw)


def test_a_run_stopped_by_its_budget_resumes_where_it_left_off(aws, provider):
    from chalicelib.jobs import send_due
    from chalicelib.store import jobs

    jobs.set_watermark(send_due.JOB, NOW - timedelta(hours=2), NOW)  # after an outage
    due_messages(aws.id, 12)
    runs = []
    moment = NOW
    while True:
        s = sweep(moment, budget_seconds=0, page_size=5)  # one page a run
        runs.append(s.sent)
        assert s.sent <= 5
        if not s.stopped_by_budget:
            break
        # Stopped: the next run must look back to what it did not reach.
        watermark = jobs.get_watermark(send_due.JOB)
        assert watermark is not None and watermark <= NOW - timedelta(minutes=30)
        moment += timedelta(minutes=1)
        assert len(runs) < 10, runs
    assert len(runs) >= 3, runs  # 12 messages, pages of 5: it took several runs
    assert sum(runs) == 12 and len(provider) == 12
    assert set(provider.values()) == {1}  # nobody got one twice
    assert jobs.get_watermark(send_due.JOB) == moment  # drained: the watermark caught up


def test_a_message_that_breaks_the_sweeper_does_not_hold_back_the_others(aws, provider, monkeypatch):
    from chalicelib.jobs import send_due
    from chalicelib.store import jobs
    from chalicelib.store import outbox as store

    jobs.set_watermark(send_due.JOB, NOW - timedelta(hours=1), NOW)
    due_messages(aws.id, 4)
    real = send_due.process

    def broken_for_one(m, now, summary):
        if m.recipient == "r2@example.com":
            raise RuntimeError("a bug in one message")
        return real(m, now, summary)

    monkeypatch.setattr(send_due, "process", broken_for_one)
    s = sweep()
    assert s.sent == 3 and s.errors == 1
    assert set(provider) == {"r0@example.com", "r1@example.com", "r3@example.com"}
    # The watermark moved on; the broken message is due again later, its attempt counted.
    assert jobs.get_watermark(send_due.JOB) == NOW
    broken = store.get_message(aws.id, f"note-{aws.id}-2")
    assert broken is not None and broken.last_error is not None
    assert broken.status == "pending" and broken.attempts == 1 and broken.due_at > NOW
    assert "RuntimeError" in broken.last_error

    monkeypatch.setattr(send_due, "process", real)  # fixed
    assert sweep(NOW + timedelta(seconds=30)).sent == 0  # not before its backoff (>= 48 s)
    s = sweep(broken.due_at + timedelta(seconds=1))
    assert s.sent == 1 and provider["r2@example.com"] == 1
    assert sum(provider.values()) == 4


def marked_clients(business_id: str, count: int, when):
    from chalicelib.store import keys
    from chalicelib.store.models import ClientItem

    with ClientItem.batch_write() as batch:
        for n in range(count):
            pk, sk = keys.kpi_change_keys(business_id, f"c{n:04d}", when + timedelta(microseconds=n))
            batch.save(
                ClientItem(
                    keys.biz(business_id),
                    keys.client_sk(f"c{n:04d}"),
                    business_id=business_id,
                    client_id=f"c{n:04d}",
                    name=f"Client {n}",
                    locale="fi",
                    created_at=when,
                    g2pk=pk,
                    g2sk=sk,
                )
            )


def still_marked(business_id: str) -> int:
    from chalicelib.store import kpis

    return len(kpis.changed_of(business_id, NOW, 1000))


def test_one_business_import_does_not_delay_another_business_figures(aws):
    from chalicelib.domain.config import parse_business_config
    from chalicelib.services import kpis
    from chalicelib.store.businesses import save_config
    from tests.conftest import demo_config

    other, _ = save_config(parse_business_config({**demo_config().model_dump(mode="json"), "slug": "other"}))
    big = aws
    marked_clients(big.id, 60, NOW - timedelta(hours=1))  # an import: marked first
    marked_clients(other.id, 3, NOW - timedelta(minutes=5))  # then a booking or three
    s = kpis.run(NOW, page=10, max_rounds=1)  # one round: a page of each business
    assert s["businesses"] == 2 and s["left_for_next_run"]
    assert still_marked(other.id) == 0  # served in the same round as the import
    assert still_marked(big.id) == 50
    runs = 1
    while kpis.run(NOW, page=10, max_rounds=1)["left_for_next_run"]:
        runs += 1
        assert runs < 10
    assert still_marked(big.id) == 0  # each run went on where the last one stopped
    assert runs == 6


def test_marks_of_the_old_scheme_are_moved_and_synced(aws):
    from chalicelib.services import kpis
    from chalicelib.store import keys
    from chalicelib.store.models import ClientItem

    when = NOW - timedelta(hours=1)
    ClientItem(
        keys.biz(aws.id),
        keys.client_sk("old"),
        business_id=aws.id,
        client_id="old",
        name="Marked before the change",
        locale="fi",
        created_at=when,
        g2pk=keys.legacy_kpi_changes(3),
        g2sk=keys.legacy_kpi_mark(aws.id, "old", when),
    ).save()
    s = kpis.run(NOW)
    assert s["synced"] == 1
    item = ClientItem.get(keys.biz(aws.id), keys.client_sk("old"))
    assert item.g2pk is None and item.kpi_v == 1


def test_due_messages_of_one_hour_spread_by_business_and_old_keys_are_still_read():
    from chalicelib.store import keys

    eight = NOW.replace(hour=6)  # 08:00 in Helsinki: every deferred SMS at once
    every = {keys.due_keys(f"biz{b}", f"m{m}", eight)[0] for b in range(200) for m in range(20)}
    one = {keys.due_keys("biz7", f"m{m}", eight)[0] for m in range(200)}
    assert len(every) == keys.MESSAGE_SHARDS  # every business's burst is not on 8 keys
    assert 1 < len(one) <= keys.BUSINESS_SPREAD  # nor one business's on one key
    [(_, read)] = list(keys.due_hours(eight, eight))
    assert set(read) == every  # the sweeper reads them all with 16 Queries an hour
    old = {keys.hour_bucket("DUE", eight, shard) for shard in range(8)}  # before the change
    assert old <= set(read)


def test_an_hour_bucket_is_the_utc_hour_whatever_offset_the_instant_has():
    """A hold running out at 12:10 in Helsinki is keyed by 10 UTC, and a job asking from
    12:00 to 12:11 Helsinki time reads the 10 UTC hour: the same instant, the same
    partition, written and read with whatever offset (the local stack's clock moved with
    one, a business's local time)."""
    from zoneinfo import ZoneInfo

    from chalicelib.store import keys

    local = datetime(2026, 11, 25, 12, 10, tzinfo=ZoneInfo("Europe/Helsinki"))
    assert (
        keys.hour_bucket("HOLD", local, 2)
        == "HOLD#2026-11-25T10#2"
        == keys.hour_bucket("HOLD", local.astimezone(UTC), 2)
    )
    hours = list(keys.hours_of_buckets("HOLD", local - timedelta(minutes=10), local + timedelta(minutes=1), shards=1))
    assert hours == [(datetime(2026, 11, 25, 10, tzinfo=UTC), ["HOLD#2026-11-25T10#0"])]


def test_a_catch_up_reads_hours_ahead_but_never_while_an_hour_that_had_something_is_handled(aws):
    """Several hours' partitions are asked at once, and each hour comes whole and in
    order; nothing is read while the caller handles an hour that had something (its
    writes), and with db.query_by_hour's writes_ahead (the sweeper's: handling an hour
    may put messages into the next ones) the hours after it are read only after it."""
    import threading

    from chalicelib.store import db

    handled, handling, running, lock = [0], [False], [0], threading.Lock()  # hours handled so far, ...
    busy = {2, 3, 7}  # the hours with something in them

    def query(bucket: str) -> list[tuple[str, int]]:
        hour = int(bucket.partition("#")[0])
        with lock:
            assert not handling[0], f"{bucket} read while the caller handled an hour"
            running[0] += 1
            at_query = handled[0]
        with lock:
            running[0] -= 1
        return [(bucket, at_query)] if hour in busy else []

    hours = [(h, [f"{h}#{shard}" for shard in range(5)]) for h in range(10)]
    for writes_ahead in (True, False):
        handled[0], seen = 0, []
        for hour, found in db.query_by_hour(hours, query, writes_ahead=writes_ahead):
            seen.append(hour)
            assert [b for b, _ in found] == ([f"{hour}#{s}" for s in range(5)] if hour in busy else []), hour
            if writes_ahead:
                before = len([h for h in busy if h < hour])
                assert all(at_query == before for _, at_query in found), (hour, found)
            with lock:
                handling[0] = bool(found)
                assert not (found and running[0]), f"hour {hour} handed over with reads still running"
            with lock:
                handling[0] = False
                handled[0] += bool(found)
        assert seen == list(range(10))


def test_a_plan_whose_expansion_breaks_is_tried_again_later_and_not_lost(aws, client, monkeypatch, frozen_now):
    """A booking's plan rides on its appointment (its g6 entry is the sweeper's way to it):
    an expansion that breaks counts a try and moves the entry past a backoff, so the
    watermark moves on and the plan is expanded, once, by a later run."""
    from chalicelib.jobs import send_due
    from chalicelib.store import jobs
    from chalicelib.store import outbox as store
    from tests.api.helpers import booking_body, post
    from tests.conftest import sent_emails

    frozen_now["now"] = NOW - timedelta(minutes=10)
    status, booked = post(client, "/api/v1/businesses/demo/bookings", booking_body("2026-11-27T12:00:00+02:00"))
    assert status == 201, booked  # the stream never hands it over: the sweeper's to find
    jobs.set_watermark(send_due.JOB, NOW - timedelta(hours=1), NOW)
    real = store.expand_plan

    def broken(*a, **kw):
        raise RuntimeError("a bug in the expansion")

    monkeypatch.setattr(store, "expand_plan", broken)
    s = sweep()
    assert s.errors == 1 and s.expanded == 0
    assert jobs.get_watermark(send_due.JOB) == NOW
    waiting = store.waiting_plan(aws.id, booked["id"])
    assert waiting is not None and waiting.attempts == 1 and waiting.due_at > NOW

    monkeypatch.setattr(store, "expand_plan", real)  # fixed
    assert sweep(NOW + timedelta(seconds=30)).expanded == 0  # not before its backoff
    s = sweep(waiting.due_at + timedelta(seconds=1))
    assert s.expanded == 1 and s.sent == 2, s.as_dict()
    assert store.waiting_plan(aws.id, booked["id"]) is None
    assert len(sent_emails()) == 1
    assert sweep(waiting.due_at + timedelta(minutes=2)).expanded == 0  # once


def test_a_plan_item_written_before_plans_rode_on_the_appointment_is_still_expanded(aws, client, frozen_now):
    """A deploy meets plan items of the old shape (`MSG#<id>#plan`, in gsi3) that the
    stream had not got to: the sweeper expands them as before, once."""
    from dataclasses import replace

    from chalicelib.jobs import send_due
    from chalicelib.store import jobs
    from chalicelib.store import outbox as store
    from chalicelib.store.models import AppointmentItem
    from chalicelib.store.tx import Tx
    from tests.api.helpers import booking_body, post
    from tests.conftest import sent_emails, sent_sms

    frozen_now["now"] = NOW - timedelta(minutes=10)
    status, booked = post(client, "/api/v1/businesses/demo/bookings", booking_body("2026-11-27T12:00:00+02:00"))
    assert status == 201, booked
    plan = store.waiting_plan(aws.id, booked["id"])
    assert plan is not None
    # As the old code wrote it: the appointment without it, the plan an item of its own.
    AppointmentItem(f"BIZ#{aws.id}", f"APPT#{booked['id']}").update(
        actions=[AppointmentItem.plan.remove(), AppointmentItem.g6pk.remove(), AppointmentItem.g6sk.remove()]
    )
    tx = Tx(AppointmentItem)
    store.put(tx, [replace(plan, recipient="outbox")])
    tx.commit()
    assert store.get_message(aws.id, store.plan_key(booked["id"])) is not None

    jobs.set_watermark(send_due.JOB, NOW - timedelta(hours=1), NOW)
    s = sweep()
    assert s.expanded == 1 and s.sent == 2, s.as_dict()
    assert store.get_message(aws.id, store.plan_key(booked["id"])) is None
    assert store.waiting_plan(aws.id, booked["id"]) is None
    assert len(sent_emails()) == 1 and len(sent_sms()) == 1
    assert sweep(NOW + timedelta(minutes=1)).expanded == 0  # once
