"""The API server of `make run`: the same Chalice app `chalice local` serves, through
the same local API Gateway (chalice.local.LocalGateway, authorizers included), in a
threaded server whose listen backlog holds a crowd.

    .venv/bin/python -m scripts.local_server [--host 127.0.0.1] [--port 8000] [--stage local]

`chalice local`'s server is threaded too, but it keeps http.server's listen backlog of
5: when more clients connect at once than the accept loop takes in, the kernel resets
the rest (issue 18: 4 of 20 racing bookings got ConnectionResetError). Here the backlog
is REQUEST_QUEUE_SIZE and every connection gets a thread of its own (daemon threads, so
Ctrl-C never waits on a client that keeps its connection open).

`scripts/local_stack.py` runs this unless `--reload` is asked for (then `chalice local
--autoreload`, whose reloader restarts its own server).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from scripts.dynamodb_local import REPO_ROOT

# Connections the kernel keeps waiting for accept(); 50 concurrent clients with room to
# spare (the kernel caps it at net.core.somaxconn, 4096 on current Linux).
REQUEST_QUEUE_SIZE = 128
# While this file exists (scripts/local_stack.py: until the table is made and the demo
# salon loaded) every request is a 503 with Retry-After, not the app's 500 of a missing
# table. Unset: always ready.
STARTING_ENV = "REBOOK_STARTING_FILE"
STARTING_BODY = json.dumps(
    {"error": {"code": "unavailable", "message": "The local stack is still starting; try again.", "fields": {}}}
).encode()


class _Starting(BaseHTTPRequestHandler):
    """Every request while the stack starts: 503, Retry-After: 1."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= 1_000_000:
            self.rfile.read(length)  # read, so closing does not reset her connection
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Retry-After", "1")
        self.send_header("Content-Length", str(len(STARTING_BODY)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(STARTING_BODY)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _answer

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # any other method (TRACE, QUERY, ...): starting too
            return self._answer
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def handler_class() -> type:
    """chalice.local's request handler, for every method: http.server answers a method
    its handler has no do_<METHOD> for (TRACE, QUERY, PROPFIND, ...) with its own 501
    HTML page; here the request goes to the app as any other, which answers a method
    its route does not take with 405 in the error shape (app.py errors_in_one_shape),
    as it does a PUT on a GET route (an unknown path: the local 403 of docs/api.md)."""
    from chalice.local import ChaliceRequestHandler

    class AnyMethodHandler(ChaliceRequestHandler):
        def __getattr__(self, name: str) -> Any:
            if name.startswith("do_"):
                return self._generic_handle
            raise AttributeError(name)

    return AnyMethodHandler


def server_class() -> type:
    from chalice.local import ThreadedHTTPServer

    starting = os.environ.get(STARTING_ENV)

    class BacklogServer(ThreadedHTTPServer):
        request_queue_size = REQUEST_QUEUE_SIZE
        daemon_threads = True
        allow_reuse_address = True
        ready = not starting

        def finish_request(self, request: Any, client_address: Any) -> None:
            if not self.ready and starting:
                if Path(starting).exists():
                    _Starting(request, client_address, self)
                    return
                type(self).ready = True  # once ready, for good: no file check per request
            super().finish_request(request, client_address)

    return BacklogServer


def create_server(host: str, port: int, stage: str = "local") -> Any:
    """A chalice.local.LocalDevServer for the app in this repository, as `chalice local
    --stage <stage>` makes it (the stage's environment variables, the route checks),
    but on BacklogServer."""
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.validate import validate_routes
    from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer

    factory = CLIFactory(str(REPO_ROOT))
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = config.chalice_app
    validate_routes(app.routes)
    # What chalice.local.create_local_server does: current_request per thread.
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=handler_class(), server_cls=server_class())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Rebook API locally (threaded, deep backlog).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="local")
    args = parser.parse_args(argv)
    import logging

    # As `chalice local` does: the app's log lines on stdout.
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    server = create_server(args.host, args.port, args.stage)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
