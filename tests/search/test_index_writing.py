"""kb indexes with Whoosh's analyzers and writers, made faster (kb.search.analysis, writers):
the tokens, and every index written from them, are what plain Whoosh gives."""

from __future__ import annotations

import pickle
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index
from whoosh.analysis import CompositeAnalyzer, StandardAnalyzer, StemmingAnalyzer

from bench import corpus as bench_corpus
from kb.search import IndexDoc, writers
from kb.search.analysis import IndexWords, index_words
from kb.search.schema import build_schema, doc_fields
from tests.search.conftest import corpus_docs, make_doc

PROPERTY = settings(max_examples=400, deadline=None, derandomize=True, database=None)
# stop words, one-letter words, dotted words (3.14), words that change length when lowered,
# a ligature, digits, underscores and punctuation, so that examples meet every rule
PIECES = ["the ", "a ", "I ", "we ", "e.g.", "3.14", "a.b.c", "..", "İstanbul", "STRASSE"]
PIECES += ["ß", "ﬁle", "x_y", "Ünïcödé", "running ", "runs ", "ran", "\n", " ", "-", "'", "é"]
TEXTS = st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=30).map("".join)


def tokens(analyzer, text: str, **options) -> list[tuple]:  # noqa: ANN001
    chars = options.get("chars")
    return [
        (t.text, t.pos, t.boost, t.stopped, (t.startchar, t.endchar) if chars else None)
        for t in analyzer(text, positions=True, **options)
    ]


@given(TEXTS)
@PROPERTY
def test_indexed_words_are_whooshs(text):
    stemming, plain = index_words(StemmingAnalyzer(), StandardAnalyzer())
    for ours, whoosh in ((stemming, StemmingAnalyzer()), (plain, StandardAnalyzer())):
        # what the posting formats ask (positions or not), each twice: the second answer
        # comes from the words kept from the first
        for _ in range(2):
            expected = tokens(whoosh, text, mode="index", boosts=True)
            assert tokens(ours, text, mode="index", boosts=True) == expected
            expected = [t.text for t in whoosh(text, mode="index", boosts=True)]
            assert [t.text for t in ours(text, mode="index", boosts=True)] == expected


def test_other_uses_are_whooshs_own():
    stemming, plain = index_words(StemmingAnalyzer(), StandardAnalyzer())
    text = "The vendors' invoices were running late, e.g. 3.14 days"
    for options in (
        {"mode": "query"},
        {"mode": "index", "chars": True, "removestops": False},
        {"mode": "index", "start_pos": 5},
    ):
        assert tokens(stemming, text, **options) == tokens(StemmingAnalyzer(), text, **options)
        assert tokens(plain, text, **options) == tokens(StandardAnalyzer(), text, **options)
    assert stemming.has_morph() and not plain.has_morph()


def test_the_folder_records_whooshs_analyzers():
    recorded = pickle.loads(pickle.dumps(build_schema()))
    assert type(recorded["body"].analyzer) is CompositeAnalyzer
    assert recorded["body"].analyzer == StemmingAnalyzer()
    assert recorded["title"].analyzer is recorded["body"].analyzer
    assert recorded["spell_body"].analyzer == StandardAnalyzer()
    assert b"kb.search" not in pickle.dumps(build_schema())


def whoosh_schema():
    """The schema with Whoosh's own analyzers: what kb indexed with before."""
    schema = build_schema()
    for name in schema.names():
        if isinstance(schema[name].analyzer, IndexWords):
            schema[name].analyzer = schema[name].analyzer.whoosh
    return schema


def documents() -> list[IndexDoc]:
    docs = corpus_docs()
    for i in range(1, 161):  # generated lessons, their Markdown as the body
        text = bench_corpus.lesson(5, i)[1]
        title = text.split("title: ", 1)[1].split("\n", 1)[0].strip("'\"")
        docs.append(make_doc(id=f"LL-2020-{i:04d}", title=title, body=text, summary=title[:30]))
    odd = ["", "The", "a I", "İstanbul STRASSE ﬁle 3.14 e.g. the end", "the the the run"]
    docs += [make_doc(id=f"ODD-{i}", title=t, body=t * 3) for i, t in enumerate(odd)]
    return docs


def content(ix: index.Index) -> dict:
    """What a search can read of an index, by document id rather than number: stored fields,
    every field's terms with their statistics and postings (weights and the encoded values:
    frequencies, positions where stored), and field lengths."""
    reader = ix.reader()
    try:
        ids = {number: stored["id"] for number, stored in reader.iter_docs()}
        terms = {}
        for fieldname, text in reader.all_terms():
            info = reader.term_info(fieldname, text)
            matcher = reader.postings(fieldname, text)
            postings = []
            while matcher.is_active():
                postings.append(
                    (ids.get(matcher.id(), "deleted"), matcher.weight(), matcher.value())
                )
                matcher.next()
            stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length())
            terms[fieldname, text] = (stats, info.max_weight(), sorted(postings))
        scorable = list(reader.schema.scorable_names())
        return {
            "stored": {ids[n]: stored for n, stored in reader.iter_docs()},
            "terms": terms,
            "lengths": {(ids[n], f): reader.doc_field_length(n, f) for n in ids for f in scorable},
            "totals": {f: reader.field_length(f) for f in scorable},
        }
    finally:
        reader.close()


def write(folder: Path, schema, batches: list[list[IndexDoc]], procs: int = 1, kb: bool = True):  # noqa: ANN001
    """An index of the batches (one commit each, documents updated by id)."""
    folder.mkdir()
    ix = index.create_in(folder, schema)
    for batch in batches:
        writer = writers.open_writer(ix, procs=procs) if kb else ix.writer(procs=procs)
        for doc in batch:
            writer.update_document(**doc_fields(doc))
        writer.commit()
    return ix


def test_an_index_written_by_kb_holds_what_whoosh_writes(tmp_path):
    docs = documents()
    changed = [make_doc(id=d.id, title=d.title, body=d.body + " later") for d in docs[::7]]
    batches = [docs[:100], docs[100:], changed]  # merges, deletions, updates
    whoosh = content(write(tmp_path / "whoosh", whoosh_schema(), batches, kb=False))
    assert len(whoosh["stored"]) == len(docs)
    assert len(whoosh["terms"]) > 1000
    assert content(write(tmp_path / "kb", build_schema(), batches)) == whoosh


def test_an_index_written_by_processes_holds_what_whoosh_writes(tmp_path):
    docs = documents()
    whoosh = content(write(tmp_path / "whoosh", whoosh_schema(), [docs], kb=False))
    ours = content(write(tmp_path / "kb", build_schema(), [docs], procs=2))
    assert len(ix_segments(tmp_path / "kb")) == 2
    # Where no document of a segment has a length in a field, Whoosh answers 0 for
    # them, else None: a matter of which documents share a segment, here one per process.
    for found in (whoosh, ours):
        found["lengths"] = {key: length or 0 for key, length in found["lengths"].items()}
    assert ours == whoosh


def ix_segments(folder: Path) -> list:
    return index.open_dir(folder, schema=build_schema())._segments()
