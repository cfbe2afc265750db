"""The approval engine: from an instance's state and a command, the events that follow.

A `Run` is one command on one instance. Every decision is an event appended with `Run.add`,
which folds it into the state at once (tack.flows.state), so later decisions in the same
command see it. Moving through the tree is a work list, not recursion, so a long flow cannot
overflow the stack: "enter a node", "go on after a node", "a branch is done". The run stops
when nothing is left to do: people have tasks, or the request has finished.

Nothing here writes to the database except through the resolvers it reads with; `tack.flows.
runtime` loads a Run, calls the engine and saves the events, projections and outbox together.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tack.core.ctx import Ctx
from tack.core.errors import Conflict, ValidationFailed
from tack.core.ids import new_id
from tack.flows import model as m
from tack.flows import state as st
from tack.flows.assignees import Facts, active_only, org_admins, resolve
from tack.flows.checks import INITIATOR, INITIATOR_DEPARTMENT
from tack.flows.graph import ROOT, Graph
from tack.flows.projection import iso
from tack.flows.tables import flow_delegations
from tack.forms.definition import CompiledForm
from tack.forms.values import formula_view
from tack.formula import EvalContext

SYSTEM_NAME = "Tack"
FINAL_TASK_STATES = ("approved", "rejected", "handled", "returned", "transferred", "cancelled", "passed", "resubmitted")


@dataclass
class Who:
    """Who does what an event records: a member (maybe standing in for another), or the system."""

    member_id: uuid.UUID | None
    name: str
    behalf: uuid.UUID | None = None

    @staticmethod
    def system() -> Who:
        return Who(member_id=None, name=SYSTEM_NAME)


@dataclass
class Run:
    ctx: Ctx
    instance_id: uuid.UUID
    graph: Graph
    form: CompiledForm
    state: st.State
    seq: int
    data: dict[str, Any]  # the record's stored values
    time_zone: str
    field_types: dict[str, str] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    timers: list[tuple[str, str, m.Timeout]] = field(default_factory=list)  # (task id, node id, timeout)
    cancelled_timers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    queue: deque[tuple[str, str]] = field(default_factory=deque)
    start_seq: int = 0

    def __post_init__(self) -> None:
        self.before = st.snapshot(self.state)
        self.start_seq = self.seq

    # --- the log ---------------------------------------------------------------------------
    def add(self, type_: str, data: dict[str, Any], who: Who | None = None) -> None:
        who = who or Who.system()
        self.seq += 1
        now = self.ctx.now()  # one reading: the state and the stored event must agree, or a replay differs
        st.apply(self.state, type_, data, iso(now))
        self.events.append({"org_id": self.ctx.org_id, "instance_id": self.instance_id, "seq": self.seq,
                            "type": type_, "at": now, "actor_id": who.member_id,
                            "actor_name": who.name, "on_behalf_of": who.behalf, "data": data})

    def publish(self, type_: str, data: dict[str, Any]) -> None:
        s = self.state
        self.outbox.append((type_, {"instance_id": str(self.instance_id), "form_id": s["form_id"],
                                    "app_id": s["app_id"], "title": s["title"],
                                    "initiator_id": s.get("initiator_id"), **data}))

    @property
    def running(self) -> bool:
        return bool(self.state["status"] == "running")

    def facts(self, node_id: str = "") -> Facts:
        s = self.state
        sel = {k: [uuid.UUID(v) for v in vs] for k, vs in (s.get("selections") or {}).items()}
        return Facts(initiator_id=_uuid(s.get("initiator_id")), department_id=_uuid(s.get("department_id")),
                     data=self.data, selections=sel, node_id=node_id, field_types=self.field_types)

    def eval_context(self) -> EvalContext:
        values = formula_view(self.form, self.data)
        values[INITIATOR] = self.state.get("initiator_id")
        values[INITIATOR_DEPARTMENT] = self.state.get("department_id")
        return EvalContext(values, clock=self.ctx.clock, tz=ZoneInfo(self.time_zone))


def _uuid(v: Any) -> uuid.UUID | None:
    return uuid.UUID(str(v)) if v else None


# --- moving through the tree ----------------------------------------------------------------

async def start(run: Run) -> None:
    """After `started`: go on from the start node."""
    run.queue.append(("after", run.graph.start().id))
    await advance(run)


async def advance(run: Run) -> None:
    while run.queue and run.running:
        what, target = run.queue.popleft()
        if what == "enter":
            await enter(run, target)
        elif what == "after":
            after(run, target)
        elif what == "branch_done":
            branch_done(run, target)


def after(run: Run, node_id: str) -> None:
    nxt = run.graph.next_of(node_id)
    if nxt is not None:
        run.queue.append(("enter", nxt))
        return
    container = run.graph.places[node_id].container
    if container == ROOT:
        finish(run, "approved")
    else:
        run.queue.append(("branch_done", container))


def after_list(run: Run, container: str, gateway_id: str) -> None:
    """Go into a branch's list, or straight to "branch done" when it is empty."""
    first = run.graph.first_of(container)
    if first is None:
        run.queue.append(("branch_done", container))
    else:
        run.queue.append(("enter", first))


def branch_done(run: Run, branch_id: str) -> None:
    gateway = run.graph.branch_owner[branch_id]
    node = run.graph.node(gateway)
    if isinstance(node, m.ParallelNode):
        run.add("branch_joined", {"node": gateway, "branch": branch_id})
        if gateway in run.state["joins"]:
            return  # other branches still run
    run.queue.append(("after", gateway))


async def enter(run: Run, node_id: str) -> None:
    node = run.graph.node(node_id)
    if isinstance(node, (m.ApproverNode, m.HandlerNode)):
        await assign(run, node)
    elif isinstance(node, m.CcNode):
        ids = await resolve(run.ctx, node.assignees, run.facts(node.id))
        if ids:
            members = [str(i) for i in ids]
            run.add("cc", {"node": node.id, "members": members})
            run.publish("flow.cc", {"member_ids": members, "by_name": SYSTEM_NAME})
        run.queue.append(("after", node_id))
    elif isinstance(node, m.ConditionNode):
        branch = choose_branch(run, node)
        run.add("branch_taken", {"node": node.id, "branch": branch.id})
        after_list(run, branch.id, node.id)
    elif isinstance(node, m.ParallelNode):
        run.add("parallel_started", {"node": node.id, "branches": [b.id for b in node.branches]})
        for b in node.branches:
            after_list(run, b.id, node.id)
    elif isinstance(node, m.AutomationNode):
        from tack.flows.automation import run_automation

        await run_automation(run, node)
        run.queue.append(("after", node_id))
    else:  # a start node met again (never: it is first) — go on
        run.queue.append(("after", node_id))


def choose_branch(run: Run, node: m.ConditionNode) -> m.Branch:
    """The first branch, by priority, whose condition is TRUE; else the default one. A condition
    that cannot be worked out (an error value, a blank) counts as not met."""
    ectx = run.eval_context()
    default = None
    for b in node.branches:
        if b.default:
            default = b
            continue
        compiled = run.graph.conditions.get(b.id)
        if compiled is None:
            continue
        try:
            if compiled(ectx) is True:
                return b
        except Exception:  # a formula never takes the engine down; the branch is just not taken
            continue
    if default is None:  # publishing refuses this; an old definition falls through to the last
        return node.branches[-1]
    return default


# --- people ---------------------------------------------------------------------------------

async def assign(run: Run, node: m.ApproverNode | m.HandlerNode) -> None:
    s = run.state
    settings = run.graph.definition.settings
    ids = await resolve(run.ctx, node.assignees, run.facts(node.id))
    mode = "sequential" if any(isinstance(r, m.ManagerChain) for r in node.assignees) else node.mode
    reason = None
    if not ids:
        empty = node.empty or settings.empty
        if empty.action == "admin":
            ids = await org_admins(run.ctx)
        elif empty.action == "member" and empty.member_id is not None:
            ids = await active_only(run.ctx, [empty.member_id])
        reason = "nobody"
    initiator = _uuid(s.get("initiator_id"))
    if ids and isinstance(node, m.ApproverNode):
        if settings.auto_pass_initiator and initiator in ids:
            if mode == "any":
                ids, reason = [], "initiator"
            else:
                ids = [i for i in ids if i != initiator]
                reason = reason or "initiator"
        if settings.dedupe != "off" and ids:
            seen = s["approved_by"] if settings.dedupe == "keep_first" else s["last_approvers"]
            kept = [i for i in ids if str(i) not in seen]
            if not kept:
                ids, reason = [], "dedupe"
            else:
                ids = kept
    if not ids:
        run.add("node_skipped", {"node": node.id, "reason": reason or "nobody"})
        run.queue.append(("after", node.id))
        return
    entry = run.seq + 1  # the sequence number of its node_entered event: unique in the instance
    run.add("node_entered", {"node": node.id, "mode": mode, "entry": entry})
    behalf = await delegates(run, ids)
    kind = "handle" if isinstance(node, m.HandlerNode) else "approve"
    for i, member in enumerate(ids):
        first = mode != "sequential" or i == 0
        assign_task(run, node, member, behalf.get(member), kind=kind, entry=entry, order=i,
                    state="pending" if first else "waiting")


def assign_task(run: Run, node: Any, member: uuid.UUID, behalf: uuid.UUID | None, *, kind: str, entry: int,
                order: int = 0, state: str = "pending", required: bool = False, blocks: str | None = None) -> str:
    """One task: to the member's delegate when they are away (`behalf` is the member then)."""
    task_id = str(new_id())
    assignee = behalf if behalf is not None else member
    on_behalf = member if behalf is not None else None
    data = {"task": task_id, "node": node.id, "node_name": node.name, "kind": kind, "assignee": str(assignee),
            "behalf": str(on_behalf) if on_behalf else None, "state": state, "entry": entry, "order": order,
            "required": required, "blocks": blocks}
    run.add("task_assigned", data)
    if state == "pending":
        announce(run, task_id)
    return task_id


def announce(run: Run, task_id: str) -> None:
    """A task became someone's to do: tell them, and start its clock."""
    t = run.state["tasks"][task_id]
    run.publish("flow.task.assigned", {"task_id": task_id, "assignee_id": t["assignee"], "node_id": t["node"],
                                       "node_name": t["node_name"], "kind": t["kind"],
                                       "initiator_name": run.state.get("initiator_name")})
    node = run.graph.places.get(t["node"])
    timeout = getattr(node.node, "timeout", None) if node else None
    if timeout is not None:
        run.timers.append((task_id, t["node"], timeout))


async def delegates(run: Run, ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Member -> the delegate standing in for them now (for this flow), active delegates only."""
    now = run.ctx.now()
    rows = (await run.ctx.conn.execute(sa.select(
        flow_delegations.c.member_id, flow_delegations.c.delegate_id, flow_delegations.c.flow_ids).where(
        flow_delegations.c.org_id == run.ctx.org_id, flow_delegations.c.member_id.in_(ids),
        flow_delegations.c.starts_at <= now, flow_delegations.c.ends_at > now,
        flow_delegations.c.revoked_at.is_(None)).order_by(flow_delegations.c.created_at))).all()
    flow_id = run.state["flow_id"]
    found: dict[uuid.UUID, uuid.UUID] = {}
    for member, delegate, flow_ids in rows:
        if flow_ids and flow_id not in flow_ids:
            continue
        found[member] = delegate
    if found:
        active = set(await active_only(run.ctx, list(set(found.values()))))
        found = {k: v for k, v in found.items() if v in active}
    return found


# --- tasks finishing --------------------------------------------------------------------------

def task_of(run: Run, task_id: str, member_id: uuid.UUID | None, *, states: tuple[str, ...] = ("pending",)) -> dict[str, Any]:
    """The task, if it is still open and it is this member's; else a 409 (someone acted first) —
    or a 404-like refusal for someone else's task."""
    t = run.state["tasks"].get(task_id)
    if t is None:
        raise ValidationFailed.field("task_id", "No such task in this request.", "exists")
    if member_id is not None and t["assignee"] != str(member_id):
        from tack.core.errors import Forbidden

        raise Forbidden("This task is not yours.")
    if t["state"] not in states or not run.running:
        raise Conflict(f"This task is already {t['state'] if run.running else 'closed'}: someone acted first. Reload.",
                       extra={"task_state": t["state"], "request_status": run.state["status"]})
    return t  # type: ignore[no-any-return]


def current(run: Run, node_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The tasks of the node's current activation."""
    act = run.state["active"].get(node_id)
    if act is None:
        return []
    entry = act.get("entry")
    return [(tid, t) for tid, t in run.state["tasks"].items() if t["node"] == node_id and t.get("entry") == entry]


def completed(run: Run, task_id: str) -> None:
    """After a task was approved or handled: unblock who waited for it, then see whether its node is done."""
    t = run.state["tasks"][task_id]
    run.cancelled_timers.append(task_id)
    run.publish("flow.task.completed", {"task_id": task_id, "outcome": t["state"], "assignee_id": t["assignee"]})
    parent = t.get("blocks")
    if parent:
        still = [x for x, v in run.state["tasks"].items() if v.get("blocks") == parent and v["state"] in st.OPEN]
        if not still and run.state["tasks"][parent]["state"] == "waiting":
            activate(run, parent)
        return
    settle(run, t["node"])


def activate(run: Run, task_id: str) -> None:
    run.add("task_activated", {"task": task_id})
    announce(run, task_id)


def settle(run: Run, node_id: str) -> None:
    act = run.state["active"].get(node_id)
    if act is None:
        return
    tasks = current(run, node_id)
    mode = act["mode"]
    open_ = [(tid, t) for tid, t in tasks if t["state"] in st.OPEN]
    if mode == "any":
        done = any(t["state"] in ("approved", "handled") and not t.get("blocks") for _i, t in tasks)
        required_open = [tid for tid, t in open_ if t.get("required")]
        if (not done and open_) or required_open:
            return  # (nobody approved and nobody is left: every task passed, the node is done)
    elif open_:
        if mode == "sequential" and not any(t["state"] == "pending" for _i, t in open_):
            nxt = sorted(((t["order"], tid) for tid, t in open_ if t["state"] == "waiting"
                          and not any(v.get("blocks") == tid and v["state"] in st.OPEN
                                      for v in run.state["tasks"].values())))
            if nxt:
                activate(run, nxt[0][1])
        return
    leftovers = [tid for tid, t in open_]
    if leftovers:
        run.add("tasks_cancelled", {"tasks": leftovers})
        run.cancelled_timers.extend(leftovers)
    node = run.graph.node(node_id)
    approvers = [t["assignee"] for _i, t in tasks if t["state"] == "approved"] \
        if isinstance(node, m.ApproverNode) else None
    run.add("node_completed", {"node": node_id, "scope": run.graph.places[node_id].scope, "approvers": approvers})
    run.queue.append(("after", node_id))


def finish(run: Run, status: str, who: Who | None = None) -> None:
    open_ = st.open_tasks(run.state)
    run.cancelled_timers.extend(open_)
    run.add("finished", {"status": status}, who)
    run.publish("flow.instance.finished", {"status": status})


# --- returns ----------------------------------------------------------------------------------

def return_targets(run: Run, node_id: str) -> list[str]:
    """Where a task at `node_id` may send the request back to: the nodes people completed
    before it in its own scope (nearest last), and the initiator."""
    scope = run.graph.places[node_id].scope
    seen: list[str] = []
    for nid, sc in run.state["passed"]:
        if sc == scope and nid != node_id and nid in run.graph.places and nid not in seen:
            seen.append(nid)
    return seen


async def send_back(run: Run, task_id: str, to: str, who: Who, comment: str | None) -> None:
    t = run.state["tasks"][task_id]
    node_id = t["node"]
    targets = return_targets(run, node_id)
    if to == "previous":
        to = targets[-1] if targets else "initiator"
    if to != "initiator" and to not in targets:
        raise ValidationFailed.field("$.to", "You can return the request only to a step it has passed, or to the "
                                     "initiator.", "return_target")
    initiator = _uuid(run.state.get("initiator_id"))
    if to == "initiator" and initiator is not None and not await active_only(run.ctx, [initiator]):
        # Nobody could resubmit it: the task would wait forever for someone who has left.
        raise Conflict("The person who submitted this request has left the organization: it cannot go back to "
                       "them. Approve or reject it instead.")
    others = [tid for tid, v in current(run, node_id) if v["state"] in st.OPEN and tid != task_id]
    run.add("returned", {"task": task_id, "to": to, "comment": comment}, who)
    run.cancelled_timers.append(task_id)
    if to == "initiator":
        everything = st.open_tasks(run.state)
        if everything:
            run.add("tasks_cancelled", {"tasks": everything})
            run.cancelled_timers.extend(everything)
        for nid in list(run.state["active"]):
            run.add("node_left", {"node": nid})
        initiator = _uuid(run.state.get("initiator_id"))
        if initiator is None:
            finish(run, "rejected")
            return
        start_node = run.graph.start()
        assign_task(run, start_node, initiator, None, kind="resubmit", entry=-1)
        run.publish("flow.returned", {"to": "initiator"})
        return
    if others:
        run.add("tasks_cancelled", {"tasks": others})
        run.cancelled_timers.extend(others)
    run.add("node_left", {"node": node_id})
    run.queue.append(("enter", to))
    await advance(run)


async def resubmitted(run: Run, task_id: str, who: Who, changes: dict[str, Any]) -> None:
    returned_from = run.state.get("returned_from")
    run.add("resubmitted", {"task": task_id, "changes": changes}, who)
    restart = run.graph.definition.settings.on_resubmit == "restart" or returned_from not in run.graph.places \
        or run.graph.places[returned_from].scope is not None
    if restart:
        run.add("restarted", {})
        run.queue.append(("after", run.graph.start().id))
    else:
        run.queue.append(("enter", str(returned_from)))
    await advance(run)


def due_at(start: dt.datetime, timeout: m.Timeout | m.Deadline, calendar: Any, tz: str) -> dt.datetime | None:
    """When a timeout falls due; None when the calendar has no such time within its search
    (years of working days on a calendar with few): the task then simply has no timeout."""
    from tack.flows.calendar import add_time

    try:
        return add_time(start, timeout.after, timeout.unit, calendar, ZoneInfo(tz))
    except ValueError:
        return None
