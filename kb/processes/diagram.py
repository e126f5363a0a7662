"""A process model's swimlane diagram, drawn on the server as SVG (no script, no service).

Lanes are the roles, top to bottom in the order the model names them; each step takes one
cell of a grid (a column per stage of the flow), so no two shapes can overlap. A step's
column is one more than the latest step leading to it (loops back are drawn below the
boxes, not counted); a step whose cell is taken moves one column on. Ways run through the
gaps between columns and along the lanes' margins; a decision's ways leave by different sides
(right, bottom, top), so their labels meet neither each other nor a shape (a label too long
for its place is shortened, its full text the way's tooltip). Every text is escaped.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from kb.processes.steps import DECISION, END, START, Flow, Step

LABEL_W, COL_W, LANE_H, PAD = 150, 220, 120, 8
BOX_W, BOX_H, RADIUS = 150, 70, 16
CHARS, LINES = 22, 3
_END = -1  # node ids of end events are negative: -1, -2, ...


@dataclass
class Node:
    id: int
    lane: int
    col: int
    kind: str
    name: str

    @property
    def x(self) -> float:
        return LABEL_W + self.col * COL_W + COL_W / 2

    @property
    def y(self) -> float:
        return self.lane * LANE_H + LANE_H / 2

    @property
    def half_w(self) -> float:
        return RADIUS if self.kind in (START, END) else BOX_W / 2

    @property
    def half_h(self) -> float:
        return RADIUS if self.kind in (START, END) else BOX_H / 2


def layout(flow: Flow) -> tuple[list[Node], list[tuple[int, int, str]]]:
    """Nodes on the grid and edges (from node, to node, label); a start event is added
    before the first step unless the model marks one, and an end event after each way out."""
    lane = {role: i for i, role in enumerate(flow.roles)}
    steps = sorted(flow.steps, key=lambda s: s.number)
    edges: list[tuple[int, int, str]] = []
    nodes: dict[int, Node] = {}
    if not steps:
        return [], []
    if steps[0].kind != START:
        nodes[0] = Node(0, lane[steps[0].role], 0, START, "Start")
        edges.append((0, steps[0].number, ""))
    ends = 0
    for step in steps:
        for target, label in step.next:
            if target is None:
                ends -= 1
                edges.append((step.number, ends, label))
            else:
                edges.append((step.number, target, label))
    back = _back_edges(steps, edges)
    occupied = {(n.col, n.lane) for n in nodes.values()}
    for step in _forward_order(steps, edges, back):
        preds = [
            nodes[a].col
            for a, b, _ in edges
            if b == step.number and (a, b) not in back and a in nodes
        ]
        _place(
            nodes,
            occupied,
            Node(step.number, lane[step.role], max(preds, default=-1) + 1, step.kind, step.name),
        )
    for a, b, _ in edges:
        if b < 0:
            source = nodes[a]
            _place(nodes, occupied, Node(b, source.lane, source.col + 1, END, "End"))
    return list(nodes.values()), edges


def _place(nodes: dict[int, Node], occupied: set, node: Node) -> None:
    while (node.col, node.lane) in occupied:
        node.col += 1
    occupied.add((node.col, node.lane))
    nodes[node.id] = node


def _back_edges(steps: list[Step], edges: list[tuple[int, int, str]]) -> set[tuple[int, int]]:
    """Edges that close a loop, found by a depth-first walk in step order (no recursion)."""
    out: dict[int, list[int]] = {}
    for a, b, _ in edges:
        out.setdefault(a, []).append(b)
    back, state = set(), {}
    for root in [0] + [s.number for s in steps]:
        if root in state:
            continue
        stack = [(root, iter(out.get(root, [])))]
        state[root] = "open"
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = "done"
                stack.pop()
            elif state.get(child) == "open":
                back.add((node, child))
            elif child not in state:
                state[child] = "open"
                stack.append((child, iter(out.get(child, []))))
    return back


def _forward_order(steps, edges, back) -> list[Step]:
    """Steps so that each comes after every step leading to it (loops aside)."""
    by_number = {s.number: s for s in steps}
    waiting = {s.number: 0 for s in steps}
    for a, b, _ in edges:
        if b in waiting and a in waiting and (a, b) not in back:
            waiting[b] += 1
    ready = sorted(n for n, count in waiting.items() if count == 0)
    order = []
    while ready:
        number = ready.pop(0)
        order.append(by_number[number])
        for a, b, _ in edges:
            if a == number and b in waiting and (a, b) not in back:
                waiting[b] -= 1
                if waiting[b] == 0:
                    ready.append(b)
        ready.sort()
    return order


def _lines(text: str, width: int = CHARS, most: int = LINES) -> list[str]:
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


def _text(x: float, y: float, lines: list[str], cls: str) -> str:
    first = y - (len(lines) - 1) * 7.5
    spans = "".join(
        f'<tspan x="{x:.0f}" y="{first + i * 15:.0f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text class="{cls}" text-anchor="middle" dominant-baseline="middle">{spans}</text>'


def _shape(node: Node, number_label: str, mark: str = "") -> str:
    x, y = node.x, node.y
    if node.kind in (START, END):
        width = 1 if node.kind == START else 3
        body = f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{RADIUS}" stroke-width="{width}"/>'
        body += _text(x, y + RADIUS + 12, [node.name], "event")
    elif node.kind == DECISION:
        w, h = node.half_w, node.half_h
        points = f"{x - w:.0f},{y:.0f} {x:.0f},{y - h:.0f} {x + w:.0f},{y:.0f} {x:.0f},{y + h:.0f}"
        body = f'<polygon points="{points}"/>' + _text(x, y, _lines(node.name, 16, 2), "name")
    else:
        body = (
            f'<rect x="{x - BOX_W / 2:.0f}" y="{y - BOX_H / 2:.0f}" width="{BOX_W}" '
            f'height="{BOX_H}" rx="6"/>' + _text(x, y, _lines(node.name), "name")
        )
    said = f" ({mark})" if mark else ""
    title = f"<title>{escape(number_label + node.name + said)}</title>"
    cls = f"step {node.kind} {mark}".rstrip()
    return f'<g class="{cls}" data-step="{node.id}">{title}{body}</g>'


RIGHT, DOWN, UP = "right", "down", "up"
#: a way's label along a lane's margin (a loop back's, or a decision's way down or up); a
#: label on the short way out to the right gets what the gap between columns holds
MARGIN_CHARS, CHAR_W = 16, 6.2


def sides(nodes: dict[int, Node], edges: list[tuple[int, int, str]]) -> list[str]:
    """The side each edge leaves by, in the edges' order. A decision's way to a lower lane
    leaves by the bottom, to a higher one by the top, in its own lane by the right; each side
    once (a loop back takes the bottom), so no two of its labels meet. Every other way leaves
    by the right."""
    chosen = [RIGHT] * len(edges)
    taken: dict[int, set[str]] = {}
    loops_first = sorted(
        range(len(edges)), key=lambda i: nodes[edges[i][1]].col > nodes[edges[i][0]].col
    )
    for i in loops_first:
        source, target = nodes[edges[i][0]], nodes[edges[i][1]]
        if source.kind != DECISION:
            continue
        used = taken.setdefault(source.id, set())
        if target.col <= source.col:
            used.add(DOWN)
            continue
        want = RIGHT if target.lane == source.lane else DOWN if target.lane > source.lane else UP
        free = [side for side in (want, RIGHT, DOWN, UP) if side not in used]
        chosen[i] = free[0] if free else RIGHT
        used.add(chosen[i])
    return chosen


def route(a: Node, b: Node, side: str = RIGHT) -> tuple[list, tuple[float, float], str, int]:
    """The corners of the way from a to b, where its label goes, how it is anchored and how
    many characters of it fit. Lines run only through the gaps between columns and along the
    lanes' top and bottom margins, where no shape is; so do the labels."""
    gap = (COL_W - BOX_W) / 2
    tx, ty = b.x - b.half_w, b.y
    before = b.x - BOX_W / 2 - gap  # the gap left of the target's column
    if b.col <= a.col:  # a loop back: under the boxes, its label left of the way down
        low = max(a.lane, b.lane) * LANE_H + LANE_H - PAD
        points = [(a.x, a.y + a.half_h), (a.x, low), (b.x, low), (b.x, b.y + b.half_h)]
        return points, (a.x - 6, low - 4), "end", MARGIN_CHARS
    if side in (DOWN, UP):  # along the margin of its own lane, its label above or below
        down = side == DOWN
        y = a.lane * LANE_H + (LANE_H - PAD if down else PAD)
        start = (a.x, a.y + a.half_h if down else a.y - a.half_h)
        points = [start, (a.x, y), (before, y), (before, ty), (tx, ty)]
        return points, (a.x + 6, y - 4 if down else y + 13), "start", MARGIN_CHARS
    sx, sy = a.x + a.half_w, a.y
    if b.col == a.col + 1:
        points = [(sx, sy), (before, sy), (before, ty), (tx, ty)]
    else:  # over the columns between, along the top of the target's lane
        after, top = a.x + BOX_W / 2 + gap, b.lane * LANE_H + PAD + 4
        points = [(sx, sy), (after, sy), (after, top), (before, top), (before, ty), (tx, ty)]
    return points, (sx + 4, sy - 5), "start", int((2 * gap - 8) / CHAR_W)


def short(label: str, chars: int) -> str:
    return label if len(label) <= chars else label[: chars - 1].rstrip() + "…"


def _edge(a: Node, b: Node, label: str, side: str) -> str:
    points, (lx, ly), anchor, chars = route(a, b, side)
    path = "M" + " L".join(f"{x:.0f},{y:.0f}" for x, y in points)
    text = (
        f"<title>{escape(label)}</title>"
        f'<text class="flow-label" x="{lx:.0f}" y="{ly:.0f}" text-anchor="{anchor}">'
        f"{escape(short(label, chars))}</text>"
        if label
        else ""
    )
    return f'<g class="flow"><path d="{path}" marker-end="url(#arrow)"/>{text}</g>'


STYLE = (
    "text{font:12px system-ui,sans-serif;fill:#1b1f24}.lane-name{font-weight:600}"
    ".lane{fill:#f6f8fa;stroke:#d0d7de}.lane.odd{fill:#fff}"
    ".step rect,.step polygon{fill:#fff;stroke:#0b5cad;stroke-width:1.5}"
    ".step circle{fill:#fff;stroke:#1b1f24}.step.decision polygon{fill:#fff8e6;stroke:#9a6700}"
    ".flow path{fill:none;stroke:#57606a;stroke-width:1.2}.flow-label{font-size:11px;fill:#57606a}"
    ".step.added rect,.step.added polygon{fill:#dafbe1;stroke:#1a7f37;stroke-width:3}"
    ".step.removed rect,.step.removed polygon{fill:#ffebe9;stroke:#cf222e;stroke-width:3;"
    "stroke-dasharray:6 3}.step.changed rect,.step.changed polygon{fill:#fff8c5;stroke:#9a6700;"
    "stroke-width:3}"
)


def draw(flow: Flow, title: str, marks: dict[int, str] | None = None) -> str:
    """The SVG document for a model's steps (an empty diagram says so); `marks`: step number
    -> added / removed / changed, drawn in their colours (kb.processes.compare)."""
    nodes, edges = layout(flow)
    by_id = {n.id: n for n in nodes}
    cols = max((n.col for n in nodes), default=0) + 1
    width, height = LABEL_W + cols * COL_W, max(len(flow.roles), 1) * LANE_H
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr("Swimlane diagram: " + title)}>',
        f"<title>{escape(title)}</title><style>{STYLE}</style>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/>'
        "</marker></defs>",
    ]
    for i, role in enumerate(flow.roles):
        odd = " odd" if i % 2 else ""
        parts.append(
            f'<rect class="lane{odd}" x="0" y="{i * LANE_H}" width="{width}" height="{LANE_H}"/>'
        )
        parts.append(_text(LABEL_W / 2, i * LANE_H + LANE_H / 2, _lines(role, 18, 4), "lane-name"))
    if not nodes:
        parts.append(_text(width / 2, height / 2, ["No numbered steps to draw"], "name"))
    parts += [
        _edge(by_id[a], by_id[b], label, side)
        for (a, b, label), side in zip(edges, sides(by_id, edges), strict=True)
    ]
    marks = marks or {}
    parts += [_shape(n, f"{n.id}. " if n.id > 0 else "", marks.get(n.id, "")) for n in nodes]
    parts.append("</svg>")
    return "".join(parts)
