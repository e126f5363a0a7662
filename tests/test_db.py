"""Moments come back from the database aware and in UTC, on SQLite as on PostgreSQL, by the
column type (kb.db.UTCDateTime): no call site can forget, and every JSON timestamp carries
its offset."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import DateTime, select, text

from kb.db import LOG_APPENDED, Base, Database, UTCDateTime
from kb.documents.models import Document


def test_every_moment_column_is_utc():
    plain = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, DateTime)  # a bare DateTime forgets the zone on SQLite
    ]
    typed = [
        column
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, UTCDateTime)
    ]
    assert not plain
    assert len(typed) >= 30


def test_moments_read_back_aware_in_utc(kb, make_lesson):
    doc = make_lesson()
    paris = timezone(timedelta(hours=1))
    written = datetime(2026, 3, 1, 13, 30, tzinfo=paris)
    with kb.db.write() as s:
        s.get(Document, doc.id).updated_at = written
    with kb.db.read() as s:
        row = s.scalars(select(Document).where(Document.id == doc.id)).one()
        # a comparison binds through the type too
        later = s.scalars(select(Document.id).where(Document.updated_at > written)).all()
    assert row.updated_at == written and row.updated_at.tzinfo == UTC
    assert row.updated_at.hour == 12
    assert row.created_at.tzinfo == UTC
    assert later == []


def test_json_timestamps_carry_an_offset(client, make_lesson):
    doc = make_lesson()
    created = client.post(
        f"/api/lessons/{doc.id}/actions",
        json={
            "description": "Add the clause to the template",
            "owner": "ada",
            "due_on": "2027-01-31",
            "target_kind": "template",
            "target_ref": "supplier contract",
        },
    )
    assert created.status_code == 201, created.json
    action = client.get(f"/api/lessons/{doc.id}/actions").json["actions"][0]
    assert action["created_at"].endswith("+00:00")
    lesson = client.get(f"/api/lessons/{doc.id}").json
    assert lesson["updated_at"].endswith("+00:00") and lesson["created_at"].endswith("+00:00")


def test_a_forked_process_opens_its_own_connections(database_url):
    """gunicorn --preload forks after create_app() has connected: a child that used its
    parent's pooled connection would talk over the parent's socket."""
    db = Database(database_url)
    try:
        with db.read() as s:
            s.execute(text("SELECT 1"))
        assert db.engine.pool.checkedin() == 1  # the parent keeps one for later
        pid = os.fork()
        if pid == 0:  # the child: exit 0 only if it inherited no connection and can connect
            code = 1
            try:
                if db.engine.pool.checkedin() == 0:
                    with db.read() as s:
                        code = 0 if s.scalar(text("SELECT 1")) == 1 else 1
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        with db.read() as s:  # and the child left the parent's connection alone
            assert s.scalar(text("SELECT 1")) == 1
    finally:
        db.dispose()


def test_shared_reads_use_one_session_per_thread_until_they_end(kb, make_lesson):
    lesson = make_lesson()
    db = kb.db
    db.share_reads()
    try:
        with db.read() as first, db.read() as second:
            assert first is second
            assert first.get(Document, lesson.id).title == lesson.title
        others: list = []

        def elsewhere() -> None:
            with db.read() as s:
                others.append(s)

        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
        assert others[0] is not first  # another thread reads on its own
        with db.read() as outer:
            shown = outer.get(Document, lesson.id)
            with db.write() as w:  # writes never share: their own session and transaction
                assert w is not first
                w.get(Document, lesson.id).title = "Renamed while a page reads"
            assert outer.get(Document, lesson.id) is shown  # an open block goes on as it began
        with db.read() as s:  # a new transaction of the shared session: it sees the write
            assert s is first and s.get(Document, lesson.id).title == "Renamed while a page reads"
            s.get(Document, lesson.id).summary = "changed for showing, never written"
    finally:
        db.end_shared_reads()
    db.end_shared_reads()  # again is harmless
    with db.read() as s:
        assert s is not first
        doc = s.get(Document, lesson.id)
        assert (
            doc.title == "Renamed while a page reads"
            and doc.summary != "changed for showing, never written"
        )


def test_the_index_follower_is_woken_by_commits_that_append_to_the_log_only(kb):
    """The follower follows the log: a worker's claims and marks (most of its commits)
    append nothing and leave it asleep; every commit still wakes plain callbacks."""
    from kb.events.log.services import lock_log

    plain, follower = [], []
    kb.db.on_commit(lambda: plain.append(1))
    kb.db.on_commit(lambda: follower.append(1), only_if=LOG_APPENDED)
    with kb.db.write() as s:
        s.execute(text("UPDATE cursors SET position = position"))
    assert (len(plain), len(follower)) == (1, 0)
    with kb.db.write(wake=False) as s:  # bookkeeping wakes nobody
        lock_log(s)
    assert (len(plain), len(follower)) == (1, 0)
    with kb.db.write() as s:
        lock_log(s)  # what every append to the log does first
    assert (len(plain), len(follower)) == (2, 1)
    assert (kb.follower.wake, LOG_APPENDED) in kb.db._after_write  # how kb wires it
