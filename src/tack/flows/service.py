"""Flow definitions: a form's flow, its draft, its published versions.

Saving keeps a draft with its problems (the designer shows them on their nodes); publishing
makes a new version, refusing one with problems. Running instances keep the version they
started on (tack.flows.versions moves them, explicitly).
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import Any

import msgspec
import sqlalchemy as sa

from tack.access.service import require_app_admin
from tack.apps.service import compiled_form, form_row
from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.errors import FieldError, NotFound, ValidationFailed
from tack.core.events import emit
from tack.core.ids import new_id
from tack.directory import audit
from tack.flows import model as m
from tack.flows.checks import Checked, Problem, check_against_org, check_flow
from tack.flows.graph import Graph
from tack.flows.tables import flow_versions, flows
from tack.forms.definition import CompiledForm


class Flow(msgspec.Struct):
    id: uuid.UUID
    app_id: uuid.UUID
    form_id: uuid.UUID
    name: str
    version: int
    enabled: bool
    draft: m.FlowDef
    published: m.FlowDef | None
    problems: list[Problem]
    updated_at: Any


class FlowSave(msgspec.Struct, forbid_unknown_fields=True):
    definition: m.FlowDef
    enabled: bool | None = None


class FlowVersion(msgspec.Struct):
    flow_id: uuid.UUID
    version: int
    form_version: int
    definition: m.FlowDef
    published_at: Any


_CACHE_SIZE = 512
_graphs: OrderedDict[tuple[uuid.UUID, uuid.UUID, int, int], tuple[Graph, CompiledForm]] = OrderedDict()


async def flow_row(ctx: Ctx, flow_id: uuid.UUID) -> sa.RowMapping:
    row = (await ctx.conn.execute(sa.select(flows).where(flows.c.org_id == ctx.org_id, flows.c.id == flow_id))
           ).mappings().first()
    if row is None:
        raise NotFound("No such flow in this organization.")
    return row


async def flow_of_form(ctx: Ctx, form_id: uuid.UUID) -> sa.RowMapping | None:
    return (await ctx.conn.execute(sa.select(flows).where(flows.c.org_id == ctx.org_id, flows.c.form_id == form_id))
            ).mappings().first()


async def get_flow(ctx: Ctx, form_id: uuid.UUID) -> Flow:
    require(ctx.actor, "app.read")
    await form_row(ctx, form_id)
    row = await flow_of_form(ctx, form_id)
    if row is None:
        raise NotFound("This form has no approval flow yet.")
    return await _flow(ctx, row)


async def get_flow_by_id(ctx: Ctx, flow_id: uuid.UUID) -> Flow:
    require(ctx.actor, "app.read")
    return await _flow(ctx, await flow_row(ctx, flow_id))


async def save_flow(ctx: Ctx, form_id: uuid.UUID, body: FlowSave) -> Flow:
    """Save the draft (with whatever problems it has: `problems` lists them)."""
    form = await form_row(ctx, form_id)
    await require_app_admin(ctx, form["app_id"], "app.manage")
    row = await flow_of_form(ctx, form_id)
    now = ctx.now()
    draft = msgspec.to_builtins(body.definition)
    if row is None:
        flow_id = new_id()
        await ctx.conn.execute(flows.insert().values(
            org_id=ctx.org_id, id=flow_id, app_id=form["app_id"], form_id=form_id, name=body.definition.name,
            version=0, draft=draft, enabled=True if body.enabled is None else body.enabled, created_at=now,
            updated_at=now))
        await audit.record(ctx, "flow.created", "flow", flow_id, {"form_id": form_id})
    else:
        flow_id = row["id"]
        values: dict[str, Any] = {"draft": draft, "name": body.definition.name, "updated_at": now}
        if body.enabled is not None:
            values["enabled"] = body.enabled
        await ctx.conn.execute(flows.update().where(flows.c.org_id == ctx.org_id, flows.c.id == flow_id).values(**values))
    return await _flow(ctx, await flow_row(ctx, flow_id))


async def publish_flow(ctx: Ctx, flow_id: uuid.UUID) -> Flow:
    row = await flow_row(ctx, flow_id)
    await require_app_admin(ctx, row["app_id"], "app.manage")
    definition = msgspec.convert(row["draft"], m.FlowDef)
    form = await form_row(ctx, row["form_id"])
    problems = await problems_of(ctx, definition, await compiled_form(ctx, row["form_id"], form["version"]))
    if problems:
        raise ValidationFailed("The flow has problems to fix before it can be published.",
                               errors=[FieldError(path=p.path, message=p.message, rule=p.rule) for p in problems],
                               extra={"problems": [msgspec.to_builtins(p) for p in problems]})
    version = row["version"] + 1
    await ctx.conn.execute(flow_versions.insert().values(
        org_id=ctx.org_id, flow_id=flow_id, version=version, definition=row["draft"], form_version=form["version"],
        published_at=ctx.now(), published_by=ctx.actor.member_id))
    await ctx.conn.execute(flows.update().where(flows.c.org_id == ctx.org_id, flows.c.id == flow_id).values(
        version=version, updated_at=ctx.now()))
    await audit.record(ctx, "flow.published", "flow", flow_id, {"version": version})
    await emit(ctx, "flow.published", str(flow_id), {"id": flow_id, "form_id": row["form_id"], "version": version})
    return await _flow(ctx, await flow_row(ctx, flow_id))


async def get_version(ctx: Ctx, flow_id: uuid.UUID, version: int) -> FlowVersion:
    require(ctx.actor, "app.read")
    await flow_row(ctx, flow_id)
    r = await _version_row(ctx, flow_id, version)
    return FlowVersion(flow_id=flow_id, version=version, form_version=r["form_version"],
                       definition=msgspec.convert(r["definition"], m.FlowDef), published_at=r["published_at"])


async def problems_of(ctx: Ctx, definition: m.FlowDef, form: CompiledForm) -> list[Problem]:
    checked = check_flow(definition, form)
    return checked.problems + await check_against_org(ctx, definition)


async def compiled_flow(ctx: Ctx, flow_id: uuid.UUID, version: int, form_id: uuid.UUID, *,
                        form_version: int | None = None) -> tuple[Graph, CompiledForm]:
    """The graph of a published version, checked against the form as it is now (a condition
    reads today's fields), cached per form version (a caller that read it passes it)."""
    if form_version is None:
        form_version = (await form_row(ctx, form_id))["version"]
    key = (ctx.org_id, flow_id, version, form_version)
    found = _graphs.get(key)
    if found is not None:
        _graphs.move_to_end(key)
        return found
    r = await _version_row(ctx, flow_id, version)
    compiled = await compiled_form(ctx, form_id, form_version)
    checked: Checked = check_flow(msgspec.convert(r["definition"], m.FlowDef), compiled)
    _graphs[key] = (checked.graph, compiled)
    while len(_graphs) > _CACHE_SIZE:
        _graphs.popitem(last=False)
    return checked.graph, compiled


async def _version_row(ctx: Ctx, flow_id: uuid.UUID, version: int) -> sa.RowMapping:
    r = (await ctx.conn.execute(sa.select(flow_versions).where(
        flow_versions.c.org_id == ctx.org_id, flow_versions.c.flow_id == flow_id,
        flow_versions.c.version == version))).mappings().first()
    if r is None:
        raise NotFound("No such version of this flow.")
    return r


async def _flow(ctx: Ctx, row: sa.RowMapping) -> Flow:
    draft = msgspec.convert(row["draft"], m.FlowDef)
    published = None
    if row["version"] > 0:
        published = msgspec.convert((await _version_row(ctx, row["id"], row["version"]))["definition"], m.FlowDef)
    form = await form_row(ctx, row["form_id"])
    problems = await problems_of(ctx, draft, await compiled_form(ctx, row["form_id"], form["version"]))
    return Flow(id=row["id"], app_id=row["app_id"], form_id=row["form_id"], name=row["name"], version=row["version"],
                enabled=row["enabled"], draft=draft, published=published, problems=problems,
                updated_at=row["updated_at"])


# For the BPMN handlers (tack.flows.bpmn_api).
async def flow_for_bpmn(ctx: Ctx, flow_id: uuid.UUID, draft: bool) -> tuple[m.FlowDef, str]:
    f = await get_flow_by_id(ctx, flow_id)
    definition = f.draft if draft or f.published is None else f.published
    return definition, f.name


async def import_flow_draft(ctx: Ctx, form_id: uuid.UUID, definition: m.FlowDef) -> Flow:
    return await save_flow(ctx, form_id, FlowSave(definition=definition))
