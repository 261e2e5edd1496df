"""The deployment package without what the Lambda Python runtime already provides, nor
the bytecode a local run left in chalicelib/ (__pycache__: this Python's, not Lambda's).

`chalice package` vendors every dependency's dependencies; PynamoDB pulls in botocore
(16 MB zipped), which the runtime ships with boto3. Dropping it (and boto3/s3transfer,
should they appear) keeps the package small and the upload fast; the app uses the
runtime's copy.

`package` is the one way the package is built: by the CDK app (infra/rebook_stack.py) and
by bench/coldstart.py, for Lambda's Python 3.12 whatever Python runs it
(infra/lambda_python.py)."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

from infra.lambda_python import RUNTIME_PROVIDED, targeting

# Files the app reads at run time from outside app.py and chalicelib/: the OpenAPI
# document it serves (chalicelib/api/reference.py), at the same path as in the repository.
DOCUMENTS = ("docs/openapi.yaml",)


def _dropped(name: str) -> bool:
    if "__pycache__/" in name or name.endswith(".pyc"):
        return True
    top = name.split("/", 1)[0].lower()
    return any(
        top == p or (top.startswith(p + "-") and top.endswith((".dist-info", ".egg-info"))) for p in RUNTIME_PROVIDED
    )


# The lean package of each package Chalice made, by its digest: the stages one process
# synthesizes (the tests' three) share one package, stripped once (zlib's deflate was a
# third of each synth's CPU).
_stripped: dict[str, bytes] = {}


def strip_for_lambda(zip_path: Path) -> None:
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    if digest in _stripped:
        zip_path.write_bytes(_stripped[digest])
        return
    _strip(zip_path)
    _stripped[digest] = zip_path.read_bytes()


def _strip(zip_path: Path) -> None:
    with zipfile.ZipFile(zip_path) as z:
        if not any(_dropped(name) for name in z.namelist()):
            return
    lean = zip_path.with_suffix(".lean.zip")
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(lean, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if not _dropped(info.filename):
                dst.writestr(info, src.read(info.filename))
    shutil.move(lean, zip_path)


def add_documents(zip_path: Path, root: Path) -> None:
    with zipfile.ZipFile(zip_path, "a", zipfile.ZIP_DEFLATED) as z:
        present = set(z.namelist())
        for name in DOCUMENTS:
            if name not in present:
                z.write(root / name, name)


def package(project_dir: Path, output_dir: Path, stage: str, chalice_config: dict[str, Any] | None = None) -> None:
    """`chalice package` into output_dir (deployment.zip, sam.json) for Lambda's Python
    3.12, lean, with the documents, every function published behind the `live` alias
    (SnapStart on the API and its authorizer: infra/published.py)."""
    from chalice import api

    from infra.published import publish_versions

    with targeting():
        api.package_app(
            project_dir=str(project_dir), output_dir=str(output_dir), stage=stage, chalice_config=chalice_config
        )
    strip_for_lambda(output_dir / "deployment.zip")
    add_documents(output_dir / "deployment.zip", project_dir)
    sam = output_dir / "sam.json"
    sam.write_text(json.dumps(publish_versions(json.loads(sam.read_text())), indent=2))
