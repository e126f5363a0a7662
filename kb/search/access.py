"""Who may read what: the one filter every search channel applies for a Reader.

A document is internal (every signed-in reader) or restricted to named groups; its owner
and readers with all_access always see it. The rule is a Whoosh filter built from Term
queries on fields the query language cannot name (visibility, groups, owner); a search leaves
out the documents it does not match (hidden_docs, cached per index contents and access key),
so hits, totals, facets, pages, snippets and suggestions come from visible documents only. Names are compared case-insensitively and must be normalised the same way on both
sides: documents go through the *_value functions when indexed, readers when filtering.
Anything doubtful fails closed: an unknown visibility is restricted, a group name with a
comma (the field's separator) matches nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from whoosh import query
from whoosh.searching import Searcher

from kb.core.lru import LruCache
from kb.search.records import Reader

log = logging.getLogger(__name__)

INTERNAL = "internal"
RESTRICTED = "restricted"

# Cache key of every reader who sees everything (None and all_access).
ALL = ("all",)


def visibility_value(value: object) -> str:
    cleaned = str(value).strip().lower() if value is not None else ""
    if cleaned not in (INTERNAL, RESTRICTED):
        log.warning("unknown visibility %r: indexed as restricted", value)
        return RESTRICTED
    return cleaned


def group_values(values: Iterable[object] | str | None) -> list[str]:
    """Lower-cased, whitespace-collapsed, sorted, without duplicates or empty names."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]  # a bare string would otherwise be a set of letters
    names: set[str] = set()
    for value in values:
        if value is None:
            continue
        name = " ".join(str(value).split()).lower()
        if "," in name:
            log.warning("group name %r holds a comma: it matches no reader", value)
            continue
        if name:
            names.add(name)
    return sorted(names)


def owner_value(value: object) -> str | None:
    """A username as indexed and as compared: trimmed and lower-cased, None when empty."""
    if value is None:
        return None
    name = str(value).strip().lower()
    return name or None


def _restricted(reader: Reader | None) -> bool:
    return reader is not None and not reader.all_access


def visibility_filter(reader: Reader | None) -> query.Query | None:
    """None when the reader sees everything; otherwise the documents they may read."""
    if not _restricted(reader):
        return None
    internal = query.Term("visibility", INTERNAL)
    username = owner_value(reader.username)
    if username is None:  # anonymous: internal only, whatever groups were passed
        return internal
    keys: list[query.Query] = [query.Term("groups", g) for g in group_values(reader.groups)]
    keys.append(query.Term("owner", username))
    granted = query.And([query.Term("visibility", RESTRICTED), query.Or(keys)])
    return query.Or([internal, granted])


def hidden_docs(searcher: Searcher, reader: Reader | None) -> frozenset[int]:
    """The document numbers of the searcher's view that visibility_filter leaves out for
    this reader (deleted ones too): few, as most documents are internal."""
    visibility_q = visibility_filter(reader)
    if visibility_q is None:
        return frozenset()
    everything = range(searcher.reader().doc_count_all())
    return frozenset(everything).difference(searcher.docs_for_query(visibility_q))


class HiddenSets:
    """hidden_docs, cached per index contents (searchers.contents) and access key (readers
    who see the same share an entry, no one is handed another's)."""

    def __init__(self, capacity: int) -> None:
        self._sets: LruCache[frozenset[int]] = LruCache(capacity)

    def get(self, searcher: Searcher, reader: Reader | None, contents: tuple) -> frozenset[int]:
        """`contents`: searchers.contents(searcher), which its caller keeps."""
        key = (contents, access_key(reader))
        hidden = self._sets.get(key)
        if hidden is None:
            hidden = hidden_docs(searcher, reader)
            self._sets.put(key, hidden)
        return hidden

    def clear(self) -> None:
        self._sets.clear()


def access_key(reader: Reader | None) -> tuple:
    """Equal for two readers exactly when visibility_filter lets them see the same."""
    if not _restricted(reader):
        return ALL
    username = owner_value(reader.username)
    if username is None:
        return (INTERNAL,)
    return ("reader", username, tuple(group_values(reader.groups)))
