"""/api/paths: curators write paths, people record progress; answers follow the OpenAPI
document (tests/contract.py checks every answer)."""

from __future__ import annotations


def test_a_path_through_the_api_from_creation_to_completion(kb, login_as, make_lesson):
    lesson = make_lesson()
    cora = login_as("curator", "cora")
    steps = [
        {"title": "Late spec", "target": lesson.id, "minutes": 10},
        {"title": "PRINCE2", "target": "https://en.wikipedia.org/wiki/PRINCE2", "minutes": 5},
    ]
    created = cora.post("/api/paths", json={"title": "Before your first gate", "steps": steps})
    assert created.status_code == 201, created.json
    path = created.json
    assert path["id"] == "LP-0001" and path["minutes"] == 15 and path["progress"] is None
    assert [s["kind"] for s in path["steps"]] == ["lesson", "link"]
    assert path["steps"][0]["page"] == f"/lessons/{lesson.id}"
    nina = login_as("reader", "nina")
    assert nina.post("/api/paths", json={"title": "Mine", "steps": steps}).status_code == 403
    bad = cora.post("/api/paths", json={"title": "X", "steps": [{**steps[0], "target": "GD-0404"}]})
    assert bad.status_code == 400
    assert bad.json["error"]["field"] == "steps"
    assigned = cora.post("/api/paths/LP-0001/enrolments", json={"username": "nina"})
    assert assigned.status_code == 201 and assigned.json["people"][0]["username"] == "nina"
    assert cora.post("/api/paths/LP-0001/enrolments", json={"username": "nina"}).status_code == 409
    first, second = (s["id"] for s in path["steps"])
    opened = nina.post(f"/api/paths/LP-0001/steps/{first}/opened").json
    assert opened["steps"][0]["opened"] and opened["progress"]["next_step"] == first
    nina.post(f"/api/paths/LP-0001/steps/{first}/acknowledged")
    done = nina.post(f"/api/paths/LP-0001/steps/{second}/acknowledged").json
    assert done["progress"]["completed_at"] and done["progress"]["done"] == 2
    assert done["progress"]["assigned_by"] == "cora" and done["people"] == []
    mine = nina.get("/api/me/paths").json["paths"]
    assert [p["id"] for p in mine] == ["LP-0001"]
    reordered = cora.put("/api/paths/LP-0001", json={"title": "Before", "steps": steps[::-1]})
    assert [s["id"] for s in reordered.json["steps"]] == [second, first]
    assert reordered.json["people"][0]["completed_at"]
    retired = cora.post("/api/paths/LP-0001/retire").json
    assert retired["status"] == "retired" and nina.get("/api/paths").json["paths"] == []
    assert cora.get("/api/paths?retired=1").json["paths"][0]["id"] == "LP-0001"
    assert nina.post("/api/paths/LP-0001/enrolments", json={}).status_code == 201  # already on
    assert nina.get("/api/paths/LP-0404").status_code == 404
