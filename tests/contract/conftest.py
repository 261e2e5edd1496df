"""The stage the fuzz runs of the owner API and the link pages share within a module:
one moto table with the demo salon, the clock frozen, and real ids and link tokens for
the stand-ins of their documents (set up once per module: the runs are in every
`make test`, and an operation's cases need no fresh table each)."""

from __future__ import annotations

from datetime import timedelta

import pytest


@pytest.fixture(scope="module")
def stage():
    """(ids, desk): the ids of Maija's booking and client, a cancellable and a movable
    booking, an erasable client, a follow-up, time off, an import, an API key, and the
    tokens of her links; `desk` calls the owner API as the owner."""
    from chalice.test import Client

    from chalicelib import clock, links
    from tests.admin.helpers import Desk
    from tests.api.helpers import book, token_of
    from tests.conftest import freeze_clock, moto_stage, reset_caches, set_env

    with pytest.MonkeyPatch.context() as mp:
        set_env(mp)
        freeze_clock(mp)
        with moto_stage() as business:
            from app import app

            with Client(app) as client:
                desk = Desk(client, business.id)
                ids = {}
                for name, start in (
                    ("appointment", "2026-11-25T12:00:00+02:00"),
                    ("cancellable", "2026-11-25T14:00:00+02:00"),
                    ("movable", "2026-11-26T12:00:00+02:00"),
                ):
                    status, booked = book(client, start, staff="sanna")
                    assert status == 201, booked
                    ids[name] = booked["id"]
                    ids[f"manage-{name}"] = token_of(booked["manage_url"])
                _, appointment = desk.get(f"/appointments/{ids['appointment']}")
                ids["client"] = appointment["client"]["id"]
                status, other = book(
                    client, "2026-11-27T12:00:00+02:00", staff="sanna", name="Eeva", phone="040 222 3333", email=None
                )
                assert status == 201, other
                ids["erasable"] = desk.get(f"/appointments/{other['id']}")[1]["client"]["id"]
                ids["followup"] = desk.post(f"/clients/{ids['client']}/follow-ups", {"goal": "Longer hair"})[1]["id"]
                block = {"staff": "sanna", "start": "2026-12-02T10:00", "end": "2026-12-02T11:00"}
                ids["timeoff"] = desk.post("/time-off", block)[1]["id"]
                ids["import"] = desk.post("/imports", {"csv": "Name,Email\nAnna,anna@example.com\n"})[1]["id"]
                ids["apikey"] = desk.post("/api-keys", {"name": "Fuzz", "scopes": ["read"]})[1]["id"]
                now, end = clock.now(), clock.now() + timedelta(days=3)
                ids["hold"] = links.hold_token(business.id, ids["appointment"], end)
                ids["feedback"] = links.feedback_token(business.id, ids["appointment"], end)
                ids["unsubscribe"] = links.unsubscribe_token(business.id, ids["client"], now)
                ids["card"] = links.card_token(business.id, ids["client"], now)
                yield ids, desk
    reset_caches()
