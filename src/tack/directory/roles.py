"""Roles: named groups across departments ("Finance", "HR") that flows can assign to."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from msgspec import UNSET

from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.errors import FieldError, NotFound, ValidationFailed
from tack.core.events import emit
from tack.core.ids import new_id
from tack.core.pagination import DEFAULT_LIMIT
from tack.directory import audit
from tack.directory.lookups import name_key
from tack.directory.members import list_members
from tack.directory.models import MemberPage, Role, RoleCreate, RoleList, RoleUpdate
from tack.directory.tables import members, role_members, roles


async def list_roles(ctx: Ctx) -> RoleList:
    require(ctx.actor, "directory.read")
    counts = dict((await ctx.conn.execute(
        sa.select(role_members.c.role_id, sa.func.count())
        .select_from(role_members.join(members, sa.and_(members.c.org_id == role_members.c.org_id,
                                                        members.c.id == role_members.c.member_id)))
        .where(role_members.c.org_id == ctx.org_id, members.c.status == "active")
        .group_by(role_members.c.role_id))).all())
    rows = (await ctx.conn.execute(sa.select(roles).where(roles.c.org_id == ctx.org_id)
                                   .order_by(roles.c.name))).mappings().all()
    return RoleList(items=[Role(id=r["id"], name=r["name"], description=r["description"],
                                member_count=counts.get(r["id"], 0)) for r in rows])


async def get_role(ctx: Ctx, role_id: uuid.UUID) -> Role:
    require(ctx.actor, "directory.read")
    for r in (await list_roles(ctx)).items:
        if r.id == role_id:
            return r
    raise NotFound("No such role in this organization.")


async def create_role(ctx: Ctx, data: RoleCreate) -> Role:
    require(ctx.actor, "role.write")
    await _check_name(ctx, data.name.strip(), None)
    role_id = new_id()
    await ctx.conn.execute(roles.insert().values(org_id=ctx.org_id, id=role_id, name=data.name.strip(),
                                                 description=data.description, created_at=ctx.now()))
    await audit.record(ctx, "role.created", "role", role_id, {"name": data.name.strip()})
    await emit(ctx, "role.created", str(role_id), {"id": role_id})
    return await get_role(ctx, role_id)


async def update_role(ctx: Ctx, role_id: uuid.UUID, data: RoleUpdate) -> Role:
    require(ctx.actor, "role.write")
    before = await get_role(ctx, role_id)
    values: dict[str, object] = {}
    if data.name is not UNSET and data.name.strip() != before.name:
        await _check_name(ctx, data.name.strip(), role_id)
        values["name"] = data.name.strip()
    if data.description is not UNSET and data.description != before.description:
        values["description"] = data.description
    if values:
        await ctx.conn.execute(roles.update().where(roles.c.org_id == ctx.org_id, roles.c.id == role_id)
                               .values(**values))
        await audit.record(ctx, "role.updated", "role", role_id, values)
        await emit(ctx, "role.updated", str(role_id), {"id": role_id})
    return await get_role(ctx, role_id)


async def delete_role(ctx: Ctx, role_id: uuid.UUID) -> None:
    require(ctx.actor, "role.write")
    before = await get_role(ctx, role_id)
    await ctx.conn.execute(role_members.delete().where(role_members.c.org_id == ctx.org_id,
                                                       role_members.c.role_id == role_id))
    await ctx.conn.execute(roles.delete().where(roles.c.org_id == ctx.org_id, roles.c.id == role_id))
    await audit.record(ctx, "role.deleted", "role", role_id, {"name": before.name})
    await emit(ctx, "role.deleted", str(role_id), {"id": role_id})


async def add_role_members(ctx: Ctx, role_id: uuid.UUID, member_ids: list[uuid.UUID]) -> None:
    require(ctx.actor, "role.write")
    await get_role(ctx, role_id)
    wanted = list(dict.fromkeys(member_ids))
    found = set((await ctx.conn.execute(sa.select(members.c.id).where(
        members.c.org_id == ctx.org_id, members.c.id.in_(wanted)))).scalars().all())
    errors = [FieldError(path=f"$.member_ids[{i}]", message="no such member", rule="exists")
              for i, m in enumerate(member_ids) if m not in found]
    if errors:
        raise ValidationFailed("Some members do not exist.", errors=errors)
    have = set((await ctx.conn.execute(sa.select(role_members.c.member_id).where(
        role_members.c.org_id == ctx.org_id, role_members.c.role_id == role_id,
        role_members.c.member_id.in_(wanted)))).scalars().all())
    added = [m for m in wanted if m not in have]
    for m in added:
        await ctx.conn.execute(role_members.insert().values(org_id=ctx.org_id, role_id=role_id, member_id=m))
    if added:
        await audit.record(ctx, "role.members_added", "role", role_id, {"member_ids": added})
        await emit(ctx, "role.members_changed", str(role_id), {"id": role_id, "added": added})


async def remove_role_member(ctx: Ctx, role_id: uuid.UUID, member_id: uuid.UUID) -> None:
    require(ctx.actor, "role.write")
    await get_role(ctx, role_id)
    res = await ctx.conn.execute(role_members.delete().where(
        role_members.c.org_id == ctx.org_id, role_members.c.role_id == role_id, role_members.c.member_id == member_id))
    if res.rowcount == 0:
        raise NotFound("This member does not hold the role.")
    await audit.record(ctx, "role.member_removed", "role", role_id, {"member_id": member_id})
    await emit(ctx, "role.members_changed", str(role_id), {"id": role_id, "removed": [member_id]})


async def list_role_members(ctx: Ctx, role_id: uuid.UUID, *, department_id: uuid.UUID | None = None,
                            include_descendants: bool = True, cursor: str | None = None,
                            limit: int = DEFAULT_LIMIT) -> MemberPage:
    await get_role(ctx, role_id)
    return await list_members(ctx, role_id=role_id, department_id=department_id,
                              include_descendants=include_descendants, cursor=cursor, limit=limit)


async def _check_name(ctx: Ctx, name: str, self_id: uuid.UUID | None) -> None:
    key = name_key(name)
    rows = (await ctx.conn.execute(sa.select(roles.c.id, roles.c.name).where(roles.c.org_id == ctx.org_id))).all()
    if any(rid != self_id and name_key(other) == key for rid, other in rows):
        raise ValidationFailed.field("$.name", "Another role has this name.", "unique")
