"""The path a request takes: which steps, which branch, who acts — before and while it runs.

Before submitting, the submit page shows the path for the values typed so far: conditions are
worked out on them, assignee rules resolved against today's org chart, nothing saved. For a
running instance the same walk marks what is done, what is waiting and what is still to come
(the future predicted the same way).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from tack.directory.tables import members
from tack.flows import model as m
from tack.flows.assignees import resolve
from tack.flows.engine import Run, choose_branch
from tack.flows.graph import ROOT
from tack.flows.models import Person, Step, StepBranch

SKIP_NOTES = {"nobody": "Nobody found: passed by itself", "initiator": "You are the approver: passed by itself",
              "dedupe": "Already approved by the same person: passed by itself"}


async def plan(run: Run) -> list[Step]:
    names: dict[str, str] = {}
    steps = await _list(run, ROOT, names)
    await _fill_names(run, steps, names)
    return steps


async def missing_selections(run: Run) -> list[str]:
    """Self-select steps on the predicted path for which the initiator picked nobody."""
    out: list[str] = []
    for node in await _path_nodes(run, ROOT):
        rules = getattr(node, "assignees", None) or []
        if any(isinstance(r, m.SelfSelect) for r in rules) and not (run.state.get("selections") or {}).get(node.id):
            out.append(node.id)
    return out


async def _path_nodes(run: Run, container: str) -> list[Any]:
    out: list[Any] = []
    for nid in run.graph.lists.get(container, []):
        node = run.graph.node(nid)
        out.append(node)
        if isinstance(node, m.ConditionNode):
            out.extend(await _path_nodes(run, _branch_of(run, node).id))
        elif isinstance(node, m.ParallelNode):
            for b in node.branches:
                out.extend(await _path_nodes(run, b.id))
    return out


def _branch_of(run: Run, node: m.ConditionNode) -> m.Branch:
    taken = run.state.get("taken", {}).get(node.id)
    if taken is not None:
        return run.graph.branches[taken]
    return choose_branch(run, node)


async def _list(run: Run, container: str, names: dict[str, str]) -> list[Step]:
    steps: list[Step] = []
    s = run.state
    for nid in run.graph.lists.get(container, []):
        node = run.graph.node(nid)
        kind = node.__struct_config__.tag
        if isinstance(node, m.StartNode):
            who = [s["initiator_id"]] if s.get("initiator_id") else []
            steps.append(Step(node_id=nid, type=kind, name=node.name, state="done" if s["status"] != "new" else "planned",
                              assignees=[Person(id=uuid.UUID(x), name="") for x in who]))
            continue
        if isinstance(node, m.ConditionNode):
            b = _branch_of(run, node)
            steps.append(Step(node_id=nid, type=kind, name=node.name, branch=b.name,
                              state="done" if nid in s.get("taken", {}) else _future(run)))
            steps.extend(await _list(run, b.id, names))
            continue
        if isinstance(node, m.ParallelNode):
            branches = [StepBranch(id=b.id, name=b.name, steps=await _list(run, b.id, names)) for b in node.branches]
            state = "active" if nid in s.get("joins", {}) else _future(run)
            if any(p[0] == nid for p in s.get("passed", [])) or _all_done(branches):
                state = "done" if s["status"] != "new" else state
            steps.append(Step(node_id=nid, type=kind, name=node.name, state=state, branches=branches))
            continue
        if isinstance(node, m.AutomationNode):
            steps.append(Step(node_id=nid, type=kind, name=node.name, state=_future(run)))
            continue
        steps.append(await _people_step(run, node))
    return steps


def _all_done(branches: list[StepBranch]) -> bool:
    return bool(branches) and all(all(st.state in ("done", "skipped") for st in b.steps) for b in branches)


def _future(run: Run) -> str:
    return "planned" if run.state["status"] == "new" else "pending"


async def _people_step(run: Run, node: Any) -> Step:
    s = run.state
    kind = node.__struct_config__.tag
    mode = getattr(node, "mode", None)
    if any(isinstance(r, m.ManagerChain) for r in getattr(node, "assignees", [])):
        mode = "sequential"
    if node.id in s.get("active", {}):
        entry = s["active"][node.id].get("entry")
        # Who has it now or did their part; not who handed it on (a transfer) or was cancelled.
        people = [t["assignee"] for t in s["tasks"].values() if t["node"] == node.id and t.get("entry") == entry
                  and t["state"] not in ("transferred", "cancelled")]
        return Step(node_id=node.id, type=kind, name=node.name, state="active", mode=s["active"][node.id]["mode"],
                    assignees=[Person(id=uuid.UUID(x), name="") for x in dict.fromkeys(people)])
    if isinstance(node, m.CcNode):
        copied = [mid for mid, c in s.get("cc", {}).items() if c.get("node") == node.id]
        if copied:
            return Step(node_id=node.id, type=kind, name=node.name, state="done",
                        assignees=[Person(id=uuid.UUID(x), name="") for x in copied])
    done = [t for t in s["tasks"].values() if t["node"] == node.id and t["state"] in ("approved", "handled")]
    if any(p[0] == node.id for p in s.get("passed", [])):
        return Step(node_id=node.id, type=kind, name=node.name, state="done", mode=mode,
                    assignees=[Person(id=uuid.UUID(t["assignee"]), name="") for t in done])
    if node.id in s.get("skipped", {}):
        return Step(node_id=node.id, type=kind, name=node.name, state="skipped", mode=mode,
                    note=SKIP_NOTES.get(s["skipped"][node.id]))
    rules = getattr(node, "assignees", [])
    ids = await resolve(run.ctx, rules, run.facts(node.id))
    note = None
    if any(isinstance(r, m.SelfSelect) for r in rules) and not (s.get("selections") or {}).get(node.id):
        note = "You choose"
    elif not ids:
        empty = getattr(node, "empty", None) or run.graph.definition.settings.empty
        note = {"auto_pass": SKIP_NOTES["nobody"], "admin": "Nobody found: goes to the administrators",
                "member": "Nobody found: goes to a named member"}.get(empty.action) if kind != "cc" else "Nobody found"
    return Step(node_id=node.id, type=kind, name=node.name, state=_future(run), mode=mode if kind != "cc" else None,
                assignees=[Person(id=i, name="") for i in ids], note=note)


async def _fill_names(run: Run, steps: list[Step], names: dict[str, str]) -> None:
    ids: set[uuid.UUID] = set()

    def collect(items: list[Step]) -> None:
        for st in items:
            ids.update(p.id for p in st.assignees)
            for b in st.branches:
                collect(b.steps)
    collect(steps)
    if ids:
        rows = (await run.ctx.conn.execute(sa.select(members.c.id, members.c.name).where(
            members.c.org_id == run.ctx.org_id, members.c.id.in_(ids)))).all()
        names.update({str(r[0]): r[1] for r in rows})

    def fill(items: list[Step]) -> None:
        for st in items:
            for p in st.assignees:
                p.name = names.get(str(p.id), "")
            for b in st.branches:
                fill(b.steps)
    fill(steps)
