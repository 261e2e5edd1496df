"""The counting model (chalicelib/domain/bgnbd.py) and its stacking into the return model:
its math by property, its fit by recovering the parameters buyers were drawn with, and
P(return) where a shop's buyers come and go as BG/NBD has it, and where they do not."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import returns
from chalicelib.domain.bgnbd import BGNBD
from chalicelib.domain.returns import Prior, ReturnModel, Thresholds, fit

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)
# Fader, Hardie & Lee's fit to CDNOW (2005), per day instead of per week.
CDNOW = BGNBD(0.243, 4.414 * 7, 0.793, 2.426)

counts_st = st.builds(
    BGNBD, r=st.floats(0.02, 20.0), alpha=st.floats(0.1, 2000.0), a=st.floats(0.02, 20.0), b=st.floats(0.02, 20.0)
)


@given(counts_st, st.integers(0, 60), st.floats(0.0, 1.0), st.floats(0.0, 3000.0), st.floats(0.0, 2000.0))
def test_its_probabilities_are_probabilities_and_never_rise_with_silence(m, x, share, tx, more):
    age = tx / max(share, 1e-9) if share else tx + 1.0
    tx = tx if x else 0.0
    alive, back = m.alive(x, tx, age), m.returns_within(x, tx, age, 182.0)
    assert 0.0 <= back <= alive <= 1.0
    assert m.alive(x, tx, age + more) <= alive + 1e-12
    assert m.returns_within(x, tx, age + more, 182.0) <= back + 1e-12
    assert back <= m.returns_within(x, tx, age, 365.0) + 1e-12
    assert m.returns_within(x, tx, age, 0.0) == 0.0
    if x == 0:
        assert alive == 1.0  # as BG/NBD has it: one who never came back never left


def _buyers(m: BGNBD, n: int, seed: int, days: float) -> list[list[float]]:
    """Each buyer's days of purchase, drawn from `m`: her first within 84 days."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        rate, leave = rng.gammavariate(m.r, 1.0 / m.alpha), rng.betavariate(m.a, m.b)
        t = rng.uniform(0.0, 84.0)
        bought = [t]
        while rate > 0 and (t := t + rng.expovariate(rate)) < days:
            bought.append(t)
            if rng.random() < leave:
                break
        out.append(bought)
    return out


def _visits(days: list[float]) -> list[datetime]:
    return sorted({T0 + timedelta(days=round(d) + 0.5) for d in days})


def test_the_counting_fit_recovers_the_parameters_buyers_were_drawn_with():
    histories = [_visits(b) for b in _buyers(CDNOW, 4000, seed=5, days=273.0)]
    got = returns.fit_population(histories, T0 + timedelta(days=273)).counts
    assert got is not None
    assert got.r == pytest.approx(CDNOW.r, rel=0.2)
    assert got.r / got.alpha == pytest.approx(CDNOW.r / CDNOW.alpha, rel=0.2)  # the mean rate
    assert got.a / (got.a + got.b) == pytest.approx(CDNOW.a / (CDNOW.a + CDNOW.b), abs=0.06)


@pytest.mark.parametrize("weeks", [39, 26])  # 26: records younger than a window, judged on half windows
def test_where_buyers_come_and_go_as_bgnbd_has_it_first_timers_are_no_longer_read_as_gone(weeks):
    """CDNOW-like buyers, 39 (or 26) weeks in: the renewal model alone reads most one-time
    buyers' silence as having left; stacked, their P(return) is what came to pass."""
    drawn = _buyers(CDNOW, 3000, seed=8, days=weeks * 7.0 + 182.0)
    as_of = T0 + timedelta(weeks=weeks)
    histories = [_visits(b) for b in drawn]
    model = fit(histories, as_of)
    assert model.counts_weight > 0.5
    alone = ReturnModel(model.params, model.thresholds, model.clients, model.fitted_at)
    first_timers = [h for h in histories if len([v for v in h if v < as_of]) == 1]
    came = sum(any(as_of <= v < as_of + timedelta(days=182) for v in h) for h in first_timers) / len(first_timers)
    stacked = sum(model.p_return(h, as_of, 182) for h in first_timers) / len(first_timers)
    renewal = sum(alone.p_return(h, as_of, 182) for h in first_timers) / len(first_timers)
    assert abs(stacked - came) < 0.03 < abs(renewal - came)
    # Everyone's chances are the mixture, a returning client's as a first-timer's.
    regular = next([v for v in h if v < as_of] for h in histories if len([v for v in h if v < as_of]) >= 3)
    day = timedelta(days=1)
    x, tx, age = len(regular) - 1, (regular[-1] - regular[0]) / day, (as_of - regular[0]) / day
    assert model.counts is not None
    counted = model.counts.returns_within(x, tx, age, 182)
    w = model.counts_weight
    assert model.p_return(regular, as_of, 182) == pytest.approx(
        (1 - w) * alone.p_return(regular, as_of, 182) + w * counted
    )


def test_a_salon_of_regulars_keeps_the_renewal_model():
    """Clients who come every four to eight weeks until they leave, and first-timers who
    mostly do not return: nothing for the counting model to add."""
    rng = random.Random(3)
    histories = []
    for _ in range(600):
        t, gap = rng.uniform(-400, 0), rng.uniform(28, 56)
        visits = [t]
        if rng.random() < 0.7:
            end = t + rng.expovariate(1 / 500)
            while (t := t + gap * rng.lognormvariate(0, 0.15)) < min(end, 330):
                visits.append(t)
        histories.append(_visits([v + 400 for v in visits]))
    model = fit(histories, T0 + timedelta(days=730))
    assert model.counts_weight == 0.0


def test_the_stacking_is_stored_with_the_model_and_one_stored_before_reads_as_without():
    model = ReturnModel(Prior().params(), clients=3, fitted_at=T0, counts=CDNOW, counts_weight=0.8)
    stored = json.loads(json.dumps(model.to_dict()))
    again = ReturnModel.from_dict(stored)
    assert again.counts == CDNOW and again.counts_weight == 0.8
    assert again.p_return([T0], T0 + timedelta(days=90), 182) == model.p_return([T0], T0 + timedelta(days=90), 182)
    # A business's own thresholds (the refit job's with_thresholds) keep the stacking.
    own = model.with_thresholds(Thresholds(0.7, 0.4))
    assert (own.counts, own.counts_weight, own.thresholds) == (CDNOW, 0.8, Thresholds(0.7, 0.4))
    del stored["counts"], stored["counts_weight"]
    before = ReturnModel.from_dict(stored)
    assert before.counts is None and before.counts_weight == 0.0
    with pytest.raises(ValueError):
        ReturnModel(Prior().params(), counts_weight=0.5)  # a weight with no model to weigh
    with pytest.raises(ValueError):
        ReturnModel(Prior().params(), counts=CDNOW, counts_weight=1.5)
