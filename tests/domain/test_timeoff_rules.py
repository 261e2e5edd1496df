"""Time off replaced by a shorter block: what the old one blocked and the new one does not
is freed, per staff member and occurrence (the waitlist is offered it)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from chalicelib.domain.timeoff import TimeOff, uncovered

HEL = ZoneInfo("Europe/Helsinki")


def _block(start: str, end: str, staff_ids=("aino", "sanna"), weekly_until=None) -> TimeOff:
    return TimeOff(
        id="x",
        business_id="b",
        staff_id=None if len(staff_ids) > 1 else staff_ids[0],
        start=datetime.fromisoformat(start).astimezone(UTC),
        end=datetime.fromisoformat(end).astimezone(UTC),
        reason="",
        weekly_until=weekly_until,
        staff_ids=tuple(staff_ids),
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def _local(spans):
    return sorted(
        (s, a.astimezone(HEL).strftime("%d.%m %H:%M"), b.astimezone(HEL).strftime("%H:%M")) for s, a, b in spans
    )


def test_a_weekly_block_shortened_frees_each_weeks_cut_off_part_for_everyone_it_covered():
    old = _block("2026-11-25T12:00+02:00", "2026-11-25T14:00+02:00", weekly_until=date(2026, 12, 2))
    new = _block(
        "2026-11-25T12:00+02:00", "2026-11-25T13:00+02:00", staff_ids=("aino",), weekly_until=date(2026, 11, 25)
    )
    assert _local(uncovered(old, new, HEL)) == [
        ("aino", "02.12 12:00", "14:00"),  # the repeat no longer reaches this week
        ("aino", "25.11 13:00", "14:00"),
        ("sanna", "02.12 12:00", "14:00"),  # the new block is Aino's alone
        ("sanna", "25.11 12:00", "14:00"),
    ]
    assert uncovered(old, old, HEL) == []


def test_a_weekly_block_keeps_its_wall_clock_times_across_the_spring_switch_and_never_ends_before_it_starts():
    """On 28 March 2027 Helsinki's clocks go from 03:00 to 04:00: a week's block in the hour
    they skip blocks nothing that day; one that runs past it blocks from 04:00; the other
    weeks keep their wall-clock times, before and after the switch."""
    from chalicelib.domain.timeoff import occurrences

    def shown(block):
        return [
            (o.start.astimezone(HEL).strftime("%d.%m %H:%M"), o.end.astimezone(HEL).strftime("%H:%M"))
            for o in occurrences(block, HEL)
        ]

    inside = _block("2027-03-21T03:30+02:00", "2027-03-21T04:00+02:00", ("aino",), weekly_until=date(2027, 4, 4))
    assert shown(inside) == [("21.03 03:30", "04:00"), ("04.04 03:30", "04:00")]
    across = _block("2027-03-21T03:30+02:00", "2027-03-21T05:00+02:00", ("aino",), weekly_until=date(2027, 4, 4))
    assert shown(across) == [("21.03 03:30", "05:00"), ("28.03 04:00", "05:00"), ("04.04 03:30", "05:00")]
    into = _block("2027-03-21T02:30+02:00", "2027-03-21T03:30+02:00", ("aino",), weekly_until=date(2027, 3, 28))
    assert shown(into) == [("21.03 02:30", "03:30"), ("28.03 02:30", "04:00")]
