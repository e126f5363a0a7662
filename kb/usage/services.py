"""Writing use down: searches (query text, result count, time) and page views (document, day),
many in one short write. Neither records who: no user, session or address is kept."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.dialects import postgresql, sqlite

from kb.db import Database
from kb.usage.models import PageView, SearchRecord

QUERY_LIMIT = 500


@dataclass(frozen=True)
class Search:
    query: str
    results: int
    at: datetime


def search_text(query: str) -> str:
    """The query as it is logged: spaces collapsed, at most QUERY_LIMIT characters; empty
    when it has no words (an empty query only lists: nothing is logged)."""
    return " ".join(query.split())[:QUERY_LIMIT]


def record(db: Database, searches: list[Search], views: Counter[tuple[str, date]]) -> None:
    """Log `searches` and add `views` ({(document id, UTC day): openings}) in one write
    transaction, an upsert per document and day. Bookkeeping: it wakes no background loop."""
    if not searches and not views:
        return
    with db.write(wake=False) as s:
        s.add_all(
            SearchRecord(query=x.query, results=x.results, searched_at=x.at) for x in searches
        )
        dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
        for (document_id, day), n in sorted(views.items()):
            statement = dialect.insert(PageView).values(document_id=document_id, day=day, views=n)
            s.execute(
                statement.on_conflict_do_update(
                    index_elements=[PageView.document_id, PageView.day],
                    set_={"views": PageView.views + n},
                )
            )
