"""The Alembic migrations build exactly the schema the models describe (SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from kb.db import Base
from kb.documents import models as _documents  # noqa: F401
from kb.events.inbound import models as _inbound  # noqa: F401
from kb.events.jobs import models as _jobs  # noqa: F401
from kb.events.log import models as _log  # noqa: F401
from kb.events.webhooks import models as _webhooks  # noqa: F401
from kb.projects import models as _projects  # noqa: F401


def test_migrated_database_matches_the_models(database_url):
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
