"""Findings come from another tool: characters kb refuses in documents are dropped from the
draft lesson, and the finding still becomes a lesson (SQLite, PostgreSQL)."""

from __future__ import annotations

from kb.documents import services as documents
from kb.reviews.models import ReviewLesson

from .test_audits import audit_event


def test_control_characters_in_a_finding_are_dropped_not_the_finding(kb, post):
    finding = {
        "id": "F\x0b9",
        "severity": "High",
        "title": "Approvals\x1b[0m skipped",
        "recommendation": "Line one\x0bline two (a Word line break)\x7f.",
    }
    post(audit_event(key="ORION", findings=[finding]))
    with kb.db.read() as s:
        links = s.query(ReviewLesson).all()
    assert len(links) == 1
    revision = documents.get_revision(kb.db, links[0].lesson_id)
    assert "Line oneline two (a Word line break)." in revision.markdown
    assert "Approvals[0m skipped" in revision.markdown
    assert not any(ch in revision.markdown for ch in "\x0b\x1b\x7f")
