"""Imports only go down (README.md: "Code is layered"); a new cross-layer import fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

KB = Path(__file__).resolve().parents[1] / "kb"
DOMAINS = ("kb.documents", "kb.projects")
#: everything above the event log: its domains, the application and its front ends
ABOVE_EVENTS = DOMAINS + ("kb.accounts", "kb.actions", "kb.briefings", "kb.notifications",
                          "kb.processes", "kb.recurrence", "kb.reviews", "kb.search",
                          "kb.markdown", "kb.storage", "kb.access_rules", "kb.security",
                          "kb.inputs", "kb.params", "kb.context", "kb.migrate", "kb.web",
                          "kb.api", "kb.cli", "flask", "whoosh")  # fmt: skip
RULES = {
    # package: prefixes it must never import
    "kb.core": ("kb.", "flask", "whoosh", "sqlalchemy"),
    "kb.markdown": ("kb.documents", "kb.projects", "kb.events", "kb.search", "kb.storage",
                    "kb.web", "kb.api", "kb.cli", "flask", "sqlalchemy"),
    "kb.search": ("kb.documents", "kb.projects", "kb.events", "kb.markdown", "kb.storage",
                  "kb.web", "kb.api", "kb.cli", "flask", "sqlalchemy"),
    "kb.storage": ("kb.documents", "kb.projects", "kb.events", "kb.search", "kb.web", "kb.api",
                   "kb.cli", "flask", "sqlalchemy", "whoosh"),
    "kb.events": ABOVE_EVENTS,
    # kb/events/__init__.py: the log knows none of the other parts; jobs act on the log;
    # inbound and webhooks use the log (webhook deliveries are job runs); the two directions
    # share only the Standard Webhooks signing, which imports nothing of kb
    "kb.events.log": ("kb.events.jobs", "kb.events.inbound", "kb.events.webhooks",
                      "kb.events.signing"),
    "kb.events.jobs": ("kb.events.inbound", "kb.events.webhooks", "kb.events.signing"),
    # kb's own event types: plain classes under everything that emits or reads them
    "kb.events.kinds": ("kb.events.log", "kb.events.jobs", "kb.events.inbound",
                        "kb.events.webhooks", "kb.events.signing", "kb.db", "sqlalchemy"),
    "kb.events.inbound": ("kb.events.jobs", "kb.events.webhooks"),
    "kb.events.webhooks": ("kb.events.inbound",),
    "kb.events.signing": ("kb.",),
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
