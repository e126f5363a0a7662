"""Turning Whoosh results into plain Hits and a "did you mean" string."""

from __future__ import annotations

import functools
import logging
from collections import deque
from collections.abc import Container, Iterable, Iterator

from whoosh import highlight
from whoosh.analysis import (
    CompositeAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)
from whoosh.reading import IndexReader
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Results, Searcher
from whoosh.spelling import Corrector

from kb.search.querylang import make_spelling_parser
from kb.search.records import Hit
from kb.search.schema import PROSE_CHARS, build_schema, make_hit, plain_snippet

log = logging.getLogger(__name__)

SNIPPET_CHARS = 200

_SPELL_FIELDS = ("spell_body", "spell_title")
# A word found in any of these is not a typo, whatever the spelling fields say.
_KNOWN_FIELDS = (*_SPELL_FIELDS, "tags", "topics", "project", "project_name", "author")
_SPELL_PARSER = make_spelling_parser()


class _MarkFormatter(highlight.HtmlFormatter):
    """<mark> around matches, and "…" where the fragment cuts its block short."""

    def format_fragment(self, fragment: highlight.Fragment, replace: bool = False) -> str:
        text, start, end = fragment.text, fragment.startchar, fragment.endchar
        cut_before = text[text.rfind("\n", 0, start) + 1 : start].strip()
        line_end = text.find("\n", end)
        cut_after = text[end : len(text) if line_end < 0 else line_end].strip(" .,;:!?")
        html = super().format_fragment(fragment, replace)
        return ("… " if cut_before else "") + html + (" …" if cut_after else "")


def _mark_formatter() -> highlight.HtmlFormatter:
    # A fresh formatter per query: HtmlFormatter remembers terms between calls.
    formatter = _MarkFormatter(tagname="mark", between=" … ")
    # No class attributes: the templates style <mark> itself.
    formatter.template = "<%(tag)s>%(t)s</%(tag)s>"
    return formatter


class _BlockFragmenter(highlight.ContextFragmenter):
    """Fragments that never cross a line: the indexed text has one line per block, so a
    snippet never runs a heading into the paragraph after it ("... Lesson The first ...")."""

    def fragment_tokens(self, text, tokens):  # noqa: ANN001, ANN201
        return self.split_lines(text, super().fragment_tokens(text, tokens))

    def split_lines(
        self, text: str, fragments: Iterable[highlight.Fragment]
    ) -> Iterator[highlight.Fragment]:
        """ContextFragmenter's fragments, cut at line ends."""
        for fragment in fragments:
            start = fragment.startchar
            while start < fragment.endchar:
                end = text.find("\n", start, fragment.endchar)
                end = fragment.endchar if end < 0 else end
                matches = [m for m in fragment.matches if start <= m.startchar < end]
                if matches:
                    yield highlight.Fragment(text, matches, start, end)
                start = end + 1


class _ProseFirstScorer(highlight.BasicFragmentScorer):
    """Whoosh's score, doubled for a fragment long enough to be prose: a paragraph that
    matches is a better snippet than a heading matching the same words."""

    def __call__(self, fragment: highlight.Fragment) -> float:
        prose = fragment.endchar - fragment.startchar >= PROSE_CHARS
        return super().__call__(fragment) * (2 if prose else 1)


class _Retokenizer:
    """Whoosh's highlighting of a stored text -- the field's analyzer with chars=True,
    mode="index", removestops=False, then set_matched_filter and _merge_matched_tokens, then
    ContextFragmenter -- in one loop (context_fragments): the chain of five generators took
    two thirds of the highlighting time, and the fragmenter's step per Token most of the
    rest. The same fragments (a test compares them), so snippets are unchanged. Built only
    for the analyzer shape it knows (tokenizer, lower case, stop words, stemming), else None."""

    def __init__(self, tokenizer: RegexTokenizer, stop: StopFilter, stem: StemFilter) -> None:
        self.pattern = tokenizer.expression
        self.stops, self.minsize, self.maxsize = stop.stops, stop.min, stop.max
        self.ignore = stem.ignore
        self.stem = functools.lru_cache(maxsize=stem.cachesize)(stem.stemfn)

    @classmethod
    def of(cls, analyzer: object) -> _Retokenizer | None:
        if not isinstance(analyzer, CompositeAnalyzer):
            return None
        kinds = (RegexTokenizer, LowercaseFilter, StopFilter, StemFilter)
        items = analyzer.items
        if [type(item) for item in items] != list(kinds) or items[0].gaps:
            return None
        return cls(items[0], items[2], items[3])

    def context_fragments(
        self,
        text: str,
        words: frozenset[str],
        fragmenter: highlight.ContextFragmenter,
        matching: dict[str, str | None] | None = None,
    ) -> Iterator[highlight.Fragment]:
        """fragmenter.fragment_tokens(text, self(text, words)) of ContextFragmenter
        (whoosh-reloaded 2.7.5) fused with the tokens' loop: the same steps on the same
        characters, so the same fragments (a test compares them), without a Token and a
        generator step for every word of the body (the two loops took most of a page of
        snippets' time). A token's term is worked out once per spelling: `matching` (a
        spelling -> its term when in words, else None) may be shared by the texts of a page."""
        maxchars, surround, charlimit = (
            fragmenter.maxchars,
            fragmenter.surround,
            fragmenter.charlimit,
        )
        token = Token(chars=True, removestops=False, mode="index")
        matching = {} if matching is None else matching
        first, firsts, countdown, tks, endchar, currentlen = None, deque(), -1, [], None, 0
        for match in self.pattern.finditer(text):
            startchar, endchar = match.span()
            tlength = endchar - startchar
            if charlimit and endchar > charlimit:
                break
            spelling = match.group(0)
            if spelling in matching:
                term = matching[spelling]
            else:
                term = self.term(spelling.lower())
                term = matching[spelling] = term if term in words else None
            if countdown < 0 and term is None:
                firsts.append(startchar)
                while firsts and endchar - firsts[0] > surround:
                    firsts.popleft()
            elif currentlen + tlength > maxchars:
                countdown = 0
            elif term is not None:
                countdown = surround
                if first is None:
                    if firsts:
                        first = firsts[0]
                    else:
                        first = startchar
                        countdown += surround
                token.text, token.startchar, token.endchar, token.matched = (
                    term,
                    startchar,
                    endchar,
                    True,
                )
                tks.append(token.copy())
            if countdown >= 0:
                currentlen += tlength
                countdown -= tlength
                if countdown <= 0:
                    yield highlight.mkfrag(text, tks, startchar=first, endchar=endchar)
                    tks, firsts, first, currentlen = [], deque(), None, 0
        if tks:
            yield highlight.mkfrag(text, tks, startchar=first, endchar=endchar)

    def term(self, word: str) -> str:
        """The term a lower-cased word is indexed as (stop words and ignored words as they are)."""
        stopped = (
            len(word) < self.minsize
            or (self.maxsize is not None and len(word) > self.maxsize)
            or word in self.stops
        )
        return word if stopped or word in self.ignore else self.stem(word)


_BODY_TOKENS = _Retokenizer.of(build_schema()["body"].analyzer)


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
    results.fragmenter = _BlockFragmenter(maxchars=SNIPPET_CHARS, surround=40)
    results.scorer = _ProseFirstScorer()
    results.formatter = _mark_formatter()
    hits, matching = [], {}  # the page's spellings -> their term when marked, else None
    for hit in results[start:end]:
        stored = hit.fields()
        # Collapsing whitespace is safe on this HTML: <mark> tags hold no spaces.
        snippet = " ".join(_snippet(hit, stored, words, matching).split()) if highlighted else ""
        # A date-sorted search reports the sort key as its "score": not a relevance.
        score = hit.score if scored else 0.0
        hits.append(make_hit(stored, score, snippet or plain_snippet(stored)))
    return hits


def _snippet(
    hit: WhooshHit, stored: dict, words: frozenset[str], matching: dict[str, str | None]
) -> str:
    """The best fragment of the body, as Whoosh's hit.highlights("body", top=1) makes it."""
    if _BODY_TOKENS is None:
        return hit.highlights("body", top=1)
    text = stored.get("body") or ""
    highlighter = hit.results.highlighter
    fragmenter = highlighter.fragmenter
    fragments = fragmenter.split_lines(
        text, _BODY_TOKENS.context_fragments(text, words, fragmenter, matching)
    )
    best = highlight.top_fragments(fragments, 1, highlighter.scorer, highlighter.order)
    return highlighter.formatter.format(best)


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
