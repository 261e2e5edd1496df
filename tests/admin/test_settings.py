"""The settings screen by section: GET /settings, PUT /settings/{section} validated like
the YAML loader, saved on the version read, audited with the paths it changed."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import DEMO
from tests.history import business


def _sections(desk):
    status, body = desk.get("/settings")
    assert status == 200, body
    return body


def test_owner_sees_every_section_and_may_edit(desk):
    body = _sections(desk)
    assert body["can_edit"] is True
    assert set(body["sections"]) == {
        *("salon", "hours", "closures", "services", "staff", "rules", "reminders", "messages", "shop"),
        *("retention", "marketing", "loyalty", "feedback", "terms", "policy"),
    }
    s = body["sections"]
    assert s["hours"]["mon"] == [["09:00", "18:00"]]
    assert {"date": "2026-12-24", "name": "Jouluaatto"} in s["closures"]
    cut = next(x for x in s["services"] if x["id"] == "womens-cut")
    assert cut["name"]["sv"] == "Damklippning" and cut["duration_minutes"] == 60 and cut["buffer_minutes"] == 10
    assert cut["price_cents"] == 6900 and cut["return_interval_days"] == 42
    assert "category" in cut and "description" in cut
    aino = next(x for x in s["staff"] if x["id"] == "aino")
    assert {"name", "title", "photo_url", "services", "hours"} <= set(aino)
    assert s["rules"] == {
        "min_notice_minutes": 120,
        "max_horizon_days": 90,
        "slot_step_minutes": 15,
        "cancellation_window_hours": 24,
        "change_grace_minutes": 15,
    }
    assert s["reminders"][0] == {"channel": "email", "hours_before": 24, "day_before_at": None}
    assert s["messages"] == {
        "review_link": "https://g.page/r/salon-aurora-demo/review",
        "sender_name": None,
        "sms_sender": "SalonAurora",
    }
    assert isinstance(body["version"], int)


def test_put_a_section_replaces_it_and_the_rest_stays(desk):
    before = _sections(desk)
    services = before["sections"]["services"]
    services[0] = {**services[0], "price_cents": 7500, "category": {"fi": "Hiukset", "sv": "Klippning", "en": "Hair"}}
    status, body = desk.put("/settings/services", services)
    assert status == 200, body
    assert body["section"] == "services" and body["value"][0]["price_cents"] == 7500
    assert body["changed"] == [
        "services.womens-cut.category.en",
        "services.womens-cut.category.fi",
        "services.womens-cut.price_cents",
    ]
    assert body["version"] == before["version"] + 1
    after = _sections(desk)
    assert after["sections"]["services"][0]["category"]["en"] == "Hair"
    assert after["sections"]["staff"] == before["sections"]["staff"]
    # The public profile (the per-container cache) follows at once in this process.

    assert business().config.services[0].price_cents == 7500


def test_every_section_round_trips_unchanged(desk):
    body = _sections(desk)
    for name, value in body["sections"].items():
        status, answer = desk.put(f"/settings/{name}", value)
        assert status == 200, (name, answer)
        assert answer["changed"] == [] and answer["value"] == value
    assert _sections(desk)["version"] == body["version"]  # nothing changed, nothing saved


def test_messages_section_sets_the_sender_name_and_review_link(desk):
    status, body = desk.put(
        "/settings/messages",
        {"review_link": "https://example.com/review", "sender_name": "Salon Aurora Helsinki", "sms_sender": "Aurora"},
    )
    assert status == 200, body
    assert sorted(body["changed"]) == ["messages.review_link", "messages.sender_name", "messages.sms_sender"]
    from chalicelib.services import message_plans

    b = business()
    assert message_plans.business_context(b)["sender_name"] == "Salon Aurora Helsinki"


def test_the_salon_section_sets_what_her_clients_see_of_the_salon(desk, client):
    """A new owner's salon in Tampere (an owner's walk: the name, address and phone could be
    changed only through the whole configuration, and the booking page, its confirmation and
    every message named the demo's Helsinki address)."""
    salon = _sections(desk)["sections"]["salon"]
    assert salon == {
        "name": "Salon Aurora",
        "address": "Fredrikinkatu 20, 00120 Helsinki",
        "phone": salon["phone"],
        "website": salon["website"],
        "locale": "fi",
        "owner_email": salon["owner_email"],
        "owner_locale": None,
    }
    new = {
        "name": "Parturi-Kampaamo Maria",
        "address": "Hämeenkatu 5, 33100 Tampere",
        "phone": "+358 3 123 4567",
        "website": "https://maria.example.fi",
        "locale": "sv",
        "owner_email": "maria@example.fi",
        "owner_locale": "sv",
    }
    status, body = desk.put("/settings/salon", new)
    assert status == 200, body
    assert sorted(body["changed"]) == [f"salon.{k}" for k in sorted(new)]
    assert body["value"]["phone"] == "+358 3 123 4567"
    from chalicelib.store import businesses

    businesses.clear_cache()
    html = client.http.get("/book/demo?lang=fi").body.decode()
    assert "Parturi-Kampaamo Maria" in html and "Hämeenkatu 5, 33100 Tampere" in html
    assert "Fredrikinkatu" not in html
    # A Swedish-speaking salon (a walk: only an operator could set its language): its page
    # speaks Swedish to a browser that asks for no language of ours.
    html = client.http.get("/book/demo", headers={"Accept-Language": "de-DE"}).body.decode()
    assert '<html lang="sv"' in html, html[:300]
    # Bad values: each on its field, nothing saved.
    status, body = desk.put("/settings/salon", {**new, "name": "", "owner_email": "maria@"})
    assert status == 422 and set(body["error"]["fields"]) == {"name", "owner_email"}, body
    status, body = desk.put("/settings/salon", {**new, "phone": "12"})
    assert status == 422 and set(body["error"]["fields"]) == {"phone"}, body
    status, body = desk.put("/settings/salon", {**new, "locale": "de"})
    assert status == 422 and set(body["error"]["fields"]) == {"locale"}, body
    assert _sections(desk)["sections"]["salon"]["name"] == "Parturi-Kampaamo Maria"


def test_the_shop_section_sets_the_booking_pages_introduction_and_rating(desk, client):
    shop = _sections(desk)["sections"]["shop"]
    assert shop["cover"] == "demo-cover" and shop["rating_min_count"] == 5
    status, body = desk.put(
        "/settings/shop", {**shop, "intro": {"fi": "Uusi esittely.", "sv": None, "en": None}, "show_rating": False}
    )
    assert status == 200, body
    assert sorted(body["changed"]) == ["shop.intro.en", "shop.intro.fi", "shop.intro.sv", "shop.show_rating"]
    from chalicelib.store import businesses

    businesses.clear_cache()
    html = client.http.get("/book/demo?lang=fi").body.decode()
    assert "Uusi esittely." in html and 'class="cover"' in html  # the cover kept


def test_the_terms_section_sets_the_fees_clients_accept_and_raises_their_version(desk, client):
    """The owner sets her cancellation terms on the settings' Cancellation terms card
    (PUT /settings/terms, `payments.terms`): the booking page offers the new terms under a
    new `payments.version` (bookings made before keep theirs); saving them again unchanged
    saves nothing and leaves the version."""
    from tests.api.helpers import get

    def offered():
        body = get(client, "/api/v1/businesses/demo")[1]
        [highlights] = [s for s in body["services"] if s["id"] == "highlights"]
        terms = {
            k: highlights["payment"][k] for k in ("free_until_hours", "late_cancel_fee_percent", "no_show_fee_percent")
        }
        return body["payments"]["version"], terms

    body = _sections(desk)
    assert body["sections"]["terms"] == {
        "free_until_hours": 24,
        "late_cancel_fee_percent": 50,
        "no_show_fee_percent": 100,
    }
    version, _ = offered()
    new = {"free_until_hours": 48, "late_cancel_fee_percent": 30, "no_show_fee_percent": 80}
    status, saved = desk.put("/settings/terms", new, headers={"If-Match": str(body["version"])})
    assert status == 200, saved
    assert saved["value"] == new and saved["version"] == body["version"] + 1
    assert saved["changed"] == ["terms.free_until_hours", "terms.late_cancel_fee_percent", "terms.no_show_fee_percent"]
    from chalicelib.store import businesses

    businesses.clear_cache()
    assert offered() == (version + 1, new)
    assert business().config.payments.terms.no_show_fee_percent == 80
    status, again = desk.put("/settings/terms", new)
    assert status == 200 and again["changed"] == [] and again["version"] == saved["version"]
    assert offered()[0] == version + 1


def test_the_policy_section_sets_what_a_service_without_its_own_payment_takes(desk, client):
    """The business's own payment policy (`payments.policy`: what booking a service whose
    `payment` is null takes) is saved from the settings (PUT /settings/policy), as the
    terms are: the booking page's service list says the new deposit under such a service,
    under a new `payments.version`; a service with its own payment keeps it."""
    import re

    from chalicelib.store import businesses

    def line(name):
        html = client.http.get("/book/demo?lang=fi").body.decode()
        item = re.search(rf"<strong>{name}</strong>(.*?)</a></li>", html, re.S)
        assert item, name
        pay = re.search(r'<span class="pay">(.*?)</span>', item[1])
        return pay[1] if pay else None

    body = _sections(desk)
    assert body["sections"]["policy"] == {"kind": "none", "deposit_cents": None, "deposit_percent": None}
    assert line("Naisten hiustenleikkaus") is None
    version = business().config.payments.version
    new = {"kind": "deposit", "deposit_cents": None, "deposit_percent": 20}
    status, saved = desk.put("/settings/policy", new, headers={"If-Match": str(body["version"])})
    assert status == 200, saved
    assert saved["value"] == new and saved["changed"] == ["policy.deposit_percent", "policy.kind"]
    businesses.clear_cache()
    assert business().config.payments.version == version + 1
    assert line("Naisten hiustenleikkaus") == "Ennakkomaksu 13,80\u00a0€ varattaessa"  # 20 % of 69,00 €
    assert line("Raidat folioilla") == "Ennakkomaksu 47,70\u00a0€ varattaessa"  # its own 30 %
    status, again = desk.put("/settings/policy", new)
    assert status == 200 and again["changed"] == [] and again["version"] == saved["version"]


@pytest.mark.parametrize(
    ("value", "path", "says"),
    [
        ({"deposit_percent": 101}, "deposit_percent", "less than or equal to 100"),
        ({"deposit_percent": 0}, "deposit_percent", "greater than or equal to 1"),
        ({"deposit_percent": None, "deposit_cents": 10**7}, "deposit_cents", "less than or equal to 1000000"),
        ({"kind": "everything"}, "kind", "Input should be"),
        ({"deposit_percent": None}, "_", "exactly one of deposit_cents or deposit_percent"),
        ({"deposit_cents": 500}, "_", "exactly one of deposit_cents or deposit_percent"),
        ({"free_until_hours": 10}, "free_until_hours", "unknown field"),
        ("deposit", "_", "valid dictionary"),
    ],
)
def test_a_bad_policy_is_a_422_on_its_field_and_nothing_is_saved(desk, value, path, says):
    before = _sections(desk)
    deposit = {"kind": "deposit", "deposit_cents": None, "deposit_percent": 20}
    body = {**deposit, **value} if isinstance(value, dict) else value
    status, answer = desk.put("/settings/policy", body)
    assert status == 422, answer
    assert answer["error"]["code"] == "validation_failed"
    assert says in answer["error"]["fields"][path], answer
    assert _sections(desk) == before


@pytest.mark.parametrize(
    ("value", "path", "says"),
    [
        ({"free_until_hours": 337}, "free_until_hours", "less than or equal to 336"),
        ({"free_until_hours": -1}, "free_until_hours", "greater than or equal to 0"),
        ({"late_cancel_fee_percent": 101}, "late_cancel_fee_percent", "less than or equal to 100"),
        ({"no_show_fee_percent": -5}, "no_show_fee_percent", "greater than or equal to 0"),
        ({"no_show_fee_percent": 12.5}, "no_show_fee_percent", "valid integer"),
        ({"late_cancel_fee_percent": "paljon"}, "late_cancel_fee_percent", "valid integer"),
        ({"late_cancel_fee_percent": True}, "late_cancel_fee_percent", "valid integer"),  # not 1 %
        ({"free_until_hours": None}, "free_until_hours", "valid integer"),
        ({"free_until_hours": 10**30}, "free_until_hours", "less than or equal to 336"),
        ({"deposit_percent": 10}, "deposit_percent", "unknown field"),
        (["not", "an", "object"], "_", "valid dictionary"),
    ],
)
def test_bad_terms_are_a_422_on_their_field_and_nothing_is_saved(desk, value, path, says):
    before = _sections(desk)
    body = {**before["sections"]["terms"], **value} if isinstance(value, dict) else value
    status, answer = desk.put("/settings/terms", body)
    assert status == 422, answer
    assert answer["error"]["code"] == "validation_failed" and answer["error"]["message"]
    assert says in answer["error"]["fields"][path], answer
    assert _sections(desk) == before  # nothing saved, the version neither


# Every field of the retention, marketing and feedback sections the screen edits: a value
# other than the demo's, which is saved and read back (and used by the business).
RETENTION_FIELDS = [
    ("retention", ("return_window_days",), 364),
    ("retention", ("default_return_days",), 56),
    ("retention", ("at_risk_below",), 0.7),
    ("retention", ("lapsed_below",), 0.4),
    ("marketing", ("marketing", "min_days_between"), 28),
    ("marketing", ("marketing", "send_at"), "11:30"),
    ("marketing", ("marketing", "winback_messages"), 0),
    ("marketing", ("marketing", "winback_days_between"), 35),
    ("marketing", ("marketing", "birthday_greetings"), False),
    ("marketing", ("marketing", "birthday_perk"), {"fi": "Kahvi talon puolesta", "sv": "Kaffe på huset", "en": None}),
    ("marketing", ("marketing", "next_visit_nudge"), True),
    ("marketing", ("marketing", "nudge_lead_days"), 7),
    ("marketing", ("quiet_hours", "start"), "20:00"),
    ("marketing", ("quiet_hours", "end"), "09:00"),
    ("feedback", ("delay_hours",), 4.5),
    ("feedback", ("day_start",), "10:00"),
    ("feedback", ("day_end",), "19:00"),
    ("feedback", ("low_score",), 2),
    ("feedback", ("min_days_between",), 30),
]


def _with(value, path, new):
    out = {**value}
    if len(path) == 1:
        out[path[0]] = new
    else:
        out[path[0]] = _with(value[path[0]], path[1:], new)
    return out


def _at(value, path):
    for key in path:
        value = value[key]
    return value


@pytest.mark.parametrize(("section", "path", "new"), RETENTION_FIELDS, ids=[".".join(f[1]) for f in RETENTION_FIELDS])
def test_each_retention_and_marketing_field_is_saved(desk, section, path, new):
    value = _sections(desk)["sections"][section]
    assert _at(value, path) != new
    if path == ("at_risk_below",):  # the two limits go together (or neither: fitted)
        value = _with(value, ("lapsed_below",), 0.3)
    if path == ("lapsed_below",):
        value = _with(value, ("at_risk_below",), 0.9)
    status, body = desk.put(f"/settings/{section}", _with(value, path, new))
    assert status == 200, body
    # The business runs on it: the grouped section's paths start at the configuration, and
    # so does what the save names ("marketing.send_at", not "marketing.marketing.send_at").
    in_config = path if section == "marketing" else (section, *path)
    named = ".".join(in_config)  # a text in each language: its languages' paths
    assert any(c == named or c.startswith(f"{named}.") for c in body["changed"]), body
    assert _at(_sections(desk)["sections"][section], path) == new
    assert _at(business().config.model_dump(mode="json"), in_config) == new


@pytest.mark.parametrize(
    ("section", "path", "bad", "says"),
    [
        ("retention", ("return_window_days",), 27, "greater than or equal to 28"),
        ("retention", ("return_window_days",), 731, "less than or equal to 730"),
        ("retention", ("default_return_days",), 0, "greater than or equal to 1"),
        ("retention", ("at_risk_below",), 1.0, "less than 1"),
        ("marketing", ("marketing", "min_days_between"), 181, "less than or equal to 180"),
        ("marketing", ("marketing", "winback_messages"), 6, "less than or equal to 5"),
        ("marketing", ("marketing", "winback_days_between"), 0, "greater than or equal to 1"),
        ("marketing", ("marketing", "nudge_lead_days"), 31, "less than or equal to 30"),
        ("marketing", ("marketing", "send_at"), "25:00", "not a time"),
        # A sending time of 24:00 never comes (a reviewer's: win-back stopped without a word).
        ("marketing", ("marketing", "send_at"), "24:00", "end of the day"),
        ("marketing", ("marketing", "send_at"), "09:00\n", "not a time"),
        ("feedback", ("day_start",), "24:00", "end of the day"),
        ("marketing", ("quiet_hours", "start"), "21:07", "5-minute"),
        ("feedback", ("delay_hours",), 73, "less than or equal to 72"),
        ("feedback", ("low_score",), 5, "less than or equal to 4"),
        ("feedback", ("min_days_between",), -1, "greater than or equal to 0"),
        # A yes/no is true or false and a number a number, as written (docs/api.md):
        # not 1 hour read from true, nor "no" read from 0.
        ("feedback", ("delay_hours",), True, "valid number"),
        ("feedback", ("delay_hours",), "2", "valid number"),
        ("marketing", ("marketing", "birthday_greetings"), 0, "valid boolean"),
        ("retention", ("at_risk_after",), "0.5", "valid number"),
    ],
)
def test_retention_and_marketing_bounds_are_refused_on_their_field(desk, section, path, bad, says):
    before = _sections(desk)
    value = before["sections"][section]
    if path == ("at_risk_below",):
        value = _with(value, ("lapsed_below",), 0.5)
    status, body = desk.put(f"/settings/{section}", _with(value, path, bad))
    assert status == 422, body
    assert says in body["error"]["fields"][".".join(path)], body
    assert _sections(desk) == before  # nothing saved


# The stamp card and referrals (the `loyalty` section: `loyalty` and `referrals`, as the
# owner's card has them together): every field, a value other than the demo's.
LOYALTY_FIELDS = [
    (("loyalty", "enabled"), False),
    (("loyalty", "stamps_for_reward"), 8),
    (("loyalty", "reward"), {"percent_off": 30, "amount_off_cents": None, "description": None}),
    (("loyalty", "reward"), {"percent_off": None, "amount_off_cents": 1550, "description": None}),
    (("loyalty", "reward_valid_days"), 90),
    (("loyalty", "reward_valid_days"), None),  # never runs out
    (("loyalty", "counts_from"), "2027-01-01"),
    (("referrals", "enabled"), False),
    (("referrals", "referrer_reward"), {"percent_off": None, "amount_off_cents": 1000, "description": None}),
    (
        ("referrals", "welcome_perk"),
        {
            "percent_off": 15,
            "amount_off_cents": None,
            "description": {"fi": "-15 % ensikäynnistä", "sv": None, "en": None},
        },
    ),
    (("referrals", "reward_valid_days"), 60),
]


@pytest.mark.parametrize(
    ("path", "new"), LOYALTY_FIELDS, ids=[f"{'.'.join(f[0])}-{i}" for i, f in enumerate(LOYALTY_FIELDS)]
)
def test_each_stamp_card_and_referral_field_is_saved_and_read_back(desk, path, new):
    before = _sections(desk)
    value = before["sections"]["loyalty"]
    assert set(value) == {"loyalty", "referrals"}
    assert _at(value, path) != new
    status, body = desk.put("/settings/loyalty", _with(value, path, new), headers={"If-Match": str(before["version"])})
    assert status == 200, body
    named = ".".join(path)
    assert body["changed"] and all(c == named or c.startswith(f"{named}.") for c in body["changed"]), body
    assert body["version"] == before["version"] + 1
    assert _at(_sections(desk)["sections"]["loyalty"], path) == new
    # The business runs on it.
    assert _at(business().config.model_dump(mode="json"), path) == new


@pytest.mark.parametrize(
    ("path", "bad", "where", "says"),
    [
        (("loyalty", "stamps_for_reward"), 1, "loyalty.stamps_for_reward", "greater than or equal to 2"),
        (("loyalty", "stamps_for_reward"), 51, "loyalty.stamps_for_reward", "less than or equal to 50"),
        (("loyalty", "stamps_for_reward"), "8", "loyalty.stamps_for_reward", "valid integer"),
        (("loyalty", "enabled"), 1, "loyalty.enabled", "valid boolean"),
        (("loyalty", "reward", "percent_off"), 0, "loyalty.reward.percent_off", "greater than or equal to 1"),
        (("loyalty", "reward", "percent_off"), 101, "loyalty.reward.percent_off", "less than or equal to 100"),
        (("loyalty", "reward", "percent_off"), 12.5, "loyalty.reward.percent_off", "valid integer"),
        (("loyalty", "reward", "amount_off_cents"), 500, "loyalty.reward", "exactly one of"),  # both
        (("loyalty", "reward", "percent_off"), None, "loyalty.reward", "exactly one of"),  # neither
        (
            ("loyalty", "reward", "description"),
            {"fi": "", "sv": None, "en": None},
            "loyalty.reward.description.fi",
            "at least 1",
        ),
        (("loyalty", "reward_valid_days"), 6, "loyalty.reward_valid_days", "greater than or equal to 7"),
        (("loyalty", "reward_valid_days"), 3651, "loyalty.reward_valid_days", "less than or equal to 3650"),
        (("loyalty", "counts_from"), 20270101, "loyalty.counts_from", "expected a date"),
        (("loyalty", "counts_from"), "2027-02-30", "loyalty.counts_from", "date"),
        (
            ("referrals", "welcome_perk", "percent_off"),
            0,
            "referrals.welcome_perk.percent_off",
            "greater than or equal to 1",
        ),
        (
            ("referrals", "referrer_reward"),
            {"percent_off": None, "amount_off_cents": 0, "description": None},
            "referrals.referrer_reward.amount_off_cents",
            "greater than or equal to 1",
        ),
        (("referrals", "reward_valid_days"), 0, "referrals.reward_valid_days", "greater than or equal to 7"),
        (("referrals", "points"), 5, "referrals.points", "unknown field"),
    ],
)
def test_a_bad_stamp_card_or_referral_value_is_a_422_at_its_path_and_nothing_is_saved(desk, path, bad, where, says):
    before = _sections(desk)
    status, body = desk.put("/settings/loyalty", _with(before["sections"]["loyalty"], path, bad))
    assert status == 422, body
    assert body["error"]["code"] == "validation_failed"
    assert says in body["error"]["fields"][where], body
    assert _sections(desk) == before  # nothing saved, the version neither


def test_the_stamp_card_and_referrals_are_saved_together_or_not_at_all(desk, frozen_now):
    """One section: a save with a good stamp card and a bad referral perk saves neither; a
    stale version is 409; the save is audited by its paths, never its values."""
    before = _sections(desk)
    value = _with(before["sections"]["loyalty"], ("loyalty", "stamps_for_reward"), 8)
    bad = _with(value, ("referrals", "welcome_perk", "percent_off"), 120)
    status, body = desk.put("/settings/loyalty", bad)
    assert status == 422 and set(body["error"]["fields"]) == {"referrals.welcome_perk.percent_off"}, body
    assert _sections(desk) == before
    status, body = desk.put("/settings/loyalty", value, headers={"If-Match": str(before["version"])})
    assert status == 200 and body["changed"] == ["loyalty.stamps_for_reward"], body  # not "loyalty.loyalty..."
    status, body = desk.put(
        "/settings/loyalty",
        _with(value, ("loyalty", "stamps_for_reward"), 6),
        headers={"If-Match": str(before["version"])},
    )
    assert status == 409 and body["error"]["code"] == "settings_changed", body
    assert _sections(desk)["sections"]["loyalty"]["loyalty"]["stamps_for_reward"] == 8
    trail = desk.get("/audit?month=2026-11")[1]["entries"]
    entry = next(e for e in trail if e["action"] == "update_settings")
    assert entry["detail"]["section"] == "loyalty"
    assert entry["detail"]["changed"] == ["loyalty.stamps_for_reward"]


def test_a_stamp_card_set_in_the_settings_is_what_her_visits_earn(client, desk, frozen_now):
    """The business runs on the section: two stamps for 15,50 euros off, saved from the
    settings, and Maija's second completed visit earns exactly that reward."""
    from tests.history import past_visits, visit
    from tests.loyalty.helpers import THURSDAYS

    value = _sections(desk)["sections"]["loyalty"]
    value = _with(value, ("loyalty", "stamps_for_reward"), 2)
    value = _with(value, ("loyalty", "reward"), {"percent_off": None, "amount_off_cents": 1550, "description": None})
    assert desk.put("/settings/loyalty", value)[0] == 200
    past_visits(THURSDAYS[:1], clock=frozen_now)
    visit(client, frozen_now, THURSDAYS[1])
    maija = next(c["id"] for c in desk.get("/clients")[1]["clients"] if c["name"] == "Maija Meikäläinen")
    card = desk.get(f"/clients/{maija}/loyalty")[1]
    [reward] = card["rewards"]
    assert (reward["id"], reward["amount_off_cents"], reward["description"]) == ("loy-1", 1550, "-15,50 €"), reward


@pytest.mark.parametrize(
    ("section", "change", "says", "where"),
    [
        ("retention", {"at_risk_below": 0.7}, "set both", "_"),
        ("retention", {"at_risk_below": 0.5, "lapsed_below": 0.6}, "at most at_risk_below", "_"),
        # On the end's own path: the card marks the field to fix (a walkthrough saw none marked).
        ("feedback", {"day_start": "20:00", "day_end": "09:00"}, "day_start must be before day_end", "day_end"),
        # Every SMS (reminders, waitlist offers) held for ever.
        ("marketing", {"quiet_hours": {"start": "00:00", "end": "24:00"}}, "whole day", "quiet_hours.end"),
    ],
)
def test_retention_and_feedback_rules_across_fields_are_refused(desk, section, change, says, where):
    value = _sections(desk)["sections"][section]
    status, body = desk.put(f"/settings/{section}", {**value, **change})
    assert status == 422, body
    assert says in body["error"]["fields"][where], body


def test_errors_are_keyed_by_path_inside_the_section(desk):
    services = _sections(desk)["sections"]["services"]
    services[0] = {**services[0], "duration_minutes": 3}
    services[1] = {**services[1], "price_cents": -1, "colour": "red"}
    status, body = desk.put("/settings/services", services)
    assert status == 422, body
    fields = body["error"]["fields"]
    assert "greater than or equal to 5" in fields["0.duration_minutes"]
    assert "1.price_cents" in fields and "greater than or equal to 0" in fields["1.price_cents"]
    assert fields["1.colour"] == "unknown field"
    assert body["error"]["code"] == "validation_failed"


@pytest.mark.parametrize(
    ("section", "value", "path"),
    [
        ("hours", {"mon": ["18:00", "09:00"]}, "mon"),
        ("hours", {"funday": []}, "funday"),
        ("closures", ["2026-02-30"], "0.date"),
        ("closures", [{"date": "2026-12-24", "name": "x" * 41}], "0.name"),
        ("closures", ["2026-12-23", {"date": "2026-12-24", "name": "Joulu\naatto"}], "1.name"),
        ("closures", [{"date": "2026-12-24", "name": "Joulu\taatto"}], "0.name"),
        ("closures", [{"date": "2026-12-24", "name": 24}], "0.name"),
        ("closures", [{"date": "2026-12-24", "reason": "x"}], "0.reason"),
        ("closures", [{"date": "2026-12-24", "name": "Jouluaatto"}, {"date": "2026-12-24", "name": "Remontti"}], "_"),
        ("rules", {"slot_step_minutes": 7}, "slot_step_minutes"),
        ("reminders", [{"channel": "fax", "hours_before": 2}], "0.channel"),
        ("reminders", [{"channel": "sms", "hours_before": 2}] * 5, "_"),
        ("messages", {"review_link": "http://insecure.example"}, "review_link"),
        ("messages", {"sender_name": "Evil\r\nBcc: x"}, "sender_name"),
        ("messages", {"reply_to": "x"}, "reply_to"),
        ("messages", ["not", "an", "object"], "_"),
        ("services", {"not": "a list"}, "_"),
        ("staff", [], "_"),
        ("shop", {"map_url": "http://maps.example"}, "map_url"),
        ("shop", {"rating_min_count": 0}, "rating_min_count"),
        ("shop", {"intro": {"fi": "x" * 601}}, "intro.fi"),
    ],
)
def test_bad_sections_are_422_with_the_path(desk, section, value, path):
    shown = _sections(desk)["sections"][section]
    if isinstance(shown, dict) and isinstance(value, dict):
        value = {**shown, **value}  # the section whole, with its one bad field
    status, body = desk.put(f"/settings/{section}", value)
    assert status == 422, body
    assert path in body["error"]["fields"], body


@pytest.mark.parametrize(
    "section", ["terms", "rules", "hours", "messages", "marketing", "loyalty", "shop", "retention", "feedback"]
)
def test_a_section_sent_with_fields_left_out_is_422_naming_them_and_saves_nothing(desk, section):
    """A section is replaced whole: {} for the terms does not set both fees to 0 %, it is
    a 422 naming every field left out ("required"); one left out names that one."""
    before = _sections(desk)
    shown = before["sections"][section]
    status, body = desk.put(f"/settings/{section}", {})
    assert status == 422 and body["error"]["fields"] == dict.fromkeys(shown, "required"), body
    first, *rest = sorted(shown)
    status, body = desk.put(f"/settings/{section}", {k: shown[k] for k in rest})
    assert status == 422 and body["error"]["fields"] == {first: "required"}, body
    assert _sections(desk) == before


def test_a_nested_field_left_out_is_422_naming_its_path_and_saves_nothing(desk):
    """Replaced whole at every depth: the marketing sent with only its send time keeps the
    birthday perk (a 422 naming each field left out), a service sent without its payment
    policy keeps its 30 % deposit; each item of a list is checked, each by its index."""
    before = _sections(desk)
    shown = before["sections"]
    marketing = {"marketing": {"send_at": "09:00"}, "quiet_hours": {"start": "21:00"}}
    status, body = desk.put("/settings/marketing", marketing)
    assert status == 422, body
    fields = body["error"]["fields"]
    assert fields["marketing.birthday_perk"] == "required" and fields["quiet_hours.end"] == "required", body
    assert "marketing.send_at" not in fields and "quiet_hours.start" not in fields, body
    services = [{k: v for k, v in s.items() if k != "payment"} for s in shown["services"]]
    status, body = desk.put("/settings/services", services)
    assert status == 422, body
    assert body["error"]["fields"] == {f"{i}.payment": "required" for i in range(len(services))}, body
    highlights = next(i for i, s in enumerate(shown["services"]) if s["id"] == "highlights")
    assert shown["services"][highlights]["payment"] == {"kind": "deposit", "deposit_cents": None, "deposit_percent": 30}
    services = [*shown["services"]]
    services[highlights] = _with(services[highlights], ["payment"], {"kind": "deposit", "deposit_percent": 30})
    status, body = desk.put("/settings/services", services)
    assert status == 422 and body["error"]["fields"] == {f"{highlights}.payment.deposit_cents": "required"}, body
    assert _sections(desk) == before


def test_a_section_both_invalid_and_with_fields_left_out_names_all_of_it_in_one_422(desk):
    """A bad value and a field left out in one body: one 422 names both (each by its
    path), not the bad value first and the field left out only on the next try."""
    before = _sections(desk)
    shown = before["sections"]
    first, *rest = sorted(shown["rules"])
    rules = {**{k: shown["rules"][k] for k in rest}, "max_horizon_days": -5}
    status, body = desk.put("/settings/rules", rules)
    assert status == 422, body
    fields = body["error"]["fields"]
    assert fields[first] == "required" and "max_horizon_days" in fields, body
    services = [{k: v for k, v in s.items() if k != "payment"} for s in shown["services"]]
    services[0] = {**services[0], "duration_minutes": 0}
    status, body = desk.put("/settings/services", services)
    assert status == 422, body
    fields = body["error"]["fields"]
    assert "0.duration_minutes" in fields and fields["0.payment"] == "required", body
    assert {f"{i}.payment" for i in range(len(services))} <= set(fields), body
    assert _sections(desk) == before


def test_the_whole_config_both_invalid_and_with_a_field_left_out_names_all_of_it_in_one_422(desk):
    config = desk.get("/business")[1]["config"]
    terms = {k: v for k, v in config["payments"]["terms"].items() if k != "no_show_fee_percent"}
    bad = {**_with(config, ["payments", "terms"], terms), "timezone": "Mars/Olympus"}
    status, body = desk.put("/business", {"config": bad})
    assert status == 422, body
    fields = body["error"]["fields"]
    assert "timezone" in fields and fields["payments.terms.no_show_fee_percent"] == "required", body
    assert desk.get("/business")[1]["config"] == config


def test_the_whole_config_with_a_field_left_out_is_422_naming_its_path_and_saves_nothing(desk):
    """PUT /business replaces the configuration whole too: the terms sent without the
    no-show fee leave it at 100 % (not 0 %), a service without its payment policy keeps it."""
    config = desk.get("/business")[1]["config"]
    config = _with(config, ["payments", "terms", "no_show_fee_percent"], 100)
    status, saved = desk.put("/business", {"config": config})
    assert status == 200, saved
    config = saved["config"]
    terms = {k: v for k, v in config["payments"]["terms"].items() if k != "no_show_fee_percent"}
    status, body = desk.put("/business", {"config": _with(config, ["payments", "terms"], terms)})
    assert status == 422, body
    assert body["error"]["fields"] == {"payments.terms.no_show_fee_percent": "required"}, body
    services = [{k: v for k, v in s.items() if k != "payment"} if s["payment"] else s for s in config["services"]]
    status, body = desk.put("/business", {"config": {**config, "services": services}})
    paid = [i for i, s in enumerate(config["services"]) if s["payment"]]
    assert status == 422 and body["error"]["fields"] == {f"services.{i}.payment": "required" for i in paid}, body
    assert desk.get("/business")[1]["config"] == config


def test_what_the_page_sends_in_other_forms_is_still_taken(desk):
    """A closed day as a bare date, a service's name as one string and hours as
    "09:00-17:00" are other forms of what GET shows, not fields left out."""
    shown = _sections(desk)["sections"]
    services = [{**shown["services"][0], "name": "Naisten leikkaus"}, *shown["services"][1:]]
    assert desk.put("/settings/services", services)[0] == 200, services
    hours = {**shown["hours"], "mon": ["09:00-17:00"]}
    status, body = desk.put("/settings/hours", hours)
    assert status == 200 and body["value"]["mon"] == [["09:00", "17:00"]], body


def test_a_whole_config_rule_is_checked_too(desk):
    """Removing a service a staff member still offers is refused, like the YAML loader does."""
    services = [s for s in _sections(desk)["sections"]["services"] if s["id"] != "womens-cut"]
    status, body = desk.put("/settings/services", services)
    assert status == 422
    assert "womens-cut" in body["error"]["fields"]["_"]
    assert any(s["id"] == "womens-cut" for s in _sections(desk)["sections"]["services"])  # nothing half-saved


def test_the_yaml_loader_accepts_what_the_settings_saved(desk, aws):
    services = _sections(desk)["sections"]["services"]
    services[0]["category"] = "Leikkaukset"
    assert desk.put("/settings/services", services)[0] == 200
    staff = _sections(desk)["sections"]["staff"]
    staff[0]["photo_url"] = "https://cdn.example.com/aino.jpg"
    assert desk.put("/settings/staff", staff)[0] == 200
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store import businesses

    stored = businesses.get_by_id(aws.id)
    assert stored is not None
    saved = stored.config
    assert parse_business_config(saved.model_dump(mode="json")) == saved
    assert saved.staff[0].photo_url == "https://cdn.example.com/aino.jpg"
    # and an existing YAML without the new fields still loads
    parse_business_config(yaml.safe_load(DEMO.read_text()))


def test_a_stale_version_is_409_and_nothing_is_saved(desk):
    body = _sections(desk)
    rules = {**body["sections"]["rules"], "max_horizon_days": 120}
    assert desk.put("/settings/rules", rules, headers={"If-Match": str(body["version"])})[0] == 200
    # Another device still holds the old version.
    status, answer = desk.put(
        "/settings/rules", {**rules, "max_horizon_days": 30}, headers={"If-Match": str(body["version"])}
    )
    assert status == 409 and answer["error"]["code"] == "settings_changed"
    assert _sections(desk)["sections"]["rules"]["max_horizon_days"] == 120
    # RFC 9110: a list matches if any of it is the version now; `*` any version.
    now = _sections(desk)["version"]
    listed = f'"{body["version"]}", "{now}"'
    assert desk.put("/settings/rules", {**rules, "max_horizon_days": 90}, headers={"If-Match": listed})[0] == 200
    assert desk.put("/settings/rules", {**rules, "max_horizon_days": 60}, headers={"If-Match": "*"})[0] == 200
    status, answer = desk.put("/settings/rules", rules, headers={"If-Match": listed})  # both behind now
    assert status == 409 and answer["error"]["code"] == "settings_changed"
    assert _sections(desk)["sections"]["rules"]["max_horizon_days"] == 60
    # Only a lone * is the wildcard (a probe): a quoted one, or one in a list, is a tag that
    # names no version; an empty item of a list is left out.
    for odd in ('"*"', 'W/"*"', f'"{now}", *', "*, 0", ","):
        status, answer = desk.put("/settings/rules", rules, headers={"If-Match": odd})
        assert status == 400 and answer["error"]["code"] == "bad_version", (odd, answer)
    current = _sections(desk)["version"]
    assert desk.put("/settings/rules", rules, headers={"If-Match": f'"{current}", '})[0] == 200
    # A version that is no number a GET gave (superscript digits, 5 000 of them): 400, not a 500.
    for odd in ("²", 'W/"¹"', "9" * 5000):
        status, answer = desk.put("/settings/rules", rules, headers={"If-Match": odd})
        assert status == 400 and answer["error"]["code"] == "bad_version", (odd, answer)


def test_the_whole_config_with_a_stale_version_is_409_and_nothing_is_saved(desk):
    # The settings screen saves a new service with who offers it in one PUT /business.
    version = _sections(desk)["version"]
    config = desk.get("/business")[1]["config"]
    renamed = {**config, "name": "Salon Aurora & Co"}
    assert desk.put("/business", {"config": renamed}, headers={"If-Match": str(version)})[0] == 200
    status, answer = desk.put(
        "/business", {"config": {**config, "name": "Another device"}}, headers={"If-Match": str(version)}
    )
    assert status == 409 and answer["error"]["code"] == "settings_changed"
    assert desk.get("/business")[1]["config"]["name"] == "Salon Aurora & Co"


def test_a_concurrent_save_between_read_and_write_is_409(desk, aws, monkeypatch):
    """Someone saves after this request read the config: its write's version condition fails."""
    from chalicelib.services.admin import settings
    from chalicelib.store import businesses

    real = businesses.read_for_change

    def read_then_someone_saves(business_id):
        found = real(business_id)
        assert found is not None
        b, version = found
        businesses.replace_config(business_id, b.config.model_copy(update={"name": "Renamed"}), version)
        return found

    rules = {**_sections(desk)["sections"]["rules"], "max_horizon_days": 60}
    monkeypatch.setattr(settings.businesses, "read_for_change", read_then_someone_saves)
    status, body = desk.put("/settings/rules", rules)
    assert status == 409, body
    monkeypatch.setattr(settings.businesses, "read_for_change", real)
    assert _sections(desk)["sections"]["rules"]["max_horizon_days"] == 90


def test_the_change_is_audited_with_who_and_which_paths(desk, frozen_now):
    hours = _sections(desk)["sections"]["hours"]
    hours["sun"] = [["10:00", "14:00"]]
    hours["mon"] = [["09:00", "12:00"], ["13:00", "18:00"]]
    assert desk.put("/settings/hours", hours)[0] == 200
    status, trail = desk.get("/audit?month=2026-11")
    assert status == 200
    entry = next(e for e in trail["entries"] if e["action"] == "update_settings")
    assert entry["role"] == "owner" and entry["actor"]
    assert entry["detail"]["section"] == "hours"
    assert entry["detail"]["changed"] == ["hours.mon", "hours.sun"]
    assert "10:00" not in str(entry)  # paths, never values


def test_staff_see_only_their_own_entry_and_cannot_edit(desk, staff_desk):
    status, body = staff_desk.get("/settings")
    assert status == 200
    assert body["can_edit"] is False
    assert list(body["sections"]) == ["staff"]
    assert [s["id"] for s in body["sections"]["staff"]] == ["aino"]
    for section in ("hours", "staff", "nonsense"):
        status, body = staff_desk.put(f"/settings/{section}", {})
        assert status == 403 and body["error"]["code"] == "owner_only"


def test_unknown_section_is_404_and_bad_json_400(desk):
    status, body = desk.put("/settings/payments", {})
    assert status == 404 and body["error"]["code"] == "unknown_section"
    r = desk.client.http.put(
        "/api/v1/admin/settings/rules",
        headers={"Authorization": f"Bearer {desk.token}", "Content-Type": "application/json"},
        body="{not json",
    )
    assert r.status_code == 400


def test_emails_go_out_under_the_sender_name_and_replies_reach_the_salon(client, desk):
    """The messages section's sender name is the display name of every email's From."""
    from email import message_from_string
    from email.header import decode_header, make_header

    from tests.api.helpers import book
    from tests.conftest import sent_emails

    messages = {**_sections(desk)["sections"]["messages"], "sender_name": "Aurora Hiukset", "sms_sender": "Aurora"}
    assert desk.put("/settings/messages", messages)[0] == 200
    status, _ = book(client, "2026-11-26T12:00:00+02:00")
    assert status == 201
    sent = message_from_string(sent_emails()[-1].raw_data)
    assert str(make_header(decode_header(sent["From"]))).startswith("Aurora Hiukset <")
    # Her reply goes to the salon (the owner's address), not to the sending address, which has no inbox.
    assert sent["Reply-To"] == "omistaja@salonaurora.example" != sent["From"]


def test_me_gives_the_booking_link_and_the_widget_line_she_puts_out(desk, staff_desk):
    """What a new owner copies to her Instagram bio and her website (Settings' first card)."""
    status, me = desk.get("/me")
    assert status == 200, me
    assert me["business"]["booking_url"] == "https://book.example.test/book/demo"
    assert me["business"]["widget_snippet"] == (
        '<script src="https://book.example.test/widget.js" data-business="demo" async></script>'
    )
    status, me = staff_desk.get("/me")
    assert status == 200 and me["business"]["booking_url"] == "https://book.example.test/book/demo"


def test_a_settings_save_and_a_whole_config_save_retried_with_their_key_get_their_first_answer(desk):
    """The answer to a section's save (and to PUT /business) was lost; the dashboard sends
    it again with the same Idempotency-Key: the first answer, not 409 settings_changed."""
    body = _sections(desk)
    rules = {**body["sections"]["rules"], "max_horizon_days": 120}
    save = {"If-Match": str(body["version"]), "Idempotency-Key": "rules-1"}
    status, first = desk.put("/settings/rules", rules, headers=save)
    assert status == 200, first
    assert desk.put("/settings/rules", rules, headers=save) == (200, first)
    config = desk.get("/business")[1]["config"]
    whole = {"If-Match": str(_sections(desk)["version"]), "Idempotency-Key": "config-1"}
    status, once = desk.put("/business", {"config": {**config, "name": "Salon Aurora & Co"}}, headers=whole)
    assert status == 200, once
    saved_version = _sections(desk)["version"]
    again = desk.put("/business", {"config": {**config, "name": "Salon Aurora & Co"}}, headers=whole)
    assert again == (200, once)
    assert _sections(desk)["version"] == saved_version  # not saved a second time


# --- closed days with a name -------------------------------------------------------------


def test_a_closed_day_keeps_its_name_and_the_desk_sees_it_but_clients_never_do(desk, client):
    """The owner names a closed day ("Juhannus"); her settings and the desk's calendar show
    it, a bare date still works beside it, and the public profile and booking page keep
    showing dates only (a closed day is left out of the booking page's days)."""
    named = [{"date": "2026-12-24", "name": "  Jouluaatto "}, "2026-12-31", {"date": "2026-12-28", "name": ""}]
    status, body = desk.put("/settings/closures", named)
    assert status == 200, body
    saved = [
        {"date": "2026-12-24", "name": "Jouluaatto"},
        {"date": "2026-12-28", "name": None},
        {"date": "2026-12-31", "name": None},
    ]
    assert body["value"] == saved and body["changed"] == ["closures"]
    assert _sections(desk)["sections"]["closures"] == saved

    status, cal = desk.get("/calendar?date=2026-12-21&view=week")
    assert status == 200, cal
    days = {d["date"]: d for d in cal["days"]}
    assert days["2026-12-24"]["closed"] is True and days["2026-12-24"]["closure"] == {"name": "Jouluaatto"}
    assert days["2026-12-23"]["closure"] is None and days["2026-12-27"]["closure"] is None  # a Sunday: no hours
    status, cal = desk.get("/calendar?date=2026-12-28")
    assert cal["days"][0]["closed"] is True and cal["days"][0]["closure"] == {"name": None}

    profile = client.http.get("/api/v1/businesses/demo")
    assert profile.status_code == 200
    assert "Jouluaatto" not in profile.body.decode()
    assert "2026-12-24" in json.loads(profile.body)["closures"]
    page = client.http.get("/book/demo?service=womens-cut&lang=fi&date=2026-12-24")
    assert page.status_code == 200 and "Jouluaatto" not in page.body.decode()
    assert 'id="day-2026-12-24"' not in page.body.decode()


@pytest.mark.parametrize(
    "name",
    ["\u200b\u200b\u200b", "\ufeff", "\u200e", "\u200d", "\u202eattog\u202c Juhannus", "\u2066x", "Juhan\u200bnus"],
)
def test_a_closed_days_name_with_invisible_or_direction_characters_is_refused(desk, name):
    """A name that shows as nothing on the calendar (zero-width spaces, a byte-order mark,
    a direction mark) or as other words than typed (a right-to-left override, an isolate)
    is a 422 on its box, and nothing is saved."""
    before = _sections(desk)
    status, body = desk.put("/settings/closures", [{"date": "2026-12-24", "name": name}])
    assert status == 422 and list(body["error"]["fields"]) == ["0.name"], body
    assert "invisible or text-direction characters" in body["error"]["fields"]["0.name"]
    assert _sections(desk) == before


def test_a_closed_days_name_may_hold_an_emoji_family(desk):
    family = "Perhepäivä \U0001f469\u200d\U0001f467"
    status, body = desk.put("/settings/closures", [{"date": "2026-12-24", "name": family}])
    assert status == 200 and body["value"] == [{"date": "2026-12-24", "name": family}], body


def test_a_config_stored_with_bare_closed_dates_is_read_as_before(desk):
    """Configs saved before closed days had names hold bare dates: read as days without a
    name, the desk's calendar closed on them, and saved again unchanged."""
    from chalicelib.store import businesses, keys
    from chalicelib.store.models import BusinessItem

    item = BusinessItem.get(keys.biz(business().id), keys.CONFIG_SK)
    item.config = {**item.config, "closures": ["2026-12-24", "2026-12-06"]}
    item.save()
    businesses.clear_cache()
    body = _sections(desk)
    closures = body["sections"]["closures"]
    assert closures == [{"date": "2026-12-06", "name": None}, {"date": "2026-12-24", "name": None}]
    status, cal = desk.get("/calendar?date=2026-12-24")
    assert status == 200 and cal["days"][0]["closed"] is True and cal["days"][0]["closure"] == {"name": None}
    status, answer = desk.put("/settings/closures", ["2026-12-06", "2026-12-24"])  # bare dates still work
    assert status == 200 and answer["changed"] == [] and answer["value"] == closures


def test_a_save_whose_audit_fails_after_the_commit_is_still_saved_and_its_key_answers_so(desk, monkeypatch):
    """The rules are saved, then the audit entry cannot be written: she is told it saved
    (200, not 500), and the dashboard's retry with the same key gets that answer, not
    409 settings_changed for her own save."""
    from chalicelib.store import audit

    body = _sections(desk)
    rules = {**body["sections"]["rules"], "max_horizon_days": 120}
    save = {"If-Match": str(body["version"]), "Idempotency-Key": "rules-audit"}

    def throttled(*a, **kw):
        raise RuntimeError("audit table throttled")

    monkeypatch.setattr(audit, "record", throttled)
    status, first = desk.put("/settings/rules", rules, headers=save)
    assert status == 200 and first["value"]["max_horizon_days"] == 120, first
    monkeypatch.undo()
    assert desk.put("/settings/rules", rules, headers=save) == (200, first)
    assert _sections(desk)["sections"]["rules"]["max_horizon_days"] == 120


def test_a_save_that_fails_with_a_fault_keeps_its_key_until_the_lease_runs_out(desk, monkeypatch, frozen_now):
    """A fault in the save (not a refusal): whether it saved is not known, so the same key
    is not run again blindly: 409 save_in_progress until its lease runs out, then the
    save runs once more."""
    from datetime import timedelta

    from chalicelib.store import businesses, saves

    body = _sections(desk)
    rules = {**body["sections"]["rules"], "max_horizon_days": 120}
    save = {"If-Match": str(body["version"]), "Idempotency-Key": "rules-fault"}

    real, failing = businesses.replace_config, [True]

    def throttled(*a, **kw):
        if failing:
            failing.pop()
            raise RuntimeError("table throttled")
        return real(*a, **kw)

    monkeypatch.setattr(businesses, "replace_config", throttled)
    assert desk.put("/settings/rules", rules, headers=save)[0] == 500
    status, wait = desk.put("/settings/rules", rules, headers=save)
    assert status == 409 and wait["error"]["code"] == "save_in_progress", wait
    frozen_now["now"] += saves.LEASE + timedelta(seconds=1)
    status, saved = desk.put("/settings/rules", rules, headers=save)
    assert status == 200 and saved["value"]["max_horizon_days"] == 120, saved


def test_a_staff_member_sending_the_owners_key_again_gets_no_answer_of_hers(desk, staff_desk):
    """Staff may not save the terms (403). The owner saved them with a key; staff sending
    the same save with that key is refused too (422 idempotency_key_reused), not handed
    the owner's 200 past the permission check."""
    body = _sections(desk)
    terms = {"free_until_hours": 48, "late_cancel_fee_percent": 30, "no_show_fee_percent": 80}
    save = {"If-Match": str(body["version"]), "Idempotency-Key": "terms-owner"}
    assert staff_desk.put("/settings/terms", terms, headers={"If-Match": save["If-Match"]})[0] == 403
    assert desk.put("/settings/terms", terms, headers=save)[0] == 200
    status, refused = staff_desk.put("/settings/terms", terms, headers=save)
    assert status == 422 and refused["error"]["code"] == "idempotency_key_reused", refused


@pytest.mark.parametrize("day", [0, 20261224, True])
def test_a_closed_day_given_as_a_number_is_refused_not_read_as_1970(desk, day):
    before = _sections(desk)
    status, body = desk.put("/settings/closures", [*before["sections"]["closures"], {"date": day}])
    assert status == 422 and "expected a date" in str(body["error"]["fields"]), body
    assert _sections(desk) == before


@pytest.mark.parametrize(
    ("section", "edit", "field", "says"),
    [
        (
            "services",
            lambda v: [{**v[0], "name": {**v[0]["name"], "fi": "Leikkaus\u0000"}}, *v[1:]],
            "0.name.fi",
            "one line",
        ),
        (
            "services",
            lambda v: [{**v[0], "description": {"fi": "Pesu\u202e", "sv": None, "en": None}}, *v[1:]],
            "0.description.fi",
            "invisible",
        ),
        ("staff", lambda v: [{**v[0], "name": "Aino\nKorhonen"}, *v[1:]], "0.name", "one line"),
        (
            "staff",
            lambda v: [{**v[0], "title": {"fi": "\u200b", "sv": None, "en": None}}, *v[1:]],
            "0.title.fi",
            "invisible",
        ),
        (
            "marketing",
            lambda v: {
                **v,
                "marketing": {**v["marketing"], "birthday_perk": {"fi": "-20 %", "sv": "-20 %\u0007", "en": None}},
            },
            "marketing.birthday_perk.sv",
            "one line",
        ),
        (
            "shop",
            lambda v: {**v, "intro": {"fi": "Tervetuloa\u0000", "sv": None, "en": None}},
            "intro.fi",
            "control characters",
        ),
    ],
)
def test_a_name_the_owner_types_with_control_or_invisible_characters_is_refused_on_its_field(
    desk, client, section, edit, field, says
):
    """Her service's, staff member's and perk's names go into her clients' emails, SMS,
    calendars and the booking page: by the rule a client's name keeps (domain/plaintext.py),
    a NUL, a line break or a turning character is a 422 on its field and nothing is saved."""
    before = _sections(desk)
    status, body = desk.put(f"/settings/{section}", edit(before["sections"][section]))
    assert status == 422 and list(body["error"]["fields"]) == [field], body
    assert says in body["error"]["fields"][field]
    assert _sections(desk) == before


def test_the_booking_pages_introduction_keeps_its_lines_and_an_emoji_family(desk, client):
    value = {
        **_sections(desk)["sections"]["shop"],
        "intro": {"fi": "Tervetuloa!\nAvoinna 👩\u200d👧 arkisin.", "sv": None, "en": None},
    }
    status, body = desk.put("/settings/shop", value)
    assert status == 200 and body["value"]["intro"]["fi"] == "Tervetuloa!\nAvoinna 👩\u200d👧 arkisin.", body


def test_a_name_stored_before_the_rule_is_read_and_blocks_no_other_save(desk, client):
    """A configuration saved before names kept the rule (a soft hyphen pasted into a
    service's name) is read as it was kept: the owner saves her hours, her services as
    they are, and the whole configuration (the dashboard sends it back to add a service);
    the name is refused only when she types it anew."""
    from chalicelib.store import businesses, keys
    from chalicelib.store.models import BusinessItem

    item = BusinessItem.get(keys.biz(business().id), keys.CONFIG_SK)
    services = [dict(s) for s in item.config["services"]]
    services[0] = {**services[0], "name": {**services[0]["name"], "fi": "Hius\u00adleikkaus"}}
    item.config = {**item.config, "services": services}
    item.save()
    businesses.clear_cache()
    body = _sections(desk)
    assert body["sections"]["services"][0]["name"]["fi"] == "Hius\u00adleikkaus"
    hours = body["sections"]["hours"]
    status, saved = desk.put("/settings/hours", {**hours, "sat": []}, headers={"If-Match": str(body["version"])})
    assert status == 200 and saved["changed"], saved
    status, kept = desk.put("/settings/services", body["sections"]["services"])
    assert status == 200 and kept["changed"] == [], kept
    status, whole = desk.get("/business")
    rules = {**whole["config"]["rules"], "max_horizon_days": 120}
    status, saved = desk.put("/business", {"config": {**whole["config"], "rules": rules}})
    assert status == 200, saved
    services = desk.get("/settings")[1]["sections"]["services"]
    retyped = [{**services[0], "name": {**services[0]["name"], "fi": "Hius\u00adleikkaus\u200b"}}, *services[1:]]
    status, refused = desk.put("/settings/services", retyped)
    assert status == 422 and list(refused["error"]["fields"]) == ["0.name.fi"], refused


def test_the_whole_configuration_put_refuses_a_business_name_with_a_line_break(desk):
    status, body = desk.get("/business")
    assert status == 200, body
    config = {**body["config"], "name": "Salong\r\nBcc: x@example.com"}
    status, refused = desk.put("/business", {"config": config})
    assert status == 422 and list(refused["error"]["fields"]) == ["name"], refused
    assert desk.get("/business")[1]["config"]["name"] == body["config"]["name"]


@pytest.mark.parametrize(
    ("phone", "says"),
    [
        ("08-123 456 78", "country code"),
        ("09 1234 5678", "country code"),
        ("+358 9 CALL ME", "not a phone number"),
        ("+358 1", "not a"),
    ],
)
def test_the_business_phone_is_written_with_its_country_code(desk, phone, says):
    """The business's phone decides its country (a client's "070 123 45 67" is read in
    it): without its country code a Stockholm salon's number would be read as Finland's,
    and so would every client's. A 422 on `phone` saying how; nothing saved."""
    status, body = desk.get("/business")
    status, refused = desk.put("/business", {"config": {**body["config"], "phone": phone}})
    assert status == 422 and list(refused["error"]["fields"]) == ["phone"], refused
    assert says in refused["error"]["fields"]["phone"]
    assert desk.get("/business")[1]["config"]["phone"] == body["config"]["phone"]


def test_a_business_phone_stored_without_its_country_code_blocks_no_other_save(desk):
    """A phone saved before the rule ("09 1234 5678") is kept as it was: the dashboard's
    whole-configuration save of something else (a new service) goes through."""
    from chalicelib.store import businesses, keys
    from chalicelib.store.models import BusinessItem

    item = BusinessItem.get(keys.biz(business().id), keys.CONFIG_SK)
    item.config = {**item.config, "phone": "09 1234 5678"}
    item.save()
    businesses.clear_cache()
    status, body = desk.get("/business")
    config = {**body["config"], "rules": {**body["config"]["rules"], "max_horizon_days": 120}}
    status, saved = desk.put("/business", {"config": config})
    assert status == 200 and saved["config"]["phone"] == "09 1234 5678", saved


def test_a_stockholm_salons_phone_makes_its_clients_numbers_swedish(desk, client):
    status, body = desk.get("/business")
    status, saved = desk.put("/business", {"config": {**body["config"], "phone": " +46 8 123 456 78 "}})
    assert status == 200 and saved["config"]["phone"] == "+46 8 123 456 78", saved
    status, booked = desk.post(
        "/bookings",
        {
            "service": "mens-cut",
            "staff": "aino",
            "start": "2026-11-25T12:00:00+02:00",
            "client": {"name": "Sven", "phone": "070 123 45 67"},
        },
    )
    assert status == 201, booked
    day = desk.get("/calendar?date=2026-11-25")[1]
    [sven] = [a["client"]["id"] for m in day["staff"] for a in m["appointments"] if a["client"]["name"] == "Sven"]
    assert desk.get(f"/clients/{sven}")[1]["client"]["phone"] == "+46701234567"
