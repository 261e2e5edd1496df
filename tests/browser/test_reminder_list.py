"""The desk's "who gets a reminder tomorrow?" in the owner dashboard at a phone's 360 px:
the calendar's *Muistutukset* opens tomorrow's visits, each with when its reminders go and
by which channel, or why she gets none; a day the API refuses is said at the day's field
in the page's words. On a stack of its own (the clock at Wed 25 Nov 2026 12:00), so the
visits of tomorrow are the ones booked here."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ALL_IMPACTS,
    SMALL_PHONE,
    admin,
    check_as_it_is,
    cut_short,
    dashboard_token,
    post_json,
    sticking_out,
)
from tests.browser.seed import someone

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "reminders"


@pytest.fixture(scope="module")
def stack(own_stack):
    return own_stack


def book(stack, start: str, client: dict) -> None:
    body = {"service": "mens-cut", "staff": "mikko", "start": start, "client": client}
    status, data = post_json(f"{stack.api}/api/v1/businesses/demo/bookings", body)
    assert status == 201, data


def test_tomorrows_reminders_on_a_phone(stack, dashboard):
    late, late_email, late_phone = someone("myohassa")
    mail_only, mail_email, _ = someone("sahkoposti")
    # Booked at noon for tomorrow 11:00: too late for the 24 h email; the 2 h SMS at 9.00.
    book(stack, "2026-11-26T11:00:00+02:00", {"name": late, "email": late_email, "phone": late_phone})
    # An email only: the email goes today at 14.00, no SMS without a phone.
    book(stack, "2026-11-26T14:00:00+02:00", {"name": mail_only, "email": mail_email})
    # A walk-in's name alone, at the desk: nothing to send her.
    status, data = post_json(
        f"{stack.api}/api/v1/admin/bookings",
        {"service": "mens-cut", "staff": "mikko", "start": "2026-11-26T16:00:00+02:00", "client": {"name": "Liisa"}},
        {"Authorization": f"Bearer {dashboard_token(stack)}"},
    )
    assert status == 201, data
    # A number that replied STOP (the local stack's SNS, moto's: a number ending in 99): her
    # confirmation SMS fails, and from then on her card knows it.
    stopped, stopped_email, _ = someone("stop")
    book(stack, "2026-11-26T15:00:00+02:00", {"name": stopped, "email": stopped_email, "phone": "040 798 7699"})
    status, day = admin(stack, "GET", "/calendar?date=2026-11-26")
    assert status == 200, day
    [her] = [a["client"]["id"] for m in day["staff"] for a in m["appointments"] if a["client"]["name"] == stopped]
    [mail_client] = [
        a["client"]["id"] for m in day["staff"] for a in m["appointments"] if a["client"]["name"] == mail_only
    ]
    deadline = time.monotonic() + 15
    while True:  # the outbox stream sends her confirmation right after the booking's transaction
        status, card = admin(stack, "GET", f"/clients/{her}")
        if status != 200 or card["client"]["texts_stopped"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert status == 200 and card["client"]["texts_stopped"] is True, card

    page = dashboard(SMALL_PHONE)
    page.get_by_role("button", name="Muistutukset", exact=True).click()
    sheet = page.locator("#reminders-dialog")
    expect(sheet.get_by_role("heading", name="Kuka saa muistutuksen")).to_be_visible()
    expect(sheet.get_by_label("Käyntien päivä")).to_have_value("2026-11-26")  # tomorrow

    def visit(name):
        return sheet.locator("#reminders-list > ul > li", has_text=name)

    expect(visit(late).locator(".reminder-visit")).to_have_text(re.compile(rf"^11\.00 {late}\s*Mikko Laine$"))
    expect(visit(late).locator(".reminder-lines li")).to_have_text(
        [
            re.compile(
                r"^Sähköposti: ei muistutusta – varattu liian myöhään: muistutus olisi lähtenyt ke 25\.11\. 11\.00$"
            ),
            re.compile(r"^Tekstiviesti: lähtee to 26\.11\. 9\.00$"),
        ]
    )
    expect(visit(mail_only).locator(".reminder-lines li")).to_have_text(
        ["Sähköposti: lähtee ke 25.11. 14.00", "Tekstiviesti: ei muistutusta – asiakkaalla ei ole puhelinnumeroa"]
    )
    expect(visit(stopped).locator(".reminder-lines li")).to_have_text(
        [
            "Sähköposti: lähtee ke 25.11. 15.00",
            "Tekstiviesti: ei muistutusta – numero on kieltänyt tekstiviestit (STOP)",
        ]
    )
    expect(visit("Liisa").locator(".reminder-lines li")).to_have_text(
        [
            "Sähköposti: ei muistutusta – asiakkaalla ei ole sähköpostiosoitetta",
            "Tekstiviesti: ei muistutusta – asiakkaalla ei ole puhelinnumeroa",
        ]
    )
    assert sticking_out(page, "#reminders-dialog") == []
    assert cut_short(page, "#reminders-dialog") == []
    check_as_it_is(page, ARTIFACTS, "tomorrow", ALL_IMPACTS)

    # Another day: the list follows it; a day with no visits says so.
    sheet.get_by_label("Käyntien päivä").fill("2026-11-27")
    expect(sheet.locator("#reminders-list")).to_have_text("Ei käyntejä tänä päivänä.")

    # A day the API refuses (outside the years it keeps): said at the field, in her words.
    day = sheet.get_by_label("Käyntien päivä")
    day.fill("0001-01-01")
    expect(sheet.locator("#reminders-date-error")).to_have_text("Valitse päivä vuosilta 1900–2199.")
    expect(day).to_have_attribute("aria-invalid", "true")
    check_as_it_is(page, ARTIFACTS, "bad-day", ALL_IMPACTS)

    # Her card lists the email still to go by when it goes, as the sheet does (it showed
    # when it was planned, beside "waiting": it read as stuck, an owner's walk).
    sheet.get_by_role("button", name="Sulje").click()
    page.goto(f"{stack.api}/admin#client/{mail_client}")
    reminder = page.locator("#cc-message-list li", has_text="Muistutus")
    expect(reminder).to_have_text(re.compile(r"^Muistutus\s*Sähköposti · lähtee ke 25\.11\. 14\.00$"))


def test_the_back_gesture_closes_the_sheet_then_leaves_the_view(stack, dashboard):
    """Key figures, then the calendar and its reminders sheet; the phone's back gesture
    closes the sheet (nothing typed in it: nothing asked), the calendar staying; once more,
    it goes back to the key figures."""
    page = dashboard(SMALL_PHONE)
    page.locator("#tabs a[data-view=kpis]").click()
    expect(page.locator("#view-kpis")).to_be_visible()
    page.locator("#tabs a[data-view=calendar]").click()
    page.get_by_role("button", name="Muistutukset", exact=True).click()
    sheet = page.locator("#reminders-dialog")
    expect(sheet).to_be_visible()
    asked: list[str] = []

    def answer(d) -> None:
        asked.append(d.message)
        d.dismiss()

    page.on("dialog", answer)
    page.go_back()
    expect(sheet).to_be_hidden()
    expect(page.locator("#view-calendar")).to_be_visible()
    expect(page).to_have_url(re.compile(r"#calendar$"))
    page.go_back()
    expect(page.locator("#view-kpis")).to_be_visible()
    assert asked == []


def test_the_back_gesture_on_the_first_view_asks_before_what_was_typed_in_a_sheet_is_lost(stack, dashboard):
    """The first view after signing in has nothing of the dashboard behind it: the back
    gesture leaves the page. With a name typed in the walk-in sheet, the browser asks first
    (an owner's walk: it left at once, and the name with it); staying keeps it all."""
    page = dashboard(SMALL_PHONE)
    page.get_by_role("button", name="Walk-in", exact=True).click()
    sheet = page.get_by_role("dialog", name="Walk-in-asiakas nyt")
    sheet.get_by_label("Hae asiakas nimellä").fill("Uusi Asiakas")
    with page.expect_event("dialog") as asked:
        page.evaluate("() => { history.back(); }")
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()
    expect(sheet).to_be_visible()
    expect(sheet.get_by_label("Hae asiakas nimellä")).to_have_value("Uusi Asiakas")
