"""Paths in a content tree: `paths/{id}-{slug}.md` (docs/format.md#paths). Imported after
the documents their steps name; exported in the shape the import reads."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sqlalchemy import select

from kb.core.errors import KbError
from kb.db import Database
from kb.paths.models import LearningPath
from kb.paths.services import upsert
from kb.paths.source import parse_path, path_source
from kb.storage import files
from kb.storage.names import document_filename

FOLDER = "paths"


@dataclass
class PathReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"paths: {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.rejected)} rejected"
        )


def import_paths(db: Database, root: str | os.PathLike, *, actor: str) -> PathReport:
    """Create or update the path of each file under `paths/`, one transaction each; a file
    with a problem is reported and the others imported."""
    report = PathReport()
    for source in files.read_tree(root):
        if source.folder != FOLDER:
            continue
        if source.problem is not None:
            report.rejected.append((source.path, source.problem))
            continue
        try:
            fields = parse_path(source.text)
            if fields.id is None:
                raise KbError("A path file needs its `id` (LP-0001).")
            with db.write() as s:
                path, verb = upsert(s, fields, actor)
                getattr(report, verb).append(path.id)
        except KbError as exc:
            report.rejected.append((source.path, exc.message))
    return report


def export_paths(db: Database, root: str | os.PathLike) -> int:
    """Write every path as its file; the number written."""
    with db.read() as s:
        paths = list(s.scalars(select(LearningPath).order_by(LearningPath.id)))
        for path in paths:
            name = document_filename(path.id, path.title)
            files.write_file(root, f"{FOLDER}/{name}", path_source(path))
            files.remove_stale(root, FOLDER, path.id, keep=name)
    return len(paths)
