"""Organizations: create one (its creator becomes the owner), read and change its settings."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncConnection

from tack.auth.policy import require
from tack.core.clock import Clock
from tack.core.ctx import Actor, Ctx
from tack.core.errors import NotFound
from tack.core.events import emit
from tack.core.ids import new_id
from tack.directory import audit
from tack.directory.lookups import path_of
from tack.directory.members import insert_member
from tack.directory.models import Org, OrgCreate, OrgUpdate
from tack.directory.tables import departments, orgs
from tack.directory.users import check_time_zone, get_user


async def create_org(conn: AsyncConnection, clock: Clock, user_id: uuid.UUID, data: OrgCreate) -> Ctx:
    """Create an organization with its root department and the user as its owner.

    Returns the owner's Ctx in the new organization, for the caller to go on with."""
    check_time_zone(data.time_zone, "$.time_zone")
    user = await get_user(conn, user_id)
    org_id, root_id = new_id(), new_id()
    now = clock.now()
    await conn.execute(orgs.insert().values(id=org_id, name=data.name.strip(), locale=data.locale,
                                            time_zone=data.time_zone, root_department_id=root_id, created_at=now))
    await conn.execute(departments.insert().values(org_id=org_id, id=root_id, parent_id=None, name=data.name.strip(),
                                                   position=0, path=path_of("/", root_id), created_at=now))
    ctx = Ctx(org_id=org_id, actor=Actor(kind="user", name=user["name"], user_id=user_id, admin_role="owner"),
              conn=conn, clock=clock)
    member_id = await insert_member(ctx, user_id=user_id, name=user["name"], phone=user["phone"],
                                    department_ids=[root_id], admin_role="owner")
    ctx.actor = Actor(kind="user", name=user["name"], user_id=user_id, member_id=member_id, admin_role="owner")
    await audit.record(ctx, "org.created", "org", org_id, {"name": data.name.strip()})
    await emit(ctx, "org.created", str(org_id), {"id": org_id, "owner_member_id": member_id})
    return ctx


async def get_org(ctx: Ctx) -> Org:
    require(ctx.actor, "org.read")
    row = (await ctx.conn.execute(sa.select(orgs).where(orgs.c.id == ctx.org_id))).mappings().first()
    if row is None:
        raise NotFound("No such organization.")
    return Org(id=row["id"], name=row["name"], logo_url=row["logo_url"], locale=row["locale"],
               time_zone=row["time_zone"], root_department_id=row["root_department_id"], created_at=row["created_at"])


async def update_org(ctx: Ctx, data: OrgUpdate) -> Org:
    require(ctx.actor, "org.update")
    before = await get_org(ctx)
    values: dict[str, object] = {}
    for field in ("name", "logo_url", "locale", "time_zone"):
        v = getattr(data, field)
        if v is not UNSET and v != getattr(before, field):
            values[field] = v.strip() if field == "name" and isinstance(v, str) else v
    if "time_zone" in values:
        check_time_zone(str(values["time_zone"]), "$.time_zone")
    if values:
        await ctx.conn.execute(orgs.update().where(orgs.c.id == ctx.org_id).values(**values))
        if "name" in values:  # the root department is the organization itself
            await ctx.conn.execute(departments.update().where(
                departments.c.org_id == ctx.org_id, departments.c.id == before.root_department_id
            ).values(name=values["name"]))
        changes = {k: {"from": getattr(before, k), "to": v} for k, v in values.items()}
        await audit.record(ctx, "org.updated", "org", ctx.org_id, changes)
        await emit(ctx, "org.updated", str(ctx.org_id), {"id": ctx.org_id, "changes": changes})
    return await get_org(ctx)
