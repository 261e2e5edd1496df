"""Server-rendered client pages: book from a link, manage a booking from a message.

They work without JavaScript: every step is a GET with query parameters, every
action a POST from a form (GET never changes anything). They call the same use
cases as the JSON API, so the rules are the same.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from markupsafe import Markup, escape

from chalicelib import clock, links
from chalicelib.domain import plaintext
from chalicelib.domain.booking import (
    AWAITING_CONFIRMATION,
    PerkNotApplied,
    Status,
    cancellation_deadline,
    change_deadline,
    offers_change,
)
from chalicelib.domain.clients import Client
from chalicelib.domain.config import WEEKDAYS, Business, Perk, Service
from chalicelib.domain.contacts import meant_address
from chalicelib.domain.digits import whole_number
from chalicelib.domain.locales import LOCALES, negotiate
from chalicelib.domain.timeutil import iso_local, parse_instant, within_days_kept
from chalicelib.domain.waitlist import MAX_DAYS
from chalicelib.errors import NotFound, RebookError, SlotTaken
from chalicelib.notify.localtime import (
    NBSP,
    TEMPLATE_FILTERS,
    clock_text,
    format_day,
    format_local,
    format_price,
    format_time,
    with_counts,
)
from chalicelib.pages import media
from chalicelib.pages.errors import WAITLIST_FIELDS, shown
from chalicelib.pages.i18n import words
from chalicelib.services.booking import availability, book, manage, pricing
from chalicelib.services.booking import profile as profiles
from chalicelib.services.booking.pricing import Quote
from chalicelib.services.booking.views import named_in


@lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("chalicelib.pages", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(TEMPLATE_FILTERS)
    env.filters["sentence"] = sentence
    env.filters["kept"] = kept
    env.filters["fill"] = fill
    env.filters["unit"] = unit
    env.filters["city"] = city_of
    env.globals["locales"] = LOCALES
    return env


def kept(value: object) -> Markup:
    """A date-time or a price (range) kept on one line where the line has room for it
    ("ma 7.12. klo 10.00", not "ma 7.12. klo" over "10.00"): a page's only (the layout's
    `.keep`, an inline block: wider than its column, it still wraps rather than overflow)."""
    return Markup(KEEP_OPEN + "{}" + KEEP_CLOSE).format(value)


def unit(number: object, word: str) -> str:
    """A number and its unit with a no-break space between ('150 min'): never split across
    lines on a narrow phone, as a price is not (notify/localtime.py NBSP)."""
    return f"{number}{NBSP}{word}"


KEEP_OPEN, KEEP_CLOSE = '<span class="keep">', "</span>"
# The punctuation right after a placeholder ("until {time}."), moved into a kept value's
# span: an inline block may end a line, and a client's walk found "kl. 13.27" on one line
# and its full stop alone on the next (a word joiner does not hold it in Chromium).
_PUNCTUATION_AFTER = re.compile(r"\{(\w+)\}([.,:;!?)]+)")


def fill(text: str, **values: object) -> Markup:
    """A sentence from the strings with its values filled in, escaped, a `kept` value kept
    (with the punctuation that follows it)."""

    def keep_with(m: re.Match[str]) -> str:
        name, punctuation = m.group(1), m.group(2)
        v = values.get(name)
        if not (isinstance(v, Markup) and v.startswith(KEEP_OPEN) and v.endswith(KEEP_CLOSE)):
            return m.group(0)
        values[name] = Markup(str(v)[: -len(KEEP_CLOSE)] + str(escape(punctuation)) + KEEP_CLOSE)
        return "{" + name + "}"

    return Markup(escape(_PUNCTUATION_AFTER.sub(keep_with, text))).format(**values)


def render(template: str, **ctx) -> str:
    """A page; `root` starts its own links (links.root: "" unless served under a path)."""
    return _env().get_template(template).render(root=links.root(), **ctx)


def compile_templates() -> None:
    """Compile every page's template now (chalicelib/snapshot.py: into the snapshot)."""
    env = _env()
    for name in env.list_templates():
        env.get_template(name)


def city_of(zone: str) -> str:
    """What a client reads instead of an IANA zone name: 'Europe/Helsinki' -> 'Helsinki'."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def _instant_param(value: str) -> bool:
    """Whether a link's `start` is a time with its offset (anything else: a 200 page that
    asks her to choose a time, never a 500)."""
    try:
        parse_instant(value)
    except ValueError:
        return False
    return True


def _date_param(value: str | None) -> date | None:
    """A link's day, or None (not one, or out of the calendar Rebook keeps: as not given)."""
    try:
        day = date.fromisoformat(value) if value and len(value) == 10 else None
    except ValueError:
        return None
    return day if day and within_days_kept(day) else None


def book_page(
    slug: str, params: dict, accept_language: str | None, typed: dict | None = None, error: str | None = None
) -> str:
    """The booking page's step for `params` (service, staff, start: a GET link); `typed`,
    the details she already typed (a time chosen after losing a race, or a form sent
    with no time it could book: book_submit), and `error`, what to tell her of it."""
    profile = profiles.public_profile(slug)
    b = profiles.business(slug)
    locale = negotiate(params.get("lang"), accept_language, b.config.locale)
    t = words(locale)
    profile = {**profile, "city": city_of(profile["timezone"])}
    ctx: dict[str, Any] = {
        "t": t,
        "locale": locale,
        "biz": profile,
        "params": params,
        "step": "service",
        "error": error,
    }
    # "Book again" (a nudge, a win-back) and her stamp card's reward link prove who she is:
    # read once, for her details and her next booked visit.
    linked = _client_of_link(b, params.get("again")) or _client_of_link(b, params.get("card"), "card")
    found, trouble = read_link(b, params)  # her link's perk, or why it gives none: said on every step
    service_id, staff_id, start = params.get("service"), params.get("staff") or "", params.get("start")
    service = b.config.service(service_id or "")
    if service and staff_id and not b.config.does(staff_id, service.id):
        # A link naming a stylist who no longer does it (left, or an imported visit's
        # unknown one): anyone's times, not an error she cannot mend.
        staff_id = ""
        params = {**params, "staff": ""}
        ctx["params"] = params
    if service:
        ctx["service"] = chosen_service(profile, b, service.id)
        ctx["step"] = "time"
        ctx["waitlist"] = b.config.waitlist.enabled
        if start and not _instant_param(start):  # a link cut short or mangled: choose again
            ctx["error"], start = t["start_not_a_time"], None
        # A link's time opens its own day: the times it is checked against are the page's.
        day = parse_instant(start).astimezone(b.config.tz).date() if start else _date_param(params.get("date"))
        try:
            ctx["times"] = availability.time_step(
                slug, service.id, staff_id or None, day, _date_param(params.get("from"))
            )
        except RebookError as e:
            ctx["error"] = shown(e, t).message
            ctx["times"] = {"days": [], "slots": [], "day": None}
        if start and not offered(ctx["times"], start):  # past, off the grid, too far ahead, taken
            # Taken by her a moment ago (a reload mid-booking, back after it): static/page.js
            # names her booking if this device just made it (book.html "booked-here").
            ctx["lost_start"] = start
            ctx["error"], start = ctx["error"] or t["start_not_offered"], None
        if start:
            ctx["step"] = "details"
            ctx["start"] = start
            member = b.config.staff_member(staff_id) if staff_id else None
            ctx["staff_name"] = member.name if member else None
            ctx["idempotency_key"] = new_form_key()
            ctx["policy"] = change_policy(b, start, t, locale)
            # The price, the perk and the terms she ticks: as the booking computes them.
            ctx["perk"], priced = perk_shown(b, service, found, locale)
            ctx["payment_terms"] = payment_terms(b, service.id, start, t, locale, priced)
            known = None if typed else _details_of(linked, b.config.home_country)
            if typed:
                ctx["form"] = typed
            elif known:
                ctx["form"], ctx["welcome"] = known, t["welcome_back"].format(name=known["first_name"])
        elif typed:  # her details carried on through the times (picked_again), never in a link
            ctx["kept"] = typed
    elif typed:  # no service of hers (book_submit): the services, her details carried on with them
        ctx["kept"] = typed
    ctx["ahead"] = booked_ahead(b, linked, locale)
    ctx["perk_trouble"] = trouble.words(t) if trouble else None  # on every step: she can still book
    if ctx["step"] != "details":  # the details step says it beside the price
        ctx["perk_arrival"] = perk_on_arrival(b, found, locale, t)
    if ctx["step"] == "service":  # the shop window opens the page; the later steps stay lean
        ctx["shop"] = shop_window(b, locale, t)
    link = ctx["link"] = lambda **kw: (
        f"{links.root()}/book/{slug}?" + urlencode({k: v for k, v in {**params, **kw}.items() if v})
    )
    ctx["day_href"] = lambda d: link(date=d, start="", **{"from": ""})
    ctx["page_href"] = lambda f: link(date="", start="", **{"from": f})
    if typed is not None or error is not None:  # the answer to her form's POST
        ctx["here"] = link()
    return render("book.html", **ctx)


def perk_on_arrival(b: Business, found: LinkPerk | None, locale: str, t: dict) -> str | None:
    """Her link's perk (read_link) said from the first step on (a client's walk: a friend's
    invitation said nothing of its -10 % until the details step)."""
    if found is None:
        return None
    from chalicelib.domain.loyalty import describe

    perk, new_only = found
    return t["perk_invited" if new_only else "perk_yours"].format(perk=describe(perk, locale, b.config.currency))


def perk_shown(
    b: Business, service: Service, found: LinkPerk | None, locale: str
) -> tuple[dict[str, Any] | None, Quote]:
    """What her link's perk (read_link: her card's reward, or a referral's welcome perk)
    takes off the price, said on the details step before she books, and the booking's
    Quote with it: its price and what it pays when booking, computed as the booking
    computes them (services/booking/pricing.py quote), so the terms she ticks are the terms
    applied. No perk (None): no link, or one that no longer gives one (the booking then
    says why); a welcome perk is a new client's only, and says so."""
    from chalicelib.domain import loyalty as perks

    if found is None:
        return None, pricing.quote(b, service, None)
    perk, new_only = found
    priced = pricing.quote(b, service, perks.PerkUse(perk, "shown"))
    shown: dict[str, Any] = {
        "description": perks.describe(perk, locale, b.config.currency),
        "new_only": new_only,
        # As the pay page and her confirmation write it: a price range's reads "from 79,50 €".
        "price_cents": priced.price_cents,
        "price_max_cents": service.price_max_cents,
        "discount_cents": priced.discount_cents,
    }
    return shown, priced


@dataclass(frozen=True)
class LinkTrouble:
    """Why the perk of her link (`card` and `reward`, or `ref`) cannot be given: the page
    says so on arrival, and books at the service's price without it (book_submit), never
    refusing the booking for it."""

    reason: PerkNotApplied  # LINK: cut short or mangled; GONE: used, expired, referrals ended
    param: str  # the link's part the booking leaves out: "reward" or "ref"

    def words(self, t: dict) -> str:
        if self.reason is PerkNotApplied.GONE:
            return t["perk_link_gone"]
        return t["perk_link_card" if self.param == "reward" else "perk_link_ref"]


# The perk her link gives and whether it is a new client's only (a referral's welcome perk).
LinkPerk = tuple[Perk, bool]


def read_link(b: Business, params: dict) -> tuple[LinkPerk | None, LinkTrouble | None]:
    """The perk of the page's link (`card` and `reward`: her card's reward; `ref`: a
    referral's welcome perk), or what is wrong with it (None, None: no perk link), read
    once a request: a link cut short by an SMS or a copy once refused every booking with
    422 "The referral link is not valid.", its `ref` kept in the form (a dead end)."""
    from chalicelib.domain import loyalty as perks
    from chalicelib.domain.booking import RewardUse
    from chalicelib.services import loyalty
    from chalicelib.store import rewards

    now = clock.now()
    if params.get("reward") or params.get("card"):
        if not params.get("reward"):  # her card alone (it fills in her details): cut short only if unreadable
            readable = _client_of_link(b, params["card"], "card") is not None
            return None, (None if readable else LinkTrouble(PerkNotApplied.LINK, "reward"))
        try:
            owner = loyalty.reward_owner(b, RewardUse(id=params["reward"], card=params.get("card") or None), "web", now)
        except (RebookError, ValueError):
            return None, LinkTrouble(PerkNotApplied.LINK, "reward")
        reward = rewards.get(b.id, owner, params["reward"]) if owner else None
        if reward is None:  # no such reward on her card: its id cut short
            return None, LinkTrouble(PerkNotApplied.LINK, "reward")
        if reward.status_on(now.astimezone(b.config.tz).date()) != perks.RewardStatus.AVAILABLE.value:
            return None, LinkTrouble(PerkNotApplied.GONE, "reward")
        return (reward.perk, False), None
    if params.get("ref"):
        try:
            referral = loyalty.referral_of(b, params["ref"], now)
        except (RebookError, ValueError):
            return None, LinkTrouble(PerkNotApplied.LINK, "ref")
        return ((referral.welcome, True), None) if referral else (None, LinkTrouble(PerkNotApplied.GONE, "ref"))
    return None, None


def offered(times: dict[str, Any], start: str) -> bool:
    """Whether a link's time (with its offset) is one of the times the page offers on its
    day (availability.time_step): the details form is for those only."""
    wanted = parse_instant(start)
    return any(parse_instant(s["start"]) == wanted for s in times.get("slots", []))


def chosen_service(profile: dict[str, Any], b: Business, service_id: str) -> dict[str, Any] | None:
    """The service she chose as the booking page's later steps show it: the public
    profile's, with the top of its price range (format_price_of)."""
    service = b.config.service(service_id)
    found = next((s for s in profile["services"] if s["id"] == service_id), None)
    if service is None or found is None:
        return None
    return {**found, "price_max_cents": service.price_max_cents}


def shop_window(b: Business, locale: str, t: dict) -> dict[str, Any]:
    """What the booking page shows a client deciding (issue 17, 9): cover, logo and
    introduction, the map link, opening hours in her language, services by category
    with descriptions and from/to prices, the staff with photo and title, the rating."""
    c, shop = b.config, b.config.shop
    categories: dict[str, list[dict[str, Any]]] = {}
    for s in c.services:
        categories.setdefault(s.category.get(locale) if s.category else "", []).append(
            {
                "id": s.id,
                "name": s.name.get(locale),
                "description": s.description.get(locale) if s.description else None,
                "duration_minutes": s.duration_minutes,
                "price_cents": s.price_cents,
                "price_max_cents": s.price_max_cents if (s.price_max_cents or 0) > s.price_cents else None,
                "payment": payment_line(b, s, t, locale),
            }
        )
    # Services with no category of their own come last, under a heading of their own where
    # others have one (headless after "Styling", a new service read as styling: an owner's walk).
    uncategorized = categories.pop("", None)
    if uncategorized:
        categories[t["services_other"] if categories else ""] = uncategorized
    return {
        "cover": media.image(shop.cover, 576),
        "logo": media.image(shop.logo, 72),
        "intro": shop.intro.get(locale) if shop.intro else None,
        "map_url": shop.map_url or "https://www.openstreetmap.org/search?query=" + quote(c.address),
        "hours": opening_hours(b, locale, t),
        "categories": list(categories.items()),
        "staff": [
            {
                "id": m.id,
                "name": m.name,
                "title": m.title.get(locale) if m.title else None,
                "photo": media.image(m.photo, 64) if m.photo else None,
                "photo_url": m.photo_url,
            }
            for m in c.staff
        ],
        "rating": profiles.rating(b),
    }


def opening_hours(b: Business, locale: str, t: dict) -> list[tuple[str, str]]:
    """The week's opening hours in her words, days with the same hours joined:
    [("ma–ti", "9.00–18.00"), ..., ("su", "suljettu")]."""
    rows: list[tuple[list[str], str]] = []
    for day in WEEKDAYS:
        hours = b.config.opening_hours.for_weekday(WEEKDAYS.index(day))
        text = ", ".join(f"{_clock(i.start, locale)}–{_clock(i.end, locale)}" for i in hours) if hours else t["closed"]
        if rows and rows[-1][1] == text:
            rows[-1][0].append(day)
        else:
            rows.append(([day], text))
    names = {d: t[f"weekday_{d}"] for d in WEEKDAYS}
    return [(names[days[0]] if len(days) == 1 else f"{names[days[0]]}–{names[days[-1]]}", text) for days, text in rows]


def _clock(minutes: int, locale: str) -> str:
    """An opening time, minutes from midnight, as every other time is written (clock_text)."""
    return clock_text(*divmod(minutes, 60), locale)


def _client_of_link(b: Business, token: str | None, purpose: str = "rebook") -> Client | None:
    """The client a "book again" link's token or her stamp card's (`purpose`; signed, for
    this business, unexpired) is of; None for anything else, and the page is then the
    ordinary one (a bad link costs her only the typing)."""
    from chalicelib.domain import tokens
    from chalicelib.store import clients

    if not token:
        return None
    try:
        claims = links.read(token, purpose, clock.now())
    except tokens.TokenError:
        return None
    c = clients.get_client(b.id, claims.subject) if claims.business_id == b.id else None
    return None if c is None or c.erased_at is not None else c


def _details_of(c: Client | None, home: str) -> dict[str, str] | None:
    """Her name and contact for the details form, from her link (_client_of_link): her
    phone as she writes it ("040 7654321" in the salon's country, not "+358407654321")."""
    from chalicelib.domain.contacts import first_name, phone_display

    if c is None:
        return None
    phone = phone_display(c.phone, home) or ""
    return {"name": c.name, "first_name": first_name(c.name) or c.name, "phone": phone, "email": c.email or ""}


def booked_ahead(b: Business, c: Client | None, locale: str) -> dict[str, str] | None:
    """Her next booked visit, when the page is opened from her own link (book again, a
    nudge, a win-back, her stamp card): an owner's walk found a nudge's link, opened again,
    book the same visit twice without a word of the first. Its time and service only (no
    link to change it: that is her confirmation's)."""
    from chalicelib.domain.contacts import first_name
    from chalicelib.domain.visits import outcome
    from chalicelib.store import bookings

    if c is None:
        return None
    now = clock.now()
    ahead = [
        a
        for a in bookings.client_history(b.id, c.id)
        if a.status == Status.BOOKED.value and outcome(a, now) == "upcoming"
    ]
    if not ahead:
        return None
    first = min(ahead, key=lambda a: a.start)
    service = b.config.service(first.service_id)
    return {
        "name": first_name(c.name) or c.name,
        "start": iso_local(first.start, b.config.tz),
        "service": service.name.get(locale) if service else first.service_id,
    }


def payment_line(b: Business, service: Service, t: dict, locale: str) -> str | None:
    """The service list's one short line on what booking the service takes ("Ennakkomaksu
    47,70 € varattaessa"), or None: a client choosing learns of it before the details step."""
    taken = pricing.quote(b, service, None).payment  # with no perk: the list is every client's
    if taken is None:
        return None
    return t[f"pay_short_{taken.kind}"].format(amount=format_price(taken.due_cents, locale))


def payment_terms(
    b: Business, service_id: str, start_iso: str, t: dict, locale: str, priced: Quote | None = None
) -> dict[str, Any] | None:
    """What the service pays or secures when booking, in euros, and the cancellation
    terms with their deadline in local time: shown before she books, ticked to accept.
    `priced`, the booking's Quote with her perk (perk_shown; None: the service's price): the
    amounts are the ones the pay page states and the booking charges."""
    from chalicelib.domain.timeutil import parse_instant
    from chalicelib.notify.localtime import format_price
    from chalicelib.services.payments.pay import terms_text

    service = b.config.service(service_id)
    if service is None:
        return None
    priced = priced or pricing.quote(b, service, None)
    taken = priced.payment
    if taken is None:
        return None
    p, due = b.config.payments, taken.due_cents
    try:
        start = parse_instant(start_iso)
    except ValueError:
        return None
    text = t[f"pay_policy_{taken.kind}"].format(amount=format_price(due, locale))
    grace = b.config.rules.change_grace_minutes
    return {
        "version": p.version,
        # Worked out with her link's perk: a perk gone by the time she books is not charged
        # at the full price under these (book_submit: terms_perk).
        "with_perk": priced.discount_cents > 0,
        "text": text,
        "terms": terms_text(
            t,
            p.terms.model_dump(),
            start,
            b.config.tz,
            locale,
            grace,
            kind=taken.kind,
            price_cents=priced.price_cents,
            paid_cents=due,
        ),
    }


def change_policy(b: Business, start_iso: str, t: dict, locale: str) -> str | None:
    """What the page says before she confirms: until when she may cancel or move the
    booking online, if she books it now (chalicelib/domain/booking.py change_deadline)."""
    try:
        start = parse_instant(start_iso)
    except ValueError:
        return None
    now, rules = clock.now(), b.config.rules
    hours, grace = rules.cancellation_window_hours, rules.change_grace_minutes
    deadline = change_deadline(start, now, hours, grace)
    if not offers_change(deadline, now):
        return with_counts(t["policy_none"], hours=hours)
    if deadline > cancellation_deadline(start, hours):
        return with_counts(t["policy_grace"], hours=hours, minutes=grace)
    return with_counts(t["policy_until"], deadline=format_local(iso_local(deadline, b.config.tz), locale), hours=hours)


def new_form_key() -> str:
    """The booking form's idempotency key: a double tap, a second submit or a resent POST
    of the same form gets the booking the first one made, never "someone else booked"."""
    return "page-" + secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Booked:
    """Where a booking made from the page is shown: a GET page (redirect after POST), so
    reloading it shows the confirmation again instead of posting the form twice. On the
    page itself at the visit's own address, `hand_over` the manage token its redirect
    puts in the cookie (chalicelib/api/link_pages.py); in the widget's frame, where that
    cookie would be a third party's, at the token's."""

    location: str
    hand_over: str | None = None


def booked_location(view: dict, locale: str, embed: bool) -> Booked:
    token = view["manage_url"].rsplit("/", 1)[1]
    if embed:
        return Booked(f"{links.root()}/m/{token}/booked?" + urlencode({"lang": locale, "embed": "1"}))
    return Booked(f"{links.visit_page(token)}/booked?" + urlencode({"lang": locale}), hand_over=token)


def after_booking(view: dict, locale: str, embed: bool) -> Booked:
    """Where a booking made on a page (the booking page, a waitlist offer's) goes next:
    on to the pay page while the time is held for her payment, else where it is shown."""
    if view.get("status") == "pending_payment":
        token = view["manage_url"].rsplit("/", 1)[1]
        # In the widget's frame still: its links open outside it, or stay in it knowing so.
        query = {"lang": locale, "embed": "1"} if embed else {"lang": locale}
        return Booked(f"{links.root()}/pay/{token}?" + urlencode(query))
    return booked_location(view, locale, embed)


def book_submit(
    slug: str, form: dict, accept_language: str | None, client_ip: str | None = None
) -> tuple[int, str | Booked, int | None]:
    """(201, where the booking is shown) or (4xx, the form again with what to fix), and
    the Retry-After of a 429 (a limit) or a 503 (the database busy)."""
    if form.get("pick") or "choose" in form or form.get("relang"):  # her fields with it: not a booking yet
        return 200, picked_again(slug, form, accept_language), None
    b = profiles.business(slug)
    locale = negotiate(form.get("lang"), accept_language, b.config.locale)
    if form.get("email_use"):  # the address the page thought she meant, taken: she checked it
        form = {**form, "email": form["email_use"], "email_checked": form["email_use"]}
    email = form.get("email", "").strip()
    meant = meant_address(email) if email and form.get("email_checked", "").strip() != email else None
    if meant and _instant_param(form.get("start", "")):
        # One slip from a common mail domain ("gmial.com"): asked before booking, since her
        # confirmation and its link would reach nobody (a client's walk). One tap either way.
        return 200, details_again(slug, b, form, locale, email_meant=meant), None
    body = {
        "service": form.get("service", ""),
        "start": form.get("start", ""),
        "client": {"name": form.get("name", ""), "locale": locale},
        "consents": {"marketing": form.get("marketing") == "yes"},
    }
    if form.get("staff"):
        body["staff"] = form["staff"]
    for field in ("phone", "email"):
        if form.get(field, "").strip():
            body["client"][field] = form[field]
    if form.get("note", "").strip():
        body["note"] = form["note"]
    # A link whose perk cannot be given (cut short, used, expired) books without it, at the
    # service's price, and the booking says why (never a 422 she cannot get past).
    _, trouble = read_link(b, form)
    if form.get("reward") and not (trouble and trouble.param == "reward"):  # from the stamp card's booking link
        body["reward"] = {"id": form["reward"], "card": form.get("card") or None}
    if form.get("ref") and not (trouble and trouble.param == "ref"):  # from a referral link
        body["referral"] = form["ref"]
    ticked = whole_number(form.get("accept_terms"))  # the payment terms' version she ticked
    if ticked is not None:
        body["accepted_payment_terms"] = ticked
    try:
        _, result = book.create_booking(
            slug,
            body,
            form.get("idempotency_key") or None,
            source="page",
            client_ip=client_ip,
            perk_dropped=trouble.reason if trouble else None,
            # The terms she ticked were worked out with her link's perk (details step).
            terms_with_perk=ticked is not None and form.get("terms_perk") == "1",
        )
    except RebookError as e:
        params = {k: form.get(k, "") for k in ("service", "staff", "start", "lang", "card", "reward", "ref", "embed")}
        t = words(locale)
        problem = shown(e, t, b.config)
        if not _instant_param(params["start"]):  # no time (missing, mangled): the details step has none to show
            # The service's times again with what she typed kept (the services, if hers is not one).
            typed = {k: form.get(k, "") for k in KEPT_FIELDS}
            unknown = e.status == 422 and not b.config.service(params["service"])
            message = t["err_service_unknown"] if unknown else problem.message
            kept = typed if any(typed.values()) else None
            return e.status, book_page(slug, {**params, "start": ""}, accept_language, kept, message), e.retry_after
        # Lost a race for the time: a friendly note and the nearest free times, not an error.
        taken = (
            availability.nearest_free(slug, form.get("service", ""), form.get("staff") or None, form.get("start", ""))
            if isinstance(e, SlotTaken)
            else None
        )
        if e.key == "perk_not_new_terms":  # known to the salon: the full price's terms, to tick again
            form = {k: v for k, v in form.items() if k not in ("ref", "accept_terms")}
        elif e.key == "perk_gone_terms":  # her link says why; the full price's terms, to tick again
            form = {k: v for k, v in form.items() if k != "accept_terms"}
        page = details_again(slug, b, form, locale, error=problem.message, invalid=problem.fields, taken=taken)
        return e.status, page, e.retry_after
    return 201, after_booking(result, locale, bool(form.get("embed"))), None


def details_again(
    slug: str,
    b: Business,
    form: dict,
    locale: str,
    *,
    error: str | None = None,
    invalid: dict | None = None,
    taken: list | None = None,
    email_meant: str | None = None,
) -> str:
    """The details step again with what she sent: what is wrong (`error`, the `invalid`
    fields), the nearest free times of a time just `taken`, or the address she may have
    meant (`email_meant`)."""
    params = {k: form.get(k, "") for k in ("service", "staff", "start", "lang", "card", "reward", "ref", "embed")}
    t = words(locale)
    profile = profiles.public_profile(slug)
    profile = {**profile, "city": city_of(profile["timezone"])}
    member = b.config.staff_member(form.get("staff") or "")
    service = b.config.service(form.get("service", ""))
    # Her perk's price and the terms with it, as on the first showing (book_page).
    found, trouble = read_link(b, params)
    perk, priced = perk_shown(b, service, found, locale) if service else (None, None)

    def link(**kw: str) -> str:  # this step's own address, `kw` changed
        return f"{links.root()}/book/{slug}?" + urlencode({k: v for k, v in {**params, **kw}.items() if v})

    return render(
        "book.html",
        t=t,
        locale=locale,
        biz=profile,
        params=params,
        here=link(),
        step="details",
        service=chosen_service(profile, b, form.get("service", "")),
        start=form.get("start"),
        error=error,
        invalid=invalid,
        staff_name=member.name if member else None,
        form=form,
        taken=taken,
        email_meant=email_meant,
        perk=perk,
        perk_trouble=trouble.words(t) if trouble else None,
        payment_terms=payment_terms(b, form.get("service", ""), form.get("start", ""), t, locale, priced),
        policy=change_policy(b, form.get("start", ""), t, locale),  # as on the first showing
        idempotency_key=new_form_key(),
        link=link,
    )


# What she typed that a time chosen anew keeps; the payment terms' tick is asked again
# (the terms she accepted named the other time's deadline).
KEPT_FIELDS = ("name", "phone", "email", "note", "marketing")


# What a `choose` button of the time step may set (its day, its page of days, who).
CHOSEN = ("date", "from", "staff", "service")


def picked_again(slug: str, form: dict, accept_language: str | None) -> str:
    """A time, or a way to one, tapped after losing a race: a button of her details form,
    so what she typed comes with it in the POST (never in an address). `pick`, one of the
    nearest times (or of the day's, below): the details step for it with her fields filled
    in (book_page: a time no longer offered shows the day's times instead). `choose`, when
    no time was near (date=…) and on the time step that opens then (another day, page of
    days, stylist: CHOSEN): the time step, its times and links buttons of a form carrying
    her fields on. `relang`, another language chosen on a step with her fields: the same
    step in it, what she typed kept."""
    params = {k: form.get(k, "") for k in ("service", "lang", "card", "reward", "ref", "embed")}
    if form.get("relang"):  # the same step: her time, else the day (and page of days) she was on
        start = form.get("start", "")
        params.update(lang=form["relang"], start=start, staff=form.get("staff", ""))
        params.update(date=start[:10] or form.get("date", ""), **{"from": form.get("from", "")})
    elif form.get("pick"):
        start, _, staff = form["pick"].partition(" ")
        params.update(start=start, staff=staff, date=start[:10])
    else:
        params["staff"] = form.get("staff", "")
        params.update((k, v) for k, v in parse_qsl(form.get("choose", ""), keep_blank_values=True) if k in CHOSEN)
    return book_page(slug, params, accept_language, typed={k: form.get(k, "") for k in KEPT_FIELDS})


def hold_minutes(view: dict[str, Any]) -> int | None:
    """Minutes left to click the confirmation link of a held booking (None: not held for
    that; a booking held while she pays has its own page, /pay)."""
    if "hold_until" not in view or view.get("status") != AWAITING_CONFIRMATION:
        return None
    left = parse_instant(view["hold_until"]) - clock.now()
    return max(0, int(left.total_seconds() // 60))


def _contact(b: Business) -> dict[str, Any]:
    """What the booked, hold, waitlist and offer pages say of the salon: its name, page,
    phone and address."""
    return {"name": b.config.name, "slug": b.config.slug, "phone": b.config.phone, "address": b.config.address}


def booked_page(token: str, params: dict, accept_language: str | None, address: str) -> str:
    """The confirmation after booking from the page: reading it changes nothing. A held
    booking says first, in words she cannot miss, that she must click the link sent to
    her within N minutes. Both say where the message went (half hidden), so a mistyped
    address shows before she waits for it."""
    return _booking_page("booked.html", manage.get_booking(token, sent=True), token, params, accept_language, address)


def hold_page(token: str, params: dict, accept_language: str | None, address: str) -> str:
    """The confirmation link's page: the booking and one button that POSTs."""
    from chalicelib.services.booking import holds

    return _booking_page("hold.html", holds.booking(token), token, params, accept_language, address)


def _booking_page(
    template: str, view: dict[str, Any], token: str, params: dict, accept_language: str | None, address: str
) -> str:
    """A page about her new booking, in her language, with how to reach the salon; its
    language switch leads to `address` (the page's own, the widget's frame kept)."""
    locale = negotiate(params.get("lang"), accept_language, view["locale"])
    b = profiles.business(view["business"]["slug"])
    return render(
        template,
        t=words(locale),
        locale=locale,
        booking=named_in(view, b, locale),
        token=token,
        biz=_contact(b),
        embed=bool(params.get("embed")),
        hold_minutes=hold_minutes(view),
        link=own_address_in(address, params, ("embed",)),
    )


def manage_page(
    token: str,
    params: dict,
    accept_language: str | None,
    *,
    status_note: str | None = None,
    failure: RebookError | None = None,
    address: str | None = None,
) -> str:
    """The manage page; its links lead to `address` (the visit's own, where the page is
    opened: chalicelib/api/link_pages.py), its forms post to the token's."""
    view = manage.get_booking(token, money=True)
    address = address or f"{links.root()}/m/{token}"
    b = profiles.business(view["business"]["slug"])
    locale = negotiate(params.get("lang"), accept_language, view["locale"])
    t = words(locale)
    error = shown(failure, t, b.config).message if failure else None
    ctx: dict[str, Any] = {
        "t": t,
        "locale": locale,
        "booking": named_in(view, b, locale),
        "token": token,
        "address": address,
        "note": status_note,
        "error": error,
        "biz": {
            "name": b.config.name,
            "phone": b.config.phone,
            "slug": b.config.slug,
            "timezone": b.config.timezone,
            "city": city_of(b.config.timezone),
        },
        "confirm_cancel": params.get("cancel") == "1",
        "hold_minutes": hold_minutes(view),
        "link": own_address_in(address, params, ("date", "from", "start", "cancel")),
    }
    if view["can_change"]:
        # The booking page's time step for her stylist and service (issue 17, 6), opened
        # on the booking's own day: she moves it most often within the same days. Booked
        # with "anyone", anyone's times (changes.move gives her to whoever is free then).
        slug = view["business"]["slug"]
        own_day = None if params.get("from") else _date_param(view["start"][:10])
        try:
            ctx["times"] = availability.time_step(
                slug,
                view["service"]["id"],
                None if view.get("any_staff") else view["staff"]["id"],
                _date_param(params.get("date")) or own_day,
                _date_param(params.get("from")),
                moving=(view["id"], view["start"]),
            )
        except RebookError as e:
            ctx["error"] = ctx["error"] or shown(e, t).message
            ctx["times"] = {"days": [], "slots": [], "day": None}
        here = address + "?"
        ctx["day_href"] = lambda d: here + urlencode({"date": d, "lang": locale})
        ctx["page_href"] = lambda f: here + urlencode({"from": f, "lang": locale})
        day = ctx["times"].get("day")
        ctx["move_href"] = lambda s: here + urlencode({"date": day.isoformat(), "start": s, "lang": locale}) + "#move"
        # The time she tapped, asked about before anything moves (only one still free).
        wanted = params.get("start")
        ctx["move_to"] = wanted if any(s["start"] == wanted for s in ctx["times"].get("slots", [])) else None
    if view["status"] in ("cancelled", "completed", "no_show"):  # over: the way to her next visit
        ctx["book_again"] = manage.book_again_url(token)
        ctx["by_salon"] = view.get("cancelled_by_salon", False)
    # Past the online deadline she decides whether to call: what cancelling costs her now
    # is said beside "call us" (a client's walk: only "the terms you accepted apply").
    too_late = view["status"] == "booked" and not view["can_change"] and not view.get("checked_out", False)
    if view["status"] == "cancelled" or (ctx["confirm_cancel"] and view["can_change"]) or too_late:
        ctx["money"] = money_words(
            view["money_on_cancel"], t, locale, view["status"] == "cancelled", view.get("cancelled_by_salon", False)
        )
    ctx["money_lines"] = money_lines(view.get("money_facts"), t, locale)
    # Until when cancelling is free under her terms, or that it no longer is: apart from
    # until when she may change it online (booking.cancellable_until).
    free = view.get("free_until")
    ctx["free_passed"] = free is not None and datetime.fromisoformat(free) <= clock.now()
    # Checked out at the desk, the visit took place and is paid: nothing left to change or
    # call about. A calendar entry only for a visit still to come.
    ctx["checked_out"] = view.get("checked_out", False)
    ctx["to_come"] = (
        view["status"] in ("booked", "awaiting_confirmation", "pending_payment")
        and not ctx["checked_out"]
        and datetime.fromisoformat(view["start"]) > clock.now()
    )
    return render("manage.html", **ctx)


def sentence(text: str) -> str:
    """`text` with its full stop: one, where it already ends in a date's dot (fi/sv
    "pe 11.12.")."""
    return text if text.endswith(".") else text + "."


def money_lines(facts: dict[str, Any] | None, t: dict, locale: str) -> dict[str, Any]:
    """Her money's lines on her manage page and her pay page, the same on both (from
    manage.money_facts): `deposit_back`, what of the deposit or prepayment came back or is
    on its way back (its own refunds only, never a fee's), a phrase each ("refunded €15.00",
    "being refunded €32.70": the page keeps each whole, under the amount); `fees`, a line
    per fee charged to her saved card with its state ("No-show fee €111.30 charged to your
    card on Fri 11 Dec and refunded."); `paid_note`, what she paid and what came back of
    it, only where no fee was charged (with one, the lines above say it item by item)."""
    if not facts:
        return {"deposit_back": [], "fees": [], "paid_note": ""}

    def price(cents: int) -> str:
        return format_price(cents, locale)

    back = []
    if facts["deposit_refunded_cents"]:
        back.append(t["pay_refunded_amount"].format(amount=price(facts["deposit_refunded_cents"])))
    if facts["deposit_owed_cents"]:
        back.append(t["pay_refunding_amount"].format(amount=price(facts["deposit_owed_cents"])))
    fees = [
        sentence(
            t[f"fee_{f['state']}_{f['kind']}"].format(amount=price(f["amount_cents"]), date=format_day(f["at"], locale))
        )
        for f in facts["fees"]
        if f"fee_charged_{f['kind']}" in t
    ]
    note = []
    # A fee charged has its own line with its state: a total with it in would read as a
    # full-price charge ("Maksoit 159,00 €"), so the lines say it item by item.
    if facts["paid_cents"] and not facts["fees"]:
        note.append(t["pay_paid_note"].format(amount=price(facts["paid_cents"])))
        if facts["refunded_cents"]:
            note.append(t["pay_paid_back_note"].format(amount=price(facts["refunded_cents"])))
        if facts["owed_cents"]:
            note.append(t["pay_paid_owed_note"].format(amount=price(facts["owed_cents"])))
    return {"deposit_back": back, "fees": fees, "paid_note": " ".join(note)}


def own_address_in(address: str, params: dict, kept: tuple[str, ...]):
    """The language switch's `link(lang=...)` of a personal page: its own address (the
    visit's, whose cookie holds the link's token: nothing secret in it) with the `kept`
    parameters of what she is looking at."""
    return lambda **kw: (
        address + "?" + urlencode({k: v for k, v in {**params, **kw}.items() if (k in kept or k == "lang") and v})
    )


def money_words(money: dict[str, Any] | None, t: dict, locale: str, cancelled: bool, salon: bool = False) -> str | None:
    """What happens to what she paid (manage.get_booking's money_on_cancel): asked to cancel, what
    cancelling now gives back or keeps; cancelled, what its cancellation refunded or kept. What the
    owner refunded before (earlier_cents) is said apart: what comes back now is only the rest.
    Cancelled late, it adds what the salon may still charge her card (fee_cents). Cancelled by
    the salon (`salon`), nothing is kept under her terms: what it did not give back the salon
    holds for the owner to refund, and she reads that the salon will contact her about it."""
    if money is None:
        return None
    if not money["paid_cents"]:  # a card on file: nothing paid, only the fee she may be charged
        key = ("money_" if cancelled else "cancel_now_") + "card_fee"
        return t[key].format(fee=format_price(money["fee_cents"], locale))
    paid, back, earlier = money["paid_cents"], money["back_cents"], money.get("earlier_cents", 0)
    if earlier:
        case = "back_earlier" if back else "refunded_earlier" if earlier >= paid else "kept_earlier"
    else:
        case = f"back_{money['kind']}" if back >= paid else "back_part" if back else f"kept_{money['kind']}"
    held = cancelled and salon  # her terms are about her cancellations, not the salon's
    if held and case.startswith("kept_"):
        case = case.replace("kept_", "salon_held_")
    key = ("money_" if cancelled else "cancel_now_") + case
    amounts = {
        "paid": format_price(paid, locale),
        "back": format_price(back, locale),
        "earlier": format_price(earlier, locale),
        "rest": format_price(max(0, paid - earlier - back), locale),
    }
    words = t[key].format(**amounts)
    if held and case == "back_part":
        words += " " + t["money_salon_held_rest"].format(**amounts)
    # Cancelled late: what the salon may still charge her card (the owner decides).
    if money.get("fee_cents"):
        words += " " + t["late_fee_may_charge"].format(fee=format_price(money["fee_cents"], locale))
    return words


def salon_of(business_id: str) -> dict[str, Any] | None:
    """The name and phone an error page shows for a business id from an address (None
    for an unknown one)."""
    from chalicelib.store import businesses

    b = businesses.get_by_id(business_id)
    return _contact(b) if b else None


def feedback_page(
    token: str,
    params: dict,
    accept_language: str | None,
    *,
    error: str | None = None,
    comment: str | None = None,
    address: str | None = None,
) -> str:
    """The star link's page; `comment`: what she typed, shown again (with an `error`, or
    in another language). Its language switch: buttons of her form (her stars and words
    come along in the POST), `address` the page's own (the visit's) where it is opened."""
    from chalicelib.services import feedback

    view = feedback.page(
        token,
        params.get("r") or params.get("rating"),
        lambda booked: negotiate(params.get("lang"), accept_language, booked),
    )
    if comment is not None:
        view["comment"] = comment
    locale = view["visit"]["locale"]
    return render(
        "feedback.html",
        t=words(locale),
        locale=locale,
        token=token,
        error=error,
        biz=view["visit"]["business"],
        link=own_address_in(address or f"{links.root()}/f/{token}", params, ("r",)),
        **view,
    )


def feedback_submit(token: str, form: dict, accept_language: str | None) -> tuple[int, str]:
    from chalicelib.errors import ValidationFailed
    from chalicelib.services import feedback

    # The form's text as the whole number the rating is (ASCII digits only: "٤" or "4.0" is none).
    rating = whole_number(str(form.get("rating", "")).strip())
    if form.get("relang"):  # another language chosen: the page in it, her stars and words kept
        kept = {"lang": form["relang"], "rating": str(rating) if rating is not None else None}
        typed = form.get("comment")
        return 200, feedback_page(token, kept, accept_language, comment=typed if isinstance(typed, str) else None)
    try:
        done = feedback.submit(
            token, {**form, "rating": rating}, lambda booked: negotiate(form.get("lang"), accept_language, booked)
        )
    except ValidationFailed as e:
        locale = negotiate(form.get("lang"), accept_language, "fi")
        # Her stars and words kept: only what is wrong is said (a comment with characters
        # that cannot be kept, domain/plaintext.py, or no stars chosen).
        wrong = e.fields.get("comment")
        said = "rate_choose" if not wrong else "comment_too_long" if "at most" in wrong else "comment_unreadable"
        error = words(locale)[said]
        kept = {"lang": locale, "rating": str(rating) if rating is not None else None}
        typed = form.get("comment")
        comment = plaintext.without_refused(typed, lines=True) if isinstance(typed, str) else None
        return 422, feedback_page(token, kept, accept_language, error=error, comment=comment)
    return 303, done["visit"]["locale"]  # back to the visit's own page, which thanks her (feedback_thanks)


def feedback_thanks(token: str, params: dict, accept_language: str | None, address: str | None = None) -> str | None:
    """The thanks her sent rating is answered with, at the visit's own address (redirect
    after POST: a reload repeats nothing, the token stays out of the address bar); None
    when this visit has no rating (the page then asks for one). Its language switch stays
    on the thanks (`address`: the page's own)."""
    from chalicelib.services import feedback

    done = feedback.thanks(token, lambda booked: negotiate(params.get("lang"), accept_language, booked))
    if done is None:
        return None
    locale = done["visit"]["locale"]
    return render(
        "feedback_thanks.html",
        t=words(locale),
        locale=locale,
        biz=done["visit"]["business"],
        link=own_address_in(address or f"{links.root()}/f/{token}", {**params, "sent": "1"}, ("sent",)),
        **done,
    )


def unsubscribe_page(token: str, params: dict, accept_language: str | None, address: str) -> str:
    """Its language switch leads to `address`, the link's own (its token in her cookie)."""
    from chalicelib.services import unsubscribe

    view = unsubscribe.page(token)
    locale = negotiate(params.get("lang"), accept_language, view["locale"])
    return render(
        "unsubscribe.html",
        t=words(locale),
        locale=locale,
        token=token,
        biz=view["business"],
        subscribed=view["subscribed"],
        done=False,
        again=view["subscribed"] and params.get("again") == "1",
        link=own_address_in(address, params, ("again",)),
    )


def unsubscribe_submit(token: str, form: dict, accept_language: str | None, one_click: bool) -> str:
    from chalicelib.services import unsubscribe

    view = unsubscribe.unsubscribe(token, one_click)
    locale = negotiate(form.get("lang"), accept_language, view["locale"])
    return render(
        "unsubscribe.html",
        t=words(locale),
        locale=locale,
        token=token,
        biz=view["business"],
        subscribed=False,
        done=True,
    )


def card_page(token: str, params: dict, accept_language: str | None, address: str | None = None) -> str:
    """The stamp card; its language switch leads to `address` (the card's own, where the
    page is opened: chalicelib/api/link_pages.py)."""
    from chalicelib.services import loyalty

    view = loyalty.client_card(token, lambda hers: negotiate(params.get("lang"), accept_language, hers))
    locale = view["locale"]
    return render(
        "card.html",
        t=words(locale),
        locale=locale,
        biz=view["business"],
        card=view["card"],
        link=own_address_in(address or f"{links.root()}/l/{token}", params, ()),
    )


# --- the waitlist: "notify me", an entry's page, an offer's page -----------------------------
def waitlist_form(slug: str, params: dict, accept_language: str | None, **extra: Any) -> str:
    """The booking page's "notify me": the service (and staff) she chose, dates, an
    optional time of day, her details; POSTs to /book/{slug}/waitlist. Reached without a
    service (a shared link, the back button), it asks her to choose one first; an unknown
    service is a 404 that says so."""
    from datetime import timedelta

    profile = profiles.public_profile(slug)
    b = profiles.business(slug)
    locale = negotiate(params.get("lang"), accept_language, b.config.locale)
    # The language switch: this form's address in each language, her service and day kept.
    link = own_address_in(f"{links.root()}/book/{slug}/waitlist", params, ("service", "staff", "date", "embed"))
    extra.setdefault("embed", params.get("embed") == "1")  # in the widget's frame (book.html's link)
    if not params.get("service"):
        return render(
            "waitlist.html",
            t=words(locale),
            locale=locale,
            link=link,
            biz=profile,
            service=None,
            staff="",
            services=[
                {
                    "id": s.id,
                    "name": s.name.get(locale),
                    "duration_minutes": s.duration_minutes,
                    "price_cents": s.price_cents,
                    "price_max_cents": s.price_max_cents,
                }
                for s in b.config.services
            ],
            **extra,
        )
    service = b.config.service(params["service"])
    if service is None:
        raise NotFound("Choose a service offered here.", key="service_unknown")
    # From a day's times (the booking page's "notify me" names the day she looked at, full):
    # that day, until that day, as she wanted it; opened without a day, the week from today.
    day = _date_param(params.get("date"))
    first = day or clock.now().astimezone(b.config.tz).date()
    # Back to the times she came from: her service, stylist and day, in her language.
    came_from = {"service": service.id, "staff": params.get("staff"), "date": params.get("date"), "lang": locale}
    member = b.config.staff_member(params.get("staff") or "")  # the stylist she waits for, if one
    return render(
        "waitlist.html",
        t=words(locale),
        locale=locale,
        link=link,
        back=f"{links.root()}/book/{slug}?" + urlencode({k: v for k, v in came_from.items() if v}),
        biz=profile,
        service=next(s for s in profile["services"] if s["id"] == service.id),
        staff=params.get("staff") or "",
        staff_name=member.name if member else None,
        first=first.isoformat(),
        last=(first if day else first + timedelta(days=6)).isoformat(),
        here=link(lang=locale) if extra.get("form") else None,  # the answer to her form's POST
        **extra,
    )


def waitlist_submit(slug: str, form: dict, accept_language: str | None) -> tuple[int, str]:
    """The form's POST: the entry (201, its page) or the form again with what is wrong."""
    from chalicelib.services.waitlist import join

    # The form's own address again (the language switch, a mistake, an entry updated): her
    # service, stylist and day, and the widget's frame.
    came = {
        "service": form.get("service"),
        "staff": form.get("staff"),
        "date": form.get("from"),
        "embed": form.get("embed"),
    }
    if form.get("relang"):  # another language chosen: the form in it, what she typed kept
        return 200, waitlist_form(slug, {**came, "lang": form["relang"]}, accept_language, form=form)
    b = profiles.business(slug)
    locale = negotiate(form.get("lang"), accept_language, b.config.locale)
    client = {k: form.get(k) or None for k in ("name", "phone", "email")}
    windows = []
    if form.get("after") or form.get("before"):
        windows = [{"start": form.get("after") or "00:00", "end": form.get("before") or "24:00"}]
    body = {
        "service": form.get("service"),
        "staff": form.get("staff") or None,
        "from": form.get("from"),
        "to": form.get("to"),
        "windows": windows,
        "client": {**{k: v for k, v in client.items() if v}, "locale": locale},
        "consents": {"marketing": form.get("marketing") == "yes"},
    }
    try:
        _, view = join.join(slug, body)
    except RebookError as e:
        problem = shown(
            e, words(locale), b.config, WAITLIST_FIELDS, days=MAX_DAYS, horizon=b.config.rules.max_horizon_days
        )
        return e.status, waitlist_form(
            slug, {**came, "lang": locale}, accept_language, error=problem.message, invalid=problem.fields, form=form
        )
    if "manage_url" not in view:  # her entry updated: its link goes to her contact, not to this page
        return 200, waitlist_form(
            slug, {**came, "lang": locale}, accept_language, updated=view.get("link_sent") or "unsent"
        )
    return 201, view["manage_url"]


def waitlist_page(
    token: str, params: dict, accept_language: str | None, *, done: str | None = None, address: str | None = None
) -> str:
    """An entry's page; its language switch leads to `address` (the entry's own, where the
    page is opened: chalicelib/api/link_pages.py), its form posts to the token's."""
    from chalicelib.services.waitlist import join, offers

    b, entry = join.business_of_token(token)
    locale = negotiate(params.get("lang"), accept_language, b.config.locale)
    member = b.config.staff_member(entry.staff_id) if entry.staff_id else None
    return render(
        "waitlist_entry.html",
        held=offers.held_for_payment(b, entry),
        t=words(locale),
        locale=locale,
        entry=join.entry_view(b, entry, locale=locale),
        staff_name=member.name if member else None,
        token=token,
        biz=_contact(b),
        done=done,
        sent=entry.confirmed_by,
        link=own_address_in(address or f"{links.root()}/w/{token}", params, ()),
        embed=params.get("embed") == "1",
    )


def offer_page(
    token: str,
    params: dict,
    accept_language: str | None,
    *,
    taken: dict | None = None,
    address: str | None = None,
    failure: RebookError | None = None,
) -> str:
    """An offer's page: the time with the facts of the booking it would be (salon and its
    address, service and its length, stylist, time, price: `_booking_facts.html`, as on
    her confirmation), in the page's language, and, as on the booking page, until when
    she may change it online and a service's payment terms to tick; its language switch leads to `address` (the offer's own:
    chalicelib/api/link_pages.py), its forms post to the token's. `failure`: why her tap
    did not book (shown above the button)."""
    from chalicelib.services.waitlist import offers

    view = offers.get_offer(token)
    if taken is None and view.get("taken_meanwhile"):  # not "book this time" for a time gone
        taken = offers.next_after_taken(token)
    b = profiles.business(view["business"]["slug"])
    locale = negotiate(params.get("lang"), accept_language, b.config.locale)
    service = b.config.service(view["service"]["id"])
    if service is not None:  # what booking it charges (services/booking/book.py: the service's price)
        view = {**view, "price_cents": service.price_cents, "price_max_cents": service.price_max_cents}
    t = words(locale)
    return render(
        "offer.html",
        t=t,
        locale=locale,
        payment_terms=payment_terms(b, view["service"]["id"], view["start"], t, locale),
        policy=change_policy(b, view["start"], t, locale),  # a freed time is often inside the window
        error=shown(failure, t, b.config).message if failure else None,
        offer=named_in(view, b, locale),
        until=until_words(view["expires_at"], b, locale),
        token=token,
        biz={**_contact(b), "city": city_of(b.config.timezone)},
        taken=taken,
        link=own_address_in(address or f"{links.root()}/o/{token}", params, ("taken",)),
    )


def until_words(iso: str, b: Business, locale: str) -> str:
    """Until when, as she reads it: the time alone today ("10.00"), else with its day
    ("la 12.12. klo 10.00")."""
    today = clock.now().astimezone(b.config.tz).date().isoformat()
    return format_time(iso, locale) if iso[:10] == today else format_local(iso, locale)
