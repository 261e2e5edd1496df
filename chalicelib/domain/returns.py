"""Will a client come back? A return model fitted to one business's visit histories.

The model ("renewal with breaks and leaving"; docs/retention.md has the references):

- While she is a client, the gaps between her visits are log-normal with her own mean
  and spread: her rhythm and her regularity. Both come from a population prior (her
  usual log gap normal, her spread inverse-gamma, each with its own spread across the
  business), so a client with few visits borrows the business's typical rhythm and a
  regular's own rhythm takes over as her visits accumulate, the sooner the steadier she
  is. Her next gap is then a Student t on the log scale (its degrees of freedom capped,
  so that however regular she has been a long gap stays possible).
- Now and then a gap is a break instead (a baby, a summer at the cottage): log-normal
  across the business, as often for her as her own past breaks suggest. Where the
  business's past shows it, how likely a break is and how long it lasts depend on the
  time of year her gap began (the calendar: seasonal clients stop in autumn until spring;
  each month's at its middle, blended between).
- She leaves for good right after a visit with probability p, Beta(a, b) across clients
  (as in the MBG/NBD), or at any moment in between at a rate that is Gamma distributed
  across clients (as in the Pareto/NBD), so the longer she has stayed, the likelier she
  stays; sooner if her last two gaps stretched beyond her own spread (spacing out), as
  strongly as what became of the business's clients after its earlier moments says.

P(she is still a client) weighs "still coming, this gap is just long" against every way
of having left; P(a visit within w days) follows. Fitting is empirical Bayes, in stages
by maximum a posteriori with Nelder-Mead: the rhythm prior from the completed gaps
(their marginal likelihood), breaks and the tail by how well they predict each next gap
(prequential score; the share of breaks again with each gap weighted for censoring, as
the records end at the fit), the calendar by expectation-maximisation, kept only if it predicts
held-out clients' gaps better, leaving from the silence since each last visit. A configurable
prior pulls every stage, so that a business with little history gets the prior.

Her P(return) is then stacked with a counting model fitted to the same records (BG/NBD,
chalicelib/domain/bgnbd.py), as much as the business's own past favours it: where buyers
come rarely and irregularly (a record shop) it reads a long silence better.

Pure Python (math only): it runs inside the Lambda on the request path.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_left
from calendar import monthrange
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from statistics import median
from typing import Any, TypeVar

from chalicelib.domain.bgnbd import BGNBD
from chalicelib.domain.numerics import (
    bound,
    clip,
    golden,
    log_beta,
    logit,
    nelder_mead,
    normal_pdf,
    t_logpdf,
    t_sf,
)

T = TypeVar("T")
DAY_SECONDS = 86400.0
# Two bookings within a day (a cut, then a colour) are one visit.
SAME_VISIT_DAYS = 1.0
# 2 (8 Dec 2026): the rhythm prior semi-conjugate (tau0). A model stored as 1 (kappa0)
# is refused, so the next hourly run refits it: read as the other, its clients'
# spreads came out far too narrow (a slow regular lapsed on the day she was due).
FORMAT_VERSION = 2
STATUSES = ("active", "at_risk", "lapsed")
# "Will she be back?" within half a year: the window fit() judges a lapse in (its
# thresholds), the owner's list asks about and bench/lapse.py evaluates; a business
# whose clients come more rarely (a yearly check-up) sets its own (ReturnModel.window_days).
WINDOW_DAYS = 182.0
# How far after her last visit turns() looks for her turning at risk or lapsed.
TURN_LIMIT_DAYS = 3 * 365.0
# "Will she ever come back" asked as p_return(..., inf): a century is as long as any client's story.
LONGEST_WINDOW_DAYS = 100 * 365.0


@dataclass(frozen=True)
class Prior:
    """What a business with no history is assumed to look like, and how firmly.

    typical_gap_days: the median gap between visits (the service's return interval);
    gap_spread: the standard deviation of a client's log gaps (0.3: gaps within about
    +-30 %); rhythms_spread: that of clients' usual log gaps across the business (0.7:
    most within a factor of two of the typical gap; a fortnightly and a six-monthly
    patient are 2.6 of it apart); break_share, break_days: how often a gap is a break
    and its median length;
    comes_back: the share of first-time clients who would ever return; stays_a_year: the
    share of clients who would not leave within a year for reasons of their own (moving
    away, another salon); weight: how firmly the fit is pulled towards all this (about
    as many clients' worth).
    """

    typical_gap_days: float = 42.0
    gap_spread: float = 0.5
    rhythms_spread: float = 0.7
    break_share: float = 0.05
    break_days: float = 150.0
    comes_back: float = 0.5
    stays_a_year: float = 0.75
    weight: float = 30.0

    def params(self) -> Params:
        alpha0 = 3.0
        return Params(
            mu0=math.log(self.typical_gap_days),
            tau0=self.rhythms_spread,
            alpha0=alpha0,
            beta0=self.gap_spread**2 * (alpha0 - 1.0),
            max_df=4.0,
            break_share=self.break_share,
            break_mu=math.log(self.break_days),
            break_sigma=0.6,
            break_weight=10.0,
            a=2.0 * (1.0 - self.comes_back),
            b=2.0 * self.comes_back,
            hazard_shape=1.0,
            hazard_rate=365.0 * self.stays_a_year / (1.0 - self.stays_a_year),
        )

    def counts(self) -> BGNBD:
        """The counting model's centre: rates about one visit per typical gap, as
        likely to leave after a return as a first-timer is not to come back."""
        return BGNBD(1.0, self.typical_gap_days, 2.0 * (1.0 - self.comes_back), 2.0 * self.comes_back)


NO_SEASON = (0.0,) * 12


@dataclass(frozen=True)
class Params:
    """The population. Rhythm: a client's usual log gap ~ N(mu0, tau0^2), her log gaps'
    variance ~ Inv-Gamma(alpha0, beta0), apart (semi-conjugate); the next log gap's degrees
    of freedom at most max_df. Breaks: a share break_share of gaps, log
    length N(break_mu, break_sigma); a client's own share is Beta with that mean and
    break_weight gaps' worth of weight. Leaving: right after a visit with probability
    p ~ Beta(a, b); in between at a rate (per day) ~ Gamma(hazard_shape, hazard_rate)."""

    mu0: float
    tau0: float
    alpha0: float
    beta0: float
    max_df: float
    break_share: float
    break_mu: float
    break_sigma: float
    break_weight: float
    a: float
    b: float
    hazard_shape: float
    hazard_rate: float
    # Breaks by the month their gap began (January first): the log-odds of one against
    # the year's share, and how long it lasts, as shares of the cells of BREAK_CELLS
    # (month after month), each month's at its middle, blended between two middles
    # (month_of). Seasonal clients stop in autumn until spring, or for a year and a half
    # when they skip a summer; no one curve holds that. Empty: no calendar, every break
    # N(break_mu, break_sigma) on the log scale.
    season: tuple[float, ...] = NO_SEASON
    season_breaks: tuple[float, ...] = ()
    # Spacing out: her rate of leaving in between is multiplied by exp(this x how many of
    # her own spreads her last two gaps were longer than her earlier ones). Learnt from what
    # became of the business's clients after its own earlier moments (validate()); the
    # silences alone cannot tell it from a slow rhythm.
    hazard_spacing: float = 0.0

    def __post_init__(self) -> None:
        if len(self.season) != 12 or len(self.season_breaks) not in (0, 12 * BREAK_CELLS):
            raise ValueError("a season has twelve months")

    def pause_at(self, month: float) -> Pause:
        """How long a break whose gap began at `month` (a place in the year, month_of)
        lasts: the two nearest months' cells blended as month_of weighs them."""
        lo, hi, w = _neighbours(month)
        if not self.season_breaks or not w:
            return self._pauses[lo]
        a, b = self._pauses[lo].cells, self._pauses[hi].cells
        cells = tuple((1.0 - w) * x + w * y for x, y in zip(a, b, strict=True))
        return Pause(self.break_mu, self.break_sigma, cells, _tails(cells))

    def season_at(self, month: float) -> float:
        """The log-odds of a break for a gap begun at `month` (month_of), blended."""
        lo, hi, w = _neighbours(month)
        return (1.0 - w) * self.season[lo] + w * self.season[hi] if w else self.season[lo]

    @cached_property
    def _pauses(self) -> list[Pause]:
        if not self.season_breaks:
            return [Pause(self.break_mu, self.break_sigma)] * 12
        months = [self.season_breaks[m * BREAK_CELLS : (m + 1) * BREAK_CELLS] for m in range(12)]
        return [Pause(self.break_mu, self.break_sigma, cells, _tails(cells)) for cells in months]


# Break lengths by month are shares of cells of days sqrt(2) apart from 1 day (the gap
# grid's), the last ending at 2^12 days (11 years; longer gaps fall in it).
BREAK_CELLS = 24
HALF_LOG2 = math.log(2.0) / 2.0


def month_of(t: datetime) -> float:
    """Where in the year `t` is, in months from the middle of January: each month's middle
    is its index (0 = January), and a moment between two middles weighs both by nearness,
    so a calendar of breaks moves smoothly through the year (two minutes across a month's
    end are not a step from one month's breaks to the next's)."""
    seconds = t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
    elapsed = (t.day - 1 + seconds / DAY_SECONDS) / monthrange(t.year, t.month)[1]
    return (t.month - 1 + elapsed - 0.5) % 12.0


def _neighbours(month: float) -> tuple[int, int, float]:
    """The months whose middles `month` lies between, and the later one's weight."""
    lo = math.floor(month)
    w = month - lo
    return lo % 12, (lo + 1) % 12, w


def _places(months: Sequence[float]) -> tuple[tuple[int, int, float], ...]:
    """_neighbours of each place in the year."""
    return tuple(_neighbours(m) for m in months)


def _calendar_month(month: float) -> int:
    """The calendar month (0 = January) a place in the year (month_of) falls in."""
    return int(month + 0.5) % 12


def _cell_of(log_days: float) -> int:
    return min(BREAK_CELLS - 1, max(0, int(log_days / HALF_LOG2)))


@dataclass(frozen=True)
class Pause:
    """How long a break lasts: N(mu, sigma) on the log scale, or shares of the cells."""

    mu: float
    sigma: float
    cells: tuple[float, ...] = ()
    tails: tuple[float, ...] = ()  # tails[c]: the cells from c on

    def sf(self, log_days: float) -> float:
        """P(the break lasts longer than exp(log_days) days)."""
        if not self.cells:
            return 0.5 * math.erfc((log_days - self.mu) / (self.sigma * math.sqrt(2.0)))
        if log_days <= 0.0:
            return 1.0
        cell = _cell_of(log_days)
        inside = min(1.0, log_days / HALF_LOG2 - cell)  # the last cell: all of it by its start
        return self.tails[cell + 1] + self.cells[cell] * (1.0 - inside)


def _tails(cells: Sequence[float]) -> tuple[float, ...]:
    out = [0.0]
    for c in reversed(cells):
        out.append(out[-1] + c)
    return tuple(out[::-1])


@dataclass(frozen=True)
class Thresholds:
    """When an overdue client counts as at risk or lapsed, by P(she is still a client).

    The defaults are decisions, not fits. Lapsed: F1 of a calibrated probability is best
    when flagging from half the attainable F1 (Lipton, Elkan & Naryanaswamy 2014); with
    about 0.8 attainable for "no visit in 26 weeks", that is P(gone) > 0.4. At risk: from
    a one-in-five chance that she has left, early enough for a personal word. Both only
    once her expected visit has passed. validate() fits them to a business's own past,
    and may give regulars (REGULAR_VISITS or more visits) their own: fewer of them leave,
    so the best F1 for them flags at another probability.
    """

    at_risk_below: float = 0.8
    lapsed_below: float = 0.6
    regular_at_risk_below: float | None = None
    regular_lapsed_below: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.lapsed_below <= self.at_risk_below < 1.0:
            raise ValueError("need 0 < lapsed_below <= at_risk_below < 1")
        if (self.regular_at_risk_below is None) != (self.regular_lapsed_below is None):
            raise ValueError("regulars' thresholds come both or neither")
        low, high = self.regular_lapsed_below, self.regular_at_risk_below
        if low is not None and high is not None and not 0.0 < low <= high < 1.0:
            raise ValueError("need 0 < regular_lapsed_below <= regular_at_risk_below < 1")

    @classmethod
    def around(cls, lapsed_below: float, regular_lapsed_below: float | None = None) -> Thresholds:
        """Lapse thresholds with at risk halfway from each to certainty (0.6 -> 0.8)."""
        regular_at_risk = None if regular_lapsed_below is None else (1.0 + regular_lapsed_below) / 2.0
        return cls((1.0 + lapsed_below) / 2.0, lapsed_below, regular_at_risk, regular_lapsed_below)

    def for_client(self, regular: bool) -> tuple[float, float]:
        """(at_risk_below, lapsed_below) for her."""
        if regular and self.regular_at_risk_below is not None and self.regular_lapsed_below is not None:
            return self.regular_at_risk_below, self.regular_lapsed_below
        return self.at_risk_below, self.lapsed_below


# A regular: this many visits or more (bench/lapse.py's regulars too).
REGULAR_VISITS = 4


def _is_regular(h: History) -> bool:
    return len(h.log_gaps) + 1 >= REGULAR_VISITS


@dataclass(frozen=True)
class History:
    """A client at a moment: the logs of her completed gaps in days (oldest first), the
    days from her first to her last visit, her last visit and the days since, and where
    in the year (month_of) each of her gaps began, the last one's at her last visit."""

    log_gaps: tuple[float, ...]
    span_days: float
    last_visit: datetime
    days_since: float
    months: tuple[float, ...]

    def next_month(self) -> float:
        return month_of(self.last_visit)


def _in_utc(visits: Sequence[datetime], as_of: datetime) -> tuple[Sequence[datetime], datetime]:
    """Her visits and the moment, comparable, however an outside caller's records come:
    each as an instant in UTC (the calendar month and the days between visits are read
    from it): one with a zone converted, so the same instants give the same answers in any
    zone and across a DST change; a naive one read as UTC (as the interface has it); a day
    given as a date as its midnight UTC. A pandas Series or a numpy array reads as the
    list of its values."""
    visits = _listed(visits)
    if not all(isinstance(v, datetime) and v.tzinfo is UTC for v in visits):
        visits = [_utc(v) for v in visits]  # each on its own: a history may mix them
    return visits, _utc(as_of)


def _utc(t: date) -> datetime:
    """A moment as an instant in UTC: with a zone, converted; naive, read as UTC."""
    t = _instant(t)
    if t.tzinfo is UTC:
        return t
    return t.replace(tzinfo=UTC) if t.utcoffset() is None else t.astimezone(UTC)


def _instant(t: date) -> datetime:
    """A moment: as given, a day (records by date) as its midnight UTC, numpy's datetime64
    to the microsecond."""
    if isinstance(t, datetime):
        return t
    if isinstance(t, date):
        return datetime(t.year, t.month, t.day, tzinfo=UTC)
    to = getattr(t, "astype", None)  # numpy's datetime64, without importing numpy
    moment = to("datetime64[us]").item() if to else None
    if not isinstance(moment, datetime):
        raise TypeError(f"a visit or a moment is a datetime, not {t!r}")
    return moment


def _listed(items: Sequence[T]) -> Sequence[T]:
    """A list or tuple as it is; anything else iterable (a pandas Series, indexed by its
    labels, not 0..n-1) as the list of its values."""
    return items if isinstance(items, list | tuple) else list(items)


def summarize(visits: Sequence[datetime], as_of: datetime) -> History | None:
    """Her history as of `as_of` (later visits ignored); None before her first visit."""
    visits, as_of = _in_utc(visits, as_of)
    days: list[float] = []
    months: list[float] = []
    last: datetime | None = None
    for v in sorted(v for v in visits if v < as_of):
        if last is not None and (v - last).total_seconds() / DAY_SECONDS < SAME_VISIT_DAYS:
            continue
        if last is not None:
            days.append((v - last).total_seconds() / DAY_SECONDS)
            months.append(month_of(last))
        last = v
    if last is None:
        return None
    logs = tuple(math.log(d) for d in days)
    return History(logs, sum(days), last, (as_of - last).total_seconds() / DAY_SECONDS, tuple(months))


@dataclass(frozen=True)
class NextGap:
    """Her next gap if she is still a client: her rhythm (Student t on log days) or, with
    her own chance of one, a break (normal on log days)."""

    loc: float
    scale: float
    df: float
    break_share: float
    pause: Pause

    def sf(self, days: float) -> float:
        """P(the gap is longer than `days`)."""
        if days <= 0:
            return 1.0
        log_days = math.log(days)
        rhythm = t_sf((log_days - self.loc) / self.scale, self.df)
        pause = self.pause.sf(log_days)
        return (1.0 - self.break_share) * rhythm + self.break_share * pause


@dataclass(frozen=True)
class _RememberedGap(NextGap):
    """A NextGap that keeps each P(longer than) it works out: a search along her silence
    asks again and again at the same cell edges of _gap_grid."""

    seen: dict[float, float] = field(default_factory=dict, compare=False, repr=False)

    def sf(self, days: float) -> float:
        known = self.seen.get(days)
        if known is None:
            known = self.seen[days] = super().sf(days)
        return known


def next_gap(p: Params, h: History, chances: list[float] | None = None) -> NextGap:
    """Her next gap as her history tells it: her rhythm and her own share of breaks.
    `chances`, if given, gets how likely each of her gaps was a break."""
    loc, scale, df = _rhythm(p, h.log_gaps)
    _, share = _breaks(p, h.log_gaps, _rhythm_densities(p, h.log_gaps), _places(h.months), chances)
    month = h.next_month()
    return NextGap(loc, scale, df, _in_season(share, p.season_at(month)), p.pause_at(month))


@dataclass(frozen=True)
class _Client:
    """Everything the probabilities need about one client at one moment."""

    gap: NextGap
    stay: float  # P(she did not leave right after her last visit)
    horizon: float  # hazard_rate + the days she has stayed
    shape: float
    days_since: float
    regular: bool

    def still_here(self, days: float) -> float:
        """P(no leaving for reasons of her own in the next `days`)."""
        return math.pow(self.horizon / (self.horizon + days), self.shape)

    def visit_mass(self, start: float, end: float) -> float:
        """P(her next gap ends in (start, end] and she is still a client then)."""
        return self.mass(_gap_grid(self.gap, start, end))

    def mass(self, grid: list[tuple[float, float]]) -> float:
        """visit_mass over the cells of _gap_grid worked out already."""
        return sum(mass * self.still_here(day) for day, mass in grid)

    def returns_in(self, before: list[tuple[float, float]], within: list[tuple[float, float]]) -> float:
        """returns_within from the grids of the silence so far and of the window."""
        return clip(self.stay * self.mass(within) / max(1e-300, 1.0 - self.stay * self.mass(before)))

    def no_visit_yet(self) -> float:
        """P(no visit in the days since the last), given she stayed until it."""
        return max(1e-300, 1.0 - self.stay * self.visit_mass(0.0, self.days_since))

    def alive(self) -> float:
        here = self.stay * self.still_here(self.days_since) * self.gap.sf(self.days_since)
        return clip(here / self.no_visit_yet())

    def returns_within(self, days: float) -> float:
        ds = self.days_since
        return self.returns_in(_gap_grid(self.gap, 0.0, ds), _gap_grid(self.gap, ds, ds + days))


def _counted(h: History) -> tuple[int, float, float]:
    """Her as BG/NBD counts her: returns, the last one's day after her first, her age."""
    return len(h.log_gaps), h.span_days, h.span_days + h.days_since


def _client(p: Params, h: History, chances: list[float] | None = None) -> _Client:
    """Her as `p` sees her; `chances`, if given, gets how likely each gap was a break."""
    m = len(h.log_gaps)
    stay = (p.b + m) / (p.a + p.b + m)
    chances = [] if chances is None else chances
    gap = next_gap(p, h, chances)
    rate = _leaving_rate(p.hazard_rate, p.hazard_spacing, spacing_out(h, chances, gap.scale))
    return _Client(gap, stay, rate + h.span_days, p.hazard_shape, h.days_since, _is_regular(h))


# Spacing out is read from this many completed gaps on: the last two against the rest.
SPACING_MIN_GAPS = 4
SPACING_MOST_SPREADS = 3.0  # beyond this, how far beyond says nothing more


def spacing_out(h: History, chances: Sequence[float], spread: float) -> float:
    """How many of her spreads (`spread`: her next log gap's scale) her last two gaps were
    longer than her earlier ones (the mean of the two against the median of the rest,
    each counted as far as it was no break, `chances` being next_gap's; 0 if not longer,
    or too few gaps to say). A break is not spacing out: the model has its own; and for
    an irregular client the same stretch is noise."""
    gaps = h.log_gaps
    if len(gaps) < SPACING_MIN_GAPS:
        return 0.0
    usual = median(gaps[:-2])
    weights = [1.0 - c for c in chances[-2:]]
    if sum(weights) < 1e-6:
        return 0.0
    longer = sum(w * (y - usual) for w, y in zip(weights, gaps[-2:], strict=True)) / sum(weights)
    return min(SPACING_MOST_SPREADS, max(0.0, longer / spread))


def _due(c: _Client) -> bool:
    """Her visit is due: her silence is past her rhythm's median gap. Before it she is
    never at risk or lapsed, whatever her P(alive): right after a visit that is the chance
    she stays ((b + m) / (a + b + m)), which would call a newcomer at risk on her first
    evening (docs/retention-log.md, 7 Dec 2026)."""
    return c.days_since > math.exp(c.gap.loc)


def _leaving_rate(rate: float, strength: float, spacing: float) -> float:
    """The Gamma rate of her leaving in between: lower (sooner gone) as she spaces out."""
    return rate * math.exp(-strength * spacing) if strength and spacing else rate


class ReturnModel:
    """The fitted population of one business; answers questions about any one client.

    Her P(return) and P(alive) are stacked: the renewal model's, and with `counts_weight`
    (learnt in validate(); 0 unless the business's own past favours it) the counting
    model's, BG/NBD (Yao, Vehtari, Simpson & Gelman, "Using stacking to average Bayesian
    predictive distributions", Bayesian Analysis 2018). Where buyers come and go as
    BG/NBD has it (a shop of rare buyers: CDNOW's), the renewal model reads a slow
    first-timer's silence as leaving; where clients keep a rhythm (a salon), BG/NBD
    misses it. Which holds is the business's own. Her status and when it turns stay the
    renewal model's alone: BG/NBD holds a first-timer alive for ever, so no threshold
    on its P(alive) would ever lapse her."""

    def __init__(
        self,
        params: Params,
        thresholds: Thresholds = Thresholds(),
        clients: int = 0,
        fitted_at: datetime | None = None,
        counts: BGNBD | None = None,
        counts_weight: float = 0.0,
        window_days: float = WINDOW_DAYS,
    ) -> None:
        if not 0.0 <= counts_weight <= 1.0 or (counts_weight and counts is None):
            raise ValueError("a counting model's weight is in [0, 1], and needs the model")
        if not 0.0 < window_days <= LONGEST_WINDOW_DAYS:
            raise ValueError("the window is a positive number of days")
        self.params = params
        self.thresholds = thresholds
        self.clients = clients
        self.fitted_at = fitted_at
        self.counts = counts
        self.counts_weight = counts_weight
        # The window its thresholds were fitted for ("no visit in it" is a lapse): the one
        # the owner's P(return) is asked over.
        self.window_days = window_days
        self._centred: dict[float, ReturnModel] = {}

    def _with(self, params: Params, thresholds: Thresholds) -> ReturnModel:
        return ReturnModel(
            params, thresholds, self.clients, self.fitted_at, self.counts, self.counts_weight, self.window_days
        )

    def with_thresholds(self, thresholds: Thresholds) -> ReturnModel:
        return self._with(self.params, thresholds)

    @property
    def typical_gap_days(self) -> float:
        """A typical client's median gap: where a client's rhythm starts before her own
        gaps speak (the population's centre, or the one it was centred_on)."""
        return round(math.exp(self.params.mu0), 6)

    def centred_on(self, gap_days: float | None) -> ReturnModel:
        """The model for a client whose usual gap is known beforehand (the return interval
        the owner set for her service): her rhythm starts from it instead of the
        population's centre, and her own gaps take over as they come, as from any centre.
        None: the population's. The population's other parts, the thresholds and the
        counting model stay."""
        if gap_days is None:
            return self
        if not 0.0 < gap_days < math.inf:
            raise ValueError("a usual gap is a positive number of days")
        centred = self._centred.get(gap_days)
        if centred is None:
            centred = self._centred[gap_days] = self._with(
                replace(self.params, mu0=math.log(gap_days)), self.thresholds
            )
        return centred

    def p_alive(self, visits: Sequence[datetime], as_of: datetime) -> float:
        """P(she is still a client): will come back some day if nothing changes."""
        h = summarize(visits, as_of)
        if h is None:
            return 1.0
        return self._stacked(_client(self.params, h).alive(), lambda m: m.alive(*_counted(h)))

    def p_still_client(self, visits: Sequence[datetime], as_of: datetime) -> float:
        """The chance `status()` judges her by once her visit is due (her own P(alive), not
        stacked): what the owner's limits are set against, shown beside her status."""
        h = summarize(visits, as_of)
        return 1.0 if h is None else _client(self.params, h).alive()

    def p_return(self, visits: Sequence[datetime], as_of: datetime, within_days: float) -> float:
        """P(at least one visit in (as_of, as_of + within_days]); an infinite window is a
        century's (no client's story is longer); a negative one or NaN is refused."""
        if not within_days >= 0.0:  # NaN too
            raise ValueError("within_days must be a number of days, not negative")
        within_days = min(within_days, LONGEST_WINDOW_DAYS)
        h = summarize(visits, as_of)
        if h is None:
            return 0.0
        own = _client(self.params, h).returns_within(within_days)
        return self._stacked(own, lambda m: m.returns_within(*_counted(h), within_days))

    def _stacked(self, own: float, counted: Callable[[BGNBD], float]) -> float:
        w = self.counts_weight
        if self.counts is None or not w:
            return own
        return clip((1.0 - w) * own + w * counted(self.counts))

    def expected_next_visit(self, visits: Sequence[datetime], as_of: datetime) -> datetime | None:
        """When her rhythm brings her back (the median of her rhythm's next gap)."""
        h = summarize(visits, as_of)
        if h is None:
            return None
        return h.last_visit + timedelta(days=math.exp(_rhythm(self.params, h.log_gaps)[0]))

    def status(
        self, visits: Sequence[datetime], as_of: datetime, has_future_booking: bool, maintenance: bool = False
    ) -> str:
        """active | at_risk | lapsed | maintenance; never better for another day of silence."""
        if maintenance:
            return "maintenance"
        h = summarize(visits, as_of)
        if has_future_booking or h is None:
            return "active"
        return STATUSES[self._severity(h)]

    def turns(self, visits: Sequence[datetime], as_of: datetime) -> tuple[datetime | None, datetime | None]:
        """When she turns at risk and when lapsed if nothing changes (no visit, nothing
        booked): the keys of the win-back and at-risk indexes. None: not within
        TURN_LIMIT_DAYS of her last visit. Exact to the minute, by bisection, which the
        status never getting better with silence makes sound."""
        h = summarize(visits, as_of)
        if h is None:
            return None, None
        return self._turn(h, 1), self._turn(h, 2)

    def _severity(self, h: History) -> int:
        return self._client_severity(_client(self.params, h))

    def _client_severity(self, c: _Client) -> int:
        """0 active, 1 at risk, 2 lapsed: by P(alive), once her visit is due."""
        if not _due(c):
            return 0
        alive = c.alive()
        at_risk_below, lapsed_below = self.thresholds.for_client(c.regular)
        return 2 if alive < lapsed_below else 1 if alive < at_risk_below else 0

    def _turn(self, h: History, severity: int) -> datetime | None:
        client = _client(self.params, h)  # all but the silence stays the same
        client = replace(client, gap=_RememberedGap(**vars(client.gap)))

        def reached(days: float) -> bool:
            return self._client_severity(replace(client, days_since=days)) >= severity

        if not reached(TURN_LIMIT_DAYS):
            return None
        lo, hi = 0.0, TURN_LIMIT_DAYS
        while hi - lo > 1.0 / (24 * 60):
            mid = (lo + hi) / 2.0
            lo, hi = (lo, mid) if reached(mid) else (mid, hi)
        return h.last_visit + timedelta(days=hi)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "params": asdict(self.params),
            "clients": self.clients,
            "fitted_at": self.fitted_at.isoformat() if self.fitted_at else None,
            "thresholds": asdict(self.thresholds),
            "counts": asdict(self.counts) if self.counts else None,
            "counts_weight": self.counts_weight,
            "window_days": self.window_days,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], thresholds: Thresholds | None = None) -> ReturnModel:
        """The stored model, with `thresholds` (a business's configured ones), or None:
        those stored with it (validate()'s, the defaults in a model stored without)."""
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unknown return model format {data.get('version')!r}")
        fitted = data.get("fitted_at")
        if thresholds is None:
            thresholds = Thresholds(**data.get("thresholds", {}))
        stored = dict(data["params"])
        # Stored before 4 Dec 2026: no calendar.
        season = tuple(float(x) for x in stored.pop("season", NO_SEASON))
        lengths = tuple(float(x) for x in stored.pop("season_breaks", ()))
        # Stored before spacing out (4 Dec 2026, late): no sign of leaving.
        spacing = float(stored.pop("hazard_spacing", 0.0))
        later = ("season", "season_breaks", "hazard_spacing")
        numbers = {f.name: float(stored[f.name]) for f in fields(Params) if f.name not in later}
        params = Params(**numbers, season=season, season_breaks=lengths, hazard_spacing=spacing)
        # Stored before stacking (4 Dec 2026, the next): the renewal model alone.
        counts = data.get("counts")
        return cls(
            params,
            thresholds,
            int(data.get("clients", 0)),
            datetime.fromisoformat(fitted) if fitted else None,
            BGNBD(**{k: float(counts[k]) for k in ("r", "alpha", "a", "b")}) if counts else None,
            float(data.get("counts_weight", 0.0)),
            float(data.get("window_days", WINDOW_DAYS)),  # stored before 5 Dec 2026: half a year
        )


def fit(
    histories: Sequence[Sequence[datetime]],
    as_of: datetime,
    prior: Prior = Prior(),
    window_days: float = WINDOW_DAYS,
) -> ReturnModel:
    """The business's model as the product uses it (each history: a client's visits, in
    any zone, read in UTC; only those before `as_of` count): the population fitted to its clients
    (fit_population), then the lapse thresholds and spacing out's strength from what
    became of its clients after its own earlier moments (validate(), for "no visit in
    `window_days`"), and the counting model's weight in P(return) from them too. With no
    clients the result is the prior itself."""
    as_of, histories = _utc(as_of), _listed(histories)
    model = fit_population(histories, as_of, prior)
    return validated(model, validate(histories, as_of, window_days, prior, model=model))


def fit_population(
    histories: Sequence[Sequence[datetime]], as_of: datetime, prior: Prior = Prior(), counting: bool = True
) -> ReturnModel:
    """The population alone, fitted to the clients as of `as_of`: the default thresholds,
    no spacing out, no stacking; with the counting model if `counting` (each of
    validate()'s inner splits fits the renewal model only)."""
    as_of, histories = _utc(as_of), _listed(histories)
    summaries = _in_canonical_order([h for h in (summarize(v, as_of) for v in histories) if h is not None])
    centre = prior.params()
    if not summaries:
        return ReturnModel(centre, Thresholds(), 0, as_of, prior.counts() if counting else None)
    sample, weight = _even_sample(summaries, MAX_FIT_CLIENTS, prior.weight)
    params = _fit_rhythm(sample, centre, weight)
    params = _fit_tail(sample, params, centre, weight)
    counts = _fit_counts(sample, prior.counts(), weight) if counting else None
    sample, weight = _even_sample(summaries, MAX_LEAVING_CLIENTS, prior.weight)
    params = _fit_leaving(sample, params, centre, weight)
    return ReturnModel(params, Thresholds(), len(summaries), as_of, counts)


# --- validation on the business's own recent past --------------------------------------

# Inner time splits: the model is fitted as of one and two windows before the moment,
# and judged on the window after each (all of it before the moment), so a threshold is
# never tuned on what it is later used to predict.
VALIDATION_SPLITS = 2
MAX_VALIDATION_CLIENTS = 5000
MAX_EXPECTED_CLIENTS = 2000
# Stacking's weight is one number: two splits' worth of the expected best's sample pin it.
MAX_STACKING_OUTCOMES = 2 * MAX_EXPECTED_CLIENTS
# Fewer outcomes than this of either kind among regulars: they share everyone's threshold.
MIN_REGULAR_CASES = 40
# Fewer clients than this expected to lapse, or to return, in the window: the model's own
# best threshold is not worked out (a handful of clients), and the default stands.
MIN_EXPECTED_CASES = 10.0
# A fitted threshold is only as good as its outcomes: it is pulled towards the model's
# own best guess (expected_f1_threshold; the default without one) with this many
# outcomes' worth of weight, against the fewer kind (came back / did not) of the inner
# splits.
THRESHOLD_PRIOR_CASES = 100.0


@dataclass(frozen=True)
class Validation:
    """What the inner splits said: the lapse thresholds with the best F1 of "lapsed" for
    "no visit in the window", for everyone and for regulars; spacing out's strength; the
    counting model's weight in P(return)."""

    thresholds: Thresholds
    cases: int
    lapsed_cases: int
    spacing: float = 0.0  # Params.hazard_spacing, from the inner splits' outcomes
    counts_weight: float = 0.0  # ReturnModel.counts_weight, from them too
    window_days: float = WINDOW_DAYS  # the window all of it was judged in


def validate(
    histories: Sequence[Sequence[datetime]],
    as_of: datetime,
    window_days: float,
    prior: Prior = Prior(),
    splits: int = VALIDATION_SPLITS,
    model: ReturnModel | None = None,
) -> Validation:
    """Refit as of `splits` earlier moments a window apart and compare each client's
    P(alive), once her visit was due, with whether she came in the window after; each
    threshold found so is pulled towards the one the model as of `as_of` (`model`, fitted
    here when None) expects to be best for its clients now (expected_f1_threshold), the
    more the fewer outcomes the inner splits had. The same outcomes give spacing out's
    strength and, judged with `model`'s own fits, the counting model's weight (from half
    windows when the records are younger than one)."""
    as_of, histories = _utc(as_of), _listed(histories)
    rows: list[_Case] = []
    # The clients seen by the moment (no other has an outcome or an expected one), in
    # their canonical order, so that the samples below are the same however listed.
    seen = _canonical_clients(histories, as_of)
    # Each split's outcomes from at most MAX_VALIDATION_CLIENTS clients, evenly spread:
    # a big business's threshold is as sure from them, in half the weekly job's time.
    judged = _evenly(seen, MAX_VALIDATION_CLIENTS)
    now = model or fit_population(histories, as_of, prior)
    outcomes: list[_Outcome] = []
    for start, cases in _inner_splits(judged, as_of, window_days, splits):
        model = fit_population(histories, start, prior, counting=False)
        outcomes += [_Outcome(model, h, came, window_days) for h, came in cases]
    spacing = _fit_spacing(outcomes)
    # Stacking is judged with the moment's own models (both fitted on these outcomes too,
    # alike): a weight judged with the inner splits' own fits was stale by the moment, the
    # renewal model gaining more from a longer record than BG/NBD (docs/retention.md).
    stacked = 0.0
    if now.counts is not None:  # a caller's model without one: nothing to stack
        judged_now = [_Outcome(now, o.history, o.came, window_days) for o in _evenly(outcomes, MAX_STACKING_OUTCOMES)]
        if not judged_now:
            # Records younger than a window have no inner split: half windows judge the
            # weight instead (a shop of rare buyers is BG/NBD's from its first months).
            half = window_days / 2.0
            cases = [c for _, split in _inner_splits(judged, as_of, half, splits) for c in split]
            judged_now = [_Outcome(now, h, came, half) for h, came in _evenly(cases, MAX_STACKING_OUTCOMES)]
        stacked = _fit_stacking(judged_now, spacing)
    for o in outcomes:
        c = o.spaced(spacing)
        rows.append(_Case(_due(c), c.alive(), not o.came, c.regular))
    # The expected best from fewer still (its curve is smooth): each client costs her
    # P(return) over the window, 0.35 ms; 5 000 of them were a quarter of the weekly fit.
    sample = _evenly(seen, MAX_EXPECTED_CLIENTS)
    spaced = replace(now.params, hazard_spacing=spacing)
    clients = [_client(spaced, h) for h in (summarize(v, as_of) for v in sample) if h is not None]
    expected = expected_f1_threshold(clients, window_days, MIN_EXPECTED_CASES)
    expected_regular = expected_f1_threshold([c for c in clients if c.regular], window_days, MIN_REGULAR_CASES)
    lapsed = sum(1 for r in rows if r.lapsed)
    found = _best_f1_threshold(rows)
    if found is None and expected is None:
        return Validation(Thresholds(), len(rows), lapsed, spacing, stacked, window_days)
    anchor = Thresholds().lapsed_below if expected is None else expected
    everyone = anchor if found is None else _shrunk(found, anchor, min(lapsed, len(rows) - lapsed))
    regulars = [r for r in rows if r.regular]
    gone = min(sum(1 for r in regulars if r.lapsed), sum(1 for r in regulars if not r.lapsed))
    found = _best_f1_threshold(regulars) if gone >= MIN_REGULAR_CASES else None
    regular_anchor = everyone if expected_regular is None else expected_regular
    regular = expected_regular if found is None else _shrunk(found, regular_anchor, gone)
    return Validation(Thresholds.around(everyone, regular), len(rows), lapsed, spacing, stacked, window_days)


def _inner_splits(
    histories: Sequence[Sequence[datetime]], as_of: datetime, window_days: float, splits: int
) -> Iterator[tuple[datetime, list[tuple[History, bool]]]]:
    """Each inner split's moment, one to `splits` windows before `as_of`, and its clients
    then: each one's history as of the moment and whether she came in the window after."""
    window = timedelta(days=window_days)
    for k in range(1, splits + 1):
        try:
            start = as_of - k * window
        except OverflowError:  # before the year 1: no records there
            return
        cases = []
        for visits in histories:
            seen, moment = _in_utc(visits, start)  # aligned once, for both uses
            h = summarize(seen, moment)
            if h is not None:
                cases.append((h, any(moment <= v < moment + window for v in seen)))
        yield start, cases


class _Outcome:
    """One client at an inner split and whether she came in the window after: her
    P(return) for any strength of spacing out, from her gap's masses worked out once."""

    def __init__(self, model: ReturnModel, h: History, came: bool, window_days: float) -> None:
        chances: list[float] = []
        params = model.params
        c = _client(params, h, chances)  # the inner split's fit_population(): strength 0
        self.client, self.rate, self.span, self.came = c, params.hazard_rate, h.span_days, came
        self.counted = model.counts.returns_within(*_counted(h), window_days) if model.counts else None
        self.history = h
        self.spacing = spacing_out(h, chances, c.gap.scale)
        self.before = _gap_grid(c.gap, 0.0, c.days_since)
        self.within = _gap_grid(c.gap, c.days_since, c.days_since + window_days)

    def p_return(self, strength: float) -> float:
        return self.spaced(strength).returns_in(self.before, self.within)

    def spaced(self, strength: float) -> _Client:
        return replace(self.client, horizon=_leaving_rate(self.rate, strength, self.spacing) + self.span)


SPACING_MOST = 1.5  # exp(1.5 x 3): three spreads longer, 90 times as readily


def _fit_spacing(outcomes: list[_Outcome]) -> float:
    """How strongly spacing out hastens leaving: the strength whose P(return) best
    foretold who came back after the inner splits (their log-likelihood, a standard
    normal prior on it). Only clients who spaced out move with it."""
    moved = [o for o in outcomes if o.spacing > 0.0]
    if not moved:
        return 0.0

    def loss(strength: float) -> float:
        total = 0.0
        for o in moved:
            p = min(1.0 - 1e-9, max(1e-9, o.p_return(strength)))
            total += math.log(p if o.came else 1.0 - p)
        return -total + strength * strength / 2.0

    found = golden(loss, 0.0, SPACING_MOST)
    return found if loss(found) < loss(0.0) else 0.0


# Stacking needs this much evidence (nats of the inner splits' outcomes) before the
# counting model gets any weight: a lucky handful of outcomes must not move a small business.
STACKING_EVIDENCE = 3.0


def _fit_stacking(outcomes: list[_Outcome], spacing: float) -> float:
    """The counting model's weight in P(return): the one whose mixture best foretold
    who came back after the inner splits (their log-likelihood; concave in the weight)."""
    pairs = [(o.p_return(spacing), o.counted, o.came) for o in outcomes if o.counted is not None]
    if not pairs:
        return 0.0

    def loss(w: float) -> float:
        total = 0.0
        for own, counted, came in pairs:
            p = min(1.0 - 1e-9, max(1e-9, (1.0 - w) * own + w * counted))
            total += math.log(p if came else 1.0 - p)
        return -total

    found = golden(loss, 0.0, 1.0)
    return found if loss(0.0) - loss(found) >= STACKING_EVIDENCE else 0.0


def expected_f1_threshold(clients: Sequence[_Client], window_days: float, least: float = 1.0) -> float | None:
    """The P(alive) below which flagging the overdue clients has the best F1 of "no visit
    in the window" that the model itself expects: each client counts as lapsed with her
    probability of no visit (the plug-in, decision-theoretic choice of a threshold for
    F1: Nan, Chai, Lee & Chieu, "Optimizing F-measure: a tale of two approaches", ICML
    2012). It needs no outcomes, so it holds for a business with little history as for
    one with years; it is as good as the model's calibration. None with fewer than
    `least` clients expected to lapse or to return."""
    gone = [1.0 - c.returns_within(window_days) for c in clients]
    total = sum(gone)
    if total < least or len(clients) - total < least:
        return None
    return _best_cut([(c.alive(), q) for c, q in zip(clients, gone, strict=True) if _due(c)], total)


def _shrunk(fitted: float, towards: float, cases: int) -> float:
    weight = cases / (cases + THRESHOLD_PRIOR_CASES)
    return weight * fitted + (1.0 - weight) * towards


def validated(model: ReturnModel, v: Validation) -> ReturnModel:
    """The model with the inner splits' thresholds, spacing out and stacking."""
    params = replace(model.params, hazard_spacing=v.spacing)
    return ReturnModel(
        params, v.thresholds, model.clients, model.fitted_at, model.counts, v.counts_weight, v.window_days
    )


@dataclass(frozen=True)
class _Case:
    due: bool
    alive: float
    lapsed: bool
    regular: bool


def _best_f1_threshold(rows: list[_Case]) -> float | None:
    """The P(alive) below which "due and below it" has the best F1 for "no visit in the
    window"; None without outcomes of both kinds."""
    lapsed = sum(1 for r in rows if r.lapsed)
    if not lapsed or lapsed == len(rows):
        return None
    return _best_cut([(r.alive, float(r.lapsed)) for r in rows if r.due], lapsed)


def _best_cut(due: list[tuple[float, float]], lapsed: float) -> float | None:
    """The P(alive) below which flagging the overdue (each: her P(alive), and 1/0 for
    lapsed or her probability of it) has the best F1 against `lapsed` in all."""
    due.sort()
    best, best_f1, tp = None, -1.0, 0.0
    for i, (alive, gone) in enumerate(due):
        tp += gone
        nxt = due[i + 1][0] if i + 1 < len(due) else 1.0
        if nxt <= alive:
            continue  # flag all of a tie or none of it
        f1 = 2.0 * tp / (i + 1 + lapsed)
        if f1 > best_f1:
            best, best_f1 = (alive + nxt) / 2.0, f1
    return None if best is None else bound(best, 0.01, 0.98)


# --- fitting ------------------------------------------------------------------------

MAX_FIT_CLIENTS = 5000
MAX_LEAVING_CLIENTS = 1200
MAX_TAIL_GAPS = 2500
# However exact her past gaps (standing appointments), her next is not predicted closer
# than this (log days: about +-10 %, three days on a four-week rhythm).
MIN_LOG_SPREAD = 0.1
# The caps on the next log gap's degrees of freedom tried in the fit (200: hardly a cap).
DF_CHOICES = (2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 20.0, 50.0, 200.0)


# Prefixed to what _order_key hashes: empty (the product's canonical order); another salt
# draws other pseudo-random samples from the same clients, so that a probe can see how
# much the capped stages' figures move with which clients they see (bench/lapse.py
# --order-salt; docs/retention-log.md).
ORDER_SALT = b""


def _order_key(h: History) -> tuple[bytes, float, tuple[float, ...], tuple[float, ...]]:
    """Her place in the canonical order: a hash of her history's content (her visits as
    the fit sees them; ORDER_SALT before it), then the content itself; the same for the
    same visits however the clients are listed, and as good as a random draw for
    everything that samples."""
    content = (h.last_visit.timestamp(), h.log_gaps, h.months)
    return hashlib.blake2b(ORDER_SALT + repr(content).encode(), digest_size=8).digest(), *content


def _in_canonical_order(summaries: list[History]) -> list[History]:
    """The clients in an order fixed by their histories alone (a pseudo-random one, from
    _order_key), so that every sample (_evenly, the breaks' first MAX_TAIL_GAPS gaps),
    the calendar's folds and every sum in the fit are the same whatever order the caller
    listed them in, and each spreads over all of them, not over the first listed or
    the oldest."""
    return sorted(summaries, key=_order_key)


def _canonical_clients(histories: Sequence[Sequence[datetime]], as_of: datetime) -> list[Sequence[datetime]]:
    """The histories with a visit before `as_of`, in the canonical order of their
    summaries then (_in_canonical_order)."""
    keyed = [(_order_key(h), v) for v, h in ((v, summarize(v, as_of)) for v in histories) if h is not None]
    keyed.sort(key=lambda kv: kv[0])
    return [v for _, v in keyed]


def _evenly(items: Sequence[T], most: int) -> list[T]:
    """At most `most` of `items`, evenly spread (over the canonical order: a
    pseudo-random sample)."""
    n = len(items)
    return [items[i * n // most] for i in range(most)] if n > most else list(items)


def _even_sample(summaries: list[History], most: int, weight: float) -> tuple[list[History], float]:
    """At most `most` clients, evenly spread (a few thousand pin a handful of numbers just
    as well), and the prior's weight against them as against the whole business."""
    if len(summaries) <= most:
        return summaries, weight
    return _evenly(summaries, most), weight * most / len(summaries)


def _fit_rhythm(summaries: list[History], centre: Params, weight: float) -> Params:
    """The rhythm prior by the marginal likelihood of the completed gaps (closed form, as
    _predictive has it): each client's spread of log gaps about her own mean (which says
    nothing of her usual gap) under the inverse-gamma, then her mean log gap, normal about
    mu0 with the between-client spread tau0 and her own spread's share."""
    by_gaps: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for h in summaries:
        if h.log_gaps:
            mean = sum(h.log_gaps) / len(h.log_gaps)
            by_gaps[len(h.log_gaps)].append((mean, sum((y - mean) ** 2 for y in h.log_gaps)))
    if not by_gaps:
        return centre
    start = [centre.mu0, math.log(centre.tau0), math.log(centre.alpha0), math.log(centre.beta0)]

    def unpack(x: list[float]) -> tuple[float, float, float, float]:
        # Bounded: gaps that never vary (standing appointments) would drive the prior to
        # zero spread and infinite certainty, and its likelihood has no top there: the
        # spread it expects is at least MIN_LOG_SPREAD, what predictions are held to
        # anyway (a business of 30 weekly standing appointments had a newcomer expected
        # after 192 days without it; a probe).
        a0 = math.exp(bound(x[2], -1, 7))
        b0 = max(math.exp(bound(x[3], -12, 5)), a0 * MIN_LOG_SPREAD**2)
        return x[0], math.exp(bound(x[1], -6, 3)), a0, b0

    def loss(x: list[float]) -> float:
        mu0, t0, a0, b0 = unpack(x)
        total, tt = 0.0, t0 * t0
        for m, rows in by_gaps.items():
            an = a0 + (m - 1) / 2.0
            const = math.lgamma(an) - math.lgamma(a0) + a0 * math.log(b0)
            for y, ss in rows:
                bn = b0 + ss / 2.0
                var = tt + bn / (an * m)
                total += const - an * math.log(bn) - 0.5 * math.log(var) - (y - mu0) ** 2 / (2.0 * var)
        return -total + _penalty(x, start, weight)

    mu0, t0, a0, b0 = unpack(nelder_mead(loss, start))
    return replace(centre, mu0=mu0, tau0=t0, alpha0=a0, beta0=b0)


def _fit_tail(summaries: list[History], rhythm: Params, centre: Params, weight: float) -> Params:
    """Breaks and the degrees-of-freedom cap: whatever best predicts each client's next
    gap from her earlier ones (the prequential log score, Dawid 1984), from the clients
    first in the canonical order (a pseudo-random sample) until MAX_TAIL_GAPS gaps; then
    the year's share of breaks again, its gaps weighted for censoring."""
    clients, total = [], 0
    for h in summaries:
        if h.log_gaps and total < MAX_TAIL_GAPS:
            clients.append(h)
            total += len(h.log_gaps)
    if not clients:
        return rhythm
    weight *= total / max(1, sum(len(h.log_gaps) for h in summaries))

    def densities(cap: float, among: list[History] = clients) -> list[_Gaps]:
        capped = replace(rhythm, max_df=cap)
        return [_Gaps(h.log_gaps, _rhythm_densities(capped, h.log_gaps), h.months, _places(h.months)) for h in among]

    fitted = _fit_breaks(densities(rhythm.max_df), rhythm, centre, weight)
    best_cap = max(DF_CHOICES, key=lambda cap: _tail_score(densities(cap), fitted))
    sequences = densities(best_cap)
    fitted = replace(fitted, max_df=best_cap)
    if best_cap != rhythm.max_df:
        fitted = _fit_breaks(sequences, fitted, centre, weight)
    fitted = _fit_share_uncensored(sequences, _uncensored(summaries, clients), fitted, centre, weight)
    # The months from every client in the sample with a settled gap: a month's breaks are few.
    settled = [(h, w) for h, w in zip(summaries, _gap_weights(summaries), strict=True) if any(w)]
    return _fit_calendar(densities(best_cap, [h for h, _ in settled]), fitted, [w for _, w in settled])


@dataclass(frozen=True)
class _Gaps:
    """One client's completed gaps as the tail's fit sees them: their logs, each one's
    density under her rhythm from the gaps before it, and where in the year each began
    (also as _places, worked out once for the fit's many rounds)."""

    log_gaps: tuple[float, ...]
    rhythm: list[float]
    months: tuple[float, ...]
    places: tuple[tuple[int, int, float], ...]


# A gap that began this long before the fit has had time to end even as a break; later
# ones that have ended are mostly short, and would hide the breaks of their month.
SEASON_SETTLED_DAYS = 365.0
# A longer gap counts for the gaps that began too late to show it ended, at most this often
# (in its month's breaks, and in the year's share of them).
SEASON_MAX_WEIGHT = 4.0
# Each month's breaks are pulled towards the year's: their share with this many breaks'
# worth, their lengths with this many.
SEASON_PRIOR_BREAKS = 10.0
SEASON_PRIOR_LENGTHS = 10.0
SEASON_ROUNDS = 3  # from the year's breaks: within 0.01 of ten rounds' P(return)
# The held-out log score a calendar must gain: a pseudo-Bayes factor (Geisser & Eddy
# 1979) of e^5, "very strong" on Kass & Raftery's (1995) scale. A noise calendar gains
# about nothing (MovieLens: -5 to +0.6), a salon with seasonal clients hundreds.
SEASON_MIN_GAIN = 5.0


def _begun(h: History) -> list[float]:
    """How long before the moment each of her completed gaps began, oldest first (her open
    one began h.days_since ago)."""
    ago, agos = h.days_since, []
    for y in reversed(h.log_gaps):
        ago += math.exp(y)
        agos.append(ago)
    return agos[::-1]


def _gap_weights(summaries: list[History]) -> list[list[float]]:
    """What each client's gaps count for in their months' breaks: nothing if begun less
    than SEASON_SETTLED_DAYS ago; a longer gap, for as many of its month's settled starts
    as there are per start early enough to have shown a gap that long (inverse
    probability of censoring weighting: a year-and-a-half break seen only from the first
    autumn stands for the later autumns' too); others once."""
    starts: list[list[float]] = [[] for _ in range(12)]  # how long ago each gap began, by month
    begun = [_begun(h) for h in summaries]
    for h, agos in zip(summaries, begun, strict=True):
        starts[_calendar_month(h.next_month())].append(h.days_since)  # the open gap
        for month, ago in zip(h.months, agos, strict=True):
            starts[_calendar_month(month)].append(ago)
    for row in starts:
        row.sort()

    def seen(month: int, days: float) -> int:
        return len(starts[month]) - bisect_left(starts[month], days)

    out = []
    for h, agos in zip(summaries, begun, strict=True):
        weights = []
        for y, month, ago in zip(h.log_gaps, h.months, agos, strict=True):
            days = math.exp(y)
            if ago < SEASON_SETTLED_DAYS:
                weights.append(0.0)
            elif days <= SEASON_SETTLED_DAYS:
                weights.append(1.0)
            else:
                m = _calendar_month(month)
                weights.append(min(SEASON_MAX_WEIGHT, seen(m, SEASON_SETTLED_DAYS) / max(1, seen(m, days))))
        out.append(weights)
    return out


def _fit_calendar(sequences: list[_Gaps], p: Params, counts: list[list[float]]) -> Params:
    """The months' breaks only if they predict: fitted on every other client (in the
    canonical order: a pseudo-random half), they must score the others' gaps better than
    the year's breaks do, both ways round, by SEASON_MIN_GAIN (two-fold cross-validation;
    a business with no calendar in its clients' lives keeps none)."""
    gain = 0.0
    for half in (0, 1):
        calendar = _fit_season(sequences[half::2], p, counts[half::2])
        judged = sequences[1 - half :: 2]
        gain += _tail_score(judged, calendar) - _tail_score(judged, p)
    return _fit_season(sequences, p, counts) if gain > SEASON_MIN_GAIN else p


def _fit_season(sequences: list[_Gaps], p: Params, counts: list[list[float]]) -> Params:
    """Each month's breaks (share and lengths) by expectation-maximisation over the settled
    gaps (each counting as _gap_weights says): how likely each was a break given its
    month's breaks so far, then the month's breaks from those chances, every month pulled
    towards the year's log-normal breaks."""
    year_pause = Pause(p.break_mu, p.break_sigma)
    edges = [year_pause.sf(c * HALF_LOG2) for c in range(BREAK_CELLS)] + [0.0]
    year_cells = [edges[c] - edges[c + 1] for c in range(BREAK_CELLS)]
    for _ in range(SEASON_ROUNDS):
        weight, gaps = [0.0] * 12, [0.0] * 12
        cells = [0.0] * (12 * BREAK_CELLS)
        for g, own in zip(sequences, counts, strict=True):
            chances: list[float] = []
            _breaks(p, g.log_gaps, g.rhythm, g.places, chances)
            for chance, y, month, count in zip(chances, g.log_gaps, g.months, own, strict=True):
                if count:  # each month's from the gaps begun in it: its middle's
                    m = _calendar_month(month)
                    weight[m] += chance * count
                    cells[m * BREAK_CELLS + _cell_of(y)] += chance * count
                    gaps[m] += count
        if not sum(gaps):
            return p
        year = bound(sum(weight) / sum(gaps), 1e-4, 0.5)
        pull, k = SEASON_PRIOR_BREAKS / year, SEASON_PRIOR_LENGTHS
        season: list[float] = []
        lengths: list[float] = []
        for month, (w, n) in enumerate(zip(weight, gaps, strict=True)):
            season.append(logit(bound((w + pull * year) / (n + pull), 1e-4, 0.99)) - logit(year))
            own = cells[month * BREAK_CELLS : (month + 1) * BREAK_CELLS]
            lengths.extend((c + k * y) / (w + k) for c, y in zip(own, year_cells, strict=True))
        p = replace(p, season=tuple(season), season_breaks=tuple(lengths))
    return p


def _fit_breaks(sequences: list[_Gaps], p: Params, centre: Params, weight: float) -> Params:
    def unpack(x: list[float]) -> Params:
        share = 1.0 / (1.0 + math.exp(-x[0]))
        return replace(p, break_share=share, break_mu=x[1], break_sigma=math.exp(x[2]), break_weight=math.exp(x[3]))

    start = [logit(centre.break_share), centre.break_mu, math.log(centre.break_sigma), math.log(centre.break_weight)]
    x = nelder_mead(lambda x: -_tail_score(sequences, unpack(x)) + _penalty(x, start, weight), start)
    return unpack(x)


def _tail_score(sequences: list[_Gaps], p: Params) -> float:
    return sum(_breaks(p, g.log_gaps, g.rhythm, g.places)[0] for g in sequences)


def _uncensored(summaries: list[History], clients: list[History]) -> list[list[float]]:
    """What each of `clients`' completed gaps counts for in the share of breaks: 1 / the
    share of all gaps begun (the open ones too) that began at least as long before the
    fit as it lasted, at most SEASON_MAX_WEIGHT (inverse probability of censoring
    weighting: the records end at the fit, so a long gap is seen ended only if it began
    early, and a share learnt from the ended ones alone holds too few breaks)."""
    starts = sorted(ago for h in summaries for ago in (h.days_since, *_begun(h)))  # the open gaps too
    n = len(starts)

    def weight(days: float) -> float:
        seen = n - bisect_left(starts, days)
        return min(SEASON_MAX_WEIGHT, n / max(1, seen))

    return [[weight(math.exp(y)) for y in h.log_gaps] for h in clients]


def _fit_share_uncensored(
    sequences: list[_Gaps], weights: list[list[float]], p: Params, centre: Params, weight: float
) -> Params:
    """The year's share of breaks alone, refitted by the prequential score with each gap
    weighted for censoring (_uncensored); the breaks' length and the cap stay as fitted."""
    start = logit(centre.break_share)

    def loss(x: float) -> float:
        q = replace(p, break_share=1.0 / (1.0 + math.exp(-x)))
        score = sum(
            _breaks(q, g.log_gaps, g.rhythm, g.places, weights=w)[0] for g, w in zip(sequences, weights, strict=True)
        )
        return -score + _penalty([x], [start], weight)

    x = golden(loss, logit(p.break_share) - 3.0, logit(p.break_share) + 3.0)
    return replace(p, break_share=1.0 / (1.0 + math.exp(-x)))


def _fit_leaving(summaries: list[History], gaps: Params, centre: Params, weight: float) -> Params:
    """Leaving after a visit (a, b) and in between (hazard_shape, hazard_rate), given the
    gap model: each client stayed until her last visit and has not come back since."""
    by_gaps: dict[int, list[tuple[float, list[tuple[float, float]]]]] = defaultdict(list)
    for h in summaries:  # her span, and her gap's distribution over the silence since
        grid = _gap_grid(next_gap(gaps, h), 0.0, h.days_since)
        by_gaps[len(h.log_gaps)].append((h.span_days, [(day, mass) for day, mass in grid if mass > 1e-7]))
    names = ("a", "b", "hazard_shape", "hazard_rate")
    start = [math.log(getattr(centre, n)) for n in names]

    def loss(x: list[float]) -> float:
        a, b, shape, rate = (math.exp(v) for v in x)
        total = 0.0
        for m, rows in by_gaps.items():
            # E[(1-p)^m e^(-rate span) (p + (1-p) P(no visit since | stayed))]
            total += len(rows) * (log_beta(a, b + m) - log_beta(a, b) - math.log(a + b + m))
            for span, grid in rows:
                horizon = rate + span
                seen = sum(mass * (horizon / (horizon + day)) ** shape for day, mass in grid)
                total += shape * math.log(rate / horizon) + math.log(max(1e-300, a + b + m - (b + m) * seen))
        return -total + _penalty(x, start, weight)

    a, b, shape, rate = (math.exp(v) for v in nelder_mead(loss, start))
    return replace(gaps, a=a, b=b, hazard_shape=shape, hazard_rate=rate)


def _fit_counts(summaries: list[History], centre: BGNBD, weight: float) -> BGNBD:
    """BG/NBD by maximum a posteriori, the prior around `centre` as every stage's."""
    by_returns: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for h in summaries:
        x, tx, age = _counted(h)
        by_returns[x].append((tx, age))
    names = ("r", "alpha", "a", "b")
    start = [math.log(getattr(centre, n)) for n in names]

    def unpack(v: list[float]) -> BGNBD:
        return BGNBD(*(math.exp(bound(vi, si - 8.0, si + 8.0)) for vi, si in zip(v, start, strict=True)))

    def loss(v: list[float]) -> float:
        m = unpack(v)
        total = 0.0
        for x, rows in by_returns.items():
            total += len(rows) * m.common_log_likelihood(x) + sum(m.log_likelihood(x, tx, age) for tx, age in rows)
        return -total + _penalty(v, start, weight)

    return unpack(nelder_mead(loss, start))


def _penalty(x: list[float], centre: list[float], weight: float) -> float:
    """The prior: each (log-)parameter normal around its default with standard deviation
    1, counted `weight` times, so that a few hundred clients speak for themselves."""
    return weight * sum((xi - ci) ** 2 for xi, ci in zip(x, centre)) / 2.0


# --- the gap model ----------------------------------------------------------------------


def _rhythm(p: Params, log_gaps: Sequence[float]) -> tuple[float, float, float]:
    """Her next log gap's Student t (location, scale, degrees of freedom), her log gaps
    weighed against the rhythm prior (_predictive)."""
    m = len(log_gaps)
    mean = sum(log_gaps) / m if m else 0.0
    ss = sum((y - mean) ** 2 for y in log_gaps)
    return _predictive(p, m, mean, ss)


def _predictive(p: Params, m: int, mean: float, ss: float) -> tuple[float, float, float]:
    """Semi-conjugate (her usual log gap and her spread apart a priori): her spread from
    her gaps about their own mean (inverse-gamma, exact), her usual gap the precision-
    weighted blend of mu0 and her mean given that spread. So a steady client far from the
    business's centre (a six-monthly patient among monthly ones) keeps her own rhythm
    after three visits; the normal-inverse-gamma this replaced (8 Dec 2026) tied the two
    spreads and pulled her a fifth of the way to the centre, widening her spread for
    being far from it (docs/retention-log.md, "A slow regular in a small clinic")."""
    an = p.alpha0 + max(0, m - 1) / 2.0
    var = (p.beta0 + ss / 2.0) / an
    precision = 1.0 / (p.tau0 * p.tau0) + m / var
    mun = (p.mu0 / (p.tau0 * p.tau0) + m * mean / var) / precision
    return mun, math.sqrt(var + 1.0 / precision + MIN_LOG_SPREAD**2), min(2.0 * an, p.max_df)


def _rhythm_densities(p: Params, log_gaps: Sequence[float]) -> list[float]:
    """The density of each log gap under her rhythm as known from the gaps before it."""
    out, total, square = [], 0.0, 0.0
    for j, y in enumerate(log_gaps):
        mean = total / j if j else 0.0
        loc, scale, df = _predictive(p, j, mean, max(0.0, square - j * mean * mean))
        out.append(math.exp(t_logpdf((y - loc) / scale, df)) / scale)
        total, square = total + y, square + y * y
    return out


def _breaks(
    p: Params,
    log_gaps: Sequence[float],
    rhythm: Sequence[float],
    places: Sequence[tuple[int, int, float]],
    chances: list[float] | None = None,
    weights: Sequence[float] | None = None,
) -> tuple[float, float]:
    """Through her gaps in order: the log score of each as her rhythm (its density given)
    or a break, her share of breaks learnt from the gaps before it and set to the time of
    year the gap began (`places`: _places of her months, the two months' blended); and
    her share after the last one (before its month). `chances`, if given, gets how likely
    each gap was a break; `weights`, if given, what each gap's log score counts for."""
    score, breaks, prior = 0.0, 0.0, p.break_share * p.break_weight
    norm, half_inv_var = normal_pdf(p.break_mu, p.break_mu, p.break_sigma), 0.5 / p.break_sigma**2
    season, lengths = p.season if any(p.season) else None, p.season_breaks
    for j, (y, f, (lo, hi, w)) in enumerate(zip(log_gaps, rhythm, places, strict=True)):
        share = (prior + breaks) / (p.break_weight + j)
        if season:
            share = _in_season(share, (1.0 - w) * season[lo] + w * season[hi])
        if lengths:  # the months' cells (a density on the log scale), blended
            cell = _cell_of(y)
            length = (1.0 - w) * lengths[lo * BREAK_CELLS + cell] + w * lengths[hi * BREAK_CELLS + cell]
            pause = share * length / HALF_LOG2
        else:
            pause = share * norm * math.exp(-half_inv_var * (y - p.break_mu) ** 2)
        mix = (1.0 - share) * f + pause + 1e-300
        score += math.log(mix) * (weights[j] if weights is not None else 1.0)
        breaks += pause / mix
        if chances is not None:
            chances.append(pause / mix)
    return score, (prior + breaks) / (p.break_weight + len(log_gaps))


def _in_season(share: float, log_odds: float) -> float:
    """A share of breaks moved by a month's log-odds."""
    if not log_odds:
        return share
    odds = share / max(1e-12, 1.0 - share) * math.exp(log_odds)
    return odds / (1.0 + odds)


def _gap_grid(gap: NextGap, start: float, end: float) -> list[tuple[float, float]]:
    """(day, P(the gap ends in this cell)) for the cells of a fixed grid of days (x sqrt 2
    per cell) that meet (start, end]. The day a cell stands for is its middle, or `start`
    if later: it does not depend on `end`, so a longer interval never holds less, and it
    is never before `start`, so a visit in the interval is never likelier than being there."""
    start = max(start, 1.0)  # visits within a day are one visit: no gap is shorter
    out: list[tuple[float, float]] = []
    cell = math.floor(2.0 * math.log2(start))
    lo, sf_lo = start, gap.sf(start)
    while lo < end:
        hi = min(end, 2.0 ** ((cell + 1) / 2.0))
        sf_hi = gap.sf(hi)
        out.append((max(2.0 ** ((cell + 0.5) / 2.0), start), sf_lo - sf_hi))
        cell, lo, sf_lo = cell + 1, hi, sf_hi
    return out
