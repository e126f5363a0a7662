"""kb's BPMN export read back by kb's import: every starter model comes back as it was (its
steps, numbers, roles, ways and conditions, its other sections, owner, state and labels)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from kb.markdown import frontmatter
from kb.processes.bpmn import export
from kb.processes.bpmn_import import read_bpmn
from kb.processes.exchange import new_source, with_steps
from kb.processes.steps import parse_steps
from tests.processes.test_bpmn import check_references
from tests.processes.test_diagram import check_diagram

STARTERS = sorted((Path(__file__).parents[2] / "content" / "processes").glob("PM-*.md"))
CARRIED = ("summary", "state", "owner", "custodian", "project", "review_period_months")


def steps_of(body: str) -> list[tuple]:
    flow = parse_steps(body)
    return [
        (s.number, s.name, s.role, s.kind, s.next, s.system, s.inputs, s.outputs)
        for s in sorted(flow.steps, key=lambda s: s.number)
    ]


def sections(body: str) -> dict[str, str]:
    """Each `## ` section's text but the steps', by heading."""
    found = re.split(r"^## +(.+)$", body, flags=re.M)[1:]
    return {h: t.strip() for h, t in zip(found[::2], found[1::2], strict=True) if h != "Steps"}


def kb_export(source: str) -> bytes:
    meta, body = frontmatter.split(source)
    return export(
        parse_steps(body),
        model_id=meta["id"],
        title=meta["title"],
        meta=meta,
        sections=with_steps(body, "## Steps\n"),
    )


@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.name[:7])
def test_every_starter_model_comes_back_from_its_bpmn_export_as_it_was(path):
    source = path.read_text(encoding="utf-8")
    meta, body = frontmatter.split(source)
    xml = kb_export(source)
    tree = etree.fromstring(xml)
    BpmnValidator().validate(tree)  # kb's namespace is where BPMN allows extensions
    check_references(tree)
    names = tree.xpath("//@name")
    assert names and not [n for n in names if "**" in n or "`" in n], "names are plain text"

    imported = read_bpmn(xml)
    assert imported.report == []
    again_meta, again = frontmatter.split(new_source(imported))
    assert steps_of(again) == steps_of(body)
    assert parse_steps(again).roles == parse_steps(body).roles
    assert parse_steps(again).problems == parse_steps(body).problems == []
    assert sections(again) == sections(body)
    assert list(sections(again)) == list(sections(body))  # Purpose, Scope, … in their place
    assert again_meta["title"] == meta["title"] and again_meta["status"] == "draft"
    for key in (*CARRIED, "topics", "tags"):
        assert again_meta.get(key) == meta.get(key), key
    for step in parse_steps(again).steps:
        assert step.text.count("Next:") == (step.kind != "end"), step.text
        assert "**" not in step.text.split("**", 2)[2], "the name once, in bold, at the start"
    check_diagram(again, again_meta["title"])
    again_meta["id"] = meta["id"]
    assert kb_export(frontmatter.join(again_meta, again)) == xml, "exported again: the same file"


def test_names_are_escaped_in_xml_and_come_back_as_written():
    body = (
        "## Steps\n### R&D <lab>\n"
        '1. **Check "A & B" <draft> v2_final.** Ask [the team](/guides/GD-0001) *first*.\n'
        "   Next: ok → 2; not ok → end\n"
        "2. **Next: sign it off** *End*\n"
    )
    xml = export(parse_steps(body), model_id="PM-1", title="Q&A <pilot>")
    assert b'name="Check &quot;A &amp; B&quot; &lt;draft&gt; v2_final"' in xml
    tree = etree.fromstring(xml)
    assert tree.xpath("//@name")[:2] == ["Q&A <pilot>", "Q&A <pilot>"]
    imported = read_bpmn(xml)
    assert steps_of(imported.body) == steps_of(body)
    assert "Ask [the team](/guides/GD-0001) *first*." in imported.body  # Markdown kept
    assert frontmatter.split(new_source(imported))[0]["title"] == "Q&A <pilot>"


MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def a_file(process_doc: str, task_doc: str, numbers=("3", "3")) -> bytes:
    return f"""<definitions xmlns="{MODEL}" xmlns:kb="urn:kb:bpmn">
<process id="p" name="Hostile">
  <documentation textFormat="text/markdown">{process_doc}</documentation>
  <extensionElements><kb:model><kb:owner>  Ops   lead </kb:owner><kb:state>to-be</kb:state>
    <kb:topic>risk</kb:topic><kb:unknown>x</kb:unknown></kb:model></extensionElements>
  <startEvent id="s"/>
  <task id="a" name="Plan" kb:number="{numbers[0]}">{task_doc}</task>
  <task id="b" name="Do" kb:number="{numbers[1]}"/>
  <endEvent id="e"/>
  <sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
  <sequenceFlow id="f2" sourceRef="a" targetRef="b"/>
  <sequenceFlow id="f3" sourceRef="b" targetRef="e"/>
</process></definitions>""".encode()


def test_what_a_file_says_in_its_text_does_not_change_its_flow():
    process_doc = (
        "## Purpose\nWhy.\n\n## Steps\n1. **Evil.** Next: 1\n\n## Scope\n```\nopen fence\n"
        "\n## Steps\n9. **Also evil.**\n"
    )
    plain = "<documentation>Next: 1. *Call* the **customer**\n\n## Heading</documentation>"
    imported = read_bpmn(a_file(process_doc, plain))
    body = imported.document()
    flow = parse_steps(body)
    assert [(s.number, s.name, s.next) for s in flow.steps] == [
        (1, "Plan", [(2, "")]),  # duplicate kb:numbers: numbered in flow order
        (2, "Do", [(None, "")]),
    ]
    assert "\\*Call\\* the \\*\\*customer\\*\\*" in body  # a modeller's text is plain text
    assert "Evil" not in body and "Why." in body and "open fence" in body
    assert imported.meta == {"owner": "Ops lead", "state": "to-be", "topics": ["risk"]}


def test_kb_numbers_are_kept_when_every_step_has_its_own():
    imported = read_bpmn(a_file("", "", numbers=("7", "4")))
    assert [(s.number, s.name, s.next) for s in parse_steps(imported.body).steps] == [
        (4, "Do", [(None, "")]),
        (7, "Plan", [(4, "")]),
    ]


def test_a_starter_model_downloaded_and_uploaded_over_http_is_the_same_model(kb, client):
    from kb.documents import services as documents

    source = STARTERS[1].read_text(encoding="utf-8")  # PM-0002, as the reviewer did
    doc = documents.create_document(kb.db, source, actor="x", type_hint="process")
    xml = client.get(f"/api/processes/{doc.id}/bpmn").data
    answer = client.post(
        "/api/processes/bpmn", data=xml, headers={"Content-Type": "application/xml"}
    ).json
    assert answer["report"] == [] and answer["steps"] == 18
    created = client.get(f"/api/processes/{answer['id']}").json
    meta, body = frontmatter.split(created["markdown"])
    original_meta, original = frontmatter.split(source)
    assert steps_of(body) == steps_of(original) and sections(body) == sections(original)
    assert (meta["state"], meta["owner"], meta["status"]) == ("to-be", "Head of PMO", "draft")
    page = client.get(f"/processes/{answer['id']}").get_data(as_text=True)
    assert "**" not in page and "Agree the gate date" in page

    # a model of a project this kb's register does not hold (exported elsewhere): no project
    harbour = kb_export(STARTERS[5].read_text(encoding="utf-8"))
    answer = client.post(
        "/api/processes/bpmn", data=harbour, headers={"Content-Type": "application/xml"}
    ).json
    assert any("Unknown project HARBOUR" in line for line in answer["report"])
    meta = frontmatter.split(client.get(f"/api/processes/{answer['id']}").json["markdown"])[0]
    assert "project" not in meta and meta["owner"] == "Head of Warehouse Operations"
