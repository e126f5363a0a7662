"""Reading and writing content trees. Names are checked here; contents are checked by the
domains. Symbolic links are never followed, so a tree cannot smuggle in files from elsewhere."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_FILE_BYTES = 1024 * 1024


@dataclass
class SourceFile:
    path: str  # relative, with '/' separators
    text: str | None = None
    problem: str | None = None

    @property
    def folder(self) -> str:
        parts = PurePosixPath(self.path).parts
        return parts[0] if len(parts) > 1 else ""


def check_name(name: str) -> str | None:
    """Why `name` is not acceptable as a relative path inside a tree, or None if it is."""
    if not name or "\x00" in name:
        return "empty name or NUL character"
    folded = unicodedata.normalize("NFKC", name).replace("\\", "/")
    path = PurePosixPath(folded)
    if path.is_absolute() or folded.startswith("/") or (len(folded) > 1 and folded[1] == ":"):
        return "absolute path"
    if any(part in ("..", ".") for part in path.parts):
        return "path leaves the folder ('..')"
    if any(part.startswith(".") for part in path.parts):
        return "hidden file or folder"
    return None


def decode(name: str, data: bytes) -> SourceFile:
    if len(data) > MAX_FILE_BYTES:
        return SourceFile(name, problem=f"file is {len(data) // 1024} KB; the limit is 1024 KB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return SourceFile(name, problem=f"not UTF-8 text (byte {exc.start})")
    return SourceFile(name, text=text)


def read_tree(root: str | os.PathLike) -> Iterator[SourceFile]:
    """Every `*.md` file under root in a stable order, with problems reported per file."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            full = Path(dirpath) / filename
            rel = full.relative_to(root).as_posix()
            if not filename.endswith(".md") or filename.startswith("."):
                continue
            if full.is_symlink():
                yield SourceFile(rel, problem="symbolic link; not followed")
                continue
            if (why := check_name(rel)) is not None:
                yield SourceFile(rel, problem=why)
                continue
            if full.stat().st_size > MAX_FILE_BYTES:
                yield SourceFile(
                    rel, problem=f"file is {full.stat().st_size // 1024} KB; the limit is 1024 KB"
                )
                continue
            yield decode(rel, full.read_bytes())


def count_files(root: str | os.PathLike) -> int:
    return sum(
        1
        for _d, dirnames, files in os.walk(root, followlinks=False)
        for f in files
        if f.endswith(".md") and not f.startswith(".")
    )


def write_file(root: str | os.PathLike, rel: str, text: str) -> None:
    """Write exactly these bytes (no newline translation) at root/rel."""
    if (why := check_name(rel)) is not None:
        raise ValueError(f"refusing to write {rel!r}: {why}")
    target = Path(root) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(text.encode("utf-8"))
    os.replace(tmp, target)


def remove_stale(root: str | os.PathLike, folder: str, prefix: str, keep: str) -> None:
    """Remove older exports of one document (its title, hence its file name, may have changed)."""
    directory = Path(root) / folder
    if directory.is_dir():
        for path in directory.glob(f"{prefix}-*.md"):
            if path.name != keep and not path.is_symlink():
                path.unlink()
