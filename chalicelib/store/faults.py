"""Faults of the database, told apart from answers: what is retried, and what becomes a
503 with Retry-After instead of a 500.

Three layers, each where it is safe:

1. botocore (store/db.py: standard retry mode, 4 attempts, exponential backoff with full
   jitter) retries every single request DynamoDB throttled (ProvisionedThroughputExceeded,
   ThrottlingException, RequestLimitExceeded) or failed with a 5xx (InternalServerError).
   For TransactWriteItems that is safe only because every transaction carries a
   ClientRequestToken (store/tx.py): a retry of a transaction that did commit is
   answered "done" by DynamoDB instead of being applied twice or failing its conditions.
2. store/tx.py retries a transaction DynamoDB *cancelled* for a transient reason only
   (TransactionConflict, ThrottlingError on an item, no condition failed): nothing was
   written, and the same conditional writes are tried again, after a jittered pause,
   with a new token. Conditions that failed are answers (TxFailed), never retried here.
3. What is still failing after that raises DatabaseBusy (or is recognised by
   `unavailable_for` at the edge): the API answers 503 `unavailable` with Retry-After in
   the error shape; a job's run fails and its work stays due for the next run. Nothing
   is half written: every multi-item change is one transaction.
"""

from __future__ import annotations

import random
import time

from chalicelib.errors import Unavailable

# Error codes of a request DynamoDB refused for now (throttled) or failed on its side.
THROTTLED = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "Throttling",
        "TransactionInProgressException",
    }
)
SERVER_FAULTS = frozenset(
    {"InternalServerError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException"}
)
TRANSIENT_CODES = THROTTLED | SERVER_FAULTS
# Cancellation reasons of a transaction that wrote nothing and may simply be tried again.
TRANSIENT_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
NEUTRAL_REASONS = frozenset({None, "None", ""})  # the items that were fine

TX_ATTEMPTS = 5
RETRY_AFTER_SECONDS = 2


class DatabaseBusy(Unavailable):
    """DynamoDB kept throttling or failing after the retries: nothing was changed."""

    def __init__(self, operation: str = "write", cause: str | None = None):
        super().__init__(
            "The booking system is busy right now and nothing was changed. Please try again in a moment.",
            retry_after=RETRY_AFTER_SECONDS,
        )
        self.operation = operation
        self.cause = cause


def pause(attempt: int, base: float = 0.025, cap: float = 1.0) -> None:
    """Exponential backoff with full jitter: 0..25 ms, 0..50 ms, 0..100 ms ... (capped)."""
    time.sleep(random.uniform(0, min(cap, base * (2**attempt))))


def transient_reasons(reasons: list[str | None]) -> bool:
    """Did the transaction fail only for reasons that go away (and nothing else)?"""
    return any(r in TRANSIENT_REASONS for r in reasons) and all(
        r in TRANSIENT_REASONS or r in NEUTRAL_REASONS for r in reasons
    )


def _chain(error: BaseException) -> list[BaseException]:
    """The error and what it wraps: PynamoDB keeps botocore's error in `.cause` (raised
    inside an `except`, so Python links it as `__context__`, not `__cause__`)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [error]
    while todo and len(seen) < 8:
        e = todo.pop(0)
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        cause = getattr(e, "cause", None)
        todo += [cause if isinstance(cause, BaseException) else None, e.__cause__, e.__context__]
    return seen


def error_code(error: BaseException) -> str | None:
    """The DynamoDB error code of a PynamoDB or botocore exception, if any."""
    for e in _chain(error):
        response = getattr(e, "response", None)
        if isinstance(response, dict):
            code = response.get("Error", {}).get("Code")
            if code:
                return str(code)
    return None


def is_transient(error: BaseException) -> bool:
    """A throttle, a 5xx or a connection failure: the request may work in a moment."""
    if isinstance(error, DatabaseBusy):
        return True
    if error_code(error) in TRANSIENT_CODES:
        return True
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    return any(isinstance(e, (BotoConnectionError, HTTPClientError)) for e in _chain(error))


def unavailable_for(error: BaseException) -> Unavailable | None:
    """The 503 an unexpected exception stands for, when it is a fault of the database."""
    if isinstance(error, Unavailable):
        return error
    if is_transient(error):
        return DatabaseBusy(cause=error_code(error) or type(error).__name__)
    return None
