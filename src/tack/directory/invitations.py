"""Invitations: a link or code that lets a person join the organization (into a department)."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tack.auth.policy import require
from tack.core.clock import Clock
from tack.core.ctx import Actor, Ctx
from tack.core.errors import Conflict, Gone, NotFound
from tack.core.ids import new_id
from tack.directory import audit
from tack.directory.lookups import department_path, get_department_row, root_department
from tack.directory.members import insert_member
from tack.directory.models import Invitation, InvitationCreate, InvitationList, InvitationPreview
from tack.directory.tables import departments, invitation_codes, invitations, members, orgs
from tack.directory.users import get_user

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes get read aloud and typed


def new_code(length: int = 10) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


async def list_invitations(ctx: Ctx) -> InvitationList:
    actor = ctx.actor
    require(actor, "invitation.read", department_paths=actor.admin_paths)
    rows = (await ctx.conn.execute(sa.select(invitations, departments.c.path).select_from(
        invitations.outerjoin(departments, sa.and_(departments.c.org_id == invitations.c.org_id,
                                                   departments.c.id == invitations.c.department_id)))
        .where(invitations.c.org_id == ctx.org_id).order_by(invitations.c.id.desc()).limit(500))).mappings().all()
    if actor.admin_role == "sub_admin" and actor.kind != "system" and not actor.is_service:
        rows = [r for r in rows if r["path"] and any(r["path"].startswith(p) for p in actor.admin_paths)]
    return InvitationList(items=[_invitation(r) for r in rows])


async def create_invitation(ctx: Ctx, data: InvitationCreate) -> Invitation:
    if data.department_id is not None:
        paths = [await department_path(ctx, data.department_id, "$.department_id")]
    else:
        paths = [(await root_department(ctx))["path"]]
    require(ctx.actor, "invitation.write", department_paths=paths)
    inv_id = new_id()
    code = new_code()
    now = ctx.now()
    await ctx.conn.execute(invitation_codes.insert().values(code=code, org_id=ctx.org_id, invitation_id=inv_id))
    await ctx.conn.execute(invitations.insert().values(
        org_id=ctx.org_id, id=inv_id, code=code, department_id=data.department_id, created_by=ctx.actor.member_id,
        created_at=now, expires_at=now + dt.timedelta(days=data.expires_in_days), max_uses=data.max_uses, uses=0))
    await audit.record(ctx, "invitation.created", "invitation", inv_id,
                       {"department_id": data.department_id, "max_uses": data.max_uses})
    return await _get(ctx, inv_id)


async def revoke_invitation(ctx: Ctx, invitation_id: uuid.UUID) -> None:
    row = (await ctx.conn.execute(sa.select(invitations).where(
        invitations.c.org_id == ctx.org_id, invitations.c.id == invitation_id))).mappings().first()
    if row is None:
        raise NotFound("No such invitation.")
    path = (await get_department_row(ctx, row["department_id"]))["path"] if row["department_id"] else \
        (await root_department(ctx))["path"]
    require(ctx.actor, "invitation.write", department_paths=[path])
    if row["revoked_at"] is None:
        await ctx.conn.execute(invitations.update().where(
            invitations.c.org_id == ctx.org_id, invitations.c.id == invitation_id).values(revoked_at=ctx.now()))
        await audit.record(ctx, "invitation.revoked", "invitation", invitation_id, {})


async def preview(conn: AsyncConnection, clock: Clock, code: str) -> InvitationPreview:
    """What an invitation leads to, for the join page (no sign-in needed)."""
    row = await _usable(conn, clock, code)
    org = (await conn.execute(sa.select(orgs.c.name).where(orgs.c.id == row["org_id"]))).scalar_one()
    dept_name = None
    if row["department_id"] is not None:
        dept_name = (await conn.execute(sa.select(departments.c.name).where(
            departments.c.org_id == row["org_id"], departments.c.id == row["department_id"]))).scalar()
    return InvitationPreview(org_id=row["org_id"], org_name=org, department_name=dept_name,
                             expires_at=row["expires_at"])


async def accept(conn: AsyncConnection, clock: Clock, code: str, user_id: uuid.UUID) -> uuid.UUID:
    """The signed-in person joins the organization the invitation is for. Returns the org id."""
    row = await _usable(conn, clock, code)
    user = await get_user(conn, user_id)
    ctx = Ctx(org_id=row["org_id"], actor=Actor(kind="user", name=user["name"], user_id=user_id), conn=conn,
              clock=clock)
    existing = (await conn.execute(sa.select(members.c.id, members.c.status).where(
        members.c.org_id == row["org_id"], members.c.user_id == user_id))).first()
    if existing is not None:
        if existing[1] != "active":
            raise Conflict("Your membership of this organization was deactivated; ask an administrator.")
        return row["org_id"]  # already a member: joining again changes nothing
    # Take the use first, on the condition that one is left: of two people accepting the last use
    # at once, the second waits on the row and then finds none (the read in `_usable` alone
    # cannot see an uncommitted use).
    taken = await conn.execute(invitations.update().where(
        invitations.c.org_id == row["org_id"], invitations.c.id == row["id"], invitations.c.revoked_at.is_(None),
        sa.or_(invitations.c.max_uses.is_(None), invitations.c.uses < invitations.c.max_uses),
    ).values(uses=invitations.c.uses + 1))
    if taken.rowcount != 1:
        raise Gone("This invitation has been used up.")
    dept_id = row["department_id"] or (await root_department(ctx))["id"]
    member_id = await insert_member(ctx, user_id=user_id, name=user["name"], phone=user["phone"],
                                    department_ids=[dept_id], admin_role="member")
    ctx.actor = Actor(kind="user", name=user["name"], user_id=user_id, member_id=member_id)
    await audit.record(ctx, "member.joined", "member", member_id, {"invitation_id": row["id"]})
    return row["org_id"]


async def _usable(conn: AsyncConnection, clock: Clock, code: str) -> sa.RowMapping:
    ref = (await conn.execute(sa.select(invitation_codes).where(
        invitation_codes.c.code == code.strip().upper()))).mappings().first()
    if ref is None:
        raise NotFound("No such invitation.")
    row = (await conn.execute(sa.select(invitations).where(invitations.c.org_id == ref["org_id"],
                                                           invitations.c.id == ref["invitation_id"])
                              )).mappings().first()
    if row is None:
        raise NotFound("No such invitation.")
    if row["revoked_at"] is not None or row["expires_at"] <= clock.now():
        raise Gone("This invitation has expired or was revoked.")
    if row["max_uses"] is not None and row["uses"] >= row["max_uses"]:
        raise Gone("This invitation has been used up.")
    return row


async def _get(ctx: Ctx, inv_id: uuid.UUID) -> Invitation:
    row = (await ctx.conn.execute(sa.select(invitations).where(
        invitations.c.org_id == ctx.org_id, invitations.c.id == inv_id))).mappings().one()
    return _invitation(row)


def _invitation(r: sa.RowMapping) -> Invitation:
    return Invitation(id=r["id"], code=r["code"], department_id=r["department_id"], expires_at=r["expires_at"],
                      max_uses=r["max_uses"], uses=r["uses"], revoked=r["revoked_at"] is not None,
                      created_at=r["created_at"])
