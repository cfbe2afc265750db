"""Who acts at a node: one resolver per assignee rule, in a registry.

A resolver turns a rule into member ids, in the order they act (a manager chain nearest first),
reading the organization chart as it is when the node is reached. Deactivated members are left
out here, so no task is ever created for one. The engine runs resolvers as the system: the
initiator needs no right to read the org chart for their request to find its approvers.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tack.core.ctx import Actor, Ctx
from tack.core.registry import Registry
from tack.directory import queries
from tack.directory.tables import department_members, departments, members, role_members
from tack.flows import model as m


@dataclass
class Facts:
    """What resolvers read besides the directory: the request's initiator, their department,
    the record's values (by field id) and the initiator's picks for self-select nodes."""

    initiator_id: uuid.UUID | None
    department_id: uuid.UUID | None
    data: dict[str, Any] = field(default_factory=dict)
    selections: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    node_id: str = ""
    # Field id -> field type name (member, members, department, departments), for field rules.
    field_types: dict[str, str] = field(default_factory=dict)


Resolver = Callable[[Ctx, Any, Facts], Awaitable[list[uuid.UUID]]]
resolvers: Registry[Resolver] = Registry("assignee rule")


def resolver(cls: type) -> Callable[[Resolver], Resolver]:
    def deco(fn: Resolver) -> Resolver:
        resolvers.register(cls.__struct_config__.tag, fn)  # type: ignore[attr-defined]
        return fn
    return deco


def system_ctx(ctx: Ctx) -> Ctx:
    return Ctx(org_id=ctx.org_id, actor=Actor.system("flows"), conn=ctx.conn, clock=ctx.clock)


async def resolve(ctx: Ctx, rules: Iterable[Any], facts: Facts) -> list[uuid.UUID]:
    """Every rule's members, in rule order, each person once, active members only."""
    sctx = system_ctx(ctx)
    found: list[uuid.UUID] = []
    for rule in rules:
        found.extend(await resolvers.get(rule.__struct_config__.tag)(sctx, rule, facts))
    unique = list(dict.fromkeys(found))
    return await active_only(ctx, unique)


async def active_only(ctx: Ctx, ids: list[uuid.UUID]) -> list[uuid.UUID]:
    if not ids:
        return []
    active = set((await ctx.conn.execute(sa.select(members.c.id).where(
        members.c.org_id == ctx.org_id, members.c.id.in_(ids), members.c.status == "active"))).scalars().all())
    return [i for i in ids if i in active]


async def org_admins(ctx: Ctx) -> list[uuid.UUID]:
    """Where a node with nobody to act goes when its rule says "to the admins": owners first."""
    rows = (await ctx.conn.execute(sa.select(members.c.id, members.c.admin_role).where(
        members.c.org_id == ctx.org_id, members.c.status == "active",
        members.c.admin_role.in_(("owner", "admin"))).order_by(members.c.admin_role.desc(), members.c.id))).all()
    return [r[0] for r in rows]


@resolver(m.Members)
async def _members(ctx: Ctx, rule: m.Members, facts: Facts) -> list[uuid.UUID]:
    return list(rule.member_ids)


@resolver(m.Role)
async def _role(ctx: Ctx, rule: m.Role, facts: Facts) -> list[uuid.UUID]:
    within = facts.department_id if rule.within_initiator_department else None
    role = rule.role_id or await role_by_name(ctx, rule.role_name)
    if (rule.within_initiator_department and within is None) or role is None:
        return []
    q = sa.select(role_members.c.member_id).where(role_members.c.org_id == ctx.org_id,
                                                  role_members.c.role_id == role)
    if within is not None:
        path = await _department_path(ctx, within)
        if path is None:
            return []
        dm = department_members
        q = q.where(role_members.c.member_id.in_(
            sa.select(dm.c.member_id).join(departments, sa.and_(departments.c.org_id == dm.c.org_id,
                                                                departments.c.id == dm.c.department_id))
            .where(dm.c.org_id == ctx.org_id, departments.c.path.startswith(path))))
    return sorted((await ctx.conn.execute(q)).scalars().all())


async def role_by_name(ctx: Ctx, name: str | None) -> uuid.UUID | None:
    if not name:
        return None
    from tack.directory.lookups import name_key
    from tack.directory.tables import roles

    rows = (await ctx.conn.execute(sa.select(roles.c.id, roles.c.name).where(roles.c.org_id == ctx.org_id))).all()
    wanted = name_key(name)
    return next((r[0] for r in rows if name_key(r[1]) == wanted), None)


@resolver(m.DepartmentHead)
async def _department_head(ctx: Ctx, rule: m.DepartmentHead, facts: Facts) -> list[uuid.UUID]:
    if facts.department_id is None:
        return []
    return await heads_at(ctx, facts.department_id, rule.level)


async def heads_at(ctx: Ctx, department_id: uuid.UUID, level: int) -> list[uuid.UUID]:
    path = await _department_path(ctx, department_id)
    if path is None:
        return []
    chain = [uuid.UUID(hex=h) for h in path.strip("/").split("/")][::-1]  # self, parent, ...
    if len(chain) < level:
        return []
    target = chain[level - 1]
    dm = department_members
    return sorted((await ctx.conn.execute(sa.select(dm.c.member_id).where(
        dm.c.org_id == ctx.org_id, dm.c.department_id == target, dm.c.is_head.is_(True)))).scalars().all())


@resolver(m.Manager)
async def _manager(ctx: Ctx, rule: m.Manager, facts: Facts) -> list[uuid.UUID]:
    if facts.initiator_id is None:
        return []
    chain = await queries.manager_chain_ids(ctx, facts.initiator_id, rule.level)
    return [chain[rule.level - 1]] if len(chain) >= rule.level else []


@resolver(m.ManagerChain)
async def _manager_chain(ctx: Ctx, rule: m.ManagerChain, facts: Facts) -> list[uuid.UUID]:
    if facts.initiator_id is None:
        return []
    ids = await queries.manager_chain_ids(ctx, facts.initiator_id, rule.up_to_level or queries.MAX_CHAIN)
    until = rule.until_role_id or await role_by_name(ctx, rule.until_role_name)
    if until is not None and ids:
        holders = set((await ctx.conn.execute(sa.select(role_members.c.member_id).where(
            role_members.c.org_id == ctx.org_id, role_members.c.role_id == until,
            role_members.c.member_id.in_(ids)))).scalars().all())
        for i, mid in enumerate(ids):
            if mid in holders:
                return ids[: i + 1]
    return ids


@resolver(m.SelfSelect)
async def _self_select(ctx: Ctx, rule: m.SelfSelect, facts: Facts) -> list[uuid.UUID]:
    return list(facts.selections.get(facts.node_id, []))


@resolver(m.Initiator)
async def _initiator(ctx: Ctx, rule: m.Initiator, facts: Facts) -> list[uuid.UUID]:
    return [facts.initiator_id] if facts.initiator_id is not None else []


@resolver(m.FormField)
async def _field(ctx: Ctx, rule: m.FormField, facts: Facts) -> list[uuid.UUID]:
    value = facts.data.get(rule.field_id)
    ids = [_as_id(v) for v in (value if isinstance(value, list) else [value])]
    found = [i for i in ids if i is not None]
    if facts.field_types.get(rule.field_id) in ("department", "departments"):
        heads: list[uuid.UUID] = []
        for d in found:
            heads.extend(await heads_at(ctx, d, 1))
        return heads
    return found


def _as_id(v: Any) -> uuid.UUID | None:
    if isinstance(v, dict):
        v = v.get("id")
    try:
        return uuid.UUID(str(v)) if v else None
    except ValueError:
        return None


async def _department_path(ctx: Ctx, department_id: uuid.UUID) -> str | None:
    return (await ctx.conn.execute(sa.select(departments.c.path).where(
        departments.c.org_id == ctx.org_id, departments.c.id == department_id))).scalar()


async def in_scope(ctx: Ctx, rule: m.SelfSelect | m.StartNode, member_id: uuid.UUID) -> bool:
    """Whether a member may be picked for a self-select rule (or may submit, for a start node):
    everyone when the scope names nobody, else one of the members, in one of the departments
    (or below) or holding one of the roles."""
    everyone = getattr(rule, "everyone", None)
    if everyone is True or (everyone is None and not (rule.member_ids or rule.department_ids or rule.role_ids)):
        return True
    if member_id in rule.member_ids:
        return True
    if rule.role_ids and (await ctx.conn.execute(sa.select(role_members.c.member_id).where(
            role_members.c.org_id == ctx.org_id, role_members.c.member_id == member_id,
            role_members.c.role_id.in_(list(rule.role_ids))).limit(1))).first():
        return True
    if rule.department_ids:
        dm = department_members
        paths = (await ctx.conn.execute(sa.select(departments.c.path).join(dm, sa.and_(
            dm.c.org_id == departments.c.org_id, dm.c.department_id == departments.c.id)).where(
            dm.c.org_id == ctx.org_id, dm.c.member_id == member_id))).scalars().all()
        wanted = [d.hex for d in rule.department_ids]
        return any(w in p for p in paths for w in wanted)
    return False
