"""The KPI definitions (docs/kpis.md): the worked example, periods, and the properties
the aggregates rely on — contributions add up across clients, and applying the delta
between two contributions moves the counters from one to the other."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import kpis
from chalicelib.domain.booking import Appointment

HEL = ZoneInfo("Europe/Helsinki")
_ids = iter(range(10**6))


def visit(
    client,
    start,
    status="completed",
    price=5000,
    created=None,
    reminded=False,
    feedback=False,
    cancelled_at=None,
    minutes=60,
    cancelled_by=None,
    source="web",
):
    s = datetime.fromisoformat(start).replace(tzinfo=HEL).astimezone(UTC)
    made = datetime.fromisoformat(created).replace(tzinfo=HEL).astimezone(UTC) if created else s - timedelta(days=7)
    return Appointment(
        id=f"a{next(_ids)}",
        business_id="b",
        client_id=client,
        service_id="cut",
        staff_id="aino",
        start=s,
        end=s + timedelta(minutes=minutes),
        occupied_until=s + timedelta(minutes=minutes),
        status=status,
        price_cents=price,
        locale="fi",
        created_at=made,
        updated_at=made,
        reminded=reminded,
        feedback_requested=feedback,
        cancelled_at=datetime.fromisoformat(cancelled_at).replace(tzinfo=HEL).astimezone(UTC) if cancelled_at else None,
        cancelled_by=cancelled_by,
        source=source,
    )


def local(text):
    return datetime.fromisoformat(text).replace(tzinfo=HEL).astimezone(UTC)


def total(*contributions):
    out: dict[str, Counter] = {}
    for c in contributions:
        for p, counters in c.items():
            out.setdefault(p, Counter()).update(counters)
    return out


def worked_example():
    """docs/kpis.md, "Worked example"."""
    anna = [
        visit("anna", "2026-10-10T10:00"),
        visit("anna", "2026-11-07T10:00", reminded=True, feedback=True),
        visit("anna", "2026-12-05T10:00", status="booked", created="2026-11-07T11:20"),
    ]
    bea = [visit("bea", "2026-11-14T12:00", price=4000, feedback=True, created="2026-11-13T18:00")]
    cia = [visit("cia", "2026-10-03T09:00"), visit("cia", "2026-11-21T09:00", status="no_show", reminded=True)]
    dan = [
        visit("dan", "2026-09-01T15:00"),
        visit("dan", "2026-11-20T15:00", price=6000, reminded=True, feedback=True, created="2026-11-12T19:00"),
    ]
    eve = [
        visit("eve", "2026-11-25T14:00", status="cancelled", cancelled_at="2026-11-25T12:00"),
        visit("eve", "2026-11-28T14:00", status="cancelled", cancelled_at="2026-11-10T08:00"),
    ]
    winbacks = {"dan": [local("2026-11-02T09:00")]}
    people = {"anna": anna, "bea": bea, "cia": cia, "dan": dan, "eve": eve}
    counts = total(*(kpis.contribution(h, winbacks.get(n, []), HEL, 24) for n, h in people.items()))
    for period in ("2026-11", "2026-Q4", "2026"):  # the feedback transaction adds the ratings
        counts.setdefault(period, Counter()).update({"ratings_sum": 8, "ratings_count": 2})
    return counts


def test_a_client_imported_from_her_old_system_is_never_new():
    """Imported with her last visit in November, then a visit booked in December: a
    visitor (returning) both months, new in neither; a client whose first visit is her
    own booking is new as before."""
    veteran = [
        visit("veera", "2026-11-12T10:00", source="import"),
        visit("veera", "2026-12-10T10:00", created="2026-11-20T09:00"),
    ]
    c = kpis.contribution(veteran, [], HEL, 24)
    assert (c["2026-11"]["visitors"], c["2026-12"]["visitors"]) == (1, 1)
    assert "new_clients" not in c["2026-11"] and "new_clients" not in c["2026-12"] and "new_clients" not in c["2026"]
    assert kpis.contribution([visit("uusi", "2026-11-12T10:00")], [], HEL, 24)["2026-11"]["new_clients"] == 1


def test_the_worked_example_in_the_docs():
    counts = worked_example()
    nov = counts["2026-11"]
    assert (nov["appointments"], nov["cancelled"], nov["late_cancelled"], nov["completed"], nov["no_show"]) == (
        6,
        2,
        1,
        3,
        1,
    )
    assert (nov["visitors"], nov["new_clients"], nov["retained"], nov["revenue_cents"]) == (3, 1, 1, 15000)
    assert counts["2026-12"]["appointments"] == 1 and counts["2026-10"]["visitors"] == 2
    f = {k: v["value"] for k, v in kpis.figures(nov, counts["2026-10"]).items()}
    assert f["retention_rate"] == 0.5
    assert f["rebooking_rate_30"] == f["rebooking_rate_60"] == f["rebooking_rate_90"] == 0.3333
    assert f["rebooked_before_leaving_rate"] == 0.3333
    assert (f["new_clients"], f["returning_clients"]) == (1, 2)
    assert f["average_spend_cents"] == 5000 and f["visit_frequency"] == 1.0
    assert f["no_show_rate"] == 0.25
    assert f["cancellation_rate"] == 0.3333 and f["late_cancellation_rate"] == 0.1667
    assert f["average_rating"] == 4.0 and f["response_rate"] == 0.6667
    assert (
        f["winback_messages"],
        f["winback_conversions"],
        f["winback_conversion_rate"],
        f["winback_revenue_cents"],
    ) == (1, 1, 1.0, 6000)
    assert f["no_show_rate_reminded"] == 0.3333 and f["no_show_rate_not_reminded"] == 0.0


def test_the_salons_cancellation_is_counted_apart_not_as_a_clients():
    history = [
        visit("fia", "2026-11-25T14:00", status="cancelled", cancelled_at="2026-11-25T08:00", cancelled_by="salon"),
        visit("fia", "2026-11-26T14:00", status="cancelled", cancelled_at="2026-11-26T08:00", cancelled_by="client"),
    ]
    nov = kpis.contribution(history, [], HEL, 24)["2026-11"]
    assert (nov["appointments"], nov["cancelled"], nov["late_cancelled"], nov["salon_cancelled"]) == (2, 1, 1, 1)
    # Its own figure (the dashboard's tile "Cancelled by the salon"), in neither of hers.
    f = {k: v["value"] for k, v in kpis.figures(nov, {}).items()}
    assert (f["salon_cancellation_rate"], f["cancellation_rate"], f["late_cancellation_rate"]) == (0.5, 0.5, 0.5)


def test_a_cancellation_in_the_grace_after_a_late_booking_is_not_a_late_one():
    """Booked at 11.00 for 14.00 (inside the 24 h window): free to cancel until 11.15, as
    her pages said; after that it is late."""

    def cancelled(at):
        return visit("gia", "2026-11-25T14:00", status="cancelled", created="2026-11-25T11:00", cancelled_at=at)

    free = kpis.contribution([cancelled("2026-11-25T11:10")], [], HEL, 24, grace_minutes=15)["2026-11"]
    late = kpis.contribution([cancelled("2026-11-25T11:20")], [], HEL, 24, grace_minutes=15)["2026-11"]
    assert (free["cancelled"], free.get("late_cancelled", 0)) == (1, 0)
    assert (late["cancelled"], late["late_cancelled"]) == (1, 1)


def test_a_quarter_counts_a_client_once_however_many_months_she_came():
    counts = worked_example()
    q4, nov = counts["2026-Q4"], counts["2026-11"]
    # Anna came in October and November: Q4 has 4 visitors (Anna, Bea, Cia, Dan), not 2 + 3.
    assert q4["visitors"] == 4 and counts["2026-10"]["visitors"] + nov["visitors"] == 5
    assert q4["completed"] == counts["2026-10"]["completed"] + nov["completed"]
    # Dan's September visit is in Q3, so of Q4's visitors only he is retained from Q3.
    assert counts["2026-Q3"]["visitors"] == 1 and q4["retained"] == 1


def test_rebooking_windows_and_before_leaving_are_measured_from_the_visits_end():
    first = visit("x", "2026-11-02T10:00")
    booked_at_checkout = visit("x", "2026-12-20T10:00", status="booked", created="2026-11-02T11:59")
    c = kpis.contribution([first, booked_at_checkout], [], HEL, 24)["2026-11"]
    assert c["rebooked_before_leaving"] == c["rebooked_30"] == 1
    later = visit("y", "2027-01-20T10:00", status="booked", created="2026-12-20T10:00")  # 48 days after
    c = kpis.contribution([visit("y", "2026-11-02T10:00"), later], [], HEL, 24)["2026-11"]
    assert ("rebooked_30" not in c, c["rebooked_60"], c["rebooked_90"]) == (True, 1, 1)
    cancelled = visit(
        "z", "2026-11-20T10:00", status="cancelled", created="2026-11-02T10:30", cancelled_at="2026-11-05T10:00"
    )
    c = kpis.contribution([visit("z", "2026-11-02T10:00"), cancelled], [], HEL, 24)["2026-11"]
    assert "rebooked_30" not in c and "rebooked_before_leaving" not in c


def test_bookings_within_14_days_of_a_nudge_are_its_bookings_and_revenue():
    nudged = [local("2026-11-20T10:00")]
    came = visit("n", "2026-12-03T10:00", price=6900, created="2026-11-22T18:00")
    booked = visit(
        "n", "2027-01-15T10:00", status="booked", created="2026-12-02T09:00"
    )  # day 12: counted, no revenue yet
    c = kpis.contribution([came, booked], [], HEL, 24, nudges=nudged)
    assert (c["2026-11"]["nudge_messages"], c["2026-11"]["nudge_bookings"]) == (1, 2)
    assert c["2026-11"]["nudge_revenue_cents"] == 6900 and "nudge_revenue_cents" not in c.get("2026-12", {})
    too_late = visit("n", "2027-01-10T10:00", created="2026-12-05T10:00")  # day 15
    cancelled = visit("n", "2026-12-10T10:00", status="cancelled", created="2026-11-21T10:00")
    november = kpis.contribution([too_late, cancelled], [], HEL, 24, nudges=nudged)["2026-11"]
    assert november["nudge_messages"] == 1 and "nudge_bookings" not in november
    figures = kpis.figures({"nudge_messages": 4, "nudge_bookings": 1, "nudge_revenue_cents": 6900}, {})
    assert (figures["nudges_sent"]["value"], figures["nudge_bookings"]["value"]) == (4, 1)


def test_a_booking_is_credited_to_the_latest_winback_message_within_30_days():
    sent = [local("2026-11-02T09:00"), local("2026-11-23T09:00")]
    came = visit("d", "2026-12-01T10:00", price=7000, created="2026-11-25T20:00")
    c = kpis.contribution([came], sent, HEL, 24)
    assert c["2026-11"]["winback_messages"] == 2 and c["2026-11"]["winback_conversions"] == 1
    assert c["2026-11"]["winback_revenue_cents"] == 7000 and "winback_revenue_cents" not in c.get("2026-12", {})
    too_late = visit("d", "2027-01-10T10:00", created="2026-12-24T10:00")
    assert "winback_conversions" not in kpis.contribution([too_late], sent[:1], HEL, 24)["2026-11"]


def test_the_local_calendar_decides_the_period():
    # 23:30 on New Year's Eve in Helsinki is 21:30 UTC: December and 2026 locally.
    c = kpis.contribution([visit("n", "2026-12-31T23:30")], [], HEL, 24)
    assert c["2026-12"]["completed"] == 1 and c["2026"]["completed"] == 1 and "2027" not in c


def test_periods():
    assert kpis.previous_period("2026-01") == "2025-12" and kpis.previous_period("2026-Q1") == "2025-Q4"
    assert kpis.previous_period("2026") == "2025" and kpis.previous_period("2026-11") == "2026-10"
    assert kpis.last_month_of("2026-Q2") == "2026-06" and kpis.last_month_of("2026") == "2026-12"
    assert kpis.months_back("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    assert all(kpis.valid_period(p) for p in ("2026", "2026-Q4", "2026-01"))
    assert not any(kpis.valid_period(p) for p in ("2026-13", "2026-Q5", "26", "2026-1", "", "2026-11-01"))


def test_a_rate_with_nothing_to_divide_by_is_null():
    f = kpis.figures({}, {})
    assert f["retention_rate"]["value"] is None and f["average_rating"]["value"] is None
    assert f["visits"]["value"] == 0


STATUSES = st.sampled_from(["booked", "completed", "completed", "no_show", "cancelled"])
appointment = st.builds(
    lambda day, hour, status, created_days, reminded, price: visit(
        "p",
        (datetime(2026, 1, 1) + timedelta(days=day, hours=hour)).isoformat(),
        status=status,
        price=price,
        created=(datetime(2026, 1, 1) + timedelta(days=day - created_days)).isoformat(),
        reminded=reminded,
        cancelled_at=(datetime(2026, 1, 1) + timedelta(days=day - 1)).isoformat() if status == "cancelled" else None,
    ),
    st.integers(0, 500),
    st.integers(8, 18),
    STATUSES,
    st.integers(0, 60),
    st.booleans(),
    st.integers(0, 20000),
)
histories = st.lists(appointment, max_size=12)
sends = st.lists(st.integers(0, 500).map(lambda d: datetime(2026, 1, 1, 7, tzinfo=UTC) + timedelta(days=d)), max_size=3)


@settings(max_examples=150, deadline=None)
@given(histories, histories, sends)
def test_applying_the_delta_moves_the_counters_from_the_old_history_to_the_new(before, after, winbacks):
    old = kpis.contribution(before, winbacks, HEL, 24)
    new = kpis.contribution(after, winbacks, HEL, 24)
    moved = total(old, kpis.delta(old, new))
    assert {p: +c for p, c in moved.items() if +c} == {p: Counter(c) for p, c in new.items()}


@settings(max_examples=150, deadline=None)
@given(histories)
def test_a_year_adds_up_its_months_except_for_the_counts_of_distinct_clients(history):
    c = kpis.contribution(history, [], HEL, 24)
    for year in {p for p in c if len(p) == 4}:
        months = total(*({p: v} for p, v in c.items() if len(p) == 7 and "-Q" not in p and p.startswith(year)))
        summed: Counter = sum(months.values(), Counter())
        for name in ("appointments", "completed", "no_show", "cancelled", "revenue_cents", "rebooked_30"):
            assert c[year].get(name, 0) == summed.get(name, 0)
        assert c[year].get("visitors", 0) <= 1 and c[year].get("new_clients", 0) <= 1


def test_money_deposits_fees_refunds_and_no_shows_with_and_without_a_deposit_or_card():
    """Issue 20, 9 (docs/kpis.md, "Payments"): each counted in the period of the visit."""
    from dataclasses import replace

    from chalicelib.domain.payments import BookingPayment

    def paying(v, **pay):
        return replace(
            v, payment=BookingPayment(kind=pay.pop("kind", "deposit"), due_cents=3000, policy_version=1, **pay)
        )

    kept = paying(visit("m", "2026-11-03T10:00"), paid_cents=3000, payment_method="pm_1")
    # A no-show with a deposit: the deposit kept, a fee charged and collected on top.
    missed = paying(
        visit("m", "2026-11-10T10:00", status="no_show"),
        paid_cents=3000 + 2000,
        payment_method="pm_1",
        fees={"no_show": "succeeded"},
        fee_cents={"no_show": 2000},
    )
    # A card on file only: its no-show fee waits for her bank; a late cancellation's fee was waived.
    carded = paying(
        visit("n", "2026-11-12T10:00", status="no_show"),
        kind="card_on_file",
        payment_method="pm_2",
        fees={"no_show": "open", "late_cancel": "waived"},
        fee_cents={"no_show": 5000, "late_cancel": 2500},
    )
    refunded = paying(
        visit("n", "2026-11-20T10:00", status="cancelled", cancelled_at="2026-11-15T10:00"),
        paid_cents=3000,
        refunded_cents=3000,
    )
    unpaid = paying(visit("n", "2026-11-21T10:00", status="pending_payment"), paid_cents=0)
    plain = [visit("o", "2026-11-05T10:00", status="no_show"), visit("o", "2026-11-06T10:00")]
    c = total(
        kpis.contribution([kept, missed], [], HEL, 24),
        kpis.contribution([carded, refunded, unpaid], [], HEL, 24),
        kpis.contribution(plain, [], HEL, 24),
    )["2026-11"]
    f = {k: v["value"] for k, v in kpis.figures(c, {}).items()}
    assert (f["deposits_taken"], f["deposits_taken_cents"]) == (3, 9000)  # kept, missed, refunded (not the unpaid)
    assert (f["fees_charged_cents"], f["fees_collected_cents"]) == (7000, 2000)  # open counts as charged; waived not
    assert f["refunds_cents"] == 3000
    assert f["no_show_rate_protected"] == round(2 / 3, 4)  # kept, missed, carded
    assert f["no_show_rate_unprotected"] == 0.5  # the plain pair
    assert f["revenue_per_visit_cents"] == 5000  # two completed visits at 50 €


def test_a_hold_that_ran_out_or_a_declined_card_never_was_a_booking():
    """A booking held for her link or her payment and freed unconfirmed, unpaid or
    declined counts nowhere (not as an appointment, not as a cancellation); one she
    cancelled herself does."""
    from dataclasses import replace

    freed = [
        replace(visit("h", f"2026-11-{day}T10:00", status="cancelled"), cancel_reason=reason)
        for day, reason in ((10, "unconfirmed"), (11, "payment_expired"), (12, "payment_declined"))
    ]
    cancelled = replace(visit("h", "2026-11-13T10:00", status="cancelled"), cancel_reason="illness")
    c = kpis.contribution([*freed, cancelled], [], HEL, 24)["2026-11"]
    assert (c["appointments"], c["cancelled"]) == (1, 1)


def test_a_figure_whose_window_after_the_period_is_open_is_counting_until_it_closes():
    # A young month's "rebooked within 60 days: 0 %" read as a collapse (an owner's walk).
    last = datetime(2026, 12, 31).date()
    on = kpis.counting_until(last, datetime(2026, 12, 7).date())
    assert on["rebooking_rate_30"] == "2027-01-30" and on["rebooking_rate_90"] == "2027-03-31"
    assert on["retention_rate"] == "2026-12-31" and on["winback_conversion_rate"] == "2027-01-30"
    assert on["nudge_bookings"] == "2027-01-14" and "visits" not in on and "no_show_rate" not in on
    # Each closes on its own day: the 30 days' is open on its last day and gone the next.
    assert "rebooking_rate_30" in kpis.counting_until(last, datetime(2027, 1, 30).date())
    later = kpis.counting_until(last, datetime(2027, 1, 31).date())
    assert "rebooking_rate_30" not in later and "rebooking_rate_60" in later and "retention_rate" not in later
    assert kpis.counting_until(last, datetime(2027, 4, 1).date()) == {}
