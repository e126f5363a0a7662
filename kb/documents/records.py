"""Markdown + front matter -> a validated Record (the fields kb keeps as columns).

Validation collects every problem so a person can fix a file in one go; nothing is written
until a Record exists.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kb.core.errors import TooLarge, ValidationError
from kb.core.text import RULE, bad_character_in, check_text, describe
from kb.documents import vocabulary as v
from kb.documents.kinds import BY_NAME, NAMES
from kb.markdown import MAX_DOCUMENT_BYTES, frontmatter

#: canonical key order when kb writes front matter itself (JSON API field mode)
FIELD_ORDER = {
    "lesson": [
        "id",
        "title",
        "status",
        "polarity",
        "priority",
        "project",
        "phase",
        "topics",
        "tags",
        "occurred_on",
        "author",
        "visibility",
        "groups",
    ],
    "process": [
        "id",
        "title",
        "summary",
        "status",
        "version",
        "state",
        "owner",
        "custodian",
        "expert",
        "approvers",
        "project",
        "roles",
        "review_period_months",
        "last_reviewed",
        "topics",
        "tags",
        "visibility",
        "groups",
    ],
    "guide": [
        "id",
        "title",
        "summary",
        "status",
        "order",
        "topics",
        "tags",
        "visibility",
        "groups",
    ],
    "term": [
        "id",
        "title",
        "summary",
        "status",
        "aliases",
        "related",
        "topics",
        "tags",
        "visibility",
        "groups",
    ],
}
#: every front matter key kb reads itself (others are kept as `extra`)
KNOWN_KEYS = {"type", "updated"}.union(*FIELD_ORDER.values())
#: a glossary term's other names and the terms it relates to: lists kept in `extra`
TERM_LISTS = ("aliases", "related")
TITLE_MAX = 200


@dataclass
class Record:
    type: str
    id: str | None
    markdown: str
    body: str
    columns: dict[str, Any]
    topics: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    #: groups a restricted document is shown to
    groups: list[str] = field(default_factory=list)
    project_key: str | None = None
    project_name: str | None = None
    #: the `updated:` day: when a person last changed the file (before it came to kb)
    updated_on: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: the front matter as parsed, so that adding the id does not parse it again
    meta: dict[str, Any] = field(default_factory=dict, repr=False)


def as_day(value: Any) -> date | None:
    """A front matter value as a day: a date, a datetime's day or YYYY-MM-DD; None when
    empty. ValueError for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def clean_text(value: str) -> str:
    """Single-line user text: no control characters, collapsed whitespace."""
    if not value.isprintable():  # every control character (category C*) is unprintable
        value = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C" or ch == " ")
    return re.sub(r"\s+", " ", value).strip()


def project_ref(value: str) -> tuple[str, str | None]:
    """`ATLAS` is a key; `Atlas ERP Upgrade` is a name whose key kb derives (ATLAS-ERP-UPGRADE)."""
    value = clean_text(value)
    if v.PROJECT_KEY.match(value):
        return value, None
    ascii_name = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    key = re.sub(r"[^A-Z0-9]+", "-", ascii_name.upper()).strip("-")[:32].strip("-")
    if not key or not key[0].isalpha():
        key = ("P-" + key)[:32].strip("-")
    return key, value


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(x) for k, x in value.items()}
    if isinstance(value, list):
        return [_jsonable(x) for x in value]
    return value


class _Checker:
    def __init__(self, meta: dict):
        self.meta = meta
        self.problems: list[dict[str, str]] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append({"field": key, "message": message})

    def text(self, key: str, *, required=False, limit=200) -> str | None:
        value = self.meta.get(key)
        if value is None or value == "":
            if required:
                self.fail(key, f"`{key}` is required.")
            return None
        if isinstance(value, bool | list | dict):
            self.fail(key, f"`{key}` must be text.")
            return None
        value = clean_text(str(value))
        if not value:  # only spaces or invisible characters: as good as absent
            if required:
                self.fail(key, f"`{key}` is required and may not be blank.")
            return None
        if len(value) > limit:
            self.fail(key, f"`{key}` is {len(value)} characters long; the limit is {limit}.")
            return None
        return value

    def choice(self, key: str, choices, default=None, aliases=None) -> str | None:
        value = self.text(key)
        if value is None:
            return default
        value = value.lower()
        value = (aliases or {}).get(value, value)
        if value not in choices:
            self.fail(key, f"`{key}` is '{value}'; it must be one of: {', '.join(choices)}.")
            return default
        return value

    def day(self, key: str) -> date | None:
        value = self.meta.get(key)
        try:
            return as_day(value)
        except ValueError:
            self.fail(key, f"`{key}` is '{value}'; write a date as YYYY-MM-DD, e.g. 2025-03-14.")
            return None

    def number(self, key: str, low: int, high: int, default=None) -> int | None:
        value = self.meta.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.fail(key, f"`{key}` must be a whole number.")
            return default
        try:
            number = int(value)
        except ValueError:
            self.fail(key, f"`{key}` is '{value}'; it must be a whole number.")
            return default
        if not low <= number <= high:
            self.fail(key, f"`{key}` is {number}; it must be between {low} and {high}.")
            return default
        return number

    def strings(self, key: str) -> list[str]:
        value = self.meta.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            value = [part for part in value.split(",")]
        if not isinstance(value, list) or any(isinstance(x, dict | list) for x in value):
            self.fail(key, f"`{key}` must be a list, e.g. {key}: [one, two].")
            return []
        return [clean_text(str(x)) for x in value if clean_text(str(x))]


def parse_record(source: str, *, type_hint: str | None = None) -> Record:
    """Validate one document's Markdown source (front matter + body)."""
    size = len(source.encode("utf-8", "surrogatepass"))  # a lone surrogate: refused below
    if size > MAX_DOCUMENT_BYTES:
        raise TooLarge(
            f"The document is {size // 1024} KB; the limit is {MAX_DOCUMENT_BYTES // 1024} KB."
        )
    check_text(source, "The document", field="markdown")
    meta, body = frontmatter.split(source)
    c = _Checker(meta)
    doc_type = c.choice("type", NAMES) if "type" in meta else type_hint
    if c.problems:
        raise ValidationError(c.problems[0]["message"], field="type")
    if doc_type not in NAMES:
        raise ValidationError(
            "Say what this document is: add `type: lesson`, `type: process`, `type: guide` "
            "or `type: term` to its front matter.",
            field="type",
        )
    doc_id = c.text("id", limit=32)
    if doc_id is not None and not BY_NAME[doc_type].id_pattern.match(doc_id):
        c.fail(
            "id",
            f"`id` is '{doc_id}'; a {doc_type} id looks like {BY_NAME[doc_type].id_example}.",
        )
    cols: dict[str, Any] = {"title": c.text("title", required=True, limit=TITLE_MAX)}
    cols["status"] = c.choice("status", BY_NAME[doc_type].statuses, default="draft")
    cols["summary"] = c.text("summary", limit=1000) or ""
    cols["visibility"] = c.choice("visibility", v.VISIBILITIES, default="internal")
    groups = _groups(c)
    topics, tags = _labels(c, doc_type)
    updated_on = c.day("updated")
    project_key = project_name = None
    governance: dict[str, Any] = {}
    if (project := c.text("project", limit=200)) is not None:
        project_key, project_name = project_ref(project)
    if doc_type == "lesson":
        cols["polarity"] = c.choice("polarity", v.POLARITIES, default="problem")
        priority_key = "priority" if "priority" in meta else "impact"
        cols["priority"] = c.choice(priority_key, v.PRIORITIES, default="medium")
        cols["phase"] = c.choice("phase", v.PHASES, aliases=v.PHASE_ALIASES)
        cols["occurred_on"] = c.day("occurred_on" if "occurred_on" in meta else "date")
        cols["author"] = c.text("author", limit=120)
    elif doc_type == "process":
        cols["model_version"] = c.text("version", limit=32) or "1.0"
        cols["state"] = c.choice("state", v.PROCESS_STATES, default="as-is")
        cols["owner"] = c.text("owner", limit=120)
        cols["custodian"] = c.text("custodian", limit=120)
        cols["review_period_months"] = c.number("review_period_months", 1, 60, default=12)
        cols["last_reviewed"] = c.day("last_reviewed")
        cols["phase"] = c.choice("phase", v.PHASES, aliases=v.PHASE_ALIASES)
        c.strings("roles")
        # `expert:` one name or a list of them (names, usernames or e-mail addresses)
        expert = c.strings("expert") if isinstance(meta.get("expert"), list) else None
        expert = expert if expert is not None else c.text("expert", limit=120)
        governance = {"expert": expert, "approvers": _approvers(c)}
    elif doc_type == "guide":
        cols["reading_order"] = c.number("order", 0, 10_000)
    term_lists = {
        key: _term_list(c, key) for key in TERM_LISTS if doc_type == "term" and key in meta
    }
    if c.problems:
        raise ValidationError(
            " ".join(p["message"] for p in c.problems),
            field=c.problems[0]["field"],
            details={"problems": c.problems},
        )
    extra = {k: _jsonable(x) for k, x in meta.items() if k not in KNOWN_KEYS}
    # kept as they are (not cleaned like the known keys), so the character rule applies to
    # what a YAML escape such as "\0" or "\e" produced
    if (found := bad_character_in(extra)) is not None:
        raise ValidationError(
            f"Front matter holds the character {describe(found[1])} in a value or key: {RULE}.",
            field="front_matter",
        )
    if "roles" in meta:
        extra["roles"] = c.strings("roles")
    # a process model's expert and approvers (kb.processes.governance), kept with the front
    # matter kb does not model, as written but cleaned
    extra.update({k: x for k, x in governance.items() if k in meta and x is not None})
    extra.update(term_lists)
    try:  # .nan and .inf are YAML floats, but not JSON: PostgreSQL's JSON refuses them
        json.dumps(extra, allow_nan=False)
    except (TypeError, ValueError):
        raise ValidationError(
            "Front matter holds a value kb cannot keep: .nan and .inf are not numbers kb "
            "stores; put them in quotes if they are text.",
            field="front_matter",
        ) from None
    return Record(
        type=doc_type,
        id=doc_id,
        markdown=source,
        body=body,
        columns=cols,
        topics=topics,
        tags=tags,
        groups=groups,
        project_key=project_key,
        project_name=project_name,
        extra=extra,
        meta=meta,
        updated_on=updated_on,
    )


def _term_list(c: _Checker, key: str) -> list[str]:
    """A term's aliases or related terms: at most 20 names of at most 100 characters."""
    names = c.strings(key)
    if len(names) > 20 or any(len(name) > 100 for name in names):
        c.fail(key, f"`{key}` holds at most 20 names of at most 100 characters each.")
    return names


def _names(c: _Checker, key: str, pattern: re.Pattern, rule: str, *, ordered=False) -> list[str]:
    """The values of `key` (groups, tags, approvers) lower-cased, once each, sorted (or in the
    order written); one that does not match `pattern` is a problem that says the `rule`."""
    names: dict[str, None] = {}
    for raw in c.strings(key):
        name = raw.lower()
        if pattern.match(name):
            names[name] = None
        else:
            c.fail(key, f"{key[:-1].capitalize()} '{raw}' may use only {rule}.")
    return list(names) if ordered else sorted(names)


def _groups(c: _Checker) -> list[str]:
    return _names(c, "groups", v.GROUP, "letters, digits, spaces and - . _ (at most 64 characters)")


def _approvers(c: _Checker) -> list[str]:
    """`approvers: [owen.price, finance]`: kb usernames or group names, in the order written."""
    rule = "letters, digits, spaces and - . _ (a kb username or group)"
    return _names(c, "approvers", v.GROUP, rule, ordered=True)


def _labels(c: _Checker, doc_type: str) -> tuple[list[str], list[str]]:
    topics: set[str] = set()
    raw_topics = c.strings("topics") + c.strings("category")
    for raw in raw_topics:
        name = raw.lower()
        name = v.TOPIC_ALIASES.get(name, name)
        if name in v.TOPICS:
            topics.add(name)
        elif "topics" in c.meta and raw in c.strings("topics"):
            c.fail("topics", f"Topic '{raw}' is not one of: {', '.join(v.TOPICS)}.")
    tags = _names(c, "tags", v.TAG, "letters, digits, spaces and - . _ + (at most 63 characters)")
    return sorted(topics), tags


def source_from_fields(doc_type: str, data: dict[str, Any], body: str) -> str:
    """Build Markdown from JSON fields (API field mode) in the canonical key order."""
    if doc_type not in NAMES:
        raise ValidationError(f"Unknown document type '{doc_type}'.", field="type")
    unknown = set(data) - set(FIELD_ORDER[doc_type]) - {"extra"}
    if unknown:
        raise ValidationError(
            f"Unknown field(s) for a {doc_type}: {', '.join(sorted(unknown))}.",
            field=sorted(unknown)[0],
        )
    meta = {k: data[k] for k in FIELD_ORDER[doc_type] if data.get(k) not in (None, "", [])}
    extra = data.get("extra") or {}
    if not isinstance(extra, dict):
        raise ValidationError("`extra` must be an object.", field="extra")
    meta.update({k: x for k, x in extra.items() if k not in KNOWN_KEYS})
    return frontmatter.join(meta, body or "")
