"""Birthday greetings: at the business's local morning, marketing consent only, once a
year, with the business's perk; 29 February is greeted on 28 February in common years."""

from __future__ import annotations

import pytest

from tests.admin.helpers import Desk
from tests.api.helpers import book
from tests.conftest import sent_emails
from tests.history import at, business


def run(when):
    from chalicelib.jobs.schedule import JOBS

    return JOBS["marketing"].run(at(when))["birthday_sent"]


def greetings():
    return [m for m in sent_emails() if "maija@example.com" in str(m.destinations) and "/u/" in m.raw_data]


@pytest.fixture
def maija(client, aws):
    def make(birthday, marketing=True):
        assert book(client, "2026-11-25T12:00:00+02:00", consents={"marketing": marketing})[0] == 201
        desk = Desk(client, aws.id)
        cid = desk.get("/clients")[1]["clients"][0]["id"]
        assert desk.patch(f"/clients/{cid}", {"birthday": birthday})[0] == 200
        return desk

    return make


def test_greeted_once_on_the_day_at_local_morning(maija):
    maija("1988-12-03")
    assert run("2026-12-02T10:05:00+02:00") == 0
    assert run("2026-12-03T09:55:00+02:00") == 0  # 10:00 in Helsinki is the morning run
    assert run("2026-12-03T07:59:00+00:00") == 0  # the same moment in UTC: still 09:59 there
    assert run("2026-12-03T10:05:00+02:00") == 1
    assert run("2026-12-03T11:05:00+02:00") == 0 and run("2026-12-03T18:05:00+02:00") == 0
    assert len(greetings()) == 1
    assert run("2027-12-03T10:05:00+02:00") == 1  # next year again


def test_leap_day_birthday_is_greeted_on_28_february_in_common_years(maija):
    maija("--02-29")
    assert run("2027-02-28T10:05:00+02:00") == 1
    assert run("2027-03-01T10:05:00+02:00") == 0
    assert run("2028-02-28T10:05:00+02:00") == 0  # 2028 is a leap year: on the 29th
    assert run("2028-02-29T10:05:00+02:00") == 1


def test_no_consent_no_greeting(maija):
    maija("1988-12-03", marketing=False)
    assert run("2026-12-03T10:05:00+02:00") == 0 and greetings() == []


@pytest.mark.parametrize(
    "locale, perk, greeting",
    [
        ("fi", "-20 % koodilla SYNTTARIT", "lämpimät onnittelut"),
        ("sv", "-20 % med koden SYNTTARIT", "varma gratulationer"),
        ("en", "20% off with the code SYNTTARIT", "Warm wishes"),
    ],
)
def test_the_perk_is_in_the_greeting_in_her_language(client, aws, maija, locale, perk, greeting):
    """The owner writes the perk in each language; a Swedish client's greeting is Swedish
    through and through (it carried the Finnish perk: one box for all)."""
    import quopri

    from chalicelib.domain.config import LocalizedPerk
    from chalicelib.store import businesses

    demo = business()
    perks = LocalizedPerk(
        fi="-20 % koodilla SYNTTARIT", sv="-20 % med koden SYNTTARIT", en="20% off with the code SYNTTARIT"
    )
    marketing = demo.config.marketing.model_copy(update={"birthday_perk": perks})
    businesses.save_config(demo.config.model_copy(update={"marketing": marketing}))
    desk = maija("1988-12-03")
    cid = desk.get("/clients")[1]["clients"][0]["id"]
    assert desk.patch(f"/clients/{cid}", {"locale": locale})[0] == 200
    run("2026-12-03T10:05:00+02:00")
    text = quopri.decodestring(greetings()[0].raw_data.encode()).decode("utf-8", "replace")
    assert perk in text and greeting in text, text
    others = [p for p in (perks.fi, perks.sv, perks.en) if p and p != perk]
    assert not any(p in text for p in others), text


def test_a_perk_saved_as_one_text_before_is_the_finnish_one(client, aws, maija):
    from chalicelib.store import businesses

    demo = business()
    raw = demo.config.model_dump(mode="json")
    raw["marketing"]["birthday_perk"] = "Kahvi talon puolesta"
    assert businesses.save_config(type(demo.config).model_validate(raw))[0]
    assert business().config.marketing.birthday_perk.get("fi") == "Kahvi talon puolesta"


def move_business(zone):
    from chalicelib.store import businesses

    config = business().config
    businesses.save_config(config.model_copy(update={"timezone": zone}))


@pytest.mark.parametrize(
    "zone, too_early, morning",
    [
        # Auckland is 13 hours ahead in December: its 3 Dec morning is 2 Dec in UTC.
        ("Pacific/Auckland", "2026-12-02T20:55:00+00:00", "2026-12-02T21:05:00+00:00"),
        # Los Angeles is 8 hours behind: 10:05 in Helsinki on the 3rd is 00:05 there.
        ("America/Los_Angeles", "2026-12-03T08:05:00+00:00", "2026-12-03T18:05:00+00:00"),
    ],
)
def test_the_morning_is_the_business_own_wherever_it_is(maija, zone, too_early, morning):
    maija("1988-12-03")
    move_business(zone)
    assert run(too_early) == 0
    assert run(morning) == 1
    assert len(greetings()) == 1
