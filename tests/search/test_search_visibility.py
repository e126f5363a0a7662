"""Restricted documents stay invisible to readers who may not read them, in every channel:
hits, totals, facets, pages, snippets, suggestions, field queries and related documents.

Two kinds of checks: expectations computed from the fixture itself (who may read what,
facet counts), and a reference per reader, an index holding only the documents that reader
may read, which must answer every query exactly as the shared index does for that reader.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from datetime import UTC, datetime

import pytest

from kb.search import IndexDoc, QueryError, Reader, SearchIndex
from kb.search.querylang import DEFAULT_FIELDS, SPELL_FIELDS, USER_FIELDS, make_parser, parse
from kb.search.schema import FILTER_FIELDS, SCHEMA_VERSION, build_schema

READERS: dict[str, Reader] = {
    "anonymous": Reader(),
    "sam": Reader(username="sam"),  # signed in, no group
    "fay": Reader(username="fay", groups=frozenset({"finance"})),
    "dana": Reader(username="dana"),  # owner of R-DANA-1, no group
    "lee": Reader(username="lee", groups=frozenset({"legal"})),
    "curator": Reader(all_access=True, username="cora"),
}

# Words that occur only in the restricted document named; none is in an internal one.
SECRET_WORDS = {
    "R-FIN-1": {"zephyrine", "halo", "divestment", "valuation", "mergers", "deal-room"},
    "R-FIN-2": {"forensic", "accountants", "shell"},
    "R-LEG-1": {"quixotic", "litigation", "counsel", "lawsuit", "mailboxes"},
    "R-DANA-1": {"marigold"},
    "R-BOARD-1": {"obsidian", "restructuring"},
}


def _doc(template: IndexDoc, **values: object) -> IndexDoc:
    when = datetime(2025, 4, 1, tzinfo=UTC)
    base = {
        "summary": "",
        "status": "published",
        "priority": "medium",
        "polarity": "problem",
        "project": None,
        "project_name": None,
        "phase": None,
        "date": when,
        "updated_at": when,
        "author": "Dana Reviewer",
    }
    base.update(values)
    return dataclasses.replace(template, **base)


def restricted_docs(template: IndexDoc) -> list[IndexDoc]:
    return [
        _doc(
            template,
            id="R-FIN-1",
            visibility="restricted",
            groups=["Finance"],
            owner="erin",
            title="Zephyrine acquisition forecast",
            body="The Zephyrine acquisition forecast assumes a vendor discount nobody signed.",
            project="HALO",
            project_name="Halo Divestment",
            phase="valuation",
            topics=["mergers"],
            tags=["zephyrine", "deal-room"],
        ),
        # Shares common words (vendor, invoice, P3, procurement) with internal lessons.
        _doc(
            template,
            id="R-FIN-2",
            visibility="restricted",
            groups=["finance", "Legal"],
            owner="erin",
            title="Vendor invoice fraud review",
            body="Forensic accountants traced a duplicated vendor invoice to a shell company.",
            project="P3",
            phase="build",
            topics=["procurement"],
            tags=["vendor", "invoice", "forensic"],
        ),
        _doc(
            template,
            id="R-LEG-1",
            type="process",
            visibility="restricted",
            groups=["legal"],
            owner="lee",
            title="Quixotic litigation hold",
            body="Counsel placed a litigation hold on the Quixotic supplier mailboxes.",
            project="LAW",
            project_name="Lawsuit Response",
            phase="closure",
            topics=["litigation"],
            tags=["quixotic", "litigation"],
            polarity=None,
        ),
        _doc(
            template,
            id="R-DANA-1",
            visibility="restricted",
            groups=[],
            owner="Dana",
            title="Marigold supplier performance notes",
            body="Personal notes on the Marigold supplier before the escrow renewal.",
            project="ATLAS",
            phase="procurement",
            topics=["procurement"],
            tags=["marigold", "escrow"],
        ),
        _doc(
            template,
            id="R-BOARD-1",
            type="process",
            visibility="restricted",
            groups=["board"],
            owner="zoe",
            title="Obsidian restructuring plan",
            body="The board approved the Obsidian restructuring of the vendor teams.",
            topics=["governance"],
            tags=["obsidian"],
            polarity=None,
        ),
        # Internal stays internal whatever groups or owner it carries.
        _doc(
            template,
            id="I-DANA-2",
            visibility="internal",
            groups=["finance"],
            owner="dana",
            title="Supplier review checklist",
            body="A checklist for the yearly supplier review, shared with every team.",
            topics=["procurement"],
            tags=["supplier", "checklist"],
        ),
    ]


def can_read(doc: IndexDoc, reader: Reader | None) -> bool:
    """The rule, written independently of kb.search.access."""
    if reader is None or reader.all_access or doc.visibility == "internal":
        return True
    if reader.username is None:
        return False
    shared = {g.lower() for g in doc.groups} & {g.lower() for g in reader.groups}
    return bool(shared) or (doc.owner or "").lower() == reader.username.lower()


def expected_facets(docs: list[IndexDoc]) -> dict[str, list[tuple[str, int]]]:
    counters = {
        "type": Counter(d.type for d in docs),
        "topic": Counter(t for d in docs for t in d.topics),
        "phase": Counter(d.phase for d in docs if d.phase),
        "project": Counter(d.project.lower() for d in docs if d.project),
        "tag": Counter(t for d in docs for t in d.tags),
    }
    return {
        name: sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
        for name, counter in counters.items()
    }


def hidden_words(docs: list[IndexDoc], reader: Reader | None) -> set[str]:
    return {w for d in docs if not can_read(d, reader) for w in SECRET_WORDS.get(d.id, ())}


def ids(results) -> set[str]:
    return {hit.id for hit in results.hits}


@pytest.fixture(scope="module")
def docs(corpus: list[IndexDoc]) -> list[IndexDoc]:
    return [*corpus, *restricted_docs(corpus[0])]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, docs):
    ix = SearchIndex(tmp_path_factory.mktemp("visibility") / "index")
    ix.rebuild(docs, last_seq=1)
    yield ix
    ix.close()


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory, docs):
    """Per reader, an index of exactly the documents that reader may read."""
    indexes = {}
    for name, reader in READERS.items():
        ix = SearchIndex(tmp_path_factory.mktemp(f"reference-{name}") / "index")
        ix.rebuild([d for d in docs if can_read(d, reader)], last_seq=1)
        indexes[name] = ix
    yield indexes
    for ix in indexes.values():
        ix.close()


def test_fixture_secret_words_are_really_secret(docs):
    # The snippet and suggestion checks rely on it.
    for doc in docs:
        text = " ".join(
            [
                doc.title,
                doc.body,
                *doc.tags,
                *doc.topics,
                doc.project_name or "",
                doc.project or "",
                doc.phase or "",
            ]
        ).lower()
        for owner_id, words in SECRET_WORDS.items():
            if doc.id != owner_id:
                assert not any(word in text for word in words), (doc.id, owner_id)


# -- hits, totals, facets, pages --------------------------------------------------------


@pytest.mark.parametrize("name", READERS)
def test_browsing_shows_and_counts_only_readable_documents(shared, docs, name):
    reader = READERS[name]
    readable = [d for d in docs if can_read(d, reader)]
    results = shared.query("", per_page=100, reader=reader)
    assert ids(results) == {d.id for d in readable}
    assert results.total == len(readable)
    assert results.facets == expected_facets(readable)


def test_who_reads_what(docs):
    # The rule as the fixture expresses it, so the parametrized tests mean something.
    restricted = {name: {d.id for d in docs if not can_read(d, r)} for name, r in READERS.items()}
    all_restricted = {"R-FIN-1", "R-FIN-2", "R-LEG-1", "R-DANA-1", "R-BOARD-1"}
    assert restricted["anonymous"] == all_restricted
    assert restricted["sam"] == all_restricted
    assert restricted["fay"] == {"R-LEG-1", "R-DANA-1", "R-BOARD-1"}
    assert restricted["dana"] == {"R-FIN-1", "R-FIN-2", "R-LEG-1", "R-BOARD-1"}
    assert restricted["lee"] == {"R-FIN-1", "R-DANA-1", "R-BOARD-1"}
    assert restricted["curator"] == set()


@pytest.mark.parametrize("name", READERS)
@pytest.mark.parametrize(
    "filters",
    [
        {"project": ["P3"]},
        {"tag": ["vendor"]},
        {"topic": ["procurement"]},
        {"tag": ["zephyrine"]},
        {"project": ["HALO", "LAW"]},
        {"type": ["process"]},
    ],
)
def test_facet_filters_are_anded_with_visibility(shared, docs, name, filters):
    reader = READERS[name]
    (key, values), *_ = filters.items()
    field = {"project": "project", "tag": "tags", "topic": "topics", "type": "type"}[key]

    def has(doc: IndexDoc) -> bool:
        value = getattr(doc, field)
        have = value if isinstance(value, list) else [value]
        return bool({str(v).lower() for v in have if v} & {v.lower() for v in values})

    expected = [d for d in docs if can_read(d, reader) and has(d)]
    results = shared.query("", filters=filters, per_page=100, reader=reader)
    assert ids(results) == {d.id for d in expected}
    assert results.total == len(expected)
    assert results.facets == expected_facets(expected)


@pytest.mark.parametrize("name", READERS)
def test_text_query_counts_only_readable_hits(shared, docs, name):
    reader = READERS[name]
    readable = {d.id for d in docs if can_read(d, reader)}
    by_id = {d.id: d for d in docs}
    for q in ["vendor", "invoice", "supplier", "escrow", "procurement"]:
        everything = ids(shared.query(q, per_page=100))
        expected = everything & readable
        results = shared.query(q, per_page=100, reader=reader)
        assert ids(results) == expected, q
        assert results.total == len(expected), q
        assert results.facets == expected_facets([by_id[i] for i in expected]), q
    # The shared words really do reach restricted documents for those allowed.
    assert "R-FIN-2" in ids(shared.query("vendor invoice", reader=READERS["fay"]))


@pytest.mark.parametrize("name", ["anonymous", "sam", "fay", "dana"])
def test_pages_are_cut_from_readable_documents_only(shared, docs, name):
    reader = READERS[name]
    readable = {d.id for d in docs if can_read(d, reader)}
    first = shared.query("", per_page=7, reader=reader)
    assert first.pages == math.ceil(len(readable) / 7)
    seen: set[str] = set()
    for page in range(1, first.pages + 1):
        results = shared.query("", per_page=7, page=page, reader=reader)
        assert results.total == len(readable)
        seen |= ids(results)
    assert seen == readable


# -- the reference: the same answers as an index without the hidden documents -----------

QUERIES = [
    "",
    "vendor",
    "invoice",
    "vendor invoice",
    "supplier",
    "escrow",
    "procurement",
    "zephyrine",
    "zephyrin",
    "marigold",
    "marigld",
    "litigation",
    "litigaton",
    "quixotic",
    "obsidian",
    "obsidan",
    "forensik accountants",
    "vendr OR zephyrin",
    "vendr zephyrin",
    "supplier OR marigold",
    "escrow NOT marigold",
    "zeph*",
    "mari*",
    "quix*",
    "title:zephyrine",
    "title:marigold",
    "tag:zephyrine",
    "tag:deal-room",
    "tag:forensic",
    "project:halo",
    "project:law",
    "topic:mergers",
    "topic:litigation",
    "phase:valuation",
    "type:process obsidian",
    "author:dana",
    "Halo",
    "Lawsuit",
    '"litigation hold"',
    "visibility:restricted",
    "visibility:internal",
    "groups:finance",
    "groups:legal",
    "owner:dana",
    "owner:erin",
    "restricted",
    "finance",
    "halo divestment",
]
FILTERS = [None, {"project": ["P3"]}, {"tag": ["vendor", "marigold"]}, {"project": ["halo"]}]


@pytest.mark.parametrize("name", READERS)
@pytest.mark.parametrize("filters", FILTERS, ids=["none", "p3", "tags", "halo"])
def test_same_answers_as_an_index_of_the_readable_documents(shared, references, name, filters):
    reader = READERS[name]
    reference = references[name]
    for q in QUERIES:
        got = shared.query(q, filters=filters, per_page=100, reader=reader)
        want = reference.query(q, filters=filters, per_page=100)
        assert ids(got) == ids(want), q
        assert got.total == want.total, q
        assert got.pages == want.pages, q
        assert got.facets == want.facets, q
        assert got.suggestion == want.suggestion, q
        assert {h.id: h.snippet for h in got.hits} == {h.id: h.snippet for h in want.hits}, q


@pytest.mark.parametrize("name", READERS)
def test_no_word_of_an_unreadable_document_in_any_answer(shared, docs, name):
    reader = READERS[name]
    secrets = hidden_words(docs, reader)
    readable = {d.id for d in docs if can_read(d, reader)}
    for q in QUERIES:
        results = shared.query(q, per_page=100, reader=reader)
        assert ids(results) <= readable, q
        # Hits (snippets, titles, tags...), facets, and the suggestion's own words (a
        # suggestion repeats the words typed, which are the person's, not the index's).
        typed = set(q.lower().replace(":", " ").split())
        offered = set((results.suggestion or "").lower().split()) - typed
        text = f"{results.hits!r} {results.facets!r} {offered!r}".lower()
        assert not any(word in text for word in secrets), (q, results.suggestion)


# -- suggestions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q, insiders, suggestion",
    [
        ("zephyrin", {"fay", "curator"}, "zephyrine"),  # only in R-FIN-1 (finance)
        ("marigld", {"dana", "curator"}, "marigold"),  # only in R-DANA-1 (owner dana)
        ("quixotc", {"lee", "curator"}, "quixotic"),  # only in R-LEG-1 (legal)
        ("obsidan", {"curator"}, "obsidian"),  # only in R-BOARD-1 (board, nobody here)
    ],
)
def test_misspelled_restricted_only_word_is_suggested_to_insiders_only(
    shared, q, insiders, suggestion
):
    for name, reader in READERS.items():
        results = shared.query(q, reader=reader)
        assert results.total == 0
        expected = suggestion if name in insiders else None
        assert results.suggestion == expected, name
    assert shared.query(q).suggestion == suggestion  # trusted callers: as before


def test_suggestion_with_or_never_carries_a_hidden_word(shared):
    # "vendor" alone finds visible hits, so the corrected query passes the "finds more"
    # check even for outsiders; the hidden word must not ride along.
    for name in ("anonymous", "sam", "dana", "lee"):
        assert shared.query("vendr OR zephyrin", reader=READERS[name]).suggestion == (
            "vendor OR zephyrin"
        ), name
    for name in ("fay", "curator"):
        assert shared.query("vendr OR zephyrin", reader=READERS[name]).suggestion == (
            "vendor OR zephyrine"
        ), name


def test_hidden_word_does_not_hide_a_visible_correction(search_index, doc_factory):
    # "zephyrine" (hidden, frequent) and "zephyrina" (visible) are both one edit from
    # "zephyrinx": an outsider gets the visible one, an insider the more frequent one.
    search_index.rebuild(
        [
            doc_factory(id="I-1", body="The zephyrina pilot went well."),
            *[
                doc_factory(
                    id=f"R-{n}", body="zephyrine plans", visibility="restricted", groups=["finance"]
                )
                for n in range(3)
            ],
        ],
        last_seq=1,
    )
    assert search_index.query("zephyrinx", reader=READERS["sam"]).suggestion == "zephyrina"
    assert search_index.query("zephyrinx", reader=READERS["fay"]).suggestion == "zephyrine"


def test_typing_a_hidden_word_exactly_behaves_as_an_unknown_word(shared):
    for name in ("anonymous", "sam", "dana"):
        results = shared.query("zephyrine", reader=READERS[name])
        assert results.total == 0 and results.hits == []
        assert results.suggestion is None
        assert all(counts == [] for counts in results.facets.values())


# -- field queries and injection ---------------------------------------------------------

RESTRICTED_ONLY_FIELD_QUERIES = [
    "tag:zephyrine",
    "tags:deal-room",
    "title:zephyrine",
    "title:quixotic",
    "title:obsidian",
    "title:marigold",
    "project:halo",
    "project:HALO",
    "project:law",
    "topic:mergers",
    "topics:litigation",
    "phase:valuation",
    "body:forensic",
    "tag:forensic",
]


@pytest.mark.parametrize("name", ["anonymous", "sam"])
@pytest.mark.parametrize("q", RESTRICTED_ONLY_FIELD_QUERIES)
def test_field_queries_on_restricted_only_values_find_nothing_for_outsiders(shared, name, q):
    results = shared.query(q, reader=READERS[name])
    assert results.total == 0 and results.hits == [] and results.pages == 0
    assert all(counts == [] for counts in results.facets.values())
    assert shared.query(q).total >= 1  # they do exist


def test_field_queries_find_restricted_documents_for_insiders(shared):
    assert ids(shared.query("tag:zephyrine", reader=READERS["fay"])) == {"R-FIN-1"}
    assert ids(shared.query("project:halo", reader=READERS["fay"])) == {"R-FIN-1"}
    assert ids(shared.query("title:marigold", reader=READERS["dana"])) == {"R-DANA-1"}
    assert ids(shared.query("project:law", reader=READERS["lee"])) == {"R-LEG-1"}
    assert ids(shared.query("title:obsidian", reader=READERS["curator"])) == {"R-BOARD-1"}
    assert ids(shared.query("title:marigold", reader=READERS["fay"])) == set()


INJECTIONS = [
    "visibility:restricted",
    "visibility:internal",
    "groups:finance",
    "groups:board",
    "owner:dana",
    "owner:erin",
    "owner:zoe",
    ") OR (",
    "vendor) OR (visibility:restricted",
    "(vendor) OR (groups:finance)",
    "vendor OR visibility:restricted",
    "NOT visibility:internal",
    "NOT vendor",
    "*",
    "visibility:*",
    "owner:da*",
    "groups:fin*",
    "id:R-FIN-1",
    "R-FIN-1",
    "vendor OR (NOT escrow)",
    '"visibility:restricted"',
    "tag:vendor OR groups:legal",
]


@pytest.mark.parametrize("name", ["anonymous", "sam", "fay", "dana"])
@pytest.mark.parametrize("q", INJECTIONS)
def test_injection_attempts_reveal_nothing(shared, docs, name, q):
    reader = READERS[name]
    readable = {d.id for d in docs if can_read(d, reader)}
    try:
        results = shared.query(q, per_page=100, reader=reader)
    except QueryError:
        return
    assert ids(results) <= readable
    assert results.total <= len(readable)
    text = f"{results.hits!r} {results.facets!r} {results.suggestion!r}".lower()
    assert not any(word in text for word in hidden_words(docs, reader))


ACCESS_FIELDS = {"visibility", "groups", "owner"}


@pytest.mark.parametrize("relaxed", [False, True])
@pytest.mark.parametrize(
    "q",
    [
        "owner:dana",
        "groups:finance",
        "visibility:restricted",
        "Owner:Dana vendor",
        "(owner:erin OR groups:legal)",
        "NOT visibility:internal",
        "owner:da*",
    ],
)
def test_access_field_names_are_plain_text(q, relaxed):
    assert not ACCESS_FIELDS & (set(USER_FIELDS) | set(SPELL_FIELDS))
    assert not ACCESS_FIELDS & (set(DEFAULT_FIELDS) | set(FILTER_FIELDS))
    parsed = parse(make_parser(build_schema(), relaxed=relaxed), q)
    fieldnames = {leaf.field() for leaf in parsed.leaves()}
    assert fieldnames and fieldnames <= set(DEFAULT_FIELDS), fieldnames


def test_typed_access_field_names_search_the_text(search_index, doc_factory):
    search_index.rebuild(
        [
            doc_factory(id="I-1", body="Visibility restricted to the owner Dana until sign-off."),
            doc_factory(id="R-1", body="Nothing in common.", visibility="restricted", owner="dana"),
        ],
        last_seq=1,
    )
    for q in ["owner:dana", "visibility:restricted"]:
        assert ids(search_index.query(q, reader=READERS["sam"])) == {"I-1"}, q
        assert ids(search_index.query(q)) == {"I-1"}, q


@pytest.mark.parametrize("key", ["visibility", "groups", "owner", "id"])
def test_access_fields_cannot_be_filtered_on(shared, key):
    with pytest.raises(QueryError, match="Unknown filter"):
        shared.query("", filters={key: ["restricted"]}, reader=READERS["sam"])


def test_filter_values_are_never_query_syntax(shared):
    results = shared.query("", filters={"project": ["P3) OR (project:HALO"]}, reader=READERS["sam"])
    assert results.total == 0


# -- related documents ------------------------------------------------------------------


@pytest.mark.parametrize("name", READERS)
def test_more_like_never_returns_unreadable_documents(shared, docs, name):
    reader = READERS[name]
    readable = {d.id for d in docs if can_read(d, reader)}
    for doc in docs:
        related = [hit.id for hit in shared.more_like(doc.id, limit=10, reader=reader)]
        if doc.id not in readable:
            assert related == [], doc.id
        else:
            assert set(related) <= readable - {doc.id}, doc.id


def test_more_like_of_restricted_document_for_insider(shared):
    related = [h.id for h in shared.more_like("R-FIN-2", limit=10, reader=READERS["fay"])]
    assert related and "LL-2024-0003" in related  # the internal vendor invoice lesson
    assert shared.more_like("R-FIN-2", limit=10, reader=READERS["sam"]) == []


def test_related_cache_does_not_leak_across_readers(search_index, docs):
    search_index.rebuild(docs, last_seq=1)
    lesson = "LL-2024-0003"  # vendor invoice: R-FIN-2 is its closest relative
    # The insider asks first and fills the cache.
    insider = [h.id for h in search_index.more_like(lesson, limit=10, reader=READERS["fay"])]
    assert "R-FIN-2" in insider
    for name in ("anonymous", "sam", "dana"):
        outsider = [h.id for h in search_index.more_like(lesson, limit=10, reader=READERS[name])]
        assert "R-FIN-2" not in outsider and outsider, name
    # The restricted document itself, asked for by an insider, then by outsiders.
    assert search_index.more_like("R-FIN-2", limit=10, reader=READERS["fay"])
    for name in ("anonymous", "sam", "dana"):
        assert search_index.more_like("R-FIN-2", limit=10, reader=READERS[name]) == []
    # Two readers without groups differ by ownership: dana's answer is not sam's.
    escrow = "LL-2025-0001"
    by_dana = [h.id for h in search_index.more_like(escrow, limit=10, reader=READERS["dana"])]
    by_sam = [h.id for h in search_index.more_like(escrow, limit=10, reader=READERS["sam"])]
    assert "R-DANA-1" in by_dana and "R-DANA-1" not in by_sam
    # Trusted callers, as before, see everything, and the insider's answer is unchanged.
    assert "R-FIN-2" in [h.id for h in search_index.more_like(lesson, limit=10)]
    again = [h.id for h in search_index.more_like(lesson, limit=10, reader=READERS["fay"])]
    assert again == insider


def test_related_cache_follows_a_document_becoming_restricted(search_index, docs):
    by_id = {d.id: d for d in docs}
    search_index.rebuild(docs, last_seq=1)
    lesson, relative = "LL-2025-0001", "LL-2021-0030"  # the two escrow lessons
    sam = READERS["sam"]
    assert relative in [h.id for h in search_index.more_like(lesson, reader=sam)]
    hidden = dataclasses.replace(by_id[relative], visibility="restricted", groups=["legal"])
    search_index.apply([hidden], [], last_seq=2)
    assert relative not in [h.id for h in search_index.more_like(lesson, reader=sam)]
    assert search_index.more_like(relative, reader=sam) == []
    assert relative in [h.id for h in search_index.more_like(lesson, reader=READERS["lee"])]
    assert (
        search_index.query("", reader=sam).total == len([d for d in docs if can_read(d, sam)]) - 1
    )


# -- callers without a reader, and how readers and documents are normalised --------------


def test_callers_without_a_reader_see_everything(shared, docs):
    results = shared.query("", per_page=100)
    assert results.total == len(docs) and ids(results) == {d.id for d in docs}
    assert results.facets == expected_facets(docs)
    assert ids(shared.query("tag:zephyrine")) == {"R-FIN-1"}
    assert shared.query("zephyrin").suggestion == "zephyrine"
    assert "R-FIN-2" in [h.id for h in shared.more_like("LL-2024-0003", limit=10)]
    assert shared.more_like("R-BOARD-1")


def test_existing_index_doc_callers_default_to_internal(search_index, corpus):
    assert corpus[0].visibility == "internal" and corpus[0].groups == []
    assert corpus[0].owner is None
    search_index.rebuild(corpus, last_seq=1)
    assert search_index.query("", reader=Reader()).total == len(corpus)
    assert SCHEMA_VERSION >= 2


def test_names_compare_case_insensitively(shared):
    shouting = Reader(username="DANA", groups=frozenset({"FINANCE"}))
    found = ids(shared.query("", per_page=100, reader=shouting))
    assert {"R-FIN-1", "R-FIN-2", "R-DANA-1"} <= found
    assert "R-LEG-1" not in found and "R-BOARD-1" not in found
    spaced = Reader(username="  fay ", groups=frozenset({" Finance "}))
    assert "R-FIN-1" in ids(shared.query("", per_page=100, reader=spaced))


def test_a_bare_string_of_groups_is_one_group(shared):
    # Not the set of its letters: a group called "l" or "e" must not come of "legal".
    reader = Reader(username="lee2", groups="legal")  # type: ignore[arg-type]
    found = ids(shared.query("", per_page=100, reader=reader))
    assert "R-LEG-1" in found and "R-FIN-1" not in found


def test_anonymous_reader_with_groups_still_sees_internal_only(shared, docs):
    reader = Reader(username=None, groups=frozenset({"finance", "legal", "board"}))
    found = ids(shared.query("", per_page=100, reader=reader))
    assert found == {d.id for d in docs if d.visibility == "internal"}
    assert ids(shared.query("", per_page=100, reader=Reader(username="  "))) == found


def test_unknown_visibility_fails_closed(search_index, doc_factory):
    search_index.rebuild(
        [
            doc_factory(id="A", visibility="Internal"),
            doc_factory(id="B", visibility="secret", groups=["finance"]),
            doc_factory(id="C", visibility="RESTRICTED", groups=["Finance"]),
            doc_factory(id="D", visibility="restricted", groups=["fin,ance"], owner="Dana"),
        ],
        last_seq=1,
    )
    assert ids(search_index.query("", reader=READERS["sam"])) == {"A"}
    # "secret" is restricted with its groups; a comma makes a group match nobody.
    assert ids(search_index.query("", reader=READERS["fay"])) == {"A", "B", "C"}
    comma = Reader(username="x", groups=frozenset({"fin,ance"}))
    assert ids(search_index.query("", reader=comma)) == {"A"}
    assert ids(search_index.query("", reader=READERS["dana"])) == {"A", "D"}
    assert search_index.query("", reader=READERS["curator"]).total == 4
