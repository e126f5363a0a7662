"""Snippets keep the blocks of a document apart: a heading never runs into its paragraph."""

from __future__ import annotations

import random

from kb.search import SearchIndex
from tests.search.conftest import make_doc

BODY = (
    "What happened\n"
    "The migration rehearsal found duplicate customers, so the team planned data cleansing.\n"
    "Lesson\n"
    "The first rehearsal of a data migration must run on a full copy of production data.\n"
)


def test_a_highlighted_snippet_stays_within_one_block(search_index: SearchIndex):
    search_index.rebuild([make_doc(body=BODY)], last_seq=1)
    for q in ("cleansing rehearsal", "lesson first", "rehearsal"):
        (hit,) = search_index.query(q).hits
        assert "cleansing. Lesson" not in hit.snippet, (q, hit.snippet)
        assert "happened The" not in hit.snippet, (q, hit.snippet)
        assert "<mark>" in hit.snippet, (q, hit.snippet)
    # A paragraph matching the word is shown rather than a heading holding it.
    (hit,) = search_index.query("happened").hits
    assert hit.snippet == "What <mark>happened</mark>"  # only the heading has it
    body = "Migration\nThe migration rehearsal found duplicate customers in the old system.\n"
    search_index.rebuild([make_doc(body=body)], last_seq=1)
    (hit,) = search_index.query("migration").hits
    assert hit.snippet.startswith("The <mark>migration</mark> rehearsal"), hit.snippet
    # where the snippet cuts a block short, it says so
    body = "Background\n" + "Words before the match go on for a while here. " * 3 + "Sandbox "
    body += "and more words after the match that go on for a good while longer.\n"
    search_index.rebuild([make_doc(body=body)], last_seq=1)
    (hit,) = search_index.query("sandbox").hits
    assert hit.snippet.startswith("… ") and hit.snippet.endswith(" …"), hit.snippet


def test_a_browse_snippet_starts_at_the_first_paragraph(search_index: SearchIndex):
    search_index.rebuild([make_doc(body=BODY)], last_seq=1)
    (hit,) = search_index.query("").hits
    assert hit.snippet.startswith("The migration rehearsal found duplicate customers"), hit.snippet
    assert "cleansing. · Lesson · The first" in hit.snippet


def test_snippet_fragments_are_those_of_whoosh_highlighter(corpus):
    """present's one loop (tokens and ContextFragmenter fused) gives the fragments Whoosh's
    fragmenter makes of its highlighting token stream: the same spans, matches and terms."""
    from whoosh.highlight import ContextFragmenter, Highlighter, set_matched_filter

    from kb.search.schema import build_schema
    from kb.search.snippets import _BODY_WORDS, Marks

    analyzer = build_schema()["body"].analyzer
    tricky = (
        "The Suppliers' invoices (e.g. INV-2024.07) were late; a supplier's U.S. office\n"
        "re-invoiced it: planning, planned, plans and a PLAN — résumé naïve Ünïcode x y of\n"
        "Invoice invoicing invoiced 3.5 days, 42 of them; it is as it was, to be or not to be."
    )
    # long texts, the words to mark far apart or close, a few words longer than the context
    vocabulary = ["plan", "supplier", "a", "of", "x", "late", "migration", "the", "data", "be"]
    vocabulary += ["reconciliation" * 4, "I", "it's", "3.5", "U.S.", "vendor", "risk", "test"]
    generated = [
        " ".join(random.Random(seed).choices(vocabulary, weights, k=400))
        for seed, weights in enumerate(([1] * 18, [1, 1] + [30] * 16, [30] * 17 + [1]))
    ]
    # marked words far apart in long texts (the loop skips what lies between), once with
    # nothing but punctuation before one (it must go back and read what it skipped)
    far = [
        "Planning went well. " * 30 + "The supplier was late.\n" + "Quiet words here. " * 40,
        "Plans were made " * 20 + "-" * 90 + " supplier, late " + "=" * 200 + " x late",
        "Risk: " + "n/a; " * 60 + "*" * 50 + "\nthe vendor test " + "be it " * 30 + "plan",
    ]
    # lower() not letter by letter: every word is read
    unaligned = ["İstanbul supplier plans: ΣΟΦΙΑΣ late " * 5 + "data " * 40 + "migration"]
    texts = [tricky, BODY, *far, *unaligned, *generated, *(doc.body for doc in corpus)]
    word_sets = [
        {"invoic", "plan"},
        {"supplier"},
        {"late", "x"},
        {"it", "be"},
        {"migrat", "data", "the"},
        {"risk", "vendor", "test"},
        set(),
    ]
    shapes = [
        ContextFragmenter(maxchars=200, surround=40),
        ContextFragmenter(maxchars=30, surround=10),
        ContextFragmenter(maxchars=12, surround=40),
        ContextFragmenter(maxchars=200, surround=40, charlimit=120),
    ]

    def shown(fragments) -> list:  # noqa: ANN001
        return [
            (f.startchar, f.endchar, [(m.text, m.startchar, m.endchar) for m in f.matches])
            for f in fragments
        ]

    compared = 0
    for text in texts:
        for words in map(frozenset, word_sets):
            for fragmenter in shapes:
                whoosh = Highlighter._merge_matched_tokens(
                    set_matched_filter(
                        analyzer(text, positions=True, chars=True, mode="index", removestops=False),
                        words,
                    )
                )
                expected = shown(fragmenter.fragment_tokens(text, whoosh))
                got = shown(_BODY_WORDS.context_fragments(text, fragmenter, Marks(words)))
                assert got == expected, (text[:40], words, fragmenter.maxchars)
                compared += len(expected)
    assert compared > 100


def test_a_porter_stem_keeps_its_word_start_but_for_its_last_letters():
    """snippets finds the places of a term's words by the term's start (all but its last
    STEM_TAIL letters): Porter's stemmer must keep that much of every word's start."""
    import itertools
    import os

    from whoosh.lang.porter import stem

    from kb.search.snippets import STEM_TAIL

    endings = ["", "s", "sses", "ies", "eed", "ed", "ing", "ated", "ating", "bling", "izing"]
    endings += ["y", "ly", "ational", "tional", "ency", "ancy", "izer", "bly", "ally", "ently"]
    endings += ["ization", "ation", "ator", "alism", "iveness", "fulness", "ousness", "ality"]
    endings += ["ivity", "bility", "logy", "icate", "ative", "alize", "icity", "ical", "ful"]
    endings += ["ness", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ion"]
    endings += ["ism", "ate", "iti", "ous", "ive", "ize", "e", "ll", "ied", "ying", "ee"]
    rng = random.Random(7)
    letters = "bcdfghlmnprstvwyz"
    starts = {
        "".join(rng.choice(letters) + rng.choice("aeiouy") for _ in range(n))
        for n in (1, 2, 3)
        for _ in range(60)
    }
    tails = {}
    for start, one, two in itertools.product(starts, endings, ["", "s", "ed", "ing", "ly", "ity"]):
        word = start + one + two
        term = stem(word)
        tails[len(term) - len(os.path.commonprefix([term, word]))] = word
    assert max(tails) == STEM_TAIL, tails
