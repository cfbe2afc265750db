"""Departments: the organization chart as a tree (create, rename, move, reorder, heads)."""

from __future__ import annotations

import uuid
from collections import defaultdict

import sqlalchemy as sa
from msgspec import UNSET

from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.errors import Conflict, FieldError, ValidationFailed
from tack.core.events import emit
from tack.core.ids import new_id
from tack.directory import audit
from tack.directory.lookups import get_department_row, name_key, path_of
from tack.directory.models import Department, DepartmentCreate, DepartmentList, DepartmentUpdate
from tack.directory.tables import admin_departments, department_members, departments, invitations, members


async def list_departments(ctx: Ctx) -> DepartmentList:
    require(ctx.actor, "directory.read")
    rows = (await ctx.conn.execute(sa.select(departments).where(departments.c.org_id == ctx.org_id)
                                   .order_by(departments.c.parent_id, departments.c.position))).mappings().all()
    heads, counts = await _heads_and_counts(ctx, None)
    return DepartmentList(items=[_department(r, heads, counts) for r in rows])


async def get_department(ctx: Ctx, department_id: uuid.UUID) -> Department:
    require(ctx.actor, "directory.read")
    row = await get_department_row(ctx, department_id)
    heads, counts = await _heads_and_counts(ctx, department_id)
    return _department(row, heads, counts)


async def create_department(ctx: Ctx, data: DepartmentCreate) -> Department:
    parent = await _parent_row(ctx, data.parent_id)
    require(ctx.actor, "department.write", department_paths=[parent["path"]])
    await _check_sibling_name(ctx, parent["id"], data.name.strip(), None)
    dept_id = new_id()
    siblings = await _sibling_ids(ctx, parent["id"])
    position = len(siblings) if data.position is UNSET else min(data.position, len(siblings))
    await ctx.conn.execute(departments.insert().values(
        org_id=ctx.org_id, id=dept_id, parent_id=parent["id"], name=data.name.strip(), position=position,
        path=path_of(parent["path"], dept_id), created_at=ctx.now()))
    siblings.insert(position, dept_id)
    await _renumber(ctx, siblings)
    await audit.record(ctx, "department.created", "department", dept_id,
                       {"name": data.name.strip(), "parent_id": parent["id"]})
    await emit(ctx, "department.created", str(dept_id), {"id": dept_id, "parent_id": parent["id"]})
    return await get_department(ctx, dept_id)


async def update_department(ctx: Ctx, department_id: uuid.UUID, data: DepartmentUpdate) -> Department:
    """Rename, move under another parent and/or reorder among siblings, in one command."""
    row = await get_department_row(ctx, department_id)
    require(ctx.actor, "department.write", department_paths=[row["path"]])
    changes: dict[str, object] = {}
    parent_id = row["parent_id"]
    if data.parent_id is not UNSET and data.parent_id != row["parent_id"]:
        if row["parent_id"] is None:
            raise ValidationFailed.field("$.parent_id", "The root department cannot be moved.", "root")
        new_parent = await _parent_row(ctx, data.parent_id)
        if new_parent["path"].startswith(row["path"]):
            raise ValidationFailed.field("$.parent_id", "A department cannot move under itself or its own "
                                         "sub-department.", "no-cycle")
        require(ctx.actor, "department.write", department_paths=[new_parent["path"]])
        await _check_sibling_name(ctx, new_parent["id"], row["name"] if data.name is UNSET else data.name.strip(),
                                  department_id)
        new_path = path_of(new_parent["path"], department_id)
        old_path = row["path"]
        # Re-root the whole subtree's paths in one statement.
        await ctx.conn.execute(departments.update().where(
            departments.c.org_id == ctx.org_id, departments.c.path.startswith(old_path)
        ).values(path=sa.literal(new_path) + sa.func.substr(departments.c.path, len(old_path) + 1)))
        old_siblings = await _sibling_ids(ctx, row["parent_id"])
        await _renumber(ctx, [s for s in old_siblings if s != department_id])
        await ctx.conn.execute(departments.update().where(
            departments.c.org_id == ctx.org_id, departments.c.id == department_id
        ).values(parent_id=new_parent["id"], position=10**6))  # goes last unless a position is given
        parent_id = new_parent["id"]
        changes["parent_id"] = {"from": row["parent_id"], "to": parent_id}
    if data.name is not UNSET and data.name.strip() != row["name"]:
        if row["parent_id"] is None:
            raise ValidationFailed.field("$.name", "The root department is the organization: rename the "
                                         "organization instead.", "root")
        if "parent_id" not in changes:
            await _check_sibling_name(ctx, parent_id, data.name.strip(), department_id)
        await ctx.conn.execute(departments.update().where(
            departments.c.org_id == ctx.org_id, departments.c.id == department_id).values(name=data.name.strip()))
        changes["name"] = {"from": row["name"], "to": data.name.strip()}
    if parent_id is not None and (data.position is not UNSET or "parent_id" in changes):
        siblings = [s for s in await _sibling_ids(ctx, parent_id) if s != department_id]
        pos = len(siblings) if data.position is UNSET else min(data.position, len(siblings))
        if data.position is not UNSET and pos != row["position"]:
            changes["position"] = {"from": row["position"], "to": pos}
        siblings.insert(pos, department_id)
        await _renumber(ctx, siblings)
    if changes:
        action = "department.moved" if "parent_id" in changes else "department.updated"
        await audit.record(ctx, action, "department", department_id, changes)
        await emit(ctx, action, str(department_id), {"id": department_id, "changes": changes})
    return await get_department(ctx, department_id)


async def delete_department(ctx: Ctx, department_id: uuid.UUID) -> None:
    row = await get_department_row(ctx, department_id)
    require(ctx.actor, "department.write", department_paths=[row["path"]])
    if row["parent_id"] is None:
        raise Conflict("The root department cannot be deleted.")
    child = (await ctx.conn.execute(sa.select(departments.c.id).where(
        departments.c.org_id == ctx.org_id, departments.c.parent_id == department_id).limit(1))).first()
    if child is not None:
        raise Conflict("Move or delete its sub-departments first.")
    member = (await ctx.conn.execute(sa.select(department_members.c.member_id).where(
        department_members.c.org_id == ctx.org_id, department_members.c.department_id == department_id).limit(1))).first()
    if member is not None:
        raise Conflict("Move its members to another department first.")
    await ctx.conn.execute(admin_departments.delete().where(
        admin_departments.c.org_id == ctx.org_id, admin_departments.c.department_id == department_id))
    # Invitations into it would lead nowhere: revoke the live ones with it.
    await ctx.conn.execute(invitations.update().where(
        invitations.c.org_id == ctx.org_id, invitations.c.department_id == department_id,
        invitations.c.revoked_at.is_(None)).values(revoked_at=ctx.now()))
    await ctx.conn.execute(departments.delete().where(
        departments.c.org_id == ctx.org_id, departments.c.id == department_id))
    await _renumber(ctx, await _sibling_ids(ctx, row["parent_id"]))
    await audit.record(ctx, "department.deleted", "department", department_id, {"name": row["name"]})
    await emit(ctx, "department.deleted", str(department_id), {"id": department_id})


async def set_heads(ctx: Ctx, department_id: uuid.UUID, member_ids: list[uuid.UUID]) -> Department:
    """Make exactly these members the department's heads. A head must belong to the department."""
    row = await get_department_row(ctx, department_id)
    require(ctx.actor, "department.write", department_paths=[row["path"]])
    wanted = list(dict.fromkeys(member_ids))
    in_dept = set((await ctx.conn.execute(sa.select(department_members.c.member_id).where(
        department_members.c.org_id == ctx.org_id, department_members.c.department_id == department_id,
        department_members.c.member_id.in_(wanted)))).scalars().all()) if wanted else set()
    errors = [FieldError(path=f"$.member_ids[{i}]", message="not a member of this department",
                         rule="member-of-department") for i, m in enumerate(member_ids) if m not in in_dept]
    if errors:
        raise ValidationFailed("Heads must be members of the department.", errors=errors)
    base = department_members.update().where(department_members.c.org_id == ctx.org_id,
                                             department_members.c.department_id == department_id)
    await ctx.conn.execute(base.values(is_head=False))
    if wanted:
        await ctx.conn.execute(base.where(department_members.c.member_id.in_(wanted)).values(is_head=True))
    await audit.record(ctx, "department.heads_set", "department", department_id, {"head_ids": wanted})
    await emit(ctx, "department.updated", str(department_id), {"id": department_id, "head_ids": wanted})
    return await get_department(ctx, department_id)


# -- helpers -------------------------------------------------------------------------------

async def _parent_row(ctx: Ctx, parent_id: uuid.UUID) -> sa.RowMapping:
    row = (await ctx.conn.execute(sa.select(departments).where(
        departments.c.org_id == ctx.org_id, departments.c.id == parent_id))).mappings().first()
    if row is None:
        raise ValidationFailed.field("$.parent_id", "No such department in this organization.", "exists")
    return row


async def _check_sibling_name(ctx: Ctx, parent_id: uuid.UUID, name: str, self_id: uuid.UUID | None) -> None:
    key = name_key(name)
    rows = (await ctx.conn.execute(sa.select(departments.c.id, departments.c.name).where(
        departments.c.org_id == ctx.org_id, departments.c.parent_id == parent_id))).all()
    if any(did != self_id and name_key(other) == key for did, other in rows):
        raise ValidationFailed.field("$.name", "Another department under the same parent has this name.", "unique")


async def _sibling_ids(ctx: Ctx, parent_id: uuid.UUID | None) -> list[uuid.UUID]:
    cond = departments.c.parent_id.is_(None) if parent_id is None else departments.c.parent_id == parent_id
    q = (sa.select(departments.c.id).where(departments.c.org_id == ctx.org_id, cond)
         .order_by(departments.c.position, departments.c.id))
    return list((await ctx.conn.execute(q)).scalars().all())


async def _renumber(ctx: Ctx, ordered: list[uuid.UUID]) -> None:
    for pos, dept_id in enumerate(ordered):
        await ctx.conn.execute(departments.update().where(
            departments.c.org_id == ctx.org_id, departments.c.id == dept_id, departments.c.position != pos
        ).values(position=pos))


async def _heads_and_counts(ctx: Ctx, department_id: uuid.UUID | None
                            ) -> tuple[dict[uuid.UUID, list[uuid.UUID]], dict[uuid.UUID, int]]:
    dm = department_members
    where = [dm.c.org_id == ctx.org_id]
    if department_id is not None:
        where.append(dm.c.department_id == department_id)
    heads: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for did, mid in (await ctx.conn.execute(sa.select(dm.c.department_id, dm.c.member_id).where(
            *where, dm.c.is_head.is_(True)).order_by(dm.c.member_id))).all():
        heads[did].append(mid)
    q = (sa.select(dm.c.department_id, sa.func.count())
         .select_from(dm.join(members, sa.and_(members.c.org_id == dm.c.org_id, members.c.id == dm.c.member_id)))
         .where(*where, members.c.status == "active").group_by(dm.c.department_id))
    counts = {did: n for did, n in (await ctx.conn.execute(q)).all()}
    return heads, counts


def _department(r: sa.RowMapping, heads: dict[uuid.UUID, list[uuid.UUID]], counts: dict[uuid.UUID, int]) -> Department:
    return Department(id=r["id"], parent_id=r["parent_id"], name=r["name"], position=r["position"],
                      head_ids=heads.get(r["id"], []), member_count=counts.get(r["id"], 0))
