"""A real HTTP receiver for the webhook tests: stdlib http.server in a thread on a free
port, verifying every delivery with the `standardwebhooks` package (as an integration
would), and answering as the test tells it (200, 500, 410, 429, slow, down)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import standardwebhooks.webhooks as sw


@dataclass
class Delivery:
    id: str
    timestamp: str
    signatures: list[str]
    payload: dict
    verified_with: list[str] = field(default_factory=list)  # the secrets whose signature matched


class Receiver:
    """`answer` decides each response: a status code, or (status, headers); `hold`, when
    set, keeps the request waiting until it is released (slower than the timeout)."""

    def __init__(self, secrets: Callable[[], list[str]], now: Callable[[], datetime]):
        self._secrets, self._now = secrets, now
        self.deliveries: list[Delivery] = []
        self.rejected: list[str] = []
        self.answer: int | tuple[int, dict[str, str]] = 200
        self.hold: threading.Event | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/rebook?x=1"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.hold is not None:
                    receiver.hold.wait(10)
                receiver._take(body, {k.lower(): v for k, v in self.headers.items()})
                answer = receiver.answer
                status, headers = answer if isinstance(answer, tuple) else (answer, {})
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        # Its loop looks for shutdown() every 0.05 s (0.5 s by default: each test's stop()
        # waited that long).
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        """Down: nothing listens on the port (connection refused) until start()."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _take(self, body: bytes, headers: dict[str, str]) -> None:
        # Verify as a receiver would; its clock is the test's (the webhook-timestamp is
        # checked against "now" with a 5-minute tolerance).
        now = self._now()

        class Clock(datetime):
            @classmethod
            def now(cls, tz=None):
                return now

        matched = []
        original = sw.datetime
        sw.datetime = Clock  # type: ignore[misc]
        try:
            for secret in self._secrets():
                try:
                    sw.Webhook(secret).verify(body, headers)
                    matched.append(secret)
                except sw.WebhookVerificationError:
                    pass
        finally:
            sw.datetime = original  # type: ignore[misc]
        with self._lock:
            if not matched:
                self.rejected.append(headers.get("webhook-id", "?"))
                return
            self.deliveries.append(
                Delivery(
                    headers["webhook-id"],
                    headers["webhook-timestamp"],
                    headers["webhook-signature"].split(" "),
                    json.loads(body),
                    matched,
                )
            )

    def types(self) -> list[str]:
        return [d.payload["type"] for d in self.deliveries]

    def ids(self) -> list[str]:
        return [d.id for d in self.deliveries]
