"""What a booking costs and what it pays or secures when booking, computed in one place:
for the booking itself (services/booking/book.py, services/payments/holds.py), and for
what the booking page says before she books (pages/views.py: the service list, and the
details step's price and the terms she ticks), so the terms she accepts are the terms
applied. Amounts are integer cents from the server's price, after any perk
(chalicelib/domain/loyalty.py booking_price; docs/payments.md)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain import loyalty as perks
from chalicelib.domain.config import Business, Service
from chalicelib.domain.payments import BookingPayment, payment_for, policy_of


@dataclass(frozen=True)
class Quote:
    """A booking of a service with a perk (or none): its price after the perk (a price
    range's lowest, the desk taking the perk off the final one), the discount, and what
    booking it pays or secures now (None: confirmed at once)."""

    price_cents: int
    discount_cents: int
    payment: BookingPayment | None


def payment_of(b: Business, service: Service, price_cents: int) -> BookingPayment | None:
    """What a booking of the service at `price_cents` (after any perk) pays or secures now."""
    p = b.config.payments
    return payment_for(p, policy_of(p, service.payment), price_cents)


def quote(b: Business, service: Service, use: perks.PerkUse | None) -> Quote:
    """The booking's price, discount and payment with the perk `use` (None: no perk)."""
    price, discount = perks.booking_price(service.price_cents, use)
    return Quote(price, discount, payment_of(b, service, price))
