"""Joining the waitlist through the public API (moto), as the widget would."""

from __future__ import annotations

from tests.api.helpers import post

WAITLIST = "/api/v1/businesses/demo/waitlist"


def entry_body(
    first="2026-11-25",
    last="2026-11-27",
    service="womens-cut",
    staff=None,
    name="Maija Meikäläinen",
    phone="040 123 4567",
    email="maija@example.com",
    locale="fi",
    windows=None,
):
    client = {"name": name, "locale": locale}
    if phone:
        client["phone"] = phone
    if email:
        client["email"] = email
    body = {"service": service, "from": first, "to": last, "client": client}
    if staff:
        body["staff"] = staff
    if windows is not None:
        body["windows"] = windows
    return body


def join(client, **kw):
    return post(client, WAITLIST, entry_body(**kw))
