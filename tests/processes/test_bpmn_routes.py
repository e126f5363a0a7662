"""BPMN over HTTP: GET /api/processes/<id>/bpmn, POST /api/processes/bpmn, the upload form."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

from kb.documents import services as documents
from kb.processes.steps import parse_steps
from tests.processes.test_bpmn_import import BILLION_LAUGHS, EXTERNAL
from tests.processes.test_diagram import GOODS_IN, process_source

FILES = Path(__file__).parent / "bpmn"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
XML = {"Content-Type": "application/xml"}


def names(xml: bytes) -> dict[str, set]:
    root = ET.fromstring(xml)
    return {
        "tasks": {e.get("name") for e in root.iterfind(".//bpmn:task", NS)},
        "lanes": {e.get("name") for e in root.iterfind(".//bpmn:lane", NS)},
        "flows": {e.get("name") for e in root.iterfind(".//bpmn:sequenceFlow", NS)},
        "gateways": {e.get("name") for e in root.iterfind(".//bpmn:exclusiveGateway", NS)},
        "shapes": {e.get("bpmnElement") for e in root.iter() if e.tag.endswith("BPMNShape")},
    }


def test_export_import_export_over_http_keeps_tasks_lanes_flows_and_names(kb, client):
    doc = documents.create_document(kb.db, process_source("Goods receipt", GOODS_IN), actor="x")
    first = client.get(f"/api/processes/{doc.id}/bpmn")
    assert first.status_code == 200 and first.mimetype == "application/xml"
    assert first.headers["Content-Disposition"].endswith('.bpmn"')
    before = names(first.data)
    assert "Check the vehicle in" in before["tasks"] and "Damaged?" in before["gateways"]
    assert {"Activity_1", "Gateway_2"} <= before["shapes"]  # laid out (BPMNDI)

    imported = client.post("/api/processes/bpmn", data=first.data, headers=XML)
    assert imported.status_code == 200, imported.json
    answer = imported.json
    assert answer["created"] is True and answer["steps"] == 6 and answer["report"] == []
    assert answer["title"] == "Goods receipt"
    again = client.get(f"/api/processes/{answer['id']}/bpmn")
    assert names(again.data) == before

    # the same file into the first model: its steps replaced, its other sections kept
    into = client.post(f"/api/processes/bpmn?model={doc.id}", data=again.data, headers=XML)
    assert into.status_code == 200 and into.json["created"] is False
    markdown = client.get(f"/api/processes/{doc.id}").json["markdown"]
    assert "## Exceptions" in markdown and "## Purpose" in markdown
    assert len(parse_steps(markdown.split("---", 2)[2]).steps) == 6


def test_what_kb_cannot_represent_is_in_the_report(client):
    data = (FILES / "camunda-invoice.bpmn").read_bytes()
    answer = client.post("/api/processes/bpmn", data=data, headers=XML).json
    assert answer["title"] == "Supplier invoice approval"
    assert any("not kept" in line or "kept as" in line for line in answer["report"])
    doc = client.get(f"/api/processes/{answer['id']}").json
    assert doc["status"] == "draft"


def test_hostile_xml_gets_a_clear_400_and_writes_nothing(kb, client):
    for data in (BILLION_LAUGHS, EXTERNAL, b"<definitions", b"<html/>"):
        response = client.post("/api/processes/bpmn", data=data, headers=XML)
        assert response.status_code == 400, data[:30]
        assert response.json["error"]["field"] == "file"
    big = b"<definitions>" + b" " * (50 * 1024 * 1024) + b"</definitions>"
    response = client.post("/api/processes/bpmn", data=big, headers=XML)
    assert response.status_code == 400
    assert "50.0 MB" in response.json["error"]["message"]
    assert documents.list_documents(kb.db, {"type": ["process"]}).total == 0


def test_who_may_import_and_export(kb, login_as):
    secret = documents.create_document(
        kb.db,
        process_source("Secret", GOODS_IN, visibility="restricted", groups="[board]"),
        actor="x",
    )
    data = (FILES / "signavio-default-ns.bpmn").read_bytes()
    reader = login_as("reader")
    assert reader.get(f"/api/processes/{secret.id}/bpmn").status_code == 404
    assert reader.post("/api/processes/bpmn", data=data, headers=XML).status_code == 403
    contributor = login_as("contributor")
    # a contributor may create, but not change a model someone else wrote
    assert contributor.post("/api/processes/bpmn", data=data, headers=XML).status_code == 200
    public = documents.create_document(kb.db, process_source("Open", GOODS_IN), actor="x")
    refused = contributor.post(f"/api/processes/bpmn?model={public.id}", data=data, headers=XML)
    assert refused.status_code == 403
    missing = contributor.post("/api/processes/bpmn?model=PM-9999", data=data, headers=XML)
    assert missing.status_code == 404


def test_the_upload_form_imports_and_shows_the_report(kb, client):
    data = (FILES / "camunda-invoice.bpmn").read_bytes()
    response = client.post(
        "/processes/bpmn",
        data={"file": (io.BytesIO(data), "invoice.bpmn")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    page = client.get(response.location)
    text = page.get_data(as_text=True)
    assert "Supplier invoice approval" in text and "not kept" in text
    refused = client.post(
        "/processes/bpmn",
        data={"file": (io.BytesIO(BILLION_LAUGHS), "bad.bpmn")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 303
    assert "declares a DTD" in client.get(refused.location).get_data(as_text=True)


def test_kb_import_reads_bpmn_files_reports_what_it_cannot_keep_and_rejects_hostile_ones(
    runner, tmp_path
):
    from kb.cli import main

    folder = tmp_path / "src" / "processes"
    folder.mkdir(parents=True)
    (folder / "invoice.bpmn").write_bytes((FILES / "camunda-invoice.bpmn").read_bytes())
    (folder / "laughs.bpmn").write_bytes(BILLION_LAUGHS)
    with (folder / "huge.bpmn").open("wb") as huge:
        huge.truncate(50 * 1024 * 1024)
    result = runner.invoke(main, ["import", str(tmp_path / "src")])
    assert result.exit_code == 1
    assert "1 created, 0 updated, 0 unchanged, 2 rejected" in result.output
    assert "rejected processes/laughs.bpmn: The file declares a DTD" in result.output
    assert "rejected processes/huge.bpmn: file is 51200 KB; the limit is 1024 KB" in result.output
    assert "not kept processes/invoice.bpmn:" in result.output
    (folder / "laughs.bpmn").unlink()
    (folder / "huge.bpmn").unlink()
    again = runner.invoke(main, ["import", str(tmp_path / "src")])
    assert again.exit_code == 0 and "0 created, 0 updated, 1 unchanged" in again.output
