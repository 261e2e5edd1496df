"""The counting model the return model is stacked with: BG/NBD (Fader, Hardie & Lee,
"Counting your customers the easy way", Marketing Science 2005).

While she is a client she comes at a steady rate, Gamma(r, alpha) across clients; right
after each return she leaves for good with probability p, Beta(a, b) across clients. It
sees a client only as how often she came back (x), her last visit's day after her first
(tx) and the days since her first (age). Where a shop's buyers come and go as it says
(CDNOW's did), it predicts them better than the renewal model alone, which cannot tell a
slow one-time buyer from one who left; docs/retention.md has the measurements. Time in
days; closed forms only (no hypergeometric function is needed for these questions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class BGNBD:
    r: float
    alpha: float
    a: float
    b: float

    def log_likelihood(self, x: int, tx: float, age: float) -> float:
        """log P(her x returns, the last tx days after her first visit, age days ago)
        (FHL 2005, eq. 6), without the terms common to everyone with x returns
        (common_log_likelihood)."""
        rx = self.r + x
        here = -rx * math.log(self.alpha + age)
        if x == 0:
            return here
        gone = math.log(self.a / (self.b + x - 1.0)) - rx * math.log(self.alpha + tx)
        top = max(here, gone)
        return top + math.log(math.exp(here - top) + math.exp(gone - top))

    def common_log_likelihood(self, x: int) -> float:
        r, a, b = self.r, self.a, self.b
        rates = math.lgamma(r + x) - math.lgamma(r) + r * math.log(self.alpha)
        staying = math.lgamma(a + b) + math.lgamma(b + x) - math.lgamma(b) - math.lgamma(a + b + x)
        return rates + staying

    def alive(self, x: int, tx: float, age: float) -> float:
        """P(she has not left): 1 for one who never came back, as the model has it."""
        if x == 0:
            return 1.0
        log_odds = math.log(self.a / (self.b + x - 1.0)) + (self.r + x) * math.log(
            (self.alpha + age) / (self.alpha + tx)
        )
        return 1.0 / (1.0 + math.exp(log_odds)) if log_odds < 700 else 0.0

    def returns_within(self, x: int, tx: float, age: float, days: float) -> float:
        """P(at least one visit in the next `days`): alive, and her rate (Gamma(r + x,
        alpha + age) given her past) brings her in time."""
        if days <= 0:
            return 0.0
        rx = self.r + x
        late = math.exp(-rx * math.log1p(days / (self.alpha + age)))
        return self.alive(x, tx, age) * (1.0 - late)
