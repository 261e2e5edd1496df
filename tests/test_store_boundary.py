"""Only chalicelib/store/ knows the table: its item classes (store.models), key formats
(store.keys), transactions (store.tx) and PynamoDB itself. The use cases, jobs, routes,
the outbox's sender and the pages talk to the store in domain types and plain values.

The check reads every module's source (ast), so imports inside functions count too, and
so do modules loaded by name (`lazy("...")`, `importlib.import_module("...")`).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("services", "jobs", "api", "notify", "pages")
FORBIDDEN = ("chalicelib.store.models", "chalicelib.store.keys", "chalicelib.store.tx", "pynamodb")
_BY_NAME = {"lazy", "import_module", "__import__"}  # calls that import the module they are given


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """Every module `source` imports, anywhere in it: (line, dotted name). `from a import b`
    yields both `a` and `a.b` (b may be a module); relative imports are resolved."""
    found: list[tuple[int, str]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            first = node.args[0] if node.args else None
            if name in _BY_NAME and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return found


def forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def violations() -> list[str]:
    out = []
    for package in CHECKED:
        for path in sorted((ROOT / "chalicelib" / package).rglob("*.py")):
            module = _module_name(path)
            reported: set[tuple[int, str]] = set()
            for line, name in imports_of(path.read_text(), module, is_package=path.name == "__init__.py"):
                if forbidden(name) and not any(ln == line and name.startswith(r + ".") for ln, r in reported):
                    reported.add((line, name))
                    out.append(f"{module} (line {line}) imports {name}")
    return out


def test_only_the_store_knows_the_table():
    found = violations()
    assert not found, "Only chalicelib/store/ may import these; use a store function instead:\n" + "\n".join(
        sorted(set(found))
    )


@pytest.mark.parametrize(
    "source",
    [
        "from chalicelib.store.models import ClientItem",
        "import chalicelib.store.keys",
        "from chalicelib.store import tx",
        "from ..store import models",
        "def f():\n    from pynamodb.exceptions import UpdateError\n",
        "class C:\n    def m(self):\n        import pynamodb.attributes as a\n",
        'm = lazy("chalicelib.store.models")',
        'import importlib\nm = importlib.import_module("chalicelib.store.keys")',
    ],
)
def test_the_check_finds_a_forbidden_import_wherever_it_is(source):
    names = [name for _, name in imports_of(source, "chalicelib.services.example")]
    assert any(forbidden(n) for n in names), names


@pytest.mark.parametrize(
    "source",
    [
        "from chalicelib.store import bookings, clients",
        "from chalicelib.store.businesses import get_by_id",
        "from chalicelib.domain.clients import Client",
        "import chalicelib.store.outbox",
        'x = lazy("chalicelib.services.booking.book")',
    ],
)
def test_the_store_s_own_functions_are_allowed(source):
    names = [name for _, name in imports_of(source, "chalicelib.services.example")]
    assert not any(forbidden(n) for n in names), names


def test_a_violation_names_the_module_the_line_and_the_import(tmp_path, monkeypatch):
    fake = tmp_path / "chalicelib" / "jobs"
    fake.mkdir(parents=True)
    (fake / "sneaky.py").write_text("def run():\n    from chalicelib.store.models import MessageItem\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert violations() == ["chalicelib.jobs.sneaky (line 2) imports chalicelib.store.models"]
