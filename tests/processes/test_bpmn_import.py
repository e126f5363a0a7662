"""BPMN files as modellers write them -> kb's steps; kb's export read back; hostile XML."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.core.errors import TooLarge, ValidationError
from kb.processes.bpmn import export
from kb.processes.bpmn_import import MAX_BYTES, read_bpmn
from kb.processes.steps import DECISION, END, START, parse_steps
from tests.processes.test_bpmn import NS, exported
from tests.processes.test_diagram import GOODS_IN, check_diagram, generated

FILES = Path(__file__).parent / "bpmn"


@pytest.mark.parametrize("name", ["camunda-invoice.bpmn", "bpmn2-prefix-invoice.bpmn"])
def test_a_camunda_modeler_file_with_nested_lanes_and_extensions(name):
    imported = read_bpmn((FILES / name).read_bytes())
    assert imported.title == "Supplier invoice approval"  # the pool's name
    assert imported.roles == ["Team Assistant", "Approver", "Accounting / Accounts Payable"]
    flow = parse_steps(imported.body)
    assert flow.problems == []
    steps = {s.name: s for s in flow.steps}
    assert steps["Invoice received"].kind == START
    assert steps["Invoice processed"].kind == END
    assert (
        steps["Prepare Bank Transfer"].role == "Accounting / Accounts Payable"
    )  # name on one line
    approved = steps["Invoice approved?"]
    assert approved.kind == DECISION
    by_number = flow.by_number()
    assert {(by_number[t].name, label) for t, label in approved.next} == {
        ("Review Invoice", "no"),
        ("Prepare Bank Transfer", "yes"),
        ("Archive Invoice", "yes"),
    }  # through the parallel gateway
    assert "Approve the invoice (or not)." in steps["Approve Invoice"].text
    report = " ".join(imported.report)
    assert "Message flows" in report and "1 boundary event not kept" in report
    assert "Flow_escalate" in report  # the boundary event's way out is named, not dropped silently
    check_diagram(imported.body, imported.title)


def test_a_signavio_file_in_the_default_namespace():
    imported = read_bpmn((FILES / "signavio-default-ns.bpmn").read_bytes())
    assert imported.title == "Change request handling"
    assert imported.roles == ["Project Manager", "Change Board", "Project Team"]
    flow = parse_steps(imported.body)
    assert flow.problems == []
    names = [s.name for s in flow.steps]
    assert names[:3] == [
        "Log the change request",
        "Assess impact on scope, time and cost",
        "Decide on the change",
    ]
    implement = next(s for s in flow.steps if s.name == "Implement the change")
    assert implement.next == [(None, "")]  # an unnamed end event: the flow's end
    assert "1 data object not kept." in imported.report
    check_diagram(imported.body, imported.title)


@pytest.mark.parametrize("markdown", [GOODS_IN, generated(30, 6, 3)], ids=["goods-in", "30 steps"])
def test_export_then_import_then_export_keeps_tasks_lanes_flows_and_names(markdown):
    first = exported(markdown)
    again = exported(read_bpmn(export(parse_steps(markdown), model_id="PM-1", title="t")).body)

    def shape(tree):
        names = {
            e.get("id"): e.get("name") or ""
            for e in tree.xpath("//bpmn:process/*[@id]", namespaces=NS)
        }
        flows = sorted(
            (names.get(f.get("sourceRef")), names.get(f.get("targetRef")), f.get("name"))
            for f in tree.xpath("//bpmn:sequenceFlow", namespaces=NS)
        )
        lanes = {
            lane.get("name"): sorted(
                names[r] for r in lane.xpath("bpmn:flowNodeRef/text()", namespaces=NS)
            )
            for lane in tree.xpath("//bpmn:lane", namespaces=NS)
        }
        tasks = sorted(tree.xpath("//bpmn:task/@name", namespaces=NS))
        return tasks, lanes, flows

    assert shape(again) == shape(first)


def test_names_with_markdown_characters_come_back_as_written():
    bpmn = export(
        parse_steps("## Steps\n### R&D *core*\n1. **Check [draft] v2_final.**\n"),
        model_id="PM-1",
        title="t",
    )
    flow = parse_steps(read_bpmn(bpmn).body)
    assert [s.name for s in flow.steps] == ["Check [draft] v2_final"]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p"><task id="t" name="&lol3;"/></process></definitions>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p"><task id="t" name="&x;"/></process></definitions>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BILLION_LAUGHS, "declares a DTD, entities or external references"),
        (EXTERNAL, "declares a DTD, entities or external references"),
        (b"<definitions", "not well-formed XML"),
        (b"<html><body>hi</body></html>", "not a BPMN 2.0 file"),
        (b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>', "no process"),
    ],
    ids=["billion laughs", "external entity", "broken", "not bpmn", "empty"],
)
def test_hostile_or_wrong_files_get_a_clear_refusal(data, message):
    with pytest.raises(ValidationError, match=message) as refused:
        read_bpmn(data)
    assert "passwd" not in str(refused.value) and "lollol" not in str(refused.value)


def test_a_file_above_the_limit_is_refused_before_it_is_parsed():
    data = b"<definitions>" + b" " * MAX_BYTES + b"</definitions>"
    with pytest.raises(TooLarge, match="the limit is 5 MB"):
        read_bpmn(data)
