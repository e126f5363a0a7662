"""File names we generate ourselves: `{id}-{slug}.md`, never derived from user-supplied paths."""

from __future__ import annotations

import re
import unicodedata

SLUG_MAX = 50


def slugify(title: str) -> str:
    """Lower-case ASCII words joined by '-', at most SLUG_MAX characters, never empty.

    Non-ASCII letters are transliterated where Unicode allows (é -> e) and dropped otherwise;
    the document id in front of the slug keeps names unique, so collisions do not matter.
    """
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > SLUG_MAX:
        slug = slug[:SLUG_MAX].rsplit("-", 1)[0] if "-" in slug[:SLUG_MAX] else slug[:SLUG_MAX]
    return slug or "untitled"


def document_filename(doc_id: str, title: str) -> str:
    return f"{doc_id}-{slugify(title)}.md"
