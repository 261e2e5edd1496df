"""The deployment package without what the Lambda Python runtime already provides.

`chalice package` vendors every dependency's dependencies; PynamoDB pulls in botocore
(16 MB zipped), which the runtime ships with boto3. Dropping it (and boto3/s3transfer,
should they appear) keeps the package small and the upload fast; the app uses the
runtime's copy."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# Files the app reads at run time from outside app.py and chalicelib/: the OpenAPI
# document it serves (chalicelib/api/reference.py), at the same path as in the repository.
DOCUMENTS = ("docs/openapi.yaml",)


def _provided(name: str) -> bool:
    top = name.split("/", 1)[0].lower()
    return any(
        top == p or (top.startswith(p + "-") and top.endswith((".dist-info", ".egg-info"))) for p in RUNTIME_PROVIDED
    )


def strip_runtime_provided(zip_path: Path) -> None:
    lean = zip_path.with_suffix(".lean.zip")
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(lean, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if not _provided(info.filename):
                dst.writestr(info, src.read(info.filename))
    shutil.move(lean, zip_path)


def add_documents(zip_path: Path, root: Path) -> None:
    with zipfile.ZipFile(zip_path, "a", zipfile.ZIP_DEFLATED) as z:
        present = set(z.namelist())
        for name in DOCUMENTS:
            if name not in present:
                z.write(root / name, name)
