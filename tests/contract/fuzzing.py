"""What the contract tests share: the OpenAPI document as the app parses it, and a
Schemathesis schema of part of it that calls the app in process, behind the stand-in
for API Gateway (gateway.py)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from tests.contract.gateway import ChaliceWSGI

DOCUMENT = ROOT / "docs" / "openapi.yaml"


def document() -> dict:
    """A fresh copy each time (callers change theirs), parsed as the app parses it."""
    from chalicelib.api.reference import DOCUMENT as SERVED
    from chalicelib.api.reference import document as served

    assert Path(DOCUMENT) == SERVED
    return copy.deepcopy(served())


def fuzzed(contract: dict, max_examples: int, coverage: bool = True, **generation: Any) -> Any:
    """`contract` loaded for a bounded, derandomized run per operation (the same cases
    every time); `coverage`: each field's boundaries too (about twenty times the cases);
    `generation`: more of Schemathesis' GenerationConfig."""
    import schemathesis
    from schemathesis.config import GenerationConfig, SchemathesisConfig

    config = SchemathesisConfig()
    project = config.projects.default
    project.generation = GenerationConfig(max_examples=max_examples, deterministic=True, **generation)
    if not coverage:
        project.phases.coverage.enabled = False
    loaded = schemathesis.openapi.from_dict(contract, config=config)
    loaded.app = ChaliceWSGI(_app)
    return loaded


def _app():
    from app import app

    return app
