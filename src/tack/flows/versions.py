"""Moving waiting instances to a flow's newer version: explicit, previewed, only where safe.

An instance can move when every place it waits at exists in the new version as the same kind
of node in the same parallel branch (so the tasks people hold stay meaningful and the joins
still add up), and the node it was returned from, if any, still exists. Anything else stays on
its version, with the reason.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from tack.access.service import require_app_admin
from tack.core.ctx import Ctx
from tack.flows.graph import Graph
from tack.flows.models import MigrationPreview, MigrationPreviewItem, MigrationRequest, MigrationResult
from tack.flows.runtime import load, save
from tack.flows.service import compiled_flow, flow_row
from tack.flows.state import State
from tack.flows.tables import flow_instances


def check_move(s: State, old: Graph, new: Graph) -> str | None:
    for nid in s["active"]:
        if nid not in new.places:
            return f"The step {old.node(nid).name!r} it waits at is not in the new version."
        if new.node(nid).__struct_config__.tag != old.node(nid).__struct_config__.tag:
            return f"The step {old.node(nid).name!r} is a different kind of step in the new version."
        if new.places[nid].scope != old.places[nid].scope:
            return f"The step {old.node(nid).name!r} moved to another branch in the new version."
    for gw in s["joins"]:
        if gw not in new.places or set(b.id for b in getattr(new.node(gw), "branches", [])) != \
                set(b.id for b in getattr(old.node(gw), "branches", [])):
            return "A parallel step it is inside has other branches in the new version."
    rf = s.get("returned_from")
    if rf and rf not in new.places:
        return "The step that returned it is not in the new version."
    return None


async def preview_moves(ctx: Ctx, flow_id: uuid.UUID) -> MigrationPreview:
    flow = await flow_row(ctx, flow_id)
    await require_app_admin(ctx, flow["app_id"], "app.manage")
    if flow["version"] == 0:  # never published: no request runs on it
        return MigrationPreview(to_version=0, items=[])
    new, _form = await compiled_flow(ctx, flow_id, flow["version"], flow["form_id"])
    rows = (await ctx.conn.execute(sa.select(flow_instances.c.id, flow_instances.c.title,
                                             flow_instances.c.flow_version, flow_instances.c.state).where(
        flow_instances.c.org_id == ctx.org_id, flow_instances.c.flow_id == flow_id,
        flow_instances.c.status == "running", flow_instances.c.flow_version < flow["version"]).order_by(
        flow_instances.c.started_at).limit(1000))).mappings().all()
    items = []
    for r in rows:
        old, _ = await compiled_flow(ctx, flow_id, r["flow_version"], flow["form_id"])
        reason = check_move(r["state"], old, new)
        items.append(MigrationPreviewItem(instance_id=r["id"], title=r["title"], from_version=r["flow_version"],
                                          safe=reason is None, reason=reason))
    return MigrationPreview(to_version=flow["version"], items=items)


async def move_instances(ctx: Ctx, flow_id: uuid.UUID, body: MigrationRequest) -> MigrationResult:
    flow = await flow_row(ctx, flow_id)
    await require_app_admin(ctx, flow["app_id"], "app.manage")
    # Never published: no request runs on it, so each id below is refused before `new` is read.
    new = (await compiled_flow(ctx, flow_id, flow["version"], flow["form_id"]))[0] if flow["version"] else None
    moved: list[uuid.UUID] = []
    refused: list[MigrationPreviewItem] = []
    for iid in dict.fromkeys(body.instance_ids):
        # An id that is not this flow's is refused like the others, without loading it: one bad
        # id must not fail the whole batch, nor tell this flow's admin about another app's request.
        mine = (await ctx.conn.execute(sa.select(flow_instances.c.id).where(
            flow_instances.c.org_id == ctx.org_id, flow_instances.c.id == iid,
            flow_instances.c.flow_id == flow_id))).first()
        if mine is None:
            refused.append(MigrationPreviewItem(instance_id=iid, title="", from_version=0, safe=False,
                                                reason="No such request of this flow."))
            continue
        run = await load(ctx, iid)
        s = run.state
        reason = None
        if s["status"] != "running":
            reason = "It has finished."
        elif s["flow_version"] >= flow["version"]:
            reason = "It is on the newest version already."
        else:
            reason = check_move(s, run.graph, new) if new is not None else "The flow has no published version."
        if reason is not None:
            refused.append(MigrationPreviewItem(instance_id=iid, title=s["title"], from_version=s["flow_version"],
                                                safe=False, reason=reason))
            continue
        run.add("migrated", {"from_version": s["flow_version"], "to_version": flow["version"]})
        await save(run)
        moved.append(iid)
    return MigrationResult(moved=moved, refused=refused)
