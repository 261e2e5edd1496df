"""Faults of DynamoDB, injected where the real ones arrive: in botocore's send step
(`before-send`), inside its retry loop, on the app's own DynamoDB client. A faulted
request never reaches the backend (moto here, DynamoDB Local in the integration suite);
botocore parses the fake answer as it parses DynamoDB's and retries it by its own rules,
so the whole chain is tested — botocore's retries, store/tx.py's retries and the 503.

    with dynamodb_faults({"TransactWriteItems": ["ThrottlingException"] * 2}) as f:
        ...                               # the first two transactions are throttled
    with dynamodb_faults({"TransactWriteItems": always("InternalServerError")}):
        ...
    f.calls["TransactWriteItems"]         # every request of that kind, faulted or not
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

PREFIX = "com.amazonaws.dynamodb.v20120810#"
# A cancelled transaction: one reason per item, this one for every item.
CANCELLED = "TransactionCanceledException:"


def cancelled(reason: str) -> str:
    """A TransactionCanceledException whose every item has this reason
    (TransactionConflict, ThrottlingError, ConditionalCheckFailed)."""
    return CANCELLED + reason


# BatchGetItem answered with every key unprocessed (what a throttled batch read gets).
UNPROCESSED = "UnprocessedKeys"
# No answer at all: the endpoint cannot be reached (a network fault, DynamoDB Local down).
UNREACHABLE = "EndpointConnectionError"


def always(code: str) -> Iterator[str]:
    return itertools.repeat(code)


class _Raw:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


@dataclass
class Faults:
    plan: dict[str, Iterator[str | None]]
    calls: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    injected: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def answer(self, request: Any, **_: Any) -> Any:
        raw_target = request.headers.get("X-Amz-Target") if request.headers else None
        target = raw_target.decode() if isinstance(raw_target, bytes) else str(raw_target or "")
        operation = target.rpartition(".")[2]
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        self.calls[operation].append(body)
        code = next(self.plan[operation], None) if operation in self.plan else None
        if code is None:
            return None  # on to the backend
        self.injected[operation] += 1
        if code == UNREACHABLE:
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url=request.url)
        # Every before-send handler runs, and moto's (in process) would still apply the
        # request it is shown: show it a harmless read instead. Over HTTP (DynamoDB
        # Local) the first answer stops the send anyway.
        request.headers["X-Amz-Target"] = "DynamoDB_20120810.ListTables"
        request.body = b"{}"
        return _response(request.url, code, body)


def _response(url: str, code: str, body: dict) -> Any:
    from botocore.awsrequest import AWSResponse

    if code == UNPROCESSED:
        requested = body.get("RequestItems") or {}
        payload: dict[str, Any] = {"Responses": {t: [] for t in requested}, "UnprocessedKeys": requested}
        status = 200
    elif code.startswith(CANCELLED):
        reason = code[len(CANCELLED) :]
        items = len(body.get("TransactItems") or [1])
        payload = {
            "__type": PREFIX + "TransactionCanceledException",
            "Message": f"Transaction cancelled, please refer cancellation reasons for specific reasons [{reason}]",
            "CancellationReasons": [{"Code": reason, "Message": "injected"} for _ in range(items)],
        }
        status = 400
    else:
        payload = {"__type": PREFIX + code, "message": f"injected {code}"}
        status = 500 if code in ("InternalServerError", "ServiceUnavailable") else 400
    raw = json.dumps(payload).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "Content-Length": str(len(raw))}
    return AWSResponse(url, status, headers, _Raw(raw))


@contextmanager
def dynamodb_faults(plan: dict[str, Any], *, no_waiting: bool = True):
    """Inject the planned answers into the app's DynamoDB client (chalicelib/store/db.py):
    per operation, an iterable of error codes (None: let that request through). With
    `no_waiting`, botocore's and the store's backoff pauses are recorded, not slept."""
    import botocore.endpoint

    from chalicelib.store import db, faults

    faults_ = Faults({op: iter(codes) for op, codes in plan.items()})
    client = db.dynamodb_client()
    client.meta.events.register_first("before-send.dynamodb", faults_.answer, unique_id="rebook-faults")
    pauses: list[float] = []
    patched: tuple[Any, ...] = (botocore.endpoint, faults)  # the modules whose `time` does the waiting
    saved = [m.time for m in patched]
    if no_waiting:

        class _NoSleep:
            time = staticmethod(__import__("time").time)
            monotonic = staticmethod(__import__("time").monotonic)

            @staticmethod
            def sleep(seconds: float) -> None:
                pauses.append(seconds)

        for module in patched:
            module.time = _NoSleep
    faults_.pauses = pauses  # type: ignore[attr-defined]
    try:
        yield faults_
    finally:
        client.meta.events.unregister("before-send.dynamodb", unique_id="rebook-faults")
        for module, original in zip(patched, saved):
            module.time = original
