"""Public booking API (JSON, open CORS so the widget can call it from any site)."""

from chalice import Blueprint, CORSConfig

from chalicelib.api.http import handler, json_body, query_params
from chalicelib.api.lazy import lazy

profile = lazy("chalicelib.services.booking.profile")
free_times = lazy("chalicelib.services.booking.availability")
book = lazy("chalicelib.services.booking.book")
manage = lazy("chalicelib.services.booking.manage")
holds = lazy("chalicelib.services.booking.holds")

public = Blueprint(__name__)
# Retry-After (429, 503) exposed: the widget runs on the salon's own site, another origin.
CORS = CORSConfig(
    allow_origin="*", allow_headers=["Idempotency-Key", "Content-Type"], expose_headers=["Retry-After"], max_age=600
)
PREFIX = "/api/v1"


@public.route(PREFIX + "/businesses/{slug}", methods=["GET"], cors=CORS)
@handler
def business_profile(slug):
    return profile.public_profile(slug)


@public.route(PREFIX + "/businesses/{slug}/availability", methods=["GET"], cors=CORS)
@handler
def availability(slug):
    return free_times.get_availability(slug, query_params(public.current_request))


def client_ip(request) -> str | None:
    """The caller's address as API Gateway saw it (never a header the caller can set)."""
    return ((request.context or {}).get("identity") or {}).get("sourceIp") or None


@public.route(PREFIX + "/businesses/{slug}/bookings", methods=["POST"], cors=CORS)
@handler
def create_booking(slug):
    request = public.current_request
    return book.create_booking(
        slug, json_body(request), request.headers.get("idempotency-key"), client_ip=client_ip(request)
    )


@public.route(PREFIX + "/bookings/{token}", methods=["GET"], cors=CORS)
@handler
def get_booking(token):
    return manage.get_booking(token)


@public.route(PREFIX + "/bookings/{token}/cancel", methods=["POST"], cors=CORS)
@handler
def cancel_booking(token):
    return manage.cancel_booking(token, json_body(public.current_request))


@public.route(PREFIX + "/bookings/{token}/confirm", methods=["POST"], cors=CORS)
@handler
def confirm_booking(token):
    """A held booking's confirmation (the token of the link in its message); no body."""
    return holds.confirm(token)


@public.route(PREFIX + "/bookings/{token}/reschedule", methods=["POST"], cors=CORS)
@handler
def reschedule_booking(token):
    return manage.reschedule_booking(token, json_body(public.current_request))


@public.route(PREFIX + "/cards/{token}", methods=["GET"], cors=CORS)
@handler
def loyalty_card(token):
    """The client's stamp card and rewards by her card link (the widget shows them)."""
    from chalicelib.services import loyalty

    return loyalty.client_card(token)


waitlist = lazy("chalicelib.services.waitlist.join")
offers = lazy("chalicelib.services.waitlist.offers")


@public.route(PREFIX + "/businesses/{slug}/waitlist", methods=["POST"], cors=CORS)
@handler
def join_waitlist(slug):
    """ "Notify me": a waitlist entry (201 with its manage link)."""
    return waitlist.join(slug, json_body(public.current_request))


@public.route(PREFIX + "/waitlist/{token}", methods=["GET"], cors=CORS)
@handler
def get_waitlist_entry(token):
    return waitlist.get_entry(token)


@public.route(PREFIX + "/waitlist/{token}/leave", methods=["POST"], cors=CORS)
@handler
def leave_waitlist(token):
    return waitlist.leave(token)


@public.route(PREFIX + "/offers/{token}", methods=["GET"], cors=CORS)
@handler
def get_offer(token):
    return offers.get_offer(token)


@public.route(PREFIX + "/offers/{token}/book", methods=["POST"], cors=CORS)
@handler
def book_offer(token):
    """One tap: the offered time, booked through the booking's own transaction (a service
    that takes payment: with the payment terms' version she ticked, held while she pays)."""
    return offers.book(token, json_body(public.current_request))


@public.route(PREFIX + "/offers/{token}/leave", methods=["POST"], cors=CORS)
@handler
def leave_from_offer(token):
    return offers.leave(token)
