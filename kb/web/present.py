"""How values look on the pages: dates, labels, links between documents, which part of the
navigation is current. Jinja filters and globals only."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import Flask, request
from markupsafe import Markup, escape

from kb.documents.kinds import BY_FOLDER, BY_NAME, KINDS
from kb.web.urls import page_url

#: the header navigation: (endpoint, keyword arguments, label)
NAV = (
    ("web.start_page", {}, "Onboarding"),
    ("web.list_documents", {"folder": "lessons"}, BY_FOLDER["lessons"].section),
    ("web.list_documents", {"folder": "processes"}, BY_FOLDER["processes"].section),
    ("web.list_projects", {}, "Projects"),
    ("web.actions_page", {}, "Actions"),
    ("web.list_documents", {"folder": "guides"}, BY_FOLDER["guides"].section),
    ("web.list_documents", {"folder": "glossary"}, BY_FOLDER["glossary"].section),
)
POLARITY_LABELS = {"problem": "To improve", "success": "Went well"}
FILTER_LABELS = {
    "type": "Type",
    "topic": "Topic",
    "phase": "Phase",
    "project": "Project",
    "tag": "Tag",
    "status": "Status",
    "polarity": "Impact",
}


def day(value: date | datetime | None) -> str:
    """14 Mar 2025 — unambiguous in every locale the PMO works with."""
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}"


def iso_day(value: date | datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def duration(minutes: int) -> str:
    """45 min; 2 h; 3 h 15 min — an estimate as people say it: past an hour, to the
    nearest quarter."""
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(round(minutes / 15) * 15, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def humanise(value: str | None) -> str:
    """in_review -> In review; as-is stays as-is."""
    if not value:
        return ""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


def type_label(doc_type: str) -> str:
    return BY_NAME[doc_type].label if doc_type in BY_NAME else humanise(doc_type)


def filter_value_label(key: str, value: str) -> str:
    if key == "type":
        return type_label(value)
    if key == "polarity":
        return POLARITY_LABELS.get(value, humanise(value))
    if key in ("project", "tag"):
        return value
    return humanise(value)


NOUNS = {
    **{kind.name: (kind.singular, kind.plural) for kind in KINDS},
    "project": ("project", "projects"),
    "result": ("result", "results"),
    "revision": ("revision", "revisions"),
}


def count(number: int, noun: str) -> str:
    """count(1, "lesson") -> "1 lesson"; count(3, "process") -> "3 process models"."""
    one, many = NOUNS.get(noun, (noun, noun + "s"))
    return f"{number:,} {one if number == 1 else many}"


_QUOTED = re.compile(r"`([^`\n]{1,200})`")


def message(text: str | None) -> Markup:
    """A domain error's message for a page: kb's messages quote names `like this` (plain
    text for the API and the terminal); on a page the quoted name is set as code instead
    of showing the backticks. Escaped first, so nothing in the message becomes markup."""
    return Markup(_QUOTED.sub(r"<code>\1</code>", str(escape(text or ""))))


def document_url(doc_type: str, doc_id: str, **kwargs) -> str:
    return page_url("web.document", folder=BY_NAME[doc_type].folder, doc_id=doc_id, **kwargs)


#: pages that belong to a section of the navigation without being its first page
SECTION_OF = {
    "web.project": "web.list_projects",
    "web.list_paths": "web.start_page",
    "web.path_page": "web.start_page",
}


def nav_current(endpoint: str, args: dict) -> str | None:
    """aria-current for a navigation link: "page" on the page itself, "true" inside its section."""
    here = request.endpoint or ""
    if here == "web.document" and request.args.get("path"):  # a step of an onboarding path
        return "true" if endpoint == "web.start_page" else None
    folder = (request.view_args or {}).get("folder")
    if args.get("folder"):
        if folder != args["folder"]:
            return None
        return "page" if here == endpoint else "true"
    if here == endpoint:
        return "page"
    return "true" if SECTION_OF.get(here) == endpoint else None


def init_app(app: Flask) -> None:
    app.add_template_filter(day, "day")
    app.add_template_filter(iso_day, "iso_day")
    app.add_template_filter(humanise, "humanise")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(type_label, "type_label")
    app.add_template_filter(message, "message")
    app.add_template_global(filter_value_label)
    app.add_template_global(document_url)
    app.add_template_global(nav_current)
    app.add_template_global(count)
    app.context_processor(lambda: {"today": date.today()})
    app.add_template_global(NAV, "NAV")
    app.add_template_global(BY_FOLDER, "KINDS_BY_FOLDER")
    app.add_template_global(FILTER_LABELS, "FILTER_LABELS")
    app.add_template_global(POLARITY_LABELS, "POLARITY_LABELS")
