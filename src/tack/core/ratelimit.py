"""Fixed-window rate limits kept in the database, so every worker process shares the count."""

from __future__ import annotations

import datetime as dt
import math

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tack.core.clock import Clock
from tack.core.db import insert_ignore
from tack.core.errors import RateLimited
from tack.core.tables import rate_limits


async def hit(conn: AsyncConnection, clock: Clock, key: str, *, limit: int, window: dt.timedelta) -> None:
    """Count one attempt under `key`; raise RateLimited when the window's allowance is spent."""
    now = clock.now()
    # Make sure the row exists without racing another worker for its first insert.
    await conn.execute(insert_ignore(conn.dialect.name, rate_limits, ["key"]).values(
        key=key, window_start=now, count=0))
    query = sa.select(rate_limits).where(rate_limits.c.key == key)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()  # concurrent attempts count one after another
    row = (await conn.execute(query)).mappings().one()
    if row["window_start"] + window <= now:
        await conn.execute(rate_limits.update().where(rate_limits.c.key == key).values(window_start=now, count=1))
        return
    if row["count"] >= limit:
        retry = max(1, math.ceil((row["window_start"] + window - now).total_seconds()))
        raise RateLimited(f"Too many attempts; try again in {retry} seconds.", retry_after=retry)
    await conn.execute(rate_limits.update().where(rate_limits.c.key == key).values(count=rate_limits.c.count + 1))


async def reset(conn: AsyncConnection, key: str) -> None:
    await conn.execute(rate_limits.delete().where(rate_limits.c.key == key))
