"""Each early-warning rule on its own: when it warns, with which numbers and key, and
when it stays quiet; a dismissal holds for the same evidence only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import signals
from chalicelib.domain.booking import Appointment

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def appt(start: datetime, status: str = "completed", made_days_before: float = 7, **kw) -> Appointment:
    return Appointment(
        id=kw.pop("id", f"a{int(start.timestamp())}"),
        business_id="b",
        client_id="c",
        service_id="womens-cut",
        staff_id="aino",
        start=start,
        end=start + timedelta(hours=1),
        occupied_until=start + timedelta(hours=1),
        status=status,
        price_cents=6900,
        locale="fi",
        created_at=start - timedelta(days=made_days_before),
        updated_at=start,
        **kw,
    )


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


# --- visits spacing out ----------------------------------------------------------------
def test_visits_spacing_out_against_her_own_past():
    visits = [days_ago(d) for d in (200, 172, 144, 116, 70, 20)]  # 28, 28, 28 then 46, 50
    s = signals.spacing_out(visits)
    assert s is not None and s.code == "spacing_out"
    assert s.params == {"was_days": 28, "now_days": 48} and s.key == days_ago(20).isoformat()


def test_a_steady_or_slow_but_steady_client_is_not_spacing_out():
    assert signals.spacing_out([days_ago(d) for d in (200, 172, 144, 116, 88, 60)]) is None
    assert signals.spacing_out([days_ago(d) for d in (400, 320, 240, 160, 80)]) is None
    # Too little past to compare with.
    assert signals.spacing_out([days_ago(d) for d in (150, 120, 60, 1)]) is None


# --- reschedules or late cancellations in a row -----------------------------------------
def test_moves_and_late_cancellations_in_a_row():
    late = appt(days_ago(10), "cancelled", made_days_before=5, cancelled_at=days_ago(10) - timedelta(hours=3))
    moved = appt(days_ago(30), reschedules=1, made_days_before=5)
    kept = appt(days_ago(60))
    s = signals.changes_in_a_row([kept, moved, late], late_hours=24)
    assert s is not None and s.params == {"count": 2} and s.key == f"{late.id}#2"


def test_an_early_cancellation_or_a_kept_visit_breaks_the_row():
    early = appt(days_ago(10), "cancelled", made_days_before=5, cancelled_at=days_ago(12))
    moved = appt(days_ago(30), reschedules=2, made_days_before=5)
    assert signals.changes_in_a_row([moved, early], late_hours=24) is None
    moved_again = appt(days_ago(5), reschedules=1, made_days_before=1)
    kept = appt(days_ago(20), made_days_before=3)
    assert signals.changes_in_a_row([moved, kept, moved_again], late_hours=24) is None


def test_a_cancellation_in_the_grace_after_booking_late_was_free_and_is_not_late():
    """Booked three hours ahead (inside the 24 h window), she may still cancel free for
    15 minutes: she was told so, and the warning does not count it against her."""
    start = days_ago(10)
    moved = appt(days_ago(30), reschedules=1, made_days_before=5)

    def cancelled(after_booking: timedelta) -> Appointment:
        made = start - timedelta(hours=3)
        return appt(start, "cancelled", made_days_before=3 / 24, cancelled_at=made + after_booking)

    free = cancelled(timedelta(minutes=10))
    assert signals.changes_in_a_row([moved, free], late_hours=24, grace_minutes=15) is None
    late = cancelled(timedelta(minutes=20))
    assert signals.changes_in_a_row([moved, late], late_hours=24, grace_minutes=15) is not None
    assert signals.changes_in_a_row([moved, free], late_hours=24) is not None  # no grace: late


def test_the_salons_late_cancellations_are_not_hers_and_neither_count_nor_break_the_row():
    def salon(n: float) -> Appointment:
        return appt(days_ago(n), "cancelled", made_days_before=5, cancelled_at=days_ago(n) - timedelta(hours=3),
                    cancelled_by="salon")  # fmt: skip

    assert signals.changes_in_a_row([salon(10), salon(20)], late_hours=24) is None
    late = appt(days_ago(40), "cancelled", made_days_before=5, cancelled_at=days_ago(40) - timedelta(hours=3))
    moved = appt(days_ago(30), reschedules=1, made_days_before=5)
    s = signals.changes_in_a_row([late, moved, salon(10)], late_hours=24)
    assert s is not None and s.params == {"count": 2} and s.key == f"{moved.id}#2"


# --- a falling rating -------------------------------------------------------------------
def test_a_rating_well_below_her_usual_warns():
    s = signals.falling_rating([(days_ago(90), 5), (days_ago(60), 5), (days_ago(30), 4), (days_ago(2), 3)])
    assert s is not None and s.params == {"was": 4.7, "now": 3} and s.key == days_ago(2).isoformat()


def test_a_steady_or_rising_rating_or_a_single_one_does_not():
    assert signals.falling_rating([(days_ago(60), 4), (days_ago(2), 4)]) is None
    assert signals.falling_rating([(days_ago(60), 2), (days_ago(2), 5)]) is None
    assert (
        signals.falling_rating([(days_ago(90), 5), (days_ago(60), 4), (days_ago(2), 4)]) is None
    )  # half a star: noise
    assert signals.falling_rating([(days_ago(2), 1)]) is None


# --- a follow-up overdue ------------------------------------------------------------------
def test_an_overdue_follow_up_warns_with_how_late_it_is():
    today = NOW.date()
    s = signals.followup_overdue([None, today + timedelta(days=3), date(2027, 2, 20)], today)
    assert s is not None and s.params == {"days": 9} and s.key == "2027-02-20"
    assert signals.followup_overdue([today, None], today) is None  # due today is not late


# --- no contact for longer than usual -----------------------------------------------------
def test_silence_longer_than_ever_between_her_contacts():
    history = [appt(days_ago(d), made_days_before=3) for d in (200, 170, 140)]  # contacts every 27 and 3 days
    s = signals.no_contact(history, NOW)
    assert s is not None and s.key == days_ago(140).isoformat()
    assert s.params == {"days": 140, "longest_days": 27}


def test_the_silence_is_told_in_the_salons_calendar_days():
    """An owner's walk: last seen on 21 March at 14.00, the card said "260 days" on the
    morning of 7 December, the 261st day after it (whole 24 hours counted)."""
    from zoneinfo import ZoneInfo

    helsinki = ZoneInfo("Europe/Helsinki")
    now = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)  # 9.30 in Helsinki
    last = datetime(2026, 3, 21, 12, 0, tzinfo=UTC)  # 14.00 in Helsinki
    history = [appt(last - timedelta(days=d), made_days_before=2, id=f"v{d}") for d in (60, 30, 0)]
    s = signals.no_contact(history, now, helsinki)
    assert s is not None and s.params["days"] == 261, s
    # Near midnight the day is the salon's: 23.30 on 7 Dec in Helsinki is 7 Dec there.
    late = datetime(2026, 12, 7, 21, 30, tzinfo=UTC)

    def days(at: datetime, *tz: ZoneInfo) -> int:
        found = signals.no_contact(history, at, *tz)
        assert found is not None
        return found.params["days"]

    assert days(late, helsinki) == 261 and days(late) == 261  # UTC: 21.30 on the 7th too
    assert days(late + timedelta(hours=1), helsinki) == 262


def test_a_recent_booking_is_contact():
    history = [appt(days_ago(d), made_days_before=3) for d in (200, 170, 140)]
    booked = appt(NOW + timedelta(days=10), "booked", made_days_before=12)  # made 2 days ago
    assert signals.no_contact([*history, booked], NOW) is None
    assert signals.no_contact(history[:1], NOW) is None  # no usual yet


def test_no_warning_of_a_silence_of_hours_against_gaps_of_minutes():
    """Seen on a client card: "no contact for 0 days, longer than ever (longest so far 0
    days)": a walk-in booked minutes before she sat down, seen twice, then hours of quiet
    (a clock moved forward). Nothing to compare a silence with, and no silence."""
    first = NOW - timedelta(hours=20)
    walk_ins = [
        appt(first, made_days_before=10 / 1440, id="w1"),
        appt(first + timedelta(hours=1), made_days_before=5 / 1440, id="w2"),
    ]
    assert signals.no_contact(walk_ins, NOW) is None
    # Gaps of under a day still cannot make a year's silence "longer than ever" no warning.
    assert signals.no_contact(walk_ins, NOW + timedelta(days=3)) is None


@settings(max_examples=300, deadline=None)
@given(
    visits=st.lists(
        st.tuples(st.floats(min_value=0, max_value=400), st.floats(min_value=0, max_value=30)),
        min_size=0,
        max_size=6,
    ),
    later=st.floats(min_value=0, max_value=400),
)
def test_a_no_contact_warning_always_says_a_real_silence(visits, later):
    history = [appt(days_ago(d), made_days_before=m, id=f"a{i}") for i, (d, m) in enumerate(visits)]
    s = signals.no_contact(history, NOW + timedelta(days=later))
    if s is not None:
        assert s.params["longest_days"] >= 1
        assert s.params["days"] > s.params["longest_days"] >= 1


# --- a no-show ----------------------------------------------------------------------------
def test_her_latest_visit_a_no_show_warns_until_she_comes_again():
    missed = appt(days_ago(10), "no_show", id="missed")
    s = signals.no_show([appt(days_ago(40)), missed], NOW)
    assert s is not None and s.key == "missed" and s.params == {"date": days_ago(10).isoformat()}
    assert signals.no_show([missed, appt(days_ago(3))], NOW) is None
    assert signals.no_show([appt(days_ago(200), "no_show")], NOW) is None  # long ago


# --- one visit: no rhythm of her own ----------------------------------------------------
def test_at_risk_or_lapsed_on_a_single_visit_says_so_with_its_date():
    only = days_ago(150)
    for status in ("at_risk", "lapsed"):
        s = signals.one_visit([only], status)
        assert s is not None and s.key == only.isoformat() and s.params == {"date": only.isoformat()}
    assert signals.one_visit([only], "active") is None  # no status to explain
    assert signals.one_visit([only], None) is None  # not known
    assert signals.one_visit([days_ago(300), only], "lapsed") is None  # a rhythm of her own
    assert signals.one_visit([], "lapsed") is None


def test_her_one_visit_is_the_reason_for_her_status_among_the_warnings():
    history = [appt(days_ago(150))]
    assert signals.warnings(history, [], [], NOW, NOW.date(), 24) == []  # status unknown: no reason
    found = signals.warnings(history, [], [], NOW, NOW.date(), 24, status="lapsed")
    assert [(s.code, s.params) for s in found] == [("one_visit", {"date": days_ago(150).isoformat()})]
    # A cancelled or missed visit is no visit: one completed visit is what counts.
    history.append(appt(days_ago(100), "cancelled"))
    assert "one_visit" in [s.code for s in signals.warnings(history, [], [], NOW, NOW.date(), 24, status="lapsed")]


# --- all together, and dismissed ------------------------------------------------------------
def test_warnings_in_order_and_a_dismissal_holds_for_the_same_evidence_only():
    history = [appt(days_ago(d), made_days_before=3) for d in (300, 272, 244, 216, 160, 100)]
    history.append(appt(days_ago(10), "no_show", id="missed", made_days_before=3))
    found = signals.warnings(history, [], [NOW.date() - timedelta(days=1)], NOW, NOW.date(), 24)
    assert [s.code for s in found] == ["spacing_out", "followup_overdue", "no_show"]
    no_show = found[-1]
    assert [s.code for s in signals.shown(found, {"no_show": no_show.key})] == ["spacing_out", "followup_overdue"]
    assert len(signals.shown(found, {"no_show": "an earlier one"})) == 3
