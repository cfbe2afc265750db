"""Approval instances, tasks and the inbox on the wire."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

Comment = Annotated[str, Meta(max_length=4000)]
Files = Annotated[list[uuid.UUID], Meta(max_length=20)]
MemberIds = Annotated[list[uuid.UUID], Meta(min_length=1, max_length=100)]


class Submission(msgspec.Struct, forbid_unknown_fields=True):
    data: dict[str, Any]
    # Self-select nodes: node id -> the members the initiator picked.
    selections: dict[str, Annotated[list[uuid.UUID], Meta(max_length=100)]] = msgspec.field(default_factory=dict)
    # Which of the initiator's departments the request is from (default: their main one).
    department_id: uuid.UUID | None = None


class TaskAction(msgspec.Struct, forbid_unknown_fields=True):
    comment: Comment | None = None
    attachments: Files = msgspec.field(default_factory=list)
    signature: uuid.UUID | None = None
    data: dict[str, Any] | None = None  # the node's editable fields


class ReturnAction(TaskAction, forbid_unknown_fields=True):
    to: Annotated[str, Meta(min_length=1, max_length=60)] = "previous"


class TransferAction(TaskAction, forbid_unknown_fields=True):
    to: uuid.UUID | None = None


class AddSignAction(TaskAction, forbid_unknown_fields=True):
    position: Literal["before", "after", "parallel"] = "before"
    member_ids: MemberIds = msgspec.field(default_factory=list)


class BatchApprove(msgspec.Struct, forbid_unknown_fields=True):
    task_ids: Annotated[list[uuid.UUID], Meta(min_length=1, max_length=200)]
    comment: Comment | None = None


class BatchItem(msgspec.Struct):
    task_id: uuid.UUID
    ok: bool
    status: int
    detail: str | None = None


class BatchResult(msgspec.Struct):
    items: list[BatchItem]


class InstanceComment(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, Meta(min_length=1, max_length=4000)]
    mentions: Annotated[list[uuid.UUID], Meta(max_length=50)] = msgspec.field(default_factory=list)
    attachments: Files = msgspec.field(default_factory=list)


class CcAction(msgspec.Struct, forbid_unknown_fields=True):
    member_ids: MemberIds


class Withdraw(msgspec.Struct, forbid_unknown_fields=True):
    comment: Comment | None = None


class Resubmit(msgspec.Struct, forbid_unknown_fields=True):
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    comment: Comment | None = None


class Person(msgspec.Struct):
    id: uuid.UUID
    name: str


class Step(msgspec.Struct, omit_defaults=True):
    node_id: str
    type: str
    name: str
    state: str  # planned | pending | active | done | skipped
    mode: str | None = None
    assignees: list[Person] = msgspec.field(default_factory=list)
    note: str | None = None
    branch: str | None = None  # a condition node: the branch taken (its name)
    branches: list[StepBranch] = msgspec.field(default_factory=list)  # a parallel node's branches


class StepBranch(msgspec.Struct):
    id: str
    name: str
    steps: list[Step]


class PathPreview(msgspec.Struct):
    steps: list[Step]
    needs_selection: list[str]  # self-select nodes on the path with nobody picked yet


class Task(msgspec.Struct):
    id: uuid.UUID
    node_id: str
    node_name: str
    kind: str
    assignee: Person
    on_behalf_of: Person | None
    state: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    due_at: dt.datetime | None
    comment: str | None
    return_targets: list[Step] = msgspec.field(default_factory=list)
    allow: dict[str, bool] = msgspec.field(default_factory=dict)


class Can(msgspec.Struct):
    withdraw: bool
    urge: bool
    comment: bool
    cc: bool
    resubmit: bool


class Instance(msgspec.Struct):
    id: uuid.UUID
    title: str
    status: str
    app_id: uuid.UUID
    form_id: uuid.UUID
    record_id: uuid.UUID
    flow_id: uuid.UUID
    flow_version: int
    initiator: Person | None
    department_id: uuid.UUID | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    seq: int
    record: dict[str, Any]
    fields: dict[str, str]
    steps: list[Step]
    tasks: list[Task]
    my_tasks: list[Task]
    can: Can


class TimelineEntry(msgspec.Struct):
    seq: int
    type: str
    at: dt.datetime
    actor: Person | None
    on_behalf_of: Person | None
    data: dict[str, Any]


class Timeline(msgspec.Struct):
    items: list[TimelineEntry]


class InboxItem(msgspec.Struct):
    instance_id: uuid.UUID
    title: str
    status: str
    app_id: uuid.UUID
    form_id: uuid.UUID
    initiator: Person | None
    at: dt.datetime
    unread: bool
    task_id: uuid.UUID | None = None
    node_name: str | None = None
    state: str | None = None
    due_at: dt.datetime | None = None


class InboxPage(msgspec.Struct):
    items: list[InboxItem]
    next_cursor: str | None


class InboxCounts(msgspec.Struct):
    todo: int
    todo_unread: int
    cc_unread: int
    initiated_running: int


class DelegationCreate(msgspec.Struct, forbid_unknown_fields=True):
    delegate_id: uuid.UUID
    starts_at: dt.datetime
    ends_at: dt.datetime
    flow_ids: Annotated[list[uuid.UUID], Meta(max_length=200)] | None = None
    member_id: uuid.UUID | None = None  # admins: for someone else


class Delegation(msgspec.Struct):
    id: uuid.UUID
    member: Person
    delegate: Person
    starts_at: dt.datetime
    ends_at: dt.datetime
    flow_ids: list[uuid.UUID] | None
    revoked_at: dt.datetime | None


class DelegationList(msgspec.Struct):
    items: list[Delegation]


class MigrationPreviewItem(msgspec.Struct):
    instance_id: uuid.UUID
    title: str
    from_version: int
    safe: bool
    reason: str | None


class MigrationPreview(msgspec.Struct):
    to_version: int
    items: list[MigrationPreviewItem]


class MigrationRequest(msgspec.Struct, forbid_unknown_fields=True):
    instance_ids: Annotated[list[uuid.UUID], Meta(min_length=1, max_length=1000)]


class MigrationResult(msgspec.Struct):
    moved: list[uuid.UUID]
    refused: list[MigrationPreviewItem]
