"""Domain errors. Each maps to one HTTP status, in JSON or on the error page (see kb.errors)."""

from __future__ import annotations


class KbError(Exception):
    """Base class: a problem a person can understand and act on."""

    status = 400
    code = "bad_request"

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


class ValidationError(KbError):
    status = 400
    code = "invalid"


class NotFound(KbError):
    status = 404
    code = "not_found"


class Forbidden(KbError):
    """Signed in, allowed to see it, but not to do this."""

    status = 403
    code = "forbidden"


class Conflict(KbError):
    """Optimistic locking: someone saved a newer version first."""

    status = 409
    code = "conflict"


class TooLarge(KbError):
    status = 413
    code = "too_large"


class Unprocessable(KbError):
    """Well-formed input we cannot process within our limits (e.g. rendering budget)."""

    status = 422
    code = "unprocessable"
