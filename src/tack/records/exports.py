"""Exporting records to CSV or XLSX: any view, or any query (filter, sort, search), as a download
streamed a batch of records at a time (memory stays the same for ten records or a million).

Columns are the view's visible columns, the fields the caller names, or every field of the
form; headers are the fields' names; each cell is what its field type writes as text
(`to_text`), so that the file imports back. Two choices make the file useful to the people who
open it: members are written as `Name <email>` and departments by name (imports read both back,
and ids too), and numbers stay numbers in a workbook (percentages formatted as such). A
sub-table is written as JSON, its rows keyed by column name. The caller's rights apply: records
they may not read are not exported, fields hidden from them are not either.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import msgspec
import sqlalchemy as sa

from tack.apps.service import compiled_form, form_row
from tack.auth.policy import require
from tack.core.clock import Clock
from tack.core.ctx import Actor, Ctx
from tack.core.db import Database
from tack.core.errors import FieldError, ValidationFailed
from tack.directory.tables import departments, members, users
from tack.forms.definition import CompiledField, CompiledForm
from tack.records.links import link_fields, link_titles
from tack.records.models import Record
from tack.records.spreadsheets import CsvWriter, Percent, Plain, XlsxWriter
from tack.records.transfer_models import ExportFormat

BATCH = 500
NUMBER_TYPES = {"number", "money", "rating"}
MEMBER_TYPES = {"member", "members", "created_by", "updated_by"}
DEPARTMENT_TYPES = {"department", "departments"}
# The record's own facts a view may show as columns (tack.records.query's system fields).
SYSTEM_COLUMNS = ("id", "created_at", "created_by", "updated_at", "updated_by", "owner_department", "status")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class ExportColumn:
    header: str
    field: CompiledField | None = None  # None: a system column
    system: str | None = None


@dataclass(frozen=True)
class ExportPlan:
    """An export checked and ready to stream: who, which records, which columns, which file."""

    org_id: uuid.UUID
    actor: Actor
    form_id: uuid.UUID
    query: Any  # tack.records.query.RecordQuery
    columns: list[ExportColumn]
    fmt: ExportFormat
    title: str
    form: CompiledForm

    @property
    def file_name(self) -> str:
        return f"{self.title}.{self.fmt}"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.fmt]


async def plan_export(ctx: Ctx, form_id: uuid.UUID, fmt: ExportFormat, *, view_id: uuid.UUID | None = None,
                      filter: dict[str, Any] | None = None, sort: list[dict[str, Any]] | None = None,
                      search: str | None = None, fields: list[str] | None = None) -> ExportPlan:
    """Check everything an export needs before a byte is sent (afterwards an error could only
    cut the download short): the form, the caller's rights, the view, the query, the columns."""
    from tack.access.service import form_access
    from tack.records.query import RecordQuery, query_records

    require(ctx.actor, "record.read")
    form = await form_row(ctx, form_id)
    compiled = await compiled_form(ctx, form_id, form["version"])
    access = await form_access(ctx, form_id)
    try:
        query = msgspec.convert({"filter": filter, "sort": sort or [], "search": search, "view_id": view_id},
                                RecordQuery)
    except msgspec.ValidationError as exc:
        raise ValidationFailed.field("$", str(exc), "type") from None
    # The first record, to have the query compiled (and refused, if it must be) up front.
    await query_records(ctx, form_id, msgspec.structs.replace(query, limit=1))
    if fields:
        keys, where = fields, "$.fields"
    elif view_id is not None:
        from tack.views.service import get_view

        keys, where = [c.field for c in (await get_view(ctx, view_id)).config.columns], None
    else:
        keys, where = [c.fd.id for c in compiled.fields if c.ftype.stores_value], None
    columns = _columns(compiled, keys, access.hidden_fields, where)
    if not columns:
        raise ValidationFailed.field(where or "$.fields", "There is no column to export.", "required")
    return ExportPlan(org_id=ctx.org_id, actor=ctx.actor, form_id=form_id, query=query, columns=columns, fmt=fmt,
                      title=str(form["name"]), form=compiled)


def _columns(form: CompiledForm, keys: list[str], hidden: frozenset[str], where: str | None) -> list[ExportColumn]:
    out: list[ExportColumn] = []
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, key in enumerate(keys):
        c = form.by_key.get(key)
        if c is not None and c.ftype.stores_value and c.fd.id not in hidden:
            if c.fd.id not in seen:
                seen.add(c.fd.id)
                out.append(ExportColumn(c.fd.name, field=c))
        elif c is None and key in SYSTEM_COLUMNS:
            if key not in seen:
                seen.add(key)
                out.append(ExportColumn(key, system=key))
        elif where is not None:  # the caller named it; a view's column that is gone is just left out
            errors.append(FieldError(f"{where}[{i}]", f"The form has no field {key[:100]!r} to export.",
                                     "unknown-field"))
    if errors:
        raise ValidationFailed("Some columns cannot be exported.", errors=errors)
    return out


async def stream_export(db: Database, clock: Clock, plan: ExportPlan) -> AsyncIterator[bytes]:
    """The file, a batch of records at a time, read in one read-only transaction (one snapshot
    of the records, on PostgreSQL)."""
    from tack.records.query import iter_records

    writer: CsvWriter | XlsxWriter = CsvWriter() if plan.fmt == "csv" else XlsxWriter(plan.title)
    yield writer.rows([[c.header for c in plan.columns]])
    async with db.transaction(write=False) as conn:
        ctx = Ctx(org_id=plan.org_id, actor=plan.actor, conn=conn, clock=clock)
        async for batch in iter_records(ctx, plan.form_id, plan.query, batch=BATCH):
            names = await _Names.of(ctx, plan.form, plan.columns, batch)
            yield writer.rows([[_cell(col, r, names, plan.fmt) for col in plan.columns] for r in batch])
    yield writer.finish()


# -- cells ---------------------------------------------------------------------------------------

class _Names:
    """The people, departments and linked records one batch of records names, looked up in one
    query each (linked records: one per linked form)."""

    def __init__(self, people: dict[str, str], depts: dict[str, str], links: dict[str, str]) -> None:
        self.people, self.depts, self.links = people, depts, links

    @classmethod
    async def of(cls, ctx: Ctx, form: CompiledForm, columns: list[ExportColumn], batch: list[Record]) -> _Names:
        member_ids: set[uuid.UUID] = set()
        dept_ids: set[uuid.UUID] = set()
        for col in columns:
            if col.system in ("created_by", "updated_by"):
                member_ids |= {i for r in batch if (i := getattr(r, col.system)) is not None}
            elif col.system == "owner_department":
                dept_ids |= {i for r in batch if (i := getattr(r, "owner_department_id", None)) is not None}
            elif col.field is not None:
                for r in batch:
                    for c, value in _cells_of(col.field, r.data.get(col.field.fd.id)):
                        t = c.fd.type
                        if t in MEMBER_TYPES:
                            member_ids |= _ids(value)
                        elif t in DEPARTMENT_TYPES:
                            dept_ids |= _ids(value)
        people: dict[str, str] = {}
        if member_ids:
            rows = await ctx.conn.execute(sa.select(members.c.id, members.c.name, users.c.email).join(
                users, users.c.id == members.c.user_id).where(
                members.c.org_id == ctx.org_id, members.c.id.in_(member_ids)))
            people = {str(i): f"{name} <{email}>" for i, name, email in rows}
        depts: dict[str, str] = {}
        if dept_ids:
            rows = await ctx.conn.execute(sa.select(departments.c.id, departments.c.name).where(
                departments.c.org_id == ctx.org_id, departments.c.id.in_(dept_ids)))
            depts = {str(i): name for i, name in rows}
        links = await link_titles(ctx, form, [r.data for r in batch]) if link_fields(form) else {}
        return cls(people, depts, links)


def _cells_of(c: CompiledField, value: Any) -> list[tuple[CompiledField, Any]]:
    if c.fd.type == "subtable" and isinstance(value, list):
        return [(col, row.get(col.fd.id)) for row in value if isinstance(row, dict) for col in c.columns]
    return [(c, value)]


def _ids(value: Any) -> set[uuid.UUID]:
    out: set[uuid.UUID] = set()
    for v in value if isinstance(value, list) else [value]:
        if isinstance(v, str):
            try:
                out.add(uuid.UUID(v))
            except ValueError:
                continue
    return out


def _cell(col: ExportColumn, record: Record, names: _Names, fmt: str) -> str | int | float:
    if col.system is not None:
        return _system_cell(col.system, record, names)
    assert col.field is not None
    return _value_cell(col.field, record.data.get(col.field.fd.id), names, fmt)


def _system_cell(name: str, record: Record, names: _Names) -> str:
    if name == "owner_department":
        d = getattr(record, "owner_department_id", None)
        return names.depts.get(str(d), str(d)) if d else ""
    value = getattr(record, name)
    if value is None:
        return ""
    if name in ("created_by", "updated_by"):
        return names.people.get(str(value), str(value))
    if name in ("created_at", "updated_at"):
        return str(value.isoformat().replace("+00:00", "Z"))
    return str(value)


def _value_cell(c: CompiledField, value: Any, names: _Names, fmt: str) -> str | int | float:
    if value is None:
        return "" if c.fd.type != "checkbox" else c.ftype.to_text(value, c.settings)
    t = c.fd.type
    if t in MEMBER_TYPES or t in DEPARTMENT_TYPES:
        table = names.people if t in MEMBER_TYPES else names.depts
        items = value if isinstance(value, list) else [value]
        return ", ".join(table.get(str(v), str(v)) for v in items)
    if t == "link":
        return c.ftype.to_text(value, c.settings, titles=names.links)  # type: ignore[call-arg]
    if t == "subtable":
        rows = [{col.fd.name: _text_of(_value_cell(col, row.get(col.fd.id), names, "csv"))
                 for col in c.columns if col.ftype.stores_value and row.get(col.fd.id) is not None}
                for row in value if isinstance(row, dict)]
        return json.dumps(rows, ensure_ascii=False)
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if fmt == "xlsx" and numeric and (t in NUMBER_TYPES or t == "formula"):
        return value
    if fmt == "xlsx" and numeric and t == "percent":
        return Percent(value)
    text = c.ftype.to_text(value, c.settings)
    return Plain(text) if numeric else text


def _text_of(cell: str | int | float) -> str:
    return cell if isinstance(cell, str) else str(cell)
