"""A document's relatives: the query behind SearchIndex.more_like (which caches it)."""

from __future__ import annotations

from whoosh import query
from whoosh.searching import Searcher

from kb.search import collect, present
from kb.search.records import Hit


def related_hits(
    searcher: Searcher, doc_id: str, limit: int, visibility_q: query.Query | None
) -> list[Hit]:
    """Documents sharing the most distinctive words, tags and topics of `doc_id`, among
    those `visibility_q` lets through; none for a document it hides."""
    docnum = searcher.document_number(id=doc_id)
    if docnum is None or limit < 1:
        return []
    if visibility_q is not None:
        this = collect.restrict(query.Term("id", doc_id), visibility_q)
        if docnum not in set(searcher.docs_for_query(this)):
            return []  # not theirs to see: neither are its relatives
    stored = searcher.stored_fields(docnum)
    text = " ".join(stored.get(k) or "" for k in ("title", "summary", "body"))
    # body is stored, not vectored: derive key terms from its text.
    key_terms = searcher.key_terms_from_text("body", text, numterms=12)
    clauses: list[query.Query] = []
    for word, weight in key_terms:
        clauses.append(query.Term("body", word, boost=weight))
        clauses.append(query.Term("title", word, boost=weight))
    for fieldname in ("tags", "topics"):
        for value in (stored.get(fieldname) or "").split(","):
            if value:
                clauses.append(query.Term(fieldname, value, boost=2.0))
    if not clauses:
        return []
    results = searcher.search(
        collect.restrict(query.Or(clauses), visibility_q), limit=limit, mask={docnum}
    )
    return present.plain_hits(results)
