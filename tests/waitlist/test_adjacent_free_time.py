"""Freed time offered with the free time around it (docs/waitlist.md, "Offers"), on moto:
three back-to-back cancellations make room for a longer service together, though each
stretch alone is too short; a stretch between bookings is offered as before; time off
and the hours she does not work are never used. Now: Mon 23 Nov 2026 10:00 in Helsinki;
Saturday 28 Nov: the salon and Sanna 10:00-16:00."""

from __future__ import annotations

from tests.api.helpers import book, get, post, token_of
from tests.waitlist.helpers import join, offer_links

SAT = "2026-11-28"
LIISA = {"name": "Liisa Virtanen", "phone": "040 765 4321", "email": "liisa@example.com"}
LIISA_SMS = "+358407654321"


def _booked(client, staff: str, day: str, *times: str) -> list[dict]:
    """A women's cut (60 min + 10 min buffer) with `staff` at each time, each for a
    client of its own."""
    out = []
    for i, hhmm in enumerate(times):
        status, booked = book(
            client, f"{day}T{hhmm}:00+02:00", staff=staff, name=f"Client {i}", phone=f"040 600 00{i:02d}", email=None
        )
        assert status == 201, booked
        out.append(booked)
    return out


def _cancel(client, booked: dict) -> None:
    status, body = post(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}/cancel")
    assert status == 200, body


def test_three_back_to_back_cancellations_make_room_for_a_longer_service(client, aws):
    """The walkthrough's Saturday: 10:00, 11:15 and 12:30 cancelled, 13:45 still booked.
    Free 10:00-13:45 in all, enough for highlights (150 min + 15 min buffer), though each
    cancelled hour alone is too short. Before, no offer came: an offer had to start inside
    the one stretch just freed."""
    *cancelled, _ = _booked(client, "sanna", SAT, "10:00", "11:15", "12:30", "13:45")
    assert join(client, first=SAT, last=SAT, service="highlights", staff="sanna", **LIISA)[0] == 201
    _cancel(client, cancelled[0])
    _cancel(client, cancelled[1])
    assert offer_links(LIISA_SMS) == []  # 10:00-12:30 is not yet room for 165 minutes
    _cancel(client, cancelled[2])
    [link] = offer_links(LIISA_SMS)
    status, offer = get(client, f"/api/v1/offers/{link}")
    assert status == 200, offer
    # The visit reaches into the time just freed (12:30-13:40) and ends with its buffer
    # where the 13:45 booking begins.
    assert (offer["start"], offer["end"]) == ("2026-11-28T11:00:00+02:00", "2026-11-28T13:30:00+02:00")
    assert offer["staff"]["id"] == "sanna" and offer["service"]["id"] == "highlights"


def test_a_freed_stretch_between_bookings_is_offered_as_before(client, aws):
    """Its neighbours booked: the freed 11:15 is offered as 11:15, and a service longer
    than the gap is not offered at all."""
    booked = _booked(client, "sanna", SAT, "10:00", "11:15", "12:30")
    assert join(client, first=SAT, last=SAT, service="highlights", staff="sanna", **LIISA)[0] == 201
    cut = {"name": "Other Person", "phone": "040 888 8888", "email": None}
    assert join(client, first=SAT, last=SAT, service="womens-cut", **cut)[0] == 201
    _cancel(client, booked[1])
    assert offer_links(LIISA_SMS) == []
    [link] = offer_links("+358408888888")
    assert get(client, f"/api/v1/offers/{link}")[1]["start"] == "2026-11-28T11:15:00+02:00"


def test_time_off_next_to_the_freed_time_is_not_offered(client, aws):
    """As the first test, but Sanna is off until 11:15: 11:15-13:45 (150 min) is too
    short for highlights."""
    from tests.admin.helpers import Desk

    status, block = Desk(client, aws.id).post(
        "/time-off", {"staff": "sanna", "start": f"{SAT}T10:00", "end": f"{SAT}T11:15"}
    )
    assert status == 201, block
    *cancelled, _ = _booked(client, "sanna", SAT, "11:15", "12:30", "13:45")
    assert join(client, first=SAT, last=SAT, service="highlights", staff="sanna", **LIISA)[0] == 201
    for booked in cancelled:
        _cancel(client, booked)
    assert offer_links(LIISA_SMS) == []


def test_hours_she_does_not_work_next_to_the_freed_time_are_not_offered(client, aws):
    """Aino starts at 11:00 on Wednesdays though the salon opens at 9:00: 11:00 and 12:15
    cancelled before a 13:30 booking leave 11:00-13:30 (150 min), too short for
    highlights; the salon's hours alone would have made room from 10:45."""
    wed = "2026-11-25"
    *cancelled, _ = _booked(client, "aino", wed, "11:00", "12:15", "13:30")
    assert join(client, first=wed, last=wed, service="highlights", staff="aino", **LIISA)[0] == 201
    for booked in cancelled:
        _cancel(client, booked)
    assert offer_links(LIISA_SMS) == []


def test_in_queue_mode_time_held_for_another_is_not_offered_around_a_freed_stretch(client, aws):
    """Queue mode holds a freed time for one client alone (`hold_minutes`): the 10:00 cut
    offered to the first in the queue is hers for 15 minutes. The 11:15 and 12:30
    cancellations after it freed the time next to hers: highlights at 11:00 would need
    her held 10:00-11:10 (its buffer) and were offered to another meanwhile, so the one
    who would book first took the time from the one the queue held it for."""
    from tests.api.helpers import set_config

    set_config(aws, waitlist__mode="queue", waitlist__hold_minutes=15)
    *cancelled, _ = _booked(client, "sanna", SAT, "10:00", "11:15", "12:30", "13:45")
    first = {"name": "Other Person", "phone": "040 888 8888", "email": None}
    window = [{"days": ["sat"], "start": "10:00", "end": "11:10"}]  # only the 10:00 cut fits her
    assert join(client, first=SAT, last=SAT, service="womens-cut", staff="sanna", windows=window, **first)[0] == 201
    assert join(client, first=SAT, last=SAT, service="highlights", staff="sanna", **LIISA)[0] == 201
    _cancel(client, cancelled[0])
    [held] = offer_links("+358408888888")
    assert get(client, f"/api/v1/offers/{held}")[1]["start"] == "2026-11-28T10:00:00+02:00"
    _cancel(client, cancelled[1])
    _cancel(client, cancelled[2])
    # 11:10-13:45 is free of her hold: 155 minutes, too short for highlights' 165.
    assert offer_links(LIISA_SMS) == []
