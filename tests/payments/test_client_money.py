"""What the client reads of her money on the pages about her booking: the deposit she
paid, what happens to it when she cancels, a declined card's way to book anew."""

from __future__ import annotations

import re

from tests.api.helpers import token_of
from tests.api.test_pages import form_post, page
from tests.payments.test_fees import paid_booking


def test_the_manage_page_shows_the_deposit_paid_and_opens_the_move_on_the_bookings_day(pay_client, stripe_env):
    held = paid_booking(pay_client, stripe_env)  # Wed 25 Nov at 12:00; today is Mon 23 Nov
    token = token_of(held["manage_url"])
    status, html = page(pay_client, f"/m/{token}?lang=fi")
    assert status == 200
    assert "<dt>Ennakkomaksu maksettu</dt><dd>47,70" in html
    assert re.search(r'aria-current="date"[^>]*>ke 25\.11\.2026<', html), "the move opens on the booking's day"
    # Another day she chose, or a page of days, is still hers to choose.
    _, html = page(pay_client, f"/m/{token}?lang=fi&date=2026-11-26")
    assert re.search(r'aria-current="date"[^>]*>to 26\.11\.2026<', html)
