"""Recording use, in one short write each: a search (query text, result count, time) and a
page view (document, day). Neither records who: no user, session or address is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from kb.core.time import utcnow
from kb.db import Database
from kb.usage.models import PageView, SearchRecord

QUERY_LIMIT = 500


def record_search(db: Database, query: str, results: int, *, at: datetime | None = None) -> None:
    """Log one search with words in it (an empty query only lists: nothing is logged)."""
    text = " ".join(query.split())[:QUERY_LIMIT]
    if not text:
        return
    with db.write() as s:
        s.add(SearchRecord(query=text, results=results, searched_at=at or utcnow()))


def record_view(db: Database, document_id: str, *, at: datetime | None = None) -> None:
    """Count one opening of a document's page on the (UTC) day of `at`: one upsert."""
    with db.write() as s:
        dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
        statement = dialect.insert(PageView).values(
            document_id=document_id, day=(at or utcnow()).date(), views=1
        )
        s.execute(
            statement.on_conflict_do_update(
                index_elements=[PageView.document_id, PageView.day],
                set_={"views": PageView.views + 1},
            )
        )
