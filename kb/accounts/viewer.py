"""Who is acting: the signed-in user (or an API token's user, or nobody) and their role.

Roles, in order: reader (reads), contributor (also writes lessons and process models),
curator (reads and edits everything, restricted documents too), admin (also accounts).
The rules about documents live in kb.documents.access.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.accounts.models import ROLES, User


@dataclass(frozen=True)
class Viewer:
    username: str | None = None
    role: str = "anonymous"
    groups: frozenset[str] = field(default_factory=frozenset)
    display_name: str = "Anonymous"
    user_id: int | None = None
    #: an API token with the read scope cannot change anything
    read_only: bool = False
    #: signed in with a password someone else chose: only the change-password form is open
    must_change_password: bool = False

    @classmethod
    def of(
        cls, user: User, *, read_only: bool = False, groups: frozenset[str] | None = None
    ) -> Viewer:
        """`user` a User, or a row with its columns and the names of its `groups` given."""
        return cls(
            user.username,
            user.role,
            frozenset(g.name for g in user.groups) if groups is None else groups,
            user.display_name,
            user.id,
            read_only,
            bool(user.must_change_password),
        )

    @property
    def is_anonymous(self) -> bool:
        return self.username is None

    def has_role(self, role: str) -> bool:
        if self.is_anonymous:
            return False
        if self.read_only and role != "reader":
            return False
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def all_access(self) -> bool:
        return not self.is_anonymous and ROLES.index(self.role) >= ROLES.index("curator")

    @property
    def actor(self) -> str:
        return self.username or "anonymous"


ANONYMOUS = Viewer()
#: trusted code (command line, handlers) reads everything
SYSTEM = Viewer(username="kb", role="admin", display_name="kb")
