"""Alembic environment: the URL comes from kb (kb.migrate), never from a file in the repo."""

from alembic import context

from kb.accounts import models as _accounts  # noqa: F401
from kb.actions import models as _actions  # noqa: F401
from kb.briefings import models as _briefings  # noqa: F401
from kb.db import Base, make_engine
from kb.documents import models as _documents  # noqa: F401  (register tables)
from kb.events.inbound import models as _inbound  # noqa: F401
from kb.events.jobs import models as _jobs  # noqa: F401
from kb.events.log import models as _log  # noqa: F401
from kb.events.webhooks import models as _webhooks  # noqa: F401
from kb.notifications import models as _notifications  # noqa: F401
from kb.overdue import models as _overdue  # noqa: F401
from kb.paths import models as _paths  # noqa: F401
from kb.processes import models as _processes  # noqa: F401
from kb.projects import models as _projects  # noqa: F401
from kb.recurrence import models as _recurrence  # noqa: F401
from kb.reviews import models as _reviews  # noqa: F401
from kb.tasks import models as _tasks  # noqa: F401
from kb.usage import models as _usage  # noqa: F401

target_metadata = Base.metadata
config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
