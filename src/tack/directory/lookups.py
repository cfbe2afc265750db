"""Reads shared by the directory's services: rows by id (scoped to the org) and Member shapes."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from tack.core.ctx import Ctx
from tack.core.errors import FieldError, NotFound, ValidationFailed
from tack.directory.models import Member
from tack.directory.tables import admin_departments, department_members, departments, members, users

MEMBER_COLUMNS = (
    members.c.id, members.c.user_id, members.c.name, users.c.email, members.c.phone, users.c.avatar_url,
    members.c.job_title, members.c.employee_no, members.c.manager_id, members.c.status,
    members.c.admin_role, members.c.joined_at,
)


def member_select() -> sa.Select[Any]:
    return sa.select(*MEMBER_COLUMNS).select_from(members.join(users, users.c.id == members.c.user_id))


async def members_from_rows(ctx: Ctx, rows: Sequence[sa.RowMapping]) -> list[Member]:
    """Turn member rows into Members, fetching their departments in two batched queries."""
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    depts: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    admin: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    q = (sa.select(department_members.c.member_id, department_members.c.department_id)
         .where(department_members.c.org_id == ctx.org_id, department_members.c.member_id.in_(ids))
         .order_by(department_members.c.department_id))
    for mid, did in (await ctx.conn.execute(q)).all():
        depts[mid].append(did)
    if any(r["admin_role"] == "sub_admin" for r in rows):
        q = (sa.select(admin_departments.c.member_id, admin_departments.c.department_id)
             .where(admin_departments.c.org_id == ctx.org_id, admin_departments.c.member_id.in_(ids)))
        for mid, did in (await ctx.conn.execute(q)).all():
            admin[mid].append(did)
    return [Member(id=r["id"], user_id=r["user_id"], name=r["name"], email=r["email"], phone=r["phone"],
                   avatar_url=r["avatar_url"], job_title=r["job_title"], employee_no=r["employee_no"],
                   manager_id=r["manager_id"], department_ids=depts[r["id"]], status=r["status"],
                   admin_role=r["admin_role"], admin_department_ids=admin[r["id"]], joined_at=r["joined_at"])
            for r in rows]


async def members_by_ids(ctx: Ctx, ids: Iterable[uuid.UUID], *, keep_order: bool = True) -> list[Member]:
    ids = list(ids)
    if not ids:
        return []
    rows = (await ctx.conn.execute(member_select().where(members.c.org_id == ctx.org_id,
                                                         members.c.id.in_(ids)))).mappings().all()
    found = {m.id: m for m in await members_from_rows(ctx, rows)}
    return [found[i] for i in ids if i in found] if keep_order else list(found.values())


async def get_member_row(ctx: Ctx, member_id: uuid.UUID) -> sa.RowMapping:
    row = (await ctx.conn.execute(member_select().where(members.c.org_id == ctx.org_id,
                                                        members.c.id == member_id))).mappings().first()
    if row is None:
        raise NotFound("No such member in this organization.")
    return row


async def get_department_row(ctx: Ctx, department_id: uuid.UUID) -> sa.RowMapping:
    row = (await ctx.conn.execute(sa.select(departments).where(
        departments.c.org_id == ctx.org_id, departments.c.id == department_id))).mappings().first()
    if row is None:
        raise NotFound("No such department in this organization.")
    return row


async def department_paths(ctx: Ctx, ids: Sequence[uuid.UUID], field: str) -> dict[uuid.UUID, str]:
    """Paths of the given departments; any unknown id is a 422 naming `field[i]`."""
    if not ids:
        return {}
    rows = (await ctx.conn.execute(sa.select(departments.c.id, departments.c.path).where(
        departments.c.org_id == ctx.org_id, departments.c.id.in_(list(ids))))).all()
    found = {r[0]: r[1] for r in rows}
    errors = [FieldError(path=f"{field}[{i}]", message="no such department", rule="exists")
              for i, d in enumerate(ids) if d not in found]
    if errors:
        raise ValidationFailed("Some departments do not exist.", errors=errors)
    return found


async def department_path(ctx: Ctx, department_id: uuid.UUID, field: str) -> str:
    """The path of the department a single-valued `field` names; an unknown id is a 422 naming it."""
    path = (await ctx.conn.execute(sa.select(departments.c.path).where(
        departments.c.org_id == ctx.org_id, departments.c.id == department_id))).scalar()
    if path is None:
        raise ValidationFailed.field(field, "No such department in this organization.", "exists")
    return str(path)


async def member_department_paths(ctx: Ctx, member_id: uuid.UUID) -> list[str]:
    q = (sa.select(departments.c.path)
         .select_from(department_members.join(departments, sa.and_(
             departments.c.org_id == department_members.c.org_id,
             departments.c.id == department_members.c.department_id)))
         .where(department_members.c.org_id == ctx.org_id, department_members.c.member_id == member_id))
    return list((await ctx.conn.execute(q)).scalars().all())


async def root_department(ctx: Ctx) -> sa.RowMapping:
    row = (await ctx.conn.execute(sa.select(departments).where(
        departments.c.org_id == ctx.org_id, departments.c.parent_id.is_(None)))).mappings().first()
    if row is None:
        raise NotFound("This organization has no root department.")
    return row


def path_of(parent_path: str, department_id: uuid.UUID) -> str:
    return f"{parent_path}{department_id.hex}/"


def name_key(name: str) -> str:
    """What two names are compared by when they must differ ("Sales" = "sales" = "SALES", and
    "Émile" = "émile"). Compared in Python: SQLite's lower() folds ASCII only, PostgreSQL's
    depends on the database's locale, and the database's unique constraint is case-sensitive."""
    return unicodedata.normalize("NFC", name.strip()).casefold()
