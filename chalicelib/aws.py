"""One botocore session, and one client per service, per process.

Creating a botocore session loads and parses botocore's JSON service models; a client
per call (or a session per client) pays that again and again. Here both are made on
first use — nothing at import, for the cold start — under a lock (botocore's client
creation is not thread-safe; senders run in threads) and kept for the life of the
process, as AWS recommends for Lambda. Calls on a client are thread-safe.

A client is cached per (service, region, endpoint). Each service has one caller that
passes its Config (store/db.py for DynamoDB, notify/channels.py for SES and SNS); the
config of the first call is the one kept.
"""

from __future__ import annotations

import os
import threading
from typing import Any

_lock = threading.Lock()
_session: Any = None
_clients: dict[tuple[str, str | None, str | None], Any] = {}


def _session_locked() -> Any:
    global _session
    if _session is None:
        import botocore.session

        _session = botocore.session.get_session()
    return _session


def session() -> Any:
    """The process's botocore session."""
    with _lock:
        return _session_locked()


def client(service_name: str, *, region: str | None = None, endpoint_url: str | None = None, config: Any = None) -> Any:
    """The process's botocore client for the service at this region and endpoint."""
    key = (service_name, region, endpoint_url)
    found = _clients.get(key)
    if found is None:
        with _lock:
            found = _clients.get(key)
            if found is None:
                found = _session_locked().create_client(
                    service_name, region_name=region, endpoint_url=endpoint_url, config=config
                )
                _clients[key] = found
    return found


def reset() -> None:
    """Forget every client (tests); the session, with its parsed models, stays."""
    with _lock:
        _clients.clear()


def close_connections() -> None:
    """Close every client's pooled connections, keeping the clients (before a SnapStart
    snapshot: a connection would not survive it; the next call opens a new one)."""
    with _lock:
        for c in _clients.values():
            try:
                c._endpoint.http_session.close()
            except AttributeError:  # pragma: no cover - a botocore without that session
                pass


def _after_fork_in_child() -> None:
    # A forked child must not share the parent's open connections, nor a lock another
    # parent thread may have held at the fork. The session (parsed models) is plain data.
    global _lock
    _lock = threading.Lock()
    _clients.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)
