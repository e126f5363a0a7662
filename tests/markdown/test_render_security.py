"""Hostile Markdown must come out inert, and slow or huge Markdown must be refused in time."""

from __future__ import annotations

import gc
import html
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

import pytest

from kb.core.errors import TooLarge, Unprocessable
from kb.markdown import MAX_DOCUMENT_BYTES, render

FORBIDDEN_TAGS = {"script", "iframe", "style", "object", "embed", "form", "meta", "svg", "math"}
FORBIDDEN_SCHEMES = {"javascript", "vbscript", "data"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background"}
# Browsers ignore ASCII whitespace and control characters inside a URL scheme.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f-\x9f]+")


def _scheme(url: str) -> str | None:
    cleaned = _IGNORED_IN_SCHEME.sub("", html.unescape(url)).lower()
    match = re.match(r"^([a-z][a-z0-9+.\-]*):", cleaned)
    return match.group(1) if match else None


class _DangerFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            if name == "style":
                self.problems.append(f"{tag}[style]")
            if name in URL_ATTRIBUTES and value and _scheme(value) in FORBIDDEN_SCHEMES:
                self.problems.append(f"{tag}[{name}={value!r}]")


def dangers(markup: str) -> list[str]:
    finder = _DangerFinder()
    finder.feed(markup)
    finder.close()
    return finder.problems


HOSTILE = {
    "script tag": "<script>alert(1)</script>",
    "img onerror": "<img src=x onerror=alert(1)>",
    "svg onload": "<svg onload=alert(1)>",
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "style tag": "<style>body { display: none }</style>",
    "raw a javascript": '<a href="javascript:alert(1)">x</a>',
    "raw a entity scheme": '<a href="&#x6A;avascript:alert(1)">x</a>',
    "md link javascript": "[x](javascript:alert(1))",
    "md image javascript": "![x](javascript:alert(1))",
    "md link vbscript": "[x](vbscript:msgbox(1))",
    "md link data html": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "md image data html": "![x](data:text/html,alert(1))",
    "md image data png": "![x](data:image/png;base64,iVBORw0KGgo=)",
    "md image data svg": "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "mixed case scheme": "[x](JaVaScRiPt:alert(1))",
    "tab entity in scheme": "[x](java&#x09;script:alert(1))",
    "newline entity in scheme": "[x](java&#x0A;script:alert(1))",
    "letter entity in scheme": "[x](jav&#x61;script:alert(1))",
    "decimal entity first letter": "[x](&#106;avascript:alert(1))",
    "colon entity": "[x](javascript&colon;alert(1))",
    "leading space entity": "[x](&#x20;javascript:alert(1))",
    "space in angle destination": "[x](<java script:alert(1)>)",
    "newline in scheme": "[x](java\nscript:alert(1))",
    "percent-encoded newline": "[x](java%0Ascript:alert(1))",
    "reference link": "[x][1]\n\n[1]: javascript:alert(1)",
    "reference image": '![x][1]\n\n[1]: javascript:alert(1) "t"',
    "autolink javascript": "<javascript:alert(1)>",
    "autolink breaking out": '<https://ok.example/" onmouseover="alert(1)>',
    "attr_list block": 'Paragraph\n{: onclick="alert(1)" }',
    "attr_list inline": '[x](/ok){: onclick="alert(1)" style="color:red" }',
    "html comment": "<!-- <script>alert(1)</script> -->",
    "a onmouseover": '<a href="x" onmouseover="alert(1)">x</a>',
    "math mglyph": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "form": '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">x',
    "object": '<object data="javascript:alert(1)"></object>',
    "embed": '<embed src="javascript:alert(1)">',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "title breaking out": '[x](https://ok.example/ "a\\" onmouseover=\\"alert(1)")',
    "title with quote": "[x](https://ok.example/ 'a\" onmouseover=\"alert(1)')",
    "alt breaking out": '![a" onerror="alert(1)](https://ok.example/x.png)',
    "nested script": "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "script in table cell": "| a |\n| --- |\n| <script>alert(1)</script> |",
    "script in heading": "## <img src=x onerror=alert(1)>",
    "style attribute": '<p style="background:url(javascript:alert(1))">x</p>',
}


@pytest.mark.parametrize("payload", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_markdown_renders_inert(payload: str) -> None:
    markup = render(payload).html
    assert dangers(markup) == [], markup
    # Raw HTML is shown as text, so no '<' written by the author survives unescaped.
    assert "<script" not in markup.lower()


@pytest.mark.parametrize(
    "markup",
    [
        "<script>x</script>",
        "<p onclick=x>",
        "<svg>",
        '<a href="jav&#x09;ascript:x">',
        '<a href=" JAVASCRIPT:x">',
        '<img src="data:text/html,x">',
        '<p style="x">',
        "<meta http-equiv=refresh>",
    ],
)
def test_danger_finder_can_fail(markup: str) -> None:
    # The checks above are only worth something if they flag dangerous markup.
    assert dangers(markup) != []


def _fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


PATHOLOGICAL = {
    "unclosed links": "[a](" * 10_000,
    "nested brackets": "[" * 20_000 + "a" + "]" * 20_000,
    "list 500 deep": "".join("  " * depth + "- x\n" for depth in range(500)),
    "quote 1000 deep": ">" * 1000 + " a",
    "emphasis soup": "*a **b " * 5_000,
    "100 KB of backticks": "`" * 100 * 1024,
    "nested images 1 MiB": _fill("![", MAX_DOCUMENT_BYTES),
    "reference brackets 1 MiB": _fill("[x][", MAX_DOCUMENT_BYTES),
    "nested quote lists": _fill("> - ", 200_000),
    "underscores": _fill("*_", 200_000),
}


@contextmanager
def collections_timed() -> Iterator[list[float]]:
    """The processor time garbage collections take meanwhile, in [0]."""
    spent, began = [0.0], [0.0]

    def callback(phase: str, _info: dict) -> None:
        if phase == "start":
            began[0] = time.process_time()
        else:
            spent[0] += time.process_time() - began[0]

    gc.callbacks.append(callback)
    try:
        yield spent
    finally:
        gc.callbacks.remove(callback)


@pytest.mark.parametrize("source", list(PATHOLOGICAL.values()), ids=list(PATHOLOGICAL))
def test_pathological_input_renders_or_is_refused_quickly(source: str) -> None:
    # the work this process does (every thread), not the wall clock: on a busy machine the
    # clock also counts other programs' turns, and the budget is CPU time too. Garbage
    # collections are left out: a full one of the test process's large heap took over 1 s on
    # a loaded machine (charged to the render, which the budget excuses once: kb.core.budget)
    started = time.process_time()
    with collections_timed() as collecting:
        try:
            result = render(source)
        except Unprocessable:
            pass
        else:
            assert dangers(result.html) == []
    assert time.process_time() - started - collecting[0] < 3.0


def test_runaway_renders_release_the_workers() -> None:
    # Two runaway documents occupy both workers; the parser's own deadline must stop them,
    # or the normal document after them would be refused as well.
    runaway = _fill("![", MAX_DOCUMENT_BYTES)
    for _ in range(2):
        with pytest.raises(Unprocessable):
            render(runaway, budget=0.2)
    # A stuck worker would hold the next render for ~20 s; 5 s leaves room for a busy machine.
    normal = _fill("Some ordinary *text* with a [link](/x).\n\n", 50_000)
    started = time.process_time()  # a stuck worker would keep burning this process's CPU
    assert render(normal, budget=5.0).text.startswith("Some ordinary text")
    assert time.process_time() - started < 5.0


def test_tiny_budget_on_large_document_is_unprocessable() -> None:
    document = _fill("## Heading\n\nA paragraph with *emphasis* and `code`.\n\n", 500_000)
    with pytest.raises(Unprocessable, match="took longer than .* to render"):
        render(document, budget=0.0001)


def test_budget_also_holds_for_small_documents() -> None:
    with pytest.raises(Unprocessable):
        render("A *small* document.", budget=0.0)


def test_recursion_error_becomes_unprocessable(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    module = importlib.import_module("kb.markdown.render")

    def explode(*args: object, **kwargs: object) -> None:
        raise RecursionError

    monkeypatch.setattr(module._md, "parse", explode)
    with pytest.raises(Unprocessable, match="nested too deeply"):
        render("anything")


def test_document_over_one_mib_is_too_large() -> None:
    with pytest.raises(TooLarge, match=r"1\.0 MiB .*limit is 1 MiB"):
        render("a" * (MAX_DOCUMENT_BYTES + 1))


def test_size_limit_counts_utf8_bytes_not_characters() -> None:
    with pytest.raises(TooLarge):
        render("é" * (MAX_DOCUMENT_BYTES // 2 + 1))


def test_document_of_exactly_one_mib_renders() -> None:
    assert render(_fill("plain words ", MAX_DOCUMENT_BYTES)).text.startswith("plain words")
