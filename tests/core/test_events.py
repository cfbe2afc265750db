"""Outbox, relay and consumers: events commit with their change, reach consumers at least once,
and a consumer's effect happens once however often an event is delivered or replayed."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tack.core.bus import MemoryBus
from tack.core.clock import FrozenClock
from tack.core.consumers import Consumer, process_once
from tack.core.ctx import Actor, Ctx
from tack.core.db import Database
from tack.core.events import Event, emit
from tack.core.relay import relay_once
from tack.core.tables import outbox, processed_events

ORG = uuid.UUID(int=7)


@pytest.fixture
async def db(db_url: str) -> Any:
    database = Database(db_url)
    yield database
    await database.dispose()


async def emit_one(db: Database, clock: FrozenClock, n: int, fail: bool = False) -> None:
    async with db.transaction() as conn:
        await emit(Ctx(org_id=ORG, actor=Actor.system(), conn=conn, clock=clock), "test.happened", str(n), {"n": n})
        if fail:
            raise RuntimeError("rolled back")


async def test_events_commit_with_the_change_or_not_at_all(db: Database) -> None:
    clock = FrozenClock()
    await emit_one(db, clock, 1)
    with pytest.raises(RuntimeError):
        await emit_one(db, clock, 2, fail=True)
    async with db.transaction(write=False) as conn:
        rows = (await conn.execute(sa.select(outbox.c.data))).scalars().all()
    assert rows == [{"n": 1}]


async def test_relay_publishes_in_order_once_and_consumers_apply_once(db: Database) -> None:
    clock = FrozenClock()
    bus = MemoryBus()
    seen: list[int] = []
    effects: list[int] = []

    async def handle(ctx: Ctx, ev: Event) -> None:
        effects.append(ev.data["n"])

    consumer = Consumer(name="test-effects", handle=handle, types=("test.*",))

    async def deliver(ev: Event) -> None:
        seen.append(ev.data["n"])
        await process_once(db, clock, consumer, ev)

    await bus.consume("test-effects", deliver)
    for n in range(5):
        await emit_one(db, clock, n)
    assert await relay_once(db, bus, clock) == 5
    assert await relay_once(db, bus, clock) == 0, "published events are not published again"
    for _ in range(50):
        if len(seen) == 5 and len(effects) == 5:  # the last delivery may still be applying its effect
            break
        await asyncio.sleep(0.01)
    assert seen == [0, 1, 2, 3, 4]
    assert effects == [0, 1, 2, 3, 4]

    # A replay (say the relay crashed after publishing, before marking) delivers everything again:
    async with db.transaction() as conn:
        await conn.execute(outbox.update().values(published_at=None))
    assert await relay_once(db, bus, clock) == 5
    for _ in range(50):
        if len(seen) == 10:
            break
        await asyncio.sleep(0.01)
    assert len(seen) == 10, "at least once: delivered again"
    assert effects == [0, 1, 2, 3, 4], "but applied once"
    async with db.transaction(write=False) as conn:
        n = (await conn.execute(sa.select(sa.func.count()).select_from(processed_events))).scalar()
    assert n == 5
    await bus.close()


async def test_a_failing_consumer_leaves_no_trace_and_is_retried(db: Database) -> None:
    clock = FrozenClock()
    attempts: list[int] = []

    async def handle(ctx: Ctx, ev: Event) -> None:
        attempts.append(1)
        await ctx.conn.execute(outbox.insert().values(org_id=ORG, id=uuid.uuid4(), type="test.side_effect",
                                                      subject=None, data={}, at=clock.now()))
        if len(attempts) == 1:
            raise RuntimeError("first try fails")

    c = Consumer(name="test-flaky", handle=handle)
    ev = Event(id=uuid.uuid4(), org_id=ORG, type="test.x", subject=None, time=clock.now(), data={})
    with pytest.raises(RuntimeError):
        await process_once(db, clock, c, ev)
    assert await process_once(db, clock, c, ev) is True
    assert await process_once(db, clock, c, ev) is False
    async with db.transaction(write=False) as conn:
        n = (await conn.execute(sa.select(sa.func.count()).select_from(outbox).where(
            outbox.c.type == "test.side_effect"))).scalar()
    assert n == 1, "the failed attempt's writes were rolled back with it"


def test_consumer_type_patterns() -> None:
    async def noop(ctx: Ctx, ev: Event) -> None: ...

    c = Consumer(name="x", handle=noop, types=("member.*", "org.created"))
    assert c.wants("member.added") and c.wants("org.created")
    assert not c.wants("department.created") and not c.wants("org.updated")
    assert Consumer(name="all", handle=noop).wants("anything")


async def test_old_published_events_and_receipts_are_purged(db: Database) -> None:
    import datetime as dt

    from tack.core.relay import purge

    clock = FrozenClock()
    bus = MemoryBus()
    await emit_one(db, clock, 1)
    await relay_once(db, bus, clock)
    await emit_one(db, clock, 2)  # not yet published: never purged
    clock.advance(days=8)
    assert await purge(db, clock, dt.timedelta(days=7)) == 1
    async with db.transaction(write=False) as conn:
        rows = (await conn.execute(sa.select(outbox.c.data))).scalars().all()
    assert rows == [{"n": 2}]
