"""Use counted in memory and written in batches: the same counts as one write per page view
or search, fewer transactions, and no background loop woken by them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import select

from kb.usage import tally as tally_module
from kb.usage.models import PageView, SearchRecord
from kb.usage.tally import Tally

MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)
TUESDAY = datetime(2026, 3, 3, 9, tzinfo=UTC)


def views(kb) -> set[tuple[str, str, int]]:
    with kb.db.read() as s:
        return {(v.document_id, v.day.isoformat(), v.views) for v in s.scalars(select(PageView))}


def searches(kb) -> list[tuple[str, int]]:
    with kb.db.read() as s:
        rows = s.scalars(select(SearchRecord).order_by(SearchRecord.id))
        return [(r.query, r.results) for r in rows]


def test_a_batch_adds_up_views_per_document_and_day_and_keeps_every_search(kb):
    tally = Tally(kb.db, flush_after=3600)
    for at in (MONDAY, MONDAY, TUESDAY):
        tally.view("L-0001", at)
    tally.view("L-0002", MONDAY)
    tally.search("  root   cause ", 12, MONDAY)
    tally.search("   ", 0, MONDAY)  # no words: only a listing, not counted
    tally.search("quokka", 0, TUESDAY)
    assert tally.pending() == 5 and views(kb) == set() and searches(kb) == []

    tally.flush()
    assert tally.pending() == 0
    assert views(kb) == {
        ("L-0001", "2026-03-02", 2),
        ("L-0001", "2026-03-03", 1),
        ("L-0002", "2026-03-02", 1),
    }
    assert searches(kb) == [("root cause", 12), ("quokka", 0)]

    tally.view("L-0001", MONDAY)  # a later batch adds to the day's counter
    tally.flush()
    tally.flush()  # nothing pending: nothing written
    assert ("L-0001", "2026-03-02", 3) in views(kb)


def test_pending_counts_are_written_by_a_timer_and_when_many_wait(kb, monkeypatch):
    tally = Tally(kb.db, flush_after=0.01)
    tally.view("L-0001", MONDAY)
    written = threading.Event()
    for _ in range(2000):  # waits on the condition; the timer fires after 10 ms
        if views(kb):
            written.set()
            break
        threading.Event().wait(0.01)
    assert written.is_set() and views(kb) == {("L-0001", "2026-03-02", 1)}

    monkeypatch.setattr(tally_module, "MOST_PENDING", 3)
    patient = Tally(kb.db, flush_after=3600)
    for n in range(3):
        patient.search(f"query {n}", n, MONDAY)
    assert patient.pending() == 0 and len(searches(kb)) == 3  # written by the third


def test_bookkeeping_wakes_no_loop_and_closing_writes_what_is_pending(kb):
    woken = []
    kb.db.on_commit(lambda: woken.append(1))
    kb.tally.view("L-0009", MONDAY)
    kb.tally.flush()
    assert views(kb) == {("L-0009", "2026-03-02", 1)} and woken == []
    with kb.db.write():
        pass
    assert woken == [1]

    kb.tally.search("handover", 1, MONDAY)
    kb.close()
    assert searches(kb) == [("handover", 1)]
