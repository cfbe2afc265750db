"""Durable jobs and timers, kept in the database.

A job is enqueued in the same transaction as the change that wants it, so it exists exactly
when the change does. Workers claim due jobs (`FOR UPDATE SKIP LOCKED` on PostgreSQL), run the
handler and mark the job done in the handler's own transaction, so a job's database effects
happen once. Failures retry with exponential backoff and jitter; after `max_attempts` the job
becomes a dead letter (`state = 'dead'`) that an operator can inspect and retry. A job whose
worker died is claimed again when its lease runs out. A timer is a job due in the future,
usually with a `dedupe_key` so it can be moved or cancelled.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import traceback
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa

from tack.core.bus import worker_name
from tack.core.clock import Clock
from tack.core.ctx import Actor, Ctx
from tack.core.db import Database, wake_after_commit
from tack.core.ids import new_id
from tack.core.registry import Registry
from tack.core.tables import jobs

log = logging.getLogger(__name__)

JobFn = Callable[[Ctx, dict[str, Any]], Awaitable[None]]
job_kinds: Registry[JobFn] = Registry("job kind")

LEASE = dt.timedelta(minutes=5)
BACKOFF_BASE = 2.0  # seconds; attempt n waits about base * 2**(n-1), capped
BACKOFF_CAP = 3600.0


def job(kind: str, *, atomic: bool = True) -> Callable[[JobFn], JobFn]:
    """Register a job handler: `@job("send_email") async def send(ctx, payload): ...`.

    An atomic job runs in one transaction with its done-mark (effects happen once). A job that
    cannot run inside a transaction (`atomic=False`: PostgreSQL's `CREATE INDEX CONCURRENTLY`
    waits for every open transaction, its own included) gets an autocommit connection and is
    marked done afterwards: it may run again after a crash, so it must be idempotent."""

    def deco(fn: JobFn) -> JobFn:
        fn.tack_atomic = atomic  # type: ignore[attr-defined]
        job_kinds.register(kind, fn)
        return fn

    return deco


async def enqueue(ctx: Ctx, kind: str, payload: dict[str, Any], *, due_at: dt.datetime | None = None,
                  dedupe_key: str | None = None, max_attempts: int = 8) -> uuid.UUID:
    """Add a job in the caller's transaction. With a `dedupe_key`, an existing pending job of the
    same key is replaced (a timer moved), so a key names at most one pending job."""
    if dedupe_key is not None:
        await cancel(ctx, dedupe_key)
    job_id = new_id()
    now = ctx.now()
    await ctx.conn.execute(jobs.insert().values(
        org_id=ctx.org_id, id=job_id, kind=kind, payload=payload, state="pending", due_at=due_at or now,
        attempts=0, max_attempts=max_attempts, dedupe_key=dedupe_key, created_at=now))
    wake_after_commit(ctx.conn)
    return job_id


async def cancel(ctx: Ctx, dedupe_key: str) -> int:
    res = await ctx.conn.execute(jobs.delete().where(
        jobs.c.org_id == ctx.org_id, jobs.c.dedupe_key == dedupe_key, jobs.c.state == "pending"))
    return res.rowcount


def backoff(attempts: int) -> float:
    base = min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)
    return float(base * random.uniform(0.8, 1.2))


class JobRunner:
    def __init__(self, db: Database, clock: Clock, *, batch: int = 20, name: str | None = None) -> None:
        self.db = db
        self.clock = clock
        self.batch = batch
        self.name = name or worker_name()

    async def claim(self) -> list[dict[str, Any]]:
        now = self.clock.now()
        due = sa.or_(
            sa.and_(jobs.c.state == "pending", jobs.c.due_at <= now),
            sa.and_(jobs.c.state == "running", jobs.c.locked_until < now),
        )
        query = sa.select(jobs).where(due).order_by(jobs.c.due_at).limit(self.batch)
        if self.db.is_postgres:
            query = query.with_for_update(skip_locked=True)
        async with self.db.transaction() as conn:
            rows = [dict(r) for r in (await conn.execute(query)).mappings().all()]
            for r in rows:
                r["attempts"] += 1
                await conn.execute(jobs.update().where(jobs.c.org_id == r["org_id"], jobs.c.id == r["id"]).values(
                    state="running", locked_until=now + LEASE, locked_by=self.name, attempts=r["attempts"]))
        return rows

    async def run_one(self, row: dict[str, Any]) -> bool:
        where = (jobs.c.org_id == row["org_id"], jobs.c.id == row["id"], jobs.c.locked_by == self.name)
        try:
            fn = job_kinds.get(row["kind"])
            if not getattr(fn, "tack_atomic", True):
                return await self._run_outside_transaction(fn, row, where)
            async with self.db.transaction() as conn:
                # Mark it done first, on the condition that we still hold its lease: if our lease ran
                # out and another worker took the job over, we do nothing. The handler's effects and
                # the mark commit together, or neither does.
                res = await conn.execute(jobs.update().where(*where, jobs.c.state == "running").values(
                    state="done", finished_at=self.clock.now(), locked_until=None, last_error=None))
                if res.rowcount == 0:
                    return False
                ctx = Ctx(org_id=row["org_id"], actor=Actor.system(f"job:{row['kind']}"), conn=conn, clock=self.clock)
                await fn(ctx, row["payload"])
            return True
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            err = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
            dead = row["attempts"] >= row["max_attempts"]
            log.warning("job %s %s failed (attempt %s/%s): %s", row["kind"], row["id"], row["attempts"],
                        row["max_attempts"], err)
            async with self.db.transaction() as conn:
                await conn.execute(jobs.update().where(*where).values(
                    state="dead" if dead else "pending", last_error=err, locked_until=None,
                    due_at=self.clock.now() + dt.timedelta(seconds=backoff(row["attempts"])),
                    finished_at=self.clock.now() if dead else None))
            return False

    async def _run_outside_transaction(self, fn: JobFn, row: dict[str, Any], where: tuple[Any, ...]) -> bool:
        async with self.db.transaction(write=False) as conn:
            held = (await conn.execute(sa.select(jobs.c.id).where(*where, jobs.c.state == "running"))).first()
        if held is None:
            return False
        async with self.db.autocommit() as conn:
            ctx = Ctx(org_id=row["org_id"], actor=Actor.system(f"job:{row['kind']}"), conn=conn, clock=self.clock)
            await fn(ctx, row["payload"])
        async with self.db.transaction() as conn:
            res = await conn.execute(jobs.update().where(*where, jobs.c.state == "running").values(
                state="done", finished_at=self.clock.now(), locked_until=None, last_error=None))
        return res.rowcount == 1

    async def run_due(self) -> int:
        """Claim and run one batch of due jobs; returns how many were claimed."""
        rows = await self.claim()
        for r in rows:
            await self.run_one(r)
        return len(rows)

    async def drain(self, limit: int = 10_000) -> int:
        """Run due jobs until none are left (tests, CLI)."""
        total = 0
        while total < limit:
            n = await self.run_due()
            if n == 0:
                break
            total += n
        return total

    async def next_due_in(self) -> float | None:
        async with self.db.transaction(write=False) as conn:
            nxt = (await conn.execute(sa.select(sa.func.min(jobs.c.due_at)).where(jobs.c.state == "pending"))).scalar()
        if nxt is None:
            return None
        return max(float((nxt - self.clock.now()).total_seconds()), 0.0)

    async def purge_done(self, older_than: dt.timedelta = dt.timedelta(days=3)) -> int:
        async with self.db.transaction() as conn:
            res = await conn.execute(jobs.delete().where(
                jobs.c.state == "done", jobs.c.finished_at < self.clock.now() - older_than))
        return res.rowcount

    async def forever(self, wake: asyncio.Event, idle: float = 1.0) -> None:
        loop = asyncio.get_running_loop()
        next_purge = loop.time() + 60
        while True:
            try:
                n = await self.run_due()
                if loop.time() > next_purge:
                    next_purge = loop.time() + 3600
                    await self.purge_done()
                if n:
                    continue
                wait = await self.next_due_in()
                wait = idle if wait is None else min(wait, idle)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job runner failed; retrying")
                wait = 1.0
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), timeout=max(wait, 0.05))
            except TimeoutError:
                pass


async def retry_dead(db: Database, clock: Clock, job_id: uuid.UUID | None = None) -> int:
    """Put dead letters back in the queue (all of them, or one)."""
    stmt = jobs.update().where(jobs.c.state == "dead")
    if job_id is not None:
        stmt = stmt.where(jobs.c.id == job_id)
    async with db.transaction() as conn:
        res = await conn.execute(stmt.values(state="pending", attempts=0, due_at=clock.now(), finished_at=None))
    return res.rowcount
