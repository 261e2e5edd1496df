"""The pay page (server-rendered, Stripe.js Card Element) and its call to finish."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from chalicelib import clock
from chalicelib.domain import payments as rules
from chalicelib.domain.booking import Status
from chalicelib.domain.locales import negotiate
from chalicelib.errors import RebookError
from chalicelib.services.booking import manage
from chalicelib.services.booking.views import booking_view, named_in
from chalicelib.services.payments import holds


def finish(token: str) -> dict[str, Any]:
    """The pay page's call: the booking and its parked confirmations in one read."""
    from chalicelib import links
    from chalicelib.errors import NotFound
    from chalicelib.store import businesses

    now = clock.now()
    claims = links.claims_or_4xx(token, "manage", now)
    b = businesses.get_by_id(claims.business_id)
    appt, parked = holds.read(b, claims.subject) if b else (None, [])
    if b is None or appt is None:
        raise NotFound("This booking no longer exists.", key="booking_gone")
    return holds.finish(b, appt, now, parked)


def _open_fee(b: Any, appt: Any, kind: str | None) -> dict[str, Any] | None:
    """A fee her bank asked her to confirm (the link in the message she got)."""
    from chalicelib.services.payments.stripe_account import Account
    from chalicelib.settings import get_settings
    from chalicelib.store import payments as store

    if kind not in ("no_show", "late_cancel"):
        return None
    money = store.get_money(b.id, appt.id, kind)
    if money is None or money.state != "open" or not money.intent:
        return {"kind": kind, "open": False}
    account = Account(b.id)
    intent = account.payment_intent(money.intent)
    return {
        "kind": kind,
        "open": True,
        "amount_cents": money.amount_cents,
        "client_secret": intent.client_secret,
        "publishable_key": account.keys.publishable_key,
        "js_url": get_settings().stripe_js_url,
    }


def terms_text(
    t: dict, terms: dict[str, int], start: Any, tz: Any, locale: str, grace_minutes: int, booked_at: Any = None
) -> str:
    """The cancellation terms in her words, every page the same (the details step, the
    pay page, the page after paying): until when cancelling is free (rules.free_until) —
    for a booking not yet made inside the window, the grace after booking it — or
    plainly that it is not free, the start being too near."""
    from chalicelib.notify.localtime import format_local

    accepted = rules.CancellationTerms(**terms)
    fees = {"late": accepted.late_cancel_fee_percent, "noshow": accepted.no_show_fee_percent}
    made = booked_at or clock.now()
    deadline = rules.free_until(start, accepted, made, grace_minutes)
    if deadline <= made:
        return t["pay_terms_none"].format(hours=accepted.free_until_hours, **fees)
    if booked_at is None and deadline > rules.free_until(start, accepted):  # counted from when she books
        return t["pay_terms_grace"].format(minutes=grace_minutes, **fees)
    return t["pay_terms"].format(deadline=format_local(deadline.astimezone(tz).isoformat(), locale), **fees)


def page(token: str, params: dict, accept_language: str | None) -> tuple[int, str, str]:
    """The page, its status and its Content-Security-Policy (Stripe.js's origin allowed)."""
    from chalicelib.pages.i18n import words
    from chalicelib.pages.views import render
    from chalicelib.settings import get_settings

    js = get_settings().stripe_js_url
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(js))
    csp = (
        f"default-src 'self'; script-src 'self' 'unsafe-inline' {origin}; connect-src 'self' {origin}; "
        f"frame-src {origin} https://hooks.stripe.com; style-src 'self' 'unsafe-inline'"
    )
    try:
        b, appt = manage._from_token(token)
        view = holds.with_payment(b, appt, booking_view(b, appt))
    except RebookError as e:
        t = words(negotiate(params.get("lang"), accept_language, "fi"))
        return (
            e.status,
            render(
                "error.html",
                t=t,
                locale="fi",
                message=t.get(f"err_{e.key}") or t["err_generic"],
                biz={"name": "Rebook"},
            ),
            csp,
        )
    locale = negotiate(params.get("lang"), accept_language, appt.locale)
    t = words(locale)
    pay = view.get("payment") or {}
    fee = _open_fee(b, appt, params.get("fee"))
    grace = b.config.rules.change_grace_minutes
    return (
        200,
        render(
            "pay.html",
            t=t,
            locale=locale,
            biz={"name": b.config.name},
            booking=named_in(view, b, locale),
            pay=pay,
            token=token,
            held=appt.status == Status.PENDING_PAYMENT.value,
            fee=fee,
            terms=terms_text(
                t, pay.get("terms") or {}, appt.start, b.config.tz, locale, grace, booked_at=appt.created_at
            )
            if pay
            else "",
        ),
        csp,
    )
