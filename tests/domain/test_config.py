"""Business config validation: what an owner's YAML may and may not contain, and how
mistakes are reported."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from chalicelib.domain.config import (
    MAX_OCCUPANCY_MINUTES,
    BusinessConfig,
    Closure,
    Interval,
    format_validation_error,
    parse_business_config,
)

DEMO = Path(__file__).resolve().parents[2] / "config" / "businesses" / "demo.yaml"


@pytest.fixture(scope="module")
def demo_data() -> dict:
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


@pytest.fixture
def data(demo_data) -> dict:
    return copy.deepcopy(demo_data)


def errors_of(data) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        parse_business_config(data)
    return format_validation_error(exc.value)


def only_error(data) -> str:
    lines = errors_of(data)
    assert len(lines) == 1, lines
    return lines[0]


# --- the demo --------------------------------------------------------------------


def test_demo_loads_with_everything_the_owner_wrote(demo_data):
    cfg = parse_business_config(demo_data)
    assert isinstance(cfg, BusinessConfig)
    assert cfg.slug == "demo"
    assert cfg.timezone == "Europe/Helsinki"
    assert [s.id for s in cfg.services] == ["womens-cut", "mens-cut", "colour", "highlights", "blowdry", "kids-cut"]
    assert [s.id for s in cfg.staff] == ["aino", "mikko", "sanna"]
    assert cfg.opening_hours.sun == ()
    assert cfg.opening_hours.wed == (Interval(start=9 * 60, end=20 * 60),)
    assert cfg.closure_on(date(2026, 12, 24)) == Closure(date=date(2026, 12, 24), name="Jouluaatto")
    assert cfg.closure_on(date(2026, 12, 23)) is None
    cut = cfg.service("womens-cut")
    assert cut is not None
    assert (cut.duration_minutes, cut.buffer_minutes, cut.occupancy_minutes) == (60, 10, 70)
    assert cut.name.get("sv") == "Damklippning"
    blowdry, mikko, aino = cfg.service("blowdry"), cfg.staff_member("mikko"), cfg.staff_member("aino")
    assert blowdry and mikko and aino
    assert blowdry.return_interval_days is None
    assert mikko.exceptions == {date(2026, 12, 23): (Interval(start=600, end=840),)}
    assert aino.days_off == (date(2026, 12, 31),)
    assert cfg.rules.cancellation_window_hours == 24


def test_round_trip_through_json_gives_an_equal_config(demo_data):
    cfg = parse_business_config(demo_data)
    dumped = cfg.model_dump(mode="json")
    # Stored the way owners write it.
    assert dumped["opening_hours"]["mon"] == [["09:00", "18:00"]]
    assert dumped["staff"][1]["exceptions"] == {"2026-12-23": [["10:00", "14:00"]]}
    again = parse_business_config(dumped)
    assert again == cfg
    assert again.model_dump(mode="json") == dumped


def test_round_trip_keeps_split_days_midnight_and_empty_exceptions(data):
    data["opening_hours"]["sun"] = [["00:00", "02:00"], ["20:00", "24:00"]]
    data["staff"][0]["hours"]["sun"] = [["00:00", "24:00"]]
    data["staff"][0]["exceptions"] = {date(2026, 12, 30): [], date(2026, 12, 29): [["12:00", "13:00"]]}
    cfg = parse_business_config(data)
    assert cfg.opening_hours.sun == (Interval(start=0, end=120), Interval(start=1200, end=1440))
    dumped = cfg.model_dump(mode="json")
    assert dumped["opening_hours"]["sun"] == [["00:00", "02:00"], ["20:00", "24:00"]]
    assert parse_business_config(dumped) == cfg


@pytest.mark.parametrize(
    "written",
    [
        ["09:00", "17:00"],
        [["09:00", "17:00"]],
        ["09:00-17:00"],
        [{"start": "09:00", "end": "17:00"}],
        ["9:00", "17:00"],
    ],
)
def test_an_interval_can_be_written_in_several_ways(data, written):
    data["opening_hours"]["mon"] = written
    assert parse_business_config(data).opening_hours.mon == (Interval(start=540, end=1020),)


def test_intervals_are_sorted_and_may_touch(data):
    data["opening_hours"]["mon"] = [["13:00", "18:00"], ["09:00", "13:00"]]
    cfg = parse_business_config(data)
    assert [i.label() for i in cfg.opening_hours.mon] == ["09:00-13:00", "13:00-18:00"]


def test_owner_email_is_normalized(data):
    data["owner_email"] = "  Omistaja@SalonAurora.Example "
    assert parse_business_config(data).owner_email == "omistaja@salonaurora.example"


def test_a_business_file_without_sms_countries_texts_its_own_countrys_numbers_too(data):
    """A walk: a Dublin clinic's Irish clients got no SMS (the default list is the Nordic
    countries and Estonia) until an operator added IE: a business file naming no list
    gets its own phone's country beside the defaults. A list it names is its own; and a
    configuration once saved names one, so a later phone (the owner's Salon card: a probe
    set one in Nigeria) does not widen the guard against SMS pumping."""
    from chalicelib.domain.contacts import sms_allowed

    data.pop("sms", None)
    data.update(timezone="Europe/Dublin", phone="+353 1 234 5678")
    cfg = parse_business_config(data)
    assert cfg.sms.countries == ("FI", "SE", "NO", "DK", "EE", "IE")
    assert sms_allowed("+353861234567", cfg.sms.countries)
    assert not sms_allowed("+447700900123", cfg.sms.countries)
    saved = cfg.model_dump(mode="json")
    saved["phone"] = "+234 20 3312 3456"  # the Salon card's phone, later
    assert parse_business_config(saved).sms.countries == ("FI", "SE", "NO", "DK", "EE", "IE")
    assert parse_business_config({**data, "sms": {"countries": ["FI"]}}).sms.countries == ("FI",)
    data.update(phone="+358 9 1234 5678")
    assert parse_business_config(data).sms.countries == ("FI", "SE", "NO", "DK", "EE")


# --- errors ----------------------------------------------------------------------


def test_closed_days_are_bare_dates_or_dates_with_a_name_in_the_business_file(data):
    """A business file of before (bare dates) loads as it did; a day may carry a short name
    ("Juhannus"), written in YAML as a mapping. Sorted, a date listed again read once."""
    data["closures"] = yaml.safe_load(
        "- 2026-12-24\n- {date: 2026-06-19, name: Juhannus}\n- date: 2026-10-02\n  name: Koulutuspäivä\n- 2026-12-24\n"
    )
    cfg = parse_business_config(data)
    assert [(c.date.isoformat(), c.name) for c in cfg.closures] == [
        ("2026-06-19", "Juhannus"),
        ("2026-10-02", "Koulutuspäivä"),
        ("2026-12-24", None),
    ]
    assert cfg.closure_on(date(2026, 6, 19)) == Closure(date=date(2026, 6, 19), name="Juhannus")
    assert parse_business_config(cfg.model_dump(mode="json")) == cfg


@pytest.mark.parametrize(
    ("closures", "message"),
    [
        ([{"date": "2026-06-19", "name": "x" * 41}], "closures[0].name: String should have at most 40 characters"),
        ([{"date": "2026-06-19", "name": "Juhannus\n"}], "closures[0].name: a closed day's name is one line"),
        ([{"date": "2026-06-19", "name": "Juhan\x00nus"}], "closures[0].name: a closed day's name is one line"),
        (
            ["2026-06-19", {"date": "2026-06-19", "name": "A"}, {"date": "2026-06-19", "name": "B"}],
            "closures: 2026-06-19 is listed twice",
        ),
    ],
)
def test_a_closed_days_name_is_one_short_line(data, closures, message):
    data["closures"] = closures
    assert only_error(data).startswith(message)


@pytest.mark.parametrize("tz", ["Europe/Helsink", "Mars/Olympus", "", "../etc/passwd", "europe/helsinki", "EET+2"])
def test_bad_timezone(data, tz):
    data["timezone"] = tz
    line = only_error(data)
    assert line.startswith("timezone: ")
    assert "IANA time zone" in line


@pytest.mark.parametrize("tz", ["Europe", "America"])
def test_timezone_that_names_a_region_folder_is_a_validation_error(data, tz):
    data["timezone"] = tz
    assert only_error(data).startswith("timezone: ")


@pytest.mark.parametrize("locale", ["de", "FI", "fi-FI", ""])
def test_unknown_locale(data, locale):
    data["locale"] = locale
    assert only_error(data) == "locale: must be one of fi, sv, en"


def test_overlapping_intervals(data):
    data["opening_hours"]["mon"] = [["09:00", "12:00"], ["11:30", "18:00"]]
    assert only_error(data) == "opening_hours.mon: intervals 09:00-12:00 and 11:30-18:00 overlap"


def test_overlapping_intervals_in_staff_hours(data):
    data["staff"][2]["hours"]["fri"] = [["09:00", "18:00"], ["17:00", "19:00"]]
    assert only_error(data) == "staff[2].hours.fri: intervals 09:00-18:00 and 17:00-19:00 overlap"


@pytest.mark.parametrize("pair", [["18:00", "09:00"], ["09:00", "09:00"]])
def test_interval_ending_before_it_starts(data, pair):
    data["opening_hours"]["tue"] = pair
    line = only_error(data)
    assert line == f"opening_hours.tue: interval {pair[0]}-{pair[1]} ends before it starts"


def test_bad_exception_interval_is_reported_under_the_staff_member(data):
    data["staff"][1]["exceptions"] = {date(2026, 12, 23): [["14:00", "10:00"]]}
    line = only_error(data)
    assert line.startswith("staff[1].exceptions")
    assert "14:00-10:00 ends before it starts" in line


@pytest.mark.parametrize(
    "value,message",
    [
        ("09:03", "'09:03' must be on a 5-minute boundary"),
        ("24:30", "'24:30' is past midnight"),
        ("noon", "not a time like 09:30"),
    ],
)
def test_bad_opening_times(data, value, message):
    data["opening_hours"]["thu"] = [[value, "20:00"]] if value != "24:30" else [["09:00", value]]
    line = only_error(data)
    assert line.startswith("opening_hours.thu: ")
    assert message in line


@pytest.mark.parametrize(
    "field,value",
    [
        ("duration_minutes", 62),
        ("buffer_minutes", 7),
    ],
)
def test_service_durations_must_be_on_the_5_minute_grid(data, field, value):
    data["services"][1][field] = value
    assert only_error(data) == f"services[1]: {field} must be a multiple of 5"


def test_slot_step_must_be_on_the_5_minute_grid(data):
    data["rules"]["slot_step_minutes"] = 7
    assert only_error(data) == "rules.slot_step_minutes: must be a multiple of 5"


def test_duration_plus_buffer_is_capped(data):
    data["services"][0]["duration_minutes"] = MAX_OCCUPANCY_MINUTES - 30
    data["services"][0]["buffer_minutes"] = 30
    long_cut = parse_business_config(data).service("womens-cut")
    assert long_cut and long_cut.occupancy_minutes == MAX_OCCUPANCY_MINUTES
    data["services"][0]["buffer_minutes"] = 35
    assert only_error(data) == f"services[0]: duration plus buffer may be at most {MAX_OCCUPANCY_MINUTES} minutes"
    data["services"][0]["buffer_minutes"] = 0
    data["services"][0]["duration_minutes"] = MAX_OCCUPANCY_MINUTES + 5
    assert only_error(data).startswith("services[0].duration_minutes: ")


def test_staff_offering_an_unknown_service(data):
    data["staff"][0]["services"].append("perm")
    assert "staff 'aino' offers unknown services: perm" in only_error(data)


def test_service_nobody_offers(data):
    data["services"].append({"id": "perm", "name": "Permanentti", "duration_minutes": 90, "price_cents": 9900})
    assert "no staff member offers: perm" in only_error(data)


def test_duplicate_service_ids(data):
    data["services"].append(copy.deepcopy(data["services"][0]))
    assert "duplicate service ids: womens-cut" in only_error(data)


def test_duplicate_staff_ids(data):
    twin = copy.deepcopy(data["staff"][1])
    twin["name"] = "Toinen Mikko"
    data["staff"].append(twin)
    assert "duplicate staff ids: mikko" in only_error(data)


@pytest.mark.parametrize("sender", ["SalonAurora1", "12345", "00000000000", "Salon_Aurora", "Salon-Auror", ""])
def test_bad_sms_sender(data, sender):
    data["sms_sender"] = sender
    assert only_error(data).startswith("sms_sender: ")


@pytest.mark.parametrize("sender", ["SalonAurora", "Aurora 24", "A"])
def test_good_sms_sender(data, sender):
    data["sms_sender"] = sender
    assert parse_business_config(data).sms_sender == sender


def test_digits_only_sms_sender_says_it_needs_a_letter(data):
    data["sms_sender"] = "12345"
    assert only_error(data) == "sms_sender: an SMS sender ID needs at least one letter"


@pytest.mark.parametrize("field", ["review_link", "website"])
@pytest.mark.parametrize(
    "url", ["http://g.page/r/salon/review", "g.page/r/salon", "https://", "https://bad url.fi", "ftp://salon.fi"]
)
def test_links_must_be_https(data, field, url):
    data[field] = url
    assert only_error(data) == f"{field}: must be an https:// URL"


@pytest.mark.parametrize("slug", ["Demo", "d", "-demo", "demo_salon", "a" * 41])
def test_bad_slug(data, slug):
    data["slug"] = slug
    assert only_error(data).startswith("slug: ")


def test_bad_service_and_staff_ids(data):
    data["services"][0]["id"] = "Womens Cut"
    lines = errors_of(data)
    assert any(line.startswith("services[0].id: ") for line in lines)


def test_unknown_keys_are_rejected_with_their_path(data):
    data["colour"] = "red"
    data["staff"][0]["nickname"] = "Ainski"
    lines = errors_of(data)
    assert "colour: Extra inputs are not permitted" in lines
    assert "staff[0].nickname: Extra inputs are not permitted" in lines


def test_non_eur_currency(data):
    data["currency"] = "SEK"
    assert only_error(data) == "currency: only EUR is supported"


def test_missing_required_fields(data):
    del data["timezone"]
    del data["address"]
    lines = errors_of(data)
    assert "timezone: Field required" in lines
    assert "address: Field required" in lines


# --- format_validation_error -------------------------------------------------------


def test_every_problem_gets_its_own_path_message_line(data):
    data["timezone"] = "Mars/Olympus"
    data["locale"] = "de"
    data["services"][1]["duration_minutes"] = 33
    data["staff"][2]["hours"]["mon"] = ["18:00", "09:00"]
    data["rules"]["max_horizon_days"] = 0
    lines = errors_of(data)
    assert lines == [
        "timezone: 'Mars/Olympus' is not an IANA time zone such as Europe/Helsinki",
        "locale: must be one of fi, sv, en",
        "rules.max_horizon_days: Input should be greater than or equal to 1",
        "services[1]: duration_minutes must be a multiple of 5",
        "staff[2].hours.mon: interval 18:00-09:00 ends before it starts",
    ]
    for line in lines:
        path, _, message = line.partition(": ")
        assert path and message
        assert "Value error" not in line


def test_cross_reference_errors_are_labelled_top_level(data):
    data["staff"][0]["services"] = ["perm"]
    lines = errors_of(data)
    assert lines == ["(top level): staff 'aino' offers unknown services: perm"]


def test_empty_lists_are_reported(data):
    data["services"] = []
    data["staff"] = []
    lines = errors_of(data)
    assert any(line.startswith("services: ") for line in lines)
    assert any(line.startswith("staff: ") for line in lines)


def test_item_error_is_not_followed_by_a_noise_line(data):
    data["staff"] = [{"id": "x"}]
    lines = errors_of(data)
    assert lines
    assert all(line.startswith("staff[0].") for line in lines), lines


def test_a_reminder_plan_has_at_most_four_rules():
    """A reschedule's one transaction must stay within DynamoDB's 100 items."""
    import yaml
    from pydantic import ValidationError

    from chalicelib.domain.config import parse_business_config
    from tests.conftest import DEMO

    data = yaml.safe_load(DEMO.read_text())
    data["reminders"] = [{"channel": "email", "hours_before": h} for h in (48, 24, 12, 6)]
    assert len(parse_business_config(data).reminders) == 4
    data["reminders"].append({"channel": "sms", "hours_before": 2})
    with pytest.raises(ValidationError, match="at most 4"):
        parse_business_config(data)


def test_lapse_thresholds_come_both_or_neither(data):
    assert parse_business_config(data).retention.lapsed_below is None  # the demo's are fitted to its past
    data["retention"]["lapsed_below"] = 0.5
    assert "set both at_risk_below and lapsed_below, or neither" in only_error(data)
    data["retention"]["at_risk_below"] = 0.4
    assert "lapsed_below must be at most at_risk_below" in only_error(data)
    data["retention"]["at_risk_below"] = 0.7
    assert parse_business_config(data).retention.at_risk_below == 0.7


def test_opening_hours_in_digits_other_than_0_to_9_are_not_times():
    from chalicelib.domain.config import _parse_hhmm

    assert _parse_hhmm("09:30") == 570
    with pytest.raises(ValueError, match="is not a time"):
        _parse_hhmm("1٥:00")  # an Arabic-Indic 5, which int() reads


def irish(data: dict, **payments) -> dict:
    """The demo salon moved to Dublin: an Irish physiotherapist's file."""
    return {
        **data,
        "timezone": "Europe/Dublin",
        "locale": "en",
        "phone": "+353 1 234 5678",
        "payments": {**data.get("payments", {}), **payments},
    }


def test_the_finnish_vat_rate_is_the_default_of_a_business_in_finland_only(data):
    from decimal import Decimal

    # The demo salon (Helsinki, a Finnish phone) sets none: Finland's general rate.
    assert parse_business_config(data, typed=True).vat_percent == Decimal("25.5")
    # In Finland by its phone alone (a time zone of its own choosing), or by Åland's zone.
    assert parse_business_config({**data, "timezone": "UTC"}).vat_percent == Decimal("25.5")
    assert parse_business_config({**data, "timezone": "Europe/Mariehamn", "phone": None}).vat_percent == Decimal("25.5")
    # An Irish business that set none has no rate: its receipts state no VAT.
    cfg = parse_business_config(irish(data), typed=True)
    assert cfg.payments.vat_percent is None and cfg.vat_percent is None
    # Nor one without a phone outside Finland (DEFAULT_REGION is no proof it is in Finland).
    assert parse_business_config({**irish(data), "phone": None}).vat_percent is None
    # A rate it set is its rate, anywhere (Ireland's 23 %, exempt 0 %, a Finnish 14 %).
    assert parse_business_config(irish(data, vat_percent="23"), typed=True).vat_percent == Decimal("23")
    assert parse_business_config(irish(data, vat_percent=0), typed=True).vat_percent == Decimal("0")
    assert parse_business_config({**data, "payments": {"vat_percent": "14"}}).vat_percent == Decimal("14")


def test_the_old_default_finnish_rate_stored_for_a_business_outside_finland_is_read_as_none_chosen(data):
    """Every configuration stored before was written with 25.5 (the old default): outside
    Finland that was never the business's choice (no other country has the rate)."""
    stored = irish(data, vat_percent="25.5")
    cfg = parse_business_config(stored)
    assert cfg.payments.vat_percent is None and cfg.vat_percent is None
    assert cfg.model_dump(mode="json")["payments"]["vat_percent"] is None  # saved so from then on
    # In Finland it stays what it was.
    assert parse_business_config({**data, "payments": {"vat_percent": "25.5"}}).payments.vat_percent == 25.5
    # Typed now (a business file, a settings save), it is refused, not quietly dropped.
    with pytest.raises(ValidationError) as exc:
        parse_business_config(stored, typed=True)
    [line] = format_validation_error(exc.value)
    assert line.startswith("payments: vat_percent 25.5 is Finland's general VAT rate"), line
