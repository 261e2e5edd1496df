"""Early warnings: a relationship fades before the revenue does. Each rule looks at one
kind of evidence in her history and, when it sees a warning, says so with the numbers
the owner's sentence needs (the dashboard words them in fi/sv/en) and a key: what the
warning rests on. The owner may dismiss a warning; it stays dismissed until its key
changes (a new no-show, a later rating, another visit), when it shows again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from statistics import mean, median
from typing import Any

from chalicelib.domain.booking import Appointment, Status
from chalicelib.domain.visits import outcome

CODES = ("spacing_out", "changes_in_a_row", "falling_rating", "followup_overdue", "no_contact", "no_show", "one_visit")

# Spacing out: her last two gaps average this much longer than her earlier median gap.
SPACING_FACTOR = 1.5
SPACING_MIN_EARLIER_GAPS = 2
# Reschedules or late cancellations: this many of her latest bookings in a row.
CHANGES_IN_A_ROW = 2
# A falling rating: her latest this many stars below the average of her earlier ones.
RATING_DROP = 1.0
EARLIER_RATINGS = 3
# No contact: silent this much longer than the longest gap between her contacts so far.
CONTACT_FACTOR = 1.0
MIN_CONTACT_GAPS = 2
# A no-show counts as a warning for this long.
NO_SHOW_DAYS = 120


@dataclass(frozen=True)
class Signal:
    code: str
    key: str  # what the warning rests on (an id or an instant): a dismissal is of this key
    params: Mapping[str, Any] = field(default_factory=dict)


def _days(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 86400


def spacing_out(visits: Sequence[datetime]) -> Signal | None:
    """Her latest two gaps between visits against the median of her earlier ones."""
    starts = sorted(visits)
    gaps = [_days(a, b) for a, b in zip(starts, starts[1:])]
    if len(gaps) < SPACING_MIN_EARLIER_GAPS + 2:
        return None
    earlier, recent = median(gaps[:-2]), mean(gaps[-2:])
    if earlier <= 0 or recent < SPACING_FACTOR * earlier:
        return None
    return Signal("spacing_out", starts[-1].isoformat(), {"was_days": round(earlier), "now_days": round(recent)})


def _changed(a: Appointment, late_hours: int, grace_minutes: int) -> bool:
    """Moved at least once, or cancelled late (not free: Appointment.cancelled_late)."""
    if a.status == Status.CANCELLED.value:
        return a.cancelled_late(late_hours, grace_minutes)
    return a.reschedules > 0


def changes_in_a_row(appointments: Iterable[Appointment], late_hours: int, grace_minutes: int = 0) -> Signal | None:
    """Her latest bookings (by when they were made), each moved or cancelled late. A
    booking the salon cancelled says nothing of her: passed over, neither counted nor
    ending the row."""
    streak: list[Appointment] = []
    for a in sorted(appointments, key=lambda a: (a.created_at, a.start), reverse=True):
        if a.cancelled_by_salon:
            continue
        if not _changed(a, late_hours, grace_minutes):
            break
        streak.append(a)
    if len(streak) < CHANGES_IN_A_ROW:
        return None
    return Signal("changes_in_a_row", streak[0].id + f"#{len(streak)}", {"count": len(streak)})


def falling_rating(ratings: Iterable[tuple[datetime, int]]) -> Signal | None:
    """Her latest rating (by visit) against the average of the ones before it."""
    by_visit = sorted(ratings)
    if len(by_visit) < 2:
        return None
    *before, (when, latest) = by_visit
    earlier = mean(r for _, r in before[-EARLIER_RATINGS:])
    if latest > earlier - RATING_DROP:
        return None
    return Signal("falling_rating", when.isoformat(), {"was": round(earlier, 1), "now": latest})


def followup_overdue(due_dates: Iterable[date | None], today: date) -> Signal | None:
    """An open follow-up whose next action is past its date."""
    late = sorted(d for d in due_dates if d is not None and d < today)
    if not late:
        return None
    return Signal("followup_overdue", late[0].isoformat(), {"days": (today - late[0]).days})


def no_contact(appointments: Iterable[Appointment], now: datetime, tz: tzinfo = UTC) -> Signal | None:
    """Contact: she booked, or came. Silent for longer than ever before between contacts;
    the silence told in the business's (`tz`) calendar days."""
    moments: set[datetime] = set()
    for a in appointments:
        if a.created_at <= now:
            moments.add(a.created_at)
        if outcome(a, now) == "completed":
            moments.add(a.start)
    contacts = sorted(moments)
    gaps = [_days(a, b) for a, b in zip(contacts, contacts[1:])]
    if len(gaps) < MIN_CONTACT_GAPS:
        return None
    silence, longest = _days(contacts[-1], now), max(gaps)
    if silence <= CONTACT_FACTOR * longest:
        return None
    # In whole days, as the owner reads it: a silence of hours against gaps of minutes (a
    # walk-in booked and seen within the hour, a clock moved forward) is no warning, and
    # "0 days, longer than ever (longest so far 0 days)" is no sentence. Calendar days (an
    # owner's walk: a visit on 21 March at 14.00 read "260 days" on the morning of 7 Dec,
    # the 261st day after it).
    days = (now.astimezone(tz).date() - contacts[-1].astimezone(tz).date()).days
    longest_days = round(longest)
    if longest_days < 1 or days <= longest_days:
        return None
    # The longest gap so far is the rule's own yardstick, and the owner's: a median would
    # mix the days from booking to visit with those between visits ("usually 3 days").
    return Signal("no_contact", contacts[-1].isoformat(), {"days": days, "longest_days": longest_days})


def no_show(appointments: Iterable[Appointment], now: datetime) -> Signal | None:
    """Her latest appointment that was due did not happen: she did not come."""
    due = [a for a in appointments if outcome(a, now) in ("completed", "no_show")]
    if not due:
        return None
    last = max(due, key=lambda a: a.start)
    if outcome(last, now) != "no_show" or _days(last.start, now) > NO_SHOW_DAYS:
        return None
    return Signal("no_show", last.id, {"date": last.start.isoformat()})


# The statuses (chalicelib/domain/returns.py STATUSES) a reason is owed for.
SLIPPING = ("at_risk", "lapsed")


def one_visit(visits: Sequence[datetime], status: str | None) -> Signal | None:
    """At risk or lapsed on a single visit: no rhythm of her own yet (the rules above
    need two visits or more), so the return model judged her silence by the salon's
    usual return. Said, with the visit's date, so that her status has a reason."""
    if len(visits) != 1 or status not in SLIPPING:
        return None
    return Signal("one_visit", visits[0].isoformat(), {"date": visits[0].isoformat()})


def warnings(
    appointments: Sequence[Appointment],
    ratings: Iterable[tuple[datetime, int]],
    followup_dues: Iterable[date | None],
    now: datetime,
    today: date,
    late_cancel_hours: int,
    status: str | None = None,
    grace_minutes: int = 0,
    tz: tzinfo = UTC,
) -> list[Signal]:
    """Every rule's warning, in the order of CODES. `status` is hers by the return
    model (active, at_risk, lapsed; None: not known)."""
    visits = [a.start for a in appointments if outcome(a, now) == "completed"]
    found = (
        spacing_out(visits),
        changes_in_a_row(appointments, late_cancel_hours, grace_minutes),
        falling_rating(ratings),
        followup_overdue(followup_dues, today),
        no_contact(appointments, now, tz),
        no_show(appointments, now),
        one_visit(visits, status),
    )
    return [s for s in found if s is not None]


def is_dismissed(s: Signal, dismissed: Mapping[str, str]) -> bool:
    """A dismissal holds for the same key only: new evidence brings the warning back."""
    return dismissed.get(s.code) == s.key


def shown(signals: Iterable[Signal], dismissed: Mapping[str, str]) -> list[Signal]:
    """The warnings the owner has not dismissed."""
    return [s for s in signals if not is_dismissed(s, dismissed)]
