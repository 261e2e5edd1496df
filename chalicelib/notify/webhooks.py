"""Sending webhooks: an event item fanned out to the endpoints, each delivery signed
(Standard Webhooks, the `standardwebhooks` package) and POSTed once per attempt.

Both outbox callers hand webhook items here through notify/dispatch.py: the stream
right after the change's transaction, the sweeper for retries (and anything the stream
missed). The claim is the outbox's conditional write, so an item handed over twice is
sent once; a delivery that got a 2xx is never sent again.

SSRF guard: the endpoint's host is resolved at each attempt and every address it
resolves to must be public (domain/webhooks.is_public); the connection goes to the
address checked, never to a second lookup. Local stages may allow private addresses
(REBOOK_WEBHOOKS_ALLOW_PRIVATE) for the tests' receiver and `make run`.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import json
import math
import socket
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from chalicelib.domain import webhooks as rules
from chalicelib.domain.messages import Message, MessageStatus, Outcome, PlannedMessage
from chalicelib.domain.timeutil import iso_utc
from chalicelib.observability import count_message, logger
from chalicelib.settings import get_settings
from chalicelib.store import businesses, webhooks
from chalicelib.store import outbox as store

LEASE = timedelta(minutes=2)  # longer than any attempt (the timeout is seconds)
MAX_BODY = 64 * 1024  # what we read of an answer (then we hang up)
USER_AGENT = "Rebook-Webhooks/1"


class Blocked(Exception):
    """The endpoint resolves to an address we never send to."""


def _lookup(host: str, port: int, deadline: float) -> list[Any]:
    """getaddrinfo within the attempt's deadline: the resolver has no timeout of its own
    (a slow name server held an attempt for the resolver's 5 s × tries), so it runs in a
    daemon thread we stop waiting for; a late answer is dropped with it."""
    box: dict[str, Any] = {}

    def resolve() -> None:
        try:
            box["found"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as e:  # handed to the attempt below
            box["error"] = e

    lookup = threading.Thread(target=resolve, name="webhook-dns", daemon=True)
    lookup.start()
    lookup.join(_time_left(deadline))
    if lookup.is_alive():
        raise TimeoutError("dns")
    if "error" in box:
        raise box["error"]
    return list(box["found"])


def _addresses(host: str, port: int, allow_private: bool, deadline: float) -> list[tuple[int, str]]:
    found = _lookup(host, port, deadline)
    out: list[tuple[int, str]] = [(int(family), str(sockaddr[0])) for family, _, _, _, sockaddr in found]
    if not out:
        raise Blocked("unresolved")
    if not allow_private and not all(rules.is_public(ipaddress.ip_address(a.split("%")[0])) for _, a in out):
        raise Blocked("blocked_address")  # one bad answer is enough: no DNS games
    return out


def _time_left(deadline: float) -> float:
    """Seconds to the attempt's deadline (time.monotonic); TimeoutError once it passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline")
    return left


class _Deadline:
    """A connected socket whose every operation ends by one deadline: each send and read
    waits at most the time left, so a receiver dripping its answer a byte at a time
    cannot hold an attempt past its timeout (a socket's own timeout restarts at every
    byte). What http.client uses of a socket: sendall, makefile("rb") and close, which,
    as a socket's, closes it once its files are closed too."""

    def __init__(self, sock: socket.socket, deadline: float):
        self._sock, self._deadline = sock, deadline
        self._files = 0
        self._closed = False

    def wait_left(self) -> None:
        self._sock.settimeout(_time_left(self._deadline))

    def sendall(self, data: bytes) -> None:
        view = memoryview(data).cast("B")
        while view:
            self.wait_left()
            view = view[self._sock.send(view) :]

    def recv_into(self, buffer: memoryview) -> int:
        self.wait_left()
        return self._sock.recv_into(buffer)

    def makefile(self, mode: str) -> io.BufferedReader:
        self._files += 1
        return io.BufferedReader(_Reader(self))

    def file_closed(self) -> None:
        self._files -= 1
        if self._closed and not self._files:
            self._sock.close()

    def close(self) -> None:
        self._closed = True
        if not self._files:
            self._sock.close()


class _Reader(io.RawIOBase):
    def __init__(self, sock: _Deadline):
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._sock.recv_into(memoryview(buffer).cast("B"))

    def close(self) -> None:
        if not self.closed:
            self._sock.file_closed()
        super().close()


def post(url: str, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool) -> rules.Response:
    """POST once, connect, send and answer within `timeout` seconds in all (then it is a
    timeout); what came of it (never raises)."""
    deadline = time.monotonic() + timeout
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        family, address = _addresses(host, port, allow_private, deadline)[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(_time_left(deadline))
            sock.connect((address, port))
            if https:
                sock.settimeout(_time_left(deadline))  # the handshake's: the time left
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.sock = _Deadline(sock, deadline)  # connected to the address checked above
        try:
            conn.request("POST", path, body=body, headers=headers)
            answer = conn.getresponse()
            try:
                answer.read(MAX_BODY)
                retry_after = rules.parse_retry_after(answer.getheader("Retry-After"), _now())
                return rules.Response(answer.status, retry_after, None)
            finally:
                answer.close()
        finally:
            conn.close()
    except Blocked as e:
        return rules.Response(None, error=str(e))
    except TimeoutError:
        return rules.Response(None, error="timeout")
    except (OSError, http.client.HTTPException) as e:
        return rules.Response(None, error=type(e).__name__)
    except Exception as e:  # a fault of ours: still an attempt on record (retried), never a delivery held forever
        logger().exception("webhook attempt failed", extra={"error": type(e).__name__})
        return rules.Response(None, error=type(e).__name__)


def _now() -> datetime:
    from chalicelib import clock

    return clock.now()


def signed(event: rules.Event, secrets: list[str], at: datetime) -> tuple[bytes, dict[str, str]]:
    """The body and the Standard Webhooks headers, one v1 signature per secret."""
    from standardwebhooks import Webhook

    body = json.dumps(event.payload(), separators=(",", ":"), ensure_ascii=False)
    signatures = " ".join(Webhook(s).sign(event.id, at, body) for s in secrets)
    return body.encode(), {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": event.id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }


def _owner_alert(e: rules.Endpoint, reason: str, now: datetime) -> PlannedMessage | None:
    from chalicelib.services.message_plans import business_context

    b = businesses.get_by_id(e.business_id)
    if b is None:
        return None
    return PlannedMessage(
        key=f"webhook-disabled#{e.id}#{iso_utc(now)}",
        kind="webhook_disabled",
        channel="email",
        recipient=b.config.owner_email,
        locale=b.config.owner_language,
        context={
            "business": business_context(b),
            "endpoint": {"id": e.id, "url": e.url},
            "reason": reason,
            "settings_url": f"{get_settings().public_url}/dashboard#settings-webhooks",
        },
        due_at=now,
        business_id=e.business_id,
    )


def switch_off(e: rules.Endpoint, reason: str, now: datetime) -> bool:
    """Disable the endpoint and tell the owner by email (once: in the same transaction)."""
    done = webhooks.disable(e, reason, now, _owner_alert(e, reason, now))
    if done:
        logger().warning("webhook endpoint disabled", extra={"endpoint": e.id, "reason": reason})
    return done


def send_events(ms: Sequence[Message], now: datetime) -> list[str]:
    """Fan out event items (a stream batch's: few transactions per business, its endpoints
    read once) into their deliveries, written held by this caller, which then makes their
    first attempts itself, in parallel, and records what came of them together: no claim
    and no stream round trip before the first attempt; what it cannot finish the sweeper
    retries after the lease. What came of each item: fanned_out, or held (another sender
    fanned it out first)."""
    outcome: dict[str, str] = {}
    by_business: dict[str, list[Message]] = defaultdict(list)
    for m in ms:
        if m.key in outcome or any(m.key == x.key for x in by_business[m.business_id]):
            continue  # the same record twice in a batch
        by_business[m.business_id].append(m)
    first: list[tuple[Message, rules.Endpoint | None]] = []
    for business_id, items in by_business.items():
        endpoints = {e.id: e for e in webhooks.endpoints(business_id)}
        for m, deliveries in zip(items, webhooks.fan_out_all(items, list(endpoints.values()), now, LEASE), strict=True):
            outcome[m.key] = "held" if deliveries is None else "fanned_out"
            first += [(d, endpoints.get(d.recipient)) for d in deliveries or ()]
    _first_attempts(first, now)
    return [outcome.get(m.key, "held") for m in ms]


RECORD_BATCH = 25  # outcomes per write (BatchWriteItem's most)
RECORD_WAIT = 1.0  # seconds an outcome waits for others before it is written anyway


def _first_attempts(deliveries: Sequence[tuple[Message, rules.Endpoint | None]], now: datetime) -> None:
    """Attempt each delivery once, in parallel, and write the outcomes as they come, up to
    25 at a time: an answer is on record within about a second (or the next answer) of
    arriving, so a sender that dies loses little, and the writes are few. Enough workers
    that every attempt ends well inside the lease, even if each one waits out its timeout."""
    if not deliveries:
        return
    settings = get_settings()

    def attempt(d: tuple[Message, rules.Endpoint | None]) -> _Tried | None:
        try:
            return _attempt(d[0], now, d[1])
        except Exception:  # still held: the sweeper tries again after the lease
            logger().exception("webhook delivery failed", extra={"message_key": d[0].key})
            return None

    pending: list[_Tried] = []
    since = 0.0

    def take(t: _Tried | None, last: bool = False) -> None:
        nonlocal since
        if t is not None:
            if not pending:
                since = time.monotonic()
            pending.append(t)
        if pending and (last or len(pending) >= RECORD_BATCH or time.monotonic() - since > RECORD_WAIT):
            batch = list(pending)
            pending.clear()
            try:
                for name, _ in _record(batch, now):
                    count_message(f"webhook_{name}", rules.CHANNEL, rules.WEBHOOK_DELIVERY)
            except Exception:  # still held: the sweeper takes them after the lease
                logger().exception("webhook outcomes not recorded", extra={"deliveries": len(batch)})

    rounds = LEASE.total_seconds() / 2 / max(settings.webhook_timeout_seconds, 0.1)
    workers = min(len(deliveries), max(settings.send_workers, math.ceil(len(deliveries) / max(rounds, 1))))
    if workers <= 1:
        for d in deliveries:
            take(attempt(d))
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for done in as_completed([pool.submit(attempt, d) for d in deliveries]):
                take(done.result())
    take(None, last=True)


@dataclass(frozen=True)
class _Tried:
    """One attempt of a delivery this caller holds, not yet recorded."""

    claimed: Message
    endpoint: rules.Endpoint | None
    outcome: Outcome
    verdict: rules.Verdict | None  # None: not attempted (the endpoint is gone or off)


def _attempt(claimed: Message, now: datetime, endpoint: rules.Endpoint | None = None) -> _Tried:
    """POST one delivery this caller holds; `endpoint` as just read, if it was."""
    e = endpoint or webhooks.get_endpoint(claimed.business_id, claimed.recipient)
    if e is None or not e.enabled:
        why = "endpoint_deleted" if e is None else "endpoint_disabled"
        return _Tried(claimed, e, Outcome("failed", error=why), None)
    event = rules.Event.from_dict(claimed.context["event"])
    settings = get_settings()
    body, headers = signed(event, e.signing_secrets(now), now)
    answer = post(e.url, body, headers, settings.webhook_timeout_seconds, settings.webhooks_allow_private)
    verdict = rules.judge(answer, claimed.attempts)
    outcome = Outcome(
        verdict.outcome, provider_id=f"http_{answer.status}" if answer.status else None, error=verdict.error
    )
    return _Tried(claimed, e, outcome, verdict)


def _record(tried: Sequence[_Tried], now: datetime) -> list[tuple[str, str | None]]:
    """Write what came of the attempts (one request for all), then what follows for their
    endpoints (answering again, failing for days, 410); each one's name and why."""

    def waits(verdict: rules.Verdict | None) -> Callable[[int], timedelta]:
        return lambda attempts: max(rules.backoff(attempts), (verdict.wait if verdict else None) or timedelta(0))

    written = store.record_outcomes([(t.claimed, t.outcome) for t in tried], now, [waits(t.verdict) for t in tried])
    out: list[tuple[str, str | None]] = []
    for t, done in zip(tried, written, strict=True):
        e, verdict = t.endpoint, t.verdict
        if verdict is None or e is None:
            out.append(("failed", t.outcome.error))
            continue
        name = (
            "sent" if verdict.outcome == "sent" else "failed" if done.status == MessageStatus.FAILED.value else "retry"
        )
        out.append((name, verdict.error))
        try:  # the outcome is written: what follows for the endpoint never undoes it
            if verdict.outcome == "sent":
                webhooks.note_success(e)
            elif verdict.disable:
                switch_off(e, "gone", now)
            elif rules.should_disable(webhooks.note_failure(e, now), now):
                switch_off(e, "failing", now)
        except Exception:
            logger().exception("webhook endpoint bookkeeping failed", extra={"endpoint": e.id})
    return out


def _deliver(claimed: Message, now: datetime, endpoint: rules.Endpoint | None = None) -> tuple[str, str | None]:
    """One attempt of a delivery this caller holds, recorded."""
    [result] = _record([_attempt(claimed, now, endpoint)], now)
    return result


def send_once(m: Message, now: datetime) -> tuple[str, str | None]:
    """Fan out an event item, or deliver one copy, if this caller wins the claim."""
    if m.status == MessageStatus.SENDING.value and m.lease_until and m.lease_until > now:
        return "held", None
    if m.kind == rules.WEBHOOK_EVENT:  # one conditional transaction, no claim before it
        [fanned] = send_events([m], now)
        return fanned, None
    result, claimed = store.claim(m, now, LEASE)
    if result != store.Claim.CLAIMED:
        return "taken", None
    outcome, why = _deliver(claimed, now)
    count_message(f"webhook_{outcome}", rules.CHANNEL, m.kind)  # not the failed-messages alarm: the receiver's fault
    return outcome, why
