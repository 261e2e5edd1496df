"""Public booking API (JSON, open CORS so the widget can call it from any site)."""

from chalice import Blueprint, CORSConfig

from chalicelib.api.http import handler, json_body
from chalicelib.api.lazy import lazy

booking = lazy("chalicelib.services.booking")

public = Blueprint(__name__)
CORS = CORSConfig(allow_origin="*", allow_headers=["Idempotency-Key", "Content-Type"], max_age=600)
PREFIX = "/api/v1"


@public.route(PREFIX + "/businesses/{slug}", methods=["GET"], cors=CORS)
@handler
def business_profile(slug):
    return booking.public_profile(slug)


@public.route(PREFIX + "/businesses/{slug}/availability", methods=["GET"], cors=CORS)
@handler
def availability(slug):
    return booking.get_availability(slug, public.current_request.query_params or {})


@public.route(PREFIX + "/businesses/{slug}/bookings", methods=["POST"], cors=CORS)
@handler
def create_booking(slug):
    request = public.current_request
    return booking.create_booking(slug, json_body(request), request.headers.get("idempotency-key"))


@public.route(PREFIX + "/bookings/{token}", methods=["GET"], cors=CORS)
@handler
def get_booking(token):
    return booking.get_booking(token)


@public.route(PREFIX + "/bookings/{token}/cancel", methods=["POST"], cors=CORS)
@handler
def cancel_booking(token):
    return booking.cancel_booking(token, json_body(public.current_request))


@public.route(PREFIX + "/bookings/{token}/reschedule", methods=["POST"], cors=CORS)
@handler
def reschedule_booking(token):
    return booking.reschedule_booking(token, json_body(public.current_request))


@public.route(PREFIX + "/cards/{token}", methods=["GET"], cors=CORS)
@handler
def loyalty_card(token):
    """The client's stamp card and rewards by her card link (the widget shows them)."""
    from chalicelib.services import loyalty

    return loyalty.client_card(token)
