"""The process tests/flows/test_crash.py kills with SIGKILL at a random moment.

    python crash_child.py flows DATABASE_URL ORG_ID FORM_ID SEED
        submits requests and acts on the running ones of the org, for ever; prints
        `submitted <instance id>` after each submission commits (flushed)
    python crash_child.py jobs DATABASE_URL NOW_ISO
        claims one batch of due jobs at NOW (a frozen clock) and runs them one by one, printing
        `claimed <n>` after the claim commits and `ran <job id>` after each job; then sleeps

It is a separate program (not a fork of the test) so that the kill is a real crash: no finally
blocks, no rollback sent, connections dropped mid-transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sys
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from tack.config import Settings
from tack.core.clock import FrozenClock
from tack.core.ctx import Actor, Ctx
from tack.core.jobs import JobRunner
from tack.flows import runtime
from tack.flows.models import Resubmit, ReturnAction, Submission, TaskAction
from tack.flows.tables import flow_instances, flow_tasks
from tack.runtime import Runtime

INITIATORS = ("carol", "frank", "henry", "emma", "mia")


def person(member_id: uuid.UUID) -> Actor:
    return Actor(kind="user", name="someone", member_id=member_id, admin_role="member")


async def flows(url: str, org_id: uuid.UUID, form_id: uuid.UUID, seed: int) -> None:
    rnd = random.Random(seed)
    rt = Runtime.create(Settings(database_url=url, data_dir=Path(tempfile.mkdtemp()), secret_key="crash",
                                 bus_url="memory://", background=False))
    async with rt.db.transaction(write=False) as conn:
        from tack.directory.tables import members, users

        people = {e.split("@")[0]: m for e, m in (await conn.execute(sa.select(users.c.email, members.c.id).join(
            members, members.c.user_id == users.c.id).where(members.c.org_id == org_id))).all()}
        # A restarted worker goes on with what the crashed one left running.
        running = list((await conn.execute(sa.select(flow_instances.c.id).where(
            flow_instances.c.org_id == org_id, flow_instances.c.status == "running"))).scalars())
    while True:
        if not running or rnd.random() < 0.3:
            async with rt.db.transaction() as conn:
                ctx = Ctx(org_id=org_id, actor=person(people[rnd.choice(INITIATORS)]), conn=conn, clock=rt.clock)
                iid = await runtime.submit(ctx, form_id, Submission(data={"Days": rnd.randint(1, 6)}))
            print(f"submitted {iid}", flush=True)
            running.append(iid)
            continue
        iid = rnd.choice(running)
        async with rt.db.transaction(write=False) as conn:
            status = (await conn.execute(sa.select(flow_instances.c.status).where(
                flow_instances.c.org_id == org_id, flow_instances.c.id == iid))).scalar()
            pending = (await conn.execute(sa.select(flow_tasks.c.id, flow_tasks.c.assignee_id, flow_tasks.c.kind).where(
                flow_tasks.c.org_id == org_id, flow_tasks.c.instance_id == iid, flow_tasks.c.state == "pending").order_by(
                flow_tasks.c.created_at, flow_tasks.c.id))).all()
        if status != "running":
            running.remove(iid)
            continue
        task, assignee, kind = pending[0]
        roll = rnd.random()
        async with rt.db.transaction() as conn:
            ctx = Ctx(org_id=org_id, actor=person(assignee), conn=conn, clock=rt.clock)
            if kind == "resubmit":
                await runtime.resubmit(ctx, iid, Resubmit(data={"Days": rnd.randint(1, 6)}))
            elif roll < 0.05 and kind == "approve":
                await runtime.reject(ctx, task, TaskAction(comment="no"))
            elif roll < 0.12:
                await runtime.send_back(ctx, task, ReturnAction(to=rnd.choice(["previous", "initiator"]),
                                                                comment="again"))
            else:
                await runtime.approve(ctx, task, TaskAction(comment="ok"))
        print(f"acted {iid}", flush=True)


async def jobs(url: str, now: dt.datetime) -> None:
    clock = FrozenClock(now)
    rt = Runtime.create(Settings(database_url=url, data_dir=Path(tempfile.mkdtemp()), secret_key="crash",
                                 bus_url="memory://", background=False), clock)
    runner = JobRunner(rt.db, clock, batch=50, name="doomed-worker")
    rows = await runner.claim()
    print(f"claimed {len(rows)}", flush=True)
    for r in rows:
        await runner.run_one(r)
        print(f"ran {r['id']}", flush=True)
    await asyncio.sleep(3600)  # never says it is finished: it is killed


def main() -> None:
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "flows":
        asyncio.run(flows(url, uuid.UUID(sys.argv[3]), uuid.UUID(sys.argv[4]), int(sys.argv[5])))
    else:
        asyncio.run(jobs(url, dt.datetime.fromisoformat(sys.argv[3])))


if __name__ == "__main__":
    main()
