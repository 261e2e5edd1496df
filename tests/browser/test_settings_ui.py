"""The owner's settings screen and the CSV import (issue 16, points 6 and 7) in headless
Chromium against the `make run` stack, at a phone's 360x740 and a desktop's 1280x800:
every settings section edited and saved (and the change in GET /settings), a validation
error marked on its input, a save over someone else's change (409), the staff member's
read-only hours, a CSV import with a bad row (listed with its reason, the good rows
imported and found by the client search), a file too big. Each state is checked with
axe-core and photographed into tests/browser/artifacts/settings/ (ignored by git)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.browser.conftest import NARROW_PHONE, admin, check_as_it_is, cut_short, sticking_out
from tests.browser.test_frontdesk import PHONE, SIZES

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "settings"


@pytest.fixture(scope="module")
def stack(own_stack):
    return own_stack


def label(size) -> str:
    return "phone" if size == PHONE else "desktop"


def check(page, name: str) -> None:
    """A screenshot of the page as it is, then axe-core (serious and critical)."""
    check_as_it_is(page, ARTIFACTS, name)
    # Nothing wider than the screen (no sideways scrolling on a phone), but in a row that
    # scrolls sideways within it (the tabs on a phone).
    wide = page.evaluate(
        """() => {
          const scrolled = (n) => {
            for (let p = n.parentElement; p; p = p.parentElement) {
              const o = getComputedStyle(p).overflowX;
              if ((o === 'auto' || o === 'scroll') && p.getBoundingClientRect().right <= innerWidth + 1) return true;
            }
            return false;
          };
          return [...document.querySelectorAll('#main *')]
            .filter((n) => n.getClientRects().length && n.getBoundingClientRect().right > innerWidth + 1 && !scrolled(n))
            .slice(0, 5).map((n) => `${n.tagName}#${n.id}.${n.className}`);
        }"""
    )
    assert wide == [], (name, wide)


@pytest.fixture
def signed_in(dashboard):
    """signed_in(size, role="owner", view="settings", form=False): the dashboard at that
    viewport signed in already (conftest's dashboard), or through the form if told, on
    the view."""

    def open_(size, role="owner", view="settings", form=False):
        page = dashboard(size, role, form)
        asked: list = []  # what the view asked for, and what came back: said if it never draws
        page.on("request", lambda r: asked.extend([r.url] if "/admin/settings" in r.url else []))
        page.on("response", lambda r: asked.extend([r.status] if "/admin/settings" in r.url else []))
        page.locator(f"#tabs a[data-view={view}]").click()
        if view == "settings":
            # A fresh stack's first settings read goes through a cold server (its imports,
            # the configuration): on a busy machine, two suites side by side, once over 15 s.
            # Once (6 Dec 2026, an idle machine) it never drew in 45 s: why, if again.
            try:
                page.locator("#settings .card").first.wait_for(timeout=45000)
            except PlaywrightTimeout:
                pytest.fail(
                    f"the settings view did not draw in 45 s: at {page.url}, GET /settings "
                    f"asked and answered {asked}, the view says {page.locator('#settings').inner_text()[:200]!r}"
                )
        return page

    return open_


def settings(stack) -> dict:
    status, data = admin(stack, "GET", "/settings")
    assert status == 200, data
    return data["sections"]


def save(page, section: str) -> None:
    form = page.locator(f"#set-{section}")
    form.get_by_role("button", name="Tallenna", exact=True).click()
    expect(page.locator(f"#set-{section}-note")).to_have_text(re.compile("Tallennettu|Ei muutoksia"))


def refused_at_box(page, section: str, box, said) -> None:
    """Save the section: refused, and said at the box (`said`: its exact words or a pattern)."""
    page.locator(f"#set-{section}").get_by_role("button", name="Tallenna", exact=True).click()
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{box.get_attribute('aria-describedby')}")).to_have_text(said)


def check_file(box, name: str, data: bytes, label: str = "CSV-tiedosto", check: str = "Tarkista tiedosto") -> None:
    """The import's file chosen (`data`, its bytes as saved) and checked: its dry run asked."""
    box.get_by_label(label).set_input_files(files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    box.get_by_role("button", name=check).click()


def service_item(page, name: str):
    return page.locator("#set-services details.item", has=page.locator("summary", has_text=name))


def staff_item(page, name: str):
    return page.locator("#set-staff details.item", has=page.locator("summary", has_text=name))


# --- each section edited and saved ------------------------------------------------------
@SIZES
def test_each_settings_section_is_edited_and_saved(signed_in, stack, size):
    page = signed_in(size)
    n = 1 if size == PHONE else 2
    expect(page.get_by_role("heading", level=2, name="Asetukset")).to_be_visible()
    check(page, f"settings-{label(size)}")

    # The salon as her clients see it: a name and address of her own (an owner's walk found
    # no way to change them), an empty name refused at its box; put back for the other tests.
    salon = page.locator("#set-salon")
    before = settings(stack)["salon"]
    salon.get_by_label("Nimi", exact=True).fill("")
    refused_at_box(page, "salon", salon.get_by_label("Nimi", exact=True), re.compile(r"\S"))
    salon.get_by_label("Nimi", exact=True).fill(f"Parturi Maria {n}")
    salon.get_by_label("Osoite").fill("Hämeenkatu 5, 33100 Tampere")
    # The salon's language, hers to set (a walk: only an operator could), and her alerts in
    # her own (she reads Swedish; her clients get Finnish).
    expect(salon.get_by_label("Kieli", exact=True)).to_have_value("fi")
    expect(salon.get_by_label("Hälytysten kieli")).to_have_value("")
    salon.get_by_label("Hälytysten kieli").select_option("Svenska")
    save(page, "salon")
    salon.screenshot(path=str(ARTIFACTS / f"settings-salon-{label(size)}.png"))
    saved = settings(stack)["salon"]
    assert (saved["name"], saved["address"]) == (f"Parturi Maria {n}", "Hämeenkatu 5, 33100 Tampere")
    assert saved["phone"] == before["phone"] and saved["owner_email"] == before["owner_email"]
    assert saved["owner_locale"] == "sv"
    salon.get_by_label("Nimi", exact=True).fill(before["name"])
    salon.get_by_label("Osoite").fill(before["address"])
    salon.get_by_label("Hälytysten kieli").select_option("Salongin kieli")
    save(page, "salon")
    assert settings(stack)["salon"] == before

    # Opening hours: Saturday closes earlier.
    hours = page.locator("#set-hours")
    hours.get_by_label("Lauantai päättyy").fill(f"1{4 + n}:00")
    save(page, "hours")
    assert settings(stack)["hours"]["sat"] == [["10:00", f"1{4 + n}:00"]]

    # Closures: a new closed day, with her name for it.
    closures = page.locator("#set-closures")
    closures.get_by_role("button", name="Lisää suljettu päivä").click()
    closures.locator("input[type=date]").last.fill(f"2027-02-0{n}")
    # Beside the bare date box, her weekday in the dashboard's language.
    expect(closures.locator(".closed-day").last).to_have_text(f"{('maanantai', 'tiistai')[n - 1]} {n}.2.2027")
    last = closures.locator("input[type=date]").count()
    closures.get_by_label(f"Suljetun päivän {last} nimi (vapaaehtoinen)").fill("Koulutuspäivä")
    save(page, "closures")
    assert {"date": f"2027-02-0{n}", "name": "Koulutuspäivä"} in settings(stack)["closures"]

    # Services: a new price for the men's cut.
    item = service_item(page, "Miesten hiustenleikkaus")
    item.locator("summary").click()
    item.get_by_label("Hinta (€)").fill(f"4{4 + n},50")
    save(page, "services")
    mens = next(s for s in settings(stack)["services"] if s["id"] == "mens-cut")
    assert mens["price_cents"] == (44 + n) * 100 + 50
    # ... and what its booking pays: a fixed deposit, said to keep the terms of bookings made
    # before. Above the price it is refused at the deposit's box; then saved, under new terms.
    terms = admin(stack, "GET", "/business")[1]["config"]["payments"]["version"]
    item.get_by_label("Maksu varattaessa").select_option("deposit_amount")
    expect(item.get_by_text("Ennen muutosta tehdyt varaukset pitävät ehdot")).to_be_visible()
    deposit = item.get_by_label("Ennakkomaksu (€)")
    deposit.fill("999")
    refused_at_box(page, "services", deposit, "Ennakkomaksu voi olla enintään palvelun hinta.")
    deposit.fill(f"1{n},50")
    save(page, "services")
    mens = next(s for s in settings(stack)["services"] if s["id"] == "mens-cut")
    assert mens["payment"] == {"kind": "deposit", "deposit_cents": (10 + n) * 100 + 50, "deposit_percent": None}
    assert admin(stack, "GET", "/business")[1]["config"]["payments"]["version"] == terms + 1
    # ... and a new service, offered by Mikko (services and staff saved together).
    page.locator("#set-services").get_by_role("button", name="Lisää palvelu").click()
    new = page.locator("#set-services details.item[open]").last
    # What an empty language or category does on the booking page, said where she leaves it empty.
    expect(new.get_by_text("Tyhjäksi jätetyn kielen sivulla näkyy englanninkielinen teksti")).to_be_visible()
    expect(new.get_by_text("kategoriaton tulee viimeisenä otsikolla ”Muut palvelut”")).to_be_visible()
    new.get_by_label("Nimi (fi)").fill(f"Parranajo {n}")
    new.get_by_label("Nimi (en)").fill(f"Shave {n}")
    new.get_by_label("Kesto (min)").fill("30")
    new.get_by_label("Hinta (€)").fill("25")
    new.get_by_label("Mikko Laine").check()
    check(page, f"settings-new-service-{label(size)}")
    save(page, "services")
    sections = settings(stack)
    shave = next(s for s in sections["services"] if s["name"]["fi"] == f"Parranajo {n}")
    assert shave["price_cents"] == 2500 and shave["name"]["en"] == f"Shave {n}"
    assert shave["id"] in next(m for m in sections["staff"] if m["id"] == "mikko")["services"]
    # Drawn again from what was saved, Mikko still ticked on it, and the next change saves
    # (drawn from the staff before the save, nobody was ticked, and the next save was
    # refused for it: "nobody offers the service").
    shaving = service_item(page, f"Parranajo {n}")
    if shaving.get_attribute("open") is None:
        shaving.locator("summary").click()
    expect(shaving.get_by_label("Mikko Laine")).to_be_checked()
    item = service_item(page, "Miesten hiustenleikkaus")
    if item.get_attribute("open") is None:
        item.locator("summary").click()
    item.get_by_label("Hinta (€)").fill(f"4{5 + n},50")
    save(page, "services")
    assert next(s for s in settings(stack)["services"] if s["id"] == "mens-cut")["price_cents"] == (45 + n) * 100 + 50

    # Staff: Mikko's title in Swedish, a Monday for him, and the new service shown on his list.
    item = staff_item(page, "Mikko Laine")
    item.locator("summary").click()
    expect(item.get_by_label(f"Parranajo {n}")).to_be_checked()
    # His Photo URL box is empty: under it, that his photo is of the salon's own images.
    expect(item.locator(".hint", has_text="demo-mikko")).to_be_visible()
    item.get_by_label("Titteli (sv)").fill(f"Barberare {n}")
    if item.get_by_label("Maanantai päättyy").count() == 0:
        item.get_by_role("button", name="Lisää aika: Maanantai").click()
    item.get_by_label("Maanantai päättyy").first.fill(f"1{2 + n}:00")
    save(page, "staff")
    mikko = next(m for m in settings(stack)["staff"] if m["id"] == "mikko")
    assert mikko["title"]["sv"] == f"Barberare {n}"
    assert mikko["hours"]["mon"] == [["09:00", f"1{2 + n}:00"]]
    assert mikko["photo"] == "demo-mikko"  # kept

    # Booking rules.
    page.locator("#set-rules").get_by_label("Varaus viimeistään (min ennen)").fill(str(60 * n))
    save(page, "rules")
    assert settings(stack)["rules"]["min_notice_minutes"] == 60 * n

    # Reminders: the first one the day before at a time.
    reminders = page.locator("#set-reminders")
    reminders.get_by_label("Milloin").first.select_option("day_before")
    reminders.get_by_label("Kellonaika edellisenä päivänä").first.fill(f"1{6 + n}:00")
    save(page, "reminders")
    assert settings(stack)["reminders"][0]["day_before_at"] == f"1{6 + n}:00"

    # Messages: the sender name.
    page.locator("#set-messages").get_by_label("Lähettäjän nimi").fill(f"Salon Aurora {n}")
    save(page, "messages")
    assert settings(stack)["messages"]["sender_name"] == f"Salon Aurora {n}"

    # The booking page: the introduction and the rating's threshold.
    shop = page.locator("#set-shop")
    shop.get_by_label("Esittely (fi)").fill(f"Tervetuloa {n}!")
    shop.get_by_label("Arvioita vähintään").fill(str(5 + n))
    save(page, "shop")
    saved = settings(stack)["shop"]
    assert saved["intro"]["fi"] == f"Tervetuloa {n}!" and saved["rating_min_count"] == 5 + n
    assert saved["cover"] == "demo-cover"  # the images kept
    check(page, f"settings-saved-{label(size)}")


# --- errors -----------------------------------------------------------------------------------
@SIZES
def test_a_validation_error_is_marked_on_its_field_and_nothing_is_saved(signed_in, stack, size):
    page = signed_in(size)
    before = settings(stack)
    item = service_item(page, "Lasten hiustenleikkaus")
    item.locator("summary").click()
    duration = item.get_by_label("Kesto (min)")
    duration.fill("3")
    price = item.get_by_label("Hinta (€)")
    price.fill("paljon")  # read on the page: never sent
    refused_at_box(page, "services", price, re.compile("Kirjoita hinta euroina"))
    # The price fixed, the server's rule on the duration comes back on the duration.
    price.fill("29")
    refused_at_box(page, "services", duration, "Vähintään 5.")
    expect(price).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#set-services-error")).to_contain_text("Tätä ei tallennettu")
    # Opening hours that end before they start: marked on that day.
    hours = page.locator("#set-hours")
    monday_end = hours.get_by_label("Maanantai päättyy").input_value()
    hours.get_by_label("Maanantai päättyy").fill("08:00")
    hours.get_by_role("button", name="Tallenna", exact=True).click()
    # Marked on the end she typed, not on the day's start.
    expect(hours.get_by_label("Maanantai päättyy")).to_have_attribute("aria-invalid", "true")
    expect(hours.get_by_label("Maanantai alkaa")).not_to_have_attribute("aria-invalid", "true")
    expect(hours.locator(".field-error")).to_have_text("Loppu on ennen alkua.")
    # A sender name pasted longer than SMS allows is refused at its box, not cut short.
    sender = page.locator("#set-messages").get_by_label("Tekstiviestin lähettäjä")
    sender.fill("Parturi Aurora Helsinki")
    expect(sender).to_have_value("Parturi Aurora Helsinki")
    refused_at_box(page, "messages", sender, "1–11 kirjainta tai numeroa, vähintään yksi kirjain.")
    check(page, f"settings-errors-{label(size)}")
    assert settings(stack) == before  # nothing half-saved
    # Put back as it was: the section and the status line both say nothing was saved.
    hours.get_by_label("Maanantai päättyy").fill(monday_end)
    hours.get_by_role("button", name="Tallenna", exact=True).click()
    expect(page.locator("#set-hours-note")).to_have_text("Ei muutoksia tallennettavaksi.")
    expect(page.locator("#status")).to_have_text("Ei muutoksia tallennettavaksi.")
    # The salon's closed Sunday is closed, not "off work".
    expect(hours.locator("fieldset", has_text="Sunnuntai").locator(".closed")).to_have_text("Suljettu")


def test_leaving_the_settings_with_an_edit_not_saved_asks_first(signed_in, stack):
    """Friday's closing changed and not saved: the section says so, and another tab asks
    before the change is lost; kept when she stays, gone only when she says leave."""
    page = signed_in(PHONE)
    hours = page.locator("#set-hours")
    friday = hours.get_by_label("Perjantai päättyy").first
    was = friday.input_value()
    friday.fill("19:00")
    expect(page.locator("#set-hours-note")).to_have_text("Tallentamattomia muutoksia.")
    asked: list[str] = []

    def stay(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", stay)
    with page.expect_event("dialog"):
        page.locator("#tabs a[data-view=calendar]").click()
    expect(page.locator("#view-settings")).to_be_visible()
    assert asked and "Aukioloajat" in asked[0], asked
    expect(friday).to_have_value("19:00")  # still hers to save
    page.once("dialog", lambda d: d.accept())
    page.locator("#tabs a[data-view=calendar]").click()
    expect(page.locator("#view-calendar")).to_be_visible()
    assert settings(stack)["hours"]["fri"][0][1] == was  # left unsaved, as she chose


def test_a_refusal_about_a_service_she_never_opened_lands_on_its_field(signed_in, stack):
    """A service's editor is built when she opens it (a salon's closed services and staff
    were hundreds of hidden fields built at every visit); the server's word on a service
    she never opened still opens it and marks its box. The request is changed on its way
    (the last service's duration made 3 minutes, under the 5 allowed), the server's
    refusal is its own."""
    page = signed_in(PHONE)
    items = page.locator("#set-services details.item")
    expect(items.last.locator("summary")).to_be_visible()
    assert items.count() > 1
    expect(items.locator("input")).to_have_count(0)  # nothing built before she opens one
    before = settings(stack)

    def too_short_last(route):
        body = json.loads(route.request.post_data)
        body[-1]["duration_minutes"] = 3
        route.continue_(post_data=json.dumps(body))

    page.route("**/api/v1/admin/settings/services", too_short_last)
    first = items.first
    first.locator("summary").click()
    expect(first.get_by_label("Kesto (min)")).to_be_visible()
    first.get_by_label("Kesto (min)").dispatch_event("input")  # a change to send; nothing else differs
    expect(items.last).not_to_have_attribute("open", "")
    last_duration = items.last.get_by_label("Kesto (min)")
    refused_at_box(page, "services", last_duration, "Vähintään 5.")
    expect(items.last).to_have_attribute("open", "")
    expect(last_duration).to_be_focused()
    assert settings(stack) == before


def test_a_save_over_someone_elses_change_says_so_and_reloads(signed_in, stack):
    page = signed_in(PHONE)
    # Another device saves the rules meanwhile.
    rules = settings(stack)["rules"]
    status, _ = admin(stack, "PUT", "/settings/rules", {**rules, "max_horizon_days": rules["max_horizon_days"] + 1})
    assert status == 200
    page.locator("#set-messages").get_by_label("Tekstiviestin lähettäjä").fill("Aurora2")
    page.locator("#set-messages").get_by_role("button", name="Tallenna", exact=True).click()
    expect(page.locator("#set-messages-note")).to_contain_text("Joku muu tallensi")
    # The section was reloaded (her change is gone), the next save goes through.
    expect(page.locator("#set-messages").get_by_label("Tekstiviestin lähettäjä")).not_to_have_value("Aurora2")
    expect(page.locator("#set-rules").get_by_label("Varattavissa enintään (päivää eteenpäin)")).to_have_value(
        str(rules["max_horizon_days"] + 1)
    )
    page.locator("#set-messages").get_by_label("Tekstiviestin lähettäjä").fill("Aurora2")
    save(page, "messages")
    assert settings(stack)["messages"]["sms_sender"] == "Aurora2"
    check(page, "settings-conflict-phone")


# --- who counts as slipping away, and the marketing messages -----------------------------
def test_the_owner_sets_the_return_window_the_nudge_and_her_terms_and_sees_them_after_reload(signed_in, stack):
    """Asiakkaan paluu, Markkinointiviestit and Peruutusehdot at 360 px: the return window in
    weeks (a bound the API refuses said in weeks on its field, nothing saved), the "time
    for your next visit" nudge switched on with its lead time, her cancellation terms (a
    no-show fee over 100 % refused at its box; each box saying what the client reads);
    after a reload all read back as saved."""
    before = settings(stack)
    page = signed_in(PHONE)
    try:
        retention = page.locator("#set-retention")
        # Named for what it holds, the return window and the at-risk limits: "loyalty" (sv
        # "Kundlojalitet") sent a new owner there looking for the stamp card.
        expect(retention.get_by_role("heading", name="Asiakkaan paluu")).to_be_visible()
        window = retention.get_by_label("Paluuaika", exact=True)
        expect(window).to_have_value("26")  # 182 days, in weeks
        expect(retention.get_by_label("Paluuaika: yksikkö")).to_have_value("weeks")
        # What the window is, and that the limits, not the window, make a client lapsed.
        expect(retention).to_contain_text("usein paljon ennen kuin tämä aika on kulunut")
        # Three weeks is under the API's 28 days: refused on the field, in weeks.
        window.fill("3")
        refused_at_box(page, "retention", window, "Vähintään 4 viikkoa.")
        assert settings(stack)["retention"] == before["retention"]
        check(page, "settings-retention-error-phone")
        window.fill("40")
        # Limits the wrong way round: a rule across two boxes, marked at the first it names
        # (it was said only above the Save button, no box marked).
        at_risk, lapsed = (
            retention.get_by_label("Riskiasiakas, kun alle (%)"),
            retention.get_by_label("Poisjäänyt, kun alle (%)"),
        )
        at_risk.fill("60")
        lapsed.fill("70")
        refused_at_box(page, "retention", lapsed, "Poisjääneen raja voi olla enintään riskiasiakkaan raja.")
        expect(lapsed).to_be_focused()
        at_risk.fill("")
        lapsed.fill("")
        save(page, "retention")
        assert settings(stack)["retention"]["return_window_days"] == 280
        assert settings(stack)["retention"]["lapsed_below"] is None

        marketing = page.locator("#set-marketing")
        expect(marketing.get_by_role("heading", name="Markkinointiviestit")).to_be_visible()
        nudge = marketing.get_by_label("Kutsu seuraavalle käynnille")
        expect(nudge).not_to_be_checked()
        lead = marketing.get_by_label("Päivää ennen odotettua käyntiä")
        expect(lead).to_be_disabled()  # counts only with the nudge on (an owner's walk: editable, off)
        nudge.check()
        expect(lead).to_be_enabled()
        lead.fill("5")
        save(page, "marketing")
        saved = settings(stack)["marketing"]["marketing"]
        assert saved["next_visit_nudge"] is True and saved["nudge_lead_days"] == 5
        # The birthday perk in each language her clients read (one box sent the Finnish
        # perk to Swedish clients); off with the greetings, all three are.
        marketing.get_by_label("Syntymäpäiväetu (sv)").fill("-20 % med koden SYNTTARIT")
        save(page, "marketing")
        perk = settings(stack)["marketing"]["marketing"]["birthday_perk"]
        assert perk["fi"].startswith("-20 %") and perk["sv"] == "-20 % med koden SYNTTARIT", perk
        marketing.get_by_label("Syntymäpäivätervehdys").uncheck()
        for lang in ("fi", "sv", "en"):
            expect(marketing.get_by_label(f"Syntymäpäiväetu ({lang})")).to_be_disabled()
        marketing.get_by_label("Syntymäpäivätervehdys").check()
        # The spacing cap, "10 päivää": she types 3, then picks weeks: 3 weeks (it read
        # "0 viikkoa" and saved no cap at all); 10 typed in weeks, then days: 10 days (it
        # saved 70). The saved span switched untouched stays the same span.
        cap = marketing.get_by_label("Markkinointiviestien väli vähintään", exact=True)
        cap_unit = marketing.get_by_label("Markkinointiviestien väli vähintään: yksikkö")
        expect(cap).to_have_value("2")  # the demo's 14 days
        cap_unit.select_option("days")
        expect(cap).to_have_value("14")
        cap.fill("10")
        save(page, "marketing")
        expect(cap).to_have_value("10")
        expect(cap_unit).to_have_value("days")
        cap.fill("3")
        cap_unit.select_option("weeks")
        expect(cap).to_have_value("3")
        save(page, "marketing")
        assert settings(stack)["marketing"]["marketing"]["min_days_between"] == 21
        cap.fill("10")
        cap_unit.select_option("days")
        expect(cap).to_have_value("10")
        save(page, "marketing")
        assert settings(stack)["marketing"]["marketing"]["min_days_between"] == 10

        # Her cancellation terms, on their card after the services: a no-show fee of 120 %
        # refused at its box in Finnish, nothing saved; 48 hours and 80 % saved, each box
        # saying what the client reads, under a new version of the terms.
        terms = page.locator("#set-terms")
        expect(terms.get_by_role("heading", name="Peruutusehdot")).to_be_visible()
        expect(terms).to_contain_text("Ennen muutosta tehdyt varaukset pitävät ehdot")
        expect(terms).to_contain_text("Maksun voi veloittaa vain kortilta, jonka asiakas tallensi varatessaan")
        version = admin(stack, "GET", "/business")[1]["config"]["payments"]["version"]
        no_show = terms.get_by_label("Saapumatta jättämisen maksu (% hinnasta)")
        expect(no_show).to_have_value("100")
        no_show.fill("120")
        refused_at_box(page, "terms", no_show, "Enintään 100.")
        assert settings(stack)["terms"] == before["terms"]
        no_show.fill("80")
        # The two deadlines said apart: free until 12 h, before the demo's online 24 h, is
        # hinted (no late fee online); 48 h is not; each card names the other's value.
        free = terms.get_by_label("Maksuton peruutus (tuntia ennen aikaa)")
        free.fill("12")
        expect(terms.locator("#set-terms-never-late-online")).to_contain_text(
            "verkossa muutokset päättyvät jo 24 h ennen"
        )
        free.fill("48")
        expect(terms.locator("#set-terms-never-late-online")).to_be_hidden()
        expect(terms).to_contain_text(
            "Eri asia kuin verkon määräaika: asiakas voi itse perua tai siirtää verkossa 24 h"
        )
        expect(terms).to_contain_text("Maksuton peruutus 48 tuntia ennen aikaasi asti.")
        save(page, "terms")
        expect(page.locator("#set-rules")).to_contain_text("maksuton peruutus (Peruutusehdot), joka päättyy 48 h ennen")
        assert settings(stack)["terms"] == {**before["terms"], "free_until_hours": 48, "no_show_fee_percent": 80}
        assert admin(stack, "GET", "/business")[1]["config"]["payments"]["version"] == version + 1
        # The business's general payment policy, on its own card before the terms: a 120 %
        # deposit refused at its box, 20 % saved and named in the services' first choice.
        policy = page.locator("#set-policy")
        policy.get_by_label("Maksu varattaessa").select_option("deposit_percent")
        percent = policy.get_by_label("Ennakkomaksu (% hinnasta)")
        percent.fill("120")
        refused_at_box(page, "policy", percent, "Enintään 100.")
        # A decimal comma is read as one (12.5, no whole number), not dropped (125); the
        # status line says the save did not go through.
        percent.fill("12,5")
        refused_at_box(page, "policy", percent, "Kirjoita kokonaisluku.")
        expect(page.locator("#status")).to_have_text("Ei tallennettu: Yrityksen yleinen maksukäytäntö")
        # That line stays in sight at the top; a card brought into view stops below it.
        covered = policy.evaluate(
            "f => { f.closest('section').scrollIntoView();"
            " return document.getElementById('status').getBoundingClientRect().bottom"
            " - f.querySelector('h3').getBoundingClientRect().top; }"
        )
        assert covered <= 0, f"the card's heading is {covered}px under the status line"
        percent.fill("20")
        save(page, "policy")
        assert settings(stack)["policy"] == {"kind": "deposit", "deposit_cents": None, "deposit_percent": 20}
        # A service that follows the general policy says the new one when she opens it.
        first = page.locator("#set-services details.item").first
        first.locator("summary").click()
        expect(first).to_contain_text("Yrityksen yleinen käytäntö: ennakkomaksu 20\u00a0%")

        page.reload()
        page.locator("#settings .card").first.wait_for(timeout=45000)
        retention = page.locator("#set-retention")
        expect(retention.get_by_label("Paluuaika", exact=True)).to_have_value("40")
        expect(retention.get_by_label("Paluuaika: yksikkö")).to_have_value("weeks")
        marketing = page.locator("#set-marketing")
        expect(marketing.get_by_label("Kutsu seuraavalle käynnille")).to_be_checked()
        expect(marketing.get_by_label("Päivää ennen odotettua käyntiä")).to_have_value("5")
        terms = page.locator("#set-terms")
        expect(terms.get_by_label("Maksuton peruutus (tuntia ennen aikaa)")).to_have_value("48")
        expect(terms.get_by_label("Saapumatta jättämisen maksu (% hinnasta)")).to_have_value("80")
        expect(terms).to_contain_text(
            re.compile("Jos et saavu paikalle, kortiltasi veloitetaan 80.% varauksen hinnasta")
        )
        assert sticking_out(page, "#settings") == []
        assert cut_short(page, "#set-marketing, #set-feedback, #set-terms") == []
        check(page, "settings-retention-marketing-phone")
    finally:  # the rest of the module's stack keeps the demo's retention, marketing, terms and policy
        for name in ("retention", "marketing", "terms", "policy"):
            assert admin(stack, "PUT", f"/settings/{name}", before[name])[0] == 200


def test_the_owner_turns_the_stamp_card_on_with_8_stamps_and_30_percent_and_sees_it_after_reload(signed_in, stack):
    """Leimakortti ja suosittelu at 360 px (an owner's walk: the stamp card and referrals were
    only in the configuration file): the card's fields disabled until she turns it on, one
    stamp refused at its box (nothing saved), 8 stamps and -30 % saved with what the client
    reads said under the box (her old words naming -50 % pointed out), the friend's perk in
    euros typed with a decimal comma; after a reload all read back as saved."""
    before = settings(stack)["loyalty"]
    off = {**before, "loyalty": {**before["loyalty"], "enabled": False}}
    assert admin(stack, "PUT", "/settings/loyalty", off)[0] == 200
    page = signed_in(PHONE)
    try:
        card = page.locator("#set-loyalty")
        expect(card.get_by_role("heading", name="Leimakortti ja suosittelu")).to_be_visible()
        on = card.get_by_label("Leimakortti käytössä")
        stamps = card.get_by_label("Leimoja etuun")
        reward = card.get_by_label("Etu täydestä kortista", exact=True)
        expect(on).not_to_be_checked()
        expect(stamps).to_be_disabled()  # counts only with the card on, as the birthday perk
        expect(reward).to_be_disabled()
        card.scroll_into_view_if_needed()
        check(page, "settings-loyalty-off-phone")
        on.check()
        expect(stamps).to_be_enabled()
        expect(stamps).to_have_value("10")
        stamps.fill("1")
        refused_at_box(page, "loyalty", stamps, "Vähintään 2.")
        assert settings(stack)["loyalty"] == off  # nothing saved
        check(page, "settings-loyalty-error-phone")
        stamps.fill("8")
        expect(reward).to_have_value("50")
        reward.fill("30")
        # Her words for the reward still say -50 %: the client would read them.
        told = card.locator("#set-loyalty-loyalty-reward-told")
        differs = card.locator("#set-loyalty-loyalty-reward-differs")
        expect(told).to_have_text("Asiakas näkee: ”-50 % seuraavasta käynnistä”")
        expect(differs).to_contain_text("Oma teksti (fi, sv, en) kertoo eri alennuksen")
        words = card.locator(".set-perk").first.locator("details.perk-words")
        # Folded, it shows it opens (a marker: the settings' flex summaries have none).
        assert words.locator("summary").evaluate("s => getComputedStyle(s).display") == "list-item"
        words.locator("summary").click()
        words.get_by_label("Teksti (fi)").fill("-30 % seuraavasta käynnistä")
        words.get_by_label("Teksti (sv)").fill("")
        words.get_by_label("Teksti (en)").fill("")
        expect(told).to_have_text("Asiakas näkee: ”-30 % seuraavasta käynnistä”")
        expect(differs).to_be_hidden()
        # The friend's welcome perk in euros, with a decimal comma.
        card.get_by_label("Etu ystävälle: prosenttia vai euroa").select_option("amount")
        welcome = card.get_by_label("Etu ystävälle", exact=True)
        welcome.fill("12,50")
        # Her words for it ("-10 % ensimmäisestä käynnistä") no longer fit: pointed out, emptied.
        welcome_told = card.locator("#set-loyalty-referrals-welcome-perk-told")
        expect(card.locator("#set-loyalty-referrals-welcome-perk-differs")).to_contain_text("Oma teksti (fi, sv, en)")
        welcome_words = card.locator(".set-perk", has=page.locator("#set-loyalty-referrals-welcome-perk")).locator(
            "details.perk-words"
        )
        welcome_words.locator("summary").click()
        for lang in ("fi", "sv", "en"):
            welcome_words.get_by_label(f"Teksti ({lang})").fill("")
        expect(welcome_told).to_have_text("Asiakas näkee: ”-12,50\u00a0€”")
        expect(card.locator("#set-loyalty-referrals-welcome-perk-differs")).to_be_hidden()
        card.scroll_into_view_if_needed()
        card.screenshot(path=str(ARTIFACTS / "settings-loyalty-card-phone.png"))
        save(page, "loyalty")
        saved = settings(stack)["loyalty"]
        assert saved["loyalty"]["enabled"] is True and saved["loyalty"]["stamps_for_reward"] == 8, saved
        assert saved["loyalty"]["reward"] == {
            "percent_off": 30,
            "amount_off_cents": None,
            "description": {"fi": "-30 % seuraavasta käynnistä", "sv": None, "en": None},
        }, saved
        assert saved["referrals"]["welcome_perk"] == {
            "percent_off": None,
            "amount_off_cents": 1250,
            "description": None,
        }

        page.reload()
        page.locator("#settings .card").first.wait_for(timeout=45000)
        card = page.locator("#set-loyalty")
        expect(card.get_by_label("Leimakortti käytössä")).to_be_checked()
        expect(card.get_by_label("Leimoja etuun")).to_have_value("8")
        expect(card.get_by_label("Etu täydestä kortista", exact=True)).to_have_value("30")
        expect(card.get_by_label("Etu ystävälle", exact=True)).to_have_value("12,50")
        expect(card.locator("#set-loyalty-loyalty-reward-told")).to_have_text(
            "Asiakas näkee: ”-30 % seuraavasta käynnistä”"
        )
        assert sticking_out(page, "#settings") == []
        assert cut_short(page, "#set-loyalty") == []
        card.scroll_into_view_if_needed()
        check(page, "settings-loyalty-saved-phone")
    finally:  # the rest of the module's stack keeps the demo's stamp card and referrals
        assert admin(stack, "PUT", "/settings/loyalty", before)[0] == 200


# --- staff --------------------------------------------------------------------------------------
@SIZES
def test_staff_see_their_own_hours_read_only(signed_in, size):
    page = signed_in(size, role="staff", form=True)  # the staff member signing in finds them so
    box = page.locator("#settings")
    expect(box.get_by_role("heading", name="Työaikasi")).to_be_visible()
    expect(box.locator("#set-own-hours")).to_contain_text("Maanantai")
    expect(box.locator("#set-own-hours")).to_contain_text("9.00–17.00")
    expect(box.locator("input, select, textarea, button")).to_have_count(0)
    expect(page.locator("#tabs a[data-view=import]")).to_be_hidden()
    check(page, f"settings-staff-{label(size)}")


@pytest.mark.parametrize("size", [NARROW_PHONE, PHONE], ids=["320", "360"])
def test_the_hours_fit_a_narrow_phone_with_every_time_whole(signed_in, size):
    """Opening hours, a staff member's and a service at 320 and 360 px: no row wider than
    the screen, and each time whole, "06:00 PM" in a 12-hour locale (Chromium's here) too."""
    page = signed_in(size)
    staff_item(page, "Aino Virtanen").locator("summary").click()
    service_item(page, "Naisten hiustenleikkaus").locator("summary").click()
    assert sticking_out(page, "#settings") == []
    assert cut_short(page, "#set-hours, #set-staff, #set-closures") == []
    check(page, f"settings-hours-{size['width']}")


# --- the CSV import ------------------------------------------------------------------------------
def csv_bytes(n: int) -> bytes:
    """A Windows-1252 export (Excel's plain CSV in Finland): two good rows, one bad phone;
    one visit of a service the salon does not have (its name kept as the visit's note)."""
    text = (
        "Nimi;Puhelin;Sähköposti;Käyntipäivä;Palvelu;Hinta\r\n"
        f"Tuomas Tuontinen{n};040 555 0{n}01;tuomas{n}@example.com;14.10.2026 10:00;Miesten hiustenleikkaus;42,00\r\n"
        f"Hanna Hylätty{n};12;;1.10.2026;;\r\n"
        f"Åsa Östman{n};+358 40 555 0{n}02;asa{n}@example.com;3.9.2026;Permanentti;39\r\n"
    )
    return text.encode("cp1252")


@SIZES
def test_csv_import_with_a_bad_row(signed_in, stack, size):
    page = signed_in(size, view="import")
    n = 1 if size == PHONE else 2
    box = page.locator("#import")
    expect(page.get_by_role("heading", level=2, name="Asiakkaiden tuonti CSV-tiedostosta")).to_be_visible()
    check(page, f"import-start-{label(size)}")
    check_file(box, "asiakkaat.csv", csv_bytes(n))
    # The mapping step: each column a select, the server's suggestion chosen (ä read right).
    expect(box.get_by_label("Sähköposti", exact=True)).to_have_value("email")
    expect(box.get_by_label("Puhelin", exact=True)).to_have_value("phone")
    expect(box.get_by_label("Käyntipäivä")).to_have_value("visit_date")
    # The dry run: two clients, two visits, the bad row with its number and reason.
    figures = box.locator("#imp-figures")
    expect(figures).to_contain_text("Uusia asiakkaita2")
    expect(figures).to_contain_text("Aiempia käyntejä2")
    expect(figures).to_contain_text("Hylättyjä rivejä1")
    expect(box.locator("#imp-rejected li")).to_have_text(re.compile(r"Rivi 3:.*12"))
    check(page, f"import-dry-run-{label(size)}")
    # The dashboard in English (the browser in Finnish): the reason too, read again at once
    # (it stayed in the browser's language: "Row 3: Puhelinnumero ...").
    page.get_by_role("banner").get_by_label("Kieli").select_option("en")
    expect(box.locator("#imp-rejected li")).to_have_text(f"Row 3: Hanna Hylätty{n} · The phone number is not valid: 12")
    page.get_by_role("banner").get_by_label("Language").select_option("fi")
    expect(box.locator("#imp-rejected li")).to_have_text(re.compile(rf"^Rivi 3: Hanna Hylätty{n} · Puhelinnumero"))
    expect(box).not_to_have_attribute("aria-busy", "true")  # drawn again with the server's words
    # A column changed: the dry run must be checked again before the import.
    box.get_by_label("Hinta").select_option("-")
    expect(box.get_by_role("button", name="Tuo 2 riviä")).to_be_disabled()
    expect(box.locator("#imp-stale")).to_contain_text("tarkista tiedosto uudelleen")
    box.get_by_role("button", name="Tarkista näillä sarakkeilla").click()
    expect(box.get_by_label("Hinta")).to_have_value("-")
    expect(box.locator("#imp-stale")).to_have_count(0)
    # Stamps counted: a new dry run with the choice; then the import.
    box.get_by_label("Tuodut käynnit kerryttävät leimakorttia").check()
    expect(box.get_by_label("Tuodut käynnit kerryttävät leimakorttia")).to_be_checked()
    expect(box.get_by_role("button", name="Tuo 2 riviä")).to_be_enabled()
    box.get_by_role("button", name="Tuo 2 riviä").click()
    expect(box.get_by_role("heading", name="Tuonti valmis")).to_be_visible(timeout=60000)
    expect(box.locator("#imp-progress-text")).to_contain_text("3 / 3")
    expect(box.locator("#imp-figures")).to_contain_text("Uusia asiakkaita2")
    expect(box.locator("#imp-rejected li")).to_have_text(re.compile(r"Rivi 3:"))
    check(page, f"import-done-{label(size)}")
    # Clients with past visits may be slipping away already: the at-risk list and its
    # count on the nav are read again, without reloading the page.
    status, slipping = admin(stack, "GET", "/retention")
    names = [c["client"]["name"] for c in slipping["clients"]]
    assert status == 200 and f"Åsa Östman{n}" in names, names
    expect(page.locator("#count-clients")).to_have_text(str(len(names)))
    page.locator("#tabs a[data-view=clients]").click()
    expect(page.locator("#retention > li", has_text=f"Åsa Östman{n}")).to_be_visible()
    # The imported clients are found by the search, with their visits.
    page.get_by_role("searchbox", name="Hae asiakasta").fill(f"Östman{n}")
    page.locator("#search-results").get_by_role("link", name=re.compile(f"Åsa Östman{n}")).click()
    expect(page.get_by_role("heading", level=2, name=f"Åsa Östman{n}")).to_be_visible()
    card = page.locator("#client-card")
    past = card.locator("section", has_text="Aiemmat käynnit")
    expect(past).to_contain_text("Tuotu käynti: Permanentti")
    expect(past.locator(".time")).to_have_text("3.9.2026")  # the file gave its day, no time
    expect(card).not_to_contain_text("import")  # the placeholder id, as it read before
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]  # a long label wraps
    status, found = admin(stack, "GET", f"/clients?q={quote(f'Hylätty{n}')}")
    assert status == 200 and not found["clients"], found  # the bad row was not imported


def test_csv_import_names_each_row_and_lists_those_imported_without_a_detail(signed_in, stack):
    """A Swedish owner on a 360 px phone (a walk with her old system's export): the rows
    listed said no client ('Rad 12: 15.12.2026 · Herrklippning · Mikko': Mikko is the
    hairdresser), and a birthday 31.02 or an email typo refused a client who had a phone
    that works. Each listed row names her; those two go in without that detail, listed
    apart from the rejected rows, in the dry run and the result."""
    page = signed_in(PHONE, view="import")
    page.get_by_role("banner").get_by_label("Kieli").select_option("sv")
    box = page.locator("#import")
    text = (
        "Förnamn;Efternamn;Mobil;E-post;Födelsedag;Senaste besök;Tjänst;Frisör;Pris;Anteckningar\r\n"
        "Jörgen;Sjöholm;040 555 0931;;31.02.1988;20.09.2026;Herrklippning;Mikko;39,00 €;\r\n"
        "Päivi;Mäkinen;040 555 0932;paivi.makinen@gmailcom;05.05.1972;28.10.2026;Damklippning;Sanna;69,00 €;\r\n"
        "Kristina;Ström;040 12;;12.12.1995;02.10.2026;Damklippning;Sanna;69,00 €;\r\n"
        "Matti;Virtanen;040 555 0934;;08.08.1968;15.12.2099;Herrklippning;Mikko;39,00 €;Bokad\r\n"
    )
    check_file(box, "kundlista_export.csv", text.encode("utf-8-sig"), label="CSV-fil", check="Kontrollera filen")
    expect(box.locator("#imp-figures")).to_contain_text("Nya kunder3")
    expect(box.locator("#imp-figures")).to_contain_text("Nya anteckningar på kundkort1")
    expect(box.locator("#imp-rejected li")).to_have_text(["Rad 4: Kristina Ström · Telefonnumret är ogiltigt: 040 12"])
    expect(box.get_by_role("heading", name="Importeras utan en uppgift")).to_be_visible()
    expect(box.locator("#imp-left-out li")).to_have_text(
        [
            "Rad 2: Jörgen Sjöholm · Importerad utan födelsedag: 31.02.1988 är inget datum (t.ex. 14.3.1985 eller 1985-03-14).",
            "Rad 3: Päivi Mäkinen · Importerad utan e-postadress: paivi.makinen@gmailcom är ingen giltig e-postadress.",
        ]
    )
    expect(box.locator("#imp-future li")).to_have_text(["Rad 5: Matti Virtanen · 15.12.2099 · Herrklippning · Mikko"])
    box.locator("#imp-left-out").scroll_into_view_if_needed()
    check(page, "import-names-left-out-phone")
    box.get_by_role("button", name="Importera 3 rader").click()
    expect(box.get_by_role("heading", name="Importen är klar")).to_be_visible(timeout=60000)
    expect(box.locator("#imp-left-out li")).to_have_count(2)
    expect(box.locator("#imp-rejected li")).to_have_text([re.compile(r"^Rad 4: Kristina Ström · ")])
    expect(box.locator("#imp-future li")).to_have_text([re.compile(r"^Rad 5: Matti Virtanen · ")])
    box.locator("#imp-left-out").scroll_into_view_if_needed()
    check(page, "import-names-left-out-done-phone")
    status, found = admin(stack, "GET", f"/clients?q={quote('Päivi Mäkinen')}")
    assert status == 200 and [(c["name"], c["email"]) for c in found["clients"]] == [("Päivi Mäkinen", None)], found


def test_csv_import_lists_the_visits_booked_ahead_and_the_names_that_match_nothing(signed_in, stack):
    """A client whose only row is booked ahead was rejected whole; a service or staff
    name that matched nothing went in under a placeholder without a word. The dry run
    lists both in the owner's words (fi, then en), and the result the visits to book."""
    page = signed_in(PHONE, view="import")
    box = page.locator("#import")
    text = (
        "Nimi;Puhelin;Käyntipäivä;Palvelu;Tekijä\r\n"
        "Tuula Tuleva;040 555 0901;24.12.2099 10:00;Naisten hiustenleikkaus;Aino\r\n"
        "Outi Outo;040 555 0902;1.10.2026;Tuntematon palvelu;Joku\r\n"
        "Outi Outo;040 555 0902;2.10.2026 14:00;tuntematon PALVELU;Aino\r\n"
    )
    check_file(box, "tulevat.csv", text.encode("cp1252"))
    expect(box.locator("#imp-figures")).to_contain_text("Uusia asiakkaita2")
    expect(box.locator("#imp-figures")).to_contain_text("Hylättyjä rivejä0")
    expect(box.get_by_role("heading", name="Tulevat käynnit: varaa ne kalenterista")).to_be_visible()
    expect(box.locator("#imp-future li")).to_have_text(
        ["Rivi 2: Tuula Tuleva · 24.12.2099 klo 10.00 · Naisten hiustenleikkaus · Aino"]
    )
    expect(box.locator("#imp-unknown-services li")).to_have_text(["Tuntematon palvelu (2 riviä)"])
    expect(box.locator("#imp-unknown-staff li")).to_have_text(["Joku (1 rivi)"])
    expect(box).not_to_contain_text("future_visit")
    check(page, "import-ahead-unknown-phone")
    page.get_by_role("banner").get_by_label("Kieli").select_option("en")
    expect(box.locator("#imp-future li")).to_have_text(
        ["Row 2: Tuula Tuleva · 24 Dec 2099 at\u00a010:00 · Naisten hiustenleikkaus · Aino"]
    )
    expect(box.locator("#imp-unknown-staff li")).to_have_text(["Joku (1 row)"])
    # The rows' words read again in English are drawn: a click on the card drawn before them,
    # replaced under it, started nothing (a fresh clone's run).
    expect(box).not_to_have_attribute("aria-busy", "true")
    box.get_by_role("button", name="Import 3 rows").click()
    expect(box.get_by_role("heading", name="Import done")).to_be_visible(timeout=60000)
    expect(box.locator("#imp-future li")).to_have_text([re.compile(r"Row 2: Tuula Tuleva · 24 Dec 2099")])
    status, found = admin(stack, "GET", f"/clients?q={quote('Tuula Tuleva')}")
    assert status == 200 and [c["name"] for c in found["clients"]] == ["Tuula Tuleva"], found


def test_a_file_too_big_is_refused_before_it_is_sent(signed_in):
    page = signed_in(PHONE, view="import")
    box = page.locator("#import")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/imports" in r.url else None)
    check_file(box, "iso.csv", b"Nimi;Puhelin\r\n" + b"x;1\r\n" * 800_000)
    expect(box.locator("#imp-error")).to_contain_text("Tiedosto on liian suuri")
    assert sent == []
    check(page, "import-too-big-phone")


# --- API keys ----------------------------------------------------------------------------
def test_the_owner_makes_an_api_key_sees_it_once_and_revokes_it(signed_in, stack):
    """Settings → API keys: the key is shown once after it is made, works on the owner API
    with its scope, and stops working when revoked."""
    import json
    import urllib.error
    import urllib.request

    def me_with(key):
        request = urllib.request.Request(f"{stack.api}/api/v1/admin/me", headers={"Authorization": f"Bearer {key}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, None

    page = signed_in(PHONE)
    card = page.locator("#set-keys")
    card.get_by_label("Nimi").fill("Kotisivu")
    card.get_by_role("button", name="Luo avain").click()
    shown = page.locator("#set-keys-new")
    expect(shown).to_have_value(re.compile(r"^rbk_"))
    key = shown.input_value()
    expect(card.locator("li", has_text="Kotisivu")).to_contain_text("Ei käytetty")
    # Each key's facts fit a phone, inside its card (a table's four columns did not), on
    # the narrowest one too.
    page.set_viewport_size(NARROW_PHONE)
    past_card = card.evaluate(
        "(c) => [...c.querySelectorAll('*')].filter((n) => n.getBoundingClientRect().right > "
        "c.getBoundingClientRect().right - 1).map((n) => n.tagName + '.' + n.className)"
    )
    assert past_card == [] and sticking_out(page, "#set-keys") == [], past_card
    page.set_viewport_size(PHONE)
    check(page, "api-keys")
    status, me = me_with(key)
    assert status == 200 and me["user"].startswith("api_key:"), me
    page.on("dialog", lambda d: d.accept())
    card.get_by_role("button", name="Peru: Kotisivu").click()
    expect(card.locator("li", has_text="Kotisivu")).to_contain_text("Peruttu")
    assert me_with(key)[0] in (401, 403)
