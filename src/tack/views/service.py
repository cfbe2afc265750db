"""Saved views of a form: commands and queries.

A personal view belongs to the member who made it and only they see it. A shared view is seen by
everyone who may read the form's records, and only the app's administrators make or change one.
Views never widen access: listing records through a view still applies the reader's own scope
and hidden fields (`tack.access`).
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import sqlalchemy as sa
from msgspec import UNSET

from tack.access.models import FormAccess
from tack.access.service import form_access
from tack.apps.service import compiled_form, form_row
from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from tack.core.events import emit
from tack.core.ids import new_id
from tack.forms.definition import CompiledForm
from tack.views.config import checked, fitted
from tack.views.models import View, ViewConfig, ViewCreate, ViewList, ViewOrder, ViewUpdate
from tack.views.tables import views

MAX_VIEWS = 100  # per form: shared views, and each member's personal views


async def list_views(ctx: Ctx, form_id: uuid.UUID) -> ViewList:
    """The shared views (if the caller may read the form) and the caller's personal views, in order."""
    require(ctx.actor, "view.read")
    access = await form_access(ctx, form_id)
    form = await _current_form(ctx, form_id)
    mine = views.c.owner_member_id == ctx.actor.member_id if ctx.actor.member_id is not None else sa.false()
    visible = sa.or_(views.c.owner_member_id.is_(None), mine) if access.can_read else mine
    rows = (await ctx.conn.execute(sa.select(views).where(views.c.org_id == ctx.org_id, views.c.form_id == form_id,
                                                          visible)
                                   .order_by(views.c.position, views.c.id))).mappings().all()
    return ViewList(items=[_view(r, form) for r in rows])


async def get_view(ctx: Ctx, view_id: uuid.UUID) -> View:
    require(ctx.actor, "view.read")
    row, _access = await _visible_row(ctx, view_id)
    return _view(row, await _current_form(ctx, row["form_id"]))


async def create_view(ctx: Ctx, form_id: uuid.UUID, data: ViewCreate) -> View:
    require(ctx.actor, "view.write")
    access = await form_access(ctx, form_id)
    owner = _owner_for(ctx, access, data.shared)
    form = await _current_form(ctx, form_id)
    config = checked(form, data.kind, data.config)
    same_kind = views.c.owner_member_id.is_(None) if owner is None else views.c.owner_member_id == owner
    count = (await ctx.conn.execute(sa.select(sa.func.count()).select_from(views).where(
        views.c.org_id == ctx.org_id, views.c.form_id == form_id, same_kind))).scalar_one()
    if count >= MAX_VIEWS:
        raise Conflict(f"A form has at most {MAX_VIEWS} {'shared' if owner is None else 'personal'} views.")
    position = (await ctx.conn.execute(sa.select(sa.func.max(views.c.position)).where(
        views.c.org_id == ctx.org_id, views.c.form_id == form_id))).scalar()
    view_id, now = new_id(), ctx.now()
    await ctx.conn.execute(views.insert().values(
        org_id=ctx.org_id, id=view_id, form_id=form_id, name=data.name.strip(), kind=data.kind,
        owner_member_id=owner, position=0 if position is None else position + 1,
        config=msgspec.to_builtins(config), version=1, created_by=ctx.actor.member_id, created_at=now,
        updated_at=now))
    await emit(ctx, "view.created", str(view_id), {"id": view_id, "form_id": form_id, "shared": owner is None})
    return await get_view(ctx, view_id)


async def update_view(ctx: Ctx, view_id: uuid.UUID, data: ViewUpdate) -> View:
    require(ctx.actor, "view.write")
    row, access = await _visible_row(ctx, view_id)
    _require_change(ctx, access, row)
    if data.expected_version is not None and data.expected_version != row["version"]:
        raise Conflict(f"The view changed since you read it (now version {row['version']}); reload it.",
                       extra={"current_version": row["version"]})
    values: dict[str, Any] = {}
    if data.name is not UNSET:
        values["name"] = data.name.strip()
    if data.shared is not UNSET and data.shared != (row["owner_member_id"] is None):
        if not access.is_app_admin:
            raise Forbidden("Only the app's administrators may share a view or stop sharing it.")
        values["owner_member_id"] = _owner_for(ctx, access, data.shared)
    if data.config is not UNSET:
        form = await _current_form(ctx, row["form_id"])
        values["config"] = msgspec.to_builtins(checked(form, row["kind"], data.config))
    if values:
        res = await ctx.conn.execute(views.update().where(
            views.c.org_id == ctx.org_id, views.c.id == view_id, views.c.version == row["version"]
        ).values(**values, version=row["version"] + 1, updated_at=ctx.now()))
        if res.rowcount != 1:
            raise Conflict("The view changed while you were saving it; reload it.")
        await emit(ctx, "view.updated", str(view_id), {"id": view_id, "form_id": row["form_id"],
                                                        "shared": values.get("owner_member_id", row["owner_member_id"]) is None})
    return await get_view(ctx, view_id)


async def delete_view(ctx: Ctx, view_id: uuid.UUID) -> None:
    require(ctx.actor, "view.write")
    row, access = await _visible_row(ctx, view_id)
    _require_change(ctx, access, row)
    await ctx.conn.execute(views.delete().where(views.c.org_id == ctx.org_id, views.c.id == view_id))
    await emit(ctx, "view.deleted", str(view_id), {"id": view_id, "form_id": row["form_id"]})


async def reorder_views(ctx: Ctx, form_id: uuid.UUID, data: ViewOrder) -> ViewList:
    """The listed views take the places they held among themselves, in the order given; other
    views keep theirs. Moving shared views is for the app's administrators."""
    require(ctx.actor, "view.write")
    access = await form_access(ctx, form_id)
    visible = {v.id: v for v in (await list_views(ctx, form_id)).items}
    errors = [FieldError(path=f"$.view_ids[{i}]", message="No such view of this form.", rule="exists")
              for i, v in enumerate(data.view_ids) if v not in visible]
    if len(set(data.view_ids)) != len(data.view_ids):
        errors.append(FieldError(path="$.view_ids", message="A view is listed twice.", rule="duplicate"))
    if errors:
        raise ValidationFailed("The order names views that cannot be ordered.", errors=errors)
    if any(visible[v].shared for v in data.view_ids) and not access.is_app_admin:
        raise Forbidden("Only the app's administrators may move shared views.")
    slots = sorted(visible[v].position for v in data.view_ids)
    for view_id, position in zip(data.view_ids, slots, strict=True):
        if visible[view_id].position != position:
            await ctx.conn.execute(views.update().where(views.c.org_id == ctx.org_id, views.c.id == view_id)
                                   .values(position=position, version=views.c.version + 1, updated_at=ctx.now()))
    await emit(ctx, "view.reordered", str(form_id), {"form_id": form_id, "view_ids": data.view_ids})
    return await list_views(ctx, form_id)


# -- helpers -----------------------------------------------------------------------------------

def _owner_for(ctx: Ctx, access: FormAccess, shared: bool) -> uuid.UUID | None:
    """The owner a new (or re-shared) view gets: None for a shared one."""
    if shared:
        if not access.is_app_admin:
            raise Forbidden("Only the app's administrators may create or change shared views.")
        return None
    if ctx.actor.member_id is None:
        raise ValidationFailed.field("$.shared", "An organization token has no personal views; share the view.",
                                     "personal")
    if not access.can_read:
        raise Forbidden("You may not read this form's records, so a view of them would show nothing.")
    return ctx.actor.member_id


def _require_change(ctx: Ctx, access: FormAccess, row: sa.RowMapping) -> None:
    if row["owner_member_id"] is None:
        if not access.is_app_admin:
            raise Forbidden("Only the app's administrators may create or change shared views.")
    elif row["owner_member_id"] != ctx.actor.member_id:
        raise Forbidden("Only its owner may change a personal view.")


async def _visible_row(ctx: Ctx, view_id: uuid.UUID) -> tuple[sa.RowMapping, FormAccess]:
    """The view's row if the caller may see it (else 404, whether or not it exists)."""
    row = (await ctx.conn.execute(sa.select(views).where(views.c.org_id == ctx.org_id, views.c.id == view_id))
           ).mappings().first()
    if row is None:
        raise NotFound("No such view.")
    try:
        access = await form_access(ctx, row["form_id"])
    except NotFound:
        raise NotFound("No such view.") from None
    personal = row["owner_member_id"]
    if (personal is not None and personal != ctx.actor.member_id) or (personal is None and not access.can_read):
        raise NotFound("No such view.")
    return row, access


async def _current_form(ctx: Ctx, form_id: uuid.UUID) -> CompiledForm:
    form = await form_row(ctx, form_id)
    return await compiled_form(ctx, form_id, form["version"])


def _view(r: sa.RowMapping, form: CompiledForm) -> View:
    config, warnings = fitted(form, msgspec.convert(r["config"], ViewConfig))
    return View(id=r["id"], form_id=r["form_id"], name=r["name"], kind=r["kind"],
                shared=r["owner_member_id"] is None, owner_member_id=r["owner_member_id"], position=r["position"],
                config=config, version=r["version"], created_at=r["created_at"], updated_at=r["updated_at"],
                warnings=warnings)
