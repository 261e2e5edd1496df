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


def offer_links(phone: str) -> list[str]:
    """The offer links texted to `phone`, once the outbox stream has sent what is new.

    moto restores a deep copy of the table (its stream shard too) when a transaction is
    cancelled, and refills cancel some (an offer made before): a stream reader made
    before that reads the old shard for ever. So read the stream afresh (sending is
    idempotent: a message sent before is not claimed again)."""
    import re

    from tests import conftest

    conftest._stream_readers.clear()
    texts = [text for number, text, *_ in conftest.sent_sms() if number == phone and "/o/" in text]
    return [re.findall(r"/o/([A-Za-z0-9._-]+)", text)[-1] for text in texts]
