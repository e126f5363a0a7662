"""News of the log across processes on PostgreSQL: LISTEN/NOTIFY wakes other processes' loops.

In one process a commit wakes the worker and the index follower directly (Database.on_commit).
Another process (`kb worker`, a second web process) would only find the news at its next poll,
and an idle worker polls every few seconds at most (kb.events.jobs.lanes.IDLE_MAX). So on
PostgreSQL a transaction that appends to the log or creates handler runs also sends a NOTIFY,
which the database delivers when (and only if) the transaction commits; each process LISTENs
on one connection of its own and wakes its loops. The poll stays as the fallback (a lost
connection, runs that fall due later), and is all there is on SQLite, which has no such thing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from kb.db import NEWS

log = logging.getLogger(__name__)
CHANNEL = "kb_news"
#: seconds between two checks whether the listener should stop (it is idle in between)
STOP_CHECK = 0.5
#: seconds to wait before connecting again after the connection failed, at most
MAX_RETRY = 30.0


def sender() -> str:
    """Who sends: this process. Its own notifications are not news to it (its commits woke
    its loops already); the pid is read each time, so a forked process has its own."""
    return f"{socket.gethostname()}:{os.getpid()}"


def announce(s: Session) -> None:
    """Tell the other processes' loops when `s` commits: a NOTIFY on PostgreSQL, a nudge on
    SQLite (kb.events.log.nudges, sent after the commit). Several announcements in one
    transaction are delivered as one."""
    s.info[NEWS] = True
    if s.get_bind().dialect.name == "postgresql":
        s.execute(
            text("SELECT pg_notify(:channel, :sender)"), {"channel": CHANNEL, "sender": sender()}
        )


class Hearing:
    """A daemon thread (its `_run`) that hears of other processes' news and calls every
    wake-up added: Listener on PostgreSQL, kb.events.log.nudges.Nudges on SQLite."""

    thread_name = "kb-news"

    def __init__(self) -> None:
        self.wakes: list[Callable[[], object]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()
        #: set once the thread is listening (tests wait on it)
        self.listening = threading.Event()

    def add(self, wake: Callable[[], object]) -> None:
        """Call `wake()` on news from now on, starting the thread on the first call (again in a
        process forked from one that listened: threads do not fork)."""
        with self._starting:
            if wake not in self.wakes:
                self.wakes.append(wake)
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, name=self.thread_name, daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = STOP_CHECK + 1) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        raise NotImplementedError

    def _wake_all(self) -> None:
        for wake in list(self.wakes):
            wake()


class Listener(Hearing):
    """LISTENs on a connection of its own and wakes when another process NOTIFYs. It
    reconnects after a failure, waking everyone first (news may have come while it was not
    listening)."""

    def __init__(self, url: str):
        super().__init__()
        self.conninfo = (
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        )

    def _run(self) -> None:
        # imported here, on PostgreSQL only: psycopg and what it loads are about 20 MB of
        # memory in each process, which a kb on SQLite never uses
        import psycopg

        retry = 0.5
        while not self._stop.is_set():
            try:
                self._listen()
                retry = 0.5
            except psycopg.Error as exc:
                self.listening.clear()
                log.warning("kb-news: not listening (%s); again in %.1f s", exc, retry)
                self._stop.wait(retry)
                retry = min(retry * 2, MAX_RETRY)

    def _listen(self) -> None:
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            self._wake_all()  # what came before we listened
            me = sender()
            while not self._stop.is_set():
                for news in conn.notifies(timeout=STOP_CHECK):  # each as it comes
                    if news.payload != me:
                        self._wake_all()
                    if self._stop.is_set():
                        break
