"""Money taken with a booking: the payment policy of a business and its services, the
cancellation terms, and the amounts they give — integer cents, computed here only.

A crafted request never names an amount: every sum the client pays, is refunded or is
charged as a fee comes from these functions and the price the server itself computed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

# A VAT rate in per cent, to one decimal (25.5).
VatPercent = Annotated[Decimal, Field(ge=0, le=30, decimal_places=1)]
# Finland's general VAT rate: the rate of a business in Finland that sets none
# (BusinessConfig.vat_percent), never of one elsewhere. No other country has it.
FINNISH_VAT_PERCENT = Decimal("25.5")


class PaymentKind(str, Enum):
    NONE = "none"
    DEPOSIT = "deposit"  # part of the price now (fixed cents or a percentage)
    PREPAY = "prepay"  # the whole price now
    CARD_ON_FILE = "card_on_file"  # nothing now; the card covers the fees


class PaymentPolicy(BaseModel):
    """What a booking of a service must pay or secure before it is confirmed."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: PaymentKind = PaymentKind.NONE
    # A deposit is either a fixed amount or a percentage of the price, not both.
    deposit_cents: StrictInt | None = Field(default=None, ge=1, le=10_000_00)
    deposit_percent: StrictInt | None = Field(default=None, ge=1, le=100)

    @model_validator(mode="after")
    def _deposit(self) -> Self:
        is_deposit = self.kind == PaymentKind.DEPOSIT
        given = (self.deposit_cents is not None) + (self.deposit_percent is not None)
        if is_deposit and given != 1:
            raise ValueError("a deposit needs exactly one of deposit_cents or deposit_percent")
        if not is_deposit and given:
            raise ValueError("deposit_cents and deposit_percent apply to kind 'deposit' only")
        return self


class CancellationTerms(BaseModel):
    """Free until `free_until_hours` before the start; later a late-cancellation fee,
    and a no-show fee, each a percentage of the price."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    # Whole numbers as sent: true is no 1 %, nor "50" or 50.0 a fee (StrictInt).
    free_until_hours: StrictInt = Field(default=24, ge=0, le=24 * 14)
    late_cancel_fee_percent: StrictInt = Field(default=0, ge=0, le=100)
    no_show_fee_percent: StrictInt = Field(default=0, ge=0, le=100)


class Payments(BaseModel):
    """A business's payment settings. `version` goes up with every change of policy or
    terms; a booking records the version its client accepted."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    policy: PaymentPolicy = PaymentPolicy()
    terms: CancellationTerms = CancellationTerms()
    version: StrictInt = Field(default=1, ge=1)
    hold_minutes: StrictInt = Field(default=10, ge=2, le=60)
    # The VAT rate (%) in the business's prices, unless a service says otherwise
    # (Finland: 25.5 general, 14 and 10 reduced, 0 exempt). None: the one it chose none
    # of. A business in Finland is then at Finland's general rate, any other states no VAT
    # on its receipts (BusinessConfig.vat_percent): a rate it did not choose is never printed.
    vat_percent: VatPercent | None = None
    # The business ID (Y-tunnus) its receipts show.
    business_code: str | None = Field(default=None, max_length=20)


NO_POLICY = PaymentPolicy()


def percent_of(price_cents: int, percent: int) -> int:
    """`percent` % of a price in whole cents, rounded half up (never more than the price)."""
    return min(price_cents, (price_cents * percent + 50) // 100)


def due_now_cents(policy: PaymentPolicy, price_cents: int) -> int:
    """What the client pays while the time is held: 0 without a payment now."""
    if policy.kind == PaymentKind.PREPAY:
        return price_cents
    if policy.kind == PaymentKind.DEPOSIT:
        if policy.deposit_cents is not None:
            return min(policy.deposit_cents, price_cents)
        return percent_of(price_cents, policy.deposit_percent or 0)
    return 0


def needs_payment(policy: PaymentPolicy, price_cents: int) -> bool:
    """Does booking with this policy go through the pay page? A card on file does
    (the card is secured, nothing charged); a deposit of a free service does not."""
    if policy.kind == PaymentKind.CARD_ON_FILE:
        return True
    return due_now_cents(policy, price_cents) > 0


class FeeKind(str, Enum):
    LATE_CANCEL = "late_cancel"
    NO_SHOW = "no_show"


def fee_cents(terms: CancellationTerms, price_cents: int, kind: FeeKind, paid_cents: int = 0) -> int:
    """The fee still to charge for a late cancellation or a no-show: its percentage of the
    price, less what was paid already (a kept deposit counts towards it)."""
    percent = terms.late_cancel_fee_percent if kind == FeeKind.LATE_CANCEL else terms.no_show_fee_percent
    return max(0, percent_of(price_cents, percent) - paid_cents)


def free_until(
    start: datetime, terms: CancellationTerms, booked_at: datetime | None = None, grace_minutes: int = 0
) -> datetime:
    """Until when a cancellation costs nothing: `free_until_hours` before the start. A
    booking made after that (or just before it) is free to cancel for the grace period
    after it was made — the same grace that lets her change it online, a wrong day fixed
    at once (domain/booking.py change_deadline) — never after its start. With no grace
    the deadline is at or before `booked_at`: nothing she pays comes back."""
    from chalicelib.domain.booking import change_deadline

    if booked_at is None:
        return start - timedelta(hours=terms.free_until_hours)
    return change_deadline(start, booked_at, terms.free_until_hours, grace_minutes)


def refund_on_cancel_cents(
    terms: CancellationTerms,
    start: datetime,
    now: datetime,
    paid_cents: int,
    price_cents: int,
    kind: str,
    booked_at: datetime | None = None,
    grace_minutes: int = 0,
) -> int:
    """What goes back when the client cancels: all she paid until the free deadline
    (free_until); after it, late_cancel_refund_cents."""
    if now < free_until(start, terms, booked_at, grace_minutes):
        return paid_cents
    return late_cancel_refund_cents(terms, paid_cents, price_cents, kind)


def late_cancel_refund_cents(terms: CancellationTerms, paid_cents: int, price_cents: int, kind: str) -> int:
    """What goes back of what she paid when she cancels after the free deadline. A deposit
    is kept (what it is for, whatever the late fee); a prepayment is the price of the
    visit, not a deposit: what she paid above the late-cancellation fee comes back."""
    if kind != PaymentKind.PREPAY.value:
        return 0
    return max(0, paid_cents - percent_of(price_cents, terms.late_cancel_fee_percent))


def policy_of(payments: Payments, service_policy: PaymentPolicy | None) -> PaymentPolicy:
    """A service's own policy, or the business's."""
    return service_policy if service_policy is not None else payments.policy


def hold_until(now: datetime, payments: Payments) -> datetime:
    return now + timedelta(minutes=payments.hold_minutes)


class FeeState(str, Enum):
    """A fee's state on the booking's payment."""

    OPEN = "open"  # the bank asks her to authenticate: a pay link
    SUCCEEDED = "succeeded"  # charged and paid
    WAIVED = "waived"  # open, and the owner let it go (or the no-show mark was undone)
    # Charged and paid, then given back (a no-show mark undone, the owner's refund): owed
    # back (the refund not made yet), refunded, or its refund failed (the owner's to settle).
    REFUNDING = "refunding"
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"


# The fees whose money came in (paid_cents holds them), given back since or not.
FEE_TAKEN = (
    FeeState.SUCCEEDED.value,
    FeeState.REFUNDING.value,
    FeeState.REFUNDED.value,
    FeeState.REFUND_FAILED.value,
)


def fee_key(kind: str, given_back: int = 0) -> str:
    """The key of one round of a booking's fee (FeeKind value): the round after its fee
    was given back `given_back` times by an undo of its event (a no-show mark undone, then
    marked again). Its state and amount on the booking's payment, its money record, its
    Stripe idempotency key (`<booking>:<key>`), its refund's ref and its messages all go
    by it: `no_show` the first time, `no_show.r1` after one undo, and so on."""
    return kind if not given_back else f"{kind}.r{given_back}"


def fee_kind_of(key: str) -> str:
    """The fee kind (FeeKind value) of a fee's key (fee_key)."""
    return key.split(".", maxsplit=1)[0]


# The most rounds a fee's key may name (a no-show undone and marked again this many times
# is beyond any desk's mistakes): parse_fee_key refuses a larger number.
MAX_FEE_ROUND = 999
# A fee's key as a pattern (the refund body's `fee`, docs/openapi.yaml): a kind, then for a
# later round `.r` and 1 to MAX_FEE_ROUND in ASCII digits, no leading zero.
FEE_KEY_PATTERN = f"^({'|'.join(k.value for k in FeeKind)})(\\.r[1-9][0-9]{{0,{len(str(MAX_FEE_ROUND)) - 1}}})?$"


def parse_fee_key(key: str) -> tuple[str, int] | None:
    """A fee's key (fee_key) read strictly — as it comes from outside: a pay link's `?fee=`,
    the owner's waiver path or refund body: its kind (FeeKind value) and round, or None for
    anything else (no such fee). The round is ASCII digits with no leading zero, 1 to
    MAX_FEE_ROUND (`no_show.r1`; round 0 is the bare kind, `no_show`)."""
    if not re.fullmatch(FEE_KEY_PATTERN, key, flags=re.ASCII):
        return None
    kind, _, rest = key.partition(".")
    return kind, int(rest.removeprefix("r") or 0)


def fee_refund_ref(kind: str, attempt: int = 0) -> str:
    """The ref of the refund of a booking's fee (its record `refund-<ref>`, its Stripe
    idempotency key `<booking>:refund:<ref>`, its owed outbox item): once per booking and
    fee (`fee-<kind>`); a refund of it made again after Stripe failed or refused the first
    gets a ref of its own, `fee-<kind>-n<attempt>` with attempt 1 and up (0: the first)."""
    return f"fee-{kind}" if not attempt else f"fee-{kind}-n{attempt}"


def fee_of_refund(ref: str) -> str | None:
    """The fee (its key: fee_key) a refund's ref gives back (fee_refund_ref), or None: not a fee's."""
    if not ref.startswith("fee-"):
        return None
    return ref.removeprefix("fee-").split("-")[0]


class PayState(str, Enum):
    HELD = "held"  # the time is held while the client pays
    PAID = "paid"  # the deposit or prepayment went through
    CARD_SAVED = "card_saved"  # card on file, nothing charged
    EXPIRED = "expired"  # the hold ran out unpaid; the time was freed
    DECLINED = "declined"  # the card was declined; the time was freed


@dataclass(frozen=True)
class BookingPayment:
    """What a booking pays or secures, as the client accepted it. Stripe ids only: no
    card data. `due_cents` is what the policy asked for at booking."""

    kind: str
    due_cents: int
    policy_version: int
    state: str = PayState.HELD.value
    customer: str | None = None
    setup_intent: str | None = None
    payment_method: str | None = None
    intent: str | None = None  # the PaymentIntent of the deposit or prepayment
    paid_cents: int = 0
    refunded_cents: int = 0
    terms: dict[str, int] = field(default_factory=dict)  # CancellationTerms as accepted
    fees: dict[str, str] = field(default_factory=dict)  # fee kind -> its FeeState
    fee_cents: dict[str, int] = field(default_factory=dict)  # fee kind -> its amount as charged
    # A refund her cancellation gives back, recorded in the cancellation's own transaction
    # and not made yet (Stripe unreachable; the outbox sweeper makes it: fees.py
    # owed_refund), and one Stripe refused for good or gave up on: the owner's to settle.
    refund_owed_cents: int = 0
    refund_failed_cents: int = 0
    # The owner's refunds Stripe refused at once (nothing of them recorded): each moves the
    # key of her next refund on (fees.py _owner_refund_count), as a recorded refund does:
    # Stripe answers a key it refused with the saved refusal for 24 hours.
    refunds_refused: int = 0
    # Fee kind -> how many times an undo of its event gave its fee back: the round
    # a new fee of that kind is charged in (fee_key). `fees` and `fee_cents` hold every
    # round by its key, so the sums below count each round once.
    fee_rounds: dict[str, int] = field(default_factory=dict)
    # Cards declined while the booking was held (each hers to replace with another until
    # the last of CARD_TRIES: holds.py).
    declines: int = 0

    def fee_key(self, kind: str) -> str:
        """The key of the current round of the fee `kind` (fee_key)."""
        return fee_key(kind, self.fee_rounds.get(kind, 0))

    def fee_state(self, kind: str) -> str | None:
        """The state of the current round of the fee `kind` (None: not charged in it)."""
        return self.fees.get(self.fee_key(kind))

    def next_fee_round(self, kind: str) -> BookingPayment:
        """Its event undone, and the undo gave the fee of `kind` charged in the current round
        back (owed back, or an open one waived: services/payments/fees.py): the next event
        is a new round, charged anew under a key of its own. Nothing charged in it:
        unchanged. (A fee the owner refunded or waived herself keeps its round.)"""
        if self.fee_key(kind) not in self.fees:
            return self
        return replace(self, fee_rounds={**self.fee_rounds, kind: self.fee_rounds.get(kind, 0) + 1})

    def fees_in(self, *states: str) -> int:
        """The fees in these states (FeeState), in cents."""
        return sum(self.fee_cents.get(k, 0) for k, state in self.fees.items() if state in states)

    @property
    def deposit_cents(self) -> int:
        """What the booking's deposit or prepayment took (paid_cents holds the fees
        collected too, given back since or not)."""
        return max(0, self.paid_cents - self.fees_in(*FEE_TAKEN))

    @property
    def fees_collected_cents(self) -> int:
        """The fees charged, paid and not given back (nor on their way back)."""
        return self.fees_in(FeeState.SUCCEEDED.value, FeeState.REFUND_FAILED.value)

    @property
    def deposit_refunded_cents(self) -> int:
        """Of refunded_cents, what went back of the deposit or prepayment (not a fee's)."""
        return max(0, self.refunded_cents - self.fees_in(FeeState.REFUNDED.value))

    @property
    def deposit_owed_cents(self) -> int:
        """Of refund_owed_cents, what is owed back of the deposit or prepayment."""
        return max(0, self.refund_owed_cents - self.fees_in(FeeState.REFUNDING.value))

    @property
    def deposit_failed_cents(self) -> int:
        """Of refund_failed_cents, a refund of the deposit or prepayment that failed."""
        return max(0, self.refund_failed_cents - self.fees_in(FeeState.REFUND_FAILED.value))

    @property
    def protected(self) -> bool:
        """Money or a card of hers stands behind the booking: a deposit or prepayment
        paid, or a card on file (what the no-show rate with protection counts)."""
        return self.paid_cents > 0 or self.payment_method is not None

    @property
    def card_saved(self) -> bool:
        """A card saved at booking that the salon can charge later (a fee, the checkout)."""
        return bool(self.payment_method and self.customer)

    @property
    def kept_cents(self) -> int:
        """What Rebook's salon holds of the client's money for this booking now (a refund
        owed is hers already: on its way back). A refund that failed at Stripe is still
        held — until the owner settles it the money is with the salon — so a fee charged
        meanwhile counts it as paid: what the salon holds and may still charge never
        exceeds the fee her terms allow."""
        return self.paid_cents - self.refunded_cents - self.refund_owed_cents

    def failed_refunds_kept(self, status: str) -> list[str]:
        """The fees (their keys) whose refund failed and that the visit's `status` keeps: a
        no-show fee's refund that failed in an earlier round (a no-show undone, its refund
        failed, the visit marked a no-show again) is kept as the new round's fee — the
        salon holds it (kept_cents), charges nothing more, and need not retry it."""
        if status != "no_show":
            return []
        current = self.fee_key(FeeKind.NO_SHOW.value)
        return [
            key
            for key, state in self.fees.items()
            if state == FeeState.REFUND_FAILED.value and fee_kind_of(key) == FeeKind.NO_SHOW.value and key != current
        ]

    def refund_failed_due_cents(self, status: str) -> int:
        """Of refund_failed_cents, what the owner still has to settle (failed_refunds_kept
        left out)."""
        kept = sum(self.fee_cents.get(key, 0) for key in self.failed_refunds_kept(status))
        return max(0, self.refund_failed_cents - kept)

    @property
    def refundable_cents(self) -> int:
        """What a refund may give back: the deposit or prepayment not yet refunded nor
        owed back (a refund goes back on its PaymentIntent; a fee collected is the salon's
        to waive)."""
        return max(0, self.deposit_cents - self.deposit_refunded_cents - self.deposit_owed_cents)

    def fee_refundable_cents(self, kind: str) -> int:
        """What a refund of the fee `kind` gives back: all of it, if it was collected and
        is neither given back nor on its way back (a refund of it that failed may be made
        again)."""
        if self.fees.get(kind) in (FeeState.SUCCEEDED.value, FeeState.REFUND_FAILED.value):
            return self.fee_cents.get(kind, 0)
        return 0

    def owner_owes_cents(self, status: str, salon_cancelled: bool = False) -> int:
        """What the owner is to give back herself (her list of refunds to make): of a visit
        the salon cancelled, all it still holds of what she paid (`salon_cancelled`:
        `refund_due`, a refund of it that failed included); of any other, a refund that
        Stripe failed (`refund_failed_due_cents`). A refund on its way back is not: the
        server makes it, and lists it if it fails."""
        return self.refundable_cents if salon_cancelled else self.refund_failed_due_cents(status)

    def mark(self, status: str, salon_cancelled: bool = False) -> str:
        """What the owner's calendar shows: held, refund_failed, fee_owed,
        refund_pending, refund_due, paid, card_on_file, refunded. `refund_due`: the salon
        cancelled (`salon_cancelled`) and still holds her deposit or prepayment — never
        kept under her terms, which are about her cancellations: the owner refunds it."""
        if status == "pending_payment":
            return "held"
        if self.refund_failed_due_cents(status):
            return "refund_failed"  # hers, and Stripe would not give it back: the owner acts
        if "open" in self.fees.values():
            return "fee_owed"
        if self.refund_owed_cents:
            return "refund_pending"  # on its way back, not money kept
        if salon_cancelled and self.refundable_cents:
            return "refund_due"  # hers: the salon cancelled, the owner gives it back
        if self.refunded_cents and not self.kept_cents:
            return "refunded"
        if self.paid_cents:
            return "paid"
        return "card_on_file" if self.payment_method else "none"

    def accepted_terms(self) -> CancellationTerms:
        return CancellationTerms(**self.terms)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BookingPayment:
        return cls(**data)


def payment_for(payments: Payments, policy: PaymentPolicy, price_cents: int) -> BookingPayment | None:
    """The payment a new booking needs, or None (confirmed at once)."""
    if not needs_payment(policy, price_cents):
        return None
    return BookingPayment(
        kind=policy.kind.value,
        due_cents=due_now_cents(policy, price_cents),
        policy_version=payments.version,
        terms=payments.terms.model_dump(),
    )


@dataclass(frozen=True)
class MoneyRecord:
    """One charge, fee or refund of a booking (the client's card, her GDPR export, the
    owner's KPIs). `state`: succeeded, open (the bank asks the client to authenticate),
    waived (the owner let it go), failed (a refund Stripe took and failed later)."""

    business_id: str
    appointment_id: str
    client_id: str
    kind: str
    amount_cents: int
    state: str
    created_at: datetime
    intent: str | None = None
    note: str | None = None
    method: str | None = None  # a checkout's: CheckoutMethod
    total_cents: int | None = None  # a checkout's: the visit's final price (deposit included)
    lines: tuple[ProductLine, ...] = ()  # a checkout's: the products sold with the visit
    discount_cents: int = 0  # a checkout's: taken off the visit and its products together
    discount_percent: int | None = None  # a checkout's discount given as a percentage: which


# --- checkout at the desk ---------------------------------------------------------------------
class CheckoutMethod(str, Enum):
    """How the rest of a visit was paid at the desk."""

    CARD_ON_FILE = "card_on_file"  # charged through Stripe to the card she saved when booking
    CARD = "card"  # the salon's own card terminal
    CASH = "cash"
    GIFT_CARD = "gift_card"
    OTHER = "other"


@dataclass(frozen=True)
class CheckedOut:
    """A visit's checkout as its appointment remembers it: how the rest was paid
    (CheckoutMethod), what was paid at the desk (the deposit deducted) and when (UTC)."""

    method: str
    paid_cents: int
    at: datetime
    # What the visit came to (the desk may set the final price: a price by the hair's
    # length); None for a checkout remembered before it was kept.
    total_cents: int | None = None
    # The products sold with the visit and the discount off the two (none in a checkout
    # stored before they were kept).
    lines: tuple[ProductLine, ...] = ()
    discount_cents: int = 0
    discount_percent: int | None = None

    @classmethod
    def of(cls, money: MoneyRecord) -> CheckedOut:
        """From the checkout's money record."""
        return cls(
            method=money.method or CheckoutMethod.OTHER.value,
            paid_cents=money.amount_cents,
            at=money.created_at,
            total_cents=money.total_cents,
            lines=money.lines,
            discount_cents=money.discount_cents,
            discount_percent=money.discount_percent,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "paid_cents": self.paid_cents,
            "at": self.at.astimezone(UTC).isoformat(),
        }
        if self.total_cents is not None:
            out["total_cents"] = self.total_cents
        if self.lines:
            out["lines"] = [line.to_json() for line in self.lines]
        if self.discount_cents:
            out["discount_cents"] = self.discount_cents
        if self.discount_percent is not None:
            out["discount_percent"] = self.discount_percent
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckedOut:
        total, percent = data.get("total_cents"), data.get("discount_percent")
        return cls(
            method=data["method"],
            paid_cents=int(data["paid_cents"]),
            at=datetime.fromisoformat(data["at"]),
            total_cents=None if total is None else int(total),
            lines=ProductLine.all_from_json(data.get("lines")),
            discount_cents=int(data.get("discount_cents") or 0),
            discount_percent=None if percent is None else int(percent),
        )


@dataclass(frozen=True)
class VatLine:
    """One VAT rate's share of a receipt (cents; the prices include VAT)."""

    percent: Decimal
    net_cents: int
    vat_cents: int
    gross_cents: int


@dataclass(frozen=True)
class ProductLine:
    """A product sold at the desk with the visit (a 24,90 € shampoo): its unit price
    (VAT included, at the business's rate) and how many."""

    name: str
    amount_cents: int
    quantity: int = 1

    @property
    def total_cents(self) -> int:
        return self.amount_cents * self.quantity

    def to_json(self) -> dict[str, Any]:
        """As a checkout stores it (its money record, the appointment's `checkout`)."""
        return {"name": self.name, "amount_cents": self.amount_cents, "quantity": self.quantity}

    def view(self) -> dict[str, Any]:
        """As the owner API and her receipt show it: with what the line comes to."""
        return {**self.to_json(), "total_cents": self.total_cents}

    @classmethod
    def all_from_json(cls, data: list[dict[str, Any]] | None) -> tuple[ProductLine, ...]:
        """The lines a checkout stored (none in one stored before they were kept)."""
        return tuple(cls(str(d["name"]), int(d["amount_cents"]), int(d.get("quantity", 1))) for d in data or ())


@dataclass(frozen=True)
class Discount:
    """Off the whole checkout (the visit and its product lines): a percentage or an amount."""

    percent: int | None = None
    amount_cents: int | None = None

    def of(self, subtotal_cents: int) -> int:
        """What it takes off `subtotal_cents`: never more than it (never below zero)."""
        if self.percent is not None:
            return percent_of(subtotal_cents, self.percent)
        return min(subtotal_cents, self.amount_cents or 0)


@dataclass(frozen=True)
class Checkout:
    """What a visit comes to at the desk: its price and the products sold with it, the
    discount off the two, the deposit paid before (deducted), what is due now, and the VAT
    in the price."""

    total_cents: int
    deposit_cents: int
    due_cents: int
    vat: tuple[VatLine, ...]
    price_cents: int = 0  # the visit's own price
    lines: tuple[ProductLine, ...] = ()
    discount_cents: int = 0
    discount_percent: int | None = None  # a discount given as a percentage: which

    @property
    def subtotal_cents(self) -> int:
        """The visit and its products before the discount."""
        return self.total_cents + self.discount_cents


def vat_in(gross_cents: int, percent: Decimal) -> VatLine:
    """The VAT included in a gross price, to the cent (half up), and the net."""
    vat = int((Decimal(gross_cents) * percent / (100 + percent)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return VatLine(percent=percent, net_cents=gross_cents - vat, vat_cents=vat, gross_cents=gross_cents)


def checkout(
    price_cents: int,
    deposit_cents: int,
    vat_percent: Decimal | None,
    lines: tuple[ProductLine, ...] = (),
    discount: Discount | None = None,
    product_vat_percent: Decimal | None = None,
) -> Checkout:
    """The rest of a visit to pay at the desk: its price and the products sold with it,
    less the discount (off the two together, never below zero); the deposit she paid (and
    was not given back) is deducted, never below zero. The VAT is that of the whole sale
    (a deposit is an advance on the same sale): the visit's at `vat_percent`, the products'
    at `product_vat_percent`, the discount shared between them in proportion. A part without
    a rate (None: a business outside Finland that set none) has no VAT line: her receipt
    states no tax nobody chose."""
    products = sum(line.total_cents for line in lines)
    subtotal = price_cents + products
    off = discount.of(subtotal) if discount is not None else 0
    total = subtotal - off
    deposit = max(0, min(deposit_cents, total))
    visit_part = price_cents - (off * price_cents // subtotal if subtotal else 0)
    parts: dict[Decimal | None, int] = {vat_percent: visit_part}
    if products:
        parts[product_vat_percent] = parts.get(product_vat_percent, 0) + total - visit_part
    stated = tuple(vat_in(gross, rate) for rate, gross in parts.items() if gross and rate is not None)
    return Checkout(
        total_cents=total,
        deposit_cents=deposit,
        due_cents=total - deposit,
        # A rate the sale has nothing at (the visit given free, all of it off) is no line
        # of her receipt; nothing at all is one line of nothing at the visit's rate (none
        # without one).
        vat=stated or ((vat_in(0, vat_percent),) if vat_percent is not None and not total else ()),
        price_cents=price_cents,
        lines=lines,
        discount_cents=off,
        discount_percent=discount.percent if discount is not None else None,
    )
