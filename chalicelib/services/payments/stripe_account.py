"""A business's Stripe account, through the official `stripe` SDK.

Each salon's money goes to its own Stripe account (docs/payments.md): its secret key,
publishable key and webhook signing secret are one Secrets Manager secret in AWS, read
here and cached for five minutes (a failed read for one: keys_for); locally and in tests the environment's keys serve
every business and the API is localstripe's. Nothing here logs a key or card data.

Every call that moves money carries an idempotency key derived from what it is for
(booking + kind), so a retried request never charges twice. Stripe being down or
throttling becomes a 503 the client can read (PaymentsUnavailable); a declined card a
PaymentDeclined; a refund Stripe refuses (not a fault of Stripe's) a RefundRefused.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.errors import RebookError, Unavailable
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from chalicelib.domain.booking import Appointment
    from chalicelib.domain.payments import BookingPayment

_lock = threading.Lock()
_clients: dict[tuple[str, str | None], Any] = {}


class PaymentsUnavailable(Unavailable):
    code = "payments_unavailable"
    retry_after = 30


class PaymentDeclined(RebookError):
    status = 402
    code = "payment_declined"


class RefundRefused(RebookError):
    """Stripe answered a refund with a refusal that asking again will not change (the
    payment refunded already, disputed, unknown): not Stripe being down. A key Stripe refuses
    (401) is PaymentsUnavailable: the keys are read again (Account._call)."""

    status = 409
    code = "refund_refused"


class ChargeConflict(RebookError):
    """Stripe answered a charge's idempotency key with `idempotency_error`: the key was used
    with other details, or its first request is still in flight. Not a fault of Rebook's
    nor Stripe being down: nothing new was charged by this request."""

    status = 409
    code = "charge_conflict"


class NotConfigured(PaymentsUnavailable):
    """The business takes payments but has connected no Stripe account."""


@dataclass(frozen=True)
class Keys:
    secret_key: str
    publishable_key: str
    webhook_secret: str | None


# How long a business's keys read from Secrets Manager are kept, and how long a failed
# read is: a flood of webhooks or bookings for a salon without a secret costs no
# Secrets Manager call (nor its price) for a minute, and a secret stored just now is
# read within that minute.
KEYS_TTL_SECONDS = 300.0
FAILED_READ_TTL_SECONDS = 60.0

# Secrets Manager's answers that mean the business has no usable secret, so nothing can
# sign or verify for it until someone stores one: none under that name (or no current
# version), or one scheduled for deletion. The booking reads them as NotConfigured (503
# payments_unavailable), the webhook as a bad signature (400: nothing can verify it).
# Every other failure — throttling, Secrets Manager's own fault, a timeout, access
# denied or a KMS key that will not decrypt (our deployment's fault, fixed without the
# salon doing anything) — is a fault on our side that may pass: PaymentsUnavailable, a
# 503 to the booking and to Stripe (which retries the event for days, so none is lost).
NO_SECRET = ("ResourceNotFoundException", "InvalidRequestException")

_keys: dict[str, tuple[float, Keys | type[PaymentsUnavailable]]] = {}


def keys_for(business_id: str) -> Keys:
    s = get_settings()
    if s.stripe_secret_prefix:
        if not business_id:
            raise _not_configured()
        return _keys_from_secrets_manager(f"{s.stripe_secret_prefix}{business_id}")
    if s.stripe_secret_key and s.stripe_publishable_key:
        return Keys(s.stripe_secret_key, s.stripe_publishable_key, s.stripe_webhook_secret)
    raise _not_configured()


def _not_configured() -> NotConfigured:
    return NotConfigured(
        "Online payments are not available right now. Please try again later or call the business.",
        key="payments_unavailable",
    )


def _keys_from_secrets_manager(secret_id: str) -> Keys:
    """The keys in the secret, from the cache while fresh; a failed read is cached too
    (FAILED_READ_TTL_SECONDS) and raised again as it was read: NotConfigured or
    PaymentsUnavailable (NO_SECRET above)."""
    now = time.monotonic()
    found = _keys.get(secret_id)
    if found is None or found[0] <= now:
        found = _read_secret(secret_id, now)
        _keys[secret_id] = found
    kept = found[1]
    if isinstance(kept, Keys):
        return kept
    raise _not_configured() if kept is NotConfigured else _unavailable()


def _read_secret(secret_id: str, now: float) -> tuple[float, Keys | type[PaymentsUnavailable]]:
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.observability import logger

    try:
        raw = _secrets_client().get_secret_value(SecretId=secret_id)["SecretString"]
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        logger().warning("stripe secret not read", extra={"secret_id": secret_id, "error_code": code})
        return now + FAILED_READ_TTL_SECONDS, NotConfigured if code in NO_SECRET else PaymentsUnavailable
    except (BotoCoreError, KeyError) as e:  # unreachable, timed out; a binary secret
        logger().warning("stripe secret not read", extra={"secret_id": secret_id, "error_code": type(e).__name__})
        return now + FAILED_READ_TTL_SECONDS, NotConfigured if isinstance(e, KeyError) else PaymentsUnavailable
    try:
        data = json.loads(raw)
        keys = Keys(data["secret_key"], data["publishable_key"], data.get("webhook_secret") or None)
        if not all(_usable(k) for k in (keys.secret_key, keys.publishable_key)) or not (
            keys.webhook_secret is None or _usable(keys.webhook_secret)
        ):
            raise ValueError("a key is not a non-empty string")
    except (ValueError, KeyError, TypeError):  # stored, but not the keys (docs/deploy.md's shape)
        logger().error("stripe secret holds no keys", extra={"secret_id": secret_id})
        return now + FAILED_READ_TTL_SECONDS, NotConfigured
    return now + KEYS_TTL_SECONDS, keys


def _usable(key: object) -> bool:
    return isinstance(key, str) and bool(key.strip())


def _secrets_client() -> Any:
    from botocore.config import Config

    from chalicelib import aws

    s = get_settings()
    # Short: a request is waiting (API Gateway gives up at 29 s), and a failure is a 503.
    config = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=5)
    return aws.client("secretsmanager", region=s.region, endpoint_url=s.aws_endpoint, config=config)


def forget_keys(business_id: str | None = None) -> None:
    """Drop every business's keys read and failed reads (tests; before a SnapStart
    snapshot: chalicelib/snapshot.py, nothing secret in it); with `business_id`, that
    business's alone (Stripe refused its key: Account._call), read again when next asked."""
    if business_id is None:
        _keys.clear()
        return
    prefix = get_settings().stripe_secret_prefix
    if prefix:
        _keys.pop(f"{prefix}{business_id}", None)


STRIPE_TIMEOUT_SECONDS = 10.0


def _client(secret_key: str) -> Any:
    # Keyed by the address too: a key is only ever one account's, but locally and in tests
    # the same test key is served by whichever localstripe the settings point at.
    base = get_settings().stripe_api_base
    found = _clients.get((secret_key, base))
    if found is None:
        import stripe

        with _lock:
            found = _clients.setdefault(
                (secret_key, base),
                stripe.StripeClient(
                    secret_key,
                    base_addresses={"api": base} if base else None,
                    max_network_retries=1,
                    # The SDK waits 80 s by default: a Stripe that hangs would outlast API
                    # Gateway's 29 s, and the client would read a 504 for a change that
                    # happened. Two tries of 10 s end in a 503 she can read instead.
                    http_client=stripe.new_default_http_client(timeout=STRIPE_TIMEOUT_SECONDS),
                ),
            )
    return found


def _unavailable() -> PaymentsUnavailable:
    return PaymentsUnavailable(
        "Online payments are not available right now. Please try again in a moment.", key="payments_unavailable"
    )


class Account:
    """The Stripe account of one business."""

    def __init__(self, business_id: str):
        self.business_id = business_id
        self.keys = keys_for(business_id)
        self.client = _client(self.keys.secret_key)

    def _call(self, fn: Any, params: dict[str, Any], idempotency_key: str | None = None, *args: str) -> Any:
        """One Stripe request; its faults as the client should read them. Stripe refusing
        the key (401: rotated or revoked, the old one still cached) is a 503 like any
        unusable secret, and the business's keys are read again on the next request."""
        import stripe

        options = {"idempotency_key": idempotency_key} if idempotency_key else None
        try:
            return fn(*args, params=params, options=options) if options else fn(*args, params=params)
        except stripe.CardError as e:
            raise PaymentDeclined(
                "The card was declined. Please use another card.", key="payment_declined", details={"decline": e.code}
            ) from None
        except (stripe.APIConnectionError, stripe.RateLimitError) as e:
            raise _unavailable() from e
        except stripe.AuthenticationError as e:
            from chalicelib.observability import logger

            logger().error("stripe refused the business's key", extra={"business_id": self.business_id})
            forget_keys(self.business_id)
            raise _unavailable() from e
        except stripe.StripeError as e:
            if (e.http_status or 500) >= 500 or e.http_status == 402:
                if e.http_status == 402:
                    raise PaymentDeclined(
                        "The card was declined. Please use another card.", key="payment_declined"
                    ) from None
                raise _unavailable() from e
            raise

    def start_card_setup(
        self, ref: str, booking_id: str, client_id: str, customer: str | None = None
    ) -> tuple[str, str, str]:
        """A customer (or `customer`: the booking's, for another card after a decline) and
        a SetupIntent for the booking (its card is authenticated once on the pay page, and
        kept for the fees): the customer id, the SetupIntent id and its client secret.
        `ref` keys the requests: a retry makes no second one."""
        v1 = self.client.v1
        meta = {"business_id": self.business_id, "booking_id": booking_id, "client_id": client_id}
        if customer is None:
            customer = self._call(v1.customers.create, {"metadata": meta}, f"{ref}:customer").id
        setup = self._call(
            v1.setup_intents.create,
            {"customer": customer, "usage": "off_session", "metadata": meta},
            f"{ref}:setup",
        )
        return customer, setup.id, setup.client_secret

    def setup_intent(self, setup_id: str) -> Any:
        return self._call(self.client.v1.setup_intents.retrieve, {}, None, setup_id)

    def payment_intent(self, intent_id: str) -> Any:
        return self._call(self.client.v1.payment_intents.retrieve, {}, None, intent_id)

    def charge(
        self,
        booking_id: str,
        kind: str,
        amount_cents: int,
        currency: str,
        customer: str,
        payment_method: str,
        client_id: str,
        *,
        off_session: bool,
        key: str | None = None,
    ) -> Any:
        """A PaymentIntent confirmed at once with the card on file: the deposit while the
        client is on the pay page, or a fee charged later off-session. Exactly once per
        booking and kind (the idempotency key `<booking>:<kind>`; `key`, when given,
        `<booking>:<kind>:<key>`: a checkout's, once per charge of it)."""
        params: dict[str, Any] = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "customer": customer,
            "payment_method": payment_method,
            "confirm": True,
            "metadata": {
                "business_id": self.business_id,
                "booking_id": booking_id,
                "client_id": client_id,
                "kind": kind,
            },
        }
        if off_session:
            params["off_session"] = True
        import stripe

        try:
            return self._call(
                self.client.v1.payment_intents.create, params, f"{booking_id}:{kind}" + (f":{key}" if key else "")
            )
        except stripe.IdempotencyError as e:
            raise ChargeConflict(
                "Stripe is still handling an earlier request for this charge, or had it with other details: "
                "nothing new was charged. Reload and try again in a moment.",
                details={"stripe_code": e.code or "idempotency_error"},
            ) from e

    def charge_card_on_file(
        self,
        appt: Appointment,
        pay: BookingPayment,
        kind: str,
        amount_cents: int,
        currency: str,
        key: str | None = None,
    ) -> Any:
        """Off-session, on the card saved with her booking (a fee, the desk's checkout):
        `charge` with the booking's own customer, card and client."""
        assert pay.customer and pay.payment_method  # card_saved: the callers checked
        import stripe

        try:
            return self.charge(
                appt.id,
                kind,
                amount_cents,
                currency,
                pay.customer,
                pay.payment_method,
                appt.client_id,
                off_session=True,
                key=key,
            )
        except stripe.InvalidRequestError as e:
            # Her card or customer gone at Stripe (deleted or detached in the salon's Stripe
            # dashboard): the saved card cannot pay, as if declined (a fee: her pay link).
            if e.http_status == 404 or e.code == "resource_missing" or e.param in ("customer", "payment_method"):
                raise PaymentDeclined(
                    "The card saved with the booking can no longer be charged. Take the payment another way.",
                    key="payment_declined",
                    details={"decline": e.code or "card_on_file_gone"},
                ) from None
            raise

    def fee_link_intent(self, appt: Appointment, kind: str, amount_cents: int, currency: str) -> Any:
        """A PaymentIntent for a fee her saved card could not pay (declined, or gone at
        Stripe), for her to pay with a card on her pay link: once per booking and fee
        round (the idempotency key `<booking>:<kind>:link`), its metadata as a charge's,
        so that its payment_intent.succeeded settles the fee (webhooks.py)."""
        params: dict[str, Any] = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "payment_method_types": ["card"],
            "metadata": {
                "business_id": self.business_id,
                "booking_id": appt.id,
                "client_id": appt.client_id,
                "kind": kind,
            },
        }
        return self._call(self.client.v1.payment_intents.create, params, f"{appt.id}:{kind}:link")

    def refund(self, booking_id: str, intent_id: str, amount_cents: int, ref: str, key: str | None = None) -> Any:
        """A refund on the deposit's or prepayment's PaymentIntent, once per booking and
        `ref` (the idempotency key `<booking>:refund:<key or ref>`: asked again, Stripe
        answers with the same refund; `ref` is in its metadata, so refund_room finds it).
        Stripe down, throttling or busy with the same key: PaymentsUnavailable (ask
        again later); any other refusal: RefundRefused."""
        import stripe

        try:
            return self._call(
                self.client.v1.refunds.create,
                {
                    "payment_intent": intent_id,
                    "amount": amount_cents,
                    # The webhook finds the business (its signing secret) and the booking from these.
                    "metadata": {"business_id": self.business_id, "booking_id": booking_id, "ref": ref},
                },
                f"{booking_id}:refund:{key or ref}",
            )
        except stripe.StripeError as e:
            if e.http_status == 409:  # the same key still in flight at Stripe: a moment later
                raise _unavailable() from e
            raise RefundRefused(
                "Stripe refused the refund.", details={"stripe_code": e.code or type(e).__name__}
            ) from e
        except PaymentDeclined as e:
            raise RefundRefused("Stripe refused the refund.", details={"stripe_code": e.code}) from e

    def cancel_intent(self, booking_id: str, intent_id: str, kind: str) -> str:
        """Cancel the PaymentIntent of a fee let go (waived, its no-show undone), so her bank
        app or a pay page she still has open can no longer take it: once per booking and fee
        (the idempotency key `<booking>:<kind>:cancel`, `kind` the fee's key). Its status
        afterwards: `canceled`; or, Stripe refusing the cancel (paid or being paid
        meanwhile, cancelled before), the status Stripe then gives it (`unknown`: it would
        not say). Stripe down, throttling or busy with the same key: PaymentsUnavailable."""
        import stripe

        try:
            done = self._call(self.client.v1.payment_intents.cancel, {}, f"{booking_id}:{kind}:cancel", intent_id)
            return str(done.status)
        except stripe.StripeError as e:
            if e.http_status == 409:  # the same key still in flight at Stripe: a moment later
                raise _unavailable() from e
        except PaymentDeclined:  # (a 402 to a cancel: read what Stripe holds instead)
            pass
        try:
            return str(self.payment_intent(intent_id).status)
        except stripe.StripeError:
            return "unknown"

    def refund_room(self, intent_id: str, ref: str, gone: frozenset[str] = frozenset()) -> RefundRoom:
        """What Stripe holds of the refunds of the PaymentIntent `intent_id`: the one made
        under `ref` (its metadata), and how much it can still give back — the payment less
        every refund not failed or canceled (nor in `gone`: the ids Stripe's webhook said
        failed), whoever made it (the owner's own refund at the same moment, say). Stripe
        down: PaymentsUnavailable; any other refusal: RefundRefused."""
        import stripe

        try:
            intent = self.payment_intent(intent_id)
            listed = self._call(self.client.v1.refunds.list, {"payment_intent": intent_id, "limit": 100})
        except stripe.StripeError as e:
            raise RefundRefused(
                "Stripe refused the refund.", details={"stripe_code": e.code or type(e).__name__}
            ) from e
        made, taken = None, 0
        for r in listed.data:
            if r.status in REFUND_GONE or r.id in gone:
                continue
            taken += r.amount
            meta = r.metadata
            if made is None and meta and "ref" in meta and meta["ref"] == ref:
                made = r
        return RefundRoom(made, max(0, int(intent.amount) - taken))


REFUND_GONE = ("failed", "canceled")  # a refund's statuses at Stripe that give nothing back


@dataclass(frozen=True)
class RefundRoom:
    made: Any | None  # the refund made under the ref asked about, if Stripe has one
    left_cents: int  # what Stripe can still give back of the payment
