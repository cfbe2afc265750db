"""People family: member(s) and department(s) of the organization.

Stored as canonical UUID text. Whether an id names a member (or department) of *this*
organization is the directory's answer, looked up by the caller in one batch for the whole
submission (`ValueContext.known_members` / `known_departments`); an id it did not find is
refused with rule `exists`, so a record never points at someone outside the organization.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import Meta

from tack.forms.fields.base import (
    FieldType,
    IdListText,
    Invalid,
    NoSettings,
    ValueContext,
    a_list,
    dedupe,
    field_type,
    parse_uuid,
)
from tack.formula import DEPARTMENT, DEPARTMENTS, MEMBER, MEMBERS, Type

LIMIT = 1000  # ids one field may hold, whatever its settings


class ManySettings(msgspec.Struct, forbid_unknown_fields=True):
    max: Annotated[int, Meta(ge=1, le=LIMIT)] | None = None


class _One(FieldType):
    family = "people"
    Settings: ClassVar[type[msgspec.Struct]] = NoSettings
    what: ClassVar[str]  # "member"
    type_: ClassVar[Type]
    known_in: ClassVar[str]  # the ValueContext attribute with the ids the directory found

    def formula_type(self, settings: Any) -> Type:
        return self.type_

    def one(self, value: Any, vctx: ValueContext, at: str = "") -> str:
        ident = parse_uuid(value, f"a {self.what}", at=at)
        known: set[uuid.UUID] = getattr(vctx, self.known_in)
        if ident not in known:
            raise Invalid(f"There is no such {self.what} in the organization.", "exists", at=at)
        return str(ident)

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        return self.one(value, vctx)

    def from_text(self, text: str, s: Any) -> Any:
        return text.strip()


class _Many(IdListText, _One):
    Settings = ManySettings
    plural: ClassVar[str]  # "members"

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        items = a_list(value, self.plural, LIMIT)
        ids = dedupe([self.one(v, vctx, at=f"[{i}]") for i, v in enumerate(items)])
        if s.max is not None and len(ids) > s.max:
            raise Invalid(f"Choose at most {s.max} {self.plural}.", "max-items")
        return ids


@field_type
class Member(_One):
    name = "member"
    query_kind = "member"
    what, type_, known_in = "member", MEMBER, "known_members"


@field_type
class Members(_Many):
    name = "members"
    query_kind = "members"
    what, plural, type_, known_in = "member", "members", MEMBERS, "known_members"


@field_type
class Department(_One):
    name = "department"
    query_kind = "department"
    what, type_, known_in = "department", DEPARTMENT, "known_departments"


@field_type
class Departments(_Many):
    name = "departments"
    query_kind = "departments"
    what, plural, type_, known_in = "department", "departments", DEPARTMENTS, "known_departments"
