"""Reading an approval: the instance page (form, path, tasks, what the reader may do) and its
timeline, and the path preview of the submit page."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from tack.apps.service import form_row
from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.errors import ValidationFailed
from tack.core.ids import new_id
from tack.directory.tables import members
from tack.flows import engine
from tack.flows import model as m
from tack.flows import state as st
from tack.flows.engine import Run
from tack.flows.models import (
    Can,
    Instance,
    PathPreview,
    Person,
    Step,
    Submission,
    Task,
    Timeline,
    TimelineEntry,
)
from tack.flows.preview import missing_selections, plan
from tack.flows.runtime import _field_types, _time_zone, can_see, load, mark_read
from tack.flows.service import compiled_flow, flow_of_form
from tack.flows.tables import flow_events
from tack.records.tables import records


async def get_instance(ctx: Ctx, instance_id: uuid.UUID, *, mark: bool = False) -> Instance:
    require(ctx.actor, "record.read")
    run = await load(ctx, instance_id, lock=False)
    if not await can_see(ctx, run):
        from tack.core.errors import NotFound

        raise NotFound("No such approval in this organization.")
    if mark:
        await mark_read(ctx, instance_id)
    s = run.state
    me = str(ctx.actor.member_id) if ctx.actor.member_id else None
    names = await _names(ctx, _people(s))
    tasks = [_task(run, tid, t, names) for tid, t in s["tasks"].items()]
    tasks.sort(key=lambda t: (t.created_at, str(t.id)))
    mine = [t for t in tasks if me is not None and str(t.assignee.id) == me and t.state == "pending"]
    fields = _field_access(run, [t.node_id for t in mine], me)
    record = (await ctx.conn.execute(sa.select(records).where(
        records.c.org_id == ctx.org_id, records.c.id == uuid.UUID(s["record_id"])))).mappings().first()
    data = {k: v for k, v in (record["data"] if record else {}).items() if fields.get(k) != "hidden"}
    initiator = s.get("initiator_id")
    is_initiator = me is not None and me == initiator
    settings = run.graph.definition.settings
    can = Can(
        withdraw=is_initiator and run.running and settings.withdraw != "never"
        and not (settings.withdraw == "until_first_action" and s["acted"]),
        urge=is_initiator and run.running and any(t.state == "pending" and t.kind != "resubmit" for t in tasks),
        comment=True, cc=True,
        resubmit=is_initiator and any(t.kind == "resubmit" for t in mine))
    return Instance(
        id=instance_id, title=s["title"], status=s["status"], app_id=uuid.UUID(s["app_id"]),
        form_id=uuid.UUID(s["form_id"]), record_id=uuid.UUID(s["record_id"]), flow_id=uuid.UUID(s["flow_id"]),
        flow_version=s["flow_version"], initiator=Person(id=uuid.UUID(initiator), name=names.get(initiator, ""))
        if initiator else None, department_id=uuid.UUID(s["department_id"]) if s.get("department_id") else None,
        started_at=_dt(s["started"]), finished_at=_dt(s.get("finished")), seq=run.seq,
        record={"id": s["record_id"], "version": record["version"] if record else None, "data": data},
        fields=fields, steps=await plan(run), tasks=tasks, my_tasks=mine, can=can)


def _field_access(run: Run, mine: list[str], me: str | None) -> dict[str, str]:
    """What the reader may do with each field: editable where one of their tasks' nodes (`mine`:
    the nodes of their pending tasks) says so, hidden where every node they act or are copied
    at hides it (the initiator: the start node's rules)."""
    nodes = [run.graph.places[n].node for n in mine if n in run.graph.places]
    cc = run.state["cc"].get(me) if me is not None else None
    cc_node = run.graph.places[cc["node"]].node if cc and cc.get("node") in run.graph.places else None
    out: dict[str, str] = {}
    for c in run.form.fields:
        fid = c.fd.id
        if nodes:
            rules = [getattr(n, "fields", {}).get(fid, "editable" if isinstance(n, m.StartNode) else "readonly")
                     for n in nodes]
            out[fid] = "editable" if "editable" in rules else "readonly" if "readonly" in rules else "hidden"
        else:
            acted = [run.graph.places[t["node"]].node for t in run.state["tasks"].values()
                     if me is not None and t["assignee"] == me and t["node"] in run.graph.places]
            rules = [getattr(n, "fields", {}).get(fid, "readonly") for n in acted]
            if me == run.state.get("initiator_id"):
                rules.append("readonly" if run.graph.start().fields.get(fid) != "hidden" else "hidden")
            if cc_node is not None:
                rules.append("hidden" if getattr(cc_node, "fields", {}).get(fid) == "hidden" else "readonly")
            out[fid] = "hidden" if rules and all(r == "hidden" for r in rules) else "readonly"
    return out


def _task(run: Run, tid: str, t: dict[str, Any], names: dict[str, str]) -> Task:
    node = run.graph.places.get(t["node"])
    allow = getattr(node.node, "allow", None) if node else None
    targets: list[Step] = []
    if t["state"] == "pending" and t["kind"] != "resubmit" and node is not None:
        for nid in engine.return_targets(run, t["node"]):
            n = run.graph.node(nid)
            targets.append(Step(node_id=nid, type=n.__struct_config__.tag, name=n.name, state="done"))
    return Task(
        id=uuid.UUID(tid), node_id=t["node"], node_name=t["node_name"], kind=t["kind"],
        assignee=Person(id=uuid.UUID(t["assignee"]), name=names.get(t["assignee"], "")),
        on_behalf_of=Person(id=uuid.UUID(t["behalf"]), name=names.get(t["behalf"], "")) if t.get("behalf") else None,
        state=t["state"], created_at=_dt(t["created"]), finished_at=_dt(t.get("finished")),
        due_at=_dt(t.get("due")), comment=t.get("comment"), return_targets=targets,
        allow={"return": bool(allow.return_) if allow else False, "transfer": bool(allow.transfer) if allow else False,
               "add_sign": bool(allow.add_sign) if allow else False,
               "reject": t["kind"] == "approve"})


def _people(s: st.State) -> set[str]:
    people = {s.get("initiator_id")} | set(s["cc"])
    for t in s["tasks"].values():
        people.add(t["assignee"])
        if t.get("behalf"):
            people.add(t["behalf"])
    people.discard(None)
    return people  # type: ignore[return-value]


async def _names(ctx: Ctx, ids: set[str] | list[str]) -> dict[str, str]:
    wanted = [uuid.UUID(i) for i in ids if i]
    if not wanted:
        return {}
    rows = (await ctx.conn.execute(sa.select(members.c.id, members.c.name).where(
        members.c.org_id == ctx.org_id, members.c.id.in_(wanted)))).all()
    return {str(r[0]): r[1] for r in rows}


def _dt(v: str | None) -> Any:
    import datetime as dt

    return dt.datetime.fromisoformat(v) if v else None


async def timeline(ctx: Ctx, instance_id: uuid.UUID) -> Timeline:
    require(ctx.actor, "record.read")
    run = await load(ctx, instance_id, lock=False)
    if not await can_see(ctx, run):
        from tack.core.errors import NotFound

        raise NotFound("No such approval in this organization.")
    rows = (await ctx.conn.execute(sa.select(flow_events).where(
        flow_events.c.org_id == ctx.org_id, flow_events.c.instance_id == instance_id).order_by(
        flow_events.c.seq))).mappings().all()
    people = {str(r["actor_id"]) for r in rows if r["actor_id"]} | {str(r["on_behalf_of"]) for r in rows
                                                                   if r["on_behalf_of"]}
    names = await _names(ctx, people)
    me = str(ctx.actor.member_id) if ctx.actor.member_id else None
    pending = [t["node"] for t in run.state["tasks"].values() if me is not None and t["assignee"] == me
               and t["state"] == "pending"]
    hidden = {fid for fid, a in _field_access(run, pending, me).items() if a == "hidden"}
    return Timeline(items=[TimelineEntry(
        seq=r["seq"], type=r["type"], at=r["at"],
        actor=Person(id=r["actor_id"], name=r["actor_name"]) if r["actor_id"] else None,
        on_behalf_of=Person(id=r["on_behalf_of"], name=names.get(str(r["on_behalf_of"]), ""))
        if r["on_behalf_of"] else None, data=_redact(r["data"], hidden)) for r in rows])


def _redact(data: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """An event as a reader may see it: the values of fields hidden from them left out (the
    changes an approver or the initiator made, the fields an automation set)."""
    if not hidden:
        return data
    out = dict(data)
    if isinstance(out.get("changes"), dict):
        out["changes"] = {k: v for k, v in out["changes"].items() if k not in hidden}
    if isinstance(out.get("results"), list):
        out["results"] = [{k: v for k, v in x.items() if k not in ("from", "to")}
                          if isinstance(x, dict) and x.get("field_id") in hidden else x for x in out["results"]]
    return out


async def preview(ctx: Ctx, form_id: uuid.UUID, body: Submission) -> PathPreview:
    """The path for the values typed so far; nothing is saved. Values are cleaned leniently:
    a half-filled form still previews."""
    require(ctx.actor, "record.read")
    form = await form_row(ctx, form_id)  # 404 for a form that is not this organization's
    flow = await flow_of_form(ctx, form_id)
    if flow is None or flow["version"] == 0:
        raise ValidationFailed.field("form_id", "This form has no published approval flow.", "flow")
    graph, compiled = await compiled_flow(ctx, flow["id"], flow["version"], form_id)
    from tack.flows.runtime import _department

    department = await _department(ctx, body.department_id)
    data = await _lenient(ctx, compiled, body.data)
    s = st.empty()
    s.update({"flow_id": str(flow["id"]), "flow_version": flow["version"], "form_id": str(form_id),
              "app_id": str(form["app_id"]), "record_id": str(new_id()), "title": "",
              "initiator_id": str(ctx.actor.member_id) if ctx.actor.member_id else None,
              "department_id": str(department) if department else None,
              "selections": {k: [str(v) for v in vs] for k, vs in body.selections.items()}})
    run = Run(ctx=ctx, instance_id=new_id(), graph=graph, form=compiled, state=s, seq=0, data=data,
              time_zone=await _time_zone(ctx), field_types=_field_types(compiled))
    return PathPreview(steps=await plan(run), needs_selection=await missing_selections(run))


async def _lenient(ctx: Ctx, compiled: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The submission's values keyed by field id, each cleaned on its own; a value that does
    not clean (yet) is left out, as an unfilled field."""
    from tack.forms.values import clean_submission
    from tack.records.context import value_context

    tz = await _time_zone(ctx)
    try:
        vctx = await value_context(ctx, compiled, data, tz)
        return dict(clean_submission(compiled, data, vctx))
    except ValidationFailed as exc:
        bad = {e.path.split(".")[2] if e.path.startswith("$.data.") else "" for e in exc.errors}
        kept = {k: v for k, v in data.items() if k not in bad}
        try:
            vctx = await value_context(ctx, compiled, kept, tz)
            out: dict[str, Any] = {}
            for k, v in kept.items():
                c = compiled.by_key.get(k)
                if c is not None:
                    out[c.fd.id] = v
            return out
        except ValidationFailed:
            return {}
