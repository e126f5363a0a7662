"""How the index follower's commits merge segments (kb.search.index: SearchIndex.apply, tidy).

Whoosh's usual policy (MERGE_SMALL) merges the small segments every fourth or fifth commit,
reading every posting of each, and the segment it merges them into grows with every merge:
on 10,000 lessons a merge cost 50-140 ms of CPU (more with each merge), several times a
commit without one (7-15 ms). A commit made on that path kept the document it made visible
waiting for the merge: the "lesson -> searchable" p95 of bench/events.py was a merge.

So the commit that makes a change visible merges nothing (`visible`), and the merging is done
by commits of their own when the follower has nothing else to do (`small`, SearchIndex.tidy).
While commits keep coming, segments pile up, and a search reads every one (a query on an index
of 16 small segments costs 8 ms of CPU, 2.6 on one; at 10,000 lessons +5 % with 10 more
segments, +23 % with 20): past MOST_SEGMENTS a commit merges its smallest ones, down to half
as many. Bench-like path, CPU of the commit plus the first search that finds the change (a
new lesson, then it renamed; 100 commits, no pause; lesson median / p95): empty index 12.8 /
54.9 ms -> 13.7 / 35.8 ms; 10,000 lessons 36.0 / 199 -> 34.4 / 153 ms. With 16 segments the
p95 was the same but every search cost more (medians 13 -> 19 ms on the empty index).

A document saved again (a lesson edited, a project renamed) leaves its old segment with no
document left: such segments are left out before any policy runs, which costs nothing.
"""

from __future__ import annotations

from whoosh import index, writing
from whoosh.reading import SegmentReader
from whoosh.util import fib

from kb.search import writers

#: live segments a commit leaves before it merges (searches slow down with each)
MOST_SEGMENTS = 8
#: seconds without a commit after which the follower merges (SearchIndex.tidy)
TIDY_AFTER = 0.25


def live(segments: list) -> list:
    """The segments with a document left."""
    return [seg for seg in segments if seg.doc_count() > 0]


def visible(writer: writing.SegmentWriter, segments: list) -> list:
    """A Whoosh merge policy for a commit a reader waits for: no merge, unless it would leave
    more than MOST_SEGMENTS segments; then the smallest are merged, leaving half as many."""
    kept = live(segments)
    if len(kept) < MOST_SEGMENTS:  # the writer's own segment makes one more
        return kept
    kept.sort(key=lambda seg: seg.doc_count_all())
    cut = len(kept) - MOST_SEGMENTS // 2 + 1
    for seg in kept[:cut]:
        merge_into(writer, seg)
    return kept[cut:]


def small(writer: writing.SegmentWriter, segments: list) -> list:
    """A Whoosh merge policy: segments with a document left, then MERGE_SMALL on them."""
    kept = live(segments)
    chosen = smallest(kept)
    for seg in chosen:
        merge_into(writer, seg)
    return [seg for seg in kept if seg not in chosen]


def smallest(segments: list) -> list:
    """The segments Whoosh's MERGE_SMALL would merge, [] for none: the smallest, up to the
    first of the fifth or later whose documents and those of the smaller ones number fewer
    than a Fibonacci number that grows with their count."""
    ordered = sorted(segments, key=lambda seg: seg.doc_count_all())
    total = 0
    for i, seg in enumerate(ordered):
        total += seg.doc_count_all()
        if i > 3 and total < fib(i + 5):
            return ordered[: i + 1]
    return []


def merge_into(writer: writing.SegmentWriter, segment) -> None:  # noqa: ANN001
    reader = SegmentReader(writer.storage, writer.schema, segment)
    try:
        writer.add_reader(reader)
    finally:
        reader.close()


def merge_small(ix: index.Index) -> None:
    """Commit `small` merges until it finds none (the caller holds the writer lock). Each
    merges five or more segments into one: the rounds end."""
    while smallest(live(ix._segments())):
        writer = writers.open_writer(ix, timeout=30.0)
        try:
            writer.commit(mergetype=small)
        except BaseException:
            writer.cancel()
            raise
