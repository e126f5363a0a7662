"""Which role each route needs, declared where its view is defined and checked before every
request (kb.security):

    @bp.post("/admin/events/<seq:seq>/retry")
    @needs(CURATOR, what="retry events")
    def admin_retry(seq): ...

A view that declares nothing is refused, even to an admin (fail closed), and
tests/security/test_access_table.py, written independently, fails for every route it does not
list, so a new route cannot go out without a decision.
- "public": anyone, signed in or not (sign-in page, health check, static files);
- "producer": authenticated by its own producer signature or token (event ingest);
- "reader": signed-in users, and anonymous visitors when KB_ANONYMOUS_READ is on;
- "user": any signed-in user (their own account and tokens);
- "contributor", "curator", "admin": that role or a higher one.
Rules about single documents (restricted ones) are checked by the views on top of this.
"""

from __future__ import annotations

from dataclasses import dataclass

PUBLIC, PRODUCER, READER, USER = "public", "producer", "reader", "user"
CONTRIBUTOR, CURATOR, ADMIN = "contributor", "curator", "admin"
RULE_NAMES = (PUBLIC, PRODUCER, READER, USER, CONTRIBUTOR, CURATOR, ADMIN)

#: routes Flask adds itself, which have no view of kb's to declare on
BUILT_IN = {"static": PUBLIC}
#: the methods a rule for GET covers too
READS_AS_GET = ("HEAD", "OPTIONS")
#: a refusal's words for a view that does not say what it does
UNNAMED = "use this page"


@dataclass(frozen=True)
class Needs:
    """What a view declared: the rule for every method, the rules of methods that differ,
    and what the route does, for a refusal ("Only curators can <what>.")."""

    rule: str
    by_method: dict[str, str]
    what: str


def needs(rule: str, *, what: str = UNNAMED, **by_method: str):  # noqa: ANN201
    """Declare, where the view is defined, who may use it: `@needs(READER)`,
    `@needs(CONTRIBUTOR, POST=CURATOR)` (a rule per HTTP method where it differs),
    `what="retry events"` (the refusal's words). A view without it is refused."""
    unknown = {rule, *by_method.values()} - set(RULE_NAMES)
    if unknown or any(method != method.upper() for method in by_method):
        raise ValueError(f"@needs: unknown rule or method: {sorted(unknown) or by_method}")

    def declare(view):  # noqa: ANN001, ANN202
        view.kb_needs = Needs(rule, by_method, what)
        return view

    return declare


def declared(endpoint: str | None, view: object) -> Needs | None:
    """What `view` (the function Flask calls for `endpoint`) declared, if anything."""
    if endpoint in BUILT_IN:
        return Needs(BUILT_IN[endpoint], {}, UNNAMED)
    return getattr(view, "kb_needs", None)


def rule_for(endpoint: str | None, view: object, method: str) -> str | None:
    """The rule `view` declared for `method`; None (refused) when it declared none."""
    found = declared(endpoint, view)
    if found is None:
        return None
    if method in READS_AS_GET:
        method = "GET"
    return found.by_method.get(method, found.rule)


#: who holds a role, for the same sentence
HOLDERS = {CONTRIBUTOR: "contributors and curators", CURATOR: "curators (the PMO)", ADMIN: "admins"}


def refusal(what: str, rule: str) -> str:
    """Why a route that does `what` and needs `rule` is refused, in plain words."""
    return f"Only {HOLDERS.get(rule, rule + 's')} can {what}."
