"""On PostgreSQL, another process's events wake this process's loops at once (LISTEN/NOTIFY);
the poll is only the fallback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kb.core.loop import Loop
from kb.events.jobs.dispatch import has_new
from tests.events.test_idle import counting

# another process: appends one event to the log, as `kb run` does when a producer posts one
APPEND = """
import sys, uuid
from kb.core.time import utcnow
from kb.db import Database
from kb.events.inbound.models import Producer  # noqa: F401  (events refer to it)
from kb.events.log.models import Event
from kb.events.log.services import lock_log

db = Database(sys.argv[1])
with db.write() as s:
    lock_log(s)
    s.add(Event(source="urn:test", event_id=str(uuid.uuid4()), type="org.test.thing.happened",
                time=utcnow(), data={}))
db.dispose()
"""


@pytest.fixture
def pg_kb(kb):
    if kb.db.is_sqlite:
        pytest.skip("SQLite has no LISTEN/NOTIFY: a loop there polls")
    yield kb
    kb.listener.stop()


def in_another_process(url: str) -> None:
    subprocess.run([sys.executable, "-c", APPEND, url], check=True, timeout=120)


def test_another_processs_event_wakes_a_listening_worker_at_once(pg_kb):
    step, passes, count = counting(pg_kb)
    loop = Loop("test-worker", step, interval=3600, idle_max=3600)  # next look: in an hour
    pg_kb.listen(loop.wake)
    loop.start()
    try:
        assert pg_kb.listener.listening.wait(30)
        with passes:  # the first pass, and the one the listener's first wake-up asks for
            assert passes.wait_for(lambda: count[0] >= 1, timeout=30)
        in_another_process(pg_kb.config.DATABASE_URL)
        with passes:
            assert passes.wait_for(lambda: not has_new(pg_kb.db), timeout=30)
    finally:
        loop.stop()
