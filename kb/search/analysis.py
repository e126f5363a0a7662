"""The words of a title or body, found once for its stemmed and its unstemmed field.

Title and body are indexed stemmed (Whoosh's StemmingAnalyzer) and again unstemmed, for
spelling suggestions (spell_title, spell_body: StandardAnalyzer): the same words before the
stemmer. Whoosh found them twice per text, each time through a chain of generators per word
(tokenizer, lower case, stop words, stemmer, then the posting format's), and that was a
third of `kb import`'s indexing work. Here a writer's indexing of such a field (IndexedText)
finds a text's words in one pass of the same pattern, keeps them for the few latest texts
so that the text's other field takes them as they are, stems each distinct word once and
counts them in one loop. Everything else (queries, highlighting) uses Whoosh's analyzers as
before. The terms, frequencies, positions and weights are Whoosh's: a test compares the
words with the analyzers' tokens, and the indexes written with both ways posting by posting.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from whoosh import fields
from whoosh.analysis import (
    CompositeAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint

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


class IndexedText(fields.TEXT):
    """Whoosh's TEXT field whose index() (what a writer asks of each added value) takes the
    words from `words`: stemmed, or not, as its analyzer (one of the two `words` was made
    from) would find them. Pickled as Whoosh's TEXT, so the schema an index folder records
    is Whoosh's as before."""

    def __init__(self, words: Words, *, stemmed: bool, **options) -> None:
        super().__init__(**options)
        self.words, self.stemmed = words, stemmed

    def index(self, value, **kwargs) -> Iterable[tuple[bytes, int, float, bytes]]:  # noqa: ANN001
        """(term, frequency, weight, encoded value) for each distinct word, as Whoosh's
        posting formats make them (Positions: the positions; Frequency: the frequency)."""
        fmt = self.format
        if kwargs or not isinstance(value, str) or type(fmt) not in (Positions, Frequency):
            return super().index(value, **kwargs)
        first, words = (self.words.stemmed if self.stemmed else self.words.plain)(value)
        boost = fmt.field_boost
        if type(fmt) is Frequency:
            counts = Counter(words)
            return [(w.encode(), n, n * boost, pack_uint(n)) for w, n in counts.items()]
        places = defaultdict(list)
        for pos, word in enumerate(words, first):
            places[word].append(pos)
        encode = fmt.encode
        return [(w.encode(), len(p), len(p) * boost, encode(p)) for w, p in places.items()]

    def __reduce__(self):  # noqa: ANN204
        state = {k: v for k, v in self.__dict__.items() if k not in ("words", "stemmed")}
        return object.__new__, (fields.TEXT,), state
