"""A visit's (and a stamp card's) own pages at an address without the link's secret.

The manage, feedback, hold confirmation, unsubscribe, stamp card, waitlist entry and
waitlist offer links in messages (`/m/<token>`, `/f/<token>`, `/h/<token>`, `/u/<token>`,
`/l/<token>`, `/w/<token>`, `/o/<token>`) answer with a redirect to the link's own
address — the token without its expiry and signature, `/m/m.<business>.<appointment>`,
`/l/k.<business>.<client>`, `/w/w.<business>.<entry>` — and the token in a cookie kept for that one path
(HttpOnly, SameSite=Lax) until the link expires. The page is served there to the
browser holding the cookie; without it, a 403 page asks her to open the link from her
message again and names the salon, with its phone. So the secret stays out of the
address bar, the history, a bookmark or screenshot she shares, and a search engine's
crawler (it keeps no cookies) only ever finds that 403 at the visit's address: her page
needs neither noindex nor a robots.txt rule, and passes Lighthouse's crawlability audit
(issue 17). Forms on the page still post to the token's address (the page's HTML is
hers alone: no-store), and answer with a redirect back to the own address.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from chalice import Response
from chalice.app import Request

from chalicelib import clock, links
from chalicelib.domain import tokens
from chalicelib.errors import Forbidden, Gone
from chalicelib.settings import get_settings

COOKIE = "link"
# As the page's own service answers an old link.
_EXPIRED = {"feedback": Gone, "card": Gone, "hold": Gone, "unsubscribe": Gone, "offer": Gone}


class NotOnThisDevice(Forbidden):
    """The visit's address without its cookie: the 403 page names the salon (and its
    phone) of the address, so a client on another device still knows whom to call."""

    def __init__(self, business_id: str):
        super().__init__("Open the link in your message on this device.", code="link_not_on_this_device")
        self.business_id = business_id


def _is_key(segment: str, purpose: str) -> bool:
    parts = segment.split(".")
    return len(parts) == 3 and parts[0] == tokens.PURPOSES[purpose] and all(tokens.is_id_part(p) for p in parts[1:])


def _cookie(request: Request, segment: str) -> str | None:
    """The link's token this browser holds for the visit's address `segment`. Read by hand:
    http.cookies stops at the first cookie it finds malformed (another app's on the same
    domain), which would lose hers."""
    for part in (request.headers.get("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and links.visit_address(value.strip()) == segment:
            return value.strip()
    return None


def cookie(token: str, purpose: str) -> str:
    """The Set-Cookie that hands a valid link's token to its visit's address, until the
    link expires (a bad or expired link raises the 4xx its page answers with)."""
    now = clock.now()
    claims = links.claims_or_4xx(token, purpose, now, expired=_EXPIRED.get(purpose))
    secure = "; Secure" if get_settings().public_url.startswith("https://") else ""
    max_age = max(1, int((claims.expires - now).total_seconds()))
    return f"{COOKIE}={token}; Path={links.visit_page(token)}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"


def token_at(request: Request, segment: str, purpose: str) -> str:
    """The link's token of a page's address: the cookie's at the visit's address (403
    without it), else the segment itself (a link's own address)."""
    if not _is_key(segment, purpose):
        return segment
    token = _cookie(request, segment)
    if token is None:
        raise NotOnThisDevice(segment.split(".")[1])
    return token


def open_page(request: Request, segment: str, purpose: str) -> tuple[str, str] | Response:
    """A personal page's (token, address) when `segment` is the visit's address and the
    browser holds its cookie; the redirect that moves a link's token into the cookie when
    it is the link (a bad or expired link raises the 4xx its page answers with)."""
    if _is_key(segment, purpose):
        return token_at(request, segment, purpose), links.visit_page(segment)
    return back_to_page(segment, purpose, request.query_params or {})


def back_to_page(token: str, purpose: str, query: Mapping[str, str]) -> Response:
    """The 303 to the link's own page (with `query`, its empty values left out) that puts
    the token in its cookie: a link opened, and a form on the page answered (redirect
    after POST: a reload repeats nothing, the address bar never shows the token)."""
    kept = urlencode({k: v for k, v in query.items() if v})
    return handing_over(links.visit_page(token) + (f"?{kept}" if kept else ""), token, purpose)


def handing_over(location: str, token: str, purpose: str) -> Response:
    """The 303 to `location` (under the link's own address) that puts the link's token in
    its cookie: a link opened, a booking made on the page, an unsubscribe from it."""
    return Response(
        body="",
        status_code=303,
        headers={
            "Location": location,
            "Set-Cookie": cookie(token, purpose),
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex",
        },
    )
