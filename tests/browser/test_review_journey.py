"""The closure review in a real browser: a project manager records two lessons and submits
the review; a curator publishes one of them and adds an action."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from kb.accounts import services as accounts
from kb.core.time import utcnow
from kb.events.log.models import Event
from kb.events.log.services import lock_log

from .live import EDITOR

pytestmark = pytest.mark.browser

PM = ("pablo", "a project manager password")


def close_project(live_kb, key: str) -> None:
    """What a project tool's `project.closed` does: the review opens, pablo facilitates."""
    kb = live_kb.app.extensions["kb"]
    accounts.create_user(
        kb.db,
        PM[0],
        password=PM[1],
        role="contributor",
        display_name="Pablo Ruiz",
        email="pablo@example.org",
        actor="test",
    )
    data = {
        "project": {"projectId": key, "name": "Harbour warehouse"},
        "closedAt": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "closureType": "completed",
        "managerEmail": "pablo@example.org",
        "participants": ["ops@example.org"],
        "processModels": [],
    }
    with kb.db.write() as s:
        lock_log(s)
        s.add(
            Event(
                source="urn:pmo:test",
                event_id=str(uuid.uuid4()),
                type="org.pmo.project.closed",
                time=utcnow(),
                data=data,
                partition_key=key,
            )
        )
    kb.worker.run_pending()


def sign_in(page, url: str, who: tuple[str, str]) -> None:
    page.goto(url + "/login")
    page.get_by_label("Username").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def record(
    page, step: str, title: str, happened: str, lesson: str, recommendation: str, topic: str
) -> None:
    section = page.locator(f"section#{step}")
    section.get_by_label("Title").fill(title)
    section.get_by_label(re.compile("^What happened")).fill(happened)
    section.get_by_label(re.compile("^Lesson")).fill(lesson)
    section.get_by_label(re.compile("^Recommendation")).fill(recommendation)
    section.get_by_label(topic, exact=True).check()
    section.get_by_role("button", name="Record lesson").click()
    expect(page.locator(".flash-success")).to_contain_text(title)


def test_closure_workshop_then_publish_and_act(live_kb, page):
    close_project(live_kb, "HARBOUR")

    # The project manager finds the review on the project page.
    sign_in(page, live_kb.url, PM)
    page.goto(live_kb.url + "/projects/HARBOUR")
    page.get_by_role("link", name=re.compile("^Closure review")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Closure review")
    expect(page.locator(".review-meta")).to_contain_text("pablo@example.org")
    expect(page.locator("#progress")).to_have_text("No lessons recorded yet; 0 submitted")

    record(
        page,
        "went-well",
        "Pallet labels printed at the dock saved a day",
        "Labels were printed at the receiving dock instead of the office.",
        "Put the printer where the work is.",
        "Plan label printers per dock.",
        "quality",
    )
    record(
        page,
        "to-improve",
        "Warehouse staff trained too late",
        "Training started the week before go-live.",
        "Training needs a slot in the plan, not the last week.",
        "Schedule training at least four weeks before go-live.",
        "resources",
    )
    expect(page.locator("#progress")).to_have_text("2 lessons: 2 complete; 0 submitted")
    expect(page.locator("#went-well .review-lessons li")).to_have_count(1)
    expect(page.locator("#to-improve .review-lessons li")).to_have_count(1)

    page.get_by_role("button", name="Submit the review").click()
    expect(page.locator(".flash-success")).to_contain_text("2 lessons went to the curators")
    expect(page.locator("#progress")).to_have_text("2 lessons: 2 complete; 2 submitted")
    expect(page.get_by_role("button", name="Record lesson")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    # A curator takes the lesson to improve from the queue, publishes it and adds an action.
    sign_in(page, live_kb.url, EDITOR)
    page.goto(live_kb.url + "/queue")
    page.get_by_role("link", name="Warehouse staff trained too late").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Warehouse staff trained too late")
    page.get_by_role("button", name="Start review").click()
    expect(page.locator(".flash-success")).to_contain_text("now in review")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".flash-success")).to_contain_text("now published")

    actions = page.locator(".action-add-form")
    actions.get_by_label("Action").fill("Add a training milestone to the deployment template")
    actions.get_by_label("Owner").fill("pablo")
    actions.get_by_label("Due").fill("2027-01-31")
    actions.locator("select[name=target_kind]").select_option("template")
    actions.get_by_label("Target id or link").fill("https://intranet.example/templates/deploy")
    actions.get_by_role("button", name="Add action").click()
    expect(page.locator(".actions-list")).to_contain_text("Add a training milestone")
    expect(page.locator(".status-panel")).to_contain_text("In action")

    # The other lesson still waits in the queue.
    page.goto(live_kb.url + "/queue")
    expect(page.locator("table.queue").first).to_contain_text(
        "Pallet labels printed at the dock saved a day"
    )
