"""Lessons, process models and guides: Markdown documents with revisions."""
