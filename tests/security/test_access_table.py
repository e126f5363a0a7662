"""Every route, called as anonymous, reader, contributor, curator and admin.

This table is written independently of kb/access_rules.py: a route added to the application
without a line here fails `test_every_route_is_listed`, and a line that disagrees with what
the application does fails the table test.
"""

from __future__ import annotations

import re

import pytest

from kb import security
from kb.access_rules import ADMIN, READER, needs
from kb.accounts import groups
from kb.accounts.viewer import SYSTEM
from kb.documents import services as documents
from kb.events.inbound.producers import create_producer
from kb.events.webhooks import subscriptions
from kb.paths import services as paths
from kb.paths.source import parse_path

ROLES = ["anonymous", "reader", "contributor", "curator", "admin"]
# who may: "public", "producer" (its own credentials only), "reader" (any signed-in user),
# "user" (signed-in: own account), "contributor", "curator", "admin"
EXPECTED: dict[tuple[str, str], str] = {
    ("static", "GET"): "public",
    ("healthz", "GET"): "public",
    ("web.login", "GET"): "public",
    ("web.login", "POST"): "public",
    ("web.logout", "GET"): "public",
    ("web.logout", "POST"): "public",
    ("api.openapi_json", "GET"): "public",
    ("api.post_events", "POST"): "producer",
    ("web.home", "GET"): "reader",
    ("web.list_documents", "GET"): "reader",
    ("web.document", "GET"): "reader",
    ("web.download", "GET"): "reader",
    ("web.process_diagram", "GET"): "reader",
    ("web.compare_processes", "GET"): "reader",
    ("web.history", "GET"): "reader",
    ("web.diff", "GET"): "reader",
    ("web.revision", "GET"): "reader",
    ("web.search", "GET"): "reader",
    ("web.list_projects", "GET"): "reader",
    ("web.register_project", "POST"): "curator",
    ("web.project", "GET"): "reader",
    # onboarding paths (tests/paths)
    ("web.start_page", "GET"): "reader",
    ("web.list_paths", "GET"): "reader",
    ("web.path_page", "GET"): "reader",
    ("web.open_path_step", "GET"): "reader",
    ("web.take_path", "POST"): "user",
    ("web.acknowledge_path_step", "POST"): "user",
    ("web.assign_path", "POST"): "curator",
    ("web.move_path_step", "POST"): "curator",
    ("web.retire_path", "POST"): "curator",
    ("web.new_path", "GET"): "curator",
    ("web.new_path", "POST"): "curator",
    ("web.edit_path", "GET"): "curator",
    ("web.edit_path", "POST"): "curator",
    ("api.list_paths", "GET"): "reader",
    ("api.get_path", "GET"): "reader",
    ("api.create_path", "POST"): "curator",
    ("api.update_path", "PUT"): "curator",
    ("api.retire_path", "POST"): "curator",
    ("api.enrol_path", "POST"): "user",
    ("api.open_step", "POST"): "user",
    ("api.acknowledge_step", "POST"): "user",
    ("api.my_paths_progress", "GET"): "user",
    ("api.search", "GET"): "reader",
    ("api.list_projects", "GET"): "reader",
    ("api.get_project", "GET"): "reader",
    ("api.get_project_review", "GET"): "reader",
    # the closure workshop: per-review rules on top (tests/reviews/test_workshop.py)
    ("web.project_review", "GET"): "reader",
    ("web.record_review_lesson", "POST"): "reader",
    ("web.submit_review", "POST"): "reader",
    ("api.record_review_lesson", "POST"): "reader",
    ("api.submit_review", "POST"): "reader",
    # a review's drafts: per-review and per-draft rules on top (tests/reviews/test_drafts.py)
    ("web.edit_review_lesson", "POST"): "reader",
    ("web.withdraw_review_lesson", "POST"): "reader",
    ("api.edit_review_lesson", "PUT"): "reader",
    ("api.withdraw_review_lesson", "POST"): "reader",
    ("api.list_project_briefings", "GET"): "reader",
    # contributors or the briefing's project manager (tests/briefings)
    ("api.respond_to_briefing", "POST"): "reader",
    ("web.new_document", "GET"): "contributor",
    ("web.new_document", "POST"): "contributor",
    # editing a document someone else created needs a curator; its creator, a contributor,
    # may too (test_contributors_edit_what_they_created)
    ("web.edit_document", "GET"): "curator",
    ("web.edit_document", "POST"): "curator",
    ("web.new_document_form", "GET"): "contributor",
    ("web.new_document_form", "POST"): "contributor",
    ("web.edit_document_form", "GET"): "curator",
    ("web.edit_document_form", "POST"): "curator",
    ("web.restore", "POST"): "curator",
    ("api.preview", "POST"): "contributor",
    ("web.admin_events", "GET"): "curator",
    ("web.admin_event", "GET"): "curator",
    ("web.admin_retry", "POST"): "curator",
    ("api.list_events", "GET"): "curator",
    ("api.get_event", "GET"): "curator",
    # the lesson lifecycle: per-lesson rules on top (tests/documents/test_lifecycle.py)
    ("web.lesson_transition", "POST"): "contributor",
    ("api.lesson_transition", "POST"): "contributor",
    # a lesson's actions: closing is also for the action's owner (tests/actions)
    ("api.list_lesson_actions", "GET"): "reader",
    ("api.add_lesson_action", "POST"): "curator",
    ("web.add_lesson_action", "POST"): "curator",
    ("api.close_action", "POST"): "user",
    ("web.close_action", "POST"): "user",
    # every action and open review, with an overdue filter (tests/web/test_overdue.py)
    ("web.actions_page", "GET"): "reader",
    ("api.list_actions", "GET"): "reader",
    ("api.list_reviews", "GET"): "reader",
    ("web.queue", "GET"): "curator",
    # the learning-health dashboard, its CSV downloads and its JSON (tests/dashboard)
    ("web.dashboard", "GET"): "curator",
    ("web.dashboard_csv", "GET"): "curator",
    ("web.dashboard_table_csv", "GET"): "curator",
    ("api.get_dashboard", "GET"): "curator",
    # the PMO's tasks (tests/tasks); a process model's changes follow the model (tests/processes)
    ("web.tasks_page", "GET"): "curator",
    ("web.complete_task", "POST"): "curator",
    ("api.list_tasks", "GET"): "curator",
    ("api.complete_task", "POST"): "curator",
    ("api.list_process_changes", "GET"): "reader",
    # "reviewed, no change": also the model's owner, expert or custodian (tests/processes/
    # test_review_cycle.py); the models one is in
    ("web.mark_process_reviewed", "POST"): "curator",
    ("api.mark_process_reviewed", "POST"): "curator",
    ("web.my_processes", "GET"): "user",
    ("api.my_processes", "GET"): "user",
    ("api.export_bpmn", "GET"): "reader",
    ("api.import_bpmn", "POST"): "contributor",
    ("web.import_bpmn", "POST"): "contributor",
    # a process model's governance: per-model rules on top (tests/processes/test_governance.py)
    ("api.list_process_versions", "GET"): "reader",
    ("api.compare_process_versions", "GET"): "reader",
    ("api.process_transition", "POST"): "reader",
    ("web.process_versions", "GET"): "reader",
    ("web.process_compare", "GET"): "reader",
    ("web.process_transition", "POST"): "reader",
    # contributors or the briefing's project manager (tests/web/test_project_briefings.py)
    ("web.respond_to_briefing", "POST"): "reader",
    # one's own inbox; another user's notification is a 404 (tests/notifications)
    ("web.inbox_page", "GET"): "user",
    ("web.mark_notification_read", "POST"): "user",
    ("web.mark_inbox_read", "POST"): "user",
    ("api.get_inbox", "GET"): "user",
    ("api.mark_notification_read", "POST"): "user",
    ("api.mark_inbox_read", "POST"): "user",
}
for _c in ("lesson", "process", "guide", "term"):
    EXPECTED.update(
        {
            (f"api.list_{_c}", "GET"): "reader",
            (f"api.get_{_c}", "GET"): "reader",
            (f"api.revisions_{_c}", "GET"): "reader",
            (f"api.revision_{_c}", "GET"): "reader",
            (f"api.create_{_c}", "POST"): "contributor",
            (f"api.update_{_c}", "PUT"): "curator",
        }
    )
ADMIN_ONLY = [
    "web.admin_subscriptions",
    "web.admin_create_subscription",
    "web.admin_subscription",
    "web.admin_update_subscription",
    "web.admin_subscription_active",
    "web.admin_rotate_subscription_secret",
    "web.admin_producers",
    "web.admin_create_producer",
    "web.admin_producer",
    "web.admin_producer_active",
    "web.admin_rotate_producer",
    "web.admin_users",
    "web.admin_user",
    "web.admin_audit",
    "web.admin_groups",
    "web.admin_group",
    "web.admin_test_subscription",
    "api.list_subscriptions",
    "api.create_subscription",
    "api.get_subscription",
    "api.update_subscription",
    "api.rotate_subscription_secret",
    "api.list_subscription_deliveries",
    "api.test_subscription",
]
OWN_ACCOUNT = [
    "web.account",
    "web.change_password",
    "web.tokens",
    "web.revoke_token",
    "web.end_sessions",
]
RANK = {"anonymous": -1, "reader": 0, "contributor": 1, "curator": 2, "admin": 3}


def expected(endpoint: str, method: str) -> str | None:
    if endpoint in ADMIN_ONLY:
        return "admin"
    if endpoint in OWN_ACCOUNT:
        return "user"
    return EXPECTED.get((endpoint, method))


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_listed(app):
    missing = [
        f"{m} {r.rule} ({r.endpoint})" for r, m in routes(app) if expected(r.endpoint, m) is None
    ]
    assert not missing, "add these routes to tests/security/test_access_table.py: " + ", ".join(
        missing
    )


@pytest.fixture
def world(kb, make_user, make_project):
    """One of everything a route can name."""
    make_user("someone", "reader")
    make_project("ATLAS")
    doc = documents.create_document(
        kb.db,
        "---\ntitle: Vendor interface arrived late\nproject: ATLAS\n---\n\n## Summary\n\nLate.\n",
        actor="x",
        type_hint="lesson",
    )
    process = documents.create_document(
        kb.db,
        "---\ntitle: Stage gate review\n---\n\n## Purpose\n\nGo or stop.\n",
        actor="x",
        type_hint="process",
    )
    guide = documents.create_document(
        kb.db, "---\ntitle: Start here\n---\n\nWelcome.\n", actor="x", type_hint="guide"
    )
    term = documents.create_document(
        kb.db, "---\ntitle: RAID log\n---\n\nA log.\n", actor="x", type_hint="term"
    )
    path = paths.save_path(
        kb.db,
        SYSTEM,
        parse_path(f"---\ntitle: First weeks\n---\n\n1. [Start]({guide.id}) — 5 min\n"),
    )
    sub, _ = subscriptions.create_subscription(
        kb.db, name="chat", url="https://chat.example/hook", owner="ada"
    )
    create_producer(kb.db, "jira")
    group = groups.create_group(kb.db, "finance", actor="x")
    return {
        "group_id": str(group.id),
        "folder": "lessons",
        "doc_id": doc.id,
        "number": "1",
        "seq": "1",
        "key": "ATLAS",
        "subscription_id": str(sub.id),
        "name": "jira",
        "username": "someone",
        "token_id": "1",
        "filename": "kb.css",
        "action_id": "1",
        "briefing_id": "1",
        "task_id": "1",
        "processes": process.id,
        "old_id": process.id,
        "new_id": process.id,
        "guides": guide.id,
        "glossary": term.id,
        "path_id": path.id,
        "step_id": str(path.steps[0].id),
        "notification_id": "1",
        "a": "1",
        "b": "draft",
        "table": "per_project",
    }


def url_for_rule(rule, values: dict) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        if name == "doc_id":  # a document of the collection the URL names
            for collection in ("processes", "guides", "glossary"):
                if rule.rule.startswith((f"/api/{collection}/", f"/{collection}/")):
                    return values[collection]
        assert name in values, f"give the access test a sample value for <{name}> ({rule.rule})"
        return values[name]

    return re.sub(r"<([^>]+)>", fill, rule.rule)


def denied(response, role: str) -> bool:
    if response.status_code in (401, 403):
        return True
    return role == "anonymous" and response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_each_role_as_listed(app, login_as, world, role):
    client = app.test_client() if role == "anonymous" else login_as(role)
    wrong = []
    for rule, method in routes(app):
        need = expected(rule.endpoint, method)
        if need is None:
            continue
        url = url_for_rule(rule, world)
        kwargs = {"json": {}} if rule.rule.startswith("/api/") and method in ("POST", "PUT") else {}
        response = client.open(url, method=method, **kwargs)
        response.close()
        if need == "public":  # its own answer (a refused sign-in is a 401), but never a 403
            if response.status_code == 403:
                wrong.append(f"{method} {url} as {role}: 403 (public)")
            continue
        may = (
            need != "producer"
            and role != "anonymous"
            and (need in ("reader", "user") or RANK[role] >= RANK[need])
        )
        if may == denied(response, role):
            wrong.append(f"{method} {url} as {role}: {response.status_code} (needs {need})")
        if (
            role != "anonymous"
            and rule.endpoint in ("web.logout", "web.end_sessions")
            and method == "POST"
        ):
            client = login_as(role)  # signing out ends this client's session: get a new one
    assert not wrong, "\n".join(wrong)


def test_contributors_edit_what_they_created_and_only_that(login_as, lesson_md):
    cleo = login_as("contributor", "cleo")
    mine = cleo.post("/api/lessons", json={"markdown": lesson_md("Mine")}).json
    assert cleo.get(f"/lessons/{mine['id']}/edit").status_code == 200
    put = cleo.put(
        f"/api/lessons/{mine['id']}",
        json={"markdown": mine["markdown"] + "\nMore.\n", "version": 1},
    )
    assert put.status_code == 200 and put.json["version"] == 2
    other = login_as("contributor", "otto")
    assert other.get(f"/lessons/{mine['id']}/edit").status_code == 403
    assert (
        other.put(f"/api/lessons/{mine['id']}", json={"markdown": "x", "version": 2}).status_code
        == 403
    )
    assert other.get(f"/lessons/{mine['id']}").status_code == 200  # reading is fine


def _answer():
    return "done"


def test_a_view_that_declares_nothing_is_refused_even_to_an_admin(app, login_as):
    """Fail closed: no `@needs` on the view, no way in, whoever asks and however."""
    app.add_url_rule("/undeclared", "undeclared", _answer, methods=["GET", "POST"])
    app.add_url_rule("/declared", "declared", needs(READER, POST=ADMIN)(lambda: "done"))
    admin = login_as("admin")
    for method in ("GET", "POST", "HEAD"):
        refused = admin.open("/undeclared", method=method)
        assert refused.status_code == 403, method
    assert (
        "no access rule"
        in admin.get("/undeclared", headers={"Accept": "application/json"}).json["error"]["message"]
    )
    assert admin.get("/declared").status_code == 200  # the same admin, a declared view
    with app.test_request_context("/"):
        assert not security.may("undeclared")


def test_a_rule_per_method_where_it_differs(app, login_as):
    app.add_url_rule(
        "/per-method",
        "per_method",
        needs(READER, POST=ADMIN, what="try this")(lambda: "done"),
        methods=["GET", "POST"],
    )
    reader, admin = login_as("reader"), login_as("admin")
    assert reader.get("/per-method").status_code == 200
    refused = reader.post("/per-method", headers={"Accept": "application/json"})
    assert refused.status_code == 403
    assert refused.json["error"]["message"].startswith("Only admins can try this.")
    assert admin.post("/per-method").status_code == 200


@pytest.mark.parametrize("wrong", [{"rule": "root"}, {"rule": READER, "post": ADMIN}])
def test_a_declaration_names_known_rules_and_methods(wrong):
    rule = wrong.pop("rule")
    with pytest.raises(ValueError, match="@needs"):
        needs(rule, **wrong)
