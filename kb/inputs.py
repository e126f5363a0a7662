"""Text in the address and in forms, checked once for every request (kb.core.text's rule).

A NUL in `/lessons/%00` or `?project=%00` reached PostgreSQL, which refuses it (a 500). JSON
bodies are checked by kb.api.body and Markdown sources by kb.documents.records; this covers
the rest: path segments, query parameters and, outside the API, form fields.
"""

from __future__ import annotations

from flask import Flask, request

from kb.core.text import check_text

#: form fields whose view checks them itself: the Markdown source is parsed by
#: kb.documents.records, whose message names the line, and the edit form keeps the text
CHECKED_BY_THEIR_VIEW = frozenset({"markdown"})
#: the form editor (kb.web.form_editor) checks what it posts in the Markdown it builds, and
#: reads posts up to FORM_READ_LIMIT: a document over the size limit comes back with the
#: person's text and both sizes instead of a bare 413 that throws the work away
FORM_EDITOR_VIEWS = frozenset({"web.new_document_form", "web.edit_document_form"})
#: its document fields (kb.documents.form): the view names a refused character next to them
FORM_EDITOR_FIELDS = ("m_", "s_", "r_", "rn_")
FORM_READ_LIMIT = 8 * 1024 * 1024


def widen_form_editor_limit() -> None:
    """Runs before the CSRF check, the first to read a posted form."""
    if request.endpoint in FORM_EDITOR_VIEWS:
        request.max_content_length = FORM_READ_LIMIT


def refuse_bad_text() -> None:
    if request.url_rule is None:  # no route: a 404 follows and nothing is read
        return
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            check_text(value, "The address", field=name)
    for name, value in request.args.items(multi=True):
        check_text(name, "A query parameter's name")
        check_text(value, f"The query parameter `{name}`", field=name)
    if request.blueprint == "api":  # the API reads JSON (kb.api.body), never forms
        return
    for name, value in request.form.items(multi=True):
        check_text(name, "A form field's name")
        checked_by_view = name in CHECKED_BY_THEIR_VIEW or (
            request.endpoint in FORM_EDITOR_VIEWS and name.startswith(FORM_EDITOR_FIELDS)
        )
        if not checked_by_view:
            check_text(value, f"The form field `{name}`", field=name)


def init_limits(app: Flask) -> None:
    app.before_request(widen_form_editor_limit)


def init_app(app: Flask) -> None:
    app.before_request(refuse_bad_text)
