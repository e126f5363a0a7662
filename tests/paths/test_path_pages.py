"""The start page and the path pages: following a path, the curators' editor, assigning."""

from __future__ import annotations

from pathlib import Path

from kb.documents.transfer import import_tree
from kb.paths.transfer import import_paths

CONTENT = Path(__file__).resolve().parents[2] / "content"
PASSWORD = "correct horse battery"  # make_user's and login_as's (tests/conftest.py)


def test_a_new_joiner_follows_a_starter_path_from_the_start_page(kb, login_as):
    import_tree(kb.db, CONTENT, actor="test")
    assert import_paths(kb.db, CONTENT, actor="test").created == ["LP-0001", "LP-0002"]
    nina = login_as("reader", "nina", groups=["pmo"])
    start = nina.get("/start").get_data(as_text=True)
    assert "Project administrator — your first two weeks" in start
    assert "You are on no path yet" in start and 'href="/glossary/GL-0045"' in start
    assert "Project closure and lessons review" in start  # the PMO's processes (group pmo)
    home = nina.get("/").get_data(as_text=True)
    assert 'href="/start"' in home
    nav = home[home.index('aria-label="Main"') :].split("</nav>", 1)[0]
    assert ">Onboarding</a>" in nav and ">Guides</a>" in nav and "Start here" not in nav
    assert nina.post("/paths/LP-0001/take").status_code == 303
    page = nina.get("/paths/LP-0001").get_data(as_text=True)
    assert "0 of 17 read" in page and "Continue where you left off" in page
    assert "For: project administrator · 17 steps · about " in page
    step = page.split('href="/paths/LP-0001/steps/', 1)[1].split('"', 1)[0]
    opened = nina.get(f"/paths/LP-0001/steps/{step}")
    assert opened.status_code == 303
    assert opened.location.endswith(f"/guides/GD-0001?path=LP-0001&step={step}")
    guide = nina.get(opened.location).get_data(as_text=True)
    assert 'class="path-bar"' in guide and "Step 1 of 17" in guide and "I've read this" in guide
    assert '<a href="/start" aria-current="true">Onboarding</a>' in guide
    assert "Next: PMO</a>" in guide and ">Project administrator — your first two weeks</a>" in guide
    # an address whose step is not this document shows the plain page
    assert 'class="path-bar"' not in nina.get(
        f"/glossary/GL-0034?path=LP-0001&step={step}"
    ).get_data(as_text=True)
    assert 'class="path-bar"' not in nina.get(f"/guides/GD-0001?path=LP-0099&step={step}").get_data(
        as_text=True
    )
    assert nina.get("/guides/GD-0001?path=LP-0001&step=x").status_code == 400
    read = nina.post(
        f"/paths/LP-0001/steps/{step}/read", data={"from": "document"}, follow_redirects=True
    )
    guide = read.get_data(as_text=True)
    assert "Marked as read." in guide and "Step 1 of 17" in guide and "badge-done" in guide
    assert "I've read this</button>" not in guide
    assert "1 of 17 read" in nina.get("/paths/LP-0001").get_data(as_text=True)
    assert "1 of 17 read" in nina.get("/start").get_data(as_text=True)
    # with a path to finish, signing in lands on the start page; without one, at home
    again = nina.post("/login", data={"username": "nina", "password": PASSWORD})
    assert again.status_code == 303 and again.location == "/start"
    rita = login_as("reader", "rita")
    assert rita.post("/login", data={"username": "rita", "password": PASSWORD}).location == "/"


def test_curators_write_paths_in_markdown_and_see_who_follows_them(kb, login_as, make_lesson):
    lesson = make_lesson()
    cora = login_as("curator", "cora")
    form = cora.get("/paths/new")
    assert form.status_code == 200 and "1. [Start here" in form.get_data(as_text=True)
    bad = cora.post(
        "/paths/new", data={"markdown": "---\ntitle: X\n---\n\n1. [A](LL-2025-9999) — 5 min\n"}
    )
    assert bad.status_code == 422 and "which kb does not hold" in bad.get_data(as_text=True)
    source = f"---\ntitle: Before your first gate\naudience: project manager\n---\n\n1. [Late spec]({lesson.id}) — 10 min\n"
    saved = cora.post("/paths/new", data={"markdown": source})
    assert saved.status_code == 303 and saved.location.endswith("/paths/LP-0001")
    login_as("reader", "nina")
    assigned = cora.post("/paths/LP-0001/assign", data={"username": "nina"}, follow_redirects=True)
    page = assigned.get_data(as_text=True)
    assert "People on this path" in page and "0 of 1 read" in page and "assigned by cora" in page
    assert "Paths you assigned" in cora.get("/start").get_data(as_text=True)
    reader = login_as("reader", "rita")
    assert reader.get("/paths/new").status_code == 403
    assert "People on this path" not in reader.get("/paths/LP-0001").get_data(as_text=True)
    assert reader.get("/paths/LP-0099").status_code == 404


def test_reading_times_are_said_as_people_say_them():
    from kb.web.present import duration

    assert [duration(m) for m in (45, 60, 119, 199, 203)] == [
        "45 min",
        "1 h",
        "2 h",
        "3 h 15 min",
        "3 h 30 min",
    ]
