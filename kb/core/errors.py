"""Domain errors. Each maps to one HTTP status, in JSON or on the error page (see kb.errors)."""

from __future__ import annotations


class KbError(Exception):
    """Base class: a problem a person can understand and act on. A subclass names its HTTP
    status and its code where it is declared: `class Gone(KbError, status=410, code="gone")`."""

    status = 400
    code = "bad_request"

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None) -> None:
        super().__init_subclass__()
        cls.status = status or cls.status
        cls.code = code or cls.code

    def __init__(self, message: str, *, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}

    def to_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class ValidationError(KbError, status=400, code="invalid"):
    """Input kb cannot take; `field` names where, the message says why."""


class NotFound(KbError, status=404, code="not_found"):
    """Nothing by that name, or nothing this viewer may read (the answer does not tell
    which)."""


class Forbidden(KbError, status=403, code="forbidden"):
    """Signed in, allowed to see it, but not to do this."""


class Conflict(KbError, status=409, code="conflict"):
    """Optimistic locking: someone saved a newer version first."""


class TooLarge(KbError, status=413, code="too_large"):
    """More than kb's limits take (a body, a file, a document)."""


class Unprocessable(KbError, status=422, code="unprocessable"):
    """Well-formed input we cannot process within our limits (e.g. rendering budget)."""
