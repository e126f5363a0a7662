"""A processor-time budget stops hostile work but excuses one full garbage collection."""

from __future__ import annotations

import gc
import importlib
import time

import pytest

from kb.core.budget import CpuBudget
from kb.core.errors import Unprocessable
from kb.markdown import render

render_module = importlib.import_module("kb.markdown.render")


def _burn(budget: CpuBudget) -> int:
    """Spend processor time until the budget says it is spent; how many looks it took."""
    looks = 0
    while not budget.over():
        looks += 1
        sum(range(1000))
    return looks


@pytest.fixture(scope="module")
def heap():
    """A heap of many objects, as a long-running process holds, and how long a full
    collection of it takes on this machine now (processor time)."""
    objects = [{"n": (n,)} for n in range(400_000)]
    started = time.thread_time()
    gc.collect()
    yield objects, time.thread_time() - started
    del objects


def test_a_budget_runs_out_on_processor_time() -> None:
    started = time.thread_time()  # before the budget starts counting, so spent >= its seconds
    budget = CpuBudget(0.05)
    assert not budget.over()
    _burn(budget)
    spent = time.thread_time() - started
    assert 0.05 <= spent < 1.0
    assert budget.left() <= 0


def test_waiting_does_not_spend_the_budget() -> None:
    budget = CpuBudget(0.05)
    time.sleep(0.2)  # as a thread waiting for the processor or a lock: its own time stands
    assert not budget.over()


def test_a_full_collection_inside_the_budget_is_excused_once(heap) -> None:
    _, collection_seconds = heap
    budget = CpuBudget(collection_seconds / 4)
    gc.collect()  # longer than the whole budget, and not the budgeted work's own
    assert not budget.over()
    assert budget.left() == pytest.approx(budget.seconds, abs=0.02)
    # the budget was given again, once: hostile work still stops
    _burn(budget)
    gc.collect()
    assert budget.over()


def test_a_render_is_not_refused_for_a_collection_it_happened_to_trigger(heap, monkeypatch) -> None:
    _, collection_seconds = heap
    collected = []

    def collect_once(state, silent):  # a real full collection, in the middle of the render
        if not collected:
            collected.append(True)
            gc.collect()
        return False

    parser = render_module._build_parser()
    parser.inline.ruler.before("kb_deadline", "test_collect", collect_once)
    monkeypatch.setattr(render_module, "_md", parser)
    html = render("A *small* document.", budget=collection_seconds / 4).html
    assert collected and "<em>small</em>" in html
    # and without a collection, a budget that small still refuses hostile input
    with pytest.raises(Unprocessable):
        render("[a](" * 10_000, budget=0.01)
