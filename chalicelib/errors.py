"""Errors that carry their HTTP meaning, raised by the core and rendered at the edge.

The core raises these with a machine-readable code and, for bad input, the fields
to fix; the API layer turns them into `{"error": {"code", "message", "fields"}}`.
"""

from __future__ import annotations


class RebookError(Exception):
    status = 400
    code = "bad_request"
    # Seconds the caller should wait before trying again (429, 503): the Retry-After header.
    retry_after: int | None = None
    # A bad link's business, as its token names it (unverified): the error page names that
    # salon and its phone (links.claims_or_4xx); never in an API answer.
    salon_hint: str | None = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, str] | None = None,
        details: dict | None = None,
        key: str | None = None,
        retry_after: int | None = None,
    ):
        super().__init__(message)
        if retry_after is not None:
            self.retry_after = retry_after
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}
        self.details = details or {}
        # What the client pages say instead of `message` (English, for API callers):
        # a key of the pages' catalogue, err_<key>, where `code` alone does not tell.
        self.key = key

    def to_body(self) -> dict:
        body = {"error": {"code": self.code, "message": self.message, "fields": self.fields}}
        body["error"].update(self.details)
        return body


class BadRequest(RebookError):
    status = 400
    code = "bad_request"


class ValidationFailed(RebookError):
    status = 422
    code = "validation_failed"


class NotFound(RebookError):
    status = 404
    code = "not_found"


class Conflict(RebookError):
    status = 409
    code = "conflict"


class SlotTaken(Conflict):
    code = "slot_taken"


class Gone(RebookError):
    status = 410
    code = "gone"


class Unauthorized(RebookError):
    status = 401
    code = "unauthorized"


class Forbidden(RebookError):
    status = 403
    code = "forbidden"


class PayloadTooLarge(RebookError):
    status = 413
    code = "payload_too_large"


class TooManyRequests(RebookError):
    """A limit of the business was reached (chalicelib/domain/limits.py): 429 with
    Retry-After, the seconds until the limit lets the caller through again."""

    status = 429
    code = "rate_limited"
    retry_after = 60


class Unavailable(RebookError):
    """Not the caller's fault and not a bug: the database is throttling or failing for a
    moment and the change was not made (never half made). 503 with Retry-After."""

    status = 503
    code = "unavailable"
    retry_after = 2
