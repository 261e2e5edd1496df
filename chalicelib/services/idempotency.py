"""The Idempotency-Key header, in one place: its form, the hash of what a request asked,
and the owner's saves that honour it.

A booking (POST) keeps its key on the appointment it made (services/booking/book.py),
with the hash of its body and caller (booking_hash).
An owner's save (a PUT or PATCH that checks `If-Match`) keeps it in a record of its own
(store/saves.py): a save retried after its answer was lost gets that first answer, not
a 409 saying her own save changed the record "elsewhere".
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from chalicelib import clock
from chalicelib.errors import BadRequest, Conflict, RebookError, ValidationFailed
from chalicelib.store import saves

_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
IN_PROGRESS_RETRY_AFTER = 2  # seconds


def check_key(key: str | None) -> None:
    """400 unless the header is absent or 1-128 of letters, digits and . _ : -."""
    if key is not None and not _KEY.match(key):
        raise BadRequest(
            "Idempotency-Key must be 1-128 characters of letters, digits and . _ : -",
            fields={"Idempotency-Key": "invalid"},
        )


def request_hash(request: object) -> str:
    """What a request asked (its body; for a save also its method and path), as a hash."""
    return hashlib.sha256(json.dumps(request, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def booking_hash(body: object, caller: str | None) -> str:
    """What a booking request asked, bound to who asked: the body alone for an anonymous
    caller (the public API and booking page), the body and the signed-in user or API key
    (`Principal.user_id`) at the desk. The booking's id derives from its key within the
    business (store/bookings.appointment_id_for), so the same key from another caller
    finds that booking and is 422 idempotency_key_reused, never its answer (its manage
    link)."""
    return request_hash(body if caller is None else {"by": caller, "body": body})


def reused() -> ValidationFailed:
    return ValidationFailed(
        "This Idempotency-Key was already used for a different request.",
        code="idempotency_key_reused",
        fields={"Idempotency-Key": "reused with another body"},
    )


def save_once(
    business_id: str,
    key: str | None,
    request: object,
    run: Callable[[], Any],
    replay: Callable[[], Any] | None = None,
    *,
    money: bool = False,
) -> Any:
    """`run()` (the save), once per key: the same key with the same request again gets the
    first answer without saving again; with another request, 422 idempotency_key_reused;
    while the first is still running, 409 save_in_progress (try again in a moment). A
    refused save (a 4xx) frees its key; one that failed otherwise keeps it until its lease
    runs out. No key: just `run()`.

    With `replay`, the answer is not kept: the save again gets `replay()` (the record as
    it is now). A client's profile or follow-up must not outlive her erasure in a key's
    record that nothing about her leads to.

    `money` (a refund): never run twice under one key, not even after a failure whose
    outcome is not known (a 5xx, a request that died: the refund may have been made at
    Stripe) — the key then answers 409 `outcome_unknown` (look at the visit first); and the
    answer is kept without its `note` (the owner's reason may name the client, and erasing
    her clears it from the refund's record)."""
    check_key(key)
    if key is None:
        return run()
    asked = request_hash(request)
    there = saves.claim(business_id, key, asked, clock.now(), take_over=not money)
    if there is not None:
        if there.request_hash != asked:
            raise reused()
        if there.answer == saves.UNKNOWN:
            raise Conflict(
                "This request failed part way and whether it was done is not known: look at the"
                " visit as it is now before asking again (with a new key).",
                code="outcome_unknown",
            )
        if there.running:
            raise Conflict(
                "This save is still in progress; try again in a moment.",
                code="save_in_progress",
                retry_after=IN_PROGRESS_RETRY_AFTER,
            )
        return replay() if replay is not None else there.answer
    try:
        answer = run()
    except RebookError as e:
        if e.status < 500:  # refused: nothing was saved, she may fix it and send it again with the key
            saves.release(business_id, key, asked)
        elif money:
            saves.done(business_id, key, saves.UNKNOWN, clock.now())
        raise
    except Exception:
        if money:  # made at Stripe or not: never again under this key
            saves.done(business_id, key, saves.UNKNOWN, clock.now())
        raise
    # Any other failure keeps the claim, as a request that died would: whether it saved is
    # not known, so the same key is 409 save_in_progress until the lease runs out, then
    # runs again where If-Match decides (docs/api.md "Idempotency keys").
    kept = None if replay is not None else ({**answer, "note": None} if money and isinstance(answer, dict) else answer)
    saves.done(business_id, key, kept, clock.now())
    return answer
