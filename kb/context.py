"""What one running kb holds: its database, this host's search index and the index follower."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from kb.config import Config
from kb.db import Database
from kb.documents.projection import IndexFollower, IndexProjection
from kb.search import SearchIndex


@dataclass
class Kb:
    config: Config
    db: Database
    index: SearchIndex
    projection: IndexProjection
    follower: IndexFollower

    @classmethod
    def open(cls, config: Config) -> Kb:
        db = Database(config.DATABASE_URL)
        index = SearchIndex(config.INDEX_DIR)
        projection = IndexProjection(db, index)
        follower = IndexFollower(projection, interval=config.INDEXER_INTERVAL)
        db.on_commit(follower.wake)
        return cls(config, db, index, projection, follower)

    def close(self) -> None:
        self.follower.stop()
        self.index.close()
        self.db.dispose()


def current() -> Kb:
    return current_app.extensions["kb"]
