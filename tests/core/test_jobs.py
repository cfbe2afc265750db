"""Durable jobs and timers: due times, retries with backoff, dead letters, dedupe, leases."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tack.core.clock import FrozenClock
from tack.core.ctx import Actor, Ctx
from tack.core.db import Database
from tack.core.jobs import JobRunner, cancel, enqueue, job_kinds, retry_dead
from tack.core.tables import jobs

ORG = uuid.UUID(int=42)
calls: list[dict[str, Any]] = []


async def _record(ctx: Ctx, payload: dict[str, Any]) -> None:
    calls.append(payload)


async def _flaky(ctx: Ctx, payload: dict[str, Any]) -> None:
    calls.append(payload)
    raise RuntimeError("gateway down")


@pytest.fixture(autouse=True)
def kinds() -> Any:
    calls.clear()
    job_kinds.register("test.record", _record)
    job_kinds.register("test.flaky", _flaky)
    yield
    job_kinds.unregister("test.record")
    job_kinds.unregister("test.flaky")


@pytest.fixture
async def db(db_url: str) -> Any:
    database = Database(db_url)
    yield database
    await database.dispose()


async def add(db: Database, clock: FrozenClock, kind: str, payload: dict[str, Any], **kw: Any) -> uuid.UUID:
    async with db.transaction() as conn:
        return await enqueue(Ctx(org_id=ORG, actor=Actor.system(), conn=conn, clock=clock), kind, payload, **kw)


async def state(db: Database, job_id: uuid.UUID) -> dict[str, Any]:
    async with db.transaction(write=False) as conn:
        return dict((await conn.execute(sa.select(jobs).where(jobs.c.id == job_id))).mappings().one())


async def test_job_runs_once_and_is_marked_done(db: Database) -> None:
    clock = FrozenClock()
    job_id = await add(db, clock, "test.record", {"n": 1})
    runner = JobRunner(db, clock)
    assert await runner.drain() == 1
    assert await runner.drain() == 0
    assert calls == [{"n": 1}]
    assert (await state(db, job_id))["state"] == "done"


async def test_enqueue_is_part_of_the_transaction(db: Database) -> None:
    clock = FrozenClock()
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await enqueue(Ctx(org_id=ORG, actor=Actor.system(), conn=conn, clock=clock), "test.record", {"n": 2})
            raise RuntimeError("the command failed")
    assert await JobRunner(db, clock).drain() == 0
    assert calls == []


async def test_timer_fires_at_its_due_time_not_before(db: Database) -> None:
    clock = FrozenClock()
    await add(db, clock, "test.record", {"t": 1}, due_at=clock.now() + dt.timedelta(minutes=10))
    runner = JobRunner(db, clock)
    assert await runner.drain() == 0
    assert await runner.next_due_in() == pytest.approx(600, abs=1)
    clock.advance(minutes=9, seconds=59)
    assert await runner.drain() == 0
    clock.advance(seconds=1)
    assert await runner.drain() == 1
    assert calls == [{"t": 1}]


async def test_failures_retry_with_backoff_then_become_dead_letters(db: Database) -> None:
    clock = FrozenClock()
    job_id = await add(db, clock, "test.flaky", {"x": 1}, max_attempts=3)
    runner = JobRunner(db, clock)
    waits = []
    for attempt in (1, 2, 3):
        assert await runner.run_due() == 1
        row = await state(db, job_id)
        assert row["attempts"] == attempt
        assert "gateway down" in row["last_error"]
        waits.append((row["due_at"] - clock.now()).total_seconds())
        clock.advance(hours=2)
    assert row["state"] == "dead"
    assert waits[1] > waits[0], "each retry waits longer"
    assert await runner.drain() == 0, "dead letters are not retried by themselves"
    assert await retry_dead(db, clock, job_id) == 1
    assert (await state(db, job_id))["state"] == "pending"


async def test_dedupe_key_moves_a_timer_and_cancel_removes_it(db: Database) -> None:
    clock = FrozenClock()
    await add(db, clock, "test.record", {"v": 1}, due_at=clock.now() + dt.timedelta(minutes=5), dedupe_key="remind:1")
    await add(db, clock, "test.record", {"v": 2}, due_at=clock.now() + dt.timedelta(minutes=1), dedupe_key="remind:1")
    clock.advance(minutes=10)
    assert await JobRunner(db, clock).drain() == 1
    assert calls == [{"v": 2}]
    await add(db, clock, "test.record", {"v": 3}, due_at=clock.now() + dt.timedelta(minutes=1), dedupe_key="remind:2")
    async with db.transaction() as conn:
        assert await cancel(Ctx(org_id=ORG, actor=Actor.system(), conn=conn, clock=clock), "remind:2") == 1
    clock.advance(minutes=5)
    assert await JobRunner(db, clock).drain() == 0


async def test_a_crashed_workers_job_is_claimed_again_after_its_lease(db: Database) -> None:
    clock = FrozenClock()
    job_id = await add(db, clock, "test.record", {"lease": 1})
    crashed = JobRunner(db, clock, name="crashed-worker")
    claimed = await crashed.claim()  # claims, then "dies" without running it
    assert [r["id"] for r in claimed] == [job_id]
    other = JobRunner(db, clock, name="healthy-worker")
    assert await other.drain() == 0, "the lease protects a running job"
    clock.advance(minutes=6)
    assert await other.drain() == 1
    assert calls == [{"lease": 1}]
    # the crashed worker coming back runs nothing: its lease was taken over
    assert await crashed.run_one(claimed[0]) is False
    assert calls == [{"lease": 1}]
    assert (await state(db, job_id))["state"] == "done"


async def test_concurrent_runners_never_run_a_job_twice(db: Database) -> None:
    import asyncio

    clock = FrozenClock()
    for i in range(40):
        await add(db, clock, "test.record", {"i": i})
    runners = [JobRunner(db, clock, name=f"w{k}", batch=5) for k in range(4)]
    await asyncio.gather(*(r.drain() for r in runners))
    assert sorted(c["i"] for c in calls) == list(range(40))
