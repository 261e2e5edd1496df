"""Money routes: Stripe's webhook, and the pay page's call to finish a payment."""

from chalice import Blueprint, Response

from chalicelib.api.http import HSTS, handler, json_body, raw_body
from chalicelib.api.lazy import lazy
from chalicelib.api.pages import html_view
from chalicelib.api.public import CORS, PREFIX

webhooks = lazy("chalicelib.services.payments.webhooks")
pay = lazy("chalicelib.services.payments.pay")

payments = Blueprint(__name__)


@payments.route(
    "/webhooks/stripe", methods=["POST"], content_types=["application/json", "application/json; charset=utf-8"]
)
@handler
def stripe_webhook():
    """Signed by Stripe (checked on the raw body); each event applied once."""
    request = payments.current_request
    return webhooks.receive(raw_body(request), request.headers.get("stripe-signature"))


@payments.route(PREFIX + "/bookings/{token}/payment", methods=["POST"], cors=CORS)
@handler
def finish_payment(token):
    """After Stripe.js on the pay page: Rebook asks Stripe how the payment stands."""
    json_body(payments.current_request)
    return pay.finish(token)


@payments.route("/pay/{token}", methods=["GET"])
@html_view
def pay_page(token):
    """A bad, expired or gone link: the error page of every link page, in her language."""
    from chalicelib.api.pages import _lang

    status, html, csp = pay.page(token, dict(payments.current_request.query_params or {}), _lang())
    return Response(
        body=html,
        status_code=status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            "Content-Security-Policy": csp,
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Strict-Transport-Security": HSTS,
        },
    )
