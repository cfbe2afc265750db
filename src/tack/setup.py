"""Operator tasks behind the CLI: first organization, dead letters, work done as the system."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa

from tack.auth.accounts import check_password_rules
from tack.auth.passwords import hash_password
from tack.config import Settings
from tack.core.clock import SYSTEM_CLOCK
from tack.core.ctx import Actor, Ctx
from tack.core.db import Database
from tack.core.errors import Conflict, NotFound
from tack.core.jobs import retry_dead
from tack.core.tables import jobs
from tack.directory import orgs, users
from tack.directory.models import OrgCreate
from tack.directory.tables import orgs as orgs_t

T = TypeVar("T")


async def as_system(settings: Settings, org_id: uuid.UUID, work: Callable[[Ctx], Awaitable[T]], *,
                    write: bool = True) -> T:
    """Run `work` in one transaction as the system actor of an organization (the operator's CLI)."""
    db = Database(settings.database_url)
    try:
        async with db.transaction(write=write) as conn:
            if (await conn.execute(sa.select(orgs_t.c.id).where(orgs_t.c.id == org_id))).first() is None:
                raise NotFound(f"No organization {org_id}.")
            return await work(Ctx(org_id=org_id, actor=Actor.system("cli"), conn=conn, clock=SYSTEM_CLOCK))
    finally:
        await db.dispose()


async def create_first_org(settings: Settings, *, org_name: str, email: str, name: str, password: str,
                           locale: str = "en", time_zone: str = "UTC") -> uuid.UUID:
    check_password_rules(password, "--password")
    db = Database(settings.database_url)
    try:
        async with db.transaction() as conn:
            user = await users.find_user_by_email(conn, email)
            if user is None:
                user = await users.create_user(conn, SYSTEM_CLOCK, email=email, name=name,
                                               password_hash=await hash_password(password), locale=locale,
                                               time_zone=time_zone)
            elif user["password_hash"] is not None:
                raise Conflict(f"{email} already has an account; sign in and create the organization there.")
            data = msgspec.convert({"name": org_name, "locale": locale, "time_zone": time_zone}, OrgCreate)
            ctx = await orgs.create_org(conn, SYSTEM_CLOCK, user["id"], data)
            return ctx.org_id
    finally:
        await db.dispose()


async def dead_jobs(settings: Settings) -> list[dict[str, Any]]:
    db = Database(settings.database_url)
    try:
        async with db.transaction(write=False) as conn:
            rows = (await conn.execute(sa.select(jobs).where(jobs.c.state == "dead").order_by(jobs.c.due_at))).mappings()
            return [dict(r) for r in rows]
    finally:
        await db.dispose()


async def retry_jobs(settings: Settings, job_id: str | None) -> int:
    db = Database(settings.database_url)
    try:
        return await retry_dead(db, SYSTEM_CLOCK, uuid.UUID(job_id) if job_id else None)
    finally:
        await db.dispose()
