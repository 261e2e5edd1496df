"""Cold start, as ratios to importing boto3 alone (the floor every Python Lambda that
talks to AWS pays), medians of several runs, interleaved, each in a fresh interpreter:

- import_ratio: importing app.py.
- first_booking_ratio, first_availability_ratio: WITHOUT SnapStart. From a fresh
  interpreter to the answer of its first booking / first availability query: app.py's
  import, then the API event handled as Lambda hands it over, against DynamoDB Local and
  the mock SES/SNS. What every cold start pays on a runtime without SnapStart.
- snapstart_first_booking_ratio, snapstart_first_availability_ratio: WITH SnapStart,
  which is how the CDK app deploys (Python 3.12, infra/lambda_python.py). Lambda runs
  the init (app.py's import, which registers the hooks with the runtime's
  `snapshot_restore_py` and runs `snapshot.prime()`) and the before-snapshot hook once
  per published version, and every cold start resumes from that snapshot. Modelled
  here: the init and the before-snapshot hook run untimed in a fresh interpreter (a
  stand-in `snapshot_restore_py` collects the hooks as the runtime's does), then the
  after-restore hook and the first request are timed. What a restored copy pays for
  its first request; not included: Lambda's own restore of the snapshot (its memory
  pages come back lazily from a cache: Lambda reports it as the Restore Duration),
  which cannot be measured off Lambda.
- package_mb: the deployment package as the CDK app uploads it (infra/lean_package.py:
  for Python 3.12, minus the libraries the Lambda runtime provides).

    .venv/bin/python bench/coldstart.py [--runs 9]

Prints one `bench:` line last. Targets (issue 19): first_booking_ratio <= 2.5,
first_availability_ratio <= 1.5, package_mb <= 20; with SnapStart deployed, the cold
start a client meets is the snapstart_ pair.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# As in Lambda: a deployed stage's settings, nothing local.
LAMBDA_ENV = {
    "REBOOK_STAGE": "prod",
    "REBOOK_TABLE": "rebook-prod",
    "AWS_REGION": "eu-north-1",
    "AWS_DEFAULT_REGION": "eu-north-1",
    "POWERTOOLS_SERVICE_NAME": "rebook",
    # As .chalice/config.json sets it for every function: no scan of every installed
    # package's entry points for pydantic plugins at the first model (none are used).
    "PYDANTIC_DISABLE_PLUGINS": "__all__",
    "PYTHONDONTWRITEBYTECODE": "1",
}
TIMER = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
# A fresh interpreter's first request: app.py's import and the event, timed together.
FIRST_REQUEST = """import json, sys, time
t = time.perf_counter()
import app
answer = app.app(json.loads(sys.argv[1]), None)
print(time.perf_counter() - t)
print(answer["statusCode"])
"""
# A copy restored from a SnapStart snapshot: the init untimed, as Lambda does it once per
# version (app.py registers the hooks with the runtime's module and primes), then the
# after-restore hook and the first request, timed.
RESTORED_REQUEST = """import json, sys, time, types
hooks = {}
runtime = types.ModuleType("snapshot_restore_py")
runtime.register_before_snapshot = lambda f: hooks.setdefault("before", f)
runtime.register_after_restore = lambda f: hooks.setdefault("after", f)
sys.modules["snapshot_restore_py"] = runtime
import app
hooks["before"]()
t = time.perf_counter()
hooks["after"]()
answer = app.app(json.loads(sys.argv[1]), None)
print(time.perf_counter() - t)
print(answer["statusCode"])
"""


def import_seconds(module: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REBOOK_", "AWS_"))}
    out = subprocess.run(
        [sys.executable, "-c", TIMER.format(module=module)],
        cwd=ROOT,
        env={**env, **LAMBDA_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def api_event(method: str, route: str, path: str, params: dict, query: dict | None = None, body=None) -> dict:
    """A REST API proxy event as API Gateway hands it to the function."""
    headers = {"Host": "api.example.test", "Content-Type": "application/json"}
    return {
        "resource": route,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route,
            "httpMethod": method,
            "path": f"/api{path}",
            "stage": "api",
            "requestId": "coldstart",
            "identity": {"sourceIp": "192.0.2.10"},
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def booking_event(staff: str, start: str, phone: str) -> dict:
    return api_event(
        "POST",
        "/api/v1/businesses/{slug}/bookings",
        "/api/v1/businesses/demo/bookings",
        {"slug": "demo"},
        body={
            "service": "mens-cut",
            "staff": staff,
            "start": start,
            "client": {"name": "Cold Start", "phone": phone, "email": f"cold{phone[-5:]}@example.com"},
        },
    )


def first_request_seconds(event: dict, env: dict[str, str], script: str = FIRST_REQUEST) -> float:
    out = subprocess.run(
        [sys.executable, "-c", script, json.dumps(event)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, status = out.stdout.strip().splitlines()[-2:]
    if not status.startswith("2"):
        raise SystemExit(f"the first request answered {status}: {out.stdout[-2000:]}")
    return float(seconds)


def package_mb() -> float:
    """The prod package as the CDK app builds it (Chalice's cache in .chalice/deployments
    makes a second build cheap), in a process of its own: packaging imports app.py."""
    build = "import sys; from pathlib import Path; from infra.lean_package import package; "
    build += "package(Path(sys.argv[1]), Path(sys.argv[2]), 'prod')"
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, "-c", build, str(ROOT), out],
            cwd=ROOT,
            check=True,
            env={**os.environ, "AWS_DEFAULT_REGION": "eu-north-1"},
            capture_output=True,
        )
        return (Path(out) / "deployment.zip").stat().st_size / 1e6


def main() -> None:
    from scripts.dynamodb_local import DynamoDBLocal
    from scripts.mock_aws import MockAws, verify_sender

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with DynamoDBLocal() as ddb, MockAws() as aws:
        verify_sender(aws.endpoint, "rebook.local")
        # A deployed stage's settings, pointed at DynamoDB Local and the mock SES/SNS.
        base = {k: v for k, v in os.environ.items() if not k.startswith(("REBOOK_", "AWS_"))}
        request_env = {
            **base,
            **LAMBDA_ENV,
            "REBOOK_STAGE": "dev",
            "REBOOK_TABLE": "rebook-coldstart",
            "REBOOK_LINK_SECRET": "coldstart",
            "REBOOK_DYNAMODB_ENDPOINT": ddb.endpoint,
            "REBOOK_AWS_ENDPOINT": aws.endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
        slots = prepare(request_env, 2 * args.runs)
        import_seconds("app")  # warm the OS file cache
        app_runs, boto_runs, booking_runs, availability_runs = [], [], [], []
        restored_booking_runs, restored_availability_runs = [], []
        day = slots[0][1][:10]
        availability = api_event(
            "GET",
            "/api/v1/businesses/{slug}/availability",
            "/api/v1/businesses/demo/availability",
            {"slug": "demo"},
            {"service": "mens-cut", "from": day, "to": day},
        )
        for i in range(args.runs):
            boto_runs.append(import_seconds("boto3"))
            app_runs.append(import_seconds("app"))
            staff, start = slots[i]
            booking = booking_event(staff, start, f"+3584010{i:05d}")
            booking_runs.append(first_request_seconds(booking, request_env))
            availability_runs.append(first_request_seconds(availability, request_env))
            staff, start = slots[args.runs + i]
            booking = booking_event(staff, start, f"+3584020{i:05d}")
            restored_booking_runs.append(first_request_seconds(booking, request_env, RESTORED_REQUEST))
            restored_availability_runs.append(first_request_seconds(availability, request_env, RESTORED_REQUEST))
    app_s, boto_s, booking_s, availability_s, snap_booking_s, snap_availability_s = (
        statistics.median(r)
        for r in (
            app_runs,
            boto_runs,
            booking_runs,
            availability_runs,
            restored_booking_runs,
            restored_availability_runs,
        )
    )
    size = package_mb()
    print(f"import app: {app_s * 1000:.0f} ms, import boto3: {boto_s * 1000:.0f} ms (medians of {args.runs})")
    print(f"fresh interpreter to its first booking's 201: {booking_s * 1000:.0f} ms ({booking_s / boto_s:.2f} x boto3)")
    print(
        f"fresh interpreter to its first availability answer: {availability_s * 1000:.0f} ms "
        f"({availability_s / boto_s:.2f} x boto3)"
    )
    print(
        f"SnapStart, a restored copy (init, prime and the before-snapshot hook done at the snapshot): "
        f"after-restore hook and first booking's 201 {snap_booking_s * 1000:.0f} ms ({snap_booking_s / boto_s:.2f} x boto3), "
        f"first availability {snap_availability_s * 1000:.0f} ms ({snap_availability_s / boto_s:.2f} x boto3); "
        "Lambda's own restore time not included"
    )
    print(f"deployment package: {size:.1f} MB zipped (python3.12)")
    print(
        f"bench: import_ratio={app_s / boto_s:.2f} first_booking_ratio={booking_s / boto_s:.2f} "
        f"first_availability_ratio={availability_s / boto_s:.2f} package_mb={size:.1f} "
        f"snapstart_first_booking_ratio={snap_booking_s / boto_s:.2f} "
        f"snapstart_first_availability_ratio={snap_availability_s / boto_s:.2f}"
    )


def prepare(env: dict[str, str], count: int) -> list[tuple[str, str]]:
    """The table and the demo business, and `count` free times to book (one per run)."""
    script = """import json, sys
from datetime import date, timedelta
import yaml
from chalicelib.domain.config import parse_business_config
from chalicelib.store.businesses import save_config
from chalicelib.store.db import create_table
create_table()
save_config(parse_business_config(yaml.safe_load(open("config/businesses/demo.yaml").read())))
from chalice.test import Client
from app import app
found, day = [], date.today() + timedelta(days=3)
with Client(app) as c:
    while len(found) < int(sys.argv[1]):
        r = c.http.get(f"/api/v1/businesses/demo/availability?service=mens-cut&from={day}&to={day}")
        for s in json.loads(r.body)["staff"]:
            found += [(s["id"], t) for t in s["slots"][::4]]
        day += timedelta(days=1)
print(json.dumps(found))
"""
    out = subprocess.run(
        [sys.executable, "-c", script, str(count)], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return [tuple(s) for s in json.loads(out.stdout.strip().splitlines()[-1])]


if __name__ == "__main__":
    main()
