"""A hit's snippet: the best fragment of its body with the query's words marked, as Whoosh's
hit.highlights("body", top=1) makes it, without going through every word of the body.

Whoosh re-tokenises the whole stored body (the field's analyzer) and feeds every word to its
ContextFragmenter. _Words.context_fragments runs the same steps on the same words, but only
near the places where a marked word may be (every occurrence of a spelling whose term is one
of the query's words): between fragments the fragmenter only remembers where the last few
words started, so the words far from any marked one change nothing and are skipped. The same
fragments (a test compares them with Whoosh's), so the same snippets, for a fraction of the
words: ~60 % of an unseen search's snippet time went into tokenising bodies.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Iterator

from whoosh import highlight
from whoosh.analysis import (
    CompositeAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)
from whoosh.analysis.tokenizers import default_pattern
from whoosh.lang import porter
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Results

from kb.search.schema import PROSE_CHARS, build_schema

SNIPPET_CHARS = 200
#: letters at the end of a Porter stem that may differ from its word's ("possibility" ->
#: "possibl": y -> i, then "biliti" -> "ble", then the "e" dropped)
STEM_TAIL = 2
# Whoosh's word pattern without its group (findall would give the group, not the word). No
# word holds a space or a line end: the words found from just after one are the same as the
# words of the whole text from there on.
_WORDS = {default_pattern.pattern: re.compile(r"[\w\*]+(?:\.?[\w\*]+)*", default_pattern.flags)}


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


class Marks:
    """The terms to mark (the query's words in the body), and the spellings of a page's
    bodies looked at so far with their term when marked: a page's texts share most of
    their words, so each spelling is worked out once per page."""

    __slots__ = ("words", "terms")

    def __init__(self, words: frozenset[str]) -> None:
        self.words = words
        self.terms: dict[str, str | None] = {}  # spelling -> its term when marked, else None


def prepare(results: Results) -> None:
    """The fragmenter, scorer and formatter of a page's snippets."""
    results.fragmenter = _BlockFragmenter(maxchars=SNIPPET_CHARS, surround=40)
    results.scorer = _ProseFirstScorer()
    results.formatter = _mark_formatter()


class _Words:
    """Whoosh's highlighting of a stored text -- the field's analyzer with chars=True,
    mode="index", removestops=False, then set_matched_filter and _merge_matched_tokens, then
    ContextFragmenter -- in one loop (context_fragments) over the words near marked ones.
    Built only for the analyzer it knows (Whoosh's word pattern, lower case, stop words,
    stemming), else None."""

    def __init__(self, tokenizer: RegexTokenizer, stop: StopFilter, stem: StemFilter) -> None:
        self.pattern = tokenizer.expression
        self.spellings = _WORDS[tokenizer.expression.pattern].findall
        self.stops, self.minsize, self.maxsize = stop.stops, stop.min, stop.max
        self.ignore = stem.ignore
        self.stem = functools.lru_cache(maxsize=stem.cachesize)(stem.stemfn)

    @classmethod
    def of(cls, analyzer: object) -> _Words | None:
        if not isinstance(analyzer, CompositeAnalyzer):
            return None
        kinds = (RegexTokenizer, LowercaseFilter, StopFilter, StemFilter)
        items = analyzer.items
        if [type(item) for item in items] != list(kinds) or items[0].gaps:
            return None
        pattern = items[0].expression
        if _WORDS.get(pattern.pattern) is None or pattern.flags != default_pattern.flags:
            return None
        if items[3].lang or items[3].stemfn is not porter.stem:
            return None
        return cls(items[0], items[2], items[3])

    def marked_starts(self, text: str, marks: Marks) -> list[int]:
        """Where a marked word may start, in order (a few may be inside another word).

        Porter's stemmer only rewrites a word's ending, and a stem keeps all but at most
        its last STEM_TAIL letters from the start of the word (a test checks it over many
        words): a word whose term is t starts with t[:-STEM_TAIL], in lower case. So the
        places where such a start follows a letter that cannot end a word are the few
        worth a look, each word there taken as the tokenizer would (it starts there).
        The lower-cased text must keep its letters in place (same length, no context-
        dependent sigma); otherwise every word of the text is looked at."""
        lower = text.lower()
        if len(lower) != len(text) or "\u03a3" in text:
            return self._marked_starts_of_all(text, marks)
        starts: set[int] = set()
        match, terms = self.pattern.match, marks.terms
        for start in {word[: max(1, len(word) - STEM_TAIL)] for word in marks.words}:
            at = lower.find(start)
            while at >= 0:
                found = None if at and _in_word(text[at - 1]) else match(text, at)
                if found is not None:
                    spelling = found.group(0)
                    term = terms[spelling] if spelling in terms else self.mark(spelling, marks)
                    if term is not None:
                        starts.add(at)
                at = lower.find(start, at + 1)
        return sorted(starts)

    def _marked_starts_of_all(self, text: str, marks: Marks) -> list[int]:
        """marked_starts from every word of the text."""
        spellings = set(self.spellings(text))
        for spelling in spellings.difference(marks.terms):
            self.mark(spelling, marks)
        terms, starts = marks.terms, []
        for spelling in spellings:
            if terms[spelling] is not None:
                at = text.find(spelling)
                while at >= 0:
                    starts.append(at)
                    at = text.find(spelling, at + 1)
        starts.sort()
        return starts

    def mark(self, spelling: str, marks: Marks) -> str | None:
        """The spelling's term if marked, else None, noted in marks."""
        term = self.term(spelling.lower())
        term = marks.terms[spelling] = term if term in marks.words else None
        return term

    def context_fragments(
        self, text: str, fragmenter: highlight.ContextFragmenter, marks: Marks
    ) -> Iterator[highlight.Fragment]:
        """fragmenter.fragment_tokens(text, <Whoosh's highlighting tokens>) of
        ContextFragmenter (whoosh-reloaded 2.7.5) fused with the tokens' loop: the same
        steps on the same words, so the same fragments (a test compares them).

        Between two fragments (countdown < 0) a word that is not marked only joins `firsts`,
        the starts of the words ending at most `surround` characters before the last one's
        end. So when the next place a marked word may start is far, the loop skips to a
        space well before it. The words skipped would have left `firsts` by the time a word
        ending `surround` past the skipping place joins it; if a marked word comes first,
        the loop goes back and reads the skipped words after all."""
        maxchars, surround, charlimit = (
            fragmenter.maxchars,
            fragmenter.surround,
            fragmenter.charlimit,
        )
        starts = self.marked_starts(text, marks)
        if not starts:
            return
        terms, search, ahead = marks.terms, self.pattern.search, 0
        token = Token(chars=True, removestops=False, mode="index")
        first, firsts, countdown, tks, endchar, currentlen = None, deque(), -1, [], None, 0
        pos = hold = 0  # where the next word is looked for; no skipping before `hold`
        skipped = None  # (where the skipping began, `firsts` there, where it went to)
        while True:
            if countdown < 0:
                ahead = bisect_left(starts, pos, ahead)
                if ahead == len(starts):
                    break  # between fragments, and no marked word further on
                if skipped is None and pos >= hold:
                    to = _restart(text, pos, starts[ahead] - 2 * surround)
                    if to > pos:
                        skipped, pos, firsts = (pos, firsts, to), to, deque()
            match = search(text, pos)
            if match is None:
                break
            startchar, endchar = match.span()
            pos = endchar
            tlength = endchar - startchar
            if charlimit and endchar > charlimit:
                break
            spelling = match.group(0)
            term = terms[spelling] if spelling in terms else self.mark(spelling, marks)
            if countdown < 0 and term is None:
                firsts.append(startchar)
                while firsts and endchar - firsts[0] > surround:
                    firsts.popleft()
                if skipped is not None and endchar - surround >= skipped[2]:
                    skipped = None  # the skipped words would all have left firsts by now
                continue
            if countdown < 0 and skipped is not None:  # too soon: read the skipped words
                pos, firsts, _ = skipped
                skipped, hold = None, endchar
                continue
            if currentlen + tlength > maxchars:
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


def _in_word(char: str) -> bool:
    """Whether the letter may be part of a word ([\\w*] of Whoosh's word pattern)."""
    return char.isalnum() or char in "_*"


def _restart(text: str, pos: int, before: int) -> int:
    """The place just after the last space or line end in text[pos:before] (no word goes
    on across it), else pos."""
    if before <= pos:
        return pos
    return max(text.rfind(" ", pos, before), text.rfind("\n", pos, before), pos - 1) + 1


_BODY_WORDS = _Words.of(build_schema()["body"].analyzer)


def snippet(hit: WhooshHit, stored: dict, marks: Marks) -> str:
    """The best fragment of the body, as Whoosh's hit.highlights("body", top=1) makes it."""
    if _BODY_WORDS is None:
        return hit.highlights("body", top=1)
    text = stored.get("body") or ""
    highlighter = hit.results.highlighter
    fragmenter = highlighter.fragmenter
    fragments = fragmenter.split_lines(text, _BODY_WORDS.context_fragments(text, fragmenter, marks))
    best = highlight.top_fragments(fragments, 1, highlighter.scorer, highlighter.order)
    return highlighter.formatter.format(best)
