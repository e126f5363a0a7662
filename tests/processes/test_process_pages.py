"""A process model's page: its diagram (scrollable, with the steps as text), BPMN download;
the as-is and to-be models side by side with added, removed and changed steps marked."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from kb.documents import services as documents
from kb.processes.compare import compare_flows
from kb.processes.steps import parse_steps
from tests.processes.test_diagram import GOODS_IN, SVG, process_source

TO_BE = GOODS_IN.replace(
    "3. **Create a manual arrival.** The buyer is alerted. Next: 4.",
    "3. **Book the arrival in the yard app.** System: YMS. Next: 4.",
).replace(
    "### Goods-in Operative\n4. **Unload and scan each pallet.**",
    "### Goods-in Operative\n4. **Unload and scan each pallet.** System: handheld.",
)


def test_steps_added_removed_and_changed_are_found_by_name():
    changes = compare_flows(parse_steps(GOODS_IN), parse_steps(TO_BE))
    assert [s.name for s in changes.added] == ["Book the arrival in the yard app"]
    assert [s.name for s in changes.removed] == ["Create a manual arrival"]
    changed = {old.name: said for old, _, said in changes.changed}
    assert changed == {
        "ASN on the paperwork?": [  # its "no" now leads to the new step
            "next step now yes → “Unload and scan each pallet”; no → “Book the arrival in the "
            "yard app” (was yes → “Unload and scan each pallet”; no → “Create a manual arrival”)"
        ],
        "Unload and scan each pallet": ["system: none → handheld"],
    }
    assert changes.marks("old") == {2: "changed", 3: "removed", 4: "changed"}
    assert changes.marks("new") == {2: "changed", 3: "added", 4: "changed"}


def test_the_model_page_shows_its_diagram_with_a_text_alternative(kb, client):
    doc = documents.create_document(kb.db, process_source("Goods receipt", GOODS_IN), actor="x")
    page = client.get(f"/processes/{doc.id}").get_data(as_text=True)
    assert f'<img src="/processes/{doc.id}/diagram.svg"' in page
    assert 'class="diagram-scroll" tabindex="0" role="region"' in page
    assert '<input type="checkbox" id="diagram-actual"' in page
    assert "Actual size: scroll sideways" in page
    assert "6 steps in 2 lanes (Transport Clerk, Goods-in Operative)" in page
    assert '<li value="5"><strong>Damaged?</strong>' in page and "yes → 6; no → end" in page
    assert f'href="/api/processes/{doc.id}/bpmn"' in page
    assert 'action="/processes/bpmn"' in page  # the admin may replace the steps from a file


def test_contributors_find_the_upload_form_on_the_process_list(login_as):
    assert 'action="/processes/bpmn"' in login_as("contributor").get("/processes").text
    assert 'action="/processes/bpmn"' not in login_as("reader").get("/processes").text


def test_as_is_and_to_be_side_by_side(kb, client, make_project):
    make_project("HARBOUR")
    old = documents.create_document(
        kb.db,
        process_source("Goods in (as-is)", GOODS_IN, state="as-is", project="HARBOUR"),
        actor="x",
    )
    new = documents.create_document(
        kb.db,
        process_source("Goods in (to-be)", TO_BE, state="to-be", project="HARBOUR"),
        actor="x",
    )
    model_page = client.get(f"/processes/{old.id}").get_data(as_text=True)
    assert f'href="/processes/{old.id}/compare/{new.id}"' in model_page
    page = client.get(f"/processes/{old.id}/compare/{new.id}").get_data(as_text=True)
    assert "1 steps added, 1 removed, 2 changed" in page
    assert f'src="/processes/{old.id}/diagram.svg?after={new.id}"' in page
    assert f'src="/processes/{new.id}/diagram.svg?before={old.id}"' in page
    assert '<li class="mark-removed">Step 3 “Create a manual arrival”' in page
    assert f'<a href="/processes/{new.id}">{new.id}</a></span></li>' in page  # breadcrumb
    assert 'id="diagram-actual"' in page  # fitted to the width, or at actual size
    svg = ET.fromstring(client.get(f"/processes/{new.id}/diagram.svg?before={old.id}").data)
    classes = {
        g.get("data-step"): g.get("class") for g in svg.iter(f"{SVG}g") if g.get("data-step")
    }
    assert classes["3"] == "step task added" and classes["4"] == "step task changed"
    assert classes["1"] == "step task"
    assert client.get(f"/processes/{old.id}/compare/PM-9999").status_code == 404
    assert client.get(f"/processes/{new.id}/diagram.svg?before=PM-9999").status_code == 404
