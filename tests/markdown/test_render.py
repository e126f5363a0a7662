"""Ordinary Markdown: the HTML we store and the text we index."""

from __future__ import annotations

import dataclasses

import pytest

from kb.markdown import Rendered, render, to_html, to_text

REL = 'rel="noopener noreferrer nofollow"'

PAIRS = {
    "headings get prefixed ids": (
        "## Root cause\n\n### Root cause\n\n## Ünïcödé & <stuff>\n\n## 日本\n\n#### Minor",
        '<h2 id="s-root-cause">Root cause</h2>\n'
        '<h3 id="s-root-cause-2">Root cause</h3>\n'
        '<h2 id="s-unicode-stuff">Ünïcödé &amp; &lt;stuff&gt;</h2>\n'
        '<h2 id="s-section">日本</h2>\n'
        "<h4>Minor</h4>\n",
    ),
    "h1 has no id": ("# Title", "<h1>Title</h1>\n"),
    "bullet list": (
        "- a\n- b\n  - c",
        "<ul>\n<li>a</li>\n<li>b\n<ul>\n<li>c</li>\n</ul>\n</li>\n</ul>\n",
    ),
    "ordered list keeps start": (
        "3. three\n4. four",
        '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>\n',
    ),
    "table alignment becomes align": (
        "| Area | Planned | Var |\n| :--- | ---: | :-: |\n| SIT | 31 Jan | +6 |",
        "<table>\n<thead>\n<tr>\n"
        '<th align="left">Area</th>\n<th align="right">Planned</th>\n'
        '<th align="center">Var</th>\n'
        "</tr>\n</thead>\n<tbody>\n<tr>\n"
        '<td align="left">SIT</td>\n<td align="right">31 Jan</td>\n<td align="center">+6</td>\n'
        "</tr>\n</tbody>\n</table>\n",
    ),
    # Decision: the language class is dropped; there is no highlighter to use it.
    "fenced code without language class": (
        "```python\nx = 1 < 2\n```",
        "<pre><code>x = 1 &lt; 2\n</code></pre>\n",
    ),
    "indented code": ("    <b>x</b>", "<pre><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>\n"),
    "links get rel, relative links stay": (
        '[LL](/lessons/LL-2025-0001) [a](#s-root-cause) [e](https://example.com "Ex") '
        "<mailto:pmo@example.com>",
        f'<p><a href="/lessons/LL-2025-0001" {REL}>LL</a> '
        f'<a href="#s-root-cause" {REL}>a</a> '
        f'<a href="https://example.com" title="Ex" {REL}>e</a> '
        f'<a href="mailto:pmo@example.com" {REL}>mailto:pmo@example.com</a></p>\n',
    ),
    "image": (
        '![alt *x*](https://example.com/a.png "T")',
        '<p><img src="https://example.com/a.png" alt="alt x" title="T"></p>\n',
    ),
    "emphasis and strikethrough": (
        "*em* **strong** ~~gone~~ `code`",
        "<p><em>em</em> <strong>strong</strong> <s>gone</s> <code>code</code></p>\n",
    ),
    "blockquote": ("> quoted\n> more", "<blockquote>\n<p>quoted\nmore</p>\n</blockquote>\n"),
    "hard break and rule": ("one  \ntwo\n\n---", "<p>one<br>\ntwo</p>\n<hr>\n"),
    "raw html is shown as text": (
        "<b>raw</b> &amp; &copy;",
        "<p>&lt;b&gt;raw&lt;/b&gt; &amp; ©</p>\n",
    ),
}


@pytest.mark.parametrize(("source", "expected"), list(PAIRS.values()), ids=list(PAIRS))
def test_markdown_to_html(source: str, expected: str) -> None:
    assert to_html(source) == expected


def test_render_returns_frozen_result() -> None:
    result = render("Hello")
    assert result == Rendered(html="<p>Hello</p>\n", text="Hello")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.html = "<script></script>"  # type: ignore[misc]


def test_text_of_a_small_document() -> None:
    source = (
        "# Supplier spec arrived late\n"
        "\n"
        "## Summary\n"
        "\n"
        "The **spec** came six weeks late;\n"
        "see [the project](/projects/ATLAS) and ![chart](/c.png).\n"
        "\n"
        "- no *acceptance* criteria\n"
        "- `spec_ready` was a date\n"
        "\n"
        "| Area | Delay |\n"
        "| --- | --- |\n"
        "| SIT | 6 weeks |\n"
        "\n"
        "```\n"
        "Accepted when: complete\n"
        "```\n"
        "\n"
        "> <b>Raw</b> &amp; quoted  \n"
        "> second line\n"
    )
    assert to_text(source) == (
        "Supplier spec arrived late\n"
        "Summary\n"
        "The spec came six weeks late; see the project and chart.\n"
        "no acceptance criteria\n"
        "spec_ready was a date\n"
        "Area\tDelay\n"
        "SIT\t6 weeks\n"
        "Accepted when: complete\n"
        "<b>Raw</b> & quoted\n"
        "second line"
    )


def test_drop_title_removes_matching_leading_h1_from_html_only() -> None:
    result = render("#  Supplier   Spec \n\nBody", drop_title="  supplier spec ")
    assert result.html == "<p>Body</p>\n"
    assert result.text == "Supplier   Spec\nBody"


@pytest.mark.parametrize(
    "source",
    [
        "# Another title\n\nBody",
        "Intro\n\n# Title\n\nBody",
        "## Title\n\nBody",
    ],
    ids=["different text", "not first block", "not h1"],
)
def test_drop_title_keeps_anything_else(source: str) -> None:
    assert to_html(source, drop_title="Title") == to_html(source)


def test_setext_h1_matching_title_is_dropped() -> None:
    assert to_html("Title\n=====\n\nBody", drop_title="title") == "<p>Body</p>\n"


def test_drop_title_none_keeps_h1() -> None:
    assert to_html("# Title\n\nBody") == "<h1>Title</h1>\n<p>Body</p>\n"


def test_empty_document() -> None:
    assert render("") == Rendered(html="", text="")


def test_deep_nesting_is_cut_not_crashed() -> None:
    source = "".join("  " * depth + f"- item{depth}\n" for depth in range(30))
    result = render(source)
    # markdown-it stops at its nesting cap; about 19 list levels survive.
    assert "item18" in result.text
    assert "item29" not in result.text


def test_deliberate_list_numbers_are_kept_and_lazy_ones_count_up():
    steps = to_html("### Clerk\n1. Check in.\n2. Unload.\n\n### Operative\n4. Scan.\n7. Store.\n")
    assert '<li value="4">Scan.</li>' in steps and '<li value="7">Store.</li>' in steps
    assert "<li>Check in.</li>" in steps  # 1, 2: nothing to say
    lazy = to_html("1. a\n1. b\n1. c\n")
    assert "value=" not in lazy and lazy.count("<li>") == 3
