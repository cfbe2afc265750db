"""Web sessions: a random cookie value (only its SHA-256 is stored) and a CSRF token that the
web app sends back in `X-CSRF-Token` on every unsafe request."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tack.auth.tables import sessions
from tack.core.clock import Clock

COOKIE = "tack_session"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def create_session(conn: AsyncConnection, clock: Clock, user_id: uuid.UUID, *, days: int,
                         user_agent: str | None = None) -> tuple[str, str]:
    """Returns (cookie value, csrf token)."""
    value, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = clock.now()
    await conn.execute(sessions.insert().values(id=_hash(value), user_id=user_id, csrf_token=csrf, created_at=now,
                                                expires_at=now + dt.timedelta(days=days),
                                                user_agent=(user_agent or "")[:400] or None))
    return value, csrf


async def find_session(conn: AsyncConnection, clock: Clock, value: str) -> sa.RowMapping | None:
    row = (await conn.execute(sa.select(sessions).where(sessions.c.id == _hash(value)))).mappings().first()
    if row is None or row["expires_at"] <= clock.now():
        return None
    return row


async def end_session(conn: AsyncConnection, value: str) -> None:
    await conn.execute(sessions.delete().where(sessions.c.id == _hash(value)))


async def end_all_sessions(conn: AsyncConnection, user_id: uuid.UUID, *, except_value: str | None = None) -> None:
    q = sessions.delete().where(sessions.c.user_id == user_id)
    if except_value:
        q = q.where(sessions.c.id != _hash(except_value))
    await conn.execute(q)
