"""Another process's events wake this process's loops at once: LISTEN/NOTIFY on PostgreSQL,
nudges on SQLite (kb.events.log.nudges); the poll is only the fallback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kb.core.loop import Loop
from kb.events.jobs.dispatch import has_new
from tests.events.test_idle import counting

# another process: appends one event to the log, as `kb run` does when a producer posts one
APPEND = """
import sys, uuid
from kb.config import Config
from kb.context import Kb
from kb.core.time import utcnow
from kb.events.log.models import Event
from kb.events.log.services import lock_log

kb = Kb.open(Config(DATABASE_URL=sys.argv[1], INDEX_DIR=sys.argv[2]))
with kb.db.write() as s:
    lock_log(s)
    s.add(Event(source="urn:test", event_id=str(uuid.uuid4()), type="org.test.thing.happened",
                time=utcnow(), data={}))
kb.close()
"""


@pytest.fixture
def listening_kb(kb):
    yield kb
    kb.listener.stop()


def in_another_process(url: str, index_dir: Path) -> None:
    subprocess.run([sys.executable, "-c", APPEND, url, str(index_dir)], check=True, timeout=120)


def test_another_processs_event_wakes_a_listening_worker_at_once(listening_kb, tmp_path):
    step, passes, count = counting(listening_kb)
    loop = Loop("test-worker", step, interval=3600, idle_max=3600)  # next look: in an hour
    listening_kb.listen(loop.wake)
    loop.start()
    try:
        assert listening_kb.listener.listening.wait(30)
        with passes:  # the first pass, and the one the listener's first wake-up asks for
            assert passes.wait_for(lambda: count[0] >= 1, timeout=30)
        in_another_process(listening_kb.config.DATABASE_URL, tmp_path / "other")
        with passes:
            assert passes.wait_for(lambda: not has_new(listening_kb.db), timeout=30)
    finally:
        loop.stop()
