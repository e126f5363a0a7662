"""What one running kb holds: its database, this host's search index and its follower, and
the event worker with its handlers."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from kb.accounts import services as accounts
from kb.accounts.viewer import Viewer
from kb.briefings import handlers as briefing_handlers
from kb.config import Config
from kb.core.loop import Loop
from kb.db import Database
from kb.documents import access
from kb.documents import services as documents
from kb.documents.projection import IndexProjection
from kb.events import webhooks
from kb.events.lanes import WorkerThreads
from kb.events.producers import ensure_default_producer
from kb.events.registry import Registry
from kb.events.worker import Worker
from kb.notifications import handlers as notification_handlers
from kb.processes import handlers as process_handlers
from kb.projects import handlers as project_handlers
from kb.recurrence import handlers as recurrence_handlers
from kb.reviews import handlers as review_handlers
from kb.reviews.services import sweep_overdue
from kb.search import SearchIndex


def subscriber_may_read(db: Database):  # noqa: ANN201
    """The outbound visibility rule: the subscription's owner must be able to read the
    document an event is about (its current state); events about no document pass."""

    def rule(event, subscription) -> bool:  # noqa: ANN001
        kind = (event.subject or "").split("/", 1)[0]
        doc_id = (
            (event.data or {}).get("id") if kind in ("lessons", "processes", "guides") else None
        )
        doc = documents.get_document(db, doc_id) if doc_id else None
        if doc is None or doc.visibility != "restricted":
            return True
        owner = accounts.get_user(db, subscription.owner) if subscription.owner else None
        return owner is not None and owner.is_active and access.can_read(Viewer.of(owner), doc)

    return rule


def build_registry(config: Config, index: SearchIndex | None = None) -> Registry:
    """Every built-in handler; domains register their own (briefings search `index`: without
    one they recommend nothing)."""
    registry = Registry()
    project_handlers.register(registry, config)
    review_handlers.register(registry, config)
    briefing_handlers.register(registry, config, index)
    recurrence_handlers.register(registry, config, index)
    notification_handlers.register(registry, config)
    process_handlers.register(registry, config)
    webhooks.register(registry, config)
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
    #: the kb lane's thread and the delivery threads (kb/events/lanes.py)
    worker_thread: WorkerThreads

    @classmethod
    def open(cls, config: Config) -> Kb:
        db = Database(config.DATABASE_URL)
        index = SearchIndex(config.INDEX_DIR)
        projection = IndexProjection(db, index)
        # settle: a burst of commits becomes one index commit / one worker pass
        follower = Loop("kb-index", projection.catch_up, config.INDEXER_INTERVAL, settle=0.05)
        registry = build_registry(config, index)
        webhooks.visibility_rule = subscriber_may_read(db)
        worker = Worker(db, registry, receiver_cap=config.DELIVERIES_PER_RECEIVER)
        worker.periodic.append(lambda now: sweep_overdue(db, now))
        worker_thread = WorkerThreads(
            worker, config.WORKER_INTERVAL, deliveries=config.DELIVERY_THREADS
        )
        db.on_commit(follower.wake)
        db.on_commit(worker_thread.wake)
        return cls(config, db, index, projection, follower, registry, worker, worker_thread)

    def register_event_secret(self) -> None:
        """Make KB_EVENT_SECRET the producer "default"'s secret (ValueError when malformed).

        Only what serves or acts on events calls this (the web app, `kb init`, `kb worker`):
        opening a Kb writes nothing, so read-only commands work while another process holds
        SQLite's write lock."""
        if self.config.EVENT_SECRET:
            ensure_default_producer(self.db, self.config.EVENT_SECRET)

    def close(self) -> None:
        self.worker_thread.stop()
        self.follower.stop()
        self.index.close()
        self.db.dispose()


def current() -> Kb:
    return current_app.extensions["kb"]
