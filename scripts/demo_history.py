"""A lived-in demo salon for `make run`: a year of clients written into the demo business
when it is first loaded into an empty table, so the owner's side shows what it is for —
regulars on their rhythm, clients slipping away (at risk, lapsed, spacing out, a no-show,
a falling rating), the at-risk list with its reasons, and key figures with months behind
them — instead of empty lists. Relative to the stack's clock (today), the same every time
(a fixed seed). Never in the tests' stacks, which seed exactly what each test needs.

`rebook_cli seed-demo-history demo` (what local_stack runs); it writes nothing to a
business that has clients of its own, and a seed stopped half-way (`make run` interrupted
on its first start) is finished on the next: the demo's people already there are passed
over (one stopped in the middle of her visits keeps those she has)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from scripts.past_visits import past_visits

SEED = 20261206
OPEN_FROM, SLOT = time(9, 0), timedelta(hours=2, minutes=30)  # at most four visits a day each


@dataclass(frozen=True)
class Person:
    name: str
    service: str
    staff: str
    gaps: tuple[int, ...]  # days between her visits, oldest first
    silent: int  # days since her last visit
    marketing: bool = True
    no_show_last: bool = False
    ratings: tuple[int, ...] = ()  # her last visits' stars, oldest first


def _people(rng: random.Random) -> list[Person]:
    """Who comes to the salon: a mix an owner recognises."""

    def steady(every: int, n: int) -> tuple[int, ...]:
        return tuple(max(7, round(every * rng.uniform(0.85, 1.15))) for _ in range(n))

    regulars = [
        ("Anna Virtanen", "womens-cut", "aino", 42),
        ("Liisa Korhonen", "colour", "sanna", 56),
        ("Sanna Mäkinen", "womens-cut", "sanna", 42),
        ("Jari Nieminen", "mens-cut", "mikko", 28),
        ("Pekka Hämäläinen", "mens-cut", "mikko", 28),
        ("Emilia Laine", "highlights", "aino", 70),
        ("Helmi Heikkinen", "womens-cut", "aino", 42),
        ("Oona Koskinen", "colour", "sanna", 56),
        ("Mikael Järvinen", "mens-cut", "mikko", 28),
        ("Veera Lehtonen", "blowdry", "sanna", 30),
        ("Aino Lehtinen", "kids-cut", "mikko", 56),
        ("Kaisa Saarinen", "womens-cut", "aino", 42),
    ]
    people = [
        Person(name, service, staff, steady(every, rng.randint(5, 8)), round(every * rng.uniform(0.2, 0.8)))
        for name, service, staff, every in regulars
    ]
    people += [  # at risk: just past their rhythm, nothing booked
        Person("Riikka Salminen", "womens-cut", "aino", steady(42, 6), 50),
        Person("Tuomas Heinonen", "mens-cut", "mikko", steady(28, 7), 34),
        Person("Maria Niemi", "colour", "sanna", steady(56, 5), 66),
        Person("Elina Kettunen", "highlights", "aino", steady(70, 4), 84, marketing=False),
    ]
    people += [  # spacing out: each visit later than the one before
        Person("Johanna Turunen", "womens-cut", "sanna", (35, 38, 42, 50, 62, 78), 70),
        Person("Petra Salo", "colour", "aino", (50, 52, 60, 75, 95), 90),
    ]
    people += [  # a no-show last time, and a falling rating
        Person("Noora Rantanen", "womens-cut", "aino", steady(42, 5), 12, no_show_last=True),
        # (her blow-dries ten days apart: rated within the link's 30 days)
        Person("Tiina Karjalainen", "blowdry", "sanna", (10, 12, 9, 11), 5, ratings=(5, 5, 2)),
    ]
    people += [  # lapsed: one visit long ago, or regulars who stopped
        Person("Laura Lindholm", "womens-cut", "sanna", (), 160),
        Person("Minna Aaltonen", "blowdry", "sanna", (), 230),
        Person("Satu Laitinen", "womens-cut", "aino", (40,), 200, marketing=False),
        Person("Harri Miettinen", "mens-cut", "mikko", steady(28, 6), 190),
        Person("Katja Pelkonen", "colour", "sanna", steady(56, 4), 260),
    ]
    return people


def _contact(n: int, p: Person, rng: random.Random) -> tuple[str, str]:
    phone = f"040 52{n:02d} {rng.randint(100, 999)}"
    return phone, f"{p.name.split()[0].lower()}.{n}@example.com".replace("ä", "a").replace("ö", "o")


def seed(slug: str = "demo") -> dict[str, int]:
    """The demo salon's year of clients, unless it has clients of its own; the rest of
    them when a seed stopped half-way."""
    from chalicelib import clock, links
    from chalicelib.services import feedback
    from chalicelib.store import bookings, businesses, clients

    b = businesses.get_by_slug(slug)
    if b is None:
        raise SystemExit(f"no business {slug!r}: load it first")
    rng, tz, now = random.Random(SEED), ZoneInfo(b.config.timezone), clock.now()
    people = [(n, p, *_contact(n, p, rng)) for n, p in enumerate(_people(rng))]
    there = {c.email: c.id for c in clients.all_clients(b.id)}
    if set(there) - {email for *_, email in people}:  # a salon's own clients: not the demo's
        return {"clients": 0, "visits": 0}
    # (staff, start): one visit at a time each — those written by a seed stopped on an
    # earlier day too, whose days back from today are not the same.
    taken = {(a.staff_id, a.start) for id_ in there.values() for a in bookings.client_history(b.id, id_)}

    def at(day_back: int, staff: str) -> datetime:
        day = (now - timedelta(days=day_back)).astimezone(tz).date()
        while day.weekday() == 6:  # the salon is closed on Sundays
            day -= timedelta(days=1)
        start = datetime.combine(day, OPEN_FROM, tzinfo=tz)
        while (staff, start) in taken:
            start += SLOT
        taken.add((staff, start))
        return start

    made = {"clients": 0, "visits": 0}
    for _, p, phone, email in people:
        back = [p.silent]
        for gap in reversed(p.gaps):
            back.append(back[-1] + gap)
        if email in there:
            continue
        starts = [at(d, p.staff) for d in reversed(back)]
        hers = partial(
            past_visits, slug=slug, name=p.name, phone=phone, email=email, service=p.service, staff=p.staff,
            marketing=p.marketing,
        )  # fmt: skip
        v = hers(starts[:-1] if p.no_show_last else starts)
        if p.no_show_last:
            hers(starts[-1:], status="no_show")
        for appt, stars in zip(v.appointments[-len(p.ratings) :] if p.ratings else (), p.ratings, strict=True):
            feedback.submit(links.feedback_token(b.id, appt.id, appt.end), {"rating": stars})
        made["clients"] += 1
        made["visits"] += len(starts)
    return made
