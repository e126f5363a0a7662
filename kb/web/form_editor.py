"""The form editor: a field per front matter key and a text box per body section, for people
who do not write YAML (kb.documents.form maps it to the Markdown kb stores). Plain form posts
work on their own; edit.js adds a live preview and tag suggestions. A refused save comes back
with everything typed and the problem next to its field."""

from __future__ import annotations

import re
from dataclasses import replace

from flask import jsonify, render_template, request

from kb.access_rules import CONTRIBUTOR, needs
from kb.context import current
from kb.core.errors import Conflict, KbError, TooLarge, ValidationError
from kb.core.text import check_text
from kb.documents import form, services
from kb.documents import vocabulary as v
from kb.documents.kinds import BY_NAME
from kb.errors import wants_json
from kb.markdown import MAX_DOCUMENT_BYTES
from kb.projects import services as projects
from kb.security import viewer
from kb.web import bp
from kb.web.documents import FOLDERS, document_or_404
from kb.web.editing import NOTE_MAX, _conflict, _render_form, create, page_context, to_document
from kb.web.params import int_arg
from kb.web.present import type_label
from kb.web.starters import starter

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, round(size / 1024))} KB"


def text_rows(text: str, minimum: int = 5) -> int:
    """A text box tall enough for what it holds (long lines wrap at about 90 characters)."""
    lines = sum(len(line) // 90 + 1 for line in text.split("\n")) + 1
    return max(minimum, min(lines, 30))


def _choices(values: form.FormValues) -> dict:
    db = current().db
    topics = list(v.TOPICS) + [t for t in values.fields.get("topics", []) if t not in v.TOPICS]
    return {
        "status": BY_NAME[values.doc_type].statuses,
        "polarity": v.POLARITIES,
        "priority": v.PRIORITIES,
        "phase": v.PHASES,
        "state": v.PROCESS_STATES,
        "visibility": v.VISIBILITIES,
        "topics": topics,
        "projects": [(p.key, p.name) for p in projects.list_projects(db)],
        "tags": services.label_values(db, "tag", viewer()),
    }


def _render(values: form.FormValues, status: int = 200, **context):
    context.pop("base", None)
    context.setdefault("errors", {})
    context.setdefault("error", None)
    context.setdefault("preview_html", None)
    context.setdefault("kept", values)
    return render_template(
        "form_edit.html",
        values=values,
        fields=form.FIELDS[values.doc_type],
        sections=form.SECTIONS[values.doc_type],
        labels=form.LABELS,
        defaults=form.DEFAULTS,
        rows=text_rows,
        choices=_choices(values),
        is_day=_DAY.match,
        size_limit=MAX_DOCUMENT_BYTES,
        size_limit_text=human_size(MAX_DOCUMENT_BYTES),
        **context,
    ), status


def _problems(exc: KbError, values: form.FormValues, markdown: str) -> tuple[str, dict]:
    """The refusal as a sentence for the top of the form and messages by field name."""
    errors: dict[str, list[str]] = {}
    if isinstance(exc, TooLarge):
        size = len(markdown.encode("utf-8", "surrogatepass"))
        names = [name for name, _ in form.SECTIONS[values.doc_type]]
        longest = max(names, key=lambda n: len(values.sections.get(n, "")))
        message = (
            f"The document is {human_size(size)}; the limit is "
            f"{human_size(MAX_DOCUMENT_BYTES)}. Shorten this text or split the document."
        )
        errors[f"s_{names.index(longest)}"] = [message]
        return message, errors
    details = exc.details if isinstance(exc.details, dict) else {}
    problems = details.get("problems") or [{"field": exc.field, "message": exc.message}]
    general = []
    for problem in problems:
        message = form.plain(problem["message"], values.doc_type)
        name = form.field_of(problem.get("field"), values.doc_type)
        if name:
            errors.setdefault(f"m_{name}", []).append(message)
        else:
            general.append(message)
    count = sum(len(x) for x in errors.values())
    summary = " ".join(general)
    if count:
        noun = "one thing" if count == 1 else f"{count} things"
        summary = f"{summary} Please fix {noun} marked below, then save again.".strip()
    return summary, errors


def _bad_text(values: form.FormValues) -> dict[str, list[str]]:
    """Characters kb refuses (kb.core.text), named next to the field that holds them: the
    check on the whole Markdown would name a line of a file this person never saw."""
    names = [name for name, _ in form.SECTIONS[values.doc_type]]
    items = [(f"m_{key}", form.LABELS[key], value) for key, value in values.fields.items()]
    items += [(f"s_{n}", name, values.sections.get(name, "")) for n, name in enumerate(names)]
    items += [
        (f"r_{n}", f"Steps of the {role}", [role, text])
        for n, (role, text) in enumerate(values.role_steps)
    ]
    errors: dict[str, list[str]] = {}
    for name, label, value in items:
        try:
            for text in value if isinstance(value, list) else [value]:
                check_text(text, label, field=name)
        except ValidationError as exc:
            errors[name] = [exc.message]
    return errors


def _refused(values: form.FormValues, action: str, before: str = "", **context):
    """The form again, with each refused character (or, when saving, an unknown project)
    named at its field; None when all is well."""
    errors = _bad_text(values)
    if not errors and action == "save":
        errors = _registered_project(values, before)
    if not errors:
        return None
    noun = "one thing" if len(errors) == 1 else f"{len(errors)} things"
    error = f"Please fix {noun} marked below, then save again."
    if wants_json():
        return jsonify({"error": error, "fields": errors})
    return _render(values, 400, error=error, errors=errors, **context)


def _registered_project(values: form.FormValues, before: str = "") -> dict[str, list[str]]:
    """The form picks projects from the register: a key or name found there is written as
    its key; anything else is refused with the nearest ones (as every other way of saving
    a document does)."""
    typed = values.fields.get("project", "")
    if not typed or typed == before:
        return {}
    register = projects.list_projects(current().db)
    for project in register:
        if typed.casefold() in (project.key.casefold(), project.name.casefold()):
            values.fields["project"] = project.key
            return {}
    return {"m_project": [projects.unknown_project(typed, register).message]}


def _post(doc_type: str) -> tuple[form.FormValues, str, str]:
    values = form.from_post(doc_type, request.form.getlist)
    note = request.form.get("message", "").strip()[:NOTE_MAX]
    return values, note, request.form.get("action", "save")


def _preview(values: form.FormValues, markdown: str, **context):
    try:
        if not values.fields.get("title"):  # the text can be seen before it has a title
            untitled = replace(values, fields={**values.fields, "title": "Untitled"})
            markdown = form.to_markdown(untitled, context.get("base"))
        prepared = services.preview(markdown, type_hint=values.doc_type)
    except KbError as exc:
        error, errors = _problems(exc, values, markdown)
        if wants_json():
            # 200: the preview worked and its answer is the list of problems (the script
            # shows it in the preview panel, next to the text being typed)
            return jsonify({"error": error, "fields": errors})
        return _render(values, exc.status, error=error, errors=errors, **context)
    if wants_json():
        return jsonify({"html": prepared.rendered.html})
    return _render(values, preview_html=prepared.rendered.html, **context)


def _markdown_page(markdown: str, note: str, **context):
    """'Edit as Markdown': the Markdown editor with what was typed in the form."""
    context["action_url"] = context.pop("markdown_url")
    context.pop("kept", None)
    context["message"] = note
    return _render_form(markdown=markdown, **context)


@bp.route(f"/<{FOLDERS}:folder>/new/form", methods=["GET", "POST"])
@needs(CONTRIBUTOR, what="write documents")
def new_document_form(folder: str):
    context = page_context(folder, "web.new_document_form", markdown_url="web.new_document")
    doc_type = context["doc_type"]
    if request.method == "GET":
        values = form.from_markdown(starter(doc_type), doc_type)
        values.sections = dict.fromkeys(values.sections, "")  # the hints say what goes there
        values.kept_keys = []
        return _render(values, message="", **context)
    values, note, action = _post(doc_type)
    context["message"] = note
    if (refused := _refused(values, action, **context)) is not None:
        return refused
    markdown = form.to_markdown(values)
    if action == "markdown":
        return _markdown_page(markdown, note, **context)
    if action == "preview":
        return _preview(values, markdown, **context)
    try:
        doc = create(markdown, doc_type, note)
    except KbError as exc:
        error, errors = _problems(exc, values, markdown)
        return _render(values, exc.status, error=error, errors=errors, **context)
    return to_document(doc, f"{type_label(doc.type)} {doc.id} created.")


@bp.route(f"/<{FOLDERS}:folder>/<doc_id>/edit/form", methods=["GET", "POST"])
@needs(CONTRIBUTOR, what="change documents")
def edit_document_form(folder: str, doc_id: str):
    doc = document_or_404(folder, doc_id, edit=True)
    db = current().db
    context = page_context(folder, "web.edit_document_form", doc, markdown_url="web.edit_document")
    if request.method == "GET":
        revision = services.get_revision(db, doc.id)
        values = form.from_markdown(revision.markdown, doc.type)
        return _render(values, message="", version=doc.version, **context)
    values, note, action = _post(doc.type)
    context.update(message=note, version=request.form.get("version", ""))
    base = None
    try:
        version = int_arg("version", 0, source=request.form)
        base = services.get_revision(db, doc.id, version) if version >= 1 else None
        if base is None:
            raise ValidationError("The form lost the version you edited; reload the page.")
    except ValidationError as exc:
        return _render(values, exc.status, error=exc.message, **context)
    context.update(version=version, kept=form.from_markdown(base.markdown, doc.type))
    before = context["kept"].fields.get("project", "")
    if (refused := _refused(values, action, before, **context)) is not None:
        return refused
    markdown = form.to_markdown(values, base.markdown)
    if action == "markdown":
        return _markdown_page(markdown, note, **context)
    if action == "preview":
        return _preview(values, markdown, base=base.markdown, **context)
    if markdown == base.markdown and version == doc.version:
        return to_document(doc, f"Nothing changed, so {doc.id} was not saved again.", "info")
    try:
        services.update_document(
            db, doc.id, markdown, base_version=version, actor=viewer().actor, message=note
        )
    except Conflict as exc:
        context["action_url"] = context.pop("markdown_url")
        context.pop("kept", None)
        return _conflict(exc, doc_id=doc.id, base_version=version, markdown=markdown, **context)
    except KbError as exc:
        error, errors = _problems(exc, values, markdown)
        return _render(values, exc.status, error=error, errors=errors, **context)
    return to_document(doc, f"Saved {doc.id}.")
