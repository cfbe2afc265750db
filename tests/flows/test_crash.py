"""A worker killed with SIGKILL at a random moment leaves nothing half-done.

A child process (tests/flows/crash_child.py, the project's python, the test's own database: a
SQLite file or a PostgreSQL database) submits requests and acts on them in a loop and is killed
mid-stride; a second one goes on with what the first left running and is killed too. Then:
every request's log replays to exactly its stored projections, its row is at its last event,
every submission the child saw commit exists with its record and its outbox event (and nothing
exists without them), and the right people acting on what is left finish every request.

Timers: a job runner that claimed a batch of task timeouts is killed between two of them. The
jobs it finished have their effect once; the others fire again after the lease runs out, and
each task times out exactly once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import signal
import sys
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tack.core.clock import FrozenClock
from tack.core.jobs import LEASE, JobRunner
from tack.core.tables import jobs, outbox
from tack.flows import model as m
from tack.flows.runtime import TIMEOUT_JOB
from tack.flows.tables import flow_events, flow_instances
from tack.records.tables import records
from tack.runtime import Runtime
from tests.flows.harness import Harness, approver, flow
from tests.flows.test_properties import finish_it, rich_flow, verified

CHILD = Path(__file__).with_name("crash_child.py")


def _tail(path: Path) -> str:
    return path.read_text()[-4000:]


async def run_and_kill(args: list[str], enough: Callable[[list[str]], bool], rnd: random.Random,
                       errors: Path) -> list[str]:
    """Start the child, read its lines until `enough`, wait a random moment, SIGKILL it; every
    line it printed (it prints only after a commit)."""
    with errors.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(sys.executable, str(CHILD), *args,
                                                    stdout=asyncio.subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        lines: list[str] = []
        try:
            while not enough(lines):
                line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
                if not line:
                    break  # it died by itself: the return code below says so
                lines.append(line.decode().strip())
            await asyncio.sleep(rnd.uniform(0, 0.03))
        finally:
            if proc.returncode is None:
                proc.kill()
        lines += (await proc.stdout.read()).decode().split("\n")
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL, _tail(errors)  # it crashed by itself: why
    return [x for x in lines if x]


def _lines(n: int) -> Callable[[list[str]], bool]:
    return lambda got: len(got) >= n


async def everything_is_whole(h: Harness, submitted: list[uuid.UUID]) -> list[uuid.UUID]:
    """The checks after a crash; returns the org's instances."""
    async with h.tx(None) as ctx:
        c = ctx.conn
        instances = set((await c.execute(sa.select(flow_instances.c.id).where(
            flow_instances.c.org_id == h.org_id))).scalars())
        logged = set((await c.execute(sa.select(flow_events.c.instance_id).where(
            flow_events.c.org_id == h.org_id).distinct())).scalars())
        started = set(uuid.UUID(s) for s in (await c.execute(sa.select(outbox.c.subject).where(
            outbox.c.org_id == h.org_id, outbox.c.type == "flow.instance.started"))).scalars())
        recs = dict((await c.execute(sa.select(records.c.id, records.c.status).where(
            records.c.org_id == h.org_id, records.c.form_id == h.form_id))).all())
        rec_of = dict((await c.execute(sa.select(flow_instances.c.id, flow_instances.c.record_id).where(
            flow_instances.c.org_id == h.org_id))).all())
    assert logged == instances, "a log without its instance row, or the other way round"
    assert started == instances, "an instance without its outbox event, or the other way round"
    assert set(submitted) <= instances, "a submission the worker saw commit is gone"
    assert set(rec_of.values()) == set(recs), "a record without its request, or the other way round"
    for i in sorted(instances):
        await verified(h, i)  # gap-free log, row at the last event, projections == replay, record status
    return sorted(instances)


async def test_a_killed_worker_leaves_no_half_applied_request(rt: Runtime, demo: dict[str, Any], db_url: str,
                                                              tmp_path: Path) -> None:
    h = Harness(rt, demo)
    await h.setup(await rich_flow(h))
    seed = random.randrange(10**9)
    rnd = random.Random(seed)
    submitted: list[uuid.UUID] = []
    for round_ in range(2):
        stop_after = rnd.randint(15, 60)
        lines = await run_and_kill(["flows", db_url, str(h.org_id), str(h.form_id), str(seed + round_)],
                                   _lines(stop_after), rnd, tmp_path / f"child{round_}.err")
        submitted += [uuid.UUID(x.split()[1]) for x in lines if x.startswith("submitted ")]
        instances = await everything_is_whole(h, submitted)
    assert len(submitted) >= 2, (seed, lines)
    for i in instances:
        assert await finish_it(h, i) in ("approved", "rejected", "withdrawn"), seed
    await everything_is_whole(h, submitted)


async def test_a_timer_whose_worker_died_fires_again_and_once(rt: Runtime, demo: dict[str, Any], db_url: str,
                                                              tmp_path: Path) -> None:
    clock = FrozenClock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    rt.clock = clock
    h = Harness(rt, demo)
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=m.Timeout(after=1, unit="hours", action="auto_approve")),
                       approver("n_two", m.Manager(level=2))))
    started = [await h.submit(p) for p in ("carol", "frank", "henry") * 4]
    await JobRunner(rt.db, clock).drain()  # anything due now (nothing of ours: the timers wait an hour)
    clock.advance(hours=1, minutes=1)
    rnd = random.Random()

    def some_ran(got: list[str]) -> bool:
        if not got:
            return False
        claimed = int(got[0].split()[1])
        assert claimed == len(started), got
        return len(got) - 1 >= rnd.randint(0, claimed - 2)

    lines = await run_and_kill(["jobs", db_url, clock.now().isoformat()], some_ran, rnd, tmp_path / "runner.err")
    ran = len(lines) - 1

    async def timeouts() -> tuple[dict[str, str], Counter[str]]:
        async with h.tx(None) as ctx:
            states = {r[0]["instance_id"]: r[1] for r in (await ctx.conn.execute(sa.select(jobs.c.payload, jobs.c.state).where(
                jobs.c.org_id == h.org_id, jobs.c.kind == TIMEOUT_JOB))).all()}
            fired = Counter(str(i) for i in (await ctx.conn.execute(sa.select(flow_events.c.instance_id).where(
                flow_events.c.org_id == h.org_id, flow_events.c.type == "timed_out"))).scalars())
        return states, fired

    states, fired = await timeouts()
    assert len(states) == len(started)
    done = [i for i, s in states.items() if s == "done"]
    assert len(done) >= ran and set(states.values()) <= {"done", "running"}, states
    for key in map(str, started):  # a job's effect commits with its done-mark, or neither does
        assert fired[key] == (1 if states[key] == "done" else 0), (key, states[key], fired[key])

    assert await JobRunner(rt.db, clock).run_due() == 0, "the dead worker's lease still holds"
    clock.advance(seconds=LEASE.total_seconds() + 1)
    await JobRunner(rt.db, clock).drain()
    states, fired = await timeouts()
    assert set(states.values()) == {"done"}
    for i in started:
        assert fired[str(i)] == 1, (i, fired)
        assert await h.status(i) == "running" and len(await h.pending(i)) == 1  # on to the second step
        await verified(h, i)
    assert await JobRunner(rt.db, clock).drain() == 0
    await h.act("bob", started[0])
    assert await h.status(started[0]) == "approved"
