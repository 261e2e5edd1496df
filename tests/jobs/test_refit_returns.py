"""The weekly refit of each business's return model: it stores the fit of the week,
moves her at-risk and lapse days to it (over several runs for a big business), changes
nothing when run again, and a business with no history keeps its prior. Thresholds are
fitted to the business's own past, or those it configured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.history import at, business, past_visits, run_job

MONDAY = datetime(2027, 3, 1, tzinfo=UTC)
EVERY_3_WEEKS = [at("2026-06-04T12:00:00+03:00") + timedelta(days=21 * n) for n in range(8)]
EVERY_5_WEEKS = [at("2026-05-05T10:00:00+03:00") + timedelta(days=35 * n) for n in range(6)]
ONCE = [at("2026-10-01T10:00:00+03:00")]


@pytest.fixture
def salon(aws, frozen_now):
    past_visits(EVERY_3_WEEKS, name="Maija", phone="040 100 0001", email="maija@example.com")
    past_visits(EVERY_5_WEEKS, name="Kaisa", phone="040 100 0002", email="kaisa@example.com")
    past_visits(ONCE, name="Kalle", phone="040 100 0003", email="kalle@example.com")
    return business()


def _other_business(**retention):
    from chalicelib.store.businesses import save_config
    from tests.conftest import demo_config

    cfg = demo_config()
    data = cfg.model_dump(mode="json") | {"slug": "other-salon", "name": "Toinen"}
    data["retention"] = data["retention"] | retention
    b, _ = save_config(type(cfg).model_validate(data))
    return b


def _set_retention(b, **changes):
    from chalicelib.store.businesses import get_by_id, save_config

    data = b.config.model_dump(mode="json")
    data["retention"] = data["retention"] | changes
    save_config(type(b.config).model_validate(data))
    changed = get_by_id(b.id)
    assert changed is not None
    return changed


def _days(b):
    from chalicelib.store import clients

    return {c.name: (c.at_risk_on, c.lapsed_on) for c in clients.all_clients(b.id)}


def test_the_weekly_fit_is_stored_moves_the_lapse_days_and_a_second_run_changes_nothing(salon):
    from chalicelib.services import returns
    from chalicelib.store import returns as stored

    before = _days(salon)
    assert stored.get(salon.id, returns.thresholds(salon.config)) is None  # the prior until the first fit
    first = run_job("refit_returns", MONDAY + timedelta(days=2, hours=5))  # Wednesday: fitted to Monday 00:00
    assert first == {"businesses": 1, "fitted": 1, "rekeyed": 3, "left_for_next_run": False}
    model = stored.get(salon.id, returns.thresholds(salon.config))
    assert model is not None and model.fitted_at == MONDAY and model.clients == 3
    after = _days(salon)
    assert after != before  # her days are the fitted model's now
    last = EVERY_3_WEEKS[-1]
    # As the product sees her: from her cut's return interval (past_visits' service).
    seen = returns.for_service(model, salon.config.service("womens-cut"))
    assert seen.params.mu0 != model.params.mu0
    _, lapsed = seen.turns(EVERY_3_WEEKS, last + timedelta(seconds=1))
    assert lapsed is not None
    assert after["Maija"][1] in ((lapsed.astimezone(salon.config.tz) + timedelta(days=d)).date() for d in (0, 1))

    again = run_job("refit_returns", MONDAY + timedelta(days=6, hours=23))  # the same week, retried
    assert again == {"businesses": 1, "fitted": 0, "rekeyed": 0, "left_for_next_run": False}
    again_model = stored.get(salon.id, returns.thresholds(salon.config))
    assert again_model is not None and again_model.to_dict() == model.to_dict()
    assert _days(salon) == after


def test_a_model_stored_in_the_format_before_is_refitted_by_the_next_run_not_read_for_the_week(salon):
    """A model fitted before the rhythm prior changed (8 Dec 2026, format 1) was read as
    today's until Monday, its slow regulars lapsed on the day they were due (a walk):
    the next hourly run fits the week's anew and re-keys her days to it."""
    from chalicelib.services import returns
    from chalicelib.store import keys
    from chalicelib.store import returns as stored
    from chalicelib.store.models import ReturnModelItem

    run_job("refit_returns", MONDAY + timedelta(days=1))
    item = ReturnModelItem.get(keys.biz(salon.id), keys.RETURNS_SK, consistent_read=True)
    old = dict(item.model, version=1)
    old["params"] = {k: v for k, v in old["params"].items() if k != "tau0"} | {"kappa0": 0.85}
    item.model = old
    item.save()
    assert stored.get(salon.id, returns.thresholds(salon.config)) is None  # not read as today's
    again = run_job("refit_returns", MONDAY + timedelta(days=1, hours=1))  # the next hourly run, mid-week
    assert again == {"businesses": 1, "fitted": 1, "rekeyed": 3, "left_for_next_run": False}
    model = stored.get(salon.id, returns.thresholds(salon.config))
    assert model is not None and model.to_dict()["version"] == 2 and model.fitted_at == MONDAY


def test_a_business_with_no_history_keeps_its_prior(aws, frozen_now):
    from chalicelib.domain.returns import Prior
    from chalicelib.services import returns
    from chalicelib.store import returns as stored

    b = business()
    run_job("refit_returns", MONDAY)
    model = stored.get(b.id, returns.thresholds(b.config))
    assert model is not None and model.clients == 0
    assert model.params == Prior(typical_gap_days=b.config.retention.default_return_days).params()
    assert returns.model_for(b).params == model.params


def test_thresholds_are_the_business_own(salon):
    from chalicelib.services import returns

    strict = _other_business(at_risk_below=0.95, lapsed_below=0.9)
    lenient = _other_business(at_risk_below=0.3, lapsed_below=0.1)
    assert returns.model_for(strict).thresholds.lapsed_below == 0.9
    # The same history, the same model numbers (both priors), later statuses for the lenient.
    now = EVERY_5_WEEKS[-1] + timedelta(days=60)
    statuses = {
        name: returns.model_for(b).status(EVERY_5_WEEKS, now, has_future_booking=False)
        for name, b in (("demo", salon), ("strict", strict), ("lenient", lenient))
    }
    assert statuses == {"demo": "lapsed", "strict": "lapsed", "lenient": "active"}
    # ... and the days on her profile follow them.
    v = past_visits(EVERY_5_WEEKS, slug=lenient.config.slug, name="Kaisa", phone="040 100 0002", email=None)
    from chalicelib.store import clients

    kaisa_demo = next(c for c in clients.all_clients(salon.id) if c.name == "Kaisa")
    kaisa_lenient = clients.get_client(lenient.id, v.client_id)
    assert kaisa_lenient and kaisa_lenient.lapsed_on and kaisa_demo.lapsed_on
    assert kaisa_lenient.lapsed_on > kaisa_demo.lapsed_on


def test_a_big_business_is_re_keyed_over_several_runs_in_client_order(salon):
    from chalicelib.jobs import refit_returns

    when = MONDAY + timedelta(hours=3)
    first = refit_returns.run(when, budget_seconds=0)  # out of time before the first client
    assert (first["fitted"], first["rekeyed"], first["left_for_next_run"]) == (1, 0, True)
    rest = refit_returns.run(when + timedelta(hours=1))
    assert (rest["fitted"], rest["rekeyed"], rest["left_for_next_run"]) == (0, 3, False)
    assert refit_returns.run(when + timedelta(hours=2))["rekeyed"] == 0


def test_without_thresholds_of_its_own_a_business_gets_those_fitted_to_its_past(salon, monkeypatch):
    from chalicelib.domain import returns as rules
    from chalicelib.services import returns

    assert returns.thresholds(salon.config) is None  # the demo configures none
    asked = []
    lenient = rules.Thresholds.around(0.2)

    def validate(histories, as_of, window_days, prior, model):
        asked.append((len(histories), as_of, window_days, model.fitted_at))  # judged by the fit just made
        return rules.Validation(lenient, 40, 10)

    monkeypatch.setattr(rules, "validate", validate)
    own = _other_business(at_risk_below=0.95, lapsed_below=0.9)
    run_job("refit_returns", MONDAY + timedelta(hours=1))
    assert (3, MONDAY, rules.WINDOW_DAYS, MONDAY) in asked  # the demo's three clients, half a year
    model = returns.model_for(salon)
    assert model.thresholds == lenient
    assert returns.model_for(own).thresholds == rules.Thresholds(0.95, 0.9)  # configured ones win
    # ... and the owner is told which (the slipping list's `thresholds`).
    told = returns.thresholds_in_use(salon, model)
    assert (told["lapsed_below"], told["at_risk_below"], told["source"]) == (0.2, 0.6, "fitted")
    assert returns.thresholds_in_use(own, returns.model_for(own))["source"] == "own"
    # Her lapse day is the fitted thresholds': later than the defaults would make it.
    maija = _days(salon)["Maija"][1]
    _, by_defaults = rules.ReturnModel(model.params).turns(EVERY_3_WEEKS, EVERY_3_WEEKS[-1] + timedelta(seconds=1))
    assert maija is not None and by_defaults is not None and maija > by_defaults.astimezone(salon.config.tz).date()


def test_a_fit_is_not_begun_without_time_for_it_but_the_first_business_of_a_run_always_is(salon):
    from chalicelib.jobs import refit_returns

    _other_business()
    when = MONDAY + timedelta(hours=3)
    first = refit_returns.run(when, budget_seconds=refit_returns.FIT_SECONDS / 2)
    assert (first["businesses"], first["fitted"], first["left_for_next_run"]) == (2, 1, True)
    rest = refit_returns.run(when + timedelta(hours=1), budget_seconds=refit_returns.FIT_SECONDS / 2)
    assert (rest["fitted"], rest["left_for_next_run"]) == (1, False)


def test_a_business_of_yearly_clients_has_its_own_window_and_a_change_is_fitted_within_the_hour(salon, monkeypatch):
    from chalicelib.domain import returns as rules
    from chalicelib.services import returns

    asked = []
    fitted = rules.fit

    def fit(histories, as_of, prior, window_days):
        asked.append(window_days)
        return fitted(histories, as_of, prior, window_days=window_days)

    monkeypatch.setattr(rules, "fit", fit)
    run_job("refit_returns", MONDAY + timedelta(hours=1))
    assert asked == [rules.WINDOW_DAYS]  # half a year unless she says otherwise
    # A clinic whose patients come once a year: "will she be back?" within a year.
    clinic = _set_retention(salon, return_window_days=365)
    run_job("refit_returns", MONDAY + timedelta(hours=2))  # the same week: refitted at once
    assert asked == [rules.WINDOW_DAYS, 365.0]
    model = returns.model_for(clinic)
    assert model.window_days == 365.0 and returns.thresholds_in_use(clinic, model)["window_days"] == 365.0
    # Her chance of a visit is asked over the year: more than over half a year.
    kaisa = EVERY_5_WEEKS
    assert model.p_return(kaisa, MONDAY, 365.0) > model.p_return(kaisa, MONDAY, rules.WINDOW_DAYS)
    assert run_job("refit_returns", MONDAY + timedelta(hours=3))["fitted"] == 0  # and then left alone


def test_a_change_of_her_thresholds_or_default_return_days_is_re_keyed_within_the_hour(salon):
    """The owner's own thresholds change every client's status at once (the card, the
    list): her lapse day, which the win-back job reads, follows at the next hourly run;
    so does a service's return interval."""
    from chalicelib.services import returns
    from chalicelib.store.businesses import get_by_id, save_config

    assert run_job("refit_returns", MONDAY + timedelta(hours=1))["fitted"] == 1
    before = _days(salon)["Maija"][1]
    lenient = _set_retention(salon, at_risk_below=0.02, lapsed_below=0.01)
    assert run_job("refit_returns", MONDAY + timedelta(hours=2)) == {
        "businesses": 1,
        "fitted": 1,
        "rekeyed": 3,
        "left_for_next_run": False,
    }
    model = returns.for_service(returns.model_for(lenient), lenient.config.service("womens-cut"))
    _, lapsed = model.turns(EVERY_3_WEEKS, EVERY_3_WEEKS[-1] + timedelta(seconds=1))
    after = _days(salon)["Maija"][1]
    assert before is not None and after is not None and after > before
    assert lapsed is not None and after in (
        (lapsed.astimezone(salon.config.tz) + timedelta(days=d)).date() for d in (0, 1)
    )
    assert run_job("refit_returns", MONDAY + timedelta(hours=3))["fitted"] == 0  # then left alone
    _set_retention(lenient, default_return_days=60)  # the prior's typical gap and a new client's rhythm
    assert run_job("refit_returns", MONDAY + timedelta(hours=4))["fitted"] == 1
    # A service's return interval is where its clients' rhythm starts: Kalle's one cut.
    kalle = _days(salon)["Kalle"][1]
    data = get_by_id(salon.id).config.model_dump(mode="json")  # type: ignore[union-attr]
    cut = next(s for s in data["services"] if s["id"] == "womens-cut")
    cut["return_interval_days"] *= 2
    save_config(type(salon.config).model_validate(data))
    assert run_job("refit_returns", MONDAY + timedelta(hours=5))["rekeyed"] == 3
    assert kalle is not None and _days(salon)["Kalle"][1] > kalle


@pytest.mark.parametrize("days", [0, 27, 731])
def test_a_window_shorter_than_four_weeks_or_longer_than_two_years_is_refused(days):
    from pydantic import ValidationError

    from chalicelib.domain.config import Retention

    with pytest.raises(ValidationError, match="return_window_days"):
        Retention(return_window_days=days)


def test_a_first_timer_of_a_service_without_an_interval_is_expected_when_the_fitted_model_starts_her(salon):
    """Before the first fit she is expected after the owner's assumed time between visits;
    after it, after the business's typical gap as its clients show it: the day from which
    the model may call her at risk (the list never says she lapsed before it expected her)."""
    from chalicelib.services import returns
    from chalicelib.store import clients

    past_visits(ONCE, name="Liisa", phone="040 100 0004", email="liisa@example.com", service="blowdry")

    def liisa():
        return next(c for c in clients.all_clients(salon.id) if c.name == "Liisa")

    assert liisa().rhythm_days == salon.config.retention.default_return_days == 42
    run_job("refit_returns", MONDAY + timedelta(hours=1))
    model = returns.model_for(salon)
    assert model.typical_gap_days != 42
    figures = liisa()
    assert figures.rhythm_days == pytest.approx(model.typical_gap_days, abs=0.01)  # kept to 0.01 day
    at_risk, _ = model.turns(ONCE, ONCE[0] + timedelta(seconds=1))
    assert at_risk is not None and figures.last_visit_at is not None
    assert figures.last_visit_at + timedelta(days=figures.rhythm_days) <= at_risk


def test_a_client_is_never_at_risk_before_the_day_her_rhythm_expects_her(salon):
    """Two cuts three weeks apart: her rhythm (two visits: not her own yet) expects her
    on the cut's 42nd day; the model alone, reading her one short gap, would have her
    lapse on the 30th. Her card, the list and the win-back day all wait for the 42nd."""
    from chalicelib.services import returns
    from chalicelib.store import bookings

    two = [at("2026-09-01T10:00:00+03:00"), at("2026-09-22T10:00:00+03:00")]
    sini = past_visits(two, name="Sini", phone="040 100 0005", email="sini@example.com")
    model, cut = returns.model_for(salon), salon.config.service("womens-cut")
    alone_at_risk, alone_lapsed = returns.for_service(model, cut).turns(two, two[-1] + timedelta(seconds=1))
    expected = two[-1] + timedelta(days=42)
    assert alone_at_risk is not None and alone_lapsed is not None and alone_lapsed < expected - timedelta(days=10)
    figures = _days(salon)["Sini"]
    assert figures == ((expected + timedelta(days=1)).date(),) * 2  # the first whole day past it, in Helsinki
    history = bookings.client_history(salon.id, sini.client_id)
    between = alone_lapsed + timedelta(days=5)
    assert returns.for_service(model, cut).status(two, between, False) == "lapsed"  # the model alone
    assert returns.seen(model, salon.config, history, between).status(between, False) == "active"
    after = expected + timedelta(minutes=1)
    assert returns.seen(model, salon.config, history, after).status(after, False) == "lapsed"
