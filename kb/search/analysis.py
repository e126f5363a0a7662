"""The words of a title or body, found once for its stemmed and its unstemmed field.

Title and body are indexed stemmed (Whoosh's StemmingAnalyzer) and again unstemmed, for
spelling suggestions (spell_title, spell_body: StandardAnalyzer): the same words before the
stemmer. Whoosh found them twice per text, each time through a chain of generators per word
(tokenizer, lower case, stop words, stemmer), and that was a third of `kb import`'s indexing
work. Here indexing (mode="index", as Whoosh's posting formats ask) finds a text's words in
one pass of the same pattern, keeps them for the few latest texts so that the text's other
field takes them as they are, and stems each distinct word once; every other use (queries,
highlighting, anything else) goes to Whoosh's own analyzer. The words, positions and boosts
are Whoosh's: a test compares the two token by token, and the indexes they write posting by
posting.
"""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.analysis import (
    Analyzer,
    CompositeAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)

#: texts whose words are kept: a document's title and body, with room to spare
KEPT_TEXTS = 4
#: distinct words whose stems are kept (then all forgotten at once)
KEPT_STEMS = 200_000


class Words:
    """The indexed words of texts as Whoosh finds them with `stemming` (a tokenizer, lower
    case, stop words and a stemmer) and with `plain` (the same but the stemmer)."""

    def __init__(self, stemming: CompositeAnalyzer, plain: CompositeAnalyzer) -> None:
        kinds = [RegexTokenizer, LowercaseFilter, StopFilter, StemFilter]
        tokenizer, _, stop, stem = stemming.items
        if (
            [type(item) for item in stemming.items] != kinds
            or [type(item) for item in plain.items] != kinds[:3]
            or _settings(plain) != _settings(stemming)
            or tokenizer.gaps
            or not stop.renumber
            or stem.lang
        ):
            raise ValueError(f"{plain!r} and {stemming!r} are not the chains Words knows")
        self.pattern = tokenizer.expression
        self.stops, self.minsize, self.maxsize = stop.stops, stop.min, stop.max
        self.ignore, self.stemfn = stem.ignore, stem.stemfn
        self._texts: dict[str, tuple[int, list[str]]] = {}
        self._stems: dict[str, str] = {}

    def plain(self, text: str) -> tuple[int, list[str]]:
        """(the position of the first word, the words). StopFilter numbers the words kept
        one after another from the first one's place among all the words."""
        found = self._texts.get(text)
        if found is None:
            words = [match.group(0).lower() for match in self.pattern.finditer(text)]
            kept = [word for word in words if self._kept(word)]
            found = (words.index(kept[0]) if kept else 0, kept)
            if len(self._texts) >= KEPT_TEXTS:
                self._texts = {}
            self._texts[text] = found
        return found

    def stemmed(self, text: str) -> tuple[int, list[str]]:
        first, words = self.plain(text)
        stems = self._stems
        if len(stems) >= KEPT_STEMS:  # a new dict, not clear(): another thread may be reading
            stems = self._stems = {}
        for word in set(words).difference(stems):
            stems[word] = word if word in self.ignore else self.stemfn(word)
        return first, [stems[word] for word in words]

    def _kept(self, word: str) -> bool:
        size = len(word)
        return (
            size >= self.minsize
            and (self.maxsize is None or size <= self.maxsize)
            and word not in self.stops
        )


def _settings(chain: CompositeAnalyzer) -> tuple:
    tokenizer, _, stop = chain.items[:3]
    return tokenizer.expression.pattern, tokenizer.gaps, stop.stops, stop.min, stop.max


class IndexWords(Analyzer):
    """Whoosh's analyzer `whoosh` (one of the two `words` was made from), with the words of
    indexed text taken from `words`. Pickled as a Whoosh analyzer equal to `whoosh`, so the
    schema an index folder records is Whoosh's as before."""

    def __init__(self, whoosh: CompositeAnalyzer, words: Words, *, stemmed: bool) -> None:
        self.whoosh = whoosh
        self.words = words
        self.stemmed = stemmed

    def __call__(self, value, positions=False, mode="", **kwargs) -> Iterator[Token]:  # noqa: ANN001
        if mode != "index" or not isinstance(value, str) or kwargs.keys() - {"boosts"}:
            return self.whoosh(value, positions=positions, mode=mode, **kwargs)
        first, words = (self.words.stemmed if self.stemmed else self.words.plain)(value)
        return _tokens(words, first, positions, mode, kwargs)

    def has_morph(self) -> bool:
        return self.whoosh.has_morph()

    def __reduce__(self):  # noqa: ANN204
        return CompositeAnalyzer, tuple(self.whoosh.items)


def _tokens(
    words: list[str], first: int, positions: bool, mode: str, kwargs: dict
) -> Iterator[Token]:
    token = Token(positions, False, mode=mode, **kwargs)  # one, re-used, as Whoosh does
    for pos, word in enumerate(words, first):
        token.text = word
        if positions:
            token.pos = pos
        yield token


def index_words(
    stemming: CompositeAnalyzer, plain: CompositeAnalyzer
) -> tuple[IndexWords, IndexWords]:
    """The analyzers to index with in place of `stemming` and `plain`."""
    words = Words(stemming, plain)
    return IndexWords(stemming, words, stemmed=True), IndexWords(plain, words, stemmed=False)
