"""The directory's shapes on the wire: what commands take and what queries give.

Constraints live in the types (they become the OpenAPI schema and are checked before a
service runs); rules that need the database are checked by the services.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S", description="A non-blank name")]
Text = Annotated[str, Meta(max_length=2000)]
Email = Annotated[str, Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Phone = Annotated[str, Meta(min_length=3, max_length=40, pattern=r"^\+?[0-9][0-9 ()\-]{1,38}$")]
Url = Annotated[str, Meta(max_length=2000, pattern=r"^(https?://|/)\S*$")]
ShortText = Annotated[str, Meta(min_length=1, max_length=200)]
EmployeeNo = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")]
Locale = Literal["en", "zh-CN"]
TimeZone = Annotated[str, Meta(min_length=1, max_length=64, description="An IANA time zone, e.g. Asia/Shanghai")]
AdminRole = Literal["owner", "admin", "sub_admin", "member"]
Position = Annotated[int, Meta(ge=0, le=100_000)]
IdList = Annotated[list[uuid.UUID], Meta(max_length=500)]


class Org(msgspec.Struct):
    id: uuid.UUID
    name: str
    logo_url: str | None
    locale: str
    time_zone: str
    root_department_id: uuid.UUID
    created_at: dt.datetime


class OrgCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    locale: Locale = "en"
    time_zone: TimeZone = "UTC"


class OrgUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    logo_url: Url | None | UnsetType = UNSET
    locale: Locale | UnsetType = UNSET
    time_zone: TimeZone | UnsetType = UNSET


class Department(msgspec.Struct):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    position: int
    head_ids: list[uuid.UUID]
    member_count: int


class DepartmentList(msgspec.Struct):
    items: list[Department]
    next_cursor: str | None = None


class DepartmentCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    parent_id: uuid.UUID
    position: Position | UnsetType = UNSET


class DepartmentUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    parent_id: uuid.UUID | UnsetType = UNSET
    position: Position | UnsetType = UNSET


class HeadsSet(msgspec.Struct, forbid_unknown_fields=True):
    member_ids: Annotated[list[uuid.UUID], Meta(max_length=50)]


class Member(msgspec.Struct):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    email: str
    phone: str | None
    avatar_url: str | None
    job_title: str | None
    employee_no: str | None
    manager_id: uuid.UUID | None
    department_ids: list[uuid.UUID]
    status: Literal["active", "inactive"]
    admin_role: AdminRole
    admin_department_ids: list[uuid.UUID]
    joined_at: dt.datetime


class MemberPage(msgspec.Struct):
    items: list[Member]
    next_cursor: str | None


class MemberCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    email: Email
    phone: Phone | None = None
    job_title: ShortText | None = None
    employee_no: EmployeeNo | None = None
    manager_id: uuid.UUID | None = None
    department_ids: IdList = msgspec.field(default_factory=list)


class MemberUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    phone: Phone | None | UnsetType = UNSET
    job_title: ShortText | None | UnsetType = UNSET
    employee_no: EmployeeNo | None | UnsetType = UNSET
    manager_id: uuid.UUID | None | UnsetType = UNSET
    department_ids: IdList | UnsetType = UNSET


class AdminSet(msgspec.Struct, forbid_unknown_fields=True):
    admin_role: Literal["admin", "sub_admin", "member"]
    department_ids: IdList = msgspec.field(default_factory=list)


class Role(msgspec.Struct):
    id: uuid.UUID
    name: str
    description: str | None
    member_count: int


class RoleList(msgspec.Struct):
    items: list[Role]
    next_cursor: str | None = None


class RoleCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    description: Text | None = None


class RoleUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    description: Text | None | UnsetType = UNSET


class MemberIds(msgspec.Struct, forbid_unknown_fields=True):
    member_ids: Annotated[list[uuid.UUID], Meta(min_length=1, max_length=1000)]


class Invitation(msgspec.Struct):
    id: uuid.UUID
    code: str
    department_id: uuid.UUID | None
    expires_at: dt.datetime
    max_uses: int | None
    uses: int
    revoked: bool
    created_at: dt.datetime


class InvitationList(msgspec.Struct):
    items: list[Invitation]
    next_cursor: str | None = None


class InvitationCreate(msgspec.Struct, forbid_unknown_fields=True):
    department_id: uuid.UUID | None = None
    expires_in_days: Annotated[int, Meta(ge=1, le=365)] = 7
    max_uses: Annotated[int, Meta(ge=1, le=100_000)] | None = None


class InvitationPreview(msgspec.Struct):
    org_id: uuid.UUID
    org_name: str
    department_name: str | None
    expires_at: dt.datetime


class AuditEntry(msgspec.Struct):
    id: uuid.UUID
    at: dt.datetime
    actor_kind: str
    actor_name: str
    actor_member_id: uuid.UUID | None
    token_id: uuid.UUID | None
    action: str
    subject_type: str
    subject_id: str | None
    data: dict[str, object]


class AuditPage(msgspec.Struct):
    items: list[AuditEntry]
    next_cursor: str | None
