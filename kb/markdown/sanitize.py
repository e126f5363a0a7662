"""The HTML allowlist. Every rendered document goes through `clean` before it is stored or shown.

markdown-it already escapes raw HTML and refuses `javascript:` links; this second, independent
layer means a parser bug or a future plugin cannot put active content on a page.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "strong",
        "em",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "img",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "mark",
        "sup",
        "sub",
    }
)

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "li": {"value"},
    "h2": {"id"},
    "h3": {"id"},
}

# `align` is restricted to its three meaningful values rather than allowed free-form.
_ALIGN_VALUES: dict[str, dict[str, set[str]]] = {
    cell: {"align": {"left", "right", "center"}} for cell in ("th", "td")
}

URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

# Built once: a Cleaner compiles the allowlist, and nh3.clean would redo that on every call.
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes=ALLOWED_ATTRIBUTES,
    tag_attribute_values=_ALIGN_VALUES,
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)


def clean(html: str) -> str:
    """Return `html` with everything outside the allowlist removed (text content is kept)."""
    return _CLEANER.clean(html)
