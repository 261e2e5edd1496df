"""moto's server standing in for SES and SNS locally, plus one read-only endpoint,
GET /_rebook/sent, so other processes (the dev page, scripts.sent_messages, tests)
can see what was "sent".

    python -m scripts.mock_aws --port 5005 --host 127.0.0.1

moto serves every service it knows on the one port; Rebook only uses SES and SNS.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import urllib.request
from datetime import UTC
from pathlib import Path

from chalicelib import clock
from chalicelib.api.dev_messages import SENT_PATH
from scripts.dynamodb_local import LOCAL_CREDENTIALS, LocalServer


def _message_ids() -> list[str]:
    """Ids of every message moto's SES and SNS backends hold (all accounts and regions)."""
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    ids = []
    for _, _, backend in list(ses_backends.iter_backends()):
        ids += [m.id for m in list(backend.sent_messages)]
    for _, _, backend in list(sns_backends.iter_backends()):
        ids += list(backend.sms_messages)
    return ids


class SendClock:
    """moto records no send times. Note when each message first shows up (checked after
    every request) so readers can order emails and SMS together, newest last.
    Locally there are at most a few thousand messages, so a full scan is cheap."""

    def __init__(self, first_seq: int = 1) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[int, str]] = {}  # message id -> (seq, ISO time)
        self._first = first_seq  # after the messages kept from earlier runs

    def update(self) -> None:
        now = clock.now().astimezone(UTC).isoformat(timespec="milliseconds")
        with self._lock:
            for message_id in _message_ids():
                if message_id not in self._seen:
                    self._seen[message_id] = (self._first + len(self._seen), now)

    def stamp(self, message_id: str) -> dict:
        seq, when = self._seen.get(message_id, (0, None))
        return {"seq": seq, "timestamp": when}


def _destinations(value) -> list[str]:
    # SendEmail keeps {"ToAddresses": [...], "CcAddresses": [...]}; SendRawEmail a list.
    if isinstance(value, dict):
        return [addr for addrs in value.values() for addr in addrs]
    return list(value or [])


def collect_sent(clock: SendClock, kept: dict | None = None) -> dict:
    """Everything moto's SES and SNS backends hold, as plain JSON-able data, after what
    earlier runs of the server sent (`kept`, read from its store)."""
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    clock.update()
    emails, sms = [], []
    for _, _, backend in list(ses_backends.iter_backends()):
        for m in list(backend.sent_messages):
            item = {"id": m.id, "source": m.source, "destinations": _destinations(m.destinations)}
            if hasattr(m, "raw_data"):
                item["raw"] = m.raw_data
            elif hasattr(m, "template"):
                item.update(template=m.template, template_data=m.template_data)
            else:
                item.update(subject=m.subject, body=m.body)
            emails.append({**item, **clock.stamp(m.id)})
    for _, _, backend in list(sns_backends.iter_backends()):
        for message_id, (phone, text) in list(backend.sms_messages.items()):
            sms.append({"id": message_id, "phone": phone, "message": text, **clock.stamp(message_id)})
    if kept:
        emails = kept["emails"] + emails
        sms = kept["sms"] + sms
    emails.sort(key=lambda e: e["seq"])
    sms.sort(key=lambda s: s["seq"])
    return {"emails": emails, "sms": sms}


class SentStore:
    """The messages "sent" kept in a file (one JSON record a line), so a restarted
    local stack still shows them, as it still has the bookings they were about."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kept: dict[str, list[dict]] = {"emails": [], "sms": []}
        self._ids: set[str] = set()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            lines = []
        for line in lines:
            try:
                record = json.loads(line)
                self.kept[record.pop("channel")].append(record)
                self._ids.add(record["id"])
            except (ValueError, KeyError, AttributeError):
                continue  # a line cut short by a crash
        self.saved_ids = set(self._ids)

    def next_seq(self) -> int:
        return 1 + max((r.get("seq", 0) for rs in self.kept.values() for r in rs), default=0)

    def save_new(self, sent: dict) -> None:
        new = [
            {"channel": channel, **r}
            for channel in ("emails", "sms")
            for r in sent[channel]
            if r["id"] not in self.saved_ids and r.get("seq")
        ]
        if not new:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            for record in new:
                f.write(json.dumps(record) + "\n")
                self.saved_ids.add(record["id"])


class SentMessagesApp:
    """WSGI middleware: answers GET /_rebook/sent itself, passes the rest to moto."""

    def __init__(self, app, store: Path | None = None) -> None:
        self.app = app
        self.store = SentStore(store) if store else None
        self.clock = SendClock(self.store.next_seq() if self.store else 1)
        self._lock = threading.Lock()

    def sent(self) -> dict:
        sent = collect_sent(self.clock, self.store.kept if self.store else None)
        if self.store:
            with self._lock:
                self.store.save_new(sent)
        return sent

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == SENT_PATH and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps(self.sent()).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        response = self.app(environ, start_response)
        # moto handles the request inside the call above, so any message it sent
        # already exists: stamp it now, close to its real send time (and keep it).
        if self.store:
            self.sent()
        else:
            self.clock.update()
        return response


def build_app(store: Path | None = None):
    from moto.server import DomainDispatcherApplication, create_backend_app

    return SentMessagesApp(DomainDispatcherApplication(create_backend_app), store)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--store", type=Path, help="keep what is sent in this file (and show it after a restart)")
    args = parser.parse_args(argv)

    from moto.server import MotoRequestHandler
    from werkzeug.serving import run_simple

    # moto builds some URLs (e.g. SNS subscription confirmations) from MOTO_PORT.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        run_simple(args.host, args.port, build_app(args.store), threaded=True, request_handler=MotoRequestHandler)
    except KeyboardInterrupt:
        pass


# --- for tests and scripts.local_stack -------------------------------------------------


def get_sent_raw(endpoint: str, timeout: float = 5) -> dict:
    with urllib.request.urlopen(endpoint.rstrip("/") + SENT_PATH, timeout=timeout) as resp:
        return json.load(resp)


def verify_sender(endpoint: str, identity: str, region: str = "eu-north-1") -> None:
    """moto's SES rejects unverified senders, as real SES does in its sandbox. Verify
    an address ("a@b.c") or a whole domain ("b.c": every sender @b.c then works)."""
    import boto3

    ses = boto3.client("ses", endpoint_url=endpoint, region_name=region, **LOCAL_CREDENTIALS)
    if "@" in identity:
        ses.verify_email_identity(EmailAddress=identity)
    else:
        ses.verify_domain_identity(Domain=identity)


class MockAws(LocalServer):
    """The mock AWS server in a child process (its state lives there, like in `make run`)."""

    what = "the mock AWS server"
    log_prefix = "mock-aws-"

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        log_path: str | Path | None = None,
        timeout: float = 30,
        store: Path | None = None,
    ):
        super().__init__(port, log_path, timeout, host)
        self.store = store

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "scripts.mock_aws", "--host", self.host, "--port", str(self.port)]
        return [*cmd, "--store", str(self.store)] if self.store else cmd

    def _answers(self) -> bool:
        try:
            get_sent_raw(self.endpoint, timeout=1)
            return True
        except OSError:
            return False


if __name__ == "__main__":
    main()
