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
