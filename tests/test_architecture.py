"""The domain core stays pure: no Django import anywhere under kokyaku/domain."""

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[1] / "kokyaku" / "domain"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_domain_core_imports_no_django() -> None:
    files = sorted(DOMAIN.rglob("*.py"))
    assert files, "the domain package should exist"
    offenders = {
        str(f.relative_to(DOMAIN)): sorted(
            m for m in _imported_modules(f) if m.split(".")[0] in {"django", "ninja", "django_htmx"}
        )
        for f in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_architecture_check_would_catch_a_django_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from django.db import models\nimport numpy\n")
    assert "django.db" in _imported_modules(bad)
