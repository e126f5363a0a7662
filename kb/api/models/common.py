"""What every resource model shares: the base class, time types, the error answer, paging."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    model_serializer,
)

from kb.core.time import iso
from kb.params import ID_MAX, PAGE_MAX, VALUES_PER_PARAM

#: a moment in UTC with its offset (RFC 3339), written by kb.core.time.iso
Timestamp = Annotated[
    datetime,
    PlainSerializer(iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
Day = Annotated[
    date,
    PlainSerializer(iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date"}),
]
#: a day a client sends (the service reads and checks it)
DayText = Annotated[str, Field(json_schema_extra={"format": "date"})]
Version = Annotated[int, Field(ge=1, le=ID_MAX)]


class Answer(BaseModel):
    """An answer kb sends: built from kb's own objects. A member left unset is left out (a
    merged lesson's `merged_into`, a revision's `markdown` in a list)."""

    model_config = ConfigDict(from_attributes=True)

    @model_serializer(mode="wrap")
    def _only_what_is_set(self, handler: SerializerFunctionWrapHandler):  # noqa: ANN202 (no return type: the schema stays the fields')
        data = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set}


class Whole(BaseModel):
    """A part of an answer whose members are always all set (a search hit, a facet value):
    nothing to leave out, so not Answer's serializer, which Python ran for each of them (a
    quarter of the time of a search answered from kept answers)."""

    model_config = ConfigDict(from_attributes=True)


class Body(BaseModel):
    """A JSON body a client sends: types are not coerced ("1" is not 1); members the model
    does not name are ignored unless the model says otherwise."""

    model_config = ConfigDict(strict=True)


class Query(BaseModel):
    """Query parameters (strings from the address; numbers are converted)."""


class Problem(BaseModel):
    code: str = Field(description="stable, for programs: invalid, not_found, conflict, ...")
    message: str = Field(description="for people: what is wrong and what to do")
    field: str | None = Field(None, description="the parameter or body member at fault")
    details: dict[str, Any] | None = Field(None, description="e.g. `fields`: a message per field")


class Error(BaseModel):
    """Every error answer of the API (kb.errors)."""

    error: Problem


class Paging(Query):
    page: int = Field(1, ge=1, le=PAGE_MAX)
    per_page: int = Field(20, ge=1, le=100)


class Page(Answer):
    total: int
    page: int
    per_page: int
    pages: int


def repeated(description: str) -> Any:
    """A query parameter that may be repeated (any of the values matches)."""
    return Field(default_factory=list, max_length=VALUES_PER_PARAM, description=description)
