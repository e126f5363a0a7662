"""Imports only go down (docs/architecture.md, "Packages and the direction of imports").

Every package of kb has a layer. An import goes to a lower layer, or sideways along an edge
declared in SIDEWAYS (which must stay free of cycles); anything else fails here, and so does
a new package until it is given its place.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

KB = Path(__file__).resolve().parents[1] / "kb"

#: kb's packages, lowest layer first
LAYERS: list[set[str]] = [
    {"kb.core"},
    {"kb.config", "kb.db"},
    {"kb.events", "kb.search", "kb.markdown", "kb.storage"},
    # the domains
    {
        "kb.accounts",
        "kb.projects",
        "kb.documents",
        "kb.actions",
        "kb.reviews",
        "kb.processes",
        "kb.briefings",
        "kb.recurrence",
        "kb.notifications",
        "kb.tasks",
        "kb.overdue",
        "kb.paths",
        "kb.usage",
    },
    # read models: what a page or an answer shows, gathered from several domains at once
    {"kb.readmodels"},
    # the application: wiring, the route rules, request checks, errors, serving, migrations
    {
        "kb.context",
        "kb.access_rules",
        "kb.security",
        "kb.inputs",
        "kb.params",
        "kb.errors",
        "kb.serving",
        "kb.migrate",
        "kb.migrations",
    },
    # the front ends
    {"kb.web", "kb.api"},
    {"kb"},  # create_app() puts the front ends together
    {"kb.cli"},  # the `kb` command makes the app
]

#: the imports allowed inside a layer: package -> the packages of its layer it may use
SIDEWAYS: dict[str, set[str]] = {
    "kb.db": {"kb.config"},
    "kb.projects": {"kb.accounts"},  # a curator registering a project is audited
    "kb.documents": {"kb.accounts", "kb.projects"},
    "kb.actions": {"kb.accounts", "kb.documents"},
    "kb.tasks": {"kb.accounts", "kb.documents"},
    "kb.reviews": {"kb.accounts", "kb.documents", "kb.projects", "kb.tasks"},
    # the review cycle: health and the review task come from kb.overdue
    "kb.processes": {"kb.accounts", "kb.actions", "kb.documents", "kb.overdue", "kb.tasks"},
    "kb.briefings": {"kb.accounts", "kb.documents", "kb.projects"},
    "kb.recurrence": {"kb.accounts", "kb.documents"},
    "kb.notifications": {"kb.accounts", "kb.documents"},
    "kb.overdue": {"kb.accounts", "kb.actions", "kb.documents", "kb.reviews", "kb.tasks"},
    "kb.paths": {"kb.accounts", "kb.documents"},
    "kb.security": {"kb.access_rules", "kb.context"},
}

#: the parts of kb/events: the log knows none of the others; jobs act on the log; inbound and
#: webhooks use it (deliveries are job runs); they share only the signing, which imports no kb
EVENT_PARTS: dict[str, set[str]] = {
    "kb.events.kinds": set(),  # kb's own event types: plain classes under all that use them
    "kb.events.log": {"kb.events.kinds"},
    "kb.events.signing": set(),
    "kb.events.jobs": {"kb.events.log", "kb.events.kinds"},
    "kb.events.inbound": {"kb.events.log", "kb.events.signing", "kb.events.kinds"},
    "kb.events.webhooks": {
        "kb.events.log",
        "kb.events.jobs",
        "kb.events.signing",
        "kb.events.kinds",
    },
}

#: third-party packages only some layers may use
LIBRARIES: dict[str, set[str]] = {
    "whoosh": {"kb.search"},
    "flask": {
        "kb.web",
        "kb.api",
        "kb.cli",
        "kb",
        "kb.context",
        "kb.security",
        "kb.errors",
        "kb.inputs",
        "kb.params",
        "kb.serving",
        "kb.access_rules",
    },
    "sqlalchemy": set().union(*LAYERS[1:]) - {"kb.search", "kb.markdown", "kb.storage"},
}


def layer_of(package: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if package in layer)


def package_of(module: str) -> str:
    """kb.documents.services -> kb.documents; kb.errors -> kb.errors; kb -> kb."""
    return ".".join(module.split(".")[:2])


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "kb":
            # `from kb import web` imports the package kb.web; `from kb import create_app`, kb
            for alias in node.names:
                own = (KB / alias.name).is_dir() or (KB / f"{alias.name}.py").is_file()
                names.add(f"kb.{alias.name}" if own else "kb")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules():
    for path in sorted(KB.rglob("*.py")):
        if "versions" in path.parts:  # Alembic revisions import only alembic and sqlalchemy
            continue
        name = "kb." + ".".join(path.relative_to(KB).with_suffix("").parts)
        yield name.removesuffix(".__init__"), path


MODULES = list(modules())


def test_every_package_has_a_layer():
    packages = {package_of(m) for m, _ in MODULES}
    placed = set().union(*LAYERS)
    assert packages - placed == set(), "give these packages a layer in LAYERS"
    assert placed - packages == set(), "LAYERS names packages that do not exist"


def test_sideways_edges_have_no_cycle():
    def reach(start: str, seen: frozenset[str]) -> None:
        for nxt in SIDEWAYS.get(start, ()):
            assert nxt not in seen, f"cycle through {nxt}"
            assert layer_of(nxt) == layer_of(start), f"{start} -> {nxt} is not sideways"
            reach(nxt, seen | {nxt})

    for package in SIDEWAYS:
        reach(package, frozenset({package}))


@pytest.mark.parametrize(("module", "path"), MODULES, ids=lambda x: str(x))
def test_imports_only_go_down(module, path):
    mine = package_of(module)
    for name in imports_of(path):
        if name == "kb" or name.startswith("kb."):
            other = package_of(name)
            if other == mine:
                continue
            assert layer_of(other) < layer_of(mine) or other in SIDEWAYS.get(mine, ()), (
                f"{module} imports {name}: up or sideways (see LAYERS and SIDEWAYS)"
            )
        else:
            top = name.split(".")[0]
            if top in LIBRARIES:
                assert mine in LIBRARIES[top], f"{module} must not use {top}"


@pytest.mark.parametrize(("module", "path"), [m for m in MODULES if m[0].startswith("kb.events.")])
def test_event_parts_stay_apart(module, path):
    part = ".".join(module.split(".")[:3])
    allowed = EVENT_PARTS[part] | {part}
    for name in imports_of(path):
        if name.startswith("kb.events."):
            assert ".".join(name.split(".")[:3]) in allowed, f"{module} must not import {name}"
        if part == "kb.events.signing":
            assert not name.startswith("kb."), f"{module} must not import {name}"
        if part == "kb.events.kinds":
            assert not name.startswith(("kb.db", "sqlalchemy")), f"{module} must not import {name}"


def test_front_ends_do_not_import_each_other():
    fronts = {"kb.web", "kb.api", "kb.cli"}
    for module, path in MODULES:
        mine = package_of(module)
        for name in imports_of(path):
            other = package_of(name)
            assert not (other in fronts and mine in fronts and mine != other), (module, name)
