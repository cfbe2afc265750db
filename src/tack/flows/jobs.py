"""Flow timers: task timeouts, reminders, overall deadlines; and deactivated assignees.

Timers are durable jobs (tack.core.jobs) enqueued with the task that starts them, keyed by
task so they fire once: a timer whose task is no longer pending when it fires does nothing,
which also makes a second firing after a crash harmless.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from tack.core.consumers import consumer
from tack.core.ctx import Ctx
from tack.core.events import Event
from tack.core.jobs import job
from tack.flows import engine
from tack.flows import model as m
from tack.flows.assignees import active_only, org_admins
from tack.flows.engine import Who
from tack.flows.runtime import DEADLINE_JOB, REMIND_JOB, TIMEOUT_JOB, hand_over, load, save
from tack.flows.tables import flow_tasks


@job(TIMEOUT_JOB)
async def task_timed_out(ctx: Ctx, payload: dict[str, Any]) -> None:
    run = await load(ctx, uuid.UUID(payload["instance_id"]))
    task_id = payload["task_id"]
    t = run.state["tasks"].get(task_id)
    if t is None or t["state"] != "pending" or not run.running:
        return  # done in time, or already handled: the timer has nothing to do
    place = run.graph.places.get(t["node"])
    timeout: m.Timeout | None = getattr(place.node, "timeout", None) if place else None
    if timeout is None:
        return  # moved to a version whose step has no timeout: the timer set on the old one lapses
    system = Who.system()
    run.add("timed_out", {"task": task_id, "action": timeout.action})
    run.publish("flow.task.timed_out", {"task_id": task_id, "assignee_id": t["assignee"], "action": timeout.action})
    if timeout.action in ("auto_approve",):
        run.add("handled" if t["kind"] == "handle" else "approved", {"task": task_id, "system": True,
                                                                     "comment": "Approved automatically on timeout"},
                system)
        engine.completed(run, task_id)
        await engine.advance(run)
    elif timeout.action == "auto_reject":
        run.add("rejected", {"task": task_id, "system": True, "comment": "Rejected automatically on timeout"}, system)
        engine.finish(run, "rejected", system)
    elif timeout.action in ("escalate", "transfer"):
        to = await _escalation_target(run, t, timeout)
        if to is not None:
            await hand_over(run, task_id, to, system, None, reason=f"timeout_{timeout.action}")
    await save(run)


async def _escalation_target(run: Any, t: dict[str, Any], rule: m.Timeout) -> uuid.UUID | None:
    ctx = run.ctx
    if rule.action == "transfer":
        found = await active_only(ctx, [rule.transfer_to]) if rule.transfer_to else []
    else:
        from tack.directory.queries import manager_chain_ids

        # A delegate stands in for someone: escalate to the manager of the person it was meant for.
        chain = await manager_chain_ids(ctx, uuid.UUID(t.get("behalf") or t["assignee"]), 5)
        found = (await active_only(ctx, chain))[:1]
        if not found:
            found = await org_admins(ctx)
    found = [f for f in found if str(f) != t["assignee"]]
    return found[0] if found else None


@job(REMIND_JOB)
async def task_reminder(ctx: Ctx, payload: dict[str, Any]) -> None:
    run = await load(ctx, uuid.UUID(payload["instance_id"]))
    t = run.state["tasks"].get(payload["task_id"])
    if t is None or t["state"] != "pending" or not run.running:
        return
    run.add("reminded", {"task": payload["task_id"], "n": payload.get("n", 1)})
    run.publish("flow.task.reminder", {"task_id": payload["task_id"], "assignee_id": t["assignee"]})
    await save(run)


@job(DEADLINE_JOB)
async def deadline_passed(ctx: Ctx, payload: dict[str, Any]) -> None:
    run = await load(ctx, uuid.UUID(payload["instance_id"]))
    if not run.running:
        return
    deadline = run.graph.definition.settings.deadline
    if deadline is None:
        return  # moved to a version without a deadline
    action = deadline.action
    run.add("deadline_passed", {"action": action})
    if action == "auto_reject":
        engine.finish(run, "rejected")
    else:
        waiting = sorted({t["assignee"] for t in run.state["tasks"].values() if t["state"] == "pending"})
        run.publish("flow.urged", {"member_ids": waiting, "by_name": engine.SYSTEM_NAME, "deadline": True})
    await save(run)


@consumer("flows-deactivated-assignees", "member.deactivated")
async def member_deactivated(ctx: Ctx, event: Event) -> None:
    """No task stays with someone who can no longer act: each open one follows its node's rule
    for nobody found (passes, goes to the admins, or to a named member)."""
    member_id = uuid.UUID(str(event.data["id"]))
    rows = (await ctx.conn.execute(sa.select(flow_tasks.c.id, flow_tasks.c.instance_id).where(
        flow_tasks.c.org_id == ctx.org_id, flow_tasks.c.assignee_id == member_id,
        flow_tasks.c.state.in_(("pending", "waiting"))))).all()
    for instance_id in dict.fromkeys(r[1] for r in rows):
        run = await load(ctx, instance_id)
        for tid, t in list(run.state["tasks"].items()):
            if t["assignee"] != str(member_id) or t["state"] not in ("pending", "waiting") or not run.running:
                continue
            await _reassign(run, tid, t)
        await save(run)


async def _reassign(run: Any, tid: str, t: dict[str, Any]) -> None:
    if t["kind"] == "resubmit":  # the initiator left: nobody can resubmit
        engine.finish(run, "withdrawn")
        return
    node = run.graph.places[t["node"]].node
    empty = getattr(node, "empty", None) or run.graph.definition.settings.empty
    targets: list[uuid.UUID] = []
    if empty.action == "admin":
        targets = await org_admins(run.ctx)
    elif empty.action == "member" and empty.member_id is not None:
        targets = await active_only(run.ctx, [empty.member_id])
    targets = [x for x in targets if str(x) != t["assignee"]]
    if targets:
        if t["state"] == "pending":
            await hand_over(run, tid, targets[0], Who.system(), None, reason="deactivated")
        else:
            run.add("task_passed", {"task": tid, "reason": "deactivated"})
            engine.settle(run, t["node"])
            await engine.advance(run)
        return
    run.add("task_passed", {"task": tid, "reason": "deactivated"})
    run.cancelled_timers.append(tid)
    parent = t.get("blocks")
    if parent:
        engine.completed(run, tid)
    else:
        engine.settle(run, t["node"])
    await engine.advance(run)
