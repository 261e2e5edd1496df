"""Cold start: the time to import app.py in a fresh interpreter, as a ratio to importing
boto3 alone (the floor every Python Lambda that talks to AWS pays), the median of
several runs of each, interleaved; also app.py plus everything a first booking request
loads (the routes load their modules on first use: chalicelib/api/lazy.py); and the
size of the deployment package as the CDK app uploads it (`chalice package`, minus the
libraries the Lambda runtime provides: infra/lean_package.py).

    .venv/bin/python bench/coldstart.py [--runs 9]

Prints one `bench:` line last. Targets: import_ratio <= 1.5, package_mb <= 20.
"""

from __future__ import annotations

import argparse
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
    "PYTHONDONTWRITEBYTECODE": "1",
}
TIMER = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
FIRST_BOOKING = "app, chalicelib.services.booking.book, chalicelib.pages.views"


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


def package_mb() -> float:
    from infra.lean_package import strip_runtime_provided

    chalice = Path(sys.executable).parent / "chalice"
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [str(chalice), "package", "--stage", "prod", out],
            cwd=ROOT,
            check=True,
            env={**os.environ, "AWS_DEFAULT_REGION": "eu-north-1"},
            capture_output=True,
        )
        strip_runtime_provided(Path(out) / "deployment.zip")
        return (Path(out) / "deployment.zip").stat().st_size / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    import_seconds("app")  # warm the OS file cache for both
    app_runs, boto_runs, first_runs = [], [], []
    for _ in range(args.runs):
        boto_runs.append(import_seconds("boto3"))
        app_runs.append(import_seconds("app"))
        first_runs.append(import_seconds(FIRST_BOOKING))
    app_s, boto_s, first_s = (statistics.median(r) for r in (app_runs, boto_runs, first_runs))
    size = package_mb()
    print(f"import app: {app_s * 1000:.0f} ms, import boto3: {boto_s * 1000:.0f} ms (medians of {args.runs})")
    print(f"app + what a first booking loads: {first_s * 1000:.0f} ms ({first_s / boto_s:.2f} x boto3)")
    print(f"deployment package: {size:.1f} MB zipped")
    print(f"bench: import_ratio={app_s / boto_s:.2f} package_mb={size:.1f}")


if __name__ == "__main__":
    main()
