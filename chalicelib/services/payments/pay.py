"""The pay page (server-rendered, Stripe.js Card Element) and its call to finish."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from chalicelib import clock
from chalicelib.domain import payments as rules
from chalicelib.domain.booking import Status
from chalicelib.domain.locales import negotiate
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

    if kind is None or rules.parse_fee_key(kind) is None:  # no such fee: the page without one
        return None
    money = store.get_money(b.id, appt.id, kind)  # the fee's round (fee_key) named by her link
    if money is None or money.state != "open":
        return {"kind": kind, "open": False}
    account = Account(b.id)
    if money.intent:
        intent = account.payment_intent(money.intent)
    else:  # her saved card declined it (or is gone): a payment of its own, once
        intent = account.fee_link_intent(appt, kind, money.amount_cents, b.config.currency)
        if not store.give_fee_intent(money, intent.id, clock.now()):
            return _open_fee(b, appt, kind)  # paid, let go or given one meanwhile: as it is now
    return {
        "kind": kind,
        "open": True,
        "amount_cents": money.amount_cents,
        "client_secret": intent.client_secret,
        # No card on it yet (her saved one declined it, or is gone): she gives one here.
        "needs_card": intent.status == "requires_payment_method",
        "publishable_key": account.keys.publishable_key,
        "js_url": get_settings().stripe_js_url,
    }


def terms_text(
    t: dict,
    terms: dict[str, int],
    start: Any,
    tz: Any,
    locale: str,
    grace_minutes: int,
    booked_at: Any = None,
    *,
    kind: str,
    price_cents: int,
    paid_cents: int,
) -> str:
    """The cancellation terms in her words, every page and message the same (the details
    step, the pay page, the page after paying, the confirmation): until when cancelling
    is free (rules.free_until) — for a booking not yet made inside the window, the grace
    after booking it — or plainly that it is not free, the start being too near; then one
    sentence for a later cancellation and one for a no-show, saying what the code does
    (fee_words). `kind` is the booking's PaymentKind, `price_cents` its price (after any
    discount; a price range's lowest), `paid_cents` what it pays when booking."""
    from chalicelib.notify.localtime import format_local, with_counts

    accepted = rules.CancellationTerms(**terms)
    made = booked_at or clock.now()
    deadline = rules.free_until(start, accepted, made, grace_minutes)
    cancel = t["terms_if_later"]
    if deadline <= made:
        first, cancel = with_counts(t["pay_terms_none"], hours=accepted.free_until_hours), t["terms_if_cancel"]
    elif booked_at is None and deadline > rules.free_until(start, accepted):  # counted from when she books
        first = with_counts(t["pay_terms_grace"], minutes=grace_minutes)
    else:
        first = t["pay_terms"].format(deadline=format_local(deadline.astimezone(tz).isoformat(), locale))
    late, no_show = (
        fee_words(t, accepted, fee, kind, price_cents, paid_cents, locale, cancel)
        for fee in (rules.FeeKind.LATE_CANCEL, rules.FeeKind.NO_SHOW)
    )
    return f"{first} {late} {no_show}"


def fee_words(
    t: dict,
    terms: rules.CancellationTerms,
    fee: rules.FeeKind,
    kind: str,
    price_cents: int,
    paid_cents: int,
    locale: str,
    cancel: str = "",
) -> str:
    """What a late cancellation or a no-show costs her, as the code does it: what she paid
    when booking is kept — of a prepayment a late cancellation gives back what is above
    its fee (fees.owed_on_cancel) — and the fee of the terms less that (rules.fee_cents) is
    charged to her card — a no-show's when the salon marks it (admin/calendar.py), a late
    cancellation's if the salon charges it (admin/money.py). `cancel` opens a late
    cancellation's sentence: "If you cancel later", or "If you cancel" where no cancelling
    is free."""
    from chalicelib.notify.localtime import format_price

    case = "late" if fee == rules.FeeKind.LATE_CANCEL else "noshow"
    percent = terms.late_cancel_fee_percent if fee == rules.FeeKind.LATE_CANCEL else terms.no_show_fee_percent
    kept = paid_cents if kind in (rules.PaymentKind.DEPOSIT.value, rules.PaymentKind.PREPAY.value) else 0
    more = rules.fee_cents(terms, price_cents, fee, kept)
    back = rules.late_cancel_refund_cents(terms, kept, price_cents, kind) if case == "late" else 0
    if back:  # she paid more than the fee: the rest comes back
        key = "terms_late_part_back" if back < kept else "terms_late_all_back"
        kept -= back
    elif kind == rules.PaymentKind.PREPAY.value:  # the whole price kept: no fee is ever more
        key = f"terms_{case}_prepay"
    elif kind == rules.PaymentKind.DEPOSIT.value:
        key = f"terms_{case}_deposit_more" if more else f"terms_{case}_deposit"
    else:
        key = f"terms_{case}_card" if more else f"terms_{case}_free"
    money = {
        "paid": format_price(kept, locale),
        "more": format_price(more, locale),
        "fee": format_price(more, locale),
        "percent": percent,
        "price": format_price(price_cents, locale),
        "back": format_price(back, locale),
        "total": format_price(kept + back, locale),
    }
    return t[key].format(cancel=cancel, **money)


def page_state(appt: Any, now: Any = None) -> str:
    """What the pay page says of a booking (her link to pay outlives the hold): `held`
    (she pays), `booked`, `visited` (arrived, completed, no-show; or still booked but
    checked out at the desk — a no-show mark undone — or its start passed: no cancellation
    terms for a visit that already happened), `cancelled` (booked —
    paid or on a card — and cancelled later), and, the time released unpaid, `declined`
    (the card was declined), `refunded` (paid after the hold ran out: all of it went
    back) or `expired` (the hold ran out unpaid)."""
    pay = appt.payment
    if appt.status == Status.PENDING_PAYMENT.value:
        return "held"
    if appt.status == Status.BOOKED.value:
        over = appt.checkout is not None or appt.start <= (now or clock.now())
        return "visited" if over else "booked"
    if appt.status != Status.CANCELLED.value:
        return "visited"
    unpaid = pay is None or pay.state in (
        rules.PayState.HELD.value,
        rules.PayState.EXPIRED.value,
        rules.PayState.DECLINED.value,
    )
    if not unpaid:
        return "cancelled"
    if pay is not None and pay.state == rules.PayState.DECLINED.value:
        return "declined"
    if pay is not None and pay.refunded_cents:
        return "refunded"
    return "expired"


def page(token: str, params: dict, accept_language: str | None) -> tuple[int, str, str]:
    """The page, its status and its Content-Security-Policy (Stripe.js's origin allowed)."""
    from chalicelib import links
    from chalicelib.pages.i18n import words
    from chalicelib.pages.views import money_lines, render
    from chalicelib.settings import get_settings

    js = get_settings().stripe_js_url
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(js))
    csp = (
        f"default-src 'self'; script-src 'self' 'unsafe-inline' {origin}; connect-src 'self' {origin}; "
        f"frame-src {origin} https://hooks.stripe.com; style-src 'self' 'unsafe-inline'"
    )
    # A bad, expired or gone link raises its RebookError: the route's error page says it as
    # every link page does (api/pages.py html_view), in the language asked for.
    b, appt = manage._from_token(token)
    view = holds.with_payment(b, appt, booking_view(b, appt))
    locale = negotiate(params.get("lang"), accept_language, appt.locale)
    t = words(locale)
    embed = params.get("embed") == "1"
    pay = view.get("payment") or {}
    fee = _open_fee(b, appt, params.get("fee"))
    state = page_state(appt, clock.now())
    money = None
    if state == "cancelled":  # paid and cancelled later: what was refunded, as her manage page says it
        from chalicelib.pages.views import money_words
        from chalicelib.services.booking.changes import money_of_cancelled

        money = money_words(money_of_cancelled(b, appt), t, locale, True, appt.cancelled_by_salon)
    grace = b.config.rules.change_grace_minutes
    from chalicelib.pages.views import city_of

    return (
        200,
        render(
            "pay.html",
            t=t,
            locale=locale,
            biz={"name": b.config.name, "slug": b.config.slug, "city": city_of(b.config.timezone)},
            booking=named_in(view, b, locale),
            pay=pay,
            token=token,
            # The language switch: this address in another language, a fee's link still the fee's.
            link=lambda **kw: (
                f"{links.root()}/pay/{token}?"
                + urlencode({k: v for k, v in {**params, **kw}.items() if k in ("fee", "lang", "embed") and v})
            ),
            held=appt.status == Status.PENDING_PAYMENT.value,
            # Cards declined on this hold so far: the page asks for another (holds.CARD_TRIES).
            declines=appt.payment.declines if appt.payment and state == "held" else 0,
            card_tries=holds.CARD_TRIES,
            state=state,
            # Checked out at the desk: the visit took place and is paid (her manage page says so too).
            checked_out=appt.checkout is not None,
            money=money,
            # Her money's lines, the same as her manage page's: what the deposit took and got
            # back, each fee charged and its state, what she paid in all and got back.
            money_lines=money_lines(manage.money_facts(b, appt), t, locale),
            # Freed (declined, or the hold ran out): the same visit anew, her details filled in.
            again=manage.book_again_url(token, same_day=True, lang=locale, embed=embed),
            # Opened in the widget's frame (after_booking): her booking's page opens in a tab
            # of its own (its cookie is a third party's in the frame).
            embed=embed,
            fee=fee,
            terms=terms_text(
                t,
                pay.get("terms") or {},
                appt.start,
                b.config.tz,
                locale,
                grace,
                booked_at=appt.created_at,
                kind=pay["kind"],
                price_cents=appt.price_cents,
                paid_cents=pay["amount_cents"],
            )
            if pay
            else "",
        ),
        csp,
    )
