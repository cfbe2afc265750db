"""Members: people in an organization, their profile there, manager, departments and admin role."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from msgspec import UNSET

from tack.auth.policy import require, require_above
from tack.core.ctx import Ctx
from tack.core.errors import Conflict, FieldError, ValidationFailed
from tack.core.events import emit
from tack.core.ids import new_id
from tack.core.pagination import DEFAULT_LIMIT, decode_cursor, encode_cursor
from tack.directory import audit, users
from tack.directory.lookups import (
    department_paths,
    get_department_row,
    get_member_row,
    member_department_paths,
    member_select,
    members_by_ids,
    members_from_rows,
    root_department,
)
from tack.directory.models import AdminSet, Member, MemberCreate, MemberPage, MemberUpdate
from tack.directory.tables import admin_departments, department_members, departments, members, role_members
from tack.directory.tables import users as users_t


async def get_member(ctx: Ctx, member_id: uuid.UUID) -> Member:
    require(ctx.actor, "directory.read")
    row = await get_member_row(ctx, member_id)
    return (await members_from_rows(ctx, [row]))[0]


async def list_members(ctx: Ctx, *, department_id: uuid.UUID | None = None, include_descendants: bool = False,
                       q: str | None = None, status: str = "active", role_id: uuid.UUID | None = None,
                       cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> MemberPage:
    """Members ordered by name, filtered; keyset-paginated on (name, id)."""
    require(ctx.actor, "directory.read")
    query = member_select().where(members.c.org_id == ctx.org_id)
    if status != "all":
        query = query.where(members.c.status == status)
    if department_id is not None:
        dept = await get_department_row(ctx, department_id)
        dm = department_members
        in_dept = sa.select(dm.c.member_id).where(dm.c.org_id == ctx.org_id)
        if include_descendants:
            in_dept = in_dept.join(departments, sa.and_(departments.c.org_id == dm.c.org_id,
                                                        departments.c.id == dm.c.department_id)
                                   ).where(departments.c.path.startswith(dept["path"]))
        else:
            in_dept = in_dept.where(dm.c.department_id == department_id)
        query = query.where(members.c.id.in_(in_dept))
    if role_id is not None:
        query = query.where(members.c.id.in_(sa.select(role_members.c.member_id).where(
            role_members.c.org_id == ctx.org_id, role_members.c.role_id == role_id)))
    if q:
        needle = q.strip().lower()
        query = query.where(sa.or_(
            sa.func.lower(members.c.name).contains(needle, autoescape=True),
            users_t.c.email.contains(needle, autoescape=True),
            sa.func.lower(sa.func.coalesce(members.c.employee_no, "")).contains(needle, autoescape=True),
            sa.func.coalesce(members.c.phone, "").contains(needle, autoescape=True),
            sa.func.lower(sa.func.coalesce(members.c.job_title, "")).contains(needle, autoescape=True),
        ))
    key = decode_cursor(cursor, str, uuid.UUID)
    if key is not None:
        query = query.where(sa.tuple_(members.c.name, members.c.id) > sa.tuple_(sa.literal(key[0]), sa.literal(key[1])))
    rows = (await ctx.conn.execute(query.order_by(members.c.name, members.c.id).limit(limit + 1))).mappings().all()
    items = await members_from_rows(ctx, rows[:limit])
    nxt = encode_cursor([items[-1].name, str(items[-1].id)]) if len(rows) > limit else None
    return MemberPage(items=items, next_cursor=nxt)


async def add_member(ctx: Ctx, data: MemberCreate) -> Member:
    """Add a person to the organization. An unknown email becomes a new user without a password;
    they set one through the password-reset link (or they were invited)."""
    dept_ids = list(dict.fromkeys(data.department_ids))
    paths = await department_paths(ctx, dept_ids, "$.department_ids")
    if not dept_ids:
        root = await root_department(ctx)
        dept_ids, paths = [root["id"]], {root["id"]: root["path"]}
    require(ctx.actor, "member.write", department_paths=paths.values())
    if data.manager_id is not None:
        await _check_manager(ctx, None, data.manager_id)
    user = await users.get_or_create_user(ctx.conn, ctx.clock, email=data.email, name=data.name, phone=data.phone)
    exists = (await ctx.conn.execute(sa.select(members.c.id).where(
        members.c.org_id == ctx.org_id, members.c.user_id == user["id"]))).first()
    if exists is not None:
        raise ValidationFailed.field("$.email", "This person is already a member of the organization.", "unique")
    if data.employee_no is not None:
        await _check_employee_no(ctx, data.employee_no, None)
    member_id = await insert_member(ctx, user_id=user["id"], name=data.name.strip(), phone=data.phone,
                                    job_title=data.job_title, employee_no=data.employee_no,
                                    manager_id=data.manager_id, department_ids=dept_ids, admin_role="member")
    await audit.record(ctx, "member.added", "member", member_id, {"email": user["email"], "name": data.name})
    return await get_member(ctx, member_id)


async def insert_member(ctx: Ctx, *, user_id: uuid.UUID, name: str, department_ids: list[uuid.UUID],
                        admin_role: str, phone: str | None = None, job_title: str | None = None,
                        employee_no: str | None = None, manager_id: uuid.UUID | None = None) -> uuid.UUID:
    """Write a new member row with its departments and emit `member.added` (no permission check:
    callers are commands that checked already, e.g. accepting an invitation)."""
    member_id = new_id()
    await ctx.conn.execute(members.insert().values(
        org_id=ctx.org_id, id=member_id, user_id=user_id, name=name, phone=phone, job_title=job_title,
        employee_no=employee_no, manager_id=manager_id, status="active", admin_role=admin_role,
        joined_at=ctx.now()))
    for d in department_ids:
        await ctx.conn.execute(department_members.insert().values(
            org_id=ctx.org_id, department_id=d, member_id=member_id, is_head=False))
    await emit(ctx, "member.added", str(member_id), {"id": member_id, "user_id": user_id,
                                                      "department_ids": department_ids})
    return member_id


async def update_member(ctx: Ctx, member_id: uuid.UUID, data: MemberUpdate) -> Member:
    row = await get_member_row(ctx, member_id)
    old_paths = await member_department_paths(ctx, member_id)
    require(ctx.actor, "member.write", department_paths=old_paths)
    require_above(ctx.actor, row["admin_role"])
    values: dict[str, object] = {}
    changes: dict[str, object] = {}
    for field in ("name", "phone", "job_title", "employee_no"):
        v = getattr(data, field)
        if v is not UNSET:
            v = v.strip() if isinstance(v, str) else v
            if v != row[field]:
                values[field] = v
                changes[field] = {"from": row[field], "to": v}
    if "employee_no" in values and values["employee_no"] is not None:
        await _check_employee_no(ctx, str(values["employee_no"]), member_id)
    if data.manager_id is not UNSET and data.manager_id != row["manager_id"]:
        if data.manager_id is not None:
            await _check_manager(ctx, member_id, data.manager_id)
        values["manager_id"] = data.manager_id
        changes["manager_id"] = {"from": row["manager_id"], "to": data.manager_id}
    if values:
        await ctx.conn.execute(members.update().where(members.c.org_id == ctx.org_id, members.c.id == member_id)
                               .values(**values))
    if data.department_ids is not UNSET:
        new_ids = list(dict.fromkeys(data.department_ids))
        paths = await department_paths(ctx, new_ids, "$.department_ids")
        if not new_ids:
            root = await root_department(ctx)
            new_ids, paths = [root["id"]], {root["id"]: root["path"]}
        require(ctx.actor, "member.write", department_paths=paths.values())
        if await _set_departments(ctx, member_id, new_ids):
            changes["department_ids"] = new_ids
    if changes:
        await audit.record(ctx, "member.updated", "member", member_id, changes)
        await emit(ctx, "member.updated", str(member_id), {"id": member_id, "changes": changes})
    return await get_member(ctx, member_id)


async def deactivate_member(ctx: Ctx, member_id: uuid.UUID) -> Member:
    """Deactivate: the person can no longer sign in to this organization or act in it, while
    everything they did (records, approvals, audit) keeps pointing at them."""
    row = await get_member_row(ctx, member_id)
    require(ctx.actor, "member.write", department_paths=await member_department_paths(ctx, member_id))
    require_above(ctx.actor, row["admin_role"])
    if row["admin_role"] == "owner":
        raise Conflict("The owner cannot be deactivated; transfer ownership first.")
    if row["status"] != "inactive":
        await ctx.conn.execute(members.update().where(members.c.org_id == ctx.org_id, members.c.id == member_id)
                               .values(status="inactive", deactivated_at=ctx.now()))
        from tack.auth.tokens import revoke_member_tokens

        await revoke_member_tokens(ctx, member_id)
        await audit.record(ctx, "member.deactivated", "member", member_id, {"name": row["name"]})
        await emit(ctx, "member.deactivated", str(member_id), {"id": member_id})
    return await get_member(ctx, member_id)


async def reactivate_member(ctx: Ctx, member_id: uuid.UUID) -> Member:
    row = await get_member_row(ctx, member_id)
    require(ctx.actor, "member.write", department_paths=await member_department_paths(ctx, member_id))
    require_above(ctx.actor, row["admin_role"])
    if row["status"] != "active":
        await ctx.conn.execute(members.update().where(members.c.org_id == ctx.org_id, members.c.id == member_id)
                               .values(status="active", deactivated_at=None))
        await audit.record(ctx, "member.reactivated", "member", member_id, {"name": row["name"]})
        await emit(ctx, "member.reactivated", str(member_id), {"id": member_id})
    return await get_member(ctx, member_id)


async def set_admin_role(ctx: Ctx, member_id: uuid.UUID, data: AdminSet) -> Member:
    """Owners name admins (the whole organization) and sub-admins (chosen departments only)."""
    require(ctx.actor, "member.set_admin")
    row = await get_member_row(ctx, member_id)
    if row["admin_role"] == "owner":
        raise Conflict("The owner's role cannot be changed here.")
    if row["status"] != "active":
        raise Conflict("Reactivate the member first.")
    dept_ids = list(dict.fromkeys(data.department_ids))
    if data.admin_role == "sub_admin" and not dept_ids:
        raise ValidationFailed.field("$.department_ids", "A sub-admin needs at least one department.", "required")
    await department_paths(ctx, dept_ids, "$.department_ids")
    await ctx.conn.execute(members.update().where(members.c.org_id == ctx.org_id, members.c.id == member_id)
                           .values(admin_role=data.admin_role))
    await ctx.conn.execute(admin_departments.delete().where(
        admin_departments.c.org_id == ctx.org_id, admin_departments.c.member_id == member_id))
    if data.admin_role == "sub_admin":
        for d in dept_ids:
            await ctx.conn.execute(admin_departments.insert().values(org_id=ctx.org_id, member_id=member_id,
                                                                     department_id=d))
    await audit.record(ctx, "member.admin_set", "member", member_id,
                       {"from": row["admin_role"], "to": data.admin_role, "department_ids": dept_ids})
    await emit(ctx, "member.updated", str(member_id), {"id": member_id, "admin_role": data.admin_role})
    return await get_member(ctx, member_id)


# -- helpers -------------------------------------------------------------------------------

async def _set_departments(ctx: Ctx, member_id: uuid.UUID, new_ids: list[uuid.UUID]) -> bool:
    dm = department_members
    current = set((await ctx.conn.execute(sa.select(dm.c.department_id).where(
        dm.c.org_id == ctx.org_id, dm.c.member_id == member_id))).scalars().all())
    gone = current - set(new_ids)
    if gone:
        await ctx.conn.execute(dm.delete().where(dm.c.org_id == ctx.org_id, dm.c.member_id == member_id,
                                                 dm.c.department_id.in_(gone)))
    for d in new_ids:
        if d not in current:
            await ctx.conn.execute(dm.insert().values(org_id=ctx.org_id, department_id=d, member_id=member_id,
                                                      is_head=False))
    return bool(gone) or any(d not in current for d in new_ids)


async def _check_manager(ctx: Ctx, member_id: uuid.UUID | None, manager_id: uuid.UUID) -> None:
    found = await members_by_ids(ctx, [manager_id])
    if not found:
        raise ValidationFailed.field("$.manager_id", "No such member in this organization.", "exists")
    if found[0].status != "active":
        raise ValidationFailed.field("$.manager_id", "The manager is deactivated.", "active")
    if member_id is None:
        return
    if manager_id == member_id:
        raise ValidationFailed.field("$.manager_id", "A member cannot be their own manager.", "no-cycle")
    from tack.directory.queries import manager_chain_ids

    if member_id in await manager_chain_ids(ctx, manager_id):
        raise ValidationFailed.field("$.manager_id", "This would make a loop of managers.", "no-cycle")


async def _check_employee_no(ctx: Ctx, employee_no: str, self_id: uuid.UUID | None) -> None:
    q = sa.select(members.c.id).where(members.c.org_id == ctx.org_id, members.c.employee_no == employee_no)
    if self_id is not None:
        q = q.where(members.c.id != self_id)
    if (await ctx.conn.execute(q.limit(1))).first() is not None:
        raise ValidationFailed(errors=[FieldError(path="$.employee_no", message="Another member has this "
                                                  "employee number.", rule="unique")])
