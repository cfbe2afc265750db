"""A service-level harness for approval tests: the demo org, a leave form, flows built from a
few lines, and people acting through the real commands, each in its own transaction."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import sqlalchemy as sa

from tack.apps.models import AppCreate
from tack.apps.service import create_app, create_form
from tack.core.ctx import Actor, Ctx
from tack.directory.tables import members
from tack.flows import model as m
from tack.flows import runtime
from tack.flows.instances import get_instance
from tack.flows.models import Submission, TaskAction
from tack.flows.service import FlowSave, publish_flow, save_flow
from tack.flows.tables import flow_instances, flow_tasks
from tack.forms.model import FieldDef, FormDef
from tack.runtime import Runtime

LEAVE_FIELDS = [
    FieldDef(id="f_days0001", name="Days", type="number", required=True),
    FieldDef(id="f_type0001", name="Type", type="select", settings={"options": [
        {"id": "annual", "label": "Annual"}, {"id": "sick", "label": "Sick"}]}),
    FieldDef(id="f_note0001", name="Note", type="text"),
    FieldDef(id="f_hr000001", name="HR note", type="text"),
    FieldDef(id="f_who00001", name="Backup", type="member"),
]


def approver(node_id: str, *rules: Any, mode: str = "any", **kw: Any) -> m.ApproverNode:
    return m.ApproverNode(id=node_id, name=node_id[2:].title(), assignees=list(rules), mode=mode, **kw)  # type: ignore[arg-type]


def flow(*nodes: Any, **settings: Any) -> m.FlowDef:
    return m.FlowDef(name="Leave approval", nodes=[m.StartNode(id="n_start"), *nodes],
                     settings=m.FlowSettings(**settings))


class Harness:
    def __init__(self, rt: Runtime, facts: dict[str, Any]) -> None:
        self.rt = rt
        self.org_id = uuid.UUID(facts["org_id"])
        self.ids = {e.split("@")[0]: uuid.UUID(i) for e, i in facts["members"].items()}
        self.names = {v: k for k, v in self.ids.items()}
        self.form_id: uuid.UUID | None = None
        self.flow_id: uuid.UUID | None = None

    def actor(self, who: str | None) -> Actor:
        if who is None:
            return Actor.system()
        role = "owner" if who == "alice" else "member"
        return Actor(kind="user", name=who, member_id=self.ids[who], admin_role=role)  # type: ignore[arg-type]

    def tx(self, who: str | None = None) -> Any:
        h = self

        class _Tx:
            async def __aenter__(self) -> Ctx:
                self.cm = h.rt.db.transaction()
                conn = await self.cm.__aenter__()
                return Ctx(org_id=h.org_id, actor=h.actor(who), conn=conn, clock=h.rt.clock)

            async def __aexit__(self, *exc: Any) -> Any:
                return await self.cm.__aexit__(*exc)
        return _Tx()

    async def setup(self, definition: m.FlowDef, fields: list[FieldDef] | None = None) -> None:
        async with self.tx("alice") as ctx:
            if self.form_id is None:
                app = await create_app(ctx, AppCreate(name=f"Leave {uuid.uuid4().hex[:6]}"))
                form = await create_form(ctx, app.id, FormDef(name="Leave request", fields=fields or LEAVE_FIELDS))
                self.form_id = form.id
            f = await save_flow(ctx, self.form_id, FlowSave(definition=definition))
            assert not f.problems, f.problems
            await publish_flow(ctx, f.id)
            self.flow_id = f.id

    async def submit(self, who: str, data: dict[str, Any] | None = None, **kw: Any) -> uuid.UUID:
        assert self.form_id is not None
        async with self.tx(who) as ctx:
            return await runtime.submit(ctx, self.form_id, Submission(data=data or {"Days": 1}, **kw))

    async def pending(self, instance_id: uuid.UUID) -> dict[str, uuid.UUID]:
        """Pending tasks by assignee name."""
        async with self.tx(None) as ctx:
            rows = (await ctx.conn.execute(sa.select(flow_tasks.c.assignee_id, flow_tasks.c.id).where(
                flow_tasks.c.org_id == self.org_id, flow_tasks.c.instance_id == instance_id,
                flow_tasks.c.state == "pending"))).all()
        return {self.names[a]: t for a, t in rows}

    async def task_states(self, instance_id: uuid.UUID) -> list[tuple[str, str, str]]:
        async with self.tx(None) as ctx:
            rows = (await ctx.conn.execute(sa.select(flow_tasks.c.node_id, flow_tasks.c.assignee_id,
                                                     flow_tasks.c.state).where(
                flow_tasks.c.org_id == self.org_id, flow_tasks.c.instance_id == instance_id).order_by(
                flow_tasks.c.created_at, flow_tasks.c.id))).all()
        return [(n, self.names[a], s) for n, a, s in rows]

    async def status(self, instance_id: uuid.UUID) -> str:
        async with self.tx(None) as ctx:
            return str((await ctx.conn.execute(sa.select(flow_instances.c.status).where(
                flow_instances.c.org_id == self.org_id, flow_instances.c.id == instance_id))).scalar())

    async def act(self, who: str, instance_id: uuid.UUID, action: str = "approve", body: Any = None) -> None:
        task = (await self.pending(instance_id))[who]
        async with self.tx(who) as ctx:
            await getattr(runtime, action)(ctx, task, body if body is not None else TaskAction(comment="ok"))

    async def view(self, who: str, instance_id: uuid.UUID) -> Any:
        async with self.tx(who) as ctx:
            return await get_instance(ctx, instance_id)

    async def deactivate(self, who: str) -> None:
        async with self.tx(None) as ctx:
            await ctx.conn.execute(members.update().where(members.c.org_id == self.org_id,
                                                          members.c.id == self.ids[who]).values(status="inactive"))


def as_builtins(x: Any) -> Any:
    return msgspec.to_builtins(x)
