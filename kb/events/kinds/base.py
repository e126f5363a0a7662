"""What every one of kb's own events is: a pydantic class naming its type, its subject and its
data fields. Emitters construct one (an unknown or missing field is an error), the log stores
`data()`, readers get the class back with `parse()`.

The stored JSON is the contract: a class serialises to exactly the shape the log always had,
so old rows parse and receivers see no change.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, PlainSerializer

from kb.core.time import iso

KB_SOURCE = "urn:pmo:kb"
KB_TYPE_PREFIX = "org.pmo.kb"

#: a moment, written as RFC 3339 with its offset (`2025-12-23T09:00:00+00:00`)
Stamp = Annotated[datetime, PlainSerializer(iso, return_type=str, when_used="json")]


class KbEvent(BaseModel):
    """Base of kb's own events: subclasses with a TYPE are event types, the others families."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    #: the type after `org.pmo.kb.`, e.g. `lesson.published` (empty: a family, not a type)
    TYPE: ClassVar[str] = ""
    #: the subject, formatted with the event's fields, e.g. `lessons/{id}`
    SUBJECT: ClassVar[str] = ""
    #: the subject in words, for the documentation, when SUBJECT cannot say it
    SUBJECT_NOTE: ClassVar[str] = ""
    #: a field only this class of its type has: how a stored event finds its class when two
    #: classes share a type (`processmodel.updated`)
    MARKER: ClassVar[str | None] = None

    @classmethod
    def full_type(cls) -> str:
        return f"{KB_TYPE_PREFIX}.{cls.TYPE}"

    @property
    def event_type(self) -> str:
        return self.full_type()

    @property
    def subject(self) -> str:
        return self.SUBJECT.format(
            **{name: getattr(self, name) for name in type(self).model_fields}
        )

    @property
    def partition_key(self) -> str | None:
        """The project the event belongs to: handlers of one project run in event order."""
        return getattr(self, "project", None)

    def data(self) -> dict[str, Any]:
        """The event's data as stored and delivered (JSON types only)."""
        return self.model_dump(mode="json")

    @classmethod
    def from_data(cls, data: object) -> KbEvent:
        """The stored data as this class. Keys it does not know (older rows) are left out."""
        known = _keys(cls)
        items = data.items() if isinstance(data, dict) else ()
        return cls.model_validate({k: v for k, v in items if k in known})


@cache
def _keys(cls: type[KbEvent]) -> frozenset[str]:
    """The data keys of a class: its fields' names and aliases."""
    return frozenset(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}


#: short type -> its classes (two for `processmodel.updated`: the one with a MARKER first)
KINDS: dict[str, list[type[KbEvent]]] = {}


def kind(cls: type[KbEvent]) -> type[KbEvent]:
    """Class decorator: register an event type."""
    if not cls.TYPE:
        raise TypeError(f"{cls.__name__} has no TYPE")
    classes = KINDS.setdefault(cls.TYPE, [])
    classes.append(cls)
    classes.sort(key=lambda c: c.MARKER is None)
    return cls


def of_type(short_type: str, data: object = None) -> type[KbEvent]:
    """The class of a type (KeyError for a type kb does not emit)."""
    classes = KINDS[short_type]
    for cls in classes:
        if cls.MARKER is None or (isinstance(data, dict) and cls.MARKER in data):
            return cls
    raise KeyError(short_type)  # pragma: no cover - every type has a class without a MARKER


def parse(event_type: str, data: object) -> KbEvent:
    """A stored event of kb's (its full type and its data) as its class; KeyError for a type
    kb does not emit, pydantic.ValidationError for data that does not fit it."""
    short = event_type.removeprefix(KB_TYPE_PREFIX + ".")
    return of_type(short, data).from_data(data)
