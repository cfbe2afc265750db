"""Schema changes that keep data: the preview of a publish, and what publishing then does.

- **Renames** touch no record (data is keyed by field id). Formulas the new definition kept
  unchanged that named the old name are rewritten to the new one, and the preview lists them.
- **Deleting** a field puts its definition in the trash (`form_field_trash`) for
  `field_trash_days`; its values stay in the records until the trash is purged (`field_trash`),
  and publishing it back (or restoring it) brings them back.
- **Changing a type** converts the stored values in a durable job (`forms.convert_values`), in
  batches: value → text under the old type → the new type's `from_text` and `clean`. A value that
  does not convert is moved aside to `form_moved_values` with its record id and the reason, never
  dropped. When the preview finds such values, publishing needs `confirm_loss: true`.

While a conversion runs, records keep working. A record's `form_version` says which definition
its data follows: reads return it as stored, with that version (`GET /forms/{id}?version=N`
describes it); a write converts the record's data first (`data_for_update`), in the write's own
transaction, so a record is never half converted. One conversion runs per form at a time: a
publish with another type change waits for it (409).
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import sqlalchemy as sa

from tack.apps.models import FormPublish
from tack.apps.schema_diff import Converter, Diff, Rewrite, Trashed, cells, diff, rewrite_formulas
from tack.apps.schema_models import (
    AddedField,
    DataWarning,
    DeletedField,
    DependentField,
    FormulaRewrite,
    RenamedField,
    RestoredField,
    SchemaPreview,
    TypeChange,
)
from tack.apps.schema_scan import (
    ScanResult,
    has_key,
    org_time_zone,
    removed_options,
    scan,
    value_context,
    want,
)
from tack.apps.tables import form_versions, forms
from tack.apps.trash_tables import form_conversions, form_field_trash, form_moved_values
from tack.config import Settings
from tack.core.ctx import Ctx
from tack.core.db import dialect_of
from tack.core.errors import Conflict
from tack.core.events import emit
from tack.core.ids import new_id
from tack.core.jobs import cancel, enqueue, job
from tack.directory import audit
from tack.forms.definition import CompiledForm, compile_form
from tack.forms.fields import Invalid
from tack.forms.model import FieldDef, FormDef
from tack.records.tables import record_revisions, records

CONVERT_JOB = "forms.convert_values"
PURGE_FIELD_JOB = "forms.purge_field"
PURGE_MOVED_JOB = "forms.purge_moved_values"
Row = Mapping[Any, Any]  # a row of a table, as SQLAlchemy returns it
CONVERT_BATCH = 200

_configured = {"trash_days": 30}


def configure(settings: Settings) -> None:
    _configured["trash_days"] = settings.field_trash_days


def trash_days() -> int:
    return _configured["trash_days"]


def purge_key(form_id: uuid.UUID, field_id: str) -> str:
    return f"forms.purge_field:{form_id}:{field_id}"


class ConfirmLoss(Conflict):
    """409: the publish would move values aside; the body carries the preview."""

    slug, title = "confirm-loss", "Publishing would lose values"


@dataclass
class Plan:
    definition: FormDef  # as it will be published: formulas rewritten on renames
    diff: Diff
    rewrites: list[Rewrite]
    scan: ScanResult
    preview: SchemaPreview


async def preview_publish(ctx: Ctx, form_id: uuid.UUID, data: FormPublish) -> SchemaPreview:
    """What publishing `data.definition` would change, and to how much data; changes nothing."""
    from tack.access.service import require_app_admin
    from tack.apps.service import definition_of, form_row

    row = await form_row(ctx, form_id)
    await require_app_admin(ctx, row["app_id"])  # who may publish may preview
    _check_expected(row, data)
    plan = await plan_change(ctx, form_id, row["version"], await definition_of(ctx, form_id, row["version"]),
                             data.definition)
    return plan.preview


async def plan_publish(ctx: Ctx, form_id: uuid.UUID, version: int, current: FormDef, data: FormPublish) -> Plan:
    """The checked plan of a publish, refused when it would lose values without `confirm_loss`
    or change a type while an earlier conversion still runs."""
    plan = await plan_change(ctx, form_id, version, current, data.definition)
    if plan.diff.type_changes and plan.preview.conversion_running:
        raise Conflict("An earlier type change is still converting this form's records; publish this one when it "
                       "has finished (see the form's conversions).")
    if plan.preview.confirm_loss_required and not data.confirm_loss:
        raise ConfirmLoss("Some values would not convert to their field's new type. They would be moved aside "
                          "(kept with their record, in the form's trash), not kept in the records. Publish again "
                          "with confirm_loss: true to go ahead.",
                          extra={"preview": msgspec.to_builtins(plan.preview)})
    return plan


async def plan_change(ctx: Ctx, form_id: uuid.UUID, version: int, current: FormDef, definition: FormDef) -> Plan:
    from tack.apps.service import link_targets

    new, rewrites = rewrite_formulas(current, definition)
    compile_form(new, await link_targets(ctx, new, form_id))  # every problem of the definition, at its path
    d = diff(current, new, await _trash(ctx, form_id))
    result = await scan(ctx, form_id, d, await org_time_zone(ctx))
    running = (await ctx.conn.execute(sa.select(form_conversions.c.version).where(
        form_conversions.c.org_id == ctx.org_id, form_conversions.c.form_id == form_id,
        form_conversions.c.state == "running").limit(1))).first() is not None
    preview = _preview(ctx, form_id, version, d, rewrites, result, running)
    preview.dependents = await _dependents(ctx, form_id, d)
    return Plan(new, d, rewrites, result, preview)


async def _dependents(ctx: Ctx, form_id: uuid.UUID, d: Diff) -> list[DependentField]:
    """Lookups and roll-ups of the organization's other forms, through links to this form, that
    read a field renamed here by its old name, or a field deleted here. Only forms whose
    definition mentions this form's id are read."""
    renamed = {old: p.fd.id for p, old in d.renamed if p.table_id is None}
    deleted = {key: p.fd.id for p in d.deleted if p.table_id is None for key in (p.fd.id, p.fd.name)}
    if not renamed and not deleted:
        return []
    rows = (await ctx.conn.execute(sa.select(forms.c.id, forms.c.name, form_versions.c.definition).join(
        form_versions, sa.and_(form_versions.c.org_id == forms.c.org_id, form_versions.c.form_id == forms.c.id,
                               form_versions.c.version == forms.c.version)).where(
        forms.c.org_id == ctx.org_id, forms.c.deleted_at.is_(None), forms.c.id != form_id,
        sa.cast(form_versions.c.definition, sa.Text).contains(str(form_id))).order_by(forms.c.name))).all()
    out: list[DependentField] = []
    for other_id, other_name, raw in rows:
        fields = [f for f in raw.get("fields", []) if isinstance(f, dict)] if isinstance(raw, dict) else []
        links = {key for f in fields if f.get("type") == "link" and str(f.get("settings", {}).get("form_id")) ==
                 str(form_id) for key in (f.get("id"), f.get("name"))}
        for f in fields:
            raw_settings = f.get("settings")
            s: dict[str, Any] = raw_settings if isinstance(raw_settings, dict) else {}
            via = s.get("link") if f.get("type") == "lookup" else s.get("source") if f.get("type") == "rollup" else None
            reads = s.get("field")
            if via not in links or not isinstance(reads, str):
                continue
            if reads in deleted:
                out.append(DependentField(other_id, other_name, str(f.get("id")), str(f.get("name")), deleted[reads],
                                          "deleted"))
            elif reads in renamed:
                out.append(DependentField(other_id, other_name, str(f.get("id")), str(f.get("name")), renamed[reads],
                                          "renamed"))
    return out


def _check_expected(row: Row, data: FormPublish) -> None:
    if data.expected_version is not None and data.expected_version != row["version"]:
        raise Conflict(f"The form changed since you opened it (now version {row['version']}); reload it.",
                       extra={"current_version": row["version"]})


async def _trash(ctx: Ctx, form_id: uuid.UUID) -> dict[str, Trashed]:
    rows = (await ctx.conn.execute(sa.select(form_field_trash).where(
        form_field_trash.c.org_id == ctx.org_id, form_field_trash.c.form_id == form_id))).mappings().all()
    return {r["field_id"]: Trashed(msgspec.convert(r["definition"], FieldDef), r["table_id"], r["state"])
            for r in rows}


def _preview(ctx: Ctx, form_id: uuid.UUID, version: int, d: Diff, rewrites: list[Rewrite], result: ScanResult,
             running: bool) -> SchemaPreview:
    purge_after = ctx.now() + dt.timedelta(days=trash_days())
    changes = [TypeChange(id=s.id, name=s.name, from_type=s.old.type, to_type=s.new.type,
                          values=result.get(s.id, "values"), convert=result.get(s.id, "convert"),
                          lost=result.get(s.id, "lost"), examples=result.count(s.id, "lost").examples,
                          table_id=s.table_id) for s in d.type_changes]
    loses = any(c.lost for c in changes)
    return SchemaPreview(
        form_id=form_id, from_version=version,
        added=[AddedField(p.fd.id, p.fd.name, p.fd.type, p.table_id) for p in d.added],
        restored=[RestoredField(p.fd.id, p.fd.name, p.fd.type, result.get(p.fd.id, "kept"), p.table_id)
                  for p in d.restored],
        renamed=[RenamedField(p.fd.id, old, p.fd.name, p.table_id) for p, old in d.renamed],
        deleted=[DeletedField(p.fd.id, p.fd.name, p.fd.type, result.get(p.fd.id, "kept"), purge_after, p.table_id)
                 for p in d.deleted],
        type_changes=changes,
        formula_rewrites=[FormulaRewrite(r.field_id, r.field_name, r.attribute, r.before, r.after) for r in rewrites],
        warnings=_warnings(d, result), dependents=[],
        records_total=result.total, records_scanned=result.scanned, estimated=result.estimated,
        loses_values=loses,
        # a sample cannot promise that nothing is lost
        confirm_loss_required=loses or (result.estimated and any(c.values for c in changes)),
        conversion_running=running,
    )


def _warnings(d: Diff, result: ScanResult) -> list[DataWarning]:
    out: list[DataWarning] = []
    for s in d.settings_checks:
        removed = removed_options(s)
        for option, label in removed.items():
            n = result.get(s.id, "option-removed", option)
            if n:
                out.append(DataWarning(
                    s.id, s.name, "option-removed", f"The option {label!r} was removed; {n} value(s) still use it. "
                    "They are kept (shown by the option's id) until someone changes them.", n,
                    result.count(s.id, "option-removed", option).examples, option, s.table_id))
        for key, c in result.counts.items():
            if key[:2] == (s.id, "invalid") and round(c.n):
                out.append(DataWarning(s.id, s.name, key[2], f"{round(c.n)} value(s) do not pass the new settings "
                                       f"({c.message}). They are kept; whoever edits one next must correct it.",
                                       round(c.n), c.examples, None, s.table_id))
    for s in d.required_added:
        n = result.get(s.id, "required-added")
        if n:
            out.append(DataWarning(s.id, s.name, "required-added", f"The field becomes required; {n} value(s) are "
                                   "blank. They are kept; whoever edits one of those records next must fill it in.",
                                   n, result.count(s.id, "required-added").examples, None, s.table_id))
    for s in d.unique_added:
        n = result.get(s.id, "unique-added")
        if n:
            out.append(DataWarning(s.id, s.name, "unique-added", f"The field becomes unique; {n} record(s) share "
                                   "their value with another. New submissions must differ.", n, [], None, None))
    return out


# ---- after the new version is written ----------------------------------------------------

async def apply_publish(ctx: Ctx, form_id: uuid.UUID, version: int, plan: Plan) -> None:
    """Record what the published version changed: trash, restores, renames, conversions."""
    d, now = plan.diff, ctx.now()
    purge_after = now + dt.timedelta(days=trash_days())
    for p in d.deleted:
        await ctx.conn.execute(form_field_trash.delete().where(*_trash_row(ctx, form_id, p.fd.id)))
        await ctx.conn.execute(form_field_trash.insert().values(
            org_id=ctx.org_id, form_id=form_id, field_id=p.fd.id, table_id=p.table_id, position=p.position,
            definition=msgspec.to_builtins(p.fd), deleted_version=version, deleted_at=now,
            deleted_by=ctx.actor.member_id, deleted_by_name=ctx.actor.name, purge_after=purge_after, state="trashed"))
        await enqueue(ctx, PURGE_FIELD_JOB, {"form_id": str(form_id), "field_id": p.fd.id}, due_at=purge_after,
                      dedupe_key=purge_key(form_id, p.fd.id))
        info = {"form_id": form_id, "field_id": p.fd.id, "name": p.fd.name, "version": version,
                "values": plan.scan.get(p.fd.id, "kept"), "purge_after": purge_after}
        await audit.record(ctx, "form.field_deleted", "form", form_id, info)
        await emit(ctx, "form.field_deleted", str(form_id), info)
    for p in d.restored:
        await ctx.conn.execute(form_field_trash.delete().where(*_trash_row(ctx, form_id, p.fd.id)))
        await cancel(ctx, purge_key(form_id, p.fd.id))
        info = {"form_id": form_id, "field_id": p.fd.id, "name": p.fd.name, "version": version}
        await audit.record(ctx, "form.field_restored", "form", form_id, info)
        await emit(ctx, "form.field_restored", str(form_id), info)
    for p, old in d.renamed:
        info = {"form_id": form_id, "field_id": p.fd.id, "old_name": old, "new_name": p.fd.name, "version": version,
                "formulas_rewritten": sorted({r.field_id for r in plan.rewrites})}
        await audit.record(ctx, "form.field_renamed", "form", form_id, info)
        await emit(ctx, "form.field_renamed", str(form_id), info)
    if not d.type_changes:
        return
    preview = {c.id: c for c in plan.preview.type_changes}
    await ctx.conn.execute(form_conversions.insert().values(
        org_id=ctx.org_id, form_id=form_id, version=version, state="running",
        changes=[{"field_id": s.id, "table_id": s.table_id, "before": msgspec.to_builtins(s.old),
                  "after": msgspec.to_builtins(s.new)} for s in d.type_changes],
        expected=sum(c.values for c in plan.preview.type_changes), estimated=plan.preview.estimated,
        records=0, converted=0, moved_aside=0, started_at=now))
    await enqueue(ctx, CONVERT_JOB, {"form_id": str(form_id), "version": version},
                  dedupe_key=f"{CONVERT_JOB}:{form_id}")
    await enqueue(ctx, PURGE_MOVED_JOB, {"form_id": str(form_id), "version": version}, due_at=purge_after,
                  dedupe_key=f"{PURGE_MOVED_JOB}:{form_id}:{version}")
    for s in d.type_changes:
        c = preview[s.id]
        info = {"form_id": form_id, "field_id": s.id, "name": s.name, "from_type": s.old.type, "to_type": s.new.type,
                "version": version, "values": c.values, "convert": c.convert, "lost": c.lost,
                "estimated": plan.preview.estimated}
        await audit.record(ctx, "form.field_type_changed", "form", form_id, info)
        await emit(ctx, "form.field_type_changed", str(form_id), info)


def _trash_row(ctx: Ctx, form_id: uuid.UUID, field_id: str) -> tuple[sa.ColumnElement[bool], ...]:
    return (form_field_trash.c.org_id == ctx.org_id, form_field_trash.c.form_id == form_id,
            form_field_trash.c.field_id == field_id)


# ---- converting stored values ------------------------------------------------------------

@dataclass(frozen=True)
class Spec:
    field_id: str
    table_id: str | None
    converter: Converter


Step = tuple[int, list[Spec]]  # a conversion's version and its changes


def _specs(changes: Sequence[Mapping[str, Any]]) -> list[Spec]:
    return [Spec(c["field_id"], c.get("table_id"), Converter(msgspec.convert(c["before"], FieldDef),
                                                             msgspec.convert(c["after"], FieldDef)))
            for c in changes]


@dataclass
class Converted:
    data: dict[str, Any]
    changed: set[str]  # the top-level keys whose value changed
    converted: int = 0
    moved: int = 0


async def convert_data(ctx: Ctx, form_id: uuid.UUID, rows: Sequence[Row], steps: Sequence[Step],
                       tz: str) -> dict[uuid.UUID, Converted]:
    """The records' data under the newest step's types. Values that do not convert are moved
    aside (inserted into `form_moved_values`) and removed from the data."""
    out = {r["id"]: Converted(copy.deepcopy(dict(r["data"])), set()) for r in rows}
    now = ctx.now()
    purge_after = now + dt.timedelta(days=trash_days())
    moved_rows: list[dict[str, Any]] = []
    for version, specs in steps:
        staged: list[tuple[uuid.UUID, Spec, int | None, Any, str, Any]] = []
        wanted: dict[str, set[str]] = {}
        for r in rows:
            if r["form_version"] >= version:
                continue  # written under this step's types already
            data = out[r["id"]].data
            for spec in specs:
                for row, value in list(cells(data, spec.field_id, spec.table_id)):
                    text = spec.converter.text(value)
                    value_staged = spec.converter.stage(text)
                    want(wanted, spec.converter.after.type, value_staged)
                    staged.append((r["id"], spec, row, value, text, value_staged))
        if not staged:
            continue
        vctx = await value_context(ctx, wanted, tz)
        for record_id, spec, row, value, text, value_staged in staged:
            c = out[record_id]
            try:
                new = spec.converter.finish(value_staged, vctx)
                c.converted += 1
            except Invalid as exc:
                new = None
                c.moved += 1
                moved_rows.append(dict(
                    org_id=ctx.org_id, id=new_id(), form_id=form_id, version=version, field_id=spec.field_id,
                    table_id=spec.table_id, row=row, record_id=record_id, value=value, text=text,
                    reason=exc.message[:500], from_type=spec.converter.before.type,
                    to_type=spec.converter.after.type, moved_at=now, purge_after=purge_after))
            _put(c.data, spec, row, new)
            c.changed.add(spec.table_id or spec.field_id)
    if moved_rows:
        await ctx.conn.execute(form_moved_values.insert(), moved_rows)
    return out


def _put(data: dict[str, Any], spec: Spec, row: int | None, value: Any) -> None:
    target: dict[str, Any] = data if row is None else data[spec.table_id][row]  # type: ignore[index]
    if value is None:
        target.pop(spec.field_id, None)
    else:
        target[spec.field_id] = value


async def data_for_update(ctx: Ctx, row: Row, form_version: int) -> dict[str, Any]:
    """A record's stored data under the form's current types, for an update to start from: the
    conversions published since the record was written applied now (the job may not have
    reached it yet), with what does not convert moved aside in the update's transaction."""
    data = dict(row["data"])
    if row["form_version"] >= form_version:
        return data
    convs = (await ctx.conn.execute(sa.select(form_conversions).where(
        form_conversions.c.org_id == ctx.org_id, form_conversions.c.form_id == row["form_id"],
        form_conversions.c.version > row["form_version"]).order_by(form_conversions.c.version))).mappings().all()
    if not convs:
        return data
    steps = [(c["version"], _specs(c["changes"])) for c in convs]
    result = (await convert_data(ctx, row["form_id"], [row], steps, await org_time_zone(ctx)))[row["id"]]
    if result.converted or result.moved:
        last = convs[-1]
        await ctx.conn.execute(form_conversions.update().where(
            form_conversions.c.org_id == ctx.org_id, form_conversions.c.form_id == row["form_id"],
            form_conversions.c.version == last["version"]).values(
            converted=form_conversions.c.converted + result.converted,
            moved_aside=form_conversions.c.moved_aside + result.moved))
    return result.data


def carry_over(form: CompiledForm, stored: Mapping[str, Any], data: dict[str, Any], sent: Mapping[str, Any]) -> None:
    """Keep, in an updated record, the values of fields the form no longer has (they are in the
    trash until purged: a restore brings them back). A sub-table's rows keep their trashed
    columns' cells when the update did not send the sub-table."""
    known = {c.fd.id for c in form.fields}
    for key, value in stored.items():
        if key not in known and key not in data:
            data[key] = value
    sent_ids = {form.by_key[k].fd.id for k in sent if k in form.by_key}
    for c in form.fields:
        if c.fd.type != "subtable" or c.fd.id in sent_ids:
            continue
        before, after = stored.get(c.fd.id), data.get(c.fd.id)
        if not isinstance(before, list) or not isinstance(after, list) or len(before) != len(after):
            continue
        columns = {col.fd.id for col in c.columns}
        for old_row, new_row in zip(before, after, strict=True):
            if isinstance(old_row, dict) and isinstance(new_row, dict):
                for key, value in old_row.items():
                    if key not in columns and key not in new_row:
                        new_row[key] = value


@job(CONVERT_JOB)
async def _convert_job(ctx: Ctx, payload: dict[str, Any]) -> None:
    """One batch of a form's records holding values of the changed fields, oldest first; then
    the next batch, as another run of this job, until none is left."""
    form_id, version = uuid.UUID(payload["form_id"]), int(payload["version"])
    conv = (await ctx.conn.execute(sa.select(form_conversions).where(
        form_conversions.c.org_id == ctx.org_id, form_conversions.c.form_id == form_id,
        form_conversions.c.version == version))).mappings().first()
    if conv is None or conv["state"] == "done":
        return
    specs = _specs(conv["changes"])
    q = sa.select(records).where(
        records.c.org_id == ctx.org_id, records.c.form_id == form_id, records.c.form_version < version,
        sa.or_(*(has_key(ctx, k) for k in {s.table_id or s.field_id for s in specs})))
    if payload.get("after"):
        q = q.where(records.c.id > uuid.UUID(payload["after"]))
    q = q.order_by(records.c.id).limit(CONVERT_BATCH)
    if dialect_of(ctx.conn) == "postgresql":
        q = q.with_for_update()  # an update of one of these waits, then finds it changed (409)
    rows = (await ctx.conn.execute(q)).mappings().all()
    result = await convert_data(ctx, form_id, rows, [(version, specs)], await org_time_zone(ctx))
    form = await _compiled(ctx, form_id, version) if rows else None
    for r in rows:
        await _write_converted(ctx, r, result[r["id"]], version, form)
    converted, moved = sum(c.converted for c in result.values()), sum(c.moved for c in result.values())
    await ctx.conn.execute(form_conversions.update().where(
        form_conversions.c.org_id == ctx.org_id, form_conversions.c.form_id == form_id,
        form_conversions.c.version == version).values(
        records=form_conversions.c.records + len(rows), converted=form_conversions.c.converted + converted,
        moved_aside=form_conversions.c.moved_aside + moved))
    if len(rows) == CONVERT_BATCH:
        await enqueue(ctx, CONVERT_JOB, {**payload, "after": str(rows[-1]["id"])},
                      dedupe_key=f"{CONVERT_JOB}:{form_id}")
        return
    await ctx.conn.execute(form_conversions.update().where(
        form_conversions.c.org_id == ctx.org_id, form_conversions.c.form_id == form_id,
        form_conversions.c.version == version).values(state="done", finished_at=ctx.now()))
    done = (await ctx.conn.execute(sa.select(form_conversions).where(
        form_conversions.c.org_id == ctx.org_id, form_conversions.c.form_id == form_id,
        form_conversions.c.version == version))).mappings().one()
    info = {"form_id": form_id, "version": version, "records": done["records"], "converted": done["converted"],
            "moved_aside": done["moved_aside"]}
    await audit.record(ctx, "form.conversion_finished", "form", form_id, info)
    await emit(ctx, "form.conversion_finished", str(form_id), info)


async def _compiled(ctx: Ctx, form_id: uuid.UUID, version: int) -> CompiledForm:
    from tack.apps.service import compiled_form

    return await compiled_form(ctx, form_id, version)


async def reindex(ctx: Ctx, form: CompiledForm, record_id: uuid.UUID, form_id: uuid.UUID,
                  data: dict[str, Any]) -> None:
    """What is derived from a record's data and kept beside it: its search text, its links."""
    from tack.records.links import sync_links
    from tack.records.query.search import index_record

    await sync_links(ctx, form, record_id, data)
    await index_record(ctx, record_id, form_id, form, data)


async def _write_converted(ctx: Ctx, r: Row, c: Converted, version: int,
                           form: CompiledForm | None) -> None:
    where = (records.c.org_id == ctx.org_id, records.c.id == r["id"])
    if not c.changed:
        await ctx.conn.execute(records.update().where(*where).values(form_version=version))
        return
    changes = {k: [r["data"].get(k), c.data.get(k)] for k in sorted(c.changed) if r["data"].get(k) != c.data.get(k)}
    new_version = r["version"] + 1  # a change of data: an edit opened before it gets 409 on save
    await ctx.conn.execute(records.update().where(*where).values(data=c.data, form_version=version,
                                                                 version=new_version))
    await ctx.conn.execute(record_revisions.insert().values(
        org_id=ctx.org_id, record_id=r["id"], version=new_version, kind="converted", at=ctx.now(),
        actor_member_id=None, actor_name=ctx.actor.name, changes=changes))
    if form is not None:
        await reindex(ctx, form, r["id"], r["form_id"], c.data)
    await emit(ctx, "record.updated", str(r["id"]), {"id": r["id"], "form_id": r["form_id"], "version": new_version,
                                                      "changes": changes, "reason": "type_change"})
