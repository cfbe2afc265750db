"""Automation nodes: set a field, start another form's flow, notify people — no person involved.

A field set here is written to the record at once (as the flow, with a revision), so the
conditions after the node see it. A flow started here runs as its own instance, submitted in
the initiator's name; if it cannot start (no published flow, a bad value) this node records
why and the request goes on: an automation must not strand the request it serves.
"""

from __future__ import annotations

import uuid
from typing import Any

from tack.core.ctx import Actor, Ctx
from tack.core.errors import Problem
from tack.flows import model as m
from tack.flows.assignees import resolve
from tack.flows.engine import Run


async def run_automation(run: Run, node: m.AutomationNode) -> None:
    results: list[dict[str, Any]] = []
    for k, action in enumerate(node.actions):
        try:
            if isinstance(action, m.SetField):
                results.append(await _set_field(run, node, k, action))
            elif isinstance(action, m.Notify):
                ids = [str(i) for i in await resolve(run.ctx, action.to, run.facts(node.id))]
                if ids:
                    run.publish("flow.notified", {"member_ids": ids, "message": action.message})
                results.append({"kind": "notify", "members": ids})
            elif isinstance(action, m.StartFlow):
                results.append(await _start_flow(run, node, k, action))
        except Problem as exc:
            results.append({"kind": action.__struct_config__.tag, "error": exc.detail or exc.title})
    run.add("automation_ran", {"node": node.id, "results": results})


async def _set_field(run: Run, node: m.AutomationNode, k: int, action: m.SetField) -> dict[str, Any]:
    from tack.flows.runtime import _write_record

    compiled = run.graph.values.get((node.id, k, ""))
    if compiled is None:
        return {"kind": "set_field", "field_id": action.field_id, "error": "the formula does not compile"}
    value = compiled(run.eval_context())
    record = await _write_record(run, {action.field_id: _plain(value)})
    before = run.data.get(action.field_id)
    run.data = dict(record.data)
    return {"kind": "set_field", "field_id": action.field_id, "from": before, "to": run.data.get(action.field_id)}


async def _start_flow(run: Run, node: m.AutomationNode, k: int, action: m.StartFlow) -> dict[str, Any]:
    from tack.flows.models import Submission
    from tack.flows.runtime import submit

    ectx = run.eval_context()
    data: dict[str, Any] = {}
    for fid in action.values:
        compiled = run.graph.values.get((node.id, k, fid))
        if compiled is not None:
            data[fid] = _plain(compiled(ectx))
    initiator = run.state.get("initiator_id")
    actor = Actor(kind="user", name=run.state.get("initiator_name") or "Tack",
                  member_id=uuid.UUID(initiator) if initiator else None)
    ctx = Ctx(org_id=run.ctx.org_id, actor=actor, conn=run.ctx.conn, clock=run.ctx.clock)
    started = await submit(ctx, action.form_id, Submission(data=data))
    return {"kind": "start_flow", "form_id": str(action.form_id), "instance_id": str(started)}


def _plain(value: Any) -> Any:
    import datetime as dt
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
