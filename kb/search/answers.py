"""Finished answers kept (kb.core.lru), so an identical request is not rebuilt.

Every key a SearchIndex puts here holds the index contents the answer was computed from
(generation and segment ids, searchers.contents: a thread still on an older searcher cannot
leave an entry that a newer one would serve) and what the reader may see (access.access_key),
so no one is ever served an answer built for a reader who sees more.
"""

from __future__ import annotations

import dataclasses

from kb.search.records import SearchResults


def copy_results(results: SearchResults) -> SearchResults:
    """A copy sharing nothing a caller may change (dates, strings and tuples are immutable)."""
    hits = [
        dataclasses.replace(hit, topics=list(hit.topics), tags=list(hit.tags))
        for hit in results.hits
    ]
    facets = {name: list(values) for name, values in results.facets.items()}
    return dataclasses.replace(results, hits=hits, facets=facets)
