"""Which freed time fits whom (issue 21, point 8): property-based, every offered start
fits the entry's service, staff, dates and windows, overlaps the freed stretch (using
the free time around it), keeps to the booking rules and leaves the service's whole
occupancy free, the starts inside the stretch first; DST days; quiet hours of the offer
SMS."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chalicelib.domain import availability as avail
from chalicelib.domain.config import WEEKDAYS, QuietHours
from chalicelib.domain.waitlist import (
    Entry,
    Window,
    WindowIn,
    fits_windows,
    is_persons,
    matches,
    offer_id,
    offer_starts,
    sms_send_time,
)
from tests.conftest import demo_config

HEL = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Mon 10:00 in Helsinki
CFG = demo_config()


def entry(service="womens-cut", staff=None, first=date(2026, 11, 25), last=date(2026, 11, 25), windows=(), at=NOW):
    return Entry(
        id=f"e{at.timestamp():.0f}",
        business_id="b",
        service_id=service,
        staff_id=staff,
        first=first,
        last=last,
        windows=tuple(windows),
        name="Maija",
        phone="+358401234567",
        email=None,
        locale="fi",
        created_at=at,
        updated_at=at,
    )


windows = st.lists(
    st.builds(
        lambda days, start, length: Window.of(
            WindowIn(
                days=tuple(days),
                start=f"{start // 60:02d}:{start % 60:02d}",
                end=f"{min(start + length, 1440) // 60:02d}:{min(start + length, 1440) % 60:02d}",
            )
        ),
        st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True),
        st.integers(0, 23 * 12).map(lambda n: n * 5),
        st.integers(1, 12 * 12).map(lambda n: n * 5),
    ),
    max_size=3,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    staff_id=st.sampled_from([m.id for m in CFG.staff]),
    wanted=st.sampled_from(["anyone", "anyone", "her", "other"]),
    first_offset=st.integers(1, 4),
    days=st.integers(0, 5),
    wins=st.one_of(st.just([]), windows),
    freed_day=st.integers(2, 5),
    freed_start=st.integers(9 * 4, 18 * 4).map(lambda q: q * 15),
    freed_len=st.integers(1, 16).map(lambda q: q * 15),
    busy=st.lists(st.tuples(st.integers(0, 8), st.integers(8 * 12, 20 * 12), st.integers(1, 36)), max_size=6),
)
def test_every_offered_start_fits_the_entry_and_the_rules(
    data, staff_id, wanted, first_offset, days, wins, freed_day, freed_start, freed_len, busy
):
    member = CFG.staff_member(staff_id)
    assert member
    service_id = data.draw(st.sampled_from([*member.services, "colour", "kids-cut"]))
    wanted_staff = {"anyone": None, "her": staff_id, "other": "mikko" if staff_id != "mikko" else "aino"}[wanted]
    first = date(2026, 11, 23) + timedelta(days=first_offset)
    e = entry(service_id, wanted_staff, first, first + timedelta(days=days), wins)
    base = datetime(2026, 11, 23, tzinfo=HEL) + timedelta(days=freed_day)
    start = (base + timedelta(minutes=freed_start)).astimezone(UTC)
    freed = (start, start + timedelta(minutes=freed_len))
    taken = [
        (
            (datetime(2026, 11, 23, tzinfo=HEL) + timedelta(days=d, minutes=m * 5)).astimezone(UTC),
            (datetime(2026, 11, 23, tzinfo=HEL) + timedelta(days=d, minutes=m * 5 + n * 5)).astimezone(UTC),
        )
        for d, m, n in busy
    ]
    # The freed stretch is free (it was just freed); other time may be taken.
    taken = [(a, b) for a, b in taken if not (a < freed[1] and freed[0] < b)]
    service, staff = CFG.service(service_id), CFG.staff_member(staff_id)
    assert service and staff
    offered = offer_starts(CFG, service, staff, freed, taken, NOW, e)
    event("offered" if offered else "none")  # both kinds of case occur (hypothesis' statistics)
    inside, before = [t for t in offered if t >= freed[0]], [t for t in offered if t < freed[0]]
    assert offered == sorted(inside) + sorted(before, reverse=True)  # best first
    for t in offered:
        occupied = t + timedelta(minutes=service.occupancy_minutes)
        assert t < freed[1] and freed[0] < t + timedelta(minutes=service.duration_minutes)  # the visit refills it
        assert t.astimezone(HEL).date() in {freed[0].astimezone(HEL).date(), freed[1].astimezone(HEL).date()}
        assert e.service_id == service.id and e.staff_id in (None, staff.id)
        assert service.id in staff.services
        assert avail.is_allowed_start(CFG, service, staff, t, NOW)  # hours, grid, notice, horizon
        assert not any(a < occupied and t < b for a, b in taken)  # buffer included
        local, end = t.astimezone(HEL), (t + timedelta(minutes=service.duration_minutes)).astimezone(HEL)
        assert e.first <= local.date() <= e.last
        if e.windows:
            assert any(
                local.weekday() in w.weekdays
                and w.start <= local.hour * 60 + local.minute
                and end.date() == local.date()
                and end.hour * 60 + end.minute <= w.end
                for w in e.windows
            )


def _sat(hhmm: str) -> datetime:
    """Saturday 28 Nov 2026 in Helsinki (the salon and Sanna 10:00-16:00), in UTC."""
    return datetime.fromisoformat(f"2026-11-28T{hhmm}:00+02:00").astimezone(UTC)


def _local(starts: list[datetime]) -> list[str]:
    return [t.astimezone(HEL).strftime("%H:%M") for t in starts]


def test_a_freed_stretch_is_offered_with_the_free_time_around_it():
    """12:30-13:40 just freed, 10:00-12:30 freed before, 13:45 booked: highlights (150 +
    15 min) fits only with the time before the stretch. Its visit must reach into the
    freed time (10:00 would end at 12:30: time that was free anyway); the latest start
    first, covering the most of it."""
    sanna, service = CFG.staff_member("sanna"), CFG.service("highlights")
    assert sanna and service
    e = entry("highlights", "sanna", date(2026, 11, 28), date(2026, 11, 28))
    taken = [(_sat("13:45"), _sat("14:55"))]
    starts = offer_starts(CFG, service, sanna, (_sat("12:30"), _sat("13:40")), taken, NOW, e)
    assert _local(starts) == ["11:00", "10:45", "10:30", "10:15"]
    # A women's cut starts inside the stretch: offered there first, in time order.
    cut = CFG.service("womens-cut")
    assert cut
    e = entry("womens-cut", None, date(2026, 11, 28), date(2026, 11, 28))
    starts = offer_starts(CFG, cut, sanna, (_sat("12:30"), _sat("13:40")), taken, NOW, e)
    assert _local(starts) == ["12:30", "12:15", "12:00", "11:45"]  # 12:45 would run into 13:45
    assert _local([t for _, t in matches(CFG, sanna, (_sat("12:30"), _sat("13:40")), taken, NOW, [e])]) == ["12:30"]


@pytest.mark.parametrize(
    "before",
    [
        pytest.param((_sat("10:00"), _sat("12:25")), id="booked"),
        pytest.param((_sat("10:00"), _sat("12:30")), id="time-off"),  # on her sheet like a booking
    ],
)
def test_taken_time_next_to_the_freed_stretch_is_not_offered(before):
    sanna, service = CFG.staff_member("sanna"), CFG.service("highlights")
    assert sanna and service
    e = entry("highlights", "sanna", date(2026, 11, 28), date(2026, 11, 28))
    taken = [before, (_sat("13:45"), _sat("14:55"))]
    assert offer_starts(CFG, service, sanna, (_sat("12:30"), _sat("13:40")), taken, NOW, e) == []


def test_hours_she_does_not_work_next_to_the_freed_stretch_are_not_offered():
    # Wednesday: the salon opens at 9:00, Aino starts at 11:00.
    aino, service = CFG.staff_member("aino"), CFG.service("highlights")
    assert aino and service

    def wed(hhmm: str) -> datetime:
        return datetime.fromisoformat(f"2026-11-25T{hhmm}:00+02:00").astimezone(UTC)

    e = entry("highlights", "aino", date(2026, 11, 25), date(2026, 11, 25))
    taken = [(wed("13:30"), wed("14:40"))]
    assert offer_starts(CFG, service, aino, (wed("11:00"), wed("13:25")), taken, NOW, e) == []
    # Sanna works from 9:00 that day: the same gap is room for her.
    sanna = CFG.staff_member("sanna")
    assert sanna
    anyone = entry("highlights", None, date(2026, 11, 25), date(2026, 11, 25))
    starts = offer_starts(CFG, service, sanna, (wed("11:00"), wed("13:25")), taken, NOW, anyone)
    assert _local(starts)[0] == "10:45" and _local(starts)[-1] == "09:00"


def test_matches_come_in_queue_order_and_skip_closed_and_past_entries():
    aino = CFG.staff_member("aino")
    assert aino
    freed = (datetime(2026, 11, 25, 11, 0, tzinfo=UTC), datetime(2026, 11, 25, 12, 10, tzinfo=UTC))
    early, late = entry(at=NOW - timedelta(hours=2)), entry(at=NOW - timedelta(hours=1))
    closed = replace(entry(at=NOW - timedelta(hours=3)), status="left")
    past = entry(first=date(2026, 11, 20), last=date(2026, 11, 22), at=NOW - timedelta(hours=4))
    found = matches(CFG, aino, freed, [], NOW, [late, closed, past, early])
    assert [e.id for e, _ in found] == [early.id, late.id]
    assert {t for _, t in found} == {freed[0]}


def test_an_offer_is_the_same_offer_however_often_it_is_made_from_one_freeing():
    t, freed = datetime(2026, 11, 25, 11, 0, tzinfo=UTC), NOW
    assert offer_id("e1", "aino", t, freed) == offer_id("e1", "aino", t.astimezone(HEL), freed.astimezone(HEL))
    others = {offer_id("e2", "aino", t, freed), offer_id("e1", "sanna", t, freed)}
    later = offer_id("e1", "aino", t, freed + timedelta(minutes=5))  # freed again: taken in between
    assert len({offer_id("e1", "aino", t, freed), later, *others}) == 4


def test_windows_on_the_spring_dst_day_are_wall_clock_times():
    # Finland moves its clocks on the last Sunday of March: 2027-03-28 (open that Sunday here).
    sunday_open = CFG.model_copy(
        update={"opening_hours": CFG.opening_hours.model_copy(update={"sun": CFG.opening_hours.sat})}
    )
    aino = sunday_open.staff_member("aino")
    assert aino
    aino = aino.model_copy(update={"hours": aino.hours.model_copy(update={"sun": CFG.opening_hours.sat})})
    service = sunday_open.service("mens-cut")
    assert service
    now = datetime(2027, 3, 20, 8, 0, tzinfo=UTC)
    w = Window.of(WindowIn(days=("sun",), start="10:00", end="12:00"))
    e = entry("mens-cut", None, date(2027, 3, 28), date(2027, 3, 28), [w], at=now)
    freed = (datetime(2027, 3, 28, 6, 0, tzinfo=UTC), datetime(2027, 3, 28, 12, 0, tzinfo=UTC))
    starts = offer_starts(sunday_open, service, aino, freed, [], now, e)
    local = [t.astimezone(HEL).strftime("%H:%M") for t in starts]
    assert local[0] == "10:00" and local[-1] == "11:30"  # 10:00 is 07:00 UTC after the switch
    assert starts[0] == datetime(2027, 3, 28, 7, 0, tzinfo=UTC)
    assert fits_windows(e, starts[-1], starts[-1] + timedelta(minutes=30), HEL)


def test_an_offer_sms_waits_for_the_quiet_hours_to_end_even_on_the_autumn_dst_night():
    quiet = QuietHours(start="21:00", end="08:00")
    # Saturday 30 Oct 2027 22:30 in Helsinki (+03); the clocks go back that night.
    now = datetime(2027, 10, 30, 19, 30, tzinfo=UTC)
    latest = datetime(2027, 10, 31, 12, 0, tzinfo=UTC)
    at = sms_send_time(now, quiet, HEL, latest)
    assert at == datetime(2027, 10, 31, 6, 0, tzinfo=UTC)  # 08:00 in winter time (+02)
    assert at.astimezone(HEL).strftime("%H:%M") == "08:00"
    # A time that must be booked before the quiet hours end cannot be offered by SMS.
    assert sms_send_time(now, quiet, HEL, datetime(2027, 10, 31, 5, 0, tzinfo=UTC)) is None
    # Outside the quiet hours it goes now.
    day = datetime(2027, 10, 30, 9, 0, tzinfo=UTC)
    assert sms_send_time(day, quiet, HEL, latest) == day


def test_an_offer_sms_made_at_an_odd_minute_goes_when_the_quiet_hours_end_not_minutes_after():
    # The same end every client SMS waits for: 08:00, not the next step of five from 21:03.
    quiet = QuietHours(start="21:00", end="08:00")
    now = datetime(2027, 11, 10, 19, 3, 27, tzinfo=UTC)  # 21:03:27 in Helsinki (+02)
    at = sms_send_time(now, quiet, HEL, datetime(2027, 11, 11, 12, 0, tzinfo=UTC))
    assert at is not None and at.astimezone(HEL).strftime("%H:%M:%S") == "08:00:00"


MAIJA = ("Maija Meikäläinen", "+358401234567", "maija@example.com")


@pytest.mark.parametrize(
    ("name", "phone", "email", "hers"),
    [
        ("Maija Meikäläinen", "+358401234567", "maija@example.com", True),
        ("maija", "+358401234567", None, True),  # her phone, her first name, no email
        ("Meikalainen Maija", "+358401234567", None, True),  # surname first, no accents
        ("Maiju", None, "MAIJA@example.com", True),  # her email, no phone: her nickname is hers
        ("Maiju", "+358401234567", "maija@example.com", True),  # both contacts hers
        ("Maija Meikäläinen", "+358409999999", "maija@example.com", True),  # her email, a new number
        ("Maija Meikäläinen", "+358401234567", "work@example.com", True),  # her phone and name, another email
        # Another person's entry with one of her contacts:
        ("Liisa Virtanen", "+358401234567", "liisa@example.net", False),  # the reviewer's case
        ("Liisa Meikäläinen", "+358401234567", None, False),  # a daughter with her mother's phone
        ("Liisa Virtanen", "+358409999999", "maija@example.com", False),  # her email, another's phone and name
        ("Maija Meikäläinen", "+358409999999", "other@example.com", False),  # no contact of hers
    ],
)
def test_an_entry_is_hers_only_when_nothing_in_it_names_another_person(name, phone, email, hers):
    e = replace(entry(), name=name, phone=phone, email=email)
    assert is_persons(e, *MAIJA) is hers


def test_an_entry_with_an_email_she_never_gave_is_hers_by_phone_and_name():
    e = replace(entry(), name="Maija M", email="maija.work@example.com")
    assert is_persons(e, "Maija Meikäläinen", "+358401234567", None)
    assert not is_persons(replace(e, name="Liisa M"), "Maija Meikäläinen", "+358401234567", None)


@pytest.mark.parametrize("start", ["²2:00", "١٦:٠٠", "1６:00"])
def test_a_window_with_digits_other_than_0_to_9_is_refused_as_not_a_time(start):
    # An attacker's probe: "²2:00" was answered with Python's own "invalid literal for
    # int() with base 10", and Arabic-Indic "١٦:٠٠" read as 16:00.
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="expected HH:MM") as refused:
        WindowIn(start=start, end="20:00")
    assert "int()" not in str(refused.value)
