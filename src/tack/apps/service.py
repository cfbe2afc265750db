"""Commands and queries for apps and their forms.

Publishing a form checks the whole definition (`tack.forms.definition.compile_form`) and adds
a new immutable version; records written before keep pointing at theirs. Compiled forms are
cached per (form, version): versions never change, so the cache never goes stale.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import OrderedDict

import msgspec
import sqlalchemy as sa
from msgspec import UNSET

from tack.apps import schema_changes
from tack.apps.models import App, AppCreate, AppList, AppUpdate, Form, FormList, FormPublish, FormSummary
from tack.apps.tables import apps, form_versions, forms
from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.errors import Conflict, NotFound, ValidationFailed
from tack.core.events import emit
from tack.core.ids import new_id
from tack.directory import audit
from tack.forms.definition import CompiledForm, compile_form
from tack.forms.fields.link_plans import LinkTargets, link_form_ids
from tack.forms.model import FormDef

# Only definitions read back from the database are cached (a version that is being published
# may still roll back).
_CACHE_SIZE = 512
_compiled: OrderedDict[tuple[uuid.UUID, uuid.UUID, int], CompiledForm] = OrderedDict()
# How far `link_targets` follows links from form to form (lookups of lookups), and how many forms.
_LINK_DEPTH, _LINK_FORMS = 6, 100


async def list_apps(ctx: Ctx) -> AppList:
    require(ctx.actor, "app.read")
    rows = (await ctx.conn.execute(sa.select(apps).where(apps.c.org_id == ctx.org_id, apps.c.deleted_at.is_(None))
                                   .order_by(apps.c.name, apps.c.id))).mappings().all()
    return AppList(items=[_app(r) for r in rows])


async def get_app(ctx: Ctx, app_id: uuid.UUID) -> App:
    require(ctx.actor, "app.read")
    return _app(await _app_row(ctx, app_id))


async def create_app(ctx: Ctx, data: AppCreate) -> App:
    require(ctx.actor, "app.manage")
    app_id, now = new_id(), ctx.now()
    await ctx.conn.execute(apps.insert().values(org_id=ctx.org_id, id=app_id, name=data.name.strip(),
                                                description=data.description, icon=data.icon,
                                                created_by=ctx.actor.member_id, created_at=now, updated_at=now))
    await audit.record(ctx, "app.created", "app", app_id, {"name": data.name.strip()})
    from tack.access.service import create_default_group  # tack.access reads the apps' tables

    await create_default_group(ctx, app_id)  # "Everyone": submit, and see / edit / delete their own
    await emit(ctx, "app.created", str(app_id), {"id": app_id})
    return await get_app(ctx, app_id)


async def update_app(ctx: Ctx, app_id: uuid.UUID, data: AppUpdate) -> App:
    require(ctx.actor, "app.manage")
    await _app_row(ctx, app_id)
    values = {k: getattr(data, k) for k in ("name", "description", "icon") if getattr(data, k) is not UNSET}
    if isinstance(values.get("name"), str):
        values["name"] = values["name"].strip()
    if values:
        await ctx.conn.execute(apps.update().where(apps.c.org_id == ctx.org_id, apps.c.id == app_id)
                               .values(**values, updated_at=ctx.now()))
        await audit.record(ctx, "app.updated", "app", app_id, values)
        await emit(ctx, "app.updated", str(app_id), {"id": app_id})
    return await get_app(ctx, app_id)


async def delete_app(ctx: Ctx, app_id: uuid.UUID) -> None:
    """Soft delete: the app and its forms disappear from lists; records stay until purged."""
    require(ctx.actor, "app.manage")
    row = await _app_row(ctx, app_id)
    now = ctx.now()
    await ctx.conn.execute(apps.update().where(apps.c.org_id == ctx.org_id, apps.c.id == app_id).values(deleted_at=now))
    await ctx.conn.execute(forms.update().where(forms.c.org_id == ctx.org_id, forms.c.app_id == app_id,
                                                forms.c.deleted_at.is_(None)).values(deleted_at=now))
    await audit.record(ctx, "app.deleted", "app", app_id, {"name": row["name"]})
    await emit(ctx, "app.deleted", str(app_id), {"id": app_id})


async def list_forms(ctx: Ctx, app_id: uuid.UUID) -> FormList:
    require(ctx.actor, "app.read")
    await _app_row(ctx, app_id)
    rows = (await ctx.conn.execute(sa.select(forms).where(
        forms.c.org_id == ctx.org_id, forms.c.app_id == app_id, forms.c.deleted_at.is_(None))
        .order_by(forms.c.name, forms.c.id))).mappings().all()
    return FormList(items=[FormSummary(id=r["id"], app_id=r["app_id"], name=r["name"], version=r["version"],
                                       updated_at=r["updated_at"]) for r in rows])


async def create_form(ctx: Ctx, app_id: uuid.UUID, definition: FormDef, *, form_id: uuid.UUID | None = None) -> Form:
    from tack.access.service import require_app_admin

    await require_app_admin(ctx, app_id)  # org admins, and the app's own administrators
    # Refuses a definition with problems, naming each.
    compile_form(definition, await link_targets(ctx, definition))
    # (An app import chooses its forms' ids first, so links between them can name each other.)
    form_id, now = form_id or new_id(), ctx.now()
    await ctx.conn.execute(forms.insert().values(org_id=ctx.org_id, id=form_id, app_id=app_id,
                                                 name=definition.name.strip(), version=1, created_at=now,
                                                 updated_at=now))
    await _add_version(ctx, form_id, 1, definition)
    await audit.record(ctx, "form.created", "form", form_id, {"name": definition.name, "app_id": app_id})
    await emit(ctx, "form.published", str(form_id), {"id": form_id, "app_id": app_id, "version": 1})
    return await get_form(ctx, form_id)


async def publish_form(ctx: Ctx, form_id: uuid.UUID, data: FormPublish) -> Form:
    """A new version of the form's definition; running records keep theirs."""
    from tack.access.service import require_app_admin

    row = await form_row(ctx, form_id)
    await require_app_admin(ctx, row["app_id"])  # org admins, and the app's own administrators
    if data.expected_version is not None and data.expected_version != row["version"]:
        raise Conflict(f"The form changed since you opened it (now version {row['version']}); reload it.",
                       extra={"current_version": row["version"]})
    # Checks the definition, rewrites formulas on renames, and refuses to lose values unconfirmed.
    plan = await schema_changes.plan_publish(ctx, form_id, row["version"],
                                             await _definition(ctx, form_id, row["version"]), data)
    version = row["version"] + 1
    res = await ctx.conn.execute(forms.update().where(
        forms.c.org_id == ctx.org_id, forms.c.id == form_id, forms.c.version == row["version"]
    ).values(version=version, name=plan.definition.name.strip(), updated_at=ctx.now()))
    if res.rowcount != 1:
        raise Conflict("The form changed while you were saving it; reload it.")
    await _add_version(ctx, form_id, version, plan.definition)
    await schema_changes.apply_publish(ctx, form_id, version, plan)  # trash, restores, conversions
    await audit.record(ctx, "form.published", "form", form_id, {"version": version})
    await emit(ctx, "form.published", str(form_id), {"id": form_id, "app_id": row["app_id"], "version": version})
    return await get_form(ctx, form_id)


async def get_form(ctx: Ctx, form_id: uuid.UUID, version: int | None = None) -> Form:
    require(ctx.actor, "app.read")
    row = await form_row(ctx, form_id)
    definition = await _definition(ctx, form_id, version or row["version"])
    return Form(id=row["id"], app_id=row["app_id"], name=row["name"], version=version or row["version"],
                definition=definition, updated_at=row["updated_at"])


async def compiled_form(ctx: Ctx, form_id: uuid.UUID, version: int) -> CompiledForm:
    key = (ctx.org_id, form_id, version)
    found = _compiled.get(key)
    if found is not None and (not found.linked_versions or await _current_versions(
            ctx, found.linked_versions) == found.linked_versions):
        _compiled.move_to_end(key)
        return found
    definition = await _definition(ctx, form_id, version)
    targets = await link_targets(ctx, definition, form_id)
    try:
        compiled = compile_form(definition, targets)
    except ValidationFailed:
        # A linked form changed under this published one (a field it looks up was deleted or
        # retyped): its records stay writable, reading those lookups as untyped.
        if targets is None:
            raise
        compiled = compile_form(definition, dataclasses.replace(targets, untyped=True))
    _remember(ctx.org_id, form_id, version, compiled)
    return compiled


async def link_targets(ctx: Ctx, definition: FormDef, form_id: uuid.UUID | None = None) -> LinkTargets | None:
    """The current definitions of the forms `definition`'s links reach, following their own links
    (a lookup of a lookup), a level per query, within bounds: what compile_form checks lookups
    and roll-ups against. None when the form links nowhere."""
    wanted = link_form_ids(definition) - {form_id}
    if not wanted:
        return None
    found: dict[uuid.UUID, FormDef] = {}
    versions: dict[uuid.UUID, int] = {}
    for _ in range(_LINK_DEPTH):
        rows = (await ctx.conn.execute(sa.select(forms.c.id, forms.c.version, form_versions.c.definition).join(
            form_versions, sa.and_(form_versions.c.org_id == forms.c.org_id, form_versions.c.form_id == forms.c.id,
                                   form_versions.c.version == forms.c.version)).where(
            forms.c.org_id == ctx.org_id, forms.c.id.in_(wanted), forms.c.deleted_at.is_(None)))).all()
        for r in rows:
            found[r.id], versions[r.id] = msgspec.convert(r.definition, FormDef), r.version
        wanted = set().union(*(link_form_ids(found[r.id]) for r in rows)) - found.keys() - {form_id}
        if not wanted or len(found) >= _LINK_FORMS:
            break
    return LinkTargets(forms=found, versions=versions, self_id=form_id)


async def _current_versions(ctx: Ctx, of: dict[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    rows = (await ctx.conn.execute(sa.select(forms.c.id, forms.c.version).where(
        forms.c.org_id == ctx.org_id, forms.c.id.in_(list(of)), forms.c.deleted_at.is_(None)))).all()
    return {r.id: r.version for r in rows}


async def form_row(ctx: Ctx, form_id: uuid.UUID) -> sa.RowMapping:
    row = (await ctx.conn.execute(sa.select(forms).where(
        forms.c.org_id == ctx.org_id, forms.c.id == form_id, forms.c.deleted_at.is_(None)))).mappings().first()
    if row is None:
        raise NotFound("No such form in this organization.")
    return row


async def definition_of(ctx: Ctx, form_id: uuid.UUID, version: int) -> FormDef:
    """A published version's definition (NotFound when the form has no such version)."""
    return await _definition(ctx, form_id, version)


async def _definition(ctx: Ctx, form_id: uuid.UUID, version: int) -> FormDef:
    raw = (await ctx.conn.execute(sa.select(form_versions.c.definition).where(
        form_versions.c.org_id == ctx.org_id, form_versions.c.form_id == form_id,
        form_versions.c.version == version))).scalar()
    if raw is None:
        raise NotFound(f"The form has no version {version}.")
    return msgspec.convert(raw, FormDef)


async def _add_version(ctx: Ctx, form_id: uuid.UUID, version: int, definition: FormDef) -> None:
    await ctx.conn.execute(form_versions.insert().values(
        org_id=ctx.org_id, form_id=form_id, version=version, definition=msgspec.to_builtins(definition),
        published_at=ctx.now(), published_by=ctx.actor.member_id))


def _remember(org_id: uuid.UUID, form_id: uuid.UUID, version: int, compiled: CompiledForm) -> None:
    _compiled[(org_id, form_id, version)] = compiled
    while len(_compiled) > _CACHE_SIZE:
        _compiled.popitem(last=False)


async def _app_row(ctx: Ctx, app_id: uuid.UUID) -> sa.RowMapping:
    row = (await ctx.conn.execute(sa.select(apps).where(
        apps.c.org_id == ctx.org_id, apps.c.id == app_id, apps.c.deleted_at.is_(None)))).mappings().first()
    if row is None:
        raise NotFound("No such app in this organization.")
    return row


def _app(r: sa.RowMapping) -> App:
    return App(id=r["id"], name=r["name"], description=r["description"], icon=r["icon"],
               created_at=r["created_at"], updated_at=r["updated_at"])
