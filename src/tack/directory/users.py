"""Users: people, global across organizations (one person, many memberships)."""

from __future__ import annotations

import uuid
import zoneinfo
from typing import Any

import sqlalchemy as sa
from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncConnection

from tack.core.clock import Clock
from tack.core.errors import NotFound, ValidationFailed
from tack.core.ids import new_id
from tack.directory.tables import members, orgs, users


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_time_zone(tz: str, path: str) -> None:
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, IsADirectoryError, OSError):
        raise ValidationFailed.field(path, f"{tz!r} is not a known IANA time zone.", "time-zone") from None


async def get_user(conn: AsyncConnection, user_id: uuid.UUID) -> sa.RowMapping:
    row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).mappings().first()
    if row is None:
        raise NotFound("No such user.")
    return row


async def find_user_by_email(conn: AsyncConnection, email: str) -> sa.RowMapping | None:
    return (await conn.execute(sa.select(users).where(users.c.email == normalize_email(email)))).mappings().first()


async def create_user(conn: AsyncConnection, clock: Clock, *, email: str, name: str, phone: str | None = None,
                      password_hash: str | None = None, locale: str = "en", time_zone: str = "UTC") -> sa.RowMapping:
    user_id = new_id()
    await conn.execute(users.insert().values(
        id=user_id, email=normalize_email(email), name=name.strip(), phone=phone, locale=locale,
        time_zone=time_zone, password_hash=password_hash, created_at=clock.now()))
    return await get_user(conn, user_id)


async def get_or_create_user(conn: AsyncConnection, clock: Clock, *, email: str, name: str,
                             phone: str | None = None) -> sa.RowMapping:
    found = await find_user_by_email(conn, email)
    if found is not None:
        return found
    return await create_user(conn, clock, email=email, name=name, phone=phone)


async def update_profile(conn: AsyncConnection, user_id: uuid.UUID, data: Any) -> sa.RowMapping:
    """A person edits their own profile. The display name also follows in their memberships."""
    values: dict[str, Any] = {}
    for field in ("name", "phone", "locale", "time_zone", "avatar_url", "last_org_id"):
        v = getattr(data, field, UNSET)
        if v is not UNSET:
            values[field] = v.strip() if isinstance(v, str) and field == "name" else v
    if "time_zone" in values:
        check_time_zone(values["time_zone"], "$.time_zone")
    if values.get("last_org_id") is not None:
        ok = (await conn.execute(sa.select(members.c.id).where(
            members.c.org_id == values["last_org_id"], members.c.user_id == user_id,
            members.c.status == "active"))).first()
        if ok is None:
            raise ValidationFailed.field("$.last_org_id", "You are not a member of this organization.", "member")
    if values:
        await conn.execute(users.update().where(users.c.id == user_id).values(**values))
        if "name" in values:
            await conn.execute(members.update().where(members.c.user_id == user_id).values(name=values["name"]))
    return await get_user(conn, user_id)


async def memberships(conn: AsyncConnection, user_id: uuid.UUID) -> list[sa.RowMapping]:
    """The organizations a person is an active member of, with their role in each."""
    q = (sa.select(members.c.org_id, orgs.c.name.label("org_name"), members.c.id.label("member_id"),
                   members.c.admin_role)
         .select_from(members.join(orgs, orgs.c.id == members.c.org_id))
         .where(members.c.user_id == user_id, members.c.status == "active")
         .order_by(orgs.c.name, orgs.c.id))
    return list((await conn.execute(q)).mappings().all())
