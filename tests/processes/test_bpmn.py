"""BPMN 2.0 export, checked by an independent reader: the BPMN 2.0 XML Schema as bundled with
SpiffWorkflow (its BpmnValidator), and the references inside the file resolved with lxml."""

from __future__ import annotations

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from kb.processes.bpmn import BPMN, BPMNDI, DC, DI, export
from kb.processes.steps import parse_steps
from tests.processes.test_diagram import GOODS_IN, generated

NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI}


def exported(markdown: str, model_id: str = "PM-0006", title: str = "Goods receipt"):
    xml = export(parse_steps(markdown), model_id=model_id, title=title)
    assert xml.startswith(b"<?xml")
    tree = etree.fromstring(xml)
    BpmnValidator().validate(tree)  # raises when the document breaks the BPMN 2.0 schema
    return tree


def ids(tree, path: str) -> list[str]:
    return [e.get("id") for e in tree.xpath(path, namespaces=NS)]


def check_references(tree) -> None:
    every_id = set(tree.xpath("//@id"))
    for flow in tree.xpath("//bpmn:sequenceFlow", namespaces=NS):
        assert {flow.get("sourceRef"), flow.get("targetRef")} <= every_id
    for ref in tree.xpath("//bpmn:flowNodeRef/text()", namespaces=NS):
        assert ref in every_id
    drawn = set(
        tree.xpath(
            "//bpmndi:BPMNShape/@bpmnElement | //bpmndi:BPMNEdge/@bpmnElement", namespaces=NS
        )
    )
    nodes = tree.xpath("//bpmn:process/*[not(self::bpmn:laneSet)]/@id", namespaces=NS)
    assert set(nodes) <= drawn, "every element has its place in the diagram"
    for edge in tree.xpath("//bpmndi:BPMNEdge", namespaces=NS):
        assert len(edge.xpath("di:waypoint", namespaces=NS)) >= 2
    in_lanes = tree.xpath("//bpmn:flowNodeRef/text()", namespaces=NS)
    assert sorted(in_lanes) == sorted(n for n in nodes if not n.startswith("Flow_"))


def test_a_model_becomes_bpmn_with_lanes_tasks_gateways_events_and_named_flows():
    tree = exported(GOODS_IN)
    check_references(tree)
    lanes = tree.xpath("//bpmn:lane/@name", namespaces=NS)
    assert lanes == ["Transport Clerk", "Goods-in Operative"]
    tasks = tree.xpath("//bpmn:task/@name", namespaces=NS)
    assert "Check the vehicle in" in tasks and len(tasks) == 4
    assert tree.xpath("//bpmn:exclusiveGateway/@name", namespaces=NS) == [
        "ASN on the paperwork?",
        "Damaged?",
    ]
    assert len(ids(tree, "//bpmn:startEvent")) == 1 and len(ids(tree, "//bpmn:endEvent")) == 1
    named = {f.get("name") for f in tree.xpath("//bpmn:sequenceFlow[@name]", namespaces=NS)}
    assert named == {"yes", "no"}
    assert tree.xpath("//bpmn:participant/@name", namespaces=NS) == ["Goods receipt"]


def test_several_next_steps_at_once_split_through_a_parallel_gateway():
    tree = exported(
        "## Steps\n### A\n1. **Plan.** Next: 2, 3\n2. **Build.** Next: end\n"
        "### B\n3. **Test.** Next: end\n"
    )
    check_references(tree)
    split = tree.xpath("//bpmn:parallelGateway", namespaces=NS)
    assert len(split) == 1
    outgoing = tree.xpath("//bpmn:sequenceFlow[@sourceRef=$g]", g=split[0].get("id"), namespaces=NS)
    assert sorted(f.get("targetRef") for f in outgoing) == ["Activity_2", "Activity_3"]


@pytest.mark.parametrize("seed", range(3))
def test_a_30_step_model_exports_valid_bpmn(seed):
    check_references(exported(generated(30, 6, seed)))


def test_names_and_documentation_are_text_never_markup():
    tree = exported('## Steps\n### <Ops & "Co">\n1. **<script>x</script> & more.**\n')
    assert tree.xpath("//bpmn:lane/@name", namespaces=NS) == ['<Ops & "Co">']
    assert tree.xpath("//bpmn:task/@name", namespaces=NS) == ["<script>x</script> & more"]
    assert not tree.xpath("//script")
