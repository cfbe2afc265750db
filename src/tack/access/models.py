"""Permission groups on the wire, and `FormAccess`: what one actor may do on one form."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

# Which records an action reaches. own: those the member created; department: those whose
# owner department is one of the member's; department_and_below: also their sub-departments;
# custom: those a filter tree matches (it may use "is me" and "in my departments").
ScopeName = Literal["none", "own", "department", "department_and_below", "all", "custom"]
FilterTree = Annotated[dict[str, Any], Meta(description="A filter tree (see the record query API)")]
FieldKey = Annotated[str, Meta(min_length=1, max_length=100)]
IdList = Annotated[list[uuid.UUID], Meta(max_length=500)]


class RecordScope(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    scope: ScopeName
    filter: FilterTree | None = None  # only with scope "custom"


def _own() -> RecordScope:
    return RecordScope(scope="own")


class Rights(msgspec.Struct, forbid_unknown_fields=True):
    """What a group's members may do on every form of the app (unless `forms` overrides it)."""

    can_submit: bool = True
    read: RecordScope = msgspec.field(default_factory=_own)
    edit: RecordScope = msgspec.field(default_factory=_own)
    delete: RecordScope = msgspec.field(default_factory=_own)


class FormRights(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One form's rules in a group: overrides of the group's rights (a custom scope that names
    the form's own fields lives here), and the fields hidden or read-only for its members."""

    can_submit: bool | None = None
    read: RecordScope | None = None
    edit: RecordScope | None = None
    delete: RecordScope | None = None
    hidden_fields: Annotated[list[FieldKey], Meta(max_length=500)] = msgspec.field(default_factory=list)
    readonly_fields: Annotated[list[FieldKey], Meta(max_length=500)] = msgspec.field(default_factory=list)


class GroupMembers(msgspec.Struct, forbid_unknown_fields=True):
    """Who belongs: everyone, or chosen members, departments (with their sub-departments unless
    `include_sub_departments` is false) and roles."""

    everyone: bool = False
    member_ids: IdList = msgspec.field(default_factory=list)
    department_ids: IdList = msgspec.field(default_factory=list)
    include_sub_departments: bool = True
    role_ids: IdList = msgspec.field(default_factory=list)


GroupName = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"\S")]
Description = Annotated[str, Meta(max_length=2000)]
FormRulesMap = Annotated[dict[str, FormRights], Meta(description="Rules per form, keyed by form id")]


class PermissionGroup(msgspec.Struct):
    id: uuid.UUID
    app_id: uuid.UUID
    name: str
    description: str | None
    position: int
    app_admin: bool
    members: GroupMembers
    rights: Rights
    forms: dict[str, FormRights]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class PermissionGroupList(msgspec.Struct):
    items: list[PermissionGroup]
    # True while the app has no group of its own: everyone then has the default rights.
    implicit_default: bool = False
    next_cursor: str | None = None


class PermissionGroupCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: GroupName
    members: GroupMembers
    description: Description | None = None
    app_admin: bool = False
    rights: Rights = msgspec.field(default_factory=Rights)
    forms: FormRulesMap = msgspec.field(default_factory=dict)


class PermissionGroupUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: GroupName | UnsetType = UNSET
    description: Description | None | UnsetType = UNSET
    app_admin: bool | UnsetType = UNSET
    members: GroupMembers | UnsetType = UNSET
    rights: Rights | UnsetType = UNSET
    forms: FormRulesMap | UnsetType = UNSET
    position: Annotated[int, Meta(ge=0, le=10_000)] | UnsetType = UNSET
    expected_version: Annotated[int, Meta(ge=1)] | None = None


class FormAccessOut(msgspec.Struct):
    """The caller's own rights on a form, for the UI (which buttons and fields to show)."""

    form_id: uuid.UUID
    app_id: uuid.UUID
    is_app_admin: bool
    can_submit: bool
    can_read: bool
    can_edit: bool
    can_delete: bool
    read_filter: dict[str, Any] | None
    edit_filter: dict[str, Any] | None
    delete_filter: dict[str, Any] | None
    hidden_fields: list[str]
    readonly_fields: list[str]
    groups: list[str]  # names of the groups the caller is in


# A filter no record matches (every record has a creation time): the read filter of someone who
# may read no record, and the edit / delete filter of someone who may do neither. A plain
# condition, so that any filter compiler reads it right (an empty group would mean "no filter").
NOTHING: dict[str, Any] = {"field": "created_at", "op": "empty"}


@dataclass(frozen=True)
class FormAccess:
    """What one actor may do on one form. A filter of None means every record; `NOTHING` none.

    `readonly_fields` are those the actor may not set or change (hidden fields included: you
    cannot change what you cannot see); `hidden_fields` are stripped from every record, revision
    and export the actor receives."""

    form_id: uuid.UUID
    app_id: uuid.UUID
    is_app_admin: bool
    can_submit: bool
    read_filter: dict[str, Any] | None
    edit_filter: dict[str, Any] | None
    delete_filter: dict[str, Any] | None
    hidden_fields: frozenset[str] = frozenset()
    readonly_fields: frozenset[str] = frozenset()
    groups: tuple[str, ...] = field(default=())

    @property
    def can_read(self) -> bool:
        return self.read_filter != NOTHING

    @property
    def can_edit(self) -> bool:
        return self.edit_filter != NOTHING

    @property
    def can_delete(self) -> bool:
        return self.delete_filter != NOTHING

    def filter_for(self, action: Literal["read", "edit", "delete"]) -> dict[str, Any] | None:
        return {"read": self.read_filter, "edit": self.edit_filter, "delete": self.delete_filter}[action]

    def visible(self, data: dict[str, Any]) -> dict[str, Any]:
        """`data` without the hidden fields."""
        if not self.hidden_fields:
            return data
        return {k: v for k, v in data.items() if k not in self.hidden_fields}

    def out(self) -> FormAccessOut:
        return FormAccessOut(
            form_id=self.form_id, app_id=self.app_id, is_app_admin=self.is_app_admin, can_submit=self.can_submit,
            can_read=self.can_read, can_edit=self.can_edit, can_delete=self.can_delete,
            read_filter=self.read_filter, edit_filter=self.edit_filter, delete_filter=self.delete_filter,
            hidden_fields=sorted(self.hidden_fields), readonly_fields=sorted(self.readonly_fields),
            groups=list(self.groups))
