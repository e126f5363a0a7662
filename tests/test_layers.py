"""Imports only go down (README.md: "Code is layered"); a new cross-layer import fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

KB = Path(__file__).resolve().parents[1] / "kb"
DOMAINS = ("kb.documents", "kb.projects")
RULES = {
    # package: prefixes it must never import
    "kb.core": ("kb.", "flask", "whoosh", "sqlalchemy"),
    "kb.markdown": ("kb.documents", "kb.projects", "kb.events", "kb.search", "kb.storage",
                    "kb.web", "kb.api", "kb.cli", "flask", "sqlalchemy"),
    "kb.search": ("kb.documents", "kb.projects", "kb.events", "kb.markdown", "kb.storage",
                  "kb.web", "kb.api", "kb.cli", "flask", "sqlalchemy"),
    "kb.storage": ("kb.documents", "kb.projects", "kb.events", "kb.search", "kb.web", "kb.api",
                   "kb.cli", "flask", "sqlalchemy", "whoosh"),
    "kb.events": DOMAINS + ("kb.web", "kb.api", "kb.cli", "flask", "whoosh"),
    "kb.documents": ("kb.web", "kb.api", "kb.cli", "flask", "whoosh"),
    # documents refer to projects, never the other way round
    "kb.projects": ("kb.documents", "kb.web", "kb.api", "kb.cli", "flask", "whoosh"),
    "kb.web": ("kb.api", "kb.cli", "whoosh"),
    "kb.api": ("kb.web", "kb.cli", "whoosh"),
    # the one error handler, used by both web and api: it knows neither
    "kb.errors": DOMAINS + ("kb.web", "kb.api", "kb.cli", "whoosh"),
}  # fmt: skip


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules():
    for path in sorted(KB.rglob("*.py")):
        name = "kb." + ".".join(path.relative_to(KB).with_suffix("").parts)
        yield name.removesuffix(".__init__"), path


@pytest.mark.parametrize(("module", "path"), list(modules()), ids=lambda x: str(x))
def test_imports_only_go_down(module, path):
    for package, forbidden in RULES.items():
        if module == package or module.startswith(package + "."):
            bad = {
                name for name in imports_of(path)
                if any(name == f.rstrip(".") or name.startswith(f if f.endswith(".") else f + ".")
                       or name == f for f in forbidden)
                and not name.startswith(package)
            }  # fmt: skip
            assert not bad, f"{module} must not import {sorted(bad)}"


def test_nothing_imports_the_cli():
    for module, path in modules():
        if not module.startswith("kb.cli"):
            assert not any(n.startswith("kb.cli") for n in imports_of(path)), module
