"""The return model (chalicelib/domain/returns.py): its math by property, its fit by
recovering known parameters, its storage, and the prior for a business with no history."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import returns
from chalicelib.domain.bgnbd import BGNBD
from chalicelib.domain.returns import Params, Prior, ReturnModel, Thresholds, fit

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)
SEVERITY = {"active": 0, "at_risk": 1, "lapsed": 2}

params_st = st.builds(
    Params,
    mu0=st.floats(2.0, 6.0),
    tau0=st.floats(0.05, 2.0),
    alpha0=st.floats(1.0, 20.0),
    beta0=st.floats(0.01, 5.0),
    max_df=st.sampled_from(returns.DF_CHOICES),
    break_share=st.floats(0.001, 0.5),
    break_mu=st.floats(3.0, 7.0),
    break_sigma=st.floats(0.1, 2.0),
    break_weight=st.floats(0.5, 50.0),
    a=st.floats(0.05, 20.0),
    b=st.floats(0.05, 20.0),
    hazard_shape=st.floats(0.05, 20.0),
    hazard_rate=st.floats(10.0, 1e5),
    season=st.lists(st.floats(-4.0, 4.0), min_size=12, max_size=12).map(tuple),
    # No calendar of break lengths, or one: each month's cells, some empty, as shares.
    season_breaks=st.one_of(st.just(()), st.randoms(use_true_random=False).map(lambda rng: calendar_of(rng))),
    hazard_spacing=st.floats(0.0, returns.SPACING_MOST),
)


def calendar_of(rng) -> tuple[float, ...]:
    """Twelve months of break-length cells (shares), a few of them empty."""
    out: list[float] = []
    for _ in range(12):
        cells = [rng.choice([0.0, 0.0, 0.01, 0.2, 1.0]) for _ in range(returns.BREAK_CELLS)]
        cells[rng.randrange(returns.BREAK_CELLS)] = 1.0
        out.extend(c / sum(cells) for c in cells)
    return tuple(out)


gaps_st = st.lists(st.floats(1.0, 400.0), min_size=0, max_size=25)


def visits_with(gaps: list[float]) -> list[datetime]:
    visits = [T0]
    for g in gaps:
        visits.append(visits[-1] + timedelta(days=g))
    return visits


# A first-timer's probabilities stacked with a counting model (chalicelib/domain/bgnbd.py), or not.
stacking_st = st.one_of(
    st.just((None, 0.0)),
    st.tuples(
        st.builds(
            BGNBD,
            r=st.floats(0.02, 20.0),
            alpha=st.floats(0.1, 2000.0),
            a=st.floats(0.02, 20.0),
            b=st.floats(0.02, 20.0),
        ),
        st.floats(0.0, 1.0),
    ),
)


@given(params_st, gaps_st, st.floats(0.0, 2000.0), st.floats(0.0, 2000.0), st.floats(1.0, 730.0), stacking_st)
def test_probabilities_are_probabilities_and_never_rise_with_silence(params, gaps, wait, more, window, stacking):
    model = ReturnModel(params, counts=stacking[0], counts_weight=stacking[1])
    visits = visits_with(gaps)
    now = visits[-1] + timedelta(days=wait, seconds=1)
    later = now + timedelta(days=more)
    alive, alive_later = model.p_alive(visits, now), model.p_alive(visits, later)
    assert 0.0 <= alive_later <= alive + 1e-12 <= 1.0 + 1e-12
    back = model.p_return(visits, now, window)
    assert 0.0 <= back <= alive + 1e-12  # coming back within a window needs her to be a client
    assert back <= model.p_return(visits, now, window * 2) + 1e-12  # a longer window, no less likely
    assert SEVERITY[model.status(visits, now, False)] <= SEVERITY[model.status(visits, later, False)]


@given(params_st, gaps_st, st.floats(0.0, 3000.0))
def test_a_future_booking_is_always_active_and_maintenance_wins(params, gaps, wait):
    model = ReturnModel(params)
    visits = visits_with(gaps)
    now = visits[-1] + timedelta(days=wait, seconds=1)
    assert model.status(visits, now, has_future_booking=True) == "active"
    assert model.status(visits, now, has_future_booking=True, maintenance=True) == "maintenance"
    assert model.status(visits, now, has_future_booking=False, maintenance=True) == "maintenance"


@settings(max_examples=30)
@given(params_st, gaps_st)
def test_visits_after_the_moment_asked_about_do_not_count(params, gaps):
    model = ReturnModel(params)
    visits = visits_with(gaps)
    now = visits[len(visits) // 2] + timedelta(days=3)
    before = [v for v in visits if v < now]
    assert model.p_return(visits, now, 90) == model.p_return(before, now, 90)
    assert model.status(visits, now, False) == model.status(before, now, False)


@settings(max_examples=40, deadline=None)
@given(params_st, gaps_st)
def test_the_turning_days_are_when_the_status_changes(params, gaps):
    model = ReturnModel(params)
    visits = visits_with(gaps)
    at_risk, lapsed = model.turns(visits, visits[-1] + timedelta(hours=1))
    for day, status in ((at_risk, "at_risk"), (lapsed, "lapsed")):
        if day is None:
            assert (
                SEVERITY[model.status(visits, visits[-1] + timedelta(days=returns.TURN_LIMIT_DAYS), False)]
                < (SEVERITY[status])
            )
        else:
            assert SEVERITY[model.status(visits, day - timedelta(minutes=2), False)] < SEVERITY[status]
            assert SEVERITY[model.status(visits, day + timedelta(minutes=1), False)] >= SEVERITY[status]
    if at_risk and lapsed:
        assert at_risk <= lapsed


def test_a_client_whose_visit_is_not_due_is_active_however_unlikely_she_returns():
    model = ReturnModel(Prior(comes_back=0.05).params())  # hardly anyone comes back
    one_visit = [T0]
    assert model.p_alive(one_visit, T0 + timedelta(days=1)) < 0.1
    assert model.status(one_visit, T0 + timedelta(days=1), False) == "active"
    assert model.status(one_visit, T0 + timedelta(days=60), False) == "lapsed"


def test_a_regular_overdue_by_weeks_lapses_where_an_irregular_client_does_not_yet():
    model = ReturnModel(Prior().params())
    regular = visits_with([28.0] * 12)
    irregular = visits_with([10.0, 90.0, 25.0, 120.0, 15.0, 70.0, 40.0, 100.0, 20.0, 60.0, 30.0, 80.0])
    for visits in (regular, irregular):
        assert model.status(visits, visits[-1] + timedelta(days=20), False) == "active"
    assert model.status(regular, regular[-1] + timedelta(days=100), False) == "lapsed"
    assert model.status(irregular, irregular[-1] + timedelta(days=100), False) != "lapsed"
    assert model.expected_next_visit(regular, regular[-1] + timedelta(days=1)) == pytest.approx(
        regular[-1] + timedelta(days=28), abs=timedelta(days=2)
    )


def test_a_client_of_a_service_with_its_own_interval_starts_from_it_until_her_own_gaps_speak():
    # A colour client with one visit: the salon's clients come every six weeks, but the
    # owner says colour comes back every eight. She is not at risk before she is due by
    # it, nor lapsed sooner than the six weeks would have had her.
    model = ReturnModel(Prior(typical_gap_days=42.0).params())
    colour = model.centred_on(56.0)
    one_visit = [T0]
    at_risk, lapsed = colour.turns(one_visit, T0 + timedelta(hours=1))
    plain_at_risk, plain_lapsed = model.turns(one_visit, T0 + timedelta(hours=1))
    assert at_risk is not None and lapsed is not None and plain_at_risk is not None and plain_lapsed is not None
    assert at_risk >= T0 + timedelta(days=56) > plain_at_risk
    assert lapsed > plain_lapsed
    assert colour.expected_next_visit(one_visit, T0 + timedelta(days=1)) == pytest.approx(
        T0 + timedelta(days=56), abs=timedelta(minutes=1)
    )
    assert colour.status(one_visit, T0 + timedelta(days=50), False) == "active"
    assert model.status(one_visit, T0 + timedelta(days=50), False) != "active"
    # A regular's own gaps outweigh where she started from.
    regular = visits_with([28.0] * 12)
    assert colour.expected_next_visit(regular, regular[-1] + timedelta(days=1)) == pytest.approx(
        regular[-1] + timedelta(days=28), abs=timedelta(days=3)
    )
    # No interval: the population's; the thresholds and the window stay.
    assert model.centred_on(None) is model
    assert colour.thresholds == model.thresholds and colour.window_days == model.window_days
    with pytest.raises(ValueError):
        model.centred_on(0.0)


def test_thresholds_are_per_business_and_checked():
    params = Prior().params()
    visits = visits_with([28.0] * 12)
    now = visits[-1] + timedelta(days=45)
    alive = ReturnModel(params).p_alive(visits, now)
    assert ReturnModel(params, Thresholds(at_risk_below=alive + 0.01, lapsed_below=alive - 0.01)).status(
        visits, now, False
    ) == ("at_risk")
    assert ReturnModel(params, Thresholds(at_risk_below=0.99, lapsed_below=alive + 0.01)).status(
        visits, now, False
    ) == ("lapsed")
    with pytest.raises(ValueError):
        Thresholds(at_risk_below=0.3, lapsed_below=0.6)


def test_no_visits_yet_means_active_and_no_prediction():
    model = ReturnModel(Prior().params())
    assert model.status([], T0, False) == "active"
    assert model.p_alive([], T0) == 1.0
    assert model.p_return([], T0, 30) == 0.0
    assert model.expected_next_visit([], T0) is None


@given(params_st)
def test_parameters_round_trip_through_json(params):
    model = ReturnModel(params, clients=12, fitted_at=T0)
    stored = json.loads(json.dumps(model.to_dict()))
    again = ReturnModel.from_dict(stored, Thresholds(0.7, 0.4))
    assert again.params == params and again.clients == 12 and again.fitted_at == T0
    assert again.thresholds == Thresholds(0.7, 0.4)
    # Small as stored: every float written in full (17 digits), twelve of them the season's,
    # about 1 KB; with a calendar of breaks' lengths, 288 more. (1 000 was met exactly by
    # one drawing of long floats: a bound, not the size.)
    assert len(json.dumps(stored)) < (1500 if not params.season_breaks else 8000)


def test_the_thresholds_fitted_with_a_model_are_stored_with_it():
    fitted = Thresholds.around(0.45, regular_lapsed_below=0.55)
    stored = json.loads(json.dumps(ReturnModel(Prior().params(), fitted, 3, T0).to_dict()))
    assert ReturnModel.from_dict(stored).thresholds == fitted  # none configured: the fitted ones
    assert ReturnModel.from_dict(stored, Thresholds(0.9, 0.7)).thresholds == Thresholds(0.9, 0.7)
    del stored["thresholds"]  # stored before they were
    assert ReturnModel.from_dict(stored).thresholds == Thresholds()


def test_validation_judges_a_big_business_by_an_even_sample_of_its_clients(monkeypatch):
    true = Prior(typical_gap_days=30.0).params()
    histories, end = generate(true, 120, seed=3, years=2.5)
    as_of = end - timedelta(days=100)
    every = returns.validate(histories, as_of, 182.0)
    monkeypatch.setattr(returns, "MAX_VALIDATION_CLIENTS", 40)
    sampled = returns.validate(histories, as_of, 182.0)
    assert 0 < sampled.cases <= 2 * 40 < every.cases  # two splits, 40 clients judged in each
    assert 0.0 < sampled.thresholds.lapsed_below <= sampled.thresholds.at_risk_below < 1.0


def test_an_unknown_stored_format_is_refused():
    with pytest.raises(ValueError):
        ReturnModel.from_dict({"version": 99, "params": {}})


def test_a_model_stored_before_the_calendar_reads_as_one_without():
    stored = json.loads(json.dumps(ReturnModel(Prior().params(), clients=3, fitted_at=T0).to_dict()))
    del stored["params"]["season"], stored["params"]["season_breaks"], stored["params"]["hazard_spacing"]
    params = ReturnModel.from_dict(stored).params
    assert params == Prior().params() and params.season == (0.0,) * 12 and params.season_breaks == ()
    assert params.hazard_spacing == 0.0  # nor spacing out
    stored["params"]["season_breaks"] = [0.5] * 7  # not twelve months of cells: refused, refitted
    with pytest.raises(ValueError):
        ReturnModel.from_dict(stored)


def test_a_model_stored_with_the_normal_inverse_gamma_is_refused_and_so_refitted():
    """Stored before 8 Dec 2026 (format 1, kappa0): read as today's, a slow regular's
    spread came out far too narrow (a walk: lapsed on the day she was due). Refused, it is
    refitted by the next hourly run (chalicelib/store/returns.py)."""
    stored = json.loads(json.dumps(ReturnModel(Prior().params(), clients=3, fitted_at=T0).to_dict()))
    assert stored["version"] == 2
    del stored["params"]["tau0"]
    stored["params"]["kappa0"], stored["version"] = 0.85, 1
    with pytest.raises(ValueError, match="format"):
        ReturnModel.from_dict(stored)


def test_a_business_with_no_history_gets_the_prior_and_one_with_little_stays_near_it():
    prior = Prior(typical_gap_days=28.0)
    assert fit([], T0, prior).params == prior.params()
    assert fit([[T0 - timedelta(days=3)]], T0, prior).params.mu0 == pytest.approx(math.log(28.0), abs=0.1)
    few = [visits_with([25.0, 30.0])[:3], [T0 - timedelta(days=40)]]
    few = [[v - timedelta(days=80) for v in h] for h in few]
    fitted = fit(few, T0, prior).params
    assert fitted.mu0 == pytest.approx(math.log(28.0), abs=0.15)
    assert fitted.a / (fitted.a + fitted.b) == pytest.approx(0.5, abs=0.15)


def generate(p: Params, n: int, seed: int, years: float = 3.0) -> tuple[list[list[datetime]], datetime]:
    """Clients drawn from the model itself: her rhythm, her breaks, leaving after a visit
    or at a random moment (the story fit() assumes)."""
    rng = random.Random(seed)
    days = 365 * years
    histories = []
    for _ in range(n):
        var = 1 / rng.gammavariate(p.alpha0, 1 / p.beta0)
        mu = rng.gauss(p.mu0, p.tau0)
        leave = rng.betavariate(p.a, p.b)
        share = rng.betavariate(p.break_share * p.break_weight, (1 - p.break_share) * p.break_weight)
        t = rng.uniform(0, days)
        gone = t + rng.expovariate(rng.gammavariate(p.hazard_shape, 1 / p.hazard_rate))
        visits = [t]
        while rng.random() > leave:
            month = (T0 + timedelta(days=t)).month - 1
            in_season = returns._in_season(share, p.season[month])
            log_gap = (
                rng.gauss(p.break_mu, p.break_sigma) if rng.random() < in_season else rng.gauss(mu, math.sqrt(var))
            )
            t += max(1.0, math.exp(log_gap))
            if t >= min(gone, days):
                break
            visits.append(t)
        histories.append([T0 + timedelta(days=d) for d in visits])
    return histories, T0 + timedelta(days=days)


def test_the_fit_recovers_known_parameters():
    true = Params(
        mu0=math.log(35),
        tau0=0.3,
        alpha0=4.0,
        beta0=0.3,
        max_df=200.0,
        break_share=0.05,
        break_mu=math.log(150),
        break_sigma=0.4,
        break_weight=10.0,
        a=0.5,
        b=2.0,
        hazard_shape=2.0,
        hazard_rate=2000.0,
    )
    histories, end = generate(true, 3000, seed=1)
    got = returns.fit_population(histories, end).params
    assert got.mu0 == pytest.approx(true.mu0, abs=0.05)  # the typical gap, within 5 %
    assert got.a / (got.a + got.b) == pytest.approx(0.2, abs=0.04)  # leaving right after a visit
    assert math.exp(got.break_mu) == pytest.approx(150, rel=0.25)  # how long a break lasts
    assert got.hazard_shape / got.hazard_rate * 365 == pytest.approx(0.365, rel=0.5)  # leaving in between
    # Breaks widen the fitted spread of a rhythm (its prior sees every completed gap).
    assert 0.1 <= got.beta0 / (got.alpha0 - 1) <= 0.25
    assert got.tau0 == pytest.approx(true.tau0, rel=0.2)  # how far apart clients' usual gaps lie
    # Breaks begin any time of year: held out, a calendar does not predict, none is kept.
    assert got.season == (0.0,) * 12 and got.season_breaks == ()


def test_the_fit_tells_a_business_of_like_rhythms_from_one_of_scattered_ones():
    """The spread of clients' usual gaps is its own, not the spread within one client's
    (a clinic's fortnightly and six-monthly patients, each steady)."""
    true = replace(Prior(typical_gap_days=35.0).params(), alpha0=4.0, beta0=0.3, tau0=0.8, max_df=200.0)
    histories, end = generate(true, 2000, seed=3)
    assert returns.fit_population(histories, end).params.tau0 == pytest.approx(0.8, rel=0.2)


def test_a_business_of_standing_appointments_expects_a_newcomer_on_its_own_rhythm():
    """Every client weekly to the day (a probe): no spread at all, and the fit's likelihood
    ran off towards none, a newcomer expected after 192 days. Held at MIN_LOG_SPREAD."""
    start = T0 - timedelta(days=700)
    weekly = [[start + timedelta(days=7 * i, hours=k) for i in range(100)] for k in range(30)]
    p = returns.fit_population(weekly, T0, counting=False).params
    loc, scale, _ = returns._predictive(p, 0, 0.0, 0.0)
    assert 6.0 <= math.exp(loc) <= 10.0 and scale < 0.5, (math.exp(loc), scale)


def _day(d: int, m: int, y: int) -> datetime:
    return datetime(y, m, d, 12, tzinfo=UTC)


def test_a_steady_six_monthly_patient_among_faster_ones_keeps_her_own_rhythm():
    """A solo physio's five patients (docs/retention-log.md, "A slow regular in a small
    clinic"): Mary comes every six months (184, 179, 188 days). Fitted on these alone,
    she was expected after 121 days, at risk from 121 and lapsed from 145: her rhythm was
    pulled a fifth of the way to the clinic's monthly centre and widened for being far
    from it. Now she is expected within 5 % of her own rhythm and is not at risk before
    that. (She lapses days after it: with three returns and half a year between visits,
    the chance she left in between is about a quarter by then.)"""
    every = lambda start, days, n: [start + timedelta(days=days * i) for i in range(n)]  # noqa: E731
    mary = [_day(10, 12, 2024), _day(12, 6, 2025), _day(9, 12, 2025), _day(15, 6, 2026)]
    clinic = [
        mary,
        every(_day(1, 9, 2025) + timedelta(hours=5), 21, 22),
        every(_day(12, 1, 2026), 28, 12),
        every(_day(2, 3, 2026) - timedelta(hours=3), 14, 7),
        [_day(14, 2, 2025) + timedelta(hours=3)],
    ]
    as_of = _day(1, 12, 2026)
    model = fit(clinic, as_of)
    expected = model.expected_next_visit(mary, as_of)
    assert expected is not None and 175 <= (expected - mary[-1]).days <= 193
    at_risk, lapsed = model.turns(mary, as_of)
    assert at_risk is not None and lapsed is not None
    assert at_risk >= expected and (lapsed - mary[-1]).days >= 178
    assert model.status(mary, mary[-1] + timedelta(days=160), has_future_booking=False) == "active"


def test_the_share_of_breaks_counts_the_long_ones_the_records_could_not_yet_show_ended():
    """Censoring: the records end at the fit, so a five-month break is seen ended only if
    it began five months before; a share learnt from the gaps that ended holds too few
    breaks, and a client on one reads as gone. Two years of records, one gap in about
    sixteen a break (0.06): the share is found within a third (the ended gaps alone gave
    0.034-0.035)."""
    true = replace(Prior(typical_gap_days=28.0).params(), break_share=0.06, break_mu=math.log(150), break_sigma=0.3)
    for seed in (1, 2):
        histories, end = generate(true, 3000, seed=seed, years=2.0)
        assert returns.fit_population(histories, end).params.break_share == pytest.approx(0.06, rel=1 / 3)


AUTUMN_BREAKS = (0.0,) * 8 + (3.0,) + (0.0,) * 3  # breaks begin in September


def test_the_fit_learns_the_month_breaks_begin_in():
    """A business whose clients' breaks begin in September: the fit finds the month, and
    a regular silent since September is less surely gone in December than her double in a
    business without a calendar."""
    true = replace(Prior(typical_gap_days=28.0).params(), break_share=0.03, break_mu=math.log(200), break_sigma=0.2)
    histories, end = generate(replace(true, season=AUTUMN_BREAKS), 3000, seed=5)
    got = returns.fit_population(histories, end).params
    assert got.season[8] > max(x for i, x in enumerate(got.season) if i != 8) + 1.0
    flat = replace(got, season=(0.0,) * 12, season_breaks=())
    december = datetime(2029, 12, 15, 12, tzinfo=UTC)
    # Silent since the middle of September, where September's breaks hold undiluted.
    since_september = [december - timedelta(days=90 + 28 * k) for k in range(6, -1, -1)]
    since_may = [v - timedelta(days=120) for v in since_september]
    seasonal, calendarless = ReturnModel(got), ReturnModel(flat)
    assert ReturnModel.from_dict(json.loads(json.dumps(seasonal.to_dict()))).params == got
    assert seasonal.p_alive(since_september, december) > 2 * calendarless.p_alive(since_september, december)
    # The same silence begun in May is no break season: hardly any difference.
    may = december - timedelta(days=120)
    assert seasonal.p_alive(since_may, may) == pytest.approx(calendarless.p_alive(since_may, may), abs=0.05)
    # A client who comes May to September, two winters behind her: no "we miss you" in
    # midwinter (without a calendar: December or January, by the clients sampled), in the
    # middle of her usual break; she lapses months later.
    summers = [datetime(y, 5, 1, 12, tzinfo=UTC) + timedelta(days=28 * k) for y in (2027, 2028, 2029) for k in range(6)]
    _, lapses = seasonal.turns(summers, summers[-1] + timedelta(hours=1))
    _, lapses_without = calendarless.turns(summers, summers[-1] + timedelta(hours=1))
    assert lapses_without is not None and lapses_without.month in (12, 1)
    assert lapses is None or lapses > lapses_without + timedelta(days=60)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.sampled_from([1.0, 7.0, 28.0, 28.0, 28.0, 365.0]), max_size=12), st.floats(0.0, 3000.0)),
        min_size=1,
        max_size=30,
    )
)
def test_any_small_business_fits_to_finite_parameters_and_sane_answers(clients):
    """Identical gaps, one-visit clients, a single client: nothing degenerates."""
    histories = [[v - timedelta(days=sum(gaps) + back + 1) for v in visits_with(gaps)] for gaps, back in clients]
    model = fit(histories, T0)  # and validated on its own past, however little there is
    assert all(
        math.isfinite(v) and v > 0
        for k, v in vars(model.params).items()
        if k not in ("mu0", "season", "season_breaks", "hazard_spacing")
    )
    assert all(math.isfinite(v) for v in model.params.season + model.params.season_breaks)
    assert 0.0 <= model.params.hazard_spacing <= returns.SPACING_MOST
    for visits in histories:
        assert 0.0 <= model.p_return(visits, T0, 182) <= model.p_alive(visits, T0) <= 1.0


def test_standing_appointments_do_not_make_a_day_late_look_like_leaving():
    """Gaps of exactly four weeks, every client: the spread never reaches zero."""
    histories = [[T0 - timedelta(days=28 * k + d) for k in range(10, 0, -1)] for d in range(1, 200)]
    model = fit(histories, T0)
    visits = histories[0]
    # A day late: at most a one-in-five chance she has gone (most of these clients have:
    # the salon's thresholds may call her at risk, never lapsed); two weeks late, lapsed.
    assert model.p_alive(visits, visits[-1] + timedelta(days=29)) > 0.8
    assert model.status(visits, visits[-1] + timedelta(days=29), False) != "lapsed"
    assert model.status(visits, visits[-1] + timedelta(days=28 + 14), False) == "lapsed"


def test_regulars_may_have_thresholds_of_their_own():
    params = Prior().params()
    regular, newcomer = visits_with([28.0] * 6), visits_with([28.0])
    now = regular[-1] + timedelta(days=60)
    later = newcomer[-1] + timedelta(days=60)
    alive, alive_new = ReturnModel(params).p_alive(regular, now), ReturnModel(params).p_alive(newcomer, later)
    own = Thresholds.around(lapsed_below=alive_new - 0.01, regular_lapsed_below=alive + 0.01)
    model = ReturnModel(params, own)
    assert model.status(regular, now, False) == "lapsed"
    assert model.status(newcomer, later, False) != "lapsed"
    assert ReturnModel(params, Thresholds.around(alive_new - 0.01)).status(regular, now, False) != "lapsed"
    with pytest.raises(ValueError):
        Thresholds(regular_lapsed_below=0.5)


def test_validation_learns_only_from_before_the_moment():
    true = Prior(typical_gap_days=30.0).params()
    histories, end = generate(true, 300, seed=5, years=2.5)
    as_of = end - timedelta(days=200)
    v = returns.validate(histories, as_of, 182.0)
    before = [[t for t in h if t < as_of] for h in histories]
    assert returns.validate([h for h in before if h], as_of, 182.0) == v  # later visits change nothing
    assert v.cases > 0 and 0 < v.lapsed_cases < v.cases
    assert 0.0 < v.thresholds.lapsed_below <= v.thresholds.at_risk_below < 1.0
    assert v.thresholds != Thresholds()  # fitted, not the defaults
    # fit() is the model the product uses: the population, then what validate() finds.
    model = fit(before, as_of)
    assert (model.thresholds, model.params.hazard_spacing) == (v.thresholds, v.spacing)
    assert model.counts_weight == v.counts_weight  # and stacking, found the same way
    assert returns.fit_population(before, as_of).params == replace(model.params, hazard_spacing=0.0)


def _f1(flagged: list[bool], lapsed: list[bool]) -> float:
    tp = sum(f and g for f, g in zip(flagged, lapsed, strict=True))
    return 2 * tp / (sum(flagged) + sum(lapsed)) if tp else 0.0


def test_the_threshold_the_model_expects_best_does_nearly_as_well_as_hindsight():
    """Chosen with no outcome known (each client lapsed with her probability of no visit),
    its F1 on what then happened is within a few points of the best threshold in hindsight."""
    # Clients who mostly stay (about one in twelve leaves after a visit): about half lapse
    # in the window, and the F1 of a threshold ranges from 0.69 (0.05) to 0.90.
    true = replace(Prior(typical_gap_days=30.0).params(), a=1.0, b=12.0, hazard_rate=2000.0)
    histories, end = generate(true, 500, seed=11, years=3.0)
    as_of = end - timedelta(days=182)
    before = [[t for t in h if t < as_of] for h in histories]
    kept = [(b, h) for b, h in zip(before, histories, strict=True) if b]
    lapsed = [not any(as_of <= t < end for t in h) for _, h in kept]
    model = returns.fit_population([b for b, _ in kept], as_of)
    summaries = [returns.summarize(b, as_of) for b, _ in kept]
    clients = [returns._client(model.params, h) for h in summaries if h is not None]
    assert len(clients) == len(kept)
    chosen = returns.expected_f1_threshold(clients, 182.0)
    assert chosen is not None

    scored = [(c.days_since > math.exp(c.gap.loc), c.alive()) for c in clients]

    def flagged(t: float) -> list[bool]:
        return [due and alive < t for due, alive in scored]

    hindsight = max(_f1(flagged(t / 100), lapsed) for t in range(1, 100))
    assert _f1(flagged(chosen), lapsed) >= hindsight - 0.02
    assert returns.expected_f1_threshold(clients[:5], 182.0, least=40) is None  # too few to say


def test_a_business_with_no_outcomes_yet_gets_the_threshold_its_model_expects_best():
    true = Prior(typical_gap_days=30.0).params()
    histories, end = generate(true, 400, seed=12, years=0.4)  # all of it within the last window
    v = returns.validate(histories, end, 182.0)
    assert v.cases == 0  # the inner splits judged no one
    model = returns.fit_population(histories, end)
    clients = [returns._client(model.params, h) for h in (returns.summarize(x, end) for x in histories) if h]
    expected = returns.expected_f1_threshold(clients, 182.0)
    assert expected is not None and v.thresholds.lapsed_below == pytest.approx(expected)
    assert v.thresholds != Thresholds()  # not the fixed defaults
    # A handful of clients say too little to choose by: the defaults stand.
    assert returns.validate(histories[:6], end, 182.0).thresholds == Thresholds()


def test_a_long_break_seen_only_from_an_early_autumn_counts_for_the_later_autumns_too():
    """Censoring: a break of a year and a half could be seen ended only if it began early
    enough; the autumns since stand with it, so it counts for as many of them."""
    as_of = datetime(2026, 11, 1, tzinfo=UTC)
    day = lambda y, m, d: datetime(y, m, d, 12, tzinfo=UTC)  # noqa: E731
    clients = [
        [day(2024, 9, 10), day(2026, 4, 1)],  # 568 days, begun in September 782 days ago
        [day(2025, 9, 10), day(2025, 10, 8)],  # four weeks begun in September 417 days ago
        [day(2025, 9, 12)],  # silent since September, 416 days: a start that could not show 568
        [day(2026, 3, 1), day(2026, 4, 1)],  # begun too lately to count
    ]
    summaries = [returns.summarize(c, as_of) for c in clients]
    weights = returns._gap_weights([h for h in summaries if h is not None])
    assert weights == [[3.0], [1.0], [], [0.0]]  # 3 September starts a year back, 1 early enough


def _every(days: float, n: int, start: datetime = T0) -> list[datetime]:
    return [start + timedelta(days=days * k) for k in range(n)]


def test_spacing_out_is_her_last_two_gaps_longer_than_her_own_spread_allows():
    p = Prior(typical_gap_days=28.0).params()
    steady = _every(28.0, 10)

    def spacing(visits: list[datetime]) -> float:
        h = returns.summarize(visits, visits[-1] + timedelta(days=1))
        assert h is not None
        chances: list[float] = []
        gap = returns.next_gap(p, h, chances)
        return returns.spacing_out(h, chances, gap.scale)

    assert spacing(steady) == 0.0
    slowing = [*steady, steady[-1] + timedelta(days=50), steady[-1] + timedelta(days=100)]
    assert spacing(slowing) > 1.0  # two gaps nearly twice her usual: several of her spreads
    assert spacing(slowing[:4]) == 0.0  # three gaps: too few to say
    # One long gap is a break (the model has its own), not spacing out.
    one_break = [*steady, steady[-1] + timedelta(days=200), steady[-1] + timedelta(days=228)]
    assert spacing(one_break) < 0.5 * spacing(slowing)
    # The same slowing in a client whose gaps always wandered is hardly a sign.
    rng = random.Random(3)
    wandering = [T0]
    for _ in range(9):
        wandering.append(wandering[-1] + timedelta(days=28.0 * math.exp(rng.gauss(0, 0.6))))
    wandering += [wandering[-1] + timedelta(days=50), wandering[-1] + timedelta(days=100)]
    assert spacing(wandering) < spacing(slowing) - 0.5


def _slowing_salon(n: int, seed: int) -> tuple[list[list[datetime]], datetime]:
    """Regulars of a four-week rhythm over three years; about one in three leaves for good
    at some moment, and those who do space their last visits out first (1.8 times)."""
    rng = random.Random(seed)
    end = 3 * 365.0
    histories = []
    for _ in range(n):
        t = rng.uniform(0, end - 200)
        leaves = t + rng.expovariate(1 / 900.0)
        visits = [t]
        while True:
            gap = 28.0 * math.exp(rng.gauss(0, 0.1))
            if t + gap > leaves - 120:
                gap *= 1.8
            t += gap
            if t >= min(leaves, end):
                break
            visits.append(t)
        histories.append([T0 + timedelta(days=d) for d in visits])
    return histories, T0 + timedelta(days=end)


def test_validation_learns_that_spacing_out_comes_before_leaving_where_it_does():
    histories, end = _slowing_salon(400, seed=21)
    as_of = end - timedelta(days=1)
    model = fit(histories, as_of)
    strength = model.params.hazard_spacing
    assert strength > 0.3
    # A regular whose last two gaps stretched, silent for two months: less likely to come
    # back than the model without the lesson says, her status never better; a steady
    # regular is read as before.
    unaware = ReturnModel(replace(model.params, hazard_spacing=0.0), model.thresholds)
    now = T0 + timedelta(days=900)
    steady = _every(28.0, 12, now - timedelta(days=60 + 28 * 11))
    slowing = [*steady[:-2], steady[-3] + timedelta(days=50), steady[-3] + timedelta(days=100)]
    slowing = [t - (slowing[-1] - steady[-1]) for t in slowing]  # the same silence since
    assert model.p_return(slowing, now, 182.0) < unaware.p_return(slowing, now, 182.0) - 0.05
    assert model.p_return(steady, now, 182.0) == unaware.p_return(steady, now, 182.0)
    assert SEVERITY[model.status(slowing, now, False)] >= SEVERITY[unaware.status(slowing, now, False)]
    # Where leaving gives no such warning (the model's own story), spacing out stays nearly idle.
    plain, plain_end = generate(Prior(typical_gap_days=30.0).params(), 400, seed=22, years=3.0)
    assert fit(plain, plain_end).params.hazard_spacing < strength / 2


def test_records_without_a_zone_are_read_as_utc_whether_or_not_the_moment_has_one():
    """An outside caller's records often come naive (pandas, CSV): the same clients, naive
    or UTC, the moment naive or UTC, give the same model and the same answers."""
    histories, as_of = generate(Prior().params(), 300, seed=4, years=1.5)
    naive = [[v.replace(tzinfo=None) for v in h] for h in histories]
    model = fit(histories, as_of)
    for h, m in ((naive, as_of), (histories, as_of.replace(tzinfo=None)), (naive, as_of.replace(tzinfo=None))):
        other = fit(h, m)
        assert other.to_dict()["params"] == model.to_dict()["params"]
        assert other.counts_weight == model.counts_weight and other.thresholds == model.thresholds
        for mine, theirs in list(zip(histories, h))[:30]:
            assert other.p_return(theirs, m, 182) == model.p_return(mine, as_of, 182)
            assert other.status(theirs, m, False) == model.status(mine, as_of, False)
            due, expected = other.expected_next_visit(theirs, m), model.expected_next_visit(mine, as_of)
            assert due and expected and due.replace(tzinfo=None) == expected.replace(tzinfo=None)


def test_records_by_date_read_as_each_days_midnight_in_utc():
    """An outside caller's records often come as days (CDNOW's): dates, the moment a date
    too, give the model and answers of the same days at midnight UTC."""
    histories, as_of = generate(Prior().params(), 300, seed=6, years=1.5)
    days = [[v.date() for v in h] for h in histories]
    midnights = [[datetime(d.year, d.month, d.day, tzinfo=UTC) for d in h] for h in days]
    day = as_of.date()
    model = fit(midnights, datetime(day.year, day.month, day.day, tzinfo=UTC))
    by_date = fit(days, day)  # type: ignore[arg-type]
    assert by_date.to_dict() == model.to_dict()
    for mine, theirs in list(zip(midnights, days))[:30]:
        assert by_date.p_return(theirs, day, 182) == model.p_return(mine, model.fitted_at, 182)  # type: ignore[arg-type]
        assert by_date.status(theirs, day, False) == model.status(mine, model.fitted_at, False)  # type: ignore[arg-type]


class _Labelled:
    """What a pandas Series is to the model, without pandas: its values by iteration,
    `[k]` by its labels (here 1..n, as customer ids), and no truth value."""

    def __init__(self, values):
        self.values = list(values)

    def __iter__(self):
        return iter(self.values)

    def __len__(self):
        return len(self.values)

    def __getitem__(self, label):
        return self.values[label - 1]

    def __bool__(self):
        raise ValueError("The truth value of a Series is ambiguous.")


def test_records_in_a_series_indexed_by_customer_ids_read_as_their_values(monkeypatch):
    """An outside caller may hand over a pandas Series (customers' visits grouped by
    their id, from 1): the same model and answers as the lists (once a KeyError on 0, or
    a ValueError on its truth value)."""
    monkeypatch.setattr(returns, "MAX_VALIDATION_CLIENTS", 100)  # sampled: indexed by position
    histories, as_of = generate(Prior().params(), 300, seed=8, years=1.5)
    labelled = _Labelled(_Labelled(h) for h in histories)
    model = fit(histories, as_of)
    assert fit(labelled, as_of).to_dict() == model.to_dict()  # type: ignore[arg-type]
    for mine, theirs in list(zip(histories, labelled))[:30]:
        assert model.p_return(theirs, as_of, 182) == model.p_return(mine, as_of, 182)
        assert model.status(theirs, as_of, False) == model.status(mine, as_of, False)


def test_will_she_ever_come_back_is_a_window_without_end():
    """p_return(..., inf) answers "ever" (her P(alive) at most) instead of overflowing;
    a window that is not a number is refused."""
    counts = BGNBD(0.243, 4.414 * 7, 0.793, 2.426)
    for model in (ReturnModel(Prior().params()), ReturnModel(Prior().params(), counts=counts, counts_weight=0.5)):
        for visits in (visits_with([]), visits_with([30.0, 35.0, 28.0])):
            now = visits[-1] + timedelta(days=40)
            ever = model.p_return(visits, now, math.inf)
            assert ever == model.p_return(visits, now, returns.LONGEST_WINDOW_DAYS)
            assert 0.0 < model.p_return(visits, now, 182) < ever <= model.p_alive(visits, now) + 1e-9
            with pytest.raises(ValueError):
                model.p_return(visits, now, math.nan)


def test_records_from_the_calendars_first_year_fit_as_they_would_two_thousand_years_on():
    """The inner splits a window or two before such a moment fall before the year 1: there
    are no records there, so the fit is the one of the same records in 2001 (the calendar
    repeats every 400 years), not an OverflowError."""
    histories, as_of = generate(Prior().params(), 200, seed=5, years=0.9)
    shift = datetime(2001, 1, 1, tzinfo=UTC) - datetime(1, 1, 1, tzinfo=UTC)
    start = min(v for h in histories for v in h)
    at = start - datetime(1, 1, 2, tzinfo=UTC)  # the first visit on 2 January 1
    early = [[v - at for v in h] for h in histories]
    later = [[v - at + shift for v in h] for h in histories]
    model = fit(early, as_of - at)
    assert model.to_dict() | {"fitted_at": None} == fit(later, as_of - at + shift).to_dict() | {"fitted_at": None}
    assert 0.0 <= model.p_return(early[0], as_of - at, 182) <= 1.0


def test_the_same_instants_written_in_another_zone_give_the_same_answers():
    """An outside caller's records may carry the business's zone: they are the same
    instants, so the same history (a visit at 23:30 UTC on 31 August is 02:30 on
    1 September in Helsinki: August's breaks, not September's), the same fit, and two
    visits 23 hours apart across the spring DST change one visit, as in UTC."""
    hel = ZoneInfo("Europe/Helsinki")
    september = (0.0,) * 8 + (3.0,) + (0.0,) * 3  # breaks begin in September
    model = ReturnModel(replace(Prior().params(), season=september))
    visits = visits_with([35.0, 42.0, 30.0])
    visits = [v + (datetime(2025, 8, 31, 23, 30, tzinfo=UTC) - visits[-1]) for v in visits]
    local = [v.astimezone(hel) for v in visits]
    now = datetime(2026, 2, 21, 5, 12, tzinfo=UTC)
    assert returns.summarize(local, now) == returns.summarize(visits, now)
    for as_of in (now, now.astimezone(hel)):
        assert model.p_return(local, as_of, 182) == model.p_return(visits, now, 182)
        assert model.p_alive(local, as_of) == model.p_alive(visits, now)
        assert model.status(local, as_of, False) == model.status(visits, now, False)
        assert model.turns(local, as_of) == model.turns(visits, now)
    saturday, sunday = datetime(2024, 3, 30, 12, tzinfo=hel), datetime(2024, 3, 31, 12, tzinfo=hel)
    history = returns.summarize([saturday, sunday], datetime(2024, 6, 1, tzinfo=hel))
    assert history is not None and history.log_gaps == ()
    histories, as_of = generate(Prior().params(), 200, seed=9, years=1.5)
    in_helsinki = [[v.astimezone(hel) for v in h] for h in histories]
    assert fit(in_helsinki, as_of.astimezone(hel)).to_dict() == fit(histories, as_of).to_dict()


def test_a_history_mixing_zones_naive_instants_and_dates_is_read_as_the_same_instants():
    """Each visit is read on its own (once only the first was looked at, and a naive or a
    date after an aware one raised TypeError): the same answers as her UTC history, and
    one such client among many does not stop the business's fit."""
    hel = ZoneInfo("Europe/Helsinki")
    histories, as_of = generate(Prior().params(), 120, seed=12, years=1.5)
    utc = [[v.replace(hour=0, minute=0, second=0, microsecond=0) for v in h] for h in histories]
    her = next(h for h in utc if len(h) >= 4)
    for mixed in (
        [her[0], her[1].replace(tzinfo=None), her[2].astimezone(hel), her[3].date(), *her[4:]],
        [her[0].date(), her[1].astimezone(hel), her[2], her[3].replace(tzinfo=None), *her[4:]],
    ):
        for model in (ReturnModel(Prior().params()), fit(utc, as_of)):
            assert model.p_return(mixed, as_of, 182) == model.p_return(her, as_of, 182)  # type: ignore[arg-type]
            assert model.status(mixed, as_of, False) == model.status(her, as_of, False)  # type: ignore[arg-type]
        others = [h for h in utc if h is not her]
        assert fit([*others, mixed], as_of).to_dict() == fit([*others, her], as_of).to_dict()  # type: ignore[list-item]


def test_a_window_before_the_moment_is_refused_not_answered_never():
    """P(a visit within -30 days) is a caller's mistake, refused as a NaN window is (once
    a quiet 0.0: "she will not come back"); a window of no days is no visit."""
    model = ReturnModel(Prior().params(), counts=BGNBD(0.243, 4.414 * 7, 0.793, 2.426), counts_weight=0.5)
    visits = visits_with([30.0, 35.0, 28.0])
    now = visits[-1] + timedelta(days=40)
    for window in (-30.0, -math.inf, -1e-9):
        with pytest.raises(ValueError):
            model.p_return(visits, now, window)
    assert model.p_return(visits, now, 0.0) == 0.0


def test_the_same_clients_listed_in_any_order_get_the_same_model_and_statuses(monkeypatch):
    """fit() reads the clients, not the order they are listed in (by id, by name, newest
    first): the same model to the last digit and the same answers, with every sample (the
    fit's, the breaks', leaving's, the inner splits', the expected best's) and the
    calendar's two folds drawn from them as they would be from any other order."""
    for name, most in (
        ("MAX_FIT_CLIENTS", 150),
        ("MAX_TAIL_GAPS", 300),
        ("MAX_LEAVING_CLIENTS", 80),
        ("MAX_VALIDATION_CLIENTS", 120),
        ("MAX_EXPECTED_CLIENTS", 90),
    ):
        monkeypatch.setattr(returns, name, most)
    autumn = replace(Prior(typical_gap_days=30.0).params(), season=AUTUMN_BREAKS)
    histories, as_of = generate(autumn, 250, seed=13, years=2.5)
    model = fit(histories, as_of)
    shuffled = histories[:]
    random.Random(1).shuffle(shuffled)
    for order in (histories[::-1], sorted(histories, key=len, reverse=True), shuffled):
        other = fit(order, as_of)
        assert other.to_dict() == model.to_dict()
        for h in histories:
            assert other.status(h, as_of, False) == model.status(h, as_of, False)
            assert other.p_return(h, as_of, 182) == model.p_return(h, as_of, 182)


def test_a_salted_order_draws_other_samples_from_the_same_clients_in_any_listing(monkeypatch):
    """ORDER_SALT (bench/lapse.py --order-salt) is how a probe sees what the capped samples
    cost: with it the fit samples other clients (another model from the same ones) but is
    still the clients' own, the same to the last digit however they are listed."""
    for name, most in (("MAX_TAIL_GAPS", 300), ("MAX_LEAVING_CLIENTS", 80), ("MAX_EXPECTED_CLIENTS", 90)):
        monkeypatch.setattr(returns, name, most)
    histories, as_of = generate(Prior(typical_gap_days=30.0).params(), 250, seed=13, years=2.5)
    unsalted = fit(histories, as_of).to_dict()
    monkeypatch.setattr(returns, "ORDER_SALT", b"1")
    salted = fit(histories, as_of).to_dict()
    assert salted != unsalted
    assert fit(histories[::-1], as_of).to_dict() == salted


def test_the_calendar_of_breaks_moves_smoothly_across_a_months_end():
    """Each month's breaks hold at its middle and blend into the next's between: a last
    visit two minutes before or after midnight on 31 August gives nearly the same chances
    and the same status (once a step from August's breaks to September's: 0.17 against
    0.45 on a fitted salon), while the middle of September keeps September's breaks."""
    september = (0.0,) * 8 + (3.0,) + (0.0,) * 3
    model = ReturnModel(replace(Prior().params(), season=september, season_breaks=calendar_of(random.Random(3))))
    flat = ReturnModel(Prior().params())
    earlier = visits_with([35.0, 42.0, 30.0, 38.0])
    for end in (datetime(2025, 8, 31, 23, 59, tzinfo=UTC), datetime(2025, 12, 31, 23, 59, tzinfo=UTC)):
        before = [v + (end - earlier[-1]) for v in earlier]
        after = [*before[:-1], end + timedelta(minutes=2)]
        for days in (45.0, 120.0, 170.0):
            now = end + timedelta(days=days)
            assert model.p_return(after, now, 182) == pytest.approx(model.p_return(before, now, 182), abs=0.01)
            assert model.p_alive(after, now) == pytest.approx(model.p_alive(before, now), abs=0.01)
            assert model.status(after, now, False) == model.status(before, now, False)
    mid_september = datetime(2025, 9, 16, tzinfo=UTC)
    assert returns.month_of(mid_september) == 8.0
    h = returns.summarize([mid_september - timedelta(days=40), mid_september], mid_september + timedelta(days=60))
    assert h is not None
    gap = returns.next_gap(model.params, h)
    assert gap.pause == model.params.pause_at(8.0) and gap.pause.cells == model.params._pauses[8].cells
    assert gap.break_share > 5 * returns.next_gap(flat.params, h).break_share
