"""The index folder's own bookkeeping: the writer lock and the projection's meta file."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_FILE = "kb-writer.lock"
META_FILE = "kb-index.json"


@contextlib.contextmanager
def write_lock(folder: Path) -> Iterator[None]:
    """Blocks until this is the only writer of the folder, across processes.

    Whoosh's own lock fails at once (LockError) instead of waiting. A new descriptor per
    acquisition matters: flock belongs to the open file, so threads of one process sharing
    a descriptor would all get in together.
    """
    with open(folder / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_meta(folder: Path) -> dict:
    """{"schema_version": int | None, "last_seq": int}, or {} when never written."""
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        log.warning("unreadable %s in %s: treating the index as unbuilt", META_FILE, folder)
        return {}
    return meta if isinstance(meta, dict) else {}


def write_meta(folder: Path, meta: dict) -> None:
    # tmp + replace: a reader sees the old or the new file, never half of one.
    target = folder / META_FILE
    tmp = target.with_name(f"{META_FILE}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(tmp, target)
