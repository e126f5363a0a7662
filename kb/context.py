"""What one running kb holds: its database, this host's search index and its follower, and
the event worker with its handlers."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from pydantic import ValidationError

from kb.accounts import services as accounts
from kb.accounts.viewer import ANONYMOUS, Viewer
from kb.briefings import handlers as briefing_handlers
from kb.config import Config
from kb.core.loop import Loop
from kb.db import LOG_APPENDED, NEWS, Database, sqlite_file
from kb.documents import references
from kb.documents.projection import IndexProjection
from kb.events import kinds
from kb.events.inbound.producers import ensure_default_producer
from kb.events.jobs.lanes import WorkerThreads
from kb.events.jobs.registry import Registry
from kb.events.jobs.worker import Worker
from kb.events.log.news import Listener
from kb.events.log.nudges import Nudges
from kb.events.webhooks import delivery as webhooks
from kb.notifications import handlers as notification_handlers
from kb.overdue import services as overdue
from kb.processes import handlers as process_handlers
from kb.projects import handlers as project_handlers
from kb.recurrence import handlers as recurrence_handlers
from kb.reviews import handlers as review_handlers
from kb.search import SearchIndex
from kb.usage.tally import Tally

log = logging.getLogger(__name__)


def _owner_viewer(db: Database, subscription) -> Viewer:  # noqa: ANN001
    """Whom a subscription reads as: its active owner; anyone else reads like an anonymous
    visitor (internal documents only)."""
    owner = accounts.get_user(db, subscription.owner) if subscription.owner else None
    return Viewer.of(owner) if owner is not None and owner.is_active else ANONYMOUS


def subscriber_view(db: Database):  # noqa: ANN201
    """The outbound payload rule: the event's class serialised, as the subscription's owner may
    read it (kb.documents.references.event_view); None when it is about a document they may
    not read, or when the stored event does not fit its class (never sent unchecked)."""

    def rule(event, subscription) -> dict | None:  # noqa: ANN001
        try:
            data = kinds.parse(event.type, event.data).data()
        except (KeyError, ValidationError):
            log.warning(
                "event %s does not fit the class of %s: not delivered", event.seq, event.type
            )
            return None
        with db.read() as s:
            return references.event_view(s, event.subject, data, _owner_viewer(db, subscription))

    return rule


def subscriber_may_read(db: Database):  # noqa: ANN201
    """The outbound visibility rule: the subscription's owner must be able to read the
    document the event is about (its subject, in its current state)."""
    view = subscriber_view(db)
    return lambda event, subscription: view(event, subscription) is not None


def subscriber_rules(db: Database) -> webhooks.Rules:
    """What each webhook subscription's owner may read: the rules every delivery needs."""
    return webhooks.Rules(visible=subscriber_may_read(db), payload=subscriber_view(db))


def build_registry(config: Config, db: Database, index: SearchIndex | None = None) -> Registry:
    """Every built-in handler; domains register their own (briefings search `index`: without
    one they recommend nothing; webhooks read `db` for what each subscriber may read)."""
    registry = Registry()
    project_handlers.register(registry, config)
    review_handlers.register(registry, config)
    briefing_handlers.register(registry, config, index)
    recurrence_handlers.register(registry, config, index)
    notification_handlers.register(registry, config)
    process_handlers.register(registry, config)
    webhooks.register(registry, config, subscriber_rules(db))
    return registry


@dataclass
class Kb:
    config: Config
    db: Database
    index: SearchIndex
    projection: IndexProjection
    follower: Loop
    registry: Registry
    worker: Worker
    #: the kb lane's thread and the delivery threads (kb/events/jobs/lanes.py)
    worker_thread: WorkerThreads
    #: searches and page views, written in batches (kb/usage/tally.py)
    tally: Tally
    #: wakes this process's loops on other processes' news: LISTEN/NOTIFY on PostgreSQL,
    #: nudges on a SQLite file (None for a database in memory)
    listener: Listener | Nudges | None = None

    @classmethod
    def open(cls, config: Config) -> Kb:
        db = Database(config.DATABASE_URL)
        index = SearchIndex(config.INDEX_DIR)
        projection = IndexProjection(db, index)
        # settle: a burst of commits becomes one index commit / one worker pass
        follower = Loop("kb-index", projection.step, config.INDEXER_INTERVAL, settle=0.05)
        registry = build_registry(config, db, index)
        worker = Worker(db, registry, receiver_cap=config.DELIVERIES_PER_RECEIVER)
        worker.periodic.append(overdue.Sweeper(db))
        worker_thread = WorkerThreads(
            worker, config.WORKER_INTERVAL, deliveries=config.DELIVERY_THREADS
        )
        db.on_commit(follower.wake, only_if=LOG_APPENDED)  # it follows the log
        db.on_commit(worker_thread.wake)
        listener = _listener(config.DATABASE_URL)
        if isinstance(listener, Nudges):  # PostgreSQL delivers its NOTIFY itself
            db.on_commit(listener.send, only_if=NEWS)
        return cls(
            config,
            db,
            index,
            projection,
            follower,
            registry,
            worker,
            worker_thread,
            Tally(db),
            listener,
        )

    def register_event_secret(self) -> None:
        """Make KB_EVENT_SECRET the producer "default"'s secret (ValueError when malformed).

        Only what serves or acts on events calls this (the web app, `kb init`, `kb worker`):
        opening a Kb writes nothing, so read-only commands work while another process holds
        SQLite's write lock."""
        if self.config.EVENT_SECRET:
            ensure_default_producer(self.db, self.config.EVENT_SECRET)

    def start(self) -> None:
        """Start the background threads KB_INDEXER_THREAD and KB_WORKER_THREAD ask for, in this
        process (again is harmless). The serving entry point calls this in each process that
        serves (kb.serving), never create_app(): a pre-forking server would fork the app
        without the threads."""
        if self.config.INDEXER_THREAD:
            self.follower.start()
            self.listen(self.follower.wake)
        if self.config.WORKER_THREAD:
            self.worker_thread.start()
            self.listen(self.worker_thread.wake)

    def listen(self, wake) -> None:  # noqa: ANN001
        """Call `wake()` when another process commits events or handler runs (PostgreSQL's
        LISTEN/NOTIFY, SQLite's nudges). Commits of this process wake through
        Database.on_commit."""
        if self.listener is not None:
            self.listener.add(wake)

    def close(self) -> None:
        self.tally.flush()
        if self.listener is not None:
            self.listener.stop()
        self.worker_thread.stop()
        self.follower.stop()
        self.index.close()
        self.db.dispose()


def _listener(url: str) -> Listener | Nudges | None:
    if (path := sqlite_file(url)) is not None:
        return Nudges(path)
    return None if url.startswith("sqlite") else Listener(url)


def current() -> Kb:
    return current_app.extensions["kb"]
