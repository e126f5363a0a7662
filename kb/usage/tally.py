"""Use counted in memory and written down in batches: a page view or a search costs a
dictionary update, not a write transaction (one each made the database's single writer the
bottleneck of a busy server and woke the background loops for nothing).

What is pending is written when FLUSH_AFTER seconds have passed since the first pending
record (a timer; none runs while nothing is pending), when MOST_PENDING records wait, when a
figure of use is read in this process (the dashboard), and when the process closes its kb.
A process killed outright loses at most those few seconds of counts: usage figures are
statistics, not records anyone relies on one by one.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import date, datetime

from kb.db import Database
from kb.usage.services import Search, record, search_text

log = logging.getLogger(__name__)
FLUSH_AFTER = 5.0
MOST_PENDING = 500


class Tally:
    def __init__(self, db: Database, *, flush_after: float = FLUSH_AFTER) -> None:
        self.db = db
        self.flush_after = flush_after
        self._lock = threading.Lock()
        self._searches: list[Search] = []
        self._views: Counter[tuple[str, date]] = Counter()
        self._timer: threading.Timer | None = None

    def search(self, query: str, results: int, at: datetime) -> None:
        """Count one search with words in it (an empty query only lists: nothing is counted)."""
        text = search_text(query)
        if text:
            self._add(lambda: self._searches.append(Search(text, results, at)))

    def view(self, document_id: str, at: datetime) -> None:
        """Count one opening of a document's page on the (UTC) day of `at`."""
        self._add(lambda: self._views.update([(document_id, at.date())]))

    def pending(self) -> int:
        with self._lock:
            return len(self._searches) + len(self._views)

    def flush(self) -> None:
        """Write what is pending now, in one transaction (nothing when nothing is)."""
        with self._lock:
            searches, views = self._searches, self._views
            self._searches, self._views = [], Counter()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        record(self.db, searches, views)

    def _add(self, update) -> None:  # noqa: ANN001
        with self._lock:
            update()
            full = len(self._searches) + len(self._views) >= MOST_PENDING
            if not full and self._timer is None:
                self._timer = threading.Timer(self.flush_after, self._flush_logged)
                self._timer.daemon = True
                self._timer.start()
        if full:
            self._flush_logged()

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except Exception:  # the database may be away: the counts are lost, never the page
            log.exception("writing usage counts failed")
