"""The briefings on a project's page: newest first, each lesson with its reason and answer,
the three answer buttons for those who may answer, and restricted lessons left out."""

from __future__ import annotations

import html as htmllib
import re
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from kb.briefings.models import Briefing, BriefingItem
from kb.projects import services as projects


@pytest.fixture
def briefed(kb, make_lesson, make_user):
    """HARBOUR briefed at its start and at gate G2; one lesson is for the finance group."""
    maria = make_user("maria", "reader")  # the project manager: a reader, the recipient
    with kb.db.write() as s:
        projects.ensure_project(s, "HARBOUR", "Harbour warehouse system")
    spec = make_lesson("Vendor interface specification arrived late")
    migration = make_lesson("Data migration dry runs found bad master data")
    secret = make_lesson(
        "Vendor penalty clause in the finance file", visibility="restricted", groups="[finance]"
    )
    with kb.db.write() as s:
        start = Briefing(
            project_key="HARBOUR",
            trigger="started",
            source_event_seq=101,
            created_at=datetime(2026, 10, 1, 9, tzinfo=UTC),
            recipient="maria",
            words=["vendor"],
        )
        gate = Briefing(
            project_key="HARBOUR",
            trigger="gate:G2",
            source_event_seq=102,
            created_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
            recipient="maria",
            words=["build"],
            phase="build",
        )
        s.add_all([start, gate])
        s.flush()
        s.add_all(
            [
                BriefingItem(
                    briefing_id=start.id,
                    lesson_id=spec.id,
                    rank=1,
                    reason="shares tags vendor, interface-spec",
                ),
                BriefingItem(
                    briefing_id=start.id, lesson_id=secret.id, rank=2, reason="shares tags vendor"
                ),
                BriefingItem(
                    briefing_id=start.id,
                    lesson_id=migration.id,
                    rank=3,
                    reason="matches 'data migration' in the project description",
                    response="applies",
                    responded_by="cleo",
                    responded_at=datetime(2026, 10, 2, tzinfo=UTC),
                ),
                BriefingItem(
                    briefing_id=gate.id, lesson_id=spec.id, rank=1, reason="same phase: build"
                ),
            ]
        )
        ids = {"start": start.id, "gate": gate.id}
    return {"maria": maria, "spec": spec.id, "migration": migration.id, "secret": secret.id, **ids}


def html(client, url: str = "/projects/HARBOUR") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def item(kb, briefing_id: int, lesson_id: str) -> BriefingItem:
    with kb.db.read() as s:
        return s.scalar(
            select(BriefingItem).where(
                BriefingItem.briefing_id == briefing_id, BriefingItem.lesson_id == lesson_id
            )
        )


def test_briefings_newest_first_with_reasons_and_answers(briefed, login_as):
    page = html(login_as("contributor", "cleo"))
    gate, start = page.index("Gate G2"), page.index("Project start")
    assert gate < start  # newest first
    assert "1 Dec 2026" in page and "1 Oct 2026" in page
    assert f'href="/lessons/{briefed["spec"]}"' in page
    assert "Why: shares tags vendor, interface-spec" in page
    assert "Why: matches &#39;data migration&#39; in the project description" in page
    assert "Answer: <strong>Applies</strong>" in page and "(cleo, 2 Oct 2026)" in page
    # cleo is not in finance: the restricted lesson is not shown, nor counted
    assert "Vendor penalty clause" not in page and briefed["secret"] not in page
    assert "1 of 2 answered" in page and "0 of 1 answered" in page
    assert page.count('class="briefing-answer"') == 3
    for label in ("Applies", "Not applicable", "Action taken"):
        assert f">{label}</button>" in page


def test_restricted_lessons_show_for_those_who_may_read_them(briefed, login_as):
    page = html(login_as("contributor", "fin", groups=["finance"]))
    assert "Vendor penalty clause in the finance file" in page and "1 of 3 answered" in page


def test_readers_see_no_buttons_unless_the_briefing_is_theirs(briefed, login_as, app):
    page = html(login_as("reader", "rita"))
    assert "Gate G2" in page and 'class="briefing-answer"' not in page
    maria, user = app.test_client(), briefed["maria"]
    with maria.session_transaction() as session:  # signed in as tests/conftest.py does
        session.update(
            {
                "_user_id": f"{user.id}:{user.session_token}",
                "_fresh": True,
                "auth_at": int(time.time()),
            }
        )
    assert html(maria).count('class="briefing-answer"') == 3


def test_an_answer_is_recorded_and_shown(kb, briefed, login_as):
    cleo = login_as("contributor", "cleo")
    url = f"/projects/harbour/briefings/{briefed['gate']}/responses"
    answer = cleo.post(url, data={"lesson": briefed["spec"], "response": "action_taken"})
    assert answer.status_code == 303
    assert answer.location.endswith(f"/projects/HARBOUR#briefing-{briefed['gate']}")
    recorded = item(kb, briefed["gate"], briefed["spec"])
    assert (recorded.response, recorded.responded_by) == ("action_taken", "cleo")
    page = html(cleo)
    assert "Recorded: “Vendor interface specification arrived late” — action taken." in page
    assert "1 of 1 answered" in page
    # changing one's mind: the latest answer counts
    cleo.post(url, data={"lesson": briefed["spec"], "response": "not_applicable"})
    assert item(kb, briefed["gate"], briefed["spec"]).response == "not_applicable"


def test_bad_answers_change_nothing(kb, briefed, login_as):
    cleo = login_as("contributor", "cleo")
    url = f"/projects/HARBOUR/briefings/{briefed['start']}/responses"
    bad = cleo.post(url, data={"lesson": briefed["spec"], "response": "maybe"})
    assert bad.status_code == 303
    assert "Answer not recorded: response must be one of" in html(cleo)
    assert item(kb, briefed["start"], briefed["spec"]).response is None
    # a lesson not in the briefing, a lesson cleo may not read, another project's briefing
    assert cleo.post(url, data={"lesson": "LL-2020-9999", "response": "applies"}).status_code == 404
    hidden = cleo.post(url, data={"lesson": briefed["secret"], "response": "applies"})
    assert hidden.status_code == 404
    assert item(kb, briefed["start"], briefed["secret"]).response is None
    elsewhere = cleo.post(
        f"/projects/ATLAS/briefings/{briefed['start']}/responses",
        data={"lesson": briefed["spec"], "response": "applies"},
    )
    assert elsewhere.status_code == 404
    assert cleo.post("/projects/HARBOUR/briefings/999999/responses", data={}).status_code == 404
    # a reader who is not the briefing's project manager
    rita = login_as("reader", "rita")
    refused = rita.post(url, data={"lesson": briefed["spec"], "response": "applies"})
    assert refused.status_code == 403
    assert item(kb, briefed["start"], briefed["spec"]).response is None


def test_a_project_without_briefings_has_no_briefings_box(kb, login_as):
    with kb.db.write() as s:
        projects.ensure_project(s, "ZED", "Zed")
    assert 'class="panel briefings"' not in html(login_as("reader"), "/projects/ZED")


def test_the_buttons_carry_the_csrf_token(kb, briefed, login_as, app):
    app.config["WTF_CSRF_ENABLED"] = True
    cleo = login_as("contributor", "cleo")
    url = f"/projects/HARBOUR/briefings/{briefed['gate']}/responses"
    answer = {"lesson": briefed["spec"], "response": "applies"}
    assert cleo.post(url, data=answer).status_code == 400  # no token
    assert item(kb, briefed["gate"], briefed["spec"]).response is None
    token = re.search(
        r'class="briefing-answer".*?name="csrf_token" value="([^"]+)"', html(cleo), re.S
    ).group(1)
    assert cleo.post(url, data={**answer, "csrf_token": htmllib.unescape(token)}).status_code == 303
    assert item(kb, briefed["gate"], briefed["spec"]).response == "applies"
