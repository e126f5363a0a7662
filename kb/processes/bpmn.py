"""A process model's steps as BPMN 2.0 XML, laid out (diagram interchange) as kb draws them.

One pool (the model) with a lane per role; a task per step, an exclusive gateway per
decision, a parallel gateway after a step that leads to several at once, start and end
events, and sequence flows named by their conditions. Shapes and waypoints come from the
swimlane layout (kb.processes.diagram), so modellers open the file laid out.

Names are plain text (the Markdown marks taken away, as other tools show them). What BPMN has
no place for travels where BPMN allows it, so kb's import gives the model back: the model's
other sections (Purpose, Scope, …) as the process's documentation in Markdown, a step's
text and `System:` / `Inputs:` / `Outputs:` as its documentation, and in kb's namespace (which
other tools keep and ignore) each step's number and the model's owner, state and labels.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from kb.processes.diagram import COL_W, LABEL_W, LANE_H, Node, layout, route, sides
from kb.processes.steps import DECISION, END, START, Flow, said

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
KB = "urn:kb:bpmn"
MARKDOWN = "text/markdown"
#: front matter a model carries in <kb:model> (a list's items one element each: <kb:topic>)
CARRIED = ("summary", "state", "owner", "custodian", "project", "review_period_months")
CARRIED_LISTS = {"topics": "topic", "tags": "tag"}
for _prefix, _uri in (("bpmn", BPMN), ("bpmndi", BPMNDI), ("dc", DC), ("di", DI), ("kb", KB)):
    ET.register_namespace(_prefix, _uri)

POOL_HEAD = 30  # the pool's name band, left of the lanes
GATEWAY, EVENT = 50, 36
TASK_W, TASK_H = 120, 70


def _id(text: str) -> str:
    """An XML id (NCName) from kb's id: PM-0006 -> PM-0006; anything else made safe."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text) or "x"


def _node_id(node: Node) -> str:
    """Ids as modellers write them: StartEvent_1, Activity_4, Gateway_2, EndEvent_1."""
    if node.kind == START and node.id <= 0:
        return "StartEvent_1"
    if node.kind == END and node.id < 0:
        return f"EndEvent_{-node.id}"
    return f"{'Gateway' if node.kind == DECISION else 'Activity'}_{node.id}"


def _tag(node: Node) -> str:
    return {START: "startEvent", END: "endEvent", DECISION: "exclusiveGateway"}.get(
        node.kind, "task"
    )


def _bounds(node: Node) -> tuple[float, float, float, float]:
    w, h = {START: (EVENT, EVENT), END: (EVENT, EVENT), DECISION: (GATEWAY, GATEWAY)}.get(
        node.kind, (TASK_W, TASK_H)
    )
    return node.x - w / 2 + POOL_HEAD, node.y - h / 2, w, h


def _documentation(element: ET.Element, text: str) -> None:
    if text.strip():
        ET.SubElement(element, f"{{{BPMN}}}documentation", textFormat=MARKDOWN).text = text


def _model(process: ET.Element, meta: dict) -> None:
    """The front matter BPMN has no place for, in kb's namespace."""
    fields = [(key, meta.get(key)) for key in CARRIED]
    fields += [(one, item) for key, one in CARRIED_LISTS.items() for item in meta.get(key) or []]
    fields = [(key, str(value)) for key, value in fields if value not in (None, "")]
    if fields:
        model = ET.SubElement(
            ET.SubElement(process, f"{{{BPMN}}}extensionElements"), f"{{{KB}}}model"
        )
        for key, value in fields:
            ET.SubElement(model, f"{{{KB}}}{key}").text = value


def export(
    flow: Flow, *, model_id: str, title: str, meta: dict | None = None, sections: str = ""
) -> bytes:
    """The BPMN 2.0 document (UTF-8 bytes with an XML declaration); `sections` is the model's
    Markdown besides its steps, `meta` its front matter."""
    nodes, edges = layout(flow)
    by_id = {n.id: n for n in nodes}
    steps = flow.by_number()
    pid = f"Process_{_id(model_id)}"
    root = ET.Element(
        f"{{{BPMN}}}definitions",
        {
            "id": f"Definitions_{_id(model_id)}",
            "targetNamespace": "urn:kb:processes",
            "exporter": "kb",
            "exporterVersion": "1",
        },
    )
    collaboration = ET.SubElement(root, f"{{{BPMN}}}collaboration", id="Collaboration")
    ET.SubElement(collaboration, f"{{{BPMN}}}participant", id="Pool", name=title, processRef=pid)
    process = ET.SubElement(root, f"{{{BPMN}}}process", id=pid, name=title, isExecutable="false")
    _documentation(process, sections)
    _model(process, meta or {})
    lane_set = ET.SubElement(process, f"{{{BPMN}}}laneSet", id="Lanes")
    lanes = [
        ET.SubElement(lane_set, f"{{{BPMN}}}lane", id=f"Lane_{i + 1}", name=role)
        for i, role in enumerate(flow.roles)
    ]
    # a step that leads to several at once (not a decision) splits through a parallel gateway
    splits = {
        a
        for a, _, _ in edges
        if a in steps and steps[a].kind != DECISION and sum(1 for x, _, _ in edges if x == a) > 1
    }
    flows: list[tuple[str, str, str, str, list]] = []  # id, source, target, name, waypoints
    elements: dict[str, ET.Element] = {}
    for node in nodes:
        element = ET.SubElement(process, f"{{{BPMN}}}{_tag(node)}", id=_node_id(node))
        if node.id > 0:  # the start and end kb adds stay unnamed, as modellers leave them
            element.set("name", node.name)
        if node.id in steps:
            element.set(f"{{{KB}}}number", str(node.id))
            _documentation(element, "\n".join(p for p in said(steps[node.id]) if p))
        elements[_node_id(node)] = element
        if lanes:
            ET.SubElement(lanes[node.lane], f"{{{BPMN}}}flowNodeRef").text = _node_id(node)
    for (a, b, label), side in zip(edges, sides(by_id, edges), strict=True):
        source, target = by_id[a], by_id[b]
        points = route(source, target, side)[0]
        points = [(x + POOL_HEAD, y) for x, y in points]
        if a in splits:
            split = f"Split_{a}"
            if split not in elements:
                elements[split] = ET.SubElement(process, f"{{{BPMN}}}parallelGateway", id=split)
                if lanes:
                    ET.SubElement(lanes[source.lane], f"{{{BPMN}}}flowNodeRef").text = split
                flows.append((f"Flow_{a}_split", _node_id(source), split, "", points[:2]))
            flows.append(
                (f"Flow_{a}_{b}".replace("-", "end"), split, _node_id(target), label, points[1:])
            )
        else:
            flows.append(
                (
                    f"Flow_{a}_{b}".replace("-", "end"),
                    _node_id(source),
                    _node_id(target),
                    label,
                    points,
                )
            )
    for flow_id, source, target, name, _ in flows:
        attributes = {"id": flow_id, "sourceRef": source, "targetRef": target}
        if name:
            attributes["name"] = name
        ET.SubElement(process, f"{{{BPMN}}}sequenceFlow", attributes)
        _link(elements[source], "outgoing", flow_id)
        _link(elements[target], "incoming", flow_id)
    _diagram(root, flow, nodes, flows, elements)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _link(element: ET.Element, kind: str, flow_id: str) -> None:
    """incoming/outgoing come after documentation, incoming before outgoing (the schema's
    order)."""
    child = ET.Element(f"{{{BPMN}}}{kind}")
    child.text = flow_id
    position = len(element)
    if kind == "incoming":
        position = next(
            (i for i, c in enumerate(element) if c.tag == f"{{{BPMN}}}outgoing"), len(element)
        )
    element.insert(position, child)


def _diagram(root, flow: Flow, nodes: list[Node], flows, elements) -> None:
    cols = max((n.col for n in nodes), default=0) + 1
    width = POOL_HEAD + LABEL_W + cols * COL_W
    plane = ET.SubElement(
        ET.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", id="Diagram"),
        f"{{{BPMNDI}}}BPMNPlane",
        id="Plane",
        bpmnElement="Collaboration",
    )
    height = max(len(flow.roles), 1) * LANE_H
    _shape(plane, "Pool", (0, 0, width, height), horizontal=True)
    for i, _ in enumerate(flow.roles):
        _shape(
            plane,
            f"Lane_{i + 1}",
            (POOL_HEAD, i * LANE_H, width - POOL_HEAD, LANE_H),
            horizontal=True,
        )
    for node in nodes:
        _shape(plane, _node_id(node), _bounds(node))
    for split in (key for key in elements if key.startswith("Split_")):
        source = next(n for n in nodes if n.id == int(split[6:]))
        x = source.x + TASK_W / 2 + (COL_W - TASK_W) / 4 + POOL_HEAD
        _shape(plane, split, (x - GATEWAY / 4, source.y - GATEWAY / 4, GATEWAY / 2, GATEWAY / 2))
    for flow_id, _, _, _, points in flows:
        edge = ET.SubElement(
            plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{flow_id}_di", bpmnElement=flow_id
        )
        for x, y in points:
            ET.SubElement(edge, f"{{{DI}}}waypoint", x=f"{x:.0f}", y=f"{y:.0f}")


def _shape(plane, element_id: str, box, *, horizontal: bool = False) -> None:
    shape = ET.SubElement(
        plane, f"{{{BPMNDI}}}BPMNShape", id=f"{element_id}_di", bpmnElement=element_id
    )
    if horizontal:
        shape.set("isHorizontal", "true")
    x, y, w, h = box
    ET.SubElement(
        shape, f"{{{DC}}}Bounds", x=f"{x:.0f}", y=f"{y:.0f}", width=f"{w:.0f}", height=f"{h:.0f}"
    )
