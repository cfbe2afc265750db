"""What a query needs to know besides its filter: the clock, the organization's time zone, and
who is asking (their departments, the subtree below them, the people in them), read only
when the filter has a condition that uses them. Record queries and permission scopes share it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tack.core.ctx import Ctx
from tack.core.db import dialect_of
from tack.directory.tables import department_members, departments, orgs
from tack.records.query.kinds import Env

MAX_MY_DEPARTMENT_MEMBERS = 10_000


async def query_env(ctx: Ctx, *, personal: bool, zoned: bool) -> Env:
    tz_name = None
    if zoned:  # one round trip saved on the common query
        tz_name = (await ctx.conn.execute(sa.select(orgs.c.time_zone).where(orgs.c.id == ctx.org_id))).scalar()
    env = Env(dialect=dialect_of(ctx.conn), now=ctx.now(), tz=ZoneInfo(str(tz_name or "UTC")), me=ctx.actor.member_id)
    if personal and ctx.actor.member_id is not None:
        dm, d = department_members, departments
        mine = (await ctx.conn.execute(sa.select(d.c.id, d.c.path).join(dm, sa.and_(
            dm.c.org_id == d.c.org_id, dm.c.department_id == d.c.id)).where(
            dm.c.org_id == ctx.org_id, dm.c.member_id == ctx.actor.member_id))).all()
        env.my_departments = [r.id for r in mine]
        if mine:
            env.my_subtree = list((await ctx.conn.execute(sa.select(d.c.id).where(
                d.c.org_id == ctx.org_id, sa.or_(*(d.c.path.startswith(r.path) for r in mine))))).scalars())
            env.my_department_members = list((await ctx.conn.execute(sa.select(dm.c.member_id).distinct().where(
                dm.c.org_id == ctx.org_id, dm.c.department_id.in_(env.my_departments))
                .limit(MAX_MY_DEPARTMENT_MEMBERS))).scalars())
    return env
