"""Markdown documents: front matter parsing and writing, rendering to safe HTML and text.

Plain Python (no Flask): used by the web app, the API, import/export and the indexer.
"""

from kb.markdown.frontmatter import FRONT_MATTER_MAX_BYTES, join, set_key, split
from kb.markdown.render import MAX_DOCUMENT_BYTES, Rendered, render, to_html, to_text

__all__ = [
    "FRONT_MATTER_MAX_BYTES",
    "MAX_DOCUMENT_BYTES",
    "Rendered",
    "join",
    "render",
    "set_key",
    "split",
    "to_html",
    "to_text",
]
