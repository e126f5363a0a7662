"""Turning Whoosh results into plain Hits and a "did you mean" string."""

from __future__ import annotations

import logging
from collections.abc import Container, Iterable

from whoosh import query
from whoosh.qparser import QueryParser
from whoosh.reading import IndexReader
from whoosh.searching import Results, Searcher
from whoosh.spelling import Corrector

from kb.search import collect, snippets
from kb.search.querylang import make_spelling_parser, parse
from kb.search.records import Hit, QueryError
from kb.search.schema import make_hit, plain_snippet

log = logging.getLogger(__name__)

_SPELL_FIELDS = ("spell_body", "spell_title")
# A word found in any of these is not a typo, whatever the spelling fields say.
_KNOWN_FIELDS = (*_SPELL_FIELDS, "tags", "topics", "project", "project_name", "author")
_SPELL_PARSER = make_spelling_parser()


def make_hits(
    results: Results, start: int, end: int, *, highlighted: bool, scored: bool
) -> list[Hit]:
    """Hits for results[start:end]; the snippet is escaped HTML either way."""
    # The terms to mark, once for the page (Whoosh's hit.highlights asks for them per hit).
    words = frozenset(
        results.searcher.schema["body"].from_bytes(term[1])
        for term in results.query_terms(expand=True, fieldname="body")
    )
    # Without a word to look for in the body (`title:late`, `tag:cutover`), highlighting
    # would re-tokenise every body to find nothing.
    highlighted = highlighted and bool(words)
    snippets.prepare(results)
    hits, marks = [], snippets.Marks(words)
    for hit in results[start:end]:
        stored = hit.fields()
        # Collapsing whitespace is safe on this HTML: <mark> tags hold no spaces.
        snippet = " ".join(snippets.snippet(hit, stored, marks).split()) if highlighted else ""
        # A date-sorted search reports the sort key as its "score": not a relevance.
        score = hit.score if scored else 0.0
        hits.append(make_hit(stored, score, snippet or plain_snippet(stored)))
    return hits


def plain_hits(results: Iterable) -> list[Hit]:
    return [make_hit(hit.fields(), hit.score, plain_snippet(hit.fields())) for hit in results]


class _SpellingCorrector(Corrector):
    """Suggestions from the unstemmed title and body words, closest first, then the
    most common. (Whoosh's ReaderCorrector ignores the distance and MultiCorrector
    yields its pairs in the wrong order, so neither can merge two fields.)

    A word counts only by the documents holding it that are not `hidden` (the document
    numbers the reader may not see): a word found only in restricted documents is never
    offered, and rankings are those of an index without the hidden documents."""

    def __init__(self, reader: IndexReader, hidden: Container[int]) -> None:
        self.reader = reader
        self.hidden = hidden

    def _suggestions(self, text: str, maxdist: int, prefix: int) -> list[tuple[float, str]]:
        scores: dict[str, float] = {}
        for distance in range(1, maxdist + 1):
            for fieldname in _SPELL_FIELDS:
                for word in self.reader.terms_within(fieldname, text, distance, prefix=prefix):
                    if word not in scores:
                        freq = _frequency(self.reader, fieldname, word, self.hidden)
                        if freq:
                            scores[word] = -distance + freq / (freq + 1.0)
        return [(score, word) for word, score in scores.items()]


def _frequency(reader: IndexReader, fieldname: str, word: str, hidden: Container[int]) -> int:
    """How many documents the reader may see hold the word in the field."""
    if not hidden:
        return reader.doc_frequency(fieldname, word)
    if (fieldname, word) not in reader:
        return 0
    return sum(1 for d in reader.postings(fieldname, word).all_ids() if d not in hidden)


def _known(reader: IndexReader, word: str, hidden: Container[int]) -> bool:
    if not hidden:
        return any((fieldname, word) in reader for fieldname in _KNOWN_FIELDS)
    return any(
        (fieldname, word) in reader
        and any(d not in hidden for d in reader.postings(fieldname, word).all_ids())
        for fieldname in _KNOWN_FIELDS
    )


def suggest(searcher: Searcher, text: str, hidden: Container[int] = frozenset()) -> str | None:
    """A corrected query string for words the index (less the `hidden` document numbers,
    those the reader may not see) has never seen, or None."""
    try:
        parsed = _SPELL_PARSER.parse(text)
    except Exception:  # the main parser accepted the text; a suggestion is optional
        log.debug("spelling parse failed for %r", text, exc_info=True)
        return None
    reader = searcher.reader()
    unknown = [
        (token.fieldname, token.text)
        for token in parsed.all_tokens()
        # Correction rewrites the typed string by character position; a word split by
        # the analyzer ("foo:bar") has none and cannot be rewritten.
        if token.fieldname in _SPELL_FIELDS
        and token.startchar is not None
        and not _known(reader, token.text, hidden)
    ]
    if not unknown:
        return None
    corrector = _SpellingCorrector(reader, hidden)
    try:
        correction = searcher.correct_query(
            parsed,
            text,
            correctors=dict.fromkeys(_SPELL_FIELDS, corrector),
            terms=unknown,
            maxdist=2,
            prefix=1,  # typos rarely touch the first letter, and this keeps it fast
        )
    except (TypeError, ValueError):  # the same word again without positions
        log.debug("spelling correction failed for %r", text, exc_info=True)
        return None
    corrected = (correction.string or "").strip()
    if not correction.tokens or not corrected or corrected.lower() == text.strip().lower():
        return None
    return corrected


def better_suggestion(
    searcher: Searcher,
    parser: QueryParser,
    text: str,
    filter_q: query.Query | None,
    hidden: frozenset[int],
    total: int,
    budget: collect.Budget,
) -> str | None:
    """A corrected query, only when it finds more than the person already has (`total`).
    Both the candidate words (suggest) and that check leave out what the reader may not
    see: a word held by hidden documents alone is never offered."""
    try:
        budget.remaining()
        suggestion = suggest(searcher, text, hidden)
        if suggestion is None:
            return None
        better: list[int] = []
        collect.run(
            searcher,
            parse(parser, suggestion),
            filter_q,
            budget,
            hidden=hidden,
            matched=better,
            scored=False,
        )
    except QueryError:  # includes running out of time: the suggestion is optional
        return None
    return suggestion if len(better) > total else None
