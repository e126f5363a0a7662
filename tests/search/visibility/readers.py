"""Who may read what in the visibility tests: the readers, the restricted documents added to
the corpus, the secret words only those documents hold, and the rule written independently of
kb.search.access."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime

from kb.search import IndexDoc, Reader

READERS: dict[str, Reader] = {
    "anonymous": Reader(),
    "sam": Reader(username="sam"),  # signed in, no group
    "fay": Reader(username="fay", groups=frozenset({"finance"})),
    "dana": Reader(username="dana"),  # owner of R-DANA-1, no group
    "lee": Reader(username="lee", groups=frozenset({"legal"})),
    "curator": Reader(all_access=True, username="cora"),
}

# Words that occur only in the restricted document named; none is in an internal one.
SECRET_WORDS = {
    "R-FIN-1": {"zephyrine", "halo", "divestment", "valuation", "mergers", "deal-room"},
    "R-FIN-2": {"forensic", "accountants", "shell"},
    "R-LEG-1": {"quixotic", "litigation", "counsel", "lawsuit", "mailboxes"},
    "R-DANA-1": {"marigold"},
    "R-BOARD-1": {"obsidian", "restructuring"},
}


def _doc(template: IndexDoc, **values: object) -> IndexDoc:
    when = datetime(2025, 4, 1, tzinfo=UTC)
    base = {
        "summary": "",
        "status": "published",
        "priority": "medium",
        "polarity": "problem",
        "project": None,
        "project_name": None,
        "phase": None,
        "date": when,
        "updated_at": when,
        "author": "Dana Reviewer",
    }
    base.update(values)
    return dataclasses.replace(template, **base)


def restricted_docs(template: IndexDoc) -> list[IndexDoc]:
    return [
        _doc(
            template,
            id="R-FIN-1",
            visibility="restricted",
            groups=["Finance"],
            owner="erin",
            title="Zephyrine acquisition forecast",
            body="The Zephyrine acquisition forecast assumes a vendor discount nobody signed.",
            project="HALO",
            project_name="Halo Divestment",
            phase="valuation",
            topics=["mergers"],
            tags=["zephyrine", "deal-room"],
        ),
        # Shares common words (vendor, invoice, P3, procurement) with internal lessons.
        _doc(
            template,
            id="R-FIN-2",
            visibility="restricted",
            groups=["finance", "Legal"],
            owner="erin",
            title="Vendor invoice fraud review",
            body="Forensic accountants traced a duplicated vendor invoice to a shell company.",
            project="P3",
            phase="build",
            topics=["procurement"],
            tags=["vendor", "invoice", "forensic"],
        ),
        _doc(
            template,
            id="R-LEG-1",
            type="process",
            visibility="restricted",
            groups=["legal"],
            owner="lee",
            title="Quixotic litigation hold",
            body="Counsel placed a litigation hold on the Quixotic supplier mailboxes.",
            project="LAW",
            project_name="Lawsuit Response",
            phase="closure",
            topics=["litigation"],
            tags=["quixotic", "litigation"],
            polarity=None,
        ),
        _doc(
            template,
            id="R-DANA-1",
            visibility="restricted",
            groups=[],
            owner="Dana",
            title="Marigold supplier performance notes",
            body="Personal notes on the Marigold supplier before the escrow renewal.",
            project="ATLAS",
            phase="procurement",
            topics=["procurement"],
            tags=["marigold", "escrow"],
        ),
        _doc(
            template,
            id="R-BOARD-1",
            type="process",
            visibility="restricted",
            groups=["board"],
            owner="zoe",
            title="Obsidian restructuring plan",
            body="The board approved the Obsidian restructuring of the vendor teams.",
            topics=["governance"],
            tags=["obsidian"],
            polarity=None,
        ),
        # Internal stays internal whatever groups or owner it carries.
        _doc(
            template,
            id="I-DANA-2",
            visibility="internal",
            groups=["finance"],
            owner="dana",
            title="Supplier review checklist",
            body="A checklist for the yearly supplier review, shared with every team.",
            topics=["procurement"],
            tags=["supplier", "checklist"],
        ),
    ]


def can_read(doc: IndexDoc, reader: Reader | None) -> bool:
    """The rule, written independently of kb.search.access."""
    if reader is None or reader.all_access or doc.visibility == "internal":
        return True
    if reader.username is None:
        return False
    shared = {g.lower() for g in doc.groups} & {g.lower() for g in reader.groups}
    return bool(shared) or (doc.owner or "").lower() == reader.username.lower()


def expected_facets(docs: list[IndexDoc]) -> dict[str, list[tuple[str, int]]]:
    counters = {
        "type": Counter(d.type for d in docs),
        "topic": Counter(t for d in docs for t in d.topics),
        "phase": Counter(d.phase for d in docs if d.phase),
        "project": Counter(d.project.lower() for d in docs if d.project),
        "tag": Counter(t for d in docs for t in d.tags),
    }
    return {
        name: sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
        for name, counter in counters.items()
    }


def hidden_words(docs: list[IndexDoc], reader: Reader | None) -> set[str]:
    return {w for d in docs if not can_read(d, reader) for w in SECRET_WORDS.get(d.id, ())}


def ids(results) -> set[str]:
    return {hit.id for hit in results.hits}
