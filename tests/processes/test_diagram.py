"""A process model's steps read from its Markdown, and its swimlane diagram as SVG."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kb.markdown import frontmatter
from kb.processes.diagram import BOX_H, BOX_W, CHAR_W, CHARS, COL_W, RADIUS, draw
from kb.processes.steps import DECISION, END, TASK, parse_steps

SVG = "{http://www.w3.org/2000/svg}"

GOODS_IN = """## Purpose
Receive goods.

## Steps

### Transport Clerk
1. **Check the vehicle in.** Scans the ASN barcode.
   System: WMS. Inputs: advance shipping notice, paperwork. Outputs: dock door.
2. **ASN on the paperwork?** *Decision.*
   Next: yes → 4; no → 3.
3. **Create a manual arrival.** The buyer is alerted. Next: 4.

### Goods-in Operative
4. **Unload and scan each pallet.**
5. **Damaged?** *Decision* Next: yes → 6; no → end.
6. **Quarantine the pallet.** Next: 4

## Exceptions
- **WMS down**: paper.
"""


def test_steps_are_read_with_their_roles_kinds_fields_and_ways():
    flow = parse_steps(GOODS_IN)
    assert flow.problems == []
    assert flow.roles == ["Transport Clerk", "Goods-in Operative"]
    steps = flow.by_number()
    assert [s.number for s in flow.steps] == [1, 2, 3, 4, 5, 6]
    first = steps[1]
    assert (first.name, first.role, first.kind, first.system) == (
        "Check the vehicle in",
        "Transport Clerk",
        TASK,
        "WMS",
    )
    assert first.inputs == ["advance shipping notice", "paperwork"]
    assert first.outputs == ["dock door"]
    assert first.next == [(2, "")]  # the next number when nothing is said
    assert steps[2].kind == DECISION and steps[2].next == [(4, "yes"), (3, "no")]
    assert steps[4].next == [(5, "")]
    assert steps[5].next == [(6, "yes"), (None, "no")]  # None: the end
    assert steps[6].next == [(4, "")]  # a loop back


def test_what_breaks_the_convention_is_said_in_plain_words():
    flow = parse_steps(
        "## Steps\n\n### A\n1. **One.**\n2. **Which way?** *Decision*\n\n### B\n"
        "1. **Again one.**\n3. **Three.** Next: 9, somewhere\n"
    )
    text = " ".join(flow.problems)
    assert "Step 1 appears twice" in text
    assert "Step 2 is a decision: say where each answer leads" in text
    assert "Step 3 leads to step 9, which does not exist" in text
    assert "names 'somewhere'" in text
    assert [s.number for s in flow.steps] == [1, 2, 3]  # what can be drawn still is
    assert flow.by_number()[3].next == []


def test_a_body_without_steps_has_none_and_the_diagram_says_so():
    flow = parse_steps("## Purpose\nNothing numbered here.\n\n1. a list elsewhere\n")
    assert flow.steps == [] and flow.problems == []
    svg = ET.fromstring(draw(flow, "Empty"))
    assert "No numbered steps" in "".join(svg.itertext())


def test_a_code_fence_in_the_steps_is_not_read_as_steps():
    flow = parse_steps("## Steps\n### A\n1. **One.**\n```\n## not a heading\n2. not a step\n```\n")
    assert [s.number for s in flow.steps] == [1]


def shapes(svg: ET.Element) -> dict[str, tuple[float, float, float, float]]:
    """data-step -> the box (left, top, right, bottom) of its shape."""
    boxes = {}
    for g in svg.iter(f"{SVG}g"):
        if "step" not in g.get("class", "").split():
            continue
        if (rect := g.find(f"{SVG}rect")) is not None:
            x, y = float(rect.get("x")), float(rect.get("y"))
            box = (x, y, x + float(rect.get("width")), y + float(rect.get("height")))
        elif (poly := g.find(f"{SVG}polygon")) is not None:
            xs, ys = zip(
                *(map(float, p.split(",")) for p in poly.get("points").split()), strict=True
            )
            box = (min(xs), min(ys), max(xs), max(ys))
        else:
            c = g.find(f"{SVG}circle")
            cx, cy, r = float(c.get("cx")), float(c.get("cy")), float(c.get("r"))
            box = (cx - r, cy - r, cx + r, cy + r)
        boxes[g.get("data-step")] = box
    return boxes


def overlapping(boxes: dict) -> list[tuple[str, str]]:
    items = list(boxes.items())
    return [
        (a, b)
        for i, (a, p) in enumerate(items)
        for b, q in items[i + 1 :]
        if p[0] < q[2] and q[0] < p[2] and p[1] < q[3] and q[1] < p[3]
    ]


def labels(svg: ET.Element) -> dict[str, tuple[float, float, float, float]]:
    """The flows' labels' boxes (11px text, CHAR_W a character), by '<n>:<label>'."""
    found = {}
    for n, g in enumerate(g for g in svg.iter(f"{SVG}g") if g.get("class") == "flow"):
        for text in g.iter(f"{SVG}text"):
            x, y, width = float(text.get("x")), float(text.get("y")), len(text.text) * CHAR_W
            left = {"end": x - width, "middle": x - width / 2}.get(text.get("text-anchor"), x)
            found[f"{n}:{text.text}"] = (left, y - 10, left + width, y + 2)
    return found


def check_diagram(markdown: str, title: str) -> ET.Element:
    flow = parse_steps(markdown)
    svg = ET.fromstring(draw(flow, title))  # it parses
    boxes = shapes(svg)
    assert {str(s.number) for s in flow.steps} <= set(boxes), "every step is drawn"
    assert overlapping(boxes) == []
    assert overlapping(labels(svg)) == [], "no label over another"
    assert overlapping({**boxes, **labels(svg)}) == [], "no label over a shape"
    lanes = [r for r in svg.iter(f"{SVG}rect") if "lane" in r.get("class", "")]
    assert len(lanes) == len(flow.roles)
    names = [t for t in svg.iter(f"{SVG}text") if t.get("class") == "name"]
    for text in names:
        assert all(len(span.text or "") <= CHARS for span in text), "names wrap inside boxes"
    return svg


def test_the_diagram_draws_every_step_lane_and_way_without_overlap():
    svg = check_diagram(GOODS_IN, "Goods receipt")
    boxes = shapes(svg)
    assert {"0", "-1"} <= set(boxes)  # the start and end events kb adds
    flows = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "flow"]
    assert len(flows) == 9  # start→1, 1→2, 2→4, 2→3, 3→4, 4→5, 5→6, 5→end, 6→4
    labels = {t.text for g in flows for t in g.iter(f"{SVG}text")}
    assert labels == {"yes", "no"}


def test_text_from_the_model_is_escaped():
    svg_text = draw(
        parse_steps(
            '## Steps\n### <script>alert(1)</script>\n1. **"<img src=x onerror=alert(1)>"**\n'
        ),
        "<b>title</b>",
    )
    svg = ET.fromstring(svg_text)
    assert not list(svg.iter(f"{SVG}script")) and not list(svg.iter(f"{SVG}img"))
    assert "&lt;script&gt;" in svg_text and "<b>" not in svg_text


def generated(steps: int, roles: int, seed: int) -> str:
    rnd = random.Random(seed)
    words = [
        "check",
        "approve",
        "record",
        "send",
        "receive",
        "review",
        "decide",
        "escalate",
        "update",
        "close",
    ]
    lanes = {n: f"Role {rnd.randrange(roles) + 1}" for n in range(1, steps + 1)}
    lines = ["## Steps", ""]
    for n in range(1, steps + 1):
        lines.append(f"### {lanes[n]}")
        name = " ".join(rnd.choice(words) for _ in range(rnd.randint(2, 9)))
        if n < steps - 2 and rnd.random() < 0.25:
            a, b = rnd.randint(n + 1, steps), rnd.randint(max(1, n - 5), steps)
            lines.append(f"{n}. **{name}?** *Decision* Next: yes → {a}; no → {b}.")
        else:
            lines.append(f"{n}. **{name}.** System: ERP.")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(5))
def test_a_30_step_6_role_model_is_drawn_legibly(seed):
    markdown = generated(30, 6, seed)
    assert parse_steps(markdown).problems == []
    svg = check_diagram(markdown, "Generated")
    width = float(svg.get("width"))
    assert width <= 150 + 40 * COL_W  # a column per stage at most, not per pixel of text
    assert BOX_W >= 140 and BOX_H >= 60 and RADIUS >= 12  # shapes stay large enough to read


def test_end_steps_marked_by_the_model_are_end_events():
    flow = parse_steps("## Steps\n### A\n1. **Start work.**\n2. **Done.** *End*\n")
    assert flow.by_number()[2].kind == END and flow.by_number()[2].next == []
    check_diagram("## Steps\n### A\n1. **Start work.**\n2. **Done.** *End*\n", "x")


def process_source(title: str, body: str, **front) -> str:
    extra = "".join(f"{k}: {v}\n" for k, v in front.items())
    return f"---\ntype: process\ntitle: {title}\n{extra}---\n\n{body}"


def test_the_diagram_is_served_as_an_svg_image_that_can_run_nothing(kb, client):
    from kb.documents import services as documents

    doc = documents.create_document(kb.db, process_source("Goods receipt", GOODS_IN), actor="x")
    response = client.get(f"/processes/{doc.id}/diagram.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script" not in policy
    svg = ET.fromstring(response.get_data(as_text=True))
    assert {"1", "2", "3", "4", "5", "6"} <= set(shapes(svg))
    assert svg.find(f"{SVG}title").text == "Goods receipt"


def test_the_diagram_follows_the_models_access_rules(kb, login_as, anon_client):
    from kb.documents import services as documents

    secret = documents.create_document(
        kb.db,
        process_source("Secret merger steps", GOODS_IN, visibility="restricted", groups="[board]"),
        actor="x",
    )
    lesson = documents.create_document(
        kb.db, "---\ntype: lesson\ntitle: A lesson\n---\n\nText.\n", actor="x"
    )
    outsider = login_as("reader")
    assert outsider.get(f"/processes/{secret.id}/diagram.svg").status_code == 404
    assert (
        login_as("reader", groups=["board"]).get(f"/processes/{secret.id}/diagram.svg").status_code
        == 200
    )
    assert outsider.get(f"/processes/{lesson.id}/diagram.svg").status_code == 404  # not a model
    assert outsider.get("/processes/PM-9999/diagram.svg").status_code == 404
    assert anon_client.get(f"/processes/{secret.id}/diagram.svg").status_code in (302, 401)


STARTERS = sorted((Path(__file__).parents[2] / "content" / "processes").glob("PM-*.md"))


@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.name[:7])
def test_every_starter_model_follows_the_convention_and_draws_without_overlap(path):
    meta, body = frontmatter.split(path.read_text(encoding="utf-8"))
    flow = parse_steps(body)
    assert flow.problems == []
    assert len(flow.steps) >= 15 and any(s.kind == DECISION for s in flow.steps)
    assert all(s.next for s in flow.steps if s.kind == DECISION)
    assert set(flow.roles) == set(meta["roles"])  # a lane for every role the model names
    svg = check_diagram(body, meta["title"])
    lanes = "".join(
        t for g in svg.iter(f"{SVG}text") if g.get("class") == "lane-name" for t in g.itertext()
    )
    assert all(role.replace(" ", "") in lanes.replace(" ", "") for role in flow.roles)
    # every step is reached from the first: the flow has no island
    reached, todo = {flow.steps[0].number}, [flow.steps[0]]
    by_number = flow.by_number()
    while todo:
        for target, _ in todo.pop().next:
            if target is not None and target not in reached:
                reached.add(target)
                todo.append(by_number[target])
    assert reached == set(by_number)


def test_the_starter_as_is_and_to_be_models_compare_step_by_step():
    from kb.processes.compare import compare_flows

    as_is, to_be = (
        parse_steps(
            frontmatter.split(next(p for p in STARTERS if p.name.startswith(i)).read_text())[1]
        )
        for i in ("PM-0005", "PM-0006")
    )
    changes = compare_flows(as_is, to_be)
    changed = {old.name for old, _, _ in changes.changed}
    assert {"Break down mixed pallets", "Run cycle counts"} <= changed
    assert "Check the vehicle in" in {s.name for s in changes.added}
    assert "Receive against the dummy purchase order" in {s.name for s in changes.removed}
