"""Server-rendered client pages: book from a link, manage a booking from a message.

They work without JavaScript: every step is a GET with query parameters, every
action a POST from a form (GET never changes anything). They call the same use
cases as the JSON API, so the rules are the same.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from chalicelib import clock
from chalicelib.domain.locales import LOCALES, negotiate
from chalicelib.domain.timeutil import local_date
from chalicelib.errors import RebookError, SlotTaken
from chalicelib.notify.localtime import format_date, format_local, format_price, format_time
from chalicelib.pages.i18n import words
from chalicelib.services.booking import availability, book, manage
from chalicelib.services.booking import profile as profiles

DAYS_SHOWN = 14


@lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("chalicelib.pages", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(local=format_local, time=format_time, date=format_date, price=format_price)
    env.globals["locales"] = LOCALES
    return env


def render(template: str, **ctx) -> str:
    return _env().get_template(template).render(**ctx)


def _day(value: str | None, today: date) -> date:
    try:
        d = date.fromisoformat(value) if value else today
    except ValueError:
        d = today
    return min(max(d, today), today + timedelta(days=365))


def book_page(slug: str, params: dict, accept_language: str | None) -> str:
    profile = profiles.public_profile(slug)
    b = profiles.business(slug)
    locale = negotiate(params.get("lang"), accept_language, b.config.locale)
    t = words(locale)
    ctx: dict[str, Any] = {"t": t, "locale": locale, "biz": profile, "params": params, "step": "service", "error": None}
    service_id, staff_id, start = params.get("service"), params.get("staff") or "", params.get("start")
    service = b.config.service(service_id or "")
    if service:
        ctx["service"] = next(s for s in profile["services"] if s["id"] == service.id)
        ctx["step"] = "time"
        today = local_date(clock.now(), b.config.tz)
        day = _day(params.get("date"), today)
        ctx["day"], ctx["days"] = day, [today + timedelta(days=i) for i in range(DAYS_SHOWN)]
        query = {"service": service.id, "from": day.isoformat(), "to": day.isoformat()}
        if staff_id:
            query["staff"] = staff_id
        try:
            ctx["availability"] = availability.get_availability(slug, query)
        except RebookError as e:
            ctx["error"] = e.message
            ctx["availability"] = {"staff": []}
        if start:
            ctx["step"] = "details"
            ctx["start"] = start
    ctx["link"] = lambda **kw: f"/book/{slug}?" + urlencode({**{k: v for k, v in params.items() if v}, **kw})
    return render("book.html", **ctx)


def book_submit(
    slug: str, form: dict, accept_language: str | None, client_ip: str | None = None
) -> tuple[int, str, int | None]:
    """The booking form's answer: status, page, and the Retry-After of a 429 or 503."""
    b = profiles.business(slug)
    locale = negotiate(form.get("lang"), accept_language, b.config.locale)
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
    if form.get("reward"):  # from the stamp card's booking link
        body["reward"] = {"id": form["reward"], "card": form.get("card") or None}
    if form.get("ref"):  # from a referral link
        body["referral"] = form["ref"]
    try:
        _, result = book.create_booking(
            slug, body, form.get("idempotency_key") or None, source="page", client_ip=client_ip
        )
    except RebookError as e:
        params = {k: form.get(k, "") for k in ("service", "staff", "start", "lang", "card", "reward", "ref", "embed")}
        profile = profiles.public_profile(slug)
        t = words(locale)
        # Lost a race for the time: a friendly note and the nearest free times, not an error.
        taken = (
            availability.nearest_free(slug, form.get("service", ""), form.get("staff") or None, form.get("start", ""))
            if isinstance(e, SlotTaken)
            else None
        )
        # A limit (429) or a database fault (503): her own words, and the form kept.
        message = {429: t["too_many_bookings"], 503: t["busy_try_again"]}.get(e.status, e.message)
        return (
            e.status,
            render(
                "book.html",
                t=t,
                locale=locale,
                biz=profile,
                params=params,
                step="details",
                service=next((s for s in profile["services"] if s["id"] == form.get("service")), None),
                start=form.get("start"),
                error=message,
                fields=e.fields,
                form=form,
                taken=taken,
                link=lambda **kw: f"/book/{slug}?" + urlencode({**{k: v for k, v in params.items() if v}, **kw}),
            ),
            e.retry_after,
        )
    return (
        201,
        render(
            "booked.html",
            t=words(locale),
            locale=locale,
            booking=result,
            biz={"name": b.config.name},
            embed=bool(form.get("embed")),
        ),
        None,
    )


def manage_page(
    token: str, params: dict, accept_language: str | None, *, status_note: str | None = None, error: str | None = None
) -> str:
    view = manage.get_booking(token)
    b = profiles.business(view["business"]["slug"])
    locale = negotiate(params.get("lang"), accept_language, view["locale"])
    t = words(locale)
    ctx: dict[str, Any] = {
        "t": t,
        "locale": locale,
        "booking": view,
        "token": token,
        "note": status_note,
        "error": error,
        "biz": {"name": b.config.name, "phone": b.config.phone, "slug": b.config.slug, "timezone": b.config.timezone},
    }
    if view["can_change"]:
        today = local_date(clock.now(), b.config.tz)
        day = _day(params.get("date") or view["start"][:10], today)
        ctx["day"], ctx["days"] = day, [today + timedelta(days=i) for i in range(DAYS_SHOWN)]
        av = availability.get_availability(
            view["business"]["slug"],
            {
                "service": view["service"]["id"],
                "staff": view["staff"]["id"],
                "from": day.isoformat(),
                "to": day.isoformat(),
            },
        )
        ctx["slots"] = av["staff"][0]["slots"] if av["staff"] else []
    ctx["book_again"] = f"/book/{view['business']['slug']}?" + urlencode(
        {"service": view["service"]["id"], "staff": view["staff"]["id"]}
    )
    return render("manage.html", **ctx)


def feedback_page(token: str, params: dict, accept_language: str | None, *, error: str | None = None) -> str:
    from chalicelib.services import feedback

    view = feedback.page(token, params.get("r") or params.get("rating"))
    locale = negotiate(params.get("lang"), accept_language, view["visit"]["locale"])
    return render(
        "feedback.html", t=words(locale), locale=locale, token=token, error=error, biz=view["visit"]["business"], **view
    )


def feedback_submit(token: str, form: dict, accept_language: str | None) -> tuple[int, str]:
    from chalicelib.errors import ValidationFailed
    from chalicelib.services import feedback

    try:
        done = feedback.submit(token, form)
    except ValidationFailed:
        locale = negotiate(form.get("lang"), accept_language, "fi")
        return 422, feedback_page(token, {"lang": locale}, accept_language, error=words(locale)["rate_choose"])
    locale = negotiate(form.get("lang"), accept_language, done["visit"]["locale"])
    return 200, render("feedback_thanks.html", t=words(locale), locale=locale, biz=done["visit"]["business"], **done)


def unsubscribe_page(token: str, params: dict, accept_language: str | None) -> str:
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


def card_page(token: str, params: dict, accept_language: str | None) -> str:
    from chalicelib.services import loyalty

    view = loyalty.client_card(token, lambda hers: negotiate(params.get("lang"), accept_language, hers))
    locale = view["locale"]
    return render("card.html", t=words(locale), locale=locale, biz=view["business"], card=view["card"])
