"""Will a client come back? A return model fitted to one business's visit histories.

The model ("renewal with dropout", docs/retention.md has the references):

- While she is a client, the gaps between her visits are log-normal with her own mean
  and spread: her rhythm and her regularity. Both come from a population prior
  (normal-inverse-gamma), so a client with few visits borrows the business's typical
  rhythm and a regular's own rhythm takes over as her visits accumulate.
- After every visit she leaves for good with probability p, drawn from a Beta(a, b)
  across clients (as in the MBG/NBD and BG/CNBD-k models), so each return lowers her
  chance of leaving.

Given her history everything has a closed form: her next gap is a Student t on the log
scale, and P(she is still a client) weighs "left after the last visit" against "still
coming, this gap is just long" by how unusual the gap is for her. Fitting is empirical
Bayes: the six population parameters maximise the marginal likelihood (Nelder-Mead),
pulled towards a configurable prior so that a business with little history gets it.

Pure Python (math only): it runs inside the Lambda on the request path.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

DAY_SECONDS = 86400.0
# Two bookings within a day (a cut, then a colour) are one visit.
SAME_VISIT_DAYS = 1.0
STATUSES = ("active", "at_risk", "lapsed", "maintenance")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Prior:
    """What a business with no history is assumed to look like, and how firmly.

    typical_gap_days: the median gap between visits (the service's return interval);
    gap_spread: the standard deviation of a client's log gaps (0.3: gaps within about
    +-30 %); break_share, break_days: how often a gap is a break (a baby, a stint abroad)
    and its median length; comes_back: the share of first-time clients who would ever
    return; stays_a_year: the share of clients who would not leave within a year for
    reasons of their own (moving, another salon); weight: how firmly the fit is pulled
    towards all this (about that many clients).
    """

    typical_gap_days: float = 42.0
    gap_spread: float = 0.5
    break_share: float = 0.05
    break_days: float = 150.0
    comes_back: float = 0.5
    stays_a_year: float = 0.75
    weight: float = 30.0

    def params(self) -> Params:
        alpha0 = 3.0
        return Params(
            mu0=math.log(self.typical_gap_days),
            kappa0=1.0,
            alpha0=alpha0,
            beta0=self.gap_spread**2 * (alpha0 - 1.0),
            max_df=DF_CHOICES[2],
            break_share=self.break_share,
            break_mu=math.log(self.break_days),
            break_sigma=0.6,
            a=2.0 * (1.0 - self.comes_back),
            b=2.0 * self.comes_back,
            hazard_shape=1.0,
            hazard_rate=365.0 * self.stays_a_year / (1.0 - self.stays_a_year),
        )


@dataclass(frozen=True)
class Params:
    """The population: her log gaps' prior N-IG(mu0, kappa0, alpha0, beta0) and the most
    degrees of freedom her next log gap's Student t may have; the share of gaps that are
    breaks, whose log length is N(break_mu, break_sigma); the chance p of leaving right
    after a visit, Beta(a, b); the rate of leaving at any other moment (per day),
    Gamma(hazard_shape, hazard_rate) across clients."""

    mu0: float
    kappa0: float
    alpha0: float
    beta0: float
    max_df: float
    break_share: float
    break_mu: float
    break_sigma: float
    a: float
    b: float
    hazard_shape: float
    hazard_rate: float


@dataclass(frozen=True)
class Thresholds:
    """When an overdue client counts as at risk or lapsed, by P(she is still a client).

    The defaults are decisions, not fits. Lapsed: F1 of a calibrated probability is best
    when flagging from half the attainable F1 (Lipton, Elkan & Naryanaswamy 2014); with
    about 0.8 attainable for "no visit in 26 weeks", that is P(gone) > 0.4. At risk: from
    a one-in-five chance that she has left, early enough for a personal word. Both only
    once her expected visit has passed.
    """

    at_risk_below: float = 0.8
    lapsed_below: float = 0.6

    def __post_init__(self) -> None:
        if not 0.0 < self.lapsed_below <= self.at_risk_below < 1.0:
            raise ValueError("need 0 < lapsed_below <= at_risk_below < 1")


@dataclass(frozen=True)
class History:
    """A client at a moment: the logs of her completed gaps in days (oldest first), their
    count, mean and sum of squares, the days from her first to her last visit, her last
    visit and the days since."""

    log_gaps: tuple[float, ...]
    gaps: int
    mean_log: float
    ss_log: float
    span_days: float  # first to last visit
    last_visit: datetime
    days_since: float


def summarize(visits: Sequence[datetime], as_of: datetime) -> History | None:
    """Her history as of `as_of` (later visits ignored); None before her first visit."""
    days: list[float] = []
    last: datetime | None = None
    for v in sorted(v for v in visits if v < as_of):
        if last is not None and (v - last).total_seconds() / DAY_SECONDS < SAME_VISIT_DAYS:
            continue
        if last is not None:
            days.append((v - last).total_seconds() / DAY_SECONDS)
        last = v
    if last is None:
        return None
    logs = [math.log(d) for d in days]
    mean = sum(logs) / len(logs) if logs else 0.0
    ss = sum((x - mean) ** 2 for x in logs)
    return History(tuple(logs), len(logs), mean, ss, sum(days), last, (as_of - last).total_seconds() / DAY_SECONDS)


class ReturnModel:
    """The fitted population of one business; answers questions about any one client."""

    def __init__(
        self, params: Params, thresholds: Thresholds = Thresholds(), clients: int = 0, fitted_at: datetime | None = None
    ) -> None:
        self.params = params
        self.thresholds = thresholds
        self.clients = clients
        self.fitted_at = fitted_at

    # --- per client -------------------------------------------------------------------

    def p_alive(self, visits: Sequence[datetime], as_of: datetime) -> float:
        """P(she is still a client): will come back some day if nothing changes."""
        h = summarize(visits, as_of)
        return 1.0 if h is None else self._alive(h)

    def p_return(self, visits: Sequence[datetime], as_of: datetime, within_days: float) -> float:
        """P(at least one visit in (as_of, as_of + within_days])."""
        h = summarize(visits, as_of)
        return 0.0 if h is None else _p_return(self.params, h, within_days)

    def expected_next_visit(self, visits: Sequence[datetime], as_of: datetime) -> datetime | None:
        """Her median next visit if she is still a client: last visit + her predicted gap."""
        h = summarize(visits, as_of)
        if h is None:
            return None
        mu, _, _ = self._gap_posterior(h)
        return h.last_visit + timedelta(days=math.exp(mu))

    def status(
        self, visits: Sequence[datetime], as_of: datetime, has_future_booking: bool, maintenance: bool = False
    ) -> str:
        """active | at_risk | lapsed | maintenance; never worse for another day of silence."""
        if maintenance:
            return "maintenance"
        h = summarize(visits, as_of)
        if has_future_booking or h is None:
            return "active"
        mu, _, _ = self._gap_posterior(h)
        if h.days_since <= math.exp(mu):  # her visit is not due yet
            return "active"
        alive = self._alive(h)
        if alive < self.thresholds.lapsed_below:
            return "lapsed"
        if alive < self.thresholds.at_risk_below:
            return "at_risk"
        return "active"

    # --- storage ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "params": asdict(self.params),
            "clients": self.clients,
            "fitted_at": self.fitted_at.isoformat() if self.fitted_at else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], thresholds: Thresholds = Thresholds()) -> ReturnModel:
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unknown return model format {data.get('version')!r}")
        fitted = data.get("fitted_at")
        return cls(
            Params(**{k: float(v) for k, v in data["params"].items()}),
            thresholds,
            int(data.get("clients", 0)),
            datetime.fromisoformat(fitted) if fitted else None,
        )

    # --- the math ---------------------------------------------------------------------

    def _gap_posterior(self, h: History) -> tuple[float, float, float]:
        """Her next log gap: Student t (location, scale, degrees of freedom)."""
        return _predictive(self.params, h.gaps, h.mean_log, h.ss_log)

    def _alive(self, h: History) -> float:
        return _alive(self.params, h)


def _alive(p: Params, h: History) -> float:
    """P(she is still a client) after this silence: she did not leave at her last visit
    (Beta-geometric posterior), nor since (Gamma-exponential posterior given how long she
    has stayed), and her next gap is just long, against all the ways of having left."""
    stay = (p.b + h.gaps) / (p.a + p.b + h.gaps)
    alive = stay * _still_here(p, h, h.days_since) * _gap_sf(p, h, h.days_since)
    return _clip(alive / _no_visit_yet(p, h, stay))


def _p_return(p: Params, h: History, within_days: float) -> float:
    """P(she has not left and her next gap ends within the window | no visit so far)."""
    stay = (p.b + h.gaps) / (p.a + p.b + h.gaps)
    comes = stay * _visit_mass(p, h, h.days_since, h.days_since + within_days)
    return _clip(comes / _no_visit_yet(p, h, stay))


def _no_visit_yet(p: Params, h: History, stay: float) -> float:
    """P(no visit in the days since the last), relative to her having stayed until it."""
    return max(1e-300, 1.0 - stay * _visit_mass(p, h, 0.0, h.days_since))


def _still_here(p: Params, h: History, days: float) -> float:
    """P(no leaving for reasons of her own in the next `days` | she stayed span_days)."""
    horizon = p.hazard_rate + h.span_days
    return (horizon / (horizon + days)) ** p.hazard_shape


def _visit_mass(p: Params, h: History, start: float, end: float) -> float:
    """P(her next gap ends in (start, end] and she is still a client then)."""
    return sum(mass * _still_here(p, h, day) for day, mass in _gap_grid(p, h, start, end))


def fit(
    histories: Sequence[Sequence[datetime]],
    as_of: datetime,
    prior: Prior = Prior(),
    thresholds: Thresholds = Thresholds(),
) -> ReturnModel:
    """Fit the population to a business's clients (each history: her visits, UTC).

    Two stages of maximum a posteriori: the gap prior from the completed gaps, then the
    dropout given how long each client's current gap already is. With no clients the
    result is the prior itself.
    """
    summaries = [h for h in (summarize(v, as_of) for v in histories) if h is not None]
    centre = prior.params()
    sample, weight = _even_sample(summaries, MAX_FIT_CLIENTS, prior.weight)
    gaps = _fit_gaps(sample, centre, weight)
    gaps = _fit_tail(sample, gaps, centre, weight)
    sample, weight = _even_sample(summaries, MAX_LEAVING_CLIENTS, prior.weight)
    params = _fit_leaving(sample, gaps, centre, weight)
    return ReturnModel(params, thresholds, len(summaries), as_of)


def _even_sample(summaries: list[History], most: int, weight: float) -> tuple[list[History], float]:
    """At most `most` clients, evenly spread (a few thousand pin a handful of numbers just
    as well), and the prior's weight against them as against the whole business."""
    if len(summaries) <= most:
        return summaries, weight
    return [summaries[i * len(summaries) // most] for i in range(most)], weight * most / len(summaries)


# --- fitting ------------------------------------------------------------------------

MAX_FIT_CLIENTS = 5000
MAX_LEAVING_CLIENTS = 1500
# Steps of the day grid on which a gap's distribution meets the chance of leaving.
GRID_STEPS = 8
MAX_FIT_GAPS = 6000
# The caps on the next log gap's degrees of freedom tried in the fit (200: hardly a cap).
DF_CHOICES = (2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 20.0, 50.0, 200.0)
# The prior pulls each log-parameter towards its default with this standard deviation
# per prior-client: wide enough that a few hundred clients speak for themselves.
_PRIOR_SD = 1.0


def _fit_gaps(summaries: list[History], centre: Params, weight: float) -> Params:
    by_gaps: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for h in summaries:
        if h.gaps:
            by_gaps[h.gaps].append((h.mean_log, h.ss_log))
    start = [centre.mu0, math.log(centre.kappa0), math.log(centre.alpha0), math.log(centre.beta0)]

    def loss(x: list[float]) -> float:
        mu0, k0, a0, b0 = x[0], math.exp(x[1]), math.exp(x[2]), math.exp(x[3])
        total = 0.0
        for m, rows in by_gaps.items():
            kn, an = k0 + m, a0 + m / 2.0
            const = math.lgamma(an) - math.lgamma(a0) + a0 * math.log(b0) + 0.5 * math.log(k0 / kn)
            shrink = k0 * m / (2.0 * kn)
            total += len(rows) * const - an * sum(math.log(b0 + ss / 2.0 + shrink * (y - mu0) ** 2) for y, ss in rows)
        return -total + _penalty(x, start, weight)

    x = _nelder_mead(loss, start)
    return replace(centre, mu0=x[0], kappa0=math.exp(x[1]), alpha0=math.exp(x[2]), beta0=math.exp(x[3]))


def _fit_tail(summaries: list[History], gaps: Params, centre: Params, weight: float) -> Params:
    """Breaks and the degrees-of-freedom cap: whatever best predicts each client's next
    gap from her earlier ones (the prequential log score, Dawid 1984)."""
    unbounded = replace(gaps, max_df=DF_CHOICES[-1])
    steps = []  # (log gap, location, scale, uncapped df) for every completed gap
    for h in summaries:
        total = square = 0.0
        for j, y in enumerate(h.log_gaps):
            mean = total / j if j else 0.0
            steps.append((y, *_predictive(unbounded, j, mean, square - j * mean * mean)))
            total, square = total + y, square + y * y
    if len(steps) > MAX_FIT_GAPS:
        steps = [steps[i * len(steps) // MAX_FIT_GAPS] for i in range(MAX_FIT_GAPS)]
    weight *= len(steps) / max(1, sum(h.gaps for h in summaries))

    def densities(cap: float) -> list[tuple[float, float]]:
        return [(y, math.exp(_t_logpdf((y - loc) / scale, min(df, cap))) / scale) for y, loc, scale, df in steps]

    fitted = _fit_breaks(densities(unbounded.max_df), gaps, centre, weight)
    best_cap = max(DF_CHOICES, key=lambda cap: _break_score(densities(cap), fitted))
    return _fit_breaks(densities(best_cap), replace(fitted, max_df=best_cap), centre, weight)


def _fit_breaks(steps: list[tuple[float, float]], gaps: Params, centre: Params, weight: float) -> Params:
    def unpack(x: list[float]) -> Params:
        share = 1.0 / (1.0 + math.exp(-x[0]))
        return replace(gaps, break_share=share, break_mu=x[1], break_sigma=math.exp(x[2]))

    start = [_logit(centre.break_share), centre.break_mu, math.log(centre.break_sigma)]
    x = _nelder_mead(lambda x: -_break_score(steps, unpack(x)) + _penalty(x, start, weight), start)
    return unpack(x)


def _break_score(steps: list[tuple[float, float]], p: Params) -> float:
    """Log score of each gap as her own rhythm (its t density given) or a break."""
    norm = p.break_share / (p.break_sigma * math.sqrt(2.0 * math.pi))
    keep, half_inv_var = 1.0 - p.break_share, 0.5 / p.break_sigma**2
    return sum(math.log(keep * f + norm * math.exp(-half_inv_var * (y - p.break_mu) ** 2) + 1e-300) for y, f in steps)


def _fit_leaving(summaries: list[History], gaps: Params, centre: Params, weight: float) -> Params:
    """Leaving after a visit (a, b) and in between (hazard_shape, hazard_rate), given the
    gap model: each client stayed until her last visit and has not come back since."""
    rows = []  # gaps, span, and her gap distribution over the silence: (mid-day, mass)
    for h in summaries:
        grid = _gap_grid(gaps, h, 0.0, h.days_since)
        rows.append((h.gaps, h.span_days, [(day, mass) for day, mass in grid if mass > 1e-9]))
    names = ("a", "b", "hazard_shape", "hazard_rate")
    start = [math.log(getattr(centre, n)) for n in names]

    def loss(x: list[float]) -> float:
        a, b, shape, rate = (math.exp(v) for v in x)
        total = 0.0
        for m, span, grid in rows:
            horizon = rate + span
            seen = sum(mass * (horizon / (horizon + day)) ** shape for day, mass in grid)
            # E[(1-p)^m e^(-mu span) (p + (1-p) P(no visit since | stayed))]
            total += (
                _log_beta(a, b + m)
                - _log_beta(a, b)
                - math.log(a + b + m)
                + shape * math.log(rate / horizon)
                + math.log(max(1e-300, a + b + m - (b + m) * seen))
            )
        return -total + _penalty(x, start, weight)

    x = _nelder_mead(loss, start)
    return replace(gaps, **{n: math.exp(v) for n, v in zip(names, x)})


def _gap_grid(p: Params, h: History, start: float, end: float) -> list[tuple[float, float]]:
    """(mid-day, P(her next gap ends in the step)) over (start, end] on a geometric day grid."""
    start = max(start, 1.0)  # visits within a day are one visit: no gap is shorter
    if end <= start:
        return []
    out, prev_day, prev_cdf = [], start, 1.0 - _gap_sf(p, h, start)
    for k in range(1, GRID_STEPS + 1):
        day = start * (end / start) ** (k / GRID_STEPS)
        cdf = 1.0 - _gap_sf(p, h, day)
        out.append((math.sqrt(day * prev_day), cdf - prev_cdf))
        prev_day, prev_cdf = day, cdf
    return out


def _penalty(x: list[float], centre: list[float], weight: float) -> float:
    return weight * sum((xi - ci) ** 2 for xi, ci in zip(x, centre)) / (2.0 * _PRIOR_SD**2)


def _gap_sf(p: Params, h: History, days: float) -> float:
    """P(her next gap, if she comes, is longer than `days`): her rhythm, or a break."""
    if days <= 0:
        return 1.0
    loc, scale, df = _predictive(p, h.gaps, h.mean_log, h.ss_log)
    log_days = math.log(days)
    rhythm = _t_sf((log_days - loc) / scale, df)
    pause = 0.5 * math.erfc((log_days - p.break_mu) / (p.break_sigma * math.sqrt(2.0)))
    return (1.0 - p.break_share) * rhythm + p.break_share * pause


def _predictive(p: Params, m: int, mean_log: float, ss_log: float) -> tuple[float, float, float]:
    """Normal-inverse-gamma update with m log gaps; the next log gap's Student t."""
    kn = p.kappa0 + m
    mun = (p.kappa0 * p.mu0 + m * mean_log) / kn
    an = p.alpha0 + m / 2.0
    bn = p.beta0 + ss_log / 2.0 + p.kappa0 * m * (mean_log - p.mu0) ** 2 / (2.0 * kn)
    return mun, math.sqrt(bn * (kn + 1.0) / (an * kn)), min(2.0 * an, p.max_df)


# --- numerics -------------------------------------------------------------------------


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _t_logpdf(t: float, df: float) -> float:
    """log density of Student's t with df degrees of freedom (standard scale)."""
    return (
        math.lgamma((df + 1.0) / 2.0)
        - math.lgamma(df / 2.0)
        - 0.5 * math.log(df * math.pi)
        - (df + 1.0) / 2.0 * math.log1p(t * t / df)
    )


def _t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with df degrees of freedom."""
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return tail if t > 0 else 1.0 - tail


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b), by its continued fraction (Lentz)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):  # the fraction converges fast on this side only
        return 1.0 - _betainc(b, a, 1.0 - x)
    front = math.exp(a * math.log(x) + b * math.log1p(-x) - _log_beta(a, b)) / a
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    f = d
    for m in range(1, 300):
        for num in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            f *= c * d
        if abs(c * d - 1.0) < 1e-12:
            break
    return front * f


def _nelder_mead(
    f: Callable[[list[float]], float], x0: list[float], step: float = 0.5, max_iter: int = 400, tol: float = 1e-7
) -> list[float]:
    """Minimise f from x0 with the Nelder-Mead simplex (standard coefficients)."""
    n = len(x0)
    simplex = [list(x0)] + [[xi + (step if i == j else 0.0) for j, xi in enumerate(x0)] for i in range(n)]
    values = [f(x) for x in simplex]
    for _ in range(max_iter):
        order = sorted(range(n + 1), key=values.__getitem__)
        simplex, values = [simplex[i] for i in order], [values[i] for i in order]
        if values[-1] - values[0] <= tol * (1.0 + abs(values[0])):
            break
        centroid = [sum(x[j] for x in simplex[:-1]) / n for j in range(n)]
        worst = simplex[-1]

        reflected = _towards(centroid, worst, -1.0)
        fr = f(reflected)
        if fr < values[0]:
            expanded = _towards(centroid, worst, -2.0)
            fe = f(expanded)
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
        else:
            contracted = _towards(centroid, worst, 0.5) if fr >= values[-1] else _towards(centroid, worst, -0.5)
            fc = f(contracted)
            if fc < min(fr, values[-1]):
                simplex[-1], values[-1] = contracted, fc
            else:  # shrink everything towards the best point
                best = simplex[0]
                simplex = [best] + [[b + 0.5 * (xi - b) for b, xi in zip(best, x)] for x in simplex[1:]]
                values = [values[0]] + [f(x) for x in simplex[1:]]
    return simplex[min(range(n + 1), key=values.__getitem__)]


def _towards(centroid: list[float], worst: list[float], coef: float) -> list[float]:
    """The point coef of the way from the centroid to the worst vertex (negative: beyond)."""
    return [c + coef * (w - c) for c, w in zip(centroid, worst)]
