"""Engine, sessions and transactions for SQLite (embedded) and PostgreSQL (at scale).

SQLite loses read-then-write updates under concurrent writers with its default deferred
transactions (measured: 1,318 of 1,600 lost even with WAL). We follow SQLAlchemy's documented
recipe: the driver's own transaction handling is switched off and we emit BEGIN ourselves —
BEGIN IMMEDIATE for writes (takes the write lock up front), plain BEGIN for reads.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, create_engine, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

#: session.info key a write transaction sets when it appends to the event log (kb.events.log):
#: on_commit(..., only_if=LOG_APPENDED) callbacks wake only after such a commit
LOG_APPENDED = "kb_log_appended"
#: session.info key of a write transaction whose commit other processes' loops should hear of
#: (new events, runs made due): on SQLite a nudge (kb.events.log.nudges), on PostgreSQL a NOTIFY
NEWS = "kb_news"


class Base(DeclarativeBase):
    pass


class UTCDateTime(TypeDecorator):
    """A moment, always aware and in UTC on the way out, on both databases. SQLite keeps no
    offset and hands back naive datetimes: without this type every call site had to remember
    to add UTC, and JSON `date-time` fields went out without an offset where one forgot."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # naive moments in kb are UTC (kb.core.time)
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for another database or one in memory."""
    if not _is_sqlite(url):
        return None
    path = url.split("///", 1)[-1] if "///" in url else ""
    return Path(path) if path and path != ":memory:" else None


def make_engine(url: str) -> Engine:
    if _is_sqlite(url):
        if (path := sqlite_file(url)) is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see module doc)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        write = conn.get_execution_options().get("kb_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """One per app (or CLI process): `read()` and `write()` hand out short transactions."""

    #: every open Database, for _forget_parent_connections
    _open: weakref.WeakSet[Database] = weakref.WeakSet()

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = _is_sqlite(url)
        # autoflush off: a read session never writes, even one shared by a whole page whose
        # code changed an object it read (for showing it)
        self._reads = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._shared = threading.local()
        self._writes = sessionmaker(
            self.engine.execution_options(kb_write=True), expire_on_commit=False
        )
        self._after_write: list = []
        self._sqlite_writer = threading.Lock()
        Database._open.add(self)

    def on_commit(self, callback, *, only_if: str | None = None) -> None:  # noqa: ANN001
        """Call `callback()` after every committed write transaction that may wake it (e.g. wake
        the worker): see write(). With `only_if`, only after those whose session.info holds
        that key: the index follower follows the log, and a worker's claims and marks (three
        commits per event handled) had each sent it to look for events there were none of."""
        self._after_write.append((callback, only_if))

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session: this thread's shared one between share_reads() and
        end_shared_reads(), else one of its own for the block."""
        shared = self._shared
        if getattr(shared, "session", None) is not None:
            if shared.stale and not shared.depth:  # a write since: a new transaction sees it
                shared.session.close()
                shared.stale = False
            shared.depth += 1
            try:
                yield shared.session
            finally:
                shared.depth -= 1
            return
        # Closing (not rolling back) ends the transaction without expiring the objects read,
        # so callers can use them after the block.
        with self._reads() as session:
            yield session

    def share_reads(self) -> None:
        """Until end_shared_reads(), every read() of this thread uses one session: a page's
        dozen lookups (the user, the document, its actions, links...) pay one transaction
        and one connection check-out instead of a dozen (each cost more than its query).
        The web app does this for GET requests, which read and at most write bookkeeping.
        Writes have their own session; after one, the next read block starts a new
        transaction, so that it sees the write (SQLite's reads see the snapshot of their
        first read), while a read block still open goes on as it began.
        """
        if getattr(self._shared, "session", None) is None:
            self._shared.session = self._reads()
            self._shared.stale, self._shared.depth = False, 0

    def end_shared_reads(self) -> None:
        session = getattr(self._shared, "session", None)
        self._shared.session = None
        if session is not None:
            session.close()

    @contextmanager
    def write(self, *, wake: bool = True) -> Iterator[Session]:
        """One write transaction: everything inside commits together or not at all. Its
        commit wakes the on_commit callbacks (index follower, worker) unless `wake` is False:
        for bookkeeping that makes no event (usage counts, what a person last saw), whose
        commits would otherwise send both looking for work there is none of."""
        with self._write_turn(), self._writes() as session, session.begin():
            yield session
        if getattr(self._shared, "session", None) is not None:
            self._shared.stale = True  # this thread's next read block sees this write
        if wake:
            for callback, only_if in self._after_write:
                if only_if is None or session.info.get(only_if):
                    callback()

    @contextmanager
    def _write_turn(self) -> Iterator[None]:
        # SQLite has one writer at a time. Threads of this process queue here, where the
        # hand-over is immediate; left to SQLite, a waiting thread sleeps in its busy handler
        # (1, 2, 5, 10... ms), which made the web process ingest far fewer events while its
        # worker thread was busy (figures: docs/architecture.md). Other processes still meet SQLite's lock and busy_timeout.
        if not self.is_sqlite:
            yield
            return
        with self._sqlite_writer:
            yield

    def dispose(self) -> None:
        self.engine.dispose()


def _forget_parent_connections() -> None:
    # A pre-forking server (gunicorn --preload) forks after create_app() has connected: two
    # processes talking over one socket corrupt each other's conversation. SQLAlchemy's recipe
    # for os.fork(): the child drops the pooled connections without closing them (the parent
    # still uses them) and opens its own.
    for db in list(Database._open):
        db.engine.dispose(close=False)
        db._sqlite_writer = threading.Lock()  # a thread of the parent may have held it


os.register_at_fork(after_in_child=_forget_parent_connections)
