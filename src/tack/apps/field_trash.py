"""The form's trash: deleted fields (undo until purged) and values a type change moved aside.

A deleted field's values stay in the records, under its id, until it is purged: when its
`purge_after` passes (a durable timer, `forms.purge_field`) or an admin purges it now. Purging
removes the key from every record's data in batches, each batch its own transaction; a batch
that runs twice finds nothing left to remove, so the job is idempotent.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import msgspec
import sqlalchemy as sa

from tack.apps.models import Form, FormPublish
from tack.apps.schema_changes import PURGE_FIELD_JOB, PURGE_MOVED_JOB, purge_key, reindex
from tack.apps.schema_models import (
    Conversion,
    ConversionList,
    MovedValue,
    MovedValuePage,
    MovedValuesSummary,
    Trash,
    TrashedField,
)
from tack.apps.schema_scan import has_key
from tack.apps.tables import forms
from tack.apps.trash_tables import form_conversions, form_field_trash, form_moved_values
from tack.core.ctx import Ctx
from tack.core.db import dialect_of
from tack.core.errors import Conflict, NotFound
from tack.core.events import emit
from tack.core.jobs import enqueue, job
from tack.core.pagination import DEFAULT_LIMIT, decode_cursor, encode_cursor
from tack.directory import audit
from tack.forms.definition import CompiledForm
from tack.forms.model import FieldDef
from tack.records.tables import record_revisions, records

PURGE_BATCH = 500


async def list_trash(ctx: Ctx, form_id: uuid.UUID) -> Trash:
    await _admin_form(ctx, form_id)
    rows = (await ctx.conn.execute(sa.select(form_field_trash).where(
        form_field_trash.c.org_id == ctx.org_id, form_field_trash.c.form_id == form_id)
        .order_by(form_field_trash.c.deleted_at, form_field_trash.c.field_id))).mappings().all()
    mv = form_moved_values.c
    summary = (await ctx.conn.execute(
        sa.select(mv.field_id, mv.table_id, mv.version, mv.from_type, mv.to_type, sa.func.count(),
                  sa.func.min(mv.purge_after))
        .where(mv.org_id == ctx.org_id, mv.form_id == form_id)
        .group_by(mv.field_id, mv.table_id, mv.version, mv.from_type, mv.to_type)
        .order_by(mv.version, mv.field_id))).all()
    return Trash(fields=[_trashed(r) for r in rows], moved_values=[
        MovedValuesSummary(field_id=f, table_id=t, version=v, from_type=a, to_type=b, count=n, purge_after=p)
        for f, t, v, a, b, n, p in summary])


async def restore_field(ctx: Ctx, form_id: uuid.UUID, field_id: str) -> Form:
    """Publish a new version with the field back where it stood (same id, so its values,
    still in the records, come back with it)."""
    from tack.apps.service import definition_of, publish_form

    form = await _admin_form(ctx, form_id)
    t = await _trash_row(ctx, form_id, field_id)
    if t["state"] == "purging":
        raise Conflict("The field is being purged; it can no longer be restored.")
    current = await definition_of(ctx, form_id, form["version"])
    fd = msgspec.convert(t["definition"], FieldDef)
    fields = list(current.fields)
    if t["table_id"] is None:
        siblings, put = fields, None
    else:
        table = next((i for i, f in enumerate(fields) if f.id == t["table_id"]), None)
        if table is None:
            raise Conflict("The field was a column of a sub-table the form no longer has; restore the sub-table "
                           "first.")
        siblings = list(fields[table].columns or [])
        put = table
    taken = next((f for f in siblings if f.name.strip().casefold() == fd.name.strip().casefold()), None)
    if taken is not None:
        raise Conflict(f"Another field is now named {fd.name!r}; rename it, then restore this one.")
    siblings.insert(min(t["position"], len(siblings)), fd)
    if put is not None:
        fields[put] = msgspec.structs.replace(fields[put], columns=siblings)
    definition = msgspec.structs.replace(current, fields=fields if put is not None else siblings)
    return await publish_form(ctx, form_id, FormPublish(definition=definition, expected_version=form["version"]))


async def purge_field(ctx: Ctx, form_id: uuid.UUID, field_id: str) -> TrashedField:
    """Purge now: the values go in the background, batch by batch; the field stays listed (as
    `purging`) until the last batch."""
    await _admin_form(ctx, form_id)
    t = await _trash_row(ctx, form_id, field_id)
    if t["state"] != "purging":
        await ctx.conn.execute(form_field_trash.update().where(*_where(ctx, form_id, field_id)).values(state="purging"))
        await enqueue(ctx, PURGE_FIELD_JOB, {"form_id": str(form_id), "field_id": field_id},
                      dedupe_key=purge_key(form_id, field_id))  # replaces the timer
        info = {"form_id": form_id, "field_id": field_id, "name": t["definition"].get("name")}
        await audit.record(ctx, "form.field_purge_requested", "form", form_id, info)
        await emit(ctx, "form.field_purge_requested", str(form_id), info)
    return _trashed(await _trash_row(ctx, form_id, field_id))


async def list_moved_values(ctx: Ctx, form_id: uuid.UUID, *, field_id: str | None = None,
                            cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> MovedValuePage:
    await _admin_form(ctx, form_id)
    mv = form_moved_values.c
    q = sa.select(form_moved_values).where(mv.org_id == ctx.org_id, mv.form_id == form_id)
    if field_id is not None:
        q = q.where(mv.field_id == field_id)
    key = decode_cursor(cursor, uuid.UUID)
    if key is not None:
        q = q.where(mv.id > key[0])
    rows = (await ctx.conn.execute(q.order_by(mv.id).limit(limit + 1))).mappings().all()
    items = [MovedValue(id=r["id"], record_id=r["record_id"], field_id=r["field_id"], version=r["version"],
                        value=r["value"], text=r["text"], reason=r["reason"], from_type=r["from_type"],
                        to_type=r["to_type"], moved_at=r["moved_at"], purge_after=r["purge_after"],
                        table_id=r["table_id"], row=r["row"]) for r in rows[:limit]]
    return MovedValuePage(items=items, next_cursor=encode_cursor([str(items[-1].id)]) if len(rows) > limit else None)


async def list_conversions(ctx: Ctx, form_id: uuid.UUID) -> ConversionList:
    await _admin_form(ctx, form_id)
    rows = (await ctx.conn.execute(sa.select(form_conversions).where(
        form_conversions.c.org_id == ctx.org_id, form_conversions.c.form_id == form_id)
        .order_by(form_conversions.c.version.desc()))).mappings().all()
    return ConversionList(items=[Conversion(
        version=r["version"], state=r["state"], fields=[c["field_id"] for c in r["changes"]], expected=r["expected"],
        estimated=r["estimated"], records=r["records"], converted=r["converted"], moved_aside=r["moved_aside"],
        started_at=r["started_at"], finished_at=r["finished_at"]) for r in rows])


# ---- jobs --------------------------------------------------------------------------------

@job(PURGE_FIELD_JOB)
async def _purge_field_job(ctx: Ctx, payload: dict[str, Any]) -> None:
    form_id, field_id = uuid.UUID(payload["form_id"]), str(payload["field_id"])
    t = (await ctx.conn.execute(sa.select(form_field_trash).where(*_where(ctx, form_id, field_id)))).mappings().first()
    if t is None:
        return  # restored, or purged already
    if t["state"] != "purging":
        if t["purge_after"] > ctx.now():  # not due (the trash period was moved): wait for it
            await enqueue(ctx, PURGE_FIELD_JOB, payload, due_at=t["purge_after"], dedupe_key=purge_key(form_id, field_id))
            return
        await ctx.conn.execute(form_field_trash.update().where(*_where(ctx, form_id, field_id)).values(state="purging"))
    table_id = t["table_id"]
    q = sa.select(records.c.id, records.c.form_id, records.c.data, records.c.version).where(
        records.c.org_id == ctx.org_id, records.c.form_id == form_id, has_key(ctx, table_id or field_id))
    if payload.get("after"):
        q = q.where(records.c.id > uuid.UUID(payload["after"]))
    q = q.order_by(records.c.id).limit(PURGE_BATCH)
    if dialect_of(ctx.conn) == "postgresql":
        q = q.with_for_update()
    rows = (await ctx.conn.execute(q)).mappings().all()
    form = None
    for r in rows:
        data = _without(r["data"], field_id, table_id)
        if data is None:
            continue
        version = r["version"] + 1  # so an edit opened before cannot write the value back
        await ctx.conn.execute(records.update().where(records.c.org_id == ctx.org_id, records.c.id == r["id"])
                               .values(data=data, version=version))
        await ctx.conn.execute(record_revisions.insert().values(
            org_id=ctx.org_id, record_id=r["id"], version=version, kind="field_purged", at=ctx.now(),
            actor_member_id=None, actor_name=ctx.actor.name, changes={}))
        form = form or await _current_form(ctx, form_id)
        await reindex(ctx, form, r["id"], form_id, data)
        await emit(ctx, "record.updated", str(r["id"]), {"id": r["id"], "form_id": form_id, "version": version,
                                                          "changes": {}, "reason": "field_purged"})
    if len(rows) == PURGE_BATCH:
        await enqueue(ctx, PURGE_FIELD_JOB, {**payload, "after": str(rows[-1]["id"])},
                      dedupe_key=purge_key(form_id, field_id))
        return
    await ctx.conn.execute(form_field_trash.delete().where(*_where(ctx, form_id, field_id)))
    await ctx.conn.execute(form_moved_values.delete().where(
        form_moved_values.c.org_id == ctx.org_id, form_moved_values.c.form_id == form_id,
        form_moved_values.c.field_id == field_id))
    info = {"form_id": form_id, "field_id": field_id, "name": t["definition"].get("name")}
    await audit.record(ctx, "form.field_purged", "form", form_id, info)
    await emit(ctx, "form.field_purged", str(form_id), info)


def _without(data: Any, field_id: str, table_id: str | None) -> dict[str, Any] | None:
    """The data without the field's values, or None when it holds none."""
    if not isinstance(data, dict):
        return None
    if table_id is None:
        if field_id not in data:
            return None
        return {k: v for k, v in data.items() if k != field_id}
    rows = data.get(table_id)
    if not isinstance(rows, list) or not any(isinstance(r, dict) and field_id in r for r in rows):
        return None
    out = copy.deepcopy(data)
    for row in out[table_id]:
        if isinstance(row, dict):
            row.pop(field_id, None)
    return out


@job(PURGE_MOVED_JOB)
async def _purge_moved_job(ctx: Ctx, payload: dict[str, Any]) -> None:
    """Moved-aside values of one conversion whose trash period is over; again later for the
    ones moved after the conversion started."""
    form_id, version = uuid.UUID(payload["form_id"]), int(payload["version"])
    mv = form_moved_values.c
    of_it = (mv.org_id == ctx.org_id, mv.form_id == form_id, mv.version == version)
    await ctx.conn.execute(form_moved_values.delete().where(*of_it, mv.purge_after <= ctx.now()))
    later = (await ctx.conn.execute(sa.select(sa.func.min(mv.purge_after)).where(*of_it))).scalar()
    if later is not None:
        await enqueue(ctx, PURGE_MOVED_JOB, payload, due_at=later, dedupe_key=f"{PURGE_MOVED_JOB}:{form_id}:{version}")


# ---- helpers -----------------------------------------------------------------------------

async def _admin_form(ctx: Ctx, form_id: uuid.UUID) -> sa.RowMapping:
    """The form, when the actor administers its app (who may publish it)."""
    from tack.access.service import require_app_admin
    from tack.apps.service import form_row

    row = await form_row(ctx, form_id)
    await require_app_admin(ctx, row["app_id"])
    return row


def _where(ctx: Ctx, form_id: uuid.UUID, field_id: str) -> tuple[sa.ColumnElement[bool], ...]:
    return (form_field_trash.c.org_id == ctx.org_id, form_field_trash.c.form_id == form_id,
            form_field_trash.c.field_id == field_id)


async def _current_form(ctx: Ctx, form_id: uuid.UUID) -> CompiledForm:
    from tack.apps.service import compiled_form

    version = (await ctx.conn.execute(sa.select(forms.c.version).where(
        forms.c.org_id == ctx.org_id, forms.c.id == form_id))).scalar_one()
    return await compiled_form(ctx, form_id, version)


async def _trash_row(ctx: Ctx, form_id: uuid.UUID, field_id: str) -> sa.RowMapping:
    row = (await ctx.conn.execute(sa.select(form_field_trash).where(*_where(ctx, form_id, field_id)))).mappings().first()
    if row is None:
        raise NotFound("The form's trash has no such field.")
    return row


def _trashed(r: sa.RowMapping) -> TrashedField:
    fd = msgspec.convert(r["definition"], FieldDef)
    return TrashedField(field_id=r["field_id"], name=fd.name, type=fd.type, definition=fd,
                        deleted_version=r["deleted_version"], deleted_at=r["deleted_at"], deleted_by=r["deleted_by"],
                        deleted_by_name=r["deleted_by_name"], purge_after=r["purge_after"], state=r["state"],
                        table_id=r["table_id"])
