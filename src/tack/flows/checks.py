"""Checking a flow definition against its form and the organization, for the designer.

Every problem names its JSON path and node, so the designer can draw it on the node: unreachable
branches, a condition on a field the form does not have, a node that can never get an assignee
(nobody chosen is still active, a field rule on a field that holds no member, a role that does
not exist), a missing default branch. A draft is saved with its problems; publishing refuses
them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import msgspec
import sqlalchemy as sa

from tack.core.ctx import Ctx
from tack.directory.tables import members, roles
from tack.flows import model as m
from tack.flows.assignees import role_by_name
from tack.flows.graph import Graph, build, walk
from tack.forms.definition import CompiledForm
from tack.formula import BOOL, DEPARTMENT, MEMBER, FormulaError, Type, check, compile_py, parse

INITIATOR = "Initiator"
INITIATOR_DEPARTMENT = "Initiator department"
PERSON_TYPES = {"member", "members", "department", "departments", "created_by"}


class Problem(msgspec.Struct, frozen=True):
    path: str
    node_id: str | None
    message: str
    rule: str


@dataclass
class Checked:
    graph: Graph
    problems: list[Problem]


def condition_schema(form: CompiledForm) -> dict[str, Type]:
    """What a branch condition may read: the form's fields by name, and who submitted from where."""
    return {**form.schema, INITIATOR: MEMBER, INITIATOR_DEPARTMENT: DEPARTMENT}


def check_flow(definition: m.FlowDef, form: CompiledForm) -> Checked:
    """The problems that need no database (and the compiled graph, whose conditions compile
    wherever they can)."""
    out: list[Problem] = []

    def add(path: str, node: Any, message: str, rule: str) -> None:
        out.append(Problem(path=path, node_id=getattr(node, "id", None), message=message, rule=rule))

    nodes = walk(definition.nodes)
    seen: dict[str, str] = {}
    for node, path in nodes:
        if node.id in seen:
            add(f"{path}.id", node, f"Another node already has the id {node.id!r}.", "unique")
        seen[node.id] = path
        if isinstance(node, m.StartNode) and path != "$.nodes[0]":
            add(path, node, "Only the first node may be the start node.", "start")
    if not isinstance(definition.nodes[0], m.StartNode):
        add("$.nodes[0]", definition.nodes[0], "A flow begins with its start node (who may submit).", "start")
    branch_ids: set[str] = set()
    for node, path in nodes:
        if isinstance(node, (m.ConditionNode, m.ParallelNode)):
            for j, b in enumerate(node.branches):
                if b.id in branch_ids or b.id in seen:
                    add(f"{path}.branches[{j}].id", node, f"Another branch already has the id {b.id!r}.", "unique")
                branch_ids.add(b.id)
    g = build(definition)
    schema = condition_schema(form)
    for node, path in nodes:
        _check_node(node, path, form, schema, g, add)
    return Checked(graph=g, problems=out)


def _check_node(node: Any, path: str, form: CompiledForm, schema: dict[str, Type], g: Graph, add: Any) -> None:
    fields = getattr(node, "fields", None)
    if fields:
        for fid in fields:
            if fid not in form.by_key:
                add(f"{path}.fields.{fid}", node, f"The form has no field {fid}.", "exists")
    if isinstance(node, (m.ApproverNode, m.HandlerNode, m.CcNode)):
        _check_rules(node.assignees, f"{path}.assignees", node, form, add)
    if isinstance(node, (m.ApproverNode, m.HandlerNode)):
        if node.empty is not None and node.empty.action == "member" and node.empty.member_id is None:
            add(f"{path}.empty.member_id", node, "Name the member who takes the task when nobody is found.", "required")
        t = node.timeout
        if t is not None and t.action == "transfer" and t.transfer_to is None:
            add(f"{path}.timeout.transfer_to", node, "Name the member the task goes to on timeout.", "required")
        if isinstance(node, m.HandlerNode) and t is not None and t.action == "auto_reject":
            add(f"{path}.timeout.action", node, "A handler cannot reject; choose another timeout action.", "handler")
    if isinstance(node, m.ConditionNode):
        _check_condition(node, path, schema, g, add)
    if isinstance(node, m.ParallelNode):
        for j, b in enumerate(node.branches):
            if b.condition is not None or b.default:
                add(f"{path}.branches[{j}]", b, "Parallel branches all run: they have no condition or default.",
                    "parallel")
    if isinstance(node, m.AutomationNode):
        for k, action in enumerate(node.actions):
            ap = f"{path}.actions[{k}]"
            if isinstance(action, m.SetField):
                target = form.by_key.get(action.field_id)
                if target is None:
                    add(f"{ap}.field_id", node, f"The form has no field {action.field_id}.", "exists")
                    continue
                if target.ftype.computed or not target.ftype.stores_value:
                    add(f"{ap}.field_id", node, f"[{target.fd.name}] is computed; it cannot be set.", "computed")
                    continue
                try:
                    f = parse(action.value)
                    check(f, schema, expect=target.type)
                    g.values[(node.id, k, "")] = compile_py(f, schema)
                except FormulaError as exc:
                    add(f"{ap}.value", node, str(exc), "formula")
            elif isinstance(action, m.Notify):
                _check_rules(action.to, f"{ap}.to", node, form, add)
            elif isinstance(action, m.StartFlow):
                for fid, source in action.values.items():
                    try:
                        f = parse(source)
                        check(f, schema)
                        g.values[(node.id, k, fid)] = compile_py(f, schema)
                    except FormulaError as exc:
                        add(f"{ap}.values.{fid}", node, str(exc), "formula")


def _check_rules(rules: list[Any], path: str, node: Any, form: CompiledForm, add: Any) -> None:
    for i, rule in enumerate(rules):
        if isinstance(rule, m.FormField):
            target = form.by_key.get(rule.field_id)
            if target is None:
                add(f"{path}[{i}].field_id", node, f"The form has no field {rule.field_id}.", "exists")
            elif target.fd.type not in PERSON_TYPES:
                add(f"{path}[{i}].field_id", node,
                    f"[{target.fd.name}] holds no member or department: nobody could ever be found.", "assignable")


def _check_condition(node: m.ConditionNode, path: str, schema: dict[str, Type], g: Graph, add: Any) -> None:
    defaults = [j for j, b in enumerate(node.branches) if b.default]
    if len(defaults) != 1:
        add(f"{path}.branches", node, "A condition needs exactly one default branch (taken when no other is).",
            "default")
    always_from: int | None = None
    for j, b in enumerate(node.branches):
        bp = f"{path}.branches[{j}]"
        if always_from is not None:
            add(bp, b, f"Branch {b.name!r} can never be taken: branch {node.branches[always_from].name!r} "
                          "before it always is.", "unreachable")
        if b.default:
            if b.condition is not None:
                add(f"{bp}.condition", b, "The default branch has no condition.", "default")
            continue
        if b.condition is None:
            add(f"{bp}.condition", b, f"Branch {b.name!r} needs a condition.", "required")
            continue
        try:
            f = parse(b.condition)
            check(f, schema, expect=BOOL)
            compiled = compile_py(f, schema)
        except FormulaError as exc:
            add(f"{bp}.condition", b, str(exc), "formula")
            continue
        g.conditions[b.id] = compiled
        constant = _constant(compiled, f)
        if constant is False:
            add(f"{bp}.condition", b, f"Branch {b.name!r} can never be taken: its condition is always FALSE.",
                "unreachable")
        elif constant is True and always_from is None:
            always_from = j


def _constant(compiled: Any, f: Any) -> bool | None:
    """TRUE or FALSE when the condition reads no field (so it never changes), else None."""
    from tack.formula import EvalContext, dependencies

    if dependencies(f):
        return None
    try:
        value = compiled(EvalContext({}))
    except Exception:
        return None
    return value if isinstance(value, bool) else None


async def check_against_org(ctx: Ctx, definition: m.FlowDef) -> list[Problem]:
    """The problems only the organization can show: people and roles that no longer exist."""
    out: list[Problem] = []
    wanted_members: set[uuid.UUID] = set()
    wanted_roles: set[uuid.UUID] = set()
    for node, _path in walk(definition.nodes):
        for rule in _rules_of(node):
            if isinstance(rule, m.Members):
                wanted_members.update(rule.member_ids)
            if isinstance(rule, m.Role) and rule.role_id:
                wanted_roles.add(rule.role_id)
            if isinstance(rule, m.ManagerChain) and rule.until_role_id:
                wanted_roles.add(rule.until_role_id)
        for attr in ("empty",):
            e = getattr(node, attr, None)
            if e is not None and e.member_id:
                wanted_members.add(e.member_id)
        t = getattr(node, "timeout", None)
        if t is not None and t.transfer_to:
            wanted_members.add(t.transfer_to)
    active: set[uuid.UUID] = set()
    if wanted_members:
        active = set((await ctx.conn.execute(sa.select(members.c.id).where(
            members.c.org_id == ctx.org_id, members.c.id.in_(wanted_members),
            members.c.status == "active"))).scalars().all())
    known_roles: set[uuid.UUID] = set()
    if wanted_roles:
        known_roles = set((await ctx.conn.execute(sa.select(roles.c.id).where(
            roles.c.org_id == ctx.org_id, roles.c.id.in_(wanted_roles)))).scalars().all())
    for node, path in walk(definition.nodes):
        for rpath, rule in _rules_with_paths(node, path):
            if isinstance(rule, m.Members) and not any(i in active for i in rule.member_ids):
                out.append(Problem(path=rpath, node_id=node.id, rule="assignable",
                                   message="None of the chosen members is an active member: nobody could ever act."))
            elif isinstance(rule, m.Members):
                for k, i in enumerate(rule.member_ids):
                    if i not in active:
                        out.append(Problem(path=f"{rpath}.member_ids[{k}]", node_id=node.id, rule="exists",
                                           message="This member is not an active member of the organization."))
            if isinstance(rule, m.Role) and rule.role_id is None and rule.role_name is None:
                out.append(Problem(path=f"{rpath}.role_id", node_id=node.id, rule="required", message="Choose a role."))
            elif isinstance(rule, m.Role) and rule.role_id is not None and rule.role_id not in known_roles:
                out.append(Problem(path=f"{rpath}.role_id", node_id=node.id, rule="exists", message="No such role."))
            elif isinstance(rule, m.Role) and rule.role_name and await role_by_name(ctx, rule.role_name) is None:
                out.append(Problem(path=f"{rpath}.role_name", node_id=node.id, rule="exists",
                                   message=f"No role named {rule.role_name!r}."))
            if isinstance(rule, m.ManagerChain) and rule.until_role_id and rule.until_role_id not in known_roles:
                out.append(Problem(path=f"{rpath}.until_role_id", node_id=node.id, rule="exists", message="No such role."))
        e = getattr(node, "empty", None)
        if e is not None and e.member_id and e.member_id not in active:
            out.append(Problem(path=f"{path}.empty.member_id", node_id=node.id, rule="exists",
                               message="This member is not an active member of the organization."))
        t = getattr(node, "timeout", None)
        if t is not None and t.transfer_to and t.transfer_to not in active:
            out.append(Problem(path=f"{path}.timeout.transfer_to", node_id=node.id, rule="exists",
                               message="This member is not an active member of the organization."))
    return out


def _rules_of(node: Any) -> list[Any]:
    return [r for _p, r in _rules_with_paths(node, "")]


def _rules_with_paths(node: Any, path: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for i, r in enumerate(getattr(node, "assignees", None) or []):
        out.append((f"{path}.assignees[{i}]", r))
    for k, a in enumerate(getattr(node, "actions", None) or []):
        if isinstance(a, m.Notify):
            for i, r in enumerate(a.to):
                out.append((f"{path}.actions[{k}].to[{i}]", r))
    return out
