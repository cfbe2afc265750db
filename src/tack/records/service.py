"""Record commands: create, update (optimistic concurrency), soft delete and restore, in bulk
too. Each writes the record, its revision (which fields changed, from what to what, by whom) and
its event in one transaction."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import sqlalchemy as sa

from tack.access.models import FormAccess
from tack.access.service import Action, check_writable, form_access, primary_department, require_record
from tack.apps import schema_changes
from tack.apps.service import compiled_form, form_row
from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.db import dialect_of
from tack.core.errors import Conflict, Forbidden, NotFound, Problem, ValidationFailed
from tack.core.events import emit
from tack.core.ids import new_id
from tack.directory.tables import orgs
from tack.forms.definition import CompiledForm
from tack.forms.fields.serial import format_serial, period_key
from tack.forms.values import clean_submission
from tack.records.context import value_context
from tack.records.links import sync_links
from tack.records.models import BulkCreate, BulkItemResult, BulkResult, Record, RecordCreate, RecordUpdate
from tack.records.query.search import index_record
from tack.records.tables import record_revisions, records, serial_counters


async def create_record(ctx: Ctx, form_id: uuid.UUID, body: RecordCreate) -> Record:
    # Imports store records in batches (tack.records.import_batch): keep the two in step.
    require(ctx.actor, "record.write")
    form = await form_row(ctx, form_id)
    access = await form_access(ctx, form_id, app_id=form["app_id"])
    if not access.can_submit:
        raise Forbidden("Your permission groups do not let you submit this form.")
    compiled = await compiled_form(ctx, form_id, form["version"])
    tz = await _org_time_zone(ctx)
    data = clean_submission(compiled, body.data, await value_context(ctx, compiled, body.data, tz))
    check_writable(access, compiled, body.data, None, data)
    await _check_unique(ctx, compiled, form_id, data, None)
    record_id, now = new_id(), ctx.now()
    await _system_values(ctx, compiled, form_id, data, tz, created=True)
    row = {
        "org_id": ctx.org_id, "id": record_id, "form_id": form_id, "form_version": form["version"], "version": 1,
        "data": data, "status": "none", "created_by": ctx.actor.member_id, "created_at": now,
        "updated_by": ctx.actor.member_id, "updated_at": now, "deleted_at": None,
        "owner_department_id": await primary_department(ctx, ctx.actor.member_id)}
    await ctx.conn.execute(_INSERT_RECORD, row)
    await sync_links(ctx, compiled, record_id, data, created=True)
    await _revision(ctx, record_id, 1, "created", {k: [None, v] for k, v in data.items()})
    await index_record(ctx, record_id, form_id, compiled, data, new=True)
    await emit(ctx, "record.created", str(record_id), {"id": record_id, "form_id": form_id, "data": data})
    # Not get_record: who may submit but not read still gets their submission back. Answered
    # from what was written (reading it back would cost a round trip per submission).
    return shown(access, row)  # type: ignore[arg-type]


async def update_record(ctx: Ctx, record_id: uuid.UUID, body: RecordUpdate) -> Record:
    require(ctx.actor, "record.write")
    row = await record_row(ctx, record_id)
    access = await record_access(ctx, row, "edit")
    if row["deleted_at"] is not None:
        raise Conflict("The record is deleted; restore it first.")
    if body.expected_version != row["version"]:
        raise Conflict(f"The record changed since you read it (now version {row['version']}); reload it.",
                       extra={"current_version": row["version"]})
    # An update is checked against the form as it is now: the record moves to the current version.
    form = await form_row(ctx, row["form_id"])
    compiled = await compiled_form(ctx, row["form_id"], form["version"])
    tz = await _org_time_zone(ctx)
    stored: dict[str, Any] = dict(row["data"])
    # The stored data under the form's current types (a type change's conversion may not have
    # reached this record yet).
    previous = await schema_changes.data_for_update(ctx, row, form["version"])
    vctx = await value_context(ctx, compiled, body.data, tz, previous=previous)
    data = clean_submission(compiled, body.data, vctx, previous=previous)
    check_writable(access, compiled, body.data, previous, data)
    await _check_unique(ctx, compiled, row["form_id"], data, record_id)
    await _system_values(ctx, compiled, row["form_id"], data, tz, created=False, previous=previous)
    schema_changes.carry_over(compiled, previous, data, body.data)  # deleted fields' values stay until purged
    changes = {k: [stored.get(k), data.get(k)] for k in sorted(set(stored) | set(data))
               if stored.get(k) != data.get(k)}
    if not changes:
        return shown(access, row)
    version = row["version"] + 1
    res = await ctx.conn.execute(records.update().where(
        records.c.org_id == ctx.org_id, records.c.id == record_id, records.c.version == row["version"]
    ).values(data=data, version=version, form_version=form["version"], updated_by=ctx.actor.member_id,
             updated_at=ctx.now()))
    if res.rowcount != 1:  # someone else's update committed between our read and this write
        raise Conflict("The record changed while you were saving it; reload it.")
    await sync_links(ctx, compiled, record_id, data)
    await _revision(ctx, record_id, version, "updated", changes)
    await index_record(ctx, record_id, row["form_id"], compiled, data)
    await emit(ctx, "record.updated", str(record_id), {"id": record_id, "form_id": row["form_id"],
                                                        "version": version, "changes": changes})
    return shown(access, await record_row(ctx, record_id))


async def delete_record(ctx: Ctx, record_id: uuid.UUID, expected_version: int | None = None) -> Record:
    return await _set_deleted(ctx, record_id, True, expected_version)


async def restore_record(ctx: Ctx, record_id: uuid.UUID) -> Record:
    return await _set_deleted(ctx, record_id, False, None)


async def get_record(ctx: Ctx, record_id: uuid.UUID) -> Record:
    require(ctx.actor, "record.read")
    row = await record_row(ctx, record_id)
    return shown(await record_access(ctx, row, "read"), row)


async def bulk_create(ctx: Ctx, form_id: uuid.UUID, body: BulkCreate) -> BulkResult:
    """Up to 1,000 records. `all_or_nothing`: every item is valid or none is stored, and the
    problems of every bad item are reported together. `per_item`: each item stands alone."""
    require(ctx.actor, "record.write")
    await form_row(ctx, form_id)
    results: list[BulkItemResult] = []
    if body.mode == "per_item":
        for i, item in enumerate(body.items):
            try:
                async with ctx.conn.begin_nested():
                    rec = await create_record(ctx, form_id, item)
                results.append(BulkItemResult(index=i, status=201, record=rec))
            except Problem as p:
                results.append(BulkItemResult(index=i, status=p.status, problem=p.to_dict()))
        return BulkResult(created=sum(1 for r in results if r.record is not None), results=results)
    errors = []
    for i, item in enumerate(body.items):
        try:
            results.append(BulkItemResult(index=i, status=201, record=await create_record(ctx, form_id, item)))
        except ValidationFailed as p:
            errors.extend(msgspec.structs.replace(e, path=e.path.replace("$", f"$.items[{i}]", 1)) for e in p.errors)
    if errors:
        raise ValidationFailed(f"{len({e.path.split('.data')[0] for e in errors})} item(s) are not valid; "
                               "nothing was stored.", errors=errors[:1000])
    return BulkResult(created=len(results), results=results)


# -- helpers -------------------------------------------------------------------------------

async def _set_deleted(ctx: Ctx, record_id: uuid.UUID, deleted: bool, expected_version: int | None) -> Record:
    require(ctx.actor, "record.write")
    row = await record_row(ctx, record_id)
    access = await record_access(ctx, row, "delete")
    if expected_version is not None and expected_version != row["version"]:
        raise Conflict(f"The record changed since you read it (now version {row['version']}).",
                       extra={"current_version": row["version"]})
    if (row["deleted_at"] is not None) == deleted:
        return shown(access, row)
    version = row["version"] + 1
    await ctx.conn.execute(records.update().where(records.c.org_id == ctx.org_id, records.c.id == record_id).values(
        deleted_at=ctx.now() if deleted else None, version=version, updated_by=ctx.actor.member_id,
        updated_at=ctx.now()))
    kind = "deleted" if deleted else "restored"
    await _revision(ctx, record_id, version, kind, {})
    await emit(ctx, f"record.{kind}", str(record_id), {"id": record_id, "form_id": row["form_id"]})
    return shown(access, await record_row(ctx, record_id))


# Statements every write runs, built once: building a statement and its cache key anew costs
# about as much CPU as executing it (measured with bench/records_write.py).
_RECORD_BY_ID = sa.select(records).where(records.c.org_id == sa.bindparam("org_id"),
                                         records.c.id == sa.bindparam("record_id"))
_ORG_TIME_ZONE = sa.select(orgs.c.time_zone).where(orgs.c.id == sa.bindparam("org_id"))
_INSERT_RECORD = records.insert()
_INSERT_REVISION = record_revisions.insert()


async def record_row(ctx: Ctx, record_id: uuid.UUID) -> sa.RowMapping:
    row = (await ctx.conn.execute(_RECORD_BY_ID, {"org_id": ctx.org_id, "record_id": record_id})).mappings().first()
    if row is None:
        raise NotFound("No such record in this organization.")
    return row


async def record_access(ctx: Ctx, row: sa.RowMapping, action: Action) -> FormAccess:
    """The actor's rights on the record's form, once they are known to reach the record for
    `action` (NotFound outside their read scope, Forbidden outside the action's)."""
    access = await form_access(ctx, row["form_id"])
    if access.filter_for(action) is not None or access.read_filter is not None:
        form = await form_row(ctx, row["form_id"])
        await require_record(ctx, access, await compiled_form(ctx, row["form_id"], form["version"]), row["id"],
                             action)
    return access


def shown(access: FormAccess, row: sa.RowMapping) -> Record:
    """The record as the actor may see it: without the fields hidden from them."""
    rec = record_of(row)
    return msgspec.structs.replace(rec, data=access.visible(rec.data)) if access.hidden_fields else rec


async def _revision(ctx: Ctx, record_id: uuid.UUID, version: int, kind: str, changes: dict[str, Any]) -> None:
    await ctx.conn.execute(_INSERT_REVISION, {
        "org_id": ctx.org_id, "record_id": record_id, "version": version, "kind": kind, "at": ctx.now(),
        "actor_member_id": ctx.actor.member_id, "actor_name": ctx.actor.name, "changes": changes})


async def _org_time_zone(ctx: Ctx) -> str:
    return str((await ctx.conn.execute(_ORG_TIME_ZONE, {"org_id": ctx.org_id})).scalar() or "UTC")


async def _system_values(ctx: Ctx, form: CompiledForm, form_id: uuid.UUID, data: dict[str, Any], tz: str, *,
                         created: bool, previous: dict[str, Any] | None = None) -> None:
    """Fill the fields Tack sets: who and when, and serial numbers (taken once, at creation)."""
    now = ctx.now()
    member = str(ctx.actor.member_id) if ctx.actor.member_id else None
    for c in form.fields:
        t, fid = c.fd.type, c.fd.id
        if t in ("created_by", "created_at", "serial") and not created:
            if previous is not None and fid in previous:
                data[fid] = previous[fid]
            continue
        if t in ("created_by", "updated_by"):
            if member:
                data[fid] = member
        elif t in ("created_at", "updated_at"):
            data[fid] = now.isoformat().replace("+00:00", "Z")
        elif t == "serial":
            local = now.astimezone(ZoneInfo(tz)).date()
            period = period_key(c.settings.reset, local)
            data[fid] = format_serial(c.settings.pattern, local, await _next_serial(ctx, form_id, fid, period))


async def _next_serial(ctx: Ctx, form_id: uuid.UUID, field_id: str, period: str) -> int:
    """The next number of a counter, under the counter row's lock until this transaction ends:
    concurrent submissions queue for it, and a rollback gives the number back (no gaps)."""
    if dialect_of(ctx.conn) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(serial_counters).values(org_id=ctx.org_id, form_id=form_id, field_id=field_id, period=period,
                                          value=1)
    stmt = stmt.on_conflict_do_update(index_elements=["org_id", "form_id", "field_id", "period"],
                                      set_={"value": serial_counters.c.value + 1}).returning(serial_counters.c.value)
    return int((await ctx.conn.execute(stmt)).scalar_one())


async def _check_unique(ctx: Ctx, form: CompiledForm, form_id: uuid.UUID, data: dict[str, Any],
                        self_id: uuid.UUID | None) -> None:
    for c in form.fields:
        value = data.get(c.fd.id)
        if not c.fd.unique or value is None or isinstance(value, list | dict | bool):
            continue
        if dialect_of(ctx.conn) == "postgresql":
            # An import of this form holds the field's lock for itself until it commits
            # (tack.records.import_batch); submissions share it, so they never wait for each other.
            await unique_field_lock(ctx, form_id, c.fd.id, shared=True)
            # Two submissions of the same value at once would both find no other record: take a
            # lock named after (form, field, value) until this transaction ends, so they queue.
            digest = hashlib.sha256(f"{ctx.org_id}:{form_id}:{c.fd.id}:{value!r}".encode()).digest()
            await ctx.conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
                int.from_bytes(digest[:8], "big", signed=True))))
        cell = records.c.data[c.fd.id]
        cond = cell.as_float() == value if isinstance(value, int | float) else cell.as_string() == value
        q = sa.select(records.c.id).where(records.c.org_id == ctx.org_id, records.c.form_id == form_id,
                                          records.c.deleted_at.is_(None), cond)
        if self_id is not None:
            q = q.where(records.c.id != self_id)
        if (await ctx.conn.execute(q.limit(1))).first() is not None:
            raise ValidationFailed.field(f"$.data.{c.fd.name}", "Another record already has this value.", "unique")


async def unique_field_lock(ctx: Ctx, form_id: uuid.UUID, field_id: str, *, shared: bool) -> None:
    """A PostgreSQL transaction lock on one unique field of a form: submissions take it shared,
    an import exclusive (nothing on SQLite, whose writers take turns anyway)."""
    if dialect_of(ctx.conn) != "postgresql":
        return
    digest = hashlib.sha256(f"unique-field:{ctx.org_id}:{form_id}:{field_id}".encode()).digest()
    fn = sa.func.pg_advisory_xact_lock_shared if shared else sa.func.pg_advisory_xact_lock
    await ctx.conn.execute(sa.select(fn(int.from_bytes(digest[:8], "big", signed=True))))


def record_of(r: sa.RowMapping) -> Record:
    return Record(id=r["id"], form_id=r["form_id"], form_version=r["form_version"], version=r["version"],
                  data=dict(r["data"]), status=r["status"], created_by=r["created_by"], created_at=r["created_at"],
                  updated_by=r["updated_by"], updated_at=r["updated_at"], deleted=r["deleted_at"] is not None,
                  owner_department_id=r.get("owner_department_id"))


