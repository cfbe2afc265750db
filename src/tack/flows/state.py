"""An instance's state: the fold of its event log.

`apply(state, event)` is pure and is the only thing that changes a state: the engine applies
each event it decides as it appends it, and a replay applies the stored log from the start,
so both arrive at the same state. The projections (tasks, CC rows, the instance row and the
record's approval status) are functions of the state (tack.flows.projection), which is why a
replay rebuilds them identically.

The state is plain JSON (it is stored on the instance row):

    status        running | approved | rejected | withdrawn
    tasks         {task_id: {node, node_name, kind, assignee, behalf, state, required, blocks,
                   order, created, finished, due, comment, overdue}}
    active        {node_id: {"mode": all|any|sequential}}   nodes waiting for people
    joins         {parallel_node_id: [branch ids still running]}
    passed        [[node_id, scope]]   nodes people completed, in order (return targets)
    taken         {condition_node_id: branch_id}
    cc            {member_id: {node, by, at}}
    approved_by   [member ids]        (approver de-duplication "keep first")
    last_approvers [member ids]       (de-duplication "only consecutive")
    returned_from node id while the request is back with its initiator
    acted         someone other than the system has acted (withdraw "until first action")
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

State = dict[str, Any]
OPEN = ("pending", "waiting")
FOLDS: dict[str, Callable[[State, dict[str, Any], str], None]] = {}


def fold(type_: str) -> Callable[[Callable[[State, dict[str, Any], str], None]], Callable[..., None]]:
    def deco(fn: Callable[[State, dict[str, Any], str], None]) -> Callable[..., None]:
        FOLDS[type_] = fn
        return fn
    return deco


def empty() -> State:
    return {"status": "new", "tasks": {}, "active": {}, "joins": {}, "passed": [], "taken": {}, "cc": {}, "skipped": {},
            "approved_by": [], "last_approvers": [], "returned_from": None, "acted": False}


def apply(state: State, type_: str, data: dict[str, Any], at: str) -> None:
    """Fold one event into `state` (in place). `at` is the event's time, ISO 8601."""
    fn = FOLDS.get(type_)
    if fn is not None:
        fn(state, data, at)


def replay(events: list[tuple[str, dict[str, Any], str]]) -> State:
    state = empty()
    for type_, data, at in events:
        apply(state, type_, data, at)
    return state


def snapshot(state: State) -> State:
    return copy.deepcopy(state)


def open_tasks(state: State, node_id: str | None = None) -> list[str]:
    return [t for t, v in state["tasks"].items() if v["state"] in OPEN and (node_id is None or v["node"] == node_id)]


@fold("started")
def _started(s: State, d: dict[str, Any], at: str) -> None:
    s.update({k: d[k] for k in ("flow_id", "flow_version", "form_id", "app_id", "record_id", "title", "initiator_id",
                                "department_id", "selections", "initiator_name")})
    s["status"] = "running"
    s["started"] = at


@fold("node_entered")
def _node_entered(s: State, d: dict[str, Any], at: str) -> None:
    s["active"][d["node"]] = {"mode": d["mode"], "entry": d["entry"]}


@fold("node_skipped")
def _node_skipped(s: State, d: dict[str, Any], at: str) -> None:
    s["skipped"][d["node"]] = d["reason"]


@fold("task_assigned")
def _task_assigned(s: State, d: dict[str, Any], at: str) -> None:
    s["tasks"][d["task"]] = {
        "node": d["node"], "node_name": d["node_name"], "kind": d["kind"], "assignee": d["assignee"],
        "behalf": d.get("behalf"), "state": d["state"], "required": d.get("required", False),
        "blocks": d.get("blocks"), "order": d.get("order", 0), "entry": d.get("entry"), "created": at, "finished": None,
        "due": d.get("due"), "comment": None, "overdue": False}


@fold("task_activated")
def _task_activated(s: State, d: dict[str, Any], at: str) -> None:
    t = s["tasks"][d["task"]]
    t["state"] = "pending"
    t["due"] = d.get("due")


def _finish_task(s: State, d: dict[str, Any], at: str, state: str) -> None:
    t = s["tasks"][d["task"]]
    t["state"] = state
    t["finished"] = at
    t["comment"] = d.get("comment")
    if state != "cancelled" and not d.get("system"):
        s["acted"] = True


@fold("approved")
def _approved(s: State, d: dict[str, Any], at: str) -> None:
    _finish_task(s, d, at, "approved")
    who = s["tasks"][d["task"]]["assignee"]
    if who not in s["approved_by"]:
        s["approved_by"].append(who)


@fold("handled")
def _handled(s: State, d: dict[str, Any], at: str) -> None:
    _finish_task(s, d, at, "handled")


@fold("rejected")
def _rejected(s: State, d: dict[str, Any], at: str) -> None:
    _finish_task(s, d, at, "rejected")


@fold("task_passed")
def _task_passed(s: State, d: dict[str, Any], at: str) -> None:
    _finish_task(s, {**d, "system": True}, at, "passed")


@fold("tasks_cancelled")
def _tasks_cancelled(s: State, d: dict[str, Any], at: str) -> None:
    for tid in d["tasks"]:
        t = s["tasks"][tid]
        t["state"] = "cancelled"
        t["finished"] = at


@fold("node_completed")
def _node_completed(s: State, d: dict[str, Any], at: str) -> None:
    s["active"].pop(d["node"], None)
    s["passed"].append([d["node"], d.get("scope")])
    if d.get("approvers") is not None:
        s["last_approvers"] = list(d["approvers"])


@fold("node_left")
def _node_left(s: State, d: dict[str, Any], at: str) -> None:
    s["active"].pop(d["node"], None)


@fold("branch_taken")
def _branch_taken(s: State, d: dict[str, Any], at: str) -> None:
    s["taken"][d["node"]] = d["branch"]


@fold("parallel_started")
def _parallel_started(s: State, d: dict[str, Any], at: str) -> None:
    s["joins"][d["node"]] = list(d["branches"])


@fold("branch_joined")
def _branch_joined(s: State, d: dict[str, Any], at: str) -> None:
    left = [b for b in s["joins"].get(d["node"], []) if b != d["branch"]]
    if left:
        s["joins"][d["node"]] = left
    else:
        s["joins"].pop(d["node"], None)


@fold("cc")
def _cc(s: State, d: dict[str, Any], at: str) -> None:
    for mid in d["members"]:
        s["cc"].setdefault(mid, {"node": d.get("node"), "by": d.get("by"), "at": at})


@fold("returned")
def _returned(s: State, d: dict[str, Any], at: str) -> None:
    _finish_task(s, d, at, "returned")
    node = s["tasks"][d["task"]]["node"]
    if d["to"] == "initiator":
        s["returned_from"] = node
        s["joins"] = {}
        return
    # Nodes after the target on the way back are passed again: forget them as return targets.
    for i, (nid, _scope) in enumerate(s["passed"]):
        if nid == d["to"]:
            s["passed"] = s["passed"][:i]
            break


@fold("transferred")
def _transferred(s: State, d: dict[str, Any], at: str) -> None:
    old = s["tasks"][d["task"]]
    _finish_task(s, d, at, "transferred")
    s["tasks"][d["new_task"]] = {**old, "assignee": d["to"], "behalf": d.get("behalf"), "state": "pending",
                                 "created": at, "finished": None, "comment": None, "due": d.get("due"),
                                 "overdue": False}


@fold("sign_added")
def _sign_added(s: State, d: dict[str, Any], at: str) -> None:
    base = s["tasks"][d["task"]]
    if d["position"] == "before":
        base["state"] = "waiting"
    if not d.get("system"):
        s["acted"] = True
    # Who is added before a task blocks it; who is added after a task that itself blocks another
    # (an approver added before someone) takes its place in front of that one, or it never wakes.
    blocks = d["task"] if d["position"] == "before" else base.get("blocks") if d["position"] == "after" else None
    for i, t in enumerate(d["tasks"]):
        s["tasks"][t["id"]] = {
            "node": base["node"], "node_name": base["node_name"], "kind": base["kind"], "assignee": t["assignee"],
            "behalf": t.get("behalf"), "state": "pending", "required": d["position"] != "parallel",
            "blocks": blocks, "order": i, "entry": base.get("entry"),
            "created": at,
            "finished": None, "due": t.get("due"), "comment": None, "overdue": False, "added": d["position"]}


@fold("timed_out")
def _timed_out(s: State, d: dict[str, Any], at: str) -> None:
    s["tasks"][d["task"]]["overdue"] = True


@fold("resubmitted")
def _resubmitted(s: State, d: dict[str, Any], at: str) -> None:
    _finish_task(s, d, at, "resubmitted")
    s["returned_from"] = None


@fold("restarted")
def _restarted(s: State, d: dict[str, Any], at: str) -> None:
    s.update({"active": {}, "joins": {}, "passed": [], "taken": {}, "skipped": {}, "approved_by": [],
              "last_approvers": []})


@fold("migrated")
def _migrated(s: State, d: dict[str, Any], at: str) -> None:
    s["flow_version"] = d["to_version"]


@fold("finished")
def _finished(s: State, d: dict[str, Any], at: str) -> None:
    s["status"] = d["status"]
    s["finished"] = at
    for t in s["tasks"].values():
        if t["state"] in OPEN:
            t["state"] = "cancelled"
            t["finished"] = at
    s["active"] = {}
    s["joins"] = {}
    s["returned_from"] = None
