"""Which role each route needs: one table, checked before every request.

A route missing from the table is refused (fail closed), and a test fails for every route
not listed here, so a new route cannot go out without a decision.
- "public": anyone, signed in or not (sign-in page, health check, static files);
- "producer": authenticated by its own producer signature or token (event ingest);
- "reader": signed-in users, and anonymous visitors when KB_ANONYMOUS_READ is on;
- "user": any signed-in user (their own account and tokens);
- "contributor", "curator", "admin": that role or a higher one.
Rules about single documents (restricted ones) are checked by the views on top of this.
"""

from __future__ import annotations

PUBLIC, PRODUCER, READER, USER = "public", "producer", "reader", "user"
CONTRIBUTOR, CURATOR, ADMIN = "contributor", "curator", "admin"

#: (endpoint, method) -> what it needs; "*" matches every method of that endpoint
RULES: dict[tuple[str, str], str] = {
    ("static", "*"): PUBLIC,
    ("healthz", "*"): PUBLIC,
    ("web.login", "*"): PUBLIC,
    ("web.logout", "*"): PUBLIC,
    ("api.openapi_json", "*"): PUBLIC,
    ("api.post_events", "POST"): PRODUCER,
    # reading
    ("web.home", "GET"): READER,
    ("web.list_documents", "GET"): READER,
    ("web.document", "GET"): READER,
    ("web.download", "GET"): READER,
    ("web.process_diagram", "GET"): READER,
    ("web.history", "GET"): READER,
    ("web.diff", "GET"): READER,
    ("web.revision", "GET"): READER,
    ("web.search", "GET"): READER,
    ("web.list_projects", "GET"): READER,
    ("web.register_project", "POST"): CURATOR,
    ("web.project", "GET"): READER,
    ("api.search", "GET"): READER,
    ("api.list_projects", "GET"): READER,
    ("api.get_project", "GET"): READER,
    ("api.get_project_review", "GET"): READER,
    # the closure workshop: recording is for the review's facilitator, participants (by
    # e-mail), contributors and curators; submitting for its facilitator or a curator —
    # checked per review (kb.reviews.workshop)
    ("web.project_review", "GET"): READER,
    ("web.record_review_lesson", "POST"): READER,
    ("web.submit_review", "POST"): READER,
    ("api.record_review_lesson", "POST"): READER,
    ("api.submit_review", "POST"): READER,
    # a review's drafts: its facilitator and participants, the author, curators (kb.reviews.drafts)
    ("web.edit_review_lesson", "POST"): READER,
    ("web.withdraw_review_lesson", "POST"): READER,
    ("api.edit_review_lesson", "PUT"): READER,
    ("api.withdraw_review_lesson", "POST"): READER,
    ("api.list_project_briefings", "GET"): READER,
    # answering a briefing: contributors or its project manager, checked per briefing
    ("api.respond_to_briefing", "POST"): READER,
    # one's own account
    ("web.account", "*"): USER,
    ("web.change_password", "*"): USER,
    ("web.tokens", "*"): USER,
    ("web.revoke_token", "POST"): USER,
    ("web.end_sessions", "POST"): USER,
    # one's own inbox (kb.notifications): another user's notification is a 404
    ("web.inbox_page", "GET"): USER,
    ("web.mark_notification_read", "POST"): USER,
    ("web.mark_inbox_read", "POST"): USER,
    ("api.get_inbox", "GET"): USER,
    ("api.mark_notification_read", "POST"): USER,
    ("api.mark_inbox_read", "POST"): USER,
    # writing
    ("web.new_document", "*"): CONTRIBUTOR,
    ("web.edit_document", "*"): CONTRIBUTOR,
    ("web.new_document_form", "*"): CONTRIBUTOR,
    ("web.edit_document_form", "*"): CONTRIBUTOR,
    ("web.restore", "POST"): CONTRIBUTOR,
    ("api.preview", "POST"): CONTRIBUTOR,
    # the lesson lifecycle: who may make which transition is checked per lesson
    # (kb.documents.lifecycle); the queue is the curators'
    ("web.lesson_transition", "POST"): CONTRIBUTOR,
    ("api.lesson_transition", "POST"): CONTRIBUTOR,
    # a lesson's actions (kb.actions): reading follows the lesson; curators add them; an
    # action's owner (any signed-in user) or a curator closes it, checked per action
    ("api.list_lesson_actions", "GET"): READER,
    ("api.add_lesson_action", "POST"): CURATOR,
    ("web.add_lesson_action", "POST"): CURATOR,
    ("api.close_action", "POST"): USER,
    ("web.close_action", "POST"): USER,
    # every action and open review, filtered (kb.overdue): reading follows the lessons
    ("web.actions_page", "GET"): READER,
    ("api.list_actions", "GET"): READER,
    ("api.list_reviews", "GET"): READER,
    # curating
    ("web.admin_events", "GET"): CURATOR,
    ("web.admin_event", "GET"): CURATOR,
    ("web.admin_retry", "POST"): CURATOR,
    ("api.list_events", "GET"): CURATOR,
    ("api.get_event", "GET"): CURATOR,
    ("web.queue", "GET"): CURATOR,
    # the learning-health dashboard (kb.readmodels.dashboard): the PMO's
    ("web.dashboard", "GET"): CURATOR,
    ("web.dashboard_csv", "GET"): CURATOR,
    ("web.dashboard_table_csv", "GET"): CURATOR,
    ("api.get_dashboard", "GET"): CURATOR,
    # the PMO's task page and list (kb.tasks); process changes follow the model
    ("web.tasks_page", "GET"): CURATOR,
    ("web.complete_task", "POST"): CURATOR,
    ("api.list_tasks", "GET"): CURATOR,
    ("api.complete_task", "POST"): CURATOR,
    ("api.list_process_changes", "GET"): READER,
    # answering a briefing on the project page: as api.respond_to_briefing
    ("web.respond_to_briefing", "POST"): READER,
    # administration
    ("web.admin_subscriptions", "*"): ADMIN,
    ("web.admin_create_subscription", "POST"): ADMIN,
    ("web.admin_subscription", "*"): ADMIN,
    ("web.admin_update_subscription", "POST"): ADMIN,
    ("web.admin_subscription_active", "POST"): ADMIN,
    ("web.admin_rotate_subscription_secret", "POST"): ADMIN,
    ("web.admin_test_subscription", "POST"): ADMIN,
    ("web.admin_producers", "*"): ADMIN,
    ("web.admin_create_producer", "POST"): ADMIN,
    ("web.admin_producer", "*"): ADMIN,
    ("web.admin_producer_active", "POST"): ADMIN,
    ("web.admin_rotate_producer", "POST"): ADMIN,
    ("web.admin_users", "*"): ADMIN,
    ("web.admin_groups", "*"): ADMIN,
    ("web.admin_group", "*"): ADMIN,
    ("web.admin_user", "*"): ADMIN,
    ("web.admin_audit", "GET"): ADMIN,
}
for _collection in ("lesson", "process", "guide"):
    RULES.update(
        {
            (f"api.list_{_collection}", "GET"): READER,
            (f"api.get_{_collection}", "GET"): READER,
            (f"api.revisions_{_collection}", "GET"): READER,
            (f"api.revision_{_collection}", "GET"): READER,
            (f"api.create_{_collection}", "POST"): CONTRIBUTOR,
            (f"api.update_{_collection}", "PUT"): CONTRIBUTOR,
        }
    )
for _endpoint in (
    "api.list_subscriptions",
    "api.create_subscription",
    "api.get_subscription",
    "api.update_subscription",
    "api.rotate_subscription_secret",
    "api.list_subscription_deliveries",
    "api.test_subscription",
):
    RULES[(_endpoint, "*")] = ADMIN


#: what a route does, in the words of a refusal: "Only curators can <what>."
WHAT = {
    "web.new_document": "write documents",
    "web.new_document_form": "write documents",
    "web.edit_document": "change documents",
    "web.edit_document_form": "change documents",
    "web.restore": "restore an earlier revision",
    "api.preview": "preview documents",
    "web.lesson_transition": "change a lesson's status",
    "api.lesson_transition": "change a lesson's status",
    "web.add_lesson_action": "add actions to lessons",
    "api.add_lesson_action": "add actions to lessons",
    "web.queue": "work from the curator's queue",
    "web.admin_events": "see the event log",
    "web.admin_event": "see the event log",
    "api.list_events": "see the event log",
    "api.get_event": "see the event log",
    "web.admin_retry": "retry events",
    "web.tasks_page": "see the PMO's tasks",
    "api.list_tasks": "see the PMO's tasks",
    "web.complete_task": "mark the PMO's tasks done",
    "api.complete_task": "mark the PMO's tasks done",
    "web.admin_users": "manage accounts",
    "web.admin_user": "manage accounts",
    "web.admin_audit": "read the audit log",
}
#: who holds a role, for the same sentence
HOLDERS = {CONTRIBUTOR: "contributors and curators", CURATOR: "curators (the PMO)", ADMIN: "admins"}


def refusal(endpoint: str | None, rule: str) -> str:
    """Why a route that needs `rule` is refused, in plain words."""
    what = WHAT.get(endpoint or "")
    if what is None:
        name = (endpoint or "").split(".", 1)[-1]
        if "subscription" in name:
            what = "manage webhooks"
        elif "producer" in name:
            what = "manage the project tools that send events"
        elif name.startswith("create_"):
            what = "write documents"
        elif name.startswith("update_"):
            what = "change documents"
        else:
            what = "use this page"
    return f"Only {HOLDERS.get(rule, rule + 's')} can {what}."


def rule_for(endpoint: str | None, method: str) -> str | None:
    if endpoint is None:
        return None
    if method in ("HEAD", "OPTIONS"):
        method = "GET"
    return RULES.get((endpoint, method)) or RULES.get((endpoint, "*"))
