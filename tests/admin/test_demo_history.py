"""The lived-in demo salon `make run` starts with (scripts/demo_history.py): the owner's
side has something to show — regulars, clients slipping away with their reasons, key
figures — a run stopped half-way is finished by the next, and a salon's own clients keep
it away."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scripts.past_visits import past_visits
from tests.api.helpers import table_items
from tests.history import at, run_job


def test_the_demo_salon_starts_with_a_year_of_clients_some_slipping_away(desk, frozen_now, monkeypatch):
    from scripts import demo_history

    frozen_now["now"] = at("2026-12-07T10:00:00+02:00")
    # `make run` stopped on its first start, ten clients in: the next start finishes it.
    written: list[str] = []

    def stopped(*args, **kw):
        if len(written) == 10:
            raise KeyboardInterrupt
        written.append(kw["name"])
        return past_visits(*args, **kw)

    monkeypatch.setattr(demo_history, "past_visits", stopped)
    with pytest.raises(KeyboardInterrupt):
        demo_history.seed("demo")
    monkeypatch.setattr(demo_history, "past_visits", past_visits)
    frozen_now["now"] += timedelta(days=2)  # started again two days later
    made = demo_history.seed("demo")
    assert made["clients"] == 25 - len(set(written)) and made["visits"] > 80, made
    assert demo_history.seed("demo") == {"clients": 0, "visits": 0}  # all there: nothing more
    assert len(desk.get("/clients?limit=100")[1]["clients"]) == 25
    # No stylist has two clients at once: the visits written two days before are kept clear of.
    starts = [(i["staff_id"]["S"], i["start"]["S"]) for i in table_items() if i["sk"]["S"].startswith("APPT#")]
    assert len(starts) == len(set(starts)) > 100

    run_job("refit_returns", frozen_now["now"])
    listed = desk.get("/retention")[1]["clients"]
    by_name = {c["client"]["name"]: c for c in listed}
    statuses = {c["status"] for c in listed}
    assert statuses == {"at_risk", "lapsed"} and 8 <= len(listed) <= 14, sorted(by_name)
    # The regulars on their rhythm are not on it; those silent long past theirs are.
    assert "Anna Virtanen" not in by_name and "Jari Nieminen" not in by_name
    assert by_name["Harri Miettinen"]["status"] == "lapsed" and by_name["Laura Lindholm"]["status"] == "lapsed"
    # Each listed with why, in the owner's words' codes.
    codes = {s["code"] for c in listed for s in c["signals"]}
    assert {"spacing_out", "one_visit"} <= codes, codes
    # Her card's warnings: a no-show last time, a falling rating.
    clients = {c["name"]: c["id"] for c in desk.get("/clients?limit=100")[1]["clients"]}
    for name, code in (("Noora Rantanen", "no_show"), ("Tiina Karjalainen", "falling_rating")):
        signals = desk.get(f"/clients/{clients[name]}")[1]["standing"]["signals"]
        assert code in {s["code"] for s in signals}, (name, signals)
    # Key figures with months behind them.
    run_job("kpi_sync", frozen_now["now"])
    trend = desk.get("/kpis?period=2026-11")[1]["trend"]
    assert sum(1 for m in trend if m["kpis"]["visits"]) >= 10, trend


def test_the_demo_history_is_never_written_outside_a_local_stack(desk, monkeypatch):
    # 25 made-up clients who agreed to marketing, in a real salon's table: refused.
    import os
    from argparse import Namespace

    from scripts import rebook_cli
    from tests.conftest import reset_caches

    stage = os.environ["REBOOK_STAGE"]
    monkeypatch.setenv("REBOOK_STAGE", "prod")
    reset_caches()
    with pytest.raises(SystemExit, match="local stages only, not 'prod'"):
        rebook_cli.cmd_seed_demo_history(Namespace(business="demo"))
    monkeypatch.setenv("REBOOK_STAGE", stage)
    reset_caches()
    from chalicelib.store import clients
    from tests.history import business

    assert list(clients.all_clients(business("demo").id)) == []


def test_a_salon_with_clients_of_its_own_gets_no_demo_clients(desk, frozen_now):
    from scripts import demo_history

    past_visits(["2026-11-02T10:00:00+02:00"], name="Oma Asiakas", phone="040 765 4321", email="oma@example.com")
    assert demo_history.seed("demo") == {"clients": 0, "visits": 0}
    assert [c["name"] for c in desk.get("/clients?limit=100")[1]["clients"]] == ["Oma Asiakas"]
