"""A deposit paid on Rebook's pay page through the Card Element (localstripe's stand-in
for Stripe.js), with a card whose bank asks for 3-D Secure at setup and at the charge."""

from __future__ import annotations

from tests.browser.conftest import check_page
from tests.browser.test_client_pages import fill_details, pick_a_time, someone


def test_pay_a_deposit_with_a_3d_secure_card(page, stack):
    page.goto(f"{stack.api}/book/demo?service=highlights&staff=sanna")
    pick_a_time(page, days_ahead=3)
    page.get_by_text("Varattaessa maksetaan ennakkomaksu 47,70 €.").wait_for()
    name, email, phone = someone("deposit")
    fill_details(page, name, email, phone, marketing=False)
    page.get_by_label("Hyväksyn maksu- ja peruutusehdot").check()
    page.get_by_role("button", name="Vahvista varaus").click()
    page.get_by_role("heading", name="Maksa vahvistaaksesi varauksen").wait_for()
    assert "/pay/" in page.url and stack.emails_to(email, wait=0) == []  # not confirmed yet
    for field, value in (("number", "4000002760003184"), ("exp_month", "12"), ("exp_year", "30"), ("cvc", "123")):
        page.locator(f"#card-element input[placeholder={field}]").fill(value)
    page.get_by_role("button", name="Maksa ja vahvista").click()
    page.get_by_role("button", name="Complete authentication").click()  # the bank's 3-D Secure, at setup
    page.get_by_role("button", name="Complete authentication").click()  # ...and for the charge
    page.get_by_text("Maksettu – varauksesi on vahvistettu.").wait_for()
    assert len(stack.emails_to(email)) == 1  # the confirmation, once paid
    check_page(page, "deposit-paid")
