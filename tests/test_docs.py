"""The README and docs/ say where things are: every document they point to is in the
repository, and the README's map of the code names every scheduled job where it lives."""

from __future__ import annotations

import inspect
import re

from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_document_the_docs_point_to_is_in_the_repository():
    missing = []
    for doc in DOCS:
        for m in re.finditer(r"`(/?[\w./-]+\.md)`|\]\(([^)#\s]+\.md)", doc.read_text()):
            path = m.group(1) or m.group(2)
            where = [ROOT / path.lstrip("/"), doc.parent / path]
            if path.startswith("/") or not any(p.is_file() for p in where):
                missing.append(f"{doc.relative_to(ROOT)}: {path}")
    assert missing == []


def test_the_readmes_map_names_every_scheduled_job_and_its_module():
    from chalicelib.jobs.schedule import JOBS

    readme = ROOT.joinpath("README.md").read_text()
    pieces = readme.split("## How the pieces fit", 1)[1].split("```")[1]
    for name, job in JOBS.items():
        assert re.search(rf"\b{name}\b", pieces), name
        module = re.search(r"from chalicelib\.([\w.]+) import (\w+)", inspect.getsource(job.run))
        assert module, name
        path = f"{module.group(1).replace('.', '/')}/{module.group(2)}.py"
        if not path.startswith("jobs/"):  # the ones under jobs/ are listed on its line
            assert path in pieces, (name, path)
