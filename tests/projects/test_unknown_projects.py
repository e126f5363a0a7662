"""A document may name only a registered project: everywhere documents are written, a
project the register does not hold is refused with the nearest ones, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kb.cli import main
from kb.documents import services
from kb.documents.models import Document
from kb.documents.transfer import import_tree
from kb.events.log.models import Event
from kb.projects import services as projects
from kb.projects.models import Project

HARBOUR = "---\nkey: HARBOUR\nname: Harbour Warehouse Automation\nstatus: active\n---\n"
MESSAGE = "Unknown project HARBUOR — did you mean HARBOUR (Harbour Warehouse Automation)?"


def lesson_text(project: str, title: str = "Vendor interface arrived late", **meta) -> str:
    """A document naming `project` (no fixture: lesson_md would register the project)."""
    head = "".join(
        f"{k}: {v}\n"
        for k, v in {"type": "lesson", "title": title, "project": project, **meta}.items()
    )
    return f"---\n{head}---\n\n## Summary\n\nThe vendor delivered late.\n"


@pytest.fixture
def harbour(kb):
    with kb.db.write() as s:
        projects.upsert_project(s, projects.parse_project(HARBOUR))


def counts(kb) -> tuple[int, int, int]:
    with kb.db.read() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(table))
            for table in (Document, Event, Project)
        )


def test_a_typo_is_refused_with_the_nearest_project_and_nothing_is_written(kb, harbour):
    before = counts(kb)
    with pytest.raises(projects.UnknownProject) as refused:
        services.create_document(kb.db, lesson_text("HARBUOR"), actor="a")
    assert refused.value.message == MESSAGE and refused.value.status == 422
    assert refused.value.field == "project"
    assert refused.value.details == {"project": "HARBUOR", "suggestions": ["HARBOUR"]}
    assert counts(kb) == before
    with pytest.raises(projects.UnknownProject, match="a curator registers new projects"):
        services.create_document(kb.db, lesson_text("ZZTOP"), actor="a")
    # the key, or the register's name however it is spelt, is the project
    doc = services.create_document(kb.db, lesson_text("harbour warehouse AUTOMATION"), actor="a")
    assert doc.project_key == "HARBOUR"
    with pytest.raises(projects.UnknownProject):  # an edit cannot name one either
        services.update_document(kb.db, doc.id, lesson_text("HARBUOR"), base_version=1, actor="a")
    assert services.get_document(kb.db, doc.id).version == 1


def test_the_api_answers_422_naming_the_field(client, kb, harbour):
    for collection in ("lessons", "processes"):
        source = lesson_text(
            "HARBUOR", type={"lessons": "lesson", "processes": "process"}[collection]
        )
        response = client.post(f"/api/{collection}", json={"markdown": source})
        assert response.status_code == 422, response.json
        error = response.json["error"]
        assert error["field"] == "project" and error["message"] == MESSAGE
        assert error["code"] == "unknown_project"
    fields = client.post("/api/lessons", json={"title": "T", "project": "HARBUOR"})
    assert fields.status_code == 422 and fields.json["error"]["field"] == "project"
    made = client.post("/api/lessons", json={"markdown": lesson_text("HARBOUR")}).json
    put = client.put(
        f"/api/lessons/{made['id']}", json={"markdown": lesson_text("HARBUOR"), "version": 1}
    )
    assert put.status_code == 422 and put.json["error"]["message"] == MESSAGE
    assert counts(kb)[2] == 1  # still only HARBOUR
    # a restricted lesson registers nothing that everyone could read (its project's name)
    secret = lesson_text("Halo Divestment", visibility="restricted", groups="[legal]")
    refused = client.post("/api/lessons", json={"markdown": secret})
    assert refused.status_code == 422 and refused.json["error"]["field"] == "project"
    assert [p["key"] for p in client.get("/api/projects").json["projects"]] == ["HARBOUR"]


def test_the_markdown_editor_keeps_the_text_and_says_which_project(client, kb, harbour):
    before = counts(kb)
    source = lesson_text("HARBUOR")
    response = client.post("/lessons/new", data={"markdown": source, "action": "save"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert MESSAGE in page and "HARBUOR" in page and "The vendor delivered" in page
    assert counts(kb) == before


def test_import_rejects_each_file_naming_an_unknown_project_and_imports_the_rest(kb, tmp_path):
    (tmp_path / "projects").mkdir()
    (tmp_path / "projects" / "HARBOUR.md").write_text(HARBOUR, encoding="utf-8")
    (tmp_path / "lessons").mkdir()
    for name, project in (
        ("good", "HARBOUR"),
        ("typo", "HARBUOR"),
        ("named", "Harbour Warehouse Automation"),
    ):
        (tmp_path / "lessons" / f"{name}.md").write_text(lesson_text(project))
    report = import_tree(kb.db, tmp_path, actor="t")
    assert report.rejected == [("lessons/typo.md", MESSAGE)]
    assert len(report.created) == 2 and report.registered == []
    assert [p.key for p in projects.list_projects(kb.db)] == ["HARBOUR"]


def test_create_projects_registers_them_but_never_from_a_restricted_document(kb, tmp_path):
    (tmp_path / "lessons").mkdir()
    files = {
        "a.md": lesson_text("Atlas ERP Upgrade"),
        "b.md": lesson_text("ATLAS-ERP-UPGRADE", title="Second"),
        "secret.md": lesson_text(
            "Halo Divestment", visibility="restricted", groups="[legal]", title="Secret"
        ),
    }
    for name, text in files.items():
        (tmp_path / "lessons" / name).write_text(text, encoding="utf-8")
    report = import_tree(kb.db, tmp_path, actor="t", create_projects=True)
    assert report.registered == ["ATLAS-ERP-UPGRADE"] and len(report.created) == 2
    [(path, reason)] = report.rejected
    assert path == "lessons/secret.md" and "restricted document does not register" in reason
    registered = projects.list_projects(kb.db)
    assert [(p.key, p.name) for p in registered] == [("ATLAS-ERP-UPGRADE", "Atlas ERP Upgrade")]
    assert report.summary().endswith("1 rejected; projects registered: ATLAS-ERP-UPGRADE")


def test_kb_import_prints_a_line_per_refused_file(runner, kb, tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "typo.md").write_text(lesson_text("NEWPROJ"))
    refused = runner.invoke(main, ["import", str(tmp_path)])
    assert refused.exit_code == 1
    assert (
        "rejected lessons/typo.md: Unknown project NEWPROJ — a curator registers" in refused.output
    )
    assert "0 created" in refused.output and projects.get_project(kb.db, "NEWPROJ") is None
    created = runner.invoke(main, ["import", "--create-projects", str(tmp_path)])
    assert created.exit_code == 0, created.output
    assert "1 created" in created.output and "projects registered: NEWPROJ" in created.output
    assert projects.get_project(kb.db, "NEWPROJ").name == "NEWPROJ"


def test_a_curator_registers_a_project_on_the_projects_page(login_as, kb):
    curator = login_as("curator")
    page = curator.get("/projects").get_data(as_text=True)
    assert "Register a project" in page
    assert "Register a project" not in login_as("reader").get("/projects").get_data(as_text=True)
    form = {
        "key": "kestrel",
        "name": " Kestrel  Data Centre Exit ",
        "status": "active",
        "portfolio": "IT",
        "manager": "pm@example.org",
        "started_on": "2026-01-05",
        "description": "Leave the **old** data centre.",
    }
    response = curator.post("/projects", data=form)
    assert response.status_code == 303 and response.location.endswith("/projects/KESTREL")
    project = projects.get_project(kb.db, "KESTREL")
    assert (project.name, project.portfolio, str(project.started_on)) == (
        "Kestrel Data Centre Exit",
        "IT",
        "2026-01-05",
    )
    with kb.db.read() as s:
        assert (
            s.scalar(select(Event.type).order_by(Event.seq.desc())) == "org.pmo.kb.project.created"
        )
    again = curator.post("/projects", data=form)
    assert again.status_code == 409
    assert "A project KESTREL is already registered." in again.get_data(as_text=True)
    bad = curator.post("/projects", data={**form, "key": "9 lives", "started_on": "soon"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "`key` must be" in text and "YYYY-MM-DD" in text and 'value="9 lives"' in text
    assert login_as("contributor").post("/projects", data=form).status_code == 403
