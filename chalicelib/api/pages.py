"""Client pages (HTML): the booking page and the manage page behind every message link."""

from __future__ import annotations

import email
import functools
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib import links
from chalicelib.api import link_pages
from chalicelib.api.http import HSTS, Headers, error_response, raw_body
from chalicelib.api.lazy import lazy
from chalicelib.domain.locales import negotiate
from chalicelib.errors import NotFound, RebookError
from chalicelib.observability import logger
from chalicelib.pages.errors import shown
from chalicelib.pages.i18n import words

if TYPE_CHECKING:
    from chalicelib.pages.views import Booked

views = lazy("chalicelib.pages.views")
pages = Blueprint(__name__)
FORM = ["application/x-www-form-urlencoded"]
HTML: Headers = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors *",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Strict-Transport-Security": HSTS,
}


def _csp(framed: bool = True) -> str:
    """The pages' policy; images also from the media CDN where they are served from there.
    `framed`: a page the booking widget may show in a salon's own site (the booking, its
    waitlist, a booking made and paid); one only a message's link opens (feedback,
    unsubscribe, her card, an offer, a hold) is framed by no one (clickjacking)."""
    from chalicelib.settings import get_settings

    media = get_settings().media_url
    origin = "/".join(media.split("/")[:3]) if media.startswith("https://") else ""
    policy = str(HTML["Content-Security-Policy"])
    if not framed:
        policy = policy.replace("frame-ancestors *", "frame-ancestors 'none'")
    return policy + (f"; img-src 'self' {origin}" if origin else "")


def _html(body: str, status: int = 200, retry_after: int | None = None, *, framed: bool = True) -> Response:
    extra: Headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Response(body=body, status_code=status, headers={**HTML, "Content-Security-Policy": _csp(framed), **extra})


def _form() -> dict:
    """The form's fields, URL-encoded as the pages post them, or multipart (a mail client's
    one-click unsubscribe may send that): its text fields."""
    request = pages.current_request
    raw = raw_body(request)
    kind = request.headers.get("content-type", "")
    if kind.lower().startswith("multipart/form-data"):
        return _multipart_fields(kind, raw)
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


def _multipart_fields(kind: str, raw: bytes) -> dict:
    message = email.message_from_bytes(f"Content-Type: {kind}\r\n\r\n".encode("latin-1", "replace") + raw)
    fields: dict[str, str] = {}
    for part in message.walk() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and not part.get_filename() and not part.is_multipart():
            payload = part.get_payload(decode=True)
            fields.setdefault(name, payload.decode("utf-8", "replace") if isinstance(payload, bytes) else "")
    return fields


def _from_another_site(request: Request) -> bool:
    """Was this POST sent by a page of another site? A browser says so (fetch metadata,
    else its Origin); a program that sends neither is taken at its word (it holds the link).
    What a link's POST may grant (consent) is granted only from our own pages: a form
    elsewhere that got hold of a link (forwarded mail, a mail provider's copy of the
    List-Unsubscribe header) cannot."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    from chalicelib.settings import get_settings

    ours = {urlsplit(get_settings().public_url).netloc, request.headers.get("host", "")}
    return urlsplit(origin).netloc not in ours


def _lang() -> str | None:
    return pages.current_request.headers.get("accept-language")


def _page_locale() -> str:
    """An error page's language: ?lang=, else a form's lang (when the body is readable),
    else the browser's."""
    query: dict[str, str] = dict(pages.current_request.query_params or {})
    requested = query.get("lang")
    if not requested and pages.current_request.method == "POST":
        raw = pages.current_request.raw_body or b""
        if isinstance(raw, bytes) and len(raw) <= 64 * 1024:
            requested = dict(parse_qsl(raw.decode("utf-8", "replace"))).get("lang")
    return negotiate(requested, _lang(), "fi")


def link_page(purpose: str):
    """A personal page opened from a message link (chalicelib/api/link_pages.py): the link
    answers with the redirect that moves its token into a cookie; at the link's own
    address the view gets the token (from the cookie) and that address. Inside html_view."""

    def wrap(fn):
        @functools.wraps(fn)
        def view(token):
            opened = link_pages.open_page(pages.current_request, token, purpose)
            return opened if isinstance(opened, Response) else fn(*opened)

        return view

    return wrap


def html_view(fn):
    """Render RebookError as a localized error page with its 4xx status (a 429 or 503 with
    Retry-After and the client's own words); a fault of the database is a 503 too."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            try:
                return fn(*args, **kwargs)
            except Exception as e:
                from chalicelib.store.faults import unavailable_for

                busy = None if isinstance(e, RebookError) else unavailable_for(e)
                if busy is None:
                    raise
                logger().warning("database unavailable", extra={"view": fn.__name__, "error": type(e).__name__})
                raise busy from e
        except RebookError as e:
            locale = _page_locale()
            t = words(locale)
            message = shown(e, t).message
            biz, heading = {"name": "Rebook"}, None
            if isinstance(e, link_pages.NotOnThisDevice):
                # Not an error of hers: the page's own address opened without its link.
                biz, heading = views.salon_of(e.business_id) or biz, t["link_again_title"]
            elif e.salon_hint:  # a link cut short or mistyped: whose it looks like
                biz = views.salon_of(e.salon_hint) or biz
            return _html(
                views.render("error.html", t=t, locale=locale, message=message, biz=biz, heading=heading),
                e.status,
                e.retry_after,
            )
        except Exception:
            logger().exception("page failed", extra={"view": fn.__name__})
            locale = _page_locale()
            t = words(locale)
            return _html(
                views.render(
                    "error.html", t=t, locale=locale, biz={"name": "Rebook"}, message=t["err_generic"], heading=None
                ),
                500,
            )

    return wrapper


@pages.route("/book/{slug}", methods=["GET"])
@html_view
def book_page(slug):
    return _html(views.book_page(slug, pages.current_request.query_params or {}, _lang()))


@pages.route("/book/{slug}", methods=["POST"], content_types=FORM)
@html_view
def book_submit(slug):
    from chalicelib.api.public import client_ip

    status, body, retry_after = views.book_submit(slug, _form(), _lang(), client_ip(pages.current_request))
    if isinstance(body, views.Booked):  # booked: redirect after POST, so a reload never posts again
        return _to_booked(body)
    return _html(body, status, retry_after)


def _to_booked(booked: Booked) -> Response:
    """The 303 to where a booking made on a page is shown: at the visit's own address with
    the manage token handed over in its cookie (link_pages.py), so the address bar never
    shows it; the widget's frame (no hand-over) at the token's."""
    if booked.hand_over:
        return link_pages.handing_over(booked.location, booked.hand_over, "manage")
    return Response(body="", status_code=303, headers={"Location": booked.location, "Cache-Control": "no-store"})


@pages.route("/m/{token}/booked", methods=["GET"])
@html_view
def booked(token):
    """At the visit's own address with her cookie (the redirect of the booking page or of
    a waitlist offer's page), or at the token's (the widget's frame, a payment)."""
    address = f"{links.root()}/m/{token}/booked"  # as asked for: the visit's own, or the token's
    token = link_pages.token_at(pages.current_request, token, "manage")
    return _html(views.booked_page(token, pages.current_request.query_params or {}, _lang(), address))


@pages.route("/m/{token}", methods=["GET"])
@html_view
@link_page("manage")
def manage(token, address):
    """The link from a message moves its token into a cookie; the visit's address shows
    the page (chalicelib/api/link_pages.py)."""
    params: dict[str, str] = dict(pages.current_request.query_params or {})
    locale = negotiate(params.get("lang"), _lang(), "fi")
    note = (
        words(locale).get(params.get("done", ""))
        if params.get("done") in ("cancelled", "moved", "reminders_on", "reminders_off", "confirmed")
        else None
    )
    return _html(views.manage_page(token, params, _lang(), status_note=note, address=address))


def _manage(token: str, query: dict[str, str]) -> str:
    """The manage page after a change (redirect after POST)."""
    return f"{links.root()}/m/{token}?" + urlencode(query)


def _after_change(token: str, form: dict, action):
    try:
        action()
    except RebookError as e:
        if e.status in (409, 422):
            return _html(views.manage_page(token, form, _lang(), failure=e), e.status)
        raise
    return None


@pages.route("/m/{token}/calendar.ics", methods=["GET"])
@html_view
def booking_calendar(token):
    from chalicelib.services.booking import manage

    return Response(
        body=manage.booking_ics(token),
        status_code=200,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Cache-Control": "no-store",
            "Content-Disposition": 'attachment; filename="booking.ics"',
        },
    )


@pages.route("/m/{token}/cancel", methods=["POST"], content_types=FORM)
@html_view
def cancel(token):
    from chalicelib.services.booking import manage

    form = _form()
    body = {"reason": form["reason"]} if form.get("reason", "").strip() else {}
    failed = _after_change(token, form, lambda: manage.cancel_booking(token, body))
    return failed or Response(
        body="",
        status_code=303,
        headers={"Location": _manage(token, {"done": "cancelled", "lang": form.get("lang", "")})},
    )


@pages.route("/m/{token}/reschedule", methods=["POST"], content_types=FORM)
@html_view
def reschedule(token):
    from chalicelib.services.booking import manage

    form = _form()
    failed = _after_change(token, form, lambda: manage.reschedule_booking(token, {"start": form.get("start", "")}))
    return failed or Response(
        body="",
        status_code=303,
        headers={"Location": _manage(token, {"done": "moved", "lang": form.get("lang", "")})},
    )


@pages.route("/m/{token}/reminders", methods=["POST"], content_types=FORM)
@html_view
def reminders(token):
    from chalicelib.services.booking import manage

    form = _form()
    failed = _after_change(token, form, lambda: manage.set_reminders(token, form.get("reminders") == "on"))
    done = "reminders_on" if form.get("reminders") == "on" else "reminders_off"
    return failed or Response(
        body="",
        status_code=303,
        headers={"Location": _manage(token, {"done": done, "lang": form.get("lang", "")}) + "#reminders"},
    )


@pages.route("/h/{token}", methods=["GET"])
@html_view
@link_page("hold")
def hold_page(token, address):
    """A held booking's confirmation link: a page with a button (a GET never confirms:
    link scanners open links too), at the booking's own address with the link's token in
    a cookie (chalicelib/api/link_pages.py); the button posts to the token's address."""
    return _html(views.hold_page(token, pages.current_request.query_params or {}, _lang(), address), framed=False)


@pages.route("/h/{token}", methods=["POST"], content_types=FORM)
@html_view
def hold_confirm(token):
    from chalicelib.services.booking import holds

    form = _form()
    view = holds.confirm(token)
    query = urlencode({"done": "confirmed", "lang": form.get("lang", "")})
    return Response(body="", status_code=303, headers={"Location": f"{view['manage_url']}?{query}"})


@pages.route("/book/{slug}/waitlist", methods=["GET"])
@html_view
def waitlist_form(slug):
    """ "Notify me" when no time fits: the waitlist form for the chosen service."""
    return _html(views.waitlist_form(slug, pages.current_request.query_params or {}, _lang()))


@pages.route("/book/{slug}/waitlist", methods=["POST"], content_types=FORM)
@html_view
def waitlist_join(slug):
    form = _form()
    status, body = views.waitlist_submit(slug, form, _lang())
    if status == 201 and form.get("embed") == "1":
        # In the widget's frame a cookie is a third party's: her entry's page at once, from
        # the token itself (as the frame's booking is shown: views.booked_location).
        token = body.rsplit("/", 1)[1]
        return _html(views.waitlist_page(token, {"lang": form.get("lang", ""), "embed": "1"}, _lang()))
    if status == 201:  # on the list: its own page (redirect after POST), the link's token in its cookie
        return link_pages.back_to_page(body.rsplit("/", 1)[1], "waitlist", {"lang": form.get("lang", "")})
    return _html(body, status)


@pages.route("/w/{token}", methods=["GET"])
@html_view
@link_page("waitlist")
def waitlist_entry(token, address):
    """A waitlist entry's link: see it; leaving is the page's POST. At the entry's own
    address with the link's token in a cookie (chalicelib/api/link_pages.py)."""
    return _html(views.waitlist_page(token, pages.current_request.query_params or {}, _lang(), address=address))


@pages.route("/w/{token}", methods=["POST"], content_types=FORM)
@html_view
def waitlist_leave(token):
    from chalicelib.services.waitlist import join

    form = _form()
    join.leave(token)
    return link_pages.back_to_page(token, "waitlist", {"lang": form.get("lang", "")})


@pages.route("/o/{token}", methods=["GET"])
@html_view
@link_page("offer")
def offer(token, address):
    """A waitlist offer's link: the time and one button (a GET never books). At the
    offer's own address with the link's token in a cookie; `taken=1` after the time went
    to someone else (the next free time that suits her is looked up again)."""
    from chalicelib.services.waitlist import offers

    params: dict[str, str] = dict(pages.current_request.query_params or {})
    taken = offers.next_after_taken(token) if params.get("taken") == "1" else None
    return _html(views.offer_page(token, params, _lang(), taken=taken, address=address), framed=False)


@pages.route("/o/{token}/book", methods=["POST"], content_types=FORM)
@html_view
def offer_book(token):
    from chalicelib.domain.digits import whole_number
    from chalicelib.errors import Conflict
    from chalicelib.services.waitlist import offers

    form = _form()
    ticked = whole_number(form.get("accept_terms"))  # the payment terms' version she ticked
    try:
        _, booked = offers.book(token, {} if ticked is None else {"accepted_payment_terms": ticked})
    except Conflict as e:
        if e.code != "offer_taken":
            raise
        return link_pages.back_to_page(token, "offer", {"taken": "1", "lang": form.get("lang", "")})
    except RebookError as e:
        if e.status != 422:  # the terms not ticked: the offer again, saying so
            raise
        return _html(views.offer_page(token, form, _lang(), failure=e), e.status, framed=False)
    # As a booking made on the booking page: on to the pay page while it is held for her
    # payment, else her confirmation (the token in its cookie).
    return _to_booked(views.after_booking(booked, negotiate(form.get("lang"), _lang(), "fi"), embed=False))


@pages.route("/o/{token}/leave", methods=["POST"], content_types=FORM)
@html_view
def offer_leave(token):
    from chalicelib.services.waitlist import offers

    form = _form()
    offers.leave(token)
    return link_pages.back_to_page(token, "offer", {"lang": form.get("lang", "")})


@pages.route("/f/{token}", methods=["GET"])
@html_view
@link_page("feedback")
def feedback_page(token, address):
    """Opens with the star from the link chosen; records nothing (scanners open links).
    At the visit's address, as the manage page; `sent`: her rating sent, the thanks."""
    params = dict(pages.current_request.query_params or {})
    thanked = views.feedback_thanks(token, params, _lang(), address) if params.get("sent") else None
    if thanked is not None:
        return _html(thanked, framed=False)
    return _html(views.feedback_page(token, params, _lang(), address=address), framed=False)


@pages.route("/f/{token}", methods=["POST"], content_types=FORM)
@html_view
def feedback_submit(token):
    form = _form()
    status, body = views.feedback_submit(token, form, _lang())
    if status == 303:  # saved: to the visit's own page, which thanks her in her language (`body`)
        return link_pages.back_to_page(token, "feedback", {"lang": body, "sent": "1"})
    return _html(body, status, framed=False)


@pages.route("/u/{token}", methods=["GET"])
@html_view
@link_page("unsubscribe")
def unsubscribe_page(token, address):
    """Opens the page; withdraws nothing (scanners open links). At the link's own address,
    its token in a cookie (chalicelib/api/link_pages.py); the button posts to the token's."""
    return _html(
        views.unsubscribe_page(token, pages.current_request.query_params or {}, _lang(), address), framed=False
    )


@pages.route("/u/{token}", methods=["POST"], content_types=FORM + ["multipart/form-data"])
@html_view
def unsubscribe_submit(token):
    """From the page, or RFC 8058 one-click: the mail client POSTs List-Unsubscribe=One-Click;
    from the page too, `subscribe=again`: she changed her mind."""
    form = _form()
    one_click = form.get("List-Unsubscribe") == "One-Click" or b"One-Click" in raw_body(pages.current_request)
    if one_click:  # the mail client's: the answer is the page itself
        return _html(views.unsubscribe_submit(token, form, _lang(), one_click), framed=False)
    from chalicelib.services import unsubscribe

    again = form.get("subscribe") == "again"  # she changed her mind: consent given again
    if again and _from_another_site(pages.current_request):
        # Not from her page: to her page, where the button is hers to press.
        return link_pages.back_to_page(token, "unsubscribe", {"lang": form.get("lang", "")})
    if again:
        unsubscribe.resubscribe(token)
    else:
        unsubscribe.unsubscribe(token, one_click=False)
    # From the page: back to the link's own address (redirect after POST), which says it is done.
    return link_pages.back_to_page(token, "unsubscribe", {"lang": form.get("lang", ""), "again": "1" if again else ""})


@pages.route("/l/{token}", methods=["GET"])
@html_view
@link_page("card")
def card_page(token, address):
    """The client's stamp card, rewards (each with a booking link) and referral link: the
    link's token moves to a cookie of the card's own address (chalicelib/api/link_pages.py)."""
    return _html(
        views.card_page(token, pages.current_request.query_params or {}, _lang(), address=address), framed=False
    )


_STATIC = Path(__file__).resolve().parent.parent / "static"


@functools.lru_cache(maxsize=4)
def _static(name: str) -> str:
    return (_STATIC / name).read_text(encoding="utf-8")


def _script(name: str) -> Response:
    return Response(
        body=_static(name),
        status_code=200,
        headers={
            "Content-Type": "application/javascript; charset=utf-8",
            "Cache-Control": "public, max-age=300",
            "Access-Control-Allow-Origin": "*",
            "X-Content-Type-Options": "nosniff",
        },
    )


@pages.route("/widget.js", methods=["GET"])
def widget():
    """The embeddable booking widget (docs/widget.md)."""
    return _script("widget.js")


@pages.route("/static/page.js", methods=["GET"])
def page_script():
    """The client pages' one small script: says when the visitor's time zone differs."""
    return _script("page.js")


@pages.route("/static/img/{name}", methods=["GET"])
def business_image(name):
    """A business image (chalicelib/pages/media.py): its name carries its content hash,
    so it is cached for a year; only the files of the image set are served."""
    from chalicelib.pages import media

    if name not in media.files():  # in the documented shape (an empty body was not JSON)
        return error_response(NotFound("No such image.", code="image_not_found"))
    return Response(
        body=_image_bytes(name),
        status_code=200,
        headers={
            "Content-Type": "image/webp",
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )


@functools.lru_cache(maxsize=32)
def _image_bytes(name: str) -> bytes:
    return (_STATIC / "img" / name).read_bytes()


@pages.route("/favicon.ico", methods=["GET"])
def favicon():
    """Browsers ask every page's host for it: no icon, but no error either."""
    return Response(body="", status_code=204, headers={"Cache-Control": "public, max-age=86400"})


# The visit's own pages (/m/m.<business>.<appointment>) may be crawled: a crawler holds
# no cookie and finds a 403 there (chalicelib/api/link_pages.py). Addresses with a
# token in them (four dots: a manage link, its confirmation page, a feedback link) and
# the other link pages are kept out.
ROBOTS = """User-agent: *
Allow: /book/
Disallow: /m/*.*.*.*.
Disallow: /f/*.*.*.*.
Disallow: /h/
Disallow: /u/
Disallow: /l/
Disallow: /w/
Disallow: /o/
Disallow: /api/
Disallow: /admin
"""


@pages.route("/robots.txt", methods=["GET"])
def robots():
    """Booking pages may be indexed; the personal link pages and the APIs not."""
    return Response(
        body=ROBOTS,
        status_code=200,
        headers={"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "public, max-age=86400"},
    )
