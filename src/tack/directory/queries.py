"""Organization-chart queries the approval engine asks: each is one call (one round trip where
a recursive query can do it), scoped to the organization.

- `manager_at`: the manager N levels up
- `manager_chain`: the managers upward, to a level or until someone with a role
- `department_heads`: heads of a department, optionally of its ancestors too (nearest first)
- `role_members`: members of a role, optionally only within a department subtree
- `member_departments`: the departments a member belongs to
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.directory.lookups import (
    get_department_row,
    get_member_row,
    member_select,
    members_by_ids,
    members_from_rows,
)
from tack.directory.models import Department, Member
from tack.directory.tables import department_members, departments, members, role_members

MAX_CHAIN = 64  # a guard: manager loops are refused on write, but never trust that on read


async def manager_chain_ids(ctx: Ctx, member_id: uuid.UUID, max_levels: int = MAX_CHAIN) -> list[uuid.UUID]:
    """Ids of the managers above `member_id`, nearest first, in one recursive query."""
    base = (sa.select(members.c.manager_id.label("id"), sa.literal(1).label("level"))
            .where(members.c.org_id == ctx.org_id, members.c.id == member_id, members.c.manager_id.is_not(None))
            .cte("chain", recursive=True))
    step = (sa.select(members.c.manager_id, base.c.level + 1)
            .where(members.c.org_id == ctx.org_id, members.c.id == base.c.id, members.c.manager_id.is_not(None),
                   base.c.level < min(max_levels, MAX_CHAIN)))
    chain = base.union_all(step)
    rows = (await ctx.conn.execute(sa.select(chain.c.id, chain.c.level).order_by(chain.c.level))).all()
    seen: list[uuid.UUID] = []
    for mid, _level in rows:
        if mid in seen:  # a loop in old data: stop at the first repeat
            break
        seen.append(mid)
    return seen


async def manager_at(ctx: Ctx, member_id: uuid.UUID, level: int = 1) -> Member | None:
    """The manager `level` levels above the member (1 = direct manager), or None."""
    require(ctx.actor, "directory.read")
    chain = await manager_chain_ids(ctx, member_id, level)
    if not chain:
        await get_member_row(ctx, member_id)
    if len(chain) < level:
        return None
    found = await members_by_ids(ctx, [chain[level - 1]])
    return found[0] if found else None


async def manager_chain(ctx: Ctx, member_id: uuid.UUID, *, max_levels: int | None = None,
                        until_role_id: uuid.UUID | None = None) -> list[Member]:
    """Managers upward, nearest first: at most `max_levels`, and stopping after the first one
    holding `until_role_id` (that one included), as "up to the department's director" needs."""
    require(ctx.actor, "directory.read")
    ids = await manager_chain_ids(ctx, member_id, max_levels or MAX_CHAIN)
    if not ids:
        await get_member_row(ctx, member_id)  # no managers, or no such member: 404 for the latter
    if until_role_id is not None and ids:
        holders = set((await ctx.conn.execute(sa.select(role_members.c.member_id).where(
            role_members.c.org_id == ctx.org_id, role_members.c.role_id == until_role_id,
            role_members.c.member_id.in_(ids)))).scalars().all())
        for i, mid in enumerate(ids):
            if mid in holders:
                ids = ids[: i + 1]
                break
    return await members_by_ids(ctx, ids)


async def department_heads(ctx: Ctx, department_id: uuid.UUID, *, include_ancestors: bool = False,
                           level: int | None = None, active_only: bool = True) -> list[Member]:
    """Heads of the department; with `include_ancestors`, then those of each ancestor, nearest
    first; with `level` (1 = this department, 2 = its parent, ...), only that level's heads.
    Deactivated heads are left out unless `active_only` is off: they can act on nothing."""
    require(ctx.actor, "directory.read")
    dept = await get_department_row(ctx, department_id)
    chain = [uuid.UUID(hex=h) for h in dept["path"].strip("/").split("/")][::-1]  # self, parent, ...
    if level is not None:
        chain = chain[level - 1: level]
    elif not include_ancestors:
        chain = chain[:1]
    if not chain:
        return []
    dm = department_members
    rows = (await ctx.conn.execute(sa.select(dm.c.department_id, dm.c.member_id).where(
        dm.c.org_id == ctx.org_id, dm.c.is_head.is_(True), dm.c.department_id.in_(chain)))).all()
    rank = {d: i for i, d in enumerate(chain)}
    ordered = [m for _d, m in sorted(rows, key=lambda r: (rank[r[0]], r[1]))]
    found = await members_by_ids(ctx, list(dict.fromkeys(ordered)))
    return [m for m in found if m.status == "active"] if active_only else found


async def role_members_of(ctx: Ctx, role_id: uuid.UUID, *, within_department_id: uuid.UUID | None = None,
                          active_only: bool = True) -> list[Member]:
    """Members holding the role; with `within_department_id`, only those in that subtree."""
    require(ctx.actor, "directory.read")
    q = member_select().where(members.c.org_id == ctx.org_id, members.c.id.in_(
        sa.select(role_members.c.member_id).where(role_members.c.org_id == ctx.org_id,
                                                  role_members.c.role_id == role_id)))
    if active_only:
        q = q.where(members.c.status == "active")
    if within_department_id is not None:
        dept = await get_department_row(ctx, within_department_id)
        dm = department_members
        q = q.where(members.c.id.in_(
            sa.select(dm.c.member_id).join(departments, sa.and_(departments.c.org_id == dm.c.org_id,
                                                                departments.c.id == dm.c.department_id))
            .where(dm.c.org_id == ctx.org_id, departments.c.path.startswith(dept["path"]))))
    rows = (await ctx.conn.execute(q.order_by(members.c.name, members.c.id))).mappings().all()
    return await members_from_rows(ctx, rows)


async def member_departments(ctx: Ctx, member_id: uuid.UUID) -> list[Department]:
    require(ctx.actor, "directory.read")
    await get_member_row(ctx, member_id)
    from tack.directory.departments import _department, _heads_and_counts

    dm = department_members
    rows = (await ctx.conn.execute(sa.select(departments).join(dm, sa.and_(
        dm.c.org_id == departments.c.org_id, dm.c.department_id == departments.c.id)).where(
        dm.c.org_id == ctx.org_id, dm.c.member_id == member_id).order_by(departments.c.path))).mappings().all()
    heads, counts = await _heads_and_counts(ctx, None)
    return [_department(r, heads, counts) for r in rows]
