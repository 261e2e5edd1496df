"""Render a message kind in a locale into subject, plain text, HTML and SMS.

Templates live in templates/<kind>/<locale>.{subject.txt,text.txt,html,sms.txt}; a new
kind is only new template files. HTML templates extend templates/_base.html; a part
several kinds show alike is one per locale in templates/_<part>/ (the manage links).

The SMS must fit one GSM-7 segment (160 units). When it does not, it is shortened
step by step, always the same way: drop the service name, then the staff, then the
previous time; then cut the business name (at a word break, not below 16 units);
then drop the greeting name and cut the business name further (or drop it, when the SMS
goes from the salon's own sender name: without one, her phone shows a number, and the
name takes a second segment instead). A name is
cut only where a word ends, never inside one (_cut_name). What is
left — what happened and when, and the link the message is for — is never cut: a
"book again" link takes a shorter form, or (a cancellation's) goes altogether; a link
the message is for takes a second segment instead. Only text longer than two segments
even so (an owner's own words) is cut, keeping the link on the last line whole.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from chalicelib import links
from chalicelib.domain.locales import DEFAULT_LOCALE
from chalicelib.domain.locales import normalize as normalize_locale
from chalicelib.notify import gsm
from chalicelib.notify.localtime import (
    TEMPLATE_FILTERS,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"
PARTS = {"subject": "subject.txt", "text": "text.txt", "html": "html", "sms": "sms.txt"}
# A business name is cut no shorter than this while the greeting stays; and never
# shorter than MIN_BUSINESS_UNITS (a stub says nothing: drop it instead).
MIN_BUSINESS_UNITS_WITH_GREETING = 16
MIN_BUSINESS_UNITS = 6

# Optional fields: present (as None) after normalisation, so templates can test them
# while a misspelt or truly missing required field still fails loudly.
_OPTIONAL = {
    "business": {"address": None, "phone": None, "sms_sender": None},
    "client": {"name": None, "first_name": None},
    "service": {
        "name": None,
        "duration_minutes": None,
        "price_cents": None,
        "price_max_cents": None,
        "discount_cents": 0,
    },
    "staff": {"name": None},
    "perk_not_applied": None,  # why her link's perk is not in the price (domain/booking.py PerkNotApplied)
    "end": None,
    "previous_start": None,
    "cancellation_deadline": None,
    "note": None,
    "manage_url": None,
    "book_url": None,
    "invite": None,  # a cancellation at the desk: ask her to choose a new time
    "by_salon": None,  # a cancellation the salon had to make: it says so, and is sorry
    "reminders_off_url": None,
    "card_url": None,
    "confirm_url": None,  # a held booking's confirmation link (Limits.hold_unconfirmed)
    "hold_until": None,
    "payment": None,  # what she paid when booking (services/message_plans.py paid_context)
    "refund_cents": None,  # a cancellation: what goes back of `payment` (0: it is kept; changes.money_if_cancelled)
    "refunded_before_cents": None,  # a cancellation: what the owner refunded of `payment` before it
    "late_fee_cents": None,  # a late cancellation: what the salon may still charge her card (changes.money_if_cancelled)
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


@lru_cache(maxsize=1)
def environment():
    """The Jinja2 environment, built on first use and kept for the process's life."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        # Escape HTML only: subjects, plain text and SMS must show "&" as "&".
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def localized(fn):
        return pass_context(lambda ctx, value: fn(value, ctx["locale"]))

    env.filters.update({name: localized(fn) for name, fn in TEMPLATE_FILTERS.items()})
    return env


def compile_templates() -> None:
    """Compile every message's template now (chalicelib/snapshot.py: into the snapshot)."""
    env = environment()
    for name in env.list_templates():
        env.get_template(name)


def _with_defaults(context: dict) -> dict:
    ctx = copy.deepcopy(context)
    for key, default in _OPTIONAL.items():
        if isinstance(default, dict):
            ctx[key] = {**default, **(ctx.get(key) or {})}
        else:
            ctx.setdefault(key, default)
    client = ctx["client"]
    if not client["first_name"] and client["name"]:
        client["first_name"] = client["name"].split()[0]
    return ctx


def _template(kind: str, locale: str, part: str):
    from jinja2 import TemplateNotFound

    ext = PARTS[part]
    names = [f"{kind}/{locale}.{ext}"]
    if locale != DEFAULT_LOCALE:
        names.append(f"{kind}/{DEFAULT_LOCALE}.{ext}")
    try:
        return environment().select_template(names)
    except TemplateNotFound:
        raise ValueError(f"no {part} template for message kind {kind!r}") from None


def _tidy_text(text: str) -> str:
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return re.sub(r"\n{3,}", "\n\n", text) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _render_sms(kind: str, locale: str, ctx: dict) -> str:
    raw = _template(kind, locale, "sms").render(ctx)
    lines = (" ".join(line.split()) for line in raw.strip().splitlines())
    return gsm.to_gsm7("\n".join(line for line in lines if line))


def _fits(text: str, units: int) -> bool:
    return gsm.gsm7_length(text) <= units


def _hard_cut(text: str, units: int) -> str:
    """Cut the prose, keeping the last line (the link) whole when it fits alone."""
    head, sep, last = text.rpartition("\n")
    if sep and gsm.gsm7_length(last) < units - 1:
        head = gsm.truncate_gsm7(head, units - 1 - gsm.gsm7_length(last)).rstrip()
        return f"{head}\n{last}" if head else last
    return gsm.truncate_gsm7(text, units)


def _cut_name(name: str, units: int, floor: int) -> str:
    """The longest prefix of `name` within `units` that ends at a word break (a space or
    a hyphen: "Parturi-Kampaamo Kaunotar" -> "Parturi-Kampaamo" or "Parturi"), never
    inside a word ("Salon Auro"); '' when no such prefix keeps at least `floor` units."""
    if gsm.gsm7_length(name) <= units:
        return name
    if units < floor:
        return ""
    cut = gsm.truncate_gsm7(name, units)
    if name[len(cut)] not in " -":
        cut = cut[: max(cut.rfind(" "), cut.rfind("-"), 0)]
    cut = cut.rstrip(" -,.&/")
    return cut if gsm.gsm7_length(cut) >= floor else ""


def _shorten_business(kind: str, locale: str, ctx: dict, name: str, floor: int, units: int) -> str:
    """Render with the business name cut just enough to fit (the name appears once)."""
    ctx["business"]["name"] = name
    text = _render_sms(kind, locale, ctx)
    if not _fits(text, units):
        overflow = gsm.gsm7_length(text) - units
        ctx["business"]["name"] = _cut_name(name, gsm.gsm7_length(name) - overflow, floor)
        text = _render_sms(kind, locale, ctx)
    return text


# Marketing carries two links (rebook and unsubscribe): it may use two concatenated
# segments (2 x 153 GSM-7 units) before it is shortened like the rest.
TWO_SEGMENT_KINDS = {"winback", "nudge", "birthday", "reward", "personal"}  # the owner writes these texts
TWO_SEGMENT_UNITS = 306
# A cancellation's "book again" is an aside: rather no link than a date cut short (not
# the salon's invitation to choose a new time, which is what its message is for). Every
# other link is what its message is for (change, confirm, book, pay, rate, unsubscribe).
OPTIONAL_LINKS = {"cancelled": "book_url"}


def _link_forms(kind: str, ctx: dict) -> list[dict]:
    """The message's links as sent, then shorter: the booking page's without her details'
    token, then alone (links.shorter_book_urls); an optional link last of all left out."""
    url = ctx.get("book_url")
    forms: list[dict] = [{}, *({"book_url": short} for short in (links.shorter_book_urls(url) if url else []))]
    if kind in OPTIONAL_LINKS and not ctx.get("invite"):
        forms.append({OPTIONAL_LINKS[kind]: None})
    return forms


def _shortened(kind: str, locale: str, ctx: dict, units: int) -> str:
    """The SMS shortened step by step (module doc) until it fits `units`, or as short as
    the names allow: what happened, when, and the link are never touched here."""
    ctx = copy.deepcopy(ctx)
    text = _render_sms(kind, locale, ctx)
    for section, key in (("service", "name"), ("staff", "name"), (None, "previous_start")):
        if _fits(text, units):
            return text
        (ctx[section] if section else ctx)[key] = None
        text = _render_sms(kind, locale, ctx)
    if _fits(text, units):
        return text

    # Rather a recognisable business name than the greeting; only then cut it further.
    # One line, as the SMS shows it, so that its units are the ones the text loses.
    name = _one_line(gsm.to_gsm7(ctx["business"]["name"] or ""))
    text = _shorten_business(kind, locale, ctx, name, MIN_BUSINESS_UNITS_WITH_GREETING, units)
    if _fits(text, units) and (ctx["business"]["name"] or not name):
        return text
    ctx["client"]["first_name"] = None
    text = _shorten_business(kind, locale, ctx, name, MIN_BUSINESS_UNITS, units)
    if name and not ctx["business"]["name"] and not ctx["business"].get("sms_sender"):
        ctx["business"]["name"] = name  # from a bare number, who it is from stays: a second segment instead
        return _render_sms(kind, locale, ctx)
    if _fits(text, units):
        return text
    ctx["business"]["name"] = None
    return _render_sms(kind, locale, ctx)


def fit_sms(kind: str, locale: str, ctx: dict) -> str:
    """The SMS text, shortened deterministically until it fits 160 GSM-7 units; two
    segments when the facts and the link the message is for do not fit one."""
    text = _render_sms(kind, locale, ctx)
    if kind in TWO_SEGMENT_KINDS and _fits(text, TWO_SEGMENT_UNITS):
        return text
    for units in (gsm.SMS_UNITS, TWO_SEGMENT_UNITS):
        for link in _link_forms(kind, ctx):
            text = _shortened(kind, locale, {**ctx, **link}, units)
            if _fits(text, units):
                return text
    return _hard_cut(text, TWO_SEGMENT_UNITS)


def can_change_at(context: dict, now: datetime | None) -> bool:
    """Does a message about a booking, sent at `now`, offer to change it? Only while its
    deadline (context["cancellation_deadline"]) is far enough ahead: a reminder sent as
    the window closes, or a confirmation of a booking made inside it, offers nothing."""
    from chalicelib import clock
    from chalicelib.domain.booking import offers_change

    deadline = context.get("cancellation_deadline")
    if not deadline:
        return True
    return offers_change(datetime.fromisoformat(deadline), now or clock.now())


def render(kind: str, locale: str, context: dict, now: datetime | None = None) -> Rendered:
    """Render one message, as sent at `now` (default: the clock's). Unknown locales fall
    back to Finnish; unknown kinds raise ValueError."""
    loc = normalize_locale(locale)
    ctx = _with_defaults(context)
    ctx["locale"] = loc
    ctx["kind"] = kind
    ctx["can_change"] = can_change_at(ctx, now)
    return Rendered(
        subject=_one_line(_template(kind, loc, "subject").render(ctx)),
        text=_tidy_text(_template(kind, loc, "text").render(ctx)),
        html=_template(kind, loc, "html").render(ctx),
        sms=fit_sms(kind, loc, ctx),
    )
