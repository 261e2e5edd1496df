"""How well "lapsed" finds clients who really left: Rebook's rhythm rule against a fixed
60-day rule, on synthetic visit histories.

Clients (seeded, reproducible): regulars with rhythms from 2 to 12 weeks (visits
jittered +-20 %, an occasional skipped visit), some of whom churn at a known date;
irregular clients (exponential gaps); seasonal clients (spring and summer only).

Each rule is run day by day over two years as the win-back job would: it fires the
first day a client counts as lapsed since her last visit (again after she returns).
A firing is right when the client never visits again. Precision = right firings / all
firings (those up to eight months before the end, when it can be told); recall =
churned clients detected / churned clients; detection delay = days from the churn date
(the day her next visit was due) to the firing.

    .venv/bin/python bench/lapse.py [--clients 3000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.domain.config import Retention as RetentionRules
from chalicelib.domain.rhythm import lapsed_from, rhythm_days

START = datetime(2024, 1, 1, tzinfo=UTC)
YEARS = 2
HORIZON = START + timedelta(days=365 * YEARS)
# Churn is only scored when there was time to notice it (the slowest rhythm x 2.5 + slack).
LAST_SCORED_CHURN = HORIZON - timedelta(days=240)
FIXED_DAYS = 60
TYPICAL_DAYS = 42  # the service's configured return interval (a haircut: 6 weeks)


@dataclass
class Client:
    kind: str
    rhythm: float | None  # true rhythm in days (regulars)
    visits: list[datetime]
    churned_at: datetime | None  # the day her next visit was due when she stopped


def regular(rng: random.Random) -> Client:
    rhythm = rng.choice([14, 21, 28, 35, 42, 56, 70, 84])
    churn = START + timedelta(days=rng.uniform(120, 365 * YEARS)) if rng.random() < 0.35 else None
    visits, t = [], START + timedelta(days=rng.uniform(0, rhythm))
    while t < HORIZON and (churn is None or t < churn):
        if rng.random() > 0.05:  # now and then a visit is skipped
            visits.append(t)
        t += timedelta(days=rhythm * rng.uniform(0.8, 1.2))
    churned = (visits[-1] + timedelta(days=rhythm)) if churn and visits else None
    return Client("regular", rhythm, visits, churned)


def irregular(rng: random.Random) -> Client:
    mean = rng.uniform(30, 120)
    churn = START + timedelta(days=rng.uniform(120, 365 * YEARS)) if rng.random() < 0.35 else None
    visits, t = [], START + timedelta(days=rng.expovariate(1 / mean))
    while t < HORIZON and (churn is None or t < churn):
        visits.append(t)
        t += timedelta(days=max(3.0, rng.expovariate(1 / mean)))
    churned = (visits[-1] + timedelta(days=mean)) if churn and visits else None
    return Client("irregular", None, visits, churned)


def seasonal(rng: random.Random) -> Client:
    """Comes every 3-4 weeks from April to August, never in winter."""
    visits = []
    for year in range(YEARS):
        t = datetime(START.year + year, 4, 1, tzinfo=UTC) + timedelta(days=rng.uniform(0, 20))
        while t.month <= 8:
            visits.append(t)
            t += timedelta(days=rng.uniform(21, 28))
    return Client("seasonal", None, visits, None)


def generate(n: int, seed: int) -> list[Client]:
    rng = random.Random(seed)
    makers = [regular] * 6 + [irregular] * 3 + [seasonal]
    return [c for c in (rng.choice(makers)(rng) for _ in range(n)) if c.visits]


def firings(c: Client, rule) -> list[datetime]:
    """The days the rule would fire: once per gap after a visit, if the gap lasts long enough."""
    out = []
    for i in range(len(c.visits)):
        fire = rule(c.visits[: i + 1])
        nxt = c.visits[i + 1] if i + 1 < len(c.visits) else None
        if fire < HORIZON and (nxt is None or fire < nxt):
            out.append(fire)
    return out


def rebook_rule(history: list[datetime]) -> datetime:
    return lapsed_from(history[-1], rhythm_days(history, TYPICAL_DAYS, RetentionRules()), RetentionRules())


def fixed_rule(history: list[datetime]) -> datetime:
    return history[-1] + timedelta(days=FIXED_DAYS)


def score(clients: list[Client], rule) -> dict:
    fired = right = 0
    churned = detected = 0
    delays, fast_delays = [], []
    for c in clients:
        fires = firings(c, rule)
        # Near the end nobody can tell yet whether a quiet client has left: not scored.
        scored = [f for f in fires if f <= LAST_SCORED_CHURN]
        fired += len(scored)
        right += sum(1 for f in scored if f > c.visits[-1] and c.churned_at is not None)
        if c.churned_at and c.churned_at <= LAST_SCORED_CHURN:
            churned += 1
            final = [f for f in fires if f > c.visits[-1]]
            if final:
                detected += 1
                delays.append((final[0] - c.churned_at).days)
                if c.rhythm and c.rhythm <= 28:
                    fast_delays.append((final[0] - c.churned_at).days)
    precision = right / fired if fired else 0.0
    recall = detected / churned if churned else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "fired": fired,
        "churned": churned,
        "detect_days": sum(delays) / len(delays) if delays else float("nan"),
        "detect_days_fast": sum(fast_delays) / len(fast_delays) if fast_delays else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    clients = generate(args.clients, args.seed)
    kinds = {k: sum(1 for c in clients if c.kind == k) for k in ("regular", "irregular", "seasonal")}
    print(
        f"{len(clients)} clients {kinds}; {sum(len(c.visits) for c in clients)} visits over {YEARS} years; "
        f"{sum(1 for c in clients if c.churned_at and c.churned_at <= LAST_SCORED_CHURN)} churned in time to score"
    )
    ours, fixed = score(clients, rebook_rule), score(clients, fixed_rule)
    for name, s in (("rebook rhythm rule", ours), (f"fixed {FIXED_DAYS}-day rule", fixed)):
        print(
            f"{name:>20}: precision {s['precision']:.3f} recall {s['recall']:.3f} F1 {s['f1']:.3f} "
            f"({s['fired']} firings); detection {s['detect_days']:.1f} days after churn, "
            f"{s['detect_days_fast']:.1f} for rhythms of 4 weeks or less"
        )
    print(
        f"bench: f1={ours['f1']:.3f} f1_fixed60={fixed['f1']:.3f} precision={ours['precision']:.3f} "
        f"recall={ours['recall']:.3f} detect_days={ours['detect_days']:.1f} "
        f"detect_days_fixed60={fixed['detect_days']:.1f}"
    )


if __name__ == "__main__":
    main()
