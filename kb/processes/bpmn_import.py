"""BPMN 2.0 files written by modellers (bpmn.io / Camunda Modeler, Signavio, …) -> a process
model's steps in kb's convention (docs/format.md, "Steps as a flow").

Pools and lanes (nested lanes as "Outer / Inner") become roles; every kind of task, call
activity and sub-process becomes a step; exclusive, inclusive and event-based gateways
become decisions; parallel gateways are passed through (the step before them leads to all
that follow); start and end events become the flow's ends (named ones stay as steps).
Whatever kb cannot keep (message flows, boundary events, data objects, a sub-process's
inside, vendor extensions are ignored silently) is listed in the report.

What kb's own export carries besides the flow (kb.processes.bpmn) comes back: the steps'
numbers (else steps are numbered in flow order), Markdown documentation as it is written (a
modeller's plain text is escaped), the model's other sections and its front matter.

The XML is parsed by defusedxml: no DTD, no entity, no external reference, and a size limit.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from kb.core.errors import TooLarge, ValidationError
from kb.processes.bpmn import CARRIED, CARRIED_LISTS, KB, MARKDOWN

MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_BYTES = 5 * 1024 * 1024
TASKS = {
    "task",
    "userTask",
    "serviceTask",
    "businessRuleTask",
    "scriptTask",
    "manualTask",
    "sendTask",
    "receiveTask",
    "callActivity",
    "subProcess",
    "adHocSubProcess",
    "transaction",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
}
DECISIONS = {"exclusiveGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
PASS_THROUGH = {"parallelGateway"}
STARTS, ENDS = {"startEvent"}, {"endEvent"}
NOT_KEPT = {
    "boundaryEvent": "boundary event",
    "dataObject": "data object",
    "dataObjectReference": "data object",
    "dataStoreReference": "data store",
    "textAnnotation": "annotation",
    "association": "association",
    "dataInputAssociation": None,
    "dataOutputAssociation": None,
}


_STEPS = re.compile(r"^##\s+Steps\s*#*\s*$", re.I)
_H2 = re.compile(r"^##\s")
_FENCE = ("```", "~~~")


@dataclass
class Imported:
    title: str
    roles: list[str]
    body: str  # the `## Steps` section in kb's convention
    report: list[str] = field(default_factory=list)
    #: the model's Markdown before and after its steps (the process's Markdown documentation)
    sections: tuple[str, str] = ("", "")
    #: front matter carried in <kb:model>
    meta: dict = field(default_factory=dict)

    def document(self) -> str:
        """A new model's body: its sections with the steps in their place."""
        before, after = self.sections
        return "\n\n".join(p for p in (before, self.body.rstrip(), after) if p) + "\n"


def _local(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _name(element: Element) -> str:
    return re.sub(r"\s+", " ", element.get("name") or "").strip()


def _parse(data: bytes) -> Element:
    if len(data) > MAX_BYTES:
        raise TooLarge(f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is 5 MB.")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise ValidationError(
            "The file declares a DTD, entities or external references; BPMN files need none, "
            "and kb reads none.",
            field="file",
        ) from None
    except SafeET.ParseError as exc:
        raise ValidationError(f"This is not well-formed XML: {exc}.", field="file") from None
    if root.tag != f"{{{MODEL}}}definitions":
        raise ValidationError(
            "This is not a BPMN 2.0 file: its root should be <definitions> in the namespace "
            f"{MODEL}.",
            field="file",
        )
    return root


def _lanes(process: Element, pool: str, many_pools: bool) -> dict[str, str]:
    """Flow node id -> role, from (nested) lanes."""
    role_of: dict[str, str] = {}

    def walk(lane_set: Element, prefix: str) -> None:
        for lane in lane_set.findall(f"{{{MODEL}}}lane"):
            name = _name(lane) or lane.get("id", "Lane")
            full = f"{prefix} / {name}" if prefix else name
            children = lane.find(f"{{{MODEL}}}childLaneSet")
            if children is not None and children.findall(f"{{{MODEL}}}lane"):
                walk(children, full)
            for ref in lane.findall(f"{{{MODEL}}}flowNodeRef"):
                role_of.setdefault((ref.text or "").strip(), full)

    for lane_set in process.findall(f"{{{MODEL}}}laneSet"):
        walk(lane_set, pool if many_pools else "")
    return role_of


def read_bpmn(data: bytes) -> Imported:
    root = _parse(data)
    report: list[str] = []
    pools = {p.get("processRef"): _name(p) for p in root.iter(f"{{{MODEL}}}participant")}
    processes = [p for p in root.findall(f"{{{MODEL}}}process") if len(p)]
    if not processes:
        raise ValidationError("The file holds no process to import.", field="file")
    if root.find(f".//{{{MODEL}}}messageFlow") is not None:
        report.append("Message flows between pools are not kept: kb links steps within a flow.")
    nodes: dict[str, tuple[str, Element]] = {}  # id -> (role, element)
    flows: list[Element] = []
    skipped: dict[str, int] = {}
    lanes: list[str] = []
    for process in processes:
        pool = pools.get(process.get("id")) or _name(process) or "Process"
        role_of = _lanes(process, pool, len(processes) > 1)
        lanes += role_of.values()
        for element in process:
            kind = _local(element)
            if kind == "sequenceFlow":
                flows.append(element)
            elif kind in TASKS | DECISIONS | PASS_THROUGH | STARTS | ENDS:
                nodes[element.get("id")] = (role_of.get(element.get("id"), pool), element)
                if kind in ("subProcess", "adHocSubProcess", "transaction") and len(
                    [
                        c
                        for c in element
                        if _local(c) not in ("incoming", "outgoing", "documentation")
                    ]
                ):
                    report.append(
                        f"The inside of sub-process '{_name(element)}' is kept as one step."
                    )
                if kind in ("inclusiveGateway", "complexGateway", "eventBasedGateway"):
                    report.append(f"{kind} '{_name(element)}' is kept as a decision.")
            elif (label := NOT_KEPT.get(kind, "")) is not None and kind in NOT_KEPT:
                skipped[label] = skipped.get(label, 0) + 1
    report += [
        f"{count} {label}{'s' if count > 1 else ''} not kept." for label, count in skipped.items()
    ]
    title = next((n for n in pools.values() if n), "") or _name(processes[0]) or "Imported process"
    imported = _write(title, nodes, flows, report, list(dict.fromkeys(lanes)))
    imported.sections = _sections(_markdown(processes[0]))
    imported.meta = _meta(processes[0])
    return imported


def _markdown(element: Element) -> str:
    """The element's documentation written in Markdown (kb's export), else ''."""
    return "\n".join(
        doc.text or ""
        for doc in element.findall(f"{{{MODEL}}}documentation")
        if doc.get("textFormat") == MARKDOWN
    )


def _sections(text: str) -> tuple[str, str]:
    """The Markdown before and after its `## Steps` section(s), which the file's flow
    replaces; code fences left open are closed, so they cannot hide the steps."""
    parts: tuple[list[str], list[str]] = ([], [])
    part, inside, fence = 0, False, False
    for line in text.splitlines():
        if line.lstrip().startswith(_FENCE):
            fence = not fence
        elif not fence and _STEPS.match(line):
            part, inside = 1, True
            continue
        elif not fence and _H2.match(line):
            inside = False
        if not inside:
            parts[part].append(line)
    closed = []
    for lines in parts:
        if sum(1 for line in lines if line.lstrip().startswith(_FENCE)) % 2:
            lines.append("```")
        closed.append("\n".join(lines).strip())
    return closed[0], closed[1]


def _meta(process: Element) -> dict:
    """Front matter from <kb:model> (kb's export); the model's checks apply when it is saved."""
    model = process.find(f"{{{MODEL}}}extensionElements/{{{KB}}}model")
    lists = {one: many for many, one in CARRIED_LISTS.items()}  # topic -> topics
    meta: dict = {}
    for child in model if model is not None else ():
        key, value = _local(child), re.sub(r"\s+", " ", child.text or "").strip()[:1000]
        if key == "review_period_months" and value.isdigit():
            meta[key] = int(value)
        elif key in CARRIED and value:
            meta[key] = value
        elif key in lists and value:
            meta.setdefault(lists[key], []).append(value)
    return meta


def _numbers(nodes, order: list[str]) -> dict[str, int]:
    """The steps' numbers: kb's own (kb:number) when every step has a distinct one, else
    in flow order."""
    kept = [nodes[n][1].get(f"{{{KB}}}number") or "" for n in order]
    if all(k.isdigit() and 0 < int(k) < 10_000 for k in kept) and len(set(kept)) == len(kept):
        return {n: int(k) for n, k in zip(order, kept, strict=True)}
    return {n: i + 1 for i, n in enumerate(order)}


def _write(title: str, nodes, flows, report: list[str], lanes: list[str]) -> Imported:
    out: dict[str, list[tuple[str, str]]] = {}
    for flow in flows:
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if source in nodes and target in nodes:
            condition = flow.find(f"{{{MODEL}}}conditionExpression")
            label = _name(flow) or (
                (condition.text or "").strip()[:40] if condition is not None else ""
            )
            out.setdefault(source, []).append((target, label))
        else:
            report.append(
                f"Sequence flow {flow.get('id')} joins elements kb did not keep; left out."
            )

    def kind(node_id: str) -> str:
        return _local(nodes[node_id][1])

    def is_step(node_id: str) -> bool:
        k = kind(node_id)
        return (
            k in TASKS or k in DECISIONS or (k in STARTS | ENDS and bool(_name(nodes[node_id][1])))
        )

    def targets(node_id: str, seen: frozenset = frozenset()) -> list[tuple[str | None, str]]:
        """Where the flow goes from here, through parallel gateways and unnamed ends."""
        ways = []
        for target, label in out.get(node_id, []):
            if is_step(target):
                ways.append((target, label))
            elif kind(target) in ENDS:
                ways.append((None, label))
            elif target not in seen:
                ways += [(t, label or inner) for t, inner in targets(target, seen | {target})]
        return ways

    number = _numbers(nodes, _flow_order(nodes, out, is_step))
    order = sorted(number, key=number.__getitem__)
    rank = {lane: i for i, lane in enumerate(lanes)}  # roles top to bottom as the lanes are
    roles = sorted(dict.fromkeys(nodes[n][0] for n in order), key=lambda r: rank.get(r, len(rank)))
    lines = ["## Steps"]
    for role in roles:
        lines += ["", f"### {_clean(role)}"]
        for node_id in (n for n in order if nodes[n][0] == role):
            lines.append(_item(number[node_id], nodes[node_id][1], targets(node_id), number))
    return Imported(
        title=_clean(title),
        roles=[_clean(r) for r in roles],
        body="\n".join(lines) + "\n",
        report=report,
    )


def _flow_order(nodes, out, is_step) -> list[str]:
    """Steps in the order the flow reaches them from its start events (breadth first), then
    whatever no start reaches, in file order."""
    starts = [n for n, (_, e) in nodes.items() if _local(e) in STARTS]
    seen, order, queue = set(starts), [], deque(starts)
    while queue:
        node_id = queue.popleft()
        if is_step(node_id):
            order.append(node_id)
        for target, _ in out.get(node_id, []):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return order + [n for n in nodes if n not in seen and is_step(n)]


def _clean(text: str) -> str:
    """One line of plain text that kb's Markdown reads back as it is."""
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def _unfielded(text: str, keys: str = "System|Inputs|Outputs|Next") -> str:
    """`Next:` (and the like) escaped, so kb does not read a field where the file has none."""
    return re.sub(rf"\b({keys}):", r"\1\\:", text)


def _said(element: Element) -> str:
    """A step's documentation: Markdown (kb's export) as it is, a modeller's text escaped; on
    one line, its `Next:` the flow's, not the text's."""
    doc = element.find(f"{{{MODEL}}}documentation")
    text = re.sub(r"\s+", " ", doc.text or "").strip() if doc is not None else ""
    if doc is not None and doc.get("textFormat") != MARKDOWN:
        text = _clean(text)
    return _unfielded(text, "Next")


def _item(number: int, element: Element, ways, numbers: dict[str, int]) -> str:
    kind = _local(element)
    name = _unfielded(_clean(_name(element) or element.get("id", "Step")))
    name += "" if name.endswith((".", "?", "!")) else "."
    marker = (
        " *Decision*"
        if kind in DECISIONS
        else " *Start*"
        if kind in STARTS
        else " *End*"
        if kind in ENDS
        else ""
    )
    said = _said(element)
    found = re.search(r"\b(?:System|Inputs|Outputs):", said)
    text, fields = (said[: found.start()], said[found.start() :]) if found else (said, "")
    parts = []
    for target, label in ways:
        where = "end" if target is None else str(numbers.get(target, ""))
        if where:
            parts.append(f"{_clean(label)} → {where}" if label else where)
    if kind in ENDS:
        parts = []
    elif not parts:
        parts = ["end"]  # a step that leads nowhere ends the flow (not: the next number)
    sep = "; " if any("→" in p for p in parts) else ", "
    last = " ".join(p for p in (fields, f"Next: {sep.join(parts)}." if parts else "") if p)
    text = f" {text.strip()}" if text.strip() else ""
    return f"{number}. **{name}**{marker}{text}" + (f"\n   {last}" if last else "")
