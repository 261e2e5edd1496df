"""Links Rebook sends: signed tokens and the URLs that carry them.

The signing secret comes from REBOOK_LINK_SECRET locally and in tests, and from
Secrets Manager (REBOOK_LINK_SECRET_ID, read through Powertools Parameters, cached for
five minutes) in AWS.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit

from chalicelib.domain import tokens
from chalicelib.domain.ids import could_be_id
from chalicelib.settings import get_settings

MANAGE_VALID_AFTER_VISIT = timedelta(days=30)


@lru_cache(maxsize=1)
def _secret_from_secrets_manager(secret_id: str) -> str:
    from aws_lambda_powertools.utilities import parameters

    return parameters.get_secret(secret_id, max_age=300)


def forget_secret() -> None:
    """Drop the secret read from Secrets Manager (before a SnapStart snapshot:
    chalicelib/snapshot.py); the next link reads it again."""
    import sys

    _secret_from_secrets_manager.cache_clear()
    parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters")
    if parameters is not None:  # Powertools' own cache of it
        parameters.clear_caches()


def link_secret() -> str:
    s = get_settings()
    if s.link_secret:
        return s.link_secret
    if s.link_secret_id:
        return _secret_from_secrets_manager(s.link_secret_id)
    raise RuntimeError("No link-signing secret: set REBOOK_LINK_SECRET or REBOOK_LINK_SECRET_ID")


def root() -> str:
    """The path the app is served under: "" at a domain's root, "/api" at API Gateway's
    own address (its stage). The client pages' links and redirects start with it."""
    return urlsplit(get_settings().public_url).path.rstrip("/")


# The page of a link's own address, by the token's purpose code (domain/tokens.py).
_PAGE_OF = {"m": "m", "f": "f", "k": "l"}


def visit_address(token: str) -> str | None:
    """A manage, feedback, hold or stamp card link's own address: its token without expiry and
    signature (`m.<business>.<appointment>`, `k.<business>.<client>`), where its page is
    served to the browser holding the token's cookie (chalicelib/api/link_pages.py);
    None for what is not token-shaped."""
    parts = token.split(".")
    return ".".join(parts[:3]) if len(parts) == 5 else None


def visit_page(token_or_address: str) -> str:
    """The path of a link's own address (`/m/m.<business>.<appointment>`,
    `/l/k.<business>.<client>`, under root), from its token or the address itself."""
    address = visit_address(token_or_address) or token_or_address
    code = address.split(".")[0]
    return f"{root()}/{_PAGE_OF.get(code, code)}/{address}"


def manage_token(business_id: str, appointment_id: str, visit_end: datetime) -> str:
    # Deterministic for a given booking, so an idempotent replay returns the same link.
    return tokens.make_token(link_secret(), "manage", business_id, appointment_id, visit_end + MANAGE_VALID_AFTER_VISIT)


def manage_url(token: str) -> str:
    return f"{get_settings().public_url}/m/{token}"


def pay_url(token: str) -> str:
    """The pay page of a booking held while the client pays (the manage token)."""
    return f"{get_settings().public_url}/pay/{token}"


def hold_token(business_id: str, appointment_id: str, visit_end: datetime) -> str:
    """The confirmation link of a held booking: only in the message sent to the client's
    contact, never in the booking's answer (clicking it proves the contact is hers).
    Valid until the visit, so a second click after the hold still says "confirmed";
    whether the hold is still ahead is the booking's to tell."""
    return tokens.make_token(link_secret(), "hold", business_id, appointment_id, visit_end)


def hold_url(token: str) -> str:
    return f"{get_settings().public_url}/h/{token}"


def feedback_token(business_id: str, appointment_id: str, visit_end: datetime) -> str:
    from chalicelib.domain.feedback import LINK_VALID

    return tokens.make_token(link_secret(), "feedback", business_id, appointment_id, visit_end + LINK_VALID)


def feedback_url(token: str, rating: int | None = None) -> str:
    return f"{get_settings().public_url}/f/{token}" + (f"?r={rating}" if rating else "")


def waitlist_token(business_id: str, entry_id: str, expires: datetime) -> str:
    """A waitlist entry's page: see it, leave the list. Valid a little past its last day."""
    return tokens.make_token(link_secret(), "waitlist", business_id, entry_id, expires)


def waitlist_url(token: str) -> str:
    return f"{get_settings().public_url}/w/{token}"


def offer_token(business_id: str, offer_id: str, expires: datetime) -> str:
    """A waitlist offer's one-tap booking page; it expires with the offer."""
    return tokens.make_token(link_secret(), "offer", business_id, offer_id, expires)


def offer_url(token: str) -> str:
    return f"{get_settings().public_url}/o/{token}"


CLIENT_LINK_VALID = timedelta(days=730)  # links about the client, not one visit


def unsubscribe_token(business_id: str, client_id: str, now: datetime) -> str:
    return tokens.make_token(link_secret(), "unsubscribe", business_id, client_id, now + CLIENT_LINK_VALID)


def unsubscribe_url(token: str) -> str:
    return f"{get_settings().public_url}/u/{token}"


def card_token(business_id: str, client_id: str, now: datetime) -> str:
    """The client's loyalty card page; also proves her rewards are hers when booking."""
    return tokens.make_token(link_secret(), "card", business_id, client_id, now + CLIENT_LINK_VALID)


def card_url(token: str) -> str:
    return f"{get_settings().public_url}/l/{token}"


def referral_token(business_id: str, client_id: str, now: datetime) -> str:
    return tokens.make_token(link_secret(), "referral", business_id, client_id, now + CLIENT_LINK_VALID)


REBOOK_VALID = timedelta(days=120)  # a "book again" link in a message


def rebook_token(business_id: str, client_id: str, expires: datetime) -> str:
    """A "book again" link's proof of who she is: the booking page fills in her name and
    contact from it (her details never travel in the URL)."""
    return tokens.make_token(link_secret(), "rebook", business_id, client_id, expires)


def rebook_url(slug: str, business_id: str, client_id: str, expires: datetime, **prefill: str | None) -> str:
    """The booking page with service and staff chosen and her details filled in."""
    return book_url(slug, **prefill, again=rebook_token(business_id, client_id, expires))


def book_url(slug: str, **prefill: str | None) -> str:
    query = urlencode({k: v for k, v in prefill.items() if v})
    return f"{get_settings().public_url}/book/{slug}" + (f"?{query}" if query else "")


def widget_snippet(slug: str) -> str:
    """The one line a business puts on its own website for the booking button
    (docs/widget.md); the slug is [a-z0-9-], nothing to escape."""
    return f'<script src="{get_settings().public_url}/widget.js" data-business="{slug}" async></script>'


def shorter_book_urls(url: str) -> list[str]:
    """Shorter links to the booking page of `url`, longest first, for a text message with
    no room for it: without the token that fills in her details (she types them), then
    the page alone (she chooses the service again). [] for a link with nothing to drop."""
    parts = urlsplit(url)
    if not parts.query:
        return []
    kept = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "again"])
    forms = [parts._replace(query=kept).geturl()] if kept and kept != parts.query else []
    return [*forms, parts._replace(query="").geturl()]


def read(token: str, purpose: str, now: datetime) -> tokens.LinkClaims:
    return tokens.read_token(link_secret(), token, purpose, now)


def claims_or_4xx(token: str, purpose: str, now: datetime, expired=None) -> tokens.LinkClaims:
    """The link's claims, or the 4xx every page and API answers a bad link with: 404 for
    forged, malformed and other-purpose tokens; `expired` (default 404) for an old one."""
    from chalicelib.errors import NotFound, RebookError

    try:
        return read(token, purpose, now)
    except tokens.TokenError as e:
        err: RebookError
        if e.reason == "expired":
            err = (expired or NotFound)("This link has expired.", code="token_expired")
        else:
            err = NotFound("This link is not valid.", code=f"token_{e.reason}")
        # Whose link it looks like (cut short by an SMS, mistyped): the error page names that
        # salon and its phone, nothing of the visit. Unverified, so only ever public facts.
        parts = token.split(".") if isinstance(token, str) else []
        err.salon_hint = parts[1] if len(parts) > 1 and could_be_id(parts[1]) else None
        raise err from None
