"""Approval flows inside app documents: each form's flow travels with the app.

A document names the flow's form by its name, and roles by their names (`role_name`), since
ids belong to the organization that made them. Installing creates roles that do not exist yet
(empty: the steps that need them go to the administrators until someone is added) and
publishes each flow, so a template works the moment it is installed.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import sqlalchemy as sa

from tack.apps.documents import document_parts
from tack.core.ctx import Ctx
from tack.core.errors import FieldError
from tack.flows import model as m
from tack.flows.assignees import role_by_name
from tack.flows.graph import walk
from tack.flows.service import FlowSave, publish_flow, save_flow
from tack.flows.tables import flow_versions, flows


class AppFlow(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    form: str
    definition: m.FlowDef
    enabled: bool = True


class FlowsPart:
    key = "flows"

    async def export(self, ctx: Ctx, app_id: uuid.UUID, form_names: dict[uuid.UUID, str]) -> list[dict[str, Any]] | None:
        rows = (await ctx.conn.execute(sa.select(flows).where(flows.c.org_id == ctx.org_id, flows.c.app_id == app_id)
                                       .order_by(flows.c.id))).mappings().all()
        out = []
        for r in rows:
            if r["form_id"] not in form_names:
                continue
            definition = r["draft"]
            if r["version"] > 0:
                definition = (await ctx.conn.execute(sa.select(flow_versions.c.definition).where(
                    flow_versions.c.org_id == ctx.org_id, flow_versions.c.flow_id == r["id"],
                    flow_versions.c.version == r["version"]))).scalar()
            out.append(msgspec.to_builtins(AppFlow(form=form_names[r["form_id"]],
                                                   definition=msgspec.convert(definition, m.FlowDef),
                                                   enabled=r["enabled"])))
        return out or None

    def check(self, items: list[dict[str, Any]], form_names: set[str]) -> list[FieldError]:
        errors: list[FieldError] = []
        seen: set[str] = set()
        for i, raw in enumerate(items):
            try:
                f = msgspec.convert(raw, AppFlow)
            except msgspec.ValidationError as exc:
                errors.append(FieldError(path=f"$.flows[{i}]", message=str(exc), rule="schema"))
                continue
            if f.form not in form_names:
                errors.append(FieldError(path=f"$.flows[{i}].form", message=f"No form named {f.form!r} in the "
                                         "document.", rule="exists"))
            if f.form in seen:
                errors.append(FieldError(path=f"$.flows[{i}].form", message="A form has one flow.", rule="unique"))
            seen.add(f.form)
        return errors

    async def install(self, ctx: Ctx, items: list[dict[str, Any]], form_ids: dict[str, uuid.UUID]) -> None:
        from tack.directory.models import RoleCreate
        from tack.directory.roles import create_role

        for raw in items:
            f = msgspec.convert(raw, AppFlow)
            for name in _role_names(f.definition):
                if await role_by_name(ctx, name) is None:
                    await create_role(ctx, RoleCreate(name=name))
            saved = await save_flow(ctx, form_ids[f.form], FlowSave(definition=f.definition, enabled=f.enabled))
            await publish_flow(ctx, saved.id)


def _role_names(definition: m.FlowDef) -> list[str]:
    names: list[str] = []
    for node, _path in walk(definition.nodes):
        rules = list(getattr(node, "assignees", None) or [])
        for a in getattr(node, "actions", None) or []:
            rules.extend(getattr(a, "to", None) or [])
        for r in rules:
            for attr in ("role_name", "until_role_name"):
                v = getattr(r, attr, None)
                if v and v not in names:
                    names.append(v)
    return names


document_parts.register("flows", FlowsPart())
