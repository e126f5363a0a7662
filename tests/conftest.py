"""Fixtures: a real SQLite file and a real PostgreSQL database per run, real Whoosh indexes.

Every test that asks for `app`, `kb` or `client` runs twice: on SQLite and on PostgreSQL.
PostgreSQL: a throw-away database is created for the run and dropped at the end. When the
server cannot be reached the PostgreSQL variants skip — except under CI=true, where they fail.
"""

from __future__ import annotations

import shutil
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher
from click.testing import CliRunner
from flask import template_rendered
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, select, text
from werkzeug.routing import Rule

from kb import create_app
from kb.accounts import passwords
from kb.config import Config
from kb.context import Kb  # noqa: F401  (imports every model, so Base knows all tables)
from kb.db import Base
from kb.events import kinds
from kb.events.kinds import KB_SOURCE
from kb.events.log.models import Event
from kb.migrate import upgrade
from tests.contract import Contract
from tests.pg import throwaway_database

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file, copied for each test (migrating every time would be slow)."""
    path = tmp_path_factory.mktemp("template") / "kb.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    with throwaway_database("kb_test") as url:
        yield url


@pytest.fixture(autouse=True, scope="session")
def quick_password_hashes():
    """Real argon2id, with test-sized cost (4 MiB, one pass: 3 ms instead of 140 ms per hash;
    most tests create a user). Hashes made with kb's own parameters still verify (the
    parameters are part of each hash) and are rehashed at sign-in, as in production."""
    original = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=4096, parallelism=1)
    yield original
    passwords._hasher = original


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "kb.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    # DELETE and resetting the sequences: 10 ms, where one TRUNCATE of every table took 250 ms
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))
    engine.dispose()
    return url


@pytest.fixture
def config(database_url, tmp_path) -> Config:
    return Config(
        DATABASE_URL=database_url,
        INDEX_DIR=str(tmp_path / "index"),
        CONTENT_DIR=str(CONTENT),
        SECRET_KEY="test-secret",
        TESTING=True,
        INDEXER_THREAD=False,
    )


class TemplateCodeCache(BytecodeCache):
    """Compiled templates shared by every app this test process makes: each test has its own
    app, and compiling the templates anew took a third of a page test's time. Keyed by the
    template's name and a checksum of its source, as Jinja's own file cache is."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if (code := self.compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = TemplateCodeCache()


def _share_url_builders() -> None:
    """Each test makes its own app, and Werkzeug compiles two URL-building functions for each
    of its ~160 routes (an AST, then `compile`): 60 % of making an app. The functions depend
    only on the rule's text and defaults (the rule itself is passed in when one runs), so the
    apps of a test process share them. Skipped, not failed, if Werkzeug renames the method."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        return
    built: dict[tuple, object] = {}

    def shared(rule: Rule, append_unknown: bool = True):
        key = (
            rule.rule,
            rule.host,
            rule.subdomain,
            tuple(rule._trace),
            repr(sorted((rule.defaults or {}).items())),
            append_unknown,
        )
        if (function := built.get(key)) is None:
            function = built[key] = compile_builder(rule, append_unknown)
        return function

    Rule._compile_builder = shared


_share_url_builders()


@pytest.fixture
def app(config):
    app = create_app(config)
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    # Forms are tested without CSRF tokens; tests/web/test_csrf.py turns the check back on.
    app.config["WTF_CSRF_ENABLED"] = False
    contract = Contract(app)
    yield app
    every_kb_event_parses(app.extensions["kb"])
    app.extensions["kb"].close()
    assert not contract.mismatches, "answers outside the OpenAPI document:\n" + "\n".join(
        contract.mismatches[:20]
    )


def every_kb_event_parses(kb) -> None:
    """Whatever a test made kb emit is an instance of its class, stored in its exact shape."""
    with kb.db.read() as s:
        rows = s.execute(select(Event.type, Event.data).where(Event.source == KB_SOURCE)).all()
    for event_type, data in rows:
        assert kinds.parse(event_type, data).data() == data, event_type


@pytest.fixture
def kb(app):
    return app.extensions["kb"]


class TemplateQueries:
    """The SQL statements run while a template renders (from the first context processor to
    Flask's `template_rendered`), per thread: a page's data is gathered before it renders
    (kb.readmodels), never by a template helper or a context processor."""

    def __init__(self, app):
        self.app, self.engine = app, app.extensions["kb"].db.engine
        self.local, self.found = threading.local(), []

    def _start(self) -> dict:
        self.local.depth = getattr(self.local, "depth", 0) + 1
        return {}

    def _end(self, _app, template, context, **_kw) -> None:
        self.local.depth = max(0, getattr(self.local, "depth", 0) - 1)

    def _query(self, conn, cursor, statement, *args) -> None:
        if getattr(self.local, "depth", 0):
            self.found.append(" ".join(statement.split())[:200])

    def __enter__(self) -> TemplateQueries:
        self.app.template_context_processors[None].insert(0, self._start)
        template_rendered.connect(self._end, self.app)
        event.listen(self.engine, "before_cursor_execute", self._query)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._query)
        template_rendered.disconnect(self._end, self.app)
        self.app.template_context_processors[None].remove(self._start)


@pytest.fixture(autouse=True)
def templates_query_nothing(request):
    """Every test with an app fails when one of its pages ran SQL while rendering."""
    if "app" not in request.fixturenames:
        yield None
        return
    with TemplateQueries(request.getfixturevalue("app")) as watch:
        yield watch
    assert not watch.found, f"SQL while rendering a template: {watch.found}"


PASSWORD = "correct horse battery"


@pytest.fixture
def make_user(kb):
    """make_user(username, role="reader", groups=()) -> a User (password: PASSWORD)."""
    from kb.accounts import services as accounts

    def make(username: str, role: str = "reader", groups=(), password: str = PASSWORD):
        return accounts.create_user(
            kb.db, username, password=password, role=role, groups=list(groups), actor="test"
        )

    return make


def sign_in(client, user) -> None:
    """Put a signed-in session for `user` into the test client's cookie (as /login does)."""
    import time

    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_token}"
        session["_fresh"] = True
        session["auth_at"] = int(time.time())


@pytest.fixture
def login_as(app, make_user):
    """login_as(role, username=None, groups=()) -> a test client signed in as a new user."""
    counter = iter(range(1000))

    def login(role: str, username: str | None = None, groups=()):
        user = make_user(username or f"{role}{next(counter)}", role, groups)
        client = app.test_client()
        sign_in(client, user)
        return client

    return login


@pytest.fixture
def client(login_as):
    """A signed-in admin (most tests are about what the pages do, not who may see them)."""
    return login_as("admin", "ada")


@pytest.fixture
def anon_client(app):
    return app.test_client()


@pytest.fixture
def runner(config, monkeypatch):
    """The `kb` command against this test's database and index."""
    env = {
        "KB_DATABASE_URL": config.DATABASE_URL,
        "KB_INDEX_DIR": config.INDEX_DIR,
        "KB_CONTENT_DIR": config.CONTENT_DIR,
        "KB_SECRET_KEY": "test-secret",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return CliRunner()


def lesson_source(title: str = "Vendor interface specification arrived late", **fields) -> str:
    meta = {
        "title": title,
        "status": "published",
        "polarity": "problem",
        "project": "ATLAS",
        "phase": "build",
        "topics": "[procurement, schedule]",
        "tags": "[vendor, interface]",
        "occurred_on": "2025-03-14",
    }
    meta.update({k: v for k, v in fields.items() if k != "body"})
    head = "".join(f"{k}: {v}\n" for k, v in meta.items() if v is not None)
    body = fields.get("body", "## Summary\n\nThe vendor delivered the interface spec late.\n")
    return f"---\n{head}---\n\n{body}"


def register_projects(kb, *named: str) -> None:
    """Put the projects named (keys, or names as a `project:` line may give them) into the
    register, as project events would have: kb refuses documents naming unknown projects.
    Written directly, without events, so that tests counting events see only their own."""
    from kb.documents.records import project_ref
    from kb.projects.models import Project

    with kb.db.write() as s:
        for value in named:
            key, name = project_ref(value)
            if s.get(Project, key) is None:
                s.add(Project(key=key, name=name or key, status="active"))


@pytest.fixture
def make_project(kb):
    """make_project(*keys_or_names): register projects (see register_projects)."""
    return lambda *named: register_projects(kb, *named)


@pytest.fixture
def make_lesson(kb):
    """make_lesson(title, **front_matter_fields) -> a saved lesson (its project registered)."""
    from kb.documents import services

    def make(title: str = "Vendor interface specification arrived late", **fields):
        if (project := fields.get("project", "ATLAS")) is not None:
            register_projects(kb, project)
        return services.create_document(
            kb.db, lesson_source(title, **fields), actor="tester", type_hint="lesson"
        )

    return make


@pytest.fixture
def lesson_md(request):
    """lesson_md(title, **front_matter_fields, body=...) -> Markdown source of a lesson; in a
    test with a database, the project it names is registered."""

    def source(title: str = "Vendor interface specification arrived late", **fields) -> str:
        project = fields.get("project", "ATLAS")
        if project is not None and {"kb", "app"} & set(request.fixturenames):
            register_projects(request.getfixturevalue("kb"), project)
        return lesson_source(title, **fields)

    return source


class Clock:
    """Injected time: tests advance it instead of sleeping."""

    def __init__(self):
        from kb.core.time import utcnow

        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


# --- a real SMTP server (aiosmtpd) on a free local port ------------------------------------


class Mailbox:
    """What the SMTP server received; `refuse` maps an address to the reply refusing it."""

    def __init__(self):
        self.received: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        mail = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        mail["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self.received.append(mail)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.received if m["X-Envelope-To"] == address]

    @property
    def addresses(self) -> list[str]:
        with self._lock:
            return sorted(m["X-Envelope-To"] for m in self.received)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()
