"""How alike two lessons are, 0..1, and the lessons most like one.

The search index finds candidates (an OR of the lesson's key words, as the viewer would see
them); the score is the cosine of term vectors (log term frequency, title words counted
twice) over the database text of both lessons: the index may lag the database, and a score
must not depend on Whoosh's ranking, which shifts with the rest of the collection.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kb.accounts.viewer import Viewer
from kb.documents import access
from kb.documents.models import Document, DocumentRevision
from kb.search import QueryError, SearchIndex

#: a lesson this similar (or more) to another is shown as a possible duplicate, and is a
#: recurrence when the other is actioned or verified and from another project. Calibrated
#: on the starter content: its two recurring pairs score 0.49 and 0.46; of the other 251
#: lesson pairs the highest is 0.44 (a success lesson that applied the other), then 0.38;
#: median 0.17. See tests/recurrence.
THRESHOLD = 0.40
#: words in the candidate query (joined by OR: the query language allows 40 words)
QUERY_TERMS = 18
#: candidates scored per lesson
CANDIDATES = 30
#: similar lessons shown
TOP = 5

_WORD = re.compile(r"[a-z0-9]+")
# Function words and the vocabulary every lesson shares: they make all lessons look alike.
_STOP = frozenset(
    (
        "a",
        "about",
        "after",
        "again",
        "all",
        "also",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "done",
        "during",
        "each",
        "few",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "more",
        "most",
        "no",
        "not",
        "now",
        "of",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "same",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "project",
        "projects",
        "lesson",
        "lessons",
        "learned",
        "team",
        "teams",
        "what",
        "happened",
        "went",
        "well",
        "recommendation",
        "recommendations",
        "summary",
        "context",
        "impact",
        "root",
        "cause",
        "causes",
        "next",
        "time",
        "week",
        "weeks",
        "month",
        "months",
        "day",
        "days",
        "year",
        "years",
        "one",
        "two",
        "three",
        "first",
        "second",
        "new",
        "use",
        "used",
        "using",
        "make",
        "made",
        "get",
        "got",
    )
)


def stem(word: str) -> str:
    """A light suffix stripper: plurals and the commonest verb endings."""
    for suffix in ("ies", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    return word


def words(text: str | None) -> list[str]:
    return [stem(w) for w in _WORD.findall((text or "").lower()) if len(w) >= 3 and w not in _STOP]


@dataclass
class Profile:
    """A lesson's text as a term vector."""

    vector: dict[str, float]
    norm: float
    #: the words it is most about, most frequent first (plain, for the candidate query)
    key_words: list[str]


def profile(title: str | None, summary: str | None, text: str | None) -> Profile:
    counts = Counter(words(title) * 2 + words(summary) + words(text))
    vector = {w: 1.0 + math.log(n) for w, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in vector.values()))
    key = [w for w, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    return Profile(vector, norm, key[:QUERY_TERMS])


def cosine(a: Profile, b: Profile) -> float:
    if not a.norm or not b.norm:
        return 0.0
    small, large = (a, b) if len(a.vector) <= len(b.vector) else (b, a)
    dot = sum(v * large.vector.get(w, 0.0) for w, v in small.vector.items())
    return round(min(1.0, dot / (a.norm * b.norm)), 4)


def profile_of(doc: Document) -> Profile:
    """The lesson's title, summary and the plain text of its current revision (rendered at
    save time)."""
    return profile(doc.title, doc.summary, doc.current_revision.text)


@dataclass
class Similar:
    doc: Document
    score: float


def similar_lessons(
    s: Session,
    index: SearchIndex | None,
    doc: Document,
    viewer: Viewer,
    *,
    statuses: list[str] | None = None,
    threshold: float = THRESHOLD,
    limit: int = TOP,
) -> list[Similar]:
    """Lessons (other than `doc`, never merged ones) at least `threshold` alike, best first,
    among those `viewer` may read; `statuses` narrows the candidates."""
    if index is None or doc.type != "lesson":
        return []
    this = profile_of(doc)
    if not this.key_words:
        return []
    q = " OR ".join(f'"{w}"' for w in this.key_words)
    filters: dict[str, list[str]] = {"type": ["lesson"]}
    if statuses:
        filters["status"] = statuses
    try:
        hits = index.query(
            q, filters=filters, per_page=CANDIDATES, reader=access.reader(viewer)
        ).hits
    except QueryError:  # the words are plain; a budget overrun just means no suggestions
        return []
    ids = [h.id for h in hits if h.id != doc.id]
    if not ids:
        return []
    found = []
    texts = selectinload(Document.current_revision).load_only(DocumentRevision.text)
    for other in s.scalars(select(Document).where(Document.id.in_(ids)).options(texts)):
        if other.status == "merged" or other.type != "lesson":
            continue
        if statuses and other.status not in statuses:
            continue  # the index may lag the database
        if not access.can_read(viewer, other):
            continue
        score = cosine(this, profile_of(other))
        if score >= threshold:
            found.append(Similar(other, score))
    found.sort(key=lambda item: (-item.score, item.doc.id))
    return found[:limit]
