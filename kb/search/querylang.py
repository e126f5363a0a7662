"""The query language people type: validated first, then parsed by a restricted parser.

Whoosh's default parser accepts wildcards, ranges, arbitrary fields and unbounded nesting;
on 10k documents `*a*` took 19 s and 1,000 parentheses raised RecursionError. Here every
input is checked against small limits before parsing, and the parser only knows words,
phrases, AND/OR/NOT, parentheses, a trailing `*` and a fixed list of user field names.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

from whoosh import query
from whoosh.fields import Schema
from whoosh.qparser import QueryParser, plugins, syntax
from whoosh.qparser.taggers import RegexTagger

from kb.search.phrases import AdjacentPhrase
from kb.search.records import QueryError
from kb.search.schema import FILTER_FIELDS, build_spelling_schema
from kb.search.unions import FieldsOr

log = logging.getLogger(__name__)

MAX_LENGTH = 500
MAX_WORDS = 40
MAX_DEPTH = 5
MIN_PREFIX = 3

# Fields searched by a word without `field:`; title and summary carry field boosts.
DEFAULT_FIELDS = ("title", "summary", "body", "tags", "topics", "project_name")

# What people may write before a colon, and the schema field it means.
USER_FIELDS: dict[str, str] = {
    "title": "title",
    "tag": "tags",
    "tags": "tags",
    "topic": "topics",
    "topics": "topics",
    "project": "project",
    "phase": "phase",
    "type": "type",
    "status": "status",
    "author": "author",
    "body": "body",
}
# The spelling parser reads title and body words in their unstemmed spelling fields.
SPELL_FIELDS: dict[str, str] = {**USER_FIELDS, "title": "spell_title", "body": "spell_body"}

_OPERATORS = re.compile(r"(?<!\S)(AND|OR|NOT|ANDNOT|ANDMAYBE)(?!\S)")
_PHRASE = re.compile(r'"[^"]*"')
_RANGE = re.compile(r"[\[{][^\[\]{}]*\bTO\b")
_FIELD_PREFIX = re.compile(r"^[\w-]+:")

WILDCARD_MESSAGE = (
    f"Wildcards can only end a word, after at least {MIN_PREFIX} letters, e.g. plan*."
)


def count_words(text: str) -> int:
    """Words as the limit counts them: every word, field term and OR, inside phrases too."""
    return len(re.findall(r'[^\s()"]+', text))


def validate(text: str) -> None:
    """Raise QueryError, with a sentence a person understands, before anything is parsed."""
    if len(text) > MAX_LENGTH:
        raise QueryError(
            f"Your search is {len(text):,} characters long; the limit is {MAX_LENGTH}. "
            "Use fewer words."
        )
    if text.count('"') % 2:
        raise QueryError('A double quote (") is not closed: a phrase needs a quote at each end.')
    outside = _PHRASE.sub(" ", text)
    depth = deepest = 0
    for char in outside:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
            if depth < 0:
                break
    if depth != 0:
        raise QueryError("The parentheses do not match: every ( needs a ) after it.")
    if deepest > MAX_DEPTH:
        raise QueryError(
            f"The parentheses are nested {deepest} deep; at most {MAX_DEPTH} levels are allowed."
        )
    if _RANGE.search(outside):
        raise QueryError("Ranges such as [a TO z] are not supported; search for words instead.")
    words = count_words(text)
    if words > MAX_WORDS:
        raise QueryError(f"Your search has {words} words; use at most {MAX_WORDS}.")
    for word in re.findall(r"[^\s()]+", outside):
        _check_wildcards(_FIELD_PREFIX.sub("", word))


def _check_wildcards(word: str) -> None:
    if word.startswith(("*", "?")):
        raise QueryError(WILDCARD_MESSAGE)
    if "*" not in word:
        return
    stem = word[:-1]
    if not word.endswith("*") or "*" in stem or len(re.findall(r"\w", stem)) < MIN_PREFIX:
        raise QueryError(WILDCARD_MESSAGE)


def can_relax(text: str, parsed: query.Query) -> bool:
    """May a search without hits be retried with OR between the words?
    Only a plain list of words: explicit AND/OR/NOT mean what they say."""
    return (
        isinstance(parsed, query.And)
        and len(parsed.subqueries) > 1
        and not _OPERATORS.search(_PHRASE.sub(" ", text))
    )


class _FieldnameTagger(RegexTagger):
    def __init__(self, expr: str, mapping: Mapping[str, str]) -> None:
        super().__init__(expr)
        self.mapping = dict(mapping)

    def create(self, parser: QueryParser, match: re.Match) -> syntax.FieldnameNode:
        return syntax.FieldnameNode(self.mapping[match.group("text")], match.group(0))


class _UserFieldsPlugin(plugins.FieldsPlugin):
    """Only the documented field names (and their aliases) are fields; any other
    `foo:bar` stays plain text, so people cannot reach date or internal fields."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        names = "|".join(sorted(mapping, key=len, reverse=True))
        # The look-behind stops "subtitle:" from being read as "sub" + "title:".
        super().__init__(expr=rf"(?<![\w:.-])(?P<text>{names}):(?=\S)", remove_unknown=True)
        self._tagger = _FieldnameTagger(self.expr, mapping)

    def taggers(self, parser: QueryParser) -> list:
        return [(self._tagger, 0)]


class _TrailingPrefixPlugin(plugins.PrefixPlugin):
    # Validation already required MIN_PREFIX letters; the regex repeats it so the parser
    # alone can never build a short, expensive prefix.
    expr = rf"(?P<text>[^\s*()\"]{{{MIN_PREFIX},}})[*](?=\s|$|\))"


class _MultifieldPlugin(plugins.MultifieldPlugin):
    """Spreads an unfielded word over DEFAULT_FIELDS, but first drops words the text
    fields ignore (stop words, lone punctuation): the keyword fields would otherwise keep
    "of" as a required tag and "single point of failure" would find nothing."""

    def do_multifield(self, parser: QueryParser, group: syntax.GroupNode) -> syntax.GroupNode:
        body = parser.schema["body"]
        kept = group.empty_copy()
        for node in group:
            if (
                isinstance(node, (syntax.WordNode, plugins.PhrasePlugin.PhraseNode))
                and node.fieldname is None
                and not list(body.process_text(node.text, mode="query"))
            ):
                continue
            kept.append(node)
        return super().do_multifield(parser, kept)


def _plugins(mapping: Mapping[str, str]) -> list:
    # Order matters among taggers of equal priority: fields, phrases and parentheses
    # are recognised before a word can swallow them.
    return [
        _UserFieldsPlugin(mapping),
        plugins.PhrasePlugin(),
        plugins.GroupPlugin(),
        plugins.OperatorsPlugin(),
        _TrailingPrefixPlugin(),
    ]


def make_parser(schema: Schema, *, relaxed: bool = False) -> QueryParser:
    """AND between words by default; `relaxed` ORs them, scaled so documents matching
    more of the words still rank first (used when the AND search finds nothing)."""
    group = syntax.OrGroup.factory(0.9) if relaxed else syntax.AndGroup
    parser = QueryParser(None, schema, plugins=_plugins(USER_FIELDS), group=group)
    parser.add_plugin(_MultifieldPlugin(list(DEFAULT_FIELDS)))
    return parser


def make_spelling_parser() -> QueryParser:
    return QueryParser("spell_body", build_spelling_schema(), plugins=_plugins(SPELL_FIELDS))


def parse(parser: QueryParser, text: str) -> query.Query:
    try:
        return runnable(parser.schema, parser.parse(text))
    except Exception as exc:  # validation should make this unreachable; never leak a 500
        log.warning("query parser failed on %r: %r", text[:100], exc)
        raise QueryError("This search could not be understood; try plain words.") from exc


def runnable(schema: Schema, parsed: query.Query) -> query.Query:
    """`parsed` with only what the engine can run. Whoosh builds a Phrase for any quoted text
    that splits into several words, but only text fields keep word positions: on a keyword
    field (`"plan, risk"` spread over tags, `project:"a b"`) the Phrase raised at search time
    (a 500). There every word must be present instead; on a text field it becomes an
    AdjacentPhrase (the same matches, found faster). An Or (a word spread over the default
    fields) becomes a FieldsOr: the same matches and scores, added up faster."""

    def fix(node: query.Query) -> query.Query:
        if type(node) is query.Or:
            return FieldsOr(
                node.subqueries, boost=node.boost, minmatch=node.minmatch, scale=node.scale
            )
        if isinstance(node, query.Phrase) and not isinstance(node, AdjacentPhrase):
            field = schema[node.fieldname] if node.fieldname in schema else None  # noqa: SIM401 (no Schema.get)
            if field is None or not field.supports("positions"):
                terms = [query.Term(node.fieldname, word) for word in node.words]
                return query.And(terms, boost=node.boost)
            # the same phrase, its words' adjacency tested faster (kb.search.phrases)
            return AdjacentPhrase(
                node.fieldname, node.words, node.slop, node.boost, node.char_ranges
            )
        return node

    return parsed.accept(fix)


def normalize_value(value: str) -> str:
    return " ".join(value.replace(",", " ").split()).lower()


def build_filter(filters: Mapping[str, Sequence[str]] | None) -> query.Query | None:
    """Term queries only, never text: OR within a key, AND across keys."""
    if not filters:
        return None
    clauses: list[query.Query] = []
    for key, values in filters.items():
        if key not in FILTER_FIELDS:
            known = ", ".join(sorted(FILTER_FIELDS))
            raise QueryError(f"Unknown filter {key!r}; filters are: {known}.")
        if isinstance(values, str):
            values = [values]  # a bare string would otherwise filter on its letters
        fieldname = FILTER_FIELDS[key]
        cleaned = {normalize_value(str(v)) for v in values if v is not None}
        terms = [query.Term(fieldname, v) for v in sorted(cleaned) if v]
        if terms:
            clauses.append(terms[0] if len(terms) == 1 else query.Or(terms))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else query.And(clauses)
