"""Finished answers are kept for identical requests (kb.search.answers), and that shortcut
never serves one reader what another may see, nor an answer the index has since changed."""

from __future__ import annotations

import copy
import dataclasses

from kb.core.lru import LruCache
from tests.search.visibility.readers import READERS, can_read


def _ids(results) -> list[str]:
    return [hit.id for hit in results.hits]


def test_answer_cache_does_not_leak_across_readers(search_index, docs):
    search_index.rebuild(docs, last_seq=1)
    # The insider asks first and fills the cache; then readers who may not see R-FIN-1.
    insider = search_index.query("zephyrine", reader=READERS["fay"])
    assert "R-FIN-1" in _ids(insider)
    for name in ("anonymous", "sam", "dana", "lee"):
        outsider = search_index.query("zephyrine", reader=READERS[name])
        assert outsider.total == 0 and "R-FIN-1" not in _ids(outsider), name
        assert all(n == 0 for values in outsider.facets.values() for _, n in values), name
    # Two readers without groups differ by ownership alone.
    assert _ids(search_index.query("marigold", reader=READERS["dana"])) == ["R-DANA-1"]
    assert search_index.query("marigold", reader=READERS["sam"]).total == 0
    # Asked again, the insider's answer is the same as the first time.
    assert search_index.query("zephyrine", reader=READERS["fay"]) == insider


def test_answer_cache_follows_the_index(search_index, docs):
    by_id = {d.id: d for d in docs}
    search_index.rebuild(docs, last_seq=1)
    sam, lee = READERS["sam"], READERS["lee"]
    relative = "LL-2021-0030"  # an internal escrow lesson
    before = search_index.query("escrow", reader=sam)
    assert relative in _ids(before)
    hidden = dataclasses.replace(by_id[relative], visibility="restricted", groups=["legal"])
    search_index.apply([hidden], [], last_seq=2)
    after = search_index.query("escrow", reader=sam)
    assert relative not in _ids(after) and after.total == before.total - 1
    assert relative in _ids(search_index.query("escrow", reader=lee))
    visible = [d for d in docs if d.id != relative and can_read(d, sam)]
    assert search_index.query("", reader=sam).total == len(visible)


def test_changing_an_answer_does_not_change_the_next_one(search_index, docs):
    search_index.rebuild(docs, last_seq=1)
    first = search_index.query("vendor", reader=READERS["sam"])
    kept = copy.deepcopy(first)
    first.facets = {}
    first.hits[0].title = "changed"
    first.hits[0].tags.append("changed")
    assert search_index.query("vendor", reader=READERS["sam"]) == kept


def test_requests_differing_in_page_sort_or_filter_get_their_own_answer(search_index, docs):
    search_index.rebuild(docs, last_seq=1)
    sam = READERS["sam"]
    first = search_index.query("vendor", per_page=2, reader=sam)
    second = search_index.query("vendor", per_page=2, page=2, reader=sam)
    assert first.page == 1 and second.page == 2 and not set(_ids(first)) & set(_ids(second))
    by_date = search_index.query("vendor", per_page=2, sort="date", reader=sam)
    assert by_date.sort == "date"
    everything = search_index.query("", reader=sam)
    filtered = search_index.query("", filters={"project": ["P3"]}, reader=sam)
    assert 0 < filtered.total < everything.total
    assert {hit.project for hit in filtered.hits} == {"P3"}


def test_lru_cache_drops_the_least_recently_used_entry():
    cache: LruCache[list[int]] = LruCache(2)
    cache.put("a", [1])
    cache.put("b", [2])
    assert cache.get("a") == [1]  # "a" is now the most recently used
    cache.put("c", [3])
    assert cache.get("b") is None and cache.get("a") == [1] and cache.get("c") == [3]
    nothing: LruCache[list[int]] = LruCache(0)
    nothing.put("a", [1])
    assert nothing.get("a") is None
