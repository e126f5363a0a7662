"""Settings from KB_* environment variables, with safe defaults for the embedded set-up.

Every setting here is documented in the README's configuration table.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path.cwd()


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Config:
    #: SQLAlchemy URL. Default: a SQLite file under instance/.
    DATABASE_URL: str = field(
        default_factory=lambda: f"sqlite:///{ROOT / 'instance' / 'kb.sqlite3'}"
    )
    #: Folder of this host's Whoosh index (a rebuildable projection of the database).
    INDEX_DIR: str = field(default_factory=lambda: str(ROOT / "search_index"))
    #: Starter content loaded by `kb init` into an empty database.
    CONTENT_DIR: str = field(default_factory=lambda: str(ROOT / "content"))
    #: Signs session cookies. Required when ENV is production.
    SECRET_KEY: str = ""
    #: "development" or "production".
    ENV: str = "development"
    #: Run the index follower in a background thread of the web process.
    INDEXER_THREAD: bool = True
    #: Seconds between two looks at the event log by the index follower.
    INDEXER_INTERVAL: float = 0.5
    #: Run the event worker (handlers, webhooks) in a background thread of the web process.
    WORKER_THREAD: bool = True
    #: Seconds between two looks for due work by the worker.
    WORKER_INTERVAL: float = 0.5
    #: A `whsec_...` secret: registers the producer "default" for simple set-ups.
    EVENT_SECRET: str = ""
    #: Reverse-DNS prefix of the inbound event types (org.pmo.project.closed, ...).
    EVENT_TYPE_PREFIX: str = "org.pmo"
    #: Seconds an outbound webhook delivery may take.
    WEBHOOK_TIMEOUT: float = 10.0
    #: Threads per worker that deliver webhooks and e-mail (kb's own handlers have their own).
    DELIVERY_THREADS: int = 4
    #: Delivery attempts at once to one receiver host, over all workers.
    DELIVERIES_PER_RECEIVER: int = 2
    #: Let visitors who are not signed in read what is not restricted.
    ANONYMOUS_READ: bool = False
    #: Days after a project's closure date by which its lessons review is due.
    REVIEW_DUE_DAYS: int = 30
    #: Whom a refused request says to ask (a name, an e-mail address or a page); empty: the
    #: curators by name (the admins when there is no curator).
    PMO_CONTACT: str = ""
    #: Results per page in lists and search.
    PER_PAGE: int = 20
    #: The address people reach kb at (https://kb.example.org): makes links in e-mails absolute.
    BASE_URL: str = ""
    #: Reverse proxies in front of kb whose X-Forwarded-* headers are trusted (0: none).
    TRUSTED_PROXIES: int = 0
    #: SMTP server for notification e-mails; empty: no e-mail (the in-app inbox still works).
    SMTP_HOST: str = ""
    #: Its port (25; 587 with STARTTLS is common).
    SMTP_PORT: int = 25
    #: The From address of notification e-mails.
    SMTP_FROM: str = "kb@localhost"
    #: User name for SMTP authentication; empty: none.
    SMTP_USERNAME: str = ""
    #: Its password.
    SMTP_PASSWORD: str = ""
    #: Upgrade the SMTP connection with STARTTLS before authenticating and sending.
    SMTP_STARTTLS: bool = False
    #: Seconds an SMTP connection and each of its steps may take.
    SMTP_TIMEOUT: float = 10.0
    TESTING: bool = False

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        environ = dict(os.environ if environ is None else environ)
        values: dict = {}
        for f in fields(cls):
            raw = environ.get(f"KB_{f.name}")
            if raw is None:
                continue
            if f.type == "bool":
                values[f.name] = _bool(raw)
            elif f.type == "int":
                values[f.name] = int(raw)
            elif f.type == "float":
                values[f.name] = float(raw)
            else:
                values[f.name] = raw
        return cls(**values)

    def finalise(self) -> Config:
        if self.TRUSTED_PROXIES < 0:
            raise RuntimeError("KB_TRUSTED_PROXIES counts proxies: 0 or more.")
        if not self.SECRET_KEY:
            if self.ENV == "production":
                raise RuntimeError("KB_SECRET_KEY must be set when KB_ENV=production.")
            # A per-process key keeps development safe; sessions simply end on restart.
            self.SECRET_KEY = secrets.token_hex(32)
        return self

    def flask_mapping(self) -> dict:
        mapping = {f"KB_{f.name}": getattr(self, f.name) for f in fields(self)}
        mapping["SECRET_KEY"] = self.SECRET_KEY
        mapping["TESTING"] = self.TESTING
        mapping["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
        return mapping
