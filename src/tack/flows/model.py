"""A flow definition: a DingTalk-style node tree bound to one form.

The designer edits a vertical tree: a list of nodes run top to bottom, where a condition node
holds branches of which one runs (the first, by priority, whose condition holds, else the
default) and a parallel node holds branches that all run and join before the next node. The
end is implicit: when the root list is done the request is approved. Nodes and branches carry
stable ids (`n_…`, `b_…`) that running instances point at, so a new version that keeps a node's
id keeps its waiting instances movable (tack.flows.versions).

Node types and assignee rules are tagged unions here and have their behaviour in registries
(tack.flows.nodes, tack.flows.assignees): adding a rule is one struct and one resolver.
"""

from __future__ import annotations

import secrets
import string
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

NodeId = Annotated[str, Meta(pattern=r"^n_[a-z0-9_]{2,40}$", description="A node's stable id")]
BranchId = Annotated[str, Meta(pattern=r"^b_[a-z0-9_]{2,40}$", description="A branch's stable id")]
FieldId = Annotated[str, Meta(pattern=r"^f_[a-z0-9]{4,32}$")]
Name = Annotated[str, Meta(min_length=1, max_length=100)]
Formula = Annotated[str, Meta(min_length=1, max_length=4000)]
Level = Annotated[int, Meta(ge=1, le=20)]
IdList = Annotated[list[uuid.UUID], Meta(max_length=200)]

_ALPHABET = string.ascii_lowercase + string.digits


def new_node_id() -> str:
    return "n_" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def new_branch_id() -> str:
    return "b_" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


# --- assignee rules -----------------------------------------------------------------------------

class Members(msgspec.Struct, tag="members", tag_field="rule", forbid_unknown_fields=True):
    """Chosen members."""

    member_ids: Annotated[list[uuid.UUID], Meta(min_length=1, max_length=200)]


class Role(msgspec.Struct, tag="role", tag_field="rule", forbid_unknown_fields=True, omit_defaults=True):
    """Everyone holding a role; with `within_initiator_department`, only those who sit in the
    initiator's department or below it."""

    role_id: uuid.UUID | None = None
    # Templates name the role instead (ids belong to the organization that made them).
    role_name: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    within_initiator_department: bool = False


class DepartmentHead(msgspec.Struct, tag="department_head", tag_field="rule", forbid_unknown_fields=True):
    """The heads of the initiator's department (level 1), or of the department N-1 levels above."""

    level: Level = 1


class Manager(msgspec.Struct, tag="manager", tag_field="rule", forbid_unknown_fields=True):
    """The initiator's manager (level 1), their manager's manager (2), …"""

    level: Level = 1


class ManagerChain(msgspec.Struct, tag="manager_chain", tag_field="rule", forbid_unknown_fields=True,
                   omit_defaults=True):
    """The managers one after another from the direct manager up, to `up_to_level` or until (and
    including) the first who holds `until_role_id`, or to the top. Each approves in turn."""

    up_to_level: Level | None = None
    until_role_id: uuid.UUID | None = None
    until_role_name: Annotated[str, Meta(min_length=1, max_length=200)] | None = None


class SelfSelect(msgspec.Struct, tag="self_select", tag_field="rule", forbid_unknown_fields=True):
    """The initiator picks the approver(s) when submitting, from everyone or from a scope."""

    multiple: bool = False
    member_ids: IdList = msgspec.field(default_factory=list)
    department_ids: IdList = msgspec.field(default_factory=list)
    role_ids: IdList = msgspec.field(default_factory=list)


class Initiator(msgspec.Struct, tag="initiator", tag_field="rule", forbid_unknown_fields=True):
    """The person who submitted (a handler step "confirm you received the goods", a CC)."""


class FormField(msgspec.Struct, tag="field", tag_field="rule", forbid_unknown_fields=True):
    """The member(s) a member field names, or the heads of the department(s) a department field names."""

    field_id: FieldId


AssigneeRule = Members | Role | DepartmentHead | Manager | ManagerChain | SelfSelect | Initiator | FormField


# --- node settings ------------------------------------------------------------------------------

Mode = Literal["all", "any", "sequential"]  # countersign, or-sign, one after another
FieldAccess = Literal["editable", "readonly", "hidden"]
TimeUnit = Literal["minutes", "hours", "days", "working_hours", "working_days"]
TimeoutAction = Literal["none", "auto_approve", "auto_reject", "escalate", "transfer"]


class EmptyAssignee(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """What happens when a node's rules find nobody: pass it, give it to the organization's
    admins, or to one named member."""

    action: Literal["auto_pass", "admin", "member"] = "auto_pass"
    member_id: uuid.UUID | None = None


class Timeout(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A task not done `after` units after it was assigned is reminded `reminders` times (spread
    evenly before the timeout), then `action` happens to it: approved, rejected, escalated to
    the assignee's manager, or transferred to `transfer_to`."""

    after: Annotated[float, Meta(gt=0, le=100_000)]
    unit: TimeUnit = "hours"
    reminders: Annotated[int, Meta(ge=0, le=10)] = 0
    action: TimeoutAction = "none"
    transfer_to: uuid.UUID | None = None


class Deadline(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """An overall deadline for the whole request, from its submission."""

    after: Annotated[float, Meta(gt=0, le=100_000)]
    unit: TimeUnit = "days"
    action: Literal["notify", "auto_reject"] = "notify"


class Allowed(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Which actions an approver of this node may take besides approve and reject."""

    return_: bool = msgspec.field(default=True, name="return")
    transfer: bool = True
    add_sign: bool = True


class StartNode(msgspec.Struct, tag="start", tag_field="type", forbid_unknown_fields=True, omit_defaults=True):
    """Who may submit, and which fields the initiator fills."""

    id: NodeId
    name: Name = "Submit"
    everyone: bool = True
    member_ids: IdList = msgspec.field(default_factory=list)
    department_ids: IdList = msgspec.field(default_factory=list)
    role_ids: IdList = msgspec.field(default_factory=list)
    fields: dict[FieldId, FieldAccess] = msgspec.field(default_factory=dict)  # default: editable


class ApproverNode(msgspec.Struct, tag="approver", tag_field="type", forbid_unknown_fields=True, omit_defaults=True):
    id: NodeId
    name: Name
    assignees: Annotated[list[AssigneeRule], Meta(min_length=1, max_length=20)]
    mode: Mode = "any"
    empty: EmptyAssignee | None = None  # None: the flow's setting
    fields: dict[FieldId, FieldAccess] = msgspec.field(default_factory=dict)  # default: readonly
    timeout: Timeout | None = None
    allow: Allowed = msgspec.field(default_factory=Allowed)


class HandlerNode(msgspec.Struct, tag="handler", tag_field="type", forbid_unknown_fields=True, omit_defaults=True):
    """Someone does the work (finance pays, IT sets up the laptop) and marks it done: no reject."""

    id: NodeId
    name: Name
    assignees: Annotated[list[AssigneeRule], Meta(min_length=1, max_length=20)]
    mode: Mode = "any"
    empty: EmptyAssignee | None = None
    fields: dict[FieldId, FieldAccess] = msgspec.field(default_factory=dict)
    timeout: Timeout | None = None
    allow: Allowed = msgspec.field(default_factory=Allowed)


class CcNode(msgspec.Struct, tag="cc", tag_field="type", forbid_unknown_fields=True, omit_defaults=True):
    """Copies the request to people for their information; nobody waits for them."""

    id: NodeId
    name: Name
    assignees: Annotated[list[AssigneeRule], Meta(min_length=1, max_length=20)]
    fields: dict[FieldId, FieldAccess] = msgspec.field(default_factory=dict)


class Branch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    id: BranchId
    name: Name
    nodes: Annotated[list[Node], Meta(max_length=200)] = msgspec.field(default_factory=list)
    # Condition branches: a formula over the form's fields and `Initiator`, `Initiator department`
    # (TRUE takes the branch); the default branch has none and is taken when no other is.
    condition: Formula | None = None
    default: bool = False


class ConditionNode(msgspec.Struct, tag="condition", tag_field="type", forbid_unknown_fields=True, omit_defaults=True):
    """Exactly one branch runs: the first, in list order (its priority), whose condition holds."""

    id: NodeId
    branches: Annotated[list[Branch], Meta(min_length=2, max_length=20)]
    name: Name = "Condition"


class ParallelNode(msgspec.Struct, tag="parallel", tag_field="type", forbid_unknown_fields=True, omit_defaults=True):
    """Every branch runs at once; the flow goes on when all of them are done."""

    id: NodeId
    branches: Annotated[list[Branch], Meta(min_length=2, max_length=20)]
    name: Name = "Parallel"


class SetField(msgspec.Struct, tag="set_field", tag_field="kind", forbid_unknown_fields=True):
    field_id: FieldId
    value: Formula  # evaluated over the record


class StartFlow(msgspec.Struct, tag="start_flow", tag_field="kind", forbid_unknown_fields=True):
    """Starts another form's flow with a new record whose fields are filled by formulas over this one."""

    form_id: uuid.UUID
    values: dict[FieldId, Formula] = msgspec.field(default_factory=dict)


class Notify(msgspec.Struct, tag="notify", tag_field="kind", forbid_unknown_fields=True):
    to: Annotated[list[AssigneeRule], Meta(min_length=1, max_length=20)]
    message: Annotated[str, Meta(min_length=1, max_length=2000)]


AutomationAction = SetField | StartFlow | Notify


class AutomationNode(msgspec.Struct, tag="automation", tag_field="type", forbid_unknown_fields=True, omit_defaults=True):
    """Does things without a person: set a field, start another flow, send a notification."""

    id: NodeId
    name: Name
    actions: Annotated[list[AutomationAction], Meta(min_length=1, max_length=20)]


Node = StartNode | ApproverNode | HandlerNode | CcNode | ConditionNode | ParallelNode | AutomationNode


class FlowSettings(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # Approver de-duplication: keep only the first task of a person who appears at several nodes
    # (later ones pass by themselves), only when the nodes follow each other, or never.
    dedupe: Literal["keep_first", "consecutive", "off"] = "off"
    # The initiator's own approval tasks pass by themselves.
    auto_pass_initiator: bool = False
    empty: EmptyAssignee = msgspec.field(default_factory=EmptyAssignee)
    # After a return to the initiator and their resubmission: go on from the node that returned
    # it, or go through the whole flow again.
    on_resubmit: Literal["from_returner", "restart"] = "from_returner"
    # When the initiator may withdraw: while the request runs, only until someone has acted, never.
    withdraw: Literal["while_running", "until_first_action", "never"] = "while_running"
    deadline: Deadline | None = None
    # Minutes between two urges of the same request.
    urge_interval_minutes: Annotated[int, Meta(ge=1, le=1440)] = 10


class FlowDef(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The document the designer saves and `tack app export` writes."""

    name: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")]
    nodes: Annotated[list[Node], Meta(min_length=1, max_length=500)]
    settings: FlowSettings = msgspec.field(default_factory=FlowSettings)
    description: Annotated[str, Meta(max_length=4000)] | None = None


WAITING_TYPES = ("approver", "handler")  # nodes an instance waits at
