"""The whole product on one machine, no AWS account (`make run`).

    .venv/bin/python -m scripts.local_stack [--port 8000] [--ddb-port 8001] [--aws-port 5005]
                                            [--check] [--reload] [--timeout 60] [--data-dir .local]

Starts DynamoDB Local (data kept in .local/dynamodb/), the mock AWS server (moto: SES +
SNS) and the API server together; once DynamoDB Local answers, creates the table and
loads the demo business (one CLI step), verifies the sender domain in the mock SES, then
starts the outbox stream (scripts/outbox_stream.py: reads the table's stream and sends
new messages, as the deployed trigger does) and the local scheduler. The API server is scripts/local_server.py (the same app and local API Gateway
as `chalice local`, threaded with a deep listen backlog); `--reload` runs `chalice local
--autoreload` instead. The owner dashboard's local accounts (an owner and a staff member of the demo
business, passwords made once) are kept in .local/owners.json and printed with the
URLs. Ctrl-C or SIGTERM stops everything. --check starts it all, waits until
GET /api/v1/businesses/demo answers 200, prints "ok" and stops (for tests and CI).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parseaddr
from pathlib import Path

from chalicelib.auth.local_keys import LOCAL_AUDIENCE, LOCAL_ISSUER
from scripts.dynamodb_local import REPO_ROOT, DynamoDBLocal, free_ports, port_is_free, stop_process_group
from scripts.local_server import STARTING_ENV
from scripts.localstripe_server import LocalStripe
from scripts.mock_aws import MockAws, verify_sender

# The stack's data dir; REBOOK_DATA_DIR moves it, for the stack and the tools that find it.
LOCAL_DIR = Path(os.environ.get("REBOOK_DATA_DIR") or REPO_ROOT / ".local")
REGION = "eu-north-1"
DEMO_CONFIG = "config/businesses/demo.yaml"


# Beside DynamoDB Local's files (wiped together): the demo file's digest when it was last
# loaded into them.
DEMO_LOADED = "demo-config.sha256"


def demo_to_load(db_dir: Path, config: Path) -> str | None:
    """The digest of the demo salon's file if it must be loaded into the data in `db_dir`
    — a new data dir, or the file changed since it was loaded (a developer's edit wins) —
    else None: the owner's saves since (hours, settings) are kept across restarts."""
    digest = hashlib.sha256(config.read_bytes()).hexdigest()
    stamp = db_dir / DEMO_LOADED
    loaded = stamp.read_text(encoding="utf-8").strip() if stamp.exists() else None
    return None if loaded == digest else digest


def remember_demo_loaded(db_dir: Path, digest: str) -> None:
    db_dir.mkdir(parents=True, exist_ok=True)
    (db_dir / DEMO_LOADED).write_text(digest + "\n", encoding="utf-8")


class Stop(Exception):
    """Raised from the SIGINT/SIGTERM handler to unwind into the cleanup."""


class StackError(Exception):
    """Something failed to start; the message says what and how to fix it."""


def link_secret(local_dir: Path = LOCAL_DIR) -> str:
    """The secret that signs links in messages, kept in .local/ so links in messages
    already sent keep working after a restart."""
    if os.environ.get("REBOOK_LINK_SECRET"):
        return os.environ["REBOOK_LINK_SECRET"]
    path = local_dir / "link-secret"
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    local_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret


def local_auth_dir(local_dir: Path) -> Path:
    from chalicelib.auth.local_keys import ensure_key

    directory = local_dir / "auth"
    ensure_key(directory)
    return directory


def local_accounts(local_dir: Path = LOCAL_DIR) -> list[dict]:
    """The local owner dashboard's accounts: the demo business's owner and one staff
    member (aino), with random passwords made on the first start and kept in
    <data dir>/owners.json (read by POST /dev/sign-in, chalicelib/api/dev.py)."""
    path = local_dir / "owners.json"
    try:
        accounts = json.loads(path.read_text(encoding="utf-8"))["accounts"]
        if accounts:
            return accounts
    except (OSError, ValueError, KeyError, TypeError):
        pass
    accounts = [
        {
            "email": "omistaja@salonaurora.example",
            "password": secrets.token_urlsafe(12),
            "business": "demo",
            "role": "owner",
        },
        {
            "email": "aino@salonaurora.example",
            "password": secrets.token_urlsafe(12),
            "business": "demo",
            "role": "staff",
            "staff": "aino",
        },
    ]
    local_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"accounts": accounts}, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return accounts


STACK_FILE = "stack.json"  # in the data dir while a stack runs: its ports, for the local tools
CLOCK_FILE = "clock.json"  # where `rebook_cli run-job --now` moves the stack's clock
STARTING_FILE = "starting"  # while it exists the API answers 503 (scripts/local_server.py)


def running_stack(local_dir: Path | None = None) -> dict | None:
    """The ports (and pinned clock) of the stack running from `local_dir`, from the file
    it keeps there while it runs: the CLI and scripts.sent_messages talk to that stack,
    not to whatever answers on the default ports."""
    try:
        info = json.loads(((local_dir or LOCAL_DIR) / STACK_FILE).read_text(encoding="utf-8"))
        os.kill(int(info["pid"]), 0)  # still running?
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info


def local_ports(local_dir: Path | None = None) -> tuple[int, int, int]:
    """(API, DynamoDB Local, mock AWS) ports of the local stack: REBOOK_PORT,
    REBOOK_DDB_PORT, REBOOK_AWS_PORT when set, else those of the stack running from
    `local_dir`, else the defaults."""
    info = running_stack(local_dir) or {}
    env = os.environ
    return (
        int(env.get("REBOOK_PORT") or info.get("port") or 8000),
        int(env.get("REBOOK_DDB_PORT") or info.get("ddb_port") or 8001),
        int(env.get("REBOOK_AWS_PORT") or info.get("aws_port") or 5005),
    )


def child_env(
    port: int, ddb_port: int, aws_port: int, local_dir: Path = LOCAL_DIR, now: str | None = None
) -> dict[str, str]:
    env = dict(os.environ)
    if now:  # the stack's clock stopped there (REBOOK_NOW: chalicelib/clock.py)
        env["REBOOK_NOW"] = now
    # `rebook_cli run-job --now` moves the local stack's clock here (chalicelib/clock.py).
    env["REBOOK_CLOCK_FILE"] = str(local_dir / CLOCK_FILE)
    # Never let a developer's real AWS profile or session leak into the local stack.
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    env.update(
        REBOOK_STAGE="local",
        REBOOK_TABLE="rebook-local",
        REBOOK_DYNAMODB_ENDPOINT=f"http://127.0.0.1:{ddb_port}",
        REBOOK_AWS_ENDPOINT=f"http://127.0.0.1:{aws_port}",
        REBOOK_PUBLIC_URL=f"http://127.0.0.1:{port}",
        REBOOK_LINK_SECRET=link_secret(local_dir),
        # Owner sign-in: tokens from `rebook_cli owner-token`, signed by a local key.
        REBOOK_AUTH_JWKS_FILE=str(local_auth_dir(local_dir) / "jwks.json"),
        REBOOK_AUTH_ISSUER=LOCAL_ISSUER,
        REBOOK_AUTH_AUDIENCE=LOCAL_AUDIENCE,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,  # settings prefer AWS_REGION; keep a stray one from winning
        # Webhooks to a receiver on this machine (docs/webhooks.md); ignored outside local stages.
        REBOOK_WEBHOOKS_ALLOW_PRIVATE=env.get("REBOOK_WEBHOOKS_ALLOW_PRIVATE", "1"),
        PYTHONUNBUFFERED="1",  # children's output shows up in the terminal as it happens
    )
    return env


def chalice_command() -> list[str]:
    # Not `python -m chalice` (there is no chalice.__main__) and not `python -c`: chalice's
    # autoreloader re-runs sys.argv, so it must start from the real console script.
    script = Path(sys.executable).parent / "chalice"
    if not script.exists():
        found = shutil.which("chalice")
        if not found:
            raise StackError("The `chalice` command is not installed; run `make install`.")
        script = Path(found)
    return [str(script)]


def http_status(url: str, timeout: float = 2) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def keep_out_of_git(data_dir: Path) -> None:
    """Make the data dir, which git ignores wherever it is: it holds the local passwords,
    the link secret and a signing key (a data dir made inside a clone was one `git add -A`
    from committing them)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    ignore = data_dir / ".gitignore"
    if not ignore.exists():  # a repository's own (--data-dir .) is not written over
        ignore.write_text("*\n", encoding="utf-8")


class LocalStack:
    def __init__(
        self,
        port: int,
        ddb_port: int,
        aws_port: int,
        local_dir: Path = LOCAL_DIR,
        reload: bool = False,
        now: str | None = None,
        lived_in: bool = False,
    ):
        self.port, self.ddb_port, self.aws_port = port, ddb_port, aws_port
        self.now = now
        # `make run`'s demo salon starts with a year of clients (scripts/demo_history.py);
        # the tests' stacks seed exactly what each test needs instead.
        self.lived_in = lived_in
        self.local_dir = local_dir
        self.reload = reload
        self.ddb: DynamoDBLocal | None = None
        self.aws: MockAws | None = None
        self.stripe: LocalStripe | None = None
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.env: dict[str, str] = {}
        self.accounts: list[dict] = []

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def check_ports(self) -> None:
        ports = {
            "API (--port / REBOOK_PORT)": self.port,
            "DynamoDB Local (--ddb-port / REBOOK_DDB_PORT)": self.ddb_port,
            "mock AWS (--aws-port / REBOOK_AWS_PORT)": self.aws_port,
        }
        if len(set(ports.values())) != len(ports):
            raise StackError(f"The three ports must differ: {ports}")
        for what, port in ports.items():
            if not port_is_free(port):
                raise StackError(
                    f"Port {port} for {what} is already in use. Stop whatever is "
                    f"using it (another `make run`?) or choose another port."
                )

    def start(self) -> None:
        self.check_ports()
        self.env = child_env(self.port, self.ddb_port, self.aws_port, self.local_dir, self.now)
        keep_out_of_git(self.local_dir)
        (self.local_dir / CLOCK_FILE).unlink(missing_ok=True)  # a new start runs on its own clock
        info: dict[str, int | str] = {
            "pid": os.getpid(),
            "port": self.port,
            "ddb_port": self.ddb_port,
            "aws_port": self.aws_port,
        }
        if self.now:
            info["now"] = self.now
        (self.local_dir / STACK_FILE).write_text(json.dumps(info) + "\n", encoding="utf-8")
        logs = self.local_dir / "logs"
        # DynamoDB Local (a JVM), the mock AWS server and the API server take seconds each
        # to start: they start together, and each step waits only for what it needs.
        print(f"Starting DynamoDB Local on port {self.ddb_port} (data in {self.local_dir / 'dynamodb'}) ...")
        self.ddb = DynamoDBLocal(self.ddb_port, db_path=self.local_dir / "dynamodb", log_path=logs / "dynamodb.log")
        self._starting(self.ddb.launch)
        print(f"Starting the mock AWS server (SES, SNS) on port {self.aws_port} ...")
        # What it "sends" is kept beside the data, so it survives a restart as bookings do.
        self.aws = MockAws(self.aws_port, log_path=logs / "mock-aws.log", store=self.local_dir / "sent-messages.jsonl")
        self._starting(self.aws.launch)
        # localstripe (GPL, its own process): the Stripe API, Stripe.js's stand-in and
        # signed webhooks, on a port of its own (REBOOK_STRIPE_PORT, else any free one);
        # ready before the API server starts, which reads its address from the env.
        ours = (self.port, self.ddb_port, self.aws_port)  # the API's is not listening yet
        stripe_port = int(os.environ.get("REBOOK_STRIPE_PORT") or next(p for p in free_ports(4) if p not in ours))
        logs.mkdir(parents=True, exist_ok=True)
        print(f"Starting localstripe (fake Stripe) on port {stripe_port} ...")
        self.stripe = LocalStripe(stripe_port, log_path=logs / "localstripe.log")
        self._starting(self.stripe.start)
        self.stripe.send_webhooks_to(f"{self.api}/webhooks/stripe")
        self.env.update(self.stripe.env())
        self.accounts = local_accounts(self.local_dir)  # before the API server reads them
        # Until the table is made and the demo salon loaded, the API answers 503 with
        # Retry-After (not a 500 of a missing table); not with --reload (chalice local).
        starting = self.local_dir / STARTING_FILE
        starting.write_text("", encoding="utf-8")
        self.env[STARTING_ENV] = str(starting)
        self.spawn("API server", self.api_command())  # it reaches the table only when asked

        self._starting(self.ddb.wait_ready)
        db_dir = self.local_dir / "dynamodb"
        digest = demo_to_load(db_dir, REPO_ROOT / DEMO_CONFIG)
        if digest is None:
            print(f"The demo salon as last saved ({DEMO_CONFIG} unchanged since it was loaded)")
            self.run_step("create-table")
        else:
            # The repo's demo file changed since it was loaded: it wins over what was
            # changed on the local settings screen (load-business says what it replaced).
            self.run_step("load-business", "--create-table", "--replace-owner-changes", DEMO_CONFIG)
        self._starting(self.aws.wait_ready)
        sender = parseaddr(os.environ.get("REBOOK_EMAIL_FROM", "bookings@rebook.local"))[1]
        # The whole domain, so any @rebook.local sender (per business, per flow) works.
        verify_sender(self.aws.endpoint, sender.rpartition("@")[2] or sender, REGION)
        if digest is not None:
            # A new table: its year of clients (none written to one that has clients), once
            # the mock SES takes mail (the low rating in it alerts the owner).
            if self.lived_in:
                self.run_step("seed-demo-history", "demo")
            remember_demo_loaded(db_dir, digest)
        starting.unlink(missing_ok=True)
        # New messages (a booking's confirmations) leave from the table's stream, as the
        # deployed trigger sends them: a poller calls the same trigger.
        print("Starting the outbox stream (DynamoDB Local's stream -> app.send_from_outbox) ...")
        self.spawn("outbox stream", [sys.executable, "-m", "scripts.outbox_stream"])
        self.spawn("scheduler", [sys.executable, "-m", "scripts.rebook_cli", "run-scheduler"])

    def api_command(self) -> list[str]:
        """The API: scripts/local_server.py (the app behind chalice's local API Gateway,
        threaded, with a listen backlog for 50 and more concurrent clients). With
        --reload, `chalice local --autoreload` instead (its reloader restarts its own
        server; its backlog is 5, enough for one developer's browser)."""
        if not self.reload:
            print(f"Starting the API server on port {self.port} ...")
            return [sys.executable, "-m", "scripts.local_server", "--host", "127.0.0.1", "--port", str(self.port)]
        # chalice's autoreloader polls every file under the project each second (.venv,
        # node_modules) and restarts on any change — DynamoDB Local's data in .local/
        # among them, so every booking restarted the server. Only when asked for.
        print(f"Starting chalice local (autoreload) on port {self.port} ...")
        return chalice_command() + [
            "local",
            "--stage",
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--autoreload",
        ]

    def _starting(self, start) -> None:
        try:
            start()
        except (RuntimeError, FileNotFoundError) as exc:
            raise StackError(str(exc)) from None

    def run_step(self, *args: str) -> None:
        cmd = [sys.executable, "-m", "scripts.rebook_cli", *args]
        print(f"Running rebook_cli {' '.join(args)} ...")
        result = subprocess.run(cmd, cwd=REPO_ROOT, env=self.env, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise StackError(
                f"`python -m scripts.rebook_cli {' '.join(args)}` failed "
                f"(exit {result.returncode}); see its output above."
            )

    def spawn(self, name: str, cmd: list[str]) -> None:
        # Own process group: the terminal's Ctrl-C reaches only us, and we stop each
        # child with everything it started (chalice's autoreloader runs a worker).
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=self.env, stdin=subprocess.DEVNULL, start_new_session=True)
        self.children.append((name, proc))

    def ensure_children_alive(self) -> None:
        for name, proc in self.children:
            if proc.poll() is not None:
                raise StackError(
                    f"{name} exited unexpectedly (code {proc.returncode}); see its output above. Stopping everything."
                )

    def wait_for(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ensure_children_alive()
            if ready():
                return
            time.sleep(0.05)  # a check is a process poll and a local request: cheap
        raise StackError(f"Timed out after {timeout:.0f} s waiting for {what}.")

    def api_listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        (self.local_dir / STARTING_FILE).unlink(missing_ok=True)
        stack_file = self.local_dir / STACK_FILE
        try:
            if json.loads(stack_file.read_text(encoding="utf-8")).get("pid") == os.getpid():
                stack_file.unlink()
        except (OSError, ValueError):
            pass
        for _name, proc in reversed(self.children):
            stop_process_group(proc)
        self.children.clear()
        for service in (self.stripe, self.aws, self.ddb):
            if service is not None:
                service.stop()

    def banner(self) -> str:
        assert self.aws is not None and self.ddb is not None, "banner() before start()"
        return "\n".join(
            [
                "",
                "Rebook is running locally.",
                f"  API base            {self.api}",
                f"  Demo business       {self.api}/api/v1/businesses/demo",
                f"  Booking page        {self.api}/book/demo",
                f"  Sent messages       {self.api}/dev/messages",
                f"  Owner dashboard     {self.api}/admin",
                *[f"    {a['role']:<6} {a['email']:<32} password {a['password']}" for a in self.accounts],
                f"  Owner API           {self.api}/api/v1/admin/me  (token: rebook_cli owner-token demo)",
                f"  Mock AWS (SES/SNS)  {self.aws.endpoint}",
                f"  localstripe         {self.stripe.url if self.stripe else '-'}  (test card 4242 4242 4242 4242)",
                f"  DynamoDB Local      {self.ddb.endpoint}",
                "",
                "List sent emails and SMS:  .venv/bin/python -m scripts.sent_messages",
                f"Logs of DynamoDB Local and the mock AWS server: {self.local_dir / 'logs'}",
                "Press Ctrl-C to stop.",
                "",
            ]
        )


@contextmanager
def scratch_stack(prefix: str, now: str | None = None, timeout: float = 90) -> Iterator[LocalStack]:
    """A stack on free ports with a temporary data directory, started, its demo salon
    answering; stopped, and its directory (table, keys, logs: about 3 MB) removed, after.
    What the tests and benchmarks start: they leave nothing behind in /tmp."""
    with tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True) as data:
        api_port, ddb_port, aws_port = free_ports(3)
        stack = LocalStack(api_port, ddb_port, aws_port, local_dir=Path(data), now=now)
        try:
            stack.start()
            url = f"{stack.api}/api/v1/businesses/demo"
            stack.wait_for(lambda: http_status(url) == 200, timeout, f"GET {url}")
            yield stack
        finally:
            stack.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(description="Run Rebook locally (what `make run` runs).")
    parser.add_argument("--port", type=int, default=int(env.get("REBOOK_PORT", 8000)), help="API port")
    parser.add_argument("--ddb-port", type=int, default=int(env.get("REBOOK_DDB_PORT", 8001)))
    parser.add_argument("--aws-port", type=int, default=int(env.get("REBOOK_AWS_PORT", 5005)))
    parser.add_argument(
        "--reload",
        action="store_true",
        help="restart the API when a file changes (for editing code; polls the whole project)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="start, wait until the demo business is served, print ok, stop (without the demo's history)",
    )
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for the API")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=LOCAL_DIR,
        help="where DynamoDB data, logs and the link secret live (default .local/, or REBOOK_DATA_DIR; "
        "the CLI and scripts.sent_messages find a stack by REBOOK_DATA_DIR)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The demo's year of clients for a real run; --check (start, serve, stop) needs none.
    stack = LocalStack(
        args.port, args.ddb_port, args.aws_port, args.data_dir.resolve(), reload=args.reload, lived_in=not args.check
    )

    def on_signal(signum, _frame):
        raise Stop(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    checked = False
    try:
        stack.start()
        if args.check:
            url = f"{stack.api}/api/v1/businesses/demo"
            stack.wait_for(lambda: http_status(url) == 200, args.timeout, f"GET {url} to answer 200")
            checked = True
            return 0
        stack.wait_for(stack.api_listening, args.timeout, "the API server to listen")
        print(stack.banner(), flush=True)
        while True:  # until Ctrl-C, SIGTERM, or a child dies
            stack.ensure_children_alive()
            time.sleep(0.5)
    except Stop:
        print("\nStopping ...", flush=True)
        return 0
    except StackError as exc:
        print(f"\nlocal stack: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        # A second Ctrl-C must not cut the cleanup short and orphan children.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        if checked:
            # Only now: the children share this stdout, and a late start-up line
            # from one of them must not land after the verdict.
            print("ok", flush=True)


if __name__ == "__main__":
    sys.exit(main())
