"""The at-risk list of a salon with years of clients (Riskiasiakkaat, lists.js): it draws
its first 50 rows and a button under them for the next 50, saying how many are left,
until all are shown; the filter's counts are of them all; the filter or the order
chosen starts again at 50; a row's action that has the list read and drawn again keeps
the rows she had opened. On a 360 px phone, on a business of its own (seed.pinned_day)
on the shared stack: 5 clients at risk and 60 lapsed, written into the store as their
visits would have left them (seed.visit), not by weeks of bookings and job runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ALL_IMPACTS,
    ARTIFACTS,
    PIN,
    SMALL_PHONE,
    admin,
    check_as_it_is,
    open_dashboard,
    signed_in_context,
)
from tests.browser.seed import pinned_day, visit

AT_RISK, LAPSED = 5, 60  # six visits each make one at risk: a second, one lapsed a fifth


def retention(stack) -> dict:
    status, body = admin(stack, "GET", "/retention")
    assert status == 200, body
    return body


@pytest.fixture(scope="module")
def salon(stack):
    """A salon of its own with 65 clients slipping away: at risk as seed() makes Riikka
    (six visits eight weeks apart, the last 60 days ago), lapsed as Leena (one visit 130
    days ago)."""
    own = pinned_day(stack, PIN, "vuosien-asiakkaat")
    for n in range(AT_RISK):
        visit(own, f"Riski {n:03d}", f"riski{n}@example.com", own.now - timedelta(days=60), every_days=56, visits=6)
    for n in range(LAPSED):
        visit(own, f"Poissa {n:03d}", f"poissa{n}@example.com", own.now - timedelta(days=130))
    listed = retention(own)["clients"]
    statuses = [c["status"] for c in listed]
    assert (statuses.count("at_risk"), statuses.count("lapsed")) == (AT_RISK, LAPSED), statuses
    return own


@pytest.fixture
def phone(browser, salon):
    context = signed_in_context(browser, salon, viewport=SMALL_PHONE)
    page = open_dashboard(context, salon)
    yield page
    context.close()


def show_list(page) -> None:
    page.locator("#tabs a[data-view=clients]").click()
    page.wait_for_function("() => !document.getElementById('retention').hasAttribute('aria-busy')")


def test_a_long_list_shows_50_rows_at_a_time(phone, salon):
    page = phone
    show_list(page)
    rows = page.locator("#retention > li")
    more = page.locator("#view-clients").get_by_role("button", name="Näytä 15 lisää (15 jäljellä)")
    # The first 50 in the API's order; the filter counts every one of them.
    expect(rows).to_have_count(50)
    names = [c["client"]["name"] for c in retention(salon)["clients"]]
    expect(rows.locator(".who")).to_have_text(names[:50])
    shown = page.get_by_role("group", name="Näytä")
    expect(shown.get_by_role("button")).to_have_text(["Kaikki 65", "Riskissä 5", "Poisjääneet 60"])
    expect(page.locator("#count-clients")).to_have_text("65")
    # Under the last row, in reach of her thumb.
    more.scroll_into_view_if_needed()
    box = more.bounding_box()
    assert box["height"] >= 44 and box["y"] > rows.last.bounding_box()["y"], box
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-clients-more-360.png"))
    check_as_it_is(page, ARTIFACTS, "dashboard-clients-more", ALL_IMPACTS)

    # The rest (a page at most: slipping.js pageOf, its node tests), the keyboard going on
    # from the first of them, and the button goes.
    more.click()
    expect(rows).to_have_count(65)
    expect(rows.locator(".who")).to_have_text(names)
    expect(rows.nth(50).get_by_role("link", name=names[50])).to_be_focused()
    expect(page.locator("#retention-more")).to_be_hidden()

    # Another filter starts again at 50, and its button counts its own rows.
    shown.get_by_role("button", name="Poisjääneet").click()
    expect(rows).to_have_count(50)
    expect(page.get_by_role("button", name="Näytä 10 lisää (10 jäljellä)")).to_be_visible()
    expect(shown.get_by_role("button")).to_have_text(["Kaikki 65", "Riskissä 5", "Poisjääneet 60"])
    shown.get_by_role("button", name="Riskissä").click()
    expect(rows).to_have_count(5)
    expect(page.locator("#retention-more")).to_be_hidden()
    shown.get_by_role("button", name="Kaikki").click()
    expect(rows).to_have_count(50)

    # So does the other order (the list is read again in it).
    with page.expect_response(lambda r: "/retention?order=recent" in r.url):
        page.get_by_role("group", name="Järjestys").get_by_role("button", name="Tuoreimmat ensin").click()
    expect(rows).to_have_count(50)
    expect(page.get_by_role("button", name="Näytä 15 lisää (15 jäljellä)")).to_be_visible()


def test_an_action_on_a_row_keeps_the_rows_she_had_opened(phone, salon):
    """Maintenance on the 56th row: the list is read and drawn again without her; the
    rows she had opened stay (the 64 left), not 50 with her place lost."""
    page = phone
    show_list(page)
    rows = page.locator("#retention > li")
    expect(rows).to_have_count(50)
    page.locator("#retention-more").click()
    expect(rows).to_have_count(65)
    row = rows.nth(55)
    name, client = row.locator(".who").inner_text(), row.get_attribute("data-client")
    status = next(c["status"] for c in retention(salon)["clients"] if c["client"]["id"] == client)
    try:
        with page.expect_response(lambda r: "/retention" in r.url and r.request.method == "GET"):
            row.get_by_role("button", name=f"Käy omaan tahtiinsa – älä seuraa: {name}").click()
        expect(rows.filter(has_text=name)).to_have_count(0)
        expect(rows).to_have_count(64)
        expect(page.locator("#retention-more")).to_be_hidden()
    finally:  # back on the list for the module's other tests
        assert admin(salon, "PATCH", f"/clients/{client}", {"relationship": status})[0] == 200
