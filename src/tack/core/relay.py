"""The outbox relay: publishes committed events to the bus, then marks them published.

Every process runs one. On PostgreSQL, relays of several workers share the work with
`FOR UPDATE SKIP LOCKED`; a crash between publishing and marking republishes (at least once),
and consumers de-duplicate by event id.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import sqlalchemy as sa

from tack.core.bus import Bus
from tack.core.clock import Clock
from tack.core.db import Database
from tack.core.events import Event
from tack.core.tables import outbox, processed_events

log = logging.getLogger(__name__)

BATCH = 500
KEEP = dt.timedelta(days=7)  # how long published events and consumer receipts are kept


async def relay_once(db: Database, bus: Bus, clock: Clock) -> int:
    """Publish one batch of unpublished events; returns how many."""
    query = sa.select(outbox).where(outbox.c.published_at.is_(None)).order_by(outbox.c.id).limit(BATCH)
    if db.is_postgres:
        query = query.with_for_update(skip_locked=True)
    async with db.transaction() as conn:
        rows = (await conn.execute(query)).mappings().all()
        if not rows:
            return 0
        for r in rows:
            await bus.publish(Event(id=r["id"], org_id=r["org_id"], type=r["type"], subject=r["subject"],
                                    time=r["at"], data=r["data"]))
        now = clock.now()
        for org_id in {r["org_id"] for r in rows}:
            ids = [r["id"] for r in rows if r["org_id"] == org_id]
            await conn.execute(outbox.update().where(outbox.c.org_id == org_id, outbox.c.id.in_(ids))
                               .values(published_at=now))
    return len(rows)


async def purge(db: Database, clock: Clock, keep: dt.timedelta = KEEP) -> int:
    """Forget published events and the consumers' receipts older than `keep`. A redelivery older
    than that (beyond the buses' own retention) would no longer be recognised as a duplicate."""
    cutoff = clock.now() - keep
    async with db.transaction() as conn:
        n = (await conn.execute(outbox.delete().where(outbox.c.published_at < cutoff))).rowcount
        await conn.execute(processed_events.delete().where(processed_events.c.processed_at < cutoff))
    return int(n or 0)


async def relay_forever(db: Database, bus: Bus, clock: Clock, wake: asyncio.Event, idle: float = 0.5) -> None:
    loop = asyncio.get_running_loop()
    next_purge = loop.time() + 300
    while True:
        if loop.time() > next_purge:
            next_purge = loop.time() + 3600
            try:
                await purge(db, clock)
            except Exception:
                log.exception("outbox purge failed")
        try:
            n = await relay_once(db, bus, clock)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("outbox relay failed; retrying")
            n = 0
            await asyncio.sleep(1)
        if n == 0:
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), timeout=idle)
            except TimeoutError:
                pass
