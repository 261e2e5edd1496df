"""Checkout at the desk (issue 20, 5): after a visit the desk records how the rest was
paid — through Stripe to the card saved at booking, the salon's own card terminal, cash,
a gift card or otherwise — with the deposit she paid already deducted; once per visit (a
conditional put), and the appointment says so from the same transaction on (how, what was
paid, when: the dashboard's card and calendar read it there). She may get an email receipt
with the business's details and the VAT in the price (the service's rate, else the
business's)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from chalicelib.domain import payments as rules
from chalicelib.domain.booking import Appointment, Status, one_line
from chalicelib.domain.config import Business
from chalicelib.domain.messages import PlannedMessage
from chalicelib.domain.payments import CheckoutMethod, MoneyRecord
from chalicelib.domain.timeutil import iso_local
from chalicelib.errors import Conflict, Forbidden, ValidationFailed
from chalicelib.notify.outbox import IMMEDIATE_LEASE, deliver
from chalicelib.observability import logger
from chalicelib.services import message_plans
from chalicelib.services.payments import fees
from chalicelib.services.payments.stripe_account import Account, PaymentDeclined
from chalicelib.store import bookings, clients
from chalicelib.store import payments as store

KIND = "checkout"
CHECKABLE = (Status.BOOKED.value, Status.ARRIVED.value, Status.COMPLETED.value)
CHECKOUT_MAX_CENTS = 10_000_00  # the visit's price and its products together, as a price alone


class LineIn(BaseModel):
    """A product sold with the visit: its name as the receipt shows it, its unit price."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=60)
    amount_cents: StrictInt = Field(ge=0, le=10_000_00)
    quantity: StrictInt = Field(default=1, ge=1, le=99)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return one_line(v)  # one line of her receipt, as a client's name is


class DiscountIn(BaseModel):
    """Off the whole checkout (the visit and its products): a percentage or an amount."""

    model_config = ConfigDict(extra="forbid")
    percent: StrictInt | None = Field(default=None, ge=1, le=100)
    amount_cents: StrictInt | None = Field(default=None, ge=1, le=10_000_00)

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.percent is None) == (self.amount_cents is None):
            raise ValueError("give exactly one of percent or amount_cents")
        return self


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: CheckoutMethod
    # The visit's final price when the desk set it (a price by hair length): the booked
    # price otherwise. The deposit is deducted from it, never from what she is told here.
    price_cents: StrictInt | None = Field(default=None, ge=0, le=10_000_00)
    # Products sold with the visit, and a discount off the visit and the products together.
    lines: list[LineIn] = Field(default_factory=list, max_length=20)
    discount: DiscountIn | None = None
    receipt: bool = False  # email her a receipt


def vat_percent(b: Business, appt: Appointment) -> Decimal | None:
    """The visit's VAT rate: its service's, else the business's (BusinessConfig.vat_percent:
    None for a business outside Finland that set none, whose receipts state no VAT)."""
    service = b.config.service(appt.service_id)
    return service.vat_percent if service and service.vat_percent is not None else b.config.vat_percent


def deposit_kept(appt: Appointment) -> int:
    """What she paid before the visit and was not given back."""
    pay = appt.payment
    return max(0, pay.deposit_cents - pay.deposit_refunded_cents) if pay else 0


def sale(b: Business, appt: Appointment, req: CheckoutIn, kept: int) -> rules.Checkout:
    """What the checkout comes to: the visit's price (the booked one unless the desk set
    it), its product lines (at the business's VAT rate, if it has one), the discount off the two. The two
    above 10 000,00 € together are refused (422 on `lines`), and so is an amount off above
    what they come to (422 on `discount.amount_cents`)."""
    price = appt.price_cents if req.price_cents is None else req.price_cents
    lines = tuple(rules.ProductLine(line.name, line.amount_cents, line.quantity) for line in req.lines)
    subtotal = price + sum(line.total_cents for line in lines)
    if subtotal > CHECKOUT_MAX_CENTS:
        raise ValidationFailed(
            f"The visit and its products come to at most {CHECKOUT_MAX_CENTS} cents in all.",
            fields={"lines": f"less than or equal to {CHECKOUT_MAX_CENTS} in all (the visit's price and its products)"},
        )
    off = req.discount
    if off is not None and off.amount_cents is not None and off.amount_cents > subtotal:
        raise ValidationFailed(
            f"The discount is at most what the checkout comes to, {subtotal} cents.",
            fields={"discount.amount_cents": f"less than or equal to {subtotal} (the visit and its products)"},
        )
    discount = rules.Discount(off.percent, off.amount_cents) if off is not None else None
    return rules.checkout(price, kept, vat_percent(b, appt), lines, discount, b.config.vat_percent)


def vat_lines(co: rules.Checkout) -> list[dict[str, Any]]:
    """The VAT in the price, per rate: as the desk's answer and her receipt both show it
    (none for a part of the sale without a rate: BusinessConfig.vat_percent)."""
    return [
        {"percent": str(v.percent), "net_cents": v.net_cents, "vat_cents": v.vat_cents, "gross_cents": v.gross_cents}
        for v in co.vat
    ]


def sold(co: rules.Checkout) -> dict[str, Any]:
    """The visit's price, its product lines and the discount: as the desk's answer and her
    receipt both show them."""
    return {
        "price_cents": co.price_cents,
        "lines": [line.view() for line in co.lines],
        "discount_cents": co.discount_cents,
        "discount_percent": co.discount_percent,
    }


def view(b: Business, m: MoneyRecord, co: rules.Checkout) -> dict[str, Any]:
    return {
        "appointment_id": m.appointment_id,
        "method": m.method,
        **sold(co),
        "total_cents": co.total_cents,
        "deposit_cents": co.deposit_cents,
        "paid_cents": m.amount_cents,
        "vat": vat_lines(co),
        "at": iso_local(m.created_at, b.config.tz),
    }


def staff_card_limit(b: Business, appt: Appointment) -> int:
    """The most a card-on-file checkout by staff may come to: the visit's price as booked,
    or for a price by hair length the top of the service's range (`price_max_cents`, less
    the reward's discount taken off the booked price) — what the checkout form offers and
    the desk may set. Products sold with the visit are not on it either: staff take them
    by terminal or cash; charging her saved card more, or for products, is the owner's
    (`money`), as charging a fee by hand is."""
    service = b.config.service(appt.service_id)
    top = service.price_max_cents if service is not None and service.price_max_cents is not None else 0
    return max(appt.price_cents, top - appt.discount_cents)


def settle(
    b: Business, appt: Appointment, req: CheckoutIn, now: datetime, card_limit: int | None = None
) -> tuple[MoneyRecord, rules.Checkout, bool]:
    """Record the rest of the visit as paid (charging the card on file first when that is
    how she pays). The record, what it came to, and whether a receipt was sent. A price
    below the deposit kept is refused (422 on `price_cents`): what she paid above it is
    refunded first (POST /appointments/{id}/refund), and then the checkout deducts the
    deposit kept. `card_limit` (staff: staff_card_limit): a card-on-file checkout coming
    to more than it, or with product lines, is refused, 403 owner_only, nothing charged."""
    if appt.status not in CHECKABLE:
        raise Conflict(f"This booking is {appt.status.replace('_', ' ')}.", code="not_checkable")
    # She arrived early (the desk marks her from a while before her time): hers to pay.
    if appt.start > now and appt.status != Status.ARRIVED.value:
        raise Conflict("The visit has not begun yet.", code="visit_not_started")
    if appt.checkout is not None:
        raise _checked_out()
    done = store.get_money(b.id, appt.id, KIND)
    if done is not None:  # checked out before appointments said so: from now on it does
        store.remember_checkout(appt, done, now, appt.days(b.config.tz))
        raise _checked_out()
    kept = deposit_kept(appt)
    co = sale(b, appt, req, kept)
    if req.method == CheckoutMethod.CARD_ON_FILE and card_limit is not None:
        # Products first: with them above the visit's price, it is them she cannot charge
        # (the visit alone may be within her limit).
        if co.lines:
            raise Forbidden(
                "Only the business owner can charge products to the card on file; take them by card terminal "
                "or cash, or ask the owner.",
                code="owner_only",
                details={"reason": "card_products"},
            )
        if co.total_cents > card_limit:
            raise Forbidden(
                "Only the business owner can charge the card on file more than the visit's price "
                f"({card_limit} cents); take the rest by card terminal or cash, or ask the owner.",
                code="owner_only",
                details={"reason": "card_above_price", "limit_cents": card_limit},
            )
    if co.total_cents < kept:
        # What she overpaid would vanish: the owner refunds it first, then checks out.
        field = "discount" if req.discount is not None else "price_cents"
        raise ValidationFailed(
            f"The checkout comes to at least the deposit kept, {kept} cents: refund the difference first "
            "(POST /appointments/{id}/refund), then check out.",
            fields={field: f"greater than or equal to {kept} (the deposit kept; refund the difference first)"},
        )
    if req.method != CheckoutMethod.CARD_ON_FILE:
        not_while_charging(appt)  # her card may have paid it already: another way could take it twice
    intent, key = (
        _charge_card_on_file(b, appt, co.due_cents) if req.method == CheckoutMethod.CARD_ON_FILE else (None, None)
    )
    money = MoneyRecord(
        business_id=b.id,
        appointment_id=appt.id,
        client_id=appt.client_id,
        kind=KIND,
        amount_cents=co.due_cents,
        state="succeeded",
        created_at=now,
        intent=intent,
        method=req.method.value,
        total_cents=co.total_cents,
        lines=co.lines,
        discount_cents=co.discount_cents,
        discount_percent=co.discount_percent,
    )
    told = receipt(b, appt, money, co, now) if req.receipt else []
    try:
        sent = store.record_checkout(
            money, appt, now, appt.days(b.config.tz), messages=told, lease=IMMEDIATE_LEASE, charging=key
        )
    except store.MoneyExists:
        found = store.get_money(b.id, appt.id, KIND)
        if intent is not None and (found is None or found.intent != intent):
            _give_back(b, appt, intent, key, co.due_cents, now)  # another checkout's is the one kept
        raise _checked_out() from None
    except bookings.StaleAppointment:
        # Another device marked it a no-show (its fee charged), cancelled it, refunded its
        # deposit (no longer all kept) or is charging her card for it meanwhile: this
        # checkout is not recorded, and what it charged goes back to her card at once.
        if intent is not None:
            _give_back(b, appt, intent, key, co.due_cents, now)
        raise Conflict(
            "The visit was changed meanwhile (marked, cancelled, refunded or charged on another device), "
            "so it was not checked out"
            + ("; the card charge is being refunded" if intent else "")
            + ". Reload and look again.",
            code="appointment_changed",
            details={"reason": "checkout_refunded"} if intent else {},
        ) from None
    deliver(sent, now)
    logger().info("checked out", extra={"appointment_id": appt.id, "method": money.method})
    return money, co, bool(told)


def _checked_out() -> Conflict:
    return Conflict("This visit was checked out already.", code="checked_out")


def not_while_charging(appt: Appointment) -> None:
    """Refused (409 `checkout_charge_unknown`) while a card-on-file checkout charge of the
    visit has an unknown outcome (Stripe did not answer): another way to pay could take it
    twice, a no-show mark would charge its fee on top, a cancellation give her deposit
    back on top — and the charge would stay at Stripe, never recorded nor given back. A
    checkout at that price settles it (_charge_card_on_file)."""
    if appt.checkout_charging is not None:
        raise _charge_unknown(store.charging_cents(appt.checkout_charging))


def _charge_unknown(amount: int) -> Conflict:
    return Conflict(
        f"An earlier card charge of {amount} cents for this visit may have gone through (Stripe did not answer "
        "it): check out again with the card on file at that earlier price to settle it, then refund any difference.",
        code="checkout_charge_unknown",
        details={"charge_cents": amount},
    )


def _give_back(b: Business, appt: Appointment, intent: str, key: str | None, amount: int, now: datetime) -> None:
    """The card-on-file charge `intent` not recorded: owed back to her at once, and its
    outcome known (a new attempt may be at another amount)."""
    fees.give_back_checkout(b, appt, intent, amount, now)
    if key is not None:
        store.card_checkout_settled(appt, key)


def _charge_card_on_file(b: Business, appt: Appointment, amount: int) -> tuple[str | None, str | None]:
    """Charge her saved card `amount` off-session: Stripe's PaymentIntent id and the charge's
    key (`s<seq>p<payment_rev>:<amount>`), or (None, None) with nothing to charge. Asked again at the
    same amount, the visit unchanged, it is the same charge (Stripe answers with it); at
    another amount a new one — unless an earlier attempt's outcome is unknown (Stripe did
    not answer it): then 409 `checkout_charge_unknown`, nothing asked, so she is never
    charged twice; the earlier price asked again settles it (store.start_card_checkout)."""
    pay = appt.payment
    if amount <= 0:
        return None, None
    if pay is None or not pay.card_saved:
        raise Conflict("There is no card on file for this booking.", code="no_card_on_file")
    assert pay.customer and pay.payment_method  # card_saved
    # Keyed by the visit's `seq` and payment's revision as read, and the amount: after a
    # change that sent a charge back (give_back_checkout: record_checkout is conditioned on
    # both) a new charge, never the one given back.
    try:
        key = store.start_card_checkout(appt, f"s{appt.seq}p{appt.payment_rev}:{amount}")
    except store.ChargeUnsettled as e:
        raise _charge_unknown(e.amount_cents) from None
    try:
        intent = Account(b.id).charge_card_on_file(appt, pay, KIND, amount, b.config.currency, key=key)
    except PaymentDeclined:  # 402, nothing charged nor recorded
        store.card_checkout_settled(appt, key)
        raise
    if intent.status != "succeeded":  # nothing charged: her bank wants her
        store.card_checkout_settled(appt, key)
        raise Conflict(
            "Her bank wants her to confirm this payment: take it another way.", code="card_needs_authentication"
        )
    return str(intent.id), key


def receipt(b: Business, appt: Appointment, m: MoneyRecord, co: rules.Checkout, now: datetime) -> list[PlannedMessage]:
    """Her receipt by email (once per visit), or nothing without an email address."""
    client = clients.get_client(b.id, appt.client_id)
    if client is None or client.is_erased or not client.email:
        return []
    context = message_plans.booking_context(b, appt, client.name)
    context["business"]["code"] = b.config.payments.business_code
    context["receipt"] = {
        "number": f"{appt.id}-1",
        "at": iso_local(now, b.config.tz),
        "method": m.method,
        **sold(co),
        "total_cents": co.total_cents,
        "deposit_cents": co.deposit_cents,
        "paid_cents": co.due_cents,
        "vat": vat_lines(co),
    }
    return [message_plans.about_visit(appt, f"{appt.id}#receipt#email", "receipt", "email", client.email, context, now)]
