"""The Lambda functions run on Python 3.12 whatever Python builds the package.

`chalice package` takes the functions' runtime from the interpreter that runs it
(`Config.lambda_python_version`: no setting for it, aws/chalice#1416), and its wheel
downloader asks pip for the target ABI but not the target Python version, so a cp312
wheel is never found from a 3.11 interpreter (aws/chalice#1707). SnapStart for Python
needs 3.12 or later (infra/published.py). So, while the CDK app packages the app
(`targeting`): Chalice is told the runtime, and its dependency builder is this module's,
which cross-installs manylinux wheels for that Python with uv where the venv has it (the
Makefile installs it; `--python-platform x86_64-manylinux_2_34`, as uv's Lambda guide
does: 1 s from uv's cache against pip's 12 s and 11 CPU-s) and otherwise with pip
(`--python-version 3.12 --implementation cp --only-binary=:all:`),
with the versions of this environment's packages as constraints, so that Lambda runs the
versions the tests ran. Everything else (the zip's layout, the app's files, the cache in
.chalice/deployments keyed on the requirements, the app and the runtime) stays Chalice's.

The code itself runs on both: 3.11 here (tests, the local stack), 3.12 in Lambda.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

RUNTIME = "python3.12"
# The glibc of Amazon Linux 2023, under Lambda's python3.12 and python3.13: any
# manylinux wheel up to it runs there.
GLIBC_MINOR = 34
MACHINE = "x86_64"  # Chalice's default architecture; .chalice/config.json sets no other
# What the runtime provides, left out of the package (infra/lean_package.py strips them
# from whatever Chalice adds too).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# This project itself (installed editable), never a constraint of the package.
PROJECT = "rebook"


def python_version(runtime: str) -> str:
    """ "python3.12" -> "3.12"."""
    return runtime.removeprefix("python")


def platforms(machine: str = MACHINE) -> list[str]:
    """pip's --platform values for a manylinux wheel that runs on Lambda: pip takes each
    literally, so every glibc minor up to the runtime's, and manylinux2014 for the
    older tags (manylinux1, manylinux2010)."""
    return [f"manylinux_2_{minor}_{machine}" for minor in range(17, GLIBC_MINOR + 1)] + [f"manylinux2014_{machine}"]


def installed_versions() -> list[str]:
    """`name==version` of every package in this environment (the one the tests ran in)."""
    pins = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and name.lower() != PROJECT:
            pins[name.lower()] = f"{name}=={dist.version}"
    return sorted(pins.values())


def install_args(runtime: str, requirements: str, target: str, constraints: str) -> list[str]:
    """The cross-install: uv's beside this interpreter if there is one, else pip's."""
    uv = Path(sys.executable).with_name("uv")
    if not uv.is_file():
        return pip_install_args(runtime, requirements, target, constraints)
    args = [str(uv), "pip", "install", "--quiet", "--no-compile-bytecode", "--no-installer-metadata"]
    args += ["--target", target, "--requirement", requirements, "--constraint", constraints]
    args += ["--python-version", python_version(runtime), "--only-binary", ":all:"]
    return [*args, "--python-platform", f"{MACHINE}-manylinux_2_{GLIBC_MINOR}"]


def pip_install_args(runtime: str, requirements: str, target: str, constraints: str) -> list[str]:
    args = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check"]
    args += ["--target", target, "--requirement", requirements, "--constraint", constraints]
    args += ["--python-version", python_version(runtime), "--implementation", "cp", "--only-binary=:all:"]
    for platform in platforms():
        args += ["--platform", platform]
    return args


class CrossBuilder:
    """Chalice's dependency builder (`build_site_packages`), for the target runtime."""

    def __init__(self, osutils: object = None, pip_runner: object = None, architecture: str = MACHINE) -> None:
        if architecture != MACHINE:
            raise SystemExit(f"infra/lambda_python.py builds for {MACHINE}, not {architecture}")

    def build_site_packages(self, abi: str, requirements_filepath: str, target_directory: str) -> None:
        runtime = f"python{abi[2]}.{abi[3:]}"  # "cp312" -> "python3.12"
        requirements = Path(requirements_filepath)
        site = site_packages(runtime, requirements, requirements.parent / ".chalice" / "deployments")
        shutil.copytree(site, target_directory, dirs_exist_ok=True)


def site_packages(runtime: str, requirements: Path, cache: Path) -> Path:
    """The dependencies installed for `runtime`, kept in `cache` under a key of the
    requirements, this environment's versions and the platforms: Chalice's own cache is
    keyed on the app's code as well, so every change to the app would install them again."""
    constraints = "\n".join(installed_versions()) + "\n"
    key = hashlib.sha256(
        "\0".join([runtime, requirements.read_text(), constraints, *platforms()]).encode()
    ).hexdigest()[:16]
    site = cache / f"site-packages-{key}-{runtime}"
    if site.is_dir():
        return site
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        (Path(tmp) / "constraints.txt").write_text(constraints)
        target = Path(tmp) / "site"
        run = subprocess.run(
            install_args(runtime, str(requirements), str(target), str(Path(tmp) / "constraints.txt")),
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise SystemExit(f"could not install the {runtime} wheels:\n{run.stderr[-4000:]}")
        # The console scripts the installer writes (with this interpreter's path), and
        # what the runtime provides.
        for name in ["bin", *RUNTIME_PROVIDED]:
            shutil.rmtree(target / name, ignore_errors=True)
        (target / ".lock").unlink(missing_ok=True)  # uv's, while it installs
        for name in RUNTIME_PROVIDED:
            for info in target.glob(f"{name}-*.dist-info"):
                shutil.rmtree(info)
        with contextlib.suppress(OSError):  # another build got there first: the same files
            target.rename(site)
    return site


@contextlib.contextmanager
def targeting(runtime: str = RUNTIME) -> Iterator[None]:
    """Chalice packages for `runtime` (its template's Runtime, its wheels) meanwhile."""
    from chalice.config import Config

    with (
        mock.patch.object(Config, "lambda_python_version", property(lambda _: runtime)),
        mock.patch("chalice.deploy.deployer.PipDependencyBuilder", CrossBuilder),
    ):
        yield
