"""The projections of an instance's state: its row, its tasks, its CC rows, its record's status.

Each is a function of the state alone (tack.flows.state), written as the difference between the
state before and after a command's events, in the command's transaction. `rebuild` replays an
instance's log from nothing and writes them afresh: the same rows, because the same fold of the
same events gives the same state.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa

from tack.core.ctx import Ctx
from tack.flows import state as st
from tack.flows.tables import flow_cc, flow_events, flow_instances, flow_tasks
from tack.records.tables import records

RECORD_STATUS = {"running": "in_progress", "approved": "approved", "rejected": "rejected", "withdrawn": "withdrawn"}


def iso(at: dt.datetime) -> str:
    """How event times are written in the state: the same string from the clock and from the log."""
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _when(v: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(v) if v else None


def _id(v: Any) -> uuid.UUID | None:
    return uuid.UUID(v) if v else None


def task_row(ctx: Ctx, instance_id: uuid.UUID, s: st.State, task_id: str, t: dict[str, Any]) -> dict[str, Any]:
    return {"org_id": ctx.org_id, "id": uuid.UUID(task_id), "instance_id": instance_id, "node_id": t["node"],
            "node_name": t["node_name"], "kind": t["kind"], "assignee_id": uuid.UUID(t["assignee"]),
            "on_behalf_of": _id(t.get("behalf")), "state": t["state"], "app_id": uuid.UUID(s["app_id"]),
            "form_id": uuid.UUID(s["form_id"]), "title": s["title"], "initiator_id": _id(s.get("initiator_id")),
            "created_at": _when(t["created"]), "finished_at": _when(t.get("finished")), "due_at": _when(t.get("due")),
            "comment": t.get("comment")}


def instance_row(ctx: Ctx, instance_id: uuid.UUID, s: st.State, seq: int, updated: str) -> dict[str, Any]:
    return {"org_id": ctx.org_id, "id": instance_id, "flow_id": uuid.UUID(s["flow_id"]),
            "flow_version": s["flow_version"], "app_id": uuid.UUID(s["app_id"]), "form_id": uuid.UUID(s["form_id"]),
            "record_id": uuid.UUID(s["record_id"]), "title": s["title"], "initiator_id": _id(s.get("initiator_id")),
            "department_id": _id(s.get("department_id")), "status": s["status"], "seq": seq, "state": s,
            "started_at": _when(s["started"]), "finished_at": _when(s.get("finished")), "updated_at": _when(updated)}


async def write(ctx: Ctx, instance_id: uuid.UUID, before: st.State, after: st.State) -> None:
    """Write what changed between two states of one instance (its row is written by the caller)."""
    new_rows: list[dict[str, Any]] = []
    for tid, t in after["tasks"].items():
        old = before["tasks"].get(tid)
        if old is None:
            new_rows.append(task_row(ctx, instance_id, after, tid, t))
        elif old != t:
            await ctx.conn.execute(flow_tasks.update().where(
                flow_tasks.c.org_id == ctx.org_id, flow_tasks.c.id == uuid.UUID(tid)).values(
                state=t["state"], finished_at=_when(t.get("finished")), due_at=_when(t.get("due")),
                comment=t.get("comment"), assignee_id=uuid.UUID(t["assignee"]), on_behalf_of=_id(t.get("behalf"))))
    if new_rows:
        await ctx.conn.execute(flow_tasks.insert(), new_rows)
    cc_rows = [_cc_row(ctx, instance_id, after, mid, c) for mid, c in after["cc"].items() if mid not in before["cc"]]
    if cc_rows:
        await ctx.conn.execute(flow_cc.insert(), cc_rows)
    if before.get("status") != after["status"]:
        await ctx.conn.execute(records.update().where(
            records.c.org_id == ctx.org_id, records.c.id == uuid.UUID(after["record_id"])).values(
            status=RECORD_STATUS.get(after["status"], "none")))


def _cc_row(ctx: Ctx, instance_id: uuid.UUID, s: st.State, member_id: str, c: dict[str, Any]) -> dict[str, Any]:
    return {"org_id": ctx.org_id, "instance_id": instance_id, "member_id": uuid.UUID(member_id), "node_id": c.get("node"),
            "by_id": _id(c.get("by")), "app_id": uuid.UUID(s["app_id"]), "form_id": uuid.UUID(s["form_id"]),
            "title": s["title"], "initiator_id": _id(s.get("initiator_id")), "at": _when(c["at"])}


async def load_log(ctx: Ctx, instance_id: uuid.UUID) -> list[sa.RowMapping]:
    return list((await ctx.conn.execute(sa.select(flow_events).where(
        flow_events.c.org_id == ctx.org_id, flow_events.c.instance_id == instance_id).order_by(
        flow_events.c.seq))).mappings().all())


async def rebuild(ctx: Ctx, instance_id: uuid.UUID) -> st.State:
    """Replay the instance's log and write every projection of it afresh."""
    log = await load_log(ctx, instance_id)
    s = st.replay([(e["type"], e["data"], iso(e["at"])) for e in log])
    for table in (flow_tasks, flow_cc):
        await ctx.conn.execute(table.delete().where(table.c.org_id == ctx.org_id, table.c.instance_id == instance_id))
    await ctx.conn.execute(flow_instances.delete().where(flow_instances.c.org_id == ctx.org_id,
                                                         flow_instances.c.id == instance_id))
    if not log:
        return s
    await ctx.conn.execute(flow_instances.insert().values(
        **instance_row(ctx, instance_id, s, log[-1]["seq"], iso(log[-1]["at"]))))
    await write(ctx, instance_id, {**st.empty(), "status": s["status"], "record_id": s["record_id"]}, s)
    await ctx.conn.execute(records.update().where(
        records.c.org_id == ctx.org_id, records.c.id == uuid.UUID(s["record_id"])).values(
        status=RECORD_STATUS.get(s["status"], "none")))
    return s
