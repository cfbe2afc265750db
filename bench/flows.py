"""Benchmark `flows`: full lifecycles of a 3-step approval per second, every wait state durable
in a SQLite file, through Tack's flow service against SpiffWorkflow 3.2 storing its serialized
workflow in SQLite at each wait state.

The flow, the same on both sides: submit → the initiator's manager approves → exclusive branch on
the amount (> 10,000: the director approves; otherwise the manager approves again) → approved.

A round is N instances in three phases, each step in its own write transaction as a server
handles one request: N submissions, then the first approval of each, then the second. Between
steps an instance exists only in the database: Tack loads its rows; the anchor loads its JSON,
deserializes it, runs the ready user task and its engine steps, serializes it and writes it back.
Both use the same SQLite settings (WAL, `synchronous=NORMAL`, `BEGIN IMMEDIATE` for writes).

Every round is checked: each instance ends approved, and the approvals taken are the ones its
amount calls for.

    python -m bench.flows [--instances 200] [--rounds 5] [--quick] [--anchor-only]

RESULT: median full lifecycles (instances) per second; ratio = tack / anchor (higher is better).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from tack.apps.models import AppCreate
from tack.apps.service import create_app, create_form
from tack.cli import run_migrations
from tack.core.clock import SYSTEM_CLOCK
from tack.core.ctx import Actor, Ctx
from tack.core.db import Database
from tack.directory import members as members_svc
from tack.directory import orgs, users
from tack.directory.models import MemberCreate, OrgCreate
from tack.flows import runtime
from tack.flows import service as flows_svc
from tack.flows.model import ApproverNode, Branch, ConditionNode, FlowDef, Manager, Members, StartNode
from tack.flows.models import Submission, TaskAction
from tack.flows.tables import flow_instances, flow_tasks
from tack.forms.model import FormDef

BRANCH_LIMIT = 10_000
AMOUNTS = [120, 980, 4_500, 9_999, 10_000, 10_001, 12_500, 48_000]  # both sides of the boundary


def amounts_for(n: int, seed: int) -> list[int]:
    rnd = random.Random(seed)
    return [rnd.choice(AMOUNTS) for _ in range(n)]


# A round: runs N lifecycles and returns the check of their outcome (run outside the clock).
Round = Callable[[], Awaitable[Callable[[], Awaitable[None]]]]


def expected_steps(amount: int) -> list[str]:
    return ["manager", "director" if amount > BRANCH_LIMIT else "manager2"]


# --- the anchor: SpiffWorkflow 3.2, its JSON in SQLite --------------------------------------------

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="Definitions_expense" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="expense_approval" name="Expense approval" isExecutable="true">
    <bpmn:startEvent id="submit" name="Submit">
      <bpmn:outgoing>f_submit_manager</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="manager" name="Manager">
      <bpmn:incoming>f_submit_manager</bpmn:incoming>
      <bpmn:outgoing>f_manager_gateway</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="amount_gateway" name="Amount" default="f_other">
      <bpmn:incoming>f_manager_gateway</bpmn:incoming>
      <bpmn:outgoing>f_large</bpmn:outgoing>
      <bpmn:outgoing>f_other</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:userTask id="director" name="Director">
      <bpmn:incoming>f_large</bpmn:incoming>
      <bpmn:outgoing>f_director_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="manager2" name="Manager again">
      <bpmn:incoming>f_other</bpmn:incoming>
      <bpmn:outgoing>f_manager2_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="approved" name="Approved">
      <bpmn:incoming>f_director_end</bpmn:incoming>
      <bpmn:incoming>f_manager2_end</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f_submit_manager" sourceRef="submit" targetRef="manager"/>
    <bpmn:sequenceFlow id="f_manager_gateway" sourceRef="manager" targetRef="amount_gateway"/>
    <bpmn:sequenceFlow id="f_large" sourceRef="amount_gateway" targetRef="director">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">amount &gt; 10000</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_other" sourceRef="amount_gateway" targetRef="manager2"/>
    <bpmn:sequenceFlow id="f_director_end" sourceRef="director" targetRef="approved"/>
    <bpmn:sequenceFlow id="f_manager2_end" sourceRef="manager2" targetRef="approved"/>
  </bpmn:process>
</bpmn:definitions>
"""

# Tack's SQLite connection settings (tack.core.db._configure_sqlite), for a like-for-like disk.
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
           "PRAGMA busy_timeout=30000")


class SpiffAnchor:
    """What a small server built on SpiffWorkflow does per request: load the workflow's JSON,
    deserialize, act, run the engine, serialize, store, commit."""

    def __init__(self, path: Path) -> None:
        parser = BpmnParser()
        parser.add_bpmn_str(BPMN.encode(), filename="expense.bpmn")
        self.spec = parser.get_spec("expense_approval")  # parsed once, as a server caches it
        self.serializer = BpmnWorkflowSerializer()
        self.db = sqlite3.connect(path, isolation_level=None)  # transactions are ours: BEGIN IMMEDIATE
        for p in PRAGMAS:
            self.db.execute(p)
        self.db.execute("CREATE TABLE IF NOT EXISTS workflows (id TEXT PRIMARY KEY, status TEXT NOT NULL, "
                        "amount REAL NOT NULL, serialization TEXT NOT NULL)")

    def submit(self, amount: int, initiator: str) -> str:
        wf = BpmnWorkflow(self.spec)
        start = wf.get_next_task(state=TaskState.READY)
        assert start is not None
        start.set_data(amount=amount, title="Expense", initiator=initiator)
        wf.do_engine_steps()
        wf_id = uuid.uuid4().hex
        blob = self.serializer.serialize_json(wf)
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("INSERT INTO workflows (id, status, amount, serialization) VALUES (?, ?, ?, ?)",
                        (wf_id, "running", amount, blob))
        self.db.execute("COMMIT")
        return wf_id

    def approve(self, wf_id: str, approver: str) -> str:
        """Complete the instance's ready user task as `approver`; the task's name."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            (blob,) = self.db.execute("SELECT serialization FROM workflows WHERE id = ?", (wf_id,)).fetchone()
            wf = self.serializer.deserialize_json(blob)
            ready = wf.get_tasks(state=TaskState.READY, manual=True)
            assert len(ready) == 1, ready
            task = ready[0]
            task.set_data(**{f"{task.task_spec.name}_decision": "approved", f"{task.task_spec.name}_by": approver})
            task.run()
            wf.do_engine_steps()
            status = "approved" if wf.is_completed() else "running"
            self.db.execute("UPDATE workflows SET status = ?, serialization = ? WHERE id = ?",
                            (status, self.serializer.serialize_json(wf), wf_id))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return str(task.task_spec.name)

    def check(self, wf_ids: list[str], amounts: list[int]) -> None:
        """Every instance approved, through the approvals its amount calls for."""
        for wf_id, amount in zip(wf_ids, amounts, strict=True):
            status, blob = self.db.execute("SELECT status, serialization FROM workflows WHERE id = ?",
                                           (wf_id,)).fetchone()
            wf = self.serializer.deserialize_json(blob)
            done = [t.task_spec.name for t in wf.get_tasks(state=TaskState.COMPLETED, manual=True)]
            assert status == "approved" and wf.is_completed(), (wf_id, status)
            assert done == expected_steps(amount), (amount, done)
            assert wf.data.get(f"{done[-1]}_decision") == "approved", wf.data

    def close(self) -> None:
        self.db.close()


def anchor_round(anchor: SpiffAnchor, amounts: list[int]) -> Round:
    async def one_round() -> Callable[[], Awaitable[None]]:
        ids = [anchor.submit(a, "employee") for a in amounts]
        for wf_id in ids:
            assert anchor.approve(wf_id, "manager") == "manager"
        for wf_id, a in zip(ids, amounts, strict=True):
            assert anchor.approve(wf_id, "director" if a > BRANCH_LIMIT else "manager") == expected_steps(a)[1]

        async def verify() -> None:
            anchor.check(ids, amounts)
        return verify
    return one_round


# --- Tack ------------------------------------------------------------------------------------------

FORM = {"name": "Expense", "fields": [
    {"id": "f_title001", "name": "Title", "type": "text"},
    {"id": "f_amount01", "name": "Amount", "type": "number"},
]}
NODE_OF_STEP = {"n_manager": "manager", "n_director": "director", "n_manager2": "manager2"}


def flow_def(director_id: uuid.UUID) -> FlowDef:
    return FlowDef(name="Expense approval", nodes=[
        StartNode(id="n_submit"),
        ApproverNode(id="n_manager", name="Manager", assignees=[Manager(level=1)]),
        ConditionNode(id="n_amount", name="Amount", branches=[
            Branch(id="b_large", name="Large", condition=f"Amount > {BRANCH_LIMIT}", nodes=[
                ApproverNode(id="n_director", name="Director", assignees=[Members(member_ids=[director_id])])]),
            Branch(id="b_other", name="Other", default=True, nodes=[
                ApproverNode(id="n_manager2", name="Manager again", assignees=[Manager(level=1)])]),
        ]),
    ])


class TackSide:
    """One organization: 2 managers with 5 employees each, a director, and the expense form with
    its published flow, on a migrated SQLite file."""

    def __init__(self, url: str) -> None:
        self.db = Database(url)
        self.actors: dict[uuid.UUID, Actor] = {}
        self.employees: list[uuid.UUID] = []
        self.manager_of: dict[uuid.UUID, uuid.UUID] = {}

    async def setup(self) -> None:
        async with self.db.transaction() as conn:
            owner = await users.create_user(conn, SYSTEM_CLOCK, email="owner@bench.example", name="Owner")
            ctx = await orgs.create_org(conn, SYSTEM_CLOCK, owner["id"], OrgCreate(name="Bench Co"))
            self.org_id = ctx.org_id
            director = await members_svc.add_member(ctx, MemberCreate(name="Director", email="director@bench.example"))
            self.director_id = director.id
            people = [director]
            for m in range(2):
                manager = await members_svc.add_member(ctx, MemberCreate(
                    name=f"Manager {m}", email=f"manager{m}@bench.example", manager_id=director.id))
                people.append(manager)
                for e in range(5):
                    emp = await members_svc.add_member(ctx, MemberCreate(
                        name=f"Employee {m}.{e}", email=f"employee{m}{e}@bench.example", manager_id=manager.id))
                    people.append(emp)
                    self.employees.append(emp.id)
                    self.manager_of[emp.id] = manager.id
            for p in people:
                self.actors[p.id] = Actor(kind="user", name=p.name, user_id=p.user_id, member_id=p.id)
            app = await create_app(ctx, AppCreate(name="Expenses"))
            form = await create_form(ctx, app.id, msgspec.convert(FORM, FormDef))
            self.form_id = form.id
            flow = await flows_svc.save_flow(ctx, form.id, flows_svc.FlowSave(definition=flow_def(director.id),
                                                                              enabled=True))
            assert not flow.problems, flow.problems
            await flows_svc.publish_flow(ctx, flow.id)

    def ctx(self, conn: AsyncConnection, member_id: uuid.UUID) -> Ctx:
        return Ctx(org_id=self.org_id, actor=self.actors[member_id], conn=conn, clock=SYSTEM_CLOCK)

    async def submit(self, amount: int, initiator: uuid.UUID) -> uuid.UUID:
        async with self.db.transaction() as conn:
            return await runtime.submit(self.ctx(conn, initiator), self.form_id, Submission(data={
                "Title": "Expense", "Amount": amount}))

    async def approve(self, instance_id: uuid.UUID) -> str:
        """The pending task of the instance, approved by its assignee; the step it was."""
        async with self.db.transaction() as conn:
            t = flow_tasks.c
            rows = (await conn.execute(sa.select(t.id, t.assignee_id, t.node_id).where(
                t.org_id == self.org_id, t.instance_id == instance_id, t.state == "pending"))).all()
            assert len(rows) == 1, rows
            task_id, assignee, node_id = rows[0]
            await runtime.approve(self.ctx(conn, assignee), task_id, TaskAction(comment=None))
        return NODE_OF_STEP[node_id]

    async def check(self, ids: list[uuid.UUID], amounts: list[int], initiators: list[uuid.UUID]) -> None:
        """Every instance approved, through the approvals its amount calls for, by the right people."""
        i, t = flow_instances.c, flow_tasks.c
        async with self.db.transaction(write=False) as conn:
            status = dict((await conn.execute(sa.select(i.id, i.status).where(
                i.org_id == self.org_id, i.id.in_(ids)))).all())
            tasks: dict[uuid.UUID, list[tuple[str, uuid.UUID]]] = {x: [] for x in ids}
            for inst, node_id, assignee, state in (await conn.execute(
                    sa.select(t.instance_id, t.node_id, t.assignee_id, t.state).where(
                        t.org_id == self.org_id, t.instance_id.in_(ids)).order_by(t.created_at, t.id))).all():
                assert state == "approved", (inst, node_id, state)
                tasks[inst].append((NODE_OF_STEP[node_id], assignee))
        for x, amount, who in zip(ids, amounts, initiators, strict=True):
            assert status[x] == "approved", (x, status[x])
            manager = self.manager_of[who]
            want = [("manager", manager), ("director", self.director_id) if amount > BRANCH_LIMIT
                    else ("manager2", manager)]
            assert tasks[x] == want, (amount, tasks[x], want)

    async def statements_per_instance(self) -> int:
        """SQL statements one lifecycle sends (BEGIN and COMMIT included), counted outside the clock."""
        sent: list[str] = []

        def count(_conn: Any, _cur: Any, stmt: str, *_args: Any) -> None:
            sent.append(stmt)

        sync = self.db.engine.sync_engine
        event.listen(sync, "before_cursor_execute", count)
        try:
            x = await self.submit(BRANCH_LIMIT + 1, self.employees[0])
            await self.approve(x)
            await self.approve(x)
        finally:
            event.remove(sync, "before_cursor_execute", count)
        return len(sent) + 3  # the three COMMITs go through the driver, not a cursor

    def round(self, amounts: list[int]) -> Round:
        initiators = [self.employees[k % len(self.employees)] for k in range(len(amounts))]

        async def one_round() -> Callable[[], Awaitable[None]]:
            ids = [await self.submit(a, who) for a, who in zip(amounts, initiators, strict=True)]
            for x in ids:
                assert await self.approve(x) == "manager"
            for x, a in zip(ids, amounts, strict=True):
                assert await self.approve(x) == expected_steps(a)[1]
            return lambda: self.check(ids, amounts, initiators)
        return one_round


# --- measuring -------------------------------------------------------------------------------------

async def timed_rounds(fn: Round, *, rounds: int, warmup: int) -> list[float]:
    """Seconds per round; each round is verified after its clock stops."""
    for _ in range(warmup):
        await (await fn())()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        verify = await fn()
        times.append(time.perf_counter() - t0)
        await verify()
    return times


def report(subject: str, times: list[float], n: int, **extra: Any) -> float:
    """One JSON line: instances per second (min/median/max over rounds); the median."""
    rates = [n / t for t in times]
    med = statistics.median(rates)
    print(json.dumps({"bench": "flows", "subject": subject, "unit": "inst/s", "min": round(min(rates), 1),
                      "median": round(med, 1), "max": round(max(rates), 1), "rounds": len(rates),
                      "instances_per_round": n, "ms_per_instance": round(1000 / med, 3), **extra}), flush=True)
    return med


async def run(n: int, rounds: int, anchor_only: bool) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="tack-bench-flows-"))
    amounts = amounts_for(n, seed=7)
    anchor = SpiffAnchor(workdir / "spiff.db")
    a_round = anchor_round(anchor, amounts)
    tack: TackSide | None = None
    t_round = None
    if not anchor_only:
        url = f"sqlite+aiosqlite:///{workdir / 'tack.db'}"
        run_migrations(url)
        tack = TackSide(url)
        await tack.setup()
        t_round = tack.round(amounts)
    t: list[float] = []
    a: list[float] = []
    try:
        for _ in range(2):  # alternate so that noise hits both alike
            if t_round is not None:
                t += await timed_rounds(t_round, rounds=rounds, warmup=1)
            a += await timed_rounds(a_round, rounds=rounds, warmup=1)
        sql_per_instance = await tack.statements_per_instance() if tack is not None else 0
    finally:
        anchor.close()
        if tack is not None:
            await tack.db.dispose()
    large = sum(x > BRANCH_LIMIT for x in amounts)
    tack_rate = report("tack", t, n, large=large, sql_per_instance=sql_per_instance) if t else 0.0
    anchor_rate = report("spiffworkflow 3.2, JSON in SQLite", a, n, large=large)
    if not t:
        print(f"RESULT flows tack=n/a anchor=spiffworkflow:{anchor_rate:.1f}inst/s ratio=n/a")
        return
    print(f"RESULT flows tack={tack_rate:.1f}inst/s anchor=spiffworkflow:{anchor_rate:.1f}inst/s "
          f"ratio={tack_rate / anchor_rate:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", type=int, default=200, help="instances per round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--anchor-only", action="store_true", help="measure SpiffWorkflow alone")
    args = ap.parse_args()
    if args.quick:
        args.instances, args.rounds = 100, 3
    asyncio.run(run(args.instances, args.rounds, args.anchor_only))


if __name__ == "__main__":
    main()
