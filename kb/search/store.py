"""The index folder's own bookkeeping: the writer lock, the follower role and the projection's
meta file."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_FILE = "kb-writer.lock"
FOLLOWER_FILE = "kb-follower.lock"
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


class FollowerRole:
    """Which process of a host applies the event log to the folder: whoever holds an OS lock.

    Two followers of one folder would each take the writer lock in turn and index the same
    events twice; neither leaves a stale copy of a document, since a write is refused when
    another writer recorded a last_seq after the writer read (SearchIndex.apply's `after`), but
    the work would be done twice. Every process of a host may ask; one holds the role until it
    closes the folder or dies (the OS then frees the lock and the next one to ask takes over).
    A `kb import` indexes what it imports beside the follower (kb.cli).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._handle = None
        self._pid = 0
        self._lock = threading.Lock()

    def held(self) -> bool:
        """True when this process holds the role, taking it if it is free (never waits)."""
        with self._lock:
            if self._handle is not None and self._pid == os.getpid():
                return True
            if self._handle is not None:
                # inherited across fork: the lock stays the parent's while it keeps it open
                self._handle.close()
                self._handle = None
            handle = open(self.folder / FOLLOWER_FILE, "a+b")  # noqa: SIM115 (kept open)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                return False
            self._handle, self._pid = handle, os.getpid()
            return True

    def release(self) -> None:
        with self._lock:
            if self._handle is not None:
                if self._pid == os.getpid():
                    fcntl.flock(self._handle, fcntl.LOCK_UN)
                self._handle.close()
                self._handle = None


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


def advance_meta(folder: Path, last_seq: int) -> None:
    """Record that the events up to last_seq are applied (never backwards). The schema
    version is left as it was: only a rebuild vouches for the content."""
    meta = read_meta(folder)
    recorded = meta.get("last_seq")
    seq = max(recorded, last_seq) if type(recorded) is int else last_seq
    write_meta(folder, {"schema_version": meta.get("schema_version"), "last_seq": seq})
