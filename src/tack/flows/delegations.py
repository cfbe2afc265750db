"""Out-of-office delegation: someone else takes my approval tasks for a while.

A task meant for a member who has an active delegation when it is assigned goes to the
delegate, marked "on behalf of" the member (tack.flows.engine.delegates); the audit trail
names both. One hop only: a delegate's own delegation is not followed, so tasks cannot loop.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from tack.auth.policy import level, require
from tack.core.ctx import Ctx
from tack.core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from tack.core.ids import new_id
from tack.directory.tables import members
from tack.flows.assignees import active_only
from tack.flows.models import Delegation, DelegationCreate, DelegationList, Person
from tack.flows.tables import flow_delegations as d
from tack.flows.tables import flows


def _is_admin(ctx: Ctx) -> bool:
    return ctx.actor.kind == "system" or level(ctx.actor) in ("owner", "admin", "service")


async def list_delegations(ctx: Ctx, member_id: uuid.UUID | None = None) -> DelegationList:
    require(ctx.actor, "record.read")
    who = member_id or ctx.actor.member_id
    if who is None:
        raise ValidationFailed.field("member_id", "Say whose delegations to list.", "required")
    if who != ctx.actor.member_id and not _is_admin(ctx):
        raise Forbidden("Only administrators see other people's delegations.")
    rows = (await ctx.conn.execute(sa.select(d).where(d.c.org_id == ctx.org_id, sa.or_(
        d.c.member_id == who, d.c.delegate_id == who)).order_by(d.c.starts_at.desc()))).mappings().all()
    names = await _names(ctx, {r["member_id"] for r in rows} | {r["delegate_id"] for r in rows})
    return DelegationList(items=[_out(r, names) for r in rows])


async def create_delegation(ctx: Ctx, body: DelegationCreate) -> Delegation:
    require(ctx.actor, "record.write")
    member = body.member_id or ctx.actor.member_id
    if member is None:
        raise ValidationFailed.field("$.member_id", "Say whose tasks are delegated.", "required")
    if member != ctx.actor.member_id and not _is_admin(ctx):
        raise Forbidden("Only administrators set a delegation for someone else.")
    if body.member_id is not None and body.member_id != ctx.actor.member_id \
            and not await active_only(ctx, [body.member_id]):
        raise ValidationFailed.field("$.member_id", "Choose an active member of the organization.", "exists")
    if body.delegate_id == member:
        raise ValidationFailed.field("$.delegate_id", "Choose someone else to stand in.", "self")
    if not await active_only(ctx, [body.delegate_id]):
        raise ValidationFailed.field("$.delegate_id", "Choose an active member of the organization.", "exists")
    # A time without an offset is ambiguous (and cannot be stored or compared): ask for one.
    naive = [FieldError(path=f"$.{k}", message="Give the time with a UTC offset (say 2026-01-09T09:00:00+08:00).",
                        rule="time-zone") for k in ("starts_at", "ends_at") if getattr(body, k).utcoffset() is None]
    if naive:
        raise ValidationFailed("Give the times with a UTC offset.", errors=naive)
    if body.ends_at <= body.starts_at:
        raise ValidationFailed.field("$.ends_at", "The end must come after the start.", "after_start")
    if body.flow_ids:
        known = set((await ctx.conn.execute(sa.select(flows.c.id).where(
            flows.c.org_id == ctx.org_id, flows.c.id.in_(body.flow_ids)))).scalars().all())
        unknown = [FieldError(path=f"$.flow_ids[{i}]", message="No such flow in this organization.", rule="exists")
                   for i, f in enumerate(body.flow_ids) if f not in known]
        if unknown:
            raise ValidationFailed("Some flows do not exist.", errors=unknown)
    row = {"org_id": ctx.org_id, "id": new_id(), "member_id": member, "delegate_id": body.delegate_id,
           "starts_at": body.starts_at, "ends_at": body.ends_at,
           "flow_ids": [str(f) for f in body.flow_ids] if body.flow_ids else None, "created_at": ctx.now(),
           "revoked_at": None}
    await ctx.conn.execute(d.insert().values(**row))
    return _out(row, await _names(ctx, {member, body.delegate_id}))


async def end_delegation(ctx: Ctx, delegation_id: uuid.UUID) -> None:
    require(ctx.actor, "record.write")
    row = (await ctx.conn.execute(sa.select(d).where(d.c.org_id == ctx.org_id, d.c.id == delegation_id))
           ).mappings().first()
    if row is None or (row["member_id"] != ctx.actor.member_id and not _is_admin(ctx)):
        raise NotFound("No such delegation.")
    # Ending it twice keeps the first end: the audit of when it stopped stays true.
    await ctx.conn.execute(d.update().where(d.c.org_id == ctx.org_id, d.c.id == delegation_id,
                                            d.c.revoked_at.is_(None)).values(revoked_at=ctx.now()))


def _out(r: dict | sa.RowMapping, names: dict[uuid.UUID, str]) -> Delegation:  # type: ignore[type-arg]
    return Delegation(id=r["id"], member=Person(id=r["member_id"], name=names.get(r["member_id"], "")),
                      delegate=Person(id=r["delegate_id"], name=names.get(r["delegate_id"], "")),
                      starts_at=r["starts_at"], ends_at=r["ends_at"],
                      flow_ids=[uuid.UUID(str(f)) for f in r["flow_ids"]] if r["flow_ids"] else None,
                      revoked_at=r["revoked_at"])


async def _names(ctx: Ctx, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = (await ctx.conn.execute(sa.select(members.c.id, members.c.name).where(
        members.c.org_id == ctx.org_id, members.c.id.in_(ids)))).all()
    return {r[0]: r[1] for r in rows}
