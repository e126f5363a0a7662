"""Full-text search: the only package that imports Whoosh.

Callers hand over IndexDoc records and get plain Hit / SearchResults back; see
SearchIndex for the projection mechanics (file lock, last_seq, rebuild).
"""

from kb.search.index import SearchIndex
from kb.search.records import Hit, IndexDoc, IndexUnavailable, QueryError, Reader, SearchResults

__all__ = [
    "Hit",
    "IndexDoc",
    "IndexUnavailable",
    "QueryError",
    "Reader",
    "SearchIndex",
    "SearchResults",
]
