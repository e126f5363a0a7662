"""Markdown body -> sanitised HTML and plain text, from one parse, within a time budget.

Why markdown-it-py and not Python-Markdown: docs/architecture.md, "Decisions".
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline

from kb.core.budget import CpuBudget
from kb.core.errors import TooLarge, Unprocessable
from kb.markdown import _tokens
from kb.markdown.sanitize import clean

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 1024 * 1024

# markdown-it checks the level before every nested block and inline rule, so nesting cannot
# exhaust the Python stack; content nested deeper is dropped (about 19 list levels survive).
# It also sets the cost per character of bracket-heavy text (`![![![...`), which grows with it.
MAX_NESTING = 40

# Up to this size the render runs in the caller's thread: measured, that is ~0.04 ms faster
# per typical 3-5 KB document than a hop to the pool. The deadline check below holds the
# budget on this path just as well; the slowest 20 KB inputs we know of take ~0.35 s.
INLINE_MAX_BYTES = 20 * 1024

_WORKERS = 2
_BUDGET = "kb_budget"
# The budget is the rendering thread's own CPU time (kb.core.budget), not the wall clock: on a
# busy machine (other processes, other threads holding the GIL) a 1.5 KB lesson once took more
# than 1 s of wall time and was refused.
#: how long a caller waits for a render in the pool, in budgets (queueing and load included)
WAIT_FACTOR = 10


class _OverBudget(Exception):
    """Raised from inside markdown-it when the budget in `env` is spent."""


def _deadline_inline(state: StateInline, silent: bool) -> bool:
    if state.env[_BUDGET].over():
        raise _OverBudget
    return False


def _deadline_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if state.env[_BUDGET].over():
        raise _OverBudget
    return False


def _build_parser() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": False, "maxNesting": MAX_NESTING, "xhtmlOut": False, "linkify": False},
    ).enable(["table", "strikethrough"])
    # First in each chain, so they run at every block and every inline position, including
    # the nested look-ahead inside link labels where the slow inputs spend their time.
    md.inline.ruler.before("text", "kb_deadline", _deadline_inline)
    md.block.ruler.before(md.block.ruler.get_active_rules()[0], "kb_deadline", _deadline_block)
    # markdown-it compiles its rule chains on first use; do it now rather than in threads.
    md.parse("", {_BUDGET: CpuBudget(float("inf"))})
    return md


_md = _build_parser()
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


@dataclass(frozen=True)
class Rendered:
    html: str
    text: str


def render(source: str, *, drop_title: str | None = None, budget: float = 1.0) -> Rendered:
    """Render a Markdown body (front matter already removed).

    `html` is sanitised and safe to insert into a page; `text` is plain text (not escaped)
    for search indexing and snippets. When `drop_title` matches a leading H1 (ignoring case
    and surrounding or repeated whitespace) the heading is left out of `html`, since the page
    shows the title itself, but kept in `text`.

    Raises TooLarge above MAX_DOCUMENT_BYTES and Unprocessable when rendering takes longer
    than `budget` seconds or the document cannot be rendered at all.
    """
    size = _check_size(source)
    try:
        if size <= INLINE_MAX_BYTES:
            return _render_now(source, drop_title, budget)
        return _render_in_worker(source, drop_title, budget)
    except _OverBudget:
        log.warning("markdown render exceeded its %.3f s budget (%d bytes)", budget, size)
        shown = f"{budget:.1f} s" if budget >= 0.1 else f"{budget * 1000:g} ms"
        raise Unprocessable(
            f"This document took longer than {shown} to render. Please simplify it "
            "(fewer deeply nested lists, quotes, brackets or emphasis markers) or split it "
            "into smaller documents.",
            details={"budget_seconds": budget},
        ) from None


def to_html(source: str, **kwargs: Any) -> str:
    return render(source, **kwargs).html


def to_text(source: str, **kwargs: Any) -> str:
    return render(source, **kwargs).text


def _check_size(source: str) -> int:
    # Every character is at least one byte, so very long strings fail without being encoded.
    size = len(source) if len(source) > MAX_DOCUMENT_BYTES else len(source.encode("utf-8"))
    if size > MAX_DOCUMENT_BYTES:
        raise TooLarge(
            f"This document is {size / (1024 * 1024):.1f} MiB ({size:,} bytes); the limit is "
            f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB ({MAX_DOCUMENT_BYTES // 1024:,} KB). "
            "Please split it into smaller documents.",
            details={"size": size, "limit": MAX_DOCUMENT_BYTES},
        )
    return size


def _render_in_worker(source: str, drop_title: str | None, budget: float) -> Rendered:
    # A Python thread cannot be killed, so a timed-out worker runs on until it stops itself.
    # markdown-it is linear and the input is capped at 1 MiB, so that is bounded, but not by a
    # few seconds as one might hope: bracket-heavy text costs ~19 us per byte at MAX_NESTING
    # 40 (measured: 1 MiB of `![` takes 20 s, `[x][` 17 s). So the parser itself checks the
    # same deadline (`_deadline_*` rules) and gives up; the worker is free again within
    # milliseconds of the caller's 422, and two workers cannot be tied up for long.
    future = _pool().submit(_render_now, source, drop_title, budget)
    try:
        # the budget is the renderer's CPU time; waiting (a queue, a busy machine) gets more
        return future.result(timeout=budget * WAIT_FACTOR)
    except FutureTimeout:
        # If the render is still queued behind others, this stops it from ever starting.
        future.cancel()
        raise _OverBudget from None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(
                    max_workers=_WORKERS, thread_name_prefix="kb-markdown"
                )
    return _executor


def _render_now(source: str, drop_title: str | None, budget: float) -> Rendered:
    limit = CpuBudget(budget)
    env: dict[str, Any] = {_BUDGET: limit}
    try:
        tokens = _md.parse(source, env)
        text = _tokens.plain_text(tokens)
        if drop_title is not None:
            tokens = tokens[_tokens.title_span(tokens, drop_title) :]
        _tokens.prepare_for_html(tokens)
        html = clean(_md.renderer.render(tokens, _md.options, env))
        # Rendering and cleaning are not interruptible; this keeps the answer consistent
        # with the budget when they are what pushed it over.
        if limit.over():
            raise _OverBudget
    except RecursionError:
        # Not expected thanks to MAX_NESTING; kept so that an unknown deep path is a 422.
        log.warning("markdown render hit the recursion limit (%d characters)", len(source))
        raise Unprocessable(
            "This document is nested too deeply to render. Please flatten its lists or quotes."
        ) from None
    return Rendered(html=html, text=text)
