"""kb indexes with Whoosh's fields and writers, made faster (kb.search.analysis, writers): the
terms, and every index written with them, are what plain Whoosh gives."""

from __future__ import annotations

import pickle
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import fields, index
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer

from bench import corpus as bench_corpus
from kb.search import IndexDoc, writers
from kb.search.analysis import IndexedText, Words
from kb.search.schema import build_schema, doc_fields
from tests.search.conftest import corpus_docs, make_doc

PROPERTY = settings(max_examples=400, deadline=None, derandomize=True, database=None)
# stop words, one-letter words, dotted words (3.14), words that change length when lowered,
# a ligature, digits, underscores and punctuation, so that examples meet every rule
PIECES = ["the ", "a ", "I ", "we ", "e.g.", "3.14", "a.b.c", "..", "İstanbul", "STRASSE"]
PIECES += ["ß", "ﬁle", "x_y", "Ünïcödé", "running ", "runs ", "ran", "\n", " ", "-", "'", "é"]
TEXTS = st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=30).map("".join)


def whoosh_schema() -> fields.Schema:
    """kb's schema as it was written before IndexedText: Whoosh's TEXT fields."""
    schema = build_schema()
    stem, plain = StemmingAnalyzer(), StandardAnalyzer()
    for name, field in [
        ("title", fields.TEXT(stored=True, analyzer=stem, field_boost=3.0)),
        ("summary", fields.TEXT(stored=True, analyzer=stem, field_boost=1.5)),
        ("body", fields.TEXT(stored=True, analyzer=stem)),
        ("spell_title", fields.TEXT(analyzer=plain, phrase=False)),
        ("spell_body", fields.TEXT(analyzer=plain, phrase=False)),
    ]:
        assert isinstance(schema[name], IndexedText)
        schema.remove(name)
        schema.add(name, field)
    return schema


TEXT_FIELDS = ["title", "summary", "body", "spell_title", "spell_body"]


@given(TEXTS)
@PROPERTY
def test_indexed_text_gives_whooshs_terms(text):
    ours, whoosh = build_schema(), whoosh_schema()
    # twice: the second time a field takes the words kept from the first
    for _ in range(2):
        for name in TEXT_FIELDS:
            assert sorted(ours[name].index(text)) == sorted(whoosh[name].index(text))


def test_words_are_the_analyzers_tokens():
    words = Words(StemmingAnalyzer(), StandardAnalyzer())
    text = "The vendors' invoices were running late: e.g. 3.14 days, a I İstanbul"
    for found, analyzer in ((words.stemmed, StemmingAnalyzer()), (words.plain, StandardAnalyzer())):
        first, kept = found(text)
        tokens = analyzer(text, positions=True, mode="index")  # one Token, re-used
        assert [(t.text, t.pos, t.boost) for t in tokens] == [
            (word, pos, 1.0) for pos, word in enumerate(kept, first)
        ]
    assert first == 1  # "The" is a stop word


def test_other_values_are_indexed_by_whoosh():
    ours, whoosh = build_schema(), whoosh_schema()
    for name in TEXT_FIELDS:
        assert list(ours[name].index(["Runs", "ran"])) == list(whoosh[name].index(["Runs", "ran"]))


def test_the_folder_records_whooshs_schema():
    recorded, whoosh = pickle.loads(pickle.dumps(build_schema())), whoosh_schema()
    assert recorded.names() == whoosh.names()
    for name in TEXT_FIELDS:
        assert type(recorded[name]) is fields.TEXT
        assert recorded[name].__dict__ == whoosh[name].__dict__
    assert recorded["body"].analyzer == StemmingAnalyzer()
    assert recorded["spell_body"].analyzer == StandardAnalyzer()
    assert b"kb.search" not in pickle.dumps(build_schema())


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


def test_an_index_written_through_spilled_runs_holds_what_whoosh_writes(tmp_path):
    docs = documents()
    whoosh = content(write(tmp_path / "whoosh", whoosh_schema(), [docs], kb=False))
    (tmp_path / "kb").mkdir()
    ix = index.create_in(tmp_path / "kb", build_schema())
    writer = writers.open_writer(ix, limitmb=1)  # a run spilled every megabyte
    for doc in docs:
        writer.add_document(**doc_fields(doc))
    assert len(writer.pool.runs) > 3
    writer.commit()
    assert content(ix) == whoosh
