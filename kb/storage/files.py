"""Reading and writing content trees. Names are checked here; contents are checked by the
domains. Symbolic links are never followed, so a tree cannot smuggle in files from elsewhere.

A tree is walked once, through directory descriptors opened without following links, and
each entry is classified before anything is opened: only regular files are read (with a size
cap), so a FIFO, device or socket named `*.md` cannot block or flood the import. Every odd
entry comes back as a SourceFile with a `problem`, never as an exception.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_FILE_BYTES = 1024 * 1024
#: the files a tree holds: Markdown documents, and BPMN files a domain converts (kb import)
SUFFIXES = (".md", ".bpmn")
#: the longest relative path a document can remember as its origin (Document.origin)
MAX_PATH_CHARS = 300
#: deeper folders are reported, not read: each level holds a descriptor open while walking
MAX_DEPTH = 32
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: should the entry have been swapped for a FIFO since it was classified, opening
# it returns at once instead of waiting for a writer; fstat then refuses it.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket"}
# the file system hands bytes that are not UTF-8 over as lone surrogates (surrogateescape)
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc
_FOLDER_NAMED_MD = "a folder, not a file (the files in it are read on their own)"
_TOO_DEEP = f"folder nested deeper than {MAX_DEPTH} levels; not read"


@dataclass
class SourceFile:
    path: str  # relative, with '/' separators; undecodable bytes shown as \xNN
    text: str | None = None
    problem: str | None = None

    @property
    def folder(self) -> str:
        parts = PurePosixPath(self.path).parts
        return parts[0] if len(parts) > 1 else ""


def shown(name: str) -> str:
    """`name` as a person can read it on any terminal: bytes that are not UTF-8 (which the
    file system hands over as lone surrogates) and control characters become \\xNN."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def check_name(name: str) -> str | None:
    """Why `name` is not acceptable as a relative path inside a tree, or None if it is."""
    if not name or "\x00" in name:
        return "empty name or NUL character"
    if _SURROGATE.search(name):
        return "the name is not UTF-8 text"
    if _CONTROL.search(name):
        return "control character in the name"
    if len(name) > MAX_PATH_CHARS:
        return f"the path is {len(name)} characters; the limit is {MAX_PATH_CHARS}"
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
    if "\x00" in text:
        # valid UTF-8 but binary; PostgreSQL cannot store NUL in text, SQLite can: refuse it
        # here so both databases import the same documents
        return SourceFile(name, problem=f"NUL character at byte {text.index(chr(0))}: not text")
    return SourceFile(name, text=text)


def read_tree(root: str | os.PathLike) -> Iterator[SourceFile]:
    """Every `*.md` and `*.bpmn` entry under root in a stable order (a folder's files, then
    its folders), read or with the reason it cannot be."""
    return _walk(root, read=True)


def count_files(root: str | os.PathLike) -> int:
    """How many entries read_tree will yield (for a progress bar); opens no file."""
    return sum(1 for _ in _walk(root, read=False))


def _walk(root: str | os.PathLike, *, read: bool) -> Iterator[SourceFile]:
    if not Path(root).is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    # the folder the user named may itself be a link; only what lies under it is not followed
    top = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    yield from _walk_folder(top, "", os.path.realpath(root), os.path.realpath(root), read, 0)


def _walk_folder(
    fd: int, prefix: str, where: str, inside: str, read: bool, depth: int
) -> Iterator[SourceFile]:
    """Entries of the open folder `fd` (closed on return); `where` is its path, for messages
    about links only: every file is opened relative to `fd`."""
    try:
        try:
            with os.scandir(fd) as listing:
                entries = sorted((entry.name, _mode(entry)) for entry in listing)
        except OSError as exc:
            why = f"folder cannot be read ({exc.strerror})"
            yield SourceFile(shown(prefix.rstrip("/") or "."), problem=why)
            return
        folders = []
        for name, mode in entries:
            if name.startswith("."):
                continue
            rel = prefix + name
            if mode is not None and stat.S_ISDIR(mode):
                folders.append(name)
                if name.endswith(".md"):
                    yield SourceFile(shown(rel), problem=_FOLDER_NAMED_MD)
            elif mode is not None and stat.S_ISLNK(mode):
                path = os.path.join(where, name)
                if name.endswith(SUFFIXES) or os.path.isdir(path):
                    yield SourceFile(shown(rel), problem=_link_problem(path, inside))
            elif name.endswith(SUFFIXES):
                yield _file(fd, name, rel, mode, read)
        for name in folders:
            rel = prefix + name
            if depth + 1 > MAX_DEPTH:
                yield SourceFile(shown(rel), problem=_TOO_DEEP)
                continue
            try:
                sub = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                yield SourceFile(shown(rel), problem=f"folder cannot be read ({exc.strerror})")
                continue
            yield from _walk_folder(
                sub, rel + "/", os.path.join(where, name), inside, read, depth + 1
            )
    finally:
        os.close(fd)


def _mode(entry: os.DirEntry) -> int | None:
    # the kind the listing already gives (d_type) costs no system call; stat only the rare
    # special files, to name their kind
    try:
        if entry.is_symlink():
            return stat.S_IFLNK
        if entry.is_dir(follow_symlinks=False):
            return stat.S_IFDIR
        if entry.is_file(follow_symlinks=False):
            return stat.S_IFREG
        return entry.stat(follow_symlinks=False).st_mode
    except OSError:
        return None  # gone or unreadable since the listing: reported when it is a .md


def _file(fd: int, name: str, rel: str, mode: int | None, read: bool) -> SourceFile:
    if mode is None:
        return SourceFile(shown(rel), problem="cannot be read (it vanished or is not readable)")
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "a device or other special file")
        return SourceFile(shown(rel), problem=f"not a regular file ({kind})")
    if (why := check_name(rel)) is not None:
        return SourceFile(shown(rel), problem=why)
    if not read:
        return SourceFile(rel)
    try:
        handle = os.open(name, _FILE_FLAGS, dir_fd=fd)
    except OSError as exc:
        return SourceFile(rel, problem=f"cannot be read ({exc.strerror})")
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            return SourceFile(rel, problem="not a regular file (it changed while being read)")
        if info.st_size > MAX_FILE_BYTES:
            size = info.st_size // 1024
            return SourceFile(rel, problem=f"file is {size} KB; the limit is 1024 KB")
        # one byte more than the cap: a file that grew since fstat is still caught
        with os.fdopen(handle, "rb", closefd=False) as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return SourceFile(rel, problem=f"cannot be read ({exc.strerror})")
    finally:
        os.close(handle)
    return decode(rel, data)


def _link_problem(path: str, inside: str) -> str:
    try:
        target = os.path.realpath(path, strict=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link in a loop; links are not followed"
        return "symbolic link to nothing (its target does not exist)"
    if os.path.commonpath([target, inside]) != inside:
        return "symbolic link leading outside the folder; links are not followed"
    if os.path.isdir(target):
        return "symbolic link to a folder; links are not followed"
    return "symbolic link; links are not followed (import the file it points to instead)"


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
