"""Password hashing: argon2id (argon2-cffi's defaults follow RFC 9106), rehashed on login
when the parameters change."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kb.core.errors import ValidationError

_hasher = PasswordHasher()
MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 takes any length; a cap keeps hashing cost bounded


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationError(
            f"A password needs at least {MIN_LENGTH} characters.", field="password"
        )
    if len(password) > MAX_LENGTH:
        raise ValidationError(
            f"A password may have at most {MAX_LENGTH} characters.", field="password"
        )


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify(password_hash: str, password: str) -> tuple[bool, str | None]:
    """(matches, a new hash when the stored one uses old parameters)."""
    if len(password) > MAX_LENGTH:
        return False, None
    try:
        _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, (_hasher.hash(password) if _hasher.check_needs_rehash(password_hash) else None)


#: verified against when the account does not exist, so timing does not reveal which exist
DUMMY_HASH = _hasher.hash("no such account, but the same work")
