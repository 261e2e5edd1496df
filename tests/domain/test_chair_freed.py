"""A visit done early or a no-show gives the rest of its time back, and its undo during the
visit takes it back (chalicelib/domain/visits.py; refused while a walk-in has it:
tests/admin/test_desk_booking.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.booking import Appointment
from chalicelib.domain.visits import chair_free_from, status_after_undo, takes_time_back

TEN = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 10:00 in Helsinki


def visit(status: str = "booked", buffer_minutes: int = 10, arrived: bool = False) -> Appointment:
    return Appointment(
        id="v",
        business_id="b",
        client_id="c",
        service_id="womens-cut",
        staff_id="aino",
        start=TEN,
        end=TEN + timedelta(hours=1),
        occupied_until=TEN + timedelta(hours=1, minutes=buffer_minutes),
        status=status,
        price_cents=6900,
        locale="fi",
        created_at=TEN - timedelta(days=3),
        updated_at=TEN - timedelta(days=3),
        arrived_at=TEN if arrived else None,
    )


def at(minutes: float) -> datetime:
    return TEN + timedelta(minutes=minutes)


def test_done_early_frees_from_the_five_minute_mark_after_her_clearing_up():
    assert chair_free_from(visit(), "completed", at(32)) == at(40)  # 10:30 + ten minutes
    assert chair_free_from(visit("arrived"), "completed", at(45)) == at(55)
    assert chair_free_from(visit(buffer_minutes=0), "completed", at(32)) == at(30)


def test_a_no_show_frees_from_the_mark_and_never_before_the_start():
    assert chair_free_from(visit(), "no_show", at(12)) == at(10)
    assert chair_free_from(visit(), "no_show", at(3)) == at(0)


def test_nothing_is_freed_before_the_start_near_the_end_or_by_other_marks():
    assert chair_free_from(visit(), "completed", at(-5)) is None
    assert chair_free_from(visit(), "completed", at(62)) is None  # her buffer runs to 11:10 anyway
    assert chair_free_from(visit(), "no_show", at(71)) is None
    assert chair_free_from(visit(), "arrived", at(10)) is None
    assert chair_free_from(visit("completed"), "no_show", at(65)) is None  # marked already: given back then


def test_only_an_undo_while_the_time_runs_takes_it_back():
    assert takes_time_back(visit("completed"), "booked", at(33))
    assert takes_time_back(visit("no_show"), "booked", at(20))
    assert not takes_time_back(visit("arrived"), "booked", at(20))
    assert not takes_time_back(visit("completed"), "booked", at(75))
    assert not takes_time_back(visit("completed"), "no_show", at(33))


def test_an_undo_leaves_her_arrived_only_if_the_desk_marked_her_so_and_the_visit_runs():
    assert status_after_undo(visit("completed", arrived=True), at(30)) == "arrived"
    assert status_after_undo(visit("no_show", arrived=True), at(30)) == "arrived"
    assert status_after_undo(visit("completed"), at(30)) == "booked"
    assert status_after_undo(visit("arrived", arrived=True), at(30)) == "booked"  # the arrival undone
    assert status_after_undo(visit("completed", arrived=True), at(61)) == "completed"  # after its end
    assert takes_time_back(visit("completed", arrived=True), "arrived", at(30))
