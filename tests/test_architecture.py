"""The pure modules stay pure: no Django import in the domain core, the import's reader and checks, the
demo generator or the money helpers. The list is the import-linter "forbidden" contract in
pyproject.toml (``make layers`` checks it with the layering); this test reads the same list, so a
module named there is checked by pytest too, without a second list to keep."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
PURE = next(c for c in CONFIG["contracts"] if c["type"] == "forbidden")


def _files(module: str) -> list[Path]:
    path = ROOT / Path(*module.split("."))
    return sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", PURE["source_modules"])
def test_the_module_imports_no_django(module: str) -> None:
    files = _files(module)
    assert files, f"{module} should exist"
    assert all(f.exists() for f in files), files
    banned = set(PURE["forbidden_modules"])
    offenders = {str(f.relative_to(ROOT)): sorted(m for m in _imported_modules(f) if m.split(".")[0] in banned) for f in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_architecture_check_would_catch_a_django_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from django.db import models\nimport numpy\n")
    assert "django.db" in _imported_modules(bad)
    assert {"django", "ninja"} <= set(PURE["forbidden_modules"])
