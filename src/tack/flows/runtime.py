"""Approval commands: submit, approve, reject, return, transfer, add-sign, withdraw, urge,
comment, CC, resubmit. One function per state change.

Each loads the instance (locking its row on PostgreSQL; SQLite has one writer), lets the engine
decide the events, and saves them with their projections, outbox events and timers in the
caller's transaction. The instance row is written on the condition that its sequence number is
still the one read, and the log's primary key is (instance, seq): of two people acting on one
task at the same moment exactly one wins, the other gets a 409.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tack.apps.service import form_row
from tack.auth.policy import require
from tack.core import ratelimit
from tack.core.ctx import Actor, Ctx
from tack.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from tack.core.events import emit_many
from tack.core.ids import new_id
from tack.core.jobs import cancel, enqueue
from tack.directory.tables import members, orgs
from tack.flows import engine, projection
from tack.flows import model as m
from tack.flows import state as st
from tack.flows.assignees import in_scope
from tack.flows.engine import Run, Who
from tack.flows.models import (
    AddSignAction,
    BatchApprove,
    BatchItem,
    BatchResult,
    CcAction,
    InstanceComment,
    Resubmit,
    ReturnAction,
    Submission,
    TaskAction,
    TransferAction,
    Withdraw,
)
from tack.flows.service import compiled_flow, flow_of_form
from tack.flows.tables import flow_events, flow_instances, flow_reads

TIMEOUT_JOB = "flows.timeout"
REMIND_JOB = "flows.remind"
DEADLINE_JOB = "flows.deadline"


# --- loading and saving ---------------------------------------------------------------------

async def load(ctx: Ctx, instance_id: uuid.UUID | None = None, *, task_id: uuid.UUID | None = None,
               lock: bool = True) -> Run:
    """The instance (by its id, or by one of its tasks) with everything a command needs — its
    record's values, the organization's time zone, the form's version — in one query."""
    from tack.apps.tables import forms
    from tack.flows.tables import flow_tasks
    from tack.records.tables import records

    fi = flow_instances
    q = (sa.select(fi, records.c.data.label("record_data"), orgs.c.time_zone.label("org_time_zone"),
                   forms.c.version.label("form_version"))
         .select_from(fi.join(records, sa.and_(records.c.org_id == fi.c.org_id, records.c.id == fi.c.record_id))
                      .join(orgs, orgs.c.id == fi.c.org_id)
                      .join(forms, sa.and_(forms.c.org_id == fi.c.org_id, forms.c.id == fi.c.form_id)))
         .where(fi.c.org_id == ctx.org_id))
    if task_id is not None:
        q = q.where(fi.c.id == sa.select(flow_tasks.c.instance_id).where(
            flow_tasks.c.org_id == ctx.org_id, flow_tasks.c.id == task_id).scalar_subquery())
    else:
        q = q.where(fi.c.id == instance_id)
    if lock and ctx.conn.dialect.name == "postgresql":
        q = q.with_for_update(of=fi)  # the instance row only: not the org's or the form's
    row = (await ctx.conn.execute(q)).mappings().first()
    if row is None:
        raise NotFound("No such task in this organization." if task_id is not None
                       else "No such approval in this organization.")
    s = row["state"]
    graph, form = await compiled_flow(ctx, row["flow_id"], s["flow_version"], row["form_id"],
                                      form_version=row["form_version"])
    return Run(ctx=ctx, instance_id=row["id"], graph=graph, form=form, state=s, seq=row["seq"],
               data=dict(row["record_data"] or {}), time_zone=str(row["org_time_zone"] or "UTC"),
               field_types=_field_types(form))


async def save(run: Run, *, new: bool = False) -> None:
    ctx = run.ctx
    if not run.events:
        return
    dues = await _due_times(run)
    try:
        await ctx.conn.execute(flow_events.insert(), run.events)
    except IntegrityError as exc:  # someone else appended this step first (PostgreSQL, no row lock held)
        raise Conflict("Someone else acted on this approval at the same moment; reload it.") from exc
    # Updated at the last event's time, as a replay of the log (projection.rebuild) writes it.
    row = projection.instance_row(ctx, run.instance_id, run.state, run.seq, projection.iso(run.events[-1]["at"]))
    if new:
        await ctx.conn.execute(flow_instances.insert().values(**row))
        await projection.write(ctx, run.instance_id, {**st.empty(), "record_id": run.state["record_id"]}, run.state)
    else:
        res = await ctx.conn.execute(flow_instances.update().where(
            flow_instances.c.org_id == ctx.org_id, flow_instances.c.id == run.instance_id,
            flow_instances.c.seq == run.start_seq).values(**{k: v for k, v in row.items() if k not in ("org_id", "id")}))
        if res.rowcount != 1:
            raise Conflict("Someone else acted on this approval at the same moment; reload it.")
        await projection.write(ctx, run.instance_id, run.before, run.state)
    await emit_many(ctx, [(type_, str(run.instance_id), data) for type_, data in run.outbox])
    await _timers(run, dues)


async def _due_times(run: Run) -> dict[str, dt.datetime]:
    """When each task that started its clock in this command falls due. Written into the event
    that gave the task (and so into the state and the task row), before the events are stored:
    a replay then shows the same due times without a calendar."""
    pending = [(tid, timeout) for tid, _n, timeout in run.timers
               if run.state["tasks"].get(tid, {}).get("state") == "pending"]
    if not pending:
        return {}
    from tack.flows.calendar_service import load_calendar

    calendar = await load_calendar(run.ctx)
    now = run.ctx.now()
    dues: dict[str, dt.datetime] = {}
    for tid, timeout in pending:
        due = engine.due_at(now, timeout, calendar, run.time_zone)
        if due is None:
            continue
        dues[tid] = due
        text = projection.iso(due)
        run.state["tasks"][tid]["due"] = text
        for e in reversed(run.events):
            d = e["data"]
            if e["type"] in ("task_assigned", "task_activated") and d.get("task") == tid \
                    or e["type"] == "transferred" and d.get("new_task") == tid:
                d["due"] = text
                break
            if e["type"] == "sign_added" and any(t["id"] == tid for t in d.get("tasks", [])):
                for t in d["tasks"]:
                    if t["id"] == tid:
                        t["due"] = text
                break
    return dues


async def _timers(run: Run, dues: dict[str, dt.datetime]) -> None:
    ctx = run.ctx
    timed = {tid for tid, _n, _t in run.timers}
    for tid in dict.fromkeys(run.cancelled_timers):
        if tid in timed:
            continue
        node = run.graph.places.get(run.state["tasks"].get(tid, {}).get("node", ""))
        if node is None or getattr(node.node, "timeout", None) is None:
            continue
        await cancel(ctx, f"flowtask:{tid}:timeout")
        for k in range(node.node.timeout.reminders):
            await cancel(ctx, f"flowtask:{tid}:remind:{k}")
    now = ctx.now()
    for tid, _node_id, timeout in run.timers:
        due = dues.get(tid)
        if due is None:
            continue
        payload = {"instance_id": str(run.instance_id), "task_id": tid}
        await enqueue(ctx, TIMEOUT_JOB, payload, due_at=due, dedupe_key=f"flowtask:{tid}:timeout")
        for k in range(timeout.reminders):
            at = now + (due - now) * (k + 1) / (timeout.reminders + 1)
            await enqueue(ctx, REMIND_JOB, {**payload, "n": k + 1}, due_at=at, dedupe_key=f"flowtask:{tid}:remind:{k}")


async def _time_zone(ctx: Ctx) -> str:
    return str((await ctx.conn.execute(sa.select(orgs.c.time_zone).where(orgs.c.id == ctx.org_id))).scalar() or "UTC")


def _field_types(form: Any) -> dict[str, str]:
    return {c.fd.id: c.fd.type for c in form.fields}


async def who(ctx: Ctx) -> Who:
    """The acting person as the log names them."""
    if ctx.actor.member_id is None:
        return Who(member_id=None, name=ctx.actor.name)
    if ctx.actor.kind in ("user", "token"):  # signed in: the actor carries the member's name already
        return Who(member_id=ctx.actor.member_id, name=ctx.actor.name)
    name = (await ctx.conn.execute(sa.select(members.c.name).where(
        members.c.org_id == ctx.org_id, members.c.id == ctx.actor.member_id))).scalar()
    return Who(member_id=ctx.actor.member_id, name=name or ctx.actor.name)


# --- submitting -----------------------------------------------------------------------------

async def submit(ctx: Ctx, form_id: uuid.UUID, body: Submission) -> uuid.UUID:
    """Create the record and start its approval in one transaction; returns the instance id."""
    require(ctx.actor, "record.write")
    if ctx.actor.member_id is None:
        raise Forbidden("An approval is submitted by a person (a session or a personal token).")
    form = await form_row(ctx, form_id)  # 404 for a form that is not this organization's
    flow = await flow_of_form(ctx, form_id)
    if flow is None or flow["version"] == 0 or not flow["enabled"]:
        raise ValidationFailed.field("form_id", "This form has no published approval flow.", "flow")
    graph, compiled = await compiled_flow(ctx, flow["id"], flow["version"], form_id, form_version=form["version"])
    start = graph.start()
    if not await in_scope(ctx, start, ctx.actor.member_id):
        raise Forbidden("This flow's start node does not let you submit it.")
    _check_start_fields(start, body.data, compiled)
    department = await _department(ctx, body.department_id)
    from tack.records.models import RecordCreate
    from tack.records.service import create_record

    record = await create_record(ctx, form_id, RecordCreate(data=body.data))
    instance_id = new_id()
    me = await who(ctx)
    run = Run(ctx=ctx, instance_id=instance_id, graph=graph, form=compiled, state=st.empty(), seq=0,
              data=dict(record.data), time_zone=await _time_zone(ctx), field_types=_field_types(compiled))
    selections = {k: [str(v) for v in vs] for k, vs in body.selections.items()}
    await _check_selections(ctx, graph, body.selections)
    run.add("started", {
        "flow_id": str(flow["id"]), "flow_version": flow["version"], "form_id": str(form_id),
        "app_id": str(form["app_id"]), "record_id": str(record.id), "title": f"{me.name}: {form['name']}"[:300],
        "initiator_id": str(ctx.actor.member_id), "initiator_name": me.name,
        "department_id": str(department) if department else None, "selections": selections}, me)
    run.publish("flow.instance.started", {"record_id": str(record.id)})
    from tack.flows.preview import missing_selections

    missing = await missing_selections(run)
    if missing:
        raise ValidationFailed("Choose who approves.", errors=[
            FieldError(path=f"$.selections.{n}", message="Pick the approver for this step.", rule="required")
            for n in missing])
    deadline = graph.definition.settings.deadline
    await engine.start(run)
    await save(run, new=True)
    if deadline is not None and run.running:
        from tack.flows.calendar_service import load_calendar

        due = engine.due_at(ctx.now(), deadline, await load_calendar(ctx), run.time_zone)
        if due is not None:
            await enqueue(ctx, DEADLINE_JOB, {"instance_id": str(instance_id)}, due_at=due,
                          dedupe_key=f"flow:{instance_id}:deadline")
    return instance_id


def _check_start_fields(start: m.StartNode, data: dict[str, Any], form: Any) -> None:
    errors = []
    for key in data:
        c = form.by_key.get(key)
        if c is not None and start.fields.get(c.fd.id, "editable") != "editable":
            errors.append(FieldError(path=f"$.data.{key}", message="This field is filled later in the flow.", rule="readonly"))
    if errors:
        raise ValidationFailed("Some fields cannot be filled when submitting.", errors=errors)


async def _department(ctx: Ctx, department_id: uuid.UUID | None) -> uuid.UUID | None:
    from tack.access.service import primary_department
    from tack.directory.tables import department_members

    if department_id is None:
        return await primary_department(ctx, ctx.actor.member_id)
    mine = (await ctx.conn.execute(sa.select(department_members.c.department_id).where(
        department_members.c.org_id == ctx.org_id, department_members.c.member_id == ctx.actor.member_id,
        department_members.c.department_id == department_id))).first()
    if mine is None:
        raise ValidationFailed.field("$.department_id", "You do not belong to this department.", "membership")
    return department_id


async def _check_selections(ctx: Ctx, graph: Any, selections: dict[str, list[uuid.UUID]]) -> None:
    errors = []
    for node_id, picked in selections.items():
        place = graph.places.get(node_id)
        rules = [r for r in getattr(place.node, "assignees", []) if isinstance(r, m.SelfSelect)] if place else []
        if not rules:
            errors.append(FieldError(path=f"$.selections.{node_id}", message="This step has no self-select.", rule="self_select"))
            continue
        rule = rules[0]
        if len(picked) > 1 and not rule.multiple:
            errors.append(FieldError(path=f"$.selections.{node_id}", message="Pick one person.", rule="single"))
        for i, mid in enumerate(picked):
            active = (await ctx.conn.execute(sa.select(members.c.id).where(
                members.c.org_id == ctx.org_id, members.c.id == mid, members.c.status == "active"))).first()
            if active is None or not await in_scope(ctx, rule, mid):
                errors.append(FieldError(path=f"$.selections.{node_id}[{i}]", message="This person cannot be picked here.", rule="scope"))
    if errors:
        raise ValidationFailed("Some picks are not allowed.", errors=errors)


# --- task actions ---------------------------------------------------------------------------

async def _task_run(ctx: Ctx, task_id: uuid.UUID) -> Run:
    return await load(ctx, task_id=task_id)


def _allowed(run: Run, t: dict[str, Any], what: str) -> None:
    if t["kind"] == "resubmit":  # only the initiator can resubmit: handing it on would strand the request
        raise ValidationFailed.field("task_id", "This request was returned to you: resubmit or withdraw it.",
                                     "resubmit")
    node = run.graph.places.get(t["node"])
    allow = getattr(node.node, "allow", None) if node else None
    if allow is not None and not getattr(allow, what):
        raise Forbidden(f"This step does not allow {what.rstrip('_').replace('_', ' ')}.")


async def _detail(ctx: Ctx, body: TaskAction) -> dict[str, Any]:
    """What an action records besides its outcome: the comment, and the files (attachments, a
    handwritten signature), which must be files of this organization the actor may read."""
    await check_files(ctx, body.attachments, "$.attachments")
    if body.signature:
        await check_files(ctx, [body.signature], "$.signature", single=True)
    d: dict[str, Any] = {"comment": body.comment}
    if body.attachments:
        d["attachments"] = [str(a) for a in body.attachments]
    if body.signature:
        d["signature"] = str(body.signature)
    return d


async def approve(ctx: Ctx, task_id: uuid.UUID, body: TaskAction) -> uuid.UUID:
    require(ctx.actor, "record.write")
    run = await _task_run(ctx, task_id)
    t = engine.task_of(run, str(task_id), ctx.actor.member_id)
    if t["kind"] == "resubmit":
        raise ValidationFailed.field("task_id", "This request was returned to you: resubmit it.", "resubmit")
    me = await _who_for(ctx, t)
    changes = await _edit_fields(run, t, body.data)
    run.add("handled" if t["kind"] == "handle" else "approved", {"task": str(task_id), **await _detail(ctx, body),
                                                                 **({"changes": changes} if changes else {})}, me)
    engine.completed(run, str(task_id))
    await engine.advance(run)
    await save(run)
    return run.instance_id


async def handle(ctx: Ctx, task_id: uuid.UUID, body: TaskAction) -> uuid.UUID:
    return await approve(ctx, task_id, body)


async def reject(ctx: Ctx, task_id: uuid.UUID, body: TaskAction) -> uuid.UUID:
    require(ctx.actor, "record.write")
    run = await _task_run(ctx, task_id)
    t = engine.task_of(run, str(task_id), ctx.actor.member_id)
    if t["kind"] != "approve":
        raise ValidationFailed.field("task_id", "Only an approver can reject; a handler marks the work done.",
                                     "approver")
    if not (body.comment or "").strip():
        raise ValidationFailed.field("$.comment", "Say why you reject it.", "required")
    me = await _who_for(ctx, t)
    run.add("rejected", {"task": str(task_id), **await _detail(ctx, body)}, me)
    run.cancelled_timers.append(str(task_id))
    run.publish("flow.task.completed", {"task_id": str(task_id), "outcome": "rejected", "assignee_id": t["assignee"]})
    engine.finish(run, "rejected", me)
    await save(run)
    return run.instance_id


async def send_back(ctx: Ctx, task_id: uuid.UUID, body: ReturnAction) -> uuid.UUID:
    require(ctx.actor, "record.write")
    run = await _task_run(ctx, task_id)
    t = engine.task_of(run, str(task_id), ctx.actor.member_id)
    if t["kind"] == "resubmit":
        raise ValidationFailed.field("task_id", "This request is with you already.", "resubmit")
    _allowed(run, t, "return_")
    me = await _who_for(ctx, t)
    await engine.send_back(run, str(task_id), body.to, me, body.comment)
    await save(run)
    return run.instance_id


async def transfer(ctx: Ctx, task_id: uuid.UUID, body: TransferAction) -> uuid.UUID:
    require(ctx.actor, "record.write")
    run = await _task_run(ctx, task_id)
    if body.to is None:
        raise ValidationFailed.field("$.to", "Choose who takes the task over.", "required")
    t = engine.task_of(run, str(task_id), ctx.actor.member_id)
    _allowed(run, t, "transfer")
    me = await _who_for(ctx, t)
    await hand_over(run, str(task_id), body.to, me, body.comment)
    await save(run)
    return run.instance_id


async def hand_over(run: Run, task_id: str, to: uuid.UUID, me: Who, comment: str | None, *,
                    reason: str | None = None) -> None:
    """Give a task to someone else (a transfer, an escalation, a deactivated assignee)."""
    from tack.flows.assignees import active_only

    if not await active_only(run.ctx, [to]):
        raise ValidationFailed.field("$.to", "Choose an active member of the organization.", "exists")
    t = run.state["tasks"][task_id]
    if str(to) == t["assignee"]:
        raise ValidationFailed.field("$.to", "The task is already theirs.", "same")
    behalf = (await engine.delegates(run, [to])).get(to)
    new_task = str(new_id())
    run.add("transferred", {"task": task_id, "to": str(behalf or to), "behalf": str(to) if behalf else None,
                            "new_task": new_task, "comment": comment, **({"reason": reason} if reason else {}),
                            **({"system": True} if me.member_id is None else {})}, me)
    run.cancelled_timers.append(task_id)
    if run.state["tasks"][new_task]["state"] == "pending":
        engine.announce(run, new_task)


async def add_sign(ctx: Ctx, task_id: uuid.UUID, body: AddSignAction) -> uuid.UUID:
    require(ctx.actor, "record.write")
    run = await _task_run(ctx, task_id)
    t = engine.task_of(run, str(task_id), ctx.actor.member_id)
    _allowed(run, t, "add_sign")
    from tack.flows.assignees import active_only

    wanted = list(dict.fromkeys(body.member_ids))
    found = await active_only(ctx, wanted)
    if len(found) != len(wanted) or not wanted:
        raise ValidationFailed.field("$.member_ids", "Choose active members of the organization.", "exists")
    if str(ctx.actor.member_id) in {str(x) for x in wanted}:
        raise ValidationFailed.field("$.member_ids", "You cannot add yourself.", "self")
    me = await _who_for(ctx, t)
    behalf = await engine.delegates(run, found)
    added = [{"id": str(new_id()), "assignee": str(behalf.get(mid, mid)),
              "behalf": str(mid) if mid in behalf else None} for mid in found]
    if body.position == "after":
        changes = await _edit_fields(run, t, body.data)
        run.add("approved", {"task": str(task_id), **await _detail(ctx, body), **({"changes": changes} if changes else {})}, me)
        run.cancelled_timers.append(str(task_id))
        run.publish("flow.task.completed", {"task_id": str(task_id), "outcome": "approved",
                                            "assignee_id": t["assignee"]})
    run.add("sign_added", {"task": str(task_id), "position": body.position, "tasks": added,
                           "comment": body.comment}, me)
    for a in added:
        engine.announce(run, str(a["id"]))
    if body.position == "after":
        engine.settle(run, t["node"])
        await engine.advance(run)
    await save(run)
    return run.instance_id


async def batch_approve(ctx: Ctx, db_transaction: Any, body: BatchApprove) -> BatchResult:
    """Approve many tasks, each in its own transaction (one that fails leaves the others)."""
    from tack.core.errors import Problem

    items: list[BatchItem] = []
    for task_id in dict.fromkeys(body.task_ids):
        try:
            async with db_transaction() as conn:
                await approve(Ctx(org_id=ctx.org_id, actor=ctx.actor, conn=conn, clock=ctx.clock), task_id,
                              TaskAction(comment=body.comment))
            items.append(BatchItem(task_id=task_id, ok=True, status=200))
        except Problem as exc:
            items.append(BatchItem(task_id=task_id, ok=False, status=exc.status, detail=exc.detail))
    return BatchResult(items=items)


async def check_files(ctx: Ctx, ids: list[uuid.UUID], path: str, *, single: bool = False) -> None:
    if not ids:
        return
    from tack.files.service import find_files

    found = await find_files(ctx, ids)
    errors = [FieldError(path=path if single else f"{path}[{i}]", message="No such file here.", rule="exists")
              for i, f in enumerate(ids) if f not in found]
    if errors:
        raise ValidationFailed("Some files do not exist in this organization.", errors=errors)


async def _who_for(ctx: Ctx, t: dict[str, Any]) -> Who:
    me = await who(ctx)
    if t.get("behalf"):
        me.behalf = uuid.UUID(t["behalf"])
    return me


async def _edit_fields(run: Run, t: dict[str, Any], data: dict[str, Any] | None) -> dict[str, Any] | None:
    """Apply an assignee's changes to the fields their node lets them edit."""
    if not data:
        return None
    node = run.graph.places.get(t["node"])
    access = getattr(node.node, "fields", {}) if node else {}
    errors = []
    for key in data:
        c = run.form.by_key.get(key)
        if c is None or access.get(c.fd.id, "readonly") != "editable":
            errors.append(FieldError(path=f"$.data.{key}", message="You cannot change this field here.", rule="readonly"))
    if errors:
        raise ValidationFailed("Some fields cannot be changed at this step.", errors=errors)
    record = await _write_record(run, data)
    before = run.data
    run.data = dict(record.data)
    return {k: [before.get(k), run.data.get(k)] for k in run.data if before.get(k) != run.data.get(k)}


async def _write_record(run: Run, data: dict[str, Any]) -> Any:
    """Change the record as the flow: the node's field rights decide, not the app's groups."""
    from tack.records.models import RecordUpdate
    from tack.records.service import record_row, update_record

    ctx = run.ctx
    row = await record_row(ctx, uuid.UUID(run.state["record_id"]))
    me = await who(ctx)
    actor = Actor(kind="system", name=me.name, member_id=ctx.actor.member_id, admin_role="owner")
    sctx = Ctx(org_id=ctx.org_id, actor=actor, conn=ctx.conn, clock=ctx.clock)
    return await update_record(sctx, row["id"], RecordUpdate(data=data, expected_version=row["version"]))


# --- instance actions -----------------------------------------------------------------------

async def withdraw(ctx: Ctx, instance_id: uuid.UUID, body: Withdraw) -> uuid.UUID:
    require(ctx.actor, "record.write")
    run = await load(ctx, instance_id)
    _initiator_only(ctx, run)
    rule = run.graph.definition.settings.withdraw
    if not run.running:
        raise Conflict("This request has already finished.", extra={"request_status": run.state["status"]})
    if rule == "never":
        raise Forbidden("This flow does not let requests be withdrawn.")
    if rule == "until_first_action" and run.state["acted"]:
        raise Conflict("Someone has already acted on this request: it can no longer be withdrawn.")
    me = await who(ctx)
    run.add("withdrawn", {"comment": body.comment}, me)
    engine.finish(run, "withdrawn", me)
    await save(run)
    return instance_id


async def urge(ctx: Ctx, instance_id: uuid.UUID) -> uuid.UUID:
    require(ctx.actor, "record.write")
    run = await load(ctx, instance_id)
    _initiator_only(ctx, run)
    if not run.running:
        raise Conflict("This request has already finished.")
    waiting = sorted({t["assignee"] for t in run.state["tasks"].values() if t["state"] == "pending"})
    if not waiting:
        raise Conflict("Nobody has a task on this request right now.")
    minutes = run.graph.definition.settings.urge_interval_minutes
    await ratelimit.hit(ctx.conn, ctx.clock, f"urge:{ctx.org_id}:{instance_id}", limit=1,
                        window=dt.timedelta(minutes=minutes))
    me = await who(ctx)
    run.add("urged", {"members": waiting}, me)
    run.publish("flow.urged", {"member_ids": waiting, "by_name": me.name, "by_id": str(me.member_id)})
    await save(run)
    return instance_id


async def comment(ctx: Ctx, instance_id: uuid.UUID, body: InstanceComment) -> uuid.UUID:
    require(ctx.actor, "record.write")
    run = await load(ctx, instance_id)
    await require_participant(ctx, run)
    from tack.flows.assignees import active_only

    await check_files(ctx, body.attachments, "$.attachments")
    mentions = [str(x) for x in await active_only(ctx, list(dict.fromkeys(body.mentions)))]
    me = await who(ctx)
    run.add("commented", {"text": body.text, "mentions": mentions,
                          "attachments": [str(a) for a in body.attachments]}, me)
    if mentions:
        run.publish("flow.commented", {"mentions": mentions, "by_name": me.name, "by_id": str(me.member_id),
                                       "text": body.text[:500]})
    await save(run)
    return instance_id


async def copy_to(ctx: Ctx, instance_id: uuid.UUID, body: CcAction) -> uuid.UUID:
    require(ctx.actor, "record.write")
    run = await load(ctx, instance_id)
    await require_participant(ctx, run)
    from tack.flows.assignees import active_only

    found = [str(x) for x in await active_only(ctx, list(dict.fromkeys(body.member_ids)))]
    if len(found) != len(set(body.member_ids)):
        raise ValidationFailed.field("$.member_ids", "Choose active members of the organization.", "exists")
    new = [x for x in found if x not in run.state["cc"]]
    if new:
        me = await who(ctx)
        run.add("cc", {"node": None, "members": new, "by": str(me.member_id) if me.member_id else None}, me)
        run.publish("flow.cc", {"member_ids": new, "by_name": me.name, "by_id": str(me.member_id)})
        await save(run)
    return instance_id


async def resubmit(ctx: Ctx, instance_id: uuid.UUID, body: Resubmit) -> uuid.UUID:
    require(ctx.actor, "record.write")
    run = await load(ctx, instance_id)
    _initiator_only(ctx, run)
    mine = [tid for tid, t in run.state["tasks"].items() if t["kind"] == "resubmit" and t["state"] == "pending"]
    if not mine or not run.running:
        raise Conflict("This request is not waiting for you to resubmit it.")
    changes = None
    if body.data:
        _check_start_fields(run.graph.start(), body.data, run.form)
        before = run.data
        record = await _write_record(run, body.data)
        run.data = dict(record.data)
        changes = {k: [before.get(k), run.data.get(k)] for k in run.data if before.get(k) != run.data.get(k)}
    me = await who(ctx)
    await engine.resubmitted(run, mine[0], me, changes or {})
    await save(run)
    return instance_id


async def mark_read(ctx: Ctx, instance_id: uuid.UUID) -> None:
    if ctx.actor.member_id is None:
        return
    from tack.core.db import insert_ignore

    key = (flow_reads.c.org_id == ctx.org_id, flow_reads.c.member_id == ctx.actor.member_id,
           flow_reads.c.instance_id == instance_id)
    res = await ctx.conn.execute(flow_reads.update().where(*key).values(read_at=ctx.now()))
    if res.rowcount == 0:
        await ctx.conn.execute(insert_ignore(ctx.conn.dialect.name, flow_reads, ["org_id", "member_id", "instance_id"])
                               .values(org_id=ctx.org_id, member_id=ctx.actor.member_id, instance_id=instance_id,
                                       read_at=ctx.now()))


def _initiator_only(ctx: Ctx, run: Run) -> None:
    if str(ctx.actor.member_id) != run.state.get("initiator_id"):
        raise Forbidden("Only the person who submitted the request can do this.")


def participants(run: Run) -> set[str]:
    s = run.state
    people = {s.get("initiator_id")} | set(s["cc"])
    for t in s["tasks"].values():
        people.add(t["assignee"])
        if t.get("behalf"):
            people.add(t["behalf"])
    people.discard(None)
    return people  # type: ignore[return-value]


async def can_see(ctx: Ctx, run: Run) -> bool:
    from tack.access.service import is_app_admin

    if ctx.actor.member_id is not None and str(ctx.actor.member_id) in participants(run):
        return True
    return await is_app_admin(ctx, uuid.UUID(run.state["app_id"]))


async def require_participant(ctx: Ctx, run: Run) -> None:
    if not await can_see(ctx, run):
        raise NotFound("No such approval in this organization.")


def timeline_rows(rows: list[sa.RowMapping]) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(dict(r)) for r in rows]
