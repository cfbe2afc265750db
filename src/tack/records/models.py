"""Records on the wire. `data` is keyed by field id; the form definition names them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

Data = Annotated[dict[str, Any], Meta(description="Field values keyed by field id (or name, on input)")]


class Record(msgspec.Struct):
    id: uuid.UUID
    form_id: uuid.UUID
    form_version: int
    version: int
    data: dict[str, Any]
    status: str
    created_by: uuid.UUID | None
    created_at: dt.datetime
    updated_by: uuid.UUID | None
    updated_at: dt.datetime
    deleted: bool
    owner_department_id: uuid.UUID | None = None  # the submitter's department: department scopes use it


class RecordPage(msgspec.Struct):
    items: list[Record]
    next_cursor: str | None


class RecordCreate(msgspec.Struct, forbid_unknown_fields=True):
    data: Data


class RecordUpdate(msgspec.Struct, forbid_unknown_fields=True):
    data: Data
    expected_version: Annotated[int, Meta(ge=1, description="The version you read: a stale one gets 409")]


class BulkCreate(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[RecordCreate], Meta(min_length=1, max_length=1000)]
    mode: Literal["all_or_nothing", "per_item"] = "all_or_nothing"


class BulkItemResult(msgspec.Struct):
    index: int
    status: int
    record: Record | None = None
    problem: dict[str, Any] | None = None


class BulkResult(msgspec.Struct):
    created: int
    results: list[BulkItemResult]


class Revision(msgspec.Struct):
    version: int
    kind: str
    at: dt.datetime
    actor_member_id: uuid.UUID | None
    actor_name: str
    changes: dict[str, list[Any]]


class RevisionList(msgspec.Struct):
    items: list[Revision]
    next_cursor: str | None = None


class Comment(msgspec.Struct):
    id: uuid.UUID
    record_id: uuid.UUID
    member_id: uuid.UUID | None
    author_name: str
    body: str
    mentions: list[uuid.UUID]
    created_at: dt.datetime


class CommentList(msgspec.Struct):
    items: list[Comment]
    next_cursor: str | None = None


class CommentCreate(msgspec.Struct, forbid_unknown_fields=True):
    body: Annotated[str, Meta(min_length=1, max_length=10_000, pattern=r"\S")]
    mentions: Annotated[list[uuid.UUID], Meta(max_length=50)] = msgspec.field(default_factory=list)


class BulkUpdateItem(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID
    data: Data
    expected_version: Annotated[int, Meta(ge=1, description="The version you read: a stale one fails that item")]


class BulkUpdate(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[BulkUpdateItem], Meta(min_length=1, max_length=1000)]
    mode: Literal["all_or_nothing", "per_item"] = "all_or_nothing"


class BulkDeleteItem(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID
    expected_version: Annotated[int, Meta(ge=1)] | None = None


class BulkDelete(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[BulkDeleteItem], Meta(min_length=1, max_length=1000)]
    mode: Literal["all_or_nothing", "per_item"] = "all_or_nothing"
    restore: Annotated[bool, Meta(description="Restore the records instead of deleting them")] = False


class BulkChangeResult(msgspec.Struct):
    changed: int
    results: list[BulkItemResult]
