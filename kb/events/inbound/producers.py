"""Producers: the project tools allowed to send events, and how a request proves it is one.

Two ways, per producer:
- a Standard Webhooks signature (`webhook-id`, `webhook-timestamp`, `webhook-signature`) made
  with the producer's `whsec_...` secret; every active producer's secret is tried and the
  first that verifies names the producer;
- `Authorization: Bearer <token>`; only the token's SHA-256 is stored, and looked up.

Verification is written here with `hmac.compare_digest` rather than taken from the
`standardwebhooks` package: that one decodes the body as text (non-UTF-8 bytes would raise),
lets malformed signature lists escape as ValueError, and cannot say whether a signature was
missing, stale or wrong. The tests sign with the package, so both sides agree.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.core.errors import Conflict, KbError, NotFound, ValidationError
from kb.core.time import utcnow
from kb.db import Database
from kb.events.inbound.models import Producer
from kb.events.signing import new_secret, secret_key

TOKEN_PREFIX = "kbt_"
#: signatures older or newer than this many seconds are refused (replay protection)
TOLERANCE = 300
#: `last_used_at` is written at most this often per producer
TOUCH_EVERY = timedelta(seconds=60)
DEFAULT = "default"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


class Unauthenticated(KbError, status=401, code="unauthenticated"):
    """A producer's signature or token is missing or wrong; `code` says which."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Credentials:
    """What a new or rotated producer gets, shown once."""

    name: str
    secret: str
    token: str


# --- secrets and tokens --------------------------------------------------------------------


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- the register --------------------------------------------------------------------------


def list_producers(db: Database) -> list[Producer]:
    with db.read() as s:
        return list(s.scalars(select(Producer).order_by(Producer.name)))


def get_producer(db: Database, name: str) -> Producer | None:
    with db.read() as s:
        return s.scalar(select(Producer).where(Producer.name == name))


def create_producer(db: Database, name: str) -> Credentials:
    if not NAME.fullmatch(name):
        raise ValidationError(
            "A producer name is 1-80 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit.",
            field="name",
        )
    creds = Credentials(name, new_secret(), new_token())
    try:
        with db.write() as s:
            if s.scalar(select(Producer.id).where(Producer.name == name)) is not None:
                raise Conflict(f"A producer named {name!r} already exists.")
            s.add(Producer(name=name, secret=creds.secret, token_hash=hash_token(creds.token)))
    except IntegrityError:  # created by someone else meanwhile
        raise Conflict(f"A producer named {name!r} already exists.") from None
    return creds


def rotate_producer(db: Database, name: str) -> Credentials:
    """A new secret and token; the old ones stop working at once."""
    creds = Credentials(name, new_secret(), new_token())
    with db.write() as s:
        producer = _get_or_raise(s, name)
        producer.secret = creds.secret
        producer.token_hash = hash_token(creds.token)
    return creds


def set_producer_active(db: Database, name: str, active: bool) -> Producer:
    with db.write() as s:
        producer = _get_or_raise(s, name)
        producer.is_active = active
    return producer


def ensure_default_producer(db: Database, secret: str) -> bool:
    """Create or update the producer "default" signing with `secret` (KB_EVENT_SECRET).

    Raises ValueError for a malformed secret, before touching the database. Returns False
    when the database has no producers table yet (before `kb init`). A disabled "default"
    stays disabled; its secret is updated all the same. When the secret is already the one
    stored, nothing is written: no write transaction, so a start-up does not queue behind
    (or fail on) another process's write lock.
    """
    try:
        secret_key(secret)
    except ValueError as exc:
        raise ValueError(
            f"KB_EVENT_SECRET is malformed: {exc}. Generate one with "
            "`python -c \"import base64,os; print('whsec_' + "
            'base64.b64encode(os.urandom(32)).decode())"`.'
        ) from None
    if not inspect(db.engine).has_table(Producer.__tablename__):
        return False
    with db.read() as s:
        if s.scalar(select(Producer.secret).where(Producer.name == DEFAULT)) == secret:
            return True
    with db.write() as s:
        insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
        stmt = insert(Producer).values(name=DEFAULT, secret=secret, is_active=True)
        s.execute(
            stmt.on_conflict_do_update(
                index_elements=[Producer.name],
                set_={"secret": secret},
                where=Producer.secret != secret,
            )
        )
    return True


def _get_or_raise(s: Session, name: str) -> Producer:
    producer = s.scalar(select(Producer).where(Producer.name == name))
    if producer is None:
        raise NotFound(f"There is no producer named {name!r}.")
    return producer


# --- authentication ------------------------------------------------------------------------


def authenticate(
    db: Database, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> Sender:
    """The active producer that sent this request; `headers` have lower-case names.

    Raises Unauthenticated (401) whose code says why: credentials_missing,
    signature_missing, signature_stale, signature_invalid, token_invalid, producer_disabled.
    """
    if any(h in headers for h in ("webhook-id", "webhook-timestamp", "webhook-signature")):
        return _by_signature(db, headers, body, time.time() if now is None else now)
    if "authorization" in headers:
        return _by_token(db, headers["authorization"])
    raise Unauthenticated(
        "No credentials: sign the request (webhook-id, webhook-timestamp and "
        "webhook-signature headers, Standard Webhooks) or send Authorization: Bearer <token>.",
        "credentials_missing",
    )


@dataclass(frozen=True)
class Sender:
    """The producer a request came from, as its authentication read it."""

    id: int
    name: str
    is_active: bool
    last_used_at: datetime | None

    @classmethod
    def of(cls, producer: Producer) -> Sender:
        return cls(producer.id, producer.name, producer.is_active, producer.last_used_at)


#: built once: every bearer-token request runs it, on a pooled connection without a session
#: (read through a session and its ORM object, it cost twice the statement)
_BY_TOKEN = select(Producer.id, Producer.name, Producer.is_active, Producer.last_used_at).where(
    Producer.token_hash == bindparam("token_hash")
)


def _by_token(db: Database, authorization: str) -> Sender:
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization must be `Bearer <token>`.", "token_invalid")
    with db.engine.connect() as c:
        row = c.execute(_BY_TOKEN, {"token_hash": hash_token(token.strip())}).first()
    if row is None:
        raise Unauthenticated("The bearer token is not known (or was rotated).", "token_invalid")
    producer = Sender(*row)
    if not producer.is_active:
        raise Unauthenticated(f"The producer {producer.name!r} is disabled.", "producer_disabled")
    return producer


def _by_signature(db: Database, headers: Mapping[str, str], body: bytes, now: float) -> Sender:
    names = ("webhook-id", "webhook-timestamp", "webhook-signature")
    missing = [h for h in names if not headers.get(h, "").strip()]
    if missing:
        raise Unauthenticated(
            f"The signature is incomplete: header {', '.join(missing)} is missing.",
            "signature_missing",
        )
    stamp = headers["webhook-timestamp"].strip()
    if not re.fullmatch(r"\d{1,12}", stamp):
        raise Unauthenticated("webhook-timestamp must be unix seconds.", "signature_invalid")
    delta = int(stamp) - now
    if abs(delta) > TOLERANCE:
        raise Unauthenticated(
            f"The signature is stale: webhook-timestamp is {abs(delta):.0f} s in the "
            f"{'future' if delta > 0 else 'past'}; kb accepts {TOLERANCE // 60} minutes either "
            "way. Sign each delivery afresh and check the sender's clock.",
            "signature_stale",
        )
    candidates = _signatures(headers["webhook-signature"])
    if not candidates:
        raise Unauthenticated(
            "webhook-signature holds no v1 signature (expected `v1,<base64>`).",
            "signature_invalid",
        )
    signed = _raw(headers["webhook-id"].strip()) + b"." + stamp.encode() + b"." + body
    with db.read() as s:
        producers = list(
            s.scalars(select(Producer).order_by(Producer.is_active.desc(), Producer.id))
        )
    for producer in producers:
        try:
            key = secret_key(producer.secret)
        except ValueError:
            continue
        expected = hmac.new(key, signed, hashlib.sha256).digest()
        # compare with every candidate (constant time each): rotation sends several
        if any([hmac.compare_digest(expected, c) for c in candidates]):
            if not producer.is_active:
                raise Unauthenticated(
                    f"The producer {producer.name!r} is disabled.", "producer_disabled"
                )
            return Sender.of(producer)
    raise Unauthenticated(
        "The signature does not match: wrong secret, or the body, webhook-id or "
        "webhook-timestamp changed after signing.",
        "signature_invalid",
    )


def _signatures(header: str) -> list[bytes]:
    found = []
    for item in header.split():
        version, _, encoded = item.partition(",")
        if version != "v1":
            continue
        try:
            digest = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(digest) == hashlib.sha256().digest_size:
            found.append(digest)
    return found


def _raw(value: str) -> bytes:
    """A header as the bytes sent (WSGI hands them over decoded as latin-1)."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def touch(s: Session, producer: Sender) -> None:
    """Record that `producer` sent something: at most once a minute (a cheap no-op else)."""
    now = utcnow()
    last = as_utc(producer.last_used_at)
    if last is None or now - last >= TOUCH_EVERY:
        s.execute(update(Producer).where(Producer.id == producer.id).values(last_used_at=now))


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
