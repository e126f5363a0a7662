"""The form <-> Markdown mapping: what is not changed stays as written, what is typed lands in
the right key or section, and the result is what kb's parser accepts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kb.documents import form
from kb.documents.kinds import BY_FOLDER
from kb.documents.records import parse_record
from kb.markdown import frontmatter

CONTENT = Path(__file__).resolve().parents[2] / "content"
STARTERS = [
    (BY_FOLDER[p.parent.name].name, p)
    for folder in ("lessons", "processes", "guides")
    for p in sorted((CONTENT / folder).glob("*.md"))
]


def posted(values: form.FormValues):
    """What a browser posts for the form as kb filled it in (lists as comma-separated text)."""
    names = [name for name, _ in form.SECTIONS[values.doc_type]]

    def getlist(key: str) -> list[str]:
        if key.startswith("m_"):
            value = values.fields[key[2:]]
            return [", ".join(value)] if isinstance(value, list) else [value]
        if key.startswith(("rn_", "r_")):
            number = int(key.rsplit("_", 1)[1])
            if number >= len(values.role_steps):
                return []
            name, text = values.role_steps[number]
            return [name if key.startswith("rn_") else text.replace("\n", "\r\n")]
        return [values.sections.get(names[int(key[2:])], "").replace("\n", "\r\n")]

    return form.from_post(values.doc_type, getlist)


def edit(source: str, doc_type: str, **changes) -> str:
    values = form.from_markdown(source, doc_type)
    values.fields.update({k: v for k, v in changes.items() if k in values.fields})
    values.sections.update({k: v for k, v in changes.items() if k in values.sections})
    return form.to_markdown(posted(values), source)


@pytest.mark.parametrize(("doc_type", "path"), STARTERS, ids=lambda x: getattr(x, "name", x))
def test_every_starter_document_round_trips_byte_for_byte(doc_type, path):
    source = path.read_text(encoding="utf-8")
    assert form.to_markdown(posted(form.from_markdown(source, doc_type)), source) == source


def test_unknown_keys_other_sections_and_preamble_are_kept():
    source = (
        "---\ntitle: Old\n# a comment kb keeps\nrisk_id: R-17\npriority: high\n"
        "custom: {a: [1, 2]}\n---\n\nIntro text before any section.\n\n## Summary\n\nShort.\n\n"
        "## Notes from the workshop\n\nKeep me.\n\n```\n## not a heading\n```\n"
    )
    values = form.from_markdown(source, "lesson")
    assert values.kept_keys == ["risk_id", "custom"]
    assert values.kept_sections == ["Notes from the workshop"] and values.has_preamble
    out = edit(source, "lesson", title="New title", Summary="Longer summary.")
    meta, body = frontmatter.split(out)
    assert meta["title"] == "New title" and meta["risk_id"] == "R-17"
    assert meta["custom"] == {"a": [1, 2]} and "# a comment kb keeps" in out  # in place
    assert "Intro text before any section." in body and "Keep me." in body
    assert "## not a heading" in body and "Longer summary." in body and "Short." not in body
    out = edit(source, "lesson", tags=["vendor", "uat"], phase="testing")
    meta, _ = frontmatter.split(out)
    assert meta["tags"] == ["vendor", "uat"] and meta["risk_id"] == "R-17"
    assert meta["custom"] == {"a": [1, 2]} and list(meta)[:2] == ["title", "risk_id"]


def test_a_new_lesson_from_fields_only_is_valid_and_canonical():
    values = form.from_markdown("", "lesson")
    values.fields.update(
        title="Vendor missed the interface date",
        polarity="problem",
        priority="high",
        project="ATLAS",
        phase="build",
        occurred_on="2025-04-02",
        topics=["procurement", "risk"],
        tags=["vendor"],
    )
    values.sections.update(
        {"Summary": "Dates slipped.", "Recommendation": "Put it in the contract."}
    )
    source = form.to_markdown(posted(values))
    record = parse_record(source, type_hint="lesson")
    assert record.columns["occurred_on"] == date(2025, 4, 2) and record.project_key == "ATLAS"
    assert record.topics == ["procurement", "risk"] and record.tags == ["vendor"]
    assert "occurred_on: 2025-04-02\n" in source  # a date, not quoted text
    assert source.index("## Summary") < source.index("## Recommendation")
    assert "## Impact" not in source  # empty sections are not written


def test_a_section_the_document_lacks_goes_in_its_place():
    source = "---\ntitle: T\n---\n\n## Summary\nS.\n\n## Lesson\nL.\n"
    out = edit(source, "lesson", Impact="Two weeks lost.")
    assert (
        out
        == "---\ntitle: T\n---\n\n## Summary\nS.\n\n## Impact\n\nTwo weeks lost.\n\n## Lesson\nL.\n"
    )
    out = edit(source, "lesson", Evidence="Minutes of 3 May.")
    assert out.endswith("## Lesson\nL.\n\n## Evidence\n\nMinutes of 3 May.\n")


def test_cleared_fields_are_removed_and_aliases_edited_where_they_are():
    source = "---\ntitle: T\nimpact: high\ndate: 2024-05-01\nauthor: Ann\n---\n\nText\n"
    values = form.from_markdown(source, "lesson")
    assert values.fields["priority"] == "high" and values.fields["occurred_on"] == "2024-05-01"
    out = edit(source, "lesson", priority="low", author="")
    meta, _ = frontmatter.split(out)
    assert meta == {"title": "T", "impact": "low", "date": date(2024, 5, 1)}


def test_list_order_and_spelling_of_unchanged_lists_are_kept():
    source = "---\ntitle: T\ntopics: [risk, cost]\ntags: vendor, uat\n---\n"
    assert edit(source, "lesson", topics=["cost", "risk"]) == source
    out = edit(source, "lesson", topics=["cost", "quality", "risk"])
    assert frontmatter.split(out)[0]["topics"] == ["risk", "cost", "quality"]


def test_process_and_guide_fields():
    source = (CONTENT / "processes").glob("PM-0002*.md").__next__().read_text(encoding="utf-8")
    out = edit(source, "process", version="3.2", review_period_months="6", Scope="Every project.")
    meta, body = frontmatter.split(out)
    assert meta["version"] == "3.2" and meta["review_period_months"] == 6
    assert "## Scope\nEvery project.\n\n## Steps" in body and "### Project Manager" in body
    guide = "---\ntitle: G\norder: 2\n---\n\nRead this first.\n"
    assert edit(guide, "guide", order="3").startswith("---\ntitle: G\norder: 3\n---\n")
    assert edit(guide, "guide", Text="Read that first.").endswith("\nRead that first.\n")


def test_messages_name_fields_in_plain_words():
    assert form.plain("`title` is required.", "lesson") == "Title is required."
    message = "`occurred_on` is '2025-13-01'; write a date as YYYY-MM-DD, e.g. 2025-03-14."
    assert form.plain(message, "lesson").startswith("When it happened is '2025-13-01'")
    assert form.field_of("impact", "lesson") == "priority"
    assert form.field_of("front_matter", "lesson") is None


def test_process_steps_are_one_text_per_role():
    source = (
        "---\ntitle: P\nroles: [Project Manager, Sponsor]\n---\n\n## Purpose\nWhy.\n\n## Steps\n"
        "Before anything: read PM-0001.\n\n### Project Manager\n1. Plan.\n2. Report.\n\n"
        "### Sponsor\n1. Decide.\n\n## Exceptions\nNone.\n"
    )
    values = form.from_markdown(source, "process")
    assert values.sections["Steps"] == "Before anything: read PM-0001."
    assert values.role_steps == [
        ("Project Manager", "1. Plan.\n2. Report."),
        ("Sponsor", "1. Decide."),
    ]
    values = posted(values)
    values.role_steps[1] = ("Sponsor", "1. Decide.\n2. Sign.")
    values.fields["roles"] = ["Project Manager", "Sponsor", "PMO Analyst"]
    values.role_steps.append(("PMO Analyst", "1. Check."))
    out = form.to_markdown(values, source)
    assert values.sections["Steps"] == "Before anything: read PM-0001."  # shown again as typed
    _, body = frontmatter.split(out)
    assert body == (
        "\n## Purpose\nWhy.\n\n## Steps\nBefore anything: read PM-0001.\n\n### Project Manager\n"
        "1. Plan.\n2. Report.\n\n### Sponsor\n1. Decide.\n2. Sign.\n\n### PMO Analyst\n1. Check.\n\n"
        "## Exceptions\nNone.\n"
    )
    # a role named in the front matter without steps gets an empty box, and writes nothing
    values = form.from_markdown(
        out.replace("PMO Analyst]", "PMO Analyst, Gate Reviewer]"), "process"
    )
    assert values.role_steps[-1] == ("Gate Reviewer", "")
    assert "### Gate Reviewer" not in form.to_markdown(posted(values), out)


@pytest.mark.parametrize(("doc_type", "path"), STARTERS[::7], ids=lambda x: getattr(x, "name", x))
def test_a_file_with_crlf_line_ends_round_trips_too(doc_type, path):
    source = path.read_text(encoding="utf-8").replace("\n", "\r\n")
    assert form.to_markdown(posted(form.from_markdown(source, doc_type)), source) == source
    values = form.from_markdown(source, doc_type)
    assert all("\r" not in text for text in values.sections.values())
