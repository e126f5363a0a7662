"""Documents, revisions, projects and search results as JSON."""

from __future__ import annotations

from flask import url_for

from kb.core.time import iso as _iso
from kb.documents.kinds import BY_NAME
from kb.documents.models import Document, DocumentRevision
from kb.documents.references import MergedInto, visible_extra
from kb.projects.models import Project
from kb.search import SearchResults


def document_summary(doc: Document) -> dict:
    out = {
        "id": doc.id,
        "type": doc.type,
        "title": doc.title,
        "summary": doc.summary,
        "status": doc.status,
        "project": doc.project_key,
        "phase": doc.phase,
        "topics": doc.topics,
        "tags": doc.tags,
        "version": doc.version,
        "updated_at": _iso(doc.updated_at),
        # when a person last changed it; null: imported without an `updated:` day
        "changed_at": _iso(doc.changed_at),
        "url": url_for(f"api.get_{doc.type}", doc_id=doc.id),
    }
    if doc.type == "lesson":
        out.update(polarity=doc.polarity, priority=doc.priority, occurred_on=_iso(doc.occurred_on),
                   author=doc.author)  # fmt: skip
    elif doc.type == "process":
        out.update(
            state=doc.state, model_version=doc.model_version, owner=doc.owner,
            custodian=doc.custodian, review_period_months=doc.review_period_months,
            last_reviewed=_iso(doc.last_reviewed),
        )  # fmt: skip
    else:
        out.update(order=doc.reading_order)
    return out


def document_full(
    doc: Document, revision: DocumentRevision, merged: MergedInto | None = None
) -> dict:
    """`merged`: where a merged lesson went, as the viewer may know it (`merged_into` is null
    and the note says "a lesson you may not read" for whoever may not read the target)."""
    out = document_summary(doc)
    if merged is not None:
        out.update(merged_into=merged.id, merged_into_note=merged.note)
    out.update(
        extra=visible_extra(doc, merged),
        created_at=_iso(doc.created_at),
        markdown=revision.markdown,
        html=revision.html,
        page=url_for("web.document", folder=BY_NAME[doc.type].folder, doc_id=doc.id),
    )
    return out


def revision_summary(rev: DocumentRevision, *, with_markdown: bool = False) -> dict:
    out = {
        "number": rev.number,
        "author": rev.author,
        "message": rev.message,
        "created_at": _iso(rev.created_at),
    }
    if with_markdown:
        out["markdown"] = rev.markdown
    return out


def project_json(project: Project, **counts) -> dict:
    return {
        "key": project.key,
        "name": project.name,
        "status": project.status,
        "portfolio": project.portfolio,
        "manager": project.manager,
        "started_on": _iso(project.started_on),
        "closed_on": _iso(project.closed_on),
        "description": project.description,
        **counts,
    }


def search_json(results: SearchResults) -> dict:
    return {
        "query": results.query,
        "total": results.total,
        "page": results.page,
        "per_page": results.per_page,
        "pages": results.pages,
        "sort": results.sort,
        "hits": [
            {
                "id": h.id,
                "type": h.type,
                "title": h.title,
                "snippet": h.snippet,
                "score": round(h.score, 4),
                "project": h.project,
                "phase": h.phase,
                "topics": h.topics,
                "tags": h.tags,
                "status": h.status,
                "polarity": h.polarity,
                "date": _iso(h.date),
            }  # fmt: skip
            for h in results.hits
        ],
        "facets": {
            k: [{"value": val, "count": n} for val, n in vs] for k, vs in results.facets.items()
        },
        "suggestion": results.suggestion,
    }
