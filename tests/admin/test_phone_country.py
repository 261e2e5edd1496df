"""A number typed without its country code is read in the business's own country (its
phone's), not always Finland's: a Stockholm salon's client typing "070 123 45 67" is
+46 70 123 45 67, and read as +358 70… her confirmations would go to someone else's phone
(an outside walkthrough's). Booking, the waitlist, the desk's edit and the CSV import alike;
a number with its country code stays as typed, and a Finnish salon reads Finnish numbers."""

from __future__ import annotations

import pytest

from tests.api.helpers import book
from tests.waitlist.helpers import join

STOCKHOLM_MOBILE = "070 123 45 67"


@pytest.fixture
def swedish(aws):
    """The demo salon with a Stockholm phone number (its country, for reading numbers)."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store import businesses

    data = aws.config.model_dump(mode="json")
    data["phone"] = "+46 8 555 123 45"
    businesses.save_config(parse_business_config(data))
    businesses.clear_cache()
    return aws


@pytest.fixture
def stockholm_without_a_phone(aws):
    """The demo salon moved to Stockholm, its file giving no phone (a deploying engineer's
    walk: every Swedish client's number was stored as a Finnish one)."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store import businesses

    data = aws.config.model_dump(mode="json")
    data.pop("phone", None)
    data["timezone"] = "Europe/Stockholm"
    businesses.save_config(parse_business_config(data))
    businesses.clear_cache()
    return aws


def test_a_business_with_no_phone_reads_numbers_in_its_time_zones_country(client, desk, stockholm_without_a_phone):
    status, booked = book(client, "2026-11-25T12:00:00+01:00", phone=STOCKHOLM_MOBILE, email=None)
    assert status == 201, booked
    client_id = desk.get(f"/appointments/{booked['id']}")[1]["client"]["id"]
    assert phone_of(desk, client_id) == "+46701234567"


def phone_of(desk, client_id):
    status, card = desk.get(f"/clients/{client_id}")
    assert status == 200, card
    return card["client"]["phone"]


def test_a_booking_and_a_waitlist_entry_read_a_national_number_in_the_salons_country(client, desk, swedish):
    status, booked = book(client, "2026-11-25T12:00:00+02:00", phone=STOCKHOLM_MOBILE, email=None)
    assert status == 201, booked
    client_id = desk.get(f"/appointments/{booked['id']}")[1]["client"]["id"]
    assert phone_of(desk, client_id) == "+46701234567"
    status, other = book(client, "2026-11-25T14:00:00+02:00", name="Finsk", phone="+358 40 765 4321", email=None)
    assert status == 201, other
    other_id = desk.get(f"/appointments/{other['id']}")[1]["client"]["id"]
    assert phone_of(desk, other_id) == "+358407654321"  # with its code: as typed
    status, entry = join(client, phone="073 555 12 34", email=None)
    assert status == 201, entry
    status, waiting = desk.get("/waitlist")
    assert status == 200 and [e["phone"] for e in waiting["entries"]] == ["+46735551234"], waiting


def test_the_desks_edit_and_the_import_read_it_so_too(client, desk, swedish):
    status, booked = book(client, "2026-11-25T12:00:00+02:00", email="maja@example.se", phone=None)
    assert status == 201, booked
    client_id = desk.get(f"/appointments/{booked['id']}")[1]["client"]["id"]
    status, changed = desk.patch(f"/clients/{client_id}", {"phone": "08-555 123 99"})
    assert status == 200, changed
    assert phone_of(desk, client_id) == "+46855512399"

    csv = "Namn;Mobil\nSven Svensson;0701112233\n"
    status, dry = desk.post("/imports", {"csv": csv})
    assert status == 201 and dry["dry_run"]["create"] == 1 and not dry["dry_run"]["rejected"], dry
    assert desk.post(f"/imports/{dry['id']}/run", {})[0] in (200, 202)
    status, found = desk.get("/clients?q=Sven")
    assert status == 200 and [c["phone"] for c in found["clients"]] == ["+46701112233"], found


def test_a_finnish_salon_still_reads_finnish_numbers(client, desk):
    status, booked = book(client, "2026-11-25T12:00:00+02:00", phone="040 123 4567", email=None)
    assert status == 201, booked
    client_id = desk.get(f"/appointments/{booked['id']}")[1]["client"]["id"]
    assert phone_of(desk, client_id) == "+358401234567"
