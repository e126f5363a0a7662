"""Phrase search with a cheaper test of "are the words next to each other".

Whoosh matches a phrase with SpanNear2: for every document holding all its words it builds a
Span object per position of every word and walks them with a binary search, which was half of
a phrase query's time ("critical path": 7,700 such documents at 10,000 lessons). When the words
must simply follow one another (slop 1, in order: what a quoted phrase means) the test is a
set intersection of positions: word k at position p + k for some p. The same documents match,
with the same spans, and the score is untouched (SpanNear2 scores as the plain And of its
words); anything else is left to Whoosh.
"""

from __future__ import annotations

from whoosh import matching, query
from whoosh.query.spans import Span, SpanNear2
from whoosh.searching import Searcher


class _AdjacentMatcher(SpanNear2.SpanNear2Matcher):
    def __init__(self, ms: list[matching.Matcher], **options: object) -> None:
        # spans of plain positions (with characters, Whoosh's spans carry them too); set
        # first: Whoosh's __init__ already looks for the first match
        self.plain = all(m.supports("positions") and not m.supports("characters") for m in ms)
        super().__init__(ms, **options)

    def _get_spans(self) -> list[Span]:
        ms = self.ms
        if not self.plain:
            return super()._get_spans()
        starts = set(ms[0].value_as("positions"))
        for k in range(1, len(ms)):
            if not starts:
                return []
            starts.intersection_update(p - k for p in ms[k].value_as("positions"))
        last = len(ms) - 1
        return [Span(start, start + last) for start in sorted(starts)]


class _AdjacentNear(SpanNear2):
    def matcher(self, searcher: Searcher, context: object = None) -> matching.Matcher:
        if self.slop != 1 or not self.ordered or self.mindist != 1:
            return super().matcher(searcher, context)
        ms = [q.matcher(searcher, context) for q in self.qs]
        return _AdjacentMatcher(ms, slop=self.slop, ordered=self.ordered, mindist=self.mindist)


class AdjacentPhrase(query.Phrase):
    """query.Phrase, matched as Whoosh does (Phrase.matcher, whoosh-reloaded 2.7.5) but
    with _AdjacentNear in place of SpanNear2."""

    def matcher(self, searcher: Searcher, context: object = None) -> matching.Matcher:
        fieldname = self.fieldname
        if fieldname not in searcher.schema:
            return matching.NullMatcher()
        field = searcher.schema[fieldname]
        if not field.format or not field.format.supports("positions"):
            return super().matcher(searcher, context)  # Whoosh's own error
        reader = searcher.reader()
        terms = []
        for word in self.words:
            try:
                text = field.to_bytes(word)
            except ValueError:
                return matching.NullMatcher()
            if (fieldname, text) not in reader:
                return matching.NullMatcher()  # a word the segment lacks: no match
            terms.append(query.Term(fieldname, text))
        m = _AdjacentNear(terms, slop=self.slop, ordered=True, mindist=1).matcher(searcher, context)
        return m if self.boost == 1.0 else matching.WrappingMatcher(m, boost=self.boost)
