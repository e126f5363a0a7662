"""News of the log across processes on SQLite, which has no LISTEN/NOTIFY: a nudge, one
datagram, to every other process of the machine that uses the same database file.

Several processes use one SQLite file when `kb run` serves with more than one process, or
when `kb import` or `kb worker` runs beside it. Without news, a lesson saved through one
process reached the index only at the next look of the process that follows the log (every
KB_INDEXER_INTERVAL), and work for a worker waited for its look (up to 5 s when idle).

Each process that listens binds a Unix datagram socket, named by its pid, in a folder of the
temporary directory named after the database file (short: a socket's path has a limit of
about 100 bytes); a commit that appended to the log or made runs due (session.info[NEWS])
sends one byte to each socket there but its own process's (its own commits woke its loops
already). A socket left by a process that died is removed by the first sender it refuses.
Only the user who created the folder may use it; the last listener to stop removes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

from kb.events.log.news import STOP_CHECK, Hearing

log = logging.getLogger(__name__)


def folder_of(database: Path) -> Path:
    digest = hashlib.sha256(str(database.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"kb-news-{digest}"


class Nudges(Hearing):
    """Listens (a daemon thread) and sends nudges for one SQLite database file. `me` names
    this process: its pid, read each time (a forked process has its own). A socket's name is
    the process's, a dot and a number: tests open several kbs in one process."""

    thread_name = "kb-nudges"
    _serial = 0

    def __init__(self, database: Path, me: Callable[[], str] = lambda: str(os.getpid())):
        super().__init__()
        self.folder = folder_of(database)
        self.me = me
        Nudges._serial += 1
        self._name = str(Nudges._serial)

    # -- sending -----------------------------------------------------------------------

    def send(self) -> None:
        """Nudge every other listening process (Database.on_commit calls this after a commit
        with news). Never fails: at worst another process finds the news at its next look. A
        socket of its own for each call: nothing shared between threads, nothing a fork
        inherits (a few microseconds)."""
        try:
            entries = [e for e in os.scandir(self.folder) if e.name.partition(".")[0] != self.me()]
        except OSError:  # nobody has listened yet
            return
        if not entries:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as out:
            out.setblocking(False)
            for entry in entries:
                try:
                    out.sendto(b"!", entry.path)
                except BlockingIOError:  # its queue is full: it has news waiting already
                    pass
                except (ConnectionRefusedError, FileNotFoundError):  # its process is gone
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
                except OSError as exc:
                    log.debug("kb-nudges: %s not nudged (%s)", entry.path, exc)

    # -- listening ---------------------------------------------------------------------

    def _run(self) -> None:
        try:
            inbox = self._bind()
        except OSError as exc:
            log.warning("kb-nudges: not listening (%s): other processes' news by polling", exc)
            return
        with inbox:
            inbox.settimeout(STOP_CHECK)
            self.listening.set()
            self._wake_all()  # what came before we listened
            while not self._stop.is_set():
                try:
                    inbox.recv(64)
                except TimeoutError:
                    continue
                self._drain(inbox)
                self._wake_all()
            with contextlib.suppress(OSError):
                os.unlink(inbox.getsockname())
            with contextlib.suppress(OSError):  # not empty: another process listens
                self.folder.rmdir()
        self.listening.clear()

    def _bind(self) -> socket.socket:
        path = self.folder / f"{self.me()}.{self._name}"
        gone: OSError | None = None
        for _ in range(2):  # the last listener of another process may remove the folder
            self.folder.mkdir(mode=0o700, exist_ok=True)
            if self.folder.stat().st_uid != os.getuid():
                raise PermissionError(f"{self.folder} belongs to another user")
            with contextlib.suppress(FileNotFoundError):  # left by a process with this pid
                path.unlink()
            inbox = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                inbox.bind(str(path))
                return inbox
            except FileNotFoundError as exc:
                inbox.close()
                gone = exc
            except OSError:
                inbox.close()
                raise
        raise gone or FileNotFoundError(path)

    @staticmethod
    def _drain(inbox: socket.socket) -> None:
        """Several nudges at once wake the loops once."""
        inbox.setblocking(False)
        try:
            while True:
                inbox.recv(64)
        except BlockingIOError:
            pass
        finally:
            inbox.settimeout(STOP_CHECK)
