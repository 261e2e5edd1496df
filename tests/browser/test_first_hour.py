"""A new owner's first hour on a 360 px phone, in English and in Swedish: the settings,
the waitlist and the key figures as she first sees them (the demo salon's configuration,
its words in three languages). Each state is checked with axe-core and photographed into
tests/browser/artifacts/first-hour/ (ignored by git)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SMALL_PHONE, check_as_it_is, open_dashboard, signed_in_context, sticking_out

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "first-hour"
LOCALES = {"en": "en-GB", "sv": "sv-FI"}


@pytest.fixture
def owner_in(browser, stack):
    """owner_in(lang, view): the owner's dashboard at 360 px in a browser whose language
    is `lang` (the dashboard follows it), on the view."""
    contexts = []

    def open_(lang: str, view: str):
        context = signed_in_context(browser, stack, viewport=SMALL_PHONE, locale=LOCALES[lang])
        contexts.append(context)
        page = open_dashboard(context, stack)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        page.locator(f"#tabs a[data-view={view}]").click()
        if view == "settings":
            page.locator("#settings .card").first.wait_for(timeout=45000)
        return page

    yield open_
    for c in contexts:
        c.close()


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        ("en", ["Women's haircut", "Men's haircut", "Hair colouring"]),
        ("sv", ["Damklippning", "Herrklippning", "Hårfärgning"]),
    ],
)
def test_the_services_are_listed_in_her_language(owner_in, lang, names):
    page = owner_in(lang, "settings")
    summaries = page.locator("#set-services summary .who")
    expect(summaries.first).to_be_visible()
    assert summaries.all_inner_texts()[:3] == names
    # ...and so is who offers what on a staff member's card.
    page.locator("#set-staff summary").first.click()
    expect(page.locator("#set-staff .choices label").first).to_have_text(names[0])
    check_as_it_is(page, ARTIFACTS, f"services-{lang}")


@pytest.mark.parametrize(("lang", "price"), [("en", r"60 min · €69\.00"), ("sv", r"60 min · 69,00\s€")])
def test_a_services_price_is_written_as_money_in_her_language(owner_in, lang, price):
    page = owner_in(lang, "settings")
    expect(page.locator("#set-services summary .muted").first).to_have_text(re.compile(price))


def too_small(page, selector: str) -> list[str]:
    """What under `selector` (shown) a finger can hit in less than 44x44 px: its text,
    width and height. A checkbox counts with the label it sits in."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter((n) => n.getClientRects().length)
            .map((n) => [n, (n.closest('label') || n).getBoundingClientRect()])
            .filter(([, r]) => r.width < 43.5 || r.height < 43.5)
            .map(([n, r]) => `${n.tagName}#${n.id} ${(n.textContent || n.type).trim().slice(0, 30)} ${Math.round(r.width)}x${Math.round(r.height)}`)""",
        selector,
    )


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_the_waitlist_button_is_a_button_a_finger_can_hit(owner_in, lang):
    page = owner_in(lang, "waitlist")
    add = page.locator("#waitlist-add")
    expect(add).to_be_visible()
    assert too_small(page, "#waitlist-add") == []
    # The dashboard's own button, not the browser's grey one.
    assert add.evaluate("(b) => getComputedStyle(b).backgroundColor") == "rgb(255, 255, 255)"
    check_as_it_is(page, ARTIFACTS, f"waitlist-{lang}")
    # Her first client on the waitlist: the times of day she can come, added and removed.
    add.click()
    page.locator("#wl-add-window").click()
    expect(page.locator("#wl-windows fieldset")).to_have_count(1)
    assert too_small(page, "#wl-add-window, #wl-windows button") == []
    check_as_it_is(page, ARTIFACTS, f"waitlist-entry-{lang}")


def test_a_webhook_address_and_an_api_keys_access_are_fields_a_finger_can_hit(owner_in):
    page = owner_in("en", "settings")
    url = page.locator("#wh-new-url")
    url.scroll_into_view_if_needed()
    assert too_small(page, "#wh-new-url, #set-keys input[type=checkbox]") == []
    # The events she can choose in her words, each with the code her receiver reads.
    no_show = page.locator("#wh-new label", has_text="Client did not come")
    expect(no_show.locator("code")).to_have_text("visit.no_show")
    expect(page.locator("#wh-new label", has_text="Booking made").locator("input")).to_be_checked()
    assert too_small(page, "#wh-new input[type=checkbox]") == []
    # Each access's box is beside its words, one row each: tapping the words ticks it.
    # Once her keys are read (the form no longer moves), both measured in one frame.
    page.locator("#set-keys-list:not([aria-busy])").wait_for()
    read, write = page.locator("#set-keys-read"), page.locator("#set-keys-write-bookings")
    box, words = write.evaluate(
        """(b) => [b, b.closest("label")].map((n) => {
             const r = n.getBoundingClientRect(); return r.top + r.height / 2; })"""
    )
    assert abs(box - words) < 4, (box, words)
    page.get_by_text("Make and change bookings", exact=True).click()
    expect(write).to_be_checked()
    expect(read).to_be_checked()
    check_as_it_is(page, ARTIFACTS, "webhooks-keys-en")


def test_the_webhook_events_fit_a_phone_in_swedish(owner_in):
    """Swedish names the events at length: each type sits under its words, inside the form."""
    page = owner_in("sv", "settings")
    refund_failed = page.locator("#wh-new label", has_text="Återbetalning misslyckades")
    refund_failed.scroll_into_view_if_needed()
    expect(refund_failed.locator("code")).to_have_text("payment.refund_failed")
    assert sticking_out(page, "#wh-new") == []
    check_as_it_is(page, ARTIFACTS, "webhook-events-sv")
    # An address added (for one rare event, and removed after: other tests' bookings send
    # it nothing): its signing secret in a field that fits the screen, copied by a button.
    page.locator("#wh-new-url").fill("https://127.0.0.1:9/rebook")
    for box in page.locator("#wh-new input[name=wh-event]").all():
        box.set_checked(False)
    page.locator("#wh-new label", has_text="Kunduppgifter raderade").locator("input").check()
    page.locator("#wh-add").click()
    secret = page.locator("#set-webhooks input[id$=-secret]")
    expect(secret).to_have_value(re.compile(r"^whsec_"))
    assert sticking_out(page, "#set-webhooks") == []
    page.get_by_role("button", name="Kopiera nyckeln").click()
    expect(page.locator("#set-webhooks").get_by_role("status")).to_have_text("Nyckeln kopierad.")
    page.on("dialog", lambda d: d.accept())
    page.locator("#set-webhooks .webhook button", has_text="Ta bort").click()
    expect(page.locator("#set-webhooks .webhook")).to_have_count(0)


def test_who_does_a_service_is_ticked_by_a_fingers_tap_beside_the_box(owner_in):
    """The boxes of who does a service: the row beside each box, a finger's height, ticks it
    (only the 19 px box and its line of text did)."""
    page = owner_in("en", "settings")
    item = page.locator("#set-services details.item").first
    item.locator("summary").click()
    labels = item.locator(".choice:has(input[type=checkbox]) label")
    expect(labels.first).to_be_visible()
    short = labels.evaluate_all(
        "(ls) => ls.map((l) => l.getBoundingClientRect()).filter((r) => r.height < 43.5 || r.width < 43.5).length"
    )
    assert short == 0
    box = item.locator(".choice input[type=checkbox]").first
    was = box.is_checked()
    labels.first.scroll_into_view_if_needed()
    row = labels.first.bounding_box()
    page.mouse.click(row["x"] + row["width"] - 10, row["y"] + row["height"] - 4)  # the row's far corner
    expect(box).to_be_checked(checked=not was)


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_the_steppers_and_the_figures_explanations_are_a_fingers_size(owner_in, lang):
    page = owner_in(lang, "kpis")
    page.locator("#kpis .tile details summary").first.wait_for()
    assert too_small(page, "#period-prev, #period-next, #kpis .tile summary") == []
    page.locator("#tabs a[data-view=calendar]").click()
    assert too_small(page, "#cal-prev, #cal-next") == []
    check_as_it_is(page, ARTIFACTS, f"kpis-{lang}")


@pytest.mark.parametrize(
    ("lang", "copy", "copied"),
    [("en", "Copy link", "Link copied."), ("sv", "Kopiera länken", "Länken kopierad.")],
)
def test_her_booking_link_and_website_button_are_there_to_copy(owner_in, stack, lang, copy, copied):
    page = owner_in(lang, "settings")
    card = page.locator("#set-link")
    expect(card).to_be_visible()
    link = page.locator("#set-link-url")
    expect(link).to_have_value(f"{stack.api.rstrip('/')}/book/demo")
    code = page.locator("#set-link-widget")
    expect(code).to_have_value(f'<script src="{stack.api.rstrip("/")}/widget.js" data-business="demo" async></script>')
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.api.rstrip("/"))
    card.get_by_role("button", name=copy).click()
    expect(page.locator("#set-link-note")).to_have_text(copied)
    assert page.evaluate("navigator.clipboard.readText()") == link.input_value()
    assert too_small(page, "#set-link button, #set-link a, #set-link-url") == []
    check_as_it_is(page, ARTIFACTS, f"booking-link-{lang}")


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_an_empty_week_scrolls_sideways_by_keyboard_too(owner_in, lang):
    """Her first weeks have nothing booked: the week, wider than the phone, has nothing in
    it to focus, so the week itself is a labelled region the keyboard reaches and scrolls
    (in every browser, not only those that focus scrollers of their own accord)."""
    page = owner_in(lang, "calendar")
    page.locator("#cal-week").click()
    expect(page.locator("#cal-week")).to_have_attribute("aria-pressed", "true")
    for _ in range(3):  # weeks back, all past (no free time to tap) and nothing booked by any test
        before = page.locator("#cal-range").inner_text()
        page.locator("#cal-prev").click()
        expect(page.locator("#cal-range")).not_to_have_text(before)
    scroller = page.locator("#calendar .cal-scroll")
    expect(scroller.locator(".appt")).to_have_count(0)
    assert scroller.evaluate("(s) => s.scrollWidth > s.clientWidth")
    scroller.evaluate("(s) => { s.scrollLeft = 0; }")
    scroller.focus()
    expect(scroller).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#calendar .cal-scroll').scrollLeft > 0")
    # Wherever it comes to rest, a day's header is in sight whole or not at all: never half
    # under the sticky hours beside it (a step of the arrow, and the week's far end).
    page.wait_for_function(WHOLE_HEADERS, timeout=3000)
    scroller.evaluate("(s) => { s.scrollLeft = s.scrollWidth; }")  # swiped to Sunday
    page.wait_for_function(
        f"() => {{ const s = document.querySelector('#calendar .cal-scroll'); return s.scrollLeft >= s.scrollWidth - s.clientWidth - 1 && ({WHOLE_HEADERS})(); }}",
        timeout=3000,
    )
    check_as_it_is(page, ARTIFACTS, f"empty-week-{lang}")


# No day's header in the week partly under the sticky column of hours.
WHOLE_HEADERS = """() => {
  const edge = document.querySelector('#calendar .cal.week .gutter-head').getBoundingClientRect().right;
  return [...document.querySelectorAll('#calendar .cal.week .col-head')].map((h) => h.getBoundingClientRect())
    .every((r) => r.right <= edge + 0.5 || r.left >= edge - 0.5);
}"""


@pytest.fixture
def new_salon(stack):
    """A salon of its own on the running stack, set up a moment ago (the demo salon's
    configuration under a new slug, nothing booked, no visit ever) with an owner account:
    a Stack whose dashboard tokens are its owner's."""
    import json
    import secrets

    from chalicelib.store.businesses import save_config
    from tests.browser.conftest import Stack
    from tests.browser.seed import stack_env
    from tests.conftest import demo_config

    slug = f"uusi-{secrets.token_hex(3)}"
    with stack_env(stack):
        _, created = save_config(demo_config().model_copy(update={"slug": slug}))
        assert created
    path = stack.local.local_dir / "owners.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["accounts"].append(
        {"email": f"omistaja@{slug}.example", "password": secrets.token_urlsafe(12), "business": slug, "role": "owner"}
    )
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return Stack(stack.local, business=slug)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            "No visits in this period or the one before. A longer period shows earlier ones; a new salon's figures fill in from its first visits.",
        ),
        (
            "sv",
            "Inga besök under perioden eller den före. En längre period visar tidigare besök; en ny salongs siffror fylls i från de första besöken.",
        ),
    ],
)
def test_a_new_salons_key_figures_say_there_is_nothing_to_count_yet(browser, new_salon, lang, words):
    context = signed_in_context(browser, new_salon, viewport=SMALL_PHONE, locale=LOCALES[lang])
    try:
        page = open_dashboard(context, new_salon)
        page.locator("#tabs a[data-view=kpis]").click()
        expect(page.locator("#kpi-nothing-yet")).to_have_text(words)
        for period in ("last7", "month", "year"):
            page.locator("#period-kind").select_option(period)
            expect(page.locator("#kpi-nothing-yet")).to_have_text(words)
        check_as_it_is(page, ARTIFACTS, f"kpis-new-salon-{lang}")
    finally:
        context.close()


@pytest.mark.parametrize(
    ("lang", "facts", "payment", "percent"),
    [
        ("en", ["Price up to €199.00"], "Payment when booking", "Deposit (% of the price)"),
        ("sv", ["Pris högst 199,00\u00a0€"], "Betalning vid bokningen", "Handpenning (% av priset)"),
    ],
)
def test_a_services_price_range_and_deposit_are_shown_where_she_edits_it(owner_in, lang, facts, payment, percent):
    """The foil highlights' range is set in the business file: the service's card says it
    (a save keeps it), rather than only a price of 159. Its 30 % deposit is on the card's
    own payment choice, hers to change."""
    page = owner_in(lang, "settings")
    page.locator("#set-services summary").nth(3).click()
    expect(page.locator("#set-services-3-kept li")).to_have_text(facts)
    highlights = page.locator("#set-services details.item").nth(3)
    expect(highlights.get_by_label(payment)).to_have_value("deposit_percent")
    expect(highlights.get_by_label(percent)).to_have_value("30")
    expect(page.locator("#set-services-0-kept")).to_have_count(0)
    check_as_it_is(page, ARTIFACTS, f"service-kept-{lang}")


def test_a_key_without_a_name_is_refused_in_the_dashboards_language_not_the_phones(browser, stack):
    """Her phone speaks Finnish, she reads the dashboard in English: the API key's missing
    name is said in English beside the field, not in the browser's own Finnish bubble."""
    context = signed_in_context(browser, stack, viewport=SMALL_PHONE, locale="fi-FI")
    try:
        page = open_dashboard(context, stack)
        page.locator("#lang").select_option("en")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.locator("#tabs a[data-view=settings]").click()
        card = page.locator("#set-keys")
        card.get_by_role("button", name="Create key").click()
        expect(page.locator("#set-keys-name")).to_have_attribute("aria-invalid", "true")
        expect(card.locator(".field-error")).to_have_text("A name is needed.")
        check_as_it_is(page, ARTIFACTS, "key-without-name-en")
    finally:
        context.close()
