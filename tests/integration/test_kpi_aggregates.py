"""The KPI aggregates against a brute-force recount.

A salon's months are played through the real API and jobs: clients book, move and
cancel, the front desk cancels late and marks no-shows (and corrects one), reminders,
feedback requests and win-back messages go out, ratings come in, clients are erased.
Then every KPI the owner API serves for months, quarters and years is compared with a
recount written independently of chalicelib/domain/kpis.py, period first, from every
item in the table (a test may Scan; the app never does). On DynamoDB Local: moto
answers every Query by sorting the whole table, far too slow for months of a salon."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from functools import cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from tests.admin.helpers import Desk
from tests.api.helpers import get, post, table_items, token_of
from tests.conftest import auth_dir, reset_caches
from tests.history import business as demo_business
from tests.history import run_on_schedule

pytestmark = pytest.mark.integration

HEL = ZoneInfo("Europe/Helsinki")
FIRST_DAY = date(2026, 12, 8)
SERVICES = ("mens-cut", "womens-cut", "blowdry", "kids-cut")
DAYS = 31  # to 7 January: first visits in the first week lapse ten days on and get win-back messages
REGULARS = 14  # who book up to two weeks ahead: about forty visits in the month
PERIODS = ("2026-11", "2026-12", "2027-01", "2027-02", "2026-Q4", "2027-Q1", "2026", "2027")


def local(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=HEL).astimezone(UTC)


class Salon:
    """The generated history: who books what, and what happens to it."""

    def __init__(self, client, desk, clock, seed):
        self.client, self.desk, self.clock, self.rng = client, desk, clock, random.Random(seed)
        # Fourteen regulars, and four who come in the first week, stay away until they have
        # lapsed (win-back messages, ten days on) and come back after day 18
        # (conversions). Only the regulars cancel, move, miss visits or get erased, so
        # the four first visits surely take place and the win-back surely happens.
        self.people: list[dict] = [
            {
                "name": f"Asiakas {i}",
                "phone": f"040 555 {i:04d}",
                "email": f"asiakas{i}@example.com" if i % 4 else None,
                "consent": i % 3 != 0 or i >= REGULARS,
                "regular": i < REGULARS,
            }
            for i in range(REGULARS + 4)
        ]
        self.booked: dict[str, dict] = {}  # appointment id -> {"token", "start", "person"}
        self.asked: set[str] = set()
        self.erased: set[int] = set()

    def at(self, when: datetime) -> None:
        self.clock["now"] = when

    def free_start(self, service: str, day: date) -> str | None:
        status, body = get(self.client, f"/api/v1/businesses/demo/availability?service={service}&from={day}&to={day}")
        assert status == 200, body
        starts = [s for m in body["staff"] for s in m["slots"]]
        return self.rng.choice(starts) if starts else None

    def book(self, i: int, today: date) -> None:
        p = self.people[i]
        service = self.rng.choice(SERVICES) if p["regular"] else "mens-cut"
        days = [self.rng.randint(1, 14)] if p["regular"] else range(1, 8)  # the first open day
        start = next(filter(None, (self.free_start(service, today + timedelta(days=d)) for d in days)), None)
        if not start:
            return
        contact = {"name": p["name"], "phone": p["phone"], **({"email": p["email"]} if p["email"] else {})}
        status, body = post(
            self.client,
            "/api/v1/businesses/demo/bookings",
            {"service": service, "start": start, "client": contact, "consents": {"marketing": p["consent"]}},
        )
        assert status == 201, body
        self.booked[body["id"]] = {
            "token": token_of(body["manage_url"]),
            "start": start,
            "person": i,
            "service": service,
        }

    def regulars(self):
        return [(a, b) for a, b in self.booked.items() if self.people[b["person"]]["regular"]]

    def ahead(self, today: date):
        """Regulars' bookings more than a day ahead (what may be cancelled or moved online)."""
        return [
            (a, b) for a, b in self.regulars() if datetime.fromisoformat(b["start"]).date() > today + timedelta(days=1)
        ]

    def on(self, day: date):
        """Regulars' visits of the day (what the front desk may cancel late or mark a no-show)."""
        return [(a, b) for a, b in self.regulars() if datetime.fromisoformat(b["start"]).date() == day]

    def day(self, today: date) -> None:
        rng = self.rng
        self.at(local(today, 8, 5))
        run_on_schedule("send_due", self.clock["now"])
        # Calls before opening: the front desk cancels a few of today's visits (late).
        for appt_id, _ in self.on(today):
            if rng.random() < 0.08:
                status, body = self.desk.post(f"/appointments/{appt_id}/cancel", {"reason": "Called in sick"})
                assert status == 200, body
                del self.booked[appt_id]
        self.at(local(today, 10, 30))
        run_on_schedule("marketing", self.clock["now"])
        run_on_schedule("send_due", self.clock["now"])
        self.at(local(today, 12))
        n = (today - FIRST_DAY).days
        for i, p in enumerate(self.people):
            if p["regular"]:
                wanted = rng.random() < 0.17
            else:
                upcoming = any(
                    b["person"] == i and datetime.fromisoformat(b["start"]).date() > today for b in self.booked.values()
                )
                wanted = not upcoming and (n == 0 or (n >= 18 and rng.random() < 0.2))
            if i not in self.erased and wanted:
                self.book(i, today)
        for appt_id, b in self.ahead(today):
            roll = rng.random()
            if roll < 0.03:
                assert post(self.client, f"/api/v1/bookings/{b['token']}/cancel", {})[0] == 200
                del self.booked[appt_id]
            elif roll < 0.07:
                start = self.free_start(b["service"], datetime.fromisoformat(b["start"]).date() + timedelta(days=2))
                if start and post(self.client, f"/api/v1/bookings/{b['token']}/reschedule", {"start": start})[0] == 200:
                    b["start"] = start
        self.rate(today)
        self.at(local(today, 20, 10))
        for appt_id, _ in self.on(today):  # no-shows are marked at the end of the day
            if rng.random() < 0.12:
                status, body = self.desk.post(f"/appointments/{appt_id}/status", {"status": "no_show"})
                assert status == 200, body
        self.at(local(today, 20, 40))
        run_on_schedule("visits_ended", self.clock["now"])
        run_on_schedule("send_due", self.clock["now"])
        self.at(local(today, 22))
        run_on_schedule("kpi_sync", self.clock["now"])

    def rate(self, today: date) -> None:
        from chalicelib.store.models import MessageItem

        for appt_id, b in list(self.booked.items()):
            if appt_id in self.asked or datetime.fromisoformat(b["start"]).date() >= today:
                continue
            if b["person"] in self.erased:  # her messages are erased with her, the link in them too
                continue
            self.asked.add(appt_id)
            found = [
                m
                for m in MessageItem.query(
                    f"BIZ#{self.desk.business_id}", MessageItem.sk.startswith(f"MSG#{appt_id}#feedback#")
                )
                if m.status == "sent"
            ]
            # Drawn whether a request went out or not: the rest of the history must not hang
            # on which of two requests due together the senders' pool happened to send.
            answers, stars = self.rng.random() < 0.6, self.rng.randint(1, 5)
            if found and answers:
                url = found[0].context["feedback_url"].split("example.test", 1)[1]
                r = self.client.http.post(
                    url,
                    body=urlencode({"rating": str(stars)}),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                assert r.status_code == 303, r.body  # saved, on to the visit's page that thanks her

    def erase_someone(self) -> None:
        from chalicelib.store import clients

        i = self.rng.choice([i for i, p in enumerate(self.people) if i not in self.erased and p["regular"]])
        p = self.people[i]
        match = clients.find_client(self.desk.business_id, "+35840555" + p["phone"][-4:], None)
        if match.client_id:
            status, body = self.desk.delete(f"/clients/{match.client_id}")
            if status == 409:  # her upcoming bookings are cancelled first, as the owner would
                for appt_id in body["error"]["appointments"]:
                    assert self.desk.post(f"/appointments/{appt_id}/cancel", {})[0] == 200
                    self.booked.pop(appt_id, None)
                status, body = self.desk.delete(f"/clients/{match.client_id}")
            assert status == 200, body
        self.erased.add(i)


# --- the recount ---------------------------------------------------------------------
LAST_DAY = FIRST_DAY + timedelta(days=DAYS - 1)  # the clock's day when the figures are read
ROLLING = {"last7": 7, "last30": 30}
DISTINCT = ("retention_rate", "returning_clients", "average_spend_cents", "visit_frequency")


# The recount asks the same few hundred instants again and again (every booking against
# every other): each is parsed, and placed in a period, once.
@cache
def in_period(instant: datetime, period: str) -> bool:
    d = instant.astimezone(HEL).date()
    if period in ROLLING:
        return LAST_DAY - timedelta(days=ROLLING[period] - 1) <= d <= LAST_DAY
    if period.startswith("prev"):  # the days before a rolling period
        n = ROLLING[period.removeprefix("prev:")]
        return LAST_DAY - timedelta(days=2 * n - 1) <= d <= LAST_DAY - timedelta(days=n)
    if len(period) == 4:
        return d.year == int(period)
    if "-Q" in period:
        return d.year == int(period[:4]) and (d.month - 1) // 3 + 1 == int(period[-1])
    return (d.year, d.month) == (int(period[:4]), int(period[5:]))


def previous(period: str) -> str:
    if period in ROLLING or period.startswith("prev:"):  # (only its distinct clients ask, never served)
        return f"prev:{period.removeprefix('prev:')}"
    if len(period) == 4:
        return str(int(period) - 1)
    y, rest = int(period[:4]), period[5:]
    if rest.startswith("Q"):
        return f"{y - 1}-Q4" if rest == "Q1" else f"{y}-Q{int(rest[1]) - 1}"
    return f"{y - 1}-12" if rest == "01" else f"{y}-{int(rest) - 1:02d}"


@cache
def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def ts(item, name):
    return instant(item[name]["S"]) if name in item else None


def recount(items, period: str) -> dict[str, tuple[int, int | None]]:
    """(numerator, denominator) of every KPI of `period`, straight from the items."""
    from chalicelib.domain.booking import HOLD_ENDINGS

    # A hold freed unconfirmed or unpaid never was a booking (docs/kpis.md).
    appts = [
        i for i in items if i["sk"]["S"].startswith("APPT#") and i.get("cancel_reason", {}).get("S") not in HOLD_ENDINGS
    ]
    msgs = [i for i in items if i["sk"]["S"].startswith("MSG#")]
    sent = lambda kind: [m for m in msgs if m["kind"]["S"] == kind and m["status"]["S"] == "sent"]  # noqa: E731
    reminded = {m["appointment_id"]["S"] for m in sent("reminder")}
    requested = {m["appointment_id"]["S"] for m in sent("feedback_request")}
    status = {a["appointment_id"]["S"]: a["status"]["S"] for a in appts}
    ratings = [
        int(f["rating"]["N"])
        for f in items
        if f["sk"]["S"].startswith("FB#") and in_period(ts(f, "visit_start"), period)
    ]
    mine = [a for a in appts if in_period(ts(a, "start"), period)]
    done = [a for a in mine if a["status"]["S"] == "completed"]
    noshow = [a for a in mine if a["status"]["S"] == "no_show"]
    cancelled = [a for a in mine if a["status"]["S"] == "cancelled"]

    def visitors(p):
        return {a["client_id"]["S"] for a in appts if a["status"]["S"] == "completed" and in_period(ts(a, "start"), p)}

    first_visit: dict = {}
    for a in sorted((a for a in appts if a["status"]["S"] == "completed"), key=lambda a: ts(a, "start")):
        first_visit.setdefault(a["client_id"]["S"], ts(a, "start"))
    now_visitors, before = visitors(period), visitors(previous(period))
    new = {c for c in now_visitors if in_period(first_visit[c], period)}

    def rebooked(a, within):
        return any(
            b["client_id"]["S"] == a["client_id"]["S"]
            and b["status"]["S"] != "cancelled"
            and ts(b, "start") > ts(a, "start")
            and ts(b, "created_at") <= ts(a, "end") + within
            for b in appts
        )

    def credited(kind: str, window: timedelta):
        """The messages of `kind` sent in the period, and the bookings each is credited
        with: made within `window` after it, the latest such message taking it."""
        sent_at = sorted(
            ((m["client_id"]["S"], ts(m, "created_at")) for m in msgs if m["kind"]["S"] == kind), key=lambda x: x[1]
        )
        bookings = defaultdict(list)
        for b in appts:
            if b["status"]["S"] == "cancelled":
                continue
            earlier = [t for c, t in sent_at if c == b["client_id"]["S"] and t < ts(b, "created_at") <= t + window]
            if earlier:
                bookings[(b["client_id"]["S"], max(earlier))].append(b)
        return [(k, bookings.get(k, [])) for k in sent_at if in_period(k[1], period)]

    def completed_revenue(pairs):
        return sum(int(b["price_cents"]["N"]) for _, bs in pairs for b in bs if b["status"]["S"] == "completed")

    winbacks, nudges = credited("winback", timedelta(days=30)), credited("nudge", timedelta(days=14))
    converted = [k for k, bs in winbacks if bs]
    revenue = sum(int(a["price_cents"]["N"]) for a in done)
    due = done + noshow
    r_due = [a for a in due if a["appointment_id"]["S"] in reminded]
    u_due = [a for a in due if a["appointment_id"]["S"] not in reminded]
    late = [a for a in cancelled if ts(a, "cancelled_at") > ts(a, "start") - timedelta(hours=24)]

    def payment(a):  # what the booking paid or secured (docs/payments.md), or None
        return json.loads(a["payment"]["S"]) if "payment" in a else None

    def fees(a, states):
        p = payment(a) or {}
        return sum(p.get("fee_cents", {}).get(k, 0) for k, st in p.get("fees", {}).items() if st in states)

    settled = [a for a in mine if a["status"]["S"] != "pending_payment" and payment(a)]
    deposits = [d for a in settled if (d := payment(a)["paid_cents"] - fees(a, ("succeeded",))) > 0]
    covered = [a for a in due if (p := payment(a)) and (p["paid_cents"] > 0 or p.get("payment_method"))]
    bare = [a for a in due if a not in covered]
    out = {
        "visits": (len(done), None),
        "revenue_cents": (revenue, None),
        "retention_rate": (len(now_visitors & before), len(before)),
        **{f"rebooking_rate_{n}": (sum(rebooked(a, timedelta(days=n)) for a in done), len(done)) for n in (30, 60, 90)},
        "rebooked_before_leaving_rate": (sum(rebooked(a, timedelta(hours=1)) for a in done), len(done)),
        "new_clients": (len(new), None),
        "returning_clients": (len(now_visitors - new), None),
        "average_spend_cents": (revenue, len(now_visitors)),
        "visit_frequency": (len(done), len(now_visitors)),
        "no_show_rate": (len(noshow), len(due)),
        "cancellation_rate": (len(cancelled), len(mine)),
        "late_cancellation_rate": (len(late), len(mine)),
        "salon_cancellation_rate": (sum(a.get("cancelled_by", {}).get("S") == "salon" for a in mine), len(mine)),
        "average_rating": (sum(ratings), len(ratings)),
        "response_rate": (len(ratings), sum(1 for a in done if a["appointment_id"]["S"] in requested)),
        "winback_messages": (len(winbacks), None),
        "winback_conversions": (len(converted), None),
        "winback_conversion_rate": (len(converted), len(winbacks)),
        "winback_revenue_cents": (completed_revenue(winbacks), None),
        "nudges_sent": (len(nudges), None),
        "nudge_bookings": (sum(len(bs) for _, bs in nudges), None),
        "nudge_revenue_cents": (completed_revenue(nudges), None),
        "no_show_rate_reminded": (sum(status[a["appointment_id"]["S"]] == "no_show" for a in r_due), len(r_due)),
        "no_show_rate_not_reminded": (sum(status[a["appointment_id"]["S"]] == "no_show" for a in u_due), len(u_due)),
        "revenue_per_visit_cents": (revenue, len(done)),
        "deposits_taken": (len(deposits), None),
        "deposits_taken_cents": (sum(deposits), None),
        "fees_charged_cents": (sum(fees(a, ("succeeded", "open")) for a in settled), None),
        "fees_collected_cents": (sum(fees(a, ("succeeded",)) for a in settled), None),
        "refunds_cents": (sum(payment(a)["refunded_cents"] for a in settled), None),
        "no_show_rate_protected": (sum(a["status"]["S"] == "no_show" for a in covered), len(covered)),
        "no_show_rate_unprotected": (sum(a["status"]["S"] == "no_show" for a in bare), len(bare)),
    }
    if period in ROLLING or period.startswith("prev:"):  # distinct clients do not add up over days
        out.update(dict.fromkeys(DISTINCT, (None, None)))
    return out


# 31 days of requests and jobs on DynamoDB Local: about a minute alone on two idle cores, two
# in the whole suite or on a busy machine. The timeout is there for a hang, not for the machine's speed.
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("seed", [8])
def test_the_aggregates_equal_a_brute_force_recount(real_stack, frozen_now, monkeypatch, seed):
    from chalice.test import Client

    from app import app

    monkeypatch.setenv("REBOOK_AUTH_JWKS_FILE", str(auth_dir() / "jwks.json"))  # the owner's token
    reset_caches()

    with Client(app) as client:
        check(client, real_stack, frozen_now, seed)


def check(client, business, frozen_now, seed):
    from chalicelib.store import businesses

    # A barber whose clients come back every week or two (the return model's prior for a
    # business with little history: ten days): a first-time client who stays away lapses
    # ten days after her visit, so win-back happens well inside the 31 days (each
    # simulated day runs the jobs as in production: the days are the test's cost).
    cfg = demo_business().config
    businesses.save_config(
        cfg.model_copy(
            update={
                "services": tuple(
                    s.model_copy(update={"return_interval_days": 7}) if s.id == "mens-cut" else s for s in cfg.services
                ),
                "retention": cfg.retention.model_copy(update={"default_return_days": 10}),
            }
        )
    )
    desk = Desk(client, business.id)
    salon = Salon(client, desk, frozen_now, seed)
    for n in range(DAYS):
        today = FIRST_DAY + timedelta(days=n)
        salon.day(today)
        if n in (10, 22):
            salon.erase_someone()
    # One visit corrected from completed to no-show after the fact.
    completed = [a for a in salon.booked if desk.get(f"/appointments/{a}")[1]["status"] == "completed"]
    assert desk.post(f"/appointments/{completed[0]}/status", {"status": "no_show"})[0] == 200
    run_on_schedule("kpi_sync", frozen_now["now"] + timedelta(minutes=5))

    items = table_items()
    kinds: defaultdict[str, int] = defaultdict(int)
    for i in items:
        if i["sk"]["S"].startswith("APPT#"):
            kinds[i["status"]["S"]] += 1
        if i["sk"]["S"].startswith("MSG#"):
            kinds[i["kind"]["S"] + ":" + i["status"]["S"]] += 1
    # The history exercised what the KPIs distinguish.
    assert kinds["completed"] > 20 and kinds["no_show"] >= 1 and kinds["cancelled"] >= 5, kinds
    assert kinds["winback:sent"] >= 2 and kinds["reminder:sent"] > 20 and kinds["feedback_request:sent"] > 20, kinds
    assert any(i["sk"]["S"].startswith("CLIENT#") and "erased_at" in i for i in items)
    assert any(i["sk"]["S"].startswith("APPT#") and int(i.get("reschedules", {"N": "0"})["N"]) for i in items)
    for period in PERIODS:
        status, body = desk.get(f"/kpis?period={period}")
        assert status == 200, body
        served = {k: (v["numerator"], v["denominator"]) for k, v in body["kpis"].items()}
        assert served == recount(items, period), period
    # The rolling periods, added up from day items, against the same recount.
    for period in ROLLING:
        status, body = desk.get(f"/kpis?period={period}")
        assert status == 200, body
        for key, counted in (("kpis", period), ("compared", f"prev:{period}")):
            served = {k: (v["numerator"], v["denominator"]) for k, v in body[key].items()}
            assert served == recount(items, counted), (period, key)
        for s in body["staff"]:
            mine = [
                i
                for i in items
                if i["sk"]["S"].startswith("APPT#")
                and i["staff_id"]["S"] == s["staff"]
                and in_period(ts(i, "start"), period)
                and i["status"]["S"] != "cancelled"
            ]
            minutes = sum(int((ts(i, "occupied_until") - ts(i, "start")).total_seconds() // 60) for i in mine)
            done = [i for i in mine if i["status"]["S"] == "completed"]
            assert (s["booked_minutes"], s["bookings"], s["visits"]) == (minutes, len(mine), len(done)), s
            assert s["revenue_cents"] == sum(int(i["price_cents"]["N"]) for i in done), s
    # ... including win-back messages that brought someone back.
    assert recount(items, "2026")["winback_conversions"][0] + recount(items, "2027")["winback_conversions"][0] >= 1
