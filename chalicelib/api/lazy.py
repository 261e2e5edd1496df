"""Modules the routes load on first use, not when app.py is imported: each Lambda
function (the API, the authorizer, every scheduled job) starts with only what its own
first event needs, so the authorizer never loads PynamoDB and a job never loads the
pages (bench/coldstart.py measures app.py's import)."""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


def lazy(name: str) -> LazyModule:
    return LazyModule(name)
